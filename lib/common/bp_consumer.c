/* bp_consumer: consumer-group membership, the poll loop and the dead-letter path.
 * One thread per consumer polls and runs the handler on the consumer's connection;
 * offsets are stored only after the handler said OK or SKIP (or its poison message
 * was parked) and committed by librdkafka's auto-commit of stored offsets (and once
 * more at close). Every few seconds the same thread publishes the group's lag. */
#include "bp_consumer.h"

#include "bp_cloudevent.h"
#include "bp_kafka.h"
#include "bp_log.h"
#include "bp_metrics.h"
#include "bp_time.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct bp_consumer {
    rd_kafka_t *rk;
    atomic_bool joined;
    bp_consumer_fn fn;
    void *ctx;
    bp_db *db;
    const char *service;
    const char *group;
    int64_t next_lag_us; /* monotonic: when the lag is published next */
    bp_dead_letter_dest dead_letter;
    pthread_t thread;
    atomic_bool stop;
};

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    bp_consumer *c = opaque;
    if (c != NULL)
        atomic_store(&c->joined, true);
    bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        bp_log_info("consumer: %d partition(s) assigned", parts->cnt);
        if (cooperative)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
    } else {
        bp_log_info("consumer: %d partition(s) revoked", parts->cnt);
        rd_kafka_commit(rk, NULL, 0);
        if (cooperative)
            rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
        else
            rd_kafka_assign(rk, NULL);
    }
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#define DEAD_LETTERS "bp_dead_letters_total"
#define DEAD_LETTERS_HELP "Messages that can never be handled, parked on the dead-letter topic."

/* Parks a poison message; logged and counted once, on the redelivery that parks it. */
static bp_consume_result park(bp_consumer *c, const rd_kafka_message_t *msg, const char *why)
{
    switch (bp_dead_letter_park(c->db, &c->dead_letter, msg, why)) {
    case BP_DEAD_LETTER_PARKED:
        bp_log_fields(BP_LOG_ERROR,
                      json_pack("{s:s, s:i, s:I, s:s}", "topic", rd_kafka_topic_name(msg->rkt),
                                "partition", (int)msg->partition, "offset", (json_int_t)msg->offset,
                                "reason", why),
                      "message cannot be handled: sent to %s", c->dead_letter.topic);
        bp_metrics_counter_add_label(DEAD_LETTERS, "service", c->service, DEAD_LETTERS_HELP, 1);
        return BP_CONSUME_SKIP;
    case BP_DEAD_LETTER_DUPLICATE:
        return BP_CONSUME_SKIP;
    case BP_DEAD_LETTER_FAILED:
        break;
    }
    return BP_CONSUME_RETRY;
}

static bp_consume_result handle(bp_consumer *c, const rd_kafka_message_t *msg)
{
    char why[1024] = "";
    bp_consume_result r = c->fn(c->ctx, c->db, msg, why, sizeof why);
    return r == BP_CONSUME_POISON ? park(c, msg, why[0] ? why : "can never be handled") : r;
}

#define LAG_EVERY_US (5 * INT64_C(1000000))

/* Publishes bp_consumer_lag_messages{group}: over the partitions assigned to this
 * member, the high watermark (as of the last fetch) less the position (the next
 * offset to handle). A partition with neither known yet (just assigned, nothing
 * fetched) counts 0 until its first fetch. No broker round trip: both come from
 * librdkafka's cache. Each member reports its own partitions; summed over the
 * instances, the group's lag. */
static void report_lag(bp_consumer *c)
{
    int64_t now = bp_time_mono_us();
    if (now < c->next_lag_us)
        return;
    c->next_lag_us = now + LAG_EVERY_US;
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(c->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    int64_t lag = 0;
    if (rd_kafka_position(c->rk, parts) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < parts->cnt; i++) {
            const rd_kafka_topic_partition_t *p = &parts->elems[i];
            int64_t low = -1, high = -1;
            if (rd_kafka_get_watermark_offsets(c->rk, p->topic, p->partition, &low, &high) !=
                    RD_KAFKA_RESP_ERR_NO_ERROR ||
                high < 0)
                continue;
            int64_t pos = p->offset >= 0 ? p->offset : -1;
            if (pos >= 0 && high > pos)
                lag += high - pos;
        }
    }
    rd_kafka_topic_partition_list_destroy(parts);
    bp_metrics_gauge_set_label("bp_consumer_lag_messages", "group", c->group,
                               "Messages not yet handled on the partitions this member holds.",
                               (double)lag);
}

