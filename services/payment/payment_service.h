/* payment_service: payment's use cases as database transactions — collecting
 * the invoice of a `payment.requested` event exactly once, parking a message
 * that can never be handled on the dead-letter topic, and reading payments.
 * Kafka- and HTTP-agnostic: payment_events and payment_http map the results. */
#ifndef PAYMENT_SERVICE_H
#define PAYMENT_SERVICE_H

#include "bp_db.h"
#include "bp_result.h"
#include "bp_outbox.h"
#include "payment_bank.h"
#include "payment_dunning.h"
#include "payment_store.h"

#include <jansson.h>

typedef struct {
    const char *payment_topic;     /* where payment.succeeded / payment.failed go */
    const char *dead_letter_topic; /* where messages that can never be handled go */
    const char *source;            /* CloudEvents source, "/boissipay/payment" */
    const char *consumer;          /* the inbox's consumer name */
    bp_outbox_relay *relay;        /* woken after each commit that added events */
    pm_bank *bank;                 /* used by the consumer thread only */
    bool at_once;                  /* collect when requested, not on the due date */
    const char *timezone;          /* whose calendar says a due date has come */
    const pm_dunning *dunning;     /* which refusals are tried again, and when */
    const char *test_clock_file;   /* test only (BP_TEST_CLOCK_FILE): "" or NULL normally */
} pm_service;

/* The clock offset in seconds the test clock adds (0 unless BP_TEST_CLOCK_FILE). */
int64_t pm_service_clock_offset(const pm_service *svc);

/* Outcome of handling one message. */
typedef enum {
    PM_EVENT_DONE = 0,  /* handled now: the payment finished (its event queued) */
    PM_EVENT_DUPLICATE, /* handled before (payment already SUCCEEDED/FAILED): nothing
                           changed */
    PM_EVENT_SCHEDULED, /* recorded PENDING; its due date has not come: the collector
                           (payment_collector) debits it then */
    PM_EVENT_POISON,    /* can never be handled (malformed); the reason is in `why` */
    PM_EVENT_RETRY,     /* database or bank unavailable: nothing final happened, try again */
} pm_event_result;

/* Handles a `payment.requested` CloudEvent (parsed JSON), in the safe order:
 * tx1 (inbox record + the PENDING payment, or the existing payment of that
 * invoiceRef) → COMMIT; then, unless the due date is still to come (and
 * svc->at_once is false: SCHEDULED), pm_service_collect. Only DONE, DUPLICATE,
 * SCHEDULED and POISON may let the caller move past the message. */
pm_event_result pm_service_handle_request(const pm_service *svc, bp_db *db, const json_t *event,
                                          char *why, size_t whysize)
    __attribute__((warn_unused_result));

/* Collects PENDING payment `p` through `bank`: the bank, idempotent by
 * end-to-end id (pm_payment_end_to_end_id: the invoiceRef, then one per retry);
 * tx2 (SUCCEEDED or FAILED + its event in the outbox) → COMMIT; a refusal that
 * svc->dunning tries again instead stays PENDING with its next attempt's date
 * and queues `payment.retry_scheduled` (SCHEDULED). A
 * payment asked again (an earlier attempt died before tx2, or two threads or
 * instances at once) gets the first answer without a second debit, and only
 * one tx2 moves it (DUPLICATE for the other). A payment without mandate fails
 * MD01 without asking the bank. RETRY: bank or database unavailable. */
pm_event_result pm_service_collect(const pm_service *svc, pm_bank *bank, bp_db *db,
                                   const pm_payment *p) __attribute__((warn_unused_result));

/* Results of the read use cases. */
/* (also of POST /payments/{paymentId}/retry) */
/* The shared results (bp_result.h) payment's reads can have. */
typedef enum {
    PM_R_OK = BP_R_OK,               /* 200 */
    PM_R_NOT_FOUND = BP_R_NOT_FOUND, /* 404 */
    PM_R_NOT_FAILED = BP_R_DOMAIN,   /* 409 PAYMENT_NOT_FAILED: only a FAILED payment is retried */
    PM_R_UNAVAILABLE = BP_R_UNAVAILABLE, /* 503: database unreachable */
    PM_R_INTERNAL = BP_R_INTERNAL,       /* 500: see the log */
} pm_result;

/* GET /payments/{paymentId}: *resource (caller decrefs) on PM_R_OK. */
pm_result pm_service_get(bp_db *db, const char *payment_id, json_t **resource)
    __attribute__((warn_unused_result));

/* POST /payments/{paymentId}/retry: what a finance team does once the debtor
 * has funds again — a FAILED payment goes back to PENDING with its next
 * attempt today (the collector debits it on its next round, under a new
 * end-to-end id) and `payment.retry_scheduled` (manual) is queued. *resource
 * (caller decrefs) on PM_R_OK; PM_R_NOT_FOUND when no such payment;
 * PM_R_NOT_FAILED when it is not FAILED. */
pm_result pm_service_retry_now(const pm_service *svc, bp_db *db, const char *payment_id,
                               json_t **resource) __attribute__((warn_unused_result));

/* GET /payments: a page of resources and the number of matches (caller
 * decrefs *items) on PM_R_OK. */
pm_result pm_service_list(bp_db *db, const pm_filter *f, json_t **items, int64_t *total)
    __attribute__((warn_unused_result));

/* Creates bp_payment_debits_total{result} at 0 for each result (booked, rejected,
 * bank_unavailable), so that the first of each shows in rate(). Once, at start. */
void pm_service_declare_metrics(void);

#endif
