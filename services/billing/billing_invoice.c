/* billing_invoice: invoice documents from billed operations. */
#include "billing_invoice.h"

#include "billing_jsonw.h"
#include "bp_money.h"

#include <errno.h>
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

typedef struct {
    int64_t bp, base, tax;
} rate_sum;

static int rate_cmp(const void *a, const void *b)
{
    const rate_sum *x = a, *y = b;
    return (x->bp > y->bp) - (x->bp < y->bp);
}

char *bl_invoice_render(const bl_invoice_head *h, bl_invoice_line *lines, size_t n,
                        int64_t *total)
{
    const bl_account *a = h->account;
    const char *cur = a->currency;
    qsort(lines, n, sizeof *lines, line_cmp);
    rate_sum rates[64];
    size_t nrates = 0;
    int64_t without = 0, tax = 0, with = 0;
    for (size_t i = 0; i < n; i++) {
        const bl_invoice_line *l = &lines[i];
        int sign = l->type == BL_REFUND ? -1 : 1;
        without += sign * l->without;
        tax += sign * l->tax;
        with += sign * l->with;
        for (int k = 0; k < l->nvat; k++) {
            size_t r = 0;
            while (r < nrates && rates[r].bp != l->vat[k].bp)
                r++;
            if (r == nrates && nrates < sizeof rates / sizeof rates[0])
                rates[nrates++] = (rate_sum){l->vat[k].bp, 0, 0};
            if (r < nrates) {
                rates[r].base += sign * l->vat[k].base;
                rates[r].tax += sign * l->vat[k].tax;
            }
        }
    }
    qsort(rates, nrates, sizeof rates[0], rate_cmp);
    char issue[11], due[11];
    bp_date_format(h->issue_date, issue, sizeof issue);
    bp_date_format(h->due_date, due, sizeof due);
    bl_jw w;
    bl_jw_init(&w, 1024 + 320 * n);
    bl_jw_object(&w);
    bl_jw_kstring(&w, "invoiceRef", h->invoice_ref);
    bl_jw_kstring(&w, "invoiceId", h->invoice_id);
    bl_jw_kstring(&w, "contractId", a->contract_id);
    bl_jw_kstring(&w, "contractRef", a->contract_ref);
    if (a->customer_ref[0])
        bl_jw_kstring(&w, "customerRef", a->customer_ref);
    bl_jw_kstring(&w, "period", h->period);
    bl_jw_kstring(&w, "issueDate", issue);
    bl_jw_kstring(&w, "dueDate", due);
    bl_jw_kstring(&w, "currency", a->currency);
    bl_jw_kmoney(&w, "totalWithoutTax", without, cur);
    bl_jw_kmoney(&w, "totalTax", tax, cur);
    bl_jw_kmoney(&w, "totalWithTax", with, cur);
    bl_jw_key(&w, "vatBreakdown");
    bl_jw_array(&w);
    for (size_t r = 0; r < nrates; r++) {
        bl_jw_object(&w);
        bl_jw_key(&w, "vatRate");
        bl_jw_rate(&w, rates[r].bp);
        bl_jw_kmoney(&w, "base", rates[r].base, cur);
        bl_jw_kmoney(&w, "tax", rates[r].tax, cur);
        bl_jw_end(&w, '}');
    }
    bl_jw_end(&w, ']');
    bl_jw_key(&w, "lines");
    bl_jw_array(&w);
    for (size_t i = 0; i < n; i++) {
        const bl_invoice_line *l = &lines[i];
        int sign = l->type == BL_REFUND ? -1 : 1;
        char date[11];
        bp_date_format(l->date, date, sizeof date);
        bl_jw_object(&w);
        bl_jw_kstring(&w, "operationId", l->operation_id);
        bl_jw_kstring(&w, "orderRef", l->order_ref);
        bl_jw_kstring(&w, "operationType", bl_op_type_name(l->type));
        bl_jw_kstring(&w, "operationDate", date);
        bl_jw_kmoney(&w, "amountWithoutTax", sign * l->without, cur);
        bl_jw_kmoney(&w, "amountTax", sign * l->tax, cur);
        bl_jw_kmoney(&w, "amountWithTax", sign * l->with, cur);
        bl_jw_end(&w, '}');
    }
    bl_jw_end(&w, ']');
    if (a->invoice_email[0])
        bl_jw_kstring(&w, "invoiceEmail", a->invoice_email);
    if (a->has_mandate)
        bl_jw_kstring(&w, "mandateReference", a->mandate_ref);
    bl_jw_kstring(&w, "status", "ISSUED");
    bl_jw_end(&w, '}');
    *total = with;
    return bl_jw_finish(&w);
}

json_t *bl_invoice_payment_request(const bl_invoice_head *h, int64_t total)
{
    const bl_account *a = h->account;
    char due[11];
    bp_date_format(h->due_date, due, sizeof due);
    json_t *req = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s}", "invoiceRef", h->invoice_ref,
                            "contractId", a->contract_id, "contractRef", a->contract_ref,
                            "amount", bp_money_json(total, a->currency), "currency", a->currency,
                            "dueDate", due);
    if (req != NULL && a->has_mandate &&
        json_object_set_new(req, "mandateReference", json_string(a->mandate_ref)) != 0) {
        json_decref(req);
        return NULL;
    }
    return req;
}

/* Strict reading of the form billing writes: [{"bp":N,"base":N,"tax":N},...]. */
static bool read_int(const char **p, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(*p, &end, 10);
    if (end == *p || errno == ERANGE)
        return false;
    *out = v;
    *p = end;
    return true;
}

static bool expect(const char **p, const char *text)
{
    size_t n = strlen(text);
    if (strncmp(*p, text, n) != 0)
        return false;
    *p += n;
    return true;
}

static bool vat_fast(bl_invoice_line *l, const char *p)
{
    l->nvat = 0;
    if (!expect(&p, "["))
        return false;
    if (expect(&p, "]"))
        return *p == '\0';
    for (;;) {
        if (l->nvat == BL_MAX_VAT_RATES)
            return false;
        bl_vat_share *v = &l->vat[l->nvat++];
        if (!expect(&p, "{\"bp\":") || !read_int(&p, &v->bp) || !expect(&p, ",\"base\":") ||
            !read_int(&p, &v->base) || !expect(&p, ",\"tax\":") || !read_int(&p, &v->tax) ||
            !expect(&p, "}"))
            return false;
        if (expect(&p, "]"))
            return *p == '\0';
        if (!expect(&p, ","))
            return false;
    }
}

/* Any other spelling of the same array (spaces, key order). */
static bool vat_general(bl_invoice_line *l, const char *text)
{
    l->nvat = 0;
    json_t *arr = json_loads(text, 0, NULL);
    bool ok = json_is_array(arr) && json_array_size(arr) <= BL_MAX_VAT_RATES;
    size_t i;
    json_t *share;
    json_array_foreach(arr, i, share)
    {
        json_t *bp = json_object_get(share, "bp"), *base = json_object_get(share, "base"),
               *tax = json_object_get(share, "tax");
        if (!ok || !json_is_integer(bp) || !json_is_integer(base) || !json_is_integer(tax)) {
            ok = false;
            break;
        }
        l->vat[l->nvat++] = (bl_vat_share){json_integer_value(bp), json_integer_value(base),
                                           json_integer_value(tax)};
    }
    json_decref(arr);
    if (!ok)
        l->nvat = 0;
    return ok;
}

bool bl_invoice_line_vat(bl_invoice_line *l, const char *json_text)
{
    return vat_fast(l, json_text) || vat_general(l, json_text);
}
