/* bp_db: libpq connection wrapper with reconnect and SQLSTATE mapping.
 * DESIGN: a statement that fails because the connection broke reports
 * BP_DB_UNAVAILABLE and is not retried here (a write may have committed); only
 * BEGIN, which changes nothing, reconnects and retries once. */
#include "bp_db.h"

#include "bp_log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BP_DB_MAX_PREPARED 64

struct bp_db {
    char *url;
    PGconn *conn;
    const bp_db_stmt *prepared[BP_DB_MAX_PREPARED]; /* on this connection */
    int nprepared;
    unsigned session;
    char error[512];
    bp_db *next_in_pool;
};

struct bp_db_pool {
    char *url;
    pthread_key_t key;
    pthread_mutex_t lock;
    bp_db *all;
};

bp_db *bp_db_new(const char *url)
{
    bp_db *db = calloc(1, sizeof *db);
    if (db == NULL)
        return NULL;
    db->url = strdup(url);
    if (db->url == NULL) {
        free(db);
        return NULL;
    }
    return db;
}

void bp_db_free(bp_db *db)
{
    if (db == NULL)
        return;
    if (db->conn != NULL)
        PQfinish(db->conn);
    free(db->url);
    free(db);
}

static void notice_ignore(void *arg, const char *message) {}

bool bp_db_ensure(bp_db *db)
{
    if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
        return true;
    if (db->conn != NULL)
        PQfinish(db->conn);
    /* Keepalives and a TCP user timeout: a half-open connection (network
     * partition) fails within ~30 s instead of blocking for hours. */
    const char *keys[] = {"dbname",           "connect_timeout",  "application_name",
                          "keepalives",       "keepalives_idle",  "keepalives_interval",
                          "keepalives_count", "tcp_user_timeout", NULL};
    const char *vals[] = {db->url, "3", "boissipay", "1", "10", "5", "3", "30000", NULL};
    db->conn = PQconnectdbParams(keys, vals, 1);
    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
        snprintf(db->error, sizeof db->error, "%s",
                 db->conn ? PQerrorMessage(db->conn) : "out of memory");
        size_t len = strlen(db->error);
        while (len > 0 && db->error[len - 1] == '\n')
            db->error[--len] = '\0';
        if (db->conn != NULL)
            PQfinish(db->conn);
        db->conn = NULL;
        return false;
    }
    PQsetNoticeProcessor(db->conn, notice_ignore, NULL);
    db->nprepared = 0; /* a new session has none */
    db->session++;
    return true;
}

static bp_db_result classify(bp_db *db, PGresult *res)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return BP_DB_OK;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(db->error, sizeof db->error, "%s%s%s", state ? state : "", state ? ": " : "",
             res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn));
    size_t len = strlen(db->error);
    while (len > 0 && db->error[len - 1] == '\n')
        db->error[--len] = '\0';
    if (PQstatus(db->conn) != CONNECTION_OK)
        return BP_DB_UNAVAILABLE;
    if (state == NULL)
        return BP_DB_ERROR;
    if (!strcmp(state, "23505") || !strcmp(state, "23P01"))
        return BP_DB_CONFLICT;
    if (!strcmp(state, "40001") || !strcmp(state, "40P01"))
        return BP_DB_RETRY;
    if (!strncmp(state, "08", 2) || !strcmp(state, "57P01") || !strcmp(state, "57P02") ||
        !strcmp(state, "57P03"))
        return BP_DB_UNAVAILABLE;
    return BP_DB_ERROR;
}

/* True when a statement that failed with UNAVAILABLE may run again on a fresh
 * connection: it ran outside a transaction on a connection that had been idle
 * (the server went away in between), so nothing of it can have committed
 * except through a statement whose unique keys make a second run harmless. */
static bool retry_on_fresh(bp_db *db, bp_db_result r, bool was_idle)
{
    if (r != BP_DB_UNAVAILABLE || !was_idle)
        return false;
    PQfinish(db->conn);
    db->conn = NULL;
    return bp_db_ensure(db);
}

