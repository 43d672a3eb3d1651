# Persistence: connection templates bind a client (or its network) to one real server.
# - 10.0.0.1:80, persistent with the default netmask: each client address keeps its server;
# - 10.0.0.1:81, persistent for 255.255.255.0: the three clients share one server;
# - firewall mark 5 (TCP ports 82 and 83, marked by nftables), persistent: a client's
#   connections to both ports go to the same server;
# - 10.0.0.3 port 0, persistent: every port of the address (84 and 85 here) follows one
#   template per client;
# - UDP 10.0.0.1:53, persistent for 3 s with a UDP timeout of 2 s: datagrams stick to one
#   server, and once the template has expired the next goes to the next server.
# All real servers have weight 1 under rr, so a fresh template would move a client on.
# Compared: answers per service, the listing with persistent-connection counts, and every
# connection and template in /proc/net/ip_vs_conn (without the seconds left).
#
# Expected (ip_vs_core.c ip_vs_sched_persist): a service's first template of each client
# (network) is scheduled by rr, which starts at the first listed real server: the last added,
# rs3, then rs2, rs1. The sweep's clients come in turn 10.0.0.11, .12, .13, so they get rs3,
# rs2 and rs1 wherever each has a template of its own. Templates: <TCP, client net, 0, VIP,
# port> with the real server's port for a service with a port, <IP, client, 0, mark, 0> for a
# mark service, <TCP, client, 0, VIP, 0> for a port-0 service, each counted once in the real
# server's PersistConn.
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns nat-dir "$@"; }
c() { in_ns nat-cli "$@"; }
# ok: the last command succeeded and printed nothing.
ok() { rc_is 0 && out_is ''; }

shared_topology
# The client's unbound sockets leave from 10.0.0.11, the first of the clients.
echo "route replace 10.0.0.0/24 dev cli0 proto kernel scope link src 10.0.0.11" | ip_batch nat-cli
shared_undo nat-cli "route replace 10.0.0.0/24 dev cli0 proto kernel scope link src 10.0.0.2"

cat > /tmp/per.nft <<'NFT'
table ip ipvs_marks {
    chain pre {
        type filter hook prerouting priority -150;
        tcp dport { 82, 83 } meta mark set 5
    }
}
NFT
run d nft -f /tmp/per.nft
expect "marking rules loaded" ok
rules=/tmp/per-rules
{
    echo "-A -t 10.0.0.1:80 -s rr -p 60"
    echo "-A -t 10.0.0.1:81 -s rr -p 60 -M 255.255.255.0"
    echo "-A -f 5 -s rr -p 60"
    echo "-A -t 10.0.0.3:0 -s rr -p 60"
    echo "-A -u 10.0.0.1:53 -s rr -p 3"
    for i in 1 2 3; do
        echo "-a -t 10.0.0.1:80 -r 172.16.$i.2:80 -m"
        echo "-a -t 10.0.0.1:81 -r 172.16.$i.2:81 -m"
        echo "-a -f 5 -r 172.16.$i.2 -m"
        echo "-a -t 10.0.0.3:0 -r 172.16.$i.2 -m"
        echo "-a -u 10.0.0.1:53 -r 172.16.$i.2:53 -m"
    done
} > $rules
run d sh -c "ipvsadm -R < $rules && ipvsadm --set 0 0 2"
expect "services restored, UDP timeout set" ok

ctl=/tmp/per-sweep
setup mkdir -p $ctl
setup rm -f $ctl/ready $ctl/stop $ctl/out
targets=(10.0.0.1:80 10.0.0.1:81 10.0.0.1:82 10.0.0.1:83 10.0.0.3:84 10.0.0.3:85)
c $py "$traffic_py" sweep 6 10.0.0.11,10.0.0.12,10.0.0.13 $ctl "${targets[@]}" > $ctl/out 2>&1 &
sweep=$!
wait_ready $ctl/out $ctl/ready
shown "sweep 6 connections from 3 clients through each target" cat $ctl/out
expect "each client address keeps its server (10.0.0.1:80)" \
    out_line '10\.0\.0\.1:80: rs1 2, rs2 2, rs3 2'
expect "one /24 network, one server (10.0.0.1:81)" out_line '10\.0\.0\.1:81: rs3 6'
expect "mark 5 (ports 82, 83) shares each client's template" \
    eval "out_line '10\.0\.0\.1:82: rs1 2, rs2 2, rs3 2' &&
        out_line '10\.0\.0\.1:83: rs1 2, rs2 2, rs3 2'"
expect "port 0 (ports 84, 85) shares each client's template" \
    eval "out_line '10\.0\.0\.3:84: rs1 2, rs2 2, rs3 2' &&
        out_line '10\.0\.0\.3:85: rs1 2, rs2 2, rs3 2'"
run d ipvsadm -L -n --persistent-conn
# Weight, PersistConn, ActiveConn, InActConn.
expect "10.0.0.1:80: one template and 2 connections per server" \
    out_lines 3 ' +-> 172\.16\.[123]\.2:80 +1 +1 +2 +0 *'
