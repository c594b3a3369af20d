/* Unit tests of bp_invoice_pdf: the PDF parses (pdftotext, pdfinfo) and its text
 * carries the invoice's number, dates, lines, VAT breakdown, totals, the masked
 * mandate and the pre-notification; Greek and Cyrillic names come back out; long
 * invoices break into pages that repeat the table header; the JSON document reads
 * into the same invoice; missing fields are refused; same input, same bytes. */
#include "bp_invoice_pdf.h"
#include "bpt_pdf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Greek and Cyrillic, both in DejaVu Sans. */
#define GREEK_NAME "Ταξιδιωτικό Γραφείο Αθηνών ΑΕ"
#define CYRILLIC_ORDER "Москва–Сочи"

static const bp_invoice_pdf_line sample_lines[] = {
    {"ORD-1", "PURCHASE", "2026-10-12", 1680, 92, 1772},
    {CYRILLIC_ORDER, "PURCHASE", "2026-10-14", 280, 56, 336},
};
static const bp_invoice_pdf_vat sample_vat[] = {{"5.5", 1680, 92}, {"20", 280, 56}};

static bp_invoice_pdf_doc sample(void)
{
    return (bp_invoice_pdf_doc){.invoice_ref = "INV-2026-000042",
                                .contract_ref = "CTR-ACME-001",
                                .customer_ref = GREEK_NAME,
                                .invoice_email = "ap@acme.example",
                                .mandate_ref = "MDT-ACME-001",
                                .period = "2026-10",
                                .issue_date = "2026-11-01",
                                .due_date = "2026-12-01",
                                .currency = "EUR",
                                .exponent = 2,
                                .total_without_tax = 1960,
                                .total_tax = 148,
                                .total_with_tax = 2108,
                                .lines = sample_lines,
                                .nlines = 2,
                                .vat = sample_vat,
                                .nvat = 2};
}

/* The squashed text of the rendered document; fails the test when it does not render. */
static char *render_text(const bp_invoice_pdf_doc *d, size_t *pdf_len)
{
    unsigned char *pdf = NULL;
    size_t len = 0;
    char reason[200] = "";
    bp_pdf_result r = bp_invoice_pdf_render(d, &pdf, &len, reason, sizeof reason);
    if (r != BP_PDF_OK)
        fail_msg("render failed: %s", reason);
    assert_true(len > 1000);
    assert_memory_equal(pdf, "%PDF-", 5);
    char *text = bpt_pdf_text(pdf, len);
    assert_non_null(text);
    if (pdf_len != NULL)
        *pdf_len = len;
    free(pdf);
    return text;
}

static void expect(const char *text, const char *what)
{
    if (strstr(text, what) == NULL)
        fail_msg("the PDF's text lacks \"%s\"; it reads: %s", what, text);
}

static void test_contents(void **state)
{
    bp_invoice_pdf_doc d = sample();
    char *text = render_text(&d, NULL);
    const char *wanted[] = {
        "Boissipay",
        "Deferred payment",
        "INVOICE",
        "INV-2026-000042",
        "Bill to",
        GREEK_NAME,
        "Contract CTR-ACME-001",
        "ap@acme.example",
        "Invoice date 2026-11-01",
        "Billing period 2026-10",
        "Due date 2026-12-01",
        "Direct-debit mandate ********-001",
        "Amounts in EUR",
        "ORD-1",
        CYRILLIC_ORDER,
        "2026-10-14",
        "16.80",
        "0.92",
        "17.72",
        "5.5 %",
        "20 %",
        "Total without tax 19.60 EUR",
        "Total VAT 1.48 EUR",
        "Total with tax 21.08 EUR",
        "21.08 EUR will be collected by SEPA direct debit on 2026-12-01 under mandate "
        "********-001.",
        "page 1"};
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        expect(text, wanted[i]);
    /* The mandate shows masked only. */
    assert_null(strstr(text, "MDT-ACME"));
    free(text);
}

static void test_same_bytes(void **state)
{
    bp_invoice_pdf_doc d = sample();
    unsigned char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    assert_int_equal(bp_invoice_pdf_render(&d, &a, &la, NULL, 0), BP_PDF_OK);
    assert_int_equal(bp_invoice_pdf_render(&d, &b, &lb, NULL, 0), BP_PDF_OK);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
}

static void test_nothing_due(void **state)
{
    bp_invoice_pdf_line refund = {"RF-1", "REFUND", "2026-10-20", -1000, -100, -1100};
    bp_invoice_pdf_vat v = {"10", -1000, -100};
    bp_invoice_pdf_doc d = sample();
    d.lines = &refund;
    d.nlines = 1;
    d.vat = &v;
    d.nvat = 1;
    d.total_without_tax = -1000;
    d.total_tax = -100;
    d.total_with_tax = -1100;
    d.mandate_ref = NULL;
    char *text = render_text(&d, NULL);
    expect(text, "Nothing is due for this period.");
    expect(text, "Total with tax -11.00 EUR");
    expect(text, "REFUND");
    expect(text, "Direct-debit mandate -");
    assert_null(strstr(text, "will be collected"));
    free(text);
}

