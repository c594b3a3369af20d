/* Integration: the invoice-mailer's normal life against real PostgreSQL,
 * Kafka and SMTP. An `invoice.issued` event becomes one e-mail (both parts
 * carry the right totals, the Message-ID is <INVOICE_REF@boissipay>) and one
 * `invoice.sent`; the same event again, or a new event for the same invoice,
 * sends nothing more; events of other types are skipped; messages that can
 * never be handled go to the dead-letter topic and the next one is mailed;
 * GET /mails filters and pages, GET /mails/{ref} answers 404/401. */
#include "mailer_fixture.h"
#include "bpt_pdf.h"

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

static mlf_stack st;

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_ALL);
    mlf_start(&st, "it_mailer_flow", NULL);
    return 0;
}

static int teardown(void **state)
{
    mlf_stop(&st);
    return 0;
}

/* The value of counter `metric` on the mailer (0 when absent). */
#define DEAD_LETTERS "bp_dead_letters_total{service=\"invoice-mailer\"}"

static long metric(const char *name)
{
    bpt_resp r = bpt_http("GET", st.mailer.port, "/metrics", NULL, NULL, NULL);
    long got = 0;
    for (const char *at = strstr(r.body, name); at != NULL; at = strstr(at + 1, name)) {
        if (at[strlen(name)] == ' ' && (at == r.body || at[-1] == '\n'))
            got = atol(at + strlen(name) + 1);
    }
    bpt_resp_free(&r);
    return got;
}

static bool wait_metric(const char *name, long want, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        if (metric(name) >= want)
            return true;
        bpt_sleep_ms(100);
    }
    return false;
}

/* Validates the values of `messages` (bpt_consume_all entries) against
 * asyncapi/boissipay.yaml with tests/events/validate_events.py. */
static void validate(json_t *messages, const char *name, const char *args)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s.jsonl", bpt_env("BPT_STATE_DIR"), name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m)
    {
        char *line =
            json_dumps(json_object_get(m, "value"), JSON_COMPACT | JSON_REAL_PRECISION(15));
        fprintf(f, "%s\n", line);
        free(line);
    }
    fclose(f);
    assert_int_equal(bpt_sh("/usr/bin/python3 %s/tests/events/validate_events.py "
                            "%s/asyncapi/boissipay.yaml %s %s >&2",
                            bpt_env("BPT_SOURCE_DIR"), bpt_env("BPT_SOURCE_DIR"), path, args),
                     0);
}

