/* Unit tests of bp_ticker: the first round runs at once, rounds repeat, stop
 * wakes a ticker that waits a whole hour, and a long round sees the stop. */
#include "bp_ticker.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

typedef struct {
    atomic_int rounds;
    atomic_bool saw_stop;
    bool spin; /* the round lasts until the ticker is stopped */
} probe;

static void count_round(void *ctx, const bp_ticker *t)
{
    probe *p = ctx;
    atomic_fetch_add(&p->rounds, 1);
    while (p->spin && !bp_ticker_stopping(t)) {
        struct timespec ms = {0, 1000000L};
        nanosleep(&ms, NULL);
    }
    if (bp_ticker_stopping(t))
        atomic_store(&p->saw_stop, true);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits (up to 10 s) until at least `n` rounds ran. */
static bool wait_rounds(probe *p, int n)
{
    double until = now_s() + 10;
    while (atomic_load(&p->rounds) < n && now_s() < until) {
        struct timespec ms = {0, 1000000L};
        nanosleep(&ms, NULL);
    }
    return atomic_load(&p->rounds) >= n;
}

static void test_rounds_repeat(void **state)
{
    (void)state;
    probe p = {0};
    bp_ticker *t = bp_ticker_start(count_round, &p, 5);
    assert_non_null(t);
    assert_true(wait_rounds(&p, 3));
    bp_ticker_stop(t);
    int after = atomic_load(&p.rounds);
    struct timespec ms = {0, 30000000L};
    nanosleep(&ms, NULL);
    assert_int_equal(atomic_load(&p.rounds), after); /* nothing runs once stopped */
}

static void test_stop_wakes_a_long_wait(void **state)
{
    (void)state;
    probe p = {0};
    bp_ticker *t = bp_ticker_start(count_round, &p, 3600L * 1000);
    assert_non_null(t);
    assert_true(wait_rounds(&p, 1)); /* the first round at once */
    double before = now_s();
    bp_ticker_stop(t);
    assert_true(now_s() - before < 5.0); /* not an hour */
    assert_int_equal(atomic_load(&p.rounds), 1);
}

static void test_long_round_sees_stop(void **state)
{
    (void)state;
    probe p = {.spin = true};
    bp_ticker *t = bp_ticker_start(count_round, &p, 10);
    assert_non_null(t);
    assert_true(wait_rounds(&p, 1));
    bp_ticker_signal(t); /* asks without waiting */
    bp_ticker_signal(t); /* twice is harmless */
    bp_ticker_stop(t);   /* returns only because the round ended on seeing the stop */
    assert_true(atomic_load(&p.saw_stop));
    bp_ticker_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rounds_repeat),
        cmocka_unit_test(test_stop_wakes_a_long_wait),
        cmocka_unit_test(test_long_round_sees_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
