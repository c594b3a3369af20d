/* billing_store: SQL of the accounts and operations tables. Runs on HTTP
 * worker threads and on the consumer thread, each with its own connection. */
#include "billing_store.h"

#include "billing_legacy.h"
#include "bp_outbox.h"
#include "bp_random.h"
#include "bp_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOC_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

static void fmt_date(bp_date d, char *buf) { bp_date_format(d, buf, 11); }

bp_db_result bl_store_upsert_account(bp_db *db, const bl_account *a, bool *applied)
{
    char act[11], exp[11], msig[11], mexp[11], limit[24], term[16], version[24];
    fmt_date(a->activated_at, act);
    fmt_date(a->expire_at, exp);
    fmt_date(a->mandate_signed_at, msig);
    fmt_date(a->mandate_expire_at, mexp);
    snprintf(limit, sizeof limit, "%lld", (long long)a->credit_limit);
    snprintf(term, sizeof term, "%d", a->payment_term_days);
    snprintf(version, sizeof version, "%lld", (long long)a->version);
    const char *params[] = {a->contract_id,
                            a->contract_ref,
                            a->customer_ref[0] ? a->customer_ref : NULL,
                            a->status,
                            act,
                            exp,
                            a->has_mandate ? a->mandate_ref : NULL,
                            a->has_mandate ? a->mandate_status : NULL,
                            a->has_mandate ? msig : NULL,
                            a->has_mandate && a->mandate_has_expiry ? mexp : NULL,
                            a->currency,
                            limit,
                            term,
                            a->invoice_email[0] ? a->invoice_email : NULL,
                            version};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec(
        db, &res,
        "INSERT INTO accounts (contract_id, contract_ref, customer_ref, status, activated_at,"
        " expire_at, mandate_ref, mandate_status, mandate_signed_at, mandate_expire_at, currency,"
        " credit_limit, payment_term_days, invoice_email, version)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        " ON CONFLICT (contract_id) DO UPDATE SET customer_ref = EXCLUDED.customer_ref,"
        " status = EXCLUDED.status, activated_at = EXCLUDED.activated_at,"
        " expire_at = EXCLUDED.expire_at, mandate_ref = EXCLUDED.mandate_ref,"
        " mandate_status = EXCLUDED.mandate_status,"
        " mandate_signed_at = EXCLUDED.mandate_signed_at,"
        " mandate_expire_at = EXCLUDED.mandate_expire_at, currency = EXCLUDED.currency,"
        " credit_limit = EXCLUDED.credit_limit, payment_term_days = EXCLUDED.payment_term_days,"
        " invoice_email = EXCLUDED.invoice_email, version = EXCLUDED.version, updated_at = now()"
        " WHERE accounts.version < EXCLUDED.version RETURNING 1",
        15, params);
    *applied = r == BP_DB_OK && PQntuples(res) == 1;
    PQclear(res);
    return r;
}

static void date_field(PGresult *res, int row, int col, bp_date *out, bool *has)
{
    bool present = !PQgetisnull(res, row, col);
    if (has != NULL)
        *has = present;
    if (present)
        bp_date_parse(PQgetvalue(res, row, col), out);
}

#define ACCOUNT_COLUMNS                                                                            \
    "SELECT contract_id, contract_ref, coalesce(customer_ref, ''), status, activated_at,"          \
    " expire_at, coalesce(mandate_ref, ''), coalesce(mandate_status, ''), mandate_signed_at,"      \
    " mandate_expire_at, currency, credit_limit, payment_term_days,"                               \
    " coalesce(invoice_email, ''), version, outstanding,"                                          \
    " to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"                \
    " coalesce(to_char(overdue_since AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "   \
    "''),"                                                                                         \
    " coalesce(overdue_invoice_ref, '')"
#define ACCOUNT_NCOLUMNS 19

