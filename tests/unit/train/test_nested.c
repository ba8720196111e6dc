/* tests/unit/train/test_nested.c: nested cross-validation (src/train/nested.c).
 *
 * The fold plans on their own (src/train/nested_internal.h): forward-chained folds never test
 * a row earlier than a training row of the same fold (gap and ties included), grouped folds
 * never put one group on both sides, inner folds stay inside their outer fold's training rows.
 * Then cairn__train_nested on a trainer built by hand (no training set file, no runs): an easy
 * binary problem scores well and close to a plain held-out fit; a grid over a hopeless and a
 * good regularisation always picks the good one; the report's shape; the same output bytes on
 * a second call; xgboost's inner early stopping and fixed-round refit; errors for folds that
 * cannot be made; and every allocation failing in turn, leaking nothing.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cairn/json.h"
#include "cairn/metrics.h"
#include "train/nested_internal.h"
#include "train/train_internal.h"

#define HOUR_US (3600 * CAIRN_US_PER_SECOND)

/* ------------------------------------------------------------------------------------------
 * A trainer built by hand
 * ---------------------------------------------------------------------------------------- */

typedef struct fixture {
    cairn_train_config *cfg;
    cairn_trainer t;
    cairn_error err;
} fixture;

static const char *const feature_names[2] = {"signal", "noise"};

/* n rows: y = [signal + 0.7 N > 0], noise unrelated; every fourth row validation, the rest
 * training; row i at hour ((i * 37) % n) / 2 (two rows per hour, not in row order); group
 * "u<(i * i) % 23>" (groups of uneven sizes) in the table's column "user". */
static void fixture_make(fixture *f, const char *yaml, size_t n)
{
    memset(f, 0, sizeof *f);
    cairn_error_clear(&f->err);
    CAIRN_ASSERT_OK(cairn_train_config_parse(yaml, strlen(yaml), "nested.yaml", &f->cfg, &f->err),
                    &f->err);
    cairn_trainer *t = &f->t;
    t->cfg = f->cfg;
    t->err = &f->err;
    t->num_class = 2;
    t->y = cairn_malloc(n * sizeof *t->y);
    t->times = cairn_malloc(n * sizeof *t->times);
    double(*x)[2] = cairn_malloc(n * sizeof *x);
    assert_non_null(t->y);
    assert_non_null(t->times);
    assert_non_null(x);
    t->data = cairn_test_table();
    cairn_column *user = cairn_test_add(t->data, "user", CAIRN_TYPE_STRING);
    cairn_rng rng;
    cairn_rng_seed(&rng, 99);
    for (size_t i = 0; i < n; i++) {
        x[i][0] = cairn_rng_normal(&rng);
        x[i][1] = cairn_rng_normal(&rng);
        t->y[i] = x[i][0] + 0.7 * cairn_rng_normal(&rng) > 0;
        t->times[i] = INT64_C(1000000000000000) + (int64_t)(((i * 37) % n) / 2) * HOUR_US;
        char g[16];
        snprintf(g, sizeof g, "u%zu", (i * i) % 23);
        cairn_test_put_str(user, g);
    }
    for (int p = 0; p < CAIRN_PART_COUNT; p++) {
        t->rows[p] = cairn_malloc((n + 1) * sizeof *t->rows[p]);
        assert_non_null(t->rows[p]);
    }
    for (size_t i = 0; i < n; i++) {
        int p = i % 4 == 1 ? CAIRN_PART_VALID : CAIRN_PART_TRAIN;
        t->rows[p][t->nrows[p]++] = (int64_t)i;
    }
    for (int p = 0; p < 2; p++) {
        assert_int_equal(cairn_matrix_init(&t->x[p], t->nrows[p], 2, feature_names), 0);
        t->yp[p] = cairn_malloc((size_t)t->nrows[p] * sizeof *t->yp[p]);
        assert_non_null(t->yp[p]);
        for (int64_t i = 0; i < t->nrows[p]; i++) {
            int64_t r = t->rows[p][i];
            t->x[p].values[i * 2] = (float)x[r][0];
            t->x[p].values[i * 2 + 1] = (float)x[r][1];
            t->yp[p][i] = t->y[r];
        }
    }
    cairn_free(x);
}

static void fixture_free(fixture *f)
{
    cairn__train_prepare_release(&f->t);
    cairn_train_config_free(f->cfg);
}

