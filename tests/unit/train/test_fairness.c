/* Tests of src/train/fairness.c: a hand-computed case with an empty group and a group
 * without positives (Fairlearn spreads and ratio, AIF360 differences against a privileged
 * group, the 80% flag); NaN where a denominator is 0 (empty privileged group, a privileged
 * selection rate of 0, no group with positives); one group; weights equal to duplicated
 * rows; input errors naming the row. Random data against a Python computation is in
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

#define EPS 1e-15

/* Group 0: (y, yhat) = (1,1) (1,0) (0,1) (0,0); group 1: (1,1) (1,1) (0,0) (0,0) (0,1) (1,1);
 * group 2: no rows; group 3: (0,0) (0,1) (0,0). */
static const int32_t G[] = {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 3, 3, 3};
static const double Y[] = {1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0};
static const double YHAT[] = {1, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0};
#define N (sizeof Y / sizeof Y[0])

static void test_by_hand(void **state)
{
    (void)state;
    cairn_group_rates g[4];
    cairn_fairness_report r;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_fairness_compute(G, 4, 1, Y, YHAT, NULL, N, g, &r, &e), &e);
    assert_int_equal(g[0].rows, 4);
    assert_close(g[0].selection_rate, 0.5, EPS);
    assert_close(g[0].tpr, 0.5, EPS);
    assert_close(g[0].fpr, 0.5, EPS);
    assert_close(g[1].selection_rate, 2.0 / 3, EPS);
    assert_close(g[1].tpr, 1, EPS);
    assert_close(g[1].fpr, 1.0 / 3, EPS);
    assert_int_equal(g[2].rows, 0); /* empty: every rate NaN */
    assert_true(isnan(g[2].selection_rate) && isnan(g[2].tpr) && isnan(g[2].fpr));
    assert_true(isnan(g[3].tpr)); /* no positives */
    assert_close(g[3].fpr, 1.0 / 3, EPS);
    assert_close(g[3].tn, 2, 0);
    /* Fairlearn: selection {1/2, 2/3, 1/3}, TPR {1/2, 1}, FPR {1/2, 1/3, 1/3}. */
    assert_int_equal(r.n_groups, 4);
    assert_close(r.demographic_parity_difference, 1.0 / 3, EPS);
    assert_close(r.demographic_parity_ratio, 0.5, EPS);
    assert_close(r.equal_opportunity_difference, 0.5, EPS);
    assert_close(r.equalized_odds_difference, 0.5, EPS);
    assert_close(r.equalized_odds_mean, (0.5 + 1.0 / 6) / 2, EPS);
    /* AIF360, privileged group 1, unprivileged = groups 0 and 3 pooled (7 rows: selected 3,
     * TP 1 of 2 positives, FP 2 of 5 negatives). */
    assert_int_equal(r.privileged, 1);
    assert_int_equal(r.unprivileged_rates.rows, 7);
    assert_close(r.disparate_impact, (3.0 / 7) / (2.0 / 3), EPS);
    assert_true(r.disparate_impact_flag);
    assert_close(r.statistical_parity_difference, 3.0 / 7 - 2.0 / 3, EPS);
    assert_close(r.aif_equal_opportunity_difference, -0.5, EPS);
    assert_close(r.average_odds_difference, ((0.4 - 1.0 / 3) + (0.5 - 1)) / 2, EPS);
    assert_close(r.privileged_rates.selected, 4, 0);
    /* Group 0 privileged: unprivileged = groups 1 and 3 (5 of 9 selected), DI = 10/9. */
    CAIRN_ASSERT_OK(cairn_fairness_compute(G, 4, 0, Y, YHAT, NULL, N, NULL, &r, NULL), NULL);
    assert_close(r.disparate_impact, (5.0 / 9) / 0.5, EPS);
    assert_false(r.disparate_impact_flag);
    /* No privileged group: AIF360 fields NaN. */
    CAIRN_ASSERT_OK(cairn_fairness_compute(G, 4, -1, Y, YHAT, NULL, N, NULL, &r, NULL), NULL);
    assert_true(isnan(r.disparate_impact) && isnan(r.average_odds_difference));
    assert_false(r.disparate_impact_flag);
    assert_close(r.demographic_parity_difference, 1.0 / 3, EPS);
}

static void test_zero_denominators(void **state)
{
    (void)state;
    cairn_fairness_report r;
    /* The privileged group is empty. */
    CAIRN_ASSERT_OK(cairn_fairness_compute(G, 4, 2, Y, YHAT, NULL, N, NULL, &r, NULL), NULL);
    assert_true(isnan(r.disparate_impact) && isnan(r.statistical_parity_difference));
    assert_false(r.disparate_impact_flag);
    assert_int_equal(r.unprivileged_rates.rows, 13);
    /* The privileged group selects nobody: DI NaN (not inf), SPD defined. */
    int32_t g[] = {0, 0, 1, 1};
    double y[] = {1, 0, 1, 0}, yhat[] = {0, 0, 1, 0};
    CAIRN_ASSERT_OK(cairn_fairness_compute(g, 2, 0, y, yhat, NULL, 4, NULL, &r, NULL), NULL);
    assert_true(isnan(r.disparate_impact));
    assert_close(r.statistical_parity_difference, 0.5, EPS);
    /* Nobody selected anywhere: ratio 0/0 is NaN, difference 0. */
    double none[] = {0, 0, 0, 0};
    CAIRN_ASSERT_OK(cairn_fairness_compute(g, 2, -1, y, none, NULL, 4, NULL, &r, NULL), NULL);
    assert_close(r.demographic_parity_difference, 0, 0);
    assert_true(isnan(r.demographic_parity_ratio));
    /* No positives at all: TPR spreads NaN, equalized odds NaN, FPR still there. */
    double zeros[] = {0, 0, 0, 0};
    CAIRN_ASSERT_OK(cairn_fairness_compute(g, 2, 0, zeros, yhat, NULL, 4, NULL, &r, NULL), NULL);
    assert_true(isnan(r.equal_opportunity_difference) && isnan(r.equalized_odds_difference));
    assert_true(isnan(r.aif_equal_opportunity_difference));
    assert_true(isnan(r.disparate_impact)); /* privileged selects nobody */
    /* One group: spreads 0, ratio 1. */
    int32_t one[] = {0, 0, 0, 0};
    CAIRN_ASSERT_OK(cairn_fairness_compute(one, 1, -1, y, yhat, NULL, 4, NULL, &r, NULL), NULL);
    assert_close(r.demographic_parity_difference, 0, 0);
    assert_close(r.demographic_parity_ratio, 1, 0);
    assert_close(r.equalized_odds_difference, 0, 0);
    /* No rows. */
    CAIRN_ASSERT_OK(cairn_fairness_compute(one, 3, 1, y, yhat, NULL, 0, NULL, &r, NULL), NULL);
    assert_true(isnan(r.demographic_parity_difference) && isnan(r.disparate_impact));
}

