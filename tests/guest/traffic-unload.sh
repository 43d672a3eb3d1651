#!/usr/bin/env bash
# ipvs_rs is unloaded while NAT traffic (TCP connections and a UDP stream) flows through it:
# rmmod succeeds, the connections it had are freed (kmemleak) and the kernel log stays clean.
# Also: a namespace with services and connections is deleted while ipvs_rs stays loaded.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/tests/lib/impl.sh"
fail() { echo "FAIL: $*"; exit 1; }
py="/usr/bin/python3 -S"
traffic=$repo/tests/lib/traffic.py

topology() { # suffix
    local s=$1
    for ns in cli$s dir$s rs$s; do ip netns add $ns; ip -n $ns link set lo up; done
    ip link add c0 netns cli$s type veth peer name d0 netns dir$s
    ip link add d1 netns dir$s type veth peer name r0 netns rs$s
    ip -n cli$s addr add 10.0.0.2/24 dev c0; ip -n cli$s link set c0 up
    ip -n dir$s addr add 10.0.0.1/24 dev d0; ip -n dir$s link set d0 up
    ip -n dir$s addr add 172.16.0.1/24 dev d1; ip -n dir$s link set d1 up
    ip -n rs$s addr add 172.16.0.2/24 dev r0; ip -n rs$s link set r0 up
    ip -n rs$s route add default via 172.16.0.1
    ip netns exec dir$s sysctl -qw net.ipv4.ip_forward=1
    ip netns exec dir$s ipvsadm -A -t 10.0.0.1:8080 -s rr
    ip netns exec dir$s ipvsadm -a -t 10.0.0.1:8080 -r 172.16.0.2:8080 -m
    ip netns exec dir$s ipvsadm -A -u 10.0.0.1:8080 -s wlc
    ip netns exec dir$s ipvsadm -a -u 10.0.0.1:8080 -r 172.16.0.2:8080 -m
    ip netns exec rs$s $py "$traffic" server rs 8080 &
    sleep 1
}

ipvs_load rs
topology A
topology B
# Traffic that keeps going until stopped.
(while :; do ip netns exec cliA $py "$traffic" udp 20 10.0.0.1 8080 || true; done) >/dev/null 2>&1 &
udp=$!
(while :; do ip netns exec cliA $py "$traffic" tcp 5 10.0.0.1 8080 || true; done) >/dev/null 2>&1 &
tcp=$!
ip netns exec cliB $py "$traffic" tcp 5 10.0.0.1 8080 | grep -qx 'rs: 5' || fail "no NAT traffic in B"
sleep 2
conns=$(ip netns exec dirA sh -c 'tail -n +2 /proc/net/ip_vs_conn | wc -l')
[ "$conns" -gt 0 ] || fail "no connections in A"
echo "connections in A before unloading: some"
# A namespace with connections goes while the module stays.
ip netns del dirB
ip netns del cliB
rmmod ipvs_rs || fail "rmmod"
echo "unloaded under traffic"
kill $udp $tcp 2>/dev/null || true
wait $udp $tcp 2>/dev/null || true
kill $(jobs -p) 2>/dev/null || true
wait 2>/dev/null || true
for ns in cliA dirA rsA rsB; do ip netns del $ns; done
echo PASS
