/* payment_fixture: one real payment daemon fed through real Kafka. Test-only. */
#include "payment_fixture.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void pmf_uuid(char *buf)
{
    static unsigned counter;
    snprintf(buf, 37, "%08x-%04x-4000-8000-%012x", (unsigned)getpid(),
             (unsigned)(time(NULL) & 0xffff), ++counter);
}

void pmf_wait_ready(pmf_stack *s)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/ready", s->proc.port);
    if (!bpt_wait_status(url, 200, 30000)) {
        fprintf(stderr, "payment daemon not ready; log in %s\n", s->proc.log_path);
        abort();
    }
}

void pmf_start(pmf_stack *s, const char *name, const char *const *env)
{
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    bpt_db_create(name, s->db, sizeof s->db);
    snprintf(s->topic, sizeof s->topic, "%s.payment", name);
    snprintf(s->dead_letter, sizeof s->dead_letter, "%s.dead-letter", name);
    bpt_topic_create(s->topic, 3);
    bpt_topic_create(s->dead_letter, 1);
    char e[6][600];
    snprintf(e[0], 600, "BP_DATABASE_URL=%s", s->db);
    snprintf(e[1], 600, "BP_KAFKA_BROKERS=%s", bpt_env("BPT_KAFKA"));
    snprintf(e[2], 600, "BP_TOPIC_PAYMENT=%s", s->topic);
    snprintf(e[3], 600, "BP_TOPIC_DEAD_LETTER=%s", s->dead_letter);
    snprintf(e[4], 600, "BP_CONSUMER_GROUP=payment-%s", name);
    snprintf(e[5], 600, "BP_API_KEYS=%s:rw,%s:r", BPT_API_KEY, BPT_READ_KEY);
    const char *all[32] = {e[0],
                           e[1],
                           e[2],
                           e[3],
                           e[4],
                           e[5],
                           "BP_OUTBOX_POLL_MS=200",
                           "BP_SHUTDOWN_GRACE_SECONDS=2",
                           "BP_HTTP_ACCESS_LOG=false"};
    size_t n = 9;
    for (size_t i = 0; env != NULL && env[i] != NULL && n < 31; i++)
        all[n++] = env[i];
    all[n] = NULL;
    bpt_proc_start(&s->proc, name, "services/payment/boissipay-payment", bpt_free_port(), all);
    pmf_wait_ready(s);
}

void pmf_stop(pmf_stack *s)
{
    int status = bpt_proc_stop(&s->proc, SIGTERM);
    int logged = bpt_sh("grep -q '\"msg\":\"stopped\"' '%s'", s->proc.log_path);
    bpt_proc_free(&s->proc);
    if (status != 0 || logged != 0) {
        fprintf(stderr, "payment daemon: unclean exit %d (log %s)\n", status, s->proc.log_path);
        abort();
    }
}

char *pmf_request(const char *event_id, const char *invoice_ref, const char *contract_id,
                  long amount_minor, const char *mandate)
{
    return pmf_request_due(event_id, invoice_ref, contract_id, amount_minor, mandate, "2026-12-01");
}

char *pmf_request_due(const char *event_id, const char *invoice_ref, const char *contract_id,
                      long amount_minor, const char *mandate, const char *due_date)
{
    char amount[32];
    snprintf(amount, sizeof amount, "%ld.%02ld", amount_minor / 100, amount_minor % 100);
    json_t *data = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:I}, s:s, s:s}", "invoiceRef",
                             invoice_ref, "contractId", contract_id, "contractRef", "CTR-PAY-TEST",
                             "amount", "amount", amount, "currency", "EUR", "minorUnits",
                             (json_int_t)amount_minor, "currency", "EUR", "dueDate", due_date);
    if (mandate != NULL)
        json_object_set_new(data, "mandateReference", json_string(mandate));
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "specversion", "1.0", "id",
                           event_id, "source", "/boissipay/billing", "type", "payment.requested",
                           "time", "2026-11-01T00:00:00.000Z", "subject", invoice_ref,
                           "datacontenttype", "application/json", "data", data);
    char *text = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(ev);
    return text;
}

void pmf_send(pmf_stack *s, const char *contract_id, const char *value)
{
    bpt_produce(s->topic, contract_id, value);
}

void pmf_request_send(pmf_stack *s, const char *invoice_ref, const char *contract_id,
                      long amount_minor, const char *mandate)
{
    char id[37];
    pmf_uuid(id);
    char *text = pmf_request(id, invoice_ref, contract_id, amount_minor, mandate);
    pmf_send(s, contract_id, text);
    free(text);
}

char *pmf_status(pmf_stack *s, const char *invoice_ref)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT coalesce((SELECT status FROM payments WHERE invoice_ref = '%s'), '')",
             invoice_ref);
    return bpt_sql(s->db, sql);
}

bool pmf_wait_status(pmf_stack *s, const char *invoice_ref, const char *status, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        char *got = pmf_status(s, invoice_ref);
        bool done = got != NULL && strcmp(got, status) == 0;
        free(got);
        if (done)
            return true;
        bpt_sleep_ms(100);
    }
    fprintf(stderr, "payment of %s never reached %s (log %s)\n", invoice_ref, status,
            s->proc.log_path);
    return false;
}

bool pmf_wait_published(pmf_stack *s, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 100) {
        if (bpt_sql_long(s->db, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0)
            return true;
        bpt_sleep_ms(100);
    }
    return false;
}

json_t *pmf_results(pmf_stack *s, const char *invoice_ref)
{
    static const char *const results[] = {"payment.succeeded", "payment.failed", NULL};
    return bpt_events_of(s->topic, results, invoice_ref);
}
