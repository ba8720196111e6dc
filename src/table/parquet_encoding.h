/* src/table/parquet_encoding.h: decoders for Parquet's value and level encodings
 * (Encodings.md in apache/parquet-format), used by the reader (parquet_read.c).
 *
 * Every decoder works on one decoded (decompressed) page section, never reads outside
 * [data, data + len), and fails with CAIRN_ECORRUPT and a message saying what ran short;
 * the caller adds the page's location. Values are produced densely (nulls are placed later
 * by the reader from the definition levels). Strings are appended to a pq_strbuf.
 * Implementation: parquet_encoding.c. Tests: tests/unit/table/test_parquet_encoding.c.
 */
#ifndef CAIRN_PARQUET_ENCODING_H
#define CAIRN_PARQUET_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/core.h"

/* Strings being built: offsets[0..count] are valid (offsets[0] is where the first string
 * starts); the owner allocates offsets with room for every string it will append. data
 * grows with cairn_realloc; data_cap counts its bytes. */
typedef struct pq_strbuf {
    int64_t *offsets;
    int64_t count;
    char *data;
    size_t data_cap;
} pq_strbuf;

/* Makes room for `extra` more bytes of string data (CAIRN_ENOMEM on failure). */
int cairn__pq_strbuf_reserve(pq_strbuf *b, size_t extra);
static inline size_t cairn__pq_strbuf_bytes(const pq_strbuf *b)
{
    return (size_t)b->offsets[b->count];
}

/* RLE/bit-packed hybrid (no length prefix), read in pieces: init, then read exactly n
 * values at a time (CAIRN_ECORRUPT when the data ends first). */
typedef struct pq_rle_reader {
    const uint8_t *p, *end;
    int width;
    bool packed;      /* the current run */
    uint64_t left;    /* values left in it */
    uint32_t value;   /* RLE run: the value */
    const uint8_t *bits; /* bit-packed run: its bytes */
    size_t bytes;
    uint64_t pos;     /* bit-packed run: the next value's index */
    int64_t done;     /* values read so far (for messages) */
} pq_rle_reader;
int cairn__pq_rle_init(pq_rle_reader *r, const uint8_t *data, size_t len, int bit_width,
                       cairn_error *err);
int cairn__pq_rle_read(pq_rle_reader *r, uint32_t *out, int64_t n, cairn_error *err);
/* All at once: exactly n values of bit_width (0..32) bits. */
int cairn__pq_rle_decode(const uint8_t *data, size_t len, int bit_width, uint32_t *out,
                         int64_t n, cairn_error *err);
/* Definition levels of bit width 1 (max level 1) in the RLE hybrid: writes bits
 * [bit0, bit0 + n) of bitmap (1 = a value, 0 = null); bits after bit0 + n in the last
 * byte touched may be overwritten. */
int cairn__pq_rle_bitmap(const uint8_t *data, size_t len, int64_t n, uint8_t *bitmap,
                         int64_t bit0, cairn_error *err);
/* The deprecated BIT_PACKED level encoding (most significant bit first), width 1. */
int cairn__pq_bitpacked_bitmap(const uint8_t *data, size_t len, int64_t n, uint8_t *bitmap,
                               int64_t bit0, cairn_error *err);
/* Sets bits [bit0, bit0 + n) to v. */
void cairn__pq_fill_bits(uint8_t *bitmap, int64_t bit0, int64_t n, bool v);
/* Set bits in [bit0, bit0 + n). */
int64_t cairn__pq_count_bits(const uint8_t *bitmap, int64_t bit0, int64_t n);
/* Copies n bits from src (starting at bit 0) into dst at bit dst_bit, writing every bit of
 * the range; bits after the range in the last byte may be overwritten. */
void cairn__pq_copy_bits(uint8_t *dst, int64_t dst_bit, const uint8_t *src, int64_t n);

/* DELTA_BINARY_PACKED: the first n values (n <= the header's total) as 64-bit two's
 * complement (truncate for INT32). *total gets the header's value count and *consumed the
 * bytes up to the end of the last miniblock read (the encoding's end when n == *total). */
int cairn__pq_delta_decode(const uint8_t *data, size_t len, uint64_t *out, int64_t n,
                           int64_t *total, size_t *consumed, cairn_error *err);
/* DELTA_BINARY_PACKED header only: the value count, without decoding. */
int cairn__pq_delta_count(const uint8_t *data, size_t len, int64_t *total, cairn_error *err);

/* PLAIN byte arrays (4-byte little-endian length, bytes): n strings; *consumed bytes. */
int cairn__pq_plain_strings(const uint8_t *data, size_t len, int64_t n, pq_strbuf *out,
                            size_t *consumed, cairn_error *err);
/* PLAIN fixed-length byte arrays of `width` bytes as strings. */
int cairn__pq_fixed_strings(const uint8_t *data, size_t len, size_t width, int64_t n,
                            pq_strbuf *out, cairn_error *err);
/* DELTA_LENGTH_BYTE_ARRAY: n strings. */
int cairn__pq_delta_length_strings(const uint8_t *data, size_t len, int64_t n, pq_strbuf *out,
                                   cairn_error *err);
/* DELTA_BYTE_ARRAY (front coding): n strings. */
int cairn__pq_delta_strings(const uint8_t *data, size_t len, int64_t n, pq_strbuf *out,
                            cairn_error *err);
/* BYTE_STREAM_SPLIT of n values of `width` bytes into out (n * width bytes). */
int cairn__pq_byte_stream_split(const uint8_t *data, size_t len, size_t width, int64_t n,
                                uint8_t *out, cairn_error *err);
/* PLAIN booleans (bit-packed, least significant bit first) into one byte (0/1) per value. */
int cairn__pq_plain_bools(const uint8_t *data, size_t len, int64_t n, uint8_t *out,
                          cairn_error *err);

#endif /* CAIRN_PARQUET_ENCODING_H */
