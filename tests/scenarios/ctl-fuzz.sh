# Control-plane fuzzer, short form (tests/fuzz/ctl-fuzz.py; `make soak` runs the long one):
# valid and mutated requests of every generic netlink command and socket option, seeded. The
# outcome histogram, the digest of outcomes in order and the configuration left must equal C's.
. "$(dirname "$0")/../lib/scenario.sh"
fuzz=$(dirname "$0")/../fuzz/ctl-fuzz.py
count=${CTL_FUZZ_COUNT:-3000}

ip link set lo up
run $py "$fuzz" --seed 1 --count $count
expect "all $count requests sent and answered" out_line "sent $count requests \\(seed 1\\)"
expect "no request left without an answer" out_lines 0 '.* -> (timeout|none).*'
expect "valid requests configure" out_line ' *[0-9]+ NEW_SERVICE \[valid\] -> OK'
expect "valid real servers added" out_line ' *[0-9]+ NEW_DEST \[valid\] -> OK'
expect "mutated requests refused" out_line ' *[0-9]+ NEW_SERVICE \[mutated: [a-z]+\] -> EINVAL'
expect "socket options answered" out_line ' *[0-9]+ SO GET INFO \[valid\] -> OK len=12'
# Whatever the fuzzer left, the module still takes and lists a new service.
run ipvsadm -A -t 10.9.9.9:80 -s rr
run ipvsadm -L -n -t 10.9.9.9:80
expect "a service added after fuzzing is listed" out_line 'TCP  10\.9\.9\.9:80 rr'
# Whatever the fuzzer left goes, sync daemons included: C's module cannot be unloaded while
# services hold its schedulers.
run ipvsadm -C
run sh -c 'ipvsadm --stop-daemon master; ipvsadm --stop-daemon backup; ipvsadm -L -n | wc -l'
expect "nothing left configured" out_line '3'
