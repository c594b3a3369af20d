/* Unit tests of bp_config: a local settings struct and table loaded from the
 * environment (setenv/unsetenv), and the --print-config output. Variables are
 * prefixed BPUT_ so the test never reads a real daemon setting. */
#include "bp_config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct {
    const char *name;
    long port;
    bool verbose;
    const char *token;
    long ratio;
} test_settings;

/* One row per variable: not reflowed. */
/* clang-format off */
static const bp_config_entry table[] = {
    {"BPUT_NAME", BP_CONFIG_STRING, offsetof(test_settings, name), "boissipay", 1, 10,
     "a short name", false, NULL, NULL},
    {"BPUT_PORT", BP_CONFIG_INT, offsetof(test_settings, port), "8080", 1, 65535,
     "TCP port", false, NULL, NULL},
    {"BPUT_VERBOSE", BP_CONFIG_BOOL, offsetof(test_settings, verbose), "false", 0, 0,
     "chatty logs", false, NULL, NULL},
    {"BPUT_TOKEN", BP_CONFIG_STRING, offsetof(test_settings, token), NULL, 1, 0,
     "secret token", true, NULL, NULL},
    {"BPUT_RATIO", BP_CONFIG_INT, offsetof(test_settings, ratio), "-5", -10, 10,
     "signed value", false, NULL, NULL},
};
/* clang-format on */
#define NTABLE (sizeof table / sizeof table[0])

static const char *const names[] = {"BPUT_NAME", "BPUT_PORT", "BPUT_VERBOSE", "BPUT_TOKEN",
                                    "BPUT_RATIO"};

/* Each test starts from an environment with only the required token set. */
static int setup_env(void **state)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unsetenv(names[i]);
    setenv("BPUT_TOKEN", "s3cr3t", 1);
    return 0;
}

static int teardown_env(void **state)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unsetenv(names[i]);
    return 0;
}

static bool load(test_settings *s, char *err, size_t errsize)
{
    memset(s, 0, sizeof *s);
    err[0] = '\0';
    return bp_config_load(table, NTABLE, s, err, errsize);
}

/* Expects loading to fail with a message naming `var` (and containing `also`). */
static void expect_fail(const char *var, const char *also)
{
    test_settings s;
    char err[256];
    if (load(&s, err, sizeof err))
        fail_msg("loading succeeded; expected a failure on %s", var);
    if (strstr(err, var) == NULL)
        fail_msg("message \"%s\" does not name %s", err, var);
    if (also != NULL && strstr(err, also) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err, also);
}

static void test_defaults(void **state)
{
    test_settings s;
    char err[256];
    assert_true(load(&s, err, sizeof err));
    assert_string_equal(s.name, "boissipay");
    assert_int_equal(s.port, 8080);
    assert_false(s.verbose);
    assert_string_equal(s.token, "s3cr3t");
    assert_int_equal(s.ratio, -5);
}

static void test_env_override(void **state)
{
    setenv("BPUT_NAME", "other", 1);
    setenv("BPUT_PORT", "9090", 1);
    setenv("BPUT_VERBOSE", "yes", 1);
    setenv("BPUT_RATIO", "10", 1);
    test_settings s;
    char err[256];
    assert_true(load(&s, err, sizeof err));
    assert_string_equal(s.name, "other");
    assert_int_equal(s.port, 9090);
    assert_true(s.verbose);
    assert_int_equal(s.ratio, 10);
}

static void test_empty_env_means_default(void **state)
{
    setenv("BPUT_PORT", "", 1);
    test_settings s;
    char err[256];
    assert_true(load(&s, err, sizeof err));
    assert_int_equal(s.port, 8080);
}

