/* Integration: month-end billing runs on billing. Dry run, real run, repeated
 * and concurrent runs (one invoice per contract and period, gap-free numbers),
 * the invoice's lines, refunds and VAT breakdown, invoice.issued and
 * payment.requested events, settlement by invoice.sent / payment.succeeded /
 * payment.failed (redelivered: applied once), and month ends in Europe/Paris:
 * 23:59 and 00:00 on the last day, 28 February, both clock changes, and a
 * contract whose validity starts or ends mid-month; an operation whose stored
 * VAT is unreadable fails its contract only; a 4,000-line invoice is published
 * whole, one too large for any event is refused without stalling the outbox. */
#include "billing_fixture.h"
#include "contract_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static blf_stack st;

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_ALL);
    blf_start(&st, "it_billing_runs");
    return 0;
}

static int teardown(void **state)
{
    blf_stop(&st);
    return 0;
}

static bpt_resp run(const char *period, bool dry)
{
    char body[128];
    snprintf(body, sizeof body, "{\"period\":\"%s\",\"dryRun\":%s}", period,
             dry ? "true" : "false");
    return bpt_http("POST", st.billing.port, "/billing-runs", BPT_API_KEY, body, NULL);
}

static long count_of(const bpt_resp *r, const char *name)
{
    return (long)json_integer_value(json_object_get(json_object_get(r->json, "counts"), name));
}

static void buy_ok(const char *ref, const char *order, const char *amount, const char *at)
{
    char code[64];
    long s = blf_buy(st.billing.port, ref, order, amount, at, code);
    if (s != 201)
        fprintf(stderr, "purchase %s %s at %s: %ld %s\n", ref, order, at, s, code);
    assert_int_equal(s, 201);
}

