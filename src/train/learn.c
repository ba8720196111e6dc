/* src/train/learn.c: the common half of the learners: the feature matrix, the table of
 * learners and dispatch by name, the checks every fit shares, predictions, SHAP importance,
 * and the model envelope (include/cairn/learn.h).
 *
 * Dispatch. A learner is a cairn__learner descriptor (learn_internal.h) in its own file and
 * one entry in `learners` below. cairn_model_fit checks what is common (shapes, names, labels
 * against the objective, weights, class weights, the hyper-parameter object) so that a
 * learner's fit sees only valid input; cairn_model_predict checks the columns and allocates
 * the output.
 *
 * The envelope (all integers little-endian):
 *     0        8  "CAIRNMDL"
 *     8        4  envelope version (1)
 *     12       4  header length H
 *     16       H  header: JSON object {"learner", "objective", "num_class", "features",
 *                 "native_format", "info", "hyper", plus learner keys (e.g. "standardize")}
 *     16+H     8  native length N
 *     24+H     N  the learner's native model bytes
 *     24+H+N   8  XXH3-64 (seed 0) of bytes [0, 24+H+N)
 * The header is written by cairn_json_dump in insertion order with shortest round-trip
 * doubles, so the same model always gives the same bytes.
 *
 * Tests: tests/unit/train/test_xgb.c, test_linear.c, test_kmeans.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/learn_internal.h"

#define ENVELOPE_MAGIC "CAIRNMDL"
#define ENVELOPE_VERSION 1
#define MAX_CLASSES 100000

static const cairn__learner *const learners[] = {
    &cairn__learner_xgboost,
    &cairn__learner_logistic,
    &cairn__learner_linear,
    &cairn__learner_kmeans,
};
#define NLEARNERS (sizeof learners / sizeof learners[0])

static const char *const objective_names[] = {NULL, "binary", "multiclass", "regression",
                                              "clustering"};

/* ------------------------------------------------------------------------------------------
 * Matrix
 * ---------------------------------------------------------------------------------------- */

int cairn_matrix_init(cairn_matrix *m, int64_t rows, int64_t cols, const char *const *names)
{
    memset(m, 0, sizeof *m);
    if (rows < 0 || cols < 0) return CAIRN_EINVAL;
    size_t cells = (size_t)rows * (size_t)cols;
    if (cols && cells / (size_t)cols != (size_t)rows) return CAIRN_ENOMEM;
    m->values = cairn_calloc(cells ? cells : 1, sizeof(float));
    if (!m->values) return CAIRN_ENOMEM;
    m->rows = rows;
    m->cols = cols;
    if (!names) return 0;
    m->names = cairn_calloc(cols ? (size_t)cols : 1, sizeof(char *));
    for (int64_t j = 0; m->names && j < cols; j++) {
        m->names[j] = cairn_strdup(names[j]);
        if (!m->names[j]) break;
    }
    if (!m->names || (cols && !m->names[cols - 1])) {
        cairn_matrix_release(m);
        return CAIRN_ENOMEM;
    }
    return 0;
}

void cairn_matrix_release(cairn_matrix *m)
{
    if (!m) return;
    if (m->names)
        for (int64_t j = 0; j < m->cols; j++)
            cairn_free(m->names[j]);
    cairn_free(m->names);
    cairn_free(m->values);
    memset(m, 0, sizeof *m);
}

static bool column_is_learnable(cairn_type t)
{
    return t == CAIRN_TYPE_BOOL || cairn_type_is_numeric(t);
}

static double column_number(const cairn_column *c, int64_t i)
{
    if (!cairn_column_is_valid(c, i)) return NAN;
    switch (c->type) {
    case CAIRN_TYPE_BOOL:
        return cairn_bit_get(c->values, i) ? 1.0 : 0.0;
    case CAIRN_TYPE_INT32:
        return (double)cairn_column_i32(c, i);
    case CAIRN_TYPE_INT64:
        return (double)cairn_column_i64(c, i);
    case CAIRN_TYPE_FLOAT32:
        return (double)((const float *)c->values)[i];
    default:
        return cairn_column_f64(c, i);
    }
}

static int learnable_column(const cairn_table *table, const char *name, const cairn_column **out,
                            cairn_error *err)
{
    const cairn_column *c = cairn_table_column_by_name(table, name);
    if (!c) {
        cairn_error_set(err, CAIRN_ENOTFOUND, "no column '%s' in the table", name);
        cairn_error_field(err, name);
        return CAIRN_ENOTFOUND;
    }
    if (!column_is_learnable(c->type)) {
        cairn_error_set(err, CAIRN_ETYPE,
                        "column '%s' is %s: a learner takes numbers and bools only (encode "
                        "strings, timestamps and dates first)",
                        name, cairn_type_name(c->type));
        cairn_error_field(err, name);
        cairn_error_expect(err, "number or bool", cairn_type_name(c->type),
                           strlen(cairn_type_name(c->type)));
        return CAIRN_ETYPE;
    }
    *out = c;
    return 0;
}