static const char *str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static void test_mail_sent_once_with_both_parts(void **state)
{
    mlf_issue(&st, "INV-2026-000101", "ap@acme.example", "CTR-ACME-001");
    assert_true(mlf_wait_count(&st.sink, "INV-2026-000101", 1, 20000));
    assert_true(mlf_wait_status(&st, "INV-2026-000101", "SENT", 10000));
    int n = 0;
    mlf_mail *m = mlf_mails(&st.sink, &n);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].envelope_to, "<ap@acme.example>");
    assert_string_equal(m[0].message_id, "<INV-2026-000101@boissipay>");
    assert_string_equal(m[0].subject, "Invoice INV-2026-000101, period 2026-10");
    assert_non_null(strstr(m[0].raw, "\r\nFrom: Boissipay <billing@boissipay.example>\r\n"));
    assert_non_null(strstr(m[0].raw, "X-Envelope-From: <billing@boissipay.example>"));
    assert_non_null(strstr(m[0].raw, "\r\nContent-Type: multipart/mixed;"));
    assert_non_null(strstr(m[0].raw, "Content-Type: multipart/alternative;"));
    /* The PDF attached: it parses, and carries the number and totals of the text part. */
    assert_non_null(m[0].pdf);
    assert_string_equal(m[0].pdf_name, "invoice-INV-2026-000101.pdf");
    assert_memory_equal(m[0].pdf, "%PDF-", 5);
    char *pdf_text = bpt_pdf_text(m[0].pdf, m[0].pdf_len);
    assert_non_null(pdf_text);
    static const char *const in_pdf[] = {"Invoice number INV-2026-000101",
                                         "Billing period 2026-10",
                                         "Due date 2026-12-01",
                                         "Total without tax 19.60 EUR",
                                         "Total VAT 1.48 EUR",
                                         "Total with tax 21.08 EUR",
                                         "ORD-<1>",
                                         "ACME & Co",
                                         "5.5 %",
                                         "under mandate ********-001."};
    for (size_t i = 0; i < sizeof in_pdf / sizeof in_pdf[0]; i++) {
        if (strstr(pdf_text, in_pdf[i]) == NULL)
            fail_msg("the PDF lacks '%s': %s", in_pdf[i], pdf_text);
    }
    assert_null(strstr(pdf_text, "MDT-ACME-001"));
    free(pdf_text);
    /* The plain-text part. */
    const char *t = m[0].text;
    assert_non_null(strstr(t, "Invoice INV-2026-000101"));
    static const char *const totals[][2] = {{"Total without tax", "19.60 EUR"},
                                            {"Total VAT", "1.48 EUR"},
                                            {"Total with tax", "21.08 EUR"}};
    for (int i = 0; i < 3; i++) {
        char line[80];
        snprintf(line, sizeof line, "\n%-22s %18s\n", totals[i][0], totals[i][1]);
        if (strstr(t, line) == NULL)
            fail_msg("text part lacks '%s':\n%s", line + 1, t);
    }
    assert_non_null(strstr(t, "5.5 %"));
    assert_non_null(strstr(t, "0.92 EUR"));
    assert_non_null(strstr(t, "ORD-<1>"));
    assert_non_null(strstr(t, "on 2026-12-01\nunder mandate MDT-ACME-001."));
    /* The HTML part, every value escaped. */
    const char *h = m[0].html;
    assert_non_null(strstr(h, ">21.08 EUR</th>"));
    assert_non_null(strstr(h, ">19.60 EUR</td>"));
    assert_non_null(strstr(h, ">1.48 EUR</td>"));
    assert_non_null(strstr(h, ">0.56 EUR</td>"));
    assert_non_null(strstr(h, "ORD-&lt;1&gt;"));
    assert_non_null(strstr(h, "ACME &amp; Co"));
    assert_null(strstr(h, "ORD-<1>"));
    assert_non_null(strstr(h, "MDT-ACME-001"));
    mlf_mails_free(m, n);

    /* invoice.sent, once, as docs/cycle-events.md describes it. */
    json_t *sent = mlf_sent_events(&st, "INV-2026-000101");
    assert_int_equal(json_array_size(sent), 1);
    json_t *msg = json_array_get(sent, 0);
    assert_string_equal(str(msg, "key"), MLF_CONTRACT_ID);
    json_t *ev = json_object_get(msg, "value");
    assert_string_equal(str(ev, "specversion"), "1.0");
    assert_string_equal(str(ev, "source"), "/boissipay/invoice-mailer");
    assert_string_equal(str(ev, "subject"), "INV-2026-000101");
    json_t *data = json_object_get(ev, "data");
    assert_string_equal(str(data, "invoiceRef"), "INV-2026-000101");
    assert_string_equal(str(data, "contractId"), MLF_CONTRACT_ID);
    assert_string_equal(str(data, "to"), "ap@acme.example");
    assert_string_equal(str(data, "messageId"), "<INV-2026-000101@boissipay>");
    assert_int_equal(strlen(str(data, "sentAt")), 24);
    assert_int_equal(str(data, "sentAt")[23], 'Z');
    validate(sent, "mailer-invoice-sent", "--expect-types invoice.sent");
    json_decref(sent);

    /* What the API says about it. */
    json_t *doc = mlf_mail_doc(&st, "INV-2026-000101");
    assert_non_null(doc);
    assert_string_equal(str(doc, "status"), "SENT");
    assert_string_equal(str(doc, "to"), "ap@acme.example");
    assert_string_equal(str(doc, "messageId"), "<INV-2026-000101@boissipay>");
    assert_string_equal(str(doc, "contractRef"), "CTR-ACME-001");
    assert_int_equal(json_integer_value(json_object_get(doc, "attempts")), 1);
    assert_int_equal(bpt_money(doc, "totalWithTax", "EUR"), 2108);
    assert_null(json_object_get(doc, "totalWithTaxMinor"));
    assert_true(json_is_false(json_object_get(doc, "possibleDuplicate")));
    assert_non_null(json_object_get(doc, "sentAt"));
    assert_null(json_object_get(doc, "lastError"));
    assert_null(json_object_get(doc, "nextAttemptAt"));
    json_t *h0 = json_array_get(json_object_get(doc, "history"), 0);
    assert_string_equal(str(h0, "outcome"), "ACCEPTED");
    assert_string_equal(str(h0, "stage"), "DATA_SENT");
    assert_int_equal(json_integer_value(json_object_get(h0, "smtpCode")), 250);
    assert_non_null(strstr(str(doc, "message"), "Message-ID: <INV-2026-000101@boissipay>"));
    json_decref(doc);
}

