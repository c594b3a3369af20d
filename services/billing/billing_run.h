/* billing_run: month-end billing runs. A run issues one invoice per contract
 * with uninvoiced accepted operations dated up to the end of the period (late
 * operations of earlier months included), with gap-free numbers per year, and
 * publishes invoice.issued and payment.requested through the outbox. Running a
 * period again — at once, or after a crash half-way — issues no second invoice:
 * (contract, period) is unique and each contract is its own savepoint, so a new
 * run simply does what is left. Also owns the scheduler thread. */
#ifndef BILLING_RUN_H
#define BILLING_RUN_H

#include "billing_service.h"
#include "bp_db.h"
#include "bp_outbox.h"

typedef struct {
    const char *invoice_topic, *payment_topic, *source;
    bp_outbox_relay *relay;
} bl_run_ctx;

/* Runs `period` ("YYYY-MM") now. dry: computes exactly the invoices a real run
 * would issue and writes nothing; *o->resource then holds them under
 * "invoices". Results: BL_R_CREATED (real run), BL_R_OK (dry run), BL_R_INVALID
 * (bad period), BL_R_UNAVAILABLE, BL_R_INTERNAL. */
bl_result bl_run_execute(const bl_run_ctx *ctx, bp_db *db, const char *period, bool dry,
                         const char *trigger, bl_outcome *o) __attribute__((warn_unused_result));

typedef struct bl_scheduler bl_scheduler;

/* Starts the thread that runs the previous month on `day` at "HH:MM" (local
 * time), once per period, across instances (an advisory lock). NULL on failure. */
bl_scheduler *bl_scheduler_start(const bl_run_ctx *ctx, const char *database_url, int day,
                                 int minute_of_day);
void bl_scheduler_stop(bl_scheduler *s);

#endif
