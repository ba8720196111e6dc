/* src/train/train.c: `cairn train` (cairn_train in include/cairn/train.h).
 *
 * One job, recorded as a run (the job run) with one child run per candidate (each learner,
 * and the baseline) and, for a learner with a search, one grandchild run per trial:
 *   1. the data (src/train/prepare.c): training set, labels, split, encoders, matrices;
 *   2. each learner: without a search, one fit with early stopping on the validation part;
 *      with one, trials whose parameters depend only on (seed, trial number), pruned at the
 *      rungs of asynchronous successive halving or by the median rule (include/cairn/search.h)
 *      from the validation metric the learner reports every round; the best complete trial
 *      by the selection metric on the validation part wins;
 *   3. the baseline: a learner (logistic or linear regression by default) or a business rule;
 *   4. for every candidate: calibration fitted on the calibration part (binary), the decision
 *      threshold (minimum expected cost on the validation part when costs are given), test
 *      metrics with bootstrap confidence intervals;
 *   5. the best candidate against the baseline on the same test rows: DeLong for ROC AUC,
 *      McNemar on the decisions, a paired bootstrap of the gate metric; the gate passes when
 *      the difference is at least the margin and significant at alpha;
 *   6. slices and fairness of the best candidate, SHAP and permutation importance;
 *   7. artifacts: the model, its calibrator, encoders and metadata, and the report.
 * Resuming: a job is keyed by the SHA-256 of its configuration text and training set. Run the
 * same command after a crash or a kill and the unfinished job run is picked up: a finished
 * candidate or trial is read back from its run (its model artifact and metrics), never
 * retrained; an unfinished one is trained again.
 *
 * Tests: tests/unit/train/test_train.c, tests/integration/test_train_cli.sh.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cairn/runs.h"
#include "cairn/search.h"
#include "train/train_internal.h"

static int oom(cairn_error *err) { return cairn_error_set(err, CAIRN_ENOMEM, "out of memory"); }

/* One candidate: a learner's chosen model (or the rule) and its predictions. */
typedef struct candidate {
    const cairn_train_learner *cfg;
    bool is_baseline, is_rule;
    char run_id[CAIRN_RUN_ID_LEN + 1];
    cairn_model *model;
    double *pred[CAIRN_PART_COUNT]; /* binary/regression: one score per row; multiclass: n x k */
    double *cal_test, *cal_valid;   /* calibrated probabilities (binary with calibration) */
    cairn_calibrator *calibrator;
    double threshold, expected_cost;
    double valid_score;             /* the selection metric on the validation part */
    json_t *params;                 /* the parameters used (owned) */
    json_t *report;                 /* its leaderboard entry (owned) */
    json_t *nested;                 /* its nested cross-validation (owned), or NULL */
    int64_t rounds, best_round, trials, pruned;
    bool resumed;
} candidate;

typedef struct job {
    cairn_trainer t;
    const cairn_train_options *opts;
    char run_id[CAIRN_RUN_ID_LEN + 1];
    candidate *cands;   /* learners, then the baseline last */
    size_t ncands;
    json_t *report;
    struct timespec wall0;
    double cpu0;
} job;

double cairn__train_cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}
#define cpu_seconds cairn__train_cpu_seconds

void cairn__train_say(const cairn_train_options *opts, const char *fmt, ...)
{
    if (!opts->log) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    opts->log(opts->log_ud, line);
}
#define say(j, ...) cairn__train_say((j)->opts, __VA_ARGS__)

static cairn_objective objective_of(cairn_task task)
{
    switch (task) {
    case CAIRN_TASK_MULTICLASS: return CAIRN_OBJECTIVE_MULTICLASS;
    case CAIRN_TASK_REGRESSION: return CAIRN_OBJECTIVE_REGRESSION;
    case CAIRN_TASK_CLUSTERING: return CAIRN_OBJECTIVE_CLUSTERING;
    default: return CAIRN_OBJECTIVE_BINARY;
    }
}

/* The metric data of a candidate's predictions on a part. */
static void metric_data(const job *j, const double *pred, int part, double threshold, cairn_metric_data *d)
{
    cairn_metric_data_init(d, j->t.yp[part], pred, NULL, (size_t)j->t.nrows[part]);
    d->threshold = threshold;
    if (j->t.cfg->task == CAIRN_TASK_MULTICLASS) d->k = (size_t)j->t.num_class;
}

static int score(const job *j, const char *metric, const double *pred, int part, double threshold, double *out)
{
    cairn_metric_data d;
    metric_data(j, pred, part, threshold, &d);
    return cairn_metric_by_name(metric, &d, out, j->t.err);
}

int cairn__train_score(const cairn_trainer *t, const char *metric, const double *y, const double *pred, size_t n,
                       double threshold, double *out)
{
    cairn_metric_data d;
    cairn_metric_data_init(&d, y, pred, NULL, n);
    d.threshold = threshold;
    if (t->cfg->task == CAIRN_TASK_MULTICLASS) d.k = (size_t)t->num_class;
    return cairn_metric_by_name(metric, &d, out, t->err);
}

static bool higher_is_better(const char *metric)
{
    const cairn_metric_info *m = cairn_metric_find(metric);
    return m ? m->higher_is_better : false;
}

/* ------------------------------------------------------------------------------------------
 * Runs
 * ---------------------------------------------------------------------------------------- */

static int log_param(job *j, const char *run, const char *key, const char *value)
{
    return cairn_run_log_param(j->t.home, run, key, value ? value : "", j->t.err);
}

static int log_metric(job *j, const char *run, const char *key, double v, int64_t step)
{
    return cairn_run_log_metric(j->t.home, run, key, v, step, cairn_now_us() / 1000, j->t.err);
}

/* Whether run `id` holds a checkpoint (tag cairn.checkpoint). */
static int has_checkpoint(job *j, const char *id, bool *yes)
{
    cairn_runs r = {0};
    int rc = cairn_run_get(j->t.home, id, &r, j->t.err);
    *yes = false;
    for (size_t i = 0; rc == 0 && r.count && i < r.items[0].ntags; i++)
        if (!strcmp(r.items[0].tags[i].key, "cairn.checkpoint")) *yes = true;
    cairn_runs_release(&r);
    return rc;
}

/* A child run of parent keyed by `trial_key`: the existing one (*status its state) or a new
 * one (*status RUNNING). An unfinished one is reopened and carried on when `reuse` (a
 * candidate, whose finished trials hang under it) or when it holds a checkpoint (a trial
 * interrupted after one); otherwise it is ended as killed and replaced (a trial that starts
 * over). */
static int child_run(job *j, const char *parent, const char *trial_key, const char *name, char id[CAIRN_RUN_ID_LEN + 1],
                     cairn_run_status *status, bool reuse)
{
    int rc = cairn_run_find_child(j->t.home, parent, CAIRN_RUN_TRIAL_TAG, trial_key, id, status, j->t.err);
    if (rc == CAIRN_ENOTFOUND) {
        cairn_error_clear(j->t.err);
        id[0] = 0;
        rc = 0;
    }
    bool carry_on = reuse;
    if (rc == 0 && id[0] && *status != CAIRN_RUN_FINISHED && !reuse) rc = has_checkpoint(j, id, &carry_on);
    if (rc == 0 && id[0] && *status != CAIRN_RUN_FINISHED && carry_on) {
        *status = CAIRN_RUN_RUNNING;
        return cairn_run_reopen(j->t.home, id, j->t.err);
    }
    if (rc == 0 && id[0] && *status != CAIRN_RUN_FINISHED) {
        /* an unfinished one is trained again under a new run; the old one is marked killed */
        if (*status == CAIRN_RUN_RUNNING) rc = cairn_run_end(j->t.home, id, CAIRN_RUN_KILLED, j->t.err);
        id[0] = 0;
    }
    if (rc || id[0]) return rc;
    cairn_run_kv tag = {CAIRN_RUN_TRIAL_TAG, trial_key};
    cairn_run_options o = {.experiment = j->t.cfg->experiment, .name = name, .parent_id = parent,
                           .source = j->opts->source, .tags = &tag, .ntags = 1};
    *status = CAIRN_RUN_RUNNING;
    return cairn_run_create(j->t.home, &o, id, j->t.err);
}

int cairn__train_job_run(cairn_trainer *t, const cairn_train_options *opts, char run_id[CAIRN_RUN_ID_LEN + 1],
                         bool *resumed)
{
    /* the job's key: the configuration's bytes and the training set */
    const char *text = opts->config_text ? opts->config_text : t->cfg->path;
    size_t len = opts->config_text ? opts->config_len : strlen(t->cfg->path);
    char key[2 * CAIRN_SHA256_LEN + 1];
    uint8_t sum[CAIRN_SHA256_LEN];
    cairn_sha256 h;
    cairn_sha256_init(&h);
    cairn_sha256_update(&h, text, len);
    cairn_sha256_update(&h, t->set_id, strlen(t->set_id));
    cairn_sha256_final(&h, sum);
    cairn_hex_encode(sum, CAIRN_SHA256_LEN, key);
    int64_t exp_id = 0;
    int rc = cairn_experiment_ensure(t->home, t->cfg->experiment, &exp_id, NULL, t->err);
    if (rc == 0) rc = cairn_run_reap(t->home, NULL, t->err);
    *resumed = false;
    cairn_run_query q = cairn_run_query_default();
    q.experiment = t->cfg->experiment;
    q.parent_id = "";
    q.tag_key = "cairn.job";
    q.tag_value = key;
    q.limit = 10;
    cairn_runs runs = {0};
    if (rc == 0 && opts->resume) rc = cairn_run_list(t->home, &q, &runs, t->err);
    for (size_t i = 0; rc == 0 && i < runs.count && !*resumed; i++)
        if (runs.items[i].status != CAIRN_RUN_FINISHED) {
            memcpy(run_id, runs.items[i].id, CAIRN_RUN_ID_LEN + 1);
            *resumed = true;
        }
    cairn_runs_release(&runs);
    if (rc == 0 && *resumed) rc = cairn_run_reopen(t->home, run_id, t->err);
    if (rc || *resumed) return rc;
    cairn_run_kv tag = {"cairn.job", key};
    cairn_run_options o = {.experiment = t->cfg->experiment, .name = "train", .source = opts->source,
                           .tags = &tag, .ntags = 1};
    return cairn_run_create(t->home, &o, run_id, t->err);
}

