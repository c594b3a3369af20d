/* billing_fixture: what the billing integration tests share: a contract
 * daemon and a billing daemon on their own databases and topics, contracts
 * created through the contract API, and purchases built from a template.
 * Test-only. */
#ifndef BILLING_FIXTURE_H
#define BILLING_FIXTURE_H

#include "bpt.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct {
    bpt_proc contract, billing;
    char contract_db[512], billing_db[512];
    char contract_topic[128], operation_topic[128], invoice_topic[128], payment_topic[128];
    char dead_letter_topic[128];
    char name[64];
} blf_stack;

/* Creates databases and topics named after `name`, starts both daemons and
 * waits until both are ready. */
void blf_start(blf_stack *s, const char *name);

/* Starts one more billing instance on the same database and topics (same
 * consumer group). */
void blf_start_billing(blf_stack *s, bpt_proc *p, const char *name);

/* Stops everything (SIGTERM), asserting clean exits. */
void blf_stop(blf_stack *s);

/* Creates contract `ref` with a credit limit (decimal string, EUR) and waits
 * until billing's account shows it. `overrides` is merged like ctf_request. */
void blf_contract(blf_stack *s, const char *ref, const char *limit, const char *overrides);

/* POSTs a lifecycle change on the contract service and waits until billing's
 * account reaches that contract version. Returns the HTTP status. */
long blf_change(blf_stack *s, const char *ref, const char *method, const char *action,
                const char *body);

/* Waits until billing's account of `ref` has at least `version`. */
bool blf_wait_version(blf_stack *s, const char *ref, long version, int timeout_ms);

/* A purchase (or refund when refund_of != NULL) body: one product line of
 * `amount` (decimal string) at 0 % VAT, dated `date` (NULL: today). Caller frees. */
char *blf_operation(const char *ref, const char *order_ref, const char *amount, const char *date,
                    const char *refund_of);

/* POSTs a purchase on billing (port) and returns the status; code receives the
 * errorCode ("" on success) when not NULL (>= 64 bytes). */
long blf_buy(int port, const char *ref, const char *order_ref, const char *amount, const char *date,
             char *code);

/* The account's outstanding balance in minor units (-1 when unknown). */
long blf_outstanding(blf_stack *s, const char *ref);

/* Starts a daemon of the cycle beside the stack (payment, invoice-mailer) on a fresh
 * database `<prefix>_<name>`, on the stack's invoice and payment topics and `dead_letter`,
 * with the test keys and `extra` ("K=V", NULL-terminated, at most 7), and waits for /ready. */
void blf_start_cycle_daemon(const blf_stack *s, bpt_proc *p, const char *prefix, const char *name,
                            const char *binary, const char *dead_letter, const char *const *extra);

#endif
