/* payment_service: the transactions of payment.
 *
 * DESIGN: never collect an invoice twice, whatever is redelivered or killed.
 * The `payments` row (UNIQUE invoice_ref) is created PENDING and committed
 * BEFORE the bank is asked; the bank is idempotent by end-to-end id (the
 * invoiceRef); the result and its event commit together AFTER the answer; the
 * Kafka offset is stored only then (payment_events), or as soon as the PENDING
 * row is committed when its due date is still to come (the collector then
 * debits it on that day). Whatever dies in between, the redelivered request or
 * the collector finds the row PENDING and asks again — the bank answers the
 * first answer — or finds it finished and does nothing. The final UPDATE only
 * moves a PENDING row, so two threads or instances racing on one invoice
 * publish one result. Runs on the consumer thread (requests), the collector
 * thread (payments fallen due) and HTTP workers (reads). */
#include "payment_service.h"

#include "bp_cloudevent.h"
#include "bp_consumer.h"
#include "bp_log.h"
#include "bp_metrics.h"
#include "bp_random.h"
#include "bp_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pm_event_result retry_later(bp_db *db, bp_db_result r, const char *what, const char *subject)
{
    bp_db_rollback(db);
    bp_log_warn("%s %s not handled yet (%s): %s", what, subject, bp_db_result_text(r),
                bp_db_error(db));
    return PM_EVENT_RETRY;
}

/* tx1: records the event in the inbox and creates the PENDING payment of `req`
 * unless its invoice has one; reads the recorded payment into *p. */
static bp_db_result record_request(const pm_service *svc, bp_db *db, const pm_payment *req,
                                   pm_payment *p, bool *created)
{
    bp_db_result r = bp_db_begin(db);
    if (r != BP_DB_OK)
        return r;
    bp_inbox_result ir = bp_inbox_claim(db, svc->consumer, req->request_event_id);
    if (ir == BP_INBOX_DB_ERROR)
        return BP_DB_UNAVAILABLE;
    bool found = false;
    r = pm_store_insert_pending(db, req, created);
    if (r == BP_DB_OK)
        r = pm_store_get_by_invoice(db, req->invoice_ref, p, &found);
    if (r == BP_DB_OK && !found)
        r = BP_DB_ERROR; /* inserted or existing: it must be there */
    if (r == BP_DB_OK)
        r = bp_db_commit(db);
    return r;
}

/* tx2: the bank's answer and its event. *moved false when the payment was
 * no longer PENDING (another instance finished it). */
static bp_db_result record_result(const pm_service *svc, bp_db *db, const pm_payment *p,
                                  const pm_bank_result *br, pm_payment *done, bool *moved)
{
    bp_db_result r = bp_db_begin(db);
    if (r != BP_DB_OK)
        return r;
    r = pm_store_complete(db, p->payment_id, br->ok, br->reason_code, br->reason, done, moved);
    if (r == BP_DB_OK && *moved) {
        char id[37];
        json_t *event = bp_cloudevent_new(svc->source, pm_payment_event_type(done),
                                          done->invoice_ref, pm_payment_event_data(done), id);
        r = event ? bp_outbox_add(db, svc->payment_topic, done->contract_id, event) : BP_DB_ERROR;
        json_decref(event);
    }
    if (r == BP_DB_OK)
        r = bp_db_commit(db);
    return r;
}

int64_t pm_service_clock_offset(const pm_service *svc)
{
    return bp_time_test_offset_s(svc->test_clock_file);
}

/* tx2 of a refusal dunning tries again: the retry's date and its event. */
static bp_db_result record_retry(const pm_service *svc, bp_db *db, const pm_payment *p,
                                 const pm_bank_result *br, int days, pm_payment *done, bool *moved)
{
    bp_db_result r = bp_db_begin(db);
    if (r != BP_DB_OK)
        return r;
    r = pm_store_schedule_retry(db, p, br->reason_code, br->reason, days, svc->timezone,
                                pm_service_clock_offset(svc), done, moved);
    if (r == BP_DB_OK && *moved) {
        char id[37];
        json_t *event = bp_cloudevent_new(svc->source, "payment.retry_scheduled", done->invoice_ref,
                                          pm_payment_retry_data(done, false), id);
        r = event ? bp_outbox_add(db, svc->payment_topic, done->contract_id, event) : BP_DB_ERROR;
        json_decref(event);
    }
    if (r == BP_DB_OK)
        r = bp_db_commit(db);
    return r;
}

