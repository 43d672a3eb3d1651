# Every sysctl under /proc/sys/net/ipv4/vs: names, modes and defaults in the initial namespace,
# a new one and one owned by a new user namespace; valid and invalid writes to those with
# special handlers. Expected values: ip_vs_control_net_init_sysctl and the handlers in
# ip_vs_ctl.c, Documentation/networking/ipvs-sysctl.rst.
. "$(dirname "$0")/../lib/scenario.sh"

# Few processes: each exec costs a lot under TCG with KASAN.
list() {
    run sh -c 'cd /proc/sys/net/ipv4/vs && stat -c "%a %n" * && grep -H . *'
}
# w NAME VALUE: write VALUE (as echo does) and read it back, with shell builtins only. For
# the tests below, last_rc is the write's status, w_err what it printed, last_out the value
# read back.
w() {
    local f=/proc/sys/net/ipv4/vs/$1 v rc
    echo "\$ w $1 $2"
    { echo "$2" > "$f"; } 2> "$step_log"
    last_rc=$?
    w_err=
    IFS= read -r w_err < "$step_log"
    [ -z "$w_err" ] || printf '%s\n' "$w_err"
    read -r v < "$f"
    rc=$?
    echo "$v"
    echo "[rc=$rc]"
    last_out=$v
}
# took VALUE: the write succeeded and VALUE reads back.
took() { rc_is 0 && [ -z "$w_err" ] && out_is "$1"; }
# refused VALUE [ERROR]: the write failed with ERROR (default EINVAL's text) and VALUE, the
# value from before, reads back.
refused() {
    [ "$last_rc" != 0 ] && [[ $w_err == *"write error: ${2:-Invalid argument}" ]] ||
        { echo "status $last_rc, error \"$w_err\""; return 1; }
    out_is "$1"
}
# shows NAME=VALUE...: the last listing has the line "NAME:VALUE" (grep -H) for each.
shows() {
    local a bad=0
    for a in "$@"; do out_line "${a%%=*}:${a#*=}" || { echo "no ${a%%=*}:${a#*=}"; bad=1; }; done
    return $bad
}
# modes MODE NAME...: the last listing has "MODE NAME" (stat) for each.
modes() {
    local m=$1 a bad=0
    shift
    for a in "$@"; do out_line "$m $a" || { echo "no \"$m $a\""; bad=1; }; done
    return $bad
}
# The sysctls read-only in a namespace of another user namespace; the others are 0644.
unpriv_ro="sync_qlen_max sync_sock_size run_estimation est_cpulist est_nice conn_lfactor
    svc_lfactor"
rw="amemthresh am_droprate conn_max drop_entry drop_packet conntrack secure_tcp snat_reroute
    sync_version sync_ports sync_persist_mode cache_bypass expire_nodest_conn sloppy_tcp sloppy_sctp
    expire_quiescent_template sync_threshold sync_refresh_period sync_retries nat_icmp_send
    pmtu_disc backup_only conn_reuse_mode schedule_icmp ignore_tunneled"

list
expect "every sysctl, mode 644" modes 644 $rw $unpriv_ro
expect "defaults" shows amemthresh=1024 am_droprate=10 conn_max=1073741824 drop_entry=0 \
    drop_packet=0 conntrack=0 secure_tcp=0 snat_reroute=1 sync_version=1 sync_ports=1 \
    sync_persist_mode=0 \
    sync_sock_size=0 cache_bypass=0 expire_nodest_conn=0 sloppy_tcp=0 sloppy_sctp=0 \
    expire_quiescent_template=0 sync_threshold=$'3\t50' sync_refresh_period=0 sync_retries=0 \
    nat_icmp_send=0 pmtu_disc=1 backup_only=0 conn_reuse_mode=1 schedule_icmp=0 \
    ignore_tunneled=0 run_estimation=1 est_nice=0 conn_lfactor=-4 svc_lfactor=-3
w conn_max 100
expect "conn_max: 100 taken" took 100
w conn_max -1
expect "conn_max: negative refused" refused 100
w conn_max 1073741824
expect "conn_max: the limit (2^30) taken" took 1073741824
w conn_max 1073741825
expect "conn_max: past the limit refused" refused 1073741824
w conn_max 5000
expect "conn_max: 5000 taken" took 5000
setup ip netns add sysctls2
run in_ns sysctls2 cat /proc/sys/net/ipv4/vs/conn_max
expect "a new namespace inherits conn_max" out_is 5000
run in_ns sysctls2 cat /proc/sys/net/ipv4/vs/conn_lfactor
expect "conn_lfactor of a new namespace" out_is -2
run in_ns sysctls2 cat /proc/sys/net/ipv4/vs/svc_lfactor
expect "svc_lfactor of a new namespace" out_is -2
setup ip netns del sysctls2
# Root of a new user namespace is not privileged for conn_max: at most the inherited limit.
run unshare -U -r -n sh -c 'cd /proc/sys/net/ipv4/vs; cat conn_max; echo 4000 > conn_max;
    cat conn_max; echo 6000 > conn_max; cat conn_max; echo 5000 > conn_max; cat conn_max'
