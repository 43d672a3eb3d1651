# Direct routing and tunnels: a client, a director and two real servers on one switch (a bridge
# in its own namespace). The real servers hold the virtual address on lo and do not answer ARP
# for it; replies go straight to the client.
# - Direct routing (port 8080): the director forwards each packet unchanged to a real server's
#   link address.
# - Tunnels: the director puts each packet in a new IPv4 header to the real server, which
#   takes it out on its tunnel device: IP-IP (port 8081, tunl0), GUE (port 8082, a fou port
#   6080 feeding tunl0; one server with UDP checksums and remote checksum offload) and GRE
#   (port 8083: real server 1 without GRE checksums on gre0, real server 2 with them on a
#   tunnel from the director that expects them, since the catch-all gre0 drops packets whose
#   checksum setting differs from its own).
# Sequential TCP and UDP requests, then what the director counted (it sees the client's
# packets only) and its connection table.
#
# As in nat-traffic, TCP packet counts depend on ACK timing and are left out.
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns dr-dir "$@"; }
c() { in_ns dr-cli "$@"; }
vip=192.168.100.1

{
    {
        echo "netns add dr-sw"
        for n in cli dir rs1 rs2; do
            echo "netns add dr-$n"
            echo "link add eth0 netns dr-$n type veth peer name p-$n netns dr-sw"
        done
    } | ip_batch
    {
        echo "link add br0 type bridge"
        echo "link set br0 up"
        for n in cli dir rs1 rs2; do
            echo "link set p-$n master br0"
            echo "link set p-$n up"
        done
    } | ip_batch dr-sw
    printf '%s\n' "link set lo up" "link set eth0 up" "addr add 10.0.0.2/24 dev eth0" \
        "route add $vip via 10.0.0.1" | ip_batch dr-cli
    printf '%s\n' "link set lo up" "link set eth0 up" "addr add 10.0.0.1/24 dev eth0" \
        "addr add $vip/32 dev lo" | ip_batch dr-dir
    for i in 1 2; do
        {
            echo "link set lo up"
            echo "link set eth0 up"
            echo "addr add 10.0.0.1$i/24 dev eth0"
            echo "addr add $vip/32 dev lo"
            echo "link set tunl0 up"
            echo "link set gre0 up"
            echo "fou add port 6080 gue"
            if [ $i = 2 ]; then
                echo "link add gre1 type gre local 10.0.0.1$i remote 10.0.0.1 icsum"
                echo "link set gre1 up"
            fi
        } | ip_batch dr-rs$i
        sysctls="net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2"
        for dev in all default tunl0 gre0 $([ $i = 2 ] && echo gre1); do
            sysctls+=" net.ipv4.conf.$dev.rp_filter=0"
        done
        in_ns dr-rs$i sysctl -qw $sysctls
        rm -f /tmp/dr-tun-ready$i
        TRAFFIC_READY=/tmp/dr-tun-ready$i in_ns dr-rs$i \
            $py "$traffic_py" server rs$i 8080,8081,8082,8083 &
    done
    until [ -e /tmp/dr-tun-ready1 ] && [ -e /tmp/dr-tun-ready2 ]; do sleep 0.2; done
} > /dev/null 2>&1

# One `ipvsadm -R` for all services (every process costs about a second in the debug guest).
rules=/tmp/dr-tun-rules
cat > $rules <<EOF
-A -t $vip:8080 -s rr
-A -u $vip:8080 -s wrr
-a -t $vip:8080 -r 10.0.0.11 -g
-a -t $vip:8080 -r 10.0.0.12 -g
-a -u $vip:8080 -r 10.0.0.11 -g -w 1
-a -u $vip:8080 -r 10.0.0.12 -g -w 2
-A -t $vip:8081 -s rr
-A -u $vip:8081 -s wrr
-a -t $vip:8081 -r 10.0.0.11 -i
-a -t $vip:8081 -r 10.0.0.12 -i
-a -u $vip:8081 -r 10.0.0.11 -i -w 2
-a -u $vip:8081 -r 10.0.0.12 -i -w 1
-A -t $vip:8082 -s rr
-A -u $vip:8082 -s wrr
-a -t $vip:8082 -r 10.0.0.11 -i --tun-type gue --tun-port 6080
-a -t $vip:8082 -r 10.0.0.12 -i --tun-type gue --tun-port 6080 --tun-remcsum
-a -u $vip:8082 -r 10.0.0.11 -i --tun-type gue --tun-port 6080 --tun-csum
-a -u $vip:8082 -r 10.0.0.12 -i --tun-type gue --tun-port 6080
-A -t $vip:8083 -s rr
-A -u $vip:8083 -s wrr
-a -t $vip:8083 -r 10.0.0.11 -i --tun-type gre
-a -t $vip:8083 -r 10.0.0.12 -i --tun-type gre --tun-csum
-a -u $vip:8083 -r 10.0.0.11 -i --tun-type gre
-a -u $vip:8083 -r 10.0.0.12 -i --tun-type gre --tun-csum
EOF
run d sh -c "ipvsadm -R < $rules"
batch=()
for port in 8080 8081 8082 8083; do batch+=("tcp 4 $vip $port" "udp 6 $vip $port"); done
run c $py "$traffic_py" batch "${batch[@]}"
settled dr-dir
run d ipvsadm -L -n --tun-info
run d sh -c "for p in 8080 8081 8082 8083; do
    ipvsadm -L -n --stats --exact -t $vip:\$p | cut -c1-42
    ipvsadm -L -n --stats --exact -u $vip:\$p
done"
run conn_fields dr-dir 1 5 6 7 8

# ICMP errors about the director's tunnel packets (sent to it by the client, quoting a tunnel
# packet that would carry one of its requests): a fragmentation-needed error lowers the path
# MTU to the real server, and the client hears of the MTU left inside the tunnel, from the
# virtual address, if its request had DF set: the MTU of the route the server's last tunnel
# packet took, which is the device's until one was learnt for the server (so the first error
# about a server tells the client the old one). The tunnel server is looked up by address and
# tunnel port, the newest first: 10.0.0.11's without port is the GRE one of port 8083, so an
# error about an IP-IP packet to it is not one of ours until port 8083's services go.
run c $py "$traffic_py" batch \
    "tunnel-error 10.0.0.1 10.0.0.12 gue:6080 $vip 8082 41001 1400 df" \
    "tunnel-error 10.0.0.1 10.0.0.11 gre $vip 8083 41002 1300 nodf" \
    "tunnel-error 10.0.0.1 10.0.0.12 gre-csum $vip 8083 41003 1300 df" \
    "tunnel-error 10.0.0.1 10.0.0.11 ipip $vip 8081 41004 1200 df"
run d sh -c "ipvsadm -D -t $vip:8083 && ipvsadm -D -u $vip:8083"
run c $py "$traffic_py" tunnel-error 10.0.0.1 10.0.0.11 ipip $vip 8081 41005 1200 df
run d sh -c "for rs in 10.0.0.11 10.0.0.12; do
    echo \$rs \$(ip -o route get \$rs | grep -o 'mtu [0-9]*')
done"
settled dr-dir
run d sh -c "ipvsadm -L -n --stats --exact -u $vip:8081; ipvsadm -L -n --stats --exact -u $vip:8082"

topology_del dr
true
