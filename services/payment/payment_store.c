/* payment_store: SQL of the payments table (and a raw outbox row for dead
 * letters). Runs on the consumer thread and on HTTP worker threads, each with
 * its own connection. */
#include "payment_store.h"

#include "bp_random.h"
#include "bp_lock_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The columns read_row expects, in order. */
#define PM_COLUMNS                                                                                 \
    "payment_id, invoice_ref, contract_id, coalesce(contract_ref, ''), amount_minor, currency,"    \
    " coalesce(mandate_ref, ''), coalesce(due_date::text, ''), status,"                            \
    " coalesce(reason_code, ''), coalesce(reason, ''), request_event_id, " TS(                     \
        "created_at") ", coalesce(" TS("completed_at") ", ''), retries,"                           \
                                                       " coalesce(next_attempt_on::text, ''), "    \
                                                       "coalesce(last_reason_code, ''),"           \
                                                       " coalesce(last_reason, '')"
#define PM_NCOLUMNS 18

/* Copies column `col` of `row` into dst (size bytes). */
#define COPY(dst, col) snprintf(dst, sizeof dst, "%s", PQgetvalue(res, row, col))

static void read_row(PGresult *res, int row, pm_payment *p)
{
    memset(p, 0, sizeof *p);
    COPY(p->payment_id, 0);
    COPY(p->invoice_ref, 1);
    COPY(p->contract_id, 2);
    COPY(p->contract_ref, 3);
    p->amount_minor = atoll(PQgetvalue(res, row, 4));
    COPY(p->currency, 5);
    COPY(p->mandate_ref, 6);
    COPY(p->due_date, 7);
    COPY(p->status, 8);
    COPY(p->reason_code, 9);
    COPY(p->reason, 10);
    COPY(p->request_event_id, 11);
    COPY(p->created_at, 12);
    COPY(p->completed_at, 13);
    p->retries = atoi(PQgetvalue(res, row, 14));
    COPY(p->next_attempt_on, 15);
    COPY(p->last_reason_code, 16);
    COPY(p->last_reason, 17);
}

/* "Today" in time zone $tz on the clock moved by $offset seconds (the test clock). */
#define TODAY(tz, offset)                                                                          \
    "((now() + make_interval(secs => " offset "::bigint)) AT TIME ZONE " tz ")::date"

static const char *opt(const char *s) { return s != NULL && s[0] != '\0' ? s : NULL; }

bp_db_result pm_store_insert_pending(bp_db *db, const pm_payment *p, bool *inserted)
{
    static const bp_db_stmt stmt = {
        "pm_insert_pending",
        "INSERT INTO payments (payment_id, invoice_ref, contract_id, contract_ref, amount_minor,"
        " currency, mandate_ref, due_date, status, request_event_id)"
        " VALUES ($1::uuid, $2, $3::uuid, $4, $5::bigint, $6, $7, $8::date, 'PENDING', $9)"
        " ON CONFLICT (invoice_ref) DO NOTHING RETURNING 1",
        9};
    char amount[24];
    snprintf(amount, sizeof amount, "%lld", (long long)p->amount_minor);
    const char *params[] = {p->payment_id,        p->invoice_ref,   p->contract_id,
                            opt(p->contract_ref), amount,           p->currency,
                            opt(p->mandate_ref),  opt(p->due_date), p->request_event_id};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec_stmt(db, &res, &stmt, params);
    *inserted = r == BP_DB_OK && PQntuples(res) == 1;
    PQclear(res);
    return r;
}

/* Runs a statement expected to return at most one payment row. */
static bp_db_result one_row(bp_db *db, const bp_db_stmt *stmt, const char *const *params,
                            pm_payment *p, bool *found)
{
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec_stmt(db, &res, stmt, params);
    *found = r == BP_DB_OK && PQntuples(res) == 1;
    if (*found)
        read_row(res, 0, p);
    PQclear(res);
    return r;
}

bp_db_result pm_store_get_by_invoice(bp_db *db, const char *invoice_ref, pm_payment *p, bool *found)
{
    static const bp_db_stmt stmt = {
        "pm_get_by_invoice", "SELECT " PM_COLUMNS " FROM payments WHERE invoice_ref = $1", 1};
    const char *params[] = {invoice_ref};
    return one_row(db, &stmt, params, p, found);
}

bp_db_result pm_store_get(bp_db *db, const char *payment_id, pm_payment *p, bool *found)
{
    static const bp_db_stmt stmt = {
        "pm_get", "SELECT " PM_COLUMNS " FROM payments WHERE payment_id::text = $1", 1};
    const char *params[] = {payment_id};
    return one_row(db, &stmt, params, p, found);
}

bp_db_result pm_store_complete(bp_db *db, const char *payment_id, bool ok, const char *reason_code,
                               const char *reason, pm_payment *p, bool *updated)
{
    static const bp_db_stmt stmt = {
        "pm_complete",
        "UPDATE payments SET status = $2, reason_code = $3, reason = $4, completed_at = now()"
        " WHERE payment_id = $1::uuid AND status = 'PENDING' RETURNING " PM_COLUMNS,
        4};
    const char *params[] = {payment_id, ok ? "SUCCEEDED" : "FAILED", ok ? NULL : reason_code,
                            ok ? NULL : reason};
    return one_row(db, &stmt, params, p, updated);
}

bp_db_result pm_store_is_due(bp_db *db, const char *due_date, const char *tz, int64_t offset_s,
                             bool *due)
{
    static const bp_db_stmt stmt = {"pm_is_due", "SELECT $1::date <= " TODAY("$2", "$3"), 3};
    char off[24];
    snprintf(off, sizeof off, "%lld", (long long)offset_s);
    const char *params[] = {due_date, tz, off};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec_stmt(db, &res, &stmt, params);
    *due = r == BP_DB_OK && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return r;
}

