/* Unit tests of billing_metrics: which answers count as a decision, and the
 * series a purchase, a refund and a billing run add. */
#include "billing_metrics.h"
#include "bp_metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_outcome(void **state)
{
    (void)state;
    assert_string_equal(bl_metrics_outcome(BL_R_CREATED), "accepted");
    assert_string_equal(bl_metrics_outcome(BL_R_REJECTED), "rejected");
    assert_string_equal(bl_metrics_outcome(BL_R_INVALID), "invalid");
    assert_string_equal(bl_metrics_outcome(BL_R_DUPLICATE_ORDER), "duplicate_order");
    assert_null(bl_metrics_outcome(BL_R_REPLAY)); /* answered before: decided nothing now */
    assert_null(bl_metrics_outcome(BL_R_UNAVAILABLE));
    assert_null(bl_metrics_outcome(BL_R_INTERNAL));
}

static void test_declared_at_zero(void **state)
{
    (void)state;
    bl_metrics_declare();
    char *text = bp_metrics_render();
    assert_non_null(text);
    assert_non_null(strstr(text, "bp_billing_purchases_total{outcome=\"accepted\"} 0\n"));
    assert_non_null(strstr(text, "bp_billing_purchases_total{outcome=\"rejected\"} 0\n"));
    assert_non_null(strstr(text, "bp_billing_refunds_total{outcome=\"invalid\"} 0\n"));
    assert_non_null(strstr(text, "bp_billing_runs_total{outcome=\"failed\"} 0\n"));
    free(text);
}

static void test_operations_counted(void **state)
{
    (void)state;
    bl_metrics_operation(BL_PURCHASE, BL_R_CREATED, "stale code, not read");
    bl_metrics_operation(BL_PURCHASE, BL_R_CREATED, NULL);
    bl_metrics_operation(BL_PURCHASE, BL_R_REJECTED, "CREDIT_LIMIT_EXCEEDED");
    bl_metrics_operation(BL_PURCHASE, BL_R_REPLAY, NULL);
    bl_metrics_operation(BL_REFUND, BL_R_REJECTED, "REFUND_EXCEEDS_PURCHASE");
    char *text = bp_metrics_render();
    assert_non_null(text);
    assert_non_null(strstr(text, "bp_billing_purchases_total{outcome=\"accepted\"} 2\n"));
    assert_non_null(strstr(text, "bp_billing_purchases_total{outcome=\"rejected\"} 1\n"));
    assert_non_null(strstr(text, "bp_billing_purchase_rejections_total{reason="
                                 "\"CREDIT_LIMIT_EXCEEDED\"} 1\n"));
    assert_non_null(strstr(text, "bp_billing_refunds_total{outcome=\"rejected\"} 1\n"));
    assert_null(strstr(text, "REFUND_EXCEEDS_PURCHASE")); /* refunds: no reason series */
    assert_null(strstr(text, "stale code"));
    free(text);
}

static void test_runs_counted(void **state)
{
    (void)state;
    bl_metrics_run("dry_run", 0.5, 0);
    bl_metrics_run("completed", 1.25, 40);
    bl_metrics_run("failed", 0, 0);
    char *text = bp_metrics_render();
    assert_non_null(text);
    assert_non_null(strstr(text, "bp_billing_runs_total{outcome=\"completed\"} 1\n"));
    assert_non_null(strstr(text, "bp_billing_runs_total{outcome=\"failed\"} 1\n"));
    assert_non_null(strstr(text, "bp_billing_runs_total{outcome=\"dry_run\"} 1\n"));
    assert_non_null(strstr(text, "bp_billing_run_duration_seconds 1.25\n"));
    assert_non_null(strstr(text, "bp_billing_run_invoices_issued_total 40\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcome),
        cmocka_unit_test(test_declared_at_zero),
        cmocka_unit_test(test_operations_counted),
        cmocka_unit_test(test_runs_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
