/* fuzz_http_head: bytes as the start of what a client sends on a connection, through
 * the request-head checks of bp_http_head.h as the connection gate runs them: the
 * head's length, then the check of a complete head or of an incomplete one, and the
 * control-character test of a raw request-target. */
#include "bp_http_head.h"
#include "fuzz_support.h"

static void check_verdict(const bp_http_head_verdict *v)
{
    FZ_CHECK(v->status >= 400 && v->status <= 505, "a refusal's status is a 4xx or 5xx");
    FZ_CHECK(v->code != NULL && v->message != NULL, "a refusal has a code and a message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    bp_http_head_verdict v = {0};
    size_t n = bp_http_head_length(buf, size);
    FZ_CHECK(n <= size, "the head lies within what arrived");
    if (n > 0) {
        if (!bp_http_head_check(buf, n, &v))
            check_verdict(&v);
    } else {
        bp_http_head_check_partial(buf, size, &v);
        check_verdict(&v);
    }
    char *target = fz_cstring(data, size);
    (void)bp_http_target_has_control(target);
    free(target);
    return 0;
}
