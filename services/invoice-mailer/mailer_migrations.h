/* mailer_migrations: the invoice-mailer's own tables, applied at start after
 * lib/common's (outbox, inbox). */
#ifndef MAILER_MIGRATIONS_H
#define MAILER_MIGRATIONS_H

#include "bp_migrate.h"

extern const bp_migration ml_migrations[];
extern const size_t ml_migrations_count;

#endif
