/* billing_config: the one table of variables the billing daemon reads. */
#include "billing_config.h"

#include "billing_period.h"

#include <stdio.h>

/* One row per variable: not reflowed. */
/* clang-format off */
static const bp_config_entry table[] = {
    BP_COMMON_CONFIG_ROWS(bl_settings, common, "8181",
                          "postgresql://billing@127.0.0.1:5432/billing"),
    {"BP_TOPIC_CONTRACT", BP_CONFIG_STRING, offsetof(bl_settings, topic_contract), "contract", 1,
     249, "topic of contract events (consumed into the read model)", false, NULL, NULL},
    {"BP_TOPIC_OPERATION", BP_CONFIG_STRING, offsetof(bl_settings, topic_operation), "operation",
     1, 249, "topic of operation events (published)", false, NULL, NULL},
    {"BP_TOPIC_INVOICE", BP_CONFIG_STRING, offsetof(bl_settings, topic_invoice), "invoice", 1,
     249, "topic of invoice events (invoice.issued published, invoice.sent consumed)", false, NULL, NULL},
    {"BP_TOPIC_PAYMENT", BP_CONFIG_STRING, offsetof(bl_settings, topic_payment), "payment", 1,
     249, "topic of payment events (payment.requested published, results consumed)", false, NULL, NULL},
    {"BP_BILLING_SCHEDULE", BP_CONFIG_BOOL, offsetof(bl_settings, schedule), "true", 0, 0,
     "run the previous month automatically each month", false, NULL, NULL},
    {"BP_BILLING_RUN_DAY", BP_CONFIG_INT, offsetof(bl_settings, run_day), "1", 1, 28,
     "day of the month of the automatic run", false, NULL, NULL},
    {"BP_BILLING_RUN_TIME", BP_CONFIG_STRING, offsetof(bl_settings, run_time), "00:05", 5, 5,
     "local time (HH:MM) of the automatic run", false, NULL, NULL},
    {"BP_TOPIC_DEAD_LETTER", BP_CONFIG_STRING, offsetof(bl_settings, topic_dead_letter),
     "dead-letter", 1, 249, "topic of messages billing can never handle", false, NULL, NULL},
    {"BP_CONSUMER_GROUP", BP_CONFIG_STRING, offsetof(bl_settings, consumer_group), "billing", 1,
     249, "Kafka consumer group of billing instances", false, NULL, NULL},
    {"BP_GROUP_COMMIT_CONNECTIONS", BP_CONFIG_INT, offsetof(bl_settings, gc_committers), "2", 0,
     16, "group commit of purchases: committer threads, each with its own connection (0: off)", false, NULL, NULL},
    {"BP_GROUP_COMMIT_WINDOW_US", BP_CONFIG_INT, offsetof(bl_settings, gc_window_us), "0", 0,
     10000, "group commit: under load, wait at most this long (µs) for more purchases", false, NULL, NULL},
    {"BP_GROUP_COMMIT_MAX_BATCH", BP_CONFIG_INT, offsetof(bl_settings, gc_max_batch), "64", 1,
     1024, "group commit: purchases per transaction at most", false, NULL, NULL},
    {"BP_BILLING_OVERDUE_AFTER_DAYS", BP_CONFIG_INT, offsetof(bl_settings, overdue_after_days), "0",
     0, 365, "an account is overdue once an invoice is unpaid this many days past its due date (0: never)",
     false, NULL, NULL},
    {"BP_BILLING_OVERDUE_POLL_MS", BP_CONFIG_INT, offsetof(bl_settings, overdue_poll_ms), "60000",
     100, 3600000, "how often invoices unpaid past BP_BILLING_OVERDUE_AFTER_DAYS are looked for",
     false, NULL, NULL},
    {"BP_TEST_CLOCK_FILE", BP_CONFIG_STRING, offsetof(bl_settings, test_clock_file), "", 0, 0,
     "TEST ONLY: file holding seconds added to the clock of the overdue sweep (empty: off)", false,
     NULL, NULL},
    {"BP_BILLING_TIMEZONE", BP_CONFIG_STRING, offsetof(bl_settings, timezone), "Europe/Paris", 1,
     64, "time zone of billing dates (operation dates, billing periods)", false, NULL,
     bp_config_check_time_zone},
};
/* clang-format on */

bool bl_config_load(bl_settings *s, char *err, size_t errsize)
{
    if (!bp_config_load(table, sizeof table / sizeof table[0], s, err, errsize))
        return false;
    /* The one derived value: the minute of the day of the automatic run. */
    if (!bl_schedule_parse_time(s->run_time, &s->run_minute)) {
        snprintf(err, errsize, "BP_BILLING_RUN_TIME='%s' is not a time HH:MM", s->run_time);
        return false;
    }
    return true;
}

void bl_config_print(FILE *out) { bp_config_print(table, sizeof table / sizeof table[0], out); }
