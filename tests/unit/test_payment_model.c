/* Unit tests of payment_model: the payment.requested parser (envelope, every
 * field's rule, optional fields, the amount as a Money object or, published
 * before those, as amountMinor) and the JSON of a
 * payment — the REST resource and the data of payment.succeeded /
 * payment.failed as docs/cycle-events.md shows them. */
#include "payment_model.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define CONTRACT_ID "0b7e6c1e-2f4a-4c55-9d0e-5a1b2c3d4e5f"
#define PAYMENT_ID "5d1c8f5e-8a8b-4a55-b0e1-0a0b0c0d0e0f"

/* The example of docs/cycle-events.md in its envelope. */
static json_t *request(void)
{
    json_t *ev = json_loads(
        "{\"specversion\":\"1.0\",\"id\":\"7f6e1c2a-0000-4000-8000-000000000001\","
        "\"source\":\"/boissipay/billing\",\"type\":\"payment.requested\","
        "\"time\":\"2026-11-01T00:00:00.000Z\",\"subject\":\"INV-2026-000042\","
        "\"datacontenttype\":\"application/json\",\"data\":{"
        "\"invoiceRef\":\"INV-2026-000042\",\"contractId\":\"" CONTRACT_ID "\","
        "\"contractRef\":\"CTR-ACME-001\","
        "\"amount\":{\"amount\":\"21.08\",\"currency\":\"EUR\",\"minorUnits\":2108},\"currency\":"
        "\"EUR\",\"mandateReference\":\"MDT-ACME-001\",\"dueDate\":\"2026-12-01\"}}",
        0, NULL);
    assert_non_null(ev);
    return ev;
}

static json_t *data_of(json_t *ev) { return json_object_get(ev, "data"); }

static void test_parse_valid(void **state)
{
    (void)state;
    json_t *ev = request();
    pm_payment p;
    bp_verr e;
    assert_true(pm_request_parse(ev, &p, &e));
    assert_false(e.failed);
    assert_string_equal(p.invoice_ref, "INV-2026-000042");
    assert_string_equal(p.contract_id, CONTRACT_ID);
    assert_string_equal(p.contract_ref, "CTR-ACME-001");
    assert_int_equal(p.amount_minor, 2108);
    assert_string_equal(p.currency, "EUR");
    assert_string_equal(p.mandate_ref, "MDT-ACME-001");
    assert_string_equal(p.due_date, "2026-12-01");
    assert_string_equal(p.status, "PENDING");
    assert_string_equal(p.request_event_id, "7f6e1c2a-0000-4000-8000-000000000001");
    assert_string_equal(p.payment_id, "");
    json_decref(ev);
}

static void test_parse_optional_fields(void **state)
{
    (void)state;
    json_t *ev = request();
    json_object_del(data_of(ev), "contractRef");
    json_object_set_new(data_of(ev), "mandateReference", json_null()); /* null = absent */
    json_object_del(data_of(ev), "dueDate");
    pm_payment p;
    bp_verr e;
    assert_true(pm_request_parse(ev, &p, &e));
    assert_string_equal(p.contract_ref, "");
    assert_string_equal(p.mandate_ref, "");
    assert_string_equal(p.due_date, "");
    assert_int_equal(p.amount_minor, 2108);
    json_decref(ev);
}

/* Sets data.<name> (or deletes it when value is NULL) and expects the parser
 * to refuse with `field`. */
static void expect_bad(const char *name, json_t *value, const char *field)
{
    json_t *ev = request();
    if (value == NULL)
        json_object_del(data_of(ev), name);
    else
        json_object_set_new(data_of(ev), name, value);
    pm_payment p;
    bp_verr e;
    if (pm_request_parse(ev, &p, &e))
        fail_msg("data.%s: accepted", name);
    assert_true(e.failed);
    assert_string_equal(e.field, field);
    json_decref(ev);
}

/* A request published before amounts were Money objects: amountMinor is read
 * (the bare number beside it never is). */
