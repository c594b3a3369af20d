/* Integration: billing decides from its read model. A contract created on the
 * contract service, then purchases on billing through every rule: accepted;
 * suspended → refused; reactivated → accepted; mandate revoked → refused; new
 * mandate → accepted; dated after expireAt → refused; the credit limit hit
 * exactly; a refund frees room; cancelled → refused. Replays by orderRef and
 * Idempotency-Key, bad input, and the operation events against the schemas. */
#include "billing_fixture.h"
#include "contract_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static blf_stack st;

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_ALL);
    blf_start(&st, "it_billing_flow");
    return 0;
}

static int teardown(void **state)
{
    blf_stop(&st);
    return 0;
}

static void expect_buy(const char *ref, const char *order, const char *amount, const char *date,
                       long status, const char *code)
{
    char got[64];
    long s = blf_buy(st.billing.port, ref, order, amount, date, got);
    if (s != status || strcmp(got, code) != 0)
        fprintf(stderr, "purchase %s of %s: got %ld %s, want %ld %s\n", order, amount, s, got,
                status, code);
    assert_int_equal(s, status);
    assert_string_equal(got, code);
}

/* The value of the series `series` (name and labels) on billing's /metrics; 0 when
 * absent. */
static long series_value(const char *series)
{
    bpt_resp r = bpt_http("GET", st.billing.port, "/metrics", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    long got = 0;
    for (const char *at = strstr(r.body, series); at != NULL; at = strstr(at + 1, series)) {
        if (at[-1] == '\n' && at[strlen(series)] == ' ')
            got = atol(at + strlen(series) + 1);
    }
    bpt_resp_free(&r);
    return got;
}

#define ACCEPTED "bp_billing_purchases_total{outcome=\"accepted\"}"
#define REJECTED "bp_billing_purchases_total{outcome=\"rejected\"}"
#define BY_REASON(code) "bp_billing_purchase_rejections_total{reason=\"" code "\"}"

static void test_every_rule(void **state)
{
    const long accepted = series_value(ACCEPTED), rejected = series_value(REJECTED),
               limit = series_value(BY_REASON("CREDIT_LIMIT_EXCEEDED")),
               expired = series_value(BY_REASON("CONTRACT_EXPIRED"));
    blf_contract(&st, "CTR-FLOW-1", "100.00", NULL);
    expect_buy("CTR-FLOW-1", "O-1", "10.00", NULL, 201, "");
    assert_int_equal(blf_outstanding(&st, "CTR-FLOW-1"), 1000);

    assert_int_equal(blf_change(&st, "CTR-FLOW-1", "POST", "suspend", NULL), 200);
    expect_buy("CTR-FLOW-1", "O-2", "10.00", NULL, 422, "CONTRACT_NOT_ACTIVE");
    assert_int_equal(blf_change(&st, "CTR-FLOW-1", "POST", "reactivate", NULL), 200);
    expect_buy("CTR-FLOW-1", "O-2", "10.00", NULL, 201, "");

    assert_int_equal(blf_change(&st, "CTR-FLOW-1", "POST", "mandate/revoke", NULL), 200);
    expect_buy("CTR-FLOW-1", "O-3", "10.00", NULL, 422, "MANDATE_INVALID");
    assert_int_equal(blf_change(&st, "CTR-FLOW-1", "PUT", "mandate",
                                "{\"reference\":\"MDT-2\",\"iban\":\"DE89370400440532013000\","
                                "\"signedAt\":\"2026-01-01\"}"),
                     200);
    expect_buy("CTR-FLOW-1", "O-3", "10.00", NULL, 201, "");

    char late[11];
    ctf_date(400, late); /* the fixture's contracts expire in 365 days */
    expect_buy("CTR-FLOW-1", "O-LATE", "1.00", late, 422, "CONTRACT_EXPIRED");
    expect_buy("CTR-FLOW-1", "O-EARLY", "1.00", "2026-01-04", 422, "CONTRACT_EXPIRED");

    /* 30.00 spent: 70.00 left. One cent over is refused, exactly the rest is accepted. */
    expect_buy("CTR-FLOW-1", "O-BIG", "70.01", NULL, 422, "CREDIT_LIMIT_EXCEEDED");
    expect_buy("CTR-FLOW-1", "O-BIG", "70.00", NULL, 201, "");
    assert_int_equal(blf_outstanding(&st, "CTR-FLOW-1"), 10000);
    expect_buy("CTR-FLOW-1", "O-CENT", "0.01", NULL, 422, "CREDIT_LIMIT_EXCEEDED");
    /* Each decision counted once, by outcome and reason. */
    assert_int_equal(series_value(ACCEPTED), accepted + 4);
    assert_int_equal(series_value(REJECTED), rejected + 6);
    assert_int_equal(series_value(BY_REASON("CREDIT_LIMIT_EXCEEDED")), limit + 2);
    assert_int_equal(series_value(BY_REASON("CONTRACT_EXPIRED")), expired + 2);

    /* A refund frees room for a new purchase; never beyond the purchase. */
    char *refund = blf_operation("CTR-FLOW-1", "R-1", "25.00", NULL, "O-BIG");
    bpt_resp r = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, refund, NULL);
    assert_int_equal(r.status, 201);
    bpt_resp_free(&r);
    free(refund);
    assert_int_equal(blf_outstanding(&st, "CTR-FLOW-1"), 7500);
    refund = blf_operation("CTR-FLOW-1", "R-2", "45.01", NULL, "O-BIG");
    r = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, refund, NULL);
    assert_int_equal(r.status, 422);
    assert_string_equal(bpt_error_code(&r), "REFUND_EXCEEDS_PURCHASE");
    bpt_resp_free(&r);
    free(refund);
    refund = blf_operation("CTR-FLOW-1", "R-3", "1.00", NULL, "NO-SUCH-ORDER");
    r = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, refund, NULL);
    assert_int_equal(r.status, 422);
    assert_string_equal(bpt_error_code(&r), "REFUND_ORDER_UNKNOWN");
    bpt_resp_free(&r);
    free(refund);
    expect_buy("CTR-FLOW-1", "O-AFTER-REFUND", "25.00", NULL, 201, "");

    assert_int_equal(blf_change(&st, "CTR-FLOW-1", "POST", "cancel", "{\"reason\":\"closed\"}"),
                     200);
    expect_buy("CTR-FLOW-1", "O-CANCELLED", "1.00", NULL, 422, "CONTRACT_NOT_ACTIVE");
    expect_buy("CTR-UNKNOWN", "O-X", "1.00", NULL, 422, "CONTRACT_UNKNOWN");
    assert_int_equal(blf_outstanding(&st, "CTR-FLOW-1"), 10000);

    /* Accepted operations sum to the balance. */
    assert_int_equal(bpt_sql_long(st.billing_db,
                                  "SELECT sum(CASE operation_type WHEN 'PURCHASE' THEN amount"
                                  " ELSE -amount END) FROM operations WHERE status = 'ACCEPTED'"
                                  " AND contract_ref = 'CTR-FLOW-1'"),
                     10000);
}

