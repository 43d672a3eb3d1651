# A new connection on the tuple of an old one (a client that reconnects from the same port):
# what `conn_reuse_mode` and `expire_nodest_conn` make of the SYN that finds the old
# connection, here one in CLOSE (the client reset it). Compared: the servers each connection
# reached and the counters (the connection table is not: its CLOSE entries expire after 10 s,
# which a slower run may or may not see).
#
# Expected (ip_vs_core.c, ip_vs_in_hook and is_new_conn_expected in 7.3; rr over rs1 and rs2,
# which starts at the last added, rs2):
# - conn_reuse_mode 1 (the default): the old connection is expired and the SYN scheduled anew,
#   so the second connection goes to the other server;
# - conn_reuse_mode 0: the old connection is used again, on the same server;
# - conn_reuse_mode 0 with expire_nodest_conn 1, the old connection's server quiesced (weight
#   0): 7.3 expires it anyway (that test comes first), and the weighted server gets the SYN;
# - the same with expire_nodest_conn 0: the quiesced server keeps its client.
. "$(dirname "$0")/../lib/scenario.sh"

d() { in_ns nat-dir "$@"; }
c() { in_ns nat-cli "$@"; }
ok() { rc_is 0 && out_is ''; }
# names_are same|other: the last output is two server names, the same one twice or both.
names_are() {
    local a b
    read -r a b <<< "$last_out"
    case $1 in
        same) [ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" != "no" ] ;;
        other) [[ $a == rs[12] && $b == rs[12] && $a != "$b" ]] ;;
    esac || { echo "got \"$last_out\""; return 1; }
}
# one_name: the last output is one server's name.
one_name() { [[ $last_out == rs[12] ]] || { echo "got \"$last_out\""; return 1; }; }

shared_topology
run d ipvsadm -A -t 10.0.0.1:8080 -s rr
expect "service added" ok
for i in 1 2; do
    run d ipvsadm -a -t 10.0.0.1:8080 -r 172.16.$i.2:8080 -m
    expect "real server $i added" ok
done

run c $py "$traffic_py" tcp-from 9100 2 10.0.0.1 8080
expect "conn_reuse_mode 1: the reconnection is scheduled anew, to the other server" \
    names_are other

setup d sysctl -qw net.ipv4.vs.conn_reuse_mode=0
run c $py "$traffic_py" tcp-from 9101 2 10.0.0.1 8080
expect "conn_reuse_mode 0: the reconnection stays on its server" names_are same

# The same with the first server quiesced in between, with and without expire_nodest_conn.
for expire in 1 0; do
    port=$((9102 + expire))
    setup d sysctl -qw net.ipv4.vs.expire_nodest_conn=$expire
    run c $py "$traffic_py" tcp-from $port 1 10.0.0.1 8080
    expect "expire_nodest_conn $expire: a first connection" one_name
    first=$last_out
    run d ipvsadm -e -t 10.0.0.1:8080 -r 172.16.${first#rs}.2:8080 -m -w 0
    expect "its server quiesced" ok
    run c $py "$traffic_py" tcp-from $port 1 10.0.0.1 8080
    if [ $expire = 1 ]; then
        expect "expire_nodest_conn 1: the reconnection leaves the quiesced server" \
            eval '[ "$last_out" != "$first" ] && one_name'
    else
        expect "expire_nodest_conn 0: the reconnection stays on the quiesced server" \
            out_is "$first"
    fi
    run d ipvsadm -e -t 10.0.0.1:8080 -r 172.16.${first#rs}.2:8080 -m -w 1
    expect "weight back" ok
done

settled nat-dir
run d ipvsadm -L -n --stats --exact
expect "6 connections counted: 2 + 1 (reused) + 2 + 1 (reused)" \
    stats_are "TCP 10.0.0.1:8080" = 6
shared_release