static void test_parse_legacy_amount(void **state)
{
    (void)state;
    json_t *ev = request();
    json_object_set_new(data_of(ev), "amount", json_real(99.99));
    json_object_set_new(data_of(ev), "amountMinor", json_integer(2108));
    pm_payment p;
    bp_verr e;
    assert_true(pm_request_parse(ev, &p, &e));
    assert_int_equal(p.amount_minor, 2108);
    json_object_del(data_of(ev), "amount");
    assert_true(pm_request_parse(ev, &p, &e));
    assert_int_equal(p.amount_minor, 2108);
    json_decref(ev);
    /* a Money object wins over a stale twin */
    ev = request();
    json_object_set_new(data_of(ev), "amountMinor", json_integer(1));
    assert_true(pm_request_parse(ev, &p, &e));
    assert_int_equal(p.amount_minor, 2108);
    json_decref(ev);
}

static json_t *money(const char *amount, const char *currency, json_int_t minor)
{
    return json_pack("{s:s, s:s, s:I}", "amount", amount, "currency", currency, "minorUnits",
                     minor);
}

static void test_parse_bad_data(void **state)
{
    (void)state;
    expect_bad("invoiceRef", NULL, "data.invoiceRef");
    expect_bad("invoiceRef", json_string(""), "data.invoiceRef");
    expect_bad("invoiceRef", json_integer(42), "data.invoiceRef");
    char long_ref[102];
    memset(long_ref, 'I', 101);
    long_ref[101] = '\0';
    expect_bad("invoiceRef", json_string(long_ref), "data.invoiceRef");
    expect_bad("contractId", NULL, "data.contractId");
    expect_bad("contractId", json_string("CTR-ACME-001"), "data.contractId");
    expect_bad("contractId", json_string("0b7e6c1e-2f4a-4c55-9d0e-5a1b2c3d4e5g"),
               "data.contractId");
    expect_bad("amount", NULL, "data.amount");
    expect_bad("amount", money("0.00", "EUR", 0), "data.amount");
    expect_bad("amount", money("-0.05", "EUR", -5), "data.amount");
    expect_bad("amount", json_real(21.08), "data.amount"); /* a bare number without a twin */
    expect_bad("amount", json_string("21.08"), "data.amount");
    expect_bad("amount", money("21.09", "EUR", 2108), "data.amount");
    expect_bad("amount", money("21.08", "USD", 2108), "data.amount"); /* not data.currency */
    expect_bad("amount", money("10000000000000.01", "EUR", INT64_C(1000000000000001)),
               "data.amount");
    expect_bad("amount", json_pack("{s:s, s:s}", "amount", "21.08", "currency", "EUR"),
               "data.amount");
    expect_bad("currency", NULL, "data.currency");
    expect_bad("currency", json_string("EURO"), "data.currency");
    expect_bad("currency", json_string("XYZ"), "data.currency");
    expect_bad("mandateReference", json_string(""), "data.mandateReference");
    expect_bad("mandateReference", json_integer(1), "data.mandateReference");
    expect_bad("dueDate", json_string("2026-02-30"), "data.dueDate");
    expect_bad("contractRef", json_true(), "data.contractRef");
}

static void test_parse_bad_envelope(void **state)
{
    (void)state;
    pm_payment p;
    bp_verr e;
    json_t *ev = request();
    json_object_set_new(ev, "type", json_string("payment.succeeded"));
    assert_false(pm_request_parse(ev, &p, &e));
    assert_string_equal(e.field, "type");
    json_object_set_new(ev, "type", json_string("payment.requested"));
    json_object_del(ev, "id");
    assert_false(pm_request_parse(ev, &p, &e));
    assert_string_equal(e.field, "event");
    json_object_set_new(ev, "id", json_string("x"));
    json_object_set_new(ev, "data", json_string("not an object"));
    assert_false(pm_request_parse(ev, &p, &e));
    assert_string_equal(e.field, "event");
    json_decref(ev);
    json_t *arr = json_array();
    assert_false(pm_request_parse(arr, &p, &e));
    json_decref(arr);
}

