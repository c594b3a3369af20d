/* billing_invoice_store: SQL of billing_runs, invoices and invoice_counters.
 * Runs on the thread that owns the connection (HTTP worker, scheduler,
 * consumer). */
#include "billing_invoice_store.h"

#include "billing_legacy.h"
#include "bp_money.h"
#include "bp_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

static bool check(bp_db_result r, PGresult *res, bp_db_result *out)
{
    *out = r;
    if (r != BP_DB_OK)
        PQclear(res);
    return r == BP_DB_OK;
}

bp_db_result bl_istore_interrupt_runs(bp_db *db)
{
    return bp_db_exec(db, NULL,
                      "UPDATE billing_runs SET status = 'INTERRUPTED', finished_at = now()"
                      " WHERE status = 'RUNNING'",
                      0, NULL);
}

bp_db_result bl_istore_run_create(bp_db *db, const char *run_id, const char *period, bool dry,
                                  const char *trigger)
{
    const char *params[] = {run_id, period, dry ? "true" : "false", trigger};
    return bp_db_exec(db, NULL,
                      "INSERT INTO billing_runs (run_id, period, dry_run, trigger, status)"
                      " VALUES ($1, $2, $3, $4, 'RUNNING')",
                      4, params);
}

bp_db_result bl_istore_run_update(bp_db *db, const char *run_id, const char *status,
                                  const bl_run_counts *c)
{
    char n[4][16];
    snprintf(n[0], 16, "%d", c->contracts);
    snprintf(n[1], 16, "%d", c->issued);
    snprintf(n[2], 16, "%d", c->already);
    snprintf(n[3], 16, "%d", c->failed);
    const char *params[] = {run_id, status, n[0], n[1], n[2], n[3]};
    return bp_db_exec(db, NULL,
                      "UPDATE billing_runs SET status = $2, contracts = $3, invoices_issued = $4,"
                      " already_invoiced = $5, failed = $6,"
                      " finished_at = CASE WHEN $2 = 'RUNNING' THEN NULL ELSE now() END"
                      " WHERE run_id = $1",
                      6, params);
}

#define RUN_COLUMNS                                                                                \
    "run_id, period, dry_run, trigger, status, contracts, invoices_issued, already_invoiced,"      \
    " failed, " TS("started_at") ", " TS("finished_at")

static json_t *run_json(PGresult *res, int i)
{
    json_t *counts = json_pack("{s:i, s:i, s:i, s:i}", "contracts", atoi(PQgetvalue(res, i, 5)),
                               "invoicesIssued", atoi(PQgetvalue(res, i, 6)), "alreadyInvoiced",
                               atoi(PQgetvalue(res, i, 7)), "failed", atoi(PQgetvalue(res, i, 8)));
    json_t *run =
        json_pack("{s:s, s:s, s:b, s:s, s:s, s:o, s:s}", "runId", PQgetvalue(res, i, 0), "period",
                  PQgetvalue(res, i, 1), "dryRun", strcmp(PQgetvalue(res, i, 2), "t") == 0,
                  "trigger", PQgetvalue(res, i, 3), "status", PQgetvalue(res, i, 4), "counts",
                  counts, "startedAt", PQgetvalue(res, i, 9));
    if (!PQgetisnull(res, i, 10))
        json_object_set_new(run, "finishedAt", json_string(PQgetvalue(res, i, 10)));
    return run;
}

bp_db_result bl_istore_run_get(bp_db *db, const char *run_id, json_t **run)
{
    *run = NULL;
    const char *params[] = {run_id};
    PGresult *res = NULL;
    bp_db_result r;
    if (!check(bp_db_exec(db, &res,
                          "SELECT " RUN_COLUMNS " FROM billing_runs WHERE run_id::text = $1", 1,
                          params),
               res, &r))
        return r;
    if (PQntuples(res) == 1)
        *run = run_json(res, 0);
    PQclear(res);
    return r;
}

