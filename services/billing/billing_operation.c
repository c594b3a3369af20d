/* billing_operation: operation requests → integer lines and totals. */
#include "billing_operation.h"

#include "bp_money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEXT_MAX 200

static const char *const op_types[] = {"PURCHASE", "REFUND", NULL};
static const char *const order_types[] = {"LB", "PS", "LBPS", NULL};

json_t *bl_operation_vat_json(const bl_operation *op)
{
    json_t *arr = json_array();
    for (int i = 0; i < op->nvat; i++)
        json_array_append_new(arr, json_pack("{s:I, s:I, s:I}", "bp", (json_int_t)op->vat[i].bp,
                                             "base", (json_int_t)op->vat[i].base, "tax",
                                             (json_int_t)op->vat[i].tax));
    return arr;
}

const char *bl_op_type_name(bl_op_type t) { return t == BL_REFUND ? "REFUND" : "PURCHASE"; }

int64_t bl_vat(int64_t base, int64_t bp)
{
    __int128 p = (__int128)base * bp;
    __int128 q = (p + (p >= 0 ? 5000 : -5000)) / 10000;
    return (int64_t)q;
}

/* 12:00 in the process's time zone on day `d`. */
static int64_t local_noon_ms(bp_date d)
{
    int y, m, day;
    bp_date_to_ymd(d, &y, &m, &day);
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = day, .tm_hour = 12, .tm_isdst = -1};
    return (int64_t)mktime(&tm) * 1000;
}

/* The calendar date of instant `ms` in the process's time zone, when its year is one a
 * date may have (BP_DATE_YEAR_MIN..9999): a timestamp near either end, taken in a zone
 * far from UTC, can fall on a day bp_date_format cannot write. */
static bool local_date_in_range(int64_t ms, bp_date *out)
{
    bp_date d = bp_date_local(ms);
    int year = bp_date_year(d);
    if (year < BP_DATE_YEAR_MIN || year > 9999)
        return false;
    *out = d;
    return true;
}

bool bl_operation_parse_head(const json_t *req, bl_operation *op, bp_verr *e)
{
    memset(op, 0, sizeof *op);
    op->contract_id = bp_v_string(req, "", "contractId", false, 1, 64, e);
    op->contract_ref = bp_v_string(req, "", "contractRef", false, 1, 64, e);
    if (!e->failed && op->contract_id == NULL && op->contract_ref == NULL)
        bp_verr_set(e, "", "contractRef", "or contractId is required");
    const char *type = bp_v_enum(req, "", "operationType", false, op_types, e);
    op->type = type != NULL && strcmp(type, "REFUND") == 0 ? BL_REFUND : BL_PURCHASE;
    op->refund_of = bp_v_string(req, "", "refundOf", op->type == BL_REFUND, 1, 100, e);
    if (!e->failed && op->type == BL_PURCHASE && op->refund_of != NULL)
        bp_verr_set(e, "", "refundOf", "is only allowed on a REFUND");
    op->operation_at = bp_v_string(req, "", "operationAt", true, 10, 40, e);
    if (op->operation_at != NULL) {
        bp_date d;
        if (strlen(op->operation_at) == 10 && bp_date_parse(op->operation_at, &d)) {
            op->operation_date = d;
            op->operation_at_ms = local_noon_ms(d);
        } else if (!bp_time_parse_rfc3339(op->operation_at, &op->operation_at_ms) ||
                   !local_date_in_range(op->operation_at_ms, &op->operation_date)) {
            bp_verr_set(e, "", "operationAt",
                        "must be a date YYYY-MM-DD or an RFC 3339 timestamp with an offset "
                        "(" BP_DATE_RANGE_TEXT ")");
        }
    }
    json_t *order = bp_v_object(req, "", "order", true, e);
    if (order != NULL) {
        op->order_ref = bp_v_string(order, "order", "orderRef", true, 1, 100, e);
        op->currency = bp_v_string(order, "order", "currencyCode", false, 3, 3, e);
        int exponent;
        if (op->currency != NULL && !bp_currency_exponent(op->currency, &exponent))
            bp_verr_set(e, "order", "currencyCode", "is not an ISO 4217 currency code");
    }
    return !e->failed;
}

