/* mailer_sender: sender threads (one connection each) and their wake-up.
 * The order of one send and what each crash means are described at the top of
 * mailer_service.c; this file only runs the loop. */
#include "mailer_sender.h"

#include "mailer_metrics.h"

#include "bp_log.h"
#include "bp_metrics.h"
#include "bp_time.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    ml_sender *owner;
    pthread_t thread;
    bp_db *db;
    int index;
    bool started;
} worker;

struct ml_sender {
    ml_sender_config cfg;
    worker *workers;
    atomic_bool stop;
    _Atomic int64_t stop_at_us; /* monotonic time of the stop request */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned wakes; /* under lock: mails queued since the senders last looked */
};

/* Sleeps up to ms, or until woken or stopped. */
static void idle_wait(ml_sender *s, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (s->wakes == 0 && !atomic_load(&s->stop)) {
        if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT)
            break;
    }
    if (s->wakes > 0)
        s->wakes--;
    pthread_mutex_unlock(&s->lock);
}

void ml_sender_wake(ml_sender *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    s->wakes++;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

typedef struct {
    worker *w;
    const ml_claim *claim;
} send_ctx;

static bool before_end(void *arg)
{
    send_ctx *x = arg;
    return ml_service_mark_data_sent(x->w->db, x->claim);
}

static bool keep_going(void *arg)
{
    send_ctx *x = arg;
    return !atomic_load(&x->w->owner->stop);
}

/* At shutdown a verdict is awaited for the grace period, then abandoned
 * (recorded UNCERTAIN: the mail is sent again by the next run). */
static bool give_up_verdict(void *arg)
{
    send_ctx *x = arg;
    ml_sender *s = x->w->owner;
    return atomic_load(&s->stop) &&
           bp_time_mono_us() - atomic_load(&s->stop_at_us) > (int64_t)s->cfg.stop_grace_ms * 1000;
}

static void count(const ml_smtp_result *res)
{
    bp_metrics_gauge_set("bp_smtp_up",
                         "1 when the last SMTP attempt reached a server that "
                         "answered.",
                         res->code > 0);
    switch (res->outcome) {
    case ML_OUTCOME_ACCEPTED:
        bp_metrics_counter_add(ML_METRIC_SENT, 1);
        break;
    case ML_OUTCOME_UNCERTAIN:
        bp_metrics_counter_add(ML_METRIC_UNCERTAIN, 1);
        break;
    case ML_OUTCOME_INTERRUPTED:
        break;
    case ML_OUTCOME_REFUSED:
    case ML_OUTCOME_FAILED:
        bp_metrics_counter_add(ML_METRIC_ATTEMPT_FAILURES, 1);
        break;
    }
}

/* Sends a claimed mail and records the outcome, retrying the record while the
 * database is away (the outcome is only in memory until then). */
static void send_one(worker *w, ml_claim *c)
{
    ml_sender *s = w->owner;
    send_ctx x = {.w = w, .claim = c};
    ml_smtp_hooks hooks = {.before_end = before_end,
                           .keep_going = keep_going,
                           .give_up_verdict = give_up_verdict,
                           .ctx = &x};
    ml_smtp_result res;
    ml_smtp_send(&s->cfg.smtp, c->recipient, c->message, &hooks, &res);
    count(&res);
    int delay = 100;
    while (ml_service_finish(s->cfg.service, w->db, c, &res) != BP_DB_OK) {
        if (atomic_load(&s->stop)) {
            if (bp_time_mono_us() - atomic_load(&s->stop_at_us) >
                (int64_t)s->cfg.stop_grace_ms * 1000) {
                bp_log_error("mail %s: outcome %s of attempt %d not recorded before shutdown; "
                             "the next run treats the attempt as interrupted",
                             c->invoice_ref, ml_outcome_name(res.outcome), c->attempt);
                break;
            }
        }
        struct timespec ts = {delay / 1000, (long)(delay % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        delay = delay * 2 > 5000 ? 5000 : delay * 2;
    }
    ml_store_unlock(w->db, c->id);
}

static void *sender_main(void *arg)
{
    worker *w = arg;
    ml_sender *s = w->owner;
    bool recovered = w->index != 0; /* the first sender re-examines SENDING mails once */
    int backoff = 100;
    while (!atomic_load(&s->stop)) {
        if (!recovered) {
            recovered = ml_service_recover(w->db) == BP_DB_OK;
            if (!recovered) {
                idle_wait(s, backoff);
                backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
                continue;
            }
        }
        ml_claim c;
        switch (ml_service_claim(s->cfg.service, w->db, &c)) {
        case ML_CLAIM_OK:
            send_one(w, &c);
            ml_claim_clear(&c);
            backoff = 100;
            break;
        case ML_CLAIM_BUSY:
            break;
        case ML_CLAIM_NONE:
            backoff = 100;
            idle_wait(s, s->cfg.poll_ms);
            break;
        case ML_CLAIM_RETRY:
            idle_wait(s, backoff);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
            break;
        }
    }
    return NULL;
}

static void free_sender(ml_sender *s)
{
    for (int i = 0; i < s->cfg.threads; i++)
        bp_db_free(s->workers[i].db);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s->workers);
    free(s);
}

ml_sender *ml_sender_start(const ml_sender_config *cfg, char *err, size_t errsize)
{
    ml_sender *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    ml_metrics_declare();
    atomic_init(&s->stop, false);
    atomic_init(&s->stop_at_us, 0);
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &attr);
    pthread_condattr_destroy(&attr);
    s->workers = calloc((size_t)cfg->threads, sizeof *s->workers);
    if (s->workers == NULL) {
        snprintf(err, errsize, "out of memory");
        free_sender(s);
        return NULL;
    }
    for (int i = 0; i < cfg->threads; i++) {
        worker *w = &s->workers[i];
        *w = (worker){.owner = s, .index = i, .db = bp_db_new(cfg->database_url)};
        if (w->db == NULL || pthread_create(&w->thread, NULL, sender_main, w) != 0) {
            snprintf(err, errsize, "cannot start sender thread %d", i);
            ml_sender_stop(s);
            return NULL;
        }
        w->started = true;
    }
    return s;
}

void ml_sender_stop(ml_sender *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->stop_at_us, bp_time_mono_us());
    atomic_store(&s->stop, true);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    for (int i = 0; i < s->cfg.threads; i++) {
        if (s->workers[i].started)
            pthread_join(s->workers[i].thread, NULL);
    }
    free_sender(s);
}
