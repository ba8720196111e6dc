/* tests/unit/feature/test_stats.c: per-feature statistics and the PSI of src/feature/stats.c.
 *
 * The PSI on small hand-computed histograms (an empty bin floored at 1e-4); identical
 * distributions give 0; a shifted one is "major"; numeric summaries and decile bins against
 * values worked out by hand (numpy's linear quantiles); binning on the previous version's
 * edges, with empty bins; categorical bins (top 20 + "__other__", new categories counted as
 * other, bools); kind changes and malformed previous statistics; the catalog record and the
 * history; every allocation failing in turn.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "feature/stats_internal.h"

/* ------------------------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------------------------- */

static cairn_table *csv(const char *text)
{
    cairn_read_options opts;
    cairn_read_options_init(&opts);
    opts.threads = 1;
    cairn_table *t;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_csv_read(text, strlen(text), "t.csv", &opts, &t, &e), &e);
    return t;
}

/* A one-column float64 table x = values. */
static cairn_table *numbers(const double *v, size_t n)
{
    cairn_table *t = cairn_test_table();
    cairn_column *c = cairn_test_add(t, "x", CAIRN_TYPE_FLOAT64);
    for (size_t i = 0; i < n; i++) assert_int_equal(cairn_column_append_float64(c, v[i]), 0);
    return t;
}

static json_t *stats(const cairn_table *t, const char *column, const json_t *previous)
{
    json_t *out = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    const char *cols[] = {column};
    CAIRN_ASSERT_OK(cairn_feature_stats_compute(t, cols, 1, previous, &out, &e), &e);
    return out;
}

static const json_t *col0(const json_t *s) { return json_array_get(json_object_get(s, "columns"), 0); }

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

static int64_t count_at(const json_t *c, size_t i)
{
    return json_integer_value(json_array_get(json_object_get(c, "bin_counts"), i));
}

/* ------------------------------------------------------------------------------------------
 * PSI
 * ---------------------------------------------------------------------------------------- */

static void test_psi_hand_computed(void **state)
{
    (void)state;
    /* a = (.5, .5, 0 -> 1e-4), e = (.4, .4, .2):
     * 2 * (.1 * ln 1.25) + (1e-4 - .2) * ln(1e-4 / .2) = 1.5640491119253044 */
    int64_t actual[] = {5, 5, 0}, expected[] = {4, 4, 2};
    double psi = cairn_feature_psi(actual, expected, 3);
    assert_true(fabs(psi - 1.5640491119253044) < 1e-12);
    assert_string_equal(cairn_feature_psi_level(psi), "major");
    /* small shift: a = (.45, .55), e = (.5, .5): 2 * .05 * ln(1.1 / .9)... computed exactly */
    int64_t a2[] = {45, 55}, e2[] = {50, 50};
    double want = (0.45 - 0.5) * log(0.45 / 0.5) + (0.55 - 0.5) * log(0.55 / 0.5);
    assert_true(fabs(cairn_feature_psi(a2, e2, 2) - want) < 1e-15);
    assert_string_equal(cairn_feature_psi_level(want), "stable"); /* 0.0050 */
    /* identical proportions (different totals) give exactly 0 */
    int64_t a3[] = {1, 2, 3, 0}, e3[] = {10, 20, 30, 0};
    assert_true(cairn_feature_psi(a3, e3, 4) == 0.0);
    /* no data on either side: NaN, no level */
    int64_t zero[] = {0, 0};
    assert_true(isnan(cairn_feature_psi(zero, e2, 2)));
    assert_true(isnan(cairn_feature_psi(a2, zero, 2)));
    assert_null(cairn_feature_psi_level(NAN));
    /* the boundaries */
    assert_string_equal(cairn_feature_psi_level(0.0999), "stable");
    assert_string_equal(cairn_feature_psi_level(0.1), "moderate");
    assert_string_equal(cairn_feature_psi_level(0.2499), "moderate");
    assert_string_equal(cairn_feature_psi_level(0.25), "major");
}

