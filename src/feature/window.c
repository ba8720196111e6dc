/* src/feature/window.c: point-in-time-correct windowed aggregations (cairn_window_compute).
 *
 * For an event at time t the window of length w is the same entity's events with time in
 * [t - w, t): the event itself, and every other event at t, are left out. The algorithm:
 * 1. One stable sort of row numbers by (keys, time), nulls last. Position k of the sorted
 *    order is "row order[k]"; ties on time keep input order. Entities need only be
 *    contiguous, so keys that are dictionary codes or small integers take a fast path (a
 *    counting sort by a dense entity number, then each entity by time on the pool, one check
 *    when already in time order); others use cairn_table_sort_indices.
 * 2. Parallel passes over the rows scatter times, key words and the aggregated values (as
 *    int64 or double, with their validity) to their sorted positions (through the inverse
 *    permutation: reading rows in order caches far better than reading them through
 *    `order`), then mark where an entity starts (the keys differ from the previous
 *    position's, or either has a null key: a null key is an entity of its own).
 * 3. Entities are split into tasks of about equal rows and spread over the default pool. In
 *    an entity, positions [s, m) have a time and [m, e) have none (nulls sort last). Rows
 *    with equal time form a group and share one window, so the work is per group: the right
 *    end of the window is the group's first position (everything before it is earlier); the
 *    left end advances past positions with time < t - w. Each aggregate keeps a state that
 *    takes in the positions entering at the right and gives back those leaving at the left:
 *    - count: R - L (rows) or a running count of non-null values;
 *    - integer sum and mean: exact 128-bit running sums;
 *    - integer stddev: exact 128-bit sums of values and squares, so n*Σx² - (Σx)² is exact
 *      (values within ±2^31; wider values take the floating path);
 *    - floating sum and mean: a Neumaier-compensated running sum; stddev: Welford's mean and
 *      M2 with add and remove updates. Both are recomputed exactly over the window (two
 *      passes) when it empties or after more than 2n + 64 updates since the last exact
 *      computation, which bounds drift at O(1) amortised cost. Non-finite values are counted
 *      apart (a NaN or both infinities give NaN, one infinity gives it; stddev gives NaN);
 *    - min and max: a monotonic deque of positions, keyed by an order-preserving uint64;
 *    - last: the latest position with a value that has entered the window;
 *    - approx_distinct: computed exactly, with an open-addressing hash map from the 64-bit
 *      hash of a value to its count in the window (a collision needs two distinct values
 *      with equal 64-bit hashes: negligible). That is within any HyperLogLog bound, costs
 *      O(1) per row and memory proportional to the distinct values of one window.
 *    Results are written in sorted order (sequentially), then permuted back to row order
 *    in parallel (reads through the inverse permutation, whole bitmap bytes per task).
 * 4. The result is a copy of the events plus one column per spec; min, max and last gather
 *    the source rows they chose, so they keep the column's type.
 * Tests: tests/unit/feature/test_window.c (edge cases, a brute-force reference on random
 * data), tests/oracles/test_window_duckdb.sh (DuckDB window functions on flights);
 * benchmark: bench/w2_windows.sh.
 */
#include <math.h>
#include <string.h>

#include "cairn/feature.h"
#include "table/table_internal.h"

__extension__ typedef __int128 win_i128;

/* ------------------------------------------------------------------------------------------
 * Aggregate names
 * ---------------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    cairn_agg agg;
} agg_table[] = {
    {"count", CAIRN_AGG_COUNT}, {"sum", CAIRN_AGG_SUM},
    {"mean", CAIRN_AGG_MEAN},   {"min", CAIRN_AGG_MIN},
    {"max", CAIRN_AGG_MAX},     {"stddev", CAIRN_AGG_STDDEV},
    {"last", CAIRN_AGG_LAST},   {"approx_distinct", CAIRN_AGG_APPROX_DISTINCT},
    {"avg", CAIRN_AGG_MEAN},    {"std", CAIRN_AGG_STDDEV},
};

const char *cairn_agg_name(cairn_agg agg)
{
    for (size_t i = 0; i < sizeof agg_table / sizeof agg_table[0]; i++)
        if (agg_table[i].agg == agg) return agg_table[i].name;
    return "unknown";
}

int cairn_agg_parse(const char *name, cairn_agg *out)
{
    for (size_t i = 0; name && i < sizeof agg_table / sizeof agg_table[0]; i++) {
        if (strcmp(agg_table[i].name, name) == 0) {
            *out = agg_table[i].agg;
            return 0;
        }
    }
    return CAIRN_EINVAL;
}

/* ------------------------------------------------------------------------------------------
 * Types
 * ---------------------------------------------------------------------------------------- */

/* One aggregated column, gathered in sorted order. */
typedef struct win_values {
    const cairn_column *column;
    bool is_float;     /* FLOAT32/FLOAT64: f64; other numeric-like types: i64 */
    bool need_numbers; /* some spec reads f64/i64 */
    bool need_hash;    /* some spec counts distinct values */
    double *f64;
    int64_t *i64;
    uint64_t *hash;
    uint8_t *valid;
} win_values;

/* One spec's output: computed in sorted order (sequential writes), then permuted into
 * original row order (the `final` buffers, which the output column adopts). */
typedef struct win_out {
    const cairn_window_spec *spec;
    win_values *values;      /* NULL for COUNT of rows */
    cairn_type type;         /* the output column's type */
    int64_t *i64;            /* COUNT, integer SUM, APPROX_DISTINCT; the chosen row for MIN, MAX
                                and LAST (-1 = null) */
    double *f64;             /* floating SUM, MEAN, STDDEV */
    uint8_t *valid;          /* for i64 / f64 outputs */
    void *final;             /* n 8-byte values in row order */
    uint8_t *final_validity; /* a bitmap in row order (with `valid`) */
} win_out;

typedef struct win_task {
    int64_t first, end; /* sorted positions [first, end), whole entities in phase B */
    int64_t max_entity; /* the longest entity in the task */
    int rc;
} win_task;

typedef struct win_job {
    int64_t n;
    const int64_t *order;
    const cairn_column *time_col;
    const cairn_column *const *keys;
    size_t nkeys;
    win_values *values;
    size_t nvalues;
    win_out *outs;
    size_t nouts;
    int64_t *ts; /* times in sorted order (microseconds) */
    uint8_t *tvalid;
    uint8_t *starts;    /* 1 where an entity starts */
    int64_t *inverse;   /* row -> sorted position */
    uint64_t **keyword; /* per key, its value or dictionary code in sorted order; NULL for a
                           plain string key (compared through `order`) */
    uint8_t *keynull;   /* 1 where some key is null, in sorted order */
    win_task *tasks;
    size_t ntasks;
} win_job;

/* Exact distinct counting: hash -> count; 0 marks an empty slot (a hash of 0 becomes 1). */
typedef struct win_map {
    uint64_t *keys;
    int64_t *counts;
    size_t cap, size;
} win_map;

/* Per-task scratch, sized to the task's longest entity. */
typedef struct win_scratch {
    int64_t *group; /* group start positions, then m */
    int64_t *left;  /* per group: the window's first position */
    int64_t *dq_pos;
    uint64_t *dq_key;
    win_map map;
} win_scratch;

/* One entity being processed: positions [s, m) have a time, [m, e) do not. */
typedef struct win_entity {
    int64_t s, m, e;
    int64_t ngroups;
    int64_t window_us; /* the window `left` was computed for (0 = none yet) */
} win_entity;