static void test_redelivery_sends_nothing_more(void **state)
{
    char *event = mlf_invoice_event("7d3c2b1a-0000-4000-8000-000000000001", "INV-2026-000102",
                                    "ap@acme.example", "CTR-ACME-001");
    bpt_produce(st.invoice_topic, MLF_CONTRACT_ID, event);
    assert_true(mlf_wait_status(&st, "INV-2026-000102", "SENT", 20000));
    long dups = metric("bp_mailer_duplicates_total");
    /* The same event again, then a new event id for the same invoice. */
    bpt_produce(st.invoice_topic, MLF_CONTRACT_ID, event);
    mlf_issue(&st, "INV-2026-000102", "someone.else@acme.example", "CTR-ACME-001");
    /* Same key, same partition: once this one is mailed, both were handled. */
    mlf_issue(&st, "INV-2026-000103", "ap@acme.example", "CTR-ACME-001");
    assert_true(mlf_wait_status(&st, "INV-2026-000103", "SENT", 20000));
    assert_true(wait_metric("bp_mailer_duplicates_total", dups + 1, 5000));
    bpt_sleep_ms(500);
    assert_int_equal(mlf_count(&st.sink, "INV-2026-000102"), 1);
    json_t *doc = mlf_mail_doc(&st, "INV-2026-000102");
    assert_int_equal(json_integer_value(json_object_get(doc, "attempts")), 1);
    assert_string_equal(str(doc, "to"), "ap@acme.example");
    json_decref(doc);
    json_t *sent = mlf_sent_events(&st, "INV-2026-000102");
    assert_int_equal(json_array_size(sent), 1);
    json_decref(sent);
    /* One inbox row per event id; the duplicate id was recorded once. */
    assert_int_equal(bpt_sql_long(st.db, "SELECT count(*) FROM inbox WHERE event_id ="
                                         " '7d3c2b1a-0000-4000-8000-000000000001'"),
                     1);
    free(event);
}

