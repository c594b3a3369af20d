/* bp_outbox: outbox rows and the relay thread that publishes them.
 *
 * DESIGN: each round reads up to batch_size unpublished rows in id order,
 * produces them all, then polls until every delivery report arrived (or the
 * producer's message timeout expired), and marks the acknowledged ids in one
 * UPDATE. Rows whose delivery failed stay unpublished and are produced again in
 * a later round. A crash between the ack and the UPDATE re-publishes those rows:
 * the duplicate carries the same event id and consumers drop it. */
#include "bp_outbox.h"

#include "bp_cloudevent.h"
#include "bp_idempotency.h"
#include "bp_lock_keys.h"
#include "bp_kafka.h"
#include "bp_log.h"
#include "bp_metrics.h"
#include "bp_random.h"
#include "bp_sql.h"
#include "bp_time.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct bp_outbox_relay {
    bp_outbox_config cfg;
    char *url, *brokers, *client_id;
    rd_kafka_t *rk;
    bp_db *db;
    pthread_t thread;
    atomic_bool stop;
    bool holds_lock;
    unsigned lock_session;  /* bp_db_session() when the lock was taken */
    int wake_fd;            /* eventfd: rows committed by this process */
    int64_t drain_deadline; /* at stop: monotonic µs until which a last round may wait */
    int64_t next_maintenance_us;
};

typedef struct {
    long long id;
    int state; /* 0 pending, 1 delivered, -1 failed */
} delivery;

/* Amounts are rendered from minor units: 15 significant digits print them exactly. */
#define PAYLOAD_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

char *bp_outbox_payload(const json_t *event) { return json_dumps(event, PAYLOAD_FLAGS); }

bp_db_result bp_outbox_add(bp_db *db, const char *topic, const char *key, const json_t *event)
{
    bp_outbox_item item = {topic, key, event, NULL};
    return bp_outbox_add_many(db, &item, 1);
}

#define MANY_ROWS 1000

bp_db_result bp_outbox_add_many(bp_db *db, const bp_outbox_item *items, size_t n)
{
    static const char *const casts[] = {"::uuid", "", "", "", ""};
    static const bp_db_stmt one = {"bp_outbox_add",
                                   BP_OUTBOX_INSERT " VALUES ($1::uuid, $2, $3, $4, $5)", 5};
    bp_db_result r = BP_DB_OK;
    for (size_t from = 0; r == BP_DB_OK && from < n; from += MANY_ROWS) {
        size_t rows = n - from < MANY_ROWS ? n - from : MANY_ROWS;
        const char **params = calloc(rows * 5, sizeof *params);
        char **payloads = calloc(rows, sizeof *payloads);
        char *sql = rows > 1 ? bp_sql_values(BP_OUTBOX_INSERT, casts, 5, (int)rows, "") : NULL;
        r = params && payloads && (rows == 1 || sql) ? BP_DB_OK : BP_DB_ERROR;
        for (size_t i = 0; r == BP_DB_OK && i < rows; i++) {
            const json_t *event = items[from + i].event;
            const char **p = params + 5 * i;
            const char *data_text = items[from + i].data_text;
            payloads[i] = data_text ? bp_cloudevent_dumps_with(event, data_text, PAYLOAD_FLAGS)
                                    : bp_outbox_payload(event);
            p[0] = json_string_value(json_object_get(event, "id"));
            p[1] = items[from + i].topic;
            p[2] = items[from + i].key;
            p[3] = payloads[i];
            p[4] = json_string_value(json_object_get(event, "type"));
            if (p[0] == NULL || p[3] == NULL)
                r = BP_DB_ERROR;
        }
        if (r == BP_DB_OK)
            r = rows == 1 ? bp_db_exec_stmt(db, NULL, &one, params)
                          : bp_db_exec(db, NULL, sql, (int)rows * 5, params);
        for (size_t i = 0; payloads && i < rows; i++)
            free(payloads[i]);
        free(payloads);
        free(params);
        free(sql);
    }
    return r;
}

bp_db_result bp_outbox_add_raw(bp_db *db, const char *topic, const char *key, const char *payload)
{
    static const bp_db_stmt stmt = {"bp_outbox_add_raw",
                                    BP_OUTBOX_INSERT " VALUES ($1::uuid, $2, $3, $4, NULL)", 4};
    char id[37];
    bp_uuid_v4(id);
    const char *params[] = {id, topic, key, payload};
    return bp_db_exec_stmt(db, NULL, &stmt, params);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    delivery *d = msg->_private;
    if (d == NULL)
        return;
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        d->state = 1;
    } else {
        d->state = -1;
        bp_log_warn("outbox: delivery of row %lld failed: %s", d->id, rd_kafka_err2str(msg->err));
    }
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Takes the relay lock and LISTENs. Returns false when another relay holds it
 * or the database is down. */
