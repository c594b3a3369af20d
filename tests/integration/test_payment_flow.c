/* Integration: the payment daemon against the real stack. payment.requested
 * events produced on `it_payment.payment` are collected through the simulated
 * bank: a success, failures by mandate (MD01, AC04), by amount (AM04, at the
 * threshold's boundary) and for want of a mandate; redeliveries (the same
 * event id, another event id for the same invoice, a request for a finished
 * payment) collect once; a payment due later waits for its due date (across a
 * SIGKILL) and is then debited once; malformed messages go to the dead-letter topic and
 * the next message is processed; the result events on the topic; and the REST
 * API (filters, pagination, 404, 401, 405). */
#include "payment_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define C1 "c0000000-0000-4000-8000-000000000001"
#define C2 "c0000000-0000-4000-8000-000000000002"
#define C3 "c0000000-0000-4000-8000-000000000003"
#define WAIT_MS 20000

static pmf_stack st;

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_ALL);
    const char *env[] = {"BP_BANK_FAIL_MANDATES=MDT-BAD:MD01, MDT-CLOSED:AC04",
                         "BP_BANK_INSUFFICIENT_ABOVE_MINOR=100000", "BP_PAYMENT_DUE_POLL_MS=200",
                         "BP_PAYMENT_RETRY_DAYS=none", NULL};
    pmf_start(&st, "it_payment", env);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pmf_stop(&st);
    return 0;
}

static long count(const char *fmt, const char *arg)
{
    char sql[512];
    snprintf(sql, sizeof sql, fmt, arg);
    return bpt_sql_long(st.db, sql);
}

static long debits(const char *invoice)
{
    return count("SELECT count(*) FROM bank_sim_debits WHERE end_to_end_id = '%s'", invoice);
}