int cairn_matrix_from_table(const cairn_table *table, const char *const *columns, size_t ncolumns,
                            cairn_matrix *out, cairn_error *err)
{
    memset(out, 0, sizeof *out);
    size_t k = columns ? ncolumns : cairn_table_num_columns(table);
    int64_t n = cairn_table_num_rows(table);
    const cairn_column **cols = cairn_calloc(k ? k : 1, sizeof *cols);
    const char **names = cairn_calloc(k ? k : 1, sizeof *names);
    int rc = (cols && names) ? 0 : CAIRN_ENOMEM;
    for (size_t j = 0; rc == 0 && j < k; j++) {
        names[j] = columns ? columns[j] : cairn_table_column(table, j)->name;
        rc = learnable_column(table, names[j], &cols[j], err);
    }
    if (rc == 0) rc = cairn_matrix_init(out, n, (int64_t)k, names);
    for (size_t j = 0; rc == 0 && j < k; j++)
        for (int64_t i = 0; i < n; i++)
            out->values[(size_t)i * k + j] = (float)column_number(cols[j], i);
    cairn_free(cols);
    cairn_free(names);
    if (rc == CAIRN_ENOMEM)
        cairn_error_set(err, rc, "out of memory building a %lld x %zu matrix", (long long)n, k);
    return rc;
}

int cairn_matrix_column_doubles(const cairn_table *table, const char *column, double **out,
                                cairn_error *err)
{
    *out = NULL;
    const cairn_column *c;
    int rc = learnable_column(table, column, &c, err);
    if (rc) return rc;
    int64_t n = cairn_table_num_rows(table);
    double *v = cairn_malloc((size_t)(n ? n : 1) * sizeof *v);
    if (!v) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++)
        v[i] = column_number(c, i);
    *out = v;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Names and parameters
 * ---------------------------------------------------------------------------------------- */

const char *cairn_objective_name(cairn_objective objective)
{
    if (objective < CAIRN_OBJECTIVE_BINARY || objective > CAIRN_OBJECTIVE_CLUSTERING)
        return "unknown";
    return objective_names[objective];
}

int cairn_objective_parse(const char *name, cairn_objective *out)
{
    for (int o = CAIRN_OBJECTIVE_BINARY; o <= CAIRN_OBJECTIVE_CLUSTERING; o++)
        if (name && strcmp(name, objective_names[o]) == 0) {
            *out = (cairn_objective)o;
            return 0;
        }
    return CAIRN_EINVAL;
}

const char *const *cairn_learner_names(void)
{
    static const char *const names[] = {"xgboost", "logistic", "linear", "kmeans", NULL};
    return names;
}

void cairn_learner_params_init(cairn_learner_params *params)
{
    memset(params, 0, sizeof *params);
}

static const cairn__learner *learner_find(const char *name)
{
    for (size_t i = 0; name && i < NLEARNERS; i++)
        if (strcmp(learners[i]->name, name) == 0) return learners[i];
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 * Hyper-parameters
 * ---------------------------------------------------------------------------------------- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const cairn__hp_key *hp_find(const cairn__hp_key *keys, const char *name)
{
    for (const cairn__hp_key *k = keys; k->name; k++)
        if (strcmp(k->name, name) == 0) return k;
    return NULL;
}

static int hp_unknown(const cairn__hp_key *keys, const char *name, const char *learner,
                      cairn_error *err)
{
    const char *best = NULL;
    size_t best_d = 4; /* suggest only close names */
    for (const cairn__hp_key *k = keys; k->name; k++) {
        size_t d = edit_distance(name, k->name);
        if (d < best_d) best_d = d, best = k->name;
    }
    if (best)
        cairn_error_set(err, CAIRN_EINVAL, "unknown %s hyper-parameter '%s' (did you mean '%s'?)",
                        learner, name, best);
    else
        cairn_error_set(err, CAIRN_EINVAL, "unknown %s hyper-parameter '%s'", learner, name);
    cairn_error_field(err, name);
    return CAIRN_EINVAL;
}

static bool allowed_string(const char *allowed, const char *s)
{
    size_t n = strlen(s);
    for (const char *p = allowed; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && memcmp(p, s, n) == 0) return true;
        if (!bar) break;
        p = bar + 1;
    }
    return false;
}

static int hp_bad(cairn_error *err, const char *learner, const cairn__hp_key *k,
                  const char *expected, const char *why)
{
    cairn_error_set(err, CAIRN_EINVAL, "%s hyper-parameter '%s': %s", learner, k->name, why);
    cairn_error_field(err, k->name);
    cairn_error_expect(err, expected, "", 0);
    return CAIRN_EINVAL;
}

