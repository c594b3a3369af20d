/* bp_http_accept: the Accept header read as media ranges with their q values,
 * matched against what a route can answer. Pure; runs on HTTP worker threads. */
#include "bp_http_accept.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RANGE_MAX 128

/* One media range of the header. */
typedef struct {
    char type[RANGE_MAX];
    double q;
} range;

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* "0.5", "1", "1.000", "0": the qvalue grammar loosely (a number from 0 to 1). */
static double qvalue(const char *s, size_t n)
{
    char buf[16];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end = NULL;
    double q = strtod(buf, &end);
    if (end == buf || *skip_ws(end) != '\0' || !(q >= 0 && q <= 1))
        return -1;
    return q;
}

/* Reads the range that starts at *p (up to the next ',') and moves *p past it.
 * False when it is not "type/subtype" with a readable q. */
static bool next_range(const char **p, range *r)
{
    const char *s = skip_ws(*p);
    const char *end = strchr(s, ',');
    if (end == NULL)
        end = s + strlen(s);
    *p = *end ? end + 1 : end;
    const char *semi = memchr(s, ';', (size_t)(end - s));
    const char *type_end = semi ? semi : end;
    while (type_end > s && (type_end[-1] == ' ' || type_end[-1] == '\t'))
        type_end--;
    size_t tn = (size_t)(type_end - s);
    if (tn == 0 || tn >= sizeof r->type || memchr(s, '/', tn) == NULL)
        return false;
    memcpy(r->type, s, tn);
    r->type[tn] = '\0';
    r->q = 1;
    for (const char *param = semi; param != NULL && param < end;) {
        param = skip_ws(param + 1);
        const char *pend = memchr(param, ';', (size_t)(end - param));
        if (pend == NULL)
            pend = end;
        if ((param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
            r->q = qvalue(param + 2, (size_t)(pend - param - 2));
            if (r->q < 0)
                return false;
        }
        param = pend < end ? pend : NULL;
    }
    return true;
}

/* How specifically `r` matches media type `t`: 3 exact, 2 type/ *, 1 * / *, 0 not. */
static int specificity(const char *r, const char *t)
{
    if (strcmp(r, "*/*") == 0)
        return 1;
    const char *slash = strchr(t, '/');
    size_t tl = (size_t)(slash - t);
    if (strlen(r) == tl + 2 && strncasecmp(r, t, tl) == 0 && strcmp(r + tl, "/*") == 0)
        return 2;
    return strcasecmp(r, t) == 0 ? 3 : 0;
}

int bp_http_accept_pick(const char *accept, const char *const *offered, size_t n)
{
    if (accept == NULL || *skip_ws(accept) == '\0' || n == 0)
        return 0;
    double quality[16];
    int spec[16];
    if (n > 16)
        n = 16;
    for (size_t i = 0; i < n; i++) {
        quality[i] = 0;
        spec[i] = 0;
    }
    bool any = false;
    for (const char *p = accept; *p;) {
        range r;
        if (!next_range(&p, &r))
            continue; /* an unreadable range counts for nothing */
        any = true;
        for (size_t i = 0; i < n; i++) {
            int sp = specificity(r.type, offered[i]);
            if (sp > spec[i]) {
                spec[i] = sp;
                quality[i] = r.q;
            }
        }
    }
    if (!any)
        return 0;
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        if (quality[i] > 0 && (best < 0 || quality[i] > quality[best]))
            best = (int)i;
    }
    return best;
}
