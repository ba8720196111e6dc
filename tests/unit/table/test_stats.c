/* Tests of src/table/stats.c: hand-computed statistics of a small table of every type,
 * dictionary columns, empty and single-value columns, Welford mean/stddev against a naive
 * two-pass computation on random data, and allocation failures. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cairn_column_stats *find(const cairn_column_stats *st, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(st[i].name, name) == 0) return &st[i];
    fail_msg("no stats for %s", name);
    return NULL;
}

static void assert_near(double got, double want)
{
    if (fabs(got - want) > 1e-12 * (1 + fabs(want))) fail_msg("got %.17g, want %.17g", got, want);
}

/* 7 rows of every kind. */
static cairn_table *small_table(void)
{
    cairn_table *t = cairn_test_table();
    cairn_column *i = cairn_test_add(t, "i", CAIRN_TYPE_INT64), *f = cairn_test_add(t, "f", CAIRN_TYPE_FLOAT64);
    cairn_column *s = cairn_test_add(t, "s", CAIRN_TYPE_STRING), *b = cairn_test_add(t, "b", CAIRN_TYPE_BOOL);
    cairn_column *ts = cairn_test_add(t, "ts", CAIRN_TYPE_TIMESTAMP), *d = cairn_test_add(t, "d", CAIRN_TYPE_DATE32);
    cairn_column *f32 = cairn_test_add(t, "f32", CAIRN_TYPE_FLOAT32);
    int64_t iv[] = {1, 2, -1, 4, 2, 2, 1};           /* -1 = null */
    double fv[] = {1.5, NAN, -0.0, 0.0, 99, 1.5, 3}; /* 99 = null */
    const char *sv[] = {"b", "a", "b", NULL, "c", "b", "a"};
    int bv[] = {1, 0, 1, -1, 1, -1, 0};
    int64_t big = (INT64_C(1) << 60) + 1;
    for (int r = 0; r < 7; r++) {
        if (iv[r] < 0)
            assert_int_equal(cairn_column_append_null(i), 0);
        else
            assert_int_equal(cairn_column_append_int64(i, iv[r]), 0);
        if (fv[r] == 99)
            assert_int_equal(cairn_column_append_null(f), 0);
        else
            assert_int_equal(cairn_column_append_float64(f, fv[r]), 0);
        cairn_test_put_str(s, sv[r]);
        if (bv[r] < 0)
            assert_int_equal(cairn_column_append_null(b), 0);
        else
            assert_int_equal(cairn_column_append_bool(b, bv[r]), 0);
        assert_int_equal(cairn_column_append_int64(ts, big + r % 3), 0);
        if (r == 0)
            assert_int_equal(cairn_column_append_null(d), 0);
        else
            assert_int_equal(cairn_column_append_int32(d, 10000 - r), 0);
        assert_int_equal(cairn_column_append_float32(f32, (float)r / 2), 0);
    }
    return t;
}

