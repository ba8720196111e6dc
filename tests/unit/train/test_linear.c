/* tests/unit/train/test_linear.c: the "logistic" (liblinear) and "linear" (Cholesky)
 * learners of src/train/linear.c.
 *
 * logistic: accuracy well above chance; the probability of class 1 whichever label the
 * first row has (liblinear's first-seen label order); standardisation fitted on training
 * rows only (a validation set changes nothing); multiclass probabilities summing to 1; per-
 * class row weights equal to class weights, other row weights refused; L1 zeroing a noise
 * column; SHAP summing to the margin. linear: exact recovery of a noiseless linear target,
 * row weights equal to repeated rows, ridge shrinkage, collinear and constant columns, NaN
 * imputed with the training mean; save -> load; the same bytes on 1 and 2 threads; every
 * allocation of fit, save, load, predict and SHAP failing in turn. The
 * scikit-learn comparison is in tests/oracles/test_xgb_python.sh.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cairn/learn.h"
#include "learn_exercise.h"

#define K 4
static const char *const names4[K] = {"a", "b", "c", "noise"};

/* ------------------------------------------------------------------------------------------
 * Fixtures
 * ---------------------------------------------------------------------------------------- */

typedef struct dataset {
    cairn_matrix x;
    double *y;
    cairn_learn_data d;
} dataset;

/* Columns on different scales (a ~ N(5, 3), b ~ N(-2, 0.5), c ~ N(0, 10), noise ~ N(0, 1)).
 * classes: binary y = [z_a - 2 z_b + 0.5 N > 0]; three classes: argmax(z_a, z_b, z_c);
 * linear: y = 3 + 2a - b + 0.25c exactly. */
typedef enum { BIN, MULTI, LIN } task;

static void ds_make(dataset *s, task t, int64_t n, uint64_t seed)
{
    assert_int_equal(cairn_matrix_init(&s->x, n, K, names4), 0);
    s->y = cairn_malloc((size_t)n * sizeof(double));
    cairn_rng rng;
    cairn_rng_seed(&rng, seed);
    for (int64_t i = 0; i < n; i++) {
        float *r = s->x.values + i * K;
        double za = cairn_rng_normal(&rng), zb = cairn_rng_normal(&rng);
        double zc = cairn_rng_normal(&rng);
        r[0] = (float)(5 + 3 * za);
        r[1] = (float)(-2 + 0.5 * zb);
        r[2] = (float)(10 * zc);
        r[3] = (float)cairn_rng_normal(&rng);
        if (t == BIN) s->y[i] = za - 2 * zb + 0.5 * cairn_rng_normal(&rng) > 0;
        if (t == MULTI) s->y[i] = za > zb ? (za > zc ? 0 : 2) : (zb > zc ? 1 : 2);
        if (t == LIN) s->y[i] = 3 + 2.0 * r[0] - r[1] + 0.25 * r[2];
    }
    s->d = (cairn_learn_data){&s->x, s->y, NULL};
}

static void ds_free(dataset *s)
{
    cairn_matrix_release(&s->x);
    cairn_free(s->y);
}

static void params_for(cairn_learner_params *p, const char *learner, cairn_objective obj,
                       const char *hyper)
{
    cairn_learner_params_init(p);
    p->learner = learner;
    p->objective = obj;
    p->hyper_json = hyper;
    p->seed = 3;
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

static int fit_error(const cairn_learn_data *train, const cairn_learner_params *p, cairn_error *e)
{
    cairn_model *m = NULL;
    cairn_error_clear(e);
    int rc = cairn_model_fit(train, NULL, p, &m, e);
    assert_null(m);
    return rc;
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

static bool same_bytes(const cairn_model *a, const cairn_model *b)
{
    cairn_buf x, y;
    save(a, &x);
    save(b, &y);
    bool same = x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
    cairn_buf_release(&x);
    cairn_buf_release(&y);
    return same;
}

/* The native JSON {"coef": [[...]], "intercept": [...]}. */
static json_t *native_json(const cairn_model *m)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    const char *format;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_model_native(m, &b, &format, &e), &e);
    assert_string_equal(format, "json");
    json_t *j;
    CAIRN_ASSERT_OK(cairn_json_parse(b.data, b.len, "native", &j, &e), &e);
    cairn_buf_release(&b);
    return j;
}

