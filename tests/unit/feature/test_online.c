/* tests/unit/feature/test_online.c: the online store (src/feature/online.c, online_lmdb.c,
 * online_redis.c). One suite of cases runs twice, against LMDB in a temporary directory and
 * against a real redis-server that the suite starts on a random loopback port (and kills at
 * the end; without redis-server installed the Redis group fails: scripts/setup installs it).
 * Then the cases of one backend only (LMDB: concurrent readers, reopening, a full map;
 * Redis: the key layout, a flushed script cache, a killed connection) and the URL and
 * argument errors, which need no server.
 */
#include "testutil.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "feature/online_internal.h"

/* ------------------------------------------------------------------------------------------
 * Fixtures: the backend under test, a fresh store per case
 * ---------------------------------------------------------------------------------------- */

static char lmdb_root[4096];
static int lmdb_serial;
static pid_t redis_pid;
static int redis_port;
static bool testing_redis;

typedef struct fixture {
    char url[4200];
    cairn_online *store;
} fixture;

static redisContext *redis_direct(void)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", redis_port, tv);
    if (!c || c->err) {
        if (c) redisFree(c);
        return NULL;
    }
    return c;
}

static void redis_direct_command(const char *cmd)
{
    redisContext *c = redis_direct();
    assert_non_null(c);
    redisReply *r = redisCommand(c, cmd);
    assert_non_null(r);
    assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
    redisFree(c);
}

static bool redis_answers(void)
{
    redisContext *c = redis_direct();
    if (!c) return false;
    redisReply *r = redisCommand(c, "PING");
    bool ok = r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG");
    if (r) freeReplyObject(r);
    redisFree(c);
    return ok;
}

/* Starts redis-server on a random high port; true once it answers PING. */
static bool redis_start_on(int port, bool *missing)
{
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* no orphaned server if the test crashes */
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execlp("redis-server", "redis-server", "--port", port_text, "--bind", "127.0.0.1", "--save",
               "", "--appendonly", "no", (char *)NULL);
        _exit(127);
    }
    redis_pid = pid;
    redis_port = port;
    for (int i = 0; i < 500; i++) { /* 5 s */
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            *missing = WIFEXITED(status) && WEXITSTATUS(status) == 127;
            redis_pid = 0;
            return false;
        }
        if (redis_answers()) return true;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    redis_pid = 0;
    return false;
}

static int redis_group_setup(void **state)
{
    srand((unsigned)(getpid() ^ time(NULL)));
    for (int attempt = 0; attempt < 8; attempt++) {
        bool missing = false;
        if (redis_start_on(20000 + rand() % 40000, &missing)) {
            testing_redis = true;
            return 0;
        }
        if (missing) {
            print_error("redis-server is not installed (scripts/setup installs it)\n");
            return -1;
        }
    }
    print_error("could not start redis-server on a loopback port\n");
    return -1;
}

static int redis_group_teardown(void **state)
{
    if (redis_pid > 0) {
        kill(redis_pid, SIGTERM);
        waitpid(redis_pid, NULL, 0);
    }
    redis_pid = 0;
    testing_redis = false;
    return 0;
}

static int lmdb_group_setup(void **state)
{
    snprintf(lmdb_root, sizeof lmdb_root, "%s", cairn_test_tmpdir("online"));
    testing_redis = false;
    return 0;
}

static int lmdb_group_teardown(void **state)
{
    cairn_test_rmtree(lmdb_root);
    return 0;
}

static int store_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    if (testing_redis) {
        redis_direct_command("FLUSHALL");
        snprintf(f->url, sizeof f->url, "redis://127.0.0.1:%d", redis_port);
    } else {
        snprintf(f->url, sizeof f->url, "lmdb:%s/store%d", lmdb_root, ++lmdb_serial);
    }
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_online_open(f->url, &f->store, &e), &e);
    assert_string_equal(cairn_online_backend(f->store), testing_redis ? "redis" : "lmdb");
    *state = f;
    return 0;
}

static int store_teardown(void **state)
{
    fixture *f = *state;
    cairn_online_close(f->store);
    free(f);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------------------------- */

static cairn_online_row row_of(const void *key, size_t key_len, int64_t event_us,
                               int64_t created_us, const void *value, size_t value_len)
{
    return (cairn_online_row){key, key_len, event_us, created_us, value, value_len};
}

static int64_t put1(cairn_online *store, const char *view, const char *key, int64_t event_us,
                    int64_t created_us, const char *value)
{
    cairn_online_row row = row_of(key, strlen(key), event_us, created_us, value, strlen(value));
    int64_t written = -1;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_online_put(store, view, &row, 1, &written, &e), &e);
    return written;
}