bp_db_result bl_istore_run_list(bp_db *db, int64_t limit, int64_t offset, json_t **items,
                                int64_t *total)
{
    char l[24], o[24];
    snprintf(l, sizeof l, "%lld", (long long)limit);
    snprintf(o, sizeof o, "%lld", (long long)offset);
    const char *params[] = {l, o};
    PGresult *res = NULL;
    bp_db_result r;
    if (!check(bp_db_exec(db, &res,
                          "SELECT " RUN_COLUMNS ", (SELECT count(*) FROM billing_runs)"
                          " FROM billing_runs ORDER BY seq DESC LIMIT $1::bigint OFFSET $2::bigint",
                          2, params),
               res, &r))
        return r;
    *items = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(*items, run_json(res, i));
    *total = PQntuples(res) > 0 ? atoll(PQgetvalue(res, 0, 11)) : 0;
    PQclear(res);
    return r;
}

bp_db_result bl_istore_period_done(bp_db *db, const char *period, bool *done)
{
    const char *params[] = {period};
    PGresult *res = NULL;
    bp_db_result r;
    if (!check(bp_db_exec(db, &res,
                          "SELECT 1 FROM billing_runs WHERE period = $1 AND NOT dry_run"
                          " AND status = 'COMPLETED' LIMIT 1",
                          1, params),
               res, &r))
        return r;
    *done = PQntuples(res) > 0;
    PQclear(res);
    return r;
}

bp_db_result bl_istore_contracts_to_bill(bp_db *db, const char *last, const char *period,
                                         bl_to_bill **items, size_t *n, int *already)
{
    const char *params[] = {last, period};
    PGresult *res = NULL;
    bp_db_result r;
    *items = NULL;
    *n = 0;
    *already = 0;
    if (!check(bp_db_exec(db, &res,
                          "SELECT o.contract_id, o.operations, EXISTS (SELECT 1 FROM invoices i"
                          "   WHERE i.contract_id = o.contract_id AND i.period = $2)"
                          " FROM (SELECT contract_id, count(*) AS operations FROM operations"
                          "  WHERE invoice_ref IS NULL AND status = 'ACCEPTED'"
                          "  AND contract_id IS NOT NULL AND operation_date <= $1::date"
                          "  GROUP BY contract_id) o"
                          " ORDER BY o.contract_id",
                          2, params),
               res, &r))
        return r;
    int rows = PQntuples(res);
    *items = calloc((size_t)rows + 1, sizeof **items);
    for (int i = 0; *items && i < rows; i++) {
        if (strcmp(PQgetvalue(res, i, 2), "t") == 0) {
            (*already)++;
            continue;
        }
        bl_to_bill *t = &(*items)[(*n)++];
        snprintf(t->contract_id, sizeof t->contract_id, "%s", PQgetvalue(res, i, 0));
        t->operations = atoll(PQgetvalue(res, i, 1));
    }
    PQclear(res);
    return *items ? r : BP_DB_ERROR;
}

bp_db_result bl_istore_invoice_exists(bp_db *db, const char *contract_id, const char *period,
                                      bool *exists)
{
    static const bp_db_stmt stmt = {
        "bl_invoice_exists", "SELECT 1 FROM invoices WHERE contract_id = $1::uuid AND period = $2",
        2};
    const char *params[] = {contract_id, period};
    PGresult *res = NULL;
    bp_db_result r;
    if (!check(bp_db_exec_stmt(db, &res, &stmt, params), res, &r))
        return r;
    *exists = PQntuples(res) > 0;
    PQclear(res);
    return r;
}

bp_db_result bl_istore_next_number(bp_db *db, int year, int64_t *number)
{
    return bl_istore_reserve_numbers(db, year, 1, number);
}

bp_db_result bl_istore_reserve_numbers(bp_db *db, int year, int count, int64_t *first)
{
    static const bp_db_stmt stmt = {
        "bl_reserve_numbers",
        "INSERT INTO invoice_counters (year, last) VALUES ($1::int, $2::bigint)"
        " ON CONFLICT (year) DO UPDATE SET last = invoice_counters.last + $2::bigint"
        " RETURNING last",
        2};
    char y[16], n[16];
    snprintf(y, sizeof y, "%d", year);
    snprintf(n, sizeof n, "%d", count);
    const char *params[] = {y, n};
    PGresult *res = NULL;
    bp_db_result r;
    if (!check(bp_db_exec_stmt(db, &res, &stmt, params), res, &r))
        return r;
    *first = atoll(PQgetvalue(res, 0, 0)) - count + 1;
    PQclear(res);
    return r;
}

