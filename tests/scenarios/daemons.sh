# Sync daemons (configuration state), restore from stdin, and the real-server address check,
# through stock ipvsadm.
. "$(dirname "$0")/../lib/scenario.sh"

ip link set lo up
run ipvsadm -L -n --daemon
run ipvsadm --start-daemon master --mcast-interface lo --syncid 5
run ipvsadm --start-daemon master --mcast-interface lo --syncid 6
run ipvsadm --start-daemon master --mcast-interface nosuchdev0
run ipvsadm --start-daemon backup --mcast-interface lo --syncid 7 --sync-maxlen 1000 \
    --mcast-group 239.1.2.3 --mcast-port 9000 --mcast-ttl 4
run ipvsadm -L -n --daemon
run ipvsadm -L -n
run ipvsadm --stop-daemon master
run ipvsadm --stop-daemon master
run ipvsadm -L -n --daemon
run ipvsadm --stop-daemon backup
run ipvsadm --stop-daemon backup
run ipvsadm --start-daemon backup --mcast-interface lo --mcast-group ff02::81
run ipvsadm --start-daemon master --mcast-interface lo --mcast-group 10.1.1.1
run ipvsadm --start-daemon master --mcast-interface lo --sync-maxlen 10 --mcast-group 239.9.9.9
run ipvsadm -L -n --daemon
run ipvsadm --stop-daemon master
run ipvsadm --stop-daemon backup
run ipvsadm -L -n --daemon

run sh -c 'printf "%s\n" "-A -t 10.0.0.5:80 -s rr" "-a -t 10.0.0.5:80 -r 10.0.1.5:80 -m -w 2" \
    "-A -u 10.0.0.5:53 -s wlc" "-a -u 10.0.0.5:53 -r 10.0.1.6 -g" | ipvsadm -R'
run ipvsadm -R < /dev/null
run sh -c 'echo "-A -t 10.0.0.5:80 -s rr" | ipvsadm -R'
run ipvsadm -S -n
# Real servers must be unicast or local addresses.
run ipvsadm -a -t 10.0.0.5:80 -r 224.0.0.1 -g
run ipvsadm -a -t 10.0.0.5:80 -r 255.255.255.255 -g
run ipvsadm -a -t 10.0.0.5:80 -r 127.0.0.1 -g
run ipvsadm -a -t 10.0.0.5:80 -r 0.0.0.0 -g
run ipvsadm -A -t [2001:db8::5]:80
run ipvsadm -a -t [2001:db8::5]:80 -r [ff02::1]:80 -g
run ipvsadm -a -t [2001:db8::5]:80 -r [fe80::1]:80 -g
run ipvsadm -a -t [2001:db8::5]:80 -r [::1]:80 -g
run ipvsadm -a -t [2001:db8::5]:80 -r [2001:db8::6]:80 -g
run ipvsadm -S -n
run ipvsadm -C
# A new namespace has no local routing table until an interface is up, and then every address
# counts as a broadcast one.
ip netns add daemons2
run in_ns daemons2 ipvsadm -A -t 10.0.0.1:80
run in_ns daemons2 ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.2 -m
in_ns daemons2 ip link set lo up
run in_ns daemons2 ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.2 -m
run in_ns daemons2 ipvsadm -S -n
ip netns del daemons2
