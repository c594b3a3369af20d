#!/usr/bin/env bash
# Boissipay: throw-away PostgreSQL + Kafka for the integration tests (ctest fixtures).
#
#   scripts/test-stack.sh up   [STATE_DIR]   wipe STATE_DIR's data, start both, return when both answer
#   scripts/test-stack.sh down [STATE_DIR]   stop both (succeeds when nothing runs)
#   scripts/test-stack.sh kafka-stop|kafka-start|pg-stop|pg-start [STATE_DIR]
#                                            stop or restart one server, keeping its data
#                                            (the fault tests use these)
#
# STATE_DIR defaults to .stack/test at the repository root. Ports differ from the dev
# stack (scripts/stack.sh), so both can run at once:
#   PostgreSQL 127.0.0.1:16432, trust authentication, superuser role `boissipay`
#   Kafka      127.0.0.1:29092 (controller 29093), topics of BP_TEST_TOPICS
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

usage() {
    printf 'usage: %s up|down|kafka-stop|kafka-start|pg-stop|pg-start [STATE_DIR]\n' "$0" >&2
    exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
action="$1"
state="${2:-$BP_STACK_DIR/test}"
mkdir -p "$state"
state="$(cd "$state" && pwd -P)"

# One up/down at a time per STATE_DIR.
exec 9>"$state/.lock"
flock 9

stack_down() {
    local t0
    t0="$(bp_now_ms)"
    kafka_stop "$state/kafka"
    pg_stop "$state/pg"
    rm -f "$state/env"
    bp_log "down ($(bp_elapsed "$t0"))"
}

stack_up() {
    local t0 t1 pgdir
    t0="$(bp_now_ms)"
    # Whatever fails below leaves nothing running.
    trap 'stack_down' EXIT
    kafka_stop "$state/kafka"
    pg_stop "$state/pg"
    pgdir="$(pg_dir "$state/pg")"
    rm -rf "$state/kafka" "$pgdir" "$state/env"

    # The broker JVM starts in the background of PostgreSQL's start: both at once.
    t1="$(bp_now_ms)"
    # (9>&-: the servers must not inherit the lock.)
    kafka_start "$state/kafka" "$KAFKA_PORT" "$KAFKA_CPORT" 9>&- &
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
    bp_log "Kafka ready on 127.0.0.1:$KAFKA_PORT ($(bp_elapsed "$t1"))"
    if [[ -n "$TOPICS" ]]; then
        local -a topics
        read -r -a topics <<<"$TOPICS"
        kafka_create_topics "$state/kafka" "$KAFKA_PORT" "$TOPIC_PARTITIONS" "${topics[@]}"
    fi

    cat >"$state/env" <<EOF
BP_TEST_DATABASE_URL=postgresql://boissipay@127.0.0.1:$PG_PORT/postgres
BP_TEST_PG_PORT=$PG_PORT
BP_TEST_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
EOF
    trap - EXIT
    bp_log "up in $(bp_elapsed "$t0") (PostgreSQL 127.0.0.1:$PG_PORT user boissipay, Kafka 127.0.0.1:$KAFKA_PORT; env: $state/env)"
}

case "$action" in
up) stack_up ;;
down) stack_down ;;
kafka-stop) kafka_stop "$state/kafka" ;;
kafka-start) kafka_start "$state/kafka" "$KAFKA_PORT" "$KAFKA_CPORT" 9>&- ;;
pg-stop) pg_stop "$state/pg" ;;
pg-start) pg_start "$state/pg" "$PG_PORT" trust 9>&- ;;
*) usage ;;
esac
