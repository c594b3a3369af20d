/* billing_run: runs and the scheduler.
 *
 * DESIGN: a real run commits contracts in chunks of CHUNK, each chunk in a few
 * statements (numbers reserved at once, operations taken at once, invoices and
 * events inserted at once) under a savepoint. When a chunk is not the simple
 * case — an account missing, a contract another run took meanwhile, an invoice
 * of the period already there — the chunk rolls back to its savepoint (which
 * also gives its numbers back) and is redone one contract at a time, each under
 * its own savepoint: a contract that turns out to have nothing left or an
 * invoice already (unique (contract, period)) rolls back alone, returning the
 * number it drew, so numbers stay gap-free. A dry run only reads, in one
 * read-only snapshot: the same chunks, the same documents, numbered on from
 * the year's counter as a real run started now would number them. */
#include "billing_run.h"

#include "billing_invoice.h"
#include "billing_invoice_store.h"
#include "bp_lock_keys.h"
#include "billing_jsonw.h"
#include "billing_metrics.h"
#include "billing_period.h"
#include "billing_store.h"
#include "bp_cloudevent.h"
#include "bp_log.h"
#include "bp_outbox.h"
#include "bp_random.h"
#include "bp_ticker.h"
#include "bp_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A chunk: one transaction of a real run, and what the fast path holds in
 * memory (its lines and documents). */
#define CHUNK 50
#define CHUNK_OPERATIONS 5000

typedef enum { ONE_ISSUED, ONE_NOTHING, ONE_ALREADY, ONE_FAILED } one_result;

/* invoice.issued (the document as it is) and, when there is something to
 * collect, payment.requested, for n issued invoices, into the outbox. */
static bp_db_result issue_events(const bl_run_ctx *ctx, bp_db *db, const bl_invoice_row *rows,
                                 size_t n)
{
    bp_outbox_item *items = calloc(2 * n + 1, sizeof *items);
    if (items == NULL)
        return BP_DB_ERROR;
    size_t m = 0;
    bp_db_result r = BP_DB_OK;
    for (size_t i = 0; r == BP_DB_OK && i < n; i++) {
        const bl_invoice_head *h = rows[i].head;
        const char *key = h->account->contract_id;
        char id[37];
        json_t *issued = bp_cloudevent_envelope(ctx->source, "invoice.issued", h->invoice_ref, id);
        items[m++] = (bp_outbox_item){ctx->invoice_topic, key, issued, rows[i].text};
        if (issued == NULL)
            r = BP_DB_ERROR;
        if (rows[i].total <= 0)
            continue; /* nothing to collect */
        json_t *request = bp_cloudevent_new(ctx->source, "payment.requested", h->invoice_ref,
                                            bl_invoice_payment_request(h, rows[i].total), id);
        items[m++] = (bp_outbox_item){ctx->payment_topic, key, request, NULL};
        if (request == NULL)
            r = BP_DB_ERROR;
    }
    if (r == BP_DB_OK)
        r = bp_outbox_add_many(db, items, m);
    for (size_t i = 0; i < m; i++)
        json_decref((json_t *)items[i].event);
    free(items);
    return r;
}

/* Invoices one contract inside the open transaction (under a savepoint the
 * caller manages). *dbr tells database trouble. */