int cairn__train_log_job_params(cairn_trainer *t, const cairn_train_options *opts, const char *run_id,
                                const cairn_run_kv *extra, size_t nextra)
{
    const cairn_train_config *cfg = t->cfg;
    enum { FIXED = 7 + CAIRN_PART_COUNT, MAX = FIXED + 8 };
    if (nextra > MAX - FIXED) return cairn_error_set(t->err, CAIRN_EINVAL, "too many job parameters");
    cairn_run_kv p[MAX];
    char seed[32], features[32], rows[CAIRN_PART_COUNT][32], keys[CAIRN_PART_COUNT][48];
    size_t n = 0;
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)cfg->seed);
    snprintf(features, sizeof features, "%zu", t->nfeatures);
    p[n++] = (cairn_run_kv){"training_set", t->set_id};
    p[n++] = (cairn_run_kv){"task", cairn_task_name(cfg->task)};
    if (cfg->label) p[n++] = (cairn_run_kv){"label", cfg->label};
    p[n++] = (cairn_run_kv){"seed", seed};
    p[n++] = (cairn_run_kv){"cairn_version", cairn_version()};
    if (opts->git_commit) p[n++] = (cairn_run_kv){"git_commit", opts->git_commit};
    p[n++] = (cairn_run_kv){"features", features};
    for (int i = 0; i < CAIRN_PART_COUNT; i++) {
        snprintf(keys[i], sizeof keys[i], "rows.%s", cairn_part_name(i));
        snprintf(rows[i], sizeof rows[i], "%lld", (long long)t->nrows[i]);
        p[n++] = (cairn_run_kv){keys[i], rows[i]};
    }
    for (size_t i = 0; i < nextra; i++) p[n++] = extra[i];
    /* one transaction: a resumed job writes the same values again (a no-op) */
    cairn_run_kv tag = {"cairn.config", cfg->path};
    cairn_run_batch b = {.params = p, .nparams = n, .tags = &tag, .ntags = 1};
    return cairn_run_log_batch(t->home, run_id, &b, t->err);
}

/* ------------------------------------------------------------------------------------------
 * Fitting one model (a trial, or a learner without a search)
 * ---------------------------------------------------------------------------------------- */

typedef struct fit_state {
    job *j;
    const char *run;
    const cairn_pruner *pruner;
    cairn_trial_record *history; /* the search's trials so far, this one last */
    size_t nhistory;
    int64_t *steps;              /* the validation metric by round, for the pruner */
    double *values;
    size_t n, cap;
    bool pruned;
    int64_t pruned_rung;
    cairn_run_metric *batch;     /* per-round metrics, written at checkpoints and at the end */
    size_t nbatch, capbatch, flushed;
    char key[64];
    int checkpoint_rc;           /* why a checkpoint failed (the error is in the job's) */
} fit_state;

/* Writes the per-round metrics not yet written, and with them (same transaction, when the
 * batch is small enough to be one) the tags given. */
static int flush_metrics(fit_state *fs, const cairn_run_kv *tags, size_t ntags)
{
    cairn_trainer *t = &fs->j->t;
    int rc = 0;
    do {
        size_t left = fs->nbatch - fs->flushed, take = left < 1000 ? left : 1000;
        cairn_run_batch b = {.metrics = fs->batch + fs->flushed, .nmetrics = take};
        if (take == left) b.tags = tags, b.ntags = ntags;
        if (!b.nmetrics && !b.ntags) break;
        rc = cairn_run_log_batch(t->home, fs->run, &b, t->err);
        if (rc == 0) fs->flushed += take;
    } while (rc == 0 && fs->flushed < fs->nbatch);
    return rc;
}

/* A checkpoint: the snapshot as an artifact, then its round count as tag cairn.checkpoint
 * together with the metrics of the rounds up to it, so that the tag never names a snapshot
 * that is not stored, nor a round whose metrics are missing. */
static bool on_checkpoint(void *ud, int64_t rounds, const cairn_model *snap)
{
    fit_state *fs = ud;
    cairn_trainer *t = &fs->j->t;
    char path[64], text[32], obj[65];
    snprintf(path, sizeof path, "checkpoint/round-%06lld.cairn", (long long)rounds);
    snprintf(text, sizeof text, "%lld", (long long)rounds);
    cairn_buf b;
    cairn_buf_init(&b, 0);
    int rc = cairn_model_save(snap, &b, t->err);
    if (rc == 0) rc = cairn_run_log_artifact(t->home, fs->run, path, b.data, b.len, obj, t->err);
    cairn_buf_release(&b);
    cairn_run_kv tag = {"cairn.checkpoint", text};
    if (rc == 0) rc = flush_metrics(fs, &tag, 1);
    fs->checkpoint_rc = rc;
    return rc == 0;
}

/* The checkpoint rounds of learner l (xgboost only), ascending, in *out (cairn_free). */
static int checkpoint_rounds(job *j, const cairn_train_learner *l, int64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (strcmp(l->learner, "xgboost") || l->checkpoint_every < 0) return 0;
    int64_t every = l->checkpoint_every;
    /* auto: the trials of a search (many fits: the likely place to be interrupted) and long
     * fits; a checkpoint costs a rebuild of the prediction cache (W4: +4 % at 200 rounds) */
    if (every == 0 && !l->has_search && l->rounds < 1000) return 0;
    size_t count = 0;
    if (every > 0) count = (size_t)((l->rounds - 1) / every);
    else
        for (int64_t r = l->rounds / 4; r >= 8; r /= 4) count++;
    if (!count) return 0;
    int64_t *c = cairn_malloc(count * sizeof *c);
    if (!c) return oom(j->t.err);
    if (every > 0)
        for (size_t i = 0; i < count; i++) c[i] = (int64_t)(i + 1) * every;
    else {
        size_t i = count;
        for (int64_t r = l->rounds / 4; r >= 8; r /= 4) c[--i] = r;
    }
    *out = c;
    *n = count;
    return 0;
}

static bool on_round(void *ud, const cairn_round_report *r)
{
    fit_state *fs = ud;
    if (isnan(r->valid_value)) return true;
    snprintf(fs->key, sizeof fs->key, "valid_%s", r->metric);
    if (cairn_grow((void **)&fs->batch, &fs->capbatch, fs->nbatch + 1, sizeof *fs->batch)) return false;
    fs->batch[fs->nbatch++] = (cairn_run_metric){fs->key, r->valid_value, r->round + 1, cairn_now_us() / 1000};
    if (!fs->pruner) return true;
    if (cairn_grow((void **)&fs->steps, &fs->cap, fs->n + 1, sizeof *fs->steps) ||
        !(fs->values = cairn_realloc(fs->values, fs->cap * sizeof *fs->values)))
        return false;
    fs->steps[fs->n] = r->round + 1;
    fs->values[fs->n] = r->valid_value;
    fs->n++;
    cairn_trial_record *me = &fs->history[fs->nhistory - 1];
    me->steps = fs->steps;
    me->values = fs->values;
    me->n_steps = fs->n;
    cairn_prune_decision d = {false, -1};
    cairn_error err = {0};
    if (cairn_pruner_should_prune(fs->pruner, fs->history, fs->nhistory, me->number, r->round + 1, r->valid_value,
                                  &d, &err) == 0 && d.prune) {
        fs->pruned = true;
        fs->pruned_rung = d.rung;
        return false;
    }
    return true;
}

void cairn__train_learner_params(const cairn_trainer *t, const cairn_train_learner *l, const char *hyper_json,
                                 cairn_learner_params *lp, double cw[2])
{
    cairn_learner_params_init(lp);
    lp->learner = l->learner;
    lp->objective = objective_of(t->cfg->task);
    lp->num_class = t->cfg->task == CAIRN_TASK_MULTICLASS ? t->num_class : 0;
    lp->hyper_json = hyper_json;
    lp->seed = t->cfg->seed;
    if (!strcmp(l->learner, "xgboost")) {
        lp->rounds = l->rounds;
        lp->early_stopping_rounds = l->early_stopping;
    }
    if (t->cfg->has_costs) { /* a cost matrix turns into class weights */
        cw[0] = t->cfg->cost_fp - t->cfg->cost_tn;
        cw[1] = t->cfg->cost_fn - t->cfg->cost_tp;
        double mean = (cw[0] + cw[1]) / 2;
        cw[0] /= mean;
        cw[1] /= mean;
        lp->class_weights = cw;
        lp->nclass_weights = 2;
    }
}

/* Fits the learner with the parameters params (a JSON object) under run `run`, on from
 * `init` (a checkpoint of that run, or NULL). */
static int fit(job *j, const cairn_train_learner *l, const json_t *params, const char *run, fit_state *fs,
               const cairn_model *init, cairn_model **out)
{
    cairn_trainer *t = &j->t;
    cairn_buf hyper;
    cairn_buf_init(&hyper, 0);
    if (cairn_json_dump(params, 0, &hyper)) return oom(t->err);
    cairn_learner_params lp;
    double cw[2];
    cairn__train_learner_params(t, l, hyper.data, &lp, cw);
    int64_t *cps = NULL;
    size_t ncps = 0;
    int rc = checkpoint_rounds(j, l, &cps, &ncps);
    if (init) {
        cairn_model_info info;
        cairn_model_info_get(init, &info);
        lp.init_model = init;
        lp.rounds = l->rounds - info.rounds;
    }
    lp.checkpoints = cps;
    lp.ncheckpoints = ncps;
    lp.on_checkpoint = on_checkpoint;
    lp.checkpoint_ud = fs;
    lp.on_round = on_round;
    lp.round_ud = fs;
    lp.progress = j->opts->progress;
    lp.progress_ud = j->opts->progress_ud;
    fs->j = j;
    fs->run = run;
    cairn_learn_data tr = {&t->x[CAIRN_PART_TRAIN], t->yp[CAIRN_PART_TRAIN], NULL};
    cairn_learn_data va = {&t->x[CAIRN_PART_VALID], t->yp[CAIRN_PART_VALID], NULL};
    if (rc == 0) rc = cairn_model_fit(&tr, &va, &lp, out, t->err);
    if (rc && fs->checkpoint_rc) rc = fs->checkpoint_rc; /* the real error, not "canceled" */
    cairn_buf_release(&hyper);
    cairn_free(cps);
    if (rc == 0) rc = flush_metrics(fs, NULL, 0);
    return rc;
}

/* Reads run `run`'s checkpoint, when it has one: *model the snapshot (NULL when none), and
 * fs's validation series up to it (the pruner's view of the rounds already done). */