static bool relay_prepare(bp_outbox_relay *r)
{
    PGconn *conn = bp_db_conn(r->db);
    if (r->holds_lock && conn != NULL && PQstatus(conn) == CONNECTION_OK &&
        bp_db_session(r->db) == r->lock_session)
        return true; /* same session: the lock and LISTEN still hold */
    r->holds_lock = false;
    PGresult *res = NULL;
    if (bp_db_exec(r->db, &res, "SELECT pg_try_advisory_lock(" BP_LOCK_OUTBOX_RELAY ")", 0, NULL) !=
        BP_DB_OK)
        return false;
    bool got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!got)
        return false;
    unsigned session = bp_db_session(r->db);
    if (bp_db_exec(r->db, NULL, "LISTEN bp_outbox", 0, NULL) != BP_DB_OK ||
        bp_db_session(r->db) != session)
        return false;
    r->holds_lock = true;
    r->lock_session = session;
    bp_log_info("outbox relay active");
    return true;
}

void bp_outbox_relay_wake(bp_outbox_relay *relay)
{
    if (relay == NULL)
        return;
    uint64_t one = 1;
    ssize_t ignored = write(relay->wake_fd, &one, sizeof one);
    (void)ignored;
}

/* Waits for a local wake, a NOTIFY (when `listening`) or the polling interval.
 * Returns true when this process committed rows since the last wait. */
static bool relay_wait(bp_outbox_relay *r, bool listening)
{
    PGconn *conn = listening ? bp_db_conn(r->db) : NULL;
    int waited = 0;
    if (conn != NULL) { /* notifications that arrived during the last round's queries */
        PQconsumeInput(conn);
        bool queued = false;
        PGnotify *note;
        while ((note = PQnotifies(conn)) != NULL) {
            queued = true;
            PQfreemem(note);
        }
        if (queued)
            return false;
    }
    while (waited < r->cfg.poll_ms && !atomic_load(&r->stop)) {
        struct pollfd pfd[2] = {{.fd = r->wake_fd, .events = POLLIN},
                                {.fd = conn ? PQsocket(conn) : -1, .events = POLLIN}};
        int step = r->cfg.poll_ms - waited < 200 ? r->cfg.poll_ms - waited : 200;
        int n = poll(pfd, 2, step);
        waited += step;
        if (n <= 0)
            continue;
        bool woken = false;
        if (pfd[0].revents & POLLIN) {
            uint64_t count;
            woken = read(r->wake_fd, &count, sizeof count) == sizeof count;
        }
        if (conn != NULL && (pfd[1].revents & POLLIN)) {
            PQconsumeInput(conn);
            PGnotify *note;
            while ((note = PQnotifies(conn)) != NULL) {
                woken = true;
                PQfreemem(note);
            }
        }
        if (woken)
            return pfd[0].revents & POLLIN;
    }
    return false;
}

static bp_db_result relay_mark(bp_outbox_relay *r, const delivery *d, int n)
{
    char *ids = malloc((size_t)n * 21 + 3);
    if (ids == NULL)
        return BP_DB_ERROR;
    size_t used = 0;
    ids[used++] = '{';
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (d[i].state == 1)
            used += (size_t)sprintf(ids + used, "%s%lld", count++ ? "," : "", d[i].id);
    }
    ids[used++] = '}';
    ids[used] = '\0';
    bp_db_result res = BP_DB_OK;
    if (count > 0) {
        const char *params[] = {ids};
        res = bp_db_exec(r->db, NULL,
                         "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", 1,
                         params);
        if (res == BP_DB_OK)
            bp_metrics_counter_add("bp_outbox_published_total", "Outbox events published.", count);
    }
    free(ids);
    return res;
}

/* One round. Returns the number of rows read (0: nothing to do), -1 on error. */
/* Produces the rows of `res` in order, each with its delivery slot d[i]; stops at the
 * first refusal (the rest waits for the next round, to keep the order). Returns how
 * many were handed to the producer. */
