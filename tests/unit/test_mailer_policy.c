/* Unit tests of mailer_policy (what an SMTP attempt proved, what an attempt
 * interrupted by a crash means, backoff, giving up). These are the rules that
 * decide whether a mail may be sent again. */
#include "mailer_policy.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_transfer_outcomes(void **state)
{
    /* 250 to the end of the message. */
    assert_int_equal(ml_smtp_outcome(true, true, 250, false), ML_OUTCOME_ACCEPTED);
    /* Refused before the message: RCPT 450, MAIL 550, no server at all. */
    assert_int_equal(ml_smtp_outcome(false, false, 450, false), ML_OUTCOME_REFUSED);
    assert_int_equal(ml_smtp_outcome(false, false, 550, false), ML_OUTCOME_REFUSED);
    assert_int_equal(ml_smtp_outcome(false, false, 0, false), ML_OUTCOME_FAILED);
    /* Connection lost in the middle of the body: the server has nothing. */
    assert_int_equal(ml_smtp_outcome(false, false, 354, false), ML_OUTCOME_FAILED);
    /* We aborted (shutdown, or the DATA_SENT mark could not be recorded). */
    assert_int_equal(ml_smtp_outcome(false, false, 354, true), ML_OUTCOME_INTERRUPTED);
    /* After the end of the message: a 4xx/5xx verdict is a refusal... */
    assert_int_equal(ml_smtp_outcome(false, true, 451, false), ML_OUTCOME_REFUSED);
    assert_int_equal(ml_smtp_outcome(false, true, 554, false), ML_OUTCOME_REFUSED);
    /* ...no verdict (timeout, connection lost; 354 still the last reply) is unknown. */
    assert_int_equal(ml_smtp_outcome(false, true, 354, false), ML_OUTCOME_UNCERTAIN);
    assert_int_equal(ml_smtp_outcome(false, true, 0, false), ML_OUTCOME_UNCERTAIN);
}

static void test_orphans(void **state)
{
    /* Died before the end of the message: sending again cannot duplicate. */
    assert_int_equal(ml_orphan_outcome(ML_STAGE_STARTED), ML_OUTCOME_INTERRUPTED);
    /* Died after handing it over: the server may have it. */
    assert_int_equal(ml_orphan_outcome(ML_STAGE_DATA_SENT), ML_OUTCOME_UNCERTAIN);
    assert_int_equal(ml_stage_parse("STARTED"), ML_STAGE_STARTED);
    assert_int_equal(ml_stage_parse("DATA_SENT"), ML_STAGE_DATA_SENT);
    /* Anything unknown is taken on the careful side. */
    assert_int_equal(ml_stage_parse("???"), ML_STAGE_DATA_SENT);
    assert_int_equal(ml_stage_parse(NULL), ML_STAGE_DATA_SENT);
    assert_string_equal(ml_stage_name(ML_STAGE_DATA_SENT), "DATA_SENT");
    assert_string_equal(ml_outcome_name(ML_OUTCOME_UNCERTAIN), "UNCERTAIN");
    assert_string_equal(ml_outcome_name(ML_OUTCOME_INTERRUPTED), "INTERRUPTED");
    assert_string_equal(ml_outcome_name(ML_OUTCOME_ACCEPTED), "ACCEPTED");
}

static void test_backoff(void **state)
{
    static const int64_t want[] = {1000,  2000,   4000,   8000,   16000,  32000,
                                   64000, 128000, 256000, 300000, 300000, 300000};
    for (int i = 0; i < (int)(sizeof want / sizeof want[0]); i++)
        assert_int_equal(ml_backoff_ms(i + 1, 1000, 300000), want[i]);
    assert_int_equal(ml_backoff_ms(1000000, 1000, 300000), 300000);
    assert_int_equal(ml_backoff_ms(3, 200, 500), 500);
    assert_int_equal(ml_backoff_ms(0, 200, 500), 200);
}

static void test_give_up(void **state)
{
    assert_false(ml_give_up(1000000, 0));
    assert_false(ml_give_up(2, 3));
    assert_true(ml_give_up(3, 3));
    assert_true(ml_give_up(4, 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfer_outcomes),
        cmocka_unit_test(test_orphans),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_give_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
