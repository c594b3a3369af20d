/* Unit tests of bp_time: calendar dates (parse, format, days from civil) and
 * RFC 3339 timestamps. The C library's gmtime_r is the independent oracle. */
#include "bp_time.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define SENTINEL ((bp_date)123456)

static void expect_date(const char *text, int y, int m, int d)
{
    bp_date out = SENTINEL;
    if (!bp_date_parse(text, &out))
        fail_msg("bp_date_parse(\"%s\") refused a valid date", text);
    assert_int_equal(out, bp_date_from_ymd(y, m, d));
}

static void expect_bad_date(const char *text)
{
    bp_date out = SENTINEL;
    if (bp_date_parse(text, &out))
        fail_msg("bp_date_parse(\"%s\") accepted an invalid date", text);
    assert_int_equal(out, SENTINEL); /* untouched on failure */
}

static void test_from_ymd_epoch(void **state)
{
    assert_int_equal(bp_date_from_ymd(1970, 1, 1), 0);
    assert_int_equal(bp_date_from_ymd(1970, 1, 2), 1);
    assert_int_equal(bp_date_from_ymd(1969, 12, 31), -1);
    assert_int_equal(bp_date_from_ymd(2000, 3, 1), 11017);
    assert_int_equal(bp_date_from_ymd(2026, 1, 2), 20455);
    assert_int_equal(bp_date_from_ymd(1900, 1, 1), -25567);
    assert_int_equal(bp_date_from_ymd(9999, 12, 31), 2932896);
}

static void test_parse_valid(void **state)
{
    bp_date out = SENTINEL;
    assert_true(bp_date_parse("1970-01-01", &out));
    assert_int_equal(out, 0);
    assert_true(bp_date_parse("2026-01-02", &out));
    assert_int_equal(out, 20455);
    expect_date("2026-12-31", 2026, 12, 31);
    expect_date("2026-01-31", 2026, 1, 31);
    expect_date("2026-04-30", 2026, 4, 30);
    expect_date("1900-01-01", 1900, 1, 1);
    expect_date("9999-12-31", 9999, 12, 31);
}

static void test_parse_leap_years(void **state)
{
    expect_date("2024-02-29", 2024, 2, 29);
    expect_bad_date("2023-02-29");
    expect_bad_date("2026-02-29");
    expect_date("2000-02-29", 2000, 2, 29); /* divisible by 400 */
    expect_bad_date("1900-02-29");          /* divisible by 100, not 400 */
    expect_bad_date("2100-02-29");
    expect_date("2400-02-29", 2400, 2, 29);
    expect_date("2100-02-28", 2100, 2, 28);
    expect_bad_date("2024-02-30");
    /* The day after 28 Feb is 29 Feb or 1 Mar as the year says. */
    assert_int_equal(bp_date_from_ymd(2000, 3, 1) - bp_date_from_ymd(2000, 2, 28), 2);
    assert_int_equal(bp_date_from_ymd(1900, 3, 1) - bp_date_from_ymd(1900, 2, 28), 1);
    assert_int_equal(bp_date_from_ymd(2100, 3, 1) - bp_date_from_ymd(2100, 2, 28), 1);
}

static void test_parse_month_lengths(void **state)
{
    expect_bad_date("2026-04-31");
    expect_bad_date("2026-06-31");
    expect_bad_date("2026-09-31");
    expect_bad_date("2026-11-31");
    expect_bad_date("2026-01-32");
    expect_bad_date("2026-01-00");
    expect_bad_date("2026-00-10");
    expect_bad_date("2026-13-01");
    expect_bad_date("2026-99-99");
    expect_date("2026-03-31", 2026, 3, 31);
    expect_date("2026-08-31", 2026, 8, 31);
}

