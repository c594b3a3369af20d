/* contract_http: routes of /contracts, request → service call → response.
 * Runs on MHD worker threads; each uses its own pooled database connection. */
#include "contract_http.h"

#include "bp_idempotency.h"
#include "bp_query.h"
#include "contract_model.h"
#include "bp_ready.h"
#include "bp_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ct_http_app *app_of(bp_http_request *req) { return bp_http_app(req); }

/* The single place where service results become HTTP answers. */
static void reply(bp_http_response *resp, ct_result r, ct_outcome *o, int ok_status)
{
    switch (r) {
    case CT_OK:
        bp_http_reply_json(resp, ok_status, o->resource);
        o->resource = NULL;
        return;
    case CT_REPLAY:
        bp_http_reply_json(resp, o->replay_status, o->resource);
        o->resource = NULL;
        return;
    case CT_DUPLICATE_REF:
        bp_http_reply_error(resp, 409, "DUPLICATE_CONTRACT_REF",
                            "a contract with this contractRef already exists", "contractRef");
        return;
    case CT_ILLEGAL_TRANSITION:
        bp_http_reply_error(resp, 409, "ILLEGAL_TRANSITION", o->message, NULL);
        return;
    case CT_CURRENCY_MISMATCH:
        bp_http_reply_error(resp, 422, "CURRENCY_MISMATCH", o->message, "currency");
        return;
    default:
        bp_http_reply_common(resp, r, &o->verr, "no contract with this contractRef", "contract");
    }
}

/* Reads the (scoped) Idempotency-Key into buf. Returns false after replying 400. */
static bool idem_key(bp_http_request *req, bp_http_response *resp, const char **key, char *buf,
                     size_t size)
{
    *key = bp_http_idempotency_key(req, resp, buf, size);
    return resp->status == 0;
}

static bp_db *conn(bp_http_request *req) { return bp_db_pool_get(app_of(req)->pool); }

static void h_create(bp_http_request *req, bp_http_response *resp)
{
    const char *key;
    char keybuf[256];
    if (!idem_key(req, resp, &key, keybuf, sizeof keybuf))
        return;
    json_t *body = bp_http_json_body(req, resp, false);
    if (body == NULL)
        return;
    ct_outcome o = {0};
    ct_result r =
        ct_service_create(&app_of(req)->service, conn(req), body, key, bp_http_path(req), &o);
    if (r == CT_OK || (r == CT_REPLAY && o.replay_status == 201)) {
        const char *ref = json_string_value(json_object_get(o.resource, "contractRef"));
        snprintf(resp->location, sizeof resp->location, "/contracts/%s", ref ? ref : "");
    }
    ct_model_spellings(o.resource, true);
    reply(resp, r, &o, 201);
    ct_outcome_clear(&o);
}

static void h_get(bp_http_request *req, bp_http_response *resp)
{
    ct_outcome o = {0};
    ct_result r = ct_service_get(conn(req), bp_http_param(req, 0), &o);
    ct_model_spellings(o.resource, true);
    reply(resp, r, &o, 200);
    ct_outcome_clear(&o);
}

static void h_list(bp_http_request *req, bp_http_response *resp)
{
    int64_t page, size;
    if (!bp_http_page(req, resp, &page, &size))
        return;
    const char *status = bp_http_query(req, "status");
    ct_status st;
    if (status != NULL && !ct_status_parse(status, &st)) {
        bp_http_reply_error(resp, 400, "VALIDATION_ERROR",
                            "status must be one of CREATED, ACTIVE, SUSPENDED, CANCELLED, EXPIRED",
                            "status");
        return;
    }
    const char *customer;
    if (!bp_query_text(req, resp, "customerRef", 1, 200, &customer))
        return;
    ct_outcome o = {0};
    int64_t total = 0;
    ct_result r = ct_service_list(conn(req), status, customer, page, size, &total, &o);
    json_t *item;
    size_t i;
    json_array_foreach(json_object_get(o.resource, "contracts"), i, item)
        ct_model_spellings(item, true);
    if (r == CT_OK)
        json_object_set_new(
            o.resource, "metadata",
            bp_http_page_metadata(req, json_array_size(json_object_get(o.resource, "contracts")),
                                  total, page, size));
    reply(resp, r, &o, 200);
    ct_outcome_clear(&o);
}

