/* src/train/xgb.c: the "xgboost" learner: gradient-boosted trees through XGBoost 1.7's C API.
 *
 * Fit builds DMatrix handles (float32, NaN missing; labels; row weights times class weights
 * as "weight"), creates a booster with the training and validation sets as its prediction
 * cache, sets objective (binary:logistic, multi:softprob + num_class, reg:squarederror or a
 * chosen reg:/count: objective), tree_method hist, nthread, seed, verbosity, then every
 * hyper-parameter of the allowed list below, and runs the rounds itself:
 *   UpdateOneIter(r); EvalOneIter on the evaluated sets, parsed from
 *   "[r]\ttrain-logloss:0.51\tvalid-logloss:0.55"; the last metric of the validation set
 *   drives early stopping (maximised for auc, aucpr, map, ndcg, pre and their @ forms, but
 *   not mape; minimised otherwise; a strict improvement needed, as
 *   xgboost.callback.EarlyStopping does); on_round may stop.
 * With a patience, the model is cut back to best + 1 rounds by XGBoosterSlice, and the
 * attributes best_iteration / best_score are set as Python's xgboost sets them.
 *
 * Continuing (params.init_model): the booster is loaded from the init model's UBJ bytes and
 * updated from round r = its boosted rounds on. Without row or column sampling this equals
 * training straight through (predictions within float rounding: the cached margins are summed
 * in another order). With subsample or colsample_* < 1 it does not: XGBoost's samplers draw
 * from generators seeded when a booster's updater is first built, which a saved model does not
 * carry (seed_per_iteration does not cover them in 1.7).
 * Checkpoints (params.checkpoints) make stopping and continuing exact: at each checkpoint round
 * the booster is saved (with the early-stopping state as attributes), handed out as a snapshot
 * and replaced by a booster rebuilt from those bytes over the same data, exactly as a continued
 * fit builds its booster. The uninterrupted fit and one continued from any of its checkpoints
 * then build updaters at the same rounds from the same bytes: same trees, bit for bit.
 *
 * Predict: VALUE and MARGIN by inplace prediction from the dense matrix (no DMatrix; config
 * with "cache_id":0 and "missing":NaN, as 1.7 requires); SHAP (type 2, exact TreeSHAP) needs
 * a DMatrix. XGBoost's outputs live in thread-local buffers: they are copied at once. The
 * booster is configured before it is handed out (one warm-up prediction), so that concurrent
 * predictions never race on XGBoost's lazy configuration. nthread is not saved with a model,
 * so it is set again on load (one per core).
 *
 * Native bytes: UBJSON from XGBoosterSaveModelToBuffer, loadable by
 * xgboost.Booster(model_file="m.ubj"). Feature names are set on the booster when every name
 * is acceptable to Python's xgboost (no '[', ']', '<', ',').
 *
 * Tests: tests/unit/train/test_xgb.c, tests/oracles/test_xgb_python.sh.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "train/learn_internal.h"

#define DEFAULT_ROUNDS 100
#define MAX_ROUNDS 1000000

typedef struct xgb_state {
    BoosterHandle booster;
} xgb_state;

/* The keys Cairn passes through to XGBoost (1.7, CPU), plus its own three. */
static const cairn__hp_key xgb_keys[] = {
    {"num_boost_round", CAIRN__HP_INT, 1, MAX_ROUNDS, NULL},
    {"n_estimators", CAIRN__HP_INT, 1, MAX_ROUNDS, NULL},
    {"early_stopping_rounds", CAIRN__HP_INT, 0, MAX_ROUNDS, NULL},
    {"objective", CAIRN__HP_STR, 0, 0, NULL}, /* checked against the Cairn objective */
    {"booster", CAIRN__HP_STR, 0, 0, "gbtree|dart|gblinear"},
    {"verbosity", CAIRN__HP_INT, 0, 3, NULL},
    {"validate_parameters", CAIRN__HP_BOOL, 0, 0, NULL},
    {"disable_default_eval_metric", CAIRN__HP_BOOL, 0, 0, NULL},
    {"eta", CAIRN__HP_NUM, 0, 1e300, NULL},
    {"learning_rate", CAIRN__HP_NUM, 0, 1e300, NULL},
    {"gamma", CAIRN__HP_NUM, 0, 1e300, NULL},
    {"min_split_loss", CAIRN__HP_NUM, 0, 1e300, NULL},
    {"max_depth", CAIRN__HP_INT, 0, 1e9, NULL},
    {"min_child_weight", CAIRN__HP_NUM, 0, 1e300, NULL},
    {"max_delta_step", CAIRN__HP_NUM, 0, 1e300, NULL},
    {"subsample", CAIRN__HP_NUM, 1e-300, 1, NULL},
    {"sampling_method", CAIRN__HP_STR, 0, 0, "uniform"},
    {"colsample_bytree", CAIRN__HP_NUM, 1e-300, 1, NULL},
    {"colsample_bylevel", CAIRN__HP_NUM, 1e-300, 1, NULL},
    {"colsample_bynode", CAIRN__HP_NUM, 1e-300, 1, NULL},
    {"lambda", CAIRN__HP_NUM, 0, 1e300, NULL},
    {"reg_lambda", CAIRN__HP_NUM, 0, 1e300, NULL},
    {"alpha", CAIRN__HP_NUM, 0, 1e300, NULL},
    {"reg_alpha", CAIRN__HP_NUM, 0, 1e300, NULL},
    {"tree_method", CAIRN__HP_STR, 0, 0, "hist|approx|exact|auto"},
    {"scale_pos_weight", CAIRN__HP_NUM, 0, 1e300, NULL},
    {"updater", CAIRN__HP_STR, 0, 0, NULL},
    {"refresh_leaf", CAIRN__HP_BOOL, 0, 0, NULL},
    {"process_type", CAIRN__HP_STR, 0, 0, "default|update"},
    {"grow_policy", CAIRN__HP_STR, 0, 0, "depthwise|lossguide"},
    {"max_leaves", CAIRN__HP_INT, 0, 1e9, NULL},
    {"max_bin", CAIRN__HP_INT, 2, 1e9, NULL},
    {"num_parallel_tree", CAIRN__HP_INT, 1, 1e6, NULL},
    {"monotone_constraints", CAIRN__HP_STR_OR_ARRAY, 0, 0, NULL},
    {"interaction_constraints", CAIRN__HP_STR_OR_ARRAY, 0, 0, NULL},
    {"max_cat_to_onehot", CAIRN__HP_INT, 1, 1e9, NULL},
    {"max_cat_threshold", CAIRN__HP_INT, 1, 1e9, NULL},
    {"predictor", CAIRN__HP_STR, 0, 0, "auto|cpu_predictor"},
    {"sample_type", CAIRN__HP_STR, 0, 0, "uniform|weighted"},
    {"normalize_type", CAIRN__HP_STR, 0, 0, "tree|forest"},
    {"rate_drop", CAIRN__HP_NUM, 0, 1, NULL},
    {"one_drop", CAIRN__HP_BOOL, 0, 0, NULL},
    {"skip_drop", CAIRN__HP_NUM, 0, 1, NULL},
    {"feature_selector", CAIRN__HP_STR, 0, 0, "cyclic|shuffle|random|greedy|thrifty"},
    {"top_k", CAIRN__HP_INT, 0, 1e9, NULL},
    {"base_score", CAIRN__HP_NUM, -1e300, 1e300, NULL},
    {"eval_metric", CAIRN__HP_STR_OR_ARRAY, 0, 0, NULL},
    {"seed_per_iteration", CAIRN__HP_BOOL, 0, 0, NULL},
    {"huber_slope", CAIRN__HP_NUM, 0, 1e300, NULL},
    {"tweedie_variance_power", CAIRN__HP_NUM, 1, 2, NULL},
    {"seed", CAIRN__HP_REFUSED, 0, 0, "set cairn_learner_params.seed (train.yaml: seed)"},
    {"random_state", CAIRN__HP_REFUSED, 0, 0, "set cairn_learner_params.seed (train.yaml: seed)"},
    {"nthread", CAIRN__HP_REFUSED, 0, 0, "set cairn_learner_params.threads"},
    {"n_jobs", CAIRN__HP_REFUSED, 0, 0, "set cairn_learner_params.threads"},
    {"num_class", CAIRN__HP_REFUSED, 0, 0, "set cairn_learner_params.num_class"},
    {NULL, 0, 0, 0, NULL},
};