static int read_checkpoint(job *j, const char *run, fit_state *fs, cairn_model **model)
{
    *model = NULL;
    cairn_runs r = {0};
    int rc = cairn_run_get(j->t.home, run, &r, j->t.err);
    const char *cp = NULL, *series = NULL;
    for (size_t i = 0; rc == 0 && r.count && i < r.items[0].ntags; i++)
        if (!strcmp(r.items[0].tags[i].key, "cairn.checkpoint")) cp = r.items[0].tags[i].value;
    for (size_t i = 0; rc == 0 && r.count && i < r.items[0].nmetrics; i++)
        if (!strncmp(r.items[0].metrics[i].key, "valid_", 6) && strcmp(r.items[0].metrics[i].key, "valid_score"))
            series = r.items[0].metrics[i].key;
    int64_t rounds = cp ? strtoll(cp, NULL, 10) : 0;
    char path[64];
    snprintf(path, sizeof path, "checkpoint/round-%06lld.cairn", (long long)rounds);
    cairn_buf b;
    cairn_buf_init(&b, 0);
    if (rc == 0 && cp) rc = cairn_run_artifact_get(j->t.home, run, path, &b, j->t.err);
    if (rc == 0 && cp) rc = cairn_model_load(b.data, b.len, model, j->t.err);
    cairn_buf_release(&b);
    cairn_metric_point *pts = NULL;
    size_t npts = 0;
    if (rc == 0 && cp && series) rc = cairn_run_metric_history(j->t.home, run, series, &pts, &npts, j->t.err);
    /* the points up to the checkpoint; a step logged twice (a batch cut short) counts once */
    for (size_t i = 0; rc == 0 && i < npts; i++) {
        if (pts[i].step > rounds) continue;
        if (fs->n && fs->steps[fs->n - 1] == pts[i].step) {
            fs->values[fs->n - 1] = pts[i].value;
            continue;
        }
        if (cairn_grow((void **)&fs->steps, &fs->cap, fs->n + 1, sizeof *fs->steps) ||
            !(fs->values = cairn_realloc(fs->values, fs->cap * sizeof *fs->values))) {
            rc = oom(j->t.err);
            break;
        }
        fs->steps[fs->n] = pts[i].step;
        fs->values[fs->n] = pts[i].value;
        fs->n++;
    }
    cairn_free(pts);
    cairn_runs_release(&r);
    if (rc) {
        cairn_model_free(*model);
        *model = NULL;
    }
    return rc;
}

static void fit_state_release(fit_state *fs)
{
    cairn_free(fs->steps);
    cairn_free(fs->values);
    cairn_free(fs->batch);
}

/* Predictions of a model on every non-empty part but the training one (nothing reads those,
 * and predicting 100k rows through every tree costs a sixth of a fit). */
static int predict_all(job *j, candidate *c)
{
    for (int p = 0; p < CAIRN_PART_COUNT; p++) {
        if (!j->t.nrows[p] || p == CAIRN_PART_TRAIN) continue;
        double *out = NULL;
        int64_t cols = 0;
        int rc = cairn_model_predict(c->model, &j->t.x[p], CAIRN_PREDICT_VALUE, &out, &cols, j->t.err);
        if (rc) return rc;
        c->pred[p] = out;
    }
    return 0;
}

/* The rule baseline's scores: the column's value (NaN -> below every threshold). */
static int predict_rule(job *j, candidate *c)
{
    const cairn_train_config *cfg = j->t.cfg;
    const cairn_column *col = cairn_table_column_by_name(j->t.data, cfg->rule_column);
    if (!col) return cairn_error_set(j->t.err, CAIRN_EINVAL, "baseline rule: the training set has no column '%s'", cfg->rule_column);
    for (int p = 0; p < CAIRN_PART_COUNT; p++) {
        if (!j->t.nrows[p]) continue;
        double *out = cairn_malloc((size_t)j->t.nrows[p] * sizeof *out);
        if (!out) return oom(j->t.err);
        for (int64_t i = 0; i < j->t.nrows[p]; i++) {
            cairn_value v;
            cairn_column_get(col, j->t.rows[p][i], &v);
            double x = -INFINITY;
            if (!v.is_null) switch (v.type) {
                case CAIRN_TYPE_BOOL: x = v.v.b; break;
                case CAIRN_TYPE_INT32: x = v.v.i32; break;
                case CAIRN_TYPE_INT64: x = (double)v.v.i64; break;
                case CAIRN_TYPE_FLOAT32: x = v.v.f32; break;
                case CAIRN_TYPE_FLOAT64: x = v.v.f64; break;
                default:
                    cairn_free(out);
                    return cairn_error_set(j->t.err, CAIRN_ETYPE, "baseline rule: column '%s' is not numeric", cfg->rule_column);
                }
            /* a score in (0, 1) that orders rows as the column does, 0.5 exactly at the
             * threshold, so that the rule decides "above the threshold" at 0.5 */
            out[i] = isinf(x) ? 0 : 1 / (1 + exp(-(x - cfg->rule_threshold) / (fabs(cfg->rule_threshold) + 1)));
            if (x > cfg->rule_threshold && out[i] <= 0.5) out[i] = nextafter(0.5, 1);
        }
        c->pred[p] = out;
    }
    return 0;
}

/* A finished candidate or trial read back from its run: the model artifact. */
static int load_model(job *j, const char *run, cairn_model **out)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    int rc = cairn_run_artifact_get(j->t.home, run, "model/model.cairn", &b, j->t.err);
    if (rc == 0) rc = cairn_model_load(b.data, b.len, out, j->t.err);
    cairn_buf_release(&b);
    return rc;
}

static int save_model(job *j, const char *run, const cairn_model *m)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    char obj[65];
    int rc = cairn_model_save(m, &b, j->t.err);
    if (rc == 0) rc = cairn_run_log_artifact(j->t.home, run, "model/model.cairn", b.data, b.len, obj, j->t.err);
    cairn_buf_release(&b);
    return rc;
}

