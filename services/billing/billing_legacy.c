/* billing_legacy: old stored documents → today's Money objects, on read. */
#include "billing_legacy.h"

#include "bp_money.h"

#include <stdio.h>
#include <string.h>

static const char *const amount_keys[] = {
    "unitPrice", "amountWithoutTax", "amountTax", "amountWithTax", "totalWithoutTax",
    "totalTax",  "totalWithTax",     "base",      "tax",           NULL};

/* One object's amount members; false when one cannot be read. */
static bool upgrade_object(json_t *obj, const char *currency, int exponent)
{
    bool ok = true;
    for (size_t k = 0; amount_keys[k] != NULL; k++) {
        const char *key = amount_keys[k];
        json_t *v = json_object_get(obj, key);
        if (!json_is_number(v))
            continue;
        char twin[32];
        snprintf(twin, sizeof twin, "%sMinor", key);
        json_t *t = json_object_get(obj, twin);
        int64_t minor = 0;
        if (json_is_integer(t))
            minor = json_integer_value(t);
        else if (bp_money_from_json(v, exponent, true, &minor) != BP_MONEY_OK) {
            ok = false;
            continue;
        }
        json_t *money = bp_money_json(minor, currency);
        if (money == NULL || json_object_set_new(obj, key, money) != 0) {
            ok = false;
            continue;
        }
        json_object_del(obj, twin);
    }
    json_object_del(obj, "totalWithTaxMinor"); /* operations had only this twin */
    return ok;
}

static bool walk(json_t *node, const char *currency, int exponent)
{
    bool ok = true;
    if (json_is_object(node)) {
        ok = upgrade_object(node, currency, exponent);
        const char *key;
        json_t *v;
        json_object_foreach(node, key, v)
        {
            if (json_is_object(v) || json_is_array(v))
                ok &= walk(v, currency, exponent);
        }
    } else if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v)
        {
            if (json_is_object(v) || json_is_array(v))
                ok &= walk(v, currency, exponent);
        }
    }
    return ok;
}

bool bl_legacy_upgrade(json_t *doc)
{
    if (doc == NULL)
        return true;
    json_t *order = json_object_get(doc, "order");
    json_t *holder = json_is_object(order) ? order : doc;
    if (json_is_object(json_object_get(holder, "totalWithTax")))
        return true; /* today's shape */
    const char *currency =
        json_string_value(json_object_get(holder, holder == order ? "currencyCode" : "currency"));
    int exponent;
    if (!bp_currency_exponent(currency, &exponent))
        return false;
    return walk(doc, currency, exponent);
}