/* 400 lines: several pages, each continuing the table under its header. */
static void test_pages(void **state)
{
    enum { N = 400 };
    bp_invoice_pdf_line *l = calloc(N, sizeof *l);
    char(*refs)[32] = calloc(N, sizeof *refs);
    for (int i = 0; i < N; i++) {
        snprintf(refs[i], sizeof refs[i], "ORD-%04d", i);
        l[i] = (bp_invoice_pdf_line){refs[i], "PURCHASE", "2026-10-01", 1000, 200, 1200};
    }
    bp_invoice_pdf_vat v = {"20", 1000 * N, 200 * N};
    bp_invoice_pdf_doc d = sample();
    d.lines = l;
    d.nlines = N;
    d.vat = &v;
    d.nvat = 1;
    d.total_without_tax = 1000 * N;
    d.total_tax = 200 * N;
    d.total_with_tax = 1200 * N;
    unsigned char *pdf = NULL;
    size_t len = 0;
    assert_int_equal(bp_invoice_pdf_render(&d, &pdf, &len, NULL, 0), BP_PDF_OK);
    int pages = bpt_pdf_pages(pdf, len);
    assert_true(pages >= 5);
    char *text = bpt_pdf_text(pdf, len);
    assert_non_null(text);
    expect(text, "ORD-0000");
    expect(text, "ORD-0399");
    expect(text, "Invoice INV-2026-000042 (continued)");
    expect(text, "Total with tax 4800.00 EUR");
    char last[64];
    snprintf(last, sizeof last, "page %d", pages);
    expect(text, last);
    /* Every page but the first continues the table under its header again (the last
     * one may hold only the VAT breakdown and the totals). */
    size_t heads = 0, continued = 0;
    for (const char *p = text; (p = strstr(p, "Without tax VAT With tax")) != NULL; p++)
        heads++;
    for (const char *p = text; (p = strstr(p, "(continued)")) != NULL; p++)
        continued++;
    assert_int_equal(continued, pages - 1);
    assert_true(heads >= (size_t)pages - 1);
    free(text);
    free(pdf);
    free(l);
    free(refs);
}

/* Wide values wrap in their cells instead of running over the next. */
static void test_long_values(void **state)
{
    char order[220];
    memset(order, 'X', 200);
    order[200] = '\0';
    bp_invoice_pdf_line big = {
        order, "PURCHASE", "2026-10-01", INT64_C(999999999999999), 0, INT64_C(999999999999999)};
    bp_invoice_pdf_doc d = sample();
    d.lines = &big;
    d.nlines = 1;
    d.nvat = 0;
    d.total_without_tax = d.total_with_tax = big.with_tax;
    d.total_tax = 0;
    char *text = render_text(&d, NULL);
    expect(text, "9999999999999.99 EUR");
    expect(text, "XXXXXXXX");
    free(text);
}

static void test_refuses_incomplete(void **state)
{
    unsigned char *pdf = (unsigned char *)"untouched";
    size_t len = 7;
    char reason[120] = "";
    bp_invoice_pdf_doc d = sample();
    d.due_date = NULL;
    assert_int_equal(bp_invoice_pdf_render(&d, &pdf, &len, reason, sizeof reason), BP_PDF_INVALID);
    assert_string_equal(reason, "dueDate is missing");
    assert_string_equal((char *)pdf, "untouched");
    d = sample();
    d.exponent = 9;
    assert_int_equal(bp_invoice_pdf_render(&d, &pdf, &len, reason, sizeof reason), BP_PDF_INVALID);
    assert_int_equal(bp_invoice_pdf_render(NULL, &pdf, &len, NULL, 0), BP_PDF_INVALID);
}

#define EUR(amount, minor)                                                                         \
    "{\"amount\":\"" amount "\",\"currency\":\"EUR\",\"minorUnits\":" #minor "}"

