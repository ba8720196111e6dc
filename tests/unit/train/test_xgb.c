/* tests/unit/train/test_xgb.c: the XGBoost learner (src/train/xgb.c) and the common learner
 * code it runs through (src/train/learn.c): matrices from tables, fit on seeded synthetic
 * data (binary accuracy well above chance, multiclass probabilities summing to 1,
 * regression), early stopping that stops and slices to best + 1 rounds, per-round reports
 * and a callback that stops, continuing from a checkpoint equal to training straight
 * through, save -> load -> the same predictions and the same bytes, determinism, row and
 * class weights, SHAP rows summing to the margin, hyper-parameters passed through (arrays,
 * integral reals, a maximised early-stopping metric), predictions from several threads at
 * once, clear errors (unknown or refused hyper-parameters, labels, columns, envelopes), and
 * every allocation failing in turn.
 */
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/learn.h"
#include "learn_exercise.h"

/* ------------------------------------------------------------------------------------------
 * Fixtures
 * ---------------------------------------------------------------------------------------- */

#define K 6
static const char *const names6[K] = {"a", "b", "c", "d", "e", "noise"};

/* x ~ N(0,1) (5% of e missing); binary: y = [1.5a - 2b + c*d + 0.5 N(0,1) > 0];
 * multiclass: which of a, b, c is largest; regression: 2a - b + 0.5c^2 + 0.1 N(0,1). */
typedef enum { BIN, MULTI, REG } task;

static void make_data(task t, int64_t n, uint64_t seed, cairn_matrix *x, double **y)
{
    assert_int_equal(cairn_matrix_init(x, n, K, names6), 0);
    *y = cairn_malloc((size_t)n * sizeof(double));
    cairn_rng rng;
    cairn_rng_seed(&rng, seed);
    for (int64_t i = 0; i < n; i++) {
        float *r = x->values + i * K;
        for (int j = 0; j < K; j++)
            r[j] = (float)cairn_rng_normal(&rng);
        double e = cairn_rng_normal(&rng);
        if (t == BIN) (*y)[i] = 1.5 * r[0] - 2 * r[1] + r[2] * r[3] + 0.5 * e > 0;
        if (t == MULTI) (*y)[i] = r[0] > r[1] ? (r[0] > r[2] ? 0 : 2) : (r[1] > r[2] ? 1 : 2);
        if (t == REG) (*y)[i] = 2 * r[0] - r[1] + 0.5 * r[2] * r[2] + 0.1 * e;
        if (cairn_rng_uniform(&rng) < 0.05) r[4] = NAN;
    }
}

typedef struct dataset {
    cairn_matrix x;
    double *y;
    cairn_learn_data d;
} dataset;

static void ds_make(dataset *s, task t, int64_t n, uint64_t seed)
{
    make_data(t, n, seed, &s->x, &s->y);
    s->d = (cairn_learn_data){&s->x, s->y, NULL};
}

static void ds_free(dataset *s)
{
    cairn_matrix_release(&s->x);
    cairn_free(s->y);
}

static void params_for(cairn_learner_params *p, task t, const char *hyper, int64_t rounds)
{
    cairn_learner_params_init(p);
    p->learner = "xgboost";
    p->objective = t == BIN     ? CAIRN_OBJECTIVE_BINARY
                   : t == MULTI ? CAIRN_OBJECTIVE_MULTICLASS
                                : CAIRN_OBJECTIVE_REGRESSION;
    p->hyper_json = hyper;
    p->rounds = rounds;
    p->seed = 7;
    p->threads = 2;
}

static cairn_model *fit(const cairn_learn_data *train, const cairn_learn_data *valid,
                        const cairn_learner_params *p)
{
    cairn_model *m = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_model_fit(train, valid, p, &m, &e), &e);
    return m;
}

static double *predict(const cairn_model *m, const cairn_matrix *x, cairn_predict_kind kind,
                       int64_t *cols)
{
    double *out = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_model_predict(m, x, kind, &out, cols, &e), &e);
    return out;
}

static void save(const cairn_model *m, cairn_buf *b)
{
    cairn_error e;
    cairn_error_clear(&e);
    cairn_buf_init(b, 0);
    CAIRN_ASSERT_OK(cairn_model_save(m, b, &e), &e);
}

static double max_diff(const double *a, const double *b, size_t n)
{
    double mx = 0;
    for (size_t i = 0; i < n; i++)
        mx = fmax(mx, fabs(a[i] - b[i]));
    return mx;
}

