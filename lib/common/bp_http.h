/* bp_http: the REST layer every daemon shares, over libmicrohttpd.
 *
 * Owns: routing by method and path template, request bodies collected across
 * callbacks with a size limit (413), JSON in and out, the ErrorResponse shape,
 * bearer-key checks (401/403), 404/405/415, access logs and HTTP metrics, and
 * the built-in GET /health, /ready and /metrics, and the API docs of bp_docs
 * (/openapi.yaml, /docs). It does not own any business rule: handlers do.
 *
 * Threads: MHD's internal thread pool runs every handler; a handler may block
 * (on the database) and must be thread-safe. */
#ifndef BP_HTTP_H
#define BP_HTTP_H

#include "bp_auth.h"
#include "bp_result.h"
#include "bp_validate.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BP_HTTP_MAX_PARAMS 4

typedef struct bp_http_request bp_http_request;
typedef struct bp_http_server bp_http_server;

/* What a handler answers. Set it with bp_http_reply_json / bp_http_reply_error. */
typedef struct {
    int status;
    json_t *body;               /* owned; rendered as JSON */
    char *text;                 /* owned; raw body when body is NULL (metrics, a PDF) */
    size_t text_len;            /* bytes of text; 0: strlen(text) */
    const unsigned char *bytes; /* borrowed, static; the body when body and text are NULL */
    size_t bytes_len;
    const char *content_type;
    const char *cache_control;   /* Cache-Control header, or NULL */
    const char *security_policy; /* Content-Security-Policy header, or NULL */
    char location[512];
    char allow[64];
    char disposition[160]; /* Content-Disposition, when not empty */
    const char *vary;      /* Vary (e.g. "Accept" where the answer depends on it); may be NULL */
    const char *path;      /* the request path, for error bodies */
} bp_http_response;

typedef void (*bp_http_handler)(bp_http_request *req, bp_http_response *resp);

typedef struct {
    const char *method;  /* "GET", "POST", "PUT", "DELETE" */
    const char *pattern; /* "/contracts/{contractRef}/suspend" */
    bp_scope scope;      /* BP_SCOPE_READ or BP_SCOPE_WRITE (NONE: open) */
    bp_http_handler handler;
} bp_http_route;

/* Fills `checks` ({"database":"UP", ...}) and returns true when the daemon can
 * serve; used by GET /ready (200 or 503). Called on an HTTP thread. */
typedef bool (*bp_http_ready_fn)(void *app, json_t *checks);

typedef struct {
    const char *bind_address; /* "0.0.0.0" or "127.0.0.1" */
    int port;
    int threads;
    int max_connections;
    int max_connections_per_client; /* one client address; 0 = no limit */
    int timeout_seconds;            /* idle connection */
    int header_timeout_seconds;     /* request line and headers, from the start */
    int body_timeout_seconds;       /* the whole body, from the end of the headers */
    size_t max_body_bytes;
    bool access_log;
    const bp_auth *auth; /* borrowed; must outlive the server */
    const bp_http_route *routes;
    size_t nroutes;
    bp_http_ready_fn ready;
    void *app; /* handed to handlers through bp_http_app() */
    /* The daemon's OpenAPI spec (static bytes, borrowed), served with its docs page
     * (bp_docs.h); NULL: /openapi.yaml and /docs answer 404. */
    const unsigned char *openapi;
    size_t openapi_len;
} bp_http_config;

/* Starts listening. Returns NULL and writes a message into err on failure. */
bp_http_server *bp_http_start(const bp_http_config *cfg, char *err, size_t errsize);

/* Stops accepting new connections (SIGTERM step one). */
void bp_http_quiesce(bp_http_server *srv);

/* Waits for running requests and frees the server. NULL is ignored. */
void bp_http_stop(bp_http_server *srv);

/* --- for handlers --- */

void *bp_http_app(const bp_http_request *req);
const char *bp_http_method(const bp_http_request *req);
const char *bp_http_path(const bp_http_request *req);
/* The i-th `{param}` of the matched pattern, URL-decoded. */
const char *bp_http_param(const bp_http_request *req, size_t i);
/* A query-string argument or NULL. */
const char *bp_http_query(const bp_http_request *req, const char *name);
/* The raw query string rebuilt as "a=1&b=2" (for pagination metadata). Caller frees. */
char *bp_http_query_string(const bp_http_request *req);
/* The server's OpenAPI spec (bp_http_config.openapi) and its length, or NULL. */
const unsigned char *bp_http_openapi(const bp_http_request *req, size_t *len);
/* A request header or NULL. */
const char *bp_http_header(const bp_http_request *req, const char *name);
/* The raw body (may be empty, never NULL) and its length. */
const char *bp_http_body(const bp_http_request *req, size_t *len);

/* Parses the body as a JSON object. An empty body yields an empty object when
 * allow_empty. On failure replies 400 MALFORMED_JSON and returns NULL.
 * The returned object is borrowed from the request (freed with it). */
json_t *bp_http_json_body(bp_http_request *req, bp_http_response *resp, bool allow_empty);

/* Reads the pagination query parameters `page` (default 1) and `size`
 * (default 20, at most 100). Returns false after replying 400. */
bool bp_http_page(bp_http_request *req, bp_http_response *resp, int64_t *page, int64_t *size);

/* The `metadata` object of a list answer: query (path and query string),
 * countItems, totalItems, totalPages, page, size. Caller owns the result. */
json_t *bp_http_page_metadata(const bp_http_request *req, size_t count, int64_t total, int64_t page,
                              int64_t size);

/* The request's Idempotency-Key, scoped by the caller's API key, written into
 * buf ("<hash>:<key>"); NULL when there is none — or when it is malformed, after
 * replying 400 (check resp->status). */
const char *bp_http_idempotency_key(bp_http_request *req, bp_http_response *resp, char *buf,
                                    size_t size);

/* Replies `status` with `body` (takes ownership). */
void bp_http_reply_json(bp_http_response *resp, int status, json_t *body);

/* Replies an ErrorResponse: {"errors":[{path,timestamp,errorCode,status,message,detail}]}.
 * `detail` may be NULL. */
void bp_http_reply_error(bp_http_response *resp, int status, const char *code, const char *message,
                         const char *detail);

/* Answers the results every service shares (bp_result.h): 400 VALIDATION_ERROR from
 * `verr` ("<field> <message>", detail the field), 404 NOT_FOUND with `not_found` as its
 * message, 409 IDEMPOTENCY_KEY_REUSED, 503 DATABASE_UNAVAILABLE naming the `service`'s
 * database, 500 INTERNAL. Returns false, replying nothing, for BP_R_OK, BP_R_REPLAY and a
 * service's own codes (>= BP_R_DOMAIN), which the service answers. `verr` may be NULL
 * when the service never returns BP_R_INVALID. */
bool bp_http_reply_common(bp_http_response *resp, int result, const bp_verr *verr,
                          const char *not_found, const char *service);

/* The same ErrorResponse as compact JSON text, for answers given outside a handler
 * (bp_http_gate). Caller frees; NULL when out of memory. */
char *bp_http_error_text(int status, const char *code, const char *message, const char *path);

#endif
