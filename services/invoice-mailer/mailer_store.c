/* mailer_store: SQL of the mails and mail_attempts tables. Runs on the
 * consumer thread, the sender threads and the HTTP workers, each with its own
 * connection. */
#include "mailer_store.h"

#include "bp_money.h"
#include "bp_lock_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An instant as RFC 3339 UTC with milliseconds. */
#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* Advisory lock of one mail: two-key form, class 74281 (other locks of the
 * project use the one-key form, a separate space). */
#define MAIL_LOCK BP_LOCK_CLASS_MAIL ", ($1::bigint % 2147483647)::int"

void ml_claim_clear(ml_claim *c)
{
    free(c->message);
    memset(c, 0, sizeof *c);
}

bp_db_result ml_store_insert_mail(bp_db *db, const ml_mail_row *row, bool *inserted)
{
    char total[24];
    snprintf(total, sizeof total, "%lld", (long long)row->total_with_tax);
    const char *params[] = {row->invoice_ref,
                            row->invoice_id,
                            row->contract_id,
                            row->contract_ref,
                            row->customer_ref,
                            row->recipient,
                            row->sender,
                            row->subject,
                            row->message_id,
                            row->period,
                            row->due_date,
                            row->currency,
                            total,
                            row->message,
                            row->event_id};
    static const bp_db_stmt stmt = {
        "ml_insert_mail",
        "INSERT INTO mails (invoice_ref, invoice_id, contract_id, contract_ref, customer_ref,"
        " recipient, sender, subject, message_id, period, due_date, currency, total_with_tax,"
        " message, event_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::date, $12,"
        " $13::bigint, $14, $15) ON CONFLICT (invoice_ref) DO NOTHING RETURNING id",
        15};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec_stmt(db, &res, &stmt, params);
    *inserted = r == BP_DB_OK && PQntuples(res) == 1;
    PQclear(res);
    return r;
}

bp_db_result ml_store_pick_due(bp_db *db, long long *id, char *status, size_t status_size,
                               int *attempts, bool *found)
{
    static const bp_db_stmt stmt = {
        "ml_pick_due",
        "SELECT id, status, attempts FROM mails"
        " WHERE status IN ('PENDING', 'RETRY', 'SENDING') AND next_attempt_at <= now()"
        " ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
        0};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec_stmt(db, &res, &stmt, NULL);
    *found = r == BP_DB_OK && PQntuples(res) == 1;
    if (*found) {
        *id = atoll(PQgetvalue(res, 0, 0));
        snprintf(status, status_size, "%s", PQgetvalue(res, 0, 1));
        *attempts = atoi(PQgetvalue(res, 0, 2));
    }
    PQclear(res);
    return r;
}

bp_db_result ml_store_try_lock(bp_db *db, long long id, bool *got)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *params[] = {ids};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec(db, &res, "SELECT pg_try_advisory_lock(" MAIL_LOCK ")", 1, params);
    *got = r == BP_DB_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return r;
}

void ml_store_unlock(bp_db *db, long long id)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *params[] = {ids};
    /* Fails harmlessly when the session (and so the lock) is already gone. */
    bp_db_result r = bp_db_exec(db, NULL, "SELECT pg_advisory_unlock(" MAIL_LOCK ")", 1, params);
    (void)r;
}

bp_db_result ml_store_postpone(bp_db *db, long long id, int64_t delay_ms)
{
    char ids[24], delay[24];
    snprintf(ids, sizeof ids, "%lld", id);
    snprintf(delay, sizeof delay, "%lld", (long long)delay_ms);
    const char *params[] = {ids, delay};
    return bp_db_exec(db, NULL,
                      "UPDATE mails SET next_attempt_at = now() + $2::bigint * interval '1 ms'"
                      " WHERE id = $1::bigint",
                      2, params);
}