/* The stored value of key as a string ("<missing>" when absent), with its times. */
static const char *get1(cairn_online *store, const char *view, const char *key, int64_t *event_us,
                        int64_t *created_us)
{
    static char text[256];
    const void *keys[] = {key};
    size_t lens[] = {strlen(key)};
    cairn_online_value v;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_online_get(store, view, keys, lens, 1, &v, &e), &e);
    if (!v.found) {
        assert_null(v.value);
        return "<missing>";
    }
    snprintf(text, sizeof text, "%.*s", (int)v.value_len, (const char *)v.value);
    if (event_us) *event_us = v.event_us;
    if (created_us) *created_us = v.created_us;
    cairn_online_values_release(&v, 1);
    return text;
}

/* ------------------------------------------------------------------------------------------
 * The shared cases
 * ---------------------------------------------------------------------------------------- */

static void test_round_trip_binary(void **state)
{
    fixture *f = *state;
    static const char k1[] = {'a', 0, 'b'}, k2[] = {'a', 0, 'c'}, k3[] = {0};
    static const char v1[] = {0, 1, 0, 2, (char)0xff}, v2[] = {'x', 0};
    cairn_online_row rows[] = {
        row_of(k1, sizeof k1, 1000, 7, v1, sizeof v1),
        row_of(k2, sizeof k2, -5, 0, v2, sizeof v2),
        row_of(k3, sizeof k3, INT64_MAX, INT64_MIN, "z", 1),
        row_of("", 0, 1, 1, "empty key", 9),
    };
    int64_t written = 0;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_online_put(f->store, "drivers", rows, 4, &written, &e), &e);
    assert_int_equal(written, 4);

    const void *keys[] = {k2, k1, k3, "", "a"};
    size_t lens[] = {sizeof k2, sizeof k1, sizeof k3, 0, 1};
    cairn_online_value out[5];
    CAIRN_ASSERT_OK(cairn_online_get(f->store, "drivers", keys, lens, 5, out, &e), &e);
    assert_true(out[0].found && out[1].found && out[2].found && out[3].found);
    assert_false(out[4].found);
    assert_int_equal(out[0].value_len, sizeof v2);
    assert_memory_equal(out[0].value, v2, sizeof v2);
    assert_int_equal(out[0].event_us, -5);
    assert_int_equal(out[1].value_len, sizeof v1);
    assert_memory_equal(out[1].value, v1, sizeof v1);
    assert_int_equal(out[1].event_us, 1000);
    assert_int_equal(out[1].created_us, 7);
    assert_int_equal(out[2].event_us, INT64_MAX);
    assert_int_equal(out[2].created_us, INT64_MIN);
    assert_memory_equal(out[3].value, "empty key", 9);
    cairn_online_values_release(out, 5);
    assert_null(out[0].value);
}

static void test_missing_keys(void **state)
{
    fixture *f = *state;
    assert_string_equal(get1(f->store, "v", "nobody", NULL, NULL), "<missing>");
    put1(f->store, "v", "somebody", 1, 0, "x");
    const void *keys[] = {"nobody", "somebody", "somebody2"};
    size_t lens[] = {6, 8, 9};
    cairn_online_value out[3];
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_online_get(f->store, "v", keys, lens, 3, out, &e), &e);
    assert_false(out[0].found);
    assert_true(out[1].found);
    assert_false(out[2].found);
    assert_null(out[2].value);
    assert_int_equal(out[2].value_len, 0);
    cairn_online_values_release(out, 3);
    /* n = 0 is a no-op */
    CAIRN_ASSERT_OK(cairn_online_get(f->store, "v", NULL, NULL, 0, NULL, &e), &e);
}

