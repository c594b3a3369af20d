/* bp_kafka: librdkafka configuration shared by producers and consumers, and the
 * idempotent producer (enable.idempotence, acks=all). */
#ifndef BP_KAFKA_H
#define BP_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>

/* The largest message our producers send and our brokers accept (message.max.bytes). */
#define BP_KAFKA_MAX_MESSAGE 16777216
#define BP_KAFKA_MAX_MESSAGE_TEXT "16777216"

/* An idempotent producer for `brokers` whose delivery reports go to `dr_cb`
 * (called from rd_kafka_poll on the polling thread). Returns NULL and writes a
 * message into err on failure. Destroy with rd_kafka_flush + rd_kafka_destroy. */
rd_kafka_t *bp_kafka_producer_new(const char *brokers, const char *client_id,
                                  void (*dr_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
                                  char *err, size_t errsize);

/* Routes librdkafka's logs and errors through bp_log for a configuration. */
void bp_kafka_conf_logging(rd_kafka_conf_t *conf);

/* True when the cluster answers a metadata request within timeout_ms. */
bool bp_kafka_reachable(rd_kafka_t *rk, int timeout_ms);

#endif
