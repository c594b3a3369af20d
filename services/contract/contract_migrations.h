/* contract_migrations: the contract database's schema, versioned. */
#ifndef CONTRACT_MIGRATIONS_H
#define CONTRACT_MIGRATIONS_H

#include "bp_migrate.h"

extern const bp_migration ct_migrations[];
extern const size_t ct_migrations_count;

#endif
