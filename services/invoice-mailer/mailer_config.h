/* mailer_config: the invoice-mailer daemon's settings (environment variables). */
#ifndef MAILER_CONFIG_H
#define MAILER_CONFIG_H

#include "bp_settings.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct {
    bp_common_settings common;
    const char *topic_invoice;
    const char *topic_dead_letter;
    const char *consumer_group;
    const char *smtp_url;
    const char *smtp_user;
    const char *smtp_password;
    bool smtp_starttls;
    const char *smtp_ca_file;
    const char *smtp_from;
    long smtp_connect_timeout_seconds;
    long smtp_timeout_seconds;
    long smtp_senders;
    long smtp_poll_ms;
    long smtp_retry_min_ms;
    long smtp_retry_max_ms;
    long smtp_max_attempts;
} ml_settings;

/* Loads and checks the settings; on failure a one-line message naming the
 * variable (the caller exits with status 2). */
bool ml_config_load(ml_settings *s, char *err, size_t errsize);

/* Prints every variable with its default (for --print-config). */
void ml_config_print(FILE *out);

#endif
