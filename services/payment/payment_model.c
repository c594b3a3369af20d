/* payment_model: payment.requested → pm_payment, pm_payment → JSON (REST
 * resource, result event data). Pure, unit-tested (tests/unit/test_payment_model.c). */
#include "payment_model.h"

#include "bp_cloudevent.h"
#include "bp_money.h"
#include "bp_random.h"
#include "bp_time.h"

#include <stdio.h>
#include <string.h>

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* data.amount: a Money object in data.currency, or (a request published before
 * amounts were Money objects) the integer data.amountMinor; 1 minor unit at
 * least. */
static void read_amount(const json_t *d, const char *currency, pm_payment *p, bp_verr *e)
{
    if (e->failed)
        return;
    bp_money_result r = bp_money_read(d, "amount", currency, false, &p->amount_minor);
    if (r == BP_MONEY_OK && p->amount_minor < 1)
        bp_verr_set(e, "data", "amount", "must be at least one minor unit");
    else if (r == BP_MONEY_MISSING)
        bp_verr_set(e, "data", "amount", "is required (a Money object)");
    else if (r == BP_MONEY_CURRENCY)
        bp_verr_set(e, "data", "amount", "must be in data.currency %s", currency);
    else if (r != BP_MONEY_OK)
        bp_verr_set(e, "data", "amount", "%s", bp_money_result_text(r));
}

bool pm_request_parse(const json_t *event, pm_payment *p, bp_verr *e)
{
    memset(p, 0, sizeof *p);
    memset(e, 0, sizeof *e);
    const char *problem = bp_cloudevent_check(event);
    if (problem != NULL) {
        bp_verr_set(e, "", "event", "%s", problem);
        return false;
    }
    const char *type = json_string_value(json_object_get(event, "type"));
    if (strcmp(type, "payment.requested") != 0) {
        bp_verr_set(e, "", "type", "must be payment.requested");
        return false;
    }
    const char *id = json_string_value(json_object_get(event, "id"));
    if (strlen(id) > PM_REF_MAX) {
        bp_verr_set(e, "", "id", "must be at most %d characters long", PM_REF_MAX);
        return false;
    }
    copy(p->request_event_id, sizeof p->request_event_id, id);
    const json_t *d = json_object_get(event, "data");
    const char *invoice = bp_v_string(d, "data", "invoiceRef", true, 1, PM_REF_MAX, e);
    const char *contract_id = bp_v_string(d, "data", "contractId", true, 36, 36, e);
    if (contract_id != NULL && !bp_uuid_valid(contract_id))
        bp_verr_set(e, "data", "contractId", "must be a UUID");
    const char *contract_ref = bp_v_string(d, "data", "contractRef", false, 1, PM_REF_MAX, e);
    const char *currency = bp_v_string(d, "data", "currency", true, 3, 3, e);
    int exponent;
    if (currency != NULL && !bp_currency_exponent(currency, &exponent))
        bp_verr_set(e, "data", "currency", "must be an active ISO 4217 currency code");
    read_amount(d, currency, p, e);
    const char *mandate = bp_v_string(d, "data", "mandateReference", false, 1, PM_REF_MAX, e);
    bp_date due;
    bool has_due = bp_v_date(d, "data", "dueDate", false, &due, e);
    if (e->failed)
        return false;
    copy(p->invoice_ref, sizeof p->invoice_ref, invoice);
    copy(p->contract_id, sizeof p->contract_id, contract_id);
    copy(p->contract_ref, sizeof p->contract_ref, contract_ref);
    copy(p->currency, sizeof p->currency, currency);
    copy(p->mandate_ref, sizeof p->mandate_ref, mandate);
    if (has_due)
        bp_date_format(due, p->due_date, sizeof p->due_date);
    copy(p->status, sizeof p->status, "PENDING");
    return true;
}

/* Sets `name` to `value` unless it is empty (optional fields are left out). */
static void set_opt(json_t *obj, const char *name, const char *value)
{
    if (value != NULL && value[0] != '\0')
        json_object_set_new(obj, name, json_string(value));
}

static bool is(const pm_payment *p, const char *status) { return strcmp(p->status, status) == 0; }

json_t *pm_payment_json(const pm_payment *p)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "paymentId", p->payment_id, "invoiceRef",
                          p->invoice_ref, "contractId", p->contract_id);
    set_opt(o, "contractRef", p->contract_ref);
    json_object_set_new(o, "amount", bp_money_json(p->amount_minor, p->currency));
    json_object_set_new(o, "currency", json_string(p->currency));
    set_opt(o, "mandateReference", p->mandate_ref);
    set_opt(o, "dueDate", p->due_date);
    json_object_set_new(o, "status", json_string(p->status));
    if (is(p, "FAILED")) {
        set_opt(o, "reasonCode", p->reason_code);
        set_opt(o, "reason", p->reason);
    }
    set_opt(o, "requestedAt", p->created_at);
    set_opt(o, is(p, "SUCCEEDED") ? "collectedAt" : "failedAt",
            is(p, "PENDING") ? "" : p->completed_at);
    if (p->retries > 0)
        json_object_set_new(o, "retries", json_integer(p->retries));
    if (is(p, "PENDING")) {
        set_opt(o, "nextAttemptOn", p->next_attempt_on);
        set_opt(o, "lastReasonCode", p->last_reason_code);
    }
    return o;
}

json_t *pm_payment_retry_data(const pm_payment *p, bool manual)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "paymentId", p->payment_id, "invoiceRef",
                          p->invoice_ref, "contractId", p->contract_id);
    json_object_set_new(o, "amount", bp_money_json(p->amount_minor, p->currency));
    json_object_set_new(o, "currency", json_string(p->currency));
    set_opt(o, "mandateReference", p->mandate_ref);
    json_object_set_new(o, "attempt", json_integer(p->retries));
    json_object_set_new(o, "reasonCode", json_string(p->last_reason_code));
    json_object_set_new(o, "reason", json_string(p->last_reason));
    json_object_set_new(o, "nextAttemptOn", json_string(p->next_attempt_on));
    json_object_set_new(o, "manual", json_boolean(manual));
    return o;
}

void pm_payment_end_to_end_id(const pm_payment *p, char *buf, size_t size)
{
    if (p->retries == 0)
        snprintf(buf, size, "%s", p->invoice_ref);
    else
        snprintf(buf, size, "%s/R%d", p->invoice_ref, p->retries);
}

const char *pm_payment_event_type(const pm_payment *p)
{
    if (is(p, "SUCCEEDED"))
        return "payment.succeeded";
    if (is(p, "FAILED"))
        return "payment.failed";
    return NULL;
}

json_t *pm_payment_event_data(const pm_payment *p)
{
    if (pm_payment_event_type(p) == NULL)
        return NULL;
    json_t *o = json_pack("{s:s, s:s, s:s}", "paymentId", p->payment_id, "invoiceRef",
                          p->invoice_ref, "contractId", p->contract_id);
    json_object_set_new(o, "amount", bp_money_json(p->amount_minor, p->currency));
    json_object_set_new(o, "currency", json_string(p->currency));
    set_opt(o, "mandateReference", p->mandate_ref);
    json_object_set_new(o, "status", json_string(p->status));
    if (is(p, "SUCCEEDED")) {
        json_object_set_new(o, "collectedAt", json_string(p->completed_at));
    } else {
        json_object_set_new(o, "reasonCode", json_string(p->reason_code));
        json_object_set_new(o, "reason", json_string(p->reason));
        json_object_set_new(o, "failedAt", json_string(p->completed_at));
    }
    return o;
}
