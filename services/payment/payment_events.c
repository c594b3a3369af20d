/* payment_events: `payment` topic → payment_service. A message's offset is
 * stored only after its payment's final transaction committed (BP_CONSUME_OK);
 * types other than payment.requested (our own payment.succeeded/failed) are
 * skipped; a message that can never be handled (not JSON, not a CloudEvent, a
 * payment.requested with bad data) is logged, parked on the dead-letter topic
 * through the outbox, and skipped; an unavailable database or bank rewinds and
 * retries. */
#include "payment_events.h"

#include "bp_dead_letter.h"
#include "bp_log.h"
#include "bp_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pm_events {
    bp_consumer *consumer;
    bp_db *db;
    pm_service svc;
    char group[250];
};

static bp_consume_result dead_letter(pm_events *ev, const rd_kafka_message_t *msg,
                                     const char *reason)
{
    const char *topic = rd_kafka_topic_name(msg->rkt);
    bp_log_error("%s[%d]@%lld cannot be handled (%s): sent to %s", topic, (int)msg->partition,
                 (long long)msg->offset, reason, ev->svc.dead_letter_topic);
    bp_metrics_counter_add("bp_payment_poison_total", "Messages that can never be handled.", 1);
    char claim[400];
    snprintf(claim, sizeof claim, "dead-letter:%s:%d:%lld", topic, (int)msg->partition,
             (long long)msg->offset);
    const bp_dead_letter_dest to = {.group = ev->group,
                                    .inbox_consumer = ev->svc.consumer,
                                    .topic = ev->svc.dead_letter_topic,
                                    .relay = ev->svc.relay};
    return bp_dead_letter_park(ev->db, &to, claim, msg, reason) == BP_DEAD_LETTER_FAILED
               ? BP_CONSUME_RETRY
               : BP_CONSUME_SKIP;
}

static bp_consume_result on_message(void *ctx, const rd_kafka_message_t *msg)
{
    pm_events *ev = ctx;
    json_error_t jerr;
    json_t *event = json_loadb(msg->payload, msg->len, 0, &jerr);
    if (!json_is_object(event) || !json_is_string(json_object_get(event, "type"))) {
        char reason[300];
        if (event == NULL)
            snprintf(reason, sizeof reason, "not JSON: %s", jerr.text);
        else
            snprintf(reason, sizeof reason, "not a CloudEvent (no string type)");
        json_decref(event);
        return dead_letter(ev, msg, reason);
    }
    if (strcmp(json_string_value(json_object_get(event, "type")), "payment.requested") != 0) {
        json_decref(event);
        return BP_CONSUME_SKIP; /* our own results, or another family's type */
    }
    char why[300] = "";
    pm_event_result r = pm_service_handle_request(&ev->svc, ev->db, event, why, sizeof why);
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
    case PM_EVENT_POISON: {
        char reason[400];
        snprintf(reason, sizeof reason, "invalid payment.requested: %s", why);
        return dead_letter(ev, msg, reason);
    }
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
    ev->db = bp_db_new(database_url);
    const char *topics[] = {topic, NULL};
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

bp_consumer *pm_events_consumer(pm_events *ev) { return ev ? ev->consumer : NULL; }

void pm_events_stop(pm_events *ev)
{
    if (ev == NULL)
        return;
    bp_consumer_stop(ev->consumer);
    bp_db_free(ev->db);
    free(ev);
}