static void test_int_bounds(void **state)
{
    test_settings s;
    char err[256];
    setenv("BPUT_PORT", "1", 1);
    assert_true(load(&s, err, sizeof err));
    assert_int_equal(s.port, 1);
    setenv("BPUT_PORT", "65535", 1);
    assert_true(load(&s, err, sizeof err));
    assert_int_equal(s.port, 65535);
    setenv("BPUT_PORT", "0", 1);
    expect_fail("BPUT_PORT", "1..65535");
    setenv("BPUT_PORT", "65536", 1);
    expect_fail("BPUT_PORT", "65536");
    setenv("BPUT_PORT", "-1", 1);
    expect_fail("BPUT_PORT", NULL);
    setenv("BPUT_PORT", "8080", 1);
    setenv("BPUT_RATIO", "-11", 1);
    expect_fail("BPUT_RATIO", "-10..10");
    setenv("BPUT_RATIO", "-10", 1);
    assert_true(load(&s, err, sizeof err));
    assert_int_equal(s.ratio, -10);
}

static void test_int_not_numeric(void **state)
{
    static const char *const bad[] = {
        "abc", "80a", "8080 ", "0x50", "1e3", "3.5", "99999999999999999999999", "-"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("BPUT_PORT", bad[i], 1);
        expect_fail("BPUT_PORT", "integer");
    }
}

static void test_required_missing(void **state)
{
    unsetenv("BPUT_TOKEN");
    expect_fail("BPUT_TOKEN", "required");
    setenv("BPUT_TOKEN", "", 1); /* empty is absent */
    expect_fail("BPUT_TOKEN", "required");
}

static void test_string_length(void **state)
{
    setenv("BPUT_NAME", "abcdefghij", 1); /* 10: the maximum */
    test_settings s;
    char err[256];
    assert_true(load(&s, err, sizeof err));
    assert_string_equal(s.name, "abcdefghij");
    setenv("BPUT_NAME", "abcdefghijk", 1);
    expect_fail("BPUT_NAME", NULL);
}

static void test_bool_parsing(void **state)
{
    static const char *const yes[] = {"true", "TRUE", "True", "1", "yes", "YES"};
    static const char *const no[] = {"false", "FALSE", "0", "no", "No"};
    static const char *const bad[] = {"maybe", "2", "on", "off", "t", "y", "true "};
    test_settings s;
    char err[256];
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        setenv("BPUT_VERBOSE", yes[i], 1);
        assert_true(load(&s, err, sizeof err));
        assert_true(s.verbose);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        setenv("BPUT_VERBOSE", no[i], 1);
        s.verbose = true;
        assert_true(bp_config_load(table, NTABLE, &s, err, sizeof err));
        assert_false(s.verbose);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("BPUT_VERBOSE", bad[i], 1);
        expect_fail("BPUT_VERBOSE", "boolean");
    }
}

static void test_first_bad_variable_named(void **state)
{
    setenv("BPUT_PORT", "nope", 1);
    setenv("BPUT_VERBOSE", "nope", 1);
    expect_fail("BPUT_PORT", NULL);
}

static void test_print(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    bp_config_print(table, NTABLE, out);
    fclose(out);
    assert_non_null(text);
    for (size_t i = 0; i < NTABLE; i++) {
        if (strstr(text, table[i].name) == NULL)
            fail_msg("print output lacks %s:\n%s", table[i].name, text);
        if (strstr(text, table[i].help) == NULL)
            fail_msg("print output lacks the help of %s:\n%s", table[i].name, text);
    }
    assert_non_null(strstr(text, "BPUT_NAME=boissipay"));
    assert_non_null(strstr(text, "BPUT_PORT=8080"));
    assert_non_null(strstr(text, "BPUT_RATIO=-5"));
    /* The required secret shows no value, and the environment's value never leaks. */
    assert_non_null(strstr(text, "BPUT_TOKEN=  #"));
    assert_non_null(strstr(text, "required"));
    assert_null(strstr(text, "s3cr3t"));
    /* One line per entry. */
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, NTABLE);
    free(text);
}

static void test_print_secret_with_default(void **state)
{
    static const bp_config_entry secret[] = {
        {"BPUT_URL", BP_CONFIG_STRING, 0, "postgres://u:pw@h/db", 1, 0, "database", true, NULL,
         NULL},
    };
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    bp_config_print(secret, 1, out);
    fclose(out);
    assert_non_null(strstr(text, "BPUT_URL="));
    assert_null(strstr(text, "pw@h"));
    free(text);
}

/* ENUM rows and per-row checks: a second table, so the first one's tests stay as
 * they are. */
