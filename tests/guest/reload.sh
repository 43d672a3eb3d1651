#!/usr/bin/env bash
# Repeated module reload: CYCLES times (3 here, `make soak` 100) ipvs_rs is loaded, given 20
# services x 5 real servers in a namespace with a NAT path, carries TCP and UDP traffic to all
# of them, and is unloaded with everything still configured and connections in its table.
# Each cycle must see every request answered and the table filled; the kernel log and kmemleak
# (read per test by tests/lib/run-guests) must stay clean.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/tests/lib/impl.sh"
cycles=${RELOAD_CYCLES:-${1:-3}}
fail() { echo "FAIL: $*"; exit 1; }
py="/usr/bin/python3 -S"
traffic=$repo/tests/lib/traffic.py

# One client, one director, five real servers 172.16.0.2-6 on one link, all serving ports
# 8000-8019 (TCP and UDP); services 10.0.0.1:8000-8019.
ip -force -batch - <<'EOF2'
netns add rl-cli
netns add rl-dir
netns add rl-rs
link add c0 netns rl-cli type veth peer name d0 netns rl-dir
link add d1 netns rl-dir type veth peer name r0 netns rl-rs
EOF2
ip -n rl-cli -batch - <<'EOF2'
link set lo up
addr add 10.0.0.2/24 dev c0
link set c0 up
EOF2
ip -n rl-dir -batch - <<'EOF2'
link set lo up
addr add 10.0.0.1/24 dev d0
link set d0 up
addr add 172.16.0.1/24 dev d1
link set d1 up
EOF2
{
    echo "link set lo up"
    for j in 2 3 4 5 6; do echo "addr add 172.16.0.$j/24 dev r0"; done
    echo "link set r0 up"
    echo "route add default via 172.16.0.1"
} | ip -n rl-rs -batch -
ip netns exec rl-dir sysctl -qw net.ipv4.ip_forward=1
ports=$(seq -s, 8000 8019)
rm -f /tmp/rl-ready
TRAFFIC_READY=/tmp/rl-ready ip netns exec rl-rs $py "$traffic" server rs "$ports" \
    > /tmp/rl-server.log 2>&1 &
server=$!
for i in $(seq 300); do [ -e /tmp/rl-ready ] && break; sleep 0.2; done
[ -e /tmp/rl-ready ] || fail "the real server did not start: $(cat /tmp/rl-server.log)"

rules() {
    for p in $(seq 8000 8019); do
        echo "-A -t 10.0.0.1:$p -s rr"
        echo "-A -u 10.0.0.1:$p -s wrr"
        for j in 2 3 4 5 6; do
            echo "-a -t 10.0.0.1:$p -r 172.16.0.$j:$p -m"
            echo "-a -u 10.0.0.1:$p -r 172.16.0.$j:$p -m -w $j"
        done
    done
}
rules > /tmp/rl-rules

for cycle in $(seq "$cycles"); do
    ipvs_load rs || fail "cycle $cycle: insmod"
    ip netns exec rl-dir ipvsadm -R < /tmp/rl-rules || fail "cycle $cycle: ipvsadm -R"
    n=$(ip netns exec rl-dir ipvsadm -L -n | grep -c -- '->.*Masq')
    [ "$n" = 200 ] || fail "cycle $cycle: $n real servers listed, not 200"
    # One batch of requests through every service (one Python start per cycle).
    cmds=()
    for p in 8000 8007 8013 8019; do cmds+=("tcp 5 10.0.0.1 $p" "udp 5 10.0.0.1 $p"); done
    out=$(ip netns exec rl-cli $py "$traffic" batch "${cmds[@]}")
    answered=$(awk '/^rs: / { n += $2 } END { print n + 0 }' <<< "$out")
    [ "$answered" = 40 ] || fail "cycle $cycle: $answered of 40 requests answered: $out"
    conns=$(ip netns exec rl-dir sh -c 'tail -n +2 /proc/net/ip_vs_conn | wc -l')
    [ "$conns" -ge 40 ] || fail "cycle $cycle: $conns connections in the table"
    rmmod ipvs_rs || fail "cycle $cycle: rmmod"
    [ ! -e /proc/net/ip_vs ] || fail "cycle $cycle: /proc/net/ip_vs left behind"
    [ $((cycle % 10)) = 0 ] || [ "$cycle" = "$cycles" ] && echo "cycle $cycle: 40 of 40 answered, $conns connections, unloaded"
done
kill $server 2> /dev/null || true
wait 2> /dev/null || true
for ns in rl-cli rl-dir rl-rs; do ip netns del $ns; done
echo "reload: $cycles cycles, every request answered, no module left"