static void test_dead_letters_and_other_types(void **state)
{
    long dead = metric(DEAD_LETTERS);
    bpt_produce(st.invoice_topic, "key-1", "this is not an event");
    /* A CloudEvent of a type the mailer does not handle: skipped, no dead letter. */
    bpt_produce(st.invoice_topic, MLF_CONTRACT_ID,
                "{\"specversion\":\"1.0\",\"id\":\"x-1\",\"source\":\"/boissipay/invoice-mailer\","
                "\"type\":\"invoice.sent\",\"time\":\"2026-11-01T00:00:00Z\",\"data\":{}}");
    /* invoice.issued without invoiceEmail, and one that is not a CloudEvent. */
    char *event = mlf_invoice_event(NULL, "INV-2026-000199", "x@acme.example", "CTR-ACME-001");
    json_t *ev = json_loads(event, 0, NULL);
    json_object_del(json_object_get(ev, "data"), "invoiceEmail");
    char *bad = json_dumps(ev, JSON_COMPACT);
    bpt_produce(st.invoice_topic, MLF_CONTRACT_ID, bad);
    bpt_produce(st.invoice_topic, MLF_CONTRACT_ID,
                "{\"type\":\"invoice.issued\",\"data\":{\"invoiceRef\":\"INV-X\"}}");
    /* The consumer moved on: the next invoice is mailed. */
    mlf_issue(&st, "INV-2026-000104", "ap@acme.example", "CTR-ACME-001");
    assert_true(mlf_wait_status(&st, "INV-2026-000104", "SENT", 20000));
    assert_true(wait_metric(DEAD_LETTERS, dead + 3, 10000));
    assert_null(mlf_mail_doc(&st, "INV-2026-000199"));
    json_t *letters = NULL;
    for (int i = 0; i < 50; i++) { /* the relay publishes within a round */
        json_decref(letters);
        letters = bpt_consume_all(st.dead_letter_topic, 1000);
        if (json_array_size(letters) >= 3)
            break;
    }
    assert_int_equal(json_array_size(letters), 3);
    bool saw_text = false, saw_email = false, saw_envelope = false;
    size_t i;
    json_t *m;
    json_array_foreach(letters, i, m)
    {
        json_t *v = json_object_get(m, "value");
        assert_string_equal(str(v, "consumer"), "mailer-it_mailer_flow");
        assert_string_equal(str(v, "topic"), st.invoice_topic);
        assert_true(json_is_integer(json_object_get(v, "partition")));
        assert_true(json_is_integer(json_object_get(v, "offset")));
        const char *reason = str(v, "reason");
        if (strcmp(str(v, "value"), "this is not an event") == 0) {
            saw_text = true;
            assert_string_equal(str(v, "key"), "key-1");
            assert_string_equal(str(m, "key"), "key-1");
            assert_non_null(strstr(reason, "not JSON"));
        } else if (strcmp(str(v, "value"), bad) == 0) {
            saw_email = true;
            assert_string_equal(reason, "data.invoiceEmail is missing");
        } else {
            saw_envelope = true;
            assert_non_null(strstr(reason, "not a CloudEvent"));
        }
    }
    assert_true(saw_text && saw_email && saw_envelope);
    validate(letters, "mailer-dead-letters", "--channel dead-letter --expect-types dead-letter");
    json_decref(letters);
    json_decref(ev);
    free(bad);
    free(event);
}

static long list_total(const char *query, const char *key, long *status)
{
    char path[300];
    snprintf(path, sizeof path, "/mails%s", query);
    bpt_resp r = bpt_http("GET", st.mailer.port, path, key, NULL, NULL);
    *status = r.status;
    long total = (long)json_integer_value(
        json_object_get(json_object_get(r.json, "metadata"), "totalItems"));
    bpt_resp_free(&r);
    return total;
}

/* A message parked before the dead-letter claim id was one format (the mailer
 * wrote "kafka:TOPIC/PARTITION/OFFSET") is not parked again after the upgrade. */
static void test_legacy_dead_letter_claim(void **state)
{
    (void)state;
    bpt_proc_stop(&st.mailer, SIGTERM);
    /* Not a CloudEvent: a poison message, parked once by an earlier version. */
    bpt_produce(st.invoice_topic, MLF_CONTRACT_ID,
                "{\"type\":\"invoice.issued\",\"data\":{\"invoiceRef\":\"INV-LEGACY-PARKED\"}}");
    json_t *all = bpt_consume_all(st.invoice_topic, 1000);
    long partition = -1, offset = -1;
    size_t i;
    json_t *m;
    json_array_foreach(all, i, m)
    {
        const json_t *ref =
            json_object_get(json_object_get(json_object_get(m, "value"), "data"), "invoiceRef");
        if (json_is_string(ref) && strcmp(json_string_value(ref), "INV-LEGACY-PARKED") == 0) {
            partition = (long)json_integer_value(json_object_get(m, "partition"));
            offset = (long)json_integer_value(json_object_get(m, "offset"));
        }
    }
    json_decref(all);
    assert_true(partition >= 0 && offset >= 0);
    char sql[600];
    snprintf(sql, sizeof sql,
             "INSERT INTO inbox (consumer, event_id) VALUES ('invoice-mailer.invoice',"
             " 'kafka:%s/%ld/%ld') RETURNING 1",
             st.invoice_topic, partition, offset);
    free(bpt_sql(st.db, sql));
    long before = json_array_size(all = bpt_consume_all(st.dead_letter_topic, 500));
    json_decref(all);
    bpt_proc_restart(&st.mailer);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ready", st.mailer.port);
    assert_true(bpt_wait_status(url, 200, 30000));
    /* Same key, same partition: once the next invoice is mailed, the poison was read. */
    mlf_issue(&st, "INV-2026-000105", "ap@acme.example", "CTR-ACME-001");
    assert_true(mlf_wait_status(&st, "INV-2026-000105", "SENT", 20000));
    bpt_sleep_ms(1500); /* a relay round, had anything been parked */
    all = bpt_consume_all(st.dead_letter_topic, 1000);
    assert_int_equal((long)json_array_size(all), before);
    json_decref(all);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM inbox WHERE consumer = 'invoice-mailer.invoice' AND"
             " event_id = 'dead-letter:%s:%ld:%ld'",
             st.invoice_topic, partition, offset);
    assert_int_equal(bpt_sql_long(st.db, sql), 1); /* seen under today's id as well */
}

