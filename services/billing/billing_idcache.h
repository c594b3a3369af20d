/* billing_idcache: an in-process map from a contract's ref or id to its
 * identity (id, ref, currency) — the facts of a contract that never change —
 * so the hot purchase path needs no lookup before its one atomic statement.
 * Bounded (entries are overwritten on collision); thread-safe. Status, limits
 * and balances are never cached: they are decided in SQL. */
#ifndef BILLING_IDCACHE_H
#define BILLING_IDCACHE_H

#include <stdbool.h>

typedef struct {
    char contract_id[37];
    char contract_ref[65];
    char currency[4];
} bl_ident;

/* Looks up by id when `contract_id` is non-NULL, else by ref. */
bool bl_idcache_get(const char *contract_id, const char *contract_ref, bl_ident *out);

/* Remembers an identity under both its id and its ref. */
void bl_idcache_put(const bl_ident *id);

#endif