static json_t *get_invoice(const char *ref)
{
    char path[128];
    snprintf(path, sizeof path, "/invoices/%s", ref);
    bpt_resp r = bpt_http("GET", st.billing.port, path, BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *inv = json_incref(r.json);
    bpt_resp_free(&r);
    return inv;
}

static json_t *invoices_of(const char *contract_ref, const char *period)
{
    char path[256];
    snprintf(path, sizeof path, "/invoices?contractRef=%s&period=%s", contract_ref, period);
    bpt_resp r = bpt_http("GET", st.billing.port, path, BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *items = json_incref(json_object_get(r.json, "invoices"));
    bpt_resp_free(&r);
    return items;
}

/* The first invoice of a contract in a period (a new reference; NULL when none). */
static json_t *first_invoice_of(const char *contract_ref, const char *period)
{
    json_t *items = invoices_of(contract_ref, period);
    json_t *first = json_incref(json_array_get(items, 0));
    json_decref(items);
    return first;
}

/* The minor units of the Money object o[name] (bpt_money checks its shape). */
static long minor(const json_t *o, const char *name) { return (long)bpt_money(o, name, "EUR"); }

static void test_run_dry_then_real_then_again(void **state)
{
    blf_contract(&st, "CTR-RUN-A", "1000.00", NULL);
    blf_contract(&st, "CTR-RUN-B", "1000.00", NULL);
    buy_ok("CTR-RUN-A", "A-1", "100.00", "2026-10-05");
    buy_ok("CTR-RUN-A", "A-2", "50.00", "2026-10-20");
    /* A refund of 30.00 of A-1 in the same month: a negative line. */
    char *refund = blf_operation("CTR-RUN-A", "A-R1", "30.00", "2026-10-25", "A-1");
    bpt_resp rr = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, refund, NULL);
    assert_int_equal(rr.status, 201);
    bpt_resp_free(&rr);
    free(refund);
    /* Two VAT rates on one operation of B. */
    const char *two_rates =
        "{\"contractRef\":\"CTR-RUN-B\",\"operationAt\":\"2026-10-10\",\"order\":{\"orderRef\":"
        "\"B-1\",\"currencyCode\":\"EUR\",\"orderItems\":[{\"productItems\":["
        "{\"quantity\":2,\"unitPrice\":\"8.40\",\"vatRate\":5.5},"
        "{\"quantity\":1,\"unitPrice\":\"2.80\",\"vatRate\":20}]}]}}";
    rr = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, two_rates, NULL);
    assert_int_equal(rr.status, 201);
    bpt_resp_free(&rr);
    buy_ok("CTR-RUN-B", "B-NOV", "5.00", "2026-11-02"); /* next period: not billed in October */

    bpt_resp dry = run("2026-10", true);
    assert_int_equal(dry.status, 200);
    assert_int_equal(json_array_size(json_object_get(dry.json, "invoices")), 2);
    assert_int_equal(bpt_sql_long(st.billing_db, "SELECT count(*) FROM invoices"), 0);
    assert_int_equal(bpt_sql_long(st.billing_db,
                                  "SELECT count(*) FROM operations WHERE invoice_ref IS NOT NULL"),
                     0);

    bpt_resp real = run("2026-10", false);
    assert_int_equal(real.status, 201);
    assert_string_equal(json_string_value(json_object_get(real.json, "status")), "COMPLETED");
    assert_int_equal(count_of(&real, "invoicesIssued"), 2);
    /* The dry run announced exactly these invoices. */
    json_t *a = first_invoice_of("CTR-RUN-A", "2026-10");
    json_t *dry_a = NULL;
    size_t i;
    json_t *inv;
    json_array_foreach(json_object_get(dry.json, "invoices"), i, inv)
    {
        if (!strcmp(json_string_value(json_object_get(inv, "contractRef")), "CTR-RUN-A"))
            dry_a = inv;
    }
    assert_non_null(dry_a);
    assert_string_equal(json_string_value(json_object_get(dry_a, "invoiceRef")),
                        json_string_value(json_object_get(a, "invoiceRef")));
    assert_int_equal(minor(dry_a, "totalWithTax"), minor(a, "totalWithTax"));
    /* the dry run and GET /invoices answer the same amounts, in the same text */
    static const char *const same[] = {"totalWithoutTax", "totalTax", "totalWithTax", "lines",
                                       "vatBreakdown"};
    for (size_t k = 0; k < sizeof same / sizeof same[0]; k++) {
        char *x = json_dumps(json_object_get(dry_a, same[k]), JSON_COMPACT | JSON_ENCODE_ANY);
        char *y = json_dumps(json_object_get(a, same[k]), JSON_COMPACT | JSON_ENCODE_ANY);
        if (strcmp(x, y) != 0)
            fail_msg("%s: dry run %s, invoice %s", same[k], x, y);
        free(x);
        free(y);
    }

    /* A: 100 + 50 - 30 = 120.00, three lines, the refund negative. */
    assert_int_equal(minor(a, "totalWithTax"), 12000);
    json_t *lines = json_object_get(a, "lines");
    assert_int_equal(json_array_size(lines), 3);
    assert_int_equal(minor(json_array_get(lines, 2), "amountWithTax"), -3000);
    assert_string_equal(json_string_value(json_object_get(a, "status")), "ISSUED");
    assert_string_equal(json_string_value(json_object_get(a, "period")), "2026-10");
    /* B: 16.80 at 5.5 % (0.92) and 2.80 at 20 % (0.56): two VAT lines. */
    json_t *b = first_invoice_of("CTR-RUN-B", "2026-10");
    assert_int_equal(minor(b, "totalWithoutTax"), 1960);
    assert_int_equal(minor(b, "totalTax"), 148);
    assert_int_equal(minor(b, "totalWithTax"), 2108);
    json_t *vat = json_object_get(b, "vatBreakdown");
    assert_int_equal(json_array_size(vat), 2);
    assert_int_equal(minor(json_array_get(vat, 0), "tax"), 92);
    assert_int_equal(minor(json_array_get(vat, 1), "tax"), 56);
    /* The due date is the issue date + 30 days (the fixture's payment term). */
    assert_int_equal(bpt_sql_long(st.billing_db, "SELECT min(due_date - issue_date) FROM invoices"),
                     30);
    /* GET /invoices/{ref} carries its operations; GET /operations?invoiceRef lists them. */
    json_t *full = get_invoice(json_string_value(json_object_get(a, "invoiceRef")));
    assert_int_equal(json_array_size(json_object_get(full, "operations")), 3);
    char path[256];
    snprintf(path, sizeof path, "/operations?invoiceRef=%s",
             json_string_value(json_object_get(a, "invoiceRef")));
    bpt_resp ops = bpt_http("GET", st.billing.port, path, BPT_READ_KEY, NULL, NULL);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(ops.json, "metadata"), "totalItems")),
        3);
    bpt_resp_free(&ops);
    json_decref(full);

    /* Again: nothing more. */
    bpt_resp again = run("2026-10", false);
    assert_int_equal(again.status, 201);
    assert_int_equal(count_of(&again, "invoicesIssued"), 0);
    assert_int_equal(bpt_sql_long(st.billing_db, "SELECT count(*) FROM invoices"), 2);
    json_decref(a);
    json_decref(b);
    bpt_resp_free(&dry);
    bpt_resp_free(&real);
    bpt_resp_free(&again);
}