static bool same_request(const pm_payment *a, const pm_payment *b)
{
    return strcmp(a->contract_id, b->contract_id) == 0 && a->amount_minor == b->amount_minor &&
           strcmp(a->currency, b->currency) == 0 && strcmp(a->mandate_ref, b->mandate_ref) == 0;
}

pm_event_result pm_service_handle_request(const pm_service *svc, bp_db *db, const json_t *event,
                                          char *why, size_t whysize)
{
    pm_payment req, p;
    bp_verr e;
    if (!pm_request_parse(event, &req, &e)) {
        snprintf(why, whysize, "%s %s", e.field, e.message);
        return PM_EVENT_POISON;
    }
    bp_uuid_v4(req.payment_id);
    bool created = false;
    bp_db_result r = record_request(svc, db, &req, &p, &created);
    if (r != BP_DB_OK)
        return retry_later(db, r, "payment request", req.invoice_ref);
    if (strcmp(p.status, "PENDING") != 0) {
        bp_log_info("payment of %s already %s: request %s changes nothing", p.invoice_ref, p.status,
                    req.request_event_id);
        return PM_EVENT_DUPLICATE;
    }
    if (!created && !same_request(&req, &p))
        bp_log_warn("payment request %s for %s differs from the recorded payment %s; the "
                    "recorded one is collected",
                    req.request_event_id, p.invoice_ref, p.payment_id);
    if (p.retries > 0) {
        bp_log_info("payment of %s is being dunned: the collector tries again on %s", p.invoice_ref,
                    p.next_attempt_on);
        return PM_EVENT_SCHEDULED;
    }
    /* Without a mandate there is nothing to wait for: it fails MD01 now. */
    if (!svc->at_once && p.due_date[0] != '\0' && p.mandate_ref[0] != '\0') {
        bool due = true;
        r = pm_store_is_due(db, p.due_date, svc->timezone, pm_service_clock_offset(svc), &due);
        if (r != BP_DB_OK)
            return retry_later(db, r, "payment request", req.invoice_ref);
        if (!due) {
            bp_log_info("payment of %s scheduled: debited on its due date %s", p.invoice_ref,
                        p.due_date);
            return PM_EVENT_SCHEDULED;
        }
    }
    return pm_service_collect(svc, svc->bank, db, &p);
}

#define DEBITS "bp_payment_debits_total"
#define DEBITS_HELP "Direct debits asked of the bank, by result."

/* Counts one debit attempt in bp_payment_debits_total{result}: "booked",
 * "rejected" (with bp_payment_debit_rejections_total{reason=SEPA code}) or
 * "bank_unavailable" (no answer; asked again later). */
static void count_debit(const char *result, const char *reason_code)
{
    bp_metrics_counter_add_label(DEBITS, "result", result, DEBITS_HELP, 1);
    if (reason_code != NULL)
        bp_metrics_counter_add_label("bp_payment_debit_rejections_total", "reason",
                                     reason_code[0] != '\0' ? reason_code : "UNKNOWN",
                                     "Direct debits the bank rejected, by SEPA reason code.", 1);
}

void pm_service_declare_metrics(void)
{
    static const char *const results[] = {"booked", "rejected", "bank_unavailable"};
    for (size_t i = 0; i < sizeof results / sizeof results[0]; i++)
        bp_metrics_counter_add_label(DEBITS, "result", results[i], DEBITS_HELP, 0);
}