/* GET /payments?invoiceRef=… → the one payment (caller decrefs). */
static json_t *payment_of(const char *invoice)
{
    char path[256];
    snprintf(path, sizeof path, "/payments?invoiceRef=%s", invoice);
    bpt_resp r = bpt_http("GET", st.proc.port, path, BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *items = json_object_get(r.json, "payments");
    assert_int_equal(json_array_size(items), 1);
    json_t *p = json_incref(json_array_get(items, 0));
    bpt_resp_free(&r);
    return p;
}

static void expect_failed(const char *invoice, const char *code, const char *reason)
{
    assert_true(pmf_wait_status(&st, invoice, "FAILED", WAIT_MS));
    json_t *p = payment_of(invoice);
    assert_string_equal(json_string_value(json_object_get(p, "reasonCode")), code);
    assert_string_equal(json_string_value(json_object_get(p, "reason")), reason);
    assert_non_null(json_object_get(p, "failedAt"));
    assert_null(json_object_get(p, "collectedAt"));
    json_decref(p);
}

static void test_success(void **state)
{
    (void)state;
    pmf_request_send(&st, "INV-OK-1", C1, 2108, "MDT-OK");
    assert_true(pmf_wait_status(&st, "INV-OK-1", "SUCCEEDED", WAIT_MS));
    json_t *p = payment_of("INV-OK-1");
    assert_string_equal(json_string_value(json_object_get(p, "contractId")), C1);
    assert_string_equal(json_string_value(json_object_get(p, "contractRef")), "CTR-PAY-TEST");
    assert_int_equal(bpt_money(p, "amount", "EUR"), 2108);
    assert_string_equal(json_string_value(json_object_get(json_object_get(p, "amount"), "amount")),
                        "21.08");
    assert_null(json_object_get(p, "amountMinor"));
    assert_string_equal(json_string_value(json_object_get(p, "currency")), "EUR");
    assert_string_equal(json_string_value(json_object_get(p, "mandateReference")), "MDT-OK");
    assert_string_equal(json_string_value(json_object_get(p, "dueDate")), "2026-12-01");
    assert_non_null(json_object_get(p, "collectedAt"));
    assert_null(json_object_get(p, "reasonCode"));
    json_decref(p);
    assert_int_equal(count("SELECT count(*) FROM bank_sim_debits WHERE end_to_end_id = '%s'"
                           " AND status = 'BOOKED' AND amount_minor = 2108",
                           "INV-OK-1"),
                     1);
}

static void test_failures(void **state)
{
    (void)state;
    pmf_request_send(&st, "INV-MD01", C1, 500, "MDT-BAD");
    pmf_request_send(&st, "INV-AC04", C2, 500, "MDT-CLOSED");
    pmf_request_send(&st, "INV-AM04", C2, 100001, "MDT-OK");
    pmf_request_send(&st, "INV-LIMIT", C2, 100000, "MDT-OK");
    pmf_request_send(&st, "INV-NOMANDATE", C3, 700, NULL);
    expect_failed("INV-MD01", "MD01", "no valid mandate");
    expect_failed("INV-AC04", "AC04", "account closed");
    expect_failed("INV-AM04", "AM04", "insufficient funds");
    assert_true(pmf_wait_status(&st, "INV-LIMIT", "SUCCEEDED", WAIT_MS)); /* not above */
    expect_failed("INV-NOMANDATE", "MD01", "no valid mandate");
    assert_int_equal(debits("INV-MD01"), 1);
    assert_int_equal(count("SELECT count(*) FROM bank_sim_debits WHERE end_to_end_id = '%s'"
                           " AND status = 'REJECTED' AND reason_code = 'AM04'",
                           "INV-AM04"),
                     1);
    assert_int_equal(debits("INV-NOMANDATE"), 0); /* never sent to the bank */
}

static void test_redelivery_collects_once(void **state)
{
    (void)state;
    char id[37], id2[37];
    pmf_uuid(id);
    pmf_uuid(id2);
    char *first = pmf_request(id, "INV-DUP-1", C3, 4200, "MDT-OK");
    char *other = pmf_request(id2, "INV-DUP-1", C3, 4200, "MDT-OK");
    pmf_send(&st, C3, first);
    pmf_send(&st, C3, first); /* the same event again */
    pmf_send(&st, C3, other); /* another event for the same invoice */
    /* A request for a finished (FAILED) payment changes nothing either. */
    pmf_request_send(&st, "INV-MD01", C3, 500, "MDT-OK");
    /* Same key, same partition: once this one is done, the ones before are too. */
    pmf_request_send(&st, "INV-DUP-SENTINEL", C3, 1, "MDT-OK");
    assert_true(pmf_wait_status(&st, "INV-DUP-SENTINEL", "SUCCEEDED", WAIT_MS));
    char *status = pmf_status(&st, "INV-DUP-1");
    assert_string_equal(status, "SUCCEEDED");
    free(status);
    assert_int_equal(debits("INV-DUP-1"), 1);
    assert_int_equal(count("SELECT count(*) FROM payments WHERE invoice_ref = '%s'", "INV-DUP-1"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM inbox WHERE event_id = '%s'", id), 1);
    assert_int_equal(count("SELECT count(*) FROM inbox WHERE event_id = '%s'", id2), 1);
    status = pmf_status(&st, "INV-MD01");
    assert_string_equal(status, "FAILED");
    free(status);
    assert_int_equal(debits("INV-MD01"), 1);
    free(first);
    free(other);
}

/* The date `days` from now, YYYY-MM-DD (UTC; a few days off is enough here). */
static void date_in(int days, char out[11])
{
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* By default a payment is debited on its due date: one due in ten days is
 * recorded PENDING and left alone, one due yesterday is debited at once (and
 * one without mandate fails MD01 at once, whatever its due date); when
 * the first falls due (its dates moved back, as time would) the collector
 * debits it once, even after the daemon was killed in between. */
static void test_debited_on_due_date(void **state)
{
    (void)state;
    char later[11], yesterday[11], id[37];
    date_in(10, later);
    date_in(-1, yesterday);
    pmf_uuid(id);
    char *text = pmf_request_due(id, "INV-DUE-LATER", C1, 3300, "MDT-OK", later);
    pmf_send(&st, C1, text);
    free(text);
    pmf_uuid(id);
    text = pmf_request_due(id, "INV-DUE-PAST", C1, 3400, "MDT-OK", yesterday);
    pmf_send(&st, C1, text); /* same key, same partition: handled after the first */
    free(text);
    pmf_uuid(id);
    text = pmf_request_due(id, "INV-DUE-NOMANDATE", C1, 3500, NULL, later);
    pmf_send(&st, C1, text); /* nothing to wait for: fails MD01 at once */
    free(text);
    assert_true(pmf_wait_status(&st, "INV-DUE-PAST", "SUCCEEDED", WAIT_MS));
    expect_failed("INV-DUE-NOMANDATE", "MD01", "no valid mandate");
    bpt_sleep_ms(1000); /* five collector rounds */
    json_t *p = payment_of("INV-DUE-LATER");
    assert_string_equal(json_string_value(json_object_get(p, "status")), "PENDING");
    assert_string_equal(json_string_value(json_object_get(p, "dueDate")), later);
    assert_null(json_object_get(p, "collectedAt"));
    json_decref(p);
    assert_int_equal(debits("INV-DUE-LATER"), 0);

    /* Killed while the payment waits: nothing is lost, nothing is debited early. */
    assert_int_equal(bpt_proc_stop(&st.proc, SIGKILL), 128 + SIGKILL);
    bpt_proc_restart(&st.proc);
    pmf_wait_ready(&st);
    bpt_sleep_ms(1000);
    assert_int_equal(debits("INV-DUE-LATER"), 0);

    /* Old enough for the collector, but not due: still left alone. */
    assert_int_equal(count("WITH u AS (UPDATE payments SET created_at = now() - interval"
                           " '2 minutes' WHERE invoice_ref = '%s' RETURNING 1)"
                           " SELECT count(*) FROM u",
                           "INV-DUE-LATER"),
                     1);
    bpt_sleep_ms(1000);
    assert_int_equal(debits("INV-DUE-LATER"), 0);
    char *status = pmf_status(&st, "INV-DUE-LATER");
    assert_string_equal(status, "PENDING");
    free(status);

    /* The due date comes. */
    assert_int_equal(count("WITH u AS (UPDATE payments SET due_date = current_date - 1"
                           " WHERE invoice_ref = '%s' RETURNING 1) SELECT count(*) FROM u",
                           "INV-DUE-LATER"),
                     1);
    assert_true(pmf_wait_status(&st, "INV-DUE-LATER", "SUCCEEDED", WAIT_MS));
    assert_int_equal(debits("INV-DUE-LATER"), 1);
    assert_true(pmf_wait_published(&st, WAIT_MS));
    json_t *results = pmf_results(&st, "INV-DUE-LATER");
    assert_int_equal(json_array_size(results), 1);
    json_decref(results);
}

/* A bad collect mode, time zone or poll interval stops the daemon at start
 * with status 2 and a line naming the variable. */
static void test_bad_due_date_settings(void **state)
{
    (void)state;
    const char *bad[] = {"BP_PAYMENT_COLLECT=tomorrow", "BP_PAYMENT_TIMEZONE=Mars/Olympus",
                         "BP_PAYMENT_TIMEZONE=Europe", "BP_PAYMENT_TIMEZONE=../../etc/passwd",
                         "BP_PAYMENT_DUE_POLL_MS=5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(bad[i], "="), bad[i]);
        int status = bpt_sh("env BP_API_KEYS=%s:rw '%s' '%s/services/payment/boissipay-payment'"
                            " 2>&1 | grep -q '%s'",
                            BPT_API_KEY, bad[i], bpt_env("BPT_BIN_DIR"), name);
        assert_int_equal(status, 0);
        status = bpt_sh("env BP_API_KEYS=%s:rw '%s' '%s/services/payment/boissipay-payment'"
                        " >/dev/null 2>&1",
                        BPT_API_KEY, bad[i], bpt_env("BPT_BIN_DIR"));
        assert_int_equal(status, 2);
    }
}

/* A payment.requested billing published before amounts were Money objects, still
 * on the topic: collected from its amountMinor. */
static void test_legacy_request(void **state)
{
    (void)state;
    char id[37];
    pmf_uuid(id);
    char *text = pmf_request(id, "INV-LEGACY-1", C1, 1772, "MDT-OK");
    json_t *ev = json_loads(text, 0, NULL);
    json_t *data = json_object_get(ev, "data");
    json_object_set_new(data, "amount", json_real(17.72));
    json_object_set_new(data, "amountMinor", json_integer(1772));
    char *old = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(15));
    pmf_send(&st, C1, old);
    assert_true(pmf_wait_status(&st, "INV-LEGACY-1", "SUCCEEDED", WAIT_MS));
    json_t *p = payment_of("INV-LEGACY-1");
    assert_int_equal(bpt_money(p, "amount", "EUR"), 1772); /* answered in today's shape */
    json_decref(p);
    free(old);
    json_decref(ev);
    free(text);
}

static void test_malformed_is_skipped(void **state)
{
    (void)state;
    pmf_send(&st, C2, "this is not an event");
    char id[37];
    pmf_uuid(id);
    char *bad = pmf_request(id, "INV-BAD-DATA", C2, 100, "MDT-OK");
    json_t *ev = json_loads(bad, 0, NULL);
    json_object_del(json_object_get(ev, "data"), "amount");
    char *text = json_dumps(ev, JSON_COMPACT);
    pmf_send(&st, C2, text);
    /* Another family's type on the topic is skipped without a dead letter. */
    json_object_set_new(ev, "type", json_string("invoice.issued"));
    char *other = json_dumps(ev, JSON_COMPACT);
    pmf_send(&st, C2, other);
    pmf_request_send(&st, "INV-AFTER-POISON", C2, 300, "MDT-OK");
    assert_true(pmf_wait_status(&st, "INV-AFTER-POISON", "SUCCEEDED", WAIT_MS));
    char *none = pmf_status(&st, "INV-BAD-DATA");
    assert_string_equal(none, "");
    free(none);
    assert_true(pmf_wait_published(&st, 15000));
    json_t *letters = bpt_consume_all(st.dead_letter, 1500);
    assert_int_equal(json_array_size(letters), 2);
    json_t *l0 = json_object_get(json_array_get(letters, 0), "value");
    json_t *l1 = json_object_get(json_array_get(letters, 1), "value");
    assert_string_equal(json_string_value(json_object_get(l0, "consumer")), "payment-it_payment");
    assert_string_equal(json_string_value(json_object_get(l0, "topic")), st.topic);
    assert_true(json_is_integer(json_object_get(l0, "partition")));
    assert_true(json_is_integer(json_object_get(l0, "offset")));
    assert_string_equal(json_string_value(json_object_get(l0, "key")), C2);
    assert_string_equal(json_string_value(json_object_get(l0, "value")), "this is not an event");
    assert_non_null(strstr(json_string_value(json_object_get(l0, "reason")), "not JSON"));
    assert_string_equal(json_string_value(json_object_get(l1, "value")), text);
    assert_non_null(strstr(json_string_value(json_object_get(l1, "reason")), "data.amount"));
    assert_true(json_integer_value(json_object_get(l1, "offset")) >
                json_integer_value(json_object_get(l0, "offset")));
    json_decref(letters);
    free(other);
    free(text);
    json_decref(ev);
    free(bad);
}

/* The messages of `all` about `invoice` (a new array). */
static json_t *about(json_t *all, const char *invoice)
{
    json_t *out = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(all, i, m)
    {
        json_t *d = json_object_get(json_object_get(m, "value"), "data");
        if (strcmp(json_string_value(json_object_get(d, "invoiceRef")), invoice) == 0)
            json_array_append(out, m);
    }
    return out;
}

static void test_result_events(void **state)
{
    (void)state;
    assert_true(pmf_wait_published(&st, 15000));
    json_t *all = pmf_results(&st, NULL);
    long finished = bpt_sql_long(st.db, "SELECT count(*) FROM payments WHERE status <> 'PENDING'");
    assert_int_equal((long)json_array_size(all), finished); /* one result per payment */

    json_t *ok = about(all, "INV-OK-1");
    assert_int_equal(json_array_size(ok), 1);
    json_t *m = json_array_get(ok, 0);
    json_t *v = json_object_get(m, "value");
    json_t *d = json_object_get(v, "data");
    assert_string_equal(json_string_value(json_object_get(m, "key")), C1);
    assert_string_equal(json_string_value(json_object_get(v, "type")), "payment.succeeded");
    assert_string_equal(json_string_value(json_object_get(v, "source")), "/boissipay/payment");
    assert_string_equal(json_string_value(json_object_get(v, "subject")), "INV-OK-1");
    assert_string_equal(json_string_value(json_object_get(v, "specversion")), "1.0");
    assert_int_equal(bpt_money(d, "amount", "EUR"), 2108);
    assert_int_equal(bpt_money_walk(v), 1);
    assert_string_equal(json_string_value(json_object_get(d, "currency")), "EUR");
    assert_string_equal(json_string_value(json_object_get(d, "status")), "SUCCEEDED");
    assert_string_equal(json_string_value(json_object_get(d, "contractId")), C1);
    assert_string_equal(json_string_value(json_object_get(d, "mandateReference")), "MDT-OK");
    assert_non_null(json_string_value(json_object_get(d, "collectedAt")));
    char *pid = bpt_sql(st.db, "SELECT payment_id::text FROM payments"
                               " WHERE invoice_ref = 'INV-OK-1'");
    assert_string_equal(json_string_value(json_object_get(d, "paymentId")), pid);
    free(pid);
    json_decref(ok);

    const char *failed[][2] = {{"INV-MD01", "MD01"},
                               {"INV-AC04", "AC04"},
                               {"INV-AM04", "AM04"},
                               {"INV-NOMANDATE", "MD01"}};
    for (size_t i = 0; i < sizeof failed / sizeof failed[0]; i++) {
        json_t *r = about(all, failed[i][0]);
        assert_int_equal(json_array_size(r), 1);
        v = json_object_get(json_array_get(r, 0), "value");
        d = json_object_get(v, "data");
        assert_string_equal(json_string_value(json_object_get(v, "type")), "payment.failed");
        assert_string_equal(json_string_value(json_object_get(d, "status")), "FAILED");
        assert_string_equal(json_string_value(json_object_get(d, "reasonCode")), failed[i][1]);
        assert_non_null(json_string_value(json_object_get(d, "reason")));
        assert_non_null(json_string_value(json_object_get(d, "failedAt")));
        assert_null(json_object_get(d, "collectedAt"));
        json_decref(r);
    }
    json_t *dup = about(all, "INV-DUP-1");
    assert_int_equal(json_array_size(dup), 1);
    json_decref(dup);
    json_decref(all);
}

static json_t *list(const char *query, long want_status)
{
    char path[256];
    snprintf(path, sizeof path, "/payments%s", query);
    bpt_resp r = bpt_http("GET", st.proc.port, path, BPT_READ_KEY, NULL, NULL);
    if (r.status != want_status)
        fprintf(stderr, "GET %s: %ld %s\n", path, r.status, r.body);
    assert_int_equal(r.status, want_status);
    json_t *body = json_incref(r.json);
    bpt_resp_free(&r);
    return body;
}

/* Checks `body` against schema `name` of openapi/payment.yaml (jsonschema). */
static void expect_schema(json_t *body, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/payment-%s.json", bpt_env("BPT_STATE_DIR"), name);
    assert_int_equal(json_dump_file(body, path, JSON_REAL_PRECISION(15)), 0);
    int rc = bpt_sh("/usr/bin/python3 -c 'import json, sys, yaml, jsonschema as j; "
                    "c = yaml.safe_load(open(sys.argv[1]))[\"components\"]; "
                    "s = {\"$ref\": \"#/components/schemas/\" + sys.argv[2], \"components\": c}; "
                    "j.Draft7Validator(s, format_checker=j.FormatChecker())"
                    ".validate(json.load(open(sys.argv[3])))' %s/openapi/payment.yaml %s '%s' >&2",
                    bpt_env("BPT_SOURCE_DIR"), name, path);
    assert_int_equal(rc, 0);
}

static long meta(json_t *body, const char *name)
{
    return (long)json_integer_value(json_object_get(json_object_get(body, "metadata"), name));
}

static void test_http(void **state)
{
    (void)state;
    long total = bpt_sql_long(st.db, "SELECT count(*) FROM payments");
    json_t *b = list("?size=100", 200);
    assert_int_equal(meta(b, "totalItems"), total);
    expect_schema(b, "PaymentsResponse"); /* every payment of every kind, as documented */
    json_decref(b);

    b = list("?status=FAILED", 200);
    long failed = bpt_sql_long(st.db, "SELECT count(*) FROM payments WHERE status = 'FAILED'");
    assert_true(failed >= 5); /* test_failures' four and the one without mandate */
    assert_int_equal(meta(b, "totalItems"), failed);
    json_t *items = json_object_get(b, "payments");
    size_t i;
    json_t *p;
    json_array_foreach(items, i, p)
        assert_string_equal(json_string_value(json_object_get(p, "status")), "FAILED");
    json_decref(b);

    b = list("?status=SUCCEEDED&contractRef=CTR-PAY-TEST&size=2&page=2", 200);
    long succeeded =
        bpt_sql_long(st.db, "SELECT count(*) FROM payments WHERE status = 'SUCCEEDED'");
    assert_int_equal(meta(b, "totalItems"), succeeded);
    assert_int_equal(meta(b, "countItems"), 2);
    assert_int_equal(meta(b, "page"), 2);
    assert_int_equal(meta(b, "size"), 2);
    assert_int_equal(meta(b, "totalPages"), (succeeded + 1) / 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "metadata"), "query")),
                        "/payments?status=SUCCEEDED&contractRef=CTR-PAY-TEST&size=2&page=2");
    json_decref(b);

    b = list("?page=1000", 200); /* past the end: empty, still counted */
    assert_int_equal(json_array_size(json_object_get(b, "payments")), 0);
    assert_int_equal(meta(b, "totalItems"), total);
    json_decref(b);
    b = list("?contractRef=CTR-NOPE", 200);
    assert_int_equal(meta(b, "totalItems"), 0);
    json_decref(b);
    b = list("?status=PENDING", 200);
    assert_int_equal(meta(b, "totalItems"), 0);
    json_decref(b);

#define REF101                                                                                     \
    "01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901" \
    "23456789X"
    const char *bad[][2] = {{"?status=PAID", "status"},
                            {"?size=0", "size"},
                            {"?size=101", "size"},
                            {"?page=0", "page"},
                            {"?page=x", "page"},
                            /* the spec's lengths: 1 to 100 characters */
                            {"?invoiceRef=" REF101, "invoiceRef"},
                            {"?invoiceRef=", "invoiceRef"},
                            {"?contractRef=" REF101, "contractRef"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char path[256];
        snprintf(path, sizeof path, "/payments%s", bad[k][0]);
        bpt_resp r = bpt_http("GET", st.proc.port, path, BPT_READ_KEY, NULL, NULL);
        assert_int_equal(r.status, 400);
        assert_string_equal(bpt_error_code(&r), "VALIDATION_ERROR");
        json_t *err = json_array_get(json_object_get(r.json, "errors"), 0);
        assert_string_equal(json_string_value(json_object_get(err, "detail")), bad[k][1]);
        expect_schema(r.json, "ErrorResponse");
        bpt_resp_free(&r);
    }

    /* One payment by id. */
    json_t *one = payment_of("INV-AC04");
    char path[128];
    snprintf(path, sizeof path, "/payments/%s",
             json_string_value(json_object_get(one, "paymentId")));
    bpt_resp r = bpt_http("GET", st.proc.port, path, BPT_API_KEY, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_true(json_equal(r.json, one));
    expect_schema(r.json, "PaymentResponse");
    bpt_resp_free(&r);
    json_decref(one);
    const char *missing[] = {"/payments/00000000-0000-4000-8000-000000000000",
                             "/payments/not-a-uuid", "/payment"};
    for (size_t k = 0; k < 3; k++) {
        r = bpt_http("GET", st.proc.port, missing[k], BPT_READ_KEY, NULL, NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(bpt_error_code(&r), "NOT_FOUND");
        bpt_resp_free(&r);
    }

    /* Credentials. */
    r = bpt_http("GET", st.proc.port, "/payments", NULL, NULL, NULL);
    assert_int_equal(r.status, 401);
    assert_string_equal(bpt_error_code(&r), "UNAUTHENTICATED");
    bpt_resp_free(&r);
    r = bpt_http("GET", st.proc.port, "/payments/x", "not-a-known-key-0123456789", NULL, NULL);
    assert_int_equal(r.status, 401);
    bpt_resp_free(&r);
    r = bpt_http("POST", st.proc.port, "/payments", BPT_API_KEY, "{}", NULL);
    assert_int_equal(r.status, 405);
    assert_string_equal(bpt_error_code(&r), "METHOD_NOT_ALLOWED");
    bpt_resp_free(&r);

    /* Built-in routes. The daemon was restarted by an earlier test (its counters
     * began again at zero): a request for a finished payment makes the duplicate
     * counter appear, whatever the redeliveries after that restart were. */
    pmf_request_send(&st, "INV-DUP-1", C3, 4200, "MDT-OK");
    pmf_request_send(&st, "INV-HTTP-SENTINEL", C3, 1, "MDT-OK");
    assert_true(pmf_wait_status(&st, "INV-HTTP-SENTINEL", "SUCCEEDED", WAIT_MS));
    r = bpt_http("GET", st.proc.port, "/ready", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    bpt_resp_free(&r);
    r = bpt_http("GET", st.proc.port, "/metrics", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "bp_payment_requests_handled_total"));
    assert_non_null(strstr(r.body, "bp_payment_requests_duplicate_total"));
    assert_non_null(strstr(r.body, "bp_dead_letters_total{service=\"payment\"} 2"));
    /* The sentinel was booked after the restart; the other results exist at 0. */
    assert_null(strstr(r.body, "bp_payment_debits_total{result=\"booked\"} 0\n"));
    assert_non_null(strstr(r.body, "bp_payment_debits_total{result=\"booked\"} "));
    assert_non_null(strstr(r.body, "bp_payment_debits_total{result=\"bank_unavailable\"} 0\n"));
    assert_non_null(strstr(r.body, "bp_consumer_lag_messages{group=\"payment-"));
    assert_non_null(strstr(r.body, "\nbp_outbox_backlog_rows "));
    bpt_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success),
        cmocka_unit_test(test_legacy_request),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_redelivery_collects_once),
        cmocka_unit_test(test_debited_on_due_date),
        cmocka_unit_test(test_bad_due_date_settings),
        cmocka_unit_test(test_malformed_is_skipped),
        cmocka_unit_test(test_result_events),
        cmocka_unit_test(test_http),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
