/* payment_events: payment's Kafka input — the `payment` topic consumer that
 * collects each `payment.requested`. Runs on the consumer thread with its own
 * database connection (and the bank, which only this thread uses). */
#ifndef PAYMENT_EVENTS_H
#define PAYMENT_EVENTS_H

#include "bp_consumer.h"
#include "payment_service.h"

typedef struct pm_events pm_events;

/* Starts consuming `topic` in consumer group `group` with `svc` (copied; its
 * bank and relay are borrowed and must outlive the consumer). NULL on failure
 * (err). */
pm_events *pm_events_start(const char *brokers, const char *group, const char *topic,
                           const char *database_url, const pm_service *svc, char *err,
                           size_t errsize);

/* Stops the consumer (the message in hand is finished first, bank delay
 * included; stored offsets are committed) and frees it. NULL ignored. */
/* The underlying consumer (for readiness); NULL when ev is NULL. */
bp_consumer *pm_events_consumer(pm_events *ev);

void pm_events_stop(pm_events *ev);

#endif
