/* contract_fixture: what the contract integration tests share: a valid
 * request to start from and the daemon's test environment. Test-only. */
#ifndef CONTRACT_FIXTURE_H
#define CONTRACT_FIXTURE_H

#include "bpt.h"

#include <jansson.h>

/* A valid POST /contracts body with `overrides` (a JSON object text, may be
 * NULL) merged in recursively; a null value in overrides deletes the field.
 * Caller frees the returned text. */
char *ctf_request(const char *overrides);

/* Creates the test database `name` and topic `topic`, starts the contract
 * daemon on a free port with a 200 ms outbox poll and a 1 s expiry sweep, and
 * waits until /ready answers 200. db_url receives the database URL. */
void ctf_start(bpt_proc *p, const char *name, const char *topic, char *db_url, size_t size);

/* POSTs ctf_request(overrides) and returns the new contractRef (caller frees);
 * aborts the test unless the answer is 201. */
char *ctf_create(int port, const char *overrides);

/* Today's UTC date plus `days`, as YYYY-MM-DD, into buf (>= 11 bytes). */
void ctf_date(int days, char *buf);

#endif