#define LINE_COLUMNS                                                                               \
    "operation_id, order_ref, operation_type, operation_date, seq, amount_without_tax,"            \
    " amount_tax, amount, vat"

/* Row i of a LINE_COLUMNS result. False when its VAT column is unreadable. */
static bool line_of_row(PGresult *res, int i, bl_invoice_line *l)
{
    snprintf(l->operation_id, sizeof l->operation_id, "%s", PQgetvalue(res, i, 0));
    snprintf(l->order_ref, sizeof l->order_ref, "%s", PQgetvalue(res, i, 1));
    l->type = strcmp(PQgetvalue(res, i, 2), "REFUND") == 0 ? BL_REFUND : BL_PURCHASE;
    bp_date_parse(PQgetvalue(res, i, 3), &l->date);
    l->seq = atoll(PQgetvalue(res, i, 4));
    l->without = atoll(PQgetvalue(res, i, 5));
    l->tax = atoll(PQgetvalue(res, i, 6));
    l->with = atoll(PQgetvalue(res, i, 7));
    return bl_invoice_line_vat(l, PQgetvalue(res, i, 8));
}

bp_db_result bl_istore_take_operations(bp_db *db, const char *contract_id, const char *last,
                                       const char *invoice_ref, bl_invoice_line **lines, size_t *n,
                                       bool *unreadable)
{
    static const bp_db_stmt stmt = {
        "bl_take_operations",
        "UPDATE operations SET invoice_ref = $3"
        " WHERE contract_id = $1::uuid AND status = 'ACCEPTED' AND operation_date <= $2::date"
        " AND invoice_ref IS NULL RETURNING " LINE_COLUMNS,
        3};
    *lines = NULL;
    *n = 0;
    *unreadable = false;
    const char *params[] = {contract_id, last, invoice_ref};
    PGresult *res = NULL;
    bp_db_result r;
    if (!check(bp_db_exec_stmt(db, &res, &stmt, params), res, &r))
        return r;
    int rows = PQntuples(res);
    *lines = calloc((size_t)(rows > 0 ? rows : 1), sizeof **lines);
    r = *lines ? BP_DB_OK : BP_DB_ERROR;
    for (int i = 0; r == BP_DB_OK && i < rows; i++)
        if (!line_of_row(res, i, &(*lines)[i]))
            *unreadable = true;
    PQclear(res);
    if (r != BP_DB_OK) {
        free(*lines);
        *lines = NULL;
        return r;
    }
    *n = (size_t)rows;
    return r;
}

void bl_taken_free(bl_taken *t)
{
    free(t->lines);
    free(t->first);
    free(t->unreadable);
    *t = (bl_taken){0};
}

