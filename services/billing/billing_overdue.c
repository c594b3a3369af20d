/* billing_overdue: see billing_overdue.h. The sweeper's own thread (bp_ticker)
 * and connection. */
#include "billing_overdue.h"

#include "bp_log.h"
#include "bp_metrics.h"
#include "bp_ticker.h"

#include <stdlib.h>

struct bl_overdue {
    bl_dunning d;
    bp_db *db;
    bp_outbox_relay *relay;
    bp_ticker *ticker;
};

static void sweep(void *ctx, const bp_ticker *t)
{
    (void)t;
    bl_overdue *o = ctx;
    int marked = 0;
    if (bl_dunning_sweep(o->db, &o->d, &marked) != BP_DB_OK) {
        bp_log_warn("overdue sweep: not done now: %s", bp_db_error(o->db));
        return;
    }
    if (marked > 0) {
        bp_outbox_relay_wake(o->relay);
        bp_metrics_counter_add("bp_billing_accounts_overdue_unpaid_total",
                               "Accounts made overdue by an invoice unpaid past its due date.",
                               marked);
    }
}

bl_overdue *bl_overdue_start(const bl_dunning *d, const char *database_url, long poll_ms,
                             bp_outbox_relay *relay)
{
    if (d->after_days <= 0)
        return NULL;
    bl_overdue *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    o->d = *d;
    o->relay = relay;
    o->db = bp_db_new(database_url);
    o->ticker = o->db ? bp_ticker_start(sweep, o, poll_ms) : NULL;
    if (o->ticker == NULL) {
        bp_log_error("overdue sweep: cannot start its thread");
        bp_db_free(o->db);
        free(o);
        return NULL;
    }
    return o;
}

void bl_overdue_stop(bl_overdue *o)
{
    if (o == NULL)
        return;
    bp_ticker_stop(o->ticker);
    bp_db_free(o->db);
    free(o);
}
