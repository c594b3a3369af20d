/* contract_store: the contract service's SQL. Every function runs one
 * parameterised statement on the caller's connection; transactions belong to
 * contract_service. */
#ifndef CONTRACT_STORE_H
#define CONTRACT_STORE_H

#include "bp_db.h"

#include <jansson.h>
#include <stdint.h>

/* Inserts a new contract. BP_DB_CONFLICT when contract_ref exists. `iban` may be "". */
bp_db_result ct_store_insert(bp_db *db, const char *contract_id, const char *contract_ref,
                             const char *status, const char *customer_ref, const char *expire_at,
                             const char *iban, const json_t *doc)
    __attribute__((warn_unused_result));

/* Reads a contract's document by ref; `for_update` locks the row until the
 * transaction ends. *doc is NULL when not found (result still BP_DB_OK).
 * Caller decrefs *doc. contract_id receives the id (>= 37 bytes) and iban the
 * mandate's full IBAN ("" when none; >= 35 bytes). */
bp_db_result ct_store_get(bp_db *db, const char *contract_ref, bool for_update, json_t **doc,
                          char *contract_id, char *iban) __attribute__((warn_unused_result));

/* Writes a changed document and its columns. `iban` NULL or "" keeps the stored one. */
bp_db_result ct_store_update(bp_db *db, const char *contract_id, const char *status,
                             int64_t version, const char *iban, const json_t *doc)
    __attribute__((warn_unused_result));

/* One page of documents ordered by creation, filtered by status and customer
 * ref (NULL = any). *items receives a JSON array, *total the filtered count. */
bp_db_result ct_store_list(bp_db *db, const char *status, const char *customer_ref, int64_t limit,
                           int64_t offset, json_t **items, int64_t *total)
    __attribute__((warn_unused_result));

/* Up to `limit` refs of non-final contracts whose expire_at is before `today`
 * ("YYYY-MM-DD"). *refs receives a JSON array of strings. */
bp_db_result ct_store_expired_refs(bp_db *db, const char *today, int limit, json_t **refs)
    __attribute__((warn_unused_result));

#endif
