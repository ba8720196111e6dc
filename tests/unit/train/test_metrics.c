/* Tests of src/train/metrics.c: ROC AUC and average precision on hand-computed cases with
 * ties, one-class data (NaN), log-loss clipping, Brier, the confusion matrix at threshold
 * edges and sklearn's zero-division conventions; multiclass accuracy / F1 / log loss and
 * regression metrics by hand; weights equal to duplicated rows for every named metric; an
 * O(n^2) brute-force AUC and a direct AP on random tied data; the metric table and its
 * errors; the cost-optimal threshold against an exhaustive search, and cost weights; input
 * errors that name the row; allocation failures. The scikit-learn comparison is
 * tests/oracles/test_metrics_sklearn.sh. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/metrics.h"

#define EPS 1e-12

/* |a - b| <= tol, or both the same infinity (cmocka's float assertions cast to float). */
#define assert_close(a, b, tol)                                                                    \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (tol)) && a_ != b_)                                                 \
            fail_msg("%s = %.17g, expected %.17g (tolerance %g)", #a, a_, b_, (double)(tol));      \
    } while (0)

static double metric(const char *name, const cairn_metric_data *d)
{
    double v = -1;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_metric_by_name(name, d, &v, &e), &e);
    return v;
}

static double metric_yp(const char *name, const double *y, const double *p, const double *w,
                        size_t n)
{
    cairn_metric_data d;
    cairn_metric_data_init(&d, y, p, w, n);
    return metric(name, &d);
}

/* ------------------------------------------------------------------------------------------
 * Binary
 * ---------------------------------------------------------------------------------------- */

static void test_auc_ap_by_hand(void **state)
{
    (void)state;
    /* sklearn's documentation example: AUC 0.75, AP 0.8333... */
    double y[] = {0, 0, 1, 1}, p[] = {0.1, 0.4, 0.35, 0.8};
    assert_close(metric_yp("roc_auc", y, p, NULL, 4), 0.75, EPS);
    assert_close(metric_yp("average_precision", y, p, NULL, 4), 5.0 / 6.0, EPS);
    /* Ties count 1/2: positives {0.5, 0.9} vs negatives {0.5, 0.2}: (0.5 + 1 + 1 + 1) / 4. */
    double y2[] = {0, 1, 0, 1}, p2[] = {0.5, 0.5, 0.2, 0.9};
    assert_close(metric_yp("roc_auc", y2, p2, NULL, 4), 0.875, EPS);
    /* AP steps over distinct thresholds: 0.9 -> (R 1/2, P 1); 0.5 -> (R 1, P 2/3). */
    assert_close(metric_yp("average_precision", y2, p2, NULL, 4), 0.5 + 0.5 * 2.0 / 3.0, EPS);
    /* All scores tied: AUC 1/2, AP = prevalence. */
    double p3[] = {0.3, 0.3, 0.3, 0.3};
    assert_close(metric_yp("roc_auc", y2, p3, NULL, 4), 0.5, EPS);
    assert_close(metric_yp("average_precision", y2, p3, NULL, 4), 0.5, EPS);
    /* Scores need not be probabilities for ranking metrics. */
    double p4[] = {-3, 7, -INFINITY, 12};
    assert_close(metric_yp("roc_auc", y2, p4, NULL, 4), 1.0, EPS);
}

static void test_one_class_is_nan(void **state)
{
    (void)state;
    double ones[] = {1, 1, 1}, zeros[] = {0, 0, 0}, p[] = {0.2, 0.5, 0.9};
    assert_true(isnan(metric_yp("roc_auc", ones, p, NULL, 3)));
    assert_true(isnan(metric_yp("roc_auc", zeros, p, NULL, 3)));
    assert_true(isnan(metric_yp("average_precision", zeros, p, NULL, 3)));
    assert_close(metric_yp("average_precision", ones, p, NULL, 3), 1.0, EPS);
    /* One class by weight: the only negative has weight 0. */
    double y[] = {1, 0, 1}, w[] = {1, 0, 2};
    assert_true(isnan(metric_yp("roc_auc", y, p, w, 3)));
    /* No rows, or no weight: everything NaN. */
    double zero_w[] = {0, 0, 0};
    assert_true(isnan(metric_yp("accuracy", y, p, zero_w, 3)));
    assert_true(isnan(metric_yp("log_loss", y, p, NULL, 0)));
    cairn_binary_metrics bm;
    CAIRN_ASSERT_OK(cairn_binary_metrics_compute(ones, p, NULL, 3, 0.5, &bm, NULL), NULL);
    assert_true(isnan(bm.roc_auc));
    assert_close(bm.recall, 2.0 / 3.0, EPS);
}

