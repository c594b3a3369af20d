/* billing_http: /operations, /contracts/{ref}/account, /billing-runs and /invoices
 * (an invoice in JSON or, by Accept, as its PDF). Runs on MHD worker threads, each
 * with its own pooled connection. */
#include "billing_http.h"

#include "billing_invoice_store.h"
#include "billing_period.h"
#include "billing_store.h"
#include "bp_http_accept.h"
#include "bp_idempotency.h"
#include "bp_invoice_pdf.h"
#include "bp_log.h"
#include "bp_query.h"
#include "bp_ready.h"
#include "bp_time.h"

#include <stdio.h>
#include <string.h>

static bl_http_app *app_of(bp_http_request *req) { return bp_http_app(req); }
static bp_db *conn(bp_http_request *req) { return bp_db_pool_get(app_of(req)->pool); }

static void reply(bp_http_response *resp, bl_result r, bl_outcome *o)
{
    switch (r) {
    case BL_R_CREATED:
    case BL_R_OK:
        if (o->text != NULL) {
            resp->status = r == BL_R_CREATED ? 201 : 200;
            resp->text = o->text;
            resp->content_type = "application/json";
            o->text = NULL;
            return;
        }
        bp_http_reply_json(resp, r == BL_R_CREATED ? 201 : 200, o->resource);
        o->resource = NULL;
        return;
    case BL_R_REPLAY:
        bp_http_reply_json(resp, o->replay_status, o->resource);
        o->resource = NULL;
        return;
    case BL_R_REJECTED:
        bp_http_reply_error(resp, 422, o->code, o->message, o->detail);
        return;
    case BL_R_DUPLICATE_ORDER:
        bp_http_reply_error(resp, 409, "DUPLICATE_ORDER_REF",
                            "this contract already has an accepted operation with this orderRef "
                            "and a different content",
                            "order.orderRef");
        return;
    default:
        bp_http_reply_common(resp, r, &o->verr, "no such resource", "billing");
    }
}

static void h_post_operation(bp_http_request *req, bp_http_response *resp)
{
    char keybuf[256];
    const char *key = bp_http_idempotency_key(req, resp, keybuf, sizeof keybuf);
    if (resp->status != 0)
        return;
    json_t *body = bp_http_json_body(req, resp, false);
    if (body == NULL)
        return;
    bl_outcome o = {0};
    bl_result r =
        bl_service_operate(&app_of(req)->service, conn(req), body, key, bp_http_path(req), &o);
    if (r == BL_R_CREATED || (r == BL_R_REPLAY && o.replay_status == 201)) {
        const char *id = json_string_value(json_object_get(o.resource, "operationId"));
        snprintf(resp->location, sizeof resp->location, "/operations/%s", id ? id : "");
    }
    reply(resp, r, &o);
    bl_outcome_clear(&o);
}

static void h_get_operation(bp_http_request *req, bp_http_response *resp)
{
    bl_outcome o = {0};
    bl_result r = bl_service_get_operation(conn(req), bp_http_param(req, 0), &o);
    reply(resp, r, &o);
    bl_outcome_clear(&o);
}

static bool date_query(bp_http_request *req, bp_http_response *resp, const char *name,
                       const char **out)
{
    bp_date d;
    *out = bp_http_query(req, name);
    if (*out == NULL || bp_date_parse(*out, &d))
        return true;
    char msg[128];
    snprintf(msg, sizeof msg,
             "query parameter %s must be a date YYYY-MM-DD (" BP_DATE_RANGE_TEXT ")", name);
    bp_http_reply_error(resp, 400, "VALIDATION_ERROR", msg, name);
    return false;
}

