# Loading and unloading the two IPVS implementations inside a guest (sourced).
#   ipvs_load c|rs     load the C reference (modprobe ip_vs) or ours (insmod ./ipvs_rs.ko, or
#                      $IPVS_RS_KO)
#   ipvs_unload        remove whichever is loaded, schedulers included
repo=${repo:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

ipvs_load() {
    case "$1" in
        c) modprobe ip_vs ;;
        rs) insmod "${IPVS_RS_KO:-$repo/ipvs_rs.ko}" ;;
        *) echo "ipvs_load: unknown implementation $1" >&2; return 2 ;;
    esac
}

ipvs_unload() {
    if grep -q '^ipvs_rs ' /proc/modules; then
        rmmod ipvs_rs
    fi
    local m
    for m in $(awk '$1 ~ /^ip_vs_/ {print $1}' /proc/modules); do
        rmmod "$m"
    done
    if grep -q '^ip_vs ' /proc/modules; then
        rmmod ip_vs
    fi
}
