/* Integration: billing's group committer against a real PostgreSQL. Many
 * concurrent statements share transactions; one that fails (a unique violation,
 * an error) fails alone while the rest of its batch commits; a lone statement is
 * not held back by the window; a connection the server killed is replaced and
 * nothing is lost or applied twice. */
#include "billing_groupcommit.h"
#include "bp_metrics.h"
#include "bpt.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char url[512];

static const bp_db_stmt insert_stmt = {
    "gc_test_insert", "INSERT INTO gc_rows (k, v) VALUES ($1, $2::int) RETURNING 1", 2};
static const bp_db_stmt broken_stmt = {"gc_test_broken", "SELECT 1 / ($1::int - $1::int)", 1};

/* A statement without rows, through bpt_sql (which wants a row). */
static void run(const char *sql)
{
    char text[1024];
    snprintf(text, sizeof text, "%s; SELECT 1", sql);
    free(bpt_sql(url, text));
}

static int setup(void **state)
{
    bpt_db_create("it_billing_groupcommit", url, sizeof url);
    run("CREATE TABLE gc_rows (seq bigserial PRIMARY KEY, k text NOT NULL,"
        " v int NOT NULL UNIQUE)");
    return 0;
}

static long metric(const char *name)
{
    char *text = bp_metrics_render();
    long v = 0;
    for (const char *p = text; p && (p = strstr(p, name)) != NULL; p += strlen(name))
        if ((p == text || p[-1] == '\n') && p[strlen(name)] == ' ')
            v = atol(p + strlen(name) + 1);
    free(text);
    return v;
}

#define THREADS 16
#define PER_THREAD 10
#define CLASH 5   /* the value inserted beforehand: its statement conflicts */
#define BROKEN 13 /* the statement that fails with an error */

typedef struct {
    bl_gc *gc;
    int t;
    pthread_barrier_t *start;
    bp_db_result results[PER_THREAD];
    int rows[PER_THREAD];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    char key[16];
    snprintf(key, sizeof key, "k%02d", w->t);
    pthread_barrier_wait(w->start);
    for (int i = 0; i < PER_THREAD; i++) {
        int v = w->t * PER_THREAD + i;
        char text[16];
        snprintf(text, sizeof text, "%d", v);
        const char *params[] = {key, text};
        w->results[i] = bl_gc_run(w->gc, key, v == BROKEN ? &broken_stmt : &insert_stmt,
                                  v == BROKEN ? params + 1 : params, &w->rows[i]);
    }
    return NULL;
}

/* 16 threads × 10 statements through one committer: fewer transactions than
 * statements; the clash and the error fail alone; every other row is there once,
 * in each key's order. */
static void test_batches_fail_alone(void **state)
{
    run("TRUNCATE gc_rows");
    run("INSERT INTO gc_rows (k, v) VALUES ('before', 5)"); /* CLASH */
    bl_gc_config cfg = {.database_url = url, .committers = 1, .window_us = 2000, .max_batch = 64};
    bl_gc *gc = bl_gc_start(&cfg);
    assert_non_null(gc);
    long tx0 = metric("boissipay_group_commit_transactions_total");
    long st0 = metric("boissipay_group_commit_statements_total");
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    worker w[THREADS];
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        w[t] = (worker){.gc = gc, .t = t, .start = &start};
        pthread_create(&th[t], NULL, work, &w[t]);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    pthread_barrier_destroy(&start);
    bl_gc_stop(gc);
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++) {
            int v = t * PER_THREAD + i;
            if (v == CLASH)
                assert_int_equal(w[t].results[i], BP_DB_CONFLICT);
            else if (v == BROKEN)
                assert_int_equal(w[t].results[i], BP_DB_ERROR);
            else {
                assert_int_equal(w[t].results[i], BP_DB_OK);
                assert_int_equal(w[t].rows[i], 1);
            }
        }
    long statements = metric("boissipay_group_commit_statements_total") - st0;
    long transactions = metric("boissipay_group_commit_transactions_total") - tx0;
    printf("# %ld statements in %ld transactions\n", statements, transactions);
    assert_int_equal(statements, THREADS * PER_THREAD);
    assert_true(transactions < statements);
    assert_true(metric("boissipay_group_commit_reruns_total") >= 2);
    assert_int_equal(bpt_sql_long(url, "SELECT count(*) FROM gc_rows"),
                     1 + THREADS * PER_THREAD - 2);
    assert_int_equal(bpt_sql_long(url, "SELECT count(DISTINCT v) FROM gc_rows"),
                     1 + THREADS * PER_THREAD - 2);
    /* Per key, rows were committed in the order they were submitted. */
    assert_int_equal(bpt_sql_long(url, "SELECT count(*) FROM (SELECT v, lag(v) OVER"
                                       " (PARTITION BY k ORDER BY seq) AS prev FROM gc_rows) x"
                                       " WHERE prev > v"),
                     0);
}

/* A lone statement commits at once: 20 in a row take nowhere near 20 windows. */
static void test_lone_statement_does_not_wait(void **state)
{
    run("TRUNCATE gc_rows");
    bl_gc_config cfg = {.database_url = url, .committers = 2, .window_us = 200000, .max_batch = 64};
    bl_gc *gc = bl_gc_start(&cfg);
    assert_non_null(gc);
    long long t0 = bpt_now_ms();
    for (int i = 0; i < 20; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", 1000 + i);
        const char *params[] = {"lone", v};
        int rows = 0;
        assert_int_equal(bl_gc_run(gc, "lone", &insert_stmt, params, &rows), BP_DB_OK);
        assert_int_equal(rows, 1);
    }
    long long ms = bpt_now_ms() - t0;
    bl_gc_stop(gc);
    printf("# 20 lone statements in %lld ms (a window each would be 4000 ms)\n", ms);
    assert_true(ms < 2000);
    assert_int_equal(bpt_sql_long(url, "SELECT count(*) FROM gc_rows"), 20);
}

/* The server kills the committer's connection while it is idle: the next batch
 * runs on a new one, once, and commits. */
static void test_connection_killed(void **state)
{
    run("TRUNCATE gc_rows");
    bl_gc_config cfg = {.database_url = url, .committers = 1, .window_us = 0, .max_batch = 64};
    bl_gc *gc = bl_gc_start(&cfg);
    assert_non_null(gc);
    int rows = 0;
    const char *first[] = {"kill", "2001"};
    assert_int_equal(bl_gc_run(gc, "kill", &insert_stmt, first, &rows), BP_DB_OK);
    run("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()");
    bpt_sleep_ms(200);
    const char *second[] = {"kill", "2002"};
    assert_int_equal(bl_gc_run(gc, "kill", &insert_stmt, second, &rows), BP_DB_OK);
    assert_int_equal(rows, 1);
    bl_gc_stop(gc);
    assert_int_equal(bpt_sql_long(url, "SELECT count(*) FROM gc_rows WHERE k = 'kill'"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batches_fail_alone),
        cmocka_unit_test(test_lone_statement_does_not_wait),
        cmocka_unit_test(test_connection_killed),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