static void test_older_never_overwrites(void **state)
{
    fixture *f = *state;
    int64_t ev = 0, cr = 0;
    assert_int_equal(put1(f->store, "v", "k", 200, 0, "new"), 1);
    assert_int_equal(put1(f->store, "v", "k", 100, 99, "old"), 0);
    assert_string_equal(get1(f->store, "v", "k", &ev, &cr), "new");
    assert_int_equal(ev, 200);
    assert_int_equal(cr, 0);
    assert_int_equal(put1(f->store, "v", "k", 201, 0, "newer"), 1);
    assert_string_equal(get1(f->store, "v", "k", NULL, NULL), "newer");

    /* negative times, and times that a double cannot tell apart (2^53 + 1 vs 2^53) */
    assert_int_equal(put1(f->store, "v", "neg", -5, 0, "a"), 1);
    assert_int_equal(put1(f->store, "v", "neg", -10, 0, "b"), 0);
    assert_int_equal(put1(f->store, "v", "neg", -4, 0, "c"), 1);
    assert_string_equal(get1(f->store, "v", "neg", NULL, NULL), "c");
    int64_t big = (int64_t)1 << 53;
    assert_int_equal(put1(f->store, "v", "big", big + 1, 0, "a"), 1);
    assert_int_equal(put1(f->store, "v", "big", big, 0, "b"), 0);
    assert_int_equal(put1(f->store, "v", "big", big + 1, 0, "c"), 0);
    assert_int_equal(put1(f->store, "v", "big", big + 1, 1, "d"), 1);
    assert_int_equal(put1(f->store, "v", "big", INT64_MAX, INT64_MIN, "e"), 1);
    assert_int_equal(put1(f->store, "v", "big", INT64_MAX - 1, INT64_MAX, "f"), 0);
    assert_string_equal(get1(f->store, "v", "big", NULL, NULL), "e");

    /* within one put: the rows are applied in order, each against what is stored */
    cairn_online_row rows[] = {
        row_of("d", 1, 10, 0, "1", 1),
        row_of("d", 1, 30, 0, "3", 1),
        row_of("d", 1, 20, 0, "2", 1),
    };
    int64_t written = 0;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_online_put(f->store, "v", rows, 3, &written, &e), &e);
    assert_int_equal(written, 2);
    assert_string_equal(get1(f->store, "v", "d", &ev, NULL), "3");
    assert_int_equal(ev, 30);
}

static void test_equal_event_later_created_overwrites(void **state)
{
    fixture *f = *state;
    int64_t cr = 0;
    assert_int_equal(put1(f->store, "v", "k", 100, 1, "a"), 1);
    assert_int_equal(put1(f->store, "v", "k", 100, 2, "b"), 1);
    assert_string_equal(get1(f->store, "v", "k", NULL, &cr), "b");
    assert_int_equal(cr, 2);
    assert_int_equal(put1(f->store, "v", "k", 100, 1, "c"), 0);
    assert_string_equal(get1(f->store, "v", "k", NULL, NULL), "b");
}

static void test_equal_both_does_not_overwrite(void **state)
{
    fixture *f = *state;
    assert_int_equal(put1(f->store, "v", "k", 100, 2, "b"), 1);
    assert_int_equal(put1(f->store, "v", "k", 100, 2, "c"), 0);
    assert_string_equal(get1(f->store, "v", "k", NULL, NULL), "b");
}

static void test_many_keys(void **state)
{
    fixture *f = *state;
    enum { N = 10000 };
    cairn_online_row *rows = calloc(N, sizeof *rows);
    char(*keys)[16] = calloc(N + 1, sizeof *keys);
    char(*values)[40] = calloc(N, sizeof *values);
    const void **key_ptrs = calloc(N + 1, sizeof *key_ptrs);
    size_t *lens = calloc(N + 1, sizeof *lens);
    cairn_online_value *out = calloc(N + 1, sizeof *out);
    assert_true(rows && keys && values && key_ptrs && lens && out);
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "entity-%d", i);
        int len = snprintf(values[i], sizeof values[i], "value %d %.*s", i, i % 20,
                           "abcdefghijklmnopqrstuvwxyz");
        rows[i] = row_of(keys[i], strlen(keys[i]), 1000 + i, i, values[i], (size_t)len);
        key_ptrs[N - 1 - i] = keys[i]; /* reversed, so order does not help */
        lens[N - 1 - i] = strlen(keys[i]);
    }
    key_ptrs[N] = "entity-x";
    lens[N] = 8;
    int64_t written = 0;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_online_put(f->store, "big_view", rows, N, &written, &e), &e);
    assert_int_equal(written, N);
    CAIRN_ASSERT_OK(cairn_online_get(f->store, "big_view", key_ptrs, lens, N + 1, out, &e), &e);
    for (int i = 0; i < N; i++) {
        const cairn_online_value *v = &out[N - 1 - i];
        assert_true(v->found);
        assert_int_equal(v->event_us, 1000 + i);
        assert_int_equal(v->created_us, i);
        assert_int_equal(v->value_len, rows[i].value_len);
        assert_memory_equal(v->value, values[i], v->value_len);
    }
    assert_false(out[N].found);
    cairn_online_values_release(out, N + 1);
    /* the same rows again: nothing is newer */
    CAIRN_ASSERT_OK(cairn_online_put(f->store, "big_view", rows, N, &written, &e), &e);
    assert_int_equal(written, 0);
    free(rows);
    free(keys);
    free(values);
    free(key_ptrs);
    free(lens);
    free(out);
}

