/* payment_store: payment's SQL. One parameterised statement per function on
 * the caller's connection; transactions belong to payment_service. */
#ifndef PAYMENT_STORE_H
#define PAYMENT_STORE_H

#include "bp_db.h"
#include "payment_model.h"

#include <jansson.h>
#include <stdint.h>

/* Inserts `p` (payment_id set, status PENDING) unless a payment of its
 * invoiceRef exists. *inserted tells which. */
bp_db_result pm_store_insert_pending(bp_db *db, const pm_payment *p, bool *inserted)
    __attribute__((warn_unused_result));

/* Reads the payment of `invoice_ref` into *p. *found false when none. */
bp_db_result pm_store_get_by_invoice(bp_db *db, const char *invoice_ref, pm_payment *p, bool *found)
    __attribute__((warn_unused_result));

/* Reads one payment by id (any text: a non-UUID finds nothing). */
bp_db_result pm_store_get(bp_db *db, const char *payment_id, pm_payment *p, bool *found)
    __attribute__((warn_unused_result));

/* Moves a PENDING payment to SUCCEEDED (reason_code NULL) or FAILED (with
 * reason_code and reason), stamping completed_at, and reads it back into *p.
 * *updated false (nothing written) when it was no longer PENDING. */
bp_db_result pm_store_complete(bp_db *db, const char *payment_id, bool ok, const char *reason_code,
                               const char *reason, pm_payment *p, bool *updated)
    __attribute__((warn_unused_result));

/* *due true when `due_date` (YYYY-MM-DD) is today or past in time zone `tz`,
 * on the clock moved by `offset_s` seconds (the test clock; 0 normally). */
bp_db_result pm_store_is_due(bp_db *db, const char *due_date, const char *tz, int64_t offset_s,
                             bool *due) __attribute__((warn_unused_result));

/* Up to `max` PENDING payments whose next attempt (a retry's date, else the
 * due date) has come in time zone `tz` on the clock moved by `offset_s` (or
 * that have none) and that were requested at least `min_age_s` seconds ago
 * (a retry at any age), earliest first, into out[0..*n). */
bp_db_result pm_store_due_pending(bp_db *db, const char *tz, int64_t offset_s, int min_age_s,
                                  pm_payment *out, int max, int *n)
    __attribute__((warn_unused_result));

/* Dunning: the PENDING payment `p`, whose attempt was refused with
 * `reason_code`, is tried again `days` days after today (tz, offset_s): retries
 * + 1, next_attempt_on and the last reason set; read back into *out. *updated
 * false (nothing written) when it was no longer PENDING with p->retries. */
bp_db_result pm_store_schedule_retry(bp_db *db, const pm_payment *p, const char *reason_code,
                                     const char *reason, int days, const char *tz, int64_t offset_s,
                                     pm_payment *out, bool *updated)
    __attribute__((warn_unused_result));

/* A finance operator's retry of a FAILED payment: PENDING again, retries + 1,
 * next attempt today (tz, offset_s), the failure kept as the last reason; read
 * back into *out. *updated false when no FAILED payment has that id. */
bp_db_result pm_store_retry_now(bp_db *db, const char *payment_id, const char *tz, int64_t offset_s,
                                pm_payment *out, bool *updated) __attribute__((warn_unused_result));

/* Takes, for this connection, the lock that says it collects `invoice_ref`
 * now; *got false when another connection (another instance's collector) has
 * it. Released by pm_store_unclaim or when the connection ends. */
bp_db_result pm_store_claim(bp_db *db, const char *invoice_ref, bool *got)
    __attribute__((warn_unused_result));

bp_db_result pm_store_unclaim(bp_db *db, const char *invoice_ref)
    __attribute__((warn_unused_result));

typedef struct {
    const char *invoice_ref, *status, *contract_ref; /* NULL: any */
    int64_t limit, offset;
} pm_filter;

/* A page of payment resources (pm_payment_json, oldest first) and the number
 * of matches. Caller decrefs *items. */
bp_db_result pm_store_list(bp_db *db, const pm_filter *f, json_t **items, int64_t *total)
    __attribute__((warn_unused_result));

#endif