/* ------------------------------------------------------------------------------------------
 * Numeric columns
 * ---------------------------------------------------------------------------------------- */

static const double one_to_ten[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

static void test_numeric_summary_and_bins(void **state)
{
    (void)state;
    cairn_table *t = numbers(one_to_ten, 10);
    json_t *s = stats(t, "x", NULL);
    const json_t *c = col0(s);
    assert_string_equal(json_string_value(json_object_get(c, "name")), "x");
    assert_string_equal(json_string_value(json_object_get(c, "type")), "float64");
    assert_string_equal(json_string_value(json_object_get(c, "kind")), "numeric");
    assert_int_equal(json_integer_value(json_object_get(c, "count")), 10);
    assert_int_equal(json_integer_value(json_object_get(c, "nulls")), 0);
    assert_true(fabs(num(c, "mean") - 5.5) < 1e-12);
    assert_true(fabs(num(c, "stddev") - 3.0276503540974917) < 1e-12);
    assert_true(num(c, "min") == 1 && num(c, "max") == 10);
    const json_t *q = json_object_get(c, "quantiles");
    /* numpy.quantile(1..10, q): h = 9q, linear between neighbours */
    assert_true(fabs(num(q, "p01") - 1.09) < 1e-12);
    assert_true(fabs(num(q, "p25") - 3.25) < 1e-12);
    assert_true(fabs(num(q, "p50") - 5.5) < 1e-12);
    assert_true(fabs(num(q, "p75") - 7.75) < 1e-12);
    assert_true(fabs(num(q, "p99") - 9.91) < 1e-12);
    /* deciles 1.9, 2.8, ..., 9.1; one value per bin */
    const json_t *bins = json_object_get(c, "bins");
    assert_int_equal(json_array_size(bins), 9);
    for (size_t i = 0; i < 9; i++)
        assert_true(fabs(json_number_value(json_array_get(bins, i)) - (1.0 + 0.9 * (double)(i + 1))) < 1e-12);
    assert_int_equal(json_array_size(json_object_get(c, "bin_counts")), 10);
    for (size_t i = 0; i < 10; i++) assert_int_equal(count_at(c, i), 1);
    assert_true(json_is_null(json_object_get(c, "psi")));
    assert_true(json_is_null(json_object_get(c, "psi_level")));
    json_decref(s);
    cairn_table_free(t);
}

static void test_identical_gives_zero(void **state)
{
    (void)state;
    cairn_table *t = numbers(one_to_ten, 10);
    json_t *prev = stats(t, "x", NULL);
    json_t *s = stats(t, "x", prev);
    const json_t *c = col0(s);
    assert_true(num(c, "psi") == 0.0);
    assert_string_equal(json_string_value(json_object_get(c, "psi_level")), "stable");
    /* the previous edges are kept */
    assert_true(json_equal(json_object_get(c, "bins"), json_object_get(col0(prev), "bins")));
    json_decref(s);
    json_decref(prev);
    cairn_table_free(t);
}

static void test_shift_is_major(void **state)
{
    (void)state;
    double shifted[10];
    for (size_t i = 0; i < 10; i++) shifted[i] = one_to_ten[i] + 10;
    cairn_table *t0 = numbers(one_to_ten, 10), *t1 = numbers(shifted, 10);
    json_t *prev = stats(t0, "x", NULL);
    json_t *s = stats(t1, "x", prev);
    const json_t *c = col0(s);
    /* every value is >= 9.1: bin 9 holds them all; nine empty bins floored at 1e-4:
     * 9 * (1e-4 - .1) * ln(1e-3) + .9 * ln 10 = 8.283089355027482 */
    for (size_t i = 0; i < 9; i++) assert_int_equal(count_at(c, i), 0);
    assert_int_equal(count_at(c, 9), 10);
    assert_true(fabs(num(c, "psi") - 8.283089355027482) < 1e-12);
    assert_string_equal(json_string_value(json_object_get(c, "psi_level")), "major");
    json_decref(s);
    json_decref(prev);
    cairn_table_free(t0);
    cairn_table_free(t1);
}

static void test_empty_bins_hand_computed(void **state)
{
    (void)state;
    /* against the deciles of 1..10, {1,1,2,2,3,3,4,4,5,5} fills bins 0..4 with 2 each:
     * 5 * .1 * ln 2 + 5 * (1e-4 - .1) * ln(1e-3) = 3.7969973521315503 */
    const double v[] = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5};
    cairn_table *t0 = numbers(one_to_ten, 10), *t1 = numbers(v, 10);
    json_t *prev = stats(t0, "x", NULL);
    json_t *s = stats(t1, "x", prev);
    const json_t *c = col0(s);
    for (size_t i = 0; i < 10; i++) assert_int_equal(count_at(c, i), i < 5 ? 2 : 0);
    assert_true(fabs(num(c, "psi") - 3.7969973521315503) < 1e-12);
    json_decref(s);
    json_decref(prev);
    cairn_table_free(t0);
    cairn_table_free(t1);
}

