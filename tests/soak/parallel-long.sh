# Parallel traffic's long form: eight clients on both vCPUs, 2,400 TCP connections and 2,400 UDP
# datagrams (tests/scenarios/parallel.sh with 600 each; about 20 minutes in the debug guest).
# timeout: 5400
PARALLEL_COUNT=600
. "$(dirname "$0")/../scenarios/parallel.sh"
