/* Unit tests of contract_model: IBAN normalisation and masking, parsing and
 * normalising POST /contracts (and every rejection with its field path),
 * completing a new document, and applying each lifecycle action. Expected
 * shapes follow openapi/contract.yaml (which wins over docs/contract-api.md). */
#include "contract_model.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FR_IBAN "FR7630006000011234567890189"
#define FR_MASK "FR76*******************0189"
/* Another valid French IBAN with the same mask as FR_IBAN. */
#define FR_IBAN_TWIN "FR7630006097011234567890189"
#define DE_IBAN "DE89370400440532013000"
#define DE_MASK "DE89**************3000"
#define NOW "2026-01-02T10:00:00.000Z"
#define LATER "2026-01-03T11:00:00.000Z"

static const char *const full_request =
    "{"
    " \"contractRef\": \"CTR-ACME-001\","
    " \"productRef\": \"DEFERRED_BILLING\","
    " \"contractType\": \"DEFERRED_BILLING\","
    " \"createdAt\": \"2026-01-02\", \"signedAt\": \"2026-01-02\","
    " \"activatedAt\": \"2026-01-05\", \"expireAt\": \"2027-01-04\","
    " \"status\": \"ACTIVE\","
    " \"unknownField\": \"dropped\","
    " \"distributor\": {"
    "   \"distributorRef\": \"esgi SA\","
    "   \"eFacturation\": {\"siren\": \"123456789\", \"tvaIntracommunautaire\": "
    "\"FR00123456789\", \"country\": \"FR\"},"
    "   \"contactPerson\": {\"lastName\": \"Martin\", \"mail\": \"sales@esgi.fr\"},"
    "   \"contactAddress\": {\"line1\": \"1 rue de Rivoli\", \"postalCode\": \"75001\","
    "                        \"locality\": \"Paris\", \"countryCode\": \"FR\"}"
    " },"
    " \"subscriber\": {"
    "   \"subscriberRef\": \"ACME SA\", \"subscriberType\": \"PROFESSIONNAL\","
    "   \"party\": {\"customerId\": \"PRO-1\", \"customerRef\": \"ACME\"},"
    "   \"eInvoicing\": {\"siren\": \"987654321\"},"
    "   \"contactPerson\": {\"ccuid\": \"CCU-1\", \"contactId\": \"CCU-1\", \"gender\": \"M\","
    "     \"firstName\": \"John\", \"lastName\": \"DOE\", \"mail\": \"john.doe@acme.com\","
    "     \"phone\": \"+33 1 00 00 00 00\", \"shoeSize\": 44},"
    "   \"contactAddress\": {\"line1\": \"2 avenue Foch\", \"countryCode\": \"FR\"},"
    "   \"billingAddress\": {\"line1\": \"BP 12\", \"countryCode\": \"FR\"}"
    " },"
    " \"payment\": {\"mandate\": {\"reference\": \"MDT-ACME-001\","
    "   \"iban\": \"fr76 3000 6000 0112 3456 7890 189\","
    "   \"signedAt\": \"2026-01-02\", \"expireAt\": \"2028-01-02\"}},"
    " \"billing\": {\"creditLimit\": {\"amount\": \"5000.00\", \"currency\": \"EUR\"},"
    "   \"paymentTermDays\": 45, \"invoiceEmail\": \"ap@acme.com\"}"
    "}";

static json_t *load_request(void)
{
    json_error_t err;
    json_t *req = json_loads(full_request, 0, &err);
    if (req == NULL)
        fail_msg("test request does not parse: %s (line %d)", err.text, err.line);
    return req;
}

/* Sets (or deletes, when value is NULL) the member at a dotted path; the
 * parents must exist. Takes ownership of value. */
static void set_path(json_t *root, const char *path, json_t *value)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *obj = root;
    char *name = buf;
    for (char *dot = strchr(name, '.'); dot != NULL; dot = strchr(name, '.')) {
        *dot = '\0';
        obj = json_object_get(obj, name);
        if (!json_is_object(obj))
            fail_msg("set_path: no object at '%s' in %s", name, path);
        name = dot + 1;
    }
    if (value == NULL)
        json_object_del(obj, name);
    else
        json_object_set_new(obj, name, value);
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

static const char *sget(const json_t *root, const char *path)
{
    return json_string_value(get_path(root, path));
}

/* Whether the JSON text of `doc` contains `needle`. */
static bool doc_contains(const json_t *doc, const char *needle)
{
    char *text = json_dumps(doc, 0);
    assert_non_null(text);
    bool found = strstr(text, needle) != NULL;
    free(text);
    return found;
}

/* Parses `req` expecting success; caller decrefs out->doc. */
static void parse_ok(const json_t *req, ct_new_contract *out)
{
    bp_verr e = {0};
    if (!ct_model_parse_create(req, out, &e))
        fail_msg("valid request refused: %s %s", e.field, e.message);
    assert_false(e.failed);
    assert_non_null(out->doc);
}

/* Applies one change to the full request, expects a rejection on `field` whose
 * message contains `msg_part`, and frees the request. */
static void expect_reject(json_t *req, const char *field, const char *msg_part)
{
    ct_new_contract out;
    bp_verr e = {0};
    bool ok = ct_model_parse_create(req, &out, &e);
    if (ok) {
        json_decref(out.doc);
        json_decref(req);
        fail_msg("request accepted; expected a rejection on %s", field);
    }
    if (!e.failed || strcmp(e.field, field) != 0 ||
        (msg_part != NULL && strstr(e.message, msg_part) == NULL)) {
        json_decref(req);
        fail_msg("rejected on '%s' (%s); expected '%s' (%s)", e.field, e.message, field,
                 msg_part ? msg_part : "any message");
    }
    assert_null(out.doc);
    json_decref(req);
}

static void reject_with(const char *path, json_t *value, const char *field, const char *msg)
{
    json_t *req = load_request();
    set_path(req, path, value);
    expect_reject(req, field, msg);
}

/* ================= IBAN ================= */

static void expect_iban(const char *in, const char *want)
{
    char out[CT_IBAN_MAX + 1];
    if (!ct_iban_normalise(in, out))
        fail_msg("IBAN \"%s\" refused", in);
    assert_string_equal(out, want);
}

static void expect_bad_iban(const char *in)
{
    char out[CT_IBAN_MAX + 1];
    if (ct_iban_normalise(in, out))
        fail_msg("IBAN \"%s\" accepted", in);
}

static void test_iban_valid(void **state)
{
    expect_iban(FR_IBAN, FR_IBAN);
    expect_iban("FR76 3000 6000 0112 3456 7890 189", FR_IBAN);
    expect_iban("fr76 3000 6000 0112 3456 7890 189", FR_IBAN);
    expect_iban("FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606");
    expect_iban("fr1420041010050500013m02606", "FR1420041010050500013M02606");
    expect_iban(DE_IBAN, DE_IBAN);
    expect_iban("de89 3704 0044 0532 0130 00", DE_IBAN);
    expect_iban("GB29 NWBK 6016 1331 9268 19", "GB29NWBK60161331926819");
    expect_iban("gb82west12345698765432", "GB82WEST12345698765432");
    expect_iban("NL91ABNA0417164300", "NL91ABNA0417164300");
    expect_iban("BE68539007547034", "BE68539007547034");
    expect_iban("NO9386011117947", "NO9386011117947"); /* 15: the shortest IBAN */
    expect_iban("  " DE_IBAN "  ", DE_IBAN);
    /* 34 characters, the maximum, with correct check digits. */
    expect_iban("GB57111111111111111111111111111111", "GB57111111111111111111111111111111");
}

