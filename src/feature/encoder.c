/* src/feature/encoder.c: fitted column encoders (target, hashing, frequency, one-hot, robust
 * scaling, imputation), their transform, and their canonical JSON form.
 *
 * An encoder is fitted on one column of a training table and then applied, by the same code,
 * offline (a training set) and online (a served row). Each kind plugs in through the `kinds`
 * table: a name, its option keys, an options check, fit, transform, and the two halves of its
 * JSON form.
 *
 * Categories. Target, frequency and one-hot encoders work on a column's categories: the bytes
 * of a string value, or the canonical text of any other value (cairn_value_format), so 3 and
 * "3" are the same category. Fit sorts the rows by category (bytes, then row) once and keeps
 * the distinct categories as a plain STRING column in byte order; transform finds a row's
 * category by binary search. Categories are stored in JSON, so they must be valid UTF-8.
 *
 * Target encoding. value(c) = (sum_c + m * prior) / (n_c + m), where n_c and sum_c are the
 * labelled training rows of category c and the sum of their targets (sum_c = n_c * mean_c),
 * prior = the mean target of all labelled rows; an unseen or null category gets the prior.
 * A row whose target is null or NaN is unlabelled: it counts nowhere. Out of fold: the rows
 * are ordered by XXH3_64bits_withSeed(row index as 8 little-endian bytes, seed), ties by
 * index, and the r-th row of that order goes to fold r mod K, so the folds differ in size by
 * at most one. A training row's value uses n_c, sum_c and the prior of the other K - 1 folds
 * only, summed in row order (so a brute-force recomputation gives the same bits); when the
 * other folds hold no labelled row at all, the value is null.
 *
 * Robust scaling and numeric imputation use NumPy's defaults: the median is the middle value
 * or the mean of the two middle values, a quartile interpolates linearly at h = (n - 1) q
 * exactly as numpy's _lerp does (so results match RobustScaler and SimpleImputer to the bit).
 * Nulls and NaNs are left out of the statistics; infinite values are refused.
 *
 * Invariants: a fitted encoder is never changed again (transform may run on many threads at
 * once); an encoder handed to a caller is complete and consistent (categories sorted and
 * distinct, per-category statistics matching them); to_json of equal fits gives equal bytes
 * under cairn_json_dump, and from_json accepts exactly what to_json writes.
 *
 * Tests: tests/unit/feature/test_encoder.c, tests/oracles/test_encoder_sklearn.sh.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "cairn/feature.h"
#include "table/convert.h"

#define ENCODER_VERSION 1
#define OTHER "__other__"
#define MAX_FOLDS 1000

struct cairn_encoder {
    cairn_encoder_options opts; /* column and target point at the copies below */
    char *column;
    char *target;
    cairn_column *cats;           /* TARGET, FREQUENCY, ONEHOT: sorted distinct categories */
    int64_t *counts;              /* TARGET: labelled rows per category; FREQUENCY: rows */
    double *sums;                 /* TARGET: target sum per category */
    double *values;               /* TARGET: encoded value per category */
    int64_t labelled;             /* TARGET: labelled training rows */
    double total;                 /* TARGET: their target sum */
    double prior;                 /* TARGET: total / labelled */
    double median, q1, q3, scale; /* ROBUST; IMPUTE numeric fills with median */
    bool fill_is_string;          /* IMPUTE on a string column */
    char *fill;                   /* IMPUTE string: the most frequent value */
    size_t fill_len;
};

typedef struct kind_ops {
    cairn_encoder_kind kind;
    const char *name;
    const char *const *option_keys; /* keys besides kind, version, column and state */
    const char *const *state_keys;
    int (*check)(const cairn_encoder_options *opts, cairn_error *err);
    int (*fit)(cairn_encoder *enc, const cairn_table *train, const cairn_column *col,
               cairn_column **train_out, cairn_error *err);
    int (*transform)(const cairn_encoder *enc, const cairn_column *col, cairn_table *out,
                     cairn_error *err);
    int (*put_json)(const cairn_encoder *enc, json_t *obj, json_t *state);
    int (*get_json)(cairn_encoder *enc, const json_t *obj, const json_t *state, cairn_error *err);
} kind_ops;

/* ------------------------------------------------------------------------------------------
 * Private helpers: categories
 * ---------------------------------------------------------------------------------------- */

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t m = alen < blen ? alen : blen;
    int c = m ? memcmp(a, b, m) : 0;
    if (c) return c;
    return (alen > blen) - (alen < blen);
}

static const char *cat_at(const cairn_column *cats, int64_t i, size_t *len)
{
    *len = (size_t)(cats->offsets[i + 1] - cats->offsets[i]);
    return cats->data + cats->offsets[i];
}

/* Index of the category p[0..len) in the sorted column, or -1. */
static int64_t cat_find(const cairn_column *cats, const char *p, size_t len)
{
    int64_t lo = 0, hi = cats ? cats->length : 0;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        size_t mlen;
        const char *m = cat_at(cats, mid, &mlen);
        int c = bytes_cmp(m, mlen, p, len);
        if (c == 0) return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* The category of a valid row i: borrowed string bytes, or the canonical text of the value
 * written into scratch (valid until the next call). */
static int key_get(const cairn_column *col, int64_t i, cairn_buf *scratch, const char **p,
                   size_t *len)
{
    if (col->type == CAIRN_TYPE_STRING) {
        *p = cairn_column_str(col, i, len);
        return 0;
    }
    cairn_value v;
    cairn_column_get(col, i, &v);
    cairn_buf_reset(scratch);
    int rc = cairn_value_format(&v, NULL, scratch);
    *p = scratch->data;
    *len = scratch->len;
    return rc;
}

/* Every row's category at once (for sorting). Null rows get len 0; callers check validity. */
typedef struct row_keys {
    const char **ptr;
    size_t *len;
    cairn_buf text; /* canonical text of non-string values */
} row_keys;

/* Idempotent: a released row_keys can be released again. */
static void row_keys_release(row_keys *k)
{
    cairn_free(k->ptr);
    cairn_free(k->len);
    cairn_buf_release(&k->text);
    k->ptr = NULL;
    k->len = NULL;
}

static int row_keys_build(const cairn_column *col, row_keys *k)
{
    size_t n = (size_t)col->length;
    cairn_buf_init(&k->text, 0);
    k->ptr = cairn_calloc(n ? n : 1, sizeof *k->ptr);
    k->len = cairn_calloc(n ? n : 1, sizeof *k->len);
    size_t *start = NULL;
    int rc = (k->ptr && k->len) ? 0 : CAIRN_ENOMEM;
    if (rc == 0 && col->type != CAIRN_TYPE_STRING) {
        start = cairn_calloc(n ? n : 1, sizeof *start);
        if (!start) rc = CAIRN_ENOMEM;
    }
    cairn_buf scratch;
    cairn_buf_init(&scratch, 0);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!cairn_column_is_valid(col, (int64_t)i)) continue;
        if (!start) {
            k->ptr[i] = cairn_column_str(col, (int64_t)i, &k->len[i]);
            continue;
        }
        const char *p;
        rc = key_get(col, (int64_t)i, &scratch, &p, &k->len[i]);
        start[i] = k->text.len;
        if (rc == 0) rc = cairn_buf_append(&k->text, p, k->len[i]);
    }
    for (size_t i = 0; rc == 0 && start && i < n; i++)
        k->ptr[i] = k->text.data + start[i];
    cairn_buf_release(&scratch);
    cairn_free(start);
    if (rc) row_keys_release(k);
    return rc;
}

typedef struct keyed_row {
    const char *ptr;
    size_t len;
    int64_t row;
} keyed_row;

static int keyed_row_cmp(const void *a, const void *b)
{
    const keyed_row *x = a, *y = b;
    int c = bytes_cmp(x->ptr, x->len, y->ptr, y->len);
    if (c) return c;
    return (x->row > y->row) - (x->row < y->row);
}

