/* Tests of src/feature/window.c: aggregate names; hand-written edge cases of the [t - w, t)
 * window (ties on time excluded, an event exactly at t - w included, one-row entities, null
 * keys, values and times, several specs at once, integer against floating sums, stddev
 * below two values, last with ties on time, multi-column keys, dates); input errors; a
 * brute-force O(n^2) reference on random data with duplicated timestamps; allocation
 * failures. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define H 3600000000LL /* one hour in microseconds */

static void put_i64(cairn_column *c, int64_t v, bool null)
{
    assert_int_equal(null ? cairn_column_append_null(c) : cairn_column_append_int64(c, v), 0);
}

static void put_f64(cairn_column *c, double v, bool null)
{
    assert_int_equal(null ? cairn_column_append_null(c) : cairn_column_append_float64(c, v), 0);
}

static cairn_table *run_windows(const cairn_table *t, const char *const *keys, size_t nkeys,
                                const cairn_window_spec *specs, size_t nspecs)
{
    cairn_table *out = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_window_compute(t, keys, nkeys, "ts", specs, nspecs, &out, &err), &err);
    assert_int_equal(cairn_table_validate(out, NULL), 0);
    assert_int_equal(cairn_table_num_rows(out), cairn_table_num_rows(t));
    return out;
}

#define CELL(t, col, row) cairn_test_cell((t), (col), (row))

static void test_agg_names(void **state)
{
    (void)state;
    for (int a = CAIRN_AGG_COUNT; a <= CAIRN_AGG_APPROX_DISTINCT; a++) {
        cairn_agg back;
        assert_int_equal(cairn_agg_parse(cairn_agg_name((cairn_agg)a), &back), 0);
        assert_int_equal(back, a);
    }
    cairn_agg agg;
    assert_int_equal(cairn_agg_parse("avg", &agg), 0);
    assert_int_equal(agg, CAIRN_AGG_MEAN);
    assert_int_equal(cairn_agg_parse("std", &agg), 0);
    assert_int_equal(agg, CAIRN_AGG_STDDEV);
    assert_string_equal(cairn_agg_name(CAIRN_AGG_APPROX_DISTINCT), "approx_distinct");
    assert_int_equal(cairn_agg_parse("median", &agg), CAIRN_EINVAL);
    assert_int_equal(cairn_agg_parse(NULL, &agg), CAIRN_EINVAL);
}

/* One entity "a": times 0, 1h, 1h, 2h, 3h (hours), values 10, 20, 30, 40, 50. */
static cairn_table *one_entity(void)
{
    cairn_table *t = cairn_test_table();
    cairn_column *k = cairn_test_add(t, "k", CAIRN_TYPE_STRING);
    cairn_column *ts = cairn_test_add(t, "ts", CAIRN_TYPE_TIMESTAMP);
    cairn_column *v = cairn_test_add(t, "v", CAIRN_TYPE_INT64);
    int64_t hours[] = {0, 1, 1, 2, 3};
    for (int i = 0; i < 5; i++) {
        cairn_test_put_str(k, "a");
        put_i64(ts, hours[i] * H, false);
        put_i64(v, 10 * (i + 1), false);
    }
    return t;
}