static void *run_thread(void *arg)
{
    bpt_resp *r = arg;
    *r = run("2026-09", false);
    return NULL;
}

static void test_concurrent_runs_one_invoice_gap_free(void **state)
{
    enum { N = 12 };
    for (int i = 0; i < N; i++) {
        char ref[32], order[32];
        snprintf(ref, sizeof ref, "CTR-CONC-RUN-%02d", i);
        snprintf(order, sizeof order, "S-%02d", i);
        blf_contract(&st, ref, "1000.00", NULL);
        buy_ok(ref, order, "10.00", "2026-09-15");
    }
    bpt_resp r[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, run_thread, &r[i]);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    long issued = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(r[i].status, 201);
        issued += count_of(&r[i], "invoicesIssued");
        bpt_resp_free(&r[i]);
    }
    assert_int_equal(issued, N);
    assert_int_equal(
        bpt_sql_long(st.billing_db, "SELECT count(*) FROM invoices WHERE period = '2026-09'"), N);
    /* Gap-free: the numbers of the year are exactly 1..count. */
    assert_int_equal(bpt_sql_long(st.billing_db,
                                  "SELECT count(*) - max(substr(invoice_ref, 10)::int)"
                                  " FROM invoices WHERE invoice_ref LIKE 'INV-2026-%'"),
                     0);
}

