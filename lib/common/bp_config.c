/* bp_config: environment → settings struct, by table. Runs once on the main
 * thread before anything else starts. */
#include "bp_config.h"

#include "bp_time.h"
#include "bp_validate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static bool parse_bool(const char *v, bool *out)
{
    if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes")) {
        *out = true;
        return true;
    }
    if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no")) {
        *out = false;
        return true;
    }
    return false;
}

/* "a, b, c": the allowed values of an ENUM row. */
static void choices_text(const bp_config_entry *e, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; e->choices != NULL && e->choices[i] != NULL; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", i ? ", " : "", e->choices[i]);
    }
}

bool bp_config_check_time_zone(const char *value, char *why, size_t whysize)
{
    if (bp_time_zone_known(value))
        return true;
    snprintf(why, whysize, "is not a known time zone (tzdata)");
    return false;
}

bool bp_config_check_email(const char *value, char *why, size_t whysize)
{
    if (bp_email_valid(value))
        return true;
    snprintf(why, whysize, "is not an e-mail address");
    return false;
}

bool bp_config_check_readable_file(const char *value, char *why, size_t whysize)
{
    if (value[0] == '\0' || access(value, R_OK) == 0)
        return true;
    snprintf(why, whysize, "cannot be read: %s", strerror(errno));
    return false;
}

static bool load_entry(const bp_config_entry *e, void *settings, char *err, size_t errsize)
{
    const char *v = getenv(e->name);
    if (v == NULL || v[0] == '\0')
        v = e->def;
    if (v == NULL) {
        snprintf(err, errsize, "%s is required (%s)", e->name, e->help);
        return false;
    }
    char *field = (char *)settings + e->offset;
    switch (e->type) {
    case BP_CONFIG_STRING: {
        size_t len = strlen(v);
        if ((long)len < e->min || (e->max > 0 && (long)len > e->max)) {
            snprintf(err, errsize, "%s must be %ld..%ld characters long", e->name, e->min, e->max);
            return false;
        }
        char why[200] = "";
        if (e->check != NULL && !e->check(v, why, sizeof why)) {
            snprintf(err, errsize, "%s='%s' %s", e->name, v, why);
            return false;
        }
        memcpy(field, &v, sizeof v);
        return true;
    }
    case BP_CONFIG_ENUM: {
        for (size_t i = 0; e->choices != NULL && e->choices[i] != NULL; i++) {
            if (strcmp(v, e->choices[i]) == 0) {
                memcpy(field, &e->choices[i], sizeof e->choices[i]);
                return true;
            }
        }
        char list[200];
        choices_text(e, list, sizeof list);
        snprintf(err, errsize, "%s='%s' is not one of: %s", e->name, v, list);
        return false;
    }
    case BP_CONFIG_INT: {
        errno = 0;
        char *end = NULL;
        long n = strtol(v, &end, 10);
        if (errno != 0 || end == v || *end != '\0' || n < e->min || n > e->max) {
            snprintf(err, errsize, "%s='%s' is not an integer in %ld..%ld", e->name, v, e->min,
                     e->max);
            return false;
        }
        memcpy(field, &n, sizeof n);
        return true;
    }
    case BP_CONFIG_BOOL: {
        bool b;
        if (!parse_bool(v, &b)) {
            snprintf(err, errsize, "%s='%s' is not a boolean (true/false)", e->name, v);
            return false;
        }
        memcpy(field, &b, sizeof b);
        return true;
    }
    }
    snprintf(err, errsize, "%s has an unknown type", e->name);
    return false;
}

bool bp_config_load(const bp_config_entry *table, size_t n, void *settings, char *err,
                    size_t errsize)
{
    for (size_t i = 0; i < n; i++) {
        if (!load_entry(&table[i], settings, err, errsize))
            return false;
    }
    return true;
}

void bp_config_print(const bp_config_entry *table, size_t n, FILE *out)
{
    for (size_t i = 0; i < n; i++) {
        const bp_config_entry *e = &table[i];
        const char *def = e->def == NULL || e->secret ? "" : e->def;
        char list[200] = "";
        if (e->type == BP_CONFIG_ENUM)
            choices_text(e, list, sizeof list);
        fprintf(out, "%s=%s  # %s%s%s%s%s\n", e->name, def, e->def == NULL ? "(required) " : "",
                e->help, list[0] ? " (one of: " : "", list, list[0] ? ")" : "");
    }
}