static int fit_error(const cairn_learn_data *train, const cairn_learn_data *valid,
                     const cairn_learner_params *p, cairn_error *e)
{
    cairn_model *m = NULL;
    cairn_error_clear(e);
    int rc = cairn_model_fit(train, valid, p, &m, e);
    assert_null(m);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Matrices
 * ---------------------------------------------------------------------------------------- */

static void test_matrix_from_table(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *i = cairn_test_add(t, "i", CAIRN_TYPE_INT64);
    cairn_column *f = cairn_test_add(t, "f", CAIRN_TYPE_FLOAT64);
    cairn_column *b = cairn_test_add(t, "b", CAIRN_TYPE_BOOL);
    cairn_column *s = cairn_test_add(t, "s", CAIRN_TYPE_STRING);
    assert_int_equal(cairn_column_append_int64(i, 3), 0);
    assert_int_equal(cairn_column_append_null(i), 0);
    assert_int_equal(cairn_column_append_float64(f, 2.5), 0);
    assert_int_equal(cairn_column_append_float64(f, -1), 0);
    assert_int_equal(cairn_column_append_bool(b, true), 0);
    assert_int_equal(cairn_column_append_null(b), 0);
    cairn_test_put_str(s, "x");
    cairn_test_put_str(s, "y");
    cairn_matrix m;
    cairn_error e;
    cairn_error_clear(&e);
    const char *cols[] = {"f", "i", "b"};
    CAIRN_ASSERT_OK(cairn_matrix_from_table(t, cols, 3, &m, &e), &e);
    assert_int_equal(m.rows, 2);
    assert_int_equal(m.cols, 3);
    assert_string_equal(m.names[1], "i");
    assert_true(m.values[0] == 2.5f && m.values[1] == 3.0f && m.values[2] == 1.0f);
    assert_true(m.values[3] == -1.0f && isnan(m.values[4]) && isnan(m.values[5]));
    cairn_matrix_release(&m);

    assert_int_equal(cairn_matrix_from_table(t, NULL, 0, &m, &e), CAIRN_ETYPE);
    assert_string_equal(e.field, "s");
    assert_non_null(strstr(e.message, "column 's' is string"));
    assert_null(m.values);
    const char *missing[] = {"f", "nope"};
    assert_int_equal(cairn_matrix_from_table(t, missing, 2, &m, &e), CAIRN_ENOTFOUND);
    assert_string_equal(e.field, "nope");

    double *y;
    CAIRN_ASSERT_OK(cairn_matrix_column_doubles(t, "i", &y, &e), &e);
    assert_true(y[0] == 3 && isnan(y[1]));
    cairn_free(y);
    assert_int_equal(cairn_matrix_column_doubles(t, "s", &y, &e), CAIRN_ETYPE);
    cairn_table_free(t);
}

/* ------------------------------------------------------------------------------------------
 * Fitting
 * ---------------------------------------------------------------------------------------- */

static void test_binary_accuracy(void **state)
{
    (void)state;
    dataset tr, va;
    ds_make(&tr, BIN, 3000, 1);
    ds_make(&va, BIN, 1000, 2);
    cairn_learner_params p;
    params_for(&p, BIN, "{\"max_depth\": 4, \"eta\": 0.2}", 60);
    int64_t t0 = cairn_monotonic_ns();
    cairn_model *m = fit(&tr.d, NULL, &p);
    double ms = (double)(cairn_monotonic_ns() - t0) / 1e6;
    print_message("xgboost fit, 3000 x 6, 60 rounds, depth 4, 2 threads: %.1f ms\n", ms);
    int64_t cols;
    double *pr = predict(m, &va.x, CAIRN_PREDICT_VALUE, &cols);
    assert_int_equal(cols, 1);
    int correct = 0;
    for (int64_t i = 0; i < va.x.rows; i++) {
        assert_true(pr[i] >= 0 && pr[i] <= 1);
        correct += (pr[i] > 0.5) == (va.y[i] > 0.5);
    }
    double acc = correct / (double)va.x.rows;
    print_message("validation accuracy %.3f\n", acc);
    assert_true(acc > 0.85);
    cairn_model_info info;
    cairn_model_info_get(m, &info);
    assert_string_equal(info.learner, "xgboost");
    assert_int_equal(info.rounds, 60);
    assert_int_equal(info.best_round, -1);
    assert_int_equal(info.outputs, 1);
    assert_int_equal(info.num_class, 2);
    int64_t k;
    const char *const *names = cairn_model_feature_names(m, &k);
    assert_int_equal(k, K);
    assert_string_equal(names[5], "noise");
    cairn_free(pr);
    cairn_model_free(m);
    ds_free(&tr);
    ds_free(&va);
}

typedef struct rounds_seen {
    int64_t n;
    int64_t stop_at; /* -1 = never */
    double valid[1000];
    double train[1000];
    char metric[64];
} rounds_seen;

static bool on_round(void *ud, const cairn_round_report *r)
{
    rounds_seen *s = ud;
    assert_int_equal(r->round, s->n);
    s->valid[s->n] = r->valid_value;
    s->train[s->n] = r->train_value;
    snprintf(s->metric, sizeof s->metric, "%s", r->metric);
    s->n++;
    return r->round != s->stop_at;
}

static void test_early_stopping_slices(void **state)
{
    (void)state;
    dataset tr, va;
    ds_make(&tr, BIN, 1500, 3);
    ds_make(&va, BIN, 800, 4);
    cairn_learner_params p;
    params_for(&p, BIN, "{\"max_depth\": 8, \"eta\": 0.5, \"min_child_weight\": 0}", 400);
    p.early_stopping_rounds = 5;
    rounds_seen seen = {.stop_at = -1};
    p.on_round = on_round;
    p.round_ud = &seen;
    cairn_model *m = fit(&tr.d, &va.d, &p);
    cairn_model_info info;
    cairn_model_info_get(m, &info);
    assert_true(info.stopped_early);
    assert_false(info.stopped_by_callback);
    assert_true(seen.n < 400);
    assert_int_equal(seen.n, info.best_round + 1 + 5);
    assert_int_equal(info.rounds, info.best_round + 1);
    assert_string_equal(info.metric, "logloss");
    assert_string_equal(seen.metric, "logloss");
    double best = INFINITY;
    for (int64_t r = 0; r < seen.n; r++) {
        assert_true(isnan(seen.train[r]) && isfinite(seen.valid[r])); /* train only without a validation set */
        best = fmin(best, seen.valid[r]);
    }
    assert_true(info.best_score == best);
    assert_true(seen.valid[info.best_round] == best);

    /* The sliced model predicts as a model trained for best + 1 rounds straight. */
    cairn_learner_params q;
    params_for(&q, BIN, p.hyper_json, info.best_round + 1);
    cairn_model *straight = fit(&tr.d, NULL, &q);
    double *a = predict(m, &va.x, CAIRN_PREDICT_VALUE, NULL);
    double *b = predict(straight, &va.x, CAIRN_PREDICT_VALUE, NULL);
    assert_true(max_diff(a, b, (size_t)va.x.rows) == 0);

    /* The native model carries best_iteration like Python's xgboost. */
    cairn_buf native;
    cairn_buf_init(&native, 0);
    const char *format;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_model_native(m, &native, &format, &e), &e);
    assert_string_equal(format, "ubj");
    bool found = false;
    for (size_t i = 0; i + 14 <= native.len && !found; i++)
        found = memcmp(native.data + i, "best_iteration", 14) == 0;
    assert_true(found);
    cairn_buf_release(&native);
    cairn_free(a);
    cairn_free(b);
    cairn_model_free(straight);
    cairn_model_free(m);
    ds_free(&tr);
    ds_free(&va);
}

