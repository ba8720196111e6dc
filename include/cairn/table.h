/* cairn/table.h: typed columnar tables in Arrow's memory layout, and the file formats.
 *
 * A table is an ordered set of equally long columns. A column's buffers follow Arrow:
 * - validity: a bitmap, bit i (least significant first) set when row i holds a value; NULL
 *   when the column has no nulls;
 * - fixed-width types keep their values in `values` (BOOL as a bitmap, DATE32 as int32 days,
 *   TIMESTAMP as int64 UTC microseconds); a null slot holds 0;
 * - STRING keeps int64 offsets (length + 1 of them) and the bytes in `data` (Arrow's
 *   large_utf8), or, when `dictionary` is set, int32 codes in `values` that index a plain
 *   STRING dictionary column.
 * Columns are read-only to callers except through the cairn_column_append_* builders.
 * Everything a table returns is borrowed and valid until the table is freed or changed.
 *
 * Operations (slice, project, filter, take, sort, join) build new tables; they never change
 * their inputs. Readers and writers for CSV and JSON Lines are here too, behind a table of
 * file formats (cairn_format) that Parquet joins by adding one entry.
 */
#ifndef CAIRN_TABLE_H
#define CAIRN_TABLE_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------
 * Types and values
 * ---------------------------------------------------------------------------------------- */

typedef enum cairn_type {
    CAIRN_TYPE_BOOL = 1,
    CAIRN_TYPE_INT32 = 2,
    CAIRN_TYPE_INT64 = 3,
    CAIRN_TYPE_FLOAT32 = 4,
    CAIRN_TYPE_FLOAT64 = 5,
    CAIRN_TYPE_STRING = 6,
    CAIRN_TYPE_TIMESTAMP = 7, /* int64 UTC microseconds since the epoch */
    CAIRN_TYPE_DATE32 = 8,    /* int32 days since the epoch */
} cairn_type;

/* "bool", "int32", "int64", "float32", "float64", "string", "timestamp", "date". */
const char *cairn_type_name(cairn_type type);
/* Accepts the names above and common aliases (boolean, int, integer, bigint, float, double,
 * real, varchar, text, str, datetime, date32). */
int cairn_type_parse(const char *name, cairn_type *out);
/* Bytes per value for fixed-width types; 0 for BOOL (bits) and STRING. */
size_t cairn_type_width(cairn_type type);
bool cairn_type_is_numeric(cairn_type type); /* int32, int64, float32, float64 */

/* One value, e.g. a cell. STRING values borrow their bytes. */
typedef struct cairn_value {
    cairn_type type;
    bool is_null;
    union {
        bool b;
        int32_t i32; /* INT32, DATE32 */
        int64_t i64; /* INT64, TIMESTAMP */
        float f32;
        double f64;
        struct {
            const char *ptr;
            size_t len;
        } str;
    } v;
} cairn_value;

/* Appends the canonical text of a value: numbers in shortest round-trip form, timestamps
 * and dates in ISO-8601, booleans as true/false, strings as they are, null as "" (or as
 * `null_text` when not NULL). */
int cairn_value_format(const cairn_value *value, const char *null_text, cairn_buf *out);
/* A value as a double (numbers, bools, timestamps, dates); false for strings and nulls. */
bool cairn_value_as_double(const cairn_value *value, double *out);

/* A field of a schema: a plain value struct; the name is borrowed. */
typedef struct cairn_field {
    const char *name;
    cairn_type type;
    bool nullable;
} cairn_field;

/* ------------------------------------------------------------------------------------------
 * Columns
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_column cairn_column;
struct cairn_column {
    char *name;
    cairn_type type;
    bool nullable;
    int64_t length;
    int64_t null_count;
    uint8_t *validity;          /* NULL = no nulls */
    void *values;               /* fixed-width values, BOOL bitmap, or dictionary codes */
    int64_t *offsets;           /* STRING without dictionary: length + 1 offsets into data */
    char *data;                 /* STRING bytes */
    cairn_column *dictionary;   /* STRING with dictionary: the distinct values */
    /* private: allocated capacities */
    size_t values_cap_, data_cap_, validity_cap_;
};