static one_result invoice_one(const bl_run_ctx *ctx, bp_db *db, const char *contract_id,
                              const char *period, const char *last, bp_date issue,
                              const char *run_id, bp_db_result *dbr)
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
    if (*dbr != BP_DB_OK || !found) {
        if (*dbr == BP_DB_OK)
            bp_log_error("billing run: contract %s not invoiced: account missing", contract_id);
        return ONE_FAILED;
    }
    int64_t number = 0;
    *dbr = bl_istore_next_number(db, bp_date_year(issue), &number);
    if (*dbr != BP_DB_OK)
        return ONE_FAILED;
    char ref[32], invoice_id[37];
    bl_invoice_number(bp_date_year(issue), number, ref, sizeof ref);
    bp_uuid_v4(invoice_id);
    bl_invoice_line *lines = NULL;
    size_t n = 0;
    bool unreadable = false;
    *dbr = bl_istore_take_operations(db, contract_id, last, ref, &lines, &n, &unreadable);
    if (*dbr != BP_DB_OK || n == 0 || unreadable) {
        free(lines);
        if (unreadable)
            bp_log_error("billing run: contract %s not invoiced: an operation's stored VAT is"
                         " unreadable",
                         contract_id);
        return *dbr != BP_DB_OK || unreadable ? ONE_FAILED : ONE_NOTHING;
    }
    bl_invoice_head h = {.invoice_ref = ref,
                         .invoice_id = invoice_id,
                         .period = period,
                         .issue_date = issue,
                         .due_date = issue + a.payment_term_days,
                         .account = &a};
    bl_invoice_row row = {.head = &h};
    char *text = bl_invoice_render(&h, lines, n, &row.total);
    free(lines);
    if (text != NULL && strlen(text) > BL_INVOICE_MAX_BYTES) {
        bp_log_error("billing run: contract %s not invoiced: its invoice of %zu operations"
                     " (%zu bytes) exceeds the %u bytes an event can carry",
                     contract_id, n, strlen(text), BL_INVOICE_MAX_BYTES);
        free(text);
        return ONE_FAILED;
    }
    row.text = text;
    *dbr = text ? bl_istore_insert_invoice(db, &row, run_id) : BP_DB_ERROR;
    if (*dbr == BP_DB_CONFLICT) {
        free(text);
        *dbr = BP_DB_OK;
        return ONE_ALREADY;
    }
    if (*dbr == BP_DB_OK)
        *dbr = issue_events(ctx, db, &row, 1);
    free(text);
    return *dbr == BP_DB_OK ? ONE_ISSUED : ONE_FAILED;
}

/* One contract under its own savepoint. */
static one_result invoice_saved(const bl_run_ctx *ctx, bp_db *db, const char *contract_id,
                                const char *period, const char *last, bp_date issue,
                                const char *run_id, bp_db_result *dbr)
{
    *dbr = bp_db_exec_script(db, "SAVEPOINT contract");
    if (*dbr != BP_DB_OK)
        return ONE_FAILED;
    one_result r = invoice_one(ctx, db, contract_id, period, last, issue, run_id, dbr);
    bp_db_result undo = bp_db_exec_script(
        db, r == ONE_ISSUED ? "RELEASE SAVEPOINT contract"
                            : "ROLLBACK TO SAVEPOINT contract; RELEASE SAVEPOINT contract");
    if (*dbr == BP_DB_OK)
        *dbr = undo;
    return r;
}

static void count(bl_run_counts *c, one_result r)
{
    c->issued += r == ONE_ISSUED;
    c->already += r == ONE_ALREADY;
    c->failed += r == ONE_FAILED;
}

/* A chunk's invoices, built before they are written. */
typedef struct {
    size_t n;
    char (*refs)[32];
    char (*invoice_ids)[37];
    const char **ref_ptrs;
    bl_account *accounts;
    bool *found;
    bl_invoice_head *heads;
    bl_invoice_row *rows;
    bl_taken taken;
} chunk;

static bool chunk_alloc(chunk *k, size_t n)
{
    *k = (chunk){.n = n};
    k->refs = calloc(n, sizeof *k->refs);
    k->invoice_ids = calloc(n, sizeof *k->invoice_ids);
    k->ref_ptrs = calloc(n, sizeof *k->ref_ptrs);
    k->accounts = calloc(n, sizeof *k->accounts);
    k->found = calloc(n, sizeof *k->found);
    k->heads = calloc(n, sizeof *k->heads);
    k->rows = calloc(n, sizeof *k->rows);
    return k->refs && k->invoice_ids && k->ref_ptrs && k->accounts && k->found && k->heads &&
           k->rows;
}

