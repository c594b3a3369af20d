/* billing_readmodel: billing's local read model of contracts (CQRS). Each
 * `contract.*` event carries the whole contract and its version; the account row
 * keeps the highest version seen, so duplicates and reordering cannot corrupt it.
 * Each event is applied in one transaction with its inbox record (bp_inbox_apply).
 * Runs on the consumer thread. */
#ifndef BILLING_READMODEL_H
#define BILLING_READMODEL_H

#include "bp_db.h"
#include "bp_inbox.h"

#include <jansson.h>
#include <stddef.h>

/* Outcome of applying one consumed event (contract, invoice or payment family). */
typedef enum {
    BL_EVENT_APPLIED = 0, /* the read model (or an invoice) changed */
    BL_EVENT_IGNORED,     /* duplicate id, or a version not newer than the stored one */
    BL_EVENT_POISON,      /* can never be applied (malformed); `why` says why */
    BL_EVENT_RETRY,       /* database unavailable: try again later */
} bl_event_result;

/* Applies a `contract.*` CloudEvent (parsed) in one transaction with its inbox
 * record under consumer name `consumer`. On BL_EVENT_POISON `why` says why
 * (the caller logs it where it parks the message). */
bl_event_result bl_readmodel_apply(bp_db *db, const char *consumer, const json_t *event, char *why,
                                   size_t whysize);

/* How a bp_inbox_apply outcome reads as an event result: DONE is APPLIED or IGNORED
 * (by `applied`), LATER is RETRY, REFUSED is POISON. */
bl_event_result bl_event_result_of(bp_inbox_outcome out, bool applied);

#endif
