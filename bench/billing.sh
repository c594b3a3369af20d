#!/usr/bin/env bash
# Boissipay bench: billing's POST /operations (accepted purchases, durable commits)
# at 32 connections against pgbench running the equivalent SQL on the same server in
# the same run, billing's RSS, and the read-model lag (contract 201 → purchase accepted)
# over 1,000 contracts. Private PostgreSQL + Kafka on bench ports. Prints figures;
# not a test.
#
#   bench/billing.sh [SECONDS] [LAG_CONTRACTS]     defaults 20 and 1000
set -euo pipefail

BP_LOG_TAG="bench"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
cd "$BP_ROOT"

DURATION="${1:-20}"
LAG_N="${2:-1000}"
CONNECTIONS=32
CONTRACTS=200
STATE="$BP_STACK_DIR/bench-billing"
export BP_TEST_PG_PORT=17432 BP_TEST_KAFKA_PORT=19092 BP_TEST_KAFKA_CONTROLLER_PORT=19093
CPORT=18980
BPORT=18981
KEY="bench-key-0123456789abcdef"
PSQL=(psql -qtA -h 127.0.0.1 -p "$BP_TEST_PG_PORT" -U boissipay)

scripts/install-deps.sh
bp_have wrk || { bp_log "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target boissipay-contract boissipay-billing readmodel_lag >/dev/null

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    scripts/test-stack.sh down "$STATE" >/dev/null 2>&1 || true
}
trap cleanup EXIT
mkdir -p "$STATE"
scripts/test-stack.sh up "$STATE" >"$BP_STACK_DIR/bench-stack.log" 2>&1 || { cat "$BP_STACK_DIR/bench-stack.log" >&2; exit 1; }
"${PSQL[@]}" -d postgres -c 'CREATE DATABASE bench_contract' -c 'CREATE DATABASE bench_billing' \
    -c 'CREATE DATABASE bench_pgbench'

common_env=(BP_KAFKA_BROKERS="127.0.0.1:$BP_TEST_KAFKA_PORT" BP_API_KEYS="$KEY:rw"
    BP_HTTP_ACCESS_LOG=false)
env "${common_env[@]}" BP_HTTP_PORT=$CPORT \
    BP_DATABASE_URL="postgresql://boissipay@127.0.0.1:$BP_TEST_PG_PORT/bench_contract" \
    build/services/contract/boissipay-contract >"$STATE/contract.log" 2>&1 &
pids+=($!)
env "${common_env[@]}" BP_HTTP_PORT=$BPORT BP_HTTP_THREADS="${BILLING_THREADS:-$CONNECTIONS}" \
    BP_DATABASE_URL="postgresql://boissipay@127.0.0.1:$BP_TEST_PG_PORT/bench_billing" \
    build/services/billing/boissipay-billing >"$STATE/billing.log" 2>&1 &
billing_pid=$!
pids+=("$billing_pid")
bp_wait_http "http://127.0.0.1:$CPORT/ready" 60 && bp_wait_http "http://127.0.0.1:$BPORT/ready" 60

bp_log "creating $CONTRACTS contracts with a credit limit that admits every purchase"
for i in $(seq 1 "$CONTRACTS"); do
    curl -fs -o /dev/null -X POST "http://127.0.0.1:$CPORT/contracts" -H "Authorization: Bearer $KEY" \
        -H 'Content-Type: application/json' -d "{\"contractRef\":\"BENCH-$i\",
        \"contractType\":\"DEFERRED_BILLING\",\"createdAt\":\"2026-01-01\",\"activatedAt\":\"2026-01-01\",
        \"expireAt\":\"2030-12-31\",\"distributor\":{},\"subscriber\":{\"subscriberType\":\"PROFESSIONNAL\",
        \"contactPerson\":{\"lastName\":\"DOE\",\"mail\":\"doe@example.com\"}},
        \"payment\":{\"mandate\":{\"reference\":\"M-$i\",\"iban\":\"FR7630006000011234567890189\",
        \"signedAt\":\"2026-01-01\"}},\"billing\":{\"creditLimit\":{\"amount\":\"10000000.00\",\"currency\":\"EUR\"}}}"
done
until [[ "$("${PSQL[@]}" -d bench_billing -c 'SELECT count(*) FROM accounts')" == "$CONTRACTS" ]]; do
    sleep 0.2
done

today="$(date -u +%Y-%m-%d)"
cat >"$STATE/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
local n, prefix = 0, ""
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  prefix = tostring(math.random(1, 1000000000))
end
request = function()
  n = n + 1
  local body = string.format('{"contractRef":"BENCH-%d","operationAt":"$today","order":{'
    .. '"orderRef":"W-%s-%d","currencyCode":"EUR","orderType":"PS","orderItems":[{"productItems":['
    .. '{"productRef":"TGV","productLabel":"Paris-Lyon","quantity":2,"unitPrice":"8.40","vatRate":10},'
    .. '{"productLabel":"Fee","quantity":1,"unitPrice":"2.80","vatRate":20}]}]}}',
    (n % $CONTRACTS) + 1, prefix, n)
  return wrk.format(nil, "/operations", nil, body)