/* Fills *a from row i of an ACCOUNT_COLUMNS result. */
static void account_of_row(PGresult *res, int i, bl_account *a, char *updated_at)
{
    memset(a, 0, sizeof *a);
    snprintf(a->contract_id, sizeof a->contract_id, "%s", PQgetvalue(res, i, 0));
    snprintf(a->contract_ref, sizeof a->contract_ref, "%s", PQgetvalue(res, i, 1));
    snprintf(a->customer_ref, sizeof a->customer_ref, "%s", PQgetvalue(res, i, 2));
    snprintf(a->status, sizeof a->status, "%s", PQgetvalue(res, i, 3));
    date_field(res, i, 4, &a->activated_at, NULL);
    date_field(res, i, 5, &a->expire_at, NULL);
    snprintf(a->mandate_ref, sizeof a->mandate_ref, "%s", PQgetvalue(res, i, 6));
    snprintf(a->mandate_status, sizeof a->mandate_status, "%s", PQgetvalue(res, i, 7));
    a->has_mandate = a->mandate_ref[0] != '\0';
    date_field(res, i, 8, &a->mandate_signed_at, NULL);
    date_field(res, i, 9, &a->mandate_expire_at, &a->mandate_has_expiry);
    snprintf(a->currency, sizeof a->currency, "%s", PQgetvalue(res, i, 10));
    a->credit_limit = atoll(PQgetvalue(res, i, 11));
    a->payment_term_days = atoi(PQgetvalue(res, i, 12));
    snprintf(a->invoice_email, sizeof a->invoice_email, "%s", PQgetvalue(res, i, 13));
    a->version = atoll(PQgetvalue(res, i, 14));
    a->outstanding = atoll(PQgetvalue(res, i, 15));
    if (updated_at != NULL)
        snprintf(updated_at, 32, "%s", PQgetvalue(res, i, 16));
    snprintf(a->overdue_since, sizeof a->overdue_since, "%s", PQgetvalue(res, i, 17));
    snprintf(a->overdue_invoice_ref, sizeof a->overdue_invoice_ref, "%s", PQgetvalue(res, i, 18));
}

bp_db_result bl_store_get_account(bp_db *db, const char *contract_id, const char *contract_ref,
                                  bl_account *a, bool *found, char *updated_at)
{
    /* Two statements, each on its own index (an OR of both would scan the table). */
    static const bp_db_stmt by_id = {
        "bl_account_by_id", ACCOUNT_COLUMNS " FROM accounts WHERE contract_id = $1::uuid", 1};
    static const bp_db_stmt by_ref = {"bl_account_by_ref",
                                      ACCOUNT_COLUMNS " FROM accounts WHERE contract_ref = $1", 1};
    memset(a, 0, sizeof *a);
    *found = false;
    if (contract_id != NULL && !bp_uuid_valid(contract_id))
        return BP_DB_OK; /* not a contract id: no such account */
    const char *params[] = {contract_id ? contract_id : contract_ref};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec_stmt(db, &res, contract_id ? &by_id : &by_ref, params);
    if (r != BP_DB_OK)
        return r;
    if (PQntuples(res) == 1) {
        *found = true;
        account_of_row(res, 0, a, updated_at);
    }
    PQclear(res);
    return r;
}

bp_db_result bl_store_get_accounts(bp_db *db, const char *const *contract_ids, size_t n,
                                   bl_account *out, bool *found)
{
    static const bp_db_stmt stmt = {"bl_accounts_of",
                                    ACCOUNT_COLUMNS
                                    ", m.k FROM unnest($1::uuid[]) WITH ORDINALITY AS m(id, k)"
                                    " JOIN accounts ON accounts.contract_id = m.id",
                                    1};
    for (size_t i = 0; i < n; i++)
        found[i] = false;
    char *ids = bp_sql_array(contract_ids, n);
    const char *params[] = {ids};
    PGresult *res = NULL;
    bp_db_result r = ids ? bp_db_exec_stmt(db, &res, &stmt, params) : BP_DB_ERROR;
    free(ids);
    if (r != BP_DB_OK)
        return r;
    for (int i = 0; i < PQntuples(res); i++) {
        long k = atol(PQgetvalue(res, i, ACCOUNT_NCOLUMNS)) - 1;
        if (k >= 0 && (size_t)k < n) {
            account_of_row(res, i, &out[k], NULL);
            found[k] = true;
        }
    }
    PQclear(res);
    return r;
}

