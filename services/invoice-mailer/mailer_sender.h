/* mailer_sender: the sender threads. Each has its own database connection and
 * loops: claim the oldest due mail (mailer_service), send it over SMTP
 * (mailer_smtp), record the outcome; idle senders sleep until woken by the
 * consumer or until the polling interval ends (retries fall due by time). A
 * mail that cannot be delivered waits for its backoff while the others go on,
 * and the Kafka consumer never waits for SMTP. */
#ifndef MAILER_SENDER_H
#define MAILER_SENDER_H

#include "mailer_service.h"
#include "mailer_smtp.h"

typedef struct {
    const char *database_url;
    const ml_service *service; /* borrowed; must outlive the senders */
    ml_smtp_config smtp;       /* strings borrowed */
    int threads;
    int poll_ms;
    int stop_grace_ms; /* at stop: how long a verdict, then a record, is waited for */
} ml_sender_config;

typedef struct ml_sender ml_sender;

/* Starts cfg->threads senders. NULL on failure (err). */
ml_sender *ml_sender_start(const ml_sender_config *cfg, char *err, size_t errsize);

/* Wakes an idle sender (a mail was queued). Thread-safe, never blocks long. NULL ignored. */
void ml_sender_wake(ml_sender *s);

/* Stops the senders: a dialogue that has not handed over the end of its
 * message is aborted (the mail is due again at once); one that has waits for
 * the server's verdict up to stop_grace_ms, then records the attempt
 * UNCERTAIN (sent again, same Message-ID, by the next run). Joins and frees.
 * NULL ignored. */
void ml_sender_stop(ml_sender *s);

#endif
