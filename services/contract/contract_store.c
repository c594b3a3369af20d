/* contract_store: SQL of the contracts table. Runs on the caller's thread and
 * connection (HTTP workers, the expiry sweeper). */
#include "contract_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *doc_text(const json_t *doc)
{
    return json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

bp_db_result ct_store_insert(bp_db *db, const char *contract_id, const char *contract_ref,
                             const char *status, const char *customer_ref, const char *expire_at,
                             const char *iban, const json_t *doc)
{
    char *text = doc_text(doc);
    if (text == NULL)
        return BP_DB_ERROR;
    const char *params[] = {
        contract_id, contract_ref,          status, customer_ref[0] ? customer_ref : NULL,
        expire_at,   iban[0] ? iban : NULL, text};
    bp_db_result r = bp_db_exec(db, NULL,
                                "INSERT INTO contracts (contract_id, contract_ref, status,"
                                " customer_ref, expire_at, version, mandate_iban, doc)"
                                " VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
                                7, params);
    free(text);
    return r;
}

bp_db_result ct_store_get(bp_db *db, const char *contract_ref, bool for_update, json_t **doc,
                          char *contract_id, char *iban)
{
    *doc = NULL;
    const char *params[] = {contract_ref};
    PGresult *res = NULL;
    bp_db_result r =
        bp_db_exec(db, &res,
                   for_update ? "SELECT contract_id, doc, coalesce(mandate_iban, '') FROM contracts"
                                " WHERE contract_ref = $1 FOR UPDATE"
                              : "SELECT contract_id, doc, coalesce(mandate_iban, '') FROM contracts"
                                " WHERE contract_ref = $1",
                   1, params);
    if (r != BP_DB_OK)
        return r;
    if (PQntuples(res) == 1) {
        snprintf(contract_id, 37, "%s", PQgetvalue(res, 0, 0));
        snprintf(iban, 35, "%s", PQgetvalue(res, 0, 2));
        *doc = json_loads(PQgetvalue(res, 0, 1), JSON_ALLOW_NUL, NULL);
        if (*doc == NULL)
            r = BP_DB_ERROR;
    }
    PQclear(res);
    return r;
}

bp_db_result ct_store_update(bp_db *db, const char *contract_id, const char *status,
                             int64_t version, const char *iban, const json_t *doc)
{
    char *text = doc_text(doc);
    if (text == NULL)
        return BP_DB_ERROR;
    char v[24];
    snprintf(v, sizeof v, "%lld", (long long)version);
    const char *params[] = {contract_id, status, v, iban && iban[0] ? iban : NULL, text};
    bp_db_result r = bp_db_exec(db, NULL,
                                "UPDATE contracts SET status = $2, version = $3,"
                                " mandate_iban = coalesce($4, mandate_iban), doc = $5,"
                                " updated_at = now() WHERE contract_id = $1",
                                5, params);
    free(text);
    return r;
}

bp_db_result ct_store_list(bp_db *db, const char *status, const char *customer_ref, int64_t limit,
                           int64_t offset, json_t **items, int64_t *total)
{
    *items = NULL;
    *total = 0;
    char l[24], o[24];
    snprintf(l, sizeof l, "%lld", (long long)limit);
    snprintf(o, sizeof o, "%lld", (long long)offset);
    const char *params[] = {status, customer_ref, l, o};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec(db, &res,
                                "SELECT doc, count(*) OVER () FROM contracts"
                                " WHERE ($1::text IS NULL OR status = $1)"
                                "   AND ($2::text IS NULL OR customer_ref = $2)"
                                " ORDER BY seq LIMIT $3::bigint OFFSET $4::bigint",
                                4, params);
    if (r != BP_DB_OK)
        return r;
    json_t *arr = json_array();
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        json_t *doc = json_loads(PQgetvalue(res, i, 0), JSON_ALLOW_NUL, NULL);
        if (doc != NULL)
            json_array_append_new(arr, doc);
    }
    if (n > 0) {
        *total = atoll(PQgetvalue(res, 0, 1));
        PQclear(res);
    } else {
        /* An empty page still reports how many rows the filter matches. */
        PQclear(res);
        r = bp_db_count(db,
                        "SELECT count(*) FROM contracts WHERE ($1::text IS NULL OR status = $1)"
                        " AND ($2::text IS NULL OR customer_ref = $2)",
                        2, params, total);
    }
    if (r != BP_DB_OK) {
        json_decref(arr);
        return r;
    }
    *items = arr;
    return r;
}

bp_db_result ct_store_expired_refs(bp_db *db, const char *today, int limit, json_t **refs)
{
    *refs = NULL;
    char l[16];
    snprintf(l, sizeof l, "%d", limit);
    const char *params[] = {today, l};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec(db, &res,
                                "SELECT contract_ref FROM contracts"
                                " WHERE status IN ('CREATED','ACTIVE','SUSPENDED')"
                                "   AND expire_at < $1::date ORDER BY expire_at LIMIT $2::int",
                                2, params);
    if (r != BP_DB_OK)
        return r;
    json_t *arr = json_array();
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(arr, json_string(PQgetvalue(res, i, 0)));
    PQclear(res);
    *refs = arr;
    return r;
}