/* cairn__train_nested of the first learner; fails the test on error. */
static json_t *run_nested(fixture *f)
{
    json_t *out = NULL;
    CAIRN_ASSERT_OK(cairn__train_nested(&f->t, &f->cfg->learners[0], NULL, NULL, &out), &f->err);
    return out;
}

static void count_line(void *ud, const char *line)
{
    (*(int *)ud)++;
    assert_non_null(strstr(line, "nested fold"));
}

static char *dump(const json_t *v)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    assert_int_equal(cairn_json_dump(v, 0, &b), 0);
    return cairn_buf_detach(&b, NULL);
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

/* The report's keys and types; returns the folds. */
static const json_t *check_shape(const json_t *r, int outer, int inner, int trials,
                                 const char *metric, bool xgb)
{
    assert_true(json_is_object(r));
    assert_int_equal(json_integer_value(json_object_get(r, "outer")), outer);
    assert_int_equal(json_integer_value(json_object_get(r, "inner")), inner);
    assert_int_equal(json_integer_value(json_object_get(r, "trials")), trials);
    assert_string_equal(json_string_value(json_object_get(r, "metric")), metric);
    assert_true(json_is_real(json_object_get(r, "mean")));
    assert_true(json_is_real(json_object_get(r, "std")));
    assert_true(json_is_real(json_object_get(r, "inner_mean")));
    assert_true(num(r, "std") >= 0);
    const json_t *folds = json_object_get(r, "folds");
    assert_true(json_is_array(folds));
    assert_int_equal(json_array_size(folds), (size_t)outer);
    double sum = 0;
    for (size_t i = 0; i < json_array_size(folds); i++) {
        const json_t *fo = json_array_get(folds, i);
        assert_int_equal(json_object_size(fo), 7);
        assert_int_equal(json_integer_value(json_object_get(fo, "fold")), (json_int_t)i + 1);
        assert_true(json_integer_value(json_object_get(fo, "train_rows")) > 0);
        assert_true(json_integer_value(json_object_get(fo, "test_rows")) > 0);
        assert_true(json_is_object(json_object_get(fo, "params")));
        assert_true(json_is_real(json_object_get(fo, "inner_score")));
        assert_true(json_is_real(json_object_get(fo, "outer_score")));
        if (xgb)
            assert_true(json_integer_value(json_object_get(fo, "rounds")) >= 1);
        else
            assert_true(json_is_null(json_object_get(fo, "rounds")));
        sum += num(fo, "outer_score");
    }
    assert_true(fabs(sum / outer - num(r, "mean")) < 1e-12);
    return folds;
}

/* ------------------------------------------------------------------------------------------
 * Fold plans
 * ---------------------------------------------------------------------------------------- */

#define NROWS 150

/* (a) chained: every test row at or after gap past every training row of its fold, outer and
 * inner; each row tested by at most one outer fold; inner rows within the outer training rows. */
static void check_chained(const cairn__nested_folds *f, const int64_t *times, int64_t gap)
{
    int8_t role[NROWS], inner_role[NROWS];
    int tested[NROWS] = {0};
    for (int32_t o = 0; o < f->spec.outer; o++) {
        for (int32_t i = -1; i < f->spec.inner; i++) {
            cairn__nested_folds_roles(f, o, -1, role);
            cairn__nested_folds_roles(f, o, i, inner_role);
            const int8_t *r = i < 0 ? role : inner_role;
            int64_t train_max = INT64_MIN, test_min = INT64_MAX;
            size_t ntrain = 0, ntest = 0;
            for (size_t k = 0; k < f->n; k++) {
                if (i >= 0 && inner_role[k] != CAIRN__NESTED_OUT)
                    assert_int_equal(role[k], CAIRN__NESTED_TRAIN);
                if (r[k] == CAIRN__NESTED_TRAIN) {
                    ntrain++;
                    if (times[k] > train_max) train_max = times[k];
                }
                if (r[k] == CAIRN__NESTED_TEST) {
                    ntest++;
                    if (times[k] < test_min) test_min = times[k];
                    if (i < 0) tested[k]++;
                }
            }
            assert_true(ntrain > 0 && ntest > 0);
            assert_true(train_max < test_min);
            assert_true(test_min - train_max >= gap);
        }
    }
    size_t never = 0;
    for (size_t k = 0; k < f->n; k++) {
        assert_true(tested[k] <= 1);
        never += tested[k] == 0;
    }
    assert_true(never > 0 && never < f->n / 2); /* the first block only trains */
}

