# Schedulers choosing as C does: one NAT service per scheduler on its own port (dh on four
# virtual addresses, since it hashes the destination; sh and mh also with their -port and
# -fallback flags; lblc and lblcr also as firewall-mark services over the four addresses, since
# they remember a server per destination address), three real servers of weights 1, 2 and 3
# (real server 2 quiesced after it was added for the fallback cases, so that mh keeps its
# slots by the last weight), and
# the same 12 connections from 6 client addresses and fixed ports through each. Connections
# stay open until the end, so the connection counts the lc family weighs are the same at each
# choice. Last, an rr service whose real servers 1 and 2 have upper connection thresholds.
# Compared: answers per server, the listing with its connection counts, and every
# connection's choice from /proc/net/ip_vs_conn. twos is not here: it draws at random.
#
# Expected, from the C schedulers (net/netfilter/ipvs/ip_vs_*.c) rather than from C's output:
# a service's real servers are listed last added first (list_add_rcu at the head), so rs3 (w3),
# rs2 (w2), rs1 (w1), and ties go to the first listed. Every earlier connection of the service
# is established (active) when the next is scheduled, so a server's overhead
# (activeconns << 8) + totalconns is 257 per connection. Each service has its real servers to
# itself.
#
# The version header shows the connection table's bucket count, which grows with the
# connections in both (2048 after the few hundred connections here).
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns nat-dir "$@"; }
# ok: the last command succeeded and printed nothing.
ok() { rc_is 0 && out_is ''; }

shared_topology
# The client's unbound sockets leave from 10.0.0.11, the first of the clients.
echo "route replace 10.0.0.0/24 dev cli0 proto kernel scope link src 10.0.0.11" | ip_batch nat-cli
shared_undo nat-cli "route replace 10.0.0.0/24 dev cli0 proto kernel scope link src 10.0.0.2"

# Port, scheduler and flags of each service on 10.0.0.1; dh also on the other addresses. lblc
# and lblcr remember a server per destination address, so they are also firewall-mark services
# (98, 99) spanning all four addresses. The rules go in with one `ipvsadm -R` (every process
# costs about a second in the debug guest).
services="81:rr 82:wrr 83:lc 84:wlc 85:sed 86:nq 87:fo 88:ovf 89:dh 90:sh 91:sh:sh-port
          92:sh:sh-port,sh-fallback 93:mh 94:mh:mh-port 95:mh:mh-port,mh-fallback 96:lblc
          97:lblcr"
vips="10.0.0.1 10.0.0.3 10.0.0.4 10.0.0.5"
rules=/tmp/sch-rules
add() { # "-t VIP:PORT" or "-f MARK", scheduler [flags]
    echo "-A $1 -s $2${3:+ -b $3}"
    for i in 1 2 3; do echo "-a $1 -r 172.16.$i.2:80 -m -w $i"; done
    case "$3" in *fallback) echo "-e $1 -r 172.16.2.2:80 -m -w 0" ;; esac
}
for s in $services; do
    IFS=: read -r port sched flags <<< "$s"
    add "-t 10.0.0.1:$port" $sched $flags
done > $rules
for i in 3 4 5; do add "-t 10.0.0.$i:89" dh; done >> $rules
add "-f 98" lblc >> $rules
add "-f 99" lblcr >> $rules
# Thresholds (-x): real server 1 takes at most 2 connections, real server 2 at most 3.
{
    echo "-A -t 10.0.0.1:80 -s rr"
    for i in 1 2 3; do
        echo "-a -t 10.0.0.1:80 -r 172.16.$i.2:80 -m -w $i$( ((i < 3)) && echo " -x $((i + 1))")"
    done
} >> $rules
targets=()
for s in $services; do targets+=(10.0.0.1:${s%%:*}); done
for i in 3 4 5; do targets+=(10.0.0.$i:89); done
for port in 98 99; do
    for vip in $vips; do targets+=($vip:$port); done
done
targets+=(10.0.0.1:80)
cat > /tmp/sch.nft <<NFT
table ip ipvs_marks {
    chain pre {
        type filter hook prerouting priority -150;
        tcp dport 98 meta mark set 98
        tcp dport 99 meta mark set 99
    }
}
NFT
run d nft -f /tmp/sch.nft
expect "marking rules loaded" ok
run d sh -c "ipvsadm -R < $rules"
expect "services restored" ok

ctl=/tmp/sch-sweep
setup mkdir -p $ctl
setup rm -f $ctl/ready $ctl/stop $ctl/out
sources=10.0.0.11,10.0.0.12,10.0.0.13,10.0.0.14,10.0.0.15,10.0.0.16
in_ns nat-cli $py "$traffic_py" sweep 12 $sources $ctl "${targets[@]}" > $ctl/out 2>&1 &
sweep=$!
# The sweep opens all its connections (about 350) before it says it is ready: up to 300 s,
# unless it ends first.
for ((i = 0; i < 1500; i++)); do
    [ -e $ctl/ready ] || ! kill -0 $sweep 2> /dev/null && break
    sleep 0.2
done
[ -e $ctl/ready ] || setup false "the sweep is not ready; it printed: $(< $ctl/out)"
shown "sweep 12 connections through each service" cat $ctl/out
sweep_out=$last_out
run d ipvsadm -L -n
expect "23 services listed" out_lines 23 '(TCP|FWM) .*'
expect "the quiesced rs2 of the two fallback services: weight 0, never chosen" \
    out_lines 2 ' +-> 172\.16\.2\.2:80 +Masq +0 +0 +0 *'
