/* Tests of src/train/calibrate.c: isotonic regression on hand-checked PAV cases (values
 * from sklearn 1.2.1's IsotonicRegression: violators pooled, tied scores merged, scores
 * within 1e-15 merged, zero weights dropped, flat interior points trimmed, clipping and
 * interpolation); Platt scaling against a converged Newton reference and sklearn's own
 * (looser) BFGS result, with its optimality checked through the gradient; the JSON form
 * and every parse error; calibration_curve on sklearn's documentation example (uniform and
 * quantile) and ECE by hand; input errors; allocation failures. Random data against sklearn
 * is in tests/oracles/test_metrics_sklearn.sh. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/metrics.h"

#define assert_close(a, b, tol)                                                                    \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (tol)) && a_ != b_)                                                 \
            fail_msg("%s = %.17g, expected %.17g (tolerance %g)", #a, a_, b_, (double)(tol));      \
    } while (0)

static cairn_calibrator *fit(cairn_calibration_method m, const double *y, const double *s,
                             const double *w, size_t n)
{
    cairn_calibrator *cal = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_calibrator_fit(m, y, s, w, n, &cal, &e), &e);
    return cal;
}

static void expect_thresholds(const cairn_calibrator *cal, const double *x, const double *y,
                              size_t n)
{
    const double *cx, *cy;
    assert_int_equal(cairn_calibrator_isotonic(cal, &cx, &cy), n);
    for (size_t i = 0; i < n; i++) {
        assert_close(cx[i], x[i], 0);
        assert_close(cy[i], y[i], 1e-15);
    }
}

static double apply1(const cairn_calibrator *cal, double s)
{
    double out;
    cairn_calibrator_apply(cal, &s, 1, &out);
    return out;
}

/* ------------------------------------------------------------------------------------------
 * Isotonic
 * ---------------------------------------------------------------------------------------- */

static void test_isotonic_by_hand(void **state)
{
    (void)state;
    /* Two violating pairs pooled to 1/2; interior flat points trimmed. */
    double s1[] = {1, 2, 3, 4, 5}, y1[] = {1, 0, 1, 0, 1};
    cairn_calibrator *c = fit(CAIRN_CALIBRATION_ISOTONIC, y1, s1, NULL, 5);
    expect_thresholds(c, (double[]){1, 4, 5}, (double[]){0.5, 0.5, 1}, 3);
    assert_close(apply1(c, 0), 0.5, 0);    /* clipped below */
    assert_close(apply1(c, 4.5), 0.75, 0); /* interpolated */
    assert_close(apply1(c, 10), 1, 0);     /* clipped above */
    assert_true(isnan(apply1(c, NAN)));
    assert_int_equal(cairn_calibrator_method(c), CAIRN_CALIBRATION_ISOTONIC);
    double a, b;
    assert_int_equal(cairn_calibrator_platt(c, &a, &b), CAIRN_EINVAL);
    cairn_calibrator_free(c);
    /* Tied scores: one point with the mean label. */
    c = fit(CAIRN_CALIBRATION_ISOTONIC, (double[]){0, 1, 1}, (double[]){1, 1, 2}, NULL, 3);
    expect_thresholds(c, (double[]){1, 2}, (double[]){0.5, 1}, 2);
    cairn_calibrator_free(c);
    /* Zero weights dropped (the first row would otherwise force a pool). */
    c = fit(CAIRN_CALIBRATION_ISOTONIC, (double[]){1, 0, 0, 1}, (double[]){0, 1, 2, 3},
            (double[]){0, 1, 1, 1}, 4);
    expect_thresholds(c, (double[]){1, 2, 3}, (double[]){0, 0, 1}, 3);
    cairn_calibrator_free(c);
    /* Scores 2 ulps apart (< 1e-15) are one point, as sklearn's _make_unique. */
    double close2 = nextafter(nextafter(1.0, 2), 2);
    c = fit(CAIRN_CALIBRATION_ISOTONIC, (double[]){0, 1}, (double[]){1, close2}, NULL, 2);
    expect_thresholds(c, (double[]){1}, (double[]){0.5}, 1);
    assert_close(apply1(c, -7), 0.5, 0);
    cairn_calibrator_free(c);
    /* Entirely decreasing: one block, kept as its two ends. */
    c = fit(CAIRN_CALIBRATION_ISOTONIC, (double[]){1, 1, 0}, (double[]){1, 2, 3}, NULL, 3);
    expect_thresholds(c, (double[]){1, 3}, (double[]){2.0 / 3, 2.0 / 3}, 2);
    cairn_calibrator_free(c);
    /* Weighted pooling: (w 3, y 1) then (w 1, y 0) pool to 3/4. */
    c = fit(CAIRN_CALIBRATION_ISOTONIC, (double[]){1, 0, 1}, (double[]){1, 2, 3},
            (double[]){3, 1, 1}, 3);
    expect_thresholds(c, (double[]){1, 2, 3}, (double[]){0.75, 0.75, 1}, 3);
    cairn_calibrator_free(c);
}

