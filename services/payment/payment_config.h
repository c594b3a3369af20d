/* payment_config: the payment daemon's settings (environment variables). */
#ifndef PAYMENT_CONFIG_H
#define PAYMENT_CONFIG_H

#include "bp_settings.h"
#include "payment_bank.h"
#include "payment_dunning.h"

#include <stdio.h>

typedef struct {
    bp_common_settings common;
    const char *topic_payment;
    const char *topic_dead_letter;
    const char *consumer_group;
    const char *bank_fail_mandates;
    long bank_insufficient_above_minor;
    long bank_delay_ms;
    const char *collect;  /* "due-date" or "at-once" */
    const char *timezone; /* the zone whose calendar decides when a due date has come */
    long due_poll_ms;
    const char *retry_days;      /* BP_PAYMENT_RETRY_DAYS, "3,5,7" */
    pm_dunning dunning;          /* retry_days parsed */
    const char *test_clock_file; /* test only: a file holding the clock's offset in seconds */
} pm_settings;

/* Loads and validates settings (the bank rules included); on failure a
 * one-line message naming the variable (the caller exits 2). */
bool pm_config_load(pm_settings *s, char *err, size_t errsize);

/* The simulated bank's rules from loaded settings. NULL (err) on a bad spec,
 * which pm_config_load has already ruled out. Free with pm_bank_rules_free. */
pm_bank_rules *pm_config_bank_rules(const pm_settings *s, char *err, size_t errsize);

/* Prints every variable with its default (for --print-config). */
void pm_config_print(FILE *out);

#endif
