/* src/train/metrics.c: classification, regression and clustering metrics, the table of named
 * metrics, and decisions under a cost matrix (include/cairn/metrics.h).
 *
 * Ranking metrics (ROC AUC, average precision) come from one scan of the rows sorted by
 * score, descending, in groups of equal score. Per group with positive weight gp and
 * negative weight gn, and fp the negative weight of all higher scores:
 *   AUC numerator   += gp x (N - fp - gn) + gp x gn / 2   (Mann-Whitney U, ties = 1/2)
 *   AP              += (R_g - R_{g-1}) x P_g               (sklearn's step sum, no
 *                                                           interpolation)
 * so a call is O(n log n) for the sort and O(n) given cairn_metric_data.order, which the
 * bootstrap passes so that each resample (the same rows under new weights) costs O(n).
 * Every other metric is a weighted mean or a ratio of weighted counts, in one pass.
 *
 * The cost threshold reuses the sorted scan: lowering the threshold past a group of equal
 * scores turns exactly that group positive, so the mean cost of every split is known in
 * O(1) from running weighted counts.
 *
 * Invariants: inputs are checked before any arithmetic (cairn_metric_data_check), so a
 * metric never reads a NaN score or a negative weight; undefined results are NaN, never a
 * silent division by zero.
 * Clustering metrics read the points: labels are first mapped to dense ids 0..k-1 in the
 * order of their values (sklearn's LabelEncoder). The silhouette sums, for every pair of
 * points once, the distance into each point's per-cluster total (an m x k table), so each
 * point's totals accumulate in row order as sklearn's bincount does; Davies-Bouldin,
 * Calinski-Harabasz and inertia are two passes over the points (means, then distances).
 *
 * Tests: tests/unit/train/test_metrics.c (hand-computed cases, brute-force references) and
 * tests/oracles/test_metrics_sklearn.sh (scikit-learn 1.2 on seeded data); clustering:
 * tests/unit/train/test_cluster_metrics.c and tests/oracles/test_cluster_sklearn.sh.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/metrics.h"

/* sklearn's historical log_loss clip (its 1.2 default "auto" is the machine epsilon). */
#define LOG_LOSS_EPS 1e-15

/* ------------------------------------------------------------------------------------------
 * Input checks
 * ---------------------------------------------------------------------------------------- */

static double weight_of(const double *w, size_t i)
{
    return w ? w[i] : 1.0;
}

static int row_error(cairn_error *err, const char *field, size_t row, const char *fmt, ...)
    CAIRN_PRINTF(4, 5);

static int row_error(cairn_error *err, const char *field, size_t row, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cairn_error_setv(err, CAIRN_EINVAL, fmt, ap);
    va_end(ap);
    if (err) {
        err->row = (int64_t)row;
        cairn_error_field(err, field);
    }
    return CAIRN_EINVAL;
}

static int check_weights(const double *w, size_t n, cairn_error *err)
{
    for (size_t i = 0; w && i < n; i++)
        if (!(w[i] >= 0) || !isfinite(w[i]))
            return row_error(err, "w", i, "w[%zu] = %g: a weight must be finite and >= 0", i, w[i]);
    return 0;
}

static int check_binary_labels(const double *y, size_t n, const char *field, cairn_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (y[i] != 0.0 && y[i] != 1.0)
            return row_error(err, field, i, "%s[%zu] = %g: a binary label must be 0 or 1", field, i,
                             y[i]);
    return 0;
}

static int check_scores(const double *p, size_t n, bool probabilities, cairn_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(p[i])) return row_error(err, "p", i, "p[%zu] is NaN: scores must be numbers", i);
        if (probabilities && !(p[i] >= 0.0 && p[i] <= 1.0))
            return row_error(err, "p", i, "p[%zu] = %g: a probability must lie in [0, 1]", i, p[i]);
    }
    return 0;
}

static int check_multiclass(const cairn_metric_data *d, bool probabilities, cairn_error *err)
{
    for (size_t i = 0; i < d->n; i++) {
        double c = d->y[i];
        if (!(c >= 0 && c < (double)d->k) || c != floor(c))
            return row_error(err, "y", i, "y[%zu] = %g: a class label must be an integer in 0..%zu",
                             i, c, d->k - 1);
    }
    return check_scores(d->p, d->n * d->k, probabilities, err);
}

static int check_regression(const cairn_metric_data *d, cairn_error *err)
{
    for (size_t i = 0; i < d->n; i++) {
        if (!isfinite(d->y[i]))
            return row_error(err, "y", i, "y[%zu] = %g: a regression target must be finite", i,
                             d->y[i]);
        if (!isfinite(d->p[i]))
            return row_error(err, "p", i, "p[%zu] = %g: a prediction must be finite", i, d->p[i]);
    }
    return 0;
}

int cairn_metric_data_check(const cairn_metric_data *d, unsigned task, bool probabilities,
                            cairn_error *err)
{
    if (d->n > 0 && (!d->y || !d->p))
        return cairn_error_set(err, CAIRN_EINVAL, "metric inputs: y and p are required (n = %zu)",
                               d->n);
    int rc = check_weights(d->w, d->n, err);
    if (rc) return rc;
    switch (task) {
    case CAIRN_METRIC_BINARY:
        if (d->k >= 2)
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "a binary metric needs one score per row, not k = %zu", d->k);
        rc = check_binary_labels(d->y, d->n, "y", err);
        return rc ? rc : check_scores(d->p, d->n, probabilities, err);
    case CAIRN_METRIC_MULTICLASS:
        if (d->k < 2)
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "a multiclass metric needs k >= 2 classes, not %zu", d->k);
        return check_multiclass(d, probabilities, err);
    case CAIRN_METRIC_REGRESSION:
        if (d->k >= 2)
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "a regression metric needs one prediction per row, not k = %zu",
                                   d->k);
        return check_regression(d, err);
    default:
        return cairn_error_set(err, CAIRN_EINVAL, "unknown metric task %u", task);
    }
}

