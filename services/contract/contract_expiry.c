/* contract_expiry: periodic sweep on its own thread and connection. A contract
 * expires the day after its expireAt (UTC). Several instances may sweep at once:
 * the row lock and the state machine make the second expiry a 409 that is
 * ignored. */
#include "contract_expiry.h"

#include "bp_db.h"
#include "bp_log.h"
#include "bp_ticker.h"
#include "bp_time.h"
#include "contract_store.h"

#include <stdlib.h>

struct ct_expiry {
    const ct_service *svc;
    bp_db *db;
    bp_ticker *ticker;
};

static void sweep(void *ctx, const bp_ticker *t)
{
    ct_expiry *x = ctx;
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
            ct_result r = ct_service_change(x->svc, x->db, json_string_value(ref), CT_ACTION_EXPIRE,
                                            empty, NULL, "POST", "expiry", &o);
            json_decref(empty);
            ct_outcome_clear(&o);
            if (r == CT_UNAVAILABLE || r == CT_INTERNAL) { /* try again next interval */
                json_decref(refs);
                return;
            }
        }
        json_decref(refs);
        if (n < 100 || bp_ticker_stopping(t))
            break;
    }
}

ct_expiry *ct_expiry_start(const ct_service *svc, const char *database_url, long interval_s)
{
    ct_expiry *x = calloc(1, sizeof *x);
    if (x == NULL)
        return NULL;
    x->svc = svc;
    x->db = bp_db_new(database_url);
    x->ticker = x->db ? bp_ticker_start(sweep, x, interval_s * 1000) : NULL;
    if (x->ticker == NULL) {
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
    bp_ticker_stop(x->ticker);
    bp_db_free(x->db);
    free(x);
}
