#!/usr/bin/env bash
# Boissipay bench: how fast payment and the invoice-mailer drain their topics. Produces
# N payment.requested events (as billing publishes them) and N invoice.issued events (10
# lines each) straight to Kafka, then times until payment has collected them all and
# the mailer has sent them all to a real SMTP server on localhost (tests/support/
# smtp_sink.py). Private PostgreSQL + Kafka on bench ports. Prints figures; not a test.
#
#   bench/drain.sh [N]      default 2000
set -euo pipefail

BP_LOG_TAG="bench"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
cd "$BP_ROOT"

N="${1:-2000}"
STATE="$BP_STACK_DIR/bench-drain"
export BP_TEST_PG_PORT=17432 BP_TEST_KAFKA_PORT=19092 BP_TEST_KAFKA_CONTROLLER_PORT=19093
PPORT=18984
MPORT=18985
SMTP=18986
KEY="bench-key-0123456789abcdef"
PSQL=(psql -qtA -h 127.0.0.1 -p "$BP_TEST_PG_PORT" -U boissipay)

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target boissipay-payment boissipay-invoice-mailer >/dev/null

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    scripts/test-stack.sh down "$STATE" >/dev/null 2>&1 || true
}
trap cleanup EXIT
mkdir -p "$STATE"
scripts/test-stack.sh up "$STATE" >"$BP_STACK_DIR/bench-stack.log" 2>&1 || { cat "$BP_STACK_DIR/bench-stack.log" >&2; exit 1; }
"${PSQL[@]}" -d postgres -c 'CREATE DATABASE bench_payment' -c 'CREATE DATABASE bench_mailer'
rm -rf "$STATE/mail" && mkdir -p "$STATE/mail"
/usr/bin/python3 tests/support/smtp_sink.py --port "$SMTP" --dir "$STATE/mail" \
    >"$STATE/sink.log" 2>&1 &
pids+=($!)
common=(BP_KAFKA_BROKERS="127.0.0.1:$BP_TEST_KAFKA_PORT" BP_API_KEYS="$KEY:rw"
    BP_HTTP_ACCESS_LOG=false BP_LOG_LEVEL=warn)
env "${common[@]}" BP_HTTP_PORT=$PPORT BP_PAYMENT_COLLECT=at-once \
    BP_DATABASE_URL="postgresql://boissipay@127.0.0.1:$BP_TEST_PG_PORT/bench_payment" \
    build/services/payment/boissipay-payment >"$STATE/payment.log" 2>&1 &
pids+=($!)
env "${common[@]}" BP_HTTP_PORT=$MPORT BP_SMTP_URL="smtp://127.0.0.1:$SMTP" \
    BP_DATABASE_URL="postgresql://boissipay@127.0.0.1:$BP_TEST_PG_PORT/bench_mailer" \
    build/services/invoice-mailer/boissipay-invoice-mailer >"$STATE/mailer.log" 2>&1 &
pids+=($!)
bp_wait_http "http://127.0.0.1:$PPORT/ready" 60 && bp_wait_http "http://127.0.0.1:$MPORT/ready" 60

/usr/bin/python3 - "$N" "$STATE" <<'PY'
import json, sys, uuid
n, state = int(sys.argv[1]), sys.argv[2]
with open(f"{state}/payments.txt", "w") as pay, open(f"{state}/invoices.txt", "w") as inv:
    for i in range(1, n + 1):
        ref, cid = f"INV-2026-{i:06d}", str(uuid.uuid4())
        env = {"specversion": "1.0", "source": "/boissipay/billing", "time": "2026-11-01T00:05:00.000Z",
               "subject": ref, "datacontenttype": "application/json"}
        req = dict(env, id=str(uuid.uuid4()), type="payment.requested", data={
            "invoiceRef": ref, "contractId": cid, "contractRef": f"CTR-{i}", "amountMinor": 21080,
            "amount": 210.8, "currency": "EUR", "mandateReference": f"MDT-{i}", "dueDate": "2026-12-01"})
        lines = [{"operationId": str(uuid.uuid4()), "orderRef": f"ORD-{i}-{k}", "operationType": "PURCHASE",
                  "operationDate": "2026-10-15", "amountWithoutTaxMinor": 1960, "amountTaxMinor": 148,
                  "amountWithTaxMinor": 2108, "amountWithoutTax": 19.6, "amountTax": 1.48,
                  "amountWithTax": 21.08} for k in range(10)]
        issued = dict(env, id=str(uuid.uuid4()), type="invoice.issued", data={
            "invoiceRef": ref, "invoiceId": str(uuid.uuid4()), "contractId": cid, "contractRef": f"CTR-{i}",
            "period": "2026-10", "issueDate": "2026-11-01", "dueDate": "2026-12-01", "currency": "EUR",
            "totalWithoutTax": 196.0, "totalTax": 14.8, "totalWithTax": 210.8,
            "totalWithoutTaxMinor": 19600, "totalTaxMinor": 1480, "totalWithTaxMinor": 21080,
            "vatBreakdown": [{"vatRate": 5.5, "base": 168.0, "tax": 9.2, "baseMinor": 16800, "taxMinor": 920},
                             {"vatRate": 20.0, "base": 28.0, "tax": 5.6, "baseMinor": 2800, "taxMinor": 560}],
            "lines": lines, "invoiceEmail": f"ap{i}@example.com", "mandateReference": f"MDT-{i}",
            "status": "ISSUED"})
        pay.write(cid + "|" + json.dumps(req) + "\n")
        inv.write(cid + "|" + json.dumps(issued) + "\n")
PY

count() { "${PSQL[@]}" -d "$1" -c "$2"; }
drain() { # drain NAME TOPIC FILE DB SQL
    local t0
    t0="$(bp_now_ms)"
    kcat -b "127.0.0.1:$BP_TEST_KAFKA_PORT" -t "$2" -P -K '|' -l "$3"
    until [[ "$(count "$4" "$5")" -ge "$N" ]]; do sleep 0.1; done
    local ms=$(($(bp_now_ms) - t0))
    printf '  %-15s %s events drained in %s ms: %s per second\n' "$1" "$N" "$ms" \
        "$(awk -v n="$N" -v ms="$ms" 'BEGIN {printf "%.0f", n * 1000 / ms}')"
}
printf '\ndrain rates (%s cores), %s events each, produced at once:\n' "$(nproc)" "$N"
drain payment payment "$STATE/payments.txt" bench_payment \
    "SELECT count(*) FROM payments WHERE status IN ('SUCCEEDED','FAILED')"
drain invoice-mailer invoice "$STATE/invoices.txt" bench_mailer \
    "SELECT count(*) FROM mails WHERE status = 'SENT'"
printf '  mails stored by the SMTP server: %s\n' "$(find "$STATE/mail" -name 'mail-*.eml' | wc -l)"
