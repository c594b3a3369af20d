/* Unit tests of billing_account: reading billing's read model from a contract
 * resource (as the contract daemon publishes it in `contract.*` events), the
 * purchase rule and the order of its refusal reasons, the reasons' codes and
 * sentences, and the GET /contracts/{contractRef}/account document. */
#include "billing_account.h"

#include "bp_money.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tu_money.h"

#define CONTRACT_ID "0b7e6c1e-2f4a-4c55-9d0e-5a1b2c3d4e5f"

/* The contract resource after three changes, shaped as GET /contracts/{ref}. */
static const char *const contract_resource =
    "{"
    " \"contractId\": \"" CONTRACT_ID "\", \"contractRef\": \"CTR-ACME-001\","
    " \"productRef\": \"DEFERRED_BILLING\", \"contractType\": \"DEFERRED_BILLING\","
    " \"createdAt\": \"2026-01-02\", \"signedAt\": \"2026-01-02\","
    " \"activatedAt\": \"2026-01-05\", \"expireAt\": \"2027-01-04\","
    " \"status\": \"ACTIVE\", \"version\": 3, \"updatedAt\": \"2026-01-05T10:00:00.000Z\","
    " \"distributor\": {\"distributorRef\": \"esgi SA\"},"
    " \"subscriber\": {\"subscriberRef\": \"ACME SA\", \"subscriberType\": \"PROFESSIONNAL\","
    "   \"party\": {\"customerId\": \"PRO-1\", \"customerRef\": \"ACME\"},"
    "   \"customerRef\": \"ACME\","
    "   \"contactPerson\": {\"lastName\": \"DOE\", \"mail\": \"john.doe@acme.com\"}},"
    " \"payment\": {\"mandate\": {\"reference\": \"MDT-ACME-001\","
    "   \"iban\": \"FR76*******************0189\", \"signedAt\": \"2026-01-02\","
    "   \"expireAt\": \"2028-01-02\", \"status\": \"VALID\"}},"
    " \"billing\": {\"creditLimit\": {\"amount\": \"5000.00\", \"currency\": \"EUR\","
    "   \"minorUnits\": 500000}, \"paymentTermDays\": 45, \"invoiceEmail\": \"ap@acme.com\"}"
    "}";

static json_t *load(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (j == NULL)
        fail_msg("test JSON does not parse: %s (line %d)", err.text, err.line);
    return j;
}

/* Reads a member at a dotted path (borrowed), NULL when absent. */
static json_t *get_path(const json_t *root, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const json_t *obj = root;
    char *save = NULL;
    for (char *name = strtok_r(buf, ".", &save); name; name = strtok_r(NULL, ".", &save))
        obj = json_object_get(obj, name);
    return (json_t *)obj;
}

/* Sets (or deletes, when value is NULL) the member at a dotted path; the
 * parents must exist. Takes ownership of value. */
static void set_path(json_t *root, const char *path, json_t *value)
{
    char parent[128];
    const char *dot = strrchr(path, '.');
    json_t *obj = root;
    if (dot != NULL) {
        snprintf(parent, sizeof parent, "%.*s", (int)(dot - path), path);
        obj = get_path(root, parent);
    }
    if (!json_is_object(obj)) {
        json_decref(value);
        fail_msg("set_path: no object holds %s", path);
    }
    const char *name = dot != NULL ? dot + 1 : path;
    if (value == NULL)
        json_object_del(obj, name);
    else
        json_object_set_new(obj, name, value);
}

static bp_date ymd(int y, int m, int d) { return bp_date_from_ymd(y, m, d); }

/* The account of the full contract resource. */
static void full_account(bl_account *a)
{
    json_t *data = load(contract_resource);
    const char *err = bl_account_from_contract(data, a);
    json_decref(data);
    if (err != NULL)
        fail_msg("full contract refused: %s", err);
}

/* A string of n copies of c (n < 300). */
static json_t *long_string(size_t n, char c)
{
    char buf[300];
    memset(buf, c, n);
    buf[n] = '\0';
    return json_string(buf);
}

