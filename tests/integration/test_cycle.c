/* Integration: the whole deferred-payment cycle through the four daemons and a
 * real SMTP server. Purchases and a refund on three contracts → a billing run →
 * each customer gets exactly one e-mail with the right total → payment collects
 * by direct debit (one mandate is refused AM04) → invoices PAID or
 * PAYMENT_FAILED → outstanding balances back to what they should be → new
 * purchases accepted up to the limit again, except on the account whose
 * invoice is unpaid (overdue). Then the invoice as PDF: served by billing (the
 * same bytes to parallel clients) and attached to the mail, for a customer with a
 * Greek name. */
#include "billing_fixture.h"
#include "contract_fixture.h"
#include "mailer_fixture.h"
#include "bpt_pdf.h"

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
static bpt_proc payment, mailer;
static mlf_sink sink;
static char dead_letter[128];

static void start_daemon(bpt_proc *p, const char *name, const char *binary,
                         const char *const *extra)
{
    blf_start_cycle_daemon(&st, p, "it_cycle", name, binary, dead_letter, extra);
}

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_ALL);
    blf_start(&st, "it_cycle");
    snprintf(dead_letter, sizeof dead_letter, "it_cycle.dead-letter");
    bpt_topic_create(dead_letter, 3);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/it_cycle-mail", bpt_env("BPT_STATE_DIR"));
    mlf_sink_start(&sink, dir, bpt_free_port(), true);
    /* The whole month in a few seconds: debits when asked, not on the due date. */
    /* No dunning: the AM04 refusal is final at once (test_dunning retries). */
    const char *pay_extra[] = {"BP_BANK_FAIL_MANDATES=MDT-BROKE:AM04", "BP_PAYMENT_COLLECT=at-once",
                               "BP_PAYMENT_RETRY_DAYS=none", NULL};
    start_daemon(&payment, "payment", "services/payment/boissipay-payment", pay_extra);
    char smtp[128];
    snprintf(smtp, sizeof smtp, "BP_SMTP_URL=smtp://127.0.0.1:%d", sink.port);
    const char *mail_extra[] = {smtp, "BP_SMTP_RETRY_MIN_MS=200", NULL};
    start_daemon(&mailer, "mailer", "services/invoice-mailer/boissipay-invoice-mailer", mail_extra);
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(bpt_proc_stop(&mailer, SIGTERM), 0);
    assert_int_equal(bpt_proc_stop(&payment, SIGTERM), 0);
    bpt_proc_free(&mailer);
    bpt_proc_free(&payment);
    mlf_sink_stop(&sink);
    blf_stop(&st);
    return 0;
}

static void buy(const char *ref, const char *order, const char *amount, const char *date,
                long status)
{
    char code[64];
    long s = blf_buy(st.billing.port, ref, order, amount, date, code);
    if (s != status)
        fprintf(stderr, "purchase %s %s: %ld %s\n", ref, order, s, code);
    assert_int_equal(s, status);
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

static bool wait_invoice_status(const char *contract_ref, const char *status, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 200) {
        json_t *inv = invoice_of(contract_ref);
        const char *s = json_string_value(json_object_get(inv, "status"));
        bool ok = s != NULL && strcmp(s, status) == 0 && json_object_get(inv, "sentAt");
        json_decref(inv);
        if (ok)
            return true;
        bpt_sleep_ms(200);
    }
    return false;
}