static void test_events_and_settlement(void **state)
{
    json_t *a = first_invoice_of("CTR-RUN-A", "2026-10");
    json_t *b = first_invoice_of("CTR-RUN-B", "2026-10");
    const char *ref_a = json_string_value(json_object_get(a, "invoiceRef"));
    const char *ref_b = json_string_value(json_object_get(b, "invoiceRef"));
    const char *id_a = json_string_value(json_object_get(a, "contractId"));
    const char *id_b = json_string_value(json_object_get(b, "contractId"));
    for (int i = 0;
         i < 100 &&
         bpt_sql_long(st.billing_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL") > 0;
         i++)
        bpt_sleep_ms(100);
    /* Billing published one invoice.issued and one payment.requested per invoice. */
    long invoices = bpt_sql_long(st.billing_db, "SELECT count(*) FROM invoices");
    assert_int_equal(bpt_sql_long(st.billing_db,
                                  "SELECT count(*) FROM outbox WHERE payload::json->>'type' ="
                                  " 'invoice.issued'"),
                     invoices);
    assert_int_equal(bpt_sql_long(st.billing_db,
                                  "SELECT count(*) FROM outbox WHERE payload::json->>'type' ="
                                  " 'payment.requested'"),
                     invoices);

    long before_a = blf_outstanding(&st, "CTR-RUN-A");
    char ev[1024];
    snprintf(ev, sizeof ev,
             "{\"specversion\":\"1.0\",\"id\":\"aaaaaaaa-0000-4000-8000-000000000001\","
             "\"source\":\"/boissipay/payment\",\"type\":\"payment.succeeded\","
             "\"time\":\"2026-12-01T06:00:00.000Z\",\"subject\":\"%s\","
             "\"datacontenttype\":\"application/json\",\"data\":{\"paymentId\":"
             "\"aaaaaaaa-0000-4000-8000-0000000000ff\",\"invoiceRef\":\"%s\",\"contractId\":\"%s\","
             "\"amount\":{\"amount\":\"120.00\",\"currency\":\"EUR\",\"minorUnits\":12000},"
             "\"currency\":\"EUR\",\"status\":\"SUCCEEDED\","
             "\"collectedAt\":\"2026-12-01T06:00:00.000Z\"}}",
             ref_a, ref_a, id_a);
    bpt_produce(st.payment_topic, id_a, ev);
    bpt_produce(st.payment_topic, id_a, ev); /* redelivered: applied once */
    snprintf(
        ev, sizeof ev,
        "{\"specversion\":\"1.0\",\"id\":\"aaaaaaaa-0000-4000-8000-000000000002\","
        "\"source\":\"/boissipay/payment\",\"type\":\"payment.failed\","
        "\"time\":\"2026-12-01T06:00:00.000Z\",\"subject\":\"%s\","
        "\"datacontenttype\":\"application/json\",\"data\":{\"paymentId\":"
        "\"aaaaaaaa-0000-4000-8000-0000000000fe\",\"invoiceRef\":\"%s\",\"contractId\":\"%s\","
        "\"amountMinor\":2108,\"currency\":\"EUR\",\"status\":\"FAILED\",\"reasonCode\":"
        "\"AM04\",\"reason\":\"insufficient funds\",\"failedAt\":\"2026-12-01T06:00:00.000Z\"}}",
        ref_b, ref_b, id_b);
    bpt_produce(st.payment_topic, id_b, ev); /* as payment wrote it before Money objects */
    snprintf(ev, sizeof ev,
             "{\"specversion\":\"1.0\",\"id\":\"aaaaaaaa-0000-4000-8000-000000000003\","
             "\"source\":\"/boissipay/invoice-mailer\",\"type\":\"invoice.sent\","
             "\"time\":\"2026-11-01T00:06:00.000Z\",\"subject\":\"%s\","
             "\"datacontenttype\":\"application/json\",\"data\":{\"invoiceRef\":\"%s\","
             "\"contractId\":\"%s\",\"to\":\"ap@acme.example\",\"messageId\":\"<%s@boissipay>\","
             "\"sentAt\":\"2026-11-01T00:06:00.000Z\"}}",
             ref_b, ref_b, id_b, ref_b);
    bpt_produce(st.invoice_topic, id_b, ev);

    const char *status_a = NULL, *status_b = NULL;
    json_t *ia = NULL, *ib = NULL;
    for (int i = 0; i < 100; i++) {
        json_decref(ia);
        json_decref(ib);
        ia = get_invoice(ref_a);
        ib = get_invoice(ref_b);
        status_a = json_string_value(json_object_get(ia, "status"));
        status_b = json_string_value(json_object_get(ib, "status"));
        if (!strcmp(status_a, "PAID") && !strcmp(status_b, "PAYMENT_FAILED") &&
            json_object_get(ib, "sentAt") != NULL)
            break;
        bpt_sleep_ms(100);
    }
    assert_string_equal(status_a, "PAID");
    assert_string_equal(status_b, "PAYMENT_FAILED"); /* sent, then the payment failed */
    assert_non_null(json_object_get(ib, "sentAt"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(ib, "paymentFailure"), "reasonCode")),
        "AM04");
    bpt_sleep_ms(500); /* the redelivered success had its chance */
    assert_int_equal(blf_outstanding(&st, "CTR-RUN-A"), before_a - 12000);
    /* The failure stays owed and shows on the account. */
    bpt_resp acc =
        bpt_http("GET", st.billing.port, "/contracts/CTR-RUN-B/account", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(acc.json, "failedPayments")), 1);
    bpt_resp_free(&acc);
    json_decref(ia);
    json_decref(ib);
    json_decref(a);
    json_decref(b);
}