/* ---- bl_account_from_contract --------------------------------------------- */

static void test_from_contract_full(void **state)
{
    bl_account a;
    full_account(&a);
    assert_string_equal(a.contract_id, CONTRACT_ID);
    assert_string_equal(a.contract_ref, "CTR-ACME-001");
    assert_string_equal(a.customer_ref, "ACME");
    assert_string_equal(a.status, "ACTIVE");
    assert_int_equal(a.activated_at, ymd(2026, 1, 5));
    assert_int_equal(a.expire_at, ymd(2027, 1, 4));
    assert_true(a.has_mandate);
    assert_string_equal(a.mandate_ref, "MDT-ACME-001");
    assert_string_equal(a.mandate_status, "VALID");
    assert_int_equal(a.mandate_signed_at, ymd(2026, 1, 2));
    assert_true(a.mandate_has_expiry);
    assert_int_equal(a.mandate_expire_at, ymd(2028, 1, 2));
    assert_string_equal(a.currency, "EUR");
    assert_int_equal(a.credit_limit, 500000);
    assert_int_equal(a.payment_term_days, 45);
    assert_string_equal(a.invoice_email, "ap@acme.com");
    assert_int_equal(a.version, 3);
    assert_int_equal(a.outstanding, 0); /* billing's own, never from the event */
}

static void test_from_contract_optional_parts(void **state)
{
    json_t *data = load(contract_resource);
    set_path(data, "subscriber", NULL);
    set_path(data, "billing.paymentTermDays", NULL);
    set_path(data, "billing.invoiceEmail", NULL);
    set_path(data, "payment", NULL);
    set_path(data, "outstanding", json_integer(999)); /* ignored */
    bl_account a;
    memset(&a, 0x5a, sizeof a);
    assert_null(bl_account_from_contract(data, &a));
    assert_string_equal(a.customer_ref, "");
    assert_int_equal(a.payment_term_days, 30);
    assert_string_equal(a.invoice_email, "");
    assert_false(a.has_mandate);
    assert_false(a.mandate_has_expiry);
    assert_int_equal(a.outstanding, 0);

    set_path(data, "payment", json_pack("{s:n}", "mandate"));
    assert_null(bl_account_from_contract(data, &a));
    assert_false(a.has_mandate);

    /* a revoked mandate without expiry, a zero credit limit in yen */
    set_path(data, "payment",
             load("{\"mandate\": {\"reference\": \"MDT-2\","
                  " \"iban\": \"DE89**************3000\","
                  " \"signedAt\": \"2026-02-01\", \"status\": \"REVOKED\","
                  " \"revokedAt\": \"2026-03-01T08:00:00.000Z\"}}"));
    set_path(data, "billing.creditLimit",
             json_pack("{s:s, s:s, s:i}", "amount", "0", "currency", "JPY", "minorUnits", 0));
    set_path(data, "status", json_string("SUSPENDED"));
    assert_null(bl_account_from_contract(data, &a));
    assert_true(a.has_mandate);
    assert_string_equal(a.mandate_ref, "MDT-2");
    assert_string_equal(a.mandate_status, "REVOKED");
    assert_int_equal(a.mandate_signed_at, ymd(2026, 2, 1));
    assert_false(a.mandate_has_expiry);
    assert_string_equal(a.currency, "JPY");
    assert_int_equal(a.credit_limit, 0);
    assert_string_equal(a.status, "SUSPENDED");
    json_decref(data);
}

