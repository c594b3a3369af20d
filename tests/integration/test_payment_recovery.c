/* Integration: payment survives crashes and outages without collecting twice.
 * The simulated bank books a debit at once and answers after BP_BANK_DELAY_MS
 * (3 s here): SIGKILL in that window leaves a booked debit and a PENDING
 * payment; after a restart the redelivered request asks again and finishes
 * with exactly one debit and one result event. SIGTERM in that window finishes
 * the payment and exits 0. PostgreSQL down: the API answers 503 and the
 * request waits; back up: collected once. While the bank is slow, requests
 * queue up and bp_consumer_lag_messages says how many; it falls back to 0. */
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

#define C1 "d0000000-0000-4000-8000-000000000001"
#define C2 "d0000000-0000-4000-8000-000000000002"

static pmf_stack st;

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_ALL);
    const char *env[] = {"BP_BANK_DELAY_MS=3000", NULL};
    pmf_start(&st, "it_payment_recovery", env);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pmf_stop(&st);
    return 0;
}

static long sql_count(const char *fmt, const char *arg)
{
    char sql[512];
    snprintf(sql, sizeof sql, fmt, arg);
    return bpt_sql_long(st.db, sql);
}

/* Waits until the bank booked `invoice` (the daemon is then in the delay). */
static bool wait_booked(const char *invoice, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        if (sql_count("SELECT count(*) FROM bank_sim_debits WHERE end_to_end_id = '%s'", invoice) >
            0)
            return true;
        bpt_sleep_ms(20);
    }
    return false;
}

static long result_rows(const char *invoice)
{
    return sql_count(
        "SELECT count(*) FROM outbox WHERE payload::json->'data'->>'invoiceRef' = '%s'", invoice);
}

static void expect_once(const char *invoice)
{
    assert_int_equal(sql_count("SELECT count(*) FROM bank_sim_debits WHERE end_to_end_id = '%s'"
                               " AND status = 'BOOKED'",
                               invoice),
                     1);
    assert_int_equal(result_rows(invoice), 1);
    assert_true(pmf_wait_published(&st, 15000));
    json_t *events = pmf_results(&st, invoice);
    assert_int_equal(json_array_size(events), 1);
    json_t *v = json_object_get(json_array_get(events, 0), "value");
    assert_string_equal(json_string_value(json_object_get(v, "type")), "payment.succeeded");
    json_decref(events);
}

static void test_sigkill_during_bank_delay(void **state)
{
    (void)state;
    pmf_request_send(&st, "INV-KILL-1", C1, 2108, "MDT-OK");
    assert_true(wait_booked("INV-KILL-1", 20000));
    assert_int_equal(bpt_proc_stop(&st.proc, SIGKILL), 128 + SIGKILL);
    /* Debited, but the answer was never heard: PENDING, no event. */
    char *status = pmf_status(&st, "INV-KILL-1");
    assert_string_equal(status, "PENDING");
    free(status);
    assert_int_equal(result_rows("INV-KILL-1"), 0);

    bpt_proc_restart(&st.proc);
    pmf_wait_ready(&st);
    assert_true(pmf_wait_status(&st, "INV-KILL-1", "SUCCEEDED", 40000));
    expect_once("INV-KILL-1");
    /* The request was seen twice (inbox: once per event id), the bank asked twice. */
    assert_int_equal(bpt_sql_long(st.db, "SELECT count(*) FROM inbox"), 1);
}

static void test_sigterm_during_bank_delay(void **state)
{
    (void)state;
    pmf_request_send(&st, "INV-TERM-1", C2, 990, "MDT-OK");
    assert_true(wait_booked("INV-TERM-1", 20000));
    /* The payment in hand is finished before the daemon exits, cleanly. */
    assert_int_equal(bpt_proc_stop(&st.proc, SIGTERM), 0);
    char *status = pmf_status(&st, "INV-TERM-1");
    assert_string_equal(status, "SUCCEEDED");
    free(status);
    bpt_proc_restart(&st.proc);
    pmf_wait_ready(&st);
    expect_once("INV-TERM-1");
}

static int stack(const char *what)
{
    return bpt_sh("%s/scripts/test-stack.sh %s '%s' >&2", bpt_env("BPT_SOURCE_DIR"), what,
                  bpt_env("BPT_STATE_DIR"));
}

static void test_database_down_then_back(void **state)
{
    (void)state;
    assert_int_equal(stack("pg-stop"), 0);
    pmf_request_send(&st, "INV-NOPG-1", C1, 1234, "MDT-OK");
    bpt_sleep_ms(1500);
    bpt_resp r = bpt_http("GET", st.proc.port, "/payments", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 503);
    assert_string_equal(bpt_error_code(&r), "DATABASE_UNAVAILABLE");
    bpt_resp_free(&r);
    r = bpt_http("GET", st.proc.port, "/ready", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "\"database\":\"DOWN"));
    bpt_resp_free(&r);
    r = bpt_http("GET", st.proc.port, "/health", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    bpt_resp_free(&r);

    assert_int_equal(stack("pg-start"), 0);
    pmf_wait_ready(&st);
    assert_true(pmf_wait_status(&st, "INV-NOPG-1", "SUCCEEDED", 40000));
    expect_once("INV-NOPG-1");
    r = bpt_http("GET", st.proc.port, "/payments?invoiceRef=INV-NOPG-1", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 200);
    bpt_resp_free(&r);
}

/* bp_consumer_lag_messages of this daemon's group, -1 when absent. */
static long lag_now(void)
{
    bpt_resp r = bpt_http("GET", st.proc.port, "/metrics", NULL, NULL, NULL);
    long lag = -1;
    char series[160];
    snprintf(series, sizeof series, "bp_consumer_lag_messages{group=\"payment-%s\"} ", st.name);
    const char *at = r.status == 200 && r.body ? strstr(r.body, series) : NULL;
    if (at != NULL)
        lag = strtol(at + strlen(series), NULL, 10);
    bpt_resp_free(&r);
    return lag;
}

/* Four requests on one partition, each held 3 s by the bank: the consumer's lag
 * (published between messages, every 5 s) counts those still queued, then
 * returns to 0 once all are collected. */
static void test_lag_while_the_bank_is_slow(void **state)
{
    (void)state;
    static const char *const invoices[] = {"INV-LAG-1", "INV-LAG-2", "INV-LAG-3", "INV-LAG-4"};
    for (size_t i = 0; i < 4; i++)
        pmf_request_send(&st, invoices[i], C2, 1000 + (long)i, "MDT-OK");
    long most = -1;
    for (int waited = 0; waited < 15000 && most < 1; waited += 200) {
        long lag = lag_now();
        most = lag > most ? lag : most;
        bpt_sleep_ms(200);
    }
    assert_true(most >= 1 && most <= 3);
    for (size_t i = 0; i < 4; i++)
        assert_true(pmf_wait_status(&st, invoices[i], "SUCCEEDED", 30000));
    long lag = -1;
    for (int waited = 0; waited < 10000 && lag != 0; waited += 200) {
        lag = lag_now();
        bpt_sleep_ms(200);
    }
    assert_int_equal(lag, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_during_bank_delay),
        cmocka_unit_test(test_sigterm_during_bank_delay),
        cmocka_unit_test(test_database_down_then_back),
        cmocka_unit_test(test_lag_while_the_bank_is_slow),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
