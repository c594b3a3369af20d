/* mailer_http: /mails. Runs on MHD worker threads, each with its own pooled
 * connection. Read-only: mails are created by events, never by the API. */
#include "mailer_http.h"

#include "bp_query.h"
#include "bp_ready.h"
#include "mailer_service.h"

#include <stdio.h>
#include <string.h>

static ml_http_app *app_of(bp_http_request *req) { return bp_http_app(req); }
static bp_db *conn(bp_http_request *req) { return bp_db_pool_get(app_of(req)->pool); }

/* The one place where results become status codes. Takes ownership of `doc`. */
static void reply(bp_http_response *resp, ml_result r, json_t *doc)
{
    switch (r) {
    case ML_R_OK:
        bp_http_reply_json(resp, 200, doc);
        return;
    default:
        bp_http_reply_common(resp, r, NULL, "no such resource", "invoice-mailer");
    }
    json_decref(doc);
}

static void h_get_mail(bp_http_request *req, bp_http_response *resp)
{
    json_t *doc = NULL;
    ml_result r = ml_service_get(conn(req), bp_http_param(req, 0), &doc);
    reply(resp, r, doc);
}

static bool status_query(bp_http_request *req, bp_http_response *resp, const char **out)
{
    static const char *const statuses[] = {"PENDING", "SENDING", "RETRY", "SENT", "FAILED", NULL};
    return bp_query_enum(req, resp, "status", statuses, out);
}

static void h_list_mails(bp_http_request *req, bp_http_response *resp)
{
    int64_t page, size;
    ml_mail_filter f = {.contract_ref = bp_http_query(req, "contractRef"),
                        .to = bp_http_query(req, "to")};
    if (!bp_http_page(req, resp, &page, &size) || !status_query(req, resp, &f.status))
        return;
    f.limit = size;
    f.offset = (page - 1) * size;
    json_t *items = NULL;
    int64_t total = 0;
    ml_result r = ml_service_list(conn(req), &f, &items, &total);
    if (r != ML_R_OK) {
        reply(resp, r, NULL);
        return;
    }
    json_t *meta = bp_http_page_metadata(req, json_array_size(items), total, page, size);
    reply(resp, ML_R_OK, json_pack("{s:o, s:o}", "mails", items, "metadata", meta));
}

static const bp_http_route routes[] = {
    {.method = "GET", .pattern = "/mails", .scope = BP_SCOPE_READ, .handler = h_list_mails},
    {.method = "GET",
     .pattern = "/mails/{invoiceRef}",
     .scope = BP_SCOPE_READ,
     .handler = h_get_mail},
};

const bp_http_route *ml_http_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

bool ml_http_ready(void *arg, json_t *checks)
{
    ml_http_app *app = arg;
    return bp_ready_check(app->pool, app->relay, app->consumer, checks);
}