static void change(bp_http_request *req, bp_http_response *resp, ct_action action)
{
    const char *key;
    char keybuf[256];
    if (!idem_key(req, resp, &key, keybuf, sizeof keybuf))
        return;
    json_t *body = bp_http_json_body(req, resp, true);
    if (body == NULL)
        return;
    ct_outcome o = {0};
    ct_result r = ct_service_change(&app_of(req)->service, conn(req), bp_http_param(req, 0), action,
                                    body, key, bp_http_method(req), bp_http_path(req), &o);
    ct_model_spellings(o.resource, false);
    reply(resp, r, &o, 200);
    ct_outcome_clear(&o);
}

static void h_activate(bp_http_request *q, bp_http_response *s)
{
    change(q, s, CT_ACTION_ACTIVATE);
}
static void h_suspend(bp_http_request *q, bp_http_response *s) { change(q, s, CT_ACTION_SUSPEND); }
static void h_reactivate(bp_http_request *q, bp_http_response *s)
{
    change(q, s, CT_ACTION_REACTIVATE);
}
static void h_cancel(bp_http_request *q, bp_http_response *s) { change(q, s, CT_ACTION_CANCEL); }
static void h_mandate(bp_http_request *q, bp_http_response *s)
{
    change(q, s, CT_ACTION_SIGN_MANDATE);
}
static void h_revoke(bp_http_request *q, bp_http_response *s)
{
    change(q, s, CT_ACTION_REVOKE_MANDATE);
}
static void h_limit(bp_http_request *q, bp_http_response *s)
{
    change(q, s, CT_ACTION_CHANGE_CREDIT_LIMIT);
}

static const bp_http_route routes[] = {
    {.method = "POST", .pattern = "/contracts", .scope = BP_SCOPE_WRITE, .handler = h_create},
    {.method = "GET", .pattern = "/contracts", .scope = BP_SCOPE_READ, .handler = h_list},
    {.method = "GET",
     .pattern = "/contracts/{contractRef}",
     .scope = BP_SCOPE_READ,
     .handler = h_get},
    {.method = "POST",
     .pattern = "/contracts/{contractRef}/activate",
     .scope = BP_SCOPE_WRITE,
     .handler = h_activate},
    {.method = "POST",
     .pattern = "/contracts/{contractRef}/suspend",
     .scope = BP_SCOPE_WRITE,
     .handler = h_suspend},
    {.method = "POST",
     .pattern = "/contracts/{contractRef}/reactivate",
     .scope = BP_SCOPE_WRITE,
     .handler = h_reactivate},
    {.method = "POST",
     .pattern = "/contracts/{contractRef}/cancel",
     .scope = BP_SCOPE_WRITE,
     .handler = h_cancel},
    {.method = "PUT",
     .pattern = "/contracts/{contractRef}/mandate",
     .scope = BP_SCOPE_WRITE,
     .handler = h_mandate},
    {.method = "POST",
     .pattern = "/contracts/{contractRef}/mandate/revoke",
     .scope = BP_SCOPE_WRITE,
     .handler = h_revoke},
    {.method = "PUT",
     .pattern = "/contracts/{contractRef}/credit-limit",
     .scope = BP_SCOPE_WRITE,
     .handler = h_limit},
};

const bp_http_route *ct_http_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

bool ct_http_ready(void *arg, json_t *checks)
{
    ct_http_app *app = arg;
    return bp_ready_check(app->pool, app->relay, NULL, checks);
}