/* Each missing or malformed part is named in the returned message. */
static void test_from_contract_malformed(void **state)
{
    static const char *const ids = "contractId or contractRef missing";
    static const char *const dates = "activatedAt or expireAt missing";
    static const char *const limit = "billing.creditLimit missing or malformed";
    static const char *const mandate = "payment.mandate malformed";
    const struct {
        const char *path;
        json_t *value; /* NULL: delete */
        const char *message;
    } cases[] = {
        {"contractId", NULL, ids},
        {"contractId", json_integer(1), ids},
        {"contractId", long_string(37, 'a'), ids},
        {"contractRef", NULL, ids},
        {"contractRef", json_null(), ids},
        {"contractRef", long_string(65, 'R'), ids},
        {"status", NULL, "status missing"},
        {"status", json_integer(2), "status missing"},
        {"status", long_string(16, 'S'), "status missing"},
        {"activatedAt", NULL, dates},
        {"expireAt", NULL, dates},
        {"expireAt", json_string("2027-02-30"), dates},
        {"activatedAt", json_string("2026-01-05T00:00:00Z"), dates},
        {"activatedAt", json_integer(20260105), dates},
        {"version", NULL, "version missing"},
        {"version", json_integer(0), "version missing"},
        {"version", json_string("3"), "version missing"},
        {"version", json_real(3.0), "version missing"},
        {"billing", NULL, limit},
        {"billing.creditLimit", NULL, limit},
        {"billing.creditLimit.currency", NULL, limit},
        {"billing.creditLimit.currency", json_string("XYZ"), limit},
        {"billing.creditLimit.currency", json_string("eur"), limit},
        {"billing.creditLimit.currency", json_string("EURO"), limit},
        {"billing.creditLimit.minorUnits", NULL, limit},
        {"billing.creditLimit.minorUnits", json_integer(-1), limit},
        {"billing.creditLimit.minorUnits", json_string("500000"), limit},
        {"billing.creditLimit.minorUnits", json_real(500000.0), limit},
        /* Regression (fuzz_contract_event): a limit past BP_MONEY_MAX_MINOR was taken, and
         * the available amount (limit - outstanding) could overflow. */
        {"billing.creditLimit.minorUnits", json_integer(BP_MONEY_MAX_MINOR + 1), limit},
        {"billing.creditLimit.minorUnits", json_integer(INT64_MAX), limit},
        {"payment.mandate.reference", NULL, mandate},
        {"payment.mandate.reference", long_string(36, 'M'), mandate},
        {"payment.mandate.status", NULL, mandate},
        {"payment.mandate.status", long_string(16, 'V'), mandate},
        {"payment.mandate.signedAt", NULL, mandate},
        {"payment.mandate.signedAt", json_string("2026-01-32"), mandate},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *data = load(contract_resource);
        set_path(data, cases[i].path, cases[i].value);
        bl_account a;
        const char *msg = bl_account_from_contract(data, &a);
        json_decref(data);
        if (msg == NULL)
            fail_msg("case %zu (%s): accepted", i, cases[i].path);
        if (strcmp(msg, cases[i].message) != 0)
            fail_msg("case %zu (%s): '%s', expected '%s'", i, cases[i].path, msg, cases[i].message);
    }
    bl_account a;
    assert_string_equal(bl_account_from_contract(NULL, &a), ids);
    json_t *arr = json_array();
    assert_string_equal(bl_account_from_contract(arr, &a), ids);
    json_decref(arr);

    /* the longest accepted values fit their buffers exactly */
    json_t *data = load(contract_resource);
    set_path(data, "contractRef", long_string(64, 'R'));
    set_path(data, "payment.mandate.reference", long_string(35, 'M'));
    assert_null(bl_account_from_contract(data, &a));
    assert_int_equal(strlen(a.contract_ref), 64);
    assert_int_equal(strlen(a.mandate_ref), 35);
    json_decref(data);
}

/* ---- bl_authorize ---------------------------------------------------------- */

/* ACTIVE 2026-01-05..2027-01-04, mandate signed 2026-01-02 (expires
 * 2028-01-02), 5000.00 EUR limit, 1234.56 outstanding. */
static void active_account(bl_account *a)
{
    full_account(a);
    a->outstanding = 123456;
}

static void test_authorize_ok(void **state)
{
    bl_account a;
    active_account(&a);
    assert_int_equal(bl_authorize(&a, "EUR", ymd(2026, 6, 1), 2108), BL_OK);
    assert_int_equal(bl_authorize(&a, "EUR", ymd(2026, 1, 5), 1), BL_OK); /* first day */
    assert_int_equal(bl_authorize(&a, "EUR", ymd(2027, 1, 4), 1), BL_OK); /* last day */
}

