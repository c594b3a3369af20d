/* billing_dunning: accounts.overdue_since and its events (consumer thread,
 * inside the settlement's inbox transaction). */
#include "billing_dunning.h"

#include "bp_cloudevent.h"
#include "bp_log.h"
#include "bp_money.h"
#include "bp_outbox.h"
#include "bp_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Today in time zone $tz on the clock moved by $offset seconds (the test clock). */
#define TODAY(tz, offset)                                                                          \
    "((now() + make_interval(secs => " offset "::bigint)) AT TIME ZONE " tz ")::date"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* Queues event `type` with `data` (taken) under the contract's key. */
static bp_db_result publish(bp_db *db, const bl_dunning *d, const char *type, const char *subject,
                            const char *contract_id, json_t *data)
{
    char id[37];
    json_t *event = bp_cloudevent_new(d->source, type, subject, data, id);
    bp_db_result r = event ? bp_outbox_add(db, d->invoice_topic, contract_id, event) : BP_DB_ERROR;
    json_decref(event);
    return r;
}

bp_db_result bl_dunning_invoice_failed(bp_db *db, const bl_dunning *d, const char *invoice_ref,
                                       const json_t *failure)
{
    const char *params[] = {invoice_ref};
    PGresult *res = NULL;
    bp_db_result r =
        bp_db_exec(db, &res,
                   "UPDATE accounts a SET overdue_since = coalesce(a.overdue_since, now()),"
                   " overdue_invoice_ref = coalesce(a.overdue_invoice_ref, i.invoice_ref)"
                   " FROM invoices i WHERE i.invoice_ref = $1 AND a.contract_id = i.contract_id"
                   " RETURNING a.contract_id, a.contract_ref, i.total_with_tax, i.currency,"
                   " " TS("a.overdue_since") ", coalesce(i.due_date::text, '')",
                   1, params);
    if (r != BP_DB_OK || PQntuples(res) != 1) {
        PQclear(res);
        return r;
    }
    json_t *data =
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:O*, s:O*, s:O*, s:s}", "cause",
                  "PAYMENT_FAILED", "invoiceRef", invoice_ref, "contractId", PQgetvalue(res, 0, 0),
                  "contractRef", PQgetvalue(res, 0, 1), "amount",
                  bp_money_json(atoll(PQgetvalue(res, 0, 2)), PQgetvalue(res, 0, 3)), "currency",
                  PQgetvalue(res, 0, 3), "reasonCode", json_object_get(failure, "reasonCode"),
                  "reason", json_object_get(failure, "reason"), "failedAt",
                  json_object_get(failure, "failedAt"), "overdueSince", PQgetvalue(res, 0, 4));
    if (data != NULL && PQgetvalue(res, 0, 5)[0] != '\0')
        json_object_set_new(data, "dueDate", json_string(PQgetvalue(res, 0, 5)));
    char contract_id[37];
    snprintf(contract_id, sizeof contract_id, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    if (data == NULL)
        return BP_DB_ERROR;
    bp_log_info("account of invoice %s is overdue: purchases refused until it is paid",
                invoice_ref);
    return publish(db, d, "invoice.overdue", invoice_ref, contract_id, data);
}

