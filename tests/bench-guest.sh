#!/usr/bin/env bash
# Guest half of `make bench` (see scripts/bench): the same workloads through plain routing, the
# C ip_vs module and ipvs_rs, in alternating rounds within one boot. Prints one line per figure,
#
#   result WORKLOAD IMPL ROUND VALUE UNIT
#
# which scripts/bench-report turns into medians, spreads, ratios and a plot. pktgen in the client
# namespace sends 64-byte UDP packets to the director, which forwards them to the real server's
# namespace: transmit, forwarding and receive run on one CPU, so pktgen's rate is the path's
# cost. Workloads (per round, for each implementation; "plain" is routing without IPVS):
#   nat-1flow, dr-1flow, ipip-1flow   packets/s of one flow through NAT, direct routing, IP-IP
#   nat-create, dr-create, ipip-create
#                                     packets/s of FLOWS packets each a new flow (about a
#                                     million): new connections per second into a growing table
#   nat-1M, dr-1M, ipip-1M            packets/s of the first LOOKUPS of those flows again (200,000),
#                                     with all FLOWS connections in the table
#   nat-create-time                   seconds to create the FLOWS connections
#   conn-bytes                        slab bytes per connection (all caches' growth / FLOWS)
#   conn-objsize                      the connection cache's object size, alignment included
#   flush-time                        seconds to flush FLOWS connections (services deleted and the
#                                     module removed)
#   tcp-cps                           TCP connections per second from TCP_CLIENTS parallel clients
#   lc-N, wlc-N (N 10, 1000, 10000)   new UDP connections per second through a NAT service of N
#                                     real servers: the scheduler's decision is most of the
#                                     difference between N
# Once per implementation (the same in every round: the algorithm's property, not a timing):
#   mh-balance                        max/mean connections per server, 10,000 flows, 10 servers
#   mh-disruption                     share of those flows whose server changes when one of the
#                                     10 goes, among those that were not on it
# With IPVS_RS_BENCH_PROFILE=1, perf's cpu-clock profile of the director's CPU during nat-1flow,
# nat-create, nat-1M and lc-10000 of each module ("profile IMPL/WORKLOAD: ..." lines, named on
# the host by scripts/bench-symbols). With IPVS_RS_BENCH_COUNT=1, QEMU counts the instructions of
# one nat-1flow run of each (scripts/bench-count).
# With IPVS_RS_BENCH_BASE_KO (another build of ipvs_rs, see scripts/bench), it runs as a fourth
# implementation, "base": a change is measured against the code before it in one boot.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/impl.sh"
py=/usr/bin/python3
traffic=$repo/tests/lib/traffic.py
rounds=${IPVS_RS_BENCH_ROUNDS:-5}
packets=${IPVS_RS_BENCH_PACKETS:-200000}
conns=${IPVS_RS_BENCH_CONNS:-200}
lookups=${IPVS_RS_BENCH_LOOKUPS:-200000}
tcp_clients=${IPVS_RS_BENCH_TCP_CLIENTS:-4}
base_ko=${IPVS_RS_BENCH_BASE_KO:-}
# Many flows: pktgen steps the source address (4,096 of them) and the source port (255) with
# every packet, so flow i is (address i mod 4096, port i mod 255): 1,044,480 distinct flows
# before the first repeats. IPVS_RS_BENCH_FLOWS sends fewer.
all_flows=1044480
flows=${IPVS_RS_BENCH_FLOWS:-$all_flows}
[ "$flows" -le "$all_flows" ] || flows=$all_flows
impls=(plain c rs)
[ -n "$base_ko" ] && impls+=(base)
vip=10.0.0.1 drvip=10.0.0.100 rs=172.16.0.2
# Real servers of the scheduler services: 172.16.128.0 and up, routed through the real server's
# namespace, which drops what is not its own (the director's cost is what is measured).
sched_sizes=(10 1000 10000)
sched_packets() { case $1 in 10) echo 100000 ;; 1000) echo 50000 ;; *) echo 20000 ;; esac; }

