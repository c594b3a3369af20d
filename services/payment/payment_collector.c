/* payment_collector: see payment_collector.h. A payment the consumer thread is
 * collecting right now is left alone (only payments requested a minute ago or
 * more are looked at), and two instances' collectors take turns on a payment
 * (a session advisory lock per invoice); when two still meet on one invoice,
 * the bank gives the same answer twice and only one result is recorded
 * (pm_service_collect). */
#include "payment_collector.h"

#include "bp_log.h"
#include "bp_metrics.h"
#include "bp_ticker.h"

#include <stdio.h>
#include <stdlib.h>

#define BATCH 32
#define MIN_AGE_S 60 /* younger requests are the consumer's */

struct pm_collector {
    const pm_service *svc;
    pm_bank *bank;
    bp_db *db;
    bp_ticker *ticker;
};

/* One round: collects what has fallen due, a batch at a time. */
static void collect_due(void *ctx, const bp_ticker *t)
{
    pm_collector *c = ctx;
    pm_payment *batch = calloc(BATCH, sizeof *batch);
    if (batch == NULL)
        return;
    int n = BATCH;
    while (n == BATCH && !bp_ticker_stopping(t)) {
        if (pm_store_due_pending(c->db, c->svc->timezone, pm_service_clock_offset(c->svc),
                                 MIN_AGE_S, batch, BATCH, &n) != BP_DB_OK) {
            bp_log_warn("collector: cannot look for payments due now: %s", bp_db_error(c->db));
            break;
        }
        int failed = 0, skipped = 0;
        for (int i = 0; i < n && !bp_ticker_stopping(t); i++) {
            bool mine = false;
            if (pm_store_claim(c->db, batch[i].invoice_ref, &mine) != BP_DB_OK) {
                failed++;
                break;
            }
            if (!mine) {
                skipped++; /* another instance's collector has it now */
                continue;
            }
            pm_event_result r = pm_service_collect(c->svc, c->bank, c->db, &batch[i]);
            if (pm_store_unclaim(c->db, batch[i].invoice_ref) != BP_DB_OK)
                bp_log_warn("collector: lock of %s not released: %s", batch[i].invoice_ref,
                            bp_db_error(c->db));
            if (r == PM_EVENT_DONE)
                bp_metrics_counter_add("bp_payment_collected_on_due_date_total",
                                       "Payments the collector debited on their due date.", 1);
            if (r == PM_EVENT_SCHEDULED)
                bp_metrics_counter_add("bp_payment_retries_scheduled_total",
                                       "Refused debits scheduled for another attempt.", 1);
            failed += r == PM_EVENT_RETRY;
        }
        if (failed > 0 || skipped > 0)
            break; /* bank or database away, or others at work: the next round */
    }
    free(batch);
}

pm_collector *pm_collector_start(const pm_service *svc, pm_bank *bank, const char *database_url,
                                 int poll_ms, char *err, size_t errsize)
{
    if (bank == NULL)
        return NULL; /* err says why */
    pm_collector *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errsize, "collector: out of memory");
        pm_bank_free(bank);
        return NULL;
    }
    c->svc = svc;
    c->bank = bank;
    c->db = bp_db_new(database_url);
    c->ticker = c->db ? bp_ticker_start(collect_due, c, poll_ms) : NULL;
    if (c->ticker == NULL) {
        snprintf(err, errsize, "collector: cannot start its thread");
        bp_db_free(c->db);
        pm_bank_free(bank);
        free(c);
        return NULL;
    }
    return c;
}

void pm_collector_signal(pm_collector *c)
{
    if (c != NULL)
        bp_ticker_signal(c->ticker);
}

void pm_collector_stop(pm_collector *c)
{
    if (c == NULL)
        return;
    bp_ticker_stop(c->ticker);
    bp_db_free(c->db);
    pm_bank_free(c->bank);
    free(c);
}
