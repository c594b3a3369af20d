/* billing_period: month arithmetic on bp_date. */
#include "billing_period.h"

#include <stdio.h>
#include <string.h>

bool bl_period_parse(const char *text, bl_period *out)
{
    if (text == NULL || strlen(text) != 7 || text[4] != '-')
        return false;
    int y = 0, m = 0;
    for (int i = 0; i < 7; i++) {
        if (i == 4)
            continue;
        if (text[i] < '0' || text[i] > '9')
            return false;
        if (i < 4)
            y = y * 10 + (text[i] - '0');
        else
            m = m * 10 + (text[i] - '0');
    }
    if (y < 2000 || m < 1 || m > 12)
        return false;
    out->year = y;
    out->month = m;
    return true;
}

void bl_period_format(bl_period p, char *buf, size_t size)
{
    snprintf(buf, size, "%04d-%02d", p.year, p.month);
}

bp_date bl_period_first(bl_period p) { return bp_date_from_ymd(p.year, p.month, 1); }

bp_date bl_period_last(bl_period p)
{
    bl_period next = p.month == 12 ? (bl_period){p.year + 1, 1} : (bl_period){p.year, p.month + 1};
    return bl_period_first(next) - 1;
}

bl_period bl_period_of(bp_date d)
{
    int day;
    bl_period p = {0, 0};
    bp_date_to_ymd(d, &p.year, &p.month, &day);
    return p;
}

bl_period bl_period_prev(bl_period p)
{
    return p.month == 1 ? (bl_period){p.year - 1, 12} : (bl_period){p.year, p.month - 1};
}

bool bl_schedule_due(bp_date today, int minute_now, int day, int minute_of_day, bl_period *due)
{
    bl_period current = bl_period_of(today);
    bp_date run_day = bl_period_first(current) + (day - 1);
    if (today < run_day || (today == run_day && minute_now < minute_of_day))
        return false;
    *due = bl_period_prev(current);
    return true;
}

bool bl_schedule_parse_time(const char *text, int *minute_of_day)
{
    if (text == NULL || strlen(text) != 5 || text[2] != ':')
        return false;
    for (int i = 0; i < 5; i++) {
        if (i != 2 && (text[i] < '0' || text[i] > '9'))
            return false;
    }
    int h = (text[0] - '0') * 10 + (text[1] - '0'), m = (text[3] - '0') * 10 + (text[4] - '0');
    if (h > 23 || m > 59)
        return false;
    *minute_of_day = h * 60 + m;
    return true;
}