static void test_month_ends_in_paris(void **state)
{
    blf_contract(&st, "CTR-EDGE", "1000.00", NULL);
    /* 23:59 and 00:00 local on the last day of October (CET after 25 October). */
    buy_ok("CTR-EDGE", "E-OCT-2359", "1.00", "2026-10-31T23:59:00+01:00");
    buy_ok("CTR-EDGE", "E-NOV-0000", "2.00", "2026-11-01T00:00:00+01:00");
    /* The same instants written in UTC. */
    buy_ok("CTR-EDGE", "E-OCT-UTC", "4.00", "2026-10-31T22:59:00Z");
    buy_ok("CTR-EDGE", "E-NOV-UTC", "8.00", "2026-10-31T23:00:00Z");
    /* 28 February (2026 is not a leap year) and 1 March at midnight. */
    buy_ok("CTR-EDGE", "E-FEB-28", "16.00", "2026-02-28T23:59:59+01:00");
    buy_ok("CTR-EDGE", "E-MAR-01", "32.00", "2026-03-01T00:00:00+01:00");
    /* The clock changes: 29 March 02:00 CET → 03:00 CEST; 25 October 03:00 CEST → 02:00 CET. */
    buy_ok("CTR-EDGE", "E-MAR-DST", "64.00", "2026-03-29T03:30:00+02:00");
    buy_ok("CTR-EDGE", "E-OCT-DST", "128.00", "2026-10-25T02:30:00+01:00");

    bpt_resp feb = run("2026-02", false);
    assert_int_equal(feb.status, 201);
    bpt_resp_free(&feb);
    json_t *inv = first_invoice_of("CTR-EDGE", "2026-02");
    assert_int_equal(minor(inv, "totalWithTax"), 1600);
    json_decref(inv);
    bpt_resp mar = run("2026-03", false);
    bpt_resp_free(&mar);
    inv = first_invoice_of("CTR-EDGE", "2026-03");
    assert_int_equal(minor(inv, "totalWithTax"), 3200 + 6400);
    json_decref(inv);
    bpt_resp oct = run("2026-10", false);
    bpt_resp_free(&oct);
    inv = first_invoice_of("CTR-EDGE", "2026-10");
    assert_int_equal(minor(inv, "totalWithTax"), 100 + 400 + 12800);
    json_decref(inv);
    /* The November ones wait for November. */
    assert_int_equal(bpt_sql_long(st.billing_db,
                                  "SELECT count(*) FROM operations WHERE contract_ref = 'CTR-EDGE'"
                                  " AND invoice_ref IS NULL"),
                     2);
}

static void test_validity_mid_month(void **state)
{
    /* Starts on 16 October: a purchase on the 10th is refused, the 20th billed. */
    blf_contract(&st, "CTR-MID-START", "1000.00", "{\"activatedAt\":\"2026-10-16\"}");
    char code[64];
    assert_int_equal(blf_buy(st.billing.port, "CTR-MID-START", "M-10", "1.00", "2026-10-10", code),
                     422);
    assert_string_equal(code, "CONTRACT_EXPIRED");
    buy_ok("CTR-MID-START", "M-20", "2.00", "2026-10-20");
    /* Ends in two days: before the end billed, after refused. */
    char end[11], before[11], after[11];
    ctf_date(2, end);
    ctf_date(-1, before);
    ctf_date(3, after);
    char over[128];
    snprintf(over, sizeof over, "{\"expireAt\":\"%s\"}", end);
    blf_contract(&st, "CTR-MID-END", "1000.00", over);
    buy_ok("CTR-MID-END", "N-1", "3.00", before);
    assert_int_equal(blf_buy(st.billing.port, "CTR-MID-END", "N-2", "4.00", after, code), 422);
    assert_string_equal(code, "CONTRACT_EXPIRED");

    bpt_resp oct = run("2026-10", false);
    assert_int_equal(oct.status, 201);
    bpt_resp_free(&oct);
    json_t *inv = first_invoice_of("CTR-MID-START", "2026-10");
    assert_int_equal(minor(inv, "totalWithTax"), 200);
    json_decref(inv);
    char period[8];
    snprintf(period, sizeof period, "%.7s", before);
    bpt_resp cur = run(period, false);
    assert_int_equal(cur.status, 201);
    bpt_resp_free(&cur);
    inv = first_invoice_of("CTR-MID-END", period);
    assert_int_equal(minor(inv, "totalWithTax"), 300);
    json_decref(inv);
}