bp_db_result bl_istore_take_chunk(bp_db *db, const char *const *contract_ids,
                                  const char *const *invoice_refs, size_t n, const char *last,
                                  bl_taken *t)
{
#define CHUNK_LINES                                                                                \
    "o.operation_id, o.order_ref, o.operation_type, o.operation_date, o.seq,"                      \
    " o.amount_without_tax, o.amount_tax, o.amount, o.vat, m.k"
    static const bp_db_stmt take = {
        "bl_take_chunk",
        "UPDATE operations o SET invoice_ref = m.ref"
        " FROM unnest($1::uuid[], $3::text[]) WITH ORDINALITY AS m(cid, ref, k)"
        " WHERE o.contract_id = m.cid AND o.status = 'ACCEPTED'"
        " AND o.operation_date <= $2::date AND o.invoice_ref IS NULL"
        " RETURNING " CHUNK_LINES,
        3};
    static const bp_db_stmt peek = {"bl_peek_chunk",
                                    "SELECT " CHUNK_LINES
                                    " FROM unnest($1::uuid[]) WITH ORDINALITY AS m(cid, k)"
                                    " JOIN operations o ON o.contract_id = m.cid"
                                    " WHERE o.status = 'ACCEPTED' AND o.operation_date <= $2::date"
                                    " AND o.invoice_ref IS NULL",
                                    2};
#undef CHUNK_LINES
    *t = (bl_taken){0};
    char *ids = bp_sql_array(contract_ids, n);
    char *refs = invoice_refs ? bp_sql_array(invoice_refs, n) : NULL;
    const char *params[] = {ids, last, refs};
    PGresult *res = NULL;
    bp_db_result r = ids && (refs || !invoice_refs)
                         ? bp_db_exec_stmt(db, &res, invoice_refs ? &take : &peek, params)
                         : BP_DB_ERROR;
    free(ids);
    free(refs);
    if (r != BP_DB_OK)
        return r;
    int rows = PQntuples(res);
    t->first = calloc(n + 1, sizeof *t->first);
    t->unreadable = calloc(n + 1, sizeof *t->unreadable);
    t->lines = calloc((size_t)(rows > 0 ? rows : 1), sizeof *t->lines);
    size_t *at = calloc(n + 1, sizeof *at);
    size_t *owner = calloc((size_t)(rows > 0 ? rows : 1), sizeof *owner);
    if (t->first == NULL || t->unreadable == NULL || t->lines == NULL || at == NULL ||
        owner == NULL)
        r = BP_DB_ERROR;
    /* Counting sort of the rows by contract. */
    for (int i = 0; r == BP_DB_OK && i < rows; i++) {
        long k = atol(PQgetvalue(res, i, 9)) - 1;
        if (k < 0 || (size_t)k >= n)
            r = BP_DB_ERROR;
        else
            t->first[(owner[i] = (size_t)k) + 1]++;
    }
    if (r == BP_DB_OK) {
        for (size_t k = 0; k < n; k++)
            t->first[k + 1] += t->first[k];
        memcpy(at, t->first, (n + 1) * sizeof *at);
    }
    for (int i = 0; r == BP_DB_OK && i < rows; i++)
        if (!line_of_row(res, i, &t->lines[at[owner[i]]++]))
            t->unreadable[owner[i]] = true;
    free(at);
    free(owner);
    PQclear(res);
    if (r != BP_DB_OK)
        bl_taken_free(t);
    return r;
}

