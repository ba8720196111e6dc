/* cairn/learn.h: the learners: a dense feature matrix, one interface to fit, predict,
 * explain and serialise models, and four learners behind it.
 *
 * Learners (src/train/learn.c holds the table of them; each is one file):
 *   "xgboost"   gradient-boosted trees through XGBoost's C API (src/train/xgb.c): binary
 *               (binary:logistic), multiclass (multi:softprob), regression (reg:squarederror
 *               or another reg:/count: objective); tree_method hist; early stopping and
 *               per-round reports run in Cairn's own loop; training continues from a saved
 *               model; TreeSHAP.
 *   "logistic"  L2- or L1-regularised logistic regression by liblinear 2.3 (binary, and
 *               multiclass one-vs-rest) on standardised features (src/train/linear.c).
 *   "linear"    ridge / ordinary least squares solved by Cholesky on the normal equations of
 *               the standardised features, written here (src/train/linear.c).
 *   "kmeans"    k-means++ seeding and Lloyd iterations, n_init restarts (src/train/kmeans.c).
 *
 * Design notes
 * - A matrix is float32, row-major, NaN for a missing value, with one name per column. Models
 *   remember the names they were fitted on; predicting checks the count and, when the matrix
 *   has names, every name in order (CAIRN_ECONFLICT naming the first that differs).
 * - Labels are doubles: 0/1 (binary), 0..K-1 (multiclass), any finite value (regression);
 *   clustering takes none. A NaN label is an error naming its row: drop unlabelled rows first.
 * - Hyper-parameters are a JSON object (cairn_learner_params.hyper_json). Unknown keys are
 *   refused with the nearest known key suggested; each learner's keys are listed at the
 *   top of its source file.
 * - Determinism: the same inputs, seed and thread count give bit-identical model bytes and
 *   predictions. XGBoost's hist histograms are summed per thread, so a different nthread may
 *   change the last bits; liblinear and Cairn's own learners do not depend on the thread count.
 * - Models are immutable once fitted or loaded; predict may run on many threads at once.
 * - The saved form is an envelope: "CAIRNMDL", a version, a JSON header (learner, objective,
 *   classes, feature names, standardisation, training summary, hyper-parameters), the
 *   learner's native bytes (XGBoost UBJSON, loadable by Python's xgboost.Booster; JSON for
 *   the others), and an XXH3 checksum of everything before it.
 */
#ifndef CAIRN_LEARN_H
#define CAIRN_LEARN_H

#include "core.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------
 * Matrix
 * ---------------------------------------------------------------------------------------- */

/* A caller-owned dense matrix. values[r * cols + c] is row r, column c; NaN = missing. names
 * holds cols owned strings (NULL when the matrix has no names). */
typedef struct cairn_matrix {
    int64_t rows;
    int64_t cols;
    float *values;
    char **names;
} cairn_matrix;

/* Allocates a rows x cols matrix of zeros; names (cols strings, copied) may be NULL. On
 * failure m is left empty (safe to release). */
int cairn_matrix_init(cairn_matrix *m, int64_t rows, int64_t cols, const char *const *names);
void cairn_matrix_release(cairn_matrix *m);
/* The named columns of a table (NULL/0 = every column, in table order) as a matrix: int32,
 * int64, float32, float64 and bool columns become float (true = 1), a null becomes NaN.
 * Any other type (string, timestamp, date) fails with CAIRN_ETYPE naming the column: encode
 * it first (include/cairn/feature.h). A missing column is CAIRN_ENOTFOUND. */
int cairn_matrix_from_table(const cairn_table *table, const char *const *columns, size_t ncolumns,
                            cairn_matrix *out, cairn_error *err);
/* One numeric or bool column as doubles (null = NaN), e.g. the label. *out (num_rows
 * doubles) is the caller's, freed with cairn_free. */