static void test_nulls_ints_and_no_values(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *ca = cairn_test_add(t, "a", CAIRN_TYPE_INT64), *cb = cairn_test_add(t, "b", CAIRN_TYPE_FLOAT64);
    const int64_t av[] = {1, 2, -1, 4};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(av[i] < 0 ? cairn_column_append_null(ca) : cairn_column_append_int64(ca, av[i]), 0);
        /* NaN counts as null */
        assert_int_equal(i == 3 ? cairn_column_append_float64(cb, NAN) : cairn_column_append_null(cb), 0);
    }
    json_t *s = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    const char *cols[] = {"a", "b"};
    CAIRN_ASSERT_OK(cairn_feature_stats_compute(t, cols, 2, NULL, &s, &e), &e);
    const json_t *a = json_array_get(json_object_get(s, "columns"), 0);
    const json_t *b = json_array_get(json_object_get(s, "columns"), 1);
    assert_string_equal(json_string_value(json_object_get(a, "type")), "int64");
    assert_int_equal(json_integer_value(json_object_get(a, "count")), 4);
    assert_int_equal(json_integer_value(json_object_get(a, "nulls")), 1);
    assert_true(fabs(num(a, "mean") - 7.0 / 3) < 1e-12);
    /* an all-null column: no summary, no bins */
    assert_int_equal(json_integer_value(json_object_get(b, "nulls")), 4);
    assert_true(json_is_null(json_object_get(b, "mean")));
    assert_true(json_is_null(json_object_get(json_object_get(b, "quantiles"), "p50")));
    assert_int_equal(json_array_size(json_object_get(b, "bins")), 0);
    assert_int_equal(json_array_size(json_object_get(b, "bin_counts")), 0);
    /* against an empty previous: bins from this data, no PSI */
    json_t *s2 = NULL;
    const char *cols_b[] = {"b"};
    json_t *prev = json_pack("{s:[O]}", "columns", b);
    json_object_set_new(json_array_get(json_object_get(prev, "columns"), 0), "name", json_string("a"));
    const char *cols_a[] = {"a"};
    CAIRN_ASSERT_OK(cairn_feature_stats_compute(t, cols_a, 1, prev, &s2, &e), &e);
    assert_int_equal(json_array_size(json_object_get(col0(s2), "bins")), 9);
    assert_true(json_is_null(json_object_get(col0(s2), "psi")));
    json_decref(s2);
    /* an all-null column against a previous with data: its edges, zero counts, no PSI */
    json_t *pa = stats(t, "a", NULL);
    json_object_set_new(json_array_get(json_object_get(pa, "columns"), 0), "name", json_string("b"));
    CAIRN_ASSERT_OK(cairn_feature_stats_compute(t, cols_b, 1, pa, &s2, &e), &e);
    assert_int_equal(json_array_size(json_object_get(col0(s2), "bins")), 9);
    assert_int_equal(count_at(col0(s2), 0), 0);
    assert_true(json_is_null(json_object_get(col0(s2), "psi")));
    json_decref(s2);
    json_decref(pa);
    json_decref(prev);
    json_decref(s);
    cairn_table_free(t);
}