/* The selection metric of a model on the validation part. */
static int valid_score(job *j, const cairn_model *m, double *out)
{
    double *pred = NULL;
    int64_t cols = 0;
    int rc = cairn_model_predict(m, &j->t.x[CAIRN_PART_VALID], CAIRN_PREDICT_VALUE, &pred, &cols, j->t.err);
    if (rc == 0) rc = score(j, j->t.cfg->select_metric, pred, CAIRN_PART_VALID, j->t.cfg->threshold, out);
    cairn_free(pred);
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

/* ------------------------------------------------------------------------------------------
 * A learner: one fit, or a search over trials
 * ---------------------------------------------------------------------------------------- */

static int run_trial(job *j, candidate *c, const cairn_search_space *space, cairn_sampler sampler,
                     const cairn_pruner *pruner, cairn_trial_record *hist, size_t nhist, int64_t number,
                     json_t **params_out, cairn_model **model_out, double *value, cairn_trial_state *state,
                     bool *read_back)
{
    *read_back = false;
    const cairn_train_learner *l = c->cfg;
    char key[32], name[96], id[CAIRN_RUN_ID_LEN + 1] = "";
    cairn_run_status status;
    snprintf(key, sizeof key, "%lld", (long long)number);
    snprintf(name, sizeof name, "%s trial %lld", l->name, (long long)number);
    cairn_buf pj;
    cairn_buf_init(&pj, 0);
    json_t *sampled = NULL, *params = NULL;
    int rc = cairn_search_trial_params(space, sampler, j->t.cfg->seed, number, &pj, j->t.err);
    if (rc == 0) rc = cairn_json_parse(pj.data, pj.len, "trial parameters", &sampled, j->t.err);
    if (rc == 0 && !(params = merged(l->params, sampled))) rc = oom(j->t.err);
    json_decref(sampled);
    cairn_buf_release(&pj);
    if (rc == 0) rc = child_run(j, c->run_id, key, name, id, &status, false);
    *model_out = NULL;
    if (rc == 0 && status == CAIRN_RUN_FINISHED) { /* done before: read back */
        cairn_runs r = {0};
        rc = cairn_run_get(j->t.home, id, &r, j->t.err);
        const char *st = NULL;
        for (size_t i = 0; rc == 0 && r.count && i < r.items[0].ntags; i++)
            if (!strcmp(r.items[0].tags[i].key, "cairn.trial_state")) st = r.items[0].tags[i].value;
        *state = st && !strcmp(st, "pruned") ? CAIRN_TRIAL_PRUNED : CAIRN_TRIAL_COMPLETE;
        *value = NAN;
        const char *series = NULL;
        for (size_t i = 0; rc == 0 && r.count && i < r.items[0].nmetrics; i++) {
            const char *mk = r.items[0].metrics[i].key;
            if (!strcmp(mk, "valid_score")) *value = r.items[0].metrics[i].latest;
            else if (!strncmp(mk, "valid_", 6)) series = mk;
        }
        /* the pruner of later trials needs this one's reports: rebuilt from its metric */
        hist[nhist] = (cairn_trial_record){.number = number, .state = *state, .value = *value};
        for (size_t i = 0; rc == 0 && r.count && i < r.items[0].ntags; i++)
            if (!strcmp(r.items[0].tags[i].key, "cairn.pruned_rung")) {
                hist[nhist].has_pruned_rung = true;
                hist[nhist].pruned_rung = strtoll(r.items[0].tags[i].value, NULL, 10);
            }
        cairn_metric_point *pts = NULL;
        size_t npts = 0;
        if (rc == 0 && series) rc = cairn_run_metric_history(j->t.home, id, series, &pts, &npts, j->t.err);
        int64_t *steps = npts ? cairn_malloc(npts * sizeof *steps) : NULL;
        double *vals = npts ? cairn_malloc(npts * sizeof *vals) : NULL;
        if (rc == 0 && npts && (!steps || !vals)) rc = oom(j->t.err);
        for (size_t i = 0; rc == 0 && i < npts; i++) {
            steps[i] = pts[i].step;
            vals[i] = pts[i].value;
        }
        if (rc == 0) {
            hist[nhist].steps = steps;
            hist[nhist].values = vals;
            hist[nhist].n_steps = npts;
        } else {
            cairn_free(steps);
            cairn_free(vals);
        }
        cairn_free(pts);
        cairn_runs_release(&r);
        if (rc == 0 && *state == CAIRN_TRIAL_COMPLETE) rc = load_model(j, id, model_out);
        c->resumed = true;
        *read_back = true;
        *params_out = params;
        return rc;
    }
    /* fit, with the pruner watching every round */
    fit_state fs = {.pruner = pruner, .history = hist, .nhistory = nhist + 1};
    hist[nhist] = (cairn_trial_record){.number = number, .state = CAIRN_TRIAL_RUNNING};
    cairn_model *init = NULL;
    if (rc == 0) rc = read_checkpoint(j, id, &fs, &init);
    if (rc == 0 && init) {
        cairn_model_info info;
        cairn_model_info_get(init, &info);
        say(j, "  %s trial %lld: interrupted before, on from its checkpoint at round %lld", l->name, (long long)number,
            (long long)info.rounds);
    }
    const char *k;
    json_t *v;
    json_object_foreach(params, k, v)
    {
        cairn_buf b;
        cairn_buf_init(&b, 0);
        if (rc == 0 && cairn_json_dump(v, 0, &b) == 0) rc = log_param(j, id, k, json_is_string(v) ? json_string_value(v) : b.data);
        cairn_buf_release(&b);
    }
    cairn_model *m = NULL;
    if (rc == 0) rc = fit(j, l, params, id, &fs, init, &m);
    cairn_model_free(init);
    if (rc == 0 && fs.pruned) {
        *state = CAIRN_TRIAL_PRUNED;
        *value = fs.n ? fs.values[fs.n - 1] : NAN;
        char rung[32];
        snprintf(rung, sizeof rung, "%lld", (long long)fs.pruned_rung);
        rc = cairn_run_set_tag(j->t.home, id, "cairn.trial_state", "pruned", j->t.err);
        if (rc == 0) rc = cairn_run_set_tag(j->t.home, id, "cairn.pruned_rung", rung, j->t.err);
        cairn_model_free(m);
        m = NULL;
    } else if (rc == 0) {
        *state = CAIRN_TRIAL_COMPLETE;
        rc = valid_score(j, m, value);
        if (rc == 0) rc = log_metric(j, id, "valid_score", *value, 0);
        if (rc == 0) rc = cairn_run_set_tag(j->t.home, id, "cairn.trial_state", "complete", j->t.err);
        if (rc == 0) rc = save_model(j, id, m);
    }
    /* the history keeps this trial's values for the pruner of later trials */
    hist[nhist].steps = fs.steps;
    hist[nhist].values = fs.values;
    hist[nhist].n_steps = fs.n;
    hist[nhist].state = *state;
    hist[nhist].value = *value;
    hist[nhist].has_pruned_rung = fs.pruned;
    hist[nhist].pruned_rung = fs.pruned_rung;
    fs.steps = NULL;
    fs.values = NULL;
    fit_state_release(&fs);
    if (rc == 0) rc = cairn_run_set_system_info(j->t.home, id, j->t.err);
    if (rc == 0) rc = cairn_run_end(j->t.home, id, CAIRN_RUN_FINISHED, j->t.err);
    if (rc) {
        cairn_model_free(m);
        json_decref(params);
        if (id[0]) cairn_run_end(j->t.home, id, CAIRN_RUN_FAILED, NULL);
        return rc;
    }
    *model_out = m;
    *params_out = params;
    return 0;
}

static int search(job *j, candidate *c)
{
    const cairn_train_learner *l = c->cfg;
    cairn_search_space *space = NULL;
    cairn_sampler sampler;
    cairn_pruner pruner;
    int rc = cairn_search_space_parse(l->search.space, &space, j->t.err);
    if (rc) return cairn_error_prefix(j->t.err, "%s: learner '%s': search space: ", j->t.cfg->path, l->name), rc;
    if (cairn_sampler_parse(l->search.sampler, &sampler))
        rc = cairn_error_set(j->t.err, CAIRN_EINVAL, "learner '%s': unknown sampler '%s'", l->name, l->search.sampler);
    int64_t trials = l->search.trials;
    if (rc == 0 && sampler == CAIRN_SAMPLER_GRID) {
        int64_t g = 0;
        rc = cairn_search_grid_size(space, &g, j->t.err);
        if (rc == 0 && (trials == 0 || trials > g)) trials = g;
    }
    /* the pruner watches the learner's own validation metric (logloss unless set) */
    cairn_pruner_kind pk = !strcmp(l->search.pruner, "asha") ? CAIRN_PRUNER_ASHA
                           : !strcmp(l->search.pruner, "median") ? CAIRN_PRUNER_MEDIAN : CAIRN_PRUNER_NONE;
    const json_t *em = json_object_get(l->params, "eval_metric");
    const char *emn = json_is_string(em) ? json_string_value(em) : "";
    bool maximize = !strncmp(emn, "auc", 3) || !strncmp(emn, "map", 3) || !strncmp(emn, "ndcg", 4);
    cairn_pruner_init(&pruner, pk, maximize ? CAIRN_MAXIMIZE : CAIRN_MINIMIZE,
                      strcmp(l->learner, "xgboost") ? 1 : l->rounds);
    cairn_trial_record *hist = rc == 0 ? cairn_calloc((size_t)trials + 1, sizeof *hist) : NULL;
    if (rc == 0 && !hist) rc = oom(j->t.err);
    double best = NAN;
    bool hib = higher_is_better(j->t.cfg->select_metric);
    for (int64_t i = 0; rc == 0 && i < trials; i++) {
        json_t *params = NULL;
        cairn_model *m = NULL;
        double value = NAN;
        cairn_trial_state st = CAIRN_TRIAL_FAILED;
        bool back = false;
        rc = run_trial(j, c, space, sampler, pk == CAIRN_PRUNER_NONE ? NULL : &pruner, hist, (size_t)i, i, &params, &m,
                       &value, &st, &back);
        if (rc) break;
        c->trials++;
        if (st == CAIRN_TRIAL_PRUNED) c->pruned++;
        say(j, "  %s trial %lld: %s %s %.5f%s", l->name, (long long)i,
            st == CAIRN_TRIAL_PRUNED ? "pruned, last" : "complete,", st == CAIRN_TRIAL_PRUNED ? "valid" : j->t.cfg->select_metric,
            value, back ? " (finished before: read back)" : "");
        if (st == CAIRN_TRIAL_COMPLETE && m && (isnan(best) || (hib ? value > best : value < best))) {
            best = value;
            cairn_model_free(c->model);
            json_decref(c->params);
            c->model = m;
            c->params = params;
        } else {
            cairn_model_free(m);
            json_decref(params);
        }
    }
    for (int64_t i = 0; hist && i <= trials; i++) {
        cairn_free((void *)hist[i].steps);
        cairn_free((void *)hist[i].values);
    }
    cairn_free(hist);
    cairn_search_space_free(space);
    if (rc == 0 && !c->model) rc = cairn_error_set(j->t.err, CAIRN_EINVAL, "learner '%s': every trial was pruned", l->name);
    c->valid_score = best;
    return rc;
}

/* Trains (or reads back) one candidate under its own child run. */
static int train_candidate(job *j, candidate *c)
{
    const cairn_train_learner *l = c->cfg;
    char key[128];
    cairn_run_status status;
    snprintf(key, sizeof key, "candidate:%s", l->name);
    int rc = child_run(j, j->run_id, key, l->name, c->run_id, &status, true);
    if (rc) return rc;
    if (rc == 0) rc = log_param(j, c->run_id, "learner", l->learner);
    if (c->is_rule) {
        say(j, "baseline: rule %s > %g", j->t.cfg->rule_column, j->t.cfg->rule_threshold);
        return predict_rule(j, c);
    }
    if (status == CAIRN_RUN_FINISHED) {
        say(j, "%s: finished before, read back from run %.12s", l->name, c->run_id);
        c->resumed = true;
        rc = load_model(j, c->run_id, &c->model);
        if (rc == 0) rc = predict_all(j, c);
        if (rc == 0) rc = score(j, j->t.cfg->select_metric, c->pred[CAIRN_PART_VALID], CAIRN_PART_VALID, j->t.cfg->threshold,
                                &c->valid_score);
        return rc;
    }
    say(j, "%s: training %s%s", l->name, l->learner, l->has_search ? " with a search" : "");
    if (l->has_search) {
        rc = search(j, c);
    } else {
        fit_state fs = {0};
        cairn_model *init = NULL;
        c->params = json_deep_copy(l->params);
        rc = c->params ? read_checkpoint(j, c->run_id, &fs, &init) : oom(j->t.err);
        if (rc == 0 && init) {
            cairn_model_info info;
            cairn_model_info_get(init, &info);
            say(j, "%s: interrupted before, on from its checkpoint at round %lld", l->name, (long long)info.rounds);
        }
        if (rc == 0) rc = fit(j, l, l->params, c->run_id, &fs, init, &c->model);
        cairn_model_free(init);
        fit_state_release(&fs);
    }
    /* the validation predictions serve the selection metric too (no second pass) */
    if (rc == 0) rc = predict_all(j, c);
    if (rc == 0 && !l->has_search)
        rc = score(j, j->t.cfg->select_metric, c->pred[CAIRN_PART_VALID], CAIRN_PART_VALID, j->t.cfg->threshold,
                   &c->valid_score);
    cairn_model_info info;
    if (rc == 0) {
        cairn_model_info_get(c->model, &info);
        c->rounds = info.rounds;
        c->best_round = info.best_round;
        say(j, "%s: %s %.5f on validation%s", l->name, j->t.cfg->select_metric, c->valid_score,
            info.stopped_early ? " (stopped early)" : "");
        rc = save_model(j, c->run_id, c->model);
    }
    return rc;
}

static void nested_log(void *ud, const char *line) { say((job *)ud, "%s", line); }

/* Nested cross-validation of a learner (cfg->nested_outer > 0), kept as the artifact
 * nested.json of its run and read back from there when the job resumes. */
static int nested_cv(job *j, candidate *c)
{
    const cairn_train_config *cfg = j->t.cfg;
    cairn_buf b;
    cairn_buf_init(&b, 0);
    int rc = cairn_run_artifact_get(j->t.home, c->run_id, "nested.json", &b, j->t.err);
    if (rc == 0) {
        rc = cairn_json_parse(b.data, b.len, "nested.json", &c->nested, j->t.err);
        cairn_buf_release(&b);
        return rc;
    }
    if (rc != CAIRN_ENOTFOUND) return cairn_buf_release(&b), rc;
    cairn_error_clear(j->t.err);
    say(j, "%s: nested cross-validation, %lld outer x %lld inner folds", c->cfg->name, (long long)cfg->nested_outer,
        (long long)cfg->nested_inner);
    rc = cairn__train_nested(&j->t, c->cfg, nested_log, j, &c->nested);
    char obj[65], key[96];
    if (rc == 0 && cairn_json_dump(c->nested, CAIRN_JSON_PRETTY, &b)) rc = oom(j->t.err);
    if (rc == 0) rc = cairn_run_log_artifact(j->t.home, c->run_id, "nested.json", b.data, b.len, obj, j->t.err);
    cairn_buf_release(&b);
    double mean = json_number_value(json_object_get(c->nested, "mean"));
    double sd = json_number_value(json_object_get(c->nested, "std"));
    snprintf(key, sizeof key, "nested_%s_mean", cfg->select_metric);
    if (rc == 0 && json_is_number(json_object_get(c->nested, "mean"))) rc = log_metric(j, c->run_id, key, mean, 0);
    snprintf(key, sizeof key, "nested_%s_std", cfg->select_metric);
    if (rc == 0 && json_is_number(json_object_get(c->nested, "std"))) rc = log_metric(j, c->run_id, key, sd, 0);
    if (rc == 0) say(j, "%s: nested %s %.5f +- %.5f (inner, optimistic: %.5f)", c->cfg->name, cfg->select_metric, mean, sd,
                     json_number_value(json_object_get(c->nested, "inner_mean")));
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Evaluation
 * ---------------------------------------------------------------------------------------- */

static const char *const binary_metrics[] = {"roc_auc", "average_precision", "log_loss", "brier", "accuracy",
                                             "precision", "recall", "f1", NULL};
static const char *const multi_metrics[] = {"accuracy", "f1_macro", "f1_weighted", "log_loss", NULL};
static const char *const reg_metrics[] = {"rmse", "mae", "r2", NULL};

static const char *const *task_metrics(const cairn_train_config *cfg, size_t *n)
{
    const char *const *m = cfg->nmetrics ? cfg->metrics
                           : cfg->task == CAIRN_TASK_MULTICLASS ? multi_metrics
                           : cfg->task == CAIRN_TASK_REGRESSION ? reg_metrics : binary_metrics;
    if (cfg->nmetrics) *n = cfg->nmetrics;
    else for (*n = 0; m[*n]; (*n)++) {}
    return m;
}

static void boot_opts(const job *j, cairn_bootstrap_options *o)
{
    cairn_bootstrap_options_init(o);
    o->n_resamples = (size_t)j->t.cfg->bootstrap;
    o->confidence = j->t.cfg->confidence;
    o->seed = j->t.cfg->seed;
    o->method = CAIRN_CI_PERCENTILE;
}

/* A real, or null where it is not a number (JSON has no NaN; jansson refuses it). */
static json_t *real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *ci_json(const cairn_bootstrap_result *r)
{
    json_t *o = json_object();
    if (o) {
        json_object_set_new(o, "value", real_or_null(r->estimate));
        json_object_set_new(o, "low", real_or_null(r->ci_low));
        json_object_set_new(o, "high", real_or_null(r->ci_high));
    }
    return o;
}

/* The probabilities a candidate's decisions use on the test part: calibrated when there is a
 * calibrator. */
static const double *test_probs(const candidate *c)
{
    return c->cal_test ? c->cal_test : c->pred[CAIRN_PART_TEST];
}

/* Calibration on the calibration part, then the threshold on the validation part. */
static int calibrate_and_threshold(job *j, candidate *c, json_t *entry)
{
    const cairn_train_config *cfg = j->t.cfg;
    cairn_trainer *t = &j->t;
    int rc = 0;
    c->threshold = cfg->threshold;
    if (cfg->task != CAIRN_TASK_BINARY) return 0;
    size_t nt = (size_t)t->nrows[CAIRN_PART_TEST], nv = (size_t)t->nrows[CAIRN_PART_VALID];
    if (cfg->calibrate && t->nrows[CAIRN_PART_CALIB] > 0) {
        rc = cairn_calibrator_fit(cfg->calibration, t->yp[CAIRN_PART_CALIB], c->pred[CAIRN_PART_CALIB], NULL,
                                  (size_t)t->nrows[CAIRN_PART_CALIB], &c->calibrator, t->err);
        if (rc == 0 && (!(c->cal_test = cairn_malloc(nt * sizeof *c->cal_test)) ||
                        !(c->cal_valid = cairn_malloc(nv * sizeof *c->cal_valid))))
            rc = oom(t->err);
        if (rc == 0) {
            cairn_calibrator_apply(c->calibrator, c->pred[CAIRN_PART_TEST], nt, c->cal_test);
            cairn_calibrator_apply(c->calibrator, c->pred[CAIRN_PART_VALID], nv, c->cal_valid);
        }
        double ece0 = NAN, ece1 = NAN, b0 = NAN, b1 = NAN;
        if (rc == 0) rc = cairn_ece(t->yp[CAIRN_PART_TEST], c->pred[CAIRN_PART_TEST], NULL, nt, 10, &ece0, t->err);
        if (rc == 0) rc = cairn_ece(t->yp[CAIRN_PART_TEST], c->cal_test, NULL, nt, 10, &ece1, t->err);
        if (rc == 0) rc = score(j, "brier", c->pred[CAIRN_PART_TEST], CAIRN_PART_TEST, 0.5, &b0);
        if (rc == 0) rc = score(j, "brier", c->cal_test, CAIRN_PART_TEST, 0.5, &b1);
        json_t *curves = json_object();
        for (int k = 0; rc == 0 && k < 2; k++) {
            double pt[10], pp[10], cnt[10];
            size_t ne = 0;
            rc = cairn_calibration_curve(t->yp[CAIRN_PART_TEST], k ? c->cal_test : c->pred[CAIRN_PART_TEST], NULL, nt, 10,
                                         CAIRN_BINS_UNIFORM, pt, pp, cnt, &ne, t->err);
            json_t *arr = json_array();
            for (size_t b = 0; rc == 0 && b < ne; b++)
                json_array_append_new(arr, json_pack("{s:o,s:o,s:o}", "predicted", real_or_null(pp[b]), "observed", real_or_null(pt[b]), "count", real_or_null(cnt[b])));
            json_object_set_new(curves, k ? "after" : "before", arr);
        }
        if (rc == 0)
            json_object_set_new(entry, "calibration",
                                json_pack("{s:s,s:o,s:o,s:o,s:o,s:o}", "method", cairn_calibration_method_name(cfg->calibration),
                                          "ece_before", real_or_null(ece0), "ece_after", real_or_null(ece1), "brier_before", real_or_null(b0), "brier_after", real_or_null(b1),
                                          "reliability", curves));
        else
            json_decref(curves);
        if (rc == 0) rc = log_metric(j, c->run_id, "test_ece_before", ece0, 0);
        if (rc == 0) rc = log_metric(j, c->run_id, "test_ece_after", ece1, 0);
    }
    if (rc == 0 && cfg->has_costs) {
        cairn_cost_matrix cm = {cfg->cost_tp, cfg->cost_fp, cfg->cost_fn, cfg->cost_tn};
        const double *pv = c->cal_valid ? c->cal_valid : c->pred[CAIRN_PART_VALID];
        double mean_cost = 0, test_cost = 0;
        rc = cairn_cost_threshold(t->yp[CAIRN_PART_VALID], pv, NULL, nv, &cm, &c->threshold, &mean_cost, t->err);
        /* the expected cost per row on the test part at that threshold */
        cairn_confusion cf;
        if (rc == 0) rc = cairn_confusion_compute(t->yp[CAIRN_PART_TEST], test_probs(c), NULL, nt, c->threshold, &cf, t->err);
        if (rc == 0) {
            test_cost = (cf.tp * cm.tp + cf.fp * cm.fp + cf.fn * cm.fn + cf.tn * cm.tn) / (double)nt;
            c->expected_cost = test_cost;
            json_object_set_new(entry, "cost", json_pack("{s:o,s:o,s:o}", "threshold", real_or_null(c->threshold), "validation_cost_per_row",
                                                         real_or_null(mean_cost), "test_cost_per_row", real_or_null(test_cost)));
            rc = log_metric(j, c->run_id, "test_cost_per_row", test_cost, 0);
        }
    }
    return rc;
}

/* Test metrics with bootstrap intervals into the candidate's leaderboard entry. */
static int evaluate(job *j, candidate *c)
{
    const cairn_train_config *cfg = j->t.cfg;
    json_t *entry = json_object(), *metrics = json_object();
    if (!entry || !metrics) return oom(j->t.err);
    c->report = entry;
    json_object_set_new(entry, "name", json_string(c->cfg->name));
    json_object_set_new(entry, "learner", json_string(c->cfg->learner));
    json_object_set_new(entry, "run", json_string(c->run_id));
    json_object_set_new(entry, "baseline", json_boolean(c->is_baseline));
    if (c->params) json_object_set(entry, "params", c->params);
    if (c->rounds) json_object_set_new(entry, "rounds", json_integer(c->rounds));
    if (c->best_round >= 0 && c->rounds) json_object_set_new(entry, "best_round", json_integer(c->best_round));
    if (c->trials) json_object_set_new(entry, "search", json_pack("{s:I,s:I}", "trials", (json_int_t)c->trials, "pruned", (json_int_t)c->pruned));
    if (c->resumed) json_object_set_new(entry, "resumed", json_true());
    if (c->nested) json_object_set(entry, "nested", c->nested);
    int rc = calibrate_and_threshold(j, c, entry);
    if (rc == 0 && !isnan(c->valid_score) && !c->is_rule) json_object_set_new(entry, "valid_score", json_real(c->valid_score));
    json_object_set_new(entry, "threshold", json_real(c->threshold));
    size_t nm = 0;
    const char *const *names = task_metrics(cfg, &nm);
    cairn_bootstrap_options bo;
    boot_opts(j, &bo);
    for (size_t i = 0; rc == 0 && i < nm; i++) {
        const cairn_metric_info *mi = NULL;
        if ((rc = cairn_metric_lookup(names[i], &mi, j->t.err))) break;
        cairn_metric_data d;
        /* ranking and probability metrics on the calibrated probabilities, the decision
         * metrics at the candidate's threshold */
        metric_data(j, cfg->task == CAIRN_TASK_BINARY ? test_probs(c) : c->pred[CAIRN_PART_TEST], CAIRN_PART_TEST, c->threshold, &d);
        cairn_bootstrap_result br;
        if (cfg->bootstrap > 0) {
            rc = cairn_bootstrap_ci(mi, &d, &bo, &br, j->t.err);
        } else {
            rc = mi->fn(&d, &br.estimate, j->t.err);
            br.ci_low = br.ci_high = NAN;
        }
        if (rc) break;
        json_object_set_new(metrics, names[i], ci_json(&br));
        char key[96];
        snprintf(key, sizeof key, "test_%s", names[i]);
        rc = log_metric(j, c->run_id, key, br.estimate, 0);
    }
    json_object_set_new(entry, "test", metrics);
    if (rc == 0 && cfg->task == CAIRN_TASK_BINARY) {
        cairn_confusion cf;
        rc = cairn_confusion_compute(j->t.yp[CAIRN_PART_TEST], test_probs(c), NULL, (size_t)j->t.nrows[CAIRN_PART_TEST],
                                     c->threshold, &cf, j->t.err);
        if (rc == 0)
            json_object_set_new(entry, "confusion", json_pack("{s:o,s:o,s:o,s:o}", "tn", real_or_null(cf.tn), "fp", real_or_null(cf.fp), "fn", real_or_null(cf.fn), "tp", real_or_null(cf.tp)));
    }
    return rc;
}

/* The best candidate against the baseline: DeLong, McNemar, paired bootstrap, gate. */
static int compare_with_baseline(job *j, candidate *best, candidate *base)
{
    const cairn_train_config *cfg = j->t.cfg;
    cairn_trainer *t = &j->t;
    size_t n = (size_t)t->nrows[CAIRN_PART_TEST];
    json_t *sig = json_object();
    int rc = sig ? 0 : oom(t->err);
    double p_gate = NAN;
    if (rc == 0 && cfg->task == CAIRN_TASK_BINARY) {
        cairn_delong_result dl;
        rc = cairn_delong_test(t->yp[CAIRN_PART_TEST], test_probs(best), test_probs(base), n, cfg->confidence, &dl, t->err);
        if (rc == 0)
            json_object_set_new(sig, "delong", json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "auc", real_or_null(dl.auc1), "baseline_auc", real_or_null(dl.auc2),
                                                         "difference", real_or_null(dl.diff), "z", real_or_null(dl.z), "p_value", real_or_null(dl.p_value), "low",
                                                         real_or_null(dl.ci_low), "high", real_or_null(dl.ci_high)));
        if (rc == 0 && !strcmp(cfg->gate_metric, "roc_auc")) p_gate = dl.p_value;
        double *da = cairn_malloc(n * sizeof *da), *db = cairn_malloc(n * sizeof *db);
        if (rc == 0 && (!da || !db)) rc = oom(t->err);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            da[i] = test_probs(best)[i] >= best->threshold;
            db[i] = test_probs(base)[i] >= base->threshold;
        }
        cairn_mcnemar_result mc;
        if (rc == 0) rc = cairn_mcnemar_test(t->yp[CAIRN_PART_TEST], da, db, n, &mc, t->err);
        if (rc == 0)
            json_object_set_new(sig, "mcnemar", json_pack("{s:I,s:I,s:o,s:o,s:b}", "only_model_right", (json_int_t)mc.b,
                                                          "only_baseline_right", (json_int_t)mc.c, "statistic", real_or_null(mc.statistic),
                                                          "p_value", real_or_null(mc.p_value), "exact", mc.exact));
        cairn_free(da);
        cairn_free(db);
    }
    /* the paired bootstrap of the gate metric's difference */
    const cairn_metric_info *mi = NULL;
    cairn_bootstrap_result br = {0};
    if (rc == 0) rc = cairn_metric_lookup(cfg->gate_metric, &mi, t->err);
    if (rc == 0) {
        cairn_bootstrap_options bo;
        boot_opts(j, &bo);
        if (bo.n_resamples < 200) bo.n_resamples = 200;
        cairn_metric_data d;
        bool probs = cfg->task == CAIRN_TASK_BINARY;
        metric_data(j, probs ? test_probs(best) : best->pred[CAIRN_PART_TEST], CAIRN_PART_TEST, best->threshold, &d);
        rc = cairn_bootstrap_paired(mi, &d, probs ? test_probs(base) : base->pred[CAIRN_PART_TEST], &bo, &br, t->err);
        if (rc == 0)
            json_object_set_new(sig, "paired_bootstrap", json_pack("{s:s,s:o,s:o,s:o,s:o}", "metric", cfg->gate_metric,
                                                                   "difference", real_or_null(br.estimate), "low", real_or_null(br.ci_low), "high",
                                                                   real_or_null(br.ci_high), "p_value", real_or_null(br.p_value)));
    }
    if (rc == 0) {
        if (isnan(p_gate)) p_gate = br.p_value;
        double diff = mi->higher_is_better ? br.estimate : -br.estimate;
        bool pass = diff >= cfg->gate_margin && p_gate < cfg->gate_alpha;
        char reason[256];
        snprintf(reason, sizeof reason, "%s %s the baseline by %.4f (margin %.4f), p = %.3g (alpha %.3g)", best->cfg->name,
                 diff >= 0 ? "beats" : "trails", fabs(diff), cfg->gate_margin, p_gate, cfg->gate_alpha);
        json_object_set_new(j->report, "gate", json_pack("{s:s,s:o,s:o,s:o,s:o,s:b,s:s}", "metric", cfg->gate_metric, "margin",
                                                         real_or_null(cfg->gate_margin), "alpha", real_or_null(cfg->gate_alpha), "difference", real_or_null(diff),
                                                         "p_value", real_or_null(p_gate), "passed", pass, "reason", reason));
        rc = cairn_run_set_tag(t->home, j->run_id, "cairn.gate", pass ? "passed" : "failed", t->err);
        if (rc == 0) rc = cairn_run_set_tag(t->home, j->run_id, "cairn.gate_reason", reason, t->err);
        if (rc == 0) rc = log_metric(j, j->run_id, "gate_difference", diff, 0);
        if (rc == 0) rc = log_metric(j, j->run_id, "gate_p_value", p_gate, 0);
    }
    json_object_set_new(j->report, "significance", sig);
    return rc;
}

