/* src/train/linear.c: the two linear learners: "logistic" (liblinear 2.3) and "linear"
 * (ridge / ordinary least squares by Cholesky, written here).
 *
 * Both work on standardised features: z_j = (x_j - mean_j) / std_j with the mean and the
 * population deviation of the TRAINING rows only (a validation set never changes the model);
 * a missing value becomes z = 0, i.e. it is imputed with the training mean; a column that is
 * constant on the training rows keeps std 1 (and gets weight 0 from the linear learner). The
 * statistics go into the envelope header as "standardize"; the native bytes are JSON
 * {"coef": [[...] per group], "intercept": [...], "standardize": {"mean", "std"}}, the
 * coefficients in margin units of z (a copy of the statistics, so that the native JSON
 * stands alone; loading reads the header's).
 *
 * logistic. liblinear's L2R_LR (trust-region Newton on the primal; default) or L1R_LR
 * (coordinate descent), minimising ||w||^2 / 2 (or ||w||_1) + C sum_c f_c sum loss_i. The
 * intercept is liblinear's bias feature (value intercept_scaling, default 1) and is
 * regularised like any weight: 2.3 has no regularize_bias; this is also what scikit-learn's
 * LogisticRegression(solver='liblinear') does, so both agree. Defaults follow scikit-learn:
 * C 1, tol 1e-4. Multiclass is one-vs-rest, and probabilities are liblinear's: each class's
 * sigmoid divided by their sum. liblinear lists classes in the order it first meets them
 * (model->label), not sorted: the coefficients are read per label through
 * get_decfun_coef/get_decfun_bias and stored in class order. liblinear 2.3 has no per-row
 * weights: row weights must be constant within each class and, with class weights, become
 * per-class factors on C (weight_label/weight); anything else is CAIRN_EUNSUPPORTED. Its
 * printing is silenced (the hook is process-global). L1R_LR shuffles with the C library's
 * rand(): Cairn calls srand(seed) first, so concurrent L1 fits on several threads are not
 * reproducible. Rows are handed to liblinear as sparse nodes with zeros left out.
 *
 * linear. Minimises sum_i w_i (y_i - b - z_i . beta)^2 + alpha ||beta||^2 (alpha default 0:
 * ordinary least squares; the intercept is not penalised). The normal equations are summed
 * over fixed row blocks in parallel and reduced in block order (the same bits on any thread
 * count), then solved by Cholesky. A pivot below 1e-10 of its diagonal means the column is
 * (almost) a linear combination of the earlier ones: CAIRN_EINVAL naming it and suggesting
 * alpha > 0. Chosen over liblinear's L2R_L2LOSS_SVR, which penalises the intercept and solves
 * only approximately.
 *
 * SHAP for both: contribution_j = coef_j * z_j, the bias is the intercept (exact for a
 * linear margin with the training mean as the background).
 *
 * Tests: tests/unit/train/test_linear.c, tests/oracles/test_xgb_python.sh (the scikit-learn
 * comparison of logistic).
 */
#include <linear.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/learn_internal.h"

typedef struct lin_state {
    cairn__standardize st;
    int64_t groups;    /* rows of coef: multiclass K, else 1 */
    double *coef;      /* groups x k, in z units */
    double *intercept; /* groups */
} lin_state;

static const cairn__hp_key logistic_keys[] = {
    {"C", CAIRN__HP_NUM, 1e-300, 1e300, NULL},
    {"penalty", CAIRN__HP_STR, 0, 0, "l2|l1"},
    {"tol", CAIRN__HP_NUM, 1e-300, 1e300, NULL},
    {"fit_intercept", CAIRN__HP_BOOL, 0, 0, NULL},
    {"intercept_scaling", CAIRN__HP_NUM, 1e-300, 1e300, NULL},
    {NULL, 0, 0, 0, NULL},
};

static const cairn__hp_key linear_keys[] = {
    {"alpha", CAIRN__HP_NUM, 0, 1e300, NULL},
    {NULL, 0, 0, 0, NULL},
};

/* ------------------------------------------------------------------------------------------
 * Private helpers: state
 * ---------------------------------------------------------------------------------------- */

static void lin_free(void *state)
{
    lin_state *s = state;
    if (!s) return;
    cairn__standardize_release(&s->st);
    cairn_free(s->coef);
    cairn_free(s->intercept);
    cairn_free(s);
}

static lin_state *lin_new(int64_t groups, int64_t k)
{
    lin_state *s = cairn_calloc(1, sizeof *s);
    if (!s) return NULL;
    s->groups = groups;
    s->coef = cairn_calloc((size_t)(groups * k), sizeof(double));
    s->intercept = cairn_calloc((size_t)groups, sizeof(double));
    if (!s->coef || !s->intercept) {
        lin_free(s);
        return NULL;
    }
    return s;
}

