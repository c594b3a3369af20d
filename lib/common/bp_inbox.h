/* bp_inbox: what makes a consumer's handler idempotent. Each handled event id is
 * recorded (per consumer) in the `inbox` table in the same transaction as its
 * effect, so a redelivered event changes nothing. The table is created by each
 * daemon's migrations; bp_outbox's janitor forgets rows after 30 days.
 *
 * Runs on the consumer thread, on the caller's connection. */
#ifndef BP_INBOX_H
#define BP_INBOX_H

#include "bp_db.h"

#include <stdbool.h>

typedef enum { BP_INBOX_NEW = 0, BP_INBOX_DUPLICATE, BP_INBOX_DB_ERROR } bp_inbox_result;

/* Records that `consumer` handled `event_id`, inside the caller's transaction.
 * BP_INBOX_DUPLICATE means it was handled before: change nothing and commit. */
bp_inbox_result bp_inbox_claim(bp_db *db, const char *consumer, const char *event_id)
    __attribute__((warn_unused_result));

/* Whether `consumer` recorded `event_id` (without recording it). */
bp_db_result bp_inbox_seen(bp_db *db, const char *consumer, const char *event_id, bool *seen)
    __attribute__((warn_unused_result));

/* An event's effect, run inside the inbox transaction: sets *applied when it
 * changed something (false: nothing to do, e.g. an older version); returns BP_DB_OK
 * or the failure. */
typedef bp_db_result (*bp_inbox_apply_fn)(bp_db *db, void *ctx, bool *applied);

typedef enum {
    BP_INBOX_DONE = 0, /* committed: *applied tells whether fn changed something
                        * (false for an event handled before) */
    BP_INBOX_LATER,    /* rolled back: the database is unavailable or asked for a
                        * retry; handle the message again later */
    BP_INBOX_REFUSED   /* rolled back: the database refused the effect (an error or a
                        * conflict that would recur): park the message */
} bp_inbox_outcome;

/* The skeleton every consumer shares: BEGIN, claim `event_id` for `consumer`, run
 * fn unless the event was handled before, COMMIT; then classify. *dbr receives the
 * failing code (BP_DB_OK on DONE) for the caller's log; bp_db_error(db) its text. */
bp_inbox_outcome bp_inbox_apply(bp_db *db, const char *consumer, const char *event_id,
                                bp_inbox_apply_fn fn, void *ctx, bool *applied, bp_db_result *dbr)
    __attribute__((warn_unused_result));

#endif
