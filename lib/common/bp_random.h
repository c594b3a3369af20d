/* bp_random: identifiers from the kernel's CSPRNG (getrandom). Thread-safe. */
#ifndef BP_RANDOM_H
#define BP_RANDOM_H

#include <stdbool.h>
#include <stddef.h>

/* Writes a random RFC 4122 version-4 UUID, lowercase, into buf (>= 37 bytes). */
void bp_uuid_v4(char *buf);

/* True when `s` is a UUID in its canonical text form (8-4-4-4-12 hex digits). */
bool bp_uuid_valid(const char *s);

/* Writes `prefix` followed by `nchars` random characters (at most 64) from
 * Crockford's base32 alphabet (no I, L, O, U) into buf of `size` bytes;
 * truncates to fit. */
void bp_random_ref(const char *prefix, size_t nchars, char *buf, size_t size);

#endif
