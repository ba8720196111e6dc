/* src/ingest/checks.c: dataset-level checks (the `checks:` list of a schema) and the quality
 * report: parsing and validating each check, evaluating it on a table, and rendering the
 * report as JSON (shaped like Great Expectations' validation result) and as text.
 *
 * A check is parsed from its JSON form (the schema keeps the checks as a JSON array, which is
 * also what the registry stores) into a `check`. The kinds plug in through the `kinds` table:
 * a name, the keys it takes, a parse function and an evaluate function. The same parser runs
 * twice: when a schema loads (cairn__checks_validate, which maps a problem back to the YAML
 * node of the offending key so the error names file, line and column) and when the checks
 * are evaluated (where a problem can only come from a hand-made canonical schema).
 *
 * Metrics: completeness = non-null rows / rows (Deequ); uniqueness = rows whose key occurs
 * exactly once / rows with at least one non-null key column (Deequ's Uniqueness; nulls in a
 * multi-column key compare equal); mean over the non-null, non-NaN values; quantile exact
 * with linear interpolation between the closest ranks (NumPy's default: h = (n - 1) q);
 * freshness = now - the newest event time (a date counts as its midnight). Completeness and
 * uniqueness of zero rows pass; mean, quantile and freshness of no values fail.
 *
 * Invariants: a report lists one result per check in the order written; examples are only
 * attached to failed checks (at most MAX_EXAMPLES rows, each a JSON object of every column
 * plus "_row", the 0-based row); a failed warning-level check counts in `warnings`, not in
 * `failed`.
 *
 * Tests: tests/unit/ingest/test_checks.c, tests/oracles/test_checks_duckdb.sh.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/yaml.h"
#include "ingest/ingest_internal.h"

#define MAX_EXAMPLES 5
#define MAX_KEY_COLUMNS 16

typedef enum check_kind {
    CK_COMPLETENESS = 0,
    CK_UNIQUENESS,
    CK_ROW_COUNT,
    CK_MEAN,
    CK_QUANTILE,
    CK_FRESHNESS,
} check_kind;

typedef struct check {
    check_kind kind;
    const char *columns[MAX_KEY_COLUMNS]; /* borrowed from the JSON */
    size_t ncolumns;
    double at_least;
    bool has_min, has_max, has_change;
    int64_t min, max;
    double max_change;
    double lo, hi, q;
    int64_t max_lag_us;
    char max_lag[32];
    bool warning;
    const char *name; /* NULL = the label */
    char label[160];
    char expected[128];
} check;

/* What is wrong with a check, and where: key (NULL = the check as a whole), then subkey
 * (row_count's min/max/max_change) or index (between's items). */
typedef struct problem {
    int code;
    const char *key;
    const char *subkey;
    int index;
    bool at_key; /* located at the key itself, which the message names (no "key 'x': ") */
    char message[320];
} problem;

typedef struct eval_ctx {
    const cairn_table *table;
    int64_t rows;
    int64_t now_us;
    int64_t previous_rows;
    const cairn_column *cols[MAX_KEY_COLUMNS];
} eval_ctx;

typedef struct kind_desc {
    const char *name;
    const char *const *keys; /* its argument keys, besides the kind key, severity and name */
    int (*parse)(const json_t *obj, const cairn_dataset_schema *schema, check *c, problem *pb);
    int (*eval)(const check *c, eval_ctx *ec, cairn_check_result *res);
} kind_desc;

/* ------------------------------------------------------------------------------------------
 * Small helpers: problems, number text
 * ---------------------------------------------------------------------------------------- */

static int fail_at(problem *pb, int code, const char *key, const char *subkey, int index,
                   const char *fmt, ...) CAIRN_PRINTF(6, 7);
static int fail_at(problem *pb, int code, const char *key, const char *subkey, int index,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pb->message, sizeof pb->message, fmt, ap);
    va_end(ap);
    pb->code = code;
    pb->key = key;
    pb->subkey = subkey;
    pb->index = index;
    return code;
}

/* "'text'" for a scalar JSON value, "a list" or "a mapping" otherwise. */
static const char *found(const json_t *v, char *buf, size_t cap)
{
    if (!v) return "nothing";
    if (json_is_array(v)) return "a list";
    if (json_is_object(v)) return "a mapping";
    if (json_is_string(v))
        snprintf(buf, cap, "'%.60s'", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, cap, "'%lld'", (long long)json_integer_value(v));
    else if (json_is_real(v)) {
        char num[32];
        cairn_format_double(json_real_value(v), num, sizeof num);
        snprintf(buf, cap, "'%s'", num);
    } else
        snprintf(buf, cap, "'%s'", json_is_null(v) ? "null" : json_is_true(v) ? "true" : "false");
    return buf;
}

static int expect(problem *pb, const char *key, const char *subkey, int index, const json_t *v,
                  const char *expected)
{
    char buf[80];
    return fail_at(pb, CAIRN_ETYPE, key, subkey, index, "expected %s, found %s", expected,
                   found(v, buf, sizeof buf));
}

/* Shortest round-trip text, without cairn_format_double's ".0" on integers: "5", "0.95". */
static void num_text(double v, char *out, size_t cap)
{
    size_t n = cairn_format_double(v, out, cap);
    if (n >= 2 && n < cap && !strcmp(out + n - 2, ".0")) out[n - 2] = '\0';
}

/* 3000000 -> "3,000,000". */
static void group_digits(int64_t v, char *out, size_t cap)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v)), k = 0;
    size_t o = 0;
    if (v < 0 && o + 1 < cap) out[o++] = '-';
    for (int i = 0; i < n && o + 2 < cap; i++) {
        out[o++] = digits[i];
        k = n - i - 1;
        if (k > 0 && k % 3 == 0) out[o++] = ',';
    }
    out[o] = '\0';
}

