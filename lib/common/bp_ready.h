/* bp_ready: the readiness check every daemon answers on GET /ready — its own
 * database and the Kafka cluster reachable. */
#ifndef BP_READY_H
#define BP_READY_H

#include "bp_consumer.h"
#include "bp_db.h"
#include "bp_outbox.h"

#include <jansson.h>
#include <stdbool.h>

/* Fills checks {"database": "UP" | "DOWN: why", "kafka": "UP" | "DOWN: …"} using this
 * thread's connection of `pool` and the relay's producer, and, when `consumer` is
 * not NULL, {"consumer": "UP" | "DOWN: …"} (joined its group). True when all are up. */
bool bp_ready_check(bp_db_pool *pool, bp_outbox_relay *relay, bp_consumer *consumer,
                    json_t *checks);

#endif