static void test_ties_and_boundary(void **state)
{
    (void)state;
    cairn_table *t = one_entity();
    const char *keys[] = {"k"};
    cairn_window_spec specs[] = {
        {"n1h", CAIRN_AGG_COUNT, NULL, H},      {"sum1h", CAIRN_AGG_SUM, "v", H},
        {"last2h", CAIRN_AGG_LAST, "v", 2 * H}, {"min2h", CAIRN_AGG_MIN, "v", 2 * H},
        {"max2h", CAIRN_AGG_MAX, "v", 2 * H},
    };
    cairn_table *out = run_windows(t, keys, 1, specs, 5);
    /* row 0 (t=0): nothing before */
    assert_string_equal(CELL(out, "n1h", 0), "0");
    assert_string_equal(CELL(out, "sum1h", 0), "NULL");
    assert_string_equal(CELL(out, "last2h", 0), "NULL");
    /* rows 1, 2 (t=1h): the window [0, 1h) holds row 0 only (exactly at t - w: included;
     * the other row at 1h: excluded) */
    for (int r = 1; r <= 2; r++) {
        assert_string_equal(CELL(out, "n1h", r), "1");
        assert_string_equal(CELL(out, "sum1h", r), "10");
        assert_string_equal(CELL(out, "last2h", r), "10");
    }
    /* row 3 (t=2h): [1h, 2h) holds rows 1 and 2; [0, 2h) rows 0..2, last breaks the tie on
     * time by input order (row 2) */
    assert_string_equal(CELL(out, "n1h", 3), "2");
    assert_string_equal(CELL(out, "sum1h", 3), "50");
    assert_string_equal(CELL(out, "last2h", 3), "30");
    assert_string_equal(CELL(out, "min2h", 3), "10");
    assert_string_equal(CELL(out, "max2h", 3), "30");
    /* row 4 (t=3h): [2h, 3h) holds row 3; [1h, 3h) rows 1..3 */
    assert_string_equal(CELL(out, "n1h", 4), "1");
    assert_string_equal(CELL(out, "sum1h", 4), "40");
    assert_string_equal(CELL(out, "min2h", 4), "20");
    assert_string_equal(CELL(out, "max2h", 4), "40");
    /* the events' columns come first, in order, unchanged */
    assert_string_equal(cairn_table_column(out, 0)->name, "k");
    assert_string_equal(cairn_table_column(out, 2)->name, "v");
    assert_string_equal(cairn_table_column(out, 3)->name, "n1h");
    assert_int_equal(cairn_test_col_type(out, "min2h"), CAIRN_TYPE_INT64);
    assert_int_equal(cairn_test_col_type(out, "sum1h"), CAIRN_TYPE_INT64);
    cairn_table_free(out);
    cairn_table_free(t);
}

