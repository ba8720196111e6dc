/* parquet_read.c: the Parquet reader: footer, schema, projection, row-group skipping from
 * statistics, column chunks decoded page by page into Cairn columns, in parallel.
 *
 * A file is mapped (cairn_file_map); the footer ("PAR1", metadata, 4-byte little-endian
 * length, "PAR1") is decoded by parquet_thrift.c; every row group and column chunk is
 * checked against the file's bounds when the reader opens, so decoding never needs to.
 * Reading a set of row groups makes one job per (row group, selected column), runs them on
 * the thread pool, biggest first, and then stitches each column together:
 *  - fixed-width values are decoded straight into the final column buffer at the row
 *    group's first row (jobs write disjoint ranges, so no copy is needed);
 *  - validity and boolean bitmaps are per job (row groups need not start on a byte) and
 *    are copied bit-wise into place afterwards;
 *  - strings are per job, either plain (offsets + bytes) or dictionary codes (written in
 *    place in the column's code buffer) + the chunk's dictionary; all-dictionary columns
 *    keep one merged dictionary and their codes are remapped into it in place.
 * Decoding scratch (decompressed pages, indices) is pooled between jobs, and big outputs
 * ask for transparent huge pages: first-touch page faults were half the time otherwise.
 * Within a chunk, a page's values are decoded densely at the page's first row and then
 * spread out backwards over the null rows (in place: dense index <= row index).
 * Conversions (parquet.h): TIMESTAMP millis/nanos and INT96 -> microseconds, DECIMAL ->
 * float64, UINT32 -> int64; a dictionary is converted once, then gathered by index.
 * Invariants: a page never writes past its column's rows (its value count is checked
 * against the rows left first); dictionary indices are range-checked before use; a failed
 * read frees everything and reports the first failing chunk in file order.
 * Tests: tests/unit/table/test_parquet_read.c, tests/fuzz/fuzz_parquet.c,
 * tests/oracles/test_parquet_duckdb.sh.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "table/parquet_encoding.h"
#include "table/parquet_internal.h"
#include "table/parquet_thrift.h"
#include "table/table_internal.h"

/* A row group may not claim more rows than this many per byte of its column chunks (and
 * at least MIN_ROWS_CAP): real writers stay orders of magnitude below, and it keeps a tiny
 * hostile file from asking for terabytes. */
#define ROWS_PER_BYTE_CAP 65536
#define MIN_ROWS_CAP (INT64_C(1) << 20)

/* How a physical value becomes a Cairn value. */
enum {
    CV_BOOL,
    CV_I32,    /* INT32 -> int32/date32, FLOAT -> float32: 4-byte copy */
    CV_I64,    /* INT64 -> int64/timestamp(us), DOUBLE -> float64: 8-byte copy */
    CV_U32,    /* INT32 as unsigned -> int64 */
    CV_U64,    /* INT64 as unsigned -> int64, refusing values above INT64_MAX */
    CV_MILLIS, /* INT64 milliseconds -> microseconds */
    CV_NANOS,  /* INT64 nanoseconds -> microseconds (floor) */
    CV_INT96,  /* nanos of day + Julian day -> microseconds */
    CV_DEC32,  /* INT32 decimal -> float64 */
    CV_DEC64,  /* INT64 decimal -> float64 */
    CV_DECBIN, /* BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY decimal -> float64 */
    CV_STRING, /* BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY -> string */
};

typedef struct pq_colinfo {
    const pq_schema_element *se;
    cairn_field field; /* name borrows se->name */
    int phys;
    size_t phys_width; /* bytes of a PLAIN value; 0 for BOOLEAN and BYTE_ARRAY */
    size_t out_width;  /* bytes of a Cairn value; 0 for bool and string */
    int conv;
    int max_def;       /* 0 required, 1 optional */
    double dec_div;    /* 10^scale for decimals */
} pq_colinfo;

struct cairn_parquet_reader {
    char *path;
    cairn_mapped map;
    int64_t footer_start;
    pq_file_meta meta;
    pq_colinfo *cols; /* every leaf, in file order */
    uint32_t ncols;
    uint32_t *sel;    /* selected leaves, in projection order */
    size_t nsel;
    cairn_field *fields; /* nsel */
    bool *skip;          /* per row group */
    bool decode_dictionaries;
    cairn_progress_fn progress;
    void *progress_ud;
    cairn_pool *pool; /* NULL: decode on the caller's thread */
    bool own_pool;
};

struct scratch_pool;

/* One column chunk being decoded, and what it produced. */
typedef struct chunk_job {
    const cairn_parquet_reader *r;
    const pq_colinfo *col;
    const pq_column_chunk *cc;
    uint32_t rg;
    int64_t rows;
    uint8_t *values; /* fixed-width output at this chunk's first row (borrowed) */
    struct scratch_pool *scratch;
    bool codes_borrowed; /* codes point into the column's buffer */
    int rc;
    cairn_error err;
    uint8_t *validity; /* NULL when no nulls */
    int64_t null_count;
    uint8_t *bools;    /* BOOL values bitmap */
    bool use_codes;    /* strings: codes + dict; otherwise str */
    int32_t *codes;
    cairn_column *dict;
    pq_strbuf str;
} chunk_job;

/* Buffers a chunk needs while it is decoded; kept between chunks (a fresh buffer costs
 * page faults on every use). */
typedef struct chunk_scratch {
    uint8_t *page;       /* decompressed page */
    size_t page_cap;
    uint32_t *idx;       /* dictionary indices */
    size_t idx_cap;
    uint8_t *tmp;        /* values decoded to PLAIN layout (delta, byte stream split) */
    size_t tmp_cap;
    pq_strbuf sbuf;      /* decimal byte arrays */
    size_t sbuf_rows;
    struct chunk_scratch *next;
} chunk_scratch;

/* Scratch buffers not in use, shared by the jobs of one read. */
typedef struct scratch_pool {
    pthread_mutex_t lock;
    chunk_scratch *free;
} scratch_pool;

/* State while a chunk is decoded. */
typedef struct chunk_ctx {
    chunk_job *job;
    const pq_colinfo *col;
    int64_t row;         /* rows done */
    int64_t page_offset; /* file offset of the current page */
    chunk_scratch *s;
    bool has_dict;
    uint8_t *dict_vals;  /* dictionary in Cairn layout (fixed width, bools as bytes) */
    int64_t dict_n;
} chunk_ctx;

static int fail_nomem(cairn_error *err)
{
    return cairn_error_set(err, CAIRN_ENOMEM, "out of memory reading Parquet");
}

static int grow_scratch(void **p, size_t *cap, size_t need)
{
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap : 4096;
    while (ncap < need) ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    void *q = cairn_realloc(*p, ncap);
    if (!q) return CAIRN_ENOMEM;
    *p = q;
    *cap = ncap;
    return 0;
}

static inline bool bit_get(const uint8_t *bm, int64_t i)
{
    return (bm[i >> 3] >> (i & 7)) & 1;
}

/* ------------------------------------------------------------------------------------------
 * Schema: physical + logical type -> Cairn type and conversion
 * ---------------------------------------------------------------------------------------- */

static bool is_decimal(const pq_schema_element *se)
{
    return se->logical.kind == PQ_LT_DECIMAL ||
           (se->logical.kind == PQ_LT_NONE && se->converted_type == PQ_CT_DECIMAL);
}

static int decimal_scale(const pq_schema_element *se)
{
    int32_t s = se->logical.kind == PQ_LT_DECIMAL ? se->logical.scale : se->scale;
    return s < 0 ? 0 : s;
}

/* The unit of an INT64 timestamp column: PQ_UNIT_*, or 0 when it is not a timestamp. */
static int timestamp_unit(const pq_schema_element *se)
{
    if (se->logical.kind == PQ_LT_TIMESTAMP)
        return se->logical.unit ? se->logical.unit : PQ_UNIT_MICROS;
    if (se->logical.kind != PQ_LT_NONE) return 0;
    if (se->converted_type == PQ_CT_TIMESTAMP_MILLIS) return PQ_UNIT_MILLIS;
    if (se->converted_type == PQ_CT_TIMESTAMP_MICROS) return PQ_UNIT_MICROS;
    return 0;
}

static bool is_unsigned(const pq_schema_element *se, int bits)
{
    if (se->logical.kind == PQ_LT_INTEGER)
        return !se->logical.is_signed && se->logical.bit_width == bits;
    if (se->logical.kind != PQ_LT_NONE) return false;
    return se->converted_type == (bits == 32 ? PQ_CT_UINT_32 : PQ_CT_UINT_64);
}

static void map_int_types(const pq_schema_element *se, pq_colinfo *c)
{
    if (se->type == PQ_INT32) {
        c->phys_width = 4;
        if (is_decimal(se)) c->field.type = CAIRN_TYPE_FLOAT64, c->conv = CV_DEC32;
        else if (se->logical.kind == PQ_LT_DATE || se->converted_type == PQ_CT_DATE)
            c->field.type = CAIRN_TYPE_DATE32, c->conv = CV_I32;
        else if (is_unsigned(se, 32)) c->field.type = CAIRN_TYPE_INT64, c->conv = CV_U32;
        else c->field.type = CAIRN_TYPE_INT32, c->conv = CV_I32;
        return;
    }
    c->phys_width = 8;
    int unit = timestamp_unit(se);
    if (is_decimal(se)) c->field.type = CAIRN_TYPE_FLOAT64, c->conv = CV_DEC64;
    else if (unit) {
        c->field.type = CAIRN_TYPE_TIMESTAMP;
        c->conv = unit == PQ_UNIT_MILLIS ? CV_MILLIS : unit == PQ_UNIT_NANOS ? CV_NANOS : CV_I64;
    } else if (is_unsigned(se, 64)) c->field.type = CAIRN_TYPE_INT64, c->conv = CV_U64;
    else c->field.type = CAIRN_TYPE_INT64, c->conv = CV_I64;
}

