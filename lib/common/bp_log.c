/* bp_log: JSON-lines logger. Owns the format of log lines, nothing else.
 * Called from any thread; lines are written atomically with one write(2). */
#include "bp_log.h"

#include "bp_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_service = "boissipay";
static bp_log_level log_min = BP_LOG_INFO;

void bp_log_init(const char *service, bp_log_level min_level)
{
    log_service = service;
    log_min = min_level;
}

const char *const bp_log_level_names[] = {"debug", "info", "warn", "error", NULL};

bool bp_log_level_parse(const char *text, bp_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(text, bp_log_level_names[i]) == 0) {
            *out = (bp_log_level)i;
            return true;
        }
    }
    return false;
}

static void log_emit(bp_log_level level, json_t *fields, const char *fmt, va_list ap)
{
    if (level < log_min) {
        json_decref(fields);
        return;
    }
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    char now[40];
    bp_time_format_now(now, sizeof now);

    json_t *line = json_object();
    json_object_set_new(line, "time", json_string(now));
    json_object_set_new(line, "level", json_string(bp_log_level_names[level]));
    json_object_set_new(line, "service", json_string(log_service));
    json_object_set_new(line, "msg", json_string(msg));
    if (fields != NULL && json_is_object(fields))
        json_object_update_missing(line, fields);
    json_decref(fields);

    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(line);
    if (text == NULL)
        return;
    size_t len = strlen(text);
    char *buf = malloc(len + 2);
    if (buf != NULL) {
        memcpy(buf, text, len);
        buf[len] = '\n';
        ssize_t ignored = write(STDOUT_FILENO, buf, len + 1);
        (void)ignored;
        free(buf);
    }
    free(text);
}

void bp_log(bp_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(level, NULL, fmt, ap);
    va_end(ap);
}

void bp_log_fields(bp_log_level level, json_t *fields, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(level, fields, fmt, ap);
    va_end(ap);
}
