/* bp_money: ISO 4217 table and exact decimal ↔ minor-unit conversion. */
#include "bp_money.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char code[4];
    int exponent;
} currency_entry;

/* Active ISO 4217 currencies (list 1), with their minor-unit digits. */
static const currency_entry currencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2}, {"AUD", 2},
    {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0},
    {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2},
    {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHF", 2}, {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"CRC", 2},
    {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2},
    {"ERN", 2}, {"ETB", 2}, {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2},
    {"GIP", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HTG", 2},
    {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2},
    {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2}, {"KRW", 0},
    {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2}, {"LKR", 2}, {"LRD", 2}, {"LSL", 2},
    {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2}, {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2},
    {"MRU", 2}, {"MUR", 2}, {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2},
    {"NGN", 2}, {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2},
    {"PGK", 2}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2},
    {"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2}, {"SGD", 2},
    {"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2},
    {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2},
    {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"UYU", 2}, {"UZS", 2}, {"VES", 2},
    {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2}, {"XOF", 0}, {"XPF", 0}, {"YER", 2},
    {"ZAR", 2}, {"ZMW", 2}, {"ZWL", 2},
};

bool bp_currency_exponent(const char *code, int *exponent)
{
    if (code == NULL || strlen(code) != 3)
        return false;
    size_t lo = 0, hi = sizeof currencies / sizeof currencies[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(code, currencies[mid].code);
        if (c == 0) {
            *exponent = currencies[mid].exponent;
            return true;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
}

bp_money_result bp_money_parse(const char *text, int exponent, bool allow_negative, int64_t *minor)
{
    const char *p = text;
    bool negative = false;
    if (*p == '-') {
        negative = true;
        p++;
    }
    if (*p < '0' || *p > '9')
        return BP_MONEY_SYNTAX;
    int64_t value = 0;
    int decimals = -1;   /* -1 = no dot seen */
    bool excess = false; /* a non-zero digit beyond the currency's decimals */
    for (; *p != '\0'; p++) {
        if (*p == '.') {
            if (decimals >= 0 || p[1] < '0' || p[1] > '9')
                return BP_MONEY_SYNTAX;
            decimals = 0;
            continue;
        }
        if (*p < '0' || *p > '9')
            return BP_MONEY_SYNTAX;
        if (decimals >= 0) {
            if (decimals == exponent) {
                excess |= *p != '0'; /* trailing zeros are harmless; keep checking syntax */
                continue;
            }
            decimals++;
        }
        value = value * 10 + (*p - '0');
        if (value > BP_MONEY_MAX_MINOR)
            return BP_MONEY_TOO_LARGE;
    }
    if (excess)
        return BP_MONEY_TOO_MANY_DECIMALS;
    for (int d = decimals < 0 ? 0 : decimals; d < exponent; d++) {
        value *= 10;
        if (value > BP_MONEY_MAX_MINOR)
            return BP_MONEY_TOO_LARGE;
    }
    if (negative && value != 0 && !allow_negative)
        return BP_MONEY_NEGATIVE;
    *minor = negative ? -value : value;
    return BP_MONEY_OK;
}

bp_money_result bp_money_from_json(const json_t *value, int exponent, bool allow_negative,
                                   int64_t *minor)
{
    if (json_is_string(value)) {
        if (strlen(json_string_value(value)) != json_string_length(value))
            return BP_MONEY_SYNTAX; /* a \u0000 inside */
        return bp_money_parse(json_string_value(value), exponent, allow_negative, minor);
    }
    if (json_is_integer(value)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(value));
        return bp_money_parse(buf, exponent, allow_negative, minor);
    }
    if (!json_is_real(value))
        return BP_MONEY_SYNTAX;
    double x = json_real_value(value);
    if (!isfinite(x))
        return BP_MONEY_SYNTAX;
    if (fabs(x) >= 1e16)
        return BP_MONEY_TOO_LARGE;
    /* The shortest decimal text that reads back as the same double is the text
     * the client sent (up to trailing zeros): parse that, exactly. */
    char text[40];
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, x);
        if (strtod(text, NULL) == x)
            break;
    }
    const char *e = strchr(text, 'e');
    if (e != NULL) { /* "1.5e+03", "5e-05": rewrite the same digits without an exponent */
        const char *dot = strchr(text, '.');
        int decimals = (dot != NULL && dot < e ? (int)(e - dot - 1) : 0) - atoi(e + 1);
        if (decimals > 20)
            return BP_MONEY_TOO_MANY_DECIMALS;
        snprintf(text, sizeof text, "%.*f", decimals < 0 ? 0 : decimals, x);
    }
    return bp_money_parse(text, exponent, allow_negative, minor);
}

void bp_money_format(int64_t minor, int exponent, char *buf, size_t size)
{
    uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    uint64_t scale = 1;
    for (int i = 0; i < exponent; i++)
        scale *= 10;
    if (exponent == 0)
        snprintf(buf, size, "%s%llu", minor < 0 ? "-" : "", (unsigned long long)mag);
    else
        snprintf(buf, size, "%s%llu.%0*llu", minor < 0 ? "-" : "",
                 (unsigned long long)(mag / scale), exponent, (unsigned long long)(mag % scale));
}

json_t *bp_money_json(int64_t minor, const char *currency)
{
    int exponent;
    if (!bp_currency_exponent(currency, &exponent))
        return NULL;
    char text[32];
    bp_money_format(minor, exponent, text, sizeof text);
    return json_pack("{s:s, s:s, s:I}", "amount", text, "currency", currency, "minorUnits",
                     (json_int_t)minor);
}

size_t bp_money_render(int64_t minor, const char *currency, char *buf, size_t size)
{
    int exponent;
    if (size > 0)
        buf[0] = '\0';
    if (!bp_currency_exponent(currency, &exponent))
        return 0;
    char text[32];
    bp_money_format(minor, exponent, text, sizeof text);
    int n = snprintf(buf, size, "{\"amount\":\"%s\",\"currency\":\"%s\",\"minorUnits\":%lld}", text,
                     currency, (long long)minor);
    if (n < 0 || (size_t)n >= size) {
        if (size > 0)
            buf[0] = '\0';
        return 0;
    }
    return (size_t)n;
}

/* A legacy amount: the integer twin "<name>Minor" of a bare JSON number. */
static bp_money_result read_legacy(const json_t *obj, const char *name, int64_t *minor)
{
    char key[64];
    int n = snprintf(key, sizeof key, "%sMinor", name);
    if (n < 0 || (size_t)n >= sizeof key)
        return BP_MONEY_MISSING;
    const json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return BP_MONEY_MISSING;
    if (!json_is_integer(v))
        return BP_MONEY_MALFORMED;
    *minor = json_integer_value(v);
    return BP_MONEY_OK;
}

bp_money_result bp_money_read(const json_t *obj, const char *name, const char *currency,
                              bool allow_negative, int64_t *minor)
{
    const json_t *v = json_object_get(obj, name);
    int64_t value = 0;
    bp_money_result r = BP_MONEY_OK;
    if (json_is_object(v)) {
        const json_t *units = json_object_get(v, "minorUnits");
        const char *text = json_string_value(json_object_get(v, "amount"));
        const char *cur = json_string_value(json_object_get(v, "currency"));
        int exponent;
        if (!json_is_integer(units) || text == NULL || cur == NULL)
            return BP_MONEY_MALFORMED;
        if (!bp_currency_exponent(cur, &exponent) ||
            (currency != NULL && strcmp(cur, currency) != 0))
            return BP_MONEY_CURRENCY;
        value = json_integer_value(units);
        if (value < -BP_MONEY_MAX_MINOR || value > BP_MONEY_MAX_MINOR)
            return BP_MONEY_TOO_LARGE;
        char expected[32];
        bp_money_format(value, exponent, expected, sizeof expected);
        if (strcmp(text, expected) != 0)
            return BP_MONEY_DISAGREES; /* exactly the currency's decimals, as we write it */
    } else if (v == NULL || json_is_number(v)) {
        r = read_legacy(obj, name, &value); /* a bare number is only read through its twin */
        if (r == BP_MONEY_MISSING && v != NULL)
            r = BP_MONEY_MALFORMED;
        if (r != BP_MONEY_OK)
            return r;
    } else {
        return BP_MONEY_MALFORMED;
    }
    if (value < -BP_MONEY_MAX_MINOR || value > BP_MONEY_MAX_MINOR)
        return BP_MONEY_TOO_LARGE;
    if (value < 0 && !allow_negative)
        return BP_MONEY_NEGATIVE;
    *minor = value;
    return BP_MONEY_OK;
}

const char *bp_money_result_text(bp_money_result r)
{
    switch (r) {
    case BP_MONEY_OK:
        return "ok";
    case BP_MONEY_SYNTAX:
        return "is not a decimal amount";
    case BP_MONEY_TOO_MANY_DECIMALS:
        return "has more decimals than the currency allows";
    case BP_MONEY_NEGATIVE:
        return "must not be negative";
    case BP_MONEY_TOO_LARGE:
        return "is too large";
    case BP_MONEY_MISSING:
        return "is missing";
    case BP_MONEY_MALFORMED:
        return "is not a Money object {amount, currency, minorUnits}";
    case BP_MONEY_CURRENCY:
        return "is in an unknown or unexpected currency";
    case BP_MONEY_DISAGREES:
        return "has an amount that disagrees with its minorUnits";
    }
    return "is invalid";
}
