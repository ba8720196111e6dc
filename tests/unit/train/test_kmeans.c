/* tests/unit/train/test_kmeans.c: the "kmeans" learner of src/train/kmeans.c.
 *
 * Well-separated blobs are recovered (one cluster per blob, centroids near the true
 * centres); the reported inertia equals the weighted sum of squared distances recomputed
 * from the predictions; the same seed gives the same bytes, on 1 thread and on 2; one
 * cluster lands on the weighted mean; missing values are imputed with the training means;
 * duplicate rows and more clusters than distinct points do not break it; save -> load; and
 * the errors (more clusters than rows, unknown keys, no margin or SHAP); every allocation of
 * fit, save, load and predict failing in turn (CAIRN_ENOMEM, nothing leaked).
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cairn/learn.h"
#include "learn_exercise.h"

static const char *const xy[2] = {"x", "y"};
static const double centres[3][2] = {{0, 0}, {10, 0}, {0, 10}};

/* n rows per blob around the three centres (sd 0.5), blob of row i = i % 3. */
static void blobs(cairn_matrix *m, int64_t n, uint64_t seed)
{
    assert_int_equal(cairn_matrix_init(m, 3 * n, 2, xy), 0);
    cairn_rng rng;
    cairn_rng_seed(&rng, seed);
    for (int64_t i = 0; i < 3 * n; i++) {
        m->values[i * 2] = (float)(centres[i % 3][0] + 0.5 * cairn_rng_normal(&rng));
        m->values[i * 2 + 1] = (float)(centres[i % 3][1] + 0.5 * cairn_rng_normal(&rng));
    }
}

static void params_for(cairn_learner_params *p, const char *hyper, int threads)
{
    cairn_learner_params_init(p);
    p->learner = "kmeans";
    p->objective = CAIRN_OBJECTIVE_CLUSTERING;
    p->hyper_json = hyper;
    p->seed = 11;
    p->threads = threads;
}

static cairn_model *fit(const cairn_matrix *x, const double *w, const cairn_learner_params *p)
{
    cairn_learn_data d = {x, NULL, w};
    cairn_model *m = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_model_fit(&d, NULL, p, &m, &e), &e);
    return m;
}

static double *predict(const cairn_model *m, const cairn_matrix *x, int64_t *cols)
{
    double *out = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_model_predict(m, x, CAIRN_PREDICT_VALUE, &out, cols, &e), &e);
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

static void centroids(const cairn_model *m, double *out, int64_t count)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    const char *format;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_model_native(m, &b, &format, &e), &e);
    json_t *j;
    CAIRN_ASSERT_OK(cairn_json_parse(b.data, b.len, "native", &j, &e), &e);
    const json_t *cs = json_object_get(j, "centroids");
    assert_int_equal(json_array_size(cs), count);
    for (int64_t c = 0; c < count; c++)
        for (int d = 0; d < 2; d++)
            out[c * 2 + d] = json_number_value(json_array_get(json_array_get(cs, c), d));
    json_decref(j);
    cairn_buf_release(&b);
}

static void test_recovers_blobs(void **state)
{
    (void)state;
    cairn_matrix x;
    blobs(&x, 5000, 1);
    cairn_learner_params p;
    params_for(&p, "{\"n_clusters\": 3, \"n_init\": 3}", 2);
    int64_t t0 = cairn_monotonic_ns();
    cairn_model *m = fit(&x, NULL, &p);
    print_message("kmeans 15000 x 2, K 3, 3 restarts: %.1f ms\n",
                  (double)(cairn_monotonic_ns() - t0) / 1e6);
    int64_t cols;
    double *pr = predict(m, &x, &cols);
    assert_int_equal(cols, 4);
    int label_of[3] = {(int)pr[0], (int)pr[4], (int)pr[8]};
    assert_true(label_of[0] != label_of[1] && label_of[1] != label_of[2] &&
                label_of[0] != label_of[2]);
    double inertia = 0;
    for (int64_t i = 0; i < x.rows; i++) {
        const double *r = pr + i * 4;
        assert_int_equal((int)r[0], label_of[i % 3]);
        double d = r[1 + (int)r[0]];
        for (int c = 0; c < 3; c++)
            assert_true(d <= r[1 + c]);
        inertia += d * d;
    }
    cairn_model_info info;
    cairn_model_info_get(m, &info);
    print_message("inertia %.6f, recomputed %.6f, %lld iterations\n", info.inertia, inertia,
                  (long long)info.rounds);
    assert_true(fabs(info.inertia - inertia) <= 1e-9 * inertia);
    assert_int_equal(info.num_class, 3);
    assert_int_equal(info.outputs, 4);
    assert_string_equal(info.metric, "inertia");
    double c[6];
    centroids(m, c, 3);
    for (int b = 0; b < 3; b++) {
        const double *got = c + 2 * label_of[b];
        assert_true(fabs(got[0] - centres[b][0]) < 0.05 && fabs(got[1] - centres[b][1]) < 0.05);
    }
    cairn_free(pr);
    cairn_model_free(m);
    cairn_matrix_release(&x);
}

