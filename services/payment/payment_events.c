/* payment_events: `payment` topic → payment_service. A message's offset is
 * stored only after its payment's final transaction committed (BP_CONSUME_OK);
 * types other than payment.requested (our own payment.succeeded/failed) are
 * skipped; a message that can never be handled (not JSON, not a CloudEvent, a
 * payment.requested with bad data) is logged, parked on the dead-letter topic
 * through the outbox, and skipped; an unavailable database or bank rewinds and
 * retries. */
#include "payment_events.h"

#include "bp_log.h"
#include "bp_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pm_events {
    bp_consumer *consumer;
    pm_service svc;
    char group[250];
};

static bp_consume_result on_message(void *ctx, bp_db *db, const rd_kafka_message_t *msg, char *why,
                                    size_t whysize)
{
    pm_events *ev = ctx;
    json_error_t jerr;
    json_t *event = json_loadb(msg->payload, msg->len, 0, &jerr);
    if (!json_is_object(event) || !json_is_string(json_object_get(event, "type"))) {
        if (event == NULL)
            snprintf(why, whysize, "not JSON: %s", jerr.text);
        else
            snprintf(why, whysize, "not a CloudEvent (no string type)");
        json_decref(event);
        return BP_CONSUME_POISON;
    }
    if (strcmp(json_string_value(json_object_get(event, "type")), "payment.requested") != 0) {
        json_decref(event);
        return BP_CONSUME_SKIP; /* our own results, or another family's type */
    }
    char problem[300] = "";
    pm_event_result r = pm_service_handle_request(&ev->svc, db, event, problem, sizeof problem);
    json_decref(event);
    switch (r) {
    case PM_EVENT_DONE:
        bp_metrics_counter_add("bp_payment_requests_handled_total",
                               "payment.requested events that finished a payment.", 1);
        return BP_CONSUME_OK;
    case PM_EVENT_DUPLICATE:
        bp_metrics_counter_add("bp_payment_requests_duplicate_total",
                               "payment.requested events for an already finished payment.", 1);
        return BP_CONSUME_OK;
    case PM_EVENT_SCHEDULED:
        bp_metrics_counter_add("bp_payment_requests_scheduled_total",
                               "payment.requested events recorded for their due date.", 1);
        return BP_CONSUME_OK;
    case PM_EVENT_POISON:
        snprintf(why, whysize, "invalid payment.requested: %s", problem);
        return BP_CONSUME_POISON;
    case PM_EVENT_RETRY:
        break;
    }
    return BP_CONSUME_RETRY;
}

pm_events *pm_events_start(const char *brokers, const char *group, const char *topic,
                           const char *database_url, const pm_service *svc, char *err,
                           size_t errsize)
{
    pm_events *ev = calloc(1, sizeof *ev);
    if (ev == NULL) {
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    ev->svc = *svc;
    snprintf(ev->group, sizeof ev->group, "%s", group);
    const char *topics[] = {topic, NULL};
    bp_consumer_config cc = {.brokers = brokers,
                             .group_id = group,
                             .topics = topics,
                             .offset_reset = "earliest",
                             .database_url = database_url,
                             .service = "payment",
                             .dead_letter = {.group = ev->group,
                                             .inbox_consumer = ev->svc.consumer,
                                             .topic = ev->svc.dead_letter_topic,
                                             .relay = ev->svc.relay}};
    ev->consumer = bp_consumer_start(&cc, on_message, ev, err, errsize);
    if (ev->consumer == NULL) {
        free(ev);
        return NULL;
    }
    return ev;
}

bp_consumer *pm_events_consumer(pm_events *ev) { return ev ? ev->consumer : NULL; }

void pm_events_stop(pm_events *ev)
{
    if (ev == NULL)
        return;
    bp_consumer_stop(ev->consumer);
    free(ev);
}
