#!/usr/bin/env bash
# SERVICES (100 here, `make soak` 1000) services x 10 real servers in each of two namespaces,
# then rmmod with both namespaces still configured: everything must be freed (tests/lib/run-guests
# checks kmemleak and the kernel log). Each service is a netlink round trip of its own, slow in
# the debug guest: 1000 took 470 s of make check's budget, 250 took 203 s.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/tests/lib/impl.sh"
fail() { echo "FAIL: $*"; exit 1; }
services=${1:-100}

ipvs_load rs
# The two namespaces are filled at once: each `ipvsadm -R` line is a netlink round trip of its
# own, slow in a debug guest, and the guest has two CPUs.
fill() { # namespace
    ip netns add $1
    # Real servers must be routable: a namespace has no local routing table until lo is up.
    ip netns exec $1 ip link set lo up
    "$repo/tests/lib/gen-rules" "$services" 10 | ip netns exec $1 ipvsadm -R
}
fill scale1 & one=$!
fill scale2 & two=$!
wait $one || fail "filling scale1"
wait $two || fail "filling scale2"
for ns in scale1 scale2; do
    list=$(ip netns exec $ns ipvsadm -L -n)
    n=$(grep -c '^TCP' <<< "$list")
    d=$(grep -c -- '->.*Masq' <<< "$list")
    [ "$n" = "$services" ] && [ "$d" = $((services * 10)) ] || fail "$ns lists $n services, $d servers"
    echo "$ns: $n services, $d real servers"
done
[ "$(ipvsadm -L -n | grep -c '^TCP' || true)" = 0 ] || fail "init_net sees other namespaces' services"
rmmod ipvs_rs
ip netns del scale1
ip netns del scale2
echo "scale-unload: $services services x 10 real servers in each of two namespaces, all freed by rmmod"
