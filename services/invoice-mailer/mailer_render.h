/* mailer_render: the invoice e-mail as an RFC 5322 message — headers, then a
 * multipart/alternative body with a plain-text and an HTML part, both UTF-8 and
 * quoted-printable, lines ending in CRLF; with the invoice's PDF (bp_invoice_pdf)
 * the body is multipart/mixed: that alternative part, then the PDF attached in
 * base64 as invoice-<invoiceRef>.pdf. Every value from the event is
 * HTML-escaped in the HTML part; headers carry only values mailer_invoice
 * checked to be safe there. Pure but for ml_render_pdf (which reads the font
 * files): the date is a parameter, so the same invoice and date always give the
 * same bytes, the PDF included. */
#ifndef MAILER_RENDER_H
#define MAILER_RENDER_H

#include "mailer_invoice.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *from;         /* envelope and From: address, e.g. "billing@boissipay.example" */
    int64_t date_ms;          /* the Date: header, epoch milliseconds */
    const unsigned char *pdf; /* the invoice's PDF to attach (ml_render_pdf); NULL: none */
    size_t pdf_len;
} ml_render_opts;

/* Writes "<INVOICE_REF@boissipay>" into buf (>= ML_INVOICE_REF_MAX + 13 bytes). */
void ml_message_id(const char *invoice_ref, char *buf, size_t size);

/* The Subject: "Invoice INV-2026-000042, period 2026-10". Caller frees. */
char *ml_render_subject(const ml_invoice *inv);

/* The plain-text body (UTF-8, LF line ends, not yet encoded). Caller frees. */
char *ml_render_text(const ml_invoice *inv);

/* The HTML body (UTF-8, LF line ends, not yet encoded). Caller frees. */
char *ml_render_html(const ml_invoice *inv);

/* The whole message, ready for SMTP DATA (CRLF line ends, 7-bit). NULL when out
 * of memory. Caller frees. */
char *ml_render_message(const ml_invoice *inv, const ml_render_opts *opts);

/* The invoice as a PDF document (bp_invoice_pdf_render, from the same fields as the
 * text and HTML parts). True on success: *pdf (caller frees) and *len are set. False
 * when out of memory or cairo failed, with a reason. */
bool ml_render_pdf(const ml_invoice *inv, unsigned char **pdf, size_t *len, char *reason,
                   size_t size) __attribute__((warn_unused_result));

/* `data` encoded base64 (RFC 2045): lines of 76 characters ending in CRLF. Caller
 * frees; NULL when out of memory. */
char *ml_base64_encode(const unsigned char *data, size_t len);

/* `s` with & < > " ' replaced by entities. Caller frees; NULL when out of memory. */
char *ml_html_escape(const char *s);

/* `s` encoded quoted-printable (RFC 2045): lines of at most 76 characters, hard
 * line breaks (LF or CRLF in `s`) written as CRLF. Caller frees. */
char *ml_qp_encode(const char *s);

/* An amount in minor units as "1234.56 EUR" (the currency's decimals). buf >= 40. */
void ml_format_money(int64_t minor, int exponent, const char *currency, char *buf, size_t size);

#endif
