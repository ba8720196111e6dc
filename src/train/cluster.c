/* src/train/cluster.c: `cairn train` for `task: clustering` (cairn__train_clustering, called
 * by cairn_train in src/train/train.c; declared in src/train/train_internal.h).
 *
 * A clustering job has no label to learn, so it has no baseline, gate, calibration or
 * threshold. What it has:
 *   1. the data, prepared as for supervised tasks (src/train/prepare.c: training set, split
 *      into train / validation / test, encoders fitted on training rows, one float matrix per
 *      part); without a label every row counts and the split ignores labels;
 *   2. the clustering space: k-means is distance-based and the kmeans learner uses features
 *      as given, so each column is standardised with the training rows' mean and population
 *      standard deviation (a constant column is divided by 1); a missing value becomes the
 *      training mean (0 once standardised). `params: {standardize: false}` keeps the units.
 *      Every learner of the job must agree, so that their metrics are measured in one space;
 *   3. every parameter set tried (a learner's params, or each trial of its search merged over
 *      them, `k` standing for the learner's n_clusters; a set already tried by the same
 *      learner is not fitted again) is fitted on the training rows under its own child run,
 *      then scored on the validation part: silhouette (on a seeded sample of at most
 *      CAIRN_SILHOUETTE_SAMPLE_DEFAULT rows), Davies-Bouldin, Calinski-Harabasz and inertia
 *      (include/cairn/metrics.h), all in the clustering space;
 *   4. the best by the selection metric (`select`, default silhouette) on validation is
 *      scored on the test part; its test metrics go on the job run, with the model bundle
 *      (model/model.cairn, model/bundle.json with the features, encoders and the
 *      standardisation a caller must apply), the test rows' clusters (predictions/test.csv:
 *      the 0-based row of the training set, the cluster) and the report.
 * Re-running: the job run is keyed by the configuration's bytes and the training set, as in
 * train.c; an unfinished one is picked up, and a child run that finished before is read back
 * (its model artifact) instead of refitted. Everything is deterministic in the seed.
 *
 * Tests: tests/integration/test_train_cluster_cli.sh (end to end, silhouette against
 * scikit-learn); the metrics: tests/unit/train/test_cluster_metrics.c and
 * tests/oracles/test_cluster_sklearn.sh.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cairn/runs.h"
#include "cairn/search.h"
#include "train/train_internal.h"

static int oom(cairn_error *err) { return cairn_error_set(err, CAIRN_ENOMEM, "out of memory"); }

/* One parameter set tried: a leaderboard entry and its child run. */
typedef struct trial {
    const cairn_train_learner *l;
    int64_t number;                  /* the search trial; -1 without a search */
    char name[160];
    char run_id[CAIRN_RUN_ID_LEN + 1];
    json_t *params;                  /* as reported: `k` for n_clusters (owned) */
    cairn_model *model;
    int64_t k;
    double *centroids;               /* k x d in the clustering space (owned) */
    int64_t *sizes[CAIRN_PART_COUNT];/* rows per cluster in each part scored (owned) */
    cairn_cluster_metrics valid, test;
    bool read_back;
} trial;

typedef struct cjob {
    cairn_trainer t;
    const cairn_train_options *opts;
    char run_id[CAIRN_RUN_ID_LEN + 1];
    const char *select;              /* a clustering metric */
    bool select_hib, standardize;
    size_t d;                        /* features */
    double *mean, *scale;            /* d: training means, and the divisor (std or 1) */
    double *z[CAIRN_PART_COUNT];     /* rows x d doubles: the clustering space */
    cairn_matrix zf[CAIRN_PART_COUNT]; /* the same in float32: what the learner sees */
    trial *trials;
    size_t ntrials, cap;
    size_t repeated;                 /* sampled parameter sets already tried */
    json_t *report;
    struct timespec wall0;
    double cpu0;
} cjob;

static const char *const metric_names[] = {"silhouette", "davies_bouldin", "calinski_harabasz", "inertia"};
#define NMETRICS (sizeof metric_names / sizeof metric_names[0])

#define cpu_seconds cairn__train_cpu_seconds

#define say(j, ...) cairn__train_say((j)->opts, __VA_ARGS__)

static int note(cjob *j, const char *fmt, ...) CAIRN_PRINTF(2, 3);
static int note(cjob *j, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return json_array_append_new(j->t.notes, json_string(line)) ? oom(j->t.err) : 0;
}

static json_t *real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static int log_param(cjob *j, const char *run, const char *key, const char *value)
{
    return cairn_run_log_param(j->t.home, run, key, value ? value : "", j->t.err);
}

static int log_metric(cjob *j, const char *run, const char *key, double v)
{
    return cairn_run_log_metric(j->t.home, run, key, v, 0, cairn_now_us() / 1000, j->t.err);
}

/* ------------------------------------------------------------------------------------------
 * Checking the configuration (before any data is read)
 * ---------------------------------------------------------------------------------------- */

