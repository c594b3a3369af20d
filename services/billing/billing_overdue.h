/* billing_overdue: the thread that marks accounts overdue whose invoice is
 * unpaid BP_BILLING_OVERDUE_AFTER_DAYS past its due date (bl_dunning_sweep),
 * every BP_BILLING_OVERDUE_POLL_MS, on its own database connection. Several
 * instances may sweep at once: the conditional UPDATE marks an account once. */
#ifndef BILLING_OVERDUE_H
#define BILLING_OVERDUE_H

#include "billing_dunning.h"
#include "bp_outbox.h"

typedef struct bl_overdue bl_overdue;

/* Starts the sweeper with `d` (copied; its strings borrowed) unless
 * d->after_days is 0 (NULL then, as on failure, which is logged). `relay` is
 * woken after a sweep that queued events. */
bl_overdue *bl_overdue_start(const bl_dunning *d, const char *database_url, long poll_ms,
                             bp_outbox_relay *relay);

/* Stops the thread after the sweep in hand and frees it. NULL ignored. */
void bl_overdue_stop(bl_overdue *o);

#endif
