/* billing_groupcommit: group commit of the hot path's statements.
 *
 * Concurrent requests queue their statement on a lane (one connection each); the
 * first request to find the lane idle leads: it applies everything queued in ONE
 * transaction and one round trip (bp_db_exec_batch) while the others wait, so many
 * authorisations share one commit, and whoever arrives meanwhile leads the next
 * batch (no thread of its own, no hand-off for a lone request: it runs at once). A
 * statement that fails fails alone: the batch is rolled back and run again without
 * it. A request is answered only after the commit that holds it. Statements carry
 * a key (the contract): one key always goes to the same lane, in arrival order, and
 * each batch runs in key order, so two batches never lock rows in opposite orders.
 * The optional window only applies under load (the batch before had more than one
 * statement). */
#ifndef BILLING_GROUPCOMMIT_H
#define BILLING_GROUPCOMMIT_H

#include "bp_db.h"

typedef struct {
    const char *database_url;
    long committers; /* lanes, each with its own connection */
    long window_us;  /* under load, wait at most this long for more statements */
    long max_batch;  /* statements per transaction at most */
} bl_gc_config;

typedef struct bl_gc bl_gc;

/* Sets up the lanes (connecting lazily); NULL when cfg->committers is 0 (group
 * commit off) or out of memory. */
bl_gc *bl_gc_start(const bl_gc_config *cfg);

/* Closes the lanes; call when no request runs any more. NULL is a no-op. */
void bl_gc_stop(bl_gc *gc);

/* Runs `stmt` with `params` in the next transaction of the lane owning `key` (led
 * by this thread or another) and waits for its end. BP_DB_OK: committed, *rows = its rows. Any
 * other result is this statement's own failure and nothing of it committed, except
 * BP_DB_UNAVAILABLE (the connection broke; a COMMIT in flight may have committed). */
bp_db_result bl_gc_run(bl_gc *gc, const char *key, const bp_db_stmt *stmt,
                       const char *const *params, int *rows) __attribute__((warn_unused_result));

#endif