/* PAV output must be the weighted least-squares monotone fit: check against brute force
 * on random small problems (every monotone step function through block means is a
 * candidate; compare the fitted loss with a fine search is costly, so check the KKT
 * conditions: non-decreasing, and each block's value is its weighted mean). */
static void test_isotonic_random_properties(void **state)
{
    (void)state;
    cairn_rng r;
    cairn_rng_seed(&r, 4);
    for (int trial = 0; trial < 50; trial++) {
        size_t n = 5 + cairn_rng_below(&r, 60);
        double s[64], y[64], w[64];
        for (size_t i = 0; i < n; i++) {
            s[i] = (double)cairn_rng_below(&r, 20);
            y[i] = cairn_rng_uniform(&r) < s[i] / 20 ? 1 : 0;
            w[i] = (double)cairn_rng_below(&r, 3);
        }
        w[0] = 1;
        cairn_calibrator *c = fit(CAIRN_CALIBRATION_ISOTONIC, y, s, w, n);
        double fitted[64];
        cairn_calibrator_apply(c, s, n, fitted);
        /* Monotone in s. */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (s[i] < s[j]) assert_true(fitted[i] <= fitted[j] + 1e-15);
        /* Each level set's value is the weighted mean label of its rows. */
        for (size_t i = 0; i < n; i++) {
            double sw = 0, swy = 0;
            for (size_t j = 0; j < n; j++)
                if (fabs(fitted[j] - fitted[i]) < 1e-12) {
                    sw += w[j];
                    swy += w[j] * y[j];
                }
            if (sw > 0) assert_close(fitted[i], swy / sw, 1e-12);
        }
        cairn_calibrator_free(c);
    }
}

/* ------------------------------------------------------------------------------------------
 * Platt
 * ---------------------------------------------------------------------------------------- */

