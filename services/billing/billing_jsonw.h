/* billing_jsonw: a JSON text writer for large documents (invoices with their
 * lines), straight into one growing buffer: no tree of objects to build, dump
 * and free. Commas are placed by the writer; strings are escaped; amounts are
 * written from minor units as the Money objects of bp_money (bp_money_render),
 * the same text every daemon writes. Pure. */
#ifndef BILLING_JSONW_H
#define BILLING_JSONW_H

#include "bp_buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BL_JW_DEPTH 8

typedef struct {
    bp_buf out;
    int depth;
    char kind[BL_JW_DEPTH];  /* '{' or '[': the open containers */
    bool first[BL_JW_DEPTH]; /* nothing written yet in the open container */
    bool keyed;              /* a key was written: its value comes next */
    bool failed;             /* out of memory, misnested, or used after bl_jw_finish */
} bl_jw;

void bl_jw_init(bl_jw *w, size_t capacity);
void bl_jw_object(bl_jw *w);          /* { */
void bl_jw_array(bl_jw *w);           /* [ */
void bl_jw_end(bl_jw *w, char close); /* '}' or ']' */
/* Object members: the key, then one value call. */
void bl_jw_key(bl_jw *w, const char *key);
void bl_jw_string(bl_jw *w, const char *s); /* UTF-8 in, escaped as JSON requires */
void bl_jw_int(bl_jw *w, int64_t v);
/* The Money object of `minor` units of `currency`:
 * {"amount":"-21.08","currency":"EUR","minorUnits":-2108}. An unknown currency
 * fails the writer. */
void bl_jw_money(bl_jw *w, int64_t minor, const char *currency);
/* A VAT rate in basis points as the JSON number of its percentage, written as
 * jansson writes the same number back (550 → 5.5, 2000 → 20.0, 0 → 0.0), so a
 * stored document read and dumped again keeps its text. Negative fails. */
void bl_jw_rate(bl_jw *w, int64_t bp);
/* A value already rendered as JSON text (not checked: it must be one value). */
void bl_jw_raw(bl_jw *w, const char *json_text);
/* Convenience: "key": value. */
void bl_jw_kstring(bl_jw *w, const char *key, const char *s);
void bl_jw_kint(bl_jw *w, const char *key, int64_t v);
/* "name": the Money object (bl_jw_money). */
void bl_jw_kmoney(bl_jw *w, const char *name, int64_t minor, const char *currency);
/* The text (caller frees), or NULL when anything failed or a container is open. */
char *bl_jw_finish(bl_jw *w);

#endif
