/* bench/pit.c: Cairn's side of workload W3 (bench/w3_pit.sh) and the C driver of the
 * point-in-time join oracle (tests/oracles/test_pit_duckdb.sh).
 *
 * From the flights (data/flights-3m.parquet) it builds, untimed:
 * - entities: every STRIDE-th flight as (eid, origin, ts = date + 1 minute, label =
 *   delay > 15), in flight order;
 * - features: per origin and bucket (an hour or a day) with flights, the mean delay, with
 *   ts = the end of the bucket and created = ts + 5 minutes; then duplicates that test the
 *   tie-break: for some cells a row with the same ts and an earlier created time (loses), one
 *   with a later created time (wins), one with the same created time (the later input row
 *   wins); some values are null; the rows are shuffled (a fixed permutation), so features
 *   arrive out of time order; frow is a row's input position (DuckDB needs it to emulate
 *   Feast's input-order tie-break).
 * Then it times cairn_pit_join(entities, features, keys origin, TTL) alone and prints one
 * JSON line: {"entities","features","matches","sum_value","join_s","build_s"}, where matches
 * counts non-null joined values and sum_value sums them.
 *
 * Usage: bench_pit FLIGHTS.parquet [--bucket hour|day] [--stride N] [--ttl-us N]
 *                  [--write DIR] [--tables DIR] [--dump FILE] [--runs N]
 *   --write DIR  also writes DIR/entities.parquet and DIR/features.parquet (for DuckDB)
 *   --tables DIR reads those two files instead of building the tables (FLIGHTS is ignored),
 *                so that Cairn and DuckDB start from the same files
 *   --dump FILE  writes the join's (eid, mean_delay) to FILE (Parquet), checking first that
 *                the output keeps the entity rows in order
 *   --runs N     joins N times in this process and reports the median (default 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/cairn.h"

#define US_PER_MINUTE INT64_C(60000000)
#define US_PER_HOUR (60 * US_PER_MINUTE)
#define US_PER_DAY (24 * US_PER_HOUR)

typedef struct options {
    const char *flights, *write_dir, *tables_dir, *dump;
    int64_t bucket_us, stride, ttl_us;
    int runs;
} options;

static void die(const char *what, int rc, const cairn_error *err)
{
    char msg[1024];
    cairn_error_format(err, msg, sizeof msg);
    fprintf(stderr, "bench_pit: %s: %s: %s\n", what, cairn_strerror(rc), msg);
    exit(1);
}

static void check(int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "bench_pit: %s: %s\n", what, cairn_strerror(rc));
        exit(1);
    }
}

static int64_t parse_i64(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || end == s) {
        fprintf(stderr, "bench_pit: not an integer: %s\n", s);
        exit(2);
    }
    return v;
}

static options parse_args(int argc, char **argv)
{
    options o = {NULL, NULL, NULL, NULL, US_PER_DAY, 1, 3 * US_PER_DAY, 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            o.flights = a;
            continue;
        }
        if (!v) {
            fprintf(stderr, "bench_pit: %s needs a value\n", a);
            exit(2);
        }
        i++;
        if (strcmp(a, "--bucket") == 0)
            o.bucket_us = strcmp(v, "hour") == 0 ? US_PER_HOUR : US_PER_DAY;
        else if (strcmp(a, "--stride") == 0)
            o.stride = parse_i64(v);
        else if (strcmp(a, "--ttl-us") == 0)
            o.ttl_us = parse_i64(v);
        else if (strcmp(a, "--write") == 0)
            o.write_dir = v;
        else if (strcmp(a, "--tables") == 0)
            o.tables_dir = v;
        else if (strcmp(a, "--dump") == 0)
            o.dump = v;
        else if (strcmp(a, "--runs") == 0)
            o.runs = (int)parse_i64(v);
        else {
            fprintf(stderr, "bench_pit: unknown option %s\n", a);
            exit(2);
        }
    }
    if ((!o.flights && !o.tables_dir) || o.stride < 1 || o.runs < 1) {
        fprintf(stderr, "usage: bench_pit FLIGHTS.parquet [--bucket hour|day] [--stride N] "
                        "[--ttl-us N] [--write DIR] [--tables DIR] [--dump FILE] [--runs N]\n");
        exit(2);
    }
    return o;
}

/* ------------------------------------------------------------------------------------------
 * Building the tables
 * ---------------------------------------------------------------------------------------- */

