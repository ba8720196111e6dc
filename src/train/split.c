/* src/train/split.c: temporal splits, k-fold cross-validation (plain, stratified, grouped),
 * calibration parts and nested cross-validation (include/cairn/split.h).
 *
 * Everything is array based: the inputs are per-row times, labels or group ids, the outputs
 * per-row part or fold numbers the caller allocated. The algorithms:
 * - Temporal by ranges: one pass; a row takes the part whose [begin, end) holds its time,
 *   then leaves it again when it lies within the gap before the next present part's begin.
 * - Temporal by fractions: a stable sort of row numbers by time; boundaries at rounded
 *   fractions of the rows with a time, each moved forward past its run of equal times, so
 *   ties never straddle parts; the gap is measured from the next part's earliest row.
 * - Plain k-fold: sklearn KFold (optionally shuffled row numbers cut into chunks).
 * - Stratified k-fold: sklearn 1.2 StratifiedKFold's allocation, computed from class counts
 *   instead of materialising the sorted labels: sorted by class (numbered by first
 *   appearance), class c occupies positions [start_c, start_c + n_c), and the rows fold f
 *   gets are the positions p with p % k == f.
 * - Grouped k-fold: sklearn GroupKFold's greedy bin packing, largest groups first.
 * Invariant of every fold result: each selected row is in exactly one test fold in [0, k).
 *
 * Tests: tests/unit/train/test_split.c.
 */
#include "cairn/split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------
 * Private helpers
 * ---------------------------------------------------------------------------------------- */

static const char *const PART_NAMES[CAIRN_PART_COUNT] = {"train", "validation", "test",
                                                         "calibration"};

/* Sorting row numbers by a key with the row number breaking ties (a stable order). */
typedef struct {
    int64_t key;
    int64_t row;
} keyed_row;

