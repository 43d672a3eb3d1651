# Raw generic netlink, the wire variants other clients use and malformed requests
# (tests/lib/genl.py), then permissions: netlink wants CAP_NET_ADMIN in the initial user
# namespace, so neither an unprivileged user nor root of a new user namespace gets in.
# The expected results follow ip_vs_ctl.c (ip_vs_genl_set_cmd, _get_cmd, _parse_service,
# _parse_dest, _set_daemon) and the generic netlink core's checks.
. "$(dirname "$0")/../lib/scenario.sh"
lib=$(dirname "$0")/../lib

# reply LABEL[#N]: what genl.py printed for its (Nth, default first) request LABEL ("== LABEL"
# up to the next "== "), as the array blk.
reply() {
    local want=${1%#*} n=1 k=0 line in=
    [ "$want" = "$1" ] || n=${1##*#}
    blk=()
    while IFS= read -r line; do
        if [ -n "$in" ]; then
            [[ $line == "== "* ]] && break
            blk+=("$line")
        elif [ "$line" = "== $want" ]; then
            k=$((k + 1))
            [ $k = "$n" ] && in=1
        fi
    done <<< "$last_out"
    [ -n "$in" ] || { echo "no request \"$1\""; return 1; }
}
# answered LABEL=RESULT...: each request LABEL ended with RESULT: ACK, an errno name (as
# Python's errno module names it: ENOTSUP for EOPNOTSUPP, the same number), "done"
# (a dump without ACK), "none" (no ACK asked for), "error" (any errno), or one of
# RESULT|RESULT...
answered() {
    local a label want got line bad=0
    for a in "$@"; do
        label=${a%=*} want=${a##*=} got=none
        reply "$label" || { bad=1; continue; }
        for line in "${blk[@]}"; do
            [[ $line =~ ^\ \ ([A-Z0-9]+)\ flags=0x[0-9a-f]+$ ]] && got=${BASH_REMATCH[1]}
            [[ $line == "  done" && $got == none ]] && got=done
        done
        [[ "|$want|" == *"|$got|"* ]] || { [ "$want" = error ] && [[ $got == E* ]]; } ||
            { echo "$label: $got, not $want"; bad=1; }
    done
    return $bad
}
# has LABEL LINE...: the reply to LABEL has each LINE (whole lines).
has() {
    local label=$1 want line ok
    shift
    reply "$label" || return 1
    for want in "$@"; do
        ok=
        for line in "${blk[@]}"; do [ "$line" = "$want" ] && ok=1 && break; done
        [ -n "$ok" ] || { echo "$label: no line \"$want\""; return 1; }
    done
}
# lines LABEL PREFIX VALUE...: the reply to LABEL has lines PREFIX VALUE..., exactly those and
# in that order, among its lines starting with PREFIX.
lines() {
    local label=$1 prefix=$2 line got=()
    shift 2
    reply "$label" || return 1
    for line in "${blk[@]}"; do [[ $line == "$prefix"* ]] && got+=("${line#"$prefix"}"); done
    [ "${got[*]}" = "$*" ] || { echo "$label: \"${got[*]}\", not \"$*\""; return 1; }
}
ip16() { printf '%s%0*d' "$1" $((32 - ${#1})) 0; }

setup ip link set lo up
run $py "$lib/genl.py"
# The connection table is made with the first service: its size is 0 until then.
expect "GET_INFO: version 1.2.1, table size 0, in a SET_INFO reply" eval \
    'answered GET_INFO=ACK "GET_INFO no ack=none" &&
    has GET_INFO "  msg flags=0x0 cmd=14 version=1" "    1: 01020100" "    2: 00000000" &&
    has "GET_INFO no ack" "    1: 01020100"'
expect "GET_CONFIG: default timeouts 900 120 300" \
    has GET_CONFIG "  msg flags=0x0 cmd=12 version=1" "    4: 84030000" "    5: 78000000" \
    "    6: 2c010000"
expect "services: valid adds succeed, a duplicate gets EEXIST" answered \
    "NEW_SERVICE 4-byte address=ACK" "NEW_SERVICE again=EEXIST" "NEW_SERVICE 16-byte address=ACK" \
    "NEW_SERVICE flags 4 bytes=ACK" "NEW_SERVICE unknown nested attr=EEXIST" \
    "NEW_SERVICE unknown top attr=ACK" "NEW_SERVICE ipv6 pe sip=ACK"
# ip_vs_genl_parse_service answers EINVAL for a service nest that is missing, incomplete or
# fails its policy; the generic netlink core, which checks the top-level attributes leniently
# for these old commands, refuses one shorter than its type's minimum with ERANGE and a
# message shorter than its generic netlink header with EINVAL.
expect "services: incomplete or malformed requests are refused" answered \
    "NEW_SERVICE no netmask=EINVAL" "NEW_SERVICE no af=EINVAL" "NEW_SERVICE af 7=EAFNOSUPPORT" \
    "NEW_SERVICE sched unterminated=EINVAL" "NEW_SERVICE sched too long=EINVAL" \
    "NEW_SERVICE port 1 byte=EINVAL" "NEW_SERVICE address 17 bytes=EINVAL" \
    "NEW_SERVICE service not nested=ERANGE" "NEW_SERVICE no service=EINVAL" \
    "NEW_SERVICE ipv6 netmask 129=EINVAL"
expect "service edits and lookups" answered "SET_SERVICE flags mask=ACK" \
    "SET_SERVICE missing=ESRCH" "GET_SERVICE doit=ACK" "GET_SERVICE doit fwmark=ACK" \
    "GET_SERVICE doit missing=ESRCH" "GET_SERVICE doit no service=EINVAL"
expect "GET_SERVICE: the service as added (rr, hashed, all flags in the mask)" \
    has "GET_SERVICE doit" "  msg flags=0x0 cmd=1 version=1" "      1: 0200" "      2: 0600" \
    "      3: $(ip16 0a000001)" "      4: 0050" "      6: 727200" "      7: 02000000ffffffff"
expect "GET_SERVICE fwmark: as edited (lc, flag 0x10 added under its mask, timeout 5)" \
    has "GET_SERVICE doit fwmark" "      5: 04000000" "      6: 6c6300" \
    "      7: 12000000ffffffff" "      8: 05000000"
expect "real servers: valid adds succeed, wrong ones are refused" answered \
    "NEW_DEST 4-byte address no af=ACK" "NEW_DEST again=EEXIST" \
    "NEW_DEST fwd with extra bits=ACK" "NEW_DEST ipv6 masq to ipv4 service=EINVAL" \
    "NEW_DEST ipv6 tunnel to ipv4 service=ACK" "NEW_DEST af 3=EAFNOSUPPORT" \
    "NEW_DEST gue no port=EINVAL" "NEW_DEST no weight=EINVAL" "NEW_DEST no dest=EINVAL" \
    "NEW_DEST no service=EINVAL" "NEW_DEST multicast=EINVAL" "SET_DEST weight -1=ERANGE" \
    "SET_DEST=ACK"
# Real servers come newest first: C adds each at the head of the service's list.
expect "GET_DEST: the 3 real servers, newest first" lines "GET_DEST dump" "      1: " \
    20010db8000000000000000000000009 "$(ip16 0a000103)" "$(ip16 0a000102)"
expect "GET_DEST: methods and weights as set or edited (tunnel 1, DR 2, DR 9)" \
    lines "GET_DEST dump" "      3: " 02000000 03000000 03000000
expect "GET_DEST: weights" lines "GET_DEST dump" "      4: " 01000000 02000000 09000000
expect "GET_DEST with NLM_F_ACK: the same servers" lines "GET_DEST dump with ack" "      1: " \
    20010db8000000000000000000000009 "$(ip16 0a000103)" "$(ip16 0a000102)"
expect "GET_DEST: a missing or absent service gives an empty dump" eval \
    'answered "GET_DEST dump=done" "GET_DEST dump missing service=done" \
        "GET_DEST dump no service=done" &&
    lines "GET_DEST dump missing service" "  msg " && lines "GET_DEST dump no service" "  msg "'
expect "GET_SERVICE dump: the 5 services" lines "GET_SERVICE dump empty nest" "  msg flags=" \
    "0x2 cmd=1 version=1" "0x2 cmd=1 version=1" "0x2 cmd=1 version=1" "0x2 cmd=1 version=1" \
    "0x2 cmd=1 version=1"
# Stopping a daemon stops it, but C answers EINTR if its thread had not run yet
# (kthread_stop's result; genl.py waits a second to make that unlikely).
expect "daemons: refused with mixed-family servers, bad or missing attributes" answered \
    "NEW_DAEMON with mixed-family dests=EINVAL" "DEL_DEST ipv6=ACK" "DEL_DEST again=ENOENT" \
    "NEW_DAEMON no daemon attr=EINVAL" "NEW_DAEMON no syncid=EINVAL" \
    "NEW_DAEMON ifname 16=EINVAL" "NEW_DAEMON empty ifname=ENODEV" \
    "NEW_DAEMON unicast group=EINVAL" "NEW_DAEMON group6 short=EINVAL" \
    "NEW_DAEMON state 0=EINVAL" "NEW_DAEMON master=ACK" "NEW_DAEMON backup group6=ACK" \
    "GET_DAEMON=done" "DEL_DAEMON no state=EINVAL" "DEL_DAEMON master=ACK|EINTR" \
    "DEL_DAEMON master again=ESRCH" "DEL_DAEMON backup=ACK|EINTR" "GET_DAEMON empty=done"
expect "GET_DAEMON: master, then backup" lines GET_DAEMON "      1: " 01000000 02000000
expect "GET_DAEMON: sync ids 300 and 2" lines GET_DAEMON "      3: " 2c010000 02000000
expect "GET_DAEMON: maxlen 9000 and, for the backup on lo, 65535 - 48" \
    lines GET_DAEMON "      4: " 2823 cfff
expect "GET_DAEMON: ports 7000 and 8848" lines GET_DAEMON "      7: " 581b 9022
expect "GET_DAEMON: ttls 3 and 1" lines GET_DAEMON "      8: " 03 01
expect "GET_DAEMON: groups 224.0.0.81 and ff02::99" eval \
    'lines GET_DAEMON "      5: " e0000051 &&
    lines GET_DAEMON "      6: " ff020000000000000000000000000099'
expect "GET_DAEMON: none left" lines "GET_DAEMON empty" "  msg "
expect "timeouts: set, refused past INT_MAX/HZ" answered "SET_CONFIG tcp only=ACK" \
    "SET_CONFIG udp 2 bytes=ERANGE" "SET_CONFIG too big=EINVAL" \
    "SET_CONFIG tcp INT_MAX/HZ=ACK" "SET_CONFIG tcp INT_MAX/HZ + 1=EINVAL" \
    "SET_CONFIG restore=ACK"
expect "GET_CONFIG: tcp 1000, the others unchanged" \
    has "GET_CONFIG#2" "    4: e8030000" "    5: 78000000" "    6: 2c010000"
expect "GET_CONFIG: tcp INT_MAX/HZ" has "GET_CONFIG at the limit" "    4: 14ae4701"
expect "zero, unknown commands, malformed messages, delete, flush" answered "ZERO all=ACK" \
    "ZERO service=ACK" "ZERO missing=ESRCH" "unknown command 18=ENOTSUP" \
    "unknown command 200=ENOTSUP" "SET_INFO (reply-only command)=ENOTSUP" \
    "truncated genl header=EINVAL" "attribute overruns message=EINVAL" "DEL_SERVICE=ACK" \
    "DEL_SERVICE again=ESRCH" "FLUSH=ACK" "GET_SERVICE dump after flush=done"
expect "nothing left after the flush" lines "GET_SERVICE dump after flush" "  msg "
run ipvsadm -L -n
expect "ipvsadm sees no service" out_lines 0 '(TCP|UDP|FWM) .*'
run_unprivileged $py "$lib/genl.py" --probe
expect "unprivileged: refused (EPERM)" answered GET_INFO=EPERM FLUSH=EPERM
run unshare -U -r -n $py "$lib/genl.py" --probe
expect "root of a new user namespace: refused (EPERM)" answered GET_INFO=EPERM FLUSH=EPERM
