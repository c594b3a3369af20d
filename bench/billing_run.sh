#!/usr/bin/env bash
# Boissipay bench: a month-end billing run over CONTRACTS contracts with OPS accepted
# operations each (defaults 10,000 × 100): time to issue every invoice (one
# transaction per 50 contracts, durable commits, events through the outbox), and the
# time until the relay has published all invoice.issued and payment.requested events.
# The operations, each with the ~900-byte document an accepted purchase keeps, are
# seeded with SQL into billing's own tables (posting a million purchases over HTTP
# would measure something else); the run itself goes through the daemon's API. Private PostgreSQL + Kafka on bench ports. Prints figures; not a test.
#
#   bench/billing_run.sh [CONTRACTS] [OPS]
set -euo pipefail

BP_LOG_TAG="bench"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
cd "$BP_ROOT"

CONTRACTS="${1:-10000}"
OPS="${2:-100}"
STATE="$BP_STACK_DIR/bench-run"
export BP_TEST_PG_PORT=17432 BP_TEST_KAFKA_PORT=19092 BP_TEST_KAFKA_CONTROLLER_PORT=19093
BPORT=18982
KEY="bench-key-0123456789abcdef"
PSQL=(psql -qtA -h 127.0.0.1 -p "$BP_TEST_PG_PORT" -U boissipay)

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target boissipay-billing >/dev/null

pid=""
cleanup() {
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    scripts/test-stack.sh down "$STATE" >/dev/null 2>&1 || true
}
trap cleanup EXIT
mkdir -p "$STATE"
scripts/test-stack.sh up "$STATE" >"$BP_STACK_DIR/bench-stack.log" 2>&1 || { cat "$BP_STACK_DIR/bench-stack.log" >&2; exit 1; }
"${PSQL[@]}" -d postgres -c 'CREATE DATABASE bench_run'
BP_HTTP_PORT=$BPORT BP_API_KEYS="$KEY:rw" BP_HTTP_ACCESS_LOG=false BP_BILLING_SCHEDULE=false \
    BP_DATABASE_URL="postgresql://boissipay@127.0.0.1:$BP_TEST_PG_PORT/bench_run" \
    BP_KAFKA_BROKERS="127.0.0.1:$BP_TEST_KAFKA_PORT" \
    build/services/billing/boissipay-billing >"$STATE/billing.log" 2>&1 &
pid=$!
bp_wait_http "http://127.0.0.1:$BPORT/ready" 60

bp_log "seeding $CONTRACTS contracts × $OPS operations"
t0="$(bp_now_ms)"
"${PSQL[@]}" -d bench_run <<SQL
INSERT INTO accounts (contract_id, contract_ref, customer_ref, status, activated_at, expire_at,
  mandate_ref, mandate_status, mandate_signed_at, currency, credit_limit, payment_term_days,
  invoice_email, version, outstanding)
SELECT md5('c' || i)::uuid, 'BENCH-' || i, 'CUST-' || i, 'ACTIVE', '2026-01-01', '2030-12-31',
  'MDT-' || i, 'VALID', '2026-01-01', 'EUR', 100000000, 30, 'ap' || i || '@example.com', 1,
  $OPS * 2108
FROM generate_series(1, $CONTRACTS) i;
INSERT INTO operations (operation_id, contract_id, contract_ref, order_ref, operation_type,
  status, currency, amount, operation_at, operation_date, request_hash, doc,
  amount_without_tax, amount_tax, vat)