# numbers_are N...: the lines of the last output that are numbers are N..., and one other
# line (the error) is there.
numbers_are() {
    local line got=() other=0
    while IFS= read -r line; do
        if [[ $line =~ ^-?[0-9]+$ ]]; then got+=("$line"); else other=$((other + 1)); fi
    done <<< "$last_out"
    [ "${got[*]}" = "$*" ] && [ $other = 1 ] ||
        { echo "numbers ${got[*]}, $other other lines"; return 1; }
}
expect "inherited 5000; 4000 taken, 6000 refused (an error), 5000 taken" \
    numbers_are 5000 4000 4000 5000
run unshare -U -r -n sh -c 'cd /proc/sys/net/ipv4/vs && stat -c "%a %n" *; echo 1 > est_nice'
expect "another user namespace: some sysctls read-only" eval \
    'modes 444 $unpriv_ro && modes 644 $rw'
expect "another user namespace: est_nice not writable" eval \
    'rc_is 2 && out_line ".*est_nice: Permission denied"'
w conn_max 1073741824
expect "conn_max: the initial namespace's root may raise it again" took 1073741824
w sync_ports 0
expect "sync_ports: 0 refused" refused 1
w sync_ports 3
expect "sync_ports: not a power of 2 refused" refused 1
w sync_ports 4
expect "sync_ports: 4 taken" took 4
w sync_ports -2
expect "sync_ports: negative refused" refused 4
w sync_ports 1
expect "sync_ports: 1 taken" took 1
w sync_threshold '5 100'
expect "sync_threshold: 5 100 taken" took $'5\t100'
w sync_threshold '50 3'
expect "sync_threshold: threshold above period refused" refused $'5\t100'
w sync_threshold '7 0'
expect "sync_threshold: period 0 taken" took $'7\t0'
w sync_threshold '-1 3'
expect "sync_threshold: negative refused" refused $'7\t0'
w sync_threshold '9'
expect "sync_threshold: one value sets the threshold" took $'9\t0'
w sync_threshold '3 50'
expect "sync_threshold: default back" took $'3\t50'
w sync_qlen_max 12345
expect "sync_qlen_max: taken" took 12345
w sync_qlen_max abc
expect "sync_qlen_max: not a number refused" refused 12345
w sync_qlen_max -5
expect "sync_qlen_max: negative refused" refused 12345
w est_cpulist 0
expect "est_cpulist: CPU 0 taken" took 0
w est_cpulist 0-1
expect "est_cpulist: CPUs 0-1 taken (as many as the guest has)" eval \
    'rc_is 0 && [ -z "$w_err" ] && { out_is 0-1 || out_is 0; }'
w est_cpulist 99
expect "est_cpulist: a CPU past the last refused (ERANGE)" eval \
    '[[ $last_out == 0* ]] && refused "$last_out" "Numerical result out of range"'
w est_cpulist abc
expect "est_cpulist: not a list refused" eval '[[ $last_out == 0* ]] && refused "$last_out"'
w est_cpulist ''
expect "est_cpulist: empty taken (estimation stops)" took ''
w est_nice 19
expect "est_nice: 19 taken" took 19
w est_nice 20
expect "est_nice: 20 refused" refused 19
w est_nice -21
expect "est_nice: -21 refused" refused 19
w est_nice 0
expect "est_nice: 0 taken" took 0
w conn_lfactor 8
expect "conn_lfactor: 8 taken" took 8
w conn_lfactor 9
expect "conn_lfactor: 9 refused" refused 8
w svc_lfactor -8
expect "svc_lfactor: -8 taken" took -8
w svc_lfactor -9
expect "svc_lfactor: -9 refused" refused -8
w run_estimation 7
expect "run_estimation: any number taken" took 7
w run_estimation 1
expect "run_estimation: 1 taken" took 1
w drop_entry 4
expect "drop_entry: past 3 refused" refused 0
w secure_tcp 3
expect "secure_tcp: 3 taken" took 3
w secure_tcp 0
expect "secure_tcp: 0 taken" took 0
w sync_refresh_period 5
expect "sync_refresh_period: 5 taken" took 5
w sync_refresh_period 0
expect "sync_refresh_period: 0 taken" took 0
w sync_version 2
expect "sync_version: past 1 refused" refused 1
list
expect "the values written" shows conn_max=1073741824 sync_ports=1 sync_threshold=$'3\t50' \
    sync_qlen_max=12345 est_nice=0 conn_lfactor=8 svc_lfactor=-8 run_estimation=1 \
    drop_entry=0 secure_tcp=0 sync_refresh_period=0 sync_version=1
expect "est_cpulist empty: no line" eval '! out_line "est_cpulist:.*"'
