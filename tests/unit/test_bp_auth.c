/* Unit tests of bp_auth: parsing the BP_API_KEYS spec and checking
 * Authorization headers against read/write scopes. */
#include "bp_auth.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define RW_KEY "rw-key-0123456789abcdef"
#define R_KEY "r-key-0123456789abcdef"
#define SPEC RW_KEY ":rw," R_KEY ":r"

static int setup_auth(void **state)
{
    char err[128] = "";
    bp_auth *auth = bp_auth_new(SPEC, err, sizeof err);
    if (auth == NULL)
        return -1;
    *state = auth;
    return 0;
}

static int teardown_auth(void **state)
{
    bp_auth_free(*state);
    return 0;
}

/* Expects bp_auth_new(spec) to fail with a message containing `needle`. */
static void expect_bad_spec(const char *spec, const char *needle)
{
    char err[128];
    memset(err, 0, sizeof err);
    bp_auth *auth = bp_auth_new(spec, err, sizeof err);
    if (auth != NULL) {
        bp_auth_free(auth);
        fail_msg("spec \"%s\" was accepted", spec);
    }
    if (strstr(err, needle) == NULL)
        fail_msg("spec \"%s\": message \"%s\" lacks \"%s\"", spec, err, needle);
}

/* ---------- spec parsing ---------- */

static void test_spec_empty(void **state)
{
    expect_bad_spec("", "no API key");
    expect_bad_spec(",", "no API key");
    expect_bad_spec(",,,", "no API key");
}

static void test_spec_short_key(void **state)
{
    expect_bad_spec("short:rw", "at least 16");
    expect_bad_spec("0123456789abcde:r", "at least 16"); /* 15 characters */
    expect_bad_spec(":rw", "at least 16");
    expect_bad_spec(RW_KEY ":rw,short:r", "at least 16"); /* one bad entry spoils all */
}

static void test_spec_bad_scope(void **state)
{
    expect_bad_spec(RW_KEY ":w", "scope");
    expect_bad_spec(RW_KEY ":RW", "scope");
    expect_bad_spec(RW_KEY ":", "scope");
    expect_bad_spec(RW_KEY ":rwx", "scope");
    expect_bad_spec(RW_KEY ":rw ", "scope");
    expect_bad_spec(RW_KEY ":rw," R_KEY ":admin", "admin");
}

static void test_spec_missing_colon(void **state)
{
    expect_bad_spec(RW_KEY, "':scope'");
    expect_bad_spec(RW_KEY ":rw," R_KEY, "':scope'");
}

static void test_spec_too_many_keys(void **state)
{
    char spec[65 * 24 + 1] = "";
    for (int i = 0; i < 65; i++) {
        char item[32];
        snprintf(item, sizeof item, "%skey-%016d:r", i ? "," : "", i);
        strcat(spec, item);
    }
    expect_bad_spec(spec, "at most 64");
    /* 64 is fine. */
    char *last_comma = strrchr(spec, ',');
    *last_comma = '\0';
    char err[128];
    bp_auth *auth = bp_auth_new(spec, err, sizeof err);
    assert_non_null(auth);
    assert_int_equal(bp_auth_check(auth, "Bearer key-0000000000000063", BP_SCOPE_READ), BP_AUTH_OK);
    bp_auth_free(auth);
}

static void test_spec_good(void **state)
{
    char err[128] = "";
    bp_auth *auth = bp_auth_new(" " RW_KEY ":rw,  " R_KEY ":r", err, sizeof err);
    assert_non_null(auth);
    assert_int_equal(bp_auth_check(auth, "Bearer " RW_KEY, BP_SCOPE_WRITE), BP_AUTH_OK);
    assert_int_equal(bp_auth_check(auth, "Bearer " R_KEY, BP_SCOPE_READ), BP_AUTH_OK);
    bp_auth_free(auth);
    /* A key may itself contain ':' — the scope is after the last one. */
    auth = bp_auth_new("with:colon:0123456789:rw", err, sizeof err);
    assert_non_null(auth);
    assert_int_equal(bp_auth_check(auth, "Bearer with:colon:0123456789", BP_SCOPE_WRITE),
                     BP_AUTH_OK);
    bp_auth_free(auth);
    bp_auth_free(NULL); /* harmless */
}

/* ---------- checks ---------- */

static void test_check_missing_header(void **state)
{
    const bp_auth *auth = *state;
    assert_int_equal(bp_auth_check(auth, NULL, BP_SCOPE_READ), BP_AUTH_MISSING);
    assert_int_equal(bp_auth_check(auth, NULL, BP_SCOPE_WRITE), BP_AUTH_MISSING);
    assert_int_equal(bp_auth_check(auth, "", BP_SCOPE_READ), BP_AUTH_MISSING);
}