expect "10.0.0.1:81: one template, 6 connections, all on rs3" eval \
    "out_line ' +-> 172\.16\.3\.2:81 +1 +1 +6 +0 *' &&
        out_lines 2 ' +-> 172\.16\.[12]\.2:81 +1 +0 +0 +0 *'"
expect "mark 5 and 10.0.0.3:0: one template and 4 connections per server each" \
    out_lines 6 ' +-> 172\.16\.[123]\.2:0 +1 +1 +4 +0 *'
expect "UDP 53 unused so far" out_lines 3 ' +-> 172\.16\.[123]\.2:53 +1 +0 +0 +0 *'
# Each connection and template: protocol, client, virtual address or mark, server, state.
conns() {
    run d sh -c 'tail -n +2 /proc/net/ip_vs_conn | awk "{ print \$1, \$2, \$3, \$4, \$5, \$6, \$7, \$8 }" | sort'
}
conns
expect "36 connections, all established" out_lines 36 'TCP 0A00000[BCD] 7[0-9A-F]{3} .* ESTABLISHED'
# to VIP PORT SERVER_PORT: each client's 2 connections to VIP:PORT went to its server (10.0.0.11
# to rs3, .12 to rs2, .13 to rs1), on SERVER_PORT.
to() {
    local c
    for c in B:3 C:2 D:1; do
        out_lines 2 "TCP 0A00000${c%:*} 7[0-9A-F]{3} $1 $2 AC100${c#*:}02 $3 ESTABLISHED" ||
            { echo "(client 0A00000${c%:*})"; return 1; }
    done
}
expect "10.0.0.1:80: each client on its server" to 0A000001 0050 0050
expect "mark 5, port 82: each client on its server (the port kept)" to 0A000001 0052 0052
expect "mark 5, port 83: the same server" to 0A000001 0053 0053
expect "10.0.0.3 port 84: each client on its server" to 0A000003 0054 0054
expect "10.0.0.3 port 85: the same server" to 0A000003 0055 0055
expect "10.0.0.1:81: all 6 on rs3" out_lines 6 'TCP 0A00000[BCD] 7[0-9A-F]{3} 0A000001 0051 AC100302 0051 ESTABLISHED'
expect "10 templates" out_lines 10 '(TCP|IP) [0-9A-F]{8} 0000 .*'
expect "templates of 10.0.0.1:80 per client" eval \
    "out_line 'TCP 0A00000B 0000 0A000001 0050 AC100302 0050 [A-Z]+' &&
        out_line 'TCP 0A00000C 0000 0A000001 0050 AC100202 0050 [A-Z]+' &&
        out_line 'TCP 0A00000D 0000 0A000001 0050 AC100102 0050 [A-Z]+'"
expect "one template of 10.0.0.1:81 for the network 10.0.0.0/24" \
    out_line 'TCP 0A000000 0000 0A000001 0051 AC100302 0051 [A-Z]+'
expect "templates of mark 5 per client" eval \
    "out_line 'IP 0A00000B 0000 00000005 0000 AC100302 0000 [A-Z]+' &&
        out_line 'IP 0A00000C 0000 00000005 0000 AC100202 0000 [A-Z]+' &&
        out_line 'IP 0A00000D 0000 00000005 0000 AC100102 0000 [A-Z]+'"
expect "templates of 10.0.0.3:0 per client" eval \
    "out_line 'TCP 0A00000B 0000 0A000003 0000 AC100302 0000 [A-Z]+' &&
        out_line 'TCP 0A00000C 0000 0A000003 0000 AC100202 0000 [A-Z]+' &&
        out_line 'TCP 0A00000D 0000 0A000003 0000 AC100102 0000 [A-Z]+'"
setup touch $ctl/stop
wait $sweep

# UDP: three datagrams stick; after the template (3 s) and the connections (2 s) have
# expired, the next three go to the next server.
run c $py "$traffic_py" udp 3 10.0.0.1 53
expect "3 datagrams from new sockets stick to rs3" out_is 'rs3: 3'
sleep 6
run c $py "$traffic_py" udp 3 10.0.0.1 53
expect "after the template expired, the next server: rs2" out_is 'rs2: 3'
# Listed once rs2's template and connections have expired too: right after the datagrams, what
# is left of them depends on how long the listing took to start (on a loaded host, one guest
# still listed rs2's template and the other no longer did).
sleep 5
run d ipvsadm -L -n --persistent-conn -u 10.0.0.1:53
expect "rs3's template and connections are gone" out_line ' +-> 172\.16\.3\.2:53 +1 +0 +0 +0 *'
expect "rs2's are gone 3 s after its last datagram" out_line ' +-> 172\.16\.2\.2:53 +1 +0 +0 +0 *'
expect "rs1 never used" out_line ' +-> 172\.16\.1\.2:53 +1 +0 +0 +0 *'

shared_release
true
