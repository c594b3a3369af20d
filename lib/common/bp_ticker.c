/* bp_ticker: see bp_ticker.h. */
#include "bp_ticker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

struct bp_ticker {
    bp_tick_fn tick;
    void *ctx;
    long interval_ms;
    atomic_bool stop;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
};

static void *ticker_main(void *arg)
{
    bp_ticker *t = arg;
    while (!atomic_load(&t->stop)) {
        t->tick(t->ctx, t);
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += t->interval_ms / 1000;
        until.tv_nsec += (t->interval_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&t->lock);
        while (!atomic_load(&t->stop) && pthread_cond_timedwait(&t->wake, &t->lock, &until) == 0) {
        }
        pthread_mutex_unlock(&t->lock);
    }
    return NULL;
}

bp_ticker *bp_ticker_start(bp_tick_fn tick, void *ctx, long interval_ms)
{
    bp_ticker *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->tick = tick;
    t->ctx = ctx;
    t->interval_ms = interval_ms > 0 ? interval_ms : 1;
    atomic_init(&t->stop, false);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&t->thread, NULL, ticker_main, t) != 0) {
        pthread_cond_destroy(&t->wake);
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
    }
    return t;
}

bool bp_ticker_stopping(const bp_ticker *t) { return atomic_load(&((bp_ticker *)t)->stop); }

void bp_ticker_signal(bp_ticker *t)
{
    if (t == NULL)
        return;
    pthread_mutex_lock(&t->lock);
    atomic_store(&t->stop, true);
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
}

void bp_ticker_stop(bp_ticker *t)
{
    if (t == NULL)
        return;
    bp_ticker_signal(t);
    pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    free(t);
}
