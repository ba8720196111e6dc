/* src/table/parquet_write.h: what the three files of the Parquet writer share.
 *
 * parquet_write_enc.c: the Thrift compact-protocol encoder (footer and page headers) and the
 * RLE/bit-packed hybrid encoder (definition levels, dictionary indices).
 * parquet_write_chunk.c: one column chunk (a column's rows of one row group) encoded into
 * pages, with its statistics and the metadata the footer needs.
 * parquet_write.c: the writer: the temporary file, row groups encoded in parallel, the
 * footer, the rename into place.
 * Tests: tests/unit/table/test_parquet_write.c; oracles: tests/oracles/test_parquet_write.sh.
 */
#ifndef CAIRN_PARQUET_WRITE_H
#define CAIRN_PARQUET_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "parquet_internal.h"

/* ------------------------------------------------------------------------------------------
 * Thrift compact protocol (encoder only)
 *
 * Errors are sticky: the first failed append is kept in `rc` and every later call does
 * nothing, so a whole structure is written and checked once.
 * ---------------------------------------------------------------------------------------- */

enum {
    PQW_T_TRUE = 1,
    PQW_T_FALSE = 2,
    PQW_T_I8 = 3,
    PQW_T_I16 = 4,
    PQW_T_I32 = 5,
    PQW_T_I64 = 6,
    PQW_T_DOUBLE = 7,
    PQW_T_BINARY = 8,
    PQW_T_LIST = 9,
    PQW_T_STRUCT = 12,
};

#define PQW_THRIFT_DEPTH 16

typedef struct pqw_thrift {
    cairn_buf *buf;
    int16_t last_id[PQW_THRIFT_DEPTH]; /* last field id written, per open struct */
    int depth;                         /* open structs; 0 = the outermost */
    int rc;
} pqw_thrift;

void cairn__pqw_thrift_init(pqw_thrift *t, cairn_buf *buf);
void cairn__pqw_i8(pqw_thrift *t, int16_t id, int8_t v);
void cairn__pqw_i32(pqw_thrift *t, int16_t id, int32_t v);
void cairn__pqw_i64(pqw_thrift *t, int16_t id, int64_t v);
void cairn__pqw_bool(pqw_thrift *t, int16_t id, bool v);
void cairn__pqw_binary(pqw_thrift *t, int16_t id, const void *data, size_t len);
void cairn__pqw_string(pqw_thrift *t, int16_t id, const char *s);
/* A struct field: begin writes its header and opens it; end writes the stop byte. */
void cairn__pqw_struct_begin(pqw_thrift *t, int16_t id);
void cairn__pqw_struct_end(pqw_thrift *t);
/* A list field of `size` elements of type elem; then write the elements with the list_*
 * calls (struct elements: list_struct_begin, fields, struct_end). */
void cairn__pqw_list_begin(pqw_thrift *t, int16_t id, int elem, size_t size);
void cairn__pqw_list_i32(pqw_thrift *t, int32_t v);
void cairn__pqw_list_binary(pqw_thrift *t, const void *data, size_t len);
void cairn__pqw_list_struct_begin(pqw_thrift *t);
/* An empty struct as a field (the logical type annotations are unions of empty structs). */
void cairn__pqw_empty_struct(pqw_thrift *t, int16_t id);

/* ------------------------------------------------------------------------------------------
 * RLE / bit-packed hybrid (Encodings.md), appended to a buffer without a length prefix
 * ---------------------------------------------------------------------------------------- */

/* Definition levels (bit width 1) of rows [start, start + count): bit i of `validity` set
 * means level 1. validity NULL means every row is 1. */
int cairn__pqw_levels(cairn_buf *out, const uint8_t *validity, int64_t start, int64_t count);
/* Values in [0, 2^bit_width), bit_width 1..32. */
int cairn__pqw_rle(cairn_buf *out, const uint32_t *values, int64_t count, int bit_width);
/* Bits needed for values below n (at least 1). */
int cairn__pqw_bit_width(uint64_t n);

/* ------------------------------------------------------------------------------------------
 * Column chunks
 * ---------------------------------------------------------------------------------------- */

/* What the footer needs of one encoded column chunk. Offsets are relative to the chunk's
 * first byte until the writer places the chunk in the file. */
typedef struct pqw_chunk_meta {
    int64_t num_values;        /* rows, nulls included */
    int64_t uncompressed_size; /* page headers included */
    int64_t compressed_size;
    int64_t dict_offset; /* -1 without a dictionary page */
    int64_t data_offset;
    int32_t data_pages;
    int data_encoding; /* PQ_ENC_PLAIN or PQ_ENC_RLE_DICTIONARY */
    int64_t null_count;
    bool has_minmax;
    bool min_exact, max_exact;
    bool has_nan_count;
    int64_t nan_count;
    char *min, *max; /* PLAIN bytes of the bounds (no length prefix); owned */
    size_t min_len, max_len;
} pqw_chunk_meta;

void cairn__pqw_chunk_meta_release(pqw_chunk_meta *meta);

/* One column chunk to encode: rows [start, start + count) of `column`. */
typedef struct pqw_chunk_job {
    const cairn_column *column;
    int64_t start, count;
    bool optional; /* the Parquet field is OPTIONAL (definition levels are written) */
    int codec;
    cairn_buf out; /* the pages, headers included */
    pqw_chunk_meta meta;
    int rc;
    cairn_error err;
} pqw_chunk_job;

/* Encodes job->column's rows into job->out and job->meta; sets job->rc and job->err. On
 * failure, out and meta are released. Safe to run on pool threads, one job per thread. */
void cairn__pqw_chunk_encode(pqw_chunk_job *job);

/* The Parquet physical type of a Cairn type. */
int cairn__pqw_physical_type(cairn_type type);

#endif /* CAIRN_PARQUET_WRITE_H */
