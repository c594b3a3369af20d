/* billing_migrations: the billing database's schema, versioned. */
#ifndef BILLING_MIGRATIONS_H
#define BILLING_MIGRATIONS_H

#include "bp_migrate.h"

extern const bp_migration bl_migrations[];
extern const size_t bl_migrations_count;

#endif
