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
#
# Expected (ip_vs_pe_sip.c, ip_vs_core.c ip_vs_sched_persist and ip_vs_new_conn_out): rr
# starts at the first listed real server, the last added (rs2); a call's first datagram makes
# its template, which its later datagrams follow, and only a new call moves rr on.
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns sip-dir "$@"; }
c() { in_ns sip-cli "$@"; }
# ok: the last command succeeded and printed nothing.
ok() { rc_is 0 && out_is ''; }
# stats_are NAME VALUES: in an `ipvsadm -L -n --stats --exact` output (the last run), the
# service or real server NAME ("UDP  10.0.0.1:5060", "-> 172.16.1.2:5060") has the counters
# VALUES (Conns InPkts OutPkts InBytes OutBytes, as many as given).
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

nat_topology sip 2 5060 "10.0.0.2" "10.0.0.1"
# The client answers a request where it came from: a real server's own address too (below),
# reached through the director.
echo "route add 172.16.0.0/16 via 10.0.0.1" | ip_batch sip-cli

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
expect "services restored" ok
run d ipvsadm -L -n
expect "3 persistent services with the SIP engine" \
    out_lines 3 '(UDP|TCP) +10\.0\.0\.1:50[67]0 rr persistent 60 pe sip *'
# Calls a, b and c (c with the compact header), each new client port a new connection; a
# second datagram from port 40001 is on that connection, whatever its Call-ID. A Call-ID
# followed by a second "@" is one C's parser refuses.
run c $py "$traffic_py" batch \
    "sip 10.0.0.1 5060 40001/a@x 40002/b@x 40003/a@x 40004/- 40005/i=c 40006/b@x 40001/b@x" \
    "sip 10.0.0.1 5060 40007/c 40008/a@x 40009/id@host@more" \
    "tcp 1 10.0.0.1 5060"
# Call a@x to rs2, b@x to rs1, a@x again to rs2; none without a Call-ID; c (compact header) to
# rs2, b@x again to rs1; port 40001's connection keeps rs2 whatever the Call-ID; c and a@x
# again to rs2; an unreadable Call-ID and TCP dropped.
expect "each call sticks to its server; no Call-ID, a bad one and TCP get nothing" \
    out_is "$(printf '%s\n' "# sip 10.0.0.1 5060 40001/a@x 40002/b@x 40003/a@x 40004/- 40005/i=c 40006/b@x 40001/b@x" \
        "40001 a@x: rs2" "40002 b@x: rs1" "40003 a@x: rs2" "40004 -: no answer" "40005 i=c: rs2" \
        "40006 b@x: rs1" "40001 b@x: rs2" "# sip 10.0.0.1 5060 40007/c 40008/a@x 40009/id@host@more" \
        "40007 c: rs2" "40008 a@x: rs2" "40009 id@host@more: no answer" "# tcp 1 10.0.0.1 5060" \
        "no answer: 1")"
# server_call PORT CALLID: rs2 calls the client's port PORT from its port 5070; the client
# tells where the request came from.
server_call() {
    setup rm -f /tmp/sip-peer-ready
    TRAFFIC_READY=/tmp/sip-peer-ready c $py "$traffic_py" sip-peer "$1" > /tmp/sip-peer.out 2>&1 &
    wait_ready /tmp/sip-peer.out /tmp/sip-peer-ready
    run in_ns sip-rs2 $py "$traffic_py" sip-call 10.0.0.2 "$1" 5070 "$2"
    call_out=$last_out
    wait %%
    run cat /tmp/sip-peer.out
}
server_call 5080 z@x
expect "rs2's request reached the client from the virtual address" \
    out_is "from 10.0.0.1:5070: ['Call-ID: z@x']"
last_out=$call_out
expect "the client's answer reached rs2 through that connection" \
    out_is "answer from 10.0.0.2:5080: ack"