/* ------------------------------------------------------------------------------------------
 * Categorical columns
 * ---------------------------------------------------------------------------------------- */

static void test_categorical_bins(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *c = cairn_test_add(t, "s", CAIRN_TYPE_STRING);
    const char *vals[] = {"b", "a", "a", NULL, "c", "b", "a"};
    for (size_t i = 0; i < 7; i++) cairn_test_put_str(c, vals[i]);
    json_t *s = stats(t, "s", NULL);
    const json_t *o = col0(s);
    assert_string_equal(json_string_value(json_object_get(o, "kind")), "categorical");
    assert_int_equal(json_integer_value(json_object_get(o, "count")), 7);
    assert_int_equal(json_integer_value(json_object_get(o, "nulls")), 1);
    assert_true(json_is_null(json_object_get(o, "mean")));
    json_t *want = json_pack("[s,s,s,s]", "a", "b", "c", "__other__");
    assert_true(json_equal(json_object_get(o, "bins"), want));
    json_decref(want);
    want = json_pack("[i,i,i,i]", 3, 2, 1, 0);
    assert_true(json_equal(json_object_get(o, "bin_counts"), want));
    json_decref(want);

    /* the next version: a x2, b x2, d x2 (new: counted as __other__), against (3, 2, 1, 0)/6 */
    cairn_table *t2 = cairn_test_table();
    cairn_column *c2 = cairn_test_add(t2, "s", CAIRN_TYPE_STRING);
    const char *vals2[] = {"a", "b", "d", "a", "b", "d"};
    for (size_t i = 0; i < 6; i++) cairn_test_put_str(c2, vals2[i]);
    json_t *s2 = stats(t2, "s", s);
    const json_t *o2 = col0(s2);
    want = json_pack("[s,s,s,s]", "a", "b", "c", "__other__");
    assert_true(json_equal(json_object_get(o2, "bins"), want));
    json_decref(want);
    want = json_pack("[i,i,i,i]", 2, 2, 0, 2);
    assert_true(json_equal(json_object_get(o2, "bin_counts"), want));
    json_decref(want);
    double a[] = {2.0 / 6, 2.0 / 6, 1e-4, 2.0 / 6}, e[] = {3.0 / 6, 2.0 / 6, 1.0 / 6, 1e-4}, psi = 0;
    for (size_t i = 0; i < 4; i++) psi += (a[i] - e[i]) * log(a[i] / e[i]);
    assert_true(fabs(num(o2, "psi") - psi) < 1e-12);
    assert_string_equal(json_string_value(json_object_get(o2, "psi_level")), "major");
    json_decref(s2);
    json_decref(s);
    cairn_table_free(t);
    cairn_table_free(t2);
}