end
LUA
bp_log "warm-up 3 s, then ${DURATION} s of purchases at $CONNECTIONS connections"
wrk -t2 -c"$CONNECTIONS" -d3s -s "$STATE/post.lua" "http://127.0.0.1:$BPORT" >/dev/null
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$STATE/post.lua" \
    "http://127.0.0.1:$BPORT" >"$STATE/wrk.txt"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$billing_pid/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$billing_pid/status")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$STATE/wrk.txt")

# pgbench: the same three writes per transaction (conditional UPDATE of the
# read-model row, INSERT of the operation, INSERT of the outbox row) with rows of the
# same size, on the same server, durable commits, 32 clients.
doc="$("${PSQL[@]}" -d bench_billing -c "SELECT doc FROM operations ORDER BY seq DESC LIMIT 1")"
payload="$("${PSQL[@]}" -d bench_billing -c "SELECT payload FROM outbox ORDER BY id DESC LIMIT 1")"
"${PSQL[@]}" -d bench_pgbench <<SQL
CREATE TABLE accounts (id int PRIMARY KEY, credit_limit bigint, outstanding bigint, version bigint);
INSERT INTO accounts SELECT i, 1000000000, 0, 1 FROM generate_series(1, $CONTRACTS) i;
CREATE TABLE operations (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), seq bigserial UNIQUE,
  contract_id int, order_ref text, amount bigint, doc json, created_at timestamptz DEFAULT now());
CREATE INDEX ON operations (contract_id, order_ref);
CREATE TABLE outbox (id bigserial PRIMARY KEY, event_id uuid DEFAULT gen_random_uuid() UNIQUE,
  msg_key text, payload text, published_at timestamptz);
SQL
escaped_doc="${doc//\'/\'\'}"
escaped_payload="${payload//\'/\'\'}"
cat >"$STATE/pgbench.sql" <<SQL
\set c random(1, $CONTRACTS)
BEGIN;
UPDATE accounts SET outstanding = outstanding + 2108 WHERE id = :c AND outstanding + 2108 <= credit_limit;
INSERT INTO operations (contract_id, order_ref, amount, doc) VALUES (:c, 'P-' || :client_id || '-' || random(), 2108, '$escaped_doc');
INSERT INTO outbox (msg_key, payload) VALUES (:c, '$escaped_payload');
END;
SQL
bp_log "pgbench: ${DURATION} s at $CONNECTIONS clients"
rm -f "$STATE"/pgbench_log.*
(cd "$STATE" && pgbench -n -h 127.0.0.1 -p "$BP_TEST_PG_PORT" -U boissipay -c "$CONNECTIONS" -j 2 \
    -T "$DURATION" -l --log-prefix=pgbench_log -f "$STATE/pgbench.sql" bench_pgbench \
    >"$STATE/pgbench.txt" 2>&1)
# Per-transaction latencies (µs, third column of pgbench's log): its own p50 and p99.
pg_p50_p99="$(cat "$STATE"/pgbench_log.* | awk '{print $3}' | sort -n |
    awk '{v[NR] = $1} END {printf "p50 %.2fms  p99 %.2fms", v[int(NR * 0.5)] / 1000, v[int(NR * 0.99)] / 1000}')"

bp_log "read-model lag over $LAG_N contracts"
build/bench/readmodel_lag "$CPORT" "$BPORT" "$KEY" "$LAG_N" >"$STATE/lag.txt"

rps=$(awk '/Requests\/sec/ {print $2}' "$STATE/wrk.txt")
tps=$(awk '/^tps = / {print $3}' "$STATE/pgbench.txt")
printf '\nbilling (%s, %s cores), POST /operations, accepted purchases, %s connections, %s s:\n' \
    "$(uname -m)" "$(nproc)" "$CONNECTIONS" "$DURATION"
printf '  billing:  %s purchases/s   ' "$rps"
awk '/^ +50%/ {printf "p50 %s  ", $2} /^ +99%/ {printf "p99 %s", $2}' "$STATE/wrk.txt"
printf '   non-2xx: %s\n' "${non2xx:-0}"
printf '  pgbench:  %s tps (same three writes per transaction)   %s\n' "$tps" "$pg_p50_p99"
awk -v a="$rps" -v b="$tps" 'BEGIN {printf "  ratio billing / pgbench: %.2f\n", a / b}'
printf '  billing RSS after the load: %s kB (peak %s kB)\n' "$rss" "$hwm"
sed 's/^/  /' "$STATE/lag.txt"
