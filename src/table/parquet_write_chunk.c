/* parquet_write_chunk.c: one column chunk of the Parquet writer, encoded into pages.
 *
 * A chunk is rows [start, start + count) of one column. It becomes an optional dictionary
 * page and data pages (v1) of about 1 MiB each before compression; each page holds the
 * definition levels (OPTIONAL fields: RLE/bit-packed hybrid, width 1, behind a 4-byte length)
 * and then the non-null values, PLAIN or RLE_DICTIONARY.
 *
 * Dictionary: every type but BOOLEAN is first dictionary-encoded in one pass that assigns each
 * non-null value an index: fixed-width values through an open-addressing hash table keyed by
 * their bits (with a one-entry cache for runs), plain strings through a table of entry ids
 * compared by hash, length and bytes, and dictionary-encoded Cairn strings by remapping their
 * codes (the input dictionary is reused, only entries actually used are written). The chunk
 * falls back to PLAIN when the dictionary page would pass 1 MiB, or when dictionary page plus
 * bit-packed indices are not smaller than the PLAIN values.
 *
 * Statistics: null count, and min/max in the column's order (signed for numbers, false < true,
 * unsigned bytewise for strings; floats skip NaN and count them, a zero minimum is -0.0 and a
 * zero maximum +0.0 as parquet.thrift asks). String bounds longer than 4 KiB are shortened to a
 * valid UTF-8 prefix (the maximum then has its last shortened ASCII byte raised) and marked
 * inexact. Invariant: on success every page is in job->out with its header and job->meta
 * describes them with offsets relative to the chunk; on failure both are released.
 * Values are written in the host's byte order, which must be little-endian (as Parquet's).
 * Tests: tests/unit/table/test_parquet_write.c, tests/oracles/test_parquet_write.sh.
 */
#include <math.h>
#include <string.h>

#include "parquet_write.h"
#include "table_internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the Parquet writer assumes a little-endian host"
#endif

#define PAGE_BYTES ((int64_t)1 << 20)
#define PAGE_ROWS_MAX ((int64_t)1 << 20)
#define DICT_LIMIT ((size_t)1 << 20)
#define STATS_MAX ((size_t)4096)

typedef struct dict_state {
    bool used;
    cairn_buf page; /* the PLAIN-encoded dictionary */
    int64_t entries;
    uint32_t *indices; /* one per non-null value of the chunk */
    int bit_width;
} dict_state;

typedef struct chunk {
    pqw_chunk_job *job;
    const cairn_column *col;
    int64_t start, count, nonnull;
    const uint8_t *validity; /* NULL when the rows have no nulls */
    size_t width;            /* bytes of a fixed-width value; 0 for BOOL and STRING */
    dict_state dict;
    cairn_buf page, comp;
} chunk;

int cairn__pqw_physical_type(cairn_type type)
{
    switch (type) {
    case CAIRN_TYPE_BOOL:
        return PQ_BOOLEAN;
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32:
        return PQ_INT32;
    case CAIRN_TYPE_INT64:
    case CAIRN_TYPE_TIMESTAMP:
        return PQ_INT64;
    case CAIRN_TYPE_FLOAT32:
        return PQ_FLOAT;
    case CAIRN_TYPE_FLOAT64:
        return PQ_DOUBLE;
    case CAIRN_TYPE_STRING:
        return PQ_BYTE_ARRAY;
    }
    return PQ_BYTE_ARRAY;
}

void cairn__pqw_chunk_meta_release(pqw_chunk_meta *meta)
{
    cairn_free(meta->min);
    cairn_free(meta->max);
    meta->min = meta->max = NULL;
    meta->has_minmax = false;
}

/* ------------------------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------------------------- */

static inline bool bit_at(const uint8_t *bits, int64_t i)
{
    return (bits[i >> 3] >> (i & 7)) & 1;
}

static int64_t count_set(const uint8_t *bits, int64_t start, int64_t n)
{
    int64_t i = start, end = start + n, set = 0;
    for (; i < end && (i & 7); i++)
        set += bit_at(bits, i);
    for (; i + 64 <= end; i += 64) {
        uint64_t word;
        memcpy(&word, bits + (i >> 3), 8);
        set += __builtin_popcountll(word);
    }
    for (; i + 8 <= end; i += 8)
        set += __builtin_popcount(bits[i >> 3]);
    for (; i < end; i++)
        set += bit_at(bits, i);
    return set;
}

/* Empties a buffer without writing to the shared static "" of a never-grown one. */
static void buf_clear(cairn_buf *buf)
{
    buf->len = 0;
    if (buf->cap) buf->data[0] = '\0';
}

