/* bp_dead_letter: what a consumer does with a message it can never handle —
 * the document it parks on the dead-letter topic (pure), and parking it once
 * through the outbox. */
#ifndef BP_DEAD_LETTER_H
#define BP_DEAD_LETTER_H

#include "bp_outbox.h"

#include <jansson.h>
#include <stdbool.h>
#include <librdkafka/rdkafka.h>

/* At most this many bytes of the original value are kept: a dead letter must
 * fit one Kafka message whatever it parks (an invoice.issued can be 15 MiB). */
#define BP_DEAD_LETTER_MAX_VALUE 65536
/* The key and the reason are cut after this many bytes (same rule). */
#define BP_DEAD_LETTER_MAX_TEXT 1024

/* {"consumer", "topic", "partition", "offset", "key", "reason", "value",
 * "valueBytes", "valueTruncated"}: key, reason and value as text (bytes that
 * are not UTF-8 become '?', key and value null when absent), the value cut at
 * a character boundary after BP_DEAD_LETTER_MAX_VALUE bytes (valueBytes: its
 * full length), key and reason after BP_DEAD_LETTER_MAX_TEXT. NULL when out of
 * memory. */
json_t *bp_dead_letter_doc(const char *consumer, const rd_kafka_message_t *msg, const char *reason);

/* The message's key as the dead letter's Kafka key: text as in the document
 * ("" when none), cut like it. Writes at most size - 1 bytes. */
void bp_dead_letter_key(const rd_kafka_message_t *msg, char *out, size_t size);

typedef enum {
    BP_DEAD_LETTER_PARKED,    /* committed; the relay will publish it */
    BP_DEAD_LETTER_DUPLICATE, /* this message was parked before: nothing written */
    BP_DEAD_LETTER_FAILED     /* database trouble, rolled back: retry the message */
} bp_dead_letter_result;

/* Where a consumer parks what it can never handle. */
typedef struct {
    const char *group;          /* the consumer group the letter names ("consumer") */
    const char *inbox_consumer; /* inbox name under which each parked message is claimed */
    const char *topic;          /* the dead-letter topic */
    bp_outbox_relay *relay;     /* woken after COMMIT */
    /* Also honour the claims the invoice-mailer wrote before the claim id was one
     * format ("kafka:TOPIC/PARTITION/OFFSET"), so no message parks twice after an
     * upgrade. */
    bool legacy_kafka_claims;
} bp_dead_letter_dest;

/* The inbox id under which a message is parked: "dead-letter:TOPIC:PARTITION:OFFSET",
 * its coordinates (written at most size - 1 bytes). */
void bp_dead_letter_claim_id(const rd_kafka_message_t *msg, char *out, size_t size);

/* Parks message `msg` with `reason` (its bp_dead_letter_doc, under
 * bp_dead_letter_key) on to->topic through the outbox, in one transaction with
 * the inbox claim (to->inbox_consumer, bp_dead_letter_claim_id) so a redelivered
 * message is parked once. On BP_DEAD_LETTER_FAILED the transaction is rolled back
 * and the cause logged. */
bp_dead_letter_result bp_dead_letter_park(bp_db *db, const bp_dead_letter_dest *to,
                                          const rd_kafka_message_t *msg, const char *reason);

#endif
