# NAT traffic: a client namespace, a director namespace and three real servers behind TCP and
# UDP virtual services. Sequential requests (so rr/wrr choices are deterministic), then the
# counters, connection counts and connection table; a real server quiesced (weight 0) and then
# deleted under an open connection; truncated and malformed packets to the virtual address
# (scheduled as C does when their header is whole);
# ICMP errors about NATed connections, both ways; packets from real servers outside any
# connection, with and without nat_icmp_send.
#
# Counters are compared whole: traffic.py's TCP exchange takes the same segments in every run
# (tcp_exchange there): 7 in (378 bytes) and 6 out (330 bytes) per connection.
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns nat-dir "$@"; }
c() { in_ns nat-cli "$@"; }

# ok: the last command succeeded and printed nothing.
ok() { rc_is 0 && out_is ''; }
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

shared_topology

run d ipvsadm -A -t 10.0.0.1:8080 -s rr
expect "TCP service added" ok
run d ipvsadm -A -u 10.0.0.1:8080 -s wrr
expect "UDP service added" ok
for i in 1 2 3; do
    run d ipvsadm -a -t 10.0.0.1:8080 -r 172.16.$i.2:8080 -m
    expect "TCP real server $i added" ok
    run d ipvsadm -a -u 10.0.0.1:8080 -r 172.16.$i.2:8080 -m -w $i
    expect "UDP real server $i added" ok
done

run c $py "$traffic_py" tcp 12 10.0.0.1 8080
expect "12 rr connections over 3 servers: 4 each, all answered" out_is $'rs1: 4\nrs2: 4\nrs3: 4'
run c $py "$traffic_py" udp 12 10.0.0.1 8080
expect "12 wrr datagrams over weights 1:2:3: 2/4/6, all answered" out_is $'rs1: 2\nrs2: 4\nrs3: 6'
# Expiry times in whole minutes, rounded up: the timeout the state sets less the time since the
# connection's last packet (well under a minute here). A closed TCP connection is in TIME_WAIT
# (2 minutes), a UDP one in state UDP (5 minutes). Read at once, before the time runs on.
run d sh -c 'tail -n +2 /proc/net/ip_vs_conn | awk "{ print \$1, \$8, int((\$9 + 59) / 60) }" |
    sort | uniq -c'
expect "12 TCP connections in TIME_WAIT, expiring within 2 minutes (but not 1)" \
    out_line ' +12 TCP TIME_WAIT 2'
expect "12 UDP connections expiring within 5 minutes (but not 4)" out_line ' +12 UDP UDP 5'
expect "no other connection" out_lines 2 '.*'
# The same connections as the sync code sees them (origin LOCAL), without the client port.
run d sh -c 'tail -n +2 /proc/net/ip_vs_conn_sync |
    awk "{ print \$1, \$2, \$4, \$5, \$6, \$7, \$8, \$9, int((\$10 + 59) / 60) }" | sort | uniq -c'
expect "ip_vs_conn_sync: 4 TIME_WAIT connections per TCP server, 2/4/6 UDP ones, all local" out_is "$(
    printf '%7d TCP 0A000002 0A000001 1F90 AC10%s02 1F90 TIME_WAIT LOCAL 2\n' 4 01 4 02 4 03
    printf '%7d UDP 0A000002 0A000001 1F90 AC10%s02 1F90 UDP LOCAL 5\n' 2 01 4 02 6 03)"
# Rates depend on when the estimator last ran (every 2 s), so only whether they moved is
# compared, while they still show the traffic: they decay to 0 within half a minute or so.
run d sh -c 'for i in $(seq 20); do
    ipvsadm -L -n --rate -u 10.0.0.1:8080 | awk "NR == 4 && \$6 != \"0\" { print \"InBPS non-zero\"; f = 1 }
                                                 END { exit !f }" && break
    sleep 0.5
