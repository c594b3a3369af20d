/* billing_fixture: two real daemons wired through real Kafka. Test-only. */
#include "billing_fixture.h"

#include "contract_fixture.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void proc_env(char env[][600], const char *db, const blf_stack *s)
{
    snprintf(env[0], 600, "BP_DATABASE_URL=%s", db);
    snprintf(env[1], 600, "BP_KAFKA_BROKERS=%s", bpt_env("BPT_KAFKA"));
    snprintf(env[2], 600, "BP_TOPIC_CONTRACT=%s", s->contract_topic);
    snprintf(env[3], 600, "BP_TOPIC_OPERATION=%s", s->operation_topic);
    snprintf(env[4], 600, "BP_TOPIC_INVOICE=%s", s->invoice_topic);
    snprintf(env[5], 600, "BP_TOPIC_PAYMENT=%s", s->payment_topic);
    snprintf(env[6], 600, "BP_TOPIC_DEAD_LETTER=%s", s->dead_letter_topic);
}

static void wait_ready(bpt_proc *p)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ready", p->port);
    if (!bpt_wait_status(url, 200, 30000)) {
        fprintf(stderr, "daemon not ready; log in %s\n", p->log_path);
        abort();
    }
}

void blf_start_billing(blf_stack *s, bpt_proc *p, const char *name)
{
    char env[7][600];
    proc_env(env, s->billing_db, s);
    char group[128];
    snprintf(group, sizeof group, "BP_CONSUMER_GROUP=billing-%s", s->name);
    /* No scheduled run during tests: they start runs themselves. */
    const char *e[] = {env[0],
                       env[1],
                       env[2],
                       env[3],
                       env[4],
                       env[5],
                       env[6],
                       group,
                       "BP_BILLING_SCHEDULE=false",
                       "BP_API_KEYS=" BPT_API_KEY ":rw," BPT_READ_KEY ":r",
                       "BP_OUTBOX_POLL_MS=200",
                       "BP_HTTP_THREADS=8",
                       "BP_SHUTDOWN_GRACE_SECONDS=2",
                       "BP_HTTP_ACCESS_LOG=false",
                       NULL};
    bpt_proc_start(p, name, "services/billing/boissipay-billing", bpt_free_port(), e);
    wait_ready(p);
}

void blf_start(blf_stack *s, const char *name)
{
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    char db[128];
    snprintf(db, sizeof db, "%s_contract", name);
    bpt_db_create(db, s->contract_db, sizeof s->contract_db);
    snprintf(db, sizeof db, "%s_billing", name);
    bpt_db_create(db, s->billing_db, sizeof s->billing_db);
    snprintf(s->contract_topic, sizeof s->contract_topic, "%s.contract", name);
    snprintf(s->operation_topic, sizeof s->operation_topic, "%s.operation", name);
    snprintf(s->invoice_topic, sizeof s->invoice_topic, "%s.invoice", name);
    snprintf(s->payment_topic, sizeof s->payment_topic, "%s.payment", name);
    bpt_topic_create(s->contract_topic, 3);
    bpt_topic_create(s->operation_topic, 3);
    bpt_topic_create(s->invoice_topic, 3);
    snprintf(s->dead_letter_topic, sizeof s->dead_letter_topic, "%s.dead-letter", name);
    bpt_topic_create(s->payment_topic, 3);
    bpt_topic_create(s->dead_letter_topic, 1);
    char env[7][600];
    proc_env(env, s->contract_db, s);
    const char *ce[] = {env[0],
                        env[1],
                        env[2],
                        "BP_API_KEYS=" BPT_API_KEY ":rw," BPT_READ_KEY ":r",
                        "BP_OUTBOX_POLL_MS=200",
                        "BP_SHUTDOWN_GRACE_SECONDS=2",
                        NULL};
    char pname[96];
    snprintf(pname, sizeof pname, "%s-contract", name);
    bpt_proc_start(&s->contract, pname, "services/contract/boissipay-contract", bpt_free_port(),
                   ce);
    wait_ready(&s->contract);
    snprintf(pname, sizeof pname, "%s-billing", name);
    blf_start_billing(s, &s->billing, pname);
}

void blf_stop(blf_stack *s)
{
    int a = bpt_proc_stop(&s->billing, SIGTERM);
    int b = bpt_proc_stop(&s->contract, SIGTERM);
    bpt_proc_free(&s->billing);
    bpt_proc_free(&s->contract);
    if (a != 0 || b != 0) {
        fprintf(stderr, "unclean exit: billing %d, contract %d\n", a, b);
        abort();
    }
}

static long account_version(blf_stack *s, const char *ref)
{
    char path[256];
    snprintf(path, sizeof path, "/contracts/%s/account", ref);
    bpt_resp r = bpt_http("GET", s->billing.port, path, BPT_READ_KEY, NULL, NULL);
    long v = r.status == 200 ? (long)json_integer_value(json_object_get(r.json, "version")) : 0;
    bpt_resp_free(&r);
    return v;
}

bool blf_wait_version(blf_stack *s, const char *ref, long version, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 50) {
        if (account_version(s, ref) >= version)
            return true;
        bpt_sleep_ms(50);
    }
    return false;
}

