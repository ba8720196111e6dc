/* src/train/learn_internal.h: what the learners share privately: the model struct, the
 * learner descriptor each learner file fills in, hyper-parameter checking, and the
 * standardisation used by the linear learners.
 *
 * A learner plugs in as one cairn__learner (its file) plus one entry in learn.c's table. The
 * common code (learn.c) has already checked the data (shapes, labels against the objective,
 * weights, column names) and parsed the hyper-parameters into a JSON object before a
 * learner's fit runs, and it checks columns and allocates the output before predict runs.
 *
 * Tests: tests/unit/train/test_xgb.c, test_linear.c, test_kmeans.c.
 */
#ifndef CAIRN_TRAIN_LEARN_INTERNAL_H
#define CAIRN_TRAIN_LEARN_INTERNAL_H

#include "cairn/json.h"
#include "cairn/learn.h"

typedef struct cairn__learner cairn__learner;

struct cairn_model {
    const cairn__learner *learner;
    cairn_objective objective;
    int num_class; /* classes (binary 2), clusters (kmeans), 0 for regression */
    int64_t num_features;
    char **names;          /* num_features owned names */
    json_t *hyper;         /* the hyper-parameters it was fitted with (an object) */
    cairn_model_info info; /* info.metric points at metric */
    char metric[64];
    void *state; /* the learner's own */
};

/* What a learner's fit gets: checked data and parameters. */
typedef struct cairn__fit {
    const cairn_learn_data *train;
    const cairn_learn_data *valid; /* NULL when none */
    const cairn_learner_params *params;
    const json_t *hyper; /* an object, never NULL */
    int threads;         /* resolved: >= 1 */
} cairn__fit;

struct cairn__learner {
    const char *name;
    unsigned objectives;       /* bit (1u << objective) per supported objective */
    const char *native_format; /* "ubj" or "json" */
    /* Fills m->state (and m->info); m's objective, classes and names are set. */
    int (*fit)(cairn_model *m, const cairn__fit *f, cairn_error *err);
    /* out has rows x cairn__predict_cols(m, kind) doubles; x's columns are checked. */
    int (*predict)(const cairn_model *m, const cairn_matrix *x, cairn_predict_kind kind,
                   double *out, cairn_error *err);
    /* Adds learner keys to the envelope header and appends the native bytes. */
    int (*save)(const cairn_model *m, json_t *header, cairn_buf *native, cairn_error *err);
    /* Rebuilds m->state from the header and native bytes (m's common fields are set). */
    int (*load)(cairn_model *m, const json_t *header, const char *native, size_t len,
                cairn_error *err);
    void (*free_state)(void *state);
};

extern const cairn__learner cairn__learner_xgboost;
extern const cairn__learner cairn__learner_logistic;
extern const cairn__learner cairn__learner_linear;
extern const cairn__learner cairn__learner_kmeans;

/* A new model with m's learner, objective, classes, names, hyper-parameters and info, and no
 * state (the learner fills it): a snapshot's shell. CAIRN_ENOMEM. */
int cairn__model_shell(const cairn_model *m, cairn_model **out);

/* Columns of a prediction of this kind, or 0 when the learner cannot make it. */
int64_t cairn__predict_cols(const cairn_model *m, cairn_predict_kind kind);

/* ------------------------------------------------------------------------------------------
 * Hyper-parameters: each learner lists its keys; unknown keys are refused with a suggestion
 * ---------------------------------------------------------------------------------------- */

typedef enum cairn__hp_type {
    CAIRN__HP_NUM = 1, /* integer or real */
    CAIRN__HP_INT,     /* integer (a real with an integral value is accepted) */
    CAIRN__HP_BOOL,    /* true/false or 0/1 */
    CAIRN__HP_STR,
    CAIRN__HP_STR_OR_ARRAY,
    CAIRN__HP_REFUSED, /* known but set elsewhere: `hint` says where */
} cairn__hp_type;

typedef struct cairn__hp_key {
    const char *name;
    cairn__hp_type type;
    double min, max;  /* inclusive bounds for numbers (min == max == 0: none) */
    const char *hint; /* REFUSED: where to set it; STR: allowed values "a|b|c" or NULL */
} cairn__hp_key;

/* Checks every key of hyper against keys (terminated by a NULL name): unknown keys
 * (CAIRN_EINVAL "unknown <learner> hyper-parameter 'x' (did you mean 'y'?)"), types, bounds
 * and allowed strings. err->field names the key. */
int cairn__hp_check(const json_t *hyper, const cairn__hp_key *keys, const char *learner,
                    cairn_error *err);
/* Typed reads after cairn__hp_check; the default when the key is absent. */
double cairn__hp_num(const json_t *hyper, const char *key, double dflt);
int64_t cairn__hp_int(const json_t *hyper, const char *key, int64_t dflt);
bool cairn__hp_bool(const json_t *hyper, const char *key, bool dflt);
const char *cairn__hp_str(const json_t *hyper, const char *key, const char *dflt);

/* ------------------------------------------------------------------------------------------
 * Standardisation: mean and population standard deviation of each column over the training
 * rows, NaN skipped; a column with no values has mean 0; a zero deviation becomes 1. A
 * missing value standardises to 0, i.e. it is imputed with the training mean.
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn__standardize {
    int64_t cols;
    double *mean;
    double *std;
    bool *constant; /* std was 0 (or no values) on the training rows */
} cairn__standardize;

int cairn__standardize_fit(const cairn_matrix *x, cairn__standardize *out);
void cairn__standardize_release(cairn__standardize *s);
static inline double cairn__standardize_value(const cairn__standardize *s, int64_t j, float v)
{
    return v != v ? 0.0 : ((double)v - s->mean[j]) / s->std[j];
}
/* {"mean": [...], "std": [...]} into header[key], and back (CAIRN_ECORRUPT when malformed). */
int cairn__standardize_put(const cairn__standardize *s, json_t *header, const char *key);
int cairn__standardize_get(const json_t *header, const char *key, int64_t cols,
                           cairn__standardize *out, cairn_error *err);

/* A JSON array of n doubles (NaN/inf refused by jansson: callers never have them here). */
json_t *cairn__json_doubles(const double *v, size_t n);
/* Reads exactly n numbers from arr into out; false when arr is not such an array. */
bool cairn__json_read_doubles(const json_t *arr, double *out, size_t n);

/* Splits [0, rows) into a fixed number of contiguous blocks that depends only on rows (never
 * on the thread count), so per-block partial sums reduced in block order are deterministic. */
size_t cairn__blocks(int64_t rows, int64_t min_rows, size_t max_blocks);
void cairn__block_range(int64_t rows, size_t nblocks, size_t b, int64_t *begin, int64_t *end);
/* Runs fn over count tasks on the default pool when threads > 1, else inline. */
void cairn__parallel(int threads, size_t count, cairn_task_fn fn, void *arg);

#endif
