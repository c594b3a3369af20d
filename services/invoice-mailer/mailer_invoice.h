/* mailer_invoice: the `data` of an `invoice.issued` event (docs/cycle-events.md)
 * read into a struct, with every check the mailer needs before it may render and
 * send: identifiers safe for mail headers, a plausible recipient, amounts (Money
 * objects, or the `...Minor` integers of older invoices) that add up. Pure: no
 * I/O, no clock. */
#ifndef MAILER_INVOICE_H
#define MAILER_INVOICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest invoiceRef accepted; it becomes the Message-ID's local part. */
#define ML_INVOICE_REF_MAX 64

typedef struct {
    const char *order_ref;              /* may be "" */
    const char *operation_type;         /* "PURCHASE" or "REFUND" */
    const char *operation_date;         /* "YYYY-MM-DD" or "" */
    int64_t without_tax, tax, with_tax; /* minor units; negative for refunds */
} ml_invoice_line;

typedef struct {
    char rate[16]; /* the VAT rate as a person reads it: "5.5", "20", "0" */
    int64_t base, tax;
} ml_vat_share;

/* Strings point into the event's JSON, which the struct keeps a reference on. */
typedef struct {
    json_t *data; /* owned reference */
    const char *invoice_ref, *invoice_id, *contract_id, *contract_ref, *customer_ref;
    const char *period, *issue_date, *due_date, *currency, *invoice_email, *mandate_ref;
    int exponent; /* decimals of the currency */
    int64_t total_without_tax, total_tax, total_with_tax;
    ml_invoice_line *lines;
    size_t nlines;
    ml_vat_share *vat;
    size_t nvat;
} ml_invoice;

/* Reads `data` (the event's data object) into *inv. Returns true on success;
 * the caller then frees with ml_invoice_free. On failure returns false, writes
 * a one-line reason naming the field into `reason` (the dead letter's reason)
 * and leaves nothing to free.
 * Required: invoiceRef (letters, digits, '.', '_', '-'; at most 64), contractId,
 * invoiceEmail (one ASCII address), currency (ISO 4217), period, issueDate,
 * dueDate, the three totals, lines (a non-empty array whose amounts add up to
 * the totals) and vatBreakdown (an array). Every amount is a Money object in
 * `currency` (bp_money_read); an invoice issued before amounts were Money
 * objects is read from the integer `...Minor` twins of its numbers. */
bool ml_invoice_parse(const json_t *data, ml_invoice *inv, char *reason, size_t size)
    __attribute__((warn_unused_result));

/* Frees what ml_invoice_parse allocated. Safe on a zeroed struct. */
void ml_invoice_free(ml_invoice *inv);

/* True when `ref` may be an invoiceRef (the rule above). */
bool ml_invoice_ref_valid(const char *ref);

#endif