static const cairn_column *need(const cairn_table *t, const char *name)
{
    const cairn_column *c = cairn_table_column_by_name(t, name);
    if (!c) {
        fprintf(stderr, "bench_pit: the flights have no column %s\n", name);
        exit(1);
    }
    return c;
}

static int64_t int_at(const cairn_column *c, int64_t i)
{
    return c->type == CAIRN_TYPE_INT32 ? cairn_column_i32(c, i) : cairn_column_i64(c, i);
}

static cairn_table *build_entities(const cairn_table *flights, int64_t stride)
{
    int64_t rows = cairn_table_num_rows(flights), n = (rows + stride - 1) / stride;
    int64_t *idx = malloc((size_t)n * sizeof *idx);
    for (int64_t i = 0; i < n; i++)
        idx[i] = i * stride;
    const char *origin_name[] = {"origin"};
    cairn_table *origin_only, *e;
    cairn_error err;
    int rc = cairn_table_project(flights, origin_name, 1, &origin_only, &err);
    if (rc) die("project", rc, &err);
    check(cairn_table_take(origin_only, idx, n, &e), "take");
    cairn_table_free(origin_only);
    const cairn_column *date = need(flights, "date"), *delay = need(flights, "delay");
    cairn_column *eid, *ts, *label;
    check(cairn_column_create("eid", CAIRN_TYPE_INT64, false, &eid), "column");
    check(cairn_column_create("ts", CAIRN_TYPE_TIMESTAMP, true, &ts), "column");
    check(cairn_column_create("label", CAIRN_TYPE_BOOL, true, &label), "column");
    check(cairn_column_reserve(eid, n, 0) || cairn_column_reserve(ts, n, 0) ||
              cairn_column_reserve(label, n, 0),
          "reserve");
    for (int64_t i = 0; i < n; i++) {
        int64_t r = idx[i];
        check(cairn_column_append_int64(eid, i), "append");
        if (cairn_column_is_valid(date, r))
            check(cairn_column_append_int64(ts, cairn_column_i64(date, r) + US_PER_MINUTE),
                  "append");
        else
            check(cairn_column_append_null(ts), "append");
        if (cairn_column_is_valid(delay, r))
            check(cairn_column_append_bool(label, int_at(delay, r) > 15), "append");
        else
            check(cairn_column_append_null(label), "append");
    }
    free(idx);
    cairn_table *out;
    check(cairn_table_create(&out), "table");
    check(cairn_table_adopt_column(out, eid, &err), "adopt");
    for (size_t i = 0; i < cairn_table_num_columns(e); i++) {
        cairn_column *copy;
        check(cairn_column_copy(cairn_table_column(e, i), &copy), "copy");
        check(cairn_table_adopt_column(out, copy, &err), "adopt");
    }
    check(cairn_table_adopt_column(out, ts, &err), "adopt");
    check(cairn_table_adopt_column(out, label, &err), "adopt");
    cairn_table_free(e);
    return out;
}

