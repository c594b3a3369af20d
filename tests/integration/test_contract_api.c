/* Integration: the contract API end to end against real PostgreSQL and Kafka:
 * create/read/list with filters and pagination, every lifecycle change and the
 * events it publishes (validated against the AsyncAPI schemas), idempotency
 * keys, and automatic expiry. */
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

#define TOPIC "it.contract.api"

static bpt_proc svc;
static char db_url[512];

static int setup(void **state)
{
    ctf_start(&svc, "it_contract_api", TOPIC, db_url, sizeof db_url);
    return 0;
}

static int teardown(void **state)
{
    int status = bpt_proc_stop(&svc, SIGTERM);
    bpt_proc_free(&svc);
    assert_int_equal(status, 0); /* SIGTERM is a clean exit */
    return 0;
}

static const char *str(const json_t *o, const char *path)
{
    const json_t *v = o;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
        v = json_object_get(v, k);
    return json_string_value(v);
}

static void test_create_then_get(void **state)
{
    char *body = ctf_request(NULL);
    bpt_resp r = bpt_http("POST", svc.port, "/contracts", BPT_API_KEY, body, NULL);
    free(body);
    assert_int_equal(r.status, 201);
    const char *ref = str(r.json, "contractRef");
    assert_non_null(ref);
    assert_non_null(str(r.json, "contractId"));
    char loc[128];
    snprintf(loc, sizeof loc, "/contracts/%s", ref);
    assert_string_equal(r.location, loc);
    assert_string_equal(str(r.json, "status"), "ACTIVE");
    assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 1);
    assert_string_equal(str(r.json, "payment.mandate.iban"), "FR76*******************0189");
    assert_string_equal(str(r.json, "payment.mandate.status"), "VALID");
    assert_string_equal(str(r.json, "billing.creditLimit.amount"), "5000.00");
    /* POST /contracts is a route of the earlier API: both spellings, same value. */
    assert_string_equal(str(r.json, "distributor.distributorRef"), "esgi SA");
    assert_string_equal(str(r.json, "distributor.disributorRef"), "esgi SA");

    bpt_resp g = bpt_http("GET", svc.port, loc, BPT_READ_KEY, NULL, NULL);
    assert_int_equal(g.status, 200);
    assert_true(json_equal(g.json, r.json));
    /* The full IBAN is stored, never shown. */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT mandate_iban FROM contracts WHERE contract_ref = '%s'", ref);
    char *iban = bpt_sql(db_url, sql);
    assert_string_equal(iban, "FR7630006000011234567890189");
    free(iban);
    bpt_resp_free(&g);
    bpt_resp_free(&r);
}

static void test_list_filters_and_pages(void **state)
{
    for (int i = 0; i < 5; i++)
        free(ctf_create(svc.port, "{\"subscriber\":{\"party\":{\"customerRef\":\"PAGED\"}}}"));
    char *ref = ctf_create(svc.port, "{\"subscriber\":{\"party\":{\"customerRef\":\"PAGED\"}},"
                                     "\"status\":\"CREATED\"}");
    free(ref);
    bpt_resp r =
        bpt_http("GET", svc.port, "/contracts?customerRef=PAGED&status=ACTIVE&size=2&page=3",
                 BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 200);
    json_t *meta = json_object_get(r.json, "metadata");
    assert_int_equal(json_integer_value(json_object_get(meta, "totalItems")), 5);
    assert_int_equal(json_integer_value(json_object_get(meta, "totalPages")), 3);
    assert_int_equal(json_integer_value(json_object_get(meta, "countItems")), 1);
    assert_int_equal(json_array_size(json_object_get(r.json, "contracts")), 1);
    assert_non_null(strstr(str(meta, "query"), "customerRef=PAGED"));
    bpt_resp_free(&r);

    r = bpt_http("GET", svc.port, "/contracts?customerRef=PAGED&status=CREATED", BPT_READ_KEY, NULL,
                 NULL);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "metadata"), "totalItems")), 1);
    bpt_resp_free(&r);
    r = bpt_http("GET", svc.port, "/contracts?customerRef=NOBODY", BPT_READ_KEY, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "contracts")), 0);
    bpt_resp_free(&r);
}

typedef struct {
    const char *method, *action, *body, *event;
} step;

