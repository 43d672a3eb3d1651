# Packet fuzzer, short form (tests/fuzz/pkt-fuzz.py; `make soak` runs the long one,
# tests/soak/pkt-fuzz-long.sh): malformed and unusual IPv4/IPv6 packets from the client's
# interface to the director, seeded, with real TCP connections and UDP requests interleaved
# (every one must be answered, and the TCP connection held between two real rounds must still
# work). What IPVS counted (connections, and packets where timing does not decide them) and the
# real client's connections must equal C's.
#
# The director (NAT services TCP, UDP and SCTP on port 8080 of 10.0.0.1 and 2001:db8::1, two
# real servers; IPv4 services on 8081 IP-IP, 8082 GUE, 8083 GRE and 8084 DR, so that ICMP errors
# about tunnel packets and the DR path have somewhere to go) gets the fuzzed packets from
# addresses no host has (10.1.0.0/16, 2001:db8:1::/64): it routes them to the client, which
# does not forward them, and the real servers drop them (and the director's tunnel packets)
# before any socket sees them. So no fuzzed packet is ever answered, and only the fuzzer's own
# packets reach IPVS from those addresses, in the order they were sent.
#
# Left out of the comparison, because they vary between runs of C itself:
# - TCP packet and byte counters (how many ACK and FIN segments a real connection takes
#   depends on timing, as in nat-traffic), and so the packet totals of /proc/net/ip_vs_stats;
# - connections opened by fuzzed packets, and by the real rounds but the last, in the table at
#   the end: they expire after 2 s to 5 min by their state, so how many are left depends on
#   how long the run took. Their number is in the Conns counters, which are compared.
. "$(dirname "$0")/../lib/scenario.sh"
fuzz=$(dirname "$0")/../fuzz/pkt-fuzz.py
# 4000 packets take about 25 s in the debug guest, when the host is not busy (3000 took 19 s,
# about 160 a second with the real rounds; a busy host made that 55 a second).
count=${PKT_FUZZ_COUNT:-4000}
# A real round (4 requests, and checking the held connections) every this many packets.
every=${PKT_FUZZ_EVERY:-100}

d() { in_ns pf-dir "$@"; }
c() { in_ns pf-cli "$@"; }

nat_topology pf 2 8080 "10.0.0.2" "10.0.0.1"
# Fixed link addresses: the fuzzer writes Ethernet headers itself (an AF_PACKET socket:
# IP_HDRINCL sockets would correct total lengths and checksums).
printf '%s\n' "link set cli0 down" "link set cli0 address 02:00:00:00:00:02" "link set cli0 up" |
    ip_batch pf-cli
printf '%s\n' "link set dir0 down" "link set dir0 address 02:00:00:00:00:01" "link set dir0 up" \
    "route add 10.1.0.0/16 via 10.0.0.2" | ip_batch pf-dir
nat_topology_ipv6 pf 2
echo "route add 2001:db8:1::/64 via 2001:db8::2" | ip_batch pf-dir
# Spoofed replies of real servers come in on dir0.
setup d sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.dir0.rp_filter=0
for i in 1 2; do
    setup in_ns pf-rs$i nft -f - <<NFT
table inet pkt_fuzz {
    chain input {
        type filter hook input priority 0;
        ip saddr { 10.1.0.0/16, 172.16.$i.1 } drop
        ip6 saddr 2001:db8:1::/64 drop
    }
}
NFT
done

