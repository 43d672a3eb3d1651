# Empty configuration: the listings every client starts with, and the permission error.
. "$(dirname "$0")/../lib/scenario.sh"

# ok: the last command succeeded and printed nothing.
ok() { rc_is 0 && out_is ''; }
# The connection table is made with the first service: its size is 0 until then.
empty="IP Virtual Server version 1.2.1 (size=0)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"
# zeros FORMAT: FORMAT (printf) with every counter 0.
zeros() { printf "$1" 0 0 0 0 0; }

run ipvsadm -L -n
expect "empty listing" eval 'rc_is 0 && out_is "$empty"'
run ipvsadm -L -n --timeout
expect "default timeouts" out_is "Timeout (tcp tcpfin udp): 900 120 300"
run ipvsadm -v
expect "version: ipvsadm's, built for IPVS 1.2.1" eval \
    'rc_is 0 && out_line "ipvsadm v1\.31 .*\(compiled with popt and IPVS v1\.2\.1\)"'
run ipvsadm -L -n --daemon
expect "no daemon" ok
run ipvsadm -S -n
expect "no rule" ok
run ipvsadm -L -n --stats
expect "stats listing: headers only" out_is "${empty%%$'\n'*}
$(printf '%-33s %8s %8s %8s %8s %8s' "Prot LocalAddress:Port" Conns InPkts OutPkts InBytes OutBytes)
  -> RemoteAddress:Port"
run ipvsadm -L -n --rate
expect "rate listing: headers only" out_is "${empty%%$'\n'*}
$(printf '%-33s %8s %8s %8s %8s %8s' "Prot LocalAddress:Port" CPS InPPS OutPPS InBPS OutBPS)
  -> RemoteAddress:Port"
run ipvsadm -L -n -t 10.0.0.1:80
expect "listing a missing service fails (ESRCH)" eval 'rc_is 1 && out_is "No such service"'
run cat /proc/net/ip_vs
expect "/proc/net/ip_vs: headers only" out_is "IP Virtual Server version 1.2.1 (size=0)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn"
run_unprivileged ipvsadm -L -n
expect "unprivileged: refused (EPERM)" eval \
    'rc_is 2 && out_line "Can.t initialize ipvs: Permission denied \(you must be root\)"'
run ipvsadm --set 901 121 301
expect "timeouts set" ok
run ipvsadm -L -n --timeout
expect "timeouts as set" out_is "Timeout (tcp tcpfin udp): 901 121 301"
run ipvsadm --set 0 0 7
expect "UDP timeout set" ok
run ipvsadm -L -n --timeout
expect "0 leaves a timeout as it was" out_is "Timeout (tcp tcpfin udp): 901 121 7"
run ipvsadm -C
expect "flushing nothing succeeds" ok
run ipvsadm -L -n
expect "still empty" out_is "$empty"
run cat /proc/net/ip_vs_stats
expect "/proc/net/ip_vs_stats: all zero" out_is \
"   Total Incoming Outgoing         Incoming         Outgoing
   Conns  Packets  Packets            Bytes            Bytes
$(zeros '%8X %8X %8X %16X %16X')

 Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s
$(zeros '%8X %8X %8X %16X %16X')"
run cat /proc/net/ip_vs_stats_percpu
counters=$(zeros '%8X %8X %8X %16X %16X')
expect "/proc/net/ip_vs_stats_percpu: all zero" eval \
    'out_line "  0 $counters" && out_line "  ~ $counters" && out_line "    $counters"'
run sh -c 'cd /proc/net && stat -c "%a %n" ip_vs ip_vs_stats ip_vs_stats_percpu'
expect "readable by all" out_is "444 ip_vs
444 ip_vs_stats
444 ip_vs_stats_percpu"
