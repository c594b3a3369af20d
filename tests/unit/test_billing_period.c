/* Unit tests of billing_period: month arithmetic and the run schedule (month ends,
 * February in leap and common years, December to January). */
#include "billing_period.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static bp_date ymd(int y, int m, int d) { return bp_date_from_ymd(y, m, d); }

static void test_parse_and_format(void **state)
{
    (void)state;
    bl_period p;
    assert_true(bl_period_parse("2026-02", &p));
    assert_int_equal(p.year, 2026);
    assert_int_equal(p.month, 2);
    assert_true(bl_period_parse("2000-12", &p));
    const char *bad[] = {"2026-13",    "2026-00", "1999-12", "2026-2", "2026/02",
                         "2026-02-01", "20a6-02", "",        "-2026-0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(bl_period_parse(bad[i], &p));
    assert_false(bl_period_parse(NULL, &p));
    char buf[8];
    bl_period_format((bl_period){2026, 3}, buf, sizeof buf);
    assert_string_equal(buf, "2026-03");
}

static void test_first_and_last_days(void **state)
{
    (void)state;
    assert_int_equal(bl_period_first((bl_period){2026, 1}), ymd(2026, 1, 1));
    assert_int_equal(bl_period_last((bl_period){2026, 1}), ymd(2026, 1, 31));
    assert_int_equal(bl_period_last((bl_period){2026, 2}), ymd(2026, 2, 28));
    assert_int_equal(bl_period_last((bl_period){2028, 2}), ymd(2028, 2, 29));
    assert_int_equal(bl_period_last((bl_period){2100, 2}), ymd(2100, 2, 28));
    assert_int_equal(bl_period_last((bl_period){2000, 2}), ymd(2000, 2, 29));
    assert_int_equal(bl_period_last((bl_period){2026, 4}), ymd(2026, 4, 30));
    assert_int_equal(bl_period_last((bl_period){2026, 12}), ymd(2026, 12, 31));
}

static void test_period_of_and_prev(void **state)
{
    (void)state;
    bl_period p = bl_period_of(ymd(2026, 12, 31));
    assert_int_equal(p.year, 2026);
    assert_int_equal(p.month, 12);
    p = bl_period_of(ymd(2027, 1, 1));
    assert_int_equal(p.year, 2027);
    assert_int_equal(p.month, 1);
    p = bl_period_prev(p);
    assert_int_equal(p.year, 2026);
    assert_int_equal(p.month, 12);
    p = bl_period_of(ymd(2028, 2, 29));
    assert_int_equal(p.month, 2);
    p = bl_period_prev((bl_period){2026, 3});
    assert_int_equal(p.month, 2);
    assert_int_equal(p.year, 2026);
}

static void test_schedule(void **state)
{
    (void)state;
    bl_period due;
    int five_past = 5;
    /* On the last day of December, November's run (December 1st) is long past. */
    assert_true(bl_schedule_due(ymd(2026, 12, 31), 1439, 1, five_past, &due));
    assert_int_equal(due.month, 11);
    /* On the run day before the time: nothing due yet this month. */
    assert_false(bl_schedule_due(ymd(2027, 1, 1), 4, 1, five_past, &due));
    /* At the time on the first: December is due, across the year. */
    assert_true(bl_schedule_due(ymd(2027, 1, 1), 5, 1, five_past, &due));
    assert_int_equal(due.year, 2026);
    assert_int_equal(due.month, 12);
    /* Later in the month the same period stays due (the run itself is once). */
    assert_true(bl_schedule_due(ymd(2027, 1, 31), 0, 1, five_past, &due));
    assert_int_equal(due.month, 12);
    /* A run on the 28th: February's 27th is not yet, its 28th at 23:59 is. */
    assert_false(bl_schedule_due(ymd(2026, 2, 27), 1439, 28, 1439, &due));
    assert_true(bl_schedule_due(ymd(2026, 2, 28), 1439, 28, 1439, &due));
    assert_int_equal(due.year, 2026);
    assert_int_equal(due.month, 1);
    assert_false(bl_schedule_due(ymd(2026, 3, 1), 0, 28, 0, &due));
}

static void test_parse_time(void **state)
{
    (void)state;
    int m = -1;
    assert_true(bl_schedule_parse_time("00:05", &m));
    assert_int_equal(m, 5);
    assert_true(bl_schedule_parse_time("23:59", &m));
    assert_int_equal(m, 1439);
    const char *bad[] = {"24:00", "12:60", "1:05", "12-05", "12:5", "ab:cd", "", "12:050"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(bl_schedule_parse_time(bad[i], &m));
    assert_false(bl_schedule_parse_time(NULL, &m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_format),   cmocka_unit_test(test_first_and_last_days),
        cmocka_unit_test(test_period_of_and_prev), cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_parse_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
