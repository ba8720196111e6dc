/* sort.c: stable multi-key sorting of a table, and group boundaries of a sorted table.
 *
 * The sort is least-significant-key first: starting from the identity permutation, the
 * index array is stably re-sorted by the last key, then the one before, and so on; since
 * every pass is stable, the result is ordered by the keys lexicographically and ties keep
 * their row order. Each pass scatters the rows stably into three runs, nulls, NaNs and the
 * rest, placed as [nulls][values][NaN] (nulls_first) or [values][NaN][nulls]: NaN sorts
 * after all numbers whichever the direction, nulls go where the key says. The values run is
 * then sorted by
 * - an LSD radix sort on 64-bit keys whose unsigned order is the value order (bools,
 *   integers, dates, timestamps, floats by their IEEE bits, dictionary strings by the rank
 *   of their code in the sorted dictionary); descending flips the bits, which keeps ties in
 *   order; byte positions where every key agrees are skipped, so small ranges cost little;
 * - for plain strings, the same radix sort on 8-byte big-endian prefixes, then within each
 *   run of equal prefixes the next 8 bytes, a few levels deep, and finally a bottom-up merge
 *   sort (insertion-sorted runs of 16) comparing whole strings.
 * Group bounds walk the sorted rows once; nulls equal nulls and NaN equals NaN there.
 * Tests: tests/unit/table/test_sort.c.
 */
#include <math.h>
#include <string.h>

#include "table_internal.h"

typedef struct sort_key_ctx {
    const cairn_column *column;
    bool descending, nulls_first;
    int64_t *rank; /* dictionary code -> rank of its string; NULL without a dictionary */
} sort_key_ctx;

/* Scratch arrays for one sort, each n entries. */
typedef struct sort_scratch {
    int64_t *tmp;
    uint64_t *keys, *keys2;
} sort_scratch;

/* ------------------------------------------------------------------------------------------
 * Merge sort of row numbers by string bytes (also ranks dictionaries)
 * ---------------------------------------------------------------------------------------- */

static int str_compare(const cairn_column *c, int64_t a, int64_t b)
{
    size_t alen, blen;
    const char *as = cairn_column_str(c, a, &alen);
    const char *bs = cairn_column_str(c, b, &blen);
    return cairn__str_cmp(as, alen, bs, blen);
}

static int key_compare(const cairn_column *c, bool descending, int64_t a, int64_t b)
{
    int cmp = str_compare(c, a, b);
    return descending ? -cmp : cmp;
}

static void insertion_sort(const cairn_column *c, bool desc, int64_t *rows, int64_t n)
{
    for (int64_t i = 1; i < n; i++) {
        int64_t row = rows[i], j = i;
        for (; j > 0 && key_compare(c, desc, rows[j - 1], row) > 0; j--)
            rows[j] = rows[j - 1];
        rows[j] = row;
    }
}

static void merge_runs(const cairn_column *c, bool desc, const int64_t *from, int64_t *to,
                       int64_t lo, int64_t mid, int64_t hi)
{
    int64_t i = lo, j = mid, k = lo;
    while (i < mid && j < hi)
        to[k++] = key_compare(c, desc, from[i], from[j]) <= 0 ? from[i++] : from[j++];
    while (i < mid)
        to[k++] = from[i++];
    while (j < hi)
        to[k++] = from[j++];
}

/* Stable sort of rows[0..n) by the strings of c; tmp holds n entries. */
static void merge_sort(const cairn_column *c, bool desc, int64_t *rows, int64_t *tmp, int64_t n)
{
    const int64_t run = 16;
    for (int64_t lo = 0; lo < n; lo += run)
        insertion_sort(c, desc, rows + lo, n - lo < run ? n - lo : run);
    int64_t *from = rows, *to = tmp;
    for (int64_t width = run; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n;
            int64_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            merge_runs(c, desc, from, to, lo, mid, hi);
        }
        int64_t *swap = from;
        from = to;
        to = swap;
    }
    if (from != rows) memcpy(rows, from, (size_t)n * sizeof *rows);
}

