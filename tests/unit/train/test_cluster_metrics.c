/* tests/unit/train/test_cluster_metrics.c: the clustering metrics of include/cairn/metrics.h
 * (src/train/metrics.c): silhouette, its sample, Davies-Bouldin, Calinski-Harabasz, inertia,
 * on cases worked by hand, against a brute-force silhouette, with undefined cases, bad input
 * and every allocation failing in turn. scikit-learn itself is the oracle in
 * tests/oracles/test_cluster_sklearn.sh. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/metrics.h"

/* 1-D points 0, 2, 10, 12 in two clusters: means 1 and 11. */
static const double line4[] = {0, 2, 10, 12};
static const int32_t two4[] = {0, 0, 1, 1};

static void test_silhouette_by_hand(void **state)
{
    (void)state;
    /* 0: a = 2, b = 11 -> 9/11; 2: a = 2, b = 9 -> 7/9; 10: a = 2, b = 9; 12: a = 2, b = 11 */
    double s[4], v;
    CAIRN_ASSERT_OK(cairn_silhouette_samples(line4, 4, 1, two4, s, NULL), NULL);
    assert_float_equal(s[0], 9.0 / 11, 1e-15);
    assert_float_equal(s[1], 7.0 / 9, 1e-15);
    assert_float_equal(s[2], 7.0 / 9, 1e-15);
    assert_float_equal(s[3], 9.0 / 11, 1e-15);
    CAIRN_ASSERT_OK(cairn_silhouette_score(line4, 4, 1, two4, 0, 1, &v, NULL), NULL);
    assert_float_equal(v, (9.0 / 11 + 7.0 / 9) / 2, 1e-15);
    /* only which points share an id matters: any int32 values */
    const int32_t odd[] = {-7, -7, 1000000, 1000000};
    double w;
    CAIRN_ASSERT_OK(cairn_silhouette_score(line4, 4, 1, odd, 0, 1, &w, NULL), NULL);
    assert_true(v == w);
    /* a point alone in its cluster scores 0 (sklearn) */
    const double x3[] = {0, 1, 5};
    const int32_t l3[] = {0, 0, 1};
    CAIRN_ASSERT_OK(cairn_silhouette_samples(x3, 3, 1, l3, s, NULL), NULL);
    assert_float_equal(s[0], 0.8, 1e-15);
    assert_float_equal(s[1], 0.75, 1e-15);
    assert_true(s[2] == 0);
    /* duplicates: a = b = 0 gives 0, not NaN */
    const double dup[] = {1, 1, 1, 1};
    CAIRN_ASSERT_OK(cairn_silhouette_samples(dup, 4, 1, two4, s, NULL), NULL);
    for (int i = 0; i < 4; i++) assert_true(s[i] == 0);
}

static void test_dispersion_by_hand(void **state)
{
    (void)state;
    double v;
    /* intra 1 and 1, means 10 apart: (1 + 1) / 10 for both clusters */
    CAIRN_ASSERT_OK(cairn_davies_bouldin_score(line4, 4, 1, two4, &v, NULL), NULL);
    assert_float_equal(v, 0.2, 1e-15);
    /* between 2 * 25 + 2 * 25 = 100, within 4: 100 * (4 - 2) / (4 * 1) */
    CAIRN_ASSERT_OK(cairn_calinski_harabasz_score(line4, 4, 1, two4, &v, NULL), NULL);
    assert_float_equal(v, 50, 1e-12);
    const double c[] = {1, 11};
    CAIRN_ASSERT_OK(cairn_cluster_inertia(line4, 4, 1, two4, c, 2, &v, NULL), NULL);
    assert_float_equal(v, 4, 1e-15);
    CAIRN_ASSERT_OK(cairn_cluster_inertia(line4, 4, 1, two4, NULL, 0, &v, NULL), NULL);
    assert_float_equal(v, 4, 1e-15);
    const double far[] = {0, 0};
    CAIRN_ASSERT_OK(cairn_cluster_inertia(line4, 4, 1, two4, far, 2, &v, NULL), NULL);
    assert_float_equal(v, 0 + 4 + 100 + 144, 1e-12);
    /* tight clusters: Davies-Bouldin 0 (numpy.allclose), Calinski-Harabasz 1 */
    const double tight[] = {0, 0, 5, 5};
    CAIRN_ASSERT_OK(cairn_davies_bouldin_score(tight, 4, 1, two4, &v, NULL), NULL);
    assert_true(v == 0);
    CAIRN_ASSERT_OK(cairn_calinski_harabasz_score(tight, 4, 1, two4, &v, NULL), NULL);
    assert_true(v == 1);
    /* 2-D: three clusters, Davies-Bouldin takes each one's worst neighbour */
    const double x[] = {0, 0, 0, 2, 10, 0, 10, 2, 0, 30, 0, 32};
    const int32_t l[] = {0, 0, 1, 1, 2, 2};
    CAIRN_ASSERT_OK(cairn_davies_bouldin_score(x, 6, 2, l, &v, NULL), NULL);
    /* means (0,1) (10,1) (0,31), intra 1 each; the worst neighbour: 2/10 for 0 and 1, 2/30 for 2
     * (cluster 0, not the farther cluster 1 at sqrt(1000)) */
    assert_float_equal(v, (0.2 + 0.2 + 2.0 / 30) / 3, 1e-15);
}