typedef struct feature_row {
    int32_t origin;
    int64_t ts, created;
    double value;
    bool null_value;
} feature_row;

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* Per (origin, bucket) cell with flights: the rows described at the top of the file. */
static feature_row *feature_rows(const cairn_table *flights, const cairn_column *origin_codes,
                                 int64_t norigins, int64_t bucket_us, int64_t *count)
{
    const cairn_column *date = need(flights, "date"), *delay = need(flights, "delay");
    int64_t rows = cairn_table_num_rows(flights), t0 = INT64_MAX, t1 = INT64_MIN;
    for (int64_t i = 0; i < rows; i++) {
        if (!cairn_column_is_valid(date, i)) continue;
        int64_t t = cairn_column_i64(date, i);
        if (t < t0) t0 = t;
        if (t > t1) t1 = t;
    }
    t0 -= ((t0 % bucket_us) + bucket_us) % bucket_us;
    int64_t nbuckets = (t1 - t0) / bucket_us + 1;
    size_t cells = (size_t)(norigins * nbuckets);
    double *sum = calloc(cells, sizeof *sum);
    int64_t *n = calloc(cells, sizeof *n);
    const int32_t *codes = origin_codes->values;
    for (int64_t i = 0; i < rows; i++) {
        if (!cairn_column_is_valid(date, i) || !cairn_column_is_valid(origin_codes, i) ||
            !cairn_column_is_valid(delay, i))
            continue;
        size_t cell = (size_t)(codes[i] * nbuckets + (cairn_column_i64(date, i) - t0) / bucket_us);
        sum[cell] += (double)int_at(delay, i);
        n[cell]++;
    }
    feature_row *out = malloc(cells * 4 * sizeof *out + 1);
    int64_t m = 0;
    for (int64_t o = 0; o < norigins; o++) {
        for (int64_t b = 0; b < nbuckets; b++) {
            size_t cell = (size_t)(o * nbuckets + b);
            if (!n[cell]) continue;
            int64_t ts = t0 + (b + 1) * bucket_us, h = o * 31 + b;
            feature_row main = {(int32_t)o, ts, ts + 5 * US_PER_MINUTE, sum[cell] / (double)n[cell],
                                h % 53 == 0};
            out[m++] = main;
            if (h % 17 == 0) { /* same ts, earlier created: loses */
                feature_row r = main;
                r.created -= 3 * US_PER_MINUTE;
                r.value += 1000;
                r.null_value = false;
                out[m++] = r;
            }
            if (h % 19 == 0) { /* same ts, later created: wins */
                feature_row r = main;
                r.created += 4 * US_PER_MINUTE;
                r.value -= 1000;
                r.null_value = h % 3 == 0;
                out[m++] = r;
            }
            if (h % 23 == 0) { /* same ts and created: the later input row wins */
                feature_row r = main;
                r.value += 500;
                out[m++] = r;
            }
        }
    }
    uint64_t seed = 42;
    for (int64_t i = m - 1; i > 0; i--) {
        int64_t j = (int64_t)(lcg(&seed) % (uint64_t)(i + 1));
        feature_row tmp = out[i];
        out[i] = out[j];
        out[j] = tmp;
    }
    free(sum);
    free(n);
    *count = m;
    return out;
}

static cairn_table *build_features(const cairn_table *flights, int64_t bucket_us)
{
    /* dense origin codes in first-seen order */
    cairn_column *origin;
    check(cairn_column_copy(need(flights, "origin"), &origin), "copy");
    check(cairn_column_dict_decode(origin), "decode");
    check(cairn_column_dict_encode(origin), "encode");
    int64_t m;
    feature_row *rows = feature_rows(flights, origin, origin->dictionary->length, bucket_us, &m);
    cairn_table *f;
    check(cairn_table_create(&f), "table");
    cairn_column *fo, *ts, *created, *value, *frow;
    check(cairn_table_add_column(f, "origin", CAIRN_TYPE_STRING, false, &fo), "column");
    check(cairn_table_add_column(f, "ts", CAIRN_TYPE_TIMESTAMP, false, &ts), "column");
    check(cairn_table_add_column(f, "created", CAIRN_TYPE_TIMESTAMP, false, &created), "column");
    check(cairn_table_add_column(f, "mean_delay", CAIRN_TYPE_FLOAT64, true, &value), "column");
    check(cairn_table_add_column(f, "frow", CAIRN_TYPE_INT64, false, &frow), "column");
    for (int64_t i = 0; i < m; i++) {
        size_t len;
        const char *s = cairn_column_str(origin->dictionary, rows[i].origin, &len);
        check(cairn_column_append_string(fo, s, len), "append");
        check(cairn_column_append_int64(ts, rows[i].ts), "append");
        check(cairn_column_append_int64(created, rows[i].created), "append");
        check(rows[i].null_value ? cairn_column_append_null(value)
                                 : cairn_column_append_float64(value, rows[i].value),
              "append");
        check(cairn_column_append_int64(frow, i), "append");
    }
    check(cairn_column_dict_encode(fo), "encode"); /* as a Parquet read gives it */
    free(rows);
    cairn_column_free(origin);
    return f;
}

