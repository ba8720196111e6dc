#!/usr/bin/env bash
# tests/oracles/test_xgb_python.sh: Cairn's learners (src/train/xgb.c, linear.c, kmeans.c)
# against Debian's python3-xgboost and scikit-learn. A small C driver, compiled here against
# the built shared library (as tests/integration/test_install.sh does), trains on CSVs that
# tests/oracles/xgb_oracle.py generates and writes each model's native bytes (XGBoost UBJ,
# Cairn's JSON) and its predictions of the test rows; xgb_oracle.py then checks that
# xgboost.Booster(model_file=...) predicts the same values, margins and TreeSHAP (1e-6,
# 1e-5), that Python's xgb.train grows the same model from the same parameters, that early
# stopping picks the same best round, and that logistic regression, least squares and k-means
# agree with LogisticRegression(solver='liblinear'), LinearRegression and KMeans.
# Env: CAIRN_TOP (the source tree), CAIRN_BUILD (the build tree), CAIRN_CFLAGS (extra flags
# the build used, e.g. sanitizers).
set -euo pipefail
top=${CAIRN_TOP:?}; build=${CAIRN_BUILD:?}; extra=${CAIRN_CFLAGS:-}
py=$top/tests/oracles/xgb_oracle.py
/usr/bin/python3 -c 'import xgboost, sklearn, numpy' 2>/dev/null ||
  { echo "python3-xgboost or python3-sklearn is missing (scripts/setup)"; exit 1; }
test -e "$build/libcairn.so" || { echo "no $build/libcairn.so: build the cairn_shared target"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# libgomp busy-waits by default, which on a loaded machine slows XGBoost down 40-fold.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

cat > "$tmp/driver.c" <<'C'
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cairn/learn.h>

static const char *dir;
static cairn_error err;

static void die(const char *what)
{
    char msg[1024];
    cairn_error_format(&err, msg, sizeof msg);
    fprintf(stderr, "%s: %s\n", what, msg);
    exit(1);
}

static cairn_table *load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.csv", dir, name);
    cairn_read_options o;
    cairn_read_options_init(&o);
    cairn_table *t;
    if (cairn_csv_read_file(path, &o, &t, &err)) die(path);
    return t;
}

static void write_file(const char *name, const char *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f)) { perror(path); exit(1); }
}

static void write_pred(const cairn_model *m, const cairn_matrix *x, cairn_predict_kind kind,
                       const char *name, const char *suffix)
{
    double *v;
    int64_t cols;
    if (cairn_model_predict(m, x, kind, &v, &cols, &err)) die(name);
    cairn_buf b;
    cairn_buf_init(&b, 0);
    for (int64_t i = 0; i < x->rows; i++)
        for (int64_t c = 0; c < cols; c++)
            cairn_buf_printf(&b, "%.17g%c", v[i * cols + c], c + 1 == cols ? '\n' : ',');
    char file[256];
    snprintf(file, sizeof file, "%s_%s.csv", name, suffix);
    write_file(file, b.data, b.len);
    cairn_buf_release(&b);
    cairn_free(v);
}

static void write_native(const cairn_model *m, const char *name)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    const char *format;
    if (cairn_model_native(m, &b, &format, &err)) die(name);
    char file[256];
    snprintf(file, sizeof file, "%s.%s", name, format);
    write_file(file, b.data, b.len);
    cairn_buf_release(&b);
}

typedef struct set {
    cairn_matrix x;
    double *y;
} set;

static void get(const cairn_table *t, const char *const *cols, size_t n, const char *label, set *s)
{
    if (cairn_matrix_from_table(t, cols, n, &s->x, &err)) die("matrix");
    s->y = NULL;
    if (label && cairn_matrix_column_doubles(t, label, &s->y, &err)) die(label);
}

static cairn_model *train(const char *learner, cairn_objective obj, const char *hyper,
                          int64_t rounds, int64_t patience, const set *tr, const set *va)
{
    cairn_learner_params p;
    cairn_learner_params_init(&p);
    p.learner = learner;
    p.objective = obj;
    p.hyper_json = hyper;
    p.rounds = rounds;
    p.early_stopping_rounds = patience;
    p.seed = 42;
    p.threads = 2;
    cairn_learn_data dt = {&tr->x, tr->y, NULL}, dv = {va ? &va->x : NULL, va ? va->y : NULL, NULL};
    cairn_model *m;
    if (cairn_model_fit(&dt, va ? &dv : NULL, &p, &m, &err)) die(learner);
    return m;
}

static void release(set *s)
{
    cairn_matrix_release(&s->x);
    cairn_free(s->y);
}

