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

/* Applies bp_common_migrations then `list` at daemon start, waiting (and
 * logging) while the database is unreachable. Returns 0 when done, 1 on a
 * migration error, -1 when SIGTERM/SIGINT arrived while waiting. */
int bp_migrate_at_start(const char *url, const bp_migration *list, size_t n);

#endif