static int hp_check_one(const cairn__hp_key *k, const json_t *v, const char *learner,
                        cairn_error *err)
{
    char why[256];
    switch (k->type) {
    case CAIRN__HP_REFUSED:
        snprintf(why, sizeof why, "not a hyper-parameter here: %s", k->hint);
        return hp_bad(err, learner, k, "", why);
    case CAIRN__HP_BOOL:
        if (json_is_boolean(v)) return 0;
        if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1))
            return 0;
        return hp_bad(err, learner, k, "true or false", "expected true or false");
    case CAIRN__HP_STR:
        if (!json_is_string(v)) return hp_bad(err, learner, k, "string", "expected a string");
        if (k->hint && !allowed_string(k->hint, json_string_value(v))) {
            snprintf(why, sizeof why, "'%s' is not one of %s", json_string_value(v), k->hint);
            return hp_bad(err, learner, k, k->hint, why);
        }
        return 0;
    case CAIRN__HP_STR_OR_ARRAY:
        if (json_is_string(v) || json_is_array(v)) return 0;
        return hp_bad(err, learner, k, "string or array", "expected a string or an array");
    case CAIRN__HP_NUM:
    case CAIRN__HP_INT:
        break;
    }
    if (!json_is_number(v)) return hp_bad(err, learner, k, "number", "expected a number");
    double x = json_number_value(v);
    if (k->type == CAIRN__HP_INT && x != floor(x))
        return hp_bad(err, learner, k, "integer", "expected an integer");
    if ((k->min != 0 || k->max != 0) && !(x >= k->min && x <= k->max)) {
        snprintf(why, sizeof why, "%g is outside [%g, %g]", x, k->min, k->max);
        return hp_bad(err, learner, k, "in range", why);
    }
    return 0;
}

int cairn__hp_check(const json_t *hyper, const cairn__hp_key *keys, const char *learner,
                    cairn_error *err)
{
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)hyper, name, v)
    {
        const cairn__hp_key *k = hp_find(keys, name);
        if (!k) return hp_unknown(keys, name, learner, err);
        int rc = hp_check_one(k, v, learner, err);
        if (rc) return rc;
    }
    return 0;
}