static void *consumer_main(void *arg)
{
    bp_consumer *c = arg;
    int backoff = 100;
    while (!atomic_load(&c->stop)) {
        report_lag(c);
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(c->rk, 200);
        if (msg == NULL)
            continue;
        if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                bp_log_warn("consumer: %s", rd_kafka_message_errstr(msg));
            rd_kafka_message_destroy(msg);
            continue;
        }
        bp_consume_result r = handle(c, msg);
        if (r == BP_CONSUME_RETRY) {
            rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_new(1);
            rd_kafka_topic_partition_list_add(pos, rd_kafka_topic_name(msg->rkt), msg->partition)
                ->offset = msg->offset;
            /* Rewind to the message; nothing else of the partition may be handled
             * before that succeeds, or the message would be skipped. */
            for (;;) {
                pos->elems[0].err = RD_KAFKA_RESP_ERR_NO_ERROR;
                rd_kafka_error_t *e = rd_kafka_seek_partitions(c->rk, pos, 1000);
                bool ok = e == NULL && pos->elems[0].err == RD_KAFKA_RESP_ERR_NO_ERROR;
                if (e != NULL)
                    rd_kafka_error_destroy(e);
                if (ok || atomic_load(&c->stop))
                    break;
                bp_log_warn("consumer: rewinding %s[%d] failed; trying again",
                            rd_kafka_topic_name(msg->rkt), (int)msg->partition);
                sleep_ms(500);
            }
            rd_kafka_topic_partition_list_destroy(pos);
            sleep_ms(backoff);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
        } else {
            backoff = 100;
            rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_new(1);
            rd_kafka_topic_partition_list_add(pos, rd_kafka_topic_name(msg->rkt), msg->partition)
                ->offset = msg->offset + 1;
            rd_kafka_offsets_store(c->rk, pos);
            rd_kafka_topic_partition_list_destroy(pos);
        }
        rd_kafka_message_destroy(msg);
    }
    return NULL;
}

bp_consumer *bp_consumer_start(const bp_consumer_config *cfg, bp_consumer_fn fn, void *ctx,
                               char *err, size_t errsize)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *kv[][2] = {
        {"bootstrap.servers", cfg->brokers},
        {"group.id", cfg->group_id},
        {"enable.auto.commit", "true"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", cfg->offset_reset ? cfg->offset_reset : "earliest"},
        {"partition.assignment.strategy", "cooperative-sticky"},
        /* A member that died (SIGKILL) blocks its partitions until this expires:
         * keep it short so a restarted instance resumes within seconds. */
        {"session.timeout.ms", "6000"},
        {"heartbeat.interval.ms", "1000"},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], err, errsize) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    bp_consumer *c = calloc(1, sizeof *c);
    if (c == NULL || (c->db = bp_db_new(cfg->database_url)) == NULL) {
        free(c);
        rd_kafka_conf_destroy(conf);
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    c->service = cfg->service;
    c->group = cfg->group_id;
    /* At zero from the start: the first parked message then shows in rate(). */
    bp_metrics_counter_add_label(DEAD_LETTERS, "service", c->service, DEAD_LETTERS_HELP, 0);
    c->dead_letter = cfg->dead_letter;
    atomic_init(&c->joined, false);
    rd_kafka_conf_set_opaque(conf, c);
    bp_kafka_conf_logging(conf);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, errsize);
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        bp_db_free(c->db);
        free(c);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(4);
    for (size_t i = 0; cfg->topics[i] != NULL; i++)
        rd_kafka_topic_partition_list_add(topics, cfg->topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, errsize, "subscribe failed: %s", rd_kafka_err2str(e));
        rd_kafka_destroy(rk);
        bp_db_free(c->db);
        free(c);
        return NULL;
    }
    c->rk = rk;
    c->fn = fn;
    c->ctx = ctx;
    atomic_init(&c->stop, false);
    if (pthread_create(&c->thread, NULL, consumer_main, c) != 0) {
        snprintf(err, errsize, "cannot start the consumer thread");
        rd_kafka_destroy(rk);
        bp_db_free(c->db);
        free(c);
        return NULL;
    }
    return c;
}

bool bp_consumer_joined(bp_consumer *c) { return atomic_load(&c->joined); }

bool bp_consumer_kafka_up(bp_consumer *c, int timeout_ms)
{
    return bp_kafka_reachable(c->rk, timeout_ms);
}

void bp_consumer_stop(bp_consumer *c)
{
    if (c == NULL)
        return;
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    rd_kafka_consumer_close(c->rk);
    rd_kafka_destroy(c->rk);
    bp_db_free(c->db);
    free(c);
}

const char *bp_consumer_event_type(const rd_kafka_message_t *msg, char *buf, size_t size)
{
    rd_kafka_headers_t *hdrs = NULL;
    const void *value = NULL;
    size_t len = 0;
    if (rd_kafka_message_headers(msg, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_header_get_last(hdrs, BP_CLOUDEVENT_TYPE_HEADER, &value, &len) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        value == NULL || len == 0 || len >= size)
        return NULL;
    memcpy(buf, value, len);
    buf[len] = '\0';
    return buf;
}