void cairn_metric_data_init(cairn_metric_data *d, const double *y, const double *p, const double *w,
                            size_t n)
{
    memset(d, 0, sizeof *d);
    d->y = y;
    d->p = p;
    d->w = w;
    d->n = n;
    d->threshold = 0.5;
}

/* ------------------------------------------------------------------------------------------
 * Sorting by score
 * ---------------------------------------------------------------------------------------- */

typedef struct scored_row {
    double score;
    size_t row;
} scored_row;

static int cmp_scored_desc(const void *a, const void *b)
{
    const scored_row *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

int cairn_metric_sort_scores(const double *p, size_t n, size_t **order, cairn_error *err)
{
    *order = NULL;
    int rc = check_scores(p, n, false, err);
    if (rc) return rc;
    scored_row *tmp = cairn_calloc(n ? n : 1, sizeof *tmp);
    size_t *out = cairn_calloc(n ? n : 1, sizeof *out);
    if (!tmp || !out) {
        cairn_free(tmp);
        cairn_free(out);
        return cairn_error_set(err, CAIRN_ENOMEM, "sorting %zu scores: out of memory", n);
    }
    for (size_t i = 0; i < n; i++)
        tmp[i] = (scored_row){p[i], i};
    if (n > 1) qsort(tmp, n, sizeof *tmp, cmp_scored_desc);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[i].row;
    cairn_free(tmp);
    *order = out;
    return 0;
}

/* d->order, or a fresh sort into *owned (freed by the caller). */
static int get_order(const cairn_metric_data *d, const size_t **order, size_t **owned,
                     cairn_error *err)
{
    *owned = NULL;
    if (d->order) {
        *order = d->order;
        return 0;
    }
    int rc = cairn_metric_sort_scores(d->p, d->n, owned, err);
    *order = *owned;
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Ranking metrics: one scan in score order
 * ---------------------------------------------------------------------------------------- */

static void rank_scan(const cairn_metric_data *d, const size_t *order, double *auc, double *ap)
{
    const double *y = d->y, *p = d->p, *w = d->w;
    double pos = 0, neg = 0;
    for (size_t i = 0; i < d->n; i++) {
        double wi = weight_of(w, i);
        if (y[i] == 1.0)
            pos += wi;
        else
            neg += wi;
    }
    double tp = 0, fp = 0, u = 0, sum_ap = 0, prev_recall = 0;
    for (size_t i = 0; i < d->n;) {
        double s = p[order[i]], gp = 0, gn = 0;
        size_t j = i;
        for (; j < d->n && p[order[j]] == s; j++) {
            size_t r = order[j];
            if (y[r] == 1.0)
                gp += weight_of(w, r);
            else
                gn += weight_of(w, r);
        }
        u += gp * (neg - fp - gn) + 0.5 * gp * gn;
        tp += gp;
        fp += gn;
        if (pos > 0) {
            double recall = tp / pos, ps = tp + fp;
            sum_ap += (recall - prev_recall) * (ps > 0 ? tp / ps : 0.0);
            prev_recall = recall;
        }
        i = j;
    }
    if (auc) *auc = pos > 0 && neg > 0 ? u / (pos * neg) : NAN;
    if (ap) *ap = pos > 0 ? sum_ap : NAN;
}

static int ranking_metric(const cairn_metric_data *d, double *auc, double *ap, cairn_error *err)
{
    int rc = cairn_metric_data_check(d, CAIRN_METRIC_BINARY, false, err);
    if (rc) return rc;
    const size_t *order;
    size_t *owned;
    rc = get_order(d, &order, &owned, err);
    if (rc) return rc;
    rank_scan(d, order, auc, ap);
    cairn_free(owned);
    return 0;
}

static int m_roc_auc(const cairn_metric_data *d, double *out, cairn_error *err)
{
    return ranking_metric(d, out, NULL, err);
}

static int m_average_precision(const cairn_metric_data *d, double *out, cairn_error *err)
{
    return ranking_metric(d, NULL, out, err);
}

/* ------------------------------------------------------------------------------------------
 * Probability metrics
 * ---------------------------------------------------------------------------------------- */

static double binary_log_loss_row(double y, double p)
{
    /* As sklearn: clip, build the pair (1 - p, p), renormalise it, take -log of the truth. */
    double q1 = p < LOG_LOSS_EPS ? LOG_LOSS_EPS : p > 1 - LOG_LOSS_EPS ? 1 - LOG_LOSS_EPS : p;
    double q0 = 1 - q1, sum = q0 + q1;
    return -log((y == 1.0 ? q1 : q0) / sum);
}

static double binary_log_loss(const cairn_metric_data *d)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < d->n; i++) {
        double wi = weight_of(d->w, i);
        num += wi * binary_log_loss_row(d->y[i], d->p[i]);
        den += wi;
    }
    return den > 0 ? num / den : NAN;
}