static void test_callback_stops(void **state)
{
    (void)state;
    dataset tr;
    ds_make(&tr, BIN, 500, 5);
    cairn_learner_params p;
    params_for(&p, BIN, NULL, 50);
    rounds_seen seen = {.stop_at = 3};
    p.on_round = on_round;
    p.round_ud = &seen;
    cairn_model *m = fit(&tr.d, NULL, &p);
    cairn_model_info info;
    cairn_model_info_get(m, &info);
    assert_int_equal(seen.n, 4);
    assert_int_equal(info.rounds, 4);
    assert_true(info.stopped_by_callback);
    assert_true(isfinite(seen.train[0]) && isnan(seen.valid[0]));
    assert_true(seen.train[3] < seen.train[0]);
    cairn_model_free(m);
    ds_free(&tr);
}

static bool cancel_at_2(void *ud, const char *stage, int64_t done, int64_t total)
{
    (void)ud;
    assert_string_equal(stage, "train");
    assert_int_equal(total, 10);
    return done < 2;
}

static void test_progress_cancels(void **state)
{
    (void)state;
    dataset tr;
    ds_make(&tr, BIN, 300, 5);
    cairn_learner_params p;
    params_for(&p, BIN, NULL, 10);
    p.progress = cancel_at_2;
    cairn_error e;
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_ECANCELED);
    ds_free(&tr);
}

static void test_continue_equals_straight(void **state)
{
    (void)state;
    dataset tr, te;
    ds_make(&tr, BIN, 2000, 6);
    ds_make(&te, BIN, 500, 7);
    const char *hyper = "{\"max_depth\": 5, \"eta\": 0.1}";
    cairn_learner_params p;
    params_for(&p, BIN, hyper, 25);
    cairn_model *straight = fit(&tr.d, NULL, &p);

    /* 10 rounds, checkpointed through the envelope, then 15 more. */
    p.rounds = 10;
    cairn_model *first = fit(&tr.d, NULL, &p);
    cairn_buf bytes;
    save(first, &bytes);
    cairn_model *checkpoint;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_model_load(bytes.data, bytes.len, &checkpoint, &e), &e);
    p.rounds = 15;
    p.init_model = checkpoint;
    rounds_seen seen = {.stop_at = -1};
    seen.n = 10; /* rounds are numbered on from the checkpoint */
    p.on_round = on_round;
    p.round_ud = &seen;
    cairn_model *resumed = fit(&tr.d, NULL, &p);
    assert_int_equal(seen.n, 25);
    cairn_model_info info;
    cairn_model_info_get(resumed, &info);
    assert_int_equal(info.rounds, 25);
    double *a = predict(straight, &te.x, CAIRN_PREDICT_VALUE, NULL);
    double *b = predict(resumed, &te.x, CAIRN_PREDICT_VALUE, NULL);
    double d = max_diff(a, b, (size_t)te.x.rows);
    print_message("continued vs straight: max |diff| %g\n", d);
    assert_true(d <= 1e-6);
    cairn_free(a);
    cairn_free(b);

    /* A checkpoint of another kind is refused. */
    cairn_learner_params r;
    params_for(&r, REG, NULL, 2);
    r.init_model = checkpoint;
    assert_int_equal(fit_error(&tr.d, NULL, &r, &e), CAIRN_ECONFLICT);

    /* With row and column sampling, continuing is deterministic (but not straight-through). */
    params_for(&p, BIN, "{\"subsample\": 0.7, \"colsample_bytree\": 0.8}", 5);
    cairn_model *s1 = fit(&tr.d, NULL, &p);
    p.init_model = s1;
    cairn_model *c1 = fit(&tr.d, NULL, &p), *c2 = fit(&tr.d, NULL, &p);
    cairn_buf b1, b2;
    save(c1, &b1);
    save(c2, &b2);
    assert_true(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
    cairn_buf_release(&b1);
    cairn_buf_release(&b2);
    cairn_model_free(s1);
    cairn_model_free(c1);
    cairn_model_free(c2);
    cairn_buf_release(&bytes);
    cairn_model_free(checkpoint);
    cairn_model_free(first);
    cairn_model_free(resumed);
    cairn_model_free(straight);
    ds_free(&tr);
    ds_free(&te);
}

