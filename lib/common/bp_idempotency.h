/* bp_idempotency: the Idempotency-Key contract of every POST/PUT route.
 * Same key + same request → the first response again; same key + another
 * request → conflict. Runs inside the caller's transaction, so the stored
 * response commits (or not) with the change it describes. */
#ifndef BP_IDEMPOTENCY_H
#define BP_IDEMPOTENCY_H

#include "bp_db.h"

#include <jansson.h>

typedef enum {
    BP_IDEM_NEW = 0,  /* first use: go on, then call bp_idem_store */
    BP_IDEM_REPLAY,   /* seen with the same request: answer *status / *response */
    BP_IDEM_MISMATCH, /* seen with another request: 409 */
    BP_IDEM_DB_ERROR, /* see bp_db_error(); *dbr tells which */
} bp_idem_result;

/* Claims `key` for the request identified by method, path and canonical body
 * (json, may be NULL). Must run inside a transaction. A concurrent holder of the
 * same key makes this wait until it commits or rolls back.
 * On REPLAY, *response receives a new JSON value (caller decrefs). */
bp_idem_result bp_idem_claim(bp_db *db, const char *key, const char *method, const char *path,
                             const json_t *body, int *status, json_t **response, bp_db_result *dbr)
    __attribute__((warn_unused_result));

/* Records the response for a claimed key, in the same transaction. */
bp_db_result bp_idem_store(bp_db *db, const char *key, int status, const json_t *response)
    __attribute__((warn_unused_result));

/* Deletes keys older than `hours`. */
bp_db_result bp_idem_purge(bp_db *db, int hours) __attribute__((warn_unused_result));

/* True when `key` is an acceptable Idempotency-Key (1..200 visible ASCII characters). */
bool bp_idem_key_valid(const char *key);

#endif
