/* billing_jsonw: JSON text into one buffer. */
#include "billing_jsonw.h"

#include "bp_money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bl_jw_init(bl_jw *w, size_t capacity)
{
    *w = (bl_jw){0};
    bp_buf_init(&w->out, capacity < 64 ? 64 : capacity, 0);
}

static void put(bl_jw *w, const char *s, size_t n)
{
    if (!w->failed && !bp_buf_add(&w->out, s, n))
        w->failed = true;
}

/* The comma before a value or key that is not the first of its container. */
static void comma(bl_jw *w)
{
    if (w->depth == 0)
        return;
    if (!w->first[w->depth - 1])
        put(w, ",", 1);
    w->first[w->depth - 1] = false;
}

static void value_prefix(bl_jw *w);

static void open_container(bl_jw *w, char c)
{
    value_prefix(w);
    if (w->depth == BL_JW_DEPTH) {
        w->failed = true;
        return;
    }
    put(w, &c, 1);
    w->kind[w->depth] = c;
    w->first[w->depth++] = true;
}

void bl_jw_object(bl_jw *w) { open_container(w, '{'); }
void bl_jw_array(bl_jw *w) { open_container(w, '['); }

void bl_jw_end(bl_jw *w, char close)
{
    char opener = close == '}' ? '{' : close == ']' ? '[' : 0;
    if (w->depth == 0 || w->kind[w->depth - 1] != opener || w->keyed) {
        w->failed = true; /* nothing open, the other kind, or a key without its value */
        return;
    }
    w->depth--;
    put(w, &close, 1);
}

/* A value right after its key takes no comma; in an object, a value needs its
 * key. */
static void value_prefix(bl_jw *w)
{
    if (w->keyed)
        w->keyed = false;
    else if (w->depth > 0 && w->kind[w->depth - 1] == '{')
        w->failed = true;
    else
        comma(w);
}

static void quoted(bl_jw *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put(w, "\"", 1);
    const char *run = s;
    for (const char *p = s;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c != '\0' && c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(w, run, (size_t)(p - run));
        if (c == '\0')
            break;
        char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t n = 2;
        if (c == '\n')
            esc[1] = 'n';
        else if (c == '\t')
            esc[1] = 't';
        else if (c == '\r')
            esc[1] = 'r';
        else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        put(w, esc, n);
        run = p + 1;
    }
    put(w, "\"", 1);
}

void bl_jw_key(bl_jw *w, const char *key)
{
    if (w->depth == 0 || w->kind[w->depth - 1] != '{' || w->keyed) {
        w->failed = true; /* keys belong in objects, one value each */
        return;
    }
    comma(w);
    quoted(w, key);
    put(w, ":", 1);
    w->keyed = true;
}

void bl_jw_string(bl_jw *w, const char *s)
{
    value_prefix(w);
    quoted(w, s);
}

/* The decimal digits of v, at least `min_digits` of them (zero-padded), with a
 * dot before the last `dot` digits when dot > 0. */
static void number(bl_jw *w, int64_t v, int dot)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag != 0 || n <= dot); /* "0.05": at least one digit before the dot */
    char out[32];
    size_t len = 0;
    if (v < 0)
        out[len++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        out[len++] = digits[i];
        if (i == dot && dot > 0)
            out[len++] = '.';
    }
    put(w, out, len);
}

void bl_jw_int(bl_jw *w, int64_t v)
{
    value_prefix(w);
    number(w, v, 0);
}

void bl_jw_money(bl_jw *w, int64_t minor, const char *currency)
{
    char text[BP_MONEY_JSON_MAX];
    size_t n = bp_money_render(minor, currency, text, sizeof text);
    value_prefix(w);
    if (n == 0) {
        w->failed = true; /* no such currency */
        return;
    }
    put(w, text, n);
}

void bl_jw_rate(bl_jw *w, int64_t bp)
{
    value_prefix(w);
    if (bp < 0) {
        w->failed = true;
        return;
    }
    if (bp % 100 == 0) {
        number(w, bp / 100, 0);
        put(w, ".0", 2);
    } else if (bp % 10 == 0) {
        number(w, bp / 10, 1);
    } else {
        number(w, bp, 2);
    }
}

void bl_jw_raw(bl_jw *w, const char *json_text)
{
    size_t n = strlen(json_text);
    if (n == 0) {
        w->failed = true; /* not a value */
        return;
    }
    value_prefix(w);
    put(w, json_text, n);
}

void bl_jw_kstring(bl_jw *w, const char *key, const char *s)
{
    bl_jw_key(w, key);
    bl_jw_string(w, s);
}

void bl_jw_kint(bl_jw *w, const char *key, int64_t v)
{
    bl_jw_key(w, key);
    bl_jw_int(w, v);
}

void bl_jw_kmoney(bl_jw *w, const char *name, int64_t minor, const char *currency)
{
    bl_jw_key(w, name);
    bl_jw_money(w, minor, currency);
}

char *bl_jw_finish(bl_jw *w)
{
    bool complete = !w->failed && w->depth == 0 && !w->keyed && w->out.len > 0;
    char *out = bp_buf_take(&w->out);
    if (!complete) {
        free(out);
        out = NULL;
    }
    *w = (bl_jw){.failed = true}; /* finished: any further write fails */
    return out;
}
