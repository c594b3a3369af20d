/* fuzz_auth: the Authorization header and the API key setting (BP_API_KEYS). The input
 * is "SPEC\nHEADER" (no newline: a header alone): the header is checked by bp_auth_check
 * against a fixed key set, as every route does, and, when bp_auth_new accepts SPEC,
 * against that set too. Invariants: a route needing no key always passes; a key that
 * may write may read. */
#include "bp_auth.h"
#include "fuzz_support.h"

static bp_auth *fixed;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[200];
    fixed = bp_auth_new("fuzz-reader-key-0001:r, fuzz-writer-key-0001:rw", err, sizeof err);
    FZ_CHECK(fixed != NULL, "the fixed key set parses");
    return 0;
}

static void check(const bp_auth *auth, const char *header)
{
    FZ_CHECK(bp_auth_check(auth, header, BP_SCOPE_NONE) == BP_AUTH_OK, "no key needed: passes");
    bp_auth_result r = bp_auth_check(auth, header, BP_SCOPE_READ);
    bp_auth_result w = bp_auth_check(auth, header, BP_SCOPE_WRITE);
    FZ_CHECK(w != BP_AUTH_OK || r == BP_AUTH_OK, "a key that may write may read");
    FZ_CHECK(r != BP_AUTH_MISSING || w == BP_AUTH_MISSING, "an unknown key is unknown for writes");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_cstring(data, size);
    char *nl = strchr(text, '\n');
    const char *header = nl ? nl + 1 : text;
    check(fixed, header);
    if (nl != NULL) {
        *nl = '\0';
        char err[200] = "";
        bp_auth *auth = bp_auth_new(text, err, sizeof err);
        if (auth != NULL)
            check(auth, header);
        else
            FZ_CHECK(err[0] != '\0', "a refused key setting says why");
        bp_auth_free(auth);
    }
    free(text);
    return 0;
}
