/* src/train/calibrate.c: probability calibration (Platt scaling, isotonic regression), its
 * JSON form, reliability-diagram bins and the expected calibration error
 * (include/cairn/metrics.h).
 *
 * Platt: minimise the weighted cross-entropy of P(s) = 1 / (1 + exp(a s + b)) against
 * Platt's prior-smoothed targets, as sklearn.calibration._sigmoid_calibration, but with
 * Newton's method and a backtracking line search (Lin, Lin & Weng 2007) run to rounding
 * level: the problem is convex, so this finds the same optimum sklearn's BFGS approaches.
 * The loss is evaluated in the overflow-free form log(1 + e^f) - (1 - t) f, f = a s + b.
 *
 * Isotonic: sklearn's IsotonicRegression(out_of_bounds='clip') step by step: drop rows of
 * zero weight; sort by (s, y); merge runs of scores within 1e-15 of the run's first score
 * (sklearn's _make_unique, weighted mean label, summed weight); pool adjacent violators in
 * place with sklearn's block bookkeeping (target[i] = last index of the block starting at i
 * and vice versa, backtracking one block after each merge: O(n)); drop interior points equal
 * to both neighbours. Prediction clips to [x_0, x_last] and interpolates linearly as
 * np.interp.
 *
 * Bins: calibration_curve's edges (numpy linspace i * (1 / n_bins), or numpy linear
 * percentiles at those levels), a row's bin = number of inner edges strictly below p.
 *
 * Tests: tests/unit/train/test_calibrate.c and tests/oracles/test_metrics_sklearn.sh
 * (sklearn's _sigmoid_calibration, IsotonicRegression, calibration_curve).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/json.h"
#include "cairn/metrics.h"

struct cairn_calibrator {
    cairn_calibration_method method;
    double a, b;   /* Platt */
    size_t count;  /* isotonic thresholds */
    double *x, *y; /* count each: x strictly increasing, y non-decreasing */
};

static const char *const method_names[] = {NULL, "platt", "isotonic"};

const char *cairn_calibration_method_name(cairn_calibration_method m)
{
    return m == CAIRN_CALIBRATION_PLATT || m == CAIRN_CALIBRATION_ISOTONIC ? method_names[m]
                                                                           : "unknown";
}

int cairn_calibration_method_parse(const char *name, cairn_calibration_method *out)
{
    for (int m = CAIRN_CALIBRATION_PLATT; name && m <= CAIRN_CALIBRATION_ISOTONIC; m++)
        if (strcmp(name, method_names[m]) == 0) {
            *out = (cairn_calibration_method)m;
            return 0;
        }
    return CAIRN_EINVAL;
}

static double weight_of(const double *w, size_t i)
{
    return w ? w[i] : 1.0;
}