ipb() { ip -n "$1" -batch -; }
for ns in cli dir rs; do ip netns add $ns; ip -n $ns link set lo up; done
ip link add c0 netns cli type veth peer name d0 netns dir
ip link add d1 netns dir type veth peer name r0 netns rs
ipb cli <<EOF
addr add 10.0.0.2/16 dev c0
link set c0 up
route add 172.16.0.0/16 via 10.0.0.1
EOF
ipb dir <<EOF
addr add 10.0.0.1/16 dev d0
addr add $drvip/32 dev lo
link set d0 up
addr add 172.16.0.1/24 dev d1
link set d1 up
route add 172.16.128.0/17 via $rs
EOF
modprobe ipip
ipb rs <<EOF
addr add $rs/24 dev r0
addr add $drvip/32 dev lo
link set r0 up
link set tunl0 up
route add default via 172.16.0.1
EOF
ip netns exec dir sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
    net.ipv4.conf.d0.rp_filter=0
ip netns exec rs sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.tunl0.rp_filter=0 \
    net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
ip netns exec rs $py "$traffic" server rs 8080 &
server=$!
# UDP sinks on the real server (NAT, direct routing, IP-IP), so that no port unreachables come.
ip netns exec rs $py -c '
import select, socket
socks = []
for port in (9000, 9001, 9002):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    s.setblocking(False)
    socks.append(s)
while True:
    for s in select.select(socks, [], [])[0]:
        try:
            while True:
                s.recv(2048)
        except BlockingIOError:
            pass' &
sink=$!
sleep 1
dmac=$(ip -n dir -br link show d0 | awk '{print $3}')
# Warm up neighbour entries in both directions.
ip netns exec cli $py "$traffic" tcp 1 $rs 8080 > /dev/null

pg() { ip netns exec cli sh -c "echo '$1' > /proc/net/pktgen/$2"; }
# pktgen_setup DST PORT COUNT [many]: COUNT packets to DST:PORT, of one flow or of many.
pktgen_setup() {
    local src=(src_min 10.0.0.2 src_max 10.0.0.2 udp_src_min 10000 udp_src_max 10000)
    [ "${4:-}" = many ] &&
        src=(src_min 10.0.16.0 src_max 10.0.31.255 udp_src_min 1024 udp_src_max 1279)
    pg "rem_device_all" kpktgend_0
    pg "add_device c0" kpktgend_0
    for cmd in "count $3" "pkt_size 64" "clone_skb 0" "delay 0" "dst $1" "dst_mac $dmac" \
        "${src[0]} ${src[1]}" "${src[2]} ${src[3]}" "${src[4]} ${src[5]}" "${src[6]} ${src[7]}" \
        "udp_dst_min $2" "udp_dst_max $2"; do
        pg "$cmd" c0
    done
}
pktgen_start() { ip netns exec cli sh -c 'echo start > /proc/net/pktgen/pgctrl'; }
# pktgen's result line has the rate ("NNNpps").
pktgen_rate() { ip netns exec cli sed -n 's/.* \([0-9]*\)pps.*/\1/p' /proc/net/pktgen/c0; }
# pps DST PORT COUNT [many]: one pktgen run; prints its rate.
pps() {
    pktgen_setup "$@"
    pktgen_start
    pktgen_rate
}