/* ------------------------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------------------------- */

static int64_t sat_sub(int64_t t, int64_t w)
{
    return t < INT64_MIN + w ? INT64_MIN : t - w;
}

static int64_t time_at(const cairn_column *c, int64_t row)
{
    switch (c->type) {
    case CAIRN_TYPE_DATE32:
        return (int64_t)cairn_column_i32(c, row) * 86400000000LL;
    case CAIRN_TYPE_INT32:
        return cairn_column_i32(c, row);
    default:
        return cairn_column_i64(c, row);
    }
}

static int64_t int_at(const cairn_column *c, int64_t row)
{
    switch (c->type) {
    case CAIRN_TYPE_BOOL:
        return cairn_bit_get(c->values, row);
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32:
        return cairn_column_i32(c, row);
    default:
        return cairn_column_i64(c, row);
    }
}

static double float_at(const cairn_column *c, int64_t row)
{
    return c->type == CAIRN_TYPE_FLOAT32 ? (double)((const float *)c->values)[row]
                                         : cairn_column_f64(c, row);
}

/* An unsigned key whose order is the value order; NaN above everything (as SQL sorts). */
static uint64_t order_key_float(double x)
{
    if (isnan(x)) return UINT64_MAX;
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    return (bits >> 63) ? ~bits : bits | (1ULL << 63);
}

static uint64_t order_key_int(int64_t x)
{
    return (uint64_t)x ^ (1ULL << 63);
}

static uint64_t value_hash(const cairn_column *c, int64_t row)
{
    uint64_t h;
    if (c->type == CAIRN_TYPE_STRING) {
        size_t len;
        const char *s = cairn_column_str(c, row, &len);
        h = cairn_hash64(s, len, 0);
    } else if (c->type == CAIRN_TYPE_FLOAT32 || c->type == CAIRN_TYPE_FLOAT64) {
        double x = float_at(c, row);
        if (x == 0) x = 0;     /* -0 equals 0 */
        if (isnan(x)) x = NAN; /* every NaN is one value */
        uint64_t bits;
        memcpy(&bits, &x, sizeof bits);
        h = cairn_hash_u64(bits ^ 0x5bd1e9955bd1e995ULL);
    } else {
        h = cairn_hash_u64((uint64_t)int_at(c, row));
    }
    return h ? h : 1;
}

static bool keys_equal(const cairn_column *c, int64_t a, int64_t b)
{
    if (c->type == CAIRN_TYPE_STRING) {
        if (c->dictionary) return cairn_column_i32(c, a) == cairn_column_i32(c, b);
        size_t alen, blen;
        const char *as = cairn_column_str(c, a, &alen);
        const char *bs = cairn_column_str(c, b, &blen);
        return alen == blen && memcmp(as, bs, alen) == 0;
    }
    if (c->type == CAIRN_TYPE_BOOL)
        return cairn_bit_get(c->values, a) == cairn_bit_get(c->values, b);
    size_t w = cairn_type_width(c->type);
    return memcmp((const char *)c->values + (size_t)a * w, (const char *)c->values + (size_t)b * w,
                  w) == 0;
}

static bool any_null_key(const win_job *job, int64_t row)
{
    for (size_t i = 0; i < job->nkeys; i++)
        if (!cairn_column_is_valid(job->keys[i], row)) return true;
    return false;
}

static void run_tasks(size_t count, cairn_task_fn fn, void *arg)
{
    cairn_pool *pool = count > 1 ? cairn_pool_default() : NULL;
    if (pool) {
        cairn_pool_run(pool, count, fn, arg);
        return;
    }
    for (size_t i = 0; i < count; i++)
        fn(arg, i);
}

/* ------------------------------------------------------------------------------------------
 * Phase A: gather in sorted order, mark entity starts
 * ---------------------------------------------------------------------------------------- */

/* A key's value as a word that is equal exactly when the values are (dictionary codes index
 * distinct strings; other fixed-width values compare by their bytes). */
static uint64_t key_word(const cairn_column *c, int64_t row)
{
    if (c->type == CAIRN_TYPE_STRING) return (uint64_t)(uint32_t)cairn_column_i32(c, row);
    if (c->type == CAIRN_TYPE_BOOL) return cairn_bit_get(c->values, row);
    uint64_t w = 0;
    size_t width = cairn_type_width(c->type);
    memcpy(&w, (const char *)c->values + (size_t)row * width, width);
    return w;
}

/* Rows [first, end) scattered to their sorted positions: the rows are read in order and the
 * writes walk each entity's positions forward, which caches far better than reading rows
 * through `order`. */
static void gather_values(const win_job *job, win_values *v, int64_t first, int64_t end)
{
    const cairn_column *c = v->column;
    for (int64_t row = first; row < end; row++) {
        int64_t k = job->inverse[row];
        bool ok = cairn_column_is_valid(c, row);
        v->valid[k] = ok;
        if (v->need_numbers) {
            if (v->is_float)
                v->f64[k] = ok ? float_at(c, row) : 0;
            else
                v->i64[k] = ok ? int_at(c, row) : 0;
        }
        if (v->need_hash) v->hash[k] = ok ? value_hash(c, row) : 0;
    }
}

static void gather_task(void *arg, size_t index)
{
    win_job *job = arg;
    const win_task *t = &job->tasks[index];
    const cairn_column *tc = job->time_col;
    for (int64_t row = t->first; row < t->end; row++) {
        int64_t k = job->inverse[row];
        bool ok = cairn_column_is_valid(tc, row);
        job->tvalid[k] = ok;
        job->ts[k] = ok ? time_at(tc, row) : 0;
        job->keynull[k] = any_null_key(job, row);
        for (size_t i = 0; i < job->nkeys; i++)
            if (job->keyword[i]) job->keyword[i][k] = key_word(job->keys[i], row);
    }
    for (size_t i = 0; i < job->nvalues; i++)
        gather_values(job, &job->values[i], t->first, t->end);
}

/* Sorted positions [first, end): where an entity starts. */
static void starts_task(void *arg, size_t index)
{
    win_job *job = arg;
    const win_task *t = &job->tasks[index];
    for (int64_t k = t->first; k < t->end; k++) {
        bool start = k == 0 || job->keynull[k] || job->keynull[k - 1];
        for (size_t i = 0; !start && i < job->nkeys; i++) {
            if (job->keyword[i])
                start = job->keyword[i][k] != job->keyword[i][k - 1];
            else
                start = !keys_equal(job->keys[i], job->order[k - 1], job->order[k]);
        }
        job->starts[k] = start;
    }
}

/* ------------------------------------------------------------------------------------------
 * The distinct-count map
 * ---------------------------------------------------------------------------------------- */

static int map_init(win_map *map)
{
    map->cap = 64;
    map->size = 0;
    map->keys = cairn_calloc(map->cap, sizeof *map->keys);
    map->counts = cairn_calloc(map->cap, sizeof *map->counts);
    return map->keys && map->counts ? 0 : CAIRN_ENOMEM;
}

static void map_release(win_map *map)
{
    cairn_free(map->keys);
    cairn_free(map->counts);
}

static size_t map_slot(const win_map *map, uint64_t key)
{
    size_t mask = map->cap - 1, i = (size_t)(key * 0x9e3779b97f4a7c15ULL >> 20) & mask;
    while (map->keys[i] != 0 && map->keys[i] != key)
        i = (i + 1) & mask;
    return i;
}

