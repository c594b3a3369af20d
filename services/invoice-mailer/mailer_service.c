/* mailer_service: transactions of the invoice-mailer.
 *
 * DESIGN — an invoice is mailed once, whatever crashes.
 *
 *   consumer  txA  BEGIN; inbox(event id); INSERT mails (invoice_ref UNIQUE)
 *                  PENDING with the rendered message; COMMIT. Offset stored.
 *   sender    tx1  BEGIN; oldest due mail FOR UPDATE SKIP LOCKED; take its
 *                  session advisory lock; SENDING, attempts + 1, due again only
 *                  after a lease (longer than a whole SMTP dialogue); attempt
 *                  row at stage STARTED; COMMIT.
 *             SMTP MAIL FROM, RCPT TO, DATA, the message...
 *             mark attempt stage DATA_SENT (autocommit), and only then let
 *                  libcurl send the final "." (if the mark fails: abort).
 *             SMTP verdict: 250, or 4xx/5xx.
 *             tx2  BEGIN; SENT + outbox `invoice.sent` (or RETRY after the
 *                  backoff, or FAILED); COMMIT. Unlock.
 *
 * Where the process may die, and what happens then:
 *   1. Before txA commits: nothing recorded, offset not stored: redelivered.
 *   2. After txA, before the offset is committed: the redelivery finds the
 *      inbox row (same event id) or the invoiceRef (any event id): nothing.
 *   3. After tx1, before the mark: the server never got the final ".", and an
 *      SMTP server delivers nothing without it. The mail stays SENDING and its
 *      lock died with the session. The next claim (at once after a restart,
 *      which makes SENDING mails due; after the lease from another instance)
 *      gets the lock, reads stage STARTED: outcome INTERRUPTED, sent again.
 *      No duplicate is possible.
 *   4. After the mark, before tx2 commits: the server may hold the message
 *      (the "." may have gone out; the 250 may have been lost: RFC 1047).
 *      Stage DATA_SENT: outcome UNCERTAIN. Our choice: send once more, the
 *      same stored bytes with the same Message-ID <INVOICE_REF@boissipay>, so
 *      that a receiving side deduplicates; the attempt is recorded UNCERTAIN
 *      and the mail shows uncertainAttempts / possibleDuplicate. Never
 *      resending would risk an invoice never delivered. This window is the
 *      server's reply time plus one commit. A transfer that fails in this
 *      window without a verdict (timeout) is UNCERTAIN the same way.
 *   5. After tx2: SENT. Redeliveries and claims change nothing; invoice.sent
 *      committed with it is published at least once (consumers dedupe on id).
 * A sender whose database session broke mid-dialogue loses its lock, but its
 * mail is not due before the lease ends, and tx2 only updates the attempt it
 * started (attempts = its number, status SENDING). */
#include "mailer_service.h"

#include "bp_cloudevent.h"
#include "bp_inbox.h"
#include "bp_log.h"
#include "bp_metrics.h"
#include "mailer_metrics.h"
#include "bp_random.h"
#include "bp_time.h"
#include "mailer_policy.h"
#include "mailer_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bp_db_result queue_mail(bp_db *db, void *row, bool *inserted)
{
    return ml_store_insert_mail(db, row, inserted);
}

ml_event_result ml_service_queue(const ml_service *svc, bp_db *db, const char *inbox_consumer,
                                 const char *event_id, const ml_invoice *inv, const char *subject,
                                 const char *message)
{
    char msgid[ML_INVOICE_REF_MAX + 16];
    ml_message_id(inv->invoice_ref, msgid, sizeof msgid);
    ml_mail_row row = {.invoice_ref = inv->invoice_ref,
                       .invoice_id = inv->invoice_id,
                       .contract_id = inv->contract_id,
                       .contract_ref = inv->contract_ref,
                       .customer_ref = inv->customer_ref,
                       .recipient = inv->invoice_email,
                       .sender = svc->from,
                       .subject = subject,
                       .message_id = msgid,
                       .period = inv->period,
                       .due_date = inv->due_date,
                       .currency = inv->currency,
                       .message = message,
                       .event_id = event_id,
                       .total_with_tax = inv->total_with_tax};
    bool inserted = false;
    bp_db_result r = BP_DB_OK;
    /* Whatever the database says, the invoice is retried: a mail is never dropped. */
    if (bp_inbox_apply(db, inbox_consumer, event_id, queue_mail, &row, &inserted, &r) !=
        BP_INBOX_DONE) {
        bp_log_warn("invoice.issued not recorded yet (%s): %s", bp_db_result_text(r),
                    bp_db_error(db));
        return ML_EVENT_RETRY;
    }
    bp_log_fields(BP_LOG_INFO,
                  json_pack("{s:s, s:s, s:s}", "event", event_id, "invoiceRef", inv->invoice_ref,
                            "outcome", inserted ? "queued" : "duplicate"),
                  inserted ? "invoice mail queued" : "invoice already known; nothing to do");
    return inserted ? ML_EVENT_QUEUED : ML_EVENT_DUPLICATE;
}

