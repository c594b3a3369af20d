/* Unit tests of payment_bank: the simulated bank's rules (BP_BANK_FAIL_MANDATES
 * parsing, the order of its decisions, the AM04 threshold at its boundary),
 * the SEPA reason texts and the interface's dispatch. */
#include "payment_bank.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static pm_bank_rules *parse_ok(const char *spec, int64_t above)
{
    char err[256] = "";
    pm_bank_rules *r = pm_bank_rules_parse(spec, above, err, sizeof err);
    if (r == NULL)
        fail_msg("'%s' should parse: %s", spec, err);
    return r;
}

static void expect(const pm_bank_rules *r, const char *mandate, int64_t amount, bool ok,
                   const char *code)
{
    pm_bank_result res;
    pm_bank_rules_decide(r, mandate, amount, 0, &res);
    assert_int_equal(res.ok, ok);
    assert_string_equal(res.reason_code, code);
    if (ok)
        assert_string_equal(res.reason, "");
    else
        assert_string_equal(res.reason, pm_sepa_reason_text(code));
}

static void test_parse_and_decide(void **state)
{
    (void)state;
    pm_bank_rules *r = parse_ok("MDT-X:MD01,MDT-Y:AC04", 0);
    expect(r, "MDT-X", 100, false, "MD01");
    expect(r, "MDT-Y", 100, false, "AC04");
    expect(r, "MDT-Z", 100, true, "");
    expect(r, "MDT-XX", 100, true, "");                      /* whole references only */
    expect(r, "mdt-x", 100, true, "");                       /* case matters */
    expect(r, "MDT-Z", INT64_C(1000000000000000), true, ""); /* threshold 0: never AM04 */
    pm_bank_rules_free(r);
}

static void test_spaces_and_empty(void **state)
{
    (void)state;
    pm_bank_rules *r = parse_ok("  MDT-A : MS03 ,\tMDT-B:AM04  ", 0);
    expect(r, "MDT-A", 1, false, "MS03");
    expect(r, "MDT-B", 1, false, "AM04");
    pm_bank_rules_free(r);
    r = parse_ok("", 0);
    expect(r, "MDT-A", 1, true, "");
    pm_bank_rules_free(r);
    r = parse_ok("   ", 0);
    expect(r, "MDT-A", 1, true, "");
    pm_bank_rules_free(r);
    r = parse_ok(NULL, 0);
    expect(r, "MDT-A", 1, true, "");
    pm_bank_rules_free(r);
}

/* "MANDATE:CODE:N": the first N collections of the mandate fail, then booked. */
static void test_first_n(void **state)
{
    (void)state;
    pm_bank_rules *r = parse_ok("MDT-AM:AM04:2, MDT-D:MD07", 0);
    pm_bank_result res;
    for (int64_t earlier = 0; earlier < 4; earlier++) {
        pm_bank_rules_decide(r, "MDT-AM", 100, earlier, &res);
        assert_int_equal(res.ok, earlier >= 2);
        assert_string_equal(res.reason_code, earlier >= 2 ? "" : "AM04");
        pm_bank_rules_decide(r, "MDT-D", 100, earlier, &res); /* without N: always */
        assert_false(res.ok);
        assert_string_equal(res.reason_code, "MD07");
        assert_string_equal(res.reason, "debtor deceased");
    }
    pm_bank_rules_free(r);
    const char *bad[] = {"MDT-X:AM04:", "MDT-X:AM04:0", "MDT-X:AM04:x", "MDT-X:AM04:1001",
                         "MDT-X:AM04:2:3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        if (pm_bank_rules_parse(bad[i], 0, err, sizeof err) != NULL)
            fail_msg("'%s' should be refused", bad[i]);
    }
}

static void test_parse_errors(void **state)
{
    (void)state;
    const char *bad[] = {"MDT-X",      "MDT-X:",      ":MD01",
                         "MDT-X:MD1",  "MDT-X:MD012", "MDT-X:md01",
                         "MDT-X:MD-1", "MDT-X:MD01,", "MDT-X:MD01,,MDT-Y:AC04",
                         ","};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        pm_bank_rules *r = pm_bank_rules_parse(bad[i], 0, err, sizeof err);
        if (r != NULL)
            fail_msg("'%s' should be refused", bad[i]);
        assert_non_null(strstr(err, "BP_BANK_FAIL_MANDATES"));
    }
    char longref[200];
    memset(longref, 'A', 101);
    snprintf(longref + 101, sizeof longref - 101, ":MD01");
    char err[256] = "";
    assert_null(pm_bank_rules_parse(longref, 0, err, sizeof err));
    assert_null(pm_bank_rules_parse("", -1, err, sizeof err));
    assert_non_null(strstr(err, "BP_BANK_INSUFFICIENT_ABOVE_MINOR"));
}

