/* mailer_invoice: reading and checking an `invoice.issued` payload. Pure; runs
 * on the consumer thread (and in unit tests). */
#include "mailer_invoice.h"

#include "bp_money.h"
#include "bp_time.h"
#include "bp_validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 100000 /* more than a 16 MiB message can carry */
#define MAX_VAT 64

/* The parse state: the first failure wins, later checks do nothing. */
typedef struct {
    char *reason;
    size_t size;
    bool failed;
} checker;

static void fail(checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(checker *c, const char *fmt, ...)
{
    if (c->failed)
        return;
    c->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason, c->size, fmt, ap);
    va_end(ap);
}

static bool printable_ascii(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p > 0x7e)
            return false;
    }
    return true;
}

/* A string member; NULL when absent (and `required` fails then) or invalid. */
static const char *text(checker *c, const json_t *obj, const char *path, const char *name,
                        bool required, size_t max)
{
    if (c->failed)
        return NULL;
    const json_t *v = json_object_get(obj, name);
    if (v == NULL || json_is_null(v)) {
        if (required)
            fail(c, "%s%s is missing", path, name);
        return NULL;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        bp_utf8_chars(json_string_value(v), json_string_length(v)) > max ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        fail(c, "%s%s must be a non-empty string of at most %zu characters", path, name, max);
        return NULL;
    }
    return json_string_value(v);
}

static const char *date(checker *c, const json_t *obj, const char *path, const char *name,
                        bool required)
{
    const char *s = text(c, obj, path, name, required, 10);
    bp_date d;
    if (s != NULL && !bp_date_parse(s, &d)) {
        fail(c, "%s%s must be a date YYYY-MM-DD", path, name);
        return NULL;
    }
    return s;
}

/* An amount: a Money object in the invoice's currency, or — an invoice issued
 * before amounts were Money objects — the integer twin `<name>Minor`. */
static int64_t amount(checker *c, const json_t *obj, const char *path, const char *name,
                      const char *currency)
{
    if (c->failed)
        return 0;
    int64_t v = 0;
    bp_money_result r = bp_money_read(obj, name, currency, true, &v);
    if (r == BP_MONEY_CURRENCY)
        fail(c, "%s%s must be in data.currency %s", path, name, currency);
    else if (r != BP_MONEY_OK)
        fail(c, "%s%s %s", path, name, bp_money_result_text(r));
    return v;
}

