/* src/train/significance.c: bootstrap confidence intervals (single and paired), DeLong's
 * test for correlated ROC AUCs, McNemar's test, and per-slice metric tables
 * (include/cairn/metrics.h).
 *
 * Bootstrap. A resample of n rows drawn with replacement is represented by multiplicities:
 * row i drawn c_i times evaluates the metric with weight w_i x c_i (metrics treat weights
 * as frequency weights), so the rows are never copied and the score order, sorted once,
 * serves every resample: each costs O(n). Resample b draws from its own generator seeded
 * with cairn_rng_derive(seed, b), so the resamples, and therefore the interval, are the
 * same whatever the number of threads and however resamples are spread over tasks. The
 * intervals follow scipy.stats.bootstrap 1.10: percentile (numpy's linear percentile),
 * basic, and BCa (Efron & Tibshirani 14.3, 15.4) with z0 from the mean rank of the
 * estimate among the resamples and the acceleration from leave-one-out (or, above
 * jackknife_max rows, leave-group-out) values. Resamples where the metric is undefined
 * (NaN) are counted and left out.
 *
 * DeLong. For each model one descending sort gives, per positive, the share of negatives
 * it outranks (V10, ties 1/2) and, per negative, the share of positives that outrank it
 * (V01); these are Sun & Xu's midrank placements without forming ranks. The AUC is the
 * mean of V10 and its covariance across models is S10/m + S01/n.
 *
 * Tests: tests/unit/train/test_significance.c and tests/oracles/test_metrics_sklearn.sh
 * (scipy.stats.bootstrap, an O(n^2) DeLong, scipy's binomtest and chi2).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/metrics.h"

/* ------------------------------------------------------------------------------------------
 * Distributions
 * ---------------------------------------------------------------------------------------- */

double cairn_normal_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

double cairn_chi2_1_sf(double x)
{
    if (isnan(x)) return NAN;
    return x <= 0 ? 1.0 : erfc(sqrt(x / 2.0));
}