static void test_threshold_boundary(void **state)
{
    (void)state;
    pm_bank_rules *r = parse_ok("MDT-X:MD01", 100000);
    expect(r, "MDT-OK", 99999, true, "");
    expect(r, "MDT-OK", 100000, true, ""); /* "above" is strict */
    expect(r, "MDT-OK", 100001, false, "AM04");
    expect(r, "MDT-X", 100001, false, "MD01"); /* the mandate rule comes first */
    pm_bank_rules_free(r);
}

static void test_no_mandate(void **state)
{
    (void)state;
    pm_bank_rules *r = parse_ok("", 0);
    expect(r, "", 1, false, "MD01");
    expect(r, NULL, 1, false, "MD01");
    pm_bank_rules_free(r);
}

static void test_reason_texts(void **state)
{
    (void)state;
    assert_string_equal(pm_sepa_reason_text("AM04"), "insufficient funds");
    assert_string_equal(pm_sepa_reason_text("MD01"), "no valid mandate");
    assert_string_equal(pm_sepa_reason_text("AC04"), "account closed");
    assert_string_equal(pm_sepa_reason_text("MS03"), "reason not specified");
    assert_string_equal(pm_sepa_reason_text("ZZ99"), "rejected by the debtor's bank");
    assert_string_equal(pm_sepa_reason_text(NULL), "rejected by the debtor's bank");
    pm_bank_result res = {.ok = true};
    pm_bank_result_reject(&res, "AC04");
    assert_false(res.ok);
    assert_string_equal(res.reason_code, "AC04");
    assert_string_equal(res.reason, "account closed");
}

/* A fake bank: records its arguments, answers what it was told. */
typedef struct {
    char e2e[64], mandate[64], currency[4];
    int64_t amount;
    int calls;
    bool freed;
} fake;

static pm_bank_status fake_collect(void *impl, const char *e2e, const char *mandate, int64_t amount,
                                   const char *currency, pm_bank_result *res)
{
    fake *f = impl;
    f->calls++;
    snprintf(f->e2e, sizeof f->e2e, "%s", e2e);
    snprintf(f->mandate, sizeof f->mandate, "%s", mandate);
    snprintf(f->currency, sizeof f->currency, "%s", currency);
    f->amount = amount;
    assert_false(res->ok); /* cleared by pm_bank_collect */
    assert_string_equal(res->reason_code, "");
    res->ok = true;
    return PM_BANK_ANSWERED;
}

static void fake_free(void *impl) { ((fake *)impl)->freed = true; }

static void test_interface_dispatch(void **state)
{
    (void)state;
    fake f = {0};
    pm_bank *bank = calloc(1, sizeof *bank);
    bank->impl = &f;
    bank->collect = fake_collect;
    bank->free = fake_free;
    pm_bank_result res;
    memset(&res, 0x55, sizeof res);
    assert_int_equal(pm_bank_collect(bank, "INV-1", "MDT-1", 2108, "EUR", &res), PM_BANK_ANSWERED);
    assert_true(res.ok);
    assert_int_equal(f.calls, 1);
    assert_string_equal(f.e2e, "INV-1");
    assert_string_equal(f.mandate, "MDT-1");
    assert_string_equal(f.currency, "EUR");
    assert_int_equal(f.amount, 2108);
    pm_bank_free(bank);
    assert_true(f.freed);
    pm_bank_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_decide),   cmocka_unit_test(test_spaces_and_empty),
        cmocka_unit_test(test_parse_errors),       cmocka_unit_test(test_first_n),
        cmocka_unit_test(test_threshold_boundary), cmocka_unit_test(test_no_mandate),
        cmocka_unit_test(test_reason_texts),       cmocka_unit_test(test_interface_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