static int map_grow(win_map *map)
{
    win_map bigger = {NULL, NULL, map->cap * 2, map->size};
    bigger.keys = cairn_calloc(bigger.cap, sizeof *bigger.keys);
    bigger.counts = cairn_calloc(bigger.cap, sizeof *bigger.counts);
    if (!bigger.keys || !bigger.counts) {
        map_release(&bigger);
        return CAIRN_ENOMEM;
    }
    for (size_t i = 0; i < map->cap; i++) {
        if (map->keys[i] == 0) continue;
        size_t j = map_slot(&bigger, map->keys[i]);
        bigger.keys[j] = map->keys[i];
        bigger.counts[j] = map->counts[i];
    }
    map_release(map);
    *map = bigger;
    return 0;
}

/* Counts one more occurrence of key. */
static int map_add(win_map *map, uint64_t key)
{
    if ((map->size + 1) * 2 > map->cap) {
        int rc = map_grow(map);
        if (rc) return rc;
    }
    size_t i = map_slot(map, key);
    if (map->keys[i] == 0) {
        map->keys[i] = key;
        map->size++;
    }
    map->counts[i]++;
    return 0;
}

/* Forgets one occurrence of a key that is present; the last one frees the slot with a
 * backward shift, so probing never needs tombstones. */
static void map_remove(win_map *map, uint64_t key)
{
    size_t mask = map->cap - 1, i = map_slot(map, key);
    if (--map->counts[i] > 0) return;
    map->size--;
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        if (map->keys[j] == 0) break;
        size_t home = (size_t)(map->keys[j] * 0x9e3779b97f4a7c15ULL >> 20) & mask;
        /* j's entry may move to i when its home is not in (i, j] (cyclically) */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays) continue;
        map->keys[i] = map->keys[j];
        map->counts[i] = map->counts[j];
        i = j;
    }
    map->keys[i] = 0;
    map->counts[i] = 0;
}

/* ------------------------------------------------------------------------------------------
 * Phase B: aggregates over one entity
 * ---------------------------------------------------------------------------------------- */

/* For each group, the first position whose time is >= t - w. */
static void compute_left(const win_job *job, win_scratch *sc, win_entity *en, int64_t w)
{
    if (en->window_us == w) return;
    int64_t left = en->s;
    for (int64_t j = 0; j < en->ngroups; j++) {
        int64_t lo = sat_sub(job->ts[sc->group[j]], w);
        while (job->ts[left] < lo)
            left++;
        sc->left[j] = left;
    }
    en->window_us = w;
}

static void emit_i64(const win_job *job, win_out *o, int64_t g, int64_t gend, int64_t v, bool valid)
{
    (void)job;
    for (int64_t k = g; k < gend; k++) {
        o->i64[k] = v;
        if (o->valid) o->valid[k] = valid;
    }
}

static void emit_f64(const win_job *job, win_out *o, int64_t g, int64_t gend, double v, bool valid)
{
    (void)job;
    for (int64_t k = g; k < gend; k++) {
        o->f64[k] = v;
        o->valid[k] = valid;
    }
}

static void agg_count(const win_job *job, const win_scratch *sc, const win_entity *en, win_out *o)
{
    const uint8_t *valid = o->values ? o->values->valid : NULL;
    int64_t count = 0, right = en->s, left = en->s;
    for (int64_t j = 0; j < en->ngroups; j++) {
        int64_t g = sc->group[j], gend = sc->group[j + 1];
        if (!valid) {
            emit_i64(job, o, g, gend, g - sc->left[j], true);
            continue;
        }
        for (; right < g; right++)
            count += valid[right];
        for (; left < sc->left[j]; left++)
            count -= valid[left];
        emit_i64(job, o, g, gend, count, true);
    }
}

/* Exact integer sums of x - pivot: SUM (int64 result) and MEAN with pivot 0, STDDEV with a
 * pivot that keeps n * Σ(x - pivot)² within 128 bits (see stddev_pivot). */
static void agg_int_moments(const win_job *job, const win_scratch *sc, const win_entity *en,
                            win_out *o, int64_t pivot)
{
    const win_values *v = o->values;
    cairn_agg agg = o->spec->agg;
    win_i128 sum = 0, sumsq = 0;
    int64_t n = 0, right = en->s, left = en->s;
    for (int64_t j = 0; j < en->ngroups; j++) {
        int64_t g = sc->group[j], gend = sc->group[j + 1];
        for (; right < g; right++) {
            if (!v->valid[right]) continue;
            win_i128 x = (win_i128)v->i64[right] - pivot;
            n++, sum += x, sumsq += x * x;
        }
        for (; left < sc->left[j]; left++) {
            if (!v->valid[left]) continue;
            win_i128 x = (win_i128)v->i64[left] - pivot;
            n--, sum -= x, sumsq -= x * x;
        }
        if (agg == CAIRN_AGG_SUM) {
            emit_i64(job, o, g, gend, (int64_t)(uint64_t)sum, n > 0);
        } else if (agg == CAIRN_AGG_MEAN) {
            emit_f64(job, o, g, gend, n > 0 ? (double)sum / (double)n : 0, n > 0);
        } else {
            double sd = 0;
            if (n >= 2) {
                win_i128 num = (win_i128)n * sumsq - sum * sum; /* n^2 * population var */
                sd = sqrt((double)num / ((double)n * (double)(n - 1)));
            }
            emit_f64(job, o, g, gend, sd, n >= 2);
        }
    }
}

/* Floating moments: Neumaier sum, Welford mean/M2, counts of non-finite values. */
typedef struct float_state {
    int64_t n; /* finite values */
    int64_t nan, pinf, ninf;
    double sum, comp; /* Neumaier: the sum is sum + comp */
    double mean, m2;
    int64_t updates; /* since the last exact computation */
} float_state;

static void neumaier_add(double *sum, double *comp, double x)
{
    double t = *sum + x;
    if (fabs(*sum) >= fabs(x))
        *comp += (*sum - t) + x;
    else
        *comp += (x - t) + *sum;
    *sum = t;
}

static bool count_nonfinite(float_state *st, double x, int64_t delta)
{
    if (isfinite(x)) return false;
    if (isnan(x))
        st->nan += delta;
    else if (x > 0)
        st->pinf += delta;
    else
        st->ninf += delta;
    return true;
}

static void float_add(float_state *st, double x)
{
    if (count_nonfinite(st, x, 1)) return;
    st->n++;
    st->updates++;
    neumaier_add(&st->sum, &st->comp, x);
    double d = x - st->mean;
    st->mean += d / (double)st->n;
    st->m2 += d * (x - st->mean);
}

static void float_remove(float_state *st, double x)
{
    if (count_nonfinite(st, x, -1)) return;
    st->n--;
    st->updates++;
    if (st->n == 0) {
        st->sum = st->comp = st->mean = st->m2 = 0;
        st->updates = 0;
        return;
    }
    neumaier_add(&st->sum, &st->comp, -x);
    double d = x - st->mean;
    st->mean -= d / (double)st->n;
    st->m2 -= d * (x - st->mean);
    if (st->m2 < 0) st->m2 = 0;
}

