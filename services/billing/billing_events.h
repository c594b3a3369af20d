/* billing_events: billing's Kafka input — `contract` events into the read
 * model, and from the `invoice` and `payment` topics the mailer's and payment's
 * answers (invoice.sent, payment.succeeded/failed). Other types (billing's own
 * invoice.issued, payment.requested) are skipped. Runs on the consumer thread
 * with its own connection. */
#ifndef BILLING_EVENTS_H
#define BILLING_EVENTS_H

#include "bp_consumer.h"

typedef struct bl_events bl_events;

/* Starts consuming `topic` in consumer group `group`. NULL on failure (err). */
bl_events *bl_events_start(const char *brokers, const char *group, const char *const *topics,
                           const char *database_url, char *err, size_t errsize);

/* The underlying consumer (for readiness). */
bp_consumer *bl_events_consumer(bl_events *ev);

/* Stops the consumer (commits stored offsets) and frees it. NULL ignored. */
void bl_events_stop(bl_events *ev);

#endif