/* Acklam's rational approximation (relative error 1.15e-9) for p <= 1/2. */
static double acklam_lower(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    if (p < 0.02425) {
        double q = sqrt(-2 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

double cairn_normal_quantile(double p)
{
    if (isnan(p) || p < 0 || p > 1) return NAN;
    if (p == 0) return -INFINITY;
    if (p == 1) return INFINITY;
    if (p > 0.5) return -cairn_normal_quantile(1 - p); /* 1 - p is exact here */
    double x = acklam_lower(p);
    /* One Halley step against erfc, accurate in the lower tail, gives full precision. */
    double e = 0.5 * erfc(-x / sqrt(2.0)) - p;
    double u = e * sqrt(2 * 3.14159265358979323846) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

double cairn_percentile_sorted(const double *sorted, size_t n, double q)
{
    if (n == 0 || isnan(q)) return NAN;
    double quantile = q / 100.0, virt = (double)(n - 1) * quantile;
    if (virt >= (double)(n - 1)) return sorted[n - 1];
    if (virt < 0) return sorted[0];
    double prev = floor(virt), t = virt - prev;
    size_t i = (size_t)prev;
    double a = sorted[i], b = sorted[i + 1], diff = b - a;
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t; /* numpy's _lerp */
}

/* ------------------------------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------------------------- */

static const char *const ci_names[] = {"bca", "percentile", "basic"};

const char *cairn_ci_method_name(cairn_ci_method m)
{
    return (unsigned)m < 3 ? ci_names[m] : "unknown";
}

int cairn_ci_method_parse(const char *name, cairn_ci_method *out)
{
    for (int i = 0; name && i < 3; i++)
        if (strcmp(name, ci_names[i]) == 0) {
            *out = (cairn_ci_method)i;
            return 0;
        }
    return CAIRN_EINVAL;
}

void cairn_bootstrap_options_init(cairn_bootstrap_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->n_resamples = 9999;
    opts->confidence = 0.95;
    opts->method = CAIRN_CI_BCA;
    opts->jackknife_max = 5000;
}

static int check_options(const cairn_bootstrap_options *o, cairn_error *err)
{
    if (o->n_resamples < 2)
        return cairn_error_set(err, CAIRN_EINVAL, "bootstrap: n_resamples must be >= 2, not %zu",
                               o->n_resamples);
    if (!(o->confidence > 0 && o->confidence < 1))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "bootstrap: confidence must lie in (0, 1), not %g", o->confidence);
    if ((unsigned)o->method > CAIRN_CI_BASIC)
        return cairn_error_set(err, CAIRN_EINVAL, "bootstrap: unknown interval method %d",
                               (int)o->method);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * The bootstrap engine
 * ---------------------------------------------------------------------------------------- */

typedef struct boot_job {
    const cairn_metric_info *metric;
    cairn_metric_data a, b; /* b.p is model b's scores when paired */
    bool paired;
    uint64_t seed;
    double *out;       /* one statistic per task item */
    size_t n_groups;   /* jackknife: groups (n = leave-one-out) */
    size_t per_task;   /* items per task */
    size_t items;      /* resamples or groups */
    int *rc;           /* per task */
    cairn_error *errs; /* per task */
} boot_job;

static int eval_stat(const boot_job *job, const double *w, double *out, cairn_error *err)
{
    cairn_metric_data d = job->a;
    d.w = w;
    double va, vb;
    int rc = job->metric->fn(&d, &va, err);
    if (rc || !job->paired) {
        *out = va;
        return rc;
    }
    d = job->b;
    d.w = w;
    rc = job->metric->fn(&d, &vb, err);
    *out = va - vb;
    return rc;
}

static void resample_task(void *arg, size_t t)
{
    boot_job *job = arg;
    size_t n = job->a.n, first = t * job->per_task;
    size_t last = first + job->per_task < job->items ? first + job->per_task : job->items;
    double *w = cairn_malloc((n ? n : 1) * sizeof *w);
    if (!w) {
        job->rc[t] = cairn_error_set(&job->errs[t], CAIRN_ENOMEM, "bootstrap: out of memory");
        return;
    }
    for (size_t b = first; b < last && job->rc[t] == 0; b++) {
        cairn_rng rng;
        cairn_rng_seed(&rng, cairn_rng_derive(job->seed, b));
        memset(w, 0, n * sizeof *w);
        for (size_t i = 0; i < n; i++)
            w[cairn_rng_below(&rng, n)] += 1.0;
        if (job->a.w)
            for (size_t i = 0; i < n; i++)
                w[i] *= job->a.w[i];
        job->rc[t] = eval_stat(job, w, &job->out[b], &job->errs[t]);
    }
    cairn_free(w);
}

static void jackknife_task(void *arg, size_t t)
{
    boot_job *job = arg;
    size_t n = job->a.n, first = t * job->per_task, step = job->n_groups;
    size_t last = first + job->per_task < job->items ? first + job->per_task : job->items;
    double *w = cairn_malloc((n ? n : 1) * sizeof *w);
    if (!w) {
        job->rc[t] = cairn_error_set(&job->errs[t], CAIRN_ENOMEM, "jackknife: out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        w[i] = job->a.w ? job->a.w[i] : 1.0;
    for (size_t g = first; g < last && job->rc[t] == 0; g++) {
        for (size_t i = g; i < n; i += step)
            w[i] = 0;
        job->rc[t] = eval_stat(job, w, &job->out[g], &job->errs[t]);
        for (size_t i = g; i < n; i += step)
            w[i] = job->a.w ? job->a.w[i] : 1.0;
    }
    cairn_free(w);
}

/* Runs fn over job->items items in tasks on the pool; the first failing task's error. */
static int run_items(boot_job *job, cairn_pool *pool, cairn_task_fn fn, cairn_error *err)
{
    size_t threads = pool ? (size_t)cairn_pool_threads(pool) : 1;
    size_t tasks = threads * 4 < job->items ? threads * 4 : job->items;
    if (tasks == 0) return 0;
    job->per_task = (job->items + tasks - 1) / tasks;
    tasks = (job->items + job->per_task - 1) / job->per_task;
    job->rc = cairn_calloc(tasks, sizeof *job->rc);
    job->errs = cairn_calloc(tasks, sizeof *job->errs);
    if (!job->rc || !job->errs) {
        cairn_free(job->rc);
        cairn_free(job->errs);
        return cairn_error_set(err, CAIRN_ENOMEM, "bootstrap: out of memory");
    }
    if (pool && tasks > 1)
        cairn_pool_run(pool, tasks, fn, job);
    else
        for (size_t t = 0; t < tasks; t++)
            fn(job, t);
    int rc = 0;
    for (size_t t = 0; t < tasks && !rc; t++) {
        rc = job->rc[t];
        if (rc && err) *err = job->errs[t];
    }
    cairn_free(job->rc);
    cairn_free(job->errs);
    job->rc = NULL;
    job->errs = NULL;
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* BCa's acceleration from jackknife values (NaN ones skipped): sum d^3 / (6 (sum d^2)^1.5)
 * with d = mean - value; 0 when all values are equal. */
static double acceleration(const double *jack, size_t g)
{
    double mean = 0, num = 0, den = 0;
    size_t m = 0;
    for (size_t i = 0; i < g; i++)
        if (!isnan(jack[i])) {
            mean += jack[i];
            m++;
        }
    if (m == 0) return NAN;
    mean /= (double)m;
    for (size_t i = 0; i < g; i++) {
        if (isnan(jack[i])) continue;
        double d = mean - jack[i];
        num += d * d * d;
        den += d * d;
    }
    return den > 0 ? num / (6 * pow(den, 1.5)) : 0.0;
}

static void bca_alphas(double z0, double a, double alpha, double *lo, double *hi)
{
    double z_alpha = cairn_normal_quantile(alpha), num1 = z0 + z_alpha, num2 = z0 - z_alpha;
    *lo = cairn_normal_cdf(z0 + num1 / (1 - a * num1));
    *hi = cairn_normal_cdf(z0 + num2 / (1 - a * num2));
}

/* Fills the result from the resampled statistics stats[0..b) (and job for BCa). */
static int interval(boot_job *job, const cairn_bootstrap_options *o, const double *stats, size_t b,
                    double estimate, cairn_bootstrap_result *out, cairn_error *err)
{
    double *sorted = cairn_malloc(b * sizeof *sorted);
    if (!sorted) return cairn_error_set(err, CAIRN_ENOMEM, "bootstrap: out of memory");
    size_t m = 0, le = 0, ge = 0;
    double mean = 0;
    for (size_t i = 0; i < b; i++) {
        if (isnan(stats[i])) continue;
        sorted[m++] = stats[i];
        mean += stats[i];
        le += stats[i] <= 0;
        ge += stats[i] >= 0;
    }
    out->n_resamples = m;
    out->n_undefined = b - m;
    if (m == 0) {
        cairn_free(sorted);
        return 0;
    }
    qsort(sorted, m, sizeof *sorted, cmp_double);
    mean /= (double)m;
    double ss = 0;
    for (size_t i = 0; i < m; i++)
        ss += (sorted[i] - mean) * (sorted[i] - mean);
    out->standard_error = m > 1 ? sqrt(ss / (double)(m - 1)) : NAN;
    if (job->paired) out->p_value = fmin(1.0, 2.0 * (double)(le < ge ? le : ge) / (double)m);
    double alpha = (1 - o->confidence) / 2, lo = alpha, hi = 1 - alpha;
    int rc = 0;
    if (o->method == CAIRN_CI_BCA) {
        size_t below = 0, at_or_below = 0;
        for (size_t i = 0; i < m; i++) {
            below += sorted[i] < estimate;
            at_or_below += sorted[i] <= estimate;
        }
        out->z0 = cairn_normal_quantile((double)(below + at_or_below) / (double)(2 * m));
        size_t n = job->a.n;
        job->n_groups = o->jackknife_max && n > o->jackknife_max ? o->jackknife_max : n;
        job->items = job->n_groups;
        job->out = cairn_malloc((job->n_groups ? job->n_groups : 1) * sizeof *job->out);
        if (!job->out) rc = cairn_error_set(err, CAIRN_ENOMEM, "jackknife: out of memory");
        if (!rc) rc = run_items(job, o->pool ? o->pool : cairn_pool_default(), jackknife_task, err);
        if (!rc) out->acceleration = acceleration(job->out, job->n_groups);
        cairn_free(job->out);
        bca_alphas(out->z0, out->acceleration, alpha, &lo, &hi);
    }
    out->ci_low = cairn_percentile_sorted(sorted, m, lo * 100);
    out->ci_high = cairn_percentile_sorted(sorted, m, hi * 100);
    if (o->method == CAIRN_CI_BASIC) {
        double l = 2 * estimate - out->ci_high, h = 2 * estimate - out->ci_low;
        out->ci_low = l;
        out->ci_high = h;
    }
    cairn_free(sorted);
    return rc;
}

static void result_clear(cairn_bootstrap_result *out)
{
    out->estimate = out->ci_low = out->ci_high = out->standard_error = NAN;
    out->z0 = out->acceleration = out->p_value = NAN;
    out->n_resamples = out->n_undefined = 0;
}

static int bootstrap_run(boot_job *job, const cairn_bootstrap_options *opts,
                         cairn_bootstrap_result *out, cairn_error *err)
{
    cairn_bootstrap_options defaults;
    if (!opts) {
        cairn_bootstrap_options_init(&defaults);
        opts = &defaults;
    }
    result_clear(out);
    int rc = check_options(opts, err);
    if (!rc) rc = eval_stat(job, job->a.w, &out->estimate, err);
    if (rc) return rc;
    size_t b = opts->n_resamples;
    if (isnan(out->estimate)) {
        for (size_t i = 0; opts->distribution && i < b; i++)
            opts->distribution[i] = NAN;
        out->n_undefined = b;
        return 0;
    }
    double *stats = opts->distribution ? opts->distribution : cairn_malloc(b * sizeof *stats);
    if (!stats) return cairn_error_set(err, CAIRN_ENOMEM, "bootstrap: out of memory");
    job->seed = opts->seed;
    job->out = stats;
    job->items = b;
    rc = run_items(job, opts->pool ? opts->pool : cairn_pool_default(), resample_task, err);
    if (!rc) rc = interval(job, opts, stats, b, out->estimate, out, err);
    if (stats != opts->distribution) cairn_free(stats);
    if (rc) {
        double estimate = out->estimate;
        result_clear(out);
        out->estimate = estimate;
    }
    return rc;
}

/* Sorts scores once for ranking metrics; *owned is freed by the caller. */
static int prepare_order(const cairn_metric_info *metric, cairn_metric_data *d, size_t **owned,
                         cairn_error *err)
{
    *owned = NULL;
    if (d->order || d->k >= 2 || !(metric->tasks & CAIRN_METRIC_BINARY)) return 0;
    int rc = cairn_metric_sort_scores(d->p, d->n, owned, err);
    d->order = *owned;
    return rc;
}

int cairn_bootstrap_ci(const cairn_metric_info *metric, const cairn_metric_data *data,
                       const cairn_bootstrap_options *opts, cairn_bootstrap_result *out,
                       cairn_error *err)
{
    boot_job job;
    memset(&job, 0, sizeof job);
    job.metric = metric;
    job.a = *data;
    size_t *order;
    int rc = prepare_order(metric, &job.a, &order, err);
    if (!rc)
        rc = bootstrap_run(&job, opts, out, err);
    else
        result_clear(out);
    cairn_free(order);
    return rc;
}

int cairn_bootstrap_paired(const cairn_metric_info *metric, const cairn_metric_data *a,
                           const double *p_b, const cairn_bootstrap_options *opts,
                           cairn_bootstrap_result *out, cairn_error *err)
{
    boot_job job;
    memset(&job, 0, sizeof job);
    job.metric = metric;
    job.paired = true;
    job.a = *a;
    job.b = *a;
    job.b.p = p_b;
    job.b.order = NULL;
    size_t *order_a = NULL, *order_b = NULL;
    int rc = 0;
    if (a->n > 0 && !p_b)
        rc = cairn_error_set(err, CAIRN_EINVAL, "paired bootstrap: p_b is required");
    if (!rc) rc = prepare_order(metric, &job.a, &order_a, err);
    if (!rc) rc = prepare_order(metric, &job.b, &order_b, err);
    if (!rc)
        rc = bootstrap_run(&job, opts, out, err);
    else
        result_clear(out);
    cairn_free(order_a);
    cairn_free(order_b);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * DeLong
 * ---------------------------------------------------------------------------------------- */

/* Checks labels and scores and numbers positives and negatives in row order. */
static int delong_prepare(const double *y, const double *const *p, size_t models, size_t n,
                          size_t *index, size_t *m_pos, size_t *n_neg, cairn_error *err)
{
    cairn_metric_data d;
    for (size_t k = 0; k < models; k++) {
        cairn_metric_data_init(&d, y, p[k], NULL, n);
        int rc = cairn_metric_data_check(&d, CAIRN_METRIC_BINARY, false, err);
        if (rc) {
            if (err && k == 1) cairn_error_field(err, "p2");
            return rc;
        }
    }
    size_t mp = 0, nn = 0;
    for (size_t i = 0; i < n; i++)
        index[i] = y[i] == 1.0 ? mp++ : nn++;
    *m_pos = mp;
    *n_neg = nn;
    if (mp < 2 || nn < 2)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "DeLong needs at least 2 positives and 2 negatives, found %zu "
                               "and %zu",
                               mp, nn);
    return 0;
}

/* Placements of one model: v10[i] for the i-th positive, v01[j] for the j-th negative. */
static int delong_placements(const double *y, const double *p, size_t n, const size_t *index,
                             size_t m_pos, size_t n_neg, double *v10, double *v01, double *auc,
                             cairn_error *err)
{
    size_t *order;
    int rc = cairn_metric_sort_scores(p, n, &order, err);
    if (rc) return rc;
    double pos_above = 0, neg_above = 0, sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double gp = 0, gn = 0;
        for (; j < n && p[order[j]] == p[order[i]]; j++) {
            if (y[order[j]] == 1.0)
                gp += 1;
            else
                gn += 1;
        }
        double neg_below = (double)n_neg - neg_above - gn;
        for (size_t r = i; r < j; r++) {
            size_t row = order[r];
            if (y[row] == 1.0) {
                v10[index[row]] = (neg_below + gn / 2) / (double)n_neg;
                sum += v10[index[row]];
            } else {
                v01[index[row]] = (pos_above + gp / 2) / (double)m_pos;
            }
        }
        pos_above += gp;
        neg_above += gn;
        i = j;
    }
    cairn_free(order);
    *auc = sum / (double)m_pos;
    return 0;
}

static double sample_cov(const double *a, const double *b, size_t n)
{
    double ma = 0, mb = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= (double)n;
    mb /= (double)n;
    for (size_t i = 0; i < n; i++)
        s += (a[i] - ma) * (b[i] - mb);
    return s / (double)(n - 1);
}

/* AUCs and their covariance matrix (2 x 2 row-major; 1 x 1 for one model). */
static int delong_core(const double *y, const double *const *p, size_t models, size_t n,
                       double *auc, double *cov, size_t *m_out, size_t *n_out, cairn_error *err)
{
    size_t *index = cairn_malloc((n ? n : 1) * sizeof *index);
    double *v = cairn_malloc((n ? n : 1) * models * sizeof *v);
    int rc = index && v ? 0 : cairn_error_set(err, CAIRN_ENOMEM, "DeLong: out of memory");
    size_t m_pos = 0, n_neg = 0;
    if (!rc) rc = delong_prepare(y, p, models, n, index, &m_pos, &n_neg, err);
    double *v10 = v, *v01 = v ? v + models * m_pos : NULL;
    for (size_t k = 0; !rc && k < models; k++)
        rc = delong_placements(y, p[k], n, index, m_pos, n_neg, v10 + k * m_pos, v01 + k * n_neg,
                               &auc[k], err);
    for (size_t r = 0; !rc && r < models; r++)
        for (size_t c = 0; c < models; c++)
            cov[r * models + c] =
                sample_cov(v10 + r * m_pos, v10 + c * m_pos, m_pos) / (double)m_pos +
                sample_cov(v01 + r * n_neg, v01 + c * n_neg, n_neg) / (double)n_neg;
    *m_out = m_pos;
    *n_out = n_neg;
    cairn_free(index);
    cairn_free(v);
    return rc;
}

static int check_confidence(double confidence, cairn_error *err)
{
    if (confidence > 0 && confidence < 1) return 0;
    return cairn_error_set(err, CAIRN_EINVAL, "confidence must lie in (0, 1), not %g", confidence);
}

int cairn_delong_test(const double *y, const double *p1, const double *p2, size_t n,
                      double confidence, cairn_delong_result *out, cairn_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = check_confidence(confidence, err);
    if (rc) return rc;
    const double *p[2] = {p1, p2};
    double auc[2], cov[4];
    rc = delong_core(y, p, 2, n, auc, cov, &out->positives, &out->negatives, err);
    if (rc) return rc;
    out->auc1 = auc[0];
    out->auc2 = auc[1];
    out->var1 = cov[0];
    out->var2 = cov[3];
    out->cov = cov[1];
    out->diff = auc[0] - auc[1];
    double var = cov[0] + cov[3] - 2 * cov[1];
    out->se_diff = var > 0 ? sqrt(var) : 0.0;
    if (out->se_diff > 0) {
        out->z = out->diff / out->se_diff;
        out->p_value = erfc(fabs(out->z) / sqrt(2.0));
    } else {
        out->z = out->diff == 0 ? 0.0 : copysign(INFINITY, out->diff);
        out->p_value = out->diff == 0 ? 1.0 : 0.0;
    }
    double z = cairn_normal_quantile((1 + confidence) / 2);
    out->ci_low = out->diff - z * out->se_diff;
    out->ci_high = out->diff + z * out->se_diff;
    return 0;
}

int cairn_delong_ci(const double *y, const double *p, size_t n, double confidence,
                    cairn_auc_ci *out, cairn_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = check_confidence(confidence, err);
    if (rc) return rc;
    size_t m_pos, n_neg;
    rc = delong_core(y, &p, 1, n, &out->auc, &out->variance, &m_pos, &n_neg, err);
    if (rc) return rc;
    out->se = sqrt(out->variance > 0 ? out->variance : 0.0);
    double z = cairn_normal_quantile((1 + confidence) / 2);
    out->ci_low = fmax(0.0, out->auc - z * out->se);
    out->ci_high = fmin(1.0, out->auc + z * out->se);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * McNemar
 * ---------------------------------------------------------------------------------------- */

/* P(X <= k) for X ~ Bin(n, 1/2), summed in log space so that large n cannot underflow. */
static double binom_half_cdf(int64_t k, int64_t n)
{
    double lg_n = lgamma((double)n + 1), sum = 0;
    for (int64_t i = 0; i <= k; i++)
        sum +=
            exp(lg_n - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) - (double)n * log(2.0));
    return sum;
}

int cairn_mcnemar_from_counts(int64_t b, int64_t c, cairn_mcnemar_result *out, cairn_error *err)
{
    memset(out, 0, sizeof *out);
    if (b < 0 || c < 0)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "McNemar: discordant counts must be >= 0 (b = %lld, c = %lld)",
                               (long long)b, (long long)c);
    out->b = b;
    out->c = c;
    int64_t total = b + c;
    if (total == 0) {
        out->statistic = 0;
        out->p_chi2 = out->p_exact = out->p_value = 1.0;
        out->exact = true;
        return 0;
    }
    double d = fabs((double)(b - c)) - 1;
    out->statistic = d * d / (double)total;
    out->p_chi2 = cairn_chi2_1_sf(out->statistic);
    out->p_exact = fmin(1.0, 2 * binom_half_cdf(b < c ? b : c, total));
    out->exact = total < 25;
    out->p_value = out->exact ? out->p_exact : out->p_chi2;
    return 0;
}

int cairn_mcnemar_test(const double *y, const double *pred_a, const double *pred_b, size_t n,
                       cairn_mcnemar_result *out, cairn_error *err)
{
    int64_t b = 0, c = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(y[i]) || isnan(pred_a[i]) || isnan(pred_b[i])) {
            memset(out, 0, sizeof *out);
            cairn_error_set(err, CAIRN_EINVAL, "McNemar: row %zu has a NaN label or prediction", i);
            if (err) err->row = (int64_t)i;
            return CAIRN_EINVAL;
        }
        bool right_a = pred_a[i] == y[i], right_b = pred_b[i] == y[i];
        b += right_a && !right_b;
        c += !right_a && right_b;
    }
    return cairn_mcnemar_from_counts(b, c, out, err);
}

/* ------------------------------------------------------------------------------------------
 * Slices
 * ---------------------------------------------------------------------------------------- */

void cairn_slice_report_release(cairn_slice_report *r)
{
    cairn_free(r->metrics);
    cairn_free(r->rows);
    cairn_free(r->weight);
    cairn_free(r->positives);
    cairn_free(r->cells);
    memset(r, 0, sizeof *r);
}

static int slice_alloc(cairn_slice_report *r, size_t segments, size_t metrics)
{
    size_t rows = segments + 1;
    r->n_segments = segments;
    r->n_metrics = metrics;
    r->metrics = cairn_calloc(metrics ? metrics : 1, sizeof *r->metrics);
    r->rows = cairn_calloc(rows, sizeof *r->rows);
    r->weight = cairn_calloc(rows, sizeof *r->weight);
    r->positives = cairn_calloc(rows, sizeof *r->positives);
    r->cells = cairn_calloc(rows * (metrics ? metrics : 1), sizeof *r->cells);
    return r->metrics && r->rows && r->weight && r->positives && r->cells ? 0 : CAIRN_ENOMEM;
}

/* Copies the rows of one segment (rows[0..count)) into y, p, w buffers. */
static void gather(const cairn_metric_data *d, const size_t *rows, size_t count, double *y,
                   double *p, double *w)
{
    size_t width = d->k >= 2 ? d->k : 1;
    for (size_t i = 0; i < count; i++) {
        y[i] = d->y[rows[i]];
        memcpy(p + i * width, d->p + rows[i] * width, width * sizeof *p);
        w[i] = d->w ? d->w[rows[i]] : 1.0;
    }
}

static int slice_segment(cairn_slice_report *r, size_t s, const cairn_metric_data *seg,
                         const cairn_bootstrap_options *o, cairn_error *err)
{
    r->rows[s] = (int64_t)seg->n;
    for (size_t i = 0; i < seg->n; i++) {
        double wi = seg->w ? seg->w[i] : 1.0;
        r->weight[s] += wi;
        if (seg->y[i] == 1.0) r->positives[s] += wi;
    }
    for (size_t m = 0; m < r->n_metrics; m++) {
        int rc = cairn_bootstrap_ci(r->metrics[m], seg, o, &r->cells[s * r->n_metrics + m], err);
        if (rc && s == r->n_segments)
            cairn_error_prefix(err, "metric '%s', all rows: ", r->metrics[m]->name);
        else if (rc)
            cairn_error_prefix(err, "metric '%s', segment %zu: ", r->metrics[m]->name, s);
        if (rc) return rc;
    }
    return 0;
}

static int slices_run(cairn_slice_report *r, const cairn_metric_data *data, const int32_t *segment,
                      const cairn_bootstrap_options *o, cairn_error *err)
{
    size_t n = data->n, width = data->k >= 2 ? data->k : 1, segs = r->n_segments;
    size_t *start = cairn_calloc(segs + 2, sizeof *start),
           *rows = cairn_malloc((n ? n : 1) * sizeof *rows);
    double *buf = cairn_malloc((n ? n : 1) * (width + 2) * sizeof *buf);
    int rc = start && rows && buf ? 0 : cairn_error_set(err, CAIRN_ENOMEM, "slices: out of memory");
    for (size_t i = 0; !rc && i < n; i++)
        start[(size_t)segment[i] + 2]++;
    for (size_t s = 0; !rc && s < segs; s++)
        start[s + 2] += start[s + 1];
    for (size_t i = 0; !rc && i < n; i++)
        rows[start[(size_t)segment[i] + 1]++] = i;
    /* All rows first, so that an input error names a row of the caller's arrays. */
    for (size_t k = 0; !rc && k <= segs; k++) {
        size_t s = k == 0 ? segs : k - 1;
        cairn_metric_data seg = *data;
        seg.order = NULL;
        if (s < segs) {
            size_t count = start[s + 1] - start[s];
            double *y = buf, *w = buf + n, *p = buf + 2 * n;
            gather(data, rows + start[s], count, y, p, w);
            seg.y = y;
            seg.p = p;
            seg.w = w;
            seg.n = count;
        }
        rc = slice_segment(r, s, &seg, o, err);
    }
    cairn_free(start);
    cairn_free(rows);
    cairn_free(buf);
    return rc;
}

int cairn_slices_compute(const char *const *metric_names, size_t n_metrics,
                         const cairn_metric_data *data, const int32_t *segment, size_t n_segments,
                         const cairn_bootstrap_options *opts, cairn_slice_report *out,
                         cairn_error *err)
{
    memset(out, 0, sizeof *out);
    cairn_bootstrap_options o;
    if (opts)
        o = *opts;
    else
        cairn_bootstrap_options_init(&o);
    o.distribution = NULL;
    if (slice_alloc(out, n_segments, n_metrics)) {
        cairn_slice_report_release(out);
        return cairn_error_set(err, CAIRN_ENOMEM, "slices: out of memory");
    }
    int rc = 0;
    for (size_t m = 0; !rc && m < n_metrics; m++)
        rc = cairn_metric_lookup(metric_names[m], &out->metrics[m], err);
    for (size_t i = 0; !rc && i < data->n; i++)
        if (segment[i] < 0 || (size_t)segment[i] >= n_segments) {
            rc = cairn_error_set(err, CAIRN_EINVAL,
                                 "segment[%zu] = %d: a segment id must lie in 0..%zu", i,
                                 (int)segment[i], n_segments ? n_segments - 1 : 0);
            if (err) {
                err->row = (int64_t)i;
                cairn_error_field(err, "segment");
            }
        }
    if (!rc) rc = slices_run(out, data, segment, &o, err);
    if (rc) cairn_slice_report_release(out);
    return rc;
}
