/* billing_invoice_store: SQL of billing runs, invoices and invoice numbers.
 * One parameterised statement per function on the caller's connection;
 * transactions belong to billing_run and billing_settlement. */
#ifndef BILLING_INVOICE_STORE_H
#define BILLING_INVOICE_STORE_H

#include "billing_account.h"
#include "billing_invoice.h"
#include "bp_db.h"

#include <jansson.h>
#include <stdint.h>

/* Runs left RUNNING by a process that died become INTERRUPTED. */
bp_db_result bl_istore_interrupt_runs(bp_db *db) __attribute__((warn_unused_result));

bp_db_result bl_istore_run_create(bp_db *db, const char *run_id, const char *period, bool dry,
                                  const char *trigger) __attribute__((warn_unused_result));

typedef struct {
    int contracts, issued, already, failed;
} bl_run_counts;

bp_db_result bl_istore_run_update(bp_db *db, const char *run_id, const char *status,
                                  const bl_run_counts *c) __attribute__((warn_unused_result));

/* A run as JSON (NULL *run when unknown). */
bp_db_result bl_istore_run_get(bp_db *db, const char *run_id, json_t **run)
    __attribute__((warn_unused_result));

/* A page of runs, newest first. */
bp_db_result bl_istore_run_list(bp_db *db, int64_t limit, int64_t offset, json_t **items,
                                int64_t *total) __attribute__((warn_unused_result));

/* True in *done when a real run of `period` completed. */
bp_db_result bl_istore_period_done(bp_db *db, const char *period, bool *done)
    __attribute__((warn_unused_result));

/* A contract with accepted, uninvoiced operations, and how many. */
typedef struct {
    char contract_id[37];
    int64_t operations;
} bl_to_bill;

/* The contracts with accepted, uninvoiced operations dated on or before
 * `last` ("YYYY-MM-DD"), in id order (malloc'd array in *items); those that
 * already have an invoice for `period` are only counted, in *already. */
bp_db_result bl_istore_contracts_to_bill(bp_db *db, const char *last, const char *period,
                                         bl_to_bill **items, size_t *n, int *already)
    __attribute__((warn_unused_result));

/* True in *exists when the contract already has an invoice for the period. */
bp_db_result bl_istore_invoice_exists(bp_db *db, const char *contract_id, const char *period,
                                      bool *exists) __attribute__((warn_unused_result));

/* The next invoice number of `year` (gap-free: the counter row moves only with
 * the transaction that uses it). */
bp_db_result bl_istore_next_number(bp_db *db, int year, int64_t *number)
    __attribute__((warn_unused_result));

/* `count` consecutive numbers of `year` at once, the first in *first (the
 * counter row stays locked until the transaction ends). */
bp_db_result bl_istore_reserve_numbers(bp_db *db, int year, int count, int64_t *first)
    __attribute__((warn_unused_result));

/* Marks the contract's uninvoiced accepted operations dated on or before
 * `last` as invoiced by `invoice_ref` and returns them as lines (malloc'd
 * array in *lines, caller frees it). *unreadable: some operation's stored VAT
 * could not be read (the caller must not issue the invoice). */
bp_db_result bl_istore_take_operations(bp_db *db, const char *contract_id, const char *last,
                                       const char *invoice_ref, bl_invoice_line **lines, size_t *n,
                                       bool *unreadable) __attribute__((warn_unused_result));

/* The operations a chunk of contracts took: contract i's lines are
 * lines[first[i] .. first[i + 1]) (none when another run took them first);
 * unreadable[i]: one of them has a stored VAT that could not be read (the
 * caller must not issue that invoice). */
typedef struct {
    bl_invoice_line *lines;
    size_t *first;    /* n + 1 offsets */
    bool *unreadable; /* n */
} bl_taken;

/* bl_istore_take_operations for n contracts in one statement: contract i's
 * operations are marked with invoice_refs[i]. With invoice_refs NULL, only
 * reads them (a dry run). */
bp_db_result bl_istore_take_chunk(bp_db *db, const char *const *contract_ids,
                                  const char *const *invoice_refs, size_t n, const char *last,
                                  bl_taken *t) __attribute__((warn_unused_result));
void bl_taken_free(bl_taken *t);

/* The last number issued in `year` (0 when none), without locking it. */
bp_db_result bl_istore_peek_number(bp_db *db, int year, int64_t *last)
    __attribute__((warn_unused_result));

/* An invoice to insert: its head, total with tax (minor units) and document. */
typedef struct {
    const bl_invoice_head *head;
    int64_t total;
    const char *text;
} bl_invoice_row;

/* Inserts the invoice. BP_DB_CONFLICT when (contract, period) is invoiced. */
bp_db_result bl_istore_insert_invoice(bp_db *db, const bl_invoice_row *row, const char *run_id)
    __attribute__((warn_unused_result));

/* Inserts n invoices in one statement; *inserted counts those that went in
 * (an invoice of the same contract and period, or the same number, is skipped). */
bp_db_result bl_istore_insert_invoices(bp_db *db, const bl_invoice_row *rows, size_t n,
                                       const char *run_id, size_t *inserted)
    __attribute__((warn_unused_result));

/* An invoice with its status fields and its operations; NULL when unknown. */
bp_db_result bl_istore_get_invoice(bp_db *db, const char *invoice_ref, json_t **invoice)
    __attribute__((warn_unused_result));

typedef struct {
    const char *contract_ref, *period, *status; /* NULL: any */
    int64_t limit, offset;
} bl_invoice_filter;

bp_db_result bl_istore_list_invoices(bp_db *db, const bl_invoice_filter *f, json_t **items,
                                     int64_t *total) __attribute__((warn_unused_result));

/* Settlement. Each reports in *applied whether the invoice changed. */
bp_db_result bl_istore_mark_sent(bp_db *db, const char *invoice_ref, const char *sent_at,
                                 bool *applied) __attribute__((warn_unused_result));
/* PAID, and the contract's outstanding balance lowered by the invoice total, in
 * one statement. */
bp_db_result bl_istore_mark_paid(bp_db *db, const char *invoice_ref, const char *paid_at,
                                 bool *applied) __attribute__((warn_unused_result));
bp_db_result bl_istore_mark_failed(bp_db *db, const char *invoice_ref, const json_t *failure,
                                   bool *applied) __attribute__((warn_unused_result));

/* The contract's invoices whose payment failed (still owed), as a JSON array of
 * {invoiceRef, period, amount (Money), failure}. */
bp_db_result bl_istore_failed_payments(bp_db *db, const char *contract_id, json_t **items)
    __attribute__((warn_unused_result));

#endif
