/* contract_service: the contract use cases as database transactions. Each
 * change commits the new state, its outbox event and (when given) the
 * Idempotency-Key's stored response together, retrying on serialization
 * failures. Knows nothing of HTTP: results are mapped to status codes by
 * contract_http. Runs on the calling thread with the connection it is given. */
#ifndef CONTRACT_SERVICE_H
#define CONTRACT_SERVICE_H

#include "bp_db.h"
#include "bp_result.h"
#include "bp_outbox.h"
#include "bp_validate.h"
#include "contract_lifecycle.h"

#include <jansson.h>

/* The shared results (bp_result.h) under contract's names, then its own. */
typedef enum {
    CT_OK = BP_R_OK,                       /* *resource is the contract */
    CT_REPLAY = BP_R_REPLAY,               /* idempotent replay: *replay_status and *resource */
    CT_INVALID = BP_R_INVALID,             /* 400, see verr */
    CT_NOT_FOUND = BP_R_NOT_FOUND,         /* 404 */
    CT_IDEM_MISMATCH = BP_R_IDEM_MISMATCH, /* 409 */
    CT_UNAVAILABLE = BP_R_UNAVAILABLE,     /* 503: the database is down */
    CT_INTERNAL = BP_R_INTERNAL,           /* 500 */
    CT_DUPLICATE_REF = BP_R_DOMAIN,        /* 409 */
    CT_ILLEGAL_TRANSITION,                 /* 409, see message */
    CT_CURRENCY_MISMATCH,                  /* 422, see message */
} ct_result;

typedef struct {
    json_t *resource; /* owned by the outcome; free with ct_outcome_clear */
    int replay_status;
    bp_verr verr;
    char message[256];
} ct_outcome;

typedef struct {
    const char *topic;      /* contract events topic */
    const char *source;     /* CloudEvents source */
    bp_outbox_relay *relay; /* woken after each commit that added events */
} ct_service;

void ct_outcome_clear(ct_outcome *o);

/* POST /contracts. `idem_key` may be NULL. */
ct_result ct_service_create(const ct_service *svc, bp_db *db, const json_t *req,
                            const char *idem_key, const char *path, ct_outcome *o)
    __attribute__((warn_unused_result));

/* A lifecycle action on `ref` with its request body (an object, maybe empty). */
ct_result ct_service_change(const ct_service *svc, bp_db *db, const char *ref, ct_action action,
                            const json_t *body, const char *idem_key, const char *method,
                            const char *path, ct_outcome *o) __attribute__((warn_unused_result));

/* GET /contracts/{ref}. */
ct_result ct_service_get(bp_db *db, const char *ref, ct_outcome *o)
    __attribute__((warn_unused_result));

/* GET /contracts: `status`/`customer_ref` may be NULL; page >= 1, size 1..100.
 * *resource receives {"contracts":[...]} and *total the number of matches. */
ct_result ct_service_list(bp_db *db, const char *status, const char *customer_ref, int64_t page,
                          int64_t size, int64_t *total, ct_outcome *o)
    __attribute__((warn_unused_result));

#endif
