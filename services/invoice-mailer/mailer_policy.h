/* mailer_policy: the pure decisions of the sender — what one SMTP attempt
 * proved (accepted, refused, unknown), what an attempt interrupted by a crash
 * means, and when the next attempt is due. Kept apart from the I/O so that the
 * crash-window rules are unit-tested. */
#ifndef MAILER_POLICY_H
#define MAILER_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* How far an attempt got, as recorded in mail_attempts.stage. */
typedef enum {
    ML_STAGE_STARTED = 0, /* claimed; the end of the message was not yet handed to the server */
    ML_STAGE_DATA_SENT,   /* the end of the message may have reached the server */
} ml_stage;

typedef enum {
    ML_OUTCOME_ACCEPTED = 0, /* the server answered 250 to the end of the message */
    ML_OUTCOME_REFUSED,      /* the server answered 4xx/5xx: it does not have the message */
    ML_OUTCOME_FAILED,       /* no connection, or lost before the end of the message */
    ML_OUTCOME_INTERRUPTED,  /* stopped (shutdown, crash) before the end of the message */
    ML_OUTCOME_UNCERTAIN,    /* lost after the end of the message: the server may have it */
} ml_outcome;

/* "ACCEPTED", "REFUSED", ... (the mail_attempts.outcome values). */
const char *ml_outcome_name(ml_outcome o);
const char *ml_stage_name(ml_stage s);
/* Parses a stage name; anything unknown counts as DATA_SENT (the careful side). */
ml_stage ml_stage_parse(const char *name);

/* What a finished transfer proved. `data_sent`: the end of the message was
 * handed to the transport; `reply`: the last SMTP reply code seen (0 none);
 * `aborted`: we aborted the transfer ourselves (only ever before the end). */
ml_outcome ml_smtp_outcome(bool transfer_ok, bool data_sent, long reply, bool aborted);

/* The outcome of an attempt that a dead process left at `stage`. */
ml_outcome ml_orphan_outcome(ml_stage stage);

/* Delay before the next try after `attempts` (>= 1) tries that did not
 * deliver: min_ms doubled per attempt, at most max_ms. */
int64_t ml_backoff_ms(int attempts, int64_t min_ms, int64_t max_ms);

/* True when the mail must be given up (status FAILED) after `attempts`
 * undelivered tries; max_attempts 0 never gives up. */
bool ml_give_up(int attempts, long max_attempts);

#endif