/* Every learner is kmeans and agrees on `standardize`; `select` is a clustering metric. */
static int check_config(cjob *j)
{
    const cairn_train_config *cfg = j->t.cfg;
    cairn_error *err = j->t.err;
    j->standardize = true;
    bool first = true;
    for (size_t i = 0; i < cfg->nlearners; i++) {
        const cairn_train_learner *l = &cfg->learners[i];
        if (strcmp(l->learner, "kmeans")) {
            cairn_error_set(err, CAIRN_EINVAL, "%s: learner '%s' is %s: a clustering task takes only the kmeans "
                            "learner", cfg->path, l->name, l->learner);
            cairn_error_field(err, "learner");
            return CAIRN_EINVAL;
        }
        const json_t *s = json_object_get(l->params, "standardize");
        if (s && !json_is_boolean(s))
            return cairn_error_set(err, CAIRN_EINVAL, "%s: learner '%s': params.standardize must be true or false",
                                   cfg->path, l->name);
        bool standardize = !s || json_is_true(s);
        if (!first && standardize != j->standardize)
            return cairn_error_set(err, CAIRN_EINVAL, "%s: learner '%s': params.standardize differs from the learners "
                                   "before it; their metrics must be measured in one space", cfg->path, l->name);
        j->standardize = standardize;
        first = false;
        if (l->has_search && json_object_get(l->search.space, "standardize"))
            return cairn_error_set(err, CAIRN_EINVAL, "%s: learner '%s': standardize cannot be searched", cfg->path,
                                   l->name);
    }
    /* the parser defaults `select` to silhouette and refuses a supervised metric */
    j->select = cfg->select_metric ? cfg->select_metric : "silhouette";
    if (!cairn_cluster_metric_find(j->select, &j->select_hib))
        return cairn_error_set(err, CAIRN_EINVAL, "%s: select: '%s' is not a clustering metric (silhouette, "
                               "davies_bouldin, calinski_harabasz, inertia)", cfg->path, j->select);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * The clustering space
 * ---------------------------------------------------------------------------------------- */

/* Training means and population standard deviations, NaN skipped (as the linear learners'). */
static int fit_scaling(cjob *j)
{
    const cairn_matrix *x = &j->t.x[CAIRN_PART_TRAIN];
    size_t d = j->d;
    int64_t *count = cairn_calloc(d, sizeof *count);
    j->mean = cairn_calloc(d, sizeof *j->mean);
    j->scale = cairn_calloc(d, sizeof *j->scale);
    if (!count || !j->mean || !j->scale) {
        cairn_free(count);
        return oom(j->t.err);
    }
    for (int64_t i = 0; i < x->rows; i++)
        for (size_t c = 0; c < d; c++) {
            float v = x->values[(size_t)i * d + c];
            if (v == v) j->mean[c] += v, count[c]++;
        }
    for (size_t c = 0; c < d; c++) j->mean[c] = count[c] ? j->mean[c] / (double)count[c] : 0;
    for (int64_t i = 0; i < x->rows; i++)
        for (size_t c = 0; c < d; c++) {
            float v = x->values[(size_t)i * d + c];
            if (v == v) j->scale[c] += ((double)v - j->mean[c]) * ((double)v - j->mean[c]);
        }
    for (size_t c = 0; c < d; c++) {
        j->scale[c] = count[c] ? sqrt(j->scale[c] / (double)count[c]) : 0;
        if (!(j->scale[c] > 0)) j->scale[c] = 1;
    }
    cairn_free(count);
    return 0;
}

/* The value a feature has in the clustering space. */
static double space_value(const cjob *j, size_t c, float v)
{
    if (v != v) return j->standardize ? 0 : j->mean[c];
    return j->standardize ? ((double)v - j->mean[c]) / j->scale[c] : (double)v;
}

static int build_space(cjob *j)
{
    int rc = fit_scaling(j);
    for (int p = 0; rc == 0 && p < CAIRN_PART_COUNT; p++) {
        const cairn_matrix *x = &j->t.x[p];
        if (!j->t.nrows[p]) continue;
        size_t cells = (size_t)x->rows * j->d;
        if (!(j->z[p] = cairn_malloc(cells * sizeof *j->z[p])) ||
            cairn_matrix_init(&j->zf[p], x->rows, x->cols, (const char *const *)x->names))
            return oom(j->t.err);
        for (size_t i = 0; i < cells; i++) {
            j->z[p][i] = space_value(j, i % j->d, x->values[i]);
            j->zf[p].values[i] = (float)j->z[p][i];
        }
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Runs
 * ---------------------------------------------------------------------------------------- */

/* The trial's child run: *done when one finished before (read it back), else a new one
 * (an unfinished one left by a dead process is marked killed). */
static int child_run(cjob *j, trial *tr, const char *trial_key, bool *done)
{
    cairn_run_status status = CAIRN_RUN_RUNNING;
    int rc = cairn_run_find_child(j->t.home, j->run_id, CAIRN_RUN_TRIAL_TAG, trial_key, tr->run_id, &status,
                                  j->t.err);
    if (rc == CAIRN_ENOTFOUND) {
        cairn_error_clear(j->t.err);
        tr->run_id[0] = 0;
        rc = 0;
    }
    *done = rc == 0 && tr->run_id[0] && status == CAIRN_RUN_FINISHED;
    if (rc || *done) return rc;
    if (tr->run_id[0] && status == CAIRN_RUN_RUNNING) rc = cairn_run_end(j->t.home, tr->run_id, CAIRN_RUN_KILLED, j->t.err);
    cairn_run_kv tag = {CAIRN_RUN_TRIAL_TAG, trial_key};
    cairn_run_options o = {.experiment = j->t.cfg->experiment, .name = tr->name, .parent_id = j->run_id,
                           .source = j->opts->source, .tags = &tag, .ntags = 1};
    if (rc == 0) rc = cairn_run_create(j->t.home, &o, tr->run_id, j->t.err);
    return rc;
}

static int save_artifact(cjob *j, const char *run, const char *path, const cairn_buf *b)
{
    char obj[65];
    return cairn_run_log_artifact(j->t.home, run, path, b->data ? b->data : "", b->len, obj, j->t.err);
}

static int log_trial_params(cjob *j, const trial *tr)
{
    int rc = log_param(j, tr->run_id, "learner", tr->l->learner);
    const char *k;
    json_t *v;
    json_object_foreach(tr->params, k, v)
    {
        cairn_buf b;
        cairn_buf_init(&b, 0);
        if (rc == 0 && cairn_json_dump(v, 0, &b)) rc = oom(j->t.err);
        if (rc == 0) rc = log_param(j, tr->run_id, k, json_is_string(v) ? json_string_value(v) : b.data);
        cairn_buf_release(&b);
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * One parameter set: fit (or read back), predict, score
 * ---------------------------------------------------------------------------------------- */

/* The params as reported (`k`, never n_clusters; no standardize) and as the learner takes
 * them (n_clusters). Both new. */
static int normalise_params(cjob *j, const cairn_train_learner *l, const json_t *raw, json_t **user, json_t **hyper)
{
    *user = json_deep_copy(raw);
    *hyper = NULL;
    if (!*user) return oom(j->t.err);
    json_object_del(*user, "standardize");
    json_t *k = json_object_get(*user, "k"), *nc = json_object_get(*user, "n_clusters");
    if (k && nc) {
        json_decref(*user);
        *user = NULL;
        return cairn_error_set(j->t.err, CAIRN_EINVAL, "%s: learner '%s': give k or n_clusters, not both",
                               j->t.cfg->path, l->name);
    }
    if (k || nc) { /* reported as k, first */
        json_t *copy = json_object();
        if (!copy || json_object_set(copy, "k", k ? k : nc) || json_object_update(copy, *user)) {
            json_decref(copy);
            json_decref(*user);
            *user = NULL;
            return oom(j->t.err);
        }
        json_object_del(copy, "n_clusters");
        json_decref(*user);
        *user = copy;
    }
    *hyper = json_deep_copy(*user);
    if (!*hyper) return oom(j->t.err);
    if ((k = json_object_get(*hyper, "k"))) {
        json_object_set(*hyper, "n_clusters", k);
        json_object_del(*hyper, "k");
    }
    return 0;
}

/* Each row's cluster (predict's first column). */
static int assign(cjob *j, const trial *tr, int part, int32_t **out)
{
    double *pred = NULL;
    int64_t cols = 0;
    int rc = cairn_model_predict(tr->model, &j->zf[part], CAIRN_PREDICT_VALUE, &pred, &cols, j->t.err);
    int64_t n = j->t.nrows[part];
    int32_t *labels = rc == 0 ? cairn_malloc((size_t)(n ? n : 1) * sizeof *labels) : NULL;
    if (rc == 0 && !labels) rc = oom(j->t.err);
    for (int64_t i = 0; rc == 0 && i < n; i++) labels[i] = (int32_t)pred[i * cols];
    cairn_free(pred);
    *out = rc == 0 ? labels : NULL;
    if (rc) cairn_free(labels);
    return rc;
}

/* The centres of a fitted model (its native JSON), k x d. */
static int read_centroids(cjob *j, trial *tr)
{
    cairn_model_info info;
    cairn_model_info_get(tr->model, &info);
    tr->k = info.num_class;
    cairn_buf b;
    cairn_buf_init(&b, 0);
    json_t *o = NULL;
    int rc = cairn_model_native(tr->model, &b, NULL, j->t.err);
    if (rc == 0) rc = cairn_json_parse(b.data, b.len, "kmeans model", &o, j->t.err);
    cairn_buf_release(&b);
    const json_t *cs = json_object_get(o, "centroids");
    if (rc == 0 && !(tr->centroids = cairn_calloc((size_t)tr->k * j->d, sizeof *tr->centroids))) rc = oom(j->t.err);
    if (rc == 0 && json_array_size(cs) != (size_t)tr->k)
        rc = cairn_error_set(j->t.err, CAIRN_EINTERNAL, "kmeans model: %zu centroids for k = %lld", json_array_size(cs),
                             (long long)tr->k);
    for (size_t c = 0; rc == 0 && c < (size_t)tr->k; c++)
        for (size_t f = 0; f < j->d; f++)
            tr->centroids[c * j->d + f] = json_number_value(json_array_get(json_array_get(cs, c), f));
    json_decref(o);
    return rc;
}

/* Cluster sizes on a part, and (validation, test) the metrics there. */
static int score_part(cjob *j, trial *tr, int part, cairn_cluster_metrics *m)
{
    int32_t *labels = NULL;
    int rc = assign(j, tr, part, &labels);
    int64_t n = j->t.nrows[part];
    if (rc == 0 && !(tr->sizes[part] = cairn_calloc((size_t)tr->k, sizeof *tr->sizes[part]))) rc = oom(j->t.err);
    for (int64_t i = 0; rc == 0 && i < n; i++) tr->sizes[part][labels[i]]++;
    if (rc == 0 && m)
        rc = cairn_cluster_metrics_compute(j->z[part], (size_t)n, j->d, labels, tr->centroids, (size_t)tr->k,
                                           CAIRN_SILHOUETTE_SAMPLE_DEFAULT, j->t.cfg->seed, m, j->t.err);
    cairn_free(labels);
    return rc;
}

static int fit(cjob *j, trial *tr, const json_t *hyper)
{
    cairn_buf text;
    cairn_buf_init(&text, 0);
    if (cairn_json_dump(hyper, 0, &text)) return oom(j->t.err);
    cairn_learner_params lp;
    double cw[2];
    cairn__train_learner_params(&j->t, tr->l, text.data, &lp, cw);
    lp.progress = j->opts->progress;
    lp.progress_ud = j->opts->progress_ud;
    cairn_learn_data train = {&j->zf[CAIRN_PART_TRAIN], NULL, NULL};
    int rc = cairn_model_fit(&train, NULL, &lp, &tr->model, j->t.err);
    if (rc) cairn_error_prefix(j->t.err, "learner '%s': ", tr->l->name);
    cairn_buf_release(&text);
    return rc;
}

static int read_back(cjob *j, trial *tr)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    int rc = cairn_run_artifact_get(j->t.home, tr->run_id, "model/model.cairn", &b, j->t.err);
    if (rc == 0) rc = cairn_model_load(b.data, b.len, &tr->model, j->t.err);
    cairn_buf_release(&b);
    tr->read_back = true;
    return rc;
}

/* Fits (or reads back) one parameter set under its child run and scores it on validation. */
static int run_trial(cjob *j, trial *tr, const json_t *hyper)
{
    char key[256];
    if (tr->number < 0) snprintf(key, sizeof key, "cluster:%s", tr->l->name);
    else snprintf(key, sizeof key, "cluster:%s:%lld", tr->l->name, (long long)tr->number);
    bool done = false;
    int rc = child_run(j, tr, key, &done);
    if (rc == 0 && done) rc = read_back(j, tr);
    if (rc == 0 && !done) rc = log_trial_params(j, tr);
    if (rc == 0 && !done) rc = fit(j, tr, hyper);
    if (rc == 0) rc = read_centroids(j, tr);
    if (rc == 0) rc = score_part(j, tr, CAIRN_PART_TRAIN, NULL);
    if (rc == 0) rc = score_part(j, tr, CAIRN_PART_VALID, &tr->valid);
    if (rc == 0 && !done) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)tr->k);
        rc = json_object_get(tr->params, "k") ? 0 : log_param(j, tr->run_id, "k", buf); /* the learner's default */
        for (size_t m = 0; rc == 0 && m < NMETRICS; m++) {
            char mk[64];
            snprintf(mk, sizeof mk, "valid_%s", metric_names[m]);
            rc = log_metric(j, tr->run_id, mk, cairn_cluster_metric_value(&tr->valid, metric_names[m]));
        }
        cairn_buf b;
        cairn_buf_init(&b, 0);
        if (rc == 0) rc = cairn_model_save(tr->model, &b, j->t.err);
        if (rc == 0) rc = save_artifact(j, tr->run_id, "model/model.cairn", &b);
        cairn_buf_release(&b);
        if (rc == 0) rc = cairn_run_end(j->t.home, tr->run_id, CAIRN_RUN_FINISHED, j->t.err);
    }
    if (rc && tr->run_id[0] && !done) cairn_run_end(j->t.home, tr->run_id, CAIRN_RUN_FAILED, NULL);
    if (rc == 0)
        say(j, "  %s: valid silhouette %.4f, davies_bouldin %.4f, calinski_harabasz %.1f, inertia %.1f%s", tr->name,
            tr->valid.silhouette, tr->valid.davies_bouldin, tr->valid.calinski_harabasz, tr->valid.inertia,
            tr->read_back ? " (finished before: read back)" : "");
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * The parameter sets of each learner
 * ---------------------------------------------------------------------------------------- */

/* Adds a trial for params `raw` of learner l (skipped when l tried the same set already). */
static int try_params(cjob *j, const cairn_train_learner *l, int64_t number, const json_t *raw)
{
    json_t *user = NULL, *hyper = NULL;
    int rc = normalise_params(j, l, raw, &user, &hyper);
    for (size_t i = 0; rc == 0 && i < j->ntrials; i++)
        if (j->trials[i].l == l && json_equal(j->trials[i].params, user)) {
            j->repeated++;
            json_decref(user);
            json_decref(hyper);
            return 0;
        }
    if (rc == 0 && cairn_grow((void **)&j->trials, &j->cap, j->ntrials + 1, sizeof *j->trials)) rc = oom(j->t.err);
    if (rc) {
        json_decref(user);
        json_decref(hyper);
        return rc;
    }
    trial *tr = &j->trials[j->ntrials++];
    memset(tr, 0, sizeof *tr);
    tr->l = l;
    tr->number = number;
    tr->params = user;
    const json_t *k = json_object_get(user, "k");
    int len = k ? snprintf(tr->name, sizeof tr->name, "%s k=%g", l->name, json_number_value(k))
                : snprintf(tr->name, sizeof tr->name, "%s", l->name);
    for (size_t i = 0; i + 1 < j->ntrials; i++) /* same k, other parameters: tell them apart */
        if (!strcmp(j->trials[i].name, tr->name) && len > 0)
            snprintf(tr->name + len, sizeof tr->name - (size_t)len, " #%lld", (long long)number);
    rc = run_trial(j, tr, hyper);
    json_decref(hyper);
    return rc;
}

/* Merges b's keys into a copy of a. */
static json_t *merged(const json_t *a, const json_t *b)
{
    json_t *m = json_deep_copy(a);
    if (m && b && json_object_update(m, (json_t *)b)) {
        json_decref(m);
        return NULL;
    }
    return m;
}

static int search(cjob *j, const cairn_train_learner *l)
{
    const char *path = j->t.cfg->path;
    cairn_search_space *space = NULL;
    cairn_sampler sampler = CAIRN_SAMPLER_RANDOM;
    int rc = cairn_search_space_parse(l->search.space, &space, j->t.err);
    if (rc) return cairn_error_prefix(j->t.err, "%s: learner '%s': search space: ", path, l->name), rc;
    if (cairn_sampler_parse(l->search.sampler, &sampler))
        rc = cairn_error_set(j->t.err, CAIRN_EINVAL, "%s: learner '%s': unknown sampler '%s'", path, l->name,
                             l->search.sampler);
    int64_t trials = l->search.trials;
    if (rc == 0 && sampler == CAIRN_SAMPLER_GRID) {
        int64_t g = 0;
        rc = cairn_search_grid_size(space, &g, j->t.err);
        if (rc == 0 && (trials == 0 || trials > g)) trials = g;
    }
    for (int64_t i = 0; rc == 0 && i < trials; i++) {
        cairn_buf pj;
        cairn_buf_init(&pj, 0);
        json_t *sampled = NULL, *params = NULL;
        rc = cairn_search_trial_params(space, sampler, j->t.cfg->seed, i, &pj, j->t.err);
        if (rc == 0) rc = cairn_json_parse(pj.data, pj.len, "trial parameters", &sampled, j->t.err);
        if (rc == 0 && !(params = merged(l->params, sampled))) rc = oom(j->t.err);
        if (rc == 0) rc = try_params(j, l, i, params);
        json_decref(sampled);
        json_decref(params);
        cairn_buf_release(&pj);
    }
    cairn_search_space_free(space);
    return rc;
}

/* The best trial by the selection metric on validation (NaN never wins). */
static trial *best_trial(cjob *j)
{
    trial *best = NULL;
    for (size_t i = 0; i < j->ntrials; i++) {
        trial *tr = &j->trials[i];
        double v = cairn_cluster_metric_value(&tr->valid, j->select);
        double b = best ? cairn_cluster_metric_value(&best->valid, j->select) : NAN;
        if (isnan(v)) continue;
        if (!best || (j->select_hib ? v > b : v < b)) best = tr;
    }
    return best;
}

/* ------------------------------------------------------------------------------------------
 * The report and the artifacts of the chosen model
 * ---------------------------------------------------------------------------------------- */

static json_t *metrics_json(const cairn_cluster_metrics *m)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < NMETRICS; i++)
        json_object_set_new(o, metric_names[i], real_or_null(cairn_cluster_metric_value(m, metric_names[i])));
    return o;
}

