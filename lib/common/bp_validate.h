/* bp_validate: reading fields out of a parsed JSON request with precise errors.
 *
 * Each getter checks presence and type and records the first failure in a
 * bp_verr (the field's dotted path and a message a person understands); later
 * getters on a failed bp_verr do nothing, so a parser can call them in a row and
 * test once at the end. Pure, no I/O. */
#ifndef BP_VALIDATE_H
#define BP_VALIDATE_H

#include "bp_time.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    bool failed;
    char field[128];   /* e.g. "subscriber.contactPerson.mail" */
    char message[256]; /* e.g. "must be a string" */
} bp_verr;

/* Records a failure for `path` (and `name`, joined with '.') unless one is recorded. */
void bp_verr_set(bp_verr *e, const char *path, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Joins a parent path and a child name into buf ("a.b"). */
void bp_path_join(char *buf, size_t size, const char *path, const char *name);

/* String field. Returns the string (owned by `obj`) or NULL when absent (and not
 * required) or invalid (not a string, a length out of bounds, a U+0000 inside).
 * Length is counted in characters (code points), as JSON Schema's minLength and
 * maxLength count them; max 0 means unlimited. */
const char *bp_v_string(const json_t *obj, const char *path, const char *name, bool required,
                        size_t min_len, size_t max_len, bp_verr *e);

/* String that must be one of `allowed` (NULL-terminated list). */
const char *bp_v_enum(const json_t *obj, const char *path, const char *name, bool required,
                      const char *const *allowed, bp_verr *e);

/* Calendar date "YYYY-MM-DD". Returns true when present and valid. */
bool bp_v_date(const json_t *obj, const char *path, const char *name, bool required, bp_date *out,
               bp_verr *e);

/* Integer field in [min, max]. Returns true when present and valid. */
bool bp_v_int(const json_t *obj, const char *path, const char *name, bool required, int64_t min,
              int64_t max, int64_t *out, bp_verr *e);

/* Object field. Returns it (borrowed) or NULL when absent (and not required) or invalid. */
json_t *bp_v_object(const json_t *obj, const char *path, const char *name, bool required,
                    bp_verr *e);

/* Bytes a buffer needs for a text of at most n characters (UTF-8: four bytes each at
 * most) and its NUL: what bp_v_string's max_len admits. */
#define BP_TEXT_BYTES(n) ((n)*4 + 1)

/* Characters (code points) of the UTF-8 text s[0..len): the bytes that start one. */
size_t bp_utf8_chars(const char *s, size_t len);

/* True when `s` is well-formed UTF-8 (no overlongs, no surrogates). */
bool bp_utf8_valid(const char *s);

/* A plausible e-mail address: local@domain.tld, no spaces, <= 254 bytes. Pure check. */
bool bp_email_valid(const char *s);

#endif
