/* fuzz_text_checks: the checks of single values from outside: the Idempotency-Key
 * header (bp_idem_key_valid), UTF-8 of paths, query values and JSON text
 * (bp_utf8_valid, bp_utf8_chars, on the raw bytes too), e-mail addresses
 * (bp_email_valid), UUIDs (bp_uuid_valid) and IBANs (ct_iban_normalise, ct_iban_mask).
 * Invariants: a valid key is 1..200 visible ASCII characters; a normalised IBAN is
 * at most 34 characters, normalises to itself and masks to its own length. */
#include "bp_idempotency.h"
#include "bp_random.h"
#include "bp_validate.h"
#include "contract_model.h"
#include "fuzz_support.h"

static void check_iban(const char *text)
{
    char out[CT_IBAN_MAX + 1], again[CT_IBAN_MAX + 1], mask[CT_IBAN_MAX + 1];
    if (!ct_iban_normalise(text, out))
        return;
    size_t n = strlen(out);
    FZ_CHECK(n <= CT_IBAN_MAX, "an IBAN has at most 34 characters");
    FZ_CHECK(ct_iban_normalise(out, again) && strcmp(again, out) == 0,
             "a normalised IBAN normalises to itself");
    ct_iban_mask(out, mask, sizeof mask);
    FZ_CHECK(strlen(mask) == n, "a mask keeps the IBAN's length");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_cstring(data, size);
    size_t len = strlen(text);
    if (bp_idem_key_valid(text)) {
        FZ_CHECK(len >= 1 && len <= 200, "a key has 1..200 characters");
        for (size_t i = 0; i < len; i++)
            FZ_CHECK(text[i] > 0x20 && text[i] < 0x7f, "a key is visible ASCII");
    }
    if (bp_utf8_valid(text))
        FZ_CHECK(bp_utf8_chars(text, len) <= len, "no more characters than bytes");
    FZ_CHECK(bp_utf8_chars((const char *)data, size) <= size, "no more characters than bytes");
    if (bp_email_valid(text))
        FZ_CHECK(len <= 254 && strchr(text, '@') != NULL, "an address has an @, <= 254 bytes");
    if (bp_uuid_valid(text))
        FZ_CHECK(len == 36, "a UUID has 36 characters");
    check_iban(text);
    free(text);
    return 0;
}
