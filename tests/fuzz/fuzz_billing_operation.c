/* fuzz_billing_operation: a POST /operations body through billing_operation as the
 * billing service reads it: bl_operation_parse_head, then bl_operation_parse_amounts in
 * the order's currency (EUR, the usual contract currency, when it names none), then the
 * VAT breakdown. The process's time zone is the billing time zone, as billing's main
 * sets it; here the one furthest ahead of UTC (+14:00), where a timestamp's local date
 * strays furthest. Invariants of an accepted operation: its calendar date is within the
 * years a date may have; its totals add up, per VAT rate too, and stay within
 * 1..BP_MONEY_MAX_MINOR. */
#include "billing_operation.h"
#include "bp_money.h"
#include "fuzz_support.h"

#include <time.h>

#define BODY_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setenv("TZ", "Pacific/Kiritimati", 1);
    tzset();
    return 0;
}

static void check_totals(const bl_operation *op)
{
    FZ_CHECK(op->total_with_tax == op->total_without_tax + op->total_tax, "totals add up");
    FZ_CHECK(op->total_with_tax > 0 && op->total_with_tax <= BP_MONEY_MAX_MINOR,
             "the total is 1..BP_MONEY_MAX_MINOR");
    int64_t base = 0, tax = 0;
    for (int i = 0; i < op->nvat; i++) {
        base += op->vat[i].base;
        tax += op->vat[i].tax;
    }
    FZ_CHECK(base == op->total_without_tax && tax == op->total_tax, "VAT shares add up");
    FZ_CHECK(op->doc != NULL, "an accepted operation has its document");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *req = fz_json(data, size, BODY_FLAGS);
    if (!json_is_object(req)) {
        json_decref(req);
        return 0;
    }
    bl_operation op = {0};
    bp_verr e = {0};
    if (bl_operation_parse_head(req, &op, &e)) {
        int year = bp_date_year(op.operation_date);
        FZ_CHECK(year >= BP_DATE_YEAR_MIN && year <= 9999, "the operation date is 1900..9999");
        const char *currency = op.currency ? op.currency : "EUR";
        int exponent = 2;
        bp_currency_exponent(currency, &exponent);
        if (bl_operation_parse_amounts(req, currency, exponent, &op, &e)) {
            check_totals(&op);
            json_decref(bl_operation_vat_json(&op));
        }
        json_decref(op.doc);
    }
    json_decref(req);
    return 0;
}
