/* contract_http: the contract REST routes and the one mapping from service
 * results to HTTP status codes and error codes. */
#ifndef CONTRACT_HTTP_H
#define CONTRACT_HTTP_H

#include "bp_db.h"
#include "bp_http.h"
#include "bp_outbox.h"
#include "contract_service.h"

/* What the handlers need; lives as long as the HTTP server. */
typedef struct {
    ct_service service;
    bp_db_pool *pool;       /* one connection per HTTP worker thread */
    bp_outbox_relay *relay; /* for the Kafka readiness check */
} ct_http_app;

/* The route table (static storage). */
const bp_http_route *ct_http_routes(size_t *n);

/* GET /ready: database and Kafka reachable. */
bool ct_http_ready(void *app, json_t *checks);

#endif
