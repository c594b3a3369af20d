/* contract_model: the contract resource as JSON, from request to stored
 * document. Pure (no I/O): validates requests field by field, normalises them
 * into the resource shape that GET returns and events carry, validates and masks
 * IBANs, parses credit limits into minor units, and applies lifecycle actions to
 * a stored document.
 *
 * The stored document IS the resource: fields in the order a person reads them,
 * the IBAN masked. The full IBAN travels beside it, never inside. */
#ifndef CONTRACT_MODEL_H
#define CONTRACT_MODEL_H

#include "bp_time.h"
#include "bp_validate.h"
#include "contract_lifecycle.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CT_IBAN_MAX 34

/* The result of parsing POST /contracts. */
typedef struct {
    json_t *doc;              /* normalised resource, without contractId/contractRef/version */
    const char *contract_ref; /* client-chosen ref (borrowed from the request) or NULL */
    ct_status status;
    char customer_ref[BP_TEXT_BYTES(200)]; /* "" when none */
    bp_date expire_at;
    char iban[CT_IBAN_MAX + 1]; /* full IBAN of the mandate, "" when none */
} ct_new_contract;

/* Validates and normalises a create request. A contract whose expireAt is
 * already past is accepted (the expiry sweeper ends it). On success returns true and fills *out
 * (caller decrefs out->doc). On failure returns false with the field and message in *e. */
bool ct_model_parse_create(const json_t *req, ct_new_contract *out, bp_verr *e);

/* Completes a new document: sets contractId, contractRef, status, version 1 and
 * updatedAt (RFC 3339) in the order of the resource. */
void ct_model_finish_new(json_t *doc, const char *contract_id, const char *contract_ref,
                         ct_status status, const char *updated_at);

/* Why an action could not be applied. */
typedef enum {
    CT_APPLY_OK = 0,
    CT_APPLY_INVALID,  /* request body failed validation: 400, details in bp_verr */
    CT_APPLY_ILLEGAL,  /* not allowed from the current state: 409 */
    CT_APPLY_CURRENCY, /* credit-limit currency differs from the contract's: 422 */
    CT_APPLY_NOOP,     /* a PUT of the mandate or limit already in place: nothing changes */
} ct_apply_result;

/* Applies `action` (with its request body, may be an empty object) to a copy of
 * the stored document `doc`; `stored_iban` is the full IBAN stored beside it ("" none). On
 * CT_APPLY_OK, *out_doc is the new document (version + 1, updatedAt set; caller decrefs) and
 * iban_out receives the new full IBAN when the mandate changed ("" otherwise). `message` (256
 * bytes) explains an ILLEGAL or CURRENCY result. */
ct_apply_result ct_model_apply(const json_t *doc, const char *stored_iban, ct_action action,
                               const json_t *body, const char *updated_at, json_t **out_doc,
                               char *iban_out, bp_verr *e, char *message);

/* Sets the earlier API's spellings of a contract answered to a client: with
 * `earlier_api` (the routes that API had: POST /contracts, GET /contracts and
 * GET /contracts/{contractRef}) distributor.disributorRef is added beside
 * distributorRef with its value; without it (our own routes, events) it is
 * removed (documents stored before it was dropped still hold it). Changes
 * `contract` in place; NULL is ignored. Pure. */
void ct_model_spellings(json_t *contract, bool earlier_api);

/* The status recorded in a stored document. */
bool ct_model_status(const json_t *doc, ct_status *out);

/* Normalises an IBAN (spaces removed, upper case) into out (>= 35 bytes) and
 * checks its structure and ISO 7064 mod-97 checksum. */
bool ct_iban_normalise(const char *in, char *out);

/* Masks a normalised IBAN: first 4 and last 4 characters kept, '*' between. */
void ct_iban_mask(const char *iban, char *out, size_t size);

#endif