static void test_check_not_bearer(void **state)
{
    const bp_auth *auth = *state;
    assert_int_equal(bp_auth_check(auth, "Basic " RW_KEY, BP_SCOPE_READ), BP_AUTH_MISSING);
    assert_int_equal(bp_auth_check(auth, RW_KEY, BP_SCOPE_READ), BP_AUTH_MISSING);
    assert_int_equal(bp_auth_check(auth, "Bearer", BP_SCOPE_READ), BP_AUTH_MISSING);
    assert_int_equal(bp_auth_check(auth, "Bearer" RW_KEY, BP_SCOPE_READ), BP_AUTH_MISSING);
    assert_int_equal(bp_auth_check(auth, "Bearer ", BP_SCOPE_READ), BP_AUTH_MISSING);
    assert_int_equal(bp_auth_check(auth, "Token " RW_KEY, BP_SCOPE_READ), BP_AUTH_MISSING);
}

static void test_check_unknown_key(void **state)
{
    const bp_auth *auth = *state;
    assert_int_equal(bp_auth_check(auth, "Bearer nobody-0123456789abcdef", BP_SCOPE_READ),
                     BP_AUTH_MISSING);
    /* Prefixes, extensions and case changes of a real key are other keys. */
    assert_int_equal(bp_auth_check(auth, "Bearer rw-key-0123456789abcde", BP_SCOPE_READ),
                     BP_AUTH_MISSING);
    assert_int_equal(bp_auth_check(auth, "Bearer " RW_KEY "f", BP_SCOPE_READ), BP_AUTH_MISSING);
    assert_int_equal(bp_auth_check(auth, "Bearer RW-KEY-0123456789ABCDEF", BP_SCOPE_READ),
                     BP_AUTH_MISSING);
    assert_int_equal(bp_auth_check(auth, "Bearer " RW_KEY " ", BP_SCOPE_READ), BP_AUTH_MISSING);
    assert_int_equal(bp_auth_check(auth, "Bearer " RW_KEY ":rw", BP_SCOPE_READ), BP_AUTH_MISSING);
}

static void test_check_scopes(void **state)
{
    const bp_auth *auth = *state;
    assert_int_equal(bp_auth_check(auth, "Bearer " R_KEY, BP_SCOPE_READ), BP_AUTH_OK);
    assert_int_equal(bp_auth_check(auth, "Bearer " R_KEY, BP_SCOPE_WRITE), BP_AUTH_FORBIDDEN);
    assert_int_equal(bp_auth_check(auth, "Bearer " RW_KEY, BP_SCOPE_READ), BP_AUTH_OK);
    assert_int_equal(bp_auth_check(auth, "Bearer " RW_KEY, BP_SCOPE_WRITE), BP_AUTH_OK);
}

static void test_check_scope_none(void **state)
{
    const bp_auth *auth = *state;
    assert_int_equal(bp_auth_check(auth, NULL, BP_SCOPE_NONE), BP_AUTH_OK);
    assert_int_equal(bp_auth_check(auth, "garbage", BP_SCOPE_NONE), BP_AUTH_OK);
    assert_int_equal(bp_auth_check(auth, "Bearer unknown-key-xxxxxxxx", BP_SCOPE_NONE), BP_AUTH_OK);
    assert_int_equal(bp_auth_check(auth, "Bearer " R_KEY, BP_SCOPE_NONE), BP_AUTH_OK);
}

static void test_check_bearer_case_and_spaces(void **state)
{
    const bp_auth *auth = *state;
    assert_int_equal(bp_auth_check(auth, "bearer " RW_KEY, BP_SCOPE_WRITE), BP_AUTH_OK);
    assert_int_equal(bp_auth_check(auth, "BEARER " RW_KEY, BP_SCOPE_WRITE), BP_AUTH_OK);
    assert_int_equal(bp_auth_check(auth, "bEaReR " R_KEY, BP_SCOPE_WRITE), BP_AUTH_FORBIDDEN);
    assert_int_equal(bp_auth_check(auth, "Bearer   " RW_KEY, BP_SCOPE_WRITE), BP_AUTH_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_empty),
        cmocka_unit_test(test_spec_short_key),
        cmocka_unit_test(test_spec_bad_scope),
        cmocka_unit_test(test_spec_missing_colon),
        cmocka_unit_test(test_spec_too_many_keys),
        cmocka_unit_test(test_spec_good),
        cmocka_unit_test_setup_teardown(test_check_missing_header, setup_auth, teardown_auth),
        cmocka_unit_test_setup_teardown(test_check_not_bearer, setup_auth, teardown_auth),
        cmocka_unit_test_setup_teardown(test_check_unknown_key, setup_auth, teardown_auth),
        cmocka_unit_test_setup_teardown(test_check_scopes, setup_auth, teardown_auth),
        cmocka_unit_test_setup_teardown(test_check_scope_none, setup_auth, teardown_auth),
        cmocka_unit_test_setup_teardown(test_check_bearer_case_and_spaces, setup_auth,
                                        teardown_auth),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
