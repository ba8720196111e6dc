/* stats.c: per-column statistics (cairn_table_stats) in one pass over each column.
 *
 * Fixed-width columns: every non-null value is folded into min/max (exact, in the column's
 * own type), a Welford accumulator for mean and sample variance (numerically stable; a
 * Neumaier-compensated sum alongside), and an open-addressing set of 64-bit value keys for
 * the exact distinct count (integers by value, floats by bits with -0.0 as 0.0 and every NaN
 * as one value). NaN counts as a distinct value but is left out of min, max, mean, stddev
 * and sum. Mean, stddev and sum exist for numeric and bool columns; stddev of one value is
 * NaN (the sample variance needs two).
 * Strings: a hash map from the bytes to a count (dictionary columns count codes first and
 * fold the dictionary in), giving distinct, min/max (bytewise) and the top-k values, which
 * a bounded insertion keeps sorted by count descending, then value ascending.
 * Columns are independent; on large tables they run in parallel on the default pool.
 * Tests: tests/unit/table/test_stats.c.
 */
#include <math.h>
#include <string.h>

#include "table_internal.h"

/* ------------------------------------------------------------------------------------------
 * A set of 64-bit keys (distinct counts)
 * ---------------------------------------------------------------------------------------- */

#define EMPTY_KEY UINT64_MAX /* marks a free slot; the value itself is tracked aside */

typedef struct key_set {
    uint64_t *keys;
    size_t mask, count;
    bool has_empty_key;
} key_set;

static int key_set_init(key_set *set, size_t slots)
{
    *set = (key_set){cairn_malloc(slots * sizeof *set->keys), slots - 1, 0, false};
    if (!set->keys) return CAIRN_ENOMEM;
    for (size_t i = 0; i < slots; i++)
        set->keys[i] = EMPTY_KEY;
    return 0;
}

static void key_set_put_new(key_set *set, uint64_t key)
{
    size_t i = (size_t)cairn_hash_u64(key) & set->mask;
    while (set->keys[i] != EMPTY_KEY && set->keys[i] != key)
        i = (i + 1) & set->mask;
    if (set->keys[i] == EMPTY_KEY) set->count++;
    set->keys[i] = key;
}

/* Grows to twice the slots, or, when nearly every value so far was new (a column of
 * unique values, like ids or timestamps), at once to fit every remaining value, sparing the
 * rehashes in between. */
static int key_set_grow(key_set *set, int64_t seen, int64_t remaining)
{
    size_t slots = (set->mask + 1) * 2;
    if (seen >= 65536 && (int64_t)set->count * 10 > seen * 9)
        while (slots < (set->count + (size_t)remaining) * 2 && slots < ((size_t)1 << 40))
            slots *= 2;
    key_set bigger;
    if (key_set_init(&bigger, slots) != 0) return CAIRN_ENOMEM;
    for (size_t i = 0; i <= set->mask; i++)
        if (set->keys[i] != EMPTY_KEY) key_set_put_new(&bigger, set->keys[i]);
    cairn_free(set->keys);
    *set = (key_set){bigger.keys, bigger.mask, bigger.count, set->has_empty_key};
    return 0;
}

/* Adds key; seen and remaining (values before and after it) size any growth. */
static int key_set_add(key_set *set, uint64_t key, int64_t seen, int64_t remaining)
{
    if (key == EMPTY_KEY) {
        set->has_empty_key = true;
        return 0;
    }
    if ((set->count + 1) * 2 > set->mask + 1 && key_set_grow(set, seen, remaining) != 0)
        return CAIRN_ENOMEM;
    key_set_put_new(set, key);
    return 0;
}

static int64_t key_set_size(const key_set *set)
{
    return (int64_t)set->count + set->has_empty_key;
}

/* ------------------------------------------------------------------------------------------
 * Fixed-width columns
 * ---------------------------------------------------------------------------------------- */

typedef struct moments {
    int64_t n;
    double mean, m2, sum, compensation;
} moments;

static void moments_add(moments *m, double x)
{
    m->n++;
    double delta = x - m->mean;
    m->mean += delta / (double)m->n;
    m->m2 += delta * (x - m->mean);
    double t = m->sum + x; /* Neumaier's compensated summation */
    m->compensation += fabs(m->sum) >= fabs(x) ? (m->sum - t) + x : (x - t) + m->sum;
    m->sum = t;
}

/* The value's distinct-set key, its double (for ordering and moments) and, for the 64-bit
 * integer kinds, the exact value. */
