# Configuration churn's long form: the changes of tests/scenarios/churn.sh made 30 times over
# (about 20 minutes in the debug guest) under the 50 long-lived connections and the stream of
# new ones.
# timeout: 5400
CHURN_CYCLES=30
. "$(dirname "$0")/../scenarios/churn.sh"
