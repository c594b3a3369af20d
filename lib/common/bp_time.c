/* bp_time: time formatting and calendar arithmetic (Howard Hinnant's civil-date
 * algorithms), no time zone database needed for UTC dates. */
#include "bp_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t bp_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t bp_time_test_offset_s(const char *path)
{
    if (path == NULL || path[0] == '\0')
        return 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    long long v = 0;
    if (fscanf(f, "%lld", &v) != 1)
        v = 0;
    fclose(f);
    return (int64_t)v;
}

int64_t bp_time_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void bp_time_format_ms(int64_t ms, char *buf, size_t size)
{
    int64_t secs64 = ms / 1000, millis = ms % 1000;
    if (millis < 0) { /* floor, not truncation, before the epoch */
        millis += 1000;
        secs64 -= 1;
    }
    time_t secs = (time_t)secs64;
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)millis);
}

void bp_time_format_now(char *buf, size_t size) { bp_time_format_ms(bp_time_now_ms(), buf, size); }

bp_date bp_date_from_ymd(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (bp_date)(era * 146097 + doe - 719468);
}

void bp_date_to_ymd(bp_date z0, int *y, int *m, int *d)
{
    int z = z0 + 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const int doe = z - era * 146097;
    const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

bool bp_date_parse(const char *text, bp_date *out)
{
    if (text == NULL || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return false;
    int parts[3] = {0, 0, 0};
    const int starts[3] = {0, 5, 8}, lens[3] = {4, 2, 2};
    for (int p = 0; p < 3; p++) {
        for (int i = 0; i < lens[p]; i++) {
            char c = text[starts[p] + i];
            if (c < '0' || c > '9')
                return false;
            parts[p] = parts[p] * 10 + (c - '0');
        }
    }
    if (parts[0] < BP_DATE_YEAR_MIN || parts[1] < 1 || parts[1] > 12 || parts[2] < 1 ||
        parts[2] > days_in_month(parts[0], parts[1]))
        return false;
    *out = bp_date_from_ymd(parts[0], parts[1], parts[2]);
    return true;
}

int bp_date_year(bp_date d)
{
    int y, m, day;
    bp_date_to_ymd(d, &y, &m, &day);
    return y;
}

void bp_date_format(bp_date d, char *buf, size_t size)
{
    int y, m, day;
    bp_date_to_ymd(d, &y, &m, &day);
    snprintf(buf, size, "%04d-%02d-%02d", y, m, day);
}

static bool digits(const char *s, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *out = *out * 10 + (s[i] - '0');
    }
    return true;
}

bool bp_time_parse_rfc3339(const char *text, int64_t *ms)
{
    char date[11];
    if (text == NULL || strlen(text) < 20 || (text[10] != 'T' && text[10] != 't'))
        return false;
    memcpy(date, text, 10);
    date[10] = '\0';
    bp_date d;
    int hh, mm, ss;
    const char *p = text + 11;
    if (!bp_date_parse(date, &d) || !digits(p, 2, &hh) || p[2] != ':' || !digits(p + 3, 2, &mm) ||
        p[5] != ':' || !digits(p + 6, 2, &ss) || hh > 23 || mm > 59 || ss > 59)
        return false;
    p += 8;
    int millis = 0;
    if (*p == '.') {
        int n = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, n++) {
            if (n < 3)
                millis = millis * 10 + (*p - '0');
        }
        if (n == 0)
            return false;
        for (; n < 3; n++)
            millis *= 10;
    }
    int offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return false;
    }
    if (*p != '\0')
        return false;
    int64_t secs = (int64_t)d * 86400 + hh * 3600 + mm * 60 + ss - (int64_t)offset_min * 60;
    /* The instant itself, in UTC, must lie in the years a date may have: an offset
     * must not carry it past 9999-12-31 or before 1900-01-01, where it could not be
     * written back (bp_time_format_ms) nor given a calendar date. */
    int64_t first = (int64_t)bp_date_from_ymd(BP_DATE_YEAR_MIN, 1, 1) * 86400;
    int64_t end = ((int64_t)bp_date_from_ymd(9999, 12, 31) + 1) * 86400;
    if (secs < first || secs >= end)
        return false;
    *ms = secs * 1000 + millis;
    return true;
}

bp_date bp_date_local(int64_t ms)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    return bp_date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

bp_date bp_date_today_utc(void) { return (bp_date)(bp_time_now_ms() / 86400000); }

bool bp_time_zone_known(const char *name)
{
    char path[300];
    if (name == NULL || name[0] == '\0' || name[0] == '/' || strstr(name, "..") != NULL)
        return false;
    if (snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name) >= (int)sizeof path)
        return false;
    /* A zone is a TZif file: not a folder ("Europe") nor an index ("zone.tab"). */
    FILE *f = fopen(path, "rb");
    char magic[4] = {0};
    bool zone = f != NULL && fread(magic, 1, sizeof magic, f) == sizeof magic &&
                memcmp(magic, "TZif", 4) == 0;
    if (f != NULL)
        fclose(f);
    return zone;
}
