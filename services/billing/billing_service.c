/* billing_service: transactions of billing's use cases.
 *
 * DESIGN: POST /operations runs BEGIN → claim the Idempotency-Key → read the
 * account (for the currency and the orderRef check) → ONE conditional statement
 * that both checks the limit and raises the balance while inserting the
 * operation → outbox event → COMMIT. When that statement changes nothing, the
 * operation is refused; the account is read again only to say why (the decision
 * itself was atomic). A unique-index race on orderRef rolls back and retries,
 * and the retry finds the first operation. */
#include "billing_service.h"

#include "billing_account.h"
#include "billing_idcache.h"
#include "billing_invoice_store.h"
#include "billing_metrics.h"
#include "billing_operation.h"
#include "billing_store.h"
#include "bp_cloudevent.h"
#include "bp_idempotency.h"
#include "bp_log.h"
#include "bp_money.h"
#include "bp_outbox.h"
#include "bp_random.h"
#include "bp_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A serialization failure or deadlock, and a unique violation: the orderRef race of
 * two requests for the same order; the retry finds the first operation and answers it. */
#define RETRYABLE (BP_DB_RETRYABLE(BP_DB_RETRY) | BP_DB_RETRYABLE(BP_DB_CONFLICT))

void bl_outcome_clear(bl_outcome *o)
{
    json_decref(o->resource);
    o->resource = NULL;
    free(o->text);
    o->text = NULL;
}

static bl_result db_failure(bp_db *db, bp_db_result r, const char *what)
{
    return (bl_result)bp_db_failure(db, r, what);
}

static bp_db_result emit(const bl_service *svc, bp_db *db, const char *type, const char *key,
                         const char *subject, const json_t *doc)
{
    char id[37];
    json_t *event = bp_cloudevent_new(svc->source, type, subject, json_deep_copy(doc), id);
    bp_db_result r = event ? bp_outbox_add(db, svc->operation_topic, key, event) : BP_DB_ERROR;
    json_decref(event);
    return r;
}

/* Everything one attempt needs, built once per request. */
typedef struct {
    const bl_service *svc;
    bp_db *db;
    const json_t *req;
    const char *idem_key, *path;
    char *fingerprint; /* canonical request text */
    bl_operation op;
    json_t *vat;       /* the operation's VAT breakdown, once amounts are parsed */
    char parsed_in[4]; /* the currency the amounts were parsed in ("" before) */
    bl_outcome *o;     /* the answer */
    bl_result res;     /* the last attempt's result */
} attempt_ctx;

/* Finishes the operation document: identity and status first, then the request. */
static json_t *op_doc(const bl_operation *op, const char *id, const bl_account *a,
                      const char *status, const char *code, const char *message)
{
    char now[40];
    bp_time_format_now(now, sizeof now);
    json_t *doc = json_pack("{s:s, s:s}", "operationId", id, "status", status);
    json_object_set_new(doc, "contractId",
                        json_string(a                 ? a->contract_id
                                    : op->contract_id ? op->contract_id
                                                      : ""));
    json_object_set_new(doc, "contractRef",
                        json_string(a                  ? a->contract_ref
                                    : op->contract_ref ? op->contract_ref
                                                       : ""));
    if (code != NULL)
        json_object_set_new(doc, "rejection",
                            json_pack("{s:s, s:s}", "code", code, "message", message));
    /* The earlier API's names: the sales system's reference and the contract. */
    json_object_set_new(doc, "operationRef", json_string(op->order_ref));
    json_object_update(doc, op->doc);
    char today[11];
    bp_date_format(bp_date_local(bp_time_now_ms()), today, sizeof today);
    json_object_set_new(doc, "billing",
                        json_pack("{s:s, s:s}", "subscriptionRef",
                                  json_string_value(json_object_get(doc, "contractRef")),
                                  "createdAt", today));
    json_object_set_new(doc, "createdAt", json_string(now));
    return doc;
}

