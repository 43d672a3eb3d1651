# Services and real servers through stock ipvsadm: every command, listing option and error
# path that does not need traffic. Listings go through ipvsadm, which sorts; /proc/net/ip_vs
# lists in table order (a hash order in C), so it is read only with one service configured.
# There, real servers come newest first: C adds each at the head of the service's list.
#
# ipvsadm turns a failed request into its return value -1 (status 255) and a message:
# ipvs_strerror has a text for some (function, errno) pairs (ESRCH: "No such service" or
# "Service not defined") and uses strerror for the rest.
. "$(dirname "$0")/../lib/scenario.sh"

# ok: the last command succeeded and printed nothing.
ok() { rc_is 0 && out_is ''; }
# fails MESSAGE: the last ipvsadm command failed (-1, status 255) saying MESSAGE.
fails() { rc_is 255 && out_is "$1"; }
# listed SERVICE [SERVER...]: in the last ipvsadm listing, the service whose line has the
# blank-separated fields SERVICE is followed by exactly the real-server lines SERVER... (their
# fields after "->"), in that order.
listed() {
    local want=$1 line f found= got=() i
    shift
    while IFS= read -r line; do
        read -ra f <<< "$line"
        if [ -n "$found" ]; then
            [ "${f[0]}" = "->" ] || break
            got+=("${f[*]:1}")
        elif [ "${f[*]}" = "$want" ]; then
            found=1
        fi
    done <<< "$last_out"
    [ -n "$found" ] || { echo "no service line \"$want\""; return 1; }
    [ "${#got[@]}" = $# ] || { echo "${#got[@]} real servers listed, not $#"; return 1; }
    for ((i = 0; i < $#; i++)); do
        [ "${got[i]}" = "${*:i+1:1}" ] ||
            { echo "real server $((i + 1)) is \"${got[i]}\""; return 1; }
    done
}
# services N: the last listing has N service lines.
services() { out_lines "$1" '(TCP|UDP|SCTP|FWM) .*'; }
header='IP Virtual Server version 1\.2\.1 \(size=[0-9]+\)'

run ipvsadm -A -t 10.0.0.1:80 -s rr
expect "service added" ok
run ipvsadm -A -t 10.0.0.1:80 -s rr
expect "a second identical service is refused (EEXIST)" fails "Service already exists"
run ipvsadm -A -u 10.0.0.1:53 -s wlc -p 300 -o
expect "persistent one-packet UDP service added" ok
run ipvsadm -A -f 7 -s sh -b sh-port
expect "fwmark service added" ok
run ipvsadm -A -f 8 -6 -s mh -b mh-fallback,mh-port -p
expect "IPv6 fwmark service added" ok
run ipvsadm -A -t [2001:db8::1]:443 -s lc -p 60 -M 64
expect "IPv6 service added" ok
run ipvsadm -A -t 10.0.0.2:80 -s bogus
expect "an unknown scheduler is refused (ENOENT)" \
    fails "Scheduler or persistence engine not found"
run ipvsadm -A -u 10.0.0.3:5060 -s rr --pe sip
expect "service with the sip persistence engine added" ok
run ipvsadm -A -t 10.0.0.4:80
expect "service with the default scheduler added" ok
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.2:8080 -m -w 3
expect "real server added" ok
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.3:8080 -m -w 1
expect "second real server added" ok
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.3:8080 -m
expect "a second identical real server is refused (EEXIST)" fails "Destination already exists"
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.4 -g -x 10 -y 20
expect "a lower threshold above the upper one is refused (ERANGE)" \
    fails "Numerical result out of range"
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.5 -i -w 0 -x 100 -y 50
expect "tunnel real server with thresholds added" ok
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.6 -i --tun-type gue --tun-port 6080 --tun-nocsum
expect "GUE real server added" ok
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.7 -i --tun-type gre --tun-csum
expect "GRE real server added" ok
run ipvsadm -a -f 7 -r 10.0.2.2 -g -w 5
expect "real server of the fwmark service added" ok
run ipvsadm -a -t [2001:db8::1]:443 -r [2001:db8::2]:443 -m
expect "IPv6 real server added" ok
run ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.3:8080 -m -w 5
expect "real server edited" ok
run ipvsadm -e -t 10.0.0.1:80 -r 10.0.1.9:8080 -m -w 5
expect "editing a missing real server fails (ENOENT)" fails "No such destination"
run ipvsadm -a -t 10.0.0.9:80 -r 10.0.1.2
expect "a real server of a missing service is refused (ESRCH)" fails "Service not defined"
run ipvsadm -L -n
expect "listing header" out_line "$header"
expect "7 services listed" services 7
expect "rr service with its 5 real servers (weights, methods, the edit)" listed \
    "TCP 10.0.0.1:80 rr" "10.0.1.2:8080 Masq 3 0 0" "10.0.1.3:8080 Masq 5 0 0" \
    "10.0.1.5:80 Tunnel 0 0 0" "10.0.1.6:80 Tunnel 1 0 0" "10.0.1.7:80 Tunnel 1 0 0"
expect "UDP service: persistent 300 s, one-packet" listed "UDP 10.0.0.1:53 wlc persistent 300 ops"
expect "fwmark 7: sh with its flag, one direct-routing server" listed "FWM 7 sh (sh-port)" \
    "10.0.2.2:0 Route 5 0 0"
expect "fwmark 8 IPv6: mh with both flags, persistent (ipvsadm's default: 360 s)" \
    listed "FWM 8 IPv6 mh (mh-fallback,mh-port) persistent 360"
expect "IPv6 service: lc, persistent 60 s, prefix 64, its server" \
    listed "TCP [2001:db8::1]:443 lc persistent 60 mask 64" "[2001:db8::2]:443 Masq 1 0 0"
expect "sip service" listed "UDP 10.0.0.3:5060 rr"
expect "default scheduler wlc" listed "TCP 10.0.0.4:80 wlc"
run ipvsadm -L -n --stats
expect "no traffic: zero counters" listed "TCP 10.0.0.1:80 0 0 0 0 0" "10.0.1.2:8080 0 0 0 0 0" \
    "10.0.1.3:8080 0 0 0 0 0" "10.0.1.5:80 0 0 0 0 0" "10.0.1.6:80 0 0 0 0 0" \
    "10.0.1.7:80 0 0 0 0 0"
run ipvsadm -L -n --rate
expect "no traffic: zero rates" listed "FWM 7 0 0 0 0 0" "10.0.2.2:0 0 0 0 0 0"
run ipvsadm -L -n --thresholds
expect "thresholds as set" listed "TCP 10.0.0.1:80 rr" "10.0.1.2:8080 0 0 0 0" \
    "10.0.1.3:8080 0 0 0 0" "10.0.1.5:80 100 50 0 0" "10.0.1.6:80 0 0 0 0" \
    "10.0.1.7:80 0 0 0 0"
run ipvsadm -L -n --persistent-conn
expect "weights and no persistent connections" listed "TCP 10.0.0.1:80 rr" \
    "10.0.1.2:8080 3 0 0 0" "10.0.1.3:8080 5 0 0 0" "10.0.1.5:80 0 0 0 0" \
    "10.0.1.6:80 1 0 0 0" "10.0.1.7:80 1 0 0 0"
run ipvsadm -L -n --exact --stats
expect "exact counters are zero" listed "UDP 10.0.0.1:53 0 0 0 0 0"
run ipvsadm -L -n --tun-info
expect "tunnel types, GUE port 6080 without checksum, GRE with" listed "TCP 10.0.0.1:80 rr" \
    "10.0.1.2:8080 Masq n/a 3 0 0" "10.0.1.3:8080 Masq n/a 5 0 0" "10.0.1.5:80 Tunnel ipip 0 0 0" \
    "10.0.1.6:80 Tunnel gue:6080:-c 1 0 0" "10.0.1.7:80 Tunnel gre:+c 1 0 0"
run ipvsadm -S -n
expect "7 services saved" out_lines 7 '-A .*'
expect "7 real servers saved" out_lines 7 '-a .*'
expect "rr service saved" out_line '-A -t 10\.0\.0\.1:80 -s rr'
expect "edited weight saved" out_line '-a -t 10\.0\.0\.1:80 -r 10\.0\.1\.3:8080 -m -w 5'
expect "UDP service saved" out_line '-A -u 10\.0\.0\.1:53 -s wlc -p 300 -o'
expect "IPv6 service saved" out_line '-A -t \[2001:db8::1\]:443 -s lc -p 60 -M 64'
expect "persistence engine saved" out_line '-A -u 10\.0\.0\.3:5060 -s rr --pe sip'
expect "GUE server saved" \
    out_line '-a -t 10\.0\.0\.1:80 -r 10\.0\.1\.6:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum'
run ipvsadm -L -n -t 10.0.0.1:80
expect "one service listed" services 1
expect "the service asked for" listed "TCP 10.0.0.1:80 rr" "10.0.1.2:8080 Masq 3 0 0" \
    "10.0.1.3:8080 Masq 5 0 0" "10.0.1.5:80 Tunnel 0 0 0" "10.0.1.6:80 Tunnel 1 0 0" \
    "10.0.1.7:80 Tunnel 1 0 0"
run ipvsadm -L -n -f 7
expect "the fwmark service asked for" listed "FWM 7 sh (sh-port)" "10.0.2.2:0 Route 5 0 0"
run ipvsadm -L -n -t 10.0.0.8:80
expect "listing a missing service fails (ESRCH)" eval 'rc_is 1 && out_is "No such service"'
run ipvsadm -E -t 10.0.0.1:80 -s wrr -p 100
expect "service edited" ok
run ipvsadm -E -t 10.0.0.1:80
expect "service edited back to defaults" ok
run ipvsadm -E -t 10.0.0.8:80 -s rr
expect "editing a missing service fails (ESRCH)" fails "No such service"
run ipvsadm -L -n -t 10.0.0.1:80
expect "edit took effect: wlc, not persistent, servers kept" listed "TCP 10.0.0.1:80 wlc" \
    "10.0.1.2:8080 Masq 3 0 0" "10.0.1.3:8080 Masq 5 0 0" "10.0.1.5:80 Tunnel 0 0 0" \
    "10.0.1.6:80 Tunnel 1 0 0" "10.0.1.7:80 Tunnel 1 0 0"
run ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.3:8080
expect "real server deleted" ok
run ipvsadm -d -t 10.0.0.1:80 -r 10.0.1.3:8080
expect "deleting it again fails (ENOENT)" fails "No such destination"
run ipvsadm -D -t 10.0.0.1:80
expect "service deleted" ok
run ipvsadm -D -t 10.0.0.1:80
expect "deleting it again fails (ESRCH)" fails "No such service"
run ipvsadm -Z
expect "all counters zeroed" ok
run ipvsadm -Z -t 10.0.0.1:53
expect "zeroing a missing service fails (ESRCH)" fails "No such service"
run ipvsadm -Z -u 10.0.0.1:53
expect "one service zeroed" ok
run ipvsadm -L -n
expect "6 services left" services 6
expect "the deleted service is gone" eval '! out_line "TCP +10\.0\.0\.1:80 .*"'
expect "the other services stay" listed "FWM 7 sh (sh-port)" "10.0.2.2:0 Route 5 0 0"
run ipvsadm -C
expect "flushed" ok
run ipvsadm -L -n
expect "flush removed every service" eval 'services 0 && out_line "$header"'
run ipvsadm -A -t 10.0.0.1:80 -s wrr -p 120 -M 255.255.255.0
expect "service added" ok
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.2:8080 -m -w 2
expect "real server added" ok
run ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.3:8080 -g -w 4
expect "second real server added" ok
run cat /proc/net/ip_vs
expect "/proc: header" out_line "$header"
# Persistence timeout in jiffies (HZ=100 in the test kernel), netmask in hex; the DR server
# has the service's port (ipvsadm gives DR and tunnel servers the service's port, whatever
# port they were given).
expect "/proc: the service, then its real servers newest first" out_is "$(
    echo "${last_out%%$'\n'TCP*}"
    printf 'TCP  %s %s %s persistent %d %s\n' 0A000001:0050 wrr '' 12000 FFFFFF00
    printf '  -> %s      %-7s %-6d %-10d %-10d\n' 0A000103:0050 Route 4 0 0 \
        0A000102:1F90 Masq 2 0 0)"
run ipvsadm -L -n --timeout
expect "default timeouts" out_is "Timeout (tcp tcpfin udp): 900 120 300"
run ipvsadm -C
expect "flushed" ok
# Timeouts are stored in jiffies: the largest is INT_MAX / HZ seconds, 21474836 s with the test
# kernel's HZ=100, more than ipvsadm's own limit (31 days), so both of these are accepted
# (tests/lib/genl.py tries the kernel's limit).
run ipvsadm --set 2147483 0 0
expect "TCP timeout set" ok
run ipvsadm --set 0 2147484 0
expect "TCP FIN timeout set" ok
run ipvsadm -L -n --timeout
expect "timeouts set, 0 leaving one as it was" \
    out_is "Timeout (tcp tcpfin udp): 2147483 2147484 300"
run ipvsadm --set 900 120 300
expect "defaults restored" ok
