/* fuzz_contract_event: a message of the contract topic as billing's read model
 * consumes it (billing_events, billing_readmodel): jansson with no flags, the
 * CloudEvents envelope check, and the contract resource in its data read into an
 * account by bl_account_from_contract (called whatever the envelope check said, so
 * the account reader is reached from any object). */
#include "billing_account.h"
#include "bp_cloudevent.h"
#include "bp_money.h"
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *event = fz_json(data, size, 0);
    if (event == NULL)
        return 0;
    const char *problem = bp_cloudevent_check(event);
    FZ_CHECK(problem == NULL || problem[0] != '\0', "a refused envelope names its problem");
    bl_account a;
    if (bl_account_from_contract(json_object_get(event, "data"), &a) == NULL) {
        FZ_CHECK(memchr(a.contract_id, '\0', sizeof a.contract_id) != NULL &&
                     memchr(a.currency, '\0', sizeof a.currency) != NULL,
                 "the account's strings are terminated");
        FZ_CHECK(a.credit_limit >= 0 && a.credit_limit <= BP_MONEY_MAX_MINOR,
                 "the credit limit is 0..BP_MONEY_MAX_MINOR");
    }
    json_decref(event);
    return 0;
}
