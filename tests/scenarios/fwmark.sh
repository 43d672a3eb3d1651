# Firewall-mark services: nftables in the director marks TCP to 10.0.0.1 ports 80 and 81 with
# mark 1 and UDP to port 53 with mark 2. Mark 1 is an rr service over two NAT real servers
# given without a port (each connection keeps its own port); mark 2 is a UDP-only use of the
# same servers. 10.0.0.1:81 is also an address service with one server: the mark wins, as in
# C. Unmarked 10.0.0.1:82 goes to its own address service. Compared: answers per server, the
# listing, counters and the connection table.
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns fwm-dir "$@"; }

nat_topology fwm 2 53,80,81,82 "10.0.0.2" "10.0.0.1"

cat > /tmp/fwm.nft <<'NFT'
table ip ipvs_marks {
    chain pre {
        type filter hook prerouting priority -150;
        ip daddr 10.0.0.1 tcp dport { 80, 81 } meta mark set 1
        ip daddr 10.0.0.1 udp dport 53 meta mark set 2
    }
}
NFT
run d nft -f /tmp/fwm.nft
cat > /tmp/fwm-rules <<'RULES'
-A -f 1 -s rr
-a -f 1 -r 172.16.1.2 -m -w 1
-a -f 1 -r 172.16.2.2 -m -w 1
-A -f 2 -s rr
-a -f 2 -r 172.16.1.2 -m -w 1
-a -f 2 -r 172.16.2.2 -m -w 1
-A -t 10.0.0.1:81 -s rr
-a -t 10.0.0.1:81 -r 172.16.1.2:81 -m -w 1
-A -t 10.0.0.1:82 -s rr
-a -t 10.0.0.1:82 -r 172.16.2.2:82 -m -w 1
RULES
run d sh -c "ipvsadm -R < /tmp/fwm-rules"
run in_ns fwm-cli $py "$traffic_py" batch "tcp 4 10.0.0.1 80" "tcp 4 10.0.0.1 81" \
    "udp 4 10.0.0.1 53" "tcp 4 10.0.0.1 82"
settled fwm-dir
run d ipvsadm -L -n
# How many packets a TCP real server sends (whether its ACK of the client's FIN rides on its own
# FIN) depends on scheduling in the guest, not on IPVS: for TCP only Conns and InPkts are
# compared, as in nat-traffic.sh; the UDP service (mark 2) is compared whole.
run d sh -c 'ipvsadm -L -n --stats --exact | cut -c1-42'
run d ipvsadm -L -n --stats --exact -f 2
run conn_fields fwm-dir 1 4 5 6 7

topology_del fwm
true