static double coef(const json_t *j, size_t g, size_t c)
{
    return json_number_value(json_array_get(json_array_get(json_object_get(j, "coef"), g), c));
}

static double accuracy(const double *p, const double *y, int64_t n)
{
    int64_t ok = 0;
    for (int64_t i = 0; i < n; i++)
        ok += (p[i] > 0.5) == (y[i] > 0.5);
    return (double)ok / (double)n;
}

/* ------------------------------------------------------------------------------------------
 * logistic
 * ---------------------------------------------------------------------------------------- */

static void test_logistic_binary(void **state)
{
    (void)state;
    dataset tr, te;
    ds_make(&tr, BIN, 2000, 1);
    ds_make(&te, BIN, 500, 2);
    cairn_learner_params p;
    params_for(&p, "logistic", CAIRN_OBJECTIVE_BINARY, "{\"C\": 0.5}");
    cairn_model *m = fit(&tr.d, NULL, &p);
    int64_t cols;
    double *pr = predict(m, &te.x, CAIRN_PREDICT_VALUE, &cols);
    assert_int_equal(cols, 1);
    double acc = accuracy(pr, te.y, te.x.rows);
    print_message("logistic accuracy %.3f\n", acc);
    assert_true(acc > 0.85);
    double *mg = predict(m, &te.x, CAIRN_PREDICT_MARGIN, NULL);
    double *shap = predict(m, &te.x, CAIRN_PREDICT_SHAP, &cols);
    assert_int_equal(cols, K + 1);
    for (int64_t i = 0; i < te.x.rows; i++) {
        assert_true(fabs(pr[i] - 1 / (1 + exp(-mg[i]))) < 1e-12);
        double s = 0;
        for (int j = 0; j <= K; j++)
            s += shap[i * (K + 1) + j];
        assert_true(fabs(s - mg[i]) < 1e-9);
    }
    /* a pushes towards 1, b away, the noise column hardly matters. */
    json_t *j = native_json(m);
    assert_true(coef(j, 0, 0) > 0.5 && coef(j, 0, 1) < -1.0 && fabs(coef(j, 0, 3)) < 0.2);
    json_decref(j);
    cairn_free(pr);
    cairn_free(mg);
    cairn_free(shap);
    cairn_model_free(m);
    ds_free(&tr);
    ds_free(&te);
}

/* The same rows in two orders, one starting with a 1 label and one with a 0: liblinear lists
 * its labels in the order it first meets them, and Cairn must still report P(1). */
static void test_logistic_label_order(void **state)
{
    (void)state;
    dataset a, b;
    ds_make(&a, BIN, 800, 3);
    ds_make(&b, BIN, 800, 3);
    int64_t one = -1, zero = -1;
    for (int64_t i = 0; i < a.x.rows; i++) {
        if (a.y[i] > 0.5 && one < 0) one = i;
        if (a.y[i] < 0.5 && zero < 0) zero = i;
    }
    /* a starts with a 1, b with a 0 (swap rows 0 and the first of the other label). */
    int64_t swap_a = a.y[0] > 0.5 ? 0 : one, swap_b = b.y[0] < 0.5 ? 0 : zero;
    for (int pass = 0; pass < 2; pass++) {
        dataset *s = pass ? &b : &a;
        int64_t r = pass ? swap_b : swap_a;
        for (int j = 0; j < K; j++) {
            float t = s->x.values[j];
            s->x.values[j] = s->x.values[r * K + j];
            s->x.values[r * K + j] = t;
        }
        double t = s->y[0];
        s->y[0] = s->y[r];
        s->y[r] = t;
    }
    assert_true(a.y[0] > 0.5 && b.y[0] < 0.5);
    cairn_learner_params p;
    params_for(&p, "logistic", CAIRN_OBJECTIVE_BINARY, "{\"tol\": 1e-8}");
    cairn_model *ma = fit(&a.d, NULL, &p), *mb = fit(&b.d, NULL, &p);
    double *pa = predict(ma, &a.x, CAIRN_PREDICT_VALUE, NULL);
    double *pb = predict(mb, &a.x, CAIRN_PREDICT_VALUE, NULL);
    double worst = 0;
    for (int64_t i = 0; i < a.x.rows; i++)
        worst = fmax(worst, fabs(pa[i] - pb[i]));
    print_message("label order: max |diff| %g, accuracy %.3f / %.3f\n", worst,
                  accuracy(pa, a.y, a.x.rows), accuracy(pb, a.y, a.x.rows));
    assert_true(worst < 1e-6);
    assert_true(accuracy(pa, a.y, a.x.rows) > 0.85 && accuracy(pb, a.y, a.x.rows) > 0.85);
    cairn_free(pa);
    cairn_free(pb);
    cairn_model_free(ma);
    cairn_model_free(mb);
    ds_free(&a);
    ds_free(&b);
}

