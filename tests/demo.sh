#!/usr/bin/env bash
# `make demo`: load ipvs_rs in a guest and show stock ipvsadm talking to it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
show() { echo; echo "# $*"; "$@"; }

show insmod "$repo/ipvs_rs.ko"
show grep ipvs_rs /proc/modules
show ipvsadm -v
show ipvsadm -L -n
show ipvsadm -L --timeout
show ipvsadm --set 600 60 120
show ipvsadm -L --timeout
show cat /proc/net/ip_vs
show ls /proc/sys/net/ipv4/vs/
echo; echo "# a second network namespace has its own IPVS state"
ip netns add demo
show ip netns exec demo ipvsadm -L --timeout
ip netns del demo
show rmmod ipvs_rs
echo; echo "demo done"
