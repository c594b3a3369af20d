/* payment_bank: the bank interface's dispatch and the simulation's pure rules
 * (which mandates fail with which SEPA code, the insufficient-funds threshold).
 * No I/O: the simulated bank's storage and delay live in payment_bank_sim. */
#include "payment_bank.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MANDATE_MAX 100

typedef struct {
    char mandate[MANDATE_MAX + 1];
    char code[5];
    int first; /* > 0: only the mandate's first `first` collections fail; 0: all */
} rule;

struct pm_bank_rules {
    rule *rules;
    size_t n;
    int64_t insufficient_above;
};

pm_bank_status pm_bank_collect(pm_bank *bank, const char *end_to_end_id, const char *mandate_ref,
                               int64_t amount_minor, const char *currency, pm_bank_result *result)
{
    memset(result, 0, sizeof *result);
    return bank->collect(bank->impl, end_to_end_id, mandate_ref, amount_minor, currency, result);
}

void pm_bank_free(pm_bank *bank)
{
    if (bank == NULL)
        return;
    if (bank->free != NULL)
        bank->free(bank->impl);
    free(bank);
}

/* The SEPA (ISO 20022 ExternalStatusReason) codes a direct debit commonly
 * fails with. */
static const struct {
    const char *code, *text;
} reasons[] = {
    {"AC01", "incorrect account number"}, {"AC04", "account closed"},
    {"AC06", "account blocked"},          {"AG01", "direct debit forbidden on this account"},
    {"AM04", "insufficient funds"},       {"MD01", "no valid mandate"},
    {"MD07", "debtor deceased"},          {"MS02", "refused by the debtor"},
    {"MS03", "reason not specified"},     {"SL01", "specific service offered by the debtor's bank"},
};

const char *pm_sepa_reason_text(const char *code)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        if (code != NULL && strcmp(code, reasons[i].code) == 0)
            return reasons[i].text;
    }
    return "rejected by the debtor's bank";
}

void pm_bank_result_reject(pm_bank_result *result, const char *code)
{
    result->ok = false;
    snprintf(result->reason_code, sizeof result->reason_code, "%s", code);
    snprintf(result->reason, sizeof result->reason, "%s", pm_sepa_reason_text(code));
}

static bool code_valid(const char *s, size_t len)
{
    if (len != 4)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

/* s[0..len) without leading and trailing white space. */
static const char *trim(const char *s, size_t *len)
{
    while (*len > 0 && isspace((unsigned char)*s)) {
        s++;
        (*len)--;
    }
    while (*len > 0 && isspace((unsigned char)s[*len - 1]))
        (*len)--;
    return s;
}

/* Parses one "REF:CODE" or "REF:CODE:N" item (s, len; white space around the
 * parts ignored). */
static bool parse_item(const char *s, size_t len, rule *out, char *err, size_t errsize)
{
    s = trim(s, &len);
    const char *colon = memchr(s, ':', len);
    size_t ref_len = colon ? (size_t)(colon - s) : 0;
    size_t rest_len = colon ? len - ref_len - 1 : 0;
    const char *ref = trim(s, &ref_len);
    const char *second = colon ? memchr(colon + 1, ':', rest_len) : NULL;
    size_t code_len = second ? (size_t)(second - colon - 1) : rest_len;
    const char *code = colon ? trim(colon + 1, &code_len) : NULL;
    long first = 0;
    bool first_ok = true;
    if (second != NULL) {
        size_t n_len = len - (size_t)(second + 1 - s);
        const char *n = trim(second + 1, &n_len);
        char digits[8] = "";
        first_ok = n_len >= 1 && n_len < sizeof digits;
        for (size_t i = 0; first_ok && i < n_len; i++)
            first_ok = isdigit((unsigned char)n[i]);
        if (first_ok) {
            memcpy(digits, n, n_len);
            first = atol(digits);
            first_ok = first >= 1 && first <= 1000;
        }
    }
    if (colon == NULL || ref_len == 0 || ref_len > MANDATE_MAX || !code_valid(code, code_len) ||
        !first_ok) {
        snprintf(err, errsize,
                 "BP_BANK_FAIL_MANDATES: '%.*s' is not MANDATE:CODE or MANDATE:CODE:N (a mandate "
                 "reference of 1 to %d characters, a 4-character SEPA reason code such as MD01, "
                 "the number 1 to 1000 of first collections that fail)",
                 (int)(len > 60 ? 60 : len), s, MANDATE_MAX);
        return false;
    }
    memcpy(out->mandate, ref, ref_len);
    out->mandate[ref_len] = '\0';
    memcpy(out->code, code, 4);
    out->code[4] = '\0';
    out->first = (int)first;
    return true;
}

pm_bank_rules *pm_bank_rules_parse(const char *fail_mandates, int64_t insufficient_above, char *err,
                                   size_t errsize)
{
    if (insufficient_above < 0) {
        snprintf(err, errsize, "BP_BANK_INSUFFICIENT_ABOVE_MINOR must be 0 or more");
        return NULL;
    }
    const char *spec = fail_mandates ? fail_mandates : "";
    size_t items = 1;
    for (const char *p = spec; *p; p++)
        items += *p == ',';
    pm_bank_rules *r = calloc(1, sizeof *r);
    if (r == NULL || (r->rules = calloc(items, sizeof *r->rules)) == NULL) {
        free(r);
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    r->insufficient_above = insufficient_above;
    bool blank = true;
    for (const char *p = spec; *p; p++)
        blank = blank && isspace((unsigned char)*p);
    for (const char *p = spec; !blank;) {
        size_t len = strcspn(p, ",");
        if (!parse_item(p, len, &r->rules[r->n], err, errsize)) {
            pm_bank_rules_free(r);
            return NULL;
        }
        r->n++;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    return r;
}

void pm_bank_rules_free(pm_bank_rules *rules)
{
    if (rules == NULL)
        return;
    free(rules->rules);
    free(rules);
}

void pm_bank_rules_decide(const pm_bank_rules *rules, const char *mandate_ref, int64_t amount_minor,
                          int64_t earlier, pm_bank_result *result)
{
    memset(result, 0, sizeof *result);
    if (mandate_ref == NULL || mandate_ref[0] == '\0') {
        pm_bank_result_reject(result, "MD01");
        return;
    }
    for (size_t i = 0; i < rules->n; i++) {
        if (strcmp(rules->rules[i].mandate, mandate_ref) == 0) {
            if (rules->rules[i].first > 0 && earlier >= rules->rules[i].first)
                break; /* its failing collections are behind it: booked from now on */
            pm_bank_result_reject(result, rules->rules[i].code);
            return;
        }
    }
    if (rules->insufficient_above > 0 && amount_minor > rules->insufficient_above) {
        pm_bank_result_reject(result, "AM04");
        return;
    }
    result->ok = true;
}
