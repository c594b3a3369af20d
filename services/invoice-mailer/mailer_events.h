/* mailer_events: the invoice-mailer's Kafka input — the `invoice` topic
 * consumer. `invoice.issued` is rendered and queued (mailer_service), other
 * types are skipped, messages that can never be handled go to the dead-letter
 * topic. It never talks SMTP: it wakes the senders. Runs on the consumer
 * thread with its own connection. */
#ifndef MAILER_EVENTS_H
#define MAILER_EVENTS_H

#include "bp_consumer.h"

#include "mailer_sender.h"
#include "mailer_service.h"

#include <librdkafka/rdkafka.h>

typedef struct ml_events ml_events;

/* Starts consuming `topic` in consumer group `group`. `svc` and `sender` are
 * borrowed and must outlive the consumer. NULL on failure (err). */
ml_events *ml_events_start(const char *brokers, const char *group, const char *topic,
                           const char *database_url, const ml_service *svc, ml_sender *sender,
                           char *err, size_t errsize);

/* Stops the consumer (commits stored offsets) and frees it. NULL ignored. */
/* The underlying consumer (for readiness); NULL when ev is NULL. */
bp_consumer *ml_events_consumer(ml_events *ev);

void ml_events_stop(ml_events *ev);

#endif