static int64_t groups_of(const cairn_model *m)
{
    return m->objective == CAIRN_OBJECTIVE_MULTICLASS ? m->num_class : 1;
}

/* ------------------------------------------------------------------------------------------
 * logistic: liblinear
 * ---------------------------------------------------------------------------------------- */

static void quiet(const char *s)
{
    (void)s;
}

/* Per-class factors on C from class weights and row weights (constant within a class). */
static int class_factors(const cairn__fit *f, int num_class, double *factor, int64_t *count,
                         cairn_error *err)
{
    const cairn_learn_data *d = f->train;
    double *seen = cairn_malloc((size_t)num_class * sizeof *seen);
    if (!seen) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    for (int c = 0; c < num_class; c++)
        seen[c] = NAN, count[c] = 0;
    int rc = 0;
    for (int64_t i = 0; rc == 0 && i < d->x->rows; i++) {
        int c = (int)d->y[i];
        double w = d->weights ? d->weights[i] : 1.0;
        count[c]++;
        if (isnan(seen[c]))
            seen[c] = w;
        else if (seen[c] != w) {
            rc = cairn_error_set(err, CAIRN_EUNSUPPORTED,
                                 "logistic: liblinear 2.3 has no per-row weights; row %lld has "
                                 "weight %g where earlier rows of class %d have %g (use class "
                                 "weights, or xgboost)",
                                 (long long)i, w, c, seen[c]);
            if (err) err->row = i;
        }
    }
    for (int c = 0; rc == 0 && c < num_class; c++) {
        if (count[c] == 0)
            rc = cairn_error_set(err, CAIRN_EINVAL,
                                 "logistic: class %d has no training rows (every class of a "
                                 "%d-class model needs some)",
                                 c, num_class);
        factor[c] = (f->params->class_weights ? f->params->class_weights[c] : 1.0) * seen[c];
    }
    cairn_free(seen);
    return rc;
}

typedef struct ll_problem {
    struct problem prob;
    struct feature_node *nodes;
} ll_problem;

static void ll_problem_release(ll_problem *p)
{
    cairn_free(p->prob.y);
    cairn_free(p->prob.x);
    cairn_free(p->nodes);
    memset(p, 0, sizeof *p);
}

static int ll_problem_build(const cairn_learn_data *d, const cairn__standardize *st, double bias,
                            ll_problem *p)
{
    memset(p, 0, sizeof *p);
    int64_t n = d->x->rows, k = d->x->cols;
    p->prob.l = (int)n;
    p->prob.n = (int)k + (bias >= 0);
    p->prob.bias = bias;
    p->prob.y = cairn_malloc((size_t)n * sizeof(double));
    p->prob.x = cairn_malloc((size_t)n * sizeof(struct feature_node *));
    p->nodes = cairn_malloc((size_t)n * (size_t)(k + 2) * sizeof(struct feature_node));
    if (!p->prob.y || !p->prob.x || !p->nodes) {
        ll_problem_release(p);
        return CAIRN_ENOMEM;
    }
    struct feature_node *node = p->nodes;
    for (int64_t i = 0; i < n; i++) {
        p->prob.y[i] = d->y[i];
        p->prob.x[i] = node;
        const float *row = d->x->values + (size_t)i * (size_t)k;
        for (int64_t j = 0; j < k; j++) {
            double z = cairn__standardize_value(st, j, row[j]);
            if (z != 0) *node++ = (struct feature_node){(int)j + 1, z};
        }
        if (bias >= 0) *node++ = (struct feature_node){(int)k + 1, bias};
        *node++ = (struct feature_node){-1, 0};
    }
    return 0;
}

/* Reads liblinear's weights into class order. */
static int ll_extract(const struct model *ll, const cairn_model *m, lin_state *s, cairn_error *err)
{
    int64_t k = m->num_features;
    int nr = get_nr_class(ll);
    int *labels = cairn_malloc((size_t)nr * sizeof *labels);
    if (!labels) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    get_labels(ll, labels);
    for (int64_t g = 0; g < s->groups; g++) {
        /* binary: the group is the log-odds of class 1; multiclass: class g vs the rest. */
        int want = m->objective == CAIRN_OBJECTIVE_BINARY ? 1 : (int)g, at = -1;
        for (int j = 0; j < nr; j++)
            if (labels[j] == want) at = j;
        if (at < 0) {
            cairn_free(labels);
            return cairn_error_set(err, CAIRN_EINTERNAL, "liblinear lost class %d", want);
        }
        for (int64_t j = 0; j < k; j++)
            s->coef[g * k + j] = get_decfun_coef(ll, (int)j + 1, at);
        s->intercept[g] = ll->bias >= 0 ? get_decfun_bias(ll, at) : 0.0;
    }
    cairn_free(labels);
    return 0;
}

