/* Integration: the invoice-mailer when things go wrong, against real
 * PostgreSQL, Kafka and SMTP.
 *  - SMTP down (the sink stopped), then up: every mail arrives, once.
 *  - SMTP refusing one recipient (450 to RCPT) or a message (451 at its end):
 *    that mail waits for its backoff while the others are sent; once the
 *    refusal ends it arrives, once.
 *  - SIGKILL around the send (the sink holds its reply to steer where the
 *    process dies):
 *      before the end of the message (RCPT held): the server has nothing;
 *        after restart the mail is sent exactly once;
 *      after the end of the message, before the verdict (250 held): the
 *        outcome is unknown; by design the mail is sent once more with the SAME
 *        Message-ID, recorded as uncertain (possibleDuplicate);
 *      after the mail is recorded SENT: restart and a redelivered event send
 *        nothing more.
 *  - SIGTERM during a dialogue that has not reached the end of the message:
 *    the daemon exits 0 at once; after restart the mail is sent once.
 *  - A verdict that never comes (timeout after the end of the message): the
 *    attempt is UNCERTAIN and the mail is sent once more, same Message-ID.
 *  - PostgreSQL down: the API answers 503, /ready names the database, the
 *    mail arrives once it is back. Kafka down: a queued mail is still
 *    delivered; its invoice.sent waits in the outbox and is published once.
 *    invoice.sent is published exactly once in every case. */
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

static mlf_stack st;

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_ALL);
    mlf_start(&st, "it_mailer_faults", NULL);
    return 0;
}

static int teardown(void **state)
{
    mlf_stop(&st);
    return 0;
}

static const char *str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static long num(const json_t *obj, const char *key)
{
    return (long)json_integer_value(json_object_get(obj, key));
}

/* Waits until GET /mails/{ref} shows at least `attempts` attempts. */
static bool wait_attempts(const char *ref, long attempts, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        json_t *doc = mlf_mail_doc(&st, ref);
        long n = num(doc, "attempts");
        json_decref(doc);
        if (n >= attempts)
            return true;
        bpt_sleep_ms(100);
    }
    return false;
}

/* One invoice.sent event for the invoice. The outbox delivers at least once: a
 * kill between Kafka's acknowledgement and the marking of the row publishes the
 * same event (same CloudEvents id, which consumers de-duplicate on) again; a
 * second *event* would be a different id. */
static void assert_sent_once(const char *ref)
{
    json_t *sent = mlf_sent_events(&st, ref);
    if (json_array_size(sent) == 0)
        fail_msg("%s: no invoice.sent event", ref);
    const char *id = str(json_object_get(json_array_get(sent, 0), "value"), "id");
    size_t i;
    json_t *m;
    json_array_foreach(sent, i, m)
    {
        const char *other = str(json_object_get(m, "value"), "id");
        if (strcmp(other, id) != 0)
            fail_msg("%s: two invoice.sent events (%s, %s)", ref, id, other);
    }
    json_decref(sent);
}

static void test_smtp_down_then_up(void **state)
{
    mlf_sink_stop(&st.sink);
    mlf_issue(&st, "INV-2026-000201", "ap@acme.example", "CTR-DOWN");
    mlf_issue(&st, "INV-2026-000202", "ap@acme.example", "CTR-DOWN");
    mlf_issue(&st, "INV-2026-000203", "ap@acme.example", "CTR-DOWN");
    const char *refs[] = {"INV-2026-000201", "INV-2026-000202", "INV-2026-000203"};
    for (int i = 0; i < 3; i++)
        assert_true(wait_attempts(refs[i], 2, 20000));
    json_t *doc = mlf_mail_doc(&st, "INV-2026-000201");
    assert_string_equal(str(doc, "status"), "RETRY");
    assert_non_null(json_object_get(doc, "nextAttemptAt"));
    assert_true(strlen(str(doc, "lastError")) > 0);
    json_t *h0 = json_array_get(json_object_get(doc, "history"), 0);
    assert_string_equal(str(h0, "outcome"), "FAILED");
    assert_string_equal(str(h0, "stage"), "STARTED");
    json_decref(doc);
    /* The same server comes back on the same port. */
    mlf_sink_start(&st.sink, st.sink.dir, st.sink.port, false);
    for (int i = 0; i < 3; i++) {
        assert_true(mlf_wait_status(&st, refs[i], "SENT", 20000));
        assert_int_equal(mlf_count(&st.sink, refs[i]), 1);
    }
    bpt_sleep_ms(1500); /* nothing else may come */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mlf_count(&st.sink, refs[i]), 1);
        assert_sent_once(refs[i]);
    }
}