static int cmp_keyed_row(const void *a, const void *b)
{
    const keyed_row *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

typedef struct {
    double key;
    int64_t row;
} dkeyed_row;

static int cmp_dkeyed_row(const void *a, const void *b)
{
    const dkeyed_row *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

static int nomem(cairn_error *err)
{
    return cairn_error_set(err, CAIRN_ENOMEM, "out of memory while splitting rows");
}

/* True when a row at time t lies within gap_us before `begin` (t < begin assumed). The
 * difference is taken in unsigned arithmetic, where it cannot overflow. */
static bool within_gap(int64_t t, int64_t begin, int64_t gap_us)
{
    return (uint64_t)begin - (uint64_t)t < (uint64_t)gap_us;
}

static void format_range(const cairn_time_range *r, char *out, size_t cap)
{
    char a[CAIRN_TIME_FMT_LEN], b[CAIRN_TIME_FMT_LEN];
    cairn_time_format(r->begin_us, a, sizeof a);
    cairn_time_format(r->end_us, b, sizeof b);
    snprintf(out, cap, "[%s, %s)", a, b);
}

static void format_gap(int64_t gap_us, bool dropped_by_gap, char *out, size_t cap)
{
    out[0] = '\0';
    if (gap_us <= 0 || !dropped_by_gap) return;
    char d[64];
    cairn_duration_format(gap_us, d, sizeof d);
    snprintf(out, cap, " (after a gap of %s)", d);
}

/* ------------------------------------------------------------------------------------------
 * Parts
 * ---------------------------------------------------------------------------------------- */

const char *cairn_part_name(int part)
{
    if (part >= 0 && part < CAIRN_PART_COUNT) return PART_NAMES[part];
    return "dropped";
}

void cairn_split_count(const int8_t *assign, size_t n, cairn_split_counts *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        if (assign[i] >= 0 && assign[i] < CAIRN_PART_COUNT)
            out->rows[assign[i]]++;
        else
            out->dropped++;
    }
}

/* ------------------------------------------------------------------------------------------
 * Temporal by ranges
 * ---------------------------------------------------------------------------------------- */

static int check_range(const cairn_time_range *r, int part, cairn_error *err)
{
    if (r->begin_us < r->end_us) return 0;
    char text[128];
    format_range(r, text, sizeof text);
    cairn_error_set(err, CAIRN_EINVAL,
                    "the %s range %s is empty: its end must be after its "
                    "begin",
                    PART_NAMES[part], text);
    cairn_error_field(err, PART_NAMES[part]);
    return CAIRN_EINVAL;
}

static int check_ranges(const cairn_temporal_split *s, cairn_error *err)
{
    const cairn_time_range *r[3] = {&s->train, &s->valid, &s->test};
    bool present[3] = {true, s->has_valid, s->has_test};
    int prev = -1;
    for (int p = 0; p < 3; p++) {
        if (!present[p]) continue;
        int rc = check_range(r[p], p, err);
        if (rc) return rc;
        if (prev >= 0 && r[prev]->end_us > r[p]->begin_us) {
            char a[128], b[128];
            format_range(r[prev], a, sizeof a);
            format_range(r[p], b, sizeof b);
            cairn_error_set(err, CAIRN_EINVAL,
                            "the %s range %s overlaps or follows the %s "
                            "range %s: ranges must be in time order",
                            PART_NAMES[p], b, PART_NAMES[prev], a);
            cairn_error_field(err, PART_NAMES[p]);
            return CAIRN_EINVAL;
        }
        prev = p;
    }
    return 0;
}

/* The part of time t by ranges, before the gap: 0..2 or -1. */
static int range_part(const cairn_temporal_split *s, int64_t t)
{
    if (t >= s->train.begin_us && t < s->train.end_us) return CAIRN_PART_TRAIN;
    if (s->has_valid && t >= s->valid.begin_us && t < s->valid.end_us) return CAIRN_PART_VALID;
    if (s->has_test && t >= s->test.begin_us && t < s->test.end_us) return CAIRN_PART_TEST;
    return CAIRN_PART_DROPPED;
}

static int split_by_ranges(const cairn_temporal_split *s, const int64_t *times, size_t n,
                           int8_t *assign, cairn_error *err)
{
    int rc = check_ranges(s, err);
    if (rc) return rc;
    const cairn_time_range *r[3] = {&s->train, &s->valid, &s->test};
    bool present[3] = {true, s->has_valid, s->has_test};
    int next[3] = {-1, -1, -1}; /* the next present part after each */
    for (int p = 1; p >= 0; p--)
        next[p] = present[p + 1] ? p + 1 : next[p + 1];
    int64_t kept[3] = {0, 0, 0}, gapped[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        int p = times[i] == CAIRN_TIME_NULL ? CAIRN_PART_DROPPED : range_part(s, times[i]);
        if (p >= 0 && next[p] >= 0 && within_gap(times[i], r[next[p]]->begin_us, s->gap_us)) {
            gapped[p]++;
            p = CAIRN_PART_DROPPED;
        }
        assign[i] = (int8_t)p;
        if (p >= 0) kept[p]++;
    }
    for (int p = 0; p < 3; p++) {
        if (!present[p] || kept[p] > 0) continue;
        char range[128], gap[96];
        format_range(r[p], range, sizeof range);
        format_gap(s->gap_us, gapped[p] > 0, gap, sizeof gap);
        cairn_error_set(err, CAIRN_EINVAL, "the %s part %s holds no rows%s", PART_NAMES[p], range,
                        gap);
        cairn_error_field(err, PART_NAMES[p]);
        return CAIRN_EINVAL;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Temporal by fractions
 * ---------------------------------------------------------------------------------------- */

static int check_fractions(const cairn_temporal_split *s, cairn_error *err)
{
    double f[3] = {s->train_fraction, s->valid_fraction, s->test_fraction};
    for (int p = 0; p < 3; p++) {
        if (!(f[p] >= 0 && f[p] <= 1) || (p == 0 && f[p] == 0)) {
            cairn_error_set(err, CAIRN_EINVAL, "the %s fraction %g must be in %s", PART_NAMES[p],
                            f[p], p == 0 ? "(0, 1]" : "[0, 1]");
            cairn_error_field(err, PART_NAMES[p]);
            return CAIRN_EINVAL;
        }
    }
    double sum = f[0] + f[1] + f[2];
    if (fabs(sum - 1.0) > 1e-9) {
        cairn_error_set(err, CAIRN_EINVAL, "the fractions %g + %g + %g sum to %g, not 1", f[0],
                        f[1], f[2], sum);
        cairn_error_field(err, "fractions");
        return CAIRN_EINVAL;
    }
    return 0;
}

/* Moves a boundary forward past its run of equal times. */
static size_t past_ties(const keyed_row *sorted, size_t m, size_t b)
{
    while (b > 0 && b < m && sorted[b].key == sorted[b - 1].key)
        b++;
    return b;
}

static size_t round_rows(double fraction, size_t m)
{
    double x = floor(fraction * (double)m + 0.5);
    return x >= (double)m ? m : (size_t)x;
}

static int split_by_fractions(const cairn_temporal_split *s, const int64_t *times, size_t n,
                              int8_t *assign, cairn_error *err)
{
    int rc = check_fractions(s, err);
    if (rc) return rc;
    keyed_row *sorted = cairn_malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted) return nomem(err);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        assign[i] = CAIRN_PART_DROPPED;
        if (times[i] != CAIRN_TIME_NULL) sorted[m++] = (keyed_row){times[i], (int64_t)i};
    }
    qsort(sorted, m, sizeof *sorted, cmp_keyed_row);
    bool present[3] = {true, s->valid_fraction > 0, s->test_fraction > 0};
    size_t b1 = past_ties(sorted, m, round_rows(s->train_fraction, m));
    size_t b2 = present[2] ? round_rows(s->train_fraction + s->valid_fraction, m) : m;
    if (!present[1]) b2 = b1;
    b2 = past_ties(sorted, m, b2 < b1 ? b1 : b2);
    size_t lo[3] = {0, b1, b2}, hi[3] = {b1, b2, m};
    int64_t gapped[3] = {0, 0, 0};
    for (int p = 0; p < 3 && !rc; p++) {
        if (!present[p]) continue;
        int q = p + 1 < 3 && present[p + 1] ? p + 1 : (p + 2 < 3 && present[p + 2] ? p + 2 : -1);
        bool has_next = q >= 0 && lo[q] < hi[q];
        int64_t kept = 0;
        for (size_t j = lo[p]; j < hi[p]; j++) {
            if (has_next && within_gap(sorted[j].key, sorted[lo[q]].key, s->gap_us)) {
                gapped[p]++;
                continue;
            }
            assign[sorted[j].row] = (int8_t)p;
            kept++;
        }
        if (kept == 0) {
            double f[3] = {s->train_fraction, s->valid_fraction, s->test_fraction};
            char gap[96];
            format_gap(s->gap_us, gapped[p] > 0, gap, sizeof gap);
            rc = cairn_error_set(err, CAIRN_EINVAL,
                                 "the %s part (fraction %g of %zu rows with "
                                 "a time, timestamps kept together) holds no rows%s",
                                 PART_NAMES[p], f[p], m, gap);
            cairn_error_field(err, PART_NAMES[p]);
        }
    }
    cairn_free(sorted);
    return rc;
}

int cairn_split_temporal(const cairn_temporal_split *spec, const int64_t *times, size_t n,
                         int8_t *assign, cairn_split_counts *counts, cairn_error *err)
{
    if (spec->gap_us < 0) {
        cairn_error_set(err, CAIRN_EINVAL, "the gap must not be negative");
        cairn_error_field(err, "gap");
        return CAIRN_EINVAL;
    }
    int rc = spec->by_fractions ? split_by_fractions(spec, times, n, assign, err)
                                : split_by_ranges(spec, times, n, assign, err);
    if (rc == 0 && counts) cairn_split_count(assign, n, counts);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Temporal split config
 * ---------------------------------------------------------------------------------------- */

static int config_error(cairn_error *err, int code, const char *key, const char *expected,
                        const json_t *found)
{
    cairn_error_set(err, code, "key '%s': expected %s", key, expected);
    cairn_error_field(err, key);
    cairn_buf text;
    cairn_buf_init(&text, 4096);
    if (found && cairn_json_dump(found, 0, &text) == 0)
        cairn_error_expect(err, expected, text.data, text.len);
    else
        cairn_error_expect(err, expected, NULL, 0);
    cairn_buf_release(&text);
    return code;
}

static int parse_time_value(const json_t *v, const char *key, int64_t *out, cairn_error *err)
{
    if (!json_is_string(v)) return config_error(err, CAIRN_ETYPE, key, "a date string", v);
    int rc = cairn_time_parse(json_string_value(v), json_string_length(v), out, err);
    if (rc) {
        cairn_error_prefix(err, "key '%s': ", key);
        cairn_error_field(err, key);
    }
    return rc;
}

static int parse_range(const json_t *v, const char *key, cairn_time_range *out, cairn_error *err)
{
    if (!json_is_array(v) || json_array_size(v) != 2)
        return config_error(err, CAIRN_ETYPE, key, "[begin, end] (two dates)", v);
    int rc = parse_time_value(json_array_get(v, 0), key, &out->begin_us, err);
    return rc ? rc : parse_time_value(json_array_get(v, 1), key, &out->end_us, err);
}

static int parse_fractions(const json_t *v, cairn_temporal_split *out, cairn_error *err)
{
    size_t k = json_array_size(v);
    if (!json_is_array(v) || k < 2 || k > 3)
        return config_error(err, CAIRN_ETYPE, "fractions", "[train, validation(, test)]", v);
    double *f[3] = {&out->train_fraction, &out->valid_fraction, &out->test_fraction};
    for (size_t i = 0; i < k; i++) {
        const json_t *x = json_array_get(v, i);
        if (!json_is_number(x)) return config_error(err, CAIRN_ETYPE, "fractions", "numbers", x);
        *f[i] = json_number_value(x);
    }
    out->by_fractions = true;
    return 0;
}

int cairn_temporal_split_parse(const json_t *config, cairn_temporal_split *out, cairn_error *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(config))
        return config_error(err, CAIRN_ETYPE, "split", "an object", config);
    const char *key;
    json_t *v;
    bool has_train = false;
    int rc = 0;
    json_object_foreach((json_t *)config, key, v)
    {
        if (!strcmp(key, "train")) {
            rc = parse_range(v, key, &out->train, err);
            has_train = true;
        } else if (!strcmp(key, "validation") || !strcmp(key, "valid")) {
            rc = parse_range(v, key, &out->valid, err);
            out->has_valid = true;
        } else if (!strcmp(key, "test")) {
            rc = parse_range(v, key, &out->test, err);
            out->has_test = true;
        } else if (!strcmp(key, "fractions")) {
            rc = parse_fractions(v, out, err);
        } else if (!strcmp(key, "gap")) {
            if (!json_is_string(v))
                return config_error(err, CAIRN_ETYPE, key, "a duration such as \"1d\"", v);
            rc = cairn_duration_parse(json_string_value(v), json_string_length(v), &out->gap_us,
                                      err);
            if (rc) cairn_error_field(err, key);
        } else {
            cairn_error_set(err, CAIRN_EINVAL,
                            "unknown key '%s': expected one of train, "
                            "validation, test, fractions, gap",
                            key);
            cairn_error_field(err, key);
            return CAIRN_EINVAL;
        }
        if (rc) return rc;
    }
    if (out->by_fractions && (has_train || out->has_valid || out->has_test))
        return config_error(err, CAIRN_EINVAL, "fractions",
                            "either fractions or train/validation/test ranges, not both", NULL);
    if (!out->by_fractions && !has_train)
        return config_error(err, CAIRN_EINVAL, "train", "a train range or fractions", NULL);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * k-fold
 * ---------------------------------------------------------------------------------------- */

static const char *const KFOLD_NAMES[] = {"kfold", "stratified", "grouped"};

const char *cairn_kfold_kind_name(cairn_kfold_kind kind)
{
    return (unsigned)kind < 3 ? KFOLD_NAMES[kind] : "unknown";
}

int cairn_kfold_kind_parse(const char *name, cairn_kfold_kind *out)
{
    static const struct {
        const char *name;
        cairn_kfold_kind kind;
    } names[] = {
        {"kfold", CAIRN_KFOLD_PLAIN},           {"plain", CAIRN_KFOLD_PLAIN},
        {"stratified", CAIRN_KFOLD_STRATIFIED}, {"stratified_kfold", CAIRN_KFOLD_STRATIFIED},
        {"grouped", CAIRN_KFOLD_GROUPED},       {"group_kfold", CAIRN_KFOLD_GROUPED}};
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++) {
        if (!strcmp(name, names[i].name)) {
            *out = names[i].kind;
            return 0;
        }
    }
    return CAIRN_EINVAL;
}

static int plain_folds(const cairn_kfold_spec *spec, size_t n, int32_t *fold, cairn_error *err)
{
    int64_t *order = cairn_malloc(n * sizeof *order);
    if (!order) return nomem(err);
    for (size_t i = 0; i < n; i++)
        order[i] = (int64_t)i;
    if (spec->shuffle) {
        cairn_rng rng;
        cairn_rng_seed(&rng, spec->seed);
        cairn_rng_shuffle(&rng, order, n);
    }
    size_t k = (size_t)spec->k, pos = 0;
    for (size_t f = 0; f < k; f++) {
        size_t size = n / k + (f < n % k ? 1 : 0);
        for (size_t j = 0; j < size; j++)
            fold[order[pos++]] = (int32_t)f;
    }
    cairn_free(order);
    return 0;
}

/* Numbers classes by first appearance: cls[i] in [0, *n_classes) for each row. */
static int encode_classes(const double *labels, size_t n, int32_t *cls, size_t *n_classes,
                          cairn_error *err)
{
    dkeyed_row *sorted = cairn_malloc(n * sizeof *sorted);
    int64_t *first = cairn_malloc(n * sizeof *first); /* first row of each sorted class */
    keyed_row *by_first = cairn_malloc(n * sizeof *by_first);
    if (!sorted || !first || !by_first) {
        cairn_free(sorted);
        cairn_free(first);
        cairn_free(by_first);
        return nomem(err);
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = (dkeyed_row){labels[i], (int64_t)i};
    qsort(sorted, n, sizeof *sorted, cmp_dkeyed_row);
    size_t classes = 0;
    for (size_t j = 0; j < n; j++) {
        if (j == 0 || sorted[j].key != sorted[j - 1].key) first[classes++] = sorted[j].row;
        cls[sorted[j].row] = (int32_t)(classes - 1); /* the value order for now */
    }
    for (size_t c = 0; c < classes; c++)
        by_first[c] = (keyed_row){first[c], (int64_t)c};
    qsort(by_first, classes, sizeof *by_first, cmp_keyed_row);
    for (size_t c = 0; c < classes; c++)
        first[by_first[c].row] = (int64_t)c; /* renumber */
    for (size_t i = 0; i < n; i++)
        cls[i] = (int32_t)first[cls[i]];
    *n_classes = classes;
    cairn_free(sorted);
    cairn_free(first);
    cairn_free(by_first);
    return 0;
}

/* Positions p in [0, end) with p % k == f. */
static size_t count_mod(size_t end, size_t k, size_t f)
{
    return end / k + (f < end % k ? 1 : 0);
}

static int stratified_folds(const cairn_kfold_spec *spec, const double *labels, size_t n,
                            int32_t *fold, cairn_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(labels[i])) {
            cairn_error_set(err, CAIRN_EINVAL,
                            "stratified folds need labels, row %zu has "
                            "none (NaN)",
                            i);
            if (err) err->row = (int64_t)i;
            return CAIRN_EINVAL;
        }
    }
    size_t classes = 0, k = (size_t)spec->k;
    int32_t *cls = cairn_malloc(n * sizeof *cls);
    size_t *start = cairn_calloc(n + 1, sizeof *start); /* class c's first sorted position */
    int32_t *ids = cairn_malloc(n * sizeof *ids);       /* fold ids of one class, in blocks */
    size_t *next = cairn_malloc(n * sizeof *next);      /* the next fold id of each class */
    int rc = !cls || !start || !ids || !next ? nomem(err)
                                             : encode_classes(labels, n, cls, &classes, err);
    if (rc) goto done;
    for (size_t i = 0; i < n; i++)
        start[cls[i] + 1]++;
    size_t largest = 0;
    for (size_t c = 0; c < classes; c++) {
        if (start[c + 1] > largest) largest = start[c + 1];
        start[c + 1] += start[c];
    }
    if (largest < k) {
        rc = cairn_error_set(err, CAIRN_EINVAL,
                             "%zu folds are more than the rows of every "
                             "class (the largest class has %zu)",
                             k, largest);
        cairn_error_field(err, "k");
        goto done;
    }
    cairn_rng rng;
    cairn_rng_seed(&rng, spec->seed);
    for (size_t c = 0; c < classes; c++) {
        size_t lo = start[c], hi = start[c + 1], pos = lo;
        for (size_t f = 0; f < k; f++) {
            size_t quota = count_mod(hi, k, f) - count_mod(lo, k, f);
            for (size_t j = 0; j < quota; j++)
                ids[pos++] = (int32_t)f;
        }
        if (spec->shuffle) { /* Fisher-Yates over the class's block, as in cairn_rng_shuffle */
            for (size_t i = hi - lo; i > 1; i--) {
                size_t j = (size_t)cairn_rng_below(&rng, i);
                int32_t t = ids[lo + i - 1];
                ids[lo + i - 1] = ids[lo + j];
                ids[lo + j] = t;
            }
        }
        next[c] = lo;
    }
    for (size_t i = 0; i < n; i++)
        fold[i] = ids[next[cls[i]]++];
done:
    cairn_free(cls);
    cairn_free(start);
    cairn_free(ids);
    cairn_free(next);
    return rc;
}

