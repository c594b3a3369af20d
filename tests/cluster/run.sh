#!/usr/bin/env bash
# Boissipay broker failover run (tests/cluster/failover.py) on a three-node Kafka cluster.
#
#   tests/cluster/run.sh
#
# Starts its own test stack (scripts/test-stack.sh with BP_TEST_KAFKA_NODES=3: PostgreSQL
# and three Kafka nodes, topics of 3 partitions, 3 replicas, min.insync.replicas=2) under its
# own STATE_DIR, the daemons (contract, two billing instances, payment, invoice-mailer) and
# the SMTP sink; drives load through the REST APIs while it SIGKILLs the leader of the
# busiest partition and starts it again, then two nodes at once (below min ISR); runs the
# month end, waits until quiet, reconciles (one OK/FAIL line each), prints the failover
# figures. Exits non-zero when an invariant fails. The stack is stopped at the end (the
# state stays for reading). About 3 minutes.
#
# Environment (defaults):
#   BP_CLUSTER_BIN_DIR     build tree with the daemons (BPT_BIN_DIR under ctest, else build/)
#   BP_CLUSTER_STATE_DIR   the stack's state and the run's logs (.stack/cluster)
#   BP_CLUSTER_PG_PORT     PostgreSQL (17132)
#   BP_CLUSTER_KAFKA_PORT  node i (1..3) listens on it + 2(i-1), its controller on the next
#                          port: six ports in all (29792..29797)
#   BP_CLUSTER_PORT_BASE   first of 6 ports for the daemons and the SMTP sink (17133)
#   BP_CLUSTER_SEED        seed of the load (1)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

bin_dir="${BP_CLUSTER_BIN_DIR:-${BPT_BIN_DIR:-$root/build}}"
state="${BP_CLUSTER_STATE_DIR:-$root/.stack/cluster}"
pg_port="${BP_CLUSTER_PG_PORT:-17132}"
kafka_port="${BP_CLUSTER_KAFKA_PORT:-29792}"

for b in contract/boissipay-contract billing/boissipay-billing payment/boissipay-payment \
    invoice-mailer/boissipay-invoice-mailer; do
    [[ -x "$bin_dir/services/$b" ]] || {
        printf '[failover] ERROR: %s not built (BP_CLUSTER_BIN_DIR=%s)\n' "$b" "$bin_dir" >&2
        exit 2
    }
done

export BP_TEST_PG_PORT="$pg_port" BP_TEST_KAFKA_PORT="$kafka_port" BP_TEST_KAFKA_NODES=3
export BP_TEST_TOPIC_PARTITIONS=3 BP_TEST_TOPICS="contract operation invoice payment dead-letter"

stack_down() { "$root/scripts/test-stack.sh" down "$state" || true; }
trap stack_down EXIT
"$root/scripts/test-stack.sh" up "$state"

/usr/bin/python3 "$here/failover.py" --root "$root" --bin-dir "$bin_dir" --state "$state" \
    --pg-port "$pg_port" --kafka-port "$kafka_port" --nodes 3 \
    --port-base "${BP_CLUSTER_PORT_BASE:-17133}" --seed "${BP_CLUSTER_SEED:-1}"
