/* contract_expiry: the thread that turns contracts past their expireAt into
 * EXPIRED (through the same service path as any change, so each expiry commits
 * with its contract.expired event). */
#ifndef CONTRACT_EXPIRY_H
#define CONTRACT_EXPIRY_H

#include "contract_service.h"

typedef struct ct_expiry ct_expiry;

/* Starts the sweeper: runs at once, then every `interval_s` seconds.
 * `svc` must outlive it. Returns NULL on failure. */
ct_expiry *ct_expiry_start(const ct_service *svc, const char *database_url, long interval_s);

/* Stops and joins the thread. NULL ignored. */
void ct_expiry_stop(ct_expiry *x);

#endif
