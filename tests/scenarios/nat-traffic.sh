# NAT traffic: a client namespace, a director namespace and three real servers behind TCP and
# UDP virtual services. Sequential requests (so rr/wrr choices are deterministic), then the
# counters, connection counts and connection table; a real server quiesced (weight 0) and then
# deleted under an open connection; truncated and malformed packets to the virtual address;
# ICMP errors about NATed connections, both ways; packets from real servers outside any
# connection, with and without nat_icmp_send.
#
# UDP counters are compared whole. For TCP only connections are: how many ACK and FIN segments
# a connection takes depends on timing (delayed and merged ACKs), which varies between runs
# under TCG whatever module is loaded.
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns nat-dir "$@"; }
c() { in_ns nat-cli "$@"; }

nat_topology nat 3 8080 "10.0.0.2" "10.0.0.1"

run d ipvsadm -A -t 10.0.0.1:8080 -s rr
run d ipvsadm -A -u 10.0.0.1:8080 -s wrr
for i in 1 2 3; do
    run d ipvsadm -a -t 10.0.0.1:8080 -r 172.16.$i.2:8080 -m
    run d ipvsadm -a -u 10.0.0.1:8080 -r 172.16.$i.2:8080 -m -w $i
done

run c $py "$traffic_py" tcp 12 10.0.0.1 8080
run c $py "$traffic_py" udp 12 10.0.0.1 8080
settled nat-dir
run d ipvsadm -L -n
stats() {
    run d sh -c 'ipvsadm -L -n --stats --exact -t 10.0.0.1:8080 | cut -c1-42'
    run d ipvsadm -L -n --stats --exact -u 10.0.0.1:8080
}
stats
# Rates depend on when the estimator last ran, so only whether they moved is compared.
run d sh -c 'ipvsadm -L -n --rate -u 10.0.0.1:8080 |
    awk "NR == 4 { print (\$6 != \"0\" ? \"InBPS non-zero\" : \"InBPS zero\") }"'
# Client ports are random and expiry times run on: connections per protocol, server and state.
run d sh -c 'tail -n +2 /proc/net/ip_vs_conn | awk "{ print \$1, \$6, \$7, \$8 }" | sort | uniq -c'

# A real server quiesced, then deleted, under an open connection: with weight 0 the connection
# keeps working and new ones go elsewhere; once deleted, its packets are dropped.
mkdir -p /tmp/nat-hold && rm -f /tmp/nat-hold/*
c $py "$traffic_py" hold 10.0.0.1 8080 /tmp/nat-hold > /tmp/nat-hold/out 2>&1 &
holder=$!
until grep -q '^connected' /tmp/nat-hold/out; do sleep 0.1; done
held=$(sed -n 's/^connected to //p' /tmp/nat-hold/out)
n=${held#rs}
run d ipvsadm -e -t 10.0.0.1:8080 -r 172.16.$n.2:8080 -m -w 0
touch /tmp/nat-hold/go1
while [ ! -e /tmp/nat-hold/done1 ]; do sleep 0.1; done
run c $py "$traffic_py" tcp 6 10.0.0.1 8080
run d ipvsadm -d -t 10.0.0.1:8080 -r 172.16.$n.2:8080
touch /tmp/nat-hold/go2
while [ ! -e /tmp/nat-hold/done2 ]; do sleep 0.1; done
touch /tmp/nat-hold/stop
wait $holder
cat /tmp/nat-hold/out
settled nat-dir
stats

# Truncated and malformed packets to the virtual address: dropped or passed as C does, without
# touching the counters.
run c $py "$traffic_py" garbage 10.0.0.1 8080
settled nat-dir
stats
run d sh -c 'grep -c . /proc/net/ip_vs_conn'

# ICMP errors about NATed connections. Out: a real server's port unreachable for a UDP port
# nobody listens on reaches the client as if from the virtual address, so the client's
# connected socket sees "refused". In: the client's port unreachable about an answer reaches
# the real server that sent it; one with a bad checksum is dropped.
run d ipvsadm -A -u 10.0.0.1:9999 -s rr
run d ipvsadm -a -u 10.0.0.1:9999 -r 172.16.1.2:9999 -m
run c $py "$traffic_py" udp-connected 2 10.0.0.1 9999
# How many ICMP errors about the answer to client port 40000 each real server got.
for i in 1 2 3; do unreach_counter nat-rs$i ip 8080 40000; done
unreach() {
    for i in 1 2 3; do echo "rs$i: $(unreach_count nat-rs$i ip)"; done
}
run c $py "$traffic_py" icmp-error 10.0.0.1 8080 40000
sleep 1
run unreach
settled nat-dir
run d ipvsadm -L -n --stats --exact -u 10.0.0.1:8080
run d ipvsadm -L -n --stats --exact -u 10.0.0.1:9999

# nat_icmp_send. A real server's packet from its service port that no connection has is
# routed on while the sysctl is 0 (the client has no route back to answer it). With it set,
# the director drops the packet and tells the server with a port unreachable, unless it is a
# TCP RST; from a port no service has, packets pass either way.
run d ipvsadm -A -t 10.0.0.1:7070 -s rr
run d ipvsadm -A -u 10.0.0.1:7070 -s rr
run d ipvsadm -a -t 10.0.0.1:7070 -r 172.16.1.2:7070 -m
run d ipvsadm -a -u 10.0.0.1:7070 -r 172.16.1.2:7070 -m
strays nat-rs1 10.0.0.2 7070 7070 7071
run d sysctl -w net.ipv4.vs.nat_icmp_send=1
strays nat-rs1 10.0.0.2 7070 7070 7071

topology_del nat
true
