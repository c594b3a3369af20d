/* bp_buf: one growable text buffer (git's strbuf, curl's dynbuf): appends that say
 * whether they worked, an optional size cap, and a take that hands the text over.
 * A failure (out of memory, or past the cap) sticks: later appends fail too, and
 * bp_buf_take returns NULL, so a writer may append in a row and check once.
 *
 * Pure; not thread-safe (one buffer, one thread). */
#ifndef BP_BUF_H
#define BP_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct {
    char *data;  /* NUL-terminated once anything was appended; NULL before */
    size_t len;  /* bytes of text, the NUL not counted */
    size_t cap;  /* bytes allocated */
    size_t max;  /* most bytes of text it may hold; 0: no cap */
    size_t hint; /* bytes to reserve at the first append */
    bool failed; /* out of memory, or an append past max */
    bool capped; /* the failure was the cap */
} bp_buf;

/* An empty buffer of at most `max` bytes (0: no cap), `capacity` reserved at the first
 * append (0: 1 KiB). Nothing is allocated yet. */
void bp_buf_init(bp_buf *b, size_t capacity, size_t max);

/* Makes room for `more` bytes (and the NUL); false when it failed (see above). */
bool bp_buf_grow(bp_buf *b, size_t more) __attribute__((warn_unused_result));

/* Appends n bytes of `data`. False when it failed. */
static inline __attribute__((warn_unused_result)) bool bp_buf_add(bp_buf *b, const void *data,
                                                                  size_t n)
{
    if (b->failed || (b->len + n + 1 > b->cap && !bp_buf_grow(b, n)))
        return false;
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

/* Appends a C string; printf-style text. False when it failed. */
bool bp_buf_puts(bp_buf *b, const char *s) __attribute__((warn_unused_result));
bool bp_buf_printf(bp_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), warn_unused_result));
bool bp_buf_vprintf(bp_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0), warn_unused_result));

/* The text ("" when nothing was appended), handed to the caller (who frees it), or
 * NULL when the buffer failed (its memory freed). The buffer is empty again after. */
char *bp_buf_take(bp_buf *b);

/* Frees the text; the buffer is empty again. */
void bp_buf_free(bp_buf *b);

#endif