bp_db_result bp_db_exec(bp_db *db, PGresult **out, const char *sql, int nparams,
                        const char *const *params)
{
    if (out != NULL)
        *out = NULL;
    if (!bp_db_ensure(db))
        return BP_DB_UNAVAILABLE;
    bool idle = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
    PGresult *res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    bp_db_result r = classify(db, res);
    if (retry_on_fresh(db, r, idle)) {
        PQclear(res);
        res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
        r = classify(db, res);
    }
    if (r == BP_DB_OK && out != NULL)
        *out = res;
    else
        PQclear(res);
    return r;
}

static bool is_prepared(const bp_db *db, const bp_db_stmt *stmt)
{
    for (int i = 0; i < db->nprepared; i++)
        if (db->prepared[i] == stmt)
            return true;
    return false;
}

/* Prepares `stmt` on this connection (the caller checked it is not yet). */
static bp_db_result prepare(bp_db *db, const bp_db_stmt *stmt)
{
    PGresult *res = PQprepare(db->conn, stmt->name, stmt->sql, stmt->nparams, NULL);
    bp_db_result r = classify(db, res);
    PQclear(res);
    if (r == BP_DB_OK)
        db->prepared[db->nprepared++] = stmt;
    return r;
}

static bp_db_result exec_stmt(bp_db *db, PGresult **out, const bp_db_stmt *stmt,
                              const char *const *params, bool may_retry)
{
    if (out != NULL)
        *out = NULL;
    if (!bp_db_ensure(db))
        return BP_DB_UNAVAILABLE;
    bool idle = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
    if (!is_prepared(db, stmt)) {
        if (db->nprepared == BP_DB_MAX_PREPARED)
            return bp_db_exec(db, out, stmt->sql, stmt->nparams, params);
        bp_db_result r = prepare(db, stmt);
        if (may_retry && retry_on_fresh(db, r, idle))
            return exec_stmt(db, out, stmt, params, false);
        if (r != BP_DB_OK)
            return r;
    }
    PGresult *res = PQexecPrepared(db->conn, stmt->name, stmt->nparams, params, NULL, NULL, 0);
    bp_db_result r = classify(db, res);
    if (may_retry && retry_on_fresh(db, r, idle)) { /* the fresh session has none prepared */
        PQclear(res);
        return exec_stmt(db, out, stmt, params, false);
    }
    if (r == BP_DB_OK && out != NULL)
        *out = res;
    else
        PQclear(res);
    return r;
}

bp_db_result bp_db_exec_stmt(bp_db *db, PGresult **out, const bp_db_stmt *stmt,
                             const char *const *params)
{
    return exec_stmt(db, out, stmt, params, true);
}

/* Prepares every statement of a batch not yet prepared on this connection; a
 * connection found broken while idle is replaced once (nothing ran on it). */
static bp_db_result prepare_batch(bp_db *db, int n, const bp_db_stmt *const *stmts)
{
    for (int attempt = 0;; attempt++) {
        if (!bp_db_ensure(db))
            return BP_DB_UNAVAILABLE;
        bp_db_result r = BP_DB_OK;
        for (int i = 0; i < n && r == BP_DB_OK; i++) {
            if (is_prepared(db, stmts[i]))
                continue;
            if (db->nprepared == BP_DB_MAX_PREPARED) {
                snprintf(db->error, sizeof db->error, "too many prepared statements");
                return BP_DB_ERROR;
            }
            r = prepare(db, stmts[i]);
        }
        if (r != BP_DB_UNAVAILABLE || attempt > 0)
            return r;
        PQfinish(db->conn);
        db->conn = NULL;
    }
}

/* Reads the one result of the next command of a pipeline (and the NULL that ends
 * it). Returns its code; *rows its row count; *aborted when it was skipped because
 * an earlier command failed. */
