/* bp_ready: database and Kafka probes for GET /ready (HTTP worker threads). */
#include "bp_ready.h"

bool bp_ready_check(bp_db_pool *pool, bp_outbox_relay *relay, bp_consumer *consumer, json_t *checks)
{
    bp_db *db = bp_db_pool_get(pool);
    bool db_ok = db != NULL && bp_db_exec(db, NULL, "SELECT 1", 0, NULL) == BP_DB_OK;
    bool kafka_ok = bp_outbox_relay_kafka_up(relay, 1000);
    json_object_set_new(checks, "database",
                        db_ok ? json_string("UP")
                              : json_sprintf("DOWN: %s", db ? bp_db_error(db) : "out of memory"));
    json_object_set_new(checks, "kafka", json_string(kafka_ok ? "UP" : "DOWN: broker unreachable"));
    bool consumer_ok = consumer == NULL || bp_consumer_joined(consumer);
    if (consumer != NULL)
        json_object_set_new(
            checks, "consumer",
            json_string(consumer_ok ? "UP" : "DOWN: not in its consumer group yet"));
    return db_ok && kafka_ok && consumer_ok;
}