static int relay_produce(bp_outbox_relay *r, PGresult *res, delivery *d, int n)
{
    int produced = 0;
    for (int i = 0; i < n; i++) {
        d[i].id = atoll(PQgetvalue(res, i, 0));
        const char *key = PQgetvalue(res, i, 2);
        /* Structured CloudEvents; the type also as a header, so that consumers
         * skip the types they do not handle without parsing the payload. */
        rd_kafka_headers_t *hdrs = rd_kafka_headers_new(2);
        rd_kafka_header_add(hdrs, "content-type", -1, BP_CLOUDEVENT_CONTENT_TYPE, -1);
        if (!PQgetisnull(res, i, 4))
            rd_kafka_header_add(hdrs, BP_CLOUDEVENT_TYPE_HEADER, -1, PQgetvalue(res, i, 4), -1);
        rd_kafka_resp_err_t e = rd_kafka_producev(
            r->rk, RD_KAFKA_V_TOPIC(PQgetvalue(res, i, 1)), RD_KAFKA_V_KEY(key, strlen(key)),
            RD_KAFKA_V_VALUE(PQgetvalue(res, i, 3), (size_t)PQgetlength(res, i, 3)),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE(&d[i]), RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_headers_destroy(hdrs); /* owned by the message only once produced */
            bp_log_warn("outbox: produce failed: %s", rd_kafka_err2str(e));
            d[i].state = -1;
            break;
        }
        produced++;
    }
    return produced;
}

/* Waits for the report of each of the `produced` messages; message.timeout.ms bounds
 * this, and a stop request past the drain deadline purges what is queued (reports then
 * arrive at once). Returns how many, from the first, were acknowledged in a row: rows
 * after the first failure are published again later, with it, even if Kafka
 * acknowledged them (consumers drop the duplicates), so their slots are cleared. */
