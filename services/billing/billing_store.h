/* billing_store: billing's SQL. One parameterised statement per function on
 * the caller's connection; transactions belong to billing_service. The credit
 * check and the balance change are ONE statement (bl_store_accept_purchase). */
#ifndef BILLING_STORE_H
#define BILLING_STORE_H

#include "billing_account.h"
#include "billing_groupcommit.h"
#include "bp_db.h"

#include <jansson.h>
#include <stdint.h>

/* Upserts the read-model row from `a` unless the stored version is the same or
 * higher. *applied tells whether the row changed. */
bp_db_result bl_store_upsert_account(bp_db *db, const bl_account *a, bool *applied)
    __attribute__((warn_unused_result));

/* Reads an account by contract id or ref (whichever is non-NULL; id first).
 * *found is false when none. */
bp_db_result bl_store_get_account(bp_db *db, const char *contract_id, const char *contract_ref,
                                  bl_account *a, bool *found, char *updated_at)
    __attribute__((warn_unused_result));

/* The accounts of n contracts at once: out[i] and found[i] for contract_ids[i]. */
bp_db_result bl_store_get_accounts(bp_db *db, const char *const *contract_ids, size_t n,
                                   bl_account *out, bool *found)
    __attribute__((warn_unused_result));

/* An operation row to insert. */
typedef struct {
    const char *operation_id, *contract_id, *contract_ref, *order_ref, *type, *refund_of, *status,
        *reason, *currency, *fingerprint;
    int64_t amount, operation_at_ms; /* amount: total with tax */
    int64_t amount_without_tax, amount_tax;
    const char *operation_date; /* YYYY-MM-DD */
    const json_t *doc;
    const json_t *vat; /* VAT breakdown (bl_operation_vat_json) */
} bl_op_row;

/* The authorisation: raises the balance and records the accepted purchase only
 * when the contract is ACTIVE, valid on the date, has a valid mandate, bills in
 * the currency and outstanding + amount <= credit limit — one statement, so
 * concurrent purchases cannot overspend. *accepted false: nothing written.
 * BP_DB_CONFLICT: an accepted purchase with this orderRef exists (raced). */
bp_db_result bl_store_accept_purchase(bp_db *db, const bl_op_row *row, bool *accepted)
    __attribute__((warn_unused_result));

/* The hot path: the same atomic purchase as bl_store_accept_purchase plus the
 * outbox row of its `operation.accepted` event (`event_id`, `topic`, `payload`,
 * key = contract id), as ONE statement run outside an explicit transaction: on `db`
 * with its own commit, or, when `gc` is not NULL, in the group committer's next
 * transaction with other requests' (answered after that commit). *accepted false:
 * nothing written (the caller takes the slow path). */
bp_db_result bl_store_fast_purchase(bp_db *db, bl_gc *gc, const bl_op_row *row,
                                    const char *event_id, const char *topic, const char *payload,
                                    bool *accepted) __attribute__((warn_unused_result));

/* The refund: marks `amount` of purchase `refund_of` refunded (never beyond its
 * amount), lowers the balance, records the accepted refund — one statement.
 * *accepted false: nothing written. */
bp_db_result bl_store_accept_refund(bp_db *db, const bl_op_row *row, bool *accepted)
    __attribute__((warn_unused_result));

/* Records a rejected operation (status REJECTED). */
bp_db_result bl_store_insert_rejected(bp_db *db, const bl_op_row *row)
    __attribute__((warn_unused_result));

/* Finds the accepted operation of this contract/type/orderRef. *doc is NULL
 * when none, else a new document the caller decrefs; *same tells whether its
 * fingerprint equals `fingerprint`. */
bp_db_result bl_store_find_order(bp_db *db, const char *contract_id, const char *type,
                                 const char *order_ref, const char *fingerprint, json_t **doc,
                                 bool *same) __attribute__((warn_unused_result));

/* The purchase a refund names: *found, its amount and what is already refunded. */
bp_db_result bl_store_purchase_state(bp_db *db, const char *contract_id, const char *order_ref,
                                     bool *found, int64_t *amount, int64_t *refunded)
    __attribute__((warn_unused_result));

/* One operation's document into *doc (the caller decrefs), NULL when unknown. */
bp_db_result bl_store_get_operation(bp_db *db, const char *operation_id, json_t **doc)
    __attribute__((warn_unused_result));

typedef struct {
    const char *contract_ref, *invoice_ref, *status, *type, *from, *to; /* NULL: any */
    int64_t limit, offset;
} bl_op_filter;

/* A page of operation documents into *items (a new array the caller decrefs; NULL
 * on failure) and the number of matches into *total. */
bp_db_result bl_store_list_operations(bp_db *db, const bl_op_filter *f, json_t **items,
                                      int64_t *total) __attribute__((warn_unused_result));

#endif