/* Entities interleaved in input order; output rows stay in input order. */
static void test_entities_and_nulls(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *k = cairn_test_add(t, "k", CAIRN_TYPE_STRING);
    cairn_column *ts = cairn_test_add(t, "ts", CAIRN_TYPE_TIMESTAMP);
    cairn_column *x = cairn_test_add(t, "x", CAIRN_TYPE_FLOAT64);
    /* row: key, hour, x (null = -1) */
    const char *ks[] = {"b", "a", NULL, "a", NULL, "b", "a", "a", "c"};
    int64_t hours[] = {5, 1, 1, 2, 2, 6, -1, 3, 4};
    double xs[] = {1.5, 2, 100, -1, 200, 2.5, 7, 4, 9};
    bool xnull[] = {0, 0, 0, 1, 0, 0, 0, 0, 0};
    for (int i = 0; i < 9; i++) {
        cairn_test_put_str(k, ks[i]);
        put_i64(ts, hours[i] * H, hours[i] < 0);
        put_f64(x, xs[i], xnull[i]);
    }
    const char *keys[] = {"k"};
    cairn_window_spec specs[] = {
        {"n", CAIRN_AGG_COUNT, NULL, 10 * H},
        {"nx", CAIRN_AGG_COUNT, "x", 10 * H},
        {"sum", CAIRN_AGG_SUM, "x", 10 * H},
        {"mean", CAIRN_AGG_MEAN, "x", 10 * H},
        {"sd", CAIRN_AGG_STDDEV, "x", 10 * H},
        {"last", CAIRN_AGG_LAST, "x", 10 * H},
        {"nd", CAIRN_AGG_APPROX_DISTINCT, "x", 10 * H},
    };
    cairn_table *out = run_windows(t, keys, 1, specs, 7);
    /* "b": row 0 first (empty), row 5 sees row 0 */
    assert_string_equal(CELL(out, "n", 0), "0");
    assert_string_equal(CELL(out, "mean", 0), "NULL");
    assert_string_equal(CELL(out, "nd", 0), "0");
    assert_string_equal(CELL(out, "n", 5), "1");
    assert_string_equal(CELL(out, "sum", 5), "1.5");
    assert_string_equal(CELL(out, "sd", 5), "NULL"); /* one value: no sample stddev */
    /* null keys: each its own entity, even at the same time as another null key */
    for (int r = 2; r <= 4; r += 2) {
        assert_string_equal(CELL(out, "n", r), "0");
        assert_string_equal(CELL(out, "sum", r), "NULL");
        assert_string_equal(CELL(out, "last", r), "NULL");
    }
    /* "a": rows 1 (1h, 2), 3 (2h, null), 7 (3h, 4); row 6 has no time */
    assert_string_equal(CELL(out, "n", 3), "1");
    assert_string_equal(CELL(out, "n", 7), "2");
    assert_string_equal(CELL(out, "nx", 7), "1"); /* the null value is not counted */
    assert_string_equal(CELL(out, "mean", 7), "2.0");
    assert_string_equal(CELL(out, "last", 7), "2.0"); /* the latest non-null value */
    assert_string_equal(CELL(out, "nd", 7), "1");
    assert_string_equal(CELL(out, "sd", 7), "NULL");
    assert_string_equal(CELL(out, "n", 6), "0");
    assert_string_equal(CELL(out, "nd", 6), "0");
    assert_string_equal(CELL(out, "mean", 6), "NULL");
    assert_string_equal(CELL(out, "last", 6), "NULL");
    /* "c": one row */
    assert_string_equal(CELL(out, "n", 8), "0");
    assert_string_equal(CELL(out, "sum", 8), "NULL");
    assert_int_equal(cairn_test_col_type(out, "sum"), CAIRN_TYPE_FLOAT64);
    assert_int_equal(cairn_test_col_type(out, "last"), CAIRN_TYPE_FLOAT64);
    assert_int_equal(cairn_test_col_type(out, "nd"), CAIRN_TYPE_INT64);
    cairn_table_free(out);
    cairn_table_free(t);
}

