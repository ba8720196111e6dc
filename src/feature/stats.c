/* src/feature/stats.c: per-feature statistics and the population stability index
 * (cairn_feature_stats_compute, cairn_feature_psi, cairn_feature_stats_history in
 * include/cairn/feature.h) and their record in the catalog table feature_stats
 * (cairn__feature_stats_record, called by training.c and materialize.c).
 *
 * A column is either numeric or categorical. Numeric: the non-null finite values are copied
 * and sorted once; mean and variance by Welford, quantiles by numpy's linear interpolation,
 * and the histogram by binary search of each value among 9 edges (the deciles of the
 * reference). Categorical: the values' bytes are sorted and run-length counted; the top 20
 * values (count descending, then bytes) plus "__other__" are the bins. With a previous
 * version's statistics, the previous edges (or categories) are the bins, so that both
 * histograms are over the same bins and the PSI compares like with like; equal edges (many
 * ties) leave empty bins in both histograms, which add 0 to the PSI.
 *
 * A feature_stats row: (id, subject_kind 'training_set' | 'materialization', subject (the
 * service or view), feature 'view:feature', version (training set id or materialization
 * id), stats (the column's JSON), psi, at). The previous version of a subject is the one of
 * its latest row other than the version being recorded.
 *
 * Tests: tests/unit/feature/test_stats.c, tests/integration/test_feature_stats_cli.sh.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/feature.h"
#include "feature/feature_internal.h"
#include "feature/stats_internal.h"

#define PSI_FLOOR 1e-4
#define NUM_BINS 10
#define TOP_CATEGORIES 20
#define OTHER "__other__"

static int oom(cairn_error *err) { return cairn_error_set(err, CAIRN_ENOMEM, "out of memory"); }

/* ------------------------------------------------------------------------------------------
 * PSI
 * ---------------------------------------------------------------------------------------- */

double cairn_feature_psi(const int64_t *actual, const int64_t *expected, size_t nbins)
{
    int64_t ta = 0, te = 0;
    for (size_t i = 0; i < nbins; i++) {
        ta += actual[i];
        te += expected[i];
    }
    if (ta <= 0 || te <= 0) return NAN;
    double psi = 0;
    for (size_t i = 0; i < nbins; i++) {
        double a = fmax((double)actual[i] / (double)ta, PSI_FLOOR);
        double e = fmax((double)expected[i] / (double)te, PSI_FLOOR);
        psi += (a - e) * log(a / e);
    }
    return psi;
}

const char *cairn_feature_psi_level(double psi)
{
    if (isnan(psi)) return NULL;
    return psi < 0.1 ? "stable" : psi < 0.25 ? "moderate" : "major";
}

/* ------------------------------------------------------------------------------------------
 * Small JSON helpers
 * ---------------------------------------------------------------------------------------- */

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static int counts_json(const int64_t *counts, size_t n, json_t **out)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_integer(counts[i]))) {
            json_decref(a);
            a = NULL;
        }
    *out = a;
    return a ? 0 : CAIRN_ENOMEM;
}

/* The previous version's expected counts: bin_counts of `prev`, which must have nbins
 * integers. */
static int prev_counts(const json_t *prev, size_t index, size_t nbins, int64_t *out, cairn_error *err)
{
    const json_t *a = json_object_get(prev, "bin_counts");
    if (!json_is_array(a) || json_array_size(a) != nbins) {
        cairn_error_set(err, CAIRN_EINVAL, "previous statistics: columns[%zu].bin_counts: expected %zu counts",
                        index, nbins);
        cairn_error_field(err, "bin_counts");
        return CAIRN_EINVAL;
    }
    for (size_t i = 0; i < nbins; i++) {
        const json_t *c = json_array_get(a, i);
        if (!json_is_integer(c) || json_integer_value(c) < 0) {
            cairn_error_set(err, CAIRN_EINVAL,
                            "previous statistics: columns[%zu].bin_counts[%zu]: expected a count", index, i);
            cairn_error_field(err, "bin_counts");
            return CAIRN_EINVAL;
        }
        out[i] = json_integer_value(c);
    }
    return 0;
}

