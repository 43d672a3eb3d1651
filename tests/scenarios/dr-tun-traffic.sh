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
# TCP counters are compared whole: traffic.py's TCP exchange takes the same segments every run.
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns dr-dir "$@"; }
c() { in_ns dr-cli "$@"; }
vip=192.168.100.1

# ok: the last command succeeded and printed nothing.
ok() { rc_is 0 && out_is ''; }
# says CMD ERE: in the last `traffic.py batch` output, what CMD printed is, as a whole, matched
# by ERE.
says() {
    local line in=0 got=
    while IFS= read -r line; do
        if [[ $line == "# "* ]]; then
            [ "$line" = "# $1" ] && in=1 || in=0
        elif [ $in = 1 ]; then
            got+=${got:+$'\n'}$line
        fi
    done <<< "$last_out"
    [[ $got =~ ^($2)$ ]] || { printf '%s printed:\n%s\n' "$1" "$got"; return 1; }
}

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
    setup in_ns dr-rs$i sysctl -qw $sysctls
    rm -f /tmp/dr-tun-ready$i
    TRAFFIC_READY=/tmp/dr-tun-ready$i in_ns dr-rs$i \
        $py "$traffic_py" server rs$i 8080,8081,8082,8083 > /tmp/dr-tun-server$i.log 2>&1 &
done
for i in 1 2; do wait_ready /tmp/dr-tun-server$i.log /tmp/dr-tun-ready$i; done

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
expect "all services restored" ok
batch=()
for port in 8080 8081 8082 8083; do batch+=("tcp 4 $vip $port" "udp 6 $vip $port"); done
run c $py "$traffic_py" batch "${batch[@]}"
# UDP weights (rs1:rs2): 1:2 on 8080, 2:1 on 8081, 1:1 (the default) on 8082 and 8083.
for port in 8080 8081 8082 8083; do
    expect "port $port: 4 rr connections answered by both servers, 2 each" \
        says "tcp 4 $vip $port" $'rs1: 2\nrs2: 2'
done
expect "UDP 8080 (direct routing, 1:2): rs1 2, rs2 4" says "udp 6 $vip 8080" $'rs1: 2\nrs2: 4'
expect "UDP 8081 (IP-IP, 2:1): rs1 4, rs2 2" says "udp 6 $vip 8081" $'rs1: 4\nrs2: 2'
expect "UDP 8082 (GUE): rs1 3, rs2 3" says "udp 6 $vip 8082" $'rs1: 3\nrs2: 3'
expect "UDP 8083 (GRE): rs1 3, rs2 3" says "udp 6 $vip 8083" $'rs1: 3\nrs2: 3'
settled dr-dir
run d ipvsadm -L -n --tun-info
run d sh -c "for p in 8080 8081 8082 8083; do
    ipvsadm -L -n --stats --exact -t $vip:\$p
    ipvsadm -L -n --stats --exact -u $vip:\$p
done"
# The director sees the client's packets only, counted before they are encapsulated: a TCP
# connection of traffic.py is 7 segments (378 bytes), a request 33 bytes (IP, UDP, "hello").
for port in 8080 8081 8082 8083; do
    expect "TCP $port: 4 connections, 28 segments, 1512 bytes in; 2 connections per server" eval \
        'stats_are "TCP $vip:$port" = 4 28 0 1512 0 &&
         stats_are "TCP $vip:$port" 10.0.0.11:$port = 2 14 0 756 0 &&
         stats_are "TCP $vip:$port" 10.0.0.12:$port = 2 14 0 756 0'
    expect "UDP $port: 6 requests in, nothing out" stats_are "UDP $vip:$port" = 6 6 0 198 0
done
weights() { # PORT N1 N2: UDP port PORT's servers had N1 and N2 requests
    stats_are "UDP $vip:$1" 10.0.0.11:$1 = $2 $2 0 $(($2 * 33)) 0 &&
        stats_are "UDP $vip:$1" 10.0.0.12:$1 = $3 $3 0 $(($3 * 33)) 0
}
expect "UDP per server as the weights say" eval \
    'weights 8080 2 4 && weights 8081 4 2 && weights 8082 3 3 && weights 8083 3 3'
run conn_fields dr-dir 1 5 6 7 8
# The director sees no server packet, so a closed TCP connection is left in FIN_WAIT (the
# client's FIN seen).
expect "per port 2 TCP connections per server in FIN_WAIT, UDP ones as the weights say" \
    out_is "$(
    for p in 1F90 1F91 1F92 1F93; do
        printf '%7d TCP %s 0A00000%s %s FIN_WAIT\n' 2 $p B $p 2 $p C $p
    done
    printf '%7d UDP %s 0A00000%s %s UDP\n' 2 1F90 B 1F90 4 1F90 C 1F90 4 1F91 B 1F91 \
        2 1F91 C 1F91 3 1F92 B 1F92 3 1F92 C 1F92 3 1F93 B 1F93 3 1F93 C 1F93)"
