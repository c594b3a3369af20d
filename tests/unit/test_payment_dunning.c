/* Unit tests of payment_dunning: the retry schedule and the retryable codes. */
#include "payment_dunning.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

static void test_parse(void **state)
{
    (void)state;
    char err[256] = "";
    pm_dunning d;
    assert_true(pm_dunning_parse("3,5,7", &d, err, sizeof err));
    assert_int_equal(d.n, 3);
    assert_int_equal(d.days[0], 3);
    assert_int_equal(d.days[1], 5);
    assert_int_equal(d.days[2], 7);
    assert_true(pm_dunning_parse(" 1 , 60 ", &d, err, sizeof err));
    assert_int_equal(d.n, 2);
    assert_int_equal(d.days[1], 60);
    assert_true(pm_dunning_parse("", &d, err, sizeof err));
    assert_int_equal(d.n, 0);
    assert_true(pm_dunning_parse("none", &d, err, sizeof err));
    assert_int_equal(d.n, 0);
    assert_true(pm_dunning_parse("   ", &d, err, sizeof err));
    assert_int_equal(d.n, 0);
    assert_true(pm_dunning_parse(NULL, &d, err, sizeof err));
    assert_int_equal(d.n, 0);
    assert_true(pm_dunning_parse("1,1,1,1,1,1,1,1,1,1", &d, err, sizeof err));
    assert_int_equal(d.n, PM_DUNNING_MAX_RETRIES);
    const char *bad[] = {
        "0", "61", "3,", ",3", "3,,5", "a", "3;5", "-1", "3 5", "3.5", "1,1,1,1,1,1,1,1,1,1,1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (pm_dunning_parse(bad[i], &d, err, sizeof err))
            fail_msg("'%s' should be refused", bad[i]);
        assert_non_null(strstr(err, "BP_PAYMENT_RETRY_DAYS"));
        assert_int_equal(d.n, 0);
    }
}

static void test_codes(void **state)
{
    (void)state;
    assert_true(pm_dunning_retryable("AM04"));
    const char *final[] = {"MD01", "AC04", "MD07", "AC06", "AG01", "MS02", "MS03", "XXXX", ""};
    for (size_t i = 0; i < sizeof final / sizeof final[0]; i++)
        assert_false(pm_dunning_retryable(final[i]));
    assert_false(pm_dunning_retryable(NULL));
}

static void test_next(void **state)
{
    (void)state;
    char err[64];
    pm_dunning d;
    assert_true(pm_dunning_parse("3,5,7", &d, err, sizeof err));
    int days = -1;
    assert_true(pm_dunning_next(&d, "AM04", 0, &days));
    assert_int_equal(days, 3);
    assert_true(pm_dunning_next(&d, "AM04", 1, &days));
    assert_int_equal(days, 5);
    assert_true(pm_dunning_next(&d, "AM04", 2, &days));
    assert_int_equal(days, 7);
    days = -1;
    assert_false(pm_dunning_next(&d, "AM04", 3, &days)); /* exhausted: final */
    assert_false(pm_dunning_next(&d, "AM04", 4, &days)); /* a manual retry beyond */
    assert_false(pm_dunning_next(&d, "MD07", 0, &days)); /* final at once */
    assert_false(pm_dunning_next(&d, "AM04", -1, &days));
    assert_int_equal(days, -1);
    assert_true(pm_dunning_parse("", &d, err, sizeof err));
    assert_false(pm_dunning_next(&d, "AM04", 0, &days)); /* no retries configured */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