static void test_categorical_top20_and_bools(void **state)
{
    (void)state;
    /* 25 values, value k appearing k + 1 times, plus the literal "__other__" 30 times: the 20
     * most frequent (v24 .. v05) are bins; v00 .. v04 (15 rows) and "__other__" go to other */
    cairn_table *t = cairn_test_table();
    cairn_column *c = cairn_test_add(t, "s", CAIRN_TYPE_STRING);
    char name[16];
    for (int k = 0; k < 25; k++) {
        snprintf(name, sizeof name, "v%02d", k);
        for (int r = 0; r <= k; r++) cairn_test_put_str(c, name);
    }
    for (int r = 0; r < 30; r++) cairn_test_put_str(c, "__other__");
    json_t *s = stats(t, "s", NULL);
    const json_t *o = col0(s);
    const json_t *bins = json_object_get(o, "bins");
    assert_int_equal(json_array_size(bins), 21);
    assert_string_equal(json_string_value(json_array_get(bins, 0)), "v24");
    assert_string_equal(json_string_value(json_array_get(bins, 19)), "v05");
    assert_string_equal(json_string_value(json_array_get(bins, 20)), "__other__");
    assert_int_equal(count_at(o, 0), 25);
    assert_int_equal(count_at(o, 20), 15 + 30);
    json_decref(s);
    cairn_table_free(t);

    /* ties by bytes; bools as "true"/"false" */
    cairn_table *b = csv("f\ntrue\nfalse\ntrue\nfalse\n\n");
    s = stats(b, "f", NULL);
    o = col0(s);
    assert_string_equal(json_string_value(json_object_get(o, "type")), "bool");
    json_t *want = json_pack("[s,s,s]", "false", "true", "__other__");
    assert_true(json_equal(json_object_get(o, "bins"), want));
    json_decref(want);
    assert_int_equal(count_at(o, 0), 2);
    assert_int_equal(count_at(o, 1), 2);
    json_decref(s);
    cairn_table_free(b);
}

/* ------------------------------------------------------------------------------------------
 * Kind changes and errors
 * ---------------------------------------------------------------------------------------- */

static void test_kind_change_and_errors(void **state)
{
    (void)state;
    cairn_table *t = csv("x,s\n1,a\n2,b\n");
    json_t *prev = stats(t, "s", NULL);
    /* the previous "s" was categorical; a numeric "s" now has no PSI */
    json_object_set_new(json_array_get(json_object_get(prev, "columns"), 0), "name", json_string("x"));
    json_t *s = stats(t, "x", prev);
    assert_true(json_is_null(json_object_get(col0(s), "psi")));
    assert_int_equal(json_array_size(json_object_get(col0(s), "bins")), 9);
    json_decref(s);
    json_decref(prev);

    cairn_error e;
    cairn_error_clear(&e);
    json_t *out = (json_t *)1;
    const char *missing[] = {"nope"};
    assert_int_equal(cairn_feature_stats_compute(t, missing, 1, NULL, &out, &e), CAIRN_ENOTFOUND);
    assert_null(out);
    assert_non_null(strstr(e.message, "nope"));

    json_t *bad = json_pack("{s:i}", "columns", 3);
    const char *x[] = {"x"};
    cairn_error_clear(&e);
    assert_int_equal(cairn_feature_stats_compute(t, x, 1, bad, &out, &e), CAIRN_EINVAL);
    json_decref(bad);
    bad = json_pack("{s:[{s:s, s:s, s:[i], s:[i]}]}", "columns", "name", "x", "kind", "numeric", "bins", 1,
                    "bin_counts", 1);
    cairn_error_clear(&e);
    assert_int_equal(cairn_feature_stats_compute(t, x, 1, bad, &out, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "columns[0].bins"));
    json_decref(bad);
    json_t *good = stats(t, "x", NULL);
    json_array_set_new(json_object_get(col0(good), "bin_counts"), 0, json_string("many"));
    cairn_error_clear(&e);
    assert_int_equal(cairn_feature_stats_compute(t, x, 1, good, &out, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "columns[0].bin_counts[0]"));
    json_decref(good);
    cairn_table_free(t);
}

/* ------------------------------------------------------------------------------------------
 * The catalog record and the history
 * ---------------------------------------------------------------------------------------- */