/* Observed values for people: 4 decimals for fractions, fewer digits for big numbers. */
static void observed_text(double v, bool fraction, char *out, size_t cap)
{
    if (!isfinite(v))
        snprintf(out, cap, "%s", isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf");
    else if (fraction)
        snprintf(out, cap, "%.4f", v);
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(out, cap, "%.0f", v);
    else if (fabs(v) >= 1)
        snprintf(out, cap, "%.2f", v);
    else
        snprintf(out, cap, "%.4g", v);
}

/* ------------------------------------------------------------------------------------------
 * Parsing: arguments shared by several kinds
 * ---------------------------------------------------------------------------------------- */

static bool is_numeric_field(cairn_type t)
{
    return cairn_type_is_numeric(t);
}
static bool is_time_field(cairn_type t)
{
    return t == CAIRN_TYPE_TIMESTAMP || t == CAIRN_TYPE_DATE32;
}

/* One column name at obj[key] (a string naming a field of schema, of a type `ok` accepts). */
static int parse_column(const json_t *obj, const char *key, const cairn_dataset_schema *schema,
                        bool (*ok)(cairn_type), const char *want, int index, const json_t *v,
                        check *c, problem *pb)
{
    if (!json_is_string(v) || !json_string_length(v))
        return expect(pb, key, NULL, index, v, "a column name");
    const char *name = json_string_value(v);
    const cairn_dataset_field *f = schema ? cairn_dataset_schema_find(schema, name) : NULL;
    if (schema && !f)
        return fail_at(pb, CAIRN_EPARSE, key, NULL, index, "'%s' is not a field of the schema",
                       name);
    if (f && ok && !ok(f->type))
        return fail_at(pb, CAIRN_ETYPE, key, NULL, index, "'%s' is %s; expected %s", name,
                       cairn_type_name(f->type), want);
    (void)obj;
    c->columns[c->ncolumns++] = name;
    return 0;
}

static int parse_fraction(const json_t *obj, const char *key, const char *hint, double *out,
                          problem *pb)
{
    const json_t *v = json_object_get(obj, key);
    if (!v) return fail_at(pb, CAIRN_EPARSE, NULL, NULL, -1, "missing key '%s' (%s)", key, hint);
    double d = json_is_number(v) ? json_number_value(v) : -1;
    if (!json_is_number(v) || !(d >= 0 && d <= 1))
        return expect(pb, key, NULL, -1, v, "a number between 0 and 1");
    *out = d;
    return 0;
}

static int parse_between(const json_t *obj, check *c, problem *pb)
{
    const json_t *v = json_object_get(obj, "between");
    if (!v)
        return fail_at(pb, CAIRN_EPARSE, NULL, NULL, -1,
                       "missing key 'between' (the bounds, e.g. [0, 30])");
    if (!json_is_array(v) || json_array_size(v) != 2)
        return expect(pb, "between", NULL, -1, v, "a list [LO, HI]");
    for (int i = 0; i < 2; i++) {
        const json_t *x = json_array_get(v, (size_t)i);
        if (!json_is_number(x) || !isfinite(json_number_value(x)))
            return expect(pb, "between", NULL, i, x, "a number");
    }
    c->lo = json_number_value(json_array_get(v, 0));
    c->hi = json_number_value(json_array_get(v, 1));
    if (c->lo > c->hi) {
        char lo[32], hi[32];
        num_text(c->lo, lo, sizeof lo);
        num_text(c->hi, hi, sizeof hi);
        return fail_at(pb, CAIRN_EPARSE, "between", NULL, -1,
                       "the lower bound %s is greater than the upper bound %s", lo, hi);
    }
    return 0;
}

static void range_text(double lo, double hi, char *out, size_t cap)
{
    char a[32], b[32];
    num_text(lo, a, sizeof a);
    num_text(hi, b, sizeof b);
    snprintf(out, cap, "in [%s, %s]", a, b);
}

/* ------------------------------------------------------------------------------------------
 * Parsing: one function per kind
 * ---------------------------------------------------------------------------------------- */

static int parse_completeness(const json_t *obj, const cairn_dataset_schema *schema, check *c,
                              problem *pb)
{
    int rc = parse_column(obj, "completeness", schema, NULL, NULL, -1,
                          json_object_get(obj, "completeness"), c, pb);
    if (!rc)
        rc = parse_fraction(obj, "at_least", "the fraction of non-null rows required, e.g. 0.99",
                            &c->at_least, pb);
    if (rc) return rc;
    char a[32];
    num_text(c->at_least, a, sizeof a);
    snprintf(c->expected, sizeof c->expected, ">= %s", a);
    snprintf(c->label, sizeof c->label, "completeness(%s) >= %s", c->columns[0], a);
    return 0;
}

static int parse_uniqueness(const json_t *obj, const cairn_dataset_schema *schema, check *c,
                            problem *pb)
{
    const json_t *v = json_object_get(obj, "uniqueness");
    int rc = 0;
    if (json_is_array(v)) {
        if (!json_array_size(v) || json_array_size(v) > MAX_KEY_COLUMNS)
            return expect(pb, "uniqueness", NULL, -1, v,
                          "a column name or a list of 1 to 16 column names");
        for (size_t i = 0; i < json_array_size(v) && !rc; i++)
            rc = parse_column(obj, "uniqueness", schema, NULL, NULL, (int)i, json_array_get(v, i),
                              c, pb);
    } else {
        rc = parse_column(obj, "uniqueness", schema, NULL, NULL, -1, v, c, pb);
    }
    if (!rc)
        rc = parse_fraction(obj, "at_least",
                            "the fraction of rows with a unique key required, e.g. 1.0",
                            &c->at_least, pb);
    if (rc) return rc;
    char a[32], cols[128] = "";
    size_t n = 0;
    for (size_t i = 0; i < c->ncolumns && n < sizeof cols; i++)
        n += (size_t)snprintf(cols + n, sizeof cols - n, "%s%s", i ? ", " : "", c->columns[i]);
    num_text(c->at_least, a, sizeof a);
    snprintf(c->expected, sizeof c->expected, ">= %s", a);
    snprintf(c->label, sizeof c->label, "uniqueness(%s) >= %s", cols, a);
    return 0;
}

static int parse_row_count(const json_t *obj, const cairn_dataset_schema *schema, check *c,
                           problem *pb)
{
    static const char *const keys[] = {"min", "max", "max_change"};
    const json_t *v = json_object_get(obj, "row_count");
    if (!json_is_object(v))
        return expect(pb, "row_count", NULL, -1, v, "a mapping {min, max, max_change}");
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x)
    {
        bool known = false;
        for (size_t i = 0; i < 3; i++)
            known |= !strcmp(k, keys[i]);
        if (!known) {
            fail_at(pb, CAIRN_EPARSE, "row_count", k, -1,
                    "unknown key '%s' in row_count (known: min, max, max_change)", k);
            pb->at_key = true;
            return CAIRN_EPARSE;
        }
    }
    for (size_t i = 0; i < 2; i++) {
        if (!(x = json_object_get(v, keys[i]))) continue;
        if (!json_is_integer(x) || json_integer_value(x) < 0)
            return expect(pb, "row_count", keys[i], -1, x, "a non-negative integer");
        *(i ? &c->max : &c->min) = json_integer_value(x);
        *(i ? &c->has_max : &c->has_min) = true;
    }
    if ((x = json_object_get(v, "max_change"))) {
        if (!json_is_number(x) || !(json_number_value(x) >= 0) || !isfinite(json_number_value(x)))
            return expect(pb, "row_count", "max_change", -1, x,
                          "a non-negative number (0.5 = 50%)");
        c->max_change = json_number_value(x);
        c->has_change = true;
    }
    if (!c->has_min && !c->has_max && !c->has_change)
        return fail_at(pb, CAIRN_EPARSE, "row_count", NULL, -1,
                       "expected at least one of min, max, max_change");
    if (c->has_min && c->has_max && c->min > c->max)
        return fail_at(pb, CAIRN_EPARSE, "row_count", "max", -1, "max %lld is less than min %lld",
                       (long long)c->max, (long long)c->min);
    char part[64];
    size_t n = 0;
    if (c->has_min && c->has_max)
        range_text((double)c->min, (double)c->max, part, sizeof part);
    else if (c->has_min || c->has_max)
        snprintf(part, sizeof part, "%s %lld",
                 c->has_min ? ">=" : "<=", (long long)(c->has_min ? c->min : c->max));
    else
        part[0] = '\0';
    n = (size_t)snprintf(c->expected, sizeof c->expected, "%s", part);
    if (c->has_change) {
        char d[32];
        num_text(c->max_change, d, sizeof d);
        snprintf(c->expected + n, sizeof c->expected - n, "%schange <= %s", n ? ", " : "", d);
    }
    snprintf(c->label, sizeof c->label, "row_count %s", c->expected);
    (void)schema;
    return 0;
}

