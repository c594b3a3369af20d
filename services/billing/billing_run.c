/* billing_run: runs and the scheduler.
 *
 * DESIGN: a real run commits contracts in chunks of CHUNK, one savepoint per
 * contract inside: a contract that turns out to have nothing left (another run
 * took it) or an invoice already (unique (contract, period)) rolls back to its
 * savepoint, which also returns the invoice number it drew, so numbers stay
 * gap-free. A dry run does the same work in one transaction and rolls it all
 * back, so its numbers are the ones a real run would draw. */
#include "billing_run.h"

#include "billing_invoice.h"
#include "billing_invoice_store.h"
#include "billing_period.h"
#include "billing_store.h"
#include "bp_cloudevent.h"
#include "bp_log.h"
#include "bp_outbox.h"
#include "bp_random.h"
#include "bp_time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 50

typedef enum { ONE_ISSUED, ONE_NOTHING, ONE_ALREADY, ONE_FAILED } one_result;

static bp_db_result emit(const bl_run_ctx *ctx, bp_db *db, const char *topic, const char *type,
                         const json_t *data)
{
    const char *key = json_string_value(json_object_get(data, "contractId"));
    const char *ref = json_string_value(json_object_get(data, "invoiceRef"));
    char id[37];
    json_t *event = bp_cloudevent_new(ctx->source, type, ref, json_deep_copy(data), id);
    bp_db_result r = event ? bp_outbox_add(db, topic, key, event) : BP_DB_ERROR;
    json_decref(event);
    return r;
}

/* Invoices one contract inside the open transaction (under a savepoint the
 * caller manages). *dbr tells database trouble; a copy of the invoice goes to
 * `collect` when non-NULL. */
static one_result invoice_one(const bl_run_ctx *ctx, bp_db *db, const char *contract_id,
                              const char *period, const char *last, bp_date issue,
                              const char *run_id, json_t *collect, bp_db_result *dbr)
{
    bool exists = false;
    *dbr = bl_istore_invoice_exists(db, contract_id, period, &exists);
    if (*dbr != BP_DB_OK)
        return ONE_FAILED;
    if (exists)
        return ONE_ALREADY;
    bl_account a;
    bool found = false;
    *dbr = bl_store_get_account(db, contract_id, NULL, &a, &found, NULL);
    if (*dbr != BP_DB_OK || !found)
        return ONE_FAILED;
    char year_text[5];
    bp_date_format(issue, year_text, 5); /* "YYYY" of the issue date */
    int64_t number = 0;
    *dbr = bl_istore_next_number(db, atoi(year_text), &number);
    if (*dbr != BP_DB_OK)
        return ONE_FAILED;
    char ref[32], invoice_id[37];
    bl_invoice_number(atoi(year_text), number, ref, sizeof ref);
    bp_uuid_v4(invoice_id);
    bl_invoice_line *lines = NULL;
    size_t n = 0;
    json_t *vat = NULL;
    *dbr = bl_istore_take_operations(db, contract_id, last, ref, &lines, &n, &vat);
    if (*dbr != BP_DB_OK || n == 0) {
        free(lines);
        json_decref(vat);
        return *dbr != BP_DB_OK ? ONE_FAILED : ONE_NOTHING;
    }
    bl_invoice_head h = {.invoice_ref = ref,
                         .invoice_id = invoice_id,
                         .period = period,
                         .issue_date = issue,
                         .due_date = issue + a.payment_term_days,
                         .account = &a};
    int64_t total = 0;
    json_t *doc = bl_invoice_build(&h, lines, n, &total);
    free(lines);
    json_decref(vat);
    *dbr = bl_istore_insert_invoice(db, doc, run_id);
    if (*dbr == BP_DB_CONFLICT) {
        json_decref(doc);
        *dbr = BP_DB_OK;
        return ONE_ALREADY;
    }
    if (*dbr == BP_DB_OK)
        *dbr = emit(ctx, db, ctx->invoice_topic, "invoice.issued", doc);
    if (*dbr == BP_DB_OK && total > 0) {
        json_t *req = bl_invoice_payment_request(doc);
        *dbr = emit(ctx, db, ctx->payment_topic, "payment.requested", req);
        json_decref(req);
    }
    if (*dbr == BP_DB_OK && collect != NULL)
        json_array_append(collect, doc);
    json_decref(doc);
    return *dbr == BP_DB_OK ? ONE_ISSUED : ONE_FAILED;
}