/* A centre in the features' own units. */
static double original_units(const cjob *j, size_t f, double v)
{
    return j->standardize ? v * j->scale[f] + j->mean[f] : v;
}

/* How far a centre lies from the training mean, in training standard deviations. */
static double z_of(const cjob *j, size_t f, double v)
{
    return j->standardize ? v : (v - j->mean[f]) / j->scale[f];
}

/* One cluster: sizes, and its centre on the features that set it apart most (largest |z|). */
static json_t *cluster_json(const cjob *j, const trial *tr, int64_t c)
{
    const double *centre = tr->centroids + (size_t)c * j->d;
    size_t top = j->t.cfg->top_features > 0 && (size_t)j->t.cfg->top_features < j->d ? (size_t)j->t.cfg->top_features
                                                                                       : j->d;
    size_t *order = cairn_malloc(j->d * sizeof *order);
    if (!order) return NULL;
    for (size_t f = 0; f < j->d; f++) order[f] = f;
    for (size_t a = 1; a < j->d; a++) /* insertion sort by |z|, descending: a few dozen features */
        for (size_t b = a; b > 0 && fabs(z_of(j, order[b], centre[order[b]])) >
                                        fabs(z_of(j, order[b - 1], centre[order[b - 1]])); b--) {
            size_t t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    json_t *cen = json_object(), *zs = json_object();
    for (size_t i = 0; cen && zs && i < top; i++) {
        size_t f = order[i];
        json_object_set_new(cen, j->t.features[f], real_or_null(original_units(j, f, centre[f])));
        json_object_set_new(zs, j->t.features[f], real_or_null(z_of(j, f, centre[f])));
    }
    cairn_free(order);
    int64_t ntrain = j->t.nrows[CAIRN_PART_TRAIN], ntest = j->t.nrows[CAIRN_PART_TEST];
    int64_t rows = tr->sizes[CAIRN_PART_TRAIN][c], test_rows = tr->sizes[CAIRN_PART_TEST] ? tr->sizes[CAIRN_PART_TEST][c] : 0;
    return json_pack("{s:I,s:I,s:o,s:I,s:o,s:o,s:o}", "cluster", (json_int_t)c, "rows", (json_int_t)rows, "share",
                     real_or_null(ntrain ? (double)rows / (double)ntrain : NAN), "test_rows", (json_int_t)test_rows,
                     "test_share", real_or_null(ntest ? (double)test_rows / (double)ntest : NAN), "centroid",
                     cen ? cen : json_object(), "centroid_z", zs ? zs : json_object());
}

static json_t *entry_json(const cjob *j, const trial *tr)
{
    json_t *clusters = json_array();
    for (int64_t c = 0; clusters && c < tr->k; c++) json_array_append_new(clusters, cluster_json(j, tr, c));
    return json_pack("{s:s,s:s,s:s,s:O,s:I,s:o,s:o,s:o,s:b}", "name", tr->name, "learner", tr->l->learner, "run",
                     tr->run_id, "params", tr->params, "k", (json_int_t)tr->k, "valid", metrics_json(&tr->valid), "test",
                     metrics_json(&tr->test), "clusters", clusters ? clusters : json_array(), "resumed", tr->read_back);
}

static json_t *doubles_json(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) json_array_append_new(a, real_or_null(v[i]));
    return a;
}

