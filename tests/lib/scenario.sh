# Helpers for scenario scripts (sourced). A scenario prints a transcript: each command as
# "$ cmd", then its combined output, then "[rc=N]", so that two runs can be diffed.

run() {
    echo "\$ $*"
    "$@" 2>&1
    echo "[rc=$?]"
}

# Runs a command as an unprivileged user (nobody, no capabilities).
run_unprivileged() {
    echo "\$ (as nobody) $*"
    setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@" 2>&1
    echo "[rc=$?]"
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
# given, carrying on after a failed one.
ip_batch() {
    if [ $# -gt 0 ]; then in_ns "$1" ip -force -batch -; else ip -force -batch -; fi
}

# nat_topology PREFIX SERVERS PORTS CLIENT_ADDRS DIRECTOR_ADDRS
# Namespaces PREFIX-cli, PREFIX-dir and PREFIX-rs1 .. PREFIX-rsSERVERS. The client's cli0 (the
# space-separated CLIENT_ADDRS, /24) faces the director's dir0 (DIRECTOR_ADDRS); real server i
# is 172.16.i.2 behind the director's rsi (172.16.i.1), routes back through the director and
# runs traffic.py's server "rsi" on PORTS (comma-separated) as a background job. Returns once
# every server listens. Quiet: only IPVS results go into transcripts.
nat_topology() {
    local p=$1 n=$2 ports=$3 client=$4 director=$5 ns a i
    {
        {
            for ns in $p-cli $p-dir $(seq -f "$p-rs%g" "$n"); do echo "netns add $ns"; done
            echo "link add cli0 netns $p-cli type veth peer name dir0 netns $p-dir"
            for i in $(seq "$n"); do
                echo "link add rs$i netns $p-dir type veth peer name eth0 netns $p-rs$i"
            done
        } | ip_batch
        {
            echo "link set lo up"
            for a in $client; do echo "addr add $a/24 dev cli0"; done
            echo "link set cli0 up"
        } | ip_batch $p-cli
        {
            echo "link set lo up"
            for a in $director; do echo "addr add $a/24 dev dir0"; done
            echo "link set dir0 up"
            for i in $(seq "$n"); do
                echo "addr add 172.16.$i.1/24 dev rs$i"
                echo "link set rs$i up"
            done
        } | ip_batch $p-dir
        in_ns $p-dir sysctl -qw net.ipv4.ip_forward=1
        for i in $(seq "$n"); do
            printf '%s\n' "link set lo up" "addr add 172.16.$i.2/24 dev eth0" "link set eth0 up" \
                "route add default via 172.16.$i.1" | ip_batch $p-rs$i
            rm -f /tmp/$p-ready$i
            TRAFFIC_READY=/tmp/$p-ready$i in_ns $p-rs$i $py "$traffic_py" server rs$i "$ports" &
        done
        for i in $(seq "$n"); do
            until [ -e /tmp/$p-ready$i ]; do sleep 0.2; done
        done
    } > /dev/null 2>&1
}

# nat_topology_ipv6 PREFIX SERVERS
# IPv6 addresses on a nat_topology: the client's cli0 2001:db8::2/64 (default route through the
# director), the director's dir0 2001:db8::1/64, and for real server i fd00:i::2/64 behind the
# director's fd00:i::1/64 (its default route). The director forwards IPv6. No duplicate
# address detection, so the addresses work at once.
nat_topology_ipv6() {
    local p=$1 n=$2 i
    {
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
        in_ns $p-dir sysctl -qw net.ipv6.conf.all.forwarding=1
    } > /dev/null 2>&1
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
