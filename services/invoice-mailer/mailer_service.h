/* mailer_service: the invoice-mailer's use cases as database transactions —
 * queueing an issued invoice's mail (with its inbox record), dead-lettering a
 * message that can never be handled, claiming a due mail for one SMTP attempt
 * and recording what the attempt proved (with `invoice.sent` through the
 * outbox), and reading mails for the API. No SMTP and no Kafka here: the
 * sender and the consumer call these. See mailer_service.c for the crash
 * windows. */
#ifndef MAILER_SERVICE_H
#define MAILER_SERVICE_H

#include "bp_db.h"
#include "bp_result.h"
#include "bp_outbox.h"
#include "mailer_invoice.h"
#include "mailer_smtp.h"
#include "mailer_store.h"

#include <jansson.h>
#include <stdint.h>

typedef struct {
    const char *invoice_topic; /* invoice.sent is published here */
    const char *dead_letter_topic;
    const char *consumer;   /* our consumer group: the dead letters' "consumer" */
    const char *source;     /* CloudEvents source, "/boissipay/invoice-mailer" */
    const char *from;       /* sender address rendered into every mail */
    bp_outbox_relay *relay; /* woken after each commit that added events */
    int64_t retry_min_ms, retry_max_ms;
    int64_t lease_ms;  /* a SENDING mail is looked at again after this */
    long max_attempts; /* 0: never give up */
} ml_service;

/* --- the consumer --- */

typedef enum {
    ML_EVENT_QUEUED = 0, /* a new mail is due now: wake a sender */
    ML_EVENT_DUPLICATE,  /* the event or the invoiceRef was seen before: nothing changed */
    ML_EVENT_RETRY,      /* database unavailable: nothing changed, try again later */
} ml_event_result;

/* Queues the mail of `inv` (already rendered: `message`, `subject`) in one
 * transaction with the inbox record of `event_id` under `inbox_consumer`. */
ml_event_result ml_service_queue(const ml_service *svc, bp_db *db, const char *inbox_consumer,
                                 const char *event_id, const ml_invoice *inv, const char *subject,
                                 const char *message) __attribute__((warn_unused_result));

/* --- the senders --- */

typedef enum {
    ML_CLAIM_OK = 0, /* *c is ours: its advisory lock is held, send it, then ml_service_finish */
    ML_CLAIM_NONE,   /* nothing is due */
    ML_CLAIM_BUSY,   /* the due mail is being sent by a live sender elsewhere; look again */
    ML_CLAIM_RETRY,  /* database trouble: wait and try again */
} ml_claim_result;

/* tx1: claims the oldest due mail, settles an attempt a dead sender left open
 * (see the crash windows), and starts a new attempt. */
ml_claim_result ml_service_claim(const ml_service *svc, bp_db *db, ml_claim *c)
    __attribute__((warn_unused_result));

/* Records, in autocommit, that attempt c is about to hand over the end of the
 * message. False when it could not be recorded (then the send must not go on). */
bool ml_service_mark_data_sent(bp_db *db, const ml_claim *c);

/* tx2: records the attempt's result — SENT with the outbox event `invoice.sent`,
 * or RETRY after the backoff, or FAILED once max_attempts is reached — and
 * releases nothing: the caller unlocks (ml_store_unlock) after it returns OK or
 * gives up. BP_DB_OK also when the attempt was no longer the mail's current one
 * (logged). */
bp_db_result ml_service_finish(const ml_service *svc, bp_db *db, const ml_claim *c,
                               const ml_smtp_result *res) __attribute__((warn_unused_result));

/* Makes mails left SENDING by an earlier run due now (they are re-examined at
 * once rather than after their lease). */
bp_db_result ml_service_recover(bp_db *db) __attribute__((warn_unused_result));

/* --- the API --- */

/* The shared results (bp_result.h) the mailer's reads can have. */
typedef enum {
    ML_R_OK = BP_R_OK,                   /* 200, *doc */
    ML_R_NOT_FOUND = BP_R_NOT_FOUND,     /* 404 */
    ML_R_UNAVAILABLE = BP_R_UNAVAILABLE, /* 503 */
    ML_R_INTERNAL = BP_R_INTERNAL,       /* 500 */
} ml_result;

/* GET /mails/{invoiceRef}: *doc (caller decrefs) on ML_R_OK. */
ml_result ml_service_get(bp_db *db, const char *invoice_ref, json_t **doc)
    __attribute__((warn_unused_result));

/* GET /mails: *items (caller decrefs) and *total on ML_R_OK. */
ml_result ml_service_list(bp_db *db, const ml_mail_filter *f, json_t **items, int64_t *total)
    __attribute__((warn_unused_result));

#endif
