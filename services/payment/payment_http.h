/* payment_http: payment's REST routes (GET /payments, GET /payments/{id},
 * POST /payments/{id}/retry) and
 * the one mapping from service results to HTTP status codes. /health, /ready
 * and /metrics come from bp_http. */
#ifndef PAYMENT_HTTP_H
#define PAYMENT_HTTP_H

#include "bp_consumer.h"
#include "bp_db.h"
#include "bp_http.h"
#include "bp_outbox.h"
#include "payment_service.h"

typedef struct {
    bp_db_pool *pool;       /* one connection per HTTP worker */
    bp_outbox_relay *relay; /* for /ready's Kafka check */
    bp_consumer *consumer;  /* for /ready: joined its group */
    const pm_service *svc;  /* topics, clock and relay of POST /payments/{id}/retry */
} pm_http_app;

/* The route table (static storage); *n receives its length. */
const bp_http_route *pm_http_routes(size_t *n);

/* GET /ready: the database (this worker's connection) and Kafka (the relay). */
bool pm_http_ready(void *app, json_t *checks);

#endif
