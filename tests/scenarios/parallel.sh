# Parallel traffic: eight client processes, four pinned to each vCPU, make TCP connections and
# send UDP datagrams through NAT services at once, so that the packet path runs on both CPUs
# together (connection table inserts, per-CPU counters, scheduler state). Every request must
# be answered; rr and wrr spread the totals exactly, whatever the interleaving; the counters
# must add up.
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns par-dir "$@"; }
out=/tmp/parallel
clients_py=$(dirname "$0")/../stress/clients.py

nat_topology par 3 8080 "10.0.0.2" "10.0.0.1"
run d ipvsadm -A -t 10.0.0.1:8080 -s rr
run d ipvsadm -A -u 10.0.0.1:8080 -s wrr
for i in 1 2 3; do
    run d ipvsadm -a -t 10.0.0.1:8080 -r 172.16.$i.2:8080 -m
    run d ipvsadm -a -u 10.0.0.1:8080 -r 172.16.$i.2:8080 -m -w $i
done

mkdir -p $out && rm -f $out/*
clients=()
for p in 1 2 3 4; do
    taskset -c $((p % 2)) nsenter --net=/run/netns/par-cli \
        $py "$clients_py" tcp 15 10.0.0.1 8080 > $out/tcp$p 2>&1 &
    clients+=($!)
    taskset -c $((p % 2)) nsenter --net=/run/netns/par-cli \
        $py "$clients_py" udp 15 10.0.0.1 8080 $((20000 + 100 * p)) > $out/udp$p 2>&1 &
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
expect "every request answered, 60 TCP spread rr 20/20/20, 60 UDP wrr 1:2:3 10/20/30" \
    out_is "$(printf '%s\n' 'tcp rs1: 20' 'tcp rs2: 20' 'tcp rs3: 20' 'udp rs1: 10' 'udp rs2: 20' 'udp rs3: 30')"
settled par-dir
run d ipvsadm -L -n --stats --exact -u 10.0.0.1:8080
expect "the UDP service counted 60 connections" stat_ge 10.0.0.1:8080 1 60
expect "and 60 packets in, 60 out" stat_ge 10.0.0.1:8080 3 60
run d sh -c 'ipvsadm -L -n --stats --exact -t 10.0.0.1:8080 | cut -c1-42'
expect "the TCP service counted 60 connections" stat_ge 10.0.0.1:8080 1 60
run d sh -c 'tail -n +2 /proc/net/ip_vs_conn | awk "{ print \$1, \$6, \$7 }" | sort | uniq -c'
topology_del par
