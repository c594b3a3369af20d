/* Integration: bad input on every contract route. Each case must get the right
 * 4xx with an ErrorResponse body, and leave no row and no event behind. */
#include "contract_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bpt_proc svc;
static char db_url[512];
static char *active_ref, *cancelled_ref;

static int setup(void **state)
{
    ctf_start(&svc, "it_contract_bad_input", "it.contract.bad", db_url, sizeof db_url);
    active_ref = ctf_create(svc.port, "{\"contractRef\":\"DUP-1\"}");
    cancelled_ref = ctf_create(svc.port, NULL);
    char path[128];
    snprintf(path, sizeof path, "/contracts/%s/cancel", cancelled_ref);
    bpt_resp r = bpt_http("POST", svc.port, path, BPT_API_KEY, "{\"reason\":\"test\"}", NULL);
    assert_int_equal(r.status, 200);
    bpt_resp_free(&r);
    return 0;
}

static int teardown(void **state)
{
    free(active_ref);
    free(cancelled_ref);
    bpt_proc_free(&svc);
    return 0;
}

typedef struct {
    const char *name;
    const char *method, *path;
    const char *overrides; /* merged into a valid request; NULL: use raw */
    const char *raw;       /* raw body when overrides is NULL (NULL: no body) */
    const char *key;       /* API key; "none" sends none */
    const char *header;
    long status;
    const char *code;
    const char *detail; /* expected detail (field path) or NULL */
} bad_case;

#define W BPT_API_KEY
#define R BPT_READ_KEY

