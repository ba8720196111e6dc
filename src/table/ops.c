/* ops.c: row and column selection: slice, project, filter, take.
 *
 * Each operation maps every column of the input through one column-level primitive from
 * column.c (cairn__column_slice, cairn__column_take, cairn_column_copy) and assembles the
 * results into a new table; the input is never changed, and a dictionary column keeps its
 * encoding (the new column holds its own copy of the dictionary). Filter turns its byte
 * mask into an index list and takes. On failure every column built so far is freed.
 * Tests: tests/unit/table/test_ops.c.
 */
#include <string.h>

#include "table_internal.h"

/* Builds columns[i] for each input column with fn and hands them to a new table. */
typedef int (*column_fn)(const cairn_column *src, const void *arg, cairn_column **out);

static int map_columns(const cairn_table *table, column_fn fn, const void *arg, cairn_table **out)
{
    size_t n = cairn_table_num_columns(table);
    cairn_column **columns = cairn_calloc(n ? n : 1, sizeof *columns);
    if (!columns) return CAIRN_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn(cairn_table_column(table, i), arg, &columns[i]);
    if (rc == 0) {
        rc = cairn__table_from_columns(columns, n, out);
    } else {
        for (size_t i = 0; i < n; i++)
            cairn_column_free(columns[i]); /* unbuilt are NULL */
    }
    cairn_free(columns);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Slice
 * ---------------------------------------------------------------------------------------- */

typedef struct range {
    int64_t offset, count;
} range;

static int slice_column(const cairn_column *src, const void *arg, cairn_column **out)
{
    const range *r = arg;
    return cairn__column_slice(src, r->offset, r->count, out);
}

int cairn_table_slice(const cairn_table *table, int64_t offset, int64_t length, cairn_table **out)
{
    int64_t rows = cairn_table_num_rows(table);
    range r;
    r.offset = offset < 0 ? 0 : (offset > rows ? rows : offset);
    r.count = length < 0 ? 0 : (length > rows - r.offset ? rows - r.offset : length);
    return map_columns(table, slice_column, &r, out);
}

/* ------------------------------------------------------------------------------------------
 * Take and filter
 * ---------------------------------------------------------------------------------------- */

typedef struct index_list {
    const int64_t *indices;
    int64_t count;
} index_list;

static int take_column(const cairn_column *src, const void *arg, cairn_column **out)
{
    const index_list *list = arg;
    return cairn__column_take(src, list->indices, list->count, out);
}

int cairn_table_take(const cairn_table *table, const int64_t *indices, int64_t count,
                     cairn_table **out)
{
    int64_t rows = cairn_table_num_rows(table);
    if (count < 0 || (count > 0 && !indices)) return CAIRN_EINVAL;
    for (int64_t i = 0; i < count; i++)
        if (indices[i] < -1 || indices[i] >= rows) return CAIRN_ERANGE;
    index_list list = {indices, count};
    return map_columns(table, take_column, &list, out);
}

int cairn_table_filter(const cairn_table *table, const uint8_t *keep, cairn_table **out)
{
    int64_t rows = cairn_table_num_rows(table), kept = 0;
    for (int64_t i = 0; i < rows; i++)
        kept += keep[i] != 0;
    int64_t *indices = cairn_malloc(kept ? (size_t)kept * sizeof *indices : 1);
    if (!indices) return CAIRN_ENOMEM;
    for (int64_t i = 0, k = 0; i < rows; i++)
        if (keep[i]) indices[k++] = i;
    index_list list = {indices, kept};
    int rc = map_columns(table, take_column, &list, out);
    cairn_free(indices);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Project
 * ---------------------------------------------------------------------------------------- */

static int check_projection(const cairn_table *table, const char *const *names, size_t count,
                            cairn_error *err)
{
    for (size_t i = 0; i < count; i++) {
        if (cairn_table_find(table, names[i]) < 0) {
            cairn_error_set(err, CAIRN_ENOTFOUND, "no column named '%s'", names[i]);
            cairn_error_field(err, names[i]);
            return CAIRN_ENOTFOUND;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(names[i], names[j]) == 0) {
                cairn_error_set(err, CAIRN_EINVAL, "column '%s' is selected twice", names[i]);
                cairn_error_field(err, names[i]);
                return CAIRN_EINVAL;
            }
        }
    }
    return 0;
}

int cairn_table_project(const cairn_table *table, const char *const *names, size_t count,
                        cairn_table **out, cairn_error *err)
{
    int rc = check_projection(table, names, count, err);
    if (rc) return rc;
    cairn_table *t = NULL;
    rc = cairn_table_create(&t);
    for (size_t i = 0; i < count && rc == 0; i++) {
        cairn_column *c = NULL;
        rc = cairn_column_copy(cairn_table_column_by_name(table, names[i]), &c);
        if (rc == 0) rc = cairn_table_adopt_column(t, c, err);
    }
    if (rc) {
        cairn_table_free(t);
        return cairn_error_set(err, rc, "projecting columns: %s", cairn_strerror(rc));
    }
    *out = t;
    return 0;
}