/* Labels 0/1, finite scores (in [0, 1] when probabilities), valid weights. */
static int check_inputs(const double *y, const double *s, const double *w, size_t n,
                        bool probabilities, cairn_error *err)
{
    cairn_metric_data d;
    cairn_metric_data_init(&d, y, s, w, n);
    int rc = cairn_metric_data_check(&d, CAIRN_METRIC_BINARY, probabilities, err);
    for (size_t i = 0; !rc && i < n; i++)
        if (!isfinite(s[i])) {
            rc = cairn_error_set(err, CAIRN_EINVAL, "p[%zu] = %g: a score must be finite", i, s[i]);
            if (err) {
                err->row = (int64_t)i;
                cairn_error_field(err, "p");
            }
        }
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Platt scaling
 * ---------------------------------------------------------------------------------------- */

typedef struct platt_problem {
    const double *s, *w;
    const double *y;
    size_t n;
    double t1, t0; /* targets of positives and negatives */
} platt_problem;

static double platt_loss(const platt_problem *pp, double a, double b)
{
    double sum = 0;
    for (size_t i = 0; i < pp->n; i++) {
        double f = a * pp->s[i] + b, t = pp->y[i] == 1.0 ? pp->t1 : pp->t0;
        double l = f >= 0 ? t * f + log1p(exp(-f)) : (t - 1) * f + log1p(exp(f));
        sum += weight_of(pp->w, i) * l;
    }
    return sum;
}

/* Gradient g and Hessian h (h[0] = d2/da2, h[1] = d2/dadb, h[2] = d2/db2). */
static void platt_derivatives(const platt_problem *pp, double a, double b, double g[2], double h[3])
{
    g[0] = g[1] = h[0] = h[1] = h[2] = 0;
    for (size_t i = 0; i < pp->n; i++) {
        double f = a * pp->s[i] + b, p, q; /* p = P(s), q = 1 - p */
        if (f >= 0) {
            double e = exp(-f);
            p = e / (1 + e);
            q = 1 / (1 + e);
        } else {
            double e = exp(f);
            p = 1 / (1 + e);
            q = e / (1 + e);
        }
        double wi = weight_of(pp->w, i), t = pp->y[i] == 1.0 ? pp->t1 : pp->t0;
        double d = wi * (t - p), c = wi * p * q, s = pp->s[i];
        g[0] += d * s;
        g[1] += d;
        h[0] += c * s * s;
        h[1] += c * s;
        h[2] += c;
    }
}

int cairn_platt_fit(const double *y, const double *s, const double *w, size_t n, double *a,
                    double *b, cairn_error *err)
{
    int rc = check_inputs(y, s, w, n, false, err);
    if (rc) return rc;
    double prior1 = 0, prior0 = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] == 1.0)
            prior1 += weight_of(w, i);
        else
            prior0 += weight_of(w, i);
    }
    if (!(prior0 + prior1 > 0))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "Platt scaling needs rows with positive weight (n = %zu)", n);
    platt_problem pp = {s, w, y, n, (prior1 + 1) / (prior1 + 2), 1 / (prior0 + 2)};
    double A = 0, B = log((prior0 + 1) / (prior1 + 1)), loss = platt_loss(&pp, A, B);
    const double sigma = 1e-12; /* keeps the Hessian positive definite (Lin et al.) */
    for (int iter = 0; iter < 200; iter++) {
        double g[2], h[3];
        platt_derivatives(&pp, A, B, g, h);
        h[0] += sigma;
        h[2] += sigma;
        double det = h[0] * h[2] - h[1] * h[1];
        if (!(det > 0)) break;
        double dA = -(h[2] * g[0] - h[1] * g[1]) / det, dB = -(-h[1] * g[0] + h[0] * g[1]) / det;
        double gd = g[0] * dA + g[1] * dB;
        if (fabs(dA) <= 1e-15 * (1 + fabs(A)) && fabs(dB) <= 1e-15 * (1 + fabs(B))) break;
        double step = 1, next = 0;
        while (step >= 1e-10) {
            next = platt_loss(&pp, A + step * dA, B + step * dB);
            /* A full Newton step is also taken when it changes the loss only by rounding:
             * near the optimum that is where the quadratic convergence happens. */
            if (next < loss + 1e-4 * step * gd ||
                (step == 1 && fabs(next - loss) <= 1e-14 * fabs(loss)))
                break;
            step /= 2;
        }
        if (step < 1e-10) break;
        A += step * dA;
        B += step * dB;
        loss = next;
    }
    *a = A;
    *b = B;
    return 0;
}

double cairn_platt_apply(double a, double b, double s)
{
    double f = a * s + b;
    if (f >= 0) {
        double e = exp(-f);
        return e / (1 + e);
    }
    return 1 / (1 + exp(f));
}

/* ------------------------------------------------------------------------------------------
 * Isotonic regression
 * ---------------------------------------------------------------------------------------- */

typedef struct iso_row {
    double x, y, w;
} iso_row;

static int cmp_iso(const void *a, const void *b)
{
    const iso_row *p = a, *q = b;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    return p->y < q->y ? -1 : p->y > q->y;
}

