/* bp_outbox: the transactional outbox. A service calls bp_outbox_add inside
 * the transaction that changes its state; the relay thread publishes committed
 * rows in id order with the idempotent producer and marks a row published only
 * after Kafka acknowledged it (acks=all). Delivery is at least once; consumers
 * de-duplicate on the CloudEvents id.
 *
 * One relay per database publishes at a time (a session advisory lock); other
 * instances wait as hot standbys. The relay wakes when its own process committed
 * outbox rows (bp_outbox_relay_wake), on NOTIFY bp_outbox (sent, coalesced, by
 * standby instances whose process committed rows), and by polling as a fallback. */
#ifndef BP_OUTBOX_H
#define BP_OUTBOX_H

#include "bp_db.h"

#include <jansson.h>
#include <stdbool.h>

/* The outbox table belongs to this module: only it spells the table's columns. A
 * statement that writes its outbox row in the same round trip as other changes (a
 * data-modifying CTE, billing's one-statement purchase) uses this fragment, followed
 * by the five values (event id, topic, key, bp_outbox_payload text, event type). */
#define BP_OUTBOX_INSERT "INSERT INTO outbox (event_id, topic, msg_key, payload, event_type)"

/* The text stored (and published) for `event`: compact JSON, members in order.
 * Caller frees; NULL when out of memory. */
char *bp_outbox_payload(const json_t *event);

/* Queues `event` (a CloudEvents envelope with string "id") for `topic` under
 * message key `key`, in the caller's open transaction. */
bp_db_result bp_outbox_add(bp_db *db, const char *topic, const char *key, const json_t *event)
    __attribute__((warn_unused_result));

typedef struct {
    const char *topic, *key;
    const json_t *event;
    const char *data_text; /* when set: the event's data as JSON text (event has no "data") */
} bp_outbox_item;

/* bp_outbox_add for n events at once: one statement per 1,000, in order. */
bp_db_result bp_outbox_add_many(bp_db *db, const bp_outbox_item *items, size_t n)
    __attribute__((warn_unused_result));

/* Queues `payload`, JSON text that is not a CloudEvent (a dead letter), for
 * `topic` under message key `key`, in the caller's open transaction; the row
 * gets a fresh id and no event type. */
bp_db_result bp_outbox_add_raw(bp_db *db, const char *topic, const char *key, const char *payload)
    __attribute__((warn_unused_result));

typedef struct bp_outbox_relay bp_outbox_relay;

typedef struct {
    const char *database_url;
    const char *brokers;
    const char *client_id;
    int poll_ms;    /* fallback polling interval when no NOTIFY arrives */
    int batch_size; /* rows per round */
} bp_outbox_config;

/* Starts the relay thread. Returns NULL and writes a message into err on failure. */
bp_outbox_relay *bp_outbox_relay_start(const bp_outbox_config *cfg, char *err, size_t errsize);

/* Tells the relay that outbox rows were committed. Call after COMMIT; cheap,
 * thread-safe, never blocks. NULL is ignored. */
void bp_outbox_relay_wake(bp_outbox_relay *relay);

/* True when the relay's producer can reach the Kafka cluster (asks it, bounded
 * by timeout_ms). Safe from any thread. */
bool bp_outbox_relay_kafka_up(bp_outbox_relay *relay, int timeout_ms);

/* Stops the thread after its current round, flushes the producer (bounded by
 * flush_ms) and frees everything. NULL is ignored. */
void bp_outbox_relay_stop(bp_outbox_relay *relay, int flush_ms);

#endif