static void test_small_table(void **state)
{
    (void)state;
    cairn_table *t = small_table();
    cairn_column_stats *st;
    size_t n;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_table_stats(t, 0, &st, &n, &err), &err);
    assert_int_equal(n, 7);

    /* i: 1 2 null 4 2 2 1 -> values 1 2 4 2 2 1 */
    const cairn_column_stats *s = find(st, n, "i");
    assert_int_equal(s->type, CAIRN_TYPE_INT64);
    assert_int_equal(s->count, 7);
    assert_int_equal(s->nulls, 1);
    assert_int_equal(s->distinct, 3);
    assert_true(s->has_minmax);
    assert_int_equal(s->min.v.i64, 1);
    assert_int_equal(s->max.v.i64, 4);
    assert_true(s->has_mean);
    assert_near(s->mean, 2.0);
    assert_near(s->sum, 12.0);
    assert_near(s->stddev, sqrt(6.0 / 5.0)); /* squares 1 0 4 0 0 1 over n - 1 = 5 */
    assert_int_equal(s->top_count, 0);

    /* f: 1.5 NaN -0.0 0.0 null 1.5 3 -> NaN apart: 1.5 0 0 1.5 3 */
    s = find(st, n, "f");
    assert_int_equal(s->nulls, 1);
    assert_int_equal(s->distinct, 4); /* 1.5, NaN, 0, 3 */
    assert_true(s->min.v.f64 == 0.0);
    assert_true(s->max.v.f64 == 3.0);
    assert_near(s->mean, 6.0 / 5);
    assert_near(s->sum, 6.0);
    assert_near(s->stddev, sqrt((0.09 + 1.44 + 1.44 + 0.09 + 3.24) / 4));

    /* s: b a b null c b a */
    s = find(st, n, "s");
    assert_int_equal(s->nulls, 1);
    assert_int_equal(s->distinct, 3);
    assert_false(s->has_mean);
    assert_string_equal(s->min.v.str.ptr, "a");
    assert_string_equal(s->max.v.str.ptr, "c");
    assert_int_equal(s->max.v.str.len, 1);
    assert_int_equal(s->top_count, 3);
    assert_string_equal(s->top[0].value, "b");
    assert_int_equal(s->top[0].count, 3);
    assert_string_equal(s->top[1].value, "a");
    assert_int_equal(s->top[1].count, 2);
    assert_string_equal(s->top[2].value, "c");
    assert_int_equal(s->top[2].len, 1);

    /* b: true false true null true null false */
    s = find(st, n, "b");
    assert_int_equal(s->nulls, 2);
    assert_int_equal(s->distinct, 2);
    assert_false(s->min.v.b);
    assert_true(s->max.v.b);
    assert_near(s->mean, 0.6);
    assert_near(s->sum, 3);
    assert_int_equal(s->top_count, 2);
    assert_string_equal(s->top[0].value, "true");
    assert_int_equal(s->top[0].count, 3);
    assert_string_equal(s->top[1].value, "false");

    /* ts: exact past 2^53 */
    s = find(st, n, "ts");
    assert_int_equal(s->distinct, 3);
    assert_int_equal(s->min.v.i64, (INT64_C(1) << 60) + 1);
    assert_int_equal(s->max.v.i64, (INT64_C(1) << 60) + 3);
    assert_false(s->has_mean);
    assert_int_equal(s->top_count, 0);

    s = find(st, n, "d");
    assert_int_equal(s->min.type, CAIRN_TYPE_DATE32);
    assert_int_equal(s->min.v.i32, 9994);
    assert_int_equal(s->max.v.i32, 9999);
    assert_int_equal(s->nulls, 1);

    s = find(st, n, "f32");
    assert_true(s->min.v.f32 == 0.0f);
    assert_true(s->max.v.f32 == 3.0f);
    assert_near(s->mean, 1.5);
    cairn_table_stats_free(st, n);

    /* top_k 1; the dictionary form agrees with the plain one */
    assert_int_equal(cairn_column_dict_encode(cairn_table_column_by_name(t, "s")), 0);
    CAIRN_ASSERT_OK(cairn_table_stats(t, 1, &st, &n, NULL), NULL);
    s = find(st, n, "s");
    assert_int_equal(s->distinct, 3);
    assert_int_equal(s->top_count, 1);
    assert_string_equal(s->top[0].value, "b");
    assert_string_equal(s->min.v.str.ptr, "a");
    assert_int_equal(find(st, n, "b")->top_count, 1);
    cairn_table_stats_free(st, n);
    cairn_table_free(t);
}

static void test_ties_empty_single(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *s = cairn_test_add(t, "s", CAIRN_TYPE_STRING), *x = cairn_test_add(t, "x", CAIRN_TYPE_FLOAT64);
    cairn_column *e = cairn_test_add(t, "e", CAIRN_TYPE_INT32);
    cairn_test_put_str(s, "y");
    cairn_test_put_str(s, "x");
    cairn_test_put_str(s, "");
    assert_int_equal(cairn_column_append_float64(x, 2.5), 0);
    assert_int_equal(cairn_column_append_null(x), 0);
    assert_int_equal(cairn_column_append_null(x), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cairn_column_append_null(e), 0);
    cairn_column_stats *st;
    size_t n;
    CAIRN_ASSERT_OK(cairn_table_stats(t, 10, &st, &n, NULL), NULL);
    /* equal counts: by value ascending, the empty string first */
    assert_int_equal(st[0].top_count, 3);
    assert_string_equal(st[0].top[0].value, "");
    assert_string_equal(st[0].top[1].value, "x");
    assert_string_equal(st[0].top[2].value, "y");
    assert_int_equal(st[0].min.v.str.len, 0);
    /* a single value: mean, but no sample deviation */
    assert_true(st[1].has_mean);
    assert_near(st[1].mean, 2.5);
    assert_true(isnan(st[1].stddev));
    /* all null */
    assert_int_equal(st[2].nulls, 3);
    assert_int_equal(st[2].distinct, 0);
    assert_false(st[2].has_minmax);
    assert_false(st[2].has_mean);
    cairn_table_stats_free(st, n);
    cairn_table_free(t);

    t = cairn_test_table();
    CAIRN_ASSERT_OK(cairn_table_stats(t, 0, &st, &n, NULL), NULL);
    assert_int_equal(n, 0);
    cairn_table_stats_free(st, n);
    cairn_table_free(t);
}

