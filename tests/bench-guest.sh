#!/usr/bin/env bash
# Guest half of `make bench` (see scripts/bench): the same NAT workloads through plain routing,
# the C ip_vs module and ipvs_rs, in alternating rounds within one boot.
#
#   UDP: pktgen in the client namespace sends 64-byte UDP packets of one flow to the director;
#        the director forwards them (plain routing: to the real server's address; IPVS: NAT
#        from the virtual service) to the real server. Transmit, forwarding and receive run on
#        one CPU, so pktgen's rate is the cost of the path.
#   TCP: sequential short connections (connect, one line from the server, close) from a
#        Python client; connections per second.
# With IPVS_RS_BENCH_BASE_KO (another build of ipvs_rs, see scripts/bench), it runs as a fourth
# implementation, "base", in the same rounds, and ipvs_rs/base is printed per round: a change
# is measured against the code before it in one boot.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/lib/impl.sh"
py=/usr/bin/python3
traffic=$repo/tests/lib/traffic.py
rounds=${IPVS_RS_BENCH_ROUNDS:-3}
packets=${IPVS_RS_BENCH_PACKETS:-200000}
conns=${IPVS_RS_BENCH_CONNS:-300}
base_ko=${IPVS_RS_BENCH_BASE_KO:-}
impls=(plain c rs)
[ -n "$base_ko" ] && impls+=(base)

for ns in cli dir rs; do ip netns add $ns; ip -n $ns link set lo up; done
ip link add c0 netns cli type veth peer name d0 netns dir
ip link add d1 netns dir type veth peer name r0 netns rs
ip -n cli addr add 10.0.0.2/24 dev c0; ip -n cli link set c0 up
ip -n cli route add 172.16.0.0/24 via 10.0.0.1
ip -n dir addr add 10.0.0.1/24 dev d0; ip -n dir link set d0 up
ip -n dir addr add 172.16.0.1/24 dev d1; ip -n dir link set d1 up
ip -n rs addr add 172.16.0.2/24 dev r0; ip -n rs link set r0 up
ip -n rs route add default via 172.16.0.1
ip netns exec dir sysctl -qw net.ipv4.ip_forward=1
ip netns exec rs $py "$traffic" server rs 8080 &
server=$!
# A UDP sink on the real server, so that no port-unreachable errors are generated.
ip netns exec rs $py -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9000))
while True:
    s.recv(2048)' &
sink=$!
sleep 1
dmac=$(ip -n dir -br link show d0 | awk '{print $3}')
# Warm up neighbour entries in both directions.
ip netns exec cli $py "$traffic" tcp 1 172.16.0.2 8080 >/dev/null

pg() { ip netns exec cli sh -c "echo '$1' > /proc/net/pktgen/$2"; }
pktgen_setup() { # destination address
    pg "rem_device_all" kpktgend_0
    pg "add_device c0" kpktgend_0
    for cmd in "count $packets" "pkt_size 64" "clone_skb 0" "delay 0" "dst $1" "dst_mac $dmac" \
        "udp_src_min 10000" "udp_src_max 10000" "udp_dst_min 9000" "udp_dst_max 9000"; do
        pg "$cmd" c0
    done
}
pktgen_pps() { # destination address
    pktgen_setup "$1"
    # pktgen's thread runs the device on CPU 0; its result line has the rate ("NNNpps").
    ip netns exec cli sh -c 'echo start > /proc/net/pktgen/pgctrl'
    ip netns exec cli cat /proc/net/pktgen/c0 | sed -n 's/.* \([0-9]*\)pps.*/\1/p'
}

configure() { # c|rs|base
    if [ "$1" = base ]; then
        IPVS_RS_KO=$base_ko ipvs_load rs
    else
        ipvs_load "$1"
    fi
    ip netns exec dir ipvsadm -A -u 10.0.0.1:9000 -s rr
    ip netns exec dir ipvsadm -a -u 10.0.0.1:9000 -r 172.16.0.2:9000 -m
    ip netns exec dir ipvsadm -A -t 10.0.0.1:8080 -s rr
    ip netns exec dir ipvsadm -a -t 10.0.0.1:8080 -r 172.16.0.2:8080 -m
}

declare -A pps cps
unload() {
    # Services hold their scheduler modules: flush them first.
    ip netns exec dir ipvsadm -C 2>/dev/null || true
    ipvs_unload
}

