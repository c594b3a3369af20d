/* bp_db: PostgreSQL access through libpq. One bp_db is one connection used by
 * one thread at a time; bp_db_pool hands each thread its own (thread-local).
 * Every statement goes through PQexecParams (parameters, never string-built
 * SQL), except bp_db_exec_script for the migrations compiled into the binary. */
#ifndef BP_DB_H
#define BP_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    BP_DB_OK = 0,
    BP_DB_CONFLICT,    /* unique or exclusion violation (23505, 23P01) */
    BP_DB_RETRY,       /* serialization failure or deadlock: retry the transaction */
    BP_DB_UNAVAILABLE, /* no connection: the server is down or unreachable */
    BP_DB_ERROR,       /* any other error: a bug or a broken schema */
} bp_db_result;

typedef struct bp_db bp_db;
typedef struct bp_db_pool bp_db_pool;

/* A connection for `url` (a libpq URI or key=value string). Does not connect
 * until first use. Returns NULL when out of memory. Free with bp_db_free. */
bp_db *bp_db_new(const char *url);
void bp_db_free(bp_db *db);

/* Connects (or reconnects) when needed. Returns true when the connection is up. */
bool bp_db_ensure(bp_db *db);

/* Runs one parameterised statement. On BP_DB_OK and out != NULL, *out receives
 * the result (caller PQclear's it); otherwise no result is kept. */
bp_db_result bp_db_exec(bp_db *db, PGresult **out, const char *sql, int nparams,
                        const char *const *params) __attribute__((warn_unused_result));

/* A statement prepared once per connection (by name) and executed with
 * PQexecPrepared: for the hot paths. Declare as `static const bp_db_stmt`. */
typedef struct {
    const char *name; /* unique in the process */
    const char *sql;
    int nparams;
} bp_db_stmt;

/* Like bp_db_exec, for a prepared statement (prepared on first use on this
 * connection, again after a reconnect). */
bp_db_result bp_db_exec_stmt(bp_db *db, PGresult **out, const bp_db_stmt *stmt,
                             const char *const *params) __attribute__((warn_unused_result));

/* Runs `n` prepared statements (stmts[i] with params[i]) in ONE transaction and one
 * round trip (libpq pipeline mode): BEGIN, the statements in order, COMMIT. On
 * BP_DB_OK all of them ran and committed, and rows[i] is the number of rows statement
 * i returned or changed. Otherwise nothing committed (the transaction is rolled
 * back) and *failed is the index of the statement whose failure this is, or -1 when
 * the failure is not one statement's: BEGIN or COMMIT failed, or the connection broke
 * (BP_DB_UNAVAILABLE: a COMMIT in flight may have committed; the caller cannot tell). */
bp_db_result bp_db_exec_batch(bp_db *db, int n, const bp_db_stmt *const *stmts,
                              const char *const *const *params, int *rows, int *failed)
    __attribute__((warn_unused_result));

/* Runs `sql`, a query whose one row's first column is a count (SELECT count(*) ...),
 * into *count. The list endpoints use it for a page past the last one: no row carries
 * the total then (count(*) OVER ()), and the answer still says how many match. */
bp_db_result bp_db_count(bp_db *db, const char *sql, int nparams, const char *const *params,
                         int64_t *count) __attribute__((warn_unused_result));

/* Runs a multi-statement script without parameters (migrations only). */
bp_db_result bp_db_exec_script(bp_db *db, const char *sql) __attribute__((warn_unused_result));

/* BEGIN (reconnecting first if the connection dropped while idle), COMMIT, ROLLBACK.
 * bp_db_rollback is safe to call in any state and ignores errors. */
bp_db_result bp_db_begin(bp_db *db) __attribute__((warn_unused_result));
bp_db_result bp_db_commit(bp_db *db) __attribute__((warn_unused_result));
void bp_db_rollback(bp_db *db);

/* ---------- transactions ---------- */

/* How many times a use case tries its transaction before answering 503: one policy
 * for every daemon (a serialization failure or deadlock rarely strikes three times in
 * a row; a fourth attempt costs nothing when it does not). */
#define BP_DB_ATTEMPTS 4

/* The bit of `r` in a set of retryable results: BP_DB_RETRYABLE(BP_DB_RETRY) |
 * BP_DB_RETRYABLE(BP_DB_CONFLICT). */
#define BP_DB_RETRYABLE(r) (1u << (unsigned)(r))

/* One attempt of a transaction, run after BEGIN. Does its statements, sets *commit
 * when the transaction is to be committed (false: rolled back, on purpose), and
 * returns BP_DB_OK, or the database failure that ends the attempt. It must begin by
 * resetting whatever an earlier attempt left in ctx. */
typedef bp_db_result (*bp_db_once_fn)(bp_db *db, void *ctx, bool *commit);

/* Runs `once` in a transaction, at most `attempts` times: BEGIN, once, then COMMIT
 * when it asked for it, else ROLLBACK. A failure of once or of COMMIT whose code is
 * in `retryable` rolls back and starts over; any other is returned at once, rolled
 * back. Returns BP_DB_OK when an attempt ended as once wanted (*committed: COMMIT
 * succeeded; false: rolled back on purpose); BP_DB_RETRY when every attempt failed
 * with a retryable code; else the failure (BEGIN's included). */
bp_db_result bp_db_transact(bp_db *db, int attempts, unsigned retryable, bp_db_once_fn once,
                            void *ctx, bool *committed) __attribute__((warn_unused_result));

/* The last error message (never NULL). */
const char *bp_db_error(const bp_db *db);

/* A number that changes whenever the connection is replaced: session state
 * (advisory locks, LISTEN) held under an older number is gone. */
unsigned bp_db_session(const bp_db *db);

/* The raw connection, for LISTEN/NOTIFY; NULL when not connected. */
PGconn *bp_db_conn(bp_db *db);

/* A pool of per-thread connections to one URL. */
bp_db_pool *bp_db_pool_new(const char *url);
/* This thread's connection, created on first call. NULL only when out of memory. */
bp_db *bp_db_pool_get(bp_db_pool *pool);
/* Closes every connection; call after all threads using the pool stopped. */
void bp_db_pool_free(bp_db_pool *pool);

/* Text of a result code, for logs. */
const char *bp_db_result_text(bp_db_result r);

#endif
