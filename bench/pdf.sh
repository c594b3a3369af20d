#!/usr/bin/env bash
# Boissipay bench: PDF invoices rendered per second on one core (bench/invoice_pdf.c:
# the invoice JSON as billing serves it → bp_invoice_pdf_from_json → the PDF bytes), for
# a typical invoice (12 lines, two VAT rates, one page) and a long one (400 lines, about
# 11 pages). Several runs pinned to one CPU; prints each run and the medians, both per
# second of wall time and per second of the process's CPU time (the honest figure on a
# shared machine). Needs no database or broker. Not a test.
#
#   bench/pdf.sh [RUNS] [SECONDS]      defaults 5 and 3
set -euo pipefail

BP_LOG_TAG="bench"
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
cd "$BP_ROOT"

RUNS="${1:-5}"
SECONDS_PER_RUN="${2:-3}"

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target invoice_pdf >/dev/null

pin=()
if bp_have taskset; then
    pin=(taskset -c 0)
fi

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }

for lines in 12 400; do
    out=()
    for ((i = 1; i <= RUNS; i++)); do
        line="$("${pin[@]}" build/bench/invoice_pdf "$SECONDS_PER_RUN" "$lines")"
        bp_log "run $i: $line"
        out+=("$line")
    done
    wall="$(printf '%s\n' "${out[@]}" | field per_second | median)"
    cpu="$(printf '%s\n' "${out[@]}" | field per_cpu_second | median)"
    bytes="$(printf '%s\n' "${out[0]}" | sed -n 's/.*pdf_bytes=\([0-9]*\).*/\1/p')"
    printf 'invoice of %d lines (%s bytes of PDF): median of %d runs: %s invoices/s (wall), %s invoices/s (CPU time), one core\n' \
        "$lines" "$bytes" "$RUNS" "$wall" "$cpu"
done
