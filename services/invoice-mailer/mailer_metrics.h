/* mailer_metrics: the name and help text of each of the invoice-mailer's mail
 * counters, shared by the modules that count (mailer_sender, mailer_service), and
 * their creation at zero when the senders start, so that a first failure shows
 * in rate() and the dashboard has every series from the start. */
#ifndef MAILER_METRICS_H
#define MAILER_METRICS_H

#include "bp_metrics.h"

#define ML_METRIC_SENT "bp_mailer_sent_total", "Invoice mails accepted by the server."
#define ML_METRIC_UNCERTAIN                                                                        \
    "bp_mailer_uncertain_total", "Attempts whose outcome is unknown (resent with the same "        \
                                 "Message-ID)."
#define ML_METRIC_ATTEMPT_FAILURES                                                                 \
    "bp_mailer_attempt_failures_total", "SMTP attempts that did not deliver (retried with "        \
                                        "backoff)."
#define ML_METRIC_FAILED                                                                           \
    "bp_mailer_failed_total", "Invoice mails given up as FAILED after their last try."

/* Creates the four counters at 0 (no-op for those that exist). */
static inline void ml_metrics_declare(void)
{
    bp_metrics_counter_add(ML_METRIC_SENT, 0);
    bp_metrics_counter_add(ML_METRIC_UNCERTAIN, 0);
    bp_metrics_counter_add(ML_METRIC_ATTEMPT_FAILURES, 0);
    bp_metrics_counter_add(ML_METRIC_FAILED, 0);
}

#endif