cat > /tmp/pf-rules <<RULES
-A -t 10.0.0.1:8080 -s rr
-a -t 10.0.0.1:8080 -r 172.16.1.2:8080 -m
-a -t 10.0.0.1:8080 -r 172.16.2.2:8080 -m
-A -u 10.0.0.1:8080 -s rr
-a -u 10.0.0.1:8080 -r 172.16.1.2:8080 -m
-a -u 10.0.0.1:8080 -r 172.16.2.2:8080 -m
-A --sctp-service 10.0.0.1:8080 -s rr
-a --sctp-service 10.0.0.1:8080 -r 172.16.1.2:8080 -m
-a --sctp-service 10.0.0.1:8080 -r 172.16.2.2:8080 -m
-A -t [2001:db8::1]:8080 -s rr
-a -t [2001:db8::1]:8080 -r [fd00:1::2]:8080 -m
-a -t [2001:db8::1]:8080 -r [fd00:2::2]:8080 -m
-A -u [2001:db8::1]:8080 -s rr
-a -u [2001:db8::1]:8080 -r [fd00:1::2]:8080 -m
-a -u [2001:db8::1]:8080 -r [fd00:2::2]:8080 -m
-A --sctp-service [2001:db8::1]:8080 -s rr
-a --sctp-service [2001:db8::1]:8080 -r [fd00:1::2]:8080 -m
-a --sctp-service [2001:db8::1]:8080 -r [fd00:2::2]:8080 -m
-A -t 10.0.0.1:8081 -s rr
-a -t 10.0.0.1:8081 -r 172.16.1.2 -i
-A -u 10.0.0.1:8081 -s rr
-a -u 10.0.0.1:8081 -r 172.16.1.2 -i
-A -t 10.0.0.1:8082 -s rr
-a -t 10.0.0.1:8082 -r 172.16.2.2 -i --tun-type gue --tun-port 6080
-A -u 10.0.0.1:8082 -s rr
-a -u 10.0.0.1:8082 -r 172.16.2.2 -i --tun-type gue --tun-port 6080
-A -t 10.0.0.1:8083 -s rr
-a -t 10.0.0.1:8083 -r 172.16.2.2 -i --tun-type gre
-A -u 10.0.0.1:8083 -s rr
-a -u 10.0.0.1:8083 -r 172.16.2.2 -i --tun-type gre
-A -t 10.0.0.1:8084 -s rr
-a -t 10.0.0.1:8084 -r 172.16.1.2 -g
-A -u 10.0.0.1:8084 -s rr
-a -u 10.0.0.1:8084 -r 172.16.1.2 -g
RULES
run d sh -c "ipvsadm -R < /tmp/pf-rules"
expect "the services are configured" rc_is 0

# Packets the kernel dropped for want of room in a CPU's backlog queue (second column of
# /proc/net/softnet_stat, hex): a drop there would make counters depend on timing.
backlog_drops() {
    local f n=0
    while read -ra f; do n=$((n + 16#${f[1]})); done < /proc/net/softnet_stat
    echo $n
}
drops=$(backlog_drops)

seed=${PKT_FUZZ_SEED:-1}
run c $py "$fuzz" --seed $seed --count $count --every $every --final 4
expect "all $count packets sent, every real request answered (the held connections still working)" \
    out_line "packets: $count sent \\(seed $seed\\); real requests: [1-9][0-9]* answered, 0 failed"
expect "no send failed" out_lines 0 'send error: .*'
expect "every kind of packet sent" out_lines 0 ' +0 [a-z0-9-]+'
expect "the last 4 TCP connections and UDP requests per family answered" \
    out_lines 4 '  final (tcp|udp)[46]: 4 answered, 0 failed'
# How many real requests of each kind were answered.
declare -A answered
answers() {
    local line re='^  ([a-z0-9]+): ([0-9]+) answered, 0 failed$'
    while IFS= read -r line; do
        [[ $line =~ $re ]] && answered[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
    done <<< "$last_out"
    for k in tcp4 udp4 tcp6 udp6; do
        [ "${answered[$k]:-0}" -gt 0 ] || { echo "no $k request answered"; return 1; }
    done
}
expect "real TCP and UDP requests answered over IPv4 and IPv6" answers
backlog_unchanged() {
    [ "$(backlog_drops)" = "$drops" ] || { echo "backlog drops: $drops before, $(backlog_drops) after"; return 1; }
}
expect "no packet dropped from a full backlog queue" backlog_unchanged

settled pf-dir
# svc_stat_ge "PROTO VIP:PORT" [RS:PORT] FIELD MIN: in the listing below (the last run), field
# FIELD (1 Conns, 2 InPkts, 3 OutPkts, ...) of the service, or of its real server RS:PORT, is at
# least MIN.
svc_stat_ge() {
    local svc=$1 rs=$2 field=$3 min=$4 line f cur=
    while IFS= read -r line; do
        read -ra f <<< "$line"
        case ${f[0]} in
            TCP | UDP | SCTP) cur="${f[0]} ${f[1]}"; f=("${f[@]:1}") ;;
            "->") f=("${f[@]:1}") ;;
            *) continue ;;
        esac
        [ "$cur" = "$svc" ] && [ "${f[0]}" = "${rs:-${svc#* }}" ] || continue
        [ "${f[$field]}" -ge "$min" ] 2> /dev/null && return 0
        echo "$svc ${rs:+$rs }field $field is ${f[$field]}, not >= $min"
        return 1
    done <<< "$last_out"
    echo "$svc ${rs:+$rs }not listed"
    return 1
}
# Every service and real server, TCP ones cut after Conns. The version line is left out: it
# holds the connection table's size, not what the packets did (other scenarios show it).
run d sh -c 'ipvsadm -L -n --stats --exact |
    awk "NR > 1 && /^[A-Z]/ { p = \$1 } NR > 1 { print (p == \"TCP\" ? substr(\$0, 1, 42) : \$0) }"'