static void test_iban_bad_check_digits(void **state)
{
    expect_bad_iban("FR7730006000011234567890189");
    expect_bad_iban("FR7630006000011234567890198"); /* two digits swapped */
    expect_bad_iban("DE88370400440532013000");
    expect_bad_iban("GB28NWBK60161331926819");
    expect_bad_iban("GB29NWBK60161331926818");
    expect_bad_iban("FR0030006000011234567890189");
}

static void test_iban_length(void **state)
{
    expect_bad_iban("");
    expect_bad_iban("FR76");
    expect_bad_iban("FR763000600001"); /* 14 */
    expect_bad_iban("GB681111111111"); /* 14, checksum right */
    /* 35 characters with correct check digits: too long. */
    expect_bad_iban("GB901111111111111111111111111111111");
    expect_bad_iban(FR_IBAN FR_IBAN);
}

static void test_iban_bad_chars_and_structure(void **state)
{
    expect_bad_iban("FR76-3000-6000-0112-3456-7890-189");
    expect_bad_iban("FR76300060000112345678901.9");
    expect_bad_iban("FR76\t30006000011234567890189");
    expect_bad_iban("FR7630006000011234567890189\n");
    expect_bad_iban("FR76300060000112345678901\xc3\xa9");
    expect_bad_iban("7630006000011234567890189FR"); /* country code not first */
    expect_bad_iban("F17630006000011234567890189");
    expect_bad_iban("FRAB30006000011234567890189"); /* check digits not digits */
    expect_bad_iban("FR7A30006000011234567890189");
}

static void test_iban_mask(void **state)
{
    char out[CT_IBAN_MAX + 1];
    ct_iban_mask(FR_IBAN, out, sizeof out);
    assert_string_equal(out, FR_MASK);
    assert_int_equal(strlen(out), strlen(FR_IBAN));
    ct_iban_mask(DE_IBAN, out, sizeof out);
    assert_string_equal(out, DE_MASK);
    ct_iban_mask("NO9386011117947", out, sizeof out);
    assert_string_equal(out, "NO93*******7947");
    ct_iban_mask("ABCDEFGH", out, sizeof out); /* nothing between the kept ends */
    assert_string_equal(out, "ABCDEFGH");
    ct_iban_mask("ABCDEFGHI", out, sizeof out);
    assert_string_equal(out, "ABCD*FGHI");
    ct_iban_mask("", out, sizeof out);
    assert_string_equal(out, "");
    char small[6];
    ct_iban_mask(FR_IBAN, small, sizeof small); /* truncated, terminated */
    assert_string_equal(small, "FR76*");
}

/* ================= ct_model_parse_create: success ================= */

static void test_parse_full_request(void **state)
{
    json_t *req = load_request();
    ct_new_contract out;
    parse_ok(req, &out);
    const json_t *doc = out.doc;

    assert_string_equal(out.contract_ref, "CTR-ACME-001");
    assert_int_equal(out.status, CT_STATUS_ACTIVE);
    assert_string_equal(out.customer_ref, "ACME");
    assert_int_equal(out.expire_at, bp_date_from_ymd(2027, 1, 4));
    assert_string_equal(out.iban, FR_IBAN);

    /* Identity is not the parser's business. */
    assert_null(json_object_get(doc, "contractId"));
    assert_null(json_object_get(doc, "contractRef"));
    assert_null(json_object_get(doc, "version"));
    assert_null(json_object_get(doc, "unknownField"));

    assert_string_equal(sget(doc, "productRef"), "DEFERRED_BILLING");
    assert_string_equal(sget(doc, "contractType"), "DEFERRED_BILLING");
    assert_string_equal(sget(doc, "createdAt"), "2026-01-02");
    assert_string_equal(sget(doc, "signedAt"), "2026-01-02");
    assert_string_equal(sget(doc, "activatedAt"), "2026-01-05");
    assert_string_equal(sget(doc, "expireAt"), "2027-01-04");

    assert_string_equal(sget(doc, "distributor.distributorRef"), "esgi SA");
    /* Stored as spelt now: the old spelling is added only where the earlier API answers. */
    assert_null(json_object_get(json_object_get(doc, "distributor"), "disributorRef"));
    assert_string_equal(sget(doc, "distributor.eFacturation.siren"), "123456789");
    assert_string_equal(sget(doc, "distributor.contactPerson.mail"), "sales@esgi.fr");
    assert_string_equal(sget(doc, "distributor.contactAddress.countryCode"), "FR");

    assert_string_equal(sget(doc, "subscriber.subscriberRef"), "ACME SA");
    assert_string_equal(sget(doc, "subscriber.subscriberType"), "PROFESSIONNAL");
    assert_string_equal(sget(doc, "subscriber.customerRef"), "ACME");
    assert_string_equal(sget(doc, "subscriber.party.customerId"), "PRO-1");
    assert_string_equal(sget(doc, "subscriber.party.customerRef"), "ACME");
    assert_string_equal(sget(doc, "subscriber.party.professionnal.customerId"), "PRO-1");
    assert_string_equal(sget(doc, "subscriber.party.professionnal.customerRef"), "ACME");
    assert_string_equal(sget(doc, "subscriber.contactPerson.gender"), "M");
    assert_string_equal(sget(doc, "subscriber.contactPerson.lastName"), "DOE");
    assert_string_equal(sget(doc, "subscriber.contactPerson.mail"), "john.doe@acme.com");
    assert_string_equal(sget(doc, "subscriber.contactPerson.phone"), "+33 1 00 00 00 00");
    assert_null(get_path(doc, "subscriber.contactPerson.shoeSize"));
    assert_string_equal(sget(doc, "subscriber.billingAddress.line1"), "BP 12");

    /* The mandate: IBAN masked in the document, full beside it. */
    assert_string_equal(sget(doc, "payment.mandate.reference"), "MDT-ACME-001");
    assert_string_equal(sget(doc, "payment.mandate.iban"), FR_MASK);
    assert_string_equal(sget(doc, "payment.mandate.signedAt"), "2026-01-02");
    assert_string_equal(sget(doc, "payment.mandate.expireAt"), "2028-01-02");
    assert_string_equal(sget(doc, "payment.mandate.status"), "VALID");
    assert_false(doc_contains(doc, "30006000011234567890")); /* the full IBAN nowhere */

    assert_string_equal(sget(doc, "billing.creditLimit.amount"), "5000.00");
    assert_string_equal(sget(doc, "billing.creditLimit.currency"), "EUR");
    assert_int_equal(json_integer_value(get_path(doc, "billing.creditLimit.minorUnits")), 500000);
    assert_int_equal(json_integer_value(get_path(doc, "billing.paymentTermDays")), 45);
    assert_string_equal(sget(doc, "billing.invoiceEmail"), "ap@acme.com");

    json_decref(out.doc);
    json_decref(req);
}

static void test_parse_default_billing(void **state)
{
    json_t *req = load_request();
    set_path(req, "billing", NULL);
    ct_new_contract out;
    parse_ok(req, &out);
    assert_string_equal(sget(out.doc, "billing.creditLimit.amount"), "0.00");
    assert_string_equal(sget(out.doc, "billing.creditLimit.currency"), "EUR");
    assert_int_equal(json_integer_value(get_path(out.doc, "billing.creditLimit.minorUnits")), 0);
    assert_true(json_is_integer(get_path(out.doc, "billing.creditLimit.minorUnits")));
    assert_int_equal(json_integer_value(get_path(out.doc, "billing.paymentTermDays")), 30);
    assert_string_equal(sget(out.doc, "billing.invoiceEmail"), "john.doe@acme.com");
    json_decref(out.doc);
    json_decref(req);

    /* An empty billing object gets the same defaults. */
    req = load_request();
    set_path(req, "billing", json_object());
    parse_ok(req, &out);
    assert_string_equal(sget(out.doc, "billing.creditLimit.amount"), "0.00");
    assert_int_equal(json_integer_value(get_path(out.doc, "billing.paymentTermDays")), 30);
    assert_string_equal(sget(out.doc, "billing.invoiceEmail"), "john.doe@acme.com");
    json_decref(out.doc);
    json_decref(req);
}