/* The 17 insert parameters of an operation row, in the order of OP_COLUMNS. */
#define OP_NPARAMS 17
#define OP_COLUMNS                                                                                 \
    "operation_id, contract_id, contract_ref, order_ref, operation_type, refund_of, status,"       \
    " reason, currency, amount, operation_at, operation_date, request_hash, doc,"                  \
    " amount_without_tax, amount_tax, vat"
#define OP_VALUES                                                                                  \
    "$1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10::bigint,"                                 \
    " to_timestamp($11::bigint / 1000.0), $12::date, sha256(convert_to($13, 'UTF8')), $14::json,"  \
    " $15::bigint, $16::bigint, $17::json"

typedef struct {
    char amount[24], at[24], without[24], tax[24];
    char *doc, *vat;
    const char *v[OP_NPARAMS];
} op_params;

static bool op_params_fill(op_params *p, const bl_op_row *row)
{
    snprintf(p->amount, sizeof p->amount, "%lld", (long long)row->amount);
    snprintf(p->at, sizeof p->at, "%lld", (long long)row->operation_at_ms);
    snprintf(p->without, sizeof p->without, "%lld", (long long)row->amount_without_tax);
    snprintf(p->tax, sizeof p->tax, "%lld", (long long)row->amount_tax);
    p->doc = json_dumps(row->doc, DOC_FLAGS);
    p->vat = row->vat ? json_dumps(row->vat, JSON_COMPACT) : strdup("[]");
    const char *v[OP_NPARAMS] = {row->operation_id,
                                 row->contract_id,
                                 row->contract_ref,
                                 row->order_ref,
                                 row->type,
                                 row->refund_of,
                                 row->status,
                                 row->reason,
                                 row->currency,
                                 p->amount,
                                 p->at,
                                 row->operation_date,
                                 row->fingerprint,
                                 p->doc,
                                 p->without,
                                 p->tax,
                                 p->vat};
    memcpy(p->v, v, sizeof v);
    return p->doc != NULL && p->vat != NULL;
}

/* Runs the insert on `db`, or through the group committer `gc` when not NULL. */
static bp_db_result insert_checked_via(bp_db *db, bl_gc *gc, const bp_db_stmt *stmt,
                                       const bl_op_row *row, const char *const *extra, bool *done)
{
    op_params p;
    if (!op_params_fill(&p, row)) {
        free(p.doc);
        free(p.vat);
        return BP_DB_ERROR;
    }
    const char *params[OP_NPARAMS + 3];
    memcpy(params, p.v, sizeof p.v);
    for (int i = OP_NPARAMS; i < stmt->nparams; i++)
        params[i] = extra[i - OP_NPARAMS];
    bp_db_result r;
    if (gc != NULL) {
        int rows = 0;
        r = bl_gc_run(gc, row->contract_id, stmt, params, &rows);
        if (done != NULL)
            *done = r == BP_DB_OK && rows == 1;
    } else {
        PGresult *res = NULL;
        r = bp_db_exec_stmt(db, &res, stmt, params);
        if (done != NULL)
            *done = r == BP_DB_OK && PQntuples(res) == 1;
        PQclear(res);
    }
    free(p.doc);
    free(p.vat);
    return r;
}

static bp_db_result insert_checked(bp_db *db, const bp_db_stmt *stmt, const bl_op_row *row,
                                   const char *const *extra, bool *done)
{
    return insert_checked_via(db, NULL, stmt, row, extra, done);
}

/* The authorisation condition, shared by the slow and the fast statement. */
#define AUTHORIZE                                                                                  \
    "  UPDATE accounts SET outstanding = outstanding + $10::bigint"                                \
    "  WHERE contract_id = $2::uuid AND currency = $9 AND status = 'ACTIVE'"                       \
    "    AND $12::date BETWEEN activated_at AND expire_at"                                         \
    "    AND mandate_status = 'VALID' AND $12::date >= mandate_signed_at"                          \
    "    AND (mandate_expire_at IS NULL OR $12::date <= mandate_expire_at)"                        \
    "    AND overdue_since IS NULL"                                                                \
    "    AND outstanding + $10::bigint <= credit_limit"                                            \
    "  RETURNING contract_id"