static bp_db_result pipeline_result(bp_db *db, int *rows, bool *aborted)
{
    *rows = 0;
    *aborted = false;
    PGresult *res = PQgetResult(db->conn);
    if (res == NULL) {
        snprintf(db->error, sizeof db->error, "pipeline: %s", PQerrorMessage(db->conn));
        return BP_DB_UNAVAILABLE;
    }
    bp_db_result r = BP_DB_OK;
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_PIPELINE_ABORTED)
        *aborted = true;
    else if (st == PGRES_TUPLES_OK)
        *rows = PQntuples(res);
    else if (st == PGRES_COMMAND_OK)
        *rows = atoi(PQcmdTuples(res));
    else
        r = classify(db, res);
    PQclear(res);
    if (r != BP_DB_UNAVAILABLE) {
        PGresult *end = PQgetResult(db->conn); /* NULL: the end of this command */
        if (end != NULL) {
            PQclear(end);
            snprintf(db->error, sizeof db->error, "pipeline: one result per command expected");
            return BP_DB_UNAVAILABLE;
        }
    }
    return r;
}

bp_db_result bp_db_exec_batch(bp_db *db, int n, const bp_db_stmt *const *stmts,
                              const char *const *const *params, int *rows, int *failed)
{
    *failed = -1;
    bp_db_result r = prepare_batch(db, n, stmts);
    if (r != BP_DB_OK)
        return r;
    PGconn *c = db->conn;
    if (!PQenterPipelineMode(c)) {
        snprintf(db->error, sizeof db->error, "pipeline mode: %s", PQerrorMessage(c));
        return BP_DB_ERROR;
    }
    bool sent = PQsendQueryParams(c, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) == 1;
    for (int i = 0; i < n && sent; i++)
        sent = PQsendQueryPrepared(c, stmts[i]->name, stmts[i]->nparams, params[i], NULL, NULL,
                                   0) == 1;
    sent = sent && PQsendQueryParams(c, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) == 1;
    sent = sent && PQpipelineSync(c) == 1;
    if (!sent) {
        snprintf(db->error, sizeof db->error, "pipeline send: %s", PQerrorMessage(c));
        r = BP_DB_UNAVAILABLE;
    }
    /* Commands: BEGIN (0), the statements (1..n), COMMIT (n + 1). */
    for (int q = 0; q < n + 2 && r != BP_DB_UNAVAILABLE; q++) {
        int count = 0;
        bool aborted = false;
        bp_db_result qr = pipeline_result(db, &count, &aborted);
        if (q >= 1 && q <= n)
            rows[q - 1] = count;
        if (qr == BP_DB_UNAVAILABLE) {
            r = qr; /* whether COMMIT ran is unknown */
            *failed = -1;
        } else if (qr != BP_DB_OK && r == BP_DB_OK) {
            r = qr;
            *failed = q >= 1 && q <= n ? q - 1 : -1;
        } else if (aborted && r == BP_DB_OK) {
            snprintf(db->error, sizeof db->error, "pipeline aborted without an error");
            r = BP_DB_ERROR;
        }
    }
    if (r != BP_DB_UNAVAILABLE) {
        PGresult *sync = PQgetResult(c);
        bool synced = sync != NULL && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
        PQclear(sync);
        if (!synced || !PQexitPipelineMode(c)) {
            snprintf(db->error, sizeof db->error, "pipeline end: %s", PQerrorMessage(c));
            r = BP_DB_UNAVAILABLE;
            *failed = -1;
        }
    }
    if (r == BP_DB_UNAVAILABLE) { /* the pipeline is in an unknown state: start afresh */
        PQfinish(db->conn);
        db->conn = NULL;
        return r;
    }
    if (r != BP_DB_OK)
        bp_db_rollback(db);
    return r;
}

bp_db_result bp_db_exec_script(bp_db *db, const char *sql)
{
    if (!bp_db_ensure(db))
        return BP_DB_UNAVAILABLE;
    PGresult *res = PQexec(db->conn, sql);
    bp_db_result r = classify(db, res);
    PQclear(res);
    return r;
}

