/* Unit tests of mailer_invoice: reading an `invoice.issued` payload
 * (docs/cycle-events.md) — every field the mail needs, the rules that keep
 * mail headers safe (invoiceRef, invoiceEmail, period), amounts (Money objects,
 * or the integer twins of invoices issued before them) that add up, VAT rates
 * as a person reads them, and a precise reason for each
 * refusal (it becomes the dead letter's reason). */
#include "mailer_invoice.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A Money object in euros, as billing writes it. */
#define EUR(amount, minor)                                                                         \
    "{\"amount\": \"" amount "\", \"currency\": \"EUR\", \"minorUnits\": " #minor "}"

/* Two purchases at 5.5 % and 20 %, and a refund. */
static const char
    *const sample =
        "{\"invoiceRef\": \"INV-2026-000042\", \"invoiceId\": "
        "\"6f1c1c70-8d0e-4d52-9b43-0c1d2e3f4a5b\","
        " \"contractId\": \"0b7e6c1e-2f4a-4c55-9d0e-5a1b2c3d4e5f\", \"contractRef\": "
        "\"CTR-ACME-001\","
        " \"customerRef\": \"ACME\", \"period\": \"2026-10\", \"issueDate\": \"2026-11-01\","
        " \"dueDate\": \"2026-12-01\", \"currency\": \"EUR\","
        " \"totalWithoutTax\": " EUR("17.60", 1760) ", \"totalTax\": " EUR(
            "1.36",
            136) ","
                 " \"totalWithTax\": " EUR(
                     "18.96",
                     1896) ","
                           " \"vatBreakdown\": [{\"vatRate\": 5.5, \"base\": " EUR(
                               "16.80",
                               1680) ","
                                     "                     \"tax\": " EUR(
                                         "0.92",
                                         92) "},"
                                             "                    {\"vatRate\": 20, \"base\": " EUR("0.80", 80) ", \"tax\": " EUR(
                                                 "0.44",
                                                 44) "}],"
                                                     " \"lines\": ["
                                                     "  {\"operationId\": \"a\", \"orderRef\": "
                                                     "\"ORD-1\", \"operationType\": \"PURCHASE\","
                                                     "   \"operationDate\": \"2026-10-12\", "
                                                     "\"amountWithoutTax\": " EUR(
                                                         "19.60",
                                                         1960) ","
                                                               "   \"amountTax\": " EUR("1.48", 148) ", \"amountWithTax\": " EUR(
                                                                   "21.08",
                                                                   2108) "},"
                                                                         "  {\"operationId\": "
                                                                         "\"b\", \"orderRef\": "
                                                                         "\"ORD-2\", "
                                                                         "\"operationType\": "
                                                                         "\"PURCHASE\","
                                                                         "   \"operationDate\": "
                                                                         "\"2026-10-13\", "
                                                                         "\"amountWithoutTax\":"
                                                                         " " EUR(
                                                                             "1.00",
                                                                             100) ","
                                                                                  "   "
                                                                                  "\"amountTax\":"
                                                                                  " " EUR("0.20", 20) ", \"amountWithTax\": " EUR(
                                                                                      "1.20",
                                                                                      120) "},"
                                                                                           "  "
                                                                                           "{\"oper"
                                                                                           "ationId"
                                                                                           "\": "
                                                                                           "\"c\", "
                                                                                           "\"order"
                                                                                           "Ref\": "
                                                                                           "\"ORD-"
                                                                                           "1\", "
                                                                                           "\"opera"
                                                                                           "tionTyp"
                                                                                           "e\": "
                                                                                           "\"REFUN"
                                                                                           "D\","
                                                                                           "   "
                                                                                           "\"opera"
                                                                                           "tionDat"
                                                                                           "e\": "
                                                                                           "\"2026-"
                                                                                           "10-"
                                                                                           "20\", "
                                                                                           "\"amoun"
                                                                                           "tWithou"
                                                                                           "tTax\":"
                                                                                           " " EUR(
                                                                                               "-3."
                                                                                               "00",
                                                                                               -300) ","
                                                                                                     "   \"amountTax\": " EUR("-0.32", -32) ", \"amountWithTax\": " EUR(
                                                                                                         "-3.32",
                                                                                                         -332) "}],"
                                                                                                               " \"invoiceEmail\": \"ap@acme.example\", \"mandateReference\": \"MDT-ACME-001\","
                                                                                                               " \"status\": \"ISSUED\"}";

/* The same invoice as billing issued it before amounts were Money objects:
 * numbers, and their integer twins that are the truth. */