static int parse_mean(const json_t *obj, const cairn_dataset_schema *schema, check *c, problem *pb)
{
    int rc = parse_column(obj, "mean", schema, is_numeric_field, "a numeric field", -1,
                          json_object_get(obj, "mean"), c, pb);
    if (!rc) rc = parse_between(obj, c, pb);
    if (rc) return rc;
    range_text(c->lo, c->hi, c->expected, sizeof c->expected);
    snprintf(c->label, sizeof c->label, "mean(%s) %s", c->columns[0], c->expected);
    return 0;
}

static int parse_quantile(const json_t *obj, const cairn_dataset_schema *schema, check *c,
                          problem *pb)
{
    int rc = parse_column(obj, "quantile", schema, is_numeric_field, "a numeric field", -1,
                          json_object_get(obj, "quantile"), c, pb);
    if (!rc) rc = parse_fraction(obj, "q", "the quantile, e.g. 0.95", &c->q, pb);
    if (!rc) rc = parse_between(obj, c, pb);
    if (rc) return rc;
    char q[32];
    num_text(c->q, q, sizeof q);
    range_text(c->lo, c->hi, c->expected, sizeof c->expected);
    snprintf(c->label, sizeof c->label, "quantile(%s, %s) %s", c->columns[0], q, c->expected);
    return 0;
}

static int parse_freshness(const json_t *obj, const cairn_dataset_schema *schema, check *c,
                           problem *pb)
{
    int rc = parse_column(obj, "freshness", schema, is_time_field, "a timestamp or date field", -1,
                          json_object_get(obj, "freshness"), c, pb);
    if (rc) return rc;
    const json_t *v = json_object_get(obj, "max_lag");
    if (!v)
        return fail_at(pb, CAIRN_EPARSE, NULL, NULL, -1,
                       "missing key 'max_lag' (a duration, e.g. 2d)");
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (!s || strlen(s) >= sizeof c->max_lag ||
        cairn_duration_parse(s, strlen(s), &c->max_lag_us, NULL))
        return expect(pb, "max_lag", NULL, -1, v, "a duration such as 2d, 12h or 90m");
    snprintf(c->max_lag, sizeof c->max_lag, "%s", s);
    snprintf(c->expected, sizeof c->expected, "<= %s", s);
    snprintf(c->label, sizeof c->label, "freshness(%s) <= %s", c->columns[0], s);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Evaluation helpers: examples
 * ---------------------------------------------------------------------------------------- */

static json_t *text_json(const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    if (j) return j;
    /* not UTF-8: keep ASCII, show other bytes as '?' */
    char *copy = cairn_strndup(s, len);
    if (!copy) return NULL;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)copy[i] >= 0x80 || !copy[i]) copy[i] = '?';
    j = json_stringn(copy, len);
    cairn_free(copy);
    return j;
}

static json_t *cell_json(const cairn_column *c, int64_t r)
{
    char tmp[CAIRN_TIME_FMT_LEN];
    cairn_value v;
    cairn_column_get(c, r, &v);
    if (v.is_null) return json_null();
    switch (v.type) {
    case CAIRN_TYPE_BOOL:
        return json_boolean(v.v.b);
    case CAIRN_TYPE_INT32:
        return json_integer(v.v.i32);
    case CAIRN_TYPE_INT64:
        return json_integer(v.v.i64);
    case CAIRN_TYPE_FLOAT32:
        return isfinite(v.v.f32) ? json_real(v.v.f32) : json_null();
    case CAIRN_TYPE_FLOAT64:
        return isfinite(v.v.f64) ? json_real(v.v.f64) : json_null();
    case CAIRN_TYPE_TIMESTAMP:
        cairn_time_format(v.v.i64, tmp, sizeof tmp);
        return json_string(tmp);
    case CAIRN_TYPE_DATE32:
        cairn_date_format(v.v.i32, tmp, sizeof tmp);
        return json_string(tmp);
    case CAIRN_TYPE_STRING:
        return text_json(v.v.str.ptr, v.v.str.len);
    }
    return json_null();
}

/* res->examples_json = the rows as a JSON array of objects ("_row" then every column). */
static int set_examples(const eval_ctx *ec, const int64_t *rows, size_t n, cairn_check_result *res)
{
    if (!n) return 0;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *obj = json_object();
        if (!obj || json_array_append_new(arr, obj) ||
            json_object_set_new(obj, "_row", json_integer(rows[i]))) {
            json_decref(arr);
            return CAIRN_ENOMEM;
        }
        for (size_t k = 0; k < cairn_table_num_columns(ec->table); k++) {
            const cairn_column *c = cairn_table_column(ec->table, k);
            if (json_object_set_new(obj, c->name, cell_json(c, rows[i]))) {
                json_decref(arr);
                return CAIRN_ENOMEM;
            }
        }
    }
    if (!arr) return CAIRN_ENOMEM;
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    int rc = cairn_json_dump(arr, 0, &buf);
    json_decref(arr);
    if (!rc && !(res->examples_json = cairn_buf_detach(&buf, NULL))) rc = CAIRN_ENOMEM;
    cairn_buf_release(&buf);
    return rc;
}