/* Checkpoints: every snapshot, continued in a fresh fit, ends in the very model the
 * uninterrupted fit made (bytes equal), with row and column sampling and early stopping. */
typedef struct snapshots {
    int64_t rounds[64];
    cairn_buf bytes[64];
    size_t n;
    int64_t fail_at;
} snapshots;

static bool keep_snapshot(void *ud, int64_t rounds, const cairn_model *snap)
{
    snapshots *s = ud;
    if (rounds == s->fail_at) return false;
    cairn_model_info info;
    cairn_model_info_get(snap, &info);
    assert_int_equal(info.rounds, rounds);
    assert_true(s->n < 64);
    s->rounds[s->n] = rounds;
    save(snap, &s->bytes[s->n]);
    s->n++;
    return true;
}

static void snapshots_release(snapshots *s)
{
    for (size_t i = 0; i < s->n; i++)
        cairn_buf_release(&s->bytes[i]);
    s->n = 0;
}

static void check_resume_from_every_snapshot(const char *hyper, int64_t rounds, int64_t patience,
                                             const int64_t *cps, size_t ncps, bool expect_early)
{
    dataset tr, va;
    ds_make(&tr, BIN, 1500, 21);
    ds_make(&va, BIN, 600, 22);
    cairn_learner_params p;
    params_for(&p, BIN, hyper, rounds);
    p.early_stopping_rounds = patience;
    p.checkpoints = cps;
    p.ncheckpoints = ncps;
    p.on_checkpoint = keep_snapshot;
    snapshots all = {.fail_at = -1};
    p.checkpoint_ud = &all;
    cairn_model *straight = fit(&tr.d, &va.d, &p);
    cairn_model_info want;
    cairn_model_info_get(straight, &want);
    assert_int_equal(want.stopped_early, expect_early);
    cairn_buf final;
    save(straight, &final);
    assert_true(all.n >= 2);
    for (size_t i = 0; i < all.n; i++) {
        cairn_model *snap = NULL;
        cairn_error e;
        cairn_error_clear(&e);
        CAIRN_ASSERT_OK(cairn_model_load(all.bytes[i].data, all.bytes[i].len, &snap, &e), &e);
        cairn_learner_params q = p;
        snapshots later = {.fail_at = -1};
        q.checkpoint_ud = &later;
        q.init_model = snap;
        q.rounds = rounds - all.rounds[i];
        cairn_model *resumed = fit(&tr.d, &va.d, &q);
        cairn_model_info got;
        cairn_model_info_get(resumed, &got);
        assert_int_equal(got.rounds, want.rounds);
        assert_int_equal(got.best_round, want.best_round);
        assert_true(got.best_score == want.best_score);
        assert_int_equal(got.stopped_early, want.stopped_early);
        cairn_buf b;
        save(resumed, &b);
        assert_true(b.len == final.len && memcmp(b.data, final.data, b.len) == 0);
        /* the later checkpoints are the same too */
        assert_int_equal(later.n, all.n - i - 1);
        for (size_t k = 0; k < later.n; k++) {
            assert_int_equal(later.rounds[k], all.rounds[i + 1 + k]);
            assert_true(later.bytes[k].len == all.bytes[i + 1 + k].len &&
                        memcmp(later.bytes[k].data, all.bytes[i + 1 + k].data, later.bytes[k].len) == 0);
        }
        snapshots_release(&later);
        cairn_buf_release(&b);
        cairn_model_free(resumed);
        cairn_model_free(snap);
    }
    /* a failing checkpoint fails the fit */
    snapshots failing = {.fail_at = all.rounds[0]};
    p.checkpoint_ud = &failing;
    cairn_error e;
    assert_int_equal(fit_error(&tr.d, &va.d, &p, &e), CAIRN_ECANCELED);
    snapshots_release(&failing);
    snapshots_release(&all);
    cairn_buf_release(&final);
    cairn_model_free(straight);
    ds_free(&tr);
    ds_free(&va);
}

static void test_checkpoints_resume_exactly(void **state)
{
    (void)state;
    static const int64_t geometric[] = {5, 15, 40};
    check_resume_from_every_snapshot("{\"max_depth\": 4, \"eta\": 0.1, \"subsample\": 0.7, "
                                     "\"colsample_bytree\": 0.8}",
                                     60, 0, geometric, 3, false);
    /* eta 0.6 at depth 8 overfits: early stopping fires after some checkpoints */
    static const int64_t every3[] = {3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39, 42, 45, 48};
    check_resume_from_every_snapshot("{\"max_depth\": 8, \"eta\": 0.6, \"subsample\": 0.8, "
                                     "\"min_child_weight\": 0}",
                                     50, 4, every3, 16, true);
}

