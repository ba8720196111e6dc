/* Tests of src/train/significance.c: the normal CDF and quantile and the chi-square(1) tail
 * at known values; numpy's linear percentile; McNemar by hand (exact and chi-square
 * branches, no discordant pairs); DeLong against a direct O(n^2) computation on tied data,
 * identical models and too few rows; the bootstrap: determinism, independence from the
 * thread count, the standard error of a mean against theory, the distribution buffer,
 * undefined resamples, BCa with exact and grouped jackknife, percentile and basic
 * intervals, paired differences of a model with itself; slices (an empty segment, the
 * all-rows line, errors); allocation failures. scipy comparisons are in
 * tests/oracles/test_metrics_sklearn.sh. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/metrics.h"

#define assert_close(a, b, tol)                                                                    \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (tol)) && a_ != b_)                                                 \
            fail_msg("%s = %.17g, expected %.17g (tolerance %g)", #a, a_, b_, (double)(tol));      \
    } while (0)

/* Binary data: scores on a grid of `levels` (ties), labels more likely at high scores. */
typedef struct data {
    size_t n;
    double *y, *p, *p2, *w;
} data;

static data make_data(uint64_t seed, size_t n, int levels)
{
    data d = {n, calloc(n, sizeof(double)), calloc(n, sizeof(double)), calloc(n, sizeof(double)),
              calloc(n, sizeof(double))};
    cairn_rng r;
    cairn_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        double q = (double)cairn_rng_below(&r, (uint64_t)levels) / (levels - 1);
        d.p[i] = q;
        d.y[i] = cairn_rng_uniform(&r) < 0.15 + 0.7 * q ? 1 : 0;
        d.p2[i] = round((0.5 * q + 0.5 * cairn_rng_uniform(&r)) * 20) / 20;
        d.w[i] = 0.5 + cairn_rng_uniform(&r);
    }
    return d;
}

static void free_data(data *d)
{
    free(d->y);
    free(d->p);
    free(d->p2);
    free(d->w);
}

/* ------------------------------------------------------------------------------------------
 * Distributions and percentiles
 * ---------------------------------------------------------------------------------------- */

static void test_distributions(void **state)
{
    (void)state;
    assert_close(cairn_normal_cdf(1.959963984540054), 0.975, 1e-15);
    assert_close(cairn_normal_cdf(0), 0.5, 0);
    assert_close(cairn_normal_cdf(-8), 6.22096057427174e-16, 1e-27);
    assert_close(cairn_normal_quantile(0.975), 1.959963984540054, 1e-14);
    assert_close(cairn_normal_quantile(0.5), 0, 1e-16);
    assert_close(cairn_normal_quantile(0.025), -1.959963984540054, 1e-14);
    assert_close(cairn_normal_quantile(1e-10), -6.361340902404056, 1e-12);
    assert_close(cairn_normal_quantile(1 - 1e-10), 6.361340889697422,
                 1e-7); /* 1 - 1e-10 is inexact */
    assert_true(isinf(cairn_normal_quantile(0)) && cairn_normal_quantile(0) < 0);
    assert_true(isinf(cairn_normal_quantile(1)) && cairn_normal_quantile(1) > 0);
    assert_true(isnan(cairn_normal_quantile(1.5)));
    for (double p = 1e-300; p < 1; p = p * 3.7 + 1e-6) {
        double x = cairn_normal_quantile(p);
        assert_close(cairn_normal_cdf(x) / p, 1, 1e-13);
    }
    assert_close(cairn_chi2_1_sf(3.841458820694124), 0.05, 1e-15);
    assert_close(cairn_chi2_1_sf(0), 1, 0);
    assert_close(cairn_chi2_1_sf(10.827566170662733), 0.001, 1e-16);

    double v[] = {1, 2, 3, 4};
    assert_close(cairn_percentile_sorted(v, 4, 25), 1.75, 0);
    assert_close(cairn_percentile_sorted(v, 4, 50), 2.5, 0);
    assert_close(cairn_percentile_sorted(v, 4, 100), 4, 0);
    assert_close(cairn_percentile_sorted(v, 4, 0), 1, 0);
    assert_close(cairn_percentile_sorted(v, 1, 30), 1, 0);
    assert_true(isnan(cairn_percentile_sorted(v, 0, 30)));
}

