# One-packet scheduling (-o) of UDP: every datagram is scheduled on its own and leaves no
# connection behind, so datagrams from one client socket go to each real server in turn (and
# their answers are not translated back); the same service without -o keeps a socket on one
# server. Compared: answers per datagram, the
# listing with its "ops" flag, /proc/net/ip_vs, counters and the connection table (empty for
# the one-packet service).
#
# Expected (ip_vs_core.c, ip_vs_conn.c): rr starts at the first listed real server, the last
# added (rs2). A one-packet connection is never hashed and expires once its datagram is sent,
# so a NAT real server's answer finds no connection to translate it back: it leaves with the
# server's own address, which the client's connected socket does not accept (no answer), while
# the unconnected sockets of `udp` take it.
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns nat-dir "$@"; }
c() { in_ns nat-cli "$@"; }
# ok: the last command succeeded and printed nothing.
ok() { rc_is 0 && out_is ''; }
# stats_are NAME VALUES: in an `ipvsadm -L -n --stats --exact` output (the last run), the
# service or real server NAME ("UDP  10.0.0.1:53", "-> 172.16.1.2:53") has the counters VALUES
# (Conns InPkts OutPkts InBytes OutBytes, as many as given).
stats_are() {
    local line rest f
    while IFS= read -r line; do
        read -r rest <<< "$line"
        [[ $rest == "$1 "* ]] || continue
        read -ra f <<< "${rest#"$1"}"
        [[ "${f[*]} " == "$2 "* ]] && return 0
        echo "$1: ${f[*]}, not $2"
        return 1
    done <<< "$last_out"
    echo "$1 not listed"
    return 1
}

shared_topology

cat > /tmp/ops-rules <<'RULES'
-A -u 10.0.0.1:53 -s rr -o
-a -u 10.0.0.1:53 -r 172.16.1.2:53 -m
-a -u 10.0.0.1:53 -r 172.16.2.2:53 -m
-A -u 10.0.0.1:54 -s rr
-a -u 10.0.0.1:54 -r 172.16.1.2:54 -m
-a -u 10.0.0.1:54 -r 172.16.2.2:54 -m
RULES
run d sh -c "ipvsadm -R < /tmp/ops-rules"
expect "services restored" ok
run c $py "$traffic_py" batch "udp-connected 4 10.0.0.1 53" "udp-connected 4 10.0.0.1 54" \
    "udp 4 10.0.0.1 53"
expect "one-packet: no answer reaches the connected socket" \
    eval 'out_lines 4 "no answer" && out_line "# udp-connected 4 10\.0\.0\.1 54"'
expect "without -o: the connection keeps the socket on one server (rs2)" out_lines 4 rs2
expect "one-packet, new sockets: each datagram to the next server (rs2, rs1, ...), its answer from the server's own address" \
    eval 'out_line "rs1 from 172\.16\.1\.2:53: 2" && out_line "rs2 from 172\.16\.2\.2:53: 2"'
settled nat-dir
run d ipvsadm -L -n
expect "the one-packet service listed with ops" out_line 'UDP +10\.0\.0\.1:53 rr ops *'
expect "the other without" out_line 'UDP +10\.0\.0\.1:54 rr *'
# The service lines of /proc/net/ip_vs, with C's "ops" marker (C lists in hash order: sorted).
run d sh -c 'grep "^UDP" /proc/net/ip_vs | sort'
expect "/proc/net/ip_vs: ops on 53 only" \
    eval "out_line 'UDP  0A000001:0035 rr ops *' && out_line 'UDP  0A000001:0036 rr *'"
run d ipvsadm -L -n --stats --exact
# In: 4 datagrams "hello N" (35 bytes) from the connected socket, 4 "hello" (33 bytes) from the
# others; each server takes 2 of each. Out: no answer through a connection.
expect "one-packet: every datagram a connection of its own, half to each server" eval \
    'stats_are "UDP  10.0.0.1:53" "8 8 0 272 0" && stats_are "-> 172.16.1.2:53" "4 4 0 136 0" &&
        stats_are "-> 172.16.2.2:53" "4 4 0 136 0"'
expect "without -o: one connection, 4 datagrams each way, all through rs2" eval \
    'stats_are "UDP  10.0.0.1:54" "1 4 4 140 124" && stats_are "-> 172.16.2.2:54" "1 4 4 140 124" &&
        stats_are "-> 172.16.1.2:54" "0 0 0 0 0"'
run conn_fields nat-dir 1 4 5 6 7
expect "no connection kept for the one-packet service; one for the other" \
    eval "out_lines 1 '.*' && out_line ' *1 UDP 0A000001 0036 AC100202 0036'"

shared_release
true
