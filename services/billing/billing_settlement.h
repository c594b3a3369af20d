/* billing_settlement: what happens to an invoice after it was issued, from
 * the events of the mailer and of payment: invoice.sent marks it SENT;
 * payment.succeeded marks it PAID and lowers the contract's outstanding balance
 * by its total (once: the status change and the balance are one statement);
 * payment.failed marks it PAYMENT_FAILED with the reason, and it stays owed,
 * and its account overdue (billing_dunning) until it is paid.
 * Each event is applied in one transaction with its inbox record. */
#ifndef BILLING_SETTLEMENT_H
#define BILLING_SETTLEMENT_H

#include "billing_dunning.h"
#include "billing_readmodel.h"
#include "bp_db.h"

#include <jansson.h>

/* Applies an invoice.sent / payment.succeeded / payment.failed CloudEvent. On
 * BL_EVENT_POISON `why` says why (the caller logs it). */
bl_event_result bl_settle_apply(bp_db *db, const char *consumer, const bl_dunning *dunning,
                                const json_t *event, char *why, size_t whysize);

#endif