/* Keeps the MAX_EXAMPLES most extreme (value, row) pairs, largest first when `high`. */
typedef struct extremes {
    double value[MAX_EXAMPLES];
    int64_t row[MAX_EXAMPLES];
    size_t n;
    bool high;
} extremes;

static void extremes_add(extremes *x, double v, int64_t row)
{
    size_t i = x->n;
    if (i == MAX_EXAMPLES) {
        double last = x->value[i - 1];
        if (x->high ? v <= last : v >= last) return;
        i--;
    } else {
        x->n++;
    }
    while (i > 0 && (x->high ? v > x->value[i - 1] : v < x->value[i - 1])) {
        x->value[i] = x->value[i - 1];
        x->row[i] = x->row[i - 1];
        i--;
    }
    x->value[i] = v;
    x->row[i] = row;
}

static bool number_at(const cairn_column *c, int64_t r, double *out)
{
    if (!cairn_column_is_valid(c, r)) return false;
    switch (c->type) {
    case CAIRN_TYPE_INT32:
        *out = cairn_column_i32(c, r);
        return true;
    case CAIRN_TYPE_INT64:
        *out = (double)cairn_column_i64(c, r);
        return true;
    case CAIRN_TYPE_FLOAT32:
        *out = ((const float *)c->values)[r];
        return !isnan(*out);
    case CAIRN_TYPE_FLOAT64:
        *out = cairn_column_f64(c, r);
        return !isnan(*out);
    default:
        return false;
    }
}

/* The rows with the highest (or lowest) values of column c as examples. */
static int extreme_examples(const eval_ctx *ec, const cairn_column *c, bool high,
                            cairn_check_result *res)
{
    extremes x = {.high = high};
    double v;
    for (int64_t r = 0; r < ec->rows; r++)
        if (number_at(c, r, &v)) extremes_add(&x, v, r);
    return set_examples(ec, x.row, x.n, res);
}

static void set_observed(cairn_check_result *res, double v, bool fraction)
{
    res->has_observed = true;
    res->observed = v;
    observed_text(v, fraction, res->observed_text, sizeof res->observed_text);
}

/* ------------------------------------------------------------------------------------------
 * Evaluation: one function per kind
 * ---------------------------------------------------------------------------------------- */

static int eval_completeness(const check *c, eval_ctx *ec, cairn_check_result *res)
{
    const cairn_column *col = ec->cols[0];
    int64_t nulls = 0, rows[MAX_EXAMPLES];
    size_t nex = 0;
    for (int64_t r = 0; r < ec->rows && col->validity; r++)
        if (!cairn_column_is_valid(col, r) && nulls++ < MAX_EXAMPLES) rows[nex++] = r;
    char a[32], b[32];
    group_digits(nulls, a, sizeof a);
    group_digits(ec->rows, b, sizeof b);
    if (ec->rows == 0) {
        res->passed = true;
        snprintf(res->detail, sizeof res->detail, "no rows to check");
        return 0;
    }
    set_observed(res, (double)(ec->rows - nulls) / (double)ec->rows, true);
    res->passed = res->observed >= c->at_least;
    if (nulls)
        snprintf(res->detail, sizeof res->detail, "%s of %s rows are null", a, b);
    else
        snprintf(res->detail, sizeof res->detail, "no nulls in %s rows", b);
    return res->passed ? 0 : set_examples(ec, rows, nex, res);
}

/* Uniqueness: one hash per row over the key columns (computed on the pool), then groups in
 * an open-addressing table whose slots keep the upper hash bits next to the group index, so
 * that rows are only compared when their hashes agree. */
static uint64_t float_bits(double d)
{
    uint64_t x;
    if (d == 0) d = 0; /* -0.0 equals 0.0 */
    if (isnan(d)) d = NAN;
    memcpy(&x, &d, sizeof x);
    return x;
}

static uint64_t cell_hash(const cairn_column *c, int64_t r)
{
    uint64_t x;
    if (!cairn_column_is_valid(c, r)) return 0x5bd1e995;
    switch (c->type) {
    case CAIRN_TYPE_STRING: {
        size_t len;
        const char *s = cairn_column_str(c, r, &len);
        return cairn_hash64(s, len, 1);
    }
    case CAIRN_TYPE_BOOL:
        x = cairn_bit_get(c->values, r);
        break;
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32:
        x = (uint64_t)(int64_t)cairn_column_i32(c, r);
        break;
    case CAIRN_TYPE_FLOAT32:
        x = float_bits(((const float *)c->values)[r]);
        break;
    case CAIRN_TYPE_FLOAT64:
        x = float_bits(cairn_column_f64(c, r));
        break;
    default:
        x = (uint64_t)cairn_column_i64(c, r);
        break;
    }
    return cairn_hash_u64(x + 2);
}

static uint64_t key_hash(const eval_ctx *ec, size_t ncols, int64_t r)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (size_t k = 0; k < ncols; k++)
        h = cairn_hash_u64(h ^ cell_hash(ec->cols[k], r)) + k;
    return h;
}

static bool key_equal(const eval_ctx *ec, size_t ncols, int64_t a, int64_t b)
{
    for (size_t k = 0; k < ncols; k++) {
        const cairn_column *c = ec->cols[k];
        bool va = cairn_column_is_valid(c, a), vb = cairn_column_is_valid(c, b);
        if (va != vb) return false;
        if (!va) continue;
        cairn_value x, y;
        cairn_column_get(c, a, &x);
        cairn_column_get(c, b, &y);
        switch (c->type) {
        case CAIRN_TYPE_STRING:
            if (x.v.str.len != y.v.str.len || memcmp(x.v.str.ptr, y.v.str.ptr, x.v.str.len))
                return false;
            break;
        case CAIRN_TYPE_BOOL:
            if (x.v.b != y.v.b) return false;
            break;
        case CAIRN_TYPE_INT32:
        case CAIRN_TYPE_DATE32:
            if (x.v.i32 != y.v.i32) return false;
            break;
        case CAIRN_TYPE_INT64:
        case CAIRN_TYPE_TIMESTAMP:
            if (x.v.i64 != y.v.i64) return false;
            break;
        case CAIRN_TYPE_FLOAT32:
            if (!(x.v.f32 == y.v.f32 || (isnan(x.v.f32) && isnan(y.v.f32)))) return false;
            break;
        case CAIRN_TYPE_FLOAT64:
            if (!(x.v.f64 == y.v.f64 || (isnan(x.v.f64) && isnan(y.v.f64)))) return false;
            break;
        }
    }
    return true;
}

