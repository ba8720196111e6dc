/* src/table/parquet_internal.h: what the Parquet reader, writer and codecs share: the
 * format's enumerations (values from parquet.thrift) and the codec entry points.
 * Reader: parquet_read.c, parquet_thrift.c, parquet_encoding.c; codecs: parquet_codec.c;
 * writer: parquet_write.c. Tests: tests/unit/table/test_parquet_*.c.
 */
#ifndef CAIRN_PARQUET_INTERNAL_H
#define CAIRN_PARQUET_INTERNAL_H

#include <stdint.h>

#include "cairn/parquet.h"

/* parquet.thrift: Type */
enum {
    PQ_BOOLEAN = 0,
    PQ_INT32 = 1,
    PQ_INT64 = 2,
    PQ_INT96 = 3,
    PQ_FLOAT = 4,
    PQ_DOUBLE = 5,
    PQ_BYTE_ARRAY = 6,
    PQ_FIXED_LEN_BYTE_ARRAY = 7,
};

/* parquet.thrift: ConvertedType */
enum {
    PQ_CT_UTF8 = 0,
    PQ_CT_MAP = 1,
    PQ_CT_MAP_KEY_VALUE = 2,
    PQ_CT_LIST = 3,
    PQ_CT_ENUM = 4,
    PQ_CT_DECIMAL = 5,
    PQ_CT_DATE = 6,
    PQ_CT_TIME_MILLIS = 7,
    PQ_CT_TIME_MICROS = 8,
    PQ_CT_TIMESTAMP_MILLIS = 9,
    PQ_CT_TIMESTAMP_MICROS = 10,
    PQ_CT_UINT_8 = 11,
    PQ_CT_UINT_16 = 12,
    PQ_CT_UINT_32 = 13,
    PQ_CT_UINT_64 = 14,
    PQ_CT_INT_8 = 15,
    PQ_CT_INT_16 = 16,
    PQ_CT_INT_32 = 17,
    PQ_CT_INT_64 = 18,
    PQ_CT_JSON = 19,
    PQ_CT_BSON = 20,
    PQ_CT_INTERVAL = 21,
};

/* parquet.thrift: FieldRepetitionType */
enum { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 };

/* parquet.thrift: Encoding */
enum {
    PQ_ENC_PLAIN = 0,
    PQ_ENC_PLAIN_DICTIONARY = 2,
    PQ_ENC_RLE = 3,
    PQ_ENC_BIT_PACKED = 4,
    PQ_ENC_DELTA_BINARY_PACKED = 5,
    PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    PQ_ENC_DELTA_BYTE_ARRAY = 7,
    PQ_ENC_RLE_DICTIONARY = 8,
    PQ_ENC_BYTE_STREAM_SPLIT = 9,
};

/* parquet.thrift: CompressionCodec */
enum {
    PQ_CODEC_UNCOMPRESSED = 0,
    PQ_CODEC_SNAPPY = 1,
    PQ_CODEC_GZIP = 2,
    PQ_CODEC_LZO = 3,
    PQ_CODEC_BROTLI = 4,
    PQ_CODEC_LZ4 = 5,
    PQ_CODEC_ZSTD = 6,
    PQ_CODEC_LZ4_RAW = 7,
};

/* parquet.thrift: PageType */
enum {
    PQ_PAGE_DATA = 0,
    PQ_PAGE_INDEX = 1,
    PQ_PAGE_DICTIONARY = 2,
    PQ_PAGE_DATA_V2 = 3,
};

/* Codecs (parquet_codec.c). decompress fills exactly dst_len bytes or fails with
 * CAIRN_ECORRUPT ("<codec> data does not decompress to N bytes"); compress appends to out.
 * level 0 = the codec's default. Unsupported codecs fail with CAIRN_EUNSUPPORTED. */
int cairn__parquet_decompress(int codec, const uint8_t *src, size_t src_len, uint8_t *dst,
                              size_t dst_len, cairn_error *err);
int cairn__parquet_compress(int codec, const uint8_t *src, size_t src_len, int level,
                            cairn_buf *out, cairn_error *err);
const char *cairn__parquet_codec_name(int codec);
/* "zstd", "snappy", "gzip", "lz4_raw", "none"/"uncompressed" (case-insensitive) -> codec. */
int cairn__parquet_codec_parse(const char *name, int *codec);

#endif
