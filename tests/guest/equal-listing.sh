#!/usr/bin/env bash
# The issue's acceptance check, in one boot: `ipvsadm -L -n` prints the same with either module.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/tests/lib/impl.sh"
ipvs_load c; c=$(ipvsadm -L -n); ipvs_unload
ipvs_load rs; rs=$(ipvsadm -L -n); ipvs_unload
printf '%s\n' "$rs"
[ "$c" = "$rs" ] || { echo "FAIL: differs from C:"; printf '%s\n' "$c"; exit 1; }