double cairn__hp_num(const json_t *hyper, const char *key, double dflt)
{
    const json_t *v = json_object_get(hyper, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

int64_t cairn__hp_int(const json_t *hyper, const char *key, int64_t dflt)
{
    const json_t *v = json_object_get(hyper, key);
    return json_is_number(v) ? (int64_t)json_number_value(v) : dflt;
}

bool cairn__hp_bool(const json_t *hyper, const char *key, bool dflt)
{
    const json_t *v = json_object_get(hyper, key);
    if (json_is_boolean(v)) return json_is_true(v);
    if (json_is_integer(v)) return json_integer_value(v) != 0;
    return dflt;
}

const char *cairn__hp_str(const json_t *hyper, const char *key, const char *dflt)
{
    const json_t *v = json_object_get(hyper, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

/* ------------------------------------------------------------------------------------------
 * Standardisation, JSON arrays, blocks
 * ---------------------------------------------------------------------------------------- */

int cairn__standardize_fit(const cairn_matrix *x, cairn__standardize *out)
{
    memset(out, 0, sizeof *out);
    size_t k = (size_t)x->cols;
    out->cols = x->cols;
    out->mean = cairn_calloc(k ? k : 1, sizeof(double));
    out->std = cairn_calloc(k ? k : 1, sizeof(double));
    out->constant = cairn_calloc(k ? k : 1, sizeof(bool));
    int64_t *count = cairn_calloc(k ? k : 1, sizeof(int64_t));
    if (!out->mean || !out->std || !out->constant || !count) {
        cairn_free(count);
        cairn__standardize_release(out);
        return CAIRN_ENOMEM;
    }
    /* Two passes (mean, then squared deviations) in row order: exact enough and the same
     * bits every time. */
    for (int64_t i = 0; i < x->rows; i++) {
        const float *row = x->values + (size_t)i * k;
        for (size_t j = 0; j < k; j++)
            if (row[j] == row[j]) out->mean[j] += row[j], count[j]++;
    }
    for (size_t j = 0; j < k; j++)
        out->mean[j] = count[j] ? out->mean[j] / (double)count[j] : 0;
    for (int64_t i = 0; i < x->rows; i++) {
        const float *row = x->values + (size_t)i * k;
        for (size_t j = 0; j < k; j++)
            if (row[j] == row[j]) {
                double d = row[j] - out->mean[j];
                out->std[j] += d * d;
            }
    }
    for (size_t j = 0; j < k; j++) {
        out->std[j] = count[j] ? sqrt(out->std[j] / (double)count[j]) : 0;
        if (!(out->std[j] > 0)) out->std[j] = 1, out->constant[j] = true;
    }
    cairn_free(count);
    return 0;
}

void cairn__standardize_release(cairn__standardize *s)
{
    cairn_free(s->mean);
    cairn_free(s->std);
    cairn_free(s->constant);
    memset(s, 0, sizeof *s);
}

json_t *cairn__json_doubles(const double *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, json_real(v[i]))) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

bool cairn__json_read_doubles(const json_t *arr, double *out, size_t n)
{
    if (!json_is_array(arr) || json_array_size(arr) != n) return false;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(arr, i);
        if (!json_is_number(v)) return false;
        out[i] = json_number_value(v);
    }
    return true;
}

int cairn__standardize_put(const cairn__standardize *s, json_t *header, const char *key)
{
    json_t *o = json_object();
    if (!o) return CAIRN_ENOMEM;
    if (json_object_set_new(o, "mean", cairn__json_doubles(s->mean, (size_t)s->cols)) ||
        json_object_set_new(o, "std", cairn__json_doubles(s->std, (size_t)s->cols))) {
        json_decref(o);
        return CAIRN_ENOMEM;
    }
    return json_object_set_new(header, key, o) ? CAIRN_ENOMEM : 0; /* o is taken either way */
}

int cairn__standardize_get(const json_t *header, const char *key, int64_t cols,
                           cairn__standardize *out, cairn_error *err)
{
    memset(out, 0, sizeof *out);
    size_t k = (size_t)cols;
    out->cols = cols;
    out->mean = cairn_calloc(k ? k : 1, sizeof(double));
    out->std = cairn_calloc(k ? k : 1, sizeof(double));
    out->constant = cairn_calloc(k ? k : 1, sizeof(bool));
    if (!out->mean || !out->std || !out->constant) {
        cairn__standardize_release(out);
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    }
    const json_t *o = json_object_get(header, key);
    bool ok = cairn__json_read_doubles(json_object_get(o, "mean"), out->mean, k) &&
              cairn__json_read_doubles(json_object_get(o, "std"), out->std, k);
    for (size_t j = 0; ok && j < k; j++) {
        ok = isfinite(out->mean[j]) && out->std[j] > 0 && isfinite(out->std[j]);
        out->constant[j] = out->std[j] == 1.0; /* only informative at fit time */
    }
    if (!ok) {
        cairn__standardize_release(out);
        return cairn_error_set(err, CAIRN_ECORRUPT, "model header: malformed '%s'", key);
    }
    return 0;
}

size_t cairn__blocks(int64_t rows, int64_t min_rows, size_t max_blocks)
{
    if (rows <= 0) return 1;
    int64_t b = (rows + min_rows - 1) / min_rows;
    return b > (int64_t)max_blocks ? max_blocks : (size_t)b;
}

void cairn__block_range(int64_t rows, size_t nblocks, size_t b, int64_t *begin, int64_t *end)
{
    *begin = (int64_t)((__int128)rows * (int64_t)b / (int64_t)nblocks);
    *end = (int64_t)((__int128)rows * (int64_t)(b + 1) / (int64_t)nblocks);
}

void cairn__parallel(int threads, size_t count, cairn_task_fn fn, void *arg)
{
    cairn_pool *pool = threads > 1 && count > 1 ? cairn_pool_default() : NULL;
    if (pool) {
        cairn_pool_run(pool, count, fn, arg);
        return;
    }
    for (size_t i = 0; i < count; i++)
        fn(arg, i);
}

/* ------------------------------------------------------------------------------------------
 * Fit: the common checks
 * ---------------------------------------------------------------------------------------- */

/* Locates an error already set on err at a data row. */
static int at_row(cairn_error *err, int code, const char *field, int64_t row)
{
    cairn_error_field(err, field);
    if (err) err->row = row;
    return code;
}

static int check_labels(const cairn_learn_data *d, cairn_objective obj, int num_class,
                        const char *set, cairn_error *err)
{
    char field[64];
    snprintf(field, sizeof field, "%s label", set);
    int64_t n = d->x->rows;
    if (obj == CAIRN_OBJECTIVE_CLUSTERING) return 0;
    if (!d->y)
        return cairn_error_set(err, CAIRN_EINVAL, "%s set: labels are required for %s", set,
                               cairn_objective_name(obj));
    for (int64_t i = 0; i < n; i++) {
        double y = d->y[i];
        if (y != y) {
            cairn_error_set(err, CAIRN_EINVAL,
                            "%s set: row %lld has no label: drop unlabelled "
                            "rows first",
                            set, (long long)i);
            return at_row(err, CAIRN_EINVAL, field, i);
        }
        if (obj == CAIRN_OBJECTIVE_REGRESSION) {
            if (!isfinite(y)) {
                cairn_error_set(err, CAIRN_EINVAL, "%s set: row %lld: label %g is not finite", set,
                                (long long)i, y);
                return at_row(err, CAIRN_EINVAL, field, i);
            }
        } else if (y != floor(y) || y < 0 || y >= num_class) {
            cairn_error_set(err, CAIRN_EINVAL,
                            "%s set: row %lld: label %g is not a class of a %s objective "
                            "(0..%d)",
                            set, (long long)i, y, cairn_objective_name(obj), num_class - 1);
            return at_row(err, CAIRN_EINVAL, field, i);
        }
    }
    return 0;
}

static int check_weights(const cairn_learn_data *d, const char *set, cairn_error *err)
{
    if (!d->weights) return 0;
    char field[64];
    snprintf(field, sizeof field, "%s weight", set);
    double total = 0;
    for (int64_t i = 0; i < d->x->rows; i++) {
        double w = d->weights[i];
        if (!isfinite(w) || w < 0) {
            cairn_error_set(err, CAIRN_EINVAL,
                            "%s set: row %lld: weight %g is not a finite non-negative number", set,
                            (long long)i, w);
            return at_row(err, CAIRN_EINVAL, field, i);
        }
        total += w;
    }
    if (!(total > 0) && d->x->rows > 0)
        return cairn_error_set(err, CAIRN_EINVAL, "%s set: every row weight is 0", set);
    return 0;
}

static int check_names_match(const cairn_matrix *a, const char *const *names, int64_t k,
                             const char *what, cairn_error *err)
{
    if (a->cols != k)
        return cairn_error_set(err, CAIRN_ECONFLICT, "%s has %lld columns, the model has %lld",
                               what, (long long)a->cols, (long long)k);
    for (int64_t j = 0; a->names && names && j < k; j++)
        if (strcmp(a->names[j], names[j]) != 0) {
            cairn_error_set(err, CAIRN_ECONFLICT,
                            "%s column %lld is '%s', the model expects '%s' there", what,
                            (long long)j + 1, a->names[j], names[j]);
            cairn_error_field(err, a->names[j]);
            cairn_error_expect(err, names[j], a->names[j], strlen(a->names[j]));
            return CAIRN_ECONFLICT;
        }
    return 0;
}

static int check_data(const cairn_learn_data *d, const char *set, cairn_error *err)
{
    if (!d || !d->x || !d->x->values)
        return cairn_error_set(err, CAIRN_EINVAL, "%s set: no matrix", set);
    if (d->x->cols < 1)
        return cairn_error_set(err, CAIRN_EINVAL, "%s set: the matrix has no columns", set);
    if (d->x->rows < 1) return cairn_error_set(err, CAIRN_EINVAL, "%s set: no rows", set);
    return 0;
}

static int resolve_classes(const cairn_learner_params *p, const cairn_learn_data *train,
                           int *num_class, cairn_error *err)
{
    *num_class = 0;
    if (p->objective == CAIRN_OBJECTIVE_BINARY) *num_class = 2;
    if (p->objective == CAIRN_OBJECTIVE_MULTICLASS) {
        int k = p->num_class;
        if (k == 0 && train->y) {
            double mx = 0;
            for (int64_t i = 0; i < train->x->rows; i++)
                if (train->y[i] > mx && train->y[i] < MAX_CLASSES) mx = train->y[i];
            k = (int)mx + 1;
        }
        if (k < 2 || k > MAX_CLASSES)
            return cairn_error_set(err, CAIRN_EINVAL, "multiclass needs 2 to %d classes, found %d",
                                   MAX_CLASSES, k);
        *num_class = k;
    }
    if (p->class_weights) {
        if (*num_class == 0)
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "class weights need a classification "
                                   "objective, not %s",
                                   cairn_objective_name(p->objective));
        if (p->nclass_weights != (size_t)*num_class)
            return cairn_error_set(err, CAIRN_EINVAL, "%zu class weights for %d classes",
                                   p->nclass_weights, *num_class);
        for (size_t c = 0; c < p->nclass_weights; c++)
            if (!isfinite(p->class_weights[c]) || p->class_weights[c] < 0)
                return cairn_error_set(err, CAIRN_EINVAL,
                                       "class weight %zu (%g) is not finite and non-negative", c,
                                       p->class_weights[c]);
    }
    return 0;
}

static int parse_hyper(const char *text, json_t **out, cairn_error *err)
{
    if (!text || !*text) {
        *out = json_object();
        return *out ? 0 : cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    }
    int rc = cairn_json_parse(text, strlen(text), "hyper-parameters", out, err);
    if (rc) return rc;
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return cairn_error_set(err, CAIRN_EINVAL, "hyper-parameters must be a JSON object");
    }
    return 0;
}