bp_db_result bl_store_accept_purchase(bp_db *db, const bl_op_row *row, bool *accepted)
{
    static const bp_db_stmt stmt = {"bl_accept_purchase",
                                    "WITH auth AS (" AUTHORIZE ")"
                                    " INSERT INTO operations (" OP_COLUMNS ") SELECT " OP_VALUES
                                    " FROM auth RETURNING 1",
                                    OP_NPARAMS};
    return insert_checked(db, &stmt, row, NULL, accepted);
}

bp_db_result bl_store_fast_purchase(bp_db *db, bl_gc *gc, const bl_op_row *row,
                                    const char *event_id, const char *topic, const char *payload,
                                    bool *accepted)
{
    static const bp_db_stmt stmt = {
        "bl_fast_purchase",
        "WITH auth AS (" AUTHORIZE "),"
        " op AS (INSERT INTO operations (" OP_COLUMNS ") SELECT " OP_VALUES
        " FROM auth RETURNING contract_id)"
        " " BP_OUTBOX_INSERT
        " SELECT $18::uuid, $19, contract_id::text, $20, 'operation.accepted' FROM op"
        " RETURNING 1",
        OP_NPARAMS + 3};
    const char *extra[] = {event_id, topic, payload};
    return insert_checked_via(db, gc, &stmt, row, extra, accepted);
}

bp_db_result bl_store_accept_refund(bp_db *db, const bl_op_row *row, bool *accepted)
{
    static const bp_db_stmt stmt = {
        "bl_accept_refund",
        "WITH purchase AS ("
        "  UPDATE operations SET refunded = refunded + $10::bigint"
        "  WHERE contract_id = $2::uuid AND operation_type = 'PURCHASE' AND status = 'ACCEPTED'"
        "    AND order_ref = $6 AND currency = $9 AND refunded + $10::bigint <= amount"
        "  RETURNING contract_id),"
        " balance AS ("
        "  UPDATE accounts SET outstanding = outstanding - $10::bigint"
        "  WHERE contract_id IN (SELECT contract_id FROM purchase) RETURNING 1)"
        " INSERT INTO operations (" OP_COLUMNS ") SELECT " OP_VALUES " FROM balance RETURNING 1",
        OP_NPARAMS};
    return insert_checked(db, &stmt, row, NULL, accepted);
}

bp_db_result bl_store_insert_rejected(bp_db *db, const bl_op_row *row)
{
    static const bp_db_stmt stmt = {
        "bl_insert_rejected", "INSERT INTO operations (" OP_COLUMNS ") VALUES (" OP_VALUES ")",
        OP_NPARAMS};
    return insert_checked(db, &stmt, row, NULL, NULL);
}

bp_db_result bl_store_find_order(bp_db *db, const char *contract_id, const char *type,
                                 const char *order_ref, const char *fingerprint, json_t **doc,
                                 bool *same)
{
    *doc = NULL;
    *same = false;
    const char *params[] = {contract_id, type, order_ref, fingerprint};
    static const bp_db_stmt stmt = {"bl_find_order",
                                    "SELECT doc, request_hash = sha256(convert_to($4, 'UTF8'))"
                                    " FROM operations WHERE contract_id = $1::uuid"
                                    " AND operation_type = $2 AND order_ref = $3"
                                    " AND status = 'ACCEPTED'",
                                    4};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec_stmt(db, &res, &stmt, params);
    if (r != BP_DB_OK)
        return r;
    if (PQntuples(res) == 1) {
        *doc = json_loads(PQgetvalue(res, 0, 0), JSON_ALLOW_NUL, NULL);
        bl_legacy_upgrade(*doc);
        *same = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    }
    PQclear(res);
    return r;
}