static inline void fixed_value(const cairn_column *c, int64_t row, uint64_t *key, double *x,
                               int64_t *exact)
{
    double d;
    switch (c->type) {
    case CAIRN_TYPE_BOOL:
        *exact = cairn_bit_get(c->values, row);
        break;
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32:
        *exact = cairn_column_i32(c, row);
        break;
    case CAIRN_TYPE_INT64:
    case CAIRN_TYPE_TIMESTAMP:
        *exact = cairn_column_i64(c, row);
        break;
    default:
        d = c->type == CAIRN_TYPE_FLOAT32 ? (double)((const float *)c->values)[row]
                                          : cairn_column_f64(c, row);
        if (d == 0) d = 0.0;
        if (isnan(d)) d = NAN;
        memcpy(key, &d, sizeof *key);
        *x = d;
        *exact = 0;
        return;
    }
    *key = (uint64_t)*exact;
    *x = (double)*exact;
}

/* The rows holding the least and greatest value so far (-1 before any). */
typedef struct extremes {
    int64_t lo_row, hi_row;
    double lo, hi;          /* exact for every kind but the 64-bit integers */
    int64_t lo_int, hi_int; /* the 64-bit integers, exactly */
} extremes;

static inline void extremes_add(extremes *e, int64_t row, double x, int64_t exact, bool exact_int)
{
    if (e->lo_row < 0) {
        *e = (extremes){row, row, x, x, exact, exact};
    } else if (exact_int) {
        if (exact < e->lo_int) e->lo_int = exact, e->lo_row = row;
        if (exact > e->hi_int) e->hi_int = exact, e->hi_row = row;
    } else {
        if (x < e->lo) e->lo = x, e->lo_row = row;
        if (x > e->hi) e->hi = x, e->hi_row = row;
    }
}

static int bool_top(const int64_t counts[2], size_t top_k, cairn_column_stats *st);

static void finish_fixed(const cairn_column *c, const extremes *e, const moments *m,
                         cairn_column_stats *st)
{
    if (e->lo_row >= 0) {
        st->has_minmax = true;
        cairn_column_get(c, e->lo_row, &st->min);
        cairn_column_get(c, e->hi_row, &st->max);
    }
    if ((cairn_type_is_numeric(c->type) || c->type == CAIRN_TYPE_BOOL) && m->n > 0) {
        st->has_mean = true;
        st->mean = m->mean;
        st->sum = m->sum + m->compensation;
        st->stddev = m->n > 1 ? sqrt(m->m2 / (double)(m->n - 1)) : NAN;
    }
}

static int fixed_stats(const cairn_column *c, size_t top_k, cairn_column_stats *st)
{
    key_set set;
    moments m = {0};
    extremes e = {-1, -1, 0, 0, 0, 0};
    bool exact_int = c->type == CAIRN_TYPE_INT64 || c->type == CAIRN_TYPE_TIMESTAMP;
    int64_t bool_counts[2] = {0, 0}, seen = 0, values = c->length - c->null_count;
    int rc = key_set_init(&set, 1024);
    for (int64_t row = 0; rc == 0 && row < c->length; row++) {
        if (!cairn_column_is_valid(c, row)) continue;
        uint64_t key;
        double x;
        int64_t exact;
        fixed_value(c, row, &key, &x, &exact);
        rc = key_set_add(&set, key, seen, values - seen);
        seen++;
        if (isnan(x)) continue;
        extremes_add(&e, row, x, exact, exact_int);
        moments_add(&m, x);
        if (c->type == CAIRN_TYPE_BOOL) bool_counts[exact]++;
    }
    st->distinct = key_set_size(&set);
    cairn_free(set.keys);
    if (rc == 0) finish_fixed(c, &e, &m, st);
    if (rc == 0 && c->type == CAIRN_TYPE_BOOL) rc = bool_top(bool_counts, top_k, st);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Top values
 * ---------------------------------------------------------------------------------------- */

typedef struct counted {
    const char *ptr;
    size_t len;
    int64_t count;
} counted;

/* More frequent first; equal counts by value ascending. */
static bool ranks_before(const counted *a, const counted *b)
{
    if (a->count != b->count) return a->count > b->count;
    return cairn__str_cmp(a->ptr, a->len, b->ptr, b->len) < 0;
}

/* Inserts e into best[0..*n), sorted and at most k long. */
static void top_insert(counted *best, size_t *n, size_t k, const counted *e)
{
    if (*n == k && !ranks_before(e, &best[k - 1])) return;
    size_t i = *n < k ? (*n)++ : k - 1;
    for (; i > 0 && ranks_before(e, &best[i - 1]); i--)
        best[i] = best[i - 1];
    best[i] = *e;
}

/* Copies the chosen values into st->top. */
static int top_copy(const counted *best, size_t n, cairn_column_stats *st)
{
    st->top = cairn_calloc(n ? n : 1, sizeof *st->top);
    if (!st->top) return CAIRN_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        st->top[i].value = cairn_strndup(best[i].ptr, best[i].len);
        if (!st->top[i].value) return CAIRN_ENOMEM; /* stats_free releases the rest */
        st->top[i].len = best[i].len;
        st->top[i].count = best[i].count;
        st->top_count = i + 1;
    }
    return 0;
}

