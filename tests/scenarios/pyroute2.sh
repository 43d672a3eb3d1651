# An independent client: pyroute2's IPVS API (PyPI, installed by scripts/setup), unmodified.
. "$(dirname "$0")/../lib/scenario.sh"
. "$(dirname "$0")/../../scripts/env.sh"

# said LABEL=RESULT...: pyroute2-client printed "LABEL: RESULT" for each (RESULT "ok" or
# "NetlinkError ERRNO").
said() {
    local a bad=0
    for a in "$@"; do
        out_line "${a%%=*}: ${a#*=}" || { echo "no \"${a%%=*}: ${a#*=}\""; bad=1; }
    done
    return $bad
}
# records LABEL N FIELD VALUE...: the records printed after the Nth "LABEL: ok" have, in
# order, the values VALUE... of FIELD (addr, weight...; the attribute as it came, which sorts
# before the field pyroute2 derives from it, with its defaults filled in).
records() {
    local label=$1 n=$2 field=$3 line k=0 in= got=() re
    shift 3
    re="[{ _]($field|${field^^})='?([^',}]+)"
    while IFS= read -r line; do
        if [ -n "$in" ]; then
            [[ $line == "    {"* ]] || break
            [[ $line =~ $re ]] && got+=("${BASH_REMATCH[2]}")
        elif [ "$line" = "$label: ok" ]; then
            k=$((k + 1))
            [ $k = "$n" ] && in=1
        fi
    done <<< "$last_out"
    [ -n "$in" ] || { echo "no \"$label: ok\" ($n)"; return 1; }
    [ "${got[*]}" = "$*" ] || [ -n "$any_order" ] && [ ${#got[@]} = $# ] &&
        [[ " ${got[*]} " == *" $1 "* && " ${got[*]} " == *" ${2-$1} "* ]] ||
        { echo "$label ($n): $field ${got[*]}, not $*"; return 1; }
}
# services_dumped N PORT...: the Nth services dump has the services of these ports (it is
# sorted by its text, not by port).
services_dumped() { local n=$1; shift; any_order=1 records "dump services" "$n" port "$@"; }

run "$VENV_PYTHON" "$(dirname "$0")/../lib/pyroute2-client.py"
expect "services: added; a duplicate (EEXIST) and an unknown scheduler (ENOENT) refused" said \
    "add web=ok" "add web again=NetlinkError 17" "add dns=ok" "add bad scheduler=NetlinkError 2"
expect "real servers: added; duplicate, bad thresholds, missing service refused" said \
    "add dest DR=ok" "add dest NAT=ok" "add dest again=NetlinkError 17" \
    "add dest thresholds=ok" "add dest bad thresholds=NetlinkError 34" \
    "add dest no service=NetlinkError 3"
expect "edits; a missing server (ENOENT) or service (ESRCH)" said "set dest weight=ok" \
    "set dest missing=NetlinkError 2" "set web scheduler=ok" "get web=ok" \
    "get missing=NetlinkError 3"
expect "the edited scheduler reads back" records "get web" 1 sched_name wrr
expect "both services dumped" services_dumped 1 53 80
# Real servers come newest first: C adds each at the head of the service's list.
expect "the web service's servers, newest first" records "dump dests of 10.1.0.1:80" 1 addr \
    10.1.1.3 10.1.1.2
expect "their weights, the DR one as edited" records "dump dests of 10.1.0.1:80" 1 weight 3 7
expect "their methods: NAT (0) as asked, DR (3) by default" \
    records "dump dests of 10.1.0.1:80" 1 fwd_method 0 3
expect "the dns service's server" records "dump dests of 10.1.0.1:53" 1 addr 10.1.1.4
expect "deletes; again: ENOENT for the server, ESRCH for the service" said "del dest=ok" \
    "del dest again=NetlinkError 2" "del web=ok" "del web again=NetlinkError 3" "del dns=ok"
expect "the deleted server is gone" records "dump dests of 10.1.0.1:80" 2 addr 10.1.1.3
expect "the deleted service is gone" services_dumped 2 53
expect "no service left" services_dumped 3
run ipvsadm -L -n
expect "ipvsadm sees no service" out_lines 0 '(TCP|UDP|FWM) .*'