static void test_int_float_stddev(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *ts = cairn_test_add(t, "ts", CAIRN_TYPE_TIMESTAMP);
    cairn_column *v = cairn_test_add(t, "v", CAIRN_TYPE_INT32);
    cairn_column *big = cairn_test_add(t, "big", CAIRN_TYPE_INT64);
    cairn_column *x = cairn_test_add(t, "x", CAIRN_TYPE_FLOAT32);
    cairn_column *huge = cairn_test_add(t, "huge", CAIRN_TYPE_INT64);
    int32_t vs[] = {2, 4, 4, 4, 5, 5, 7, 9, 0};
    for (int i = 0; i < 9; i++) {
        put_i64(ts, i, false);
        assert_int_equal(cairn_column_append_int32(v, vs[i]), 0);
        put_i64(big, ((int64_t)1 << 40) + vs[i], false);
        assert_int_equal(cairn_column_append_float32(x, (float)vs[i] + 0.5f), 0);
        put_i64(huge, (int64_t)vs[i] << 58, false); /* too wide for exact 128-bit sums */
    }
    cairn_window_spec specs[] = {
        {"sum_v", CAIRN_AGG_SUM, "v", 100},         {"sum_x", CAIRN_AGG_SUM, "x", 100},
        {"sd_v", CAIRN_AGG_STDDEV, "v", 100},       {"sd_big", CAIRN_AGG_STDDEV, "big", 100},
        {"sd_x", CAIRN_AGG_STDDEV, "x", 100},       {"mean_v", CAIRN_AGG_MEAN, "v", 100},
        {"min_x", CAIRN_AGG_MIN, "x", 3},           {"max_v", CAIRN_AGG_MAX, "v", 3},
        {"sd_huge", CAIRN_AGG_STDDEV, "huge", 100},
    };
    cairn_table *out = run_windows(t, NULL, 0, specs, 9);
    assert_int_equal(cairn_test_col_type(out, "sum_v"), CAIRN_TYPE_INT64);
    assert_int_equal(cairn_test_col_type(out, "sum_x"), CAIRN_TYPE_FLOAT64);
    assert_int_equal(cairn_test_col_type(out, "min_x"), CAIRN_TYPE_FLOAT32);
    assert_int_equal(cairn_test_col_type(out, "max_v"), CAIRN_TYPE_INT32);
    assert_string_equal(CELL(out, "sum_v", 8), "40");
    assert_string_equal(CELL(out, "sum_x", 8), "44.0");
    assert_string_equal(CELL(out, "mean_v", 8), "5.0");
    assert_string_equal(CELL(out, "sd_v", 1), "NULL");
    /* 2 4 4 4 5 5 7 9: mean 5, squared deviations 32, sample variance 32/7 */
    const cairn_column *sd = cairn_table_column_by_name(out, "sd_v");
    const cairn_column *sdb = cairn_table_column_by_name(out, "sd_big");
    const cairn_column *sdx = cairn_table_column_by_name(out, "sd_x");
    assert_true(fabs(cairn_column_f64(sd, 8) - sqrt(32.0 / 7)) < 1e-12);
    assert_true(fabs(cairn_column_f64(sdb, 8) - sqrt(32.0 / 7)) < 1e-6);
    assert_true(fabs(cairn_column_f64(sdx, 8) - sqrt(32.0 / 7)) < 1e-12);
    assert_true(fabs(cairn_column_f64(sd, 2) - sqrt(2.0)) < 1e-12);
    const cairn_column *sdh = cairn_table_column_by_name(out, "sd_huge");
    assert_true(fabs(cairn_column_f64(sdh, 8) / ldexp(sqrt(32.0 / 7), 58) - 1) < 1e-12);
    /* window 3 at t=8: rows 5, 6, 7 */
    assert_string_equal(CELL(out, "min_x", 8), "5.5");
    assert_string_equal(CELL(out, "max_v", 8), "9");
    cairn_table_free(out);
    cairn_table_free(t);
}

/* Two key columns (int and string, null in either makes a row its own entity) and a DATE32
 * time column. */
static void test_multi_key_dates(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *a = cairn_test_add(t, "a", CAIRN_TYPE_INT64);
    cairn_column *b = cairn_test_add(t, "b", CAIRN_TYPE_STRING);
    cairn_column *ts = cairn_test_add(t, "ts", CAIRN_TYPE_DATE32);
    int64_t as[] = {1, 1, 2, 1, 1, 1};
    const char *bs[] = {"x", "x", "x", "y", "x", NULL};
    int32_t days[] = {10, 12, 12, 13, 17, 18};
    for (int i = 0; i < 6; i++) {
        put_i64(a, as[i], false);
        cairn_test_put_str(b, bs[i]);
        assert_int_equal(cairn_column_append_int32(ts, days[i]), 0);
    }
    const char *keys[] = {"a", "b"};
    cairn_window_spec specs[] = {{"n7d", CAIRN_AGG_COUNT, NULL, 7 * 24 * H}};
    cairn_table *out = run_windows(t, keys, 2, specs, 1);
    const char *want[] = {"0", "1", "0", "0", "2", "0"}; /* day 17: [10, 17) holds 10, 12 */
    for (int i = 0; i < 6; i++)
        assert_string_equal(CELL(out, "n7d", i), want[i]);
    cairn_table_free(out);
    cairn_table_free(t);
}

