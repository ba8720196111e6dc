/* pool.c: the process's thread pool, a parallel-for over task indices.
 *
 * Workers sleep on a condition variable until a run publishes a job (fn, arg, count) under
 * a new generation number; every participant, the calling thread included, claims indices
 * with an atomic counter until none are left, so uneven tasks balance themselves. The caller
 * returns once the count of busy workers falls to zero, so every task has finished. Runs are
 * serialised by a mutex; a run started from inside a task executes inline (no deadlock).
 * The claim counter carries the run's generation in its high 32 bits: a worker that wakes
 * late, after its run has returned and the next one has begun, sees a different generation
 * and claims nothing, instead of running the old task on the new run's indices.
 * CAIRN_THREADS in the environment overrides the core count. The pool is process
 * infrastructure, not data: it allocates with the C library directly, so that installing or
 * removing the test allocator while the default pool lives is safe.
 * Tests: tests/unit/core/test_pool.c.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "cairn/core.h"

struct cairn_pool {
    int nthreads; /* participants, the caller included */
    pthread_t *workers;
    pthread_mutex_t lock;
    pthread_cond_t wake, idle;
    pthread_mutex_t run_lock;
    uint64_t generation;
    int busy;
    bool stop;
    cairn_task_fn fn;
    void *arg;
    size_t count;
    _Atomic uint64_t next; /* generation << 32 | next index */
};

static _Thread_local bool in_task;

static void claim_tasks(cairn_pool *pool, uint64_t generation, cairn_task_fn fn, void *arg,
                        size_t count)
{
    bool was = in_task;
    in_task = true;
    uint64_t tag = (generation & 0xffffffffu) << 32;
    uint64_t v = atomic_load(&pool->next);
    for (;;) {
        if ((v & ~(uint64_t)0xffffffffu) != tag) break; /* another run's counter */
        uint64_t i = v & 0xffffffffu;
        if (i >= count) break;
        if (!atomic_compare_exchange_weak(&pool->next, &v, v + 1)) continue;
        fn(arg, (size_t)i);
        v = atomic_load(&pool->next);
    }
    in_task = was;
}

static void *worker_main(void *p)
{
    cairn_pool *pool = p;
    uint64_t seen = 0;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (pool->generation == seen && !pool->stop) pthread_cond_wait(&pool->wake, &pool->lock);
        if (pool->stop) break;
        seen = pool->generation;
        cairn_task_fn fn = pool->fn;
        void *arg = pool->arg;
        size_t count = pool->count;
        pool->busy++;
        pthread_mutex_unlock(&pool->lock);
        claim_tasks(pool, seen, fn, arg, count);
        pthread_mutex_lock(&pool->lock);
        if (--pool->busy == 0) pthread_cond_signal(&pool->idle);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

int cairn_cpu_count(void)
{
    const char *env = getenv("CAIRN_THREADS");
    if (env && *env) {
        long v = strtol(env, NULL, 10);
        if (v > 0 && v <= 1024) return (int)v;
    }
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int cairn_pool_create(int threads, cairn_pool **out)
{
    *out = NULL;
    if (threads <= 0) threads = cairn_cpu_count();
    cairn_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return CAIRN_ENOMEM;
    pool->nthreads = threads;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_mutex_init(&pool->run_lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->idle, NULL);
    if (threads > 1) {
        pool->workers = calloc((size_t)threads - 1, sizeof(pthread_t));
        if (!pool->workers) {
            cairn_pool_free(pool);
            return CAIRN_ENOMEM;
        }
        for (int i = 0; i < threads - 1; i++) {
            if (pthread_create(&pool->workers[i], NULL, worker_main, pool) != 0) {
                pool->nthreads = i + 1; /* keep the ones that started */
                break;
            }
        }
    }
    *out = pool;
    return 0;
}

void cairn_pool_free(cairn_pool *pool)
{
    if (!pool) return;
    pthread_mutex_lock(&pool->lock);
    pool->stop = true;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    if (pool->workers)
        for (int i = 0; i < pool->nthreads - 1; i++) pthread_join(pool->workers[i], NULL);
    pthread_mutex_destroy(&pool->lock);
    pthread_mutex_destroy(&pool->run_lock);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->idle);
    free(pool->workers);
    free(pool);
}

int cairn_pool_threads(const cairn_pool *pool)
{
    return pool ? pool->nthreads : 1;
}

void cairn_pool_run(cairn_pool *pool, size_t count, cairn_task_fn fn, void *arg)
{
    if (count == 0) return;
    if (!pool || pool->nthreads <= 1 || count == 1 || in_task || count >= UINT32_MAX) {
        bool was = in_task;
        in_task = true;
        for (size_t i = 0; i < count; i++) fn(arg, i);
        in_task = was;
        return;
    }
    pthread_mutex_lock(&pool->run_lock);
    pthread_mutex_lock(&pool->lock);
    pool->fn = fn;
    pool->arg = arg;
    pool->count = count;
    pool->generation++;
    uint64_t generation = pool->generation;
    atomic_store(&pool->next, (generation & 0xffffffffu) << 32);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    claim_tasks(pool, generation, fn, arg, count);
    pthread_mutex_lock(&pool->lock);
    while (pool->busy > 0) pthread_cond_wait(&pool->idle, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
    pthread_mutex_unlock(&pool->run_lock);
}

static cairn_pool *default_pool;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void default_pool_free(void)
{
    cairn_pool_free(default_pool);
    default_pool = NULL;
}

static void default_pool_create(void)
{
    if (cairn_pool_create(0, &default_pool) == 0) atexit(default_pool_free);
}

cairn_pool *cairn_pool_default(void)
{
    pthread_once(&default_once, default_pool_create);
    return default_pool;
}
