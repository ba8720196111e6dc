/* src/train/nested.c: nested cross-validation of one learner of `cairn train`
 * (cairn__train_nested in src/train/train_internal.h).
 *
 * A search that picks its best trial by a score and then reports that score is optimistic:
 * the winner's score is the largest of several noisy estimates. Nested cross-validation keeps
 * choosing and judging apart. The development rows (the training and validation parts, in
 * table order) are cut into outer folds; within each outer fold's training rows every trial
 * is scored by cross-validation over inner folds, and the best trial is refitted on all of the
 * outer training rows and scored on the outer test rows, which took no part in choosing it.
 * The mean of the outer scores estimates what the whole procedure, search included, achieves
 * on new rows; the mean of the chosen trials' inner scores is the optimistic figure it
 * corrects.
 *
 * - Folds (src/train/nested_internal.h): forward chaining in time for temporal splits (with
 *   the split's gap), whole groups for grouped splits, stratified for classification,
 *   shuffled for regression, seeded by the configuration's seed.
 * - Trials: the learner's search (cairn_search_trial_params merged over its fixed params, as
 *   src/train/train.c draws them; nested.trials overrides the count), or its fixed parameters
 *   alone. No pruning: every trial is fitted on every inner fold.
 * - XGBoost: an inner fit stops early on its inner test fold (the learner's patience) and is
 *   cut back to its best round; the outer refit has no validation rows, so it runs the mean
 *   of the rounds the chosen trial's inner models kept, without early stopping.
 * - Loop order outer -> inner -> trial, so each inner fold's matrices are built once.
 * - Deterministic: folds, trials and fits depend only on the configuration and the rows.
 *
 * Tests: tests/unit/train/test_nested.c.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/metrics.h"
#include "cairn/search.h"
#include "train/nested_internal.h"
#include "train/train_internal.h"

static int oom(cairn_error *err)
{
    return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------------------------------------
 * Fold plans
 * ---------------------------------------------------------------------------------------- */

typedef struct keyed_row {
    int64_t key;
    int64_t row;
} keyed_row;

static int cmp_keyed_row(const void *a, const void *b)
{
    const keyed_row *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* Cuts the rows whose mask is CAIRN__NESTED_TRAIN (every row when mask is NULL) into `blocks`
 * contiguous blocks of about equal size in time order, never splitting a run of equal times:
 * block[i] gets the row's block (-1 outside the mask), begin[b] the first time of block b.
 * `what` names the folds in the error. */
static int chain_blocks(const int64_t *times, const int8_t *mask, size_t n, int32_t blocks,
                        int32_t *block, int64_t *begin, const char *what, cairn_error *err)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += !mask || mask[i] == CAIRN__NESTED_TRAIN;
    keyed_row *k = cairn_malloc((m ? m : 1) * sizeof *k);
    if (!k) return oom(err);
    m = 0;
    for (size_t i = 0; i < n; i++) {
        block[i] = -1;
        if (!mask || mask[i] == CAIRN__NESTED_TRAIN) k[m++] = (keyed_row){times[i], (int64_t)i};
    }
    qsort(k, m, sizeof *k, cmp_keyed_row);
    size_t start = 0, distinct = 0;
    for (size_t p = 0; p < m; p++)
        distinct += p == 0 || k[p].key != k[p - 1].key;
    int rc = 0;
    for (int32_t b = 0; b < blocks; b++) {
        if (start == m) {
            rc = cairn_error_set(err, CAIRN_EINVAL,
                                 "the %s need %d time blocks, but %zu rows at %zu distinct times "
                                 "do not make that many",
                                 what, blocks, m, distinct);
            break;
        }
        size_t end =
            b + 1 == blocks ? m : (m * (size_t)(b + 1) + (size_t)blocks / 2) / (size_t)blocks;
        if (end <= start) end = start + 1; /* an earlier run of ties overshot this block's share */
        while (end < m && k[end].key == k[end - 1].key)
            end++;
        begin[b] = k[start].key;
        for (size_t p = start; p < end; p++)
            block[k[p].row] = b;
        start = end;
    }
    cairn_free(k);
    return rc;
}

void cairn__nested_folds_release(cairn__nested_folds *f)
{
    cairn_free(f->outer_block);
    cairn_free(f->outer_begin);
    cairn_free(f->inner_block);
    cairn_free(f->inner_begin);
    memset(f, 0, sizeof *f);
}

