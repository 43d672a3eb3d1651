# The control-plane fuzzer's long form: 1,000,000 requests (tests/scenarios/ctl-fuzz.sh).
# timeout: 10800
CTL_FUZZ_COUNT=1000000
. "$(dirname "$0")/../scenarios/ctl-fuzz.sh"