static void test_save_load_roundtrip(void **state)
{
    (void)state;
    dataset tr, va;
    ds_make(&tr, BIN, 1000, 8);
    ds_make(&va, BIN, 400, 9);
    cairn_learner_params p;
    params_for(&p, BIN, "{\"max_depth\": 3}", 200);
    p.early_stopping_rounds = 10;
    cairn_model *m = fit(&tr.d, &va.d, &p);
    cairn_buf bytes, again;
    save(m, &bytes);
    assert_memory_equal(bytes.data, "CAIRNMDL", 8);
    cairn_model *back;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_model_load(bytes.data, bytes.len, &back, &e), &e);
    double *a = predict(m, &va.x, CAIRN_PREDICT_VALUE, NULL);
    double *b = predict(back, &va.x, CAIRN_PREDICT_VALUE, NULL);
    assert_true(max_diff(a, b, (size_t)va.x.rows) == 0);
    save(back, &again);
    assert_true(again.len == bytes.len && memcmp(again.data, bytes.data, bytes.len) == 0);
    cairn_model_info i1, i2;
    cairn_model_info_get(m, &i1);
    cairn_model_info_get(back, &i2);
    assert_int_equal(i1.rounds, i2.rounds);
    assert_int_equal(i1.best_round, i2.best_round);
    assert_true(i1.best_score == i2.best_score);
    assert_string_equal(i2.metric, "logloss");
    assert_int_equal(i1.stopped_early, i2.stopped_early);
    cairn_model_free(back);

    /* A changed byte, a cut, and something else entirely. */
    bytes.data[bytes.len / 2] ^= 1;
    assert_int_equal(cairn_model_load(bytes.data, bytes.len, &back, &e), CAIRN_ECORRUPT);
    bytes.data[bytes.len / 2] ^= 1;
    assert_int_equal(cairn_model_load(bytes.data, bytes.len - 9, &back, &e), CAIRN_ECORRUPT);
    assert_int_equal(cairn_model_load("{\"learner\":1}", 13, &back, &e), CAIRN_EPARSE);
    bytes.data[8] = 9; /* a newer envelope version */
    assert_int_equal(cairn_model_load(bytes.data, bytes.len, &back, &e), CAIRN_EUNSUPPORTED);
    cairn_free(a);
    cairn_free(b);
    cairn_buf_release(&bytes);
    cairn_buf_release(&again);
    cairn_model_free(m);
    ds_free(&tr);
    ds_free(&va);
}

static void test_deterministic(void **state)
{
    (void)state;
    dataset tr;
    ds_make(&tr, BIN, 1500, 10);
    cairn_learner_params p;
    params_for(&p, BIN, "{\"subsample\": 0.8, \"colsample_bynode\": 0.7}", 20);
    cairn_model *a = fit(&tr.d, NULL, &p), *b = fit(&tr.d, NULL, &p);
    p.seed = 8;
    cairn_model *c = fit(&tr.d, NULL, &p);
    cairn_buf ba, bb, bc;
    save(a, &ba);
    save(b, &bb);
    save(c, &bc);
    assert_true(ba.len == bb.len && memcmp(ba.data, bb.data, ba.len) == 0);
    assert_false(ba.len == bc.len && memcmp(ba.data, bc.data, ba.len) == 0);
    cairn_buf_release(&ba);
    cairn_buf_release(&bb);
    cairn_buf_release(&bc);
    cairn_model_free(a);
    cairn_model_free(b);
    cairn_model_free(c);
    ds_free(&tr);
}

static void test_multiclass(void **state)
{
    (void)state;
    dataset tr, te;
    ds_make(&tr, MULTI, 2000, 11);
    ds_make(&te, MULTI, 600, 12);
    cairn_learner_params p;
    params_for(&p, MULTI, "{\"max_depth\": 4}", 40);
    cairn_model *m = fit(&tr.d, NULL, &p);
    cairn_model_info info;
    cairn_model_info_get(m, &info);
    assert_int_equal(info.num_class, 3);
    assert_int_equal(info.outputs, 3);
    int64_t cols;
    double *pr = predict(m, &te.x, CAIRN_PREDICT_VALUE, &cols);
    assert_int_equal(cols, 3);
    int correct = 0;
    for (int64_t i = 0; i < te.x.rows; i++) {
        const double *r = pr + i * 3;
        assert_true(fabs(r[0] + r[1] + r[2] - 1) < 1e-6);
        int arg = r[1] > r[0] ? (r[2] > r[1] ? 2 : 1) : (r[2] > r[0] ? 2 : 0);
        correct += arg == (int)te.y[i];
    }
    print_message("multiclass accuracy %.3f\n", correct / (double)te.x.rows);
    assert_true(correct > 0.8 * (double)te.x.rows);
    /* SHAP: 3 groups of K + 1, each summing to that class's margin. */
    double *margin = predict(m, &te.x, CAIRN_PREDICT_MARGIN, &cols);
    assert_int_equal(cols, 3);
    double *shap = predict(m, &te.x, CAIRN_PREDICT_SHAP, &cols);
    assert_int_equal(cols, 3 * (K + 1));
    for (int64_t i = 0; i < te.x.rows; i++)
        for (int g = 0; g < 3; g++) {
            double s = 0;
            for (int j = 0; j <= K; j++)
                s += shap[(i * 3 + g) * (K + 1) + j];
            assert_true(fabs(s - margin[i * 3 + g]) < 1e-4);
        }
    cairn_free(margin);
    cairn_free(shap);
    cairn_free(pr);
    cairn_model_free(m);
    ds_free(&tr);
    ds_free(&te);
}

