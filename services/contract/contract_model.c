/* contract_model: request validation, normalisation and lifecycle application
 * on JSON documents. No I/O; every function is unit-tested. */
#include "contract_model.h"

#include "bp_money.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define TEXT_MAX 200

static const char *const deferred[] = {"DEFERRED_BILLING", NULL};
static const char *const subscriber_types[] = {"PARTICULAR", "PROFESSIONNAL", NULL};
static const char *const genders[] = {"M", "MME", NULL};
static const char *const statuses[] = {"CREATED",   "ACTIVE",  "SUSPENDED",
                                       "CANCELLED", "EXPIRED", NULL};

/* ---------- IBAN ---------- */

bool ct_iban_normalise(const char *in, char *out)
{
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        if (*p == ' ')
            continue;
        if (!isalnum((unsigned char)*p) || n == CT_IBAN_MAX)
            return false;
        out[n++] = (char)toupper((unsigned char)*p);
    }
    out[n] = '\0';
    if (n < 15 || !isalpha((unsigned char)out[0]) || !isalpha((unsigned char)out[1]) ||
        !isdigit((unsigned char)out[2]) || !isdigit((unsigned char)out[3]))
        return false;
    /* ISO 7064 mod 97-10 over the rearranged IBAN, letters as 10..35. */
    unsigned rem = 0;
    for (size_t i = 0; i < n; i++) {
        char c = out[(i + 4) % n];
        if (isdigit((unsigned char)c))
            rem = (rem * 10 + (unsigned)(c - '0')) % 97;
        else
            rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
    }
    return rem == 1;
}

void ct_iban_mask(const char *iban, char *out, size_t size)
{
    size_t n = strlen(iban), k = 0;
    for (size_t i = 0; i < n && k + 1 < size; i++)
        out[k++] = (i < 4 || i + 4 >= n) ? iban[i] : '*';
    out[k] = '\0';
}

/* ---------- small copy helpers ---------- */

/* Copies the optional string fields `names` from src to dst, each <= TEXT_MAX. */
static void copy_strings(const json_t *src, json_t *dst, const char *path, const char *const *names,
                         bp_verr *e)
{
    for (size_t i = 0; names[i] != NULL; i++) {
        const char *s = bp_v_string(src, path, names[i], false, 0, TEXT_MAX, e);
        if (s != NULL)
            json_object_set_new(dst, names[i], json_string(s));
    }
}

static json_t *parse_address(const json_t *parent, const char *path, const char *name, bp_verr *e)
{
    json_t *src = bp_v_object(parent, path, name, false, e);
    if (src == NULL)
        return NULL;
    char p[128];
    bp_path_join(p, sizeof p, path, name);
    static const char *const lines[] = {"line1",    "line2",      "line3",       "line4", "line5",
                                        "locality", "postalCode", "countryName", NULL};
    json_t *out = json_object();
    copy_strings(src, out, p, lines, e);
    const char *cc = bp_v_string(src, p, "countryCode", false, 2, 2, e);
    if (cc != NULL) {
        if (!isupper((unsigned char)cc[0]) || !isupper((unsigned char)cc[1]))
            bp_verr_set(e, p, "countryCode", "must be an ISO 3166 alpha-2 code such as FR");
        else
            json_object_set_new(out, "countryCode", json_string(cc));
    }
    return out;
}

static json_t *parse_person(const json_t *parent, const char *path, const char *name, bool required,
                            bp_verr *e)
{
    json_t *src = bp_v_object(parent, path, name, required, e);
    if (src == NULL)
        return NULL;
    char p[128];
    bp_path_join(p, sizeof p, path, name);
    json_t *out = json_object();
    static const char *const ids[] = {"ccuid", "contactId", NULL};
    copy_strings(src, out, p, ids, e);
    const char *g = bp_v_enum(src, p, "gender", false, genders, e);
    if (g != NULL)
        json_object_set_new(out, "gender", json_string(g));
    static const char *const names[] = {"firstName", NULL};
    copy_strings(src, out, p, names, e);
    const char *last = bp_v_string(src, p, "lastName", true, 1, TEXT_MAX, e);
    if (last != NULL)
        json_object_set_new(out, "lastName", json_string(last));
    const char *mail = bp_v_string(src, p, "mail", true, 1, 254, e);
    if (mail != NULL && !bp_email_valid(mail))
        bp_verr_set(e, p, "mail", "must be an e-mail address");
    else if (mail != NULL)
        json_object_set_new(out, "mail", json_string(mail));
    const char *phone = bp_v_string(src, p, "phone", false, 0, 40, e);
    if (phone != NULL)
        json_object_set_new(out, "phone", json_string(phone));
    return out;
}