static void test_parse_credit_limit_forms(void **state)
{
    struct {
        json_t *amount;
        const char *currency;
        const char *want;
        json_int_t minor;
    } forms[] = {
        {json_integer(5000), "EUR", "5000.00", 500000},
        {json_real(12.34), "EUR", "12.34", 1234},
        {json_string("12.3"), "EUR", "12.30", 1230},
        {json_string("0"), "EUR", "0.00", 0},
        {json_integer(150000), "JPY", "150000", 150000},
        {json_string("1.5"), "KWD", "1.500", 1500},
        {json_string("8000.000"), "USD", "8000.00", 800000},
        {json_string("12"), NULL, "12.00", 1200}, /* currency defaults to EUR */
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        json_t *req = load_request();
        set_path(req, "billing.creditLimit.amount", forms[i].amount);
        const char *cur = forms[i].currency;
        set_path(req, "billing.creditLimit.currency", cur ? json_string(cur) : NULL);
        ct_new_contract out;
        parse_ok(req, &out);
        assert_string_equal(sget(out.doc, "billing.creditLimit.amount"), forms[i].want);
        assert_string_equal(sget(out.doc, "billing.creditLimit.currency"), cur ? cur : "EUR");
        assert_int_equal(json_integer_value(get_path(out.doc, "billing.creditLimit.minorUnits")),
                         forms[i].minor);
        json_decref(out.doc);
        json_decref(req);
    }
}

static void test_parse_invoice_email_default(void **state)
{
    json_t *req = load_request();
    set_path(req, "billing.invoiceEmail", NULL);
    ct_new_contract out;
    parse_ok(req, &out);
    assert_string_equal(sget(out.doc, "billing.invoiceEmail"), "john.doe@acme.com");
    assert_int_equal(json_integer_value(get_path(out.doc, "billing.paymentTermDays")), 45);
    json_decref(out.doc);
    json_decref(req);
}

static void test_parse_legacy_distributor_ref(void **state)
{
    json_t *req = load_request();
    set_path(req, "distributor.distributorRef", NULL);
    set_path(req, "distributor.disributorRef", json_string("old spelling SA"));
    ct_new_contract out;
    parse_ok(req, &out);
    assert_string_equal(sget(out.doc, "distributor.distributorRef"), "old spelling SA");
    assert_null(json_object_get(json_object_get(out.doc, "distributor"), "disributorRef"));
    /* The routes of the earlier API answer both spellings, ours only the right one. */
    ct_model_spellings(out.doc, true);
    assert_string_equal(sget(out.doc, "distributor.disributorRef"), "old spelling SA");
    ct_model_spellings(out.doc, false);
    assert_null(json_object_get(json_object_get(out.doc, "distributor"), "disributorRef"));
    assert_string_equal(sget(out.doc, "distributor.distributorRef"), "old spelling SA");
    json_decref(out.doc);
    json_decref(req);

    /* Both given: the right spelling wins. */
    req = load_request();
    set_path(req, "distributor.disributorRef", json_string("old spelling SA"));
    parse_ok(req, &out);
    assert_string_equal(sget(out.doc, "distributor.distributorRef"), "esgi SA");
    ct_model_spellings(out.doc, true);
    assert_string_equal(sget(out.doc, "distributor.disributorRef"), "esgi SA");
    json_decref(out.doc);
    json_decref(req);

    /* Neither given: neither answered. */
    req = load_request();
    set_path(req, "distributor.distributorRef", NULL);
    parse_ok(req, &out);
    assert_null(get_path(out.doc, "distributor.distributorRef"));
    assert_null(get_path(out.doc, "distributor.disributorRef"));
    json_decref(out.doc);
    json_decref(req);
}

static void test_parse_customer_ref_sources(void **state)
{
    /* Only the old location, party.professionnal: read, and both forms answered. */
    json_t *req = load_request();
    json_t *party = json_pack("{s:{s:s, s:s}}", "professionnal", "customerId", "PRO-9",
                              "customerRef", "ACME-PRO");
    set_path(req, "subscriber.party", party);
    ct_new_contract out;
    parse_ok(req, &out);
    assert_string_equal(out.customer_ref, "ACME-PRO");
    assert_string_equal(sget(out.doc, "subscriber.customerRef"), "ACME-PRO");
    assert_string_equal(sget(out.doc, "subscriber.party.customerRef"), "ACME-PRO");
    assert_string_equal(sget(out.doc, "subscriber.party.customerId"), "PRO-9");
    assert_string_equal(sget(out.doc, "subscriber.party.professionnal.customerRef"), "ACME-PRO");
    assert_string_equal(sget(out.doc, "subscriber.party.professionnal.customerId"), "PRO-9");
    json_decref(out.doc);
    json_decref(req);

    /* Both: the direct ones win, field by field; both forms carry the result. */
    req = load_request();
    set_path(req, "subscriber.party.customerId", NULL);
    set_path(req, "subscriber.party.professionnal",
             json_pack("{s:s, s:s}", "customerRef", "P2", "customerId", "PRO-2"));
    parse_ok(req, &out);
    assert_string_equal(out.customer_ref, "ACME");
    assert_string_equal(sget(out.doc, "subscriber.party.customerRef"), "ACME");
    assert_string_equal(sget(out.doc, "subscriber.party.professionnal.customerRef"), "ACME");
    assert_string_equal(sget(out.doc, "subscriber.party.customerId"), "PRO-2");
    assert_string_equal(sget(out.doc, "subscriber.party.professionnal.customerId"), "PRO-2");
    json_decref(out.doc);
    json_decref(req);

    /* No party at all: no customerRef. */
    req = load_request();
    set_path(req, "subscriber.party", NULL);
    parse_ok(req, &out);
    assert_string_equal(out.customer_ref, "");
    assert_null(get_path(out.doc, "subscriber.customerRef"));
    assert_null(get_path(out.doc, "subscriber.party"));
    json_decref(out.doc);
    json_decref(req);

    /* A wrongly typed identifier in the old location is still checked. */
    req = load_request();
    set_path(req, "subscriber.party.professionnal", json_pack("{s:i}", "customerRef", 5));
    expect_reject(req, "subscriber.party.professionnal.customerRef", "string");
}

static void test_parse_minimal_request(void **state)
{
    json_t *req =
        json_pack("{s:s, s:s, s:s, s:s, s:{}, s:{s:s, s:{s:s, s:s}}}", "contractType",
                  "DEFERRED_BILLING", "createdAt", "2026-01-02", "activatedAt", "2026-01-02",
                  "expireAt", "2026-01-02", "distributor", "subscriber", "subscriberType",
                  "PARTICULAR", "contactPerson", "lastName", "Doe", "mail", "jane@doe.fr");
    ct_new_contract out;
    parse_ok(req, &out);
    assert_null(out.contract_ref);
    assert_int_equal(out.status, CT_STATUS_ACTIVE); /* default */
    assert_string_equal(out.customer_ref, "");
    assert_string_equal(out.iban, "");
    assert_null(get_path(out.doc, "payment")); /* present only with a mandate */
    assert_null(get_path(out.doc, "signedAt"));
    assert_string_equal(sget(out.doc, "billing.invoiceEmail"), "jane@doe.fr");
    json_decref(out.doc);
    json_decref(req);
}

static void test_parse_status_created(void **state)
{
    json_t *req = load_request();
    set_path(req, "status", json_string("CREATED"));
    ct_new_contract out;
    parse_ok(req, &out);
    assert_int_equal(out.status, CT_STATUS_CREATED);
    json_decref(out.doc);
    json_decref(req);
}

