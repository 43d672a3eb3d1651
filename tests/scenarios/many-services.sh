# Hundreds of services and real servers: listings span many netlink messages, so dumps must
# resume where the previous message stopped, without losing or repeating entries.
#
# The listings are checked against what gen-rules asked for (120 wrr services 10.100.0.0 to
# 10.100.0.119, each with NAT servers 172.16.0.2 to .7 of weights 1 to 6; a dump message holds
# a few dozen services): ipvsadm sorts
# services and servers by address, so the full listings are known, and their checksums below
# are those of the expected text (computed from ipvsadm's formats; the header line with the
# connection table's size is left out).
. "$(dirname "$0")/../lib/scenario.sh"
gen=$(dirname "$0")/../lib/gen-rules

# dests VIP N: the listing lines of service VIP and its first N servers.
dests() {
    local i
    echo "TCP  $1:80 wrr"
    for ((i = 1; i <= $2; i++)); do
        printf '  -> %-28s %-7s %-6d %-10u %-10u\n' 172.16.0.$((i + 1)):8080 Masq $i 0 0
    done
}
title="Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"
# header_then TEXT: the last output is the listing's first line (any table size), then TEXT.
header_then() {
    local first=${last_out%%$'\n'*}
    [[ $first =~ ^IP\ Virtual\ Server\ version\ 1\.2\.1\ \(size=[0-9]+\)$ ]] ||
        { echo "first line: $first"; return 1; }
    out_is "$first"$'\n'"$1"
}

run sh -c "$gen 120 6 | ipvsadm -R"
expect "restored" eval 'rc_is 0 && out_is ""'
run sh -c 'ipvsadm -L -n | wc -l'
expect "3 header lines, 120 services, 720 real servers" out_is 843
run sh -c 'ipvsadm -L -n | md5sum'
run sh -c 'ipvsadm -L -n | tail -n +2 | md5sum'
expect "the listing, every service and server once, in order" \
    out_is "3cc95c6ecfd9a026f65b0d4ab52fab12  -"
run sh -c 'ipvsadm -S -n | md5sum'
expect "the saved rules are those restored" out_is "fb5938e72684427a5ebade4fa38f71e5  -"
run sh -c 'ipvsadm -L -n --stats --exact | md5sum'
run sh -c 'ipvsadm -L -n --stats --exact | tail -n +2 | md5sum'
expect "the counters listing: every service and server, all zero" \
    out_is "6ceaeb8d6bb6ed47aaeeb1fd87fb0a3a  -"
run sh -c 'ipvsadm -L -n | head -n 12'
expect "the header, the first service and its 6 servers, the next one" header_then "$title
$(dests 10.100.0.0 6)
$(dests 10.100.0.1 1)"
run sh -c 'ipvsadm -L -n -t 10.100.0.120:80'
expect "one past the last service (gen-rules counts from 0): no such service" \
    eval 'rc_is 1 && out_is "No such service"'
run sh -c 'ipvsadm -L -n -t 10.100.0.119:80'
expect "the last service and its 6 servers" out_is "$title
$(dests 10.100.0.119 6)"
run sh -c "grep -c -- '->' /proc/net/ip_vs"
expect "/proc lists the 720 servers (and its header line)" out_is 721
run ipvsadm -C
expect "flushed" eval 'rc_is 0 && out_is ""'
run sh -c 'ipvsadm -L -n | wc -l'
expect "only the header is left" out_is 3
