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

# nat_topology PREFIX SERVERS PORTS CLIENT_ADDRS DIRECTOR_ADDRS
# Namespaces PREFIX-cli, PREFIX-dir and PREFIX-rs1 .. PREFIX-rsSERVERS. The client's cli0 (the
# space-separated CLIENT_ADDRS, /24) faces the director's dir0 (DIRECTOR_ADDRS); real server i
# is 172.16.i.2 behind the director's rsi (172.16.i.1), routes back through the director and
# runs traffic.py's server "rsi" on PORTS (comma-separated) as a background job. Returns once
# every server listens. Quiet: only IPVS results go into transcripts.
nat_topology() {
    local p=$1 n=$2 ports=$3 client=$4 director=$5 ns a i
    {
        for ns in $p-cli $p-dir $(seq -f "$p-rs%g" "$n"); do
            ip netns add $ns
            ip -n $ns link set lo up
        done
        ip link add cli0 netns $p-cli type veth peer name dir0 netns $p-dir
        for a in $client; do ip -n $p-cli addr add $a/24 dev cli0; done
        ip -n $p-cli link set cli0 up
        for a in $director; do ip -n $p-dir addr add $a/24 dev dir0; done
        ip -n $p-dir link set dir0 up
        for i in $(seq "$n"); do
            ip link add rs$i netns $p-dir type veth peer name eth0 netns $p-rs$i
            ip -n $p-dir addr add 172.16.$i.1/24 dev rs$i
            ip -n $p-dir link set rs$i up
            ip -n $p-rs$i addr add 172.16.$i.2/24 dev eth0
            ip -n $p-rs$i link set eth0 up
            ip -n $p-rs$i route add default via 172.16.$i.1
            rm -f /tmp/$p-ready$i
            TRAFFIC_READY=/tmp/$p-ready$i ip netns exec $p-rs$i \
                /usr/bin/python3 "$traffic_py" server rs$i "$ports" &
        done
        ip netns exec $p-dir sysctl -qw net.ipv4.ip_forward=1
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
        ip -n $p-cli addr add 2001:db8::2/64 dev cli0 nodad
        ip -n $p-cli -6 route add default via 2001:db8::1
        ip -n $p-dir addr add 2001:db8::1/64 dev dir0 nodad
        for i in $(seq "$n"); do
            ip -n $p-dir addr add fd00:$i::1/64 dev rs$i nodad
            ip -n $p-rs$i addr add fd00:$i::2/64 dev eth0 nodad
            ip -n $p-rs$i -6 route add default via fd00:$i::1
        done
        ip netns exec $p-dir sysctl -qw net.ipv6.conf.all.forwarding=1
    } > /dev/null 2>&1
}

# topology_del PREFIX: stops the scenario's background jobs and deletes the namespaces named
# PREFIX-*.
topology_del() {
    {
        kill $(jobs -p)
        wait
        for ns in $(ip netns list | awk '{ print $1 }' | grep "^$1-"); do ip netns del $ns; done
    } > /dev/null 2>&1
}
