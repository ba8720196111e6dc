/* table.c: a table, an ordered set of equally long named columns.
 *
 * The table owns a growable array of column pointers; the row count is the length of the
 * first column (0 for a table without columns), so builders that append to the columns
 * directly (the CSV and JSONL readers) need not tell the table. Invariant outside of such
 * building: every column has the same length and a distinct name (cairn_table_validate
 * checks the lengths). Names are looked up by a linear scan: tables are narrow next to
 * their row counts. Appending rows to a table is all-or-nothing (column marks roll back).
 * Tests: tests/unit/table/test_table.c.
 */
#include <string.h>

#include "table_internal.h"

struct cairn_table {
    cairn_column **columns;
    size_t count;
    size_t cap;
};

/* ------------------------------------------------------------------------------------------
 * Lifecycle and access
 * ---------------------------------------------------------------------------------------- */

int cairn_table_create(cairn_table **out)
{
    cairn_table *t = cairn_calloc(1, sizeof *t);
    if (!t) return CAIRN_ENOMEM;
    *out = t;
    return 0;
}

void cairn_table_free(cairn_table *table)
{
    if (!table) return;
    for (size_t i = 0; i < table->count; i++)
        cairn_column_free(table->columns[i]);
    cairn_free(table->columns);
    cairn_free(table);
}

int64_t cairn_table_num_rows(const cairn_table *table)
{
    return table->count ? table->columns[0]->length : 0;
}

size_t cairn_table_num_columns(const cairn_table *table)
{
    return table->count;
}

cairn_column *cairn_table_column(const cairn_table *table, size_t index)
{
    return index < table->count ? table->columns[index] : NULL;
}

int64_t cairn_table_find(const cairn_table *table, const char *name)
{
    for (size_t i = 0; i < table->count; i++)
        if (strcmp(table->columns[i]->name, name) == 0) return (int64_t)i;
    return -1;
}

cairn_column *cairn_table_column_by_name(const cairn_table *table, const char *name)
{
    int64_t i = cairn_table_find(table, name);
    return i < 0 ? NULL : table->columns[i];
}

/* ------------------------------------------------------------------------------------------
 * Adding columns
 * ---------------------------------------------------------------------------------------- */

static int push_column(cairn_table *table, cairn_column *column)
{
    void *p = table->columns;
    int rc = cairn_grow(&p, &table->cap, table->count + 1, sizeof *table->columns);
    table->columns = p;
    if (rc) return rc;
    table->columns[table->count++] = column;
    return 0;
}

static int fill_nulls(cairn_column *column, int64_t rows)
{
    int rc = cairn_column_reserve(column, rows, 0);
    for (int64_t i = 0; i < rows && rc == 0; i++)
        rc = cairn_column_append_null(column);
    return rc;
}

int cairn_table_add_column(cairn_table *table, const char *name, cairn_type type, bool nullable,
                           cairn_column **out)
{
    if (!name) return CAIRN_EINVAL;
    if (cairn_table_find(table, name) >= 0) return CAIRN_EEXIST;
    int64_t rows = cairn_table_num_rows(table);
    if (rows > 0 && !nullable) return CAIRN_EINVAL;
    cairn_column *column;
    int rc = cairn_column_create(name, type, nullable, &column);
    if (rc) return rc;
    rc = fill_nulls(column, rows);
    if (rc == 0) rc = push_column(table, column);
    if (rc) {
        cairn_column_free(column);
        return rc;
    }
    if (out) *out = column;
    return 0;
}

int cairn_table_adopt_column(cairn_table *table, cairn_column *column, cairn_error *err)
{
    int rc = 0;
    if (cairn_table_find(table, column->name) >= 0) {
        rc = cairn_error_set(err, CAIRN_EEXIST, "a column named '%s' already exists", column->name);
    } else if (table->count && column->length != cairn_table_num_rows(table)) {
        rc = cairn_error_set(err, CAIRN_EINVAL, "column '%s' has %lld rows, the table %lld",
                             column->name, (long long)column->length,
                             (long long)cairn_table_num_rows(table));
    }
    if (rc) cairn_error_field(err, column->name);
    if (rc == 0) rc = push_column(table, column);
    if (rc) cairn_column_free(column);
    return rc;
}

