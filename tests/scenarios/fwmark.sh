# Firewall-mark services: nftables in the director marks TCP to 10.0.0.1 ports 80 and 81 with
# mark 1 and UDP to port 53 with mark 2. Mark 1 is an rr service over two NAT real servers
# given without a port (each connection keeps its own port); mark 2 is a UDP-only use of the
# same servers. 10.0.0.1:81 is also an address service with one server: the mark wins, as in
# C. Unmarked 10.0.0.1:82 goes to its own address service. Compared: answers per server, the
# listing, counters and the connection table.
#
# Expected (ip_vs_core.c ip_vs_schedule, ip_vs_service_find): a marked packet finds its mark's
# service before any address service; rr starts at the first listed real server, the last
# added (rs2), and alternates. Mark 1's rr goes on from port 80's connections to port 81's.
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns nat-dir "$@"; }
# ok: the last command succeeded and printed nothing.
ok() { rc_is 0 && out_is ''; }
# stats_are NAME VALUES: in an `ipvsadm -L -n --stats --exact` output (the last run), the
# service or real server NAME ("FWM  2", "TCP  10.0.0.1:82", "-> 172.16.1.2:0") has the
# counters VALUES (Conns InPkts OutPkts InBytes OutBytes, as many as given).
stats_are() {
    local line rest f
    while IFS= read -r line; do
        read -r rest <<< "$line"
        [[ $rest == "$1 "* ]] || continue
        read -ra f <<< "${rest#"$1"}"
        [[ "${f[*]} " == "$2 "* ]] && return 0
        echo "$1: ${f[*]}, not $2"
        return 1
    done <<< "$last_out"
    echo "$1 not listed"
    return 1
}

shared_topology

cat > /tmp/fwm.nft <<'NFT'
table ip ipvs_marks {
    chain pre {
        type filter hook prerouting priority -150;
        ip daddr 10.0.0.1 tcp dport { 80, 81 } meta mark set 1
        ip daddr 10.0.0.1 udp dport 53 meta mark set 2
    }
}
NFT
run d nft -f /tmp/fwm.nft
expect "marking rules loaded" ok
cat > /tmp/fwm-rules <<'RULES'
-A -f 1 -s rr
-a -f 1 -r 172.16.1.2 -m -w 1
-a -f 1 -r 172.16.2.2 -m -w 1
-A -f 2 -s rr
-a -f 2 -r 172.16.1.2 -m -w 1
-a -f 2 -r 172.16.2.2 -m -w 1
-A -t 10.0.0.1:81 -s rr
-a -t 10.0.0.1:81 -r 172.16.1.2:81 -m -w 1
-A -t 10.0.0.1:82 -s rr
-a -t 10.0.0.1:82 -r 172.16.2.2:82 -m -w 1
RULES
run d sh -c "ipvsadm -R < /tmp/fwm-rules"
expect "services restored" ok
run in_ns nat-cli $py "$traffic_py" batch "tcp 4 10.0.0.1 80" "tcp 4 10.0.0.1 81" \
    "udp 4 10.0.0.1 53" "tcp 4 10.0.0.1 82"
expect "port 80 (mark 1) alternates, port 81 too (the mark, not 10.0.0.1:81), UDP 53 (mark 2) alternates, port 82 all to its one server" \
    out_is "$(printf '%s\n' "# tcp 4 10.0.0.1 80" "rs1: 2" "rs2: 2" "# tcp 4 10.0.0.1 81" \
        "rs1: 2" "rs2: 2" "# udp 4 10.0.0.1 53" "rs1: 2" "rs2: 2" "# tcp 4 10.0.0.1 82" "rs2: 4")"
settled nat-dir
run d ipvsadm -L -n
expect "4 services" out_lines 4 '(FWM|TCP) .*'
expect "the address service 10.0.0.1:81 got no connection" \
    out_line ' +-> 172\.16\.1\.2:81 +Masq +1 +0 +0 *'
# Counters compared whole: traffic.py's TCP exchange takes the same segments every run, 7 in
# (378 bytes) and 6 out (330 bytes) per connection.
run d ipvsadm -L -n --stats --exact
expect "mark 1: 8 connections (ports 80 and 81), 56/48 segments, 3024/2640 bytes" \
    stats_are "FWM  1" "8 56 48 3024 2640"
expect "10.0.0.1:82: 4 connections, 28/24 segments, 1512/1320 bytes" \
    stats_are "TCP  10.0.0.1:82" "4 28 24 1512 1320"
run d ipvsadm -L -n --stats --exact -f 2
# 4 datagrams "hello" (33 bytes) in, 4 answers "rs1" or "rs2" (31 bytes) out, half each.
expect "mark 2: 4 connections, 4 datagrams each way" stats_are "FWM  2" "4 4 4 132 124"
expect "mark 2: 2 of them through each server" eval \
    'stats_are "-> 172.16.1.2:0" "2 2 2 66 62" && stats_are "-> 172.16.2.2:0" "2 2 2 66 62"'
run conn_fields nat-dir 1 4 5 6 7
# Protocol, virtual address and port, real server and port: the port kept.
expect "mark 1 port 80: 2 connections per server" eval \
    "out_line ' *2 TCP 0A000001 0050 AC100102 0050' && out_line ' *2 TCP 0A000001 0050 AC100202 0050'"
expect "mark 1 port 81: 2 connections per server (none only to rs1:81)" eval \
    "out_line ' *2 TCP 0A000001 0051 AC100102 0051' && out_line ' *2 TCP 0A000001 0051 AC100202 0051'"
expect "mark 2 port 53: 2 connections per server" eval \
    "out_line ' *2 UDP 0A000001 0035 AC100102 0035' && out_line ' *2 UDP 0A000001 0035 AC100202 0035'"
expect "unmarked port 82: 4 connections to its server" out_line ' *4 TCP 0A000001 0052 AC100202 0052'
expect "nothing else" out_lines 7 ' *[0-9]+ .*'

shared_release
true