typedef struct {
    const char *level;
    const char *zone;
    const char *word;
} checked_settings;

static bool word_check(const char *value, char *why, size_t whysize)
{
    if (strncmp(value, "ok-", 3) == 0)
        return true;
    snprintf(why, whysize, "must start with ok-");
    return false;
}

static const char *const levels[] = {"low", "high", NULL};
/* One row per variable: not reflowed. */
/* clang-format off */
static const bp_config_entry checked[] = {
    {"BPUT_LEVEL", BP_CONFIG_ENUM, offsetof(checked_settings, level), "low", 0, 0, "a level",
     false, levels, NULL},
    {"BPUT_ZONE", BP_CONFIG_STRING, offsetof(checked_settings, zone), "Europe/Paris", 1, 64,
     "a zone", false, NULL, bp_config_check_time_zone},
    {"BPUT_WORD", BP_CONFIG_STRING, offsetof(checked_settings, word), "ok-1", 1, 64, "a word",
     false, NULL, word_check},
};
/* clang-format on */

static void test_enum_and_checks(void **state)
{
    (void)state;
    const char *vars[] = {"BPUT_LEVEL", "BPUT_ZONE", "BPUT_WORD"};
    for (size_t i = 0; i < 3; i++)
        unsetenv(vars[i]);
    checked_settings s;
    char err[256];
    assert_true(bp_config_load(checked, 3, &s, err, sizeof err));
    assert_ptr_equal(s.level, levels[0]); /* the table's own string */
    setenv("BPUT_LEVEL", "high", 1);
    assert_true(bp_config_load(checked, 3, &s, err, sizeof err));
    assert_string_equal(s.level, "high");
    setenv("BPUT_LEVEL", "HIGH", 1);
    assert_false(bp_config_load(checked, 3, &s, err, sizeof err));
    assert_string_equal(err, "BPUT_LEVEL='HIGH' is not one of: low, high");
    unsetenv("BPUT_LEVEL");
    const char *bad_zones[] = {"Mars/Olympus", "../../etc/passwd", "Europe"};
    for (size_t i = 0; i < 3; i++) {
        setenv("BPUT_ZONE", bad_zones[i], 1);
        assert_false(bp_config_load(checked, 3, &s, err, sizeof err));
        assert_non_null(strstr(err, "BPUT_ZONE="));
        assert_non_null(strstr(err, "is not a known time zone"));
    }
    setenv("BPUT_ZONE", "America/New_York", 1);
    assert_true(bp_config_load(checked, 3, &s, err, sizeof err));
    setenv("BPUT_WORD", "nope", 1);
    assert_false(bp_config_load(checked, 3, &s, err, sizeof err));
    assert_string_equal(err, "BPUT_WORD='nope' must start with ok-");
    for (size_t i = 0; i < 3; i++)
        unsetenv(vars[i]);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    bp_config_print(checked, 1, out);
    fclose(out);
    assert_string_equal(text, "BPUT_LEVEL=low  # a level (one of: low, high)\n");
    free(text);
}

static void test_stock_checks(void **state)
{
    (void)state;
    char why[128];
    assert_true(bp_config_check_email("billing@boissipay.example", why, sizeof why));
    assert_false(bp_config_check_email("billing", why, sizeof why));
    assert_true(bp_config_check_readable_file("", why, sizeof why));
    assert_true(bp_config_check_readable_file("/proc/self/status", why, sizeof why));
    assert_false(bp_config_check_readable_file("/nonexistent/ca.pem", why, sizeof why));
    assert_non_null(strstr(why, "cannot be read"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_env, teardown_env)
    const struct CMUnitTest tests[] = {
        T(test_defaults),
        T(test_env_override),
        T(test_empty_env_means_default),
        T(test_int_bounds),
        T(test_int_not_numeric),
        T(test_required_missing),
        T(test_string_length),
        T(test_bool_parsing),
        T(test_first_bad_variable_named),
        T(test_print),
        T(test_print_secret_with_default),
        T(test_enum_and_checks),
        T(test_stock_checks),
    };
#undef T
    return cmocka_run_group_tests(tests, 0, NULL);
}