static void test_authorize_unknown_and_currency(void **state)
{
    assert_int_equal(bl_authorize(NULL, "EUR", ymd(2026, 6, 1), 100), BL_CONTRACT_UNKNOWN);
    bl_account a;
    active_account(&a);
    assert_int_equal(bl_authorize(&a, "USD", ymd(2026, 6, 1), 100), BL_CURRENCY_MISMATCH);
    assert_int_equal(bl_authorize(&a, "eur", ymd(2026, 6, 1), 100), BL_CURRENCY_MISMATCH);
    /* currency is checked before anything else about the contract */
    snprintf(a.status, sizeof a.status, "EXPIRED");
    a.has_mandate = false;
    assert_int_equal(bl_authorize(&a, "USD", ymd(2030, 1, 1), INT64_C(999999999)),
                     BL_CURRENCY_MISMATCH);
}

static void test_authorize_status(void **state)
{
    bl_account a;
    active_account(&a);
    snprintf(a.status, sizeof a.status, "EXPIRED");
    assert_int_equal(bl_authorize(&a, "EUR", ymd(2026, 6, 1), 100), BL_CONTRACT_EXPIRED);
    static const char *const not_active[] = {"SUSPENDED", "CANCELLED", "CREATED", "active", ""};
    for (size_t i = 0; i < sizeof not_active / sizeof not_active[0]; i++) {
        active_account(&a);
        snprintf(a.status, sizeof a.status, "%s", not_active[i]);
        assert_int_equal(bl_authorize(&a, "EUR", ymd(2026, 6, 1), 100), BL_CONTRACT_NOT_ACTIVE);
        /* the status comes before the dates, the mandate and the limit */
        a.has_mandate = false;
        assert_int_equal(bl_authorize(&a, "EUR", ymd(2030, 6, 1), INT64_C(99999999)),
                         BL_CONTRACT_NOT_ACTIVE);
    }
    active_account(&a);
    snprintf(a.status, sizeof a.status, "EXPIRED");
    a.has_mandate = false;
    assert_int_equal(bl_authorize(&a, "EUR", ymd(2026, 6, 1), INT64_C(99999999)),
                     BL_CONTRACT_EXPIRED);
}

static void test_authorize_validity_dates(void **state)
{
    bl_account a;
    active_account(&a);
    assert_int_equal(bl_authorize(&a, "EUR", ymd(2026, 1, 4), 1), BL_CONTRACT_EXPIRED);
    assert_int_equal(bl_authorize(&a, "EUR", ymd(2026, 1, 5), 1), BL_OK);
    assert_int_equal(bl_authorize(&a, "EUR", ymd(2027, 1, 4), 1), BL_OK);
    assert_int_equal(bl_authorize(&a, "EUR", ymd(2027, 1, 5), 1), BL_CONTRACT_EXPIRED);
    assert_int_equal(bl_authorize(&a, "EUR", ymd(1999, 1, 1), 1), BL_CONTRACT_EXPIRED);
    /* the dates come before the mandate and the limit */
    a.has_mandate = false;
    assert_int_equal(bl_authorize(&a, "EUR", ymd(2027, 1, 5), INT64_C(99999999)),
                     BL_CONTRACT_EXPIRED);
    /* a one-day contract */
    active_account(&a);
    a.activated_at = a.expire_at = ymd(2026, 6, 1);
    assert_int_equal(bl_authorize(&a, "EUR", ymd(2026, 6, 1), 1), BL_OK);
    assert_int_equal(bl_authorize(&a, "EUR", ymd(2026, 6, 2), 1), BL_CONTRACT_EXPIRED);
    assert_int_equal(bl_authorize(&a, "EUR", ymd(2026, 5, 31), 1), BL_CONTRACT_EXPIRED);
}

