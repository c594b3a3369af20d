/* Unit tests of billing_jsonw: commas in nested containers, string escapes
 * (quotes, backslashes, control characters, UTF-8 kept as is), exact amounts
 * from minor units, and the failures (misnesting, too deep, left open). */
#include "billing_jsonw.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

static void test_nesting_and_commas(void **state)
{
    (void)state;
    bl_jw w;
    bl_jw_init(&w, 8); /* grows */
    bl_jw_object(&w);
    bl_jw_kstring(&w, "a", "x");
    bl_jw_key(&w, "list");
    bl_jw_array(&w);
    bl_jw_int(&w, 1);
    bl_jw_object(&w);
    bl_jw_kint(&w, "k", -7);
    bl_jw_end(&w, '}');
    bl_jw_array(&w);
    bl_jw_end(&w, ']');
    bl_jw_string(&w, "last");
    bl_jw_raw(&w, "{\"pre\":true}");
    bl_jw_end(&w, ']');
    bl_jw_key(&w, "empty");
    bl_jw_object(&w);
    bl_jw_end(&w, '}');
    bl_jw_end(&w, '}');
    char *text = bl_jw_finish(&w);
    assert_string_equal(
        text, "{\"a\":\"x\",\"list\":[1,{\"k\":-7},[],\"last\",{\"pre\":true}],\"empty\":{}}");
    free(text);
}

static void test_escapes_round_trip(void **state)
{
    (void)state;
    const char *tricky = "q\"b\\s/\n\t\r\x01\x1f caf\xc3\xa9 \xe2\x82\xac";
    bl_jw w;
    bl_jw_init(&w, 16);
    bl_jw_object(&w);
    bl_jw_kstring(&w, "k\"ey", tricky);
    bl_jw_end(&w, '}');
    char *text = bl_jw_finish(&w);
    assert_non_null(strstr(text, "\\u0001"));
    assert_non_null(strstr(text, "\\u001f"));
    json_error_t err;
    json_t *doc = json_loads(text, 0, &err);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "k\"ey")), tricky);
    json_decref(doc);
    free(text);
}

static char *one_value(void (*write)(bl_jw *, int64_t, const char *), int64_t v,
                       const char *currency)
{
    bl_jw w;
    bl_jw_init(&w, 8);
    bl_jw_array(&w);
    write(&w, v, currency);
    bl_jw_end(&w, ']');
    return bl_jw_finish(&w);
}

static void rate(bl_jw *w, int64_t bp, const char *unused)
{
    (void)unused;
    bl_jw_rate(w, bp);
}

