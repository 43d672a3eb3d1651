# The SIP persistence engine (--pe sip): a persistent UDP service whose templates are keyed by
# the SIP Call-ID as well as the client's network, so that one client's calls spread over the
# real servers (rr) while each call sticks to its server, whatever client port it comes from.
# A datagram without a Call-ID C can read, and any TCP packet, is dropped by C's engine (for
# all its comment about falling back to plain persistence). The templates show their Call-ID
# in /proc/net/ip_vs_conn.
# A real server's own request to a client (from its port of a SIP service, port 5070) leaves
# as if from the virtual address, and makes the connection and the template the client's
# answer and its later requests of that call are sent to that server by, unless a plain
# service's server with that address and port was added after.
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns sip-dir "$@"; }
c() { in_ns sip-cli "$@"; }

nat_topology sip 2 5060 "10.0.0.2" "10.0.0.1"

cat > /tmp/sip-rules <<'RULES'
-A -u 10.0.0.1:5060 -s rr -p 60 --pe sip
-a -u 10.0.0.1:5060 -r 172.16.1.2:5060 -m
-a -u 10.0.0.1:5060 -r 172.16.2.2:5060 -m
-A -t 10.0.0.1:5060 -s rr -p 60 --pe sip
-a -t 10.0.0.1:5060 -r 172.16.1.2:5060 -m
-a -t 10.0.0.1:5060 -r 172.16.2.2:5060 -m
-A -u 10.0.0.1:5070 -s rr -p 60 --pe sip
-a -u 10.0.0.1:5070 -r 172.16.1.2:5070 -m
-a -u 10.0.0.1:5070 -r 172.16.2.2:5070 -m
RULES
run d sh -c "ipvsadm -R < /tmp/sip-rules"
run d ipvsadm -L -n
# Calls a, b and c (c with the compact header), each new client port a new connection; a
# second datagram from port 40001 is on that connection, whatever its Call-ID. A Call-ID
# followed by a second "@" is one C's parser refuses.
run c $py "$traffic_py" batch \
    "sip 10.0.0.1 5060 40001/a@x 40002/b@x 40003/a@x 40004/- 40005/i=c 40006/b@x 40001/b@x" \
    "sip 10.0.0.1 5060 40007/c 40008/a@x 40009/id@host@more" \
    "tcp 1 10.0.0.1 5060"
# server_call PORT CALLID: rs2 calls the client's port PORT from its port 5070; the client
# tells where the request came from.
server_call() {
    rm -f /tmp/sip-peer-ready
    TRAFFIC_READY=/tmp/sip-peer-ready c $py "$traffic_py" sip-peer "$1" > /tmp/sip-peer.out &
    until [ -e /tmp/sip-peer-ready ]; do sleep 0.2; done
    run in_ns sip-rs2 $py "$traffic_py" sip-call 10.0.0.2 "$1" 5070 "$2"
    wait %%
    run cat /tmp/sip-peer.out
}
server_call 5080 z@x
# C asks the engine only if the first real server it finds with the datagram's source address,
# port and protocol (the one added last) is of a SIP service: with a plain service's server
# 172.16.2.2:5070 added after, rs2's request leaves from its own address, and no connection is
# made.
run d ipvsadm -A -u 10.0.0.3:5070 -s rr
run d ipvsadm -a -u 10.0.0.3:5070 -r 172.16.2.2:5070 -m
server_call 5081 v@x
run d ipvsadm -D -u 10.0.0.3:5070
# Nobody listens on port 5070 there: the connection table tells where these went.
run c $py "$traffic_py" sip 10.0.0.1 5070 40010/y@x 40011/z@x 40012/w@x
settled sip-dir
run d ipvsadm -L -n --stats --exact -u 10.0.0.1:5060
run d ipvsadm -L -n --stats --exact -u 10.0.0.1:5070
# The connection table without the seconds left.
run d sh -c 'tail -n +2 /proc/net/ip_vs_conn |
    awk "{ \$9 = \"\"; print }" | sort | uniq -c'

topology_del sip
true
