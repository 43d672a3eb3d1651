# The legacy socket-option interface, byte for byte: every SET_* and GET_* with valid,
# duplicate, missing and malformed arguments (tests/lib/sockopt.py), then permissions.
. "$(dirname "$0")/../lib/scenario.sh"
lib=$(dirname "$0")/../lib

ip link set lo up
# An IPv6 service and a fwmark one over netlink: the sockopt interface must not show the first.
run ipvsadm -A -t [2001:db8::1]:80 -s rr
run $py "$lib/sockopt.py"
run ipvsadm -L -n
run ipvsadm -C
run_unprivileged $py "$lib/sockopt.py" --probe
# Root of a new user namespace owns its new network namespace: sockopt lets it in (netlink,
# which wants the initial user namespace, does not).
run unshare -U -r -n $py "$lib/sockopt.py" --probe
