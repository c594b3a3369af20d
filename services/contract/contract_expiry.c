/* contract_expiry: periodic sweep on its own thread and connection. A contract
 * expires the day after its expireAt (UTC). Several instances may sweep at once:
 * the row lock and the state machine make the second expiry a 409 that is
 * ignored. */
#include "contract_expiry.h"

#include "bp_db.h"
#include "bp_log.h"
#include "bp_time.h"
#include "contract_store.h"

#include <pthread.h>
#include <stdlib.h>

struct ct_expiry {
    const ct_service *svc;
    bp_db *db;
    long interval_s;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

static void sweep(ct_expiry *x)
{
    char today[11];
    bp_date_format(bp_date_today_utc(), today, sizeof today);
    for (;;) {
        json_t *refs = NULL;
        if (ct_store_expired_refs(x->db, today, 100, &refs) != BP_DB_OK)
            return;
        size_t n = json_array_size(refs);
        size_t i;
        json_t *ref;
        json_array_foreach(refs, i, ref)
        {
            ct_outcome o = {0};
            json_t *empty = json_object();
            ct_result r = ct_service_change(x->svc, x->db, json_string_value(ref),
                                            CT_ACTION_EXPIRE, empty, NULL, "POST", "expiry", &o);
            json_decref(empty);
            ct_outcome_clear(&o);
            if (r == CT_UNAVAILABLE || r == CT_INTERNAL) { /* try again next interval */
                json_decref(refs);
                return;
            }
        }
        json_decref(refs);
        if (n < 100)
            break;
    }
}

static void *expiry_main(void *arg)
{
    ct_expiry *x = arg;
    pthread_mutex_lock(&x->lock);
    while (!x->stop) {
        pthread_mutex_unlock(&x->lock);
        sweep(x);
        pthread_mutex_lock(&x->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += x->interval_s;
        while (!x->stop && pthread_cond_timedwait(&x->wake, &x->lock, &until) == 0) {
        }
    }
    pthread_mutex_unlock(&x->lock);
    return NULL;
}

ct_expiry *ct_expiry_start(const ct_service *svc, const char *database_url, long interval_s)
{
    ct_expiry *x = calloc(1, sizeof *x);
    if (x == NULL)
        return NULL;
    x->svc = svc;
    x->interval_s = interval_s;
    x->db = bp_db_new(database_url);
    pthread_mutex_init(&x->lock, NULL);
    pthread_cond_init(&x->wake, NULL);
    if (x->db == NULL || pthread_create(&x->thread, NULL, expiry_main, x) != 0) {
        bp_db_free(x->db);
        free(x);
        return NULL;
    }
    return x;
}

void ct_expiry_stop(ct_expiry *x)
{
    if (x == NULL)
        return;
    pthread_mutex_lock(&x->lock);
    x->stop = true;
    pthread_cond_signal(&x->wake);
    pthread_mutex_unlock(&x->lock);
    pthread_join(x->thread, NULL);
    pthread_cond_destroy(&x->wake);
    pthread_mutex_destroy(&x->lock);
    bp_db_free(x->db);
    free(x);
}
