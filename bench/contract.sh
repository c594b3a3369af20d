#!/usr/bin/env bash
# Boissipay bench: the contract daemon's idle RSS, start-to-ready time, and
# POST /contracts throughput and latency at 16 connections (wrk), against a private
# PostgreSQL + Kafka (scripts/test-stack.sh on bench ports). Prints figures; not a test.
#
#   bench/contract.sh [SECONDS]     load duration, default 20
set -euo pipefail

BP_LOG_TAG="bench"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
cd "$BP_ROOT"

DURATION="${1:-20}"
CONNECTIONS=16
STATE="$BP_STACK_DIR/bench"
export BP_TEST_PG_PORT=17432 BP_TEST_KAFKA_PORT=19092 BP_TEST_KAFKA_CONTROLLER_PORT=19093
PORT=18980
KEY="bench-key-0123456789abcdef"

scripts/install-deps.sh
bp_have wrk || { bp_log "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null

daemon_pid=""
cleanup() {
    [[ -n "$daemon_pid" ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
    scripts/test-stack.sh down "$STATE" >/dev/null 2>&1 || true
}
trap cleanup EXIT
scripts/test-stack.sh up "$STATE" >"$BP_STACK_DIR/bench-stack.log" 2>&1 || { cat "$BP_STACK_DIR/bench-stack.log" >&2; exit 1; }
psql -q -h 127.0.0.1 -p "$BP_TEST_PG_PORT" -U boissipay -d postgres -c 'CREATE DATABASE bench_contract'

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

t0="$(bp_now_ms)"
BP_HTTP_PORT=$PORT BP_API_KEYS="$KEY:rw" BP_HTTP_ACCESS_LOG=false \
    BP_DATABASE_URL="postgresql://boissipay@127.0.0.1:$BP_TEST_PG_PORT/bench_contract" \
    BP_KAFKA_BROKERS="127.0.0.1:$BP_TEST_KAFKA_PORT" \
    build/services/contract/boissipay-contract >"$STATE/contract.log" 2>&1 &
daemon_pid=$!
until curl -fs -o /dev/null "http://127.0.0.1:$PORT/ready"; do sleep 0.005; done
ready_ms=$(($(bp_now_ms) - t0))
sleep 2
idle_rss=$(rss_kb "$daemon_pid")

body="$(sed -n '/^{/,/^}/p' "$BP_ROOT/bench/contract-request.json" | tr -d '\n')"
cat >"$STATE/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
wrk.body = [[$body]]
LUA
bp_log "warm-up 3 s, then ${DURATION} s at $CONNECTIONS connections"
wrk -t2 -c"$CONNECTIONS" -d3s -s "$STATE/post.lua" "http://127.0.0.1:$PORT/contracts" >/dev/null
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$STATE/post.lua" \
    "http://127.0.0.1:$PORT/contracts" >"$STATE/wrk.txt"
load_rss=$(rss_kb "$daemon_pid")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$STATE/wrk.txt")
# Let the relay drain, then count what reached Kafka's side of the outbox.
sleep 3
backlog=$(psql -tA -h 127.0.0.1 -p "$BP_TEST_PG_PORT" -U boissipay -d bench_contract \
    -c 'SELECT count(*) FROM outbox WHERE published_at IS NULL')
rows=$(psql -tA -h 127.0.0.1 -p "$BP_TEST_PG_PORT" -U boissipay -d bench_contract \
    -c 'SELECT count(*) FROM contracts')

printf '\ncontract daemon (%s, %s cores)\n' "$(uname -m)" "$(nproc)"
printf '  start to ready (fresh database, migrations included): %s ms\n' "$ready_ms"
printf '  idle RSS:                                              %s kB\n' "$idle_rss"
printf '  POST /contracts at %s connections, %s s:\n' "$CONNECTIONS" "$DURATION"
awk '/Requests\/sec/ {printf "    throughput:   %s req/s\n", $2}
     /^ +50%/ {printf "    latency p50:  %s\n", $2}
     /^ +90%/ {printf "    latency p90:  %s\n", $2}
     /^ +99%/ {printf "    latency p99:  %s\n", $2}' "$STATE/wrk.txt"
printf '    non-2xx:      %s\n' "${non2xx:-0}"
printf '  RSS after the load:                                    %s kB\n' "$load_rss"
printf '  contracts written: %s, events not yet published 3 s later: %s\n' "$rows" "$backlog"
