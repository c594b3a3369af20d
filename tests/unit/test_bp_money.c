/* Unit tests of bp_money: ISO 4217 lookup, decimal text and JSON → minor units,
 * minor units → text. Pure; runs in a few milliseconds. */
#include "bp_money.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---------- currency lookup ---------- */

static void test_currency_known(void **state)
{
    int e = -1;
    assert_true(bp_currency_exponent("EUR", &e));
    assert_int_equal(e, 2);
    assert_true(bp_currency_exponent("JPY", &e));
    assert_int_equal(e, 0);
    assert_true(bp_currency_exponent("KWD", &e));
    assert_int_equal(e, 3);
}

static void test_currency_unknown(void **state)
{
    static const char *const bad[] = {"XXX", "eur", "EU",  "",    "EURO", "Eur",
                                      "AAA", "ZZZ", "FRF", "DEM", "E R",  "EU\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int e = 42;
        assert_false(bp_currency_exponent(bad[i], &e));
        assert_int_equal(e, 42); /* untouched on failure */
    }
    int e = 42;
    assert_false(bp_currency_exponent(NULL, &e));
}

/* The lookup is a binary search: every code, from both ends of the alphabet and
 * in between, must be found, which fails when the table is out of order. The
 * expected exponents are ISO 4217's, written independently of the table. */