/* Groups by size descending, ties by group id descending (numpy's argsort reversed). */
static int cmp_group_size(const void *a, const void *b)
{
    const keyed_row *x = a, *y = b; /* key = size, row = group id */
    if (x->key != y->key) return x->key > y->key ? -1 : 1;
    return (x->row < y->row) - (x->row > y->row);
}

static int grouped_folds(const cairn_kfold_spec *spec, const int64_t *groups, size_t n,
                         int32_t *fold, cairn_error *err)
{
    keyed_row *sorted = cairn_malloc(n * sizeof *sorted), *sizes = NULL;
    int32_t *group_fold = NULL;
    int64_t *load = cairn_calloc((size_t)spec->k, sizeof *load);
    int rc = 0;
    if (!sorted || !load) goto oom;
    for (size_t i = 0; i < n; i++)
        sorted[i] = (keyed_row){groups[i], (int64_t)i};
    qsort(sorted, n, sizeof *sorted, cmp_keyed_row);
    size_t n_groups = 0;
    for (size_t j = 0; j < n; j++)
        n_groups += j == 0 || sorted[j].key != sorted[j - 1].key;
    if (n_groups < (size_t)spec->k) {
        rc = cairn_error_set(err, CAIRN_EINVAL,
                             "%d folds are more than the %zu distinct "
                             "groups",
                             spec->k, n_groups);
        cairn_error_field(err, "k");
        goto done;
    }
    sizes = cairn_malloc(n_groups * sizeof *sizes);
    group_fold = cairn_malloc(n_groups * sizeof *group_fold);
    if (!sizes || !group_fold) goto oom;
    /* sizes[g] = (size, g) with g the group's rank in id order, which is also id order */
    size_t g = 0;
    for (size_t j = 0; j < n; j++) {
        if (j > 0 && sorted[j].key != sorted[j - 1].key) g++;
        if (j == 0 || sorted[j].key != sorted[j - 1].key) sizes[g] = (keyed_row){0, (int64_t)g};
        sizes[g].key++;
    }
    qsort(sizes, n_groups, sizeof *sizes, cmp_group_size);
    for (size_t s = 0; s < n_groups; s++) {
        size_t lightest = 0;
        for (size_t f = 1; f < (size_t)spec->k; f++)
            if (load[f] < load[lightest]) lightest = f;
        load[lightest] += sizes[s].key;
        group_fold[sizes[s].row] = (int32_t)lightest;
    }
    g = 0;
    for (size_t j = 0; j < n; j++) {
        if (j > 0 && sorted[j].key != sorted[j - 1].key) g++;
        fold[sorted[j].row] = group_fold[g];
    }
    goto done;
oom:
    rc = nomem(err);
done:
    cairn_free(sorted);
    cairn_free(sizes);
    cairn_free(group_fold);
    cairn_free(load);
    return rc;
}