load() { # c|rs|base
    if [ "$1" = base ]; then IPVS_RS_KO=$base_ko ipvs_load rs; else ipvs_load "$1"; fi
}
unload() {
    # Services hold their scheduler modules: flush them first.
    ip netns exec dir ipvsadm -C 2> /dev/null || true
    ipvs_unload
}
configure() { # the NAT, direct routing, IP-IP and TCP services
    ip netns exec dir ipvsadm -R <<EOF
-A -u $vip:9000 -s rr
-a -u $vip:9000 -r $rs:9000 -m
-A -u $drvip:9001 -s rr
-a -u $drvip:9001 -r $rs:9001 -g
-A -u $drvip:9002 -s rr
-a -u $drvip:9002 -r $rs:9002 -i
-A -t $vip:8080 -s rr
-a -t $vip:8080 -r $rs:8080 -m
EOF
}
configure_sched() { # lc and wlc services of 10, 1,000 and 10,000 real servers
    local s n i port=9100
    for s in lc wlc; do
        for n in "${sched_sizes[@]}"; do
            echo "-A -u $vip:$port -s $s"
            for ((i = 0; i < n; i++)); do
                echo "-a -u $vip:$port -r 172.16.$((128 + i / 250)).$((i % 250 + 1)):9000 -m -w $((1 + i % 3))"
            done
            port=$((port + 1))
        done
    done | ip netns exec dir ipvsadm -R
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
# conn_objsize: what one object of the connection cache ("ip_vs_conn" in both modules) takes
# in its slab, alignment included (SLUB's sysfs, which also names a cache merged into another).
conn_objsize() {
    cat /sys/kernel/slab/ip_vs_conn/slab_size 2> /dev/null ||
        awk '$1 == "ip_vs_conn" { print $4; exit }' /proc/slabinfo
}
out() { echo "result $1 $2 $3 $4 $5"; }

# The path workloads of one implementation in round R.
path_round() { # impl round
    local impl=$1 r=$2 kind dst port slab0 start
    if [ "$impl" = plain ]; then
        out nat-1flow plain "$r" "$(pps $rs 9000 "$packets")" pps
        out nat-1M plain "$r" "$(pps $rs 9000 "$lookups" many)" pps
        out tcp-cps plain "$r" "$(tcp_cps $rs)" conns/s
        return
    fi
    for kind in nat dr ipip; do
        load "$impl"
        configure
        case $kind in nat) dst=$vip port=9000 ;; dr) dst=$drvip port=9001 ;; ipip) dst=$drvip port=9002 ;; esac
        out $kind-1flow "$impl" "$r" "$(pps $dst $port "$packets")" pps
        slab0=$(slab_kb)
        start=$(now)
        out $kind-create "$impl" "$r" "$(pps $dst $port "$flows" many)" pps
        if [ $kind = nat ]; then
            out nat-create-time "$impl" "$r" "$(elapsed "$start")" s
            out conn-bytes "$impl" "$r" $((($(slab_kb) - slab0) * 1024 / flows)) B
            out conn-objsize "$impl" "$r" "$(conn_objsize)" B
        fi
        # pktgen starts again from the first flow: every packet finds its connection.
        out $kind-1M "$impl" "$r" "$(pps $dst $port "$lookups" many)" pps
        if [ $kind = nat ]; then
            out tcp-cps "$impl" "$r" "$(tcp_cps $vip)" conns/s
            start=$(now)
            unload
            out flush-time "$impl" "$r" "$(elapsed "$start")" s
        else
            unload
        fi
    done
    load "$impl"
    configure_sched
    local s n port=9100
    for s in lc wlc; do
        for n in "${sched_sizes[@]}"; do
            out $s-$n "$impl" "$r" "$(pps $vip $port "$(sched_packets $n)" many)" conns/s
            port=$((port + 1))
        done
    done
    unload
}
# tcp_cps DST: connections per second of TCP_CLIENTS clients at once, CONNS each.
tcp_cps() {
    local start i clients=()
    start=$(now)
    for ((i = 0; i < tcp_clients; i++)); do
        ip netns exec cli $py "$traffic" tcp-rate "$conns" "$1" 8080 > /dev/null &
        clients+=($!)
    done
    wait "${clients[@]}"
    awk -v n=$((conns * tcp_clients)) -v t="$(elapsed "$start")" 'BEGIN { printf "%.1f", n / t }'
}

# mh IMPL: balance and disruption of the maglev hash, from the connections of 10,000 flows
# through a service of 10 servers and through one of the same servers but the fifth.
mh() {
    local impl=$1 i
    load "$impl"
    {
        echo "-A -u $vip:9200 -s mh -b mh-port"
        echo "-A -u $vip:9201 -s mh -b mh-port"
        for i in 1 2 3 4 5 6 7 8 9 10; do
            echo "-a -u $vip:9200 -r 172.16.128.$i:9000 -m"
            [ $i = 5 ] || echo "-a -u $vip:9201 -r 172.16.128.$i:9000 -m"
        done
    } | ip netns exec dir ipvsadm -R
    pps $vip 9200 10000 many > /dev/null
    pps $vip 9201 10000 many > /dev/null
    ip netns exec dir cat /proc/net/ip_vs_conn | $py -c '
import collections, sys
a, b = {}, {}
for line in sys.stdin:
    f = line.split()
    if f[0] != "UDP":
        continue
    (a if f[4] == "23F0" else b)[(f[1], f[2])] = f[5]
count = collections.Counter(a.values())
gone = "AC108005"
kept = [c for c in a if a[c] != gone and c in b]
moved = sum(1 for c in kept if b[c] != a[c])
print(f"result mh-balance '"$impl"' 1 {max(count.values()) * len(count) / len(a):.3f} max/mean")
print(f"result mh-disruption '"$impl"' 1 {moved / len(kept):.4f} share")'
    unload
}