static void test_log_loss_and_brier(void **state)
{
    (void)state;
    double y[] = {1, 0}, p[] = {0.8, 0.3};
    assert_close(metric_yp("log_loss", y, p, NULL, 2), -(log(0.8) + log(0.7)) / 2, EPS);
    assert_close(metric_yp("brier", y, p, NULL, 2), (0.04 + 0.09) / 2, EPS);
    double w[] = {3, 1};
    assert_close(metric_yp("log_loss", y, p, w, 2), -(3 * log(0.8) + log(0.7)) / 4, EPS);
    assert_close(metric_yp("brier", y, p, w, 2), (3 * 0.04 + 0.09) / 4, EPS);
    /* Certain and wrong: clipped at 1e-15, so finite. */
    double y2[] = {0, 1}, p2[] = {1, 0};
    double ll = metric_yp("log_loss", y2, p2, NULL, 2);
    assert_true(isfinite(ll));
    /* sklearn 1.2.1: log_loss([0, 1], [1, 0], eps=1e-15) (the pair (1 - clip(p), clip(p))
     * is renormalised, and 1 - (1 - 1e-15) is 9.992e-16 in doubles). */
    assert_close(ll, 34.53917619362578, 1e-12);
    /* Certain and right: about 1e-15, not 0 and not negative. */
    double ll2 = metric_yp("log_loss", p2, p2, NULL, 2);
    assert_true(ll2 >= 0 && ll2 < 1e-14);
}

static void test_confusion_and_thresholds(void **state)
{
    (void)state;
    double y[] = {1, 1, 0, 0, 1}, p[] = {0.9, 0.5, 0.5, 0.1, 0.2};
    cairn_confusion c;
    CAIRN_ASSERT_OK(cairn_confusion_compute(y, p, NULL, 5, 0.5, &c, NULL), NULL);
    /* p == threshold counts as positive. */
    assert_close(c.tp, 2, 0);
    assert_close(c.fp, 1, 0);
    assert_close(c.fn, 1, 0);
    assert_close(c.tn, 1, 0);
    cairn_binary_metrics m;
    CAIRN_ASSERT_OK(cairn_binary_metrics_compute(y, p, NULL, 5, 0.5, &m, NULL), NULL);
    assert_close(m.accuracy, 3.0 / 5, EPS);
    assert_close(m.precision, 2.0 / 3, EPS);
    assert_close(m.recall, 2.0 / 3, EPS);
    assert_close(m.f1, 2.0 / 3, EPS);
    assert_close(m.weight, 5, 0);
    assert_close(m.positives, 3, 0);
    /* Nothing predicted positive: precision, recall and F1 are 0 (sklearn's zero_division). */
    CAIRN_ASSERT_OK(cairn_binary_metrics_compute(y, p, NULL, 5, 0.95, &m, NULL), NULL);
    assert_close(m.precision, 0, 0);
    assert_close(m.recall, 0, 0);
    assert_close(m.f1, 0, 0);
    assert_close(m.accuracy, 2.0 / 5, EPS);
    /* Everything positive. */
    CAIRN_ASSERT_OK(cairn_binary_metrics_compute(y, p, NULL, 5, -1, &m, NULL), NULL);
    assert_close(m.recall, 1, 0);
    assert_close(m.precision, 3.0 / 5, EPS);
    /* Weighted counts. */
    double w[] = {2, 0, 1, 1, 3};
    CAIRN_ASSERT_OK(cairn_confusion_compute(y, p, w, 5, 0.5, &c, NULL), NULL);
    assert_close(c.tp, 2, 0);
    assert_close(c.fn, 3, 0);
    /* Margins: log loss and Brier are NaN in the struct, an error by name. */
    double margins[] = {3, -1, 2, -4, 0};
    CAIRN_ASSERT_OK(cairn_binary_metrics_compute(y, margins, NULL, 5, 0, &m, NULL), NULL);
    assert_true(isnan(m.log_loss) && isnan(m.brier));
    assert_close(m.roc_auc, 4.0 / 6.0, EPS); /* {3,-1,0} vs {2,-4} */
    cairn_metric_data d;
    cairn_metric_data_init(&d, y, margins, NULL, 5);
    double v;
    cairn_error e;
    cairn_error_clear(&e);
    assert_int_equal(cairn_metric_by_name("brier", &d, &v, &e), CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "p", "p[0] = 3: a probability must lie");
    assert_int_equal(e.row, 0);
}

