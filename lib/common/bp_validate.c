/* bp_validate: typed field access on jansson objects with error paths. */
#include "bp_validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void bp_path_join(char *buf, size_t size, const char *path, const char *name)
{
    if (path == NULL || path[0] == '\0')
        snprintf(buf, size, "%s", name);
    else if (name == NULL || name[0] == '\0')
        snprintf(buf, size, "%s", path);
    else
        snprintf(buf, size, "%s.%s", path, name);
}

void bp_verr_set(bp_verr *e, const char *path, const char *name, const char *fmt, ...)
{
    if (e->failed)
        return;
    e->failed = true;
    bp_path_join(e->field, sizeof e->field, path, name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

static json_t *field_get(const json_t *obj, const char *path, const char *name, bool required,
                         bp_verr *e)
{
    if (e->failed)
        return NULL;
    json_t *v = json_object_get(obj, name);
    if (v == NULL || json_is_null(v)) {
        if (required)
            bp_verr_set(e, path, name, "is required");
        return NULL;
    }
    return v;
}

size_t bp_utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80; /* continuation bytes start nothing */
    return n;
}

const char *bp_v_string(const json_t *obj, const char *path, const char *name, bool required,
                        size_t min_len, size_t max_len, bp_verr *e)
{
    json_t *v = field_get(obj, path, name, required, e);
    if (v == NULL)
        return NULL;
    if (!json_is_string(v)) {
        bp_verr_set(e, path, name, "must be a string");
        return NULL;
    }
    size_t len = bp_utf8_chars(json_string_value(v), json_string_length(v));
    if (len < min_len || (max_len > 0 && len > max_len)) {
        bp_verr_set(e, path, name, "must be %zu to %zu characters long", min_len, max_len);
        return NULL;
    }
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v)) {
        bp_verr_set(e, path, name, "must not contain NUL characters");
        return NULL;
    }
    return s;
}

const char *bp_v_enum(const json_t *obj, const char *path, const char *name, bool required,
                      const char *const *allowed, bp_verr *e)
{
    const char *s = bp_v_string(obj, path, name, required, 1, 64, e);
    if (s == NULL)
        return NULL;
    for (size_t i = 0; allowed[i] != NULL; i++) {
        if (strcmp(s, allowed[i]) == 0)
            return allowed[i];
    }
    char list[256] = "";
    for (size_t i = 0; allowed[i] != NULL; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", allowed[i]);
    }
    bp_verr_set(e, path, name, "must be one of: %s", list);
    return NULL;
}

bool bp_v_date(const json_t *obj, const char *path, const char *name, bool required, bp_date *out,
               bp_verr *e)
{
    json_t *v = field_get(obj, path, name, required, e);
    if (v == NULL)
        return false;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
        !bp_date_parse(json_string_value(v), out)) {
        bp_verr_set(e, path, name, "must be a calendar date YYYY-MM-DD, " BP_DATE_RANGE_TEXT);
        return false;
    }
    return true;
}

bool bp_v_int(const json_t *obj, const char *path, const char *name, bool required, int64_t min,
              int64_t max, int64_t *out, bp_verr *e)
{
    json_t *v = field_get(obj, path, name, required, e);
    if (v == NULL)
        return false;
    if (!json_is_integer(v)) {
        bp_verr_set(e, path, name, "must be an integer");
        return false;
    }
    json_int_t n = json_integer_value(v);
    if (n < min || n > max) {
        bp_verr_set(e, path, name, "must be between %lld and %lld", (long long)min, (long long)max);
        return false;
    }
    *out = n;
    return true;
}

json_t *bp_v_object(const json_t *obj, const char *path, const char *name, bool required,
                    bp_verr *e)
{
    json_t *v = field_get(obj, path, name, required, e);
    if (v == NULL)
        return NULL;
    if (!json_is_object(v)) {
        bp_verr_set(e, path, name, "must be an object");
        return NULL;
    }
    return v;
}

bool bp_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
        if (n < 0)
            return false;
        unsigned cp = n == 0 ? c : c & (0x3f >> n);
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        static const unsigned min[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += n + 1;
    }
    return true;
}

bool bp_email_valid(const char *s)
{
    if (s == NULL)
        return false;
    size_t len = strlen(s);
    const char *at = strchr(s, '@');
    if (len < 5 || len > 254 || at == NULL || at == s || strchr(at + 1, '@') != NULL)
        return false;
    for (const char *p = s; *p; p++) {
        if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == ',' || *p == ';')
            return false;
    }
    const char *dot = strrchr(at + 1, '.');
    return dot != NULL && dot > at + 1 && dot[1] != '\0';
}
