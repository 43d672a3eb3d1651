# The control-plane fuzzer's long form, part 2 of 4: 2 x 125,000 requests
# (tests/soak/lib/ctl-fuzz-runs.sh).
# timeout: 7200
seeds="3 4" count=125000
. "$(dirname "$0")/lib/ctl-fuzz-runs.sh"