static void *run_august(void *arg)
{
    bpt_resp *r = arg;
    *r = run("2026-08", false);
    return NULL;
}

static void test_killed_half_way_resumes(void **state)
{
    enum { N = 300 };
    char *body = NULL;
    for (int i = 0; i < N; i++) {
        char ref[32], over[96];
        snprintf(ref, sizeof ref, "CTR-KILLRUN-%03d", i);
        snprintf(over, sizeof over, "{\"contractRef\":\"%s\"}", ref);
        body = ctf_request(over);
        bpt_resp c = bpt_http("POST", st.contract.port, "/contracts", BPT_API_KEY, body, NULL);
        assert_int_equal(c.status, 201);
        bpt_resp_free(&c);
        free(body);
    }
    for (int i = 0; i < N; i++) {
        char ref[32];
        snprintf(ref, sizeof ref, "CTR-KILLRUN-%03d", i);
        assert_true(blf_wait_version(&st, ref, 1, 20000));
        buy_ok(ref, "K-AUG", "7.00", "2026-08-10");
    }
    bpt_resp r;
    pthread_t t;
    pthread_create(&t, NULL, run_august, &r);
    /* Kill billing once the run has committed some invoices, not all. */
    for (int i = 0; i < 400; i++) {
        long done =
            bpt_sql_long(st.billing_db, "SELECT count(*) FROM invoices WHERE period = '2026-08'");
        if (done > 0)
            break;
        bpt_sleep_ms(5);
    }
    assert_int_equal(bpt_proc_stop(&st.billing, SIGKILL), 128 + SIGKILL);
    pthread_join(t, NULL);
    bpt_resp_free(&r);
    long half =
        bpt_sql_long(st.billing_db, "SELECT count(*) FROM invoices WHERE period = '2026-08'");
    bpt_proc_restart(&st.billing);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ready", st.billing.port);
    assert_true(bpt_wait_status(url, 200, 30000));
    bpt_resp again = run("2026-08", false);
    assert_int_equal(again.status, 201);
    assert_int_equal(count_of(&again, "invoicesIssued"), N - half);
    bpt_resp_free(&again);
    fprintf(stderr, "killed after %ld of %d invoices; the next run issued the rest\n", half, N);
    assert_int_equal(
        bpt_sql_long(st.billing_db, "SELECT count(*) FROM invoices WHERE period = '2026-08'"), N);
    assert_int_equal(bpt_sql_long(st.billing_db,
                                  "SELECT count(*) - max(substr(invoice_ref, 10)::int)"
                                  " FROM invoices WHERE invoice_ref LIKE 'INV-2026-%'"),
                     0);
    assert_true(bpt_sql_long(st.billing_db,
                             "SELECT count(*) FROM billing_runs WHERE status = 'INTERRUPTED'") >=
                1);
}

static void test_bad_runs(void **state)
{
    const char *bodies[] = {"{\"period\":\"2026-13\"}", "{\"period\":\"26-10\"}", "{}",
                            "{\"period\":\"2026-10\",\"dryRun\":1}"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        bpt_resp r =
            bpt_http("POST", st.billing.port, "/billing-runs", BPT_API_KEY, bodies[i], NULL);
        assert_int_equal(r.status, 400);
        assert_string_equal(bpt_error_code(&r), "VALIDATION_ERROR");
        bpt_resp_free(&r);
    }
    /* A month before 2000: the message names the range, not only the format. */
    bpt_resp r = bpt_http("POST", st.billing.port, "/billing-runs", BPT_API_KEY,
                          "{\"period\":\"1544-12\"}", NULL);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "2000-01 to 9999-12"));
    bpt_resp_free(&r);
    /* A well-formed month not started yet breaks a rule, not the schema: 422. */
    r = bpt_http("POST", st.billing.port, "/billing-runs", BPT_API_KEY, "{\"period\":\"2099-01\"}",
                 NULL);
    assert_int_equal(r.status, 422);
    assert_string_equal(bpt_error_code(&r), "PERIOD_NOT_STARTED");
    bpt_resp_free(&r);
    r = bpt_http("GET", st.billing.port, "/invoices?period=1544-12", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "2000-01 to 9999-12"));
    bpt_resp_free(&r);
    r = bpt_http("GET", st.billing.port, "/invoices/INV-1999-000001", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 404);
    bpt_resp_free(&r);
    r = bpt_http("GET", st.billing.port, "/invoices?period=10-2026", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 400);
    bpt_resp_free(&r);
    r = bpt_http("GET", st.billing.port, "/billing-runs?size=2", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "billingRuns")), 2);
    bpt_resp_free(&r);
}

