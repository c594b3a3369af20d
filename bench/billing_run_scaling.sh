#!/usr/bin/env bash
# Boissipay bench: does the month-end run cost the same per invoice at any size? Runs
# bench/billing_run.sh at each size (contracts × OPS operations each, default 1,000,
# 10,000 and 50,000 × 100) and prints one line per size: the run, the same invoicing as
# plain SQL on the same data, their ratio, and the time per invoice of each.
# Prints figures; not a test. The 50,000 size seeds 5 million operations (~7 GB).
#
#   bench/billing_run_scaling.sh [OPS] [SIZES...]     defaults 100 and 1000 10000 50000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

OPS="${1:-100}"
shift || true
SIZES=("$@")
((${#SIZES[@]} > 0)) || SIZES=(1000 10000 50000)
mkdir -p .stack
out=".stack/bench-run-scaling.txt"
: >"$out"
for n in "${SIZES[@]}"; do
    bench/billing_run.sh "$n" "$OPS" | tee ".stack/bench-run-$n.txt" |
        awk -v n="$n" '/invoices issued:/ {ms = $5}
            /plain SQL, same invoicing/ {sql = $(NF - 1)}
            /ratio run \/ plain SQL/ {r = $6; gsub(/;/, "", r); pr = $10; ps = $13}
            END {printf "%8d contracts  run %8d ms  SQL %8d ms  ratio %5s  per invoice: run %s ms, SQL %s ms\n",
                 n, ms, sql, r, pr, ps}' >>"$out"
done
printf '\nbilling run against plain SQL, %s operations per contract (%s cores):\n' "$OPS" "$(nproc)"
cat "$out"
