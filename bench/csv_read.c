/* bench/csv_read.c: Cairn's side of the CSV benchmark (bench/csv_read.sh).
 *
 * Reads a CSV file into columns with type inference on all cores, then computes what the
 * DuckDB side computes: count(*), sum(delay), sum(distance), count(DISTINCT origin).
 * Prints one JSON line: {"rows":..,"sum_delay":..,"sum_distance":..,"origins":..,"read_s":..}
 * Timing covers the read and the aggregates, not process start-up.
 */
#include <stdio.h>
#include <string.h>

#include "cairn/cairn.h"

static int64_t sum_column(const cairn_column *c)
{
    int64_t s = 0;
    for (int64_t i = 0; i < c->length; i++)
        if (cairn_column_is_valid(c, i)) s += c->type == CAIRN_TYPE_INT32 ? cairn_column_i32(c, i) : cairn_column_i64(c, i);
    return s;
}

static int64_t distinct_strings(const cairn_column *c)
{
    /* open addressing over string hashes; exact (compares bytes) */
    size_t cap = 1024;
    while (cap < (size_t)c->length * 2 && cap < ((size_t)1 << 26)) cap <<= 1;
    int64_t *slots = cairn_malloc(cap * sizeof *slots);
    for (size_t i = 0; i < cap; i++) slots[i] = -1;
    int64_t distinct = 0;
    for (int64_t r = 0; r < c->length; r++) {
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

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_csv_read FILE.csv\n");
        return 1;
    }
    int64_t t0 = cairn_monotonic_ns();
    cairn_read_options opts;
    cairn_read_options_init(&opts);
    cairn_table *t;
    cairn_error err;
    cairn_error_clear(&err);
    int rc = cairn_csv_read_file(argv[1], &opts, &t, &err);
    if (rc) {
        char msg[1024];
        cairn_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "error: %s\n", msg);
        return 1;
    }
    int64_t t1 = cairn_monotonic_ns();
    int64_t sd = sum_column(cairn_table_column_by_name(t, "delay"));
    int64_t sdist = sum_column(cairn_table_column_by_name(t, "distance"));
    int64_t origins = distinct_strings(cairn_table_column_by_name(t, "origin"));
    int64_t t2 = cairn_monotonic_ns();
    printf("{\"rows\":%lld,\"sum_delay\":%lld,\"sum_distance\":%lld,\"origins\":%lld,"
           "\"read_s\":%.4f,\"total_s\":%.4f}\n",
           (long long)cairn_table_num_rows(t), (long long)sd, (long long)sdist, (long long)origins,
           (double)(t1 - t0) / 1e9, (double)(t2 - t0) / 1e9);
    cairn_table_free(t);
    return 0;
}