static inline bool row_valid(const chunk *x, int64_t row)
{
    return !x->validity || bit_at(x->validity, x->start + row);
}

/* Bytes of STRING row `row` of the chunk. */
static inline const char *row_str(const chunk *x, int64_t row, size_t *len)
{
    return cairn_column_str(x->col, x->start + row, len);
}

/* ------------------------------------------------------------------------------------------
 * Statistics
 * ---------------------------------------------------------------------------------------- */

static int set_bounds(chunk *x, const void *lo, size_t lo_len, const void *hi, size_t hi_len)
{
    pqw_chunk_meta *m = &x->job->meta;
    m->min = cairn_malloc(lo_len ? lo_len : 1);
    m->max = cairn_malloc(hi_len ? hi_len : 1);
    if (!m->min || !m->max) {
        cairn__pqw_chunk_meta_release(m);
        return CAIRN_ENOMEM;
    }
    if (lo_len) memcpy(m->min, lo, lo_len);
    if (hi_len) memcpy(m->max, hi, hi_len);
    m->min_len = lo_len;
    m->max_len = hi_len;
    m->has_minmax = true;
    m->min_exact = m->max_exact = true;
    return 0;
}

#define INT_STATS(NAME, T, TMIN, TMAX)                                                             \
    static int NAME(chunk *x)                                                                      \
    {                                                                                              \
        const T *v = (const T *)x->col->values + x->start;                                         \
        T lo = TMAX, hi = TMIN;                                                                    \
        for (int64_t i = 0; i < x->count; i++) {                                                   \
            if (x->validity && !bit_at(x->validity, x->start + i)) continue;                       \
            lo = v[i] < lo ? v[i] : lo;                                                            \
            hi = v[i] > hi ? v[i] : hi;                                                            \
        }                                                                                          \
        return x->nonnull ? set_bounds(x, &lo, sizeof lo, &hi, sizeof hi) : 0;                     \
    }
INT_STATS(stats_i32, int32_t, INT32_MIN, INT32_MAX)
INT_STATS(stats_i64, int64_t, INT64_MIN, INT64_MAX)

#define FLOAT_STATS(NAME, T)                                                                       \
    static int NAME(chunk *x)                                                                      \
    {                                                                                              \
        const T *v = (const T *)x->col->values + x->start;                                         \
        T lo = 0, hi = 0;                                                                          \
        int64_t nans = 0, seen = 0;                                                                \
        for (int64_t i = 0; i < x->count; i++) {                                                   \
            if (x->validity && !bit_at(x->validity, x->start + i)) continue;                       \
            if (isnan(v[i])) {                                                                     \
                nans++;                                                                            \
                continue;                                                                          \
            }                                                                                      \
            lo = (seen == 0 || v[i] < lo) ? v[i] : lo;                                             \
            hi = (seen == 0 || v[i] > hi) ? v[i] : hi;                                             \
            seen++;                                                                                \
        }                                                                                          \
        x->job->meta.has_nan_count = true;                                                         \
        x->job->meta.nan_count = nans;                                                             \
        if (seen == 0) return 0;                                                                   \
        if (lo == 0) lo = (T)-0.0;                                                                 \
        if (hi == 0) hi = (T)0.0;                                                                  \
        return set_bounds(x, &lo, sizeof lo, &hi, sizeof hi);                                      \
    }
FLOAT_STATS(stats_f32, float)
FLOAT_STATS(stats_f64, double)

static int stats_bool(chunk *x)
{
    bool any_true = false, any_false = false;
    for (int64_t i = 0; i < x->count; i++) {
        if (!row_valid(x, i)) continue;
        if (bit_at(x->col->values, x->start + i))
            any_true = true;
        else
            any_false = true;
    }
    uint8_t lo = any_false ? 0 : 1, hi = any_true ? 1 : 0;
    return x->nonnull ? set_bounds(x, &lo, 1, &hi, 1) : 0;
}

