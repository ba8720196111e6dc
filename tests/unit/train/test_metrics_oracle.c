/* The C side of tests/oracles/test_metrics_sklearn.sh. With CAIRN_METRICS_ORACLE_DIR set it
 * reads DIR/manifest.json and the CSV datasets tests/oracles/metrics_sklearn.py generated,
 * runs every evaluation routine of include/cairn/metrics.h on them (metrics by name and in
 * one call, cost threshold and weights, calibration curves and ECE, isotonic and Platt fits,
 * DeLong, McNemar, fairness, bootstrap intervals with their resampled statistics, paired
 * bootstrap, slices) and writes DIR/<name>.out.json for the script to compare with
 * scikit-learn and scipy. Without the variable the test is skipped. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/metrics.h"

/* ------------------------------------------------------------------------------------------
 * Reading the generated CSV (a header, then numbers) and writing JSON
 * ---------------------------------------------------------------------------------------- */

typedef struct table {
    size_t rows, cols;
    char names[16][16];
    double *v; /* rows x cols */
} table;

static table read_table(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.csv", dir, name);
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_file_read(path, &buf, 0, &e), &e);
    table t = {0, 0, {{0}}, NULL};
    char *s = buf.data, *nl = strchr(s, '\n');
    assert_non_null(nl);
    *nl = '\0';
    for (char *tok = s; tok; t.cols++) {
        char *comma = strchr(tok, ',');
        if (comma) *comma = '\0';
        snprintf(t.names[t.cols], sizeof t.names[0], "%s", tok);
        tok = comma ? comma + 1 : NULL;
    }
    size_t cap = 1024;
    t.v = malloc(cap * t.cols * sizeof(double));
    for (char *line = nl + 1; *line; t.rows++) {
        if (t.rows == cap) t.v = realloc(t.v, (cap *= 2) * t.cols * sizeof(double));
        for (size_t c = 0; c < t.cols; c++) {
            char *end;
            t.v[t.rows * t.cols + c] = strtod(line, &end);
            assert_true(end != line);
            line = end + (*end == ',' || *end == '\n');
        }
    }
    cairn_buf_release(&buf);
    return t;
}

/* A column as a new array. */
static double *column(const table *t, const char *name)
{
    for (size_t c = 0; c < t->cols; c++)
        if (strcmp(t->names[c], name) == 0) {
            double *out = malloc(t->rows * sizeof(double));
            for (size_t r = 0; r < t->rows; r++)
                out[r] = t->v[r * t->cols + c];
            return out;
        }
    fail_msg("no column %s", name);
    return NULL;
}

static json_t *num(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

static json_t *nums(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, num(v[i]));
    return a;
}

static json_t *pair(double a, double b)
{
    double v[2] = {a, b};
    return nums(v, 2);
}

static void write_json(const char *dir, const char *name, json_t *root)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.out.json", dir, name);
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    assert_int_equal(cairn_json_dump(root, 0, &buf), 0);
    CAIRN_ASSERT_OK(cairn_file_write_atomic(path, buf.data, buf.len, NULL), NULL);
    cairn_buf_release(&buf);
    json_decref(root);
}

