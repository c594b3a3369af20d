/* billing_period: billing periods (calendar months in the billing time zone)
 * and the schedule of automatic runs. Pure: dates in, dates out. */
#ifndef BILLING_PERIOD_H
#define BILLING_PERIOD_H

#include "bp_time.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    int year, month; /* 2026, 10 */
} bl_period;

/* The years bl_period_parse accepts, as error messages name them. */
#define BL_PERIOD_RANGE_TEXT "2000-01 to 9999-12"

/* Parses exactly "YYYY-MM" (years 2000..9999). */
bool bl_period_parse(const char *text, bl_period *out);

/* Writes "YYYY-MM" into buf (>= 8 bytes). */
void bl_period_format(bl_period p, char *buf, size_t size);

/* First and last calendar day of the period. */
bp_date bl_period_first(bl_period p);
bp_date bl_period_last(bl_period p);

/* The period containing `d`, and the one before a period. */
bl_period bl_period_of(bp_date d);
bl_period bl_period_prev(bl_period p);

/* The schedule: a run on day `day` (1..28) of each month at `minute_of_day`
 * (0..1439) bills the month before. Given the local date and minute now,
 * returns true and the period due when the month's run time has passed. */
bool bl_schedule_due(bp_date today, int minute_now, int day, int minute_of_day, bl_period *due);

/* Parses "HH:MM" into minutes after midnight. */
bool bl_schedule_parse_time(const char *text, int *minute_of_day);

#endif
