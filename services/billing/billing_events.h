/* billing_events: billing's Kafka input — `contract` events into the read
 * model, and from the `invoice` and `payment` topics the mailer's and payment's
 * answers (invoice.sent, payment.succeeded/failed). Other types (billing's own
 * invoice.issued, payment.requested) are skipped; a message that can never be
 * applied goes to the dead-letter topic. Runs on the consumer thread with its
 * own connection. */
#ifndef BILLING_EVENTS_H
#define BILLING_EVENTS_H

#include "billing_dunning.h"
#include "bp_consumer.h"
#include "bp_outbox.h"

typedef struct bl_events bl_events;

typedef struct {
    const char *brokers, *group;
    const char *const *topics; /* NULL-terminated */
    const char *database_url;
    const char *dead_letter_topic; /* where messages that can never be handled go */
    bp_outbox_relay *relay;        /* woken after a dead letter is committed */
    bl_dunning dunning;            /* the overdue state's settings (billing_dunning) */
} bl_events_config;

/* Starts consuming cfg->topics in consumer group cfg->group (the strings and
 * the relay are borrowed and must outlive the consumer). NULL on failure (err). */
bl_events *bl_events_start(const bl_events_config *cfg, char *err, size_t errsize);

/* The underlying consumer (for readiness). */
bp_consumer *bl_events_consumer(bl_events *ev);

/* Stops the consumer (commits stored offsets) and frees it. NULL ignored. */
void bl_events_stop(bl_events *ev);

#endif
