/* fuzz_mailer_invoice: a message of the invoice topic as the invoice-mailer consumes
 * it (mailer_events): jansson with JSON_REJECT_DUPLICATES, the CloudEvents envelope
 * check, and the invoice.issued data read by ml_invoice_parse (called whatever the
 * envelope check said, so the invoice reader is reached from any object). Invariants
 * of an accepted invoice: a valid invoiceRef, at least one line, totals that add up. */
#include "bp_cloudevent.h"
#include "fuzz_support.h"
#include "mailer_invoice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *event = fz_json(data, size, JSON_REJECT_DUPLICATES);
    if (event == NULL)
        return 0;
    (void)bp_cloudevent_check(event);
    ml_invoice inv;
    char reason[300] = "";
    if (ml_invoice_parse(json_object_get(event, "data"), &inv, reason, sizeof reason)) {
        FZ_CHECK(ml_invoice_ref_valid(inv.invoice_ref), "the invoiceRef is valid");
        FZ_CHECK(inv.nlines > 0 && inv.lines != NULL, "an invoice has lines");
        FZ_CHECK(inv.total_with_tax == inv.total_without_tax + inv.total_tax, "totals add up");
        ml_invoice_free(&inv);
    } else {
        FZ_CHECK(reason[0] != '\0', "a refusal says why");
    }
    json_decref(event);
    return 0;
}
