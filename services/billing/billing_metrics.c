/* billing_metrics: the names, labels and help texts of billing's series, in one
 * place; the registry (bp_metrics) keeps the values. Any thread. */
#include "billing_metrics.h"

#include "bp_metrics.h"

#include <string.h>

#define PURCHASES "bp_billing_purchases_total"
#define PURCHASES_HELP "Purchases decided, by outcome."
#define REFUNDS "bp_billing_refunds_total"
#define REFUNDS_HELP "Refunds decided, by outcome."
#define RUNS "bp_billing_runs_total"
#define RUNS_HELP "Billing runs, by outcome."

const char *bl_metrics_outcome(bl_result r)
{
    switch (r) {
    case BL_R_CREATED:
        return "accepted";
    case BL_R_REJECTED:
        return "rejected";
    case BL_R_INVALID:
        return "invalid";
    case BL_R_DUPLICATE_ORDER:
        return "duplicate_order";
    default:
        return NULL;
    }
}

void bl_metrics_declare(void)
{
    static const bl_result decided[] = {BL_R_CREATED, BL_R_REJECTED, BL_R_INVALID,
                                        BL_R_DUPLICATE_ORDER};
    for (size_t i = 0; i < sizeof decided / sizeof decided[0]; i++) {
        bp_metrics_counter_add_label(PURCHASES, "outcome", bl_metrics_outcome(decided[i]),
                                     PURCHASES_HELP, 0);
        bp_metrics_counter_add_label(REFUNDS, "outcome", bl_metrics_outcome(decided[i]),
                                     REFUNDS_HELP, 0);
    }
    static const char *const runs[] = {"completed", "failed", "dry_run"};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)
        bp_metrics_counter_add_label(RUNS, "outcome", runs[i], RUNS_HELP, 0);
}

void bl_metrics_operation(bl_op_type type, bl_result r, const char *code)
{
    const char *outcome = bl_metrics_outcome(r);
    if (outcome == NULL)
        return;
    if (type == BL_REFUND) {
        bp_metrics_counter_add_label(REFUNDS, "outcome", outcome, REFUNDS_HELP, 1);
        return;
    }
    bp_metrics_counter_add_label(PURCHASES, "outcome", outcome, PURCHASES_HELP, 1);
    if (r == BL_R_REJECTED)
        bp_metrics_counter_add_label("bp_billing_purchase_rejections_total", "reason",
                                     code != NULL && code[0] != '\0' ? code : "REJECTED",
                                     "Purchases rejected, by reason code.", 1);
}

void bl_metrics_run(const char *outcome, double seconds, int issued)
{
    bp_metrics_counter_add_label(RUNS, "outcome", outcome, RUNS_HELP, 1);
    if (strcmp(outcome, "completed") != 0)
        return;
    bp_metrics_gauge_set("bp_billing_run_duration_seconds",
                         "Duration of the last completed billing run.", seconds);
    bp_metrics_counter_add("bp_billing_run_invoices_issued_total",
                           "Invoices issued by completed billing runs.", issued);
}