static bool any_valid(const eval_ctx *ec, size_t ncols, int64_t r)
{
    for (size_t k = 0; k < ncols; k++)
        if (cairn_column_is_valid(ec->cols[k], r)) return true;
    return false;
}

typedef struct groups {
    uint64_t *slots;  /* upper 32 hash bits << 32 | group index + 1; 0 = empty */
    int64_t *first;   /* per group: its first row */
    int64_t *count;   /* per group: rows */
    uint32_t *of_row; /* per row: group index + 1, 0 = not counted (all-null key) */
    uint64_t *hashes; /* per row */
    size_t cap, n;
} groups;

#define HASH_CHUNK ((int64_t)1 << 16)

typedef struct hash_job {
    const eval_ctx *ec;
    size_t ncols;
    groups *g;
} hash_job;

static void hash_task(void *arg, size_t index)
{
    hash_job *hj = arg;
    int64_t begin = (int64_t)index * HASH_CHUNK, end = begin + HASH_CHUNK;
    if (end > hj->ec->rows) end = hj->ec->rows;
    for (int64_t r = begin; r < end; r++) {
        bool counted = any_valid(hj->ec, hj->ncols, r);
        hj->g->hashes[r] = counted ? key_hash(hj->ec, hj->ncols, r) : 0;
        hj->g->of_row[r] = counted; /* 1 = to be grouped */
    }
}

static void groups_release(groups *g)
{
    cairn_free(g->slots);
    cairn_free(g->first);
    cairn_free(g->count);
    cairn_free(g->of_row);
    cairn_free(g->hashes);
}

static int groups_build(const eval_ctx *ec, size_t ncols, groups *g)
{
    size_t rows = (size_t)ec->rows, cap = 16;
    if (ec->rows >= (int64_t)UINT32_MAX) return CAIRN_ELIMIT;
    while (cap < rows * 2 + 1)
        cap *= 2;
    g->cap = cap;
    g->slots = cairn_calloc(cap, sizeof *g->slots);
    g->first = cairn_calloc(rows + 1, sizeof *g->first);
    g->count = cairn_calloc(rows + 1, sizeof *g->count);
    g->of_row = cairn_calloc(rows + 1, sizeof *g->of_row);
    g->hashes = cairn_calloc(rows + 1, sizeof *g->hashes);
    if (!g->slots || !g->first || !g->count || !g->of_row || !g->hashes) return CAIRN_ENOMEM;
    hash_job hj = {ec, ncols, g};
    size_t tasks = (size_t)((ec->rows + HASH_CHUNK - 1) / HASH_CHUNK);
    cairn_pool *pool = tasks > 1 ? cairn_pool_default() : NULL;
    if (pool)
        cairn_pool_run(pool, tasks, hash_task, &hj);
    else
        for (size_t i = 0; i < tasks; i++)
            hash_task(&hj, i);
    for (int64_t r = 0; r < ec->rows; r++) {
        if (!g->of_row[r]) continue;
        uint64_t h = g->hashes[r], tag = h & 0xffffffff00000000ULL;
        size_t i = (size_t)h & (cap - 1);
        for (; g->slots[i]; i = (i + 1) & (cap - 1)) {
            uint64_t s = g->slots[i];
            if ((s & 0xffffffff00000000ULL) == tag &&
                key_equal(ec, ncols, g->first[(s & 0xffffffffu) - 1], r))
                break;
        }
        if (!g->slots[i]) {
            g->first[g->n] = r;
            g->slots[i] = tag | (uint64_t)++g->n;
        }
        uint32_t group = (uint32_t)(g->slots[i] & 0xffffffffu);
        g->count[group - 1]++;
        g->of_row[r] = group;
    }
    return 0;
}

static int eval_uniqueness(const check *c, eval_ctx *ec, cairn_check_result *res)
{
    groups g = {0};
    int rc = groups_build(ec, c->ncolumns, &g);
    int64_t considered = 0, unique = 0, rows[MAX_EXAMPLES];
    size_t nex = 0;
    for (int64_t r = 0; r < ec->rows && !rc; r++) {
        if (!g.of_row[r]) continue;
        considered++;
        if (g.count[g.of_row[r] - 1] == 1)
            unique++;
        else if (nex < MAX_EXAMPLES)
            rows[nex++] = r;
    }
    groups_release(&g);
    if (rc) return rc;
    char a[32], b[32];
    group_digits(unique, a, sizeof a);
    group_digits(considered, b, sizeof b);
    if (considered == 0) {
        res->passed = true;
        snprintf(res->detail, sizeof res->detail, "no rows with a non-null key");
        return 0;
    }
    set_observed(res, (double)unique / (double)considered, true);
    res->passed = res->observed >= c->at_least;
    snprintf(res->detail, sizeof res->detail, "%s of %s rows have a key that occurs once", a, b);
    return res->passed ? 0 : set_examples(ec, rows, nex, res);
}

static int eval_row_count(const check *c, eval_ctx *ec, cairn_check_result *res)
{
    char rows[32], prev[32];
    group_digits(ec->rows, rows, sizeof rows);
    bool ok = (!c->has_min || ec->rows >= c->min) && (!c->has_max || ec->rows <= c->max);
    int n = snprintf(res->detail, sizeof res->detail, "%s rows", rows);
    if (c->has_min || c->has_max) {
        res->has_observed = true;
        res->observed = (double)ec->rows;
        snprintf(res->observed_text, sizeof res->observed_text, "%s", rows);
    }
    if (c->has_change && ec->previous_rows > 0) {
        double change = fabs((double)(ec->rows - ec->previous_rows)) / (double)ec->previous_rows;
        group_digits(ec->previous_rows, prev, sizeof prev);
        snprintf(res->detail + n, sizeof res->detail - (size_t)n,
                 "; the previous batch had %s (change %.1f%%)", prev, change * 100);
        ok = ok && change <= c->max_change;
        if (!res->has_observed) set_observed(res, change, true);
    } else if (c->has_change) {
        snprintf(res->detail + n, sizeof res->detail - (size_t)n, "; %s",
                 ec->previous_rows == 0 ? "the previous batch was empty, so change is not defined"
                                        : "no previous batch to compare with");
    }
    res->passed = ok;
    return 0;
}