static void test_clear(void **state)
{
    fixture *f = *state;
    /* "a" against "ab" (a key prefix in LMDB), "v*" against "vx" (a glob in Redis) */
    const char *views[] = {"a", "ab", "v*", "vx", "[v]"};
    for (size_t i = 0; i < 5; i++) {
        cairn_online_row rows[300];
        char keys[300][8];
        for (int k = 0; k < 300; k++) {
            snprintf(keys[k], sizeof keys[k], "k%d", k);
            rows[k] = row_of(keys[k], strlen(keys[k]), 1, 0, views[i], strlen(views[i]));
        }
        int64_t written = 0;
        cairn_error e;
        CAIRN_ASSERT_OK(cairn_online_put(f->store, views[i], rows, 300, &written, &e), &e);
        assert_int_equal(written, 300);
    }
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_online_clear(f->store, "a", &e), &e);
    CAIRN_ASSERT_OK(cairn_online_clear(f->store, "v*", &e), &e);
    CAIRN_ASSERT_OK(cairn_online_clear(f->store, "nothing_here", &e), &e);
    assert_string_equal(get1(f->store, "a", "k0", NULL, NULL), "<missing>");
    assert_string_equal(get1(f->store, "a", "k299", NULL, NULL), "<missing>");
    assert_string_equal(get1(f->store, "v*", "k7", NULL, NULL), "<missing>");
    assert_string_equal(get1(f->store, "ab", "k0", NULL, NULL), "ab");
    assert_string_equal(get1(f->store, "ab", "k299", NULL, NULL), "ab");
    assert_string_equal(get1(f->store, "vx", "k7", NULL, NULL), "vx");
    assert_string_equal(get1(f->store, "[v]", "k7", NULL, NULL), "[v]");
    /* after a clear, any time may be written again */
    assert_int_equal(put1(f->store, "a", "k0", -100, 0, "again"), 1);
    assert_string_equal(get1(f->store, "a", "k0", NULL, NULL), "again");
}

static void test_views_are_independent(void **state)
{
    fixture *f = *state;
    assert_int_equal(put1(f->store, "x", "k", 100, 0, "in x"), 1);
    assert_int_equal(put1(f->store, "y", "k", 50, 0, "in y"), 1);
    assert_string_equal(get1(f->store, "x", "k", NULL, NULL), "in x");
    assert_string_equal(get1(f->store, "y", "k", NULL, NULL), "in y");
    assert_string_equal(get1(f->store, "z", "k", NULL, NULL), "<missing>");
    assert_int_equal(put1(f->store, "y", "k", 60, 0, "y2"), 1);
    assert_string_equal(get1(f->store, "x", "k", NULL, NULL), "in x");
}

static void test_empty_value(void **state)
{
    fixture *f = *state;
    cairn_online_row row = row_of("k", 1, 5, 6, NULL, 0);
    int64_t written = 0;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_online_put(f->store, "v", &row, 1, &written, &e), &e);
    assert_int_equal(written, 1);
    const void *keys[] = {"k"};
    size_t lens[] = {1};
    cairn_online_value out;
    CAIRN_ASSERT_OK(cairn_online_get(f->store, "v", keys, lens, 1, &out, &e), &e);
    assert_true(out.found);
    assert_int_equal(out.value_len, 0);
    assert_non_null(out.value);
    assert_int_equal(out.event_us, 5);
    assert_int_equal(out.created_us, 6);
    cairn_online_values_release(&out, 1);
}

static void test_big_values(void **state)
{
    fixture *f = *state;
    enum { SIZE = 1 << 20, COUNT = 20 }; /* 20 MiB in one put: more than one Redis chunk */
    unsigned char *data = malloc((size_t)SIZE * COUNT);
    assert_non_null(data);
    uint32_t x = 12345;
    for (size_t i = 0; i < (size_t)SIZE * COUNT; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (unsigned char)(x >> 16);
    }
    cairn_online_row rows[COUNT];
    char keys[COUNT][8];
    const void *key_ptrs[COUNT];
    size_t lens[COUNT];
    for (int i = 0; i < COUNT; i++) {
        snprintf(keys[i], sizeof keys[i], "b%d", i);
        rows[i] = row_of(keys[i], strlen(keys[i]), 1, 0, data + (size_t)i * SIZE, SIZE);
        key_ptrs[i] = keys[i];
        lens[i] = strlen(keys[i]);
    }
    int64_t written = 0;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_online_put(f->store, "blobs", rows, COUNT, &written, &e), &e);
    assert_int_equal(written, COUNT);
    cairn_online_value out[COUNT];
    CAIRN_ASSERT_OK(cairn_online_get(f->store, "blobs", key_ptrs, lens, COUNT, out, &e), &e);
    for (int i = 0; i < COUNT; i++) {
        assert_true(out[i].found);
        assert_int_equal(out[i].value_len, SIZE);
        assert_memory_equal(out[i].value, data + (size_t)i * SIZE, SIZE);
    }
    cairn_online_values_release(out, COUNT);
    free(data);
}

