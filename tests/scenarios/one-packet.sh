# One-packet scheduling (-o) of UDP: every datagram is scheduled on its own and leaves no
# connection behind, so datagrams from one client socket go to each real server in turn; the
# same service without -o keeps a socket on one server. Compared: answers per datagram, the
# listing with its "ops" flag, /proc/net/ip_vs, counters and the connection table (empty for
# the one-packet service).
. "$(dirname "$0")/../lib/scenario.sh"

py=/usr/bin/python3
traffic=$(realpath "$(dirname "$0")/../lib/traffic.py")
d() { ip netns exec ops-dir "$@"; }
c() { ip netns exec ops-cli "$@"; }

{
    for ns in ops-cli ops-dir ops-rs1 ops-rs2; do
        ip netns add $ns
        ip -n $ns link set lo up
    done
    ip link add cli0 netns ops-cli type veth peer name dir0 netns ops-dir
    ip -n ops-cli addr add 10.0.0.2/24 dev cli0
    ip -n ops-cli link set cli0 up
    ip -n ops-dir addr add 10.0.0.1/24 dev dir0
    ip -n ops-dir link set dir0 up
    for i in 1 2; do
        ip link add rs$i netns ops-dir type veth peer name eth0 netns ops-rs$i
        ip -n ops-dir addr add 172.16.$i.1/24 dev rs$i
        ip -n ops-dir link set rs$i up
        ip -n ops-rs$i addr add 172.16.$i.2/24 dev eth0
        ip -n ops-rs$i link set eth0 up
        ip -n ops-rs$i route add default via 172.16.$i.1
        rm -f /tmp/ops-ready$i
        TRAFFIC_READY=/tmp/ops-ready$i ip netns exec ops-rs$i $py "$traffic" server rs$i 53,54 &
    done
    d sysctl -qw net.ipv4.ip_forward=1
    until [ -e /tmp/ops-ready1 ] && [ -e /tmp/ops-ready2 ]; do sleep 0.2; done
} > /dev/null 2>&1

cat > /tmp/ops-rules <<'RULES'
-A -u 10.0.0.1:53 -s rr -o
-a -u 10.0.0.1:53 -r 172.16.1.2:53 -m
-a -u 10.0.0.1:53 -r 172.16.2.2:53 -m
-A -u 10.0.0.1:54 -s rr
-a -u 10.0.0.1:54 -r 172.16.1.2:54 -m
-a -u 10.0.0.1:54 -r 172.16.2.2:54 -m
RULES
run d sh -c "ipvsadm -R < /tmp/ops-rules"
run c $py "$traffic" batch "udp-connected 4 10.0.0.1 53" "udp-connected 4 10.0.0.1 54" \
    "udp 4 10.0.0.1 53"
# C's exported counters are refreshed every 2 s.
sleep 3
run d ipvsadm -L -n
# The service lines of /proc/net/ip_vs, with C's "ops" marker (C lists in hash order: sorted).
run d sh -c 'grep "^UDP" /proc/net/ip_vs | sort'
run d ipvsadm -L -n --stats --exact
run d sh -c 'tail -n +2 /proc/net/ip_vs_conn | awk "{ print \$1, \$4, \$5, \$6, \$7 }" | sort | uniq -c'

{
    kill $(jobs -p) 2>/dev/null
    wait
    for ns in ops-cli ops-dir ops-rs1 ops-rs2; do ip netns del $ns; done
} > /dev/null 2>&1
true
