/* billing_groupcommit: lanes, their queues, the leader's turn and the batch retry. */
#include "billing_groupcommit.h"

#include "bp_log.h"
#include "bp_metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GC_RERUNS                                                                                  \
    "boissipay_group_commit_reruns_total", "batches run again without a statement that failed"

typedef struct job {
    const char *key;
    const bp_db_stmt *stmt;
    const char *const *params;
    bp_db_result result;
    int rows;
    bool done;
    pthread_cond_t wake; /* done, or first in the queue of an idle lane: lead */
    struct job *next;
} job;

/* A lane: one connection, its queue, and whether a leader is running a batch on it. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a job was queued while the leader waits for more */
    job *head, *tail;
    int queued;
    bool busy;      /* a leader holds the connection */
    bool gathering; /* the leader waits for more (the window) */
    int last;       /* size of the batch before */
    bp_db *db;
} lane;

struct bl_gc {
    bl_gc_config cfg;
    int n;
    lane *lanes;
};

/* FNV-1a: the lane owning a key. */
static unsigned key_hash(const char *key)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* Takes up to max jobs off the queue (called locked). */
static int take(lane *c, job **out, int max)
{
    int n = 0;
    while (c->head != NULL && n < max) {
        out[n++] = c->head;
        c->head = c->head->next;
    }
    if (c->head == NULL)
        c->tail = NULL;
    c->queued -= n;
    return n;
}

/* Stable insertion sort by key: per key the arrival order stays, and every batch
 * locks its rows in one global order. */
static void sort_by_key(job **jobs, int n)
{
    for (int i = 1; i < n; i++) {
        job *j = jobs[i];
        int k = i - 1;
        while (k >= 0 && strcmp(jobs[k]->key, j->key) > 0) {
            jobs[k + 1] = jobs[k];
            k--;
        }
        jobs[k + 1] = j;
    }
}

/* Runs the batch; a statement that fails is taken out and the rest run again.
 * A connection found broken (the server restarted while it was idle) is replaced
 * and the batch run once more: should the first run have committed after all, every
 * statement of the second fails alone on its unique keys (the operation id, the
 * event id), and its request goes the slow way, which finds it committed. */
static void run_batch(lane *c, job *const *batch, int n)
{
    job *jobs[n]; /* those still to run */
    memcpy(jobs, batch, (size_t)n * sizeof *jobs);
    const bp_db_stmt *stmts[n];
    const char *const *params[n];
    int rows[n];
    bool reconnected = false;
    while (n > 0) {
        for (int i = 0; i < n; i++) {
            stmts[i] = jobs[i]->stmt;
            params[i] = jobs[i]->params;
        }
        int failed = -1;
        bp_db_result r = bp_db_exec_batch(c->db, n, stmts, params, rows, &failed);
        if (r == BP_DB_OK) {
            for (int i = 0; i < n; i++) {
                jobs[i]->result = BP_DB_OK;
                jobs[i]->rows = rows[i];
            }
            bp_metrics_counter_add("boissipay_group_commit_transactions_total",
                                   "transactions of the group committers", 1);
            return;
        }
        if (r == BP_DB_UNAVAILABLE && !reconnected) {
            reconnected = true;
            bp_log_warn("group commit: connection lost (%s), running the batch again",
                        bp_db_error(c->db));
            continue;
        }
        if (failed < 0 || r == BP_DB_UNAVAILABLE) {
            bp_log_warn("group commit of %d statements failed (%s): %s", n, bp_db_result_text(r),
                        bp_db_error(c->db));
            for (int i = 0; i < n; i++)
                jobs[i]->result = r;
            return;
        }
        if (r == BP_DB_ERROR)
            bp_log_warn("group commit: a statement failed: %s", bp_db_error(c->db));
        jobs[failed]->result = r; /* its own failure; the others again without it */
        jobs[failed]->rows = 0;
        memmove(&jobs[failed], &jobs[failed + 1], (size_t)(n - failed - 1) * sizeof *jobs);
        n--;
        bp_metrics_counter_add(GC_RERUNS, 1);
    }
}