static void xgb_case(const char *name, cairn_objective obj, const char *label, int64_t rounds,
                     const cairn_table *train_t, const cairn_table *test_t)
{
    static const char *const f8[] = {"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"};
    const char *hyper = "{\"max_depth\": 4, \"eta\": 0.1, \"subsample\": 0.8, "
                        "\"colsample_bytree\": 0.9, \"min_child_weight\": 1, \"lambda\": 1.5, "
                        "\"alpha\": 0.1, \"max_bin\": 64}";
    set tr, te;
    get(train_t, f8, 8, label, &tr);
    get(test_t, f8, 8, NULL, &te);
    int64_t t0 = cairn_monotonic_ns();
    cairn_model *m = train("xgboost", obj, hyper, rounds, 0, &tr, NULL);
    fprintf(stderr, "%s: fit %.1f ms\n", name, (double)(cairn_monotonic_ns() - t0) / 1e6);
    write_native(m, name);
    write_pred(m, &te.x, CAIRN_PREDICT_VALUE, name, "value");
    write_pred(m, &te.x, CAIRN_PREDICT_MARGIN, name, "margin");
    write_pred(m, &te.x, CAIRN_PREDICT_SHAP, name, "shap");
    cairn_model_free(m);
    release(&tr);
    release(&te);
}

int main(int argc, char **argv)
{
    dir = argv[1];
    cairn_error_clear(&err);
    cairn_table *train_t = load("train"), *valid_t = load("valid"), *test_t = load("test");
    xgb_case("bin", CAIRN_OBJECTIVE_BINARY, "y_bin", 50, train_t, test_t);
    xgb_case("multi", CAIRN_OBJECTIVE_MULTICLASS, "y_multi", 30, train_t, test_t);
    xgb_case("reg", CAIRN_OBJECTIVE_REGRESSION, "y_reg", 40, train_t, test_t);

    static const char *const f8[] = {"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"};
    set tr, va, te;
    get(train_t, f8, 8, "y_bin", &tr);
    get(valid_t, f8, 8, "y_bin", &va);
    cairn_model *m = train("xgboost", CAIRN_OBJECTIVE_BINARY, "{\"max_depth\": 6, \"eta\": 0.3}",
                           500, 10, &tr, &va);
    write_native(m, "early");
    cairn_model_info info;
    cairn_model_info_get(m, &info);
    char text[256];
    int n = snprintf(text, sizeof text, "{\"best_round\": %lld, \"best_score\": %.17g}",
                     (long long)info.best_round, info.best_score);
    write_file("early_info.json", text, (size_t)n);
    cairn_model_free(m);
    release(&tr);
    release(&va);

    static const char *const f7[] = {"f0", "f1", "f2", "f3", "f4", "f5", "f6"};
    const char *labels[] = {"y_bin", "y_multi", "y_reg"};
    const char *names[] = {"logistic", "logistic_multi", "linear"};
    cairn_objective objs[] = {CAIRN_OBJECTIVE_BINARY, CAIRN_OBJECTIVE_MULTICLASS,
                              CAIRN_OBJECTIVE_REGRESSION};
    for (int i = 0; i < 3; i++) {
        get(train_t, f7, 7, labels[i], &tr);
        get(test_t, f7, 7, NULL, &te);
        m = train(i < 2 ? "logistic" : "linear", objs[i],
                  i < 2 ? "{\"C\": 0.5, \"tol\": 1e-10}" : NULL, 0, 0, &tr, NULL);
        write_native(m, names[i]);
        write_pred(m, &te.x, CAIRN_PREDICT_VALUE, names[i], "value");
        cairn_model_free(m);
        release(&tr);
        release(&te);
    }

    cairn_table *blobs = load("blobs");
    get(blobs, NULL, 0, NULL, &tr);
    m = train("kmeans", CAIRN_OBJECTIVE_CLUSTERING, "{\"n_clusters\": 4, \"n_init\": 10}", 0, 0,
              &tr, NULL);
    write_native(m, "kmeans");
    cairn_model_info_get(m, &info);
    n = snprintf(text, sizeof text, "{\"inertia\": %.17g}", info.inertia);
    write_file("kmeans_info.json", text, (size_t)n);
    cairn_model_free(m);
    release(&tr);
    cairn_table_free(blobs);
    cairn_table_free(train_t);
    cairn_table_free(valid_t);
    cairn_table_free(test_t);
    return 0;
}
C

# shellcheck disable=SC2046,SC2086
gcc $extra -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Werror "$tmp/driver.c" -o "$tmp/driver" \
    -I"$top/include" -L"$build" -lcairn -Wl,-rpath,"$build" -lm
/usr/bin/python3 "$py" gen "$tmp"
"$tmp/driver" "$tmp"
/usr/bin/python3 "$py" check "$tmp"
