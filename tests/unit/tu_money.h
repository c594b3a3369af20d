/* tu_money: the Money object check the unit tests share. Include after
 * <cmocka.h>; links with bp_money. */
#ifndef TU_MONEY_H
#define TU_MONEY_H

#include "bp_money.h"

#include <jansson.h>
#include <string.h>

/* The minor units of `v`, which must be a Money object of today's shape —
 * exactly {amount, currency, minorUnits}, the amount a string with exactly
 * `exponent` decimals equal to minorUnits — in `currency` (NULL: any known
 * one), and readable by consumers (bp_money_read). `where` names it in
 * failures. */
static inline int64_t tu_money(const json_t *v, const char *where, const char *currency,
                               int exponent)
{
    if (!json_is_object(v) || json_object_size(v) != 3)
        fail_msg("%s: not a Money object", where);
    const char *cur = json_string_value(json_object_get(v, "currency"));
    const char *amount = json_string_value(json_object_get(v, "amount"));
    json_t *units = json_object_get(v, "minorUnits");
    int e = -1;
    if (cur == NULL || amount == NULL || !json_is_integer(units) ||
        !bp_currency_exponent(cur, &e) || e != exponent)
        fail_msg("%s: not a Money object with %d decimals", where, exponent);
    if (currency != NULL && strcmp(cur, currency) != 0)
        fail_msg("%s: in %s, not %s", where, cur, currency);
    char want[32];
    bp_money_format(json_integer_value(units), exponent, want, sizeof want);
    if (strcmp(amount, want) != 0)
        fail_msg("%s: amount \"%s\", expected \"%s\"", where, amount, want);
    json_t *wrap = json_pack("{s:O}", "m", v);
    int64_t minor = -1;
    if (bp_money_read(wrap, "m", cur, true, &minor) != BP_MONEY_OK)
        fail_msg("%s: refused by bp_money_read", where);
    json_decref(wrap);
    return minor;
}

#endif
