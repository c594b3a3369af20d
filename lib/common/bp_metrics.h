/* bp_metrics: the process's Prometheus metrics, rendered in text format 0.0.4
 * by GET /metrics. One registry per process; every function is thread-safe. */
#ifndef BP_METRICS_H
#define BP_METRICS_H

#include <stdint.h>

/* Counts one HTTP request on `route` (the route's template, not the raw path)
 * with its method, status and duration. `route`/`method` must be static strings. */
void bp_metrics_http_observe(const char *route, const char *method, int status, double seconds);

/* Sets a gauge (created on first use). `name` and `help` must be static strings. */
void bp_metrics_gauge_set(const char *name, const char *help, double value);

/* Adds to a counter (created on first use). `name` and `help` must be static strings. */
void bp_metrics_counter_add(const char *name, const char *help, double delta);

/* Adds to the series {label="value"} of a counter (created on first use); series of
 * one name share its HELP and TYPE lines. `name`, `label` and `help` must be static
 * strings; `value` is copied (escaped, cut at 63 bytes), so it may be any text of a
 * small, bounded set (a reason code, a group id), never an id per request. */
void bp_metrics_counter_add_label(const char *name, const char *label, const char *value,
                                  const char *help, double delta);

/* Sets the series {label="value"} of a gauge; the same rules as above. */
void bp_metrics_gauge_set_label(const char *name, const char *label, const char *value,
                                const char *help, double v);

/* Renders every metric. Returns a malloc'd NUL-terminated string (caller frees)
 * or NULL when out of memory. */
char *bp_metrics_render(void);

#endif