static void test_standardize_train_only(void **state)
{
    (void)state;
    dataset tr, v1, v2;
    ds_make(&tr, BIN, 600, 4);
    ds_make(&v1, BIN, 300, 5);
    ds_make(&v2, BIN, 300, 6);
    for (int64_t i = 0; i < v2.x.rows * K; i++)
        v2.x.values[i] = v2.x.values[i] * 7 + 100;
    cairn_learner_params p;
    params_for(&p, "logistic", CAIRN_OBJECTIVE_BINARY, NULL);
    cairn_model *m0 = fit(&tr.d, NULL, &p), *m1 = fit(&tr.d, &v1.d, &p),
                *m2 = fit(&tr.d, &v2.d, &p);
    assert_true(same_bytes(m0, m1) && same_bytes(m0, m2));
    /* The stored mean is the training mean. */
    cairn_buf b;
    save(m0, &b);
    double mean_a = 0;
    for (int64_t i = 0; i < tr.x.rows; i++)
        mean_a += tr.x.values[i * K];
    mean_a /= (double)tr.x.rows;
    uint32_t hlen = (uint32_t)(uint8_t)b.data[12] | (uint32_t)(uint8_t)b.data[13] << 8 |
                    (uint32_t)(uint8_t)b.data[14] << 16 | (uint32_t)(uint8_t)b.data[15] << 24;
    json_t *h;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_json_parse(b.data + 16, hlen, "header", &h, &e), &e);
    double stored = json_number_value(
        json_array_get(json_object_get(json_object_get(h, "standardize"), "mean"), 0));
    assert_true(fabs(stored - mean_a) < 1e-9 * fabs(mean_a));
    json_decref(h);
    cairn_buf_release(&b);
    /* Same for linear. */
    params_for(&p, "linear", CAIRN_OBJECTIVE_REGRESSION, NULL);
    cairn_learn_data lin_tr = {&tr.x, tr.y, NULL}, lin_v2 = {&v2.x, v2.y, NULL};
    cairn_model *l0 = fit(&lin_tr, NULL, &p), *l2 = fit(&lin_tr, &lin_v2, &p);
    assert_true(same_bytes(l0, l2));
    cairn_model_free(l0);
    cairn_model_free(l2);
    cairn_model_free(m0);
    cairn_model_free(m1);
    cairn_model_free(m2);
    ds_free(&tr);
    ds_free(&v1);
    ds_free(&v2);
}

static void test_logistic_multiclass(void **state)
{
    (void)state;
    dataset tr, te;
    ds_make(&tr, MULTI, 1500, 7);
    ds_make(&te, MULTI, 400, 8);
    cairn_learner_params p;
    params_for(&p, "logistic", CAIRN_OBJECTIVE_MULTICLASS, NULL);
    cairn_model *m = fit(&tr.d, NULL, &p);
    int64_t cols;
    double *pr = predict(m, &te.x, CAIRN_PREDICT_VALUE, &cols);
    assert_int_equal(cols, 3);
    int64_t ok = 0;
    for (int64_t i = 0; i < te.x.rows; i++) {
        const double *r = pr + i * 3;
        assert_true(fabs(r[0] + r[1] + r[2] - 1) < 1e-12);
        int arg = r[1] > r[0] ? (r[2] > r[1] ? 2 : 1) : (r[2] > r[0] ? 2 : 0);
        ok += arg == (int)te.y[i];
    }
    print_message("multiclass logistic accuracy %.3f\n", (double)ok / (double)te.x.rows);
    assert_true(ok > 0.75 * (double)te.x.rows);
    double *shap = predict(m, &te.x, CAIRN_PREDICT_SHAP, &cols);
    assert_int_equal(cols, 3 * (K + 1));
    cairn_free(shap);
    /* A class without training rows is refused. */
    for (int64_t i = 0; i < tr.x.rows; i++)
        if (tr.y[i] == 1) tr.y[i] = 0;
    p.num_class = 3;
    cairn_error e;
    assert_int_equal(fit_error(&tr.d, &p, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "class 1 has no training rows"));
    cairn_free(pr);
    cairn_model_free(m);
    ds_free(&tr);
    ds_free(&te);
}