/* ------------------------------------------------------------------------------------------
 * Multiclass and regression
 * ---------------------------------------------------------------------------------------- */

static void test_multiclass_by_hand(void **state)
{
    (void)state;
    /* Predictions (argmax): 0, 2, 2, 1, 0 for labels 0, 1, 2, 2, 0. */
    double y[] = {0, 1, 2, 2, 0};
    double p[] = {0.7,      0.2, 0.1, /**/ 0.1, 0.3, 0.6, /**/ 0.2, 0.2, 0.6,
                  /**/ 0.3, 0.4, 0.3, /**/ 0.4, 0.4, 0.2};
    cairn_multiclass_metrics m;
    CAIRN_ASSERT_OK(cairn_multiclass_metrics_compute(y, p, NULL, 5, 3, &m, NULL), NULL);
    assert_close(m.accuracy, 3.0 / 5, EPS);
    /* class 0: P 1, R 1, F1 1; class 1: tp 0 -> 0; class 2: P 1/2, R 1/2, F1 1/2. */
    assert_close(m.f1_macro, 1.5 / 3, EPS);
    assert_close(m.f1_weighted, (2 * 1 + 1 * 0 + 2 * 0.5) / 5, EPS);
    assert_int_equal(m.classes_present, 3);
    double ll = -(log(0.7) + log(0.3) + log(0.6) + log(0.3) + log(0.4)) / 5;
    assert_close(m.log_loss, ll, EPS);
    cairn_metric_data d;
    cairn_metric_data_init(&d, y, p, NULL, 5);
    d.k = 3;
    assert_close(metric("log_loss", &d), ll, EPS);
    assert_close(metric("accuracy", &d), 0.6, EPS);
    assert_close(metric("f1_macro", &d), 0.5, EPS);
    /* A class absent from both labels and predictions does not count in the macro mean. */
    d.k = 4;
    double p4[20];
    for (size_t i = 0; i < 5; i++) {
        memcpy(p4 + 4 * i, p + 3 * i, 3 * sizeof *p);
        p4[4 * i + 3] = 0;
    }
    d.p = p4;
    assert_close(metric("f1_macro", &d), 0.5, EPS);
    /* Rows that do not sum to 1 are renormalised after clipping, as sklearn does. */
    double y1[] = {1}, q[] = {0.2, 0.6, 0.2};
    cairn_metric_data_init(&d, y1, q, NULL, 1);
    d.k = 3;
    q[1] = 0.3;
    assert_close(metric("log_loss", &d), -log(0.3 / 0.7), EPS);
    /* Binary labels through f1_macro: the mean of both classes' F1. */
    double yb[] = {1, 0, 1, 0}, pb[] = {0.9, 0.8, 0.1, 0.2};
    assert_close(metric_yp("f1_macro", yb, pb, NULL, 4), 0.5, EPS);
}

static void test_regression_by_hand(void **state)
{
    (void)state;
    double y[] = {1, 2, 3}, p[] = {1, 2, 4};
    cairn_regression_metrics m;
    CAIRN_ASSERT_OK(cairn_regression_metrics_compute(y, p, NULL, 3, &m, NULL), NULL);
    assert_close(m.rmse, sqrt(1.0 / 3), EPS);
    assert_close(m.mae, 1.0 / 3, EPS);
    assert_close(m.r2, 0.5, EPS);
    double w[] = {1, 1, 2}; /* weighted mean 9/4; ss = 25/16 + 1/16 + 2 * 9/16 = 44/16 */
    CAIRN_ASSERT_OK(cairn_regression_metrics_compute(y, p, w, 3, &m, NULL), NULL);
    assert_close(m.rmse, sqrt(2.0 / 4), EPS);
    assert_close(m.r2, 1 - 2.0 / (44.0 / 16), EPS);
    /* A constant target: 1 for a perfect fit, else 0 (sklearn's force_finite). */
    double c[] = {2, 2, 2}, exact[] = {2, 2, 2};
    CAIRN_ASSERT_OK(cairn_regression_metrics_compute(c, exact, NULL, 3, &m, NULL), NULL);
    assert_close(m.r2, 1, 0);
    CAIRN_ASSERT_OK(cairn_regression_metrics_compute(c, p, NULL, 3, &m, NULL), NULL);
    assert_close(m.r2, 0, 0);
    CAIRN_ASSERT_OK(cairn_regression_metrics_compute(c, p, NULL, 1, &m, NULL), NULL);
    assert_true(isnan(m.r2));
    assert_close(metric_yp("mae", y, p, NULL, 3), 1.0 / 3, EPS);
}

