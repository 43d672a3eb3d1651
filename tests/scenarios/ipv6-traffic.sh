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
# TCP counters are compared whole: traffic.py's TCP exchange takes the same segments every run.
# One exception, C's own: the persistent port 82's four connections are held open (sweep) and
# closed together, and C's server side sent one segment more (a bare one, 72 bytes) in one run
# than in another: OutPkts 17 and OutBytes 1272 in C's record (2026-12-05 10:53, test kernel
# 92e45d9d82891a72), 16 and 1200 in a live run of C in the same kernel (2026-12-05 12:11; ipvs_rs
# 16 and 1200 too). So port 82's outgoing packets and bytes are left out of the comparison; its
# connections and incoming counters stay.
# mask: s/^\(\(TCP  \[2001:db8::1\]\|  -> \[fd00:[12]::2\]\):82 \+[0-9]\+ \+[0-9]\+\) \+[0-9]\+ \+\([0-9]\+\) \+[0-9]\+$/\1 - \3 -/
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns v6-dir "$@"; }
c() { in_ns v6-cli "$@"; }
vip=2001:db8::1
drvip=2001:db8:ffff::1

vip4=192.168.100.1

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
# errors_are E...: the last `strays` printed E... (an ICMP error or "no error came") about its
# packets, in turn.
errors_are() {
    local line got=() want
    while IFS= read -r line; do
        [[ $line == "# "* || $line == "sent: "* ]] || got+=("$line")
    done <<< "$last_out"
    want=$(printf '%s\n' "$@")
    [ "$(printf '%s\n' "${got[@]}")" = "$want" ] || { printf 'wanted:\n%s\n' "$want"; return 1; }
}

nat_topology v6 2 53,80,81,82,83,84,8080,8081,8082,8083,8084 "10.0.0.2" "10.0.0.1"
nat_topology_ipv6 v6 2
printf '%s\n' "addr add $drvip/128 dev lo" "addr add $vip4/32 dev lo" | ip_batch v6-dir
# IPv4 replies from the virtual address pass the director, which holds it too.
setup in_ns v6-dir sysctl -qw net.ipv4.conf.all.accept_local=1
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
    setup in_ns v6-rs$i sysctl -qw net.ipv4.conf.{all,default,tun6}.rp_filter=0
done

cat > /tmp/v6.nft <<'NFT'
table ip6 ipvs_marks6 {
    chain pre {
        type filter hook prerouting priority -150;
        ip6 daddr 2001:db8::1 tcp dport 83 meta mark set 6
    }
}
NFT
run d nft -f /tmp/v6.nft
expect "mark rule loaded" ok
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
expect "all services restored" ok
run c $py "$traffic_py" batch "tcp 4 $vip 80" "udp 6 $vip 53" "tcp 3 $vip 81" \
    "tcp 1 $vip 84" "tcp 4 $vip 83" "tcp 4 $drvip 8080" "udp 4 $drvip 8080" \
    "tcp 4 $drvip 8081" "udp 4 $drvip 8081" "tcp 4 $vip4 8081" "tcp 4 $drvip 8082" \
    "tcp 4 $drvip 8083" "tcp 4 $drvip 8084"
expect "NAT TCP 80 rr: 2 each" says "tcp 4 $vip 80" $'rs1: 2\nrs2: 2'
expect "NAT UDP 53 wrr 1:2: rs1 2, rs2 4" says "udp 6 $vip 53" $'rs1: 2\nrs2: 4'
expect "NAT TCP 81 sh: one client address, so all 3 on one server" says "tcp 3 $vip 81" 'rs[12]: 3'
expect "TCP 84 without servers: refused" says "tcp 1 $vip 84" 'refused: 1'
expect "firewall mark 6 rr: 2 each" says "tcp 4 $vip 83" $'rs1: 2\nrs2: 2'
for svc in "tcp 4 $drvip 8080" "udp 4 $drvip 8080" "tcp 4 $drvip 8081" "udp 4 $drvip 8081" \
    "tcp 4 $vip4 8081" "tcp 4 $drvip 8082" "tcp 4 $drvip 8083" "tcp 4 $drvip 8084"; do
    expect "${svc#* * } (${svc%% *}, rr): answered by both servers, 2 each" \
        says "$svc" $'rs1: 2\nrs2: 2'
