# Parallel traffic: eight client processes, four pinned to each vCPU, make TCP connections and
# send UDP datagrams through NAT services at once, so that the packet path runs on both CPUs
# together (connection table inserts, per-CPU counters, scheduler state). Every request must
# be answered; rr and wrr spread the totals exactly, whatever the interleaving; the counters
# must add up.
#
# PARALLEL_COUNT (a multiple of 3, default 15) is each client's number of connections or
# datagrams; the soak's long form sets it (tests/soak/parallel-long.sh).
. "$(dirname "$0")/../lib/scenario.sh"
n=${PARALLEL_COUNT:-15}
# Each UDP client's source ports, BASE + i, apart from the others'.
ports_apart=$((n > 100 ? n : 100))

d() { in_ns nat-dir "$@"; }
out=/tmp/parallel
clients_py=$(dirname "$0")/../stress/clients.py

shared_topology
run d ipvsadm -A -t 10.0.0.1:8080 -s rr
run d ipvsadm -A -u 10.0.0.1:8080 -s wrr
for i in 1 2 3; do
    run d ipvsadm -a -t 10.0.0.1:8080 -r 172.16.$i.2:8080 -m
    run d ipvsadm -a -u 10.0.0.1:8080 -r 172.16.$i.2:8080 -m -w $i
done

mkdir -p $out && rm -f $out/*
clients=()
for p in 1 2 3 4; do
    taskset -c $((p % 2)) nsenter --net=/run/netns/nat-cli \
        $py "$clients_py" tcp $n 10.0.0.1 8080 > $out/tcp$p 2>&1 &
    clients+=($!)
    taskset -c $((p % 2)) nsenter --net=/run/netns/nat-cli \
        $py "$clients_py" udp $n 10.0.0.1 8080 $((20000 + ports_apart * p)) > $out/udp$p 2>&1 &
    clients+=($!)
done
wait "${clients[@]}"
# Answers per real server, summed over the clients, per protocol.
totals() {
    awk '{ proto = FILENAME; sub(/.*\//, "", proto); sub(/[0-9]+$/, "", proto)
           count = $NF; $NF = ""; n[proto " " $0] += count }
         END { for (k in n) print k n[k] }' $out/tcp[1-4] $out/udp[1-4] | sort
}
run totals
all=$((4 * n)) third=$((4 * n / 3)) sixth=$((4 * n / 6))
expect "every request answered, $all TCP spread rr $third each, $all UDP wrr 1:2:3 $sixth/$((2 * sixth))/$((3 * sixth))" \
    out_is "$(printf '%s\n' "tcp rs1: $third" "tcp rs2: $third" "tcp rs3: $third" \
        "udp rs1: $sixth" "udp rs2: $((2 * sixth))" "udp rs3: $((3 * sixth))")"
# The soak's summary line.
echo "parallel: $all TCP connections and $all UDP datagrams from 8 clients on 2 CPUs, $(
    awk -F': ' '$1 == "no answer" { n += $2 } END { print n + 0 }' $out/*) unanswered"
settled nat-dir
run d ipvsadm -L -n --stats --exact -u 10.0.0.1:8080
expect "the UDP service counted $all connections" stat_ge 10.0.0.1:8080 1 $all
expect "and $all packets in, $all out" stat_ge 10.0.0.1:8080 3 $all
run d sh -c 'ipvsadm -L -n --stats --exact -t 10.0.0.1:8080 | cut -c1-42'
expect "the TCP service counted $all connections" stat_ge 10.0.0.1:8080 1 $all
run d sh -c 'tail -n +2 /proc/net/ip_vs_conn | awk "{ print \$1, \$6, \$7 }" | sort | uniq -c'
shared_release
