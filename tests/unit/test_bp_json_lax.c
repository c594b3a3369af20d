/* Unit tests of bp_json_lax: valid JSON jansson cannot hold, made holdable. */
#include "bp_json_lax.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *rewrite(const char *in)
{
    char *out = NULL;
    size_t n = 0;
    if (!bp_json_lax_rewrite(in, strlen(in), &out, &n))
        return NULL;
    assert_int_equal(n, strlen(out));
    return out;
}

static void expect(const char *in, const char *want)
{
    char *out = rewrite(in);
    if (want == NULL) {
        assert_null(out);
        return;
    }
    assert_non_null(out);
    assert_string_equal(out, want);
    json_error_t e;
    json_t *v = json_loads(out, JSON_ALLOW_NUL, &e);
    assert_non_null(v);
    json_decref(v);
    free(out);
}

static void test_nothing_to_change(void **state)
{
    (void)state;
    expect("{\"a\":1,\"b\":[1,2,{\"c\":\"\\u0000\"}]}", NULL); /* NUL in a value is fine */
    expect("{\"n\":9223372036854775807,\"m\":-9223372036854775808}", NULL);
    expect("{\"r\":1e400}", NULL); /* a real: not ours to change */
    expect("[\"\\u0000\"]", NULL);
    expect("", NULL);
}

static void test_nul_in_keys(void **state)
{
    (void)state;
    expect("{\"a\\u0000b\":1}", "{\"a\\ufffdb\":1}");
    expect("{ \"x\" : { \"\\u0000\" : \"\\u0000\" } }",
           "{ \"x\" : { \"\\ufffd\" : \"\\u0000\" } }");
    expect("{\"k\":[{\"\\u0000\":1}],\"\\u0000\":2}", "{\"k\":[{\"\\ufffd\":1}],\"\\ufffd\":2}");
    /* An escaped backslash before u0000 is text, not an escape. */
    expect("{\"a\\\\u0000\":1}", NULL);
    /* Strings in arrays are values, even after a comma. */
    expect("[\"a\",\"\\u0000\"]", NULL);
}

static void test_big_integers(void **state)
{
    (void)state;
    expect("{\"x\":9223372036854775808}", "{\"x\":9223372036854775808.0}");
    expect("{\"x\":-9223372036854775809}", "{\"x\":-9223372036854775809.0}");
    expect("[11161103754368468910080, 1]", "[11161103754368468910080.0, 1]");
    expect("{\"x\":1.5e30,\"y\":123456789012345678901234567890}",
           "{\"x\":1.5e30,\"y\":123456789012345678901234567890.0}");
    /* Digits inside a string are text. */
    expect("{\"x\":\"123456789012345678901234567890\"}", NULL);
}

static void test_not_json_stays_not_json(void **state)
{
    (void)state;
    char *out = rewrite("{\"a\\u0000\":");
    assert_non_null(out);
    assert_null(json_loads(out, 0, NULL));
    free(out);
    assert_null(rewrite("{\"unterminated"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_to_change),
        cmocka_unit_test(test_nul_in_keys),
        cmocka_unit_test(test_big_integers),
        cmocka_unit_test(test_not_json_stays_not_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
