/* Integration: faults. The svc SIGKILLed between its 201 and the relay's
 * publish; Kafka stopped for a while; PostgreSQL stopped and restarted; a
 * clean SIGTERM. No event is lost, none is published twice in the database's
 * view, and the svc recovers by itself. */
#include "contract_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOPIC "it.contract.faults"

static bpt_proc svc;
static char db_url[512];

static int setup(void **state)
{
    ctf_start(&svc, "it_contract_faults", TOPIC, db_url, sizeof db_url);
    return 0;
}

static int teardown(void **state)
{
    bpt_proc_free(&svc);
    return 0;
}

static int stack(const char *what)
{
    return bpt_sh("%s/scripts/test-stack.sh %s '%s' >&2", bpt_env("BPT_SOURCE_DIR"), what,
                  bpt_env("BPT_STATE_DIR"));
}

static long unpublished(void)
{
    return bpt_sql_long(db_url, "SELECT count(*) FROM outbox WHERE published_at IS NULL");
}

static bool wait_published(int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 200) {
        if (unpublished() == 0)
            return true;
        bpt_sleep_ms(200);
    }
    return false;
}

static size_t events_for(const char *key)
{
    json_t *events = bpt_consume_all(TOPIC, 1500);
    size_t n = 0, i;
    json_t *m;
    json_array_foreach(events, i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "key")), key) == 0)
            n++;
    }
    json_decref(events);
    return n;
}

static char *contract_id(const char *ref)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT contract_id FROM contracts WHERE contract_ref = '%s'", ref);
    return bpt_sql(db_url, sql);
}

static void test_sigkill_before_publish(void **state)
{
    /* Restart the svc against a broker address where nothing listens, so the
     * relay cannot publish; the 201 still commits the event in the outbox. */
    assert_int_equal(bpt_proc_stop(&svc, SIGTERM), 0);
    bpt_proc_setenv(&svc, "BP_KAFKA_BROKERS=127.0.0.1:9");
    bpt_proc_restart(&svc);
    char *ref = ctf_create(svc.port, "{\"contractRef\":\"CTR-KILL-1\"}");
    char *id = contract_id(ref);
    assert_int_equal(unpublished(), 1);
    assert_int_equal(bpt_proc_stop(&svc, SIGKILL), 128 + SIGKILL);

    char kafka[300];
    snprintf(kafka, sizeof kafka, "BP_KAFKA_BROKERS=%s", bpt_env("BPT_KAFKA"));
    bpt_proc_setenv(&svc, kafka);
    bpt_proc_restart(&svc);
    assert_true(wait_published(20000));
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM outbox WHERE msg_key = '%s' AND published_at IS NOT NULL", id);
    assert_int_equal(bpt_sql_long(db_url, sql), 1);
    assert_int_equal(events_for(id), 1);
    free(id);
    free(ref);
}

static void test_kafka_down_then_back(void **state)
{
    assert_int_equal(stack("kafka-stop"), 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ready", svc.port);
    assert_true(bpt_wait_status(url, 503, 15000));
    bpt_resp r = bpt_http("GET", svc.port, "/ready", NULL, NULL, NULL);
    assert_non_null(strstr(r.body, "kafka"));
    bpt_resp_free(&r);
    /* Writes go on: the outbox holds the events. */
    char *ref1 = ctf_create(svc.port, "{\"contractRef\":\"CTR-NOKAFKA-1\"}");
    char *ref2 = ctf_create(svc.port, "{\"contractRef\":\"CTR-NOKAFKA-2\"}");
    assert_true(unpublished() >= 2);
    assert_int_equal(stack("kafka-start"), 0);
    assert_true(bpt_wait_status(url, 200, 60000));
    assert_true(wait_published(60000));
    char *id1 = contract_id(ref1), *id2 = contract_id(ref2);
    assert_int_equal(events_for(id1), 1);
    assert_int_equal(events_for(id2), 1);
    free(id1);
    free(id2);
    free(ref1);
    free(ref2);
}

static void test_postgres_down_then_back(void **state)
{
    assert_int_equal(stack("pg-stop"), 0);
    char *body = ctf_request("{\"contractRef\":\"CTR-NOPG-1\"}");
    bpt_resp r = bpt_http("POST", svc.port, "/contracts", BPT_API_KEY, body, NULL);
    assert_int_equal(r.status, 503);
    assert_string_equal(bpt_error_code(&r), "DATABASE_UNAVAILABLE");
    bpt_resp_free(&r);
    r = bpt_http("GET", svc.port, "/contracts/CTR-KILL-1", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 503);
    bpt_resp_free(&r);
    r = bpt_http("GET", svc.port, "/ready", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "\"database\":\"DOWN"));
    bpt_resp_free(&r);
    r = bpt_http("GET", svc.port, "/health", NULL, NULL, NULL);
    assert_int_equal(r.status, 200); /* alive, just not ready */
    bpt_resp_free(&r);

    assert_int_equal(stack("pg-start"), 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ready", svc.port);
    assert_true(bpt_wait_status(url, 200, 30000));
    r = bpt_http("POST", svc.port, "/contracts", BPT_API_KEY, body, NULL);
    assert_int_equal(r.status, 201);
    bpt_resp_free(&r);
    assert_true(wait_published(20000));
    free(body);
}

static void test_sigterm_is_clean(void **state)
{
    assert_int_equal(bpt_proc_stop(&svc, SIGTERM), 0);
    assert_int_equal(bpt_sh("grep -q '\"msg\":\"stopped\"' '%s'", svc.log_path), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_before_publish),
        cmocka_unit_test(test_kafka_down_then_back),
        cmocka_unit_test(test_postgres_down_then_back),
        cmocka_unit_test(test_sigterm_is_clean),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
