/* billing_invoice: invoice documents from billed operations. */
#include "billing_invoice.h"

#include "bp_money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bl_invoice_number(int year, int64_t number, char *buf, size_t size)
{
    snprintf(buf, size, "INV-%04d-%06lld", year, (long long)number);
}

static int line_cmp(const void *a, const void *b)
{
    const bl_invoice_line *x = a, *y = b;
    if (x->date != y->date)
        return x->date < y->date ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static json_t *money(int64_t minor, int exponent)
{
    double scale = 1;
    for (int i = 0; i < exponent; i++)
        scale *= 10;
    return json_real((double)minor / scale);
}

/* Sets name (number) and nameMinor (integer) on obj. */
static void set_amount(json_t *obj, const char *name, int64_t minor, int exponent)
{
    char key[64];
    snprintf(key, sizeof key, "%sMinor", name);
    json_object_set_new(obj, name, money(minor, exponent));
    json_object_set_new(obj, key, json_integer(minor));
}

typedef struct {
    int64_t bp, base, tax;
} rate_sum;

static int rate_cmp(const void *a, const void *b)
{
    const rate_sum *x = a, *y = b;
    return (x->bp > y->bp) - (x->bp < y->bp);
}

json_t *bl_invoice_build(const bl_invoice_head *h, bl_invoice_line *lines, size_t n,
                         int64_t *total)
{
    const bl_account *a = h->account;
    int exponent = 2;
    bp_currency_exponent(a->currency, &exponent);
    qsort(lines, n, sizeof *lines, line_cmp);
    rate_sum rates[64];
    size_t nrates = 0;
    int64_t without = 0, tax = 0, with = 0;
    json_t *jlines = json_array();
    for (size_t i = 0; i < n; i++) {
        const bl_invoice_line *l = &lines[i];
        int sign = l->type == BL_REFUND ? -1 : 1;
        without += sign * l->without;
        tax += sign * l->tax;
        with += sign * l->with;
        size_t k;
        json_t *share;
        json_array_foreach(l->vat, k, share)
        {
            int64_t bp = json_integer_value(json_object_get(share, "bp"));
            size_t r = 0;
            while (r < nrates && rates[r].bp != bp)
                r++;
            if (r == nrates && nrates < sizeof rates / sizeof rates[0])
                rates[nrates++] = (rate_sum){bp, 0, 0};
            if (r < nrates) {
                rates[r].base += sign * json_integer_value(json_object_get(share, "base"));
                rates[r].tax += sign * json_integer_value(json_object_get(share, "tax"));
            }
        }
        char date[11];
        bp_date_format(l->date, date, sizeof date);
        json_t *jl = json_pack("{s:s, s:s, s:s, s:s}", "operationId", l->operation_id,
                               "orderRef", l->order_ref, "operationType",
                               bl_op_type_name(l->type), "operationDate", date);
        set_amount(jl, "amountWithoutTax", sign * l->without, exponent);
        set_amount(jl, "amountTax", sign * l->tax, exponent);
        set_amount(jl, "amountWithTax", sign * l->with, exponent);
        json_array_append_new(jlines, jl);
    }
    qsort(rates, nrates, sizeof rates[0], rate_cmp);
    json_t *vat = json_array();
    for (size_t r = 0; r < nrates; r++) {
        json_t *jr = json_pack("{s:o}", "vatRate", money(rates[r].bp, 2));
        set_amount(jr, "base", rates[r].base, exponent);
        set_amount(jr, "tax", rates[r].tax, exponent);
        json_array_append_new(vat, jr);
    }
    char issue[11], due[11];
    bp_date_format(h->issue_date, issue, sizeof issue);
    bp_date_format(h->due_date, due, sizeof due);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s}", "invoiceRef", h->invoice_ref, "invoiceId",
                            h->invoice_id, "contractId", a->contract_id, "contractRef",
                            a->contract_ref);
    if (a->customer_ref[0])
        json_object_set_new(doc, "customerRef", json_string(a->customer_ref));
    json_object_set_new(doc, "period", json_string(h->period));
    json_object_set_new(doc, "issueDate", json_string(issue));
    json_object_set_new(doc, "dueDate", json_string(due));
    json_object_set_new(doc, "currency", json_string(a->currency));
    set_amount(doc, "totalWithoutTax", without, exponent);
    set_amount(doc, "totalTax", tax, exponent);
    set_amount(doc, "totalWithTax", with, exponent);
    json_object_set_new(doc, "vatBreakdown", vat);
    json_object_set_new(doc, "lines", jlines);
    if (a->invoice_email[0])
        json_object_set_new(doc, "invoiceEmail", json_string(a->invoice_email));
    if (a->has_mandate)
        json_object_set_new(doc, "mandateReference", json_string(a->mandate_ref));
    json_object_set_new(doc, "status", json_string("ISSUED"));
    *total = with;
    return doc;
}

json_t *bl_invoice_payment_request(const json_t *inv)
{
    json_t *req = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "invoiceRef",
                            json_object_get(inv, "invoiceRef"), "contractId",
                            json_object_get(inv, "contractId"), "contractRef",
                            json_object_get(inv, "contractRef"), "amountMinor",
                            json_object_get(inv, "totalWithTaxMinor"), "amount",
                            json_object_get(inv, "totalWithTax"), "currency",
                            json_object_get(inv, "currency"), "dueDate",
                            json_object_get(inv, "dueDate"));
    json_t *mandate = json_object_get(inv, "mandateReference");
    if (req != NULL && mandate != NULL)
        json_object_set(req, "mandateReference", mandate);
    return req;
}