static void test_chained_folds(void **state)
{
    (void)state;
    int64_t times[NROWS];
    for (size_t i = 0; i < NROWS; i++)
        times[i] = (int64_t)(((i * 37) % NROWS) / 3) * HOUR_US; /* ties of 3 */
    cairn_error err;
    cairn_error_clear(&err);
    for (int64_t gap = 0; gap <= 2 * HOUR_US; gap += HOUR_US) {
        cairn__nested_spec spec = {
            .chained = true, .outer = 4, .inner = 3, .seed = 1, .gap_us = gap};
        cairn__nested_folds f;
        CAIRN_ASSERT_OK(cairn__nested_folds_init(&f, &spec, NULL, times, NULL, NROWS, &err), &err);
        check_chained(&f, times, gap);
        /* the outer blocks have about equal sizes (ties move a boundary by at most 2 rows) */
        int sizes[5] = {0};
        for (size_t k = 0; k < NROWS; k++)
            sizes[f.outer_block[k]]++;
        for (int b = 0; b < 5; b++)
            assert_true(sizes[b] >= 28 && sizes[b] <= 32);
        cairn__nested_folds_release(&f);
    }
    /* a single time cannot be cut into blocks */
    int64_t flat[NROWS] = {0};
    cairn__nested_spec spec = {.chained = true, .outer = 2, .inner = 2};
    cairn__nested_folds f;
    assert_int_equal(cairn__nested_folds_init(&f, &spec, NULL, flat, NULL, NROWS, &err),
                     CAIRN_EINVAL);
    assert_non_null(strstr(err.message, "1 distinct times"));
    cairn__nested_folds_release(&f);
}

/* (b) grouped: no group on both sides of any outer or inner fold; the outer test folds cover
 * every row once; inner folds cover exactly their outer fold's training rows. */
static void test_grouped_folds(void **state)
{
    (void)state;
    int64_t groups[NROWS];
    double y[NROWS];
    for (size_t i = 0; i < NROWS; i++) {
        groups[i] = (int64_t)((i * i) % 23);
        y[i] = (double)(i % 3 == 0);
    }
    cairn_error err;
    cairn_error_clear(&err);
    cairn__nested_spec spec = {.kind = CAIRN_KFOLD_GROUPED, .outer = 4, .inner = 3, .seed = 5};
    cairn__nested_folds f;
    CAIRN_ASSERT_OK(cairn__nested_folds_init(&f, &spec, y, NULL, groups, NROWS, &err), &err);
    int8_t outer[NROWS], inner[NROWS];
    int tested[NROWS] = {0};
    for (int32_t o = 0; o < 4; o++) {
        cairn__nested_folds_roles(&f, o, -1, outer);
        for (int32_t i = -1; i < 3; i++) {
            cairn__nested_folds_roles(&f, o, i, inner);
            bool train[23] = {false}, test[23] = {false};
            for (size_t k = 0; k < NROWS; k++) {
                if (i < 0 && inner[k] == CAIRN__NESTED_TEST) tested[k]++;
                if (i >= 0)
                    assert_int_equal(inner[k] != CAIRN__NESTED_OUT,
                                     outer[k] == CAIRN__NESTED_TRAIN);
                if (inner[k] == CAIRN__NESTED_TRAIN) train[groups[k]] = true;
                if (inner[k] == CAIRN__NESTED_TEST) test[groups[k]] = true;
            }
            for (int g = 0; g < 23; g++)
                assert_false(train[g] && test[g]);
        }
    }
    for (size_t k = 0; k < NROWS; k++)
        assert_int_equal(tested[k], 1);
    cairn__nested_folds_release(&f);
    /* more folds than groups */
    for (size_t i = 0; i < NROWS; i++)
        groups[i] = (int64_t)(i % 3);
    assert_int_equal(cairn__nested_folds_init(&f, &spec, y, NULL, groups, NROWS, &err),
                     CAIRN_EINVAL);
    assert_non_null(strstr(err.message, "outer folds"));
    cairn__nested_folds_release(&f);
}

/* ------------------------------------------------------------------------------------------
 * Nested cross-validation of a learner
 * ---------------------------------------------------------------------------------------- */

