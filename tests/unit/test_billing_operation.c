/* Unit tests of billing_operation: VAT rounding (half away from zero, 128-bit
 * intermediate), reading the identity of POST /operations (contract, type,
 * refundOf, operationAt in Europe/Paris, orderRef, currency) and computing the
 * lines and totals in minor units with every rejection and its field path.
 * Expected shapes follow docs/billing-api.md. */
#include "billing_operation.h"

#include "bp_money.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tu_money.h"

/* The docs example: 2 × 8.40 at 5.5 % + 1 × 2.80 at 20 %, with client amounts. */
static const char *const docs_request =
    "{\"contractRef\": \"CTR-ACME-001\", \"customerRef\": \"ACME\","
    " \"operationAt\": \"2026-11-20\", \"contact\": {\"ccuid\": \"CCU-1\", \"firstName\": \"John\","
    "   \"lastName\": \"DOE\", \"mail\": \"john.doe@acme.com\"},"
    "\"order\": {\"orderRef\": \"ORD-2026-0001\", \"currencyCode\": \"EUR\", \"orderType\": \"PS\","
    "   \"orderItems\": [{\"deliveredOn\": \"2026-11-20\", \"productItems\": ["
    "     {\"productRef\": \"TGV-PARIS-LYON\", \"productLabel\": \"Paris-Lyon\","
    "      \"packaging\": \"PCE\", \"quantity\": 2, \"unitPrice\": 8.40, \"vatRate\": 5.5,"
    "      \"amountWithoutTax\": 16.80, \"amountTax\": 0.92, \"amountWithTax\": 17.72},"
    "     {\"productRef\": \"MEAL\", \"quantity\": 1, \"unitPrice\": 2.80, \"vatRate\": 20,"
    "      \"amountWithoutTax\": 2.80, \"amountTax\": 0.56, \"amountWithTax\": 3.36}]}],"
    "   \"totalWithoutTax\": 19.60, \"totalTax\": 1.48, \"totalWithTax\": 21.08}}";

static const char *const jpy_request =
    "{\"contractId\": \"0b7e6c1e-2f4a-4c55-9d0e-5a1b2c3d4e5f\", \"operationAt\": \"2026-11-20\","
    " \"order\": {\"orderRef\": \"ORD-JP-1\", \"currencyCode\": \"JPY\","
    "   \"orderItems\": [{\"productItems\": [{\"unitPrice\": 840, \"vatRate\": 5.5}]}]}}";

/* Field paths in the docs example's two lines. */
#define ITEM0 "order.orderItems[0]"
#define P0 ITEM0 ".productItems[0]."
#define P1 ITEM0 ".productItems[1]."

static int group_setup(void **state)
{
    setenv("TZ", "Europe/Paris", 1);
    tzset();
    return 0;
}

static json_t *load(const char *text)
{
    json_error_t err;
    json_t *req = json_loads(text, 0, &err);
    if (req == NULL)
        fail_msg("test request does not parse: %s (line %d)", err.text, err.line);
    return req;
}

/* Member at a path like "order.orderItems[0].productItems[1].amountTax"
 * (borrowed), NULL when absent. */
static json_t *get_path(const json_t *root, const char *path)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = (json_t *)root;
    char *save = NULL;
    for (char *seg = strtok_r(buf, ".", &save); seg != NULL && cur != NULL;
         seg = strtok_r(NULL, ".", &save)) {
        char *br = strchr(seg, '[');
        if (br != NULL)
            *br = '\0';
        if (seg[0] != '\0')
            cur = json_object_get(cur, seg);
        while (br != NULL && cur != NULL) {
            char *end;
            cur = json_array_get(cur, strtoul(br + 1, &end, 10));
            br = strchr(end, '[');
        }
    }
    return cur;
}

/* Sets (or deletes, when value is NULL) the member at `path`, whose last part
 * is a name in an object. Takes ownership of value; returns root. */
static json_t *set_path(json_t *root, const char *path, json_t *value)
{
    const char *dot = strrchr(path, '.');
    json_t *obj = root;
    if (dot != NULL) {
        char parent[160];
        snprintf(parent, sizeof parent, "%.*s", (int)(dot - path), path);
        obj = get_path(root, parent);
    }
    if (!json_is_object(obj)) {
        json_decref(value);
        fail_msg("set_path: no object holds %s", path);
    }
    const char *name = dot != NULL ? dot + 1 : path;
    if (value == NULL)
        json_object_del(obj, name);
    else
        json_object_set_new(obj, name, value);
    return root;
}

static const char *sget(const json_t *root, const char *path)
{
    return json_string_value(get_path(root, path));
}

/* The docs request without any client amount (billing computes them all). */
static json_t *docs_without_amounts(void)
{
    json_t *req = load(docs_request);
    static const char *const names[] = {"amountWithoutTax", "amountTax", "amountWithTax"};
    static const char *const totals[] = {"totalWithoutTax", "totalTax", "totalWithTax"};
    for (size_t i = 0; i < 3; i++) {
        json_object_del(get_path(req, ITEM0 ".productItems[0]"), names[i]);
        json_object_del(get_path(req, ITEM0 ".productItems[1]"), names[i]);
        json_object_del(get_path(req, "order"), totals[i]);
    }
    return req;
}

static void head_ok(const json_t *req, bl_operation *op)
{
    bp_verr e = {0};
    if (!bl_operation_parse_head(req, op, &e))
        fail_msg("head refused: %s %s", e.field, e.message);
    assert_false(e.failed);
}

