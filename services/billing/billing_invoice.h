/* billing_invoice: an invoice from the operations it bills. Pure: sorts the
 * lines, turns refunds into negative lines, adds the totals and the VAT
 * breakdown per rate in minor units, and builds the invoice document that
 * GET /invoices/{ref} returns and `invoice.issued` carries. */
#ifndef BILLING_INVOICE_H
#define BILLING_INVOICE_H

#include "billing_account.h"
#include "billing_operation.h"
#include "bp_time.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* One billed operation, as stored (amounts positive, refunds included). */
typedef struct {
    char operation_id[37];
    char order_ref[101];
    bl_op_type type;
    bp_date date;
    int64_t seq;                 /* order of arrival, to sort equal dates */
    int64_t without, tax, with;  /* minor units */
    const json_t *vat;           /* [{"bp","base","tax"}], borrowed */
} bl_invoice_line;

typedef struct {
    const char *invoice_ref, *invoice_id, *period;
    bp_date issue_date, due_date;
    const bl_account *account;   /* contract identity, e-mail, mandate, currency */
} bl_invoice_head;

/* Builds the invoice (status ISSUED). Sorts `lines` in place. *total receives
 * the total with tax in minor units (negative when refunds exceed purchases).
 * Caller decrefs the result. */
json_t *bl_invoice_build(const bl_invoice_head *h, bl_invoice_line *lines, size_t n,
                         int64_t *total);

/* The payment.requested data for an invoice document. Caller decrefs. */
json_t *bl_invoice_payment_request(const json_t *invoice);

/* "INV-2026-000042". */
void bl_invoice_number(int year, int64_t number, char *buf, size_t size);

#endif