bp_db_result bl_istore_peek_number(bp_db *db, int year, int64_t *last)
{
    char y[16];
    snprintf(y, sizeof y, "%d", year);
    const char *params[] = {y};
    PGresult *res = NULL;
    bp_db_result r;
    if (!check(bp_db_exec(db, &res, "SELECT last FROM invoice_counters WHERE year = $1::int", 1,
                          params),
               res, &r))
        return r;
    *last = PQntuples(res) == 1 ? atoll(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return r;
}

#define INVOICE_INSERT                                                                             \
    "INSERT INTO invoices (invoice_id, invoice_ref, contract_id, contract_ref, period,"            \
    " issue_date, due_date, currency, total_with_tax, status, run_id, doc)"
#define INVOICE_NPARAMS 12

/* The 12 insert parameters of an invoice row; dates and total go in buf. */
typedef struct {
    char issue[11], due[11], total[24];
} invoice_buf;

static void invoice_params(const bl_invoice_row *row, const char *run_id, invoice_buf *b,
                           const char **p)
{
    const bl_invoice_head *h = row->head;
    bp_date_format(h->issue_date, b->issue, sizeof b->issue);
    bp_date_format(h->due_date, b->due, sizeof b->due);
    snprintf(b->total, sizeof b->total, "%lld", (long long)row->total);
    const char *values[INVOICE_NPARAMS] = {h->invoice_id,
                                           h->invoice_ref,
                                           h->account->contract_id,
                                           h->account->contract_ref,
                                           h->period,
                                           b->issue,
                                           b->due,
                                           h->account->currency,
                                           b->total,
                                           "ISSUED",
                                           run_id,
                                           row->text};
    memcpy(p, values, sizeof values);
}

bp_db_result bl_istore_insert_invoice(bp_db *db, const bl_invoice_row *row, const char *run_id)
{
    static const bp_db_stmt stmt = {
        "bl_insert_invoice",
        INVOICE_INSERT " VALUES ($1::uuid, $2, $3::uuid, $4, $5, $6::date, $7::date, $8,"
                       " $9::bigint, $10, $11::uuid, $12::json)",
        INVOICE_NPARAMS};
    invoice_buf b;
    const char *params[INVOICE_NPARAMS];
    invoice_params(row, run_id, &b, params);
    return bp_db_exec_stmt(db, NULL, &stmt, params);
}

bp_db_result bl_istore_insert_invoices(bp_db *db, const bl_invoice_row *rows, size_t n,
                                       const char *run_id, size_t *inserted)
{
    static const char *const casts[INVOICE_NPARAMS] = {
        "::uuid", "", "::uuid", "", "", "::date", "::date", "", "::bigint", "", "::uuid", "::json"};
    *inserted = 0;
    char *sql = bp_sql_values(INVOICE_INSERT, casts, INVOICE_NPARAMS, (int)n,
                              "ON CONFLICT DO NOTHING RETURNING 1");
    const char **params = calloc(n * INVOICE_NPARAMS + 1, sizeof *params);
    invoice_buf *bufs = calloc(n + 1, sizeof *bufs);
    bp_db_result r = sql && params && bufs ? BP_DB_OK : BP_DB_ERROR;
    for (size_t i = 0; r == BP_DB_OK && i < n; i++)
        invoice_params(&rows[i], run_id, &bufs[i], params + i * INVOICE_NPARAMS);
    PGresult *res = NULL;
    if (r == BP_DB_OK)
        r = bp_db_exec(db, &res, sql, (int)(n * INVOICE_NPARAMS), params);
    if (r == BP_DB_OK) {
        *inserted = (size_t)PQntuples(res);
        PQclear(res);
    }
    free(bufs);
    free(params);
    free(sql);
    return r;
}

#define INVOICE_STATE "doc, status, " TS("sent_at") ", " TS("paid_at") ", payment_failure"

/* The stored document with the fields that change after issuing. */
static json_t *invoice_json(PGresult *res, int i)
{
    json_t *doc = json_loads(PQgetvalue(res, i, 0), JSON_ALLOW_NUL, NULL);
    if (doc == NULL)
        return NULL;
    bl_legacy_upgrade(doc);
    json_object_set_new(doc, "status", json_string(PQgetvalue(res, i, 1)));
    if (!PQgetisnull(res, i, 2))
        json_object_set_new(doc, "sentAt", json_string(PQgetvalue(res, i, 2)));
    if (!PQgetisnull(res, i, 3))
        json_object_set_new(doc, "paidAt", json_string(PQgetvalue(res, i, 3)));
    if (!PQgetisnull(res, i, 4))
        json_object_set_new(doc, "paymentFailure",
                            json_loads(PQgetvalue(res, i, 4), JSON_ALLOW_NUL, NULL));
    return doc;
}

bp_db_result bl_istore_get_invoice(bp_db *db, const char *invoice_ref, json_t **invoice)
{
    *invoice = NULL;
    const char *params[] = {invoice_ref};
    PGresult *res = NULL;
    bp_db_result r;
    if (!check(bp_db_exec(db, &res, "SELECT " INVOICE_STATE " FROM invoices WHERE invoice_ref = $1",
                          1, params),
               res, &r))
        return r;
    if (PQntuples(res) == 1)
        *invoice = invoice_json(res, 0);
    PQclear(res);
    if (*invoice == NULL)
        return r;
    if (!check(bp_db_exec(db, &res,
                          "SELECT doc FROM operations WHERE status = 'ACCEPTED'"
                          " AND contract_id = (SELECT contract_id FROM invoices"
                          "                    WHERE invoice_ref = $1)"
                          " AND invoice_ref = $1 ORDER BY seq",
                          1, params),
               res, &r)) {
        json_decref(*invoice);
        *invoice = NULL;
        return r;
    }
    json_t *ops = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *op = json_loads(PQgetvalue(res, i, 0), JSON_ALLOW_NUL, NULL);
        if (op != NULL) {
            bl_legacy_upgrade(op);
            json_object_set_new(op, "invoice", json_pack("{s:s}", "invoiceRef", invoice_ref));
            json_array_append_new(ops, op);
        }
    }
    PQclear(res);
    json_object_set_new(*invoice, "operations", ops);
    return r;
}

