/* bp_auth: bearer API keys with read/write scopes, parsed from one setting
 * ("key1:rw,key2:r"). Pure and immutable after parsing: safe from any thread. */
#ifndef BP_AUTH_H
#define BP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    BP_SCOPE_NONE = 0, /* route needs no key (health, metrics) */
    BP_SCOPE_READ = 1,
    BP_SCOPE_WRITE = 2, /* implies read */
} bp_scope;

typedef enum {
    BP_AUTH_OK = 0,
    BP_AUTH_MISSING,   /* no/garbled Authorization header, or unknown key → 401 */
    BP_AUTH_FORBIDDEN, /* key known but lacks the scope → 403 */
} bp_auth_result;

typedef struct bp_auth bp_auth;

/* Parses `spec`. Returns NULL and writes a message into err on a bad spec
 * (empty, key shorter than 16 characters, scope other than r/rw).
 * Free with bp_auth_free. */
bp_auth *bp_auth_new(const char *spec, char *err, size_t errsize);
void bp_auth_free(bp_auth *auth);

/* Checks an Authorization header value (may be NULL) against `needed`. */
bp_auth_result bp_auth_check(const bp_auth *auth, const char *authorization, bp_scope needed);

#endif
