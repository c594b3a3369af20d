/* Integration: dunning through the four daemons. Three contracts are invoiced
 * and debited by payment against the simulated bank; a test clock
 * (BP_TEST_CLOCK_FILE) moves payment's calendar through the retry schedule
 * (BP_PAYMENT_RETRY_DAYS=3,5,7) without sleeping, and payment is restarted in
 * the middle (the schedule lives in its database).
 *  (a) MDT-DUN-AM1 fails AM04 once: retried 3 days later, booked → PAID; the
 *      account is never overdue.
 *  (b) MDT-DUN-AM4 fails AM04 four times: three retries, then the final
 *      payment.failed → PAYMENT_FAILED → the account is overdue: purchases are
 *      refused ACCOUNT_OVERDUE (refunds still accepted) → a finance operator's
 *      POST /payments/{id}/retry → booked → PAID → purchases accepted again.
 *  (c) MDT-DUN-DEAD fails MD07: final at once, no retry, overdue at once. */
#include "billing_fixture.h"
#include "contract_fixture.h"
#include "mailer_fixture.h"

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

static blf_stack st;
static bpt_proc payment, mailer;
static mlf_sink sink;
static char dead_letter[128], clock_file[600];

static void start_daemon(bpt_proc *p, const char *name, const char *binary,
                         const char *const *extra)
{
    blf_start_cycle_daemon(&st, p, "it_dunning", name, binary, dead_letter, extra);
}

/* Payment's clock, `days` ahead of the real one. */
static void set_clock(int days)
{
    FILE *f = fopen(clock_file, "w");
    assert_non_null(f);
    fprintf(f, "%d\n", days * 86400);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_ALL);
    blf_start(&st, "it_dunning");
    snprintf(dead_letter, sizeof dead_letter, "it_dunning.dead-letter");
    bpt_topic_create(dead_letter, 3);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/it_dunning-mail", bpt_env("BPT_STATE_DIR"));
    mlf_sink_start(&sink, dir, bpt_free_port(), true);
    snprintf(clock_file, sizeof clock_file, "%s/it_dunning-clock", bpt_env("BPT_STATE_DIR"));
    set_clock(0);
    char clock[700];
    snprintf(clock, sizeof clock, "BP_TEST_CLOCK_FILE=%s", clock_file);
    const char *pay_extra[] = {
        "BP_BANK_FAIL_MANDATES=MDT-DUN-AM1:AM04:1,MDT-DUN-AM4:AM04:4,MDT-DUN-DEAD:MD07",
        "BP_PAYMENT_COLLECT=at-once",
        "BP_PAYMENT_RETRY_DAYS=3,5,7",
        "BP_PAYMENT_DUE_POLL_MS=200",
        clock,
        NULL};
    start_daemon(&payment, "payment", "services/payment/boissipay-payment", pay_extra);
    char smtp[128];
    snprintf(smtp, sizeof smtp, "BP_SMTP_URL=smtp://127.0.0.1:%d", sink.port);
    const char *mail_extra[] = {smtp, "BP_SMTP_RETRY_MIN_MS=200", NULL};
    start_daemon(&mailer, "mailer", "services/invoice-mailer/boissipay-invoice-mailer", mail_extra);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(bpt_proc_stop(&mailer, SIGTERM), 0);
    assert_int_equal(bpt_proc_stop(&payment, SIGTERM), 0);
    bpt_proc_free(&mailer);
    bpt_proc_free(&payment);
    mlf_sink_stop(&sink);
    blf_stop(&st);
    return 0;
}

static void buy(const char *ref, const char *order, const char *amount, const char *date,
                long status, const char *want_code)
{
    char code[64] = "";
    long s = blf_buy(st.billing.port, ref, order, amount, date, code);
    if (s != status || strcmp(code, want_code) != 0)
        fprintf(stderr, "purchase %s %s: %ld %s\n", ref, order, s, code);
    assert_int_equal(s, status);
    assert_string_equal(code, want_code);
}

static long refund(const char *ref, const char *order, const char *amount, const char *of)
{
    char *body = blf_operation(ref, order, amount, NULL, of);
    bpt_resp r = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, body, NULL);
    long s = r.status;
    bpt_resp_free(&r);
    free(body);
    return s;
}

static json_t *invoice_of(const char *contract_ref)
{
    char path[256];
    snprintf(path, sizeof path, "/invoices?contractRef=%s&period=2026-10", contract_ref);
    bpt_resp r = bpt_http("GET", st.billing.port, path, BPT_READ_KEY, NULL, NULL);
    json_t *inv = json_incref(json_array_get(json_object_get(r.json, "invoices"), 0));
    bpt_resp_free(&r);
    return inv;
}

/* The invoiceRef of the contract's October invoice, into buf (>= 128 bytes). */
static void invoice_ref_of(const char *contract_ref, char *buf)
{
    json_t *inv = invoice_of(contract_ref);
    assert_non_null(inv);
    snprintf(buf, 128, "%s", json_string_value(json_object_get(inv, "invoiceRef")));
    json_decref(inv);
}

