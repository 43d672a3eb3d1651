# Helpers for scenario scripts (sourced). A scenario prints a transcript: each command as
# "$ cmd", then its combined output, then "[rc=N]", so that two runs can be diffed.
#
# Equal transcripts are not enough: a scenario also states what must happen, whatever the
# module, with `expect` (below). tests/lib/run-guests fails a scenario whose transcript, under
# either module, has a failed expectation, a failed setup step, a command that was not found
# (rc 126/127) or a Python traceback.

# The last `run`'s output (without its trailing newline) and status, for `expect`.
last_out='' last_rc=0
step_log=/tmp/scenario-step.$$

# step_time LABEL: with IPVS_RS_STEP_TIMES set (tests/lib/record-in-guest sets it), appends the
# time now in microseconds and LABEL to that file: where a scenario's time goes (each step until
# the next), for keeping `make check` within its budget. Costs no process.
step_time() {
    [ -z "${IPVS_RS_STEP_TIMES:-}" ] ||
        printf '%s %s\n' "${EPOCHREALTIME/./}" "${1//$'\n'/ }" >> "$IPVS_RS_STEP_TIMES"
}

run() {
    shown "$*" "$@"
}

# shown TEXT CMD [ARG...]: `run`, with TEXT in the transcript as the command.
shown() {
    step_time "$1"
    echo "\$ $1"
    shift
    "$@" > "$step_log" 2>&1
    last_rc=$?
    last_out=$(< "$step_log")
    [ -z "$last_out" ] || printf '%s\n' "$last_out"
    echo "[rc=$last_rc]"
}

# Runs a command as an unprivileged user (nobody, no capabilities).
run_unprivileged() {
    shown "(as nobody) $*" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"
}

# expect WHAT TEST [ARG...]: one of the scenario's own checks, independent of C. Prints
# "expect WHAT: ok" when TEST succeeds, else "expect WHAT: FAILED" and what TEST printed.
expect() {
    local what=$1
    shift
    if "$@" > "$step_log.expect" 2>&1; then
        echo "expect $what: ok"
    else
        echo "expect $what: FAILED"
        while IFS= read -r line; do echo "  | $line"; done < "$step_log.expect"
        echo "  | (the last command printed, at most 40 lines:)"
        local n=0
        while IFS= read -r line && ((n++ < 40)); do echo "  | $line"; done <<< "$last_out"
    fi
}

# Tests for `expect`, about the last `run`:
# out_line ERE: some line of its output is, as a whole, matched by ERE.
out_line() {
    local line
    while IFS= read -r line; do [[ $line =~ ^($1)$ ]] && return 0; done <<< "$last_out"
    return 1
}
# out_lines N ERE: exactly N lines of its output are matched by ERE.
out_lines() {
    local line n=0
    while IFS= read -r line; do [[ $line =~ ^($2)$ ]] && n=$((n + 1)); done <<< "$last_out"
    [ "$n" = "$1" ] || { echo "$n lines match, not $1"; return 1; }
}
# out_is TEXT: its output is TEXT.
out_is() {
    [ "$last_out" = "$1" ] || { printf 'wanted:\n%s\n' "$1"; return 1; }
}
# rc_is N: its status was N.
rc_is() {
    [ "$last_rc" = "$1" ] || { echo "status $last_rc, not $1"; return 1; }
}
# stat_ge ADDR:PORT FIELD MIN: in the output of `ipvsadm -L -n --stats --exact` (the last run),
# field FIELD (1 Conns, 2 InPkts, 3 OutPkts, 4 InBytes, 5 OutBytes) of the service or real
# server ADDR:PORT is at least MIN.
stat_ge() {
    local line f
    while IFS= read -r line; do
        read -ra f <<< "$line"
        [ "${f[0]}" = "->" ] && f=("${f[@]:1}")
        [ "${f[0]}" = TCP ] || [ "${f[0]}" = UDP ] || [ "${f[0]}" = SCTP ] && f=("${f[@]:1}")
        [ "${f[0]}" = "$1" ] || continue
        [ "${f[$2]}" -ge "$3" ] 2> /dev/null && return 0
        echo "$1 field $2 is ${f[$2]}, not >= $3"
        return 1
    done <<< "$last_out"
    echo "$1 not listed"
    return 1
}

