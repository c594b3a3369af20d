#!/usr/bin/env bash
# Boissipay: throw-away PostgreSQL + Kafka for the integration tests (ctest fixtures).
#
#   scripts/test-stack.sh up   [STATE_DIR]   wipe STATE_DIR's data, start both, return when both answer
#   scripts/test-stack.sh down [STATE_DIR]   stop both (succeeds when nothing runs)
#   scripts/test-stack.sh kafka-stop|kafka-start|pg-stop|pg-start [STATE_DIR]
#                                            stop or restart one server, keeping its data
#                                            (the fault tests use these)
#   scripts/test-stack.sh kafka-node-stop|kafka-node-start N [STATE_DIR]
#                                            the same for node N of a Kafka cluster
#
# STATE_DIR defaults to .stack/test at the repository root. Ports differ from the dev
# stack (scripts/stack.sh), so both can run at once:
#   PostgreSQL 127.0.0.1:16432, trust authentication, superuser role `boissipay`
#   Kafka      127.0.0.1:29092 (controller 29093), topics of BP_TEST_TOPICS
# BP_TEST_KAFKA_NODES=3 starts a three-node KRaft cluster instead of the single broker
# (scripts/lib/kafka.sh): node i (1..3) on BP_TEST_KAFKA_PORT + 2(i-1), its controller on
# the next port, topics with 3 replicas and min.insync.replicas=2.
# `up` writes STATE_DIR/env with the matching BP_TEST_* variables.
set -euo pipefail

BP_LOG_TAG="test-stack"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/pg.sh
source "$BP_ROOT/scripts/lib/pg.sh"
# shellcheck source=scripts/lib/kafka.sh
source "$BP_ROOT/scripts/lib/kafka.sh"

PG_PORT="${BP_TEST_PG_PORT:-16432}"
KAFKA_PORT="${BP_TEST_KAFKA_PORT:-29092}"
KAFKA_CPORT="${BP_TEST_KAFKA_CONTROLLER_PORT:-29093}"
# Topics created at start (auto-creation is off on the broker); empty: none.
TOPICS="${BP_TEST_TOPICS-contract operation invoice payment dead-letter}"
TOPIC_PARTITIONS="${BP_TEST_TOPIC_PARTITIONS:-3}"
KAFKA_NODES="${BP_TEST_KAFKA_NODES:-1}"
[[ "$KAFKA_NODES" =~ ^[1-9]$ ]] || bp_die "BP_TEST_KAFKA_NODES must be 1..9 (got $KAFKA_NODES)"
KAFKA_TOPIC_REPLICAS="$(kafka_replicas "$KAFKA_NODES")"
KAFKA_TOPIC_MIN_ISR="$(kafka_min_isr "$KAFKA_NODES")"

usage() {
    printf 'usage: %s up|down|kafka-stop|kafka-start|pg-stop|pg-start [STATE_DIR]\n' "$0" >&2
    printf '       %s kafka-node-stop|kafka-node-start N [STATE_DIR]\n' "$0" >&2
    exit 2
}

[[ $# -ge 1 ]] || usage
action="$1"
shift
node=""
if [[ "$action" == kafka-node-* ]]; then
    [[ $# -ge 1 && "$1" =~ ^[1-9]$ && "$1" -le "$KAFKA_NODES" ]] || usage
    node="$1"
    shift
fi
[[ $# -le 1 ]] || usage
state="${1:-$BP_STACK_DIR/test}"
mkdir -p "$state"
state="$(cd "$state" && pwd -P)"

# One up/down at a time per STATE_DIR (a node of a cluster: one action at a time per node).
exec 9>"$state/.lock${node:+-node-$node}"
flock 9

# The broker(s): one (the default) or a cluster of KAFKA_NODES.
kafka_up() {
    if ((KAFKA_NODES == 1)); then
        kafka_start "$state/kafka" "$KAFKA_PORT" "$KAFKA_CPORT"
    else
        kafka_cluster_start "$state/kafka" "$KAFKA_NODES" "$KAFKA_PORT"
    fi
}
kafka_down() {
    if [[ -d "$state/kafka/node-1" ]]; then
        kafka_cluster_stop "$state/kafka"
    fi
    kafka_stop "$state/kafka"
}
kafka_bootstrap() {
    if ((KAFKA_NODES == 1)); then
        printf '127.0.0.1:%s\n' "$KAFKA_PORT"
    else
        kafka_cluster_brokers "$KAFKA_NODES" "$KAFKA_PORT"
    fi
}

stack_down() {
    local t0
    t0="$(bp_now_ms)"
    kafka_down
    pg_stop "$state/pg"
    rm -f "$state/env"
    bp_log "down ($(bp_elapsed "$t0"))"
}

stack_up() {
    local t0 t1 pgdir
    t0="$(bp_now_ms)"
    # Whatever fails below leaves nothing running.
    trap 'stack_down' EXIT
    kafka_down
    pg_stop "$state/pg"
    pgdir="$(pg_dir "$state/pg")"
    rm -rf "$state/kafka" "$pgdir" "$state/env"

    # The broker JVM starts in the background of PostgreSQL's start: both at once.
    t1="$(bp_now_ms)"
    # (9>&-: the servers must not inherit the lock.)
    kafka_up 9>&- &
    local kafka_job=$!
    if ! pg_start "$state/pg" "$PG_PORT" trust 9>&- ||
        ! pg_ensure_role "$state/pg" "$PG_PORT" boissipay "" superuser ||
        ! pg_ensure_database "$state/pg" "$PG_PORT" boissipay boissipay; then
        wait "$kafka_job" || true
        bp_die "PostgreSQL did not come up"
    fi
    bp_log "PostgreSQL ready on 127.0.0.1:$PG_PORT ($(bp_elapsed "$t1"))"
    if ! wait "$kafka_job"; then
        bp_die "Kafka did not come up"
    fi
    bp_log "Kafka ready on $(kafka_bootstrap) ($(bp_elapsed "$t1"))"
    if [[ -n "$TOPICS" ]]; then
        local -a topics
        read -r -a topics <<<"$TOPICS"
        kafka_create_topics "$state/kafka" "$KAFKA_PORT" "$TOPIC_PARTITIONS" "${topics[@]}"
    fi

    cat >"$state/env" <<EOF
BP_TEST_DATABASE_URL=postgresql://boissipay@127.0.0.1:$PG_PORT/postgres
BP_TEST_PG_PORT=$PG_PORT
BP_TEST_KAFKA_BROKERS=$(kafka_bootstrap)
EOF
    trap - EXIT
    bp_log "up in $(bp_elapsed "$t0") (PostgreSQL 127.0.0.1:$PG_PORT user boissipay, Kafka $(kafka_bootstrap); env: $state/env)"
}

case "$action" in
up) stack_up ;;
down) stack_down ;;
kafka-stop) kafka_down ;;
kafka-start) kafka_up 9>&- ;;
kafka-node-stop) kafka_node_stop "$state/kafka" "$node" ;;
kafka-node-start) kafka_node_start "$state/kafka" "$KAFKA_NODES" "$KAFKA_PORT" "$node" 9>&- ;;
pg-stop) pg_stop "$state/pg" ;;
pg-start) pg_start "$state/pg" "$PG_PORT" trust 9>&- ;;
*) usage ;;
esac