static int relay_await(bp_outbox_relay *r, delivery *d, int produced)
{
    bool purged = false;
    for (;;) {
        int pending = 0;
        for (int i = 0; i < produced; i++)
            pending += d[i].state == 0;
        if (pending == 0)
            break;
        if (atomic_load(&r->stop) && !purged && bp_time_mono_us() >= r->drain_deadline) {
            rd_kafka_purge(r->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            purged = true;
        }
        rd_kafka_poll(r->rk, 100);
    }
    int ok = 0;
    while (ok < produced && d[ok].state == 1)
        ok++;
    for (int i = ok; i < produced; i++)
        d[i].state = 0;
    return ok;
}

/* Publishes bp_outbox_backlog_rows, the unpublished rows as the round began: the
 * rows it read when fewer than a batch, else a count over the partial index of
 * unpublished rows (a full batch means there may be more). Left as it was when
 * the count fails. */
static void relay_backlog(bp_outbox_relay *r, int read)
{
    int64_t backlog = read;
    if (read >= r->cfg.batch_size &&
        bp_db_count(r->db, "SELECT count(*) FROM outbox WHERE published_at IS NULL", 0, NULL,
                    &backlog) != BP_DB_OK)
        return;
    bp_metrics_gauge_set("bp_outbox_backlog_rows",
                         "Outbox rows not yet published when the last relay round began.",
                         (double)backlog);
}

/* One round: read up to a batch of unpublished rows in id order, produce them, wait
 * for every report, mark the acknowledged prefix. Returns the rows published, 0 when
 * there were none, -1 when something failed (read, produce or delivery). */
static int relay_round(bp_outbox_relay *r)
{
    char limit[16];
    snprintf(limit, sizeof limit, "%d", r->cfg.batch_size);
    const char *params[] = {limit};
    PGresult *res = NULL;
    if (bp_db_exec(r->db, &res,
                   "SELECT id, topic, msg_key, payload, event_type FROM outbox"
                   " WHERE published_at IS NULL"
                   " ORDER BY id LIMIT $1::int",
                   1, params) != BP_DB_OK) {
        bp_log_warn("outbox: read failed: %s", bp_db_error(r->db));
        bp_metrics_gauge_set("bp_database_up", "1 when the relay reached the database.", 0);
        return -1;
    }
    int n = PQntuples(res);
    bp_metrics_gauge_set("bp_outbox_batch_rows", "Rows read by the last relay round.", n);
    relay_backlog(r, n);
    bp_metrics_gauge_set("bp_database_up", "1 when the relay reached the database.", 1);
    delivery *d = n > 0 ? calloc((size_t)n, sizeof *d) : NULL;
    if (d == NULL) {
        PQclear(res);
        return n == 0 ? 0 : -1;
    }
    int produced = relay_produce(r, res, d, n);
    PQclear(res);
    int ok = relay_await(r, d, produced);
    bp_metrics_gauge_set("bp_kafka_up", "1 when the last relay round was acknowledged by Kafka.",
                         ok == n);
    if (relay_mark(r, d, produced) != BP_DB_OK)
        bp_log_warn("outbox: marking published rows failed: %s", bp_db_error(r->db));
    free(d);
    return ok < n ? -1 : n;
}

/* Replaces a producer that hit a fatal (idempotence) error: rows it did not
 * publish are still in the outbox and go out through the new one. */
static void relay_check_fatal(bp_outbox_relay *r)
{
    char reason[256];
    rd_kafka_resp_err_t e = rd_kafka_fatal_error(r->rk, reason, sizeof reason);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    bp_log_error("outbox: fatal producer error %s: %s; recreating the producer",
                 rd_kafka_err2name(e), reason);
    char err[256];
    rd_kafka_t *fresh =
        bp_kafka_producer_new(r->cfg.brokers, r->cfg.client_id, on_delivery, err, sizeof err);
    if (fresh == NULL) {
        bp_log_error("outbox: cannot recreate the producer: %s", err);
        return;
    }
    rd_kafka_purge(r->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(r->rk, 0);
    rd_kafka_t *old = r->rk;
    r->rk = fresh;
    rd_kafka_destroy(old);
}

/* Every ten minutes: forget published events after 7 days, inbox records after
 * 30 days, Idempotency-Keys after 24 hours. */
static void relay_maintenance(bp_outbox_relay *r)
{
    int64_t now = bp_time_mono_us();
    if (now < r->next_maintenance_us)
        return;
    r->next_maintenance_us = now + 600 * INT64_C(1000000);
    static const char *const purges[] = {
        "DELETE FROM outbox WHERE published_at < now() - interval '7 days'",
        "DELETE FROM inbox WHERE received_at < now() - interval '30 days'",
    };
    for (size_t i = 0; i < sizeof purges / sizeof purges[0]; i++) {
        if (bp_db_exec(r->db, NULL, purges[i], 0, NULL) != BP_DB_OK)
            bp_log_warn("outbox: maintenance failed: %s", bp_db_error(r->db));
    }
    if (bp_idem_purge(r->db, 24) != BP_DB_OK)
        bp_log_warn("outbox: purging idempotency keys failed: %s", bp_db_error(r->db));
}

static void *relay_main(void *arg)
{
    bp_outbox_relay *r = arg;
    int backoff = 100;
    while (!atomic_load(&r->stop)) {
        rd_kafka_poll(r->rk, 0);
        relay_check_fatal(r);
        if (!relay_prepare(r)) {
            /* Standby: another instance publishes. Tell it when this process
             * committed rows: one NOTIFY per wait, however many commits. */
            bp_metrics_gauge_set("bp_outbox_relay_active", "1 when this relay publishes.", 0);
            if (relay_wait(r, false) &&
                bp_db_exec(r->db, NULL, "NOTIFY bp_outbox", 0, NULL) != BP_DB_OK)
                bp_log_warn("outbox: NOTIFY failed: %s", bp_db_error(r->db));
            continue;
        }
        bp_metrics_gauge_set("bp_outbox_relay_active", "1 when this relay publishes.", 1);
        relay_maintenance(r);
        int n = relay_round(r);
        if (n < 0) {
            sleep_ms(backoff);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
            continue;
        }
        backoff = 100;
        if (n < r->cfg.batch_size)
            relay_wait(r, true);
    }
    /* Stopping: one last round for what was committed just before, bounded by
     * the grace period (relay_round purges what is still unacknowledged then). */
    if (r->holds_lock && bp_db_session(r->db) == r->lock_session)
        relay_round(r);
    return NULL;
}

bp_outbox_relay *bp_outbox_relay_start(const bp_outbox_config *cfg, char *err, size_t errsize)
{
    bp_outbox_relay *r = calloc(1, sizeof *r);
    if (r == NULL) {
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    r->cfg = *cfg;
    r->rk = bp_kafka_producer_new(cfg->brokers, cfg->client_id, on_delivery, err, errsize);
    r->db = bp_db_new(cfg->database_url);
    if (r->rk == NULL || r->db == NULL) {
        if (r->rk)
            rd_kafka_destroy(r->rk);
        bp_db_free(r->db);
        free(r);
        return NULL;
    }
    atomic_init(&r->stop, false);
    r->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (r->wake_fd < 0 || pthread_create(&r->thread, NULL, relay_main, r) != 0) {
        snprintf(err, errsize, "cannot start the outbox relay thread");
        if (r->wake_fd >= 0)
            close(r->wake_fd);
        rd_kafka_destroy(r->rk);
        bp_db_free(r->db);
        free(r);
        return NULL;
    }
    return r;
}

bool bp_outbox_relay_kafka_up(bp_outbox_relay *relay, int timeout_ms)
{
    return bp_kafka_reachable(relay->rk, timeout_ms);
}

void bp_outbox_relay_stop(bp_outbox_relay *relay, int flush_ms)
{
    if (relay == NULL)
        return;
    relay->drain_deadline = bp_time_mono_us() + (int64_t)flush_ms * 1000;
    atomic_store(&relay->stop, true);
    pthread_join(relay->thread, NULL);
    rd_kafka_flush(relay->rk, flush_ms);
    rd_kafka_destroy(relay->rk);
    bp_db_free(relay->db);
    close(relay->wake_fd);
    free(relay);
}