static void test_errors(void **state)
{
    (void)state;
    cairn_table *t = one_entity(), *out = NULL;
    const char *keys[] = {"k"}, *bad_keys[] = {"nope"};
    cairn_error err;
    cairn_window_spec ok = {"n", CAIRN_AGG_COUNT, NULL, H};
    assert_int_equal(cairn_window_compute(t, bad_keys, 1, "ts", &ok, 1, &out, &err),
                     CAIRN_ENOTFOUND);
    assert_string_equal(err.field, "nope");
    assert_int_equal(cairn_window_compute(t, keys, 1, "when", &ok, 1, &out, &err), CAIRN_ENOTFOUND);
    assert_int_equal(cairn_window_compute(t, keys, 1, "k", &ok, 1, &out, &err), CAIRN_ETYPE);
    cairn_window_spec bad[] = {
        {"v", CAIRN_AGG_COUNT, NULL, H}, /* clashes with an events column */
        {"s", CAIRN_AGG_SUM, "k", H},    /* sum of strings */
        {"s", CAIRN_AGG_SUM, "zz", H},   /* unknown column */
        {"s", CAIRN_AGG_SUM, "v", 0},    /* empty window */
        {"s", CAIRN_AGG_MEAN, NULL, H},  /* no column */
        {"s", (cairn_agg)42, "v", H},    /* unknown aggregate */
    };
    int want[] = {CAIRN_EEXIST, CAIRN_ETYPE,  CAIRN_ENOTFOUND,
                  CAIRN_EINVAL, CAIRN_EINVAL, CAIRN_EINVAL};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        cairn_error_clear(&err);
        assert_int_equal(cairn_window_compute(t, keys, 1, "ts", &bad[i], 1, &out, &err), want[i]);
        assert_int_equal(err.code, want[i]);
        assert_true(err.message[0] != 0);
        assert_null(out);
    }
    cairn_window_spec twice[] = {ok, ok};
    assert_int_equal(cairn_window_compute(t, keys, 1, "ts", twice, 2, &out, &err), CAIRN_EEXIST);
    assert_null(out);
    cairn_table_free(t);
}

static void test_empty_table(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_test_add(t, "k", CAIRN_TYPE_STRING);
    cairn_test_add(t, "ts", CAIRN_TYPE_TIMESTAMP);
    cairn_test_add(t, "v", CAIRN_TYPE_FLOAT64);
    const char *keys[] = {"k"};
    cairn_window_spec specs[] = {{"n", CAIRN_AGG_COUNT, NULL, H},
                                 {"m", CAIRN_AGG_MAX, "v", H},
                                 {"s", CAIRN_AGG_MEAN, "v", H}};
    cairn_table *out = run_windows(t, keys, 1, specs, 3);
    assert_int_equal(cairn_table_num_columns(out), 6);
    cairn_table_free(out);
    cairn_table_free(t);
}

/* ------------------------------------------------------------------------------------------
 * Brute-force reference on random data
 * ---------------------------------------------------------------------------------------- */

typedef struct rnd_data {
    int64_t n;
    int64_t *by_key;    /* row numbers grouped by key (null keys left out) */
    int64_t *key_start; /* entities + 1 offsets into by_key */
    int64_t *key;       /* -1 = null */
    int64_t *ts;        /* INT64_MIN = null */
    double *x;          /* NAN = null (no NaN values otherwise) */
    int64_t *v;         /* INT64_MIN = null */
} rnd_data;

