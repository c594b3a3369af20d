/* Unit tests of bp_http_accept: which of JSON and PDF an Accept header picks —
 * absent or unreadable headers keep the default, q values and specificity decide,
 * ties go to the server's order, and a header refusing both gives -1. */
#include "bp_http_accept.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static const char *const offered[] = {"application/json", "application/pdf"};

static int pick(const char *accept) { return bp_http_accept_pick(accept, offered, 2); }

static void test_default(void **state)
{
    assert_int_equal(pick(NULL), 0);
    assert_int_equal(pick(""), 0);
    assert_int_equal(pick("  "), 0);
    assert_int_equal(pick("*/*"), 0);
    assert_int_equal(pick("garbage"), 0);
    assert_int_equal(pick(",,;"), 0);
}

static void test_exact(void **state)
{
    assert_int_equal(pick("application/pdf"), 1);
    assert_int_equal(pick("Application/PDF"), 1);
    assert_int_equal(pick("application/json"), 0);
    assert_int_equal(pick(" application/pdf ; q=1 "), 1);
    /* Both named with the same quality: the server's order. */
    assert_int_equal(pick("application/pdf, application/json"), 0);
}

static void test_quality(void **state)
{
    assert_int_equal(pick("application/json;q=0.5, application/pdf"), 1);
    assert_int_equal(pick("application/pdf;q=0.4, application/json;q=0.9"), 0);
    assert_int_equal(pick("application/pdf, */*;q=0.1"), 1);
    assert_int_equal(pick("application/*;q=0.2, application/pdf;q=0.8"), 1);
    /* The most specific range decides: "any" would allow JSON, but json;q=0 refuses it. */
    assert_int_equal(pick("application/json;q=0, */*"), 1);
    /* A malformed q makes its range count for nothing. */
    assert_int_equal(pick("application/pdf;q=abc"), 0);
    assert_int_equal(pick("application/pdf;q=2"), 0);
}

static void test_refused(void **state)
{
    assert_int_equal(pick("text/html"), -1);
    assert_int_equal(pick("image/*, text/plain;q=0.5"), -1);
    assert_int_equal(pick("application/pdf;q=0, application/json;q=0"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_quality),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
