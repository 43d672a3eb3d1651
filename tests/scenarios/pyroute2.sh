# An independent client: pyroute2's IPVS API (PyPI, installed by scripts/setup), unmodified.
. "$(dirname "$0")/../lib/scenario.sh"
. "$(dirname "$0")/../../scripts/env.sh"

run "$VENV_PYTHON" "$(dirname "$0")/../lib/pyroute2-client.py"
run ipvsadm -L -n
