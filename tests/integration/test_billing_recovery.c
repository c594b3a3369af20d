/* Integration: redelivery, re-ordering and crashes of billing. Replaying the
 * whole contract topic and an older version arriving after a newer one leave
 * the read model unchanged; a malformed event is skipped and parked on the
 * dead-letter topic with its reason; billing SIGKILLed
 * while consuming and while serving a burst of purchases loses nothing and
 * counts nothing twice. */
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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static blf_stack st;

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_ALL);
    blf_start(&st, "it_billing_recovery");
    return 0;
}

static int teardown(void **state)
{
    blf_stop(&st);
    return 0;
}

static char *snapshot(void)
{
    return bpt_sql(st.billing_db,
                   "SELECT coalesce(string_agg(a::text, '|' ORDER BY contract_id), '')"
                   " FROM accounts a");
}

/* Waits until `metric` on billing instance `p` reaches at least `want`. */
static bool wait_metric(bpt_proc *p, const char *metric, long want, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        bpt_resp r = bpt_http("GET", p->port, "/metrics", NULL, NULL, NULL);
        const char *at = strstr(r.body, metric);
        long got = 0;
        while (at != NULL) { /* skip the HELP/TYPE lines */
            const char *line = at;
            at = strstr(at + 1, metric);
            if (line[strlen(metric)] == ' ')
                got = atol(line + strlen(metric) + 1);
        }
        bpt_resp_free(&r);
        if (got >= want)
            return true;
        bpt_sleep_ms(100);
    }
    return false;
}

static void test_replay_and_reorder(void **state)
{
    blf_contract(&st, "CTR-REC-1", "100.00", NULL);
    assert_int_equal(blf_change(&st, "CTR-REC-1", "POST", "suspend", NULL), 200);
    assert_int_equal(blf_change(&st, "CTR-REC-1", "POST", "reactivate", NULL), 200);
    char *before = snapshot();

    /* The whole topic again, through a new consumer group on the same database. */
    bpt_proc replay;
    blf_start_billing(&st, &replay, "it_billing_recovery-replay");
    bpt_proc_stop(&replay, SIGTERM);
    bpt_proc_setenv(&replay, "BP_CONSUMER_GROUP=replay-from-zero");
    bpt_proc_restart(&replay);
    long events = bpt_sql_long(st.contract_db, "SELECT count(*) FROM outbox");
    assert_true(wait_metric(&replay, "bp_readmodel_ignored_total", events, 20000));
    assert_int_equal(bpt_proc_stop(&replay, SIGTERM), 0);
    bpt_proc_free(&replay);
    char *after = snapshot();
    assert_string_equal(before, after);
    free(after);

    /* version 1 of CTR-REC-1 again, with a new event id: older than the stored 3. */
    char *v1 =
        bpt_sql(st.contract_db,
                "SELECT payload FROM outbox WHERE payload::json->>'type' = 'contract.created'"
                " AND payload::json->'data'->>'contractRef' = 'CTR-REC-1'");
    json_t *ev = json_loads(v1, 0, NULL);
    json_object_set_new(ev, "id", json_string("11111111-2222-4333-8444-555555555555"));
    json_object_set_new(json_object_get(ev, "data"), "status", json_string("CANCELLED"));
    char *text = json_dumps(ev, JSON_COMPACT);
    const char *key = json_string_value(json_object_get(ev, "subject"));
    bpt_produce(st.contract_topic, key, text);
    bpt_produce(st.contract_topic, key, "this is not an event");
    /* A well-formed event that the read model can never take (not a UUID): skipped too. */
    json_t *bad = json_deep_copy(ev);
    json_object_set_new(bad, "id", json_string("11111111-2222-4333-8444-666666666666"));
    json_object_set_new(json_object_get(bad, "data"), "contractId", json_string("not-a-uuid"));
    json_object_set_new(json_object_get(bad, "data"), "version", json_integer(99));
    char *bad_text = json_dumps(bad, JSON_COMPACT);
    bpt_produce(st.contract_topic, key, bad_text);
    free(bad_text);
    json_decref(bad);
    /* A new change after the noise is still applied, so the consumer moved past it. */
    assert_int_equal(blf_change(&st, "CTR-REC-1", "PUT", "credit-limit",
                                "{\"amount\":\"150.00\",\"currency\":\"EUR\"}"),
                     200);
    bpt_resp r =
        bpt_http("GET", st.billing.port, "/contracts/CTR-REC-1/account", BPT_READ_KEY, NULL, NULL);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "ACTIVE");
    assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 4);
    assert_int_equal(bpt_money(r.json, "creditLimit", "EUR"), 15000);
    bpt_resp_free(&r);
    /* Both messages billing could never apply are parked on the dead-letter topic, once
     * each, with where they were and why. */
    json_t *letters = NULL;
    for (int waited = 0; waited < 15000; waited += 500) {
        json_decref(letters);
        letters = bpt_consume_all(st.dead_letter_topic, 500);
        if (json_array_size(letters) >= 2)
            break;
    }
    assert_int_equal(json_array_size(letters), 2);
    json_t *letter[2];
    for (size_t i = 0; i < 2; i++) {
        letter[i] = json_object_get(json_array_get(letters, i), "value");
        assert_string_equal(json_string_value(json_object_get(letter[i], "consumer")),
                            "billing-it_billing_recovery");
        assert_string_equal(json_string_value(json_object_get(letter[i], "topic")),
                            st.contract_topic);
        assert_string_equal(json_string_value(json_object_get(letter[i], "key")), key);
        assert_true(json_is_false(json_object_get(letter[i], "valueTruncated")));
    }
    /* One partition per key: the order they were produced in. */
    assert_string_equal(json_string_value(json_object_get(letter[0], "value")),
                        "this is not an event");
    assert_non_null(strstr(json_string_value(json_object_get(letter[0], "reason")), "not JSON"));
    assert_non_null(strstr(json_string_value(json_object_get(letter[1], "value")), "not-a-uuid"));
    assert_non_null(
        strstr(json_string_value(json_object_get(letter[1], "reason")), "contract event"));
    json_decref(letters);
    free(text);
    json_decref(ev);
    free(v1);
    free(before);
}

