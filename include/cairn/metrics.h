/* cairn/metrics.h: the evaluation maths of training: metrics, decision thresholds,
 * significance, calibration, fairness and per-slice tables.
 *
 * Everything works on plain arrays, one entry per row:
 *   y  labels: 0 or 1 for binary tasks, a class index 0..k-1 for multiclass, any finite real
 *      for regression;
 *   p  scores: any non-NaN value for ranking metrics (ROC AUC, average precision), a
 *      probability in [0, 1] for probability metrics (log loss, Brier, calibration), an n x k
 *      row-major probability matrix for multiclass, a prediction for regression;
 *   w  optional sample weights (NULL = all 1): finite and >= 0, with a positive total.
 * Weights are frequency weights: a row of weight 2 counts exactly like two copies of it. The
 * bootstrap relies on this (a resample is the same rows with weight w_i x multiplicity_i).
 *
 * Design notes
 * - Invalid input (a label that is not 0/1, a NaN score, a negative weight, a probability
 *   outside [0, 1] for a probability metric) fails with CAIRN_EINVAL and an error that names
 *   the array and the 0-based row (err->field = "y", "p" or "w"; err->row = the row).
 * - A metric that is undefined on valid input returns 0 and NaN: ROC AUC and average
 *   precision with only one class present (by weight), any metric when the total weight is 0.
 *   Where scikit-learn defines a value by convention, Cairn follows it and says so below
 *   (precision, recall and F1 are 0 when their denominator is 0, as sklearn's
 *   zero_division=0; R^2 of a constant target is 1 for a perfect fit and 0 otherwise).
 * - Binary label metrics predict positive when p >= threshold.
 * - Formulas follow scikit-learn 1.2 (the oracle tests/oracles/test_metrics_sklearn.sh
 *   compares every one), DeLong follows Sun & Xu (2014), the bootstrap follows
 *   scipy.stats.bootstrap, fairness follows Fairlearn and AIF360.
 * - Nothing here keeps state between calls; all functions are thread-safe.
 *
 * Sources: src/train/metrics.c, significance.c, calibrate.c, fairness.c; tests in
 * tests/unit/train/test_{metrics,significance,calibrate,fairness}.c and the oracle above;
 * the clustering metrics in tests/unit/train/test_cluster_metrics.c and
 * tests/oracles/test_cluster_sklearn.sh.
 */
#ifndef CAIRN_METRICS_H
#define CAIRN_METRICS_H

#include <jansson.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------
 * Metric inputs and the table of named metrics
 * ---------------------------------------------------------------------------------------- */

/* The data a metric reads. All pointers are borrowed for the duration of the call. */
typedef struct cairn_metric_data {
    const double *y;  /* n labels or targets */
    const double *p;  /* n scores, or n x k row-major probabilities when k >= 2 */
    const double *w;  /* n weights, or NULL for all 1 */
    size_t n;         /* rows */
    size_t k;         /* classes when p is a probability matrix (>= 2); 0 otherwise */
    double threshold; /* binary label metrics: predict 1 when p >= threshold (0.5 usual) */
    /* Optional: the rows sorted by p, descending (ties in any order), as made by
     * cairn_metric_sort_scores. Ranking metrics use it instead of sorting, which makes
     * repeated evaluation under new weights (the bootstrap) O(n). NULL = sort internally. */
    const size_t *order;
} cairn_metric_data;

/* Sets y, p, w, n; k = 0, threshold = 0.5, order = NULL. */
void cairn_metric_data_init(cairn_metric_data *d, const double *y, const double *p, const double *w,
                            size_t n);

/* What a metric expects of its inputs (a bit set in cairn_metric_info.tasks). */
enum {
    CAIRN_METRIC_BINARY = 1,     /* y in {0, 1}, k = 0, p one score per row */
    CAIRN_METRIC_MULTICLASS = 2, /* y in 0..k-1, k >= 2, p is n x k */
    CAIRN_METRIC_REGRESSION = 4, /* y and p finite reals, k = 0 */
};

/* Computes one metric into *out. Returns 0 (with NaN when undefined) or CAIRN_EINVAL /
 * CAIRN_ENOMEM. Must treat weights as frequency weights (see above) to be bootstrapped. */
typedef int (*cairn_metric_fn)(const cairn_metric_data *d, double *out, cairn_error *err);

