/* bp_consumer: a Kafka consumer thread with manual offset storage, and the
 * inbox that makes handlers idempotent.
 *
 * The handler runs its database transaction (recording the event id with
 * bp_inbox_claim in it) and returns BP_CONSUME_OK only after COMMIT; only then is
 * the message's offset stored for the next commit. BP_CONSUME_RETRY rewinds to
 * the message and retries after a backoff (database down); BP_CONSUME_SKIP stores
 * the offset of a message that can never be handled (logged by the handler). */
#ifndef BP_CONSUMER_H
#define BP_CONSUMER_H

#include "bp_db.h"
#include "bp_inbox.h"

#include <librdkafka/rdkafka.h>
#include <stdbool.h>

typedef enum { BP_CONSUME_OK = 0, BP_CONSUME_RETRY, BP_CONSUME_SKIP } bp_consume_result;

typedef bp_consume_result (*bp_consumer_fn)(void *ctx, const rd_kafka_message_t *msg);

typedef struct {
    const char *brokers;
    const char *group_id;
    const char *const *topics; /* NULL-terminated */
    const char *offset_reset;  /* "earliest" or "latest" */
} bp_consumer_config;

typedef struct bp_consumer bp_consumer;

/* Subscribes and starts the polling thread. Returns NULL and writes a message
 * into err on failure. */
bp_consumer *bp_consumer_start(const bp_consumer_config *cfg, bp_consumer_fn fn, void *ctx,
                               char *err, size_t errsize);

/* Stops polling, commits stored offsets, leaves the group, frees. NULL ignored. */
void bp_consumer_stop(bp_consumer *c);

/* The CloudEvents type from the message's ce_type header, copied into buf;
 * NULL when the message has none (a producer other than our outbox): then the
 * payload's "type" is the only answer. */
const char *bp_consumer_event_type(const rd_kafka_message_t *msg, char *buf, size_t size);

/* True once the consumer joined its group (a first rebalance happened): before
 * that it consumes nothing, so a daemon is not ready. */
bool bp_consumer_joined(bp_consumer *c);

/* True when the group coordinator's cluster answers within timeout_ms. */
bool bp_consumer_kafka_up(bp_consumer *c, int timeout_ms);

#endif
