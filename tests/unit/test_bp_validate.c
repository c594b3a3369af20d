/* Unit tests of bp_validate: each typed getter (presence, type, bounds), the
 * first-error-wins rule, dotted paths, and bp_email_valid. */
#include "bp_validate.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* The request most tests read from; freed by the teardown. */
static const char *const request_text =
    "{\"name\": \"ACME\", \"empty\": \"\", \"num\": 42, \"neg\": -3, \"real\": 3.0,"
    " \"flag\": true, \"nul\": null, \"list\": [1, 2], \"kind\": \"PRO\","
    " \"day\": \"2026-01-02\", \"badday\": \"2026-02-30\", \"numday\": 20260102,"
    " \"obj\": {\"inner\": {\"mail\": \"x\"}}, \"big\": 9007199254740993}";

static int setup_req(void **state)
{
    json_error_t err;
    json_t *req = json_loads(request_text, 0, &err);
    if (req == NULL)
        return -1;
    *state = req;
    return 0;
}

static int teardown_req(void **state)
{
    json_decref(*state);
    return 0;
}

static void expect_err(const bp_verr *e, const char *field, const char *message_part)
{
    if (!e->failed)
        fail_msg("no error recorded; expected one on %s", field);
    assert_string_equal(e->field, field);
    if (strstr(e->message, message_part) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", e->message, message_part);
}

/* ---------- paths and bp_verr ---------- */

static void test_path_join(void **state)
{
    char buf[64];
    bp_path_join(buf, sizeof buf, "", "name");
    assert_string_equal(buf, "name");
    bp_path_join(buf, sizeof buf, NULL, "name");
    assert_string_equal(buf, "name");
    bp_path_join(buf, sizeof buf, "subscriber", "contactPerson");
    assert_string_equal(buf, "subscriber.contactPerson");
    bp_path_join(buf, sizeof buf, "subscriber.contactPerson", "mail");
    assert_string_equal(buf, "subscriber.contactPerson.mail");
    char small[8];
    bp_path_join(small, sizeof small, "abcdef", "ghij");
    assert_string_equal(small, "abcdef.");
}

static void test_verr_first_wins(void **state)
{
    bp_verr e = {0};
    assert_false(e.failed);
    bp_verr_set(&e, "a.b", "c", "must be %d", 7);
    bp_verr_set(&e, "", "other", "second");
    assert_true(e.failed);
    assert_string_equal(e.field, "a.b.c");
    assert_string_equal(e.message, "must be 7");
}

/* ---------- bp_v_string ---------- */

static void test_string(void **state)
{
    const json_t *req = *state;
    bp_verr e = {0};
    const char *s = bp_v_string(req, "", "name", true, 1, 10, &e);
    assert_false(e.failed);
    assert_string_equal(s, "ACME");
    assert_null(bp_v_string(req, "", "absent", false, 1, 10, &e));
    assert_false(e.failed);
    assert_null(bp_v_string(req, "", "nul", false, 1, 10, &e)); /* null is absent */
    assert_false(e.failed);
    assert_string_equal(bp_v_string(req, "", "empty", false, 0, 0, &e), "");
    assert_false(e.failed);
    assert_string_equal(bp_v_string(req, "", "name", true, 4, 4, &e), "ACME");
    assert_false(e.failed);
}

static void test_string_missing_required(void **state)
{
    const json_t *req = *state;
    bp_verr e = {0};
    assert_null(bp_v_string(req, "party", "absent", true, 0, 0, &e));
    expect_err(&e, "party.absent", "is required");
    bp_verr e2 = {0};
    assert_null(bp_v_string(req, "", "nul", true, 0, 0, &e2));
    expect_err(&e2, "nul", "is required");
}

static void test_string_wrong_type(void **state)
{
    const json_t *req = *state;
    static const char *const fields[] = {"num", "flag", "list", "obj", "real"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        bp_verr e = {0};
        assert_null(bp_v_string(req, "", fields[i], false, 0, 0, &e));
        expect_err(&e, fields[i], "must be a string");
    }
}

static void test_string_length_bounds(void **state)
{
    const json_t *req = *state;
    bp_verr e = {0};
    assert_null(bp_v_string(req, "", "name", true, 5, 10, &e));
    expect_err(&e, "name", "characters");
    bp_verr e2 = {0};
    assert_null(bp_v_string(req, "", "name", true, 1, 3, &e2));
    expect_err(&e2, "name", "characters");
    bp_verr e3 = {0};
    assert_null(bp_v_string(req, "", "empty", true, 1, 0, &e3));
    expect_err(&e3, "empty", "characters");
    /* Length is in characters, as JSON Schema counts: "é" is one, "éé" two. */
    json_t *o = json_pack("{s:s, s:s}", "v", "\xc3\xa9", "w", "\xc3\xa9\xc3\xa9");
    bp_verr e4 = {0};
    assert_non_null(bp_v_string(o, "", "v", true, 1, 1, &e4));
    assert_false(e4.failed);
    assert_null(bp_v_string(o, "", "w", true, 0, 1, &e4));
    expect_err(&e4, "w", "characters");
    assert_int_equal(bp_utf8_chars("a\xc3\xa9\xf0\x9f\x98\x80", 7), 3);
    json_decref(o);
}

static void test_string_embedded_nul(void **state)
{
    json_t *o = json_object();
    json_object_set_new(o, "v", json_stringn("ab\0cd", 5));
    bp_verr e = {0};
    assert_null(bp_v_string(o, "x", "v", true, 0, 0, &e));
    expect_err(&e, "x.v", "NUL");
    json_decref(o);
}

/* ---------- bp_v_enum ---------- */

static void test_enum(void **state)
{
    const json_t *req = *state;
    static const char *const kinds[] = {"PART", "PRO", NULL};
    bp_verr e = {0};
    const char *k = bp_v_enum(req, "", "kind", true, kinds, &e);
    assert_false(e.failed);
    assert_ptr_equal(k, kinds[1]); /* returns the table's string */
    assert_null(bp_v_enum(req, "", "absent", false, kinds, &e));
    assert_false(e.failed);

    static const char *const other[] = {"M", "MME", NULL};
    bp_verr e2 = {0};
    assert_null(bp_v_enum(req, "p", "kind", true, other, &e2));
    expect_err(&e2, "p.kind", "must be one of: M, MME");
    bp_verr e3 = {0};
    assert_null(bp_v_enum(req, "", "absent", true, other, &e3));
    expect_err(&e3, "absent", "is required");
    bp_verr e4 = {0};
    assert_null(bp_v_enum(req, "", "num", true, other, &e4));
    expect_err(&e4, "num", "must be a string");
    bp_verr e5 = {0};
    assert_null(bp_v_enum(req, "", "empty", true, other, &e5));
    expect_err(&e5, "empty", "characters");
}

static void test_enum_case_sensitive(void **state)
{
    static const char *const kinds[] = {"PRO", NULL};
    json_t *o = json_pack("{s:s}", "k", "pro");
    bp_verr e = {0};
    assert_null(bp_v_enum(o, "", "k", true, kinds, &e));
    expect_err(&e, "k", "one of");
    json_decref(o);
}

/* ---------- bp_v_date ---------- */

static void test_date(void **state)
{
    const json_t *req = *state;
    bp_verr e = {0};
    bp_date d = -1;
    assert_true(bp_v_date(req, "", "day", true, &d, &e));
    assert_false(e.failed);
    assert_int_equal(d, 20455);
    assert_false(bp_v_date(req, "", "absent", false, &d, &e));
    assert_false(e.failed);

    bp_verr e2 = {0};
    assert_false(bp_v_date(req, "m", "badday", true, &d, &e2));
    expect_err(&e2, "m.badday", "YYYY-MM-DD");
    bp_verr e3 = {0};
    assert_false(bp_v_date(req, "", "numday", true, &d, &e3));
    expect_err(&e3, "numday", "YYYY-MM-DD");
    bp_verr e4 = {0};
    assert_false(bp_v_date(req, "", "absent", true, &d, &e4));
    expect_err(&e4, "absent", "is required");
    bp_verr e5 = {0};
    assert_false(bp_v_date(req, "", "name", true, &d, &e5));
    expect_err(&e5, "name", "YYYY-MM-DD");
}

/* ---------- bp_v_int ---------- */

static void test_int(void **state)
{
    const json_t *req = *state;
    bp_verr e = {0};
    int64_t n = 0;
    assert_true(bp_v_int(req, "", "num", true, 0, 100, &n, &e));
    assert_int_equal(n, 42);
    assert_true(bp_v_int(req, "", "num", true, 42, 42, &n, &e)); /* inclusive bounds */
    assert_true(bp_v_int(req, "", "neg", true, -3, 0, &n, &e));
    assert_int_equal(n, -3);
    n = 7;
    assert_false(bp_v_int(req, "", "absent", false, 0, 1, &n, &e));
    assert_int_equal(n, 7); /* untouched when absent */
    assert_false(e.failed);

    bp_verr e2 = {0};
    assert_false(bp_v_int(req, "billing", "num", true, 0, 41, &n, &e2));
    expect_err(&e2, "billing.num", "between 0 and 41");
    bp_verr e3 = {0};
    assert_false(bp_v_int(req, "", "neg", true, 0, 365, &n, &e3));
    expect_err(&e3, "neg", "between 0 and 365");
    bp_verr e4 = {0};
    assert_false(bp_v_int(req, "", "real", true, 0, 365, &n, &e4));
    expect_err(&e4, "real", "must be an integer");
    bp_verr e5 = {0};
    assert_false(bp_v_int(req, "", "name", true, 0, 365, &n, &e5));
    expect_err(&e5, "name", "must be an integer");
    bp_verr e6 = {0};
    assert_false(bp_v_int(req, "", "absent", true, 0, 365, &n, &e6));
    expect_err(&e6, "absent", "is required");
    bp_verr e7 = {0};
    assert_true(bp_v_int(req, "", "big", true, INT64_MIN, INT64_MAX, &n, &e7));
    assert_int_equal(n, INT64_C(9007199254740993)); /* no trip through double */
}

/* ---------- bp_v_object ---------- */

static void test_object(void **state)
{
    const json_t *req = *state;
    bp_verr e = {0};
    json_t *o = bp_v_object(req, "", "obj", true, &e);
    assert_non_null(o);
    assert_ptr_equal(o, json_object_get(req, "obj")); /* borrowed */
    json_t *inner = bp_v_object(o, "obj", "inner", true, &e);
    assert_non_null(inner);
    assert_null(bp_v_object(req, "", "absent", false, &e));
    assert_false(e.failed);

    bp_verr e2 = {0};
    assert_null(bp_v_object(req, "", "list", true, &e2));
    expect_err(&e2, "list", "must be an object");
    bp_verr e3 = {0};
    assert_null(bp_v_object(req, "", "name", false, &e3));
    expect_err(&e3, "name", "must be an object");
    bp_verr e4 = {0};
    assert_null(bp_v_object(inner, "obj.inner", "deeper", true, &e4));
    expect_err(&e4, "obj.inner.deeper", "is required");
}

/* ---------- first error wins ---------- */

static void test_first_error_wins(void **state)
{
    const json_t *req = *state;
    bp_verr e = {0};
    int64_t n = 0;
    bp_date d = 0;
    static const char *const kinds[] = {"X", NULL};
    assert_null(bp_v_string(req, "a", "num", true, 0, 0, &e)); /* fails: not a string */
    /* Every later getter does nothing, even on valid fields. */
    assert_null(bp_v_string(req, "", "name", true, 0, 0, &e));
    assert_false(bp_v_int(req, "", "num", true, 0, 100, &n, &e));
    assert_false(bp_v_date(req, "", "day", true, &d, &e));
    assert_null(bp_v_object(req, "", "obj", true, &e));
    assert_null(bp_v_enum(req, "", "kind", true, kinds, &e));
    assert_null(bp_v_string(req, "", "absent", true, 0, 0, &e));
    expect_err(&e, "a.num", "must be a string");
    assert_int_equal(n, 0);
}

/* ---------- bp_email_valid ---------- */

static void test_email(void **state)
{
    static const char *const good[] = {
        "john.doe@acme.com",          "a@b.co",       "x@b.c",
        "ap+billing@acme.example.fr", "J.D@ACME.COM", "a_b-c@sub.domain.org"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (!bp_email_valid(good[i]))
            fail_msg("\"%s\" refused", good[i]);
    }
    static const char *const bad[] = {"",
                                      "x",
                                      "john.doe",
                                      "@acme.com",
                                      "john@",
                                      "john@acme",
                                      "john@acme.",
                                      "john@.com",
                                      "jo hn@acme.com",
                                      "john@ac me.com",
                                      "john@@acme.com",
                                      "a@b@c.com",
                                      "<j@acme.com>",
                                      "j@acme.com,k@acme.com",
                                      "j@acme.com;",
                                      "j\t@acme.com",
                                      "j@acme.com\n",
                                      "a@.b",
                                      "a.b@com"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (bp_email_valid(bad[i]))
            fail_msg("\"%s\" accepted", bad[i]);
    }
    assert_false(bp_email_valid(NULL));
}

static void test_email_length(void **state)
{
    char mail[300];
    /* 254 bytes is the limit: "aaa...a@b.com". */
    size_t local = 254 - strlen("@b.com");
    memset(mail, 'a', local);
    strcpy(mail + local, "@b.com");
    assert_int_equal(strlen(mail), 254);
    assert_true(bp_email_valid(mail));
    memset(mail, 'a', local + 1);
    strcpy(mail + local + 1, "@b.com");
    assert_false(bp_email_valid(mail));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_req, teardown_req)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_join),
        cmocka_unit_test(test_verr_first_wins),
        T(test_string),
        T(test_string_missing_required),
        T(test_string_wrong_type),
        T(test_string_length_bounds),
        cmocka_unit_test(test_string_embedded_nul),
        T(test_enum),
        cmocka_unit_test(test_enum_case_sensitive),
        T(test_date),
        T(test_int),
        T(test_object),
        T(test_first_error_wins),
        cmocka_unit_test(test_email),
        cmocka_unit_test(test_email_length),
    };
#undef T
    return cmocka_run_group_tests(tests, 0, NULL);
}
