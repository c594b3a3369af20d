/* contract_config: the contract daemon's settings (environment variables). */
#ifndef CONTRACT_CONFIG_H
#define CONTRACT_CONFIG_H

#include "bp_settings.h"

#include <stdio.h>

typedef struct {
    bp_common_settings common;
    const char *topic_contract;
    long expiry_sweep_seconds;
} ct_settings;

/* Loads settings from the environment. On failure writes a one-line message
 * naming the variable into err and returns false (the daemon exits 2). */
bool ct_config_load(ct_settings *s, char *err, size_t errsize);

/* Prints every variable with its default (for --print-config). */
void ct_config_print(FILE *out);

#endif
