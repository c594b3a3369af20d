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
    assert_string_equal(text, "{\"a\":\"x\",\"list\":[1,{\"k\":-7},[],\"last\",{\"pre\":true}],\"empty\":{}}");
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

static void test_amounts_exact(void **state)
{
    (void)state;
    static const struct {
        int64_t minor;
        int exponent;
        const char *text;
    } cases[] = {
        {2108, 2, "21.08"},     {-2108, 2, "-21.08"}, {5, 2, "0.05"},
        {-5, 2, "-0.05"},       {0, 2, "0.00"},       {2100, 2, "21.00"},
        {1234, 0, "1234"},      {-1, 3, "-0.001"},    {INT64_MAX, 2, "92233720368547758.07"},
        {INT64_MIN + 1, 0, "-9223372036854775807"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bl_jw w;
        bl_jw_init(&w, 8);
        bl_jw_array(&w);
        bl_jw_money(&w, cases[i].minor, cases[i].exponent);
        bl_jw_end(&w, ']');
        char *text = bl_jw_finish(&w);
        char want[64];
        snprintf(want, sizeof want, "[%s]", cases[i].text);
        assert_string_equal(text, want);
        free(text);
    }
    bl_jw w;
    bl_jw_init(&w, 8);
    bl_jw_object(&w);
    bl_jw_kamount(&w, "total", -150, 2);
    bl_jw_end(&w, '}');
    char *text = bl_jw_finish(&w);
    assert_string_equal(text, "{\"total\":-1.50,\"totalMinor\":-150}");
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
    bl_jw_money(&w, 1, 19); /* no such currency exponent */
    bl_jw_end(&w, ']');
    assert_null(bl_jw_finish(&w));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nesting_and_commas),
        cmocka_unit_test(test_escapes_round_trip),
        cmocka_unit_test(test_amounts_exact),
        cmocka_unit_test(test_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
