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
        rmmod ipvs_rs || return
    fi
    # A namespace deleted just before keeps its IPVS services until the kernel's asynchronous
    # namespace cleanup has run, and C's services hold their scheduler modules (ipvs_rs waits
    # for that cleanup itself, in rmmod). So the C modules get 60 s to become free.
    local m i
    for i in $(seq 120); do
        for m in $(awk '$1 ~ /^ip_vs_/ {print $1}' /proc/modules); do
            rmmod "$m" 2> /dev/null
        done
        if grep -q '^ip_vs ' /proc/modules; then
            rmmod ip_vs 2> /dev/null
        fi
        grep -Eq '^ip_vs(_[a-z0-9_]+)? ' /proc/modules || return 0
        sleep 0.5
    done
    echo "ipvs_unload: still loaded after 60 s:" $(grep -E '^ip_vs(_[a-z0-9_]+)? ' /proc/modules) >&2
    return 1
}
