/* bp_config: a daemon's settings as one table of environment variables with
 * defaults and bounds, read and validated once at start.
 *
 * Each service declares `static const bp_config_entry table[]` pointing into its
 * own settings struct; bp_config_load() fills the struct or names the first bad
 * variable. `--print-config` output (bp_config_print) is what the packaging checks
 * read, so the table is the single list of variables a daemon reads. */
#ifndef BP_CONFIG_H
#define BP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
    BP_CONFIG_STRING, /* char * (points into the environment or the default) */
    BP_CONFIG_INT,    /* long, within [min, max] */
    BP_CONFIG_BOOL,   /* bool: true/false/1/0/yes/no */
    BP_CONFIG_ENUM,   /* char *, one of `choices` (the table's own string) */
} bp_config_type;

/* A per-row check of a STRING value: returns true when `value` is acceptable, else
 * false after writing why (e.g. "is not a known time zone") into why. */
typedef bool (*bp_config_check_fn)(const char *value, char *why, size_t whysize);

typedef struct {
    const char *name; /* environment variable, e.g. "BP_HTTP_PORT" */
    bp_config_type type;
    size_t offset;              /* offsetof(settings struct, field) */
    const char *def;            /* default as text; NULL = required */
    long min, max;              /* bounds for INT; for STRING min/max length (max 0 = none) */
    const char *help;           /* one line for --print-config and the docs */
    bool secret;                /* never printed */
    const char *const *choices; /* ENUM: the allowed values, NULL-terminated */
    bp_config_check_fn check;   /* STRING: NULL, or a check of the value */
} bp_config_entry;

/* Checks for the `check` column: an IANA time zone tzdata knows; an e-mail address;
 * an empty value or a file this process can read. */
bool bp_config_check_time_zone(const char *value, char *why, size_t whysize);
bool bp_config_check_email(const char *value, char *why, size_t whysize);
bool bp_config_check_readable_file(const char *value, char *why, size_t whysize);

/* Fills `settings` from the environment according to `table`.
 * Returns true on success. On failure writes a one-line message naming the
 * variable into err (size errsize) and returns false; the caller exits with 2. */
bool bp_config_load(const bp_config_entry *table, size_t n, void *settings, char *err,
                    size_t errsize);

/* Prints "NAME=default  # help" lines for every entry (secrets shown as NAME=); an
 * ENUM's help ends with its allowed values ("(one of: a, b)"). */
void bp_config_print(const bp_config_entry *table, size_t n, FILE *out);

#endif