int cairn__table_from_columns(cairn_column **columns, size_t count, cairn_table **out)
{
    cairn_table *t = NULL;
    int rc = cairn_table_create(&t);
    size_t pushed = 0;
    while (rc == 0 && pushed < count) {
        rc = push_column(t, columns[pushed]);
        if (rc == 0) pushed++;
    }
    if (rc) {
        for (size_t i = pushed; i < count; i++)
            cairn_column_free(columns[i]);
        cairn_table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Schema, checks, memory
 * ---------------------------------------------------------------------------------------- */

int cairn_table_validate(const cairn_table *table, cairn_error *err)
{
    int64_t rows = cairn_table_num_rows(table);
    for (size_t i = 0; i < table->count; i++) {
        const cairn_column *c = table->columns[i];
        const char *problem = NULL;
        if (c->length != rows)
            problem = "has a different number of rows than the first column";
        else if (c->null_count < 0 || c->null_count > c->length ||
                 (c->null_count > 0 && (!c->validity || !c->nullable)))
            problem = "has an inconsistent null count";
        if (problem) {
            cairn_error_set(err, CAIRN_EINTERNAL, "column '%s' %s", c->name, problem);
            cairn_error_field(err, c->name);
            return CAIRN_EINTERNAL;
        }
    }
    return 0;
}

int cairn_table_fields(const cairn_table *table, cairn_field **out)
{
    cairn_field *fields = cairn_malloc((table->count ? table->count : 1) * sizeof *fields);
    if (!fields) return CAIRN_ENOMEM;
    for (size_t i = 0; i < table->count; i++) {
        fields[i].name = table->columns[i]->name;
        fields[i].type = table->columns[i]->type;
        fields[i].nullable = table->columns[i]->nullable;
    }
    *out = fields;
    return 0;
}

size_t cairn_table_memory(const cairn_table *table)
{
    size_t bytes = 0;
    for (size_t i = 0; i < table->count; i++)
        bytes += cairn_column_memory(table->columns[i]);
    return bytes;
}

/* ------------------------------------------------------------------------------------------
 * Copying and appending
 * ---------------------------------------------------------------------------------------- */

int cairn_table_copy(const cairn_table *table, cairn_table **out)
{
    cairn_table *t = NULL;
    int rc = cairn_table_create(&t);
    for (size_t i = 0; rc == 0 && i < table->count; i++) {
        cairn_column *c = NULL;
        rc = cairn_column_copy(table->columns[i], &c);
        if (rc == 0 && (rc = push_column(t, c)) != 0) cairn_column_free(c);
    }
    if (rc) {
        cairn_table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

static int check_appendable(const cairn_table *dst, const cairn_table *src, cairn_error *err)
{
    if (dst->count != src->count)
        return cairn_error_set(err, CAIRN_ETYPE,
                               "cannot append a table of %zu columns to one of %zu", src->count,
                               dst->count);
    for (size_t i = 0; i < dst->count; i++) {
        const cairn_column *d = dst->columns[i], *s = src->columns[i];
        int rc = 0;
        if (strcmp(d->name, s->name) != 0)
            rc = cairn_error_set(err, CAIRN_ETYPE,
                                 "column %zu is '%s' here but '%s' in the rows appended", i + 1,
                                 d->name, s->name);
        else if (d->type != s->type)
            rc =
                cairn_error_set(err, CAIRN_ETYPE, "column '%s' is %s but the rows appended have %s",
                                d->name, cairn_type_name(d->type), cairn_type_name(s->type));
        else if (s->null_count > 0 && !d->nullable)
            rc = cairn_error_set(err, CAIRN_ETYPE,
                                 "column '%s' is not nullable but the rows appended have nulls",
                                 d->name);
        if (rc) {
            cairn_error_field(err, d->name);
            if (d->type != s->type)
                cairn_error_expect(err, cairn_type_name(d->type), cairn_type_name(s->type),
                                   strlen(cairn_type_name(s->type)));
            return rc;
        }
    }
    return 0;
}

int cairn_table_append(cairn_table *dst, const cairn_table *src, cairn_error *err)
{
    int rc = check_appendable(dst, src, err);
    if (rc) return rc;
    cairn__column_mark *marks = cairn_malloc((dst->count ? dst->count : 1) * sizeof *marks);
    if (!marks) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory appending rows");
    size_t done = 0;
    for (; done < dst->count; done++) {
        cairn__column_mark_save(dst->columns[done], &marks[done]);
        rc = cairn_column_append_range(dst->columns[done], src->columns[done], 0,
                                       src->columns[done]->length);
        if (rc) break;
    }
    if (rc) {
        for (size_t i = 0; i < done; i++)
            cairn__column_rollback(dst->columns[i], &marks[i]);
        cairn_error_set(err, rc, "appending to column '%s': %s", dst->columns[done]->name,
                        cairn_strerror(rc));
        cairn_error_field(err, dst->columns[done]->name);
    }
    cairn_free(marks);
    return rc;
}
