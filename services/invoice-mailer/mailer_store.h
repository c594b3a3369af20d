/* mailer_store: the invoice-mailer's SQL. One parameterised statement per
 * function on the caller's connection; transactions belong to mailer_service.
 * Rows of `mails` are identified by their id; `attempt` is the attempt number
 * a sender owns (mails.attempts when it claimed the row), and every update of
 * an attempt's outcome is conditional on it, so a sender that lost its claim
 * changes nothing. */
#ifndef MAILER_STORE_H
#define MAILER_STORE_H

#include "bp_db.h"
#include "mailer_invoice.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* A mail to queue (status PENDING, due now). */
typedef struct {
    const char *invoice_ref, *invoice_id, *contract_id, *contract_ref, *customer_ref;
    const char *recipient, *sender, *subject, *message_id, *period, *due_date, *currency;
    const char *message, *event_id;
    int64_t total_with_tax;
} ml_mail_row;

/* Inserts the mail unless one exists for its invoiceRef (*inserted false then). */
bp_db_result ml_store_insert_mail(bp_db *db, const ml_mail_row *row, bool *inserted)
    __attribute__((warn_unused_result));

/* The oldest due mail (PENDING, RETRY or SENDING with next_attempt_at <= now()),
 * locked FOR UPDATE SKIP LOCKED in the caller's transaction. *found false when
 * none; otherwise *id, *status ("PENDING"...) and *attempts. */
bp_db_result ml_store_pick_due(bp_db *db, long long *id, char *status, size_t status_size,
                               int *attempts, bool *found) __attribute__((warn_unused_result));

/* Session advisory lock of mail `id`, held by the sender during its SMTP
 * dialogue: a process that dies loses it, so a free lock on a SENDING mail
 * proves its sender is gone. *got false when another session holds it. */
bp_db_result ml_store_try_lock(bp_db *db, long long id, bool *got)
    __attribute__((warn_unused_result));
void ml_store_unlock(bp_db *db, long long id);

/* Moves next_attempt_at of mail `id` to now + delay_ms. */
bp_db_result ml_store_postpone(bp_db *db, long long id, int64_t delay_ms)
    __attribute__((warn_unused_result));

/* The stage of attempt `attempt` of mail `id` ("STARTED", "DATA_SENT"; "" when
 * there is no such attempt). stage needs 16 bytes. */
bp_db_result ml_store_attempt_stage(bp_db *db, long long id, int attempt, char *stage)
    __attribute__((warn_unused_result));

/* Closes an attempt left open by a dead sender with `outcome`, records
 * `detail` as the mail's last error and counts it when `uncertain`. */
bp_db_result ml_store_close_orphan(bp_db *db, long long id, int attempt, const char *outcome,
                                   const char *detail, bool uncertain)
    __attribute__((warn_unused_result));

/* What a sender needs to send one claimed mail. */
typedef struct {
    long long id;
    int attempt;
    char invoice_ref[ML_INVOICE_REF_MAX + 1];
    char contract_id[65];
    char recipient[256];
    char sender[256];
    char message_id[ML_INVOICE_REF_MAX + 16];
    char *message; /* malloc'd; freed by ml_claim_clear */
} ml_claim;

/* Frees the claim's message and zeroes it. Safe on a zeroed claim. */
void ml_claim_clear(ml_claim *c);

/* Starts the next attempt of mail `id`: status SENDING, attempts + 1, due
 * again only after `lease_ms` (by then its sender finished or died), and a
 * mail_attempts row at stage STARTED. Fills *c. */
bp_db_result ml_store_start_attempt(bp_db *db, long long id, int64_t lease_ms, ml_claim *c)
    __attribute__((warn_unused_result));

/* Records, in autocommit, that attempt `attempt` is about to hand the end of
 * the message to the server. */
bp_db_result ml_store_mark_data_sent(bp_db *db, long long id, int attempt)
    __attribute__((warn_unused_result));

/* Records the outcome of attempt `attempt` and the mail's new state:
 * `status` SENT (sent_at = `sent_at`, an RFC 3339 instant), RETRY (due after
 * delay_ms) or FAILED. *updated false when the attempt is no longer the mail's
 * current one (nothing changed then). */
typedef struct {
    const char *status, *outcome, *sent_at, *error, *reply;
    long smtp_code;
    int64_t delay_ms;
    bool uncertain;
} ml_attempt_end;

bp_db_result ml_store_end_attempt(bp_db *db, long long id, int attempt, const ml_attempt_end *e,
                                  bool *updated) __attribute__((warn_unused_result));

/* Makes every SENDING mail due now (at start: their senders may be dead; the
 * advisory lock tells). */
bp_db_result ml_store_sweep_sending(bp_db *db) __attribute__((warn_unused_result));

typedef struct {
    const char *status, *contract_ref, *to; /* NULL: any; `to` ignores case */
    int64_t limit, offset;
} ml_mail_filter;

/* A page of mails (oldest first) as API documents, and the number of matches. */
bp_db_result ml_store_list(bp_db *db, const ml_mail_filter *f, json_t **items, int64_t *total)
    __attribute__((warn_unused_result));

/* One mail with its attempts and raw message; *doc NULL when unknown. */
bp_db_result ml_store_get(bp_db *db, const char *invoice_ref, json_t **doc)
    __attribute__((warn_unused_result));

#endif