static inline bool cairn_column_is_valid(const cairn_column *c, int64_t i)
{
    return c->validity == NULL || ((c->validity[i >> 3] >> (i & 7)) & 1);
}
static inline bool cairn_bit_get(const uint8_t *bits, int64_t i)
{
    return (bits[i >> 3] >> (i & 7)) & 1;
}
static inline int64_t cairn_column_i64(const cairn_column *c, int64_t i)
{
    return ((const int64_t *)c->values)[i];
}
static inline int32_t cairn_column_i32(const cairn_column *c, int64_t i)
{
    return ((const int32_t *)c->values)[i];
}
static inline double cairn_column_f64(const cairn_column *c, int64_t i)
{
    return ((const double *)c->values)[i];
}
/* The bytes of STRING row i (borrowed; not NUL-terminated). */
static inline const char *cairn_column_str(const cairn_column *c, int64_t i, size_t *len)
{
    if (c->dictionary) {
        int32_t code = ((const int32_t *)c->values)[i];
        const cairn_column *d = c->dictionary;
        *len = (size_t)(d->offsets[code + 1] - d->offsets[code]);
        return d->data + d->offsets[code];
    }
    *len = (size_t)(c->offsets[i + 1] - c->offsets[i]);
    return c->data + c->offsets[i];
}

int cairn_column_create(const char *name, cairn_type type, bool nullable, cairn_column **out);
void cairn_column_free(cairn_column *column);
/* Makes room for `rows` more rows and, for strings, `bytes` more bytes. */
int cairn_column_reserve(cairn_column *column, int64_t rows, size_t bytes);
/* Builders. Each appends one row; the type must match the column's (append_int64 serves
 * INT64 and TIMESTAMP, append_int32 serves INT32 and DATE32). append_null on a column that
 * is not nullable fails with CAIRN_EINVAL. Strings cannot be appended to a dictionary
 * column (decode it first). */
int cairn_column_append_null(cairn_column *column);
int cairn_column_append_bool(cairn_column *column, bool v);
int cairn_column_append_int32(cairn_column *column, int32_t v);
int cairn_column_append_int64(cairn_column *column, int64_t v);
int cairn_column_append_float32(cairn_column *column, float v);
int cairn_column_append_float64(cairn_column *column, double v);
int cairn_column_append_string(cairn_column *column, const char *s, size_t len);
int cairn_column_append_value(cairn_column *column, const cairn_value *value);
/* Appends rows [offset, offset + count) of src, which must have the same type. */
int cairn_column_append_range(cairn_column *dst, const cairn_column *src, int64_t offset,
                              int64_t count);
/* Reads row i (strings borrowed from the column). */
void cairn_column_get(const cairn_column *column, int64_t i, cairn_value *out);
/* Deep copy. */
int cairn_column_copy(const cairn_column *column, cairn_column **out);
/* Replaces a plain STRING column by dictionary codes + dictionary (in first-seen order), or
 * the reverse. No-op when already in the requested form. */
int cairn_column_dict_encode(cairn_column *column);
int cairn_column_dict_decode(cairn_column *column);
/* Bytes held by the column's buffers. */
size_t cairn_column_memory(const cairn_column *column);

/* ------------------------------------------------------------------------------------------
 * Tables
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_table cairn_table;

int cairn_table_create(cairn_table **out);
void cairn_table_free(cairn_table *table);
int64_t cairn_table_num_rows(const cairn_table *table);
size_t cairn_table_num_columns(const cairn_table *table);
cairn_column *cairn_table_column(const cairn_table *table, size_t index);
/* Index of the column named `name`, or -1. */
int64_t cairn_table_find(const cairn_table *table, const char *name);
cairn_column *cairn_table_column_by_name(const cairn_table *table, const char *name);
/* Adds an empty column and returns it (borrowed). Duplicate names fail with CAIRN_EEXIST.
 * If the table already has rows, the new column is filled with nulls (nullable only). */
int cairn_table_add_column(cairn_table *table, const char *name, cairn_type type,
                           bool nullable, cairn_column **out);
/* Takes ownership of column (also on failure); its length must equal the table's rows. */
int cairn_table_adopt_column(cairn_table *table, cairn_column *column, cairn_error *err);
/* Checks every column has the same length; CAIRN_EINTERNAL naming the column otherwise. */
int cairn_table_validate(const cairn_table *table, cairn_error *err);
/* The schema as fields borrowing the table's names; *out is an array of num_columns fields
 * to free with cairn_free. */
int cairn_table_fields(const cairn_table *table, cairn_field **out);
size_t cairn_table_memory(const cairn_table *table);

