/* Unit tests of bp_dead_letter: the document parked for a message nobody can
 * handle keeps its coordinates and reason, turns bytes that are not UTF-8 into
 * '?', and stays small whatever the size of the message. */
#include "bp_dead_letter.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_small_message_whole(void **state)
{
    (void)state;
    char value[] = "not json \xff\xfe at all";
    char key[] = "0b7e6c1e";
    rd_kafka_message_t msg = {.partition = 2,
                              .offset = 41,
                              .payload = value,
                              .len = sizeof value - 1,
                              .key = key,
                              .key_len = sizeof key - 1};
    json_t *doc = bp_dead_letter_doc("invoice-mailer", &msg, "not JSON: invalid token");
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(text, "{\"consumer\":\"invoice-mailer\",\"topic\":\"\",\"partition\":2,"
                              "\"offset\":41,\"key\":\"0b7e6c1e\",\"reason\":\"not JSON: invalid "
                              "token\",\"value\":\"not json ?? at all\",\"valueBytes\":18,"
                              "\"valueTruncated\":false}");
    free(text);
    json_decref(doc);
}

static void test_absent_key_and_value(void **state)
{
    (void)state;
    rd_kafka_message_t msg = {.partition = 0, .offset = 7};
    json_t *doc = bp_dead_letter_doc("payment", &msg, "empty");
    assert_true(json_is_null(json_object_get(doc, "key")));
    assert_true(json_is_null(json_object_get(doc, "value")));
    assert_int_equal(json_integer_value(json_object_get(doc, "valueBytes")), 0);
    json_decref(doc);
    msg.payload = "{\"caf\xc3\xa9\":1"; /* valid UTF-8 kept as is */
    msg.len = strlen(msg.payload);
    doc = bp_dead_letter_doc("payment", &msg, "r");
    assert_string_equal(json_string_value(json_object_get(doc, "value")), "{\"caf\xc3\xa9\":1");
    assert_true(json_is_false(json_object_get(doc, "valueTruncated")));
    json_decref(doc);
}

/* A value larger than the limit is cut; a cut inside a character moves back to
 * its first byte, so valid UTF-8 stays valid and nothing turns into '?'. */
static void test_large_value_cut_at_character(void **state)
{
    (void)state;
    size_t len = 3 * (size_t)BP_DEAD_LETTER_MAX_VALUE;
    char *big = malloc(len);
    assert_non_null(big);
    memset(big, 'a', len);
    /* "é" (2 bytes) straddling the limit: its first byte at MAX - 1. */
    big[BP_DEAD_LETTER_MAX_VALUE - 1] = (char)0xc3;
    big[BP_DEAD_LETTER_MAX_VALUE] = (char)0xa9;
    rd_kafka_message_t msg = {.payload = big, .len = len};
    json_t *doc = bp_dead_letter_doc("invoice-mailer", &msg, "too large");
    const char *value = json_string_value(json_object_get(doc, "value"));
    assert_non_null(value);
    assert_int_equal(strlen(value), BP_DEAD_LETTER_MAX_VALUE - 1);
    assert_null(strchr(value, '?'));
    assert_int_equal(json_integer_value(json_object_get(doc, "valueBytes")), len);
    assert_true(json_is_true(json_object_get(doc, "valueTruncated")));
    json_decref(doc);
    /* Exactly the limit: kept whole. */
    memset(big, 'b', len);
    msg.len = BP_DEAD_LETTER_MAX_VALUE;
    doc = bp_dead_letter_doc("invoice-mailer", &msg, "limit");
    assert_int_equal(strlen(json_string_value(json_object_get(doc, "value"))),
                     BP_DEAD_LETTER_MAX_VALUE);
    assert_true(json_is_false(json_object_get(doc, "valueTruncated")));
    json_decref(doc);
    free(big);
}

/* Key and reason of any size or bytes still make a document and a key that
 * fit and are valid text: cut at a character boundary, bad bytes as '?'. */
static void test_key_and_reason_bounded(void **state)
{
    (void)state;
    size_t len = 3 * (size_t)BP_DEAD_LETTER_MAX_TEXT;
    char *key = malloc(len);
    assert_non_null(key);
    for (size_t i = 0; i + 1 < len; i += 2) { /* "éééé...": a cut must not split one */
        key[i] = (char)0xc3;
        key[i + 1] = (char)0xa9;
    }
    key[len - 1] = 'x';
    char reason[2 * BP_DEAD_LETTER_MAX_TEXT];
    memset(reason, 'r', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    reason[10] = (char)0xff; /* not UTF-8: a database error quoting bad data */
    rd_kafka_message_t msg = {.payload = "v", .len = 1, .key = key, .key_len = len};
    json_t *doc = bp_dead_letter_doc("billing", &msg, reason);
    assert_non_null(doc);
    const char *k = json_string_value(json_object_get(doc, "key"));
    assert_int_equal(strlen(k), BP_DEAD_LETTER_MAX_TEXT);
    assert_null(strchr(k, '?'));
    const char *r = json_string_value(json_object_get(doc, "reason"));
    assert_int_equal(strlen(r), BP_DEAD_LETTER_MAX_TEXT);
    assert_int_equal(r[10], '?');
    char out[BP_DEAD_LETTER_MAX_TEXT + 1];
    bp_dead_letter_key(&msg, out, sizeof out);
    assert_string_equal(out, k); /* the Kafka key is the document's key */
    json_decref(doc);
    char small[8];
    bp_dead_letter_key(&msg, small, sizeof small); /* 7 bytes: 3 whole "é" */
    assert_int_equal(strlen(small), 6);
    msg.key = "a\0b";
    msg.key_len = 3;
    bp_dead_letter_key(&msg, small, sizeof small);
    assert_string_equal(small, "a?b"); /* a SQL text holds no NUL */
    msg.key = NULL;
    bp_dead_letter_key(&msg, small, sizeof small);
    assert_string_equal(small, "");
    free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_message_whole),
        cmocka_unit_test(test_absent_key_and_value),
        cmocka_unit_test(test_large_value_cut_at_character),
        cmocka_unit_test(test_key_and_reason_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