/* Exact two-pass recomputation over the finite values at positions [left, right). */
static void float_recompute(float_state *st, const win_values *v, int64_t left, int64_t right)
{
    double sum = 0, comp = 0;
    for (int64_t k = left; k < right; k++)
        if (v->valid[k] && isfinite(v->f64[k])) neumaier_add(&sum, &comp, v->f64[k]);
    double mean = st->n > 0 ? (sum + comp) / (double)st->n : 0, m2 = 0, dsum = 0;
    for (int64_t k = left; k < right; k++) {
        if (!v->valid[k] || !isfinite(v->f64[k])) continue;
        double d = v->f64[k] - mean;
        m2 += d * d;
        dsum += d;
    }
    if (st->n > 0) m2 -= dsum * dsum / (double)st->n;
    st->sum = sum, st->comp = comp, st->mean = mean, st->m2 = m2 > 0 ? m2 : 0;
    st->updates = 0;
}

static double float_result(const float_state *st, cairn_agg agg, bool *valid)
{
    int64_t total = st->n + st->nan + st->pinf + st->ninf;
    *valid = agg == CAIRN_AGG_STDDEV ? total >= 2 : total > 0;
    if (!*valid) return 0;
    bool nonfinite = st->nan + st->pinf + st->ninf > 0;
    if (agg == CAIRN_AGG_STDDEV) return nonfinite ? NAN : sqrt(st->m2 / (double)(st->n - 1));
    if (st->nan > 0 || (st->pinf > 0 && st->ninf > 0)) return NAN;
    if (st->pinf > 0) return INFINITY;
    if (st->ninf > 0) return -INFINITY;
    double sum = st->sum + st->comp;
    return agg == CAIRN_AGG_SUM ? sum : sum / (double)st->n;
}

/* The value at position k as a double; integers shifted by the pivot first (exactly). */
static double float_value(const win_values *v, int64_t k, int64_t pivot)
{
    return v->is_float ? v->f64[k] : (double)((win_i128)v->i64[k] - pivot);
}

static void agg_float_moments(const win_job *job, const win_scratch *sc, const win_entity *en,
                              win_out *o, int64_t pivot)
{
    const win_values *v = o->values;
    float_state st = {0};
    int64_t right = en->s, left = en->s;
    for (int64_t j = 0; j < en->ngroups; j++) {
        int64_t g = sc->group[j], gend = sc->group[j + 1];
        for (; right < g; right++)
            if (v->valid[right]) float_add(&st, float_value(v, right, pivot));
        for (; left < sc->left[j]; left++)
            if (v->valid[left]) float_remove(&st, float_value(v, left, pivot));
        if (st.updates > 2 * st.n + 64) {
            if (v->is_float) {
                float_recompute(&st, v, left, right);
            } else { /* wide integers: rebuild the state from the window */
                float_state fresh = {0};
                for (int64_t k = left; k < right; k++)
                    if (v->valid[k]) float_add(&fresh, float_value(v, k, pivot));
                fresh.updates = 0;
                st = fresh;
            }
        }
        bool valid;
        double r = float_result(&st, o->spec->agg, &valid);
        emit_f64(job, o, g, gend, r, valid);
    }
}

static uint64_t order_key(const win_values *v, int64_t k)
{
    return v->is_float ? order_key_float(v->f64[k]) : order_key_int(v->i64[k]);
}

/* MIN and MAX: a deque of positions whose keys are monotonic (increasing for MIN, from the
 * front); the front is the answer. */
static void agg_extreme(const win_job *job, win_scratch *sc, const win_entity *en, win_out *o)
{
    const win_values *v = o->values;
    bool is_max = o->spec->agg == CAIRN_AGG_MAX;
    int64_t head = 0, tail = 0, right = en->s;
    for (int64_t j = 0; j < en->ngroups; j++) {
        int64_t g = sc->group[j], gend = sc->group[j + 1];
        for (; right < g; right++) {
            if (!v->valid[right]) continue;
            uint64_t key = order_key(v, right);
            if (is_max) key = ~key;
            while (tail > head && sc->dq_key[tail - 1] >= key)
                tail--;
            sc->dq_pos[tail] = right;
            sc->dq_key[tail++] = key;
        }
        while (head < tail && sc->dq_pos[head] < sc->left[j])
            head++;
        emit_i64(job, o, g, gend, head < tail ? job->order[sc->dq_pos[head]] : -1, true);
    }
}

static void agg_last(const win_job *job, const win_scratch *sc, const win_entity *en, win_out *o)
{
    const uint8_t *valid = o->values->valid;
    int64_t last = -1, right = en->s;
    for (int64_t j = 0; j < en->ngroups; j++) {
        int64_t g = sc->group[j], gend = sc->group[j + 1];
        for (; right < g; right++)
            if (valid[right]) last = right;
        emit_i64(job, o, g, gend, last >= sc->left[j] ? job->order[last] : -1, true);
    }
}

static int agg_distinct(const win_job *job, win_scratch *sc, const win_entity *en, win_out *o)
{
    const win_values *v = o->values;
    int64_t right = en->s, left = en->s;
    int rc = 0;
    for (int64_t j = 0; j < en->ngroups && rc == 0; j++) {
        int64_t g = sc->group[j], gend = sc->group[j + 1];
        for (; right < g && rc == 0; right++)
            if (v->valid[right]) rc = map_add(&sc->map, v->hash[right]);
        for (; left < sc->left[j] && left < right; left++)
            if (v->valid[left]) map_remove(&sc->map, v->hash[left]);
        emit_i64(job, o, g, gend, (int64_t)sc->map.size, true);
    }
    for (; left < right; left++) /* leave the map empty for the next entity */
        if (v->valid[left]) map_remove(&sc->map, v->hash[left]);
    return rc;
}

/* Rows without a time (or whose entity has none before them) see an empty window. */
static void emit_empty(const win_job *job, win_out *o, int64_t first, int64_t end)
{
    cairn_agg agg = o->spec->agg;
    bool zero = agg == CAIRN_AGG_COUNT || agg == CAIRN_AGG_APPROX_DISTINCT;
    if (o->f64)
        emit_f64(job, o, first, end, 0, false);
    else
        emit_i64(job, o, first, end, o->valid ? 0 : -1, zero);
}

/* The variance is the same for x and x - pivot. With the entity's first value as the pivot
 * and |x - pivot| < 2^b over n rows, n * Σ(x - pivot)² < 2^(2b + 2 log2 n): exact in 128
 * bits when b + log2 n <= 62. Otherwise false (the floating path, still shifted). */
static bool stddev_pivot(const win_values *v, const win_entity *en, int64_t *pivot)
{
    int64_t k = en->s;
    while (k < en->m && !v->valid[k])
        k++;
    if (k == en->m) return true;
    *pivot = v->i64[k];
    win_i128 max_dev = 0;
    for (; k < en->m; k++) {
        win_i128 d = (win_i128)v->i64[k] - *pivot;
        if (d < 0) d = -d;
        if (v->valid[k] && d > max_dev) max_dev = d;
    }
    int bits = 0, nbits = 0;
    while (bits < 66 && ((win_i128)1 << bits) <= max_dev)
        bits++;
    while (nbits < 64 && ((int64_t)1 << nbits) <= en->m - en->s)
        nbits++;
    return bits + nbits <= 62;
}