/* ------------------------------------------------------------------------------------------
 * Weights are frequency weights; brute-force references on random data
 * ---------------------------------------------------------------------------------------- */

typedef struct rnd_set {
    size_t n, k;
    double *y, *p, *w;
} rnd_set;

/* Random data with ties (scores on a grid of `levels`), integer weights 0..3. */
static rnd_set random_set(uint64_t seed, size_t n, size_t k, int levels)
{
    rnd_set s = {n, k, calloc(n, sizeof(double)), calloc(n * (k ? k : 1), sizeof(double)),
                 calloc(n, sizeof(double))};
    cairn_rng r;
    cairn_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        s.w[i] = (double)cairn_rng_below(&r, 4);
        if (k >= 2) {
            s.y[i] = (double)cairn_rng_below(&r, k);
            double sum = 0;
            for (size_t c = 0; c < k; c++)
                sum += s.p[i * k + c] = 1 + (double)cairn_rng_below(&r, 5);
            for (size_t c = 0; c < k; c++)
                s.p[i * k + c] /= sum;
        } else {
            double q = (double)cairn_rng_below(&r, (uint64_t)levels) / (levels - 1);
            s.p[i] = q;
            s.y[i] = cairn_rng_uniform(&r) < 0.2 + 0.6 * q ? 1 : 0;
        }
    }
    return s;
}

static void free_set(rnd_set *s)
{
    free(s->y);
    free(s->p);
    free(s->w);
}

/* Every row repeated w_i times, unweighted. */
static rnd_set expand(const rnd_set *s)
{
    size_t total = 0, width = s->k ? s->k : 1;
    for (size_t i = 0; i < s->n; i++)
        total += (size_t)s->w[i];
    rnd_set e = {total, s->k, calloc(total + 1, sizeof(double)),
                 calloc((total + 1) * width, sizeof(double)), NULL};
    size_t j = 0;
    for (size_t i = 0; i < s->n; i++)
        for (int c = 0; c < (int)s->w[i]; c++, j++) {
            e.y[j] = s->y[i];
            memcpy(e.p + j * width, s->p + i * width, width * sizeof(double));
        }
    return e;
}

static void test_weights_are_frequencies(void **state)
{
    (void)state;
    for (int task = 0; task < 3; task++) {
        rnd_set s = random_set(100 + (uint64_t)task, 300, task == 1 ? 4 : 0, 11);
        if (task == 2)
            for (size_t i = 0; i < s.n; i++)
                s.y[i] = s.p[i] * 3 + (double)(i % 7);
        rnd_set e = expand(&s);
        for (size_t m = 0; m < cairn_metric_count(); m++) {
            const cairn_metric_info *info = cairn_metric_at(m);
            unsigned want = task == 0   ? CAIRN_METRIC_BINARY
                            : task == 1 ? CAIRN_METRIC_MULTICLASS
                                        : CAIRN_METRIC_REGRESSION;
            if (!(info->tasks & want)) continue;
            cairn_metric_data dw, de;
            cairn_metric_data_init(&dw, s.y, s.p, s.w, s.n);
            cairn_metric_data_init(&de, e.y, e.p, NULL, e.n);
            dw.k = de.k = s.k;
            double a = metric(info->name, &dw), b = metric(info->name, &de);
            if (fabs(a - b) > 1e-9)
                fail_msg("%s: weighted %.17g, expanded %.17g", info->name, a, b);
        }
        free_set(&s);
        free_set(&e);
    }
}