/* Sets "bins" and "bin_counts" (either may be NULL after a failure); takes both references
 * whatever happens, as json_object_set_new does. Returns rc, or CAIRN_ENOMEM. */
static int set_bins(json_t *o, json_t *bins, json_t *counts, int rc)
{
    int failed = json_object_set_new(o, "bins", bins);
    failed |= json_object_set_new(o, "bin_counts", counts);
    return rc ? rc : failed ? CAIRN_ENOMEM : 0;
}

static int set_psi(json_t *o, const int64_t *actual, const int64_t *expected, size_t nbins)
{
    double psi = expected ? cairn_feature_psi(actual, expected, nbins) : NAN;
    const char *level = cairn_feature_psi_level(psi);
    int rc = json_object_set_new(o, "psi", num_or_null(psi));
    if (rc == 0) rc = json_object_set_new(o, "psi_level", level ? json_string(level) : json_null());
    return rc ? CAIRN_ENOMEM : 0;
}

/* ------------------------------------------------------------------------------------------
 * Numeric columns
 * ---------------------------------------------------------------------------------------- */

static bool is_numeric(cairn_type t)
{
    return cairn_type_is_numeric(t) || t == CAIRN_TYPE_TIMESTAMP || t == CAIRN_TYPE_DATE32;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy.quantile's default (linear) on sorted values, n > 0. */
static double quantile(const double *s, size_t n, double q)
{
    double h = q * (double)(n - 1);
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n) return s[n - 1];
    return s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]);
}