static double get(const json_t *spec, const char *key)
{
    const json_t *v = json_object_get(spec, key);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

/* ------------------------------------------------------------------------------------------
 * One binary dataset
 * ---------------------------------------------------------------------------------------- */

typedef struct bset {
    size_t n;
    double *y, *p, *p2, *w, *g;
    const double *wp; /* w, or NULL when unweighted */
} bset;

static json_t *all_metrics(const cairn_metric_data *d, unsigned task)
{
    json_t *obj = json_object();
    for (size_t i = 0; i < cairn_metric_count(); i++) {
        const cairn_metric_info *m = cairn_metric_at(i);
        if (!(m->tasks & task)) continue;
        double v;
        cairn_error e;
        cairn_error_clear(&e);
        int rc = m->fn(d, &v, &e);
        if (rc == CAIRN_EINVAL && strstr(e.message, "probability"))
            v = NAN; /* not in [0, 1] */
        else
            CAIRN_ASSERT_OK(rc, &e);
        json_object_set_new(obj, m->name, num(v));
    }
    return obj;
}

static json_t *binary_core(const bset *s, const json_t *spec)
{
    json_t *out = json_object();
    cairn_metric_data d;
    cairn_metric_data_init(&d, s->y, s->p, s->wp, s->n);
    d.threshold = get(spec, "threshold");
    json_object_set_new(out, "metrics", all_metrics(&d, CAIRN_METRIC_BINARY));
    cairn_binary_metrics bm;
    CAIRN_ASSERT_OK(cairn_binary_metrics_compute(s->y, s->p, s->wp, s->n, d.threshold, &bm, NULL),
                    NULL);
    json_t *st = json_object();
    json_object_set_new(st, "roc_auc", num(bm.roc_auc));
    json_object_set_new(st, "average_precision", num(bm.average_precision));
    json_object_set_new(st, "log_loss", num(bm.log_loss));
    json_object_set_new(st, "brier", num(bm.brier));
    json_object_set_new(st, "accuracy", num(bm.accuracy));
    json_object_set_new(st, "precision", num(bm.precision));
    json_object_set_new(st, "recall", num(bm.recall));
    json_object_set_new(st, "f1", num(bm.f1));
    json_object_set_new(out, "struct", st);
    double cm[4] = {bm.confusion.tn, bm.confusion.fp, bm.confusion.fn, bm.confusion.tp};
    json_object_set_new(out, "confusion", nums(cm, 4));

    const json_t *c = json_object_get(spec, "costs");
    cairn_cost_matrix costs = {
        json_number_value(json_array_get(c, 0)), json_number_value(json_array_get(c, 1)),
        json_number_value(json_array_get(c, 2)), json_number_value(json_array_get(c, 3))};
    double t, cost, *cw = malloc(s->n * sizeof(double));
    CAIRN_ASSERT_OK(cairn_cost_threshold(s->y, s->p, s->wp, s->n, &costs, &t, &cost, NULL), NULL);
    CAIRN_ASSERT_OK(cairn_cost_weights(s->y, s->wp, s->n, &costs, cw, NULL), NULL);
    json_t *co = json_object();
    json_object_set_new(co, "threshold", num(t));
    json_object_set_new(co, "mean_cost", num(cost));
    json_object_set_new(out, "cost", co);
    json_object_set_new(out, "cost_weights", nums(cw, s->n));
    free(cw);
    return out;
}

static void calibration(const bset *s, const json_t *spec, json_t *out)
{
    size_t nb = (size_t)get(spec, "n_bins"), k;
    double *pt = malloc(nb * sizeof(double)), *pp = malloc(nb * sizeof(double)),
           *cnt = malloc(nb * sizeof(double));
    for (int strategy = 0; strategy < 2; strategy++) {
        CAIRN_ASSERT_OK(cairn_calibration_curve(s->y, s->p, s->wp, s->n, nb,
                                                (cairn_bin_strategy)strategy, pt, pp, cnt, &k,
                                                NULL),
                        NULL);
        json_t *cu = json_object();
        json_object_set_new(cu, "prob_true", nums(pt, k));
        json_object_set_new(cu, "prob_pred", nums(pp, k));
        json_object_set_new(cu, "count", nums(cnt, k));
        json_object_set_new(out, strategy ? "curve_quantile" : "curve_uniform", cu);
    }
    double ece;
    CAIRN_ASSERT_OK(cairn_ece(s->y, s->p, s->wp, s->n, nb, &ece, NULL), NULL);
    json_object_set_new(out, "ece", num(ece));
    free(pt);
    free(pp);
    free(cnt);

    /* Calibrate the second model's scores; apply on a grid beyond the data and on data. */
    double grid[61], applied[61];
    for (int i = 0; i < 41; i++)
        grid[i] = -0.1 + 1.2 * i / 40.0;
    for (int i = 41; i < 61; i++)
        grid[i] = s->p2[i - 41];
    json_object_set_new(out, "grid", nums(grid, 61));
    cairn_calibrator *iso, *platt;
    CAIRN_ASSERT_OK(
        cairn_calibrator_fit(CAIRN_CALIBRATION_ISOTONIC, s->y, s->p2, s->wp, s->n, &iso, NULL),
        NULL);
    CAIRN_ASSERT_OK(
        cairn_calibrator_fit(CAIRN_CALIBRATION_PLATT, s->y, s->p2, s->wp, s->n, &platt, NULL),
        NULL);
    const double *x, *y;
    size_t m = cairn_calibrator_isotonic(iso, &x, &y);
    json_t *io = json_object();
    json_object_set_new(io, "x", nums(x, m));
    json_object_set_new(io, "y", nums(y, m));
    json_object_set_new(out, "isotonic", io);
    cairn_calibrator_apply(iso, grid, 61, applied);
    json_object_set_new(out, "isotonic_apply", nums(applied, 61));
    double a, b;
    CAIRN_ASSERT_OK(cairn_calibrator_platt(platt, &a, &b), NULL);
    json_t *po = json_object();
    json_object_set_new(po, "a", num(a));
    json_object_set_new(po, "b", num(b));
    json_object_set_new(out, "platt", po);
    cairn_calibrator_apply(platt, grid, 61, applied);
    json_object_set_new(out, "platt_apply", nums(applied, 61));
    cairn_calibrator_free(iso);
    cairn_calibrator_free(platt);
}

static void tests_and_fairness(const bset *s, const json_t *spec, json_t *out)
{
    cairn_delong_result dl;
    CAIRN_ASSERT_OK(cairn_delong_test(s->y, s->p, s->p2, s->n, 0.95, &dl, NULL), NULL);
    json_t *o = json_object();
    json_object_set_new(o, "auc1", num(dl.auc1));
    json_object_set_new(o, "auc2", num(dl.auc2));
    json_object_set_new(o, "var1", num(dl.var1));
    json_object_set_new(o, "var2", num(dl.var2));
    json_object_set_new(o, "cov", num(dl.cov));
    json_object_set_new(o, "z", num(dl.z));
    json_object_set_new(o, "p_value", num(dl.p_value));
    json_object_set_new(out, "delong", o);
    cairn_auc_ci ci;
    CAIRN_ASSERT_OK(cairn_delong_ci(s->y, s->p, s->n, 0.95, &ci, NULL), NULL);
    o = json_object();
    json_object_set_new(o, "ci_low", num(ci.ci_low));
    json_object_set_new(out, "delong_ci", o);

    double *ya = malloc(s->n * sizeof(double)), *yb = malloc(s->n * sizeof(double));
    for (size_t i = 0; i < s->n; i++) {
        ya[i] = s->p[i] >= 0.5;
        yb[i] = s->p2[i] >= 0.5;
    }
    cairn_mcnemar_result mc;
    CAIRN_ASSERT_OK(cairn_mcnemar_test(s->y, ya, yb, s->n, &mc, NULL), NULL);
    o = json_object();
    json_object_set_new(o, "b", json_integer(mc.b));
    json_object_set_new(o, "c", json_integer(mc.c));
    json_object_set_new(o, "statistic", num(mc.statistic));
    json_object_set_new(o, "p_chi2", num(mc.p_chi2));
    json_object_set_new(o, "p_exact", num(mc.p_exact));
    json_object_set_new(o, "p_value", num(mc.p_value));
    json_object_set_new(o, "exact", json_boolean(mc.exact));
    json_object_set_new(out, "mcnemar", o);

    double t = get(spec, "threshold");
    size_t k = (size_t)get(spec, "n_groups");
    int32_t *g = malloc(s->n * sizeof *g);
    for (size_t i = 0; i < s->n; i++) {
        g[i] = (int32_t)s->g[i];
        ya[i] = s->p[i] >= t;
    }
    cairn_group_rates rates[16];
    cairn_fairness_report fr;
    CAIRN_ASSERT_OK(cairn_fairness_compute(g, k, (int32_t)get(spec, "privileged"), s->y, ya, s->wp,
                                           s->n, rates, &fr, NULL),
                    NULL);
    o = json_object();
    json_t *groups = json_array();
    for (size_t j = 0; j < k; j++) {
        json_t *r = json_object();
        json_object_set_new(r, "selection_rate", num(rates[j].selection_rate));
        json_object_set_new(r, "tpr", num(rates[j].tpr));
        json_object_set_new(r, "fpr", num(rates[j].fpr));
        json_object_set_new(r, "weight", num(rates[j].weight));
        json_array_append_new(groups, r);
    }
    json_object_set_new(o, "groups", groups);
    json_object_set_new(o, "demographic_parity_difference", num(fr.demographic_parity_difference));
    json_object_set_new(o, "demographic_parity_ratio", num(fr.demographic_parity_ratio));
    json_object_set_new(o, "equal_opportunity_difference", num(fr.equal_opportunity_difference));
    json_object_set_new(o, "equalized_odds_difference", num(fr.equalized_odds_difference));
    json_object_set_new(o, "disparate_impact", num(fr.disparate_impact));
    json_object_set_new(o, "disparate_impact_flag", json_boolean(fr.disparate_impact_flag));
    json_object_set_new(o, "statistical_parity_difference", num(fr.statistical_parity_difference));
    json_object_set_new(o, "aif_equal_opportunity_difference",
                        num(fr.aif_equal_opportunity_difference));
    json_object_set_new(o, "average_odds_difference", num(fr.average_odds_difference));
    json_object_set_new(out, "fairness", o);

    /* Slices by group. */
    cairn_metric_data d;
    cairn_metric_data_init(&d, s->y, s->p, s->wp, s->n);
    d.threshold = t;
    cairn_bootstrap_options bo;
    cairn_bootstrap_options_init(&bo);
    bo.n_resamples = 50;
    const char *names[] = {"roc_auc", "accuracy"};
    cairn_slice_report rep;
    CAIRN_ASSERT_OK(cairn_slices_compute(names, 2, &d, g, k, &bo, &rep, NULL), NULL);
    json_t *sl = json_array();
    for (size_t j = 0; j < k; j++) {
        json_t *r = json_object();
        json_object_set_new(r, "rows", json_integer(rep.rows[j]));
        json_object_set_new(r, "roc_auc", num(rep.cells[j * 2].estimate));
        json_object_set_new(r, "accuracy", num(rep.cells[j * 2 + 1].estimate));
        json_array_append_new(sl, r);
    }
    json_object_set_new(out, "slices", sl);
    cairn_slice_report_release(&rep);
    free(g);
    free(ya);
    free(yb);
}

static void bootstrap(const bset *s, const json_t *spec, json_t *out)
{
    cairn_metric_data d;
    cairn_metric_data_init(&d, s->y, s->p, s->wp, s->n);
    cairn_bootstrap_options o;
    cairn_bootstrap_options_init(&o);
    o.n_resamples = (size_t)get(spec, "resamples");
    o.seed = 1234;
    double *dist = malloc(o.n_resamples * sizeof(double));
    o.distribution = dist;
    const cairn_metric_info *auc = cairn_metric_find("roc_auc");
    json_t *bs = json_object();
    static const char *const keys[] = {"bca", "percentile", "basic"};
    for (int m = CAIRN_CI_BCA; m <= CAIRN_CI_BASIC; m++) {
        o.method = (cairn_ci_method)m;
        cairn_bootstrap_result r;
        CAIRN_ASSERT_OK(cairn_bootstrap_ci(auc, &d, &o, &r, NULL), NULL);
        json_object_set_new(bs, keys[m], pair(r.ci_low, r.ci_high));
        if (m == CAIRN_CI_BCA) {
            json_object_set_new(bs, "estimate", num(r.estimate));
            json_object_set_new(bs, "z0", num(r.z0));
            json_object_set_new(bs, "acceleration", num(r.acceleration));
            json_object_set_new(bs, "standard_error", num(r.standard_error));
        }
    }
    json_object_set_new(bs, "distribution", nums(dist, o.n_resamples));
    json_object_set_new(out, "bootstrap", bs);

    o.method = CAIRN_CI_PERCENTILE;
    cairn_bootstrap_result r;
    CAIRN_ASSERT_OK(cairn_bootstrap_paired(auc, &d, s->p2, &o, &r, NULL), NULL);
    json_t *pb = json_object();
    json_object_set_new(pb, "estimate", num(r.estimate));
    json_object_set_new(pb, "percentile", pair(r.ci_low, r.ci_high));
    json_object_set_new(pb, "p_value", num(r.p_value));
    json_object_set_new(pb, "distribution", nums(dist, o.n_resamples));
    json_object_set_new(out, "paired", pb);
    free(dist);
}

static void run_binary(const char *dir, const json_t *spec)
{
    const char *name = json_string_value(json_object_get(spec, "name"));
    table t = read_table(dir, name);
    bset s = {t.rows,
              column(&t, "y"),
              column(&t, "p"),
              column(&t, "p2"),
              column(&t, "w"),
              column(&t, "g"),
              NULL};
    s.wp = json_is_true(json_object_get(spec, "weighted")) ? s.w : NULL;
    json_t *out = binary_core(&s, spec);
    calibration(&s, spec, out);
    tests_and_fairness(&s, spec, out);
    bootstrap(&s, spec, out);
    write_json(dir, name, out);
    free(s.y);
    free(s.p);
    free(s.p2);
    free(s.w);
    free(s.g);
    free(t.v);
}

static void run_multiclass(const char *dir, const json_t *spec)
{
    const char *name = json_string_value(json_object_get(spec, "name"));
    table t = read_table(dir, name);
    size_t k = (size_t)get(spec, "k"), n = t.rows;
    double *y = column(&t, "y"), *w = column(&t, "w"), *p = malloc(n * k * sizeof(double));
    for (size_t c = 0; c < k; c++) {
        char col[8];
        snprintf(col, sizeof col, "p%zu", c);
        double *pc = column(&t, col);
        for (size_t i = 0; i < n; i++)
            p[i * k + c] = pc[i];
        free(pc);
    }
    const double *wp = json_is_true(json_object_get(spec, "weighted")) ? w : NULL;
    cairn_metric_data d;
    cairn_metric_data_init(&d, y, p, wp, n);
    d.k = k;
    json_t *out = json_object();
    json_object_set_new(out, "metrics", all_metrics(&d, CAIRN_METRIC_MULTICLASS));
    cairn_multiclass_metrics mm;
    CAIRN_ASSERT_OK(cairn_multiclass_metrics_compute(y, p, wp, n, k, &mm, NULL), NULL);
    json_t *st = json_object();
    json_object_set_new(st, "accuracy", num(mm.accuracy));
    json_object_set_new(st, "f1_macro", num(mm.f1_macro));
    json_object_set_new(st, "f1_weighted", num(mm.f1_weighted));
    json_object_set_new(st, "log_loss", num(mm.log_loss));
    json_object_set_new(out, "struct", st);
    write_json(dir, name, out);
    free(y);
    free(w);
    free(p);
    free(t.v);
}

static void run_regression(const char *dir, const json_t *spec)
{
    const char *name = json_string_value(json_object_get(spec, "name"));
    table t = read_table(dir, name);
    double *y = column(&t, "y"), *p = column(&t, "p"), *w = column(&t, "w");
    cairn_metric_data d;
    cairn_metric_data_init(&d, y, p, w, t.rows);
    json_t *out = json_object();
    json_object_set_new(out, "metrics", all_metrics(&d, CAIRN_METRIC_REGRESSION));
    write_json(dir, name, out);
    free(y);
    free(p);
    free(w);
    free(t.v);
}

static void test_oracle_dump(void **state)
{
    (void)state;
    const char *dir = getenv("CAIRN_METRICS_ORACLE_DIR");
    if (!dir) skip();
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    json_t *man;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_json_load_file(path, &man, &e), &e);
    const json_t *spec;
    size_t i;
    json_array_foreach(json_object_get(man, "binary"), i, spec) run_binary(dir, spec);
    json_array_foreach(json_object_get(man, "multiclass"), i, spec) run_multiclass(dir, spec);
    json_array_foreach(json_object_get(man, "regression"), i, spec) run_regression(dir, spec);
    json_decref(man);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_oracle_dump)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