static double multiclass_log_loss(const cairn_metric_data *d)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < d->n; i++) {
        const double *row = d->p + i * d->k;
        double sum = 0, truth = 0;
        size_t yi = (size_t)d->y[i];
        for (size_t c = 0; c < d->k; c++) {
            double q = row[c] < LOG_LOSS_EPS       ? LOG_LOSS_EPS
                       : row[c] > 1 - LOG_LOSS_EPS ? 1 - LOG_LOSS_EPS
                                                   : row[c];
            sum += q;
            if (c == yi) truth = q;
        }
        double wi = weight_of(d->w, i);
        num += wi * -log(truth / sum);
        den += wi;
    }
    return den > 0 ? num / den : NAN;
}

static int m_log_loss(const cairn_metric_data *d, double *out, cairn_error *err)
{
    bool multi = d->k >= 2;
    int rc = cairn_metric_data_check(d, multi ? CAIRN_METRIC_MULTICLASS : CAIRN_METRIC_BINARY, true,
                                     err);
    if (rc) return rc;
    *out = multi ? multiclass_log_loss(d) : binary_log_loss(d);
    return 0;
}

static double brier(const cairn_metric_data *d)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < d->n; i++) {
        double wi = weight_of(d->w, i), e = d->p[i] - d->y[i];
        num += wi * e * e;
        den += wi;
    }
    return den > 0 ? num / den : NAN;
}