static void row_init(bl_op_row *row, const attempt_ctx *c, const char *id, const bl_account *a,
                     const char *status, const char *reason, const char *currency, char *date,
                     const json_t *doc)
{
    bp_date_format(c->op.operation_date, date, 11);
    *row = (bl_op_row){.operation_id = id,
                       .contract_id = a ? a->contract_id : NULL,
                       .contract_ref = a                    ? a->contract_ref
                                       : c->op.contract_ref ? c->op.contract_ref
                                                            : c->op.contract_id,
                       .order_ref = c->op.order_ref,
                       .type = bl_op_type_name(c->op.type),
                       .refund_of = c->op.refund_of,
                       .status = status,
                       .reason = reason,
                       .currency = currency,
                       .fingerprint = c->fingerprint,
                       .amount = c->op.total_with_tax,
                       .amount_without_tax = c->op.total_without_tax,
                       .amount_tax = c->op.total_tax,
                       .vat = c->vat,
                       .operation_at_ms = c->op.operation_at_ms,
                       .operation_date = date,
                       .doc = doc};
}

/* Records a refusal with its event. Leaves the transaction open. */
static bl_result reject(attempt_ctx *c, const bl_account *a, const char *currency, const char *code,
                        const char *message, bl_outcome *o, bp_db_result *dbr)
{
    char id[37], date[11];
    bp_uuid_v4(id);
    json_t *doc = op_doc(&c->op, id, a, "REJECTED", code, message);
    bl_op_row row;
    row_init(&row, c, id, a, "REJECTED", code, currency, date, doc);
    *dbr = bl_store_insert_rejected(c->db, &row);
    const char *key = a ? a->contract_id : row.contract_ref;
    if (*dbr == BP_DB_OK)
        *dbr = emit(c->svc, c->db, "operation.rejected", key, id, doc);
    json_decref(doc);
    snprintf(o->code, sizeof o->code, "%s", code);
    snprintf(o->message, sizeof o->message, "%s", message);
    snprintf(o->detail, sizeof o->detail, "%s", id);
    /* The refusal is recorded: a retry with the same key gets the same 422. */
    if (*dbr == BP_DB_OK && c->idem_key != NULL) {
        json_t *stored =
            json_pack("{s:s, s:s, s:s}", "code", code, "message", message, "detail", id);
        *dbr = bp_idem_store(c->db, c->idem_key, 422, stored);
        json_decref(stored);
    }
    return BL_R_REJECTED;
}

static const char *refund_reason(attempt_ctx *c, const bl_account *a, char *msg, size_t size,
                                 bp_db_result *dbr)
{
    bool found = false;
    int64_t amount = 0, refunded = 0;
    *dbr =
        bl_store_purchase_state(c->db, a->contract_id, c->op.refund_of, &found, &amount, &refunded);
    if (!found) {
        snprintf(msg, size, "no accepted purchase with orderRef '%s' on this contract",
                 c->op.refund_of);
        return "REFUND_ORDER_UNKNOWN";
    }
    int exponent = 2;
    bp_currency_exponent(a->currency, &exponent);
    char left[32];
    bp_money_format(amount - refunded, exponent, left, sizeof left);
    snprintf(msg, size, "the refund exceeds the %s %s left to refund on purchase '%s'", left,
             a->currency, c->op.refund_of);
    return "REFUND_EXCEEDS_PURCHASE";
}

/* Claims the Idempotency-Key, if any. Returns BL_R_OK to go on, or the answer: a
 * replay (a recorded refusal is answered again as a refusal), a mismatch, a failure. */
