/* mailer_smtp: one SMTP dialogue with libcurl (smtp:// or smtps://, optional
 * STARTTLS and AUTH): MAIL FROM, one RCPT TO, DATA with a ready message. It
 * reports what the dialogue proved (mailer_policy's outcome), never retries by
 * itself, and lets its caller act at the one moment that matters: just before
 * the end of the message is handed to the server. Runs on a sender thread;
 * curl_global_init must have run in main() before any thread. */
#ifndef MAILER_SMTP_H
#define MAILER_SMTP_H

#include "mailer_policy.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *url;  /* smtp://host:port or smtps://host:port */
    const char *user; /* "" or NULL: no AUTH */
    const char *password;
    const char *from;    /* envelope sender */
    bool starttls;       /* require TLS (CURLUSESSL_ALL) */
    const char *ca_file; /* "" or NULL: the system's CAs */
    long connect_timeout_s, timeout_s;
} ml_smtp_config;

typedef struct {
    /* Called once, after the whole message was read and before its end is
     * handed to the server. Returning false aborts the dialogue before the
     * server can accept anything. */
    bool (*before_end)(void *ctx);
    /* Polled during the dialogue; false aborts it, but only while the end of
     * the message has not been handed over (after that the verdict is awaited). */
    bool (*keep_going)(void *ctx);
    /* Polled while the verdict is awaited; true abandons the wait (the
     * outcome is then UNCERTAIN). May be NULL. */
    bool (*give_up_verdict)(void *ctx);
    void *ctx;
} ml_smtp_hooks;

typedef struct {
    ml_outcome outcome;
    long code;       /* last SMTP reply code seen, 0 when none */
    char reply[256]; /* last reply line from the server, "" when none */
    char error[512]; /* what went wrong, "" when accepted */
} ml_smtp_result;

/* Sends `message` (CRLF lines) to `rcpt` through cfg. Fills *out; never fails
 * otherwise. */
void ml_smtp_send(const ml_smtp_config *cfg, const char *rcpt, const char *message,
                  const ml_smtp_hooks *hooks, ml_smtp_result *out);

#endif