static void chunk_free(chunk *k)
{
    for (size_t i = 0; k->rows && i < k->n; i++)
        free((char *)k->rows[i].text);
    free(k->refs);
    free(k->invoice_ids);
    free(k->ref_ptrs);
    free(k->accounts);
    free(k->found);
    free(k->heads);
    free(k->rows);
    bl_taken_free(&k->taken);
}

/* The fast path: every contract of ids[0..n) invoiced in a few statements.
 * *fits is false (and the caller rolls back to its savepoint) when the chunk is
 * not the simple case. */
static bp_db_result invoice_chunk(const bl_run_ctx *ctx, bp_db *db, const char *const *ids,
                                  size_t n, const char *period, const char *last, bp_date issue,
                                  const char *run_id, bool *fits)
{
    *fits = false;
    chunk k;
    bp_db_result r = chunk_alloc(&k, n) ? BP_DB_OK : BP_DB_ERROR;
    int year = bp_date_year(issue);
    int64_t first = 0;
    if (r == BP_DB_OK)
        r = bl_istore_reserve_numbers(db, year, (int)n, &first);
    for (size_t i = 0; r == BP_DB_OK && i < n; i++) {
        bl_invoice_number(year, first + (int64_t)i, k.refs[i], sizeof k.refs[i]);
        k.ref_ptrs[i] = k.refs[i];
        bp_uuid_v4(k.invoice_ids[i]);
    }
    if (r == BP_DB_OK)
        r = bl_store_get_accounts(db, ids, n, k.accounts, k.found);
    if (r == BP_DB_OK)
        r = bl_istore_take_chunk(db, ids, k.ref_ptrs, n, last, &k.taken);
    bool simple = r == BP_DB_OK;
    for (size_t i = 0; simple && i < n; i++) {
        size_t from = k.taken.first[i], count = k.taken.first[i + 1] - from;
        if (!k.found[i] || count == 0 || k.taken.unreadable[i]) {
            simple = false; /* account missing, operations taken by another run, bad data */
            break;
        }
        k.heads[i] = (bl_invoice_head){.invoice_ref = k.refs[i],
                                       .invoice_id = k.invoice_ids[i],
                                       .period = period,
                                       .issue_date = issue,
                                       .due_date = issue + k.accounts[i].payment_term_days,
                                       .account = &k.accounts[i]};
        k.rows[i].head = &k.heads[i];
        k.rows[i].text =
            bl_invoice_render(&k.heads[i], k.taken.lines + from, count, &k.rows[i].total);
        if (k.rows[i].text == NULL)
            r = BP_DB_ERROR;
        else if (strlen(k.rows[i].text) > BL_INVOICE_MAX_BYTES)
            simple = false; /* the slow path refuses it alone */
    }
    size_t inserted = 0;
    if (r == BP_DB_OK && simple)
        r = bl_istore_insert_invoices(db, k.rows, n, run_id, &inserted);
    simple = simple && inserted == n; /* an invoice of the period appeared meanwhile */
    if (r == BP_DB_OK && simple)
        r = issue_events(ctx, db, k.rows, n);
    *fits = r == BP_DB_OK && simple;
    chunk_free(&k);
    return r;
}

/* A dry run's chunk: reads only, and writes into `docs` (an open JSON array)
 * the invoices a real run would issue now, numbered on from *next. */