bp_db_result bl_store_purchase_state(bp_db *db, const char *contract_id, const char *order_ref,
                                     bool *found, int64_t *amount, int64_t *refunded)
{
    *found = false;
    const char *params[] = {contract_id, order_ref};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec(db, &res,
                                "SELECT amount, refunded FROM operations"
                                " WHERE contract_id = $1::uuid AND operation_type = 'PURCHASE'"
                                " AND status = 'ACCEPTED' AND order_ref = $2",
                                2, params);
    if (r == BP_DB_OK && PQntuples(res) == 1) {
        *found = true;
        *amount = atoll(PQgetvalue(res, 0, 0));
        *refunded = atoll(PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return r;
}

bp_db_result bl_store_get_operation(bp_db *db, const char *operation_id, json_t **doc)
{
    *doc = NULL;
    const char *params[] = {operation_id};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec(db, &res,
                                "SELECT doc, invoice_ref FROM operations"
                                " WHERE operation_id::text = $1",
                                1, params);
    if (r == BP_DB_OK && PQntuples(res) == 1) {
        *doc = json_loads(PQgetvalue(res, 0, 0), JSON_ALLOW_NUL, NULL);
        bl_legacy_upgrade(*doc);
        if (*doc != NULL && !PQgetisnull(res, 0, 1))
            json_object_set_new(*doc, "invoice",
                                json_pack("{s:s}", "invoiceRef", PQgetvalue(res, 0, 1)));
    }
    PQclear(res);
    return r;
}

bp_db_result bl_store_list_operations(bp_db *db, const bl_op_filter *f, json_t **items,
                                      int64_t *total)
{
    *items = NULL;
    *total = 0;
    char limit[24], offset[24];
    snprintf(limit, sizeof limit, "%lld", (long long)f->limit);
    snprintf(offset, sizeof offset, "%lld", (long long)f->offset);
    const char *params[] = {f->contract_ref, f->invoice_ref, f->status, f->type,
                            f->from,         f->to,          limit,     offset};
    /* By invoice: the invoice's contract first, so the contract's index is used. */
#define OP_FILTERS                                                                                 \
    " WHERE ($1::text IS NULL OR contract_ref = $1)"                                               \
    "   AND ($2::text IS NULL OR (status = 'ACCEPTED' AND invoice_ref = $2 AND contract_id ="      \
    "        (SELECT contract_id FROM invoices WHERE invoice_ref = $2)))"                          \
    "   AND ($3::text IS NULL OR status = $3)"                                                     \
    "   AND ($4::text IS NULL OR operation_type = $4)"                                             \
    "   AND ($5::date IS NULL OR operation_date >= $5::date)"                                      \
    "   AND ($6::date IS NULL OR operation_date <= $6::date)"
    PGresult *res = NULL;
    bp_db_result r =
        bp_db_exec(db, &res,
                   "SELECT doc, invoice_ref, count(*) OVER () FROM operations" OP_FILTERS
                   " ORDER BY seq LIMIT $7::bigint OFFSET $8::bigint",
                   8, params);
    if (r != BP_DB_OK)
        return r;
    json_t *arr = json_array();
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        json_t *doc = json_loads(PQgetvalue(res, i, 0), JSON_ALLOW_NUL, NULL);
        if (doc == NULL)
            continue;
        bl_legacy_upgrade(doc);
        if (!PQgetisnull(res, i, 1))
            json_object_set_new(doc, "invoice",
                                json_pack("{s:s}", "invoiceRef", PQgetvalue(res, i, 1)));
        json_array_append_new(arr, doc);
    }
    *total = n > 0 ? atoll(PQgetvalue(res, 0, 2)) : 0;
    PQclear(res);
    if (n == 0 && f->offset > 0) /* past the last page: still count the matches */
        r = bp_db_count(db, "SELECT count(*) FROM operations" OP_FILTERS, 6, params, total);
#undef OP_FILTERS
    if (r != BP_DB_OK) {
        json_decref(arr);
        return r;
    }
    *items = arr;
    return r;
}