static void test_authorize_mandate(void **state)
{
    bl_account a;
    bp_date day = ymd(2026, 6, 1);
    active_account(&a);
    a.has_mandate = false;
    assert_int_equal(bl_authorize(&a, "EUR", day, 1), BL_MANDATE_INVALID);

    active_account(&a);
    snprintf(a.mandate_status, sizeof a.mandate_status, "REVOKED");
    assert_int_equal(bl_authorize(&a, "EUR", day, 1), BL_MANDATE_INVALID);

    active_account(&a);
    a.mandate_signed_at = day + 1; /* signed after the operation date */
    assert_int_equal(bl_authorize(&a, "EUR", day, 1), BL_MANDATE_INVALID);
    a.mandate_signed_at = day; /* signed that day */
    assert_int_equal(bl_authorize(&a, "EUR", day, 1), BL_OK);

    active_account(&a);
    a.mandate_expire_at = day - 1; /* expired the day before */
    assert_int_equal(bl_authorize(&a, "EUR", day, 1), BL_MANDATE_INVALID);
    a.mandate_expire_at = day; /* last day of the mandate */
    assert_int_equal(bl_authorize(&a, "EUR", day, 1), BL_OK);
    a.mandate_has_expiry = false; /* the stale date means nothing then */
    a.mandate_expire_at = day - 100;
    assert_int_equal(bl_authorize(&a, "EUR", day, 1), BL_OK);

    /* the mandate comes before the credit limit */
    active_account(&a);
    snprintf(a.mandate_status, sizeof a.mandate_status, "REVOKED");
    assert_int_equal(bl_authorize(&a, "EUR", day, INT64_C(99999999)), BL_MANDATE_INVALID);
}

static void test_authorize_credit_limit(void **state)
{
    bl_account a;
    bp_date day = ymd(2026, 6, 1);
    active_account(&a); /* 5000.00 limit, 1234.56 outstanding: 3765.44 available */
    assert_int_equal(bl_authorize(&a, "EUR", day, 376544), BL_OK);
    assert_int_equal(bl_authorize(&a, "EUR", day, 376545), BL_CREDIT_LIMIT_EXCEEDED);
    a.outstanding = 0;
    assert_int_equal(bl_authorize(&a, "EUR", day, 500000), BL_OK);
    assert_int_equal(bl_authorize(&a, "EUR", day, 500001), BL_CREDIT_LIMIT_EXCEEDED);
    a.outstanding = 500000;
    assert_int_equal(bl_authorize(&a, "EUR", day, 1), BL_CREDIT_LIMIT_EXCEEDED);
    a.credit_limit = 0;
    a.outstanding = 0;
    assert_int_equal(bl_authorize(&a, "EUR", day, 1), BL_CREDIT_LIMIT_EXCEEDED);
    a.credit_limit = BP_MONEY_MAX_MINOR;
    assert_int_equal(bl_authorize(&a, "EUR", day, BP_MONEY_MAX_MINOR), BL_OK);
    assert_int_equal(bl_authorize(&a, "EUR", day, BP_MONEY_MAX_MINOR + 1),
                     BL_CREDIT_LIMIT_EXCEEDED);
}

/* ---- reasons ---------------------------------------------------------------- */

/* An overdue account refuses every purchase, however small, after the contract
 * and mandate checks and before the credit limit (the order the SQL cannot show:
 * explain_refusal names the first failing rule). */
static void expect_message(bl_reason r, const bl_account *a, const char *currency, bp_date date,
                           int64_t amount, int exponent, ...);

