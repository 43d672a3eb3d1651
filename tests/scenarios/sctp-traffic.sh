# SCTP services. The guest kernel has no SCTP stack, so both ends are raw sockets
# (traffic.py sctp and sctp-server): the real servers answer each chunk as a peer would, and
# the client walks an association through INIT, COOKIE ECHO, DATA, SHUTDOWN and SHUTDOWN
# COMPLETE, checking every answer's source and CRC (which NAT must compute anew when it
# changes a port). Compared after each kind of association: the connection table (the SCTP
# state machine) and the counters.
# - NAT, 10.0.0.1:5000 to port 5001 of two real servers (rr): a whole association, one left
#   after INIT (INIT1), one after COOKIE ECHO (established) and one the client aborts.
# - A DATA chunk to a port with no connection does not schedule one (only INIT does).
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns sctp-dir "$@"; }
c() { in_ns sctp-cli "$@"; }

nat_topology sctp 2 9 "10.0.0.2" "10.0.0.1"
{
    for i in 1 2; do
        rm -f /tmp/sctp-ready$i
        TRAFFIC_READY=/tmp/sctp-ready$i in_ns sctp-rs$i $py "$traffic_py" sctp-server rs$i &
    done
    until [ -e /tmp/sctp-ready1 ] && [ -e /tmp/sctp-ready2 ]; do sleep 0.2; done
} > /dev/null 2>&1

cat > /tmp/sctp-rules <<RULES
-A --sctp-service 10.0.0.1:5000 -s rr
-a --sctp-service 10.0.0.1:5000 -r 172.16.1.2:5001 -m
-a --sctp-service 10.0.0.1:5000 -r 172.16.2.2:5001 -m
RULES
run d sh -c "ipvsadm -R < /tmp/sctp-rules"
run c $py "$traffic_py" batch \
    "sctp 10.0.0.1 5000 40001 init,echo,data,shutdown,complete" \
    "sctp 10.0.0.1 5000 40002 init" \
    "sctp 10.0.0.1 5000 40003 init,echo" \
    "sctp 10.0.0.1 5000 40004 init,echo,abort" \
    "sctp 10.0.0.1 5000 40005 data"
run d sh -c 'tail -n +2 /proc/net/ip_vs_conn | awk "{ print \$1, \$3, \$5, \$6, \$7, \$8 }" | sort'
settled sctp-dir
run d ipvsadm -L -n --stats --exact
run d ipvsadm -L -n

topology_del sctp
true