static void test_regression(void **state)
{
    (void)state;
    dataset tr, te;
    ds_make(&tr, REG, 3000, 13);
    ds_make(&te, REG, 500, 14);
    cairn_learner_params p;
    params_for(&p, REG, "{\"max_depth\": 5, \"eta\": 0.1}", 150);
    cairn_model *m = fit(&tr.d, NULL, &p);
    double *pr = predict(m, &te.x, CAIRN_PREDICT_VALUE, NULL);
    double *mg = predict(m, &te.x, CAIRN_PREDICT_MARGIN, NULL);
    double se = 0, var = 0, mean = 0;
    for (int64_t i = 0; i < te.x.rows; i++)
        mean += te.y[i] / (double)te.x.rows;
    for (int64_t i = 0; i < te.x.rows; i++) {
        se += (pr[i] - te.y[i]) * (pr[i] - te.y[i]);
        var += (te.y[i] - mean) * (te.y[i] - mean);
        assert_true(fabs(pr[i] - mg[i]) < 1e-6);
    }
    print_message("regression R^2 %.3f\n", 1 - se / var);
    assert_true(1 - se / var > 0.9);
    cairn_model_info info;
    cairn_model_info_get(m, &info);
    assert_int_equal(info.num_class, 0);
    cairn_free(pr);
    cairn_free(mg);
    cairn_model_free(m);

    /* Another regression objective passes through; a classification one does not. */
    params_for(&p, REG, "{\"objective\": \"reg:pseudohubererror\"}", 5);
    m = fit(&tr.d, NULL, &p);
    cairn_model_free(m);
    params_for(&p, REG, "{\"objective\": \"binary:logistic\"}", 5);
    cairn_error e;
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_EINVAL);
    assert_string_equal(e.field, "objective");
    ds_free(&tr);
    ds_free(&te);
}

static void test_weights(void **state)
{
    (void)state;
    dataset tr, te;
    ds_make(&tr, BIN, 1500, 15);
    ds_make(&te, BIN, 300, 16);
    cairn_learner_params p;
    params_for(&p, BIN, "{\"max_depth\": 3}", 20);
    cairn_model *plain = fit(&tr.d, NULL, &p);
    /* Class 1 rows count 3 times: as row weights and as class weights, the same model. */
    double *w = cairn_malloc((size_t)tr.x.rows * sizeof *w);
    for (int64_t i = 0; i < tr.x.rows; i++)
        w[i] = tr.y[i] > 0.5 ? 3.0 : 1.0;
    cairn_learn_data weighted = {&tr.x, tr.y, w};
    cairn_model *by_row = fit(&weighted, NULL, &p);
    double cw[2] = {1.0, 3.0};
    p.class_weights = cw;
    p.nclass_weights = 2;
    cairn_model *by_class = fit(&tr.d, NULL, &p);
    double *a = predict(plain, &te.x, CAIRN_PREDICT_VALUE, NULL);
    double *b = predict(by_row, &te.x, CAIRN_PREDICT_VALUE, NULL);
    double *c = predict(by_class, &te.x, CAIRN_PREDICT_VALUE, NULL);
    assert_true(max_diff(b, c, (size_t)te.x.rows) == 0);
    double mean_a = 0, mean_b = 0;
    for (int64_t i = 0; i < te.x.rows; i++)
        mean_a += a[i], mean_b += b[i];
    assert_true(mean_b > mean_a + 0.05 * (double)te.x.rows); /* pushed towards class 1 */
    /* Bad weights and class weights. */
    cairn_error e;
    w[7] = -1;
    p.class_weights = NULL;
    assert_int_equal(fit_error(&weighted, NULL, &p, &e), CAIRN_EINVAL);
    assert_int_equal(e.row, 7);
    p.class_weights = cw;
    p.nclass_weights = 3;
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_EINVAL);
    cairn_free(a);
    cairn_free(b);
    cairn_free(c);
    cairn_free(w);
    cairn_model_free(plain);
    cairn_model_free(by_row);
    cairn_model_free(by_class);
    ds_free(&tr);
    ds_free(&te);
}

