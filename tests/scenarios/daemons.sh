# Sync daemons (configuration state), restore from stdin, and the real-server address check,
# through stock ipvsadm.
#
# ipvsadm turns a failed request into its return value -1 (status 255) and a message:
# ipvs_strerror has a text for some (function, errno) pairs and uses strerror for the rest.
. "$(dirname "$0")/../lib/scenario.sh"

# ok: the last command succeeded and printed nothing.
ok() { rc_is 0 && out_is ''; }
# fails MESSAGE: the last ipvsadm command failed (-1, status 255) saying MESSAGE.
fails() { rc_is 255 && out_is "$1"; }
invalid="Invalid operation.  Possibly wrong module version, address not unicast, ..."
# Daemon defaults (ip_vs_sync.c start_sync_thread): group 224.0.0.81, port 8848, ttl 1; the
# largest message is the MTU less the IP and UDP headers, 1500 for a master, the device's MTU
# clamped to 1500..65535 for a backup (lo: 65536), at least 1024 for a backup.
master5='master sync daemon (mcast=lo, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)'
backup7='backup sync daemon (mcast=lo, syncid=7, maxlen=1024, group=239.1.2.3, port=9000, ttl=4)'

setup ip link set lo up
run ipvsadm -L -n --daemon
expect "no daemon at first" ok
run ipvsadm --start-daemon master --mcast-interface lo --syncid 5
expect "master started" ok
run ipvsadm --start-daemon master --mcast-interface lo --syncid 6
expect "a second master is refused (EEXIST)" fails "Daemon has already run"
run ipvsadm --start-daemon master --mcast-interface nosuchdev0
expect "an unknown interface is refused (ENODEV)" fails "No such device"
run ipvsadm --start-daemon backup --mcast-interface lo --syncid 7 --sync-maxlen 1000 \
    --mcast-group 239.1.2.3 --mcast-port 9000 --mcast-ttl 4
expect "backup started" ok
run ipvsadm -L -n --daemon
expect "both daemons, master first, with their settings" out_is "$master5"$'\n'"$backup7"
run ipvsadm -L -n
expect "daemons add no service" out_lines 0 '(TCP|UDP|FWM) .*'
run ipvsadm --stop-daemon master
expect "master stopped" ok
run ipvsadm --stop-daemon master
expect "stopping it again fails (ESRCH)" fails "No daemon is running"
run ipvsadm -L -n --daemon
expect "only the backup is left" out_is "$backup7"
run ipvsadm --stop-daemon backup
expect "backup stopped" ok
run ipvsadm --stop-daemon backup
expect "stopping it again fails (ESRCH)" fails "No daemon is running"
run ipvsadm --start-daemon backup --mcast-interface lo --mcast-group ff02::81
expect "backup with an IPv6 group started" ok
run ipvsadm --start-daemon master --mcast-interface lo --mcast-group 10.1.1.1
# ipvsadm itself refuses it (the kernel's EINVAL for it: tests/lib/genl.py).
bad_group="invalid IPv4 mcast-group \`10.1.1.1'"
expect "a unicast group is refused" eval 'rc_is 2 && out_is "$bad_group"'
run ipvsadm --start-daemon master --mcast-interface lo --sync-maxlen 10 --mcast-group 239.9.9.9
expect "master with a small maxlen started" ok
run ipvsadm -L -n --daemon
expect "both daemons as started" out_is "$(printf '%s\n' \
    'master sync daemon (mcast=lo, syncid=0, maxlen=10, group=239.9.9.9, port=8848, ttl=1)' \
    'backup sync daemon (mcast=lo, syncid=0, maxlen=65487, group=ff02::81, port=8848, ttl=1)')"
run ipvsadm --stop-daemon master
expect "master stopped" ok
run ipvsadm --stop-daemon backup
expect "backup stopped" ok
run ipvsadm -L -n --daemon
expect "no daemon left" ok

