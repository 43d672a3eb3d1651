# The packet fuzzer's long form (tests/scenarios/pkt-fuzz.sh), a real round every 1000
# packets. Issue 14 asks for 10,000,000 packets, but the debug guest sends 55 to 160 a second
# (3000 took 19 s with a real round every 100, on a quiet host; a busy one was three times
# slower), so 10,000,000 would take 17 hours or more: 1,000,000 is what fits in the 3 hours
# below.
# timeout: 10800
PKT_FUZZ_COUNT=1000000
PKT_FUZZ_EVERY=1000
. "$(dirname "$0")/../scenarios/pkt-fuzz.sh"
