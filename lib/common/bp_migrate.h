/* bp_migrate: versioned SQL migrations compiled into each daemon and applied
 * at start, in order, each once, under an advisory lock so that several
 * instances starting together do not race. */
#ifndef BP_MIGRATE_H
#define BP_MIGRATE_H

#include "bp_db.h"

#include <stddef.h>

typedef struct {
    const char *id;  /* unique and stable forever, e.g. "contract-001-init" */
    const char *sql; /* one or more statements */
} bp_migration;

/* The tables lib/common's own modules use (outbox, inbox, idempotency keys).
 * Every daemon applies these before its own. */
extern const bp_migration bp_common_migrations[];
extern const size_t bp_common_migrations_count;

/* Applies the migrations of `list` not yet recorded in schema_migrations, each in
 * its own transaction. Returns BP_DB_OK, or the failing result with the message
 * in bp_db_error(db). */
bp_db_result bp_migrate_apply(bp_db *db, const bp_migration *list, size_t n)
    __attribute__((warn_unused_result));

#endif