/* model/model.cairn and model/bundle.json: what a caller needs to assign new rows. */
static int save_bundle(cjob *j, const trial *best)
{
    cairn_trainer *t = &j->t;
    json_t *meta = json_pack("{s:s,s:s,s:s?,s:s,s:s,s:I,s:s}", "learner", best->l->learner, "task",
                             cairn_task_name(t->cfg->task), "label", t->cfg->label, "training_set", t->set_id, "run",
                             best->run_id, "k", (json_int_t)best->k, "select_metric", j->select);
    json_t *feats = json_array(), *encs = json_array();
    int rc = meta && feats && encs ? 0 : oom(t->err);
    for (size_t i = 0; rc == 0 && i < t->nfeatures; i++) json_array_append_new(feats, json_string(t->features[i]));
    for (size_t e = 0; rc == 0 && e < t->nencoders; e++) {
        json_t *ej = NULL;
        if (cairn_encoder_to_json(t->encoders[e].enc, &ej)) rc = oom(t->err);
        else json_array_append_new(encs, ej);
    }
    json_object_set_new(meta, "features", feats);
    json_object_set_new(meta, "encoders", encs);
    /* what the model expects: NaN -> impute[f], then (x - mean) / std when standardised */
    json_object_set_new(meta, "impute", doubles_json(j->mean, j->d));
    json_object_set_new(meta, "standardize",
                        j->standardize ? json_pack("{s:o,s:o}", "mean", doubles_json(j->mean, j->d), "std",
                                                   doubles_json(j->scale, j->d))
                                       : json_null());
    cairn_buf b;
    cairn_buf_init(&b, 0);
    if (rc == 0 && cairn_json_dump(meta, CAIRN_JSON_PRETTY, &b)) rc = oom(t->err);
    if (rc == 0) rc = save_artifact(j, j->run_id, "model/bundle.json", &b);
    cairn_buf_reset(&b);
    if (rc == 0) rc = cairn_model_save(best->model, &b, t->err);
    if (rc == 0) rc = save_artifact(j, j->run_id, "model/model.cairn", &b);
    cairn_buf_release(&b);
    json_decref(meta);
    return rc;
}