/* Expects the head of req to be refused on `field` with a message containing
 * msg_part (NULL: any); frees req. */
static void head_reject(json_t *req, const char *field, const char *msg_part)
{
    bl_operation op;
    bp_verr e = {0};
    bool ok = bl_operation_parse_head(req, &op, &e);
    json_decref(req);
    if (ok)
        fail_msg("head accepted; expected a rejection on %s", field);
    assert_true(e.failed);
    if (strcmp(e.field, field) != 0 || (msg_part != NULL && strstr(e.message, msg_part) == NULL))
        fail_msg("rejected on '%s' (%s); expected '%s' (%s)", e.field, e.message, field,
                 msg_part ? msg_part : "any message");
}

/* The same after setting `path` in the docs request. */
static void head_reject_with(const char *path, json_t *value, const char *field,
                             const char *msg_part)
{
    head_reject(set_path(load(docs_request), path, value), field, msg_part);
}
#define HEAD_BAD(path, value, msg) head_reject_with(path, value, path, msg)

/* Head and amounts, expecting success; the currency is the order's, else
 * `currency` (the contract's), with `exponent` decimals. Caller frees with done(). */
static void parse_ok(const json_t *req, const char *currency, int exponent, bl_operation *op)
{
    head_ok(req, op);
    bp_verr e = {0};
    if (!bl_operation_parse_amounts(req, op->currency ? op->currency : currency, exponent, op, &e))
        fail_msg("amounts refused: %s %s", e.field, e.message);
    assert_false(e.failed);
    assert_non_null(op->doc);
}

static void done(bl_operation *op, json_t *req)
{
    json_decref(op->doc);
    json_decref(req);
}

/* Head accepted, amounts refused on `field` (message containing msg_part);
 * frees req. */
static void amounts_reject(json_t *req, const char *currency, int exponent, const char *field,
                           const char *msg_part)
{
    bl_operation op;
    head_ok(req, &op);
    bp_verr e = {0};
    bool ok =
        bl_operation_parse_amounts(req, op.currency ? op.currency : currency, exponent, &op, &e);
    if (ok) {
        done(&op, req);
        fail_msg("amounts accepted; expected a rejection on %s", field);
    }
    json_decref(req);
    assert_true(e.failed);
    assert_null(op.doc);
    if (strcmp(e.field, field) != 0 || (msg_part != NULL && strstr(e.message, msg_part) == NULL))
        fail_msg("rejected on '%s' (%s); expected '%s' (%s)", e.field, e.message, field,
                 msg_part ? msg_part : "any message");
}

/* One change to the docs request (with or without client amounts), then an
 * EUR rejection on `field`. */
static void reject_with(bool client_amounts, const char *path, json_t *value, const char *field,
                        const char *msg)
{
    json_t *req = client_amounts ? load(docs_request) : docs_without_amounts();
    amounts_reject(set_path(req, path, value), "EUR", 2, field, msg);
}
#define BAD(path, value, msg) reject_with(false, path, value, path, msg)

/* BAD for each value of a NULL-terminated list. */
static void bad_all(const char *path, const char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    for (json_t *v = va_arg(ap, json_t *); v != NULL; v = va_arg(ap, json_t *))
        BAD(path, v, msg);
    va_end(ap);
}

/* An amount of the document (a Money object with `exponent` decimals). */
static int64_t minor_at(const json_t *doc, const char *path, int exponent)
{
    return tu_money(get_path(doc, path), path, NULL, exponent);
}

/* ---- bl_vat ---------------------------------------------------------------- */

