/* src/table/convert.h: private to the text formats (CSV, JSON Lines).
 *
 * Two things live behind this header, both in convert.c:
 * 1. Text -> typed value conversion and type inference (cairn__text_*), shared by the CSV
 *    reader and the JSON Lines reader (which uses it for ISO-8601 strings).
 * 2. The chunked reading driver (cairn__tr_*): a reader splits its input into chunks at row
 *    boundaries, a format-specific parser turns each chunk into per-chunk columns plus a list
 *    of compact bad-row records, and the driver runs the chunks on the thread pool, widens
 *    inferred types and re-parses when a chunk asks for it, reports bad rows to the caller in
 *    file order, and concatenates the chunk columns into one table.
 * And a small streaming sink (cairn__sink) that writes a file atomically (temporary file,
 * fsync, rename) for the writers.
 */
#ifndef CAIRN_TABLE_CONVERT_H
#define CAIRN_TABLE_CONVERT_H

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "cairn/table.h"

/* ------------------------------------------------------------------------------------------
 * Conversion and inference
 * ---------------------------------------------------------------------------------------- */

/* Parsers of one token; the whole token must be consumed. Return 0, CAIRN_EPARSE (not of
 * that form) or CAIRN_ERANGE (of that form, but out of range). */
int cairn__parse_bool(const char *s, size_t len, bool *out);
int cairn__parse_int64(const char *s, size_t len, int64_t *out);
int cairn__parse_int32(const char *s, size_t len, int32_t *out);
int cairn__parse_float64(const char *s, size_t len, double *out);
int cairn__parse_float32(const char *s, size_t len, float *out);
int cairn__parse_date(const char *s, size_t len, int32_t *out_days);
int cairn__parse_timestamp(const char *s, size_t len, int64_t *out_us);
/* True when s[0..len) is valid UTF-8; *bad_at gets the offset of the first bad byte. */
bool cairn__utf8_valid(const char *s, size_t len, size_t *bad_at);

/* Converts text to a value of `type`. STRING values borrow s after a UTF-8 check (a bad
 * sequence is CAIRN_EPARSE). */
int cairn__text_convert(const char *s, size_t len, cairn_type type, cairn_value *out);
/* The narrowest inferable type that holds the text: BOOL, INT64, FLOAT64, DATE32,
 * TIMESTAMP or STRING. */
cairn_type cairn__text_infer(const char *s, size_t len);
/* The narrowest type that holds values of both a and b (0 = no value seen yet), along the
 * widening order bool -> string; int64 -> float64 -> string; date -> timestamp -> string. */
cairn_type cairn__type_join(cairn_type a, cairn_type b);

/* ------------------------------------------------------------------------------------------
 * Fast text of values for the writers (the same text as cairn_value_format)
 * ---------------------------------------------------------------------------------------- */

/* The last day formatted, so that rows of one day share the work. */
typedef struct cairn__day_cache {
    int64_t day;
    bool valid;
    char ymd[10]; /* YYYY-MM-DD */
} cairn__day_cache;

#define CAIRN__FMT_LEN 48 /* enough for any of the values below */
size_t cairn__fmt_int64(int64_t v, char *out);
/* "2001-01-01T00:01:00Z", ".ffffff" before the Z only with microseconds, as cairn_time_format */
size_t cairn__fmt_timestamp(cairn__day_cache *cache, int64_t us, char *out);
size_t cairn__fmt_date(cairn__day_cache *cache, int32_t days, char *out);
/* The canonical text of row `row` of col (not null) into out; cairn_value_format's text. */
int cairn__fmt_cell(cairn__day_cache *cache, const cairn_column *col, int64_t row,
                    cairn_buf *out);

/* ------------------------------------------------------------------------------------------
 * The chunked reading driver
 * ---------------------------------------------------------------------------------------- */

/* A chunk's column under construction: plain buffers with inline appends, turned into a
 * cairn_column when the chunks are concatenated. BOOL values are one byte each here; nulls
 * are one byte per row (1 = null), allocated at the first null. */
typedef struct cairn__cb {
    cairn_type type;
    size_t width;      /* bytes per value in `values` */
    int64_t length, null_count;
    int64_t cap;       /* rows allocated in values / offsets / nulls */
    void *values;      /* fixed-width types */
    int64_t *offsets;  /* STRING: cap + 1 offsets into data, offsets[0] == 0 */
    char *data;
    size_t data_len, data_cap;
    uint8_t *nulls;
    bool external;     /* values / offsets live in the final column's buffer: never grown */
} cairn__cb;

int cairn__cb_init(cairn__cb *b, cairn_type type, int64_t rows);
/* Over `storage` owned by someone else: cap values (STRING: cap + 1 offsets). Outgrowing it
 * fails with CAIRN_EINTERNAL (callers size it by a proven bound). */