/* Welford against the naive two-pass formulas, on values with a large common offset. */
static void test_moments_against_two_pass(void **state)
{
    (void)state;
    srand(1234);
    cairn_table *t = cairn_test_table();
    cairn_column *x = cairn_test_add(t, "x", CAIRN_TYPE_FLOAT64), *k = cairn_test_add(t, "k", CAIRN_TYPE_INT64);
    enum { N = 50000 };
    double *vals = malloc(N * sizeof *vals);
    int64_t *ints = malloc(N * sizeof *ints);
    for (int i = 0; i < N; i++) {
        vals[i] = 1e6 + (double)rand() / RAND_MAX * 10 - 5;
        ints[i] = rand() % 1000 - 500;
        assert_int_equal(cairn_column_append_float64(x, vals[i]), 0);
        assert_int_equal(cairn_column_append_int64(k, ints[i]), 0);
    }
    double sum = 0, isum = 0;
    for (int i = 0; i < N; i++)
        sum += vals[i], isum += (double)ints[i];
    double mean = sum / N, imean = isum / N, ss = 0, iss = 0;
    for (int i = 0; i < N; i++) {
        ss += (vals[i] - mean) * (vals[i] - mean);
        iss += ((double)ints[i] - imean) * ((double)ints[i] - imean);
    }
    cairn_column_stats *st;
    size_t n;
    CAIRN_ASSERT_OK(cairn_table_stats(t, 0, &st, &n, NULL), NULL);
    assert_true(fabs(st[0].mean - mean) <= 1e-9 * fabs(mean));
    assert_true(fabs(st[0].stddev - sqrt(ss / (N - 1))) <= 1e-8 * sqrt(ss / (N - 1)));
    assert_true(fabs(st[0].sum - sum) <= 1e-9 * fabs(sum));
    assert_true(fabs(st[1].mean - imean) <= 1e-9 * (1 + fabs(imean)));
    assert_true(fabs(st[1].stddev - sqrt(iss / (N - 1))) <= 1e-9 * sqrt(iss / (N - 1)));
    assert_true(st[1].sum == isum);
    assert_int_equal(st[1].distinct, 1000);
    assert_int_equal(st[0].count, N);
    cairn_table_stats_free(st, n);
    free(vals);
    free(ints);
    cairn_table_free(t);
}

/* Many distinct strings: exact distinct count and a top list under heavy ties. */
static void test_many_strings(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *s = cairn_test_add(t, "s", CAIRN_TYPE_STRING);
    for (int i = 0; i < 20000; i++) {
        char text[16];
        int len = snprintf(text, sizeof text, "v%05d", i % 5000);
        assert_int_equal(cairn_column_append_string(s, text, (size_t)len), 0);
    }
    cairn_test_put_str(s, "v04999");
    cairn_column_stats *st;
    size_t n;
    CAIRN_ASSERT_OK(cairn_table_stats(t, 3, &st, &n, NULL), NULL);
    assert_int_equal(st[0].distinct, 5000);
    assert_string_equal(st[0].top[0].value, "v04999");
    assert_int_equal(st[0].top[0].count, 5);
    assert_string_equal(st[0].top[1].value, "v00000");
    assert_string_equal(st[0].top[2].value, "v00001");
    assert_string_equal(st[0].min.v.str.ptr, "v00000");
    assert_string_equal(st[0].max.v.str.ptr, "v04999");
    cairn_table_stats_free(st, n);
    cairn_table_free(t);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    cairn_testalloc_install();
    cairn_table *t = small_table();
    assert_int_equal(cairn_column_dict_encode(cairn_table_column_by_name(t, "s")), 0);
    int64_t base = cairn_testalloc_live_blocks();
    for (int64_t k = 1;; k++) {
        cairn_column_stats *st = NULL;
        size_t n = 0;
        cairn_testalloc_fail_at(k, false);
        int rc = cairn_table_stats(t, 2, &st, &n, NULL);
        cairn_testalloc_fail_at(0, false);
        if (rc) {
            assert_int_equal(rc, CAIRN_ENOMEM);
            assert_int_equal(cairn_testalloc_live_blocks(), base);
            continue;
        }
        cairn_table_stats_free(st, n);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        break;
    }
    cairn_table_free(t);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_table),
        cmocka_unit_test(test_ties_empty_single),
        cmocka_unit_test(test_moments_against_two_pass),
        cmocka_unit_test(test_many_strings),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