static void test_refusals_do_not_block_others(void **state)
{
    mlf_sink_flag(&st.sink, "refuse-rcpt", "blocked@acme.example\n");
    mlf_issue(&st, "INV-2026-000211", "blocked@acme.example", "CTR-REF");
    mlf_issue(&st, "INV-2026-000212", "ap@acme.example", "CTR-REF");
    mlf_issue(&st, "INV-2026-000213", "ap@acme.example", "CTR-REF");
    assert_true(mlf_wait_status(&st, "INV-2026-000212", "SENT", 20000));
    assert_true(mlf_wait_status(&st, "INV-2026-000213", "SENT", 20000));
    assert_true(wait_attempts("INV-2026-000211", 2, 20000));
    json_t *doc = mlf_mail_doc(&st, "INV-2026-000211");
    assert_string_equal(str(doc, "status"), "RETRY");
    assert_non_null(strstr(str(doc, "lastError"), "450"));
    json_t *h0 = json_array_get(json_object_get(doc, "history"), 0);
    assert_string_equal(str(h0, "outcome"), "REFUSED");
    assert_int_equal(num(h0, "smtpCode"), 450);
    json_decref(doc);
    assert_int_equal(mlf_count(&st.sink, "INV-2026-000211"), 0);

    /* A server that refuses every message at its end (451). */
    mlf_sink_flag(&st.sink, "refuse-data", NULL);
    mlf_issue(&st, "INV-2026-000214", "ap@acme.example", "CTR-REF");
    assert_true(wait_attempts("INV-2026-000214", 2, 20000));
    doc = mlf_mail_doc(&st, "INV-2026-000214");
    h0 = json_array_get(json_object_get(doc, "history"), 0);
    assert_string_equal(str(h0, "outcome"), "REFUSED");
    assert_string_equal(str(h0, "stage"), "DATA_SENT");
    assert_int_equal(num(h0, "smtpCode"), 451);
    assert_true(json_is_false(json_object_get(doc, "possibleDuplicate")));
    json_decref(doc);

    mlf_sink_unflag(&st.sink, "refuse-data");
    mlf_sink_unflag(&st.sink, "refuse-rcpt");
    assert_true(mlf_wait_status(&st, "INV-2026-000211", "SENT", 20000));
    assert_true(mlf_wait_status(&st, "INV-2026-000214", "SENT", 20000));
    bpt_sleep_ms(1000);
    const char *refs[] = {"INV-2026-000211", "INV-2026-000212", "INV-2026-000213",
                          "INV-2026-000214"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(mlf_count(&st.sink, refs[i]), 1);
        assert_sent_once(refs[i]);
    }
}

/* Holds the sink at `flag`, issues `ref`, SIGKILLs the mailer while the sink
 * holds it, lets the sink go and restarts the mailer. */
static void kill_while_held(const char *flag, const char *marker, const char *ref)
{
    mlf_sink_unflag(&st.sink, marker);
    mlf_sink_flag(&st.sink, flag, NULL);
    mlf_issue(&st, ref, "ap@acme.example", "CTR-KILL");
    assert_true(mlf_sink_wait_file(&st.sink, marker, 20000));
    assert_int_equal(bpt_proc_stop(&st.mailer, SIGKILL), 128 + SIGKILL);
    mlf_sink_unflag(&st.sink, flag);
    bpt_proc_restart(&st.mailer);
    assert_true(mlf_wait_status(&st, ref, "SENT", 20000));
}

static void test_kill_before_end_of_message(void **state)
{
    kill_while_held("stall-rcpt", "stalling-rcpt", "INV-2026-000221");
    bpt_sleep_ms(1000);
    assert_int_equal(mlf_count(&st.sink, "INV-2026-000221"), 1);
    json_t *doc = mlf_mail_doc(&st, "INV-2026-000221");
    assert_int_equal(num(doc, "attempts"), 2);
    assert_int_equal(num(doc, "uncertainAttempts"), 0);
    assert_true(json_is_false(json_object_get(doc, "possibleDuplicate")));
    json_t *history = json_object_get(doc, "history");
    assert_string_equal(str(json_array_get(history, 0), "stage"), "STARTED");
    assert_string_equal(str(json_array_get(history, 0), "outcome"), "INTERRUPTED");
    assert_string_equal(str(json_array_get(history, 1), "outcome"), "ACCEPTED");
    json_decref(doc);
    assert_sent_once("INV-2026-000221");
}