bp_db_result pm_store_due_pending(bp_db *db, const char *tz, int64_t offset_s, int min_age_s,
                                  pm_payment *out, int max, int *n)
{
    static const bp_db_stmt stmt = {
        "pm_due_pending",
        "SELECT " PM_COLUMNS " FROM payments WHERE status = 'PENDING'"
        " AND (coalesce(next_attempt_on, due_date) IS NULL"
        "      OR coalesce(next_attempt_on, due_date) <= " TODAY(
            "$1",
            "$4") ")"
                  " AND (retries > 0 OR created_at <= now() - make_interval(secs => $2::int))"
                  " ORDER BY coalesce(next_attempt_on, due_date) NULLS FIRST, seq LIMIT $3::int",
        4};
    char age[16], limit[16], off[24];
    snprintf(age, sizeof age, "%d", min_age_s);
    snprintf(limit, sizeof limit, "%d", max);
    snprintf(off, sizeof off, "%lld", (long long)offset_s);
    const char *params[] = {tz, age, limit, off};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec_stmt(db, &res, &stmt, params);
    *n = 0;
    if (r == BP_DB_OK) {
        for (int i = 0; i < PQntuples(res) && i < max; i++)
            read_row(res, i, &out[(*n)++]);
    }
    PQclear(res);
    return r;
}

bp_db_result pm_store_schedule_retry(bp_db *db, const pm_payment *p, const char *reason_code,
                                     const char *reason, int days, const char *tz, int64_t offset_s,
                                     pm_payment *out, bool *updated)
{
    static const bp_db_stmt stmt = {
        "pm_schedule_retry",
        "UPDATE payments SET retries = retries + 1, last_reason_code = $3, last_reason = $4,"
        " next_attempt_on = " TODAY(
            "$6", "$7") " + $5::int"
                        " WHERE payment_id = $1::uuid AND status = 'PENDING' AND retries = $2::int"
                        " RETURNING " PM_COLUMNS,
        7};
    char retries[16], d[16], off[24];
    snprintf(retries, sizeof retries, "%d", p->retries);
    snprintf(d, sizeof d, "%d", days);
    snprintf(off, sizeof off, "%lld", (long long)offset_s);
    const char *params[] = {p->payment_id, retries, reason_code, reason, d, tz, off};
    return one_row(db, &stmt, params, out, updated);
}

bp_db_result pm_store_retry_now(bp_db *db, const char *payment_id, const char *tz, int64_t offset_s,
                                pm_payment *out, bool *updated)
{
    static const bp_db_stmt stmt = {
        "pm_retry_now",
        "UPDATE payments SET status = 'PENDING', retries = retries + 1,"
        " last_reason_code = reason_code, last_reason = reason, reason_code = NULL,"
        " reason = NULL, completed_at = NULL, next_attempt_on = " TODAY(
            "$2", "$3") " WHERE payment_id::text = $1 AND status = 'FAILED' RETURNING " PM_COLUMNS,
        3};
    char off[24];
    snprintf(off, sizeof off, "%lld", (long long)offset_s);
    const char *params[] = {payment_id, tz, off};
    return one_row(db, &stmt, params, out, updated);
}

/* Advisory lock class of "collecting this invoice" (object: hashtext of its
 * ref; a collision only defers one payment to the next round). */

bp_db_result pm_store_claim(bp_db *db, const char *invoice_ref, bool *got)
{
    static const bp_db_stmt stmt = {
        "pm_claim", "SELECT pg_try_advisory_lock(" BP_LOCK_CLASS_PAYMENT ", hashtext($1))", 1};
    const char *params[] = {invoice_ref};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec_stmt(db, &res, &stmt, params);
    *got = r == BP_DB_OK && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return r;
}

bp_db_result pm_store_unclaim(bp_db *db, const char *invoice_ref)
{
    static const bp_db_stmt stmt = {
        "pm_unclaim", "SELECT pg_advisory_unlock(" BP_LOCK_CLASS_PAYMENT ", hashtext($1))", 1};
    const char *params[] = {invoice_ref};
    return bp_db_exec_stmt(db, NULL, &stmt, params);
}

#define PM_WHERE                                                                                   \
    " WHERE ($1::text IS NULL OR invoice_ref = $1)"                                                \
    "   AND ($2::text IS NULL OR status = $2)"                                                     \
    "   AND ($3::text IS NULL OR contract_ref = $3)"

bp_db_result pm_store_list(bp_db *db, const pm_filter *f, json_t **items, int64_t *total)
{
    *items = NULL;
    *total = 0;
    char limit[24], offset[24];
    snprintf(limit, sizeof limit, "%lld", (long long)f->limit);
    snprintf(offset, sizeof offset, "%lld", (long long)f->offset);
    const char *params[] = {f->invoice_ref, f->status, f->contract_ref, limit, offset};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec(db, &res,
                                "SELECT " PM_COLUMNS ", count(*) OVER () FROM payments" PM_WHERE
                                " ORDER BY seq LIMIT $4::bigint OFFSET $5::bigint",
                                5, params);
    if (r != BP_DB_OK)
        return r;
    json_t *arr = json_array();
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        pm_payment p;
        read_row(res, i, &p);
        json_array_append_new(arr, pm_payment_json(&p));
    }
    *total = n > 0 ? atoll(PQgetvalue(res, 0, PM_NCOLUMNS)) : 0;
    PQclear(res);
    if (n == 0 && f->offset > 0) /* past the last page: still count the matches */
        r = bp_db_count(db, "SELECT count(*) FROM payments" PM_WHERE, 3, params, total);
    if (r != BP_DB_OK) {
        json_decref(arr);
        return r;
    }
    *items = arr;
    return r;
}