static void test_deterministic(void **state)
{
    (void)state;
    cairn_matrix x;
    blobs(&x, 3000, 2);
    cairn_learner_params p;
    params_for(&p, "{\"n_clusters\": 5, \"n_init\": 4}", 2);
    cairn_model *a = fit(&x, NULL, &p), *b = fit(&x, NULL, &p);
    params_for(&p, "{\"n_clusters\": 5, \"n_init\": 4}", 1);
    cairn_model *one = fit(&x, NULL, &p);
    assert_true(same_bytes(a, b));
    assert_true(same_bytes(a, one));
    /* Save -> load -> the same predictions. */
    cairn_buf bytes;
    save(a, &bytes);
    cairn_model *back;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_model_load(bytes.data, bytes.len, &back, &e), &e);
    double *pa = predict(a, &x, NULL), *pb = predict(back, &x, NULL);
    assert_memory_equal(pa, pb, (size_t)x.rows * 6 * sizeof(double));
    cairn_model_info ia, ib;
    cairn_model_info_get(a, &ia);
    cairn_model_info_get(back, &ib);
    assert_true(ia.inertia == ib.inertia);
    cairn_free(pa);
    cairn_free(pb);
    cairn_buf_release(&bytes);
    cairn_model_free(back);
    cairn_model_free(a);
    cairn_model_free(b);
    cairn_model_free(one);
    cairn_matrix_release(&x);
}

static void test_weighted_mean_and_nan(void **state)
{
    (void)state;
    cairn_matrix x;
    assert_int_equal(cairn_matrix_init(&x, 4, 2, xy), 0);
    float v[8] = {0, 0, 2, 0, 0, 4, NAN, 8};
    memcpy(x.values, v, sizeof v);
    double w[4] = {1, 3, 1, 1};
    cairn_learner_params p;
    params_for(&p, "{\"n_clusters\": 1}", 1);
    cairn_model *m = fit(&x, w, &p);
    /* NaN x becomes the unweighted mean of 0, 2, 0 = 2/3. */
    double c[2];
    centroids(m, c, 1);
    double ex = (0 * 1 + 2 * 3 + 0 * 1 + (2.0f / 3.0f) * 1) / 6.0, ey = (4 + 8) / 6.0;
    assert_true(fabs(c[0] - ex) < 1e-6 && fabs(c[1] - ey) < 1e-12);
    cairn_model_free(m);
    cairn_matrix_release(&x);
}

static void test_duplicates(void **state)
{
    (void)state;
    cairn_matrix x;
    assert_int_equal(cairn_matrix_init(&x, 20, 2, xy), 0);
    for (int i = 0; i < 20; i++)
        x.values[i * 2] = i < 18 ? 1.0f : 5.0f;
    cairn_learner_params p;
    params_for(&p, "{\"n_clusters\": 4, \"n_init\": 2}", 2);
    cairn_model *m = fit(&x, NULL, &p);
    cairn_model_info info;
    cairn_model_info_get(m, &info);
    assert_true(info.inertia == 0);
    cairn_model_free(m);
    cairn_matrix_release(&x);
}

static void test_errors(void **state)
{
    (void)state;
    cairn_matrix x;
    blobs(&x, 2, 3);
    cairn_learner_params p;
    cairn_learn_data d = {&x, NULL, NULL};
    cairn_model *m = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    params_for(&p, "{\"n_clusters\": 7}", 1);
    assert_int_equal(cairn_model_fit(&d, NULL, &p, &m, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "7 clusters but only 6 rows"));
    params_for(&p, "{\"k\": 2}", 1);
    assert_int_equal(cairn_model_fit(&d, NULL, &p, &m, &e), CAIRN_EINVAL);
    params_for(&p, "{\"n_clusters\": 0}", 1);
    assert_int_equal(cairn_model_fit(&d, NULL, &p, &m, &e), CAIRN_EINVAL);
    params_for(&p, NULL, 1);
    p.objective = CAIRN_OBJECTIVE_REGRESSION;
    assert_int_equal(cairn_model_fit(&d, NULL, &p, &m, &e), CAIRN_EINVAL);
    params_for(&p, "{\"n_clusters\": 2}", 1);
    m = fit(&x, NULL, &p);
    double *out;
    int64_t cols;
    assert_int_equal(cairn_model_predict(m, &x, CAIRN_PREDICT_SHAP, &out, &cols, &e),
                     CAIRN_EUNSUPPORTED);
    assert_int_equal(cairn_model_predict(m, &x, CAIRN_PREDICT_MARGIN, &out, &cols, &e),
                     CAIRN_EUNSUPPORTED);
    assert_int_equal(cairn_model_shap_importance(m, &x, &out, &e), CAIRN_EUNSUPPORTED);
    cairn_model_free(m);
    cairn_matrix_release(&x);
}

/* ------------------------------------------------------------------------------------------
 * Every allocation failing in turn
 * ---------------------------------------------------------------------------------------- */

static void test_alloc_failures(void **state)
{
    (void)state;
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks();
    cairn_matrix x;
    blobs(&x, 20, 5);
    x.values[3] = NAN;
    cairn_learner_params p;
    params_for(&p, "{\"n_clusters\": 3, \"n_init\": 2}", 2);
    cairn_learn_data d = {&x, NULL, NULL};
    alloc_failures(&d, &p, false);
    cairn_matrix_release(&x);
    assert_int_equal(cairn_testalloc_live_blocks(), base);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recovers_blobs),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_weighted_mean_and_nan),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