bool ml_invoice_ref_valid(const char *ref)
{
    size_t len = ref ? strlen(ref) : 0;
    if (len == 0 || len > ML_INVOICE_REF_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = ref[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* "5.5", "20", "0.25": at most 3 decimals, trailing zeros dropped. */
static void rate_text(checker *c, const json_t *v, const char *path, char *buf, size_t size)
{
    double rate = 0;
    if (json_is_number(v)) {
        rate = json_number_value(v);
    } else if (json_is_string(v)) {
        char *end = NULL;
        rate = strtod(json_string_value(v), &end);
        if (end == json_string_value(v) || *end != '\0')
            rate = -1;
    } else {
        rate = -1;
    }
    if (!(rate >= 0 && rate <= 100)) {
        fail(c, "%svatRate must be a number from 0 to 100", path);
        return;
    }
    snprintf(buf, size, "%.3f", rate);
    char *dot = strchr(buf, '.');
    char *end = buf + strlen(buf);
    while (end > dot + 1 && end[-1] == '0')
        *--end = '\0';
    if (end == dot + 1)
        *dot = '\0';
}

static void parse_lines(checker *c, const json_t *data, ml_invoice *inv)
{
    const json_t *lines = json_object_get(data, "lines");
    if (c->failed)
        return;
    if (!json_is_array(lines) || json_array_size(lines) == 0 ||
        json_array_size(lines) > MAX_LINES) {
        fail(c, "data.lines must be an array of 1 to %d lines", MAX_LINES);
        return;
    }
    inv->nlines = json_array_size(lines);
    inv->lines = calloc(inv->nlines, sizeof *inv->lines);
    if (inv->lines == NULL) {
        fail(c, "out of memory");
        return;
    }
    int64_t sum[3] = {0, 0, 0};
    for (size_t i = 0; i < inv->nlines && !c->failed; i++) {
        const json_t *l = json_array_get(lines, i);
        char path[48];
        snprintf(path, sizeof path, "data.lines[%zu].", i);
        if (!json_is_object(l)) {
            fail(c, "data.lines[%zu] must be an object", i);
            break;
        }
        ml_invoice_line *line = &inv->lines[i];
        line->operation_type = text(c, l, path, "operationType", true, 16);
        if (line->operation_type != NULL && strcmp(line->operation_type, "PURCHASE") != 0 &&
            strcmp(line->operation_type, "REFUND") != 0)
            fail(c, "%soperationType must be PURCHASE or REFUND", path);
        line->order_ref = text(c, l, path, "orderRef", false, 200);
        line->operation_date = date(c, l, path, "operationDate", false);
        line->without_tax = amount(c, l, path, "amountWithoutTax", inv->currency);
        line->tax = amount(c, l, path, "amountTax", inv->currency);
        line->with_tax = amount(c, l, path, "amountWithTax", inv->currency);
        if (!c->failed && line->without_tax + line->tax != line->with_tax)
            fail(c, "%samountWithTax is not amountWithoutTax + amountTax", path);
        if (line->order_ref == NULL)
            line->order_ref = "";
        if (line->operation_date == NULL)
            line->operation_date = "";
        int64_t add[3] = {line->without_tax, line->tax, line->with_tax};
        for (int k = 0; k < 3; k++) {
            if (__builtin_add_overflow(sum[k], add[k], &sum[k]))
                fail(c, "data.lines add up beyond any possible amount");
        }
    }
    if (!c->failed && (sum[0] != inv->total_without_tax || sum[1] != inv->total_tax ||
                       sum[2] != inv->total_with_tax))
        fail(c, "data totals disagree with the sum of data.lines");
}

static void parse_vat(checker *c, const json_t *data, ml_invoice *inv)
{
    const json_t *vat = json_object_get(data, "vatBreakdown");
    if (c->failed)
        return;
    if (!json_is_array(vat) || json_array_size(vat) > MAX_VAT) {
        fail(c, "data.vatBreakdown must be an array of at most %d rates", MAX_VAT);
        return;
    }
    inv->nvat = json_array_size(vat);
    inv->vat = inv->nvat ? calloc(inv->nvat, sizeof *inv->vat) : NULL;
    if (inv->nvat && inv->vat == NULL) {
        fail(c, "out of memory");
        return;
    }
    for (size_t i = 0; i < inv->nvat && !c->failed; i++) {
        const json_t *v = json_array_get(vat, i);
        char path[48];
        snprintf(path, sizeof path, "data.vatBreakdown[%zu].", i);
        if (!json_is_object(v)) {
            fail(c, "data.vatBreakdown[%zu] must be an object", i);
            break;
        }
        rate_text(c, json_object_get(v, "vatRate"), path, inv->vat[i].rate,
                  sizeof inv->vat[i].rate);
        inv->vat[i].base = amount(c, v, path, "base", inv->currency);
        inv->vat[i].tax = amount(c, v, path, "tax", inv->currency);
    }
}

static void parse_head(checker *c, const json_t *data, ml_invoice *inv)
{
    inv->invoice_ref = text(c, data, "data.", "invoiceRef", true, ML_INVOICE_REF_MAX);
    if (inv->invoice_ref != NULL && !ml_invoice_ref_valid(inv->invoice_ref))
        fail(c, "data.invoiceRef may hold only letters, digits, '.', '_' and '-'");
    inv->contract_id = text(c, data, "data.", "contractId", true, 64);
    inv->invoice_email = text(c, data, "data.", "invoiceEmail", true, 254);
    if (inv->invoice_email != NULL &&
        (!printable_ascii(inv->invoice_email) || !bp_email_valid(inv->invoice_email)))
        fail(c, "data.invoiceEmail is not one e-mail address");
    inv->invoice_id = text(c, data, "data.", "invoiceId", false, 64);
    inv->contract_ref = text(c, data, "data.", "contractRef", false, 200);
    inv->customer_ref = text(c, data, "data.", "customerRef", false, 200);
    inv->mandate_ref = text(c, data, "data.", "mandateReference", false, 200);
    inv->period = text(c, data, "data.", "period", true, 32);
    if (inv->period != NULL && !printable_ascii(inv->period))
        fail(c, "data.period must be printable ASCII");
    inv->issue_date = date(c, data, "data.", "issueDate", true);
    inv->due_date = date(c, data, "data.", "dueDate", true);
    inv->currency = text(c, data, "data.", "currency", true, 3);
    if (inv->currency != NULL && !bp_currency_exponent(inv->currency, &inv->exponent))
        fail(c, "data.currency is not an ISO 4217 currency code");
    inv->total_without_tax = amount(c, data, "data.", "totalWithoutTax", inv->currency);
    inv->total_tax = amount(c, data, "data.", "totalTax", inv->currency);
    inv->total_with_tax = amount(c, data, "data.", "totalWithTax", inv->currency);
    if (!c->failed && inv->total_without_tax + inv->total_tax != inv->total_with_tax)
        fail(c, "data.totalWithTax is not totalWithoutTax + totalTax");
}

bool ml_invoice_parse(const json_t *data, ml_invoice *inv, char *reason, size_t size)
{
    memset(inv, 0, sizeof *inv);
    checker c = {.reason = reason, .size = size};
    if (!json_is_object(data)) {
        fail(&c, "data is not a JSON object");
        return false;
    }
    parse_head(&c, data, inv);
    parse_lines(&c, data, inv);
    parse_vat(&c, data, inv);
    if (c.failed) {
        ml_invoice_free(inv);
        return false;
    }
    inv->data = json_incref((json_t *)data);
    return true;
}

void ml_invoice_free(ml_invoice *inv)
{
    free(inv->lines);
    free(inv->vat);
    json_decref(inv->data);
    memset(inv, 0, sizeof *inv);
}
