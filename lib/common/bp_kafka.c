/* bp_kafka: producer construction and broker reachability. librdkafka logs go
 * through bp_log; a fatal idempotence error is logged loudly (the relay then
 * rebuilds its producer). */
#include "bp_kafka.h"

#include "bp_log.h"

#include <stdio.h>

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    bp_log(level <= 3   ? BP_LOG_ERROR
           : level <= 5 ? BP_LOG_WARN
                        : BP_LOG_DEBUG,
           "kafka %s: %s", fac, buf);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    bp_log_level lvl = err == RD_KAFKA_RESP_ERR__FATAL ? BP_LOG_ERROR : BP_LOG_WARN;
    bp_log(lvl, "kafka error %s: %s", rd_kafka_err2name(err), reason);
}

void bp_kafka_conf_logging(rd_kafka_conf_t *conf)
{
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_error_cb(conf, on_error);
}

static bool conf_set(rd_kafka_conf_t *conf, const char *k, const char *v, char *err, size_t errsize)
{
    return rd_kafka_conf_set(conf, k, v, err, errsize) == RD_KAFKA_CONF_OK;
}

rd_kafka_t *bp_kafka_producer_new(const char *brokers, const char *client_id,
                                  void (*dr_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
                                  char *err, size_t errsize)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!conf_set(conf, "bootstrap.servers", brokers, err, errsize) ||
        !conf_set(conf, "client.id", client_id, err, errsize) ||
        !conf_set(conf, "enable.idempotence", "true", err, errsize) ||
        !conf_set(conf, "acks", "all", err, errsize) ||
        !conf_set(conf, "linger.ms", "2", err, errsize) ||
        /* Our JSON compresses several times over: less for the broker to store and copy. */
        !conf_set(conf, "compression.type", "lz4", err, errsize) ||
        /* A large account's invoice.issued: as large as the brokers accept (ours: 16 MiB). */
        !conf_set(conf, "message.max.bytes", BP_KAFKA_MAX_MESSAGE_TEXT, err, errsize) ||
        !conf_set(conf, "message.timeout.ms", "30000", err, errsize) ||
        !conf_set(conf, "socket.keepalive.enable", "true", err, errsize) ||
        !conf_set(conf, "reconnect.backoff.max.ms", "2000", err, errsize)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    bp_kafka_conf_logging(conf);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errsize);
    if (rk == NULL)
        rd_kafka_conf_destroy(conf);
    return rk;
}

bool bp_kafka_reachable(rd_kafka_t *rk, int timeout_ms)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, NULL, &md, timeout_ms);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return false;
    bool ok = md->broker_cnt > 0;
    rd_kafka_metadata_destroy(md);
    return ok;
}