static void test_parse_bad_formats(void **state)
{
    static const char *const bad[] = {
        "2026-1-01",    "2026-01-1",   "2026/01/01",  "",           "2026-01-01T00:00:00Z",
        "2026-01-01 ",  " 2026-01-01", "20260101",    "2026-01-0a", "+026-01-01",
        "-026-01-01",   "26-01-01",    "2026-01",     "2026_01_01", "2O26-01-01",
        "2026-01-01\n", "02026-01-01", "2026--01-01", "abcd-ef-gh", "2026-0l-01",
        "1899-12-31",   "0000-01-01",  "1000-06-15",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_bad_date(bad[i]);
    bp_date out = SENTINEL;
    assert_false(bp_date_parse(NULL, &out));
    assert_int_equal(out, SENTINEL);
}

static void test_format_known(void **state)
{
    char buf[16];
    bp_date_format(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01");
    bp_date_format(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31");
    bp_date_format(20455, buf, sizeof buf);
    assert_string_equal(buf, "2026-01-02");
    bp_date_format(11016, buf, sizeof buf);
    assert_string_equal(buf, "2000-02-29");
    bp_date_format(2932896, buf, sizeof buf);
    assert_string_equal(buf, "9999-12-31");
    bp_date_format(-25567, buf, sizeof buf);
    assert_string_equal(buf, "1900-01-01");
}

/* Every day from 1900 to 2200: format, parse back, and agree with gmtime_r. */
static void test_round_trip_range(void **state)
{
    const bp_date first = bp_date_from_ymd(1900, 1, 1);
    const bp_date last = bp_date_from_ymd(2200, 12, 31);
    char prev[16] = "";
    for (bp_date d = first; d <= last; d++) {
        char buf[16], want[40];
        bp_date_format(d, buf, sizeof buf);
        time_t t = (time_t)d * 86400;
        struct tm tm;
        assert_non_null(gmtime_r(&t, &tm));
        snprintf(want, sizeof want, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        if (strcmp(buf, want) != 0)
            fail_msg("day %d formatted as %s, gmtime says %s", (int)d, buf, want);
        bp_date back = SENTINEL;
        if (!bp_date_parse(buf, &back) || back != d)
            fail_msg("day %d: \"%s\" parsed back as %d", (int)d, buf, (int)back);
        assert_true(strcmp(prev, buf) < 0); /* text order is date order */
        memcpy(prev, buf, sizeof prev);
    }
}

static void test_time_format_ms(void **state)
{
    char buf[32];
    bp_time_format_ms(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    bp_time_format_ms(INT64_C(1700000000000), buf, sizeof buf);
    assert_string_equal(buf, "2023-11-14T22:13:20.000Z");
    bp_time_format_ms(INT64_C(1795000000123), buf, sizeof buf);
    assert_string_equal(buf, "2026-11-18T11:06:40.123Z");
    bp_time_format_ms(INT64_C(951782400007), buf, sizeof buf);
    assert_string_equal(buf, "2000-02-29T00:00:00.007Z");
    bp_time_format_ms(INT64_C(253402300799999), buf, sizeof buf);
    assert_string_equal(buf, "9999-12-31T23:59:59.999Z");
    assert_int_equal(strlen(buf), 24);
}

/* Regression (bp_time.c, bp_time_format_ms): an instant before the epoch is written
 * with a negative millisecond field and the wrong second, because `ms / 1000`
 * and `ms % 1000` truncate towards zero. -1 ms gives
 * "1970-01-01T00:00:00.-01Z" instead of "1969-12-31T23:59:59.999Z". Low impact
 * (our timestamps are after 1970) but the contract takes any epoch ms.
 * Re-enable once fixed (floor division). */
static void test_time_format_ms_before_epoch(void **state)
{
    char buf[32];
    bp_time_format_ms(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
    bp_time_format_ms(-1500, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:58.500Z");
}

/* Regression (fuzz_time): an offset carried an accepted timestamp's instant past
 * 9999-12-31 UTC, which bp_time_format_ms then wrote with a five-digit year that
 * nothing reads back; likewise before 1900-01-01. Such instants are refused. */
static void test_rfc3339_years(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_true(bp_time_parse_rfc3339("9999-12-31T23:59:59.999Z", &ms));
    assert_int_equal(ms, INT64_C(253402300799999));
    assert_true(bp_time_parse_rfc3339("9999-12-31T23:59:59+00:00", &ms));
    assert_true(bp_time_parse_rfc3339("1900-01-01T00:00:00Z", &ms));
    assert_true(bp_time_parse_rfc3339("1900-01-01T01:00:00+01:00", &ms));
    assert_true(bp_time_parse_rfc3339("2026-10-31T23:59:00+01:00", &ms));
    assert_int_equal(ms, INT64_C(1793487540000));
    assert_false(bp_time_parse_rfc3339("9999-12-31T23:59:59.99-12:59", &ms));
    assert_false(bp_time_parse_rfc3339("9999-12-31T23:00:00-01:00", &ms));
    assert_false(bp_time_parse_rfc3339("1900-01-01T00:00:00+00:01", &ms));
    assert_int_equal(ms, INT64_C(1793487540000)); /* untouched when refused */
}

static void test_clock_functions(void **state)
{
    int64_t before = bp_time_now_ms();
    assert_true(before > INT64_C(1700000000000)); /* after Nov 2023 */
    bp_date today = bp_date_today_utc();
    int64_t after = bp_time_now_ms();
    assert_true(today >= (bp_date)(before / 86400000));
    assert_true(today <= (bp_date)(after / 86400000));

    char now[32];
    bp_time_format_now(now, sizeof now);
    assert_int_equal(strlen(now), 24);
    assert_int_equal(now[10], 'T');
    assert_int_equal(now[23], 'Z');
    char day[11];
    memcpy(day, now, 10);
    day[10] = '\0';
    bp_date parsed = SENTINEL;
    assert_true(bp_date_parse(day, &parsed));
    assert_true(parsed >= today && parsed <= today + 1);

    int64_t m1 = bp_time_mono_us();
    int64_t m2 = bp_time_mono_us();
    assert_true(m2 >= m1);
}

/* Zone names are checked against tzdata, and never read outside it. */
static void test_zone_known(void **state)
{
    (void)state;
    assert_true(bp_time_zone_known("Europe/Paris"));
    assert_true(bp_time_zone_known("UTC"));
    assert_false(bp_time_zone_known("Mars/Olympus"));
    assert_false(bp_time_zone_known("Europe"));   /* a folder */
    assert_false(bp_time_zone_known("zone.tab")); /* an index, not a zone */
    assert_false(bp_time_zone_known("../../etc/passwd"));
    assert_false(bp_time_zone_known("/etc/passwd"));
    assert_false(bp_time_zone_known(""));
    assert_false(bp_time_zone_known(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_ymd_epoch),
        cmocka_unit_test(test_zone_known),
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_leap_years),
        cmocka_unit_test(test_parse_month_lengths),
        cmocka_unit_test(test_parse_bad_formats),
        cmocka_unit_test(test_format_known),
        cmocka_unit_test(test_round_trip_range),
        cmocka_unit_test(test_time_format_ms),
        cmocka_unit_test(test_time_format_ms_before_epoch),
        cmocka_unit_test(test_rfc3339_years),
        cmocka_unit_test(test_clock_functions),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
