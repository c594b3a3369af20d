/* bp_daemon: process-level plumbing every daemon's main() uses: signal
 * handling (SIGTERM/SIGINT end the process cleanly, SIGPIPE is ignored) and the
 * "bad configuration → one line on stderr, exit status 2" rule. */
#ifndef BP_DAEMON_H
#define BP_DAEMON_H

#include <stdbool.h>

/* Blocks SIGTERM and SIGINT in the calling thread (so in every thread created
 * afterwards) and ignores SIGPIPE. Call first in main(). */
void bp_daemon_block_signals(void);

/* Waits until SIGTERM or SIGINT arrives; returns the signal number. */
int bp_daemon_wait_signal(void);

/* Sleeps up to `ms` milliseconds; returns true early when SIGTERM or SIGINT
 * arrived (the caller then shuts down). */
bool bp_daemon_sleep_or_signal(int ms);

/* Prints "<service>: <message>" to stderr and exits with status 2. */
_Noreturn void bp_daemon_config_fail(const char *service, const char *message);

#endif
