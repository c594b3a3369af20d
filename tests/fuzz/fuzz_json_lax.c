/* fuzz_json_lax: a request body through bp_json_lax_rewrite and jansson as bp_http
 * reads bodies (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL). Invariants: text jansson
 * accepts needs no rewrite; a rewrite is NUL-terminated and never leaves a \u0000 in
 * a key for jansson to refuse. */
#include "bp_json_lax.h"
#include "fuzz_support.h"

#define BODY_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *before = fz_json(data, size, BODY_FLAGS);
    char *out = NULL;
    size_t outlen = 0;
    if (bp_json_lax_rewrite((const char *)data, size, &out, &outlen)) {
        FZ_CHECK(before == NULL, "text jansson accepts is never rewritten");
        FZ_CHECK(out != NULL && out[outlen] == '\0', "the rewrite is NUL-terminated");
        json_error_t err;
        json_t *after = json_loadb(out, outlen, BODY_FLAGS, &err);
        FZ_CHECK(after != NULL || json_error_code(&err) != json_error_null_byte_in_key,
                 "no \\u0000 is left in a key");
        json_decref(after);
        free(out);
    } else {
        FZ_CHECK(out == NULL, "no rewrite leaves *out NULL");
    }
    json_decref(before);
    return 0;
}