static int model_new(const cairn__learner *l, cairn_objective obj, int num_class,
                     const cairn_matrix *x, cairn_model **out)
{
    cairn_model *m = cairn_calloc(1, sizeof *m);
    if (!m) return CAIRN_ENOMEM;
    m->learner = l;
    m->objective = obj;
    m->num_class = num_class;
    m->num_features = x->cols;
    m->names = cairn_calloc((size_t)x->cols, sizeof(char *));
    for (int64_t j = 0; m->names && j < x->cols; j++) {
        char dflt[32];
        snprintf(dflt, sizeof dflt, "f%lld", (long long)j);
        m->names[j] = cairn_strdup(x->names ? x->names[j] : dflt);
        if (!m->names[j]) {
            cairn_model_free(m);
            return CAIRN_ENOMEM;
        }
    }
    if (!m->names) {
        cairn_model_free(m);
        return CAIRN_ENOMEM;
    }
    m->info.learner = l->name;
    m->info.objective = obj;
    m->info.num_class = num_class;
    m->info.num_features = x->cols;
    m->info.best_round = -1;
    m->info.best_score = NAN;
    m->info.inertia = NAN;
    m->info.metric = m->metric;
    *out = m;
    return 0;
}

int cairn__model_shell(const cairn_model *m, cairn_model **out)
{
    cairn_matrix shape = {0, m->num_features, NULL, m->names};
    int rc = model_new(m->learner, m->objective, m->num_class, &shape, out);
    if (rc) return rc;
    (*out)->hyper = m->hyper ? json_incref(m->hyper) : NULL;
    (*out)->info = m->info;
    memcpy((*out)->metric, m->metric, sizeof m->metric);
    (*out)->info.metric = (*out)->metric;
    return 0;
}