static bp_db_result dry_chunk(bp_db *db, const char *const *ids, size_t n, const char *period,
                              const char *last, bp_date issue, int year, int64_t *next, bl_jw *docs,
                              bl_run_counts *c)
{
    chunk k;
    bp_db_result r = chunk_alloc(&k, n) ? BP_DB_OK : BP_DB_ERROR;
    if (r == BP_DB_OK)
        r = bl_store_get_accounts(db, ids, n, k.accounts, k.found);
    if (r == BP_DB_OK)
        r = bl_istore_take_chunk(db, ids, NULL, n, last, &k.taken);
    for (size_t i = 0; r == BP_DB_OK && i < n; i++) {
        size_t from = k.taken.first[i], count = k.taken.first[i + 1] - from;
        if (count == 0)
            continue; /* invoiced meanwhile */
        if (!k.found[i] || k.taken.unreadable[i]) {
            c->failed++; /* as the real run would */
            continue;
        }
        bl_invoice_number(year, (*next)++, k.refs[i], sizeof k.refs[i]);
        bp_uuid_v4(k.invoice_ids[i]);
        bl_invoice_head h = {.invoice_ref = k.refs[i],
                             .invoice_id = k.invoice_ids[i],
                             .period = period,
                             .issue_date = issue,
                             .due_date = issue + k.accounts[i].payment_term_days,
                             .account = &k.accounts[i]};
        int64_t total = 0;
        char *text = bl_invoice_render(&h, k.taken.lines + from, count, &total);
        if (text == NULL) {
            r = BP_DB_ERROR;
        } else if (strlen(text) > BL_INVOICE_MAX_BYTES) {
            c->failed++; /* as the real run would; the number is not used */
            (*next)--;
        } else {
            bl_jw_raw(docs, text);
            c->issued++;
        }
        free(text);
    }
    chunk_free(&k);
    return r;
}

/* One chunk under a savepoint: the fast path, else contract by contract. */
static bp_db_result run_chunk(const bl_run_ctx *ctx, bp_db *db, const char *const *ids, size_t n,
                              const char *period, const char *last, bp_date issue,
                              const char *run_id, bl_run_counts *c)
{
    bp_db_result r = bp_db_exec_script(db, "SAVEPOINT chunk");
    bool fits = false;
    if (r == BP_DB_OK)
        r = invoice_chunk(ctx, db, ids, n, period, last, issue, run_id, &fits);
    if (r == BP_DB_OK && fits) {
        c->issued += (int)n;
        return bp_db_exec_script(db, "RELEASE SAVEPOINT chunk");
    }
    if (r == BP_DB_UNAVAILABLE)
        return r;
    /* Not the simple case (or a statement failed): undo, then one by one. */
    bp_log_info("billing run %s: chunk of %zu contracts redone one by one (%s)", run_id, n,
                r == BP_DB_OK ? "not the simple case" : bp_db_error(db));
    r = bp_db_exec_script(db, "ROLLBACK TO SAVEPOINT chunk; RELEASE SAVEPOINT chunk");
    for (size_t i = 0; r == BP_DB_OK && i < n; i++)
        count(c, invoice_saved(ctx, db, ids[i], period, last, issue, run_id, &r));
    return r;
}

/* The end of the chunk that starts at `start`: up to CHUNK contracts or
 * CHUNK_OPERATIONS operations, at least one contract. */
static size_t next_chunk_end(const bl_to_bill *items, size_t n, size_t start)
{
    int64_t operations = items[start].operations;
    size_t end = start + 1;
    while (end < n && end - start < CHUNK && operations + items[end].operations <= CHUNK_OPERATIONS)
        operations += items[end++].operations;
    return end;
}

/* A dry run's answer is written as text into one buffer: no tree of thousands of
 * invoices. dry_answer_open writes what comes before the invoices, dry_answer_close
 * the counts after them, and hands the text over. */
static void dry_answer_open(bl_jw *w, const char *period)
{
    bl_jw_init(w, 1 << 16);
    bl_jw_object(w);
    bl_jw_kstring(w, "period", period);
    bl_jw_key(w, "dryRun");
    bl_jw_raw(w, "true");
    bl_jw_kstring(w, "status", "COMPLETED");
    bl_jw_key(w, "invoices");
    bl_jw_array(w);
}

static char *dry_answer_close(bl_jw *w, const bl_run_counts *c)
{
    bl_jw_end(w, ']');
    bl_jw_key(w, "counts");
    bl_jw_object(w);
    bl_jw_kint(w, "contracts", c->contracts);
    bl_jw_kint(w, "invoicesIssued", c->issued);
    bl_jw_kint(w, "alreadyInvoiced", c->already);
    bl_jw_kint(w, "failed", c->failed);
    bl_jw_end(w, '}');
    bl_jw_end(w, '}');
    return bl_jw_finish(w);
}

