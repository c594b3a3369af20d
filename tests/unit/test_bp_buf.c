/* Unit tests of bp_buf: appends, growth, the cap, sticky failure, take. */
#include "bp_buf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_append_and_take(void **state)
{
    (void)state;
    bp_buf b;
    bp_buf_init(&b, 4, 0);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_true(bp_buf_puts(&b, "hello"));
    assert_true(bp_buf_add(&b, ", ", 2));
    assert_true(bp_buf_printf(&b, "%s %d", "world", 42));
    assert_int_equal(b.len, strlen("hello, world 42"));
    assert_string_equal(b.data, "hello, world 42");
    char *text = bp_buf_take(&b);
    assert_string_equal(text, "hello, world 42");
    free(text);
    assert_null(b.data); /* empty again, usable again */
    assert_true(bp_buf_puts(&b, "x"));
    bp_buf_free(&b);
    assert_null(b.data);
    text = bp_buf_take(&b);
    assert_string_equal(text, ""); /* nothing appended: an empty text */
    free(text);
}

static void test_growth(void **state)
{
    (void)state;
    bp_buf b;
    bp_buf_init(&b, 0, 0);
    char chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    for (int i = 0; i < 1000; i++)
        assert_true(bp_buf_add(&b, chunk, sizeof chunk));
    assert_int_equal(b.len, 1000000);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[b.len], '\0');
    /* A printf longer than its small buffer. */
    char big[2000];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_true(bp_buf_printf(&b, "<%s>", big));
    assert_int_equal(b.len, 1000000 + 2001);
    assert_int_equal(b.data[1000000], '<');
    assert_int_equal(b.data[b.len - 1], '>');
    bp_buf_free(&b);
}

static void test_cap(void **state)
{
    (void)state;
    bp_buf b;
    bp_buf_init(&b, 0, 10);
    assert_true(bp_buf_puts(&b, "0123456789")); /* exactly the cap */
    assert_false(bp_buf_add(&b, "x", 1));
    assert_true(b.failed && b.capped);
    assert_false(bp_buf_puts(&b, "")); /* sticks */
    assert_null(bp_buf_take(&b));
    assert_false(b.failed); /* take empties it */
    assert_true(bp_buf_printf(&b, "%d", 12345));
    assert_false(bp_buf_printf(&b, "%s", "678901"));
    assert_null(bp_buf_take(&b));
    /* A huge append never wraps around. */
    bp_buf_init(&b, 0, 10);
    assert_false(bp_buf_grow(&b, SIZE_MAX - 2));
    bp_buf_free(&b);
    assert_true(b.cap == 0 && b.max == 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_take),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