static void test_brute_force_auc_ap(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        rnd_set s = random_set(seed, 200 + seed * 37, 0, seed == 3 ? 3 : 21);
        double num = 0, pos = 0, neg = 0;
        for (size_t i = 0; i < s.n; i++) {
            if (s.y[i] == 1)
                pos += s.w[i];
            else
                neg += s.w[i];
            for (size_t j = 0; j < s.n; j++) {
                if (s.y[i] != 1 || s.y[j] != 0) continue;
                double psi = s.p[i] > s.p[j] ? 1 : s.p[i] == s.p[j] ? 0.5 : 0;
                num += s.w[i] * s.w[j] * psi;
            }
        }
        /* AP: for each distinct threshold t, descending, P(t) x (R(t) - R(prev)). */
        double ap = 0, prev_r = 0;
        double *thr = malloc(s.n * sizeof *thr);
        size_t nt = 0;
        for (size_t i = 0; i < s.n; i++) {
            bool seen = false;
            for (size_t j = 0; j < nt; j++)
                seen = seen || thr[j] == s.p[i];
            if (!seen) thr[nt++] = s.p[i];
        }
        for (size_t a = 0; a < nt; a++) /* selection sort, descending */
            for (size_t b = a + 1; b < nt; b++)
                if (thr[b] > thr[a]) {
                    double t = thr[a];
                    thr[a] = thr[b];
                    thr[b] = t;
                }
        for (size_t t = 0; t < nt; t++) {
            double tp = 0, sel = 0;
            for (size_t i = 0; i < s.n; i++)
                if (s.p[i] >= thr[t]) {
                    sel += s.w[i];
                    tp += s.y[i] * s.w[i];
                }
            double r = tp / pos;
            ap += (r - prev_r) * (sel > 0 ? tp / sel : 0);
            prev_r = r;
        }
        free(thr);
        assert_close(metric_yp("roc_auc", s.y, s.p, s.w, s.n), num / (pos * neg), 1e-12);
        assert_close(metric_yp("average_precision", s.y, s.p, s.w, s.n), ap, 1e-12);
        /* The order argument gives the same values. */
        size_t *order;
        CAIRN_ASSERT_OK(cairn_metric_sort_scores(s.p, s.n, &order, NULL), NULL);
        cairn_metric_data d;
        cairn_metric_data_init(&d, s.y, s.p, s.w, s.n);
        d.order = order;
        assert_close(metric("roc_auc", &d), num / (pos * neg), 1e-12);
        cairn_free(order);
        free_set(&s);
    }
}

/* ------------------------------------------------------------------------------------------
 * The table and errors
 * ---------------------------------------------------------------------------------------- */

static void test_table(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        bool higher;
    } expect[] = {
        {"roc_auc", true},  {"average_precision", true}, {"log_loss", false}, {"brier", false},
        {"accuracy", true}, {"precision", true},         {"recall", true},    {"f1", true},
        {"f1_macro", true}, {"f1_weighted", true},       {"rmse", false},     {"mae", false},
        {"r2", true}};
    assert_int_equal(cairn_metric_count(), sizeof expect / sizeof expect[0]);
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        const cairn_metric_info *m = cairn_metric_find(expect[i].name);
        assert_non_null(m);
        assert_ptr_equal(m, cairn_metric_at(i));
        assert_int_equal(m->higher_is_better, expect[i].higher);
    }
    assert_null(cairn_metric_find("auc"));
    assert_null(cairn_metric_find(NULL));
    assert_null(cairn_metric_at(99));
    const cairn_metric_info *m;
    cairn_error e;
    cairn_error_clear(&e);
    assert_int_equal(cairn_metric_lookup("auc", &m, &e), CAIRN_ENOTFOUND);
    cairn_test_assert_error(&e, CAIRN_ENOTFOUND, 0, 0, "metric",
                            "unknown metric 'auc' (known: roc_auc, average_precision");
    /* Task mismatches. */
    double y[] = {0, 1}, p[] = {0.5, 0.5, 0.3, 0.7};
    cairn_metric_data d;
    cairn_metric_data_init(&d, y, p, NULL, 2);
    d.k = 2;
    double v;
    cairn_error_clear(&e);
    assert_int_equal(cairn_metric_by_name("roc_auc", &d, &v, &e), CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "", "does not apply to multiclass data");
    cairn_error_clear(&e);
    assert_int_equal(cairn_metric_by_name("rmse", &d, &v, &e), CAIRN_EINVAL);
}