/* A contract already past its expireAt is accepted (the sweeper expires it). */
static void test_parse_expire_in_past_accepted(void **state)
{
    json_t *req = load_request();
    set_path(req, "activatedAt", json_string("2019-06-01"));
    set_path(req, "expireAt", json_string("2020-01-01"));
    ct_new_contract out;
    parse_ok(req, &out);
    assert_int_equal(out.expire_at, bp_date_from_ymd(2020, 1, 1));
    json_decref(out.doc);
    json_decref(req);

    /* expireAt == activatedAt is allowed ("on or after"). */
    req = load_request();
    set_path(req, "expireAt", json_string("2026-01-05"));
    parse_ok(req, &out);
    json_decref(out.doc);
    json_decref(req);
}

static void test_parse_contract_ref(void **state)
{
#define REF64 "0123456789012345678901234567890123456789012345678901234567890123"
    static const char *const good[] = {"CTR-ACME-001", "a", "9", "A.b_c-d", REF64};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        json_t *req = load_request();
        set_path(req, "contractRef", json_string(good[i]));
        ct_new_contract out;
        parse_ok(req, &out);
        assert_string_equal(out.contract_ref, good[i]);
        json_decref(out.doc);
        json_decref(req);
    }
    static const char *const bad[] = {"",      "-CTR",        ".CTR",   "_CTR", "CTR ACME",
                                      "CTR/1", "CTR\xc3\xa9", REF64 "4"}; /* 65 characters */
#undef REF64
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        reject_with("contractRef", json_string(bad[i]), "contractRef", NULL);
    reject_with("contractRef", json_integer(12), "contractRef", "string");
}

/* ================= ct_model_parse_create: rejections ================= */

static void test_reject_top_level(void **state)
{
    reject_with("contractType", NULL, "contractType", "is required");
    reject_with("contractType", json_string("PREPAID"), "contractType", "DEFERRED_BILLING");
    reject_with("contractType", json_integer(1), "contractType", "string");
    reject_with("productRef", json_string("OTHER"), "productRef", "one of");
    reject_with("status", json_string("SUSPENDED"), "status", "CREATED or ACTIVE");
    reject_with("status", json_string("CANCELLED"), "status", NULL);
    reject_with("status", json_string("EXPIRED"), "status", NULL);
    reject_with("status", json_string("active"), "status", "one of");
    reject_with("distributor", NULL, "distributor", "is required");
    reject_with("distributor", json_string("esgi"), "distributor", "object");
    reject_with("subscriber", NULL, "subscriber", "is required");
    reject_with("payment", json_array(), "payment", "object");
    reject_with("billing", json_integer(0), "billing", "object");
}

static void test_reject_dates(void **state)
{
    reject_with("createdAt", NULL, "createdAt", "is required");
    reject_with("createdAt", json_string("2026-02-30"), "createdAt", "YYYY-MM-DD");
    reject_with("activatedAt", json_string("05/01/2026"), "activatedAt", "YYYY-MM-DD");
    reject_with("activatedAt", NULL, "activatedAt", "is required");
    reject_with("expireAt", NULL, "expireAt", "is required");
    reject_with("expireAt", json_string("2027-1-4"), "expireAt", NULL);
    reject_with("signedAt", json_string("yesterday"), "signedAt", NULL);
    /* expireAt before activatedAt. */
    reject_with("expireAt", json_string("2026-01-04"), "expireAt", "activatedAt");
}

static void test_reject_subscriber(void **state)
{
    reject_with("subscriber.subscriberType", NULL, "subscriber.subscriberType", "is required");
    reject_with("subscriber.subscriberType", json_string("PROFESSIONAL"),
                "subscriber.subscriberType", "PARTICULAR, PROFESSIONNAL");
    reject_with("subscriber.contactPerson", NULL, "subscriber.contactPerson", "is required");
    reject_with("subscriber.contactPerson.mail", NULL, "subscriber.contactPerson.mail",
                "is required");
    reject_with("subscriber.contactPerson.mail", json_string("john.doe"),
                "subscriber.contactPerson.mail", "e-mail");
    reject_with("subscriber.contactPerson.mail", json_string("john doe@acme.com"),
                "subscriber.contactPerson.mail", "e-mail");
    reject_with("subscriber.contactPerson.lastName", NULL, "subscriber.contactPerson.lastName",
                "is required");
    reject_with("subscriber.contactPerson.gender", json_string("F"),
                "subscriber.contactPerson.gender", "M, MME");
    reject_with("subscriber.contactAddress.countryCode", json_string("fr"),
                "subscriber.contactAddress.countryCode", "ISO 3166");
    reject_with("subscriber.billingAddress.countryCode", json_string("FRA"),
                "subscriber.billingAddress.countryCode", NULL);
    reject_with("subscriber.party.customerRef", json_integer(7), "subscriber.party.customerRef",
                "string");
    reject_with("distributor.contactPerson.mail", json_string("sales@"),
                "distributor.contactPerson.mail", "e-mail");
    reject_with("distributor.eFacturation", json_string("x"), "distributor.eFacturation", "object");
}

static void test_reject_billing(void **state)
{
    reject_with("billing.creditLimit.amount", json_string("-1.00"), "billing.creditLimit.amount",
                "negative");
    reject_with("billing.creditLimit.amount", json_integer(-1), "billing.creditLimit.amount",
                "negative");
    reject_with("billing.creditLimit.currency", json_string("XXX"), "billing.creditLimit.currency",
                "ISO 4217");
    reject_with("billing.creditLimit.currency", json_string("eur"), "billing.creditLimit.currency",
                NULL);
    reject_with("billing.creditLimit.currency", json_string("EURO"), "billing.creditLimit.currency",
                NULL);
    reject_with("billing.creditLimit.currency", json_integer(978), "billing.creditLimit.currency",
                "string");
    reject_with("billing.creditLimit.amount", NULL, "billing.creditLimit.amount", "is required");
    reject_with("billing.creditLimit.amount", json_string("12.345"), "billing.creditLimit.amount",
                "decimals");
    reject_with("billing.creditLimit.amount", json_real(12.345), "billing.creditLimit.amount",
                "decimals");
    reject_with("billing.creditLimit.amount", json_string("1e3"), "billing.creditLimit.amount",
                "decimal");
    reject_with("billing.creditLimit.amount", json_true(), "billing.creditLimit.amount", NULL);
    reject_with("billing.creditLimit.amount", json_string("99999999999999.99"),
                "billing.creditLimit.amount", "too large");
    reject_with("billing.creditLimit", json_string("5000"), "billing.creditLimit", "object");
    reject_with("billing.paymentTermDays", json_integer(400), "billing.paymentTermDays",
                "between 0 and 365");
    reject_with("billing.paymentTermDays", json_integer(-1), "billing.paymentTermDays", NULL);
    reject_with("billing.paymentTermDays", json_string("30"), "billing.paymentTermDays", "integer");
    reject_with("billing.invoiceEmail", json_string("not-an-email"), "billing.invoiceEmail",
                "e-mail");

    /* JPY has no decimals. */
    json_t *req = load_request();
    set_path(req, "billing.creditLimit",
             json_pack("{s:s, s:s}", "amount", "10.5", "currency", "JPY"));
    expect_reject(req, "billing.creditLimit.amount", "decimals");
}

static void test_reject_mandate(void **state)
{
    reject_with("payment.mandate.iban", json_string("FR7730006000011234567890189"),
                "payment.mandate.iban", "IBAN");
    reject_with("payment.mandate.iban", json_string("FR76 3000 6000 0112 3456 7890 18X"),
                "payment.mandate.iban", NULL);
    reject_with("payment.mandate.iban", json_string("FR76"), "payment.mandate.iban", NULL);
    reject_with("payment.mandate.iban", NULL, "payment.mandate.iban", "is required");
    reject_with("payment.mandate.reference", NULL, "payment.mandate.reference", "is required");
    reject_with("payment.mandate.reference", json_string("MDT-0123456789-0123456789-0123456789"),
                "payment.mandate.reference", NULL); /* 36 characters */
    reject_with("payment.mandate.signedAt", NULL, "payment.mandate.signedAt", "is required");
    reject_with("payment.mandate.expireAt", json_string("2026-01-01"), "payment.mandate.expireAt",
                "signedAt");
    reject_with("payment.mandate", json_string("x"), "payment.mandate", "object");
}

