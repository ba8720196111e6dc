/* pit.c: the point-in-time join (cairn_pit_join), Feast's semantics copied exactly.
 *
 * For each entity row (keys, time t) the matching feature row is, among the feature rows with
 * equal keys (a null key part, or a NaN, never matches), feature time <= t and, when
 * ttl_us > 0, feature time >= t - ttl, the one with the latest feature time; ties go to the
 * latest created time (a null created time loses to any non-null one), remaining ties to the
 * later row in the feature table's input order. No such row gives nulls (a left join); entity
 * rows keep their order, duplicates included. Time columns are timestamps or dates (a date is
 * midnight UTC); a row with a null time matches nothing.
 *
 * How:
 * 1. Key ids. Both sides' keys are hashed by value (integer kinds through cairn_hash_u64 of
 *    the int64 value, so INT32 matches INT64; floats by their bits with -0.0 as 0.0; strings,
 *    plain or dictionary, by their bytes) into one open-addressing table of the feature
 *    side's distinct keys, numbered 0..K-1. Entity keys are looked up (in parallel), so an
 *    entity key absent from the features gets no group at all. A single dictionary-encoded
 *    key is resolved once per dictionary entry, then per row by its code.
 * 2. Grouping. A counting sort by key id lists each side's rows per key, in input order
 *    (this is the "sort by keys"; it is stable, which the input-order tie-break relies on).
 *    The entity side is scattered straight into (time, row) items, in parallel row chunks.
 * 3. Per key, spread over the default pool by ranges of keys balanced by row counts: the
 *    feature rows are gathered as (time, created, row) and sorted, the entity items sorted
 *    in place (both skipped when already in order), then one merge with one
 *    pointer: for entity times ascending the pointer passes the feature rows with time <= t;
 *    the candidate is the last one passed, which the sort order makes the latest time, then
 *    the latest created time, then the latest input row; the TTL is checked on it alone
 *    (any other qualifying row would have an earlier time, so it qualifies iff it does).
 * 4. Output: every entity column copied, then the brought feature columns gathered with
 *    cairn__column_take at the matched rows (-1 = null), one pool task per column.
 *
 * Tests: tests/unit/feature/test_pit.c (edge cases, a brute-force reference on random data,
 * allocation failures), tests/oracles/test_pit_duckdb.sh (against DuckDB on the flights);
 * benchmark W3: bench/w3_pit.sh with bench/pit.c.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cairn/feature.h"
#include "table/table_internal.h"

#define US_PER_DAY INT64_C(86400000000)
#define NULL_CREATED INT64_MIN /* a null created time sorts before every real one */

typedef struct feature_item {
    int64_t time, created, row;
} feature_item;

typedef struct entity_item {
    int64_t time, row;
} entity_item;

/* The resolved columns of a join. */
typedef struct pit_cols {
    const cairn_column **ekeys, **fkeys;
    size_t nkeys;
    const cairn_column *etime, *ftime, *created; /* created may be NULL */
    const cairn_column **brought;
    size_t nbrought;
} pit_cols;

/* ------------------------------------------------------------------------------------------
 * Values: times and key parts
 * ---------------------------------------------------------------------------------------- */

static int64_t time_us(const cairn_column *c, int64_t row)
{
    if (c->type == CAIRN_TYPE_TIMESTAMP) return cairn_column_i64(c, row);
    int64_t us;
    if (__builtin_mul_overflow((int64_t)cairn_column_i32(c, row), US_PER_DAY, &us))
        return cairn_column_i32(c, row) < 0 ? INT64_MIN : INT64_MAX;
    return us;
}

/* ------------------------------------------------------------------------------------------
 * The table of distinct feature keys: key -> id in [0, count)
 * ---------------------------------------------------------------------------------------- */

typedef struct key_table {
    int32_t *slots; /* an id, or -1 = empty */
    size_t mask;
    uint64_t *hashes; /* per id */
    int64_t *reps;    /* per id: a row of rep_cols holding the key */
    const cairn_column *const *rep_cols;
    size_t nkeys;
    int32_t count;
} key_table;

/* Room for up to `max_keys` distinct keys (load <= 1/2). */
static int key_table_init(key_table *kt, const cairn_column *const *rep_cols, size_t nkeys,
                          int64_t max_keys)
{
    memset(kt, 0, sizeof *kt);
    size_t cap = 16;
    while (cap < (size_t)max_keys * 2)
        cap <<= 1;
    kt->slots = cairn_malloc(cap * sizeof *kt->slots);
    kt->hashes = cairn_malloc(((size_t)max_keys + 1) * sizeof *kt->hashes);
    kt->reps = cairn_malloc(((size_t)max_keys + 1) * sizeof *kt->reps);
    if (!kt->slots || !kt->hashes || !kt->reps) return CAIRN_ENOMEM;
    memset(kt->slots, 0xff, cap * sizeof *kt->slots);
    kt->mask = cap - 1;
    kt->rep_cols = rep_cols;
    kt->nkeys = nkeys;
    return 0;
}

