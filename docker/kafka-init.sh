#!/usr/bin/env bash
# Boissipay: creates the Kafka topics of the compose stack, then exits 0. Run once by the
# `kafka-init` service (the broker's own image, so its kafka-topics tool) before any daemon
# starts; the broker has topic auto-creation off, as in the native stack.
#
# Environment: KAFKA_BOOTSTRAP (host:port), TOPICS (names separated by spaces),
# TOPIC_PARTITIONS (partitions of each new topic). KAFKA_TOPICS_BIN overrides the tool.
# An existing topic with another partition count is an error: partitions decide which
# consumer sees which contract, so they are not changed behind the daemons' backs.
set -euo pipefail

: "${KAFKA_BOOTSTRAP:?KAFKA_BOOTSTRAP is not set}"
: "${TOPICS:?TOPICS is not set}"
: "${TOPIC_PARTITIONS:?TOPIC_PARTITIONS is not set}"
KAFKA_TOPICS_BIN="${KAFKA_TOPICS_BIN:-kafka-topics}"
ATTEMPTS="${KAFKA_INIT_ATTEMPTS:-30}"
RETRY_SECONDS="${KAFKA_INIT_RETRY_SECONDS:-2}"
# The tool is a JVM: keep it small beside the broker.
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx256m}"

log() { printf '[kafka-init] %s\n' "$*" >&2; }
topics() { "$KAFKA_TOPICS_BIN" --bootstrap-server "$KAFKA_BOOTSTRAP" "$@"; }

if ! [[ "$TOPIC_PARTITIONS" =~ ^[1-9][0-9]*$ ]]; then
    log "TOPIC_PARTITIONS='$TOPIC_PARTITIONS' is not a positive integer"
    exit 2
fi

# The broker is healthy before this runs (depends_on), but metadata may lag a little.
existing=""
for ((i = 1; ; i++)); do
    if existing="$(topics --list)"; then
        break
    fi
    if ((i >= ATTEMPTS)); then
        log "the broker at $KAFKA_BOOTSTRAP did not answer after $ATTEMPTS attempts"
        exit 1
    fi
    sleep "$RETRY_SECONDS"
done

read -r -a wanted <<<"$TOPICS"
for t in "${wanted[@]}"; do
    if grep -qxF -- "$t" <<<"$existing"; then
        continue
    fi
    log "creating topic $t ($TOPIC_PARTITIONS partitions)"
    topics --create --if-not-exists --topic "$t" --partitions "$TOPIC_PARTITIONS" \
        --replication-factor 1
done

# Check every topic, new or old, has the partition count the daemons expect.
status=0
for t in "${wanted[@]}"; do
    count="$(topics --describe --topic "$t" |
        sed -n 's/.*PartitionCount:[[:space:]]*\([0-9][0-9]*\).*/\1/p' | head -n 1)"
    if [[ "$count" != "$TOPIC_PARTITIONS" ]]; then
        log "topic $t has ${count:-no} partitions, $TOPIC_PARTITIONS expected" \
            "(reset the stack with: docker compose down -v)"
        status=1
    else
        log "topic $t: $count partitions"
    fi
done
exit "$status"