static void test_undefined(void **state)
{
    (void)state;
    const int32_t one[] = {3, 3, 3, 3}, all[] = {0, 1, 2, 3};
    double v = 0, s[4];
    const int32_t *cases[] = {one, all};
    for (int c = 0; c < 2; c++) {
        CAIRN_ASSERT_OK(cairn_silhouette_score(line4, 4, 1, cases[c], 0, 1, &v, NULL), NULL);
        assert_true(isnan(v));
        CAIRN_ASSERT_OK(cairn_silhouette_samples(line4, 4, 1, cases[c], s, NULL), NULL);
        assert_true(isnan(s[0]) && isnan(s[3]));
        CAIRN_ASSERT_OK(cairn_davies_bouldin_score(line4, 4, 1, cases[c], &v, NULL), NULL);
        assert_true(isnan(v));
        CAIRN_ASSERT_OK(cairn_calinski_harabasz_score(line4, 4, 1, cases[c], &v, NULL), NULL);
        assert_true(isnan(v));
        CAIRN_ASSERT_OK(cairn_cluster_inertia(line4, 4, 1, cases[c], NULL, 0, &v, NULL), NULL);
        assert_false(isnan(v)); /* inertia is defined for any partition */
    }
    CAIRN_ASSERT_OK(cairn_silhouette_score(NULL, 0, 1, NULL, 0, 1, &v, NULL), NULL);
    assert_true(isnan(v));
    CAIRN_ASSERT_OK(cairn_cluster_inertia(NULL, 0, 1, NULL, NULL, 0, &v, NULL), NULL);
    assert_true(isnan(v));
}

static void test_bad_input(void **state)
{
    (void)state;
    const double x[] = {0, 1, NAN, 3};
    double v;
    cairn_error e;
    cairn_error_clear(&e);
    assert_int_equal(cairn_silhouette_score(x, 2, 2, two4, 0, 1, &v, &e), CAIRN_EINVAL);
    assert_string_equal(e.field, "x");
    assert_int_equal(e.row, 1);
    assert_non_null(strstr(e.message, "x[1][0]"));
    cairn_error_clear(&e);
    assert_int_equal(cairn_davies_bouldin_score(x, 4, 1, two4, &v, &e), CAIRN_EINVAL);
    assert_int_equal(e.row, 2);
    const double c[] = {1, 11};
    const int32_t out_of_range[] = {0, 0, 1, 2};
    cairn_error_clear(&e);
    assert_int_equal(cairn_cluster_inertia(line4, 4, 1, out_of_range, c, 2, &v, &e), CAIRN_EINVAL);
    assert_string_equal(e.field, "labels");
    assert_int_equal(e.row, 3);
    cairn_error_clear(&e);
    assert_int_equal(cairn_calinski_harabasz_score(line4, 4, 0, two4, &v, &e), CAIRN_EINVAL);
}

/* Brute force: the definition, point by point, against the pairwise-table implementation. */
static double brute_silhouette(const double *x, size_t n, size_t d, const int32_t *l, size_t i)
{
    double own = 0, best = INFINITY;
    size_t own_n = 0;
    for (int32_t c = 0; c < 64; c++) {
        double sum = 0;
        size_t cnt = 0;
        for (size_t j = 0; j < n; j++) {
            if (l[j] != c || j == i) continue;
            double s = 0;
            for (size_t f = 0; f < d; f++) s += (x[i * d + f] - x[j * d + f]) * (x[i * d + f] - x[j * d + f]);
            sum += sqrt(s);
            cnt++;
        }
        if (c == l[i]) own = sum, own_n = cnt;
        else if (cnt && sum / (double)cnt < best) best = sum / (double)cnt;
    }
    if (own_n == 0) return 0;
    double a = own / (double)own_n;
    return fmax(a, best) > 0 ? (best - a) / fmax(a, best) : 0;
}

static void test_brute_force(void **state)
{
    (void)state;
    cairn_rng rng;
    cairn_rng_seed(&rng, 5);
    enum { N = 150, D = 3 };
    double *x = malloc(N * D * sizeof *x), s[N];
    int32_t l[N];
    for (size_t i = 0; i < N * D; i++) x[i] = cairn_rng_normal(&rng);
    for (size_t i = 0; i < N; i++) l[i] = (int32_t)cairn_rng_below(&rng, 5);
    l[17] = 9; /* a singleton */
    CAIRN_ASSERT_OK(cairn_silhouette_samples(x, N, D, l, s, NULL), NULL);
    for (size_t i = 0; i < N; i++) assert_float_equal(s[i], brute_silhouette(x, N, D, l, i), 1e-12);
    assert_true(s[17] == 0);
    free(x);
}

