/* payment_bank_sim: the simulated bank's storage (bank_sim_debits) and its
 * processing delay. The rules are pure (payment_bank.c). One connection, used
 * by the one thread that collects (the consumer thread). */
#include "payment_bank_sim.h"

#include "bp_db.h"
#include "bp_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    bp_db *db;
    pm_bank_rules *rules;
    int delay_ms;
} sim;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* The stored answer for `e2e`. *found false when none. */
static bp_db_result stored_answer(sim *s, const char *e2e, int64_t amount_minor,
                                  pm_bank_result *out, bool *found)
{
    const char *params[] = {e2e};
    PGresult *res = NULL;
    bp_db_result r = bp_db_exec(s->db, &res,
                                "SELECT status, coalesce(reason_code, ''), coalesce(reason, ''),"
                                " amount_minor FROM bank_sim_debits WHERE end_to_end_id = $1",
                                1, params);
    *found = r == BP_DB_OK && PQntuples(res) == 1;
    if (*found) {
        out->ok = strcmp(PQgetvalue(res, 0, 0), "BOOKED") == 0;
        snprintf(out->reason_code, sizeof out->reason_code, "%s", PQgetvalue(res, 0, 1));
        snprintf(out->reason, sizeof out->reason, "%s", PQgetvalue(res, 0, 2));
        if (atoll(PQgetvalue(res, 0, 3)) != amount_minor)
            bp_log_warn("bank: end-to-end id %s asked again with another amount; the first "
                        "answer stands",
                        e2e);
    }
    PQclear(res);
    return r;
}

static pm_bank_status sim_collect(void *impl, const char *e2e, const char *mandate_ref,
                                  int64_t amount_minor, const char *currency,
                                  pm_bank_result *result)
{
    sim *s = impl;
    bool found = false;
    if (stored_answer(s, e2e, amount_minor, result, &found) != BP_DB_OK)
        goto unavailable;
    if (found) { /* the same question again: the same answer, no new debit */
        bp_log_info("bank: %s asked again: answering %s as before", e2e,
                    result->ok ? "BOOKED" : result->reason_code);
        return PM_BANK_ANSWERED;
    }
    int64_t earlier = 0; /* collections already processed on this mandate */
    if (mandate_ref != NULL && mandate_ref[0] != '\0') {
        const char *mp[] = {mandate_ref};
        PGresult *cnt = NULL;
        if (bp_db_exec(s->db, &cnt, "SELECT count(*) FROM bank_sim_debits WHERE mandate_ref = $1",
                       1, mp) != BP_DB_OK)
            goto unavailable;
        earlier = atoll(PQgetvalue(cnt, 0, 0));
        PQclear(cnt);
    }
    pm_bank_rules_decide(s->rules, mandate_ref, amount_minor, earlier, result);
    char amount[24];
    snprintf(amount, sizeof amount, "%lld", (long long)amount_minor);
    const char *params[] = {e2e,
                            mandate_ref && mandate_ref[0] ? mandate_ref : NULL,
                            amount,
                            currency,
                            result->ok ? "BOOKED" : "REJECTED",
                            result->ok ? NULL : result->reason_code,
                            result->ok ? NULL : result->reason};
    PGresult *res = NULL;
    if (bp_db_exec(s->db, &res,
                   "INSERT INTO bank_sim_debits (end_to_end_id, mandate_ref, amount_minor,"
                   " currency, status, reason_code, reason)"
                   " VALUES ($1, $2, $3::bigint, $4, $5, $6, $7)"
                   " ON CONFLICT (end_to_end_id) DO NOTHING RETURNING 1",
                   7, params) != BP_DB_OK)
        goto unavailable;
    bool booked_now = PQntuples(res) == 1;
    PQclear(res);
    if (!booked_now) { /* someone asked at the same moment: theirs is the answer */
        if (stored_answer(s, e2e, amount_minor, result, &found) != BP_DB_OK || !found)
            goto unavailable;
        return PM_BANK_ANSWERED;
    }
    bp_log_fields(BP_LOG_INFO,
                  json_pack("{s:s, s:I, s:s, s:s}", "endToEndId", e2e, "amountMinor",
                            (json_int_t)amount_minor, "currency", currency, "answer",
                            result->ok ? "BOOKED" : result->reason_code),
                  "bank: collection processed");
    if (s->delay_ms > 0)
        sleep_ms(s->delay_ms); /* the bank's processing time, after booking */
    return PM_BANK_ANSWERED;
unavailable:
    bp_log_warn("bank: cannot process %s now: %s", e2e, bp_db_error(s->db));
    memset(result, 0, sizeof *result);
    return PM_BANK_UNAVAILABLE;
}

static void sim_free(void *impl)
{
    sim *s = impl;
    if (s == NULL)
        return;
    bp_db_free(s->db);
    pm_bank_rules_free(s->rules);
    free(s);
}

pm_bank *pm_bank_sim_new(const char *database_url, pm_bank_rules *rules, int delay_ms)
{
    pm_bank *bank = calloc(1, sizeof *bank);
    sim *s = calloc(1, sizeof *s);
    bp_db *db = bp_db_new(database_url);
    if (bank == NULL || s == NULL || db == NULL) {
        free(bank);
        free(s);
        bp_db_free(db);
        pm_bank_rules_free(rules);
        return NULL;
    }
    s->db = db;
    s->rules = rules;
    s->delay_ms = delay_ms;
    bank->impl = s;
    bank->collect = sim_collect;
    bank->free = sim_free;
    return bank;
}
