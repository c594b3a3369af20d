/* bp_http: libmicrohttpd glue. A request context lives from MHD's first call for
 * a request to its completion callback; the body is collected into it, the route
 * is matched once the body is complete, and the handler's response is rendered
 * here, so every status code and error body leaves through one function. */
#include "bp_http.h"

#include "bp_buf.h"
#include "bp_docs.h"
#include "bp_http_gate.h"
#include "bp_http_head.h"
#include "bp_json_lax.h"
#include "bp_log.h"
#include "bp_idempotency.h"
#include "bp_metrics.h"
#include "bp_time.h"
#include "bp_validate.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct bp_http_server {
    struct MHD_Daemon *mhd;
    bp_http_gate *gate;
    bp_http_config cfg;
};

struct bp_http_request {
    bp_http_server *srv;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    const bp_http_route *route;
    char *params[BP_HTTP_MAX_PARAMS];
    size_t nparams;
    bp_buf body;     /* capped at max_body_bytes */
    bool started;    /* the first call of on_request happened */
    bool bad_target; /* the raw path or query holds a control character */
    bool too_large;
    bool answered; /* a response is queued already (early 413) */
    bp_http_gate_conn *gate_conn;
    json_t *json;
    int64_t started_us;
};

/* ---------- responses ---------- */

void bp_http_reply_json(bp_http_response *resp, int status, json_t *body)
{
    json_decref(resp->body);
    resp->status = status;
    resp->body = body;
}

static json_t *error_body(int status, const char *code, const char *message, const char *detail,
                          const char *path)
{
    json_t *err = json_object();
    json_object_set_new(err, "path", json_string(path ? path : ""));
    json_object_set_new(err, "timestamp", json_integer(bp_time_now_ms()));
    json_object_set_new(err, "errorCode", json_string(code));
    json_object_set_new(err, "status", json_integer(status));
    json_object_set_new(err, "message", json_string(message));
    if (detail != NULL)
        json_object_set_new(err, "detail", json_string(detail));
    json_t *errors = json_array();
    json_array_append_new(errors, err);
    json_t *body = json_object();
    json_object_set_new(body, "errors", errors);
    return body;
}

void bp_http_reply_error(bp_http_response *resp, int status, const char *code, const char *message,
                         const char *detail)
{
    bp_http_reply_json(resp, status, error_body(status, code, message, detail, resp->path));
}

bool bp_http_reply_common(bp_http_response *resp, int result, const bp_verr *verr,
                          const char *not_found, const char *service)
{
    char msg[400];
    switch ((bp_result)result) {
    case BP_R_INVALID:
        snprintf(msg, sizeof msg, "%s %s", verr ? verr->field : "", verr ? verr->message : "");
        bp_http_reply_error(resp, 400, "VALIDATION_ERROR", msg, verr ? verr->field : NULL);
        return true;
    case BP_R_NOT_FOUND:
        bp_http_reply_error(resp, 404, "NOT_FOUND", not_found, NULL);
        return true;
    case BP_R_IDEM_MISMATCH:
        bp_http_reply_error(resp, 409, "IDEMPOTENCY_KEY_REUSED",
                            "this Idempotency-Key was used with a different request", NULL);
        return true;
    case BP_R_UNAVAILABLE:
        snprintf(msg, sizeof msg, "the %s database cannot be reached; retry later", service);
        bp_http_reply_error(resp, 503, "DATABASE_UNAVAILABLE", msg, NULL);
        return true;
    case BP_R_INTERNAL:
        bp_http_reply_error(resp, 500, "INTERNAL", "internal error; see the service log", NULL);
        return true;
    case BP_R_OK:
    case BP_R_REPLAY:
    case BP_R_DOMAIN:
        break;
    }
    return false;
}

char *bp_http_error_text(int status, const char *code, const char *message, const char *path)
{
    json_t *body = error_body(status, code, message, NULL, path);
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    return text;
}

static bp_log_level status_level(int status)
{
    return status >= 500 ? BP_LOG_ERROR : status >= 400 ? BP_LOG_WARN : BP_LOG_INFO;
}

