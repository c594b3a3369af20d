/* bp_migrate: schema_migrations bookkeeping and the shared tables' DDL. */
#include "bp_migrate.h"

#include "bp_daemon.h"
#include "bp_log.h"
#include "bp_lock_keys.h"

#include <stdlib.h>

/* SQL laid out as SQL: not reflowed. */
/* clang-format off */
const bp_migration bp_common_migrations[] = {
    {"common-001-outbox",
     "CREATE TABLE outbox ("
     "  id bigserial PRIMARY KEY,"
     "  event_id uuid NOT NULL UNIQUE,"
     "  topic text NOT NULL,"
     "  msg_key text NOT NULL,"
     "  payload text NOT NULL,"
     "  created_at timestamptz NOT NULL DEFAULT now(),"
     "  published_at timestamptz);"
     "CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;"
     "CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$"
     " BEGIN PERFORM pg_notify('bp_outbox', ''); RETURN NULL; END $$;"
     "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox"
     "  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();"},
    {"common-002-inbox",
     "CREATE TABLE inbox ("
     "  consumer text NOT NULL,"
     "  event_id text NOT NULL,"
     "  received_at timestamptz NOT NULL DEFAULT now(),"
     "  PRIMARY KEY (consumer, event_id));"},
    {"common-003-idempotency",
     "CREATE TABLE idempotency_keys ("
     "  idem_key text PRIMARY KEY,"
     "  request_hash bytea NOT NULL,"
     "  status integer NOT NULL,"
     "  response text NOT NULL,"
     "  created_at timestamptz NOT NULL DEFAULT now());"
     "CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);"},
    /* A NOTIFY in every writing transaction serialises their commits (PostgreSQL
     * holds the notify lock through the commit's WAL flush); the relay is now woken
     * in-process, and by one coalesced NOTIFY from other instances. */
    {"common-004-outbox-wake-in-process",
     "DROP TRIGGER outbox_notify ON outbox;"
     "DROP FUNCTION outbox_notify();"},
    /* The event type, published as a header (consumers skip unwanted types
     * unparsed); payloads compressed with LZ4 where the server has it (several
     * times faster than the default pglz on large invoices). */
    {"common-005-outbox-event-type",
     "ALTER TABLE outbox ADD COLUMN event_type text;"
     "DO $$ BEGIN"
     "  ALTER TABLE outbox ALTER COLUMN payload SET COMPRESSION lz4;"
     " EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;"
     " END $$;"},
};
/* clang-format on */
const size_t bp_common_migrations_count =
    sizeof bp_common_migrations / sizeof bp_common_migrations[0];

static bp_db_result apply_one(bp_db *db, const bp_migration *m)
{
    bp_db_result r = bp_db_begin(db);
    if (r != BP_DB_OK)
        return r;
    /* One lock for every migrator of this database, released at commit. */
    r = bp_db_exec(db, NULL, "SELECT pg_advisory_xact_lock(" BP_LOCK_MIGRATE ")", 0, NULL);
    PGresult *res = NULL;
    const char *params[] = {m->id};
    if (r == BP_DB_OK)
        r = bp_db_exec(db, &res, "SELECT 1 FROM schema_migrations WHERE id = $1", 1, params);
    if (r != BP_DB_OK)
        goto fail;
    bool applied = PQntuples(res) > 0;
    PQclear(res);
    if (applied) {
        bp_db_rollback(db);
        return BP_DB_OK;
    }
    r = bp_db_exec_script(db, m->sql);
    if (r == BP_DB_OK)
        r = bp_db_exec(db, NULL, "INSERT INTO schema_migrations (id) VALUES ($1)", 1, params);
    if (r == BP_DB_OK)
        r = bp_db_commit(db);
    if (r != BP_DB_OK)
        goto fail;
    bp_log_info("migration %s applied", m->id);
    return BP_DB_OK;
fail:
    bp_log_error("migration %s failed: %s", m->id, bp_db_error(db));
    bp_db_rollback(db);
    return r;
}

bp_db_result bp_migrate_apply(bp_db *db, const bp_migration *list, size_t n)
{
    bp_db_result r = bp_db_exec(db, NULL,
                                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                " id text PRIMARY KEY,"
                                " applied_at timestamptz NOT NULL DEFAULT now())",
                                0, NULL);
    if (r == BP_DB_CONFLICT) /* two instances created it at once: fine */
        r = BP_DB_OK;
    for (size_t i = 0; r == BP_DB_OK && i < n; i++)
        r = apply_one(db, &list[i]);
    return r;
}

int bp_migrate_at_start(const char *url, const bp_migration *list, size_t n)
{
    bp_db *db = bp_db_new(url);
    int result = 1;
    for (int attempt = 0; db != NULL; attempt++) {
        bp_db_result r = bp_migrate_apply(db, bp_common_migrations, bp_common_migrations_count);
        if (r == BP_DB_OK)
            r = bp_migrate_apply(db, list, n);
        if (r == BP_DB_OK) {
            result = 0;
            break;
        }
        if (r != BP_DB_UNAVAILABLE && r != BP_DB_RETRY)
            break;
        if (attempt % 10 == 0)
            bp_log_warn("waiting for the database: %s", bp_db_error(db));
        if (bp_daemon_sleep_or_signal(1000)) {
            result = -1;
            break;
        }
    }
    bp_db_free(db);
    return result;
}