/* Bin of x: the number of edges <= x (edges ascending). */
static size_t bin_of(const double *edges, size_t nedges, double x)
{
    size_t lo = 0, hi = nedges;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (edges[mid] <= x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The previous column's edges when usable: 9 numbers, ascending. *found false when prev has
 * no edges (it had no values); an error when they are malformed. */
static int prev_edges(const json_t *prev, size_t index, double *edges, bool *found, cairn_error *err)
{
    const json_t *b = json_object_get(prev, "bins");
    *found = false;
    if (json_is_array(b) && json_array_size(b) == 0) return 0;
    bool ok = json_is_array(b) && json_array_size(b) == NUM_BINS - 1;
    for (size_t i = 0; ok && i < NUM_BINS - 1; i++) {
        const json_t *e = json_array_get(b, i);
        ok = json_is_number(e);
        if (ok) edges[i] = json_number_value(e);
        if (ok && i) ok = edges[i] >= edges[i - 1];
    }
    if (!ok) {
        cairn_error_set(err, CAIRN_EINVAL, "previous statistics: columns[%zu].bins: expected %d ascending numbers",
                        index, NUM_BINS - 1);
        cairn_error_field(err, "bins");
        return CAIRN_EINVAL;
    }
    *found = true;
    return 0;
}

static int numeric_values(const cairn_column *c, double **out, size_t *n)
{
    double *v = cairn_malloc(((size_t)c->length + 1) * sizeof *v);
    if (!v) return CAIRN_ENOMEM;
    size_t k = 0;
    for (int64_t i = 0; i < c->length; i++) {
        cairn_value val;
        double d;
        cairn_column_get(c, i, &val);
        if (cairn_value_as_double(&val, &d) && isfinite(d)) v[k++] = d;
    }
    qsort(v, k, sizeof *v, cmp_double);
    *out = v;
    *n = k;
    return 0;
}

static int numeric_summary(json_t *o, const double *v, size_t n)
{
    double mean = NAN, m2 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = v[i] - (i ? mean : 0);
        mean = i ? mean + d / (double)(i + 1) : v[0];
        m2 += i ? d * (v[i] - mean) : 0;
    }
    static const char *const qnames[] = {"p01", "p25", "p50", "p75", "p99"};
    static const double qs[] = {0.01, 0.25, 0.5, 0.75, 0.99};
    json_t *q = json_object();
    int rc = q ? 0 : CAIRN_ENOMEM;
    for (size_t i = 0; rc == 0 && i < 5; i++)
        rc = json_object_set_new(q, qnames[i], n ? json_real(quantile(v, n, qs[i])) : json_null());
    if (rc == 0) rc = json_object_set_new(o, "mean", num_or_null(mean));
    if (rc == 0) rc = json_object_set_new(o, "stddev", num_or_null(n > 1 ? sqrt(m2 / (double)(n - 1)) : NAN));
    if (rc == 0) rc = json_object_set_new(o, "min", n ? json_real(v[0]) : json_null());
    if (rc == 0) rc = json_object_set_new(o, "max", n ? json_real(v[n - 1]) : json_null());
    if (rc == 0) rc = json_object_set_new(o, "quantiles", q);
    else json_decref(q);
    return rc ? CAIRN_ENOMEM : 0;
}

static int numeric_stats(const cairn_column *c, const json_t *prev, size_t index, json_t *o, cairn_error *err)
{
    double edges[NUM_BINS - 1];
    int64_t counts[NUM_BINS] = {0}, expected[NUM_BINS];
    bool have_prev = false;
    int rc = prev ? prev_edges(prev, index, edges, &have_prev, err) : 0;
    if (rc == 0 && have_prev) rc = prev_counts(prev, index, NUM_BINS, expected, err);
    if (rc) return rc;
    double *v = NULL;
    size_t n = 0;
    if (numeric_values(c, &v, &n)) return oom(err);
    rc = numeric_summary(o, v, n);
    bool have_bins = have_prev || n > 0;
    for (size_t i = 0; !have_prev && n && i < NUM_BINS - 1; i++)
        edges[i] = quantile(v, n, (double)(i + 1) / NUM_BINS);
    for (size_t i = 0; have_bins && i < n; i++) counts[bin_of(edges, NUM_BINS - 1, v[i])]++;
    cairn_free(v);
    json_t *bins = json_array(), *bc = NULL;
    if (rc == 0 && !bins) rc = CAIRN_ENOMEM;
    for (size_t i = 0; rc == 0 && have_bins && i < NUM_BINS - 1; i++)
        rc = json_array_append_new(bins, json_real(edges[i])) ? CAIRN_ENOMEM : 0;
    if (rc == 0) rc = counts_json(counts, have_bins ? NUM_BINS : 0, &bc);
    rc = set_bins(o, bins, bc, rc);
    if (rc == 0) rc = set_psi(o, counts, have_prev ? expected : NULL, NUM_BINS);
    return rc ? oom(err) : 0;
}

/* ------------------------------------------------------------------------------------------
 * Categorical columns
 * ---------------------------------------------------------------------------------------- */

typedef struct category {
    const char *ptr;
    size_t len;
    int64_t count;
} category;

static int cmp_bytes(const char *a, size_t na, const char *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    return c ? c : (na > nb) - (na < nb);
}

static int cmp_category_bytes(const void *a, const void *b)
{
    const category *x = a, *y = b;
    return cmp_bytes(x->ptr, x->len, y->ptr, y->len);
}

static int cmp_category_count(const void *a, const void *b)
{
    const category *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return cmp_category_bytes(a, b);
}

static bool is_other(const category *c) { return c->len == strlen(OTHER) && !memcmp(c->ptr, OTHER, c->len); }

/* The distinct non-null values with their counts, in byte order (borrowed from c). */
static int categories(const cairn_column *c, category **out, size_t *n)
{
    category *v = cairn_malloc(((size_t)c->length + 1) * sizeof *v);
    if (!v) return CAIRN_ENOMEM;
    size_t k = 0;
    for (int64_t i = 0; i < c->length; i++) {
        if (!cairn_column_is_valid(c, i)) continue;
        if (c->type == CAIRN_TYPE_BOOL) {
            bool b = cairn_bit_get(c->values, i);
            v[k++] = (category){b ? "true" : "false", b ? 4 : 5, 1};
        } else {
            size_t len;
            const char *p = cairn_column_str(c, i, &len);
            v[k++] = (category){p, len, 1};
        }
    }
    qsort(v, k, sizeof *v, cmp_category_bytes);
    size_t d = 0;
    for (size_t i = 0; i < k; i++) {
        if (d && !cmp_category_bytes(&v[d - 1], &v[i])) v[d - 1].count++;
        else v[d++] = v[i];
    }
    *out = v;
    *n = d;
    return 0;
}

/* The previous column's categories (its bins but the last, "__other__"), borrowed from prev;
 * *nprev 0 when it has none. */
static int prev_categories(const json_t *prev, size_t index, category *cats, size_t *nprev, cairn_error *err)
{
    const json_t *b = json_object_get(prev, "bins");
    size_t n = json_array_size(b);
    *nprev = 0;
    if (json_is_array(b) && n == 0) return 0;
    bool ok = json_is_array(b) && n <= TOP_CATEGORIES + 1 &&
              json_is_string(json_array_get(b, n - 1)) && !strcmp(json_string_value(json_array_get(b, n - 1)), OTHER);
    for (size_t i = 0; ok && i + 1 < n; i++) {
        const json_t *s = json_array_get(b, i);
        ok = json_is_string(s);
        if (ok) cats[i] = (category){json_string_value(s), json_string_length(s), 0};
    }
    if (!ok) {
        cairn_error_set(err, CAIRN_EINVAL,
                        "previous statistics: columns[%zu].bins: expected at most %d strings ending with \"%s\"",
                        index, TOP_CATEGORIES + 1, OTHER);
        cairn_error_field(err, "bins");
        return CAIRN_EINVAL;
    }
    *nprev = n - 1;
    return 0;
}

static int categorical_stats(const cairn_column *c, const json_t *prev, size_t index, json_t *o, cairn_error *err)
{
    category bins[TOP_CATEGORIES];
    int64_t counts[TOP_CATEGORIES + 1] = {0}, expected[TOP_CATEGORIES + 1];
    size_t nbins = 0;
    int rc = prev ? prev_categories(prev, index, bins, &nbins, err) : 0;
    bool have_prev = nbins > 0;
    if (rc == 0 && have_prev) rc = prev_counts(prev, index, nbins + 1, expected, err);
    if (rc) return rc;
    category *all = NULL;
    size_t n = 0;
    if (categories(c, &all, &n)) return oom(err);
    if (!have_prev) { /* the top values of this data */
        qsort(all, n, sizeof *all, cmp_category_count);
        for (size_t i = 0; i < n && nbins < TOP_CATEGORIES; i++)
            if (!is_other(&all[i])) bins[nbins++] = all[i];
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < nbins && cmp_category_bytes(&bins[k], &all[i])) k++;
        counts[k] += all[i].count; /* k == nbins: "__other__" */
    }
    json_t *b = json_array(), *bc = NULL;
    rc = b ? 0 : CAIRN_ENOMEM;
    for (size_t i = 0; rc == 0 && i < nbins; i++)
        rc = json_array_append_new(b, json_stringn(bins[i].ptr, bins[i].len)) ? CAIRN_ENOMEM : 0;
    cairn_free(all); /* bins borrowed from it until here */
    size_t total = n || have_prev ? nbins + 1 : 0;
    if (rc == 0 && total) rc = json_array_append_new(b, json_string(OTHER)) ? CAIRN_ENOMEM : 0;
    if (rc == 0) rc = counts_json(counts, total, &bc);
    static const char *const none[] = {"mean", "stddev", "min", "max", "quantiles"};
    for (size_t i = 0; rc == 0 && i < 5; i++) rc = json_object_set_new(o, none[i], json_null()) ? CAIRN_ENOMEM : 0;
    rc = set_bins(o, b, bc, rc);
    if (rc == 0) rc = set_psi(o, counts, have_prev ? expected : NULL, nbins + 1);
    return rc ? oom(err) : 0;
}