static int process_entity(const win_job *job, win_scratch *sc, int64_t s, int64_t e)
{
    win_entity en = {s, s, e, 0, 0};
    while (en.m < e && job->tvalid[en.m])
        en.m++;
    for (int64_t k = s; k < en.m; k++)
        if (k == s || job->ts[k] != job->ts[k - 1]) sc->group[en.ngroups++] = k;
    sc->group[en.ngroups] = en.m;
    for (size_t i = 0; i < job->nouts; i++) {
        win_out *o = &job->outs[i];
        if (en.m < e) emit_empty(job, o, en.m, e);
        if (en.ngroups == 0) continue;
        compute_left(job, sc, &en, o->spec->window_us);
        switch (o->spec->agg) {
        case CAIRN_AGG_COUNT:
            agg_count(job, sc, &en, o);
            break;
        case CAIRN_AGG_SUM:
        case CAIRN_AGG_MEAN:
        case CAIRN_AGG_STDDEV: {
            int64_t pivot = 0;
            if (o->values->is_float)
                agg_float_moments(job, sc, &en, o, 0);
            else if (o->spec->agg != CAIRN_AGG_STDDEV || stddev_pivot(o->values, &en, &pivot))
                agg_int_moments(job, sc, &en, o, pivot);
            else
                agg_float_moments(job, sc, &en, o, pivot);
            break;
        }
        case CAIRN_AGG_MIN:
        case CAIRN_AGG_MAX:
            agg_extreme(job, sc, &en, o);
            break;
        case CAIRN_AGG_LAST:
            agg_last(job, sc, &en, o);
            break;
        case CAIRN_AGG_APPROX_DISTINCT: {
            int rc = agg_distinct(job, sc, &en, o);
            if (rc) return rc;
            break;
        }
        }
    }
    return 0;
}

static void scratch_release(win_scratch *sc)
{
    cairn_free(sc->group);
    cairn_free(sc->left);
    cairn_free(sc->dq_pos);
    cairn_free(sc->dq_key);
    map_release(&sc->map);
}

static void window_task(void *arg, size_t index)
{
    win_job *job = arg;
    win_task *t = &job->tasks[index];
    size_t len = (size_t)t->max_entity + 1;
    win_scratch sc = {0};
    sc.group = cairn_malloc(len * sizeof *sc.group);
    sc.left = cairn_malloc(len * sizeof *sc.left);
    sc.dq_pos = cairn_malloc(len * sizeof *sc.dq_pos);
    sc.dq_key = cairn_malloc(len * sizeof *sc.dq_key);
    t->rc = map_init(&sc.map);
    if (!sc.group || !sc.left || !sc.dq_pos || !sc.dq_key) t->rc = CAIRN_ENOMEM;
    for (int64_t s = t->first; t->rc == 0 && s < t->end;) {
        int64_t e = s + 1;
        while (e < t->end && !job->starts[e])
            e++;
        t->rc = process_entity(job, &sc, s, e);
        s = e;
    }
    scratch_release(&sc);
}

/* ------------------------------------------------------------------------------------------
 * Phase C: back to row order
 * ---------------------------------------------------------------------------------------- */

static void inverse_task(void *arg, size_t index)
{
    win_job *job = arg;
    const win_task *t = &job->tasks[index];
    for (int64_t k = t->first; k < t->end; k++)
        job->inverse[job->order[k]] = k;
}

/* Rows [first, end) of every output; tasks start at multiples of 8 rows, so no two write
 * the same byte of a bitmap. Reading sorted positions through `inverse` walks each entity's
 * rows forward, which caches well. */
static void permute_task(void *arg, size_t index)
{
    win_job *job = arg;
    const win_task *t = &job->tasks[index];
    const int64_t *inv = job->inverse;
    for (size_t i = 0; i < job->nouts; i++) {
        win_out *o = &job->outs[i];
        if (o->f64) {
            double *dst = o->final;
            for (int64_t r = t->first; r < t->end; r++)
                dst[r] = o->f64[inv[r]];
        } else {
            int64_t *dst = o->final;
            for (int64_t r = t->first; r < t->end; r++)
                dst[r] = o->i64[inv[r]];
        }
        if (!o->valid) continue;
        for (int64_t r = t->first; r < t->end; r += 8) {
            unsigned byte = 0;
            for (int64_t b = 0; b < 8 && r + b < t->end; b++)
                byte |= (unsigned)o->valid[inv[r + b]] << b;
            o->final_validity[r >> 3] = (uint8_t)byte;
        }
    }
}

/* ------------------------------------------------------------------------------------------
 * Validation and set-up
 * ---------------------------------------------------------------------------------------- */

static bool is_time_type(cairn_type t)
{
    return t == CAIRN_TYPE_TIMESTAMP || t == CAIRN_TYPE_DATE32 || t == CAIRN_TYPE_INT64 ||
           t == CAIRN_TYPE_INT32;
}

/* Checks a spec against the events and works out its output type. */
static int check_spec(const cairn_table *events, const cairn_window_spec *sp, size_t i,
                      cairn_type *out_type, cairn_error *err)
{
    if (!sp->output || !*sp->output)
        return cairn_error_set(err, CAIRN_EINVAL, "window spec %zu has no output name", i);
    if (sp->window_us <= 0) {
        cairn_error_field(err, sp->output);
        return cairn_error_set(err, CAIRN_EINVAL, "window of '%s' must be positive, got %lld us",
                               sp->output, (long long)sp->window_us);
    }
    if (cairn_table_find(events, sp->output) >= 0) {
        cairn_error_field(err, sp->output);
        return cairn_error_set(err, CAIRN_EEXIST, "output column '%s' already exists in the events",
                               sp->output);
    }
    if (sp->agg < CAIRN_AGG_COUNT || sp->agg > CAIRN_AGG_APPROX_DISTINCT) {
        cairn_error_field(err, sp->output);
        return cairn_error_set(err, CAIRN_EINVAL, "unknown aggregate %d for '%s'", (int)sp->agg,
                               sp->output);
    }
    *out_type = CAIRN_TYPE_INT64;
    if (sp->agg == CAIRN_AGG_COUNT && !sp->column) return 0;
    const cairn_column *c = sp->column ? cairn_table_column_by_name(events, sp->column) : NULL;
    if (!c) {
        cairn_error_field(err, sp->column ? sp->column : sp->output);
        return cairn_error_set(err, sp->column ? CAIRN_ENOTFOUND : CAIRN_EINVAL,
                               sp->column ? "window '%s': no column '%s' in the events"
                                          : "window '%s': %s needs a column",
                               sp->output, sp->column ? sp->column : cairn_agg_name(sp->agg));
    }
    bool numeric = cairn_type_is_numeric(c->type);
    bool ordered = numeric || c->type == CAIRN_TYPE_TIMESTAMP || c->type == CAIRN_TYPE_DATE32 ||
                   c->type == CAIRN_TYPE_BOOL;
    bool is_float = c->type == CAIRN_TYPE_FLOAT32 || c->type == CAIRN_TYPE_FLOAT64;
    switch (sp->agg) {
    case CAIRN_AGG_SUM:
        *out_type = is_float ? CAIRN_TYPE_FLOAT64 : CAIRN_TYPE_INT64;
        break;
    case CAIRN_AGG_MEAN:
    case CAIRN_AGG_STDDEV:
        *out_type = CAIRN_TYPE_FLOAT64;
        break;
    case CAIRN_AGG_MIN:
    case CAIRN_AGG_MAX:
    case CAIRN_AGG_LAST:
        *out_type = c->type;
        break;
    default:
        break;
    }
    bool ok = sp->agg == CAIRN_AGG_SUM || sp->agg == CAIRN_AGG_MEAN || sp->agg == CAIRN_AGG_STDDEV
                  ? numeric
              : sp->agg == CAIRN_AGG_MIN || sp->agg == CAIRN_AGG_MAX ? ordered
                                                                     : true;
    if (!ok) {
        cairn_error_field(err, sp->column);
        cairn_error_expect(err,
                           sp->agg == CAIRN_AGG_MIN || sp->agg == CAIRN_AGG_MAX
                               ? "a numeric, bool, timestamp or date column"
                               : "a numeric column",
                           cairn_type_name(c->type), strlen(cairn_type_name(c->type)));
        return cairn_error_set(err, CAIRN_ETYPE, "window '%s': %s of a %s column '%s'", sp->output,
                               cairn_agg_name(sp->agg), cairn_type_name(c->type), sp->column);
    }
    return 0;
}

