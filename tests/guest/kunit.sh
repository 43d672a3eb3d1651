#!/usr/bin/env bash
# ipvs_rs's KUnit suites (ipvs_rs/kunit.rs), which run when the module loads into the test
# kernel (CONFIG_KUNIT=y): every suite must report "ok" in the kernel log, none "not ok".
# tests/lib/run-guests reads the log before each test, so what is there is this test's.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/tests/lib/impl.sh"
ipvs_load rs || { echo "FAIL: insmod"; exit 1; }
rmmod ipvs_rs || { echo "FAIL: rmmod"; exit 1; }
ktap=$(dmesg | sed -n 's/^\[[ 0-9.]*\] *//p' | grep -E '^ *(KTAP|# Subtest|ok|not ok|1\.\.)')
echo "$ktap"
suites=$(grep -cE '^ok [0-9]+ ipvs_rs_' <<< "$ktap")
failed=$(grep -cE '^ *not ok ' <<< "$ktap")
[ "$failed" = 0 ] || { echo "FAIL: $failed KUnit results not ok"; exit 1; }
[ "$suites" -ge 1 ] || { echo "FAIL: no ipvs_rs KUnit suite reported ok"; exit 1; }
echo "kunit: $suites suites ok"
