/* billing_events: contract events → read model, invoice.sent and payment
 * results → invoices. A message is acknowledged (its offset stored) only after
 * its transaction committed; types billing does not handle are skipped; a
 * message that can never be applied (not JSON, not a CloudEvent, data the read
 * model refuses) is logged and parked on the dead-letter topic through the
 * outbox, once per message; a database outage rewinds and retries. */
#include "billing_events.h"

#include "billing_readmodel.h"
#include "billing_settlement.h"
#include "bp_log.h"
#include "bp_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONSUMER_NAME "billing.contract"
#define SETTLEMENT_CONSUMER "billing.settlement"
#define DEAD_LETTER_CONSUMER "billing.dead-letter"

struct bl_events {
    bp_consumer *consumer;
    bl_dunning dunning;
};

static bool handled(const char *type)
{
    return type != NULL && (strncmp(type, "contract.", 9) == 0 || !strcmp(type, "invoice.sent") ||
                            !strcmp(type, "payment.succeeded") || !strcmp(type, "payment.failed"));
}

static bp_consume_result on_message(void *ctx, bp_db *db, const rd_kafka_message_t *msg, char *why,
                                    size_t whysize)
{
    bl_events *ev = ctx;
    char header_type[128];
    const char *ht = bp_consumer_event_type(msg, header_type, sizeof header_type);
    if (ht != NULL && !handled(ht))
        return BP_CONSUME_SKIP; /* e.g. our own invoice.issued: not parsed at all */
    json_error_t jerr;
    json_t *event = msg->payload ? json_loadb(msg->payload, msg->len, 0, &jerr) : NULL;
    if (event == NULL) {
        snprintf(why, whysize, "not JSON: %s", msg->payload ? jerr.text : "no value");
        return BP_CONSUME_POISON;
    }
    const char *type = json_string_value(json_object_get(event, "type"));
    bl_event_result r;
    if (type == NULL) {
        json_decref(event);
        snprintf(why, whysize, "not a CloudEvent: no string attribute \"type\"");
        return BP_CONSUME_POISON;
    } else if (strncmp(type, "contract.", 9) == 0) {
        r = bl_readmodel_apply(db, CONSUMER_NAME, event, why, whysize);
    } else if (handled(type)) {
        r = bl_settle_apply(db, SETTLEMENT_CONSUMER, &ev->dunning, event, why, whysize);
    } else {
        json_decref(event);
        return BP_CONSUME_SKIP; /* another service's event */
    }
    json_decref(event);
    switch (r) {
    case BL_EVENT_APPLIED:
        bp_metrics_counter_add("bp_readmodel_applied_total",
                               "Consumed events applied (read model, invoices).", 1);
        return BP_CONSUME_OK;
    case BL_EVENT_IGNORED:
        bp_metrics_counter_add("bp_readmodel_ignored_total",
                               "Consumed events ignored (duplicate or older version).", 1);
        return BP_CONSUME_OK;
    case BL_EVENT_POISON:
        return BP_CONSUME_POISON;
    case BL_EVENT_RETRY:
        break;
    }
    return BP_CONSUME_RETRY;
}

bl_events *bl_events_start(const bl_events_config *cfg, char *err, size_t errsize)
{
    bl_events *ev = calloc(1, sizeof *ev);
    if (ev == NULL) {
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    ev->dunning = cfg->dunning;
    bp_consumer_config cc = {.brokers = cfg->brokers,
                             .group_id = cfg->group,
                             .topics = cfg->topics,
                             .offset_reset = "earliest",
                             .database_url = cfg->database_url,
                             .service = "billing",
                             .dead_letter = {.group = cfg->group,
                                             .inbox_consumer = DEAD_LETTER_CONSUMER,
                                             .topic = cfg->dead_letter_topic,
                                             .relay = cfg->relay}};
    ev->consumer = bp_consumer_start(&cc, on_message, ev, err, errsize);
    if (ev->consumer == NULL) {
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
    free(ev);
}
