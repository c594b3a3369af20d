/* bp_idempotency: keys, request fingerprints (SHA-256 computed by PostgreSQL
 * over method, path and canonical JSON) and stored responses. */
#include "bp_idempotency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool bp_idem_key_valid(const char *key)
{
    size_t len = strlen(key);
    if (len == 0 || len > 200)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (key[i] < 0x21 || key[i] > 0x7e)
            return false;
    }
    return true;
}

static char *fingerprint_text(const char *method, const char *path, const json_t *body)
{
    char *canon = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : strdup("");
    if (canon == NULL)
        return NULL;
    size_t len = strlen(method) + strlen(path) + strlen(canon) + 3;
    char *text = malloc(len);
    if (text != NULL)
        snprintf(text, len, "%s %s\n%s", method, path, canon);
    free(canon);
    return text;
}

bp_idem_result bp_idem_claim(bp_db *db, const char *key, const char *method, const char *path,
                             const json_t *body, int *status, json_t **response, bp_db_result *dbr)
{
    *response = NULL;
    char *fp = fingerprint_text(method, path, body);
    if (fp == NULL) {
        *dbr = BP_DB_ERROR;
        return BP_IDEM_DB_ERROR;
    }
    const char *params[] = {key, fp};
    PGresult *res = NULL;
    /* status 0 marks a claim whose transaction has not finished; a concurrent
     * claimer blocks on the primary key until then. */
    *dbr = bp_db_exec(db, &res,
                      "INSERT INTO idempotency_keys (idem_key, request_hash, status, response)"
                      " VALUES ($1, sha256(convert_to($2, 'UTF8')), 0, '')"
                      " ON CONFLICT (idem_key) DO NOTHING RETURNING 1",
                      2, params);
    if (*dbr != BP_DB_OK)
        goto fail;
    bool inserted = PQntuples(res) == 1;
    PQclear(res);
    res = NULL;
    if (inserted) {
        free(fp);
        return BP_IDEM_NEW;
    }
    *dbr = bp_db_exec(db, &res,
                      "SELECT request_hash = sha256(convert_to($2, 'UTF8')), status, response"
                      " FROM idempotency_keys WHERE idem_key = $1",
                      2, params);
    if (*dbr != BP_DB_OK)
        goto fail;
    free(fp);
    if (PQntuples(res) != 1) { /* purged between the two statements */
        PQclear(res);
        *dbr = BP_DB_RETRY;
        return BP_IDEM_DB_ERROR;
    }
    bool same = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    *status = atoi(PQgetvalue(res, 0, 1));
    if (same)
        *response = json_loads(PQgetvalue(res, 0, 2), JSON_ALLOW_NUL, NULL);
    PQclear(res);
    return same ? BP_IDEM_REPLAY : BP_IDEM_MISMATCH;
fail:
    free(fp);
    return BP_IDEM_DB_ERROR;
}

bp_db_result bp_idem_store(bp_db *db, const char *key, int status, const json_t *response)
{
    char *text = json_dumps(response, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    if (text == NULL)
        return BP_DB_ERROR;
    char st[16];
    snprintf(st, sizeof st, "%d", status);
    const char *params[] = {key, st, text};
    bp_db_result r = bp_db_exec(
        db, NULL, "UPDATE idempotency_keys SET status = $2, response = $3 WHERE idem_key = $1", 3,
        params);
    free(text);
    return r;
}

bp_db_result bp_idem_purge(bp_db *db, int hours)
{
    char h[16];
    snprintf(h, sizeof h, "%d", hours);
    const char *params[] = {h};
    return bp_db_exec(db, NULL,
                      "DELETE FROM idempotency_keys"
                      " WHERE created_at < now() - make_interval(hours => $1::int)",
                      1, params);
}