bp_db_result ml_store_attempt_stage(bp_db *db, long long id, int attempt, char *stage)
{
    char ids[24], n[16];
    snprintf(ids, sizeof ids, "%lld", id);
    snprintf(n, sizeof n, "%d", attempt);
    const char *params[] = {ids, n};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec(db, &res,
                                "SELECT stage FROM mail_attempts"
                                " WHERE mail_id = $1::bigint AND attempt = $2::int",
                                2, params);
    snprintf(stage, 16, "%s", r == BP_DB_OK && PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return r;
}

bp_db_result ml_store_close_orphan(bp_db *db, long long id, int attempt, const char *outcome,
                                   const char *detail, bool uncertain)
{
    char ids[24], n[16];
    snprintf(ids, sizeof ids, "%lld", id);
    snprintf(n, sizeof n, "%d", attempt);
    const char *params[] = {ids, n, outcome, detail, uncertain ? "1" : "0"};
    return bp_db_exec(
        db, NULL,
        "WITH a AS (UPDATE mail_attempts SET outcome = $3, detail = $4, finished_at = now()"
        "  WHERE mail_id = $1::bigint AND attempt = $2::int AND outcome IS NULL)"
        " UPDATE mails SET last_error = $4, uncertain_attempts = uncertain_attempts + $5::int,"
        " updated_at = now() WHERE id = $1::bigint",
        5, params);
}

static void copy_text(char *dst, size_t size, PGresult *res, int col)
{
    snprintf(dst, size, "%s", PQgetvalue(res, 0, col));
}

bp_db_result ml_store_start_attempt(bp_db *db, long long id, int64_t lease_ms, ml_claim *c)
{
    memset(c, 0, sizeof *c);
    char ids[24], lease[24];
    snprintf(ids, sizeof ids, "%lld", id);
    snprintf(lease, sizeof lease, "%lld", (long long)lease_ms);
    const char *params[] = {ids, lease};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec(
        db, &res,
        "WITH m AS (UPDATE mails SET status = 'SENDING', attempts = attempts + 1,"
        "  last_attempt_at = now(), next_attempt_at = now() + $2::bigint * interval '1 ms',"
        "  updated_at = now() WHERE id = $1::bigint"
        "  RETURNING id, attempts, invoice_ref, contract_id, recipient, sender, message_id,"
        "  message),"
        " a AS (INSERT INTO mail_attempts (mail_id, attempt, stage)"
        "  SELECT id, attempts, 'STARTED' FROM m)"
        " SELECT id, attempts, invoice_ref, contract_id, recipient, sender, message_id, message"
        " FROM m",
        2, params);
    if (r != BP_DB_OK)
        return r;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return BP_DB_ERROR;
    }
    c->id = atoll(PQgetvalue(res, 0, 0));
    c->attempt = atoi(PQgetvalue(res, 0, 1));
    copy_text(c->invoice_ref, sizeof c->invoice_ref, res, 2);
    copy_text(c->contract_id, sizeof c->contract_id, res, 3);
    copy_text(c->recipient, sizeof c->recipient, res, 4);
    copy_text(c->sender, sizeof c->sender, res, 5);
    copy_text(c->message_id, sizeof c->message_id, res, 6);
    c->message = strdup(PQgetvalue(res, 0, 7));
    PQclear(res);
    return c->message ? BP_DB_OK : BP_DB_ERROR;
}

bp_db_result ml_store_mark_data_sent(bp_db *db, long long id, int attempt)
{
    char ids[24], n[16];
    snprintf(ids, sizeof ids, "%lld", id);
    snprintf(n, sizeof n, "%d", attempt);
    const char *params[] = {ids, n};
    static const bp_db_stmt stmt = {"ml_mark_data_sent",
                                    "UPDATE mail_attempts SET stage = 'DATA_SENT',"
                                    " data_sent_at = now()"
                                    " WHERE mail_id = $1::bigint AND attempt = $2::int",
                                    2};
    return bp_db_exec_stmt(db, NULL, &stmt, params);
}

bp_db_result ml_store_end_attempt(bp_db *db, long long id, int attempt, const ml_attempt_end *e,
                                  bool *updated)
{
    char ids[24], n[16], delay[24], code[16];
    snprintf(ids, sizeof ids, "%lld", id);
    snprintf(n, sizeof n, "%d", attempt);
    snprintf(delay, sizeof delay, "%lld", (long long)e->delay_ms);
    snprintf(code, sizeof code, "%ld", e->smtp_code);
    const char *params[] = {ids,
                            n,
                            e->status,
                            e->outcome,
                            e->sent_at,
                            e->error,
                            e->reply,
                            delay,
                            e->smtp_code > 0 ? code : NULL,
                            e->uncertain ? "1" : "0"};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec(
        db, &res,
        "WITH m AS (UPDATE mails SET status = $3, sent_at = $5::timestamptz,"
        "  last_error = $6, smtp_reply = coalesce($7, smtp_reply),"
        "  next_attempt_at = now() + $8::bigint * interval '1 ms',"
        "  uncertain_attempts = uncertain_attempts + $10::int, updated_at = now()"
        "  WHERE id = $1::bigint AND attempts = $2::int AND status = 'SENDING' RETURNING id),"
        " a AS (UPDATE mail_attempts SET outcome = $4, smtp_code = $9::int,"
        "  detail = coalesce($6, $7), finished_at = now()"
        "  WHERE mail_id IN (SELECT id FROM m) AND attempt = $2::int)"
        " SELECT id FROM m",
        10, params);
    *updated = r == BP_DB_OK && PQntuples(res) == 1;
    PQclear(res);
    return r;
}

bp_db_result ml_store_sweep_sending(bp_db *db)
{
    return bp_db_exec(db, NULL, "UPDATE mails SET next_attempt_at = now() WHERE status = 'SENDING'",
                      0, NULL);
}

#define MAIL_COLUMNS                                                                               \
    "invoice_ref, invoice_id, contract_id, contract_ref, customer_ref, recipient, sender,"         \
    " subject, message_id, period, due_date::text, currency, total_with_tax, status,"              \
    " attempts, uncertain_attempts, " TS("next_attempt_at") ", " TS(                               \
        "last_attempt_at") ","                                                                     \
                           " last_error, smtp_reply, " TS("sent_at") ", " TS(                      \
                               "created_at") ", " TS("updated_at")

