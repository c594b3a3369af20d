/* mailer_events: invoice events → queued mails or dead letters. A message is
 * acknowledged (offset stored) only after its transaction committed: the mail
 * row (or the dead letter) is then durable, so the consumer moves on at once
 * and SMTP trouble never holds the partition. Only a database outage rewinds
 * and retries. */
#include "mailer_events.h"

#include "bp_cloudevent.h"
#include "bp_consumer.h"
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
    const ml_service *svc;
    ml_sender *sender;
};

/* Renders and queues a parsed invoice.issued. */
static bp_consume_result queue_invoice(ml_events *ev, bp_db *db, const json_t *event,
                                       ml_invoice *inv)
{
    ml_render_opts opts = {.from = ev->svc->from, .date_ms = bp_time_now_ms()};
    /* The PDF is attached when it renders; a mail without it beats an invoice never
     * mailed (rendering fails only when memory or cairo does). */
    unsigned char *pdf = NULL;
    char pdf_why[160] = "";
    if (ml_render_pdf(inv, &pdf, &opts.pdf_len, pdf_why, sizeof pdf_why)) {
        opts.pdf = pdf;
    } else {
        bp_log_error("invoice %s: no PDF attached: %s", inv->invoice_ref, pdf_why);
        bp_metrics_counter_add("bp_mailer_pdf_failures_total",
                               "Invoice mails queued without their PDF (it did not render).", 1);
    }
    char *message = ml_render_message(inv, &opts);
    free(pdf);
    char *subject = ml_render_subject(inv);
    ml_event_result r = ML_EVENT_RETRY;
    if (message != NULL && subject != NULL)
        r = ml_service_queue(ev->svc, db, INBOX_CONSUMER,
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

static bp_consume_result on_message(void *ctx, bp_db *db, const rd_kafka_message_t *msg, char *why,
                                    size_t whysize)
{
    ml_events *ev = ctx;
    if (msg->payload == NULL || msg->len == 0) {
        snprintf(why, whysize, "empty message");
        return BP_CONSUME_POISON;
    }
    json_error_t jerr;
    json_t *event = json_loadb(msg->payload, msg->len, JSON_REJECT_DUPLICATES, &jerr);
    if (event == NULL) {
        snprintf(why, whysize, "not JSON: %s", jerr.text);
        return BP_CONSUME_POISON;
    }
    const json_t *type = json_object_get(event, "type");
    if (json_is_string(type) && strcmp(json_string_value(type), "invoice.issued") != 0) {
        json_decref(event); /* another type on the topic: not ours */
        return BP_CONSUME_SKIP;
    }
    const char *problem = bp_cloudevent_check(event);
    bp_consume_result res = BP_CONSUME_POISON;
    if (problem != NULL) {
        snprintf(why, whysize, "not a CloudEvent: %s", problem);
    } else {
        ml_invoice inv;
        if (ml_invoice_parse(json_object_get(event, "data"), &inv, why, whysize)) {
            res = queue_invoice(ev, db, event, &inv);
            ml_invoice_free(&inv);
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
    if (ev == NULL) {
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    ev->svc = svc;
    ev->sender = sender;
    const char *topics[] = {topic, NULL};
    bp_consumer_config cc = {.brokers = brokers,
                             .group_id = group,
                             .topics = topics,
                             .offset_reset = "earliest",
                             .database_url = database_url,
                             .service = "invoice-mailer",
                             .dead_letter = {.group = svc->consumer,
                                             .inbox_consumer = INBOX_CONSUMER,
                                             .topic = svc->dead_letter_topic,
                                             .relay = svc->relay,
                                             .legacy_kafka_claims = true}};
    ev->consumer = bp_consumer_start(&cc, on_message, ev, err, errsize);
    if (ev->consumer == NULL) {
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
    free(ev);
}