static const char *const
    invoice_json = "{\"invoiceRef\":\"INV-2026-000007\",\"contractRef\":\"CTR-RU-1\","
                   "\"customerRef\":\"ООО "
                   "Ромашка\",\"period\":\"2026-10\",\"issueDate\":\"2026-11-01\","
                   "\"dueDate\":\"2026-11-01\",\"currency\":\"EUR\","
                   "\"totalWithoutTax\":" EUR("250.00", 25000) ",\"totalTax\":" EUR("25.00", 2500) ",\"totalWithTax\":" EUR("275.00", 27500) ",\"vatBreakdown\":[{\"vatRate\":10.0,\"base\":" EUR(
                       "250.00",
                       25000) ",\"tax\":" EUR("25.00", 2500) "}],\"lines\":[{\"orderRef\":\"ORD-"
                                                             "OCT-"
                                                             "1\","
                                                             "\"operationType\":\"PURCHASE\","
                                                             "\"operationDate\":\"2026-10-15\","
                                                             "\"amountWithoutTax\":" EUR("250.00", 25000) ",\"amountTax\":" EUR(
                                                                 "25.00",
                                                                 2500) ",\"amountWithTax\""
                                                                       ":" EUR("275.00",
                                                                               27500) "}],"
                                                                                      "\"inv"
                                                                                      "oiceE"
                                                                                      "mail"
                                                                                      "\":"
                                                                                      "\"ap@"
                                                                                      "acme."
                                                                                      "examp"
                                                                                      "le\","
                                                                                      "\"man"
                                                                                      "dateR"
                                                                                      "efere"
                                                                                      "nce\""
                                                                                      ":\"MD"
                                                                                      "T-"
                                                                                      "ACME-"
                                                                                      "002\""
                                                                                      ","
                                                                                      "\"sta"
                                                                                      "tus\""
                                                                                      ":\"PA"
                                                                                      "ID\""
                                                                                      "}";

static void test_from_json(void **state)
{
    json_t *inv = json_loads(invoice_json, 0, NULL);
    assert_non_null(inv);
    bp_invoice_pdf_doc d;
    char reason[200] = "";
    if (!bp_invoice_pdf_doc_read(inv, &d, reason, sizeof reason))
        fail_msg("doc_read: %s", reason);
    assert_string_equal(d.invoice_ref, "INV-2026-000007");
    assert_int_equal(d.exponent, 2);
    assert_int_equal(d.total_with_tax, 27500);
    assert_int_equal(d.nlines, 1);
    assert_int_equal(d.lines[0].tax, 2500);
    assert_int_equal(d.nvat, 1);
    assert_string_equal(d.vat[0].rate, "10");
    bp_invoice_pdf_doc_free(&d);

    unsigned char *pdf = NULL;
    size_t len = 0;
    assert_int_equal(bp_invoice_pdf_from_json(inv, &pdf, &len, reason, sizeof reason), BP_PDF_OK);
    char *text = bpt_pdf_text(pdf, len);
    assert_non_null(text);
    expect(text, "ООО Ромашка");
    expect(text, "Total with tax 275.00 EUR");
    expect(text, "10 %");
    expect(text, "under mandate ********-002.");
    free(text);
    free(pdf);

    /* A malformed amount or a missing field is named. */
    json_object_set_new(inv, "totalTax", json_string("25"));
    assert_int_equal(bp_invoice_pdf_from_json(inv, &pdf, &len, reason, sizeof reason),
                     BP_PDF_INVALID);
    assert_non_null(strstr(reason, "totalTax"));
    json_object_del(inv, "issueDate");
    assert_false(bp_invoice_pdf_doc_read(inv, &d, reason, sizeof reason));
    assert_string_equal(reason, "issueDate is missing");
    assert_false(bp_invoice_pdf_doc_read(json_array_get(inv, 0), &d, reason, sizeof reason));
    json_decref(inv);
}

static void test_helpers(void **state)
{
    char buf[64];
    bp_invoice_pdf_mask("MDT-ACME-001", buf, sizeof buf);
    assert_string_equal(buf, "********-001");
    bp_invoice_pdf_mask("ABCD", buf, sizeof buf);
    assert_string_equal(buf, "****");
    bp_invoice_pdf_mask("", buf, sizeof buf);
    assert_string_equal(buf, "");
    bp_invoice_pdf_mask("ΜΑΝΔΑΤΟ-Ω1234", buf, sizeof buf); /* characters, not bytes */
    assert_string_equal(buf, "*********1234");
    bp_invoice_pdf_filename("INV-2026-000042", buf, sizeof buf);
    assert_string_equal(buf, "invoice-INV-2026-000042.pdf");
    assert_true(bp_invoice_pdf_rate_text(5.5, buf, sizeof buf));
    assert_string_equal(buf, "5.5");
    assert_true(bp_invoice_pdf_rate_text(20.0, buf, sizeof buf));
    assert_string_equal(buf, "20");
    assert_true(bp_invoice_pdf_rate_text(0.25, buf, sizeof buf));
    assert_string_equal(buf, "0.25");
    assert_false(bp_invoice_pdf_rate_text(-1, buf, sizeof buf));
    assert_false(bp_invoice_pdf_rate_text(100.5, buf, sizeof buf));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contents),    cmocka_unit_test(test_same_bytes),
        cmocka_unit_test(test_nothing_due), cmocka_unit_test(test_pages),
        cmocka_unit_test(test_long_values), cmocka_unit_test(test_refuses_incomplete),
        cmocka_unit_test(test_from_json),   cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