# Expiry times against FIN_WAIT's timeout (2 minutes): never more, whenever this is read, so a
# longer timeout or another state shows and the time the scenario takes does not.
run d sh -c 'tail -n +2 /proc/net/ip_vs_conn | awk "\$1 == \"TCP\" { print \$1, \$8,
    (\$9 > 120 ? \"more than 2 min\" : \$9 > 0 ? \"within 2 min\" : \"expired\") }" | sort | uniq -c'
expect "16 TCP connections in FIN_WAIT, expiring within 2 minutes" \
    out_is '     16 TCP FIN_WAIT within 2 min'

# ICMP errors about the director's tunnel packets (sent to it by the client, quoting a tunnel
# packet that would carry one of its requests): a fragmentation-needed error lowers the path
# MTU to the real server, and the client hears of the MTU left inside the tunnel, from the
# virtual address, if its request had DF set: the MTU of the route the server's last tunnel
# packet took, which is the device's until one was learnt for the server (so the first error
# about a server tells the client the old one). The tunnel server is looked up by address and
# tunnel port, the newest first: 10.0.0.11's without port is the GRE one of port 8083, so an
# error about an IP-IP packet to it is not one of ours until port 8083's services go.
errors=(
    "tunnel-error 10.0.0.1 10.0.0.12 gue:6080 $vip 8082 41001 1400 df"
    "tunnel-error 10.0.0.1 10.0.0.11 gre $vip 8083 41002 1300 nodf"
    "tunnel-error 10.0.0.1 10.0.0.12 gre-csum $vip 8083 41003 1300 df"
    "tunnel-error 10.0.0.1 10.0.0.11 ipip $vip 8081 41004 1200 df"
)
run c $py "$traffic_py" batch "${errors[@]}"
# told CPORT PORT MTU RS: what tunnel-error prints when real server RS answers the request
# from CPORT to PORT and the client is told MTU about it. untold RS: told nothing.
told() {
    printf 'answered by %s\nsent: .*\nICMP 3/4 mtu %s from 192\\.168\\.100\\.1 about %s' \
        "$4" "$3" "10\\.0\\.0\\.2:$1 -> 192\\.168\\.100\\.1:$2"
}
untold() { printf 'answered by %s\nsent: .*\nno error came' "$1"; }
# Who answers: wrr walks the servers newest first (C adds each at the head of the list), rs2
# (10.0.0.12) then rs1 with equal weights, so after 6 requests 8082 and 8083 go to rs2 next;
# 8081 (rs1 2, rs2 1) cycles rs1, rs2, rs1 and goes to rs2 then rs1. What the client is told:
# the MTU of the route to the server that took its request, less the tunnel's headers.
expect "GUE error with DF (rs2): told 1468, the device's 1500 less IP and UDP+GUE (32)" \
    says "${errors[0]}" "$(told 41001 8082 1468 rs2)"
expect "GRE error without DF (rs2): the client is told nothing" \
    says "${errors[1]}" "$(untold rs2)"
expect "GRE-with-checksum error with DF (rs1): told 1272, the 1300 learnt for 10.0.0.11 less 28" \
    says "${errors[2]}" "$(told 41003 8083 1272 rs1)"
expect "IP-IP error to a server whose newest tunnel is GRE (rs2): not ours, nothing told" \
    says "${errors[3]}" "$(untold rs2)"
run d sh -c "ipvsadm -D -t $vip:8083 && ipvsadm -D -u $vip:8083"
expect "port 8083 services deleted" ok
run c $py "$traffic_py" tunnel-error 10.0.0.1 10.0.0.11 ipip $vip 8081 41005 1200 df
expect "IP-IP error once the GRE services are gone (rs1): told 1180, the 1200 learnt less 20" \
    eval '[[ $last_out =~ ^($(told 41005 8081 1180 rs1))$ ]]'
run d sh -c "for rs in 10.0.0.11 10.0.0.12; do
    echo \$rs \$(ip -o route get \$rs | grep -o 'mtu [0-9]*')
done"
expect "the path MTUs learnt: the lowest each server was told" \
    out_is $'10.0.0.11 mtu 1200\n10.0.0.12 mtu 1300'
settled dr-dir
run d sh -c "ipvsadm -L -n --stats --exact -u $vip:8081; ipvsadm -L -n --stats --exact -u $vip:8082"
# The error told to the client counts out twice in C: as the request it quotes, 33 bytes
# (ip_vs_in_icmp), and as the director's ICMP error itself, 61 bytes, which passes the output
# hook as a reply about the connection (handle_response_icmp): 2 packets, 94 bytes.
expect "UDP 8081: 2 more requests (41004, 41005), the error told about 41005 out" \
    stats_are "UDP $vip:8081" = 8 8 2 264 94
expect "UDP 8082: 1 more request (41001), the error told about it out" \
    stats_are "UDP $vip:8082" = 7 7 2 231 94

topology_del dr
true