# The modules run in the opposite order every other round: a module's place in the round
# changes its rate by 1-2% (two runs of one module in one round, measured as ipvs_rs and base,
# differ by that much), which would otherwise count against the later one every time.
for round in $(seq "$rounds"); do
    order=("${impls[@]:1}")
    [ $((round % 2)) = 0 ] && order=($(printf '%s\n' "${order[@]}" | tac))
    for impl in plain "${order[@]}"; do
        unload
        if [ $impl = plain ]; then
            dst=172.16.0.2
        else
            configure $impl
            dst=10.0.0.1
        fi
        p=$(pktgen_pps $dst)
        c=$(ip netns exec cli $py "$traffic" tcp-rate "$conns" $dst 8080)
        echo "round $round $impl: udp ${p} pps, tcp ${c} conns/s"
        pps[$impl]+="$p "
        cps[$impl]+="$c "
    done
done
unload

# IPVS_RS_BENCH_PROFILE=1: where CPU 0's time goes during one UDP run of each module (perf's
# cpu-clock samples, flat by symbol), to choose optimisations from evidence.
if [ -n "${IPVS_RS_BENCH_PROFILE:-}" ]; then
    sysctl -qw kernel.kptr_restrict=0 kernel.perf_event_paranoid=-1
    for impl in c rs ${base_ko:+base}; do
        configure $impl
        pktgen_setup 10.0.0.1
        perf record -q -F 4000 -e cpu-clock -C 0 -o /tmp/perf-$impl.data -- \
            ip netns exec cli sh -c 'echo start > /proc/net/pktgen/pgctrl'
        echo "profile $impl: $(ip netns exec cli sed -n 's/.* \([0-9]*\)pps.*/\1/p' /proc/net/pktgen/c0) pps"
        # The bench kernel has no kallsyms: its symbols come from vmlinux (scripts/bench).
        perf report -i /tmp/perf-$impl.data ${IPVS_RS_BENCH_VMLINUX:+-k "$IPVS_RS_BENCH_VMLINUX"} \
            --no-children --sort dso,sym --stdio > /tmp/perf-$impl.txt 2> /dev/null || true
        grep -v '^#' /tmp/perf-$impl.txt | grep . |
            awk -v n="${IPVS_RS_BENCH_PROFILE_LINES:-45}" 'NR <= n { print "profile '$impl': " $0 }'
        unload
    done
fi

# IPVS_RS_BENCH_COUNT=1 (the guest runs under qemu/insn-count.c, scripts/bench's default): the
# instructions one UDP run of each implementation executes, from pktgen's start to its end
# (qemu/insn-mark). TCG's timings vary from boot to boot; these counts barely do. For each run
# the modules loaded are printed, so that the host can name the counted addresses.
if [ "${IPVS_RS_BENCH_COUNT:-0}" = 1 ]; then
    sysctl -qw kernel.kptr_restrict=0
    n=0
    for impl in "${impls[@]}"; do
        unload
        dst=10.0.0.1
        [ $impl = plain ] && dst=172.16.0.2
        [ $impl = plain ] || configure $impl
        pktgen_setup $dst
        "$repo/qemu/insn-mark" ip netns exec cli sh -c 'echo start > /proc/net/pktgen/pgctrl'
        n=$((n + 1))
        echo "count $n $impl: $packets packets"
        # "count N IMPL: module NAME SIZE" for each module loaded. The bench kernel has no
        # kallsyms, so the guest cannot tell where they are: the host finds out from the counts.
        awk -v p="count $n $impl:" '{ print p, "module", $1, $2 }' /proc/modules
    done
    unload
fi

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
declare -A mp mc
for impl in "${impls[@]}"; do
    mp[$impl]=$(echo "${pps[$impl]}" | median)
    mc[$impl]=$(echo "${cps[$impl]}" | median)
    echo "median $impl: udp ${mp[$impl]} pps, tcp ${mc[$impl]} conns/s"
done
echo "ratio ipvs_rs/C: udp pps $(ratio "${mp[rs]}" "${mp[c]}"), tcp conns/s $(ratio "${mc[rs]}" "${mc[c]}")"
if [ -n "$base_ko" ]; then
    echo "ratio ipvs_rs/base: udp pps $(ratio "${mp[rs]}" "${mp[base]}"), tcp conns/s $(ratio "${mc[rs]}" "${mc[base]}")"
    read -ra r <<< "${pps[rs]}"
    read -ra b <<< "${pps[base]}"
    for i in "${!r[@]}"; do echo -n "$(ratio "${r[$i]}" "${b[$i]}") "; done |
        sed 's/^/ratio ipvs_rs\/base by round: udp pps /; s/ $//'
    echo
fi
echo "ratio C/plain routing: udp pps $(ratio "${mp[c]}" "${mp[plain]}"); ipvs_rs/plain: $(ratio "${mp[rs]}" "${mp[plain]}")"
kill $server $sink 2>/dev/null || true
wait 2>/dev/null || true
for ns in cli dir rs; do ip netns del $ns; done
