# The packet fuzzer's long form (tests/scenarios/pkt-fuzz.sh), a real round every 1000
# packets. Issue 14 asks for 10,000,000 packets, but the debug guest sends about 160 a second
# (3000 took 19 s with a real round every 100), so 10,000,000 would take about 17 hours:
# 1,500,000 is what fits in the 3 hours below. The real client's connection table is left
# out: in a run of hours its TIME_WAIT connections expire as it goes on, so how many are left
# depends on timing.
# timeout: 10800
PKT_FUZZ_COUNT=1500000
PKT_FUZZ_EVERY=1000
PKT_FUZZ_TABLE=no
. "$(dirname "$0")/../scenarios/pkt-fuzz.sh"
