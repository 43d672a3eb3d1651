# Recorded C transcripts (sourced by tests/lib/run-guests).
#
# C's transcript of a scenario depends on the kernel build (the C module is part of it), the
# scenario, the harness that runs it in the guest, the guest's shape and the programs the
# scenario runs, and on nothing of ours. When all of these are what they were when C's
# transcript was recorded (tests/record-c), the record is C's answer, and `make check` runs the
# scenario only under ipvs_rs: half the guest time. A record whose key no longer matches is
# stale and not used: C runs live. Where C does not repeat itself from run to run, the
# scenario's masks say so (as for two live runs, which are two boots too).
#
# A record is tests/c-transcripts/NAME (the transcript, with the repository's and the cache's
# paths replaced by @REPO@ and @CACHE@) and NAME.key (the key, then how it was recorded).

c_records_dir=$repo/tests/c-transcripts

# c_record_inputs: everything but the scenario itself that C's transcript depends on.
c_record_inputs() {
    local lib
    echo "kernel $(basename "$(readlink -f "${IPVS_RS_KERNEL:-$IPVS_RS_CACHE/kernel/test}")")"
    echo "guest ${IPVS_RS_GUEST_CPUS:-2} cpus ${IPVS_RS_GUEST_MEM:-2G}"
    # The programs the scenarios run (the guest sees the host's root file system).
    dpkg-query -W -f '${Package} ${Version}\n' ipvsadm iproute2 nftables socat kmod \
        busybox-static bash coreutils util-linux procps mawk python3.11-minimal 2> /dev/null
    echo "virtme-ng $VIRTME_NG_VERSION pyroute2 $PYROUTE2_VERSION"
    # The harness in the guest and the programs of ours the scenarios run; not run-guests and
    # this file, which only compare.
    for lib in "$repo"/qemu/run "$repo"/scripts/env.sh "$repo"/tests/{lib,fuzz,stress}/*; do
        case ${lib##*/} in run-guests | c-records.sh | __pycache__) continue ;; esac
        echo "${lib#"$repo"/} $(sha256sum < "$lib")"
    done
}

# c_record_key SCRIPT: the key of C's transcript of SCRIPT, as the guests would record it now.
c_record_key() {
    [ -n "${c_record_inputs_now:-}" ] || c_record_inputs_now=$(c_record_inputs)
    { echo "$c_record_inputs_now"; echo "${1#"$repo"/}"; cat "$1"; } | sha256sum | cut -c1-32
}

# c_record_fresh SCRIPT: true when a record of SCRIPT exists and its key is current.
c_record_fresh() {
    local name key
    name=$(basename "$1" .sh)
    [ -f "$c_records_dir/$name" ] && read -r key < "$c_records_dir/$name.key" 2> /dev/null &&
        [ "$key" = "$(c_record_key "$1")" ]
}

# transcript_paths: stdin to stdout with this checkout's paths made neutral, so that a record
# made in one checkout compares with a transcript from another.
transcript_paths() {
    sed -e "s|$repo|@REPO@|g" -e "s|$IPVS_RS_CACHE|@CACHE@|g"
}
