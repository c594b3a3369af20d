/* mailer_config: the one table of variables the invoice-mailer daemon reads. */
#include "mailer_config.h"

#include <stdio.h>
#include <string.h>

static bool smtp_url_check(const char *value, char *why, size_t whysize)
{
    if (strncmp(value, "smtp://", 7) == 0 || strncmp(value, "smtps://", 8) == 0)
        return true;
    snprintf(why, whysize, "must start with smtp:// or smtps://");
    return false;
}

/* One row per variable: not reflowed. */
/* clang-format off */
static const bp_config_entry table[] = {
    BP_COMMON_CONFIG_ROWS(ml_settings, common, "8383",
                          "postgresql://invoice_mailer@127.0.0.1:5432/invoice_mailer"),
    {"BP_TOPIC_INVOICE", BP_CONFIG_STRING, offsetof(ml_settings, topic_invoice), "invoice", 1,
     249, "topic of invoice events (invoice.issued consumed, invoice.sent published)", false, NULL, NULL},
    {"BP_TOPIC_DEAD_LETTER", BP_CONFIG_STRING, offsetof(ml_settings, topic_dead_letter),
     "dead-letter", 1, 249, "topic of messages the mailer can never handle", false, NULL, NULL},
    {"BP_CONSUMER_GROUP", BP_CONFIG_STRING, offsetof(ml_settings, consumer_group),
     "invoice-mailer", 1, 249, "Kafka consumer group of invoice-mailer instances", false, NULL, NULL},
    {"BP_SMTP_URL", BP_CONFIG_STRING, offsetof(ml_settings, smtp_url), "smtp://127.0.0.1:1025",
     8, 1000, "SMTP server, smtp://host:port or smtps://host:port", false, NULL, smtp_url_check},
    {"BP_SMTP_USER", BP_CONFIG_STRING, offsetof(ml_settings, smtp_user), "", 0, 256,
     "SMTP AUTH user name (empty: no authentication)", false, NULL, NULL},
    {"BP_SMTP_PASSWORD", BP_CONFIG_STRING, offsetof(ml_settings, smtp_password), "", 0, 256,
     "SMTP AUTH password", true, NULL, NULL},
    {"BP_SMTP_STARTTLS", BP_CONFIG_BOOL, offsetof(ml_settings, smtp_starttls), "false", 0, 0,
     "require STARTTLS on smtp:// (refuse to send in clear text)", false, NULL, NULL},
    {"BP_SMTP_CA_FILE", BP_CONFIG_STRING, offsetof(ml_settings, smtp_ca_file), "", 0, 1000,
     "PEM file of the CAs that may sign the SMTP server's certificate (empty: the system's)",
     false, NULL, bp_config_check_readable_file},
    {"BP_SMTP_FROM", BP_CONFIG_STRING, offsetof(ml_settings, smtp_from),
     "billing@boissipay.example", 5, 254, "sender address (envelope and From:)", false, NULL,
     bp_config_check_email},
    {"BP_SMTP_CONNECT_TIMEOUT_SECONDS", BP_CONFIG_INT,
     offsetof(ml_settings, smtp_connect_timeout_seconds), "10", 1, 300,
     "time allowed to connect to the SMTP server", false, NULL, NULL},
    {"BP_SMTP_TIMEOUT_SECONDS", BP_CONFIG_INT, offsetof(ml_settings, smtp_timeout_seconds), "60",
     1, 3600, "time allowed for one whole SMTP dialogue", false, NULL, NULL},
    {"BP_SMTP_SENDERS", BP_CONFIG_INT, offsetof(ml_settings, smtp_senders), "2", 1, 32,
     "sender threads (parallel SMTP dialogues, one database connection each)", false, NULL, NULL},
    {"BP_SMTP_POLL_MS", BP_CONFIG_INT, offsetof(ml_settings, smtp_poll_ms), "1000", 10, 60000,
     "how often idle senders look for mails due for a retry", false, NULL, NULL},
    {"BP_SMTP_RETRY_MIN_MS", BP_CONFIG_INT, offsetof(ml_settings, smtp_retry_min_ms), "1000", 10,
     3600000, "delay before the first retry of an undelivered mail (doubles each time)", false, NULL, NULL},
    {"BP_SMTP_RETRY_MAX_MS", BP_CONFIG_INT, offsetof(ml_settings, smtp_retry_max_ms), "300000",
     10, 86400000, "longest delay between two tries of a mail", false, NULL, NULL},
    {"BP_SMTP_MAX_ATTEMPTS", BP_CONFIG_INT, offsetof(ml_settings, smtp_max_attempts), "0", 0,
     1000000, "tries before a mail is given up as FAILED (0: never give up)", false, NULL, NULL},
};
/* clang-format on */

bool ml_config_load(ml_settings *s, char *err, size_t errsize)
{
    if (!bp_config_load(table, sizeof table / sizeof table[0], s, err, errsize))
        return false;
    if (s->smtp_retry_max_ms < s->smtp_retry_min_ms) {
        snprintf(err, errsize, "BP_SMTP_RETRY_MAX_MS must not be below BP_SMTP_RETRY_MIN_MS");
        return false;
    }
    return true;
}

void ml_config_print(FILE *out) { bp_config_print(table, sizeof table / sizeof table[0], out); }