static void test_authorize_overdue(void **state)
{
    (void)state;
    bl_account a;
    active_account(&a);
    bp_date day = ymd(2026, 6, 1);
    assert_int_equal(bl_authorize(&a, "EUR", day, 1), BL_OK);
    snprintf(a.overdue_since, sizeof a.overdue_since, "2026-12-08T06:00:00.000Z");
    snprintf(a.overdue_invoice_ref, sizeof a.overdue_invoice_ref, "INV-2026-11-0001");
    assert_int_equal(bl_authorize(&a, "EUR", day, 1), BL_ACCOUNT_OVERDUE);
    assert_int_equal(bl_authorize(&a, "EUR", day, INT64_C(99999999)), BL_ACCOUNT_OVERDUE);
    assert_int_equal(bl_authorize(&a, "USD", day, 1), BL_CURRENCY_MISMATCH);
    assert_int_equal(bl_authorize(&a, "EUR", ymd(2030, 1, 1), 1), BL_CONTRACT_EXPIRED);
    snprintf(a.mandate_status, sizeof a.mandate_status, "REVOKED");
    assert_int_equal(bl_authorize(&a, "EUR", day, 1), BL_MANDATE_INVALID);
    snprintf(a.mandate_status, sizeof a.mandate_status, "VALID");
    a.overdue_since[0] = '\0'; /* paid: accepted again */
    assert_int_equal(bl_authorize(&a, "EUR", day, 1), BL_OK);
    assert_string_equal(bl_reason_code(BL_ACCOUNT_OVERDUE), "ACCOUNT_OVERDUE");
    snprintf(a.overdue_since, sizeof a.overdue_since, "2026-12-08T06:00:00.000Z");
    expect_message(BL_ACCOUNT_OVERDUE, &a, "EUR", day, 1, 2, "overdue", "INV-2026-11-0001",
                   "2026-12-08T06:00:00.000Z", NULL);
}

static void test_reason_codes(void **state)
{
    assert_string_equal(bl_reason_code(BL_OK), "OK");
    assert_string_equal(bl_reason_code(BL_CONTRACT_UNKNOWN), "CONTRACT_UNKNOWN");
    assert_string_equal(bl_reason_code(BL_CURRENCY_MISMATCH), "CURRENCY_MISMATCH");
    assert_string_equal(bl_reason_code(BL_CONTRACT_NOT_ACTIVE), "CONTRACT_NOT_ACTIVE");
    assert_string_equal(bl_reason_code(BL_CONTRACT_EXPIRED), "CONTRACT_EXPIRED");
    assert_string_equal(bl_reason_code(BL_MANDATE_INVALID), "MANDATE_INVALID");
    assert_string_equal(bl_reason_code(BL_CREDIT_LIMIT_EXCEEDED), "CREDIT_LIMIT_EXCEEDED");
    assert_string_equal(bl_reason_code((bl_reason)(BL_CREDIT_LIMIT_EXCEEDED + 1)), "REJECTED");
}

/* Expects the message of `r` to contain every needle (NULL-terminated). */
static void expect_message(bl_reason r, const bl_account *a, const char *currency, bp_date date,
                           int64_t amount, int exponent, ...)
{
    char buf[256];
    memset(buf, 'x', sizeof buf);
    bl_reason_message(r, a, currency, date, amount, exponent, buf, sizeof buf);
    assert_non_null(memchr(buf, '\0', sizeof buf));
    assert_true(strlen(buf) > 0);
    va_list ap;
    va_start(ap, exponent);
    for (const char *needle = va_arg(ap, const char *); needle != NULL;
         needle = va_arg(ap, const char *)) {
        if (strstr(buf, needle) == NULL) {
            va_end(ap);
            fail_msg("%s: '%s' does not mention '%s'", bl_reason_code(r), buf, needle);
        }
    }
    va_end(ap);
}