static void test_replays_and_conflicts(void **state)
{
    blf_contract(&st, "CTR-FLOW-2", "100.00", NULL);
    char *body = blf_operation("CTR-FLOW-2", "DUP-1", "10.00", NULL, NULL);
    bpt_resp a = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, body, NULL);
    bpt_resp b = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, body, NULL);
    assert_int_equal(a.status, 201);
    assert_int_equal(b.status, 201); /* same orderRef, same content: the first answer */
    assert_string_equal(json_string_value(json_object_get(a.json, "operationId")),
                        json_string_value(json_object_get(b.json, "operationId")));
    assert_int_equal(blf_outstanding(&st, "CTR-FLOW-2"), 1000);
    free(body);
    body = blf_operation("CTR-FLOW-2", "DUP-1", "11.00", NULL, NULL);
    bpt_resp c = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, body, NULL);
    assert_int_equal(c.status, 409);
    assert_string_equal(bpt_error_code(&c), "DUPLICATE_ORDER_REF");
    free(body);
    body = blf_operation("CTR-FLOW-2", "IDEM-1", "5.00", NULL, NULL);
    bpt_resp d = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, body,
                          "Idempotency-Key: op-key-1");
    bpt_resp e = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, body,
                          "Idempotency-Key: op-key-1");
    assert_int_equal(d.status, 201);
    assert_int_equal(e.status, 201);
    free(body);
    body = blf_operation("CTR-FLOW-2", "IDEM-2", "5.00", NULL, NULL);
    bpt_resp f = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, body,
                          "Idempotency-Key: op-key-1");
    assert_int_equal(f.status, 409);
    assert_string_equal(bpt_error_code(&f), "IDEMPOTENCY_KEY_REUSED");
    free(body);
    assert_int_equal(blf_outstanding(&st, "CTR-FLOW-2"), 1500);
    /* A refusal under a key is recorded: the retry gets the same 422, not a new decision. */
    body = blf_operation("CTR-FLOW-2", "IDEM-BIG", "500.00", NULL, NULL);
    bpt_resp g = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, body,
                          "Idempotency-Key: op-key-2");
    bpt_resp h = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, body,
                          "Idempotency-Key: op-key-2");
    assert_int_equal(g.status, 422);
    assert_int_equal(h.status, 422);
    assert_string_equal(bpt_error_code(&h), "CREDIT_LIMIT_EXCEEDED");
    assert_string_equal(h.location, "");
    free(body);
    bpt_resp_free(&g);
    bpt_resp_free(&h);
    bpt_resp *all[] = {&a, &b, &c, &d, &e, &f};
    for (size_t i = 0; i < 6; i++)
        bpt_resp_free(all[i]);
}

