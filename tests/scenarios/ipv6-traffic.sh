# IPv6 services on the packet path: a client, a director and two real servers, each real server
# on a link of its own behind the director (nat_topology with IPv6 addresses).
# - NAT (2001:db8::1): TCP port 80 (rr), UDP port 53 (wrr 1:2), TCP port 81 with sh (hashing
#   schedulers fold IPv6 addresses as C does), TCP port 82 persistent with a /64 prefix (every
#   client address of the network sticks to one server), and TCP port 84 without servers
#   (the client is told with an ICMPv6 port unreachable: "refused").
# - Direct routing to 2001:db8:ffff::1, which the director and both real servers hold on lo:
#   the real servers answer from it through their default route (the director forwards).
# - Tunnels to 2001:db8:ffff::1 (and 192.168.100.1): IPv6 in IPv6 (port 8081, the real
#   servers' tunnel from the director), IPv4 in IPv6 (192.168.100.1:8081, IPv4 service with IPv6
#   real servers, the same tunnel), IPv6 in IPv4 (port 8082, IPv6 service with IPv4 real
#   servers, sit0), GUE over IPv6 (port 8083, a fou port; one server with UDP checksums) and
#   GRE over IPv6 (port 8084, ip6gre0). Replies go back through the director, which sees them as C does.
# - A firewall-mark service over IPv6: nftables marks TCP to 2001:db8::1 port 83 with mark 6.
# - ICMPv6 errors about NATed connections, both ways; a real server's packets outside any
#   connection, with and without nat_icmp_send.
# Compared: answers per server, the listing, counters and the connection table.
#
# As in nat-traffic, TCP packet counts depend on ACK timing and are left out.
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns v6-dir "$@"; }
c() { in_ns v6-cli "$@"; }
vip=2001:db8::1
drvip=2001:db8:ffff::1

vip4=192.168.100.1

nat_topology v6 2 53,80,81,82,83,84,8080,8081,8082,8083,8084 "10.0.0.2" "10.0.0.1"
nat_topology_ipv6 v6 2
{
    printf '%s\n' "addr add $drvip/128 dev lo" "addr add $vip4/32 dev lo" | ip_batch v6-dir
    # IPv4 replies from the virtual address pass the director, which holds it too.
    in_ns v6-dir sysctl -qw net.ipv4.conf.all.accept_local=1
    {
        echo "route add $vip4 via 10.0.0.1"
        for i in 3 4 5; do echo "addr add 2001:db8::$i/64 dev cli0 nodad"; done
    } | ip_batch v6-cli
    for i in 1 2; do
        {
            echo "addr add $drvip/128 dev lo"
            echo "addr add $vip4/32 dev lo"
            echo "link add tun6 type ip6tnl mode any local fd00:$i::2 remote fd00:$i::1"
            for dev in sit0 ip6gre0 tun6; do echo "link set $dev up"; done
            echo "fou add port 6080 gue -6"
        } | ip_batch v6-rs$i
        in_ns v6-rs$i sysctl -qw net.ipv4.conf.{all,default,tun6}.rp_filter=0
    done
} > /dev/null 2>&1

