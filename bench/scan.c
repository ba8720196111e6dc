/* bench/scan.c: Cairn's side of the scan benchmarks (bench/csv_read.sh, bench/w1_parquet_scan.sh).
 *
 * Reads a file of any format in the format table (CSV with type inference, Parquet, ...) into
 * columns on all cores, then computes what the DuckDB side computes: count(*), sum(delay),
 * sum(distance), count(DISTINCT origin). Prints one JSON line:
 *   {"rows":..,"sum_delay":..,"sum_distance":..,"origins":..,"read_s":..,"total_s":..}
 * Timing covers the read and the aggregates, not process start-up. With a second argument
 * "projected", only the columns the query needs (delay, distance, origin) are read, as
 * DuckDB's planner does; Parquet reads them alone, CSV must parse every field anyway.
 */
#include <stdio.h>
#include <string.h>

#include "cairn/cairn.h"

static int64_t sum_column(const cairn_column *c)
{
    int64_t s = 0;
    if (c->type == CAIRN_TYPE_INT64 && !c->validity) {
        const int64_t *v = c->values;
        for (int64_t i = 0; i < c->length; i++) s += v[i];
        return s;
    }
    for (int64_t i = 0; i < c->length; i++)
        if (cairn_column_is_valid(c, i)) s += c->type == CAIRN_TYPE_INT32 ? cairn_column_i32(c, i) : cairn_column_i64(c, i);
    return s;
}

/* Exact distinct count of the strings at rows (or, for a dictionary column, of the dictionary
 * entries its codes use): open addressing over hashes, comparing bytes. */
static int64_t distinct_of(const cairn_column *c, const int64_t *rows, int64_t n)
{
    size_t cap = 1024;
    while (cap < (size_t)n * 2 && cap < ((size_t)1 << 26)) cap <<= 1;
    int64_t *slots = cairn_malloc(cap * sizeof *slots);
    for (size_t i = 0; i < cap; i++) slots[i] = -1;
    int64_t distinct = 0;
    for (int64_t k = 0; k < n; k++) {
        int64_t r = rows ? rows[k] : k;
        if (!cairn_column_is_valid(c, r)) continue;
        size_t len;
        const char *s = cairn_column_str(c, r, &len);
        size_t h = cairn_hash64(s, len, 0) & (cap - 1);
        for (;; h = (h + 1) & (cap - 1)) {
            if (slots[h] < 0) {
                slots[h] = r;
                distinct++;
                break;
            }
            size_t l2;
            const char *s2 = cairn_column_str(c, slots[h], &l2);
            if (l2 == len && memcmp(s, s2, len) == 0) break;
        }
    }
    cairn_free(slots);
    return distinct;
}

static int64_t distinct_strings(const cairn_column *c)
{
    if (!c->dictionary) return distinct_of(c, NULL, c->length);
    /* the dictionary entries in use, then their distinct values */
    int64_t nd = c->dictionary->length, used = 0;
    uint8_t *seen = cairn_calloc((size_t)nd + 1, 1);
    int64_t *rows = cairn_malloc(((size_t)nd + 1) * sizeof *rows);
    const int32_t *codes = c->values;
    for (int64_t i = 0; i < c->length; i++) {
        if (!cairn_column_is_valid(c, i) || seen[codes[i]]) continue;
        seen[codes[i]] = 1;
        rows[used++] = i;
    }
    int64_t d = distinct_of(c, rows, used);
    cairn_free(seen);
    cairn_free(rows);
    return d;
}

/* The three aggregates in one parallel pass over row ranges when the columns allow it
 * (int64 without nulls, dictionary-encoded origin): each task sums its range and marks the
 * dictionary codes it meets; the marks are merged, then their strings counted distinct. */
typedef struct agg_task {
    const cairn_column *delay, *distance, *origin;
    size_t ntasks;
    int64_t *sum_delay, *sum_distance;
    uint8_t *seen; /* ntasks x dictionary length */
} agg_task;