static void test_sample(void **state)
{
    (void)state;
    size_t *rows = NULL, *again = NULL, m = 0, m2 = 0;
    CAIRN_ASSERT_OK(cairn_silhouette_sample_rows(1000, 100, 42, &rows, &m), NULL);
    assert_int_equal(m, 100);
    for (size_t i = 1; i < m; i++) assert_true(rows[i] > rows[i - 1]);
    assert_true(rows[m - 1] < 1000);
    CAIRN_ASSERT_OK(cairn_silhouette_sample_rows(1000, 100, 42, &again, &m2), NULL);
    assert_memory_equal(rows, again, m * sizeof *rows);
    cairn_free(again);
    CAIRN_ASSERT_OK(cairn_silhouette_sample_rows(1000, 100, 43, &again, &m2), NULL);
    assert_true(memcmp(rows, again, m * sizeof *rows) != 0);
    cairn_free(again);
    CAIRN_ASSERT_OK(cairn_silhouette_sample_rows(50, 100, 42, &again, &m2), NULL);
    assert_int_equal(m2, 50);
    assert_true(again[0] == 0 && again[49] == 49);
    cairn_free(again);
    CAIRN_ASSERT_OK(cairn_silhouette_sample_rows(50, 0, 42, &again, &m2), NULL);
    assert_int_equal(m2, 50);
    cairn_free(again);

    /* the sampled score is the score of the sampled points */
    cairn_rng rng;
    cairn_rng_seed(&rng, 8);
    enum { N = 1000, D = 2 };
    double *x = malloc(N * D * sizeof *x), *sub = malloc(100 * D * sizeof *sub);
    int32_t *l = malloc(N * sizeof *l), subl[100];
    for (size_t i = 0; i < N; i++) {
        l[i] = (int32_t)cairn_rng_below(&rng, 3);
        for (size_t f = 0; f < D; f++) x[i * D + f] = cairn_rng_normal(&rng) + 4 * l[i];
    }
    for (size_t i = 0; i < m; i++) {
        subl[i] = l[rows[i]];
        memcpy(sub + i * D, x + rows[i] * D, D * sizeof *x);
    }
    double sampled, direct;
    CAIRN_ASSERT_OK(cairn_silhouette_score(x, N, D, l, 100, 42, &sampled, NULL), NULL);
    CAIRN_ASSERT_OK(cairn_silhouette_score(sub, 100, D, subl, 0, 0, &direct, NULL), NULL);
    assert_true(sampled == direct);
    cairn_cluster_metrics cm;
    CAIRN_ASSERT_OK(cairn_cluster_metrics_compute(x, N, D, l, NULL, 0, 100, 42, &cm, NULL), NULL);
    assert_true(cm.silhouette == sampled);
    assert_int_equal(cm.clusters, 3);
    assert_int_equal(cm.silhouette_rows, 100);
    double db;
    CAIRN_ASSERT_OK(cairn_davies_bouldin_score(x, N, D, l, &db, NULL), NULL);
    assert_true(cm.davies_bouldin == db);
    assert_true(cairn_cluster_metric_value(&cm, "davies_bouldin") == db);
    assert_true(isnan(cairn_cluster_metric_value(&cm, "accuracy")));
    free(x);
    free(sub);
    free(l);
    cairn_free(rows);
}

static void test_names(void **state)
{
    (void)state;
    bool hib = false;
    assert_true(cairn_cluster_metric_find("silhouette", &hib) && hib);
    assert_true(cairn_cluster_metric_find("calinski_harabasz", &hib) && hib);
    assert_true(cairn_cluster_metric_find("davies_bouldin", &hib) && !hib);
    assert_true(cairn_cluster_metric_find("inertia", NULL));
    assert_false(cairn_cluster_metric_find("roc_auc", &hib));
    assert_false(cairn_cluster_metric_find(NULL, &hib));
}

static void test_alloc_failures(void **state)
{
    (void)state;
    double x[40];
    int32_t l[20];
    for (int i = 0; i < 20; i++) {
        l[i] = i % 3;
        x[2 * i] = i % 3 * 5.0 + i * 0.01;
        x[2 * i + 1] = (double)(i % 7);
    }
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks(), failures = 0;
    for (int64_t nth = 1;; nth++) {
        cairn_cluster_metrics m;
        double s[20];
        cairn_testalloc_fail_at(nth, false);
        int rc = cairn_cluster_metrics_compute(x, 20, 2, l, NULL, 0, 10, 1, &m, NULL);
        if (!rc) rc = cairn_silhouette_samples(x, 20, 2, l, s, NULL);
        cairn_testalloc_fail_at(0, false);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        if (rc) {
            assert_int_equal(rc, CAIRN_ENOMEM);
            failures++;
            continue;
        }
        break;
    }
    assert_true(failures >= 8);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_silhouette_by_hand),
        cmocka_unit_test(test_dispersion_by_hand),
        cmocka_unit_test(test_undefined),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_brute_force),
        cmocka_unit_test(test_sample),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
