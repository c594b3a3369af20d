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

/* What an invoice adds up to: totals, and one sum per VAT rate (a table that grows:
 * an invoice may have any number of rates, and the breakdown must add up to
 * totalTax). */
typedef struct {
    int64_t without, tax, with;
    rate_sum *rates;
    size_t nrates, cap;
} invoice_sums;

static int rate_cmp(const void *a, const void *b)
{
    const rate_sum *x = a, *y = b;
    return (x->bp > y->bp) - (x->bp < y->bp);
}

/* The sum of rate `bp`, added when new. NULL when out of memory. */
static rate_sum *rate_of(invoice_sums *s, int64_t bp)
{
    for (size_t r = 0; r < s->nrates; r++)
        if (s->rates[r].bp == bp)
            return &s->rates[r];
    if (s->nrates == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        rate_sum *grown = realloc(s->rates, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        s->rates = grown;
        s->cap = cap;
    }
    s->rates[s->nrates] = (rate_sum){bp, 0, 0};
    return &s->rates[s->nrates++];
}

/* Adds up the lines (refunds negative); the rates sorted. False when out of memory. */
static bool invoice_sum(const bl_invoice_line *lines, size_t n, invoice_sums *s)
{
    for (size_t i = 0; i < n; i++) {
        const bl_invoice_line *l = &lines[i];
        int sign = l->type == BL_REFUND ? -1 : 1;
        s->without += sign * l->without;
        s->tax += sign * l->tax;
        s->with += sign * l->with;
        for (int k = 0; k < l->nvat; k++) {
            rate_sum *r = rate_of(s, l->vat[k].bp);
            if (r == NULL)
                return false;
            r->base += sign * l->vat[k].base;
            r->tax += sign * l->vat[k].tax;
        }
    }
    if (s->nrates > 0)
        qsort(s->rates, s->nrates, sizeof s->rates[0], rate_cmp);
    return true;
}

static void write_head(bl_jw *w, const bl_invoice_head *h, const invoice_sums *s)
{
    const bl_account *a = h->account;
    char issue[11], due[11];
    bp_date_format(h->issue_date, issue, sizeof issue);
    bp_date_format(h->due_date, due, sizeof due);
    bl_jw_kstring(w, "invoiceRef", h->invoice_ref);
    bl_jw_kstring(w, "invoiceId", h->invoice_id);
    bl_jw_kstring(w, "contractId", a->contract_id);
    bl_jw_kstring(w, "contractRef", a->contract_ref);
    if (a->customer_ref[0])
        bl_jw_kstring(w, "customerRef", a->customer_ref);
    bl_jw_kstring(w, "period", h->period);
    bl_jw_kstring(w, "issueDate", issue);
    bl_jw_kstring(w, "dueDate", due);
    bl_jw_kstring(w, "currency", a->currency);
    bl_jw_kmoney(w, "totalWithoutTax", s->without, a->currency);
    bl_jw_kmoney(w, "totalTax", s->tax, a->currency);
    bl_jw_kmoney(w, "totalWithTax", s->with, a->currency);
}

static void write_breakdown(bl_jw *w, const invoice_sums *s, const char *cur)
{
    bl_jw_key(w, "vatBreakdown");
    bl_jw_array(w);
    for (size_t r = 0; r < s->nrates; r++) {
        bl_jw_object(w);
        bl_jw_key(w, "vatRate");
        bl_jw_rate(w, s->rates[r].bp);
        bl_jw_kmoney(w, "base", s->rates[r].base, cur);
        bl_jw_kmoney(w, "tax", s->rates[r].tax, cur);
        bl_jw_end(w, '}');
    }
    bl_jw_end(w, ']');
}

static void write_lines(bl_jw *w, const bl_invoice_line *lines, size_t n, const char *cur)
{
    bl_jw_key(w, "lines");
    bl_jw_array(w);
    for (size_t i = 0; i < n; i++) {
        const bl_invoice_line *l = &lines[i];
        int sign = l->type == BL_REFUND ? -1 : 1;
        char date[11];
        bp_date_format(l->date, date, sizeof date);
        bl_jw_object(w);
        bl_jw_kstring(w, "operationId", l->operation_id);
        bl_jw_kstring(w, "orderRef", l->order_ref);
        bl_jw_kstring(w, "operationType", bl_op_type_name(l->type));
        bl_jw_kstring(w, "operationDate", date);
        bl_jw_kmoney(w, "amountWithoutTax", sign * l->without, cur);
        bl_jw_kmoney(w, "amountTax", sign * l->tax, cur);
        bl_jw_kmoney(w, "amountWithTax", sign * l->with, cur);
        bl_jw_end(w, '}');
    }
    bl_jw_end(w, ']');
}

char *bl_invoice_render(const bl_invoice_head *h, bl_invoice_line *lines, size_t n, int64_t *total)
{
    const bl_account *a = h->account;
    qsort(lines, n, sizeof *lines, line_cmp);
    invoice_sums s = {0};
    if (!invoice_sum(lines, n, &s)) {
        free(s.rates);
        return NULL;
    }
    bl_jw w;
    bl_jw_init(&w, 1024 + 320 * n + 160 * s.nrates);
    bl_jw_object(&w);
    write_head(&w, h, &s);
    write_breakdown(&w, &s, a->currency);
    write_lines(&w, lines, n, a->currency);
    if (a->invoice_email[0])
        bl_jw_kstring(&w, "invoiceEmail", a->invoice_email);
    if (a->has_mandate)
        bl_jw_kstring(&w, "mandateReference", a->mandate_ref);
    bl_jw_kstring(&w, "status", "ISSUED");
    bl_jw_end(&w, '}');
    *total = s.with;
    free(s.rates);
    return bl_jw_finish(&w);
}

json_t *bl_invoice_payment_request(const bl_invoice_head *h, int64_t total)
{
    const bl_account *a = h->account;
    char due[11];
    bp_date_format(h->due_date, due, sizeof due);
    json_t *req =
        json_pack("{s:s, s:s, s:s, s:o, s:s, s:s}", "invoiceRef", h->invoice_ref, "contractId",
                  a->contract_id, "contractRef", a->contract_ref, "amount",
                  bp_money_json(total, a->currency), "currency", a->currency, "dueDate", due);
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
