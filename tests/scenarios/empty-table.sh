# Empty configuration: the listings every client starts with, and the permission error.
. "$(dirname "$0")/../lib/scenario.sh"

run ipvsadm -L -n
run ipvsadm -L -n --timeout
run ipvsadm -v
run ipvsadm -L -n --daemon
run ipvsadm -S -n
run ipvsadm -L -n --stats
run ipvsadm -L -n --rate
run ipvsadm -L -n -t 10.0.0.1:80
run cat /proc/net/ip_vs
run_unprivileged ipvsadm -L -n
run ipvsadm --set 901 121 301
run ipvsadm -L -n --timeout
run ipvsadm --set 0 0 7
run ipvsadm -L -n --timeout
run ipvsadm -C
run ipvsadm -L -n
run cat /proc/net/ip_vs_stats
run cat /proc/net/ip_vs_stats_percpu
run sh -c 'cd /proc/net && stat -c "%a %n" ip_vs ip_vs_stats ip_vs_stats_percpu'