/* Length of the longest prefix of s, at most max bytes, that ends on a UTF-8 boundary. */
static size_t utf8_prefix(const char *s, size_t len, size_t max)
{
    if (len <= max) return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static int set_string_bounds(chunk *x, const char *lo, size_t lo_len, const char *hi, size_t hi_len)
{
    size_t lo_keep = utf8_prefix(lo, lo_len, STATS_MAX);
    size_t hi_keep = hi_len;
    if (hi_len > STATS_MAX) {
        /* A shorter upper bound: raise the last ASCII byte of a prefix and cut after it. */
        for (size_t n = utf8_prefix(hi, hi_len, STATS_MAX); n > 0; n--) {
            unsigned char c = (unsigned char)hi[n - 1];
            if (c < 0x7F) {
                hi_keep = n;
                break;
            }
        }
    }
    int rc = set_bounds(x, lo, lo_keep, hi, hi_keep);
    if (rc) return rc;
    pqw_chunk_meta *m = &x->job->meta;
    m->min_exact = lo_keep == lo_len;
    if (hi_keep != hi_len) {
        m->max[hi_keep - 1] = (char)(m->max[hi_keep - 1] + 1);
        m->max_exact = false;
    }
    return 0;
}

static int stats_string(chunk *x)
{
    const char *lo = NULL, *hi = NULL;
    size_t lo_len = 0, hi_len = 0;
    if (x->dict.used) {
        const char *p = x->dict.page.data, *end = p + x->dict.page.len;
        while (p < end) {
            uint32_t len;
            memcpy(&len, p, 4);
            const char *s = p + 4;
            if (!lo || cairn__str_cmp(s, len, lo, lo_len) < 0) lo = s, lo_len = len;
            if (!hi || cairn__str_cmp(s, len, hi, hi_len) > 0) hi = s, hi_len = len;
            p = s + len;
        }
    } else {
        for (int64_t i = 0; i < x->count; i++) {
            if (!row_valid(x, i)) continue;
            size_t len;
            const char *s = row_str(x, i, &len);
            if (!lo || cairn__str_cmp(s, len, lo, lo_len) < 0) lo = s, lo_len = len;
            if (!hi || cairn__str_cmp(s, len, hi, hi_len) > 0) hi = s, hi_len = len;
        }
    }
    return lo ? set_string_bounds(x, lo, lo_len, hi, hi_len) : 0;
}

static int compute_stats(chunk *x)
{
    x->job->meta.null_count = x->count - x->nonnull;
    switch (x->col->type) {
    case CAIRN_TYPE_BOOL:
        return stats_bool(x);
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32:
        return stats_i32(x);
    case CAIRN_TYPE_INT64:
    case CAIRN_TYPE_TIMESTAMP:
        return stats_i64(x);
    case CAIRN_TYPE_FLOAT32:
        return stats_f32(x);
    case CAIRN_TYPE_FLOAT64:
        return stats_f64(x);
    case CAIRN_TYPE_STRING:
        return stats_string(x);
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Dictionaries
 * ---------------------------------------------------------------------------------------- */

static void dict_release(dict_state *d)
{
    cairn_buf_release(&d->page);
    cairn_free(d->indices);
    d->indices = NULL;
    d->used = false;
    d->entries = 0;
}

/* Keeps the dictionary when dictionary page plus indices beat the PLAIN values. */
static void dict_decide(chunk *x, int64_t plain_bytes)
{
    dict_state *d = &x->dict;
    d->bit_width = cairn__pqw_bit_width((uint64_t)d->entries);
    int64_t dict_bytes = (int64_t)d->page.len + (x->nonnull * d->bit_width + 7) / 8;
    d->used = x->nonnull > 0 && dict_bytes < plain_bytes;
    if (!d->used) dict_release(d);
}

/* Open addressing over 64-bit keys. A slot holds its key next to its id (entry + 1; 0 = empty)
 * so that a probe touches one cache line. */
typedef struct key_slot {
    uint64_t key;
    uint32_t id;
} key_slot;

typedef struct key_map {
    key_slot *slots;
    size_t mask;
    size_t count;
} key_map;

static int key_map_init(key_map *m, size_t slots)
{
    m->slots = cairn_calloc(slots, sizeof *m->slots);
    m->mask = slots - 1;
    m->count = 0;
    return m->slots ? 0 : CAIRN_ENOMEM;
}

static void key_map_release(key_map *m)
{
    cairn_free(m->slots);
    m->slots = NULL;
}

static inline size_t key_map_find(const key_map *m, uint64_t key)
{
    size_t i = (size_t)cairn_hash_u64(key) & m->mask;
    while (m->slots[i].id && m->slots[i].key != key)
        i = (i + 1) & m->mask;
    return i;
}

static int key_map_grow(key_map *m)
{
    key_map bigger;
    int rc = key_map_init(&bigger, (m->mask + 1) * 2);
    if (rc) return rc;
    for (size_t i = 0; i <= m->mask; i++)
        if (m->slots[i].id) bigger.slots[key_map_find(&bigger, m->slots[i].key)] = m->slots[i];
    bigger.count = m->count;
    key_map_release(m);
    *m = bigger;
    return 0;
}

/* Records a new key in the empty slot found for it, growing past a load of one half. */
static inline int key_map_put(key_map *m, size_t slot, uint64_t key, uint32_t id)
{
    m->slots[slot].key = key;
    m->slots[slot].id = id + 1;
    return ++m->count * 2 > m->mask ? key_map_grow(m) : 0;
}

static inline uint64_t fixed_key(const chunk *x, int64_t row)
{
    if (x->width == 8) return ((const uint64_t *)x->col->values)[x->start + row];
    return ((const uint32_t *)x->col->values)[x->start + row];
}

/* The index of key, adding it to the dictionary when new; *full when the dictionary may not
 * grow any more. */
static inline int fixed_intern(chunk *x, key_map *m, uint64_t key, uint32_t *id, bool *full)
{
    size_t slot = key_map_find(m, key);
    if (m->slots[slot].id) {
        *id = m->slots[slot].id - 1;
        return 0;
    }
    dict_state *d = &x->dict;
    if ((size_t)(d->entries + 1) * x->width > DICT_LIMIT) {
        *full = true;
        return 0;
    }
    int rc = cairn_buf_append(&d->page, &key, x->width);
    if (rc) return rc;
    *id = (uint32_t)d->entries++;
    return key_map_put(m, slot, key, *id);
}

/* A signed view of a fixed-width value: any total order serves, as long as equal values are
 * equal in it. */
static inline int64_t fixed_order(const chunk *x, int64_t row)
{
    if (x->width == 8) return ((const int64_t *)x->col->values)[x->start + row];
    return ((const int32_t *)x->col->values)[x->start + row];
}

/* True when the non-null values never decrease, so that no value comes back after another. */
static bool fixed_sorted(const chunk *x)
{
    bool first = true;
    int64_t prev = 0;
    for (int64_t i = 0; i < x->count; i++) {
        if (!row_valid(x, i)) continue;
        int64_t v = fixed_order(x, i);
        if (!first && v < prev) return false;
        prev = v;
        first = false;
    }
    return true;
}

/* Sorted values (timestamps, ids): the entries are the runs, no hashing needed. */
static int dict_sorted(chunk *x)
{
    dict_state *d = &x->dict;
    uint64_t last = 0;
    uint32_t id = 0;
    int64_t k = 0;
    for (int64_t i = 0; i < x->count; i++) {
        if (!row_valid(x, i)) continue;
        uint64_t key = fixed_key(x, i);
        if (k == 0 || key != last) {
            int rc = (size_t)(d->entries + 1) * x->width > DICT_LIMIT
                         ? 1 /* too big: PLAIN instead, not an error */
                         : cairn_buf_append(&d->page, &key, x->width);
            if (rc) {
                dict_release(d);
                return rc > 0 ? 0 : rc;
            }
            id = (uint32_t)d->entries++;
            last = key;
        }
        d->indices[k++] = id;
    }
    dict_decide(x, x->nonnull * (int64_t)x->width);
    return 0;
}

static int dict_fixed(chunk *x)
{
    if (fixed_sorted(x)) return dict_sorted(x);
    dict_state *d = &x->dict;
    key_map m;
    int rc = key_map_init(&m, 1024);
    if (rc) return rc;
    uint64_t last_key = 0;
    uint32_t last_id = UINT32_MAX;
    bool full = false;
    int64_t k = 0;
    for (int64_t i = 0; i < x->count && rc == 0 && !full; i++) {
        if (!row_valid(x, i)) continue;
        uint64_t key = fixed_key(x, i);
        if (key != last_key || last_id == UINT32_MAX) {
            rc = fixed_intern(x, &m, key, &last_id, &full);
            last_key = key;
        }
        d->indices[k++] = last_id;
    }
    key_map_release(&m);
    if (rc || full) {
        dict_release(d);
        return rc;
    }
    dict_decide(x, x->nonnull * (int64_t)x->width);
    return 0;
}

/* Strings: those of up to 7 bytes are keys of a key_map (their bytes and length packed in
 * 64 bits, so no hashing of bytes and no memcmp); longer ones are entries of a str_map,
 * compared by hash, length and bytes. Both share the dictionary's entry numbers. */
typedef struct str_entry {
    uint64_t hash;
    uint32_t offset; /* of the bytes in the dictionary page */
    uint32_t len;
    uint32_t id; /* the dictionary entry */
} str_entry;

typedef struct str_map {
    uint32_t *slots; /* index into entries + 1; 0 = empty */
    size_t mask;
    str_entry *entries;
    size_t count, cap;
} str_map;

static inline bool same_bytes(const char *a, const char *b, size_t len)
{
    if (len > 16) return memcmp(a, b, len) == 0;
    for (size_t i = 0; i < len; i++)
        if (a[i] != b[i]) return false;
    return true;
}

static inline uint64_t short_key(const char *s, size_t len)
{
    uint64_t key = (uint64_t)len << 56;
    for (size_t i = 0; i < len; i++)
        key |= (uint64_t)(unsigned char)s[i] << (8 * i);
    return key;
}

static inline size_t str_map_find(const str_map *m, const char *page, const char *s, size_t len,
                                  uint64_t hash)
{
    size_t i = (size_t)hash & m->mask;
    for (;;) {
        uint32_t e = m->slots[i];
        if (!e) return i;
        const str_entry *entry = &m->entries[e - 1];
        if (entry->hash == hash && entry->len == len && same_bytes(page + entry->offset, s, len))
            return i;
        i = (i + 1) & m->mask;
    }
}

static int str_map_grow(str_map *m)
{
    size_t n = (m->mask + 1) * 2;
    uint32_t *slots = cairn_calloc(n, sizeof *slots);
    if (!slots) return CAIRN_ENOMEM;
    for (size_t e = 0; e < m->count; e++) {
        size_t i = (size_t)m->entries[e].hash & (n - 1);
        while (slots[i])
            i = (i + 1) & (n - 1);
        slots[i] = (uint32_t)e + 1;
    }
    cairn_free(m->slots);
    m->slots = slots;
    m->mask = n - 1;
    return 0;
}

/* Appends a new string to the dictionary page; *full instead when it would pass the limit. */
static int dict_add_string(dict_state *d, const char *s, size_t len, uint32_t *id, bool *full)
{
    if (d->page.len + 4 + len > DICT_LIMIT) {
        *full = true;
        return 0;
    }
    uint32_t len32 = (uint32_t)len;
    int rc = cairn_buf_append(&d->page, &len32, 4);
    if (rc == 0 && len) rc = cairn_buf_append(&d->page, s, len);
    if (rc) return rc;
    *id = (uint32_t)d->entries++;
    return 0;
}

static int short_intern(chunk *x, key_map *m, const char *s, size_t len, uint32_t *id, bool *full)
{
    uint64_t key = short_key(s, len);
    size_t slot = key_map_find(m, key);
    if (m->slots[slot].id) {
        *id = m->slots[slot].id - 1;
        return 0;
    }
    int rc = dict_add_string(&x->dict, s, len, id, full);
    if (rc || *full) return rc;
    return key_map_put(m, slot, key, *id);
}

static int long_intern(chunk *x, str_map *m, const char *s, size_t len, uint32_t *id, bool *full)
{
    dict_state *d = &x->dict;
    uint64_t hash = cairn_hash64(s, len, 0);
    size_t slot = str_map_find(m, d->page.data, s, len, hash);
    if (m->slots[slot]) {
        *id = m->entries[m->slots[slot] - 1].id;
        return 0;
    }
    void *p = m->entries;
    int rc = cairn_grow(&p, &m->cap, m->count + 1, sizeof *m->entries);
    m->entries = p;
    if (rc == 0) rc = dict_add_string(d, s, len, id, full);
    if (rc || *full) return rc;
    m->entries[m->count] = (str_entry){hash, (uint32_t)(d->page.len - len), (uint32_t)len, *id};
    m->slots[slot] = (uint32_t)++m->count;
    return m->count * 2 > m->mask ? str_map_grow(m) : 0;
}

typedef struct str_maps {
    key_map shorts;
    str_map longs;
} str_maps;

static int str_intern(chunk *x, str_maps *maps, const char *s, size_t len, uint32_t *id, bool *full)
{
    if (len <= 7) return short_intern(x, &maps->shorts, s, len, id, full);
    return long_intern(x, &maps->longs, s, len, id, full);
}

static int dict_strings(chunk *x, int64_t plain_bytes)
{
    dict_state *d = &x->dict;
    str_maps maps = {{NULL, 0, 0}, {cairn_calloc(1024, sizeof(uint32_t)), 1023, NULL, 0, 0}};
    int rc = maps.longs.slots ? key_map_init(&maps.shorts, 1024) : CAIRN_ENOMEM;
    bool full = false, have_last = false;
    const char *last = NULL;
    size_t last_len = 0;
    uint32_t last_id = 0;
    int64_t k = 0;
    for (int64_t i = 0; i < x->count && rc == 0 && !full; i++) {
        if (!row_valid(x, i)) continue;
        size_t len;
        const char *s = row_str(x, i, &len);
        if (!have_last || len != last_len || !same_bytes(s, last, len))
            rc = str_intern(x, &maps, s, len, &last_id, &full);
        have_last = true;
        last = s;
        last_len = len;
        d->indices[k++] = last_id;
    }
    key_map_release(&maps.shorts);
    cairn_free(maps.longs.slots);
    cairn_free(maps.longs.entries);
    if (rc || full) {
        dict_release(d);
        return rc;
    }
    dict_decide(x, plain_bytes);
    return 0;
}

/* A dictionary-encoded Cairn column: codes are remapped to the entries this chunk uses. */
static int dict_reuse(chunk *x)
{
    dict_state *d = &x->dict;
    const cairn_column *dict = x->col->dictionary;
    const int32_t *codes = (const int32_t *)x->col->values + x->start;
    uint32_t *remap = cairn_calloc(dict->length ? (size_t)dict->length : 1, sizeof *remap);
    if (!remap) return CAIRN_ENOMEM;
    int rc = 0;
    int64_t k = 0, plain_bytes = 0;
    for (int64_t i = 0; i < x->count && rc == 0; i++) {
        if (!row_valid(x, i)) continue;
        int32_t code = codes[i];
        size_t len = (size_t)(dict->offsets[code + 1] - dict->offsets[code]);
        plain_bytes += 4 + (int64_t)len;
        if (!remap[code]) {
            if (d->page.len + 4 + len > DICT_LIMIT) {
                rc = 1; /* too big: not an error, PLAIN instead */
                break;
            }
            uint32_t len32 = (uint32_t)len;
            rc = cairn_buf_append(&d->page, &len32, 4);
            if (rc == 0) rc = cairn_buf_append(&d->page, dict->data + dict->offsets[code], len);
            remap[code] = (uint32_t)++d->entries;
        }
        d->indices[k++] = remap[code] - 1;
    }
    cairn_free(remap);
    if (rc) {
        dict_release(d);
        return rc > 0 ? 0 : rc;
    }
    dict_decide(x, plain_bytes);
    return 0;
}

/* Bytes of the PLAIN encoding of the chunk's strings. */
static int64_t plain_string_bytes(const chunk *x)
{
    const int64_t *off = x->col->offsets;
    return off[x->start + x->count] - off[x->start] + 4 * x->nonnull;
}

static int build_dictionary(chunk *x)
{
    if (x->col->type == CAIRN_TYPE_BOOL || x->nonnull == 0) return 0;
    x->dict.indices = cairn_malloc((size_t)x->nonnull * sizeof *x->dict.indices);
    if (!x->dict.indices) return CAIRN_ENOMEM;
    if (x->col->type != CAIRN_TYPE_STRING) return dict_fixed(x);
    if (x->col->dictionary) return dict_reuse(x);
    return dict_strings(x, plain_string_bytes(x));
}

/* ------------------------------------------------------------------------------------------
 * Pages
 * ---------------------------------------------------------------------------------------- */

static void page_header(pqw_thrift *t, int type, size_t raw, size_t stored, int64_t values,
                        int encoding)
{
    cairn__pqw_i32(t, 1, type);
    cairn__pqw_i32(t, 2, (int32_t)raw);
    cairn__pqw_i32(t, 3, (int32_t)stored);
    if (type == PQ_PAGE_DICTIONARY) {
        cairn__pqw_struct_begin(t, 7);
        cairn__pqw_i32(t, 1, (int32_t)values);
        cairn__pqw_i32(t, 2, encoding);
    } else {
        cairn__pqw_struct_begin(t, 5);
        cairn__pqw_i32(t, 1, (int32_t)values);
        cairn__pqw_i32(t, 2, encoding);
        cairn__pqw_i32(t, 3, PQ_ENC_RLE);
        cairn__pqw_i32(t, 4, PQ_ENC_RLE);
    }
    cairn__pqw_struct_end(t);
    cairn__pqw_struct_end(t);
}

/* Compresses `body` and appends header and page to the chunk. */
static int emit_page(chunk *x, const cairn_buf *body, int type, int64_t values, int encoding)
{
    pqw_chunk_job *job = x->job;
    const cairn_buf *stored = body;
    if (job->codec != PQ_CODEC_UNCOMPRESSED) {
        buf_clear(&x->comp);
        int rc = cairn__parquet_compress(job->codec, (const uint8_t *)body->data, body->len, 0,
                                         &x->comp, &job->err);
        if (rc) return rc;
        stored = &x->comp;
    }
    if (body->len > INT32_MAX || stored->len > INT32_MAX || values > INT32_MAX)
        return cairn_error_set(&job->err, CAIRN_ELIMIT, "a page of %zu bytes is too large",
                               body->len);
    size_t header_at = job->out.len;
    pqw_thrift t;
    cairn__pqw_thrift_init(&t, &job->out);
    page_header(&t, type, body->len, stored->len, values, encoding);
    int rc = t.rc;
    if (rc == 0) rc = cairn_buf_append(&job->out, stored->data, stored->len);
    if (rc) return rc;
    size_t header_len = job->out.len - stored->len - header_at;
    job->meta.uncompressed_size += (int64_t)(header_len + body->len);
    job->meta.compressed_size += (int64_t)(header_len + stored->len);
    return 0;
}

static int put_fixed(chunk *x, int64_t row, int64_t rows, int64_t nonnull)
{
    size_t w = x->width;
    int rc = cairn_buf_reserve(&x->page, (size_t)nonnull * w + 1);
    if (rc) return rc;
    const char *src = (const char *)x->col->values + (size_t)(x->start + row) * w;
    char *dst = x->page.data + x->page.len;
    if (nonnull == rows) {
        memcpy(dst, src, (size_t)rows * w);
    } else if (w == 8) {
        for (int64_t i = 0; i < rows; i++)
            if (row_valid(x, row + i)) memcpy(dst, src + i * 8, 8), dst += 8;
    } else {
        for (int64_t i = 0; i < rows; i++)
            if (row_valid(x, row + i)) memcpy(dst, src + i * 4, 4), dst += 4;
    }
    x->page.len += (size_t)nonnull * w;
    x->page.data[x->page.len] = '\0';
    return 0;
}

static int put_bools(chunk *x, int64_t row, int64_t rows, int64_t nonnull)
{
    size_t bytes = (size_t)(nonnull + 7) / 8;
    int rc = cairn_buf_reserve(&x->page, bytes + 1);
    if (rc) return rc;
    uint8_t *dst = (uint8_t *)x->page.data + x->page.len;
    memset(dst, 0, bytes);
    int64_t k = 0;
    for (int64_t i = 0; i < rows; i++) {
        if (!row_valid(x, row + i)) continue;
        if (bit_at(x->col->values, x->start + row + i)) dst[k >> 3] |= (uint8_t)(1u << (k & 7));
        k++;
    }
    x->page.len += bytes;
    x->page.data[x->page.len] = '\0';
    return 0;
}

static int put_strings(chunk *x, int64_t row, int64_t rows, int64_t nonnull)
{
    size_t bytes = 4 * (size_t)nonnull;
    for (int64_t i = 0; i < rows; i++) {
        size_t len = 0;
        if (row_valid(x, row + i)) (void)row_str(x, row + i, &len);
        bytes += len;
    }
    int rc = cairn_buf_reserve(&x->page, bytes + 1);
    if (rc) return rc;
    char *dst = x->page.data + x->page.len;
    for (int64_t i = 0; i < rows; i++) {
        if (!row_valid(x, row + i)) continue;
        size_t len;
        const char *s = row_str(x, row + i, &len);
        uint32_t len32 = (uint32_t)len;
        memcpy(dst, &len32, 4);
        if (len) memcpy(dst + 4, s, len);
        dst += 4 + len;
    }
    x->page.len += bytes;
    x->page.data[x->page.len] = '\0';
    return 0;
}

/* Rows of the data page starting at `row`. */
static int64_t page_rows(const chunk *x, int64_t row)
{
    int64_t left = x->count - row, rows;
    if (x->dict.used)
        rows = PAGE_BYTES * 8 / x->dict.bit_width;
    else if (x->col->type == CAIRN_TYPE_BOOL)
        rows = PAGE_BYTES * 8;
    else if (x->col->type != CAIRN_TYPE_STRING)
        rows = PAGE_BYTES / (int64_t)x->width;
    else {
        int64_t bytes = 0;
        for (rows = 0; rows < left && bytes < PAGE_BYTES; rows++) {
            size_t len = 0;
            if (row_valid(x, row + rows)) (void)row_str(x, row + rows, &len);
            bytes += 4 + (int64_t)len;
        }
    }
    if (rows > PAGE_ROWS_MAX) rows = PAGE_ROWS_MAX;
    return rows < left ? rows : left;
}

/* Definition levels behind their 4-byte length. */
static int put_levels(chunk *x, int64_t row, int64_t rows)
{
    size_t at = x->page.len;
    uint32_t zero = 0;
    int rc = cairn_buf_append(&x->page, &zero, 4);
    if (rc == 0) rc = cairn__pqw_levels(&x->page, x->validity, x->start + row, rows);
    if (rc) return rc;
    uint32_t len = (uint32_t)(x->page.len - at - 4);
    memcpy(x->page.data + at, &len, 4);
    return 0;
}

static int put_values(chunk *x, int64_t row, int64_t rows, int64_t first, int64_t nonnull)
{
    if (x->dict.used) {
        uint8_t width = (uint8_t)x->dict.bit_width;
        int rc = cairn_buf_append(&x->page, &width, 1);
        if (rc) return rc;
        return cairn__pqw_rle(&x->page, x->dict.indices + first, nonnull, width);
    }
    if (x->col->type == CAIRN_TYPE_BOOL) return put_bools(x, row, rows, nonnull);
    if (x->col->type == CAIRN_TYPE_STRING) return put_strings(x, row, rows, nonnull);
    return put_fixed(x, row, rows, nonnull);
}

static int write_data_pages(chunk *x)
{
    pqw_chunk_meta *m = &x->job->meta;
    m->data_offset = (int64_t)x->job->out.len;
    m->data_encoding = x->dict.used ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN;
    int64_t row = 0, first = 0;
    int rc = 0;
    while (rc == 0 && row < x->count) {
        int64_t rows = page_rows(x, row);
        int64_t nonnull = x->validity ? count_set(x->validity, x->start + row, rows) : rows;
        buf_clear(&x->page);
        if (x->job->optional) rc = put_levels(x, row, rows);
        if (rc == 0) rc = put_values(x, row, rows, first, nonnull);
        if (rc == 0) rc = emit_page(x, &x->page, PQ_PAGE_DATA, rows, m->data_encoding);
        m->data_pages++;
        row += rows;
        first += nonnull;
    }
    return rc;
}

static int write_pages(chunk *x)
{
    pqw_chunk_meta *m = &x->job->meta;
    m->dict_offset = -1;
    if (x->dict.used) {
        m->dict_offset = (int64_t)x->job->out.len;
        int rc = emit_page(x, &x->dict.page, PQ_PAGE_DICTIONARY, x->dict.entries, PQ_ENC_PLAIN);
        if (rc) return rc;
    }
    return write_data_pages(x);
}

/* ------------------------------------------------------------------------------------------
 * The chunk
 * ---------------------------------------------------------------------------------------- */

static int encode(chunk *x)
{
    pqw_chunk_job *job = x->job;
    const cairn_column *c = x->col;
    if (job->count < 0 || job->start < 0 || job->start + job->count > c->length)
        return cairn_error_set(&job->err, CAIRN_EINTERNAL, "chunk rows out of range");
    int64_t valid = c->validity ? count_set(c->validity, job->start, job->count) : job->count;
    x->nonnull = valid;
    x->validity = valid < job->count ? c->validity : NULL;
    if (valid < job->count && !job->optional)
        return cairn_error_set(&job->err, CAIRN_EINVAL,
                               "column '%s' has nulls but its field is not nullable", c->name);
    job->meta.num_values = job->count;
    int rc = build_dictionary(x);
    if (rc == 0) rc = compute_stats(x);
    if (rc == 0) rc = write_pages(x);
    return rc;
}

void cairn__pqw_chunk_encode(pqw_chunk_job *job)
{
    chunk x;
    memset(&x, 0, sizeof x);
    x.job = job;
    x.col = job->column;
    x.start = job->start;
    x.count = job->count;
    x.width = job->column->type == CAIRN_TYPE_STRING ? 0 : cairn_type_width(job->column->type);
    cairn_buf_init(&x.dict.page, 0);
    cairn_buf_init(&x.page, 0);
    cairn_buf_init(&x.comp, 0);
    cairn_error_clear(&job->err);
    memset(&job->meta, 0, sizeof job->meta);
    cairn_buf_init(&job->out, 0);
    int rc = encode(&x);
    dict_release(&x.dict);
    cairn_buf_release(&x.page);
    cairn_buf_release(&x.comp);
    if (rc) {
        if (job->err.code == 0)
            cairn_error_set(&job->err, rc, "cannot encode column '%s': %s", x.col->name,
                            cairn_strerror(rc));
        cairn_error_field(&job->err, x.col->name);
        cairn_buf_release(&job->out);
        cairn__pqw_chunk_meta_release(&job->meta);
    }
    job->rc = rc;
}