static void h_list_operations(bp_http_request *req, bp_http_response *resp)
{
    static const char *const statuses[] = {"ACCEPTED", "REJECTED", NULL};
    static const char *const types[] = {"PURCHASE", "REFUND", NULL};
    int64_t page, size;
    bl_op_filter f = {.contract_ref = bp_http_query(req, "contractRef"),
                      .invoice_ref = bp_http_query(req, "invoiceRef")};
    if (!bp_http_page(req, resp, &page, &size) ||
        !bp_query_enum(req, resp, "status", statuses, &f.status) ||
        !bp_query_enum(req, resp, "operationType", types, &f.type) ||
        !date_query(req, resp, "from", &f.from) || !date_query(req, resp, "to", &f.to))
        return;
    f.limit = size;
    f.offset = (page - 1) * size;
    json_t *items = NULL;
    int64_t total = 0;
    bp_db *db = conn(req);
    bp_db_result r = bl_store_list_operations(db, &f, &items, &total);
    if (r != BP_DB_OK) {
        bl_outcome o = {0};
        reply(resp, r == BP_DB_UNAVAILABLE ? BL_R_UNAVAILABLE : BL_R_INTERNAL, &o);
        return;
    }
    json_t *meta = bp_http_page_metadata(req, json_array_size(items), total, page, size);
    /* `orders` is the earlier API's name for the same list. */
    bp_http_reply_json(
        resp, 200,
        json_pack("{s:o, s:O, s:o}", "operations", items, "orders", items, "metadata", meta));
}

static void h_get_account(bp_http_request *req, bp_http_response *resp)
{
    bl_outcome o = {0};
    bl_result r = bl_service_get_account(conn(req), bp_http_param(req, 0), &o);
    reply(resp, r, &o);
    bl_outcome_clear(&o);
}

static void h_post_run(bp_http_request *req, bp_http_response *resp)
{
    json_t *body = bp_http_json_body(req, resp, false);
    if (body == NULL)
        return;
    bl_outcome o = {0};
    const char *period = bp_v_string(body, "", "period", true, 7, 7, &o.verr);
    json_t *dry = json_object_get(body, "dryRun");
    if (!o.verr.failed && dry != NULL && !json_is_boolean(dry))
        bp_verr_set(&o.verr, "", "dryRun", "must be true or false");
    bl_result r = o.verr.failed ? BL_R_INVALID
                                : bl_run_execute(&app_of(req)->runs, conn(req), period,
                                                 json_is_true(dry), "api", &o);
    if (r == BL_R_CREATED) {
        snprintf(resp->location, sizeof resp->location, "/billing-runs/%s",
                 json_string_value(json_object_get(o.resource, "runId")));
    }
    reply(resp, r, &o);
    bl_outcome_clear(&o);
}

static void h_get_run(bp_http_request *req, bp_http_response *resp)
{
    bl_outcome o = {0};
    bp_db_result r = bl_istore_run_get(conn(req), bp_http_param(req, 0), &o.resource);
    reply(resp,
          r != BP_DB_OK ? (r == BP_DB_UNAVAILABLE ? BL_R_UNAVAILABLE : BL_R_INTERNAL)
          : o.resource  ? BL_R_OK
                        : BL_R_NOT_FOUND,
          &o);
    bl_outcome_clear(&o);
}

static void h_list_runs(bp_http_request *req, bp_http_response *resp)
{
    int64_t page, size, total = 0;
    if (!bp_http_page(req, resp, &page, &size))
        return;
    json_t *items = NULL;
    bp_db_result r = bl_istore_run_list(conn(req), size, (page - 1) * size, &items, &total);
    if (r != BP_DB_OK) {
        bl_outcome o = {0};
        reply(resp, r == BP_DB_UNAVAILABLE ? BL_R_UNAVAILABLE : BL_R_INTERNAL, &o);
        return;
    }
    json_t *meta = bp_http_page_metadata(req, json_array_size(items), total, page, size);
    bp_http_reply_json(resp, 200, json_pack("{s:o, s:o}", "billingRuns", items, "metadata", meta));
}

/* The invoice as its PDF document (bp_invoice_pdf), rendered from the same JSON. */
static void reply_pdf(bp_http_response *resp, const json_t *invoice)
{
    unsigned char *pdf = NULL;
    size_t len = 0;
    char why[200] = "";
    if (bp_invoice_pdf_from_json(invoice, &pdf, &len, why, sizeof why) != BP_PDF_OK) {
        bp_log_error("invoice %s: no PDF: %s",
                     json_string_value(json_object_get(invoice, "invoiceRef")), why);
        bp_http_reply_error(resp, 500, "INTERNAL", "the invoice could not be rendered as PDF",
                            NULL);
        return;
    }
    char name[128];
    bp_invoice_pdf_filename(json_string_value(json_object_get(invoice, "invoiceRef")), name,
                            sizeof name);
    resp->status = 200;
    resp->text = (char *)pdf;
    resp->text_len = len;
    resp->content_type = "application/pdf";
    snprintf(resp->disposition, sizeof resp->disposition, "inline; filename=\"%s\"", name);
}