static int bool_top(const int64_t counts[2], size_t top_k, cairn_column_stats *st)
{
    counted best[2];
    size_t n = 0;
    counted t = {"true", 4, counts[1]}, f = {"false", 5, counts[0]};
    if (t.count > 0) top_insert(best, &n, top_k < 2 ? top_k : 2, &t);
    if (f.count > 0) top_insert(best, &n, top_k < 2 ? top_k : 2, &f);
    return top_copy(best, n, st);
}

/* ------------------------------------------------------------------------------------------
 * String columns
 * ---------------------------------------------------------------------------------------- */

typedef struct str_slot {
    uint64_t hash;
    int64_t entry; /* entry index + 1; 0 = empty */
} str_slot;

typedef struct str_counts {
    counted *entries;
    size_t count, cap;
    str_slot *slots; /* hash beside index: one cache miss a probe */
    size_t mask;
} str_counts;

static void str_counts_release(str_counts *sc)
{
    cairn_free(sc->entries);
    cairn_free(sc->slots);
}

static int str_counts_resize(str_counts *sc, size_t slots)
{
    str_slot *s = cairn_calloc(slots, sizeof *s);
    if (!s) return CAIRN_ENOMEM;
    for (size_t i = 0; sc->slots && i <= sc->mask; i++) {
        if (!sc->slots[i].entry) continue;
        size_t j = (size_t)sc->slots[i].hash & (slots - 1);
        while (s[j].entry)
            j = (j + 1) & (slots - 1);
        s[j] = sc->slots[i];
    }
    cairn_free(sc->slots);
    sc->slots = s;
    sc->mask = slots - 1;
    return 0;
}

static int str_counts_add(str_counts *sc, const char *s, size_t len, int64_t times)
{
    uint64_t h = cairn_hash64(s, len, 0x2545f4914f6cdd1dULL);
    size_t i = (size_t)h & sc->mask;
    for (; sc->slots[i].entry; i = (i + 1) & sc->mask) {
        if (sc->slots[i].hash != h) continue;
        counted *e = &sc->entries[sc->slots[i].entry - 1];
        if (e->len == len && (len == 0 || memcmp(e->ptr, s, len) == 0)) {
            e->count += times;
            return 0;
        }
    }
    void *p = sc->entries;
    int rc = cairn_grow(&p, &sc->cap, sc->count + 1, sizeof *sc->entries);
    sc->entries = p;
    if (rc) return rc;
    sc->entries[sc->count++] = (counted){s, len, times};
    sc->slots[i] = (str_slot){h, (int64_t)sc->count};
    if (sc->count * 2 > sc->mask + 1) return str_counts_resize(sc, (sc->mask + 1) * 2);
    return 0;
}

/* Counts every non-null string of c into sc. */
static int count_strings(const cairn_column *c, str_counts *sc)
{
    int rc = 0;
    if (!c->dictionary) {
        for (int64_t row = 0; rc == 0 && row < c->length; row++) {
            size_t len;
            if (!cairn_column_is_valid(c, row)) continue;
            const char *s = cairn_column_str(c, row, &len);
            rc = str_counts_add(sc, s, len, 1);
        }
        return rc;
    }
    const cairn_column *d = c->dictionary;
    int64_t *per_code = cairn_calloc((size_t)(d->length ? d->length : 1), sizeof *per_code);
    if (!per_code) return CAIRN_ENOMEM;
    for (int64_t row = 0; row < c->length; row++)
        if (cairn_column_is_valid(c, row)) per_code[cairn_column_i32(c, row)]++;
    for (int64_t code = 0; rc == 0 && code < d->length; code++) {
        size_t len;
        const char *s = cairn_column_str(d, code, &len);
        if (per_code[code] > 0) rc = str_counts_add(sc, s, len, per_code[code]);
    }
    cairn_free(per_code);
    return rc;
}