/* The sorted distinct categories of the valid rows (those with mask[i] set, when mask is not
 * NULL) and how many rows each has. A category that is not valid UTF-8 is refused, naming
 * its first row. */
static int build_categories(const cairn_column *col, const row_keys *keys, const uint8_t *mask,
                            cairn_column **out_cats, int64_t **out_counts, cairn_error *err)
{
    size_t n = (size_t)col->length, m = 0;
    keyed_row *rows = cairn_malloc((n ? n : 1) * sizeof *rows);
    int64_t *counts = cairn_calloc(n ? n : 1, sizeof *counts);
    cairn_column *cats = NULL;
    int rc = (rows && counts) ? cairn_column_create("categories", CAIRN_TYPE_STRING, false, &cats)
                              : CAIRN_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!cairn_column_is_valid(col, (int64_t)i) || (mask && !mask[i])) continue;
        rows[m++] = (keyed_row){keys->ptr[i], keys->len[i], (int64_t)i};
    }
    if (rc == 0 && m) qsort(rows, m, sizeof *rows, keyed_row_cmp);
    for (size_t r = 0; rc == 0 && r < m; r++) {
        if (r == 0 || bytes_cmp(rows[r - 1].ptr, rows[r - 1].len, rows[r].ptr, rows[r].len)) {
            size_t bad;
            if (!cairn__utf8_valid(rows[r].ptr, rows[r].len, &bad)) {
                rc = cairn_error_set(err, CAIRN_EINVAL,
                                     "column '%s' row %lld: the value is not valid UTF-8 "
                                     "(byte %zu); encoders keep categories as JSON text",
                                     col->name, (long long)rows[r].row, bad);
                cairn_error_field(err, col->name);
                break;
            }
            rc = cairn_column_append_string(cats, rows[r].ptr, rows[r].len);
        }
        if (rc == 0) counts[cats->length - 1]++;
    }
    cairn_free(rows);
    if (rc) {
        cairn_column_free(cats);
        cairn_free(counts);
        return rc;
    }
    *out_cats = cats;
    *out_counts = counts;
    return 0;
}

/* cat_of_row[i]: the index of row i's category in cats, -1 for a null or absent one. */
static int map_rows(const cairn_column *col, const row_keys *keys, const cairn_column *cats,
                    int64_t **out)
{
    size_t n = (size_t)col->length;
    int64_t *map = cairn_malloc((n ? n : 1) * sizeof *map);
    if (!map) return CAIRN_ENOMEM;
    for (size_t i = 0; i < n; i++)
        map[i] = cairn_column_is_valid(col, (int64_t)i) ? cat_find(cats, keys->ptr[i], keys->len[i])
                                                        : -1;
    *out = map;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Private helpers: numbers, output columns, errors
 * ---------------------------------------------------------------------------------------- */

static bool num_at(const cairn_column *col, int64_t i, double *out)
{
    if (!cairn_column_is_valid(col, i)) return false;
    cairn_value v;
    cairn_column_get(col, i, &v);
    return cairn_value_as_double(&v, out);
}

/* what: "robust", or "impute" (which takes strings too). */
static int need_numeric(const cairn_column *col, const char *what, cairn_error *err)
{
    if (cairn_type_is_numeric(col->type)) return 0;
    bool strings_too = strcmp(what, "impute") == 0;
    cairn_error_set(err, CAIRN_ETYPE, "column '%s' is %s; the %s encoder needs a number%s column",
                    col->name, cairn_type_name(col->type), what, strings_too ? " or string" : "");
    cairn_error_field(err, col->name);
    return CAIRN_ETYPE;
}

static int double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The non-null, non-NaN values of a number column, sorted. Infinities are refused (as
 * scikit-learn refuses them); no values at all is an error too. */
static int sorted_values(const cairn_column *col, double **out, size_t *count, cairn_error *err)
{
    size_t n = (size_t)col->length, m = 0;
    double *v = cairn_malloc((n ? n : 1) * sizeof *v);
    if (!v) return CAIRN_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        double d;
        if (!num_at(col, (int64_t)i, &d) || isnan(d)) continue;
        if (isinf(d)) {
            cairn_free(v);
            cairn_error_set(err, CAIRN_ERANGE, "column '%s' row %zu: infinite value", col->name, i);
            cairn_error_field(err, col->name);
            return CAIRN_ERANGE;
        }
        v[m++] = d;
    }
    if (m == 0) {
        cairn_free(v);
        cairn_error_set(err, CAIRN_EINVAL, "column '%s' has no non-null values to fit on",
                        col->name);
        cairn_error_field(err, col->name);
        return CAIRN_EINVAL;
    }
    qsort(v, m, sizeof *v, double_cmp);
    *out = v;
    *count = m;
    return 0;
}