static void deadline_in(struct timespec *t, long us)
{
    clock_gettime(CLOCK_MONOTONIC, t);
    t->tv_nsec += us * 1000;
    t->tv_sec += t->tv_nsec / 1000000000;
    t->tv_nsec %= 1000000000;
}

/* The leader's turn (called locked, returns locked): under load it waits up to the
 * window for more, takes what is queued, runs it unlocked, then wakes the others. */
static void lead(bl_gc *gc, lane *c)
{
    const bl_gc_config *cfg = &gc->cfg;
    int max = (int)cfg->max_batch;
    c->busy = true;
    if (cfg->window_us > 0 && c->last > 1 && c->queued < max) {
        struct timespec until;
        deadline_in(&until, cfg->window_us);
        c->gathering = true;
        while (c->queued < max && pthread_cond_timedwait(&c->work, &c->lock, &until) != ETIMEDOUT) {
        }
        c->gathering = false;
    }
    job *jobs[max];
    int n = take(c, jobs, max);
    pthread_mutex_unlock(&c->lock);
    sort_by_key(jobs, n);
    run_batch(c, jobs, n);
    bp_metrics_counter_add("boissipay_group_commit_statements_total",
                           "statements run by the group committers", n);
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < n; i++) { /* each waiter alone: no herd on the lock */
        jobs[i]->done = true;
        pthread_cond_signal(&jobs[i]->wake);
    }
    c->last = n;
    c->busy = false;
    if (c->head != NULL) /* who came meanwhile: the first leads the next batch */
        pthread_cond_signal(&c->head->wake);
}

bl_gc *bl_gc_start(const bl_gc_config *cfg)
{
    if (cfg->committers <= 0)
        return NULL;
    bp_metrics_counter_add(GC_RERUNS, 0); /* at zero from the start, for rate() */
    bl_gc *gc = calloc(1, sizeof *gc);
    if (gc == NULL)
        return NULL;
    gc->cfg = *cfg;
    if (gc->cfg.max_batch < 1)
        gc->cfg.max_batch = 1;
    gc->lanes = calloc((size_t)cfg->committers, sizeof *gc->lanes);
    if (gc->lanes == NULL) {
        free(gc);
        return NULL;
    }
    for (long i = 0; i < cfg->committers; i++) {
        lane *c = &gc->lanes[i];
        c->db = bp_db_new(cfg->database_url);
        if (c->db == NULL) {
            bl_gc_stop(gc);
            return NULL;
        }
        pthread_mutex_init(&c->lock, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&c->work, &ca);
        pthread_condattr_destroy(&ca);
        gc->n = (int)i + 1;
    }
    return gc;
}

void bl_gc_stop(bl_gc *gc)
{
    if (gc == NULL)
        return;
    for (int i = 0; i < gc->n; i++) {
        lane *c = &gc->lanes[i];
        bp_db_free(c->db);
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->work);
    }
    free(gc->lanes);
    free(gc);
}

bp_db_result bl_gc_run(bl_gc *gc, const char *key, const bp_db_stmt *stmt,
                       const char *const *params, int *rows)
{
    lane *c = &gc->lanes[key_hash(key) % (unsigned)gc->n];
    job j = {.key = key, .stmt = stmt, .params = params, .result = BP_DB_ERROR};
    pthread_cond_init(&j.wake, NULL);
    pthread_mutex_lock(&c->lock);
    if (c->tail != NULL)
        c->tail->next = &j;
    else
        c->head = &j;
    c->tail = &j;
    c->queued++;
    if (c->gathering)
        pthread_cond_signal(&c->work);
    while (!j.done) {
        if (!c->busy)
            lead(gc, c); /* this thread runs the next batch, its own job among it */
        else
            pthread_cond_wait(&j.wake, &c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    pthread_cond_destroy(&j.wake);
    *rows = j.rows;
    return j.result;
}