/* Fills c from schema element se (a leaf), or fails naming the column. */
static int map_column(const pq_schema_element *se, pq_colinfo *c, cairn_error *err)
{
    memset(c, 0, sizeof *c);
    c->se = se;
    c->field.name = se->name;
    c->field.nullable = se->repetition != PQ_REQUIRED;
    c->max_def = c->field.nullable ? 1 : 0;
    c->phys = se->type;
    switch (se->type) {
    case PQ_BOOLEAN: c->field.type = CAIRN_TYPE_BOOL, c->conv = CV_BOOL; break;
    case PQ_INT32:
    case PQ_INT64: map_int_types(se, c); break;
    case PQ_INT96:
        c->field.type = CAIRN_TYPE_TIMESTAMP, c->conv = CV_INT96, c->phys_width = 12;
        break;
    case PQ_FLOAT: c->field.type = CAIRN_TYPE_FLOAT32, c->conv = CV_I32, c->phys_width = 4; break;
    case PQ_DOUBLE: c->field.type = CAIRN_TYPE_FLOAT64, c->conv = CV_I64, c->phys_width = 8; break;
    case PQ_FIXED_LEN_BYTE_ARRAY:
        if (se->type_length <= 0)
            return cairn_error_set(err, CAIRN_ECORRUPT,
                                   "column '%s' is FIXED_LEN_BYTE_ARRAY of length %d", se->name,
                                   (int)se->type_length);
        c->phys_width = (size_t)se->type_length;
        /* fall through */
    case PQ_BYTE_ARRAY:
        c->field.type = is_decimal(se) ? CAIRN_TYPE_FLOAT64 : CAIRN_TYPE_STRING;
        c->conv = is_decimal(se) ? CV_DECBIN : CV_STRING;
        break;
    default:
        return cairn_error_set(err, CAIRN_ECORRUPT, "column '%s' has unknown physical type %d",
                               se->name, (int)se->type);
    }
    c->out_width = cairn_type_width(c->field.type);
    if (c->conv == CV_DEC32 || c->conv == CV_DEC64 || c->conv == CV_DECBIN) {
        int scale = decimal_scale(c->se);
        if (scale > 300)
            return cairn_error_set(err, CAIRN_ECORRUPT, "column '%s' has decimal scale %d",
                                   se->name, scale);
        c->dec_div = 1;
        for (int i = 0; i < scale; i++) c->dec_div *= 10;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Value conversion: PLAIN physical values -> Cairn values
 * ---------------------------------------------------------------------------------------- */

static int64_t load_i64(const uint8_t *p)
{
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

static int32_t load_i32(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* A big-endian two's complement integer of len bytes, divided by div. */
static double decimal_bytes(const uint8_t *p, size_t len, double div)
{
    if (len == 0) return 0;
    if (len <= 8) {
        uint64_t u = (p[0] & 0x80) ? UINT64_MAX : 0;
        for (size_t i = 0; i < len; i++) u = (u << 8) | p[i];
        return (double)(int64_t)u / div;
    }
    /* Negative: -x = ~x + 1, accumulated on the inverted bytes so nothing cancels. */
    bool neg = p[0] & 0x80;
    double v = 0;
    for (size_t i = 0; i < len; i++) v = v * 256 + (neg ? 255 - p[i] : p[i]);
    return (neg ? -(v + 1) : v) / div;
}

static int conv_range_error(const pq_colinfo *c, const char *what, cairn_error *err)
{
    cairn_error_field(err, c->field.name);
    return cairn_error_set(err, CAIRN_ERANGE, "column '%s': %s", c->field.name, what);
}

/* n PLAIN values at src -> n Cairn values at dst. */
static int convert_fixed(const pq_colinfo *c, const uint8_t *src, int64_t n, void *dst,
                         cairn_error *err)
{
    int64_t *o64 = dst;
    double *of = dst;
    switch (c->conv) {
    case CV_I32: memcpy(dst, src, (size_t)n * 4); return 0;
    case CV_I64: memcpy(dst, src, (size_t)n * 8); return 0;
    case CV_U32:
        for (int64_t i = 0; i < n; i++) o64[i] = (uint32_t)load_i32(src + i * 4);
        return 0;
    case CV_U64:
        for (int64_t i = 0; i < n; i++) {
            o64[i] = load_i64(src + i * 8);
            if (o64[i] < 0) return conv_range_error(c, "UINT64 value above INT64_MAX", err);
        }
        return 0;
    case CV_MILLIS:
        for (int64_t i = 0; i < n; i++) {
            if (__builtin_mul_overflow(load_i64(src + i * 8), 1000, &o64[i]))
                return conv_range_error(c, "millisecond timestamp out of range", err);
        }
        return 0;
    case CV_NANOS:
        for (int64_t i = 0; i < n; i++) {
            int64_t v = load_i64(src + i * 8), q = v / 1000;
            o64[i] = (v % 1000 < 0) ? q - 1 : q;
        }
        return 0;
    case CV_INT96:
        for (int64_t i = 0; i < n; i++) {
            int64_t nanos = load_i64(src + i * 12), day = load_i32(src + i * 12 + 8);
            int64_t q = nanos / 1000, base;
            if (nanos % 1000 < 0) q--;
            if (__builtin_mul_overflow(day - 2440588, CAIRN_US_PER_DAY, &base) ||
                __builtin_add_overflow(base, q, &o64[i]))
                return conv_range_error(c, "INT96 timestamp out of range", err);
        }
        return 0;
    case CV_DEC32:
        for (int64_t i = 0; i < n; i++) of[i] = load_i32(src + i * 4) / c->dec_div;
        return 0;
    case CV_DEC64:
        for (int64_t i = 0; i < n; i++) of[i] = (double)load_i64(src + i * 8) / c->dec_div;
        return 0;
    case CV_DECBIN:
        for (int64_t i = 0; i < n; i++)
            of[i] = decimal_bytes(src + (size_t)i * c->phys_width, c->phys_width, c->dec_div);
        return 0;
    default: return cairn_error_set(err, CAIRN_EINTERNAL, "no fixed conversion");
    }
}

/* ------------------------------------------------------------------------------------------
 * Placing dense values over rows with nulls (backwards, in place)
 * ---------------------------------------------------------------------------------------- */

static void spread_fixed(uint8_t *base, size_t width, const uint8_t *validity, int64_t row0,
                         int64_t n, int64_t nn)
{
    int64_t k = nn;
    for (int64_t i = n - 1; i >= 0 && k < i + 1; i--) {
        uint8_t *dst = base + (size_t)(row0 + i) * width;
        if (bit_get(validity, row0 + i)) {
            k--;
            memmove(dst, base + (size_t)(row0 + k) * width, width);
        } else {
            memset(dst, 0, width);
        }
    }
}

/* Offsets o[0..nn] of nn dense strings -> o[0..n] over n rows (null rows empty). */
static void spread_offsets(int64_t *o, const uint8_t *validity, int64_t row0, int64_t n,
                           int64_t nn)
{
    int64_t k = nn;
    for (int64_t i = n - 1; i >= 0; i--) {
        o[i + 1] = o[k];
        if (bit_get(validity, row0 + i)) k--;
    }
}

static void place_bools(uint8_t *bits, const uint8_t *dense, const uint8_t *validity,
                        int64_t row0, int64_t n)
{
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) {
        bool v = (!validity || bit_get(validity, row0 + i)) ? dense[k++] != 0 : false;
        cairn__bit_put(bits, row0 + i, v);
    }
}

/* ------------------------------------------------------------------------------------------
 * Strings: plain buffers, dictionary codes, switching between them
 * ---------------------------------------------------------------------------------------- */

static int str_init(chunk_job *job)
{
    if (job->str.offsets) return 0;
    job->str.offsets = cairn_malloc((size_t)(job->rows + 1) * sizeof(int64_t));
    if (!job->str.offsets) return CAIRN_ENOMEM;
    job->str.offsets[0] = 0;
    job->str.count = 0;
    return 0;
}

/* Appends dict[idx[i]] for i < n to the job's plain strings. */
static int gather_strings(chunk_job *job, const uint32_t *idx, const int32_t *codes, int64_t n,
                          const uint8_t *validity, int64_t row0)
{
    const cairn_column *d = job->dict;
    size_t bytes = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t c = idx ? (int64_t)idx[i] : (int64_t)codes[i];
        if (!validity || bit_get(validity, row0 + i))
            bytes += (size_t)(d->offsets[c + 1] - d->offsets[c]);
    }
    int rc = cairn__pq_strbuf_reserve(&job->str, bytes);
    if (rc) return rc;
    int64_t *off = job->str.offsets + job->str.count;
    size_t used = (size_t)off[0];
    for (int64_t i = 0; i < n; i++) {
        int64_t c = idx ? (int64_t)idx[i] : (int64_t)codes[i];
        if (!validity || bit_get(validity, row0 + i)) {
            size_t len = (size_t)(d->offsets[c + 1] - d->offsets[c]);
            memcpy(job->str.data + used, d->data + d->offsets[c], len);
            used += len;
        }
        off[i + 1] = (int64_t)used;
    }
    job->str.count += n;
    return 0;
}

/* Turns the codes of rows [0, rows) into plain strings and drops the codes. */
static int codes_to_plain(chunk_job *job, int64_t rows)
{
    int rc = str_init(job);
    if (rc == 0 && rows > 0) rc = gather_strings(job, NULL, job->codes, rows, job->validity, 0);
    if (rc) return rc;
    if (!job->codes_borrowed) cairn_free(job->codes);
    job->codes = NULL;
    job->use_codes = false;
    return 0;
}

/* At the chunk's end: codes stay only if that is smaller than plain strings. */
static int settle_strings(chunk_job *job)
{
    if (!job->use_codes) return 0;
    const cairn_column *d = job->dict;
    bool keep = d->length > 0;
    if (keep) {
        size_t plain = (size_t)(job->rows + 1) * 8, coded = (size_t)job->rows * 4;
        coded += (size_t)(d->length + 1) * 8 + (size_t)d->offsets[d->length];
        for (int64_t i = 0; i < job->rows && plain < coded; i++)
            if (!job->validity || bit_get(job->validity, i))
                plain += (size_t)(d->offsets[job->codes[i] + 1] - d->offsets[job->codes[i]]);
        keep = coded < plain;
    }
    return keep ? 0 : codes_to_plain(job, job->rows);
}

/* ------------------------------------------------------------------------------------------
 * Dictionary pages
 * ---------------------------------------------------------------------------------------- */

/* Wraps a finished pq_strbuf of n strings as a plain, non-nullable STRING column. */
static int strbuf_to_column(const char *name, bool nullable, pq_strbuf *b, int64_t n,
                            cairn_column **out)
{
    cairn_column *c = NULL;
    int rc = cairn_column_create(name, CAIRN_TYPE_STRING, nullable, &c);
    if (rc) return rc;
    cairn_free(c->offsets);
    c->offsets = b->offsets;
    c->values_cap_ = (size_t)(n + 1) * sizeof(int64_t);
    c->data = b->data;
    c->data_cap_ = b->data_cap;
    c->length = n;
    memset(b, 0, sizeof *b);
    *out = c;
    return 0;
}

/* Decodes a string dictionary (PLAIN) into job->dict. */
static int dict_strings(chunk_ctx *x, const uint8_t *data, size_t len, int64_t n, cairn_error *err)
{
    const pq_colinfo *c = x->col;
    pq_strbuf b = {0};
    /* every PLAIN byte array takes at least its 4-byte length; a fixed-length one its width */
    size_t min_bytes = c->phys == PQ_BYTE_ARRAY ? 4 : (size_t)(c->phys_width ? c->phys_width : 1);
    if (n < 0 || (uint64_t)n > len / min_bytes)
        return cairn_error_set(err, CAIRN_ECORRUPT, "dictionary of %" PRId64 " strings needs at"
                               " least %zu bytes per value, the page has %zu bytes", n, min_bytes, len);
    b.offsets = cairn_malloc((size_t)(n + 1) * sizeof(int64_t));
    if (!b.offsets) return fail_nomem(err);
    b.offsets[0] = 0;
    int rc = c->phys == PQ_BYTE_ARRAY
                 ? cairn__pq_plain_strings(data, len, n, &b, NULL, err)
                 : cairn__pq_fixed_strings(data, len, c->phys_width, n, &b, err);
    if (rc == 0 && (rc = strbuf_to_column(c->field.name, false, &b, n, &x->job->dict)) != 0)
        rc = fail_nomem(err);
    cairn_free(b.offsets);
    cairn_free(b.data);
    return rc;
}

/* Decimal byte arrays: n PLAIN values at data -> n doubles at dst (via x->s->sbuf). */
static int decimal_strings(chunk_ctx *x, int enc, const uint8_t *data, size_t len, int64_t n,
                           double *dst, cairn_error *err);

static int dict_page(chunk_ctx *x, const uint8_t *data, size_t len, int64_t n, cairn_error *err)
{
    const pq_colinfo *c = x->col;
    x->has_dict = true;
    x->dict_n = n;
    if (c->conv == CV_STRING) {
        int rc = dict_strings(x, data, len, n, err);
        if (rc == 0 && x->job->codes && x->row == 0) x->job->use_codes = true;
        return rc;
    }
    size_t width = c->conv == CV_BOOL ? 1 : c->out_width;
    if (c->conv != CV_BOOL && c->conv != CV_DECBIN && (uint64_t)n > len / c->phys_width)
        return cairn_error_set(err, CAIRN_ECORRUPT, "dictionary of %" PRId64 " values needs %zu"
                               " bytes, the page has %zu", n, (size_t)n * c->phys_width, len);
    if (c->conv == CV_BOOL && (uint64_t)n > (uint64_t)len * 8)
        return cairn_error_set(err, CAIRN_ECORRUPT, "dictionary page too short");
    if (c->conv == CV_DECBIN && (uint64_t)n > len) /* each value takes a byte at least */
        return cairn_error_set(err, CAIRN_ECORRUPT, "dictionary page too short");
    x->dict_vals = cairn_malloc((size_t)(n ? n : 1) * width);
    if (!x->dict_vals) return fail_nomem(err);
    if (c->conv == CV_BOOL) return cairn__pq_plain_bools(data, len, n, x->dict_vals, err);
    if (c->conv == CV_DECBIN)
        return decimal_strings(x, PQ_ENC_PLAIN, data, len, n, (double *)x->dict_vals, err);
    return convert_fixed(c, data, n, x->dict_vals, err);
}

/* ------------------------------------------------------------------------------------------
 * Data page values
 * ---------------------------------------------------------------------------------------- */

static bool is_dict_encoding(int enc)
{
    return enc == PQ_ENC_RLE_DICTIONARY || enc == PQ_ENC_PLAIN_DICTIONARY;
}

static int unsupported_encoding(const chunk_ctx *x, int enc, cairn_error *err)
{
    return cairn_error_set(err, CAIRN_EUNSUPPORTED, "encoding %d is not supported for a column"
                           " of physical type %d", enc, x->col->phys);
}

static int index_range_error(const chunk_ctx *x, uint32_t max, cairn_error *err)
{
    return cairn_error_set(err, CAIRN_ECORRUPT, "dictionary index %u out of range (%" PRId64
                           " entries)", max, x->dict_n);
}

/* Dictionary indices of nn values into out, range-checked. */
static int read_indices(chunk_ctx *x, const uint8_t *data, size_t len, int64_t nn,
                        uint32_t *out, cairn_error *err)
{
    if (!x->has_dict)
        return cairn_error_set(err, CAIRN_ECORRUPT, "dictionary-encoded page without a dictionary");
    if (nn == 0) return 0;
    if (len < 1) return cairn_error_set(err, CAIRN_ECORRUPT, "dictionary indices are missing");
    int rc = cairn__pq_rle_decode(data + 1, len - 1, data[0], out, nn, err);
    if (rc) return rc;
    uint32_t max = 0;
    for (int64_t i = 0; i < nn; i++) max = out[i] > max ? out[i] : max;
    return (int64_t)max >= x->dict_n ? index_range_error(x, max, err) : 0;
}

#define GATHER_BATCH 1024

/* nn fixed-width values looked up in the dictionary, indices decoded a batch at a time so
 * they stay in the first-level cache. */
static int gather_fixed(chunk_ctx *x, const uint8_t *data, size_t len, int64_t nn, uint8_t *dst,
                        cairn_error *err)
{
    if (!x->has_dict)
        return cairn_error_set(err, CAIRN_ECORRUPT, "dictionary-encoded page without a dictionary");
    if (nn == 0) return 0;
    if (len < 1) return cairn_error_set(err, CAIRN_ECORRUPT, "dictionary indices are missing");
    pq_rle_reader rr;
    uint32_t idx[GATHER_BATCH];
    int rc = cairn__pq_rle_init(&rr, data + 1, len - 1, data[0], err);
    bool wide = x->col->out_width == 8;
    for (int64_t i = 0; rc == 0 && i < nn; i += GATHER_BATCH) {
        int64_t m = nn - i < GATHER_BATCH ? nn - i : GATHER_BATCH;
        if ((rc = cairn__pq_rle_read(&rr, idx, m, err)) != 0) break;
        uint32_t max = 0;
        for (int64_t j = 0; j < m; j++) max = idx[j] > max ? idx[j] : max;
        if ((int64_t)max >= x->dict_n) return index_range_error(x, max, err);
        if (wide) {
            const uint64_t *d = (const uint64_t *)(void *)x->dict_vals;
            uint64_t *o = (uint64_t *)(void *)dst + i;
            for (int64_t j = 0; j < m; j++) o[j] = d[idx[j]];
        } else {
            const uint32_t *d = (const uint32_t *)(void *)x->dict_vals;
            uint32_t *o = (uint32_t *)(void *)dst + i;
            for (int64_t j = 0; j < m; j++) o[j] = d[idx[j]];
        }
    }
    return rc;
}

static int scratch_idx(chunk_ctx *x, int64_t nn, cairn_error *err)
{
    void *p = x->s->idx;
    int rc = grow_scratch(&p, &x->s->idx_cap, (size_t)(nn ? nn : 1) * sizeof(uint32_t));
    x->s->idx = p;
    return rc ? fail_nomem(err) : 0;
}

static int scratch_tmp(chunk_ctx *x, size_t bytes, cairn_error *err)
{
    void *p = x->s->tmp;
    int rc = grow_scratch(&p, &x->s->tmp_cap, bytes ? bytes : 1);
    x->s->tmp = p;
    return rc ? fail_nomem(err) : 0;
}

/* Values in DELTA_BINARY_PACKED or BYTE_STREAM_SPLIT -> PLAIN layout in x->s->tmp. */
static int to_plain_layout(chunk_ctx *x, int enc, const uint8_t *data, size_t len, int64_t nn,
                           cairn_error *err)
{
    const pq_colinfo *c = x->col;
    if (enc == PQ_ENC_BYTE_STREAM_SPLIT) {
        if (c->phys == PQ_BYTE_ARRAY || c->phys == PQ_BOOLEAN || c->phys == PQ_INT96)
            return unsupported_encoding(x, enc, err);
        int rc = scratch_tmp(x, (size_t)nn * c->phys_width, err);
        return rc ? rc : cairn__pq_byte_stream_split(data, len, c->phys_width, nn, x->s->tmp, err);
    }
    if (enc != PQ_ENC_DELTA_BINARY_PACKED || (c->phys != PQ_INT32 && c->phys != PQ_INT64))
        return unsupported_encoding(x, enc, err);
    int rc = scratch_tmp(x, (size_t)nn * 8, err);
    int64_t total;
    size_t used;
    if (rc == 0) rc = cairn__pq_delta_decode(data, len, (uint64_t *)(void *)x->s->tmp, nn, &total,
                                             &used, err);
    if (rc == 0 && c->phys == PQ_INT32) {
        const uint64_t *w = (const uint64_t *)(void *)x->s->tmp;
        for (int64_t i = 0; i < nn; i++) {
            int32_t v = (int32_t)(uint32_t)w[i];
            memcpy(x->s->tmp + i * 4, &v, 4);
        }
    }
    return rc;
}

/* Fixed-width (and decimal) values of one page, densely at row0. */
static int page_fixed(chunk_ctx *x, int enc, const uint8_t *data, size_t len, int64_t nn,
                      int64_t row0, cairn_error *err)
{
    const pq_colinfo *c = x->col;
    uint8_t *dst = x->job->values + (size_t)row0 * c->out_width;
    if (is_dict_encoding(enc)) return gather_fixed(x, data, len, nn, dst, err);
    if (c->conv == CV_DECBIN && enc != PQ_ENC_BYTE_STREAM_SPLIT)
        return decimal_strings(x, enc, data, len, nn, (double *)(void *)dst, err);
    if (enc == PQ_ENC_PLAIN) {
        if ((uint64_t)nn > len / c->phys_width)
            return cairn_error_set(err, CAIRN_ECORRUPT, "PLAIN values end after %zu of %" PRId64
                                   " values", len / c->phys_width, nn);
        return convert_fixed(c, data, nn, dst, err);
    }
    int rc = to_plain_layout(x, enc, data, len, nn, err);
    return rc ? rc : convert_fixed(c, x->s->tmp, nn, dst, err);
}

/* Decodes nn byte arrays in encoding enc, appending to b (offsets preallocated). */
static int decode_strings(chunk_ctx *x, int enc, const uint8_t *data, size_t len, int64_t nn,
                          pq_strbuf *b, cairn_error *err)
{
    const pq_colinfo *c = x->col;
    switch (enc) {
    case PQ_ENC_PLAIN:
        if (c->phys == PQ_BYTE_ARRAY) return cairn__pq_plain_strings(data, len, nn, b, NULL, err);
        return cairn__pq_fixed_strings(data, len, c->phys_width, nn, b, err);
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        if (c->phys != PQ_BYTE_ARRAY) return unsupported_encoding(x, enc, err);
        return cairn__pq_delta_length_strings(data, len, nn, b, err);
    case PQ_ENC_DELTA_BYTE_ARRAY: return cairn__pq_delta_strings(data, len, nn, b, err);
    case PQ_ENC_BYTE_STREAM_SPLIT: {
        if (c->phys != PQ_FIXED_LEN_BYTE_ARRAY) return unsupported_encoding(x, enc, err);
        int rc = scratch_tmp(x, (size_t)nn * c->phys_width, err);
        if (rc == 0) rc = cairn__pq_byte_stream_split(data, len, c->phys_width, nn, x->s->tmp, err);
        return rc ? rc : cairn__pq_fixed_strings(x->s->tmp, (size_t)nn * c->phys_width,
                                                 c->phys_width, nn, b, err);
    }
    default: return unsupported_encoding(x, enc, err);
    }
}

static int decimal_strings(chunk_ctx *x, int enc, const uint8_t *data, size_t len, int64_t nn,
                           double *dst, cairn_error *err)
{
    if ((size_t)nn + 1 > x->s->sbuf_rows) {
        int64_t *p = cairn_realloc(x->s->sbuf.offsets, ((size_t)nn + 1) * sizeof(int64_t));
        if (!p) return fail_nomem(err);
        x->s->sbuf.offsets = p;
        x->s->sbuf_rows = (size_t)nn + 1;
    }
    x->s->sbuf.offsets[0] = 0;
    x->s->sbuf.count = 0;
    int rc = decode_strings(x, enc, data, len, nn, &x->s->sbuf, err);
    for (int64_t i = 0; rc == 0 && i < nn; i++) {
        const int64_t *o = x->s->sbuf.offsets;
        dst[i] = decimal_bytes((const uint8_t *)x->s->sbuf.data + o[i], (size_t)(o[i + 1] - o[i]),
                               x->col->dec_div);
    }
    return rc;
}

/* String values of one page: codes, dictionary strings, or decoded byte arrays. */
static int page_strings(chunk_ctx *x, int enc, const uint8_t *data, size_t len, int64_t nn,
                        int64_t row0, cairn_error *err)
{
    chunk_job *job = x->job;
    if (job->use_codes && is_dict_encoding(enc))
        return read_indices(x, data, len, nn, (uint32_t *)(void *)(job->codes + row0), err);
    if (job->use_codes && codes_to_plain(job, row0) != 0) return fail_nomem(err);
    if (str_init(job) != 0) return fail_nomem(err);
    if (is_dict_encoding(enc)) {
        int rc = scratch_idx(x, nn, err);
        if (rc == 0) rc = read_indices(x, data, len, nn, x->s->idx, err);
        if (rc == 0 && gather_strings(job, x->s->idx, NULL, nn, NULL, 0) != 0) rc = fail_nomem(err);
        return rc;
    }
    return decode_strings(x, enc, data, len, nn, &job->str, err);
}

static int page_bools(chunk_ctx *x, int enc, const uint8_t *data, size_t len, int64_t nn,
                      int64_t row0, int64_t n, cairn_error *err)
{
    int rc = scratch_tmp(x, (size_t)nn, err);
    if (rc == 0) rc = scratch_idx(x, nn, err);
    if (rc) return rc;
    if (enc == PQ_ENC_PLAIN) {
        rc = cairn__pq_plain_bools(data, len, nn, x->s->tmp, err);
    } else if (enc == PQ_ENC_RLE || is_dict_encoding(enc)) {
        if (enc == PQ_ENC_RLE) {
            uint32_t l = 0;
            if (len >= 4) memcpy(&l, data, 4);
            if (len < 4 || l > len - 4)
                return cairn_error_set(err, CAIRN_ECORRUPT, "RLE booleans length is invalid");
            rc = cairn__pq_rle_decode(data + 4, l, 1, x->s->idx, nn, err);
        } else {
            rc = read_indices(x, data, len, nn, x->s->idx, err);
        }
        const uint8_t *d = is_dict_encoding(enc) ? x->dict_vals : NULL;
        for (int64_t i = 0; rc == 0 && i < nn; i++)
            x->s->tmp[i] = d ? d[x->s->idx[i]] : (uint8_t)x->s->idx[i];
    } else {
        return unsupported_encoding(x, enc, err);
    }
    if (rc == 0) place_bools(x->job->bools, x->s->tmp, x->job->validity, row0, n);
    return rc;
}

/* The values section of a data page: nn values for the page's n rows from row0. */
static int page_values(chunk_ctx *x, int enc, const uint8_t *data, size_t len, int64_t n,
                       int64_t nn, cairn_error *err)
{
    chunk_job *job = x->job;
    int64_t row0 = x->row;
    int rc;
    switch (x->col->conv) {
    case CV_BOOL: return page_bools(x, enc, data, len, nn, row0, n, err);
    case CV_STRING:
        rc = page_strings(x, enc, data, len, nn, row0, err);
        if (rc || nn == n) return rc;
        if (job->use_codes)
            spread_fixed((uint8_t *)job->codes, 4, job->validity, row0, n, nn);
        else
            spread_offsets(job->str.offsets + row0, job->validity, row0, n, nn), job->str.count = row0 + n;
        return 0;
    default:
        rc = page_fixed(x, enc, data, len, nn, row0, err);
        if (rc == 0 && nn < n) spread_fixed(job->values, x->col->out_width, job->validity, row0, n, nn);
        return rc;
    }
}

/* ------------------------------------------------------------------------------------------
 * Pages
 * ---------------------------------------------------------------------------------------- */

/* The most a page may expand under each codec (the codec's worst case, plus slack), so a
 * header cannot make the reader allocate more than its bytes could ever produce. */
static uint64_t max_expansion(int codec)
{
    switch (codec) {
    case PQ_CODEC_SNAPPY: return 32;
    case PQ_CODEC_GZIP: return 1100;
    case PQ_CODEC_LZ4:
    case PQ_CODEC_LZ4_RAW: return 256;
    case PQ_CODEC_ZSTD: return 32768;
    default: return 1;
    }
}

/* A page's decompressed body in *out (the raw bytes when uncompressed). */
static int page_body(chunk_ctx *x, int codec, const uint8_t *raw, size_t raw_len, size_t ulen,
                     const uint8_t **out, cairn_error *err)
{
    if (codec == PQ_CODEC_UNCOMPRESSED) {
        if (raw_len != ulen)
            return cairn_error_set(err, CAIRN_ECORRUPT, "uncompressed page of %zu bytes claims"
                                   " %zu bytes", raw_len, ulen);
        *out = raw;
        return 0;
    }
    if ((uint64_t)ulen > (uint64_t)raw_len * max_expansion(codec) + 4096)
        return cairn_error_set(err, CAIRN_ECORRUPT, "page of %zu %s bytes claims %zu bytes"
                               " uncompressed", raw_len, cairn__parquet_codec_name(codec), ulen);
    void *p = x->s->page;
    if (grow_scratch(&p, &x->s->page_cap, ulen ? ulen : 1) != 0) return fail_nomem(err);
    x->s->page = p;
    int rc = cairn__parquet_decompress(codec, raw, raw_len, x->s->page, ulen, err);
    *out = x->s->page;
    return rc;
}

static int check_page_rows(const chunk_ctx *x, int64_t n, cairn_error *err)
{
    int64_t left = x->job->rows - x->row;
    if (n < 0 || n > left)
        return cairn_error_set(err, CAIRN_ECORRUPT, "page holds %" PRId64 " values, %" PRId64
                               " of the column chunk's rows remain", n, left);
    return 0;
}

/* Definition levels of a v1 page: data and len advance past them; *nn = values present. */
static int levels_v1(chunk_ctx *x, const pq_page_header *h, const uint8_t **data, size_t *len,
                     int64_t n, int64_t *nn, cairn_error *err)
{
    *nn = n;
    if (x->col->max_def == 0) return 0;
    size_t used;
    int rc;
    if (h->v1_def_encoding == PQ_ENC_RLE) {
        uint32_t l = 0;
        if (*len >= 4) memcpy(&l, *data, 4);
        if (*len < 4 || l > *len - 4)
            return cairn_error_set(err, CAIRN_ECORRUPT, "definition levels length is invalid");
        rc = cairn__pq_rle_bitmap(*data + 4, l, n, x->job->validity, x->row, err);
        used = 4 + (size_t)l;
    } else if (h->v1_def_encoding == PQ_ENC_BIT_PACKED) {
        used = (size_t)(n + 7) / 8;
        rc = cairn__pq_bitpacked_bitmap(*data, *len, n, x->job->validity, x->row, err);
    } else {
        return cairn_error_set(err, CAIRN_EUNSUPPORTED, "definition level encoding %d",
                               (int)h->v1_def_encoding);
    }
    if (rc) return rc;
    *data += used;
    *len -= used;
    *nn = cairn__pq_count_bits(x->job->validity, x->row, n);
    return 0;
}

static int data_page_v1(chunk_ctx *x, const pq_page_header *h, const uint8_t *raw,
                        size_t raw_len, cairn_error *err)
{
    int64_t n = h->v1_num_values, nn;
    int rc = check_page_rows(x, n, err);
    const uint8_t *data = NULL;
    size_t len = (size_t)h->uncompressed_page_size;
    if (rc == 0) rc = page_body(x, x->job->cc->meta.codec, raw, raw_len, len, &data, err);
    if (rc == 0) rc = levels_v1(x, h, &data, &len, n, &nn, err);
    if (rc == 0) rc = page_values(x, h->v1_encoding, data, len, n, nn, err);
    if (rc) return rc;
    x->job->null_count += n - nn;
    x->row += n;
    return 0;
}

static int data_page_v2(chunk_ctx *x, const pq_page_header *h, const uint8_t *raw,
                        size_t raw_len, cairn_error *err)
{
    int64_t n = h->v2_num_values, nn = n;
    int rc = check_page_rows(x, n, err);
    if (rc) return rc;
    size_t levels = (size_t)h->v2_rep_length + (size_t)h->v2_def_length;
    if (levels > raw_len || levels > (size_t)h->uncompressed_page_size)
        return cairn_error_set(err, CAIRN_ECORRUPT, "levels of %zu bytes exceed the page", levels);
    if (x->col->max_def > 0) {
        rc = cairn__pq_rle_bitmap(raw + h->v2_rep_length, (size_t)h->v2_def_length, n,
                                  x->job->validity, x->row, err);
        if (rc) return rc;
        nn = cairn__pq_count_bits(x->job->validity, x->row, n);
    }
    if (n - nn != h->v2_num_nulls)
        return cairn_error_set(err, CAIRN_ECORRUPT, "page says %d nulls, its levels %" PRId64,
                               (int)h->v2_num_nulls, n - nn);
    int codec = h->v2_is_compressed ? x->job->cc->meta.codec : PQ_CODEC_UNCOMPRESSED;
    size_t len = (size_t)h->uncompressed_page_size - levels;
    const uint8_t *data = NULL;
    rc = page_body(x, codec, raw + levels, raw_len - levels, len, &data, err);
    if (rc == 0) rc = page_values(x, h->v2_encoding, data, len, n, nn, err);
    if (rc) return rc;
    x->job->null_count += n - nn;
    x->row += n;
    return 0;
}

static int dictionary_page(chunk_ctx *x, const pq_page_header *h, const uint8_t *raw,
                           size_t raw_len, cairn_error *err)
{
    if (x->has_dict || x->row > 0)
        return cairn_error_set(err, CAIRN_ECORRUPT, "a dictionary page after %s",
                               x->has_dict ? "another dictionary page" : "data pages");
    if (h->dict_num_values < 0)
        return cairn_error_set(err, CAIRN_ECORRUPT, "dictionary of %d values",
                               (int)h->dict_num_values);
    if (h->dict_encoding != PQ_ENC_PLAIN && h->dict_encoding != PQ_ENC_PLAIN_DICTIONARY)
        return cairn_error_set(err, CAIRN_EUNSUPPORTED, "dictionary page encoding %d",
                               (int)h->dict_encoding);
    const uint8_t *data = NULL;
    size_t len = (size_t)h->uncompressed_page_size;
    int rc = page_body(x, x->job->cc->meta.codec, raw, raw_len, len, &data, err);
    return rc ? rc : dict_page(x, data, len, h->dict_num_values, err);
}

/* Where a column chunk's first page starts: the dictionary page when there is one. */
static int64_t chunk_start(const pq_column_meta *m)
{
    if (m->dictionary_page_offset >= 4 && m->dictionary_page_offset < m->data_page_offset)
        return m->dictionary_page_offset;
    return m->data_page_offset;
}

/* Adds the page's location to an error that has none. */
static int at_page(int rc, const chunk_ctx *x, cairn_error *err)
{
    if (rc && err && err->offset < 0) {
        err->offset = x->page_offset;
        cairn_error_prefix(err, "page at byte %" PRId64 ": ", x->page_offset);
    }
    return rc;
}

static int read_pages(chunk_ctx *x, cairn_error *err)
{
    const pq_column_meta *m = &x->job->cc->meta;
    const uint8_t *file = (const uint8_t *)x->job->r->map.data;
    int64_t pos = chunk_start(m), end = pos + m->total_compressed_size; /* checked at open */
    while (x->row < x->job->rows) {
        if (pos >= end) {
            if (err) err->offset = end;
            return cairn_error_set(err, CAIRN_ECORRUPT, "column chunk ends at byte %" PRId64
                                   " after %" PRId64 " of %" PRId64 " values", end, x->row,
                                   x->job->rows);
        }
        pq_page_header h;
        size_t hlen;
        x->page_offset = pos;
        int rc = cairn__pq_page_header_decode(file + pos, (size_t)(end - pos), pos, &h, &hlen, err);
        if (rc) return rc;
        int64_t body = pos + (int64_t)hlen;
        if (h.compressed_page_size > end - body)
            return at_page(cairn_error_set(err, CAIRN_ECORRUPT, "page of %d bytes runs past the"
                                           " column chunk's end at byte %" PRId64,
                                           (int)h.compressed_page_size, end), x, err);
        const uint8_t *raw = file + body;
        size_t raw_len = (size_t)h.compressed_page_size;
        if (h.type == PQ_PAGE_DICTIONARY) rc = dictionary_page(x, &h, raw, raw_len, err);
        else if (h.type == PQ_PAGE_DATA) rc = data_page_v1(x, &h, raw, raw_len, err);
        else if (h.type == PQ_PAGE_DATA_V2) rc = data_page_v2(x, &h, raw, raw_len, err);
        if (rc) return at_page(rc, x, err);
        pos = body + h.compressed_page_size;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Column chunks
 * ---------------------------------------------------------------------------------------- */

static void job_release(chunk_job *job)
{
    cairn_free(job->validity);
    cairn_free(job->bools);
    if (!job->codes_borrowed) cairn_free(job->codes);
    cairn_column_free(job->dict);
    cairn_free(job->str.offsets);
    cairn_free(job->str.data);
    job->validity = job->bools = NULL;
    job->codes = NULL;
    job->dict = NULL;
    memset(&job->str, 0, sizeof job->str);
}

static int chunk_buffers(chunk_job *job)
{
    size_t bytes = cairn__bitmap_bytes(job->rows ? job->rows : 1);
    if (job->col->max_def > 0 && !(job->validity = cairn_malloc(bytes))) return CAIRN_ENOMEM;
    if (job->col->conv == CV_BOOL && !(job->bools = cairn_calloc(1, bytes))) return CAIRN_ENOMEM;
    return 0;
}

static chunk_scratch *scratch_take(scratch_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    chunk_scratch *s = pool->free;
    if (s) pool->free = s->next;
    pthread_mutex_unlock(&pool->lock);
    return s ? s : cairn_calloc(1, sizeof *s);
}

static void scratch_give(scratch_pool *pool, chunk_scratch *s)
{
    pthread_mutex_lock(&pool->lock);
    s->next = pool->free;
    pool->free = s;
    pthread_mutex_unlock(&pool->lock);
}

static void scratch_free_all(scratch_pool *pool)
{
    for (chunk_scratch *s = pool->free, *next; s; s = next) {
        next = s->next;
        cairn_free(s->page);
        cairn_free(s->idx);
        cairn_free(s->tmp);
        cairn_free(s->sbuf.offsets);
        cairn_free(s->sbuf.data);
        cairn_free(s);
    }
    pool->free = NULL;
}

static int run_chunk(chunk_job *job)
{
    chunk_ctx x = {.job = job, .col = job->col, .s = scratch_take(job->scratch)};
    cairn_error *err = &job->err;
    if (!x.s) return fail_nomem(err);
    int rc = chunk_buffers(job) ? fail_nomem(err) : 0;
    if (rc == 0) rc = read_pages(&x, err);
    if (rc == 0 && job->col->conv == CV_STRING) {
        if (!job->use_codes && str_init(job) != 0) rc = fail_nomem(err);
        if (rc == 0 && settle_strings(job) != 0) rc = fail_nomem(err);
        if (rc == 0 && !job->use_codes) {
            cairn_column_free(job->dict);
            job->dict = NULL;
        }
    }
    scratch_give(job->scratch, x.s);
    cairn_free(x.dict_vals);
    if (rc) {
        job_release(job);
        return rc;
    }
    if (job->validity && job->null_count == 0) {
        cairn_free(job->validity);
        job->validity = NULL;
    }
    return 0;
}

static void chunk_task(void *arg, size_t i)
{
    chunk_job *job = ((chunk_job **)arg)[i];
    job->rc = run_chunk(job);
    if (job->rc) {
        cairn_error_prefix(&job->err, "column '%s', row group %u: ", job->col->field.name,
                           job->rg);
        cairn_error_field(&job->err, job->col->field.name);
    }
}

/* ------------------------------------------------------------------------------------------
 * Reading row groups: jobs, then stitching columns together
 * ---------------------------------------------------------------------------------------- */

typedef struct read_plan {
    const cairn_parquet_reader *r;
    scratch_pool scratch;
    int32_t **codes; /* nsel: dictionary codes of the whole column, for string columns */
    const uint32_t *rgs;
    size_t nrg;
    int64_t *row0; /* nrg + 1: first row of each row group in the result, then the total */
    cairn_column **cols; /* nsel */
    chunk_job *jobs;     /* nrg * nsel, row-group major */
} read_plan;

/* A large output buffer; asks for transparent huge pages, which make its first touch (a
 * page fault per 4 KiB otherwise) several times cheaper. */
static void *alloc_big(size_t bytes)
{
    void *p = cairn_malloc(bytes);
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1), hi = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (p && hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
    return p;
}

static int plan_outputs(read_plan *p, cairn_error *err)
{
    const cairn_parquet_reader *r = p->r;
    int64_t total = p->row0[p->nrg];
    for (size_t s = 0; s < r->nsel; s++) {
        const pq_colinfo *c = &r->cols[r->sel[s]];
        if (cairn_column_create(c->field.name, c->field.type, c->field.nullable, &p->cols[s]))
            return fail_nomem(err);
        if (c->conv == CV_STRING && !r->decode_dictionaries &&
            !(p->codes[s] = alloc_big((size_t)(total ? total : 1) * sizeof(int32_t))))
            return fail_nomem(err);
        if (c->out_width == 0) continue;
        size_t bytes = (size_t)(total ? total : 1) * c->out_width;
        if (!(p->cols[s]->values = alloc_big(bytes))) return fail_nomem(err);
        p->cols[s]->values_cap_ = bytes;
    }
    for (size_t g = 0; g < p->nrg; g++) {
        const pq_row_group *rg = &r->meta.row_groups[p->rgs[g]];
        for (size_t s = 0; s < r->nsel; s++) {
            chunk_job *job = &p->jobs[g * r->nsel + s];
            job->r = r;
            job->col = &r->cols[r->sel[s]];
            job->cc = &rg->columns[r->sel[s]];
            job->rg = p->rgs[g];
            job->rows = rg->num_rows;
            if (job->col->out_width)
                job->values = (uint8_t *)p->cols[s]->values +
                              (size_t)p->row0[g] * job->col->out_width;
            if (p->codes[s]) {
                job->codes = p->codes[s] + p->row0[g];
                job->codes_borrowed = true;
            }
            job->scratch = &p->scratch;
            cairn_error_clear(&job->err);
        }
    }
    return 0;
}

typedef struct job_order {
    int64_t size;
    chunk_job *job;
} job_order;

static int by_size_desc(const void *a, const void *b)
{
    int64_t x = ((const job_order *)a)->size, y = ((const job_order *)b)->size;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Runs jobs [first, first + count), biggest chunks first. */
static int run_jobs(const read_plan *p, size_t first, size_t count)
{
    job_order *order = cairn_malloc((count ? count : 1) * sizeof *order);
    chunk_job **list = cairn_malloc((count ? count : 1) * sizeof *list);
    if (!order || !list) {
        cairn_free(order);
        cairn_free(list);
        return CAIRN_ENOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        order[i].job = &p->jobs[first + i];
        order[i].size = order[i].job->cc->meta.total_compressed_size;
    }
    qsort(order, count, sizeof *order, by_size_desc);
    for (size_t i = 0; i < count; i++) list[i] = order[i].job;
    if (p->r->pool && count > 1) cairn_pool_run(p->r->pool, count, chunk_task, list);
    else
        for (size_t i = 0; i < count; i++) chunk_task(list, i);
    cairn_free(order);
    cairn_free(list);
    return 0;
}

/* Runs every job, in batches when progress is reported; the first error in file order. */
static int run_all(const read_plan *p, cairn_error *err)
{
    const cairn_parquet_reader *r = p->r;
    size_t batch = p->nrg ? p->nrg : 1;
    if (r->progress) batch = (size_t)(r->pool ? cairn_pool_threads(r->pool) : 1);
    for (size_t g = 0; g < p->nrg; g += batch) {
        size_t n = p->nrg - g < batch ? p->nrg - g : batch;
        if (run_jobs(p, g * r->nsel, n * r->nsel) != 0) return fail_nomem(err);
        for (size_t j = g * r->nsel; j < (g + n) * r->nsel; j++) {
            if (p->jobs[j].rc == 0) continue;
            if (err) *err = p->jobs[j].err;
            return p->jobs[j].rc;
        }
        if (r->progress &&
            !r->progress(r->progress_ud, "parquet", (int64_t)(g + n), (int64_t)p->nrg))
            return cairn_error_set(err, CAIRN_ECANCELED, "reading %s was canceled", r->path);
    }
    return 0;
}

/* Per-job bitmaps (validity or BOOL values) -> one bitmap over all rows. */
static int merge_bitmaps(read_plan *p, size_t s, bool values, uint8_t **out, size_t *cap)
{
    size_t nsel = p->r->nsel;
    if (p->nrg == 1) {
        chunk_job *job = &p->jobs[s];
        uint8_t **src = values ? &job->bools : &job->validity;
        *out = *src;
        *cap = cairn__bitmap_bytes(job->rows ? job->rows : 1);
        *src = NULL;
        return 0;
    }
    *cap = cairn__bitmap_bytes(p->row0[p->nrg] ? p->row0[p->nrg] : 1);
    uint8_t *bm = cairn_malloc(*cap);
    if (!bm) return CAIRN_ENOMEM;
    for (size_t g = 0; g < p->nrg; g++) {
        chunk_job *job = &p->jobs[g * nsel + s];
        const uint8_t *src = values ? job->bools : job->validity;
        if (src) cairn__pq_copy_bits(bm, p->row0[g], src, job->rows);
        else cairn__pq_fill_bits(bm, p->row0[g], job->rows, true);
    }
    *out = bm;
    return 0;
}

/* An open-addressing index over the merged dictionary's strings. */
typedef struct dict_index {
    int32_t *slots; /* -1 empty, else a code */
    size_t mask;
} dict_index;

static int32_t dict_intern(dict_index *ix, pq_strbuf *d, const char *s, size_t len, int *rc)
{
    size_t h = (size_t)cairn_hash64(s, len, 0) & ix->mask;
    for (;; h = (h + 1) & ix->mask) {
        int32_t c = ix->slots[h];
        if (c < 0) break;
        size_t clen = (size_t)(d->offsets[c + 1] - d->offsets[c]);
        if (clen == len && memcmp(d->data + d->offsets[c], s, len) == 0) return c;
    }
    if ((*rc = cairn__pq_strbuf_reserve(d, len)) != 0) return 0;
    size_t used = cairn__pq_strbuf_bytes(d);
    if (len) memcpy(d->data + used, s, len);
    d->offsets[d->count + 1] = (int64_t)(used + len);
    ix->slots[h] = (int32_t)d->count;
    return (int32_t)d->count++;
}

/* Remaps one job's codes into codes[row0..] through the merged dictionary. */
static int merge_job_codes(chunk_job *job, dict_index *ix, pq_strbuf *d, int32_t *codes)
{
    const cairn_column *jd = job->dict;
    int32_t *remap = cairn_malloc((size_t)(jd->length ? jd->length : 1) * sizeof *remap);
    if (!remap) return CAIRN_ENOMEM;
    int rc = 0;
    for (int64_t e = 0; e < jd->length && rc == 0; e++)
        remap[e] = dict_intern(ix, d, jd->data + jd->offsets[e],
                               (size_t)(jd->offsets[e + 1] - jd->offsets[e]), &rc);
    for (int64_t i = 0; rc == 0 && i < job->rows; i++)
        codes[i] = remap[job->codes[i]];
    if (rc == 0 && job->validity)
        for (int64_t i = 0; i < job->rows; i++)
            if (!bit_get(job->validity, i)) codes[i] = 0;
    cairn_free(remap);
    return rc;
}

/* All chunks of column s kept codes: one dictionary, codes remapped into it. */
static int merge_dictionaries(read_plan *p, size_t s, cairn_column *col)
{
    size_t nsel = p->r->nsel;
    int64_t entries = 0, total = p->row0[p->nrg];
    for (size_t g = 0; g < p->nrg; g++) entries += p->jobs[g * nsel + s].dict->length;
    size_t slots = 16;
    while (slots < (size_t)entries * 2) slots *= 2;
    dict_index ix = {cairn_malloc(slots * sizeof(int32_t)), slots - 1};
    pq_strbuf d = {cairn_malloc((size_t)(entries + 1) * sizeof(int64_t)), 0, NULL, 0};
    int32_t *codes = p->codes[s]; /* each job's codes are already in place */
    int rc = ix.slots && d.offsets ? 0 : CAIRN_ENOMEM;
    if (rc == 0) {
        memset(ix.slots, 0xff, slots * sizeof(int32_t));
        d.offsets[0] = 0;
    }
    for (size_t g = 0; g < p->nrg && rc == 0; g++)
        rc = merge_job_codes(&p->jobs[g * nsel + s], &ix, &d, codes + p->row0[g]);
    cairn_free(ix.slots);
    if (rc == 0) rc = strbuf_to_column(col->name, false, &d, d.count, &col->dictionary);
    if (rc) {
        cairn_free(d.offsets);
        cairn_free(d.data);
        return rc;
    }
    p->codes[s] = NULL;
    cairn_free(col->offsets);
    col->offsets = NULL;
    col->values = codes;
    col->values_cap_ = (size_t)(total ? total : 1) * sizeof *codes;
    return 0;
}

/* Plain strings of every chunk of column s, concatenated. */
static int merge_plain(read_plan *p, size_t s, cairn_column *col)
{
    size_t nsel = p->r->nsel, bytes = 0;
    int64_t total = p->row0[p->nrg];
    for (size_t g = 0; g < p->nrg; g++) {
        chunk_job *job = &p->jobs[g * nsel + s];
        if (job->use_codes && codes_to_plain(job, job->rows) != 0) return CAIRN_ENOMEM;
        bytes += cairn__pq_strbuf_bytes(&job->str);
    }
    if (p->nrg == 1) {
        pq_strbuf *b = &p->jobs[s].str;
        cairn_free(col->offsets);
        col->offsets = b->offsets;
        col->values_cap_ = (size_t)(total + 1) * sizeof(int64_t);
        col->data = b->data;
        col->data_cap_ = b->data_cap;
        memset(b, 0, sizeof *b);
        return 0;
    }
    int64_t *offsets = cairn_malloc((size_t)(total + 1) * sizeof *offsets);
    char *data = cairn_malloc(bytes ? bytes : 1);
    if (!offsets || !data) {
        cairn_free(offsets);
        cairn_free(data);
        return CAIRN_ENOMEM;
    }
    int64_t base = 0;
    offsets[0] = 0;
    for (size_t g = 0; g < p->nrg; g++) {
        const pq_strbuf *b = &p->jobs[g * nsel + s].str;
        size_t n = cairn__pq_strbuf_bytes(b);
        if (n) memcpy(data + base, b->data, n);
        for (int64_t i = 1; i <= b->count; i++) offsets[p->row0[g] + i] = base + b->offsets[i];
        base += (int64_t)n;
    }
    cairn_free(col->offsets);
    col->offsets = offsets;
    col->values_cap_ = (size_t)(total + 1) * sizeof *offsets;
    col->data = data;
    col->data_cap_ = bytes ? bytes : 1;
    return 0;
}

static int merge_column(read_plan *p, size_t s)
{
    cairn_column *col = p->cols[s];
    const pq_colinfo *c = &p->r->cols[p->r->sel[s]];
    int64_t nulls = 0;
    int rc = 0;
    for (size_t g = 0; g < p->nrg; g++) nulls += p->jobs[g * p->r->nsel + s].null_count;
    if (nulls > 0) rc = merge_bitmaps(p, s, false, &col->validity, &col->validity_cap_);
    if (rc == 0 && c->conv == CV_BOOL) {
        cairn_free(col->values);
        col->values = NULL;
        if (p->nrg > 0) rc = merge_bitmaps(p, s, true, (uint8_t **)&col->values, &col->values_cap_);
        else if (!(col->values = cairn_calloc(1, 1))) rc = CAIRN_ENOMEM;
        else col->values_cap_ = 1;
    }
    if (rc == 0 && c->conv == CV_STRING && p->nrg > 0) {
        bool all_codes = true;
        int64_t entries = 0; /* merged codes must fit int32 */
        for (size_t g = 0; g < p->nrg; g++) {
            const chunk_job *job = &p->jobs[g * p->r->nsel + s];
            all_codes &= job->use_codes;
            entries += job->use_codes ? job->dict->length : 0;
        }
        all_codes &= entries <= INT32_MAX;
        rc = all_codes ? merge_dictionaries(p, s, col) : merge_plain(p, s, col);
    }
    if (rc) return rc;
    col->length = p->row0[p->nrg];
    col->null_count = nulls;
    return 0;
}

static void plan_release(read_plan *p, size_t njobs)
{
    for (size_t j = 0; p->jobs && j < njobs; j++) job_release(&p->jobs[j]);
    for (size_t s = 0; p->cols && s < p->r->nsel; s++) cairn_column_free(p->cols[s]);
    for (size_t s = 0; p->codes && s < p->r->nsel; s++) cairn_free(p->codes[s]);
    scratch_free_all(&p->scratch);
    pthread_mutex_destroy(&p->scratch.lock);
    cairn_free(p->codes);
    cairn_free(p->jobs);
    cairn_free(p->cols);
    cairn_free(p->row0);
}

/* Decodes row groups rgs[0..nrg) (selected columns) into one table. */
static int read_groups(const cairn_parquet_reader *r, const uint32_t *rgs, size_t nrg,
                       cairn_table **out, cairn_error *err)
{
    read_plan p = {.r = r, .rgs = rgs, .nrg = nrg};
    size_t njobs = nrg * r->nsel;
    pthread_mutex_init(&p.scratch.lock, NULL);
    p.row0 = cairn_malloc((nrg + 1) * sizeof *p.row0);
    p.cols = cairn_calloc(r->nsel ? r->nsel : 1, sizeof *p.cols);
    p.codes = cairn_calloc(r->nsel ? r->nsel : 1, sizeof *p.codes);
    p.jobs = cairn_calloc(njobs ? njobs : 1, sizeof *p.jobs);
    int rc = p.row0 && p.cols && p.codes && p.jobs ? 0 : fail_nomem(err);
    if (rc == 0) {
        p.row0[0] = 0;
        for (size_t g = 0; g < nrg; g++)
            p.row0[g + 1] = p.row0[g] + r->meta.row_groups[rgs[g]].num_rows;
        rc = plan_outputs(&p, err);
    }
    if (rc == 0) rc = run_all(&p, err);
    for (size_t s = 0; rc == 0 && s < r->nsel; s++)
        if (merge_column(&p, s) != 0) rc = fail_nomem(err);
    if (rc == 0) {
        rc = cairn__table_from_columns(p.cols, r->nsel, out);
        cairn_free(p.cols); /* the table owns the columns now, or freed them */
        p.cols = NULL;
        if (rc) rc = fail_nomem(err);
    }
    plan_release(&p, njobs);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Opening: footer, schema, row-group checks
 * ---------------------------------------------------------------------------------------- */

static int corrupt_at(cairn_error *err, int64_t offset, const char *fmt, ...) CAIRN_PRINTF(3, 4);
static int corrupt_at(cairn_error *err, int64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = cairn_error_setv(err, CAIRN_ECORRUPT, fmt, ap);
    va_end(ap);
    if (err) err->offset = offset;
    return rc;
}

static int read_footer(cairn_parquet_reader *r, cairn_error *err)
{
    const uint8_t *d = (const uint8_t *)r->map.data;
    size_t len = r->map.len;
    if (len < 12)
        return corrupt_at(err, 0, "file of %zu bytes is too small for Parquet (12 at least)", len);
    if (memcmp(d, "PAR1", 4) != 0)
        return corrupt_at(err, 0, "not a Parquet file: no 'PAR1' magic at the start");
    if (memcmp(d + len - 4, "PARE", 4) == 0)
        return cairn_error_set(err, CAIRN_EUNSUPPORTED, "encrypted Parquet files are not supported");
    if (memcmp(d + len - 4, "PAR1", 4) != 0)
        return corrupt_at(err, (int64_t)len - 4, "no 'PAR1' magic at the end (truncated file?)");
    uint32_t flen;
    memcpy(&flen, d + len - 8, 4);
    if (flen > len - 12)
        return corrupt_at(err, (int64_t)len - 8, "footer length %u exceeds the file's %zu bytes",
                          flen, len - 12);
    r->footer_start = (int64_t)(len - 8 - flen);
    int rc = cairn__pq_file_meta_decode(d + r->footer_start, flen, r->footer_start, &r->meta, err);
    if (rc == 0 && r->meta.encrypted)
        rc = cairn_error_set(err, CAIRN_EUNSUPPORTED, "encrypted Parquet files are not supported");
    return rc;
}

static int build_columns(cairn_parquet_reader *r, cairn_error *err)
{
    const pq_file_meta *m = &r->meta;
    if (m->nschema == 0) return corrupt_at(err, r->footer_start, "the schema is empty");
    for (uint32_t i = 1; i < m->nschema; i++) {
        const pq_schema_element *se = &m->schema[i];
        if (se->num_children > 0 || se->type < 0 || se->repetition == PQ_REPEATED) {
            cairn_error_field(err, se->name);
            return cairn_error_set(err, CAIRN_EUNSUPPORTED, "column '%s' is nested/repeated; Cairn"
                                   " reads flat schemas only", se->name);
        }
    }
    if (m->schema[0].num_children != (int32_t)(m->nschema - 1))
        return corrupt_at(err, r->footer_start, "the schema root has %d children but %u"
                          " elements follow it", (int)m->schema[0].num_children, m->nschema - 1);
    r->ncols = m->nschema - 1;
    r->cols = cairn_calloc(r->ncols ? r->ncols : 1, sizeof *r->cols);
    if (!r->cols) return fail_nomem(err);
    for (uint32_t i = 0; i < r->ncols; i++) {
        int rc = map_column(&m->schema[i + 1], &r->cols[i], err);
        if (rc) {
            if (err) err->offset = r->footer_start;
            return rc;
        }
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(r->cols[j].field.name, r->cols[i].field.name) == 0)
                return corrupt_at(err, r->footer_start, "column name '%s' appears twice",
                                  r->cols[i].field.name);
    }
    return 0;
}

static int check_chunk(const cairn_parquet_reader *r, uint32_t g, uint32_t i, int64_t rows,
                       cairn_error *err)
{
    const pq_column_chunk *cc = &r->meta.row_groups[g].columns[i];
    const pq_colinfo *c = &r->cols[i];
    const pq_column_meta *m = &cc->meta;
    cairn_error_field(err, c->field.name);
    if (cc->file_path || cc->encrypted)
        return cairn_error_set(err, CAIRN_EUNSUPPORTED, "column '%s', row group %u: %s",
                               c->field.name, g, cc->file_path ? "data in another file"
                                                               : "encrypted column");
    if (!cc->has_meta)
        return corrupt_at(err, r->footer_start, "column '%s', row group %u: no meta_data",
                          c->field.name, g);
    int64_t start = chunk_start(m), size = m->total_compressed_size;
    if (m->type != c->phys || m->num_values != rows)
        return corrupt_at(err, r->footer_start, "column '%s', row group %u: type %d and %" PRId64
                          " values, the schema says type %d and the row group %" PRId64 " rows",
                          c->field.name, g, (int)m->type, m->num_values, c->phys, rows);
    if (start < 4 || size < 0 || size > r->footer_start - start)
        return corrupt_at(err, r->footer_start, "column '%s', row group %u: chunk at byte %" PRId64 " of %"
                          PRId64 " bytes lies outside the data (bytes 4..%" PRId64 ")",
                          c->field.name, g, start, size, r->footer_start);
    if (m->npath > 0 && strcmp(m->path[m->npath - 1], c->field.name) != 0)
        return corrupt_at(err, r->footer_start, "column %u of row group %u is '%s', the schema"
                          " says '%s'", i, g, m->path[m->npath - 1], c->field.name);
    if (err) err->field[0] = '\0';
    return 0;
}

static int check_row_groups(cairn_parquet_reader *r, cairn_error *err)
{
    int64_t total = 0;
    for (uint32_t g = 0; g < r->meta.nrow_groups; g++) {
        const pq_row_group *rg = &r->meta.row_groups[g];
        if (rg->ncolumns != r->ncols)
            return corrupt_at(err, r->footer_start, "row group %u has %u columns, the schema %u",
                              g, rg->ncolumns, r->ncols);
        int64_t bytes = 0;
        for (uint32_t i = 0; i < r->ncols; i++) {
            int rc = check_chunk(r, g, i, rg->num_rows, err);
            if (rc) return rc;
            bytes += rg->columns[i].meta.total_compressed_size;
        }
        int64_t cap = bytes > INT64_MAX / ROWS_PER_BYTE_CAP ? INT64_MAX : bytes * ROWS_PER_BYTE_CAP;
        if (rg->num_rows < 0 || rg->num_rows > (cap > MIN_ROWS_CAP ? cap : MIN_ROWS_CAP))
            return corrupt_at(err, r->footer_start, "row group %u claims %" PRId64 " rows in %"
                              PRId64 " bytes", g, rg->num_rows, bytes);
        total += rg->num_rows;
    }
    if (total != r->meta.num_rows)
        return corrupt_at(err, r->footer_start, "the file claims %" PRId64 " rows, its row groups"
                          " hold %" PRId64, r->meta.num_rows, total);
    return 0;
}

static int64_t find_column(const cairn_parquet_reader *r, const char *name)
{
    for (uint32_t i = 0; i < r->ncols; i++)
        if (strcmp(r->cols[i].field.name, name) == 0) return i;
    return -1;
}

static int not_found(cairn_error *err, const char *name)
{
    cairn_error_field(err, name);
    return cairn_error_set(err, CAIRN_ENOTFOUND, "column '%s' is not in the file", name);
}

static int select_columns(cairn_parquet_reader *r, const cairn_parquet_options *o,
                          cairn_error *err)
{
    r->nsel = o->columns ? o->ncolumns : r->ncols;
    r->sel = cairn_malloc((r->nsel ? r->nsel : 1) * sizeof *r->sel);
    r->fields = cairn_malloc((r->nsel ? r->nsel : 1) * sizeof *r->fields);
    if (!r->sel || !r->fields) return fail_nomem(err);
    for (size_t s = 0; s < r->nsel; s++) {
        int64_t i = (int64_t)s;
        if (o->columns) {
            if (!o->columns[s]) return cairn_error_set(err, CAIRN_EINVAL, "column name is NULL");
            if ((i = find_column(r, o->columns[s])) < 0) return not_found(err, o->columns[s]);
            for (size_t t = 0; t < s; t++)
                if (r->sel[t] == (uint32_t)i) {
                    cairn_error_field(err, o->columns[s]);
                    return cairn_error_set(err, CAIRN_EINVAL, "column '%s' is selected twice",
                                           o->columns[s]);
                }
        }
        r->sel[s] = (uint32_t)i;
        r->fields[s] = r->cols[i].field;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Row-group skipping from statistics
 * ---------------------------------------------------------------------------------------- */

/* Legacy min/max are in signed order; usable only where that is the column's order. */
static bool legacy_stats_ok(const pq_colinfo *c)
{
    switch (c->phys) {
    case PQ_BOOLEAN:
    case PQ_FLOAT:
    case PQ_DOUBLE: return true;
    case PQ_INT32:
    case PQ_INT64: return c->conv != CV_U32 && c->conv != CV_U64;
    default: return false;
    }
}

/* A statistics bound as a Cairn value of the column's type; false when unusable. */
static bool stat_value(const pq_colinfo *c, pq_bytes b, cairn_value *out)
{
    if (!b.ptr) return false;
    memset(out, 0, sizeof *out);
    out->type = c->field.type;
    switch (c->conv) {
    case CV_BOOL:
        if (b.len < 1) return false;
        out->v.b = b.ptr[0] & 1;
        return true;
    case CV_STRING:
        out->v.str.ptr = (const char *)b.ptr;
        out->v.str.len = b.len;
        return true;
    case CV_INT96: return false;
    case CV_DECBIN: out->v.f64 = decimal_bytes(b.ptr, b.len, c->dec_div); return true;
    default: break;
    }
    uint8_t tmp[8];
    if (b.len != c->phys_width || convert_fixed(c, b.ptr, 1, tmp, NULL) != 0) return false;
    if (c->out_width == 4) memcpy(&out->v.i32, tmp, 4);
    else memcpy(&out->v.i64, tmp, 8);
    if (out->type == CAIRN_TYPE_FLOAT32) return !isnan(out->v.f32);
    if (out->type == CAIRN_TYPE_FLOAT64) return !isnan(out->v.f64);
    return true;
}

enum { CLS_NONE, CLS_BOOL, CLS_INT, CLS_FLOAT, CLS_TIME, CLS_STRING };

static int type_class(cairn_type t)
{
    switch (t) {
    case CAIRN_TYPE_BOOL: return CLS_BOOL;
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_INT64: return CLS_INT;
    case CAIRN_TYPE_FLOAT32:
    case CAIRN_TYPE_FLOAT64: return CLS_FLOAT;
    case CAIRN_TYPE_TIMESTAMP:
    case CAIRN_TYPE_DATE32: return CLS_TIME;
    case CAIRN_TYPE_STRING: return CLS_STRING;
    default: return CLS_NONE;
    }
}

static bool comparable(cairn_type a, cairn_type b)
{
    int x = type_class(a), y = type_class(b);
    if (x == CLS_INT || x == CLS_FLOAT) return y == CLS_INT || y == CLS_FLOAT;
    return x != CLS_NONE && x == y;
}

static int64_t as_int(const cairn_value *v)
{
    switch (v->type) {
    case CAIRN_TYPE_INT32: return v->v.i32;
    case CAIRN_TYPE_DATE32: return v->v.i32 * CAIRN_US_PER_DAY;
    case CAIRN_TYPE_BOOL: return v->v.b;
    default: return v->v.i64;
    }
}

static double as_double(const cairn_value *v)
{
    if (v->type == CAIRN_TYPE_FLOAT32) return v->v.f32;
    if (v->type == CAIRN_TYPE_FLOAT64) return v->v.f64;
    return (double)as_int(v);
}

/* Compares a with b into *out (<0, 0, >0); false when no order applies (NaN). */
static bool value_cmp(const cairn_value *a, const cairn_value *b, int *out)
{
    int cls = type_class(a->type);
    if (cls == CLS_STRING) {
        *out = cairn__str_cmp(a->v.str.ptr, a->v.str.len, b->v.str.ptr, b->v.str.len);
        return true;
    }
    if (cls == CLS_FLOAT || type_class(b->type) == CLS_FLOAT) {
        double x = as_double(a), y = as_double(b);
        if (isnan(x) || isnan(y)) return false;
        *out = x < y ? -1 : x > y;
        return true;
    }
    int64_t x = as_int(a), y = as_int(b);
    *out = x < y ? -1 : x > y;
    return true;
}

/* True when the chunk's statistics prove no row satisfies the predicate. */
static bool predicate_skips(const pq_colinfo *c, const pq_column_meta *m, int64_t rows,
                            const cairn_predicate *p)
{
    if (p->value.is_null || !m->has_statistics) return false;
    const pq_statistics *s = &m->statistics;
    if (rows > 0 && s->null_count == rows) return true; /* only nulls: no comparison holds */
    cairn_value lo, hi;
    bool have = stat_value(c, s->min_value, &lo) && stat_value(c, s->max_value, &hi);
    if (!have && legacy_stats_ok(c))
        have = stat_value(c, s->min, &lo) && stat_value(c, s->max, &hi);
    int vlo, vhi;
    if (!have || !value_cmp(&p->value, &lo, &vlo) || !value_cmp(&p->value, &hi, &vhi))
        return false;
    switch (p->op) {
    case CAIRN_CMP_EQ: return vlo < 0 || vhi > 0;
    case CAIRN_CMP_LT: return vlo <= 0;
    case CAIRN_CMP_LE: return vlo < 0;
    case CAIRN_CMP_GT: return vhi >= 0;
    case CAIRN_CMP_GE: return vhi > 0;
    default: return false;
    }
}

static int plan_skips(cairn_parquet_reader *r, const cairn_parquet_options *o, cairn_error *err)
{
    r->skip = cairn_calloc(r->meta.nrow_groups ? r->meta.nrow_groups : 1, sizeof *r->skip);
    if (!r->skip) return fail_nomem(err);
    for (size_t k = 0; k < o->npredicates; k++) {
        const cairn_predicate *p = &o->predicates[k];
        int64_t i = p->column ? find_column(r, p->column) : -1;
        if (i < 0) return not_found(err, p->column ? p->column : "(null)");
        const pq_colinfo *c = &r->cols[i];
        if (p->op < CAIRN_CMP_EQ || p->op > CAIRN_CMP_GE)
            return cairn_error_set(err, CAIRN_EINVAL, "predicate on '%s' has operator %d",
                                   p->column, (int)p->op);
        if (!p->value.is_null && !comparable(c->field.type, p->value.type)) {
            cairn_error_field(err, p->column);
            return cairn_error_set(err, CAIRN_ETYPE, "predicate compares %s column '%s' with a %s"
                                   " value", cairn_type_name(c->field.type), p->column,
                                   cairn_type_name(p->value.type));
        }
        for (uint32_t g = 0; g < r->meta.nrow_groups; g++) {
            const pq_row_group *rg = &r->meta.row_groups[g];
            if (predicate_skips(c, &rg->columns[i].meta, rg->num_rows, p)) r->skip[g] = true;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Public API
 * ---------------------------------------------------------------------------------------- */

void cairn_parquet_options_init(cairn_parquet_options *opts)
{
    memset(opts, 0, sizeof *opts);
}

static void setup_pool(cairn_parquet_reader *r, int threads)
{
    if (threads == 1) return;
    if (threads > 1 && cairn_pool_create(threads, &r->pool) == 0) {
        r->own_pool = true;
        return;
    }
    r->pool = cairn_pool_default();
}

static int reader_open(cairn_parquet_reader *r, const char *path, const cairn_parquet_options *o,
                       cairn_error *err)
{
    r->path = cairn_strdup(path);
    if (!r->path) return fail_nomem(err);
    int rc = cairn_file_map(path, &r->map, err);
    if (rc == 0) rc = read_footer(r, err);
    if (rc == 0) rc = build_columns(r, err);
    if (rc == 0) rc = check_row_groups(r, err);
    if (rc == 0) rc = select_columns(r, o, err);
    if (rc == 0) rc = plan_skips(r, o, err);
    if (rc) return rc;
    r->decode_dictionaries = o->decode_dictionaries;
    r->progress = o->progress;
    r->progress_ud = o->progress_ud;
    setup_pool(r, o->threads);
    return 0;
}

int cairn_parquet_reader_open(const char *path, const cairn_parquet_options *opts,
                              cairn_parquet_reader **out, cairn_error *err)
{
    cairn_error_clear(err);
    cairn_parquet_options defaults;
    if (!opts) {
        cairn_parquet_options_init(&defaults);
        opts = &defaults;
    }
    if (!path || !out) return cairn_error_set(err, CAIRN_EINVAL, "no path or no output");
    cairn_parquet_reader *r = cairn_calloc(1, sizeof *r);
    if (!r) return fail_nomem(err);
    int rc = reader_open(r, path, opts, err);
    if (rc) {
        cairn_error_at(err, path, 0, 0);
        cairn_parquet_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

void cairn_parquet_reader_close(cairn_parquet_reader *reader)
{
    if (!reader) return;
    if (reader->own_pool) cairn_pool_free(reader->pool);
    cairn__pq_file_meta_release(&reader->meta);
    if (reader->map.data || reader->map.priv_) cairn_file_unmap(&reader->map);
    cairn_free(reader->cols);
    cairn_free(reader->sel);
    cairn_free(reader->fields);
    cairn_free(reader->skip);
    cairn_free(reader->path);
    cairn_free(reader);
}

int64_t cairn_parquet_reader_num_rows(const cairn_parquet_reader *reader)
{
    return reader->meta.num_rows;
}

size_t cairn_parquet_reader_num_row_groups(const cairn_parquet_reader *reader)
{
    return reader->meta.nrow_groups;
}

size_t cairn_parquet_reader_fields(const cairn_parquet_reader *reader, const cairn_field **out)
{
    *out = reader->fields;
    return reader->nsel;
}

const char *cairn_parquet_reader_metadata(const cairn_parquet_reader *reader, const char *key)
{
    for (uint32_t i = 0; key && i < reader->meta.nkey_value; i++)
        if (strcmp(reader->meta.key_value[i].key, key) == 0) return reader->meta.key_value[i].value;
    return NULL;
}

bool cairn_parquet_reader_skips(const cairn_parquet_reader *reader, size_t row_group)
{
    return row_group < reader->meta.nrow_groups && reader->skip[row_group];
}

int cairn_parquet_reader_read_row_group(cairn_parquet_reader *reader, size_t row_group,
                                        cairn_table **out, cairn_error *err)
{
    cairn_error_clear(err);
    if (row_group >= reader->meta.nrow_groups)
        return cairn_error_set(err, CAIRN_ERANGE, "row group %zu of %u", row_group,
                               reader->meta.nrow_groups);
    uint32_t g = (uint32_t)row_group;
    int rc = read_groups(reader, &g, 1, out, err);
    if (rc) cairn_error_at(err, reader->path, 0, 0);
    return rc;
}

int cairn_parquet_read_file(const char *path, const cairn_parquet_options *opts,
                            cairn_table **out, cairn_error *err)
{
    cairn_parquet_reader *r = NULL;
    int rc = cairn_parquet_reader_open(path, opts, &r, err);
    if (rc) return rc;
    uint32_t *rgs = cairn_malloc((r->meta.nrow_groups ? r->meta.nrow_groups : 1) * sizeof *rgs);
    size_t n = 0;
    if (!rgs) rc = fail_nomem(err);
    for (uint32_t g = 0; rc == 0 && g < r->meta.nrow_groups; g++)
        if (!r->skip[g]) rgs[n++] = g;
    if (rc == 0) rc = read_groups(r, rgs, n, out, err);
    if (rc) cairn_error_at(err, path, 0, 0);
    cairn_free(rgs);
    cairn_parquet_reader_close(r);
    return rc;
}
