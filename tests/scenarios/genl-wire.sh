# Raw generic netlink, the wire variants other clients use and malformed requests
# (tests/lib/genl.py), then permissions: netlink wants CAP_NET_ADMIN in the initial user
# namespace, so neither an unprivileged user nor root of a new user namespace gets in.
. "$(dirname "$0")/../lib/scenario.sh"
lib=$(dirname "$0")/../lib

ip link set lo up
run $py "$lib/genl.py"
run ipvsadm -L -n
run_unprivileged $py "$lib/genl.py" --probe
run unshare -U -r -n $py "$lib/genl.py" --probe