static void agg_range(void *arg, size_t k)
{
    agg_task *a = arg;
    int64_t n = a->delay->length, lo = n * (int64_t)k / (int64_t)a->ntasks,
            hi = n * (int64_t)(k + 1) / (int64_t)a->ntasks;
    const int64_t *d = a->delay->values, *s = a->distance->values;
    const int32_t *codes = a->origin->values;
    uint8_t *seen = a->seen + k * (size_t)a->origin->dictionary->length;
    int64_t sd = 0, ss = 0;
    for (int64_t i = lo; i < hi; i++) {
        sd += d[i];
        ss += s[i];
        seen[codes[i]] = 1;
    }
    a->sum_delay[k] = sd;
    a->sum_distance[k] = ss;
}

static bool aggregate_parallel(const cairn_column *delay, const cairn_column *distance,
                               const cairn_column *origin, int64_t *sd, int64_t *sdist,
                               int64_t *origins)
{
    if (delay->type != CAIRN_TYPE_INT64 || distance->type != CAIRN_TYPE_INT64 || delay->validity ||
        distance->validity || origin->validity || !origin->dictionary)
        return false;
    size_t nd = (size_t)origin->dictionary->length, ntasks = 8;
    int64_t sums[16];
    agg_task a = {delay, distance, origin, ntasks, sums, sums + 8, cairn_calloc(ntasks, nd ? nd : 1)};
    cairn_pool_run(cairn_pool_default(), ntasks, agg_range, &a);
    *sd = *sdist = 0;
    for (size_t k = 0; k < ntasks; k++) *sd += sums[k], *sdist += sums[8 + k];
    int64_t *rows = cairn_malloc((nd + 1) * sizeof *rows), used = 0;
    for (size_t c = 0; c < nd; c++) { /* one representative row per code in use */
        bool any = false;
        for (size_t k = 0; k < ntasks; k++) any |= a.seen[k * nd + c];
        if (!any) continue;
        const int32_t *codes = origin->values;
        for (int64_t i = 0; i < origin->length; i++)
            if ((size_t)codes[i] == c) {
                rows[used++] = i;
                break;
            }
    }
    *origins = distinct_of(origin, rows, used);
    cairn_free(rows);
    cairn_free(a.seen);
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: bench_scan FILE [projected]\n");
        return 1;
    }
    int64_t t0 = cairn_monotonic_ns();
    cairn_read_options opts;
    cairn_read_options_init(&opts);
    cairn_table *t;
    cairn_error err;
    cairn_error_clear(&err);
    int rc;
    if (argc == 3 && cairn_format_for_path(argv[1]) == cairn_format_by_name("parquet")) {
        static const char *const cols[] = {"delay", "distance", "origin"};
        cairn_parquet_options po;
        cairn_parquet_options_init(&po);
        po.columns = cols;
        po.ncolumns = 3;
        rc = cairn_parquet_read_file(argv[1], &po, &t, &err);
    } else {
        rc = cairn_table_read_file(argv[1], NULL, &opts, &t, &err);
    }
    if (rc) {
        char msg[1024];
        cairn_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "error: %s\n", msg);
        return 1;
    }
    int64_t t1 = cairn_monotonic_ns();
    const cairn_column *delay = cairn_table_column_by_name(t, "delay"),
                       *distance = cairn_table_column_by_name(t, "distance"),
                       *origin = cairn_table_column_by_name(t, "origin");
    int64_t sd, sdist, origins;
    if (!aggregate_parallel(delay, distance, origin, &sd, &sdist, &origins)) {
        sd = sum_column(delay);
        sdist = sum_column(distance);
        origins = distinct_strings(origin);
    }
    int64_t t2 = cairn_monotonic_ns();
    printf("{\"rows\":%lld,\"sum_delay\":%lld,\"sum_distance\":%lld,\"origins\":%lld,"
           "\"read_s\":%.4f,\"total_s\":%.4f}\n",
           (long long)cairn_table_num_rows(t), (long long)sd, (long long)sdist, (long long)origins,
           (double)(t1 - t0) / 1e9, (double)(t2 - t0) / 1e9);
    cairn_table_free(t);
    return 0;
}
