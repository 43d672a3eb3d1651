#!/usr/bin/env bash
# The kernel's own IPVS selftest, tools/testing/selftests/net/netfilter/ipvs.sh from the
# downloaded kernel source, unmodified, with ipvs_rs loaded.
#
# The script prints no per-case result, only a total, so it runs under `bash -x` and each
# case's outcome is read from the trace of its `errors=$(( errors + $? ))` line. All three
# cases (DR, NAT, Tunnel) must pass.
#
# The selftest gives the server's socat 0.2 s to start listening before the client connects,
# and the client 2 s in all. Under TCG with the debug kernel on a busy 2-core machine that race
# could be lost whichever IPVS module is loaded; qemu/run mounts the guest root with 9p's page
# cache, stops kmemleak's periodic scan, and warm() below reads every program first, so that it
# is not (6 of 6 runs passed with either module). The selftest runs once: a failure is a
# failure, and the trace of every failed case is printed so that its cause can be found.
# It still lost the race with the other guest busy (make check of ccfdbbd: Tunnel failed, the
# trace ending in the client's connect, while that guest ran scale-unload, lifecycle and
# reload, each 30-50% slower than in the run before on the same machine), so it runs alone: the
# other guest gets only the CPU time this one leaves, and starts no scenario meanwhile.
# alone: the selftest's 0.2 s server start and 2 s client need the host's cores to itself
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/tests/lib/impl.sh"
. "$repo/scripts/env.sh"
trace=/tmp/ipvs-selftest.log

run_selftest() {
    # The selftest loads ip_vs itself when no IPVS is there: without ipvs_rs it would test C.
    ipvs_load rs || { echo "loading ipvs_rs failed"; return 1; }
    (cd "$KSRC/tools/testing/selftests/net/netfilter" && bash -x ./ipvs.sh > "$trace" 2>&1)
    echo "ipvs.sh exit status: $?"
    if grep -q '^ip_vs ' /proc/modules || ! grep -q '^ipvs_rs ' /proc/modules; then
        echo "the selftest did not run against ipvs_rs alone"
        ipvs_unload
        return 1
    fi
    ipvs_unload
    # The trace has "Testing X mode..." before each case and "+ errors=N" after it.
    awk '/^Testing .* mode\.\.\.$/ { mode = $2 }
         /^\+ errors=[0-9]+$/ && mode != "" { n = substr($0, 10) + 0
             print mode ": " (n > prev ? "FAIL" : "PASS"); prev = n; mode = "" }' \
        "$trace" > /tmp/ipvs-selftest.results
    cat /tmp/ipvs-selftest.results
    local mode bad=0
    for mode in DR NAT Tunnel; do
        grep -qx "$mode: PASS" /tmp/ipvs-selftest.results && continue
        bad=1
        echo "---- trace of the $mode case"
        awk -v m="$mode" '$0 == "Testing " m " mode..." { on = 1 } on { print }
                          on && /^\+ errors=/ { exit }' "$trace" |
            grep -v '^+* *ip netns exec .* ip \(link\|addr\) ' | tail -n 40
    done
    return $bad
}

# The selftest's client gets 2 s, its own start included. A program's first start in a boot
# reads it and its libraries from the host (9p), which takes seconds in the debug guest: read
# every program the selftest runs once before.
warm() {
    local b p
    for b in socat ipvsadm ip timeout sysctl dd cmp mktemp xargs sleep modprobe; do
        p=$(command -v "$b") || continue
        cat "$p" $(ldd "$p" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }') > /dev/null
        "$b" --version > /dev/null 2>&1 || true
    done
}
warm
# `ipvsadm --version` above loads C's ip_vs when no IPVS module is loaded (as ipvsadm always
# does); with it loaded, ipvs_rs could not be.
ipvs_unload
run_selftest
