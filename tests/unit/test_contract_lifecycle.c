/* Unit tests of contract_lifecycle: the whole transition table (every status x
 * every action, written here from docs/contract-api.md), final states, names. */
#include "contract_lifecycle.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define NO (-1)
#define CR CT_STATUS_CREATED
#define AC CT_STATUS_ACTIVE
#define SU CT_STATUS_SUSPENDED
#define CA CT_STATUS_CANCELLED
#define EX CT_STATUS_EXPIRED

/* expected[from][action]: the status reached, or NO. Columns in ct_action order:
 * create, activate, suspend, reactivate, cancel, expire, sign mandate,
 * revoke mandate, change credit limit. */
static const int expected[CT_STATUS_COUNT][CT_ACTION_COUNT] = {
    [CT_STATUS_CREATED] = {NO, AC, NO, NO, CA, EX, CR, CR, CR},
    [CT_STATUS_ACTIVE] = {NO, NO, SU, NO, CA, EX, AC, AC, AC},
    [CT_STATUS_SUSPENDED] = {NO, NO, NO, AC, CA, EX, SU, SU, SU},
    [CT_STATUS_CANCELLED] = {NO, NO, NO, NO, NO, NO, NO, NO, NO},
    [CT_STATUS_EXPIRED] = {NO, NO, NO, NO, NO, NO, NO, NO, NO},
};

static void test_transition_table(void **state)
{
    int checked = 0;
    for (int s = 0; s < CT_STATUS_COUNT; s++) {
        for (int a = 0; a < CT_ACTION_COUNT; a++) {
            ct_status to = CT_STATUS_COUNT;
            bool ok = ct_transition((ct_status)s, (ct_action)a, &to);
            int want = expected[s][a];
            if (ok != (want != NO))
                fail_msg("%s from %s: allowed=%d, expected %d", ct_action_verb((ct_action)a),
                         ct_status_name((ct_status)s), ok, want != NO);
            if (ok && (int)to != want)
                fail_msg("%s from %s leads to %s, expected %s", ct_action_verb((ct_action)a),
                         ct_status_name((ct_status)s), ct_status_name(to),
                         ct_status_name((ct_status)want));
            if (!ok)
                assert_int_equal(to, CT_STATUS_COUNT); /* untouched when refused */
            checked++;
        }
    }
    assert_int_equal(checked, 45);
}

static void test_final_states(void **state)
{
    static const ct_status finals[] = {CT_STATUS_CANCELLED, CT_STATUS_EXPIRED};
    for (size_t i = 0; i < 2; i++) {
        for (int a = 0; a < CT_ACTION_COUNT; a++) {
            ct_status to;
            assert_false(ct_transition(finals[i], (ct_action)a, &to));
        }
    }
    /* Every other status can still reach both final states. */
    for (int s = CT_STATUS_CREATED; s <= CT_STATUS_SUSPENDED; s++) {
        ct_status to;
        assert_true(ct_transition((ct_status)s, CT_ACTION_CANCEL, &to));
        assert_int_equal(to, CT_STATUS_CANCELLED);
        assert_true(ct_transition((ct_status)s, CT_ACTION_EXPIRE, &to));
        assert_int_equal(to, CT_STATUS_EXPIRED);
    }
}

static void test_transition_out_of_range(void **state)
{
    ct_status to = CT_STATUS_ACTIVE;
    assert_false(ct_transition(CT_STATUS_COUNT, CT_ACTION_CANCEL, &to));
    assert_false(ct_transition(CT_STATUS_ACTIVE, CT_ACTION_COUNT, &to));
    assert_false(ct_transition((ct_status)-1, CT_ACTION_CANCEL, &to));
    assert_false(ct_transition(CT_STATUS_ACTIVE, (ct_action)-1, &to));
    assert_int_equal(to, CT_STATUS_ACTIVE);
}

static void test_event_types(void **state)
{
    static const char *const want[CT_ACTION_COUNT] = {
        "contract.created",        "contract.activated",       "contract.suspended",
        "contract.reactivated",    "contract.cancelled",       "contract.expired",
        "contract.mandate-signed", "contract.mandate-revoked", "contract.credit-limit-changed",
    };
    for (int a = 0; a < CT_ACTION_COUNT; a++)
        assert_string_equal(ct_action_event_type((ct_action)a), want[a]);
    assert_null(ct_action_event_type(CT_ACTION_COUNT));
    assert_null(ct_action_event_type((ct_action)-1));
}

static void test_action_verbs(void **state)
{
    for (int a = 0; a < CT_ACTION_COUNT; a++) {
        const char *v = ct_action_verb((ct_action)a);
        assert_non_null(v);
        assert_true(v[0] != '\0');
    }
    assert_string_equal(ct_action_verb(CT_ACTION_SUSPEND), "suspend");
    assert_string_equal(ct_action_verb(CT_ACTION_REVOKE_MANDATE), "revoke the mandate of");
    assert_string_equal(ct_action_verb(CT_ACTION_COUNT), "change");
}

static void test_status_names_and_parse(void **state)
{
    static const char *const names[CT_STATUS_COUNT] = {"CREATED", "ACTIVE", "SUSPENDED",
                                                       "CANCELLED", "EXPIRED"};
    for (int s = 0; s < CT_STATUS_COUNT; s++) {
        assert_string_equal(ct_status_name((ct_status)s), names[s]);
        ct_status out = CT_STATUS_COUNT;
        assert_true(ct_status_parse(names[s], &out));
        assert_int_equal(out, s);
    }
    assert_null(ct_status_name(CT_STATUS_COUNT));
    assert_null(ct_status_name((ct_status)-1));
    static const char *const bad[] = {"",      "active",  "Active",  "ACTIVE ",
                                      "ACTIV", "DELETED", "CANCELED"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ct_status out = CT_STATUS_COUNT;
        assert_false(ct_status_parse(bad[i], &out));
        assert_int_equal(out, CT_STATUS_COUNT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transition_table),
        cmocka_unit_test(test_final_states),
        cmocka_unit_test(test_transition_out_of_range),
        cmocka_unit_test(test_event_types),
        cmocka_unit_test(test_action_verbs),
        cmocka_unit_test(test_status_names_and_parse),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