static bool wait_invoice_status(const char *contract_ref, const char *status, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 200) {
        json_t *inv = invoice_of(contract_ref);
        const char *s = json_string_value(json_object_get(inv, "status"));
        bool ok = s != NULL && strcmp(s, status) == 0;
        json_decref(inv);
        if (ok)
            return true;
        bpt_sleep_ms(200);
    }
    fprintf(stderr, "invoice of %s never %s\n", contract_ref, status);
    return false;
}

/* payment's resource of the invoice's payment (NULL when none). Caller decrefs. */
static json_t *payment_of(const char *invoice_ref)
{
    char path[256];
    snprintf(path, sizeof path, "/payments?invoiceRef=%s", invoice_ref);
    bpt_resp r = bpt_http("GET", payment.port, path, BPT_READ_KEY, NULL, NULL);
    json_t *p = json_incref(json_array_get(json_object_get(r.json, "payments"), 0));
    bpt_resp_free(&r);
    return p;
}

/* Waits until the payment has `status` and `retries`; false on timeout. */
static bool wait_payment(const char *invoice_ref, const char *status, int retries, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 200) {
        json_t *p = payment_of(invoice_ref);
        const char *s = json_string_value(json_object_get(p, "status"));
        bool ok = s != NULL && strcmp(s, status) == 0 &&
                  json_integer_value(json_object_get(p, "retries")) == retries;
        json_decref(p);
        if (ok)
            return true;
        bpt_sleep_ms(200);
    }
    json_t *p = payment_of(invoice_ref);
    char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
    fprintf(stderr, "payment of %s never %s with %d retries: %s\n", invoice_ref, status, retries,
            text ? text : "none");
    free(text);
    json_decref(p);
    return false;
}