/* predictions/test.csv: each test row (its 0-based row in the training set) and its cluster. */
static int save_test_clusters(cjob *j, const trial *best)
{
    int32_t *labels = NULL;
    int rc = assign(j, best, CAIRN_PART_TEST, &labels);
    cairn_buf b;
    cairn_buf_init(&b, 0);
    if (rc == 0 && cairn_buf_puts(&b, "row,cluster\n")) rc = oom(j->t.err);
    for (int64_t i = 0; rc == 0 && i < j->t.nrows[CAIRN_PART_TEST]; i++)
        if (cairn_buf_printf(&b, "%lld,%d\n", (long long)j->t.rows[CAIRN_PART_TEST][i], (int)labels[i])) rc = oom(j->t.err);
    if (rc == 0) rc = save_artifact(j, j->run_id, "predictions/test.csv", &b);
    cairn_buf_release(&b);
    cairn_free(labels);
    return rc;
}

/* The chosen model on the test part: metrics on the job run, artifacts. */
static int finish_best(cjob *j, trial *best)
{
    int rc = score_part(j, best, CAIRN_PART_TEST, &best->test);
    for (size_t m = 0; rc == 0 && m < NMETRICS; m++) {
        char mk[64];
        snprintf(mk, sizeof mk, "test_%s", metric_names[m]);
        rc = log_metric(j, j->run_id, mk, cairn_cluster_metric_value(&best->test, metric_names[m]));
    }
    if (rc == 0) rc = log_metric(j, j->run_id, "k", (double)best->k);
    if (rc == 0) rc = save_bundle(j, best);
    if (rc == 0) rc = save_test_clusters(j, best);
    if (rc == 0) rc = cairn_run_set_tag(j->t.home, j->run_id, "cairn.best", best->name, j->t.err);
    return rc;
}

