#!/usr/bin/env bash
# Boissipay bench: billing's POST /operations (accepted purchases, durable commits)
# at 1, 4 and 32 connections, with group commit off (one commit per purchase) and on,
# against pgbench running the equivalent SQL (one commit per purchase) on the same
# server in the same run, interleaved so that both see the same machine; billing's
# RSS, and the read-model lag (contract 201 → purchase accepted) over 1,000
# contracts. Private PostgreSQL + Kafka on bench ports. Prints figures; not a test.
#
#   bench/billing.sh [SECONDS] [LAG_CONTRACTS]     defaults 15 and 1000
#   BENCH_CONNECTIONS="1 4 32"  connection counts;  BENCH_ROUNDS=1  rounds (medians over them)
#   BENCH_GROUP_COMMIT="BP_GROUP_COMMIT_WINDOW_US=500 ..."  settings of the group-commit instance
set -euo pipefail

BP_LOG_TAG="bench"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
cd "$BP_ROOT"

DURATION="${1:-15}"
LAG_N="${2:-1000}"
CONNECTION_COUNTS="${BENCH_CONNECTIONS:-1 4 32}"
ROUNDS="${BENCH_ROUNDS:-1}"
THREADS="${BILLING_THREADS:-32}"
CONTRACTS=200
STATE="$BP_STACK_DIR/bench-billing"
export BP_TEST_PG_PORT=17432 BP_TEST_KAFKA_PORT=19092 BP_TEST_KAFKA_CONTROLLER_PORT=19093
CPORT=18980
BPORT=18981 # group commit on (the default)
BPORT_OFF=18982 # BP_GROUP_COMMIT_CONNECTIONS=0: one commit per purchase
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
billing_env=("${common_env[@]}" BP_HTTP_THREADS="$THREADS" BP_BILLING_SCHEDULE=false
    BP_DATABASE_URL="postgresql://boissipay@127.0.0.1:$BP_TEST_PG_PORT/bench_billing")
# shellcheck disable=SC2086 # BENCH_GROUP_COMMIT: extra settings, e.g. BP_GROUP_COMMIT_WINDOW_US=500
env "${billing_env[@]}" ${BENCH_GROUP_COMMIT:-} BP_HTTP_PORT=$BPORT build/services/billing/boissipay-billing \
    >"$STATE/billing.log" 2>&1 &
billing_pid=$!
pids+=("$billing_pid")
bp_wait_http "http://127.0.0.1:$BPORT/ready" 60
# A second instance on the same database (and consumer group: they share the read
# model) commits one purchase at a time: the figures of both come from one run.
env "${billing_env[@]}" BP_HTTP_PORT=$BPORT_OFF BP_GROUP_COMMIT_CONNECTIONS=0 \
    build/services/billing/boissipay-billing >"$STATE/billing-off.log" 2>&1 &
billing_off_pid=$!
pids+=("$billing_off_pid")
bp_wait_http "http://127.0.0.1:$CPORT/ready" 60 && bp_wait_http "http://127.0.0.1:$BPORT_OFF/ready" 60

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

# pgbench: the same three writes per transaction (conditional UPDATE of the
# read-model row, INSERT of the operation, INSERT of the outbox row) with rows of the
# same size, on the same server, durable commits, one commit per purchase.
wrk -t1 -c1 -d1s -s "$STATE/post.lua" "http://127.0.0.1:$BPORT" >/dev/null
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

