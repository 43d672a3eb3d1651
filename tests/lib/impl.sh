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

# ipvs_loaded: the IPVS modules loaded now (ipvs_rs, ip_vs, ip_vs_*), into the array
# ipvs_modules.
# Read by the shell itself: a program start costs about a second in the debug guest, and this
# runs twice per scenario.
ipvs_loaded() {
    local m _
    ipvs_modules=()
    while read -r m _; do
        case $m in ipvs_rs | ip_vs | ip_vs_*) ipvs_modules+=("$m") ;; esac
    done < /proc/modules
}

ipvs_unload() {
    ipvs_loaded
    if [[ " ${ipvs_modules[*]} " == *" ipvs_rs "* ]]; then
        rmmod ipvs_rs || return
    fi
    # A namespace deleted just before keeps its IPVS services until the kernel's asynchronous
    # namespace cleanup has run, and C's services hold their scheduler modules (ipvs_rs waits
    # for that cleanup itself, in rmmod). So the C modules get 60 s to become free. One rmmod
    # takes them all, the schedulers and helpers before ip_vs.
    local i m others
    for ((i = 0; i < 120; i++)); do
        ipvs_loaded
        others=()
        for m in "${ipvs_modules[@]}"; do [ "$m" = ip_vs ] || others+=("$m"); done
        [[ " ${ipvs_modules[*]} " == *" ip_vs "* ]] && others+=(ip_vs)
        [ ${#others[@]} = 0 ] && return 0
        rmmod "${others[@]}" 2> /dev/null
        ipvs_loaded
        [ ${#ipvs_modules[@]} = 0 ] && return 0
        sleep 0.5
    done
    echo "ipvs_unload: still loaded after 60 s: ${ipvs_modules[*]}" >&2
    return 1
}