static void key_table_release(key_table *kt)
{
    cairn_free(kt->slots);
    cairn_free(kt->hashes);
    cairn_free(kt->reps);
}

static bool rep_equal(const key_table *kt, int32_t id, const cairn_column *const *cols, int64_t row)
{
    for (size_t k = 0; k < kt->nkeys; k++)
        if (!cairn__key_part_equal(kt->rep_cols[k], kt->reps[id], cols[k], row)) return false;
    return true;
}

/* The id of the key at `row` of cols (hash h), or -1. */
static int32_t key_table_find(const key_table *kt, uint64_t h, const cairn_column *const *cols,
                              int64_t row)
{
    for (size_t s = h & kt->mask;; s = (s + 1) & kt->mask) {
        int32_t id = kt->slots[s];
        if (id < 0) return -1;
        if (kt->hashes[id] == h && rep_equal(kt, id, cols, row)) return id;
    }
}

/* The id of the key at rep_cols' `row`, added when new (the table has room by construction). */
static int32_t key_table_add(key_table *kt, uint64_t h, int64_t row)
{
    size_t s = h & kt->mask;
    for (;; s = (s + 1) & kt->mask) {
        int32_t id = kt->slots[s];
        if (id < 0) break;
        if (kt->hashes[id] == h && rep_equal(kt, id, kt->rep_cols, row)) return id;
    }
    int32_t id = kt->count++;
    kt->slots[s] = id;
    kt->hashes[id] = h;
    kt->reps[id] = row;
    return id;
}

/* ------------------------------------------------------------------------------------------
 * Parallel helpers
 * ---------------------------------------------------------------------------------------- */

static void run_tasks(size_t count, cairn_task_fn fn, void *arg)
{
    cairn_pool *pool = cairn_pool_default();
    if (pool) {
        cairn_pool_run(pool, count, fn, arg);
        return;
    }
    for (size_t i = 0; i < count; i++)
        fn(arg, i);
}

/* Row ranges for tasks over n rows: about 64K rows each, at least one. */
static size_t row_chunks(int64_t n)
{
    int64_t chunks = n / 65536 + 1;
    return (size_t)(chunks > 4096 ? 4096 : chunks);
}

static void chunk_range(int64_t n, size_t chunks, size_t i, int64_t *lo, int64_t *hi)
{
    *lo = (int64_t)((__int128)n * (int64_t)i / (int64_t)chunks);
    *hi = (int64_t)((__int128)n * (int64_t)(i + 1) / (int64_t)chunks);
}

/* ------------------------------------------------------------------------------------------
 * Step 1: key ids
 * ---------------------------------------------------------------------------------------- */

/* Feature rows: hashes computed in parallel (rows that can never match get id -1 up front),
 * then the ids assigned in one sequential pass. */
typedef struct hash_job {
    const cairn_column *const *cols;
    size_t nkeys;
    const cairn_column *time;
    int64_t rows;
    size_t chunks;
    uint64_t *hashes;
    int32_t *ids;
    const key_table *lookup; /* entity side: look the hash up here */
} hash_job;

static void hash_task(void *arg, size_t index)
{
    hash_job *job = arg;
    int64_t lo, hi;
    chunk_range(job->rows, job->chunks, index, &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        if (!cairn_column_is_valid(job->time, r) || !cairn__key_usable(job->cols, job->nkeys, r)) {
            job->ids[r] = -1;
            continue;
        }
        uint64_t h = cairn__key_hash(job->cols, job->nkeys, r);
        if (job->lookup)
            job->ids[r] = key_table_find(job->lookup, h, job->cols, r);
        else {
            job->hashes[r] = h;
            job->ids[r] = 0;
        }
    }
}

/* A single dictionary-encoded key: per row, the id of its code (memo), or -1. */
typedef struct memo_job {
    const cairn_column *key, *time;
    const int32_t *memo;
    int64_t rows;
    size_t chunks;
    int32_t *ids;
} memo_job;

static void memo_task(void *arg, size_t index)
{
    memo_job *job = arg;
    int64_t lo, hi;
    chunk_range(job->rows, job->chunks, index, &lo, &hi);
    const int32_t *codes = job->key->values;
    for (int64_t r = lo; r < hi; r++) {
        bool usable = cairn_column_is_valid(job->key, r) && cairn_column_is_valid(job->time, r);
        job->ids[r] = usable ? job->memo[codes[r]] : -1;
    }
}