# C asks the engine only if the first real server it finds with the datagram's source address,
# port and protocol (the one added last) is of a SIP service: with a plain service's server
# 172.16.2.2:5070 added after, rs2's request leaves from its own address, and no connection is
# made; the client's answer goes straight to rs2.
run d ipvsadm -A -u 10.0.0.3:5070 -s rr
expect "plain service added" ok
run d ipvsadm -a -u 10.0.0.3:5070 -r 172.16.2.2:5070 -m
expect "its server added" ok
server_call 5081 v@x
expect "rs2's request left from its own address" out_is "from 172.16.2.2:5070: ['Call-ID: v@x']"
last_out=$call_out
expect "the client's answer reached rs2" out_is "answer from 10.0.0.2:5081: ack"
run d ipvsadm -D -u 10.0.0.3:5070
expect "plain service deleted" ok
# Nobody listens on port 5070 there: the connection table tells where these went.
run c $py "$traffic_py" sip 10.0.0.1 5070 40010/y@x 40011/z@x 40012/w@x
expect "no answer on 5070" \
    out_is "$(printf '%s\n' "40010 y@x: no answer" "40011 z@x: no answer" "40012 w@x: no answer")"
settled sip-dir
run d ipvsadm -L -n --stats --exact -u 10.0.0.1:5060
expect "5060: 7 connections (calls and client ports), 8 datagrams in, 8 answers" \
    stats_are "UDP  10.0.0.1:5060" "7 8 8"
expect "5060: rs2 5 connections and 6 datagrams each way, rs1 2 and 2" eval \
    'stats_are "-> 172.16.2.2:5060" "5 6 6" && stats_are "-> 172.16.1.2:5060" "2 2 2"'
run d ipvsadm -L -n --stats --exact -u 10.0.0.1:5070
expect "5070: rs2's connection and 3 scheduled; the client's answer and 3 datagrams in" \
    stats_are "UDP  10.0.0.1:5070" "4 4"
# The connection table without the seconds left.
run d sh -c 'tail -n +2 /proc/net/ip_vs_conn |
    awk "{ \$9 = \"\"; print }" | sort | uniq -c'
# conn CLIENT_PORT VPORT SERVER: one connection from 10.0.0.2:CLIENT_PORT through
# 10.0.0.1:VPORT to rsSERVER (hexadecimal ports as listed).
conn() { out_line " *1 UDP 0A000002 $1 0A000001 $2 AC100${3}02 $2 .*"; }
# template VPORT SERVER CALLID: the template of call CALLID through 10.0.0.1:VPORT to rsSERVER.
template() { out_line " *1 UDP 0A000002 0000 0A000001 $1 AC100${2}02 $1 [A-Z]+  sip $3 *"; }
expect "17 entries" out_lines 17 ' *1 UDP .*'
expect "5060 connections by client port: 40001, 40003, 40005, 40007, 40008 to rs2; 40002, 40006 to rs1" \
    eval 'conn 9C41 13C4 2 && conn 9C42 13C4 1 && conn 9C43 13C4 2 && conn 9C45 13C4 2 &&
        conn 9C46 13C4 1 && conn 9C47 13C4 2 && conn 9C48 13C4 2 && out_lines 7 ".* 13C4 AC100[12]02 13C4 [A-Z]+ *"'
expect "5060 templates: a@x and c to rs2, b@x to rs1" \
    eval 'template 13C4 2 a@x && template 13C4 1 b@x && template 13C4 2 c'
expect "rs2's call to 10.0.0.2:5080 made a connection through 10.0.0.1:5070, the second none" \
    eval 'conn 13D8 13CE 2 && out_lines 0 ".* 13D9 .*"'
expect "5070: y@x to rs2, z@x to rs2 (rs2's call), w@x to rs1" \
    eval 'conn 9C4A 13CE 2 && conn 9C4B 13CE 2 && conn 9C4C 13CE 1 &&
        template 13CE 2 y@x && template 13CE 2 z@x && template 13CE 1 w@x'

topology_del sip
true