/* An operation whose stored VAT cannot be read (data damaged by hand, say)
 * keeps its own contract out of the run, and only it: the others of its chunk
 * are invoiced, the run completes, the number it drew is given back. */
static void insert_operation(const char *ref, const char *order, const char *vat)
{
    char sql[1200];
    snprintf(sql, sizeof sql,
             "INSERT INTO operations (operation_id, contract_id, contract_ref, order_ref,"
             " operation_type, status, currency, amount, operation_at, operation_date,"
             " request_hash, doc, amount_without_tax, amount_tax, vat)"
             " SELECT gen_random_uuid(), contract_id, contract_ref, '%s', 'PURCHASE', 'ACCEPTED',"
             " 'EUR', 1200, '2025-01-15 12:00+01', '2025-01-15', sha256('%s'::bytea),"
             " json_build_object('orderRef', '%s'), 1000, 200, '%s'"
             " FROM accounts WHERE contract_ref = '%s' RETURNING 1",
             order, order, order, vat, ref);
    free(bpt_sql(st.billing_db, sql));
}

static void test_unreadable_vat_fails_one_contract(void **state)
{
    blf_contract(&st, "CTR-VAT-OK", "1000.00", NULL);
    blf_contract(&st, "CTR-VAT-BAD", "1000.00", NULL);
    insert_operation("CTR-VAT-OK", "V-1", "[{\"bp\":2000,\"base\":1000,\"tax\":200}]");
    insert_operation("CTR-VAT-BAD", "V-2", "[{\"bp\":\"twenty\",\"base\":1000,\"tax\":200}]");
    long before = bpt_sql_long(st.billing_db, "SELECT coalesce(max(last), 0) FROM invoice_counters"
                                              " WHERE year = extract(year FROM now())::int");
    bpt_resp r = run("2025-01", true); /* the dry run foresees it */
    assert_int_equal(r.status, 200);
    assert_int_equal(count_of(&r, "invoicesIssued"), 1);
    assert_int_equal(count_of(&r, "failed"), 1);
    assert_int_equal(json_array_size(json_object_get(r.json, "invoices")), 1);
    bpt_resp_free(&r);
    r = run("2025-01", false);
    assert_int_equal(r.status, 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "COMPLETED");
    assert_int_equal(count_of(&r, "invoicesIssued"), 1);
    assert_int_equal(count_of(&r, "failed"), 1);
    bpt_resp_free(&r);
    json_t *ok = first_invoice_of("CTR-VAT-OK", "2025-01");
    assert_non_null(ok);
    assert_int_equal(minor(ok, "totalWithTax"), 1200);
    json_decref(ok);
    json_t *bad = first_invoice_of("CTR-VAT-BAD", "2025-01");
    assert_null(bad);
    assert_int_equal(bpt_sql_long(st.billing_db,
                                  "SELECT count(*) FROM operations"
                                  " WHERE order_ref = 'V-2' AND invoice_ref IS NULL"),
                     1);
    /* One number used, none lost. */
    assert_int_equal(bpt_sql_long(st.billing_db, "SELECT max(last) FROM invoice_counters"
                                                 " WHERE year = extract(year FROM now())::int"),
                     before + 1);
    /* Repaired, the next run of the month invoices it. */
    free(bpt_sql(st.billing_db, "UPDATE operations SET vat = '[{\"bp\":2000,\"base\":1000,"
                                "\"tax\":200}]' WHERE order_ref = 'V-2' RETURNING 1"));
    r = run("2025-01", false);
    assert_int_equal(r.status, 201);
    assert_int_equal(count_of(&r, "invoicesIssued"), 1);
    assert_int_equal(count_of(&r, "failed"), 0);
    bpt_resp_free(&r);
}

