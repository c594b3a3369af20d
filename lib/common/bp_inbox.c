/* bp_inbox: the inbox claim and the claim-apply-commit skeleton (see the header). */
#include "bp_inbox.h"

#include <stddef.h>

bp_inbox_result bp_inbox_claim(bp_db *db, const char *consumer, const char *event_id)
{
    const char *params[] = {consumer, event_id};
    PGresult *res = NULL;
    if (bp_db_exec(db, &res,
                   "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2)"
                   " ON CONFLICT DO NOTHING RETURNING 1",
                   2, params) != BP_DB_OK)
        return BP_INBOX_DB_ERROR;
    bool fresh = PQntuples(res) == 1;
    PQclear(res);
    return fresh ? BP_INBOX_NEW : BP_INBOX_DUPLICATE;
}

bp_db_result bp_inbox_seen(bp_db *db, const char *consumer, const char *event_id, bool *seen)
{
    const char *params[] = {consumer, event_id};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec(
        db, &res, "SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2", 2, params);
    *seen = r == BP_DB_OK && PQntuples(res) > 0;
    if (r == BP_DB_OK)
        PQclear(res);
    return r;
}

bp_inbox_outcome bp_inbox_apply(bp_db *db, const char *consumer, const char *event_id,
                                bp_inbox_apply_fn fn, void *ctx, bool *applied, bp_db_result *dbr)
{
    *applied = false;
    bp_db_result r = bp_db_begin(db);
    if (r == BP_DB_OK) {
        bp_inbox_result ir = bp_inbox_claim(db, consumer, event_id);
        if (ir == BP_INBOX_DB_ERROR)
            r = BP_DB_UNAVAILABLE;
        else if (ir == BP_INBOX_NEW)
            r = fn(db, ctx, applied);
    }
    if (r == BP_DB_OK)
        r = bp_db_commit(db);
    *dbr = r;
    if (r == BP_DB_OK)
        return BP_INBOX_DONE;
    bp_db_rollback(db);
    *applied = false;
    /* An error or a conflict would fail the same way forever. */
    return r == BP_DB_ERROR || r == BP_DB_CONFLICT ? BP_INBOX_REFUSED : BP_INBOX_LATER;
}