static void test_whole_cycle(void **state)
{
    blf_contract(&st, "CTR-CYC-1", "100.00", NULL);
    blf_contract(&st, "CTR-CYC-2", "50.00", NULL);
    blf_contract(&st, "CTR-CYC-3", "100.00",
                 "{\"payment\":{\"mandate\":{\"reference\":\"MDT-BROKE\"}}}");
    buy("CTR-CYC-1", "C1-A", "60.00", "2026-10-03", 201);
    buy("CTR-CYC-1", "C1-B", "30.00", "2026-10-17", 201);
    char *refund = blf_operation("CTR-CYC-1", "C1-R", "10.00", "2026-10-20", "C1-A");
    bpt_resp r = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, refund, NULL);
    assert_int_equal(r.status, 201);
    bpt_resp_free(&r);
    free(refund);
    buy("CTR-CYC-2", "C2-A", "50.00", "2026-10-08", 201);
    buy("CTR-CYC-2", "C2-OVER", "0.01", "2026-10-09", 422); /* the limit is reached */
    buy("CTR-CYC-3", "C3-A", "40.00", "2026-10-12", 201);

    r = bpt_http("POST", st.billing.port, "/billing-runs", BPT_API_KEY, "{\"period\":\"2026-10\"}",
                 NULL);
    assert_int_equal(r.status, 201);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "counts"), "invoicesIssued")),
        3);
    bpt_resp_free(&r);

    /* Payment collects; the mailer sends; billing learns both. */
    assert_true(wait_invoice_status("CTR-CYC-1", "PAID", 30000));
    assert_true(wait_invoice_status("CTR-CYC-2", "PAID", 30000));
    assert_true(wait_invoice_status("CTR-CYC-3", "PAYMENT_FAILED", 30000));

    /* Exactly one e-mail per invoice, with its total. */
    const char *refs[] = {"CTR-CYC-1", "CTR-CYC-2", "CTR-CYC-3"};
    const char *totals[] = {"80.00 EUR", "50.00 EUR", "40.00 EUR"};
    for (int i = 0; i < 3; i++) {
        json_t *inv = invoice_of(refs[i]);
        const char *ref = json_string_value(json_object_get(inv, "invoiceRef"));
        assert_true(mlf_wait_count(&sink, ref, 1, 10000));
        assert_int_equal(mlf_count(&sink, ref), 1);
        int n = 0;
        mlf_mail *m = mlf_mails(&sink, &n);
        bool found = false;
        char want[160];
        snprintf(want, sizeof want, "<%s@boissipay>", ref);
        for (int k = 0; k < n; k++) {
            if (strcmp(m[k].message_id, want) == 0) {
                found = true;
                if (strstr(m[k].text, totals[i]) == NULL)
                    fprintf(stderr, "mail for %s lacks %s:\n%s\n", ref, totals[i], m[k].text);
                assert_non_null(strstr(m[k].text, totals[i]));
            }
        }
        assert_true(found);
        mlf_mails_free(m, n);
        json_decref(inv);
    }
    /* The collected invoices left the balance; the refused one is still owed. */
    assert_int_equal(blf_outstanding(&st, "CTR-CYC-1"), 0);
    assert_int_equal(blf_outstanding(&st, "CTR-CYC-2"), 0);
    assert_int_equal(blf_outstanding(&st, "CTR-CYC-3"), 4000);
    json_t *inv3 = invoice_of("CTR-CYC-3");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(inv3, "paymentFailure"), "reasonCode")),
        "AM04");
    json_decref(inv3);
    r = bpt_http("GET", st.billing.port, "/contracts/CTR-CYC-3/account", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "failedPayments")), 1);
    bpt_resp_free(&r);
    /* payment's own view agrees. */
    char path[128];
    snprintf(path, sizeof path, "/payments?status=SUCCEEDED");
    r = bpt_http("GET", payment.port, path, BPT_READ_KEY, NULL, NULL);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "metadata"), "totalItems")), 2);
    bpt_resp_free(&r);

    /* New purchases up to the limit again. */
    buy("CTR-CYC-1", "C1-NOV-1", "100.00", NULL, 201);
    buy("CTR-CYC-1", "C1-NOV-2", "0.01", NULL, 422);
    buy("CTR-CYC-2", "C2-NOV-1", "50.00", NULL, 201);
    /* The refused invoice is unpaid: its account is overdue, every purchase refused. */
    buy("CTR-CYC-3", "C3-NOV-1", "60.01", NULL, 422);
    char code[64];
    assert_int_equal(blf_buy(st.billing.port, "CTR-CYC-3", "C3-NOV-2", "0.01", NULL, code), 422);
    assert_string_equal(code, "ACCOUNT_OVERDUE");
}