run sh -c 'printf "%s\n" "-A -t 10.0.0.5:80 -s rr" "-a -t 10.0.0.5:80 -r 10.0.1.5:80 -m -w 2" \
    "-A -u 10.0.0.5:53 -s wlc" "-a -u 10.0.0.5:53 -r 10.0.1.6 -g" | ipvsadm -R'
expect "rules restored" ok
run ipvsadm -R < /dev/null
expect "restoring nothing succeeds" ok
run sh -c 'echo "-A -t 10.0.0.5:80 -s rr" | ipvsadm -R'
expect "restoring an existing service fails (EEXIST)" fails "Service already exists"
run ipvsadm -S -n
expect "restored: 2 services, 2 real servers" eval 'out_lines 2 "-A .*" && out_lines 2 "-a .*"'
expect "restored TCP service" out_line '-A -t 10\.0\.0\.5:80 -s rr'
expect "restored NAT server" out_line '-a -t 10\.0\.0\.5:80 -r 10\.0\.1\.5:80 -m -w 2'
expect "restored UDP service" out_line '-A -u 10\.0\.0\.5:53 -s wlc'
expect "restored DR server, the service's port" \
    out_line '-a -u 10\.0\.0\.5:53 -r 10\.0\.1\.6:53 -g -w 1'
# Real servers must be unicast or local addresses.
run ipvsadm -a -t 10.0.0.5:80 -r 224.0.0.1 -g
expect "multicast refused" fails "$invalid"
run ipvsadm -a -t 10.0.0.5:80 -r 255.255.255.255 -g
expect "broadcast refused" fails "$invalid"
run ipvsadm -a -t 10.0.0.5:80 -r 127.0.0.1 -g
expect "local address accepted" ok
run ipvsadm -a -t 10.0.0.5:80 -r 0.0.0.0 -g
expect "0.0.0.0 refused" fails "$invalid"
run ipvsadm -A -t [2001:db8::5]:80
expect "IPv6 service added" ok
run ipvsadm -a -t [2001:db8::5]:80 -r [ff02::1]:80 -g
expect "IPv6 multicast refused" fails "$invalid"
run ipvsadm -a -t [2001:db8::5]:80 -r [fe80::1]:80 -g
expect "IPv6 link-local refused" fails "$invalid"
run ipvsadm -a -t [2001:db8::5]:80 -r [::1]:80 -g
expect "IPv6 loopback accepted" ok
run ipvsadm -a -t [2001:db8::5]:80 -r [2001:db8::6]:80 -g
expect "IPv6 unicast accepted" ok
run ipvsadm -S -n
expect "3 services, 5 real servers" eval 'out_lines 3 "-A .*" && out_lines 5 "-a .*"'
expect "the local server" out_line '-a -t 10\.0\.0\.5:80 -r 127\.0\.0\.1:80 -g -w 1'
expect "the IPv6 loopback server" out_line '-a -t \[2001:db8::5\]:80 -r \[::1\]:80 -g -w 1'
expect "the IPv6 unicast server" out_line '-a -t \[2001:db8::5\]:80 -r \[2001:db8::6\]:80 -g -w 1'
run ipvsadm -C
expect "flushed" ok
# A new namespace has no local routing table until an interface is up, and then every address
# counts as a broadcast one.
setup ip netns add daemons2
run in_ns daemons2 ipvsadm -A -t 10.0.0.1:80
expect "service added in the new namespace" ok
run in_ns daemons2 ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.2 -m
expect "no interface up: the address counts as broadcast" fails "$invalid"
setup in_ns daemons2 ip link set lo up
run in_ns daemons2 ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.2 -m
expect "lo up: accepted" ok
run in_ns daemons2 ipvsadm -S -n
expect "the namespace's own rules" out_is "$(printf '%s\n' '-A -t 10.0.0.1:80 -s wlc' \
    '-a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 1')"
setup ip netns del daemons2