/* ------------------------------------------------------------------------------------------
 * McNemar
 * ---------------------------------------------------------------------------------------- */

static void test_mcnemar(void **state)
{
    (void)state;
    cairn_mcnemar_result m;
    CAIRN_ASSERT_OK(cairn_mcnemar_from_counts(10, 3, &m, NULL), NULL);
    assert_true(m.exact);
    assert_close(m.statistic, 36.0 / 13, 1e-15);
    /* 2 P(X <= 3), X ~ Bin(13, 1/2) = 2 (1 + 13 + 78 + 286) / 8192. */
    assert_close(m.p_exact, 2 * 378.0 / 8192, 1e-15);
    assert_close(m.p_value, m.p_exact, 0);
    assert_close(m.p_chi2, erfc(sqrt(36.0 / 13 / 2)), 1e-15);
    CAIRN_ASSERT_OK(cairn_mcnemar_from_counts(30, 12, &m, NULL), NULL);
    assert_false(m.exact);
    assert_close(m.statistic, 289.0 / 42, 1e-14);
    assert_close(m.p_value, m.p_chi2, 0);
    assert_close(m.p_chi2, 0.008711, 1e-6);
    CAIRN_ASSERT_OK(cairn_mcnemar_from_counts(7, 7, &m, NULL), NULL);
    assert_close(m.p_exact, 1, 0);
    CAIRN_ASSERT_OK(cairn_mcnemar_from_counts(0, 0, &m, NULL), NULL);
    assert_close(m.p_value, 1, 0);
    assert_close(m.statistic, 0, 0);
    /* Big counts: the exact tail is summed in logs, no underflow. */
    CAIRN_ASSERT_OK(cairn_mcnemar_from_counts(2000, 1900, &m, NULL), NULL);
    assert_true(m.p_exact > 0.05 && m.p_exact < 0.2);
    assert_close(m.p_exact, m.p_chi2, 0.01);
    assert_int_equal(cairn_mcnemar_from_counts(-1, 0, &m, NULL), CAIRN_EINVAL);
    /* From predictions: any class codes. */
    double y[] = {0, 1, 2, 2, 1}, a[] = {0, 1, 2, 0, 0}, b[] = {1, 1, 0, 2, 0};
    CAIRN_ASSERT_OK(cairn_mcnemar_test(y, a, b, 5, &m, NULL), NULL);
    assert_int_equal(m.b, 2); /* rows 0 and 2 */
    assert_int_equal(m.c, 1); /* row 3 */
}

/* ------------------------------------------------------------------------------------------
 * DeLong
 * ---------------------------------------------------------------------------------------- */

static double psi(double x, double y)
{
    return x > y ? 1 : x == y ? 0.5 : 0;
}

/* The textbook O(m n) DeLong: placements, then sample covariances. */
static void brute_delong(const data *d, double auc[2], double cov[4])
{
    size_t m = 0, n = 0;
    for (size_t i = 0; i < d->n; i++)
        d->y[i] == 1 ? m++ : n++;
    double *v10 = calloc(2 * m, sizeof(double)), *v01 = calloc(2 * n, sizeof(double));
    const double *p[2] = {d->p, d->p2};
    for (int k = 0; k < 2; k++) {
        size_t ii = 0;
        for (size_t i = 0; i < d->n; i++) {
            if (d->y[i] != 1) continue;
            size_t jj = 0;
            for (size_t j = 0; j < d->n; j++) {
                if (d->y[j] != 0) continue;
                double s = psi(p[k][i], p[k][j]);
                v10[k * m + ii] += s / (double)n;
                v01[k * n + jj] += s / (double)m;
                jj++;
            }
            ii++;
        }
        auc[k] = 0;
        for (size_t i = 0; i < m; i++)
            auc[k] += v10[k * m + i] / (double)m;
    }
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 2; c++) {
            double s10 = 0, s01 = 0;
            for (size_t i = 0; i < m; i++)
                s10 += (v10[r * m + i] - auc[r]) * (v10[c * m + i] - auc[c]);
            for (size_t j = 0; j < n; j++)
                s01 += (v01[r * n + j] - auc[r]) * (v01[c * n + j] - auc[c]);
            cov[r * 2 + c] = s10 / (double)(m - 1) / (double)m + s01 / (double)(n - 1) / (double)n;
        }
    free(v10);
    free(v01);
}