static json_t *parse_einvoicing(const json_t *parent, const char *path, const char *name,
                                bp_verr *e)
{
    json_t *src = bp_v_object(parent, path, name, false, e);
    if (src == NULL)
        return NULL;
    char p[128];
    bp_path_join(p, sizeof p, path, name);
    static const char *const fields[] = {"siren", "tvaIntracommunautaire", "country", NULL};
    json_t *out = json_object();
    copy_strings(src, out, p, fields, e);
    return out;
}

static void set_opt(json_t *obj, const char *name, json_t *value)
{
    if (value != NULL)
        json_object_set_new(obj, name, value);
}

/* ---------- parties ---------- */

static json_t *parse_distributor(const json_t *req, bp_verr *e)
{
    json_t *src = bp_v_object(req, "", "distributor", true, e);
    if (src == NULL)
        return NULL;
    json_t *out = json_object();
    const char *ref = bp_v_string(src, "distributor", "distributorRef", false, 0, TEXT_MAX, e);
    const char *legacy = bp_v_string(src, "distributor", "disributorRef", false, 0, TEXT_MAX, e);
    if (ref == NULL)
        ref = legacy;
    if (ref != NULL) /* stored as spelt now; ct_model_spellings answers the old one */
        json_object_set_new(out, "distributorRef", json_string(ref));
    set_opt(out, "eFacturation", parse_einvoicing(src, "distributor", "eFacturation", e));
    set_opt(out, "contactPerson", parse_person(src, "distributor", "contactPerson", false, e));
    set_opt(out, "contactAddress", parse_address(src, "distributor", "contactAddress", e));
    return out;
}

static json_t *parse_party(const json_t *sub, char *customer_ref, bp_verr *e)
{
    json_t *src = bp_v_object(sub, "subscriber", "party", false, e);
    if (src == NULL)
        return NULL;
    /* The identifiers come directly or, the old way, inside `professionnal`;
     * the direct ones win, and the answer carries both forms. */
    static const char *const ids[] = {"customerId", "customerRef", NULL};
    json_t *direct = json_object(), *legacy = json_object();
    copy_strings(src, direct, "subscriber.party", ids, e);
    json_t *pro = bp_v_object(src, "subscriber.party", "professionnal", false, e);
    if (pro != NULL)
        copy_strings(pro, legacy, "subscriber.party.professionnal", ids, e);
    json_object_update_missing(direct, legacy);
    json_t *out = json_deep_copy(direct);
    if (json_object_size(direct) > 0)
        json_object_set(out, "professionnal", direct);
    const char *cref = json_string_value(json_object_get(direct, "customerRef"));
    if (cref != NULL)
        snprintf(customer_ref, BP_TEXT_BYTES(200), "%s", cref);
    json_decref(direct);
    json_decref(legacy);
    return out;
}

static json_t *parse_subscriber(const json_t *req, char *customer_ref, bp_verr *e)
{
    json_t *src = bp_v_object(req, "", "subscriber", true, e);
    if (src == NULL)
        return NULL;
    json_t *out = json_object();
    static const char *const refs[] = {"subscriberRef", NULL};
    copy_strings(src, out, "subscriber", refs, e);
    const char *type = bp_v_enum(src, "subscriber", "subscriberType", true, subscriber_types, e);
    if (type != NULL)
        json_object_set_new(out, "subscriberType", json_string(type));
    set_opt(out, "party", parse_party(src, customer_ref, e));
    if (customer_ref[0] == '\0') {
        const char *flat = bp_v_string(src, "subscriber", "customerRef", false, 0, TEXT_MAX, e);
        if (flat != NULL)
            snprintf(customer_ref, BP_TEXT_BYTES(200), "%s", flat);
    }
    if (customer_ref[0] != '\0')
        json_object_set_new(out, "customerRef", json_string(customer_ref));
    set_opt(out, "eInvoicing", parse_einvoicing(src, "subscriber", "eInvoicing", e));
    set_opt(out, "contactPerson", parse_person(src, "subscriber", "contactPerson", true, e));
    set_opt(out, "contactAddress", parse_address(src, "subscriber", "contactAddress", e));
    set_opt(out, "billingAddress", parse_address(src, "subscriber", "billingAddress", e));
    return out;
}