typedef struct cairn_metric_info {
    const char *name;      /* "roc_auc", ... */
    unsigned tasks;        /* CAIRN_METRIC_* bits it accepts */
    bool higher_is_better; /* for early stopping, search and comparisons */
    cairn_metric_fn fn;
} cairn_metric_info;

/* The built-in metrics (names as configs spell them; direction in brackets):
 *   roc_auc [higher]           binary    Mann-Whitney U / (P N), ties count 1/2
 *   average_precision [higher] binary    sum over distinct thresholds (R_i - R_{i-1}) P_i
 *   log_loss [lower]           binary, multiclass: p clipped to [1e-15, 1 - 1e-15],
 *                              rows renormalised, weighted mean of -log p_true
 *   brier [lower]              binary    weighted mean of (p - y)^2
 *   accuracy [higher]          binary (p >= threshold), multiclass (argmax, first on ties)
 *   precision, recall, f1 [higher]       binary, at the threshold
 *   f1_macro, f1_weighted [higher]       multiclass and binary: per-class F1 averaged over
 *                              the classes present (positive weight) in y or the prediction,
 *                              plainly or weighted by the class's weight in y
 *   rmse, mae [lower], r2 [higher]       regression
 * The table is static: entries live as long as the program. */
const cairn_metric_info *cairn_metric_find(const char *name); /* NULL when unknown */
/* Like cairn_metric_find, but an unknown name is CAIRN_ENOTFOUND with a message that lists
 * the known names. */
int cairn_metric_lookup(const char *name, const cairn_metric_info **out, cairn_error *err);
size_t cairn_metric_count(void);
const cairn_metric_info *cairn_metric_at(size_t i); /* i < cairn_metric_count() */
/* Looks the metric up, checks that it accepts this task (k >= 2 means multiclass) and
 * computes it. */
int cairn_metric_by_name(const char *name, const cairn_metric_data *d, double *out,
                         cairn_error *err);

/* Checks d for a task (one CAIRN_METRIC_* value), as every metric does on entry.
 * `probabilities` additionally requires p in [0, 1] (binary) or each row of the matrix in
 * [0, 1] (multiclass). Returns 0 or CAIRN_EINVAL naming the array and row. */
int cairn_metric_data_check(const cairn_metric_data *d, unsigned task, bool probabilities,
                            cairn_error *err);

/* Sorts the row numbers 0..n-1 by p descending (ties by row number) into a new array
 * (free with cairn_free), for cairn_metric_data.order. NaN scores are CAIRN_EINVAL. */
