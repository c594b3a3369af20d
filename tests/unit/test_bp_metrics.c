/* Unit tests of bp_metrics: the text format of counters and gauges with and
 * without a label, HELP/TYPE once per name, label values copied and escaped,
 * and the latency histogram's cumulative buckets. */
#include "bp_metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_counter_and_gauge(void **state)
{
    (void)state;
    bp_metrics_counter_add("t_plain_total", "Plain.", 2);
    bp_metrics_counter_add("t_plain_total", "Plain.", 3);
    bp_metrics_gauge_set("t_gauge", "A gauge.", 7);
    bp_metrics_gauge_set("t_gauge", "A gauge.", 4);
    char *text = bp_metrics_render();
    assert_non_null(text);
    assert_non_null(strstr(text, "# TYPE t_plain_total counter\nt_plain_total 5\n"));
    assert_non_null(strstr(text, "# TYPE t_gauge gauge\nt_gauge 4\n"));
    free(text);
}

static void test_label_value_is_copied(void **state)
{
    (void)state;
    char reason[16];
    strcpy(reason, "AM04");
    bp_metrics_counter_add_label("t_by_reason_total", "reason", reason, "By reason.", 1);
    strcpy(reason, "MD01"); /* the caller's buffer changes: the series keeps its value */
    bp_metrics_counter_add_label("t_by_reason_total", "reason", reason, "By reason.", 2);
    strcpy(reason, "AM04");
    bp_metrics_counter_add_label("t_by_reason_total", "reason", reason, "By reason.", 1);
    bp_metrics_gauge_set_label("t_lag", "group", "billing", "Lag.", 12);
    bp_metrics_gauge_set_label("t_lag", "group", "billing", "Lag.", 3);
    char *text = bp_metrics_render();
    assert_non_null(text);
    assert_non_null(strstr(text, "t_by_reason_total{reason=\"AM04\"} 2\n"));
    assert_non_null(strstr(text, "t_by_reason_total{reason=\"MD01\"} 2\n"));
    assert_int_equal(count_of(text, "# TYPE t_by_reason_total counter"), 1);
    assert_non_null(strstr(text, "# TYPE t_lag gauge\nt_lag{group=\"billing\"} 3\n"));
    free(text);
}

static void test_label_value_is_escaped_and_bounded(void **state)
{
    (void)state;
    bp_metrics_counter_add_label("t_escaped_total", "v", "a\"b\\c\nd", "Escaped.", 1);
    char longer[200];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    bp_metrics_counter_add_label("t_long_total", "v", longer, "Long.", 1);
    char *text = bp_metrics_render();
    assert_non_null(text);
    assert_non_null(strstr(text, "t_escaped_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"));
    const char *l = strstr(text, "t_long_total{v=\"");
    assert_non_null(l);
    const char *end = strchr(l + strlen("t_long_total{v=\""), '"');
    assert_non_null(end);
    assert_int_equal(end - (l + strlen("t_long_total{v=\"")), 63);
    free(text);
}

static void test_histogram_is_cumulative(void **state)
{
    (void)state;
    bp_metrics_http_observe("/t", "GET", 200, 0.003);
    bp_metrics_http_observe("/t", "GET", 200, 0.2);
    bp_metrics_http_observe("/t", "GET", 200, 9.0);
    char *text = bp_metrics_render();
    assert_non_null(text);
    const char *lbl = "route=\"/t\",method=\"GET\",status=\"200\"";
    char line[256];
    snprintf(line, sizeof line, "bp_http_request_duration_seconds_bucket{%s,le=\"0.0025\"} 0\n",
             lbl);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "bp_http_request_duration_seconds_bucket{%s,le=\"0.005\"} 1\n",
             lbl);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "bp_http_request_duration_seconds_bucket{%s,le=\"0.25\"} 2\n", lbl);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "bp_http_request_duration_seconds_bucket{%s,le=\"5\"} 2\n", lbl);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "bp_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} 3\n", lbl);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "bp_http_request_duration_seconds_count{%s} 3\n", lbl);
    assert_non_null(strstr(text, line));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_and_gauge),
        cmocka_unit_test(test_label_value_is_copied),
        cmocka_unit_test(test_label_value_is_escaped_and_bounded),
        cmocka_unit_test(test_histogram_is_cumulative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