static void test_bad_arguments(void **state)
{
    fixture *f = *state;
    cairn_error e;
    cairn_online_row row = row_of("k", 1, 1, 0, "v", 1);
    int64_t written = 7;
    assert_int_equal(cairn_online_put(f->store, "a:b", &row, 1, &written, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "':'"));
    assert_int_equal(written, 0);
    assert_int_equal(cairn_online_put(f->store, "", &row, 1, &written, &e), CAIRN_EINVAL);
    assert_int_equal(cairn_online_put(f->store, "a b", &row, 1, &written, &e), CAIRN_EINVAL);
    char long_view[200];
    memset(long_view, 'v', sizeof long_view - 1);
    long_view[sizeof long_view - 1] = '\0';
    assert_int_equal(cairn_online_clear(f->store, long_view, &e), CAIRN_EINVAL);
    char long_key[CAIRN__ONLINE_MAX_KEY + 1] = {0};
    cairn_online_row rows[] = {row, row_of(long_key, sizeof long_key, 1, 0, "v", 1)};
    assert_int_equal(cairn_online_put(f->store, "v", rows, 2, &written, &e), CAIRN_ELIMIT);
    assert_non_null(strstr(e.message, "entity key 1 is 257 bytes"));
    /* nothing of a refused put is stored */
    assert_string_equal(get1(f->store, "v", "k", NULL, NULL), "<missing>");
    const void *keys[] = {long_key};
    size_t lens[] = {sizeof long_key};
    cairn_online_value out;
    assert_int_equal(cairn_online_get(f->store, "v", keys, lens, 1, &out, &e), CAIRN_ELIMIT);
    assert_false(out.found);
    /* the longest key and view that are allowed */
    memset(long_view, 'v', CAIRN__ONLINE_MAX_VIEW);
    long_view[CAIRN__ONLINE_MAX_VIEW] = '\0';
    memset(long_key, 0xab, CAIRN__ONLINE_MAX_KEY);
    rows[1].key_len = CAIRN__ONLINE_MAX_KEY;
    CAIRN_ASSERT_OK(cairn_online_put(f->store, long_view, &rows[1], 1, &written, &e), &e);
    assert_int_equal(written, 1);
    lens[0] = CAIRN__ONLINE_MAX_KEY;
    CAIRN_ASSERT_OK(cairn_online_get(f->store, long_view, keys, lens, 1, &out, &e), &e);
    assert_true(out.found);
    cairn_online_values_release(&out, 1);
}

/* One round of every call on a fresh handle; the first failure's code. */
static int run_all_calls(const char *url)
{
    cairn_online *store = NULL;
    cairn_error e;
    int rc = cairn_online_open(url, &store, &e);
    if (rc) return rc;
    static const char big[3000];
    cairn_online_row rows[] = {
        row_of("a", 1, 1, 0, "x", 1),
        row_of("b", 1, 1, 0, big, sizeof big),
    };
    const void *keys[] = {"a", "b", "c"};
    size_t lens[] = {1, 1, 1};
    cairn_online_value out[3];
    int64_t written = 0;
    if (!rc) rc = cairn_online_clear(store, "t", &e);
    if (!rc) rc = cairn_online_put(store, "t", rows, 2, &written, &e);
    if (!rc) rc = cairn_online_get(store, "t", keys, lens, 3, out, &e);
    if (!rc) {
        assert_true(out[0].found && out[1].found && !out[2].found);
        assert_int_equal(out[1].value_len, sizeof big);
        cairn_online_values_release(out, 3);
    }
    if (!rc) rc = cairn_online_clear(store, "t", &e);
    cairn_online_close(store);
    return rc;
}

/* Fails each of Cairn's allocations in turn: every failure is CAIRN_ENOMEM and leaks nothing
 * (hiredis and LMDB allocate through the C library, out of reach of the hook). */
static void test_alloc_failures(void **state)
{
    fixture *f = *state;
    char url[4300];
    snprintf(url, sizeof url, "%s%s", f->url, testing_redis ? "" : "-alloc");
    cairn_testalloc_install();
    for (int64_t nth = 1;; nth++) {
        cairn_testalloc_fail_at(nth, false);
        int rc = run_all_calls(url);
        cairn_testalloc_fail_at(0, false);
        assert_int_equal(cairn_testalloc_live_blocks(), 0);
        if (!rc) break;
        assert_int_equal(rc, CAIRN_ENOMEM);
        assert_true(nth < 100);
    }
    cairn_testalloc_uninstall();
}

/* ------------------------------------------------------------------------------------------
 * LMDB only
 * ---------------------------------------------------------------------------------------- */

enum { RACE_KEYS = 64, RACE_VALUE = 64, RACE_ROUNDS = 300, RACE_READERS = 4 };

