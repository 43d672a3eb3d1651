# Persistence: connection templates bind a client (or its network) to one real server.
# - 10.0.0.1:80, persistent with the default netmask: each client address keeps its server;
# - 10.0.0.1:81, persistent for 255.255.255.0: the three clients share one server;
# - firewall mark 5 (TCP ports 82 and 83, marked by nftables), persistent: a client's
#   connections to both ports go to the same server;
# - 10.0.0.3 port 0, persistent: every port of the address (84 and 85 here) follows one
#   template per client;
# - UDP 10.0.0.1:53, persistent for 3 s with a UDP timeout of 2 s: datagrams stick to one
#   server, and once the template has expired the next goes to the next server.
# All real servers have weight 1 under rr, so a fresh template would move a client on.
# Compared: answers per service, the listing with persistent-connection counts, and every
# connection and template in /proc/net/ip_vs_conn (without the seconds left).
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns per-dir "$@"; }
c() { in_ns per-cli "$@"; }

nat_topology per 3 53,80,81,82,83,84,85 "10.0.0.11 10.0.0.12 10.0.0.13" "10.0.0.1 10.0.0.3"

cat > /tmp/per.nft <<'NFT'
table ip ipvs_marks {
    chain pre {
        type filter hook prerouting priority -150;
        tcp dport { 82, 83 } meta mark set 5
    }
}
NFT
run d nft -f /tmp/per.nft
rules=/tmp/per-rules
{
    echo "-A -t 10.0.0.1:80 -s rr -p 60"
    echo "-A -t 10.0.0.1:81 -s rr -p 60 -M 255.255.255.0"
    echo "-A -f 5 -s rr -p 60"
    echo "-A -t 10.0.0.3:0 -s rr -p 60"
    echo "-A -u 10.0.0.1:53 -s rr -p 3"
    for i in 1 2 3; do
        echo "-a -t 10.0.0.1:80 -r 172.16.$i.2:80 -m"
        echo "-a -t 10.0.0.1:81 -r 172.16.$i.2:81 -m"
        echo "-a -f 5 -r 172.16.$i.2 -m"
        echo "-a -t 10.0.0.3:0 -r 172.16.$i.2 -m"
        echo "-a -u 10.0.0.1:53 -r 172.16.$i.2:53 -m"
    done
} > $rules
run d sh -c "ipvsadm -R < $rules && ipvsadm --set 0 0 2"

ctl=/tmp/per-sweep
mkdir -p $ctl && rm -f $ctl/*
targets=(10.0.0.1:80 10.0.0.1:81 10.0.0.1:82 10.0.0.1:83 10.0.0.3:84 10.0.0.3:85)
c $py "$traffic_py" sweep 6 10.0.0.11,10.0.0.12,10.0.0.13 $ctl "${targets[@]}" > $ctl/out 2>&1 &
sweep=$!
until [ -e $ctl/ready ] || ! kill -0 $sweep 2>/dev/null; do sleep 0.2; done
echo "\$ sweep 6 connections from 3 clients through each target"
cat $ctl/out
run d ipvsadm -L -n --persistent-conn
# Each connection and template: protocol, client, virtual address or mark, server, state.
conns() {
    run d sh -c 'tail -n +2 /proc/net/ip_vs_conn | awk "{ print \$1, \$2, \$3, \$4, \$5, \$6, \$7, \$8 }" | sort'
}
conns
touch $ctl/stop
wait $sweep

# UDP: three datagrams stick; after the template (3 s) and the connections (2 s) have
# expired, the next three go to the next server.
run c $py "$traffic_py" udp 3 10.0.0.1 53
sleep 6
run c $py "$traffic_py" udp 3 10.0.0.1 53
run d ipvsadm -L -n --persistent-conn -u 10.0.0.1:53

topology_del per
true