/* Segment ids of the test rows by a column's text value (null: "(null)"); *names gets the
 * distinct values in order of first appearance. */
static int segments_of(job *j, const char *column, int32_t **seg, json_t **names)
{
    cairn_trainer *t = &j->t;
    const cairn_column *c = cairn_table_column_by_name(t->data, column);
    if (!c) return cairn_error_set(t->err, CAIRN_EINVAL, "the training set has no column '%s'", column);
    size_t n = (size_t)t->nrows[CAIRN_PART_TEST];
    int32_t *s = cairn_malloc((n + 1) * sizeof *s);
    json_t *list = json_array(), *index = json_object(); /* name -> its position in list */
    cairn_buf b;
    cairn_buf_init(&b, 0);
    if (!s || !list || !index) {
        cairn_free(s);
        json_decref(list);
        json_decref(index);
        return oom(t->err);
    }
    for (size_t i = 0; i < n; i++) {
        cairn_value v;
        cairn_column_get(c, t->rows[CAIRN_PART_TEST][i], &v);
        cairn_buf_reset(&b);
        if (v.is_null) cairn_buf_puts(&b, "(null)");
        else cairn_value_format(&v, NULL, &b);
        const char *name = b.data ? b.data : "";
        json_t *at = json_object_get(index, name);
        size_t k = at ? (size_t)json_integer_value(at) : json_array_size(list);
        if (!at) {
            json_array_append_new(list, json_string(name));
            json_object_set_new(index, name, json_integer((json_int_t)k));
        }
        s[i] = (int32_t)k;
    }
    json_decref(index);
    cairn_buf_release(&b);
    *seg = s;
    *names = list;
    return 0;
}