static void test_record_and_history(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/home", cairn_test_tmpdir("stats"));
    cairn_error e;
    cairn_error_clear(&e);
    bool created;
    cairn_home *home;
    CAIRN_ASSERT_OK(cairn_home_init(dir, &created, &e), &e);
    CAIRN_ASSERT_OK(cairn_home_open(dir, &home, &e), &e);
    double shifted[10];
    for (size_t i = 0; i < 10; i++) shifted[i] = one_to_ten[i] + 10;
    cairn_table *t0 = numbers(one_to_ten, 10), *t1 = numbers(shifted, 10);
    const char *cols[] = {"x"}, *feats[] = {"v:x"};
    CAIRN_ASSERT_OK(cairn__feature_stats_record(home, "training_set", "svc", "id1", t0, cols, feats, 1, &e), &e);
    CAIRN_ASSERT_OK(cairn__feature_stats_record(home, "training_set", "svc", "id2", t1, cols, feats, 1, &e), &e);
    /* recording a version again replaces its rows, and compares with the other version */
    CAIRN_ASSERT_OK(cairn__feature_stats_record(home, "training_set", "svc", "id2", t1, cols, feats, 1, &e), &e);
    cairn_catalog *cat = cairn_home_catalog(home);
    assert_int_equal(cairn_test_query_int(cat, "SELECT COUNT(*) FROM feature_stats"), 2);
    assert_int_equal(cairn_test_query_int(cat, "SELECT COUNT(*) FROM feature_stats WHERE psi IS NULL"), 1);
    json_t *h = NULL;
    CAIRN_ASSERT_OK(cairn_feature_stats_history(home, "v:x", &h, &e), &e);
    const json_t *versions = json_object_get(json_array_get(json_object_get(h, "features"), 0), "versions");
    assert_int_equal(json_array_size(versions), 2);
    const json_t *newest = json_array_get(versions, 0);
    assert_string_equal(json_string_value(json_object_get(newest, "version")), "id2");
    assert_true(fabs(num(newest, "psi") - 8.283089355027482) < 1e-12);
    assert_string_equal(json_string_value(json_object_get(newest, "psi_level")), "major");
    assert_true(json_is_null(json_object_get(json_array_get(versions, 1), "psi")));
    json_decref(h);
    cairn_error_clear(&e);
    assert_int_equal(cairn_feature_stats_history(home, "nosuch", &h, &e), CAIRN_ENOTFOUND);
    assert_non_null(strstr(e.message, "nosuch"));
    cairn_table_free(t0);
    cairn_table_free(t1);
    cairn_home_close(home);
    cairn_test_rmtree(cairn_test_tmpdir("stats"));
}

/* ------------------------------------------------------------------------------------------
 * Allocation failures
 * ---------------------------------------------------------------------------------------- */

static void test_alloc_failures(void **state)
{
    (void)state;
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks();
    cairn_table *t = csv("x,s\n1,a\n2,b\n3,a\n,\n");
    const char *cols[] = {"x", "s"};
    cairn_error e;
    json_t *prev = NULL;
    CAIRN_ASSERT_OK(cairn_feature_stats_compute(t, cols, 2, NULL, &prev, &e), &e);
    int64_t before = cairn_testalloc_live_blocks();
    for (int64_t n = 1;; n++) {
        json_t *out = NULL;
        cairn_testalloc_fail_at(n, false);
        int rc = cairn_feature_stats_compute(t, cols, 2, prev, &out, &e);
        cairn_testalloc_fail_at(0, false);
        json_decref(out);
        if (cairn_testalloc_live_blocks() != before)
            fail_msg("allocation %lld: %lld blocks leaked", (long long)n,
                     (long long)(cairn_testalloc_live_blocks() - before));
        if (rc == 0) break;
        assert_int_equal(rc, CAIRN_ENOMEM);
        assert_true(n < 100000);
    }
    json_decref(prev);
    cairn_table_free(t);
    assert_int_equal(cairn_testalloc_live_blocks(), base);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_psi_hand_computed),
        cmocka_unit_test(test_numeric_summary_and_bins),
        cmocka_unit_test(test_identical_gives_zero),
        cmocka_unit_test(test_shift_is_major),
        cmocka_unit_test(test_empty_bins_hand_computed),
        cmocka_unit_test(test_nulls_ints_and_no_values),
        cmocka_unit_test(test_categorical_bins),
        cmocka_unit_test(test_categorical_top20_and_bools),
        cmocka_unit_test(test_kind_change_and_errors),
        cmocka_unit_test(test_record_and_history),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