static int m_brier(const cairn_metric_data *d, double *out, cairn_error *err)
{
    int rc = cairn_metric_data_check(d, CAIRN_METRIC_BINARY, true, err);
    if (rc) return rc;
    *out = brier(d);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Label metrics
 * ---------------------------------------------------------------------------------------- */

static cairn_confusion confusion(const cairn_metric_data *d)
{
    cairn_confusion c = {0, 0, 0, 0};
    for (size_t i = 0; i < d->n; i++) {
        double wi = weight_of(d->w, i);
        bool pred = d->p[i] >= d->threshold;
        if (d->y[i] == 1.0) {
            if (pred)
                c.tp += wi;
            else
                c.fn += wi;
        } else {
            if (pred)
                c.fp += wi;
            else
                c.tn += wi;
        }
    }
    return c;
}

/* sklearn's zero_division=0: a ratio with a zero denominator is 0. */
static double ratio0(double num, double den)
{
    return den > 0 ? num / den : 0.0;
}

static double f1_of(double precision, double recall)
{
    double s = precision + recall;
    return s > 0 ? 2 * precision * recall / s : 0.0;
}

static void label_metrics(const cairn_confusion *c, double *accuracy, double *precision,
                          double *recall, double *f1)
{
    double total = c->tn + c->fp + c->fn + c->tp;
    *accuracy = total > 0 ? (c->tp + c->tn) / total : NAN;
    *precision = ratio0(c->tp, c->tp + c->fp);
    *recall = ratio0(c->tp, c->tp + c->fn);
    *f1 = f1_of(*precision, *recall);
    if (!(total > 0)) *precision = *recall = *f1 = NAN;
}

int cairn_confusion_compute(const double *y, const double *p, const double *w, size_t n,
                            double threshold, cairn_confusion *out, cairn_error *err)
{
    cairn_metric_data d;
    cairn_metric_data_init(&d, y, p, w, n);
    d.threshold = threshold;
    int rc = cairn_metric_data_check(&d, CAIRN_METRIC_BINARY, false, err);
    if (rc) return rc;
    *out = confusion(&d);
    return 0;
}

enum { LM_ACCURACY, LM_PRECISION, LM_RECALL, LM_F1 };

static int binary_label_metric(const cairn_metric_data *d, int which, double *out, cairn_error *err)
{
    int rc = cairn_metric_data_check(d, CAIRN_METRIC_BINARY, false, err);
    if (rc) return rc;
    cairn_confusion c = confusion(d);
    double v[4];
    label_metrics(&c, &v[LM_ACCURACY], &v[LM_PRECISION], &v[LM_RECALL], &v[LM_F1]);
    *out = v[which];
    return 0;
}

static int m_precision(const cairn_metric_data *d, double *out, cairn_error *err)
{
    return binary_label_metric(d, LM_PRECISION, out, err);
}

static int m_recall(const cairn_metric_data *d, double *out, cairn_error *err)
{
    return binary_label_metric(d, LM_RECALL, out, err);
}

static int m_f1(const cairn_metric_data *d, double *out, cairn_error *err)
{
    return binary_label_metric(d, LM_F1, out, err);
}

/* The predicted class of row i: the first argmax (multiclass) or p >= threshold. */
static size_t predicted_class(const cairn_metric_data *d, size_t i)
{
    if (d->k < 2) return d->p[i] >= d->threshold ? 1 : 0;
    const double *row = d->p + i * d->k;
    size_t best = 0;
    for (size_t c = 1; c < d->k; c++)
        if (row[c] > row[best]) best = c;
    return best;
}

/* Per-class weighted counts, then accuracy and macro / weighted F1 over present classes. */
static int class_metrics(const cairn_metric_data *d, cairn_multiclass_metrics *out,
                         cairn_error *err)
{
    size_t k = d->k < 2 ? 2 : d->k;
    double *counts = cairn_calloc(3 * k, sizeof *counts);
    if (!counts) return cairn_error_set(err, CAIRN_ENOMEM, "class metrics: out of memory");
    double *tp = counts, *pred = counts + k, *truth = counts + 2 * k, total = 0;
    for (size_t i = 0; i < d->n; i++) {
        double wi = weight_of(d->w, i);
        size_t yi = (size_t)d->y[i], pi = predicted_class(d, i);
        truth[yi] += wi;
        pred[pi] += wi;
        if (yi == pi) tp[yi] += wi;
        total += wi;
    }
    double correct = 0, macro = 0, weighted = 0, truth_sum = 0;
    size_t present = 0;
    for (size_t c = 0; c < k; c++) {
        correct += tp[c];
        if (!(truth[c] > 0) && !(pred[c] > 0)) continue;
        double f1 = f1_of(ratio0(tp[c], pred[c]), ratio0(tp[c], truth[c]));
        present++;
        macro += f1;
        weighted += truth[c] * f1;
        truth_sum += truth[c];
    }
    cairn_free(counts);
    out->classes_present = present;
    out->accuracy = total > 0 ? correct / total : NAN;
    out->f1_macro = present ? macro / (double)present : NAN;
    out->f1_weighted = truth_sum > 0 ? weighted / truth_sum : NAN;
    out->log_loss = NAN;
    return 0;
}

static int class_metric(const cairn_metric_data *d, int which, double *out, cairn_error *err)
{
    int rc = cairn_metric_data_check(d, d->k >= 2 ? CAIRN_METRIC_MULTICLASS : CAIRN_METRIC_BINARY,
                                     false, err);
    if (rc) return rc;
    cairn_multiclass_metrics m;
    rc = class_metrics(d, &m, err);
    if (rc) return rc;
    *out = which == 0 ? m.accuracy : which == 1 ? m.f1_macro : m.f1_weighted;
    return 0;
}

static int m_accuracy(const cairn_metric_data *d, double *out, cairn_error *err)
{
    return class_metric(d, 0, out, err);
}

static int m_f1_macro(const cairn_metric_data *d, double *out, cairn_error *err)
{
    return class_metric(d, 1, out, err);
}

static int m_f1_weighted(const cairn_metric_data *d, double *out, cairn_error *err)
{
    return class_metric(d, 2, out, err);
}

/* ------------------------------------------------------------------------------------------
 * Regression metrics
 * ---------------------------------------------------------------------------------------- */

static void regression(const cairn_metric_data *d, cairn_regression_metrics *out)
{
    double sw = 0, se = 0, ae = 0, sy = 0;
    for (size_t i = 0; i < d->n; i++) {
        double wi = weight_of(d->w, i), e = d->y[i] - d->p[i];
        sw += wi;
        se += wi * e * e;
        ae += wi * fabs(e);
        sy += wi * d->y[i];
    }
    if (!(sw > 0)) {
        out->rmse = out->mae = out->r2 = NAN;
        return;
    }
    out->rmse = sqrt(se / sw);
    out->mae = ae / sw;
    double mean = sy / sw, ss = 0;
    for (size_t i = 0; i < d->n; i++) {
        double c = d->y[i] - mean;
        ss += weight_of(d->w, i) * c * c;
    }
    /* sklearn's force_finite: a constant target scores 1 when fitted exactly, else 0. */
    if (d->n < 2)
        out->r2 = NAN;
    else if (ss != 0)
        out->r2 = 1 - se / ss;
    else
        out->r2 = se == 0 ? 1.0 : 0.0;
}

int cairn_regression_metrics_compute(const double *y, const double *p, const double *w, size_t n,
                                     cairn_regression_metrics *out, cairn_error *err)
{
    cairn_metric_data d;
    cairn_metric_data_init(&d, y, p, w, n);
    int rc = cairn_metric_data_check(&d, CAIRN_METRIC_REGRESSION, false, err);
    if (rc) return rc;
    regression(&d, out);
    return 0;
}

static int regression_metric(const cairn_metric_data *d, int which, double *out, cairn_error *err)
{
    int rc = cairn_metric_data_check(d, CAIRN_METRIC_REGRESSION, false, err);
    if (rc) return rc;
    cairn_regression_metrics m;
    regression(d, &m);
    *out = which == 0 ? m.rmse : which == 1 ? m.mae : m.r2;
    return 0;
}

static int m_rmse(const cairn_metric_data *d, double *out, cairn_error *err)
{
    return regression_metric(d, 0, out, err);
}

static int m_mae(const cairn_metric_data *d, double *out, cairn_error *err)
{
    return regression_metric(d, 1, out, err);
}

static int m_r2(const cairn_metric_data *d, double *out, cairn_error *err)
{
    return regression_metric(d, 2, out, err);
}

/* ------------------------------------------------------------------------------------------
 * All-in-one calls
 * ---------------------------------------------------------------------------------------- */

int cairn_binary_metrics_compute(const double *y, const double *p, const double *w, size_t n,
                                 double threshold, cairn_binary_metrics *out, cairn_error *err)
{
    cairn_metric_data d;
    cairn_metric_data_init(&d, y, p, w, n);
    d.threshold = threshold;
    int rc = cairn_metric_data_check(&d, CAIRN_METRIC_BINARY, false, err);
    if (rc) return rc;
    const size_t *order;
    size_t *owned;
    rc = get_order(&d, &order, &owned, err);
    if (rc) return rc;
    memset(out, 0, sizeof *out);
    rank_scan(&d, order, &out->roc_auc, &out->average_precision);
    cairn_free(owned);
    bool probabilities = true;
    for (size_t i = 0; i < n && probabilities; i++)
        probabilities = p[i] >= 0 && p[i] <= 1;
    out->log_loss = probabilities ? binary_log_loss(&d) : NAN;
    out->brier = probabilities ? brier(&d) : NAN;
    out->threshold = threshold;
    out->confusion = confusion(&d);
    const cairn_confusion *c = &out->confusion;
    out->weight = c->tn + c->fp + c->fn + c->tp;
    out->positives = c->tp + c->fn;
    label_metrics(c, &out->accuracy, &out->precision, &out->recall, &out->f1);
    return 0;
}

int cairn_multiclass_metrics_compute(const double *y, const double *p, const double *w, size_t n,
                                     size_t k, cairn_multiclass_metrics *out, cairn_error *err)
{
    cairn_metric_data d;
    cairn_metric_data_init(&d, y, p, w, n);
    d.k = k;
    int rc = cairn_metric_data_check(&d, CAIRN_METRIC_MULTICLASS, false, err);
    if (rc) return rc;
    rc = class_metrics(&d, out, err);
    if (rc) return rc;
    bool probabilities = true;
    for (size_t i = 0; i < n * k && probabilities; i++)
        probabilities = p[i] >= 0 && p[i] <= 1;
    out->log_loss = probabilities ? multiclass_log_loss(&d) : NAN;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * The table of named metrics
 * ---------------------------------------------------------------------------------------- */

#define CLS (CAIRN_METRIC_BINARY | CAIRN_METRIC_MULTICLASS)

static const cairn_metric_info metric_table[] = {
    {"roc_auc", CAIRN_METRIC_BINARY, true, m_roc_auc},
    {"average_precision", CAIRN_METRIC_BINARY, true, m_average_precision},
    {"log_loss", CLS, false, m_log_loss},
    {"brier", CAIRN_METRIC_BINARY, false, m_brier},
    {"accuracy", CLS, true, m_accuracy},
    {"precision", CAIRN_METRIC_BINARY, true, m_precision},
    {"recall", CAIRN_METRIC_BINARY, true, m_recall},
    {"f1", CAIRN_METRIC_BINARY, true, m_f1},
    {"f1_macro", CLS, true, m_f1_macro},
    {"f1_weighted", CLS, true, m_f1_weighted},
    {"rmse", CAIRN_METRIC_REGRESSION, false, m_rmse},
    {"mae", CAIRN_METRIC_REGRESSION, false, m_mae},
    {"r2", CAIRN_METRIC_REGRESSION, true, m_r2},
};

#define METRIC_COUNT (sizeof metric_table / sizeof metric_table[0])

size_t cairn_metric_count(void)
{
    return METRIC_COUNT;
}

const cairn_metric_info *cairn_metric_at(size_t i)
{
    return i < METRIC_COUNT ? &metric_table[i] : NULL;
}

const cairn_metric_info *cairn_metric_find(const char *name)
{
    for (size_t i = 0; name && i < METRIC_COUNT; i++)
        if (strcmp(metric_table[i].name, name) == 0) return &metric_table[i];
    return NULL;
}

int cairn_metric_lookup(const char *name, const cairn_metric_info **out, cairn_error *err)
{
    *out = cairn_metric_find(name);
    if (*out) return 0;
    char known[512] = "";
    size_t len = 0;
    for (size_t i = 0; i < METRIC_COUNT && len < sizeof known; i++) {
        int w =
            snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", metric_table[i].name);
        if (w > 0) len += (size_t)w;
    }
    cairn_error_set(err, CAIRN_ENOTFOUND, "unknown metric '%s' (known: %s)", name ? name : "(null)",
                    known);
    if (err) cairn_error_field(err, "metric");
    return CAIRN_ENOTFOUND;
}

int cairn_metric_by_name(const char *name, const cairn_metric_data *d, double *out,
                         cairn_error *err)
{
    const cairn_metric_info *m;
    int rc = cairn_metric_lookup(name, &m, err);
    if (rc) return rc;
    if (d->k >= 2 && !(m->tasks & CAIRN_METRIC_MULTICLASS))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "metric '%s' does not apply to multiclass data (k = %zu)", name,
                               d->k);
    if (d->k < 2 && !(m->tasks & (CAIRN_METRIC_BINARY | CAIRN_METRIC_REGRESSION)))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "metric '%s' needs multiclass data (k >= 2), k = %zu", name, d->k);
    return m->fn(d, out, err);
}

