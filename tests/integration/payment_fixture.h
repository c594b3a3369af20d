/* payment_fixture: what the payment integration tests share: a payment
 * daemon on its own database and topics (`<name>.payment`,
 * `<name>.dead-letter`), payment.requested events built as billing publishes
 * them and produced straight to Kafka, and waits on the outcome. Test-only. */
#ifndef PAYMENT_FIXTURE_H
#define PAYMENT_FIXTURE_H

#include "bpt.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct {
    bpt_proc proc;
    char db[512];
    char topic[128], dead_letter[128];
    char name[64];
} pmf_stack;

/* Creates database `name` and the topics (3 partitions), starts the daemon
 * with `env` ("K=V", NULL-terminated, may be NULL) on top of the test defaults,
 * and waits until /ready answers 200. */
void pmf_start(pmf_stack *s, const char *name, const char *const *env);

/* Stops the daemon with SIGTERM, asserting a clean exit (status 0, "stopped"
 * logged), and frees it. */
void pmf_stop(pmf_stack *s);

/* Waits until /ready answers 200 again (after a restart). */
void pmf_wait_ready(pmf_stack *s);

/* A fresh id in UUID form (unique in this process), into buf (>= 37 bytes). */
void pmf_uuid(char *buf);

/* A payment.requested CloudEvent as billing publishes it (docs/cycle-events.md),
 * with id `event_id`, for `invoice_ref` of contract `contract_id`, EUR
 * `amount_minor`, mandate `mandate` (NULL: none), due 2026-12-01 (past: debited
 * at once). Caller frees. */
char *pmf_request(const char *event_id, const char *invoice_ref, const char *contract_id,
                  long amount_minor, const char *mandate);

/* pmf_request with due date `due_date` (YYYY-MM-DD) instead of 2026-12-01. */
char *pmf_request_due(const char *event_id, const char *invoice_ref, const char *contract_id,
                      long amount_minor, const char *mandate, const char *due_date);

/* Produces `value` on the payment topic under key `contract_id`. */
void pmf_send(pmf_stack *s, const char *contract_id, const char *value);

/* Builds a request with a fresh event id and sends it. */
void pmf_request_send(pmf_stack *s, const char *invoice_ref, const char *contract_id,
                      long amount_minor, const char *mandate);

/* The status of the payment of `invoice_ref` ("" when none). Caller frees. */
char *pmf_status(pmf_stack *s, const char *invoice_ref);

/* Waits until the payment of `invoice_ref` has `status`; false on timeout. */
bool pmf_wait_status(pmf_stack *s, const char *invoice_ref, const char *status, int timeout_ms);

/* Waits until every outbox row was published; false on timeout. */
bool pmf_wait_published(pmf_stack *s, int timeout_ms);

/* The payment.succeeded / payment.failed messages on the payment topic
 * ({"key","partition","offset","value"}), for `invoice_ref` only unless NULL. */
json_t *pmf_results(pmf_stack *s, const char *invoice_ref);

#endif