static pm_payment recorded(const char *status)
{
    pm_payment p = {.amount_minor = 2108};
    snprintf(p.payment_id, sizeof p.payment_id, PAYMENT_ID);
    snprintf(p.invoice_ref, sizeof p.invoice_ref, "INV-2026-000042");
    snprintf(p.contract_id, sizeof p.contract_id, CONTRACT_ID);
    snprintf(p.contract_ref, sizeof p.contract_ref, "CTR-ACME-001");
    snprintf(p.currency, sizeof p.currency, "EUR");
    snprintf(p.mandate_ref, sizeof p.mandate_ref, "MDT-ACME-001");
    snprintf(p.due_date, sizeof p.due_date, "2026-12-01");
    snprintf(p.status, sizeof p.status, "%s", status);
    snprintf(p.created_at, sizeof p.created_at, "2026-11-01T00:00:01.000Z");
    if (strcmp(status, "PENDING") != 0)
        snprintf(p.completed_at, sizeof p.completed_at, "2026-12-01T06:00:00.000Z");
    if (strcmp(status, "FAILED") == 0) {
        snprintf(p.reason_code, sizeof p.reason_code, "AM04");
        snprintf(p.reason, sizeof p.reason, "insufficient funds");
    }
    return p;
}

static void expect_json(json_t *got, const char *want_text)
{
    json_t *want = json_loads(want_text, 0, NULL);
    assert_non_null(want);
    char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    if (strcmp(g, w) != 0)
        fail_msg("got  %s\nwant %s", g, w);
    free(g);
    free(w);
    json_decref(want);
    json_decref(got);
}

static void test_event_data(void **state)
{
    (void)state;
    pm_payment ok = recorded("SUCCEEDED");
    assert_string_equal(pm_payment_event_type(&ok), "payment.succeeded");
    expect_json(pm_payment_event_data(&ok),
                "{\"paymentId\":\"" PAYMENT_ID "\",\"invoiceRef\":\"INV-2026-000042\","
                "\"contractId\":\"" CONTRACT_ID
                "\",\"amount\":{\"amount\":\"21.08\",\"currency\":\"EUR\",\"minorUnits\":2108},"
                "\"currency\":\"EUR\",\"mandateReference\":\"MDT-ACME-001\","
                "\"status\":\"SUCCEEDED\",\"collectedAt\":\"2026-12-01T06:00:00.000Z\"}");
    pm_payment ko = recorded("FAILED");
    assert_string_equal(pm_payment_event_type(&ko), "payment.failed");
    expect_json(pm_payment_event_data(&ko),
                "{\"paymentId\":\"" PAYMENT_ID "\",\"invoiceRef\":\"INV-2026-000042\","
                "\"contractId\":\"" CONTRACT_ID
                "\",\"amount\":{\"amount\":\"21.08\",\"currency\":\"EUR\",\"minorUnits\":2108},"
                "\"currency\":\"EUR\",\"mandateReference\":\"MDT-ACME-001\","
                "\"status\":\"FAILED\",\"reasonCode\":\"AM04\",\"reason\":\"insufficient funds\","
                "\"failedAt\":\"2026-12-01T06:00:00.000Z\"}");
    pm_payment pending = recorded("PENDING");
    assert_null(pm_payment_event_type(&pending));
    assert_null(pm_payment_event_data(&pending));
}

