/* billing_dunning: the overdue state of an account, kept by the consumer of
 * payment results in the transaction of its inbox claim. A final payment
 * failure (payment.failed: a final SEPA code, or dunning's retries exhausted)
 * marks the invoice's account overdue (accounts.overdue_since), which the one
 * AUTHORIZE statement of billing_store refuses purchases on (ACCOUNT_OVERDUE);
 * so does an invoice left unpaid `after_days` past its due date
 * (bl_dunning_sweep, BP_BILLING_OVERDUE_AFTER_DAYS; the payment being dunned,
 * typically); the payment of the account's last such invoice clears it. Each change is
 * published through the outbox: `invoice.overdue`, `account.overdue_cleared`. */
#ifndef BILLING_DUNNING_H
#define BILLING_DUNNING_H

#include "bp_db.h"

#include <jansson.h>

typedef struct {
    const char *invoice_topic;   /* where invoice.overdue / account.overdue_cleared go */
    const char *source;          /* CloudEvents source */
    int after_days;              /* unpaid this many days past due: overdue (0: never) */
    const char *timezone;        /* whose calendar says which day it is */
    const char *test_clock_file; /* test only (BP_TEST_CLOCK_FILE): "" or NULL normally */
} bl_dunning;

/* In the caller's transaction, after invoice `invoice_ref` moved to
 * PAYMENT_FAILED with `failure` ({reasonCode, reason, failedAt}): marks its
 * account overdue (the first overdue_since stays) and queues invoice.overdue. */
bp_db_result bl_dunning_invoice_failed(bp_db *db, const bl_dunning *d, const char *invoice_ref,
                                       const json_t *failure) __attribute__((warn_unused_result));

/* In the caller's transaction, after invoice `invoice_ref` moved to PAID:
 * when its account is overdue and has no PAYMENT_FAILED invoice left (nor one
 * unpaid d->after_days past due), clears overdue_since and queues
 * account.overdue_cleared. */
bp_db_result bl_dunning_invoice_paid(bp_db *db, const bl_dunning *d, const char *invoice_ref)
    __attribute__((warn_unused_result));

/* One transaction: marks overdue (and queues invoice.overdue, cause
 * UNPAID_PAST_DUE) up to 100 accounts not overdue yet whose oldest ISSUED or
 * SENT invoice is more than d->after_days past its due date (today in
 * d->timezone, on the test clock). *marked receives how many. Nothing when
 * after_days is 0. */
bp_db_result bl_dunning_sweep(bp_db *db, const bl_dunning *d, int *marked)
    __attribute__((warn_unused_result));

#endif
