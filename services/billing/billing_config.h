/* billing_config: the billing daemon's settings (environment variables). */
#ifndef BILLING_CONFIG_H
#define BILLING_CONFIG_H

#include "bp_settings.h"

#include <stdio.h>

typedef struct {
    bp_common_settings common;
    const char *topic_contract;
    const char *topic_operation;
    const char *topic_invoice;
    const char *topic_payment;
    const char *topic_dead_letter;
    const char *consumer_group;
    const char *timezone;
    bool schedule;
    long run_day;
    const char *run_time;
    int run_minute;                                 /* run_time parsed */
    long gc_committers, gc_window_us, gc_max_batch; /* group commit */
    long overdue_after_days;     /* an invoice unpaid this long past due: overdue (0: never) */
    long overdue_poll_ms;        /* how often such invoices are looked for */
    const char *test_clock_file; /* test only: a file holding the clock's offset in seconds */
} bl_settings;

/* Loads settings; on failure a one-line message naming the variable (exit 2). */
bool bl_config_load(bl_settings *s, char *err, size_t errsize);

/* Prints every variable with its default (for --print-config). */
void bl_config_print(FILE *out);

#endif