done'
expect "the UDP service's byte rate moved" out_is "InBPS non-zero"
settled nat-dir
run d ipvsadm -L -n
expect "TCP service rr" out_line 'TCP  10\.0\.0\.1:8080 rr'
expect "UDP service wrr" out_line 'UDP  10\.0\.0\.1:8080 wrr'
expect "every TCP server: weight 1, no active and 4 inactive connections" \
    out_lines 3 '  -> 172\.16\.[123]\.2:8080 +Masq +1 +0 +4 *'
expect "UDP servers: weights 1/2/3 with 2/4/6 inactive connections" out_lines 3 \
    '  -> 172\.16\.(1\.2:8080 +Masq +1 +0 +2|2\.2:8080 +Masq +2 +0 +4|3\.2:8080 +Masq +3 +0 +6) *'
tcp_stats() {
    run d ipvsadm -L -n --stats --exact -t 10.0.0.1:8080
    tcp_stats=$last_out
}
udp_stats() {
    run d ipvsadm -L -n --stats --exact -u 10.0.0.1:8080
    udp_stats=$last_out
}
tcp_stats
expect "TCP service: 12 connections" stats_are "TCP 10.0.0.1:8080" = 12
expect "TCP servers: 4 connections each" out_lines 3 '  -> 172\.16\.[123]\.2:8080 +4 .*'
# traffic.py's tcp exchange: 7 segments in (378 bytes) and 6 out (330 bytes) per connection.
expect "TCP service: 12 connections, 84/72 packets, 4536/3960 bytes" \
    stats_are "TCP 10.0.0.1:8080" = 12 84 72 4536 3960
for i in 1 2 3; do
    expect "TCP rs$i: 4 connections, 28/24 packets, 1512/1320 bytes" \
        stats_are "TCP 10.0.0.1:8080" 172.16.$i.2:8080 = 4 28 24 1512 1320
done
udp_stats
# A datagram is 33 bytes in (IP, UDP, "hello") and 31 out (IP, UDP, "rsN").
expect "UDP service: 12 connections, 12 packets each way, 396 and 372 bytes" \
    stats_are "UDP 10.0.0.1:8080" = 12 12 12 396 372
expect "UDP rs1: 2 connections" stats_are "UDP 10.0.0.1:8080" 172.16.1.2:8080 = 2 2 2 66 62
expect "UDP rs2: 4 connections" stats_are "UDP 10.0.0.1:8080" 172.16.2.2:8080 = 4 4 4 132 124
expect "UDP rs3: 6 connections" stats_are "UDP 10.0.0.1:8080" 172.16.3.2:8080 = 6 6 6 198 186
# The same counters through the socket options an old ipvsadm reads (ipvsadm above reads them
# through netlink).
run d $py "$(dirname "$0")/../lib/sockopt.py" --stats
expect "socket options: TCP service 12 connections, 84/72 packets, 4536/3960 bytes" \
    out_line 'TCP 10\.0\.0\.1:8080: conns 12 inpkts 84 outpkts 72 inbytes 4536 outbytes 3960'
expect "socket options: each TCP server 4 connections, 28/24 packets, 1512/1320 bytes" \
    out_lines 3 '  -> 172\.16\.[123]\.2:8080: conns 4 inpkts 28 outpkts 24 inbytes 1512 outbytes 1320'
expect "socket options: UDP service 12 connections, 12 packets each way, 396/372 bytes" \
    out_line 'UDP 10\.0\.0\.1:8080: conns 12 inpkts 12 outpkts 12 inbytes 396 outbytes 372'
expect "socket options: UDP servers 2/4/6 connections, a datagram each way per connection" \
    eval 'for i in 1 2 3; do
        out_line "  -> 172\.16\.$i\.2:8080: conns $((2 * i)) inpkts $((2 * i)) outpkts $((2 * i)) inbytes $((66 * i)) outbytes $((62 * i))" || return
    done'
