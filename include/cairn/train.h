/* cairn/train.h: training configurations and `cairn train` (issue 6).
 *
 * One YAML file describes a training job: the training set, the label and the features, the
 * split, the learners (each with an optional search), the baseline and its gate, the
 * metrics, costs, calibration, slices, fairness and explanations. cairn_train_config_parse
 * checks all of it up front and names file, line and key in every error; cairn_train runs it
 * (src/train/train.c) and records everything as runs (include/cairn/runs.h).
 *
 * The format, with every key and its default: docs/train.md. Example:
 * examples/flights/train.yaml.
 */
#ifndef CAIRN_TRAIN_H
#define CAIRN_TRAIN_H

#include <jansson.h>

#include "core.h"
#include "metrics.h" /* cairn_calibration_method */

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cairn_task {
    CAIRN_TASK_BINARY = 1,
    CAIRN_TASK_MULTICLASS = 2,
    CAIRN_TASK_REGRESSION = 3,
    CAIRN_TASK_CLUSTERING = 4,
} cairn_task;

typedef enum cairn_split_kind {
    CAIRN_SPLIT_TEMPORAL = 1, /* by time ranges, with an optional gap */
    CAIRN_SPLIT_RANDOM = 2,   /* shuffled fractions */
    CAIRN_SPLIT_STRATIFIED = 3, /* fractions, class proportions kept */
    CAIRN_SPLIT_GROUP = 4,    /* fractions by entity group: no group in two parts */
} cairn_split_kind;

typedef struct cairn_train_search {
    const char *sampler;   /* "random" (default) or "grid" */
    int64_t trials;        /* random: how many (default 10); grid: at most (0 = all) */
    const char *pruner;    /* "none", "asha" (default for xgboost) or "median" */
    json_t *space;         /* the search space (include/cairn/search.h), owned */
} cairn_train_search;

typedef struct cairn_train_learner {
    const char *name;      /* unique within the file; defaults to the learner kind */
    const char *learner;   /* "xgboost", "logistic", "linear" or "kmeans" */
    json_t *params;        /* fixed hyper-parameters (an object, owned; never NULL) */
    int64_t rounds;        /* xgboost: most boosting rounds (default 500) */
    int64_t early_stopping;/* xgboost: patience in rounds on the validation set (default 20; 0 off) */
    int64_t checkpoint_every; /* xgboost: 0 = auto (with a search or at least 1,000 rounds: at
                                 rounds/4^k, k >= 1, of at least 8 rounds), -1 = none,
                                 N = every N rounds */
    bool has_search;
    cairn_train_search search;
} cairn_train_learner;

typedef struct cairn_train_slice {
    const char *name;      /* the slice's name in reports */
    const char *column;    /* the training-set column it is computed from */
    /* optional lookup: the value of `value` in `file` (CSV, JSON Lines or Parquet) on the row
     * whose `key` equals the column's value (e.g. an airport's state) */
    const char *lookup_file, *lookup_key, *lookup_value;
    /* optional, numbers: segments cut at these ascending edges: "<= e1", "(e1, e2]", ...,
     * "> ek" */
    double *bins;
    size_t nbins;
    /* optional: the column's text mapped to segment names (e.g. a personal status to a sex);
     * values not listed keep their text */
    const char **map_from, **map_to;
    size_t nmap;
} cairn_train_slice;

typedef struct cairn_train_fairness {
    const char *attribute; /* a column or a slice name */
    const char *privileged;/* the privileged group's value (AIF360's metrics need one) */
    double di_threshold;   /* disparate impact below this is flagged (default 0.8) */
} cairn_train_fairness;