static void test_platt(void **state)
{
    (void)state;
    double s[] = {-2, -1, -0.5, 0, 0.3, 1, 1.5, 2, 2, 3}, y[] = {0, 0, 1, 0, 1, 0, 1, 1, 1, 1};
    double w[] = {1, 2, 1, 1, 0.5, 1, 1, 2, 1, 1};
    double a, b;
    CAIRN_ASSERT_OK(cairn_platt_fit(y, s, NULL, 10, &a, &b, NULL), NULL);
    /* A converged Newton in numpy; sklearn's BFGS stops near (-0.70878013, -0.00500655). */
    assert_close(a, -0.7087804634199417, 1e-12);
    assert_close(b, -0.0050053030398151885, 1e-12);
    assert_close(a, -0.7087801302838557, 1e-5);
    CAIRN_ASSERT_OK(cairn_platt_fit(y, s, w, 10, &a, &b, NULL), NULL);
    assert_close(a, -0.8484735907442128, 1e-12);
    assert_close(b, 0.21048965107538972, 1e-12);
    /* The gradient of Platt's objective vanishes there. */
    double pos = 0, neg = 0, ga = 0, gb = 0;
    for (int i = 0; i < 10; i++)
        y[i] == 1 ? (pos += w[i]) : (neg += w[i]);
    for (int i = 0; i < 10; i++) {
        double t = y[i] == 1 ? (pos + 1) / (pos + 2) : 1 / (neg + 2);
        double p = cairn_platt_apply(a, b, s[i]);
        ga += w[i] * s[i] * (t - p);
        gb += w[i] * (t - p);
    }
    assert_close(ga, 0, 1e-13);
    assert_close(gb, 0, 1e-13);
    /* The calibrator wraps the same fit; apply is 1 / (1 + exp(a s + b)). */
    cairn_calibrator *c = fit(CAIRN_CALIBRATION_PLATT, y, s, w, 10);
    double ca, cb;
    CAIRN_ASSERT_OK(cairn_calibrator_platt(c, &ca, &cb), NULL);
    assert_close(ca, a, 0);
    assert_close(apply1(c, 0.7), 1 / (1 + exp(a * 0.7 + b)), 1e-15);
    const double *x, *yy;
    assert_int_equal(cairn_calibrator_isotonic(c, &x, &yy), 0);
    cairn_calibrator_free(c);
    /* Extreme scores do not overflow. */
    assert_close(cairn_platt_apply(-1, 0, 1e6), 1, 0);
    assert_close(cairn_platt_apply(-1, 0, -1e6), 0, 0);
    /* Perfectly separated data stays finite thanks to the smoothed targets; one class works. */
    double ys[] = {0, 0, 1, 1}, ss[] = {-1, -0.5, 0.5, 1};
    CAIRN_ASSERT_OK(cairn_platt_fit(ys, ss, NULL, 4, &a, &b, NULL), NULL);
    assert_true(isfinite(a) && a < 0 && isfinite(b));
    double ones[] = {1, 1, 1, 1};
    CAIRN_ASSERT_OK(cairn_platt_fit(ones, ss, NULL, 4, &a, &b, NULL), NULL);
    assert_close(cairn_platt_apply(a, b, 0.3), 5.0 / 6, 1e-9); /* target (4 + 1) / (4 + 2) */
    /* Errors. */
    cairn_error e;
    cairn_error_clear(&e);
    ss[2] = INFINITY;
    assert_int_equal(cairn_platt_fit(ys, ss, NULL, 4, &a, &b, &e), CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "p", "p[2] = inf: a score must be finite");
    ss[2] = 0.5;
    assert_int_equal(cairn_platt_fit(ys, ss, (double[]){0, 0, 0, 0}, 4, &a, &b, NULL),
                     CAIRN_EINVAL);
    cairn_calibrator *none = NULL;
    assert_int_equal(
        cairn_calibrator_fit((cairn_calibration_method)7, ys, ss, NULL, 4, &none, NULL),
        CAIRN_EINVAL);
    assert_int_equal(cairn_calibrator_fit(CAIRN_CALIBRATION_ISOTONIC, ys, ss,
                                          (double[]){0, 0, 0, 0}, 4, &none, NULL),
                     CAIRN_EINVAL);
    assert_null(none);
    cairn_calibration_method m;
    assert_int_equal(cairn_calibration_method_parse("isotonic", &m), 0);
    assert_int_equal(m, CAIRN_CALIBRATION_ISOTONIC);
    assert_string_equal(cairn_calibration_method_name(CAIRN_CALIBRATION_PLATT), "platt");
    assert_int_equal(cairn_calibration_method_parse("sigmoid", &m), CAIRN_EINVAL);
}

/* ------------------------------------------------------------------------------------------
 * JSON
 * ---------------------------------------------------------------------------------------- */

static void roundtrip(const cairn_calibrator *c)
{
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    assert_int_equal(cairn_calibrator_dump(c, &buf), 0);
    cairn_calibrator *back = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_calibrator_parse(buf.data, buf.len, &back, &e), &e);
    double s[] = {-3, -0.2, 0, 0.33, 0.5, 1.7, 9};
    double a[7], b[7];
    cairn_calibrator_apply(c, s, 7, a);
    cairn_calibrator_apply(back, s, 7, b);
    assert_memory_equal(a, b, sizeof a);
    cairn_calibrator_free(back);
    cairn_buf_release(&buf);
}

static void parse_fails(const char *text, int code, const char *field, const char *part)
{
    cairn_calibrator *c = (cairn_calibrator *)1;
    cairn_error e;
    cairn_error_clear(&e);
    assert_int_equal(cairn_calibrator_parse(text, strlen(text), &c, &e), code);
    assert_null(c);
    if (field)
        cairn_test_assert_error(&e, code, 0, 0, field, part);
    else
        assert_non_null(strstr(e.message, part));
}