/* ------------------------------------------------------------------------------------------
 * Decisions under a cost matrix
 * ---------------------------------------------------------------------------------------- */

static int check_costs(const cairn_cost_matrix *c, cairn_error *err)
{
    if (!isfinite(c->tp) || !isfinite(c->fp) || !isfinite(c->fn) || !isfinite(c->tn))
        return cairn_error_set(err, CAIRN_EINVAL, "cost matrix: every cost must be finite");
    if (!(c->fn > c->tp) || !(c->fp > c->tn))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "cost matrix: an error must cost more than a correct call "
                               "(fn %g vs tp %g, fp %g vs tn %g)",
                               c->fn, c->tp, c->fp, c->tn);
    return 0;
}

double cairn_cost_bayes_threshold(const cairn_cost_matrix *c)
{
    if (check_costs(c, NULL)) return NAN;
    double neg = c->fp - c->tn, pos = c->fn - c->tp;
    return neg / (neg + pos);
}

int cairn_cost_threshold(const double *y, const double *p, const double *w, size_t n,
                         const cairn_cost_matrix *costs, double *threshold, double *mean_cost,
                         cairn_error *err)
{
    cairn_metric_data d;
    cairn_metric_data_init(&d, y, p, w, n);
    int rc = check_costs(costs, err);
    if (!rc) rc = cairn_metric_data_check(&d, CAIRN_METRIC_REGRESSION, false, err);
    if (!rc) rc = check_binary_labels(y, n, "y", err);
    if (rc) return rc;
    double pos = 0, neg = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] == 1.0)
            pos += weight_of(w, i);
        else
            neg += weight_of(w, i);
    }
    if (!(pos + neg > 0))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "cost threshold: no rows with positive weight (n = %zu)", n);
    size_t *order;
    rc = cairn_metric_sort_scores(p, n, &order, err);
    if (rc) return rc;
    /* Start with every row negative; best_end = rows (in score order) called positive. */
    double tp = 0, fp = 0;
    double best = costs->fn * pos + costs->tn * neg;
    size_t best_end = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        for (; j < n && p[order[j]] == p[order[i]]; j++) {
            if (y[order[j]] == 1.0)
                tp += weight_of(w, order[j]);
            else
                fp += weight_of(w, order[j]);
        }
        double cost =
            costs->tp * tp + costs->fp * fp + costs->fn * (pos - tp) + costs->tn * (neg - fp);
        if (cost < best) {
            best = cost;
            best_end = j;
        }
        i = j;
    }
    if (best_end == 0) {
        *threshold = nextafter(p[order[0]], INFINITY);
    } else {
        double lo = p[order[best_end - 1]];
        *threshold = lo;
        if (best_end < n) {
            double hi_neg = p[order[best_end]], mid = lo / 2 + hi_neg / 2;
            if (mid > hi_neg && mid <= lo) *threshold = mid;
        }
    }
    *mean_cost = best / (pos + neg);
    cairn_free(order);
    return 0;
}