static int check_kfold(const cairn_kfold_spec *spec, const double *labels, const int64_t *groups,
                       size_t n, cairn_error *err)
{
    const char *problem = NULL;
    if (spec->k < 2)
        problem = "at least 2 folds are needed";
    else if ((size_t)spec->k > n)
        problem = "more folds than rows";
    else if (spec->kind == CAIRN_KFOLD_STRATIFIED && !labels)
        problem = "stratified folds need labels";
    else if (spec->kind == CAIRN_KFOLD_GROUPED && !groups)
        problem = "grouped folds need groups";
    else if ((unsigned)spec->kind > CAIRN_KFOLD_GROUPED)
        problem = "unknown kind of folds";
    if (!problem) return 0;
    cairn_error_set(err, CAIRN_EINVAL, "%s (k = %d, %zu rows)", problem, spec->k, n);
    cairn_error_field(err, "k");
    return CAIRN_EINVAL;
}

int cairn_kfold_assign(const cairn_kfold_spec *spec, const double *labels, const int64_t *groups,
                       size_t n, int32_t *fold, cairn_error *err)
{
    int rc = check_kfold(spec, labels, groups, n, err);
    if (rc) return rc;
    switch (spec->kind) {
    case CAIRN_KFOLD_STRATIFIED:
        return stratified_folds(spec, labels, n, fold, err);
    case CAIRN_KFOLD_GROUPED:
        return grouped_folds(spec, groups, n, fold, err);
    default:
        return plain_folds(spec, n, fold, err);
    }
}

