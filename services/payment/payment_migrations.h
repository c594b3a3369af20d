/* payment_migrations: the payment database's schema, versioned. */
#ifndef PAYMENT_MIGRATIONS_H
#define PAYMENT_MIGRATIONS_H

#include "bp_migrate.h"

extern const bp_migration pm_migrations[];
extern const size_t pm_migrations_count;

#endif
