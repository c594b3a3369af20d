/* billing_settlement: invoice status changes from cycle events (consumer thread). */
#include "billing_settlement.h"

#include "billing_invoice_store.h"
#include "bp_cloudevent.h"
#include "bp_inbox.h"
#include "bp_log.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *type;
    const json_t *data;
    const bl_dunning *dunning;
} settle_ctx;

static bp_db_result apply(bp_db *db, void *arg, bool *applied)
{
    const settle_ctx *c = arg;
    const char *type = c->type;
    const json_t *data = c->data;
    const char *ref = json_string_value(json_object_get(data, "invoiceRef"));
    if (strcmp(type, "invoice.sent") == 0)
        return bl_istore_mark_sent(db, ref, json_string_value(json_object_get(data, "sentAt")),
                                   applied);
    if (strcmp(type, "payment.succeeded") == 0) {
        bp_db_result r = bl_istore_mark_paid(
            db, ref, json_string_value(json_object_get(data, "collectedAt")), applied);
        if (r == BP_DB_OK && *applied)
            r = bl_dunning_invoice_paid(db, c->dunning, ref);
        return r;
    }
    json_t *failure =
        json_pack("{s:O*, s:O*, s:O*}", "reasonCode", json_object_get(data, "reasonCode"), "reason",
                  json_object_get(data, "reason"), "failedAt", json_object_get(data, "failedAt"));
    bp_db_result r = bl_istore_mark_failed(db, ref, failure, applied);
    if (r == BP_DB_OK && *applied)
        r = bl_dunning_invoice_failed(db, c->dunning, ref, failure);
    json_decref(failure);
    return r;
}

bl_event_result bl_settle_apply(bp_db *db, const char *consumer, const bl_dunning *dunning,
                                const json_t *event, char *why, size_t whysize)
{
    const char *problem = bp_cloudevent_check(event);
    const char *id = json_string_value(json_object_get(event, "id"));
    const char *type = json_string_value(json_object_get(event, "type"));
    const json_t *data = json_object_get(event, "data");
    if (problem == NULL && !json_is_string(json_object_get(data, "invoiceRef")))
        problem = "data.invoiceRef missing";
    if (problem == NULL && strcmp(type, "invoice.sent") == 0 &&
        !json_is_string(json_object_get(data, "sentAt")))
        problem = "data.sentAt missing";
    if (problem == NULL && strcmp(type, "payment.succeeded") == 0 &&
        !json_is_string(json_object_get(data, "collectedAt")))
        problem = "data.collectedAt missing";
    if (problem != NULL) {
        snprintf(why, whysize, "%s event %s cannot be applied: %s", type ? type : "?",
                 id ? id : "?", problem); /* logged where the message is parked */
        return BL_EVENT_POISON;
    }
    bool applied = false;
    bp_db_result r = BP_DB_OK;
    settle_ctx c = {type, data, dunning};
    bp_inbox_outcome out = bp_inbox_apply(db, consumer, id, apply, &c, &applied, &r);
    if (out == BP_INBOX_REFUSED)
        snprintf(why, whysize, "%s event %s refused by the database: %s", type, id,
                 bp_db_error(db));
    if (out != BP_INBOX_DONE)
        return bl_event_result_of(out, applied);
    bp_log_fields(BP_LOG_INFO,
                  json_pack("{s:s, s:O, s:b}", "event", type, "invoice",
                            json_object_get(data, "invoiceRef"), "applied", applied),
                  "invoice settlement");
    return applied ? BL_EVENT_APPLIED : BL_EVENT_IGNORED;
}
