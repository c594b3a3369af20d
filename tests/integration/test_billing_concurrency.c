/* Integration: the credit limit holds under concurrency. Many parallel
 * purchases against one contract whose limit admits k of them accept exactly
 * k; the same on many contracts at once; and with two billing instances sharing
 * one database. Balances always equal the sum of accepted amounts. */
#include "billing_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static blf_stack st;
static bpt_proc second; /* another billing instance on the same database */

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_ALL);
    blf_start(&st, "it_billing_conc");
    blf_start_billing(&st, &second, "it_billing_conc-billing2");
    return 0;
}

static int teardown(void **state)
{
    assert_int_equal(bpt_proc_stop(&second, SIGTERM), 0);
    bpt_proc_free(&second);
    blf_stop(&st);
    return 0;
}

typedef struct {
    int ports[2];
    const char *const *refs;
    int nrefs;
    int per_ref;
    atomic_int next;
    atomic_int accepted, refused, other;
} burst;

static void *buyer(void *arg)
{
    burst *b = arg;
    for (;;) {
        int i = atomic_fetch_add(&b->next, 1);
        if (i >= b->nrefs * b->per_ref)
            return NULL;
        char order[64], code[64];
        const char *ref = b->refs[i % b->nrefs];
        snprintf(order, sizeof order, "P-%d", i);
        long s = blf_buy(b->ports[i % 2], ref, order, "10.00", NULL, code);
        if (s == 201)
            atomic_fetch_add(&b->accepted, 1);
        else if (s == 422 && strcmp(code, "CREDIT_LIMIT_EXCEEDED") == 0)
            atomic_fetch_add(&b->refused, 1);
        else {
            fprintf(stderr, "unexpected answer %ld %s\n", s, code);
            atomic_fetch_add(&b->other, 1);
        }
    }
}

static void run_burst(burst *b, int threads)
{
    pthread_t t[32];
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, buyer, b);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
}

static void test_one_contract_exact_limit(void **state)
{
    /* 95.00 admits nine purchases of 10.00; 60 try at once through two instances. */
    blf_contract(&st, "CTR-CONC-1", "95.00", NULL);
    assert_true(blf_wait_version(&st, "CTR-CONC-1", 1, 15000));
    const char *refs[] = {"CTR-CONC-1"};
    burst b = {.ports = {st.billing.port, second.port}, .refs = refs, .nrefs = 1, .per_ref = 60};
    run_burst(&b, 16);
    assert_int_equal(atomic_load(&b.other), 0);
    assert_int_equal(atomic_load(&b.accepted), 9);
    assert_int_equal(atomic_load(&b.refused), 51);
    assert_int_equal(blf_outstanding(&st, "CTR-CONC-1"), 9000);
}

static void test_many_contracts(void **state)
{
    enum { N = 8 };
    static char names[N][32];
    const char *refs[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "CTR-CONC-M%d", i);
        refs[i] = names[i];
        blf_contract(&st, names[i], i % 2 ? "70.00" : "45.50", NULL);
    }
    burst b = {.ports = {st.billing.port, second.port}, .refs = refs, .nrefs = N, .per_ref = 12};
    run_burst(&b, 16);
    assert_int_equal(atomic_load(&b.other), 0);
    /* 70.00 admits 7, 45.50 admits 4: 4 × 7 + 4 × 4. */
    assert_int_equal(atomic_load(&b.accepted), 44);
    for (int i = 0; i < N; i++) {
        assert_int_equal(blf_outstanding(&st, names[i]), i % 2 ? 7000 : 4000);
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT coalesce(sum(amount), 0) FROM operations WHERE contract_ref = '%s'"
                 " AND status = 'ACCEPTED'",
                 names[i]);
        assert_int_equal(bpt_sql_long(st.billing_db, sql), i % 2 ? 7000 : 4000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_contract_exact_limit),
        cmocka_unit_test(test_many_contracts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