static void test_lifecycle_publishes_every_change(void **state)
{
    char *ref = ctf_create(svc.port, "{\"contractRef\":\"CTR-LIFE-1\"}");
    const step steps[] = {
        {"POST", "suspend", "{\"reason\":\"late payment\"}", "contract.suspended"},
        {"POST", "reactivate", NULL, "contract.reactivated"},
        {"POST", "mandate/revoke", NULL, "contract.mandate-revoked"},
        {"PUT", "mandate",
         "{\"reference\":\"MDT-2\",\"iban\":\"DE89370400440532013000\",\"signedAt\":\"2026-03-"
         "01\"}",
         "contract.mandate-signed"},
        {"PUT", "credit-limit", "{\"amount\":\"8000\",\"currency\":\"EUR\"}",
         "contract.credit-limit-changed"},
        {"POST", "cancel", "{\"reason\":\"customer left\"}", "contract.cancelled"},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/contracts/%s/%s", ref, steps[i].action);
        bpt_resp r = bpt_http(steps[i].method, svc.port, path, BPT_API_KEY, steps[i].body, NULL);
        if (r.status != 200)
            fprintf(stderr, "%s: %s\n", path, r.body);
        assert_int_equal(r.status, 200);
        assert_int_equal(json_integer_value(json_object_get(r.json, "version")), (int)i + 2);
        /* Routes the earlier API did not have answer only the right spelling. */
        assert_string_equal(str(r.json, "distributor.distributorRef"), "esgi SA");
        assert_null(json_object_get(json_object_get(r.json, "distributor"), "disributorRef"));
        bpt_resp_free(&r);
    }
    bpt_resp g = bpt_http("GET", svc.port, "/contracts/CTR-LIFE-1", BPT_READ_KEY, NULL, NULL);
    /* Its routes answer its misspelling too (docs/compatibility.md). */
    assert_string_equal(str(g.json, "distributor.disributorRef"), "esgi SA");
    bpt_resp list = bpt_http("GET", svc.port, "/contracts?size=100", BPT_READ_KEY, NULL, NULL);
    assert_string_equal(str(json_array_get(json_object_get(list.json, "contracts"), 0),
                            "distributor.disributorRef"),
                        "esgi SA");
    bpt_resp_free(&list);
    assert_string_equal(str(g.json, "status"), "CANCELLED");
    assert_string_equal(str(g.json, "cancellationReason"), "customer left");
    assert_string_equal(str(g.json, "payment.mandate.iban"), "DE89**************3000");
    assert_string_equal(str(g.json, "billing.creditLimit.amount"), "8000.00");
    const char *id = str(g.json, "contractId");

    /* Wait for the relay, then read the topic: one event per change, in order. */
    char sql[256];
    for (int i = 0;
         i < 100 &&
         bpt_sql_long(db_url, "SELECT count(*) FROM outbox WHERE published_at IS NULL") > 0;
         i++)
        bpt_sleep_ms(100);
    json_t *events = bpt_consume_all(TOPIC, 1500);
    const char *expected[] = {"contract.created",        "contract.suspended",
                              "contract.reactivated",    "contract.mandate-revoked",
                              "contract.mandate-signed", "contract.credit-limit-changed",
                              "contract.cancelled"};
    size_t seen = 0, i;
    json_t *m;
    json_array_foreach(events, i, m)
    {
        if (strcmp(str(m, "key"), id) != 0)
            continue;
        json_t *v = json_object_get(m, "value");
        assert_true(seen < 7);
        assert_string_equal(str(v, "type"), expected[seen]);
        assert_string_equal(str(v, "subject"), id);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "data"), "version")),
                         (int)seen + 1);
        /* Events are ours: the right spelling only. */
        assert_null(json_object_get(json_object_get(json_object_get(v, "data"), "distributor"),
                                    "disributorRef"));
        seen++;
    }
    assert_int_equal(seen, 7);

    /* Every event on the topic matches its AsyncAPI schema. */
    char path[600];
    snprintf(path, sizeof path, "%s/api-events.jsonl", bpt_env("BPT_STATE_DIR"));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    json_array_foreach(events, i, m)
    {
        char *line = json_dumps(json_object_get(m, "value"), JSON_COMPACT);
        fprintf(f, "%s\n", line);
        free(line);
    }
    fclose(f);
    assert_int_equal(bpt_sh("/usr/bin/python3 %s/tests/events/validate_events.py "
                            "%s/asyncapi/boissipay.yaml %s >&2",
                            bpt_env("BPT_SOURCE_DIR"), bpt_env("BPT_SOURCE_DIR"), path),
                     0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM outbox WHERE msg_key = '%s'", id);
    assert_int_equal(bpt_sql_long(db_url, sql), 7);
    json_decref(events);
    bpt_resp_free(&g);
    free(ref);
}