int cairn_cost_weights(const double *y, const double *w, size_t n, const cairn_cost_matrix *costs,
                       double *out, cairn_error *err)
{
    int rc = check_costs(costs, err);
    if (!rc) rc = check_weights(w, n, err);
    if (!rc) rc = check_binary_labels(y, n, "y", err);
    if (rc) return rc;
    double regret_pos = costs->fn - costs->tp, regret_neg = costs->fp - costs->tn, sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += weight_of(w, i) * (y[i] == 1.0 ? regret_pos : regret_neg);
    if (!(sum > 0))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "cost weights: no rows with positive weight (n = %zu)", n);
    double scale = (double)n / sum;
    for (size_t i = 0; i < n; i++)
        out[i] = weight_of(w, i) * (y[i] == 1.0 ? regret_pos : regret_neg) * scale;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Clustering
 * ---------------------------------------------------------------------------------------- */

/* Labels as dense ids 0..k-1 in ascending order of value, with each cluster's size. */
typedef struct dense_labels {
    int32_t *id;     /* n */
    size_t *count;   /* k */
    size_t k;
} dense_labels;

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static void dense_release(dense_labels *dl)
{
    cairn_free(dl->id);
    cairn_free(dl->count);
    memset(dl, 0, sizeof *dl);
}

/* Labels of the points rows[0..n) (every point when rows is NULL). */
static int dense_make(const int32_t *labels, const size_t *rows, size_t n, dense_labels *dl,
                      cairn_error *err)
{
    memset(dl, 0, sizeof *dl);
    int32_t *sorted = cairn_malloc((n ? n : 1) * sizeof *sorted);
    dl->id = cairn_malloc((n ? n : 1) * sizeof *dl->id);
    if (!sorted || !dl->id) {
        cairn_free(sorted);
        dense_release(dl);
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = labels[rows ? rows[i] : i];
    qsort(sorted, n, sizeof *sorted, cmp_i32);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || sorted[i] != sorted[k - 1]) sorted[k++] = sorted[i];
    dl->k = k;
    if (!(dl->count = cairn_calloc(k ? k : 1, sizeof *dl->count))) {
        cairn_free(sorted);
        dense_release(dl);
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        int32_t v = labels[rows ? rows[i] : i];
        const int32_t *hit = bsearch(&v, sorted, k, sizeof *sorted, cmp_i32);
        dl->id[i] = (int32_t)(hit - sorted);
        dl->count[dl->id[i]]++;
    }
    cairn_free(sorted);
    return 0;
}

static int check_points(const double *x, size_t n, size_t d, cairn_error *err)
{
    if (n > 0 && (!x || d == 0))
        return cairn_error_set(err, CAIRN_EINVAL, "clustering metric: %zu points need coordinates "
                               "(d = %zu)", n, d);
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(x[i]))
            return row_error(err, "x", i / d, "x[%zu][%zu] = %g: coordinates must be finite", i / d,
                             i % d, x[i]);
    return 0;
}

/* sklearn's check_number_of_labels: 2 <= k <= n - 1. */
static bool labels_defined(size_t k, size_t n)
{
    return k >= 2 && k < n;
}