static void test_reject_first_error_wins(void **state)
{
    /* Several faults: the first in reading order is reported. */
    json_t *req = load_request();
    set_path(req, "payment.mandate.iban", json_string("FR00"));
    set_path(req, "billing.paymentTermDays", json_integer(400));
    set_path(req, "contractType", NULL);
    expect_reject(req, "contractType", "is required");

    req = load_request();
    set_path(req, "billing.paymentTermDays", json_integer(400));
    set_path(req, "subscriber.contactPerson.mail", json_string("x"));
    expect_reject(req, "subscriber.contactPerson.mail", NULL);
}

static void test_reject_not_object(void **state)
{
    json_t *req = json_array();
    expect_reject(req, "contractType", "is required");
}

/* ================= finish_new ================= */

static json_t *new_doc(ct_status status)
{
    json_t *req = load_request();
    ct_new_contract out;
    parse_ok(req, &out);
    json_decref(req); /* the doc holds its own strings */
    ct_model_finish_new(out.doc, "0b7e2a52-4a4c-4c53-8f0a-3a8f8f1f2c11", "CTR-ACME-001", status,
                        NOW);
    return out.doc;
}

static void test_finish_new(void **state)
{
    json_t *doc = new_doc(CT_STATUS_CREATED);
    void *it = json_object_iter(doc);
    assert_string_equal(json_object_iter_key(it), "contractId");
    it = json_object_iter_next(doc, it);
    assert_string_equal(json_object_iter_key(it), "contractRef");
    assert_string_equal(sget(doc, "contractId"), "0b7e2a52-4a4c-4c53-8f0a-3a8f8f1f2c11");
    assert_string_equal(sget(doc, "contractRef"), "CTR-ACME-001");
    assert_string_equal(sget(doc, "status"), "CREATED");
    assert_true(json_is_integer(json_object_get(doc, "version")));
    assert_int_equal(json_integer_value(json_object_get(doc, "version")), 1);
    assert_string_equal(sget(doc, "updatedAt"), NOW);
    /* The request's fields are all still there. */
    assert_string_equal(sget(doc, "contractType"), "DEFERRED_BILLING");
    assert_string_equal(sget(doc, "payment.mandate.iban"), FR_MASK);
    assert_string_equal(sget(doc, "billing.creditLimit.amount"), "5000.00");
    ct_status st;
    assert_true(ct_model_status(doc, &st));
    assert_int_equal(st, CT_STATUS_CREATED);
    json_decref(doc);
}

static void test_model_status(void **state)
{
    ct_status st = CT_STATUS_COUNT;
    json_t *d = json_pack("{s:s}", "status", "SUSPENDED");
    assert_true(ct_model_status(d, &st));
    assert_int_equal(st, CT_STATUS_SUSPENDED);
    json_object_set_new(d, "status", json_string("PAUSED"));
    assert_false(ct_model_status(d, &st));
    json_object_set_new(d, "status", json_integer(1));
    assert_false(ct_model_status(d, &st));
    json_object_del(d, "status");
    assert_false(ct_model_status(d, &st));
    json_decref(d);
}

/* ================= ct_model_apply ================= */

typedef struct {
    ct_apply_result r;
    json_t *doc; /* NULL unless OK */
    char iban[CT_IBAN_MAX + 1];
    bp_verr e;
    char message[256];
} applied;

/* Applies `action` with a body given as JSON text (NULL = {}) to `doc` whose
 * full stored IBAN is `stored_iban`; the caller decrefs a->doc. */
static void apply_iban(const json_t *doc, const char *stored_iban, ct_action action,
                       const char *body_text, applied *a)
{
    json_error_t jerr;
    json_t *body = json_loads(body_text ? body_text : "{}", 0, &jerr);
    assert_non_null(body);
    memset(a, 0, sizeof *a);
    memset(a->iban, 'Z', sizeof a->iban - 1); /* must be reset to "" */
    a->doc = (json_t *)1;
    a->r =
        ct_model_apply(doc, stored_iban, action, body, LATER, &a->doc, a->iban, &a->e, a->message);
    json_decref(body);
    if (a->r != CT_APPLY_OK)
        assert_null(a->doc);
}

/* The full IBAN the store would keep beside `doc`, found from its mask (the
 * tests only use FR_IBAN and DE_IBAN; FR_IBAN_TWIN goes through apply_iban). */
static const char *stored_iban_of(const json_t *doc)
{
    const char *masked = sget(doc, "payment.mandate.iban");
    if (masked != NULL && strcmp(masked, FR_MASK) == 0)
        return FR_IBAN;
    if (masked != NULL && strcmp(masked, DE_MASK) == 0)
        return DE_IBAN;
    return "";
}

static void apply(const json_t *doc, ct_action action, const char *body_text, applied *a)
{
    apply_iban(doc, stored_iban_of(doc), action, body_text, a);
}

/* Checks what every successful change does: one version more, new status,
 * updatedAt. */
static void check_changed(const json_t *before, const applied *a, const char *status)
{
    assert_int_equal(a->r, CT_APPLY_OK);
    assert_non_null(a->doc);
    assert_false(a->e.failed);
    assert_string_equal(sget(a->doc, "status"), status);
    assert_int_equal(json_integer_value(json_object_get(a->doc, "version")),
                     json_integer_value(json_object_get(before, "version")) + 1);
    assert_string_equal(sget(a->doc, "updatedAt"), LATER);
    assert_string_equal(sget(a->doc, "contractRef"), sget(before, "contractRef"));
}

static void test_apply_activate(void **state)
{
    json_t *doc = new_doc(CT_STATUS_CREATED);
    applied a;
    apply(doc, CT_ACTION_ACTIVATE, NULL, &a);
    check_changed(doc, &a, "ACTIVE");
    assert_string_equal(a.iban, "");
    /* The stored document is not touched: apply works on a copy. */
    assert_string_equal(sget(doc, "status"), "CREATED");
    assert_int_equal(json_integer_value(json_object_get(doc, "version")), 1);
    assert_string_equal(sget(doc, "updatedAt"), NOW);

    applied again;
    apply(a.doc, CT_ACTION_ACTIVATE, NULL, &again);
    assert_int_equal(again.r, CT_APPLY_ILLEGAL);
    assert_non_null(strstr(again.message, "ACTIVE"));
    json_decref(a.doc);
    json_decref(doc);
}

static void test_apply_suspend_reactivate(void **state)
{
    json_t *doc = new_doc(CT_STATUS_ACTIVE);
    applied s;
    apply(doc, CT_ACTION_SUSPEND, NULL, &s);
    check_changed(doc, &s, "SUSPENDED");
    json_decref(s.doc);

    /* The reason is checked and logged by the service, not stored. */
    apply(doc, CT_ACTION_SUSPEND, "{\"reason\": \"late payment\"}", &s);
    check_changed(doc, &s, "SUSPENDED");
    assert_false(doc_contains(s.doc, "late payment"));

    applied bad;
    char body[600];
    snprintf(body, sizeof body, "{\"reason\": \"%0501d\"}", 0);
    apply(doc, CT_ACTION_SUSPEND, body, &bad);
    assert_int_equal(bad.r, CT_APPLY_INVALID);
    assert_string_equal(bad.e.field, "reason");
    apply(doc, CT_ACTION_SUSPEND, "{\"reason\": 12}", &bad);
    assert_int_equal(bad.r, CT_APPLY_INVALID);
    assert_string_equal(bad.e.field, "reason");

    applied r;
    apply(s.doc, CT_ACTION_REACTIVATE, NULL, &r);
    check_changed(s.doc, &r, "ACTIVE");
    assert_int_equal(json_integer_value(json_object_get(r.doc, "version")), 3);

    applied twice;
    apply(r.doc, CT_ACTION_REACTIVATE, NULL, &twice);
    assert_int_equal(twice.r, CT_APPLY_ILLEGAL);
    json_decref(r.doc);
    json_decref(s.doc);
    json_decref(doc);
}