static int check_params(const cairn_learner_params *p, const cairn__learner **l, cairn_error *err)
{
    *l = learner_find(p->learner);
    if (!*l) {
        cairn_error_set(err, CAIRN_EINVAL,
                        "unknown learner '%s' (expected xgboost, logistic, linear or kmeans)",
                        p->learner ? p->learner : "(none)");
        cairn_error_field(err, "learner");
        return CAIRN_EINVAL;
    }
    if (p->objective < CAIRN_OBJECTIVE_BINARY || p->objective > CAIRN_OBJECTIVE_CLUSTERING ||
        !((*l)->objectives & (1u << p->objective))) {
        cairn_error_set(err, CAIRN_EINVAL, "learner '%s' does not do %s", (*l)->name,
                        cairn_objective_name(p->objective));
        cairn_error_field(err, "objective");
        return CAIRN_EINVAL;
    }
    if (p->rounds < 0 || p->early_stopping_rounds < 0 || p->threads < 0)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "rounds, early_stopping_rounds and threads "
                               "must not be negative");
    if (p->init_model && *l != &cairn__learner_xgboost)
        return cairn_error_set(err, CAIRN_EUNSUPPORTED,
                               "learner '%s' cannot continue from a "
                               "saved model (only xgboost can)",
                               (*l)->name);
    return 0;
}

static int check_sets(const cairn_learn_data *train, const cairn_learn_data *valid,
                      cairn_objective obj, int num_class, cairn_error *err)
{
    int rc = check_data(train, "training", err);
    if (rc == 0 && valid) rc = check_data(valid, "validation", err);
    if (rc == 0 && valid)
        rc = check_names_match(valid->x, (const char *const *)train->x->names, train->x->cols,
                               "the validation matrix", err);
    if (rc == 0) rc = check_labels(train, obj, num_class, "training", err);
    if (rc == 0 && valid) rc = check_labels(valid, obj, num_class, "validation", err);
    if (rc == 0) rc = check_weights(train, "training", err);
    if (rc == 0 && valid) rc = check_weights(valid, "validation", err);
    return rc;
}

int cairn_model_fit(const cairn_learn_data *train, const cairn_learn_data *valid,
                    const cairn_learner_params *params, cairn_model **out, cairn_error *err)
{
    *out = NULL;
    const cairn__learner *l;
    int num_class = 0;
    int rc = check_params(params, &l, err);
    if (rc == 0) rc = check_data(train, "training", err);
    if (rc == 0) rc = resolve_classes(params, train, &num_class, err);
    if (rc == 0) rc = check_sets(train, valid, params->objective, num_class, err);
    if (rc) return rc;
    json_t *hyper = NULL;
    if ((rc = parse_hyper(params->hyper_json, &hyper, err))) return rc;
    cairn_model *m = NULL;
    rc = model_new(l, params->objective, num_class, train->x, &m);
    if (rc) {
        json_decref(hyper);
        return cairn_error_set(err, rc, "out of memory");
    }
    m->hyper = hyper;
    int threads = params->threads > 0 ? params->threads : cairn_cpu_count();
    cairn__fit f = {train, valid, params, hyper, threads < 1 ? 1 : threads};
    rc = l->fit(m, &f, err);
    if (rc) {
        cairn_model_free(m);
        return rc;
    }
    m->info.outputs = cairn__predict_cols(m, CAIRN_PREDICT_VALUE);
    *out = m;
    return 0;
}

void cairn_model_free(cairn_model *model)
{
    if (!model) return;
    if (model->state && model->learner->free_state) model->learner->free_state(model->state);
    for (int64_t j = 0; model->names && j < model->num_features; j++)
        cairn_free(model->names[j]);
    cairn_free(model->names);
    json_decref(model->hyper);
    cairn_free(model);
}

/* ------------------------------------------------------------------------------------------
 * Predict, SHAP importance, columns, info
 * ---------------------------------------------------------------------------------------- */

int64_t cairn__predict_cols(const cairn_model *m, cairn_predict_kind kind)
{
    bool kmeans = m->objective == CAIRN_OBJECTIVE_CLUSTERING;
    int64_t groups = m->objective == CAIRN_OBJECTIVE_MULTICLASS ? m->num_class : 1;
    switch (kind) {
    case CAIRN_PREDICT_VALUE:
        return kmeans ? 1 + m->num_class : groups;
    case CAIRN_PREDICT_MARGIN:
        return kmeans ? 0 : groups;
    case CAIRN_PREDICT_SHAP:
        return kmeans ? 0 : groups * (m->num_features + 1);
    }
    return 0;
}

int cairn_model_check_columns(const cairn_model *model, const cairn_matrix *x, cairn_error *err)
{
    return check_names_match(x, (const char *const *)model->names, model->num_features,
                             "the matrix", err);
}

const char *const *cairn_model_feature_names(const cairn_model *model, int64_t *count)
{
    if (count) *count = model->num_features;
    return (const char *const *)model->names;
}

void cairn_model_info_get(const cairn_model *model, cairn_model_info *out)
{
    *out = model->info;
    out->metric = model->metric;
}