void cairn__nested_folds_roles(const cairn__nested_folds *f, int32_t outer, int32_t inner,
                               int8_t *role)
{
    const int32_t *blk = inner < 0 ? f->outer_block : f->inner_block + (size_t)outer * f->n;
    int32_t fold = inner < 0 ? outer : inner;
    if (!f->spec.chained) {
        for (size_t i = 0; i < f->n; i++)
            role[i] = blk[i] < 0       ? CAIRN__NESTED_OUT
                      : blk[i] == fold ? CAIRN__NESTED_TEST
                                       : CAIRN__NESTED_TRAIN;
        return;
    }
    const int64_t *begin =
        inner < 0 ? f->outer_begin : f->inner_begin + (size_t)outer * (size_t)(f->spec.inner + 1);
    int64_t test_begin = begin[fold + 1];
    for (size_t i = 0; i < f->n; i++) {
        int32_t b = blk[i];
        /* earlier blocks end before test_begin, so the difference cannot go negative */
        bool train = b >= 0 && b <= fold && test_begin - f->times[i] >= f->spec.gap_us;
        role[i] = b == fold + 1 ? CAIRN__NESTED_TEST
                  : train       ? CAIRN__NESTED_TRAIN
                                : CAIRN__NESTED_OUT;
    }
}

static int chained_plan(cairn__nested_folds *f, int8_t *role, cairn_error *err)
{
    int32_t no = f->spec.outer, ni = f->spec.inner;
    int rc = chain_blocks(f->times, NULL, f->n, no + 1, f->outer_block, f->outer_begin,
                          "outer folds", err);
    for (int32_t o = 0; rc == 0 && o < no; o++) {
        char what[64];
        snprintf(what, sizeof what, "inner folds of outer fold %d", o + 1);
        cairn__nested_folds_roles(f, o, -1, role);
        rc = chain_blocks(f->times, role, f->n, ni + 1, f->inner_block + (size_t)o * f->n,
                          f->inner_begin + (size_t)o * (size_t)(ni + 1), what, err);
    }
    return rc;
}

static int kfold_plan(cairn__nested_folds *f, const double *y, const int64_t *groups,
                      cairn_error *err)
{
    const cairn__nested_spec *s = &f->spec;
    cairn_kfold_spec ks = {s->kind, s->outer, s->kind != CAIRN_KFOLD_GROUPED, s->seed};
    int rc = cairn_kfold_assign(&ks, y, groups, f->n, f->outer_block, err);
    if (rc) cairn_error_prefix(err, "outer folds: ");
    ks.k = s->inner;
    for (int32_t o = 0; rc == 0 && o < s->outer; o++)
        rc = cairn_nested_inner_folds(&ks, y, groups, f->outer_block, f->n, o,
                                      f->inner_block + (size_t)o * f->n, err);
    return rc;
}