static void test_json(void **state)
{
    (void)state;
    double s[] = {0.1, 0.35, 0.4, 0.8, 0.2, 0.9}, y[] = {0, 1, 0, 1, 0, 1};
    cairn_calibrator *iso = fit(CAIRN_CALIBRATION_ISOTONIC, y, s, NULL, 6);
    cairn_calibrator *platt = fit(CAIRN_CALIBRATION_PLATT, y, s, NULL, 6);
    roundtrip(iso);
    roundtrip(platt);
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    assert_int_equal(cairn_calibrator_dump(iso, &buf), 0);
    assert_non_null(strstr(buf.data, "\"method\":\"isotonic\""));
    assert_non_null(strstr(buf.data, "\"x\":[0.1,"));
    cairn_buf_release(&buf);
    json_t *v = cairn_calibrator_to_json(platt);
    assert_string_equal(json_string_value(json_object_get(v, "method")), "platt");
    json_decref(v);
    cairn_calibrator_free(iso);
    cairn_calibrator_free(platt);

    parse_fails("[1]", CAIRN_EINVAL, "", "calibrator: expected a JSON object");
    parse_fails("{\"method\":\"sigmoid\"}", CAIRN_EINVAL, "method",
                "calibrator: unknown method 'sigmoid' (expected platt or isotonic)");
    parse_fails("{\"a\":1}", CAIRN_ETYPE, NULL, "method");
    parse_fails("{\"method\":\"platt\",\"a\":\"1\",\"b\":0}", CAIRN_ETYPE, NULL, "'a'");
    parse_fails("{\"method\":\"isotonic\",\"x\":[0,0.5,0.4],\"y\":[0,0.5,1]}", CAIRN_EINVAL, "x[2]",
                "x[2] = 0.4 is not above x[1] = 0.5");
    parse_fails("{\"method\":\"isotonic\",\"x\":[0,1],\"y\":[0]}", CAIRN_EINVAL, "y[0]",
                "'x' has 2 thresholds but 'y' has 1");
    parse_fails("{\"method\":\"isotonic\",\"x\":[0,1],\"y\":[0.5,0.2]}", CAIRN_EINVAL, "y[1]",
                "y[1] = 0.2 is below y[0] = 0.5");
    parse_fails("{\"method\":\"isotonic\",\"x\":[0,1],\"y\":[0.5,1.5]}", CAIRN_EINVAL, "y[1]",
                "not in [0, 1]");
    parse_fails("{\"method\":\"isotonic\",\"x\":[0,\"a\"],\"y\":[0,1]}", CAIRN_EINVAL, "x[1]",
                "x[1] is not a finite number");
    parse_fails("{\"method\":\"isotonic\",\"x\":[],\"y\":[]}", CAIRN_EINVAL, "x",
                "must be a non-empty array");
    parse_fails("{\"method\":", CAIRN_EPARSE, NULL, "");
}

/* ------------------------------------------------------------------------------------------
 * Reliability bins and ECE
 * ---------------------------------------------------------------------------------------- */