static void expect_in(const char *text, const char *what, const char *where)
{
    if (strstr(text, what) == NULL)
        fail_msg("%s lacks \"%s\": %s", where, what, text);
}

/* What the PDF of invoice `inv` (its JSON, as billing serves it) must say. */
static void expect_pdf(const unsigned char *pdf, size_t len, const json_t *inv, const char *name,
                       const char *where)
{
    assert_true(len > 1000);
    assert_memory_equal(pdf, "%PDF-", 5);
    char *text = bpt_pdf_text(pdf, len);
    assert_non_null(text);
    char want[300];
    snprintf(want, sizeof want, "Invoice number %s",
             json_string_value(json_object_get(inv, "invoiceRef")));
    expect_in(text, want, where);
    expect_in(text, name, where);
    static const char *const totals[][2] = {{"totalWithoutTax", "Total without tax"},
                                            {"totalTax", "Total VAT"},
                                            {"totalWithTax", "Total with tax"}};
    for (int i = 0; i < 3; i++) {
        const json_t *m = json_object_get(inv, totals[i][0]);
        snprintf(want, sizeof want, "%s %s %s", totals[i][1],
                 json_string_value(json_object_get(m, "amount")),
                 json_string_value(json_object_get(m, "currency")));
        expect_in(text, want, where);
    }
    snprintf(want, sizeof want, "Due date %s", json_string_value(json_object_get(inv, "dueDate")));
    expect_in(text, want, where);
    snprintf(want, sizeof want,
             "%s EUR will be collected by SEPA direct debit on %s under mandate "
             "*******0042.",
             json_string_value(json_object_get(json_object_get(inv, "totalWithTax"), "amount")),
             json_string_value(json_object_get(inv, "dueDate")));
    expect_in(text, want, where);
    assert_null(strstr(text, "MDT-GR-0042"));
    free(text);
}

/* Several clients asking billing for the same PDF at once (each on its own HTTP worker,
 * pango's font map being per thread): every answer is the same document. */
typedef struct {
    const char *path;
    unsigned char *first;
    size_t first_len;
    int same, total;
} pdf_fetch;

static void *fetch_pdfs(void *arg)
{
    pdf_fetch *f = arg;
    for (int i = 0; i < 5; i++) {
        bpt_resp r = bpt_http("GET", st.billing.port, f->path, BPT_READ_KEY, NULL,
                              "Accept: application/pdf");
        if (r.status == 200) {
            if (f->first == NULL) {
                f->first = malloc(r.body_len);
                memcpy(f->first, r.body, r.body_len);
                f->first_len = r.body_len;
            }
            f->same += r.body_len == f->first_len && memcmp(r.body, f->first, r.body_len) == 0;
        }
        f->total++;
        bpt_resp_free(&r);
    }
    return NULL;
}