static void test_logistic_weights(void **state)
{
    (void)state;
    dataset tr;
    ds_make(&tr, BIN, 800, 9);
    double *w = cairn_malloc((size_t)tr.x.rows * sizeof *w);
    for (int64_t i = 0; i < tr.x.rows; i++)
        w[i] = tr.y[i] > 0.5 ? 2.5 : 1.0;
    cairn_learn_data weighted = {&tr.x, tr.y, w};
    cairn_learner_params p;
    params_for(&p, "logistic", CAIRN_OBJECTIVE_BINARY, NULL);
    cairn_model *plain = fit(&tr.d, NULL, &p), *by_row = fit(&weighted, NULL, &p);
    double cw[2] = {1.0, 2.5};
    p.class_weights = cw;
    p.nclass_weights = 2;
    cairn_model *by_class = fit(&tr.d, NULL, &p);
    assert_false(same_bytes(plain, by_row));
    json_t *a = native_json(by_row), *b = native_json(by_class);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    /* Weights that vary within a class: liblinear 2.3 cannot. */
    w[5] = 0.5;
    w[6] = 0.7;
    p.class_weights = NULL;
    cairn_error e;
    assert_int_equal(fit_error(&weighted, &p, &e), CAIRN_EUNSUPPORTED);
    assert_non_null(strstr(e.message, "no per-row weights"));
    cairn_free(w);
    cairn_model_free(plain);
    cairn_model_free(by_row);
    cairn_model_free(by_class);
    ds_free(&tr);
}

static void test_logistic_l1(void **state)
{
    (void)state;
    dataset tr;
    ds_make(&tr, BIN, 1000, 10);
    cairn_learner_params p;
    params_for(&p, "logistic", CAIRN_OBJECTIVE_BINARY, "{\"penalty\": \"l1\", \"C\": 0.02}");
    cairn_model *m = fit(&tr.d, NULL, &p), *again = fit(&tr.d, NULL, &p);
    assert_true(same_bytes(m, again));
    json_t *j = native_json(m);
    print_message("L1 coefficients %g %g %g %g\n", coef(j, 0, 0), coef(j, 0, 1), coef(j, 0, 2),
                  coef(j, 0, 3));
    assert_true(coef(j, 0, 3) == 0.0 && coef(j, 0, 2) == 0.0);
    assert_true(coef(j, 0, 0) > 0 && coef(j, 0, 1) < 0);
    json_decref(j);
    cairn_model_free(m);
    cairn_model_free(again);
    ds_free(&tr);
}

static void test_logistic_errors(void **state)
{
    (void)state;
    dataset tr;
    ds_make(&tr, BIN, 100, 11);
    cairn_learner_params p;
    cairn_error e;
    params_for(&p, "logistic", CAIRN_OBJECTIVE_BINARY, "{\"c\": 1}");
    assert_int_equal(fit_error(&tr.d, &p, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "did you mean 'C'?"));
    params_for(&p, "logistic", CAIRN_OBJECTIVE_BINARY, "{\"C\": 0}");
    assert_int_equal(fit_error(&tr.d, &p, &e), CAIRN_EINVAL);
    params_for(&p, "logistic", CAIRN_OBJECTIVE_BINARY, "{\"penalty\": \"elasticnet\"}");
    assert_int_equal(fit_error(&tr.d, &p, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "not one of l2|l1"));
    params_for(&p, "logistic", CAIRN_OBJECTIVE_REGRESSION, NULL);
    assert_int_equal(fit_error(&tr.d, &p, &e), CAIRN_EINVAL);
    params_for(&p, "logistic", CAIRN_OBJECTIVE_BINARY, NULL);
    for (int64_t i = 0; i < tr.x.rows; i++)
        tr.y[i] = 1;
    assert_int_equal(fit_error(&tr.d, &p, &e), CAIRN_EINVAL); /* only one class */
    ds_free(&tr);
}

/* ------------------------------------------------------------------------------------------
 * linear
 * ---------------------------------------------------------------------------------------- */