static void test_kill_after_end_of_message(void **state)
{
    kill_while_held("stall-data", "stalling-data", "INV-2026-000222");
    bpt_sleep_ms(1000);
    /* The documented choice: one more copy, byte for byte the same message. */
    int n = 0;
    mlf_mail *m = mlf_mails(&st.sink, &n);
    int copies = 0;
    const char *first = NULL;
    for (int i = 0; i < n; i++) {
        if (strcmp(m[i].message_id, "<INV-2026-000222@boissipay>") != 0)
            continue;
        const char *body = strstr(m[i].raw, "\r\nDate: ");
        if (first != NULL)
            assert_string_equal(first, body);
        first = body;
        copies++;
    }
    assert_int_equal(copies, 2);
    mlf_mails_free(m, n);
    json_t *doc = mlf_mail_doc(&st, "INV-2026-000222");
    assert_int_equal(num(doc, "attempts"), 2);
    assert_int_equal(num(doc, "uncertainAttempts"), 1);
    assert_true(json_is_true(json_object_get(doc, "possibleDuplicate")));
    json_t *history = json_object_get(doc, "history");
    assert_string_equal(str(json_array_get(history, 0), "stage"), "DATA_SENT");
    assert_string_equal(str(json_array_get(history, 0), "outcome"), "UNCERTAIN");
    assert_string_equal(str(json_array_get(history, 1), "outcome"), "ACCEPTED");
    json_decref(doc);
    assert_sent_once("INV-2026-000222");
}

static void test_kill_after_sent(void **state)
{
    char *event = mlf_invoice_event(NULL, "INV-2026-000223", "ap@acme.example", "CTR-KILL");
    bpt_produce(st.invoice_topic, MLF_CONTRACT_ID, event);
    assert_true(mlf_wait_status(&st, "INV-2026-000223", "SENT", 20000));
    assert_int_equal(bpt_proc_stop(&st.mailer, SIGKILL), 128 + SIGKILL);
    bpt_proc_restart(&st.mailer);
    bpt_produce(st.invoice_topic, MLF_CONTRACT_ID, event); /* redelivered */
    mlf_issue(&st, "INV-2026-000224", "ap@acme.example", "CTR-KILL");
    assert_true(mlf_wait_status(&st, "INV-2026-000224", "SENT", 30000));
    bpt_sleep_ms(1000);
    assert_int_equal(mlf_count(&st.sink, "INV-2026-000223"), 1);
    assert_sent_once("INV-2026-000223");
    /* Every mail of this run was mailed once, except the documented uncertain one. */
    assert_int_equal(bpt_sql_long(st.db, "SELECT count(*) FROM mails WHERE status <> 'SENT'"), 0);
    assert_int_equal(bpt_sql_long(st.db, "SELECT count(*) FROM mails WHERE uncertain_attempts > 0"
                                         " AND invoice_ref <> 'INV-2026-000222'"),
                     0);
    free(event);
}

static void test_sigterm_during_dialogue(void **state)
{
    mlf_sink_unflag(&st.sink, "stalling-rcpt");
    mlf_sink_flag(&st.sink, "stall-rcpt", NULL);
    mlf_issue(&st, "INV-2026-000231", "ap@acme.example", "CTR-KILL");
    assert_true(mlf_sink_wait_file(&st.sink, "stalling-rcpt", 20000));
    /* The dialogue has not reached the end of the message: it is abandoned and
     * the daemon exits cleanly at once, without waiting for the server. */
    assert_int_equal(bpt_proc_stop(&st.mailer, SIGTERM), 0);
    mlf_sink_unflag(&st.sink, "stall-rcpt");
    bpt_proc_restart(&st.mailer);
    assert_true(mlf_wait_status(&st, "INV-2026-000231", "SENT", 20000));
    bpt_sleep_ms(500);
    assert_int_equal(mlf_count(&st.sink, "INV-2026-000231"), 1);
    json_t *doc = mlf_mail_doc(&st, "INV-2026-000231");
    json_t *h0 = json_array_get(json_object_get(doc, "history"), 0);
    assert_string_equal(str(h0, "outcome"), "INTERRUPTED");
    assert_true(json_is_false(json_object_get(doc, "possibleDuplicate")));
    json_decref(doc);
    assert_sent_once("INV-2026-000231");
}