/* ------------------------------------------------------------------------------------------
 * Running
 * ---------------------------------------------------------------------------------------- */

static void write_parquet(const cairn_table *t, const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cairn_error err;
    int rc = cairn_table_write_file(t, path, "parquet", NULL, &err);
    if (rc) die(path, rc, &err);
}

static cairn_table *read_parquet(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cairn_read_options ropts;
    cairn_read_options_init(&ropts);
    cairn_table *t;
    cairn_error err;
    int rc = cairn_table_read_file(path, NULL, &ropts, &t, &err);
    if (rc) die(path, rc, &err);
    return t;
}

static void dump(const cairn_table *out, const char *path)
{
    const cairn_column *eid = cairn_table_column_by_name(out, "eid");
    for (int64_t i = 0; i < eid->length; i++)
        if (cairn_column_i64(eid, i) != i) {
            fprintf(stderr, "bench_pit: output row %lld holds entity %lld\n", (long long)i,
                    (long long)cairn_column_i64(eid, i));
            exit(1);
        }
    const char *cols[] = {"eid", "mean_delay"};
    cairn_table *p;
    cairn_error err;
    int rc = cairn_table_project(out, cols, 2, &p, &err);
    if (rc == 0) rc = cairn_table_write_file(p, path, "parquet", NULL, &err);
    if (rc) die(path, rc, &err);
    cairn_table_free(p);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    options o = parse_args(argc, argv);
    int64_t t0 = cairn_monotonic_ns();
    cairn_table *e, *f;
    cairn_error err;
    cairn_read_options ropts;
    cairn_read_options_init(&ropts);
    if (o.tables_dir) {
        e = read_parquet(o.tables_dir, "entities.parquet");
        f = read_parquet(o.tables_dir, "features.parquet");
    } else {
        cairn_table *flights;
        int rc = cairn_table_read_file(o.flights, NULL, &ropts, &flights, &err);
        if (rc) die(o.flights, rc, &err);
        e = build_entities(flights, o.stride);
        f = build_features(flights, o.bucket_us);
        cairn_table_free(flights);
    }
    if (o.write_dir) {
        write_parquet(e, o.write_dir, "entities.parquet");
        write_parquet(f, o.write_dir, "features.parquet");
    }
    double build_s = (double)(cairn_monotonic_ns() - t0) / 1e9;

    const char *keys[] = {"origin"}, *cols[] = {"mean_delay"};
    cairn_pit_spec spec = {.entity_keys = keys,
                           .feature_keys = keys,
                           .nkeys = 1,
                           .entity_time = "ts",
                           .feature_time = "ts",
                           .created_time = "created",
                           .ttl_us = o.ttl_us,
                           .columns = cols,
                           .ncolumns = 1};
    double *times = calloc((size_t)o.runs, sizeof *times);
    cairn_table *out = NULL;
    for (int r = 0; r < o.runs; r++) {
        cairn_table_free(out);
        int64_t j0 = cairn_monotonic_ns();
        int rc = cairn_pit_join(e, f, &spec, &out, &err);
        times[r] = (double)(cairn_monotonic_ns() - j0) / 1e9;
        if (rc) die("cairn_pit_join", rc, &err);
    }
    qsort(times, (size_t)o.runs, sizeof *times, cmp_double);

    const cairn_column *v = cairn_table_column_by_name(out, "mean_delay");
    int64_t matches = 0;
    double sum = 0;
    for (int64_t i = 0; i < v->length; i++)
        if (cairn_column_is_valid(v, i)) {
            matches++;
            sum += cairn_column_f64(v, i);
        }
    if (o.dump) dump(out, o.dump);
    printf("{\"entities\":%lld,\"features\":%lld,\"matches\":%lld,\"sum_value\":%.17g,"
           "\"join_s\":%.6f,\"build_s\":%.3f}\n",
           (long long)cairn_table_num_rows(e), (long long)cairn_table_num_rows(f),
           (long long)matches, sum, times[o.runs / 2], build_s);
    free(times);
    cairn_table_free(out);
    cairn_table_free(e);
    cairn_table_free(f);
    return 0;
}