int cairn_matrix_column_doubles(const cairn_table *table, const char *column, double **out,
                                cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Parameters
 * ---------------------------------------------------------------------------------------- */

typedef enum cairn_objective {
    CAIRN_OBJECTIVE_BINARY = 1,     /* labels 0/1; predicts P(label = 1) */
    CAIRN_OBJECTIVE_MULTICLASS = 2, /* labels 0..K-1; predicts K probabilities */
    CAIRN_OBJECTIVE_REGRESSION = 3, /* predicts a value */
    CAIRN_OBJECTIVE_CLUSTERING = 4, /* no labels; predicts a cluster and distances */
} cairn_objective;

/* "binary", "multiclass", "regression", "clustering". */
const char *cairn_objective_name(cairn_objective objective);
int cairn_objective_parse(const char *name, cairn_objective *out);
/* The learner names, NULL-terminated: "xgboost", "logistic", "linear", "kmeans". */
const char *const *cairn_learner_names(void);

/* One boosting round's evaluation (XGBoost). Values are the last metric XGBoost reports
 * (the default metric of the objective, or the last of hyper "eval_metric"). */
typedef struct cairn_round_report {
    int64_t round;        /* 0-based, counting the rounds of an init_model too */
    int64_t rounds_total; /* the round this fit stops at unless stopped early */
    const char *metric;   /* e.g. "logloss" (borrowed for the call) */
    double train_value;   /* NaN when the training set is not evaluated */
    double valid_value;   /* NaN without a validation set */
    int64_t best_round;   /* best validation round so far, -1 without a validation set */
    double best_value;
} cairn_round_report;

/* Called after every round when set. Return false to stop training there (a pruned trial):
 * the fit still succeeds, and cairn_model_info says stopped_by_callback. Called on the
 * fitting thread. */
typedef bool (*cairn_round_fn)(void *ud, const cairn_round_report *report);

typedef struct cairn_model cairn_model;

/* Called at each checkpoint round with a snapshot of the model so far (borrowed for the call;
 * cairn_model_save it to keep it). Return false to fail the fit (CAIRN_ECANCELED). */
typedef bool (*cairn_checkpoint_fn)(void *ud, int64_t rounds, const cairn_model *snapshot);

typedef struct cairn_learner_params {
    const char *learner; /* "xgboost", "logistic", "linear", "kmeans" */
    cairn_objective objective;
    int num_class;                 /* MULTICLASS: K; 0 = the largest training label + 1 */
    const char *hyper_json;        /* a JSON object of hyper-parameters, or NULL */
    int64_t rounds;                /* xgboost: rounds to add; 0 = hyper "num_boost_round" (alias
                                      "n_estimators"), else 100 */
    int64_t early_stopping_rounds; /* xgboost: patience; 0 = hyper "early_stopping_rounds",
                                      else none. Needs a validation set */
    const double *class_weights;   /* per class (binary: 2), multiplied into row weights (liblinear:
                                      per-class C); NULL = none */
    size_t nclass_weights;
    uint64_t seed;                 /* every random choice derives from it */
    int threads;                   /* 0 = one per core */
    const cairn_model *init_model; /* xgboost: continue training this model (borrowed) */
    cairn_round_fn on_round;
    void *round_ud;
    /* xgboost checkpoints: after each round count listed in checkpoints[] (ascending, within
     * the rounds this fit adds, counting an init_model's rounds), a snapshot goes to
     * on_checkpoint. The snapshot carries the early-stopping state (best round and value), so
     * that a fit continued from it (init_model) stops, slices and reports as this one would.
     * At each checkpoint the booster is rebuilt from the snapshot's bytes, so training on from
     * a checkpoint in another process (init_model = the snapshot, the same data and params,
     * the same later checkpoints) gives the same trees, bit for bit, as not stopping, with row
     * and column sampling too. */
    const int64_t *checkpoints;
    size_t ncheckpoints;
    cairn_checkpoint_fn on_checkpoint;
    void *checkpoint_ud;
    cairn_progress_fn progress; /* stage "train", done/total rounds; false = cancel */
    void *progress_ud;
} cairn_learner_params;

/* Zeroes the struct: no learner, seed 0, threads 0, everything else off. */
void cairn_learner_params_init(cairn_learner_params *params);

/* A training or validation set: borrowed for the call. */
typedef struct cairn_learn_data {
    const cairn_matrix *x;
    const double *y;       /* x->rows labels; NULL for clustering */
    const double *weights; /* x->rows finite, non-negative row weights; NULL = all 1 */
} cairn_learn_data;

/* ------------------------------------------------------------------------------------------
 * Models
 * ---------------------------------------------------------------------------------------- */

/* Fits a model on train; valid (may be NULL) drives early stopping and the validation metric
 * of each round, and never changes what is learnt otherwise (standardisation, imputation and
 * k-means use training rows only). The model takes train's column names (or "f0", "f1", ...).
 * Errors: CAIRN_EINVAL (bad parameters: unknown learner or hyper-parameter, a value out of
 * range, an objective the learner lacks, labels not fitting the objective, naming the row),
 * CAIRN_ECONFLICT (valid's or init_model's columns differ from train's), CAIRN_EUNSUPPORTED
 * (e.g. row weights for liblinear that are not constant per class), CAIRN_ECANCELED (progress
 * returned false), CAIRN_EINTERNAL (the library failed; its message is kept). *out is new. */
int cairn_model_fit(const cairn_learn_data *train, const cairn_learn_data *valid,
                    const cairn_learner_params *params, cairn_model **out, cairn_error *err);
void cairn_model_free(cairn_model *model);

typedef enum cairn_predict_kind {
    CAIRN_PREDICT_VALUE = 0,  /* probabilities, values, or kmeans [cluster, distances...] */
    CAIRN_PREDICT_MARGIN = 1, /* the untransformed score: log-odds, per-class scores */
    CAIRN_PREDICT_SHAP = 2,   /* per output group: k feature contributions then the bias, in
                                 margin units; each group of k + 1 sums to the margin */
} cairn_predict_kind;

/* Predicts every row of x. *out (rows x *out_cols doubles, row-major, cairn_free) columns:
 * VALUE: binary 1 (P(1)), multiclass K, regression 1, kmeans 1 + K (cluster id, then the
 * Euclidean distance to each centroid). MARGIN: binary 1, multiclass K, regression 1; not for
 * kmeans. SHAP: G x (k + 1) with G = K for multiclass, else 1 (xgboost: exact TreeSHAP;
 * logistic/linear: w_j * z_j with the bias last); not for kmeans (CAIRN_EUNSUPPORTED).
 * x must have the model's column count and, when named, its names (CAIRN_ECONFLICT). */
int cairn_model_predict(const cairn_model *model, const cairn_matrix *x, cairn_predict_kind kind,
                        double **out, int64_t *out_cols, cairn_error *err);
/* Global importance: mean |SHAP| of each feature over x's rows (and over classes for
 * multiclass). *out holds k doubles (cairn_free). */
int cairn_model_shap_importance(const cairn_model *model, const cairn_matrix *x, double **out,
                                cairn_error *err);
/* CAIRN_ECONFLICT (naming the first differing column) unless x matches the model's columns. */
int cairn_model_check_columns(const cairn_model *model, const cairn_matrix *x, cairn_error *err);
/* The feature names, borrowed until the model is freed; *count gets k. */
const char *const *cairn_model_feature_names(const cairn_model *model, int64_t *count);

typedef struct cairn_model_info {
    const char *learner; /* static */
    cairn_objective objective;
    int num_class; /* classes (binary 2), clusters for kmeans, 0 for regression */
    int64_t num_features;
    int64_t outputs;          /* columns of a VALUE prediction */
    int64_t rounds;           /* xgboost: rounds in the model; kmeans: Lloyd iterations of the
                                 kept restart; 0 otherwise */
    int64_t best_round;       /* xgboost with a validation set: the best round, else -1 */
    double best_score;        /* its validation metric, NaN otherwise */
    const char *metric;       /* the metric best_score is in (borrowed), "" if none */
    bool stopped_early;       /* patience ran out */
    bool stopped_by_callback; /* on_round returned false */
    double inertia;           /* kmeans: weighted sum of squared distances; NaN otherwise */
} cairn_model_info;

void cairn_model_info_get(const cairn_model *model, cairn_model_info *out);

/* Appends the envelope (see the design notes) to out. Same model, same bytes. */
int cairn_model_save(const cairn_model *model, cairn_buf *out, cairn_error *err);
/* Reads an envelope; CAIRN_EPARSE for something that is not one, CAIRN_ECORRUPT for a bad
 * checksum or inconsistent content, CAIRN_EUNSUPPORTED for a newer version. *out is new. */
int cairn_model_load(const void *data, size_t len, cairn_model **out, cairn_error *err);
/* Appends the learner's own bytes to out and sets *format ("ubj" for xgboost, loadable by
 * xgboost.Booster(model_file="m.ubj"); "json" for the others). */
int cairn_model_native(const cairn_model *model, cairn_buf *out, const char **format,
                       cairn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_LEARN_H */