static void test_delong(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        data d = make_data(seed, 120 + 50 * seed, seed == 2 ? 4 : 30);
        double auc[2], cov[4];
        brute_delong(&d, auc, cov);
        cairn_delong_result r;
        CAIRN_ASSERT_OK(cairn_delong_test(d.y, d.p, d.p2, d.n, 0.95, &r, NULL), NULL);
        assert_close(r.auc1, auc[0], 1e-13);
        assert_close(r.auc2, auc[1], 1e-13);
        assert_close(r.var1, cov[0], 1e-15);
        assert_close(r.var2, cov[3], 1e-15);
        assert_close(r.cov, cov[1], 1e-15);
        double z = (auc[0] - auc[1]) / sqrt(cov[0] + cov[3] - 2 * cov[1]);
        assert_close(r.z, z, 1e-10);
        assert_close(r.p_value, erfc(fabs(z) / sqrt(2)), 1e-10);
        assert_close(r.ci_high - r.diff, 1.959963984540054 * r.se_diff, 1e-12);
        cairn_auc_ci ci;
        CAIRN_ASSERT_OK(cairn_delong_ci(d.y, d.p, d.n, 0.95, &ci, NULL), NULL);
        assert_close(ci.auc, auc[0], 1e-13);
        assert_close(ci.variance, cov[0], 1e-15);
        assert_close(ci.ci_low, auc[0] - 1.959963984540054 * sqrt(cov[0]), 1e-12);
        /* The AUC agrees with the metric. */
        cairn_metric_data md;
        cairn_metric_data_init(&md, d.y, d.p, NULL, d.n);
        double m;
        CAIRN_ASSERT_OK(cairn_metric_by_name("roc_auc", &md, &m, NULL), NULL);
        assert_close(m, auc[0], 1e-13);
        /* A model against itself: no difference, p = 1. */
        CAIRN_ASSERT_OK(cairn_delong_test(d.y, d.p, d.p, d.n, 0.9, &r, NULL), NULL);
        assert_close(r.z, 0, 0);
        assert_close(r.p_value, 1, 0);
        free_data(&d);
    }
    /* A perfect separation: AUC 1, variance 0, the CI clipped to [1, 1]. */
    double y[] = {0, 0, 1, 1}, p[] = {0.1, 0.2, 0.8, 0.9}, p2[] = {0.1, 0.9, 0.8, 0.2};
    cairn_auc_ci ci;
    CAIRN_ASSERT_OK(cairn_delong_ci(y, p, 4, 0.95, &ci, NULL), NULL);
    assert_close(ci.auc, 1, 0);
    assert_close(ci.ci_high, 1, 0);
    assert_close(ci.ci_low, 1, 0);
    /* Too few of a class, bad labels, bad confidence. */
    double y1[] = {0, 0, 0, 1};
    cairn_delong_result r;
    cairn_error e;
    cairn_error_clear(&e);
    assert_int_equal(cairn_delong_test(y1, p, p2, 4, 0.95, &r, &e), CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "",
                            "DeLong needs at least 2 positives and 2 negatives, found 1 and 3");
    double ybad[] = {0, 3, 1, 1};
    cairn_error_clear(&e);
    assert_int_equal(cairn_delong_test(ybad, p, p2, 4, 0.95, &r, &e), CAIRN_EINVAL);
    assert_int_equal(e.row, 1);
    assert_int_equal(cairn_delong_test(y, p, p2, 4, 1.0, &r, NULL), CAIRN_EINVAL);
}