static const char *const regression_objectives =
    "reg:squarederror|reg:squaredlogerror|reg:pseudohubererror|reg:absoluteerror|"
    "count:poisson|reg:gamma|reg:tweedie";

/* ------------------------------------------------------------------------------------------
 * Private helpers: errors, logging, parameters
 * ---------------------------------------------------------------------------------------- */

/* XGBoost's last error without its "[time] file.cc:line: " prefix and stack trace. */
static int xgb_fail(cairn_error *err, const char *what)
{
    const char *msg = XGBGetLastError();
    if (!msg) msg = "";
    if (msg[0] == '[') {
        const char *close = strstr(msg, "] ");
        if (close) msg = close + 2;
    }
    const char *colon = strstr(msg, ": ");
    const char *cc = strstr(msg, ".cc:");
    const char *h = strstr(msg, ".h:");
    if (colon && ((cc && cc < colon) || (h && h < colon))) msg = colon + 2;
    size_t len = strcspn(msg, "\n");
    cairn_error_set(err, CAIRN_EINVAL, "xgboost: %s: %.*s", what, (int)len, msg);
    return CAIRN_EINVAL;
}

static void xgb_log(const char *msg)
{
    cairn_log(CAIRN_LOG_WARN, "xgboost: %s", msg);
}

static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static void log_init(void)
{
    XGBRegisterLogCallback(xgb_log);
}