static void test_linear_exact(void **state)
{
    (void)state;
    dataset tr;
    ds_make(&tr, LIN, 500, 12);
    cairn_learner_params p;
    params_for(&p, "linear", CAIRN_OBJECTIVE_REGRESSION, NULL);
    cairn_model *m = fit(&tr.d, NULL, &p);
    double *pr = predict(m, &tr.x, CAIRN_PREDICT_VALUE, NULL);
    double worst = 0;
    for (int64_t i = 0; i < tr.x.rows; i++)
        worst = fmax(worst, fabs(pr[i] - tr.y[i]));
    print_message("linear: max |prediction - target| %g\n", worst);
    assert_true(worst < 1e-9);
    /* In z units, coef_a = 2 * std_a; the noise column gets (almost) 0. */
    json_t *j = native_json(m);
    assert_true(fabs(coef(j, 0, 3)) < 1e-9);
    json_decref(j);
    /* SHAP sums to the prediction. */
    int64_t cols;
    double *shap = predict(m, &tr.x, CAIRN_PREDICT_SHAP, &cols);
    assert_int_equal(cols, K + 1);
    for (int64_t i = 0; i < 10; i++) {
        double s = 0;
        for (int c = 0; c <= K; c++)
            s += shap[i * (K + 1) + c];
        assert_true(fabs(s - pr[i]) < 1e-9);
    }
    /* Save -> load -> same predictions; the same bytes on one thread. */
    cairn_buf b;
    save(m, &b);
    cairn_model *back;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_model_load(b.data, b.len, &back, &e), &e);
    double *pb = predict(back, &tr.x, CAIRN_PREDICT_VALUE, NULL);
    assert_memory_equal(pr, pb, (size_t)tr.x.rows * sizeof(double));
    p.threads = 1;
    cairn_model *one = fit(&tr.d, NULL, &p);
    assert_true(same_bytes(m, one));
    cairn_buf_release(&b);
    cairn_free(pb);
    cairn_free(shap);
    cairn_free(pr);
    cairn_model_free(one);
    cairn_model_free(back);
    cairn_model_free(m);
    ds_free(&tr);
}

static void test_linear_weights_and_ridge(void **state)
{
    (void)state;
    dataset tr;
    ds_make(&tr, LIN, 300, 13);
    cairn_rng rng;
    cairn_rng_seed(&rng, 99);
    for (int64_t i = 0; i < tr.x.rows; i++)
        tr.y[i] += cairn_rng_normal(&rng);
    /* Weight 2 on the first 100 rows == those rows twice. */
    double *w = cairn_malloc((size_t)tr.x.rows * sizeof *w);
    for (int64_t i = 0; i < tr.x.rows; i++)
        w[i] = i < 100 ? 2.0 : 1.0;
    cairn_matrix dup;
    assert_int_equal(cairn_matrix_init(&dup, 400, K, names4), 0);
    double *ydup = cairn_malloc(400 * sizeof *ydup);
    memcpy(dup.values, tr.x.values, 300 * K * sizeof(float));
    memcpy(dup.values + 300 * K, tr.x.values, 100 * K * sizeof(float));
    memcpy(ydup, tr.y, 300 * sizeof(double));
    memcpy(ydup + 300, tr.y, 100 * sizeof(double));
    cairn_learner_params p;
    params_for(&p, "linear", CAIRN_OBJECTIVE_REGRESSION, NULL);
    cairn_learn_data weighted = {&tr.x, tr.y, w}, twice = {&dup, ydup, NULL};
    cairn_model *mw = fit(&weighted, NULL, &p), *md = fit(&twice, NULL, &p);
    /* Standardisation differs (it is unweighted), so compare predictions. */
    double *a = predict(mw, &tr.x, CAIRN_PREDICT_VALUE, NULL);
    double *b = predict(md, &tr.x, CAIRN_PREDICT_VALUE, NULL);
    double worst = 0;
    for (int64_t i = 0; i < tr.x.rows; i++)
        worst = fmax(worst, fabs(a[i] - b[i]));
    assert_true(worst < 1e-9);
    /* Ridge shrinks. */
    params_for(&p, "linear", CAIRN_OBJECTIVE_REGRESSION, "{\"alpha\": 1000}");
    cairn_model *ridge = fit(&tr.d, NULL, &p);
    json_t *jo = native_json(mw), *jr = native_json(ridge);
    assert_true(fabs(coef(jr, 0, 0)) < 0.8 * fabs(coef(jo, 0, 0)));
    json_decref(jo);
    json_decref(jr);
    cairn_free(a);
    cairn_free(b);
    cairn_free(w);
    cairn_free(ydup);
    cairn_matrix_release(&dup);
    cairn_model_free(mw);
    cairn_model_free(md);
    cairn_model_free(ridge);
    ds_free(&tr);
}