static const char *const legacy_sample =
    "{\"invoiceRef\": \"INV-2026-000042\", \"invoiceId\": \"6f1c1c70-8d0e-4d52-9b43-0c1d2e3f4a5b\","
    " \"contractId\": \"0b7e6c1e-2f4a-4c55-9d0e-5a1b2c3d4e5f\", \"contractRef\": \"CTR-ACME-001\","
    " \"customerRef\": \"ACME\", \"period\": \"2026-10\", \"issueDate\": \"2026-11-01\","
    " \"dueDate\": \"2026-12-01\", \"currency\": \"EUR\","
    " \"totalWithoutTax\": 17.6, \"totalTax\": 1.36, \"totalWithTax\": 18.96,"
    " \"totalWithoutTaxMinor\": 1760, \"totalTaxMinor\": 136, \"totalWithTaxMinor\": 1896,"
    " \"vatBreakdown\": [{\"vatRate\": 5.5, \"baseMinor\": 1680, \"taxMinor\": 92},"
    "                    {\"vatRate\": 20, \"baseMinor\": 80, \"taxMinor\": 44}],"
    " \"lines\": ["
    "  {\"operationId\": \"a\", \"orderRef\": \"ORD-1\", \"operationType\": \"PURCHASE\","
    "   \"operationDate\": \"2026-10-12\", \"amountWithoutTaxMinor\": 1960,"
    "   \"amountTaxMinor\": 148, \"amountWithTaxMinor\": 2108},"
    "  {\"operationId\": \"b\", \"orderRef\": \"ORD-2\", \"operationType\": \"PURCHASE\","
    "   \"operationDate\": \"2026-10-13\", \"amountWithoutTaxMinor\": 100,"
    "   \"amountTaxMinor\": 20, \"amountWithTaxMinor\": 120},"
    "  {\"operationId\": \"c\", \"orderRef\": \"ORD-1\", \"operationType\": \"REFUND\","
    "   \"operationDate\": \"2026-10-20\", \"amountWithoutTaxMinor\": -300,"
    "   \"amountTaxMinor\": -32, \"amountWithTaxMinor\": -332}],"
    " \"invoiceEmail\": \"ap@acme.example\", \"mandateReference\": \"MDT-ACME-001\","
    " \"status\": \"ISSUED\"}";

static json_t *load(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
    if (j == NULL)
        fail_msg("test JSON does not parse: %s", err.text);
    return j;
}

/* Parses the sample with `member` set to `value` (JSON text; NULL removes it)
 * and expects a refusal whose reason contains `expect`. */
static void refused(const char *member, const char *value, const char *expect)
{
    json_t *data = load(sample);
    if (value == NULL)
        json_object_del(data, member);
    else
        json_object_set_new(data, member, load(value));
    ml_invoice inv;
    char reason[300] = "";
    bool ok = ml_invoice_parse(data, &inv, reason, sizeof reason);
    if (ok)
        fail_msg("%s=%s was accepted", member, value ? value : "(absent)");
    if (strstr(reason, expect) == NULL)
        fail_msg("%s=%s: reason '%s' lacks '%s'", member, value ? value : "(absent)", reason,
                 expect);
    json_decref(data);
}

static void test_reads_every_field(void **state)
{
    json_t *data = load(sample);
    ml_invoice inv;
    char reason[300] = "";
    assert_true(ml_invoice_parse(data, &inv, reason, sizeof reason));
    json_decref(data); /* the invoice keeps its own reference */
    assert_string_equal(inv.invoice_ref, "INV-2026-000042");
    assert_string_equal(inv.contract_id, "0b7e6c1e-2f4a-4c55-9d0e-5a1b2c3d4e5f");
    assert_string_equal(inv.contract_ref, "CTR-ACME-001");
    assert_string_equal(inv.customer_ref, "ACME");
    assert_string_equal(inv.invoice_email, "ap@acme.example");
    assert_string_equal(inv.mandate_ref, "MDT-ACME-001");
    assert_string_equal(inv.period, "2026-10");
    assert_string_equal(inv.issue_date, "2026-11-01");
    assert_string_equal(inv.due_date, "2026-12-01");
    assert_string_equal(inv.currency, "EUR");
    assert_int_equal(inv.exponent, 2);
    assert_int_equal(inv.total_without_tax, 1760);
    assert_int_equal(inv.total_tax, 136);
    assert_int_equal(inv.total_with_tax, 1896);
    assert_int_equal(inv.nlines, 3);
    assert_string_equal(inv.lines[2].operation_type, "REFUND");
    assert_string_equal(inv.lines[2].order_ref, "ORD-1");
    assert_int_equal(inv.lines[2].with_tax, -332);
    assert_int_equal(inv.nvat, 2);
    assert_string_equal(inv.vat[0].rate, "5.5");
    assert_string_equal(inv.vat[1].rate, "20");
    assert_int_equal(inv.vat[0].tax, 92);
    ml_invoice_free(&inv);
}

