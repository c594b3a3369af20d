/* contract_fixture: shared setup of the contract integration tests. */
#include "contract_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ctf_date(int days, char *buf)
{
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 11, "%Y-%m-%d", &tm);
}

static void merge(json_t *dst, json_t *src)
{
    const char *k;
    json_t *v;
    json_object_foreach(src, k, v)
    {
        json_t *cur = json_object_get(dst, k);
        if (json_is_null(v))
            json_object_del(dst, k);
        else if (json_is_object(v) && json_is_object(cur))
            merge(cur, v);
        else
            json_object_set(dst, k, v);
    }
}

char *ctf_request(const char *overrides)
{
    char expire[11];
    ctf_date(365, expire);
    json_t *req = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
        " s:{s:s, s:{s:s, s:s}},"
        " s:{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s}},"
        " s:{s:{s:s, s:s, s:s}},"
        " s:{s:{s:s, s:s}, s:i, s:s}}",
        "productRef", "DEFERRED_BILLING", "contractType", "DEFERRED_BILLING", "createdAt",
        "2026-01-02", "signedAt", "2026-01-02", "activatedAt", "2026-01-05", "expireAt", expire,
        "status", "ACTIVE", "distributor", "distributorRef", "esgi SA", "contactPerson", "lastName",
        "MARTIN", "mail", "sales@esgi.example", "subscriber", "subscriberRef", "ACME SA",
        "subscriberType", "PROFESSIONNAL", "party", "customerId", "PRO-1", "customerRef", "ACME",
        "contactPerson", "ccuid", "CCU-1", "gender", "M", "firstName", "John", "lastName", "DOE",
        "mail", "john.doe@acme.example", "phone", "+33 1 00 00 00 00", "billingAddress", "line1",
        "ACME SA", "locality", "Paris", "countryCode", "FR", "payment", "mandate", "reference",
        "MDT-ACME-001", "iban", "FR76 3000 6000 0112 3456 7890 189", "signedAt", "2026-01-02",
        "billing", "creditLimit", "amount", "5000.00", "currency", "EUR", "paymentTermDays", 30,
        "invoiceEmail", "ap@acme.example");
    if (req == NULL)
        abort();
    if (overrides != NULL) {
        json_t *o = json_loads(overrides, 0, NULL);
        if (o == NULL)
            abort();
        merge(req, o);
        json_decref(o);
    }
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    return text;
}

void ctf_start(bpt_proc *p, const char *name, const char *topic, char *db_url, size_t size)
{
    bpt_db_create(name, db_url, size);
    bpt_topic_create(topic, 3);
    char db_env[600], kafka_env[300], topic_env[300];
    snprintf(db_env, sizeof db_env, "BP_DATABASE_URL=%s", db_url);
    snprintf(kafka_env, sizeof kafka_env, "BP_KAFKA_BROKERS=%s", bpt_env("BPT_KAFKA"));
    snprintf(topic_env, sizeof topic_env, "BP_TOPIC_CONTRACT=%s", topic);
    const char *env[] = {db_env,
                         kafka_env,
                         topic_env,
                         "BP_API_KEYS=" BPT_API_KEY ":rw," BPT_READ_KEY ":r",
                         "BP_OUTBOX_POLL_MS=200",
                         "BP_EXPIRY_SWEEP_SECONDS=1",
                         "BP_HTTP_THREADS=4",
                         "BP_SHUTDOWN_GRACE_SECONDS=2",
                         NULL};
    bpt_proc_start(p, name, "services/contract/boissipay-contract", bpt_free_port(), env);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ready", p->port);
    if (!bpt_wait_status(url, 200, 30000)) {
        fprintf(stderr, "contract daemon not ready; log in %s\n", p->log_path);
        abort();
    }
}

char *ctf_create(int port, const char *overrides)
{
    char *body = ctf_request(overrides);
    bpt_resp r = bpt_http("POST", port, "/contracts", BPT_API_KEY, body, NULL);
    free(body);
    if (r.status != 201) {
        fprintf(stderr, "create failed: %ld %s\n", r.status, r.body);
        abort();
    }
    char *ref = strdup(json_string_value(json_object_get(r.json, "contractRef")));
    bpt_resp_free(&r);
    return ref;
}