/* Rows [offset, offset + length) clamped to the table; a new table. */
int cairn_table_slice(const cairn_table *table, int64_t offset, int64_t length,
                      cairn_table **out);
/* The named columns, in the given order (copies). Unknown names fail with CAIRN_ENOTFOUND. */
int cairn_table_project(const cairn_table *table, const char *const *names, size_t count,
                        cairn_table **out, cairn_error *err);
/* Rows where keep[i] is non-zero. keep has num_rows bytes. */
int cairn_table_filter(const cairn_table *table, const uint8_t *keep, cairn_table **out);
/* Rows at the given indices, in that order; an index of -1 gives a row of nulls (the
 * column becomes nullable). Indices must be in range. */
int cairn_table_take(const cairn_table *table, const int64_t *indices, int64_t count,
                     cairn_table **out);
/* Appends all rows of src to dst; columns are matched by position and must agree in name and
 * type (CAIRN_ETYPE naming the first column that does not). */
int cairn_table_append(cairn_table *dst, const cairn_table *src, cairn_error *err);
/* Deep copy. */
int cairn_table_copy(const cairn_table *table, cairn_table **out);

typedef struct cairn_sort_key {
    const char *column;
    bool descending;
    bool nulls_first; /* default: nulls last */
} cairn_sort_key;

/* A stable ordering by the keys: *out_indices (num_rows entries, cairn_free) lists row
 * numbers in sorted order. Strings compare bytewise; NaN sorts after all numbers. */
int cairn_table_sort_indices(const cairn_table *table, const cairn_sort_key *keys,
                             size_t nkeys, int64_t **out_indices, cairn_error *err);
int cairn_table_sort(const cairn_table *table, const cairn_sort_key *keys, size_t nkeys,
                     cairn_table **out, cairn_error *err);

typedef enum cairn_join_kind {
    CAIRN_JOIN_INNER = 0,
    CAIRN_JOIN_LEFT = 1,
} cairn_join_kind;

/* Hash join on equal keys (null never equals anything). The result holds every left column,
 * then the right's non-key columns; a right name that clashes gets the suffix "_right".
 * Rows come in left order; several matches come in right order. Key types must be equal
 * (INT32 with INT64 is allowed). */
int cairn_table_hash_join(const cairn_table *left, const cairn_table *right,
                          const char *const *left_keys, const char *const *right_keys,
                          size_t nkeys, cairn_join_kind kind, cairn_table **out,
                          cairn_error *err);

/* Group boundaries of a table sorted on `keys`: *out_starts (cairn_free) holds groups + 1
 * offsets, the last being num_rows; group g is rows [starts[g], starts[g + 1]). Nulls form
 * their own group. */
