/* contract_service: transactions of the contract use cases.
 * Pattern of every change: BEGIN → claim the Idempotency-Key → lock/insert the
 * row → pure model change → UPDATE/INSERT → outbox row → store the response
 * under the key → COMMIT, run by bp_db_transact. A serialization failure or deadlock
 * (BP_DB_RETRY) restarts the whole transaction; a unique violation (BP_DB_CONFLICT)
 * does not: the only one a change can meet is a taken contractRef, which the create
 * attempt handles itself (a fresh generated ref, or 409 for a chosen one). */
#include "contract_service.h"

#include "bp_cloudevent.h"
#include "bp_idempotency.h"
#include "bp_log.h"
#include "bp_outbox.h"
#include "bp_random.h"
#include "bp_time.h"
#include "contract_model.h"
#include "contract_store.h"

#include <stdio.h>
#include <string.h>

#define RETRYABLE BP_DB_RETRYABLE(BP_DB_RETRY)

void ct_outcome_clear(ct_outcome *o)
{
    json_decref(o->resource);
    o->resource = NULL;
}

static ct_result db_failure(bp_db *db, bp_db_result r, const char *what)
{
    return (ct_result)bp_db_failure(db, r, what);
}

/* Claims the key if any. Returns CT_OK to go on, or the final result. */
static ct_result idem_claim(bp_db *db, const char *key, const char *method, const char *path,
                            const json_t *body, ct_outcome *o, bp_db_result *dbr)
{
    *dbr = BP_DB_OK;
    if (key == NULL)
        return CT_OK;
    json_t *stored = NULL;
    switch (bp_idem_claim(db, key, method, path, body, &o->replay_status, &stored, dbr)) {
    case BP_IDEM_NEW:
        return CT_OK;
    case BP_IDEM_REPLAY:
        o->resource = stored;
        return CT_REPLAY;
    case BP_IDEM_MISMATCH:
        return CT_IDEM_MISMATCH;
    case BP_IDEM_DB_ERROR:
        break;
    }
    return CT_INTERNAL;
}

/* Publishes `doc` as event `type` through the outbox, in the open transaction. */
static bp_db_result emit(const ct_service *svc, bp_db *db, const char *contract_id,
                         const char *type, const json_t *doc)
{
    char event_id[37];
    json_t *event =
        bp_cloudevent_new(svc->source, type, contract_id, json_deep_copy(doc), event_id);
    bp_db_result r = event ? bp_outbox_add(db, svc->topic, contract_id, event) : BP_DB_ERROR;
    json_decref(event);
    return r;
}

/* One attempt at creating. Leaves the transaction open only on CT_OK. */
static ct_result create_once(const ct_service *svc, bp_db *db, const json_t *req,
                             const char *idem_key, const char *path, ct_outcome *o,
                             bp_db_result *dbr)
{
    ct_new_contract nc;
    if (!ct_model_parse_create(req, &nc, &o->verr))
        return CT_INVALID;
    ct_result res = idem_claim(db, idem_key, "POST", path, req, o, dbr);
    if (res != CT_OK || *dbr != BP_DB_OK) {
        json_decref(nc.doc);
        return res;
    }
    char id[37], ref[65], now[40], expire[11];
    bp_uuid_v4(id);
    bp_time_format_now(now, sizeof now);
    bp_date_format(nc.expire_at, expire, sizeof expire);
    for (int tries = 0;; tries++) {
        if (nc.contract_ref != NULL)
            snprintf(ref, sizeof ref, "%s", nc.contract_ref);
        else
            bp_random_ref("CTR-", 10, ref, sizeof ref);
        ct_model_finish_new(nc.doc, id, ref, nc.status, now);
        /* A savepoint lets a generated ref that collided be drawn again. */
        *dbr = bp_db_exec(db, NULL, "SAVEPOINT ins", 0, NULL);
        if (*dbr == BP_DB_OK)
            *dbr = ct_store_insert(db, id, ref, ct_status_name(nc.status), nc.customer_ref, expire,
                                   nc.iban, nc.doc);
        if (*dbr == BP_DB_CONFLICT && nc.contract_ref == NULL && tries < 5) {
            *dbr = bp_db_exec(db, NULL, "ROLLBACK TO SAVEPOINT ins", 0, NULL);
            if (*dbr == BP_DB_OK)
                continue;
        }
        break;
    }
    if (*dbr == BP_DB_CONFLICT) {
        *dbr = BP_DB_OK;
        json_decref(nc.doc);
        return CT_DUPLICATE_REF;
    }
    if (*dbr == BP_DB_OK)
        *dbr = emit(svc, db, id, ct_action_event_type(CT_ACTION_CREATE), nc.doc);
    if (*dbr == BP_DB_OK && idem_key != NULL)
        *dbr = bp_idem_store(db, idem_key, 201, nc.doc);
    o->resource = nc.doc;
    return CT_OK;
}

/* One use case's transaction: the attempt to run and what it answered. */
typedef struct {
    const ct_service *svc;
    const char *ref, *idem_key, *method, *path;
    ct_action action;
    const json_t *body;
    ct_outcome *o;
    ct_result res;
} tx_ctx;

static bp_db_result create_attempt(bp_db *db, void *arg, bool *commit)
{
    tx_ctx *c = arg;
    bp_db_result dbr = BP_DB_OK;
    ct_outcome_clear(c->o);
    c->res = create_once(c->svc, db, c->body, c->idem_key, c->path, c->o, &dbr);
    *commit = c->res == CT_OK;
    return dbr;
}