static uint64_t rng_state = 42;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static cairn_table *random_table(rnd_data *d, int64_t n, int entities, int64_t time_range)
{
    d->n = n;
    d->key = calloc((size_t)n, sizeof *d->key);
    d->ts = calloc((size_t)n, sizeof *d->ts);
    d->x = calloc((size_t)n, sizeof *d->x);
    d->v = calloc((size_t)n, sizeof *d->v);
    cairn_table *t = cairn_test_table();
    cairn_column *k = cairn_test_add(t, "k", CAIRN_TYPE_INT64);
    cairn_column *ts = cairn_test_add(t, "ts", CAIRN_TYPE_TIMESTAMP);
    cairn_column *x = cairn_test_add(t, "x", CAIRN_TYPE_FLOAT64);
    cairn_column *v = cairn_test_add(t, "v", CAIRN_TYPE_INT64);
    cairn_column *ks = cairn_test_add(t, "ks", CAIRN_TYPE_STRING);
    cairn_column *kd = cairn_test_add(t, "kd", CAIRN_TYPE_STRING);
    for (int64_t i = 0; i < n; i++) {
        d->key[i] = rnd() % 50 == 0 ? -1 : (int64_t)(rnd() % (uint64_t)entities);
        d->ts[i] = rnd() % 40 == 0 ? INT64_MIN : (int64_t)(rnd() % (uint64_t)time_range);
        d->x[i] = rnd() % 10 == 0 ? NAN : ((double)(rnd() % 2000000) - 1e6) / 1000.0 + 1e4;
        d->v[i] = rnd() % 10 == 0 ? INT64_MIN : (int64_t)(rnd() % 201) - 100;
        put_i64(k, d->key[i], d->key[i] < 0);
        put_i64(ts, d->ts[i], d->ts[i] == INT64_MIN);
        put_f64(x, d->x[i], isnan(d->x[i]));
        put_i64(v, d->v[i], d->v[i] == INT64_MIN);
        char name[32];
        snprintf(name, sizeof name, "entity-%lld", (long long)d->key[i]);
        cairn_test_put_str(ks, d->key[i] < 0 ? NULL : name);
        cairn_test_put_str(kd, d->key[i] < 0 ? NULL : name);
    }
    assert_int_equal(cairn_column_dict_encode(kd), 0);
    d->by_key = calloc((size_t)n, sizeof *d->by_key);
    d->key_start = calloc((size_t)entities + 1, sizeof *d->key_start);
    int64_t m = 0;
    for (int e = 0; e < entities; e++) {
        d->key_start[e] = m;
        for (int64_t i = 0; i < n; i++)
            if (d->key[i] == e) d->by_key[m++] = i;
    }
    d->key_start[entities] = m;
    return t;
}

static void random_free(rnd_data *d)
{
    free(d->key);
    free(d->ts);
    free(d->x);
    free(d->v);
    free(d->by_key);
    free(d->key_start);
}

/* The reference for row i over column x (or v when use_int). */
typedef struct ref_result {
    int64_t rows, count, last_row, distinct;
    double sum, mean, sd, min, max;
} ref_result;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void reference(const rnd_data *d, int64_t i, int64_t w, bool use_int, double *seen,
                      ref_result *r)
{
    memset(r, 0, sizeof *r);
    r->last_row = -1;
    if (d->key[i] < 0 || d->ts[i] == INT64_MIN) return;
    int64_t lo = d->ts[i] - w, last_ts = INT64_MIN;
    long double sum = 0;
    const int64_t *rows = d->by_key + d->key_start[d->key[i]];
    int64_t nrows = d->key_start[d->key[i] + 1] - d->key_start[d->key[i]];
    for (int64_t q = 0; q < nrows; q++) {
        int64_t j = rows[q];
        if (d->ts[j] == INT64_MIN) continue;
        if (d->ts[j] < lo || d->ts[j] >= d->ts[i]) continue;
        r->rows++;
        bool null = use_int ? d->v[j] == INT64_MIN : isnan(d->x[j]);
        if (null) continue;
        double val = use_int ? (double)d->v[j] : d->x[j];
        if (r->count == 0 || val < r->min) r->min = val;
        if (r->count == 0 || val > r->max) r->max = val;
        seen[r->count++] = val;
        sum += val;
        if (d->ts[j] >= last_ts) last_ts = d->ts[j], r->last_row = j;
    }
    qsort(seen, (size_t)r->count, sizeof *seen, cmp_double);
    for (int64_t u = 0; u < r->count; u++)
        r->distinct += u == 0 || seen[u] != seen[u - 1];
    r->sum = (double)sum;
    if (r->count == 0) return;
    r->mean = (double)(sum / r->count);
    long double m2 = 0;
    for (int64_t q = 0; q < nrows; q++) {
        int64_t j = rows[q];
        if (d->ts[j] == INT64_MIN) continue;
        if (d->ts[j] < lo || d->ts[j] >= d->ts[i]) continue;
        bool null = use_int ? d->v[j] == INT64_MIN : isnan(d->x[j]);
        if (null) continue;
        long double dv = (use_int ? (long double)d->v[j] : d->x[j]) - sum / r->count;
        m2 += dv * dv;
    }
    r->sd = r->count >= 2 ? (double)sqrtl(m2 / (r->count - 1)) : 0;
}