/* Test metrics of the others too: the leaderboard shows each k on the same held-out rows
 * (the choice was made on validation alone). */
static int score_others(cjob *j, const trial *best)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < j->ntrials; i++)
        if (&j->trials[i] != best) rc = score_part(j, &j->trials[i], CAIRN_PART_TEST, &j->trials[i].test);
    return rc;
}

static int add_notes(cjob *j)
{
    const cairn_train_config *cfg = j->t.cfg;
    int rc = j->standardize
                 ? note(j, "features standardised with the training rows' mean and standard deviation before "
                           "k-means (distances would otherwise weigh features by their units); params: "
                           "{standardize: false} keeps the units")
                 : note(j, "features used in their own units (standardize: false): k-means weighs each by its spread");
    if (rc == 0 && j->t.nencoders)
        rc = note(j, "text columns enter as one-hot or hashed indicator columns, each weighing like a numeric feature");
    int64_t nv = j->t.nrows[CAIRN_PART_VALID], nt = j->t.nrows[CAIRN_PART_TEST];
    if (rc == 0 && (nv > CAIRN_SILHOUETTE_SAMPLE_DEFAULT || nt > CAIRN_SILHOUETTE_SAMPLE_DEFAULT))
        rc = note(j, "silhouette on a seeded sample of at most %d rows of a part (validation %lld rows, test %lld); "
                  "the other metrics on every row", CAIRN_SILHOUETTE_SAMPLE_DEFAULT, (long long)nv, (long long)nt);
    if (rc == 0 && j->repeated)
        rc = note(j, "%zu sampled parameter set%s had been tried already and %s not fitted again", j->repeated,
                  j->repeated == 1 ? "" : "s", j->repeated == 1 ? "was" : "were");
    if (rc == 0 && !strcmp(j->select, "inertia"))
        rc = note(j, "inertia falls as k grows: selecting by it favours the largest k tried");
    if (rc == 0 && cfg->label)
        rc = note(j, "label '%s' is not used to cluster: it is left out of the features (rows without it dropped)",
                  cfg->label);
    if (rc == 0 && (cfg->nslices || cfg->nfairness))
        rc = note(j, "slices and fairness need a label and decisions: not computed for clustering");
    return rc;
}