static void test_input_errors(void **state)
{
    (void)state;
    double y[] = {0, 1, 2}, p[] = {0.1, 0.2, 0.3}, w[] = {1, -1, 1};
    cairn_metric_data d;
    cairn_metric_data_init(&d, y, p, NULL, 3);
    double v;
    cairn_error e;
    cairn_error_clear(&e);
    assert_int_equal(cairn_metric_by_name("roc_auc", &d, &v, &e), CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "y", "y[2] = 2: a binary label must be 0 or 1");
    assert_int_equal(e.row, 2);
    y[2] = 1;
    d.w = w;
    cairn_error_clear(&e);
    assert_int_equal(cairn_metric_by_name("accuracy", &d, &v, &e), CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "w", "w[1] = -1: a weight must be finite");
    assert_int_equal(e.row, 1);
    d.w = NULL;
    p[1] = NAN;
    cairn_error_clear(&e);
    assert_int_equal(cairn_metric_by_name("roc_auc", &d, &v, &e), CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "p", "p[1] is NaN");
    size_t *order;
    assert_int_equal(cairn_metric_sort_scores(p, 3, &order, NULL), CAIRN_EINVAL);
    assert_null(order);
    p[1] = 0.2;
    /* Multiclass labels out of range or fractional. */
    double ym[] = {0, 2.5}, pm[] = {0.5, 0.5, 0.5, 0.5};
    cairn_metric_data_init(&d, ym, pm, NULL, 2);
    d.k = 2;
    cairn_error_clear(&e);
    assert_int_equal(cairn_metric_by_name("accuracy", &d, &v, &e), CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "y",
                            "y[1] = 2.5: a class label must be an integer in 0..1");
    /* Regression targets must be finite. */
    double yr[] = {1, INFINITY};
    cairn_metric_data_init(&d, yr, p, NULL, 2);
    cairn_error_clear(&e);
    assert_int_equal(cairn_metric_by_name("rmse", &d, &v, &e), CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "y", "y[1] = inf");
}

/* ------------------------------------------------------------------------------------------
 * Cost matrix
 * ---------------------------------------------------------------------------------------- */

static double cost_at(const rnd_set *s, const cairn_cost_matrix *c, double t)
{
    double sum = 0, wsum = 0;
    for (size_t i = 0; i < s->n; i++) {
        bool pos = s->p[i] >= t;
        double cost = s->y[i] == 1 ? (pos ? c->tp : c->fn) : (pos ? c->fp : c->tn);
        sum += s->w[i] * cost;
        wsum += s->w[i];
    }
    return sum / wsum;
}

static void test_cost_threshold(void **state)
{
    (void)state;
    /* By hand: scores 0.9 (1), 0.6 (0), 0.4 (1), 0.1 (0); fn costs 5, fp 1. Splits: none
     * positive 10/4; {0.9} 5/4; {0.9, 0.6} 6/4; {.., 0.4} 1/4; all 2/4. Best: t between
     * 0.4 and 0.1. */
    double y[] = {1, 0, 1, 0}, p[] = {0.9, 0.6, 0.4, 0.1};
    cairn_cost_matrix c = {0, 1, 5, 0};
    double t, cost;
    CAIRN_ASSERT_OK(cairn_cost_threshold(y, p, NULL, 4, &c, &t, &cost, NULL), NULL);
    assert_close(t, 0.25, EPS);
    assert_close(cost, 0.25, EPS);
    /* Costly false alarms: all negative, the threshold just above the top score. */
    cairn_cost_matrix c2 = {0, 100, 1, 0};
    double y_top_negative[] = {0, 1, 1, 0};
    CAIRN_ASSERT_OK(cairn_cost_threshold(y_top_negative, p, NULL, 4, &c2, &t, &cost, NULL), NULL);
    assert_true(t > 0.9 && t == nextafter(0.9, 1));
    assert_close(cost, 0.5, EPS);
    /* Costly misses: all positive, the threshold is the lowest score. */
    cairn_cost_matrix c3 = {0, 1, 100, 0};
    double y_bottom_positive[] = {1, 0, 0, 1};
    CAIRN_ASSERT_OK(cairn_cost_threshold(y_bottom_positive, p, NULL, 4, &c3, &t, &cost, NULL),
                    NULL);
    assert_close(t, 0.1, 0);
    assert_close(cost, 0.5, EPS);
    assert_close(cairn_cost_bayes_threshold(&c), 1.0 / 6, EPS);
    cairn_cost_matrix gains = {-2, 1, 3, 0}; /* a true positive earns 2 */
    assert_close(cairn_cost_bayes_threshold(&gains), 1.0 / 6, EPS);
    /* Against exhaustive search on random tied data. */
    for (uint64_t seed = 1; seed <= 6; seed++) {
        rnd_set s = random_set(seed * 7, 150, 0, seed % 2 ? 5 : 40);
        cairn_cost_matrix cm = {0.5 * (double)(seed % 3), 1 + (double)seed, 2 + (double)(seed % 4),
                                0};
        CAIRN_ASSERT_OK(cairn_cost_threshold(s.y, s.p, s.w, s.n, &cm, &t, &cost, NULL), NULL);
        double best = cost_at(&s, &cm, INFINITY);
        for (size_t i = 0; i < s.n; i++)
            best = fmin(best, cost_at(&s, &cm, s.p[i]));
        assert_close(cost, best, 1e-12);
        assert_close(cost_at(&s, &cm, t), cost, 1e-12);
        free_set(&s);
    }
    /* Bad matrices and no weight. */
    cairn_cost_matrix bad = {1, 1, 1, 0};
    cairn_error e;
    cairn_error_clear(&e);
    assert_int_equal(cairn_cost_threshold(y, p, NULL, 4, &bad, &t, &cost, &e), CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "",
                            "an error must cost more than a correct call");
    assert_true(isnan(cairn_cost_bayes_threshold(&bad)));
    double zero[] = {0, 0, 0, 0};
    assert_int_equal(cairn_cost_threshold(y, p, zero, 4, &c, &t, &cost, NULL), CAIRN_EINVAL);
}

