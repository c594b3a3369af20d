/* Unit tests of bp_sql: placeholder lists with casts, the parameter limit,
 * array literals with quotes, backslashes, NULL items and the empty array. */
#include "bp_sql.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_values_rows_and_casts(void **state)
{
    (void)state;
    static const char *const casts[] = {"::uuid", "", "::json"};
    char *sql = bp_sql_values("INSERT INTO t (a, b, c)", casts, 3, 2, "RETURNING 1");
    assert_string_equal(sql, "INSERT INTO t (a, b, c) VALUES ($1::uuid, $2, $3::json),"
                             " ($4::uuid, $5, $6::json) RETURNING 1");
    free(sql);
    sql = bp_sql_values("INSERT INTO t (a)", casts + 1, 1, 1, "");
    assert_string_equal(sql, "INSERT INTO t (a) VALUES ($1) ");
    free(sql);
}

static void test_values_parameter_limit(void **state)
{
    (void)state;
    static const char *const casts[] = {"", "", "", "", ""};
    char *sql = bp_sql_values("X", casts, 5, 13107, ""); /* 65,535 parameters */
    assert_non_null(sql);
    assert_non_null(strstr(sql, "$65535)"));
    assert_null(strstr(sql, "$65536"));
    free(sql);
    assert_null(bp_sql_values("X", casts, 5, 13108, "")); /* 65,540 */
    assert_null(bp_sql_values("X", casts, 5, 0, ""));
    assert_null(bp_sql_values("X", casts, 0, 3, ""));
}

static void test_array_escapes(void **state)
{
    (void)state;
    const char *items[] = {"plain", "with \"quote\"", "back\\slash", NULL, "", "a,b{c}"};
    char *lit = bp_sql_array(items, 6);
    assert_string_equal(lit, "{\"plain\",\"with \\\"quote\\\"\",\"back\\\\slash\",NULL,\"\","
                             "\"a,b{c}\"}");
    free(lit);
    lit = bp_sql_array(items, 0);
    assert_string_equal(lit, "{}");
    free(lit);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_rows_and_casts),
        cmocka_unit_test(test_values_parameter_limit),
        cmocka_unit_test(test_array_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
