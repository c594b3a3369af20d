/* billing_account: contract event → read-model fields; refusal reasons. */
#include "billing_account.h"

#include "bp_money.h"
#include "bp_random.h"

#include <stdio.h>
#include <string.h>

static bool copy(char *dst, size_t size, const json_t *v)
{
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) >= size)
        return false;
    memcpy(dst, s, strlen(s) + 1);
    return true;
}

/* A text of at most max_chars characters (what contract admits) into dst. */
static bool copy_text(char *dst, size_t size, const json_t *v, size_t max_chars)
{
    const char *s = json_string_value(v);
    return s != NULL && bp_utf8_chars(s, strlen(s)) <= max_chars && copy(dst, size, v);
}

static bool date_of(const json_t *v, bp_date *out)
{
    return json_is_string(v) && bp_date_parse(json_string_value(v), out);
}

const char *bl_account_from_contract(const json_t *data, bl_account *a)
{
    memset(a, 0, sizeof *a);
    if (!copy(a->contract_id, sizeof a->contract_id, json_object_get(data, "contractId")) ||
        !copy(a->contract_ref, sizeof a->contract_ref, json_object_get(data, "contractRef")))
        return "contractId or contractRef missing";
    if (!bp_uuid_valid(a->contract_id))
        return "contractId is not a UUID";
    if (!copy(a->status, sizeof a->status, json_object_get(data, "status")))
        return "status missing";
    if (!date_of(json_object_get(data, "activatedAt"), &a->activated_at) ||
        !date_of(json_object_get(data, "expireAt"), &a->expire_at))
        return "activatedAt or expireAt missing";
    json_t *v = json_object_get(data, "version");
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return "version missing";
    a->version = json_integer_value(v);
    json_t *sub = json_object_get(data, "subscriber");
    const char *cref = json_string_value(json_object_get(sub, "customerRef"));
    if (cref != NULL)
        snprintf(a->customer_ref, sizeof a->customer_ref, "%s", cref);
    json_t *billing = json_object_get(data, "billing");
    json_t *limit = json_object_get(billing, "creditLimit");
    json_t *minor = json_object_get(limit, "minorUnits");
    int exponent;
    if (!copy(a->currency, sizeof a->currency, json_object_get(limit, "currency")) ||
        !bp_currency_exponent(a->currency, &exponent) || !json_is_integer(minor) ||
        json_integer_value(minor) < 0 || json_integer_value(minor) > BP_MONEY_MAX_MINOR)
        return "billing.creditLimit missing or malformed";
    a->credit_limit = json_integer_value(minor);
    json_t *term = json_object_get(billing, "paymentTermDays");
    a->payment_term_days = json_is_integer(term) ? (int)json_integer_value(term) : 30;
    const char *mail = json_string_value(json_object_get(billing, "invoiceEmail"));
    if (mail != NULL)
        snprintf(a->invoice_email, sizeof a->invoice_email, "%s", mail);
    json_t *mandate = json_object_get(json_object_get(data, "payment"), "mandate");
    if (json_is_object(mandate)) {
        a->has_mandate = true;
        if (!copy_text(a->mandate_ref, sizeof a->mandate_ref, json_object_get(mandate, "reference"),
                       35) ||
            !copy(a->mandate_status, sizeof a->mandate_status,
                  json_object_get(mandate, "status")) ||
            !date_of(json_object_get(mandate, "signedAt"), &a->mandate_signed_at))
            return "payment.mandate malformed";
        a->mandate_has_expiry =
            date_of(json_object_get(mandate, "expireAt"), &a->mandate_expire_at);
    }
    return NULL;
}

bl_reason bl_authorize(const bl_account *a, const char *currency, bp_date date, int64_t amount)
{
    if (a == NULL)
        return BL_CONTRACT_UNKNOWN;
    if (strcmp(currency, a->currency) != 0)
        return BL_CURRENCY_MISMATCH;
    if (strcmp(a->status, "EXPIRED") == 0)
        return BL_CONTRACT_EXPIRED;
    if (strcmp(a->status, "ACTIVE") != 0)
        return BL_CONTRACT_NOT_ACTIVE;
    if (date < a->activated_at || date > a->expire_at)
        return BL_CONTRACT_EXPIRED;
    if (!a->has_mandate || strcmp(a->mandate_status, "VALID") != 0 || date < a->mandate_signed_at ||
        (a->mandate_has_expiry && date > a->mandate_expire_at))
        return BL_MANDATE_INVALID;
    if (a->overdue_since[0] != '\0')
        return BL_ACCOUNT_OVERDUE;
    if (amount > a->credit_limit - a->outstanding)
        return BL_CREDIT_LIMIT_EXCEEDED;
    return BL_OK;
}