int cairn_table_group_bounds(const cairn_table *table, const char *const *keys, size_t nkeys,
                             int64_t **out_starts, int64_t *out_groups, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Column statistics
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_top_value {
    char *value; /* owned, NUL-terminated */
    size_t len;
    int64_t count;
} cairn_top_value;

typedef struct cairn_column_stats {
    char *name; /* owned */
    cairn_type type;
    int64_t count;    /* rows */
    int64_t nulls;
    int64_t distinct; /* exact count of distinct non-null values */
    bool has_minmax;
    cairn_value min, max; /* strings are owned copies */
    bool has_mean;        /* numeric and bool columns with at least one value */
    double mean, stddev, sum; /* sample standard deviation (n - 1) */
    size_t top_count;
    cairn_top_value *top; /* STRING and BOOL: most frequent values, count descending */
} cairn_column_stats;

/* Statistics of every column; top_k most frequent values for strings (0 = 10). */
int cairn_table_stats(const cairn_table *table, size_t top_k, cairn_column_stats **out,
                      size_t *count, cairn_error *err);
void cairn_table_stats_free(cairn_column_stats *stats, size_t count);

/* ------------------------------------------------------------------------------------------
 * Reading and writing files
 * ---------------------------------------------------------------------------------------- */

/* Called for each malformed row when set: err locates it (file, line, column, field,
 * expected, found, reason); raw is the row's original text (borrowed for the call). Return
 * false to stop the read, which then fails with the row's error. A reported row is left
 * out of the table; no row is ever dropped without being reported. */
typedef bool (*cairn_bad_row_fn)(void *ud, const cairn_error *err, const char *raw,
                                 size_t raw_len);

typedef struct cairn_read_options {
    char delimiter;     /* CSV: 0 = ',' */
    char quote;         /* CSV: 0 = '"' */
    bool no_header;     /* CSV: the first row is data; columns are column1, column2, ... */
    /* An explicit schema (borrowed). CSV: names must match the header (any order; with
     * no_header, by position). JSON Lines: keys; a missing key is null; an unknown key is
     * an error unless ignore_unknown. Without it, types are inferred (see docs). */
    const cairn_field *fields;
    size_t nfields;
    bool ignore_unknown;
    /* JSON Lines with explicit fields: a string value of a number or boolean field is read
     * as its text ("42", "2.5", "true"), as CSV would be (stream records whose producers send
     * every value as a string). Off: such a value is a type error. */
    bool strings_as_text;
    const char *null_text; /* a text that also means null, e.g. "NA"; empty always does */
    int64_t infer_rows;    /* rows sampled to infer types; 0 = 20000 */
    int threads;           /* 0 = the default pool; 1 = this thread only */
    int64_t max_rows;      /* stop after this many data rows; 0 = all */
    cairn_bad_row_fn on_bad_row; /* NULL: the first bad row fails the read */
    void *bad_row_ud;
    cairn_progress_fn progress; /* bytes read / total */
    void *progress_ud;
} cairn_read_options;

typedef struct cairn_write_options {
    char delimiter;          /* CSV: 0 = ',' */
    bool no_header;          /* CSV */
    const char *null_text;   /* CSV: how null is written; NULL = empty field */
    const char *compression; /* columnar formats: NULL = the format's default */
    int64_t row_group_size;  /* columnar formats: 0 = default */
} cairn_write_options;

void cairn_read_options_init(cairn_read_options *opts);
void cairn_write_options_init(cairn_write_options *opts);

/* CSV per RFC 4180: quoted fields, doubled quotes, newlines inside quotes, CRLF or LF, a
 * UTF-8 byte-order mark. An unquoted empty field is null (an error for a non-nullable
 * field); a quoted empty field is the empty string. Large inputs are parsed on all cores. */
int cairn_csv_read(const char *data, size_t len, const char *name,
                   const cairn_read_options *opts, cairn_table **out, cairn_error *err);
int cairn_csv_read_file(const char *path, const cairn_read_options *opts, cairn_table **out,
                        cairn_error *err);
/* Fields are quoted when they need it; an empty string is written as "" so it reads back
 * as a string, not as null. */
int cairn_csv_write(const cairn_table *table, const cairn_write_options *opts, cairn_buf *out,
                    cairn_error *err);
int cairn_csv_write_file(const cairn_table *table, const char *path,
                         const cairn_write_options *opts, cairn_error *err);

/* JSON Lines: one JSON object per line; blank lines are skipped. Values: null, booleans,
 * numbers, strings (ISO-8601 text for timestamp and date fields); nested arrays and objects
 * are kept as their JSON text in a string column. */
int cairn_jsonl_read(const char *data, size_t len, const char *name,
                     const cairn_read_options *opts, cairn_table **out, cairn_error *err);
int cairn_jsonl_read_file(const char *path, const cairn_read_options *opts, cairn_table **out,
                          cairn_error *err);
int cairn_jsonl_write(const cairn_table *table, const cairn_write_options *opts,
                      cairn_buf *out, cairn_error *err);
int cairn_jsonl_write_file(const cairn_table *table, const char *path,
                           const cairn_write_options *opts, cairn_error *err);

/* The table of file formats. Adding a format is one descriptor and one entry. */
typedef struct cairn_format {
    const char *name;                /* "csv" */
    const char *const *extensions;   /* NULL-terminated, with the dot: ".csv" */
    int (*read_file)(const char *path, const cairn_read_options *opts, cairn_table **out,
                     cairn_error *err);
    int (*write_file)(const cairn_table *table, const char *path,
                      const cairn_write_options *opts, cairn_error *err);
} cairn_format;

/* The format for a path by its extension, or by name; NULL when unknown. */
const cairn_format *cairn_format_for_path(const char *path);
const cairn_format *cairn_format_by_name(const char *name);
/* All formats, NULL-terminated. */
const cairn_format *const *cairn_formats(void);
/* Read or write by the path's extension (or `format` when not NULL). */
int cairn_table_read_file(const char *path, const char *format, const cairn_read_options *opts,
                          cairn_table **out, cairn_error *err);
int cairn_table_write_file(const cairn_table *table, const char *path, const char *format,
                           const cairn_write_options *opts, cairn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_TABLE_H */