static enum MHD_Result send_response(bp_http_request *req, bp_http_response *resp)
{
    req->answered = true;
    char *text = NULL;
    size_t len = 0;
    if (resp->body != NULL) {
        text = json_dumps(resp->body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        if (text == NULL) {
            resp->status = 500;
            text = strdup("{\"errors\":[{\"errorCode\":\"INTERNAL\",\"status\":500}]}");
        }
        resp->content_type = "application/json";
    } else if (resp->text != NULL) {
        text = resp->text;
        len = resp->text_len;
        resp->text = NULL;
    }
    if (text != NULL && len == 0)
        len = strlen(text);
    struct MHD_Response *r;
    if (text != NULL)
        r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    else if (resp->bytes != NULL) /* static: sent from where it lies */
        r = MHD_create_response_from_buffer(resp->bytes_len, (void *)resp->bytes,
                                            MHD_RESPMEM_PERSISTENT);
    else
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    if (resp->content_type != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    if (resp->location[0] != '\0')
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, resp->location);
    if (resp->allow[0] != '\0')
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
    if (resp->cache_control != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, resp->cache_control);
    if (resp->security_policy != NULL) {
        MHD_add_response_header(r, "Content-Security-Policy", resp->security_policy);
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    }
    if (resp->disposition[0] != '\0')
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, resp->disposition);
    if (resp->vary != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, resp->vary);
    enum MHD_Result ret = MHD_queue_response(req->conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);

    double secs = (double)(bp_time_mono_us() - req->started_us) / 1e6;
    const char *route = req->route ? req->route->pattern : "unmatched";
    bp_metrics_http_observe(route, req->route ? req->route->method : "OTHER", resp->status, secs);
    if (req->srv->cfg.access_log || resp->status >= 500) {
        bp_log_level lvl = status_level(resp->status);
        json_t *f = json_pack("{s:s, s:s, s:i, s:f}", "method", req->method, "path", req->path,
                              "status", resp->status, "duration_ms", secs * 1000.0);
        bp_log_fields(lvl, f, "http request");
    }
    json_decref(resp->body);
    resp->body = NULL;
    free(resp->text);
    resp->text = NULL;
    return ret;
}

/* ---------- request accessors ---------- */

void *bp_http_app(const bp_http_request *req) { return req->srv->cfg.app; }
const char *bp_http_method(const bp_http_request *req) { return req->method; }
const char *bp_http_path(const bp_http_request *req) { return req->path; }

const char *bp_http_param(const bp_http_request *req, size_t i)
{
    return i < req->nparams ? req->params[i] : NULL;
}

