/* tests/util/testutil.c: temporary directories and fixture files for the unit tests. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *tmp_root(void)
{
    const char *t = getenv("TMPDIR");
    return (t && *t) ? t : "/tmp";
}

const char *cairn_test_tmpdir(const char *tag)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/cairn-test-%s-XXXXXX", tmp_root(), tag ? tag : "t");
    if (!mkdtemp(path)) {
        fail_msg("mkdtemp %s: %s", path, strerror(errno));
    }
    return path;
}

void cairn_test_rmtree(const char *path)
{
    char cmd[4200];
    if (strncmp(path, tmp_root(), strlen(tmp_root())) != 0 || strstr(path, "cairn-test-") == NULL)
        fail_msg("refusing to remove %s", path);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) fail_msg("could not remove %s", path);
}

void cairn_test_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) fail_msg("open %s: %s", path, strerror(errno));
    if (len && fwrite(data, 1, len, f) != len) fail_msg("write %s", path);
    fclose(f);
}

cairn_table *cairn_test_table(void)
{
    cairn_table *t;
    assert_int_equal(cairn_table_create(&t), 0);
    return t;
}

cairn_column *cairn_test_add(cairn_table *t, const char *name, cairn_type type)
{
    cairn_column *c;
    assert_int_equal(cairn_table_add_column(t, name, type, true, &c), 0);
    return c;
}

void cairn_test_put_str(cairn_column *c, const char *s)
{
    if (s)
        assert_int_equal(cairn_column_append_string(c, s, strlen(s)), 0);
    else
        assert_int_equal(cairn_column_append_null(c), 0);
}

static const cairn_column *column_named(const cairn_table *t, const char *column)
{
    const cairn_column *c = cairn_table_column_by_name(t, column);
    if (!c) fail_msg("no column %s", column);
    return c;
}

const char *cairn_test_cell(const cairn_table *t, const char *column, int64_t row)
{
    static char out[4][512];
    static int next;
    char *o = out[next++ & 3];
    const cairn_column *c = column_named(t, column);
    assert_true(row < c->length);
    cairn_value v;
    cairn_column_get(c, row, &v);
    cairn_buf b;
    cairn_buf_init(&b, 0);
    assert_int_equal(cairn_value_format(&v, "NULL", &b), 0);
    snprintf(o, 512, "%s", b.data);
    cairn_buf_release(&b);
    return o;
}

cairn_type cairn_test_col_type(const cairn_table *t, const char *column)
{
    return column_named(t, column)->type;
}

void cairn_test_assert_error(const cairn_error *e, int code, int64_t line, int64_t column,
                             const char *field, const char *message_part)
{
    char msg[1024];
    cairn_error_format(e, msg, sizeof msg);
    if (e->code != code || e->line != line || e->column != column ||
        strcmp(e->field, field) != 0 || !strstr(e->message, message_part))
        fail_msg("got code %d line %lld column %lld field '%s': %s; want code %d line %lld "
                 "column %lld field '%s' message ~ '%s'",
                 e->code, (long long)e->line, (long long)e->column, e->field, msg, code,
                 (long long)line, (long long)column, field, message_part);
}

int64_t cairn_test_query_int(cairn_catalog *catalog, const char *sql)
{
    cairn_error err;
    cairn_stmt *stmt = NULL;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_catalog_prepare(catalog, sql, &stmt, &err), &err);
    assert_int_equal(cairn_stmt_step(stmt, &err), 1);
    int64_t v = cairn_stmt_int64(stmt, 0);
    cairn_stmt_finalize(stmt);
    return v;
}