static double distance2(const double *a, const double *b, size_t d)
{
    double s = 0;
    for (size_t j = 0; j < d; j++) {
        double t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

static double distance(const double *a, const double *b, size_t d)
{
    return sqrt(distance2(a, b, d));
}

/* Each cluster's mean, k x d (new). */
static double *cluster_means(const double *x, size_t n, size_t d, const dense_labels *dl)
{
    double *c = cairn_calloc((dl->k ? dl->k : 1) * d, sizeof *c);
    if (!c) return NULL;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            c[(size_t)dl->id[i] * d + j] += x[i * d + j];
    for (size_t c_ = 0; c_ < dl->k; c_++)
        for (size_t j = 0; j < d; j++)
            c[c_ * d + j] /= (double)dl->count[c_];
    return c;
}

/* s of the points rows[0..m) (all n when rows is NULL) into out[0..m); *defined false (and
 * out all NaN) when the sample holds fewer than 2 or as many clusters as points. */
static int silhouette_rows(const double *x, size_t d, const int32_t *labels, const size_t *rows,
                           size_t m, double *out, bool *defined, cairn_error *err)
{
    dense_labels dl;
    int rc = dense_make(labels, rows, m, &dl, err);
    if (rc) return rc;
    *defined = labels_defined(dl.k, m);
    if (!*defined) {
        for (size_t i = 0; i < m; i++)
            out[i] = NAN;
        dense_release(&dl);
        return 0;
    }
    size_t k = dl.k;
    double *sums = cairn_calloc(m * k, sizeof *sums);
    if (!sums) {
        dense_release(&dl);
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    }
    /* each pair once; point a's totals still grow in row order (pairs (b, a) for b < a came
     * first), as sklearn's bincount over a row of the distance matrix */
    for (size_t a = 0; a < m; a++) {
        const double *xa = x + (rows ? rows[a] : a) * d;
        for (size_t b = a + 1; b < m; b++) {
            double t = distance(xa, x + (rows ? rows[b] : b) * d, d);
            sums[a * k + (size_t)dl.id[b]] += t;
            sums[b * k + (size_t)dl.id[a]] += t;
        }
    }
    for (size_t a = 0; a < m; a++) {
        size_t own = (size_t)dl.id[a];
        if (dl.count[own] < 2) { /* alone in its cluster: sklearn's 0/0 -> 0 */
            out[a] = 0;
            continue;
        }
        double in = sums[a * k + own] / (double)(dl.count[own] - 1), near = INFINITY;
        for (size_t c = 0; c < k; c++)
            if (c != own && sums[a * k + c] / (double)dl.count[c] < near)
                near = sums[a * k + c] / (double)dl.count[c];
        double top = in > near ? in : near;
        out[a] = top > 0 ? (near - in) / top : 0;
    }
    cairn_free(sums);
    dense_release(&dl);
    return 0;
}

int cairn_silhouette_samples(const double *x, size_t n, size_t d, const int32_t *labels,
                             double *out, cairn_error *err)
{
    int rc = check_points(x, n, d, err);
    bool defined;
    if (rc == 0) rc = silhouette_rows(x, d, labels, NULL, n, out, &defined, err);
    return rc;
}

int cairn_silhouette_sample_rows(size_t n, size_t sample_size, uint64_t seed, size_t **rows,
                                 size_t *m)
{
    size_t want = sample_size && sample_size < n ? sample_size : n;
    *m = 0;
    if (!(*rows = cairn_malloc((want ? want : 1) * sizeof **rows))) return CAIRN_ENOMEM;
    if (want == n) {
        for (size_t i = 0; i < n; i++)
            (*rows)[i] = i;
        *m = n;
        return 0;
    }
    cairn_rng rng;
    cairn_rng_seed(&rng, seed);
    for (size_t i = 0; i < n && *m < want; i++)
        if ((double)(n - i) * cairn_rng_uniform(&rng) < (double)(want - *m)) (*rows)[(*m)++] = i;
    return 0;
}

int cairn_silhouette_score(const double *x, size_t n, size_t d, const int32_t *labels,
                           size_t sample_size, uint64_t seed, double *out, cairn_error *err)
{
    *out = NAN;
    int rc = check_points(x, n, d, err);
    if (rc || n == 0) return rc;
    size_t *rows = NULL, m = 0;
    if (cairn_silhouette_sample_rows(n, sample_size, seed, &rows, &m))
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    double *s = cairn_malloc(m * sizeof *s);
    bool defined = false;
    rc = s ? silhouette_rows(x, d, labels, m == n ? NULL : rows, m, s, &defined, err)
           : cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    if (rc == 0 && defined) {
        double sum = 0;
        for (size_t i = 0; i < m; i++)
            sum += s[i];
        *out = sum / (double)m;
    }
    cairn_free(s);
    cairn_free(rows);
    return rc;
}

int cairn_davies_bouldin_score(const double *x, size_t n, size_t d, const int32_t *labels,
                               double *out, cairn_error *err)
{
    *out = NAN;
    int rc = check_points(x, n, d, err);
    if (rc || n == 0) return rc;
    dense_labels dl;
    if ((rc = dense_make(labels, NULL, n, &dl, err))) return rc;
    size_t k = dl.k;
    double *c = labels_defined(k, n) ? cluster_means(x, n, d, &dl) : NULL;
    double *intra = c ? cairn_calloc(k, sizeof *intra) : NULL;
    if (labels_defined(k, n) && !intra) rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    if (rc == 0 && intra) {
        for (size_t i = 0; i < n; i++)
            intra[dl.id[i]] += distance(x + i * d, c + (size_t)dl.id[i] * d, d);
        bool intra_zero = true, between_zero = true;
        for (size_t a = 0; a < k; a++) {
            intra[a] /= (double)dl.count[a];
            intra_zero = intra_zero && fabs(intra[a]) <= 1e-8;
            for (size_t b = a + 1; b < k; b++)
                between_zero = between_zero && distance(c + a * d, c + b * d, d) <= 1e-8;
        }
        double sum = 0;
        for (size_t a = 0; a < k && !intra_zero && !between_zero; a++) {
            double worst = 0;
            for (size_t b = 0; b < k; b++) {
                double between = distance(c + a * d, c + b * d, d);
                if (b == a || between == 0) continue; /* sklearn: / inf = 0 */
                double r = (intra[a] + intra[b]) / between;
                if (r > worst) worst = r;
            }
            sum += worst;
        }
        *out = intra_zero || between_zero ? 0.0 : sum / (double)k;
    }
    cairn_free(intra);
    cairn_free(c);
    dense_release(&dl);
    return rc;
}

int cairn_calinski_harabasz_score(const double *x, size_t n, size_t d, const int32_t *labels,
                                  double *out, cairn_error *err)
{
    *out = NAN;
    int rc = check_points(x, n, d, err);
    if (rc || n == 0) return rc;
    dense_labels dl;
    if ((rc = dense_make(labels, NULL, n, &dl, err))) return rc;
    size_t k = dl.k;
    double *c = labels_defined(k, n) ? cluster_means(x, n, d, &dl) : NULL;
    double *mean = c ? cairn_calloc(d, sizeof *mean) : NULL;
    if (labels_defined(k, n) && !mean) rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    if (rc == 0 && mean) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < d; j++)
                mean[j] += x[i * d + j];
        for (size_t j = 0; j < d; j++)
            mean[j] /= (double)n;
        double between = 0, within = 0;
        for (size_t a = 0; a < k; a++)
            between += (double)dl.count[a] * distance2(c + a * d, mean, d);
        for (size_t i = 0; i < n; i++)
            within += distance2(x + i * d, c + (size_t)dl.id[i] * d, d);
        *out = within == 0 ? 1.0 : between * (double)(n - k) / (within * ((double)k - 1.0));
    }
    cairn_free(mean);
    cairn_free(c);
    dense_release(&dl);
    return rc;
}