static bl_result idem_claim(attempt_ctx *c, bl_outcome *o, bp_db_result *dbr)
{
    if (c->idem_key == NULL)
        return BL_R_OK;
    json_t *stored = NULL;
    switch (bp_idem_claim(c->db, c->idem_key, "POST", c->path, c->req, &o->replay_status, &stored,
                          dbr)) {
    case BP_IDEM_NEW:
        return BL_R_OK;
    case BP_IDEM_REPLAY:
        if (o->replay_status == 422) { /* a recorded refusal */
            snprintf(o->code, sizeof o->code, "%s",
                     json_string_value(json_object_get(stored, "code")));
            snprintf(o->message, sizeof o->message, "%s",
                     json_string_value(json_object_get(stored, "message")));
            snprintf(o->detail, sizeof o->detail, "%s",
                     json_string_value(json_object_get(stored, "detail")));
            json_decref(stored);
            return BL_R_REJECTED;
        }
        o->resource = stored;
        return BL_R_REPLAY;
    case BP_IDEM_MISMATCH:
        return BL_R_IDEM_MISMATCH;
    case BP_IDEM_DB_ERROR:
        break;
    }
    return BL_R_INTERNAL;
}

/* Parses the amounts in `currency`, once per request: an attempt after a retry
 * finds them parsed (the currency is the same unless the contract changed). */
static bool amounts_in(attempt_ctx *c, const char *currency, int exponent, bl_outcome *o)
{
    if (c->op.doc != NULL && strcmp(c->parsed_in, currency) == 0)
        return true;
    json_decref(c->op.doc);
    c->op.doc = NULL;
    c->parsed_in[0] = '\0';
    if (!bl_operation_parse_amounts(c->req, currency, exponent, &c->op, &o->verr))
        return false;
    snprintf(c->parsed_in, sizeof c->parsed_in, "%s", currency);
    json_decref(c->vat);
    c->vat = bl_operation_vat_json(&c->op);
    return true;
}

/* The atomic statement refused the operation: reads the account again to say why
 * (the decision itself was atomic) and records the refusal. */
static bl_result explain_refusal(attempt_ctx *c, bl_account *a, const char *currency, int exponent,
                                 bl_outcome *o, bp_db_result *dbr)
{
    char msg[300];
    if (c->op.type == BL_REFUND) {
        const char *code = refund_reason(c, a, msg, sizeof msg, dbr);
        if (*dbr != BP_DB_OK)
            return BL_R_INTERNAL;
        return reject(c, a, currency, code, msg, o, dbr);
    }
    char contract_id[sizeof a->contract_id];
    memcpy(contract_id, a->contract_id, sizeof contract_id); /* `a` is overwritten */
    bool found = false;
    *dbr = bl_store_get_account(c->db, contract_id, NULL, a, &found, NULL);
    if (*dbr != BP_DB_OK)
        return BL_R_INTERNAL;
    bl_reason reason = bl_authorize(a, currency, c->op.operation_date, c->op.total_with_tax);
    if (reason == BL_OK) /* a concurrent purchase took the room between the two reads */
        reason = BL_CREDIT_LIMIT_EXCEEDED;
    bl_reason_message(reason, a, currency, c->op.operation_date, c->op.total_with_tax, exponent,
                      msg, sizeof msg);
    return reject(c, a, currency, bl_reason_code(reason), msg, o, dbr);
}

/* Reads the account of the operation's contract and refreshes the identity cache. */
static bp_db_result account_of(attempt_ctx *c, bl_account *a, bool *found)
{
    bp_db_result r = bl_store_get_account(
        c->db, c->op.contract_id, c->op.contract_id ? NULL : c->op.contract_ref, a, found, NULL);
    if (r == BP_DB_OK && *found) {
        bl_ident ident;
        snprintf(ident.contract_id, sizeof ident.contract_id, "%s", a->contract_id);
        snprintf(ident.contract_ref, sizeof ident.contract_ref, "%s", a->contract_ref);
        snprintf(ident.currency, sizeof ident.currency, "%s", a->currency);
        bl_idcache_put(&ident);
    }
    return r;
}

/* One attempt. Leaves the transaction open only when *dbr is OK and the
 * result is to be committed (CREATED or REJECTED). */