static void test_weights_as_duplicates(void **state)
{
    (void)state;
    cairn_rng rng;
    cairn_rng_seed(&rng, 12);
    enum { ROWS = 200, K = 5 };
    int32_t g[ROWS], ge[ROWS * 3];
    double y[ROWS], yhat[ROWS], w[ROWS], ye[ROWS * 3], yhe[ROWS * 3];
    size_t m = 0;
    for (size_t i = 0; i < ROWS; i++) {
        g[i] = (int32_t)cairn_rng_below(&rng, K - 1); /* group 4 stays empty */
        y[i] = (double)cairn_rng_below(&rng, 2);
        yhat[i] = cairn_rng_uniform(&rng) < 0.3 + 0.4 * y[i] ? 1 : 0;
        w[i] = (double)cairn_rng_below(&rng, 3);
        for (int c = 0; c < (int)w[i]; c++, m++) {
            ge[m] = g[i];
            ye[m] = y[i];
            yhe[m] = yhat[i];
        }
    }
    cairn_fairness_report a, b;
    cairn_group_rates ga[K], gb[K];
    CAIRN_ASSERT_OK(cairn_fairness_compute(g, K, 2, y, yhat, w, ROWS, ga, &a, NULL), NULL);
    CAIRN_ASSERT_OK(cairn_fairness_compute(ge, K, 2, ye, yhe, NULL, m, gb, &b, NULL), NULL);
    assert_close(a.demographic_parity_difference, b.demographic_parity_difference, 1e-12);
    assert_close(a.demographic_parity_ratio, b.demographic_parity_ratio, 1e-12);
    assert_close(a.equalized_odds_difference, b.equalized_odds_difference, 1e-12);
    assert_close(a.disparate_impact, b.disparate_impact, 1e-12);
    assert_close(a.average_odds_difference, b.average_odds_difference, 1e-12);
    for (int k = 0; k < K - 1; k++) {
        assert_close(ga[k].weight, (double)gb[k].rows, 0);
        assert_close(ga[k].tpr, gb[k].tpr, 1e-12);
    }
    assert_true(isnan(ga[4].selection_rate));
}

static void test_errors(void **state)
{
    (void)state;
    cairn_fairness_report r;
    cairn_error e;
    int32_t g[] = {0, 1, 4};
    double y[] = {0, 1, 1}, yhat[] = {0, 1, 1};
    cairn_error_clear(&e);
    assert_int_equal(cairn_fairness_compute(g, 4, -1, y, yhat, NULL, 3, NULL, &r, &e),
                     CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "group",
                            "group[2] = 4: a group id must lie in 0..3");
    assert_int_equal(e.row, 2);
    g[2] = 0;
    yhat[1] = 0.7;
    cairn_error_clear(&e);
    assert_int_equal(cairn_fairness_compute(g, 4, -1, y, yhat, NULL, 3, NULL, &r, &e),
                     CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "yhat", "yhat[1] = 0.7: a binary prediction");
    yhat[1] = 1;
    y[0] = -1;
    cairn_error_clear(&e);
    assert_int_equal(cairn_fairness_compute(g, 4, -1, y, yhat, NULL, 3, NULL, &r, &e),
                     CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "y",
                            "y[0] = -1: a binary label must be 0 or 1");
    y[0] = 0;
    cairn_error_clear(&e);
    assert_int_equal(cairn_fairness_compute(g, 4, 4, y, yhat, NULL, 3, NULL, &r, &e), CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "", "privileged group 4 is not in 0..3");
    assert_int_equal(cairn_fairness_compute(g, 0, -1, y, yhat, NULL, 3, NULL, &r, NULL),
                     CAIRN_EINVAL);
    double w[] = {1, NAN, 1};
    assert_int_equal(cairn_fairness_compute(g, 4, -1, y, yhat, w, 3, NULL, &r, NULL), CAIRN_EINVAL);
    /* Allocation failure of the internal group array. */
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks();
    cairn_testalloc_fail_at(1, false);
    assert_int_equal(cairn_fairness_compute(g, 4, -1, y, yhat, NULL, 3, NULL, &r, NULL),
                     CAIRN_ENOMEM);
    cairn_testalloc_fail_at(0, false);
    assert_int_equal(cairn_testalloc_live_blocks(), base);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_by_hand),
        cmocka_unit_test(test_zero_denominators),
        cmocka_unit_test(test_weights_as_duplicates),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
