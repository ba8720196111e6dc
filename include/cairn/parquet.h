/* cairn/parquet.h: Parquet files, read and written by Cairn's own implementation of the
 * public format (apache/parquet-format: parquet.thrift, Encodings.md, Compression.md).
 *
 * Reading: flat schemas (required and optional columns); physical types BOOLEAN, INT32,
 * INT64, INT96 (as a timestamp), FLOAT, DOUBLE, BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY; encodings
 * PLAIN, PLAIN_DICTIONARY, RLE_DICTIONARY, RLE/bit-packed levels, DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT; data pages v1 and v2; codecs
 * UNCOMPRESSED, SNAPPY, GZIP, ZSTD, LZ4_RAW. Type mapping (docs/internals/parquet.md):
 *   BOOLEAN -> bool; INT32 -> int32 (DATE -> date, INT(8|16|32) -> int32, UINT(8|16) -> int32,
 *   UINT32 -> int64); INT64 -> int64 (TIMESTAMP(MILLIS|MICROS|NANOS) -> timestamp in
 *   microseconds, UINT64 -> int64 with an error above INT64_MAX); INT96 -> timestamp;
 *   FLOAT -> float32; DOUBLE -> float64; BYTE_ARRAY STRING/UTF8/ENUM/JSON -> string, other
 *   BYTE_ARRAY -> string (bytes); DECIMAL (any physical type) -> float64;
 *   FIXED_LEN_BYTE_ARRAY otherwise -> string (bytes).
 * A nested or repeated column fails with CAIRN_EUNSUPPORTED naming the column. A corrupt,
 * truncated or hostile file fails with CAIRN_ECORRUPT naming the byte offset and the structure
 * being read (err->offset); no allocation is sized by an unchecked number from the file.
 *
 * Writing: data page v1, PLAIN and RLE_DICTIONARY (PLAIN when the dictionary grows past
 * 1 MiB), definition levels for optional columns, ZSTD by default (SNAPPY, GZIP or none on
 * request), row groups of `row_group_size` rows (default 1,048,576), min/max/null-count
 * statistics, logical types STRING, TIMESTAMP(MICROS, UTC), DATE, and key-value metadata
 * ("cairn.schema" holds Cairn's own schema as JSON). Files are written to a temporary name,
 * synced and renamed.
 */
#ifndef CAIRN_PARQUET_H
#define CAIRN_PARQUET_H

#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cairn_cmp_op {
    CAIRN_CMP_EQ = 1,
    CAIRN_CMP_LT = 2,
    CAIRN_CMP_LE = 3,
    CAIRN_CMP_GT = 4,
    CAIRN_CMP_GE = 5,
} cairn_cmp_op;

/* "column op value": a row group is skipped when its min/max statistics prove no row can
 * satisfy it. Skipping is an optimisation only: rows of groups that are read are not
 * filtered (filter with cairn_table_filter). The value's type must be comparable with the
 * column's (numbers with numbers, strings with strings, timestamps with timestamps). */
typedef struct cairn_predicate {
    const char *column;
    cairn_cmp_op op;
    cairn_value value;
} cairn_predicate;

typedef struct cairn_parquet_options {
    const char *const *columns; /* projection, in this order; NULL = all columns */
    size_t ncolumns;
    const cairn_predicate *predicates; /* all must hold (AND) */
    size_t npredicates;
    int threads;                 /* row groups decoded in parallel; 0 = default pool */
    bool decode_dictionaries;    /* false (default): keep dictionary strings encoded when smaller */
    cairn_progress_fn progress;  /* row groups done / total */
    void *progress_ud;
} cairn_parquet_options;

void cairn_parquet_options_init(cairn_parquet_options *opts);

/* Reads the whole file (the selected columns of the selected row groups). */
int cairn_parquet_read_file(const char *path, const cairn_parquet_options *opts,
                            cairn_table **out, cairn_error *err);

/* Streaming: one row group at a time, in bounded memory. */
typedef struct cairn_parquet_reader cairn_parquet_reader;
int cairn_parquet_reader_open(const char *path, const cairn_parquet_options *opts,
                              cairn_parquet_reader **out, cairn_error *err);
void cairn_parquet_reader_close(cairn_parquet_reader *reader);
int64_t cairn_parquet_reader_num_rows(const cairn_parquet_reader *reader);
size_t cairn_parquet_reader_num_row_groups(const cairn_parquet_reader *reader);
/* The file's schema after projection, as fields borrowing the reader's names. */
size_t cairn_parquet_reader_fields(const cairn_parquet_reader *reader, const cairn_field **out);
/* Key-value metadata: the value for key, or NULL. Borrowed until close. */
const char *cairn_parquet_reader_metadata(const cairn_parquet_reader *reader, const char *key);
/* True when predicates let row group i be skipped. */
bool cairn_parquet_reader_skips(const cairn_parquet_reader *reader, size_t row_group);
/* Decodes row group i (selected columns) into a new table. */
int cairn_parquet_reader_read_row_group(cairn_parquet_reader *reader, size_t row_group,
                                        cairn_table **out, cairn_error *err);

/* Writing. compression: "zstd" (default), "snappy", "gzip", "none"/"uncompressed". */
typedef struct cairn_parquet_writer cairn_parquet_writer;
int cairn_parquet_writer_open(const char *path, const cairn_field *fields, size_t nfields,
                              const cairn_write_options *opts, cairn_parquet_writer **out,
                              cairn_error *err);
/* Adds key-value metadata written in the footer (copied). */
int cairn_parquet_writer_set_metadata(cairn_parquet_writer *writer, const char *key,
                                      const char *value);
/* Appends the table's rows (same columns as the writer's fields, by position); rows are cut
 * into row groups of opts->row_group_size. */
int cairn_parquet_writer_write(cairn_parquet_writer *writer, const cairn_table *table,
                               cairn_error *err);
/* Writes the footer, syncs and renames into place. The writer is freed either way. */
int cairn_parquet_writer_commit(cairn_parquet_writer *writer, cairn_error *err);
/* Discards the temporary file. */
void cairn_parquet_writer_abort(cairn_parquet_writer *writer);
/* One call: open, write, commit. */
int cairn_parquet_write_file(const cairn_table *table, const char *path,
                             const cairn_write_options *opts, cairn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_PARQUET_H */