/* \u0000 is valid JSON: in a member kept as sent (the contact) it is stored, answered,
 * replayed under its Idempotency-Key and read back as sent; in a member billing reads
 * (the orderRef) it is a validation error. */
static void test_nul_escape(void **state)
{
    (void)state;
    blf_contract(&st, "CTR-FLOW-NUL", "100.00", NULL);
    char *text = blf_operation("CTR-FLOW-NUL", "NUL-1", "1.00", NULL, NULL);
    json_t *op = json_loads(text, 0, NULL);
    free(text);
    json_object_set_new(op, "contact", json_pack("{s:s%}", "ccuid", "a\0b", (size_t)3));
    text = json_dumps(op, JSON_COMPACT);
    assert_non_null(strstr(text, "a\\u0000b"));
    bpt_resp a = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, text,
                          "Idempotency-Key: nul-key-1");
    bpt_resp b = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, text,
                          "Idempotency-Key: nul-key-1");
    assert_int_equal(a.status, 201);
    assert_int_equal(b.status, 201);
    assert_non_null(strstr(b.body, "a\\u0000b"));
    char path[256];
    snprintf(path, sizeof path, "/operations/%s",
             json_string_value(json_object_get(a.json, "operationId")));
    bpt_resp c = bpt_http("GET", st.billing.port, path, BPT_READ_KEY, NULL, NULL);
    assert_int_equal(c.status, 200);
    assert_non_null(strstr(c.body, "a\\u0000b"));
    free(text);
    json_object_set_new(json_object_get(op, "order"), "orderRef", json_stringn("N\0UL", 4));
    text = json_dumps(op, JSON_COMPACT);
    bpt_resp d = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, text, NULL);
    assert_int_equal(d.status, 400);
    assert_string_equal(bpt_error_code(&d), "VALIDATION_ERROR");
    free(text);
    json_decref(op);
    bpt_resp *all[] = {&a, &b, &c, &d};
    for (size_t i = 0; i < 4; i++)
        bpt_resp_free(all[i]);
}

typedef struct {
    const char *name, *body;
    long status;
    const char *code, *detail;
} bad_op;