/* Settles the attempt a dead sender left open on mail `id` (crash windows 3
 * and 4). Leaves the transaction open. */
static bp_db_result settle_orphan(bp_db *db, long long id, int attempt)
{
    char stage[16];
    bp_db_result r = ml_store_attempt_stage(db, id, attempt, stage);
    if (r != BP_DB_OK || stage[0] == '\0')
        return r;
    ml_outcome o = ml_orphan_outcome(ml_stage_parse(stage));
    const char *detail =
        o == ML_OUTCOME_UNCERTAIN
            ? "the sender stopped after handing over the end of the message: the server may "
              "have it; sending again with the same Message-ID"
            : "the sender stopped before the end of the message: the server has nothing; "
              "sending again";
    bp_log_fields(BP_LOG_WARN,
                  json_pack("{s:I, s:i, s:s}", "mail", (json_int_t)id, "attempt", attempt,
                            "outcome", ml_outcome_name(o)),
                  "interrupted attempt found: %s", detail);
    if (o == ML_OUTCOME_UNCERTAIN)
        bp_metrics_counter_add(ML_METRIC_UNCERTAIN, 1);
    return ml_store_close_orphan(db, id, attempt, ml_outcome_name(o), detail,
                                 o == ML_OUTCOME_UNCERTAIN);
}

ml_claim_result ml_service_claim(const ml_service *svc, bp_db *db, ml_claim *c)
{
    memset(c, 0, sizeof *c);
    long long id = 0;
    char status[16];
    int attempts = 0;
    bool found = false, locked = false;
    bp_db_result r = bp_db_begin(db);
    if (r == BP_DB_OK)
        r = ml_store_pick_due(db, &id, status, sizeof status, &attempts, &found);
    if (r == BP_DB_OK && !found) {
        bp_db_rollback(db);
        return ML_CLAIM_NONE;
    }
    if (r == BP_DB_OK)
        r = ml_store_try_lock(db, id, &locked);
    if (r == BP_DB_OK && !locked) { /* a live sender holds it: look again after a lease */
        r = ml_store_postpone(db, id, svc->lease_ms);
        if (r == BP_DB_OK)
            r = bp_db_commit(db);
        if (r == BP_DB_OK)
            return ML_CLAIM_BUSY;
    }
    if (r == BP_DB_OK && strcmp(status, "SENDING") == 0)
        r = settle_orphan(db, id, attempts);
    if (r == BP_DB_OK)
        r = ml_store_start_attempt(db, id, svc->lease_ms, c);
    if (r == BP_DB_OK)
        r = bp_db_commit(db);
    if (r == BP_DB_OK)
        return ML_CLAIM_OK;
    bp_db_rollback(db);
    ml_claim_clear(c);
    if (locked)
        ml_store_unlock(db, id);
    bp_log_warn("claiming a mail failed (%s): %s", bp_db_result_text(r), bp_db_error(db));
    return ML_CLAIM_RETRY;
}

bool ml_service_mark_data_sent(bp_db *db, const ml_claim *c)
{
    bp_db_result r = ml_store_mark_data_sent(db, c->id, c->attempt);
    if (r != BP_DB_OK)
        bp_log_warn("mail %s: cannot record the end of the message (%s): %s; aborting the "
                    "attempt before the server can accept it",
                    c->invoice_ref, bp_db_result_text(r), bp_db_error(db));
    return r == BP_DB_OK;
}

/* Queues invoice.sent in the open transaction. */
static bp_db_result emit_sent(const ml_service *svc, bp_db *db, const ml_claim *c,
                              const char *sent_at)
{
    json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:s}", "invoiceRef", c->invoice_ref,
                             "contractId", c->contract_id, "to", c->recipient, "messageId",
                             c->message_id, "sentAt", sent_at);
    char id[37];
    json_t *event =
        data ? bp_cloudevent_new(svc->source, "invoice.sent", c->invoice_ref, data, id) : NULL;
    bp_db_result r =
        event ? bp_outbox_add(db, svc->invoice_topic, c->contract_id, event) : BP_DB_ERROR;
    json_decref(event);
    return r;
}