static bl_result operate_once(attempt_ctx *c, bl_outcome *o, bp_db_result *dbr, bool *commit)
{
    *commit = false;
    *dbr = BP_DB_OK;
    bl_result res = idem_claim(c, o, dbr);
    if (res != BL_R_OK)
        return res;
    bl_account a;
    bool found = false;
    *dbr = account_of(c, &a, &found);
    if (*dbr != BP_DB_OK)
        return BL_R_INTERNAL;
    const char *currency = c->op.currency ? c->op.currency : found ? a.currency : "EUR";
    int exponent = 2;
    bp_currency_exponent(currency, &exponent);
    if (!amounts_in(c, currency, exponent, o))
        return BL_R_INVALID;
    *commit = true;
    if (!found)
        return reject(c, NULL, currency, "CONTRACT_UNKNOWN", "billing knows no such contract", o,
                      dbr);
    json_t *existing = NULL;
    bool same = false;
    *dbr = bl_store_find_order(c->db, a.contract_id, bl_op_type_name(c->op.type), c->op.order_ref,
                               c->fingerprint, &existing, &same);
    if (*dbr != BP_DB_OK)
        return BL_R_INTERNAL;
    if (existing != NULL) { /* the same order again: the first answer, or a conflict */
        *commit = false;
        if (!same) {
            json_decref(existing);
            return BL_R_DUPLICATE_ORDER;
        }
        o->resource = existing;
        o->replay_status = 201;
        return BL_R_REPLAY;
    }
    if (strcmp(currency, a.currency) != 0) {
        char msg[300];
        bl_reason_message(BL_CURRENCY_MISMATCH, &a, currency, c->op.operation_date, 0, exponent,
                          msg, sizeof msg);
        return reject(c, &a, currency, "CURRENCY_MISMATCH", msg, o, dbr);
    }
    char id[37], date[11];
    bp_uuid_v4(id);
    json_t *doc = op_doc(&c->op, id, &a, "ACCEPTED", NULL, NULL);
    bl_op_row row;
    row_init(&row, c, id, &a, "ACCEPTED", NULL, currency, date, doc);
    bool accepted = false;
    *dbr = c->op.type == BL_PURCHASE ? bl_store_accept_purchase(c->db, &row, &accepted)
                                     : bl_store_accept_refund(c->db, &row, &accepted);
    if (*dbr == BP_DB_OK && accepted) {
        *dbr = emit(c->svc, c->db, "operation.accepted", a.contract_id, id, doc);
        if (*dbr == BP_DB_OK && c->idem_key != NULL)
            *dbr = bp_idem_store(c->db, c->idem_key, 201, doc);
        o->resource = doc;
        return BL_R_CREATED;
    }
    json_decref(doc);
    if (*dbr != BP_DB_OK)
        return BL_R_INTERNAL;
    return explain_refusal(c, &a, currency, exponent, o, dbr);
}

static bp_db_result operate_attempt(bp_db *db, void *arg, bool *commit)
{
    attempt_ctx *c = arg;
    bp_db_result dbr = BP_DB_OK;
    bl_outcome_clear(c->o);
    c->db = db;
    c->res = operate_once(c, c->o, &dbr, commit);
    return dbr;
}

/* The hot path of a purchase on a contract whose identity is cached: one
 * autocommit statement authorises, records the operation and its event.
 * Returns true with *res when it answered; false sends the request down the
 * slow path (refusal to explain, orderRef already used, cache stale). */
