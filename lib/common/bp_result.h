/* bp_result: the outcomes every use case of every daemon shares, so the mapping of
 * database failures to results (bp_db_failure) and of results to HTTP answers
 * (bp_http_reply_common) is written once. A service's own result enum starts with
 * these values under its own names (CT_NOT_FOUND = BP_R_NOT_FOUND, ...) and numbers
 * its domain codes from BP_R_DOMAIN; its reply function handles only those. */
#ifndef BP_RESULT_H
#define BP_RESULT_H

#include "bp_db.h"

typedef enum {
    BP_R_OK = 0,        /* success: the service chooses 200 or 201 */
    BP_R_REPLAY,        /* an Idempotency-Key replay: the stored status and body */
    BP_R_INVALID,       /* 400 VALIDATION_ERROR, from the request's bp_verr */
    BP_R_NOT_FOUND,     /* 404 NOT_FOUND */
    BP_R_IDEM_MISMATCH, /* 409 IDEMPOTENCY_KEY_REUSED: the key was used for another request */
    BP_R_UNAVAILABLE,   /* 503 DATABASE_UNAVAILABLE: retry later */
    BP_R_INTERNAL,      /* 500 INTERNAL: see the log */
    BP_R_DOMAIN         /* the first value a service gives its own codes */
} bp_result;

/* A database failure of use case `what` as a result: BP_R_UNAVAILABLE (logged as a
 * warning) when the server cannot be reached, else BP_R_INTERNAL (logged as an error,
 * with the database's message). */
bp_result bp_db_failure(bp_db *db, bp_db_result r, const char *what)
    __attribute__((warn_unused_result));

#endif
