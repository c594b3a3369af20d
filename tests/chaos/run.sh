#!/usr/bin/env bash
# Boissipay chaos run of the whole cycle, then reconciliation (tests/chaos/chaos.py).
#
#   tests/chaos/run.sh [MINUTES]     about MINUTES of wall time in all (default 3)
#   tests/chaos/run.sh --short       the ctest variant: 3 minutes
#
# Starts its own test stack (scripts/test-stack.sh: PostgreSQL, Kafka with topics of 6
# partitions) under its own STATE_DIR, the four daemons (one contract; two instances each of
# billing, payment and invoice-mailer sharing their service's database and consumer group),
# the SMTP sink and the simulated bank; drives load through the REST APIs while it SIGKILLs
# a random instance every few seconds and starts it again, restarts Kafka once and
# PostgreSQL once; runs the month end on both billing instances at once; waits until
# everything is quiet; then checks every invariant (one OK/FAIL line each) and prints
# `kills N, restarts M, operations X, lost L, duplicated D`. Exits non-zero when an
# invariant fails. The stack is stopped at the end (the state stays for reading).
#
# Environment (defaults):
#   BP_CHAOS_BIN_DIR     build tree with the daemons (BPT_BIN_DIR under ctest, else build/)
#   BP_CHAOS_STATE_DIR   the stack's state and the run's logs (.stack/chaos)
#   BP_CHAOS_PG_PORT, BP_CHAOS_KAFKA_PORT, BP_CHAOS_KAFKA_CONTROLLER_PORT   17032, 29692, 29693
#   BP_CHAOS_PORT_BASE   first of 2 + 3 * BP_CHAOS_INSTANCES ports for the daemons and the
#                        SMTP sink (17033; 8 ports with 2 instances, 11 with 3)
#   BP_CHAOS_INSTANCES   instances each of billing, payment and invoice-mailer (2); from 3 on,
#                        the last instance of each joins its consumer group after a third of
#                        the load (the scaled-out run, `ctest -L cluster`: 3)
#   BP_CHAOS_SEED        seed of the load and of the kills (1)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

minutes=3
case "${1:-}" in
"") ;;
--short) minutes=3 ;;
*[!0-9.]* | .)
    printf 'usage: %s [MINUTES|--short]\n' "$0" >&2
    exit 2
    ;;
*) minutes="$1" ;;
esac

bin_dir="${BP_CHAOS_BIN_DIR:-${BPT_BIN_DIR:-$root/build}}"
state="${BP_CHAOS_STATE_DIR:-$root/.stack/chaos}"
pg_port="${BP_CHAOS_PG_PORT:-17032}"
kafka_port="${BP_CHAOS_KAFKA_PORT:-29692}"
controller_port="${BP_CHAOS_KAFKA_CONTROLLER_PORT:-29693}"

for b in contract/boissipay-contract billing/boissipay-billing payment/boissipay-payment \
    invoice-mailer/boissipay-invoice-mailer; do
    [[ -x "$bin_dir/services/$b" ]] || {
        printf '[chaos] ERROR: %s not built (BP_CHAOS_BIN_DIR=%s)\n' "$b" "$bin_dir" >&2
        exit 2
    }
done

export BP_TEST_PG_PORT="$pg_port" BP_TEST_KAFKA_PORT="$kafka_port"
export BP_TEST_KAFKA_CONTROLLER_PORT="$controller_port" BP_TEST_TOPIC_PARTITIONS=6
export BP_TEST_TOPICS="contract operation invoice payment dead-letter"

stack_down() { "$root/scripts/test-stack.sh" down "$state" || true; }
trap stack_down EXIT
"$root/scripts/test-stack.sh" up "$state"

/usr/bin/python3 "$here/chaos.py" --root "$root" --bin-dir "$bin_dir" --state "$state" \
    --pg-port "$pg_port" --kafka-port "$kafka_port" --kafka-controller-port "$controller_port" \
    --port-base "${BP_CHAOS_PORT_BASE:-17033}" --minutes "$minutes" --seed "${BP_CHAOS_SEED:-1}" \
    --instances "${BP_CHAOS_INSTANCES:-2}"
