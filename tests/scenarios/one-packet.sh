# One-packet scheduling (-o) of UDP: every datagram is scheduled on its own and leaves no
# connection behind, so datagrams from one client socket go to each real server in turn; the
# same service without -o keeps a socket on one server. Compared: answers per datagram, the
# listing with its "ops" flag, /proc/net/ip_vs, counters and the connection table (empty for
# the one-packet service).
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns ops-dir "$@"; }
c() { in_ns ops-cli "$@"; }

nat_topology ops 2 53,54 "10.0.0.2" "10.0.0.1"

cat > /tmp/ops-rules <<'RULES'
-A -u 10.0.0.1:53 -s rr -o
-a -u 10.0.0.1:53 -r 172.16.1.2:53 -m
-a -u 10.0.0.1:53 -r 172.16.2.2:53 -m
-A -u 10.0.0.1:54 -s rr
-a -u 10.0.0.1:54 -r 172.16.1.2:54 -m
-a -u 10.0.0.1:54 -r 172.16.2.2:54 -m
RULES
run d sh -c "ipvsadm -R < /tmp/ops-rules"
run c $py "$traffic_py" batch "udp-connected 4 10.0.0.1 53" "udp-connected 4 10.0.0.1 54" \
    "udp 4 10.0.0.1 53"
settled ops-dir
run d ipvsadm -L -n
# The service lines of /proc/net/ip_vs, with C's "ops" marker (C lists in hash order: sorted).
run d sh -c 'grep "^UDP" /proc/net/ip_vs | sort'
run d ipvsadm -L -n --stats --exact
run conn_fields ops-dir 1 4 5 6 7

topology_del ops
true