static bool operate_fast(attempt_ctx *c, const bl_ident *ident, bl_outcome *o, bl_result *res)
{
    int exponent = 2;
    bp_currency_exponent(ident->currency, &exponent);
    if (!amounts_in(c, ident->currency, exponent, o)) {
        *res = BL_R_INVALID;
        return true;
    }
    bl_account a = {0};
    memcpy(a.contract_id, ident->contract_id, sizeof a.contract_id);
    memcpy(a.contract_ref, ident->contract_ref, sizeof a.contract_ref);
    char id[37], date[11], event_id[37];
    bp_uuid_v4(id);
    json_t *doc = op_doc(&c->op, id, &a, "ACCEPTED", NULL, NULL);
    json_t *event =
        bp_cloudevent_new(c->svc->source, "operation.accepted", id, json_deep_copy(doc), event_id);
    char *payload = event ? bp_outbox_payload(event) : NULL;
    json_decref(event);
    bl_op_row row;
    row_init(&row, c, id, &a, "ACCEPTED", NULL, ident->currency, date, doc);
    bool accepted = false;
    bp_db_result r = payload ? bl_store_fast_purchase(c->db, c->svc->gc, &row, event_id,
                                                      c->svc->operation_topic, payload, &accepted)
                             : BP_DB_ERROR;
    free(payload);
    if (r == BP_DB_OK && accepted) {
        bp_outbox_relay_wake(c->svc->relay);
        o->resource = doc;
        *res = BL_R_CREATED;
        return true;
    }
    json_decref(doc); /* the amounts stay parsed for the slow path */
    if (r == BP_DB_OK || r == BP_DB_CONFLICT || r == BP_DB_RETRY)
        return false;
    *res = db_failure(c->db, r, "operation");
    return true;
}

bl_result bl_service_operate(const bl_service *svc, bp_db *db, const json_t *req,
                             const char *idem_key, const char *path, bl_outcome *o)
{
    attempt_ctx c = {.svc = svc, .db = db, .req = req, .idem_key = idem_key, .path = path, .o = o};
    if (!bl_operation_parse_head(req, &c.op, &o->verr))
        return BL_R_INVALID;
    c.fingerprint = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
    bl_result res = BL_R_INTERNAL;
    bl_ident ident;
    if (idem_key == NULL && c.op.type == BL_PURCHASE && c.op.currency != NULL &&
        bl_idcache_get(c.op.contract_id, c.op.contract_id ? NULL : c.op.contract_ref, &ident) &&
        strcmp(ident.currency, c.op.currency) == 0 && operate_fast(&c, &ident, o, &res)) {
        bl_metrics_operation(c.op.type, res, o->code);
        json_decref(c.op.doc);
        json_decref(c.vat);
        free(c.fingerprint);
        return res;
    }
    bool committed = false;
    bp_db_result dbr =
        bp_db_transact(db, BP_DB_ATTEMPTS, RETRYABLE, operate_attempt, &c, &committed);
    if (dbr == BP_DB_OK) {
        res = c.res;
        if (committed)
            bp_outbox_relay_wake(svc->relay);
    } else {
        bl_outcome_clear(o);
        res = dbr == BP_DB_RETRY ? BL_R_UNAVAILABLE : db_failure(db, dbr, "operation");
    }
    bl_metrics_operation(c.op.type, res, o->code);
    json_decref(c.op.doc);
    json_decref(c.vat);
    free(c.fingerprint);
    return res;
}

bl_result bl_service_get_operation(bp_db *db, const char *id, bl_outcome *o)
{
    bp_db_result r = bl_store_get_operation(db, id, &o->resource);
    if (r != BP_DB_OK)
        return db_failure(db, r, "get operation");
    return o->resource ? BL_R_OK : BL_R_NOT_FOUND;
}

bl_result bl_service_get_account(bp_db *db, const char *ref, bl_outcome *o)
{
    bl_account a;
    bool found = false;
    char updated[32] = "";
    bp_db_result r = bl_store_get_account(db, NULL, ref, &a, &found, updated);
    if (r != BP_DB_OK)
        return db_failure(db, r, "get account");
    if (!found)
        return BL_R_NOT_FOUND;
    json_t *failed = NULL;
    r = bl_istore_failed_payments(db, a.contract_id, &failed);
    if (r != BP_DB_OK)
        return db_failure(db, r, "get account");
    o->resource = bl_account_json(&a, updated);
    json_object_set_new(o->resource, "failedPayments", failed);
    return BL_R_OK;
}