static void test_idempotency_key(void **state)
{
    char *body = ctf_request("{\"subscriber\":{\"party\":{\"customerRef\":\"IDEM\"}}}");
    const char *hdr = "Idempotency-Key: create-idem-1";
    bpt_resp a = bpt_http("POST", svc.port, "/contracts", BPT_API_KEY, body, hdr);
    bpt_resp b = bpt_http("POST", svc.port, "/contracts", BPT_API_KEY, body, hdr);
    assert_int_equal(a.status, 201);
    assert_int_equal(b.status, 201);
    assert_string_equal(str(a.json, "contractId"), str(b.json, "contractId"));
    free(body);
    body = ctf_request("{\"subscriber\":{\"party\":{\"customerRef\":\"IDEM-OTHER\"}}}");
    bpt_resp c = bpt_http("POST", svc.port, "/contracts", BPT_API_KEY, body, hdr);
    assert_int_equal(c.status, 409);
    assert_string_equal(bpt_error_code(&c), "IDEMPOTENCY_KEY_REUSED");
    assert_int_equal(
        bpt_sql_long(db_url, "SELECT count(*) FROM contracts WHERE customer_ref LIKE 'IDEM%'"), 1);

    /* Lifecycle routes honour it too: a retried suspend answers 200, not 409. */
    char path[128];
    snprintf(path, sizeof path, "/contracts/%s/suspend", str(a.json, "contractRef"));
    bpt_resp s1 = bpt_http("POST", svc.port, path, BPT_API_KEY, NULL, "Idempotency-Key: s-1");
    bpt_resp s2 = bpt_http("POST", svc.port, path, BPT_API_KEY, NULL, "Idempotency-Key: s-1");
    bpt_resp s3 = bpt_http("POST", svc.port, path, BPT_API_KEY, NULL, NULL);
    assert_int_equal(s1.status, 200);
    assert_int_equal(s2.status, 200);
    assert_int_equal(s3.status, 409);
    assert_true(json_equal(s1.json, s2.json));
    bpt_resp_free(&s1);
    bpt_resp_free(&s2);
    bpt_resp_free(&s3);
    free(body);
    bpt_resp_free(&a);
    bpt_resp_free(&b);
    bpt_resp_free(&c);
}

static void test_expiry_sweeper(void **state)
{
    char today[11];
    ctf_date(0, today);
    char over[128];
    snprintf(over, sizeof over, "{\"contractRef\":\"CTR-EXP-1\",\"expireAt\":\"%s\"}", today);
    free(ctf_create(svc.port, over));
    /* Let a day pass for this contract: its end date moves to yesterday. */
    free(bpt_sql(db_url, "UPDATE contracts SET expire_at = expire_at - 1"
                         " WHERE contract_ref = 'CTR-EXP-1' RETURNING 1"));
    const char *status = NULL;
    bpt_resp g = {0};
    for (int i = 0; i < 50; i++) {
        bpt_resp_free(&g);
        g = bpt_http("GET", svc.port, "/contracts/CTR-EXP-1", BPT_READ_KEY, NULL, NULL);
        status = str(g.json, "status");
        if (status && strcmp(status, "EXPIRED") == 0)
            break;
        bpt_sleep_ms(200);
    }
    assert_string_equal(status, "EXPIRED");
    bpt_resp r =
        bpt_http("POST", svc.port, "/contracts/CTR-EXP-1/reactivate", BPT_API_KEY, NULL, NULL);
    assert_int_equal(r.status, 409);
    bpt_resp_free(&r);
    bpt_resp_free(&g);
    assert_int_equal(bpt_sql_long(db_url, "SELECT count(*) FROM outbox WHERE payload LIKE "
                                          "'%\"type\":\"contract.expired\"%'"),
                     1);
}

static void test_health_ready_metrics(void **state)
{
    bpt_resp r = bpt_http("GET", svc.port, "/ready", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(str(r.json, "checks.database"), "UP");
    assert_string_equal(str(r.json, "checks.kafka"), "UP");
    bpt_resp_free(&r);
    r = bpt_http("GET", svc.port, "/metrics", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(
        r.body, "bp_http_requests_total{route=\"/contracts\",method=\"POST\",status=\"201\"}"));
    assert_non_null(strstr(r.body, "bp_http_request_duration_seconds_bucket"));
    assert_non_null(strstr(r.body, "bp_outbox_published_total"));
    bpt_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_then_get),
        cmocka_unit_test(test_list_filters_and_pages),
        cmocka_unit_test(test_lifecycle_publishes_every_change),
        cmocka_unit_test(test_idempotency_key),
        cmocka_unit_test(test_expiry_sweeper),
        cmocka_unit_test(test_health_ready_metrics),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