void blf_contract(blf_stack *s, const char *ref, const char *limit, const char *overrides)
{
    char over[1024];
    snprintf(over, sizeof over,
             "{\"contractRef\":\"%s\",\"billing\":{\"creditLimit\":{\"amount\":\"%s\"}}}", ref,
             limit);
    char *body = ctf_request(over);
    if (overrides != NULL) { /* apply the caller's overrides on top */
        json_t *a = json_loads(body, 0, NULL), *b = json_loads(overrides, 0, NULL);
        json_object_update_recursive(a, b);
        free(body);
        body = json_dumps(a, JSON_COMPACT);
        json_decref(a);
        json_decref(b);
    }
    bpt_resp r = bpt_http("POST", s->contract.port, "/contracts", BPT_API_KEY, body, NULL);
    free(body);
    if (r.status != 201) {
        fprintf(stderr, "contract %s: %ld %s\n", ref, r.status, r.body);
        abort();
    }
    bpt_resp_free(&r);
    if (!blf_wait_version(s, ref, 1, 15000)) {
        fprintf(stderr, "billing never saw contract %s\n", ref);
        abort();
    }
}

long blf_change(blf_stack *s, const char *ref, const char *method, const char *action,
                const char *body)
{
    char path[256];
    snprintf(path, sizeof path, "/contracts/%s/%s", ref, action);
    bpt_resp r = bpt_http(method, s->contract.port, path, BPT_API_KEY, body, NULL);
    long status = r.status;
    long version = (long)json_integer_value(json_object_get(r.json, "version"));
    bpt_resp_free(&r);
    if (status == 200 && !blf_wait_version(s, ref, version, 15000)) {
        fprintf(stderr, "billing never saw version %ld of %s\n", version, ref);
        abort();
    }
    return status;
}

char *blf_operation(const char *ref, const char *order_ref, const char *amount, const char *date,
                    const char *refund_of)
{
    char today[11];
    if (date == NULL) {
        ctf_date(0, today);
        date = today;
    }
    json_t *op = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:[{s:[{s:s, s:i, s:s, s:i}]}]}}",
                           "contractRef", ref, "operationType", refund_of ? "REFUND" : "PURCHASE",
                           "operationAt", date, "order", "orderRef", order_ref, "currencyCode",
                           "EUR", "orderItems", "productItems", "productLabel", "Paris-Lyon",
                           "quantity", 1, "unitPrice", amount, "vatRate", 0);
    if (refund_of != NULL)
        json_object_set_new(op, "refundOf", json_string(refund_of));
    char *text = json_dumps(op, JSON_COMPACT);
    json_decref(op);
    return text;
}

long blf_buy(int port, const char *ref, const char *order_ref, const char *amount, const char *date,
             char *code)
{
    char *body = blf_operation(ref, order_ref, amount, date, NULL);
    bpt_resp r = bpt_http("POST", port, "/operations", BPT_API_KEY, body, NULL);
    free(body);
    if (code != NULL)
        snprintf(code, 64, "%s", bpt_error_code(&r));
    long status = r.status;
    bpt_resp_free(&r);
    return status;
}

long blf_outstanding(blf_stack *s, const char *ref)
{
    char path[256];
    snprintf(path, sizeof path, "/contracts/%s/account", ref);
    bpt_resp r = bpt_http("GET", s->billing.port, path, BPT_READ_KEY, NULL, NULL);
    long v = r.status == 200 ? (long)bpt_money(r.json, "outstanding", NULL) : -1;
    bpt_resp_free(&r);
    return v;
}

void blf_start_cycle_daemon(const blf_stack *s, bpt_proc *p, const char *prefix, const char *name,
                            const char *binary, const char *dead_letter, const char *const *extra)
{
    char url[600], dbname[128];
    snprintf(dbname, sizeof dbname, "%s_%s", prefix, name);
    bpt_db_create(dbname, url, sizeof url);
    char env[5][700];
    snprintf(env[0], sizeof env[0], "BP_DATABASE_URL=%s", url);
    snprintf(env[1], sizeof env[1], "BP_KAFKA_BROKERS=%s", bpt_env("BPT_KAFKA"));
    snprintf(env[2], sizeof env[2], "BP_TOPIC_PAYMENT=%s", s->payment_topic);
    snprintf(env[3], sizeof env[3], "BP_TOPIC_INVOICE=%s", s->invoice_topic);
    snprintf(env[4], sizeof env[4], "BP_TOPIC_DEAD_LETTER=%s", dead_letter);
    const char *e[16] = {env[0],
                         env[1],
                         env[2],
                         env[3],
                         env[4],
                         "BP_API_KEYS=" BPT_API_KEY ":rw," BPT_READ_KEY ":r",
                         "BP_OUTBOX_POLL_MS=200",
                         "BP_SHUTDOWN_GRACE_SECONDS=2"};
    size_t n = 8;
    for (size_t i = 0; extra[i] != NULL && n < 15; i++)
        e[n++] = extra[i];
    e[n] = NULL;
    char pname[160];
    snprintf(pname, sizeof pname, "%s-%s", prefix, name);
    bpt_proc_start(p, pname, binary, bpt_free_port(), e);
    wait_ready(p);
}