/* n accepted operations of 12.00 dated `date` for contract `ref`, inserted as
 * billing would have stored them (quicker than n purchases over HTTP). */
static void insert_operations(const char *ref, int n, const char *date)
{
    char sql[1600];
    snprintf(sql, sizeof sql,
             "WITH ins AS (INSERT INTO operations (operation_id, contract_id, contract_ref,"
             " order_ref, operation_type, status, currency, amount, operation_at, operation_date,"
             " request_hash, doc, amount_without_tax, amount_tax, vat)"
             " SELECT gen_random_uuid(), contract_id, contract_ref, contract_ref || '-' || k,"
             " 'PURCHASE', 'ACCEPTED', 'EUR', 1200, '%s 12:00+01', '%s',"
             " sha256(convert_to(contract_ref || k, 'UTF8')),"
             " json_build_object('orderRef', contract_ref || '-' || k), 1000, 200,"
             " '[{\"bp\":2000,\"base\":1000,\"tax\":200}]'"
             " FROM accounts, generate_series(1, %d) k WHERE contract_ref = '%s' RETURNING 1)"
             " SELECT count(*) FROM ins",
             date, date, n, ref);
    assert_int_equal(bpt_sql_long(st.billing_db, sql), n);
}

/* A large account's month: 4,000 operations make a 1 MB invoice.issued, which
 * goes out whole. One too large for any event (80,000 operations, 19 MB) is
 * not issued — the outbox would stall behind it — and nothing else is held up. */
static void test_large_invoices(void **state)
{
    blf_contract(&st, "CTR-BIG", "100000.00", NULL);
    blf_contract(&st, "CTR-HUGE", "100000.00", NULL);
    insert_operations("CTR-BIG", 4000, "2025-02-14");
    insert_operations("CTR-HUGE", 80000, "2025-02-14");
    bpt_resp r = run("2025-02", true);
    assert_int_equal(r.status, 200);
    assert_int_equal(count_of(&r, "invoicesIssued"), 1);
    assert_int_equal(count_of(&r, "failed"), 1);
    bpt_resp_free(&r);
    r = run("2025-02", false);
    assert_int_equal(r.status, 201);
    assert_int_equal(count_of(&r, "invoicesIssued"), 1);
    assert_int_equal(count_of(&r, "failed"), 1);
    bpt_resp_free(&r);
    json_t *big = first_invoice_of("CTR-BIG", "2025-02");
    assert_non_null(big);
    assert_int_equal(minor(big, "totalWithTax"), 4000L * 1200);
    json_decref(big);
    assert_null(first_invoice_of("CTR-HUGE", "2025-02"));
    assert_int_equal(bpt_sql_long(st.billing_db, "SELECT count(*) FROM operations"
                                                 " WHERE contract_ref = 'CTR-HUGE'"
                                                 " AND invoice_ref IS NULL"),
                     80000);
    /* Every event reached Kafka, the 1 MB one included. */
    long left = 1;
    for (int waited = 0; waited < 30000 && left > 0; waited += 200) {
        left =
            bpt_sql_long(st.billing_db, "SELECT count(*) FROM outbox WHERE published_at IS NULL");
        if (left > 0)
            bpt_sleep_ms(200);
    }
    assert_int_equal(left, 0);
    assert_true(bpt_sql_long(st.billing_db, "SELECT max(octet_length(payload)) FROM outbox"
                                            " WHERE event_type = 'invoice.issued'") > 1000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_dry_then_real_then_again),
        cmocka_unit_test(test_concurrent_runs_one_invoice_gap_free),
        cmocka_unit_test(test_events_and_settlement),
        cmocka_unit_test(test_month_ends_in_paris),
        cmocka_unit_test(test_validity_mid_month),
        cmocka_unit_test(test_killed_half_way_resumes),
        cmocka_unit_test(test_bad_runs),
        cmocka_unit_test(test_unreadable_vat_fails_one_contract),
        cmocka_unit_test(test_large_invoices),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
