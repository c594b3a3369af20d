/* fuzz_contract: request bodies of the contract API through contract_model. The first
 * byte picks the route: action = byte % CT_ACTION_COUNT (CREATE: POST /contracts, parsed
 * by ct_model_parse_create), status = byte / 16 % CT_STATUS_COUNT (the stored contract
 * an action is applied to with ct_model_apply). The rest is the body, read as bp_http
 * reads it; an empty body is an empty object, as on the routes that allow none. */
#include "contract_model.h"
#include "fuzz_support.h"

#define BODY_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)
#define NOW "2026-01-02T10:00:00.000Z"

static const char stored_request[] =
    "{\"contractRef\":\"CTR-FUZZ-001\",\"productRef\":\"DEFERRED_BILLING\","
    "\"contractType\":\"DEFERRED_BILLING\",\"createdAt\":\"2026-01-02\","
    "\"signedAt\":\"2026-01-02\",\"activatedAt\":\"2026-01-05\",\"expireAt\":\"2027-01-04\","
    "\"distributor\":{\"distributorRef\":\"esgi SA\"},"
    "\"subscriber\":{\"subscriberRef\":\"ACME SA\",\"subscriberType\":\"PROFESSIONNAL\","
    "\"party\":{\"customerId\":\"PRO-1\",\"customerRef\":\"ACME\"},"
    "\"contactPerson\":{\"lastName\":\"DOE\",\"mail\":\"john.doe@acme.com\"},"
    "\"contactAddress\":{\"line1\":\"2 avenue Foch\",\"countryCode\":\"FR\"}},"
    "\"payment\":{\"mandate\":{\"reference\":\"MDT-1\",\"iban\":\"FR7630006000011234567890189\","
    "\"signedAt\":\"2026-01-02\"}},"
    "\"billing\":{\"creditLimit\":{\"amount\":\"5000.00\",\"currency\":\"EUR\"},"
    "\"paymentTermDays\":45,\"invoiceEmail\":\"ap@acme.com\"}}";

static json_t *stored[CT_STATUS_COUNT]; /* the stored contract in each status */
static char stored_iban[CT_IBAN_MAX + 1];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    json_t *req = json_loads(stored_request, 0, NULL);
    for (int s = 0; s < CT_STATUS_COUNT; s++) {
        ct_new_contract nc;
        bp_verr e = {0};
        bool ok = req != NULL && ct_model_parse_create(req, &nc, &e);
        if (!ok)
            fprintf(stderr, "stored request: %s %s\n", e.field, e.message);
        FZ_CHECK(ok, "the stored request parses");
        ct_model_finish_new(nc.doc, "3f2c9a4e-7b1d-4c55-9e0a-5d8f1b2c6a70", "CTR-FUZZ-001",
                            (ct_status)s, NOW);
        stored[s] = nc.doc;
        memcpy(stored_iban, nc.iban, sizeof stored_iban);
    }
    json_decref(req);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    ct_action action = (ct_action)(data[0] % CT_ACTION_COUNT);
    ct_status status = (ct_status)(data[0] / 16 % CT_STATUS_COUNT);
    size_t start = 1;
    while (start < size && strchr(" \t\r\n", data[start]) != NULL && data[start] != '\0')
        start++;
    json_t *body = start == size && action != CT_ACTION_CREATE
                       ? json_object()
                       : fz_json(data + 1, size - 1, BODY_FLAGS);
    if (!json_is_object(body)) {
        json_decref(body);
        return 0;
    }
    bp_verr e = {0};
    if (action == CT_ACTION_CREATE) {
        ct_new_contract nc;
        if (ct_model_parse_create(body, &nc, &e)) {
            ct_model_finish_new(nc.doc, "3f2c9a4e-7b1d-4c55-9e0a-5d8f1b2c6a70", "CTR-FUZZ-002",
                                nc.status, NOW);
            json_decref(nc.doc);
        } else {
            FZ_CHECK(e.failed && e.message[0] != '\0', "a refusal says why");
        }
    } else {
        json_t *next = NULL;
        char iban[CT_IBAN_MAX + 1] = "", message[256] = "";
        ct_apply_result r = ct_model_apply(stored[status], stored_iban, action, body, NOW, &next,
                                           iban, &e, message);
        FZ_CHECK((r == CT_APPLY_OK) == (next != NULL), "a new document exactly when applied");
        json_decref(next);
    }
    json_decref(body);
    return 0;
}