/* numpy.median: the middle value, or the mean of the two middle values. */
static double np_median(const double *sorted, size_t n)
{
    if (n % 2) return sorted[n / 2];
    return (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
}

/* numpy.quantile(method='linear'): h = (n - 1) q, then numpy's _lerp, which interpolates
 * from the nearer end so that t = 1 gives b exactly. */
static double np_quantile(const double *sorted, size_t n, double q)
{
    double h = (double)(n - 1) * q, lo = floor(h), t = h - lo;
    size_t i = (size_t)lo, j = i + 1 < n ? i + 1 : n - 1;
    double a = sorted[i], b = sorted[j], diff = b - a;
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/* An empty output column "<column><suffix>" with room for `rows` rows. */
static int new_output(const cairn_encoder *enc, const char *suffix, cairn_type type, bool nullable,
                      int64_t rows, cairn_column **out)
{
    cairn_buf name;
    cairn_buf_init(&name, 0);
    *out = NULL;
    int rc = cairn_buf_printf(&name, "%s%s", enc->column, suffix);
    if (rc == 0) rc = cairn_column_create(name.data, type, nullable, out);
    if (rc == 0 && (rc = cairn_column_reserve(*out, rows, 0))) {
        cairn_column_free(*out);
        *out = NULL;
    }
    cairn_buf_release(&name);
    return rc;
}

/* Adopts column into the output table (which takes it, also on failure). */
static int add_output(cairn_table *t, cairn_column *column, cairn_error *err)
{
    int rc = cairn_table_adopt_column(t, column, err);
    if (rc && rc != CAIRN_ENOMEM) cairn_error_prefix(err, "encoder output: ");
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Private helpers: JSON
 * ---------------------------------------------------------------------------------------- */

static const char *json_type_label(const json_t *v)
{
    static const char *const names[] = {"an object", "an array", "a string", "an integer",
                                        "a real",    "true",     "false",    "null"};
    return v ? names[json_typeof(v)] : "nothing (missing key)";
}

static int json_bad(cairn_error *err, const char *key, const char *fmt, ...) CAIRN_PRINTF(3, 4);
static int json_bad(cairn_error *err, const char *key, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cairn_error_set(err, CAIRN_EPARSE, "encoder JSON: key '%s': %s", key, msg);
    cairn_error_field(err, key);
    return CAIRN_EPARSE;
}

/* json_object_set_new that reports a NULL value or a failed insert as CAIRN_ENOMEM. */
static int put(json_t *obj, const char *key, json_t *value)
{
    if (!value) return CAIRN_ENOMEM;
    return json_object_set_new(obj, key, value) ? CAIRN_ENOMEM : 0;
}

static int push(json_t *arr, json_t *value)
{
    if (!value) return CAIRN_ENOMEM;
    return json_array_append_new(arr, value) ? CAIRN_ENOMEM : 0;
}

/* name: the key as reported (a path such as "state.categories[2].count"); NULL = key. */
static int read_string(const json_t *obj, const char *key, const char *name, const char **out,
                       size_t *len, cairn_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = "";
    if (len) *len = 0;
    if (!json_is_string(v))
        return json_bad(err, name ? name : key, "expected a string, found %s", json_type_label(v));
    *out = json_string_value(v);
    if (len) *len = json_string_length(v);
    return 0;
}

static int read_int(const json_t *obj, const char *key, const char *name, int64_t min, int64_t max,
                    int64_t *out, cairn_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = 0;
    if (!json_is_integer(v))
        return json_bad(err, name ? name : key, "expected an integer, found %s",
                        json_type_label(v));
    int64_t x = json_integer_value(v);
    if (x < min || x > max)
        return json_bad(err, name ? name : key, "%lld is out of range [%lld, %lld]", (long long)x,
                        (long long)min, (long long)max);
    *out = x;
    return 0;
}

static int read_number(const json_t *obj, const char *key, const char *name, double *out,
                       cairn_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = 0;
    if (!json_is_number(v))
        return json_bad(err, name ? name : key, "expected a number, found %s", json_type_label(v));
    *out = json_number_value(v);
    return 0;
}

static bool key_listed(const char *key, const char *const *keys)
{
    for (size_t i = 0; keys && keys[i]; i++)
        if (strcmp(key, keys[i]) == 0) return true;
    return false;
}

/* Every key of obj must be in one of the two lists. where: "" or "state.". */
static int check_keys(const json_t *obj, const char *const *a, const char *const *b,
                      const char *where, cairn_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (key_listed(key, a) || key_listed(key, b)) continue;
        char name[160];
        snprintf(name, sizeof name, "%s%s", where, key);
        return json_bad(err, name, "unknown key for this kind of encoder");
    }
    return 0;
}

/* Options checks report CAIRN_EINVAL; from_json turns them into CAIRN_EPARSE. */
static int bad_option(cairn_error *err, const char *key, const char *fmt, ...) CAIRN_PRINTF(3, 4);
static int bad_option(cairn_error *err, const char *key, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cairn_error_set(err, CAIRN_EINVAL, "encoder option '%s': %s", key, msg);
    cairn_error_field(err, key);
    return CAIRN_EINVAL;
}

/* Categories as a JSON array of strings (sorted: they are kept sorted). */
static json_t *cats_to_json(const cairn_column *cats)
{
    json_t *arr = json_array();
    for (int64_t i = 0; arr && i < cats->length; i++) {
        size_t len = 0;
        const char *p = cat_at(cats, i, &len);
        if (push(arr, json_stringn(p, len))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* Reads the categories of "state.<key>": an array of strings, or (objects) of objects whose
 * "value" is the category. They must be distinct and in byte order. */
static int cats_from_json(const json_t *arr, const char *key, bool objects, cairn_column **out,
                          cairn_error *err)
{
    char name[160];
    snprintf(name, sizeof name, "state.%s", key);
    if (!json_is_array(arr))
        return json_bad(err, name, "expected an array, found %s", json_type_label(arr));
    cairn_column *cats = NULL;
    int rc = cairn_column_create("categories", CAIRN_TYPE_STRING, false, &cats);
    for (size_t i = 0; rc == 0 && i < json_array_size(arr); i++) {
        const json_t *item = json_array_get(arr, i);
        const char *p = NULL;
        size_t len = 0;
        if (objects) {
            snprintf(name, sizeof name, "state.%s[%zu].value", key, i);
            if (!json_is_object(item)) {
                snprintf(name, sizeof name, "state.%s[%zu]", key, i);
                rc = json_bad(err, name, "expected an object, found %s", json_type_label(item));
                break;
            }
            rc = read_string(item, "value", name, &p, &len, err);
        } else {
            snprintf(name, sizeof name, "state.%s[%zu]", key, i);
            rc = json_is_string(item)
                     ? 0
                     : json_bad(err, name, "expected a string, found %s", json_type_label(item));
            p = json_string_value(item);
            len = json_string_length(item);
        }
        if (rc) break;
        size_t plen = 0;
        const char *prev = i > 0 ? cat_at(cats, cats->length - 1, &plen) : NULL;
        if (prev && bytes_cmp(prev, plen, p, len) >= 0) {
            rc = json_bad(err, name, "categories must be distinct and in byte order");
            break;
        }
        rc = cairn_column_append_string(cats, p, len);
    }
    if (rc) {
        cairn_column_free(cats);
        return rc;
    }
    *out = cats;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * TARGET
 * ---------------------------------------------------------------------------------------- */

static const char *const target_keys[] = {"target", "smoothing", "folds", "seed", NULL};
static const char *const target_state_keys[] = {"rows", "sum", "prior", "categories", NULL};

static double target_value(double sum, int64_t count, double m, double prior)
{
    if (count == 0) return prior;
    return (sum + m * prior) / ((double)count + m);
}

static int target_check(const cairn_encoder_options *opts, cairn_error *err)
{
    if (!opts->target || !opts->target[0])
        return bad_option(err, "target", "the target encoder needs a target column");
    if (!isfinite(opts->smoothing) || opts->smoothing < 0)
        return bad_option(err, "smoothing", "%g is not a finite number >= 0", opts->smoothing);
    if (opts->folds < 2 || opts->folds > MAX_FOLDS)
        return bad_option(err, "folds", "%d is out of range [2, %d]", opts->folds, MAX_FOLDS);
    return 0;
}

typedef struct fold_key {
    uint64_t hash;
    int64_t row;
} fold_key;

static int fold_key_cmp(const void *a, const void *b)
{
    const fold_key *x = a, *y = b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* fold[i] for n rows: a seeded shuffle (rows ordered by a hash of their index) dealt out
 * round-robin into K folds. */
static int assign_folds(size_t n, int folds, uint64_t seed, int *fold)
{
    fold_key *keys = cairn_malloc((n ? n : 1) * sizeof *keys);
    if (!keys) return CAIRN_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint8_t le[8];
        for (int b = 0; b < 8; b++)
            le[b] = (uint8_t)((uint64_t)i >> (8 * b));
        keys[i] = (fold_key){XXH3_64bits_withSeed(le, sizeof le, seed), (int64_t)i};
    }
    qsort(keys, n, sizeof *keys, fold_key_cmp);
    for (size_t r = 0; r < n; r++)
        fold[keys[r].row] = (int)(r % (size_t)folds);
    cairn_free(keys);
    return 0;
}

/* The labels: y[i] and labelled[i] (target neither null nor NaN). */
static int target_labels(const cairn_encoder *enc, const cairn_table *train, double **out_y,
                         uint8_t **out_labelled, cairn_error *err)
{
    const cairn_column *ycol = cairn_table_column_by_name(train, enc->target);
    if (!ycol) {
        cairn_error_set(err, CAIRN_EINVAL, "the training table has no target column '%s'",
                        enc->target);
        cairn_error_field(err, enc->target);
        return CAIRN_EINVAL;
    }
    if (!cairn_type_is_numeric(ycol->type) && ycol->type != CAIRN_TYPE_BOOL) {
        cairn_error_set(err, CAIRN_ETYPE, "target column '%s' is %s; expected a number or bool",
                        enc->target, cairn_type_name(ycol->type));
        cairn_error_field(err, enc->target);
        return CAIRN_ETYPE;
    }
    size_t n = (size_t)ycol->length;
    double *y = cairn_calloc(n ? n : 1, sizeof *y);
    uint8_t *labelled = cairn_calloc(n ? n : 1, 1);
    if (!y || !labelled) {
        cairn_free(y);
        cairn_free(labelled);
        return CAIRN_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        double d;
        if (!num_at(ycol, (int64_t)i, &d) || isnan(d)) continue;
        if (isinf(d)) {
            cairn_free(y);
            cairn_free(labelled);
            cairn_error_set(err, CAIRN_ERANGE, "target column '%s' row %zu: infinite value",
                            enc->target, i);
            cairn_error_field(err, enc->target);
            return CAIRN_ERANGE;
        }
        y[i] = d;
        labelled[i] = 1;
    }
    *out_y = y;
    *out_labelled = labelled;
    return 0;
}

/* The out-of-fold column: fold by fold, the other folds' statistics summed in row order. */
static int target_oof(const cairn_encoder *enc, size_t n, const double *y, const uint8_t *labelled,
                      const int64_t *cat_of_row, cairn_column **out)
{
    size_t ncats = (size_t)enc->cats->length;
    int *fold = cairn_malloc((n ? n : 1) * sizeof *fold);
    double *fsum = cairn_malloc((ncats ? ncats : 1) * sizeof *fsum);
    int64_t *fcount = cairn_malloc((ncats ? ncats : 1) * sizeof *fcount);
    double *te = cairn_calloc(n ? n : 1, sizeof *te);
    uint8_t *has = cairn_calloc(n ? n : 1, 1);
    cairn_column *col = NULL;
    int rc = (fold && fsum && fcount && te && has) ? 0 : CAIRN_ENOMEM;
    if (rc == 0) rc = assign_folds(n, enc->opts.folds, enc->opts.seed, fold);
    double m = enc->opts.smoothing;
    for (int f = 0; rc == 0 && f < enc->opts.folds; f++) {
        memset(fsum, 0, (ncats ? ncats : 1) * sizeof *fsum);
        memset(fcount, 0, (ncats ? ncats : 1) * sizeof *fcount);
        double psum = 0;
        int64_t pcount = 0;
        for (size_t i = 0; i < n; i++) {
            if (!labelled[i] || fold[i] == f) continue;
            psum += y[i];
            pcount++;
            if (cat_of_row[i] >= 0) fsum[cat_of_row[i]] += y[i], fcount[cat_of_row[i]]++;
        }
        if (pcount == 0) continue; /* nothing to learn from: these rows stay null */
        double prior = psum / (double)pcount;
        for (size_t i = 0; i < n; i++) {
            if (fold[i] != f) continue;
            int64_t c = cat_of_row[i];
            te[i] = c >= 0 ? target_value(fsum[c], fcount[c], m, prior) : prior;
            has[i] = 1;
        }
    }
    if (rc == 0) rc = new_output(enc, "__te", CAIRN_TYPE_FLOAT64, true, (int64_t)n, &col);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = has[i] ? cairn_column_append_float64(col, te[i]) : cairn_column_append_null(col);
    cairn_free(fold);
    cairn_free(fsum);
    cairn_free(fcount);
    cairn_free(te);
    cairn_free(has);
    if (rc) {
        cairn_column_free(col);
        return rc;
    }
    *out = col;
    return 0;
}

/* Per-category values from counts and sums, and the prior from the totals. */
static int target_derive(cairn_encoder *enc)
{
    size_t ncats = (size_t)enc->cats->length;
    enc->prior = enc->total / (double)enc->labelled;
    enc->values = cairn_malloc((ncats ? ncats : 1) * sizeof *enc->values);
    if (!enc->values) return CAIRN_ENOMEM;
    for (size_t c = 0; c < ncats; c++)
        enc->values[c] =
            target_value(enc->sums[c], enc->counts[c], enc->opts.smoothing, enc->prior);
    return 0;
}

static int target_fit(cairn_encoder *enc, const cairn_table *train, const cairn_column *col,
                      cairn_column **train_out, cairn_error *err)
{
    double *y = NULL;
    uint8_t *labelled = NULL;
    int64_t *cat_of_row = NULL;
    row_keys keys = {0};
    size_t n = (size_t)col->length;
    int rc = target_labels(enc, train, &y, &labelled, err);
    if (rc) return rc;
    rc = row_keys_build(col, &keys);
    if (rc == 0) rc = build_categories(col, &keys, labelled, &enc->cats, &enc->counts, err);
    if (rc == 0) rc = map_rows(col, &keys, enc->cats, &cat_of_row);
    if (rc == 0) {
        enc->sums =
            cairn_calloc(enc->cats->length ? (size_t)enc->cats->length : 1, sizeof *enc->sums);
        if (!enc->sums) rc = CAIRN_ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!labelled[i]) continue;
        enc->total += y[i];
        enc->labelled++;
        if (cat_of_row[i] >= 0) enc->sums[cat_of_row[i]] += y[i];
    }
    if (rc == 0 && enc->labelled == 0) {
        rc = cairn_error_set(err, CAIRN_EINVAL, "target column '%s' has no non-null values",
                             enc->target);
        cairn_error_field(err, enc->target);
    }
    if (rc == 0 && !isfinite(enc->total)) {
        rc = cairn_error_set(err, CAIRN_ERANGE, "the sum of target column '%s' overflows",
                             enc->target);
        cairn_error_field(err, enc->target);
    }
    if (rc == 0) rc = target_derive(enc);
    if (rc == 0 && train_out) rc = target_oof(enc, n, y, labelled, cat_of_row, train_out);
    row_keys_release(&keys);
    cairn_free(cat_of_row);
    cairn_free(y);
    cairn_free(labelled);
    return rc;
}

static int target_transform(const cairn_encoder *enc, const cairn_column *col, cairn_table *t,
                            cairn_error *err)
{
    cairn_column *out;
    cairn_buf scratch;
    cairn_buf_init(&scratch, 0);
    int rc = new_output(enc, "__te", CAIRN_TYPE_FLOAT64, false, col->length, &out);
    for (int64_t i = 0; rc == 0 && i < col->length; i++) {
        double v = enc->prior;
        const char *p;
        size_t len = 0;
        if (cairn_column_is_valid(col, i) && (rc = key_get(col, i, &scratch, &p, &len)) == 0) {
            int64_t c = cat_find(enc->cats, p, len);
            if (c >= 0) v = enc->values[c];
        }
        if (rc == 0) rc = cairn_column_append_float64(out, v);
    }
    cairn_buf_release(&scratch);
    if (rc) {
        cairn_column_free(out);
        return rc;
    }
    return add_output(t, out, err);
}

static int target_put_json(const cairn_encoder *enc, json_t *obj, json_t *state)
{
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)enc->opts.seed);
    int rc = put(obj, "target", json_string(enc->target));
    if (rc == 0) rc = put(obj, "smoothing", json_real(enc->opts.smoothing));
    if (rc == 0) rc = put(obj, "folds", json_integer(enc->opts.folds));
    /* JSON integers are signed 64-bit: a larger seed is written as its decimal text */
    if (rc == 0)
        rc = put(obj, "seed",
                 enc->opts.seed <= (uint64_t)INT64_MAX ? json_integer((json_int_t)enc->opts.seed)
                                                       : json_string(seed));
    if (rc == 0) rc = put(state, "rows", json_integer(enc->labelled));
    if (rc == 0) rc = put(state, "sum", json_real(enc->total));
    if (rc == 0) rc = put(state, "prior", json_real(enc->prior));
    json_t *arr = rc == 0 ? json_array() : NULL;
    if (rc == 0) rc = put(state, "categories", arr);
    for (int64_t c = 0; rc == 0 && c < enc->cats->length; c++) {
        size_t len = 0;
        const char *p = cat_at(enc->cats, c, &len);
        json_t *item = json_object();
        rc = push(arr, item);
        if (rc == 0) rc = put(item, "value", json_stringn(p, len));
        if (rc == 0) rc = put(item, "count", json_integer(enc->counts[c]));
        if (rc == 0) rc = put(item, "sum", json_real(enc->sums[c]));
        if (rc == 0) rc = put(item, "encoded", json_real(enc->values[c]));
    }
    return rc;
}

static int target_seed_from_json(const json_t *obj, uint64_t *out, cairn_error *err)
{
    const json_t *v = json_object_get(obj, "seed");
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        unsigned long long x = strtoull(s, &end, 10);
        if (s[0] >= '0' && s[0] <= '9' && *end == '\0' && x > (unsigned long long)INT64_MAX) {
            *out = (uint64_t)x;
            return 0;
        }
    }
    return json_bad(err, "seed",
                    "expected an integer >= 0 (or the decimal text of one above "
                    "2^63 - 1), found %s",
                    json_type_label(v));
}

static int target_get_json(cairn_encoder *enc, const json_t *obj, const json_t *state,
                           cairn_error *err)
{
    const char *target;
    int64_t folds;
    int rc = read_string(obj, "target", NULL, &target, NULL, err);
    if (rc == 0) rc = read_number(obj, "smoothing", NULL, &enc->opts.smoothing, err);
    if (rc == 0) rc = read_int(obj, "folds", NULL, 2, MAX_FOLDS, &folds, err);
    if (rc == 0) rc = target_seed_from_json(obj, &enc->opts.seed, err);
    if (rc) return rc;
    enc->opts.folds = (int)folds;
    if (!(enc->target = cairn_strdup(target))) return CAIRN_ENOMEM;
    enc->opts.target = enc->target;
    rc = read_int(state, "rows", "state.rows", 1, INT64_MAX, &enc->labelled, err);
    if (rc == 0) rc = read_number(state, "sum", "state.sum", &enc->total, err);
    if (rc == 0)
        rc = cats_from_json(json_object_get(state, "categories"), "categories", true, &enc->cats,
                            err);
    if (rc) return rc;
    size_t ncats = (size_t)enc->cats->length;
    enc->counts = cairn_calloc(ncats ? ncats : 1, sizeof *enc->counts);
    enc->sums = cairn_calloc(ncats ? ncats : 1, sizeof *enc->sums);
    if (!enc->counts || !enc->sums) return CAIRN_ENOMEM;
    const json_t *arr = json_object_get(state, "categories");
    static const char *const item_keys[] = {"value", "count", "sum", "encoded", NULL};
    int64_t counted = 0;
    for (size_t c = 0; rc == 0 && c < ncats; c++) {
        const json_t *item = json_array_get(arr, c);
        char name[160], where[64];
        snprintf(where, sizeof where, "state.categories[%zu].", c);
        rc = check_keys(item, item_keys, NULL, where, err);
        snprintf(name, sizeof name, "state.categories[%zu].count", c);
        if (rc == 0) rc = read_int(item, "count", name, 1, enc->labelled, &enc->counts[c], err);
        snprintf(name, sizeof name, "state.categories[%zu].sum", c);
        if (rc == 0) rc = read_number(item, "sum", name, &enc->sums[c], err);
        counted += enc->counts[c];
        if (rc == 0 && counted > enc->labelled)
            rc = json_bad(err, "state.rows", "the categories count more rows than %lld",
                          (long long)enc->labelled);
    }
    if (rc == 0) rc = target_derive(enc);
    double prior;
    if (rc == 0) rc = read_number(state, "prior", "state.prior", &prior, err);
    if (rc == 0 && prior != enc->prior)
        rc = json_bad(err, "state.prior", "%.17g is not state.sum / state.rows (%.17g)", prior,
                      enc->prior);
    for (size_t c = 0; rc == 0 && c < ncats; c++) {
        char name[160];
        double v = 0;
        snprintf(name, sizeof name, "state.categories[%zu].encoded", c);
        rc = read_number(json_array_get(arr, c), "encoded", name, &v, err);
        if (rc == 0 && v != enc->values[c])
            rc = json_bad(err, name,
                          "%.17g does not follow from count, sum and the prior "
                          "(%.17g)",
                          v, enc->values[c]);
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * HASHING
 * ---------------------------------------------------------------------------------------- */

static const char *const hashing_keys[] = {"buckets", NULL};

static int hashing_check(const cairn_encoder_options *opts, cairn_error *err)
{
    if (opts->buckets < 1)
        return bad_option(err, "buckets", "%lld is not >= 1", (long long)opts->buckets);
    return 0;
}

static int hashing_fit(cairn_encoder *enc, const cairn_table *train, const cairn_column *col,
                       cairn_column **train_out, cairn_error *err)
{
    return 0; /* nothing to learn */
}

static int hashing_transform(const cairn_encoder *enc, const cairn_column *col, cairn_table *t,
                             cairn_error *err)
{
    cairn_column *out;
    cairn_buf scratch;
    cairn_buf_init(&scratch, 0);
    int rc = new_output(enc, "__hash", CAIRN_TYPE_INT64, true, col->length, &out);
    for (int64_t i = 0; rc == 0 && i < col->length; i++) {
        const char *p;
        size_t len = 0;
        if (!cairn_column_is_valid(col, i)) {
            rc = cairn_column_append_null(out);
        } else if ((rc = key_get(col, i, &scratch, &p, &len)) == 0) {
            uint64_t h = XXH3_64bits(p, len);
            rc = cairn_column_append_int64(out, (int64_t)(h % (uint64_t)enc->opts.buckets));
        }
    }
    cairn_buf_release(&scratch);
    if (rc) {
        cairn_column_free(out);
        return rc;
    }
    return add_output(t, out, err);
}

static int hashing_put_json(const cairn_encoder *enc, json_t *obj, json_t *state)
{
    return put(obj, "buckets", json_integer(enc->opts.buckets));
}

static int hashing_get_json(cairn_encoder *enc, const json_t *obj, const json_t *state,
                            cairn_error *err)
{
    return read_int(obj, "buckets", NULL, 1, INT64_MAX, &enc->opts.buckets, err);
}

/* ------------------------------------------------------------------------------------------
 * FREQUENCY
 * ---------------------------------------------------------------------------------------- */

static const char *const frequency_keys[] = {"min_count", NULL};
static const char *const categories_state_keys[] = {"categories", NULL};

static int frequency_check(const cairn_encoder_options *opts, cairn_error *err)
{
    if (opts->min_count < 1)
        return bad_option(err, "min_count", "%lld is not >= 1", (long long)opts->min_count);
    return 0;
}

/* Keeps the categories seen at least min_count times (with their counts). */
static int frequency_fit(cairn_encoder *enc, const cairn_table *train, const cairn_column *col,
                         cairn_column **train_out, cairn_error *err)
{
    row_keys keys;
    cairn_column *all = NULL, *kept = NULL;
    int64_t *counts = NULL;
    int rc = row_keys_build(col, &keys);
    if (rc) return rc;
    rc = build_categories(col, &keys, NULL, &all, &counts, err);
    if (rc == 0) rc = cairn_column_create("categories", CAIRN_TYPE_STRING, false, &kept);
    for (int64_t c = 0; rc == 0 && c < all->length; c++) {
        if (counts[c] < enc->opts.min_count) continue;
        size_t len = 0;
        const char *p = cat_at(all, c, &len);
        counts[kept->length] = counts[c]; /* compacts in place: kept->length <= c */
        rc = cairn_column_append_string(kept, p, len);
    }
    row_keys_release(&keys);
    cairn_column_free(all);
    if (rc) {
        cairn_column_free(kept);
        cairn_free(counts);
        return rc;
    }
    enc->cats = kept;
    enc->counts = counts;
    return 0;
}

static int frequency_transform(const cairn_encoder *enc, const cairn_column *col, cairn_table *t,
                               cairn_error *err)
{
    cairn_column *out;
    cairn_buf scratch;
    cairn_buf_init(&scratch, 0);
    int rc = new_output(enc, "__freq", CAIRN_TYPE_STRING, true, col->length, &out);
    for (int64_t i = 0; rc == 0 && i < col->length; i++) {
        const char *p;
        size_t len = 0;
        if (!cairn_column_is_valid(col, i)) {
            rc = cairn_column_append_null(out);
        } else if ((rc = key_get(col, i, &scratch, &p, &len)) == 0) {
            if (cat_find(enc->cats, p, len) < 0) p = OTHER, len = strlen(OTHER);
            rc = cairn_column_append_string(out, p, len);
        }
    }
    cairn_buf_release(&scratch);
    if (rc) {
        cairn_column_free(out);
        return rc;
    }
    return add_output(t, out, err);
}

static int frequency_put_json(const cairn_encoder *enc, json_t *obj, json_t *state)
{
    int rc = put(obj, "min_count", json_integer(enc->opts.min_count));
    json_t *arr = rc == 0 ? json_array() : NULL;
    if (rc == 0) rc = put(state, "categories", arr);
    for (int64_t c = 0; rc == 0 && c < enc->cats->length; c++) {
        size_t len = 0;
        const char *p = cat_at(enc->cats, c, &len);
        json_t *item = json_object();
        rc = push(arr, item);
        if (rc == 0) rc = put(item, "value", json_stringn(p, len));
        if (rc == 0) rc = put(item, "count", json_integer(enc->counts[c]));
    }
    return rc;
}

static int frequency_get_json(cairn_encoder *enc, const json_t *obj, const json_t *state,
                              cairn_error *err)
{
    int rc = read_int(obj, "min_count", NULL, 1, INT64_MAX, &enc->opts.min_count, err);
    const json_t *arr = json_object_get(state, "categories");
    if (rc == 0) rc = cats_from_json(arr, "categories", true, &enc->cats, err);
    if (rc) return rc;
    size_t ncats = (size_t)enc->cats->length;
    enc->counts = cairn_calloc(ncats ? ncats : 1, sizeof *enc->counts);
    if (!enc->counts) return CAIRN_ENOMEM;
    static const char *const item_keys[] = {"value", "count", NULL};
    for (size_t c = 0; rc == 0 && c < ncats; c++) {
        const json_t *item = json_array_get(arr, c);
        char name[160], where[64];
        snprintf(where, sizeof where, "state.categories[%zu].", c);
        rc = check_keys(item, item_keys, NULL, where, err);
        snprintf(name, sizeof name, "state.categories[%zu].count", c);
        if (rc == 0)
            rc =
                read_int(item, "count", name, enc->opts.min_count, INT64_MAX, &enc->counts[c], err);
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * ONEHOT
 * ---------------------------------------------------------------------------------------- */

static const char *const onehot_keys[] = {"max_categories", NULL};

static int onehot_check(const cairn_encoder_options *opts, cairn_error *err)
{
    if (opts->max_categories < 1)
        return bad_option(err, "max_categories", "%lld is not >= 1",
                          (long long)opts->max_categories);
    return 0;
}

/* A category that cannot name an output column: one holding NUL, or "__other__" itself. */
static bool onehot_bad_category(const char *p, size_t len)
{
    return memchr(p, '\0', len) != NULL || bytes_cmp(p, len, OTHER, strlen(OTHER)) == 0;
}

static int onehot_fit(cairn_encoder *enc, const cairn_table *train, const cairn_column *col,
                      cairn_column **train_out, cairn_error *err)
{
    row_keys keys;
    int rc = row_keys_build(col, &keys);
    if (rc) return rc;
    rc = build_categories(col, &keys, NULL, &enc->cats, &enc->counts, err);
    row_keys_release(&keys);
    if (rc) return rc;
    if (enc->cats->length > enc->opts.max_categories) {
        cairn_error_set(err, CAIRN_ELIMIT,
                        "column '%s' has %lld distinct values, more than max_categories (%lld) "
                        "for a one-hot encoder; use a hashing, frequency or target encoder, or "
                        "raise max_categories",
                        enc->column, (long long)enc->cats->length,
                        (long long)enc->opts.max_categories);
        cairn_error_field(err, enc->column);
        return CAIRN_ELIMIT;
    }
    for (int64_t c = 0; c < enc->cats->length; c++) {
        size_t len = 0;
        const char *p = cat_at(enc->cats, c, &len);
        if (!onehot_bad_category(p, len)) continue;
        cairn_error_set(err, CAIRN_EINVAL,
                        "column '%s' holds the value '%.*s', which cannot "
                        "name a one-hot column (NUL bytes and '" OTHER "' are reserved)",
                        enc->column, (int)(len > 64 ? 64 : len), p);
        cairn_error_field(err, enc->column);
        return CAIRN_EINVAL;
    }
    return 0;
}

static int onehot_transform(const cairn_encoder *enc, const cairn_column *col, cairn_table *t,
                            cairn_error *err)
{
    size_t ncols = (size_t)enc->cats->length + 1;
    cairn_column **outs = cairn_calloc(ncols, sizeof *outs);
    int32_t **bits = cairn_calloc(ncols, sizeof *bits);
    cairn_buf name, scratch;
    cairn_buf_init(&name, 0);
    cairn_buf_init(&scratch, 0);
    int rc = (outs && bits) ? 0 : CAIRN_ENOMEM;
    /* every column first filled with zeros, then one 1 set per row */
    for (size_t c = 0; rc == 0 && c < ncols; c++) {
        size_t len = 0;
        const char *p = c + 1 < ncols ? cat_at(enc->cats, (int64_t)c, &len) : OTHER;
        if (c + 1 == ncols) len = strlen(OTHER);
        cairn_buf_reset(&name);
        rc = cairn_buf_printf(&name, "%s=", enc->column);
        if (rc == 0) rc = cairn_buf_append(&name, p, len);
        if (rc == 0) rc = cairn_column_create(name.data, CAIRN_TYPE_INT32, false, &outs[c]);
        if (rc == 0) rc = cairn_column_reserve(outs[c], col->length, 0);
        for (int64_t i = 0; rc == 0 && i < col->length; i++)
            rc = cairn_column_append_int32(outs[c], 0);
        if (rc == 0) bits[c] = outs[c]->values;
    }
    for (int64_t i = 0; rc == 0 && i < col->length; i++) {
        const char *p;
        size_t len = 0;
        int64_t c = -1;
        if (cairn_column_is_valid(col, i) && (rc = key_get(col, i, &scratch, &p, &len)) == 0)
            c = cat_find(enc->cats, p, len);
        if (rc == 0) bits[c >= 0 ? (size_t)c : ncols - 1][i] = 1;
    }
    for (size_t c = 0; outs && c < ncols; c++) {
        if (rc == 0)
            rc = add_output(t, outs[c], err);
        else
            cairn_column_free(outs[c]);
    }
    cairn_free(outs);
    cairn_free(bits);
    cairn_buf_release(&name);
    cairn_buf_release(&scratch);
    return rc;
}

static int onehot_put_json(const cairn_encoder *enc, json_t *obj, json_t *state)
{
    int rc = put(obj, "max_categories", json_integer(enc->opts.max_categories));
    if (rc == 0) rc = put(state, "categories", cats_to_json(enc->cats));
    return rc;
}

static int onehot_get_json(cairn_encoder *enc, const json_t *obj, const json_t *state,
                           cairn_error *err)
{
    int rc = read_int(obj, "max_categories", NULL, 1, INT64_MAX, &enc->opts.max_categories, err);
    if (rc == 0)
        rc = cats_from_json(json_object_get(state, "categories"), "categories", false, &enc->cats,
                            err);
    if (rc) return rc;
    if (enc->cats->length > enc->opts.max_categories)
        return json_bad(err, "state.categories", "%lld categories, more than max_categories",
                        (long long)enc->cats->length);
    for (int64_t c = 0; c < enc->cats->length; c++) {
        size_t len = 0;
        const char *p = cat_at(enc->cats, c, &len);
        char name[64];
        snprintf(name, sizeof name, "state.categories[%lld]", (long long)c);
        if (onehot_bad_category(p, len))
            return json_bad(err, name, "NUL bytes and '" OTHER "' cannot be categories");
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * ROBUST
 * ---------------------------------------------------------------------------------------- */

static const char *const robust_state_keys[] = {"median", "q1", "q3", "scale", NULL};

static int robust_fit(cairn_encoder *enc, const cairn_table *train, const cairn_column *col,
                      cairn_column **train_out, cairn_error *err)
{
    double *v;
    size_t n;
    int rc = need_numeric(col, "robust", err);
    if (rc == 0) rc = sorted_values(col, &v, &n, err);
    if (rc) return rc;
    enc->median = np_median(v, n);
    enc->q1 = np_quantile(v, n, 0.25);
    enc->q3 = np_quantile(v, n, 0.75);
    enc->scale = enc->q3 - enc->q1 == 0 ? 1.0 : enc->q3 - enc->q1;
    cairn_free(v);
    return 0;
}

static int robust_transform(const cairn_encoder *enc, const cairn_column *col, cairn_table *t,
                            cairn_error *err)
{
    int rc = need_numeric(col, "robust", err);
    cairn_column *out = NULL;
    if (rc == 0) rc = new_output(enc, "__robust", CAIRN_TYPE_FLOAT64, true, col->length, &out);
    for (int64_t i = 0; rc == 0 && i < col->length; i++) {
        double x;
        rc = num_at(col, i, &x) ? cairn_column_append_float64(out, (x - enc->median) / enc->scale)
                                : cairn_column_append_null(out);
    }
    if (rc) {
        cairn_column_free(out);
        return rc;
    }
    return add_output(t, out, err);
}

static int robust_put_json(const cairn_encoder *enc, json_t *obj, json_t *state)
{
    int rc = put(state, "median", json_real(enc->median));
    if (rc == 0) rc = put(state, "q1", json_real(enc->q1));
    if (rc == 0) rc = put(state, "q3", json_real(enc->q3));
    if (rc == 0) rc = put(state, "scale", json_real(enc->scale));
    return rc;
}

static int robust_get_json(cairn_encoder *enc, const json_t *obj, const json_t *state,
                           cairn_error *err)
{
    int rc = read_number(state, "median", "state.median", &enc->median, err);
    if (rc == 0) rc = read_number(state, "q1", "state.q1", &enc->q1, err);
    if (rc == 0) rc = read_number(state, "q3", "state.q3", &enc->q3, err);
    if (rc == 0) rc = read_number(state, "scale", "state.scale", &enc->scale, err);
    if (rc) return rc;
    if (!(enc->q1 <= enc->median && enc->median <= enc->q3))
        return json_bad(err, "state.median", "expected q1 <= median <= q3");
    double want = enc->q3 - enc->q1 == 0 ? 1.0 : enc->q3 - enc->q1;
    if (enc->scale != want)
        return json_bad(err, "state.scale", "%.17g is not q3 - q1 (or 1 when that is 0)",
                        enc->scale);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * IMPUTE
 * ---------------------------------------------------------------------------------------- */

static const char *const impute_state_keys[] = {"type", "fill", NULL};

/* The most frequent value; ties go to the smallest bytes (the first in sorted order). */
static int impute_fit_string(cairn_encoder *enc, const cairn_column *col, cairn_error *err)
{
    row_keys keys;
    cairn_column *cats = NULL;
    int64_t *counts = NULL;
    int rc = row_keys_build(col, &keys);
    if (rc) return rc;
    rc = build_categories(col, &keys, NULL, &cats, &counts, err);
    row_keys_release(&keys);
    if (rc) return rc;
    if (cats->length == 0) {
        rc = cairn_error_set(err, CAIRN_EINVAL, "column '%s' has no non-null values to fit on",
                             col->name);
        cairn_error_field(err, col->name);
    }
    int64_t best = 0;
    for (int64_t c = 1; rc == 0 && c < cats->length; c++)
        if (counts[c] > counts[best]) best = c;
    if (rc == 0) {
        const char *p = cat_at(cats, best, &enc->fill_len);
        enc->fill = cairn_strndup(p, enc->fill_len);
        if (!enc->fill) rc = CAIRN_ENOMEM;
    }
    cairn_column_free(cats);
    cairn_free(counts);
    return rc;
}

static int impute_fit(cairn_encoder *enc, const cairn_table *train, const cairn_column *col,
                      cairn_column **train_out, cairn_error *err)
{
    if (col->type == CAIRN_TYPE_STRING) {
        enc->fill_is_string = true;
        return impute_fit_string(enc, col, err);
    }
    double *v;
    size_t n;
    int rc = need_numeric(col, "impute", err);
    if (rc == 0) rc = sorted_values(col, &v, &n, err);
    if (rc) return rc;
    enc->median = np_median(v, n);
    cairn_free(v);
    return 0;
}

static int impute_transform(const cairn_encoder *enc, const cairn_column *col, cairn_table *t,
                            cairn_error *err)
{
    int rc = 0;
    if (enc->fill_is_string && col->type != CAIRN_TYPE_STRING) {
        rc = cairn_error_set(err, CAIRN_ETYPE,
                             "column '%s' is %s; this impute encoder was "
                             "fitted on a string column",
                             col->name, cairn_type_name(col->type));
        cairn_error_field(err, col->name);
        return rc;
    }
    if (!enc->fill_is_string && (rc = need_numeric(col, "impute", err))) return rc;
    cairn_column *filled = NULL, *missing = NULL;
    rc = new_output(enc, "__imputed", enc->fill_is_string ? CAIRN_TYPE_STRING : CAIRN_TYPE_FLOAT64,
                    false, col->length, &filled);
    if (rc == 0) rc = new_output(enc, "__missing", CAIRN_TYPE_INT32, false, col->length, &missing);
    for (int64_t i = 0; rc == 0 && i < col->length; i++) {
        bool valid = cairn_column_is_valid(col, i);
        double x = enc->median;
        if (enc->fill_is_string) {
            size_t len = enc->fill_len;
            const char *p = valid ? cairn_column_str(col, i, &len) : enc->fill;
            rc = cairn_column_append_string(filled, p, len);
        } else {
            if (valid) num_at(col, i, &x);
            rc = cairn_column_append_float64(filled, x);
        }
        if (rc == 0) rc = cairn_column_append_int32(missing, valid ? 0 : 1);
    }
    if (rc) {
        cairn_column_free(filled);
        cairn_column_free(missing);
        return rc;
    }
    rc = add_output(t, filled, err);
    if (rc == 0) return add_output(t, missing, err);
    cairn_column_free(missing);
    return rc;
}

static int impute_put_json(const cairn_encoder *enc, json_t *obj, json_t *state)
{
    int rc = put(state, "type", json_string(enc->fill_is_string ? "string" : "number"));
    if (rc == 0)
        rc = put(state, "fill",
                 enc->fill_is_string ? json_stringn(enc->fill, enc->fill_len)
                                     : json_real(enc->median));
    return rc;
}

static int impute_get_json(cairn_encoder *enc, const json_t *obj, const json_t *state,
                           cairn_error *err)
{
    const char *type = NULL, *fill = NULL;
    int rc = read_string(state, "type", "state.type", &type, NULL, err);
    if (rc) return rc;
    if (strcmp(type, "number") == 0)
        return read_number(state, "fill", "state.fill", &enc->median, err);
    if (strcmp(type, "string") != 0)
        return json_bad(err, "state.type", "expected \"number\" or \"string\", found \"%s\"", type);
    enc->fill_is_string = true;
    rc = read_string(state, "fill", "state.fill", &fill, &enc->fill_len, err);
    if (rc == 0 && !(enc->fill = cairn_strndup(fill, enc->fill_len))) rc = CAIRN_ENOMEM;
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * The table of kinds
 * ---------------------------------------------------------------------------------------- */

static int no_check(const cairn_encoder_options *opts, cairn_error *err)
{
    return 0;
}

static const kind_ops kinds[] = {
    {CAIRN_ENC_TARGET, "target", target_keys, target_state_keys, target_check, target_fit,
     target_transform, target_put_json, target_get_json},
    {CAIRN_ENC_HASHING, "hashing", hashing_keys, NULL, hashing_check, hashing_fit,
     hashing_transform, hashing_put_json, hashing_get_json},
    {CAIRN_ENC_FREQUENCY, "frequency", frequency_keys, categories_state_keys, frequency_check,
     frequency_fit, frequency_transform, frequency_put_json, frequency_get_json},
    {CAIRN_ENC_ONEHOT, "onehot", onehot_keys, categories_state_keys, onehot_check, onehot_fit,
     onehot_transform, onehot_put_json, onehot_get_json},
    {CAIRN_ENC_ROBUST, "robust", NULL, robust_state_keys, no_check, robust_fit, robust_transform,
     robust_put_json, robust_get_json},
    {CAIRN_ENC_IMPUTE, "impute", NULL, impute_state_keys, no_check, impute_fit, impute_transform,
     impute_put_json, impute_get_json},
};

static const kind_ops *kind_find(cairn_encoder_kind kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].kind == kind) return &kinds[i];
    return NULL;
}

static const kind_ops *kind_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, name) == 0) return &kinds[i];
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 * API
 * ---------------------------------------------------------------------------------------- */

void cairn_encoder_options_init(cairn_encoder_options *opts, cairn_encoder_kind kind,
                                const char *column)
{
    *opts = (cairn_encoder_options){
        .kind = kind,
        .column = column,
        .smoothing = 20,
        .folds = 5,
        .seed = 42,
        .buckets = (int64_t)1 << 20,
        .min_count = 10,
        .max_categories = 64,
    };
}

void cairn_encoder_free(cairn_encoder *enc)
{
    if (!enc) return;
    cairn_free(enc->column);
    cairn_free(enc->target);
    cairn_column_free(enc->cats);
    cairn_free(enc->counts);
    cairn_free(enc->sums);
    cairn_free(enc->values);
    cairn_free(enc->fill);
    cairn_free(enc);
}

/* A new encoder holding a copy of the options (strings copied; target kept for TARGET only). */
static int encoder_new(const cairn_encoder_options *opts, cairn_encoder **out)
{
    cairn_encoder *enc = cairn_calloc(1, sizeof *enc);
    if (!enc) return CAIRN_ENOMEM;
    enc->opts = *opts;
    enc->opts.target = NULL;
    enc->column = cairn_strdup(opts->column ? opts->column : "");
    if (enc->column && opts->kind == CAIRN_ENC_TARGET && opts->target) {
        enc->target = cairn_strdup(opts->target);
        enc->opts.target = enc->target;
        if (!enc->target) {
            cairn_encoder_free(enc);
            return CAIRN_ENOMEM;
        }
    }
    if (!enc->column) {
        cairn_encoder_free(enc);
        return CAIRN_ENOMEM;
    }
    enc->opts.column = enc->column;
    *out = enc;
    return 0;
}

int cairn_encoder_fit(const cairn_encoder_options *opts, const cairn_table *train,
                      cairn_encoder **out, cairn_column **train_out, cairn_error *err)
{
    *out = NULL;
    if (train_out) *train_out = NULL;
    const kind_ops *ops = kind_find(opts->kind);
    if (!ops) return bad_option(err, "kind", "unknown encoder kind %d", (int)opts->kind);
    if (!opts->column || !opts->column[0])
        return bad_option(err, "column", "the encoder needs an input column");
    int rc = ops->check(opts, err);
    if (rc) return rc;
    size_t bad; /* the names go into JSON text */
    if (!cairn__utf8_valid(opts->column, strlen(opts->column), &bad))
        return bad_option(err, "column", "the name is not valid UTF-8 (byte %zu)", bad);
    if (opts->kind == CAIRN_ENC_TARGET &&
        !cairn__utf8_valid(opts->target, strlen(opts->target), &bad))
        return bad_option(err, "target", "the name is not valid UTF-8 (byte %zu)", bad);
    const cairn_column *col = cairn_table_column_by_name(train, opts->column);
    if (!col) {
        cairn_error_set(err, CAIRN_EINVAL, "the training table has no column '%s'", opts->column);
        cairn_error_field(err, opts->column);
        return CAIRN_EINVAL;
    }
    cairn_encoder *enc;
    if ((rc = encoder_new(opts, &enc))) return rc;
    /* only TARGET has a training-row encoding; fit sets *train_out last, so on failure it
       is still NULL */
    rc = ops->fit(enc, train, col, opts->kind == CAIRN_ENC_TARGET ? train_out : NULL, err);
    if (rc) {
        cairn_encoder_free(enc);
        return rc;
    }
    *out = enc;
    return 0;
}

int cairn_encoder_transform(const cairn_encoder *enc, const cairn_table *table, cairn_table **out,
                            cairn_error *err)
{
    *out = NULL;
    const cairn_column *col = cairn_table_column_by_name(table, enc->column);
    if (!col) {
        cairn_error_set(err, CAIRN_EINVAL, "the table has no column '%s' (the %s encoder's input)",
                        enc->column, kind_find(enc->opts.kind)->name);
        cairn_error_field(err, enc->column);
        return CAIRN_EINVAL;
    }
    cairn_table *t;
    int rc = cairn_table_copy(table, &t);
    if (rc) return rc;
    rc = kind_find(enc->opts.kind)->transform(enc, col, t, err);
    if (rc) {
        cairn_table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int cairn_encoder_to_json(const cairn_encoder *enc, json_t **out)
{
    *out = NULL;
    const kind_ops *ops = kind_find(enc->opts.kind);
    json_t *obj = json_object(), *state = json_object();
    int rc = (obj && state) ? 0 : CAIRN_ENOMEM;
    if (rc == 0) rc = put(obj, "kind", json_string(ops->name));
    if (rc == 0) rc = put(obj, "version", json_integer(ENCODER_VERSION));
    if (rc == 0) rc = put(obj, "column", json_string(enc->column));
    if (rc == 0) rc = ops->put_json(enc, obj, state);
    if (rc == 0) rc = put(obj, "state", json_incref(state));
    json_decref(state);
    if (rc) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return 0;
}

int cairn_encoder_from_json(const json_t *json, cairn_encoder **out, cairn_error *err)
{
    *out = NULL;
    static const char *const common[] = {"kind", "version", "column", "state", NULL};
    if (!json_is_object(json))
        return cairn_error_set(err, CAIRN_EPARSE, "encoder JSON: expected an object, found %s",
                               json_type_label(json));
    const char *kind, *column;
    int64_t version;
    int rc = read_string(json, "kind", NULL, &kind, NULL, err);
    if (rc) return rc;
    const kind_ops *ops = kind_by_name(kind);
    if (!ops)
        return json_bad(err, "kind",
                        "unknown encoder kind \"%s\" (expected target, hashing, "
                        "frequency, onehot, robust or impute)",
                        kind);
    if ((rc = read_int(json, "version", NULL, INT64_MIN, INT64_MAX, &version, err))) return rc;
    if (version != ENCODER_VERSION)
        return json_bad(err, "version", "version %lld is not supported (this build reads %d)",
                        (long long)version, ENCODER_VERSION);
    if ((rc = read_string(json, "column", NULL, &column, NULL, err))) return rc;
    if (!column[0]) return json_bad(err, "column", "the column name is empty");
    const json_t *state = json_object_get(json, "state");
    if (!json_is_object(state))
        return json_bad(err, "state", "expected an object, found %s", json_type_label(state));
    if ((rc = check_keys(json, common, ops->option_keys, "", err))) return rc;
    if ((rc = check_keys(state, ops->state_keys, NULL, "state.", err))) return rc;

    cairn_encoder_options opts;
    cairn_encoder_options_init(&opts, ops->kind, column);
    cairn_encoder *enc;
    if ((rc = encoder_new(&opts, &enc))) return rc;
    rc = ops->get_json(enc, json, state, err);
    if (rc == 0) rc = ops->check(&enc->opts, err);
    if (rc == CAIRN_EINVAL) { /* an option out of range: the text is at fault */
        rc = CAIRN_EPARSE;
        if (err) err->code = rc;
    }
    if (rc) {
        cairn_encoder_free(enc);
        return rc;
    }
    *out = enc;
    return 0;
}