/* ------------------------------------------------------------------------------------------
 * cairn_feature_stats_compute
 * ---------------------------------------------------------------------------------------- */

/* The previous column named `name` of the same kind, or NULL; *index its position. */
static const json_t *prev_column(const json_t *previous, const char *name, const char *kind, size_t *index)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(previous, "columns"), i, c) {
        const char *cn = json_string_value(json_object_get(c, "name"));
        const char *ck = json_string_value(json_object_get(c, "kind"));
        if (cn && !strcmp(cn, name)) {
            *index = i;
            return ck && !strcmp(ck, kind) ? c : NULL;
        }
    }
    return NULL;
}

static int column_stats(const cairn_column *c, const char *name, const json_t *previous, json_t **out,
                        cairn_error *err)
{
    bool numeric = is_numeric(c->type);
    if (!numeric && c->type != CAIRN_TYPE_STRING && c->type != CAIRN_TYPE_BOOL)
        return cairn_error_set(err, CAIRN_ETYPE, "column '%s': no statistics for type %s", name,
                               cairn_type_name(c->type));
    const char *kind = numeric ? "numeric" : "categorical";
    int64_t nulls = 0;
    for (int64_t i = 0; i < c->length; i++) {
        cairn_value v;
        double d;
        cairn_column_get(c, i, &v);
        nulls += v.is_null || (numeric && (!cairn_value_as_double(&v, &d) || !isfinite(d)));
    }
    size_t index = 0;
    const json_t *prev = previous ? prev_column(previous, name, kind, &index) : NULL;
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I}", "name", name, "type", cairn_type_name(c->type), "kind",
                          kind, "count", (json_int_t)c->length, "nulls", (json_int_t)nulls);
    if (!o) return oom(err);
    int rc = numeric ? numeric_stats(c, prev, index, o, err) : categorical_stats(c, prev, index, o, err);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

