#!/usr/bin/env bash
# The kernel's own IPVS selftest, tools/testing/selftests/net/netfilter/ipvs.sh from the
# downloaded kernel source, unmodified, with ipvs_rs loaded.
#
# The script prints no per-case result, only a total, so it runs under `bash -x` and each
# case's outcome is read from the trace of its `errors=$(( errors + $? ))` line. The NAT case
# must pass; direct routing and tunnelling come with the next part of the data plane, so their
# outcome is reported but not required yet.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/tests/lib/impl.sh"
. "$repo/scripts/env.sh"
ipvs_load rs
cd "$KSRC/tools/testing/selftests/net/netfilter" || exit 1
bash -x ./ipvs.sh > /tmp/ipvs-selftest.log 2>&1
echo "ipvs.sh exit status: $?"
cd "$repo"
ipvs_unload
# The trace has "Testing X mode..." before each case and "+ errors=N" after it.
awk '/^Testing .* mode\.\.\.$/ { mode = $2 }
     /^\+ errors=[0-9]+$/ && mode != "" { n = substr($0, 10) + 0
         print mode ": " (n > prev ? "FAIL" : "PASS"); prev = n; mode = "" }' \
    /tmp/ipvs-selftest.log > /tmp/ipvs-selftest.results
cat /tmp/ipvs-selftest.results
grep -qx 'NAT: PASS' /tmp/ipvs-selftest.results