static void expect_float(const cairn_column *c, int64_t row, bool valid, double want,
                         double *max_diff)
{
    assert_int_equal(cairn_column_is_valid(c, row), valid);
    if (!valid) return;
    double diff = fabs(cairn_column_f64(c, row) - want);
    if (diff > *max_diff) *max_diff = diff;
    if (diff > 1e-9)
        fail_msg("%s row %lld: %.17g, want %.17g", c->name, (long long)row,
                 cairn_column_f64(c, row), want);
}

static void check_random(int64_t n, int entities, int64_t time_range, int64_t w)
{
    rnd_data d;
    cairn_table *t = random_table(&d, n, entities, time_range);
    const char *keys[] = {"k"};
    cairn_window_spec specs[] = {
        {"rows", CAIRN_AGG_COUNT, NULL, w},
        {"cnt", CAIRN_AGG_COUNT, "x", w},
        {"sum", CAIRN_AGG_SUM, "x", w},
        {"mean", CAIRN_AGG_MEAN, "x", w},
        {"sd", CAIRN_AGG_STDDEV, "x", w},
        {"min", CAIRN_AGG_MIN, "x", w},
        {"max", CAIRN_AGG_MAX, "x", w},
        {"last", CAIRN_AGG_LAST, "x", w},
        {"nd", CAIRN_AGG_APPROX_DISTINCT, "x", w},
        {"isum", CAIRN_AGG_SUM, "v", w},
        {"imean", CAIRN_AGG_MEAN, "v", w},
        {"isd", CAIRN_AGG_STDDEV, "v", w},
        {"imin", CAIRN_AGG_MIN, "v", w},
        {"ilast", CAIRN_AGG_LAST, "v", w},
        {"ind", CAIRN_AGG_APPROX_DISTINCT, "v", w},
        {"rows2", CAIRN_AGG_COUNT, NULL, w / 3 + 1},
    };
    size_t nspecs = sizeof specs / sizeof specs[0];
    cairn_table *out = run_windows(t, keys, 1, specs, nspecs);
#define COL(name) cairn_table_column_by_name(out, name)
    double max_diff = 0, *seen = malloc((size_t)n * sizeof *seen);
    for (int64_t i = 0; i < n; i++) {
        ref_result r, ri, r2;
        reference(&d, i, w, false, seen, &r);
        reference(&d, i, w, true, seen, &ri);
        reference(&d, i, w / 3 + 1, false, seen, &r2);
        assert_int_equal(cairn_column_i64(COL("rows"), i), r.rows);
        assert_int_equal(cairn_column_i64(COL("rows2"), i), r2.rows);
        assert_int_equal(cairn_column_i64(COL("cnt"), i), r.count);
        assert_int_equal(cairn_column_i64(COL("nd"), i), r.distinct);
        assert_int_equal(cairn_column_i64(COL("ind"), i), ri.distinct);
        expect_float(COL("sum"), i, r.count > 0, r.sum, &max_diff);
        expect_float(COL("mean"), i, r.count > 0, r.mean, &max_diff);
        expect_float(COL("sd"), i, r.count > 1, r.sd, &max_diff);
        expect_float(COL("min"), i, r.count > 0, r.min, &max_diff);
        expect_float(COL("max"), i, r.count > 0, r.max, &max_diff);
        expect_float(COL("last"), i, r.count > 0, r.count ? d.x[r.last_row] : 0, &max_diff);
        expect_float(COL("imean"), i, ri.count > 0, ri.mean, &max_diff);
        expect_float(COL("isd"), i, ri.count > 1, ri.sd, &max_diff);
        assert_int_equal(cairn_column_is_valid(COL("isum"), i), ri.count > 0);
        assert_int_equal(cairn_column_is_valid(COL("imin"), i), ri.count > 0);
        assert_int_equal(cairn_column_is_valid(COL("ilast"), i), ri.count > 0);
        if (ri.count > 0) {
            assert_int_equal(cairn_column_i64(COL("isum"), i), (int64_t)ri.sum);
            assert_int_equal(cairn_column_i64(COL("imin"), i), (int64_t)ri.min);
            assert_int_equal(cairn_column_i64(COL("ilast"), i), d.v[ri.last_row]);
        }
    }
#undef COL
    free(seen);
    /* the same entities keyed by plain and by dictionary strings give the same columns */
    for (int s = 0; s < 2; s++) {
        const char *skeys[] = {s ? "kd" : "ks"};
        cairn_table *out2 = run_windows(t, skeys, 1, specs, nspecs);
        for (size_t i = 0; i < nspecs; i++) {
            const cairn_column *a = cairn_table_column_by_name(out, specs[i].output);
            const cairn_column *b = cairn_table_column_by_name(out2, specs[i].output);
            for (int64_t r = 0; r < n; r++) {
                assert_int_equal(cairn_column_is_valid(a, r), cairn_column_is_valid(b, r));
                assert_memory_equal((const char *)a->values + r * 8,
                                    (const char *)b->values + r * 8, 8);
            }
        }
        cairn_table_free(out2);
    }
    print_message("random n=%lld entities=%d w=%lld: max abs diff %.3g\n", (long long)n, entities,
                  (long long)w, max_diff);
    cairn_table_free(out);
    cairn_table_free(t);
    random_free(&d);
}