int cairn__nested_folds_init(cairn__nested_folds *f, const cairn__nested_spec *spec,
                             const double *y, const int64_t *times, const int64_t *groups, size_t n,
                             cairn_error *err)
{
    assert(spec->outer >= 2 && spec->inner >= 2 && spec->gap_us >= 0 && (!spec->chained || times));
    memset(f, 0, sizeof *f);
    f->spec = *spec;
    f->n = n;
    f->times = times;
    size_t no = (size_t)spec->outer, cells = n ? n : 1;
    int8_t *role = cairn_malloc(cells);
    f->outer_block = cairn_malloc(cells * sizeof *f->outer_block);
    f->inner_block = cairn_malloc(no * cells * sizeof *f->inner_block);
    if (spec->chained) {
        f->outer_begin = cairn_malloc((no + 1) * sizeof *f->outer_begin);
        f->inner_begin = cairn_malloc(no * (size_t)(spec->inner + 1) * sizeof *f->inner_begin);
    }
    int rc = 0;
    if (!role || !f->outer_block || !f->inner_block ||
        (spec->chained && (!f->outer_begin || !f->inner_begin)))
        rc = oom(err);
    if (rc == 0) rc = spec->chained ? chained_plan(f, role, err) : kfold_plan(f, y, groups, err);
    cairn_free(role);
    if (rc) cairn__nested_folds_release(f);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * The development rows and the rows of one fold
 * ---------------------------------------------------------------------------------------- */

typedef struct dev_rows {
    size_t n;
    cairn_matrix x; /* the training and validation parts' rows, in table order */
    double *y;
    int64_t *row;    /* the row in the training set */
    int64_t *times;  /* temporal splits, else NULL */
    int64_t *groups; /* grouped splits, else NULL */
} dev_rows;

static void dev_release(dev_rows *d)
{
    cairn_matrix_release(&d->x);
    cairn_free(d->y);
    cairn_free(d->row);
    cairn_free(d->times);
    cairn_free(d->groups);
}

/* Group ids of the development rows: a hash of each value's text, as src/train/prepare.c
 * makes them (equal values, equal ids; null is a group of its own). */
static int dev_groups(cairn_trainer *t, dev_rows *d)
{
    const char *name = t->cfg->group_column;
    const cairn_column *c = name && t->data ? cairn_table_column_by_name(t->data, name) : NULL;
    if (!c)
        return cairn_error_set(t->err, CAIRN_EINVAL,
                               "nested cross-validation of a grouped split: the training set "
                               "has no group column '%s'",
                               name ? name : "");
    if (!(d->groups = cairn_malloc((d->n ? d->n : 1) * sizeof *d->groups))) return oom(t->err);
    cairn_buf b;
    cairn_buf_init(&b, 0);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < d->n; i++) {
        cairn_value v;
        cairn_column_get(c, d->row[i], &v);
        cairn_buf_reset(&b);
        if (!v.is_null && cairn_value_format(&v, NULL, &b)) rc = oom(t->err);
        d->groups[i] = v.is_null ? -1 : (int64_t)(cairn_hash64(b.data, b.len, 0) >> 1);
    }
    cairn_buf_release(&b);
    return rc;
}

/* Merges the training and validation parts (each in table order) into one matrix. */
static int dev_init(cairn_trainer *t, dev_rows *d)
{
    const cairn_matrix *a = &t->x[CAIRN_PART_TRAIN], *b = &t->x[CAIRN_PART_VALID];
    size_t na = (size_t)t->nrows[CAIRN_PART_TRAIN], nb = (size_t)t->nrows[CAIRN_PART_VALID];
    size_t cols = (size_t)a->cols;
    assert(nb == 0 || b->cols == a->cols);
    memset(d, 0, sizeof *d);
    d->n = na + nb;
    if (cairn_matrix_init(&d->x, (int64_t)d->n, a->cols, (const char *const *)a->names))
        return oom(t->err);
    d->y = cairn_malloc((d->n ? d->n : 1) * sizeof *d->y);
    d->row = cairn_malloc((d->n ? d->n : 1) * sizeof *d->row);
    if (!d->y || !d->row) return oom(t->err);
    for (size_t r = 0, i = 0, j = 0; r < d->n; r++) {
        bool from_a =
            j >= nb || (i < na && t->rows[CAIRN_PART_TRAIN][i] < t->rows[CAIRN_PART_VALID][j]);
        int part = from_a ? CAIRN_PART_TRAIN : CAIRN_PART_VALID;
        size_t at = from_a ? i++ : j++;
        memcpy(d->x.values + r * cols, (from_a ? a : b)->values + at * cols,
               cols * sizeof *d->x.values);
        d->y[r] = t->yp[part][at];
        d->row[r] = t->rows[part][at];
    }
    if (t->cfg->split == CAIRN_SPLIT_TEMPORAL) {
        if (!t->times)
            return cairn_error_set(t->err, CAIRN_EINVAL,
                                   "nested cross-validation of a temporal split needs the "
                                   "time column");
        if (!(d->times = cairn_malloc((d->n ? d->n : 1) * sizeof *d->times))) return oom(t->err);
        for (size_t r = 0; r < d->n; r++)
            d->times[r] = t->times[d->row[r]];
    }
    return t->cfg->split == CAIRN_SPLIT_GROUP ? dev_groups(t, d) : 0;
}

typedef struct fold_rows {
    size_t n;
    cairn_matrix x;
    double *y;
} fold_rows;

static void fold_release(fold_rows *f)
{
    cairn_matrix_release(&f->x);
    cairn_free(f->y);
    memset(f, 0, sizeof *f);
}