/* GET /invoices/{invoiceRef}: JSON, or the PDF when Accept prefers application/pdf.
 * An Accept naming neither gets JSON, as every other route does (no 406). */
static void h_get_invoice(bp_http_request *req, bp_http_response *resp)
{
    static const char *const types[] = {"application/json", "application/pdf"};
    bool pdf = bp_http_accept_pick(bp_http_header(req, "Accept"), types, 2) == 1;
    resp->vary = "Accept";
    bl_outcome o = {0};
    bp_db_result r = bl_istore_get_invoice(conn(req), bp_http_param(req, 0), &o.resource);
    if (r == BP_DB_OK && o.resource != NULL && pdf) {
        reply_pdf(resp, o.resource);
        bl_outcome_clear(&o);
        return;
    }
    reply(resp,
          r != BP_DB_OK ? (r == BP_DB_UNAVAILABLE ? BL_R_UNAVAILABLE : BL_R_INTERNAL)
          : o.resource  ? BL_R_OK
                        : BL_R_NOT_FOUND,
          &o);
    bl_outcome_clear(&o);
}

static void h_list_invoices(bp_http_request *req, bp_http_response *resp)
{
    static const char *const statuses[] = {"ISSUED", "SENT", "PAID", "PAYMENT_FAILED", NULL};
    int64_t page, size, total = 0;
    bl_invoice_filter f = {.contract_ref = bp_http_query(req, "contractRef"),
                           .period = bp_http_query(req, "period")};
    if (!bp_http_page(req, resp, &page, &size) ||
        !bp_query_enum(req, resp, "status", statuses, &f.status))
        return;
    bl_period p;
    if (f.period != NULL && !bl_period_parse(f.period, &p)) {
        bp_http_reply_error(
            resp, 400, "VALIDATION_ERROR",
            "query parameter period must be a month YYYY-MM (" BL_PERIOD_RANGE_TEXT ")", "period");
        return;
    }
    f.limit = size;
    f.offset = (page - 1) * size;
    json_t *items = NULL;
    bp_db_result r = bl_istore_list_invoices(conn(req), &f, &items, &total);
    if (r != BP_DB_OK) {
        bl_outcome o = {0};
        reply(resp, r == BP_DB_UNAVAILABLE ? BL_R_UNAVAILABLE : BL_R_INTERNAL, &o);
        return;
    }
    json_t *meta = bp_http_page_metadata(req, json_array_size(items), total, page, size);
    bp_http_reply_json(resp, 200, json_pack("{s:o, s:o}", "invoices", items, "metadata", meta));
}

static const bp_http_route routes[] = {
    {.method = "POST", .pattern = "/billing-runs", .scope = BP_SCOPE_WRITE, .handler = h_post_run},
    {.method = "GET", .pattern = "/billing-runs", .scope = BP_SCOPE_READ, .handler = h_list_runs},
    {.method = "GET",
     .pattern = "/billing-runs/{runId}",
     .scope = BP_SCOPE_READ,
     .handler = h_get_run},
    {.method = "GET", .pattern = "/invoices", .scope = BP_SCOPE_READ, .handler = h_list_invoices},
    {.method = "GET",
     .pattern = "/invoices/{invoiceRef}",
     .scope = BP_SCOPE_READ,
     .handler = h_get_invoice},
    {.method = "POST",
     .pattern = "/operations",
     .scope = BP_SCOPE_WRITE,
     .handler = h_post_operation},
    {.method = "GET",
     .pattern = "/operations",
     .scope = BP_SCOPE_READ,
     .handler = h_list_operations},
    {.method = "GET",
     .pattern = "/operations/{operationId}",
     .scope = BP_SCOPE_READ,
     .handler = h_get_operation},
    {.method = "GET",
     .pattern = "/contracts/{contractRef}/account",
     .scope = BP_SCOPE_READ,
     .handler = h_get_account},
};

const bp_http_route *bl_http_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

bool bl_http_ready(void *arg, json_t *checks)
{
    bl_http_app *app = arg;
    return bp_ready_check(app->pool, app->relay, app->consumer, checks);
}