static int slices(job *j, candidate *c)
{
    const cairn_train_config *cfg = j->t.cfg;
    json_t *out = json_array();
    int rc = out ? 0 : oom(j->t.err);
    size_t nm = 0;
    const char *const *names = task_metrics(cfg, &nm);
    for (size_t s = 0; rc == 0 && s < cfg->nslices; s++) {
        int32_t *seg = NULL;
        json_t *values = NULL;
        rc = segments_of(j, cfg->slices[s].name, &seg, &values);
        cairn_slice_report sr = {0};
        cairn_metric_data d;
        metric_data(j, cfg->task == CAIRN_TASK_BINARY ? test_probs(c) : c->pred[CAIRN_PART_TEST], CAIRN_PART_TEST, c->threshold, &d);
        cairn_bootstrap_options bo;
        boot_opts(j, &bo);
        if (bo.n_resamples > 200) bo.n_resamples = 200; /* per segment: enough for an interval */
        if (rc == 0) rc = cairn_slices_compute(names, nm, &d, seg, json_array_size(values), &bo, &sr, j->t.err);
        json_t *segs = json_array();
        size_t *ord = rc == 0 ? cairn_malloc((sr.n_segments + 1) * sizeof *ord) : NULL;
        if (rc == 0 && !ord) rc = oom(j->t.err);
        for (size_t g = 0; rc == 0 && g <= sr.n_segments; g++) ord[g] = g;
        for (size_t a = 1; rc == 0 && a < sr.n_segments; a++) /* largest segments first */
            for (size_t b = a; b > 0 && sr.rows[ord[b]] > sr.rows[ord[b - 1]]; b--) {
                size_t tmp = ord[b];
                ord[b] = ord[b - 1];
                ord[b - 1] = tmp;
            }
        for (size_t gi = 0; rc == 0 && gi <= sr.n_segments; gi++) {
            size_t g = ord[gi];
            json_t *m = json_object();
            for (size_t k = 0; k < sr.n_metrics; k++)
                json_object_set_new(m, sr.metrics[k]->name, ci_json(&sr.cells[g * sr.n_metrics + k]));
            json_array_append_new(segs, json_pack("{s:s,s:I,s:o,s:o}", "value",
                                                  g < sr.n_segments ? json_string_value(json_array_get(values, g)) : "(all)",
                                                  "rows", (json_int_t)sr.rows[g], "positives", real_or_null(sr.positives ? sr.positives[g] : 0.0),
                                                  "metrics", m));
        }
        cairn_free(ord);
        if (rc == 0) json_array_append_new(out, json_pack("{s:s,s:o}", "slice", cfg->slices[s].name, "segments", segs));
        else json_decref(segs);
        cairn_slice_report_release(&sr);
        cairn_free(seg);
        json_decref(values);
    }
    if (rc == 0) json_object_set_new(j->report, "slices", out);
    else json_decref(out);
    return rc;
}