int cairn_kfold_assign_subset(const cairn_kfold_spec *spec, const double *labels,
                              const int64_t *groups, const bool *mask, size_t n, int32_t *fold,
                              cairn_error *err)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += mask[i];
    int rc = check_kfold(spec, labels, groups, m, err);
    if (rc) return rc;
    size_t *rows = cairn_malloc(m * sizeof *rows);
    int32_t *sub_fold = cairn_malloc(m * sizeof *sub_fold);
    double *sub_labels = labels ? cairn_malloc(m * sizeof *sub_labels) : NULL;
    int64_t *sub_groups = groups ? cairn_malloc(m * sizeof *sub_groups) : NULL;
    if (!rows || !sub_fold || (labels && !sub_labels) || (groups && !sub_groups)) {
        rc = nomem(err);
        goto done;
    }
    for (size_t i = 0, j = 0; i < n; i++) {
        if (!mask[i]) continue;
        rows[j] = i;
        if (labels) sub_labels[j] = labels[i];
        if (groups) sub_groups[j] = groups[i];
        j++;
    }
    rc = cairn_kfold_assign(spec, sub_labels, sub_groups, m, sub_fold, err);
    if (rc) goto done;
    for (size_t i = 0; i < n; i++)
        fold[i] = -1;
    for (size_t j = 0; j < m; j++)
        fold[rows[j]] = sub_fold[j];
