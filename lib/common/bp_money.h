/* bp_money: money as an integer count of minor units with an ISO 4217 currency.
 * Parsing from JSON (decimal string or number) happens here, at the edge; after
 * that no floating point touches an amount. Pure functions, no I/O. */
#ifndef BP_MONEY_H
#define BP_MONEY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest amount accepted anywhere, in minor units (10^15, i.e. 10^13 EUR). */
#define BP_MONEY_MAX_MINOR INT64_C(1000000000000000)

typedef enum {
    BP_MONEY_OK = 0,
    BP_MONEY_SYNTAX,            /* not a plain decimal number */
    BP_MONEY_TOO_MANY_DECIMALS, /* more decimals than the currency allows */
    BP_MONEY_NEGATIVE,          /* below zero where not allowed */
    BP_MONEY_TOO_LARGE,         /* beyond BP_MONEY_MAX_MINOR */
    BP_MONEY_MISSING,           /* no such member */
    BP_MONEY_MALFORMED,         /* not a Money object: members missing or mistyped */
    BP_MONEY_CURRENCY,          /* unknown currency, or not the one expected */
    BP_MONEY_DISAGREES,         /* "amount" is not minorUnits in the currency's decimals */
} bp_money_result;

/* Looks up an active ISO 4217 code ("EUR"). On success stores the number of
 * minor-unit digits (2 for EUR, 0 for JPY, 3 for KWD) and returns true. */
bool bp_currency_exponent(const char *code, int *exponent);

/* Parses "1234", "1234.5", "-12.30" into minor units for a currency with
 * `exponent` decimals. Negative values only when allow_negative. */
bp_money_result bp_money_parse(const char *text, int exponent, bool allow_negative, int64_t *minor);

/* Same, from a JSON string or number (integer or real). A real is converted once,
 * exactly when it has at most `exponent` decimals. */
bp_money_result bp_money_from_json(const json_t *value, int exponent, bool allow_negative,
                                   int64_t *minor);

/* Writes minor units as a decimal string with exactly `exponent` decimals
 * ("5000.00", "-0.05", "12"). buf needs 32 bytes. */
void bp_money_format(int64_t minor, int exponent, char *buf, size_t size);

/* Longest JSON text bp_money_render writes, with its terminating NUL. */
#define BP_MONEY_JSON_MAX 96

/* The one shape every amount takes in our responses and events (the `Money`
 * schema of openapi/ and asyncapi/):
 *     {"amount":"8.86","currency":"EUR","minorUnits":886}
 * `amount` is a decimal string with exactly the currency's minor digits ("1000"
 * for JPY, "1.234" for KWD, "-3.36" for a refund line), `minorUnits` the same
 * value as an integer, `currency` the ISO 4217 code. */

/* The Money object of `minor` units of `currency`, as a new jansson object
 * (members in the order above). NULL when `currency` is not an active ISO 4217
 * code or out of memory. Caller decrefs. */
json_t *bp_money_json(int64_t minor, const char *currency) __attribute__((warn_unused_result));

/* The same object as compact JSON text into buf (BP_MONEY_JSON_MAX bytes
 * suffice), for writers that do not build jansson trees. Returns the length
 * written, or 0 when `currency` is unknown or buf is too small (buf then holds
 * ""). */
size_t bp_money_render(int64_t minor, const char *currency, char *buf, size_t size)
    __attribute__((warn_unused_result));

/* Reads an amount that consumers receive: `obj[name]` as a Money object, or —
 * events written before amounts were Money objects — the integer
 * `obj[name "Minor"]` (the legacy twin of a bare JSON number). `currency`, when
 * not NULL, is the currency the amount must be in (a legacy amount is taken to
 * be in it). A Money object must have an integer minorUnits, a known currency
 * and a string amount equal to minorUnits in that currency's decimals. Values
 * beyond ±BP_MONEY_MAX_MINOR are BP_MONEY_TOO_LARGE, negative ones
 * BP_MONEY_NEGATIVE unless allow_negative. On BP_MONEY_OK stores *minor. */
bp_money_result bp_money_read(const json_t *obj, const char *name, const char *currency,
                              bool allow_negative, int64_t *minor)
    __attribute__((warn_unused_result));

/* A short English description of a result, for error messages. */
const char *bp_money_result_text(bp_money_result r);

#endif