typedef struct cairn_train_config {
    const char *path;           /* the file it came from */
    const char *experiment;     /* default: the file's base name */
    const char *training_set;   /* a Parquet/CSV path, or a training-set id (prefix) */
    cairn_task task;
    const char *label;
    const char *positive;       /* a text label: the value that is class 1 (binary) */
    const char *time_column;    /* needed by temporal splits */
    const char **features;      /* explicit feature columns, or NULL = all the rest */
    size_t nfeatures;
    const char **exclude;       /* columns never used as features (keys, times) */
    size_t nexclude;
    uint64_t seed;              /* default 42 */

    /* split: the kind and its configuration object (owned), read by include/cairn/split.h:
     *   temporal: {train: [from, to], validation: [...], test: [...], gap: 1d} or
     *             {fractions: [0.7, 0.15, 0.15]} (cairn_temporal_split_parse);
     *   random | stratified | grouped: {k: 5, group: column} folds of which fold 0 is the
     *             test part, fold 1 validation, the rest training (a held-out split made of
     *             k-fold assignments, so stratification and grouping hold). */
    cairn_split_kind split;
    json_t *split_config;
    int64_t folds;              /* non-temporal kinds: k (default 5) */
    const char *group_column;   /* grouped */

    bool calibrate;             /* binary tasks; default on (Platt) */
    cairn_calibration_method calibration;
    double calibration_fraction;/* of the validation rows, the latest in time (default 0.5) */

    cairn_train_learner *learners;
    size_t nlearners;

    /* baseline: a learner, or a business rule (score = the column's value; positive when
     * above the threshold) */
    bool has_baseline_rule;
    cairn_train_learner baseline;
    const char *rule_column;
    double rule_threshold;

    const char *gate_metric;    /* default roc_auc (rmse for regression) */
    double gate_margin;         /* the candidate must beat the baseline by this much (default 0) */
    double gate_alpha;          /* ... with significance at this level (default 0.05) */

    const char **metrics;       /* reported metrics (default: every one for the task) */
    size_t nmetrics;
    const char *select_metric;  /* picks the best trial and learner on validation (default:
                                   the gate metric) */

    bool has_costs;             /* a cost matrix (binary) */
    double cost_fp, cost_fn, cost_tp, cost_tn;
    double threshold;           /* without costs: the decision threshold (default 0.5) */

    cairn_train_slice *slices;
    size_t nslices;
    cairn_train_fairness *fairness;
    size_t nfairness;

    int64_t bootstrap;          /* resamples for confidence intervals (default 1000) */
    double confidence;          /* default 0.95 */

    bool shap, permutation;     /* explanations (default both on) */
    int64_t explain_rows;       /* rows of the test set they use (default 2000) */
    int64_t top_features;       /* how many the leaderboard shows (default 10) */

    /* nested cross-validation of each learner's search (0 = off): `outer` folds over the
     * training and validation rows, each tuned by `inner`-fold cross-validation over `trials`
     * trials (default: the learner's search trials) */
    int64_t nested_outer, nested_inner, nested_trials;

    void *priv;                 /* the arena and the YAML document */
} cairn_train_config;

int cairn_train_config_parse(const char *data, size_t len, const char *name,
                             cairn_train_config **out, cairn_error *err);
int cairn_train_config_load(const char *path, cairn_train_config **out, cairn_error *err);
void cairn_train_config_free(cairn_train_config *cfg);
const char *cairn_task_name(cairn_task task);

/* ------------------------------------------------------------------------------------------
 * Running a training job (src/train/train.c)
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_home cairn_home;

typedef struct cairn_train_options {
    const char *config_text;    /* the configuration's bytes: with the training set they key
                                   the job for resuming (NULL = the path) */
    size_t config_len;
    bool resume;                /* pick up an unfinished run of the same job (default true) */
    const char *source;         /* recorded with the runs, e.g. the command line */
    const char *git_commit;     /* recorded when known */
    void (*log)(void *ud, const char *line); /* one line per step, or NULL */
    void *log_ud;
    cairn_progress_fn progress; /* boosting rounds of each fit */
    void *progress_ud;
} cairn_train_options;

void cairn_train_options_init(cairn_train_options *opts);

typedef struct cairn_train_result {
    char run_id[33];            /* the job run */
    json_t *report;             /* the whole report (also the run's report.json artifact):
                                   rows, leaderboard with test metrics and intervals,
                                   calibration, cost, gate, significance, slices, fairness,
                                   importance, timing; owned */
} cairn_train_result;

/* Runs the job: see the top of src/train/train.c for the steps. Every step is recorded in
 * runs (include/cairn/runs.h) under the experiment; the job run gets the report, the chosen
 * model's bundle (model/model.cairn, model/bundle.json) and the gate's verdict (tag
 * cairn.gate = passed | failed). */
int cairn_train(cairn_home *home, const cairn_train_config *cfg, const cairn_train_options *opts,
                cairn_train_result *result, cairn_error *err);
void cairn_train_result_release(cairn_train_result *result);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_TRAIN_H */
