/* Tests for src/core/pool.c: every index runs exactly once, uneven tasks, nested runs
 * execute inline, many runs in a row, concurrent callers, and the default pool. */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

typedef struct hits {
    atomic_int *counts;
    cairn_pool *pool;
    atomic_int nested;
} hits;

static void count_task(void *arg, size_t i)
{
    hits *h = arg;
    atomic_fetch_add(&h->counts[i], 1);
    if (i % 97 == 0) usleep(200); /* uneven */
}

static void test_each_index_once(void **state)
{
    (void)state;
    cairn_pool *pool;
    assert_int_equal(cairn_pool_create(3, &pool), 0);
    assert_int_equal(cairn_pool_threads(pool), 3);
    enum { N = 5000 };
    static atomic_int counts[N];
    hits h = {counts, pool, 0};
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < N; i++) atomic_store(&counts[i], 0);
        cairn_pool_run(pool, N, count_task, &h);
        for (int i = 0; i < N; i++) assert_int_equal(atomic_load(&counts[i]), 1);
    }
    cairn_pool_run(pool, 0, count_task, &h); /* nothing */
    cairn_pool_free(pool);
}

static void nested_task(void *arg, size_t i)
{
    hits *h = arg;
    (void)i;
    hits inner = {h->counts, NULL, 0};
    (void)inner;
    cairn_pool_run(h->pool, 4, count_task, h); /* runs inline, no deadlock */
    atomic_fetch_add(&h->nested, 1);
}

static void test_nested_runs_inline(void **state)
{
    (void)state;
    cairn_pool *pool;
    assert_int_equal(cairn_pool_create(2, &pool), 0);
    static atomic_int counts[4];
    hits h = {counts, pool, 0};
    cairn_pool_run(pool, 10, nested_task, &h);
    assert_int_equal(atomic_load(&h.nested), 10);
    for (int i = 0; i < 4; i++) assert_int_equal(atomic_load(&counts[i]), 10);
    cairn_pool_free(pool);
}

static void *caller(void *p)
{
    hits *h = p;
    for (int r = 0; r < 50; r++) cairn_pool_run(h->pool, 100, count_task, h);
    return NULL;
}

static void test_concurrent_callers(void **state)
{
    (void)state;
    cairn_pool *pool;
    assert_int_equal(cairn_pool_create(2, &pool), 0);
    static atomic_int counts[100];
    hits h = {counts, pool, 0};
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, caller, &h);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < 100; i++) assert_int_equal(atomic_load(&counts[i]), 150);
    cairn_pool_free(pool);
    assert_non_null(cairn_pool_default());
    assert_true(cairn_cpu_count() >= 1);
}

static void touch_task(void *arg, size_t i)
{
    int *job = arg;
    job[i] += 1;
}

/* A worker waking late must not run the previous run's task on the next run's indices:
 * each run's argument is freed right after the run, so ASan catches a stale worker. */
static void test_late_worker_does_not_reuse_old_job(void **state)
{
    (void)state;
    cairn_pool *pool;
    assert_int_equal(cairn_pool_create(2, &pool), 0);
    for (int round = 0; round < 20000; round++) {
        int *job = cairn_calloc(2, sizeof *job);
        assert_non_null(job);
        cairn_pool_run(pool, 2, touch_task, job);
        assert_int_equal(job[0] + job[1], 2);
        cairn_free(job);
    }
    cairn_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_index_once),
        cmocka_unit_test(test_nested_runs_inline),
        cmocka_unit_test(test_concurrent_callers),
        cmocka_unit_test(test_late_worker_does_not_reuse_old_job),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
