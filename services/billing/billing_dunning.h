/* billing_dunning: the overdue state of an account, kept by the consumer of
 * payment results in the transaction of its inbox claim. A final payment
 * failure (payment.failed: a final SEPA code, or dunning's retries exhausted)
 * marks the invoice's account overdue (accounts.overdue_since), which the one
 * AUTHORIZE statement of billing_store refuses purchases on (ACCOUNT_OVERDUE);
 * the payment of the account's last failed invoice clears it. Each change is
 * published through the outbox: `invoice.overdue`, `account.overdue_cleared`. */
#ifndef BILLING_DUNNING_H
#define BILLING_DUNNING_H

#include "bp_db.h"

#include <jansson.h>

typedef struct {
    const char *invoice_topic; /* where invoice.overdue / account.overdue_cleared go */
    const char *source;        /* CloudEvents source */
} bl_dunning;

/* In the caller's transaction, after invoice `invoice_ref` moved to
 * PAYMENT_FAILED with `failure` ({reasonCode, reason, failedAt}): marks its
 * account overdue (the first overdue_since stays) and queues invoice.overdue. */
bp_db_result bl_dunning_invoice_failed(bp_db *db, const bl_dunning *d, const char *invoice_ref,
                                       const json_t *failure) __attribute__((warn_unused_result));

/* In the caller's transaction, after invoice `invoice_ref` moved to PAID:
 * when its account is overdue and has no PAYMENT_FAILED invoice left, clears
 * overdue_since and queues account.overdue_cleared. */
bp_db_result bl_dunning_invoice_paid(bp_db *db, const bl_dunning *d, const char *invoice_ref)
    __attribute__((warn_unused_result));

#endif
