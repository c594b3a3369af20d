/* payment_collector: see payment_collector.h. A payment the consumer thread is
 * collecting right now is left alone (only payments requested a minute ago or
 * more are looked at); when both still meet on one invoice, the bank gives
 * the same answer twice and only one result is recorded (pm_service_collect). */
#include "payment_collector.h"

#include "bp_log.h"
#include "bp_metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BATCH 32
#define MIN_AGE_S 60 /* younger requests are the consumer's */

struct pm_collector {
    const pm_service *svc;
    pm_bank *bank;
    bp_db *db;
    int poll_ms;
    atomic_bool stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
};

/* One pass: collects what has fallen due, a batch at a time. */
static void collect_due(pm_collector *c)
{
    pm_payment *batch = calloc(BATCH, sizeof *batch);
    if (batch == NULL)
        return;
    int n = BATCH;
    while (n == BATCH && !atomic_load(&c->stop)) {
        if (pm_store_due_pending(c->db, c->svc->timezone, MIN_AGE_S, batch, BATCH, &n) !=
            BP_DB_OK) {
            bp_log_warn("collector: cannot look for payments due now: %s", bp_db_error(c->db));
            break;
        }
        int failed = 0;
        for (int i = 0; i < n && !atomic_load(&c->stop); i++) {
            pm_event_result r = pm_service_collect(c->svc, c->bank, c->db, &batch[i]);
            if (r == PM_EVENT_DONE)
                bp_metrics_counter_add("bp_payment_collected_on_due_date_total",
                                       "Payments the collector debited on their due date.", 1);
            failed += r == PM_EVENT_RETRY;
        }
        if (failed > 0)
            break; /* bank or database away: the next pass tries again */
    }
    free(batch);
}

static void *run(void *arg)
{
    pm_collector *c = arg;
    pthread_mutex_lock(&c->mu);
    while (!atomic_load(&c->stop)) {
        pthread_mutex_unlock(&c->mu);
        collect_due(c);
        pthread_mutex_lock(&c->mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += c->poll_ms / 1000;
        until.tv_nsec += (long)(c->poll_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!atomic_load(&c->stop) && pthread_cond_timedwait(&c->cv, &c->mu, &until) == 0) {
        }
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
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
    c->poll_ms = poll_ms;
    c->db = bp_db_new(database_url);
    atomic_init(&c->stop, false);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (c->db == NULL || pthread_create(&c->thread, NULL, run, c) != 0) {
        snprintf(err, errsize, "collector: cannot start its thread");
        bp_db_free(c->db);
        pm_bank_free(bank);
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return NULL;
    }
    return c;
}

void pm_collector_stop(pm_collector *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->mu);
    atomic_store(&c->stop, true);
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    bp_db_free(c->db);
    pm_bank_free(c->bank);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}