const char *bp_http_query(const bp_http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const unsigned char *bp_http_openapi(const bp_http_request *req, size_t *len)
{
    *len = req->srv->cfg.openapi_len;
    return req->srv->cfg.openapi;
}

const char *bp_http_header(const bp_http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *bp_http_body(const bp_http_request *req, size_t *len)
{
    *len = req->body.len;
    return req->body.data ? req->body.data : "";
}

typedef struct {
    FILE *f;
    int n;
} query_acc;

static enum MHD_Result query_collect(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    query_acc *acc = cls;
    fprintf(acc->f, "%s%s=%s", acc->n++ ? "&" : "", key, value ? value : "");
    return MHD_YES;
}

char *bp_http_query_string(const bp_http_request *req)
{
    char *out = NULL;
    size_t size = 0;
    query_acc acc = {open_memstream(&out, &size), 0};
    if (acc.f == NULL)
        return NULL;
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_collect, &acc);
    fclose(acc.f);
    return out;
}

static bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* What went wrong in a body jansson refused, in our words (never the library's). */
static const char *json_error_text(const json_error_t *e)
{
    switch (json_error_code(e)) {
    case json_error_invalid_utf8:
        return "it is not valid UTF-8";
    case json_error_premature_end_of_input:
        return "it ends before the JSON value does";
    case json_error_end_of_input_expected:
        return "text follows the JSON value";
    case json_error_null_byte_in_key:
        return "an object key contains \\u0000";
    case json_error_duplicate_key:
        return "an object key appears twice";
    case json_error_numeric_overflow:
        return "a number is too large";
    case json_error_stack_overflow:
        return "it is nested too deeply";
    case json_error_out_of_memory:
        return "it is too large to read";
    default:
        return "invalid syntax";
    }
}

json_t *bp_http_json_body(bp_http_request *req, bp_http_response *resp, bool allow_empty)
{
    if (req->json != NULL)
        return req->json;
    if (memchr(req->body.data ? req->body.data : "", '\0', req->body.len) != NULL) {
        bp_http_reply_error(resp, 400, "MALFORMED_JSON", "body contains a NUL byte", NULL);
        return NULL;
    }
    size_t start = 0;
    while (start < req->body.len && is_json_space(req->body.data[start]))
        start++;
    if (start == req->body.len) {
        if (allow_empty) {
            req->json = json_object();
            return req->json;
        }
        bp_http_reply_error(resp, 400, "MALFORMED_JSON", "a JSON object body is required", NULL);
        return NULL;
    }
    json_error_t jerr;
    /* \u0000 inside a string is valid JSON: the fields a service reads refuse it
     * (bp_v_string), the others are kept as sent. */
    const size_t flags = JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL;
    json_t *v = json_loadb(req->body.data, req->body.len, flags, &jerr);
    /* Valid JSON jansson cannot hold as written (\u0000 in a key, an integer past
     * int64): read it again as it can (bp_json_lax). */
    char *lax = NULL;
    size_t lax_len = 0;
    if (v == NULL &&
        (json_error_code(&jerr) == json_error_null_byte_in_key ||
         json_error_code(&jerr) == json_error_numeric_overflow) &&
        bp_json_lax_rewrite(req->body.data, req->body.len, &lax, &lax_len)) {
        json_error_t again;
        v = json_loadb(lax, lax_len, flags, &again);
        free(lax);
    }
    if (v == NULL) {
        char msg[300];
        snprintf(msg, sizeof msg, "body is not valid JSON: %s (line %d, column %d)",
                 json_error_text(&jerr), jerr.line, jerr.column);
        bp_http_reply_error(resp, 400, "MALFORMED_JSON", msg, NULL);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        bp_http_reply_error(resp, 400, "MALFORMED_JSON", "body must be a JSON object", NULL);
        return NULL;
    }
    req->json = v;
    return v;
}

/* ---------- pagination ---------- */

static bool query_int(bp_http_request *req, bp_http_response *resp, const char *name, int64_t def,
                      int64_t max, int64_t *out)
{
    const char *v = bp_http_query(req, name);
    *out = def;
    if (v == NULL)
        return true;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n < 1 || n > max) {
        char msg[128];
        snprintf(msg, sizeof msg, "query parameter %s must be an integer from 1 to %lld", name,
                 (long long)max);
        bp_http_reply_error(resp, 400, "VALIDATION_ERROR", msg, name);
        return false;
    }
    *out = n;
    return true;
}

bool bp_http_page(bp_http_request *req, bp_http_response *resp, int64_t *page, int64_t *size)
{
    return query_int(req, resp, "page", 1, 1000000, page) &&
           query_int(req, resp, "size", 20, 100, size);
}

json_t *bp_http_page_metadata(const bp_http_request *req, size_t count, int64_t total, int64_t page,
                              int64_t size)
{
    char *qs = bp_http_query_string(req);
    char *query = NULL;
    if (asprintf(&query, "%s%s%s", req->path, qs && qs[0] ? "?" : "", qs ? qs : "") < 0)
        query = NULL;
    free(qs);
    json_t *meta = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "query", query ? query : req->path,
                             "countItems", (json_int_t)count, "totalItems", (json_int_t)total,
                             "totalPages", (json_int_t)((total + size - 1) / size), "page",
                             (json_int_t)page, "size", (json_int_t)size);
    free(query);
    return meta;
}

