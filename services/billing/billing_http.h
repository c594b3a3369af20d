/* billing_http: billing's REST routes and the one mapping from service results
 * to HTTP status codes. */
#ifndef BILLING_HTTP_H
#define BILLING_HTTP_H

#include "billing_run.h"
#include "billing_service.h"
#include "bp_consumer.h"
#include "bp_db.h"
#include "bp_http.h"
#include "bp_outbox.h"

typedef struct {
    bl_service service;
    bl_run_ctx runs;
    bp_db_pool *pool;
    bp_outbox_relay *relay;
    bp_consumer *consumer; /* for /ready: joined its group */
} bl_http_app;

/* Billing's route table (static: never freed), its size into *n. The handlers read
 * their bl_http_app through bp_http_app(). */
const bp_http_route *bl_http_routes(size_t *n);

/* GET /ready of billing: the database (this thread's pooled connection), Kafka and the
 * consumer's membership of its group, each "UP" or "DOWN" in `checks`; true when all
 * are up. Runs on an HTTP worker thread. */
bool bl_http_ready(void *app, json_t *checks);

#endif
