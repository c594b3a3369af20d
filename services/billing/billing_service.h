/* billing_service: billing's use cases as database transactions: authorising
 * purchases and refunds (accepted or rejected, each recorded with its outbox
 * event), reading operations and accounts, and applying contract events to the
 * read model (inbox + version guard). HTTP-agnostic; billing_http maps results. */
#ifndef BILLING_SERVICE_H
#define BILLING_SERVICE_H

#include "billing_groupcommit.h"
#include "bp_db.h"
#include "bp_result.h"
#include "bp_outbox.h"
#include "bp_validate.h"

#include <jansson.h>

/* The shared results (bp_result.h) under billing's names, then its own. */
typedef enum {
    BL_R_OK = BP_R_OK,                       /* 200, *resource */
    BL_R_REPLAY = BP_R_REPLAY,               /* replay_status, *resource */
    BL_R_INVALID = BP_R_INVALID,             /* 400: verr */
    BL_R_NOT_FOUND = BP_R_NOT_FOUND,         /* 404 */
    BL_R_IDEM_MISMATCH = BP_R_IDEM_MISMATCH, /* 409 */
    BL_R_UNAVAILABLE = BP_R_UNAVAILABLE,     /* 503 */
    BL_R_INTERNAL = BP_R_INTERNAL,           /* 500 */
    BL_R_CREATED = BP_R_DOMAIN,              /* 201, *resource: the accepted operation */
    BL_R_REJECTED,                           /* 422: code, message, operation id in detail */
    BL_R_DUPLICATE_ORDER,                    /* 409: same orderRef, another request */
} bl_result;

/* What a use case answers. The outcome owns `resource` and `text` until
 * bl_outcome_clear (the HTTP layer takes them over when it replies). */
typedef struct {
    json_t *resource;
    char *text; /* instead of resource: the answer already rendered as JSON */
    int replay_status;
    bp_verr verr;
    char code[40]; /* rejection reason code */
    char message[300];
    char detail[64];
} bl_outcome;

typedef struct {
    const char *operation_topic;
    const char *source;     /* CloudEvents source */
    bp_outbox_relay *relay; /* woken after each commit that added events */
    bl_gc *gc;              /* group committer of the hot path; NULL: off */
} bl_service;

/* Frees `resource` and `text` and sets them NULL; the rest stays. */
void bl_outcome_clear(bl_outcome *o);

/* POST /operations. `idem_key` may be NULL. */
bl_result bl_service_operate(const bl_service *svc, bp_db *db, const json_t *req,
                             const char *idem_key, const char *path, bl_outcome *o)
    __attribute__((warn_unused_result));

/* GET /operations/{id}. */
bl_result bl_service_get_operation(bp_db *db, const char *id, bl_outcome *o)
    __attribute__((warn_unused_result));

/* GET /contracts/{ref}/account. */
bl_result bl_service_get_account(bp_db *db, const char *ref, bl_outcome *o)
    __attribute__((warn_unused_result));

#endif