pm_event_result pm_service_collect(const pm_service *svc, pm_bank *bank, bp_db *db,
                                   const pm_payment *p)
{
    pm_bank_result br;
    char e2e[PM_REF_MAX + 16];
    pm_payment_end_to_end_id(p, e2e, sizeof e2e);
    if (p->mandate_ref[0] == '\0') {
        pm_bank_result_reject(&br, "MD01"); /* nothing to debit against */
    } else if (pm_bank_collect(bank, e2e, p->mandate_ref, p->amount_minor, p->currency, &br) !=
               PM_BANK_ANSWERED) {
        bp_log_warn("payment of %s stays PENDING: the bank did not answer", p->invoice_ref);
        count_debit("bank_unavailable", NULL);
        return PM_EVENT_RETRY;
    }
    pm_payment done;
    bool moved = false;
    int days = 0;
    bool again = !br.ok && svc->dunning != NULL &&
                 pm_dunning_next(svc->dunning, br.reason_code, p->retries, &days);
    bp_db_result r = again ? record_retry(svc, db, p, &br, days, &done, &moved)
                           : record_result(svc, db, p, &br, &done, &moved);
    if (r != BP_DB_OK)
        return retry_later(db, r, "payment result of", p->invoice_ref);
    if (!moved)
        return PM_EVENT_DUPLICATE;
    count_debit(br.ok ? "booked" : "rejected", br.ok ? NULL : br.reason_code);
    if (again) {
        bp_outbox_relay_wake(svc->relay);
        bp_log_fields(BP_LOG_INFO,
                      json_pack("{s:s, s:s, s:s, s:i, s:s}", "paymentId", done.payment_id,
                                "invoiceRef", done.invoice_ref, "reasonCode", br.reason_code,
                                "attempt", done.retries, "nextAttemptOn", done.next_attempt_on),
                      "payment refused, retry scheduled");
        return PM_EVENT_SCHEDULED;
    }
    bp_outbox_relay_wake(svc->relay);
    bp_log_fields(BP_LOG_INFO,
                  json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "paymentId", done.payment_id,
                            "invoiceRef", done.invoice_ref, "status", done.status, "amountMinor",
                            (json_int_t)done.amount_minor, "currency", done.currency, "reasonCode",
                            done.reason_code),
                  "payment %s", done.status);
    return PM_EVENT_DONE;
}

static pm_result db_failure(bp_db *db, bp_db_result r, const char *what)
{
    return (pm_result)bp_db_failure(db, r, what);
}

pm_result pm_service_get(bp_db *db, const char *payment_id, json_t **resource)
{
    *resource = NULL;
    pm_payment p;
    bool found = false;
    bp_db_result r = pm_store_get(db, payment_id, &p, &found);
    if (r != BP_DB_OK)
        return db_failure(db, r, "get payment");
    if (!found)
        return PM_R_NOT_FOUND;
    *resource = pm_payment_json(&p);
    return PM_R_OK;
}

pm_result pm_service_retry_now(const pm_service *svc, bp_db *db, const char *payment_id,
                               json_t **resource)
{
    *resource = NULL;
    pm_payment p;
    bool found = false, moved = false;
    bp_db_result r = bp_db_begin(db);
    if (r == BP_DB_OK)
        r = pm_store_retry_now(db, payment_id, svc->timezone, pm_service_clock_offset(svc), &p,
                               &moved);
    if (r == BP_DB_OK && !moved) {
        r = pm_store_get(db, payment_id, &p, &found);
        bp_db_rollback(db);
        if (r != BP_DB_OK)
            return db_failure(db, r, "retry payment");
        return found ? PM_R_NOT_FAILED : PM_R_NOT_FOUND;
    }
    if (r == BP_DB_OK) {
        char id[37];
        json_t *event = bp_cloudevent_new(svc->source, "payment.retry_scheduled", p.invoice_ref,
                                          pm_payment_retry_data(&p, true), id);
        r = event ? bp_outbox_add(db, svc->payment_topic, p.contract_id, event) : BP_DB_ERROR;
        json_decref(event);
    }
    if (r == BP_DB_OK)
        r = bp_db_commit(db);
    if (r != BP_DB_OK) {
        bp_db_rollback(db);
        return db_failure(db, r, "retry payment");
    }
    bp_outbox_relay_wake(svc->relay);
    bp_log_fields(BP_LOG_INFO,
                  json_pack("{s:s, s:s, s:i}", "paymentId", p.payment_id, "invoiceRef",
                            p.invoice_ref, "attempt", p.retries + 1),
                  "payment retried by hand");
    *resource = pm_payment_json(&p);
    return PM_R_OK;
}

pm_result pm_service_list(bp_db *db, const pm_filter *f, json_t **items, int64_t *total)
{
    bp_db_result r = pm_store_list(db, f, items, total);
    return r == BP_DB_OK ? PM_R_OK : db_failure(db, r, "list payments");
}