/* The development rows whose role is `want`, copied out. */
static int fold_take(cairn_trainer *t, const dev_rows *d, const int8_t *role, int8_t want,
                     fold_rows *out)
{
    size_t cols = (size_t)d->x.cols;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < d->n; i++)
        out->n += role[i] == want;
    if (cairn_matrix_init(&out->x, (int64_t)out->n, d->x.cols, (const char *const *)d->x.names) ||
        !(out->y = cairn_malloc((out->n ? out->n : 1) * sizeof *out->y))) {
        fold_release(out);
        return oom(t->err);
    }
    for (size_t i = 0, k = 0; i < d->n; i++) {
        if (role[i] != want) continue;
        memcpy(out->x.values + k * cols, d->x.values + i * cols, cols * sizeof *out->x.values);
        out->y[k++] = d->y[i];
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Trials
 * ---------------------------------------------------------------------------------------- */

typedef struct trial_set {
    size_t count;
    json_t **params; /* each trial's parameters: the learner's fixed ones, the trial's over them */
    char **hyper;    /* their JSON text */
} trial_set;

static void trials_release(trial_set *ts)
{
    for (size_t i = 0; i < ts->count; i++) {
        json_decref(ts->params[i]);
        cairn_free(ts->hyper[i]);
    }
    cairn_free(ts->params);
    cairn_free(ts->hyper);
    memset(ts, 0, sizeof *ts);
}

/* How many trials: nested.trials, else the search's; a grid has at most its size. */
static int trial_count(cairn_trainer *t, const cairn_train_learner *l,
                       const cairn_search_space *space, cairn_sampler sampler, int64_t *out)
{
    *out = t->cfg->nested_trials ? t->cfg->nested_trials : l->search.trials;
    if (sampler == CAIRN_SAMPLER_GRID) {
        int64_t g = 0;
        int rc = cairn_search_grid_size(space, &g, t->err);
        if (rc) return rc;
        if (*out == 0 || *out > g) *out = g;
    }
    if (*out < 1)
        return cairn_error_set(t->err, CAIRN_EINVAL, "learner '%s': the search has no trials",
                               l->name);
    return 0;
}

/* Trial `number`'s parameters over the learner's fixed ones (train.c's run_trial does the
 * same, so trial i here is trial i of the learner's search). */
static int trial_params(cairn_trainer *t, const cairn_train_learner *l,
                        const cairn_search_space *space, cairn_sampler sampler, int64_t number,
                        json_t **out)
{
    cairn_buf pj;
    cairn_buf_init(&pj, 0);
    json_t *sampled = NULL;
    *out = NULL;
    int rc = cairn_search_trial_params(space, sampler, t->cfg->seed, number, &pj, t->err);
    if (rc == 0) rc = cairn_json_parse(pj.data, pj.len, "trial parameters", &sampled, t->err);
    if (rc == 0 && (!(*out = json_deep_copy(l->params)) || json_object_update(*out, sampled)))
        rc = oom(t->err);
    json_decref(sampled);
    cairn_buf_release(&pj);
    return rc;
}

static int trials_init(cairn_trainer *t, const cairn_train_learner *l, trial_set *ts)
{
    memset(ts, 0, sizeof *ts);
    cairn_search_space *space = NULL;
    cairn_sampler sampler = CAIRN_SAMPLER_RANDOM;
    int64_t count = 1;
    int rc = 0;
    if (l->has_search) {
        rc = cairn_search_space_parse(l->search.space, &space, t->err);
        if (rc) cairn_error_prefix(t->err, "learner '%s': search space: ", l->name);
        if (rc == 0 && cairn_sampler_parse(l->search.sampler, &sampler))
            rc = cairn_error_set(t->err, CAIRN_EINVAL, "learner '%s': unknown sampler '%s'",
                                 l->name, l->search.sampler);
        if (rc == 0) rc = trial_count(t, l, space, sampler, &count);
    }
    if (rc == 0 && (!(ts->params = cairn_calloc((size_t)count, sizeof *ts->params)) ||
                    !(ts->hyper = cairn_calloc((size_t)count, sizeof *ts->hyper))))
        rc = oom(t->err);
    for (int64_t i = 0; rc == 0 && i < count; i++) {
        ts->count = (size_t)i + 1;
        if (space)
            rc = trial_params(t, l, space, sampler, i, &ts->params[i]);
        else if (!(ts->params[i] = json_deep_copy(l->params)))
            rc = oom(t->err);
        cairn_buf b;
        cairn_buf_init(&b, 0);
        if (rc == 0 &&
            (cairn_json_dump(ts->params[i], 0, &b) || !(ts->hyper[i] = cairn_buf_detach(&b, NULL))))
            rc = oom(t->err);
        cairn_buf_release(&b);
    }
    cairn_search_space_free(space);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Fitting and scoring
 * ---------------------------------------------------------------------------------------- */

typedef struct nested {
    cairn_trainer *t;
    const cairn_train_learner *l;
    void (*log)(void *ud, const char *line);
    void *log_ud;
    bool xgb, hib;
    int32_t outer, inner;
    dev_rows dev;
    cairn__nested_folds folds;
    trial_set trials;
    int8_t *role;
    double *inner_score; /* trials x inner: the selection metric of each trial on each inner fold */
    int64_t *inner_kept; /* trials x inner: the rounds each inner model kept (xgboost) */
    double *outer_score; /* outer: the chosen trial's outer test score */
    double *chosen_inner; /* outer: the chosen trial's mean inner score */
} nested;

/* Fits hyper on tr and scores the selection metric on te. An inner fit (refit_rounds 0)
 * of xgboost stops early on te; an outer refit (xgboost: refit_rounds > 0) sees no te.
 * *kept gets the rounds the model kept (0 for learners without rounds). */
static int fit_score(nested *nc, const char *hyper, const fold_rows *tr, const fold_rows *te,
                     int64_t refit_rounds, double *score, int64_t *kept)
{
    cairn_trainer *t = nc->t;
    cairn_learner_params lp;
    double cw[2];
    cairn__train_learner_params(t, nc->l, hyper, &lp, cw);
    if (refit_rounds > 0) {
        lp.rounds = refit_rounds;
        lp.early_stopping_rounds = 0; /* the refit's hyper has no early_stopping_rounds either */
    }
    cairn_learn_data dtr = {&tr->x, tr->y, NULL}, dte = {&te->x, te->y, NULL};
    cairn_model *m = NULL;
    double *pred = NULL;
    int64_t cols = 0;
    int rc = cairn_model_fit(&dtr, nc->xgb && refit_rounds == 0 ? &dte : NULL, &lp, &m, t->err);
    if (rc == 0) rc = cairn_model_predict(m, &te->x, CAIRN_PREDICT_VALUE, &pred, &cols, t->err);
    if (rc == 0)
        rc = cairn__train_score(t, t->cfg->select_metric, te->y, pred, te->n, t->cfg->threshold,
                                score);
    if (rc == 0) {
        cairn_model_info info;
        cairn_model_info_get(m, &info);
        *kept = nc->xgb ? info.rounds : 0;
    }
    cairn_free(pred);
    cairn_model_free(m);
    return rc;
}

/* "outer fold 2 of 5" or "inner fold 1 of 3 of outer fold 2 of 5". */
static void fold_name(const nested *nc, int32_t o, int32_t i, char *out, size_t cap)
{
    if (i < 0)
        snprintf(out, cap, "outer fold %d of %d", o + 1, nc->outer);
    else
        snprintf(out, cap, "inner fold %d of %d of outer fold %d of %d", i + 1, nc->inner, o + 1,
                 nc->outer);
}

/* Both sides of the fold in nc->role hold rows and, for a binary task, both classes. */
static int check_fold(nested *nc, int32_t o, int32_t i)
{
    static const char *const side[2] = {"training", "test"};
    for (int s = CAIRN__NESTED_TRAIN; s <= CAIRN__NESTED_TEST; s++) {
        int64_t rows = 0, pos = 0;
        for (size_t r = 0; r < nc->dev.n; r++)
            if (nc->role[r] == s) {
                rows++;
                pos += nc->dev.y[r] == 1;
            }
        bool one_class = nc->t->cfg->task == CAIRN_TASK_BINARY && (pos == 0 || pos == rows);
        if (rows && !one_class) continue;
        char where[96];
        fold_name(nc, o, i, where, sizeof where);
        if (!rows)
            return cairn_error_set(nc->t->err, CAIRN_EINVAL,
                                   "nested cross-validation of learner '%s': %s has no %s "
                                   "rows; use fewer folds",
                                   nc->l->name, where, side[s]);
        return cairn_error_set(nc->t->err, CAIRN_EINVAL,
                               "nested cross-validation of learner '%s': the %s rows of %s "
                               "hold only one class (%lld of %lld positive); use fewer folds",
                               nc->l->name, side[s], where, (long long)pos, (long long)rows);
    }
    return 0;
}

/* Every trial on inner fold i of outer fold o. */
static int inner_fold(nested *nc, int32_t o, int32_t i)
{
    cairn__nested_folds_roles(&nc->folds, o, i, nc->role);
    int rc = check_fold(nc, o, i);
    fold_rows tr, te;
    if (rc == 0) rc = fold_take(nc->t, &nc->dev, nc->role, CAIRN__NESTED_TRAIN, &tr);
    if (rc) return rc;
    if ((rc = fold_take(nc->t, &nc->dev, nc->role, CAIRN__NESTED_TEST, &te))) {
        fold_release(&tr);
        return rc;
    }
    for (size_t j = 0; rc == 0 && j < nc->trials.count; j++) {
        size_t at = j * (size_t)nc->inner + (size_t)i;
        rc = fit_score(nc, nc->trials.hyper[j], &tr, &te, 0, &nc->inner_score[at],
                       &nc->inner_kept[at]);
        if (rc)
            cairn_error_prefix(
                nc->t->err,
                "nested cross-validation of learner '%s', trial %zu on inner fold %d of "
                "outer fold %d: ",
                nc->l->name, j, i + 1, o + 1);
    }
    fold_release(&tr);
    fold_release(&te);
    return rc;
}

/* The trial with the best mean inner score (NaN skipped, ties to the lower number). */
static int choose_trial(nested *nc, int32_t o, size_t *best, double *best_score)
{
    *best_score = NAN;
    for (size_t j = 0; j < nc->trials.count; j++) {
        double sum = 0;
        for (int32_t i = 0; i < nc->inner; i++)
            sum += nc->inner_score[j * (size_t)nc->inner + (size_t)i];
        double mean = sum / nc->inner;
        if (isnan(mean)) continue;
        if (isnan(*best_score) || (nc->hib ? mean > *best_score : mean < *best_score)) {
            *best = j;
            *best_score = mean;
        }
    }
    if (isnan(*best_score))
        return cairn_error_set(nc->t->err, CAIRN_EINVAL,
                               "nested cross-validation of learner '%s', outer fold %d: "
                               "no trial has a defined inner %s",
                               nc->l->name, o + 1, nc->t->cfg->select_metric);
    return 0;
}

/* The refit's hyper-parameters: the trial's, less xgboost's early_stopping_rounds (no
 * validation rows to stop on). */
static int refit_hyper(nested *nc, size_t trial, char **out)
{
    json_t *p = json_deep_copy(nc->trials.params[trial]);
    cairn_buf b;
    cairn_buf_init(&b, 0);
    *out = NULL;
    if (p) json_object_del(p, "early_stopping_rounds");
    int rc = p && cairn_json_dump(p, 0, &b) == 0 && (*out = cairn_buf_detach(&b, NULL))
                 ? 0
                 : oom(nc->t->err);
    cairn_buf_release(&b);
    json_decref(p);
    return rc;
}

/* A real, or null where it is not a number (JSON has no NaN). */
static json_t *real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static void say(const nested *nc, const char *fmt, ...) CAIRN_PRINTF(2, 3);
static void say(const nested *nc, const char *fmt, ...)
{
    if (!nc->log) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    nc->log(nc->log_ud, line);
}

/* Outer fold o: the trials on its inner folds, the best refitted and scored on its test rows;
 * its report entry is appended to folds. */
static int outer_fold(nested *nc, int32_t o, json_t *folds)
{
    int rc = 0;
    for (int32_t i = 0; rc == 0 && i < nc->inner; i++)
        rc = inner_fold(nc, o, i);
    size_t best = 0;
    double inner_mean = NAN;
    if (rc == 0) rc = choose_trial(nc, o, &best, &inner_mean);
    if (rc) return rc;
    int64_t rounds = 0;
    if (nc->xgb) { /* the mean of the rounds the chosen trial's inner models kept */
        double sum = 0;
        for (int32_t i = 0; i < nc->inner; i++)
            sum += (double)nc->inner_kept[best * (size_t)nc->inner + (size_t)i];
        rounds = (int64_t)llround(sum / nc->inner);
        if (rounds < 1) rounds = 1;
    }
    cairn__nested_folds_roles(&nc->folds, o, -1, nc->role);
    fold_rows tr = {0}, te = {0};
    char *hyper = NULL;
    double score = NAN;
    int64_t kept = 0;
    rc = check_fold(nc, o, -1);
    if (rc == 0) rc = fold_take(nc->t, &nc->dev, nc->role, CAIRN__NESTED_TRAIN, &tr);
    if (rc == 0) rc = fold_take(nc->t, &nc->dev, nc->role, CAIRN__NESTED_TEST, &te);
    if (rc == 0) rc = nc->xgb ? refit_hyper(nc, best, &hyper) : 0;
    if (rc == 0)
        rc = fit_score(nc, nc->xgb ? hyper : nc->trials.hyper[best], &tr, &te, rounds, &score,
                       &kept);
    if (rc)
        cairn_error_prefix(nc->t->err,
                           "nested cross-validation of learner '%s', refit on outer fold %d: ",
                           nc->l->name, o + 1);
    json_t *entry = NULL;
    if (rc == 0) {
        entry = json_pack("{s:i,s:I,s:I,s:o,s:o,s:o,s:o}", "fold", (int)o + 1, "train_rows",
                          (json_int_t)tr.n, "test_rows", (json_int_t)te.n, "params",
                          json_deep_copy(nc->trials.params[best]), "inner_score",
                          real_or_null(inner_mean), "outer_score", real_or_null(score), "rounds",
                          nc->xgb ? json_integer(rounds) : json_null());
        if (!entry || json_array_append_new(folds, entry)) rc = oom(nc->t->err);
    }
    if (rc == 0) {
        nc->outer_score[o] = score;
        nc->chosen_inner[o] = inner_mean;
        if (nc->trials.count > 1 || nc->l->has_search)
            say(nc,
                "  %s nested fold %d/%d: %s %.5f on %zu test rows (inner %.5f, trial %zu of %zu "
                "chosen)",
                nc->l->name, o + 1, nc->outer, nc->t->cfg->select_metric, score, te.n, inner_mean,
                best, nc->trials.count);
        else
            say(nc, "  %s nested fold %d/%d: %s %.5f on %zu test rows (inner %.5f)", nc->l->name,
                o + 1, nc->outer, nc->t->cfg->select_metric, score, te.n, inner_mean);
    }
    cairn_free(hyper);
    fold_release(&tr);
    fold_release(&te);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * The whole nested cross-validation
 * ---------------------------------------------------------------------------------------- */

/* The fold plan of the development rows. */
static int plan_folds(nested *nc)
{
    cairn_trainer *t = nc->t;
    const cairn_train_config *cfg = t->cfg;
    cairn__nested_spec spec = {.kind = cfg->split == CAIRN_SPLIT_GROUP ? CAIRN_KFOLD_GROUPED
                                       : cfg->task == CAIRN_TASK_REGRESSION
                                           ? CAIRN_KFOLD_PLAIN
                                           : CAIRN_KFOLD_STRATIFIED,
                               .chained = cfg->split == CAIRN_SPLIT_TEMPORAL,
                               .outer = nc->outer,
                               .inner = nc->inner,
                               .seed = cfg->seed};
    int rc = 0;
    if (spec.chained && cfg->split_config) { /* the split's gap holds between folds too */
        cairn_temporal_split ts;
        rc = cairn_temporal_split_parse(cfg->split_config, &ts, t->err);
        if (rc == 0) spec.gap_us = ts.gap_us;
    }
    if (rc == 0)
        rc = cairn__nested_folds_init(&nc->folds, &spec, nc->dev.y, nc->dev.times, nc->dev.groups,
                                      nc->dev.n, t->err);
    if (rc)
        cairn_error_prefix(t->err,
                           "nested cross-validation of learner '%s' over %zu rows: ", nc->l->name,
                           nc->dev.n);
    return rc;
}

static int nested_init(nested *nc)
{
    cairn_trainer *t = nc->t;
    const cairn_metric_info *mi = NULL;
    int rc = cairn_metric_lookup(t->cfg->select_metric, &mi, t->err);
    if (rc) return rc;
    nc->hib = mi->higher_is_better;
    nc->xgb = !strcmp(nc->l->learner, "xgboost");
    if (t->cfg->nested_outer < 2 || t->cfg->nested_inner < 2 || t->cfg->nested_outer > INT32_MAX ||
        t->cfg->nested_inner > INT32_MAX)
        return cairn_error_set(t->err, CAIRN_EINVAL,
                               "nested cross-validation needs at least 2 outer and 2 inner "
                               "folds (nested: {outer: %lld, inner: %lld})",
                               (long long)t->cfg->nested_outer, (long long)t->cfg->nested_inner);
    nc->outer = (int32_t)t->cfg->nested_outer;
    nc->inner = (int32_t)t->cfg->nested_inner;
    rc = dev_init(t, &nc->dev);
    if (rc == 0) rc = plan_folds(nc);
    if (rc == 0) rc = trials_init(t, nc->l, &nc->trials);
    if (rc) return rc;
    size_t cells = nc->trials.count * (size_t)nc->inner;
    nc->role = cairn_malloc(nc->dev.n ? nc->dev.n : 1);
    nc->inner_score = cairn_calloc(cells, sizeof *nc->inner_score);
    nc->inner_kept = cairn_calloc(cells, sizeof *nc->inner_kept);
    nc->outer_score = cairn_calloc((size_t)nc->outer, sizeof *nc->outer_score);
    nc->chosen_inner = cairn_calloc((size_t)nc->outer, sizeof *nc->chosen_inner);
    if (!nc->role || !nc->inner_score || !nc->inner_kept || !nc->outer_score || !nc->chosen_inner)
        return oom(t->err);
    return 0;
}

static void nested_release(nested *nc)
{
    dev_release(&nc->dev);
    cairn__nested_folds_release(&nc->folds);
    trials_release(&nc->trials);
    cairn_free(nc->role);
    cairn_free(nc->inner_score);
    cairn_free(nc->inner_kept);
    cairn_free(nc->outer_score);
    cairn_free(nc->chosen_inner);
}

/* The report: the settings, the folds, and the mean and population deviation of the outer
 * scores beside the mean of the chosen trials' inner scores. */
static json_t *summary(const nested *nc, json_t *folds)
{
    double sum = 0, inner_sum = 0, sq = 0;
    for (int32_t o = 0; o < nc->outer; o++) {
        sum += nc->outer_score[o];
        inner_sum += nc->chosen_inner[o];
    }
    double mean = sum / nc->outer;
    for (int32_t o = 0; o < nc->outer; o++)
        sq += (nc->outer_score[o] - mean) * (nc->outer_score[o] - mean);
    return json_pack("{s:I,s:I,s:I,s:s,s:o,s:o,s:o,s:o}", "outer", (json_int_t)nc->outer, "inner",
                     (json_int_t)nc->inner, "trials", (json_int_t)nc->trials.count, "metric",
                     nc->t->cfg->select_metric, "folds", folds, "mean", real_or_null(mean), "std",
                     real_or_null(sqrt(sq / nc->outer)), "inner_mean",
                     real_or_null(inner_sum / nc->outer));
}

int cairn__train_nested(cairn_trainer *t, const cairn_train_learner *l,
                        void (*log)(void *ud, const char *line), void *log_ud, json_t **out)
{
    *out = NULL;
    nested nc = {.t = t, .l = l, .log = log, .log_ud = log_ud};
    int rc = nested_init(&nc);
    json_t *folds = rc == 0 ? json_array() : NULL;
    if (rc == 0 && !folds) rc = oom(t->err);
    for (int32_t o = 0; rc == 0 && o < nc.outer; o++)
        rc = outer_fold(&nc, o, folds);
    json_t *res = NULL;
    if (rc == 0) { /* summary takes folds, even when it fails */
        if (!(res = summary(&nc, folds))) rc = oom(t->err);
    } else {
        json_decref(folds);
    }
    nested_release(&nc);
    if (rc == 0) *out = res;
    return rc;
}
