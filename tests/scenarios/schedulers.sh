# Schedulers choosing as C does: one NAT service per scheduler on its own port (dh on four
# virtual addresses, since it hashes the destination; sh and mh also with their -port and
# -fallback flags; lblc and lblcr also as firewall-mark services over the four addresses, since
# they remember a server per destination address), three real servers of weights 1, 2 and 3
# (real server 2 quiesced after it was added for the fallback cases, so that mh keeps its
# slots by the last weight), and
# the same 12 connections from 6 client addresses and fixed ports through each. Connections
# stay open until the end, so the connection counts the lc family weighs are the same at each
# choice. Compared: answers per server, the listing with its connection counts, and every
# connection's choice from /proc/net/ip_vs_conn. twos is not here: it draws at random.
#
# Linux 7.3's C connection table grows with the number of connections and the version header
# reports its current bucket count (2048 after the few hundred connections here); ours has a
# fixed bucket array until the resizable-table work (reference roadmap step 13), so the size
# is masked.
# mask: s/(size=[0-9]*)/(size=N)/
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns sch-dir "$@"; }

nat_topology sch 3 80 "10.0.0.11 10.0.0.12 10.0.0.13 10.0.0.14 10.0.0.15 10.0.0.16" \
    "10.0.0.1 10.0.0.3 10.0.0.4 10.0.0.5"

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
targets=()
for s in $services; do targets+=(10.0.0.1:${s%%:*}); done
for i in 3 4 5; do targets+=(10.0.0.$i:89); done
for port in 98 99; do
    for vip in $vips; do targets+=($vip:$port); done
done
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
run d sh -c "ipvsadm -R < $rules"

ctl=/tmp/sch-sweep
mkdir -p $ctl && rm -f $ctl/*
sources=10.0.0.11,10.0.0.12,10.0.0.13,10.0.0.14,10.0.0.15,10.0.0.16
in_ns sch-cli $py "$traffic_py" sweep 12 $sources $ctl "${targets[@]}" > $ctl/out 2>&1 &
sweep=$!
until [ -e $ctl/ready ] || ! kill -0 $sweep 2>/dev/null; do sleep 0.2; done
echo "\$ sweep 12 connections through each service"
cat $ctl/out
run d ipvsadm -L -n
# Each connection: client address and port, service, real server.
run d sh -c 'tail -n +2 /proc/net/ip_vs_conn | awk "{ print \$2, \$3, \$4, \$5, \$6 }" | sort'
touch $ctl/stop
wait $sweep

topology_del sch
true