static const bad_case cases[] = {
    {"malformed JSON", "POST", "/contracts", NULL, "{\"contractType\":", W, NULL, 400,
     "MALFORMED_JSON", NULL},
    {"JSON array body", "POST", "/contracts", NULL, "[1,2]", W, NULL, 400, "MALFORMED_JSON", NULL},
    {"empty body", "POST", "/contracts", NULL, "", W, NULL, 400, "MALFORMED_JSON", NULL},
    {"duplicate JSON keys", "POST", "/contracts", NULL, "{\"a\":1,\"a\":2}", W, NULL, 400,
     "MALFORMED_JSON", NULL},
    {"wrong type", "POST", "/contracts", "{\"contractType\":5}", NULL, W, NULL, 400,
     "VALIDATION_ERROR", "contractType"},
    {"missing subscriber", "POST", "/contracts", "{\"subscriber\":null}", NULL, W, NULL, 400,
     "VALIDATION_ERROR", "subscriber"},
    {"missing mail", "POST", "/contracts", "{\"subscriber\":{\"contactPerson\":{\"mail\":null}}}",
     NULL, W, NULL, 400, "VALIDATION_ERROR", "subscriber.contactPerson.mail"},
    {"bad mail", "POST", "/contracts",
     "{\"subscriber\":{\"contactPerson\":{\"mail\":\"not-an-address\"}}}", NULL, W, NULL, 400,
     "VALIDATION_ERROR", "subscriber.contactPerson.mail"},
    {"unknown enum", "POST", "/contracts", "{\"subscriber\":{\"subscriberType\":\"COMPANY\"}}",
     NULL, W, NULL, 400, "VALIDATION_ERROR", "subscriber.subscriberType"},
    {"unknown status", "POST", "/contracts", "{\"status\":\"DORMANT\"}", NULL, W, NULL, 400,
     "VALIDATION_ERROR", "status"},
    {"status not initial", "POST", "/contracts", "{\"status\":\"SUSPENDED\"}", NULL, W, NULL, 400,
     "VALIDATION_ERROR", "status"},
    {"date does not parse", "POST", "/contracts", "{\"createdAt\":\"2026-02-30\"}", NULL, W, NULL,
     400, "VALIDATION_ERROR", "createdAt"},
    {"date wrong format", "POST", "/contracts", "{\"activatedAt\":\"05/01/2026\"}", NULL, W, NULL,
     400, "VALIDATION_ERROR", "activatedAt"},
    {"expireAt before activatedAt", "POST", "/contracts",
     "{\"activatedAt\":\"2026-06-01\",\"expireAt\":\"2026-05-31\"}", NULL, W, NULL, 400,
     "VALIDATION_ERROR", "expireAt"},
    {"negative credit limit", "POST", "/contracts",
     "{\"billing\":{\"creditLimit\":{\"amount\":\"-1.00\"}}}", NULL, W, NULL, 400,
     "VALIDATION_ERROR", "billing.creditLimit.amount"},
    {"unknown currency", "POST", "/contracts",
     "{\"billing\":{\"creditLimit\":{\"currency\":\"XYZ\"}}}", NULL, W, NULL, 400,
     "VALIDATION_ERROR", "billing.creditLimit.currency"},
    {"too many decimals", "POST", "/contracts",
     "{\"billing\":{\"creditLimit\":{\"amount\":10.001}}}", NULL, W, NULL, 400, "VALIDATION_ERROR",
     "billing.creditLimit.amount"},
    {"amount not a number", "POST", "/contracts",
     "{\"billing\":{\"creditLimit\":{\"amount\":\"lots\"}}}", NULL, W, NULL, 400,
     "VALIDATION_ERROR", "billing.creditLimit.amount"},
    {"payment term out of range", "POST", "/contracts", "{\"billing\":{\"paymentTermDays\":400}}",
     NULL, W, NULL, 400, "VALIDATION_ERROR", "billing.paymentTermDays"},
    {"bad IBAN", "POST", "/contracts",
     "{\"payment\":{\"mandate\":{\"iban\":\"FR7630006000011234567890180\"}}}", NULL, W, NULL, 400,
     "VALIDATION_ERROR", "payment.mandate.iban"},
    {"duplicate contractRef", "POST", "/contracts", "{\"contractRef\":\"DUP-1\"}", NULL, W, NULL,
     409, "DUPLICATE_CONTRACT_REF", "contractRef"},
    {"no key", "POST", "/contracts", "{}", NULL, "none", NULL, 401, "UNAUTHENTICATED", NULL},
    {"unknown key", "GET", "/contracts", NULL, NULL, "wrong-key-0123456789", NULL, 401,
     "UNAUTHENTICATED", NULL},
    {"read-only key writes", "POST", "/contracts", "{}", NULL, R, NULL, 403, "FORBIDDEN", NULL},
    {"wrong content type", "POST", "/contracts", "{}", NULL, W, "Content-Type: text/plain", 415,
     "UNSUPPORTED_MEDIA_TYPE", NULL},
    {"idempotency key too long", "POST", "/contracts", "{}", NULL, W,
     "Idempotency-Key: "
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxx",
     400, "VALIDATION_ERROR", "Idempotency-Key"},
    {"unknown path", "GET", "/nope", NULL, NULL, W, NULL, 404, "NOT_FOUND", NULL},
    {"unknown contract", "GET", "/contracts/CTR-NOPE", NULL, NULL, W, NULL, 404, "NOT_FOUND", NULL},
    {"unknown contract change", "POST", "/contracts/CTR-NOPE/suspend", NULL, NULL, W, NULL, 404,
     "NOT_FOUND", NULL},
    {"wrong method", "DELETE", "/contracts", NULL, NULL, W, NULL, 405, "METHOD_NOT_ALLOWED", NULL},
    {"wrong method on item", "PATCH", "/contracts/DUP-1", NULL, NULL, W, NULL, 405,
     "METHOD_NOT_ALLOWED", NULL},
    {"bad page size", "GET", "/contracts?size=0", NULL, NULL, R, NULL, 400, "VALIDATION_ERROR",
     "size"},
    {"bad status filter", "GET", "/contracts?status=BOGUS", NULL, NULL, R, NULL, 400,
     "VALIDATION_ERROR", "status"},
    {"path not UTF-8", "GET", "/contracts/%FF", NULL, NULL, R, NULL, 404, "NOT_FOUND", NULL},
    {"query not UTF-8", "GET", "/contracts?customerRef=%FF", NULL, NULL, R, NULL, 400,
     "VALIDATION_ERROR", NULL},
    {"empty customerRef filter", "GET", "/contracts?customerRef=", NULL, NULL, R, NULL, 400,
     "VALIDATION_ERROR", "customerRef"},
    {"customerRef filter too long", "GET",
     "/contracts?customerRef="
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxx",
     NULL, NULL, R, NULL, 400, "VALIDATION_ERROR", "customerRef"},
    {"reactivate an active contract", "POST", "/contracts/DUP-1/reactivate", NULL, NULL, W, NULL,
     409, "ILLEGAL_TRANSITION", NULL},
    {"activate an active contract", "POST", "/contracts/DUP-1/activate", NULL, NULL, W, NULL, 409,
     "ILLEGAL_TRANSITION", NULL},
    {"cancel without reason", "POST", "/contracts/DUP-1/cancel", NULL, "{}", W, NULL, 400,
     "VALIDATION_ERROR", "reason"},
    {"limit in another currency", "PUT", "/contracts/DUP-1/credit-limit", NULL,
     "{\"amount\":\"10\",\"currency\":\"USD\"}", W, NULL, 422, "CURRENCY_MISMATCH", "currency"},
    {"negative new limit", "PUT", "/contracts/DUP-1/credit-limit", NULL,
     "{\"amount\":\"-10\",\"currency\":\"EUR\"}", W, NULL, 400, "VALIDATION_ERROR", "amount"},
    {"mandate without iban", "PUT", "/contracts/DUP-1/mandate", NULL,
     "{\"reference\":\"M\",\"signedAt\":\"2026-01-01\"}", W, NULL, 400, "VALIDATION_ERROR", "iban"},
};