const char *bl_reason_code(bl_reason r)
{
    static const char *const codes[] = {"OK",
                                        "CONTRACT_UNKNOWN",
                                        "CURRENCY_MISMATCH",
                                        "CONTRACT_NOT_ACTIVE",
                                        "CONTRACT_EXPIRED",
                                        "MANDATE_INVALID",
                                        "ACCOUNT_OVERDUE",
                                        "CREDIT_LIMIT_EXCEEDED"};
    return (unsigned)r < sizeof codes / sizeof codes[0] ? codes[r] : "REJECTED";
}

void bl_reason_message(bl_reason r, const bl_account *a, const char *currency, bp_date date,
                       int64_t amount, int exponent, char *buf, size_t size)
{
    char d[11], x[32], y[32];
    bp_date_format(date, d, sizeof d);
    switch (r) {
    case BL_OK:
        snprintf(buf, size, "accepted");
        return;
    case BL_CONTRACT_UNKNOWN:
        snprintf(buf, size, "billing knows no such contract");
        return;
    case BL_CURRENCY_MISMATCH:
        snprintf(buf, size, "the order is in %s but the contract is billed in %s", currency,
                 a->currency);
        return;
    case BL_CONTRACT_NOT_ACTIVE:
        snprintf(buf, size, "the contract is %s, not ACTIVE", a->status);
        return;
    case BL_CONTRACT_EXPIRED: {
        if (strcmp(a->status, "EXPIRED") == 0) {
            snprintf(buf, size, "the contract is EXPIRED");
            return;
        }
        char from[11], to[11];
        bp_date_format(a->activated_at, from, sizeof from);
        bp_date_format(a->expire_at, to, sizeof to);
        snprintf(buf, size, "the operation date %s is outside the contract's validity %s to %s", d,
                 from, to);
        return;
    }
    case BL_MANDATE_INVALID:
        snprintf(buf, size, "the contract has no direct-debit mandate valid on %s", d);
        return;
    case BL_ACCOUNT_OVERDUE:
        snprintf(buf, size,
                 "the account is overdue since %s: invoice %s is unpaid after its direct debit "
                 "failed; purchases are refused until it is paid",
                 a->overdue_since, a->overdue_invoice_ref[0] ? a->overdue_invoice_ref : "?");
        return;
    case BL_CREDIT_LIMIT_EXCEEDED:
        bp_money_format(amount, exponent, x, sizeof x);
        bp_money_format(a->credit_limit - a->outstanding, exponent, y, sizeof y);
        snprintf(buf, size, "%s %s exceeds the %s %s still available under the credit limit", x,
                 currency, y, currency);
        return;
    }
    snprintf(buf, size, "refused");
}

json_t *bl_account_json(const bl_account *a, const char *updated_at)
{
    char act[11], exp[11];
    bp_date_format(a->activated_at, act, sizeof act);
    bp_date_format(a->expire_at, exp, sizeof exp);
    int64_t available = a->credit_limit - a->outstanding;
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "contractId", a->contract_id,
                          "contractRef", a->contract_ref, "status", a->status, "activatedAt", act,
                          "expireAt", exp, "currency", a->currency);
    if (a->customer_ref[0])
        json_object_set_new(j, "customerRef", json_string(a->customer_ref));
    json_object_set_new(j, "creditLimit", bp_money_json(a->credit_limit, a->currency));
    json_object_set_new(j, "outstanding", bp_money_json(a->outstanding, a->currency));
    json_object_set_new(j, "available", bp_money_json(available, a->currency));
    if (a->has_mandate) {
        char signed_at[11];
        bp_date_format(a->mandate_signed_at, signed_at, sizeof signed_at);
        json_t *m = json_pack("{s:s, s:s, s:s}", "reference", a->mandate_ref, "status",
                              a->mandate_status, "signedAt", signed_at);
        if (a->mandate_has_expiry) {
            char mexp[11];
            bp_date_format(a->mandate_expire_at, mexp, sizeof mexp);
            json_object_set_new(m, "expireAt", json_string(mexp));
        }
        json_object_set_new(j, "mandate", m);
    }
    json_object_set_new(j, "overdue", json_boolean(a->overdue_since[0] != '\0'));
    if (a->overdue_since[0] != '\0') {
        json_object_set_new(j, "overdueSince", json_string(a->overdue_since));
        if (a->overdue_invoice_ref[0] != '\0')
            json_object_set_new(j, "overdueInvoiceRef", json_string(a->overdue_invoice_ref));
    }
    json_object_set_new(j, "paymentTermDays", json_integer(a->payment_term_days));
    json_object_set_new(j, "version", json_integer(a->version));
    json_object_set_new(j, "lastChangedAt", json_string(updated_at ? updated_at : ""));
    return j;
}