# Each connection: client address and port, service, real server.
run d sh -c 'tail -n +2 /proc/net/ip_vs_conn | awk "{ print \$2, \$3, \$4, \$5, \$6 }" | sort'
expect "345 connections (12 through each of the 29 targets, less ovf's 3 refused)" \
    out_lines 345 '0A0000(0B|0C|0D|0E|0F|10) [0-9A-F]{4} 0A00000[1345] [0-9A-F]{4} AC100[123]02'

# The real server (1, 2, 3) of each connection, by its client port (the sweep gives its
# target K's connection I the port 30000 + 100 K + I).
declare -A server_of
while read -r _ cport _ _ dest; do server_of[$cport]=${dest:5:1}; done <<< "$last_out"
# chose K SEQ: connections 0..11 through target K went, in turn, to the real servers SEQ
# ("-": refused, no connection) in the connection table, and the client's answers per server
# say the same.
chose() {
    local k=$1 want=$2 got= i p n s parts= line
    for ((i = 0; i < 12; i++)); do
        printf -v p %04X $((30000 + 100 * k + i))
        got+=${server_of[$p]:--}
    done
    [ "$got" = "$want" ] || { echo "servers in turn: $got, not $want"; return 1; }
    for s in - 1 2 3; do
        n=${want//[^$s]/}
        [ -z "$n" ] && continue
        [ $s = - ] && parts+=", no answer ${#n}" || parts+=", rs$s ${#n}"
    done
    while IFS= read -r line; do [ "$line" = "${targets[$k]}: ${parts#, }" ] && return 0; done \
        <<< "$sweep_out"
    echo "the sweep did not print \"${targets[$k]}: ${parts#, }\":"
    echo "$sweep_out"
    return 1
}
# Clients in turn: 10.0.0.11 .. 10.0.0.16, then again. Sequences list connections 0..11.
expect "rr: servers in list order, 4 each, weights ignored" chose 0 321321321321
# wrr (cw starts at 1: each add keeps a nonzero cw <= the max weight) then cw 3, 2, 1 again.
expect "wrr: in proportion to weights 3:2:1 (6, 4, 2)" chose 1 321332321332
expect "lc: least (active << 8) + total, ties to the first listed: 4 each" \
    chose 2 321321321321
expect "wlc: least overhead / weight: 6, 4, 2" chose 3 321323321323
expect "sed: least (active + 1) / weight: 6, 4, 2" chose 4 323321323321
expect "nq: an idle server first, then as sed: 6, 4, 2" chose 5 321332323321
expect "fo: all to the highest weight" chose 6 333333333333
# ovf skips a server whose active connections exceed its weight: rs3 takes 4, rs2 3, rs1 2,
# then none is left and IPVS refuses (ICMP port unreachable).
expect "ovf: highest weight until active > weight, then the next; refused after" \
    chose 7 333322211---
# dh: bucket hash_32(daddr, 8) of a table filled rs3, rs2, rs1, ... (one bucket each).
expect "dh 10.0.0.1: every connection to one server (rs3)" chose 8 333333333333
expect "dh 10.0.0.3: every connection to one server (rs2)" chose 17 222222222222
expect "dh 10.0.0.4: every connection to one server (rs1)" chose 18 111111111111
expect "dh 10.0.0.5: every connection to one server (rs3)" chose 19 333333333333
# sh: bucket hash_32(saddr + port, 8) of a table filled by weight (rs3 x3, rs2 x2, rs1 x1, ...);
# with fallback and rs2 at weight 0 (rs3 x3, rs2 x1, rs1 x1, ...) a bucket of rs2 moves on to
# bucket 2 hash + 1, 2 hash + 2, ...
expect "sh: each client address always to the same server" chose 9 232332232332
expect "sh-port: by client address and port" chose 10 333322322233
expect "sh-port, sh-fallback: never the quiesced rs2" chose 11 333113113113
# mh: Maglev table of 4093 slots (offset and skip from hsiphash with the fixed keys, turns by
# last weight 3, 2, 1), looked up by hsiphash(port + saddr) % 4093; fallback as sh, with rs2
# still holding its slots.
expect "mh: each client address always to the same server" chose 12 332333332333
expect "mh-port: by client address and port" chose 13 322323323322
expect "mh-port, mh-fallback: never the quiesced rs2" chose 14 333133133313
# lblc: a destination address keeps its server unless that server has more active
# connections than its weight while another has less than half its weight; then wlc chooses
# again and the destination moves on.
expect "lblc 10.0.0.1:96: rs3 until overloaded (4), rs2 (3), then rs1" chose 15 333322211111
# lblcr: as lblc, but the destination's set grows and its least loaded member is used.
expect "lblcr 10.0.0.1:97: rs3 (4), rs2 (3), rs1 (2), then the set's least loaded" \
    chose 16 333322211323
expect "lblc mark 98, 10.0.0.1: as lblc above" chose 20 333322211111
expect "lblc mark 98, 10.0.0.3: wlc picks rs3, no other server under half its weight" \
    chose 21 333333333333
expect "lblc mark 98, 10.0.0.4: then rs2" chose 22 222222222222
expect "lblc mark 98, 10.0.0.5: then rs1" chose 23 111111111111
expect "lblcr mark 99, 10.0.0.1: as lblcr above" chose 24 333322211323
expect "lblcr mark 99, 10.0.0.3: rs3" chose 25 333333333333
expect "lblcr mark 99, 10.0.0.4: rs2" chose 26 222222222222
expect "lblcr mark 99, 10.0.0.5: rs1" chose 27 111111111111
# A server is overloaded once its connections reach its upper threshold, until they drop below
# the lower one (u - u/4; they never do here): rr skips rs1 after 2 and rs2 after 3.
expect "thresholds: rr skips rs1 after 2 connections and rs2 after 3" chose 28 321321323333
setup touch $ctl/stop
wait $sweep

shared_release
true