static int memo_ids(const cairn_column *key, const cairn_column *time, const int32_t *memo,
                    int32_t *ids)
{
    memo_job job = {key, time, memo, key->length, row_chunks(key->length), ids};
    run_tasks(job.chunks, memo_task, &job);
    return 0;
}

/* Numbers the feature side's distinct keys into kt and writes each feature row's id. */
static int feature_ids(const pit_cols *pc, key_table *kt, int32_t *ids)
{
    int64_t m = pc->ftime->length;
    const cairn_column *dict = pc->nkeys == 1 ? pc->fkeys[0]->dictionary : NULL;
    if (dict) {
        /* the dictionary's entries are the keys: number them, then map codes */
        int rc = key_table_init(kt, (const cairn_column *const *)&pc->fkeys[0]->dictionary, 1,
                                dict->length);
        int32_t *memo = cairn_malloc(((size_t)dict->length + 1) * sizeof *memo);
        if (rc || !memo) {
            cairn_free(memo);
            return CAIRN_ENOMEM;
        }
        for (int64_t d = 0; d < dict->length; d++)
            memo[d] = cairn__key_usable(&dict, 1, d) ? key_table_add(kt, cairn__key_hash(&dict, 1, d), d) : -1;
        memo_ids(pc->fkeys[0], pc->ftime, memo, ids);
        cairn_free(memo);
        return 0;
    }
    int rc = key_table_init(kt, pc->fkeys, pc->nkeys, m);
    uint64_t *hashes = cairn_malloc(((size_t)m + 1) * sizeof *hashes);
    if (rc || !hashes) {
        cairn_free(hashes);
        return CAIRN_ENOMEM;
    }
    hash_job job = {pc->fkeys, pc->nkeys, pc->ftime, m, row_chunks(m), hashes, ids, NULL};
    run_tasks(job.chunks, hash_task, &job);
    for (int64_t r = 0; r < m; r++)
        if (ids[r] == 0) ids[r] = key_table_add(kt, hashes[r], r);
    cairn_free(hashes);
    return 0;
}

