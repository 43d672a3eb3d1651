#!/usr/bin/env bash
# ipvs_rs's KUnit suites (ipvs_rs/kunit.rs): every suite must report "ok", none "not ok".
# The guests boot with kunit.autorun=0 (qemu/run), so the suites do not run at each of the
# scenarios' module loads (they take seconds); this test runs each through its debugfs "run"
# file and reads its "results" (KTAP).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/tests/lib/impl.sh"
kunit=/sys/kernel/debug/kunit
ipvs_load rs || { echo "FAIL: insmod"; exit 1; }
suites=0 failed=0
for d in "$kunit"/ipvs_rs_*/; do
    [ -e "$d/run" ] || continue
    echo run > "$d/run"
    ktap=$(cat "$d/results")
    echo "$ktap"
    suites=$((suites + 1))
    grep -Eq "^ok 1 $(basename "$d")\$" <<< "$ktap" || failed=$((failed + 1))
    failed=$((failed + $(grep -cE '^ *not ok ' <<< "$ktap")))
done
rmmod ipvs_rs || { echo "FAIL: rmmod"; exit 1; }
[ "$failed" = 0 ] || { echo "FAIL: $failed KUnit results not ok"; exit 1; }
[ "$suites" -ge 1 ] || { echo "FAIL: no ipvs_rs KUnit suite under $kunit"; exit 1; }
echo "kunit: $suites suites ok"