static void same_pdf_in_parallel(const char *path)
{
    enum { THREADS = 4 };
    pdf_fetch f[THREADS];
    pthread_t t[THREADS];
    memset(f, 0, sizeof f);
    for (int i = 0; i < THREADS; i++) {
        f[i].path = path;
        assert_int_equal(pthread_create(&t[i], NULL, fetch_pdfs, &f[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(f[i].total, 5);
        assert_int_equal(f[i].same, 5);
        assert_non_null(f[i].first);
        assert_int_equal(f[i].first_len, f[0].first_len);
        assert_memory_equal(f[i].first, f[0].first, f[0].first_len);
    }
    for (int i = 0; i < THREADS; i++)
        free(f[i].first);
}

/* The invoice as PDF, served by billing (Accept: application/pdf) and attached to the
 * mail, for a customer whose name is Greek: both carry the JSON invoice's number and
 * totals, and the name comes back out of the PDF's text. */
static void test_pdf_invoice(void **state)
{
    static const char greek[] = "Ταξιδιωτικό Γραφείο Αθηνών";
    char over[300];
    snprintf(over, sizeof over,
             "{\"subscriber\":{\"party\":{\"customerRef\":\"%s\"}},"
             "\"payment\":{\"mandate\":{\"reference\":\"MDT-GR-0042\"}}}",
             greek);
    blf_contract(&st, "CTR-CYC-GR", "1000.00", over);
    buy("CTR-CYC-GR", "GR-A", "120.00", "2026-09-10", 201);
    buy("CTR-CYC-GR", "GR-B", "35.55", "2026-09-21", 201);
    bpt_resp r = bpt_http("POST", st.billing.port, "/billing-runs", BPT_API_KEY,
                          "{\"period\":\"2026-09\"}", NULL);
    assert_int_equal(r.status, 201);
    bpt_resp_free(&r);
    r = bpt_http("GET", st.billing.port, "/invoices?contractRef=CTR-CYC-GR&period=2026-09",
                 BPT_READ_KEY, NULL, NULL);
    json_t *inv = json_incref(json_array_get(json_object_get(r.json, "invoices"), 0));
    bpt_resp_free(&r);
    assert_non_null(inv);
    const char *ref = json_string_value(json_object_get(inv, "invoiceRef"));
    char path[160], disposition[200];
    snprintf(path, sizeof path, "/invoices/%s", ref);
    snprintf(disposition, sizeof disposition, "inline; filename=\"invoice-%s.pdf\"", ref);

    /* billing: the PDF when asked for, JSON otherwise. */
    r = bpt_http("GET", st.billing.port, path, BPT_READ_KEY, NULL, "Accept: application/pdf");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/pdf");
    assert_string_equal(r.content_disposition, disposition);
    expect_pdf((const unsigned char *)r.body, r.body_len, inv, greek, "billing's PDF");
    size_t billing_len = r.body_len;
    unsigned char *billing_pdf = malloc(billing_len);
    memcpy(billing_pdf, r.body, billing_len);
    bpt_resp_free(&r);
    static const char *const json_accepts[] = {NULL, "Accept: application/json",
                                               "Accept: text/html",
                                               "Accept: application/pdf;q=0.5, */*"};
    for (size_t i = 0; i < 4; i++) {
        r = bpt_http("GET", st.billing.port, path, BPT_READ_KEY, NULL, json_accepts[i]);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.content_type, "application/json");
        assert_string_equal(json_string_value(json_object_get(r.json, "invoiceRef")), ref);
        bpt_resp_free(&r);
    }
    same_pdf_in_parallel(path);
    r = bpt_http("GET", st.billing.port, "/invoices/INV-1999-000001", BPT_READ_KEY, NULL,
                 "Accept: application/pdf");
    assert_int_equal(r.status, 404);
    assert_string_equal(bpt_error_code(&r), "NOT_FOUND");
    bpt_resp_free(&r);
    r = bpt_http("GET", st.billing.port, path, NULL, NULL, "Accept: application/pdf");
    assert_int_equal(r.status, 401);
    bpt_resp_free(&r);

    /* The mail: the same invoice attached. */
    assert_true(mlf_wait_count(&sink, ref, 1, 20000));
    int n = 0;
    mlf_mail *m = mlf_mails(&sink, &n);
    char want[160];
    snprintf(want, sizeof want, "<%s@boissipay>", ref);
    bool found = false;
    for (int k = 0; k < n; k++) {
        if (strcmp(m[k].message_id, want) != 0)
            continue;
        found = true;
        assert_non_null(m[k].pdf);
        snprintf(want, sizeof want, "invoice-%s.pdf", ref);
        assert_string_equal(m[k].pdf_name, want);
        expect_pdf(m[k].pdf, m[k].pdf_len, inv, greek, "the mail's PDF");
        /* One renderer, the same data: the very document billing serves. */
        assert_int_equal(m[k].pdf_len, billing_len);
        assert_memory_equal(m[k].pdf, billing_pdf, billing_len);
    }
    assert_true(found);
    free(billing_pdf);
    mlf_mails_free(m, n);
    json_decref(inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_cycle),
        cmocka_unit_test(test_pdf_invoice),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