static void test_amounts_exact(void **state)
{
    (void)state;
    static const struct {
        int64_t minor;
        const char *currency, *amount;
    } cases[] = {
        {2108, "EUR", "21.08"},
        {-2108, "EUR", "-21.08"},
        {5, "EUR", "0.05"},
        {-5, "EUR", "-0.05"},
        {0, "EUR", "0.00"},
        {2100, "EUR", "21.00"},
        {1234, "JPY", "1234"},
        {-1, "KWD", "-0.001"},
        {1234, "KWD", "1.234"},
        {INT64_MAX, "EUR", "92233720368547758.07"},
        {INT64_MIN + 1, "JPY", "-9223372036854775807"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = one_value(bl_jw_money, cases[i].minor, cases[i].currency);
        char want[128];
        snprintf(want, sizeof want, "[{\"amount\":\"%s\",\"currency\":\"%s\",\"minorUnits\":%lld}]",
                 cases[i].amount, cases[i].currency, (long long)cases[i].minor);
        assert_string_equal(text, want);
        free(text);
    }
    bl_jw w;
    bl_jw_init(&w, 8);
    bl_jw_object(&w);
    bl_jw_kmoney(&w, "total", -150, "EUR");
    bl_jw_kint(&w, "n", 1);
    bl_jw_end(&w, '}');
    char *text = bl_jw_finish(&w);
    assert_string_equal(
        text, "{\"total\":{\"amount\":\"-1.50\",\"currency\":\"EUR\",\"minorUnits\":-150},"
              "\"n\":1}");
    free(text);
}

/* Rates as jansson writes the same number back (JSON_REAL_PRECISION 15), so a
 * stored invoice read and dumped again answers the same text. */
static void test_rates_as_jansson_writes_them(void **state)
{
    (void)state;
    static const int64_t bps[] = {0, 1, 5, 10, 55, 210, 550, 1000, 1234, 2000, 2050, 10000};
    for (size_t i = 0; i < sizeof bps / sizeof bps[0]; i++) {
        char *text = one_value(rate, bps[i], NULL);
        json_t *back = json_loads(text, 0, NULL);
        assert_non_null(back);
        assert_true(json_real_value(json_array_get(back, 0)) == (double)bps[i] / 100);
        char *again = json_dumps(back, JSON_COMPACT | JSON_REAL_PRECISION(15));
        assert_string_equal(text, again);
        free(again);
        json_decref(back);
        free(text);
    }
    char *text = one_value(rate, 550, NULL);
    assert_string_equal(text, "[5.5]");
    free(text);
    text = one_value(rate, 2000, NULL);
    assert_string_equal(text, "[20.0]");
    free(text);
    text = one_value(rate, 5, NULL);
    assert_string_equal(text, "[0.05]");
    free(text);
}

static void test_failures(void **state)
{
    (void)state;
    bl_jw w;
    bl_jw_init(&w, 8);
    bl_jw_object(&w); /* left open */
    assert_null(bl_jw_finish(&w));

    bl_jw_init(&w, 8);
    bl_jw_end(&w, ']'); /* nothing open */
    assert_null(bl_jw_finish(&w));

    bl_jw_init(&w, 8);
    for (int i = 0; i <= BL_JW_DEPTH; i++)
        bl_jw_array(&w);
    for (int i = 0; i <= BL_JW_DEPTH; i++)
        bl_jw_end(&w, ']');
    assert_null(bl_jw_finish(&w)); /* too deep */

    bl_jw_init(&w, 8);
    bl_jw_array(&w);
    bl_jw_end(&w, '}'); /* the other kind */
    assert_null(bl_jw_finish(&w));

    bl_jw_init(&w, 8);
    bl_jw_array(&w);
    bl_jw_key(&w, "k"); /* a key in an array */
    bl_jw_end(&w, ']');
    assert_null(bl_jw_finish(&w));

    bl_jw_init(&w, 8);
    bl_jw_object(&w);
    bl_jw_int(&w, 1); /* a value without its key */
    bl_jw_end(&w, '}');
    assert_null(bl_jw_finish(&w));

    bl_jw_init(&w, 8);
    bl_jw_object(&w);
    bl_jw_key(&w, "k"); /* a key without its value */
    bl_jw_end(&w, '}');
    assert_null(bl_jw_finish(&w));

    bl_jw_init(&w, 8);
    bl_jw_int(&w, 7);
    char *text = bl_jw_finish(&w);
    assert_string_equal(text, "7"); /* a bare value is a document too */
    free(text);
    bl_jw_int(&w, 8); /* after finish: refused, not a crash or a hang */
    assert_null(bl_jw_finish(&w));

    bl_jw_init(&w, 8);
    bl_jw_array(&w);
    bl_jw_raw(&w, ""); /* not a value */
    bl_jw_end(&w, ']');
    assert_null(bl_jw_finish(&w));

    bl_jw_init(&w, 8);
    bl_jw_array(&w);
    bl_jw_money(&w, 1, "XXX"); /* no such currency */
    bl_jw_end(&w, ']');
    assert_null(bl_jw_finish(&w));

    bl_jw_init(&w, 8);
    bl_jw_array(&w);
    bl_jw_rate(&w, -1); /* no negative rate */
    bl_jw_end(&w, ']');
    assert_null(bl_jw_finish(&w));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nesting_and_commas),
        cmocka_unit_test(test_escapes_round_trip),
        cmocka_unit_test(test_amounts_exact),
        cmocka_unit_test(test_rates_as_jansson_writes_them),
        cmocka_unit_test(test_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