int cairn_model_predict(const cairn_model *model, const cairn_matrix *x, cairn_predict_kind kind,
                        double **out, int64_t *out_cols, cairn_error *err)
{
    *out = NULL;
    if (out_cols) *out_cols = 0;
    int rc = cairn_model_check_columns(model, x, err);
    if (rc) return rc;
    int64_t cols = cairn__predict_cols(model, kind);
    if (cols == 0)
        return cairn_error_set(err, CAIRN_EUNSUPPORTED, "a %s model has no %s predictions",
                               model->learner->name,
                               kind == CAIRN_PREDICT_SHAP ? "SHAP" : "margin");
    size_t cells = (size_t)x->rows * (size_t)cols;
    double *v = cairn_calloc(cells ? cells : 1, sizeof *v);
    if (!v) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory for %zu predictions", cells);
    if (x->rows > 0 && (rc = model->learner->predict(model, x, kind, v, err))) {
        cairn_free(v);
        return rc;
    }
    *out = v;
    if (out_cols) *out_cols = cols;
    return 0;
}

int cairn_model_shap_importance(const cairn_model *model, const cairn_matrix *x, double **out,
                                cairn_error *err)
{
    *out = NULL;
    double *shap;
    int64_t cols;
    int rc = cairn_model_predict(model, x, CAIRN_PREDICT_SHAP, &shap, &cols, err);
    if (rc) return rc;
    int64_t k = model->num_features, groups = cols / (k + 1);
    double *imp = cairn_calloc((size_t)k, sizeof *imp);
    if (!imp) {
        cairn_free(shap);
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    }
    for (int64_t i = 0; i < x->rows; i++)
        for (int64_t g = 0; g < groups; g++)
            for (int64_t j = 0; j < k; j++)
                imp[j] += fabs(shap[(i * groups + g) * (k + 1) + j]);
    double denom = (double)x->rows * (double)groups;
    for (int64_t j = 0; j < k && denom > 0; j++)
        imp[j] /= denom;
    cairn_free(shap);
    *out = imp;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * The envelope
 * ---------------------------------------------------------------------------------------- */

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static json_t *info_json(const cairn_model *m)
{
    const cairn_model_info *in = &m->info;
    json_t *o = json_object();
    if (!o) return NULL;
    int bad = json_object_set_new(o, "rounds", json_integer(in->rounds));
    bad |= json_object_set_new(o, "best_round", json_integer(in->best_round));
    bad |= json_object_set_new(o, "best_score",
                               isfinite(in->best_score) ? json_real(in->best_score) : json_null());
    bad |= json_object_set_new(o, "metric", json_string(m->metric));
    bad |= json_object_set_new(o, "stopped_early", json_boolean(in->stopped_early));
    bad |= json_object_set_new(o, "stopped_by_callback", json_boolean(in->stopped_by_callback));
    bad |= json_object_set_new(o, "inertia",
                               isfinite(in->inertia) ? json_real(in->inertia) : json_null());
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *header_json(const cairn_model *m)
{
    json_t *h = json_object(), *names = json_array();
    int bad = !h || !names;
    for (int64_t j = 0; !bad && j < m->num_features; j++)
        bad = json_array_append_new(names, json_string(m->names[j]));
    if (!bad) {
        bad |= json_object_set_new(h, "learner", json_string(m->learner->name));
        bad |= json_object_set_new(h, "objective", json_string(cairn_objective_name(m->objective)));
        bad |= json_object_set_new(h, "num_class", json_integer(m->num_class));
        bad |= json_object_set_new(h, "features", names);
        names = NULL;
        bad |= json_object_set_new(h, "native_format", json_string(m->learner->native_format));
        bad |= json_object_set_new(h, "info", info_json(m));
        bad |= json_object_set(h, "hyper", m->hyper);
    }
    json_decref(names);
    if (bad) {
        json_decref(h);
        return NULL;
    }
    return h;
}

int cairn_model_save(const cairn_model *model, cairn_buf *out, cairn_error *err)
{
    json_t *h = header_json(model);
    if (!h) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    cairn_buf native, text;
    cairn_buf_init(&native, 0);
    cairn_buf_init(&text, 0);
    int rc = model->learner->save(model, h, &native, err);
    if (rc == 0 && (rc = cairn_json_dump(h, 0, &text)))
        cairn_error_set(err, rc, "writing the model header");
    json_decref(h);
    size_t start = out->len;
    uint8_t word[8];
    if (rc == 0) {
        memcpy(word, ENVELOPE_MAGIC, 8);
        rc = cairn_buf_append(out, word, 8);
        put_le(word, ENVELOPE_VERSION, 4);
        if (rc == 0) rc = cairn_buf_append(out, word, 4);
        put_le(word, text.len, 4);
        if (rc == 0) rc = cairn_buf_append(out, word, 4);
        if (rc == 0) rc = cairn_buf_append(out, text.data, text.len);
        put_le(word, native.len, 8);
        if (rc == 0) rc = cairn_buf_append(out, word, 8);
        if (rc == 0) rc = cairn_buf_append(out, native.data, native.len);
        put_le(word, cairn_hash64(out->data + start, out->len - start, 0), 8);
        if (rc == 0) rc = cairn_buf_append(out, word, 8);
        if (rc) {
            out->len = start;
            out->data[start] = '\0';
            cairn_error_set(err, rc, "writing the model envelope");
        }
    }
    cairn_buf_release(&native);
    cairn_buf_release(&text);
    return rc;
}

int cairn_model_native(const cairn_model *model, cairn_buf *out, const char **format,
                       cairn_error *err)
{
    json_t *scratch = json_object();
    if (!scratch) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    int rc = model->learner->save(model, scratch, out, err);
    json_decref(scratch);
    if (format) *format = model->learner->native_format;
    return rc;
}

static int corrupt(cairn_error *err, const char *what)
{
    return cairn_error_set(err, CAIRN_ECORRUPT, "model envelope: %s", what);
}

static int load_info(cairn_model *m, const json_t *info, cairn_error *err)
{
    const json_t *metric = json_object_get(info, "metric");
    const json_t *best = json_object_get(info, "best_score");
    const json_t *inertia = json_object_get(info, "inertia");
    if (!json_is_object(info) || !json_is_integer(json_object_get(info, "rounds")) ||
        !json_is_integer(json_object_get(info, "best_round")) || !json_is_string(metric) ||
        !(json_is_number(best) || json_is_null(best)) ||
        !(json_is_number(inertia) || json_is_null(inertia)))
        return corrupt(err, "malformed 'info' in the header");
    m->info.rounds = json_integer_value(json_object_get(info, "rounds"));
    m->info.best_round = json_integer_value(json_object_get(info, "best_round"));
    m->info.best_score = json_is_number(best) ? json_number_value(best) : NAN;
    m->info.inertia = json_is_number(inertia) ? json_number_value(inertia) : NAN;
    m->info.stopped_early = json_is_true(json_object_get(info, "stopped_early"));
    m->info.stopped_by_callback = json_is_true(json_object_get(info, "stopped_by_callback"));
    snprintf(m->metric, sizeof m->metric, "%s", json_string_value(metric));
    return 0;
}

static int model_from_header(const json_t *h, cairn_model **out, cairn_error *err)
{
    const cairn__learner *l = learner_find(json_string_value(json_object_get(h, "learner")));
    if (!l) return corrupt(err, "unknown learner in the header");
    cairn_objective obj;
    const json_t *names = json_object_get(h, "features");
    const json_t *nc = json_object_get(h, "num_class");
    if (cairn_objective_parse(json_string_value(json_object_get(h, "objective")), &obj) ||
        !json_is_array(names) || json_array_size(names) < 1 || !json_is_integer(nc) ||
        json_integer_value(nc) < 0 || json_integer_value(nc) > MAX_CLASSES ||
        !json_is_object(json_object_get(h, "hyper")))
        return corrupt(err, "malformed header");
    size_t k = json_array_size(names);
    cairn_matrix shape = {0, (int64_t)k, NULL, NULL};
    cairn_model *m;
    if (model_new(l, obj, (int)json_integer_value(nc), &shape, &m))
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    for (size_t j = 0; j < k; j++) {
        const char *s = json_string_value(json_array_get(names, j));
        char *copy = s ? cairn_strdup(s) : NULL;
        if (!copy) {
            cairn_model_free(m);
            return s ? cairn_error_set(err, CAIRN_ENOMEM, "out of memory")
                     : corrupt(err, "a feature name is not a string");
        }
        cairn_free(m->names[j]);
        m->names[j] = copy;
    }
    m->hyper = json_incref(json_object_get(h, "hyper"));
    int rc = load_info(m, json_object_get(h, "info"), err);
    if (rc) {
        cairn_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int cairn_model_load(const void *data, size_t len, cairn_model **out, cairn_error *err)
{
    *out = NULL;
    const uint8_t *p = data;
    if (len < 32 || memcmp(p, ENVELOPE_MAGIC, 8) != 0)
        return cairn_error_set(err, CAIRN_EPARSE, "not a Cairn model (no CAIRNMDL envelope)");
    uint64_t version = get_le(p + 8, 4), hlen = get_le(p + 12, 4);
    if (version > ENVELOPE_VERSION)
        return cairn_error_set(err, CAIRN_EUNSUPPORTED,
                               "model envelope version %llu is newer than this Cairn (%d)",
                               (unsigned long long)version, ENVELOPE_VERSION);
    if (hlen > len - 32) return corrupt(err, "truncated header");
    uint64_t nlen = get_le(p + 16 + hlen, 8);
    if (nlen != len - 32 - hlen) return corrupt(err, "truncated or oversized model bytes");
    if (get_le(p + len - 8, 8) != cairn_hash64(p, len - 8, 0))
        return corrupt(err, "checksum mismatch (the bytes were changed or cut)");
    json_t *h;
    int rc = cairn_json_parse((const char *)p + 16, (size_t)hlen, "model header", &h, err);
    if (rc) return rc == CAIRN_ENOMEM ? rc : corrupt(err, "the header is not JSON");
    cairn_model *m = NULL;
    rc = model_from_header(h, &m, err);
    if (rc == 0 && strcmp(json_string_value(json_object_get(h, "native_format"))
                              ? json_string_value(json_object_get(h, "native_format"))
                              : "",
                          m->learner->native_format) != 0)
        rc = corrupt(err, "unexpected native format");
    if (rc == 0) rc = m->learner->load(m, h, (const char *)p + 24 + hlen, (size_t)nlen, err);
    json_decref(h);
    if (rc) {
        cairn_model_free(m);
        return rc;
    }
    m->info.outputs = cairn__predict_cols(m, CAIRN_PREDICT_VALUE);
    *out = m;
    return 0;
}