static void test_bad_input(void **state)
{
    blf_contract(&st, "CTR-FLOW-3", "100.00", NULL);
    long before = bpt_sql_long(st.billing_db, "SELECT count(*) FROM operations");
#define OP(items)                                                                                  \
    "{\"contractRef\":\"CTR-FLOW-3\",\"operationAt\":\"2026-11-20\",\"order\":{\"orderRef\":\"B-"  \
    "1\",\"orderItems\":[{\"productItems\":[" items "]}]}}"
    const bad_op cases[] = {
        {"malformed", "{\"order\":", 400, "MALFORMED_JSON", NULL},
        {"no contract", "{\"operationAt\":\"2026-11-20\",\"order\":{\"orderRef\":\"B\"}}", 400,
         "VALIDATION_ERROR", "contractRef"},
        {"bad date", "{\"contractRef\":\"CTR-FLOW-3\",\"operationAt\":\"2026-13-01\",\"order\":{}}",
         400, "VALIDATION_ERROR", "operationAt"},
        {"negative quantity", OP("{\"quantity\":-2,\"unitPrice\":1,\"vatRate\":20}"), 400,
         "VALIDATION_ERROR", "order.orderItems[0].productItems[0].quantity"},
        {"vat out of range", OP("{\"quantity\":1,\"unitPrice\":1,\"vatRate\":120}"), 400,
         "VALIDATION_ERROR", "order.orderItems[0].productItems[0].vatRate"},
        {"negative vat", OP("{\"quantity\":1,\"unitPrice\":1,\"vatRate\":-5}"), 400,
         "VALIDATION_ERROR", "order.orderItems[0].productItems[0].vatRate"},
        {"too many decimals", OP("{\"quantity\":1,\"unitPrice\":1.005,\"vatRate\":20}"), 400,
         "VALIDATION_ERROR", "order.orderItems[0].productItems[0].unitPrice"},
        {"client tax disagrees",
         OP("{\"quantity\":1,\"unitPrice\":2.80,\"vatRate\":20,\"amountTax\":0.59}"), 400,
         "VALIDATION_ERROR", "order.orderItems[0].productItems[0].amountTax"},
        {"client total disagrees",
         "{\"contractRef\":\"CTR-FLOW-3\",\"operationAt\":\"2026-11-20\",\"order\":{\"orderRef\":"
         "\"B-1\",\"orderItems\":[{\"productItems\":[{\"quantity\":2,\"unitPrice\":8.40,"
         "\"vatRate\":5.5}]}],\"totalWithTax\":17.73}}",
         400, "VALIDATION_ERROR", "order.totalWithTax"},
        {"no items",
         "{\"contractRef\":\"CTR-FLOW-3\",\"operationAt\":\"2026-11-20\",\"order\":{"
         "\"orderRef\":\"B-1\",\"orderItems\":[]}}",
         400, "VALIDATION_ERROR", "order.orderItems"},
        {"refund without refundOf",
         "{\"contractRef\":\"CTR-FLOW-3\",\"operationType\":\"REFUND\",\"operationAt\":"
         "\"2026-11-20\",\"order\":{\"orderRef\":\"B-1\"}}",
         400, "VALIDATION_ERROR", "refundOf"},
        {"unknown type", "{\"contractRef\":\"CTR-FLOW-3\",\"operationType\":\"GIFT\"}", 400,
         "VALIDATION_ERROR", "operationType"},
        {"unknown currency",
         "{\"contractRef\":\"CTR-FLOW-3\",\"operationAt\":\"2026-11-20\",\"order\":{\"orderRef\":"
         "\"B-1\",\"currencyCode\":\"EURO\"}}",
         400, "VALIDATION_ERROR", "order.currencyCode"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bpt_resp r =
            bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, cases[i].body, NULL);
        if (r.status != cases[i].status)
            fprintf(stderr, "case %s: %ld %s\n", cases[i].name, r.status, r.body);
        assert_int_equal(r.status, cases[i].status);
        assert_string_equal(bpt_error_code(&r), cases[i].code);
        if (cases[i].detail != NULL)
            assert_string_equal(
                json_string_value(json_object_get(
                    json_array_get(json_object_get(r.json, "errors"), 0), "detail")),
                cases[i].detail);
        bpt_resp_free(&r);
    }
    assert_int_equal(bpt_sql_long(st.billing_db, "SELECT count(*) FROM operations"), before);
    bpt_resp r =
        bpt_http("GET", st.billing.port, "/operations?status=LOST", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 400);
    bpt_resp_free(&r);
    /* Dates before 1900: the message names the years accepted, not only the format. */
    r = bpt_http("GET", st.billing.port, "/operations?to=0229-09-26", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "years 1900 to 9999"));
    bpt_resp_free(&r);
    r = bpt_http("GET", st.billing.port, "/operations/not-an-id", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 404);
    bpt_resp_free(&r);
    r = bpt_http("GET", st.billing.port, "/contracts/CTR-NOBODY/account", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 404);
    bpt_resp_free(&r);
    r = bpt_http("POST", st.billing.port, "/operations", BPT_READ_KEY, "{}", NULL);
    assert_int_equal(r.status, 403);
    bpt_resp_free(&r);
}