/* ------------------------------------------------------------------------------------------
 * Bootstrap
 * ---------------------------------------------------------------------------------------- */

static cairn_bootstrap_result boot(const char *metric, const cairn_metric_data *d,
                                   const cairn_bootstrap_options *o)
{
    cairn_bootstrap_result r;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_bootstrap_ci(cairn_metric_find(metric), d, o, &r, &e), &e);
    return r;
}

static void test_bootstrap_determinism_and_threads(void **state)
{
    (void)state;
    data d = make_data(11, 400, 15);
    cairn_metric_data md;
    cairn_metric_data_init(&md, d.y, d.p, d.w, d.n);
    cairn_bootstrap_options o;
    cairn_bootstrap_options_init(&o);
    o.n_resamples = 500;
    o.seed = 42;
    o.jackknife_max = 100; /* grouped jackknife too */
    double *dist1 = calloc(500, sizeof(double)), *dist2 = calloc(500, sizeof(double));
    cairn_pool *one, *three;
    assert_int_equal(cairn_pool_create(1, &one), 0);
    assert_int_equal(cairn_pool_create(3, &three), 0);
    o.pool = one;
    o.distribution = dist1;
    cairn_bootstrap_result a = boot("roc_auc", &md, &o);
    o.pool = three;
    o.distribution = dist2;
    cairn_bootstrap_result b = boot("roc_auc", &md, &o);
    assert_memory_equal(dist1, dist2, 500 * sizeof(double));
    assert_memory_equal(&a, &b, sizeof a);
    assert_true(a.ci_low < a.estimate && a.estimate < a.ci_high);
    assert_int_equal(a.n_resamples, 500);
    assert_int_equal(a.n_undefined, 0);
    assert_false(isnan(a.acceleration) || isnan(a.z0));
    assert_true(isnan(a.p_value));
    /* Another seed, other resamples. */
    o.seed = 43;
    cairn_bootstrap_result c = boot("roc_auc", &md, &o);
    assert_true(c.ci_low != a.ci_low || c.ci_high != a.ci_high);
    /* The default pool gives the same as well. */
    o.seed = 42;
    o.pool = NULL;
    o.distribution = NULL;
    cairn_bootstrap_result def = boot("roc_auc", &md, &o);
    assert_memory_equal(&a, &def, sizeof a);
    cairn_pool_free(one);
    cairn_pool_free(three);
    free(dist1);
    free(dist2);
    free_data(&d);
}

static void test_bootstrap_standard_error(void **state)
{
    (void)state;
    /* Brier is a mean of (p - y)^2, so its bootstrap SE is close to sd / sqrt(n). */
    data d = make_data(5, 2000, 50);
    cairn_metric_data md;
    cairn_metric_data_init(&md, d.y, d.p, NULL, d.n);
    double mean = 0, ss = 0;
    for (size_t i = 0; i < d.n; i++)
        mean += (d.p[i] - d.y[i]) * (d.p[i] - d.y[i]) / (double)d.n;
    for (size_t i = 0; i < d.n; i++) {
        double v = (d.p[i] - d.y[i]) * (d.p[i] - d.y[i]) - mean;
        ss += v * v;
    }
    double se = sqrt(ss / (double)d.n) / sqrt((double)d.n);
    cairn_bootstrap_options o;
    cairn_bootstrap_options_init(&o);
    o.n_resamples = 2000;
    o.method = CAIRN_CI_PERCENTILE;
    cairn_bootstrap_result r = boot("brier", &md, &o);
    assert_close(r.estimate, mean, 1e-12);
    assert_close(r.standard_error / se, 1, 0.08);
    assert_close((r.ci_high - r.ci_low) / (2 * 1.96 * se), 1, 0.1);
    assert_true(isnan(r.z0) && isnan(r.acceleration));
    /* Basic is the percentile interval reflected about the estimate. */
    o.method = CAIRN_CI_BASIC;
    cairn_bootstrap_result b = boot("brier", &md, &o);
    assert_close(b.ci_low, 2 * r.estimate - r.ci_high, 1e-15);
    assert_close(b.ci_high, 2 * r.estimate - r.ci_low, 1e-15);
    /* BCa: near the percentile interval for a near-symmetric statistic, and the grouped
     * jackknife estimates about the same acceleration as the exact one. */
    o.method = CAIRN_CI_BCA;
    o.jackknife_max = 0;
    cairn_bootstrap_result exact = boot("brier", &md, &o);
    o.jackknife_max = 400;
    cairn_bootstrap_result grouped = boot("brier", &md, &o);
    assert_close(exact.ci_low, r.ci_low, 0.2 * (r.ci_high - r.ci_low));
    assert_close(grouped.acceleration, exact.acceleration, 0.5 * fabs(exact.acceleration) + 1e-3);
    /* For a mean, the exact jackknife acceleration is skew / (6 sqrt(n)) of the values. */
    double m3 = 0;
    for (size_t i = 0; i < d.n; i++) {
        double v = (d.p[i] - d.y[i]) * (d.p[i] - d.y[i]) - mean;
        m3 += v * v * v;
    }
    assert_close(exact.acceleration, m3 / (6 * pow(ss, 1.5)), 1e-9);
    free_data(&d);
}

