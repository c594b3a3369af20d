/* Integration: the other way an account becomes overdue — an invoice left
 * unpaid BP_BILLING_OVERDUE_AFTER_DAYS past its due date (nobody answers its
 * payment.requested here). Billing's test clock (BP_TEST_CLOCK_FILE) moves its
 * calendar: the day before the limit the account still buys, the day after it
 * is refused ACCOUNT_OVERDUE (invoice.overdue, cause UNPAID_PAST_DUE), and the
 * invoice's payment.succeeded clears it (account.overdue_cleared). */
#include "billing_fixture.h"

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

#define AFTER_DAYS 10

static blf_stack st;
static char clock_file[600];

static void set_clock(long days)
{
    FILE *f = fopen(clock_file, "w");
    assert_non_null(f);
    fprintf(f, "%ld\n", days * 86400);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_ALL);
    blf_start(&st, "it_overdue");
    snprintf(clock_file, sizeof clock_file, "%s/it_overdue-clock", bpt_env("BPT_STATE_DIR"));
    set_clock(0);
    char kv[700];
    snprintf(kv, sizeof kv, "BP_TEST_CLOCK_FILE=%s", clock_file);
    bpt_proc_setenv(&st.billing, kv);
    snprintf(kv, sizeof kv, "BP_BILLING_OVERDUE_AFTER_DAYS=%d", AFTER_DAYS);
    bpt_proc_setenv(&st.billing, kv);
    bpt_proc_setenv(&st.billing, "BP_BILLING_OVERDUE_POLL_MS=200");
    assert_int_equal(bpt_proc_stop(&st.billing, SIGTERM), 0);
    bpt_proc_restart(&st.billing);
    char ready[128];
    snprintf(ready, sizeof ready, "http://127.0.0.1:%d/ready", st.billing.port);
    assert_true(bpt_wait_status(ready, 200, 30000));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    blf_stop(&st);
    return 0;
}

static bool overdue(const char *ref)
{
    char path[160];
    snprintf(path, sizeof path, "/contracts/%s/account", ref);
    bpt_resp r = bpt_http("GET", st.billing.port, path, BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 200);
    bool v = json_is_true(json_object_get(r.json, "overdue"));
    bpt_resp_free(&r);
    return v;
}

static void buy(const char *order, long status, const char *want)
{
    char code[64] = "";
    long s = blf_buy(st.billing.port, "CTR-OVD-1", order, "1.00", NULL, code);
    if (s != status || strcmp(code, want) != 0)
        fprintf(stderr, "purchase %s: %ld %s\n", order, s, code);
    assert_int_equal(s, status);
    assert_string_equal(code, want);
}

/* Days from today (UTC) to `date` (YYYY-MM-DD). */
static long days_until(const char *date)
{
    struct tm tm = {0};
    assert_non_null(strptime(date, "%Y-%m-%d", &tm));
    time_t t = timegm(&tm);
    return (long)((t - time(NULL)) / 86400) + 1;
}

static void test_unpaid_past_due(void **state)
{
    (void)state;
    blf_contract(&st, "CTR-OVD-1", "100.00", NULL);
    char code[64];
    assert_int_equal(blf_buy(st.billing.port, "CTR-OVD-1", "O-1", "20.00", "2026-10-05", code),
                     201);
    bpt_resp r = bpt_http("POST", st.billing.port, "/billing-runs", BPT_API_KEY,
                          "{\"period\":\"2026-10\"}", NULL);
    assert_int_equal(r.status, 201);
    bpt_resp_free(&r);
    r = bpt_http("GET", st.billing.port, "/invoices?contractRef=CTR-OVD-1&period=2026-10",
                 BPT_READ_KEY, NULL, NULL);
    json_t *inv = json_array_get(json_object_get(r.json, "invoices"), 0);
    char ref[128], contract_id[40], due[16];
    snprintf(ref, sizeof ref, "%s", json_string_value(json_object_get(inv, "invoiceRef")));
    snprintf(contract_id, sizeof contract_id, "%s",
             json_string_value(json_object_get(inv, "contractId")));
    snprintf(due, sizeof due, "%s", json_string_value(json_object_get(inv, "dueDate")));
    bpt_resp_free(&r);
    /* Today (Paris) is at most one day from today (UTC): stay a day clear of the limit. */
    long limit = days_until(due) + AFTER_DAYS;
    set_clock(limit - 1);
    bpt_sleep_ms(1000); /* several sweeps */
    assert_false(overdue("CTR-OVD-1"));
    buy("O-2", 201, "");
    set_clock(limit + 2);
    for (int waited = 0; !overdue("CTR-OVD-1") && waited < 10000; waited += 200)
        bpt_sleep_ms(200);
    assert_true(overdue("CTR-OVD-1"));
    buy("O-3", 422, "ACCOUNT_OVERDUE");
    char *refund = blf_operation("CTR-OVD-1", "O-1-R", "5.00", NULL, "O-1");
    r = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, refund, NULL);
    assert_int_equal(r.status, 201);
    bpt_resp_free(&r);
    free(refund);

    /* The invoice is paid: purchases accepted again. */
    char ev[1024];
    snprintf(ev, sizeof ev,
             "{\"specversion\":\"1.0\",\"id\":\"bbbbbbbb-0000-4000-8000-000000000001\","
             "\"source\":\"/boissipay/payment\",\"type\":\"payment.succeeded\","
             "\"time\":\"2026-12-01T06:00:00.000Z\",\"subject\":\"%s\","
             "\"datacontenttype\":\"application/json\",\"data\":{\"paymentId\":"
             "\"bbbbbbbb-0000-4000-8000-0000000000ff\",\"invoiceRef\":\"%s\",\"contractId\":\"%s\","
             "\"amount\":{\"amount\":\"20.00\",\"currency\":\"EUR\",\"minorUnits\":2000},"
             "\"currency\":\"EUR\",\"status\":\"SUCCEEDED\","
             "\"collectedAt\":\"2026-12-01T06:00:00.000Z\"}}",
             ref, ref, contract_id);
    bpt_produce(st.payment_topic, contract_id, ev);
    for (int waited = 0; overdue("CTR-OVD-1") && waited < 10000; waited += 200)
        bpt_sleep_ms(200);
    assert_false(overdue("CTR-OVD-1"));
    buy("O-4", 201, "");

    for (int i = 0; i < 50 && bpt_sql_long(st.billing_db, "SELECT count(*) FROM outbox"
                                                          " WHERE published_at IS NULL") > 0;
         i++)
        bpt_sleep_ms(200);
    const char *types[] = {"invoice.overdue", NULL};
    json_t *evs = bpt_events_of(st.invoice_topic, types, ref);
    assert_int_equal(json_array_size(evs), 1);
    json_t *data = json_object_get(json_object_get(json_array_get(evs, 0), "value"), "data");
    assert_string_equal(json_string_value(json_object_get(data, "cause")), "UNPAID_PAST_DUE");
    assert_string_equal(json_string_value(json_object_get(data, "dueDate")), due);
    json_decref(evs);
    const char *cleared[] = {"account.overdue_cleared", NULL};
    evs = bpt_events_of(st.invoice_topic, cleared, ref);
    assert_int_equal(json_array_size(evs), 1);
    json_decref(evs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unpaid_past_due),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
