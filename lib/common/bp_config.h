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
} bp_config_type;

typedef struct {
    const char *name;        /* environment variable, e.g. "BP_HTTP_PORT" */
    bp_config_type type;
    size_t offset;           /* offsetof(settings struct, field) */
    const char *def;         /* default as text; NULL = required */
    long min, max;           /* bounds for INT; for STRING min/max length (max 0 = none) */
    const char *help;        /* one line for --print-config and the docs */
    bool secret;             /* never printed */
} bp_config_entry;

/* Fills `settings` from the environment according to `table`.
 * Returns true on success. On failure writes a one-line message naming the
 * variable into err (size errsize) and returns false; the caller exits with 2. */
bool bp_config_load(const bp_config_entry *table, size_t n, void *settings, char *err,
                    size_t errsize);

/* Prints "NAME=default  # help" lines for every entry (secrets shown as NAME=). */
void bp_config_print(const bp_config_entry *table, size_t n, FILE *out);

#endif