static const char *logistic_yaml = "training_set: x.csv\n"
                                   "label: y\n"
                                   "split: {kind: stratified, k: 5}\n"
                                   "learners:\n"
                                   "  - learner: logistic\n"
                                   "nested: {outer: 4, inner: 3}\n";

/* (c) an easy problem: the nested estimate is high and close to a plain held-out fit. */
static void test_easy_problem(void **state)
{
    (void)state;
    fixture f;
    fixture_make(&f, logistic_yaml, 400);
    json_t *r = NULL;
    int lines = 0;
    CAIRN_ASSERT_OK(cairn__train_nested(&f.t, &f.cfg->learners[0], count_line, &lines, &r), &f.err);
    assert_int_equal(lines, 4);
    const json_t *folds = check_shape(r, 4, 3, 1, "roc_auc", false);
    int64_t test_rows = 0;
    for (size_t i = 0; i < 4; i++) {
        const json_t *fo = json_array_get(folds, i);
        test_rows += json_integer_value(json_object_get(fo, "test_rows"));
        assert_int_equal(json_integer_value(json_object_get(fo, "train_rows")) +
                             json_integer_value(json_object_get(fo, "test_rows")),
                         400);
        assert_int_equal(json_object_size(json_object_get(fo, "params")), 0);
    }
    assert_int_equal(test_rows, 400); /* every development row is tested once */
    /* a plain fit on the training part, scored on the validation part */
    cairn_learner_params lp;
    double cw[2], *pred = NULL, held_out = NAN;
    int64_t cols = 0;
    cairn__train_learner_params(&f.t, &f.cfg->learners[0], "{}", &lp, cw);
    cairn_learn_data tr = {&f.t.x[CAIRN_PART_TRAIN], f.t.yp[CAIRN_PART_TRAIN], NULL};
    cairn_model *m = NULL;
    CAIRN_ASSERT_OK(cairn_model_fit(&tr, NULL, &lp, &m, &f.err), &f.err);
    CAIRN_ASSERT_OK(
        cairn_model_predict(m, &f.t.x[CAIRN_PART_VALID], CAIRN_PREDICT_VALUE, &pred, &cols, &f.err),
        &f.err);
    CAIRN_ASSERT_OK(cairn__train_score(&f.t, "roc_auc", f.t.yp[CAIRN_PART_VALID], pred,
                                       (size_t)f.t.nrows[CAIRN_PART_VALID], 0.5, &held_out),
                    &f.err);
    print_message("nested roc_auc %.4f +- %.4f (inner %.4f), held out %.4f\n", num(r, "mean"),
                  num(r, "std"), num(r, "inner_mean"), held_out);
    assert_true(num(r, "mean") > 0.8);
    assert_true(fabs(num(r, "mean") - held_out) < 0.06);
    cairn_free(pred);
    cairn_model_free(m);
    json_decref(r);
    fixture_free(&f);
}

static const char *grid_yaml = "training_set: x.csv\n"
                               "label: y\n"
                               "seed: 3\n"
                               "split: {kind: stratified, k: 5}\n"
                               "learners:\n"
                               "  - learner: logistic\n"
                               "    params: {penalty: l1}\n"
                               "    search:\n"
                               "      sampler: grid\n"
                               "      space: {C: [0.000001, 1.0]}\n"
                               "nested: {outer: 3, inner: 2}\n";

/* (d) a search with a hopeless region (L1 so strong that every weight is 0: AUC 0.5) and a
 * good one: every outer fold picks the good one; two calls give the same bytes. */