static int string_minmax(const str_counts *sc, cairn_column_stats *st)
{
    const counted *lo = &sc->entries[0], *hi = lo;
    for (size_t i = 1; i < sc->count; i++) {
        const counted *e = &sc->entries[i];
        if (cairn__str_cmp(e->ptr, e->len, lo->ptr, lo->len) < 0) lo = e;
        if (cairn__str_cmp(e->ptr, e->len, hi->ptr, hi->len) > 0) hi = e;
    }
    st->min.v.str.ptr = cairn_strndup(lo->ptr, lo->len);
    st->max.v.str.ptr = cairn_strndup(hi->ptr, hi->len);
    st->min.v.str.len = lo->len;
    st->max.v.str.len = hi->len;
    st->has_minmax = true; /* set even on failure, so stats_free releases what exists */
    return st->min.v.str.ptr && st->max.v.str.ptr ? 0 : CAIRN_ENOMEM;
}

static int string_stats(const cairn_column *c, size_t top_k, cairn_column_stats *st)
{
    str_counts sc = {0};
    int rc = str_counts_resize(&sc, 1024);
    if (rc == 0) rc = count_strings(c, &sc);
    st->distinct = (int64_t)sc.count;
    if (rc == 0 && sc.count > 0) rc = string_minmax(&sc, st);
    size_t k = top_k < sc.count ? top_k : sc.count;
    counted *best = rc == 0 ? cairn_malloc((k ? k : 1) * sizeof *best) : NULL;
    if (rc == 0 && !best) rc = CAIRN_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; rc == 0 && i < sc.count; i++)
        top_insert(best, &n, k, &sc.entries[i]);
    if (rc == 0) rc = top_copy(best, n, st);
    cairn_free(best);
    str_counts_release(&sc);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * API
 * ---------------------------------------------------------------------------------------- */

static int column_stats(const cairn_column *c, size_t top_k, cairn_column_stats *st)
{
    st->name = cairn_strdup(c->name);
    if (!st->name) return CAIRN_ENOMEM;
    st->type = c->type;
    st->count = c->length;
    st->nulls = c->null_count;
    st->min.type = st->max.type = c->type;
    if (c->type == CAIRN_TYPE_STRING) return string_stats(c, top_k, st);
    return fixed_stats(c, top_k, st);
}

typedef struct stats_job {
    const cairn_table *table;
    size_t top_k;
    cairn_column_stats *stats;
    int *rcs;
} stats_job;

static void stats_task(void *arg, size_t index)
{
    stats_job *job = arg;
    job->rcs[index] =
        column_stats(cairn_table_column(job->table, index), job->top_k, &job->stats[index]);
}

/* Columns are independent: large tables compute them on the pool, one task a column. */
static void run_columns(stats_job *job, size_t n)
{
    cairn_pool *pool = NULL;
    if (n > 1 && cairn_table_num_rows(job->table) >= 65536) pool = cairn_pool_default();
    if (pool)
        cairn_pool_run(pool, n, stats_task, job);
    else
        for (size_t i = 0; i < n; i++)
            stats_task(job, i);
}

int cairn_table_stats(const cairn_table *table, size_t top_k, cairn_column_stats **out,
                      size_t *count, cairn_error *err)
{
    size_t n = cairn_table_num_columns(table);
    cairn_column_stats *stats = cairn_calloc(n ? n : 1, sizeof *stats);
    int *rcs = cairn_calloc(n ? n : 1, sizeof *rcs);
    if (!stats || !rcs) {
        cairn_free(stats);
        cairn_free(rcs);
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory computing statistics");
    }
    stats_job job = {table, top_k ? top_k : 10, stats, rcs};
    run_columns(&job, n);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if ((rc = rcs[i]) == 0) continue;
        const char *name = cairn_table_column(table, i)->name;
        cairn_error_set(err, rc, "statistics of column '%s': %s", name, cairn_strerror(rc));
        cairn_error_field(err, name);
    }
    cairn_free(rcs);
    if (rc) {
        cairn_table_stats_free(stats, n);
        return rc;
    }
    *out = stats;
    *count = n;
    return 0;
}

void cairn_table_stats_free(cairn_column_stats *stats, size_t count)
{
    if (!stats) return;
    for (size_t i = 0; i < count; i++) {
        cairn_column_stats *st = &stats[i];
        cairn_free(st->name);
        if (st->type == CAIRN_TYPE_STRING && st->has_minmax) {
            cairn_free((void *)st->min.v.str.ptr);
            cairn_free((void *)st->max.v.str.ptr);
        }
        for (size_t j = 0; j < st->top_count; j++)
            cairn_free(st->top[j].value);
        cairn_free(st->top);
    }
    cairn_free(stats);
}
