#!/usr/bin/env bash
# ipvs_rs loads and unloads cleanly (twice), creates its /proc and sysctl entries in every
# namespace, including ones created after loading, and keeps each namespace's settings apart.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/tests/lib/impl.sh"
fail() { echo "FAIL: $*"; exit 1; }

for round in 1 2; do
    ipvs_load rs
    [ "$(cat /proc/sys/net/ipv4/vs/amemthresh)" = 1024 ] || fail "amemthresh default"
    [ "$(cat /proc/sys/net/ipv4/vs/snat_reroute)" = 1 ] || fail "snat_reroute default"
    head -n1 /proc/net/ip_vs | grep -qx 'IP Virtual Server version 1.2.1 (size=0)' || fail "/proc/net/ip_vs header"
    echo 5 > /proc/sys/net/ipv4/vs/sync_version 2>/dev/null && fail "sync_version accepted 5"

    ip netns add lifecycle
    ip netns exec lifecycle ipvsadm --set 11 12 13
    ip netns exec lifecycle sh -c 'echo 1 > /proc/sys/net/ipv4/vs/sloppy_tcp'
    [ "$(ip netns exec lifecycle ipvsadm -L --timeout)" = "Timeout (tcp tcpfin udp): 11 12 13" ] || fail "netns timeouts"
    [ "$(ipvsadm -L --timeout)" = "Timeout (tcp tcpfin udp): 900 120 300" ] || fail "init_net timeouts changed"
    [ "$(cat /proc/sys/net/ipv4/vs/sloppy_tcp)" = 0 ] || fail "init_net sysctl changed"
    ip netns exec lifecycle test -f /proc/net/ip_vs || fail "no /proc/net/ip_vs in new netns"
    # Services of one namespace are invisible in another, through netlink and sockopt alike.
    ip netns exec lifecycle ipvsadm -A -t 10.9.0.1:80 -s rr
    ipvsadm -A -u 10.9.0.2:53 -s wlc
    ip netns exec lifecycle ipvsadm -S -n | grep -qx -- '-A -t 10.9.0.1:80 -s rr' || fail "netns service missing"
    ip netns exec lifecycle ipvsadm -S -n | grep -q 10.9.0.2 && fail "init_net service visible in netns"
    ipvsadm -S -n | grep -q 10.9.0.1 && fail "netns service visible in init_net"
    [ "$(ip netns exec lifecycle python3 -S "$repo/tests/lib/sockopt.py" --probe | sed -n 2p)" = \
      "    010201000001000001000000" ] || fail "sockopt GET_INFO in netns"
    ipvsadm -C
    # Tear a namespace down while the module is loaded, the other one with the module.
    ip netns del lifecycle

    ip netns add lifecycle2
    ip netns exec lifecycle2 ipvsadm --set 21 22 23
    rmmod ipvs_rs
    ip netns del lifecycle2
    [ ! -e /proc/net/ip_vs ] || fail "/proc/net/ip_vs left behind"
    [ ! -e /proc/sys/net/ipv4/vs ] || fail "sysctl directory left behind"
    echo "round $round ok"
done
