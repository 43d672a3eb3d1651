# Every sysctl under /proc/sys/net/ipv4/vs: names, modes and defaults in the initial namespace,
# a new one and one owned by a new user namespace; valid and invalid writes to those with
# special handlers.
. "$(dirname "$0")/../lib/scenario.sh"

# Few processes: each exec costs a lot under TCG with KASAN.
list() {
    run sh -c 'cd /proc/sys/net/ipv4/vs && stat -c "%a %n" * && grep -H . *'
}
# w NAME VALUE: write VALUE (as echo does) and read it back, with shell builtins only.
w() {
    local f=/proc/sys/net/ipv4/vs/$1 v rc
    echo "\$ w $1 $2"
    { echo "$2" > "$f"; } 2>&1
    read -r v < "$f"
    rc=$?
    echo "$v"
    echo "[rc=$rc]"
}

list
w conn_max 100
w conn_max -1
w conn_max 1073741824
w conn_max 1073741825
w conn_max 5000
ip netns add sysctls2
run in_ns sysctls2 cat /proc/sys/net/ipv4/vs/conn_max
run in_ns sysctls2 cat /proc/sys/net/ipv4/vs/conn_lfactor
run in_ns sysctls2 cat /proc/sys/net/ipv4/vs/svc_lfactor
ip netns del sysctls2
# Root of a new user namespace is not privileged for conn_max: at most the inherited limit.
run unshare -U -r -n sh -c 'cd /proc/sys/net/ipv4/vs; cat conn_max; echo 4000 > conn_max;
    cat conn_max; echo 6000 > conn_max; cat conn_max; echo 5000 > conn_max; cat conn_max'
run unshare -U -r -n sh -c 'cd /proc/sys/net/ipv4/vs && stat -c "%a %n" *; echo 1 > est_nice'
w conn_max 1073741824
w sync_ports 0
w sync_ports 3
w sync_ports 4
w sync_ports -2
w sync_ports 1
w sync_threshold '5 100'
w sync_threshold '50 3'
w sync_threshold '7 0'
w sync_threshold '-1 3'
w sync_threshold '9'
w sync_threshold '3 50'
w sync_qlen_max 12345
w sync_qlen_max abc
w sync_qlen_max -5
w est_cpulist 0
w est_cpulist 0-1
w est_cpulist 99
w est_cpulist abc
w est_cpulist ''
w est_nice 19
w est_nice 20
w est_nice -21
w est_nice 0
w conn_lfactor 8
w conn_lfactor 9
w svc_lfactor -8
w svc_lfactor -9
w run_estimation 7
w run_estimation 1
w drop_entry 4
w secure_tcp 3
w secure_tcp 0
w sync_refresh_period 5
w sync_refresh_period 0
w sync_version 2
list
