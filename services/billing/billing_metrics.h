/* billing_metrics: billing's own Prometheus series (bp_metrics.h renders them):
 * the decisions on purchases and refunds, and the billing runs. Called by
 * billing_service and billing_run once their transaction is over. */
#ifndef BILLING_METRICS_H
#define BILLING_METRICS_H

#include "billing_operation.h"
#include "billing_service.h"

#include <stdbool.h>

/* The `outcome` label of an operation answered with `r`: "accepted" (201),
 * "rejected" (422, a business rule), "invalid" (400), "duplicate_order" (409);
 * NULL for what decides nothing (a replay, an error, the database away). */
const char *bl_metrics_outcome(bl_result r);

/* Creates the decision and run counters at 0 for every outcome, so that the first
 * of each shows in rate(). Once, at start. */
void bl_metrics_declare(void);

/* Counts one operation of `type` answered with `r` in
 * bp_billing_purchases_total{outcome} or bp_billing_refunds_total{outcome}, and a
 * rejected purchase in bp_billing_purchase_rejections_total{reason=code}. `code`
 * (the rejection's reason code) is read only when r is BL_R_REJECTED. */
void bl_metrics_operation(bl_op_type type, bl_result r, const char *code);

/* Counts a billing run in bp_billing_runs_total{outcome}: "completed", "failed"
 * or "dry_run". A completed real run also sets bp_billing_run_duration_seconds to
 * `seconds` and adds `issued` to bp_billing_run_invoices_issued_total. */
void bl_metrics_run(const char *outcome, double seconds, int issued);

#endif