int cairn__cb_init_external(cairn__cb *b, cairn_type type, void *storage, int64_t cap);
void cairn__cb_release(cairn__cb *b);
int cairn__cb_grow(cairn__cb *b);                   /* room for at least one more row */
int cairn__cb_grow_data(cairn__cb *b, size_t more); /* room for `more` more bytes */
int cairn__cb_null(cairn__cb *b);
int cairn__cb_value(cairn__cb *b, const cairn_value *v); /* v->type must match */
/* Removes the last row (undoes one append; a row that turns out bad is popped). */
void cairn__cb_pop(cairn__cb *b);

#define CAIRN__CB_ROW(b)                                                                       \
    do {                                                                                       \
        int rc_;                                                                               \
        if ((b)->length == (b)->cap && (rc_ = cairn__cb_grow(b)) != 0) return rc_;             \
    } while (0)
#define CAIRN__CB_DONE(b)                                                                      \
    do {                                                                                       \
        if ((b)->nulls) (b)->nulls[(b)->length] = 0;                                           \
        (b)->length++;                                                                         \
        return 0;                                                                              \
    } while (0)

static inline int cairn__cb_i64(cairn__cb *b, int64_t v)
{
    CAIRN__CB_ROW(b);
    ((int64_t *)b->values)[b->length] = v;
    CAIRN__CB_DONE(b);
}
static inline int cairn__cb_i32(cairn__cb *b, int32_t v)
{
    CAIRN__CB_ROW(b);
    ((int32_t *)b->values)[b->length] = v;
    CAIRN__CB_DONE(b);
}
static inline int cairn__cb_f64(cairn__cb *b, double v)
{
    CAIRN__CB_ROW(b);
    ((double *)b->values)[b->length] = v;
    CAIRN__CB_DONE(b);
}
static inline int cairn__cb_f32(cairn__cb *b, float v)
{
    CAIRN__CB_ROW(b);
    ((float *)b->values)[b->length] = v;
    CAIRN__CB_DONE(b);
}
static inline int cairn__cb_bool(cairn__cb *b, bool v)
{
    CAIRN__CB_ROW(b);
    ((uint8_t *)b->values)[b->length] = v;
    CAIRN__CB_DONE(b);
}
static inline int cairn__cb_str(cairn__cb *b, const char *s, size_t len)
{
    CAIRN__CB_ROW(b);
    if (len > b->data_cap - b->data_len && cairn__cb_grow_data(b, len) != 0)
        return CAIRN_ENOMEM;
    char *d = b->data + b->data_len;
    if (len <= 16) {
        for (size_t i = 0; i < len; i++) d[i] = s[i];
    } else {
        memcpy(d, s, len);
    }
    b->data_len += len;
    b->offsets[b->length + 1] = (int64_t)b->data_len;
    CAIRN__CB_DONE(b);
}

/* A bad row, compact until it is reported (a reader may find millions). */
typedef struct cairn__bad_row {
    int64_t line;     /* physical line (1-based) where the row starts */
    int64_t column;   /* CSV: 1-based field number; JSON: 1-based character; 0 = none */
    int64_t row;      /* chunk-local data-row index; made global when reported */
    size_t raw_off;   /* the row's text in the input */
    size_t raw_len;
    size_t tok_off;   /* the offending token, for err->found */
    size_t tok_len;
    int code;         /* CAIRN_EPARSE, CAIRN_ETYPE, CAIRN_ERANGE ... */
    int kind;         /* format-specific reason */
    int64_t a, b;     /* format-specific numbers, e.g. expected and found field counts */
    int64_t field;    /* index of the output column or file field involved, -1 = none */
    const char *what; /* static reason text, when the kind alone does not say */
} cairn__bad_row;

/* One chunk of input and what its parse produced. */
typedef struct cairn__chunk {
    const char *begin, *end; /* the chunk's bytes: begin is at a row start */
    int64_t first_line;      /* physical line number of begin */
    size_t ncols;
    cairn__cb *cols;         /* per-chunk columns (the driver creates them) */
    int64_t rows_ok;         /* rows appended to cols */
    int64_t rows_seen;       /* data rows met, bad ones included */
    cairn__bad_row *bad;
    size_t nbad, bad_cap;
    cairn_type *widen;       /* ncols: joined type of values that did not fit, 0 = none */
    bool needs_reparse;      /* inferred schema must change (widen, or new JSON keys) */
    bool resync;             /* the rest of the input must be parsed from begin in one go */
    int rc;                  /* CAIRN_ENOMEM, CAIRN_ECANCELED: the chunk failed */
    void *fmt_state;         /* format-specific per-chunk results (new JSON keys) */
    size_t ticked_;          /* bytes already counted towards progress */
} cairn__chunk;

/* The schema being read: output columns in order. */
typedef struct cairn__schema {
    size_t ncols, cap;
    char **names;      /* owned */
    cairn_type *types;
    bool *nullable;
    bool inferred;     /* types were inferred: values that do not fit widen, never fail */
} cairn__schema;

typedef struct cairn__text_reader cairn__text_reader;