static int set_param(BoosterHandle b, const char *key, const char *value, cairn_error *err)
{
    if (XGBoosterSetParam(b, key, value) == 0) return 0;
    char what[160];
    snprintf(what, sizeof what, "parameter '%s' = '%s'", key, value);
    int rc = xgb_fail(err, what);
    cairn_error_field(err, key);
    return rc;
}

static int set_threads(BoosterHandle b, int threads, cairn_error *err)
{
    char text[32];
    snprintf(text, sizeof text, "%d", threads);
    return set_param(b, "nthread", text, err);
}

/* A JSON hyper-parameter value as XGBoost's parameter text. */
static int value_text(const char *key, const json_t *v, cairn_buf *out)
{
    cairn_buf_reset(out);
    if (json_is_string(v)) return cairn_buf_puts(out, json_string_value(v));
    if (json_is_boolean(v)) return cairn_buf_puts(out, json_is_true(v) ? "1" : "0");
    if (json_is_integer(v))
        return cairn_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (json_is_real(v) && fabs(json_real_value(v)) < 9007199254740992.0 &&
        json_real_value(v) == floor(json_real_value(v))) /* 4.0: XGBoost's ints want "4" */
        return cairn_buf_printf(out, "%.0f", json_real_value(v));
    if (json_is_real(v)) {
        char num[32];
        cairn_format_double(json_real_value(v), num, sizeof num);
        return cairn_buf_puts(out, num);
    }
    /* Arrays: monotone_constraints as "(1,-1,0)", interaction_constraints as JSON text. */
    int rc = cairn_json_dump(v, 0, out);
    if (rc == 0 && strcmp(key, "monotone_constraints") == 0 && out->len >= 2) {
        out->data[0] = '(';
        out->data[out->len - 1] = ')';
    }
    return rc;
}

static bool is_cairn_key(const char *key)
{
    return strcmp(key, "num_boost_round") == 0 || strcmp(key, "n_estimators") == 0 ||
           strcmp(key, "early_stopping_rounds") == 0 || strcmp(key, "objective") == 0;
}

static int objective_text(const cairn_model *m, const json_t *hyper, const char **out,
                          cairn_error *err)
{
    const char *chosen = cairn__hp_str(hyper, "objective", NULL);
    const char *dflt = m->objective == CAIRN_OBJECTIVE_BINARY       ? "binary:logistic"
                       : m->objective == CAIRN_OBJECTIVE_MULTICLASS ? "multi:softprob"
                                                                    : "reg:squarederror";
    *out = dflt;
    if (!chosen || strcmp(chosen, dflt) == 0) return 0;
    if (m->objective == CAIRN_OBJECTIVE_REGRESSION) {
        size_t n = strlen(chosen);
        for (const char *p = regression_objectives; *p;) {
            size_t len = strcspn(p, "|");
            if (len == n && memcmp(p, chosen, n) == 0) {
                *out = chosen;
                return 0;
            }
            p += len + (p[len] == '|');
        }
    }
    cairn_error_set(err, CAIRN_EINVAL,
                    "xgboost objective '%s' does not fit a %s model (use %s%s%s)", chosen,
                    cairn_objective_name(m->objective), dflt,
                    m->objective == CAIRN_OBJECTIVE_REGRESSION ? " or one of " : "",
                    m->objective == CAIRN_OBJECTIVE_REGRESSION ? regression_objectives : "");
    cairn_error_field(err, "objective");
    return CAIRN_EINVAL;
}

/* Everything a fit sets on the booster, in a fixed order (the model bytes depend on it). */
static int set_params(BoosterHandle b, const cairn_model *m, const cairn__fit *f, cairn_error *err)
{
    const char *objective;
    int rc = objective_text(m, f->hyper, &objective, err);
    char text[64];
    if (rc == 0) rc = set_param(b, "objective", objective, err);
    if (rc == 0 && m->objective == CAIRN_OBJECTIVE_MULTICLASS) {
        snprintf(text, sizeof text, "%d", m->num_class);
        rc = set_param(b, "num_class", text, err);
    }
    if (rc == 0) rc = set_param(b, "tree_method", "hist", err);
    if (rc == 0) rc = set_param(b, "verbosity", "1", err);
    if (rc == 0) rc = set_threads(b, f->threads, err);
    /* XGBoost's seed is a signed 64-bit parameter; keep it positive. */
    snprintf(text, sizeof text, "%" PRIu64, f->params->seed & INT64_MAX);
    if (rc == 0) rc = set_param(b, "seed", text, err);
    cairn_buf value;
    cairn_buf_init(&value, 0);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)f->hyper, key, v)
    {
        if (rc || is_cairn_key(key)) continue;
        if (json_is_array(v) && strcmp(key, "eval_metric") == 0) {
            for (size_t i = 0; rc == 0 && i < json_array_size(v); i++) {
                const json_t *metric = json_array_get(v, i);
                if (!json_is_string(metric))
                    rc = cairn_error_set(err, CAIRN_EINVAL, "eval_metric: expected strings");
                else
                    rc = set_param(b, key, json_string_value(metric), err);
            }
            continue;
        }
        if ((rc = value_text(key, v, &value)))
            cairn_error_set(err, rc, "out of memory");
        else
            rc = set_param(b, key, value.data, err);
    }
    cairn_buf_release(&value);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Private helpers: data
 * ---------------------------------------------------------------------------------------- */