int cairn_feature_stats_compute(const cairn_table *t, const char *const *columns, size_t n,
                                const json_t *previous, json_t **out, cairn_error *err)
{
    *out = NULL;
    if (previous && !json_is_array(json_object_get(previous, "columns"))) {
        cairn_error_set(err, CAIRN_EINVAL, "previous statistics: expected an object {\"columns\": [...]}");
        cairn_error_field(err, "columns");
        return CAIRN_EINVAL;
    }
    json_t *cols = json_array();
    if (!cols) return oom(err);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const cairn_column *c = cairn_table_column_by_name(t, columns[i]);
        json_t *o = NULL;
        if (!c) rc = cairn_error_set(err, CAIRN_ENOTFOUND, "no column '%s' in the table", columns[i]);
        if (rc == 0) rc = column_stats(c, columns[i], previous, &o, err);
        if (rc == 0 && json_array_append_new(cols, o)) rc = oom(err);
    }
    if (rc) {
        json_decref(cols);
        return rc;
    }
    /* json_pack takes the reference to cols, also when it fails */
    if (!(*out = json_pack("{s:o}", "columns", cols))) return oom(err);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * The record: feature_stats
 * ---------------------------------------------------------------------------------------- */

static int stmt_text(cairn_stmt *st, int i, const char *s) { return cairn_stmt_bind_text(st, i, s, strlen(s)); }

/* {"columns": [the stats of the latest other version of the subject]}, or NULL when none. */
static int load_previous(cairn_home *home, const char *kind, const char *subject, const char *version,
                         json_t **out, cairn_error *err)
{
    cairn_catalog *cat = cairn_home_catalog(home);
    cairn_stmt *st = NULL;
    *out = NULL;
    int rc = cairn_catalog_prepare(cat,
                                   "SELECT stats FROM feature_stats WHERE subject_kind = ?1 AND subject = ?2 "
                                   "AND version = (SELECT version FROM feature_stats WHERE subject_kind = ?1 "
                                   "AND subject = ?2 AND version <> ?3 ORDER BY id DESC LIMIT 1) ORDER BY id",
                                   &st, err);
    if (rc) return rc;
    stmt_text(st, 1, kind);
    stmt_text(st, 2, subject);
    stmt_text(st, 3, version);
    json_t *cols = json_array();
    if (!cols) rc = oom(err);
    while (rc == 0 && (rc = cairn_stmt_step(st, err)) == 1) {
        size_t len;
        const char *text = cairn_stmt_text(st, 0, &len);
        json_t *one = NULL;
        rc = cairn_json_parse(text, len, "feature_stats.stats", &one, err);
        if (rc == 0 && json_array_append_new(cols, one)) rc = oom(err);
    }
    cairn_stmt_finalize(st);
    if (rc == 0 && json_array_size(cols)) *out = json_pack("{s:O}", "columns", cols);
    json_decref(cols);
    return rc;
}