static void test_calibration_curve(void **state)
{
    (void)state;
    /* sklearn's calibration_curve documentation example. */
    double y[] = {0, 0, 0, 0, 1, 1, 1, 1, 1}, p[] = {0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1};
    double pt[5], pp[5], cnt[5];
    size_t k;
    CAIRN_ASSERT_OK(
        cairn_calibration_curve(y, p, NULL, 9, 3, CAIRN_BINS_UNIFORM, pt, pp, cnt, &k, NULL), NULL);
    assert_int_equal(k, 3);
    assert_close(pt[0], 0, 0);
    assert_close(pt[1], 0.5, 0);
    assert_close(pt[2], 1, 0);
    assert_close(pp[0], 0.2, 1e-15);
    assert_close(pp[1], 0.525, 1e-15);
    assert_close(pp[2], 0.85, 1e-15);
    assert_close(cnt[0], 3, 0);
    assert_close(cnt[2], 4, 0);
    /* Quantile edges 0.1, 0.3667, 0.7333, 1: sklearn gives (0, 2/3, 1), (0.2, 0.5833, 0.9). */
    CAIRN_ASSERT_OK(
        cairn_calibration_curve(y, p, NULL, 9, 3, CAIRN_BINS_QUANTILE, pt, pp, cnt, &k, NULL),
        NULL);
    assert_int_equal(k, 3);
    assert_close(pt[1], 2.0 / 3, 1e-15);
    assert_close(pp[1], 0.58333333333333333, 1e-15);
    assert_close(pp[2], 0.9, 1e-15);
    /* Empty bins are skipped; a point on an edge belongs to the lower bin (with 2 bins,
     * 0.5 is the inner edge and goes to bin 0). */
    double y2[] = {0, 1, 1}, p2[] = {0.5, 0.5, 0.05};
    CAIRN_ASSERT_OK(
        cairn_calibration_curve(y2, p2, NULL, 3, 5, CAIRN_BINS_UNIFORM, pt, pp, cnt, &k, NULL),
        NULL);
    assert_int_equal(k, 2);
    assert_close(cnt[0], 1, 0);
    assert_close(pp[1], 0.5, 0);
    CAIRN_ASSERT_OK(
        cairn_calibration_curve(y2, p2, NULL, 3, 2, CAIRN_BINS_UNIFORM, pt, pp, cnt, &k, NULL),
        NULL);
    assert_int_equal(k, 1);
    assert_close(cnt[0], 3, 0);
    /* ECE: (|0 - 0.2| 3 + |0.5 - 0.525| 2 + |1 - 0.85| 4) / 9. */
    double ece;
    CAIRN_ASSERT_OK(cairn_ece(y, p, NULL, 9, 3, &ece, NULL), NULL);
    assert_close(ece, 1.25 / 9, 1e-15);
    double w[] = {1, 1, 1, 1, 1, 1, 1, 1, 0};
    CAIRN_ASSERT_OK(cairn_ece(y, p, w, 9, 3, &ece, NULL), NULL);
    assert_close(ece, (0.6 + 0.05 + 3 * (1 - 0.8)) / 8, 1e-15);
    /* Errors. */
    cairn_error e;
    cairn_error_clear(&e);
    p[4] = 1.2;
    assert_int_equal(cairn_ece(y, p, NULL, 9, 3, &ece, &e), CAIRN_EINVAL);
    cairn_test_assert_error(&e, CAIRN_EINVAL, 0, 0, "p",
                            "p[4] = 1.2: a probability must lie in [0, 1]");
    p[4] = 0.65;
    assert_int_equal(
        cairn_calibration_curve(y, p, NULL, 9, 0, CAIRN_BINS_UNIFORM, pt, pp, cnt, &k, NULL),
        CAIRN_EINVAL);
    assert_int_equal(
        cairn_calibration_curve(y, p, NULL, 9, 3, (cairn_bin_strategy)5, pt, pp, cnt, &k, NULL),
        CAIRN_EINVAL);
}

/* ------------------------------------------------------------------------------------------
 * Allocation failures
 * ---------------------------------------------------------------------------------------- */

static void test_alloc_failures(void **state)
{
    (void)state;
    double s[40], y[40];
    for (int i = 0; i < 40; i++) {
        s[i] = (i * 7 % 40) / 40.0;
        y[i] = (i * 3 % 5) < 2;
    }
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks(), failures = 0;
    for (int64_t nth = 1;; nth++) {
        cairn_calibrator *c = NULL, *back = NULL;
        cairn_buf buf;
        cairn_buf_init(&buf, 0);
        double pt[4], pp[4], cnt[4], ece;
        size_t k;
        cairn_testalloc_fail_at(nth, false);
        int rc = cairn_calibrator_fit(CAIRN_CALIBRATION_ISOTONIC, y, s, NULL, 40, &c, NULL);
        if (!rc) rc = cairn_calibrator_dump(c, &buf);
        if (!rc) rc = cairn_calibrator_parse(buf.data, buf.len, &back, NULL);
        if (!rc)
            rc = cairn_calibration_curve(y, s, NULL, 40, 4, CAIRN_BINS_QUANTILE, pt, pp, cnt, &k,
                                         NULL);
        if (!rc) rc = cairn_ece(y, s, NULL, 40, 4, &ece, NULL);
        cairn_testalloc_fail_at(0, false);
        cairn_calibrator_free(c);
        cairn_calibrator_free(back);
        cairn_buf_release(&buf);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        if (rc) {
            assert_int_equal(rc, CAIRN_ENOMEM);
            failures++;
            continue;
        }
        break;
    }
    assert_true(failures > 8);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isotonic_by_hand),
        cmocka_unit_test(test_isotonic_random_properties),
        cmocka_unit_test(test_platt),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_calibration_curve),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