/* sklearn's _inplace_contiguous_isotonic_regression on y[0..n) with weights w. */
static void pav(double *y, double *w, size_t *target, size_t n)
{
    for (size_t i = 0; i < n; i++)
        target[i] = i;
    size_t i = 0;
    while (i < n) {
        size_t k = target[i] + 1;
        if (k == n) break;
        if (y[i] < y[k]) {
            i = k;
            continue;
        }
        double sum_wy = w[i] * y[i], sum_w = w[i];
        for (;;) {
            double prev_y = y[k];
            sum_wy += w[k] * y[k];
            sum_w += w[k];
            k = target[k] + 1;
            if (k == n || prev_y < y[k]) {
                y[i] = sum_wy / sum_w;
                w[i] = sum_w;
                target[i] = k - 1;
                target[k - 1] = i;
                if (i > 0) i = target[i - 1];
                break;
            }
        }
    }
    for (i = 0; i < n;) {
        size_t k = target[i] + 1;
        for (size_t j = i + 1; j < k; j++)
            y[j] = y[i];
        i = k;
    }
}

static int isotonic_fit(const double *y, const double *s, const double *w, size_t n,
                        cairn_calibrator *cal, cairn_error *err)
{
    iso_row *rows = cairn_malloc((n ? n : 1) * sizeof *rows);
    size_t *target = cairn_malloc((n ? n : 1) * sizeof *target);
    double *buf = cairn_malloc((n ? n : 1) * 3 * sizeof *buf);
    if (!rows || !target || !buf) {
        cairn_free(rows);
        cairn_free(target);
        cairn_free(buf);
        return cairn_error_set(err, CAIRN_ENOMEM, "isotonic calibration: out of memory");
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (weight_of(w, i) > 0) rows[m++] = (iso_row){s[i], y[i], weight_of(w, i)};
    int rc = 0;
    if (m == 0)
        rc = cairn_error_set(err, CAIRN_EINVAL,
                             "isotonic calibration needs rows with positive weight (n = %zu)", n);
    size_t u = 0;
    double *ux = buf, *uy = buf + n, *uw = buf + 2 * n;
    if (!rc) {
        qsort(rows, m, sizeof *rows, cmp_iso);
        /* sklearn's _make_unique: eps = np.finfo(float64).resolution. */
        double cx = rows[0].x, cy = 0, cw = 0;
        for (size_t i = 0; i < m; i++) {
            if (rows[i].x - cx >= 1e-15) {
                ux[u] = cx;
                uw[u] = cw;
                uy[u++] = cy / cw;
                cx = rows[i].x;
                cw = rows[i].w;
                cy = rows[i].y * rows[i].w;
            } else {
                cw += rows[i].w;
                cy += rows[i].y * rows[i].w;
            }
        }
        ux[u] = cx;
        uw[u] = cw;
        uy[u++] = cy / cw;
        pav(uy, uw, target, u);
        size_t kept = 0;
        for (size_t i = 0; i < u; i++) {
            bool interior_flat = i > 0 && i + 1 < u && uy[i] == uy[i - 1] && uy[i] == uy[i + 1];
            if (interior_flat) continue;
            ux[kept] = ux[i];
            uy[kept++] = uy[i];
        }
        cal->x = cairn_malloc(kept * sizeof *cal->x);
        cal->y = cairn_malloc(kept * sizeof *cal->y);
        if (!cal->x || !cal->y)
            rc = cairn_error_set(err, CAIRN_ENOMEM, "isotonic calibration: out of memory");
        else {
            memcpy(cal->x, ux, kept * sizeof *ux);
            memcpy(cal->y, uy, kept * sizeof *uy);
            cal->count = kept;
        }
    }
    cairn_free(rows);
    cairn_free(target);
    cairn_free(buf);
    return rc;
}

static double isotonic_apply(const cairn_calibrator *cal, double s)
{
    if (isnan(s)) return NAN;
    size_t n = cal->count;
    const double *x = cal->x, *y = cal->y;
    if (s <= x[0]) return y[0];
    if (s >= x[n - 1]) return y[n - 1];
    size_t lo = 0, hi = n - 1; /* x[lo] <= s < x[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] <= s)
            lo = mid;
        else
            hi = mid;
    }
    if (s == x[lo]) return y[lo];
    double slope = (y[hi] - y[lo]) / (x[hi] - x[lo]);
    return slope * (s - x[lo]) + y[lo];
}

/* ------------------------------------------------------------------------------------------
 * The calibrator
 * ---------------------------------------------------------------------------------------- */

void cairn_calibrator_free(cairn_calibrator *cal)
{
    if (!cal) return;
    cairn_free(cal->x);
    cairn_free(cal->y);
    cairn_free(cal);
}

int cairn_calibrator_fit(cairn_calibration_method method, const double *y, const double *s,
                         const double *w, size_t n, cairn_calibrator **out, cairn_error *err)
{
    *out = NULL;
    if (method != CAIRN_CALIBRATION_PLATT && method != CAIRN_CALIBRATION_ISOTONIC)
        return cairn_error_set(err, CAIRN_EINVAL, "unknown calibration method %d", (int)method);
    cairn_calibrator *cal = cairn_calloc(1, sizeof *cal);
    if (!cal) return cairn_error_set(err, CAIRN_ENOMEM, "calibration: out of memory");
    cal->method = method;
    int rc;
    if (method == CAIRN_CALIBRATION_PLATT)
        rc = cairn_platt_fit(y, s, w, n, &cal->a, &cal->b, err);
    else {
        rc = check_inputs(y, s, w, n, false, err);
        if (!rc) rc = isotonic_fit(y, s, w, n, cal, err);
    }
    if (rc) {
        cairn_calibrator_free(cal);
        return rc;
    }
    *out = cal;
    return 0;
}

cairn_calibration_method cairn_calibrator_method(const cairn_calibrator *cal)
{
    return cal->method;
}

void cairn_calibrator_apply(const cairn_calibrator *cal, const double *s, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = cal->method == CAIRN_CALIBRATION_PLATT
                     ? (isnan(s[i]) ? NAN : cairn_platt_apply(cal->a, cal->b, s[i]))
                     : isotonic_apply(cal, s[i]);
}

int cairn_calibrator_platt(const cairn_calibrator *cal, double *a, double *b)
{
    if (cal->method != CAIRN_CALIBRATION_PLATT) return CAIRN_EINVAL;
    *a = cal->a;
    *b = cal->b;
    return 0;
}

size_t cairn_calibrator_isotonic(const cairn_calibrator *cal, const double **x, const double **y)
{
    *x = cal->x;
    *y = cal->y;
    return cal->method == CAIRN_CALIBRATION_ISOTONIC ? cal->count : 0;
}

/* ------------------------------------------------------------------------------------------
 * JSON
 * ---------------------------------------------------------------------------------------- */

static json_t *number_array(const double *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, json_real(v[i]))) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

json_t *cairn_calibrator_to_json(const cairn_calibrator *cal)
{
    json_t *obj = json_object();
    if (!obj) return NULL;
    bool ok = json_object_set_new(obj, "method",
                                  json_string(cairn_calibration_method_name(cal->method))) == 0;
    if (cal->method == CAIRN_CALIBRATION_PLATT) {
        ok = ok && json_object_set_new(obj, "a", json_real(cal->a)) == 0;
        ok = ok && json_object_set_new(obj, "b", json_real(cal->b)) == 0;
    } else {
        ok = ok && json_object_set_new(obj, "x", number_array(cal->x, cal->count)) == 0;
        ok = ok && json_object_set_new(obj, "y", number_array(cal->y, cal->count)) == 0;
    }
    if (!ok) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static int element_error(cairn_error *err, const char *key, size_t i, const char *fmt, ...)
    CAIRN_PRINTF(4, 5);

static int element_error(cairn_error *err, const char *key, size_t i, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cairn_error_setv(err, CAIRN_EINVAL, fmt, ap);
    va_end(ap);
    char field[64];
    snprintf(field, sizeof field, "%s[%zu]", key, i);
    if (err) cairn_error_field(err, field);
    return CAIRN_EINVAL;
}

/* Reads "x" or "y" into a new array of n numbers (n = the first array's length). */
static int read_numbers(const json_t *obj, const char *key, size_t *n, double **out,
                        cairn_error *err)
{
    const json_t *arr = json_object_get(obj, key);
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        cairn_error_set(err, CAIRN_EINVAL,
                        "isotonic calibrator: key '%s' must be a non-empty array of numbers", key);
        if (err) cairn_error_field(err, key);
        return CAIRN_EINVAL;
    }
    size_t len = json_array_size(arr);
    if (*n && len != *n)
        return element_error(err, key, len - 1,
                             "isotonic calibrator: 'x' has %zu thresholds but '%s' has %zu", *n,
                             key, len);
    *n = len;
    double *v = cairn_malloc(len * sizeof *v);
    if (!v) return cairn_error_set(err, CAIRN_ENOMEM, "calibrator: out of memory");
    for (size_t i = 0; i < len; i++) {
        const json_t *e = json_array_get(arr, i);
        v[i] = json_is_number(e) ? json_number_value(e) : NAN;
        if (!isfinite(v[i])) {
            cairn_free(v);
            return element_error(err, key, i, "isotonic calibrator: %s[%zu] is not a finite number",
                                 key, i);
        }
    }
    *out = v;
    return 0;
}

static int isotonic_from_json(const json_t *value, cairn_calibrator *cal, cairn_error *err)
{
    size_t n = 0;
    int rc = read_numbers(value, "x", &n, &cal->x, err);
    if (!rc) rc = read_numbers(value, "y", &n, &cal->y, err);
    for (size_t i = 1; !rc && i < n; i++) {
        if (!(cal->x[i] > cal->x[i - 1]))
            rc = element_error(err, "x", i,
                               "isotonic calibrator: x[%zu] = %g is not above x[%zu] = %g "
                               "(thresholds must increase)",
                               i, cal->x[i], i - 1, cal->x[i - 1]);
        else if (cal->y[i] < cal->y[i - 1])
            rc = element_error(err, "y", i,
                               "isotonic calibrator: y[%zu] = %g is below y[%zu] = %g "
                               "(values must not decrease)",
                               i, cal->y[i], i - 1, cal->y[i - 1]);
    }
    for (size_t i = 0; !rc && i < n; i++)
        if (cal->y[i] < 0 || cal->y[i] > 1)
            rc = element_error(err, "y", i, "isotonic calibrator: y[%zu] = %g is not in [0, 1]", i,
                               cal->y[i]);
    cal->count = n;
    return rc;
}

int cairn_calibrator_from_json(const json_t *value, cairn_calibrator **out, cairn_error *err)
{
    *out = NULL;
    if (!json_is_object(value))
        return cairn_error_set(err, CAIRN_EINVAL, "calibrator: expected a JSON object");
    const char *name;
    cairn_calibration_method method;
    int rc = cairn_json_get_string(value, "method", &name, err);
    if (rc) return rc;
    if (cairn_calibration_method_parse(name, &method)) {
        cairn_error_set(err, CAIRN_EINVAL,
                        "calibrator: unknown method '%s' (expected platt or isotonic)", name);
        if (err) cairn_error_field(err, "method");
        return CAIRN_EINVAL;
    }
    cairn_calibrator *cal = cairn_calloc(1, sizeof *cal);
    if (!cal) return cairn_error_set(err, CAIRN_ENOMEM, "calibrator: out of memory");
    cal->method = method;
    if (method == CAIRN_CALIBRATION_PLATT) {
        rc = cairn_json_get_double(value, "a", &cal->a, err);
        if (!rc) rc = cairn_json_get_double(value, "b", &cal->b, err);
        if (!rc && (!isfinite(cal->a) || !isfinite(cal->b)))
            rc = cairn_error_set(err, CAIRN_EINVAL, "Platt calibrator: a and b must be finite");
    } else {
        rc = isotonic_from_json(value, cal, err);
    }
    if (rc) {
        cairn_calibrator_free(cal);
        return rc;
    }
    *out = cal;
    return 0;
}

int cairn_calibrator_dump(const cairn_calibrator *cal, cairn_buf *buf)
{
    json_t *v = cairn_calibrator_to_json(cal);
    if (!v) return CAIRN_ENOMEM;
    int rc = cairn_json_dump(v, 0, buf);
    json_decref(v);
    return rc;
}

int cairn_calibrator_parse(const char *text, size_t len, cairn_calibrator **out, cairn_error *err)
{
    json_t *v;
    *out = NULL;
    int rc = cairn_json_parse(text, len, "calibrator", &v, err);
    if (rc) return rc;
    rc = cairn_calibrator_from_json(v, out, err);
    json_decref(v);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Reliability bins and ECE
 * ---------------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* edges[0..n_bins] as calibration_curve makes them. */
static int bin_edges(const double *p, size_t n, size_t n_bins, cairn_bin_strategy strategy,
                     double *edges, cairn_error *err)
{
    double step = 1.0 / (double)n_bins;
    if (strategy == CAIRN_BINS_UNIFORM) {
        for (size_t i = 0; i < n_bins; i++)
            edges[i] = (double)i * step;
        edges[n_bins] = 1.0;
        return 0;
    }
    double *sorted = cairn_malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted) return cairn_error_set(err, CAIRN_ENOMEM, "calibration bins: out of memory");
    memcpy(sorted, p, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_double);
    for (size_t i = 0; i <= n_bins; i++) {
        double level = i == n_bins ? 1.0 : (double)i * step; /* np.linspace(0, 1, n_bins + 1) */
        edges[i] = cairn_percentile_sorted(sorted, n, level * 100);
    }
    cairn_free(sorted);
    return 0;
}

/* np.searchsorted(edges[1:-1], p, side='left'). */
static size_t bin_of(const double *edges, size_t n_bins, double p)
{
    size_t lo = 0, hi = n_bins - 1; /* count of inner edges < p lies in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (edges[1 + mid] < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Per-bin sums of w, w y and w p (3 x n_bins, zeroed by the caller). */
static int bin_sums(const double *y, const double *p, const double *w, size_t n, size_t n_bins,
                    cairn_bin_strategy strategy, double *sums, cairn_error *err)
{
    if (n_bins == 0)
        return cairn_error_set(err, CAIRN_EINVAL, "calibration bins: n_bins must be >= 1");
    if (strategy != CAIRN_BINS_UNIFORM && strategy != CAIRN_BINS_QUANTILE)
        return cairn_error_set(err, CAIRN_EINVAL, "calibration bins: unknown strategy %d",
                               (int)strategy);
    int rc = check_inputs(y, p, w, n, true, err);
    if (rc) return rc;
    double *edges = cairn_malloc((n_bins + 1) * sizeof *edges);
    if (!edges) return cairn_error_set(err, CAIRN_ENOMEM, "calibration bins: out of memory");
    rc = bin_edges(p, n, n_bins, strategy, edges, err);
    for (size_t i = 0; !rc && i < n; i++) {
        size_t b = bin_of(edges, n_bins, p[i]);
        double wi = weight_of(w, i);
        sums[b] += wi;
        sums[n_bins + b] += wi * y[i];
        sums[2 * n_bins + b] += wi * p[i];
    }
    cairn_free(edges);
    return rc;
}

int cairn_calibration_curve(const double *y, const double *p, const double *w, size_t n,
                            size_t n_bins, cairn_bin_strategy strategy, double *prob_true,
                            double *prob_pred, double *count, size_t *n_nonempty, cairn_error *err)
{
    *n_nonempty = 0;
    double *sums = cairn_calloc(3 * (n_bins ? n_bins : 1), sizeof *sums);
    if (!sums) return cairn_error_set(err, CAIRN_ENOMEM, "calibration curve: out of memory");
    int rc = bin_sums(y, p, w, n, n_bins, strategy, sums, err);
    size_t k = 0;
    for (size_t b = 0; !rc && b < n_bins; b++) {
        if (!(sums[b] > 0)) continue;
        prob_true[k] = sums[n_bins + b] / sums[b];
        prob_pred[k] = sums[2 * n_bins + b] / sums[b];
        count[k++] = sums[b];
    }
    *n_nonempty = k;
    cairn_free(sums);
    return rc;
}

int cairn_ece(const double *y, const double *p, const double *w, size_t n, size_t n_bins,
              double *out, cairn_error *err)
{
    double *sums = cairn_calloc(3 * (n_bins ? n_bins : 1), sizeof *sums);
    if (!sums) return cairn_error_set(err, CAIRN_ENOMEM, "ECE: out of memory");
    int rc = bin_sums(y, p, w, n, n_bins, CAIRN_BINS_UNIFORM, sums, err);
    double total = 0, gap = 0;
    for (size_t b = 0; !rc && b < n_bins; b++) {
        total += sums[b];
        gap += fabs(sums[n_bins + b] - sums[2 * n_bins + b]);
    }
    *out = rc == 0 && total > 0 ? gap / total : NAN;
    cairn_free(sums);
    return rc;
}