static void check_case(const bad_case *c)
{
    char *body = NULL;
    if (c->overrides != NULL)
        body = ctf_request(c->overrides);
    else if (c->raw != NULL)
        body = strdup(c->raw);
    const char *key = strcmp(c->key, "none") == 0 ? NULL : c->key;
    bpt_resp r = bpt_http(c->method, svc.port, c->path, key, body, c->header);
    if (r.status != c->status || strcmp(bpt_error_code(&r), c->code) != 0)
        fprintf(stderr, "case '%s': got %ld %s\n", c->name, r.status, r.body);
    assert_int_equal(r.status, c->status);
    assert_string_equal(bpt_error_code(&r), c->code);
    json_t *err = json_array_get(json_object_get(r.json, "errors"), 0);
    assert_true(json_is_string(json_object_get(err, "message")));
    assert_true(json_is_integer(json_object_get(err, "timestamp")));
    assert_int_equal(json_integer_value(json_object_get(err, "status")), c->status);
    if (c->detail != NULL)
        assert_string_equal(json_string_value(json_object_get(err, "detail")), c->detail);
    bpt_resp_free(&r);
    free(body);
}

static void test_each_bad_input(void **state)
{
    long rows = bpt_sql_long(db_url, "SELECT count(*) FROM contracts");
    long events = bpt_sql_long(db_url, "SELECT count(*) FROM outbox");
    long versions = bpt_sql_long(db_url, "SELECT sum(version) FROM contracts");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&cases[i]);
    /* Lifecycle routes on a cancelled contract: all refused. */
    static const char *const actions[][2] = {{"POST", "activate"},
                                             {"POST", "suspend"},
                                             {"POST", "reactivate"},
                                             {"POST", "mandate/revoke"}};
    for (size_t i = 0; i < 4; i++) {
        char path[128];
        snprintf(path, sizeof path, "/contracts/%s/%s", cancelled_ref, actions[i][1]);
        bpt_resp r = bpt_http(actions[i][0], svc.port, path, W, NULL, NULL);
        assert_int_equal(r.status, 409);
        bpt_resp_free(&r);
    }
    assert_int_equal(bpt_sql_long(db_url, "SELECT count(*) FROM contracts"), rows);
    assert_int_equal(bpt_sql_long(db_url, "SELECT count(*) FROM outbox"), events);
    assert_int_equal(bpt_sql_long(db_url, "SELECT sum(version) FROM contracts"), versions);
}

static void test_body_over_limit(void **state)
{
    size_t n = 70 * 1024;
    char *big = malloc(n + 32);
    memset(big, ' ', n);
    memcpy(big, "{\"subscriberRef\":\"", 18);
    memcpy(big + n - 2, "\"}", 3);
    bpt_resp r = bpt_http("POST", svc.port, "/contracts", W, big, NULL);
    assert_int_equal(r.status, 413);
    assert_string_equal(bpt_error_code(&r), "PAYLOAD_TOO_LARGE");
    bpt_resp_free(&r);
    free(big);
    /* The svc is still healthy afterwards. */
    r = bpt_http("GET", svc.port, "/health", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    bpt_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_bad_input),
        cmocka_unit_test(test_body_over_limit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