static int make_dmatrix(const cairn_learn_data *d, const cairn_learner_params *p, int threads,
                        DMatrixHandle *out, cairn_error *err)
{
    const cairn_matrix *x = d->x;
    if (XGDMatrixCreateFromMat_omp(x->values, (bst_ulong)x->rows, (bst_ulong)x->cols, NAN, out,
                                   threads))
        return xgb_fail(err, "building a DMatrix");
    size_t n = (size_t)x->rows;
    float *buf = cairn_malloc(n * sizeof *buf);
    if (!buf) {
        XGDMatrixFree(*out);
        *out = NULL;
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        buf[i] = (float)d->y[i];
    if (XGDMatrixSetFloatInfo(*out, "label", buf, (bst_ulong)n)) rc = xgb_fail(err, "labels");
    if (rc == 0 && (d->weights || p->class_weights)) {
        for (size_t i = 0; i < n; i++) {
            double w = d->weights ? d->weights[i] : 1.0;
            if (p->class_weights) w *= p->class_weights[(size_t)d->y[i]];
            buf[i] = (float)w;
        }
        if (XGDMatrixSetFloatInfo(*out, "weight", buf, (bst_ulong)n)) rc = xgb_fail(err, "weights");
    }
    cairn_free(buf);
    if (rc) {
        XGDMatrixFree(*out);
        *out = NULL;
    }
    return rc;
}

static bool names_ok_for_python(const cairn_model *m)
{
    for (int64_t j = 0; j < m->num_features; j++)
        if (strpbrk(m->names[j], "[]<,") || !m->names[j][0]) return false;
    return true;
}

/* ------------------------------------------------------------------------------------------
 * Private helpers: the evaluation string and early stopping
 * ---------------------------------------------------------------------------------------- */

typedef struct eval_result {
    double train, valid;
    char metric[64];
} eval_result;

/* "[3]\ttrain-logloss:0.5\tvalid-logloss:0.6": the last metric of each set. */
static void parse_eval(const char *s, eval_result *r)
{
    r->train = r->valid = NAN;
    r->metric[0] = '\0';
    const char *p = strchr(s, '\t');
    while (p) {
        p++;
        size_t len = strcspn(p, "\t");
        const char *dash = memchr(p, '-', len);
        const char *colon = NULL;
        for (const char *q = p; q < p + len; q++)
            if (*q == ':') colon = q;
        if (dash && colon && colon > dash) {
            double v = strtod(colon + 1, NULL);
            bool is_valid = (size_t)(dash - p) == 5 && memcmp(p, "valid", 5) == 0;
            if (is_valid)
                r->valid = v;
            else
                r->train = v;
            if (is_valid || r->metric[0] == '\0' || isnan(r->valid))
                snprintf(r->metric, sizeof r->metric, "%.*s", (int)(colon - dash - 1), dash + 1);
        }
        p = strchr(p, '\t');
    }
}

/* As xgboost.callback.EarlyStopping decides (mape starts like map but is an error). */
static bool metric_maximised(const char *metric)
{
    static const char *const up[] = {"auc", "aucpr", "map", "ndcg", "pre"};
    if (strcmp(metric, "mape") == 0) return false;
    for (size_t i = 0; i < sizeof up / sizeof up[0]; i++)
        if (strncmp(metric, up[i], strlen(up[i])) == 0) return true;
    return false;
}

typedef struct loop_state {
    int64_t start, end; /* rounds [start, end) */
    int64_t patience;
    int64_t best_round;
    double best_value;
    bool maximise;
    bool stopped_early, stopped_by_callback;
    char metric[64];
} loop_state;

static int checkpoint(BoosterHandle *bp, DMatrixHandle *dm, bst_ulong ndm, const cairn_model *m,
                      const cairn__fit *f, const loop_state *ls, int64_t rounds, cairn_error *err);

static int run_rounds(BoosterHandle *bp, DMatrixHandle *dm, cairn_model *m, const cairn__fit *f,
                      loop_state *ls, cairn_error *err)
{
    const cairn_learner_params *p = f->params;
    DMatrixHandle dtrain = dm[0], dvalid = dm[1];
    BoosterHandle b = *bp;
    size_t next = 0; /* the next checkpoint */
    while (next < p->ncheckpoints && p->checkpoints[next] <= ls->start) next++;
    DMatrixHandle sets[2];
    const char *names[2];
    bst_ulong nsets = 0;
    /* the training set is evaluated only when there is nothing else to report: its metric
     * costs a pass over every training row per round (a tenth of the fit on the flights) */
    if (p->on_round && !dvalid) sets[nsets] = dtrain, names[nsets++] = "train";
    if (dvalid) sets[nsets] = dvalid, names[nsets++] = "valid";
    for (int64_t r = ls->start; r < ls->end; r++) {
        if (XGBoosterUpdateOneIter(b, (int)r, dtrain)) return xgb_fail(err, "training");
        eval_result ev = {NAN, NAN, ""};
        const char *text;
        if (nsets) {
            if (XGBoosterEvalOneIter(b, (int)r, sets, names, nsets, &text))
                return xgb_fail(err, "evaluating");
            parse_eval(text, &ev);
            snprintf(ls->metric, sizeof ls->metric, "%s", ev.metric);
        }
        if (dvalid) {
            if (r == ls->start) ls->maximise = metric_maximised(ev.metric);
            bool better = ls->best_round < 0 ||
                          (ls->maximise ? ev.valid > ls->best_value : ev.valid < ls->best_value);
            if (better) ls->best_round = r, ls->best_value = ev.valid;
        }
        if (p->on_round) {
            cairn_round_report rep = {r,
                                      ls->end,
                                      ev.metric,
                                      ev.train,
                                      ev.valid,
                                      ls->best_round,
                                      ls->best_round >= 0 ? ls->best_value : NAN};
            if (!p->on_round(p->round_ud, &rep)) {
                ls->stopped_by_callback = true;
                return 0;
            }
        }
        if (p->progress &&
            !p->progress(p->progress_ud, "train", r - ls->start + 1, ls->end - ls->start))
            return cairn_error_set(err, CAIRN_ECANCELED, "training canceled at round %lld",
                                   (long long)r);
        if (ls->patience > 0 && r - ls->best_round >= ls->patience) {
            ls->stopped_early = true;
            return 0;
        }
        if (next < p->ncheckpoints && p->checkpoints[next] == r + 1 && r + 1 < ls->end) {
            next++;
            int rc = checkpoint(bp, dm, dvalid ? 2 : 1, m, f, ls, r + 1, err);
            if (rc) return rc;
            b = *bp;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Private helpers: booster lifecycle
 * ---------------------------------------------------------------------------------------- */

static int save_ubj(BoosterHandle b, cairn_buf *out, cairn_error *err)
{
    bst_ulong len;
    const char *bytes;
    if (XGBoosterSaveModelToBuffer(b, "{\"format\":\"ubj\"}", &len, &bytes))
        return xgb_fail(err, "saving the model");
    int rc = cairn_buf_append(out, bytes, (size_t)len);
    return rc ? cairn_error_set(err, rc, "out of memory for the model bytes") : 0;
}

/* One prediction so that XGBoost configures the booster now, on this thread. */
static int warm_up(BoosterHandle b, int64_t k, cairn_error *err)
{
    float *row = cairn_malloc((size_t)k * sizeof *row);
    if (!row) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    for (int64_t j = 0; j < k; j++)
        row[j] = NAN;
    cairn_matrix x = {1, k, row, NULL};
    bst_ulong const *shape;
    bst_ulong dim;
    float const *res;
    char arr[160];
    snprintf(arr, sizeof arr,
             "{\"data\":[%" PRIuPTR ",true],\"shape\":[1,%lld],\"typestr\":\"<f4\",\"version\":3}",
             (uintptr_t)x.values, (long long)k);
    int rc = 0;
    if (XGBoosterPredictFromDense(b, arr,
                                  "{\"type\":0,\"training\":false,\"iteration_begin\":0,"
                                  "\"iteration_end\":0,\"strict_shape\":true,\"missing\":NaN,"
                                  "\"cache_id\":0}",
                                  NULL, &shape, &dim, &res))
        rc = xgb_fail(err, "preparing the model");
    cairn_free(row);
    return rc;
}

/* The early-stopping state a checkpoint carries, as booster attributes (removed from finished
 * models). The value is written as a hexadecimal float so that it reads back exactly. */
#define ATTR_BEST_ROUND "cairn_checkpoint_best_round"
#define ATTR_BEST_VALUE "cairn_checkpoint_best_value"

static int put_stopping(BoosterHandle b, const loop_state *ls, cairn_error *err)
{
    char round[32], value[64];
    if (ls->best_round < 0) return 0;
    snprintf(round, sizeof round, "%lld", (long long)ls->best_round);
    snprintf(value, sizeof value, "%a", ls->best_value);
    if (XGBoosterSetAttr(b, ATTR_BEST_ROUND, round) || XGBoosterSetAttr(b, ATTR_BEST_VALUE, value))
        return xgb_fail(err, "writing the checkpoint's attributes");
    return 0;
}

/* Restores what put_stopping saved in a continued model; nothing when it has none. */
static int get_stopping(BoosterHandle b, loop_state *ls, cairn_error *err)
{
    const char *round, *value;
    int has_round = 0, has_value = 0;
    if (XGBoosterGetAttr(b, ATTR_BEST_ROUND, &round, &has_round))
        return xgb_fail(err, "reading the model's attributes");
    if (has_round) {
        ls->best_round = strtoll(round, NULL, 10);
        if (XGBoosterGetAttr(b, ATTR_BEST_VALUE, &value, &has_value))
            return xgb_fail(err, "reading the model's attributes");
        ls->best_value = has_value ? strtod(value, NULL) : NAN;
    }
    return 0;
}

static int xgb_load(cairn_model *m, const json_t *header, const char *native, size_t len,
                    cairn_error *err);

/* A checkpoint after `rounds` rounds: the booster's bytes with the early-stopping state go to
 * on_checkpoint as a model, and training goes on in a new booster built from those bytes,
 * exactly as a fit continued from the snapshot would build it (create over the same data,
 * load, set the parameters). So a run stopped after a checkpoint and continued from it grows
 * the same trees as one that never stopped: XGBoost's row and column samplers are seeded when
 * a booster's updater is built, and here both paths build one at the same rounds. */
static int checkpoint(BoosterHandle *bp, DMatrixHandle *dm, bst_ulong ndm, const cairn_model *m,
                      const cairn__fit *f, const loop_state *ls, int64_t rounds, cairn_error *err)
{
    cairn_buf bytes;
    cairn_buf_init(&bytes, 0);
    BoosterHandle nb = NULL;
    cairn_model *snap = NULL;
    int rc = put_stopping(*bp, ls, err);
    if (rc == 0) rc = save_ubj(*bp, &bytes, err);
    if (rc == 0 && XGBoosterCreate(dm, ndm, &nb)) rc = xgb_fail(err, "creating a booster");
    if (rc == 0 && XGBoosterLoadModelFromBuffer(nb, bytes.data, (bst_ulong)bytes.len))
        rc = xgb_fail(err, "reloading the checkpoint");
    if (rc == 0) rc = set_params(nb, m, f, err);
    if (rc) {
        if (nb) XGBoosterFree(nb);
        cairn_buf_release(&bytes);
        return rc;
    }
    XGBoosterFree(*bp);
    *bp = nb;
    if (cairn__model_shell(m, &snap)) rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    if (rc == 0) {
        snap->info.rounds = rounds;
        snap->info.best_round = ls->best_round;
        snap->info.best_score = ls->best_round >= 0 ? ls->best_value : NAN;
        snprintf(snap->metric, sizeof snap->metric, "%s", ls->metric);
        rc = xgb_load(snap, NULL, bytes.data, bytes.len, err);
    }
    if (rc == 0 && !f->params->on_checkpoint(f->params->checkpoint_ud, rounds, snap))
        rc = cairn_error_set(err, CAIRN_ECANCELED, "checkpoint at round %lld failed",
                             (long long)rounds);
    cairn_model_free(snap);
    cairn_buf_release(&bytes);
    return rc;
}

static int copy_init_model(BoosterHandle b, const cairn_model *m, const cairn_model *init,
                           cairn_error *err)
{
    if (init->learner != m->learner || init->objective != m->objective ||
        init->num_class != m->num_class)
        return cairn_error_set(err, CAIRN_ECONFLICT,
                               "the model to continue is a %s %s model, not xgboost %s",
                               init->learner->name, cairn_objective_name(init->objective),
                               cairn_objective_name(m->objective));
    cairn_matrix shape = {0, m->num_features, NULL, m->names};
    int rc = cairn_model_check_columns(init, &shape, err);
    if (rc) {
        cairn_error_prefix(err, "continuing training: ");
        return rc;
    }
    cairn_buf bytes;
    cairn_buf_init(&bytes, 0);
    rc = save_ubj(((const xgb_state *)init->state)->booster, &bytes, err);
    if (rc == 0 && XGBoosterLoadModelFromBuffer(b, bytes.data, (bst_ulong)bytes.len))
        rc = xgb_fail(err, "loading the model to continue");
    cairn_buf_release(&bytes);
    return rc;
}

static int finish_booster(BoosterHandle *bp, cairn_model *m, const cairn__fit *f,
                          const loop_state *ls, cairn_error *err)
{
    int rounds = 0;
    if (XGBoosterBoostedRounds(*bp, &rounds)) return xgb_fail(err, "counting rounds");
    int rc = 0;
    if (ls->patience > 0 && ls->best_round >= 0 && ls->best_round + 1 < rounds) {
        BoosterHandle cut;
        if (XGBoosterSlice(*bp, 0, (int)ls->best_round + 1, 1, &cut))
            return xgb_fail(err, "cutting the model back to its best round");
        XGBoosterFree(*bp);
        *bp = cut;
        rc = set_threads(cut, f->threads, err);
        rounds = (int)ls->best_round + 1;
    }
    char text[64];
    if (rc == 0 && (XGBoosterSetAttr(*bp, ATTR_BEST_ROUND, NULL) ||
                    XGBoosterSetAttr(*bp, ATTR_BEST_VALUE, NULL)))
        rc = xgb_fail(err, "attributes");
    if (rc == 0 && ls->best_round >= 0) {
        snprintf(text, sizeof text, "%lld", (long long)ls->best_round);
        if (XGBoosterSetAttr(*bp, "best_iteration", text)) rc = xgb_fail(err, "attributes");
        cairn_format_double(ls->best_value, text, sizeof text);
        if (rc == 0 && XGBoosterSetAttr(*bp, "best_score", text)) rc = xgb_fail(err, "attributes");
    }
    if (rc == 0 && names_ok_for_python(m) &&
        XGBoosterSetStrFeatureInfo(*bp, "feature_name", (const char **)m->names,
                                   (bst_ulong)m->num_features))
        rc = xgb_fail(err, "feature names");
    if (rc == 0) rc = warm_up(*bp, m->num_features, err);
    m->info.rounds = rounds;
    m->info.best_round = ls->best_round;
    m->info.best_score = ls->best_round >= 0 ? ls->best_value : NAN;
    m->info.stopped_early = ls->stopped_early;
    m->info.stopped_by_callback = ls->stopped_by_callback;
    snprintf(m->metric, sizeof m->metric, "%s", ls->metric);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * The learner
 * ---------------------------------------------------------------------------------------- */

static int resolve_rounds(const cairn__fit *f, loop_state *ls, cairn_error *err)
{
    const cairn_learner_params *p = f->params;
    int64_t rounds = p->rounds;
    if (rounds == 0) rounds = cairn__hp_int(f->hyper, "num_boost_round", 0);
    if (rounds == 0) rounds = cairn__hp_int(f->hyper, "n_estimators", DEFAULT_ROUNDS);
    ls->patience = p->early_stopping_rounds;
    if (ls->patience == 0) ls->patience = cairn__hp_int(f->hyper, "early_stopping_rounds", 0);
    if (rounds > MAX_ROUNDS)
        return cairn_error_set(err, CAIRN_EINVAL, "%lld rounds is more than %d", (long long)rounds,
                               MAX_ROUNDS);
    if (ls->patience > 0 && !f->valid)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "early stopping (%lld rounds) needs a validation set",
                               (long long)ls->patience);
    ls->end = rounds; /* start is added once the init model is loaded */
    ls->best_round = -1;
    ls->best_value = NAN;
    return 0;
}

static int xgb_fit(cairn_model *m, const cairn__fit *f, cairn_error *err)
{
    pthread_once(&log_once, log_init);
    loop_state ls;
    memset(&ls, 0, sizeof ls);
    int rc = cairn__hp_check(f->hyper, xgb_keys, "xgboost", err);
    if (rc == 0) rc = resolve_rounds(f, &ls, err);
    if (rc) return rc;
    DMatrixHandle dm[2] = {NULL, NULL};
    BoosterHandle b = NULL;
    rc = make_dmatrix(f->train, f->params, f->threads, &dm[0], err);
    if (rc == 0 && f->valid) rc = make_dmatrix(f->valid, f->params, f->threads, &dm[1], err);
    if (rc == 0 && XGBoosterCreate(dm, f->valid ? 2 : 1, &b))
        rc = xgb_fail(err, "creating a booster");
    if (rc == 0 && f->params->init_model) rc = copy_init_model(b, m, f->params->init_model, err);
    if (rc == 0 && f->params->init_model) rc = get_stopping(b, &ls, err);
    int done = 0;
    if (rc == 0 && XGBoosterBoostedRounds(b, &done)) rc = xgb_fail(err, "counting rounds");
    ls.start = done;
    ls.end += done;
    if (rc == 0) rc = set_params(b, m, f, err);
    if (rc == 0) rc = run_rounds(&b, dm, m, f, &ls, err);
    if (rc == 0) rc = finish_booster(&b, m, f, &ls, err);
    if (dm[0]) XGDMatrixFree(dm[0]);
    if (dm[1]) XGDMatrixFree(dm[1]);
    if (rc) {
        if (b) XGBoosterFree(b);
        return rc;
    }
    xgb_state *s = cairn_calloc(1, sizeof *s);
    if (!s) {
        XGBoosterFree(b);
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    }
    s->booster = b;
    m->state = s;
    return 0;
}

static int copy_out(bst_ulong const *shape, bst_ulong dim, const float *res, double *out,
                    size_t expect, cairn_error *err)
{
    size_t total = 1;
    for (bst_ulong i = 0; i < dim; i++)
        total *= (size_t)shape[i];
    if (total != expect)
        return cairn_error_set(err, CAIRN_EINTERNAL,
                               "xgboost returned %zu values where %zu were expected", total,
                               expect);
    for (size_t i = 0; i < total; i++)
        out[i] = res[i];
    return 0;
}

static int predict_dense(BoosterHandle b, const cairn_matrix *x, int type, double *out,
                         size_t expect, cairn_error *err)
{
    char arr[200], cfg[200];
    snprintf(arr, sizeof arr,
             "{\"data\":[%" PRIuPTR ",true],\"shape\":[%lld,%lld],\"typestr\":\"<f4\","
             "\"version\":3}",
             (uintptr_t)x->values, (long long)x->rows, (long long)x->cols);
    snprintf(cfg, sizeof cfg,
             "{\"type\":%d,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
             "\"strict_shape\":true,\"missing\":NaN,\"cache_id\":0}",
             type);
    bst_ulong const *shape;
    bst_ulong dim;
    float const *res;
    if (XGBoosterPredictFromDense(b, arr, cfg, NULL, &shape, &dim, &res))
        return xgb_fail(err, "predicting");
    return copy_out(shape, dim, res, out, expect, err);
}

static int predict_shap(BoosterHandle b, const cairn_matrix *x, double *out, size_t expect,
                        cairn_error *err)
{
    DMatrixHandle d;
    if (XGDMatrixCreateFromMat_omp(x->values, (bst_ulong)x->rows, (bst_ulong)x->cols, NAN, &d, 0))
        return xgb_fail(err, "building a DMatrix");
    bst_ulong const *shape;
    bst_ulong dim;
    float const *res;
    int rc = 0;
    if (XGBoosterPredictFromDMatrix(b, d,
                                    "{\"type\":2,\"training\":false,\"iteration_begin\":0,"
                                    "\"iteration_end\":0,\"strict_shape\":true}",
                                    &shape, &dim, &res))
        rc = xgb_fail(err, "SHAP values");
    if (rc == 0) rc = copy_out(shape, dim, res, out, expect, err);
    XGDMatrixFree(d);
    return rc;
}

static int xgb_predict(const cairn_model *m, const cairn_matrix *x, cairn_predict_kind kind,
                       double *out, cairn_error *err)
{
    BoosterHandle b = ((const xgb_state *)m->state)->booster;
    size_t expect = (size_t)x->rows * (size_t)cairn__predict_cols(m, kind);
    if (kind == CAIRN_PREDICT_SHAP) return predict_shap(b, x, out, expect, err);
    return predict_dense(b, x, kind == CAIRN_PREDICT_MARGIN ? 1 : 0, out, expect, err);
}

static int xgb_save(const cairn_model *m, json_t *header, cairn_buf *native, cairn_error *err)
{
    return save_ubj(((const xgb_state *)m->state)->booster, native, err);
}

static int xgb_load(cairn_model *m, const json_t *header, const char *native, size_t len,
                    cairn_error *err)
{
    pthread_once(&log_once, log_init);
    BoosterHandle b;
    if (XGBoosterCreate(NULL, 0, &b)) return xgb_fail(err, "creating a booster");
    int rc = 0;
    if (XGBoosterLoadModelFromBuffer(b, native, (bst_ulong)len)) {
        cairn_error tmp;
        cairn_error_clear(&tmp);
        xgb_fail(&tmp, "loading the model");
        rc = cairn_error_set(err, CAIRN_ECORRUPT, "%s", tmp.message);
    }
    if (rc == 0) rc = set_threads(b, cairn_cpu_count(), err);
    if (rc == 0) rc = set_param(b, "verbosity", "1", err);
    bst_ulong k = 0;
    if (rc == 0 && XGBoosterGetNumFeature(b, &k)) rc = xgb_fail(err, "reading the model");
    if (rc == 0 && (int64_t)k != m->num_features)
        rc = cairn_error_set(err, CAIRN_ECORRUPT,
                             "the XGBoost model has %llu features, the header names %lld",
                             (unsigned long long)k, (long long)m->num_features);
    if (rc == 0) rc = warm_up(b, m->num_features, err);
    xgb_state *s = rc == 0 ? cairn_calloc(1, sizeof *s) : NULL;
    if (rc == 0 && !s) rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    if (rc) {
        XGBoosterFree(b);
        return rc;
    }
    s->booster = b;
    m->state = s;
    return 0;
}

static void xgb_free(void *state)
{
    xgb_state *s = state;
    if (s->booster) XGBoosterFree(s->booster);
    cairn_free(s);
}

const cairn__learner cairn__learner_xgboost = {
    .name = "xgboost",
    .objectives = (1u << CAIRN_OBJECTIVE_BINARY) | (1u << CAIRN_OBJECTIVE_MULTICLASS) |
                  (1u << CAIRN_OBJECTIVE_REGRESSION),
    .native_format = "ubj",
    .fit = xgb_fit,
    .predict = xgb_predict,
    .save = xgb_save,
    .load = xgb_load,
    .free_state = xgb_free,
};