bp_db_result bl_dunning_invoice_paid(bp_db *db, const bl_dunning *d, const char *invoice_ref)
{
    char days[16], off[24];
    snprintf(days, sizeof days, "%d", d->after_days);
    snprintf(off, sizeof off, "%lld", (long long)bp_time_test_offset_s(d->test_clock_file));
    const char *params[] = {invoice_ref, days, d->timezone ? d->timezone : "UTC", off};
    PGresult *res = NULL;
    bp_db_result r =
        bp_db_exec(db, &res,
                   "UPDATE accounts a SET overdue_since = NULL, overdue_invoice_ref = NULL"
                   " FROM invoices i WHERE i.invoice_ref = $1 AND a.contract_id = i.contract_id"
                   " AND a.overdue_since IS NOT NULL AND NOT EXISTS (SELECT 1 FROM invoices f"
                   "   WHERE f.contract_id = a.contract_id AND (f.status = 'PAYMENT_FAILED'"
                   "     OR ($2::int > 0 AND f.status IN ('ISSUED', 'SENT')"
                   "         AND f.due_date + $2::int < " TODAY(
                       "$3", "$4") ")))"
                                   " RETURNING a.contract_id, a.contract_ref, " TS("now()"),
                   4, params);
    if (r != BP_DB_OK || PQntuples(res) != 1) {
        PQclear(res);
        return r;
    }
    json_t *data = json_pack("{s:s, s:s, s:s, s:s}", "contractId", PQgetvalue(res, 0, 0),
                             "contractRef", PQgetvalue(res, 0, 1), "invoiceRef", invoice_ref,
                             "clearedAt", PQgetvalue(res, 0, 2));
    char contract_id[37];
    snprintf(contract_id, sizeof contract_id, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    if (data == NULL)
        return BP_DB_ERROR;
    bp_log_info("invoice %s paid: the account is no longer overdue", invoice_ref);
    return publish(db, d, "account.overdue_cleared", invoice_ref, contract_id, data);
}

bp_db_result bl_dunning_sweep(bp_db *db, const bl_dunning *d, int *marked)
{
    *marked = 0;
    if (d->after_days <= 0)
        return BP_DB_OK;
    char days[16], off[24];
    snprintf(days, sizeof days, "%d", d->after_days);
    snprintf(off, sizeof off, "%lld", (long long)bp_time_test_offset_s(d->test_clock_file));
    const char *params[] = {days, d->timezone ? d->timezone : "UTC", off};
    bp_db_result r = bp_db_begin(db);
    PGresult *res = NULL;
    if (r == BP_DB_OK)
        r = bp_db_exec(
            db, &res,
            "WITH aged AS (SELECT DISTINCT ON (i.contract_id) i.contract_id, i.invoice_ref,"
            "   i.total_with_tax, i.currency, i.due_date FROM invoices i"
            "   JOIN accounts a ON a.contract_id = i.contract_id"
            "   WHERE a.overdue_since IS NULL AND i.status IN ('ISSUED', 'SENT')"
            "     AND i.due_date + $1::int < " TODAY(
                "$2", "$3") "   ORDER BY i.contract_id, i.due_date, i.invoice_ref LIMIT 100)"
                            " UPDATE accounts a SET overdue_since = now(), overdue_invoice_ref = "
                            "aged.invoice_ref"
                            " FROM aged WHERE a.contract_id = aged.contract_id AND a.overdue_since "
                            "IS NULL"
                            " RETURNING a.contract_id, a.contract_ref, aged.invoice_ref, "
                            "aged.total_with_tax,"
                            " aged.currency, aged.due_date::text, " TS("a.overdue_since"),
            3, params);
    for (int i = 0; r == BP_DB_OK && i < PQntuples(res); i++) {
        const char *currency = PQgetvalue(res, i, 4);
        json_t *data =
            json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "cause", "UNPAID_PAST_DUE",
                      "invoiceRef", PQgetvalue(res, i, 2), "contractId", PQgetvalue(res, i, 0),
                      "contractRef", PQgetvalue(res, i, 1), "amount",
                      bp_money_json(atoll(PQgetvalue(res, i, 3)), currency), "currency", currency,
                      "dueDate", PQgetvalue(res, i, 5), "overdueSince", PQgetvalue(res, i, 6));
        r = data ? publish(db, d, "invoice.overdue", PQgetvalue(res, i, 2), PQgetvalue(res, i, 0),
                           data)
                 : BP_DB_ERROR;
        if (r == BP_DB_OK)
            bp_log_info("invoice %s unpaid %d days past its due date %s: account %s overdue",
                        PQgetvalue(res, i, 2), d->after_days, PQgetvalue(res, i, 5),
                        PQgetvalue(res, i, 1));
    }
    int n = r == BP_DB_OK && res != NULL ? PQntuples(res) : 0;
    PQclear(res);
    if (r == BP_DB_OK)
        r = bp_db_commit(db);
    if (r != BP_DB_OK)
        bp_db_rollback(db);
    else
        *marked = n;
    return r;
}
