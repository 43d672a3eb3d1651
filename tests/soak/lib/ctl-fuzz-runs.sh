# The control-plane fuzzer's long form, sourced by tests/soak/ctl-fuzz-long-*.sh: runs of
# $count requests (seeds $seeds) side by side, each in a network namespace of its own (IPVS keeps
# a configuration per namespace, so the runs do not meet). Side by side because much of C's time
# goes into waiting, not working: the first service of a namespace registers the netfilter hooks
# and starts the estimator kthread, the last one unregisters them (synchronize_net) and stops
# it, which takes C 200 ms or more in the debug guest after each FLUSH. The runs are generated
# on the host beforehand (tests/soak/run, into tests/fuzz/streams/), where Python is many times
# faster than in the guest. The 1,000,000 requests are split over four scripts of two runs
# (about 30 minutes each, when both guests share two host cores), so that `make soak` can go on
# from where a session stopped it.
. "$(dirname "${BASH_SOURCE[0]}")/../../lib/scenario.sh"
here=$(dirname "${BASH_SOURCE[0]}")
fuzz=$here/../../fuzz/ctl-fuzz.py
streams=$(realpath "$here/../../fuzz/streams")

for i in $seeds; do
    setup ip netns add cf$i
    setup ip -n cf$i link set lo up
    ip netns exec cf$i $py "$fuzz" --seed $i --count $count --stream "$streams/ctl-$i-$count" \
        > /tmp/cf$i.out 2>&1 &
done
wait
total=0
for i in $seeds; do
    run cat /tmp/cf$i.out
    expect "run $i: all $count requests sent and answered" out_line "sent $count requests \\(seed $i\\)"
    expect "run $i: no request left without an answer" out_lines 0 '.* -> (timeout|none).*'
    expect "run $i: valid requests configure" out_line ' *[0-9]+ NEW_SERVICE \[valid\] -> OK'
    expect "run $i: valid real servers added" out_line ' *[0-9]+ NEW_DEST \[valid\] -> OK'
    expect "run $i: mutated requests refused" out_line ' *[0-9]+ NEW_SERVICE \[mutated: [a-z]+\] -> EINVAL'
    out_line "sent $count requests \\(seed $i\\)" && total=$((total + count))
done
# The summary line `make soak` shows.
echo "sent $total requests in $(wc -w <<< "$seeds") namespaces (seeds $seeds)"
for i in $seeds; do
    # Whatever a run left goes, sync daemons included (C's module cannot be unloaded while
    # services hold its schedulers), and the module still takes a new service.
    run ip netns exec cf$i sh -c 'ipvsadm -A -t 10.9.9.9:80 -s rr && ipvsadm -L -n -t 10.9.9.9:80 &&
        ipvsadm -C; ipvsadm --stop-daemon master; ipvsadm --stop-daemon backup; ipvsadm -L -n | wc -l'
    expect "run $i: a service added after fuzzing is listed" out_line 'TCP  10\.9\.9\.9:80 rr'
    expect "run $i: then nothing is left configured" out_line '3'
    setup ip netns del cf$i
done
