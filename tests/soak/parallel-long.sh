# Parallel traffic's long form: eight clients on both vCPUs, 2,400 TCP connections and 2,400 UDP
# datagrams (tests/scenarios/parallel.sh with 600 each; about 5 minutes in the debug guest).
#
# The connection listing comes minutes after the first TCP connections closed, and how many of
# those have not expired yet depends on timing: C against C (IPVS_RS_AGAINST=c, 2026-12-04)
# listed 785/784/789 TCP connections per server in one guest and 779/786/783 in the other. So
# the TCP rows' counts are left out; the UDP rows (300 s timeout) are compared, and the service
# counters before them count every connection.
# mask: s/^ *[0-9][0-9]* \(TCP [0-9A-F]* [0-9A-F]*\)$/N \1/
# timeout: 5400
PARALLEL_COUNT=600
. "$(dirname "$0")/../scenarios/parallel.sh"
