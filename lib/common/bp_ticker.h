/* bp_ticker: a background thread that does one thing now and then again every
 * interval (billing's run scheduler, contract expiry, payment's collector).
 * Stopping wakes it at once and waits for the round in hand to finish. */
#ifndef BP_TICKER_H
#define BP_TICKER_H

#include <stdbool.h>

typedef struct bp_ticker bp_ticker;

/* One round. A long round may ask bp_ticker_stopping(t) to end early. */
typedef void (*bp_tick_fn)(void *ctx, const bp_ticker *t);

/* Starts the thread: tick(ctx, t) at once, then `interval_ms` after the end of
 * each round (a monotonic clock: a change of the wall clock does not disturb
 * it). `ctx` is borrowed. NULL when the thread cannot start. */
bp_ticker *bp_ticker_start(bp_tick_fn tick, void *ctx, long interval_ms);

/* True once bp_ticker_stop was called. Safe from the ticking thread. */
bool bp_ticker_stopping(const bp_ticker *t);

/* Asks the thread to stop after the round in hand, without waiting (so that
 * several threads wind down at once). NULL ignored. */
void bp_ticker_signal(bp_ticker *t);

/* Wakes the thread, waits for the round in hand and frees the ticker. NULL
 * ignored. */
void bp_ticker_stop(bp_ticker *t);

#endif
