# The legacy socket-option interface, byte for byte: every SET_* and GET_* with valid,
# duplicate, missing and malformed arguments (tests/lib/sockopt.py), then permissions.
# The expected results follow ip_vs_ctl.c's do_ip_vs_set_ctl and do_ip_vs_get_ctl: exact
# argument lengths (EINVAL), TCP, UDP or SCTP only (EFAULT), IPv4 services only.
. "$(dirname "$0")/../lib/scenario.sh"
lib=$(dirname "$0")/../lib

# answer LABEL [N]: finds the Nth (default first) call sockopt.py printed as "LABEL: ..." in
# the last output; sets ans (what follows the colon), ans_hex (the bytes returned, in hex),
# ans_servers (the real servers decoded from a GET_DESTS reply, in the order returned) and
# ans_filled (how many entries a partial GET_SERVICES filled).
answer() {
    local want=$1 n=${2:-1} line k=0 in=
    ans= ans_hex= ans_servers= ans_filled=
    while IFS= read -r line; do
        if [ -n "$in" ]; then
            case $line in
            "    servers: "*) ans_servers=${line#"    servers: "} ;;
            "    "*" entries filled")
                ans_filled=${line% entries filled} ans_filled=${ans_filled//" "/} ;;
            "    "*) ans_hex+=${line#"    "} ;;
            *) break ;;
            esac
        elif [[ $line == "$want: "* ]]; then
            k=$((k + 1))
            [ $k = "$n" ] && { ans=${line#"$want: "}; in=1; }
        fi
    done <<< "$last_out"
    [ -n "$in" ] || { echo "no \"$want\" (call $n)"; return 1; }
}
# gave LABEL=RESULT...: each call LABEL (its first) printed RESULT, e.g. "OK" or "EEXIST", or
# one of RESULT|RESULT...
gave() {
    local a bad=0
    for a in "$@"; do
        answer "${a%=*}" || { bad=1; continue; }
        [[ "|${a##*=}|" == *"|${ans%% *}|"* ]] || { echo "${a%=*}: $ans, not ${a##*=}"; bad=1; }
    done
    return $bad
}
# bytes LABEL N ERE: the Nth call LABEL succeeded and returned bytes matched (in hex) by ERE.
bytes() {
    answer "$1" "$2" || return 1
    [[ $ans == OK* && $ans_hex =~ ^($3)$ ]] || { echo "$1 ($2): $ans $ans_hex"; return 1; }
}
# servers LABEL LIST: the call LABEL returned the real servers LIST (address:port/flags/weight),
# in that order.
servers() {
    answer "$1" || return 1
    [[ $ans == OK* && $ans_servers == "$2" ]] ||
        { echo "$1: $ans, servers $ans_servers"; return 1; }
}

setup ip link set lo up
# An IPv6 service and a fwmark one over netlink: the sockopt interface must not show the first.
run ipvsadm -A -t [2001:db8::1]:80 -s rr
expect "IPv6 service added" eval 'rc_is 0 && out_is ""'
run $py "$lib/sockopt.py"
expect "version: the text, lengths checked" gave "get VERSION=OK" "get VERSION short=EINVAL"
expect "INFO: version 1.2.1, no IPv4 service (the IPv6 one is not counted)" \
    bytes "get INFO" 1 '01020100[0-9a-f]{8}00000000'
expect "INFO: a longer buffer gets 12 bytes, a shorter one EINVAL" eval \
    'bytes "get INFO long" 1 "01020100[0-9a-f]{8}00000000aaaaaaaaaaaaaaaa" &&
    gave "get INFO short=EINVAL"'
expect "default timeouts 900 120 300" bytes "get TIMEOUT" 1 84030000780000002c010000
expect "no daemon" bytes "get DAEMON" 1 "$(printf '0%.0s' {1..96})"
expect "unknown and out-of-range options refused" gave "get DEST (unused)=EINVAL" \
    "get beyond range=ENOPROTOOPT" "get below range=ENOPROTOOPT" "set beyond range=ENOPROTOOPT"
expect "service adds" gave "set ADD rr=OK" "set ADD again=EEXIST" "set ADD short=EINVAL" \
    "set ADD long=EINVAL" "set ADD icmp=EFAULT" "set ADD unterminated sched=EINVAL" \
    "set ADD unknown sched=ENOENT" "set ADD none sched=OK" "set ADD udp persistent=OK" \
    "set ADD sctp=OK" "set ADD fwmark udp=OK" "set ADD fwmark again tcp=EEXIST"
expect "service edits" gave "set EDIT fwmark tcp=ESRCH" "set EDIT fwmark udp=OK" \
    "set EDIT missing=ESRCH" "set EDIT unknown sched=ENOENT"
expect "real-server adds" gave "set ADDDEST=OK" "set ADDDEST again=EEXIST" \
    "set ADDDEST DR one-packet=OK" "set ADDDEST tunnel thresholds=OK" \
    "set ADDDEST weight<0=ERANGE" "set ADDDEST l>u=ERANGE" "set ADDDEST u>INT_MAX=EINVAL" \
    "set ADDDEST multicast=EINVAL" "set ADDDEST broadcast=EINVAL" "set ADDDEST short=EINVAL" \
    "set ADDDEST no service=ESRCH" "set ADDDEST wrong proto=ESRCH" "set ADDDEST fwmark=OK"
expect "real-server edits and deletes" gave "set EDITDEST=OK" "set EDITDEST missing=ENOENT" \
    "set EDITDEST weight<0=ERANGE" "set DELDEST=OK" "set DELDEST again=ENOENT"
expect "INFO: 5 IPv4 services" bytes "get INFO" 2 '01020100[0-9a-f]{8}05000000'
expect "SERVICES: lengths checked" gave "get SERVICES n=0=OK"
# filled LABEL N COUNT: the Nth call LABEL, a partial GET_SERVICES, filled COUNT entries.
filled() {
    answer "$1" "$2" && [[ $ans == OK* && $ans_filled == "$3" ]] ||
        { echo "$ans, $ans_filled filled"; return 1; }
}
# entries LABEL N COUNT: the Nth call LABEL, a full GET_SERVICES, returned COUNT entries.
entries() {
    answer "$1" "$2" && [[ $ans == OK* ]] && [ $(((${#ans_hex} - 16) / 208)) = "$3" ] ||
        { echo "$ans, $(((${#ans_hex} - 16) / 208)) entries"; return 1; }
}
expect "SERVICES with fewer slots than services: every slot filled" eval \
    'filled "get SERVICES n=1" 2 1 && filled "get SERVICES n=2" 2 2 &&
    filled "get SERVICES n=2" 5 2 && filled "get SERVICES n=3" 1 3'
expect "SERVICES with enough slots: every IPv4 service, 1, then 5, then 4" eval \
    'entries "get SERVICES n=1" 1 1 && entries "get SERVICES n=2" 1 1 &&
    entries "get SERVICES n=8" 1 5 && entries "get SERVICES n=4" 1 4'
expect "SERVICES: the length must match the slots" eval \
    'answer "get SERVICES n=2" 3 && [ "$ans" = "EINVAL len=217" ] &&
    answer "get SERVICES n=2" 4 && [ "$ans" = "EINVAL len=112" ]'
# A service entry (the input's bytes where the kernel leaves them: after the scheduler name's
# NUL and in the counters' padding): protocol, address, port, fwmark, scheduler, flags
# (hashed: 2), timeout, netmask, number of real servers, then zero counters.
any() { printf '[0-9a-f]{%d}' $(($1 * 2)); }
zero() { local z; printf -v z '%*s' $(($1 * 2)) ''; echo "${z// /0}"; }
stats="$(zero 12)$(any 4)$(zero 36)$(any 4)"
expect "a service as configured (rr, hashed, 2 real servers)" \
    bytes "get SERVICE tcp (input has garbage)" 1 \
    "060000000a0000010050000000000000727200$(any 13)0200000000000000ffffffff02000000$stats"
expect "the fwmark service as edited (UDP, lc, 1 real server)" bytes "get SERVICE fwmark 5" 1 \
    "110000000000000000000000050000006c6300$(any 13)0200000000000000ffffffff01000000$stats"
expect "SERVICE: missing and short" gave "get SERVICE missing=ESRCH" "get SERVICE short=EINVAL"
# Real servers come newest first (C adds each at the head of the service's list); a reply
# with fewer slots has the newest. Flags: the forwarding method and one-packet bit as set, plus
# INACTIVE (0x100) and, but for NAT, NOOUTPUT (0x80).
expect "DESTS n=0: none" servers "get DESTS n=0 10.0.0.1:80 fwm=0" none
expect "DESTS n=1: the newest" servers "get DESTS n=1 10.0.0.1:80 fwm=0" "10.0.1.3:80/0x2183/4"
expect "DESTS n=3: both, newest first, as edited" servers "get DESTS n=3 10.0.0.1:80 fwm=0" \
    "10.0.1.3:80/0x2183/4 10.0.1.2:8080/0x10183/7"
expect "DESTS n=9: the same" servers "get DESTS n=9 10.0.0.1:80 fwm=0" \
    "10.0.1.3:80/0x2183/4 10.0.1.2:8080/0x10183/7"
expect "DESTS of the fwmark service" servers "get DESTS n=4 0.0.0.0:0 fwm=5" "10.0.2.2:0/0x100/1"
expect "DESTS: wrong length, missing service" gave "get DESTS n=2 10.0.0.1:80 fwm=0=EINVAL" \
    "get DESTS n=1 10.0.0.1:99 fwm=0=ESRCH"
expect "timeouts: negative and past INT_MAX/HZ refused, INT_MAX/HZ accepted" gave \
    "set TIMEOUT=OK" "set TIMEOUT negative=EINVAL" "set TIMEOUT too big=OK" \
    "set TIMEOUT INT_MAX/HZ + 1=EINVAL" "set TIMEOUT short=EINVAL" "set TIMEOUT defaults=OK"
expect "timeouts as set, 0 leaving one as it was" bytes "get TIMEOUT" 2 0a00000014ae47011e000000
# Stopping a daemon stops it, but C answers EINTR if its thread had not run yet
# (kthread_stop's result; sockopt.py waits a second to make that unlikely).
expect "daemons" gave "set STARTDAEMON master=OK" "set STARTDAEMON master again=EEXIST" \
    "set STARTDAEMON empty ifname=EINVAL" "set STARTDAEMON unterminated=EINVAL" \
    "set STARTDAEMON no device=ENODEV" "set STARTDAEMON state 3=EINVAL" \
    "set STARTDAEMON backup=OK" "get DAEMON short=EINVAL" "set STOPDAEMON master=OK|EINTR" \
    "set STOPDAEMON master again=ESRCH" "set STOPDAEMON state 0=EINVAL" \
    "set STOPDAEMON backup=OK|EINTR" "set STOPDAEMON short=EINVAL"
expect "DAEMON: master (lo, sync id 3) then backup (lo, sync id 258)" bytes "get DAEMON" 2 \
    010000006c6f000000000000000000000000000003000000020000006c6f000000000000000000000000000002010000
expect "DAEMON: the backup alone" bytes "get DAEMON" 3 \
    000000000000000000000000000000000000000000000000020000006c6f000000000000000000000000000002010000
expect "zero" gave "set ZERO all=OK" "set ZERO one=OK" "set ZERO missing=ESRCH" \
    "set ZERO bad proto=EFAULT"
expect "commands without an argument, or with one they do not take" gave "set NONE=EINVAL" \
    "set INSERT=EINVAL" "set LIST=EINVAL" "set RESTORE=EINVAL" "set SAVE=EINVAL" \
    "set NONE with data=EINVAL" "set FLUSH with data=EINVAL"
expect "deletes" gave "set DEL=OK" "set DEL again=ESRCH" "set DEL fwmark wrong proto=ESRCH"
expect "INFO: 4 IPv4 services left" bytes "get INFO" 3 '01020100[0-9a-f]{8}04000000'
expect "flush" gave "set FLUSH=OK"
expect "INFO: none left" bytes "get INFO" 4 '01020100[0-9a-f]{8}00000000'
run ipvsadm -L -n
expect "the flush removed the IPv6 service too" out_lines 0 '(TCP|UDP|FWM) .*'
run ipvsadm -C
run_unprivileged $py "$lib/sockopt.py" --probe
expect "unprivileged: refused (EPERM)" gave "get INFO=EPERM" "set FLUSH=EPERM"
# Root of a new user namespace owns its new network namespace: sockopt lets it in (netlink,
# which wants the initial user namespace, does not).
run unshare -U -r -n $py "$lib/sockopt.py" --probe
expect "root of a new user namespace: allowed" eval \
    'bytes "get INFO" 1 "01020100[0-9a-f]{8}00000000" && gave "set FLUSH=OK"'