static int eval_mean(const check *c, eval_ctx *ec, cairn_check_result *res)
{
    const cairn_column *col = ec->cols[0];
    double sum = 0, comp = 0, v;
    int64_t n = 0;
    for (int64_t r = 0; r < ec->rows; r++) {
        if (!number_at(col, r, &v)) continue;
        double t = sum + v; /* Neumaier's compensated sum */
        comp += fabs(sum) >= fabs(v) ? (sum - t) + v : (v - t) + sum;
        sum = t;
        n++;
    }
    char cnt[32];
    group_digits(n, cnt, sizeof cnt);
    if (!n) {
        snprintf(res->detail, sizeof res->detail, "no non-null values");
        return 0;
    }
    set_observed(res, (sum + comp) / (double)n, false);
    res->passed = res->observed >= c->lo && res->observed <= c->hi;
    snprintf(res->detail, sizeof res->detail, "mean of %s values", cnt);
    return res->passed ? 0 : extreme_examples(ec, col, res->observed > c->hi, res);
}

/* The k-th smallest of a[0..n) (0-based), partially reordering a (Hoare quickselect). */
static double select_kth(double *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        /* median of three as the pivot */
        double x = a[lo], y = a[mid], z = a[hi];
        double pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                double t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return a[k];
    }
    return a[k];
}

/* NumPy's linear method: h = (n - 1) q, interpolated between the ranks around h. */
static double quantile_linear(double *a, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t k = (size_t)floor(h);
    if (k >= n - 1) return select_kth(a, n, n - 1);
    double lo = select_kth(a, n, k), hi = a[k + 1], t = h - (double)k;
    for (size_t i = k + 2; i < n; i++)
        if (a[i] < hi) hi = a[i];
    double diff = hi - lo;
    return t >= 0.5 ? hi - diff * (1 - t) : lo + diff * t;
}

static int eval_quantile(const check *c, eval_ctx *ec, cairn_check_result *res)
{
    const cairn_column *col = ec->cols[0];
    double *vals = cairn_malloc(ec->rows ? (size_t)ec->rows * sizeof *vals : 1), v;
    if (!vals) return CAIRN_ENOMEM;
    size_t n = 0;
    for (int64_t r = 0; r < ec->rows; r++)
        if (number_at(col, r, &v)) vals[n++] = v;
    char cnt[32];
    group_digits((int64_t)n, cnt, sizeof cnt);
    if (!n) {
        cairn_free(vals);
        snprintf(res->detail, sizeof res->detail, "no non-null values");
        return 0;
    }
    set_observed(res, quantile_linear(vals, n, c->q), false);
    cairn_free(vals);
    res->passed = res->observed >= c->lo && res->observed <= c->hi;
    snprintf(res->detail, sizeof res->detail, "quantile %g of %s values", c->q, cnt);
    return res->passed ? 0 : extreme_examples(ec, col, res->observed > c->hi, res);
}

static int eval_freshness(const check *c, eval_ctx *ec, cairn_check_result *res)
{
    const cairn_column *col = ec->cols[0];
    int64_t newest = INT64_MIN, row = -1;
    for (int64_t r = 0; r < ec->rows; r++) {
        if (!cairn_column_is_valid(col, r)) continue;
        int64_t t = col->type == CAIRN_TYPE_DATE32 ? cairn_column_i32(col, r) * CAIRN_US_PER_DAY
                                                   : cairn_column_i64(col, r);
        if (t > newest) newest = t, row = r;
    }
    if (row < 0) {
        snprintf(res->detail, sizeof res->detail, "no non-null event times");
        return 0;
    }
    int64_t lag = ec->now_us - newest;
    char when[CAIRN_TIME_FMT_LEN], now[CAIRN_TIME_FMT_LEN], lag_text[48];
    cairn_time_format(newest, when, sizeof when);
    cairn_time_format(ec->now_us, now, sizeof now);
    int64_t lag_s = lag / CAIRN_US_PER_SECOND;
    if (lag_s >= 0)
        cairn_duration_format(lag_s * CAIRN_US_PER_SECOND, lag_text, sizeof lag_text);
    else
        snprintf(lag_text, sizeof lag_text, "in the future");
    res->has_observed = true;
    res->observed = (double)lag / (double)CAIRN_US_PER_SECOND;
    snprintf(res->observed_text, sizeof res->observed_text, "%s", lag_text);
    res->passed = lag <= c->max_lag_us;
    if (lag_s >= 0)
        snprintf(res->detail, sizeof res->detail, "the newest event time %s is %s old at %s", when,
                 lag_text, now);
    else
        snprintf(res->detail, sizeof res->detail, "the newest event time %s is after %s", when,
                 now);
    return res->passed ? 0 : set_examples(ec, &row, 1, res);
}

/* ------------------------------------------------------------------------------------------
 * The kinds
 * ---------------------------------------------------------------------------------------- */

static const char *const fraction_keys[] = {"at_least", NULL};
static const char *const no_keys[] = {NULL};
static const char *const between_keys[] = {"between", NULL};
static const char *const quantile_keys[] = {"q", "between", NULL};
static const char *const freshness_keys[] = {"max_lag", NULL};

static const kind_desc kinds[] = {
    [CK_COMPLETENESS] = {"completeness", fraction_keys, parse_completeness, eval_completeness},
    [CK_UNIQUENESS] = {"uniqueness", fraction_keys, parse_uniqueness, eval_uniqueness},
    [CK_ROW_COUNT] = {"row_count", no_keys, parse_row_count, eval_row_count},
    [CK_MEAN] = {"mean", between_keys, parse_mean, eval_mean},
    [CK_QUANTILE] = {"quantile", quantile_keys, parse_quantile, eval_quantile},
    [CK_FRESHNESS] = {"freshness", freshness_keys, parse_freshness, eval_freshness},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])
#define KIND_LIST "completeness, uniqueness, row_count, mean, quantile, freshness"

static int kind_index(const char *key)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (!strcmp(kinds[i].name, key)) return (int)i;
    return -1;
}

static bool key_known(const kind_desc *d, const char *key)
{
    if (!strcmp(key, d->name) || !strcmp(key, "severity") || !strcmp(key, "name")) return true;
    for (size_t i = 0; d->keys[i]; i++)
        if (!strcmp(key, d->keys[i])) return true;
    return false;
}

static int unknown_key(const kind_desc *d, const char *key, problem *pb)
{
    char known[160];
    size_t n = 0;
    for (size_t i = 0; d->keys[i]; i++)
        n += (size_t)snprintf(known + n, sizeof known - n, "%s, ", d->keys[i]);
    snprintf(known + n, sizeof known - n, "severity, name");
    fail_at(pb, CAIRN_EPARSE, key, NULL, -1, "unknown key '%s' for a %s check (known: %s)", key,
            d->name, known);
    pb->at_key = true;
    return CAIRN_EPARSE;
}