static void test_bootstrap_undefined_and_errors(void **state)
{
    (void)state;
    /* One positive in 30 rows: about e^-1 of resamples have none, so AUC is undefined. */
    double y[30], p[30];
    for (int i = 0; i < 30; i++) {
        y[i] = i == 7;
        p[i] = i / 30.0;
    }
    cairn_metric_data md;
    cairn_metric_data_init(&md, y, p, NULL, 30);
    cairn_bootstrap_options o;
    cairn_bootstrap_options_init(&o);
    o.n_resamples = 1000;
    double dist[1000];
    o.distribution = dist;
    cairn_bootstrap_result r = boot("roc_auc", &md, &o);
    assert_true(r.n_undefined > 250 && r.n_undefined < 480);
    assert_int_equal(r.n_undefined + r.n_resamples, 1000);
    size_t nan_count = 0;
    for (int i = 0; i < 1000; i++)
        nan_count += isnan(dist[i]);
    assert_int_equal(nan_count, r.n_undefined);
    assert_false(isnan(r.ci_low));
    /* An undefined estimate: NaN everywhere, still success. */
    double ones[30];
    for (int i = 0; i < 30; i++)
        ones[i] = 1;
    md.y = ones;
    r = boot("roc_auc", &md, &o);
    assert_true(isnan(r.estimate) && isnan(r.ci_low) && isnan(dist[0]));
    /* Bad input and options. */
    cairn_bootstrap_result bad;
    cairn_error e;
    cairn_error_clear(&e);
    o.n_resamples = 1;
    md.y = y;
    assert_int_equal(cairn_bootstrap_ci(cairn_metric_find("roc_auc"), &md, &o, &bad, &e),
                     CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "", "n_resamples must be >= 2");
    o.n_resamples = 10;
    o.confidence = 1;
    assert_int_equal(cairn_bootstrap_ci(cairn_metric_find("roc_auc"), &md, &o, &bad, NULL),
                     CAIRN_EINVAL);
    o.confidence = 0.9;
    y[3] = 5;
    cairn_error_clear(&e);
    assert_int_equal(cairn_bootstrap_ci(cairn_metric_find("roc_auc"), &md, &o, &bad, &e),
                     CAIRN_EINVAL);
    assert_int_equal(e.row, 3);
    cairn_ci_method m;
    assert_int_equal(cairn_ci_method_parse("percentile", &m), 0);
    assert_int_equal(m, CAIRN_CI_PERCENTILE);
    assert_string_equal(cairn_ci_method_name(CAIRN_CI_BCA), "bca");
    assert_int_equal(cairn_ci_method_parse("studentized", &m), CAIRN_EINVAL);
}