/* What a format plugs into the driver. */
typedef struct cairn__tr_ops {
    /* Parses ch->begin..ch->end into ch->cols; never fails except through ch->rc. */
    void (*parse_chunk)(cairn__text_reader *tr, cairn__chunk *ch);
    /* Fills err (location, field, expected, found, message) for a bad row. */
    void (*describe)(cairn__text_reader *tr, const cairn__bad_row *bad, cairn_error *err);
    /* Optional: updates tr->schema after a pass where a chunk set needs_reparse (the driver
     * has already joined ch->widen into inferred types). */
    int (*reshape)(cairn__text_reader *tr, cairn__chunk *chunks, size_t nchunks);
    /* Optional: frees ch->fmt_state. */
    void (*chunk_release)(cairn__text_reader *tr, cairn__chunk *ch);
} cairn__tr_ops;

struct cairn__text_reader {
    const cairn__tr_ops *ops;
    void *fmt;                    /* the format's reader state */
    const char *data;             /* the whole input */
    size_t len;
    const char *name;             /* labels errors */
    const cairn_read_options *opts;
    cairn__schema schema;
    bool collect;                 /* on_bad_row is set: parse on past bad rows */
    int64_t max_rows;             /* 0 = all; a limit makes the read sequential */
    int64_t est_row_bytes;        /* for reserving: average row length seen so far */
    /* The physical line number at the end of the input, when the reader counted every LF
     * while splitting (0 = not counted). Each row takes at least one LF, except a last row
     * without one, so chunk first_line values bound every chunk's rows: the driver then
     * lets chunks write fixed-width values and string offsets straight into the final
     * columns' buffers. */
    int64_t end_line;
    void **final_;                /* driver: per column, the final buffer of this pass */
    size_t nfinal_;
    /* progress */
    atomic_llong bytes_done;
    atomic_bool cancel;
    pthread_t caller_;            /* progress is reported from this thread only */
};

/* Schema helpers. cairn__schema_add copies the name. */
void cairn__schema_init(cairn__schema *s);
void cairn__schema_release(cairn__schema *s);
int cairn__schema_add(cairn__schema *s, const char *name, size_t name_len, cairn_type type,
                      bool nullable);
int64_t cairn__schema_find(const cairn__schema *s, const char *name, size_t name_len);

/* Appends a bad-row record; on CAIRN_ENOMEM sets ch->rc. Returns false when the chunk
 * should stop (first bad row without a callback, or no memory). */
bool cairn__chunk_bad(cairn__text_reader *tr, cairn__chunk *ch, const cairn__bad_row *bad);
/* Called by parsers every few thousand rows: reports progress (from the caller's thread)
 * and returns false when the read was cancelled. */
bool cairn__chunk_tick(cairn__text_reader *tr, cairn__chunk *ch, const char *pos);

/* Runs the chunks (owned by the caller, boundaries set) and builds the table. nthreads is
 * opts->threads resolved: 1 runs inline. */
int cairn__tr_run(cairn__text_reader *tr, cairn__chunk *chunks, size_t nchunks, int nthreads,
                  cairn_table **out, cairn_error *err);
/* Frees a chunk's outputs (columns, bad rows, widen, format state), keeping its bounds. */
void cairn__chunk_reset(cairn__text_reader *tr, cairn__chunk *ch);
/* Runs fn(arg, i) for i < count on the pool chosen for nthreads (inline when 1). */
void cairn__tr_parallel(int nthreads, size_t count, cairn_task_fn fn, void *arg);
/* Chunk size for parallel reading of len bytes on nthreads; 0 = read sequentially. */
size_t cairn__tr_chunk_bytes(size_t len, int nthreads);
int cairn__tr_threads(const cairn_read_options *opts);
/* Sets up tr for one read of data[0..len) (NULL data reads as empty) by a format: zeroes it,
 * records ops, fmt, the input, its name (default_name when NULL) and the options, and
 * initialises the schema. */
void cairn__tr_init(cairn__text_reader *tr, const cairn__tr_ops *ops, void *fmt, const char *data,
                    size_t len, const char *name, const char *default_name,
                    const cairn_read_options *opts);
/* Tests may lower the smallest input that is split into chunks (default 4 MiB). */
extern size_t cairn__tr_min_chunk_bytes;

/* ------------------------------------------------------------------------------------------
 * Atomic file sink for the writers
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn__sink {
    cairn_buf buf;      /* pending bytes; flushed past 1 MiB */
    int fd;             /* temporary file, -1 before the first flush */
    char *path;         /* final path (owned) */
    char *tmp_path;     /* temporary path (owned) */
    bool created;       /* the temporary file exists and is ours to remove */
} cairn__sink;

int cairn__sink_open(cairn__sink *sink, const char *path, cairn_error *err);
/* Flushes when the buffer is large; call after appending to sink->buf. */
int cairn__sink_maybe_flush(cairn__sink *sink, cairn_error *err);
/* Writes the rest, fsyncs, renames over path, fsyncs the directory. */
int cairn__sink_commit(cairn__sink *sink, cairn_error *err);
/* Removes the temporary file; safe after commit or failure. */
void cairn__sink_abort(cairn__sink *sink);

#endif /* CAIRN_TABLE_CONVERT_H */