static void test_listing(void **state)
{
    bpt_resp r = bpt_http("GET", st.billing.port,
                          "/operations?contractRef=CTR-FLOW-1&status=REJECTED&size=2&page=1",
                          BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *meta = json_object_get(r.json, "metadata");
    assert_true(json_integer_value(json_object_get(meta, "totalItems")) >= 8);
    assert_int_equal(json_array_size(json_object_get(r.json, "operations")), 2);
    /* The earlier API called the list `orders`: both names carry it. */
    assert_true(
        json_equal(json_object_get(r.json, "operations"), json_object_get(r.json, "orders")));
    json_t *first = json_array_get(json_object_get(r.json, "operations"), 0);
    assert_non_null(json_object_get(first, "operationRef"));
    assert_non_null(json_object_get(json_object_get(first, "billing"), "subscriptionRef"));
    assert_string_equal(json_string_value(json_object_get(first, "status")), "REJECTED");
    assert_non_null(json_object_get(first, "rejection"));
    const char *id = json_string_value(json_object_get(first, "operationId"));
    char path[128];
    snprintf(path, sizeof path, "/operations/%s", id);
    bpt_resp one = bpt_http("GET", st.billing.port, path, BPT_READ_KEY, NULL, NULL);
    assert_int_equal(one.status, 200);
    bpt_resp_free(&one);
    bpt_resp_free(&r);
    r = bpt_http("GET", st.billing.port, "/operations?contractRef=CTR-FLOW-1&operationType=REFUND",
                 BPT_READ_KEY, NULL, NULL);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "metadata"), "totalItems")), 3);
    bpt_resp_free(&r);
}

static void test_operation_events(void **state)
{
    for (int i = 0;
         i < 100 &&
         bpt_sql_long(st.billing_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL") > 0;
         i++)
        bpt_sleep_ms(100);
    json_t *events = bpt_consume_all(st.operation_topic, 1500);
    long accepted = bpt_sql_long(st.billing_db, "SELECT count(*) FROM operations");
    assert_int_equal((long)json_array_size(events), accepted);
    char path[600];
    snprintf(path, sizeof path, "%s/operation-events.jsonl", bpt_env("BPT_STATE_DIR"));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    size_t i;
    json_t *m;
    json_array_foreach(events, i, m)
    {
        /* The relay's headers: the structured mode's content type and the type again. */
        json_t *headers = json_object_get(m, "headers");
        if (json_string_value(json_object_get(headers, "ce_type")) == NULL)
            fail_msg("no ce_type header: %s", json_dumps(headers, 0));
        assert_string_equal(
            json_string_value(json_object_get(headers, "ce_type")),
            json_string_value(json_object_get(json_object_get(m, "value"), "type")));
        assert_string_equal(json_string_value(json_object_get(headers, "content-type")),
                            "application/cloudevents+json; charset=UTF-8");
        /* every amount of an operation event is a Money object: its order's totals
         * and each product line's unit price and amounts */
        assert_true(bpt_money_walk(json_object_get(m, "value")) >= 3 + 4);
        char *line =
            json_dumps(json_object_get(m, "value"), JSON_COMPACT | JSON_REAL_PRECISION(15));
        fprintf(f, "%s\n", line);
        free(line);
    }
    fclose(f);
    assert_int_equal(bpt_sh("/usr/bin/python3 %s/tests/events/validate_events.py "
                            "%s/asyncapi/boissipay.yaml %s --expect-types "
                            "operation.accepted,operation.rejected >&2",
                            bpt_env("BPT_SOURCE_DIR"), bpt_env("BPT_SOURCE_DIR"), path),
                     0);
    json_decref(events);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_rule), cmocka_unit_test(test_replays_and_conflicts),
        cmocka_unit_test(test_nul_escape), cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_listing),    cmocka_unit_test(test_operation_events),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