static int parse_common(const json_t *obj, check *c, problem *pb)
{
    const json_t *v = json_object_get(obj, "severity");
    if (v) {
        const char *s = json_is_string(v) ? json_string_value(v) : "";
        if (strcmp(s, "error") && strcmp(s, "warning"))
            return expect(pb, "severity", NULL, -1, v, "error or warning");
        c->warning = !strcmp(s, "warning");
    }
    if ((v = json_object_get(obj, "name"))) {
        if (!json_is_string(v) || !json_string_length(v) ||
            json_string_length(v) >= sizeof c->label)
            return expect(pb, "name", NULL, -1, v, "a name of 1 to 159 bytes");
        c->name = json_string_value(v);
    }
    return 0;
}

/* Parses one check (a JSON object); schema (may be NULL) is used to check column names. */
static int parse_check(const json_t *obj, const cairn_dataset_schema *schema, check *c, problem *pb)
{
    memset(c, 0, sizeof *c);
    memset(pb, 0, sizeof *pb);
    pb->index = -1;
    if (!json_is_object(obj)) return expect(pb, NULL, NULL, -1, obj, "a mapping");
    const char *key, *unknown = NULL;
    const json_t *v;
    int kind = -1;
    json_object_foreach((json_t *)obj, key, v)
    {
        int k = kind_index(key);
        if (k >= 0 && kind >= 0) {
            fail_at(pb, CAIRN_EPARSE, key, NULL, -1,
                    "a check has one check key, found both '%s' and '%s' (write one list item per "
                    "check)",
                    kinds[kind].name, key);
            pb->at_key = true;
            return CAIRN_EPARSE;
        }
        if (k >= 0)
            kind = k;
        else if (!unknown && strcmp(key, "severity") && strcmp(key, "name"))
            unknown = key;
    }
    (void)v;
    if (kind < 0 && unknown) {
        fail_at(pb, CAIRN_EPARSE, unknown, NULL, -1, "unknown check '%s' (known: " KIND_LIST ")",
                unknown);
        pb->at_key = true;
        return CAIRN_EPARSE;
    }
    if (kind < 0)
        return fail_at(pb, CAIRN_EPARSE, NULL, NULL, -1,
                       "expected a check key (one of " KIND_LIST ")");
    const kind_desc *d = &kinds[kind];
    json_object_foreach((json_t *)obj, key, v) if (!key_known(d, key)) return unknown_key(d, key,
                                                                                          pb);
    c->kind = (check_kind)kind;
    int rc = d->parse(obj, schema, c, pb);
    return rc ? rc : parse_common(obj, c, pb);
}

/* ------------------------------------------------------------------------------------------
 * Load-time validation (called by schema.c)
 * ---------------------------------------------------------------------------------------- */

static const cairn_yaml_node *locate(const cairn_yaml_node *map, const problem *pb)
{
    const cairn_yaml_node *n = pb->key ? cairn_yaml_get(map, pb->key) : NULL;
    if (!n) return map;
    if (pb->subkey) {
        const cairn_yaml_node *s = cairn_yaml_get(n, pb->subkey);
        if (s) return s;
        for (size_t i = 0; n->kind == CAIRN_YAML_MAPPING && i < n->count; i++)
            if (!strcmp(n->keys[i]->scalar, pb->subkey)) return n->keys[i];
        return n;
    }
    if (pb->index >= 0 && n->kind == CAIRN_YAML_SEQUENCE && (size_t)pb->index < n->count)
        return n->items[pb->index];
    return n;
}

/* The YAML key node named by pb (for problems located at a key), or the mapping. */
static const cairn_yaml_node *key_node(const cairn_yaml_node *map, const problem *pb)
{
    const cairn_yaml_node *m = map;
    const char *want = pb->key;
    if (pb->subkey) {
        m = cairn_yaml_get(map, pb->key);
        want = pb->subkey;
    }
    for (size_t k = 0; m && m->kind == CAIRN_YAML_MAPPING && k < m->count; k++)
        if (!strcmp(m->keys[k]->scalar, want)) return m->keys[k];
    return map;
}