/* Runs `attempt` under the service's retry policy and maps the database outcome. */
static ct_result transact(tx_ctx *c, bp_db *db, bp_db_once_fn attempt, const char *what)
{
    bool committed = false;
    bp_db_result dbr = bp_db_transact(db, BP_DB_ATTEMPTS, RETRYABLE, attempt, c, &committed);
    if (dbr != BP_DB_OK) {
        ct_outcome_clear(c->o);
        return dbr == BP_DB_RETRY ? CT_UNAVAILABLE : db_failure(db, dbr, what);
    }
    if (committed)
        bp_outbox_relay_wake(c->svc->relay);
    return c->res;
}

ct_result ct_service_create(const ct_service *svc, bp_db *db, const json_t *req,
                            const char *idem_key, const char *path, ct_outcome *o)
{
    tx_ctx c = {.svc = svc, .body = req, .idem_key = idem_key, .path = path, .o = o};
    return transact(&c, db, create_attempt, "create");
}

static ct_result change_once(const ct_service *svc, bp_db *db, const char *ref, ct_action action,
                             const json_t *body, const char *idem_key, const char *method,
                             const char *path, ct_outcome *o, bp_db_result *dbr)
{
    ct_result res = idem_claim(db, idem_key, method, path, body, o, dbr);
    if (res != CT_OK || *dbr != BP_DB_OK)
        return res;
    json_t *doc = NULL;
    char id[37], stored_iban[CT_IBAN_MAX + 1];
    *dbr = ct_store_get(db, ref, true, &doc, id, stored_iban);
    if (*dbr != BP_DB_OK)
        return CT_INTERNAL;
    if (doc == NULL)
        return CT_NOT_FOUND;
    char now[40], iban[CT_IBAN_MAX + 1];
    bp_time_format_now(now, sizeof now);
    json_t *next = NULL;
    ct_apply_result ar =
        ct_model_apply(doc, stored_iban, action, body, now, &next, iban, &o->verr, o->message);
    if (ar == CT_APPLY_NOOP) { /* nothing changes: no write, no event */
        o->resource = doc;
        if (idem_key != NULL)
            *dbr = bp_idem_store(db, idem_key, 200, doc);
        return CT_OK;
    }
    json_decref(doc);
    switch (ar) {
    case CT_APPLY_OK:
    case CT_APPLY_NOOP:
        break;
    case CT_APPLY_INVALID:
        return CT_INVALID;
    case CT_APPLY_ILLEGAL:
        return CT_ILLEGAL_TRANSITION;
    case CT_APPLY_CURRENCY:
        return CT_CURRENCY_MISMATCH;
    }
    if (action == CT_ACTION_SUSPEND && json_is_string(json_object_get(body, "reason")))
        bp_log_info("contract %s suspended: %s", ref,
                    json_string_value(json_object_get(body, "reason")));
    o->resource = next;
    *dbr = ct_store_update(db, id, json_string_value(json_object_get(next, "status")),
                           json_integer_value(json_object_get(next, "version")), iban, next);
    if (*dbr == BP_DB_OK)
        *dbr = emit(svc, db, id, ct_action_event_type(action), next);
    if (*dbr == BP_DB_OK && idem_key != NULL)
        *dbr = bp_idem_store(db, idem_key, 200, next);
    return CT_OK;
}

static bp_db_result change_attempt(bp_db *db, void *arg, bool *commit)
{
    tx_ctx *c = arg;
    bp_db_result dbr = BP_DB_OK;
    ct_outcome_clear(c->o);
    c->res = change_once(c->svc, db, c->ref, c->action, c->body, c->idem_key, c->method, c->path,
                         c->o, &dbr);
    *commit = c->res == CT_OK;
    return dbr;
}

ct_result ct_service_change(const ct_service *svc, bp_db *db, const char *ref, ct_action action,
                            const json_t *body, const char *idem_key, const char *method,
                            const char *path, ct_outcome *o)
{
    tx_ctx c = {.svc = svc,
                .ref = ref,
                .action = action,
                .body = body,
                .idem_key = idem_key,
                .method = method,
                .path = path,
                .o = o};
    ct_result res = transact(&c, db, change_attempt, "change");
    if (res == CT_OK && action == CT_ACTION_EXPIRE)
        bp_log_info("contract %s expired", ref);
    return res;
}

ct_result ct_service_get(bp_db *db, const char *ref, ct_outcome *o)
{
    char id[37], iban[CT_IBAN_MAX + 1];
    bp_db_result r = ct_store_get(db, ref, false, &o->resource, id, iban);
    if (r != BP_DB_OK)
        return db_failure(db, r, "get");
    return o->resource ? CT_OK : CT_NOT_FOUND;
}

ct_result ct_service_list(bp_db *db, const char *status, const char *customer_ref, int64_t page,
                          int64_t size, int64_t *total, ct_outcome *o)
{
    json_t *items = NULL;
    bp_db_result r =
        ct_store_list(db, status, customer_ref, size, (page - 1) * size, &items, total);
    if (r != BP_DB_OK)
        return db_failure(db, r, "list");
    o->resource = json_pack("{s:o}", "contracts", items);
    return CT_OK;
}
