/* billing_readmodel: contract events into the accounts table (consumer thread). */
#include "billing_readmodel.h"

#include "billing_account.h"
#include "billing_store.h"
#include "bp_cloudevent.h"
#include "bp_inbox.h"
#include "bp_log.h"

#include <stdio.h>

bl_event_result bl_event_result_of(bp_inbox_outcome out, bool applied)
{
    switch (out) {
    case BP_INBOX_DONE:
        return applied ? BL_EVENT_APPLIED : BL_EVENT_IGNORED;
    case BP_INBOX_LATER:
        return BL_EVENT_RETRY;
    case BP_INBOX_REFUSED:
        break;
    }
    return BL_EVENT_POISON;
}

static bp_db_result upsert(bp_db *db, void *ctx, bool *applied)
{
    return bl_store_upsert_account(db, ctx, applied);
}

bl_event_result bl_readmodel_apply(bp_db *db, const char *consumer, const json_t *event, char *why,
                                   size_t whysize)
{
    const char *problem = bp_cloudevent_check(event);
    bl_account a;
    if (problem == NULL)
        problem = bl_account_from_contract(json_object_get(event, "data"), &a);
    const char *id = json_string_value(json_object_get(event, "id"));
    if (problem != NULL) {
        snprintf(why, whysize, "contract event %s cannot be applied: %s", id ? id : "(no id)",
                 problem);
        return BL_EVENT_POISON;
    }
    bool applied = false;
    bp_db_result r = BP_DB_OK;
    bp_inbox_outcome out = bp_inbox_apply(db, consumer, id, upsert, &a, &applied, &r);
    if (out == BP_INBOX_REFUSED)
        snprintf(why, whysize, "contract event %s refused by the database (%s): %s", id,
                 bp_db_result_text(r), bp_db_error(db));
    else if (out == BP_INBOX_LATER)
        bp_log_warn("contract event %s not applied yet (%s): %s", id, bp_db_result_text(r),
                    bp_db_error(db));
    else
        bp_log_fields(BP_LOG_DEBUG,
                      json_pack("{s:s, s:s, s:I, s:b}", "event", id, "contract", a.contract_ref,
                                "version", (json_int_t)a.version, "applied", applied),
                      "contract event");
    return bl_event_result_of(out, applied);
}