static int logistic_fit(cairn_model *m, const cairn__fit *f, cairn_error *err)
{
    int rc = cairn__hp_check(f->hyper, logistic_keys, "logistic", err);
    if (rc) return rc;
    set_print_string_function(quiet);
    int K = m->num_class;
    double *factor = cairn_malloc((size_t)K * sizeof *factor);
    int64_t *count = cairn_malloc((size_t)K * sizeof *count);
    int *labels = cairn_malloc((size_t)K * sizeof *labels);
    lin_state *s = lin_new(groups_of(m), m->num_features);
    if (!factor || !count || !labels || !s)
        rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    if (rc == 0) rc = class_factors(f, K, factor, count, err);
    if (rc == 0 && cairn__standardize_fit(f->train->x, &s->st))
        rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    double bias = cairn__hp_bool(f->hyper, "fit_intercept", true)
                      ? cairn__hp_num(f->hyper, "intercept_scaling", 1.0)
                      : -1.0;
    ll_problem p = {{0, 0, NULL, NULL, 0}, NULL};
    if (rc == 0 && ll_problem_build(f->train, &s->st, bias, &p))
        rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory for liblinear's copy of the data");
    bool l1 = strcmp(cairn__hp_str(f->hyper, "penalty", "l2"), "l1") == 0;
    bool weighted = false;
    for (int c = 0; rc == 0 && c < K; c++)
        labels[c] = c, weighted |= factor[c] != 1.0;
    struct parameter param = {
        .solver_type = l1 ? L1R_LR : L2R_LR,
        .eps = cairn__hp_num(f->hyper, "tol", 1e-4),
        .C = cairn__hp_num(f->hyper, "C", 1.0),
        .nr_weight = weighted ? K : 0,
        .weight_label = weighted ? labels : NULL,
        .weight = weighted ? factor : NULL,
        .p = 0.1,
        .init_sol = NULL,
    };
    const char *bad = rc == 0 ? check_parameter(&p.prob, &param) : NULL;
    if (bad) rc = cairn_error_set(err, CAIRN_EINVAL, "liblinear: %s", bad);
    struct model *ll = NULL;
    if (rc == 0) {
        if (l1) srand((unsigned)f->params->seed);
        ll = train(&p.prob, &param);
        if (!ll) rc = cairn_error_set(err, CAIRN_ENOMEM, "liblinear failed to train");
    }
    if (rc == 0) rc = ll_extract(ll, m, s, err);
    if (ll) free_and_destroy_model(&ll);
    ll_problem_release(&p);
    cairn_free(factor);
    cairn_free(count);
    cairn_free(labels);
    if (rc) {
        lin_free(s);
        return rc;
    }
    m->state = s;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * linear: the normal equations and Cholesky
 * ---------------------------------------------------------------------------------------- */

typedef struct normal_job {
    const cairn_learn_data *d;
    const lin_state *s;
    const int64_t *active; /* p - 1 active column indices */
    int64_t p;             /* 1 + active columns */
    size_t nblocks;
    double *sums; /* per block: p*p matrix then p rhs */
} normal_job;

static void normal_block(void *arg, size_t b)
{
    normal_job *job = arg;
    int64_t begin, end, p = job->p, k = job->d->x->cols;
    cairn__block_range(job->d->x->rows, job->nblocks, b, &begin, &end);
    double *a = job->sums + b * (size_t)(p * p + p), *rhs = a + p * p;
    double *row = cairn_malloc((size_t)p * sizeof *row);
    if (!row) {
        a[0] = NAN; /* reported by the caller */
        return;
    }
    for (int64_t i = begin; i < end; i++) {
        const float *x = job->d->x->values + (size_t)i * (size_t)k;
        double w = job->d->weights ? job->d->weights[i] : 1.0, y = job->d->y[i];
        row[0] = 1.0;
        for (int64_t c = 1; c < p; c++)
            row[c] =
                cairn__standardize_value(&job->s->st, job->active[c - 1], x[job->active[c - 1]]);
        for (int64_t r = 0; r < p; r++) {
            double wr = w * row[r];
            rhs[r] += wr * y;
            for (int64_t c = 0; c <= r; c++)
                a[r * p + c] += wr * row[c];
        }
    }
    cairn_free(row);
}

/* Cholesky of the lower triangle of a (p x p) in place; returns the failing pivot or -1. */
static int64_t cholesky(double *a, int64_t p)
{
    for (int64_t j = 0; j < p; j++) {
        double diag = a[j * p + j], d = diag;
        for (int64_t t = 0; t < j; t++)
            d -= a[j * p + t] * a[j * p + t];
        if (!(d > 1e-10 * diag) || !(diag > 0)) return j;
        double l = sqrt(d);
        a[j * p + j] = l;
        for (int64_t i = j + 1; i < p; i++) {
            double v = a[i * p + j];
            for (int64_t t = 0; t < j; t++)
                v -= a[i * p + t] * a[j * p + t];
            a[i * p + j] = v / l;
        }
    }
    return -1;
}

static void cholesky_solve(const double *l, int64_t p, double *x)
{
    for (int64_t i = 0; i < p; i++) {
        for (int64_t t = 0; t < i; t++)
            x[i] -= l[i * p + t] * x[t];
        x[i] /= l[i * p + i];
    }
    for (int64_t i = p - 1; i >= 0; i--) {
        for (int64_t t = i + 1; t < p; t++)
            x[i] -= l[t * p + i] * x[t];
        x[i] /= l[i * p + i];
    }
}

static int solve_normal(cairn_model *m, const cairn__fit *f, lin_state *s, const int64_t *active,
                        int64_t p, cairn_error *err)
{
    normal_job job = {f->train, s, active, p, cairn__blocks(f->train->x->rows, 4096, 64), NULL};
    size_t per = (size_t)(p * p + p);
    job.sums = cairn_calloc(job.nblocks * per, sizeof(double));
    if (!job.sums) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    cairn__parallel(f->threads, job.nblocks, normal_block, &job);
    double *a = job.sums; /* block 0 accumulates the rest, in block order */
    bool ok = !isnan(a[0]);
    for (size_t b = 1; b < job.nblocks; b++) {
        ok &= !isnan(job.sums[b * per]);
        for (size_t i = 0; i < per; i++)
            a[i] += job.sums[b * per + i];
    }
    if (!ok) {
        cairn_free(job.sums);
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    }
    double alpha = cairn__hp_num(f->hyper, "alpha", 0.0);
    for (int64_t j = 1; j < p; j++)
        a[j * p + j] += alpha;
    double *x = a + p * p;
    int64_t bad = cholesky(a, p);
    int rc = 0;
    if (bad == 0)
        rc = cairn_error_set(err, CAIRN_EINVAL, "linear: the row weights sum to 0");
    else if (bad > 0) {
        const char *name = m->names[active[bad - 1]];
        rc = cairn_error_set(err, CAIRN_EINVAL,
                             "linear: column '%s' is (almost) a linear combination of the "
                             "columns before it; drop it or set hyper-parameter alpha > 0",
                             name);
        cairn_error_field(err, name);
    } else {
        cholesky_solve(a, p, x);
        s->intercept[0] = x[0];
        for (int64_t c = 1; c < p; c++)
            s->coef[active[c - 1]] = x[c];
    }
    cairn_free(job.sums);
    return rc;
}

static int linear_fit(cairn_model *m, const cairn__fit *f, cairn_error *err)
{
    int rc = cairn__hp_check(f->hyper, linear_keys, "linear", err);
    if (rc) return rc;
    int64_t k = m->num_features;
    lin_state *s = lin_new(1, k);
    int64_t *active = cairn_malloc((size_t)k * sizeof *active);
    if (!s || !active || cairn__standardize_fit(f->train->x, &s->st))
        rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    int64_t p = 1;
    for (int64_t j = 0; rc == 0 && j < k; j++)
        if (!s->st.constant[j]) active[p++ - 1] = j;
    if (rc == 0) rc = solve_normal(m, f, s, active, p, err);
    cairn_free(active);
    if (rc) {
        lin_free(s);
        return rc;
    }
    m->state = s;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Predict, save, load (both learners)
 * ---------------------------------------------------------------------------------------- */

static int lin_predict(const cairn_model *m, const cairn_matrix *x, cairn_predict_kind kind,
                       double *out, cairn_error *err)
{
    const lin_state *s = m->state;
    int64_t k = m->num_features, G = s->groups;
    bool logistic = m->learner == &cairn__learner_logistic;
    double *z = cairn_malloc((size_t)k * sizeof *z);
    if (!z) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    for (int64_t i = 0; i < x->rows; i++) {
        const float *row = x->values + (size_t)i * (size_t)k;
        for (int64_t j = 0; j < k; j++)
            z[j] = cairn__standardize_value(&s->st, j, row[j]);
        if (kind == CAIRN_PREDICT_SHAP) {
            double *o = out + (size_t)i * (size_t)(G * (k + 1));
            for (int64_t g = 0; g < G; g++) {
                for (int64_t j = 0; j < k; j++)
                    o[g * (k + 1) + j] = s->coef[g * k + j] * z[j];
                o[g * (k + 1) + k] = s->intercept[g];
            }
            continue;
        }
        double *o = out + (size_t)i * (size_t)G, total = 0;
        for (int64_t g = 0; g < G; g++) {
            double margin = s->intercept[g];
            for (int64_t j = 0; j < k; j++)
                margin += s->coef[g * k + j] * z[j];
            o[g] = margin;
            if (kind == CAIRN_PREDICT_VALUE && logistic) total += o[g] = 1.0 / (1.0 + exp(-margin));
        }
        if (kind == CAIRN_PREDICT_VALUE && logistic && G > 1)
            for (int64_t g = 0; g < G; g++)
                o[g] /= total;
    }
    cairn_free(z);
    return 0;
}

static int lin_save(const cairn_model *m, json_t *header, cairn_buf *native, cairn_error *err)
{
    const lin_state *s = m->state;
    int64_t k = m->num_features;
    json_t *o = json_object(), *coef = json_array();
    if (!o || !coef) {
        json_decref(o);
        json_decref(coef);
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory writing the model");
    }
    int bad = json_object_set_new(o, "coef", coef);
    for (int64_t g = 0; !bad && g < s->groups; g++)
        bad = json_array_append_new(coef, cairn__json_doubles(s->coef + g * k, (size_t)k));
    if (!bad)
        bad = json_object_set_new(o, "intercept",
                                  cairn__json_doubles(s->intercept, (size_t)s->groups));
    /* The native JSON stands alone (mean and std, as in the header, which is what loads). */
    if (!bad) bad = cairn__standardize_put(&s->st, o, "standardize");
    if (!bad) bad = cairn__standardize_put(&s->st, header, "standardize");
    if (!bad) bad = cairn_json_dump(o, 0, native);
    json_decref(o);
    return bad ? cairn_error_set(err, CAIRN_ENOMEM, "out of memory writing the model") : 0;
}

static int lin_load(cairn_model *m, const json_t *header, const char *native, size_t len,
                    cairn_error *err)
{
    int64_t k = m->num_features, G = groups_of(m);
    if ((m->learner == &cairn__learner_logistic) != (m->objective != CAIRN_OBJECTIVE_REGRESSION))
        return cairn_error_set(err, CAIRN_ECORRUPT, "model header: wrong objective");
    lin_state *s = lin_new(G, k);
    if (!s) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    json_t *o = NULL;
    int rc = cairn__standardize_get(header, "standardize", k, &s->st, err);
    if (rc == 0 && (rc = cairn_json_parse(native, len, "model", &o, err)) && rc != CAIRN_ENOMEM)
        rc = cairn_error_set(err, CAIRN_ECORRUPT, "model bytes: not JSON");
    const json_t *coef = json_object_get(o, "coef");
    bool ok = rc == 0 && json_is_array(coef) && json_array_size(coef) == (size_t)G &&
              cairn__json_read_doubles(json_object_get(o, "intercept"), s->intercept, (size_t)G);
    for (int64_t g = 0; ok && g < G; g++)
        ok = cairn__json_read_doubles(json_array_get(coef, (size_t)g), s->coef + g * k, (size_t)k);
    if (rc == 0 && !ok)
        rc = cairn_error_set(err, CAIRN_ECORRUPT, "model bytes: malformed coefficients");
    json_decref(o);
    if (rc) {
        lin_free(s);
        return rc;
    }
    m->state = s;
    return 0;
}

const cairn__learner cairn__learner_logistic = {
    .name = "logistic",
    .objectives = (1u << CAIRN_OBJECTIVE_BINARY) | (1u << CAIRN_OBJECTIVE_MULTICLASS),
    .native_format = "json",
    .fit = logistic_fit,
    .predict = lin_predict,
    .save = lin_save,
    .load = lin_load,
    .free_state = lin_free,
};

const cairn__learner cairn__learner_linear = {
    .name = "linear",
    .objectives = 1u << CAIRN_OBJECTIVE_REGRESSION,
    .native_format = "json",
    .fit = linear_fit,
    .predict = lin_predict,
    .save = lin_save,
    .load = lin_load,
    .free_state = lin_free,
};