static void build_report(cjob *j, const trial *best)
{
    const cairn_train_config *cfg = j->t.cfg;
    json_t *board = json_array();
    for (size_t i = 0; board && i < j->ntrials; i++) json_array_append_new(board, entry_json(j, &j->trials[i]));
    struct timespec w1;
    clock_gettime(CLOCK_MONOTONIC, &w1);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double wall = (double)(w1.tv_sec - j->wall0.tv_sec) + (double)(w1.tv_nsec - j->wall0.tv_nsec) / 1e9;
    const cairn_trainer *t = &j->t;
    json_t *r = j->report;
    json_object_set_new(r, "run", json_string(j->run_id));
    json_object_set_new(r, "experiment", json_string(cfg->experiment));
    json_object_set_new(r, "training_set", json_string(t->set_id));
    json_object_set_new(r, "task", json_string(cairn_task_name(cfg->task)));
    json_object_set_new(r, "select_metric", json_string(j->select));
    json_object_set_new(r, "standardize", json_boolean(j->standardize));
    json_object_set_new(r, "silhouette_sample", json_integer(CAIRN_SILHOUETTE_SAMPLE_DEFAULT));
    json_object_set_new(r, "rows", json_pack("{s:I,s:I,s:I,s:I,s:I}", "train", (json_int_t)t->nrows[0], "validation",
                                             (json_int_t)t->nrows[1], "calibration", (json_int_t)t->nrows[3], "test",
                                             (json_int_t)t->nrows[2], "dropped", (json_int_t)t->dropped));
    json_object_set_new(r, "best", json_string(best->name));
    json_object_set_new(r, "best_k", json_integer((json_int_t)best->k));
    json_object_set_new(r, "leaderboard", board ? board : json_array());
    json_object_set_new(r, "notes", json_incref(t->notes));
    json_object_set_new(r, "cost", json_pack("{s:o,s:o,s:I}", "wall_seconds", real_or_null(wall), "cpu_seconds",
                                             real_or_null(cpu_seconds() - j->cpu0), "peak_rss_kb", (json_int_t)ru.ru_maxrss));
}

/* ------------------------------------------------------------------------------------------
 * The job
 * ---------------------------------------------------------------------------------------- */

