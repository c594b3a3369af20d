/* bp_daemon: signals and start-up failure. Runs on the main thread only. */
#include "bp_daemon.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static sigset_t stop_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}

void bp_daemon_block_signals(void)
{
    sigset_t set = stop_signals();
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int bp_daemon_wait_signal(void)
{
    sigset_t set = stop_signals();
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    return sig;
}

bool bp_daemon_sleep_or_signal(int ms)
{
    sigset_t set = stop_signals();
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    return sigtimedwait(&set, NULL, &ts) > 0;
}

void bp_daemon_config_fail(const char *service, const char *message)
{
    fprintf(stderr, "%s: %s\n", service, message);
    exit(2);
}