static void test_search(void **state)
{
    (void)state;
    fixture f;
    fixture_make(&f, grid_yaml, 240);
    json_t *r = run_nested(&f), *again = run_nested(&f);
    const json_t *folds = check_shape(r, 3, 2, 2, "roc_auc", false);
    for (size_t i = 0; i < 3; i++) {
        const json_t *p = json_object_get(json_array_get(folds, i), "params");
        assert_string_equal(json_string_value(json_object_get(p, "penalty")), "l1");
        assert_true(json_real_value(json_object_get(p, "C")) == 1.0);
        assert_true(num(json_array_get(folds, i), "inner_score") > 0.7);
    }
    print_message("search: nested %.4f, inner %.4f\n", num(r, "mean"), num(r, "inner_mean"));
    char *a = dump(r), *b = dump(again);
    assert_string_equal(a, b);
    cairn_free(a);
    cairn_free(b);
    json_decref(r);
    json_decref(again);
    fixture_free(&f);
    /* nested.trials caps the grid: the hopeless trial alone */
    static const char *one =
        "training_set: x.csv\nlabel: y\nsplit: {kind: random, k: 5}\nlearners:\n"
        "  - {learner: logistic, params: {penalty: l1}, search: {sampler: grid, space: {C: "
        "[0.000001, 1.0]}}}\n"
        "nested: {outer: 2, inner: 2, trials: 1}\n";
    fixture_make(&f, one, 120);
    r = run_nested(&f);
    check_shape(r, 2, 2, 1, "roc_auc", false);
    assert_true(fabs(num(r, "mean") - 0.5) < 1e-9);
    json_decref(r);
    fixture_free(&f);
}

/* A temporal split through the trainer: the folds chain forward, training grows, and the
 * gap (two hours: one hour of rows) leaves rows out of every fold. */
static void test_temporal(void **state)
{
    (void)state;
    static const char *yaml = "training_set: x.csv\nlabel: y\ntime: ts\n"
                              "split: {fractions: [0.6, 0.2, 0.2], gap: 2h}\n"
                              "learners:\n  - learner: logistic\n"
                              "select: log_loss\n"
                              "nested: {outer: 3, inner: 2}\n";
    fixture f;
    fixture_make(&f, yaml, 200);
    json_t *r = run_nested(&f);
    const json_t *folds = check_shape(r, 3, 2, 1, "log_loss", false);
    json_int_t last = 0;
    for (size_t i = 0; i < 3; i++) {
        const json_t *fo = json_array_get(folds, i);
        json_int_t train = json_integer_value(json_object_get(fo, "train_rows"));
        assert_true(train > last);
        last = train;
        assert_true(train + json_integer_value(json_object_get(fo, "test_rows")) < 200);
    }
    assert_true(num(r, "mean") < 0.6); /* lower is better; a coin is 0.693 */
    json_decref(r);
    fixture_free(&f);
}

/* A grouped split through the trainer: group ids come from the table's column. */
static void test_grouped(void **state)
{
    (void)state;
    static const char *yaml =
        "training_set: x.csv\nlabel: y\nsplit: {kind: grouped, k: 5, group: user}\n"
        "learners:\n  - learner: logistic\n"
        "nested: {outer: 3, inner: 3}\n";
    fixture f;
    fixture_make(&f, yaml, 300);
    json_t *r = run_nested(&f);
    check_shape(r, 3, 3, 1, "roc_auc", false);
    assert_true(num(r, "mean") > 0.8);
    json_decref(r);
    fixture_free(&f);
    static const char *missing =
        "training_set: x.csv\nlabel: y\nsplit: {kind: grouped, k: 5, group: account}\n"
        "learners:\n  - learner: logistic\n"
        "nested: {outer: 3, inner: 3}\n";
    fixture_make(&f, missing, 60);
    json_t *out = NULL;
    assert_int_equal(cairn__train_nested(&f.t, &f.cfg->learners[0], NULL, NULL, &out),
                     CAIRN_EINVAL);
    assert_null(out);
    assert_non_null(strstr(f.err.message, "'account'"));
    fixture_free(&f);
}

/* xgboost: inner fits stop early on the inner test fold; the refit runs the mean of their
 * rounds with early_stopping_rounds taken out of its parameters. */
static void test_xgboost(void **state)
{
    (void)state;
    static const char *yaml = "training_set: x.csv\nlabel: y\nsplit: {kind: stratified, k: 5}\n"
                              "learners:\n"
                              "  - learner: xgboost\n"
                              "    rounds: 40\n"
                              "    early_stopping: 0\n"
                              "    params: {early_stopping_rounds: 4, eta: 0.3}\n"
                              "    search: {trials: 2, space: {max_depth: {int: [1, 3]}}}\n"
                              "nested: {outer: 3, inner: 2}\n";
    fixture f;
    fixture_make(&f, yaml, 240);
    json_t *r = run_nested(&f), *again = run_nested(&f);
    const json_t *folds = check_shape(r, 3, 2, 2, "roc_auc", true);
    for (size_t i = 0; i < 3; i++) {
        const json_t *fo = json_array_get(folds, i);
        assert_true(json_integer_value(json_object_get(fo, "rounds")) <= 40);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(fo, "params"),
                                                            "early_stopping_rounds")),
                         4);
    }
    assert_true(num(r, "mean") > 0.75);
    char *a = dump(r), *b = dump(again);
    assert_string_equal(a, b);
    cairn_free(a);
    cairn_free(b);
    json_decref(r);
    json_decref(again);
    fixture_free(&f);
}