const char *bp_http_idempotency_key(bp_http_request *req, bp_http_response *resp, char *buf,
                                    size_t size)
{
    const char *key = bp_http_header(req, "Idempotency-Key");
    if (key == NULL)
        return NULL;
    if (!bp_idem_key_valid(key)) {
        bp_http_reply_error(resp, 400, "VALIDATION_ERROR",
                            "Idempotency-Key must be 1 to 200 visible ASCII characters",
                            "Idempotency-Key");
        return NULL;
    }
    /* Scope the key by the caller's API key (a hash of it, never the key itself),
     * so two clients choosing the same key do not see each other's answers. */
    const char *auth = bp_http_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = auth ? auth : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    snprintf(buf, size, "%016llx:%s", (unsigned long long)h, key);
    return buf;
}

/* ---------- routing ---------- */

/* Matches `path` against `pattern`; on success stores decoded params in req. */
static bool route_match(const char *pattern, const char *path, bp_http_request *req, bool store)
{
    const char *p = pattern, *s = path;
    size_t nparams = 0;
    while (*p && *s) {
        if (*p == '{') {
            const char *pend = strchr(p, '}');
            const char *send = strchr(s, '/');
            size_t slen = send ? (size_t)(send - s) : strlen(s);
            if (pend == NULL || slen == 0 || nparams == BP_HTTP_MAX_PARAMS)
                return false;
            if (store) {
                req->params[nparams] = strndup(s, slen);
            }
            nparams++;
            p = pend + 1;
            s += slen;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    if (*p != '\0' || *s != '\0')
        return false;
    if (store)
        req->nparams = nparams;
    return true;
}

static void builtin_health(bp_http_request *req, bp_http_response *resp)
{
    bp_http_reply_json(resp, 200, json_pack("{s:s}", "status", "UP"));
}

static void builtin_ready(bp_http_request *req, bp_http_response *resp)
{
    json_t *checks = json_object();
    bool ok = req->srv->cfg.ready ? req->srv->cfg.ready(req->srv->cfg.app, checks) : true;
    if (ok) {
        bp_http_reply_json(resp, 200, json_pack("{s:s, s:o}", "status", "READY", "checks", checks));
        return;
    }
    /* 503: an ErrorResponse naming the failing checks, plus the checks themselves. */
    char failing[256] = "";
    const char *name;
    json_t *v;
    json_object_foreach(checks, name, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), "UP") != 0) {
            size_t used = strlen(failing);
            snprintf(failing + used, sizeof failing - used, "%s%s", used ? "," : "", name);
        }
    }
    bp_http_reply_error(resp, 503, "NOT_READY", "a dependency is unreachable", failing);
    json_object_set_new(resp->body, "status", json_string("NOT_READY"));
    json_object_set_new(resp->body, "checks", checks);
}

static void builtin_metrics(bp_http_request *req, bp_http_response *resp)
{
    resp->status = 200;
    resp->text = bp_metrics_render();
    resp->content_type = "text/plain; version=0.0.4";
}

static const bp_http_route builtin_routes[] = {
    {"GET", "/health", BP_SCOPE_NONE, builtin_health},
    {"GET", "/ready", BP_SCOPE_NONE, builtin_ready},
    {"GET", "/metrics", BP_SCOPE_NONE, builtin_metrics},
    /* The API docs are public, like the spec they show (bp_docs.h). */
    {"GET", "/openapi.yaml", BP_SCOPE_NONE, bp_docs_openapi},
    {"GET", "/docs", BP_SCOPE_NONE, bp_docs_page},
    {"GET", "/docs/", BP_SCOPE_NONE, bp_docs_slash},
    {"GET", "/docs/{asset}", BP_SCOPE_NONE, bp_docs_asset},
};

/* Finds the route for method+path. Returns NULL and fills `allow` with the
 * methods the path does accept (empty when the path is unknown). */
static const bp_http_route *route_find(bp_http_request *req, char *allow, size_t allow_size)
{
    const bp_http_config *cfg = &req->srv->cfg;
    size_t nb = sizeof builtin_routes / sizeof builtin_routes[0];
    allow[0] = '\0';
    for (size_t i = 0; i < nb + cfg->nroutes; i++) {
        const bp_http_route *r = i < nb ? &builtin_routes[i] : &cfg->routes[i - nb];
        if (!route_match(r->pattern, req->path, req, false))
            continue;
        if (strcmp(r->method, req->method) == 0) {
            route_match(r->pattern, req->path, req, true);
            return r;
        }
        size_t used = strlen(allow);
        if (strstr(allow, r->method) == NULL)
            snprintf(allow + used, allow_size - used, "%s%s", used ? ", " : "", r->method);
    }
    return NULL;
}

