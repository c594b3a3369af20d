/* fuzz_money: amounts as bp_money reads them. The first byte picks the currency's
 * decimals (byte % 4), whether negatives are allowed (bit 2) and whether bp_money_read
 * expects EUR (bit 3); the rest is read as decimal text (bp_money_parse) and as JSON:
 * a value for bp_money_from_json, an object whose "amount" (or legacy "amountMinor")
 * bp_money_read takes. Invariants: an amount read is within ±BP_MONEY_MAX_MINOR, is not
 * negative unless allowed, and reads back the same once written (bp_money_format,
 * bp_money_json). */
#include "bp_money.h"
#include "fuzz_support.h"

#include <stdbool.h>

static void check_range(int64_t minor, bool allow_negative)
{
    FZ_CHECK(minor <= BP_MONEY_MAX_MINOR && minor >= -BP_MONEY_MAX_MINOR, "within the maximum");
    FZ_CHECK(allow_negative || minor >= 0, "not negative unless allowed");
}

static void text_roundtrip(const char *text, int exponent, bool allow_negative)
{
    int64_t minor = 0, again = 0;
    if (bp_money_parse(text, exponent, allow_negative, &minor) != BP_MONEY_OK)
        return;
    check_range(minor, allow_negative);
    char buf[32];
    bp_money_format(minor, exponent, buf, sizeof buf);
    FZ_CHECK(bp_money_parse(buf, exponent, allow_negative, &again) == BP_MONEY_OK && again == minor,
             "a formatted amount parses back to itself");
}

static void json_roundtrip(const json_t *v, int exponent, bool allow_negative, const char *cur)
{
    int64_t minor = 0, again = 0;
    if (bp_money_from_json(v, exponent, allow_negative, &minor) == BP_MONEY_OK)
        check_range(minor, allow_negative);
    if (!json_is_object(v) ||
        bp_money_read(v, "amount", cur, allow_negative, &minor) != BP_MONEY_OK)
        return;
    check_range(minor, allow_negative);
    const char *code =
        cur ? cur : json_string_value(json_object_get(json_object_get(v, "amount"), "currency"));
    if (code == NULL)
        return; /* a legacy amountMinor without an expected currency */
    json_t *obj = json_pack("{s:o}", "amount", bp_money_json(minor, code));
    FZ_CHECK(obj != NULL, "an amount read is written as a Money object");
    FZ_CHECK(bp_money_read(obj, "amount", code, allow_negative, &again) == BP_MONEY_OK &&
                 again == minor,
             "a Money object written reads back to itself");
    json_decref(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int exponent = data[0] % 4;
    bool allow_negative = data[0] & 4;
    const char *cur = data[0] & 8 ? "EUR" : NULL;
    char *text = fz_cstring(data + 1, size - 1);
    text_roundtrip(text, exponent, allow_negative);
    free(text);
    json_t *v = fz_json(data + 1, size - 1, JSON_DECODE_ANY | JSON_ALLOW_NUL);
    if (v != NULL)
        json_roundtrip(v, exponent, allow_negative, cur);
    json_decref(v);
    return 0;
}
