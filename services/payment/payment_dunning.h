/* payment_dunning: the pure rules of dunning — which SEPA reason codes are
 * worth another attempt (AM04 insufficient funds) and which are final (MD01,
 * AC04, MD07, ...), and the retry schedule (BP_PAYMENT_RETRY_DAYS, "3,5,7": the
 * days after each failed attempt when the next one is made). No I/O. */
#ifndef PAYMENT_DUNNING_H
#define PAYMENT_DUNNING_H

#include <stdbool.h>
#include <stddef.h>

#define PM_DUNNING_MAX_RETRIES 10
#define PM_DUNNING_MAX_DAYS 60

typedef struct {
    int days[PM_DUNNING_MAX_RETRIES]; /* days[i]: wait before retry i+1 (1..60) */
    int n;                            /* number of retries; 0: a failure is always final */
} pm_dunning;

/* Parses "3,5,7" (spaces around items ignored; "none", empty or blank: no retries;
 * at most PM_DUNNING_MAX_RETRIES items of 1..PM_DUNNING_MAX_DAYS). false and a
 * message in err on anything else. */
bool pm_dunning_parse(const char *spec, pm_dunning *out, char *err, size_t errsize);

/* True when a debit refused with `code` may succeed later (AM04); false for
 * the final codes and any code not known to be temporary. */
bool pm_dunning_retryable(const char *code);

/* After a failure with `code` when `retries_done` retries were already made:
 * true and *days (the wait before the next attempt) when another attempt is
 * due; false when the failure is final (a final code, or retries exhausted). */
bool pm_dunning_next(const pm_dunning *d, const char *code, int retries_done, int *days);

#endif
