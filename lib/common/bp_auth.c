/* bp_auth: API key table and constant-time key comparison. */
#include "bp_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTH_MAX_KEYS 64
#define AUTH_MIN_KEY_LEN 16

typedef struct {
    char *key;
    size_t len;
    bp_scope scope;
} auth_key;

struct bp_auth {
    auth_key keys[AUTH_MAX_KEYS];
    size_t n;
};

void bp_auth_free(bp_auth *auth)
{
    if (auth == NULL)
        return;
    for (size_t i = 0; i < auth->n; i++)
        free(auth->keys[i].key);
    free(auth);
}

bp_auth *bp_auth_new(const char *spec, char *err, size_t errsize)
{
    bp_auth *auth = calloc(1, sizeof *auth);
    char *copy = strdup(spec);
    if (auth == NULL || copy == NULL) {
        snprintf(err, errsize, "out of memory");
        goto fail;
    }
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        while (*item == ' ')
            item++;
        char *colon = strrchr(item, ':');
        if (colon == NULL) {
            snprintf(err, errsize, "API key entry without ':scope' (expected key:r or key:rw)");
            goto fail;
        }
        *colon = '\0';
        const char *scope = colon + 1;
        bp_scope s;
        if (strcmp(scope, "r") == 0)
            s = BP_SCOPE_READ;
        else if (strcmp(scope, "rw") == 0)
            s = BP_SCOPE_WRITE;
        else {
            snprintf(err, errsize, "API key scope '%s' is not r or rw", scope);
            goto fail;
        }
        size_t len = strlen(item);
        if (len < AUTH_MIN_KEY_LEN) {
            snprintf(err, errsize, "API keys must be at least %d characters", AUTH_MIN_KEY_LEN);
            goto fail;
        }
        if (auth->n == AUTH_MAX_KEYS) {
            snprintf(err, errsize, "at most %d API keys", AUTH_MAX_KEYS);
            goto fail;
        }
        auth->keys[auth->n].key = strdup(item);
        auth->keys[auth->n].len = len;
        auth->keys[auth->n].scope = s;
        if (auth->keys[auth->n].key == NULL)
            goto fail;
        auth->n++;
    }
    if (auth->n == 0) {
        snprintf(err, errsize, "no API key given");
        goto fail;
    }
    free(copy);
    return auth;
fail:
    free(copy);
    bp_auth_free(auth);
    return NULL;
}

/* Compares without an early exit so timing does not reveal a key's prefix. */
static bool key_equal(const auth_key *k, const char *given, size_t len)
{
    unsigned char diff = (unsigned char)(len != k->len);
    for (size_t i = 0; i < k->len; i++)
        diff |= (unsigned char)(k->key[i] ^ (i < len ? given[i] : 0));
    return diff == 0;
}

bp_auth_result bp_auth_check(const bp_auth *auth, const char *authorization, bp_scope needed)
{
    if (needed == BP_SCOPE_NONE)
        return BP_AUTH_OK;
    if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
        return BP_AUTH_MISSING;
    const char *given = authorization + 7;
    while (*given == ' ')
        given++;
    size_t len = strlen(given);
    const auth_key *found = NULL;
    for (size_t i = 0; i < auth->n; i++) {
        if (key_equal(&auth->keys[i], given, len))
            found = &auth->keys[i];
    }
    if (found == NULL)
        return BP_AUTH_MISSING;
    return found->scope >= needed ? BP_AUTH_OK : BP_AUTH_FORBIDDEN;
}
