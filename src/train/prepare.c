/* src/train/prepare.c: the data side of `cairn train` (src/train/train.c): the training set
 * read, labels, slice columns joined in, the split into parts, categorical encoders fitted on
 * the training rows, and one float matrix per part.
 *
 * - The training set is a file (CSV, JSON Lines, Parquet) or a training-set id (any unique
 *   prefix) whose Parquet object is read from the object store. Its id for lineage is the
 *   training set's id, or the SHA-256 of the file.
 * - Rows with a null label are dropped (counted). Binary labels must be 0/1 (bools too);
 *   multiclass labels 0..K-1.
 * - Features: the configured list, or every column except the label, the time column, the
 *   group column and `exclude`. Numbers and bools go in as they are (null -> NaN, which
 *   XGBoost treats as missing and the linear learners impute). Strings are encoded with the
 *   feature store's encoders (include/cairn/feature.h), fitted on training rows only: one-hot
 *   when the training rows hold at most 16 distinct values, else target encoding fitted out
 *   of fold (so no training row sees its own label; multiclass: frequency-thresholded
 *   hashing instead). Timestamps and dates are left out, and the report says so.
 * - Parts: temporal (time ranges or fractions, with a gap) or k folds of which fold 0 is the
 *   test part and fold 1 validation (random, stratified or grouped), then a calibration part
 *   carved out of the validation rows (the latest ones for temporal splits).
 *
 * Tests: tests/unit/train/test_train.c, tests/integration/test_train_cli.sh.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cairn/catalog.h"
#include "cairn/lake.h"
#include "train/train_internal.h"

static int oom(cairn_error *err) { return cairn_error_set(err, CAIRN_ENOMEM, "out of memory"); }

/* ------------------------------------------------------------------------------------------
 * The training set
 * ---------------------------------------------------------------------------------------- */

/* A training-set id prefix -> its full id and object; *found false when none matches. */
static int find_training_set(cairn_trainer *t, const char *ref, char id[65], char object[65], bool *found)
{
    cairn_stmt *st = NULL;
    *found = false;
    size_t len = strlen(ref);
    if (len < 4 || len > 64 || strspn(ref, "0123456789abcdef") != len) return 0;
    int rc = cairn_catalog_prepare(cairn_home_catalog(t->home),
                                   "SELECT id, object FROM training_sets WHERE substr(id, 1, ?2) = ?1 LIMIT 2",
                                   &st, t->err);
    if (rc) return rc;
    cairn_stmt_bind_text(st, 1, ref, len);
    cairn_stmt_bind_int64(st, 2, (int64_t)len);
    int n = 0;
    while ((rc = cairn_stmt_step(st, t->err)) == 1) {
        if (n++ == 0) {
            snprintf(id, 65, "%s", cairn_stmt_text(st, 0, NULL));
            snprintf(object, 65, "%s", cairn_stmt_text(st, 1, NULL));
        }
    }
    cairn_stmt_finalize(st);
    if (rc < 0) return rc;
    if (n > 1) return cairn_error_set(t->err, CAIRN_EINVAL, "training set id prefix '%s' is ambiguous", ref);
    *found = n == 1;
    return 0;
}

static int read_training_set(cairn_trainer *t)
{
    const char *ref = t->cfg->training_set;
    char object[65], path[4400];
    bool found = false;
    int rc = 0;
    if (access(ref, R_OK) != 0) rc = find_training_set(t, ref, t->set_id, object, &found);
    if (rc) return rc;
    if (found) {
        if (cairn_object_path(cairn_home_path(t->home), object, path, sizeof path, t->err)) return t->err->code;
        rc = cairn_table_read_file(path, "parquet", NULL, &t->data, t->err);
        t->set_is_id = true;
    } else {
        if (access(ref, R_OK) != 0)
            return cairn_error_set(t->err, CAIRN_ENOTFOUND,
                                   "training_set '%s' is neither a readable file nor a training set id", ref);
        uint8_t sum[CAIRN_SHA256_LEN];
        rc = cairn_sha256_file(ref, sum, t->err);
        if (rc == 0) cairn_hex_encode(sum, CAIRN_SHA256_LEN, t->set_id);
        if (rc == 0) rc = cairn_table_read_file(ref, NULL, NULL, &t->data, t->err);
    }
    if (rc) return cairn_error_prefix(t->err, "reading the training set: "), rc;
    if (cairn_table_num_rows(t->data) == 0)
        return cairn_error_set(t->err, CAIRN_EINVAL, "the training set '%s' has no rows", ref);
    return 0;
}

