/* payment_collector: the thread that debits PENDING payments once their due
 * date has come (in the service's time zone) — the ones the consumer recorded
 * for later, and any an earlier attempt left PENDING. Its own database
 * connection and its own bank. */
#ifndef PAYMENT_COLLECTOR_H
#define PAYMENT_COLLECTOR_H

#include "payment_service.h"

#include <stddef.h>

typedef struct pm_collector pm_collector;

/* Starts the thread: every `poll_ms` it collects what has fallen due, oldest
 * due date first, through `bank` (taken: freed by pm_collector_stop). `svc` is
 * borrowed and must outlive the collector. NULL on failure (err; bank freed;
 * a NULL bank fails with err left as its maker wrote it). */
pm_collector *pm_collector_start(const pm_service *svc, pm_bank *bank, const char *database_url,
                                 int poll_ms, char *err, size_t errsize);

/* Asks the thread to stop after the payment in hand, without waiting (the
 * consumer can wind down meanwhile). NULL ignored. */
void pm_collector_signal(pm_collector *c);

/* Stops the thread after the payment in hand (bank delay included) and frees
 * it. NULL ignored. */
void pm_collector_stop(pm_collector *c);

#endif