static void test_reason_messages(void **state)
{
    bl_account a;
    active_account(&a);
    bp_date day = ymd(2026, 6, 1);
    expect_message(BL_OK, &a, "EUR", day, 1, 2, "accepted", NULL);
    expect_message(BL_CONTRACT_UNKNOWN, NULL, "EUR", day, 1, 2, "no such contract", NULL);
    expect_message(BL_CURRENCY_MISMATCH, &a, "USD", day, 1, 2, "USD", "EUR", NULL);
    snprintf(a.status, sizeof a.status, "SUSPENDED");
    expect_message(BL_CONTRACT_NOT_ACTIVE, &a, "EUR", day, 1, 2, "SUSPENDED", NULL);
    expect_message(BL_CONTRACT_EXPIRED, &a, "EUR", ymd(2027, 1, 5), 1, 2, "2027-01-05",
                   "2026-01-05", "2027-01-04", NULL);
    expect_message(BL_MANDATE_INVALID, &a, "EUR", day, 1, 2, "mandate", "2026-06-01", NULL);
    /* 4000.01 wanted, 5000.00 - 1234.56 = 3765.44 available */
    expect_message(BL_CREDIT_LIMIT_EXCEEDED, &a, "EUR", day, 400001, 2, "4000.01 EUR",
                   "3765.44 EUR", NULL);
    a.outstanding = 500000;
    expect_message(BL_CREDIT_LIMIT_EXCEEDED, &a, "EUR", day, 5, 2, "0.05 EUR", "0.00 EUR", NULL);
    snprintf(a.currency, sizeof a.currency, "JPY");
    a.credit_limit = 100000;
    a.outstanding = 2500;
    expect_message(BL_CREDIT_LIMIT_EXCEEDED, &a, "JPY", day, 97501, 0, "97501 JPY", "97500 JPY",
                   NULL);
    expect_message((bl_reason)42, &a, "EUR", day, 1, 2, "refused", NULL);

    /* a short buffer is truncated, never overrun */
    char small[12];
    bl_reason_message(BL_CREDIT_LIMIT_EXCEEDED, &a, "JPY", day, 97501, 0, small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
}

/* Regression (billing_account.c, bl_reason_message): bl_authorize answers
 * CONTRACT_EXPIRED for a contract whose status is EXPIRED whatever the date,
 * but the message always says the date is outside the validity. An operation
 * dated 2026-06-01 on an EXPIRED contract valid 2026-01-05..2027-01-04 reads
 * "the operation date 2026-06-01 is outside the contract's validity 2026-01-05
 * to 2027-01-04", which is false; it should say the contract is EXPIRED. */
static void test_reason_message_expired_status(void **state)
{
    bl_account a;
    active_account(&a);
    snprintf(a.status, sizeof a.status, "EXPIRED");
    bp_date day = ymd(2026, 6, 1);
    assert_int_equal(bl_authorize(&a, "EUR", day, 1), BL_CONTRACT_EXPIRED);
    char buf[256];
    bl_reason_message(BL_CONTRACT_EXPIRED, &a, "EUR", day, 1, 2, buf, sizeof buf);
    assert_null(strstr(buf, "is outside"));
    assert_non_null(strstr(buf, "EXPIRED"));
}

/* ---- bl_account_json ------------------------------------------------------- */

static int64_t minor_at(const json_t *doc, const char *path, int exponent)
{
    return tu_money(get_path(doc, path), path, NULL, exponent);
}

static const char *sget(const json_t *doc, const char *path)
{
    return json_string_value(get_path(doc, path));
}

static void test_account_json(void **state)
{
    bl_account a;
    active_account(&a);
    json_t *j = bl_account_json(&a, "2026-01-05T10:00:00.000Z");
    assert_non_null(j);
    assert_string_equal(sget(j, "contractId"), CONTRACT_ID);
    assert_string_equal(sget(j, "contractRef"), "CTR-ACME-001");
    assert_string_equal(sget(j, "status"), "ACTIVE");
    assert_string_equal(sget(j, "activatedAt"), "2026-01-05");
    assert_string_equal(sget(j, "expireAt"), "2027-01-04");
    assert_string_equal(sget(j, "currency"), "EUR");
    assert_string_equal(sget(j, "customerRef"), "ACME");
    assert_int_equal(minor_at(j, "creditLimit", 2), 500000);
    assert_int_equal(minor_at(j, "outstanding", 2), 123456);
    assert_int_equal(minor_at(j, "available", 2), 376544);
    assert_string_equal(sget(j, "available.amount"), "3765.44");
    assert_string_equal(sget(j, "available.currency"), "EUR");
    static const char *const gone[] = {"creditLimitMinor", "outstandingMinor", "availableMinor"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        assert_null(json_object_get(j, gone[i])); /* minorUnits is in each Money object */
    static const struct {
        const char *name;
        int64_t value;
    } minors[] = {{"paymentTermDays", 45}, {"version", 3}};
    for (size_t i = 0; i < sizeof minors / sizeof minors[0]; i++) {
        json_t *v = json_object_get(j, minors[i].name);
        if (!json_is_integer(v) || json_integer_value(v) != minors[i].value)
            fail_msg("%s: expected the integer %lld", minors[i].name, (long long)minors[i].value);
    }
    assert_string_equal(sget(j, "mandate.reference"), "MDT-ACME-001");
    assert_string_equal(sget(j, "mandate.status"), "VALID");
    assert_string_equal(sget(j, "mandate.signedAt"), "2026-01-02");
    assert_string_equal(sget(j, "mandate.expireAt"), "2028-01-02");
    assert_int_equal(json_object_size(json_object_get(j, "mandate")), 4);
    assert_string_equal(sget(j, "lastChangedAt"), "2026-01-05T10:00:00.000Z");
    assert_null(json_object_get(j, "iban"));
    assert_null(json_object_get(j, "invoiceEmail"));
    json_decref(j);
}

static void test_account_json_without_mandate(void **state)
{
    bl_account a;
    active_account(&a);
    a.has_mandate = false;
    a.customer_ref[0] = '\0';
    json_t *j = bl_account_json(&a, NULL);
    assert_null(json_object_get(j, "mandate"));
    assert_null(json_object_get(j, "customerRef"));
    assert_string_equal(sget(j, "lastChangedAt"), "");
    json_decref(j);

    /* a mandate without expiry: no expireAt */
    active_account(&a);
    a.mandate_has_expiry = false;
    snprintf(a.mandate_status, sizeof a.mandate_status, "REVOKED");
    j = bl_account_json(&a, "2026-03-01T08:00:00.000Z");
    assert_string_equal(sget(j, "mandate.status"), "REVOKED");
    assert_null(get_path(j, "mandate.expireAt"));
    json_decref(j);
}

static void test_account_json_yen_and_overdrawn(void **state)
{
    bl_account a;
    active_account(&a);
    snprintf(a.currency, sizeof a.currency, "JPY");
    a.credit_limit = 100000;
    a.outstanding = 100500; /* over the limit after a lowered limit */
    json_t *j = bl_account_json(&a, "2026-01-05T10:00:00.000Z");
    assert_string_equal(sget(j, "currency"), "JPY");
    assert_int_equal(minor_at(j, "creditLimit", 0), 100000);
    assert_int_equal(minor_at(j, "outstanding", 0), 100500);
    assert_int_equal(minor_at(j, "available", 0), -500);
    assert_string_equal(sget(j, "available.amount"), "-500");
    assert_string_equal(sget(j, "available.currency"), "JPY");
    json_decref(j);

    /* the round trip from a contract resource */
    json_t *data = load(contract_resource);
    assert_null(bl_account_from_contract(data, &a));
    j = bl_account_json(&a, "x");
    assert_int_equal(minor_at(j, "creditLimit", 2), 500000);
    assert_int_equal(minor_at(j, "outstanding", 2), 0);
    assert_int_equal(minor_at(j, "available", 2), 500000);
    /* billing answers the credit limit in the very shape contract sent it */
    assert_true(
        json_equal(json_object_get(j, "creditLimit"), get_path(data, "billing.creditLimit")));
    assert_true(json_equal(json_object_get(j, "contractId"), json_object_get(data, "contractId")));
    json_decref(j);
    json_decref(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_contract_full),
        cmocka_unit_test(test_from_contract_optional_parts),
        cmocka_unit_test(test_from_contract_malformed),
        cmocka_unit_test(test_authorize_ok),
        cmocka_unit_test(test_authorize_unknown_and_currency),
        cmocka_unit_test(test_authorize_status),
        cmocka_unit_test(test_authorize_validity_dates),
        cmocka_unit_test(test_authorize_mandate),
        cmocka_unit_test(test_authorize_credit_limit),
        cmocka_unit_test(test_authorize_overdue),
        cmocka_unit_test(test_reason_codes),
        cmocka_unit_test(test_reason_messages),
        cmocka_unit_test(test_reason_message_expired_status),
        cmocka_unit_test(test_account_json),
        cmocka_unit_test(test_account_json_without_mandate),
        cmocka_unit_test(test_account_json_yen_and_overdrawn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