/* ---------- mandate and billing ---------- */

/* Parses a mandate object at `path` (e.g. "payment.mandate", or "" for the
 * body of PUT /mandate). Returns the response-form mandate or NULL. */
static json_t *parse_mandate(const json_t *src, const char *path, char *iban_out, bp_verr *e)
{
    json_t *out = json_object();
    const char *ref = bp_v_string(src, path, "reference", true, 1, 35, e);
    if (ref != NULL)
        json_object_set_new(out, "reference", json_string(ref));
    const char *iban = bp_v_string(src, path, "iban", true, 15, 50, e);
    if (iban != NULL) {
        if (!ct_iban_normalise(iban, iban_out)) {
            bp_verr_set(e, path, "iban", "is not a valid IBAN (structure or check digits)");
        } else {
            char masked[CT_IBAN_MAX + 1];
            ct_iban_mask(iban_out, masked, sizeof masked);
            json_object_set_new(out, "iban", json_string(masked));
        }
    }
    bp_date signed_at = 0, expire_at = 0;
    if (bp_v_date(src, path, "signedAt", true, &signed_at, e))
        json_object_set(out, "signedAt", json_object_get(src, "signedAt"));
    if (bp_v_date(src, path, "expireAt", false, &expire_at, e)) {
        if (expire_at < signed_at)
            bp_verr_set(e, path, "expireAt", "must not be before signedAt");
        json_object_set(out, "expireAt", json_object_get(src, "expireAt"));
    }
    json_object_set_new(out, "status", json_string("VALID"));
    if (e->failed) {
        json_decref(out);
        iban_out[0] = '\0';
        return NULL;
    }
    return out;
}

/* Parses {"amount", "currency"} into the Money object (bp_money_json). */
static json_t *parse_credit_limit(const json_t *src, const char *path, const char *def_currency,
                                  bp_verr *e)
{
    const char *cur = bp_v_string(src, path, "currency", false, 3, 3, e);
    if (cur == NULL && !e->failed)
        cur = def_currency;
    int exponent = 0;
    if (cur != NULL && !bp_currency_exponent(cur, &exponent))
        bp_verr_set(e, path, "currency", "is not an ISO 4217 currency code");
    json_t *amount = json_object_get(src, "amount");
    if (!e->failed && (amount == NULL || json_is_null(amount)))
        bp_verr_set(e, path, "amount", "is required");
    if (e->failed)
        return NULL;
    int64_t minor = 0;
    bp_money_result mr = bp_money_from_json(amount, exponent, false, &minor);
    if (mr != BP_MONEY_OK) {
        bp_verr_set(e, path, "amount", "%s", bp_money_result_text(mr));
        return NULL;
    }
    return bp_money_json(minor, cur);
}

static json_t *parse_billing(const json_t *req, const json_t *subscriber, bp_verr *e)
{
    json_t *src = bp_v_object(req, "", "billing", false, e);
    json_t *out = json_object();
    json_t *limit_src = src ? bp_v_object(src, "billing", "creditLimit", false, e) : NULL;
    json_t *limit = limit_src ? parse_credit_limit(limit_src, "billing.creditLimit", "EUR", e)
                              : bp_money_json(0, "EUR");
    set_opt(out, "creditLimit", limit);
    int64_t term = 30;
    if (src != NULL)
        bp_v_int(src, "billing", "paymentTermDays", false, 0, 365, &term, e);
    json_object_set_new(out, "paymentTermDays", json_integer(term));
    const char *mail = src ? bp_v_string(src, "billing", "invoiceEmail", false, 1, 254, e) : NULL;
    if (mail != NULL && !bp_email_valid(mail))
        bp_verr_set(e, "billing", "invoiceEmail", "must be an e-mail address");
    if (mail == NULL)
        mail = json_string_value(
            json_object_get(json_object_get(subscriber, "contactPerson"), "mail"));
    if (mail != NULL)
        json_object_set_new(out, "invoiceEmail", json_string(mail));
    return out;
}

