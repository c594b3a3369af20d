/* mailer_fixture: what the invoice-mailer integration tests share — a real
 * SMTP server (tests/support/smtp_sink.py) that stores each message as a file
 * and obeys flag files, the mailer daemon on its own database and topics,
 * `invoice.issued` events built from a template, and readers of the mails the
 * sink received (headers, both parts and the PDF attachment decoded). Test-only. */
#ifndef MAILER_FIXTURE_H
#define MAILER_FIXTURE_H

#include "bpt.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

/* The SMTP sink process. */
typedef struct {
    pid_t pid;
    int port;
    char dir[512];
    const char *args[8]; /* extra smtp_sink.py options (NULL-terminated), kept on restarts */
} mlf_sink;

/* Starts the sink on `port` storing into `dir` (created; emptied when `wipe`),
 * with s->args, and waits until it listens. */
void mlf_sink_start(mlf_sink *s, const char *dir, int port, bool wipe);

/* SIGTERM, waits for a clean exit (asserted). */
void mlf_sink_stop(mlf_sink *s);

/* Creates flag file `name` in the sink's folder with `content` (may be NULL). */
void mlf_sink_flag(mlf_sink *s, const char *name, const char *content);
void mlf_sink_unflag(mlf_sink *s, const char *name);

/* Waits until file `name` exists in the sink's folder. */
bool mlf_sink_wait_file(mlf_sink *s, const char *name, int timeout_ms);

/* One received message. */
typedef struct {
    char file[800];
    char envelope_to[256];
    char message_id[160];
    char subject[300];
    char *raw, *text, *html; /* malloc'd; text/html decoded from quoted-printable */
    unsigned char *pdf;      /* the attached PDF decoded from base64, or NULL */
    size_t pdf_len;
    char pdf_name[160]; /* its Content-Disposition filename */
} mlf_mail;

/* Every message received so far, in arrival order (*n of them). Free with mlf_mails_free. */
mlf_mail *mlf_mails(mlf_sink *s, int *n);
void mlf_mails_free(mlf_mail *m, int n);

/* How many received messages carry Message-ID <invoice_ref@boissipay>. */
int mlf_count(mlf_sink *s, const char *invoice_ref);

/* Waits until at least `n` messages for invoice_ref arrived. */
bool mlf_wait_count(mlf_sink *s, const char *invoice_ref, int n, int timeout_ms);

/* The mailer under test and its surroundings. */
typedef struct {
    bpt_proc mailer;
    mlf_sink sink;
    char db[512];
    char invoice_topic[128], dead_letter_topic[128];
    char name[64];
} mlf_stack;

/* Creates the database and topics named after `name`, starts the sink and the
 * mailer (extra "K=V" settings in `extra`, NULL-terminated, may be NULL) and
 * waits until the mailer is ready. */
void mlf_start(mlf_stack *st, const char *name, const char *const *extra);

/* mlf_start with options for the sink (smtp_sink.py's, NULL-terminated, may be
 * NULL; the strings must outlive the stack). */
void mlf_start_with(mlf_stack *st, const char *name, const char *const *extra,
                    const char *const *sink_args);

/* Stops the mailer (SIGTERM, exit status 0 asserted) and the sink. */
void mlf_stop(mlf_stack *st);

/* An invoice.issued CloudEvent (JSON text, caller frees) for `invoice_ref`
 * mailed to `email`, with event id `event_id` (NULL: a new one) and contract
 * `contract_ref`. Totals 21.08 EUR (19.60 + 1.48), due 2026-12-01. */
char *mlf_invoice_event(const char *event_id, const char *invoice_ref, const char *email,
                        const char *contract_ref);

/* The contract id every test invoice carries (the Kafka key). */
#define MLF_CONTRACT_ID "0b7e6c1e-2f4a-4c55-9d0e-5a1b2c3d4e5f"

/* Produces mlf_invoice_event(...) on the invoice topic. */
void mlf_issue(mlf_stack *st, const char *invoice_ref, const char *email, const char *contract_ref);

/* GET /mails/{ref} (read key); NULL unless 200. Caller decrefs. */
json_t *mlf_mail_doc(mlf_stack *st, const char *invoice_ref);

/* Waits until GET /mails/{ref} shows `status`. */
bool mlf_wait_status(mlf_stack *st, const char *invoice_ref, const char *status, int timeout_ms);

/* The `invoice.sent` events on the invoice topic for invoice_ref (each the
 * whole CloudEvent). Caller decrefs. */
json_t *mlf_sent_events(mlf_stack *st, const char *invoice_ref);

#endif