static int fairness(job *j, candidate *c)
{
    const cairn_train_config *cfg = j->t.cfg;
    if (!cfg->nfairness) return 0;
    if (cfg->task != CAIRN_TASK_BINARY)
        return cairn_error_set(j->t.err, CAIRN_EINVAL, "fairness metrics are for binary tasks");
    size_t n = (size_t)j->t.nrows[CAIRN_PART_TEST];
    json_t *out = json_array();
    double *yhat = cairn_malloc(n * sizeof *yhat);
    int rc = out && yhat ? 0 : oom(j->t.err);
    for (size_t i = 0; rc == 0 && i < n; i++) yhat[i] = test_probs(c)[i] >= c->threshold;
    for (size_t f = 0; rc == 0 && f < cfg->nfairness; f++) {
        const cairn_train_fairness *fa = &cfg->fairness[f];
        int32_t *seg = NULL;
        json_t *values = NULL;
        rc = segments_of(j, fa->attribute, &seg, &values);
        int32_t priv = -1;
        for (size_t g = 0; rc == 0 && g < json_array_size(values); g++)
            if (!strcmp(json_string_value(json_array_get(values, g)), fa->privileged)) priv = (int32_t)g;
        if (rc == 0 && priv < 0)
            rc = cairn_error_set(j->t.err, CAIRN_EINVAL, "fairness: no test row has %s = '%s' (the privileged group)",
                                 fa->attribute, fa->privileged);
        size_t ng = values ? json_array_size(values) : 0;
        cairn_group_rates *gr = rc == 0 ? cairn_calloc(ng, sizeof *gr) : NULL;
        cairn_fairness_report fr;
        if (rc == 0 && !gr) rc = oom(j->t.err);
        if (rc == 0) rc = cairn_fairness_compute(seg, ng, priv, j->t.yp[CAIRN_PART_TEST], yhat, NULL, n, gr, &fr, j->t.err);
        if (rc == 0) {
            json_t *groups = json_array();
            for (size_t g = 0; g < ng; g++)
                json_array_append_new(groups, json_pack("{s:s,s:I,s:o,s:o,s:o}", "value",
                                                        json_string_value(json_array_get(values, g)), "rows",
                                                        (json_int_t)gr[g].rows, "selection_rate", real_or_null(gr[g].selection_rate),
                                                        "tpr", real_or_null(gr[g].tpr), "fpr", real_or_null(gr[g].fpr)));
            json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:o}", "attribute", fa->attribute,
                                  "privileged", fa->privileged, "groups", groups, "demographic_parity_difference",
                                  real_or_null(fr.demographic_parity_difference), "demographic_parity_ratio", real_or_null(fr.demographic_parity_ratio),
                                  "equalized_odds_difference", real_or_null(fr.equalized_odds_difference), "equal_opportunity_difference",
                                  real_or_null(fr.equal_opportunity_difference), "disparate_impact", real_or_null(fr.disparate_impact),
                                  "disparate_impact_flag", fr.disparate_impact < fa->di_threshold,
                                  "statistical_parity_difference", real_or_null(fr.statistical_parity_difference),
                                  "aif360_equal_opportunity_difference", real_or_null(fr.aif_equal_opportunity_difference),
                                  "average_odds_difference", real_or_null(fr.average_odds_difference));
            json_array_append_new(out, o);
        }
        cairn_free(gr);
        cairn_free(seg);
        json_decref(values);
    }
    cairn_free(yhat);
    if (rc == 0) json_object_set_new(j->report, "fairness", out);
    else json_decref(out);
    return rc;
}

/* Mean |SHAP| (xgboost) and permutation importance (any learner) on the first explain_rows
 * test rows; sorted, largest first. */
static int importance(job *j, candidate *c)
{
    const cairn_train_config *cfg = j->t.cfg;
    cairn_trainer *t = &j->t;
    const cairn_matrix *xt = &t->x[CAIRN_PART_TEST];
    int64_t rows = xt->rows < cfg->explain_rows ? xt->rows : cfg->explain_rows;
    cairn_matrix sub = {0};
    int rc = cairn_matrix_init(&sub, rows, xt->cols, (const char *const *)xt->names);
    if (rc) return oom(t->err);
    memcpy(sub.values, xt->values, (size_t)(rows * xt->cols) * sizeof *sub.values);
    json_t *imp = json_object();
    if (rc == 0 && cfg->shap && !strcmp(c->cfg->learner, "xgboost")) {
        double *mean = NULL;
        rc = cairn_model_shap_importance(c->model, &sub, &mean, t->err);
        json_t *arr = json_array();
        for (int64_t f = 0; rc == 0 && f < sub.cols; f++)
            json_array_append_new(arr, json_pack("{s:s,s:o}", "feature", sub.names[f], "value", real_or_null(mean[f])));
        cairn_free(mean);
        json_object_set_new(imp, "shap", arr);
    }
    if (rc == 0 && cfg->permutation && c->model) {
        /* the drop of the selection metric when one column is shuffled (same shuffle for all) */
        const char *metric = cfg->select_metric;
        bool hib = higher_is_better(metric);
        double *pred = NULL, base = NAN;
        int64_t cols = 0;
        cairn_rng rng;
        int64_t *perm = cairn_malloc((size_t)rows * sizeof *perm);
        float *saved = cairn_malloc((size_t)rows * sizeof *saved);
        if (!perm || !saved) rc = oom(t->err);
        for (int64_t i = 0; rc == 0 && i < rows; i++) perm[i] = i;
        cairn_rng_seed(&rng, cfg->seed);
        if (rc == 0) cairn_rng_shuffle(&rng, perm, (size_t)rows);
        /* scores on these rows: the metric data wants the part's labels, so score a prefix */
        cairn_metric_data d;
        if (rc == 0) rc = cairn_model_predict(c->model, &sub, CAIRN_PREDICT_VALUE, &pred, &cols, t->err);
        if (rc == 0) {
            metric_data(j, pred, CAIRN_PART_TEST, c->threshold, &d);
            d.n = (size_t)rows;
            rc = cairn_metric_by_name(metric, &d, &base, t->err);
        }
        cairn_free(pred);
        pred = NULL;
        json_t *arr = json_array();
        for (int64_t f = 0; rc == 0 && f < sub.cols; f++) {
            for (int64_t i = 0; i < rows; i++) saved[i] = sub.values[i * sub.cols + f];
            for (int64_t i = 0; i < rows; i++) sub.values[i * sub.cols + f] = saved[perm[i]];
            double v = NAN;
            rc = cairn_model_predict(c->model, &sub, CAIRN_PREDICT_VALUE, &pred, &cols, t->err);
            if (rc == 0) {
                metric_data(j, pred, CAIRN_PART_TEST, c->threshold, &d);
                d.n = (size_t)rows;
                rc = cairn_metric_by_name(metric, &d, &v, t->err);
            }
            cairn_free(pred);
            pred = NULL;
            for (int64_t i = 0; i < rows; i++) sub.values[i * sub.cols + f] = saved[i];
            json_array_append_new(arr, json_pack("{s:s,s:o}", "feature", sub.names[f], "value", real_or_null(hib ? base - v : v - base)));
        }
        json_object_set_new(imp, "permutation", arr);
        json_object_set_new(imp, "permutation_metric", json_string(metric));
        cairn_free(perm);
        cairn_free(saved);
    }
    cairn_matrix_release(&sub);
    /* largest first */
    const char *k;
    json_t *arr;
    json_object_foreach(imp, k, arr)
    {
        if (!json_is_array(arr)) continue;
        size_t n = json_array_size(arr);
        for (size_t a = 1; a < n; a++) /* insertion sort: a few dozen features */
            for (size_t b = a; b > 0; b--) {
                double x = json_real_value(json_object_get(json_array_get(arr, b - 1), "value"));
                double y = json_real_value(json_object_get(json_array_get(arr, b), "value"));
                if (!(y > x)) break;
                json_t *tmp = json_incref(json_array_get(arr, b - 1));
                json_array_set(arr, b - 1, json_array_get(arr, b));
                json_array_set_new(arr, b, tmp);
            }
    }
    json_object_set_new(j->report, "importance", imp);
    return rc;
}

/* An importance list of a report as names and values (null -> NaN): 0, CAIRN_ENOMEM, or
 * CAIRN_EPARSE when an entry has no feature name. */
static int importance_list(const json_t *arr, const char ***names, double **values, size_t *n)
{
    *n = json_array_size(arr);
    *names = cairn_calloc(*n + 1, sizeof **names);
    *values = cairn_calloc(*n + 1, sizeof **values);
    if (!*names || !*values) return CAIRN_ENOMEM;
    for (size_t i = 0; i < *n; i++) {
        const json_t *e = json_array_get(arr, i), *v = json_object_get(e, "value");
        (*names)[i] = json_string_value(json_object_get(e, "feature"));
        (*values)[i] = json_is_number(v) ? json_number_value(v) : NAN;
        if (!(*names)[i]) return CAIRN_EPARSE;
    }
    return 0;
}

/* How alike this job's importance is to that of the newest earlier finished job of the
 * experiment that has the same kind (SHAP, else permutation): the report's
 * "importance_stability" and the job run's metric importance_spearman. Earlier runs without a
 * readable report are passed over. */
