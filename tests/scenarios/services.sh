# Services and real servers through stock ipvsadm: every command, listing option and error
# path that does not need traffic. Listings go through ipvsadm, which sorts; /proc/net/ip_vs
# lists in table order (a hash order in C), so it is read only with one service configured.
. "$(dirname "$0")/../lib/scenario.sh"

run ipvsadm -A -t 10.0.0.1:80 -s rr
run ipvsadm -A -t 10.0.0.1:80 -s rr
run ipvsadm -A -u 10.0.0.1:53 -s wlc -p 300 -o
run ipvsadm -A -f 7 -s sh -b sh-port
run ipvsadm -A -f 8 -6 -s mh -b mh-fallback,mh-port -p
run ipvsadm -A -t [2001:db8::1]:443 -s lc -p 60 -M 64
run ipvsadm -A -t 10.0.0.2:80 -s bogus
run ipvsadm -A -u 10.0.0.3:5060 -s rr --pe sip
run ipvsadm -A -t 10.0.0.4:80
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.2:8080 -m -w 3
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.3:8080 -m -w 1
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.3:8080 -m
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.4 -g -x 10 -y 20
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.5 -i -w 0 -x 100 -y 50
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.6 -i --tun-type gue --tun-port 6080 --tun-nocsum
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.7 -i --tun-type gre --tun-csum
run ipvsadm -a -f 7 -r 10.0.2.2 -g -w 5
run ipvsadm -a -t [2001:db8::1]:443 -r [2001:db8::2]:443 -m
run ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.3:8080 -m -w 5
run ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.9:8080 -m -w 5
run ipvsadm -a -t 10.0.0.9:80 -r 10.0.1.2
run ipvsadm -L -n
run ipvsadm -L -n --stats
run ipvsadm -L -n --rate
run ipvsadm -L -n --thresholds
run ipvsadm -L -n --persistent-conn
run ipvsadm -L -n --exact --stats
run ipvsadm -L -n --tun-info
run ipvsadm -S -n
run ipvsadm -L -n -t 10.0.0.1:80
run ipvsadm -L -n -f 7
run ipvsadm -L -n -t 10.0.0.8:80
run ipvsadm -E -t 10.0.0.1:80 -s wrr -p 100
run ipvsadm -E -t 10.0.0.1:80
run ipvsadm -E -t 10.0.0.8:80 -s rr
run ipvsadm -L -n -t 10.0.0.1:80
run ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.3:8080
run ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.3:8080
run ipvsadm -D -t 10.0.0.1:80
run ipvsadm -D -t 10.0.0.1:80
run ipvsadm -Z
run ipvsadm -Z -t 10.0.0.1:53
run ipvsadm -Z -u 10.0.0.1:53
run ipvsadm -L -n
run ipvsadm -C
run ipvsadm -L -n
run ipvsadm -A -t 10.0.0.1:80 -s wrr -p 120 -M 255.255.255.0
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.2:8080 -m -w 2
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.3:8080 -g -w 4
run cat /proc/net/ip_vs
run ipvsadm -L -n --timeout
run ipvsadm -C
# Timeouts are stored in jiffies: the largest is INT_MAX / HZ seconds.
run ipvsadm --set 2147483 0 0
run ipvsadm --set 0 2147484 0
run ipvsadm -L -n --timeout
run ipvsadm --set 900 120 300