# CPU time (clock ticks) used so far by the processes given (threads and waited-for
# children included); ticks_pg: the PostgreSQL server and all its backends.
ticks() {
    local p total=0
    for p in "$@"; do
        total=$((total + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
pg_master="$(head -1 "$STATE/pg/data/postmaster.pid")"
kafka_master="$(cat "$STATE/kafka/kafka.pid")"
ticks_pg() {
    # shellcheck disable=SC2046
    ticks "$pg_master" $(pgrep -P "$pg_master")
}
HZ="$(getconf CLK_TCK)"

# run_wrk PORT CONNECTIONS OUT BILLING_PID: requests/s, p50, p99 (ms), non-2xx, then
# the CPU milliseconds per purchase of billing, PostgreSQL and Kafka, on one line.
run_wrk() {
    local threads=2 b0 p0 k0 b1 p1 k1
    (($2 < 2)) && threads=1
    b0=$(ticks "$4") p0=$(ticks_pg) k0=$(ticks "$kafka_master")
    wrk -t"$threads" -c"$2" -d"${DURATION}s" --latency -s "$STATE/post.lua" \
        "http://127.0.0.1:$1" >"$3.txt"
    b1=$(ticks "$4") p1=$(ticks_pg) k1=$(ticks "$kafka_master")
    awk -v hz="$HZ" -v b=$((b1 - b0)) -v p=$((p1 - p0)) -v k=$((k1 - k0)) -v d="$DURATION" '
         function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                          if (v ~ /s$/) return v * 1000; return v }
         /Requests\/sec/ {rps = $2} /^ +50%/ {p50 = ms($2)} /^ +99%/ {p99 = ms($2)}
         /Non-2xx/ {bad = $NF}
         END {n = rps * d; printf "%.0f %.2f %.2f %d %.3f %.3f %.3f\n", rps, p50, p99, bad,
              b * 1000 / hz / n, p * 1000 / hz / n, k * 1000 / hz / n}' "$3.txt"
}
# run_pgbench CLIENTS OUT: tps, p50, p99 (ms) from its per-transaction log.
run_pgbench() {
    rm -f "$STATE"/pgbench_log.*
    local threads=2
    (($1 < 2)) && threads=1
    local tps p0 p1
    p0=$(ticks_pg)
    (cd "$STATE" && pgbench -n -h 127.0.0.1 -p "$BP_TEST_PG_PORT" -U boissipay -c "$1" \
        -j "$threads" -T "$DURATION" -l --log-prefix=pgbench_log -f "$STATE/pgbench.sql" \
        bench_pgbench >"$2.txt" 2>&1)
    p1=$(ticks_pg)
    tps=$(awk '/^tps = / {printf "%.0f", $3}' "$2.txt")
    cat "$STATE"/pgbench_log.* | awk '{print $3}' | sort -n |
        awk -v tps="$tps" -v hz="$HZ" -v p=$((p1 - p0)) -v d="$DURATION" '{v[NR] = $1} END {
            printf "%s %.2f %.2f 0 0 %.3f 0\n", tps, v[int(NR * 0.5)] / 1000,
                v[int(NR * 0.99)] / 1000, p * 1000 / hz / (tps * d)}'
}

bp_log "warm-up 3 s on each instance"
wrk -t2 -c32 -d3s -s "$STATE/post.lua" "http://127.0.0.1:$BPORT" >/dev/null
wrk -t2 -c32 -d3s -s "$STATE/post.lua" "http://127.0.0.1:$BPORT_OFF" >/dev/null
: >"$STATE/results.txt"
for round in $(seq 1 "$ROUNDS"); do
    for c in $CONNECTION_COUNTS; do
        bp_log "round $round, $c connections: ${DURATION} s each of group commit on, off, pgbench"
        echo "$c on $(run_wrk "$BPORT" "$c" "$STATE/wrk-on-$c" "$billing_pid")" >>"$STATE/results.txt"
        echo "$c off $(run_wrk "$BPORT_OFF" "$c" "$STATE/wrk-off-$c" "$billing_off_pid")" \
            >>"$STATE/results.txt"
        echo "$c pgbench $(run_pgbench "$c" "$STATE/pgbench-$c")" >>"$STATE/results.txt"
    done
done
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$billing_pid/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$billing_pid/status")
batches=$(curl -fs "http://127.0.0.1:$BPORT/metrics" -H "Authorization: Bearer $KEY" |
    awk '/^boissipay_group_commit_transactions_total/ {t = $2}
         /^boissipay_group_commit_statements_total/ {s = $2}
         /^boissipay_group_commit_reruns_total/ {r = $2}
         END {if (t > 0) printf "%d purchases in %d transactions (%.1f per commit), %d reruns", s, t, s / t, r}')

bp_log "read-model lag over $LAG_N contracts"
build/bench/readmodel_lag "$CPORT" "$BPORT" "$KEY" "$LAG_N" >"$STATE/lag.txt"

printf '\nbilling (%s, %s cores), POST /operations, accepted purchases, %s s per figure, %s round(s), medians:\n' \
    "$(uname -m)" "$(nproc)" "$DURATION" "$ROUNDS"
printf '  %-5s  %-22s %6s %9s %9s %8s %6s   %s\n' conns what "per s" "p50 ms" "p99 ms" non-2xx \
    ratio "CPU ms per purchase: billing, PostgreSQL, Kafka"
for c in $CONNECTION_COUNTS; do
    for what in on off pgbench; do
        awk -v c="$c" -v w="$what" '$1 == c && $2 == w' "$STATE/results.txt" | sort -k3 -n |
            awk '{r[NR] = $3; p50[NR] = $4; p99[NR] = $5; bad += $6; cb[NR] = $7; cp[NR] = $8
                  ck[NR] = $9}
                 END {m = int((NR + 1) / 2); print r[m], p50[m], p99[m], bad, cb[m], cp[m], ck[m]}' \
                >"$STATE/median-$c-$what"
    done
    pg=$(awk '{print $1}' "$STATE/median-$c-pgbench")
    for what in on off pgbench; do
        label="billing, group commit"
        [[ "$what" == off ]] && label="billing, one by one"
        [[ "$what" == pgbench ]] && label="pgbench, one by one"
        read -r rps p50 p99 bad cb cp ck <"$STATE/median-$c-$what"
        awk -v c="$c" -v l="$label" -v r="$rps" -v a="$p50" -v b="$p99" -v n="$bad" -v pg="$pg" \
            -v cb="$cb" -v cp="$cp" -v ck="$ck" \
            'BEGIN {printf "  %-5s  %-22s %6d %9.2f %9.2f %8d %6.2f   %.3f, %.3f, %.3f\n",
                    c, l, r, a, b, n, r / pg, cb, cp, ck}'
    done
done
printf '  group commit: %s\n' "${batches:-no figures}"
printf '  billing RSS after the load: %s kB (peak %s kB)\n' "$rss" "$hwm"
sed 's/^/  /' "$STATE/lag.txt"
