/* bpt_pdf: reading PDF invoices back in tests — the text pdftotext (Debian's
 * poppler-utils) finds in them, and the base64 of a mail attachment. */
#ifndef BPT_PDF_H
#define BPT_PDF_H

#include <stddef.h>

/* The text of the PDF `pdf` as pdftotext reads it, every run of white space (line
 * ends included) squashed to one space, so that a test may look for a sentence the
 * layout wrapped. NULL when pdftotext refuses the document. Caller frees. */
char *bpt_pdf_text(const void *pdf, size_t len);

/* The number of pages pdfinfo counts in the PDF; -1 when it refuses the document. */
int bpt_pdf_pages(const void *pdf, size_t len);

/* Decodes base64 (RFC 2045: line breaks and other non-alphabet bytes skipped). Stores
 * the length in *len. Caller frees; NULL on a malformed tail. */
unsigned char *bpt_base64_decode(const char *s, size_t n, size_t *len);

#endif
