/* fuzz_support: what every libFuzzer harness of tests/fuzz shares: the entry points
 * libFuzzer calls (declared here, defined by each harness), the input as a C string
 * or as parsed JSON, and a check that aborts with a message (libFuzzer then saves the
 * input as a crash). Header only; the harnesses call the real parsers, never copies. */
#ifndef FUZZ_SUPPORT_H
#define FUZZ_SUPPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as a NUL-terminated copy (bytes after an inner NUL are then unseen by
 * C-string parsers, as they are in the daemons). Caller frees; aborts when out of
 * memory. */
static inline char *fz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* The input parsed as JSON with jansson `flags`, as the daemon reading it does; NULL
 * when jansson refuses it. Caller decrefs. */
static inline json_t *fz_json(const uint8_t *data, size_t size, size_t flags)
{
    json_error_t err;
    return json_loadb((const char *)data, size, flags, &err);
}

/* An invariant of the code under test: aborts with `what` when `ok` is false. */
#define FZ_CHECK(ok, what)                                                                         \
    do {                                                                                           \
        if (!(ok)) {                                                                               \
            fprintf(stderr, "invariant broken: %s (%s:%d)\n", what, __FILE__, __LINE__);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