# The implementations run in the opposite order every other round: a module's place in the
# round changes its rate by 1-2% (two runs of one module in one round, measured as ipvs_rs and
# base, differ by that much), which would otherwise count against the later one every time.
echo "bench: $rounds rounds, $flows flows ($lookups looked up again), $packets packets of one flow"
for round in $(seq "$rounds"); do
    order=("${impls[@]:1}")
    [ $((round % 2)) = 0 ] && order=($(printf '%s\n' "${order[@]}" | tac))
    for impl in plain "${order[@]}"; do
        unload
        path_round "$impl" "$round"
    done
done
for impl in "${impls[@]:1}"; do mh "$impl"; done

# IPVS_RS_BENCH_PROFILE=1: where the director's CPU (0, pktgen's) spends its time, per workload
# and module (perf's cpu-clock samples, flat by symbol), to choose optimisations from evidence.
profile() { # impl workload dst port count [many]
    local impl=$1 w=$2
    shift 2
    pktgen_setup "$@"
    perf record -q -F 4000 -e cpu-clock -C 0 -o /tmp/perf.data -- \
        ip netns exec cli sh -c 'echo start > /proc/net/pktgen/pgctrl'
    echo "profile $impl/$w: $(pktgen_rate) pps"
    # The bench kernel has no kallsyms: its symbols come from vmlinux (scripts/bench).
    perf report -i /tmp/perf.data ${IPVS_RS_BENCH_VMLINUX:+-k "$IPVS_RS_BENCH_VMLINUX"} \
        --no-children --sort dso,sym --stdio 2> /dev/null | grep -v '^#' | grep . |
        awk -v n="${IPVS_RS_BENCH_PROFILE_LINES:-30}" -v p="profile $impl/$w:" 'NR <= n { print p, $0 }' ||
        true
}
if [ -n "${IPVS_RS_BENCH_PROFILE:-}" ]; then
    sysctl -qw kernel.kptr_restrict=0 kernel.perf_event_paranoid=-1
    for impl in c rs ${base_ko:+base}; do
        unload
        load $impl
        configure
        configure_sched
        profile $impl nat-1flow $vip 9000 "$packets"
        profile $impl nat-create $vip 9000 "$flows" many
        profile $impl nat-1M $vip 9000 "$lookups" many
        profile $impl lc-10000 $vip 9102 "$(sched_packets 10000)" many
        unload
    done
fi

# IPVS_RS_BENCH_COUNT=1 (the guest runs under qemu/insn-count.c, scripts/bench's default): the
# instructions one nat-1flow run of each implementation executes, from pktgen's start to its end
# (qemu/insn-mark). TCG's timings vary from boot to boot; these counts barely do. For each run
# the modules loaded are printed, so that the host can name the counted addresses.
if [ "${IPVS_RS_BENCH_COUNT:-0}" = 1 ]; then
    sysctl -qw kernel.kptr_restrict=0
    n=0
    for impl in "${impls[@]}"; do
        unload
        dst=$vip
        [ $impl = plain ] && dst=$rs
        [ $impl = plain ] || { load $impl; configure; }
        pktgen_setup $dst 9000 "$packets"
        "$repo/qemu/insn-mark" ip netns exec cli sh -c 'echo start > /proc/net/pktgen/pgctrl'
        n=$((n + 1))
        echo "count $n $impl: $packets packets"
        # "count N IMPL: module NAME SIZE" for each module loaded. The bench kernel has no
        # kallsyms, so the guest cannot tell where they are: the host finds out from the counts.
        awk -v p="count $n $impl:" '{ print p, "module", $1, $2 }' /proc/modules
    done
    unload
fi
kill $server $sink 2> /dev/null || true
wait 2> /dev/null || true
for ns in cli dir rs; do ip netns del $ns; done
