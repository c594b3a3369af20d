/* billing_events: contract events → read model. A message is acknowledged
 * (its offset stored) only after its transaction committed; types other than
 * contract.* are skipped; a malformed event is logged and skipped (it can never
 * succeed), a database outage rewinds and retries. */
#include "billing_events.h"

#include "billing_service.h"
#include "billing_settlement.h"
#include "bp_log.h"
#include "bp_metrics.h"

#include <stdlib.h>
#include <string.h>

#define CONSUMER_NAME "billing.contract"
#define SETTLEMENT_CONSUMER "billing.settlement"

struct bl_events {
    bp_consumer *consumer;
    bp_db *db;
};

static bool handled(const char *type)
{
    return type != NULL && (strncmp(type, "contract.", 9) == 0 || !strcmp(type, "invoice.sent") ||
                            !strcmp(type, "payment.succeeded") || !strcmp(type, "payment.failed"));
}

static bp_consume_result on_message(void *ctx, const rd_kafka_message_t *msg)
{
    bl_events *ev = ctx;
    char header_type[128];
    const char *ht = bp_consumer_event_type(msg, header_type, sizeof header_type);
    if (ht != NULL && !handled(ht))
        return BP_CONSUME_SKIP; /* e.g. our own invoice.issued: not parsed at all */
    json_t *event = json_loadb(msg->payload, msg->len, 0, NULL);
    const char *type = json_string_value(json_object_get(event, "type"));
    bl_event_result r;
    if (type != NULL && strncmp(type, "contract.", 9) == 0) {
        r = bl_service_apply_contract_event(ev->db, CONSUMER_NAME, event);
    } else if (handled(type)) {
        r = bl_settle_apply(ev->db, SETTLEMENT_CONSUMER, event);
    } else {
        if (event == NULL)
            bp_log_error("%s: message at offset %lld is not JSON; skipped",
                         rd_kafka_topic_name(msg->rkt), (long long)msg->offset);
        json_decref(event);
        return BP_CONSUME_SKIP;
    }
    json_decref(event);
    switch (r) {
    case BL_EVENT_APPLIED:
        bp_metrics_counter_add("bp_readmodel_applied_total", "Consumed events applied (read model, invoices).", 1);
        return BP_CONSUME_OK;
    case BL_EVENT_IGNORED:
        bp_metrics_counter_add("bp_readmodel_ignored_total",
                               "Consumed events ignored (duplicate or older version).", 1);
        return BP_CONSUME_OK;
    case BL_EVENT_POISON:
        bp_metrics_counter_add("bp_readmodel_poison_total", "Consumed events never applicable.",
                               1);
        return BP_CONSUME_SKIP;
    case BL_EVENT_RETRY:
        break;
    }
    return BP_CONSUME_RETRY;
}

bl_events *bl_events_start(const char *brokers, const char *group, const char *const *topics,
                           const char *database_url, char *err, size_t errsize)
{
    bl_events *ev = calloc(1, sizeof *ev);
    if (ev == NULL)
        return NULL;
    ev->db = bp_db_new(database_url);
    bp_consumer_config cc = {
        .brokers = brokers, .group_id = group, .topics = topics, .offset_reset = "earliest"};
    ev->consumer = ev->db ? bp_consumer_start(&cc, on_message, ev, err, errsize) : NULL;
    if (ev->consumer == NULL) {
        bp_db_free(ev->db);
        free(ev);
        return NULL;
    }
    return ev;
}

bp_consumer *bl_events_consumer(bl_events *ev) { return ev ? ev->consumer : NULL; }

void bl_events_stop(bl_events *ev)
{
    if (ev == NULL)
        return;
    bp_consumer_stop(ev->consumer);
    bp_db_free(ev->db);
    free(ev);
}
