# SCTP services. The guest kernel has no SCTP stack, so both ends are raw sockets
# (traffic.py sctp and sctp-server): the real servers answer each chunk as a peer would, and
# the client walks an association through INIT, COOKIE ECHO, DATA, SHUTDOWN and SHUTDOWN
# COMPLETE, checking every answer's source and CRC (which NAT must compute anew when it
# changes a port). Compared after each kind of association: the connection table (the SCTP
# state machine) and the counters.
# - NAT, 10.0.0.1:5000 to port 5001 of two real servers (rr): a whole association, one left
#   after INIT (INIT1, then C-SENT once the server's INIT ACK passes), one after COOKIE ECHO
#   (established) and one the client aborts; then one association a chunk at a time, its
#   state read after each.
# - A DATA chunk to a port with no connection does not schedule one (only INIT does).
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns nat-dir "$@"; }
c() { in_ns nat-cli "$@"; }

# ok: the last command succeeded and printed nothing.
ok() { rc_is 0 && out_is ''; }
# stats_are SERVICE [SERVER] = N...: in the last `ipvsadm -L -n --stats --exact` output, the
# counters of SERVICE ("SCTP 10.0.0.1:5000"), or of its real server SERVER, are N... (Conns,
# InPkts, OutPkts, InBytes, OutBytes, as many as given).
stats_are() {
    local svc=$1 rs= line f i in=0
    shift
    [ "$1" = = ] || { rs=$1; shift; }
    shift
    while IFS= read -r line; do
        read -ra f <<< "$line"
        if [ "${f[0]}" = "->" ]; then
            [ $in = 1 ] && [ "${f[1]}" = "$rs" ] || continue
        else
            [ "${f[0]} ${f[1]}" = "$svc" ] && in=1 || in=0
            [ $in = 1 ] && [ -z "$rs" ] || continue
        fi
        for ((i = 1; i <= $#; i++)); do
            [ "${f[i + 1]}" = "${!i}" ] ||
                { echo "$svc $rs: counters ${f[*]:2}, not $*"; return 1; }
        done
        return 0
    done <<< "$last_out"
    echo "$svc $rs not listed"
    return 1
}
# says CMD TEXT: in the last `traffic.py batch` output, CMD printed TEXT.
says() {
    local line in=0 got=
    while IFS= read -r line; do
        if [[ $line == "# "* ]]; then
            [ "$line" = "# $1" ] && in=1 || in=0
        elif [ $in = 1 ]; then
            got+=${got:+$'\n'}$line
        fi
    done <<< "$last_out"
    [ "$got" = "$2" ] || { printf '%s printed:\n%s\n' "$1" "$got"; return 1; }
}
# answers RS STEP...: what an association through 10.0.0.1:5000 prints for its STEPs when real
# server RS takes it: each chunk answered from the virtual address with a right CRC (INIT
# ACK carrying RS's cookie); SHUTDOWN COMPLETE and ABORT expect no answer.
answers() {
    local rs=$1 step
    shift
    for step; do
        case $step in
        init) echo "init: INIT ACK from 10.0.0.1:5000, crc ok, cookie $rs" ;;
        echo) echo "echo: COOKIE ACK from 10.0.0.1:5000, crc ok" ;;
        data) echo "data: SACK from 10.0.0.1:5000, crc ok" ;;
        shutdown) echo "shutdown: SHUTDOWN ACK from 10.0.0.1:5000, crc ok" ;;
        complete | abort) echo "$step: sent" ;;
        esac
    done
}

shared_topology
for i in 1 2; do
    rm -f /tmp/sctp-ready$i
    TRAFFIC_READY=/tmp/sctp-ready$i in_ns nat-rs$i $py "$traffic_py" sctp-server rs$i \
        > /tmp/sctp-server$i.log 2>&1 &
done
for i in 1 2; do wait_ready /tmp/sctp-server$i.log /tmp/sctp-ready$i; done

cat > /tmp/sctp-rules <<RULES
-A --sctp-service 10.0.0.1:5000 -s rr
-a --sctp-service 10.0.0.1:5000 -r 172.16.1.2:5001 -m
-a --sctp-service 10.0.0.1:5000 -r 172.16.2.2:5001 -m
RULES
run d sh -c "ipvsadm -R < /tmp/sctp-rules"
expect "service restored" ok
run c $py "$traffic_py" batch \
    "sctp 10.0.0.1 5000 40001 init,echo,data,shutdown,complete" \
    "sctp 10.0.0.1 5000 40002 init" \
    "sctp 10.0.0.1 5000 40003 init,echo" \
    "sctp 10.0.0.1 5000 40004 init,echo,abort" \
    "sctp 10.0.0.1 5000 40005 data"
