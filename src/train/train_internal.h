/* src/train/train_internal.h: the state of one `cairn train` job, shared by
 * src/train/prepare.c (data, split, encoders, matrices) and src/train/train.c (learners,
 * search, evaluation, report). Not installed. */
#ifndef CAIRN_TRAIN_INTERNAL_H
#define CAIRN_TRAIN_INTERNAL_H

#include "cairn/catalog.h"
#include "cairn/feature.h"
#include "cairn/json.h"
#include "cairn/learn.h"
#include "cairn/runs.h"
#include "cairn/split.h"
#include "cairn/train.h"

typedef struct cairn__train_encoder {
    const char *column;        /* borrowed from the data table */
    cairn_encoder *enc;
    cairn_column *train_oof;   /* TARGET: the training rows' out-of-fold values */
} cairn__train_encoder;

typedef struct cairn_trainer {
    cairn_home *home;
    const cairn_train_config *cfg;
    cairn_error *err;

    cairn_table *data;          /* the training set, plus slice columns */
    char set_id[65];            /* training-set id, or the file's SHA-256 */
    bool set_is_id;
    double *y;                  /* labels of every row (NaN: null) */
    int num_class;
    int64_t positives;          /* rows equal to cfg->positive */
    int64_t *times;             /* the time column's values, or NULL */
    int8_t *part;               /* CAIRN_PART_* per row */
    int64_t *rows[CAIRN_PART_COUNT];  /* row indices of each part */
    int64_t nrows[CAIRN_PART_COUNT];
    int64_t dropped, null_labels;

    const char **inputs;        /* numeric input columns (borrowed) */
    size_t ninputs;
    cairn__train_encoder *encoders;
    size_t nencoders;
    char **features;            /* matrix columns (owned) */
    size_t nfeatures;
    cairn_matrix x[CAIRN_PART_COUNT];
    double *yp[CAIRN_PART_COUNT];
    json_t *notes;              /* things the report should say (strings) */
} cairn_trainer;

int cairn__train_prepare(cairn_trainer *t);

/* src/train/train.c: one progress line through opts->log (nothing without one), and the
 * process's CPU time (user + system) in seconds. */
void cairn__train_say(const cairn_train_options *opts, const char *fmt, ...) CAIRN_PRINTF(2, 3);
double cairn__train_cpu_seconds(void);

/* src/train/train.c: the job run, keyed by the SHA-256 of the configuration's bytes
 * (opts->config_text, else the path) and t->set_id: with opts->resume an unfinished one of the
 * same key is reopened (*resumed), else a new one is created (tag cairn.job = the key). Reaps
 * dead runs first. */
int cairn__train_job_run(cairn_trainer *t, const cairn_train_options *opts, char run_id[33], bool *resumed);
/* What every job run records, in one transaction: params training_set, task, label, seed,
 * cairn_version, git_commit, features, rows.<part>, then `extra`; tag cairn.config. */
int cairn__train_log_job_params(cairn_trainer *t, const cairn_train_options *opts, const char *run_id,
                                const cairn_run_kv *extra, size_t nextra);

/* src/train/train.c: the learner parameters train.c fits l with (objective, classes, rounds,
 * patience, seed, and the cost matrix as class weights in cw), hyper_json borrowed; callbacks
 * and init_model left unset. */
void cairn__train_learner_params(const cairn_trainer *t, const cairn_train_learner *l, const char *hyper_json,
                                 cairn_learner_params *lp, double cw[2]);
/* A metric (include/cairn/metrics.h name) of predictions pred (n scores, or n x num_class
 * probabilities for multiclass) against labels y, at threshold for label metrics. */
int cairn__train_score(const cairn_trainer *t, const char *metric, const double *y, const double *pred, size_t n,
                       double threshold, double *out);

/* src/train/nested.c: nested cross-validation of learner l over the development rows (the
 * training and validation parts), as configured by cfg->nested_*. Outer folds: temporal splits
 * chain forward in time (fold i is tested on the i-th of outer + 1 time blocks after training on
 * the earlier ones), grouped splits keep groups whole, classification is stratified, regression
 * random. For each outer fold, every trial of l's search (or l's fixed parameters alone) is
 * scored by the mean of cfg->select_metric over the inner folds of the outer training rows; the
 * best trial is refitted on all outer training rows and scored on the outer test rows. *out gets
 * {"outer", "inner", "trials", "metric", "folds": [{"fold", "train_rows", "test_rows", "params",
 * "inner_score", "outer_score", "rounds"}], "mean", "std", "inner_mean"} (inner_mean: the mean of
 * the chosen trials' inner scores, the optimistic estimate nested CV corrects). log (may be NULL)
 * gets one line per outer fold. */
int cairn__train_nested(cairn_trainer *t, const cairn_train_learner *l, void (*log)(void *ud, const char *line),
                        void *log_ud, json_t **out);

/* src/train/cluster.c: a whole clustering job (cfg->task == CAIRN_TASK_CLUSTERING): what
 * cairn_train does for it (include/cairn/train.h). */
int cairn__train_clustering(cairn_home *home, const cairn_train_config *cfg, const cairn_train_options *opts,
                            cairn_train_result *result, cairn_error *err);
void cairn__train_prepare_release(cairn_trainer *t);

#endif /* CAIRN_TRAIN_INTERNAL_H */