static enum MHD_Result query_utf8(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    bool *ok = cls;
    if (!bp_utf8_valid(key) || (value != NULL && !bp_utf8_valid(value)))
        *ok = false;
    return *ok ? MHD_YES : MHD_NO;
}

static void dispatch(bp_http_request *req, bp_http_response *resp)
{
    const bp_http_config *cfg = &req->srv->cfg;
    char allow[64];
    if (req->bad_target) {
        bp_http_reply_error(resp, 400, "VALIDATION_ERROR",
                            "the path or query contains a control character (such as %00)", NULL);
        return;
    }
    if (!bp_utf8_valid(req->path)) {
        resp->path = "";
        bp_http_reply_error(resp, 404, "NOT_FOUND", "no such resource (path is not UTF-8)", NULL);
        return;
    }
    bool query_ok = true;
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_utf8, &query_ok);
    if (!query_ok) {
        bp_http_reply_error(resp, 400, "VALIDATION_ERROR", "query parameters must be UTF-8", NULL);
        return;
    }
    req->route = route_find(req, allow, sizeof allow);
    if (req->route == NULL) {
        if (allow[0] != '\0') {
            snprintf(resp->allow, sizeof resp->allow, "%s", allow);
            bp_http_reply_error(resp, 405, "METHOD_NOT_ALLOWED", "method not allowed on this path",
                                allow);
        } else {
            bp_http_reply_error(resp, 404, "NOT_FOUND", "no such resource", NULL);
        }
        return;
    }
    switch (bp_auth_check(cfg->auth, bp_http_header(req, MHD_HTTP_HEADER_AUTHORIZATION),
                          req->route->scope)) {
    case BP_AUTH_OK:
        break;
    case BP_AUTH_MISSING:
        bp_http_reply_error(resp, 401, "UNAUTHENTICATED",
                            "a valid 'Authorization: Bearer <key>' header is required", NULL);
        return;
    case BP_AUTH_FORBIDDEN:
        bp_http_reply_error(resp, 403, "FORBIDDEN", "this API key may not write", NULL);
        return;
    }
    if (req->too_large) {
        char msg[128];
        snprintf(msg, sizeof msg, "request body exceeds %zu bytes", cfg->max_body_bytes);
        bp_http_reply_error(resp, 413, "PAYLOAD_TOO_LARGE", msg, NULL);
        return;
    }
    const char *ctype = bp_http_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (req->body.len > 0 && ctype != NULL && strncasecmp(ctype, "application/json", 16) != 0) {
        bp_http_reply_error(resp, 415, "UNSUPPORTED_MEDIA_TYPE",
                            "request bodies must be sent with Content-Type: application/json",
                            ctype);
        return;
    }
    req->route->handler(req, resp);
    if (resp->status == 0)
        bp_http_reply_error(resp, 500, "INTERNAL", "the handler gave no answer", NULL);
}

/* ---------- MHD callbacks ---------- */

