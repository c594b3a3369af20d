/* contract_lifecycle: transition table of the contract state machine. */
#include "contract_lifecycle.h"

#include <string.h>

static const char *const status_names[CT_STATUS_COUNT] = {"CREATED", "ACTIVE", "SUSPENDED",
                                                          "CANCELLED", "EXPIRED"};

static const char *const event_types[CT_ACTION_COUNT] = {
    [CT_ACTION_CREATE] = "contract.created",
    [CT_ACTION_ACTIVATE] = "contract.activated",
    [CT_ACTION_SUSPEND] = "contract.suspended",
    [CT_ACTION_REACTIVATE] = "contract.reactivated",
    [CT_ACTION_CANCEL] = "contract.cancelled",
    [CT_ACTION_EXPIRE] = "contract.expired",
    [CT_ACTION_SIGN_MANDATE] = "contract.mandate-signed",
    [CT_ACTION_REVOKE_MANDATE] = "contract.mandate-revoked",
    [CT_ACTION_CHANGE_CREDIT_LIMIT] = "contract.credit-limit-changed",
};

static const char *const verbs[CT_ACTION_COUNT] = {
    "create",
    "activate",
    "suspend",
    "reactivate",
    "cancel",
    "expire",
    "sign a mandate for",
    "revoke the mandate of",
    "change the credit limit of",
};

const char *ct_action_verb(ct_action a)
{
    return (unsigned)a < CT_ACTION_COUNT ? verbs[a] : "change";
}

/* next[from][action]: the resulting status, or -1 when not allowed. */
#define NO (-1)
static const int next[CT_STATUS_COUNT][CT_ACTION_COUNT] = {
    [CT_STATUS_CREATED] = {NO, CT_STATUS_ACTIVE, NO, NO, CT_STATUS_CANCELLED, CT_STATUS_EXPIRED,
                           CT_STATUS_CREATED, CT_STATUS_CREATED, CT_STATUS_CREATED},
    [CT_STATUS_ACTIVE] = {NO, NO, CT_STATUS_SUSPENDED, NO, CT_STATUS_CANCELLED, CT_STATUS_EXPIRED,
                          CT_STATUS_ACTIVE, CT_STATUS_ACTIVE, CT_STATUS_ACTIVE},
    [CT_STATUS_SUSPENDED] = {NO, NO, NO, CT_STATUS_ACTIVE, CT_STATUS_CANCELLED, CT_STATUS_EXPIRED,
                             CT_STATUS_SUSPENDED, CT_STATUS_SUSPENDED, CT_STATUS_SUSPENDED},
    [CT_STATUS_CANCELLED] = {NO, NO, NO, NO, NO, NO, NO, NO, NO},
    [CT_STATUS_EXPIRED] = {NO, NO, NO, NO, NO, NO, NO, NO, NO},
};

const char *ct_status_name(ct_status s)
{
    return (unsigned)s < CT_STATUS_COUNT ? status_names[s] : NULL;
}

bool ct_status_parse(const char *name, ct_status *out)
{
    for (int i = 0; i < CT_STATUS_COUNT; i++) {
        if (strcmp(name, status_names[i]) == 0) {
            *out = (ct_status)i;
            return true;
        }
    }
    return false;
}

const char *ct_action_event_type(ct_action a)
{
    return (unsigned)a < CT_ACTION_COUNT ? event_types[a] : NULL;
}

bool ct_transition(ct_status from, ct_action a, ct_status *to)
{
    if ((unsigned)from >= CT_STATUS_COUNT || (unsigned)a >= CT_ACTION_COUNT)
        return false;
    int n = next[from][a];
    if (n == NO)
        return false;
    *to = (ct_status)n;
    return true;
}