SELECT id, md5('c' || i)::uuid, 'BENCH-' || i, 'ORD-' || i || '-' || k, 'PURCHASE',
  'ACCEPTED', 'EUR', 2108, '2026-10-15 12:00+02', day,
  sha256(convert_to(i || '-' || k, 'UTF8')),
  -- The document an accepted purchase keeps (the shape of the API's answer, ~900 bytes).
  json_build_object('operationId', id, 'status', 'ACCEPTED', 'contractId', md5('c' || i)::uuid,
    'contractRef', 'BENCH-' || i, 'operationType', 'PURCHASE', 'operationAt', day,
    'operationDate', day, 'customerRef', 'CUST-' || i,
    'contact', json_build_object('ccuid', 'CCU-1', 'firstName', 'John', 'lastName', 'DOE',
      'mail', 'john.doe@example.com'),
    'order', json_build_object('orderRef', 'ORD-' || i || '-' || k, 'currencyCode', 'EUR',
      'orderType', 'PS', 'orderItems', json_build_array(json_build_object('deliveredOn', day,
        'productItems', json_build_array(
          json_build_object('productRef', 'TGV-PARIS-LYON', 'productLabel', 'Paris-Lyon',
            'packaging', 'PCE', 'quantity', 2, 'unitPrice', 8.4, 'vatRate', 5.5,
            'amountWithoutTax', 16.8, 'amountTax', 0.92, 'amountWithTax', 17.72),
          json_build_object('productLabel', 'Frais de port', 'packaging', 'PCE', 'quantity', 1,
            'unitPrice', 2.8, 'vatRate', 20, 'amountWithoutTax', 2.8, 'amountTax', 0.56,
            'amountWithTax', 3.36)))),
      'totalWithoutTax', 19.6, 'totalTax', 1.48, 'totalWithTax', 21.08,
      'totalWithTaxMinor', 2108),
    'createdAt', day || 'T10:00:00.000Z'),
  1960, 148, '[{"bp":550,"base":1680,"tax":92},{"bp":2000,"base":280,"tax":56}]'
FROM (SELECT gen_random_uuid() AS id, i, k, '2026-10-01'::date + (k % 31) AS day
      FROM generate_series(1, $CONTRACTS) i, generate_series(1, $OPS) k) s;
ANALYZE;
SQL
bp_log "seeded in $(bp_elapsed "$t0")"

# The floor: the same invoicing as plain SQL on a copy of the same data, same indexes
# and fill factor, in one transaction: one INSERT … SELECT … GROUP BY of the invoices
# (each with its lines as a JSON document) and one UPDATE of the operations.
"${PSQL[@]}" -d bench_run <<SQL
CREATE TABLE sql_operations (LIKE operations INCLUDING ALL) WITH (fillfactor = 70);
INSERT INTO sql_operations SELECT * FROM operations;
CREATE TABLE sql_invoices (LIKE invoices INCLUDING ALL);
ANALYZE sql_operations;
CHECKPOINT;
SQL
t1="$(bp_now_ms)"
"${PSQL[@]}" -d bench_run <<SQL
BEGIN;
INSERT INTO sql_invoices (invoice_id, invoice_ref, contract_id, contract_ref, period, issue_date,
  due_date, currency, total_with_tax, status, doc)
SELECT gen_random_uuid(), 'SQL-2026-' || lpad((row_number() OVER (ORDER BY contract_id))::text, 6, '0'),
  contract_id, min(contract_ref), '2026-10', '2026-11-01', '2026-12-01', 'EUR', sum(amount),
  'ISSUED', json_build_object('period', '2026-10', 'lines', json_agg(json_build_object(
    'operationId', operation_id, 'orderRef', order_ref, 'operationDate', operation_date,
    'amountWithoutTax', amount_without_tax, 'amountTax', amount_tax, 'amountWithTax', amount,
    'vat', vat) ORDER BY seq), 'totalWithTax', sum(amount))
FROM sql_operations
WHERE status = 'ACCEPTED' AND invoice_ref IS NULL
  AND operation_date BETWEEN '2026-10-01' AND '2026-10-31'
GROUP BY contract_id;
UPDATE sql_operations o SET invoice_ref = i.invoice_ref FROM sql_invoices i
WHERE o.contract_id = i.contract_id AND o.status = 'ACCEPTED' AND o.invoice_ref IS NULL
  AND o.operation_date BETWEEN '2026-10-01' AND '2026-10-31';
COMMIT;
SQL
sql_ms=$(($(bp_now_ms) - t1))
"${PSQL[@]}" -d bench_run -c 'DROP TABLE sql_operations, sql_invoices' -c CHECKPOINT

# First a dry run: the same work in one transaction, rolled back, every invoice in the answer.
t1="$(bp_now_ms)"
curl -fs -X POST "http://127.0.0.1:$BPORT/billing-runs" -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' -d '{"period":"2026-10","dryRun":true}' >"$STATE/dry.json"
dry_ms=$(($(bp_now_ms) - t1))
dry_bytes=$(wc -c <"$STATE/dry.json")
dry_hwm=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
echo 5 >"/proc/$pid/clear_refs" # peak RSS from here on: the real run's

t1="$(bp_now_ms)"
curl -fs -X POST "http://127.0.0.1:$BPORT/billing-runs" -H "Authorization: Bearer $KEY" \
    -H 'Content-Type: application/json' -d '{"period":"2026-10"}' >"$STATE/run.json"
run_ms=$(($(bp_now_ms) - t1))
until [[ "$("${PSQL[@]}" -d bench_run -c 'SELECT count(*) FROM outbox WHERE published_at IS NULL')" == 0 ]]; do
    sleep 0.2
done
published_ms=$(($(bp_now_ms) - t1))
issued=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["invoicesIssued"])' "$STATE/run.json")
events=$("${PSQL[@]}" -d bench_run -c 'SELECT count(*) FROM outbox')

printf '\nbilling run, %s contracts × %s operations (%s cores):\n' "$CONTRACTS" "$OPS" "$(nproc)"
printf '  dry run: %s ms, answer %s MB, billing VmHWM after it %s MB\n' "$dry_ms" \
    "$(awk -v b="$dry_bytes" 'BEGIN {printf "%.1f", b / 1048576}')" "$dry_hwm"
printf '  invoices issued: %s, in %s ms (POST /billing-runs answered)\n' "$issued" "$run_ms"
awk -v n="$issued" -v ms="$run_ms" 'BEGIN {printf "  rate: %.0f invoices/s, %.0f operations/s\n", n * 1000 / ms, n * '"$OPS"' * 1000 / ms}'
awk -v n="$issued" -v ms="$run_ms" -v sql="$sql_ms" 'BEGIN {
    printf "  plain SQL, same invoicing (INSERT … SELECT … GROUP BY + UPDATE): %d ms\n", sql
    printf "  ratio run / plain SQL: %.2f;  per invoice: run %.3f ms, SQL %.3f ms\n",
        ms / sql, ms / n, sql / n}'
printf '  all %s events published to Kafka after %s ms\n' "$events" "$published_ms"
awk '/VmHWM|VmRSS/ {printf "  billing %s %.1f MB\n", $1, $2 / 1024}' "/proc/$pid/status"
"${PSQL[@]}" -d bench_run -c "SELECT '  operations table: ' || pg_size_pretty(pg_total_relation_size('operations'))
  || ', invoices: ' || pg_size_pretty(pg_total_relation_size('invoices'))"
"${PSQL[@]}" -d bench_run -c "SELECT '  PostgreSQL: shared_buffers ' || current_setting('shared_buffers')
  || ', max_wal_size ' || current_setting('max_wal_size') || ', synchronous_commit '
  || current_setting('synchronous_commit') || ', fsync ' || current_setting('fsync')"