cat > /tmp/v6.nft <<'NFT'
table ip6 ipvs_marks6 {
    chain pre {
        type filter hook prerouting priority -150;
        ip6 daddr 2001:db8::1 tcp dport 83 meta mark set 6
    }
}
NFT
run d nft -f /tmp/v6.nft
cat > /tmp/v6-rules <<RULES
-A -t [$vip]:80 -s rr
-a -t [$vip]:80 -r [fd00:1::2]:80 -m -w 1
-a -t [$vip]:80 -r [fd00:2::2]:80 -m -w 1
-A -u [$vip]:53 -s wrr
-a -u [$vip]:53 -r [fd00:1::2]:53 -m -w 1
-a -u [$vip]:53 -r [fd00:2::2]:53 -m -w 2
-A -t [$vip]:81 -s sh
-a -t [$vip]:81 -r [fd00:1::2]:81 -m -w 1
-a -t [$vip]:81 -r [fd00:2::2]:81 -m -w 1
-A -t [$vip]:82 -s rr -p 60 -M 64
-a -t [$vip]:82 -r [fd00:1::2]:82 -m -w 1
-a -t [$vip]:82 -r [fd00:2::2]:82 -m -w 1
-A -t [$vip]:84 -s rr
-A -f 6 -6 -s rr
-a -f 6 -6 -r [fd00:1::2]:83 -m -w 1
-a -f 6 -6 -r [fd00:2::2]:83 -m -w 1
-A -t [$drvip]:8080 -s rr
-a -t [$drvip]:8080 -r fd00:1::2 -g -w 1
-a -t [$drvip]:8080 -r fd00:2::2 -g -w 1
-A -u [$drvip]:8080 -s rr
-a -u [$drvip]:8080 -r fd00:1::2 -g -w 1
-a -u [$drvip]:8080 -r fd00:2::2 -g -w 1
-A -t [$drvip]:8081 -s rr
-a -t [$drvip]:8081 -r fd00:1::2 -i -w 1
-a -t [$drvip]:8081 -r fd00:2::2 -i -w 1
-A -u [$drvip]:8081 -s rr
-a -u [$drvip]:8081 -r fd00:1::2 -i -w 1
-a -u [$drvip]:8081 -r fd00:2::2 -i -w 1
-A -t $vip4:8081 -s rr
-a -t $vip4:8081 -r [fd00:1::2]:8081 -i -w 1
-a -t $vip4:8081 -r [fd00:2::2]:8081 -i -w 1
-A -t [$drvip]:8082 -s rr
-a -t [$drvip]:8082 -r 172.16.1.2:8082 -i -w 1
-a -t [$drvip]:8082 -r 172.16.2.2:8082 -i -w 1
-A -t [$drvip]:8083 -s rr
-a -t [$drvip]:8083 -r fd00:1::2 -i -w 1 --tun-type gue --tun-port 6080
-a -t [$drvip]:8083 -r fd00:2::2 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
-A -t [$drvip]:8084 -s rr
-a -t [$drvip]:8084 -r fd00:1::2 -i -w 1 --tun-type gre
-a -t [$drvip]:8084 -r fd00:2::2 -i -w 1 --tun-type gre
RULES
run d sh -c "ipvsadm -R < /tmp/v6-rules"
run c $py "$traffic_py" batch "tcp 4 $vip 80" "udp 6 $vip 53" "tcp 3 $vip 81" \
    "tcp 1 $vip 84" "tcp 4 $vip 83" "tcp 4 $drvip 8080" "udp 4 $drvip 8080" \
    "tcp 4 $drvip 8081" "udp 4 $drvip 8081" "tcp 4 $vip4 8081" "tcp 4 $drvip 8082" \
    "tcp 4 $drvip 8083" "tcp 4 $drvip 8084"
# Persistence by /64: four client addresses of one network, all to one server.
mkdir -p /tmp/v6-sweep
run c $py "$traffic_py" sweep 4 2001:db8::2,2001:db8::3,2001:db8::4,2001:db8::5 /tmp/v6-sweep \
    "[$vip]:82" &
until [ -e /tmp/v6-sweep/ready ]; do sleep 0.2; done
touch /tmp/v6-sweep/stop
wait %%

# ICMPv6 errors about NATed connections. Out: a real server's port unreachable for a UDP port
# nobody listens on reaches the client as if from the virtual address ("refused"). In: the
# client's port unreachable about an answer reaches the real server that sent it; one with a
# bad checksum is dropped.
run d ipvsadm -A -u [$vip]:9999 -s rr
run d ipvsadm -a -u [$vip]:9999 -r [fd00:1::2]:9999 -m
run c $py "$traffic_py" udp-connected 2 $vip 9999
# How many ICMPv6 errors about the answer to client port 40000 each real server got.
for i in 1 2; do unreach_counter v6-rs$i ip6 53 40000; done
unreach() {
    for i in 1 2; do echo "rs$i: $(unreach_count v6-rs$i ip6)"; done
}
run c $py "$traffic_py" icmp6-error $vip 53 40000
sleep 1
run unreach
settled v6-dir
run d ipvsadm -L -n
# Connections, and packets for UDP only (TCP's depend on ACK timing).
run d sh -c "ipvsadm -L -n --stats --exact |
    awk '/^[A-Z]/ { p = \$1 } { print \$1, \$2, \$3, (p == \"UDP\" ? \$4 : \"\") }'"
run d ipvsadm -L -n --tun-info
run d ipvsadm -L -n --stats --exact -u [$vip]:53
run d ipvsadm -L -n --stats --exact -u [$drvip]:8080
run d ipvsadm -L -n --stats --exact -u [$drvip]:8081
run d ipvsadm -L -n --persistent-conn -t [$vip]:82
run conn_fields v6-dir 1 4 5 6 7 8

# nat_icmp_send over IPv6 (see nat-traffic): a real server's packets from its service ports
# outside any connection, and from a port no service has.
strays v6-rs1 2001:db8::2 80 53 54
run d sysctl -w net.ipv4.vs.nat_icmp_send=1
strays v6-rs1 2001:db8::2 80 53 54

rm -rf /tmp/v6-sweep
topology_del v6
true
