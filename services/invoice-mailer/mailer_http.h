/* mailer_http: the invoice-mailer's REST routes (GET /mails, GET
 * /mails/{invoiceRef}) and the one mapping from service results to HTTP
 * status codes. */
#ifndef MAILER_HTTP_H
#define MAILER_HTTP_H

#include "bp_consumer.h"
#include "bp_db.h"
#include "bp_http.h"
#include "bp_outbox.h"

typedef struct {
    bp_db_pool *pool;
    bp_outbox_relay *relay;
    bp_consumer *consumer; /* for /ready: joined its group */
} ml_http_app;

/* The route table (static storage). */
const bp_http_route *ml_http_routes(size_t *n);

/* GET /ready: the database and Kafka (SMTP trouble only delays mails). */
bool ml_http_ready(void *app, json_t *checks);

#endif