static void test_cost_weights(void **state)
{
    (void)state;
    double y[] = {1, 0, 0, 0}, out[4];
    cairn_cost_matrix c = {0, 1, 5, 0};
    CAIRN_ASSERT_OK(cairn_cost_weights(y, NULL, 4, &c, out, NULL), NULL);
    /* Raw 5, 1, 1, 1: mean 2. */
    assert_close(out[0], 2.5, EPS);
    assert_close(out[1], 0.5, EPS);
    double w[] = {2, 1, 1, 0};
    CAIRN_ASSERT_OK(cairn_cost_weights(y, w, 4, &c, w, NULL), NULL); /* in place */
    assert_close(w[0], 10.0 / 12 * 4, EPS);
    assert_close(w[3], 0, 0);
    double sum = w[0] + w[1] + w[2] + w[3];
    assert_close(sum / 4, 1, EPS);
    cairn_cost_matrix regret = {1, 1, 6, 0}; /* fn - tp = 5: same as c */
    CAIRN_ASSERT_OK(cairn_cost_weights(y, NULL, 4, &regret, out, NULL), NULL);
    assert_close(out[0], 2.5, EPS);
    double ybad[] = {1, 3, 0, 0};
    cairn_error e;
    cairn_error_clear(&e);
    assert_int_equal(cairn_cost_weights(ybad, NULL, 4, &c, out, &e), CAIRN_EINVAL);
    assert_int_equal(e.row, 1);
}

/* ------------------------------------------------------------------------------------------
 * Allocation failures
 * ---------------------------------------------------------------------------------------- */

static void test_alloc_failures(void **state)
{
    (void)state;
    rnd_set s = random_set(9, 100, 0, 7);
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks(), failures = 0;
    for (int64_t nth = 1;; nth++) {
        cairn_binary_metrics m;
        double t, cost;
        cairn_cost_matrix c = {0, 1, 2, 0};
        cairn_testalloc_fail_at(nth, false);
        int rc = cairn_binary_metrics_compute(s.y, s.p, s.w, s.n, 0.5, &m, NULL);
        if (!rc) rc = cairn_cost_threshold(s.y, s.p, s.w, s.n, &c, &t, &cost, NULL);
        cairn_testalloc_fail_at(0, false);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        if (rc) {
            assert_int_equal(rc, CAIRN_ENOMEM);
            failures++;
            continue;
        }
        break;
    }
    assert_true(failures >= 2);
    cairn_testalloc_uninstall();
    free_set(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auc_ap_by_hand),
        cmocka_unit_test(test_one_class_is_nan),
        cmocka_unit_test(test_log_loss_and_brier),
        cmocka_unit_test(test_confusion_and_thresholds),
        cmocka_unit_test(test_multiclass_by_hand),
        cmocka_unit_test(test_regression_by_hand),
        cmocka_unit_test(test_weights_are_frequencies),
        cmocka_unit_test(test_brute_force_auc_ap),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_input_errors),
        cmocka_unit_test(test_cost_threshold),
        cmocka_unit_test(test_cost_weights),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
