/* bp_lock_keys: every PostgreSQL advisory-lock key the daemons take, in one place,
 * so no two uses can pick the same number by accident. Keys are SQL text, spliced
 * into statements as literals. Each database belongs to one service, so the same key
 * in two services' databases never meets; the list is still kept unique.
 *
 * One-key locks (pg_advisory_lock(bigint)) and two-key classes
 * (pg_advisory_lock(int, int): the class first, a per-row number second) live in
 * different lock spaces in PostgreSQL; the classes are kept apart from the one-key
 * numbers all the same. */
#ifndef BP_LOCK_KEYS_H
#define BP_LOCK_KEYS_H

/* One-key locks. */
#define BP_LOCK_MIGRATE "7428001"           /* bp_migrate: one migrator at a time (xact) */
#define BP_LOCK_OUTBOX_RELAY "7428002"      /* bp_outbox: the active relay of a database */
#define BP_LOCK_BILLING_SCHEDULER "7428003" /* billing_run: one scheduled run at a time */

/* Two-key classes. */
#define BP_LOCK_CLASS_MAIL "74281"      /* mailer_store: one sender per invoice */
#define BP_LOCK_CLASS_PAYMENT "7428201" /* payment_store: one collector per invoice */

#endif