done:
    cairn_free(rows);
    cairn_free(sub_fold);
    cairn_free(sub_labels);
    cairn_free(sub_groups);
    return rc;
}

int cairn_nested_inner_folds(const cairn_kfold_spec *inner, const double *labels,
                             const int64_t *groups, const int32_t *outer_fold, size_t n,
                             int32_t outer_index, int32_t *inner_fold, cairn_error *err)
{
    bool *mask = cairn_malloc((n ? n : 1) * sizeof *mask);
    if (!mask) return nomem(err);
    size_t in_outer = 0;
    for (size_t i = 0; i < n; i++) {
        mask[i] = outer_fold[i] >= 0 && outer_fold[i] != outer_index;
        in_outer += outer_fold[i] == outer_index;
    }
    int rc = 0;
    if (outer_index < 0 || in_outer == 0) {
        rc = cairn_error_set(err, CAIRN_EINVAL, "outer fold %d holds no rows", outer_index);
        cairn_error_field(err, "outer_fold");
    } else {
        cairn_kfold_spec spec = *inner;
        spec.seed = cairn_rng_derive(inner->seed, (uint64_t)outer_index);
        rc = cairn_kfold_assign_subset(&spec, labels, groups, mask, n, inner_fold, err);
        if (rc) cairn_error_prefix(err, "inner folds of outer fold %d: ", outer_index);
    }
    cairn_free(mask);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Calibration part
 * ---------------------------------------------------------------------------------------- */

/* Wraps a cairn_error_set of a calibration error: names the field, returns the code. */
static int calib_error(cairn_error *err, int code)
{
    cairn_error_field(err, "calibration");
    return code;
}

/* The first sorted position of the calibration rows for temporal-last, or m if none fits. */
static size_t temporal_cut(const keyed_row *sorted, size_t m, size_t n_calib)
{
    size_t cut = m - n_calib;
    while (cut > 0 && sorted[cut].key == sorted[cut - 1].key)
        cut--;
    if (cut > 0) return cut;
    return past_ties(sorted, m, m - n_calib);
}

int cairn_split_carve_calibration(int8_t *assign, const int64_t *times, size_t n, int from_part,
                                  double fraction, cairn_calib_mode mode, uint64_t seed,
                                  cairn_error *err)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += assign[i] == from_part;
    if (from_part != CAIRN_PART_TRAIN && from_part != CAIRN_PART_VALID)
        return calib_error(err, cairn_error_set(err, CAIRN_EINVAL,
                                                "calibration rows come "
                                                "from train or validation, not part %d",
                                                from_part));
    if (!(fraction > 0 && fraction < 1))
        return calib_error(err, cairn_error_set(err, CAIRN_EINVAL,
                                                "the calibration fraction "
                                                "of the %s part must be in (0, 1), not %g",
                                                PART_NAMES[from_part], fraction));
    if (m < 2)
        return calib_error(err, cairn_error_set(err, CAIRN_EINVAL,
                                                "the %s part is too small "
                                                "to give up a calibration fraction %g: it has "
                                                "%zu rows",
                                                PART_NAMES[from_part], fraction, m));
    if (mode == CAIRN_CALIB_TEMPORAL_LAST && !times)
        return calib_error(err, cairn_error_set(err, CAIRN_EINVAL,
                                                "a temporal calibration "
                                                "part of the %s part needs times",
                                                PART_NAMES[from_part]));
    size_t n_calib = round_rows(fraction, m);
    n_calib = n_calib < 1 ? 1 : n_calib > m - 1 ? m - 1 : n_calib;
    keyed_row *rows = cairn_malloc(m * sizeof *rows);
    if (!rows) return nomem(err);
    for (size_t i = 0, j = 0; i < n; i++)
        if (assign[i] == from_part) rows[j++] = (keyed_row){times ? times[i] : 0, (int64_t)i};
    size_t cut;
    if (mode == CAIRN_CALIB_TEMPORAL_LAST) {
        qsort(rows, m, sizeof *rows, cmp_keyed_row);
        cut = temporal_cut(rows, m, n_calib);
    } else {
        cairn_rng rng;
        cairn_rng_seed(&rng, seed);
        for (size_t i = m; i > 1; i--) {
            size_t j = (size_t)cairn_rng_below(&rng, i);
            keyed_row t = rows[i - 1];
            rows[i - 1] = rows[j];
            rows[j] = t;
        }
        cut = m - n_calib;
    }
    int rc = 0;
    if (cut >= m)
        rc = calib_error(err, cairn_error_set(err, CAIRN_EINVAL,
                                              "all rows of the %s part "
                                              "share one time, so no latest fraction %g of "
                                              "its %zu rows can be set apart",
                                              PART_NAMES[from_part], fraction, m));
    for (size_t j = cut; j < m && !rc; j++)
        assign[rows[j].row] = CAIRN_PART_CALIB;
    cairn_free(rows);
    return rc;
}