bp_db_result bp_db_begin(bp_db *db)
{
    bp_db_result r = bp_db_exec_script(db, "BEGIN");
    if (r == BP_DB_UNAVAILABLE && db->conn != NULL) {
        PQfinish(db->conn);
        db->conn = NULL;
        r = bp_db_exec_script(db, "BEGIN");
    }
    return r;
}

bp_db_result bp_db_commit(bp_db *db) { return bp_db_exec_script(db, "COMMIT"); }

void bp_db_rollback(bp_db *db)
{
    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
        return;
    if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
        return;
    PGresult *res = PQexec(db->conn, "ROLLBACK");
    PQclear(res);
}

bp_db_result bp_db_count(bp_db *db, const char *sql, int nparams, const char *const *params,
                         int64_t *count)
{
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec(db, &res, sql, nparams, params);
    if (r != BP_DB_OK)
        return r;
    *count = PQntuples(res) > 0 ? atoll(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return BP_DB_OK;
}

bp_db_result bp_db_transact(bp_db *db, int attempts, unsigned retryable, bp_db_once_fn once,
                            void *ctx, bool *committed)
{
    *committed = false;
    for (int attempt = 0; attempt < attempts; attempt++) {
        bp_db_result r = bp_db_begin(db);
        if (r != BP_DB_OK)
            return r;
        bool commit = false;
        r = once(db, ctx, &commit);
        if (r == BP_DB_OK && !commit) {
            bp_db_rollback(db);
            return BP_DB_OK;
        }
        if (r == BP_DB_OK)
            r = bp_db_commit(db);
        if (r == BP_DB_OK) {
            *committed = true;
            return BP_DB_OK;
        }
        bp_db_rollback(db);
        if ((retryable & BP_DB_RETRYABLE(r)) == 0)
            return r;
    }
    return BP_DB_RETRY;
}

const char *bp_db_error(const bp_db *db) { return db->error; }

PGconn *bp_db_conn(bp_db *db) { return db->conn; }

unsigned bp_db_session(const bp_db *db) { return db->session; }

const char *bp_db_result_text(bp_db_result r)
{
    switch (r) {
    case BP_DB_OK:
        return "ok";
    case BP_DB_CONFLICT:
        return "conflict";
    case BP_DB_RETRY:
        return "retry";
    case BP_DB_UNAVAILABLE:
        return "unavailable";
    case BP_DB_ERROR:
        return "error";
    }
    return "unknown";
}

bp_db_pool *bp_db_pool_new(const char *url)
{
    bp_db_pool *pool = calloc(1, sizeof *pool);
    if (pool == NULL)
        return NULL;
    pool->url = strdup(url);
    if (pool->url == NULL || pthread_key_create(&pool->key, NULL) != 0) {
        free(pool->url);
        free(pool);
        return NULL;
    }
    pthread_mutex_init(&pool->lock, NULL);
    return pool;
}

bp_db *bp_db_pool_get(bp_db_pool *pool)
{
    bp_db *db = pthread_getspecific(pool->key);
    if (db != NULL)
        return db;
    db = bp_db_new(pool->url);
    if (db == NULL)
        return NULL;
    pthread_setspecific(pool->key, db);
    pthread_mutex_lock(&pool->lock);
    db->next_in_pool = pool->all;
    pool->all = db;
    pthread_mutex_unlock(&pool->lock);
    return db;
}

void bp_db_pool_free(bp_db_pool *pool)
{
    if (pool == NULL)
        return;
    for (bp_db *db = pool->all; db != NULL;) {
        bp_db *next = db->next_in_pool;
        bp_db_free(db);
        db = next;
    }
    pthread_key_delete(pool->key);
    pthread_mutex_destroy(&pool->lock);
    free(pool->url);
    free(pool);
}
