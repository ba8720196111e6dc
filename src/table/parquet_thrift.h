/* src/table/parquet_thrift.h: Parquet's metadata structures (parquet.thrift) as plain C
 * structs, and their decoders from the Thrift compact protocol.
 *
 * Only the fields the reader uses are kept; every other field of any type is skipped.
 * Strings (names, keys, paths) are NUL-terminated copies in the metadata's arena; binary
 * statistics borrow the input bytes, so the input (the mapped file) must outlive them.
 * Numbers that are absent stay at the defaults documented on each struct.
 * Errors are CAIRN_ECORRUPT with err->offset set to the absolute byte offset in the file
 * and a message naming the structure path being read, e.g.
 *   "reading FileMetaData.row_groups[3].columns[1].meta_data at byte 12345: list length
 *    4294967295 exceeds remaining 200 bytes".
 * Implementation: parquet_thrift.c. Tests: tests/unit/table/test_parquet_thrift.c.
 */
#ifndef CAIRN_PARQUET_THRIFT_H
#define CAIRN_PARQUET_THRIFT_H

#include <stdbool.h>
#include <stdint.h>

#include "cairn/core.h"

/* A borrowed byte string from the input; ptr NULL when the field was absent. */
typedef struct pq_bytes {
    const uint8_t *ptr;
    uint32_t len;
} pq_bytes;

typedef struct pq_statistics {
    pq_bytes max, min;             /* deprecated: signed order only */
    pq_bytes max_value, min_value; /* order given by the column's logical type */
    int64_t null_count;            /* -1 when absent */
} pq_statistics;

/* LogicalType union members (field ids in parquet.thrift). */
enum {
    PQ_LT_NONE = 0,
    PQ_LT_STRING = 1,
    PQ_LT_MAP = 2,
    PQ_LT_LIST = 3,
    PQ_LT_ENUM = 4,
    PQ_LT_DECIMAL = 5,
    PQ_LT_DATE = 6,
    PQ_LT_TIME = 7,
    PQ_LT_TIMESTAMP = 8,
    PQ_LT_INTEGER = 10,
    PQ_LT_UNKNOWN = 11,
    PQ_LT_JSON = 12,
    PQ_LT_BSON = 13,
    PQ_LT_UUID = 14,
    PQ_LT_FLOAT16 = 15,
    PQ_LT_OTHER = 99, /* a member this reader does not know */
};

/* TimeUnit union members. */
enum { PQ_UNIT_NONE = 0, PQ_UNIT_MILLIS = 1, PQ_UNIT_MICROS = 2, PQ_UNIT_NANOS = 3 };

typedef struct pq_logical_type {
    int kind;             /* PQ_LT_* */
    int32_t scale;        /* DECIMAL */
    int32_t precision;    /* DECIMAL */
    bool adjusted_to_utc; /* TIME, TIMESTAMP */
    int unit;             /* TIME, TIMESTAMP: PQ_UNIT_* */
    int bit_width;        /* INTEGER */
    bool is_signed;       /* INTEGER */
} pq_logical_type;

typedef struct pq_schema_element {
    char *name;             /* "" when absent (required by the format; checked by the reader) */
    int32_t type;           /* PQ_BOOLEAN.., -1 when absent (a group) */
    int32_t type_length;    /* -1 when absent */
    int32_t repetition;     /* PQ_REQUIRED.., -1 when absent */
    int32_t num_children;   /* -1 when absent */
    int32_t converted_type; /* PQ_CT_*, -1 when absent */
    int32_t scale, precision; /* -1 when absent */
    pq_logical_type logical;
} pq_schema_element;

typedef struct pq_key_value {
    char *key;
    char *value; /* NULL when absent */
} pq_key_value;

typedef struct pq_page_encoding_stats {
    int32_t page_type, encoding, count;
} pq_page_encoding_stats;

typedef struct pq_column_meta {
    int32_t type; /* -1 when absent */
    int32_t *encodings;
    uint32_t nencodings;
    char **path;
    uint32_t npath;
    int32_t codec; /* -1 when absent */
    int64_t num_values, total_uncompressed_size, total_compressed_size; /* -1 when absent */
    int64_t data_page_offset;       /* -1 when absent */
    int64_t dictionary_page_offset; /* -1 when absent */
    bool has_statistics;
    pq_statistics statistics;
    pq_page_encoding_stats *encoding_stats; /* NULL when absent */
    uint32_t nencoding_stats;
} pq_column_meta;

typedef struct pq_column_chunk {
    char *file_path; /* NULL when absent; set = data in another file (unsupported) */
    bool has_meta;
    bool encrypted;  /* crypto_metadata or encrypted_column_metadata present */
    pq_column_meta meta;
} pq_column_chunk;

typedef struct pq_row_group {
    pq_column_chunk *columns;
    uint32_t ncolumns;
    int64_t total_byte_size; /* -1 when absent */
    int64_t num_rows;        /* -1 when absent */
} pq_row_group;

typedef struct pq_file_meta {
    int32_t version;
    pq_schema_element *schema;
    uint32_t nschema;
    bool has_schema, has_row_groups;
    int64_t num_rows; /* -1 when absent */
    pq_row_group *row_groups;
    uint32_t nrow_groups;
    pq_key_value *key_value;
    uint32_t nkey_value;
    char *created_by; /* NULL when absent */
    bool encrypted;   /* encryption_algorithm present */
    cairn_arena arena; /* owns every pointer above */
} pq_file_meta;

typedef struct pq_page_header {
    int32_t type; /* PQ_PAGE_*, -1 when absent */
    int32_t uncompressed_page_size, compressed_page_size; /* -1 when absent */
    bool has_crc;
    int32_t crc;
    /* DataPageHeader (v1) */
    bool has_v1;
    int32_t v1_num_values, v1_encoding, v1_def_encoding, v1_rep_encoding;
    /* DictionaryPageHeader */
    bool has_dict;
    int32_t dict_num_values, dict_encoding;
    bool dict_is_sorted;
    /* DataPageHeaderV2 */
    bool has_v2;
    int32_t v2_num_values, v2_num_nulls, v2_num_rows, v2_encoding;
    int32_t v2_def_length, v2_rep_length;
    bool v2_is_compressed; /* default true */
} pq_page_header;

/* Decodes a FileMetaData from data[0, len), which starts at byte `file_offset` of the file.
 * On success *meta owns its arena (free with cairn__pq_file_meta_release); on failure
 * nothing is left allocated. */
int cairn__pq_file_meta_decode(const uint8_t *data, size_t len, int64_t file_offset,
                               pq_file_meta *meta, cairn_error *err);
void cairn__pq_file_meta_release(pq_file_meta *meta);

/* Decodes a PageHeader from data[0, len) (at `file_offset`); *header_len is the bytes it
 * took. Allocates nothing. */
int cairn__pq_page_header_decode(const uint8_t *data, size_t len, int64_t file_offset,
                                 pq_page_header *header, size_t *header_len, cairn_error *err);

/* Reads an unsigned LEB128 varint of at most 10 bytes at *p (< end); advances *p. Returns
 * false when it runs past end or is longer than 64 bits. Shared with the encodings. */
bool cairn__pq_read_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *out);

#endif /* CAIRN_PARQUET_THRIFT_H */