static void test_bootstrap_paired(void **state)
{
    (void)state;
    data d = make_data(3, 500, 25);
    cairn_metric_data md;
    cairn_metric_data_init(&md, d.y, d.p, NULL, d.n);
    cairn_bootstrap_options o;
    cairn_bootstrap_options_init(&o);
    o.n_resamples = 400;
    cairn_bootstrap_result r;
    const cairn_metric_info *auc = cairn_metric_find("roc_auc");
    /* Against itself: every difference 0. */
    o.method = CAIRN_CI_PERCENTILE;
    CAIRN_ASSERT_OK(cairn_bootstrap_paired(auc, &md, d.p, &o, &r, NULL), NULL);
    assert_close(r.estimate, 0, 0);
    assert_close(r.ci_low, 0, 0);
    assert_close(r.ci_high, 0, 0);
    assert_close(r.p_value, 1, 0);
    /* Against a worse model (p2 half noise): a positive difference, a small p-value, and the
     * estimate equals the difference of the two AUCs. */
    o.method = CAIRN_CI_BCA;
    CAIRN_ASSERT_OK(cairn_bootstrap_paired(auc, &md, d.p2, &o, &r, NULL), NULL);
    double a1, a2;
    cairn_metric_data m2 = md;
    m2.p = d.p2;
    CAIRN_ASSERT_OK(auc->fn(&md, &a1, NULL), NULL);
    CAIRN_ASSERT_OK(auc->fn(&m2, &a2, NULL), NULL);
    assert_close(r.estimate, a1 - a2, 1e-15);
    assert_true(r.ci_low > 0 && r.p_value < 0.01);
    /* The paired interval is narrower than the DeLong one's order of magnitude would allow
     * only if pairing works: compare its SE with DeLong's. */
    cairn_delong_result dl;
    CAIRN_ASSERT_OK(cairn_delong_test(d.y, d.p, d.p2, d.n, 0.95, &dl, NULL), NULL);
    assert_close(r.standard_error / dl.se_diff, 1, 0.2);
    free_data(&d);
}

/* ------------------------------------------------------------------------------------------
 * Slices
 * ---------------------------------------------------------------------------------------- */

static void test_slices(void **state)
{
    (void)state;
    data d = make_data(8, 300, 20);
    int32_t *seg = calloc(d.n, sizeof *seg);
    for (size_t i = 0; i < d.n; i++)
        seg[i] = (int32_t)(i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 3);
    cairn_metric_data md;
    cairn_metric_data_init(&md, d.y, d.p, d.w, d.n);
    cairn_bootstrap_options o;
    cairn_bootstrap_options_init(&o);
    o.n_resamples = 200;
    o.seed = 9;
    const char *names[] = {"roc_auc", "accuracy", "brier"};
    cairn_slice_report rep;
    CAIRN_ASSERT_OK(cairn_slices_compute(names, 3, &md, seg, 4, &o, &rep, NULL), NULL);
    assert_int_equal(rep.n_segments, 4);
    assert_int_equal(rep.n_metrics, 3);
    assert_int_equal(rep.rows[0], 100);
    assert_int_equal(rep.rows[2], 0);
    assert_int_equal(rep.rows[4], 300);
    assert_string_equal(rep.metrics[0]->name, "roc_auc");
    /* The empty segment: NaN cells. */
    for (size_t m = 0; m < 3; m++)
        assert_true(isnan(rep.cells[2 * 3 + m].estimate));
    /* The all-rows line equals a direct bootstrap; segment 1 equals one on its rows. */
    cairn_bootstrap_result all = boot("brier", &md, &o);
    assert_memory_equal(&all, &rep.cells[4 * 3 + 2], sizeof all);
    double *y1 = calloc(100, sizeof(double)), *p1 = calloc(100, sizeof(double)),
           *w1 = calloc(100, sizeof(double));
    double pos = 0, weight = 0;
    for (size_t i = 1, j = 0; i < d.n; i += 3, j++) {
        y1[j] = d.y[i];
        p1[j] = d.p[i];
        w1[j] = d.w[i];
        weight += d.w[i];
        pos += d.w[i] * d.y[i];
    }
    cairn_metric_data m1;
    cairn_metric_data_init(&m1, y1, p1, w1, 100);
    cairn_bootstrap_result s1 = boot("roc_auc", &m1, &o);
    assert_memory_equal(&s1, &rep.cells[1 * 3 + 0], sizeof s1);
    assert_close(rep.weight[1], weight, 1e-12);
    assert_close(rep.positives[1], pos, 1e-12);
    cairn_slice_report_release(&rep);
    assert_null(rep.cells);
    /* Errors: a segment id out of range, an unknown metric. */
    seg[17] = 4;
    cairn_error e;
    cairn_error_clear(&e);
    assert_int_equal(cairn_slices_compute(names, 3, &md, seg, 4, &o, &rep, &e), CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "segment",
                            "segment[17] = 4: a segment id must lie in 0..3");
    assert_null(rep.cells);
    seg[17] = 0;
    const char *bad[] = {"roc_auc", "gini"};
    cairn_error_clear(&e);
    assert_int_equal(cairn_slices_compute(bad, 2, &md, seg, 4, &o, &rep, &e), CAIRN_ENOTFOUND);
    /* An input error names the caller's row. */
    d.y[250] = 2;
    cairn_error_clear(&e);
    assert_int_equal(cairn_slices_compute(names, 3, &md, seg, 4, &o, &rep, &e), CAIRN_EINVAL);
    assert_int_equal(e.row, 250);
    assert_non_null(strstr(e.message, "metric 'roc_auc', all rows: y[250] = 2"));
    free(y1);
    free(p1);
    free(w1);
    free(seg);
    free_data(&d);
}