typedef struct race {
    cairn_online *store;
    volatile bool done;
    int64_t reads, failures;
} race;

/* A value stamped by its event: every byte equals event % 251. */
static void race_value(unsigned char *v, int64_t event_us)
{
    memset(v, (int)(event_us % 251), RACE_VALUE);
}

static void *race_reader(void *arg)
{
    race *r = arg;
    char keys[RACE_KEYS][8];
    const void *key_ptrs[RACE_KEYS];
    size_t lens[RACE_KEYS];
    int64_t last[RACE_KEYS] = {0};
    for (int i = 0; i < RACE_KEYS; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        key_ptrs[i] = keys[i];
        lens[i] = strlen(keys[i]);
    }
    while (!r->done) {
        cairn_online_value out[RACE_KEYS];
        cairn_error e;
        if (cairn_online_get(r->store, "race", key_ptrs, lens, RACE_KEYS, out, &e)) {
            __atomic_add_fetch(&r->failures, 1, __ATOMIC_RELAXED);
            continue;
        }
        int64_t round = -1;
        for (int i = 0; i < RACE_KEYS; i++) {
            unsigned char want[RACE_VALUE];
            if (!out[i].found) continue;
            race_value(want, out[i].event_us);
            bool ok = out[i].value_len == RACE_VALUE && !memcmp(out[i].value, want, RACE_VALUE) &&
                      out[i].event_us >= last[i];
            /* one put writes every key: a snapshot sees all keys at the same round */
            if (round < 0) round = out[i].event_us;
            ok = ok && out[i].event_us == round;
            if (!ok) __atomic_add_fetch(&r->failures, 1, __ATOMIC_RELAXED);
            last[i] = out[i].event_us;
        }
        cairn_online_values_release(out, RACE_KEYS);
        __atomic_add_fetch(&r->reads, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void test_lmdb_concurrent_readers(void **state)
{
    fixture *f = *state;
    race r = {.store = f->store};
    pthread_t readers[RACE_READERS];
    for (int i = 0; i < RACE_READERS; i++)
        assert_int_equal(pthread_create(&readers[i], NULL, race_reader, &r), 0);
    char keys[RACE_KEYS][8];
    unsigned char values[RACE_KEYS][RACE_VALUE];
    cairn_online_row rows[RACE_KEYS];
    for (int round = 1; round <= RACE_ROUNDS; round++) {
        for (int i = 0; i < RACE_KEYS; i++) {
            snprintf(keys[i], sizeof keys[i], "k%d", i);
            race_value(values[i], round);
            rows[i] = row_of(keys[i], strlen(keys[i]), round, 0, values[i], RACE_VALUE);
        }
        int64_t written = 0;
        cairn_error e;
        CAIRN_ASSERT_OK(cairn_online_put(f->store, "race", rows, RACE_KEYS, &written, &e), &e);
        assert_int_equal(written, RACE_KEYS);
    }
    r.done = true;
    for (int i = 0; i < RACE_READERS; i++)
        pthread_join(readers[i], NULL);
    assert_int_equal(r.failures, 0);
    assert_true(r.reads > 0);
}

static void test_lmdb_reopen(void **state)
{
    fixture *f = *state;
    assert_int_equal(put1(f->store, "v", "k", 10, 0, "persisted"), 1);
    /* a second handle on the same directory shares the environment */
    cairn_online *second = NULL;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_online_open(f->url, &second, &e), &e);
    assert_string_equal(get1(second, "v", "k", NULL, NULL), "persisted");
    cairn_online_close(f->store);
    assert_int_equal(put1(second, "v", "k2", 10, 0, "also"), 1);
    cairn_online_close(second);
    CAIRN_ASSERT_OK(cairn_online_open(f->url, &f->store, &e), &e);
    assert_string_equal(get1(f->store, "v", "k", NULL, NULL), "persisted");
    assert_string_equal(get1(f->store, "v", "k2", NULL, NULL), "also");
    assert_int_equal(put1(f->store, "v", "k", 9, 0, "older"), 0);
}

static void test_lmdb_map_full(void **state)
{
    (void)state;
    char url[4200];
    snprintf(url, sizeof url, "lmdb:%s/small", lmdb_root);
    cairn__online_lmdb_set_map_size((size_t)1 << 20);
    cairn_online *store = NULL;
    cairn_error e;
    int rc = cairn_online_open(url, &store, &e);
    cairn__online_lmdb_set_map_size(0);
    CAIRN_ASSERT_OK(rc, &e);
    assert_int_equal(put1(store, "v", "small", 1, 0, "fits"), 1);
    static unsigned char blob[1 << 19];
    cairn_online_row rows[4];
    for (int i = 0; i < 4; i++)
        rows[i] = row_of(&"abcd"[i], 1, 1, 0, blob, sizeof blob);
    int64_t written = 0;
    assert_int_equal(cairn_online_put(store, "v", rows, 4, &written, &e), CAIRN_ELIMIT);
    assert_non_null(strstr(e.message, "is full"));
    assert_non_null(strstr(e.message, "MDB_MAP_FULL"));
    assert_int_equal(written, 0);
    /* the store is still usable and holds what it held */
    assert_string_equal(get1(store, "v", "small", NULL, NULL), "fits");
    assert_string_equal(get1(store, "v", "a", NULL, NULL), "<missing>");
    cairn_online_close(store);
}

static void test_lmdb_url_errors(void **state)
{
    (void)state;
    cairn_online *store = (cairn_online *)1;
    cairn_error e;
    assert_int_equal(cairn_online_open("lmdb:", &store, &e), CAIRN_EINVAL);
    assert_null(store);
    assert_non_null(strstr(e.message, "missing the directory"));
    char url[4200];
    snprintf(url, sizeof url, "lmdb:%s/file", lmdb_root);
    cairn_test_write_file(url + 5, "x", 1);
    assert_int_not_equal(cairn_online_open(url, &store, &e), 0);
    assert_null(store);
}

/* ------------------------------------------------------------------------------------------
 * Redis only
 * ---------------------------------------------------------------------------------------- */

static void test_redis_layout(void **state)
{
    fixture *f = *state;
    static const char key[] = {'k', 0, 'z'};
    cairn_online_row row = row_of(key, sizeof key, -42, 7, "val", 3);
    int64_t written = 0;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_online_put(f->store, "drivers", &row, 1, &written, &e), &e);
    redisContext *c = redis_direct();
    assert_non_null(c);
    redisReply *r = redisCommand(c, "HGETALL %b", "cairn:drivers:k\0z", (size_t)17);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 6);
    for (size_t i = 0; i < 6; i += 2) {
        const char *field = r->element[i]->str, *value = r->element[i + 1]->str;
        if (!strcmp(field, "v"))
            assert_string_equal(value, "val");
        else if (!strcmp(field, "e"))
            assert_string_equal(value, "-42");
        else if (!strcmp(field, "c"))
            assert_string_equal(value, "7");
        else
            fail_msg("unexpected field %s", field);
    }
    freeReplyObject(r);
    redisFree(c);
}