int cairn_cluster_inertia(const double *x, size_t n, size_t d, const int32_t *labels,
                          const double *centroids, size_t k, double *out, cairn_error *err)
{
    *out = NAN;
    int rc = check_points(x, n, d, err);
    if (rc || n == 0) return rc;
    for (size_t i = 0; centroids && i < n; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= k)
            return row_error(err, "labels", i, "labels[%zu] = %d: not a centroid (0..%zu)", i,
                             (int)labels[i], k ? k - 1 : 0);
    dense_labels dl = {0};
    double *own = NULL;
    if (!centroids) {
        if ((rc = dense_make(labels, NULL, n, &dl, err))) return rc;
        if (!(own = cluster_means(x, n, d, &dl))) {
            dense_release(&dl);
            return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
        }
    }
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += distance2(x + i * d,
                         centroids ? centroids + (size_t)labels[i] * d : own + (size_t)dl.id[i] * d, d);
    *out = sum;
    cairn_free(own);
    dense_release(&dl);
    return 0;
}

int cairn_cluster_metrics_compute(const double *x, size_t n, size_t d, const int32_t *labels,
                                  const double *centroids, size_t k, size_t sample_size,
                                  uint64_t seed, cairn_cluster_metrics *out, cairn_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = cairn_silhouette_score(x, n, d, labels, sample_size, seed, &out->silhouette, err);
    if (rc == 0) rc = cairn_davies_bouldin_score(x, n, d, labels, &out->davies_bouldin, err);
    if (rc == 0)
        rc = cairn_calinski_harabasz_score(x, n, d, labels, &out->calinski_harabasz, err);
    if (rc == 0) rc = cairn_cluster_inertia(x, n, d, labels, centroids, k, &out->inertia, err);
    dense_labels dl;
    if (rc == 0 && (rc = dense_make(labels, NULL, n, &dl, err)) == 0) {
        out->clusters = dl.k;
        dense_release(&dl);
    }
    out->silhouette_rows = sample_size && sample_size < n ? sample_size : n;
    return rc;
}

static const struct {
    const char *name;
    bool higher_is_better;
} cluster_metric_table[] = {
    {"silhouette", true},
    {"davies_bouldin", false},
    {"calinski_harabasz", true},
    {"inertia", false},
};

bool cairn_cluster_metric_find(const char *name, bool *higher_is_better)
{
    for (size_t i = 0; name && i < sizeof cluster_metric_table / sizeof cluster_metric_table[0]; i++)
        if (!strcmp(name, cluster_metric_table[i].name)) {
            if (higher_is_better) *higher_is_better = cluster_metric_table[i].higher_is_better;
            return true;
        }
    return false;
}

double cairn_cluster_metric_value(const cairn_cluster_metrics *m, const char *name)
{
    if (!name) return NAN;
    if (!strcmp(name, "silhouette")) return m->silhouette;
    if (!strcmp(name, "davies_bouldin")) return m->davies_bouldin;
    if (!strcmp(name, "calinski_harabasz")) return m->calinski_harabasz;
    if (!strcmp(name, "inertia")) return m->inertia;
    return NAN;
}