static bool body_append(bp_http_request *req, const char *data, size_t size)
{
    if (!req->too_large && !bp_buf_add(&req->body, data, size))
        req->too_large = true; /* past BP_HTTP_MAX_BODY_BYTES (or out of memory) */
    return !req->too_large;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    bp_http_server *srv = cls;
    bp_http_request *req = *con_cls; /* made by on_uri, with the raw request-target */
    if (req == NULL)
        return MHD_NO;
    if (!req->started) { /* the headers are in */
        req->started = true;
        req->method = method;
        req->path = url;
        req->started_us = bp_time_mono_us();
        bp_http_gate_conn_body(srv->gate, req->gate_conn);
        const char *clen =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (clen != NULL && strtoull(clen, NULL, 10) > srv->cfg.max_body_bytes) {
            req->too_large = true;
            bp_http_gate_conn_busy(srv->gate, req->gate_conn);
            bp_http_response resp = {.path = url};
            dispatch(req, &resp);
            return send_response(req, &resp);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        bool was_large = req->too_large;
        body_append(req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        if (req->too_large && !was_large) { /* answer 413 now: stop reading the body */
            bp_http_gate_conn_busy(srv->gate, req->gate_conn);
            bp_http_response resp = {.path = url};
            dispatch(req, &resp);
            return send_response(req, &resp);
        }
        return MHD_YES;
    }
    if (req->too_large && req->answered)
        return MHD_YES;
    bp_http_gate_conn_busy(srv->gate, req->gate_conn);
    bp_http_response resp = {.path = url};
    dispatch(req, &resp);
    return send_response(req, &resp);
}

/* MHD's first word of a request, before it decodes the target: the request context
 * is made here, so that a %00 (or another control character) is seen before
 * decoding cuts the path short. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    bp_http_request *req = calloc(1, sizeof *req);
    if (req == NULL)
        return NULL;
    req->srv = cls;
    req->conn = conn;
    bp_http_server *srv = cls;
    bp_buf_init(&req->body, 0, srv->cfg.max_body_bytes);
    req->method = "";
    req->path = "";
    req->started_us = bp_time_mono_us();
    req->bad_target = bp_http_target_has_control(uri);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    req->gate_conn = ci != NULL ? ci->socket_context : NULL;
    return req;
}

/* Connections start and end: the gate keeps their deadlines. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    bp_http_server *srv = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci != NULL ? bp_http_gate_conn_adopt(srv->gate, ci->connect_fd) : NULL;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        bp_http_gate_conn_closed(srv->gate, *socket_context);
        *socket_context = NULL;
    }
}

static bool hand_over(void *cls, int fd, const struct sockaddr_in *addr)
{
    bp_http_server *srv = cls;
    return MHD_add_connection(srv->mhd, fd, (const struct sockaddr *)addr, sizeof *addr) == MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    bp_http_server *srv = cls;
    bp_http_request *req = *con_cls;
    if (req == NULL)
        return;
    bp_http_gate_conn_idle(srv->gate, req->gate_conn);
    for (size_t i = 0; i < BP_HTTP_MAX_PARAMS; i++)
        free(req->params[i]);
    bp_buf_free(&req->body);
    json_decref(req->json);
    free(req);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t len = strlen(msg);
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
        msg[--len] = '\0';
    bp_log_warn("http: %s", msg);
}

bp_http_server *bp_http_start(const bp_http_config *cfg, char *err, size_t errsize)
{
    bp_http_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL) {
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    srv->cfg = *cfg;
    /* MHD listens on nothing: the gate accepts, checks the first request head and
     * hands each connection over (bp_http_gate.h). */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET;
    srv->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)cfg->timeout_seconds, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        srv, MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_END);
    if (srv->mhd == NULL) {
        snprintf(err, errsize, "cannot start the HTTP server");
        free(srv);
        return NULL;
    }
    bp_http_gate_config gc = {.bind_address = cfg->bind_address,
                              .port = cfg->port,
                              .max_connections = cfg->max_connections,
                              .max_per_client = cfg->max_connections_per_client,
                              .header_timeout_s = cfg->header_timeout_seconds,
                              .body_timeout_s = cfg->body_timeout_seconds,
                              .handover = hand_over,
                              .cls = srv};
    srv->gate = bp_http_gate_start(&gc, err, errsize);
    if (srv->gate == NULL) {
        MHD_stop_daemon(srv->mhd);
        free(srv);
        return NULL;
    }
    return srv;
}

void bp_http_quiesce(bp_http_server *srv)
{
    if (srv != NULL)
        bp_http_gate_quiesce(srv->gate);
}

void bp_http_stop(bp_http_server *srv)
{
    if (srv == NULL)
        return;
    bp_http_gate_stop(srv->gate);
    if (srv->mhd != NULL)
        MHD_stop_daemon(srv->mhd);
    bp_http_gate_free(srv->gate);
    free(srv);
}