static void test_timeout_after_end_of_message(void **state)
{
    /* A server that takes the message but never gives its verdict in time. */
    assert_int_equal(bpt_proc_stop(&st.mailer, SIGTERM), 0);
    bpt_proc_setenv(&st.mailer, "BP_SMTP_TIMEOUT_SECONDS=2");
    bpt_proc_restart(&st.mailer);
    mlf_sink_unflag(&st.sink, "stalling-data");
    mlf_sink_flag(&st.sink, "stall-data", NULL);
    mlf_issue(&st, "INV-2026-000241", "ap@acme.example", "CTR-SLOW");
    assert_true(mlf_sink_wait_file(&st.sink, "stalling-data", 20000));
    for (int waited = 0; waited < 20000; waited += 100) {
        json_t *doc = mlf_mail_doc(&st, "INV-2026-000241");
        long uncertain = num(doc, "uncertainAttempts");
        json_decref(doc);
        if (uncertain >= 1)
            break;
        bpt_sleep_ms(100);
    }
    mlf_sink_unflag(&st.sink, "stall-data");
    assert_true(mlf_wait_status(&st, "INV-2026-000241", "SENT", 20000));
    bpt_sleep_ms(500);
    json_t *doc = mlf_mail_doc(&st, "INV-2026-000241");
    json_t *h0 = json_array_get(json_object_get(doc, "history"), 0);
    assert_string_equal(str(h0, "outcome"), "UNCERTAIN");
    assert_non_null(strstr(str(h0, "detail"), "outcome unknown"));
    assert_int_equal(num(doc, "uncertainAttempts"), 1);
    assert_int_equal(num(doc, "attempts"), 2);
    json_decref(doc);
    /* The copy the slow server kept, and the one sent again: same Message-ID. */
    assert_int_equal(mlf_count(&st.sink, "INV-2026-000241"), 2);
    assert_sent_once("INV-2026-000241");
}

static int stack(const char *what)
{
    return bpt_sh("%s/scripts/test-stack.sh %s '%s' >&2", bpt_env("BPT_SOURCE_DIR"), what,
                  bpt_env("BPT_STATE_DIR"));
}

static void test_postgres_down_then_back(void **state)
{
    assert_int_equal(stack("pg-stop"), 0);
    mlf_issue(&st, "INV-2026-000251", "ap@acme.example", "CTR-NOPG");
    bpt_resp r =
        bpt_http("GET", st.mailer.port, "/mails/INV-2026-000251", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 503);
    assert_string_equal(bpt_error_code(&r), "DATABASE_UNAVAILABLE");
    bpt_resp_free(&r);
    r = bpt_http("GET", st.mailer.port, "/ready", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "\"database\":\"DOWN"));
    bpt_resp_free(&r);
    r = bpt_http("GET", st.mailer.port, "/health", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    bpt_resp_free(&r);
    bpt_sleep_ms(1000); /* the consumer and the senders meet the outage */
    assert_int_equal(stack("pg-start"), 0);
    assert_true(mlf_wait_status(&st, "INV-2026-000251", "SENT", 30000));
    bpt_sleep_ms(500);
    assert_int_equal(mlf_count(&st.sink, "INV-2026-000251"), 1);
    assert_sent_once("INV-2026-000251");
}

static void test_kafka_down_mails_still_go(void **state)
{
    /* A mail queued while SMTP is away... */
    mlf_sink_stop(&st.sink);
    mlf_issue(&st, "INV-2026-000261", "ap@acme.example", "CTR-NOKAFKA");
    assert_true(wait_attempts("INV-2026-000261", 1, 20000));
    /* ...is delivered while Kafka is down; invoice.sent waits in the outbox. */
    assert_int_equal(stack("kafka-stop"), 0);
    mlf_sink_start(&st.sink, st.sink.dir, st.sink.port, false);
    assert_true(mlf_wait_status(&st, "INV-2026-000261", "SENT", 20000));
    assert_true(bpt_sql_long(st.db, "SELECT count(*) FROM outbox WHERE published_at IS NULL"
                                    " AND payload LIKE '%INV-2026-000261%'") == 1);
    assert_int_equal(stack("kafka-start"), 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ready", st.mailer.port);
    assert_true(bpt_wait_status(url, 200, 60000));
    for (int waited = 0; waited < 60000; waited += 200) {
        if (bpt_sql_long(st.db, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0)
            break;
        bpt_sleep_ms(200);
    }
    assert_int_equal(mlf_count(&st.sink, "INV-2026-000261"), 1);
    assert_sent_once("INV-2026-000261");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smtp_down_then_up),
        cmocka_unit_test(test_refusals_do_not_block_others),
        cmocka_unit_test(test_kill_before_end_of_message),
        cmocka_unit_test(test_kill_after_end_of_message),
        cmocka_unit_test(test_kill_after_sent),
        cmocka_unit_test(test_sigterm_during_dialogue),
        cmocka_unit_test(test_timeout_after_end_of_message),
        cmocka_unit_test(test_postgres_down_then_back),
        cmocka_unit_test(test_kafka_down_mails_still_go),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