int cairn__checks_validate(const cairn_yaml_doc *doc, const cairn_yaml_node *list,
                           const json_t *checks, const cairn_dataset_schema *schema,
                           cairn_error *err)
{
    for (size_t i = 0; i < json_array_size(checks) && i < list->count; i++) {
        check c;
        problem pb;
        if (parse_check(json_array_get(checks, i), schema, &c, &pb) == 0) continue;
        const cairn_yaml_node *map = list->items[i];
        /* an unknown key is located at the key itself, a bad value at the value */
        const cairn_yaml_node *at = locate(map, &pb);
        if (pb.at_key) at = key_node(map, &pb);
        const char *key = pb.at_key ? NULL : pb.subkey ? pb.subkey : pb.key;
        return cairn_yaml_error(doc, at, pb.code, err, "checks[%zu]: %s%s%s%s", i,
                                key ? "key '" : "", key ? key : "", key ? "': " : "", pb.message);
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Evaluation and the report
 * ---------------------------------------------------------------------------------------- */

static int bind_columns(const check *c, eval_ctx *ec, size_t index, cairn_error *err)
{
    for (size_t k = 0; k < c->ncolumns; k++) {
        const cairn_column *col = cairn_table_column_by_name(ec->table, c->columns[k]);
        if (!col)
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "checks[%zu] (%s): column '%s' is not in the table", index,
                                   c->name ? c->name : c->label, c->columns[k]);
        bool numeric = cairn_type_is_numeric(col->type), time = is_time_field(col->type);
        if (((c->kind == CK_MEAN || c->kind == CK_QUANTILE) && !numeric) ||
            (c->kind == CK_FRESHNESS && !time))
            return cairn_error_set(
                err, CAIRN_ETYPE, "checks[%zu] (%s): column '%s' is %s; expected %s", index,
                c->name ? c->name : c->label, c->columns[k], cairn_type_name(col->type),
                time || c->kind == CK_FRESHNESS ? "a timestamp or date" : "a number");
        ec->cols[k] = col;
    }
    return 0;
}

static int evaluate_one(const json_t *obj, const cairn_dataset_schema *schema, eval_ctx *ec,
                        size_t index, cairn_check_result *res, cairn_error *err)
{
    check c;
    problem pb;
    int rc = parse_check(obj, schema, &c, &pb);
    if (rc) {
        const char *key = pb.at_key ? NULL : pb.subkey ? pb.subkey : pb.key;
        return cairn_error_set(err, rc, "checks[%zu]: %s%s%s%s", index, key ? "key '" : "",
                               key ? key : "", key ? "': " : "", pb.message);
    }
    if ((rc = bind_columns(&c, ec, index, err))) return rc;
    snprintf(res->name, sizeof res->name, "%s", c.name ? c.name : c.label);
    snprintf(res->label, sizeof res->label, "%s", c.label);
    snprintf(res->kind, sizeof res->kind, "%s", kinds[c.kind].name);
    size_t n = 0;
    for (size_t k = 0; k < c.ncolumns && n < sizeof res->column; k++)
        n += (size_t)snprintf(res->column + n, sizeof res->column - n, "%s%s", k ? "," : "",
                              c.columns[k]);
    snprintf(res->expected, sizeof res->expected, "%s", c.expected);
    res->warning = c.warning;
    rc = kinds[c.kind].eval(&c, ec, res);
    if (rc)
        return cairn_error_set(err, rc, "checks[%zu] (%s): %s", index, res->name,
                               cairn_strerror(rc));
    return 0;
}

int cairn_quality_evaluate(const cairn_dataset_schema *schema, const cairn_table *table,
                           const cairn_quality_context *ctx, cairn_quality_report **out,
                           cairn_error *err)
{
    *out = NULL;
    const json_t *checks = cairn_dataset_schema_checks(schema);
    size_t n = json_array_size(checks);
    cairn_quality_report *rep = cairn_calloc(1, sizeof *rep);
    if (rep) rep->results = cairn_calloc(n ? n : 1, sizeof *rep->results);
    if (!rep || !rep->results) {
        cairn_free(rep);
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    }
    snprintf(rep->dataset, sizeof rep->dataset, "%s", cairn_dataset_schema_name(schema));
    eval_ctx ec = {.table = table, .rows = cairn_table_num_rows(table), .previous_rows = -1};
    ec.now_us = ctx && ctx->now_us ? ctx->now_us : cairn_now_us();
    if (ctx) ec.previous_rows = ctx->previous_rows;
    rep->rows = ec.rows;
    for (size_t i = 0; i < n; i++) {
        cairn_check_result *res = &rep->results[i];
        rep->nresults = i + 1;
        int rc = evaluate_one(json_array_get(checks, i), schema, &ec, i, res, err);
        if (rc) {
            cairn_quality_report_free(rep);
            return rc;
        }
        rep->evaluated++;
        if (res->passed)
            rep->passed++;
        else if (res->warning)
            rep->warnings++;
        else
            rep->failed++;
    }
    *out = rep;
    return 0;
}

void cairn_quality_report_free(cairn_quality_report *report)
{
    if (!report) return;
    for (size_t i = 0; i < report->nresults; i++)
        cairn_free(report->results[i].examples_json);
    cairn_free(report->results);
    cairn_free(report);
}

/* ------------------------------------------------------------------------------------------
 * Rendering
 * ---------------------------------------------------------------------------------------- */

static json_t *result_json(const cairn_check_result *r)
{
    json_t *examples = NULL, *observed;
    if (r->examples_json)
        examples = json_loads(r->examples_json, 0, NULL);
    else
        examples = json_array();
    if (!r->has_observed || !isfinite(r->observed))
        observed = json_null();
    else if (!strcmp(r->kind, "row_count") && r->observed == floor(r->observed) && r->observed > 1)
        observed = json_integer((json_int_t)r->observed);
    else
        observed = json_real(r->observed);
    return json_pack("{s:s, s:s, s:s, s:b, s:s, s:o?, s:s, s:s, s:o?}", "name", r->name, "kind",
                     r->kind, "column", r->column, "success", r->passed, "severity",
                     r->warning ? "warning" : "error", "observed", observed, "expected",
                     r->expected, "detail", r->detail, "examples", examples);
}

int cairn_quality_report_json(const cairn_quality_report *report, json_t **out)
{
    json_t *results = json_array();
    for (size_t i = 0; results && i < report->nresults; i++) {
        json_t *r = result_json(&report->results[i]);
        if (!r || json_array_append_new(results, r)) json_decref(results), results = NULL;
    }
    if (!results) return CAIRN_ENOMEM;
    double percent =
        report->evaluated ? 100.0 * (double)report->passed / (double)report->evaluated : 100.0;
    json_t *doc = json_pack(
        "{s:s, s:I, s:b, s:{s:I, s:I, s:I, s:I, s:f}, s:o}", "dataset", report->dataset, "rows",
        (json_int_t)report->rows, "success", report->failed == 0, "statistics", "evaluated_checks",
        (json_int_t)report->evaluated, "successful_checks", (json_int_t)report->passed,
        "unsuccessful_checks", (json_int_t)report->failed, "warnings", (json_int_t)report->warnings,
        "success_percent", percent, "results", results);
    if (!doc) return CAIRN_ENOMEM; /* "o" stole results */
    *out = doc;
    return 0;
}

/* Each example row on its own line, indented. */
static int put_examples(const char *examples_json, cairn_buf *out)
{
    json_t *arr = json_loads(examples_json, 0, NULL);
    if (!arr) return CAIRN_ENOMEM;
    int rc = 0;
    for (size_t i = 0; !rc && i < json_array_size(arr); i++) {
        rc = cairn_buf_puts(out, "      ");
        if (!rc) rc = cairn_json_dump(json_array_get(arr, i), 0, out);
        if (!rc) rc = cairn_buf_putc(out, '\n');
    }
    json_decref(arr);
    return rc;
}

int cairn_quality_report_text(const cairn_quality_report *report, cairn_buf *out)
{
    char rows[32];
    group_digits(report->rows, rows, sizeof rows);
    int rc = cairn_buf_printf(
        out, "quality of %s (%s rows): %zu checks, %zu passed, %zu failed, %zu %s\n",
        report->dataset, rows, report->evaluated, report->passed, report->failed, report->warnings,
        report->warnings == 1 ? "warning" : "warnings");
    for (size_t i = 0; !rc && i < report->nresults; i++) {
        const cairn_check_result *r = &report->results[i];
        const char *status = r->passed ? "PASS" : r->warning ? "WARN" : "FAIL";
        bool custom = strcmp(r->name, r->label) != 0;
        rc = cairn_buf_printf(out, "  %s %s%s%s%s: ", status, r->name, custom ? " (" : "",
                              custom ? r->label : "", custom ? ")" : "");
        if (!rc && r->has_observed) rc = cairn_buf_printf(out, "observed %s", r->observed_text);
        if (!rc && (!r->passed || !r->has_observed))
            rc = cairn_buf_printf(out, r->has_observed ? " (%s)" : "%s", r->detail);
        if (!rc) rc = cairn_buf_putc(out, '\n');
        if (!rc && r->examples_json) rc = put_examples(r->examples_json, out);
    }
    return rc;
}