/* A money field: required or optional (NULL json → not present). */
static bool money_field(const json_t *obj, const char *path, const char *name, int exponent,
                        bool required, int64_t *out, bool *present, bp_verr *e)
{
    *present = false;
    if (e->failed)
        return false;
    json_t *v = json_object_get(obj, name);
    if (v == NULL || json_is_null(v)) {
        if (required)
            bp_verr_set(e, path, name, "is required");
        return !required;
    }
    bp_money_result r = bp_money_from_json(v, exponent, false, out);
    if (r != BP_MONEY_OK) {
        bp_verr_set(e, path, name, "%s", bp_money_result_text(r));
        return false;
    }
    *present = true;
    return true;
}

/* Checks a client-given amount against the computed one. */
static void agree(const json_t *obj, const char *path, const char *name, int exponent,
                  int64_t computed, bp_verr *e)
{
    int64_t given;
    bool present;
    if (!money_field(obj, path, name, exponent, false, &given, &present, e) || !present)
        return;
    if (given != computed) {
        char text[32];
        bp_money_format(computed, exponent, text, sizeof text);
        bp_verr_set(e, path, name, "disagrees with the computed amount %s", text);
    }
}

/* A VAT rate in basis points as the JSON number of its percentage (550 → 5.5).
 * A rate is not an amount: it stays a number. */
static json_t *rate_json(int64_t bp) { return json_real((double)bp / 100); }

typedef struct {
    const char *currency; /* every amount is a Money object in it */
    int64_t without, tax, with;
    bl_vat_share *vat;
    int *nvat;
} totals;

static json_t *parse_product(const json_t *item, const char *path, int exponent, totals *t,
                             bp_verr *e)
{
    json_t *out = json_object();
    static const char *const texts[] = {"productRef", "productLabel", "packaging", NULL};
    for (size_t i = 0; texts[i] != NULL; i++) {
        const char *s = bp_v_string(item, path, texts[i], false, 0, TEXT_MAX, e);
        if (s != NULL)
            json_object_set_new(out, texts[i], json_string(s));
    }
    int64_t qty = 1, unit = 0, bp = 0;
    bool present;
    bp_v_int(item, path, "quantity", false, 1, BL_MAX_QUANTITY, &qty, e);
    money_field(item, path, "unitPrice", exponent, true, &unit, &present, e);
    json_t *rate = json_object_get(item, "vatRate");
    if (!e->failed) {
        if (rate == NULL || json_is_null(rate))
            bp_verr_set(e, path, "vatRate", "is required (a percentage, 0 to 100)");
        else if (bp_money_from_json(rate, 2, false, &bp) != BP_MONEY_OK || bp > BL_MAX_VAT_BP)
            bp_verr_set(e, path, "vatRate",
                        "must be a percentage from 0 to 100 with at most 2 decimals");
    }
    if (e->failed) {
        json_decref(out);
        return NULL;
    }
    if (unit > 0 && qty > BP_MONEY_MAX_MINOR / unit) {
        bp_verr_set(e, path, "unitPrice", "times quantity is too large");
        json_decref(out);
        return NULL;
    }
    int64_t without = qty * unit, tax = bl_vat(without, bp), with = without + tax;
    agree(item, path, "amountWithoutTax", exponent, without, e);
    agree(item, path, "amountTax", exponent, tax, e);
    agree(item, path, "amountWithTax", exponent, with, e);
    json_object_set_new(out, "quantity", json_integer(qty));
    json_object_set_new(out, "unitPrice", bp_money_json(unit, t->currency));
    json_object_set_new(out, "vatRate", rate_json(bp));
    json_object_set_new(out, "amountWithoutTax", bp_money_json(without, t->currency));
    json_object_set_new(out, "amountTax", bp_money_json(tax, t->currency));
    json_object_set_new(out, "amountWithTax", bp_money_json(with, t->currency));
    int k = 0;
    while (k < *t->nvat && t->vat[k].bp != bp)
        k++;
    if (k == BL_MAX_VAT_RATES) {
        bp_verr_set(e, path, "vatRate", "makes more than %d different VAT rates in one order",
                    BL_MAX_VAT_RATES);
        json_decref(out);
        return NULL;
    }
    if (k == *t->nvat)
        t->vat[(*t->nvat)++] = (bl_vat_share){bp, 0, 0};
    t->vat[k].base += without;
    t->vat[k].tax += tax;
    t->without += without;
    t->tax += tax;
    t->with += with;
    if (t->with > BP_MONEY_MAX_MINOR)
        bp_verr_set(e, path, "amountWithTax", "makes the order total too large");
    return out;
}