static void test_api(void **state)
{
    mlf_issue(&st, "INV-2026-000111", "Billing@Globex.example", "CTR-GLOBEX-001");
    mlf_issue(&st, "INV-2026-000112", "billing@globex.example", "CTR-GLOBEX-001");
    assert_true(mlf_wait_status(&st, "INV-2026-000112", "SENT", 20000));
    assert_true(mlf_wait_status(&st, "INV-2026-000111", "SENT", 20000));
    long status = 0;
    assert_int_equal(list_total("?contractRef=CTR-GLOBEX-001", BPT_READ_KEY, &status), 2);
    assert_int_equal(status, 200);
    assert_int_equal(list_total("?to=BILLING@globex.example", BPT_READ_KEY, &status), 2);
    assert_int_equal(
        list_total("?to=ap@acme.example&contractRef=CTR-GLOBEX-001", BPT_READ_KEY, &status), 0);
    assert_int_equal(list_total("?status=RETRY&contractRef=CTR-GLOBEX-001", BPT_READ_KEY, &status),
                     0);
    long all = list_total("", BPT_API_KEY, &status);
    assert_int_equal(list_total("?status=SENT", BPT_READ_KEY, &status), all);
    /* Pages of one, oldest first. */
    bpt_resp r = bpt_http("GET", st.mailer.port, "/mails?contractRef=CTR-GLOBEX-001&page=2&size=1",
                          BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *mails = json_object_get(r.json, "mails");
    assert_int_equal(json_array_size(mails), 1);
    assert_string_equal(str(json_array_get(mails, 0), "invoiceRef"), "INV-2026-000112");
    assert_null(json_object_get(json_array_get(mails, 0), "message")); /* list: no body */
    json_t *meta = json_object_get(r.json, "metadata");
    assert_int_equal(json_integer_value(json_object_get(meta, "totalPages")), 2);
    assert_int_equal(json_integer_value(json_object_get(meta, "countItems")), 1);
    bpt_resp_free(&r);
    /* Errors. */
    r = bpt_http("GET", st.mailer.port, "/mails/INV-2026-999999", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 404);
    assert_string_equal(bpt_error_code(&r), "NOT_FOUND");
    bpt_resp_free(&r);
    r = bpt_http("GET", st.mailer.port, "/mails/INV-2026-000111", NULL, NULL, NULL);
    assert_int_equal(r.status, 401);
    assert_string_equal(bpt_error_code(&r), "UNAUTHENTICATED");
    bpt_resp_free(&r);
    r = bpt_http("GET", st.mailer.port, "/mails", "not-a-key-of-this-service", NULL, NULL);
    assert_int_equal(r.status, 401);
    bpt_resp_free(&r);
    list_total("?status=LOST", BPT_READ_KEY, &status);
    assert_int_equal(status, 400);
    list_total("?size=1000", BPT_READ_KEY, &status);
    assert_int_equal(status, 400);
    r = bpt_http("POST", st.mailer.port, "/mails", BPT_API_KEY, "{}", NULL);
    assert_int_equal(r.status, 405);
    bpt_resp_free(&r);
    r = bpt_http("GET", st.mailer.port, "/ready", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    bpt_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mail_sent_once_with_both_parts),
        cmocka_unit_test(test_redelivery_sends_nothing_more),
        cmocka_unit_test(test_dead_letters_and_other_types),
        cmocka_unit_test(test_legacy_dead_letter_claim),
        cmocka_unit_test(test_api),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
