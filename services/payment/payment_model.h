/* payment_model: a payment as a struct, and its conversions — the
 * `payment.requested` event into a payment, a payment into the REST resource
 * and into the data of `payment.succeeded` / `payment.failed`
 * (docs/cycle-events.md). Pure: no I/O. */
#ifndef PAYMENT_MODEL_H
#define PAYMENT_MODEL_H

#include "bp_validate.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define PM_REF_MAX 100

/* One payment: the collection of one invoice. Strings are "" when absent. */
typedef struct {
    char payment_id[37];
    char invoice_ref[BP_TEXT_BYTES(PM_REF_MAX)];
    char contract_id[37];
    char contract_ref[BP_TEXT_BYTES(PM_REF_MAX)];
    int64_t amount_minor; /* > 0 */
    char currency[4];
    char mandate_ref[BP_TEXT_BYTES(PM_REF_MAX)];
    char due_date[11];                     /* YYYY-MM-DD */
    char status[10];                       /* PENDING, SUCCEEDED, FAILED */
    char reason_code[5];                   /* FAILED only */
    char reason[160];                      /* FAILED only */
    char request_event_id[PM_REF_MAX + 1]; /* the payment.requested event that created it */
    char created_at[32];                   /* RFC 3339 UTC */
    char completed_at[32];                 /* when it became SUCCEEDED or FAILED */
    int retries;                           /* attempts made after the first (dunning) */
    char next_attempt_on[11];              /* PENDING after a failure: the retry's date */
    char last_reason_code[5];              /* the last refused attempt's code, "" if none */
    char last_reason[160];
} pm_payment;

/* Reads a `payment.requested` CloudEvent (parsed JSON) into *p: the envelope
 * (bp_cloudevent_check, type payment.requested) and its data — invoiceRef
 * (1..100), contractId (a UUID), currency (ISO 4217), amount (a Money object in
 * that currency, 1..BP_MONEY_MAX_MINOR minor units; a request published before
 * Money objects is read from its integer amountMinor instead), and the
 * optional contractRef, mandateReference (1..100) and dueDate (YYYY-MM-DD).
 * Status is set PENDING, payment_id left empty. Returns false with the first
 * problem in *e (field paths below "data"). */
bool pm_request_parse(const json_t *event, pm_payment *p, bp_verr *e);

/* The REST resource of a payment (GET /payments/{paymentId}). Caller decrefs. */
json_t *pm_payment_json(const pm_payment *p);

/* The `data` of the payment's result event: `payment.succeeded` when
 * SUCCEEDED (collectedAt), `payment.failed` when FAILED (reasonCode, reason,
 * failedAt). NULL for a PENDING payment. Caller decrefs. */
json_t *pm_payment_event_data(const pm_payment *p);

/* The `data` of `payment.retry_scheduled` for a PENDING payment whose attempt
 * number `retries` was refused (last_reason_code) and that is tried again on
 * next_attempt_on: the payment's identity and amount, attempt (the refused
 * attempt, 1-based), reasonCode, reason, nextAttemptOn and `manual` (a finance
 * operator asked for the retry: POST /payments/{paymentId}/retry). Caller
 * decrefs. */
json_t *pm_payment_retry_data(const pm_payment *p, bool manual);

/* The bank's end-to-end id of the payment's current attempt: the invoiceRef
 * for the first, "<invoiceRef>/R<n>" for retry n (buf >= PM_REF_MAX + 16). */
void pm_payment_end_to_end_id(const pm_payment *p, char *buf, size_t size);

/* "payment.succeeded", "payment.failed", or NULL for PENDING. */
const char *pm_payment_event_type(const pm_payment *p);

#endif