done
# Persistence by /64: four client addresses of one network, all to one server.
sweep=/tmp/v6-sweep
mkdir -p $sweep && rm -f $sweep/*
c $py "$traffic_py" sweep 4 2001:db8::2,2001:db8::3,2001:db8::4,2001:db8::5 $sweep "[$vip]:82" \
    > $sweep/out 2>&1 &
sweeper=$!
wait_ready $sweep/out $sweep/ready
touch $sweep/stop
sweep_done() {
    wait $sweeper
    local rc=$?
    cat $sweep/out
    return $rc
}
shown "c $py $traffic_py sweep 4 2001:db8::2,2001:db8::3,2001:db8::4,2001:db8::5 $sweep [$vip]:82" \
    sweep_done
expect "persistence by /64: all four client addresses on one server" \
    out_line '\[2001:db8::1\]:82: rs[12] 4'
# The connection table now, while the first batch's connections are all still in it: their
# TIME_WAIT lasts 120 s (not settable), and under load the rest of the scenario can take that
# long, so a later listing would compare how fast each guest ran.
run conn_fields v6-dir 1 4 5 6 7 8

# ICMPv6 errors about NATed connections. Out: a real server's port unreachable for a UDP port
# nobody listens on reaches the client as if from the virtual address ("refused"). In: the
# client's port unreachable about an answer reaches the real server that sent it; one with a
# bad checksum is dropped.
run d ipvsadm -A -u [$vip]:9999 -s rr
expect "UDP service 9999 added" ok
run d ipvsadm -a -u [$vip]:9999 -r [fd00:1::2]:9999 -m
expect "its real server added" ok
run c $py "$traffic_py" udp-connected 2 $vip 9999
expect "the real server's port unreachables reach the client: refused twice" \
    out_is $'refused\nrefused'
# How many ICMPv6 errors about the answer to client port 40000 each real server got.
for i in 1 2; do setup unreach_counter v6-rs$i ip6 53 40000; done
unreach() {
    for i in 1 2; do echo "rs$i: $(unreach_count v6-rs$i ip6)"; done
}
run c $py "$traffic_py" icmp6-error $vip 53 40000
expect "the request is answered and both errors sent" out_lines 1 'answered by rs[12]'
answerer=
[[ $last_out =~ answered\ by\ (rs[12]) ]] && answerer=${BASH_REMATCH[1]}
sleep 1
run unreach
expect "only the answering server ($answerer) gets the error, once (the bad checksum dropped)" \
    out_is "$(for i in 1 2; do echo "rs$i: $([ "rs$i" = "$answerer" ] && echo 1 || echo 0)"; done)"
settled v6-dir
run d ipvsadm -L -n
expect "15 services listed" out_lines 15 '(TCP|UDP|FWM) .*'
run d ipvsadm -L -n --stats --exact
stats_line() { # SERVICE CONNS: the listing above shows SERVICE ("TCP [::1]:80") with CONNS
    local line f
    while IFS= read -r line; do
        read -ra f <<< "$line"
        [ "${f[0]} ${f[1]}" = "$1" ] || continue
        [ "${f[2]}" = "$2" ] && return 0
        echo "$1: ${f[2]} connections, not $2"
        return 1
    done <<< "$last_out"
    echo "$1 not listed"
    return 1
}
expect "NAT services' connections: 4 (80), 7 with icmp6-error's (53), 3 (81)" eval \
    'stats_line "TCP [2001:db8::1]:80" 4 && stats_line "UDP [2001:db8::1]:53" 7 &&
     stats_line "TCP [2001:db8::1]:81" 3'
# (The service line of mark 6 has "IPv6" where the others have Conns: its servers' lines.)
expect "mark 6: 2 connections per server" eval \
    'stats_line "-> [fd00:1::2]:83" 2 && stats_line "-> [fd00:2::2]:83" 2'
expect "tunnel and direct routing services: 4 connections each" out_lines 8 \
    '(TCP|UDP) +(\[2001:db8:ffff::1\]|192\.168\.100\.1):808[0-4] +4 .*'
# traffic.py's TCP exchange: 7 segments in and 6 out per connection, as over IPv4.
expect "TCP port 80 (NAT): 28 segments in, 24 out" stats_are "TCP [2001:db8::1]:80" = 4 28 24
expect "port 82 (persistent): the 4 swept connections" stats_line "TCP [2001:db8::1]:82" 4
expect "port 84 (no server): no connection" stats_line "TCP [2001:db8::1]:84" 0
run d ipvsadm -L -n --tun-info
run d ipvsadm -L -n --stats --exact -u [$vip]:53
# In: 7 requests and the good ICMPv6 error; out: 7 answers.
expect "UDP 53: 7 connections, 8 packets in (the error relayed), 7 out" \
    stats_are "UDP [$vip]:53" = 7 8 7
run d ipvsadm -L -n --stats --exact -u [$drvip]:8080
expect "UDP direct routing: 4 connections, 4 requests, 2 per server" eval \
    'stats_are "UDP [$drvip]:8080" = 4 4 && stats_are "UDP [$drvip]:8080" [fd00:1::2]:8080 = 2 2 &&
     stats_are "UDP [$drvip]:8080" [fd00:2::2]:8080 = 2 2'
run d ipvsadm -L -n --stats --exact -u [$drvip]:8081
expect "UDP IPv6 in IPv6: 4 connections, 4 requests, 2 per server" eval \
    'stats_are "UDP [$drvip]:8081" = 4 4 && stats_are "UDP [$drvip]:8081" [fd00:1::2]:8081 = 2 2 &&
     stats_are "UDP [$drvip]:8081" [fd00:2::2]:8081 = 2 2'
run d ipvsadm -L -n --persistent-conn -t [$vip]:82
expect "one template (the /64) on the server of the 4 connections, none on the other" eval \
    "out_line '  -> \\[fd00:[12]::2\\]:82 +1 +1 +0 +4 *' &&
     out_line '  -> \\[fd00:[12]::2\\]:82 +1 +0 +0 +0 *'"
# The UDP connections, with those the ICMPv6 part added (UDP lasts 300 s).
udp_conns() { conn_fields v6-dir 1 4 5 6 7 8 | grep ' UDP '; }
run udp_conns

# nat_icmp_send over IPv6 (see nat-traffic): a real server's packets from its service ports
# outside any connection, and from a port no service has. The client has a route back here, so
# what passes the director gets the client's own answer: a port unreachable for UDP, a RST
# (not an ICMP error) for TCP.
strays v6-rs1 2001:db8::2 80 53 54
expect "nat_icmp_send 0: every stray passes; the client answers the UDP ones" errors_are \
    "ICMP 1/4 from 2001:db8::2" "no error came" "no error came" "ICMP 1/4 from 2001:db8::2"
run d sysctl -w net.ipv4.vs.nat_icmp_send=1
expect "nat_icmp_send set" out_is "net.ipv4.vs.nat_icmp_send = 1"
strays v6-rs1 2001:db8::2 80 53 54
expect "nat_icmp_send 1: UDP and ACK from a service port get a port unreachable from the director" \
    errors_are "ICMP 1/4 from fd00:1::1" "ICMP 1/4 from fd00:1::1" "no error came" \
    "ICMP 1/4 from 2001:db8::2"

rm -rf /tmp/v6-sweep
topology_del v6
true