/* Folds that cannot be made are errors that say where. */
static void test_errors(void **state)
{
    (void)state;
    fixture f;
    json_t *out = NULL;
    /* 8 rows: stratified folds need more rows of each class than folds */
    static const char *tiny = "training_set: x.csv\nlabel: y\nsplit: {kind: stratified, k: 5}\n"
                              "learners:\n  - learner: logistic\nnested: {outer: 10, inner: 3}\n";
    fixture_make(&f, tiny, 8);
    assert_int_equal(cairn__train_nested(&f.t, &f.cfg->learners[0], NULL, NULL, &out),
                     CAIRN_EINVAL);
    assert_null(out);
    assert_non_null(strstr(f.err.message, "nested cross-validation of learner 'logistic'"));
    fixture_free(&f);
    /* two positives among 60 rows: some inner test fold holds none */
    fixture_make(&f, logistic_yaml, 60);
    for (int p = 0; p < 2; p++)
        for (int64_t i = 0; i < f.t.nrows[p]; i++)
            f.t.yp[p][i] = 0;
    f.t.yp[CAIRN_PART_TRAIN][0] = f.t.yp[CAIRN_PART_TRAIN][7] = 1;
    assert_int_equal(cairn__train_nested(&f.t, &f.cfg->learners[0], NULL, NULL, &out),
                     CAIRN_EINVAL);
    assert_null(out);
    assert_non_null(strstr(f.err.message, "hold only one class"));
    fixture_free(&f);
    /* nested cross-validation turned off */
    static const char *off = "training_set: x.csv\nlabel: y\nsplit: {kind: stratified, k: 5}\n"
                             "learners:\n  - learner: logistic\n";
    fixture_make(&f, off, 40);
    assert_int_equal(cairn__train_nested(&f.t, &f.cfg->learners[0], NULL, NULL, &out),
                     CAIRN_EINVAL);
    assert_null(out);
    fixture_free(&f);
}

/* Every allocation failing in turn: CAIRN_ENOMEM and nothing leaked. */
static void test_alloc_failures(void **state)
{
    (void)state;
    static const char *yaml =
        "training_set: x.csv\nlabel: y\ntime: ts\nsplit: {fractions: [0.6, 0.2, 0.2]}\n"
        "learners:\n  - learner: logistic\n"
        "    search: {sampler: grid, space: {C: [0.1, 1.0]}}\n"
        "nested: {outer: 2, inner: 2}\n";
    cairn_testalloc_install();
    fixture f;
    fixture_make(&f, yaml, 48);
    int64_t base = cairn_testalloc_live_blocks(), failures = 0;
    for (int64_t nth = 1;; nth++) {
        json_t *out = NULL;
        cairn_testalloc_fail_at(nth, false);
        int rc = cairn__train_nested(&f.t, &f.cfg->learners[0], NULL, NULL, &out);
        cairn_testalloc_fail_at(0, false);
        json_decref(out);
        if (cairn_testalloc_live_blocks() != base)
            fail_msg("allocation %lld: %lld blocks leaked", (long long)nth,
                     (long long)(cairn_testalloc_live_blocks() - base));
        if (rc == 0) break;
        if (rc != CAIRN_ENOMEM) {
            char msg[1024];
            cairn_error_format(&f.err, msg, sizeof msg);
            fail_msg("allocation %lld: %s: %s", (long long)nth, cairn_errname(rc), msg);
        }
        assert_null(out);
        failures++;
        assert_true(nth < 100000);
    }
    assert_true(failures >= 20);
    fixture_free(&f);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chained_folds),  cmocka_unit_test(test_grouped_folds),
        cmocka_unit_test(test_easy_problem),   cmocka_unit_test(test_search),
        cmocka_unit_test(test_temporal),       cmocka_unit_test(test_grouped),
        cmocka_unit_test(test_xgboost),        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