/* The new state of the mail after `res`. */
static void attempt_end(const ml_service *svc, const ml_claim *c, const ml_smtp_result *res,
                        const char *sent_at, ml_attempt_end *e)
{
    *e = (ml_attempt_end){.outcome = ml_outcome_name(res->outcome),
                          .reply = res->reply[0] ? res->reply : NULL,
                          .smtp_code = res->code,
                          .uncertain = res->outcome == ML_OUTCOME_UNCERTAIN};
    if (res->outcome == ML_OUTCOME_ACCEPTED) {
        e->status = "SENT";
        e->sent_at = sent_at;
        return;
    }
    e->error = res->error[0] ? res->error : ml_outcome_name(res->outcome);
    if (res->outcome == ML_OUTCOME_INTERRUPTED) { /* we stopped: no fault of the server */
        e->status = "RETRY";
        return;
    }
    e->status = ml_give_up(c->attempt, svc->max_attempts) ? "FAILED" : "RETRY";
    e->delay_ms = ml_backoff_ms(c->attempt, svc->retry_min_ms, svc->retry_max_ms);
}

bp_db_result ml_service_finish(const ml_service *svc, bp_db *db, const ml_claim *c,
                               const ml_smtp_result *res)
{
    char sent_at[40];
    bp_time_format_now(sent_at, sizeof sent_at);
    ml_attempt_end e;
    attempt_end(svc, c, res, sent_at, &e);
    bool updated = false;
    bp_db_result r = bp_db_begin(db);
    if (r == BP_DB_OK)
        r = ml_store_end_attempt(db, c->id, c->attempt, &e, &updated);
    if (r == BP_DB_OK && updated && res->outcome == ML_OUTCOME_ACCEPTED)
        r = emit_sent(svc, db, c, sent_at);
    if (r == BP_DB_OK)
        r = bp_db_commit(db);
    if (r != BP_DB_OK) {
        bp_db_rollback(db);
        bp_log_warn("mail %s: recording attempt %d failed (%s): %s", c->invoice_ref, c->attempt,
                    bp_db_result_text(r), bp_db_error(db));
        return r;
    }
    if (!updated) {
        bp_log_error("mail %s: attempt %d is no longer current; its outcome %s is not recorded",
                     c->invoice_ref, c->attempt, e.outcome);
        return BP_DB_OK;
    }
    if (res->outcome == ML_OUTCOME_ACCEPTED)
        bp_outbox_relay_wake(svc->relay);
    if (strcmp(e.status, "FAILED") == 0)
        bp_metrics_counter_add(ML_METRIC_FAILED, 1);
    json_t *fields = json_pack("{s:s, s:i, s:s, s:s}", "invoiceRef", c->invoice_ref, "attempt",
                               c->attempt, "outcome", e.outcome, "status", e.status);
    if (e.error != NULL)
        json_object_set_new(fields, "error", json_string(e.error));
    bp_log_fields(res->outcome == ML_OUTCOME_ACCEPTED ? BP_LOG_INFO : BP_LOG_WARN, fields,
                  res->outcome == ML_OUTCOME_ACCEPTED ? "invoice mail sent"
                                                      : "invoice mail not delivered");
    return BP_DB_OK;
}

bp_db_result ml_service_recover(bp_db *db) { return ml_store_sweep_sending(db); }

static ml_result read_failure(bp_db *db, bp_db_result r, const char *what)
{
    return (ml_result)bp_db_failure(db, r, what);
}

ml_result ml_service_get(bp_db *db, const char *invoice_ref, json_t **doc)
{
    bp_db_result r = ml_store_get(db, invoice_ref, doc);
    if (r != BP_DB_OK)
        return read_failure(db, r, "get mail");
    return *doc ? ML_R_OK : ML_R_NOT_FOUND;
}

ml_result ml_service_list(bp_db *db, const ml_mail_filter *f, json_t **items, int64_t *total)
{
    bp_db_result r = ml_store_list(db, f, items, total);
    return r == BP_DB_OK ? ML_R_OK : read_failure(db, r, "list mails");
}
