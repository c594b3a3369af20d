/* Unit tests of bp_cloudevent: the envelope bp_cloudevent_new builds and
 * bp_cloudevent_check on good and bad envelopes. */
#include "bp_cloudevent.h"

#include "bp_time.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Lowercase 8-4-4-4-12 hex with version 4 and the RFC 4122 variant. */
static bool is_uuid_v4(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

static const char *str(const json_t *ev, const char *key)
{
    return json_string_value(json_object_get(ev, key));
}

static void test_new_envelope(void **state)
{
    char id[37];
    memset(id, 'x', sizeof id);
    json_t *data = json_pack("{s:s, s:i}", "contractRef", "CTR-1", "version", 1);
    json_t *ev =
        bp_cloudevent_new("/boissipay/contract", "contract.created", "subject-1", data, id);
    assert_non_null(ev);
    assert_true(is_uuid_v4(id));
    assert_string_equal(str(ev, "specversion"), "1.0");
    assert_string_equal(str(ev, "id"), id);
    assert_string_equal(str(ev, "source"), "/boissipay/contract");
    assert_string_equal(str(ev, "type"), "contract.created");
    assert_string_equal(str(ev, "subject"), "subject-1");
    assert_string_equal(str(ev, "datacontenttype"), "application/json");
    assert_ptr_equal(json_object_get(ev, "data"), data); /* ownership taken, not copied */
    assert_string_equal(str(json_object_get(ev, "data"), "contractRef"), "CTR-1");
    assert_int_equal(json_object_size(ev), 8);

    /* time: an RFC 3339 UTC timestamp with milliseconds, today. */
    const char *t = str(ev, "time");
    assert_non_null(t);
    assert_int_equal(strlen(t), 24);
    assert_int_equal(t[10], 'T');
    assert_int_equal(t[19], '.');
    assert_int_equal(t[23], 'Z');
    char day[11];
    memcpy(day, t, 10);
    day[10] = '\0';
    bp_date d = 0;
    assert_true(bp_date_parse(day, &d));
    bp_date today = bp_date_today_utc();
    assert_true(d >= today - 1 && d <= today);

    assert_null(bp_cloudevent_check(ev));
    json_decref(ev);
}

static void test_new_ids_differ(void **state)
{
    char a[37], b[37];
    json_t *e1 = bp_cloudevent_new("/s", "t", "x", json_object(), a);
    json_t *e2 = bp_cloudevent_new("/s", "t", "x", json_object(), b);
    assert_string_not_equal(a, b);
    json_decref(e1);
    json_decref(e2);
}

/* A valid envelope to break one attribute at a time. */
static json_t *good_event(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{}}", "specversion", "1.0", "id",
                     "6f1c2b64-3c1a-4d6e-9a51-0f2f6c5b7a10", "source", "/boissipay/contract",
                     "type", "contract.created", "time", "2026-01-02T10:00:00.123Z", "subject",
                     "c-1", "datacontenttype", "application/json", "data");
}

/* An envelope plus data already rendered as text reads back as the same event
 * bp_cloudevent_new builds, with "data" last. */
static void test_dumps_with_data_text(void **state)
{
    (void)state;
    char id[37];
    json_t *env = bp_cloudevent_envelope("/billing", "invoice.issued", "INV-2026-000001", id);
    assert_non_null(env);
    assert_null(json_object_get(env, "data"));
    char *text = bp_cloudevent_dumps_with(env, "{\"a\":[1,2],\"b\":\"\\u00e9\"}",
                                          JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_non_null(text);
    json_error_t err;
    json_t *event = json_loads(text, 0, &err);
    assert_non_null(event);
    assert_null(bp_cloudevent_check(event));
    assert_string_equal(json_string_value(json_object_get(event, "id")), id);
    assert_string_equal(json_string_value(json_object_get(event, "type")), "invoice.issued");
    assert_int_equal(json_array_size(json_object_get(json_object_get(event, "data"), "a")), 2);
    const char *data_at = strstr(text, ",\"data\":{");
    assert_non_null(data_at);
    assert_string_equal(text + strlen(text) - 2, "}}"); /* data is the last member */
    json_decref(event);
    free(text);
    /* An envelope that has data already is refused. */
    json_object_set_new(env, "data", json_object());
    assert_null(bp_cloudevent_dumps_with(env, "{}", JSON_COMPACT));
    json_decref(env);
}

static void test_new_without_data_fails(void **state)
{
    (void)state;
    char id[37];
    assert_null(bp_cloudevent_new("/billing", "x.y", "s", NULL, id));
}

static void test_check_good(void **state)
{
    json_t *ev = good_event();
    assert_null(bp_cloudevent_check(ev));
    /* subject and datacontenttype are optional in CloudEvents. */
    json_object_del(ev, "subject");
    json_object_del(ev, "datacontenttype");
    assert_null(bp_cloudevent_check(ev));
    json_decref(ev);
}

static void test_check_missing_attributes(void **state)
{
    static const char *const required[] = {"specversion", "id", "source", "type", "time"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        json_t *ev = good_event();
        json_object_del(ev, required[i]);
        const char *msg = bp_cloudevent_check(ev);
        if (msg == NULL)
            fail_msg("event without %s accepted", required[i]);
        json_decref(ev);

        ev = good_event();
        json_object_set_new(ev, required[i], json_string(""));
        if (bp_cloudevent_check(ev) == NULL)
            fail_msg("event with empty %s accepted", required[i]);
        json_decref(ev);

        ev = good_event();
        json_object_set_new(ev, required[i], json_integer(1));
        if (bp_cloudevent_check(ev) == NULL)
            fail_msg("event with a numeric %s accepted", required[i]);
        json_decref(ev);
    }
}

static void test_check_specversion(void **state)
{
    json_t *ev = good_event();
    json_object_set_new(ev, "specversion", json_string("0.3"));
    const char *msg = bp_cloudevent_check(ev);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "specversion"));
    json_decref(ev);
}

static void test_check_data(void **state)
{
    json_t *ev = good_event();
    json_object_del(ev, "data");
    assert_non_null(bp_cloudevent_check(ev));
    json_object_set_new(ev, "data", json_array());
    assert_non_null(bp_cloudevent_check(ev));
    json_object_set_new(ev, "data", json_string("{}"));
    assert_non_null(bp_cloudevent_check(ev));
    json_object_set_new(ev, "data", json_null());
    const char *msg = bp_cloudevent_check(ev);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "data"));
    json_decref(ev);
}

static void test_check_not_object(void **state)
{
    json_t *arr = json_array();
    assert_non_null(bp_cloudevent_check(arr));
    json_decref(arr);
    assert_non_null(bp_cloudevent_check(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_envelope),
        cmocka_unit_test(test_new_ids_differ),
        cmocka_unit_test(test_dumps_with_data_text),
        cmocka_unit_test(test_new_without_data_fails),
        cmocka_unit_test(test_check_good),
        cmocka_unit_test(test_check_missing_attributes),
        cmocka_unit_test(test_check_specversion),
        cmocka_unit_test(test_check_data),
        cmocka_unit_test(test_check_not_object),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