static int check_inputs(const cairn_table *events, const char *const *keys, size_t nkeys,
                        const char *time_column, const cairn_window_spec *specs, size_t nspecs,
                        cairn_type *types, cairn_error *err)
{
    for (size_t i = 0; i < nkeys; i++) {
        if (!keys[i] || cairn_table_find(events, keys[i]) < 0) {
            cairn_error_field(err, keys[i] ? keys[i] : "");
            return cairn_error_set(err, CAIRN_ENOTFOUND, "no key column '%s' in the events",
                                   keys[i] ? keys[i] : "(null)");
        }
    }
    const cairn_column *tc = time_column ? cairn_table_column_by_name(events, time_column) : NULL;
    if (!tc) {
        cairn_error_field(err, time_column ? time_column : "");
        return cairn_error_set(err, time_column ? CAIRN_ENOTFOUND : CAIRN_EINVAL,
                               "no time column '%s' in the events",
                               time_column ? time_column : "(null)");
    }
    if (!is_time_type(tc->type)) {
        cairn_error_field(err, time_column);
        cairn_error_expect(err, "timestamp, date or integer microseconds",
                           cairn_type_name(tc->type), strlen(cairn_type_name(tc->type)));
        return cairn_error_set(err, CAIRN_ETYPE, "time column '%s' is %s", time_column,
                               cairn_type_name(tc->type));
    }
    for (size_t i = 0; i < nspecs; i++) {
        int rc = check_spec(events, &specs[i], i, &types[i], err);
        if (rc) return rc;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(specs[j].output, specs[i].output) == 0) {
                cairn_error_field(err, specs[i].output);
                return cairn_error_set(err, CAIRN_EEXIST, "two windows named '%s'",
                                       specs[i].output);
            }
        }
    }
    return 0;
}

/* One win_values per distinct aggregated column. */
static int setup_values(win_job *job, const cairn_table *events, const cairn_window_spec *specs)
{
    for (size_t i = 0; i < job->nouts; i++) {
        win_out *o = &job->outs[i];
        const cairn_window_spec *sp = o->spec;
        if (!sp->column || (sp->agg == CAIRN_AGG_COUNT && !sp->column)) continue;
        const cairn_column *c = cairn_table_column_by_name(events, sp->column);
        win_values *v = NULL;
        for (size_t j = 0; j < job->nvalues && !v; j++)
            if (job->values[j].column == c) v = &job->values[j];
        if (!v) {
            v = &job->values[job->nvalues++];
            v->column = c;
            v->is_float = c->type == CAIRN_TYPE_FLOAT32 || c->type == CAIRN_TYPE_FLOAT64;
        }
        o->values = v;
        bool numbers = sp->agg != CAIRN_AGG_COUNT && sp->agg != CAIRN_AGG_LAST &&
                       sp->agg != CAIRN_AGG_APPROX_DISTINCT;
        v->need_numbers |= numbers;
        v->need_hash |= sp->agg == CAIRN_AGG_APPROX_DISTINCT;
    }
    (void)specs;
    size_t n = (size_t)job->n;
    for (size_t j = 0; j < job->nvalues; j++) {
        win_values *v = &job->values[j];
        v->valid = cairn_malloc(n ? n : 1);
        if (!v->valid) return CAIRN_ENOMEM;
        if (v->need_numbers && v->is_float && !(v->f64 = cairn_malloc(n * sizeof *v->f64 + 8)))
            return CAIRN_ENOMEM;
        if (v->need_numbers && !v->is_float && !(v->i64 = cairn_malloc(n * sizeof *v->i64 + 8)))
            return CAIRN_ENOMEM;
        if (v->need_hash && !(v->hash = cairn_malloc(n * sizeof *v->hash + 8))) return CAIRN_ENOMEM;
    }
    return 0;
}

static int setup_outputs(win_job *job, const cairn_window_spec *specs, const cairn_type *types)
{
    size_t n = (size_t)(job->n ? job->n : 1);
    for (size_t i = 0; i < job->nouts; i++) {
        win_out *o = &job->outs[i];
        o->spec = &specs[i];
        o->type = types[i];
        bool as_float = types[i] == CAIRN_TYPE_FLOAT64 && specs[i].agg != CAIRN_AGG_MIN &&
                        specs[i].agg != CAIRN_AGG_MAX && specs[i].agg != CAIRN_AGG_LAST;
        bool gathered = specs[i].agg == CAIRN_AGG_MIN || specs[i].agg == CAIRN_AGG_MAX ||
                        specs[i].agg == CAIRN_AGG_LAST;
        if (as_float)
            o->f64 = cairn_malloc(n * sizeof *o->f64);
        else
            o->i64 = cairn_malloc(n * sizeof *o->i64);
        if (!o->f64 && !o->i64) return CAIRN_ENOMEM;
        if (!(o->final = cairn_malloc(n * 8))) return CAIRN_ENOMEM;
        if (gathered) continue;
        if (!(o->valid = cairn_malloc(n))) return CAIRN_ENOMEM;
        if (!(o->final_validity = cairn_malloc(cairn__bitmap_bytes((int64_t)n))))
            return CAIRN_ENOMEM;
    }
    return 0;
}

static void job_release(win_job *job)
{
    for (size_t j = 0; j < job->nvalues; j++) {
        cairn_free(job->values[j].valid);
        cairn_free(job->values[j].f64);
        cairn_free(job->values[j].i64);
        cairn_free(job->values[j].hash);
    }
    for (size_t i = 0; job->outs && i < job->nouts; i++) {
        cairn_free(job->outs[i].i64);
        cairn_free(job->outs[i].f64);
        cairn_free(job->outs[i].valid);
        cairn_free(job->outs[i].final);
        cairn_free(job->outs[i].final_validity);
    }
    cairn_free(job->values);
    cairn_free(job->outs);
    cairn_free(job->ts);
    cairn_free(job->tvalid);
    cairn_free(job->starts);
    cairn_free(job->inverse);
    cairn_free(job->keynull);
    for (size_t i = 0; job->keyword && i < job->nkeys; i++)
        cairn_free(job->keyword[i]);
    cairn_free(job->keyword);
    cairn_free(job->tasks);
    cairn_free((void *)job->keys);
}