for v in 10.0.0.1:8080 [2001:db8::1]:8080; do
    [ "$v" = 10.0.0.1:8080 ] && t=4 || t=6
    expect "TCP $v counted every real connection" svc_stat_ge "TCP $v" "" 1 "${answered[tcp$t]}"
    expect "UDP $v counted every real request (Conns)" svc_stat_ge "UDP $v" "" 1 "${answered[udp$t]}"
    expect "UDP $v counted every real request (InPkts)" svc_stat_ge "UDP $v" "" 2 "${answered[udp$t]}"
    expect "UDP $v counted every answer (OutPkts)" svc_stat_ge "UDP $v" "" 3 "${answered[udp$t]}"
    expect "SCTP $v scheduled fuzzed INITs" svc_stat_ge "SCTP $v" "" 1 1
done
for rs in 172.16.1.2:8080 172.16.2.2:8080; do
    expect "TCP 10.0.0.1:8080: real server $rs scheduled (rr)" svc_stat_ge "TCP 10.0.0.1:8080" $rs 1 1
    expect "UDP 10.0.0.1:8080: real server $rs answered (rr)" svc_stat_ge "UDP 10.0.0.1:8080" $rs 3 1
done
for rs in [fd00:1::2]:8080 [fd00:2::2]:8080; do
    expect "TCP [2001:db8::1]:8080: real server $rs scheduled (rr)" \
        svc_stat_ge "TCP [2001:db8::1]:8080" $rs 1 1
    expect "UDP [2001:db8::1]:8080: real server $rs answered (rr)" \
        svc_stat_ge "UDP [2001:db8::1]:8080" $rs 3 1
done
for p in 8081 8082 8083 8084; do
    expect "TCP 10.0.0.1:$p scheduled fuzzed SYNs" svc_stat_ge "TCP 10.0.0.1:$p" "" 1 1
    expect "UDP 10.0.0.1:$p scheduled fuzzed datagrams" svc_stat_ge "UDP 10.0.0.1:$p" "" 1 1
done
# Totals: connections only (packet totals include TCP's).
run d sh -c 'head -n 3 /proc/net/ip_vs_stats | cut -c1-8'
total_conns() {
    local line
    line=$(tail -n 1 <<< "$last_out")
    local n=$((16#${line// /}))
    local min=$((answered[tcp4] + answered[udp4] + answered[tcp6] + answered[udp6]))
    [ "$n" -ge "$min" ] || { echo "$n connections in all, not >= $min"; return 1; }
}
expect "the total counts every real connection" total_conns

# The connections of the fuzzer's last real requests (from the client's ports 9000 to 9003,
# used by nothing else) by protocol, client, real server and state. Those of the earlier rounds
# are left out: a TCP connection leaves the table 2 minutes after it closed, so how many of
# them are left depends on how long the run took (C against itself differs in a slow guest).
real_conns() {
    d awk 'NR > 1 && ($2 == "0A000002" || $2 == "2001:0db8:0000:0000:0000:0000:0000:0002") &&
        $3 ~ /^232[89AB]$/ { print $1, $2, $6, $8 }' /proc/net/ip_vs_conn | sort | uniq -c
}
run real_conns
conns_of() { # PROTO ADDR STATE N: the table holds N connections of PROTO from ADDR in STATE
    local line f n=0
    while IFS= read -r line; do
        read -ra f <<< "$line"
        [ "${f[1]}" = "$1" ] && [ "${f[2]}" = "$2" ] && [ "${f[4]}" = "$3" ] && n=$((n + f[0]))
    done <<< "$last_out"
    [ "$n" = "$4" ] || { echo "$n $1 $3 connections from $2, not $4"; return 1; }
}
expect "4 closed TCP connections from 10.0.0.2 in TIME_WAIT" conns_of TCP 0A000002 TIME_WAIT 4
expect "4 closed TCP connections from 2001:db8::2 in TIME_WAIT" \
    conns_of TCP 2001:0db8:0000:0000:0000:0000:0000:0002 TIME_WAIT 4
expect "4 UDP connections from 10.0.0.2" conns_of UDP 0A000002 UDP 4
expect "4 UDP connections from 2001:db8::2" conns_of UDP 2001:0db8:0000:0000:0000:0000:0000:0002 UDP 4

topology_del pf
true
