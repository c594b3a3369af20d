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
} bp_money_result;

/* Looks up an active ISO 4217 code ("EUR"). On success stores the number of
 * minor-unit digits (2 for EUR, 0 for JPY, 3 for KWD) and returns true. */
bool bp_currency_exponent(const char *code, int *exponent);

/* Parses "1234", "1234.5", "-12.30" into minor units for a currency with
 * `exponent` decimals. Negative values only when allow_negative. */
bp_money_result bp_money_parse(const char *text, int exponent, bool allow_negative,
                               int64_t *minor);

/* Same, from a JSON string or number (integer or real). A real is converted once,
 * exactly when it has at most `exponent` decimals. */
bp_money_result bp_money_from_json(const json_t *value, int exponent, bool allow_negative,
                                   int64_t *minor);

/* Writes minor units as a decimal string with exactly `exponent` decimals
 * ("5000.00", "-0.05", "12"). buf needs 32 bytes. */
void bp_money_format(int64_t minor, int exponent, char *buf, size_t size);

/* A short English description of a result, for error messages. */
const char *bp_money_result_text(bp_money_result r);

#endif
