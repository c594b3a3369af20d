/* bp_invoice_pdf: the invoice as a PDF document (A4, DejaVu Sans), drawn with
 * cairo and laid out with pango, so any script the font covers renders (Latin,
 * Greek, Cyrillic, Armenian, Georgian, Hebrew...). One renderer for every daemon
 * that shows an invoice: billing serves it (GET /invoices/{ref} with Accept:
 * application/pdf), the invoice-mailer attaches it to the invoice mail.
 *
 * The document holds what the invoice JSON holds (docs/cycle-events.md): seller,
 * customer and contract, number, issue date, period, due date, the lines, the
 * VAT breakdown by rate, the totals, the direct-debit mandate reference masked
 * but for its last characters, and the SEPA pre-notification sentence the mail
 * carries. Same document in, same bytes out (the creation date written into the
 * PDF is the issue date).
 *
 * Threads: any; each thread rendering uses pango's font map of that thread. */
#ifndef BP_INVOICE_PDF_H
#define BP_INVOICE_PDF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The seller block when the document names none: the name the invoice mail is
 * signed with. Lines separated by '\n'; the first is the name. */
#define BP_INVOICE_PDF_SELLER "Boissipay\nDeferred payment"

/* Characters of a mandate reference left readable by bp_invoice_pdf_mask. */
#define BP_INVOICE_PDF_MANDATE_SHOWN 4

typedef struct {
    const char *order_ref;              /* may be NULL or "" */
    const char *operation_type;         /* "PURCHASE" or "REFUND" */
    const char *operation_date;         /* "YYYY-MM-DD"; may be NULL or "" */
    int64_t without_tax, tax, with_tax; /* minor units; negative for refunds */
} bp_invoice_pdf_line;

typedef struct {
    char rate[16]; /* as a person reads it: "5.5", "20", "0" */
    int64_t base, tax;
} bp_invoice_pdf_vat;

/* An invoice as the renderer reads it. Strings are borrowed (UTF-8); those
 * marked optional may be NULL. */
typedef struct {
    const char *seller;        /* optional: BP_INVOICE_PDF_SELLER */
    const char *invoice_ref;   /* "INV-2026-000042" */
    const char *contract_ref;  /* optional */
    const char *customer_ref;  /* optional: the customer's name as the contract gives it */
    const char *invoice_email; /* optional */
    const char *mandate_ref;   /* optional; shown masked */
    const char *period, *issue_date, *due_date; /* "2026-10", "2026-11-01", "2026-12-01" */
    const char *currency;                       /* ISO 4217 */
    int exponent;                               /* decimals of the currency (0 to 4) */
    int64_t total_without_tax, total_tax, total_with_tax;
    const bp_invoice_pdf_line *lines;
    size_t nlines;
    const bp_invoice_pdf_vat *vat;
    size_t nvat;
} bp_invoice_pdf_doc;

typedef enum {
    BP_PDF_OK = 0,
    BP_PDF_INVALID, /* the document lacks a field the renderer needs (see *reason) */
    BP_PDF_ERROR,   /* out of memory, or cairo failed */
} bp_pdf_result;

/* Renders `doc` as a PDF. On BP_PDF_OK stores a malloc'd buffer in *pdf and its
 * length in *len (the caller frees *pdf). Otherwise stores nothing and, when
 * `reason` is not NULL, writes a one-line reason into it. Required: invoice_ref,
 * period, issue_date, due_date, currency, an exponent of 0 to 4, and lines /
 * vat when their counts are not 0. */
bp_pdf_result bp_invoice_pdf_render(const bp_invoice_pdf_doc *doc, unsigned char **pdf, size_t *len,
                                    char *reason, size_t size) __attribute__((warn_unused_result));

/* Reads the invoice JSON as billing serves it (GET /invoices/{ref}; the data of
 * invoice.issued) into *doc, whose strings then point into `invoice` (keep it
 * alive) and whose lines and VAT rows are allocated (free with
 * bp_invoice_pdf_doc_free). Amounts are Money objects, or the `...Minor`
 * integers of older invoices. Returns false, leaving nothing to free, with a
 * reason naming the field, when a field the renderer needs is missing or
 * malformed. */
bool bp_invoice_pdf_doc_read(const json_t *invoice, bp_invoice_pdf_doc *doc, char *reason,
                             size_t size) __attribute__((warn_unused_result));

/* Frees the rows bp_invoice_pdf_doc_read allocated. Safe on a zeroed struct. */
void bp_invoice_pdf_doc_free(bp_invoice_pdf_doc *doc);

/* Reads a JSON document and renders it in one call (the two functions above).
 * Same results as bp_invoice_pdf_render; BP_PDF_INVALID when the document does
 * not read. */
bp_pdf_result bp_invoice_pdf_from_json(const json_t *invoice, unsigned char **pdf, size_t *len,
                                       char *reason, size_t size)
    __attribute__((warn_unused_result));

/* `ref` with every character but the last BP_INVOICE_PDF_MANDATE_SHOWN replaced
 * by '*' ("MDT-ACME-001" -> "********-001"; a reference of 4 characters or
 * fewer is all stars). Counts UTF-8 characters. buf >= strlen(ref) + 1. */
void bp_invoice_pdf_mask(const char *ref, char *buf, size_t size);

/* The attachment's file name: "invoice-INV-2026-000042.pdf". */
void bp_invoice_pdf_filename(const char *invoice_ref, char *buf, size_t size);

/* A VAT rate (percent) as the documents print it: at most 3 decimals, trailing
 * zeros dropped ("5.5", "20", "0.25"). False when not in [0, 100]. */
bool bp_invoice_pdf_rate_text(double rate, char *buf, size_t size);

#endif