static void test_sigkill_while_consuming(void **state)
{
    assert_int_equal(bpt_proc_stop(&st.billing, SIGKILL), 128 + SIGKILL);
    enum { N = 40 };
    for (int i = 0; i < N; i++) {
        char ref[32];
        snprintf(ref, sizeof ref, "CTR-KILLC-%02d", i);
        char over[128];
        snprintf(over, sizeof over, "{\"contractRef\":\"%s\"}", ref);
        char *body = ctf_request(over);
        bpt_resp c = bpt_http("POST", st.contract.port, "/contracts", BPT_API_KEY, body, NULL);
        assert_int_equal(c.status, 201);
        bpt_resp_free(&c);
        free(body);
    }
    bpt_sleep_ms(500); /* let the relay publish them all */
    bpt_proc_restart(&st.billing);
    bpt_sleep_ms(150); /* mid-consumption */
    bpt_proc_stop(&st.billing, SIGKILL);
    bpt_proc_restart(&st.billing);
    for (int i = 0; i < N; i++) {
        char ref[32];
        snprintf(ref, sizeof ref, "CTR-KILLC-%02d", i);
        assert_true(blf_wait_version(&st, ref, 1, 20000));
    }
    assert_int_equal(
        bpt_sql_long(st.billing_db,
                     "SELECT count(*) FROM accounts WHERE contract_ref LIKE 'CTR-KILLC-%'"),
        N);
    /* Each event recorded once in the inbox, whatever was redelivered. */
    assert_int_equal(
        bpt_sql_long(st.billing_db, "SELECT count(*) - count(DISTINCT event_id) FROM inbox"), 0);
}

typedef struct {
    atomic_int next;
    atomic_int accepted, refused;
    int total;
} burst;

static void *buyer(void *arg)
{
    burst *b = arg;
    for (;;) {
        int i = atomic_fetch_add(&b->next, 1);
        if (i >= b->total)
            return NULL;
        char order[32], key[64];
        snprintf(order, sizeof order, "K-%03d", i);
        snprintf(key, sizeof key, "Idempotency-Key: kill-%03d", i);
        char *body = blf_operation("CTR-KILLP", order, "1.00", NULL, NULL);
        /* A client retries the same request until it gets an answer. */
        for (int attempt = 0; attempt < 300; attempt++) {
            bpt_resp r = bpt_http("POST", st.billing.port, "/operations", BPT_API_KEY, body, key);
            long s = r.status;
            bpt_resp_free(&r);
            if (s == 201) {
                atomic_fetch_add(&b->accepted, 1);
                break;
            }
            if (s == 422) {
                atomic_fetch_add(&b->refused, 1);
                break;
            }
            bpt_sleep_ms(50);
        }
        free(body);
    }
}

static void test_sigkill_during_purchases(void **state)
{
    blf_contract(&st, "CTR-KILLP", "150.00", NULL);
    burst b = {.total = 200};
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, buyer, &b);
    bpt_sleep_ms(300);
    assert_int_equal(bpt_proc_stop(&st.billing, SIGKILL), 128 + SIGKILL);
    bpt_sleep_ms(300);
    bpt_proc_restart(&st.billing);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    /* Every purchase got an answer; exactly the limit's worth was accepted. */
    assert_int_equal(atomic_load(&b.accepted) + atomic_load(&b.refused), 200);
    assert_int_equal(atomic_load(&b.accepted), 150);
    assert_int_equal(blf_outstanding(&st, "CTR-KILLP"), 15000);
    assert_int_equal(bpt_sql_long(st.billing_db,
                                  "SELECT count(*) FROM operations WHERE contract_ref = 'CTR-KILLP'"
                                  " AND status = 'ACCEPTED'"),
                     150);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_and_reorder),
        cmocka_unit_test(test_sigkill_while_consuming),
        cmocka_unit_test(test_sigkill_during_purchases),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