static void test_random_reference(void **state)
{
    (void)state;
    check_random(3000, 7, 600, 50);       /* many duplicated timestamps, short windows */
    check_random(3000, 3, 100000, 30000); /* long windows: many removals, drift guards */
    check_random(2500, 1, 50, 1000);      /* the window covers everything before t */
    check_random(40000, 40, 4000, 300);   /* entities spread over several tasks */
}

/* ------------------------------------------------------------------------------------------
 * Allocation failures
 * ---------------------------------------------------------------------------------------- */

static int compute_all(const cairn_table *t, cairn_table **out)
{
    const char *keys[] = {"k"};
    cairn_window_spec specs[] = {
        {"rows", CAIRN_AGG_COUNT, NULL, 100},
        {"sd", CAIRN_AGG_STDDEV, "x", 100},
        {"min", CAIRN_AGG_MIN, "x", 100},
        {"last", CAIRN_AGG_LAST, "v", 100},
        {"nd", CAIRN_AGG_APPROX_DISTINCT, "x", 100},
        {"isum", CAIRN_AGG_SUM, "v", 100},
    };
    return cairn_window_compute(t, keys, 1, "ts", specs, 6, out, NULL);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    rnd_data d;
    cairn_table *t = random_table(&d, 500, 4, 1000), *out = NULL;
    assert_int_equal(compute_all(t, &out), 0); /* creates the default pool first */
    cairn_table_free(out);
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks(), failures = 0;
    for (int64_t nth = 1;; nth++) {
        out = NULL;
        cairn_testalloc_fail_at(nth, false);
        int rc = compute_all(t, &out);
        cairn_testalloc_fail_at(0, false);
        if (rc) {
            assert_int_equal(rc, CAIRN_ENOMEM);
            assert_null(out);
            assert_int_equal(cairn_testalloc_live_blocks(), base);
            failures++;
            continue;
        }
        cairn_table_free(out);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        break;
    }
    assert_true(failures > 20);
    cairn_testalloc_uninstall();
    cairn_table_free(t);
    random_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agg_names),          cmocka_unit_test(test_ties_and_boundary),
        cmocka_unit_test(test_entities_and_nulls), cmocka_unit_test(test_int_float_stddev),
        cmocka_unit_test(test_multi_key_dates),    cmocka_unit_test(test_errors),
        cmocka_unit_test(test_empty_table),        cmocka_unit_test(test_random_reference),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