static void test_vat(void **state)
{
    static const struct {
        int64_t base, bp, vat;
    } cases[] = {
        /* 0.462; 16.80 at 5.5 % = 0.924; 0.5 and 1.5 go away from zero */
        {840, 550, 46},
        {1680, 550, 92},
        {280, 2000, 56},
        {1000, 5, 1},
        {1, 5000, 1},
        {1, 4999, 0},
        {3, 5000, 2},
        {10, 1, 0},
        /* zero rate, zero base, 100 % */
        {123456, 0, 0},
        {0, 550, 0},
        {123456, 10000, 123456},
        {1, 10000, 1},
        /* negative bases round away from zero too */
        {-840, 550, -46},
        {-1000, 5, -1},
        {-1, 5000, -1},
        {-1, 4999, 0},
        {-3, 5000, -2},
        {-123456, 10000, -123456},
        /* base × bp overflows 64 bits: exact only with the 128-bit product */
        {BP_MONEY_MAX_MINOR, 10000, BP_MONEY_MAX_MINOR},
        {BP_MONEY_MAX_MINOR, 1999, INT64_C(199900000000000)},
        {INT64_C(922337203685477580), 550, INT64_C(50728546202701267)},
        {INT64_C(1000000000000000001), 5000, INT64_C(500000000000000001)},
        {-INT64_C(1000000000000000001), 5000, -INT64_C(500000000000000001)},
        {INT64_MAX, 10000, INT64_MAX},
        {INT64_MAX, 5000, INT64_C(4611686018427387904)},
        {INT64_MIN, 10000, INT64_MIN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t got = bl_vat(cases[i].base, cases[i].bp);
        if (got != cases[i].vat)
            fail_msg("bl_vat(%lld, %lld) = %lld, expected %lld", (long long)cases[i].base,
                     (long long)cases[i].bp, (long long)got, (long long)cases[i].vat);
    }
    assert_string_equal(bl_op_type_name(BL_PURCHASE), "PURCHASE");
    assert_string_equal(bl_op_type_name(BL_REFUND), "REFUND");
}

/* ---- bl_operation_parse_head ----------------------------------------------- */

static void test_head_docs_example(void **state)
{
    json_t *req = load(docs_request);
    bl_operation op;
    head_ok(req, &op);
    assert_null(op.contract_id);
    assert_string_equal(op.contract_ref, "CTR-ACME-001");
    assert_ptr_equal(op.contract_ref, sget(req, "contractRef")); /* borrowed */
    assert_string_equal(op.order_ref, "ORD-2026-0001");
    assert_string_equal(op.currency, "EUR");
    assert_null(op.refund_of);
    assert_int_equal(op.type, BL_PURCHASE);
    assert_string_equal(op.operation_at, "2026-11-20");
    assert_int_equal(op.operation_date, bp_date_from_ymd(2026, 11, 20));
    assert_int_equal(bp_date_local(op.operation_at_ms), op.operation_date);
    assert_null(op.doc);
    json_decref(req);
}

static void test_head_contract_id_or_ref(void **state)
{
    json_t *req = set_path(load(docs_request), "contractRef", NULL);
    set_path(req, "contractId", json_string("0b7e6c1e-2f4a-4c55-9d0e-5a1b2c3d4e5f"));
    bl_operation op;
    head_ok(req, &op);
    assert_null(op.contract_ref);
    assert_string_equal(op.contract_id, "0b7e6c1e-2f4a-4c55-9d0e-5a1b2c3d4e5f");
    set_path(req, "contractRef", json_string("CTR-ACME-001")); /* both: fine */
    head_ok(req, &op);
    assert_string_equal(op.contract_ref, "CTR-ACME-001");
    assert_non_null(op.contract_id);
    json_decref(req);

    HEAD_BAD("contractRef", NULL, "or contractId is required");
    HEAD_BAD("contractRef", json_null(), "or contractId is required");
    HEAD_BAD("contractRef", json_string(""), NULL);
    HEAD_BAD("contractRef", json_integer(12), "must be a string");
    char long_ref[66];
    memset(long_ref, 'R', 65);
    long_ref[65] = '\0';
    HEAD_BAD("contractRef", json_string(long_ref), NULL);
    HEAD_BAD("contractId", json_string(""), NULL);
}

static void test_head_operation_type(void **state)
{
    json_t *req = load(docs_request);
    bl_operation op;
    head_ok(req, &op); /* absent → PURCHASE */
    assert_int_equal(op.type, BL_PURCHASE);
    set_path(req, "operationType", json_string("PURCHASE"));
    head_ok(req, &op);
    assert_int_equal(op.type, BL_PURCHASE);
    assert_null(op.refund_of);
    set_path(req, "operationType", json_string("REFUND"));
    set_path(req, "refundOf", json_string("ORD-2025-0042"));
    head_ok(req, &op);
    assert_int_equal(op.type, BL_REFUND);
    assert_string_equal(op.refund_of, "ORD-2025-0042");
    json_decref(req);

    head_reject_with("operationType", json_string("REFUND"), "refundOf", "is required");
    HEAD_BAD("operationType", json_string("refund"), NULL);
    HEAD_BAD("operationType", json_string("SALE"), NULL);
    HEAD_BAD("operationType", json_integer(1), NULL);
    HEAD_BAD("refundOf", json_string("ORD-1"), "only allowed on a REFUND"); /* default type */
    head_reject(set_path(set_path(load(docs_request), "operationType", json_string("PURCHASE")),
                         "refundOf", json_string("ORD-1")),
                "refundOf", "only allowed on a REFUND");
    head_reject(set_path(set_path(load(docs_request), "operationType", json_string("REFUND")),
                         "refundOf", json_string("")),
                "refundOf", NULL);
}

static void test_head_operation_at_date(void **state)
{
    static const char *const ok[] = {"2026-11-20", "2028-02-29", "2026-03-29", "2026-10-25"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        json_t *req = set_path(load(docs_request), "operationAt", json_string(ok[i]));
        bl_operation op;
        head_ok(req, &op);
        char date[11];
        bp_date_format(op.operation_date, date, sizeof date);
        assert_string_equal(date, ok[i]);
        assert_string_equal(op.operation_at, ok[i]);
        /* the instant chosen for a date alone lies on that date in Paris */
        assert_int_equal(bp_date_local(op.operation_at_ms), op.operation_date);
        json_decref(req);
    }
    static const char *const bad[] = {"2026-02-29", "2026-13-01", "2026-11-31",  "2026/11/20",
                                      "20-11-2026", "2026-11-2x", "2026-11-20 ", "tomorrow!!"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        HEAD_BAD("operationAt", json_string(bad[i]), "YYYY-MM-DD");
    HEAD_BAD("operationAt", json_string("2026-1-1"), NULL);
    HEAD_BAD("operationAt", NULL, "is required");
    HEAD_BAD("operationAt", json_integer(20261120), "must be a string");
}

/* Regression (billing_operation.c, bl_operation_parse_head): the header promises
 * that a date alone stands for "12:00 local that day", but operation_at_ms is
 * set to 12:00 UTC (d * 86400000 + 12 h). For "2026-11-20" in Europe/Paris the
 * instant should be 2026-11-20T11:00:00Z (1795172400000), it is
 * 2026-11-20T12:00:00Z (1795176000000). The date is still right; the stored
 * operation_at timestamp is one (winter) or two (summer) hours late. */
static void test_head_operation_at_date_is_local_noon(void **state)
{
    json_t *req = load(docs_request);
    bl_operation op;
    head_ok(req, &op);
    int64_t noon_utc = (int64_t)bp_date_from_ymd(2026, 11, 20) * 86400000 + 12 * 3600000;
    assert_int_equal(op.operation_at_ms, noon_utc - 3600000); /* CET = UTC+1 */
    json_decref(req);
}

/* operationAt as an RFC 3339 timestamp, in the process's zone (Europe/Paris). */
static void test_head_operation_at_timestamp(void **state)
{
    static const struct {
        const char *at, *date, *utc; /* as sent, its date in Paris, the instant */
    } cases[] = {
        {"2026-10-31T23:30:00+01:00", "2026-10-31", "2026-10-31T22:30:00.000Z"},
        {"2026-10-31T23:30:00Z", "2026-11-01", "2026-10-31T23:30:00.000Z"}, /* 00:30 local */
        {"2026-10-31T23:30:00z", "2026-11-01", "2026-10-31T23:30:00.000Z"},
        {"2026-10-31T18:30:00-05:00", "2026-11-01", "2026-10-31T23:30:00.000Z"},
        {"2026-03-29T01:30:00Z", "2026-03-29", "2026-03-29T01:30:00.000Z"}, /* DST change day */
        {"2026-03-28T23:30:00Z", "2026-03-29", "2026-03-28T23:30:00.000Z"}, /* 00:30 CET */
        {"2026-03-29T21:30:00Z", "2026-03-29", "2026-03-29T21:30:00.000Z"}, /* 23:30 CEST */
        {"2026-03-29T22:30:00Z", "2026-03-30", "2026-03-29T22:30:00.000Z"}, /* 00:30 CEST */
        {"2026-07-14T21:59:59Z", "2026-07-14", "2026-07-14T21:59:59.000Z"},
        {"2026-07-15T00:00:00+02:00", "2026-07-15", "2026-07-14T22:00:00.000Z"},
        {"2026-10-24T22:30:00Z", "2026-10-25", "2026-10-24T22:30:00.000Z"}, /* 00:30 CEST */
        {"2026-10-25T00:30:00Z", "2026-10-25", "2026-10-25T00:30:00.000Z"}, /* fall-back day */
        {"2026-10-25T23:30:00Z", "2026-10-26", "2026-10-25T23:30:00.000Z"}, /* 00:30 CET */
        {"2026-10-31T23:30:00.250+01:00", "2026-10-31", "2026-10-31T22:30:00.250Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *req = set_path(load(docs_request), "operationAt", json_string(cases[i].at));
        bl_operation op;
        head_ok(req, &op);
        json_decref(req);
        char date[11], utc[32];
        bp_date_format(op.operation_date, date, sizeof date);
        bp_time_format_ms(op.operation_at_ms, utc, sizeof utc);
        if (strcmp(date, cases[i].date) != 0 || strcmp(utc, cases[i].utc) != 0)
            fail_msg("%s: date %s at %s, expected %s at %s", cases[i].at, date, utc, cases[i].date,
                     cases[i].utc);
    }
    static const char *const bad[] = {
        "2026-10-31T23:30:00",  "2026-10-31T23:30:00.5",    /* no offset */
        "2026-10-31T23:30",     "2026-10-31T24:00:00Z",     /* no seconds, no such hour */
        "2026-02-30T10:00:00Z", "2026-10-31T23:30:00+1:00", /* no such day, bad offset */
        "2026-10-31X23:30:00Z", "2026-10-31T23:30:00+01:00x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        HEAD_BAD("operationAt", json_string(bad[i]), "RFC 3339");
}

/* Regression (fuzz_billing_operation): a timestamp whose instant is within the years
 * of a date but whose local date is not (9999-12-31T20:00:00Z is 10000-01-01 at +14:00)
 * was accepted, and its operationDate written truncated ("10000-01-0"). Such a
 * timestamp is refused, at either end of the range. */
static void test_head_operation_at_local_date_in_range(void **state)
{
    static const struct {
        const char *zone, *at;
        bool ok;
    } cases[] = {
        {"Pacific/Kiritimati", "9999-12-31T09:59:59Z", true}, /* 23:59:59 local */
        {"Pacific/Kiritimati", "9999-12-31T20:00:00Z", false},
        {"Pacific/Kiritimati", "9999-12-31T23:59:59.99-12:00", false},
        {"America/New_York", "1900-01-01T06:00:00Z", true}, /* 01:00 local */
        {"America/New_York", "1900-01-01T02:00:00Z", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setenv("TZ", cases[i].zone, 1);
        tzset();
        json_t *req = set_path(load(docs_request), "operationAt", json_string(cases[i].at));
        bl_operation op;
        bp_verr e = {0};
        bool ok = bl_operation_parse_head(req, &op, &e);
        json_decref(req);
        if (ok != cases[i].ok)
            fail_msg("%s in %s: %s", cases[i].at, cases[i].zone, ok ? "accepted" : e.message);
        if (!ok)
            assert_string_equal(e.field, "operationAt");
    }
    setenv("TZ", "Europe/Paris", 1);
    tzset();
}

static void test_head_order_and_currency(void **state)
{
    HEAD_BAD("order", NULL, "is required");
    HEAD_BAD("order", json_string("ORD-1"), "must be an object");
    HEAD_BAD("order.orderRef", NULL, "is required");
    HEAD_BAD("order.orderRef", json_string(""), NULL);
    HEAD_BAD("order.orderRef", json_integer(1), "must be a string");
    char ref[102];
    memset(ref, 'O', 101);
    ref[101] = '\0';
    HEAD_BAD("order.orderRef", json_string(ref), NULL);
    ref[100] = '\0'; /* 100 characters: the maximum */
    json_t *req = set_path(load(docs_request), "order.orderRef", json_string(ref));
    bl_operation op;
    head_ok(req, &op);
    assert_int_equal(strlen(op.order_ref), 100);
    set_path(req, "order.currencyCode", NULL);
    head_ok(req, &op);
    assert_null(op.currency); /* the contract's */
    set_path(req, "order.currencyCode", json_string("JPY"));
    head_ok(req, &op);
    assert_string_equal(op.currency, "JPY");
    json_decref(req);

    HEAD_BAD("order.currencyCode", json_string("XYZ"), "ISO 4217");
    HEAD_BAD("order.currencyCode", json_string("eur"), NULL);
    HEAD_BAD("order.currencyCode", json_string("EURO"), NULL);
    HEAD_BAD("order.currencyCode", json_integer(978), NULL);
}

/* ---- bl_operation_parse_amounts -------------------------------------------- */

/* Checks the lines and totals of the docs example. */
static void check_docs_amounts(const bl_operation *op)
{
    assert_int_equal(op->total_without_tax, 1960);
    assert_int_equal(op->total_tax, 148);
    assert_int_equal(op->total_with_tax, 2108);
    const json_t *d = op->doc;
    static const struct {
        const char *path;
        int64_t minor;
    } expect[] = {
        {P0 "unitPrice", 840},        {P0 "amountWithoutTax", 1680},
        {P0 "amountTax", 92},         {P0 "amountWithTax", 1772},
        {P1 "unitPrice", 280},        {P1 "amountWithoutTax", 280},
        {P1 "amountTax", 56},         {P1 "amountWithTax", 336},
        {"order.totalTax", 148},      {"order.totalWithoutTax", 1960},
        {"order.totalWithTax", 2108},
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        if (minor_at(d, expect[i].path, 2) != expect[i].minor)
            fail_msg("%s: expected %lld minor units", expect[i].path, (long long)expect[i].minor);
    }
    assert_string_equal(json_string_value(get_path(d, "order.totalWithTax.amount")), "21.08");
    assert_string_equal(json_string_value(get_path(d, "order.totalWithTax.currency")), "EUR");
    assert_string_equal(json_string_value(get_path(d, P0 "amountTax.amount")), "0.92");
    assert_true(json_real_value(get_path(d, P0 "vatRate")) == 5.5); /* a rate, not an amount */
    assert_true(json_real_value(get_path(d, P1 "vatRate")) == 20);
    assert_null(get_path(d, "order.totalWithTaxMinor")); /* minorUnits is in the object */
    assert_int_equal(json_integer_value(get_path(d, P0 "quantity")), 2);
    assert_int_equal(json_integer_value(get_path(d, P1 "quantity")), 1);
    assert_int_equal(json_array_size(get_path(d, "order.orderItems")), 1);
    assert_int_equal(json_array_size(get_path(d, ITEM0 ".productItems")), 2);
}

static void test_amounts_docs_example_with_client_amounts(void **state)
{
    json_t *req = load(docs_request);
    bl_operation op;
    parse_ok(req, "USD", 2, &op); /* the order's EUR wins over the contract's */
    check_docs_amounts(&op);
    const json_t *d = op.doc;
    assert_string_equal(sget(d, "operationType"), "PURCHASE");
    assert_string_equal(sget(d, "operationAt"), "2026-11-20");
    assert_string_equal(sget(d, "operationDate"), "2026-11-20");
    assert_null(get_path(d, "refundOf"));
    assert_string_equal(sget(d, "customerRef"), "ACME");
    assert_true(json_equal(get_path(d, "contact"), get_path(req, "contact")));
    assert_string_equal(sget(d, "order.orderRef"), "ORD-2026-0001");
    assert_string_equal(sget(d, "order.currencyCode"), "EUR");
    assert_string_equal(sget(d, "order.orderType"), "PS");
    assert_string_equal(sget(d, ITEM0 ".deliveredOn"), "2026-11-20");
    assert_string_equal(sget(d, P0 "productRef"), "TGV-PARIS-LYON");
    assert_string_equal(sget(d, P0 "productLabel"), "Paris-Lyon");
    assert_string_equal(sget(d, P0 "packaging"), "PCE");
    assert_null(get_path(d, P1 "productLabel"));
    done(&op, req);
}

static void test_amounts_docs_example_computed(void **state)
{
    json_t *req = docs_without_amounts();
    static const char *const optional[] = {"order.currencyCode", "order.orderType",
                                           ITEM0 ".deliveredOn", "customerRef", "contact"};
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        set_path(req, optional[i], NULL);
    bl_operation op;
    parse_ok(req, "EUR", 2, &op); /* the contract's currency */
    check_docs_amounts(&op);
    assert_string_equal(sget(op.doc, "order.currencyCode"), "EUR");
    for (size_t i = 1; i < sizeof optional / sizeof optional[0]; i++)
        assert_null(get_path(op.doc, optional[i]));
    done(&op, req);
}

static void test_amounts_as_strings(void **state)
{
    json_t *req = load(docs_request);
    set_path(req, P0 "unitPrice", json_string("8.40"));
    set_path(req, P0 "vatRate", json_string("5.50"));
    set_path(req, P0 "amountTax", json_string("0.92"));
    set_path(req, P1 "unitPrice", json_string("2.8"));
    set_path(req, P1 "vatRate", json_string("20"));
    set_path(req, P1 "amountWithTax", json_string("3.36"));
    set_path(req, "order.totalWithoutTax", json_string("19.6"));
    set_path(req, "order.totalWithTax", json_string("21.08"));
    bl_operation op;
    parse_ok(req, "EUR", 2, &op);
    check_docs_amounts(&op);
    /* strings or numbers in, one Money object out */
    assert_true(json_is_object(get_path(op.doc, "order.totalWithTax")));
    done(&op, req);
}

/* Every client amount that disagrees names its exact field. */
static void test_amounts_disagree(void **state)
{
    static const struct {
        const char *path;
        double wrong;
        const char *computed;
    } cases[] = {
        {P0 "amountWithoutTax", 16.81, "16.80"},
        {P0 "amountTax", 0.93, "0.92"},
        {P0 "amountWithTax", 17.73, "17.72"},
        {P1 "amountWithoutTax", 2.79, "2.80"},
        {P1 "amountTax", 0.57, "0.56"},
        {P1 "amountWithTax", 0, "3.36"},
        {"order.totalWithoutTax", 19.61, "19.60"},
        {"order.totalTax", 1.47, "1.48"},
        {"order.totalWithTax", 21.07, "21.08"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char msg[64];
        snprintf(msg, sizeof msg, "disagrees with the computed amount %s", cases[i].computed);
        reject_with(true, cases[i].path, json_real(cases[i].wrong), cases[i].path, msg);
        reject_with(false, cases[i].path, json_real(cases[i].wrong), cases[i].path, msg);
    }
    /* the unrounded VAT (16.80 × 5.5 % = 0.924) is not the amount */
    reject_with(true, P0 "amountTax", json_string("0.924"), P0 "amountTax", NULL);
    /* malformed client amounts are named too */
    reject_with(true, P1 "amountTax", json_string("-0.56"), P1 "amountTax", NULL);
    reject_with(true, "order.totalWithTax", json_true(), "order.totalWithTax", NULL);
    reject_with(true, "order.totalTax", json_string("1,48"), "order.totalTax", NULL);
    /* a null client amount counts as absent */
    json_t *req = set_path(load(docs_request), "order.totalTax", json_null());
    bl_operation op;
    parse_ok(req, "EUR", 2, &op);
    assert_int_equal(op.total_tax, 148);
    done(&op, req);
}

static void test_amounts_quantity(void **state)
{
    json_t *req = set_path(docs_without_amounts(), P0 "quantity", NULL); /* default 1 */
    bl_operation op;
    parse_ok(req, "EUR", 2, &op);
    assert_int_equal(op.total_without_tax, 840 + 280);
    assert_int_equal(op.total_tax, 46 + 56);
    assert_int_equal(json_integer_value(get_path(op.doc, P0 "quantity")), 1);
    json_decref(op.doc);
    set_path(req, P0 "quantity", json_integer(BL_MAX_QUANTITY));
    set_path(req, P0 "unitPrice", json_string("0.01"));
    parse_ok(req, "EUR", 2, &op);
    assert_int_equal(minor_at(op.doc, P0 "amountWithoutTax", 2), 1000000);
    done(&op, req);

    bad_all(P0 "quantity", "between 1 and 1000000", json_integer(0), json_integer(-2),
            json_integer(BL_MAX_QUANTITY + 1), NULL);
    bad_all(P0 "quantity", "must be an integer", json_real(2.5), json_real(2.0), json_string("2"),
            NULL);
}

static void test_amounts_unit_price(void **state)
{
    BAD(P1 "unitPrice", NULL, "is required");
    BAD(P1 "unitPrice", json_null(), "is required");
    /* negative, more decimals than EUR has, not a number, beyond 10^15 minor units */
    bad_all(P1 "unitPrice", NULL, json_real(-2.80), json_string("-0.01"), json_string("2.805"),
            json_real(2.805), json_string("2.8O"), json_string(""), json_true(),
            json_string("10000000000000.01"), NULL);

    /* a free line is fine while the order's total is positive */
    json_t *req = set_path(docs_without_amounts(), P1 "unitPrice", json_integer(0));
    bl_operation op;
    parse_ok(req, "EUR", 2, &op);
    assert_int_equal(op.total_with_tax, 1772);
    json_decref(op.doc);
    /* trailing zeros beyond the currency's decimals are harmless */
    set_path(req, P1 "unitPrice", json_string("2.800"));
    parse_ok(req, "EUR", 2, &op);
    assert_int_equal(op.total_with_tax, 2108);
    done(&op, req);
}

static void test_amounts_vat_rate(void **state)
{
    BAD(P0 "vatRate", NULL, "is required");
    BAD(P0 "vatRate", json_null(), "is required");
    bad_all(P0 "vatRate", "percentage from 0 to 100", json_real(-5.5), json_real(100.01),
            json_integer(101), json_string("5,5"), json_false(), NULL);
    bad_all(P0 "vatRate", "at most 2 decimals", json_real(5.555), json_string("5.555"), NULL);

    static const struct {
        const char *rate;
        int64_t tax; /* the VAT of the 16.80 line */
    } ok[] = {{"0", 0},
              {"100", 1680},
              {"100.00", 1680},
              {"19.6", 329} /* 3.2928 */,
              {"0.01", 0} /* 0.00168 */,
              {"2.1", 35} /* 0.3528 */};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        json_t *req = set_path(docs_without_amounts(), P0 "vatRate", json_string(ok[i].rate));
        bl_operation op;
        parse_ok(req, "EUR", 2, &op);
        assert_int_equal(minor_at(op.doc, P0 "amountTax", 2), ok[i].tax);
        assert_int_equal(op.total_tax, ok[i].tax + 56);
        done(&op, req);
    }
}

static void test_amounts_structure(void **state)
{
    const char *items = "order.orderItems", *products = ITEM0 ".productItems";
    BAD(items, NULL, "non-empty array");
    BAD(items, json_array(), "non-empty array");
    BAD(items, json_object(), "non-empty array");
    reject_with(false, items, json_pack("[s]", "item"), ITEM0, "must be an object");
    reject_with(false, items, json_pack("[{}]"), products, "non-empty array");
    BAD(products, json_array(), "non-empty array");
    BAD(products, json_pack("{}"), "non-empty array");
    reject_with(false, products, json_pack("[i]", 1), ITEM0 ".productItems[0]",
                "must be an object");
    BAD(ITEM0 ".deliveredOn", json_string("2026-11-31"), NULL);
    BAD(P1 "productLabel", json_integer(3), "must be a string");
    char text[202];
    memset(text, 'x', 201);
    text[201] = '\0';
    BAD(P0 "productRef", json_string(text), NULL);

    /* a second order item: its errors carry its own index */
    json_t *req = docs_without_amounts();
    json_array_append_new(get_path(req, items),
                          json_pack("{s:[{s:s, s:f}, {s:i}]}", "productItems", "unitPrice", "1.00",
                                    "vatRate", 10.0, "unitPrice", 1));
    amounts_reject(req, "EUR", 2, "order.orderItems[1].productItems[1].vatRate", "is required");
    req = docs_without_amounts();
    json_array_append_new(get_path(req, items), json_pack("{s:[{s:s, s:i}]}", "productItems",
                                                          "unitPrice", "1.00", "vatRate", 10));
    bl_operation op;
    parse_ok(req, "EUR", 2, &op);
    assert_int_equal(op.total_without_tax, 1960 + 100);
    assert_int_equal(op.total_tax, 148 + 10);
    assert_int_equal(json_array_size(get_path(op.doc, items)), 2);
    done(&op, req);
}

static void test_amounts_item_count(void **state)
{
    json_t *items = json_array();
    for (int i = 0; i < 1000; i++)
        json_array_append_new(items, json_pack("{s:[{s:s, s:i}]}", "productItems", "unitPrice",
                                               "0.01", "vatRate", 0));
    json_t *req = set_path(docs_without_amounts(), "order.orderItems", items);
    bl_operation op;
    parse_ok(req, "EUR", 2, &op);
    assert_int_equal(op.total_with_tax, 1000);
    json_decref(op.doc);
    json_array_append_new(
        items, json_pack("{s:[{s:s, s:i}]}", "productItems", "unitPrice", "0.01", "vatRate", 0));
    amounts_reject(req, "EUR", 2, "order.orderItems", "more than 1000");
}

static void test_amounts_total_zero(void **state)
{
    json_t *req = set_path(docs_without_amounts(), P0 "unitPrice", json_integer(0));
    set_path(req, P1 "unitPrice", json_string("0.00"));
    amounts_reject(req, "EUR", 2, "order.totalWithTax", "greater than zero");
    /* the smallest positive total */
    req = set_path(docs_without_amounts(), ITEM0 ".productItems",
                   json_pack("[{s:s, s:i}]", "unitPrice", "0.01", "vatRate", 0));
    bl_operation op;
    parse_ok(req, "EUR", 2, &op);
    assert_int_equal(op.total_with_tax, 1);
    done(&op, req);
}

static void test_amounts_order_type_and_extras(void **state)
{
    static const char *const types[] = {"LB", "PS", "LBPS"};
    for (size_t i = 0; i < 3; i++) {
        json_t *req = set_path(load(docs_request), "order.orderType", json_string(types[i]));
        bl_operation op;
        parse_ok(req, "EUR", 2, &op);
        assert_string_equal(sget(op.doc, "order.orderType"), types[i]);
        done(&op, req);
    }
    BAD("order.orderType", json_string("XX"), NULL);
    BAD("order.orderType", json_string("ps"), NULL);
    BAD("order.orderType", json_integer(1), NULL);
    BAD("contact", json_string("John"), "must be an object");
    BAD("customerRef", json_integer(1), "must be a string");
}

static void test_amounts_too_large(void **state)
{
    /* 10^13 EUR × 2 is beyond the largest amount */
    json_t *req =
        set_path(docs_without_amounts(), P0 "unitPrice", json_string("10000000000000.00"));
    amounts_reject(req, "EUR", 2, P0 "unitPrice", "too large");
    /* the largest amount at 20 % VAT: the line's total is beyond it */
    req = set_path(docs_without_amounts(), ITEM0 ".productItems",
                   json_pack("[{s:s, s:i}]", "unitPrice", "10000000000000.00", "vatRate", 20));
    amounts_reject(req, "EUR", 2, P0 "amountWithTax", "too large");
    /* two lines that fit alone, not together: the second one is named */
    req = set_path(docs_without_amounts(), ITEM0 ".productItems",
                   json_pack("[{s:s, s:i}, {s:s, s:i}]", "unitPrice", "6000000000000.00", "vatRate",
                             0, "unitPrice", "6000000000000.00", "vatRate", 0));
    amounts_reject(req, "EUR", 2, P1 "amountWithTax", "too large");
}

static void test_amounts_jpy(void **state)
{
    json_t *req = load(jpy_request);
    bl_operation op;
    parse_ok(req, "EUR", 0, &op); /* the order's JPY (the caller passes its exponent 0) */
    assert_int_equal(op.total_without_tax, 840);
    assert_int_equal(op.total_tax, 46); /* 46.2 yen */
    assert_int_equal(op.total_with_tax, 886);
    assert_string_equal(sget(op.doc, "order.currencyCode"), "JPY");
    assert_int_equal(minor_at(op.doc, "order.totalWithTax", 0), 886);
    assert_string_equal(sget(op.doc, "order.totalWithTax.amount"), "886"); /* no decimals */
    assert_string_equal(sget(op.doc, "order.totalWithTax.currency"), "JPY");
    assert_int_equal(minor_at(op.doc, P0 "amountTax", 0), 46);
    json_decref(op.doc);

    /* client amounts in yen */
    set_path(req, P0 "amountTax", json_integer(46));
    set_path(req, "order.totalWithTax", json_string("886"));
    parse_ok(req, "JPY", 0, &op);
    json_decref(op.doc);
    /* half a yen rounds up: 3 × 10 at 5 % = 1.5 */
    set_path(req, ITEM0 ".productItems",
             json_pack("[{s:i, s:i, s:i}]", "unitPrice", 10, "vatRate", 5, "quantity", 3));
    set_path(req, "order.totalWithTax", NULL);
    parse_ok(req, "JPY", 0, &op);
    assert_int_equal(op.total_without_tax, 30);
    assert_int_equal(op.total_tax, 2);
    done(&op, req);

    amounts_reject(set_path(load(jpy_request), P0 "unitPrice", json_real(840.5)), "JPY", 0,
                   P0 "unitPrice", NULL);
    amounts_reject(set_path(load(jpy_request), P0 "amountTax", json_real(46.2)), "JPY", 0,
                   P0 "amountTax", NULL);
    amounts_reject(set_path(load(jpy_request), P0 "amountTax", json_integer(47)), "JPY", 0,
                   P0 "amountTax", "computed amount 46");
    /* the contract's currency when the order names none */
    req = set_path(load(jpy_request), "order.currencyCode", NULL);
    parse_ok(req, "JPY", 0, &op);
    assert_string_equal(sget(op.doc, "order.currencyCode"), "JPY");
    assert_int_equal(op.total_with_tax, 886);
    done(&op, req);
}

static void test_amounts_refund_doc(void **state)
{
    json_t *req = set_path(load(docs_request), "operationType", json_string("REFUND"));
    set_path(req, "refundOf", json_string("ORD-2026-0000"));
    set_path(req, "operationAt", json_string("2026-10-31T23:30:00Z"));
    bl_operation op;
    parse_ok(req, "EUR", 2, &op);
    assert_int_equal(op.type, BL_REFUND);
    assert_string_equal(sget(op.doc, "operationType"), "REFUND");
    assert_string_equal(sget(op.doc, "refundOf"), "ORD-2026-0000");
    assert_string_equal(sget(op.doc, "operationAt"), "2026-10-31T23:30:00Z");
    assert_string_equal(sget(op.doc, "operationDate"), "2026-11-01");
    assert_int_equal(op.total_with_tax, 2108);
    done(&op, req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vat),
        cmocka_unit_test(test_head_docs_example),
        cmocka_unit_test(test_head_contract_id_or_ref),
        cmocka_unit_test(test_head_operation_type),
        cmocka_unit_test(test_head_operation_at_date),
        cmocka_unit_test(test_head_operation_at_date_is_local_noon),
        cmocka_unit_test(test_head_operation_at_timestamp),
        cmocka_unit_test(test_head_operation_at_local_date_in_range),
        cmocka_unit_test(test_head_order_and_currency),
        cmocka_unit_test(test_amounts_docs_example_with_client_amounts),
        cmocka_unit_test(test_amounts_docs_example_computed),
        cmocka_unit_test(test_amounts_as_strings),
        cmocka_unit_test(test_amounts_disagree),
        cmocka_unit_test(test_amounts_quantity),
        cmocka_unit_test(test_amounts_unit_price),
        cmocka_unit_test(test_amounts_vat_rate),
        cmocka_unit_test(test_amounts_structure),
        cmocka_unit_test(test_amounts_item_count),
        cmocka_unit_test(test_amounts_total_zero),
        cmocka_unit_test(test_amounts_order_type_and_extras),
        cmocka_unit_test(test_amounts_too_large),
        cmocka_unit_test(test_amounts_jpy),
        cmocka_unit_test(test_amounts_refund_doc),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
