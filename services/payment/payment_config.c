/* payment_config: the one table of variables the payment daemon reads. */
#include "payment_config.h"

#include "bp_money.h"

#include <stdio.h>
#include <string.h>

static const char *const collect_modes[] = {"due-date", "at-once", NULL};

static bool check_retry_days(const char *value, char *why, size_t whysize)
{
    pm_dunning d;
    return pm_dunning_parse(value, &d, why, whysize);
}

/* One row per variable: not reflowed. */
/* clang-format off */
static const bp_config_entry table[] = {
    BP_COMMON_CONFIG_ROWS(pm_settings, common, "8282",
                          "postgresql://payment@127.0.0.1:5432/payment"),
    {"BP_TOPIC_PAYMENT", BP_CONFIG_STRING, offsetof(pm_settings, topic_payment), "payment", 1,
     249, "topic of payment events (payment.requested consumed, results published)", false, NULL, NULL},
    {"BP_TOPIC_DEAD_LETTER", BP_CONFIG_STRING, offsetof(pm_settings, topic_dead_letter),
     "dead-letter", 1, 249, "topic where messages that can never be handled are parked", false, NULL, NULL},
    {"BP_CONSUMER_GROUP", BP_CONFIG_STRING, offsetof(pm_settings, consumer_group), "payment", 1,
     249, "Kafka consumer group of payment instances", false, NULL, NULL},
    {"BP_BANK_FAIL_MANDATES", BP_CONFIG_STRING, offsetof(pm_settings, bank_fail_mandates), "", 0,
     0, "simulated bank: mandates whose debits fail, MANDATE:SEPACODE,... (MDT-X:MD01)", false, NULL, NULL},
    {"BP_BANK_INSUFFICIENT_ABOVE_MINOR", BP_CONFIG_INT,
     offsetof(pm_settings, bank_insufficient_above_minor), "0", 0, BP_MONEY_MAX_MINOR,
     "simulated bank: debits above this many minor units fail AM04 (0: never)", false, NULL, NULL},
    {"BP_BANK_DELAY_MS", BP_CONFIG_INT, offsetof(pm_settings, bank_delay_ms), "0", 0, 60000,
     "simulated bank: processing time of a new debit, in milliseconds", false, NULL, NULL},
    {"BP_PAYMENT_COLLECT", BP_CONFIG_ENUM, offsetof(pm_settings, collect), "due-date", 0, 0,
     "when to debit: on the invoice's due date, or at once when requested", false, collect_modes,
     NULL},
    {"BP_PAYMENT_TIMEZONE", BP_CONFIG_STRING, offsetof(pm_settings, timezone), "Europe/Paris", 1,
     64, "time zone whose calendar decides when a due date has come", false, NULL,
     bp_config_check_time_zone},
    {"BP_PAYMENT_DUE_POLL_MS", BP_CONFIG_INT, offsetof(pm_settings, due_poll_ms), "60000", 100,
     3600000, "how often payments that have fallen due are looked for", false, NULL, NULL},
    {"BP_PAYMENT_RETRY_DAYS", BP_CONFIG_STRING, offsetof(pm_settings, retry_days), "3,5,7", 0, 0,
     "dunning: days after each AM04 failure when the debit is tried again (none: never)", false,
     NULL, check_retry_days},
    {"BP_TEST_CLOCK_FILE", BP_CONFIG_STRING, offsetof(pm_settings, test_clock_file), "", 0, 0,
     "TEST ONLY: file holding seconds added to the clock for due dates and retries (empty: off)",
     false, NULL, NULL},
};
/* clang-format on */

pm_bank_rules *pm_config_bank_rules(const pm_settings *s, char *err, size_t errsize)
{
    return pm_bank_rules_parse(s->bank_fail_mandates, s->bank_insufficient_above_minor, err,
                               errsize);
}

bool pm_config_load(pm_settings *s, char *err, size_t errsize)
{
    if (!bp_config_load(table, sizeof table / sizeof table[0], s, err, errsize))
        return false;
    if (!pm_dunning_parse(s->retry_days, &s->dunning, err, errsize))
        return false;
    pm_bank_rules *rules = pm_config_bank_rules(s, err, errsize);
    pm_bank_rules_free(rules);
    return rules != NULL;
}

void pm_config_print(FILE *out) { bp_config_print(table, sizeof table / sizeof table[0], out); }
