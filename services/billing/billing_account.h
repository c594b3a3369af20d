/* billing_account: billing's read model of one contract (what it needs to
 * authorise an operation), built from `contract.*` events, and the pure rule
 * that explains why an operation was refused. No I/O. */
#ifndef BILLING_ACCOUNT_H
#define BILLING_ACCOUNT_H

#include "bp_time.h"
#include "bp_validate.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    char contract_id[37];
    char contract_ref[65];
    char customer_ref[BP_TEXT_BYTES(200)];
    char status[16]; /* CREATED, ACTIVE, SUSPENDED, CANCELLED, EXPIRED */
    bp_date activated_at, expire_at;
    bool has_mandate;
    char mandate_ref[BP_TEXT_BYTES(35)];
    char mandate_status[16]; /* VALID, REVOKED */
    bp_date mandate_signed_at;
    bool mandate_has_expiry;
    bp_date mandate_expire_at;
    char currency[4];
    int64_t credit_limit; /* minor units */
    int payment_term_days;
    char invoice_email[255];
    int64_t version;
    int64_t outstanding;           /* billing's own running balance (not from events) */
    char overdue_since[32];        /* RFC 3339 when an invoice finally failed unpaid; "" if not */
    char overdue_invoice_ref[101]; /* the invoice that made it overdue */
} bl_account;

/* Reads the account fields from a contract event's `data` (the contract
 * resource). Returns NULL on success or a static message naming what is
 * missing or malformed (the event is then a poison message), among them a credit
 * limit beyond BP_MONEY_MAX_MINOR, which no contract may have. */
const char *bl_account_from_contract(const json_t *data, bl_account *a);

/* Reasons a purchase is refused, in the order they are checked. */
typedef enum {
    BL_OK = 0,
    BL_CONTRACT_UNKNOWN,
    BL_CURRENCY_MISMATCH,
    BL_CONTRACT_NOT_ACTIVE,
    BL_CONTRACT_EXPIRED, /* the operation date is outside [activatedAt, expireAt] */
    BL_MANDATE_INVALID,
    BL_ACCOUNT_OVERDUE, /* an invoice's payment finally failed and it is not paid yet */
    BL_CREDIT_LIMIT_EXCEEDED,
} bl_reason;

/* Decides a purchase of `amount` minor units in `currency` on `date` against
 * account `a` (NULL: unknown). This is the rule the atomic SQL statement
 * enforces; it is used to explain a refusal and in unit tests. */
bl_reason bl_authorize(const bl_account *a, const char *currency, bp_date date, int64_t amount);

/* "CREDIT_LIMIT_EXCEEDED", … */
const char *bl_reason_code(bl_reason r);

/* A sentence a person understands, for the reason (buf >= 256 bytes). */
void bl_reason_message(bl_reason r, const bl_account *a, const char *currency, bp_date date,
                       int64_t amount, int exponent, char *buf, size_t size);

/* The account as GET /contracts/{contractRef}/account answers it: status,
 * validity, mandate, overdue (with overdueSince and overdueInvoiceRef when it
 * is), credit limit, outstanding and available (decimal numbers
 * with the currency's decimals, plus exact *Minor integers), version and the
 * time it last changed (`updated_at`, RFC 3339). Caller decrefs. */
json_t *bl_account_json(const bl_account *a, const char *updated_at);
#endif
