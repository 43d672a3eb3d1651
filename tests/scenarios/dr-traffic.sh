# Direct routing: a client, a director and two real servers on one switch (a bridge in its own
# namespace). The real servers hold the virtual address on lo and do not answer ARP for it;
# the director forwards each packet unchanged to a real server's link address and the replies
# go straight to the client. Sequential TCP and UDP requests, then what the director counted
# (it sees the client's packets only) and its connection table.
#
# As in nat-traffic, TCP packet counts depend on ACK timing and are left out.
. "$(dirname "$0")/../lib/scenario.sh"

py=/usr/bin/python3
traffic=$(realpath "$(dirname "$0")/../lib/traffic.py")
d() { ip netns exec dr-dir "$@"; }
c() { ip netns exec dr-cli "$@"; }
vip=192.168.100.1

{
    ip netns add dr-sw
    ip -n dr-sw link add br0 type bridge
    ip -n dr-sw link set br0 up
    i=1
    for n in cli dir rs1 rs2; do
        ip netns add dr-$n
        ip -n dr-$n link set lo up
        ip link add eth0 netns dr-$n type veth peer name p-$n netns dr-sw
        ip -n dr-sw link set p-$n master br0
        ip -n dr-sw link set p-$n up
        ip -n dr-$n link set eth0 up
    done
    ip -n dr-cli addr add 10.0.0.2/24 dev eth0
    ip -n dr-cli route add $vip via 10.0.0.1
    ip -n dr-dir addr add 10.0.0.1/24 dev eth0
    ip -n dr-dir addr add $vip/32 dev lo
    for i in 1 2; do
        ip netns exec dr-rs$i sysctl -qw net.ipv4.conf.all.arp_ignore=1
        ip netns exec dr-rs$i sysctl -qw net.ipv4.conf.all.arp_announce=2
        ip -n dr-rs$i addr add 10.0.0.1$i/24 dev eth0
        ip -n dr-rs$i addr add $vip/32 dev lo
        ip netns exec dr-rs$i $py "$traffic" server rs$i 8080 &
    done
    sleep 1
} > /dev/null 2>&1

run d ipvsadm -A -t $vip:8080 -s rr
run d ipvsadm -A -u $vip:8080 -s wrr
for i in 1 2; do
    run d ipvsadm -a -t $vip:8080 -r 10.0.0.1$i -g
    run d ipvsadm -a -u $vip:8080 -r 10.0.0.1$i -g -w $i
done
run c $py "$traffic" tcp 8 $vip 8080
run c $py "$traffic" udp 9 $vip 8080
sleep 3
run d ipvsadm -L -n
run d sh -c "ipvsadm -L -n --stats --exact -t $vip:8080 | cut -c1-42"
run d ipvsadm -L -n --stats --exact -u $vip:8080
run d sh -c 'tail -n +2 /proc/net/ip_vs_conn | awk "{ print \$1, \$6, \$7, \$8 }" | sort | uniq -c'

{
    kill $(jobs -p) 2>/dev/null
    wait
    for ns in dr-cli dr-dir dr-rs1 dr-rs2 dr-sw; do ip netns del $ns; done
} > /dev/null 2>&1
true