/* What one run works on. */
typedef struct {
    const bl_run_ctx *ctx;
    bp_db *db;
    bool dry;
    char period[8], last[11], run_id[37];
    bp_date today;
    int year;      /* of the issue date */
    int64_t next;  /* a dry run's next invoice number */
    bl_jw *answer; /* a dry run's answer */
    bl_run_counts c;
} run_state;

/* Invoices the contracts chunk by chunk: a real run commits each chunk (and records its
 * progress), a dry run only reads in its one snapshot. */
static bp_db_result run_chunks(run_state *st, const bl_to_bill *items, size_t n)
{
    const char **ids = calloc(n + 1, sizeof *ids);
    if (ids == NULL)
        return BP_DB_ERROR;
    for (size_t i = 0; i < n; i++)
        ids[i] = items[i].contract_id;
    bp_db_result dbr = BP_DB_OK;
    for (size_t start = 0, end = 0; dbr == BP_DB_OK && start < n; start = end) {
        end = next_chunk_end(items, n, start);
        if (st->dry) {
            dbr = dry_chunk(st->db, ids + start, end - start, st->period, st->last, st->today,
                            st->year, &st->next, st->answer, &st->c);
            continue;
        }
        dbr = bp_db_begin(st->db);
        if (dbr == BP_DB_OK)
            dbr = run_chunk(st->ctx, st->db, ids + start, end - start, st->period, st->last,
                            st->today, st->run_id, &st->c);
        if (dbr == BP_DB_OK)
            dbr = bp_db_commit(st->db);
        bp_db_rollback(st->db);
        if (dbr == BP_DB_OK) {
            bp_outbox_relay_wake(st->ctx->relay);
            if (bl_istore_run_update(st->db, st->run_id, "RUNNING", &st->c) != BP_DB_OK)
                bp_log_warn("billing run %s: progress not recorded", st->run_id);
        }
    }
    free(ids);
    return dbr;
}

/* Opens the run: a real run records itself, a dry run reads one consistent snapshot and
 * writes nothing; then the contracts to bill and, for a dry run, the next number. */