static void test_shap(void **state)
{
    (void)state;
    dataset tr, te;
    ds_make(&tr, BIN, 2000, 17);
    ds_make(&te, BIN, 300, 18);
    cairn_learner_params p;
    params_for(&p, BIN, "{\"max_depth\": 4}", 30);
    cairn_model *m = fit(&tr.d, NULL, &p);
    int64_t cols;
    double *shap = predict(m, &te.x, CAIRN_PREDICT_SHAP, &cols);
    double *margin = predict(m, &te.x, CAIRN_PREDICT_MARGIN, NULL);
    double *value = predict(m, &te.x, CAIRN_PREDICT_VALUE, NULL);
    assert_int_equal(cols, K + 1);
    double worst = 0;
    for (int64_t i = 0; i < te.x.rows; i++) {
        double s = 0;
        for (int j = 0; j <= K; j++)
            s += shap[i * (K + 1) + j];
        worst = fmax(worst, fabs(s - margin[i]));
        assert_true(fabs(value[i] - 1 / (1 + exp(-margin[i]))) < 1e-6);
    }
    print_message("SHAP sum vs margin: max |diff| %g\n", worst);
    assert_true(worst < 1e-4);
    double *imp;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_model_shap_importance(m, &te.x, &imp, &e), &e);
    /* a and b drive the label; the noise column barely matters. */
    assert_true(imp[0] > 5 * imp[5] && imp[1] > 5 * imp[5]);
    assert_true(imp[1] > imp[2]);
    cairn_free(imp);
    cairn_free(shap);
    cairn_free(margin);
    cairn_free(value);
    cairn_model_free(m);
    ds_free(&tr);
    ds_free(&te);
}

/* Hyper-parameter values pass through as XGBoost wants them, and a maximised metric (auc)
 * drives early stopping upwards. */
static void test_hyper_passthrough(void **state)
{
    (void)state;
    dataset tr, va;
    ds_make(&tr, BIN, 800, 20);
    ds_make(&va, BIN, 400, 21);
    cairn_learner_params p;
    params_for(&p, BIN,
               "{\"max_depth\": 4.0, \"monotone_constraints\": [1, -1, 0, 0, 0, 0], "
               "\"interaction_constraints\": [[0, 1], [2, 3, 4, 5]], \"validate_parameters\": "
               "true, \"eval_metric\": [\"logloss\", \"auc\"], \"eta\": 0.5}",
               300);
    p.early_stopping_rounds = 4;
    rounds_seen seen = {.stop_at = -1};
    p.on_round = on_round;
    p.round_ud = &seen;
    cairn_model *m = fit(&tr.d, &va.d, &p);
    cairn_model_info info;
    cairn_model_info_get(m, &info);
    assert_string_equal(info.metric, "auc");
    double best = -INFINITY;
    for (int64_t r = 0; r < seen.n; r++)
        best = fmax(best, seen.valid[r]);
    assert_true(info.best_score == best && best > 0.8);
    cairn_model_free(m);
    params_for(&p, BIN, "{\"booster\": \"dart\", \"one_drop\": true, \"rate_drop\": 0.1}", 5);
    m = fit(&tr.d, NULL, &p);
    cairn_model_free(m);
    ds_free(&tr);
    ds_free(&va);
}

typedef struct predictor {
    const cairn_model *m;
    const cairn_matrix *x;
    const double *expect;
    int mismatches;
} predictor;

static void *predict_many(void *arg)
{
    predictor *p = arg;
    for (int it = 0; it < 20; it++) {
        double *out;
        int64_t cols;
        cairn_error e;
        cairn_error_clear(&e);
        if (cairn_model_predict(p->m, p->x, it % 2 ? CAIRN_PREDICT_MARGIN : CAIRN_PREDICT_VALUE,
                                &out, &cols, &e)) {
            p->mismatches++;
            continue;
        }
        if (it % 2 == 0 && memcmp(out, p->expect, (size_t)p->x->rows * sizeof(double)) != 0)
            p->mismatches++;
        cairn_free(out);
    }
    return NULL;
}