/* The account's `overdue` as billing shows it. */
static bool overdue(const char *contract_ref)
{
    char path[160];
    snprintf(path, sizeof path, "/contracts/%s/account", contract_ref);
    bpt_resp r = bpt_http("GET", st.billing.port, path, BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *o = json_object_get(r.json, "overdue");
    assert_true(json_is_boolean(o));
    bool v = json_is_true(o);
    if (v)
        assert_true(json_is_string(json_object_get(r.json, "overdueSince")));
    bpt_resp_free(&r);
    return v;
}

static size_t count_events(const char *topic, const char *type, const char *invoice_ref)
{
    const char *types[] = {type, NULL};
    json_t *ev = bpt_events_of(topic, types, invoice_ref);
    size_t n = json_array_size(ev);
    json_decref(ev);
    return n;
}

static void expect_next_attempt(const char *invoice_ref, const char *reason_code)
{
    json_t *p = payment_of(invoice_ref);
    assert_true(json_is_string(json_object_get(p, "nextAttemptOn")));
    assert_string_equal(json_string_value(json_object_get(p, "lastReasonCode")), reason_code);
    json_decref(p);
}

static void test_dunning(void **state)
{
    (void)state;
    blf_contract(&st, "CTR-DUN-A", "100.00",
                 "{\"payment\":{\"mandate\":{\"reference\":\"MDT-DUN-AM1\"}}}");
    blf_contract(&st, "CTR-DUN-B", "100.00",
                 "{\"payment\":{\"mandate\":{\"reference\":\"MDT-DUN-AM4\"}}}");
    blf_contract(&st, "CTR-DUN-C", "100.00",
                 "{\"payment\":{\"mandate\":{\"reference\":\"MDT-DUN-DEAD\"}}}");
    buy("CTR-DUN-A", "A-1", "30.00", "2026-10-05", 201, "");
    buy("CTR-DUN-B", "B-1", "40.00", "2026-10-06", 201, "");
    buy("CTR-DUN-C", "C-1", "50.00", "2026-10-07", 201, "");
    bpt_resp r = bpt_http("POST", st.billing.port, "/billing-runs", BPT_API_KEY,
                          "{\"period\":\"2026-10\"}", NULL);
    assert_int_equal(r.status, 201);
    bpt_resp_free(&r);
    char inv_a[128], inv_b[128], inv_c[128];
    invoice_ref_of("CTR-DUN-A", inv_a);
    invoice_ref_of("CTR-DUN-B", inv_b);
    invoice_ref_of("CTR-DUN-C", inv_c);

    /* The first attempts: A and B refused AM04 and scheduled 3 days later;
     * C refused MD07, final at once. */
    assert_true(wait_payment(inv_a, "PENDING", 1, 30000));
    assert_true(wait_payment(inv_b, "PENDING", 1, 30000));
    expect_next_attempt(inv_a, "AM04");
    assert_true(wait_payment(inv_c, "FAILED", 0, 30000));
    assert_true(wait_invoice_status("CTR-DUN-C", "PAYMENT_FAILED", 30000));
    json_t *inv = invoice_of("CTR-DUN-C");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(inv, "paymentFailure"), "reasonCode")),
        "MD07");
    json_decref(inv);
    /* (c) overdue at once: purchases refused, refunds accepted */
    assert_true(overdue("CTR-DUN-C"));
    buy("CTR-DUN-C", "C-2", "0.01", NULL, 422, "ACCOUNT_OVERDUE");
    assert_int_equal(refund("CTR-DUN-C", "C-1-R", "5.00", "C-1"), 201);
    /* A dunned invoice is not failed: A and B still buy. */
    assert_false(overdue("CTR-DUN-A"));
    assert_false(overdue("CTR-DUN-B"));
    buy("CTR-DUN-A", "A-2", "1.00", NULL, 201, "");

    /* The schedule is payment's data: a restart loses nothing. */
    assert_int_equal(bpt_proc_stop(&payment, SIGTERM), 0);
    bpt_proc_restart(&payment);
    char ready[128];
    snprintf(ready, sizeof ready, "http://127.0.0.1:%d/ready", payment.port);
    assert_true(bpt_wait_status(ready, 200, 30000));

    /* Day 3: A's retry is booked (a); B's is refused again, next in 5 days. */
    set_clock(3);
    assert_true(wait_payment(inv_a, "SUCCEEDED", 1, 30000));
    assert_true(wait_invoice_status("CTR-DUN-A", "PAID", 30000));
    assert_true(wait_payment(inv_b, "PENDING", 2, 30000));
    set_clock(7); /* not yet: B's next attempt is on day 8 */
    bpt_sleep_ms(1000);
    assert_true(wait_payment(inv_b, "PENDING", 2, 1000));
    set_clock(8);
    assert_true(wait_payment(inv_b, "PENDING", 3, 30000));
    buy("CTR-DUN-B", "B-2", "1.00", NULL, 201, ""); /* still dunned, not overdue */
    set_clock(15);
    /* (b) the fourth refusal is final: payment.failed, the account overdue */
    assert_true(wait_payment(inv_b, "FAILED", 3, 30000));
    assert_true(wait_invoice_status("CTR-DUN-B", "PAYMENT_FAILED", 30000));
    assert_true(overdue("CTR-DUN-B"));
    buy("CTR-DUN-B", "B-3", "0.01", NULL, 422, "ACCOUNT_OVERDUE");
    assert_int_equal(refund("CTR-DUN-B", "B-1-R", "10.00", "B-1"), 201);

    /* Finance retries the debit by hand once the customer has funds again. */
    json_t *pb = payment_of(inv_b);
    char path[200];
    snprintf(path, sizeof path, "/payments/%s/retry",
             json_string_value(json_object_get(pb, "paymentId")));
    json_decref(pb);
    r = bpt_http("POST", payment.port, path, BPT_READ_KEY, "{}", NULL);
    assert_int_equal(r.status, 403); /* a write: the read key may not */
    bpt_resp_free(&r);
    r = bpt_http("POST", payment.port, path, BPT_API_KEY, "{}", NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "PENDING");
    bpt_resp_free(&r);
    assert_true(wait_payment(inv_b, "SUCCEEDED", 4, 30000));
    assert_true(wait_invoice_status("CTR-DUN-B", "PAID", 30000));
    r = bpt_http("POST", payment.port, path, BPT_API_KEY, "{}", NULL);
    assert_int_equal(r.status, 409); /* only a FAILED payment */
    assert_string_equal(bpt_error_code(&r), "PAYMENT_NOT_FAILED");
    bpt_resp_free(&r);
    for (int waited = 0; overdue("CTR-DUN-B") && waited < 10000; waited += 200)
        bpt_sleep_ms(200);
    assert_false(overdue("CTR-DUN-B"));
    buy("CTR-DUN-B", "B-4", "1.00", NULL, 201, "");
    assert_true(overdue("CTR-DUN-C")); /* C's invoice is still unpaid */

    /* What was published: one retry_scheduled per retry, no result event
     * while dunned, one failure and one success for B. */
    assert_int_equal(count_events(st.payment_topic, "payment.retry_scheduled", inv_a), 1);
    assert_int_equal(count_events(st.payment_topic, "payment.failed", inv_a), 0);
    assert_int_equal(count_events(st.payment_topic, "payment.succeeded", inv_a), 1);
    assert_int_equal(count_events(st.payment_topic, "payment.retry_scheduled", inv_b), 4);
    assert_int_equal(count_events(st.payment_topic, "payment.failed", inv_b), 1);
    assert_int_equal(count_events(st.payment_topic, "payment.succeeded", inv_b), 1);
    assert_int_equal(count_events(st.payment_topic, "payment.retry_scheduled", inv_c), 0);
    assert_int_equal(count_events(st.payment_topic, "payment.failed", inv_c), 1);
    assert_int_equal(count_events(st.invoice_topic, "invoice.overdue", inv_a), 0);
    assert_int_equal(count_events(st.invoice_topic, "invoice.overdue", inv_b), 1);
    assert_int_equal(count_events(st.invoice_topic, "invoice.overdue", inv_c), 1);
    assert_int_equal(count_events(st.invoice_topic, "account.overdue_cleared", inv_b), 1);
    assert_int_equal(count_events(st.invoice_topic, "account.overdue_cleared", inv_c), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dunning),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