static bp_db_result run_open(run_state *st, const char *trigger, bl_to_bill **items, size_t *n)
{
    bp_db_result dbr = st->dry
                           ? bp_db_begin(st->db)
                           : bl_istore_run_create(st->db, st->run_id, st->period, st->dry, trigger);
    if (dbr == BP_DB_OK && st->dry)
        dbr =
            bp_db_exec_script(st->db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (dbr == BP_DB_OK)
        dbr = bl_istore_contracts_to_bill(st->db, st->last, st->period, items, n, &st->c.already);
    if (dbr == BP_DB_OK && st->dry &&
        (dbr = bl_istore_peek_number(st->db, st->year, &st->next)) == BP_DB_OK)
        st->next++;
    st->c.contracts = (int)*n + st->c.already;
    return dbr;
}

bl_result bl_run_execute(const bl_run_ctx *ctx, bp_db *db, const char *period_text, bool dry,
                         const char *trigger, bl_outcome *o)
{
    bl_period p;
    if (!bl_period_parse(period_text, &p)) {
        bp_verr_set(&o->verr, "", "period", "must be a month YYYY-MM (" BL_PERIOD_RANGE_TEXT ")");
        return BL_R_INVALID;
    }
    run_state st = {.ctx = ctx, .db = db, .dry = dry, .today = bp_date_local(bp_time_now_ms())};
    if (bl_period_first(p) > st.today) { /* a well-formed period, refused by a rule: 422 */
        snprintf(o->code, sizeof o->code, "PERIOD_NOT_STARTED");
        snprintf(o->message, sizeof o->message, "period %s has not started yet", period_text);
        snprintf(o->detail, sizeof o->detail, "period");
        return BL_R_REJECTED;
    }
    bl_period_format(p, st.period, sizeof st.period);
    bp_date_format(bl_period_last(p), st.last, sizeof st.last);
    bp_uuid_v4(st.run_id);
    st.year = bp_date_year(st.today);
    int64_t started = bp_time_mono_us();
    bl_jw answer;
    if (dry) {
        dry_answer_open(&answer, st.period);
        st.answer = &answer;
    }
    bl_to_bill *items = NULL;
    size_t n = 0;
    bp_db_result dbr = run_open(&st, trigger, &items, &n);
    if (dbr == BP_DB_OK)
        dbr = run_chunks(&st, items, n);
    if (dry)
        bp_db_rollback(db);
    free(items);
    if (dbr != BP_DB_OK) {
        if (!dry && bl_istore_run_update(db, st.run_id, "FAILED", &st.c) != BP_DB_OK)
            bp_log_warn("billing run %s: failure not recorded", st.run_id);
        if (dry)
            free(bl_jw_finish(&answer));
        bp_log_error("billing run %s of %s failed: %s", st.run_id, st.period, bp_db_error(db));
        bl_metrics_run(dry ? "dry_run" : "failed", 0, 0);
        return dbr == BP_DB_UNAVAILABLE ? BL_R_UNAVAILABLE : BL_R_INTERNAL;
    }
    double secs = (double)(bp_time_mono_us() - started) / 1e6;
    bp_log_fields(BP_LOG_INFO,
                  json_pack("{s:s, s:s, s:b, s:i, s:i, s:i, s:f}", "run", st.run_id, "period",
                            st.period, "dryRun", dry, "contracts", st.c.contracts, "issued",
                            st.c.issued, "alreadyInvoiced", st.c.already, "seconds", secs),
                  "billing run finished");
    if (dry) {
        bl_metrics_run("dry_run", secs, 0);
        o->text = dry_answer_close(&answer, &st.c);
        return o->text ? BL_R_OK : BL_R_INTERNAL;
    }
    dbr = bl_istore_run_update(db, st.run_id, "COMPLETED", &st.c);
    if (dbr == BP_DB_OK)
        dbr = bl_istore_run_get(db, st.run_id, &o->resource);
    if (dbr != BP_DB_OK || o->resource == NULL) {
        bl_metrics_run("failed", 0, 0);
        return dbr == BP_DB_UNAVAILABLE ? BL_R_UNAVAILABLE : BL_R_INTERNAL;
    }
    bl_metrics_run("completed", secs, st.c.issued);
    return BL_R_CREATED;
}

/* ---------- scheduler ---------- */

struct bl_scheduler {
    const bl_run_ctx *ctx;
    bp_db *db;
    int day, minute;
    bp_ticker *ticker;
};

static void scheduler_tick(void *arg, const bp_ticker *t)
{
    (void)t;
    bl_scheduler *s = arg;
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
    if (bp_db_exec(s->db, &res, "SELECT pg_try_advisory_lock(" BP_LOCK_BILLING_SCHEDULER ")", 0,
                   NULL) != BP_DB_OK)
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
    if (bp_db_exec(s->db, NULL, "SELECT pg_advisory_unlock(" BP_LOCK_BILLING_SCHEDULER ")", 0,
                   NULL) != BP_DB_OK)
        bp_log_warn("scheduler: unlock failed: %s", bp_db_error(s->db));
}

bl_scheduler *bl_scheduler_start(const bl_run_ctx *ctx, const char *database_url, int day,
                                 int minute_of_day)
{
    bl_scheduler *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    *s = (bl_scheduler){.ctx = ctx, .day = day, .minute = minute_of_day};
    s->db = bp_db_new(database_url);
    s->ticker = s->db ? bp_ticker_start(scheduler_tick, s, 30000) : NULL;
    if (s->ticker == NULL) {
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
    bp_ticker_stop(s->ticker);
    bp_db_free(s->db);
    free(s);
}