static void test_currency_table_sorted(void **state)
{
    static const struct {
        const char *code;
        int exponent;
    } cases[] = {
        {"AED", 2}, {"AUD", 2}, {"BHD", 3}, {"BIF", 0}, {"BRL", 2}, {"CAD", 2}, {"CHF", 2},
        {"CLP", 0}, {"CNY", 2}, {"CZK", 2}, {"DJF", 0}, {"DKK", 2}, {"EGP", 2}, {"EUR", 2},
        {"GBP", 2}, {"GNF", 0}, {"HKD", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2},
        {"IQD", 3}, {"ISK", 0}, {"JOD", 3}, {"JPY", 0}, {"KMF", 0}, {"KRW", 0}, {"KWD", 3},
        {"LYD", 3}, {"MAD", 2}, {"MXN", 2}, {"NOK", 2}, {"NZD", 2}, {"OMR", 3}, {"PLN", 2},
        {"PYG", 0}, {"RON", 2}, {"RWF", 0}, {"SEK", 2}, {"SGD", 2}, {"THB", 2}, {"TND", 3},
        {"TRY", 2}, {"UGX", 0}, {"USD", 2}, {"VND", 0}, {"VUV", 0}, {"XAF", 0}, {"XOF", 0},
        {"XPF", 0}, {"ZAR", 2}, {"ZMW", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int e = -1;
        if (!bp_currency_exponent(cases[i].code, &e))
            fail_msg("currency %s not found (table out of order?)", cases[i].code);
        if (e != cases[i].exponent)
            fail_msg("currency %s: exponent %d, expected %d", cases[i].code, e, cases[i].exponent);
    }
}

/* ---------- bp_money_parse ---------- */

static void expect_parse(const char *text, int exponent, bool neg, int64_t want)
{
    int64_t minor = INT64_C(-777);
    bp_money_result r = bp_money_parse(text, exponent, neg, &minor);
    if (r != BP_MONEY_OK)
        fail_msg("parse(\"%s\", %d) = %d (%s), expected OK", text, exponent, (int)r,
                 bp_money_result_text(r));
    if (minor != want)
        fail_msg("parse(\"%s\", %d) = %lld, expected %lld", text, exponent, (long long)minor,
                 (long long)want);
}

static void expect_parse_err(const char *text, int exponent, bool neg, bp_money_result want)
{
    int64_t minor = INT64_C(-777);
    bp_money_result r = bp_money_parse(text, exponent, neg, &minor);
    if (r != want)
        fail_msg("parse(\"%s\", %d, neg=%d) = %d, expected %d", text, exponent, (int)neg, (int)r,
                 (int)want);
    assert_int_equal(minor, -777); /* untouched on failure */
}

static void test_parse_integers(void **state)
{
    expect_parse("0", 2, false, 0);
    expect_parse("12", 2, false, 1200);
    expect_parse("5000", 2, false, 500000);
    expect_parse("007", 2, false, 700);
    expect_parse("1500", 0, false, 1500);
    expect_parse("1", 3, false, 1000);
}

static void test_parse_decimals(void **state)
{
    expect_parse("12.3", 2, false, 1230);
    expect_parse("12.34", 2, false, 1234);
    expect_parse("0.05", 2, false, 5);
    expect_parse("0.5", 2, false, 50);
    expect_parse("1.234", 3, false, 1234);
    expect_parse("0.001", 3, false, 1);
    expect_parse("5000.00", 2, false, 500000);
}

static void test_parse_trailing_zeros(void **state)
{
    expect_parse("12.3400", 2, false, 1234);
    expect_parse("1.000000000000000000000", 2, false, 100);
    expect_parse("12.0", 0, false, 12);
    expect_parse("12.000", 0, false, 12);
    expect_parse("1.2340", 3, false, 1234);
}

static void test_parse_too_many_decimals(void **state)
{
    expect_parse_err("12.345", 2, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_parse_err("12.3401", 2, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_parse_err("0.001", 2, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_parse_err("1.5", 0, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_parse_err("1.2345", 3, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_parse_err("-1.005", 2, true, BP_MONEY_TOO_MANY_DECIMALS);
}

static void test_parse_syntax(void **state)
{
    static const char *const bad[] = {"",     "-",   "1.",   ".5",   "1e3",   "1E3",  "1,5",
                                      " 1",   "1 ",  "+1",   "--1",  "1.2.3", "1..2", "abc",
                                      "0x10", "-.5", "1.-5", "- 1",  "1-",    "12a",  "NaN",
                                      "inf",  ".",   "-1.",  "1._5", "\t1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_parse_err(bad[i], 2, true, BP_MONEY_SYNTAX);
        expect_parse_err(bad[i], 3, false, BP_MONEY_SYNTAX);
    }
    expect_parse_err("1x", 0, false, BP_MONEY_SYNTAX);
    expect_parse_err("1.", 0, false, BP_MONEY_SYNTAX);
    expect_parse_err(".5", 0, false, BP_MONEY_SYNTAX);
}

/* Regression (minor; bp_money.c, bp_money_parse): a malformed text whose fault comes
 * after more decimals than the currency has is classified TOO_MANY_DECIMALS
 * instead of SYNTAX, because the decimals check returns before the rest is
 * read: "1.2.3" with exponent 0 gives TOO_MANY_DECIMALS (expected SYNTAX);
 * "1.234x" with exponent 2 likewise. The value is still refused, only the
 * message ("has more decimals than the currency allows") misleads. Re-enable
 * once the whole text is checked before the decimals. */
static void test_parse_syntax_after_extra_decimals(void **state)
{
    expect_parse_err("1.2.3", 0, false, BP_MONEY_SYNTAX);
    expect_parse_err("1.234x", 2, false, BP_MONEY_SYNTAX);
    expect_parse_err("1.5e3", 0, false, BP_MONEY_SYNTAX);
}

static void test_parse_negative(void **state)
{
    expect_parse("-12.30", 2, true, -1230);
    expect_parse("-0.05", 2, true, -5);
    expect_parse("-7", 0, true, -7);
    expect_parse_err("-5.00", 2, false, BP_MONEY_NEGATIVE);
    expect_parse_err("-0.01", 2, false, BP_MONEY_NEGATIVE);
    expect_parse_err("-1", 0, false, BP_MONEY_NEGATIVE);
    /* Minus zero is zero, not a negative amount. */
    expect_parse("-0", 2, false, 0);
    expect_parse("-0.00", 2, false, 0);
}

static void test_parse_overflow(void **state)
{
    /* Exactly BP_MONEY_MAX_MINOR is accepted; one minor unit more is not. */
    expect_parse("10000000000000.00", 2, false, BP_MONEY_MAX_MINOR);
    expect_parse("10000000000000", 2, false, BP_MONEY_MAX_MINOR);
    expect_parse("1000000000000000", 0, false, BP_MONEY_MAX_MINOR);
    expect_parse("1000000000000", 3, false, BP_MONEY_MAX_MINOR);
    expect_parse("-10000000000000.00", 2, true, -BP_MONEY_MAX_MINOR);
    expect_parse_err("10000000000000.01", 2, false, BP_MONEY_TOO_LARGE);
    expect_parse_err("10000000000001", 2, false, BP_MONEY_TOO_LARGE);
    expect_parse_err("1000000000000001", 0, false, BP_MONEY_TOO_LARGE);
    expect_parse_err("1000000000000.001", 3, false, BP_MONEY_TOO_LARGE);
    expect_parse_err("-10000000000000.01", 2, true, BP_MONEY_TOO_LARGE);
    /* Far beyond int64: must not overflow (UBSan would abort) but say too large. */
    expect_parse_err("99999999999999999999999999999999", 2, false, BP_MONEY_TOO_LARGE);
    expect_parse_err("9223372036854775808", 0, true, BP_MONEY_TOO_LARGE);
    /* Leading zeros do not count towards the size. */
    expect_parse("00000000000000000000000000000001", 2, false, 100);
}

/* ---------- bp_money_from_json ---------- */

static bp_money_result from_json(json_t *v, int exponent, bool neg, int64_t *minor)
{
    bp_money_result r = bp_money_from_json(v, exponent, neg, minor);
    json_decref(v);
    return r;
}

static void expect_json(json_t *v, int exponent, bool neg, int64_t want)
{
    int64_t minor = -777;
    assert_non_null(v);
    bp_money_result r = from_json(v, exponent, neg, &minor);
    assert_int_equal(r, BP_MONEY_OK);
    assert_int_equal(minor, want);
}

static void expect_json_err(json_t *v, int exponent, bool neg, bp_money_result want)
{
    int64_t minor = -777;
    bp_money_result r = from_json(v, exponent, neg, &minor);
    assert_int_equal(r, want);
    assert_int_equal(minor, -777);
}

static void test_json_string(void **state)
{
    expect_json(json_string("5000.00"), 2, false, 500000);
    expect_json(json_string("12.34"), 2, false, 1234);
    expect_json(json_string("-1.5"), 2, true, -150);
    expect_json_err(json_string("12.345"), 2, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_json_err(json_string("abc"), 2, false, BP_MONEY_SYNTAX);
    expect_json_err(json_string(""), 2, false, BP_MONEY_SYNTAX);
    expect_json_err(json_string("-1"), 2, false, BP_MONEY_NEGATIVE);
}

static void test_json_integer(void **state)
{
    expect_json(json_integer(5000), 2, false, 500000);
    expect_json(json_integer(0), 2, false, 0);
    expect_json(json_integer(1500), 0, false, 1500);
    expect_json(json_integer(7), 3, false, 7000);
    expect_json(json_integer(-5), 2, true, -500);
    expect_json_err(json_integer(-5), 2, false, BP_MONEY_NEGATIVE);
    expect_json_err(json_integer(INT64_C(100000000000000)), 2, false, BP_MONEY_TOO_LARGE);
    expect_json_err(json_integer(INT64_MIN), 2, true, BP_MONEY_TOO_LARGE);
    expect_json_err(json_integer(INT64_MAX), 0, false, BP_MONEY_TOO_LARGE);
}

static void test_json_real(void **state)
{
    expect_json(json_real(12.34), 2, false, 1234);
    /* A double computed by the client is taken at its word: 0.1 + 0.2 is
     * 0.30000000000000004 (what JSON.stringify sends), too many decimals. */
    expect_json_err(json_real(0.1 + 0.2), 2, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_json_err(json_real(1.1 * 3), 2, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_json(json_real(0.07), 2, false, 7);
    expect_json(json_real(4.35), 2, false, 435);
    expect_json(json_real(1.005), 3, false, 1005);
    expect_json(json_real(5000.0), 2, false, 500000);
    expect_json(json_real(-1.5), 2, true, -150);
    expect_json(json_real(-0.0), 2, false, 0);
    /* Large but exact: the representation error is far below one minor unit. */
    expect_json(json_real(12345678901.23), 2, false, INT64_C(1234567890123));
    expect_json_err(json_real(12.345), 2, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_json_err(json_real(0.005), 2, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_json_err(json_real(0.001), 2, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_json_err(json_real(-1.5), 2, false, BP_MONEY_NEGATIVE);
    expect_json_err(json_real(1e20), 2, false, BP_MONEY_TOO_LARGE);
    expect_json_err(json_real(-1e20), 2, true, BP_MONEY_TOO_LARGE);
}

static void test_json_real_from_text(void **state)
{
    /* The way a request really arrives: JSON text parsed by jansson. */
    json_error_t err;
    json_t *doc = json_loads("[12.34, 0.3, 12.345, 1500.0, 1500.5, 19.99]", 0, &err);
    assert_non_null(doc);
    int64_t m = 0;
    assert_int_equal(bp_money_from_json(json_array_get(doc, 0), 2, false, &m), BP_MONEY_OK);
    assert_int_equal(m, 1234);
    assert_int_equal(bp_money_from_json(json_array_get(doc, 1), 2, false, &m), BP_MONEY_OK);
    assert_int_equal(m, 30);
    assert_int_equal(bp_money_from_json(json_array_get(doc, 2), 2, false, &m),
                     BP_MONEY_TOO_MANY_DECIMALS);
    assert_int_equal(bp_money_from_json(json_array_get(doc, 3), 0, false, &m), BP_MONEY_OK);
    assert_int_equal(m, 1500);
    assert_int_equal(bp_money_from_json(json_array_get(doc, 4), 0, false, &m),
                     BP_MONEY_TOO_MANY_DECIMALS);
    assert_int_equal(bp_money_from_json(json_array_get(doc, 5), 2, false, &m), BP_MONEY_OK);
    assert_int_equal(m, 1999);
    json_decref(doc);
}

static void test_json_real_jpy_kwd(void **state)
{
    expect_json(json_real(1500.0), 0, false, 1500);
    expect_json_err(json_real(1500.5), 0, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_json_err(json_real(0.1), 0, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_json(json_real(1.234), 3, false, 1234);
    expect_json_err(json_real(1.2345), 3, false, BP_MONEY_TOO_MANY_DECIMALS);
}

/* Regression (bp_money.c, bp_money_from_json): the tolerance that decides whether a real
 * "has at most `exponent` decimals" is relative (1e-9 x |scaled|), so it exceeds
 * half a minor unit from 5e8 minor units (5,000,000.00 EUR) on: reals with more
 * decimals than the currency allows are then accepted and silently rounded.
 * 10000000.005 EUR gives OK and 1000000001 (10000000.01) instead of
 * TOO_MANY_DECIMALS; 5000000.005 gives OK and 500000000; 123456789.123 gives
 * OK and 12345678912; 9999999999.5 JPY gives OK and 10000000000. A tolerance
 * of a few ulps of `scaled` would fix it. Re-enable once fixed. */
static void test_json_real_large_too_many_decimals(void **state)
{
    expect_json_err(json_real(10000000.005), 2, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_json_err(json_real(5000000.005), 2, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_json_err(json_real(123456789.123), 2, false, BP_MONEY_TOO_MANY_DECIMALS);
    expect_json_err(json_real(9999999999.5), 0, false, BP_MONEY_TOO_MANY_DECIMALS);
}

static void test_json_other_types(void **state)
{
    expect_json_err(json_null(), 2, false, BP_MONEY_SYNTAX);
    expect_json_err(json_true(), 2, false, BP_MONEY_SYNTAX);
    expect_json_err(json_false(), 2, false, BP_MONEY_SYNTAX);
    expect_json_err(json_array(), 2, false, BP_MONEY_SYNTAX);
    expect_json_err(json_object(), 2, false, BP_MONEY_SYNTAX);
    int64_t m = -777;
    assert_int_equal(bp_money_from_json(NULL, 2, false, &m), BP_MONEY_SYNTAX);
    assert_int_equal(m, -777);
}

/* ---------- bp_money_format ---------- */

static void expect_format(int64_t minor, int exponent, const char *want)
{
    char buf[32];
    memset(buf, 'x', sizeof buf);
    bp_money_format(minor, exponent, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void test_format(void **state)
{
    expect_format(500000, 2, "5000.00");
    expect_format(1234, 2, "12.34");
    expect_format(5, 2, "0.05");
    expect_format(-5, 2, "-0.05");
    expect_format(-1230, 2, "-12.30");
    expect_format(0, 2, "0.00");
    expect_format(12, 0, "12");
    expect_format(-12, 0, "-12");
    expect_format(0, 0, "0");
    expect_format(1234, 3, "1.234");
    expect_format(5, 3, "0.005");
    expect_format(-1001, 3, "-1.001");
    expect_format(0, 3, "0.000");
    expect_format(BP_MONEY_MAX_MINOR, 2, "10000000000000.00");
    expect_format(INT64_MIN, 2, "-92233720368547758.08");
    expect_format(INT64_MAX, 0, "9223372036854775807");
}

static void test_format_truncates(void **state)
{
    char buf[5];
    bp_money_format(500000, 2, buf, sizeof buf);
    assert_string_equal(buf, "5000");
}

static void test_parse_format_round_trip(void **state)
{
    static const char *const texts[] = {
        "0.00", "0.01", "19.99", "5000.00", "-0.50", "10000000000000.00", "-10000000000000.00"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        int64_t m = 0;
        char buf[32];
        assert_int_equal(bp_money_parse(texts[i], 2, true, &m), BP_MONEY_OK);
        bp_money_format(m, 2, buf, sizeof buf);
        assert_string_equal(buf, texts[i]);
    }
    for (int64_t m = -2000; m <= 2000; m += 7) {
        for (int exponent = 0; exponent <= 3; exponent++) {
            char buf[32];
            int64_t back = 0;
            bp_money_format(m, exponent, buf, sizeof buf);
            assert_int_equal(bp_money_parse(buf, exponent, true, &back), BP_MONEY_OK);
            assert_int_equal(back, m);
        }
    }
}

static void test_result_text(void **state)
{
    const bp_money_result all[] = {
        BP_MONEY_OK,        BP_MONEY_SYNTAX,    BP_MONEY_TOO_MANY_DECIMALS,
        BP_MONEY_NEGATIVE,  BP_MONEY_TOO_LARGE, BP_MONEY_MISSING,
        BP_MONEY_MALFORMED, BP_MONEY_CURRENCY,  BP_MONEY_DISAGREES};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *t = bp_money_result_text(all[i]);
        assert_non_null(t);
        assert_true(t[0] != '\0');
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(t, bp_money_result_text(all[j]));
    }
    assert_string_equal(bp_money_result_text(BP_MONEY_NEGATIVE), "must not be negative");
}

/* ---------- the Money object: bp_money_json, bp_money_render, bp_money_read ---------- */

static void expect_money_text(int64_t minor, const char *currency, const char *want)
{
    char buf[BP_MONEY_JSON_MAX];
    size_t n = bp_money_render(minor, currency, buf, sizeof buf);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
    json_t *j = bp_money_json(minor, currency);
    assert_non_null(j);
    char *dumped = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(dumped, want); /* the tree and the text are one shape */
    free(dumped);
    json_decref(j);
}

static void test_money_shape(void **state)
{
    expect_money_text(886, "EUR", "{\"amount\":\"8.86\",\"currency\":\"EUR\",\"minorUnits\":886}");
    expect_money_text(800000, "EUR",
                      "{\"amount\":\"8000.00\",\"currency\":\"EUR\",\"minorUnits\":800000}");
    expect_money_text(1000, "JPY",
                      "{\"amount\":\"1000\",\"currency\":\"JPY\",\"minorUnits\":1000}");
    expect_money_text(1234, "KWD",
                      "{\"amount\":\"1.234\",\"currency\":\"KWD\",\"minorUnits\":1234}");
    expect_money_text(-336, "EUR",
                      "{\"amount\":\"-3.36\",\"currency\":\"EUR\",\"minorUnits\":-336}");
    expect_money_text(5, "EUR", "{\"amount\":\"0.05\",\"currency\":\"EUR\",\"minorUnits\":5}");
    expect_money_text(0, "EUR", "{\"amount\":\"0.00\",\"currency\":\"EUR\",\"minorUnits\":0}");
    expect_money_text(-BP_MONEY_MAX_MINOR, "KWD",
                      "{\"amount\":\"-1000000000000.000\",\"currency\":\"KWD\","
                      "\"minorUnits\":-1000000000000000}");
}

static void test_money_unknown_currency(void **state)
{
    char buf[BP_MONEY_JSON_MAX] = "x";
    assert_int_equal(bp_money_render(100, "XXX", buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    assert_null(bp_money_json(100, "XXX"));
    assert_null(bp_money_json(100, NULL));
    char small[20] = "x";
    assert_int_equal(bp_money_render(100, "EUR", small, sizeof small), 0);
    assert_string_equal(small, "");
}

static bp_money_result read_text(const char *json, const char *currency, bool neg, int64_t *out)
{
    json_t *obj = json_loads(json, 0, NULL);
    assert_non_null(obj);
    bp_money_result r = bp_money_read(obj, "total", currency, neg, out);
    json_decref(obj);
    return r;
}

static void test_money_read(void **state)
{
    int64_t m = 0;
    assert_int_equal(read_text("{\"total\":{\"amount\":\"8.86\",\"currency\":\"EUR\","
                               "\"minorUnits\":886}}",
                               "EUR", false, &m),
                     BP_MONEY_OK);
    assert_int_equal(m, 886);
    assert_int_equal(read_text("{\"total\":{\"amount\":\"1000\",\"currency\":\"JPY\","
                               "\"minorUnits\":1000}}",
                               NULL, false, &m),
                     BP_MONEY_OK);
    assert_int_equal(m, 1000);
    assert_int_equal(read_text("{\"total\":{\"amount\":\"-3.36\",\"currency\":\"EUR\","
                               "\"minorUnits\":-336}}",
                               "EUR", true, &m),
                     BP_MONEY_OK);
    assert_int_equal(m, -336);
    /* events written before Money objects: the number and its integer twin */
    assert_int_equal(read_text("{\"total\":21.08,\"totalMinor\":2108}", "EUR", false, &m),
                     BP_MONEY_OK);
    assert_int_equal(m, 2108);
    assert_int_equal(read_text("{\"totalMinor\":2108}", "EUR", false, &m), BP_MONEY_OK);
}

static void test_money_read_refused(void **state)
{
    static const struct {
        const char *json, *currency;
        bp_money_result want;
    } cases[] = {
        {"{}", "EUR", BP_MONEY_MISSING},
        {"{\"total\":21.08}", "EUR", BP_MONEY_MALFORMED}, /* a bare number, no twin */
        {"{\"total\":\"21.08\"}", "EUR", BP_MONEY_MALFORMED},
        {"{\"totalMinor\":\"2108\"}", "EUR", BP_MONEY_MALFORMED},
        {"{\"total\":{\"amount\":\"21.08\",\"currency\":\"EUR\"}}", "EUR", BP_MONEY_MALFORMED},
        {"{\"total\":{\"amount\":21.08,\"currency\":\"EUR\",\"minorUnits\":2108}}", "EUR",
         BP_MONEY_MALFORMED},
        {"{\"total\":{\"amount\":\"21.08\",\"minorUnits\":2108}}", "EUR", BP_MONEY_MALFORMED},
        {"{\"total\":{\"amount\":\"21.08\",\"currency\":\"USD\",\"minorUnits\":2108}}", "EUR",
         BP_MONEY_CURRENCY},
        {"{\"total\":{\"amount\":\"21.08\",\"currency\":\"XXX\",\"minorUnits\":2108}}", NULL,
         BP_MONEY_CURRENCY},
        {"{\"total\":{\"amount\":\"21.09\",\"currency\":\"EUR\",\"minorUnits\":2108}}", "EUR",
         BP_MONEY_DISAGREES},
        {"{\"total\":{\"amount\":\"21.080\",\"currency\":\"EUR\",\"minorUnits\":2108}}", "EUR",
         BP_MONEY_DISAGREES}, /* exactly the currency's decimals */
        {"{\"total\":{\"amount\":\"2108\",\"currency\":\"KWD\",\"minorUnits\":2108}}", "KWD",
         BP_MONEY_DISAGREES},
        {"{\"total\":{\"amount\":\"-1.00\",\"currency\":\"EUR\",\"minorUnits\":-100}}", "EUR",
         BP_MONEY_NEGATIVE},
        {"{\"totalMinor\":-100}", "EUR", BP_MONEY_NEGATIVE},
        {"{\"totalMinor\":1000000000000001}", "EUR", BP_MONEY_TOO_LARGE},
        {"{\"total\":{\"amount\":\"10000000000000.01\",\"currency\":\"EUR\","
         "\"minorUnits\":1000000000000001}}",
         "EUR", BP_MONEY_TOO_LARGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t m = 777;
        bp_money_result r = read_text(cases[i].json, cases[i].currency, false, &m);
        if (r != cases[i].want)
            fail_msg("%s: %d (%s), expected %d", cases[i].json, (int)r, bp_money_result_text(r),
                     (int)cases[i].want);
        assert_int_equal(m, 777); /* untouched on failure */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_currency_known),
        cmocka_unit_test(test_currency_unknown),
        cmocka_unit_test(test_currency_table_sorted),
        cmocka_unit_test(test_parse_integers),
        cmocka_unit_test(test_parse_decimals),
        cmocka_unit_test(test_parse_trailing_zeros),
        cmocka_unit_test(test_parse_too_many_decimals),
        cmocka_unit_test(test_parse_syntax),
        cmocka_unit_test(test_parse_syntax_after_extra_decimals),
        cmocka_unit_test(test_parse_negative),
        cmocka_unit_test(test_parse_overflow),
        cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_json_integer),
        cmocka_unit_test(test_json_real),
        cmocka_unit_test(test_json_real_from_text),
        cmocka_unit_test(test_json_real_jpy_kwd),
        cmocka_unit_test(test_json_real_large_too_many_decimals),
        cmocka_unit_test(test_json_other_types),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_truncates),
        cmocka_unit_test(test_parse_format_round_trip),
        cmocka_unit_test(test_result_text),
        cmocka_unit_test(test_money_shape),
        cmocka_unit_test(test_money_unknown_currency),
        cmocka_unit_test(test_money_read),
        cmocka_unit_test(test_money_read_refused),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