static int importance_stability(job *j)
{
    const json_t *imp = json_object_get(j->report, "importance");
    const char *kind = json_is_array(json_object_get(imp, "shap")) ? "shap"
                       : json_is_array(json_object_get(imp, "permutation")) ? "permutation" : NULL;
    if (!kind) return 0;
    cairn_run_query q = cairn_run_query_default();
    q.experiment = j->t.cfg->experiment;
    q.parent_id = "";
    q.status = CAIRN_RUN_FINISHED;
    q.limit = 20;
    cairn_runs runs = {0};
    int rc = cairn_run_list(j->t.home, &q, &runs, j->t.err);
    const char **na = NULL, **nb = NULL;
    double *va = NULL, *vb = NULL;
    size_t ca = 0, cb = 0;
    if (rc == 0 && importance_list(json_object_get(imp, kind), &na, &va, &ca)) rc = oom(j->t.err); /* ours: well formed */
    bool found = false; /* the newest one is enough */
    for (size_t i = 0; rc == 0 && !found && i < runs.count; i++) {
        if (!strcmp(runs.items[i].id, j->run_id)) continue;
        cairn_buf b;
        cairn_buf_init(&b, 0);
        json_t *prev = NULL;
        cairn_error quiet = {0};
        if (cairn_run_artifact_get(j->t.home, runs.items[i].id, "report.json", &b, &quiet) ||
            cairn_json_parse(b.data, b.len, "report.json", &prev, &quiet)) {
            cairn_buf_release(&b);
            continue;
        }
        cairn_buf_release(&b);
        const json_t *arr = json_object_get(json_object_get(prev, "importance"), kind);
        int lrc = json_is_array(arr) ? importance_list(arr, &nb, &vb, &cb) : CAIRN_EPARSE;
        if (lrc == CAIRN_ENOMEM) rc = oom(j->t.err);
        bool ok = lrc == 0; /* an older report that is not readable is passed over */
        cairn_importance_stability st;
        if (ok && cairn_importance_stability_of(na, va, ca, nb, vb, cb, (size_t)j->t.cfg->top_features, &st, &quiet) == 0) {
            json_object_set_new(j->report, "importance_stability",
                                json_pack("{s:s,s:s,s:I,s:I,s:I,s:o,s:o,s:I,s:I,s:o}", "previous_run", runs.items[i].id,
                                          "kind", kind, "common", (json_int_t)st.common, "only_this", (json_int_t)st.only_a,
                                          "only_previous", (json_int_t)st.only_b, "spearman", real_or_null(st.spearman),
                                          "kendall_tau_b", real_or_null(st.kendall_tau_b), "top_k", (json_int_t)st.top_k,
                                          "top_overlap", (json_int_t)st.top_overlap, "top_jaccard", real_or_null(st.top_jaccard)));
            if (!isnan(st.spearman)) rc = log_metric(j, j->run_id, "importance_spearman", st.spearman, 0);
            say(j, "importance (%s) against run %.12s: Spearman %.3f, top %zu overlap %zu", kind, runs.items[i].id,
                st.spearman, st.top_k, st.top_overlap);
            found = true;
        }
        json_decref(prev);
        cairn_free(nb);
        cairn_free(vb);
        nb = NULL;
        vb = NULL;
    }
    cairn_free(na);
    cairn_free(va);
    cairn_runs_release(&runs);
    return rc;
}

/* The bundle of the chosen model: model bytes, calibrator, encoders, metadata. */
static int save_bundle(job *j, candidate *c)
{
    cairn_trainer *t = &j->t;
    json_t *meta = json_pack("{s:s,s:s,s:s?,s:o,s:s,s:s}", "learner", c->cfg->learner, "task", cairn_task_name(t->cfg->task),
                             "label", t->cfg->label, "threshold", real_or_null(c->threshold), "training_set", t->set_id, "run", c->run_id);
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
    if (c->calibrator) json_object_set_new(meta, "calibrator", cairn_calibrator_to_json(c->calibrator));
    cairn_buf b;
    cairn_buf_init(&b, 0);
    char obj[65];
    if (rc == 0 && cairn_json_dump(meta, CAIRN_JSON_PRETTY, &b)) rc = oom(t->err);
    if (rc == 0) rc = cairn_run_log_artifact(t->home, j->run_id, "model/bundle.json", b.data, b.len, obj, t->err);
    cairn_buf_reset(&b);
    if (rc == 0 && c->model) rc = cairn_model_save(c->model, &b, t->err);
    if (rc == 0 && c->model) rc = cairn_run_log_artifact(t->home, j->run_id, "model/model.cairn", b.data, b.len, obj, t->err);
    cairn_buf_release(&b);
    json_decref(meta);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * The job
 * ---------------------------------------------------------------------------------------- */

static void candidate_release(candidate *c)
{
    cairn_model_free(c->model);
    for (int p = 0; p < CAIRN_PART_COUNT; p++) cairn_free(c->pred[p]);
    cairn_free(c->cal_test);
    cairn_free(c->cal_valid);
    cairn_calibrator_free(c->calibrator);
    json_decref(c->params);
    json_decref(c->report);
    json_decref(c->nested);
}

void cairn_train_options_init(cairn_train_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->resume = true;
}

int cairn_train(cairn_home *home, const cairn_train_config *cfg, const cairn_train_options *opts,
                cairn_train_result *result, cairn_error *err)
{
    if (cfg->task == CAIRN_TASK_CLUSTERING) return cairn__train_clustering(home, cfg, opts, result, err);
    cairn_train_options none;
    cairn_train_options_init(&none);
    if (!opts) opts = &none;
    memset(result, 0, sizeof *result);
    job j = {.opts = opts};
    j.t.home = home;
    j.t.cfg = cfg;
    j.t.err = err;
    clock_gettime(CLOCK_MONOTONIC, &j.wall0);
    j.cpu0 = cpu_seconds();
    j.t.notes = json_array();
    j.report = json_object();
    int rc = j.t.notes && j.report ? 0 : oom(err);
    if (rc == 0) {
        say(&j, "reading the training set %s", cfg->training_set);
        rc = cairn__train_prepare(&j.t);
    }
    if (rc == 0)
        say(&j, "%lld rows: %lld train, %lld validation, %lld calibration, %lld test (%lld dropped); %zu features",
            (long long)cairn_table_num_rows(j.t.data), (long long)j.t.nrows[0], (long long)j.t.nrows[1],
            (long long)j.t.nrows[3], (long long)j.t.nrows[2], (long long)j.t.dropped, j.t.nfeatures);
    bool resumed = false;
    if (rc == 0) rc = cairn__train_job_run(&j.t, opts, j.run_id, &resumed);
    if (rc == 0 && resumed) say(&j, "resuming run %.12s", j.run_id);
    if (rc == 0) rc = cairn__train_log_job_params(&j.t, opts, j.run_id, NULL, 0);
    /* candidates: the learners, then the baseline */
    j.ncands = cfg->nlearners + 1;
    if (rc == 0 && !(j.cands = cairn_calloc(j.ncands, sizeof *j.cands))) rc = oom(err);
    for (size_t i = 0; rc == 0 && i < j.ncands; i++) {
        candidate *c = &j.cands[i];
        c->cfg = i < cfg->nlearners ? &cfg->learners[i] : &cfg->baseline;
        c->is_baseline = i == cfg->nlearners;
        c->is_rule = c->is_baseline && cfg->has_baseline_rule;
        c->best_round = -1;
        c->valid_score = NAN;
        rc = train_candidate(&j, c);
        if (rc == 0 && cfg->nested_outer > 0 && !c->is_baseline) rc = nested_cv(&j, c);
        if (rc == 0 && c->is_rule) rc = score(&j, cfg->select_metric, c->pred[CAIRN_PART_VALID], CAIRN_PART_VALID,
                                              cfg->threshold, &c->valid_score);
        if (rc == 0) rc = evaluate(&j, c);
        if (rc == 0) rc = cairn_run_set_system_info(home, c->run_id, err);
        if (rc == 0) rc = cairn_run_end(home, c->run_id, CAIRN_RUN_FINISHED, err);
        else if (c->run_id[0]) /* a resumed job trains it again; the error stays the job's */
            cairn_run_end(home, c->run_id, rc == CAIRN_ECANCELED ? CAIRN_RUN_KILLED : CAIRN_RUN_FAILED, NULL);
    }
    /* the best learner by the selection metric on validation */
    candidate *best = NULL;
    bool hib = higher_is_better(cfg->select_metric);
    for (size_t i = 0; rc == 0 && i < cfg->nlearners; i++) {
        candidate *c = &j.cands[i];
        if (!best || (hib ? c->valid_score > best->valid_score : c->valid_score < best->valid_score)) best = c;
    }
    if (rc == 0) {
        say(&j, "best: %s; comparing with the baseline on %lld test rows", best->cfg->name, (long long)j.t.nrows[CAIRN_PART_TEST]);
        rc = compare_with_baseline(&j, best, &j.cands[cfg->nlearners]);
    }
    if (rc == 0 && cfg->nslices) rc = slices(&j, best);
    if (rc == 0) rc = fairness(&j, best);
    if (rc == 0 && (cfg->shap || cfg->permutation)) {
        say(&j, "explaining %s", best->cfg->name);
        rc = importance(&j, best);
        if (rc == 0) rc = importance_stability(&j);
    }
    if (rc == 0) rc = save_bundle(&j, best);
    /* the report */
    if (rc == 0) {
        json_t *board = json_array();
        for (size_t i = 0; i < j.ncands; i++) json_array_append(board, j.cands[i].report);
        struct timespec w1;
        clock_gettime(CLOCK_MONOTONIC, &w1);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double wall = (double)(w1.tv_sec - j.wall0.tv_sec) + (w1.tv_nsec - j.wall0.tv_nsec) / 1e9;
        json_object_set_new(j.report, "run", json_string(j.run_id));
        json_object_set_new(j.report, "experiment", json_string(cfg->experiment));
        json_object_set_new(j.report, "training_set", json_string(j.t.set_id));
        json_object_set_new(j.report, "task", json_string(cairn_task_name(cfg->task)));
        json_object_set_new(j.report, "select_metric", json_string(cfg->select_metric));
        json_object_set_new(j.report, "rows", json_pack("{s:I,s:I,s:I,s:I,s:I}", "train", (json_int_t)j.t.nrows[0], "validation",
                                                       (json_int_t)j.t.nrows[1], "calibration", (json_int_t)j.t.nrows[3],
                                                       "test", (json_int_t)j.t.nrows[2], "dropped", (json_int_t)j.t.dropped));
        json_object_set_new(j.report, "best", json_string(best->cfg->name));
        json_object_set_new(j.report, "leaderboard", board);
        json_object_set_new(j.report, "resumed", json_boolean(resumed));
        json_object_set(j.report, "notes", j.t.notes);
        json_object_set_new(j.report, "cost", json_pack("{s:o,s:o,s:I}", "wall_seconds", real_or_null(wall), "cpu_seconds",
                                                       real_or_null(cpu_seconds() - j.cpu0), "peak_rss_kb", (json_int_t)ru.ru_maxrss));
        cairn_buf b;
        cairn_buf_init(&b, 0);
        char obj[65];
        if (cairn_json_dump(j.report, CAIRN_JSON_PRETTY, &b)) rc = oom(err);
        if (rc == 0) rc = cairn_run_log_artifact(home, j.run_id, "report.json", b.data, b.len, obj, err);
        cairn_buf_release(&b);
        if (rc == 0) rc = log_metric(&j, j.run_id, "wall_seconds", wall, 0);
        if (rc == 0) rc = cairn_run_set_tag(home, j.run_id, "cairn.best", best->cfg->name, err);
    }
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
    for (size_t i = 0; j.cands && i < j.ncands; i++) candidate_release(&j.cands[i]);
    cairn_free(j.cands);
    json_decref(j.report);
    json_decref(j.t.notes);
    cairn__train_prepare_release(&j.t);
    return rc;
}

void cairn_train_result_release(cairn_train_result *result)
{
    json_decref(result->report);
    result->report = NULL;
}
