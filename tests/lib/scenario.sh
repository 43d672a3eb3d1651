# Helpers for scenario scripts (sourced). A scenario prints a transcript: each command as
# "$ cmd", then its combined output, then "[rc=N]", so that two runs can be diffed.

run() {
    echo "\$ $*"
    "$@" 2>&1
    echo "[rc=$?]"
}

# Runs a command as an unprivileged user (nobody, no capabilities).
run_unprivileged() {
    echo "\$ (as nobody) $*"
    setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@" 2>&1
    echo "[rc=$?]"
}