static void test_optional_fields(void **state)
{
    json_t *data = load(sample);
    json_object_del(data, "mandateReference");
    json_object_del(data, "customerRef");
    json_object_del(data, "contractRef");
    json_object_del(data, "invoiceId");
    json_object_set_new(data, "vatBreakdown", json_array());
    json_t *line = json_array_get(json_object_get(data, "lines"), 0);
    json_object_del(line, "orderRef");
    json_object_del(line, "operationDate");
    ml_invoice inv;
    char reason[300] = "";
    assert_true(ml_invoice_parse(data, &inv, reason, sizeof reason));
    assert_null(inv.mandate_ref);
    assert_null(inv.customer_ref);
    assert_string_equal(inv.lines[0].order_ref, "");
    assert_string_equal(inv.lines[0].operation_date, "");
    assert_int_equal(inv.nvat, 0);
    ml_invoice_free(&inv);
    json_decref(data);
}

static void test_vat_rates(void **state)
{
    static const struct {
        const char *json, *text;
    } cases[] = {
        {"7.7", "7.7"}, {"\"7.70\"", "7.7"}, {"0", "0"}, {"2.125", "2.125"}, {"10.0", "10"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *data = load(sample);
        json_t *vat = json_array_get(json_object_get(data, "vatBreakdown"), 0);
        json_object_set_new(vat, "vatRate", load(cases[i].json));
        ml_invoice inv;
        char reason[300] = "";
        assert_true(ml_invoice_parse(data, &inv, reason, sizeof reason));
        assert_string_equal(inv.vat[0].rate, cases[i].text);
        ml_invoice_free(&inv);
        json_decref(data);
    }
    json_t *data = load(sample);
    json_object_set_new(json_array_get(json_object_get(data, "vatBreakdown"), 1), "vatRate",
                        json_string("abc"));
    ml_invoice inv;
    char reason[300] = "";
    assert_false(ml_invoice_parse(data, &inv, reason, sizeof reason));
    assert_non_null(strstr(reason, "data.vatBreakdown[1].vatRate"));
    json_decref(data);
}

static void test_required_fields(void **state)
{
    refused("invoiceRef", NULL, "data.invoiceRef is missing");
    refused("invoiceEmail", NULL, "data.invoiceEmail is missing");
    refused("lines", NULL, "data.lines must be an array");
    refused("contractId", NULL, "data.contractId is missing");
    refused("dueDate", NULL, "data.dueDate is missing");
    refused("period", NULL, "data.period is missing");
    refused("currency", NULL, "data.currency is missing");
    refused("vatBreakdown", NULL, "data.vatBreakdown must be an array");
    refused("totalWithTax", NULL, "data.totalWithTax is missing");
    refused("lines", "[]", "data.lines must be an array of 1 to");
    refused("invoiceRef", "42", "data.invoiceRef must be a non-empty string");
    refused("invoiceRef", "\"\"", "data.invoiceRef must be a non-empty string");
    refused("dueDate", "\"2026-02-30\"", "data.dueDate must be a date");
    refused("currency", "\"ZZZ\"", "data.currency is not an ISO 4217");
    refused("totalTax", "1.36", "data.totalTax is not a Money object"); /* a bare number */
    refused("totalTax", "\"1.36\"", "data.totalTax is not a Money object");
    refused("totalTax", EUR("1.360", 136), "data.totalTax has an amount that disagrees");
    refused("totalTax", EUR("1.35", 136), "data.totalTax has an amount that disagrees");
    refused("totalTax", "{\"amount\": \"1.36\", \"currency\": \"USD\", \"minorUnits\": 136}",
            "data.totalTax must be in data.currency EUR");
    refused("totalTax", "{\"amount\": \"1.36\", \"currency\": \"EUR\", \"minorUnits\": \"136\"}",
            "data.totalTax is not a Money object");
}

/* An invoice.issued published before amounts were Money objects, still on the
 * topic: read from its integer twins, to the same invoice. */
static void test_reads_legacy_amounts(void **state)
{
    json_t *now = load(sample), *then = load(legacy_sample);
    ml_invoice a, b;
    char reason[300] = "";
    assert_true(ml_invoice_parse(now, &a, reason, sizeof reason));
    assert_true(ml_invoice_parse(then, &b, reason, sizeof reason));
    assert_int_equal(b.total_with_tax, 1896);
    assert_int_equal(b.total_tax, a.total_tax);
    assert_int_equal(b.total_without_tax, a.total_without_tax);
    for (size_t i = 0; i < a.nlines; i++) {
        assert_int_equal(b.lines[i].without_tax, a.lines[i].without_tax);
        assert_int_equal(b.lines[i].tax, a.lines[i].tax);
        assert_int_equal(b.lines[i].with_tax, a.lines[i].with_tax);
    }
    for (size_t i = 0; i < a.nvat; i++) {
        assert_int_equal(b.vat[i].base, a.vat[i].base);
        assert_int_equal(b.vat[i].tax, a.vat[i].tax);
    }
    ml_invoice_free(&a);
    ml_invoice_free(&b);
    /* the twin is the truth; without it the bare number is not read */
    json_object_del(then, "totalTaxMinor");
    assert_false(ml_invoice_parse(then, &b, reason, sizeof reason));
    assert_string_equal(reason,
                        "data.totalTax is not a Money object {amount, currency, minorUnits}");
    json_decref(now);
    json_decref(then);
}

static void test_header_safety(void **state)
{
    refused("invoiceRef", "\"INV 42\"", "data.invoiceRef may hold only");
    refused("invoiceRef", "\"INV>42@evil\"", "data.invoiceRef may hold only");
    refused("invoiceRef",
            "\"INV-0123456789012345678901234567890123456789012345678901234567890"
            "\"",
            "at most 64");
    refused("invoiceEmail", "\"not-an-address\"", "data.invoiceEmail is not one e-mail address");
    refused("invoiceEmail", "\"ap@acme.example\\r\\nBcc: all@evil.example\"",
            "data.invoiceEmail is not one e-mail address");
    refused("invoiceEmail", "\"a@acme.example, b@acme.example\"", "not one e-mail address");
    refused("invoiceEmail", "\"s\\u00e9bastien@acme.example\"", "not one e-mail address");
    refused("period", "\"2026-10\\r\\nBcc: x@evil.example\"", "data.period must be printable");
    assert_true(ml_invoice_ref_valid("INV-2026_000.42"));
    assert_false(ml_invoice_ref_valid("INV/42"));
    assert_false(ml_invoice_ref_valid(NULL));
}

static void test_amounts_add_up(void **state)
{
    refused("totalWithTax", EUR("18.97", 1897), "totalWithTax is not totalWithoutTax + ");
    /* Totals that agree with each other but not with the lines. */
    json_t *data = load(sample);
    json_object_set_new(data, "totalWithoutTax", load(EUR("17.61", 1761)));
    json_object_set_new(data, "totalWithTax", load(EUR("18.97", 1897)));
    ml_invoice inv;
    char reason[300] = "";
    assert_false(ml_invoice_parse(data, &inv, reason, sizeof reason));
    assert_string_equal(reason, "data totals disagree with the sum of data.lines");
    json_decref(data);
    /* A line whose own amounts disagree. */
    data = load(sample);
    json_t *line = json_array_get(json_object_get(data, "lines"), 1);
    json_object_set_new(line, "amountTax", load(EUR("0.21", 21)));
    assert_false(ml_invoice_parse(data, &inv, reason, sizeof reason));
    assert_non_null(strstr(reason, "data.lines[1].amountWithTax is not"));
    json_decref(data);
    data = load(sample);
    line = json_array_get(json_object_get(data, "lines"), 0);
    json_object_set_new(line, "operationType", json_string("GIFT"));
    assert_false(ml_invoice_parse(data, &inv, reason, sizeof reason));
    assert_string_equal(reason, "data.lines[0].operationType must be PURCHASE or REFUND");
    json_decref(data);
    data = load(sample);
    json_array_set_new(json_object_get(data, "lines"), 0, json_string("x"));
    assert_false(ml_invoice_parse(data, &inv, reason, sizeof reason));
    assert_string_equal(reason, "data.lines[0] must be an object");
    json_decref(data);
}

static void test_not_an_object(void **state)
{
    ml_invoice inv;
    char reason[300] = "";
    json_t *arr = json_array();
    assert_false(ml_invoice_parse(arr, &inv, reason, sizeof reason));
    assert_string_equal(reason, "data is not a JSON object");
    assert_false(ml_invoice_parse(NULL, &inv, reason, sizeof reason));
    json_decref(arr);
    ml_invoice zero = {0};
    ml_invoice_free(&zero); /* safe on a zeroed struct */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_every_field), cmocka_unit_test(test_optional_fields),
        cmocka_unit_test(test_vat_rates),         cmocka_unit_test(test_required_fields),
        cmocka_unit_test(test_header_safety),     cmocka_unit_test(test_amounts_add_up),
        cmocka_unit_test(test_not_an_object),     cmocka_unit_test(test_reads_legacy_amounts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
