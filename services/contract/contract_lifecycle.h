/* contract_lifecycle: the contract state machine. Pure: which action is allowed
 * from which status, the status it leads to and the event type it publishes. */
#ifndef CONTRACT_LIFECYCLE_H
#define CONTRACT_LIFECYCLE_H

#include <stdbool.h>

typedef enum {
    CT_STATUS_CREATED = 0,
    CT_STATUS_ACTIVE,
    CT_STATUS_SUSPENDED,
    CT_STATUS_CANCELLED,
    CT_STATUS_EXPIRED,
    CT_STATUS_COUNT
} ct_status;

typedef enum {
    CT_ACTION_CREATE = 0,
    CT_ACTION_ACTIVATE,
    CT_ACTION_SUSPEND,
    CT_ACTION_REACTIVATE,
    CT_ACTION_CANCEL,
    CT_ACTION_EXPIRE,
    CT_ACTION_SIGN_MANDATE,
    CT_ACTION_REVOKE_MANDATE,
    CT_ACTION_CHANGE_CREDIT_LIMIT,
    CT_ACTION_COUNT
} ct_action;

/* "ACTIVE" etc.; NULL for out-of-range values. */
const char *ct_status_name(ct_status s);

/* Parses a status name. Returns false when unknown. */
bool ct_status_parse(const char *name, ct_status *out);

/* The CloudEvents type an action publishes ("contract.suspended"). */
const char *ct_action_event_type(ct_action a);

/* The action in words, for messages ("suspend", "revoke the mandate of"). */
const char *ct_action_verb(ct_action a);

/* Whether `a` is allowed from `from`; on true *to is the resulting status
 * (unchanged for mandate and credit-limit actions). CANCELLED and EXPIRED are
 * final: nothing is allowed from them. */
bool ct_transition(ct_status from, ct_action a, ct_status *to);

#endif
