/* bp_consumer: a Kafka consumer thread with manual offset storage, its own
 * database connection, and the one dead-letter path of every daemon.
 *
 * The handler runs its database transaction on the consumer's connection (recording
 * the event id in the inbox in it, bp_inbox.h) and returns BP_CONSUME_OK only after
 * COMMIT; only then is the message's offset stored for the next commit.
 * BP_CONSUME_RETRY rewinds to the message and retries after a backoff (database
 * down); BP_CONSUME_SKIP stores the offset of a message that is not the handler's
 * (another type). BP_CONSUME_POISON, for a message that can never be handled, with
 * the reason in `why`: the consumer parks it on the dead-letter topic once (claimed
 * under its coordinates, bp_dead_letter_park), logs it once and counts it once in
 * bp_dead_letters_total{service}, then stores its offset; if the database cannot
 * take it, the message is retried. */
#ifndef BP_CONSUMER_H
#define BP_CONSUMER_H

#include "bp_db.h"
#include "bp_dead_letter.h"
#include "bp_inbox.h"

#include <librdkafka/rdkafka.h>
#include <stdbool.h>

typedef enum {
    BP_CONSUME_OK = 0,
    BP_CONSUME_RETRY,
    BP_CONSUME_SKIP,
    BP_CONSUME_POISON
} bp_consume_result;

/* Handles one message on the consumer's connection `db`. On BP_CONSUME_POISON it
 * has written why into why[0..whysize). */
typedef bp_consume_result (*bp_consumer_fn)(void *ctx, bp_db *db, const rd_kafka_message_t *msg,
                                            char *why, size_t whysize);

typedef struct {
    const char *brokers;
    const char *group_id;
    const char *const *topics;       /* NULL-terminated */
    const char *offset_reset;        /* "earliest" or "latest" */
    const char *database_url;        /* the consumer's own connection */
    const char *service;             /* "billing": the label of its dead-letter metric */
    bp_dead_letter_dest dead_letter; /* where poison messages are parked */
} bp_consumer_config;

typedef struct bp_consumer bp_consumer;

/* Opens the connection, subscribes and starts the polling thread. Returns NULL and
 * writes a message into err on failure. `cfg`'s strings and relay must outlive the
 * consumer. */
bp_consumer *bp_consumer_start(const bp_consumer_config *cfg, bp_consumer_fn fn, void *ctx,
                               char *err, size_t errsize);

/* Stops polling, commits stored offsets, leaves the group, closes the connection,
 * frees. NULL ignored. */
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
