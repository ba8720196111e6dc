/* bench/windows.c: Cairn's side of workload W2 (bench/w2_windows.sh) and of the window
 * oracle (tests/oracles/test_window_duckdb.sh).
 *
 * Reads flights (data/flights-3m.parquet: date, delay, distance, origin, destination) and
 * computes, point in time ([t - w, t), cairn_window_compute):
 *   per origin:        n_1h = count over 1 h; mean_24h, mean_7d = mean delay over 24 h, 7 d;
 *                      sum_24h, min_24h, max_24h, sd_24h, last_24h of delay over 24 h;
 *   per (origin, destination): route_mean_30d = mean delay over 30 d.
 * Prints one JSON line: rows, read_s, window_s (both window computations), total_s, and per
 * output column its sum over non-null values and its null count, which the scripts compare
 * with DuckDB's. Usage: bench_windows FILE [--limit N] [--out RESULT.parquet] [--set w2];
 * --limit keeps the first N rows, --out writes "row" (the input row number) and the output
 * columns, --set w2 computes only W2's three features as shared/BENCHMARKS.md lists them
 * (n_1h, mean_7d, route_mean_30d).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/cairn.h"

#define HOUR_US 3600000000LL

static const char *const all_names[] = {"n_1h",    "mean_24h", "mean_7d",
                                        "sum_24h", "min_24h",  "max_24h",
                                        "sd_24h",  "last_24h", "route_mean_30d"};
static const char *const w2_names[] = {"n_1h", "mean_7d", "route_mean_30d"};
static const char *const *out_names = all_names;
static size_t NOUT = sizeof all_names / sizeof all_names[0];

static int die(const char *what, int rc, const cairn_error *err)
{
    char msg[1024];
    cairn_error_format(err, msg, sizeof msg);
    fprintf(stderr, "bench_windows: %s: %s: %s\n", what, cairn_strerror(rc), msg);
    return 1;
}

static double seconds_since(int64_t t0)
{
    return (double)(cairn_monotonic_ns() - t0) / 1e9;
}

/* Sum of the non-null values and the null count of a numeric column. */
static void column_sum(const cairn_column *c, double *sum, int64_t *nulls)
{
    long double s = 0;
    *nulls = 0;
    for (int64_t i = 0; i < c->length; i++) {
        if (!cairn_column_is_valid(c, i)) {
            ++*nulls;
            continue;
        }
        s += c->type == CAIRN_TYPE_FLOAT64 ? (long double)cairn_column_f64(c, i)
                                           : (long double)cairn_column_i64(c, i);
    }
    *sum = (double)s;
}

/* The output columns (borrowed from a and b) plus a row-number column, written as Parquet. */
static int write_result(const cairn_table *a, const cairn_table *b, const char *path,
                        cairn_error *err)
{
    cairn_table *t = NULL;
    int rc = cairn_table_create(&t);
    cairn_column *row = NULL;
    if (rc == 0) rc = cairn_table_add_column(t, "row", CAIRN_TYPE_INT64, false, &row);
    for (int64_t i = 0; rc == 0 && i < cairn_table_num_rows(a); i++)
        rc = cairn_column_append_int64(row, i);
    for (size_t i = 0; rc == 0 && i < NOUT; i++) {
        const cairn_column *c = cairn_table_column_by_name(a, out_names[i]);
        if (!c) c = cairn_table_column_by_name(b, out_names[i]);
        cairn_column *copy = NULL;
        rc = cairn_column_copy(c, &copy);
        if (rc == 0) rc = cairn_table_adopt_column(t, copy, err);
    }
    if (rc == 0) rc = cairn_table_write_file(t, path, NULL, NULL, err);
    cairn_table_free(t);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_windows FILE [--limit N] [--out RESULT.parquet]\n");
        return 2;
    }
    int64_t limit = 0;
    const char *out_path = NULL;
    bool w2 = false;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--limit") == 0) limit = strtoll(argv[i + 1], NULL, 10);
        if (strcmp(argv[i], "--out") == 0) out_path = argv[i + 1];
        if (strcmp(argv[i], "--set") == 0 && strcmp(argv[i + 1], "w2") == 0) w2 = true;
    }
    cairn_error err;
    cairn_error_clear(&err);
    int64_t t0 = cairn_monotonic_ns();
    cairn_table *events = NULL;
    int rc = cairn_table_read_file(argv[1], NULL, NULL, &events, &err);
    if (rc) return die("read", rc, &err);
    if (limit > 0 && limit < cairn_table_num_rows(events)) {
        cairn_table *head = NULL;
        rc = cairn_table_slice(events, 0, limit, &head);
        if (rc) return die("slice", rc, &err);
        cairn_table_free(events);
        events = head;
    }
    double read_s = seconds_since(t0);

    int64_t t1 = cairn_monotonic_ns();
    const char *origin[] = {"origin"}, *route[] = {"origin", "destination"};
    const cairn_window_spec per_origin[] = {
        {"n_1h", CAIRN_AGG_COUNT, NULL, HOUR_US},
        {"mean_24h", CAIRN_AGG_MEAN, "delay", 24 * HOUR_US},
        {"mean_7d", CAIRN_AGG_MEAN, "delay", 7 * 24 * HOUR_US},
        {"sum_24h", CAIRN_AGG_SUM, "delay", 24 * HOUR_US},
        {"min_24h", CAIRN_AGG_MIN, "delay", 24 * HOUR_US},
        {"max_24h", CAIRN_AGG_MAX, "delay", 24 * HOUR_US},
        {"sd_24h", CAIRN_AGG_STDDEV, "delay", 24 * HOUR_US},
        {"last_24h", CAIRN_AGG_LAST, "delay", 24 * HOUR_US},
    };
    const cairn_window_spec per_route[] = {
        {"route_mean_30d", CAIRN_AGG_MEAN, "delay", 30 * 24 * HOUR_US},
    };
    const cairn_window_spec w2_origin[] = {per_origin[0], per_origin[2]};
    if (w2) {
        out_names = w2_names;
        NOUT = sizeof w2_names / sizeof w2_names[0];
    }
    cairn_table *a = NULL, *b = NULL;
    rc = cairn_window_compute(events, origin, 1, "date", w2 ? w2_origin : per_origin, w2 ? 2 : 8,
                              &a, &err);
    if (rc) return die("windows per origin", rc, &err);
    rc = cairn_window_compute(events, route, 2, "date", per_route, 1, &b, &err);
    if (rc) return die("windows per route", rc, &err);
    double window_s = seconds_since(t1);
    double total_s = seconds_since(t0);

    printf("{\"rows\":%lld,\"read_s\":%.6f,\"window_s\":%.6f,\"total_s\":%.6f,\"columns\":{",
           (long long)cairn_table_num_rows(events), read_s, window_s, total_s);
    for (size_t i = 0; i < NOUT; i++) {
        const cairn_column *c = cairn_table_column_by_name(a, out_names[i]);
        if (!c) c = cairn_table_column_by_name(b, out_names[i]);
        double sum;
        int64_t nulls;
        column_sum(c, &sum, &nulls);
        printf("%s\"%s\":{\"sum\":%.17g,\"nulls\":%lld}", i ? "," : "", out_names[i], sum,
               (long long)nulls);
    }
    printf("}}\n");
    if (out_path && (rc = write_result(a, b, out_path, &err))) return die("write", rc, &err);
    cairn_table_free(a);
    cairn_table_free(b);
    cairn_table_free(events);
    return 0;
}