static json_t *parse_items(const json_t *order, int exponent, totals *t, size_t *nproducts,
                           bp_verr *e)
{
    json_t *items = json_object_get(order, "orderItems");
    if (!json_is_array(items) || json_array_size(items) == 0) {
        bp_verr_set(e, "order", "orderItems", "must be a non-empty array");
        return NULL;
    }
    if (json_array_size(items) > 1000) {
        bp_verr_set(e, "order", "orderItems", "has more than 1000 items");
        return NULL;
    }
    json_t *out = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        char path[64];
        snprintf(path, sizeof path, "order.orderItems[%zu]", i);
        if (!json_is_object(item)) {
            bp_verr_set(e, path, "", "must be an object");
            break;
        }
        json_t *oi = json_object();
        const char *delivered = bp_v_string(item, path, "deliveredOn", false, 10, 10, e);
        bp_date d;
        if (delivered != NULL && !bp_date_parse(delivered, &d))
            bp_verr_set(e, path, "deliveredOn",
                        "must be a calendar date YYYY-MM-DD (" BP_DATE_RANGE_TEXT ")");
        else if (delivered != NULL)
            json_object_set_new(oi, "deliveredOn", json_string(delivered));
        json_t *products = json_object_get(item, "productItems");
        if (!e->failed && (!json_is_array(products) || json_array_size(products) == 0))
            bp_verr_set(e, path, "productItems", "must be a non-empty array");
        json_t *pout = json_array();
        size_t k;
        json_t *p;
        json_array_foreach(products, k, p)
        {
            char ppath[128];
            snprintf(ppath, sizeof ppath, "%s.productItems[%zu]", path, k);
            if (e->failed)
                break;
            if (!json_is_object(p)) {
                bp_verr_set(e, ppath, "", "must be an object");
                break;
            }
            json_t *po = parse_product(p, ppath, exponent, t, e);
            if (po != NULL)
                json_array_append_new(pout, po);
            (*nproducts)++;
        }
        json_object_set_new(oi, "productItems", pout);
        json_array_append_new(out, oi);
        if (e->failed)
            break;
    }
    if (e->failed) {
        json_decref(out);
        return NULL;
    }
    return out;
}

bool bl_operation_parse_amounts(const json_t *req, const char *currency, int exponent,
                                bl_operation *op, bp_verr *e)
{
    json_t *order = json_object_get(req, "order");
    op->nvat = 0;
    totals t = {currency, 0, 0, 0, op->vat, &op->nvat};
    size_t nproducts = 0;
    json_t *items = parse_items(order, exponent, &t, &nproducts, e);
    if (items == NULL)
        return false;
    agree(order, "order", "totalWithoutTax", exponent, t.without, e);
    agree(order, "order", "totalTax", exponent, t.tax, e);
    agree(order, "order", "totalWithTax", exponent, t.with, e);
    if (!e->failed && t.with <= 0)
        bp_verr_set(e, "order", "totalWithTax", "must be greater than zero");
    const char *order_type = bp_v_enum(order, "order", "orderType", false, order_types, e);
    json_t *contact = bp_v_object(req, "", "contact", false, e);
    const char *customer = bp_v_string(req, "", "customerRef", false, 0, TEXT_MAX, e);
    if (e->failed) {
        json_decref(items);
        return false;
    }
    op->total_without_tax = t.without;
    op->total_tax = t.tax;
    op->total_with_tax = t.with;

    json_t *o = json_pack("{s:s, s:s}", "orderRef", op->order_ref, "currencyCode", currency);
    if (order_type != NULL)
        json_object_set_new(o, "orderType", json_string(order_type));
    json_object_set_new(o, "orderItems", items);
    json_object_set_new(o, "totalWithoutTax", bp_money_json(t.without, currency));
    json_object_set_new(o, "totalTax", bp_money_json(t.tax, currency));
    json_object_set_new(o, "totalWithTax", bp_money_json(t.with, currency));

    char date[11];
    bp_date_format(op->operation_date, date, sizeof date);
    json_t *doc = json_pack("{s:s, s:s, s:s}", "operationType", bl_op_type_name(op->type),
                            "operationAt", op->operation_at, "operationDate", date);
    if (op->refund_of != NULL)
        json_object_set_new(doc, "refundOf", json_string(op->refund_of));
    if (customer != NULL)
        json_object_set_new(doc, "customerRef", json_string(customer));
    if (contact != NULL)
        json_object_set(doc, "contact", contact);
    json_object_set_new(doc, "order", o);
    op->doc = doc;
    return true;
}