static int insert_rows(cairn_home *home, const char *kind, const char *subject, const char *version,
                       const char *const *features, const json_t *stats, cairn_error *err)
{
    cairn_catalog *cat = cairn_home_catalog(home);
    cairn_stmt *del = NULL, *ins = NULL;
    char at[CAIRN_TIME_FMT_LEN];
    cairn_time_format(cairn_now_us(), at, sizeof at);
    int rc = cairn_catalog_prepare(cat, "DELETE FROM feature_stats WHERE subject_kind = ? AND subject = ? AND version = ?",
                                   &del, err);
    if (rc == 0)
        rc = cairn_catalog_prepare(cat,
                                   "INSERT INTO feature_stats (id, subject_kind, subject, feature, version, stats, "
                                   "psi, at) SELECT COALESCE(MAX(id), 0) + 1, ?, ?, ?, ?, ?, ?, ? FROM feature_stats",
                                   &ins, err);
    if (rc == 0) {
        stmt_text(del, 1, kind);
        stmt_text(del, 2, subject);
        stmt_text(del, 3, version);
        rc = cairn_stmt_step(del, err);
    }
    cairn_buf text;
    cairn_buf_init(&text, 0);
    json_t *c;
    size_t i;
    json_array_foreach(json_object_get(stats, "columns"), i, c) {
        if (rc < 0) break;
        cairn_buf_reset(&text);
        if (cairn_json_dump(c, 0, &text)) {
            rc = oom(err);
            break;
        }
        const json_t *psi = json_object_get(c, "psi");
        cairn_stmt_reset(ins);
        stmt_text(ins, 1, kind);
        stmt_text(ins, 2, subject);
        stmt_text(ins, 3, features[i]);
        stmt_text(ins, 4, version);
        cairn_stmt_bind_text(ins, 5, text.data, text.len);
        if (json_is_number(psi)) cairn_stmt_bind_double(ins, 6, json_number_value(psi));
        else cairn_stmt_bind_null(ins, 6);
        stmt_text(ins, 7, at);
        rc = cairn_stmt_step(ins, err);
    }
    cairn_buf_release(&text);
    cairn_stmt_finalize(del);
    cairn_stmt_finalize(ins);
    return rc < 0 ? rc : 0;
}