static void test_event_data_field_order_and_rendering(void **state)
{
    (void)state;
    pm_payment p = recorded("SUCCEEDED");
    p.mandate_ref[0] = '\0'; /* left out, never null */
    json_t *d = pm_payment_event_data(&p);
    char *text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    assert_string_equal(
        text, "{\"paymentId\":\"" PAYMENT_ID "\","
              "\"invoiceRef\":\"INV-2026-000042\","
              "\"contractId\":\"" CONTRACT_ID "\","
              "\"amount\":{\"amount\":\"21.08\",\"currency\":\"EUR\",\"minorUnits\":2108},"
              "\"currency\":\"EUR\",\"status\":\"SUCCEEDED\","
              "\"collectedAt\":\"2026-12-01T06:00:00.000Z\"}");
    free(text);
    json_decref(d);
    /* Currencies with other exponents: yen (0), dinar (3). */
    snprintf(p.currency, sizeof p.currency, "JPY");
    p.amount_minor = 2108;
    d = pm_payment_event_data(&p);
    text = json_dumps(json_object_get(d, "amount"), JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(text, "{\"amount\":\"2108\",\"currency\":\"JPY\",\"minorUnits\":2108}");
    free(text);
    json_decref(d);
    snprintf(p.currency, sizeof p.currency, "KWD");
    p.amount_minor = 1234567;
    d = pm_payment_event_data(&p);
    text = json_dumps(json_object_get(d, "amount"), JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(text,
                        "{\"amount\":\"1234.567\",\"currency\":\"KWD\",\"minorUnits\":1234567}");
    free(text);
    json_decref(d);
}

static void test_resource(void **state)
{
    (void)state;
    pm_payment ok = recorded("SUCCEEDED");
    expect_json(pm_payment_json(&ok),
                "{\"paymentId\":\"" PAYMENT_ID "\",\"invoiceRef\":\"INV-2026-000042\","
                "\"contractId\":\"" CONTRACT_ID "\",\"contractRef\":\"CTR-ACME-001\","
                "\"amount\":{\"amount\":\"21.08\",\"currency\":\"EUR\",\"minorUnits\":2108},"
                "\"currency\":\"EUR\","
                "\"mandateReference\":\"MDT-ACME-001\",\"dueDate\":\"2026-12-01\","
                "\"status\":\"SUCCEEDED\",\"requestedAt\":\"2026-11-01T00:00:01.000Z\","
                "\"collectedAt\":\"2026-12-01T06:00:00.000Z\"}");
    pm_payment ko = recorded("FAILED");
    json_t *j = pm_payment_json(&ko);
    assert_string_equal(json_string_value(json_object_get(j, "reasonCode")), "AM04");
    assert_string_equal(json_string_value(json_object_get(j, "reason")), "insufficient funds");
    assert_string_equal(json_string_value(json_object_get(j, "failedAt")),
                        "2026-12-01T06:00:00.000Z");
    assert_null(json_object_get(j, "collectedAt"));
    json_decref(j);
    pm_payment pending = recorded("PENDING");
    pending.contract_ref[0] = pending.due_date[0] = '\0';
    j = pm_payment_json(&pending);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "PENDING");
    assert_null(json_object_get(j, "collectedAt"));
    assert_null(json_object_get(j, "failedAt"));
    assert_null(json_object_get(j, "reasonCode"));
    assert_null(json_object_get(j, "contractRef"));
    assert_null(json_object_get(j, "dueDate"));
    json_decref(j);
}

/* A payment being dunned: PENDING with its retries, next date and last code;
 * the retry event's data; one end-to-end id per attempt. */
static void test_dunning(void **state)
{
    (void)state;
    pm_payment p = recorded("PENDING");
    char e2e[PM_REF_MAX + 16];
    pm_payment_end_to_end_id(&p, e2e, sizeof e2e);
    assert_string_equal(e2e, "INV-2026-000042");
    p.retries = 2;
    snprintf(p.next_attempt_on, sizeof p.next_attempt_on, "2026-12-09");
    snprintf(p.last_reason_code, sizeof p.last_reason_code, "AM04");
    snprintf(p.last_reason, sizeof p.last_reason, "insufficient funds");
    pm_payment_end_to_end_id(&p, e2e, sizeof e2e);
    assert_string_equal(e2e, "INV-2026-000042/R2");
    json_t *r = pm_payment_json(&p);
    assert_int_equal(json_integer_value(json_object_get(r, "retries")), 2);
    assert_string_equal(json_string_value(json_object_get(r, "nextAttemptOn")), "2026-12-09");
    assert_string_equal(json_string_value(json_object_get(r, "lastReasonCode")), "AM04");
    assert_null(json_object_get(r, "reasonCode"));
    json_decref(r);
    expect_json(pm_payment_retry_data(&p, false),
                "{\"paymentId\":\"" PAYMENT_ID "\",\"invoiceRef\":\"INV-2026-000042\","
                "\"contractId\":\"" CONTRACT_ID "\",\"amount\":{\"amount\":\"21.08\","
                "\"currency\":\"EUR\",\"minorUnits\":2108},\"currency\":\"EUR\","
                "\"mandateReference\":\"MDT-ACME-001\",\"attempt\":2,\"reasonCode\":\"AM04\","
                "\"reason\":\"insufficient funds\",\"nextAttemptOn\":\"2026-12-09\","
                "\"manual\":false}");
    assert_null(pm_payment_event_type(&p)); /* no result event while dunned */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_optional_fields),
        cmocka_unit_test(test_parse_legacy_amount),
        cmocka_unit_test(test_parse_bad_data),
        cmocka_unit_test(test_parse_bad_envelope),
        cmocka_unit_test(test_event_data),
        cmocka_unit_test(test_event_data_field_order_and_rendering),
        cmocka_unit_test(test_resource),
        cmocka_unit_test(test_dunning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