int cairn_metric_sort_scores(const double *p, size_t n, size_t **order, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Binary, multiclass and regression metrics in one call
 * ---------------------------------------------------------------------------------------- */

/* Weighted counts at a threshold: predict 1 when p >= threshold. */
typedef struct cairn_confusion {
    double tn, fp, fn, tp;
} cairn_confusion;

int cairn_confusion_compute(const double *y, const double *p, const double *w, size_t n,
                            double threshold, cairn_confusion *out, cairn_error *err);

typedef struct cairn_binary_metrics {
    double weight;            /* total weight (rows when unweighted) */
    double positives;         /* weight of y = 1 */
    double roc_auc;           /* NaN with one class */
    double average_precision; /* NaN without positives (sklearn returns 0 and warns) */
    double log_loss;          /* NaN unless every p is in [0, 1] (scores that are not
                               * probabilities are allowed here, unlike in the named metric) */
    double brier;             /* NaN likewise */
    double threshold;
    cairn_confusion confusion;
    double accuracy, precision, recall, f1; /* at the threshold; 0 for 0/0 (sklearn) */
} cairn_binary_metrics;

/* All binary metrics at once (one sort). y in {0, 1}; p any non-NaN score. */
int cairn_binary_metrics_compute(const double *y, const double *p, const double *w, size_t n,
                                 double threshold, cairn_binary_metrics *out, cairn_error *err);

typedef struct cairn_multiclass_metrics {
    double accuracy, f1_macro, f1_weighted, log_loss;
    size_t classes_present; /* classes with positive weight in y or the prediction */
} cairn_multiclass_metrics;

/* p is n x k row-major probabilities (k >= 2); y holds class indices 0..k-1. The
 * prediction is the first argmax of each row. */
int cairn_multiclass_metrics_compute(const double *y, const double *p, const double *w, size_t n,
                                     size_t k, cairn_multiclass_metrics *out, cairn_error *err);

typedef struct cairn_regression_metrics {
    double rmse, mae, r2;
} cairn_regression_metrics;

int cairn_regression_metrics_compute(const double *y, const double *p, const double *w, size_t n,
                                     cairn_regression_metrics *out, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Clustering: how well a partition of points holds together (no ground truth)
 *
 * These read the points themselves, so they do not fit cairn_metric_fn:
 *   x       n x d row-major coordinates, every one finite (else CAIRN_EINVAL, err->field "x",
 *           err->row the point);
 *   labels  n cluster ids, any int32 values: only which points share an id matters (as
 *           scikit-learn's LabelEncoder), and only the ids present count as clusters.
 * Distances are Euclidean. Definitions are scikit-learn 1.2's (sklearn.metrics); where
 * sklearn raises ValueError because the number of distinct labels is not in [2, n - 1],
 * Cairn returns 0 and NaN, as for any metric undefined on valid input. n = 0 gives NaN.
 * Oracle: tests/oracles/test_cluster_sklearn.sh; unit tests:
 * tests/unit/train/test_cluster_metrics.c.
 * ---------------------------------------------------------------------------------------- */

/* The silhouette sample size cairn train uses (sklearn has no default: all rows). */
#define CAIRN_SILHOUETTE_SAMPLE_DEFAULT 2000

/* The silhouette of every point (sklearn.metrics.silhouette_samples): a = the mean distance
 * to the other points of its cluster, b = the lowest mean distance to the points of another
 * cluster, s = (b - a) / max(a, b); s = 0 for a point alone in its cluster and where
 * max(a, b) = 0 (duplicates). out holds n doubles; all NaN when undefined. O(n^2 d) time,
 * O(n k) memory. */
int cairn_silhouette_samples(const double *x, size_t n, size_t d, const int32_t *labels,
                             double *out, cairn_error *err);
/* The rows a silhouette sample of at most sample_size of n points takes: every row when
 * sample_size is 0 or >= n, else Knuth's selection sampling (Algorithm S) driven by a
 * cairn_rng seeded with seed: row i (in order) is taken when (n - i) u < (still needed), u
 * uniform in [0, 1). So the sample depends only on (n, sample_size, seed), holds exactly
 * min(n, sample_size) rows, and comes out ascending. *rows is new (cairn_free); *m its
 * length. CAIRN_ENOMEM only. */
int cairn_silhouette_sample_rows(size_t n, size_t sample_size, uint64_t seed, size_t **rows,
                                 size_t *m);
/* The mean silhouette (sklearn.metrics.silhouette_score) over the sample above: with a
 * sample, clusters and their sizes are those of the sampled points, exactly as sklearn
 * scores X[rows], labels[rows]. sample_size 0 = every point. Higher is better, in [-1, 1]. */
int cairn_silhouette_score(const double *x, size_t n, size_t d, const int32_t *labels,
                           size_t sample_size, uint64_t seed, double *out, cairn_error *err);
/* Davies-Bouldin (sklearn.metrics.davies_bouldin_score): with c_k a cluster's mean, s_k the
 * mean distance of its points to c_k and d_kj the distance between means, the mean over
 * clusters of max over j != k of (s_k + s_j) / d_kj (a pair of coinciding means counts 0).
 * 0 when every s_k or every d_kj is within 1e-8 of 0 (numpy.allclose). Lower is better. */
int cairn_davies_bouldin_score(const double *x, size_t n, size_t d, const int32_t *labels,
                               double *out, cairn_error *err);
/* Calinski-Harabasz (sklearn.metrics.calinski_harabasz_score): the between-cluster
 * dispersion sum_k n_k |c_k - c|^2 over the within-cluster dispersion sum_i |x_i - c_k(i)|^2,
 * times (n - k) / (k - 1); 1 when the within-cluster dispersion is 0. Higher is better. */
int cairn_calinski_harabasz_score(const double *x, size_t n, size_t d, const int32_t *labels,
                                  double *out, cairn_error *err);
/* Inertia: sum_i |x_i - c_{labels_i}|^2. With centroids (k x d, row-major) labels must lie
 * in 0..k-1 (CAIRN_EINVAL naming the row otherwise, err->field "labels"): this is
 * sklearn's KMeans inertia_ (-KMeans.score) of points assigned to a fitted model's centres.
 * Without (NULL) each cluster's own mean is its centre (the within-cluster sum of squares).
 * Defined for any n >= 1 and any number of clusters. Lower is better; it falls as k grows,
 * so it cannot choose k on its own. */
int cairn_cluster_inertia(const double *x, size_t n, size_t d, const int32_t *labels,
                          const double *centroids, size_t k, double *out, cairn_error *err);

typedef struct cairn_cluster_metrics {
    double silhouette;        /* on the sample below */
    double davies_bouldin;
    double calinski_harabasz;
    double inertia;
    size_t clusters;          /* distinct labels among the n points */
    size_t silhouette_rows;   /* the sample's size: min(n, sample_size), or n */
} cairn_cluster_metrics;

/* All four at once (arguments as above). */
int cairn_cluster_metrics_compute(const double *x, size_t n, size_t d, const int32_t *labels,
                                  const double *centroids, size_t k, size_t sample_size,
                                  uint64_t seed, cairn_cluster_metrics *out, cairn_error *err);
/* The clustering metrics by name: "silhouette", "davies_bouldin", "calinski_harabasz",
 * "inertia". Returns false for any other name; else *higher_is_better (may be NULL) gets the
 * direction. cairn_cluster_metric_value picks one out of a cairn_cluster_metrics (NaN for an
 * unknown name). */
bool cairn_cluster_metric_find(const char *name, bool *higher_is_better);
double cairn_cluster_metric_value(const cairn_cluster_metrics *m, const char *name);

/* ------------------------------------------------------------------------------------------
 * Decisions under a cost matrix
 *
 * A prediction's cost is costs.tp, .fp, .fn or .tn by its outcome (any real; a gain is a
 * negative cost). The mean cost of a threshold t on labelled rows is
 *   (sum of w_i x cost(outcome_i at t)) / (sum of w_i),
 * with the outcome of row i positive when p_i >= t. Misclassifying must cost more than
 * classifying right: fn > tp and fp > tn, or the call fails with CAIRN_EINVAL.
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_cost_matrix {
    double tp, fp, fn, tn;
} cairn_cost_matrix;

/* The threshold that minimises the mean cost on validation rows, found by one scan of the
 * scores sorted descending (O(n log n)): every split between two distinct scores is tried,
 * and so are "all positive" and "all negative". The returned threshold reproduces the best
 * split on these rows and lies halfway between the lowest score called positive and the
 * highest score called negative; for "all positive" it is the lowest score; for "all
 * negative" the next double above the highest score. Among equal costs the highest threshold
 * wins (fewest positives). *mean_cost receives the minimum. */
int cairn_cost_threshold(const double *y, const double *p, const double *w, size_t n,
                         const cairn_cost_matrix *costs, double *threshold, double *mean_cost,
                         cairn_error *err);

/* The Bayes-optimal threshold for calibrated probabilities:
 * (fp - tn) / ((fp - tn) + (fn - tp)). NaN for a cost matrix refused above. */
double cairn_cost_bayes_threshold(const cairn_cost_matrix *costs);

/* Instance weights that make a learner minimising (weighted) error minimise cost instead:
 * positives get fn - tp (the regret of missing one), negatives fp - tn (the regret of a
 * false alarm), times the base weight w_i (NULL = 1); then all are scaled so that their
 * mean is 1. With tp = tn = 0 these are the classic class weights c_fn and c_fp. out holds
 * n doubles (may alias w). */
int cairn_cost_weights(const double *y, const double *w, size_t n, const cairn_cost_matrix *costs,
                       double *out, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Significance: bootstrap confidence intervals, DeLong, McNemar
 * ---------------------------------------------------------------------------------------- */

typedef enum cairn_ci_method {
    CAIRN_CI_BCA = 0,        /* bias-corrected and accelerated (scipy's default) */
    CAIRN_CI_PERCENTILE = 1, /* the alpha/2 and 1 - alpha/2 quantiles of the resamples */
    CAIRN_CI_BASIC = 2,      /* 2 estimate - the percentile interval, reversed */
} cairn_ci_method;

const char *cairn_ci_method_name(cairn_ci_method m); /* "bca", "percentile", "basic" */
int cairn_ci_method_parse(const char *name, cairn_ci_method *out);

typedef struct cairn_bootstrap_options {
    size_t n_resamples;     /* default 9999, like scipy.stats.bootstrap */
    double confidence;      /* default 0.95 */
    cairn_ci_method method; /* default CAIRN_CI_BCA */
    uint64_t seed;          /* resample b uses the stream cairn_rng_derive(seed, b) */
    /* BCa's acceleration needs the statistic with each row left out (n evaluations). Up to
     * this many rows that is done exactly; above it rows are dealt into this many groups
     * (row i to group i mod G) and each group is left out, which estimates the same
     * acceleration. Default 5000; 0 = always exact. */
    size_t jackknife_max;
    cairn_pool *pool;     /* borrowed; NULL = cairn_pool_default() (all cores) */
    double *distribution; /* optional caller array of n_resamples doubles: receives each
                           * resample's statistic (NaN where undefined) */
} cairn_bootstrap_options;

void cairn_bootstrap_options_init(cairn_bootstrap_options *opts);

typedef struct cairn_bootstrap_result {
    double estimate; /* the statistic on the data as given */
    double ci_low, ci_high;
    double standard_error;   /* standard deviation of the resampled statistics (ddof 1) */
    double z0, acceleration; /* BCa's bias correction and acceleration; NaN otherwise */
    double p_value;          /* paired only: 2 min(P*(d <= 0), P*(d >= 0)) capped at 1, the
                              * bootstrap test of "no difference"; NaN for a single metric */
    size_t n_resamples;      /* resamples whose statistic was defined */
    size_t n_undefined;      /* resamples left out because the statistic was NaN there (e.g.
                              * ROC AUC on a resample with one class) */
} cairn_bootstrap_result;

/* A bootstrap confidence interval for a metric (resampling rows with replacement, n rows per
 * resample). The percentile is numpy's linear one, and BCa follows scipy 1.10
 * (_bca_interval): z0 = ndtri(mean-rank of the estimate among the resamples), acceleration
 * from the jackknife. Results do not depend on the number of threads. If the estimate is
 * undefined (NaN) the result is all NaN and the call still succeeds. BCa is NaN, as in
 * scipy, when every resample lies strictly on one side of the estimate; when the jackknife
 * values are all equal the acceleration is taken as 0 (scipy gives NaN). */
int cairn_bootstrap_ci(const cairn_metric_info *metric, const cairn_metric_data *data,
                       const cairn_bootstrap_options *opts, cairn_bootstrap_result *out,
                       cairn_error *err);

/* The same for the difference metric(model a) - metric(model b) on the same rows: each
 * resample draws one set of rows and evaluates both models on it (paired). `a` carries y,
 * w, n, k, threshold and model a's scores; p_b holds model b's, shaped like a->p. */
int cairn_bootstrap_paired(const cairn_metric_info *metric, const cairn_metric_data *a,
                           const double *p_b, const cairn_bootstrap_options *opts,
                           cairn_bootstrap_result *out, cairn_error *err);

/* DeLong's test for two correlated ROC AUCs on the same rows (unweighted), with the
 * O(n log n) midrank algorithm of Sun & Xu (2014). Needs at least 2 positives and 2
 * negatives. var1, var2, cov form the covariance S = S10/m + S01/n of the two AUCs;
 * z = (auc1 - auc2) / sqrt(var1 + var2 - 2 cov); p_value = 2 (1 - Phi(|z|)). When the
 * variance of the difference is 0, z is 0 and p is 1 if the AUCs are equal, else z is
 * +-inf and p is 0. The CI is for auc1 - auc2: diff +- z_{(1+confidence)/2} se. */
typedef struct cairn_delong_result {
    double auc1, auc2;
    double var1, var2, cov;
    double diff, se_diff, z, p_value;
    double ci_low, ci_high;
    size_t positives, negatives;
} cairn_delong_result;

int cairn_delong_test(const double *y, const double *p1, const double *p2, size_t n,
                      double confidence, cairn_delong_result *out, cairn_error *err);

/* One AUC's DeLong variance and normal confidence interval, clipped to [0, 1] as pROC
 * does. */
typedef struct cairn_auc_ci {
    double auc, variance, se, ci_low, ci_high;
} cairn_auc_ci;

int cairn_delong_ci(const double *y, const double *p, size_t n, double confidence,
                    cairn_auc_ci *out, cairn_error *err);

/* McNemar's test of two classifiers on the same rows. b = rows model A gets right and B
 * wrong, c = the reverse. statistic = (|b - c| - 1)^2 / (b + c) (continuity-corrected, as
 * statsmodels; 0 when b + c = 0), p_chi2 its chi-square(1) tail, p_exact the two-sided exact
 * binomial p = min(1, 2 P(X <= min(b, c))) with X ~ Bin(b + c, 1/2). p_value is p_exact
 * when b + c < 25 (exact = true), else p_chi2. */
typedef struct cairn_mcnemar_result {
    int64_t b, c;
    double statistic, p_chi2, p_exact, p_value;
    bool exact;
} cairn_mcnemar_result;

int cairn_mcnemar_from_counts(int64_t b, int64_t c, cairn_mcnemar_result *out, cairn_error *err);
/* From labels and the two models' predicted labels (any class codes; right = equal to y). */
int cairn_mcnemar_test(const double *y, const double *pred_a, const double *pred_b, size_t n,
                       cairn_mcnemar_result *out, cairn_error *err);

/* The standard normal CDF (via erfc) and its inverse (Acklam's approximation refined by
 * one Halley step: full double precision); the chi-square(1) survival function. */
double cairn_normal_cdf(double x);
double cairn_normal_quantile(double p); /* -inf at 0, +inf at 1, NaN outside [0, 1] */
double cairn_chi2_1_sf(double x);
/* numpy.percentile(sorted[0..n), q, method='linear') of ascending, NaN-free data, q in
 * [0, 100]: the same arithmetic, so the same double. NaN when n is 0. */
double cairn_percentile_sorted(const double *sorted, size_t n, double q);

/* ------------------------------------------------------------------------------------------
 * Slices: metrics with bootstrap intervals per segment
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_slice_report {
    size_t n_segments; /* rows of the table: segments 0..n_segments-1, then all rows */
    size_t n_metrics;
    const cairn_metric_info **metrics; /* n_metrics, static entries */
    int64_t *rows;                     /* n_segments + 1 */
    double *weight;                    /* n_segments + 1 */
    double *positives;                 /* n_segments + 1: weight of y = 1 (binary) */
    cairn_bootstrap_result *cells;     /* (n_segments + 1) x n_metrics, row-major */
} cairn_slice_report;

/* Computes the named metrics on each segment (segment[i] in 0..n_segments-1) and on all
 * rows, each with a bootstrap interval under opts (NULL = defaults). A segment without rows,
 * or where a metric is undefined, gets NaN cells. out is caller-owned; release it with
 * cairn_slice_report_release (also after a failure, which leaves it empty). */
int cairn_slices_compute(const char *const *metric_names, size_t n_metrics,
                         const cairn_metric_data *data, const int32_t *segment, size_t n_segments,
                         const cairn_bootstrap_options *opts, cairn_slice_report *out,
                         cairn_error *err);
void cairn_slice_report_release(cairn_slice_report *report);

/* ------------------------------------------------------------------------------------------
 * Calibration
 * ---------------------------------------------------------------------------------------- */

typedef enum cairn_calibration_method {
    CAIRN_CALIBRATION_PLATT = 1,    /* p = 1 / (1 + exp(a s + b)) */
    CAIRN_CALIBRATION_ISOTONIC = 2, /* a non-decreasing piecewise-linear map */
} cairn_calibration_method;

const char *cairn_calibration_method_name(cairn_calibration_method m); /* "platt", ... */
int cairn_calibration_method_parse(const char *name, cairn_calibration_method *out);

/* Platt scaling as sklearn.calibration._sigmoid_calibration: targets smoothed to
 * (P + 1) / (P + 2) for positives and 1 / (N + 2) for negatives (P, N the weights of each
 * class), the weighted cross-entropy minimised by Newton's method with a backtracking line
 * search (Lin, Lin & Weng 2007) from a = 0, b = log((N + 1) / (P + 1)), to a gradient at
 * rounding level (sklearn stops BFGS earlier, at a gradient norm of 1e-5). y in {0, 1},
 * s any finite score. */
int cairn_platt_fit(const double *y, const double *s, const double *w, size_t n, double *a,
                    double *b, cairn_error *err);
double cairn_platt_apply(double a, double b, double s);

/* An opaque fitted calibrator (Platt or isotonic). */
typedef struct cairn_calibrator cairn_calibrator;

/* Fits a calibrator of scores s against labels y in {0, 1}. Isotonic is
 * sklearn's IsotonicRegression(increasing=True, out_of_bounds='clip'): rows with zero weight
 * dropped, rows sorted by (s, y), scores closer than 1e-15 to the first of a run merged
 * (weighted mean label), pool-adjacent-violators, then points that equal both neighbours
 * dropped. *out is new (cairn_calibrator_free). */
int cairn_calibrator_fit(cairn_calibration_method method, const double *y, const double *s,
                         const double *w, size_t n, cairn_calibrator **out, cairn_error *err);
void cairn_calibrator_free(cairn_calibrator *cal);
cairn_calibration_method cairn_calibrator_method(const cairn_calibrator *cal);
/* Calibrated probabilities of n scores into out (may alias s). Isotonic clips s to the
 * fitted range and interpolates linearly; a NaN score gives NaN. */
void cairn_calibrator_apply(const cairn_calibrator *cal, const double *s, size_t n, double *out);
/* Platt's a and b (CAIRN_EINVAL for an isotonic calibrator). */
int cairn_calibrator_platt(const cairn_calibrator *cal, double *a, double *b);
/* Isotonic thresholds: *x strictly increasing, *y non-decreasing; borrowed, valid until the
 * calibrator is freed. Returns the count (0 for Platt). */
size_t cairn_calibrator_isotonic(const cairn_calibrator *cal, const double **x, const double **y);

/* JSON form, to store inside a model: {"method":"platt","a":A,"b":B} or
 * {"method":"isotonic","x":[...],"y":[...]}. to_json returns a new reference (NULL on
 * CAIRN_ENOMEM); from_json checks everything and names the bad key or element. */
json_t *cairn_calibrator_to_json(const cairn_calibrator *cal);
int cairn_calibrator_from_json(const json_t *value, cairn_calibrator **out, cairn_error *err);
/* The same as compact text appended to buf, and parsed from text. */
int cairn_calibrator_dump(const cairn_calibrator *cal, cairn_buf *buf);
int cairn_calibrator_parse(const char *text, size_t len, cairn_calibrator **out, cairn_error *err);

typedef enum cairn_bin_strategy {
    CAIRN_BINS_UNIFORM = 0,  /* edges i / n_bins */
    CAIRN_BINS_QUANTILE = 1, /* edges at the i / n_bins quantiles of p (numpy linear) */
} cairn_bin_strategy;

/* Reliability-diagram data as sklearn.calibration.calibration_curve: a row goes to the bin
 * whose inner edges below it are all strictly below p (numpy searchsorted, left); for each
 * non-empty bin, prob_true = mean label, prob_pred = mean p, count = the bin's weight (rows
 * when w is NULL). Quantile edges ignore weights. The arrays hold n_bins entries;
 * *n_nonempty receives how many are filled. p must lie in [0, 1]. */
int cairn_calibration_curve(const double *y, const double *p, const double *w, size_t n,
                            size_t n_bins, cairn_bin_strategy strategy, double *prob_true,
                            double *prob_pred, double *count, size_t *n_nonempty, cairn_error *err);

/* Expected calibration error of a binary model (Guo et al. 2017, in the form most used for
 * binary tasks): confidence is the predicted probability of class 1 (not of the predicted
 * class), n_bins equal-width bins as calibration_curve's uniform strategy, and
 * ECE = sum over bins of (W_b / W) |mean y_b - mean p_b| with W the weights. */
int cairn_ece(const double *y, const double *p, const double *w, size_t n, size_t n_bins,
              double *out, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Fairness across a protected attribute
 * ---------------------------------------------------------------------------------------- */

/* Weighted counts and rates of one group (or of the unprivileged rows pooled). A rate
 * whose denominator is 0 is NaN: selection_rate of an empty group, tpr without positives,
 * fpr without negatives. */
typedef struct cairn_group_rates {
    int64_t rows;
    double weight, positives, negatives, selected; /* weights of rows, y=1, y=0, yhat=1 */
    double tp, fp, tn, fn;
    double selection_rate, tpr, fpr;
} cairn_group_rates;

typedef struct cairn_fairness_report {
    size_t n_groups;
    /* Fairlearn (between groups, unsigned). Spreads are max - min over the groups where the
     * rate is defined, so empty groups and groups without positives (for TPR) or negatives
     * (for FPR) are left out; Fairlearn instead counts an undefined TPR or FPR as 0. NaN
     * when no group has the rate defined; 0 with one group. */
    double demographic_parity_difference; /* selection-rate spread */
    double demographic_parity_ratio;      /* min / max selection rate; NaN when max is 0 */
    double equalized_odds_difference;     /* max(TPR spread, FPR spread) */
    double equalized_odds_mean;           /* their mean (Fairlearn's agg="mean") */
    double equal_opportunity_difference;  /* TPR spread */
    /* AIF360 (signed, unprivileged minus privileged), when a privileged group is named:
     * unprivileged = every row of any other group. NaN when there is none. */
    int32_t privileged; /* -1 = none */
    cairn_group_rates unprivileged_rates, privileged_rates;
    double disparate_impact;                 /* SR_u / SR_p; NaN when SR_p is 0 or undefined */
    bool disparate_impact_flag;              /* disparate_impact < 0.8 (false when NaN) */
    double statistical_parity_difference;    /* SR_u - SR_p */
    double aif_equal_opportunity_difference; /* TPR_u - TPR_p */
    double average_odds_difference;          /* ((FPR_u - FPR_p) + (TPR_u - TPR_p)) / 2 */
} cairn_fairness_report;

/* group[i] in 0..n_groups-1 is row i's group; y and yhat are 0/1 labels and predictions; w
 * optional weights. groups_out (n_groups entries, may be NULL) receives each group's rates.
 * privileged is a group id or -1. */
int cairn_fairness_compute(const int32_t *group, size_t n_groups, int32_t privileged,
                           const double *y, const double *yhat, const double *w, size_t n,
                           cairn_group_rates *groups_out, cairn_fairness_report *out,
                           cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Importance stability: how alike two runs' feature importances are
 *
 * Compares two importance lists (feature name, value; e.g. mean |SHAP| or permutation drop,
 * as `cairn train` stores under "importance" in its report.json) of two runs of a model.
 * Features are matched by name; a NaN value counts as absent. Over the features present in
 * both: Spearman's rank correlation (average ranks for ties; the Pearson correlation of the
 * ranks, as scipy.stats.spearmanr) and Kendall's tau-b (scipy.stats.kendalltau's default,
 * Knight's O(n log n) algorithm). Both are NaN with fewer than 2 common features or when
 * one side's values are all equal over them. Over each side's own present features: the
 * top k by value (ties broken by name, byte order), their overlap and Jaccard index.
 * Source: src/train/stability.c; tests: tests/unit/train/test_stability.c and
 * tests/oracles/test_stability_scipy.sh (scipy 1.10 within 1e-12).
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_importance_stability {
    size_t common;         /* features present (non-NaN) in both */
    size_t only_a, only_b; /* present in one list only */
    double spearman;       /* rank correlation over the common features (ties: average ranks;
                              NaN when fewer than 2 common or a constant side) */
    double kendall_tau_b;  /* Kendall's tau-b over the common features (NaN likewise) */
    size_t top_k;          /* the k used: min(top_k asked, present in a, present in b) */
    size_t top_overlap;    /* how many features are in both top-k sets */
    double top_jaccard;    /* top_overlap / (2 top_k - top_overlap); NaN when top_k is 0 */
} cairn_importance_stability;

/* Compares list a (names_a[i], a[i]; na entries) with list b. Names and values are borrowed
 * for the call; the order of the lists does not matter; infinities are values like any
 * other. A name appearing twice among one list's present features is CAIRN_EINVAL with
 * err->field = the name; CAIRN_ENOMEM when out of memory. *out is written only on success.
 * Thread-safe; O((na + nb) log(na + nb)). */
int cairn_importance_stability_of(const char *const *names_a, const double *a, size_t na,
                                  const char *const *names_b, const double *b, size_t nb,
                                  size_t top_k, cairn_importance_stability *out, cairn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_METRICS_H */