static void test_apply_cancel(void **state)
{
    json_t *doc = new_doc(CT_STATUS_ACTIVE);
    applied a;
    apply(doc, CT_ACTION_CANCEL, NULL, &a);
    assert_int_equal(a.r, CT_APPLY_INVALID);
    assert_true(a.e.failed);
    assert_string_equal(a.e.field, "reason");
    assert_non_null(strstr(a.e.message, "required"));

    apply(doc, CT_ACTION_CANCEL, "{\"reason\": \"\"}", &a);
    assert_int_equal(a.r, CT_APPLY_INVALID);
    char body[600];
    snprintf(body, sizeof body, "{\"reason\": \"%0501d\"}", 0);
    apply(doc, CT_ACTION_CANCEL, body, &a);
    assert_int_equal(a.r, CT_APPLY_INVALID);
    snprintf(body, sizeof body, "{\"reason\": \"%0500d\"}", 0);
    apply(doc, CT_ACTION_CANCEL, body, &a);
    assert_int_equal(a.r, CT_APPLY_OK);
    json_decref(a.doc);

    apply(doc, CT_ACTION_CANCEL, "{\"reason\": \"customer left\"}", &a);
    check_changed(doc, &a, "CANCELLED");
    assert_string_equal(sget(a.doc, "cancellationReason"), "customer left");
    json_decref(a.doc);
    json_decref(doc);
}

static void test_apply_expire(void **state)
{
    json_t *doc = new_doc(CT_STATUS_ACTIVE);
    applied a;
    apply(doc, CT_ACTION_EXPIRE, NULL, &a);
    check_changed(doc, &a, "EXPIRED");
    json_decref(a.doc);
    json_decref(doc);
}

/* Nothing at all is allowed on a CANCELLED or EXPIRED contract. */
static void test_apply_final_states(void **state)
{
    static const char *const bodies[CT_ACTION_COUNT] = {
        [CT_ACTION_CANCEL] = "{\"reason\": \"again\"}",
        [CT_ACTION_SIGN_MANDATE] =
            "{\"reference\": \"M2\", \"iban\": \"" DE_IBAN "\", \"signedAt\": \"2026-01-03\"}",
        [CT_ACTION_CHANGE_CREDIT_LIMIT] = "{\"amount\": \"1.00\", \"currency\": \"EUR\"}",
    };
    static const char *const finals[] = {"CANCELLED", "EXPIRED"};
    for (size_t f = 0; f < 2; f++) {
        json_t *doc = new_doc(CT_STATUS_ACTIVE);
        json_object_set_new(doc, "status", json_string(finals[f]));
        for (int act = 0; act < CT_ACTION_COUNT; act++) {
            applied a;
            apply(doc, (ct_action)act, bodies[act], &a);
            if (a.r != CT_APPLY_ILLEGAL)
                fail_msg("%s on a %s contract gave %d", ct_action_verb((ct_action)act), finals[f],
                         (int)a.r);
            assert_non_null(strstr(a.message, finals[f]));
            assert_string_equal(a.iban, "");
        }
        json_decref(doc);
    }
}

static void test_apply_bad_stored_status(void **state)
{
    json_t *doc = json_pack("{s:s, s:i}", "status", "WEIRD", "version", 3);
    applied a;
    apply(doc, CT_ACTION_ACTIVATE, NULL, &a);
    assert_int_equal(a.r, CT_APPLY_ILLEGAL);
    assert_true(a.message[0] != '\0');
    json_decref(doc);
}

static void test_apply_revoke_mandate(void **state)
{
    /* No mandate at all. */
    json_t *req = load_request();
    set_path(req, "payment", NULL);
    ct_new_contract out;
    parse_ok(req, &out);
    json_decref(req);
    ct_model_finish_new(out.doc, "id-1", "CTR-NOMANDATE", CT_STATUS_ACTIVE, NOW);
    applied a;
    apply(out.doc, CT_ACTION_REVOKE_MANDATE, NULL, &a);
    assert_int_equal(a.r, CT_APPLY_ILLEGAL);
    assert_non_null(strstr(a.message, "mandate"));
    json_decref(out.doc);

    /* A valid mandate: revoked, contract status unchanged. */
    json_t *doc = new_doc(CT_STATUS_SUSPENDED);
    apply(doc, CT_ACTION_REVOKE_MANDATE, NULL, &a);
    check_changed(doc, &a, "SUSPENDED");
    assert_string_equal(sget(a.doc, "payment.mandate.status"), "REVOKED");
    const char *revoked_at = sget(a.doc, "payment.mandate.revokedAt");
    assert_non_null(revoked_at);
    assert_int_equal(strlen(revoked_at), 24);
    assert_int_equal(revoked_at[23], 'Z');
    assert_string_equal(sget(a.doc, "payment.mandate.iban"), FR_MASK);
    assert_string_equal(a.iban, "");
    assert_string_equal(sget(doc, "payment.mandate.status"), "VALID"); /* copy */

    /* Already revoked. */
    applied again;
    apply(a.doc, CT_ACTION_REVOKE_MANDATE, NULL, &again);
    assert_int_equal(again.r, CT_APPLY_ILLEGAL);
    json_decref(a.doc);
    json_decref(doc);
}

static void test_apply_sign_mandate(void **state)
{
    json_t *doc = new_doc(CT_STATUS_ACTIVE);
    applied a;
    apply(doc, CT_ACTION_SIGN_MANDATE,
          "{\"reference\": \"MDT-NEW\", \"iban\": \"de89 3704 0044 0532 0130 00\","
          " \"signedAt\": \"2026-01-03\"}",
          &a);
    check_changed(doc, &a, "ACTIVE");
    assert_string_equal(a.iban, DE_IBAN); /* full IBAN beside the document */
    assert_string_equal(sget(a.doc, "payment.mandate.reference"), "MDT-NEW");
    assert_string_equal(sget(a.doc, "payment.mandate.iban"), DE_MASK);
    assert_string_equal(sget(a.doc, "payment.mandate.signedAt"), "2026-01-03");
    assert_string_equal(sget(a.doc, "payment.mandate.status"), "VALID");
    /* Replaced, not merged: the old mandate's expireAt is gone. */
    assert_null(get_path(a.doc, "payment.mandate.expireAt"));

    /* Signing again after a revocation gives a VALID mandate again. */
    applied rev, again;
    apply(a.doc, CT_ACTION_REVOKE_MANDATE, NULL, &rev);
    assert_int_equal(rev.r, CT_APPLY_OK);
    apply(rev.doc, CT_ACTION_SIGN_MANDATE,
          "{\"reference\": \"MDT-3\", \"iban\": \"" FR_IBAN "\", \"signedAt\": \"2026-01-04\","
          " \"expireAt\": \"2027-01-04\"}",
          &again);
    check_changed(rev.doc, &again, "ACTIVE");
    assert_int_equal(json_integer_value(json_object_get(again.doc, "version")), 4);
    assert_string_equal(again.iban, FR_IBAN);
    assert_string_equal(sget(again.doc, "payment.mandate.status"), "VALID");
    assert_null(get_path(again.doc, "payment.mandate.revokedAt"));
    json_decref(again.doc);
    json_decref(rev.doc);
    json_decref(a.doc);
    json_decref(doc);
}

