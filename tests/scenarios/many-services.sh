# Hundreds of services and real servers: listings span many netlink messages, so dumps must
# resume where the previous message stopped, without losing or repeating entries.
. "$(dirname "$0")/../lib/scenario.sh"
gen=$(dirname "$0")/../lib/gen-rules

run sh -c "$gen 300 6 | ipvsadm -R"
run sh -c 'ipvsadm -L -n | wc -l'
run sh -c 'ipvsadm -L -n | md5sum'
run sh -c 'ipvsadm -S -n | md5sum'
run sh -c 'ipvsadm -L -n --stats --exact | md5sum'
run sh -c 'ipvsadm -L -n | head -n 12'
run sh -c 'ipvsadm -L -n -t 10.100.1.44:80'
run sh -c "grep -c -- '->' /proc/net/ip_vs"
run ipvsadm -C
run sh -c 'ipvsadm -L -n | wc -l'