/* ------------------------------------------------------------------------------------------
 * Allocation failures
 * ---------------------------------------------------------------------------------------- */

static void test_alloc_failures(void **state)
{
    (void)state;
    data d = make_data(2, 60, 9);
    cairn_metric_data md;
    cairn_metric_data_init(&md, d.y, d.p, d.w, d.n);
    cairn_bootstrap_options o;
    cairn_bootstrap_options_init(&o);
    o.n_resamples = 20;
    cairn_pool *one;
    assert_int_equal(cairn_pool_create(1, &one), 0);
    o.pool = one;
    int32_t seg[60];
    for (int i = 0; i < 60; i++)
        seg[i] = i % 2;
    const char *names[] = {"roc_auc", "f1"};
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks(), failures = 0;
    for (int64_t nth = 1;; nth++) {
        cairn_bootstrap_result r;
        cairn_delong_result dl;
        cairn_slice_report rep;
        cairn_testalloc_fail_at(nth, false);
        int rc = cairn_bootstrap_ci(cairn_metric_find("roc_auc"), &md, &o, &r, NULL);
        if (!rc)
            rc = cairn_bootstrap_paired(cairn_metric_find("log_loss"), &md, d.p2, &o, &r, NULL);
        if (!rc) rc = cairn_delong_test(d.y, d.p, d.p2, d.n, 0.95, &dl, NULL);
        if (!rc) rc = cairn_slices_compute(names, 2, &md, seg, 2, &o, &rep, NULL);
        cairn_testalloc_fail_at(0, false);
        if (!rc) cairn_slice_report_release(&rep);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        if (rc) {
            assert_int_equal(rc, CAIRN_ENOMEM);
            failures++;
            continue;
        }
        break;
    }
    assert_true(failures > 20);
    cairn_testalloc_uninstall();
    cairn_pool_free(one);
    free_data(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distributions),
        cmocka_unit_test(test_mcnemar),
        cmocka_unit_test(test_delong),
        cmocka_unit_test(test_bootstrap_determinism_and_threads),
        cmocka_unit_test(test_bootstrap_standard_error),
        cmocka_unit_test(test_bootstrap_undefined_and_errors),
        cmocka_unit_test(test_bootstrap_paired),
        cmocka_unit_test(test_slices),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
