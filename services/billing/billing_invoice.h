/* billing_invoice: an invoice from the operations it bills. Pure: sorts the
 * lines, turns refunds into negative lines, adds the totals and the VAT
 * breakdown per rate in minor units, and builds the invoice document that
 * GET /invoices/{ref} returns and `invoice.issued` carries. */
#ifndef BILLING_INVOICE_H
#define BILLING_INVOICE_H

#include "billing_account.h"
#include "billing_operation.h"
#include "bp_time.h"
#include "bp_validate.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* One billed operation, as stored (amounts positive, refunds included). */
typedef struct {
    char operation_id[37];
    char order_ref[BP_TEXT_BYTES(100)];
    bl_op_type type;
    bp_date date;
    int64_t seq;                        /* order of arrival, to sort equal dates */
    int64_t without, tax, with;         /* minor units */
    bl_vat_share vat[BL_MAX_VAT_RATES]; /* the operation's VAT per rate */
    int nvat;
} bl_invoice_line;

/* Reads an operation's stored VAT column ([{"bp":550,"base":1680,"tax":92},
 * ...]) into l->vat. False when it is not such an array. */
bool bl_invoice_line_vat(bl_invoice_line *l, const char *json_text);

typedef struct {
    const char *invoice_ref, *invoice_id, *period;
    bp_date issue_date, due_date;
    const bl_account *account; /* contract identity, e-mail, mandate, currency */
} bl_invoice_head;

/* The largest invoice document: invoice.issued carries it whole, and must fit
 * one Kafka message (BP_KAFKA_MAX_MESSAGE, 16 MiB) with its envelope; about
 * 50,000 lines. A larger one would block the outbox: it is not issued (the run
 * counts it failed and logs it) and its operations stay uninvoiced. */
#define BL_INVOICE_MAX_BYTES (15u * 1024 * 1024)

/* Renders the invoice document (status ISSUED) as compact JSON text, written
 * straight from the lines (a month of a large account is thousands of them).
 * Sorts `lines` in place. *total receives the total with tax in minor units
 * (negative when refunds exceed purchases). Caller frees; NULL when out of
 * memory. */
char *bl_invoice_render(const bl_invoice_head *h, bl_invoice_line *lines, size_t n, int64_t *total);

/* The payment.requested data of an invoice with total `total`. Caller decrefs. */
json_t *bl_invoice_payment_request(const bl_invoice_head *h, int64_t total);

/* "INV-2026-000042". */
void bl_invoice_number(int year, int64_t number, char *buf, size_t size);

#endif
