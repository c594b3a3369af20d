/* bp_metrics: fixed-size registry guarded by one mutex. The number of series is
 * bounded by routes × methods × statuses, small for our daemons; past the bound
 * new series are folded into an overflow counter rather than allocated. */
#include "bp_metrics.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HTTP_SERIES 256
#define MAX_SCALARS 160
#define MAX_LABEL_VALUE 64
#define NBUCKETS 12

static const double buckets[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                         0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

typedef struct {
    const char *route, *method;
    int status;
    uint64_t count;
    double sum;
    uint64_t bucket[NBUCKETS];
} http_series;

typedef struct {
    const char *name, *help;
    const char *label;                    /* NULL: a series without labels */
    char value_of_label[MAX_LABEL_VALUE]; /* a copy, escaped for the text format */
    int is_counter;
    double value;
} scalar;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static http_series http[MAX_HTTP_SERIES];
static size_t nhttp;
static uint64_t http_overflow;
static scalar scalars[MAX_SCALARS];
static size_t nscalars;

void bp_metrics_http_observe(const char *route, const char *method, int status, double seconds)
{
    pthread_mutex_lock(&lock);
    http_series *s = NULL;
    for (size_t i = 0; i < nhttp; i++) {
        if (http[i].status == status && strcmp(http[i].route, route) == 0 &&
            strcmp(http[i].method, method) == 0) {
            s = &http[i];
            break;
        }
    }
    if (s == NULL && nhttp < MAX_HTTP_SERIES) {
        s = &http[nhttp++];
        s->route = route;
        s->method = method;
        s->status = status;
    }
    if (s == NULL) {
        http_overflow++;
    } else {
        s->count++;
        s->sum += seconds;
        for (int b = 0; b < NBUCKETS; b++) {
            if (seconds <= buckets[b])
                s->bucket[b]++;
        }
    }
    pthread_mutex_unlock(&lock);
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Copies `value` into out[0..MAX_LABEL_VALUE) with the text format's escapes
 * (backslash, double quote, newline), truncated on a whole character. */
static void escape_label(const char *value, char *out)
{
    size_t n = 0;
    for (const char *p = value; *p != '\0'; p++) {
        char c = *p == '\n' ? 'n' : *p;
        bool esc = *p == '\\' || *p == '"' || *p == '\n';
        if (n + (esc ? 2 : 1) >= MAX_LABEL_VALUE)
            break;
        if (esc)
            out[n++] = '\\';
        out[n++] = c;
    }
    out[n] = '\0';
}

static void scalar_update(const char *name, const char *label, const char *value, const char *help,
                          int is_counter, double v)
{
    char escaped[MAX_LABEL_VALUE] = "";
    if (label != NULL)
        escape_label(value != NULL ? value : "", escaped);
    pthread_mutex_lock(&lock);
    scalar *s = NULL;
    for (size_t i = 0; i < nscalars; i++) {
        if (strcmp(scalars[i].name, name) == 0 && same_text(scalars[i].label, label) &&
            strcmp(scalars[i].value_of_label, escaped) == 0) {
            s = &scalars[i];
            break;
        }
    }
    if (s == NULL && nscalars < MAX_SCALARS) {
        s = &scalars[nscalars++];
        s->name = name;
        s->help = help;
        s->label = label;
        memcpy(s->value_of_label, escaped, sizeof escaped);
        s->is_counter = is_counter;
        s->value = 0;
    }
    if (s != NULL)
        s->value = is_counter ? s->value + v : v;
    pthread_mutex_unlock(&lock);
}

void bp_metrics_gauge_set(const char *name, const char *help, double value)
{
    scalar_update(name, NULL, NULL, help, 0, value);
}

void bp_metrics_counter_add(const char *name, const char *help, double delta)
{
    scalar_update(name, NULL, NULL, help, 1, delta);
}

void bp_metrics_counter_add_label(const char *name, const char *label, const char *value,
                                  const char *help, double delta)
{
    scalar_update(name, label, value, help, 1, delta);
}

void bp_metrics_gauge_set_label(const char *name, const char *label, const char *value,
                                const char *help, double v)
{
    scalar_update(name, label, value, help, 0, v);
}

char *bp_metrics_render(void)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    if (f == NULL)
        return NULL;
    pthread_mutex_lock(&lock);
    fprintf(f, "# HELP bp_http_requests_total HTTP requests by route, method and status.\n"
               "# TYPE bp_http_requests_total counter\n");
    for (size_t i = 0; i < nhttp; i++)
        fprintf(f, "bp_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} %llu\n",
                http[i].route, http[i].method, http[i].status, (unsigned long long)http[i].count);
    fprintf(f,
            "# HELP bp_http_series_overflow_total Requests not counted per series.\n"
            "# TYPE bp_http_series_overflow_total counter\n"
            "bp_http_series_overflow_total %llu\n",
            (unsigned long long)http_overflow);
    fprintf(f, "# HELP bp_http_request_duration_seconds HTTP request latency.\n"
               "# TYPE bp_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < nhttp; i++) {
        const http_series *s = &http[i];
        char labels[256];
        snprintf(labels, sizeof labels, "route=\"%s\",method=\"%s\",status=\"%d\"", s->route,
                 s->method, s->status);
        for (int b = 0; b < NBUCKETS; b++)
            fprintf(f, "bp_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n", labels,
                    buckets[b], (unsigned long long)s->bucket[b]);
        fprintf(f, "bp_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", labels,
                (unsigned long long)s->count);
        fprintf(f, "bp_http_request_duration_seconds_sum{%s} %.6f\n", labels, s->sum);
        fprintf(f, "bp_http_request_duration_seconds_count{%s} %llu\n", labels,
                (unsigned long long)s->count);
    }
    for (size_t i = 0; i < nscalars; i++) {
        bool first = true; /* HELP and TYPE once per name, before its first series */
        for (size_t j = 0; j < i && first; j++)
            first = strcmp(scalars[j].name, scalars[i].name) != 0;
        if (!first)
            continue;
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", scalars[i].name, scalars[i].help,
                scalars[i].name, scalars[i].is_counter ? "counter" : "gauge");
        for (size_t j = i; j < nscalars; j++) {
            const scalar *x = &scalars[j];
            if (strcmp(x->name, scalars[i].name) != 0)
                continue;
            if (x->label != NULL)
                fprintf(f, "%s{%s=\"%s\"} %.17g\n", x->name, x->label, x->value_of_label, x->value);
            else
                fprintf(f, "%s %.17g\n", x->name, x->value);
        }
    }
    pthread_mutex_unlock(&lock);
    fclose(f);
    return out;
}
