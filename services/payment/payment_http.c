/* payment_http: /payments. Payments are created by the consumer; the one
 * write is a finance operator's retry of a FAILED payment.
 * Runs on MHD worker threads, each with its own pooled connection. */
#include "payment_http.h"

#include "bp_query.h"
#include "bp_ready.h"
#include "payment_service.h"

#include <stdio.h>
#include <string.h>

static pm_http_app *app_of(bp_http_request *req) { return bp_http_app(req); }
static bp_db *conn(bp_http_request *req) { return bp_db_pool_get(app_of(req)->pool); }

/* The one mapping from results to answers; takes ownership of `body`. */
static void reply(bp_http_response *resp, pm_result r, json_t *body)
{
    switch (r) {
    case PM_R_OK:
        bp_http_reply_json(resp, 200, body);
        return;
    case PM_R_NOT_FAILED:
        bp_http_reply_error(resp, 409, "PAYMENT_NOT_FAILED", "only a FAILED payment can be retried",
                            NULL);
        break;
    default:
        bp_http_reply_common(resp, r, NULL, "no such resource", "payment");
    }
    json_decref(body);
}

static void h_get_payment(bp_http_request *req, bp_http_response *resp)
{
    json_t *resource = NULL;
    pm_result r = pm_service_get(conn(req), bp_http_param(req, 0), &resource);
    reply(resp, r, resource);
}

static void h_retry_payment(bp_http_request *req, bp_http_response *resp)
{
    json_t *resource = NULL;
    pm_result r =
        pm_service_retry_now(app_of(req)->svc, conn(req), bp_http_param(req, 0), &resource);
    reply(resp, r, resource);
}

static void h_list_payments(bp_http_request *req, bp_http_response *resp)
{
    static const char *const statuses[] = {"PENDING", "SUCCEEDED", "FAILED", NULL};
    int64_t page, size;
    pm_filter f = {0};
    if (!bp_query_text(req, resp, "invoiceRef", 1, 100, &f.invoice_ref) ||
        !bp_query_text(req, resp, "contractRef", 1, 100, &f.contract_ref) ||
        !bp_http_page(req, resp, &page, &size) ||
        !bp_query_enum(req, resp, "status", statuses, &f.status))
        return;
    f.limit = size;
    f.offset = (page - 1) * size;
    json_t *items = NULL;
    int64_t total = 0;
    pm_result r = pm_service_list(conn(req), &f, &items, &total);
    json_t *body = NULL;
    if (r == PM_R_OK) {
        json_t *meta = bp_http_page_metadata(req, json_array_size(items), total, page, size);
        body = json_pack("{s:o, s:o}", "payments", items, "metadata", meta);
    }
    reply(resp, r, body);
}

static const bp_http_route routes[] = {
    {.method = "GET", .pattern = "/payments", .scope = BP_SCOPE_READ, .handler = h_list_payments},
    {.method = "GET",
     .pattern = "/payments/{paymentId}",
     .scope = BP_SCOPE_READ,
     .handler = h_get_payment},
    {.method = "POST",
     .pattern = "/payments/{paymentId}/retry",
     .scope = BP_SCOPE_WRITE,
     .handler = h_retry_payment},
};

const bp_http_route *pm_http_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

bool pm_http_ready(void *arg, json_t *checks)
{
    pm_http_app *app = arg;
    return bp_ready_check(app->pool, app->relay, app->consumer, checks);
}