/* A loaded model predicts from several threads at once, each getting its own answers. */
static void test_concurrent_predict(void **state)
{
    (void)state;
    dataset tr, te;
    ds_make(&tr, BIN, 1000, 23);
    ds_make(&te, BIN, 300, 24);
    cairn_learner_params p;
    params_for(&p, BIN, NULL, 20);
    cairn_model *fitted = fit(&tr.d, NULL, &p), *m;
    cairn_buf b;
    save(fitted, &b);
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_model_load(b.data, b.len, &m, &e), &e);
    double *expect = predict(fitted, &te.x, CAIRN_PREDICT_VALUE, NULL);
    pthread_t th[4];
    predictor work[4];
    for (int i = 0; i < 4; i++) {
        work[i] = (predictor){m, &te.x, expect, 0};
        assert_int_equal(pthread_create(&th[i], NULL, predict_many, &work[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(work[i].mismatches, 0);
    }
    cairn_free(expect);
    cairn_buf_release(&b);
    cairn_model_free(m);
    cairn_model_free(fitted);
    ds_free(&tr);
    ds_free(&te);
}

/* ------------------------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    dataset tr;
    ds_make(&tr, BIN, 200, 19);
    cairn_learner_params p;
    cairn_error e;

    params_for(&p, BIN, "{\"max_dept\": 3}", 5);
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_EINVAL);
    assert_string_equal(e.field, "max_dept");
    assert_non_null(strstr(e.message, "unknown xgboost hyper-parameter 'max_dept' (did you mean "
                                      "'max_depth'?)"));
    params_for(&p, BIN, "{\"max_depth\": \"deep\"}", 5);
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "expected a number"));
    params_for(&p, BIN, "{\"subsample\": 1.5}", 5);
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "outside"));
    params_for(&p, BIN, "{\"seed\": 3}", 5);
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "cairn_learner_params.seed"));
    params_for(&p, BIN, "{\"tree_method\": \"gpu_hist\"}", 5);
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_EINVAL);
    params_for(&p, BIN, "[1, 2]", 5);
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_EINVAL);
    params_for(&p, BIN, "{\"eta\": ", 5);
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_EPARSE);
    /* A value XGBoost itself refuses comes back with XGBoost's reason, without its noise. */
    params_for(&p, BIN, "{\"eval_metric\": \"no-such-metric\"}", 2);
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "xgboost: "));
    assert_null(strchr(e.message, '\n'));

    params_for(&p, BIN, NULL, 5);
    p.learner = "xgb";
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "unknown learner 'xgb'"));
    p.learner = "xgboost";
    p.objective = CAIRN_OBJECTIVE_CLUSTERING;
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "does not do clustering"));
    p.objective = CAIRN_OBJECTIVE_BINARY;
    p.early_stopping_rounds = 3;
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "needs a validation set"));
    p.early_stopping_rounds = 0;

    /* Labels: not 0/1, missing. */
    tr.y[17] = 2;
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_EINVAL);
    assert_int_equal(e.row, 17);
    assert_non_null(strstr(e.message, "row 17: label 2 is not a class"));
    tr.y[17] = NAN;
    assert_int_equal(fit_error(&tr.d, NULL, &p, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "has no label"));
    tr.y[17] = 1;
    cairn_learn_data nolabels = {&tr.x, NULL, NULL};
    assert_int_equal(fit_error(&nolabels, NULL, &p, &e), CAIRN_EINVAL);

    /* Columns: a validation set and a prediction matrix must match the training columns. */
    const char *other[K] = {"a", "b", "c", "d", "E", "noise"};
    cairn_matrix vx;
    assert_int_equal(cairn_matrix_init(&vx, 3, K, other), 0);
    double vy[3] = {0, 1, 0};
    cairn_learn_data valid = {&vx, vy, NULL};
    assert_int_equal(fit_error(&tr.d, &valid, &p, &e), CAIRN_ECONFLICT);
    assert_string_equal(e.field, "E");
    cairn_model *m = fit(&tr.d, NULL, &p);
    double *out;
    int64_t cols = 9;
    cairn_error_clear(&e);
    assert_int_equal(cairn_model_predict(m, &vx, CAIRN_PREDICT_VALUE, &out, &cols, &e),
                     CAIRN_ECONFLICT);
    assert_null(out);
    assert_int_equal(cols, 0);
    assert_non_null(strstr(e.message, "column 5 is 'E', the model expects 'e'"));
    cairn_matrix narrow;
    assert_int_equal(cairn_matrix_init(&narrow, 2, K - 1, NULL), 0);
    assert_int_equal(cairn_model_predict(m, &narrow, CAIRN_PREDICT_VALUE, &out, &cols, &e),
                     CAIRN_ECONFLICT);
    assert_non_null(strstr(e.message, "has 5 columns, the model has 6"));
    /* An unnamed matrix of the right width is accepted. */
    cairn_matrix unnamed;
    assert_int_equal(cairn_matrix_init(&unnamed, 2, K, NULL), 0);
    CAIRN_ASSERT_OK(cairn_model_predict(m, &unnamed, CAIRN_PREDICT_VALUE, &out, &cols, &e), &e);
    cairn_free(out);
    cairn_matrix_release(&unnamed);
    cairn_matrix_release(&narrow);
    cairn_matrix_release(&vx);
    cairn_model_free(m);
    ds_free(&tr);
}

/* ------------------------------------------------------------------------------------------
 * Every allocation failing in turn
 * ---------------------------------------------------------------------------------------- */

static void test_alloc_failures(void **state)
{
    (void)state;
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks();
    dataset tr;
    ds_make(&tr, MULTI, 120, 22);
    cairn_learner_params p;
    params_for(&p, MULTI, "{\"max_depth\": 2, \"eval_metric\": [\"mlogloss\"]}", 3);
    alloc_failures(&tr.d, &p, true);
    ds_free(&tr);
    assert_int_equal(cairn_testalloc_live_blocks(), base);
    cairn_testalloc_uninstall();
}

int main(int argc, char **argv)
{
    /* libgomp (XGBoost's OpenMP) busy-waits between parallel regions by default; on a loaded
     * machine (ctest -j, other builds) that made a 60 ms fit take 7-11 s. It reads the policy
     * when it is loaded, before main, so the test re-executes itself with it set. */
    if (argc > 0 && !getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "passive", 1);
        execv("/proc/self/exe", argv);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix_from_table),
        cmocka_unit_test(test_binary_accuracy),
        cmocka_unit_test(test_early_stopping_slices),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_progress_cancels),
        cmocka_unit_test(test_continue_equals_straight),
        cmocka_unit_test(test_checkpoints_resume_exactly),
        cmocka_unit_test(test_save_load_roundtrip),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_multiclass),
        cmocka_unit_test(test_regression),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_shap),
        cmocka_unit_test(test_hyper_passthrough),
        cmocka_unit_test(test_concurrent_predict),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