static void test_apply_sign_mandate_invalid(void **state)
{
    json_t *doc = new_doc(CT_STATUS_ACTIVE);
    static const struct {
        const char *body;
        const char *field;
    } cases[] = {
        {"{}", "reference"},
        {"{\"reference\": \"M\", \"iban\": \"DE88370400440532013000\", \"signedAt\": "
         "\"2026-01-03\"}",
         "iban"},
        {"{\"reference\": \"M\", \"iban\": \"" DE_IBAN "\"}", "signedAt"},
        {"{\"reference\": \"M\", \"iban\": \"" DE_IBAN "\", \"signedAt\": \"2026-01-03\","
         " \"expireAt\": \"2026-01-02\"}",
         "expireAt"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        applied a;
        apply(doc, CT_ACTION_SIGN_MANDATE, cases[i].body, &a);
        assert_int_equal(a.r, CT_APPLY_INVALID);
        assert_string_equal(a.e.field, cases[i].field);
        assert_string_equal(a.iban, "");
    }
    json_decref(doc);
}

static void test_apply_sign_mandate_without_payment(void **state)
{
    json_t *doc = new_doc(CT_STATUS_CREATED);
    json_object_del(doc, "payment");
    applied a;
    apply(doc, CT_ACTION_SIGN_MANDATE,
          "{\"reference\": \"M1\", \"iban\": \"" FR_IBAN "\", \"signedAt\": \"2026-01-02\"}", &a);
    check_changed(doc, &a, "CREATED");
    assert_string_equal(sget(a.doc, "payment.mandate.iban"), FR_MASK);
    json_decref(a.doc);
    json_decref(doc);
}

/* PUT of the valid mandate already in place (same reference, IBAN, signedAt,
 * expireAt): nothing changes. */
static void test_apply_sign_mandate_noop(void **state)
{
    json_t *doc = new_doc(CT_STATUS_ACTIVE);
    static const char same[] = "{\"reference\": \"MDT-ACME-001\", \"iban\": \"FR76 3000 6000 0112 "
                               "3456 7890 189\", \"signedAt\": \"2026-01-02\", \"expireAt\": "
                               "\"2028-01-02\"}";
    applied a;
    apply_iban(doc, FR_IBAN, CT_ACTION_SIGN_MANDATE, same, &a);
    assert_int_equal(a.r, CT_APPLY_NOOP);
    assert_null(a.doc);

    /* Same mask, other account: a change. */
    apply_iban(doc, FR_IBAN, CT_ACTION_SIGN_MANDATE,
               "{\"reference\": \"MDT-ACME-001\", \"iban\": \"" FR_IBAN_TWIN "\","
               " \"signedAt\": \"2026-01-02\", \"expireAt\": \"2028-01-02\"}",
               &a);
    check_changed(doc, &a, "ACTIVE");
    assert_string_equal(a.iban, FR_IBAN_TWIN);
    assert_string_equal(sget(a.doc, "payment.mandate.iban"), FR_MASK);
    json_decref(a.doc);

    /* Any other field differing: a change. */
    apply_iban(doc, FR_IBAN, CT_ACTION_SIGN_MANDATE,
               "{\"reference\": \"MDT-ACME-001\", \"iban\": \"" FR_IBAN "\","
               " \"signedAt\": \"2026-01-02\"}",
               &a);
    check_changed(doc, &a, "ACTIVE");
    assert_null(get_path(a.doc, "payment.mandate.expireAt"));
    json_decref(a.doc);

    /* The same mandate once revoked is signed again, VALID. */
    applied rev;
    apply(doc, CT_ACTION_REVOKE_MANDATE, NULL, &rev);
    assert_int_equal(rev.r, CT_APPLY_OK);
    apply_iban(rev.doc, FR_IBAN, CT_ACTION_SIGN_MANDATE, same, &a);
    check_changed(rev.doc, &a, "ACTIVE");
    assert_string_equal(sget(a.doc, "payment.mandate.status"), "VALID");
    assert_null(get_path(a.doc, "payment.mandate.revokedAt"));
    assert_string_equal(a.iban, FR_IBAN);
    json_decref(a.doc);
    json_decref(rev.doc);
    json_decref(doc);
}

static void test_apply_credit_limit_noop_and_default_currency(void **state)
{
    json_t *doc = new_doc(CT_STATUS_ACTIVE); /* 5000.00 EUR */
    applied a;
    apply(doc, CT_ACTION_CHANGE_CREDIT_LIMIT, "{\"amount\": \"5000.00\", \"currency\": \"EUR\"}",
          &a);
    assert_int_equal(a.r, CT_APPLY_NOOP);
    apply(doc, CT_ACTION_CHANGE_CREDIT_LIMIT, "{\"amount\": 5000}", &a);
    assert_int_equal(a.r, CT_APPLY_NOOP);
    apply(doc, CT_ACTION_CHANGE_CREDIT_LIMIT, "{\"amount\": \"5000.0000\"}", &a);
    assert_int_equal(a.r, CT_APPLY_NOOP);

    /* Without currency: the contract's. */
    apply(doc, CT_ACTION_CHANGE_CREDIT_LIMIT, "{\"amount\": \"7500\"}", &a);
    check_changed(doc, &a, "ACTIVE");
    assert_string_equal(sget(a.doc, "billing.creditLimit.amount"), "7500.00");
    assert_string_equal(sget(a.doc, "billing.creditLimit.currency"), "EUR");
    json_decref(a.doc);
    json_decref(doc);

    /* A contract billed in yen: its exponent applies. */
    json_t *req = load_request();
    set_path(req, "billing.creditLimit",
             json_pack("{s:s, s:s}", "amount", "100000", "currency", "JPY"));
    ct_new_contract out;
    parse_ok(req, &out);
    json_decref(req);
    ct_model_finish_new(out.doc, "id-jpy", "CTR-JPY", CT_STATUS_ACTIVE, NOW);
    apply(out.doc, CT_ACTION_CHANGE_CREDIT_LIMIT, "{\"amount\": \"250000\"}", &a);
    check_changed(out.doc, &a, "ACTIVE");
    assert_string_equal(sget(a.doc, "billing.creditLimit.amount"), "250000");
    assert_string_equal(sget(a.doc, "billing.creditLimit.currency"), "JPY");
    assert_int_equal(json_integer_value(get_path(a.doc, "billing.creditLimit.minorUnits")), 250000);
    json_decref(a.doc);
    apply(out.doc, CT_ACTION_CHANGE_CREDIT_LIMIT, "{\"amount\": \"2.50\"}", &a);
    assert_int_equal(a.r, CT_APPLY_INVALID);
    assert_string_equal(a.e.field, "amount");
    apply(out.doc, CT_ACTION_CHANGE_CREDIT_LIMIT, "{\"amount\": \"1\", \"currency\": \"EUR\"}", &a);
    assert_int_equal(a.r, CT_APPLY_CURRENCY);
    json_decref(out.doc);
}

/* Regression (contract_model.c, apply_body, CT_ACTION_REVOKE_MANDATE): revokedAt is
 * read from the wall clock (bp_time_format_now) instead of the `updated_at`
 * the caller passes, so the "pure" module depends on the clock and the
 * document can say updatedAt 2026-01-03T11:00:00.000Z but revokedAt = now.
 * openapi/contract.yaml: "revokedAt is set to the time of the change".
 * Expected revokedAt == updated_at; actual: the current time. Re-enable once
 * revokedAt takes updated_at. */
static void test_apply_revoked_at_is_time_of_change(void **state)
{
    json_t *doc = new_doc(CT_STATUS_ACTIVE);
    applied a;
    apply(doc, CT_ACTION_REVOKE_MANDATE, NULL, &a);
    assert_int_equal(a.r, CT_APPLY_OK);
    assert_string_equal(sget(a.doc, "payment.mandate.revokedAt"), LATER);
    json_decref(a.doc);
    json_decref(doc);
}

/* Regression (minor; contract_model.c, apply_body, CT_ACTION_SUSPEND): an empty
 * suspension reason {"reason": ""} is refused (CT_APPLY_INVALID, "reason must
 * be 1 to 500 characters long") while openapi/contract.yaml's SuspendRequest
 * sets only maxLength 500 (CancelRequest alone has minLength 1). Expected OK.
 * Fix either the code (min 0) or the spec, then re-enable or drop. */
static void test_apply_suspend_empty_reason(void **state)
{
    json_t *doc = new_doc(CT_STATUS_ACTIVE);
    applied a;
    apply(doc, CT_ACTION_SUSPEND, "{\"reason\": \"\"}", &a);
    assert_int_equal(a.r, CT_APPLY_OK);
    json_decref(a.doc);
    json_decref(doc);
}

static void test_apply_credit_limit(void **state)
{
    json_t *doc = new_doc(CT_STATUS_ACTIVE);
    applied a;
    apply(doc, CT_ACTION_CHANGE_CREDIT_LIMIT, "{\"amount\": \"8000.00\", \"currency\": \"EUR\"}",
          &a);
    check_changed(doc, &a, "ACTIVE");
    assert_string_equal(sget(a.doc, "billing.creditLimit.amount"), "8000.00");
    assert_string_equal(sget(a.doc, "billing.creditLimit.currency"), "EUR");
    assert_int_equal(json_integer_value(get_path(a.doc, "billing.creditLimit.minorUnits")), 800000);
    /* Other billing fields survive. */
    assert_int_equal(json_integer_value(get_path(a.doc, "billing.paymentTermDays")), 45);
    assert_string_equal(sget(a.doc, "billing.invoiceEmail"), "ap@acme.com");
    assert_string_equal(sget(doc, "billing.creditLimit.amount"), "5000.00"); /* copy */
    json_decref(a.doc);

    apply(doc, CT_ACTION_CHANGE_CREDIT_LIMIT, "{\"amount\": 12.5, \"currency\": \"EUR\"}", &a);
    assert_int_equal(a.r, CT_APPLY_OK);
    assert_string_equal(sget(a.doc, "billing.creditLimit.amount"), "12.50");
    json_decref(a.doc);
    json_decref(doc);
}

static void test_apply_credit_limit_rejections(void **state)
{
    json_t *doc = new_doc(CT_STATUS_ACTIVE);
    applied a;
    apply(doc, CT_ACTION_CHANGE_CREDIT_LIMIT, "{\"amount\": \"8000\", \"currency\": \"USD\"}", &a);
    assert_int_equal(a.r, CT_APPLY_CURRENCY);
    assert_non_null(strstr(a.message, "EUR"));
    assert_non_null(strstr(a.message, "USD"));

    static const struct {
        const char *body;
        const char *field;
    } cases[] = {
        {"{\"amount\": \"-1.00\", \"currency\": \"EUR\"}", "amount"},
        {"{\"amount\": \"1.001\", \"currency\": \"EUR\"}", "amount"},
        {"{\"currency\": \"EUR\"}", "amount"},
        {"{\"amount\": \"1.00\", \"currency\": \"XXX\"}", "currency"},
        {"{\"amount\": \"1.00\", \"currency\": \"eur\"}", "currency"},
        {"{\"amount\": \"1.00\", \"currency\": 978}", "currency"},
        {"{}", "amount"},
        {"{\"amount\": null}", "amount"},
        {"{\"amount\": \"1,00\"}", "amount"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        apply(doc, CT_ACTION_CHANGE_CREDIT_LIMIT, cases[i].body, &a);
        if (a.r != CT_APPLY_INVALID)
            fail_msg("%s: result %d, expected INVALID", cases[i].body, (int)a.r);
        assert_string_equal(a.e.field, cases[i].field);
    }
    json_decref(doc);
}

/* A full life: every change adds exactly one version. */
static void test_apply_version_chain(void **state)
{
    json_t *doc = new_doc(CT_STATUS_CREATED);
    static const struct {
        ct_action action;
        const char *body;
        const char *status;
    } steps[] = {
        {CT_ACTION_ACTIVATE, NULL, "ACTIVE"},
        {CT_ACTION_SUSPEND, "{\"reason\": \"r\"}", "SUSPENDED"},
        {CT_ACTION_CHANGE_CREDIT_LIMIT, "{\"amount\": 1, \"currency\": \"EUR\"}", "SUSPENDED"},
        {CT_ACTION_REACTIVATE, NULL, "ACTIVE"},
        {CT_ACTION_REVOKE_MANDATE, NULL, "ACTIVE"},
        {CT_ACTION_SIGN_MANDATE,
         "{\"reference\": \"M\", \"iban\": \"" DE_IBAN "\", \"signedAt\": \"2026-02-01\"}",
         "ACTIVE"},
        {CT_ACTION_CANCEL, "{\"reason\": \"end\"}", "CANCELLED"},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        applied a;
        apply(doc, steps[i].action, steps[i].body, &a);
        check_changed(doc, &a, steps[i].status);
        assert_int_equal(json_integer_value(json_object_get(a.doc, "version")), (int)i + 2);
        json_decref(doc);
        doc = a.doc;
    }
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iban_valid),
        cmocka_unit_test(test_iban_bad_check_digits),
        cmocka_unit_test(test_iban_length),
        cmocka_unit_test(test_iban_bad_chars_and_structure),
        cmocka_unit_test(test_iban_mask),
        cmocka_unit_test(test_parse_full_request),
        cmocka_unit_test(test_parse_default_billing),
        cmocka_unit_test(test_parse_credit_limit_forms),
        cmocka_unit_test(test_parse_invoice_email_default),
        cmocka_unit_test(test_parse_legacy_distributor_ref),
        cmocka_unit_test(test_parse_customer_ref_sources),
        cmocka_unit_test(test_parse_minimal_request),
        cmocka_unit_test(test_parse_status_created),
        cmocka_unit_test(test_parse_expire_in_past_accepted),
        cmocka_unit_test(test_parse_contract_ref),
        cmocka_unit_test(test_reject_top_level),
        cmocka_unit_test(test_reject_dates),
        cmocka_unit_test(test_reject_subscriber),
        cmocka_unit_test(test_reject_billing),
        cmocka_unit_test(test_reject_mandate),
        cmocka_unit_test(test_reject_first_error_wins),
        cmocka_unit_test(test_reject_not_object),
        cmocka_unit_test(test_finish_new),
        cmocka_unit_test(test_model_status),
        cmocka_unit_test(test_apply_activate),
        cmocka_unit_test(test_apply_suspend_reactivate),
        cmocka_unit_test(test_apply_cancel),
        cmocka_unit_test(test_apply_expire),
        cmocka_unit_test(test_apply_final_states),
        cmocka_unit_test(test_apply_bad_stored_status),
        cmocka_unit_test(test_apply_revoke_mandate),
        cmocka_unit_test(test_apply_sign_mandate),
        cmocka_unit_test(test_apply_sign_mandate_invalid),
        cmocka_unit_test(test_apply_sign_mandate_without_payment),
        cmocka_unit_test(test_apply_sign_mandate_noop),
        cmocka_unit_test(test_apply_credit_limit_noop_and_default_currency),
        cmocka_unit_test(test_apply_credit_limit),
        cmocka_unit_test(test_apply_credit_limit_rejections),
        cmocka_unit_test(test_apply_version_chain),
        cmocka_unit_test(test_apply_revoked_at_is_time_of_change),
        cmocka_unit_test(test_apply_suspend_empty_reason),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
