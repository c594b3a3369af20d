/* Unit tests of billing_invoice: the rendered document (lines by date then
 * arrival, refunds negative, totals, VAT breakdown per rate sorted, optional
 * fields, escaping of what customers typed), the payment request, numbers, and
 * the reading of an operation's stored VAT column. */
#include "billing_invoice.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tu_money.h"

static bl_account account(void)
{
    bl_account a;
    memset(&a, 0, sizeof a);
    snprintf(a.contract_id, sizeof a.contract_id, "0b6c1b7e-2f55-4d1c-9a55-2f1d5bb0c001");
    snprintf(a.contract_ref, sizeof a.contract_ref, "CTR-1");
    snprintf(a.currency, sizeof a.currency, "EUR");
    snprintf(a.invoice_email, sizeof a.invoice_email, "ap@example.com");
    snprintf(a.mandate_ref, sizeof a.mandate_ref, "MDT-1");
    a.has_mandate = true;
    a.payment_term_days = 30;
    return a;
}

static bl_invoice_line line(const char *order, bl_op_type type, const char *date, int64_t seq,
                            int64_t without, int64_t tax, const char *vat)
{
    bl_invoice_line l;
    memset(&l, 0, sizeof l);
    snprintf(l.operation_id, sizeof l.operation_id, "00000000-0000-4000-8000-%012lld",
             (long long)seq);
    snprintf(l.order_ref, sizeof l.order_ref, "%s", order);
    l.type = type;
    bp_date_parse(date, &l.date);
    l.seq = seq;
    l.without = without;
    l.tax = tax;
    l.with = without + tax;
    assert_true(bl_invoice_line_vat(&l, vat));
    return l;
}

static json_t *render(const bl_account *a, bl_invoice_line *lines, size_t n, int64_t *total)
{
    bl_invoice_head h = {.invoice_ref = "INV-2026-000042",
                         .invoice_id = "9d1f4c2a-6a43-4e4b-8f0e-3c1b2a0d9e77",
                         .period = "2026-10",
                         .account = a};
    bp_date_parse("2026-11-01", &h.issue_date);
    h.due_date = h.issue_date + a->payment_term_days;
    char *text = bl_invoice_render(&h, lines, n, total);
    assert_non_null(text);
    json_error_t err;
    json_t *doc = json_loads(text, 0, &err);
    if (doc == NULL)
        fail_msg("not JSON (%s): %s", err.text, text);
    free(text);
    return doc;
}