/* Each entity row's feature key id, or -1 when its key (or time) cannot match. */
static int entity_ids(const pit_cols *pc, const key_table *kt, int32_t *ids)
{
    int64_t n = pc->etime->length;
    const cairn_column *dict = pc->nkeys == 1 ? pc->ekeys[0]->dictionary : NULL;
    if (dict) {
        int32_t *memo = cairn_malloc(((size_t)dict->length + 1) * sizeof *memo);
        if (!memo) return CAIRN_ENOMEM;
        for (int64_t d = 0; d < dict->length; d++)
            memo[d] =
                cairn__key_usable(&dict, 1, d) ? key_table_find(kt, cairn__key_hash(&dict, 1, d), &dict, d) : -1;
        memo_ids(pc->ekeys[0], pc->etime, memo, ids);
        cairn_free(memo);
        return 0;
    }
    hash_job job = {pc->ekeys, pc->nkeys, pc->etime, n, row_chunks(n), NULL, ids, kt};
    run_tasks(job.chunks, hash_task, &job);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Step 2: rows grouped by key id (a stable counting sort)
 * ---------------------------------------------------------------------------------------- */

typedef struct groups {
    int64_t *starts; /* nkeys + 1 */
    int64_t *rows;   /* the rows with an id, by id, each group in input order */
} groups;

static int group_rows(const int32_t *ids, int64_t n, int32_t nkeys, groups *g)
{
    g->starts = cairn_calloc((size_t)nkeys + 2, sizeof *g->starts);
    if (!g->starts) return CAIRN_ENOMEM;
    for (int64_t r = 0; r < n; r++)
        if (ids[r] >= 0) g->starts[ids[r] + 2]++;
    for (int32_t k = 0; k < nkeys; k++)
        g->starts[k + 2] += g->starts[k + 1];
    int64_t total = g->starts[nkeys + 1];
    g->rows = cairn_malloc(((size_t)total + 1) * sizeof *g->rows);
    if (!g->rows) return CAIRN_ENOMEM;
    /* starts[k + 1] is group k's write cursor; it ends as group k's end = group k+1's start */
    for (int64_t r = 0; r < n; r++)
        if (ids[r] >= 0) g->rows[g->starts[ids[r] + 1]++] = r;
    return 0;
}

/* The entity side grouped the same way, as (time, row) items, so that the time column is
 * read sequentially here instead of gathered per row later. Parallel over row chunks: each
 * chunk counts its keys, the counts are laid out key by key in chunk order (keeping the
 * sort stable), then each chunk scatters its rows. With many keys, one chunk. */
typedef struct entity_groups {
    int64_t *starts;    /* nkeys + 1 */
    entity_item *items; /* by id, each group in input order */
} entity_groups;

typedef struct scatter_job {
    const int32_t *ids;
    const cairn_column *time;
    int64_t rows;
    size_t chunks;
    int32_t nkeys;
    int64_t *cursors; /* chunks x nkeys: counts, then write positions */
    entity_item *items;
} scatter_job;

static void count_task(void *arg, size_t index)
{
    scatter_job *job = arg;
    int64_t lo, hi, *count = job->cursors + index * (size_t)job->nkeys;
    chunk_range(job->rows, job->chunks, index, &lo, &hi);
    for (int64_t r = lo; r < hi; r++)
        if (job->ids[r] >= 0) count[job->ids[r]]++;
}

static void scatter_task(void *arg, size_t index)
{
    scatter_job *job = arg;
    int64_t lo, hi, *cursor = job->cursors + index * (size_t)job->nkeys;
    chunk_range(job->rows, job->chunks, index, &lo, &hi);
    for (int64_t r = lo; r < hi; r++) {
        if (job->ids[r] < 0) continue;
        entity_item *it = &job->items[cursor[job->ids[r]]++];
        it->time = time_us(job->time, r);
        it->row = r;
    }
}

static int group_entities(const int32_t *ids, const cairn_column *time, int64_t n, int32_t nkeys,
                          entity_groups *g)
{
    size_t chunks = row_chunks(n);
    if ((size_t)nkeys * chunks > ((size_t)1 << 22)) chunks = 1;
    scatter_job job = {ids, time, n, chunks, nkeys, NULL, NULL};
    g->starts = cairn_calloc((size_t)nkeys + 1, sizeof *g->starts);
    job.cursors = cairn_calloc(chunks * (size_t)nkeys + 1, sizeof *job.cursors);
    if (!g->starts || !job.cursors) {
        cairn_free(job.cursors);
        return CAIRN_ENOMEM;
    }
    run_tasks(chunks, count_task, &job);
    int64_t total = 0;
    for (int32_t k = 0; k < nkeys; k++) {
        g->starts[k] = total;
        for (size_t c = 0; c < chunks; c++) {
            int64_t *slot = &job.cursors[c * (size_t)nkeys + (size_t)k], count = *slot;
            *slot = total;
            total += count;
        }
    }
    g->starts[nkeys] = total;
    g->items = job.items = cairn_malloc(((size_t)total + 1) * sizeof *g->items);
    if (g->items) run_tasks(chunks, scatter_task, &job);
    cairn_free(job.cursors);
    return g->items ? 0 : CAIRN_ENOMEM;
}

static void entity_groups_release(entity_groups *g)
{
    cairn_free(g->starts);
    cairn_free(g->items);
}

static void groups_release(groups *g)
{
    cairn_free(g->starts);
    cairn_free(g->rows);
}

/* ------------------------------------------------------------------------------------------
 * Step 3: per key, sort and merge
 * ---------------------------------------------------------------------------------------- */

static bool feature_less(const feature_item *a, const feature_item *b)
{
    if (a->time != b->time) return a->time < b->time;
    if (a->created != b->created) return a->created < b->created;
    return a->row < b->row;
}

static bool entity_less(const entity_item *a, const entity_item *b)
{
    if (a->time != b->time) return a->time < b->time;
    return a->row < b->row;
}

/* A merge sort (insertion sort below 24 items) on a total order; tmp holds n items. */
#define DEFINE_SORT(name, type, less)                                                              \
    static void name(type *a, type *tmp, size_t n)                                                 \
    {                                                                                              \
        if (n < 24) {                                                                              \
            for (size_t i = 1; i < n; i++) {                                                       \
                type x = a[i];                                                                     \
                size_t j = i;                                                                      \
                for (; j > 0 && less(&x, &a[j - 1]); j--)                                          \
                    a[j] = a[j - 1];                                                               \
                a[j] = x;                                                                          \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        size_t half = n / 2;                                                                       \
        name(a, tmp, half);                                                                        \
        name(a + half, tmp, n - half);                                                             \
        if (!less(&a[half], &a[half - 1])) return;                                                 \
        memcpy(tmp, a, half * sizeof *a);                                                          \
        size_t i = 0, j = half, k = 0;                                                             \
        while (i < half && j < n)                                                                  \
            a[k++] = less(&a[j], &tmp[i]) ? a[j++] : tmp[i++];                                     \
        while (i < half)                                                                           \
            a[k++] = tmp[i++];                                                                     \
    }

DEFINE_SORT(sort_features, feature_item, feature_less)
DEFINE_SORT(sort_entities, entity_item, entity_less)

typedef struct merge_job {
    const pit_cols *pc;
    const groups *fg;
    const entity_groups *eg;
    int64_t ttl_us;
    int64_t *match;           /* per entity row: the feature row, or -1 */
    const int32_t *task_keys; /* ntasks + 1 key boundaries */
    int *task_rc;
} merge_job;

/* Feature rows of one key as (time, created, row), sorted. */
static void gather_features(const merge_job *job, int32_t key, feature_item *items,
                            feature_item *tmp)
{
    const int64_t *rows = job->fg->rows + job->fg->starts[key];
    size_t count = (size_t)(job->fg->starts[key + 1] - job->fg->starts[key]);
    const cairn_column *created = job->pc->created;
    bool sorted = true;
    for (size_t i = 0; i < count; i++) {
        int64_t r = rows[i];
        items[i].time = time_us(job->pc->ftime, r);
        items[i].created =
            created && cairn_column_is_valid(created, r) ? time_us(created, r) : NULL_CREATED;
        items[i].row = r;
        if (i > 0 && sorted && feature_less(&items[i], &items[i - 1])) sorted = false;
    }
    if (!sorted) sort_features(items, tmp, count);
}

/* The key's entity items (each key belongs to one task, which sorts them in place unless
 * they are in order already, as they are when the entity table is sorted by time). *tmp is
 * the task's sorting room, allocated on first need with `cap` items; NULL when that fails. */
static entity_item *sorted_entities(const merge_job *job, int32_t key, entity_item **tmp,
                                    int64_t cap)
{
    entity_item *items = job->eg->items + job->eg->starts[key];
    size_t count = (size_t)(job->eg->starts[key + 1] - job->eg->starts[key]);
    for (size_t i = 1; i < count; i++) {
        if (!entity_less(&items[i], &items[i - 1])) continue;
        if (!*tmp) *tmp = cairn_malloc((size_t)cap * sizeof **tmp);
        if (!*tmp) return NULL;
        sort_entities(items, *tmp, count);
        break;
    }
    return items;
}

/* One pointer over the key's features while entity times ascend. */
static void merge_key(const merge_job *job, const feature_item *f, size_t nf, const entity_item *e,
                      size_t ne)
{
    size_t p = 0;
    for (size_t i = 0; i < ne; i++) {
        int64_t t = e[i].time;
        while (p < nf && f[p].time <= t)
            p++;
        int64_t found = -1;
        if (p > 0) {
            int64_t lo;
            if (job->ttl_us <= 0 || __builtin_sub_overflow(t, job->ttl_us, &lo)) lo = INT64_MIN;
            if (f[p - 1].time >= lo) found = f[p - 1].row;
        }
        job->match[e[i].row] = found;
    }
}

static int64_t group_size(const int64_t *starts, int32_t key)
{
    return starts[key + 1] - starts[key];
}

static void merge_task(void *arg, size_t index)
{
    merge_job *job = arg;
    int32_t k0 = job->task_keys[index], k1 = job->task_keys[index + 1];
    int64_t fmax = 0, emax = 0;
    for (int32_t k = k0; k < k1; k++) {
        if (group_size(job->eg->starts, k) == 0) continue;
        if (group_size(job->fg->starts, k) > fmax) fmax = group_size(job->fg->starts, k);
        if (group_size(job->eg->starts, k) > emax) emax = group_size(job->eg->starts, k);
    }
    if (emax == 0) return;
    feature_item *f = cairn_malloc((size_t)fmax * 2 * sizeof *f + 1);
    entity_item *tmp = NULL;
    int rc = f ? 0 : CAIRN_ENOMEM;
    for (int32_t k = k0; k < k1 && rc == 0; k++) {
        size_t nf = (size_t)group_size(job->fg->starts, k),
               ne = (size_t)group_size(job->eg->starts, k);
        if (ne == 0) continue;
        gather_features(job, k, f, f + fmax);
        const entity_item *e = sorted_entities(job, k, &tmp, emax);
        if (e)
            merge_key(job, f, nf, e, ne);
        else
            rc = CAIRN_ENOMEM;
    }
    job->task_rc[index] = rc;
    cairn_free(f);
    cairn_free(tmp);
}

/* Splits keys [0, nkeys) into ranges of about equal work (rows of both sides). */
static size_t plan_tasks(const int64_t *fstarts, const int64_t *estarts, int32_t nkeys,
                         int32_t *task_keys, size_t max_tasks)
{
    int64_t total = fstarts[nkeys] + estarts[nkeys];
    size_t tasks = 0;
    task_keys[0] = 0;
    int64_t done = 0;
    for (int32_t k = 0; k < nkeys; k++) {
        done += group_size(fstarts, k) + group_size(estarts, k);
        int64_t goal = (int64_t)((__int128)total * (int64_t)(tasks + 1) / (int64_t)max_tasks);
        if (done >= goal && tasks + 1 < max_tasks) task_keys[++tasks] = k + 1;
    }
    if (task_keys[tasks] != nkeys) task_keys[++tasks] = nkeys;
    return tasks;
}

static int merge_all(const pit_cols *pc, const groups *fg, const entity_groups *eg, int32_t nkeys,
                     int64_t ttl_us, int64_t *match)
{
    if (nkeys == 0) return 0;
    cairn_pool *pool = cairn_pool_default();
    size_t max_tasks = (size_t)(pool ? cairn_pool_threads(pool) : 1) * 8;
    if (max_tasks > (size_t)nkeys) max_tasks = (size_t)nkeys;
    int32_t *task_keys = cairn_malloc((max_tasks + 2) * sizeof *task_keys);
    int *task_rc = cairn_calloc(max_tasks + 1, sizeof *task_rc);
    if (!task_keys || !task_rc) {
        cairn_free(task_keys);
        cairn_free(task_rc);
        return CAIRN_ENOMEM;
    }
    size_t tasks = plan_tasks(fg->starts, eg->starts, nkeys, task_keys, max_tasks);
    merge_job job = {pc, fg, eg, ttl_us, match, task_keys, task_rc};
    run_tasks(tasks, merge_task, &job);
    int rc = 0;
    for (size_t i = 0; i < tasks && rc == 0; i++)
        rc = task_rc[i];
    cairn_free(task_keys);
    cairn_free(task_rc);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Step 4: the output table
 * ---------------------------------------------------------------------------------------- */

typedef struct output_job {
    const cairn_table *entities;
    const pit_cols *pc;
    const int64_t *match;
    int64_t rows;
    const char *prefix;
    cairn_column **columns; /* entity columns, then brought ones */
    int *rc;
} output_job;

static int rename_column(cairn_column *c, const char *prefix)
{
    if (!prefix || !*prefix) return 0;
    size_t plen = strlen(prefix), nlen = strlen(c->name);
    char *name = cairn_malloc(plen + nlen + 1);
    if (!name) return CAIRN_ENOMEM;
    memcpy(name, prefix, plen);
    memcpy(name + plen, c->name, nlen + 1);
    cairn_free(c->name);
    c->name = name;
    return 0;
}

static void output_task(void *arg, size_t index)
{
    output_job *job = arg;
    size_t nentity = cairn_table_num_columns(job->entities);
    int rc;
    if (index < nentity) {
        rc = cairn_column_copy(cairn_table_column(job->entities, index), &job->columns[index]);
    } else {
        rc = cairn__column_take(job->pc->brought[index - nentity], job->match, job->rows,
                                &job->columns[index]);
        if (rc == 0) rc = rename_column(job->columns[index], job->prefix);
    }
    job->rc[index] = rc;
}

static int build_output(const cairn_table *entities, const pit_cols *pc, const int64_t *match,
                        const char *prefix, cairn_table **out)
{
    size_t count = cairn_table_num_columns(entities) + pc->nbrought;
    cairn_column **columns = cairn_calloc(count + 1, sizeof *columns);
    int *rcs = cairn_calloc(count + 1, sizeof *rcs);
    if (!columns || !rcs) {
        cairn_free(columns);
        cairn_free(rcs);
        return CAIRN_ENOMEM;
    }
    output_job job = {entities, pc, match, cairn_table_num_rows(entities), prefix, columns, rcs};
    run_tasks(count, output_task, &job);
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = rcs[i];
    if (rc == 0) {
        rc = cairn__table_from_columns(columns, count, out); /* frees them on failure */
    } else {
        for (size_t i = 0; i < count; i++)
            cairn_column_free(columns[i]);
    }
    cairn_free(columns);
    cairn_free(rcs);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Checking the spec
 * ---------------------------------------------------------------------------------------- */

static int find_column(const cairn_table *table, const char *name, const char *what,
                       const char *side, const cairn_column **out, cairn_error *err)
{
    *out = name ? cairn_table_column_by_name(table, name) : NULL;
    if (*out) return 0;
    cairn_error_set(err, CAIRN_ENOTFOUND, "point-in-time join: no %s column '%s' in the %s table",
                    what, name ? name : "(null)", side);
    cairn_error_field(err, name ? name : "");
    return CAIRN_ENOTFOUND;
}

static int check_time(const cairn_column *c, const char *what, const char *side, cairn_error *err)
{
    if (c->type == CAIRN_TYPE_TIMESTAMP || c->type == CAIRN_TYPE_DATE32) return 0;
    const char *found = cairn_type_name(c->type);
    cairn_error_set(err, CAIRN_ETYPE,
                    "point-in-time join: the %s column '%s' of the %s table is %s, expected a "
                    "timestamp or date",
                    what, c->name, side, found);
    cairn_error_field(err, c->name);
    cairn_error_expect(err, "timestamp or date", found, strlen(found));
    return CAIRN_ETYPE;
}

static bool types_joinable(cairn_type a, cairn_type b)
{
    bool a_int = a == CAIRN_TYPE_INT32 || a == CAIRN_TYPE_INT64;
    bool b_int = b == CAIRN_TYPE_INT32 || b == CAIRN_TYPE_INT64;
    return a == b || (a_int && b_int);
}

static int resolve_keys(const cairn_table *entities, const cairn_table *features,
                        const cairn_pit_spec *spec, pit_cols *pc, cairn_error *err)
{
    for (size_t k = 0; k < spec->nkeys; k++) {
        int rc = find_column(entities, spec->entity_keys[k], "key", "entity", &pc->ekeys[k], err);
        if (rc == 0)
            rc = find_column(features, spec->feature_keys[k], "key", "feature", &pc->fkeys[k], err);
        if (rc) return rc;
        cairn_type et = pc->ekeys[k]->type, ft = pc->fkeys[k]->type;
        if (types_joinable(et, ft)) continue;
        cairn_error_set(err, CAIRN_ETYPE,
                        "point-in-time join: key '%s' of the entity table is %s but '%s' of the "
                        "feature table is %s",
                        spec->entity_keys[k], cairn_type_name(et), spec->feature_keys[k],
                        cairn_type_name(ft));
        cairn_error_field(err, spec->feature_keys[k]);
        cairn_error_expect(err, cairn_type_name(et), cairn_type_name(ft),
                           strlen(cairn_type_name(ft)));
        return CAIRN_ETYPE;
    }
    return 0;
}

static bool is_special(const cairn_pit_spec *spec, const char *name)
{
    for (size_t k = 0; k < spec->nkeys; k++)
        if (strcmp(spec->feature_keys[k], name) == 0) return true;
    if (strcmp(spec->feature_time, name) == 0) return true;
    return spec->created_time && strcmp(spec->created_time, name) == 0;
}

/* The brought columns: the requested ones, or every non-key, non-time feature column. */
static int resolve_brought(const cairn_table *features, const cairn_pit_spec *spec, pit_cols *pc,
                           cairn_error *err)
{
    if (spec->columns && spec->ncolumns > 0) {
        for (size_t i = 0; i < spec->ncolumns; i++) {
            int rc = find_column(features, spec->columns[i], "requested", "feature",
                                 &pc->brought[i], err);
            if (rc) return rc;
        }
        pc->nbrought = spec->ncolumns;
        return 0;
    }
    pc->nbrought = 0;
    for (size_t i = 0; i < cairn_table_num_columns(features); i++) {
        const cairn_column *c = cairn_table_column(features, i);
        if (!is_special(spec, c->name)) pc->brought[pc->nbrought++] = c;
    }
    return 0;
}

/* Brought names (with the prefix) must be new to the entity table and to each other. */
static int check_clashes(const cairn_table *entities, const pit_cols *pc, const char *prefix,
                         cairn_error *err)
{
    size_t plen = prefix ? strlen(prefix) : 0;
    for (size_t i = 0; i < pc->nbrought; i++) {
        char name[512];
        snprintf(name, sizeof name, "%s%s", plen ? prefix : "", pc->brought[i]->name);
        bool twice = false;
        for (size_t j = 0; j < i && !twice; j++)
            twice = strcmp(pc->brought[j]->name, pc->brought[i]->name) == 0;
        if (!twice && cairn_table_find(entities, name) < 0) continue;
        if (twice)
            cairn_error_set(err, CAIRN_EEXIST,
                            "point-in-time join: feature column '%s' is requested twice",
                            pc->brought[i]->name);
        else
            cairn_error_set(err, CAIRN_EEXIST,
                            "point-in-time join: brought column '%s' clashes with an entity "
                            "column of that name (set a prefix)",
                            name);
        cairn_error_field(err, name);
        return CAIRN_EEXIST;
    }
    return 0;
}

static int check_spec(const cairn_table *entities, const cairn_table *features,
                      const cairn_pit_spec *spec, pit_cols *pc, cairn_error *err)
{
    if (spec->nkeys > 0 && (!spec->entity_keys || !spec->feature_keys))
        return cairn_error_set(err, CAIRN_EINVAL, "point-in-time join: %zu keys but no key names",
                               spec->nkeys);
    if (spec->ttl_us < 0)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "point-in-time join: ttl_us is %lld, expected >= 0 (0 = no TTL)",
                               (long long)spec->ttl_us);
    if (!spec->entity_time || !spec->feature_time)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "point-in-time join: the entity and feature time columns are "
                               "required");
    int rc = resolve_keys(entities, features, spec, pc, err);
    if (rc == 0) rc = find_column(entities, spec->entity_time, "time", "entity", &pc->etime, err);
    if (rc == 0) rc = check_time(pc->etime, "time", "entity", err);
    if (rc == 0) rc = find_column(features, spec->feature_time, "time", "feature", &pc->ftime, err);
    if (rc == 0) rc = check_time(pc->ftime, "time", "feature", err);
    if (rc == 0 && spec->created_time) {
        rc =
            find_column(features, spec->created_time, "created-time", "feature", &pc->created, err);
        if (rc == 0) rc = check_time(pc->created, "created-time", "feature", err);
    }
    if (rc == 0) rc = resolve_brought(features, spec, pc, err);
    if (rc == 0) rc = check_clashes(entities, pc, spec->prefix, err);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * API
 * ---------------------------------------------------------------------------------------- */

static int pit_run(const cairn_table *entities, const cairn_table *features,
                   const cairn_pit_spec *spec, const pit_cols *pc, cairn_table **out)
{
    int64_t n = cairn_table_num_rows(entities), m = cairn_table_num_rows(features);
    if (m >= INT32_MAX) return CAIRN_ELIMIT;
    key_table kt;
    memset(&kt, 0, sizeof kt);
    groups fg = {0};
    entity_groups eg = {0};
    int32_t *fids = cairn_malloc(((size_t)m + 1) * sizeof *fids);
    int32_t *eids = cairn_malloc(((size_t)n + 1) * sizeof *eids);
    int64_t *match = cairn_malloc(((size_t)n + 1) * sizeof *match);
    int rc = fids && eids && match ? 0 : CAIRN_ENOMEM;
    if (rc == 0) rc = feature_ids(pc, &kt, fids);
    if (rc == 0) rc = entity_ids(pc, &kt, eids);
    if (rc == 0) rc = group_rows(fids, m, kt.count, &fg);
    if (rc == 0) rc = group_entities(eids, pc->etime, n, kt.count, &eg);
    cairn_free(fids);
    fids = NULL;
    if (rc == 0) {
        for (int64_t r = 0; r < n; r++)
            match[r] = -1; /* rows in no group keep it */
        cairn_free(eids);
        eids = NULL;
        rc = merge_all(pc, &fg, &eg, kt.count, spec->ttl_us, match);
    }
    groups_release(&fg);
    entity_groups_release(&eg);
    key_table_release(&kt);
    cairn_free(eids);
    if (rc == 0) rc = build_output(entities, pc, match, spec->prefix, out);
    cairn_free(match);
    return rc;
}

int cairn_pit_join(const cairn_table *entities, const cairn_table *features,
                   const cairn_pit_spec *spec, cairn_table **out, cairn_error *err)
{
    if (!entities || !features || !spec || !out)
        return cairn_error_set(err, CAIRN_EINVAL, "point-in-time join: missing argument");
    size_t nbrought_max =
        spec->columns && spec->ncolumns ? spec->ncolumns : cairn_table_num_columns(features);
    pit_cols pc;
    memset(&pc, 0, sizeof pc);
    pc.nkeys = spec->nkeys;
    pc.ekeys = cairn_calloc(spec->nkeys + 1, sizeof *pc.ekeys);
    pc.fkeys = cairn_calloc(spec->nkeys + 1, sizeof *pc.fkeys);
    pc.brought = cairn_calloc(nbrought_max + 1, sizeof *pc.brought);
    int rc = pc.ekeys && pc.fkeys && pc.brought ? 0 : CAIRN_ENOMEM;
    if (rc == 0) rc = check_spec(entities, features, spec, &pc, err);
    if (rc == 0) {
        rc = pit_run(entities, features, spec, &pc, out);
        if (rc == CAIRN_ELIMIT)
            cairn_error_set(err, rc,
                            "point-in-time join: the feature table has %lld rows, at "
                            "most %d are supported",
                            (long long)cairn_table_num_rows(features), INT32_MAX - 1);
    }
    if (rc == CAIRN_ENOMEM) cairn_error_set(err, rc, "point-in-time join: out of memory");
    cairn_free(pc.ekeys);
    cairn_free(pc.fkeys);
    cairn_free(pc.brought);
    return rc;
}
