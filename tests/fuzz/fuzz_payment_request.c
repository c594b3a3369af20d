/* fuzz_payment_request: a message of the invoice topic as the payment daemon
 * consumes it (payment_events): jansson with no flags, then pm_request_parse, which
 * checks the CloudEvents envelope and reads the payment.requested data. Invariants of
 * an accepted request: an amount of 1..BP_MONEY_MAX_MINOR minor units, a currency, a
 * PENDING status. */
#include "bp_money.h"
#include "fuzz_support.h"
#include "payment_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *event = fz_json(data, size, 0);
    if (!json_is_object(event) || !json_is_string(json_object_get(event, "type"))) {
        json_decref(event);
        return 0;
    }
    pm_payment p;
    bp_verr e;
    if (pm_request_parse(event, &p, &e)) {
        FZ_CHECK(p.amount_minor >= 1 && p.amount_minor <= BP_MONEY_MAX_MINOR,
                 "the amount is 1..BP_MONEY_MAX_MINOR");
        FZ_CHECK(strlen(p.currency) == 3 && strcmp(p.status, "PENDING") == 0,
                 "a currency and a PENDING status");
        json_decref(pm_payment_json(&p));
    } else {
        FZ_CHECK(e.failed && e.message[0] != '\0', "a refusal says why");
    }
    json_decref(event);
    return 0;
}