static void test_linear_collinear_constant_nan(void **state)
{
    (void)state;
    dataset tr;
    ds_make(&tr, LIN, 200, 14);
    /* noise := 2a - b: collinear with the columns before it. */
    for (int64_t i = 0; i < tr.x.rows; i++)
        tr.x.values[i * K + 3] = 2 * tr.x.values[i * K] - tr.x.values[i * K + 1];
    cairn_learner_params p;
    params_for(&p, "linear", CAIRN_OBJECTIVE_REGRESSION, NULL);
    cairn_error e;
    assert_int_equal(fit_error(&tr.d, &p, &e), CAIRN_EINVAL);
    assert_string_equal(e.field, "noise");
    assert_non_null(strstr(e.message, "alpha > 0"));
    params_for(&p, "linear", CAIRN_OBJECTIVE_REGRESSION, "{\"alpha\": 0.01}");
    cairn_model *m = fit(&tr.d, NULL, &p);
    cairn_model_free(m);
    /* A constant column is left out (weight 0) instead of failing. */
    for (int64_t i = 0; i < tr.x.rows; i++)
        tr.x.values[i * K + 3] = 4;
    params_for(&p, "linear", CAIRN_OBJECTIVE_REGRESSION, NULL);
    m = fit(&tr.d, NULL, &p);
    json_t *j = native_json(m);
    assert_true(coef(j, 0, 3) == 0.0);
    json_decref(j);
    /* NaN in a row to predict is the training mean. */
    cairn_matrix one;
    assert_int_equal(cairn_matrix_init(&one, 2, K, names4), 0);
    double mean[K] = {0};
    for (int64_t i = 0; i < tr.x.rows; i++)
        for (int c = 0; c < K; c++)
            mean[c] += tr.x.values[i * K + c] / (double)tr.x.rows;
    for (int c = 0; c < K; c++) {
        one.values[c] = NAN;
        one.values[K + c] = (float)mean[c];
    }
    one.values[K] = one.values[K + 1] = NAN;
    double *pr = predict(m, &one, CAIRN_PREDICT_VALUE, NULL);
    assert_true(fabs(pr[0] - pr[1]) < 1e-5);
    cairn_free(pr);
    cairn_matrix_release(&one);
    /* Errors: bad hyper-parameter, MARGIN is the value. */
    params_for(&p, "linear", CAIRN_OBJECTIVE_REGRESSION, "{\"alpah\": 1}");
    assert_int_equal(fit_error(&tr.d, &p, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "did you mean 'alpha'?"));
    params_for(&p, "linear", CAIRN_OBJECTIVE_BINARY, NULL);
    assert_int_equal(fit_error(&tr.d, &p, &e), CAIRN_EINVAL);
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
    dataset b, l;
    ds_make(&b, BIN, 60, 15);
    ds_make(&l, LIN, 60, 16);
    b.x.values[5] = NAN;
    cairn_learner_params p;
    params_for(&p, "logistic", CAIRN_OBJECTIVE_BINARY, "{\"C\": 2}");
    alloc_failures(&b.d, &p, true);
    params_for(&p, "linear", CAIRN_OBJECTIVE_REGRESSION, "{\"alpha\": 0.1}");
    alloc_failures(&l.d, &p, true);
    ds_free(&b);
    ds_free(&l);
    assert_int_equal(cairn_testalloc_live_blocks(), base);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logistic_binary),
        cmocka_unit_test(test_logistic_label_order),
        cmocka_unit_test(test_standardize_train_only),
        cmocka_unit_test(test_logistic_multiclass),
        cmocka_unit_test(test_logistic_weights),
        cmocka_unit_test(test_logistic_l1),
        cmocka_unit_test(test_logistic_errors),
        cmocka_unit_test(test_linear_exact),
        cmocka_unit_test(test_linear_weights_and_ridge),
        cmocka_unit_test(test_linear_collinear_constant_nan),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
