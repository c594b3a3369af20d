/* bp_dead_letter: the document a consumer parks on the dead-letter topic for a
 * message it can never handle. Pure: builds JSON, sends nothing. */
#ifndef BP_DEAD_LETTER_H
#define BP_DEAD_LETTER_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>

/* At most this many bytes of the original value are kept: a dead letter must
 * fit one Kafka message whatever it parks (an invoice.issued can be 15 MiB). */
#define BP_DEAD_LETTER_MAX_VALUE 65536

/* {"consumer", "topic", "partition", "offset", "key", "reason", "value",
 * "valueBytes", "valueTruncated"}: key and value as text (bytes that are not
 * UTF-8 become '?', null when absent), the value cut at a character boundary
 * after BP_DEAD_LETTER_MAX_VALUE bytes, valueBytes its full length. NULL when
 * out of memory. */
json_t *bp_dead_letter_doc(const char *consumer, const rd_kafka_message_t *msg,
                           const char *reason);

#endif