static const cairn_column *need_column(cairn_trainer *t, const char *name, const char *what)
{
    const cairn_column *c = cairn_table_column_by_name(t->data, name);
    if (!c) {
        cairn_error_set(t->err, CAIRN_EINVAL, "%s: the training set has no column '%s'", what, name);
        cairn_error_field(t->err, name);
    }
    return c;
}

/* The label as doubles; rows with a null label are dropped later (NaN). */
static int read_labels(cairn_trainer *t)
{
    const cairn_train_config *cfg = t->cfg;
    int64_t n = cairn_table_num_rows(t->data);
    if (!(t->y = cairn_malloc((size_t)n * sizeof *t->y))) return oom(t->err);
    if (cfg->task == CAIRN_TASK_CLUSTERING && !cfg->label) {
        for (int64_t i = 0; i < n; i++) t->y[i] = 0;
        return 0;
    }
    const cairn_column *c = need_column(t, cfg->label, "label");
    if (!c) return t->err->code;
    cairn_buf text;
    cairn_buf_init(&text, 0);
    for (int64_t i = 0; i < n; i++) {
        cairn_value v;
        cairn_column_get(c, i, &v);
        double y = NAN;
        if (v.is_null) {
            t->y[i] = NAN;
            continue;
        }
        if (cfg->positive) { /* class 1 is the value equal to `positive` */
            cairn_buf_reset(&text);
            if (cairn_value_format(&v, NULL, &text)) {
                cairn_buf_release(&text);
                return oom(t->err);
            }
            t->y[i] = text.len == strlen(cfg->positive) && !memcmp(text.data, cfg->positive, text.len);
            t->positives += t->y[i] == 1;
            continue;
        }
        switch (v.type) {
        case CAIRN_TYPE_BOOL: y = v.v.b; break;
        case CAIRN_TYPE_INT32: y = v.v.i32; break;
        case CAIRN_TYPE_INT64: y = (double)v.v.i64; break;
        case CAIRN_TYPE_FLOAT32: y = v.v.f32; break;
        case CAIRN_TYPE_FLOAT64: y = v.v.f64; break;
        default:
            cairn_buf_release(&text);
            return cairn_error_set(t->err, CAIRN_ETYPE, "label '%s' is a %s; expected a number or bool "
                                   "(or name the positive class with 'positive: VALUE')",
                                   cfg->label, cairn_type_name(v.type));
        }
        if ((cfg->task == CAIRN_TASK_BINARY && y != 0 && y != 1) ||
            (cfg->task == CAIRN_TASK_MULTICLASS && (y < 0 || y != floor(y) || y > 1000)) || !isfinite(y)) {
            cairn_buf_release(&text);
            return cairn_error_set(t->err, CAIRN_EINVAL, "label '%s', row %lld: %g is not a %s label%s", cfg->label,
                                   (long long)i + 1, y, cairn_task_name(cfg->task),
                                   cfg->task == CAIRN_TASK_BINARY ? " (expected 0 or 1)" : "");
        }
        t->y[i] = y;
        if (cfg->task == CAIRN_TASK_MULTICLASS && y + 1 > t->num_class) t->num_class = (int)y + 1;
    }
    cairn_buf_release(&text);
    if (cfg->positive && t->positives == 0)
        return cairn_error_set(t->err, CAIRN_EINVAL, "label '%s': no row has the positive value '%s'", cfg->label,
                               cfg->positive);
    if (cfg->task == CAIRN_TASK_BINARY) t->num_class = 2;
    return 0;
}

/* Event times (µs) of a column, CAIRN_TIME_NULL for nulls. */
static int read_times(cairn_trainer *t, const char *name, int64_t **out)
{
    const cairn_column *c = need_column(t, name, "time");
    if (!c) return t->err->code;
    if (c->type != CAIRN_TYPE_TIMESTAMP && c->type != CAIRN_TYPE_DATE32 && c->type != CAIRN_TYPE_INT64)
        return cairn_error_set(t->err, CAIRN_ETYPE, "time column '%s' is a %s; expected a timestamp or date", name,
                               cairn_type_name(c->type));
    int64_t n = cairn_table_num_rows(t->data);
    int64_t *times = cairn_malloc((size_t)n * sizeof *times);
    if (!times) return oom(t->err);
    for (int64_t i = 0; i < n; i++) {
        if (!cairn_column_is_valid(c, i)) times[i] = INT64_MIN;
        else if (c->type == CAIRN_TYPE_DATE32) times[i] = (int64_t)cairn_column_i32(c, i) * CAIRN_US_PER_DAY;
        else times[i] = cairn_column_i64(c, i);
    }
    *out = times;
    return 0;
}