/* One contract under its own savepoint. */
static one_result invoice_saved(const bl_run_ctx *ctx, bp_db *db, const char *contract_id,
                                const char *period, const char *last, bp_date issue,
                                const char *run_id, json_t *collect, bp_db_result *dbr)
{
    *dbr = bp_db_exec_script(db, "SAVEPOINT contract");
    if (*dbr != BP_DB_OK)
        return ONE_FAILED;
    one_result r = invoice_one(ctx, db, contract_id, period, last, issue, run_id, collect, dbr);
    bp_db_result undo = bp_db_exec_script(
        db, r == ONE_ISSUED ? "RELEASE SAVEPOINT contract" : "ROLLBACK TO SAVEPOINT contract");
    if (*dbr == BP_DB_OK)
        *dbr = undo;
    if (r == ONE_FAILED && *dbr == BP_DB_OK)
        bp_log_error("billing run: contract %s not invoiced (account missing)", contract_id);
    return r;
}

static void count(bl_run_counts *c, one_result r)
{
    c->issued += r == ONE_ISSUED;
    c->already += r == ONE_ALREADY;
    c->failed += r == ONE_FAILED;
}

bl_result bl_run_execute(const bl_run_ctx *ctx, bp_db *db, const char *period_text, bool dry,
                         const char *trigger, bl_outcome *o)
{
    bl_period p;
    if (!bl_period_parse(period_text, &p)) {
        bp_verr_set(&o->verr, "", "period", "must be a month YYYY-MM");
        return BL_R_INVALID;
    }
    bp_date today = bp_date_local(bp_time_now_ms());
    if (bl_period_first(p) > today) {
        bp_verr_set(&o->verr, "", "period", "has not started yet");
        return BL_R_INVALID;
    }
    char period[8], last[11], run_id[37];
    bl_period_format(p, period, sizeof period);
    bp_date_format(bl_period_last(p), last, sizeof last);
    bp_uuid_v4(run_id);
    int64_t started = bp_time_mono_us();
    json_t *ids = NULL;
    bl_run_counts c = {0, 0, 0, 0};
    bp_db_result dbr = dry ? BP_DB_OK : bl_istore_run_create(db, run_id, period, dry, trigger);
    if (dbr == BP_DB_OK)
        dbr = bl_istore_contracts_to_bill(db, last, &ids);
    json_t *collect = dry ? json_array() : NULL;
    size_t n = json_array_size(ids);
    c.contracts = (int)n;
    for (size_t start = 0; dbr == BP_DB_OK && start < n; start += dry ? n : CHUNK) {
        size_t end = dry || start + CHUNK > n ? n : start + CHUNK;
        dbr = bp_db_begin(db);
        for (size_t i = start; dbr == BP_DB_OK && i < end; i++)
            count(&c, invoice_saved(ctx, db, json_string_value(json_array_get(ids, i)), period,
                                    last, today, run_id, collect, &dbr));
        if (dbr == BP_DB_OK && !dry)
            dbr = bp_db_commit(db);
        bp_db_rollback(db);
        if (dbr == BP_DB_OK && !dry) {
            bp_outbox_relay_wake(ctx->relay);
            if (bl_istore_run_update(db, run_id, "RUNNING", &c) != BP_DB_OK)
                bp_log_warn("billing run %s: progress not recorded", run_id);
        }
    }
    json_decref(ids);
    if (dbr != BP_DB_OK) {
        if (!dry && bl_istore_run_update(db, run_id, "FAILED", &c) != BP_DB_OK)
            bp_log_warn("billing run %s: failure not recorded", run_id);
        json_decref(collect);
        bp_log_error("billing run %s of %s failed: %s", run_id, period, bp_db_error(db));
        return dbr == BP_DB_UNAVAILABLE ? BL_R_UNAVAILABLE : BL_R_INTERNAL;
    }
    double secs = (double)(bp_time_mono_us() - started) / 1e6;
    bp_log_fields(BP_LOG_INFO,
                  json_pack("{s:s, s:s, s:b, s:i, s:i, s:i, s:f}", "run", run_id, "period", period,
                            "dryRun", dry, "contracts", c.contracts, "issued", c.issued,
                            "alreadyInvoiced", c.already, "seconds", secs),
                  "billing run finished");
    if (dry) {
        o->resource = json_pack("{s:s, s:b, s:s, s:{s:i, s:i, s:i, s:i}, s:o}", "period", period,
                                "dryRun", 1, "status", "COMPLETED", "counts", "contracts",
                                c.contracts, "invoicesIssued", c.issued, "alreadyInvoiced",
                                c.already, "failed", c.failed, "invoices", collect);
        return BL_R_OK;
    }
    dbr = bl_istore_run_update(db, run_id, "COMPLETED", &c);
    if (dbr == BP_DB_OK)
        dbr = bl_istore_run_get(db, run_id, &o->resource);
    if (dbr != BP_DB_OK || o->resource == NULL)
        return dbr == BP_DB_UNAVAILABLE ? BL_R_UNAVAILABLE : BL_R_INTERNAL;
    return BL_R_CREATED;
}