# rr walks the servers newest first (C adds each at the head of the list): the associations go
# to rs2, rs1, rs2, rs1.
expect "a whole association (rs2): every chunk answered, CRCs right" \
    says "sctp 10.0.0.1 5000 40001 init,echo,data,shutdown,complete" \
    "$(answers rs2 init echo data shutdown complete)"
expect "INIT alone (rs1): INIT ACK" says "sctp 10.0.0.1 5000 40002 init" "$(answers rs1 init)"
expect "INIT, COOKIE ECHO (rs2): both answered" says "sctp 10.0.0.1 5000 40003 init,echo" \
    "$(answers rs2 init echo)"
expect "INIT, COOKIE ECHO, ABORT (rs1)" says "sctp 10.0.0.1 5000 40004 init,echo,abort" \
    "$(answers rs1 init echo abort)"
expect "DATA without an association: not scheduled, no answer" \
    says "sctp 10.0.0.1 5000 40005 data" "data: no answer"
run d sh -c 'tail -n +2 /proc/net/ip_vs_conn | awk "{ print \$1, \$3, \$5, \$6, \$7, \$8 }" | sort'
# States as the real server sees them (ip_vs_proto_sctp.c): INIT makes INIT1, the server's INIT
# ACK COOKIE_SENT (C-SENT), COOKIE ECHO C-REPLIED, COOKIE ACK ESTABLISHED; the client's
# SHUTDOWN S-RECEIVED, the server's SHUTDOWN ACK S-ACK-SENT, SHUTDOWN COMPLETE CLOSED; ABORT
# CLOSED. Client ports 9C41.. (40001..), to 1388 (5000), server port 1389 (5001).
expect "every association in the state its last chunk left it in, DATA's none" out_is "$(
    printf 'SCTP %s 1388 AC10%s02 1389 %s\n' 9C41 02 CLOSED 9C42 01 C-SENT 9C43 02 ESTABLISHED \
        9C44 01 CLOSED)"
settled nat-dir
run d ipvsadm -L -n --stats --exact
# Packets: 40001 5 in, 4 out; 40002 1, 1; 40003 2, 2; 40004 3, 2; 40005's DATA not counted.
expect "4 associations, 11 packets in, 9 out" stats_are "SCTP 10.0.0.1:5000" = 4 11 9
expect "rs2: 2 associations (40001, 40003)" stats_are "SCTP 10.0.0.1:5000" 172.16.2.2:5001 = 2 7 6
expect "rs1: 2 associations (40002, 40004)" stats_are "SCTP 10.0.0.1:5000" 172.16.1.2:5001 = 2 4 3
run d ipvsadm -L -n
expect "SCTP service rr" out_line 'SCTP 10\.0\.0\.1:5000 rr'
# ESTABLISHED is the one active state.
expect "rs2: Masq, weight 1, 1 active (40003) and 1 inactive connection" \
    out_line '  -> 172\.16\.2\.2:5001 +Masq +1 +1 +1 *'
expect "rs1: Masq, weight 1, 2 inactive connections" \
    out_line '  -> 172\.16\.1\.2:5001 +Masq +1 +0 +2 *'

# An association walked one chunk at a time, the connection's state read after each: the same
# states as above, plus the shutdown's S-ACK-SENT.
walk=()
for steps in init echo data shutdown complete; do
    run c $py "$traffic_py" sctp 10.0.0.1 5000 40006 $steps
    expect "$steps answered (rs2, rr's fifth)" out_is "$(answers rs2 $steps)"
    run d awk '$3 == "9C46" { print $1, $3, $5, $6, $7, $8 }' /proc/net/ip_vs_conn
    walk+=("${last_out##* }")
done
expect "association states: C-SENT, C-REPLIED then ESTABLISHED, ESTABLISHED, S-ACK-SENT, CLOSED" \
    [ "${walk[*]}" = "C-SENT ESTABLISHED ESTABLISHED S-ACK-SENT CLOSED" ]

shared_release
true
