/* fuzz_time: dates, timestamps, billing periods and run times as text, through
 * bp_date_parse, bp_time_parse_rfc3339, bl_period_parse (GET /invoices?period=,
 * POST /billing-runs) and bl_schedule_parse_time (BP_BILLING_RUN_TIME). Invariants: an
 * exact format reads back as the same text once written; a timestamp read, written
 * (bp_time_format_ms) and read again is the same instant; a run time is a minute of
 * the day. */
#include "billing_period.h"
#include "bp_time.h"
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_cstring(data, size);
    char buf[40];
    bp_date d;
    if (bp_date_parse(text, &d)) {
        bp_date_format(d, buf, sizeof buf);
        FZ_CHECK(strcmp(buf, text) == 0, "a date is written as it was read");
    }
    int64_t ms, again;
    if (bp_time_parse_rfc3339(text, &ms)) {
        bp_time_format_ms(ms, buf, sizeof buf);
        FZ_CHECK(bp_time_parse_rfc3339(buf, &again) && again == ms,
                 "a timestamp written reads back as the same instant");
    }
    bl_period p;
    if (bl_period_parse(text, &p)) {
        bl_period_format(p, buf, sizeof buf);
        FZ_CHECK(strcmp(buf, text) == 0, "a period is written as it was read");
        FZ_CHECK(bl_period_first(p) <= bl_period_last(p), "a period has days");
    }
    int minute;
    if (bl_schedule_parse_time(text, &minute))
        FZ_CHECK(minute >= 0 && minute < 24 * 60, "a run time is a minute of the day");
    free(text);
    return 0;
}