/* rank[code] = position of the code's string in the sorted dictionary (equal strings share
 * a rank). */
static int dictionary_ranks(const cairn_column *dict, int64_t **out)
{
    int64_t n = dict->length;
    int64_t *order = cairn_malloc((size_t)(n ? n : 1) * sizeof *order);
    int64_t *rank = cairn_malloc((size_t)(n ? n : 1) * sizeof *rank);
    if (!order || !rank) {
        cairn_free(order);
        cairn_free(rank);
        return CAIRN_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++)
        order[i] = i;
    merge_sort(dict, false, order, rank, n);
    for (int64_t i = 0, r = 0; i < n; i++) {
        if (i > 0 && str_compare(dict, order[i - 1], order[i]) != 0) r = i;
        rank[order[i]] = r;
    }
    cairn_free(order);
    *out = rank;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Radix sort by 64-bit keys
 * ---------------------------------------------------------------------------------------- */

static uint64_t double_key(double x)
{
    if (x == 0) x = 0.0; /* -0.0 equals 0.0: keep such ties in row order */
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    return (bits >> 63) ? ~bits : bits | (UINT64_C(1) << 63);
}

/* Bytes [offset, offset + 8) of a plain string, big-endian and zero-padded: their unsigned
 * order is the bytewise order of the strings as far as those bytes go. */
static uint64_t prefix_key(const cairn_column *c, int64_t row, size_t offset)
{
    size_t len;
    const unsigned char *p = (const unsigned char *)cairn_column_str(c, row, &len);
    uint64_t k = 0;
    for (size_t i = offset; i < offset + 8; i++)
        k = (k << 8) | (i < len ? p[i] : 0);
    return k;
}

static uint64_t radix_key(const sort_key_ctx *key, int64_t row, size_t offset)
{
    const cairn_column *c = key->column;
    if (c->type == CAIRN_TYPE_STRING && !key->rank) return prefix_key(c, row, offset);
    const uint64_t sign64 = UINT64_C(1) << 63;
    switch (c->type) {
    case CAIRN_TYPE_BOOL:
        return cairn_bit_get(c->values, row);
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32:
        return (uint64_t)(uint32_t)cairn_column_i32(c, row) ^ 0x80000000u;
    case CAIRN_TYPE_INT64:
    case CAIRN_TYPE_TIMESTAMP:
        return (uint64_t)cairn_column_i64(c, row) ^ sign64;
    case CAIRN_TYPE_FLOAT32:
        return double_key((double)((const float *)c->values)[row]);
    case CAIRN_TYPE_FLOAT64:
        return double_key(cairn_column_f64(c, row));
    case CAIRN_TYPE_STRING:
        return (uint64_t)key->rank[cairn_column_i32(c, row)];
    }
    return 0;
}

/* Stable LSD radix sort of rows[0..n) (8 bits a pass) by their keys (for plain strings,
 * the 8 bytes from `offset`). */
static void radix_sort(const sort_key_ctx *key, int64_t *rows, int64_t n, sort_scratch *s,
                       size_t offset)
{
    size_t counts[8][256]; /* 16 KiB: all eight byte histograms in one pass */
    uint64_t flip = key->descending ? ~UINT64_C(0) : 0;
    memset(counts, 0, sizeof counts);
    uint64_t *k = s->keys, *k2 = s->keys2;
    int64_t *r = rows, *r2 = s->tmp;
    for (int64_t i = 0; i < n; i++) {
        k[i] = radix_key(key, rows[i], offset) ^ flip;
        for (int b = 0; b < 8; b++)
            counts[b][(k[i] >> (8 * b)) & 0xff]++;
    }
    for (int b = 0; b < 8; b++) {
        size_t *count = counts[b], pos = 0;
        if (count[(k[0] >> (8 * b)) & 0xff] == (size_t)n) continue; /* all agree */
        for (int d = 0; d < 256; d++) {
            size_t c = count[d];
            count[d] = pos;
            pos += c;
        }
        for (int64_t i = 0; i < n; i++) {
            size_t at = count[(k[i] >> (8 * b)) & 0xff]++;
            k2[at] = k[i];
            r2[at] = r[i];
        }
        uint64_t *ks = k;
        k = k2;
        k2 = ks;
        int64_t *rs = r;
        r = r2;
        r2 = rs;
    }
    if (r != rows) memcpy(rows, r, (size_t)n * sizeof *rows);
}

/* ------------------------------------------------------------------------------------------
 * Plain strings: radix on 8-byte prefixes, refined within runs of equal prefixes
 * ---------------------------------------------------------------------------------------- */

enum { STRING_RADIX_MIN = 64, STRING_RADIX_DEPTH = 16 }; /* 128 bytes of shared prefix */

/* Rows in a run of equal 8-byte prefixes at `offset`: are they all the same string? If some
 * is longer than offset + 8, *longer tells the run needs the next 8 bytes. */
static bool run_all_equal(const cairn_column *c, const int64_t *rows, int64_t n, size_t offset,
                          bool *longer)
{
    size_t first;
    cairn_column_str(c, rows[0], &first);
    bool same = true;
    *longer = false;
    for (int64_t i = 0; i < n; i++) {
        size_t len;
        cairn_column_str(c, rows[i], &len);
        if (len > offset + 8) *longer = true;
        if (len != first) same = false;
    }
    return same && !*longer;
}

/* Stable sort of rows[0..n) by string bytes from `offset` on (all rows agree before it).
 * Runs of equal prefixes recurse on the next 8 bytes a few levels deep, then fall back to
 * merge sort, so long shared prefixes cannot exhaust the stack. */
static void sort_strings(const sort_key_ctx *key, int64_t *rows, int64_t n, sort_scratch *s,
                         int depth)
{
    const cairn_column *c = key->column;
    if (n < STRING_RADIX_MIN || depth >= STRING_RADIX_DEPTH) {
        merge_sort(c, key->descending, rows, s->tmp, n);
        return;
    }
    size_t offset = (size_t)depth * 8;
    radix_sort(key, rows, n, s, offset);
    for (int64_t lo = 0, hi; lo < n; lo = hi) {
        uint64_t k = prefix_key(c, rows[lo], offset);
        for (hi = lo + 1; hi < n && prefix_key(c, rows[hi], offset) == k; hi++)
            continue;
        bool longer;
        if (hi - lo < 2 || run_all_equal(c, rows + lo, hi - lo, offset, &longer)) continue;
        if (longer)
            sort_strings(key, rows + lo, hi - lo, s, depth + 1);
        else /* equal but for trailing zero bytes: the lengths decide */
            merge_sort(c, key->descending, rows + lo, s->tmp, hi - lo);
    }
}

/* ------------------------------------------------------------------------------------------
 * One stable pass per key
 * ---------------------------------------------------------------------------------------- */

enum { CLASS_VALUE, CLASS_NAN, CLASS_NULL };

static int row_class(const cairn_column *c, int64_t row)
{
    if (!cairn_column_is_valid(c, row)) return CLASS_NULL;
    if (c->type == CAIRN_TYPE_FLOAT64 && isnan(cairn_column_f64(c, row))) return CLASS_NAN;
    if (c->type == CAIRN_TYPE_FLOAT32 && isnan(((const float *)c->values)[row])) return CLASS_NAN;
    return CLASS_VALUE;
}

/* Stably re-sorts *rows by one key; the result may come back in the scratch array, so the
 * two are swapped. */
static void sort_by_key(const sort_key_ctx *key, int64_t **rows, int64_t n, sort_scratch *s)
{
    int64_t counts[3] = {0, 0, 0}, at[3];
    for (int64_t i = 0; i < n; i++)
        counts[row_class(key->column, (*rows)[i])]++;
    at[CLASS_NULL] = key->nulls_first ? 0 : counts[CLASS_VALUE] + counts[CLASS_NAN];
    at[CLASS_VALUE] = key->nulls_first ? counts[CLASS_NULL] : 0;
    at[CLASS_NAN] = at[CLASS_VALUE] + counts[CLASS_VALUE];
    int64_t *out = s->tmp;
    int64_t values_at = at[CLASS_VALUE];
    for (int64_t i = 0; i < n; i++) {
        int64_t row = (*rows)[i];
        out[at[row_class(key->column, row)]++] = row;
    }
    /* the old index array becomes scratch for sorting the values run */
    s->tmp = *rows;
    *rows = out;
    int64_t m = counts[CLASS_VALUE];
    if (m < 2) return;
    if (key->column->type == CAIRN_TYPE_STRING && !key->rank)
        sort_strings(key, out + values_at, m, s, 0);
    else
        radix_sort(key, out + values_at, m, s, 0);
}

/* ------------------------------------------------------------------------------------------
 * API
 * ---------------------------------------------------------------------------------------- */

static void release_keys(sort_key_ctx *ctx, size_t nkeys)
{
    for (size_t i = 0; ctx && i < nkeys; i++)
        cairn_free(ctx[i].rank);
    cairn_free(ctx);
}

static int resolve_keys(const cairn_table *table, const cairn_sort_key *keys, size_t nkeys,
                        sort_key_ctx **out, cairn_error *err)
{
    sort_key_ctx *ctx = cairn_calloc(nkeys ? nkeys : 1, sizeof *ctx);
    if (!ctx) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory sorting");
    for (size_t i = 0; i < nkeys; i++) {
        ctx[i].column = cairn_table_column_by_name(table, keys[i].column);
        ctx[i].descending = keys[i].descending;
        ctx[i].nulls_first = keys[i].nulls_first;
        int rc = 0;
        if (!ctx[i].column) {
            rc = cairn_error_set(err, CAIRN_ENOTFOUND, "no column named '%s' to sort by",
                                 keys[i].column);
            cairn_error_field(err, keys[i].column);
        } else if (ctx[i].column->dictionary) {
            rc = dictionary_ranks(ctx[i].column->dictionary, &ctx[i].rank);
            if (rc) cairn_error_set(err, rc, "out of memory sorting");
        }
        if (rc) {
            release_keys(ctx, nkeys);
            return rc;
        }
    }
    *out = ctx;
    return 0;
}

static int scratch_init(sort_scratch *s, int64_t n)
{
    size_t bytes = (size_t)(n ? n : 1) * 8;
    s->tmp = cairn_malloc(bytes);
    s->keys = cairn_malloc(bytes);
    s->keys2 = cairn_malloc(bytes);
    return s->tmp && s->keys && s->keys2 ? 0 : CAIRN_ENOMEM;
}

static void scratch_release(sort_scratch *s)
{
    cairn_free(s->tmp);
    cairn_free(s->keys);
    cairn_free(s->keys2);
}

int cairn_table_sort_indices(const cairn_table *table, const cairn_sort_key *keys, size_t nkeys,
                             int64_t **out_indices, cairn_error *err)
{
    int64_t n = cairn_table_num_rows(table);
    sort_key_ctx *ctx = NULL;
    int rc = resolve_keys(table, keys, nkeys, &ctx, err);
    if (rc) return rc;
    sort_scratch s;
    int64_t *rows = cairn_malloc((size_t)(n ? n : 1) * sizeof *rows);
    rc = scratch_init(&s, n);
    if (rc == 0 && rows) {
        for (int64_t i = 0; i < n; i++)
            rows[i] = i;
        for (size_t k = nkeys; k-- > 0;)
            sort_by_key(&ctx[k], &rows, n, &s);
    } else {
        rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory sorting %lld rows", (long long)n);
        cairn_free(rows);
    }
    scratch_release(&s);
    release_keys(ctx, nkeys);
    if (rc == 0) *out_indices = rows;
    return rc;
}

int cairn_table_sort(const cairn_table *table, const cairn_sort_key *keys, size_t nkeys,
                     cairn_table **out, cairn_error *err)
{
    int64_t *rows = NULL;
    int rc = cairn_table_sort_indices(table, keys, nkeys, &rows, err);
    if (rc) return rc;
    rc = cairn_table_take(table, rows, cairn_table_num_rows(table), out);
    cairn_free(rows);
    if (rc) return cairn_error_set(err, rc, "sorting: %s", cairn_strerror(rc));
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Group bounds
 * ---------------------------------------------------------------------------------------- */

static bool same_value(const cairn_column *c, int64_t a, int64_t b)
{
    bool va = cairn_column_is_valid(c, a), vb = cairn_column_is_valid(c, b);
    if (!va || !vb) return va == vb;
    switch (c->type) {
    case CAIRN_TYPE_BOOL:
        return cairn_bit_get(c->values, a) == cairn_bit_get(c->values, b);
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32:
        return cairn_column_i32(c, a) == cairn_column_i32(c, b);
    case CAIRN_TYPE_INT64:
    case CAIRN_TYPE_TIMESTAMP:
        return cairn_column_i64(c, a) == cairn_column_i64(c, b);
    case CAIRN_TYPE_FLOAT32: {
        float x = ((const float *)c->values)[a], y = ((const float *)c->values)[b];
        return x == y || (isnan(x) && isnan(y));
    }
    case CAIRN_TYPE_FLOAT64: {
        double x = cairn_column_f64(c, a), y = cairn_column_f64(c, b);
        return x == y || (isnan(x) && isnan(y));
    }
    case CAIRN_TYPE_STRING:
        if (c->dictionary && cairn_column_i32(c, a) == cairn_column_i32(c, b)) return true;
        return str_compare(c, a, b) == 0;
    }
    return false;
}

static bool same_group(const cairn_column *const *cols, size_t nkeys, int64_t a, int64_t b)
{
    for (size_t k = 0; k < nkeys; k++)
        if (!same_value(cols[k], a, b)) return false;
    return true;
}

int cairn_table_group_bounds(const cairn_table *table, const char *const *keys, size_t nkeys,
                             int64_t **out_starts, int64_t *out_groups, cairn_error *err)
{
    int64_t n = cairn_table_num_rows(table), groups = 0;
    const cairn_column **cols = cairn_calloc(nkeys ? nkeys : 1, sizeof *cols);
    int64_t *starts = NULL;
    size_t cap = 0;
    int rc = cols ? 0 : CAIRN_ENOMEM;
    for (size_t k = 0; rc == 0 && k < nkeys; k++) {
        cols[k] = cairn_table_column_by_name(table, keys[k]);
        if (!cols[k]) {
            rc = cairn_error_set(err, CAIRN_ENOTFOUND, "no column named '%s' to group by", keys[k]);
            cairn_error_field(err, keys[k]);
        }
    }
    for (int64_t i = 0; rc == 0 && i <= n; i++) {
        if (i > 0 && i < n && same_group(cols, nkeys, i - 1, i)) continue;
        void *p = starts;
        rc = cairn_grow(&p, &cap, (size_t)groups + 1, sizeof *starts);
        starts = p;
        if (rc == 0) starts[groups++] = i;
    }
    cairn_free(cols);
    if (rc) {
        cairn_free(starts);
        return rc == CAIRN_ENOMEM ? cairn_error_set(err, rc, "out of memory grouping") : rc;
    }
    *out_starts = starts;
    *out_groups = groups - 1;
    return 0;
}
