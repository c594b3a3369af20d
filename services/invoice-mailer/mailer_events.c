/* mailer_events: invoice events → queued mails or dead letters. A message is
 * acknowledged (offset stored) only after its transaction committed: the mail
 * row (or the dead letter) is then durable, so the consumer moves on at once
 * and SMTP trouble never holds the partition. Only a database outage rewinds
 * and retries. */
#include "mailer_events.h"

#include "bp_cloudevent.h"
#include "bp_consumer.h"
#include "bp_dead_letter.h"
#include "bp_log.h"
#include "bp_metrics.h"
#include "bp_time.h"
#include "mailer_invoice.h"
#include "mailer_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INBOX_CONSUMER "invoice-mailer.invoice"

struct ml_events {
    bp_consumer *consumer;
    bp_db *db;
    const ml_service *svc;
    ml_sender *sender;
};

static bp_consume_result dead_letter(ml_events *ev, const rd_kafka_message_t *msg,
                                     const char *reason)
{
    char inbox_id[400];
    snprintf(inbox_id, sizeof inbox_id, "kafka:%s/%d/%lld", rd_kafka_topic_name(msg->rkt),
             (int)msg->partition, (long long)msg->offset);
    const bp_dead_letter_dest to = {.group = ev->svc->consumer,
                                    .inbox_consumer = INBOX_CONSUMER,
                                    .topic = ev->svc->dead_letter_topic,
                                    .relay = ev->svc->relay};
    bp_dead_letter_result r = bp_dead_letter_park(ev->db, &to, inbox_id, msg, reason);
    if (r == BP_DEAD_LETTER_FAILED)
        return BP_CONSUME_RETRY;
    if (r == BP_DEAD_LETTER_PARKED) {
        bp_log_fields(BP_LOG_ERROR,
                      json_pack("{s:s, s:i, s:I, s:s}", "topic", rd_kafka_topic_name(msg->rkt),
                                "partition", (int)msg->partition, "offset",
                                (json_int_t)msg->offset, "reason", reason),
                      "message sent to the dead-letter topic %s", ev->svc->dead_letter_topic);
        bp_metrics_counter_add("bp_mailer_dead_letters_total",
                               "Messages the mailer can never handle, dead-lettered.", 1);
    }
    return BP_CONSUME_OK;
}

/* Renders and queues a parsed invoice.issued. */
static bp_consume_result queue_invoice(ml_events *ev, const json_t *event, ml_invoice *inv)
{
    ml_render_opts opts = {.from = ev->svc->from, .date_ms = bp_time_now_ms()};
    char *message = ml_render_message(inv, &opts);
    char *subject = ml_render_subject(inv);
    ml_event_result r = ML_EVENT_RETRY;
    if (message != NULL && subject != NULL)
        r = ml_service_queue(ev->svc, ev->db, INBOX_CONSUMER,
                             json_string_value(json_object_get(event, "id")), inv, subject,
                             message);
    free(message);
    free(subject);
    switch (r) {
    case ML_EVENT_QUEUED:
        ml_sender_wake(ev->sender);
        bp_metrics_counter_add("bp_mailer_queued_total", "Invoice mails queued.", 1);
        return BP_CONSUME_OK;
    case ML_EVENT_DUPLICATE:
        bp_metrics_counter_add("bp_mailer_duplicates_total",
                               "invoice.issued events for an invoice already known.", 1);
        return BP_CONSUME_OK;
    case ML_EVENT_RETRY:
        break;
    }
    return BP_CONSUME_RETRY;
}

static bp_consume_result on_message(void *ctx, const rd_kafka_message_t *msg)
{
    ml_events *ev = ctx;
    if (msg->payload == NULL || msg->len == 0)
        return dead_letter(ev, msg, "empty message");
    json_error_t jerr;
    json_t *event = json_loadb(msg->payload, msg->len, JSON_REJECT_DUPLICATES, &jerr);
    if (event == NULL) {
        char reason[300];
        snprintf(reason, sizeof reason, "not JSON: %s", jerr.text);
        return dead_letter(ev, msg, reason);
    }
    const json_t *type = json_object_get(event, "type");
    if (json_is_string(type) && strcmp(json_string_value(type), "invoice.issued") != 0) {
        json_decref(event); /* another type on the topic: not ours */
        return BP_CONSUME_SKIP;
    }
    const char *problem = bp_cloudevent_check(event);
    bp_consume_result res;
    if (problem != NULL) {
        char reason[300];
        snprintf(reason, sizeof reason, "not a CloudEvent: %s", problem);
        res = dead_letter(ev, msg, reason);
    } else {
        ml_invoice inv;
        char reason[300];
        if (ml_invoice_parse(json_object_get(event, "data"), &inv, reason, sizeof reason)) {
            res = queue_invoice(ev, event, &inv);
            ml_invoice_free(&inv);
        } else {
            res = dead_letter(ev, msg, reason);
        }
    }
    json_decref(event);
    return res;
}

ml_events *ml_events_start(const char *brokers, const char *group, const char *topic,
                           const char *database_url, const ml_service *svc, ml_sender *sender,
                           char *err, size_t errsize)
{
    ml_events *ev = calloc(1, sizeof *ev);
    if (ev == NULL)
        return NULL;
    ev->svc = svc;
    ev->sender = sender;
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

bp_consumer *ml_events_consumer(ml_events *ev) { return ev ? ev->consumer : NULL; }

void ml_events_stop(ml_events *ev)
{
    if (ev == NULL)
        return;
    bp_consumer_stop(ev->consumer);
    bp_db_free(ev->db);
    free(ev);
}