static void set_text(json_t *doc, const char *key, PGresult *res, int row, int col)
{
    if (!PQgetisnull(res, row, col))
        json_object_set_new(doc, key, json_string(PQgetvalue(res, row, col)));
}

/* The API document of row `row` (columns in MAIL_COLUMNS order). */
static json_t *mail_json(PGresult *res, int row)
{
    static const char *const first[] = {"invoiceRef",  "invoiceId", "contractId", "contractRef",
                                        "customerRef", "to",        "from",       "subject",
                                        "messageId",   "period",    "dueDate",    "currency"};
    json_t *doc = json_object();
    for (int i = 0; i < 12; i++)
        set_text(doc, first[i], res, row, i);
    json_object_set_new(doc, "totalWithTax",
                        bp_money_json(atoll(PQgetvalue(res, row, 12)), PQgetvalue(res, row, 11)));
    const char *status = PQgetvalue(res, row, 13);
    set_text(doc, "status", res, row, 13);
    json_object_set_new(doc, "attempts", json_integer(atoi(PQgetvalue(res, row, 14))));
    int uncertain = atoi(PQgetvalue(res, row, 15));
    json_object_set_new(doc, "uncertainAttempts", json_integer(uncertain));
    json_object_set_new(doc, "possibleDuplicate", json_boolean(uncertain > 0));
    if (strcmp(status, "SENT") != 0 && strcmp(status, "FAILED") != 0)
        set_text(doc, "nextAttemptAt", res, row, 16);
    set_text(doc, "lastAttemptAt", res, row, 17);
    set_text(doc, "lastError", res, row, 18);
    set_text(doc, "smtpReply", res, row, 19);
    set_text(doc, "sentAt", res, row, 20);
    set_text(doc, "createdAt", res, row, 21);
    set_text(doc, "updatedAt", res, row, 22);
    return doc;
}

#define LIST_WHERE                                                                                 \
    " WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR contract_ref = $2)"         \
    " AND ($3::text IS NULL OR lower(recipient) = lower($3))"

bp_db_result ml_store_list(bp_db *db, const ml_mail_filter *f, json_t **items, int64_t *total)
{
    *items = NULL;
    *total = 0;
    const char *cparams[] = {f->status, f->contract_ref, f->to};
    bp_db_result r = bp_db_count(db, "SELECT count(*) FROM mails" LIST_WHERE, 3, cparams, total);
    if (r != BP_DB_OK)
        return r;
    PGresult *res = NULL;
    char limit[24], offset[24];
    snprintf(limit, sizeof limit, "%lld", (long long)f->limit);
    snprintf(offset, sizeof offset, "%lld", (long long)f->offset);
    const char *params[] = {f->status, f->contract_ref, f->to, limit, offset};
    r = bp_db_exec(db, &res,
                   "SELECT " MAIL_COLUMNS " FROM mails" LIST_WHERE
                   " ORDER BY id LIMIT $4::bigint OFFSET $5::bigint",
                   5, params);
    if (r != BP_DB_OK)
        return r;
    json_t *arr = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(arr, mail_json(res, i));
    PQclear(res);
    *items = arr;
    return r;
}

static json_t *history_json(PGresult *res)
{
    json_t *arr = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *a = json_pack("{s:i, s:s}", "attempt", atoi(PQgetvalue(res, i, 0)), "stage",
                              PQgetvalue(res, i, 1));
        set_text(a, "outcome", res, i, 2);
        if (!PQgetisnull(res, i, 3))
            json_object_set_new(a, "smtpCode", json_integer(atoi(PQgetvalue(res, i, 3))));
        set_text(a, "detail", res, i, 4);
        set_text(a, "startedAt", res, i, 5);
        set_text(a, "dataSentAt", res, i, 6);
        set_text(a, "finishedAt", res, i, 7);
        json_array_append_new(arr, a);
    }
    return arr;
}

bp_db_result ml_store_get(bp_db *db, const char *invoice_ref, json_t **doc)
{
    *doc = NULL;
    const char *params[] = {invoice_ref};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec(db, &res,
                                "SELECT " MAIL_COLUMNS ", id, message FROM mails"
                                " WHERE invoice_ref = $1",
                                1, params);
    if (r != BP_DB_OK || PQntuples(res) == 0) {
        PQclear(res);
        return r;
    }
    json_t *mail = mail_json(res, 0);
    char ids[24];
    snprintf(ids, sizeof ids, "%s", PQgetvalue(res, 0, 23));
    json_object_set_new(mail, "message", json_string(PQgetvalue(res, 0, 24)));
    PQclear(res);
    const char *hparams[] = {ids};
    r = bp_db_exec(db, &res,
                   "SELECT attempt, stage, outcome, smtp_code, detail, " TS("started_at") ", " TS(
                       "data_sent_at") ", " TS("finished_at") " FROM mail_attempts WHERE mail_id = "
                                                              "$1::bigint ORDER BY attempt",
                   1, hparams);
    if (r != BP_DB_OK) {
        json_decref(mail);
        return r;
    }
    json_object_set_new(mail, "history", history_json(res));
    PQclear(res);
    *doc = mail;
    return r;
}
