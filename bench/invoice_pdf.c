/* Bench: PDF invoices rendered per second on the calling thread (one core), from the
 * invoice JSON as billing serves it (bp_invoice_pdf_from_json: read, lay out, draw,
 * subset the font, write). Run by bench/pdf.sh; prints figures, is not a test.
 *
 *   invoice_pdf [SECONDS] [LINES]     defaults 3 and 12 (a typical month of one account) */
#include "bp_invoice_pdf.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *money(long long minor)
{
    char amount[40];
    snprintf(amount, sizeof amount, "%s%lld.%02lld", minor < 0 ? "-" : "", llabs(minor) / 100,
             llabs(minor) % 100);
    return json_pack("{s:s, s:s, s:I}", "amount", amount, "currency", "EUR", "minorUnits",
                     (json_int_t)minor);
}

/* An invoice of `n` purchases alternating 10 % and 20 % VAT, as billing writes it. */
static json_t *invoice(int n)
{
    json_t *lines = json_array();
    long long base[2] = {0, 0}, tax[2] = {0, 0};
    for (int i = 0; i < n; i++) {
        long long w = 8900 + 1370 * (i % 9), t = w * (i % 2 ? 20 : 10) / 100;
        base[i % 2] += w;
        tax[i % 2] += t;
        char order[40], date[16];
        snprintf(order, sizeof order, "ORD-2026-10-%04d Paris-Lyon", i + 1);
        snprintf(date, sizeof date, "2026-10-%02d", 1 + i % 28);
        json_array_append_new(lines, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "operationId",
                                               "0b7e6c1e-2f4a-4c55-9d0e-5a1b2c3d4e5f", "orderRef",
                                               order, "operationType", "PURCHASE", "operationDate",
                                               date, "amountWithoutTax", money(w), "amountTax",
                                               money(t), "amountWithTax", money(w + t)));
    }
    json_t *vat = json_pack("[{s:f, s:o, s:o}, {s:f, s:o, s:o}]", "vatRate", 10.0, "base",
                            money(base[0]), "tax", money(tax[0]), "vatRate", 20.0, "base",
                            money(base[1]), "tax", money(tax[1]));
    long long w = base[0] + base[1], t = tax[0] + tax[1];
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s, "
                     "s:s, s:s}",
                     "invoiceRef", "INV-2026-000042", "contractRef", "CTR-ACME-001", "customerRef",
                     "ACME Voyages d'affaires SA", "period", "2026-10", "issueDate", "2026-11-01",
                     "dueDate", "2026-12-01", "currency", "EUR", "invoiceId",
                     "6a0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3", "totalWithoutTax", money(w),
                     "totalTax", money(t), "totalWithTax", money(w + t), "vatBreakdown", vat,
                     "lines", lines, "invoiceEmail", "ap@acme.example", "mandateReference",
                     "MDT-ACME-001", "status", "ISSUED");
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 3;
    int n = argc > 2 ? atoi(argv[2]) : 12;
    json_t *inv = invoice(n);
    unsigned char *pdf = NULL;
    size_t len = 0;
    char why[200];
    /* The first one loads the fonts (fontconfig, once per thread): timed apart. */
    double t0 = now_s(CLOCK_MONOTONIC);
    if (bp_invoice_pdf_from_json(inv, &pdf, &len, why, sizeof why) != BP_PDF_OK) {
        fprintf(stderr, "invoice_pdf: %s\n", why);
        return 1;
    }
    double first_ms = (now_s(CLOCK_MONOTONIC) - t0) * 1000;
    size_t bytes = len;
    free(pdf);
    long count = 0;
    double start = now_s(CLOCK_MONOTONIC), cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID), elapsed = 0;
    while (elapsed < seconds) {
        if (bp_invoice_pdf_from_json(inv, &pdf, &len, why, sizeof why) != BP_PDF_OK) {
            fprintf(stderr, "invoice_pdf: %s\n", why);
            return 1;
        }
        free(pdf);
        count++;
        elapsed = now_s(CLOCK_MONOTONIC) - start;
    }
    double cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    printf("lines=%d pdf_bytes=%zu first_ms=%.1f rendered=%ld seconds=%.2f cpu_seconds=%.2f "
           "per_second=%.1f per_cpu_second=%.1f\n",
           n, bytes, first_ms, count, elapsed, cpu, (double)count / elapsed, (double)count / cpu);
    json_decref(inv);
    return 0;
}