bp_db_result bl_istore_list_invoices(bp_db *db, const bl_invoice_filter *f, json_t **items,
                                     int64_t *total)
{
    char l[24], o[24];
    snprintf(l, sizeof l, "%lld", (long long)f->limit);
    snprintf(o, sizeof o, "%lld", (long long)f->offset);
    const char *params[] = {f->contract_ref, f->period, f->status, l, o};
    PGresult *res = NULL;
    bp_db_result r;
    if (!check(bp_db_exec(db, &res,
                          "SELECT " INVOICE_STATE ", count(*) OVER () FROM invoices"
                          " WHERE ($1::text IS NULL OR contract_ref = $1)"
                          " AND ($2::text IS NULL OR period = $2)"
                          " AND ($3::text IS NULL OR status = $3)"
                          " ORDER BY seq LIMIT $4::bigint OFFSET $5::bigint",
                          5, params),
               res, &r))
        return r;
    *items = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *doc = invoice_json(res, i);
        if (doc != NULL)
            json_array_append_new(*items, doc);
    }
    *total = PQntuples(res) > 0 ? atoll(PQgetvalue(res, 0, 5)) : 0;
    PQclear(res);
    return r;
}

static bp_db_result applied_of(bp_db *db, const char *sql, int n, const char *const *params,
                               bool *applied)
{
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec(db, &res, sql, n, params);
    *applied = r == BP_DB_OK && PQntuples(res) > 0;
    PQclear(res);
    return r;
}

bp_db_result bl_istore_mark_sent(bp_db *db, const char *invoice_ref, const char *sent_at,
                                 bool *applied)
{
    const char *params[] = {invoice_ref, sent_at};
    return applied_of(db,
                      "UPDATE invoices SET sent_at = coalesce(sent_at, $2::timestamptz),"
                      " status = CASE WHEN status = 'ISSUED' THEN 'SENT' ELSE status END"
                      " WHERE invoice_ref = $1 AND sent_at IS NULL RETURNING 1",
                      2, params, applied);
}

bp_db_result bl_istore_mark_paid(bp_db *db, const char *invoice_ref, const char *paid_at,
                                 bool *applied)
{
    const char *params[] = {invoice_ref, paid_at};
    return applied_of(db,
                      "WITH paid AS ("
                      "  UPDATE invoices SET status = 'PAID', paid_at = $2::timestamptz"
                      "  WHERE invoice_ref = $1 AND status <> 'PAID'"
                      "  RETURNING contract_id, total_with_tax)"
                      " UPDATE accounts a SET outstanding = a.outstanding - paid.total_with_tax"
                      " FROM paid WHERE a.contract_id = paid.contract_id RETURNING 1",
                      2, params, applied);
}

bp_db_result bl_istore_mark_failed(bp_db *db, const char *invoice_ref, const json_t *failure,
                                   bool *applied)
{
    char *text = json_dumps(failure, JSON_COMPACT);
    const char *params[] = {invoice_ref, text};
    bp_db_result r = text ? applied_of(db,
                                       "UPDATE invoices SET status = 'PAYMENT_FAILED',"
                                       " payment_failure = $2::json"
                                       " WHERE invoice_ref = $1 AND status IN ('ISSUED','SENT')"
                                       " RETURNING 1",
                                       2, params, applied)
                          : BP_DB_ERROR;
    free(text);
    return r;
}

bp_db_result bl_istore_failed_payments(bp_db *db, const char *contract_id, json_t **items)
{
    const char *params[] = {contract_id};
    PGresult *res = NULL;
    bp_db_result r;
    if (!check(bp_db_exec(db, &res,
                          "SELECT invoice_ref, period, total_with_tax, payment_failure, currency"
                          " FROM invoices"
                          " WHERE contract_id = $1::uuid AND status = 'PAYMENT_FAILED'"
                          " ORDER BY seq",
                          1, params),
               res, &r))
        return r;
    *items = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(
            *items, json_pack("{s:s, s:s, s:o*, s:o*}", "invoiceRef", PQgetvalue(res, i, 0),
                              "period", PQgetvalue(res, i, 1), "amount",
                              bp_money_json(atoll(PQgetvalue(res, i, 2)), PQgetvalue(res, i, 4)),
                              "failure", json_loads(PQgetvalue(res, i, 3), JSON_ALLOW_NUL, NULL)));
    PQclear(res);
    return r;
}