/* The Money object o[k] in euros; its minor units. */
static int64_t eur(const json_t *o, const char *k)
{
    return tu_money(json_object_get(o, k), k, "EUR", 2);
}
static const char *amount_text(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(json_object_get(o, k), "amount"));
}
static double rval(const json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}
static const char *sval(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void test_document(void **state)
{
    (void)state;
    bl_account a = account();
    bl_invoice_line lines[] = {
        line("ORD-\"3\"\\\n", BL_PURCHASE, "2026-10-20", 9, 1000, 200,
             "[{\"bp\":2000,\"base\":1000,\"tax\":200}]"),
        line("ORD-1", BL_PURCHASE, "2026-10-02", 5, 1960, 148,
             "[{\"bp\":550,\"base\":1680,\"tax\":92},{\"bp\":2000,\"base\":280,\"tax\":56}]"),
        line("ORD-1", BL_REFUND, "2026-10-02", 7, 280, 56,
             "[{\"bp\":2000,\"base\":280,\"tax\":56}]"),
    };
    int64_t total = 0;
    json_t *doc = render(&a, lines, 3, &total);
    assert_int_equal(total, 1200 + 2108 - 336);
    assert_string_equal(sval(doc, "invoiceRef"), "INV-2026-000042");
    assert_string_equal(sval(doc, "period"), "2026-10");
    assert_string_equal(sval(doc, "issueDate"), "2026-11-01");
    assert_string_equal(sval(doc, "dueDate"), "2026-12-01");
    assert_string_equal(sval(doc, "status"), "ISSUED");
    assert_string_equal(sval(doc, "mandateReference"), "MDT-1");
    assert_string_equal(sval(doc, "invoiceEmail"), "ap@example.com");
    assert_null(json_object_get(doc, "customerRef"));
    assert_int_equal(eur(doc, "totalWithoutTax"), 1000 + 1960 - 280);
    assert_int_equal(eur(doc, "totalTax"), 200 + 148 - 56);
    assert_int_equal(eur(doc, "totalWithTax"), total);
    assert_string_equal(amount_text(doc, "totalWithTax"), "29.72");
    assert_null(json_object_get(doc, "totalWithTaxMinor")); /* minorUnits is in the object */

    json_t *jl = json_object_get(doc, "lines");
    assert_int_equal(json_array_size(jl), 3);
    /* By date, then by arrival. */
    assert_string_equal(sval(json_array_get(jl, 0), "operationType"), "PURCHASE");
    assert_string_equal(sval(json_array_get(jl, 1), "operationType"), "REFUND");
    assert_int_equal(eur(json_array_get(jl, 1), "amountWithTax"), -336);
    assert_string_equal(amount_text(json_array_get(jl, 1), "amountWithTax"), "-3.36");
    assert_int_equal(eur(json_array_get(jl, 1), "amountWithoutTax"), -280);
    assert_int_equal(eur(json_array_get(jl, 0), "amountTax"), 148);
    assert_string_equal(sval(json_array_get(jl, 2), "orderRef"), "ORD-\"3\"\\\n");
    assert_string_equal(sval(json_array_get(jl, 2), "operationDate"), "2026-10-20");

    json_t *vat = json_object_get(doc, "vatBreakdown");
    assert_int_equal(json_array_size(vat), 2);
    assert_true(rval(json_array_get(vat, 0), "vatRate") == 5.5);
    assert_int_equal(eur(json_array_get(vat, 0), "base"), 1680);
    assert_int_equal(eur(json_array_get(vat, 0), "tax"), 92);
    assert_true(rval(json_array_get(vat, 1), "vatRate") == 20.0);
    assert_int_equal(eur(json_array_get(vat, 1), "base"), 1000 + 280 - 280);
    assert_int_equal(eur(json_array_get(vat, 1), "tax"), 200 + 56 - 56);
    json_decref(doc);
}

static void test_optional_fields_and_exponent(void **state)
{
    (void)state;
    bl_account a = account();
    a.has_mandate = false;
    a.mandate_ref[0] = '\0';
    a.invoice_email[0] = '\0';
    snprintf(a.customer_ref, sizeof a.customer_ref, "CUST-9");
    snprintf(a.currency, sizeof a.currency, "JPY");
    bl_invoice_line l = line("A", BL_PURCHASE, "2026-10-31", 1, 1000, 100, "[]");
    int64_t total = 0;
    json_t *doc = render(&a, &l, 1, &total);
    assert_null(json_object_get(doc, "mandateReference"));
    assert_null(json_object_get(doc, "invoiceEmail"));
    assert_string_equal(sval(doc, "customerRef"), "CUST-9");
    assert_int_equal(tu_money(json_object_get(doc, "totalWithTax"), "totalWithTax", "JPY", 0),
                     1100);
    assert_string_equal(amount_text(doc, "totalWithTax"), "1100"); /* no decimals in yen */
    assert_int_equal(json_array_size(json_object_get(doc, "vatBreakdown")), 0);
    json_decref(doc);
}

static void test_payment_request(void **state)
{
    (void)state;
    bl_account a = account();
    bl_invoice_head h = {
        .invoice_ref = "INV-2026-000042", .invoice_id = "x", .period = "2026-10", .account = &a};
    bp_date_parse("2026-11-01", &h.issue_date);
    h.due_date = h.issue_date + 30;
    json_t *req = bl_invoice_payment_request(&h, 2972);
    assert_string_equal(sval(req, "invoiceRef"), "INV-2026-000042");
    assert_string_equal(sval(req, "contractId"), a.contract_id);
    assert_string_equal(sval(req, "contractRef"), "CTR-1");
    assert_int_equal(eur(req, "amount"), 2972);
    assert_string_equal(amount_text(req, "amount"), "29.72");
    assert_null(json_object_get(req, "amountMinor"));
    assert_string_equal(sval(req, "currency"), "EUR");
    assert_string_equal(sval(req, "dueDate"), "2026-12-01");
    assert_string_equal(sval(req, "mandateReference"), "MDT-1");
    json_decref(req);
}

/* Sixty-five VAT rates on one invoice (each line its own): every rate is in the
 * breakdown, sorted, and the breakdown adds up to the totals. */
static void test_many_rates(void **state)
{
    (void)state;
    enum { N = 65 };
    bl_account a = account();
    bl_invoice_line lines[N];
    for (int i = 0; i < N; i++) {
        char vat[96], order[16], date[11];
        int64_t base = 1000 + i, tax = (base * (i + 1) * 10 + 5000) / 10000;
        snprintf(vat, sizeof vat, "[{\"bp\":%d,\"base\":%lld,\"tax\":%lld}]", (i + 1) * 10,
                 (long long)base, (long long)tax);
        snprintf(order, sizeof order, "ORD-%d", i);
        snprintf(date, sizeof date, "2026-10-%02d", 1 + i % 28);
        lines[N - 1 - i] = line(order, BL_PURCHASE, date, i, base, tax, vat);
    }
    int64_t total = 0;
    json_t *doc = render(&a, lines, N, &total);
    json_t *breakdown = json_object_get(doc, "vatBreakdown");
    assert_int_equal(json_array_size(breakdown), N);
    int64_t base_sum = 0, tax_sum = 0;
    double last = -1;
    size_t i;
    json_t *r;
    json_array_foreach(breakdown, i, r)
    {
        assert_true(rval(r, "vatRate") > last);
        last = rval(r, "vatRate");
        base_sum += eur(r, "base");
        tax_sum += eur(r, "tax");
    }
    assert_int_equal(base_sum, eur(doc, "totalWithoutTax"));
    assert_int_equal(tax_sum, eur(doc, "totalTax"));
    assert_int_equal(total, eur(doc, "totalWithTax"));
    assert_int_equal(json_array_size(json_object_get(doc, "lines")), N);
    json_decref(doc);
}

static void test_vat_column(void **state)
{
    (void)state;
    bl_invoice_line l;
    assert_true(bl_invoice_line_vat(&l, "[]"));
    assert_int_equal(l.nvat, 0);
    assert_true(bl_invoice_line_vat(&l, "[{\"bp\":550,\"base\":1680,\"tax\":92}]"));
    assert_int_equal(l.nvat, 1);
    assert_int_equal(l.vat[0].tax, 92);
    /* Other spellings of the same array. */
    assert_true(bl_invoice_line_vat(&l, "[ {\"tax\": 56, \"bp\": 2000, \"base\": 280} ]"));
    assert_int_equal(l.nvat, 1);
    assert_int_equal(l.vat[0].bp, 2000);
    assert_int_equal(l.vat[0].base, 280);
    /* Not such an array. */
    assert_false(bl_invoice_line_vat(&l, ""));
    assert_false(bl_invoice_line_vat(&l, "{}"));
    assert_false(bl_invoice_line_vat(&l, "[{\"bp\":550,\"base\":1680}]"));
    assert_false(bl_invoice_line_vat(&l, "[{\"bp\":\"550\",\"base\":1,\"tax\":2}]"));
    assert_false(bl_invoice_line_vat(&l, "[{\"bp\":550,\"base\":1680,\"tax\":92}] trailing"));
    assert_false(bl_invoice_line_vat(&l, "[{\"bp\":550,\"base\":99999999999999999999,\"tax\":1}]"));
    char many[2048] = "[";
    for (int i = 0; i <= BL_MAX_VAT_RATES; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many),
                 "%s{\"bp\":%d,\"base\":1,\"tax\":0}", i ? "," : "", i);
    strcat(many, "]");
    assert_false(bl_invoice_line_vat(&l, many));
}

static void test_number(void **state)
{
    (void)state;
    char ref[32];
    bl_invoice_number(2026, 42, ref, sizeof ref);
    assert_string_equal(ref, "INV-2026-000042");
    bl_invoice_number(2027, 1234567, ref, sizeof ref);
    assert_string_equal(ref, "INV-2027-1234567");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document),        cmocka_unit_test(test_optional_fields_and_exponent),
        cmocka_unit_test(test_payment_request), cmocka_unit_test(test_many_rates),
        cmocka_unit_test(test_vat_column),      cmocka_unit_test(test_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