/* Splits [0, n) into tasks of about `chunk` rows; with `entities`, only at entity starts. */
static int plan_tasks(win_job *job, int64_t chunk, bool entities)
{
    cairn_free(job->tasks);
    size_t cap = (size_t)(job->n / chunk) + 2;
    job->tasks = cairn_calloc(cap, sizeof *job->tasks);
    if (!job->tasks) return CAIRN_ENOMEM;
    job->ntasks = 0;
    for (int64_t first = 0; first < job->n;) {
        int64_t end = first + chunk < job->n ? first + chunk : job->n;
        if (entities)
            while (end < job->n && !job->starts[end])
                end++;
        win_task *t = &job->tasks[job->ntasks++];
        t->first = first;
        t->end = end;
        first = end;
    }
    for (size_t i = 0; entities && i < job->ntasks; i++) {
        win_task *t = &job->tasks[i];
        for (int64_t s = t->first, e; s < t->end; s = e) {
            for (e = s + 1; e < t->end && !job->starts[e];)
                e++;
            if (e - s > t->max_entity) t->max_entity = e - s;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Output columns
 * ---------------------------------------------------------------------------------------- */

/* Hands the output's row-order buffers to an empty 8-byte column (null slots hold 0). The
 * capacities are in bytes, as the column builders keep them (src/table/column.c), so the
 * column stays a normal, growable one. */
static void adopt_fixed(cairn_column *c, win_out *o, int64_t n)
{
    int64_t nulls = 0;
    for (int64_t k = 0; k < n; k++)
        nulls += !o->valid[k];
    c->values = o->final;
    c->values_cap_ = (size_t)(n ? n : 1) * 8;
    o->final = NULL;
    if (nulls > 0) {
        c->validity = o->final_validity;
        c->validity_cap_ = cairn__bitmap_bytes(n ? n : 1);
        o->final_validity = NULL;
    }
    c->length = n;
    c->null_count = nulls;
}

static int build_column(const cairn_table *events, const win_job *job, win_out *o,
                        cairn_column **out)
{
    const cairn_window_spec *sp = o->spec;
    cairn_column *c = NULL;
    int rc;
    if (!o->valid) { /* MIN, MAX, LAST: the chosen source rows */
        const cairn_column *src = cairn_table_column_by_name(events, sp->column);
        rc = cairn__column_take(src, o->final, job->n, &c);
        if (rc == 0) {
            char *name = cairn_strdup(sp->output);
            if (!name) rc = CAIRN_ENOMEM;
            if (name) {
                cairn_free(c->name);
                c->name = name;
                c->nullable = true;
            }
        }
    } else {
        bool nullable = sp->agg != CAIRN_AGG_COUNT && sp->agg != CAIRN_AGG_APPROX_DISTINCT;
        rc = cairn_column_create(sp->output, o->type, nullable, &c);
        if (rc == 0) adopt_fixed(c, o, job->n);
    }
    if (rc) {
        cairn_column_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

static int build_result(const cairn_table *events, win_job *job, cairn_table **out,
                        cairn_error *err)
{
    cairn_table *t = NULL;
    int rc = cairn_table_copy(events, &t);
    for (size_t i = 0; rc == 0 && i < job->nouts; i++) {
        cairn_column *c = NULL;
        rc = build_column(events, job, &job->outs[i], &c);
        if (rc == 0) rc = cairn_table_adopt_column(t, c, err);
    }
    if (rc) {
        cairn_table_free(t);
        return rc == CAIRN_ENOMEM ? cairn_error_set(err, rc, "out of memory building windows") : rc;
    }
    *out = t;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * API
 * ---------------------------------------------------------------------------------------- */

/* The fast sort. Entities only need to be contiguous, not in key order, so when every key
 * is a small integer range (dictionary codes, integers, dates, bools) each row gets a dense
 * entity number (mixed radix over the keys' ranges, rows with a null key all in one extra
 * bucket: they are split into singletons later), a counting sort groups the rows stably by
 * it, and each entity is then sorted by time (nulls last) on the pool, which costs one check
 * when the events arrive in time order, as logs usually do. Returns 1 when it sorted, 0 when
 * the keys do not allow it (the caller uses cairn_table_sort_indices), or CAIRN_ENOMEM. */
typedef struct fast_sort {
    const cairn_column *time_col;
    int64_t *order;
    const int64_t *bucket_start; /* nbuckets + 1 */
    size_t nbuckets, ntasks;
    int64_t *tmp; /* n scratch entries (touched only by unsorted entities) */
    int rc;
} fast_sort;

static bool time_before(const cairn_column *tc, int64_t a, int64_t b)
{ /* a sorts strictly before b: valid before null, then by time */
    bool va = cairn_column_is_valid(tc, a), vb = cairn_column_is_valid(tc, b);
    if (va != vb) return va;
    return va && time_at(tc, a) < time_at(tc, b);
}

/* Stable bottom-up merge sort of rows[0, n) by time, tmp as scratch. */
static void sort_by_time(const cairn_column *tc, int64_t *rows, int64_t *tmp, int64_t n)
{
    bool sorted = true;
    for (int64_t i = 1; i < n && sorted; i++)
        sorted = !time_before(tc, rows[i], rows[i - 1]);
    if (sorted) return;
    int64_t *src = rows, *dst = tmp;
    for (int64_t width = 1; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n,
                    hi = lo + 2 * width < n ? lo + 2 * width : n;
            int64_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi)
                dst[o++] = time_before(tc, src[j], src[i]) ? src[j++] : src[i++];
            while (i < mid)
                dst[o++] = src[i++];
            while (j < hi)
                dst[o++] = src[j++];
        }
        int64_t *swap = src;
        src = dst;
        dst = swap;
    }
    if (src != rows) memcpy(rows, src, (size_t)n * sizeof *rows);
}

static void fast_sort_task(void *arg, size_t index)
{
    fast_sort *fs = arg;
    size_t per = (fs->nbuckets + fs->ntasks - 1) / fs->ntasks;
    for (size_t b = index * per; b < (index + 1) * per && b < fs->nbuckets; b++) {
        int64_t s = fs->bucket_start[b], e = fs->bucket_start[b + 1];
        sort_by_time(fs->time_col, fs->order + s, fs->tmp + s, e - s);
    }
}

static bool key_range(const cairn_column *c, int64_t n, int64_t *lo, uint64_t *span)
{
    if (c->type == CAIRN_TYPE_STRING) {
        if (!c->dictionary) return false;
        *lo = 0;
        *span = (uint64_t)c->dictionary->length;
        return true;
    }
    if (c->type != CAIRN_TYPE_INT32 && c->type != CAIRN_TYPE_INT64 &&
        c->type != CAIRN_TYPE_DATE32 && c->type != CAIRN_TYPE_BOOL &&
        c->type != CAIRN_TYPE_TIMESTAMP)
        return false;
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    for (int64_t i = 0; i < n; i++) {
        if (!cairn_column_is_valid(c, i)) continue;
        int64_t v = int_at(c, i);
        if (v < mn) mn = v;
        if (v > mx) mx = v;
    }
    if (mn > mx) mn = mx = 0;
    if ((mx >= 0 && mn < 0 && mx - INT64_MAX > mn) || (uint64_t)(mx - mn) >= (1ULL << 40))
        return false;
    *lo = mn;
    *span = (uint64_t)(mx - mn) + 1;
    return true;
}

static int sort_fast(const cairn_table *events, const cairn_column *const *keys, size_t nkeys,
                     const cairn_column *tc, int64_t **out)
{
    int64_t n = cairn_table_num_rows(events);
    int64_t lo[8];
    uint64_t span[8], total = 1;
    if (nkeys > 8) return 0;
    for (size_t i = 0; i < nkeys; i++) {
        if (!key_range(keys[i], n, &lo[i], &span[i])) return 0;
        if (span[i] == 0 || total > ((uint64_t)n * 4 + (1u << 16)) / span[i]) return 0;
        total *= span[i];
    }
    size_t nb = (size_t)total + 1; /* the last bucket holds the rows with a null key */
    int64_t *bucket = cairn_calloc(nb + 1, sizeof *bucket);
    uint32_t *id = cairn_malloc((size_t)(n ? n : 1) * sizeof *id);
    int64_t *order = cairn_malloc((size_t)(n ? n : 1) * sizeof *order);
    int64_t *tmp = cairn_malloc((size_t)(n ? n : 1) * sizeof *tmp);
    int rc = bucket && id && order && tmp && total < UINT32_MAX ? 1 : CAIRN_ENOMEM;
    for (int64_t r = 0; rc == 1 && r < n; r++) {
        uint64_t e = 0;
        bool null = false;
        for (size_t i = 0; i < nkeys && !null; i++) {
            null = !cairn_column_is_valid(keys[i], r);
            uint64_t w = keys[i]->type == CAIRN_TYPE_STRING
                             ? (uint64_t)(uint32_t)cairn_column_i32(keys[i], r)
                             : (uint64_t)(int_at(keys[i], r) - lo[i]);
            e = e * span[i] + w;
        }
        id[r] = (uint32_t)(null ? total : e);
        bucket[id[r] + 1]++;
    }
    if (rc == 1) {
        for (size_t b = 0; b < nb; b++)
            bucket[b + 1] += bucket[b];
        for (int64_t r = 0; r < n; r++)
            order[bucket[id[r]]++] = r; /* stable counting sort */
        for (size_t b = nb; b > 0; b--)
            bucket[b] = bucket[b - 1]; /* back to the starts */
        bucket[0] = 0;
        fast_sort fs = {tc, order, bucket, nb, 0, tmp, 0};
        fs.ntasks = nb < 64 ? nb : 64;
        run_tasks(fs.ntasks, fast_sort_task, &fs);
        *out = order;
        order = NULL;
    }
    cairn_free(bucket);
    cairn_free(id);
    cairn_free(order);
    cairn_free(tmp);
    return rc;
}

static int sort_events(const cairn_table *events, const char *const *keys, size_t nkeys,
                       const char *time_column, int64_t **order, cairn_error *err)
{
    const cairn_column *kc[8];
    for (size_t i = 0; i < nkeys && i < 8; i++)
        kc[i] = cairn_table_column_by_name(events, keys[i]);
    int fast = sort_fast(events, kc, nkeys, cairn_table_column_by_name(events, time_column), order);
    if (fast == 1) return 0;
    if (fast < 0) return cairn_error_set(err, fast, "out of memory sorting events");

    cairn_sort_key *sk = cairn_calloc(nkeys + 1, sizeof *sk);
    if (!sk) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory sorting events");
    for (size_t i = 0; i < nkeys; i++)
        sk[i].column = keys[i];
    sk[nkeys].column = time_column;
    int rc = cairn_table_sort_indices(events, sk, nkeys + 1, order, err);
    cairn_free(sk);
    return rc;
}

static int compute(win_job *job, const cairn_table *events, const cairn_window_spec *specs,
                   const cairn_type *types)
{
    size_t n = (size_t)(job->n ? job->n : 1);
    job->ts = cairn_malloc(n * sizeof *job->ts);
    job->tvalid = cairn_malloc(n);
    job->starts = cairn_malloc(n);
    job->keynull = cairn_malloc(n);
    job->inverse = cairn_malloc(n * sizeof *job->inverse);
    job->keyword = cairn_calloc(job->nkeys + 1, sizeof *job->keyword);
    if (!job->ts || !job->tvalid || !job->starts || !job->keynull || !job->inverse || !job->keyword)
        return CAIRN_ENOMEM;
    for (size_t i = 0; i < job->nkeys; i++) {
        const cairn_column *c = job->keys[i];
        if (c->type == CAIRN_TYPE_STRING && !c->dictionary) continue;
        if (!(job->keyword[i] = cairn_malloc(n * sizeof **job->keyword))) return CAIRN_ENOMEM;
    }
    int rc = setup_outputs(job, specs, types);
    if (rc == 0) rc = setup_values(job, events, specs);
    if (rc) return rc;
    int threads = cairn_pool_default() ? cairn_pool_threads(cairn_pool_default()) : 1;
    int64_t chunk = job->n / ((int64_t)threads * 8) + 1;
    if (chunk < 16384) chunk = 16384;
    chunk &= ~(int64_t)7; /* row tasks of the permutation write whole bitmap bytes */
    if ((rc = plan_tasks(job, chunk, false))) return rc;
    run_tasks(job->ntasks, inverse_task, job);
    run_tasks(job->ntasks, gather_task, job);
    run_tasks(job->ntasks, starts_task, job);
    if ((rc = plan_tasks(job, chunk, true))) return rc;
    run_tasks(job->ntasks, window_task, job);
    for (size_t i = 0; i < job->ntasks; i++)
        if (job->tasks[i].rc) return job->tasks[i].rc;
    if ((rc = plan_tasks(job, chunk, false))) return rc;
    run_tasks(job->ntasks, permute_task, job);
    return 0;
}

int cairn_window_compute(const cairn_table *events, const char *const *keys, size_t nkeys,
                         const char *time_column, const cairn_window_spec *specs, size_t nspecs,
                         cairn_table **out, cairn_error *err)
{
    if (!events || !out || (nkeys && !keys) || (nspecs && !specs))
        return cairn_error_set(err, CAIRN_EINVAL, "window compute: missing argument");
    cairn_type *types = cairn_calloc(nspecs + 1, sizeof *types);
    if (!types) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    int rc = check_inputs(events, keys, nkeys, time_column, specs, nspecs, types, err);
    if (rc) {
        cairn_free(types);
        return rc;
    }
    win_job job = {0};
    job.n = cairn_table_num_rows(events);
    job.time_col = cairn_table_column_by_name(events, time_column);
    job.nkeys = nkeys;
    job.nouts = nspecs;
    const cairn_column **kc = cairn_calloc(nkeys + 1, sizeof *kc);
    job.keys = kc;
    job.values = cairn_calloc(nspecs + 1, sizeof *job.values);
    job.outs = cairn_calloc(nspecs + 1, sizeof *job.outs);
    int64_t *order = NULL;
    if (!kc || !job.values || !job.outs) rc = CAIRN_ENOMEM;
    for (size_t i = 0; rc == 0 && i < nkeys; i++)
        kc[i] = cairn_table_column_by_name(events, keys[i]);
    if (rc == 0 && job.n > 0) {
        rc = sort_events(events, keys, nkeys, time_column, &order, err);
        job.order = order;
    }
    if (rc == 0) rc = compute(&job, events, specs, types);
    if (rc == 0) rc = build_result(events, &job, out, err);
    if (rc == CAIRN_ENOMEM) cairn_error_set(err, rc, "out of memory computing windows");
    cairn_free(order);
    cairn_free(types);
    job_release(&job);
    return rc;
}