# stats_are SERVICE [SERVER] = N...: in the last `ipvsadm -L -n --stats --exact` output, the
# counters of SERVICE ("TCP 10.0.0.1:8080", "UDP [2001:db8::1]:53"), or of its real server
# SERVER, are N... (Conns, InPkts, OutPkts, InBytes, OutBytes, as many as given).
stats_are() {
    local svc=$1 rs= line f i in=0
    shift
    [ "$1" = = ] || { rs=$1; shift; }
    shift
    while IFS= read -r line; do
        read -ra f <<< "$line"
        if [ "${f[0]}" = "->" ]; then
            [ $in = 1 ] && [ "${f[1]}" = "$rs" ] || continue
        else
            [ "${f[0]} ${f[1]}" = "$svc" ] && in=1 || in=0
            [ $in = 1 ] && [ -z "$rs" ] || continue
        fi
        for ((i = 1; i <= $#; i++)); do
            [ "${f[i + 1]}" = "${!i}" ] ||
                { echo "$svc $rs: counters ${f[*]:2}, not $*"; return 1; }
        done
        return 0
    done <<< "$last_out"
    echo "$svc $rs not listed"
    return 1
}

# setup CMD [ARG...]: a setup step. Quiet when it succeeds; when it fails, "setup FAILED", the
# command, its status and its output go into the transcript, which fails the scenario.
setup() {
    step_time "setup $*"
    "$@" > "$step_log.setup" 2>&1
    local rc=$? line
    if [ $rc != 0 ]; then
        echo "setup FAILED (status $rc): $*"
        while IFS= read -r line; do echo "  | $line"; done < "$step_log.setup"
    fi
    return $rc
}

# wait_ready LOG FILE...: waits (60 s at most) until every FILE exists, i.e. every background
# server started with its output in LOG is listening; else a failed setup step.
wait_ready() {
    local log=$1 f i
    shift
    for f in "$@"; do
        for ((i = 0; i < 300; i++)); do [ -e "$f" ] && break; sleep 0.2; done
        [ -e "$f" ] || { setup false "no $f after 60 s; $log says: $(< "$log")"; return 1; }
    done
}

traffic_py=$(realpath "$(dirname "${BASH_SOURCE[0]}")/traffic.py")
# -S: no site module. Its .pth files cost seconds per start in the debug guest, and the test
# programs use only the standard library.
py="/usr/bin/python3 -S"

# Under TCG with the debug kernel every program start costs a second or more, so scenarios
# start as few as they can: network setup goes through `ip -batch` and namespaces are entered
# with nsenter, which only joins the network namespace (`ip netns exec` and `ip -n` also make a
# mount namespace and remount /sys; nothing here reads /sys).

# in_ns NS CMD [ARG...]: runs CMD in network namespace NS.
in_ns() {
    local ns=$1
    shift
    nsenter --net="/run/netns/$ns" -- "$@"
}

# ip_batch [NS]: runs the ip commands on stdin (one per line, without "ip"), in namespace NS if
# given, carrying on after a failed one; a setup step (a failed command fails the scenario).
ip_batch() {
    if [ $# -gt 0 ]; then setup in_ns "$1" ip -force -batch -; else setup ip -force -batch -; fi
}

# nat_topology PREFIX SERVERS PORTS CLIENT_ADDRS DIRECTOR_ADDRS
# Namespaces PREFIX-cli, PREFIX-dir and PREFIX-rs1 .. PREFIX-rsSERVERS. The client's cli0 (the
# space-separated CLIENT_ADDRS, /24) faces the director's dir0 (DIRECTOR_ADDRS); real server i
# is 172.16.i.2 behind the director's rsi (172.16.i.1), routes back through the director and
# runs traffic.py's server "rsi" on PORTS (comma-separated) as a background job. Returns once
# every server listens. Quiet: only IPVS results go into transcripts.
nat_topology() {
    nat_links "$@" || return
    local i
    for i in $(seq "$2"); do
        rm -f /tmp/$1-ready$i
        TRAFFIC_READY=/tmp/$1-ready$i in_ns $1-rs$i $py "$traffic_py" server rs$i "$3" \
            > /tmp/$1-server$i.log 2>&1 &
    done
    for i in $(seq "$2"); do wait_ready /tmp/$1-server$i.log /tmp/$1-ready$i; done
}

# nat_links PREFIX SERVERS PORTS CLIENT_ADDRS DIRECTOR_ADDRS: nat_topology's namespaces and
# links, without the servers.
nat_links() {
    local p=$1 n=$2 client=$4 director=$5 ns a i
    {
        for ns in $p-cli $p-dir $(seq -f "$p-rs%g" "$n"); do echo "netns add $ns"; done
        echo "link add cli0 netns $p-cli type veth peer name dir0 netns $p-dir"
        for i in $(seq "$n"); do
            echo "link add rs$i netns $p-dir type veth peer name eth0 netns $p-rs$i"
        done
    } | ip_batch || return
    {
        echo "link set lo up"
        for a in $client; do echo "addr add $a/24 dev cli0"; done
        echo "link set cli0 up"
    } | ip_batch $p-cli || return
    {
        echo "link set lo up"
        for a in $director; do echo "addr add $a/24 dev dir0"; done
        echo "link set dir0 up"
        for i in $(seq "$n"); do
            echo "addr add 172.16.$i.1/24 dev rs$i"
            echo "link set rs$i up"
        done
    } | ip_batch $p-dir || return
    setup in_ns $p-dir sysctl -qw net.ipv4.ip_forward=1 || return
    for i in $(seq "$n"); do
        printf '%s\n' "link set lo up" "addr add 172.16.$i.2/24 dev eth0" "link set eth0 up" \
            "route add default via 172.16.$i.1" | ip_batch $p-rs$i || return
    done
}

# The shared topology: most traffic scenarios need no more than a nat_topology, and building
# one takes a minute or more in the debug guest (a namespace, a link or a program start costs
# about a second there), most of a short scenario. So they share one, built by the first of them
# in a guest boot and kept for the others:
#   shared_topology    namespaces nat-cli, nat-dir and nat-rs1 .. nat-rs4 as nat_topology makes
#                      them, with client addresses 10.0.0.2 (the source of unbound sockets) and
#                      10.0.0.11 .. 10.0.0.16, director addresses 10.0.0.1, .3, .4 and .5, and
#                      servers on ports $shared_ports, which outlive the scenario;
#   shared_release     the scenario's end, in place of topology_del: its background jobs
#                      stopped, the director's IPVS configuration cleared (C's modules cannot
#                      be unloaded while a service of a live namespace holds them), nftables
#                      cleared in the director and in each namespace named by shared_nft, and
#                      the undo lines given to shared_undo run.
# A scenario leaves the namespaces as it found them: each change it makes to them is undone by
# shared_release. What it cannot undo, it does not do here, and builds a topology of its own:
# sip (C's connections with SIP persistence data hold ip_vs_pe_sip until they expire, and only
# the namespace's deletion flushes them: shared, C's modules could not be unloaded after it),
# ipv6-traffic (tunnels, addresses and sysctls in every namespace) and pkt-fuzz (hostile
# packets, whose fragments and neighbour entries would outlive it). Should a release fail, the
# next scenario builds the topology afresh. Both guests run the scenarios in the same order, so
# C and ipvs_rs see the same history.
shared_ports=9,53,54,80,81,82,83,84,85,5060,8080
shared_dir=/tmp/nat-shared
shared_nft_ns=() shared_undo_lines=()
shared_topology() {
    local i pid ok=1
    if [ -e $shared_dir/ready ]; then
        for i in 1 2 3 4; do
            pid=$(< $shared_dir/ready$i)
            kill -0 "$pid" 2> /dev/null || ok=0
        done
        [ $ok = 1 ] && return 0
    fi
    # Built afresh: whatever is left of an earlier one goes first.
    rm -rf $shared_dir
    mkdir -p $shared_dir
    ip netns list | awk 'index($1, "nat-") == 1 { print "netns del " $1 }' | ip_batch || return
    nat_links nat 4 "" "10.0.0.2 $(seq -s ' ' -f '10.0.0.%g' 11 16)" \
        "10.0.0.1 10.0.0.3 10.0.0.4 10.0.0.5" || return
    for i in 1 2 3 4; do
        # setsid: the servers are not the scenario's jobs, and not in the process group that
        # the runner's time limit stops.
        TRAFFIC_READY=$shared_dir/ready$i setsid -f nsenter --net=/run/netns/nat-rs$i \
            $py "$traffic_py" server rs$i $shared_ports > $shared_dir/server$i.log 2>&1
    done
    for i in 1 2 3 4; do wait_ready $shared_dir/server$i.log $shared_dir/ready$i || return; done
    touch $shared_dir/ready
}

# shared_nft NS: the scenario loads nftables rules in NS (a shared namespace), to be cleared.
shared_nft() {
    shared_nft_ns+=("$1")
}

# shared_undo NS LINE: LINE (an ip command without "ip") undoes a change the scenario made to
# shared namespace NS; shared_release runs it.
shared_undo() {
    shared_undo_lines+=("$1 $2")
}

shared_release() {
    local ns rc=0 line
    {
        kill $(jobs -p)
        wait
    } > /dev/null 2>&1
    setup in_ns nat-dir ipvsadm -C || rc=1
    for ns in nat-dir $(printf '%s\n' "${shared_nft_ns[@]}" | sort -u); do
        setup in_ns $ns nft flush ruleset || rc=1
    done
    for line in "${shared_undo_lines[@]}"; do
        echo "${line#* }" | ip_batch "${line%% *}" || rc=1
    done
    [ $rc = 0 ] || rm -f $shared_dir/ready
}

# nat_topology_ipv6 PREFIX SERVERS
# IPv6 addresses on a nat_topology: the client's cli0 2001:db8::2/64 (default route through the
# director), the director's dir0 2001:db8::1/64, and for real server i fd00:i::2/64 behind the
# director's fd00:i::1/64 (its default route). The director forwards IPv6. No duplicate
# address detection, so the addresses work at once.
nat_topology_ipv6() {
    local p=$1 n=$2 i
    printf '%s\n' "addr add 2001:db8::2/64 dev cli0 nodad" \
        "route add default via 2001:db8::1" | ip_batch $p-cli
    {
        echo "addr add 2001:db8::1/64 dev dir0 nodad"
        for i in $(seq "$n"); do echo "addr add fd00:$i::1/64 dev rs$i nodad"; done
    } | ip_batch $p-dir
    for i in $(seq "$n"); do
        printf '%s\n' "addr add fd00:$i::2/64 dev eth0 nodad" \
            "route add default via fd00:$i::1" | ip_batch $p-rs$i
    done
    setup in_ns $p-dir sysctl -qw net.ipv6.conf.all.forwarding=1
}

# topology_del PREFIX: stops the scenario's background jobs and deletes the namespaces named
# PREFIX-*.
topology_del() {
    {
        kill $(jobs -p)
        wait
        ip netns list | awk -v p="$1-" 'index($1, p) == 1 { print "netns del " $1 }' | ip_batch
    } > /dev/null 2>&1
}

# settled NS: returns once the counters IPVS exports in namespace NS stop changing (12 s at
# most). Both modules refresh them every 2 s; C does it from a kernel thread, which a busy
# guest may run late.
settled() {
    local before now i
    now=$(in_ns "$1" ipvsadm -L -n --stats --exact)
    for i in 1 2 3 4 5; do
        sleep 2.5
        before=$now
        now=$(in_ns "$1" ipvsadm -L -n --stats --exact)
        [ "$now" = "$before" ] && return
    done
}

# unreach_counter NS ip|ip6 SPORT DPORT: nftables in NS counts the ICMP (ICMPv6) destination
# unreachables that reach it about a UDP datagram from port SPORT to port DPORT: its ports
# follow the 8-byte ICMP header and the quoted IP header (20 bytes without options, 40).
# Counters of all errors would count late answers of earlier traffic too, as timing makes.
unreach_counter() {
    local type=icmp at=224
    [[ $1 != nat-* ]] || shared_nft "$1"
    [ "$2" = ip6 ] && type=icmpv6 at=384
    in_ns "$1" nft -f - <<NFT
table $2 unreach {
    counter quoted { }
    chain input {
        type filter hook input priority 0;
        $type type destination-unreachable @th,$at,16 $3 @th,$((at + 16)),16 $4 counter name quoted
    }
}
NFT
}

# unreach_count NS ip|ip6: what unreach_counter has counted in NS.
unreach_count() {
    in_ns "$1" nft list counter "$2" unreach quoted | awk '$1 == "packets" { print $2 }'
}

# conn_fields NS N...: fields N... of each line of /proc/net/ip_vs_conn in NS (its header
# left out), sorted and counted: client ports are random and times run on.
conn_fields() {
    local ns=$1 f
    shift
    f=$(printf '$%s, ' "$@")
    in_ns "$ns" tail -n +2 /proc/net/ip_vs_conn | awk "{ print ${f%, } }" | sort | uniq -c
}

# strays NS CLIENT TCP_PORT UDP_PORT OTHER_PORT: real server NS sends the client CLIENT, on its
# port 31999 that no connection has, a UDP datagram from UDP_PORT, a TCP ACK and a TCP RST from
# TCP_PORT, and a UDP datagram from OTHER_PORT, printing the ICMP errors about each that come
# back (what nat_icmp_send decides).
strays() {
    run in_ns "$1" $py "$traffic_py" batch "stray $2 31999 $4 udp" \
        "stray $2 31999 $3 tcp-ack" "stray $2 31999 $3 tcp-rst" "stray $2 31999 $5 udp"
}
