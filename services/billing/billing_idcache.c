/* billing_idcache: two direct-mapped tables (by id, by ref) under one mutex. */
#include "billing_idcache.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define SLOTS 16384

typedef struct {
    bool used;
    bl_ident id;
} slot;

static slot by_id[SLOTS], by_ref[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h % SLOTS;
}

bool bl_idcache_get(const char *contract_id, const char *contract_ref, bl_ident *out)
{
    const char *key = contract_id ? contract_id : contract_ref;
    if (key == NULL)
        return false;
    slot *table = contract_id ? by_id : by_ref;
    bool found = false;
    pthread_mutex_lock(&lock);
    slot *s = &table[hash(key)];
    if (s->used && strcmp(contract_id ? s->id.contract_id : s->id.contract_ref, key) == 0) {
        *out = s->id;
        found = true;
    }
    pthread_mutex_unlock(&lock);
    return found;
}

void bl_idcache_put(const bl_ident *id)
{
    pthread_mutex_lock(&lock);
    slot *a = &by_id[hash(id->contract_id)], *b = &by_ref[hash(id->contract_ref)];
    a->used = b->used = true;
    a->id = b->id = *id;
    pthread_mutex_unlock(&lock);
}
