/* bp_time: clocks, RFC 3339 timestamps and calendar dates (YYYY-MM-DD).
 * Pure functions except the ones reading the clock. */
#ifndef BP_TIME_H
#define BP_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Milliseconds since the Unix epoch (wall clock). */
int64_t bp_time_now_ms(void);

/* The test clock's offset in seconds: the integer (may be negative) that the
 * file `path` holds, read at every call so that a test can move time forward
 * without sleeping. 0 when `path` is NULL or empty (the default: no test
 * clock), or the file is missing or holds no integer. Only daemons started
 * with their test-only BP_TEST_CLOCK_FILE setting call it with a path. */
int64_t bp_time_test_offset_s(const char *path);

/* Monotonic clock in microseconds, for durations. */
int64_t bp_time_mono_us(void);

/* Writes the current UTC time as "2026-11-23T16:14:04.123Z" into buf (>= 25 bytes). */
void bp_time_format_now(char *buf, size_t size);

/* Writes `ms` (epoch milliseconds) as an RFC 3339 UTC timestamp into buf (>= 25 bytes). */
void bp_time_format_ms(int64_t ms, char *buf, size_t size);

/* A calendar date as days since 1970-01-01 (may be negative). */
typedef int32_t bp_date;

/* The years bp_date_parse accepts, and the words error messages use for them. */
#define BP_DATE_YEAR_MIN 1900
#define BP_DATE_RANGE_TEXT "years 1900 to 9999"

/* Parses exactly "YYYY-MM-DD" (a real calendar day, years BP_DATE_YEAR_MIN..9999).
 * Returns false on anything else; *out is untouched then. */
bool bp_date_parse(const char *text, bp_date *out);

/* Writes `d` as "YYYY-MM-DD" into buf (>= 11 bytes). */
void bp_date_format(bp_date d, char *buf, size_t size);

/* Parses an RFC 3339 timestamp with an offset ("2026-10-31T23:59:00+01:00",
 * "2026-10-31T22:59:00.5Z") into epoch milliseconds. Returns false on anything
 * else (missing offset, impossible date or time, an instant whose UTC year is
 * outside BP_DATE_YEAR_MIN..9999, as "9999-12-31T23:59:59-01:00" is). */
bool bp_time_parse_rfc3339(const char *text, int64_t *ms);

/* The calendar date of instant `ms` in the process's local time zone (TZ). */
bp_date bp_date_local(int64_t ms);

/* Today's date in UTC. */
bp_date bp_date_today_utc(void);

/* True when `name` is a time zone of the system's tzdata ("Europe/Paris"):
 * a TZif file under /usr/share/zoneinfo, the name without "..". */
bool bp_time_zone_known(const char *name);

/* Days from civil date (proleptic Gregorian), and back. */
bp_date bp_date_from_ymd(int y, int m, int d);
void bp_date_to_ymd(bp_date d, int *y, int *m, int *day);

/* The year of a date. */
int bp_date_year(bp_date d);

#endif