/* ---------- create ---------- */

static bool ref_valid(const char *s)
{
    if (!isalnum((unsigned char)*s))
        return false;
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return false;
    }
    return true;
}

bool ct_model_parse_create(const json_t *req, ct_new_contract *out, bp_verr *e)
{
    memset(out, 0, sizeof *out);
    json_t *doc = json_object();
    out->contract_ref = bp_v_string(req, "", "contractRef", false, 1, 64, e);
    if (out->contract_ref != NULL && !ref_valid(out->contract_ref))
        bp_verr_set(
            e, "", "contractRef",
            "must start with a letter or digit and contain only letters, digits, '-', '_' and '.'");
    const char *product = bp_v_enum(req, "", "productRef", false, deferred, e);
    const char *type = bp_v_enum(req, "", "contractType", true, deferred, e);
    if (product != NULL)
        json_object_set_new(doc, "productRef", json_string(product));
    if (type != NULL)
        json_object_set_new(doc, "contractType", json_string(type));
    bp_date created = 0, signed_at = 0, activated = 0, expire = 0;
    static const char *const dates[] = {"createdAt", "signedAt", "activatedAt", "expireAt"};
    bp_date *targets[] = {&created, &signed_at, &activated, &expire};
    for (int i = 0; i < 4; i++) {
        if (bp_v_date(req, "", dates[i], i != 1, targets[i], e))
            json_object_set(doc, dates[i], json_object_get(req, dates[i]));
    }
    if (!e->failed && expire < activated)
        bp_verr_set(e, "", "expireAt", "must not be before activatedAt");
    out->expire_at = expire;
    const char *status = bp_v_enum(req, "", "status", false, statuses, e);
    out->status = CT_STATUS_ACTIVE;
    if (status != NULL) {
        ct_status_parse(status, &out->status);
        if (out->status != CT_STATUS_CREATED && out->status != CT_STATUS_ACTIVE)
            bp_verr_set(e, "", "status", "a new contract is CREATED or ACTIVE");
    }
    set_opt(doc, "distributor", parse_distributor(req, e));
    json_t *subscriber = parse_subscriber(req, out->customer_ref, e);
    set_opt(doc, "subscriber", subscriber);
    json_t *payment = bp_v_object(req, "", "payment", false, e);
    json_t *mandate = payment ? bp_v_object(payment, "payment", "mandate", false, e) : NULL;
    json_t *mandate_out = mandate ? parse_mandate(mandate, "payment.mandate", out->iban, e) : NULL;
    if (mandate_out != NULL)
        json_object_set_new(doc, "payment", json_pack("{s:o}", "mandate", mandate_out));
    json_object_set_new(doc, "billing", parse_billing(req, subscriber, e));
    if (e->failed) {
        json_decref(doc);
        return false;
    }
    out->doc = doc;
    return true;
}

void ct_model_finish_new(json_t *doc, const char *contract_id, const char *contract_ref,
                         ct_status status, const char *updated_at)
{
    /* Rebuild in reading order: identity first, then the request's fields. */
    json_t *ordered =
        json_pack("{s:s, s:s}", "contractId", contract_id, "contractRef", contract_ref);
    json_object_update(ordered, doc);
    json_object_set_new(ordered, "status", json_string(ct_status_name(status)));
    json_object_set_new(ordered, "version", json_integer(1));
    json_object_set_new(ordered, "updatedAt", json_string(updated_at));
    json_object_clear(doc);
    json_object_update(doc, ordered);
    json_decref(ordered);
}

bool ct_model_status(const json_t *doc, ct_status *out)
{
    const char *s = json_string_value(json_object_get(doc, "status"));
    return s != NULL && ct_status_parse(s, out);
}

void ct_model_spellings(json_t *contract, bool earlier_api)
{
    json_t *distributor = json_object_get(contract, "distributor");
    if (!json_is_object(distributor))
        return;
    json_t *ref = json_object_get(distributor, "distributorRef");
    if (earlier_api && json_is_string(ref))
        json_object_set(distributor, "disributorRef", ref);
    else if (!earlier_api)
        json_object_del(distributor, "disributorRef");
}

/* ---------- lifecycle ---------- */