static void test_redis_script_flushed(void **state)
{
    fixture *f = *state;
    assert_int_equal(put1(f->store, "v", "k", 1, 0, "a"), 1);
    redis_direct_command("SCRIPT FLUSH");
    /* EVALSHA answers NOSCRIPT; the rows go again with EVAL */
    assert_int_equal(put1(f->store, "v", "k", 2, 0, "b"), 1);
    assert_int_equal(put1(f->store, "v", "k", 1, 0, "c"), 0);
    assert_string_equal(get1(f->store, "v", "k", NULL, NULL), "b");
}

static void test_redis_reconnects(void **state)
{
    fixture *f = *state;
    assert_int_equal(put1(f->store, "v", "k", 1, 0, "a"), 1);
    redis_direct_command("CLIENT KILL TYPE normal SKIPME yes");
    cairn_online_row row = row_of("k", 1, 2, 0, "b", 1);
    int64_t written = 0;
    cairn_error e;
    int rc = cairn_online_put(f->store, "v", &row, 1, &written, &e);
    if (rc) { /* the dropped connection is reported once, naming the server */
        assert_int_equal(rc, CAIRN_EIO);
        char where[64];
        snprintf(where, sizeof where, "redis 127.0.0.1:%d: ", redis_port);
        assert_non_null(strstr(e.message, where));
        CAIRN_ASSERT_OK(cairn_online_put(f->store, "v", &row, 1, &written, &e), &e);
    }
    assert_string_equal(get1(f->store, "v", "k", NULL, NULL), "b");
}

static void test_redis_db(void **state)
{
    fixture *f = *state;
    char url[128];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/3", redis_port);
    cairn_online *other = NULL;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_online_open(url, &other, &e), &e);
    assert_int_equal(put1(f->store, "v", "k", 1, 0, "db0"), 1);
    assert_string_equal(get1(other, "v", "k", NULL, NULL), "<missing>");
    assert_int_equal(put1(other, "v", "k", 1, 0, "db3"), 1);
    assert_string_equal(get1(f->store, "v", "k", NULL, NULL), "db0");
    cairn_online_close(other);
    snprintf(url, sizeof url, "redis://127.0.0.1:%d/999", redis_port);
    assert_int_equal(cairn_online_open(url, &other, &e), CAIRN_EIO);
    assert_non_null(strstr(e.message, "SELECT"));
}