/* Group ids for a grouped split: a hash of each value's text (equal values, equal ids). */
static int read_groups(cairn_trainer *t, int64_t **out)
{
    const cairn_column *c = need_column(t, t->cfg->group_column, "split.group");
    if (!c) return t->err->code;
    int64_t n = cairn_table_num_rows(t->data);
    int64_t *g = cairn_malloc((size_t)n * sizeof *g);
    cairn_buf b;
    cairn_buf_init(&b, 0);
    if (!g) return oom(t->err);
    for (int64_t i = 0; i < n; i++) {
        cairn_value v;
        cairn_column_get(c, i, &v);
        cairn_buf_reset(&b);
        if (!v.is_null && cairn_value_format(&v, NULL, &b)) {
            cairn_buf_release(&b);
            cairn_free(g);
            return oom(t->err);
        }
        g[i] = v.is_null ? -1 : (int64_t)(cairn_hash64(b.data, b.len, 0) >> 1);
    }
    cairn_buf_release(&b);
    *out = g;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * The split
 * ---------------------------------------------------------------------------------------- */

static int split_rows(cairn_trainer *t)
{
    const cairn_train_config *cfg = t->cfg;
    size_t n = (size_t)cairn_table_num_rows(t->data);
    int64_t *times = NULL, *groups = NULL;
    int32_t *fold = NULL;
    int rc = 0;
    if (!(t->part = cairn_malloc(n))) return oom(t->err);
    if (cfg->time_column) rc = read_times(t, cfg->time_column, &times);
    if (rc == 0 && cfg->split == CAIRN_SPLIT_TEMPORAL) {
        cairn_temporal_split spec;
        rc = cairn_temporal_split_parse(cfg->split_config, &spec, t->err);
        if (rc) cairn_error_prefix(t->err, "%s: split: ", cfg->path);
        if (rc == 0) rc = cairn_split_temporal(&spec, times, n, t->part, NULL, t->err);
        if (rc == 0 && (!spec.has_valid && !spec.by_fractions))
            rc = cairn_error_set(t->err, CAIRN_EINVAL, "%s: split: a validation range is needed", cfg->path);
    } else if (rc == 0) {
        cairn_kfold_spec spec = {cfg->split == CAIRN_SPLIT_STRATIFIED ? CAIRN_KFOLD_STRATIFIED
                                 : cfg->split == CAIRN_SPLIT_GROUP    ? CAIRN_KFOLD_GROUPED
                                                                      : CAIRN_KFOLD_PLAIN,
                                 (int32_t)cfg->folds, true, cfg->seed};
        bool *mask = cairn_malloc(n);
        if (!(fold = cairn_malloc(n * sizeof *fold)) || !mask) rc = oom(t->err);
        if (rc == 0 && cfg->split == CAIRN_SPLIT_GROUP) rc = read_groups(t, &groups);
        for (size_t i = 0; rc == 0 && i < n; i++) mask[i] = !isnan(t->y[i]) && (!groups || groups[i] >= 0);
        if (rc == 0) rc = cairn_kfold_assign_subset(&spec, t->y, groups, mask, n, fold, t->err);
        for (size_t i = 0; rc == 0 && i < n; i++)
            t->part[i] = fold[i] < 0 ? CAIRN_PART_DROPPED : fold[i] == 0 ? CAIRN_PART_TEST
                         : fold[i] == 1 ? CAIRN_PART_VALID : CAIRN_PART_TRAIN;
        cairn_free(mask);
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (isnan(t->y[i])) {
            t->part[i] = CAIRN_PART_DROPPED;
            t->null_labels++;
        }
    if (rc == 0 && cfg->calibrate)
        rc = cairn_split_carve_calibration(t->part, times, n, CAIRN_PART_VALID, cfg->calibration_fraction,
                                           times ? CAIRN_CALIB_TEMPORAL_LAST : CAIRN_CALIB_RANDOM, cfg->seed,
                                           t->err);
    /* row indices per part */
    cairn_split_counts counts;
    if (rc == 0) cairn_split_count(t->part, n, &counts);
    for (int p = 0; rc == 0 && p < CAIRN_PART_COUNT; p++) {
        t->nrows[p] = counts.rows[p];
        if (!(t->rows[p] = cairn_malloc((size_t)(counts.rows[p] + 1) * sizeof *t->rows[p]))) rc = oom(t->err);
    }
    if (rc == 0) t->dropped = counts.dropped;
    int64_t fill[CAIRN_PART_COUNT] = {0};
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (t->part[i] >= 0) t->rows[t->part[i]][fill[t->part[i]]++] = (int64_t)i;
    if (rc == 0 && (t->nrows[CAIRN_PART_TRAIN] == 0 || t->nrows[CAIRN_PART_VALID] == 0 || t->nrows[CAIRN_PART_TEST] == 0))
        rc = cairn_error_set(t->err, CAIRN_EINVAL, "the split leaves %lld training, %lld validation and %lld test rows; "
                             "every part needs rows", (long long)t->nrows[0], (long long)t->nrows[1],
                             (long long)t->nrows[2]);
    if (rc == 0 && cfg->task == CAIRN_TASK_BINARY) {
        for (int p = 0; p < 3 && rc == 0; p++) {
            int64_t pos = 0;
            for (int64_t i = 0; i < t->nrows[p]; i++) pos += t->y[t->rows[p][i]] == 1;
            if (pos == 0 || pos == t->nrows[p])
                rc = cairn_error_set(t->err, CAIRN_EINVAL, "the %s part holds only one class (%lld of %lld rows positive)",
                                     cairn_part_name(p), (long long)pos, (long long)t->nrows[p]);
        }
    }
    t->times = times;
    cairn_free(groups);
    cairn_free(fold);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Slices: a column of the training set, or a value looked up in another file
 * ---------------------------------------------------------------------------------------- */

/* A slice cut into bins or mapped value by value, as a new string column. */
static int derived_slice(cairn_trainer *t, const cairn_train_slice *sl, const cairn_column *src)
{
    cairn_column *out = NULL;
    if (cairn_column_create(sl->name, CAIRN_TYPE_STRING, true, &out)) return oom(t->err);
    cairn_buf b;
    cairn_buf_init(&b, 0);
    int rc = 0;
    int64_t n = cairn_table_num_rows(t->data);
    for (int64_t i = 0; rc == 0 && i < n; i++) {
        cairn_value v;
        cairn_column_get(src, i, &v);
        cairn_buf_reset(&b);
        if (v.is_null) {
            rc = cairn_column_append_null(out);
            continue;
        }
        if (sl->nbins) {
            double x;
            switch (v.type) {
            case CAIRN_TYPE_INT32: x = v.v.i32; break;
            case CAIRN_TYPE_INT64: x = (double)v.v.i64; break;
            case CAIRN_TYPE_FLOAT32: x = v.v.f32; break;
            case CAIRN_TYPE_FLOAT64: x = v.v.f64; break;
            default:
                cairn_column_free(out);
                cairn_buf_release(&b);
                return cairn_error_set(t->err, CAIRN_ETYPE, "slice '%s': bins need a numeric column; '%s' is a %s",
                                       sl->name, sl->column, cairn_type_name(v.type));
            }
            size_t k = 0;
            while (k < sl->nbins && x > sl->bins[k]) k++;
            if (k == 0) rc = cairn_buf_printf(&b, "<= %g", sl->bins[0]);
            else if (k == sl->nbins) rc = cairn_buf_printf(&b, "> %g", sl->bins[k - 1]);
            else rc = cairn_buf_printf(&b, "(%g, %g]", sl->bins[k - 1], sl->bins[k]);
        } else {
            rc = cairn_value_format(&v, NULL, &b);
            for (size_t k = 0; rc == 0 && k < sl->nmap; k++)
                if (b.len == strlen(sl->map_from[k]) && !memcmp(b.data, sl->map_from[k], b.len)) {
                    cairn_buf_reset(&b);
                    rc = cairn_buf_puts(&b, sl->map_to[k]);
                    break;
                }
        }
        if (rc == 0) rc = cairn_column_append_string(out, b.data ? b.data : "", b.len);
    }
    cairn_buf_release(&b);
    if (rc) {
        cairn_column_free(out);
        return oom(t->err);
    }
    return cairn_table_adopt_column(t->data, out, t->err);
}

static int add_slice_columns(cairn_trainer *t)
{
    const cairn_train_config *cfg = t->cfg;
    for (size_t s = 0; s < cfg->nslices; s++) {
        const cairn_train_slice *sl = &cfg->slices[s];
        const cairn_column *src = need_column(t, sl->column, "slice");
        if (!src) return t->err->code;
        if (sl->nbins || sl->nmap) {
            int rc = derived_slice(t, sl, src);
            if (rc) return rc;
            continue;
        }
        if (!sl->lookup_file) continue;
        cairn_table *lk = NULL;
        int rc = cairn_table_read_file(sl->lookup_file, NULL, NULL, &lk, t->err);
        if (rc) return cairn_error_prefix(t->err, "slice '%s': ", sl->name), rc;
        const cairn_column *kc = cairn_table_column_by_name(lk, sl->lookup_key);
        const cairn_column *vc = cairn_table_column_by_name(lk, sl->lookup_value);
        if (!kc || !vc) {
            cairn_table_free(lk);
            return cairn_error_set(t->err, CAIRN_EINVAL, "slice '%s': %s has no column '%s'", sl->name,
                                   sl->lookup_file, kc ? sl->lookup_value : sl->lookup_key);
        }
        /* key text -> value text, by a sorted array of (hash, row) */
        cairn_column *out = NULL;
        if (cairn_column_create(sl->name, CAIRN_TYPE_STRING, true, &out)) {
            cairn_table_free(lk);
            return oom(t->err);
        }
        cairn_buf a, b;
        cairn_buf_init(&a, 0);
        cairn_buf_init(&b, 0);
        int64_t nk = cairn_table_num_rows(lk), n = cairn_table_num_rows(t->data);
        /* the lookup's keys by the hash of their text, open addressing */
        size_t cap = 16;
        while (cap < (size_t)nk * 2) cap *= 2;
        int64_t *slot = cairn_malloc(cap * sizeof *slot);
        uint64_t *hash = cairn_malloc(((size_t)nk + 1) * sizeof *hash);
        cairn_buf keys;
        cairn_buf_init(&keys, 0);
        size_t *koff = cairn_malloc(((size_t)nk + 1) * sizeof *koff);
        if (!slot || !hash || !koff) rc = CAIRN_ENOMEM;
        if (rc == 0) memset(slot, 0xff, cap * sizeof *slot);
        for (int64_t k = 0; rc == 0 && k < nk; k++) {
            cairn_value kv;
            cairn_column_get(kc, k, &kv);
            koff[k] = keys.len;
            if (kv.is_null) {
                hash[k] = 0;
                continue;
            }
            size_t at = keys.len;
            if ((rc = cairn_value_format(&kv, NULL, &keys))) break;
            hash[k] = cairn_hash64(keys.data + at, keys.len - at, 0);
            size_t h = hash[k] & (cap - 1);
            while (slot[h] >= 0) h = (h + 1) & (cap - 1);
            slot[h] = k; /* duplicates: the first row wins at lookup (found first) */
        }
        for (int64_t i = 0; rc == 0 && i < n; i++) {
            cairn_value v, w;
            cairn_column_get(src, i, &v);
            cairn_buf_reset(&a);
            int64_t hit = -1;
            if (!v.is_null && cairn_value_format(&v, NULL, &a) == 0) {
                uint64_t hv = cairn_hash64(a.data, a.len, 0);
                for (size_t h = hv & (cap - 1); slot[h] >= 0 && hit < 0; h = (h + 1) & (cap - 1)) {
                    int64_t k = slot[h];
                    size_t len = (k + 1 < nk ? koff[k + 1] : keys.len) - koff[k];
                    if (hash[k] == hv && len == a.len && !memcmp(keys.data + koff[k], a.data, len)) hit = k;
                }
            }
            if (hit < 0) {
                rc = cairn_column_append_null(out);
                continue;
            }
            cairn_column_get(vc, hit, &w);
            cairn_buf_reset(&b);
            if (w.is_null) rc = cairn_column_append_null(out);
            else if ((rc = cairn_value_format(&w, NULL, &b)) == 0) rc = cairn_column_append_string(out, b.data, b.len);
        }
        cairn_free(slot);
        cairn_free(hash);
        cairn_free(koff);
        cairn_buf_release(&keys);
        cairn_buf_release(&a);
        cairn_buf_release(&b);
        cairn_table_free(lk);
        if (rc) {
            cairn_column_free(out);
            return oom(t->err);
        }
        if ((rc = cairn_table_adopt_column(t->data, out, t->err))) return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Features and encoders
 * ---------------------------------------------------------------------------------------- */

static bool listed(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && !strcmp(list[i], name)) return true;
    return false;
}

static int add_note(cairn_trainer *t, const char *fmt, ...) CAIRN_PRINTF(2, 3);
static int add_note(cairn_trainer *t, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return json_array_append_new(t->notes, json_string(line)) ? oom(t->err) : 0;
}

/* Chooses the input columns and the encoders of the string ones (fitted on training rows). */
static int choose_features(cairn_trainer *t, cairn_table *train)
{
    const cairn_train_config *cfg = t->cfg;
    size_t ncols = cairn_table_num_columns(t->data);
    int rc = 0;
    if (!(t->inputs = cairn_calloc(ncols + 1, sizeof *t->inputs))) return oom(t->err);
    if (!(t->encoders = cairn_calloc(ncols + 1, sizeof *t->encoders))) return oom(t->err);
    for (size_t i = 0; i < cfg->nfeatures; i++)
        if (!need_column(t, cfg->features[i], "features")) return t->err->code;
    for (size_t i = 0; i < ncols && rc == 0; i++) {
        const cairn_column *c = cairn_table_column(t->data, i);
        const char *name = c->name;
        if (cfg->nfeatures ? !listed(cfg->features, cfg->nfeatures, name)
                           : (listed(cfg->exclude, cfg->nexclude, name) || (cfg->label && !strcmp(name, cfg->label)) ||
                              (cfg->time_column && !strcmp(name, cfg->time_column)) ||
                              (cfg->group_column && !strcmp(name, cfg->group_column))))
            continue;
        bool slice_only = false;
        for (size_t s = 0; s < cfg->nslices; s++)
            if ((cfg->slices[s].lookup_file || cfg->slices[s].nbins || cfg->slices[s].nmap) &&
                !strcmp(cfg->slices[s].name, name))
                slice_only = true;
        if (slice_only) continue;
        switch (c->type) {
        case CAIRN_TYPE_BOOL: case CAIRN_TYPE_INT32: case CAIRN_TYPE_INT64: case CAIRN_TYPE_FLOAT32:
        case CAIRN_TYPE_FLOAT64:
            t->inputs[t->ninputs++] = name;
            break;
        case CAIRN_TYPE_STRING: {
            cairn_column_stats *st = NULL;
            size_t nst = 0;
            cairn_table *one = NULL;
            const char *names[1] = {name};
            int64_t distinct = 0;
            if ((rc = cairn_table_project(train, names, 1, &one, t->err))) break;
            if ((rc = cairn_table_stats(one, 1, &st, &nst, t->err)) == 0) distinct = st[0].distinct;
            cairn_table_stats_free(st, nst);
            cairn_table_free(one);
            if (rc) break;
            cairn_encoder_kind kind = distinct <= 16 ? CAIRN_ENC_ONEHOT
                                      : !cfg->positive && (cfg->task == CAIRN_TASK_BINARY || cfg->task == CAIRN_TASK_REGRESSION)
                                          ? CAIRN_ENC_TARGET
                                          : CAIRN_ENC_HASHING;
            cairn_encoder_options eo;
            cairn_encoder_options_init(&eo, kind, name);
            eo.target = cfg->label;
            eo.seed = cfg->seed;
            eo.max_categories = 16;
            eo.buckets = 1024;
            cairn_encoder *enc = NULL;
            cairn_column *oof = NULL;
            if ((rc = cairn_encoder_fit(&eo, train, &enc, kind == CAIRN_ENC_TARGET ? &oof : NULL, t->err))) {
                cairn_error_prefix(t->err, "encoding feature '%s': ", name);
                break;
            }
            t->encoders[t->nencoders].enc = enc;
            t->encoders[t->nencoders].train_oof = oof;
            t->encoders[t->nencoders].column = name;
            t->nencoders++;
            break;
        }
        default:
            rc = add_note(t, "left out '%s': a time is not a feature (derive calendar features instead)", name);
            break;
        }
    }
    return rc;
}

/* The part's rows with the encoders applied; the encoded columns' names are collected once. */
static int encode_part(cairn_trainer *t, int part, cairn_table **out)
{
    cairn_table *cur = NULL;
    int rc = cairn_table_take(t->data, t->rows[part], t->nrows[part], &cur) ? oom(t->err) : 0;
    for (size_t e = 0; rc == 0 && e < t->nencoders; e++) {
        cairn__train_encoder *te = &t->encoders[e];
        cairn_table *next = NULL;
        if (part == CAIRN_PART_TRAIN && te->train_oof) { /* out of fold: no row sees its own label */
            cairn_column *copy = NULL;
            if (cairn_table_copy(cur, &next) || cairn_column_copy(te->train_oof, &copy)) {
                cairn_table_free(next);
                next = NULL;
                rc = oom(t->err);
            } else {
                rc = cairn_table_adopt_column(next, copy, t->err);
            }
        } else {
            rc = cairn_encoder_transform(te->enc, cur, &next, t->err);
        }
        cairn_table_free(cur);
        cur = next;
    }
    if (rc) {
        cairn_table_free(cur);
        return rc;
    }
    *out = cur;
    return 0;
}

int cairn__train_prepare(cairn_trainer *t)
{
    int rc = read_training_set(t);
    if (rc == 0) rc = read_labels(t);
    if (rc == 0) rc = add_slice_columns(t);
    if (rc == 0) rc = split_rows(t);
    cairn_table *parts[CAIRN_PART_COUNT] = {NULL};
    if (rc == 0 && cairn_table_take(t->data, t->rows[CAIRN_PART_TRAIN], t->nrows[CAIRN_PART_TRAIN], &parts[0]))
        rc = oom(t->err);
    if (rc == 0) rc = choose_features(t, parts[0]);
    cairn_table_free(parts[0]);
    parts[0] = NULL;
    for (int p = 0; rc == 0 && p < CAIRN_PART_COUNT; p++) rc = encode_part(t, p, &parts[p]);
    /* the matrix columns: the numeric inputs in order, then each encoder's outputs */
    if (rc == 0) {
        const cairn_table *tr = parts[CAIRN_PART_TRAIN];
        size_t nc = cairn_table_num_columns(tr), base = (size_t)cairn_table_num_columns(t->data);
        if (!(t->features = cairn_calloc(nc + 1, sizeof *t->features))) rc = oom(t->err);
        for (size_t i = 0; rc == 0 && i < t->ninputs; i++)
            if (!(t->features[t->nfeatures++] = cairn_strdup(t->inputs[i]))) rc = oom(t->err);
        for (size_t i = base; rc == 0 && i < nc; i++)
            if (!(t->features[t->nfeatures++] = cairn_strdup(cairn_table_column(tr, i)->name))) rc = oom(t->err);
        if (rc == 0 && t->nfeatures == 0) rc = cairn_error_set(t->err, CAIRN_EINVAL, "no feature columns to train on");
    }
    for (int p = 0; rc == 0 && p < CAIRN_PART_COUNT; p++) {
        if (t->nrows[p] == 0) continue;
        rc = cairn_matrix_from_table(parts[p], (const char *const *)t->features, t->nfeatures, &t->x[p], t->err);
        if (rc == 0 && !(t->yp[p] = cairn_malloc((size_t)t->nrows[p] * sizeof *t->yp[p]))) rc = oom(t->err);
        for (int64_t i = 0; rc == 0 && i < t->nrows[p]; i++) t->yp[p][i] = t->y[t->rows[p][i]];
    }
    for (int p = 0; p < CAIRN_PART_COUNT; p++) cairn_table_free(parts[p]);
    return rc;
}

void cairn__train_prepare_release(cairn_trainer *t)
{
    for (size_t e = 0; e < t->nencoders; e++) {
        cairn_encoder_free(t->encoders[e].enc);
        cairn_column_free(t->encoders[e].train_oof);
    }
    cairn_free(t->encoders);
    cairn_free(t->inputs);
    for (size_t i = 0; t->features && i < t->nfeatures; i++) cairn_free(t->features[i]);
    cairn_free(t->features);
    for (int p = 0; p < CAIRN_PART_COUNT; p++) {
        cairn_matrix_release(&t->x[p]);
        cairn_free(t->yp[p]);
        cairn_free(t->rows[p]);
    }
    cairn_free(t->part);
    cairn_free(t->times);
    cairn_free(t->y);
    cairn_table_free(t->data);
}
