/* bp_buf: the growable buffer of bp_buf.h. Capacity doubles; the cap is checked
 * before any allocation, so a capped buffer never holds more than max + 1 bytes. */
#include "bp_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void bp_buf_init(bp_buf *b, size_t capacity, size_t max)
{
    *b = (bp_buf){.max = max, .hint = capacity ? capacity : 1024};
}

bool bp_buf_grow(bp_buf *b, size_t more)
{
    if (b->failed)
        return false;
    if (b->max > 0 && (more > b->max || b->len > b->max - more)) {
        b->failed = b->capped = true;
        return false;
    }
    size_t need = b->len + more + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : b->hint;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    if (b->max > 0 && cap > b->max + 1)
        cap = b->max + 1 > need ? b->max + 1 : need;
    char *p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

bool bp_buf_puts(bp_buf *b, const char *s) { return bp_buf_add(b, s, strlen(s)); }

bool bp_buf_vprintf(bp_buf *b, const char *fmt, va_list ap)
{
    char small[512];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    bool ok = n >= 0;
    if (!ok)
        b->failed = true;
    else if ((size_t)n < sizeof small)
        ok = bp_buf_add(b, small, (size_t)n);
    else if ((ok = bp_buf_grow(b, (size_t)n))) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
    return ok;
}

bool bp_buf_printf(bp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool ok = bp_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return ok;
}

char *bp_buf_take(bp_buf *b)
{
    char *out = b->data;
    bool failed = b->failed;
    bp_buf_init(b, b->hint, b->max);
    if (failed) {
        free(out);
        return NULL;
    }
    return out != NULL ? out : strdup("");
}

void bp_buf_free(bp_buf *b)
{
    free(b->data);
    bp_buf_init(b, b->hint, b->max);
}