# Client ports are random and expiry times run on: connections per protocol, server and state.
run d sh -c 'tail -n +2 /proc/net/ip_vs_conn | awk "{ print \$1, \$6, \$7, \$8 }" | sort | uniq -c'
expect "4 TIME_WAIT connections per TCP server, 2/4/6 UDP ones" out_is "$(
    printf '%7d TCP AC10%s02 1F90 TIME_WAIT\n' 4 01 4 02 4 03
    printf '%7d UDP AC10%s02 1F90 UDP\n' 2 01 4 02 6 03)"
# The namespace's totals (hex), whole; not the rates, which depend on when the estimator ran.
run d awk 'NR <= 3' /proc/net/ip_vs_stats
expect "24 connections in all (hex 18): 96 packets in, 84 out, 4932 and 4332 bytes" \
    out_line ' *18 +60 +54 +1344 +10EC *'
run d awk '$1 == "~" { print "total conns", $2 }' /proc/net/ip_vs_stats_percpu
expect "per-CPU file's total: 24 connections" out_is "total conns 18"

# A real server quiesced, then deleted, under an open connection: with weight 0 the connection
# keeps working and new ones go elsewhere; once deleted, its packets are dropped.
hold=/tmp/nat-hold
mkdir -p $hold && rm -f $hold/*
c $py "$traffic_py" hold 10.0.0.1 8080 $hold > $hold/out 2>&1 &
holder=$!
connected() { [ -e $hold/out ] && [[ $(< $hold/out) == *connected* ]]; }
for ((i = 0; i < 600; i++)); do connected && break; sleep 0.1; done
connected || setup false "no connection held after 60 s: $(< $hold/out)"
held=$(sed -n 's/^connected to //p' $hold/out)
n=${held#rs}
run d ipvsadm -e -t 10.0.0.1:8080 -r 172.16.$n.2:8080 -m -w 0
expect "held server quiesced" ok
touch $hold/go1
wait_ready $hold/out $hold/done1
run c $py "$traffic_py" tcp 6 10.0.0.1 8080
others=$(for i in 1 2 3; do [ $i = "$n" ] || echo "rs$i: 3"; done)
expect "the quiesced server gets no new connection, the other two 3 each" out_is "$others"
run d ipvsadm -d -t 10.0.0.1:8080 -r 172.16.$n.2:8080
expect "held server deleted" ok
touch $hold/go2
wait_ready $hold/out $hold/done2
touch $hold/stop
hold_done() {
    wait $holder
    local rc=$?
    cat $hold/out
    return $rc
}
shown "c $py $traffic_py hold 10.0.0.1 8080 $hold" hold_done
# rr walks the servers in list order, and C puts each new server at the head of the list
# (ip_vs_ctl.c, list_add_rcu): rs3, rs2, rs1. After 4 rounds the 13th connection goes to rs3.
expect "held connection: rs3 (rr), answered while quiesced, dropped once deleted" \
    out_is $'connected to rs3\nround 1: ping 1\nround 2: no answer'
settled nat-dir
tcp_stats
expect "TCP service: 19 connections (12, the held one, 6)" stats_are "TCP 10.0.0.1:8080" = 19
expect "the deleted server is not listed" out_lines 0 ".*172\.16\.$n\.2.*"
expect "the other two TCP servers: 4 + 3 connections each" \
    out_lines 2 '  -> 172\.16\.[123]\.2:8080 +7 .*'
before_udp=$udp_stats
udp_stats
expect "UDP counters unchanged" out_is "$before_udp"

# Truncated and malformed packets to the virtual address. Those too short for their TCP (20
# bytes) or UDP (8 bytes) header are dropped without touching anything. The TCP SYN with a bad
# data offset and the UDP datagram with a zero length field have whole headers, and C's
# tcp_conn_schedule and udp_conn_schedule check nothing more: each is scheduled and counted
# like any first packet (a connection and a packet in; the real server drops it, no answer).
run c $py "$traffic_py" garbage 10.0.0.1 8080
expect "7 malformed packets sent" out_lines 7 'sent: .*'
settled nat-dir
tcp_stats
expect "TCP: the SYN with a bad data offset scheduled (20 connections), the truncated ones not" \
    stats_are "TCP 10.0.0.1:8080" = 20
udp_stats
# The 10-byte datagram is 30 bytes with its IP header.
expect "UDP: the zero-length datagram scheduled, counted in (30 bytes), unanswered; the cut one not" \
    stats_are "UDP 10.0.0.1:8080" = 13 13 12 426 372
run d sh -c 'grep -c . /proc/net/ip_vs_conn'

# ICMP errors about NATed connections. Out: a real server's port unreachable for a UDP port
# nobody listens on reaches the client as if from the virtual address, so the client's
# connected socket sees "refused". In: the client's port unreachable about an answer reaches
# the real server that sent it; one with a bad checksum is dropped.
run d ipvsadm -A -u 10.0.0.1:9999 -s rr
expect "UDP service 9999 added" ok
run d ipvsadm -a -u 10.0.0.1:9999 -r 172.16.1.2:9999 -m
expect "its real server added" ok
run c $py "$traffic_py" udp-connected 2 10.0.0.1 9999
expect "the real server's port unreachables reach the client: refused twice" \
    out_is $'refused\nrefused'
# How many ICMP errors about the answer to client port 40000 each real server got.
for i in 1 2 3; do setup unreach_counter nat-rs$i ip 8080 40000; done
unreach() {
    for i in 1 2 3; do echo "rs$i: $(unreach_count nat-rs$i ip)"; done
}
run c $py "$traffic_py" icmp-error 10.0.0.1 8080 40000
expect "the request is answered and both errors sent" out_lines 1 'answered by rs[123]'
answerer=
[[ $last_out =~ answered\ by\ (rs[123]) ]] && answerer=${BASH_REMATCH[1]}
sleep 1
run unreach
expect "only the answering server ($answerer) gets the error, once (the bad checksum dropped)" \
    out_is "$(for i in 1 2 3; do echo "rs$i: $([ "rs$i" = "$answerer" ] && echo 1 || echo 0)"; done)"
settled nat-dir
run d ipvsadm -L -n --stats --exact -u 10.0.0.1:8080
expect "the request counted (14 connections), the relayed error in (15 packets), its answer out" \
    stats_are "UDP 10.0.0.1:8080" = 14 15 13
run d ipvsadm -L -n --stats --exact -u 10.0.0.1:9999
# In: 2 datagrams of 35 bytes; out: the 2 port unreachables (63 bytes each) relayed.
expect "service 9999: 1 connection, 2 datagrams in, 2 ICMP errors out" \
    stats_are "UDP 10.0.0.1:9999" = 1 2 2 70 126

# nat_icmp_send. A real server's packet from its service port that no connection has is
# routed on while the sysctl is 0 (the client has no route back to answer it). With it set,
# the director drops the packet and tells the server with a port unreachable, unless it is a
# TCP RST; from a port no service has, packets pass either way.
run d ipvsadm -A -t 10.0.0.1:7070 -s rr
expect "TCP service 7070 added" ok
run d ipvsadm -A -u 10.0.0.1:7070 -s rr
expect "UDP service 7070 added" ok
run d ipvsadm -a -t 10.0.0.1:7070 -r 172.16.1.2:7070 -m
expect "TCP 7070 real server added" ok
run d ipvsadm -a -u 10.0.0.1:7070 -r 172.16.1.2:7070 -m
expect "UDP 7070 real server added" ok
strays nat-rs1 10.0.0.2 7070 7070 7071
expect "nat_icmp_send 0: every stray passes, no error" \
    errors_are "no error came" "no error came" "no error came" "no error came"
run d sysctl -w net.ipv4.vs.nat_icmp_send=1
expect "nat_icmp_send set" out_is "net.ipv4.vs.nat_icmp_send = 1"
strays nat-rs1 10.0.0.2 7070 7070 7071
expect "nat_icmp_send 1: UDP and ACK from a service port get a port unreachable from the director" \
    errors_are "ICMP 3/3 from 172.16.1.1" "ICMP 3/3 from 172.16.1.1" "no error came" "no error came"

shared_release
true
