/* bench/online_get.c: the online store's lookup latency (src/feature/online*.c), for
 * bench/w6_online.sh.
 *
 *   bench_online_get URL [--entities N] [--value-bytes B] [--gets G] [--batch K] [--no-load]
 *
 * Loads N entities (keys "user:%09d", B-byte values; puts of 10,000 rows) into the view
 * "bench" unless --no-load, then times G random lookups through cairn_online_get, K keys
 * per call (K = 1: one lookup per call, the serving case; K > 1: pipelined for Redis, one
 * read transaction for LMDB). Each call is timed alone (CLOCK_MONOTONIC), after 10,000
 * untimed warm-up lookups; every value returned is checked. Prints one JSON line: load
 * time, the per-call latency p50/p99/p99.9 in microseconds, per-lookup time (call / K) and
 * lookups per second over the whole timed loop.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairn/cairn.h"

#define KEY_LEN 14 /* "user:%09d" */
#define LOAD_BATCH 10000

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state; /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 2685821657736338717ull;
}

static void make_value(unsigned char *v, size_t len, int64_t id)
{
    for (size_t i = 0; i < len; i++)
        v[i] = (unsigned char)((uint64_t)id * 31 + i);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void die(const char *what, int rc, const cairn_error *e)
{
    char msg[1024];
    cairn_error_format(e, msg, sizeof msg);
    fprintf(stderr, "bench_online_get: %s: %s: %s\n", what, cairn_strerror(rc), msg);
    exit(1);
}

static double load(cairn_online *store, int64_t entities, size_t value_bytes)
{
    cairn_online_row *rows = calloc(LOAD_BATCH, sizeof *rows);
    char *keys = calloc(LOAD_BATCH, KEY_LEN + 1);
    unsigned char *values = calloc(LOAD_BATCH, value_bytes ? value_bytes : 1);
    if (!rows || !keys || !values) exit(1);
    cairn_error e;
    int64_t start = now_ns();
    int rc = cairn_online_clear(store, "bench", &e);
    if (rc) die("clear", rc, &e);
    for (int64_t from = 0; from < entities; from += LOAD_BATCH) {
        size_t n = (size_t)(entities - from < LOAD_BATCH ? entities - from : LOAD_BATCH);
        for (size_t i = 0; i < n; i++) {
            int64_t id = from + (int64_t)i;
            char *key = keys + i * (KEY_LEN + 1);
            snprintf(key, KEY_LEN + 1, "user:%09" PRId64, id);
            unsigned char *value = values + i * value_bytes;
            make_value(value, value_bytes, id);
            rows[i] = (cairn_online_row){key, KEY_LEN, 1000 + id, 0, value, value_bytes};
        }
        int64_t written = 0;
        if ((rc = cairn_online_put(store, "bench", rows, n, &written, &e))) die("put", rc, &e);
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    free(rows);
    free(keys);
    free(values);
    return seconds;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_online_get URL [--entities N] [--value-bytes B] "
                        "[--gets G] [--batch K] [--no-load]\n");
        return 2;
    }
    const char *url = argv[1];
    int64_t entities = 1000000, gets = 1000000, batch = 1;
    size_t value_bytes = 64;
    bool do_load = true;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";
        if (!strcmp(a, "--entities"))
            entities = strtoll(v, NULL, 10), i++;
        else if (!strcmp(a, "--value-bytes"))
            value_bytes = (size_t)strtoull(v, NULL, 10), i++;
        else if (!strcmp(a, "--gets"))
            gets = strtoll(v, NULL, 10), i++;
        else if (!strcmp(a, "--batch"))
            batch = strtoll(v, NULL, 10), i++;
        else if (!strcmp(a, "--no-load"))
            do_load = false;
        else {
            fprintf(stderr, "bench_online_get: unknown option %s\n", a);
            return 2;
        }
    }
    if (entities < 1 || gets < 1 || batch < 1 || batch > 100000) return 2;

    cairn_online *store = NULL;
    cairn_error e;
    int rc = cairn_online_open(url, &store, &e);
    if (rc) die("open", rc, &e);
    double load_s = do_load ? load(store, entities, value_bytes) : 0;

    size_t k = (size_t)batch;
    int64_t calls = (gets + batch - 1) / batch, warm_calls = (10000 + batch - 1) / batch;
    int64_t *lat_ns = calloc((size_t)calls, sizeof *lat_ns), *ids = calloc(k, sizeof *ids);
    char *keys = calloc(k, KEY_LEN + 1);
    const void **key_ptrs = calloc(k, sizeof *key_ptrs);
    size_t *lens = calloc(k, sizeof *lens);
    cairn_online_value *out = calloc(k, sizeof *out);
    unsigned char *want = malloc(value_bytes ? value_bytes : 1);
    if (!lat_ns || !ids || !keys || !key_ptrs || !lens || !out || !want) return 1;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int64_t loop_start = 0, bad = 0;
    for (int64_t c = -warm_calls; c < calls; c++) {
        for (size_t i = 0; i < k; i++) {
            ids[i] = (int64_t)(next_random(&seed) % (uint64_t)entities);
            char *key = keys + i * (KEY_LEN + 1);
            snprintf(key, KEY_LEN + 1, "user:%09" PRId64, ids[i]);
            key_ptrs[i] = key;
            lens[i] = KEY_LEN;
        }
        if (c == 0) loop_start = now_ns();
        int64_t t0 = now_ns();
        rc = cairn_online_get(store, "bench", key_ptrs, lens, k, out, &e);
        int64_t t1 = now_ns();
        if (rc) die("get", rc, &e);
        if (c >= 0) lat_ns[c] = t1 - t0;
        for (size_t i = 0; i < k; i++) {
            make_value(want, value_bytes, ids[i]);
            bad += !out[i].found || out[i].value_len != value_bytes ||
                   memcmp(out[i].value, want, value_bytes) != 0;
        }
        cairn_online_values_release(out, k);
    }
    double loop_s = (double)(now_ns() - loop_start) / 1e9;
    if (bad) {
        fprintf(stderr, "bench_online_get: %" PRId64 " lookups returned a wrong value\n", bad);
        return 1;
    }
    qsort(lat_ns, (size_t)calls, sizeof *lat_ns, cmp_i64);
    double p50 = (double)lat_ns[calls / 2] / 1e3, p99 = (double)lat_ns[calls * 99 / 100] / 1e3;
    double p999 = (double)lat_ns[calls * 999 / 1000] / 1e3;
    printf("{\"backend\": \"%s\", \"entities\": %" PRId64 ", \"value_bytes\": %zu, "
           "\"lookups\": %" PRId64 ", \"batch\": %" PRId64 ", \"load_s\": %.3f, "
           "\"call_p50_us\": %.3f, \"call_p99_us\": %.3f, \"call_p999_us\": %.3f, "
           "\"lookup_p50_us\": %.3f, \"lookups_per_s\": %.0f}\n",
           cairn_online_backend(store), entities, value_bytes, calls * batch, batch, load_s, p50,
           p99, p999, p50 / (double)batch, (double)(calls * batch) / loop_s);
    free(lat_ns);
    free(ids);
    free(keys);
    free(key_ptrs);
    free(lens);
    free(out);
    free(want);
    cairn_online_close(store);
    return 0;
}
