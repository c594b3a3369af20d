/* bp_log: JSON-lines logging to stdout, one object per line:
 * {"time":"…","level":"info","service":"contract","msg":"…", …fields}.
 * Thread-safe: each line is built in memory and written with one write(2). */
#ifndef BP_LOG_H
#define BP_LOG_H

#include <jansson.h>
#include <stdbool.h>

typedef enum { BP_LOG_DEBUG = 0, BP_LOG_INFO, BP_LOG_WARN, BP_LOG_ERROR } bp_log_level;

/* Sets the service name printed on every line and the minimum level.
 * Call once at start, before other threads run. `service` must outlive logging. */
void bp_log_init(const char *service, bp_log_level min_level);

/* Parses "debug", "info", "warn" or "error". Returns false on anything else. */
bool bp_log_level_parse(const char *text, bp_log_level *out);

/* The level names, in order (debug, info, warn, error), NULL-terminated. */
extern const char *const bp_log_level_names[];

/* Logs `msg` (printf format) at `level`. */
void bp_log(bp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Logs `msg` with extra fields. Takes ownership of `fields` (a JSON object, may be NULL). */
void bp_log_fields(bp_log_level level, json_t *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define bp_log_debug(...) bp_log(BP_LOG_DEBUG, __VA_ARGS__)
#define bp_log_info(...) bp_log(BP_LOG_INFO, __VA_ARGS__)
#define bp_log_warn(...) bp_log(BP_LOG_WARN, __VA_ARGS__)
#define bp_log_error(...) bp_log(BP_LOG_ERROR, __VA_ARGS__)

#endif
