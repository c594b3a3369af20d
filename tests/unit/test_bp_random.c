/* Unit tests of bp_random: UUID v4 shape and bits, references from Crockford's
 * base32 alphabet after a prefix, truncation to the buffer. */
#include "bp_random.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define CROCKFORD "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

static bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

static void test_uuid_format(void **state)
{
    for (int n = 0; n < 200; n++) {
        char buf[40];
        memset(buf, 'Q', sizeof buf);
        bp_uuid_v4(buf);
        assert_int_equal(strlen(buf), 36);
        assert_int_equal(buf[37], 'Q'); /* writes 37 bytes, no more */
        for (int i = 0; i < 36; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23)
                assert_int_equal(buf[i], '-');
            else if (!is_lower_hex(buf[i]))
                fail_msg("uuid %s: bad character at %d", buf, i);
        }
        assert_int_equal(buf[14], '4');           /* version 4 */
        assert_non_null(strchr("89ab", buf[19])); /* RFC 4122 variant 10xx */
    }
}

static void test_uuid_unique_and_random(void **state)
{
    enum { N = 64 };
    char ids[N][37];
    int seen_variant[4] = {0, 0, 0, 0};
    for (int i = 0; i < N; i++) {
        bp_uuid_v4(ids[i]);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(ids[i], ids[j]);
        seen_variant[strchr("89ab", ids[i][19]) - "89ab"]++;
    }
    /* The two free variant bits are random: with 64 draws, more than one value shows. */
    int distinct = 0;
    for (int k = 0; k < 4; k++)
        distinct += seen_variant[k] > 0;
    assert_true(distinct >= 2);
}

static void test_ref_alphabet_and_prefix(void **state)
{
    bool used[32] = {false};
    for (int n = 0; n < 300; n++) {
        char buf[32];
        bp_random_ref("CTR-", 10, buf, sizeof buf);
        assert_int_equal(strlen(buf), 14);
        assert_memory_equal(buf, "CTR-", 4);
        for (int i = 4; i < 14; i++) {
            const char *p = strchr(CROCKFORD, buf[i]);
            if (p == NULL || buf[i] == '\0')
                fail_msg("ref %s: '%c' is not Crockford base32", buf, buf[i]);
            used[p - CROCKFORD] = true;
        }
        assert_null(strpbrk(buf + 4, "ILOU"));
    }
    /* 3000 draws reach every one of the 32 symbols. */
    for (int k = 0; k < 32; k++)
        assert_true(used[k]);
}

static void test_ref_empty_prefix_and_zero_chars(void **state)
{
    char buf[16];
    bp_random_ref("", 8, buf, sizeof buf);
    assert_int_equal(strlen(buf), 8);
    assert_int_equal(strspn(buf, CROCKFORD), 8);
    bp_random_ref("INV-", 0, buf, sizeof buf);
    assert_string_equal(buf, "INV-");
}

static void test_ref_unique(void **state)
{
    char a[32], b[32];
    bp_random_ref("CTR-", 10, a, sizeof a);
    bp_random_ref("CTR-", 10, b, sizeof b);
    assert_string_not_equal(a, b);
}

static void test_ref_truncates(void **state)
{
    char buf[8];
    memset(buf, 'Q', sizeof buf);
    bp_random_ref("CTR-", 10, buf, sizeof buf);
    assert_int_equal(strlen(buf), 7);
    assert_memory_equal(buf, "CTR-", 4);
    assert_int_equal(strspn(buf + 4, CROCKFORD), 3);

    char tiny[3];
    bp_random_ref("CTR-", 10, tiny, sizeof tiny);
    assert_string_equal(tiny, "CT");

    char one[1] = {'Q'};
    bp_random_ref("CTR-", 10, one, sizeof one);
    assert_int_equal(one[0], '\0');

    char none = 'Q';
    bp_random_ref("CTR-", 10, &none, 0);
    assert_int_equal(none, 'Q'); /* size 0: nothing written */
}

static void test_ref_long(void **state)
{
    char buf[128];
    bp_random_ref("X", 64, buf, sizeof buf);
    assert_int_equal(strlen(buf), 65);
    assert_int_equal(strspn(buf + 1, CROCKFORD), 64);
}

/* The header documents a cap of 64 random characters. */
static void test_ref_more_than_64(void **state)
{
    char buf[128];
    bp_random_ref("X", 100, buf, sizeof buf);
    assert_int_equal(strlen(buf), 65);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid_format),
        cmocka_unit_test(test_uuid_unique_and_random),
        cmocka_unit_test(test_ref_alphabet_and_prefix),
        cmocka_unit_test(test_ref_empty_prefix_and_zero_chars),
        cmocka_unit_test(test_ref_unique),
        cmocka_unit_test(test_ref_truncates),
        cmocka_unit_test(test_ref_long),
        cmocka_unit_test(test_ref_more_than_64),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
