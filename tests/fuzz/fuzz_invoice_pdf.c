/* fuzz_invoice_pdf: an invoice document (the JSON billing serves and invoice.issued
 * carries) read by bp_invoice_pdf_doc_read and, when it reads, drawn as a PDF by
 * bp_invoice_pdf_render, whatever its strings hold (any script, control characters,
 * huge amounts). Invariants: a refusal says why; a document that reads renders (cairo
 * and pango never fail on its text) into bytes that start as a PDF. Documents of more
 * than 200 lines are only read: drawing them tells nothing more, slowly. */
#include "bp_invoice_pdf.h"
#include "fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = fz_json(data, size, JSON_REJECT_DUPLICATES);
    if (doc == NULL)
        return 0;
    bp_invoice_pdf_doc d;
    char reason[300] = "";
    if (bp_invoice_pdf_doc_read(doc, &d, reason, sizeof reason)) {
        if (d.nlines <= 200) {
            unsigned char *pdf = NULL;
            size_t len = 0;
            bp_pdf_result r = bp_invoice_pdf_render(&d, &pdf, &len, reason, sizeof reason);
            FZ_CHECK(r == BP_PDF_OK, "a document that reads renders");
            FZ_CHECK(len > 5 && memcmp(pdf, "%PDF-", 5) == 0, "the bytes are a PDF");
            free(pdf);
        }
        bp_invoice_pdf_doc_free(&d);
    } else {
        FZ_CHECK(reason[0] != '\0', "a refusal says why");
    }
    json_decref(doc);
    return 0;
}