int cairn__feature_stats_record(cairn_home *home, const char *subject_kind, const char *subject,
                                const char *version, const cairn_table *t,
                                const char *const *columns, const char *const *features,
                                size_t n, cairn_error *err)
{
    json_t *previous = NULL, *stats = NULL;
    int rc = load_previous(home, subject_kind, subject, version, &previous, err);
    if (rc == 0) rc = cairn_feature_stats_compute(t, columns, n, previous, &stats, err);
    if (rc == 0) rc = cairn_catalog_begin(cairn_home_catalog(home), err);
    if (rc == 0) {
        rc = insert_rows(home, subject_kind, subject, version, features, stats, err);
        if (rc == 0) rc = cairn_catalog_commit(cairn_home_catalog(home), err);
        if (rc) cairn_catalog_abort(cairn_home_catalog(home));
    }
    if (rc) cairn_error_prefix(err, "recording feature statistics of %s '%s': ", subject_kind, subject);
    json_decref(previous);
    json_decref(stats);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * cairn_feature_stats_history
 * ---------------------------------------------------------------------------------------- */

/* The versions of one feature, newest first. */
static int feature_versions(cairn_home *home, const char *feature, json_t **out, cairn_error *err)
{
    cairn_stmt *st = NULL;
    int rc = cairn_catalog_prepare(cairn_home_catalog(home),
                                   "SELECT subject_kind, subject, version, at, psi, stats FROM feature_stats "
                                   "WHERE feature = ? ORDER BY id DESC",
                                   &st, err);
    if (rc) return rc;
    stmt_text(st, 1, feature);
    json_t *versions = json_array();
    if (!versions) rc = oom(err);
    while (rc == 0 && (rc = cairn_stmt_step(st, err)) == 1) {
        size_t len;
        const char *text = cairn_stmt_text(st, 5, &len);
        json_t *stats = NULL;
        if ((rc = cairn_json_parse(text, len, "feature_stats.stats", &stats, err))) break;
        double psi = cairn_stmt_is_null(st, 4) ? NAN : cairn_stmt_double(st, 4);
        const char *level = cairn_feature_psi_level(psi);
        json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "subject_kind", cairn_stmt_text(st, 0, NULL),
                              "subject", cairn_stmt_text(st, 1, NULL), "version", cairn_stmt_text(st, 2, NULL),
                              "at", cairn_stmt_text(st, 3, NULL), "psi", num_or_null(psi), "psi_level",
                              level ? json_string(level) : json_null(), "stats", stats);
        if (!v || json_array_append_new(versions, v)) rc = oom(err);
    }
    cairn_stmt_finalize(st);
    if (rc < 0) {
        json_decref(versions);
        return rc;
    }
    *out = versions;
    return 0;
}

/* The features NAME stands for ("view:feature" names, cairn_free each and the array). */
static int resolve_features(cairn_home *home, const char *name, char ***out, size_t *n, cairn_error *err)
{
    char **names = NULL;
    size_t count = 0;
    cairn__view *view = NULL;
    cairn__service *service = NULL;
    cairn_error ignored;
    cairn_error_clear(&ignored);
    if (strchr(name, ':')) {
        count = 1;
    } else if (cairn__view_load(home, name, 0, &view, &ignored) == 0) {
        count = view->def.nfeatures;
    } else if (cairn__service_load(home, name, 0, &service, &ignored) == 0) {
        count = service->nfeatures;
    } else {
        return cairn_error_set(err, CAIRN_ENOTFOUND, "'%s' is no feature (view:feature), feature view or feature service",
                               name);
    }
    names = cairn_calloc(count + 1, sizeof *names);
    int rc = names ? 0 : oom(err);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        cairn_buf b;
        cairn_buf_init(&b, 0);
        if (view) rc = cairn_buf_printf(&b, "%s:%s", name, view->def.features[i].name);
        else rc = cairn_buf_puts(&b, service ? service->features[i] : name);
        names[i] = rc ? NULL : cairn_buf_detach(&b, NULL);
        cairn_buf_release(&b);
        if (rc || !names[i]) rc = oom(err);
    }
    cairn__view_free(view);
    cairn__service_free(service);
    if (rc) {
        for (size_t i = 0; names && i < count; i++) cairn_free(names[i]);
        cairn_free(names);
        return rc;
    }
    *out = names;
    *n = count;
    return 0;
}

int cairn_feature_stats_history(cairn_home *home, const char *name, json_t **out, cairn_error *err)
{
    char **names = NULL;
    size_t n = 0;
    *out = NULL;
    int rc = resolve_features(home, name, &names, &n, err);
    json_t *features = rc ? NULL : json_array();
    if (rc == 0 && !features) rc = oom(err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *versions = NULL;
        rc = feature_versions(home, names[i], &versions, err);
        json_t *f = rc ? NULL : json_pack("{s:s, s:o}", "feature", names[i], "versions", versions);
        if (rc == 0 && (!f || json_array_append_new(features, f))) rc = oom(err);
    }
    for (size_t i = 0; i < n; i++) cairn_free(names[i]);
    cairn_free(names);
    if (rc == 0 && !(*out = json_pack("{s:s, s:o}", "name", name, "features", features))) rc = oom(err);
    else if (rc) json_decref(features);
    return rc;
}