static int run_learners(cjob *j)
{
    const cairn_train_config *cfg = j->t.cfg;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < cfg->nlearners; i++) {
        const cairn_train_learner *l = &cfg->learners[i];
        rc = l->has_search ? search(j, l) : try_params(j, l, -1, l->params);
    }
    return rc;
}

static int run_job(cjob *j, bool *resumed)
{
    const cairn_train_config *cfg = j->t.cfg;
    int rc = check_config(j);
    if (rc == 0) {
        say(j, "reading the training set %s", cfg->training_set);
        rc = cairn__train_prepare(&j->t);
    }
    j->d = j->t.nfeatures;
    if (rc == 0)
        say(j, "%lld rows: %lld train, %lld validation, %lld test (%lld dropped); %zu features%s",
            (long long)cairn_table_num_rows(j->t.data), (long long)j->t.nrows[0], (long long)j->t.nrows[1],
            (long long)j->t.nrows[2], (long long)j->t.dropped, j->d, j->standardize ? ", standardised" : "");
    if (rc == 0) rc = build_space(j);
    if (rc == 0) rc = cairn__train_job_run(&j->t, j->opts, j->run_id, resumed);
    if (rc == 0 && *resumed) say(j, "resuming run %.12s", j->run_id);
    cairn_run_kv extra[] = {{"select_metric", j->select}, {"standardize", j->standardize ? "true" : "false"}};
    if (rc == 0) rc = cairn__train_log_job_params(&j->t, j->opts, j->run_id, extra, 2);
    if (rc == 0) rc = run_learners(j);
    trial *best = rc == 0 ? best_trial(j) : NULL;
    if (rc == 0 && !best)
        rc = cairn_error_set(j->t.err, CAIRN_EINVAL, "no parameter set has a defined %s on the validation part "
                             "(each needs 2 or more clusters among the validation rows)", j->select);
    if (rc == 0) rc = finish_best(j, best);
    if (rc == 0)
        say(j, "best: %s (validation %s %.4f); on %lld test rows: silhouette %.4f, davies_bouldin %.4f", best->name,
            j->select, cairn_cluster_metric_value(&best->valid, j->select), (long long)j->t.nrows[CAIRN_PART_TEST],
            best->test.silhouette, best->test.davies_bouldin);
    if (rc == 0) rc = score_others(j, best);
    if (rc == 0) rc = add_notes(j);
    if (rc == 0) {
        json_object_set_new(j->report, "resumed", json_boolean(*resumed));
        build_report(j, best);
        cairn_buf b;
        cairn_buf_init(&b, 0);
        if (cairn_json_dump(j->report, CAIRN_JSON_PRETTY, &b)) rc = oom(j->t.err);
        if (rc == 0) rc = save_artifact(j, j->run_id, "report.json", &b);
        cairn_buf_release(&b);
        json_t *cost = json_object_get(j->report, "cost");
        if (rc == 0) rc = log_metric(j, j->run_id, "wall_seconds", json_number_value(json_object_get(cost, "wall_seconds")));
    }
    return rc;
}

static void cjob_release(cjob *j)
{
    for (size_t i = 0; i < j->ntrials; i++) {
        trial *tr = &j->trials[i];
        json_decref(tr->params);
        cairn_model_free(tr->model);
        cairn_free(tr->centroids);
        for (int p = 0; p < CAIRN_PART_COUNT; p++) cairn_free(tr->sizes[p]);
    }
    cairn_free(j->trials);
    for (int p = 0; p < CAIRN_PART_COUNT; p++) {
        cairn_free(j->z[p]);
        cairn_matrix_release(&j->zf[p]);
    }
    cairn_free(j->mean);
    cairn_free(j->scale);
    json_decref(j->report);
    json_decref(j->t.notes);
    cairn__train_prepare_release(&j->t);
}

int cairn__train_clustering(cairn_home *home, const cairn_train_config *cfg, const cairn_train_options *opts,
                            cairn_train_result *result, cairn_error *err)
{
    cairn_train_options none;
    cairn_train_options_init(&none);
    if (!opts) opts = &none;
    memset(result, 0, sizeof *result);
    cjob j;
    memset(&j, 0, sizeof j);
    j.opts = opts;
    j.t.home = home;
    j.t.cfg = cfg;
    j.t.err = err;
    clock_gettime(CLOCK_MONOTONIC, &j.wall0);
    j.cpu0 = cpu_seconds();
    j.t.notes = json_array();
    j.report = json_object();
    bool resumed = false;
    int rc = j.t.notes && j.report ? run_job(&j, &resumed) : oom(err);
    if (rc == 0) rc = cairn_run_set_system_info(home, j.run_id, err);
    if (rc == 0) rc = cairn_run_end(home, j.run_id, CAIRN_RUN_FINISHED, err);
    if (rc && j.run_id[0]) {
        cairn_error keep = *err;
        cairn_run_end(home, j.run_id, rc == CAIRN_ECANCELED ? CAIRN_RUN_KILLED : CAIRN_RUN_FAILED, NULL);
        *err = keep;
    }
    if (rc == 0) {
        memcpy(result->run_id, j.run_id, sizeof result->run_id);
        result->report = j.report;
        j.report = NULL;
    }
    cjob_release(&j);
    return rc;
}