static ct_apply_result apply_body(json_t *doc, const char *stored_iban, ct_action action,
                                  const json_t *body, const char *updated_at, char *iban_out,
                                  bp_verr *e, char *message)
{
    json_t *payment = json_object_get(doc, "payment");
    json_t *mandate = json_object_get(payment, "mandate");
    switch (action) {
    case CT_ACTION_CANCEL: {
        const char *reason = bp_v_string(body, "", "reason", true, 1, 500, e);
        if (reason == NULL)
            return CT_APPLY_INVALID;
        json_object_set_new(doc, "cancellationReason", json_string(reason));
        return CT_APPLY_OK;
    }
    case CT_ACTION_SUSPEND: {
        bp_v_string(body, "", "reason", false, 0, 500, e); /* logged by the service */
        return e->failed ? CT_APPLY_INVALID : CT_APPLY_OK;
    }
    case CT_ACTION_SIGN_MANDATE: {
        json_t *m = parse_mandate(body, "", iban_out, e);
        if (m == NULL)
            return CT_APPLY_INVALID;
        if (json_equal(m, mandate) && strcmp(iban_out, stored_iban) == 0) {
            json_decref(m); /* the valid mandate already in place */
            return CT_APPLY_NOOP;
        }
        if (!json_is_object(payment)) {
            payment = json_object();
            json_object_set_new(doc, "payment", payment);
        }
        json_object_set_new(payment, "mandate", m);
        return CT_APPLY_OK;
    }
    case CT_ACTION_REVOKE_MANDATE: {
        const char *st = json_string_value(json_object_get(mandate, "status"));
        if (st == NULL || strcmp(st, "VALID") != 0) {
            snprintf(message, 256, "the contract has no valid mandate to revoke");
            return CT_APPLY_ILLEGAL;
        }
        json_object_set_new(mandate, "status", json_string("REVOKED"));
        json_object_set_new(mandate, "revokedAt", json_string(updated_at));
        return CT_APPLY_OK;
    }
    case CT_ACTION_CHANGE_CREDIT_LIMIT: {
        json_t *billing = json_object_get(doc, "billing");
        const char *cur =
            json_string_value(json_object_get(json_object_get(billing, "creditLimit"), "currency"));
        json_t *limit = parse_credit_limit(body, "", cur ? cur : "EUR", e);
        if (limit == NULL)
            return CT_APPLY_INVALID;
        const char *want = json_string_value(json_object_get(limit, "currency"));
        if (cur != NULL && strcmp(cur, want) != 0) {
            snprintf(message, 256, "the contract is billed in %s; its credit limit cannot be in %s",
                     cur, want);
            json_decref(limit);
            return CT_APPLY_CURRENCY;
        }
        if (json_equal(limit, json_object_get(billing, "creditLimit"))) {
            json_decref(limit);
            return CT_APPLY_NOOP;
        }
        json_object_set_new(billing, "creditLimit", limit);
        return CT_APPLY_OK;
    }
    default:
        return CT_APPLY_OK;
    }
}

ct_apply_result ct_model_apply(const json_t *doc, const char *stored_iban, ct_action action,
                               const json_t *body, const char *updated_at, json_t **out_doc,
                               char *iban_out, bp_verr *e, char *message)
{
    *out_doc = NULL;
    iban_out[0] = '\0';
    ct_status from, to;
    if (!ct_model_status(doc, &from)) {
        snprintf(message, 256, "stored contract has no valid status");
        return CT_APPLY_ILLEGAL;
    }
    if (!ct_transition(from, action, &to)) {
        snprintf(message, 256, "cannot %s a contract that is %s", ct_action_verb(action),
                 ct_status_name(from));
        return CT_APPLY_ILLEGAL;
    }
    json_t *next = json_deep_copy(doc);
    ct_model_spellings(next, false);
    ct_apply_result r =
        apply_body(next, stored_iban, action, body, updated_at, iban_out, e, message);
    if (r != CT_APPLY_OK) {
        json_decref(next);
        return r;
    }
    json_int_t version = json_integer_value(json_object_get(next, "version"));
    json_object_set_new(next, "status", json_string(ct_status_name(to)));
    json_object_set_new(next, "version", json_integer(version + 1));
    json_object_set_new(next, "updatedAt", json_string(updated_at));
    *out_doc = next;
    return CT_APPLY_OK;
}
