/* src/table/table_internal.h: private declarations shared by the files of src/table/.
 *
 * Capacities of a column's buffers (the struct's private fields) are kept in BYTES:
 * values_cap_ counts the bytes of `values`, or of `offsets` for a plain STRING column
 * (which has no `values`); data_cap_ the bytes of `data`; validity_cap_ the bytes of
 * `validity`. Builders always write every bit of a row they append (validity and BOOL
 * values), so bits past `length` carry no meaning. A plain STRING column always has
 * offsets[0] == 0, even when empty.
 *
 * Keep this header small and stable: the CSV/JSONL readers include it too.
 */
#ifndef CAIRN_TABLE_INTERNAL_H
#define CAIRN_TABLE_INTERNAL_H

#include "cairn/table.h"

static inline void cairn__bit_put(uint8_t *bits, int64_t i, bool v)
{
    uint8_t mask = (uint8_t)(1u << (i & 7));
    if (v)
        bits[i >> 3] |= mask;
    else
        bits[i >> 3] &= (uint8_t)~mask;
}

static inline size_t cairn__bitmap_bytes(int64_t bits)
{
    return (size_t)((bits + 7) / 8);
}

/* A column's size before a multi-step change, for rolling the change back on failure. */
typedef struct cairn__column_mark {
    int64_t length, null_count;
    bool had_validity;
    int64_t dict_length; /* -1 when the column has no dictionary */
} cairn__column_mark;

void cairn__column_mark_save(const cairn_column *column, cairn__column_mark *mark);
/* Truncates the column back to the mark (buffers keep their capacity). */
void cairn__column_rollback(cairn_column *column, const cairn__column_mark *mark);

/* A new empty column with src's name, type and nullability (no dictionary). */
int cairn__column_create_like(const cairn_column *src, cairn_column **out);

/* Rows of src at the indices (in that order) as a new column; -1 gives a null row (the new
 * column is then nullable). A dictionary column keeps a copy of its dictionary. */
int cairn__column_take(const cairn_column *src, const int64_t *indices, int64_t count,
                       cairn_column **out);
/* Rows [offset, offset + count) of src as a new column, keeping a dictionary. */
int cairn__column_slice(const cairn_column *src, int64_t offset, int64_t count, cairn_column **out);

/* A table built from columns the caller hands over (all freed on failure). */
int cairn__table_from_columns(cairn_column **columns, size_t count, cairn_table **out);

/* Byte-wise comparison of two strings, shorter first on a common prefix. */
int cairn__str_cmp(const char *a, size_t alen, const char *b, size_t blen);


/* Join keys (keys.c): can the row's key match (no null or NaN part)? its hash; are two rows'
 * key parts equal (integer kinds as int64, floats by value, strings by bytes)? */
bool cairn__key_usable(const cairn_column *const *cols, size_t n, int64_t row);
uint64_t cairn__key_hash(const cairn_column *const *cols, size_t n, int64_t row);
bool cairn__key_part_equal(const cairn_column *a, int64_t ra, const cairn_column *b, int64_t rb);

/* Weka's ARFF (arff.c, whose file comment states the rules): the `arff` entry of format.c. */
int cairn__arff_read(const char *data, size_t len, const char *name, const cairn_read_options *opts,
                     cairn_table **out, cairn_error *err);
int cairn__arff_read_file(const char *path, const cairn_read_options *opts, cairn_table **out,
                          cairn_error *err);
int cairn__arff_write_file(const cairn_table *table, const char *path,
                           const cairn_write_options *opts, cairn_error *err);
int cairn__arff_write(const cairn_table *table, const char *relation, cairn_buf *out,
                      cairn_error *err);

#endif /* CAIRN_TABLE_INTERNAL_H */