/* ------------------------------------------------------------------------------------------
 * No server needed: URLs and connection errors
 * ---------------------------------------------------------------------------------------- */

static void expect_url_error(const char *url, const char *part)
{
    cairn_online *store = (cairn_online *)1;
    cairn_error e;
    assert_int_equal(cairn_online_open(url, &store, &e), CAIRN_EINVAL);
    assert_null(store);
    if (!strstr(e.message, part)) fail_msg("%s: '%s' lacks '%s'", url, e.message, part);
}

static void test_url_errors(void **state)
{
    (void)state;
    expect_url_error("", "empty");
    expect_url_error("postgres://localhost/x", "unknown scheme");
    expect_url_error("lmdb", "unknown scheme");
    expect_url_error("redis://127.0.0.1:99999", "bad port '99999'");
    expect_url_error("redis://127.0.0.1:0", "bad port");
    expect_url_error("redis://127.0.0.1:", "bad port ''");
    expect_url_error("redis://127.0.0.1:63x9", "bad port '63x9'");
    expect_url_error("redis://:6379", "bad host");
    expect_url_error("redis://", "bad host");
    expect_url_error("redis://u:p@host:6379", "bad");
    expect_url_error("redis://h:1/x", "bad database 'x'");
    expect_url_error("redis://[::1:6379", "missing ']'");
    expect_url_error("redis://[::1]x", "unexpected 'x'");

    cairn__online_redis_url u;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn__online_redis_url_parse("redis://cache.local:7000/2", &u, &e), &e);
    assert_string_equal(u.host, "cache.local");
    assert_int_equal(u.port, 7000);
    assert_int_equal(u.db, 2);
    CAIRN_ASSERT_OK(cairn__online_redis_url_parse("redis://[::1]", &u, &e), &e);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 0);
}

static void test_connection_refused(void **state)
{
    (void)state;
    cairn_online *store = (cairn_online *)1;
    cairn_error e;
    assert_int_equal(cairn_online_open("redis://127.0.0.1:1", &store, &e), CAIRN_EIO);
    assert_null(store);
    assert_string_equal(e.message, "redis 127.0.0.1:1: connection refused");
}

#define SHARED_CASES                                                                               \
    cmocka_unit_test_setup_teardown(test_round_trip_binary, store_setup, store_teardown),          \
        cmocka_unit_test_setup_teardown(test_missing_keys, store_setup, store_teardown),           \
        cmocka_unit_test_setup_teardown(test_older_never_overwrites, store_setup, store_teardown), \
        cmocka_unit_test_setup_teardown(test_equal_event_later_created_overwrites, store_setup,    \
                                        store_teardown),                                           \
        cmocka_unit_test_setup_teardown(test_equal_both_does_not_overwrite, store_setup,           \
                                        store_teardown),                                           \
        cmocka_unit_test_setup_teardown(test_many_keys, store_setup, store_teardown),              \
        cmocka_unit_test_setup_teardown(test_clear, store_setup, store_teardown),                  \
        cmocka_unit_test_setup_teardown(test_views_are_independent, store_setup, store_teardown),  \
        cmocka_unit_test_setup_teardown(test_empty_value, store_setup, store_teardown),            \
        cmocka_unit_test_setup_teardown(test_big_values, store_setup, store_teardown),             \
        cmocka_unit_test_setup_teardown(test_bad_arguments, store_setup, store_teardown),          \
        cmocka_unit_test_setup_teardown(test_alloc_failures, store_setup, store_teardown)

int main(void)
{
    const struct CMUnitTest lmdb_tests[] = {
        SHARED_CASES,
        cmocka_unit_test_setup_teardown(test_lmdb_concurrent_readers, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_lmdb_reopen, store_setup, store_teardown),
        cmocka_unit_test(test_lmdb_map_full),
        cmocka_unit_test(test_lmdb_url_errors),
    };
    const struct CMUnitTest redis_tests[] = {
        SHARED_CASES,
        cmocka_unit_test_setup_teardown(test_redis_layout, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_redis_script_flushed, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_redis_reconnects, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_redis_db, store_setup, store_teardown),
    };
    const struct CMUnitTest common_tests[] = {
        cmocka_unit_test(test_url_errors),
        cmocka_unit_test(test_connection_refused),
    };
    int failed = cmocka_run_group_tests_name("online_lmdb", lmdb_tests, lmdb_group_setup,
                                             lmdb_group_teardown);
    failed += cmocka_run_group_tests_name("online_redis", redis_tests, redis_group_setup,
                                          redis_group_teardown);
    failed += cmocka_run_group_tests_name("online", common_tests, NULL, NULL);
    return failed;
}