/* ---------- scheduler ---------- */

struct bl_scheduler {
    const bl_run_ctx *ctx;
    bp_db *db;
    int day, minute;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

static void scheduler_tick(bl_scheduler *s)
{
    int64_t now = bp_time_now_ms();
    time_t secs = (time_t)(now / 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    bl_period due;
    if (!bl_schedule_due(bp_date_local(now), tm.tm_hour * 60 + tm.tm_min, s->day, s->minute, &due))
        return;
    char period[8];
    bl_period_format(due, period, sizeof period);
    bool done = true;
    if (bl_istore_period_done(s->db, period, &done) != BP_DB_OK || done)
        return;
    PGresult *res = NULL;
    if (bp_db_exec(s->db, &res, "SELECT pg_try_advisory_lock(7428003)", 0, NULL) != BP_DB_OK)
        return;
    bool got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!got)
        return; /* another instance runs it */
    bp_log_info("scheduled billing run of %s", period);
    bl_outcome o = {0};
    bl_result r = bl_run_execute(s->ctx, s->db, period, false, "schedule", &o);
    bl_outcome_clear(&o);
    if (r != BL_R_CREATED)
        bp_log_warn("scheduled billing run of %s did not complete; retried later", period);
    if (bp_db_exec(s->db, NULL, "SELECT pg_advisory_unlock(7428003)", 0, NULL) != BP_DB_OK)
        bp_log_warn("scheduler: unlock failed: %s", bp_db_error(s->db));
}

static void *scheduler_main(void *arg)
{
    bl_scheduler *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        pthread_mutex_unlock(&s->lock);
        scheduler_tick(s);
        pthread_mutex_lock(&s->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 30;
        while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &until) == 0) {
        }
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

bl_scheduler *bl_scheduler_start(const bl_run_ctx *ctx, const char *database_url, int day,
                                 int minute_of_day)
{
    bl_scheduler *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    *s = (bl_scheduler){.ctx = ctx, .day = day, .minute = minute_of_day};
    s->db = bp_db_new(database_url);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    if (s->db == NULL || pthread_create(&s->thread, NULL, scheduler_main, s) != 0) {
        bp_db_free(s->db);
        free(s);
        return NULL;
    }
    return s;
}

void bl_scheduler_stop(bl_scheduler *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    bp_db_free(s->db);
    free(s);
}
