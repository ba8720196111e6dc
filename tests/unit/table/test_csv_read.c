#include "testutil.h"

/* tests/unit/table/test_csv_read.c: the CSV reader (src/table/csv_read.c and the driver in
 * src/table/convert.c): grammar, nulls, header and schema handling, each error kind with its
 * exact location, bad-row callbacks, widening re-parse, max_rows, and the parallel path
 * against the sequential one (same table, same errors) on small forced chunks and on a
 * generated multi-MB file. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table/convert.h"

/* ------------------------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------------------------- */

typedef struct bad_list {
    int count;
    int stop_after; /* 0 = never stop */
    cairn_error errs[64];
    char raws[64][256];
} bad_list;

static bool collect(void *ud, const cairn_error *err, const char *raw, size_t raw_len)
{
    bad_list *b = ud;
    if (b->count < 64) {
        b->errs[b->count] = *err;
        size_t n = raw_len < 255 ? raw_len : 255;
        memcpy(b->raws[b->count], raw, n);
        b->raws[b->count][n] = '\0';
    }
    b->count++;
    return b->stop_after == 0 || b->count < b->stop_after;
}

static cairn_table *read_ok(const char *csv, const cairn_read_options *opts)
{
    cairn_table *t = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_csv_read(csv, strlen(csv), "t.csv", opts, &t, &err), &err);
    return t;
}

static int read_err(const char *csv, const cairn_read_options *opts, cairn_error *err)
{
    cairn_table *t = NULL;
    cairn_error_clear(err);
    int rc = cairn_csv_read(csv, strlen(csv), "t.csv", opts, &t, err);
    assert_int_not_equal(rc, 0);
    assert_null(t);
    return rc;
}

/* The cell as text ("NULL" for null); static storage. */
/* Two tables hold the same names, types and cells. */
static void assert_same_table(const cairn_table *a, const cairn_table *b)
{
    assert_int_equal(cairn_table_num_columns(a), cairn_table_num_columns(b));
    assert_int_equal(cairn_table_num_rows(a), cairn_table_num_rows(b));
    for (size_t c = 0; c < cairn_table_num_columns(a); c++) {
        const cairn_column *x = cairn_table_column(a, c), *y = cairn_table_column(b, c);
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->null_count, y->null_count);
        for (int64_t r = 0; r < x->length; r++) {
            char p[512], q[512];
            snprintf(p, sizeof p, "%s", cairn_test_cell(a, x->name, r));
            snprintf(q, sizeof q, "%s", cairn_test_cell(b, y->name, r));
            if (strcmp(p, q) != 0) fail_msg("column %s row %lld: '%s' vs '%s'", x->name, (long long)r, p, q);
        }
    }
}

static void assert_same_errors(const bad_list *a, const bad_list *b)
{
    assert_int_equal(a->count, b->count);
    for (int i = 0; i < a->count && i < 64; i++) {
        char x[1024], y[1024];
        cairn_error_format(&a->errs[i], x, sizeof x);
        cairn_error_format(&b->errs[i], y, sizeof y);
        assert_string_equal(x, y);
        assert_int_equal(a->errs[i].row, b->errs[i].row);
        assert_int_equal(a->errs[i].offset, b->errs[i].offset);
        assert_string_equal(a->raws[i], b->raws[i]);
    }
}

/* ------------------------------------------------------------------------------------------
 * Grammar and types
 * ---------------------------------------------------------------------------------------- */

static void test_inference(void **state)
{
    (void)state;
    cairn_table *t = read_ok("b,i,f,d,ts,s\n"
                             "true,1,1.5,2001-01-01,2001-01-01 00:01:00,x\n"
                             "FALSE,-2,3,2001-01-02,2001-01-02T10:00:00Z,\n"
                             ",,,,,y\n",
                             NULL);
    assert_int_equal(cairn_table_num_rows(t), 3);
    assert_int_equal(cairn_test_col_type(t, "b"), CAIRN_TYPE_BOOL);
    assert_int_equal(cairn_test_col_type(t, "i"), CAIRN_TYPE_INT64);
    assert_int_equal(cairn_test_col_type(t, "f"), CAIRN_TYPE_FLOAT64);
    assert_int_equal(cairn_test_col_type(t, "d"), CAIRN_TYPE_DATE32);
    assert_int_equal(cairn_test_col_type(t, "ts"), CAIRN_TYPE_TIMESTAMP);
    assert_int_equal(cairn_test_col_type(t, "s"), CAIRN_TYPE_STRING);
    assert_string_equal(cairn_test_cell(t, "b", 1), "false");
    assert_string_equal(cairn_test_cell(t, "i", 1), "-2");
    assert_string_equal(cairn_test_cell(t, "f", 1), "3.0");
    assert_string_equal(cairn_test_cell(t, "ts", 0), "2001-01-01T00:01:00Z");
    assert_string_equal(cairn_test_cell(t, "ts", 1), "2001-01-02T10:00:00Z");
    assert_string_equal(cairn_test_cell(t, "s", 1), "NULL");
    for (size_t c = 0; c < 6; c++) {
        assert_true(cairn_table_column(t, c)->nullable);
        assert_string_equal(cairn_test_cell(t, cairn_table_column(t, c)->name, 2),
                            c == 5 ? "y" : "NULL");
    }
    cairn_table_free(t);
}

static void test_quotes_newlines_crlf_bom(void **state)
{
    (void)state;
    const char *csv = "\xEF\xBB\xBF"
                      "name,\"note, with comma\"\r\n"
                      "\"a \"\"quoted\"\" word\",\"line1\r\nline2\nline3\"\r\n"
                      "\r\n"
                      "\n"
                      "plain,\"\"\r\n"
                      "\"\",x\r\n"
                      "last,\"no newline at end\"";
    cairn_table *t = read_ok(csv, NULL);
    assert_int_equal(cairn_table_num_rows(t), 4);
    assert_string_equal(cairn_table_column(t, 0)->name, "name");
    assert_string_equal(cairn_table_column(t, 1)->name, "note, with comma");
    assert_string_equal(cairn_test_cell(t, "name", 0), "a \"quoted\" word");
    assert_string_equal(cairn_test_cell(t, "note, with comma", 0), "line1\r\nline2\nline3");
    assert_string_equal(cairn_test_cell(t, "note, with comma", 1), ""); /* quoted empty: a string */
    assert_string_equal(cairn_test_cell(t, "name", 2), "");
    assert_string_equal(cairn_test_cell(t, "note, with comma", 3), "no newline at end");
    cairn_table_free(t);
}

static void test_nulls_and_null_text(void **state)
{
    (void)state;
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.null_text = "NA";
    cairn_table *t = read_ok("a,b\nNA,\"NA\"\n1,NA\n,x\n", &o);
    assert_int_equal(cairn_test_col_type(t, "a"), CAIRN_TYPE_INT64);
    assert_string_equal(cairn_test_cell(t, "a", 0), "NULL");
    assert_string_equal(cairn_test_cell(t, "b", 0), "NA"); /* quoted: the text, not null */
    assert_string_equal(cairn_test_cell(t, "b", 1), "NULL");
    assert_string_equal(cairn_test_cell(t, "a", 2), "NULL");
    assert_int_equal(cairn_table_column_by_name(t, "a")->null_count, 2);
    cairn_table_free(t);
}

static void test_no_header_and_options(void **state)
{
    (void)state;
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.no_header = true;
    o.delimiter = ';';
    o.quote = '\'';
    cairn_table *t = read_ok("1;'a;b'\n2;'it''s'\n", &o);
    assert_int_equal(cairn_table_num_rows(t), 2);
    assert_string_equal(cairn_table_column(t, 0)->name, "column1");
    assert_string_equal(cairn_table_column(t, 1)->name, "column2");
    assert_string_equal(cairn_test_cell(t, "column2", 0), "a;b");
    assert_string_equal(cairn_test_cell(t, "column2", 1), "it's");
    cairn_table_free(t);

    cairn_field fields[] = {{"x", CAIRN_TYPE_INT32, false}, {"y", CAIRN_TYPE_STRING, true}};
    cairn_read_options_init(&o);
    o.no_header = true;
    o.fields = fields;
    o.nfields = 2;
    t = read_ok("1,a\n2,b\n", &o);
    assert_int_equal(cairn_test_col_type(t, "x"), CAIRN_TYPE_INT32);
    assert_false(cairn_table_column(t, 0)->nullable);
    assert_string_equal(cairn_test_cell(t, "y", 1), "b");
    cairn_table_free(t);
}

static void test_header_names(void **state)
{
    (void)state;
    cairn_table *t = read_ok("a,,a,\"a\",a_1\n1,2,3,4,5\n", NULL);
    const char *want[] = {"a", "column2", "a_1", "a_2", "a_1_1"};
    for (size_t i = 0; i < 5; i++) assert_string_equal(cairn_table_column(t, i)->name, want[i]);
    cairn_table_free(t);
}

static void test_empty_inputs(void **state)
{
    (void)state;
    cairn_table *t = read_ok("", NULL);
    assert_int_equal(cairn_table_num_columns(t), 0);
    assert_int_equal(cairn_table_num_rows(t), 0);
    cairn_table_free(t);
    t = read_ok("\n\n", NULL);
    assert_int_equal(cairn_table_num_columns(t), 0);
    cairn_table_free(t);
    t = read_ok("a,b\n", NULL);
    assert_int_equal(cairn_table_num_columns(t), 2);
    assert_int_equal(cairn_table_num_rows(t), 0);
    assert_int_equal(cairn_test_col_type(t, "a"), CAIRN_TYPE_STRING);
    cairn_table_free(t);
    cairn_field fields[] = {{"n", CAIRN_TYPE_INT64, false}};
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.fields = fields;
    o.nfields = 1;
    t = read_ok("", &o);
    assert_int_equal(cairn_table_num_columns(t), 1);
    assert_int_equal(cairn_test_col_type(t, "n"), CAIRN_TYPE_INT64);
    cairn_table_free(t);
}

static void test_explicit_schema(void **state)
{
    (void)state;
    cairn_field fields[] = {{"when", CAIRN_TYPE_TIMESTAMP, false},
                            {"n", CAIRN_TYPE_INT32, true},
                            {"x", CAIRN_TYPE_FLOAT32, true},
                            {"s", CAIRN_TYPE_STRING, true},
                            {"d", CAIRN_TYPE_DATE32, true}};
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.fields = fields;
    o.nfields = 5;
    /* header in another order; output follows the schema */
    cairn_table *t = read_ok("s,d,x,n,when\n007,2001-05-01,0.1,12,2001-01-01 00:00:00\n", &o);
    assert_string_equal(cairn_table_column(t, 0)->name, "when");
    assert_string_equal(cairn_table_column(t, 3)->name, "s");
    assert_string_equal(cairn_test_cell(t, "s", 0), "007");
    assert_string_equal(cairn_test_cell(t, "n", 0), "12");
    assert_true(cairn_table_column_by_name(t, "x")->type == CAIRN_TYPE_FLOAT32);
    assert_true(((float *)cairn_table_column_by_name(t, "x")->values)[0] == 0.1f);
    assert_string_equal(cairn_test_cell(t, "d", 0), "2001-05-01");
    cairn_table_free(t);

    cairn_error e;
    assert_int_equal(read_err("when,n,x,s,d,extra\n", &o, &e), CAIRN_EPARSE);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 6, "extra", "not in the schema");
    o.ignore_unknown = true;
    t = read_ok("extra,when,n,x,s,d\nzz,2001-01-01,1,2,3,2001-01-01\n", &o);
    assert_int_equal(cairn_table_num_columns(t), 5);
    assert_string_equal(cairn_test_cell(t, "n", 0), "1");
    cairn_table_free(t);
    assert_int_equal(read_err("when,n,x,s\n", &o, &e), CAIRN_ENOTFOUND);
    assert_string_equal(e.field, "d");
    assert_non_null(strstr(e.message, "missing from the header"));
}

/* ------------------------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------------------------- */

static void test_error_field_count(void **state)
{
    (void)state;
    cairn_error e;
    read_err("a,b,c,d,e\n1,2,3,4,5\n1,2,3,4\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 3, 5, "e", "wrong number of fields");
    assert_string_equal(e.expected, "5 fields");
    assert_string_equal(e.found, "4");
    assert_int_equal(e.row, 1);
    read_err("a,b\n1,2,3\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 2, 3, "", "wrong number of fields");
    assert_string_equal(e.found, "3");
}

static void test_error_quotes(void **state)
{
    (void)state;
    cairn_error e;
    read_err("a,b\n1,\"never closed\n2,3\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 2, 2, "b", "unterminated quoted field");
    read_err("a,b\n1,2\n3,x\"y\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 3, 2, "b", "quote inside an unquoted field");
    read_err("a,b\n\"x\"y,2\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 2, 1, "a", "after a closing quote");
    assert_string_equal(e.found, "'y'");
    read_err("a,\"b\n", NULL, &e); /* in the header */
    assert_int_equal(e.code, CAIRN_EPARSE);
    assert_int_equal(e.line, 1);
    assert_int_equal(e.column, 2);
}

static void test_error_values(void **state)
{
    (void)state;
    cairn_field fields[] = {{"id", CAIRN_TYPE_INT64, false}, {"small", CAIRN_TYPE_INT32, true},
                            {"s", CAIRN_TYPE_STRING, true}};
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.fields = fields;
    o.nfields = 3;
    cairn_error e;
    read_err("id,small,s\n1,2,x\nabc,2,x\n", &o, &e);
    cairn_test_assert_error(&e, CAIRN_ETYPE, 3, 1, "id", "not a valid int64");
    assert_string_equal(e.expected, "int64");
    assert_string_equal(e.found, "'abc'");
    read_err("id,small,s\n1,99999999999,x\n", &o, &e);
    cairn_test_assert_error(&e, CAIRN_ERANGE, 2, 2, "small", "out of range for int32");
    read_err("id,small,s\n1,2,x\n,3,y\n", &o, &e);
    cairn_test_assert_error(&e, CAIRN_ETYPE, 3, 1, "id", "null in a non-nullable field");
    read_err("id,small,s\n1,2,ab\xff\n", &o, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 2, 3, "s", "invalid UTF-8");
    /* a quoted empty string is not null, and not an int64 either */
    read_err("id,small,s\n\"\",1,x\n", &o, &e);
    cairn_test_assert_error(&e, CAIRN_ETYPE, 2, 1, "id", "not a valid int64");
    assert_string_equal(e.found, "''");
}

static void test_physical_line_numbers(void **state)
{
    (void)state;
    const char *csv = "a,b\n"                    /* 1 */
                      "1,\"two\nlines\"\n"       /* 2-3 */
                      "\n"                       /* 4 */
                      "2,\"three\r\nmore\nlines\"\r\n" /* 5-7 */
                      "3,4,5\n"                  /* 8 */
                      "4,\"x\ny\"\"z\"\n"        /* 9-10 */
                      "5\n";                     /* 11 */
    bad_list bad = {0};
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.on_bad_row = collect;
    o.bad_row_ud = &bad;
    cairn_table *t = read_ok(csv, &o);
    assert_int_equal(cairn_table_num_rows(t), 3);
    assert_int_equal(bad.count, 2);
    cairn_test_assert_error(&bad.errs[0], CAIRN_EPARSE, 8, 3, "", "wrong number of fields");
    assert_int_equal(bad.errs[0].row, 2);
    assert_string_equal(bad.raws[0], "3,4,5");
    cairn_test_assert_error(&bad.errs[1], CAIRN_EPARSE, 11, 2, "b", "wrong number of fields");
    assert_int_equal(bad.errs[1].row, 4);
    assert_string_equal(cairn_test_cell(t, "b", 2), "x\ny\"z");
    cairn_table_free(t);
    cairn_error e;
    read_err(csv, NULL, &e);
    assert_int_equal(e.line, 8);
}

static void test_bad_row_callback(void **state)
{
    (void)state;
    const char *csv = "a,b\n1,2\nx\"y,3\n4\n5,6\n\"q\"z,7\n8,9\n10,\"open\n11,12\n";
    bad_list bad = {0};
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.on_bad_row = collect;
    o.bad_row_ud = &bad;
    cairn_table *t = read_ok(csv, &o);
    assert_int_equal(cairn_table_num_rows(t), 3);
    assert_string_equal(cairn_test_cell(t, "a", 0), "1");
    assert_string_equal(cairn_test_cell(t, "a", 1), "5");
    assert_string_equal(cairn_test_cell(t, "a", 2), "8");
    assert_int_equal(bad.count, 4);
    cairn_test_assert_error(&bad.errs[0], CAIRN_EPARSE, 3, 1, "a", "quote inside");
    assert_string_equal(bad.raws[0], "x\"y,3");
    cairn_test_assert_error(&bad.errs[1], CAIRN_EPARSE, 4, 2, "b", "wrong number");
    cairn_test_assert_error(&bad.errs[2], CAIRN_EPARSE, 6, 1, "a", "after a closing quote");
    cairn_test_assert_error(&bad.errs[3], CAIRN_EPARSE, 8, 2, "b", "unterminated");
    assert_string_equal(bad.raws[3], "10,\"open\n11,12");
    for (int i = 0; i < 4; i++) assert_string_equal(bad.errs[i].file, "t.csv");
    cairn_table_free(t);

    /* Returning false stops the read with that row's error. */
    bad_list stop = {.stop_after = 2};
    o.bad_row_ud = &stop;
    cairn_error e;
    read_err(csv, &o, &e);
    assert_int_equal(stop.count, 2);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 4, 2, "b", "wrong number");
}

/* ------------------------------------------------------------------------------------------
 * Widening, max_rows, progress
 * ---------------------------------------------------------------------------------------- */

static void test_widening_reparse(void **state)
{
    (void)state;
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.infer_rows = 2;
    cairn_table *t = read_ok("i,f,s,d,b\n"
                             "1,1,1,2001-01-01,true\n"
                             "2,2,2,2001-01-02,false\n"
                             "3,2.5,x,2001-01-03 04:05:06,maybe\n"
                             "4,1e3,4,,true\n",
                             &o);
    assert_int_equal(cairn_test_col_type(t, "i"), CAIRN_TYPE_INT64);
    assert_int_equal(cairn_test_col_type(t, "f"), CAIRN_TYPE_FLOAT64);
    assert_int_equal(cairn_test_col_type(t, "s"), CAIRN_TYPE_STRING);
    assert_int_equal(cairn_test_col_type(t, "d"), CAIRN_TYPE_TIMESTAMP);
    assert_int_equal(cairn_test_col_type(t, "b"), CAIRN_TYPE_STRING);
    assert_string_equal(cairn_test_cell(t, "f", 0), "1.0");
    assert_string_equal(cairn_test_cell(t, "f", 3), "1000.0");
    assert_string_equal(cairn_test_cell(t, "s", 0), "1");
    assert_string_equal(cairn_test_cell(t, "d", 0), "2001-01-01T00:00:00Z");
    assert_string_equal(cairn_test_cell(t, "d", 2), "2001-01-03T04:05:06Z");
    assert_string_equal(cairn_test_cell(t, "b", 2), "maybe");
    assert_string_equal(cairn_test_cell(t, "b", 0), "true");
    cairn_table_free(t);
}

static void test_max_rows(void **state)
{
    (void)state;
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.max_rows = 2;
    /* Rows past the limit are never looked at: their errors do not matter. */
    cairn_table *t = read_ok("a,b\n1,x\n2,y\n3\n\"broken\n", &o);
    assert_int_equal(cairn_table_num_rows(t), 2);
    assert_string_equal(cairn_test_cell(t, "b", 1), "y");
    cairn_table_free(t);
    /* Bad rows before the limit are reported and do not count. */
    bad_list bad = {0};
    o.on_bad_row = collect;
    o.bad_row_ud = &bad;
    t = read_ok("a,b\n1,x\n9\n2,y\n3,z\n", &o);
    assert_int_equal(cairn_table_num_rows(t), 2);
    assert_int_equal(bad.count, 1);
    cairn_table_free(t);
}

typedef struct progress_state {
    int calls;
    int64_t last;
    bool cancel;
} progress_state;

static bool on_progress(void *ud, const char *stage, int64_t done, int64_t total)
{
    progress_state *p = ud;
    (void)stage;
    p->calls++;
    assert_true(done <= total);
    p->last = done;
    return !p->cancel;
}

static char *big_csv(size_t rows, bool awkward, size_t *len);

static void test_progress_and_cancel(void **state)
{
    (void)state;
    size_t len;
    char *csv = big_csv(200000, false, &len);
    progress_state ps = {0};
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.progress = on_progress;
    o.progress_ud = &ps;
    cairn_table *t = NULL;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_csv_read(csv, len, "big.csv", &o, &t, &e), &e);
    assert_true(ps.calls > 0);
    assert_int_equal(ps.last, (int64_t)len);
    cairn_table_free(t);
    ps.cancel = true;
    o.threads = 1;
    assert_int_equal(cairn_csv_read(csv, len, "big.csv", &o, &t, &e), CAIRN_ECANCELED);
    cairn_free(csv);
}

static void test_read_file_tsv(void **state)
{
    (void)state;
    const char *dir = cairn_test_tmpdir("csvread");
    char path[4096];
    snprintf(path, sizeof path, "%s/x.TSV", dir);
    cairn_test_write_file(path, "a\tb\n1\thello, world\n", 19);
    cairn_table *t = NULL;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_csv_read_file(path, NULL, &t, &e), &e);
    assert_string_equal(cairn_test_cell(t, "b", 0), "hello, world");
    cairn_table_free(t);
    snprintf(path, sizeof path, "%s/missing.csv", dir);
    assert_int_not_equal(cairn_csv_read_file(path, NULL, &t, &e), 0);
    cairn_test_rmtree(dir);
}

static void test_wide_rows(void **state)
{
    (void)state;
    cairn_buf b;
    cairn_buf_init(&b, 0);
    for (int r = 0; r < 4; r++) {
        for (int c = 0; c < 300; c++) {
            if (c) cairn_buf_putc(&b, ',');
            if (r == 0) cairn_buf_printf(&b, "c%d", c);
            else cairn_buf_printf(&b, "%d", r * 1000 + c);
        }
        cairn_buf_putc(&b, '\n');
    }
    cairn_table *t = read_ok(b.data, NULL);
    assert_int_equal(cairn_table_num_columns(t), 300);
    assert_int_equal(cairn_table_num_rows(t), 3);
    assert_string_equal(cairn_test_cell(t, "c299", 2), "3299");
    cairn_table_free(t);
    cairn_buf_release(&b);
}

/* ------------------------------------------------------------------------------------------
 * Parallel = sequential
 * ---------------------------------------------------------------------------------------- */

static void read_both(const char *csv, size_t len, cairn_read_options *o, bool with_callback)
{
    bad_list b1 = {0}, b2 = {0};
    cairn_table *t1 = NULL, *t2 = NULL;
    cairn_error e1, e2;
    cairn_error_clear(&e1);
    cairn_error_clear(&e2);
    o->on_bad_row = with_callback ? collect : NULL;
    o->threads = 1;
    o->bad_row_ud = &b1;
    int rc1 = cairn_csv_read(csv, len, "p.csv", o, &t1, &e1);
    o->threads = 2;
    o->bad_row_ud = &b2;
    int rc2 = cairn_csv_read(csv, len, "p.csv", o, &t2, &e2);
    assert_int_equal(rc1, rc2);
    if (rc1 == 0) {
        assert_same_table(t1, t2);
    } else {
        char x[1024], y[1024];
        cairn_error_format(&e1, x, sizeof x);
        cairn_error_format(&e2, y, sizeof y);
        assert_string_equal(x, y);
        assert_int_equal(e1.row, e2.row);
    }
    assert_same_errors(&b1, &b2);
    cairn_table_free(t1);
    cairn_table_free(t2);
}

static const char *const awkward_inputs[] = {
    "a,b,c\n1,\"x\ny\",3\n4,5,6\n7,\"8\"\"\n\",9\n10,11,12\n13,14\n15,16,17\n",
    "a,b\n1,x\"y\n2,3\n\"4\",\"5\n6\"\n7,8\n",
    "a,b\n1,\"unterminated\n2,3\n4,5\n6,7\n",
    "a,b\n1,\"x\"y\n2,\"3\n4\",5\n6,7\n\"8\",\"9\"\n",
    "a,b\n\"\"\"\",\"\n\n\"\n\n\n1,2\r\n3,\"\r\n\"\r\n",
    "a\n\"\n\"\n\"\"\"\n\"\n\"x\"\n\"\n\"\n",
    "a,b\n1,2\n\"\n3,4\n5,6\n7,\"8\n",
};

static void test_parallel_awkward_small_chunks(void **state)
{
    (void)state;
    size_t saved = cairn__tr_min_chunk_bytes;
    cairn__tr_min_chunk_bytes = 4;
    for (size_t i = 0; i < sizeof awkward_inputs / sizeof *awkward_inputs; i++) {
        /* good rows first, so that the first quote error falls in a later chunk; then the
         * input repeated so that it spans many chunks */
        cairn_buf b;
        cairn_buf_init(&b, 0);
        const char *body = strchr(awkward_inputs[i], '\n') + 1;
        cairn_buf_append(&b, awkward_inputs[i], (size_t)(body - awkward_inputs[i]));
        for (int k = 0; k < 40 * (int)(i % 3); k++) {
            for (const char *h = awkward_inputs[i]; *h != '\n'; h++)
                cairn_buf_putc(&b, *h == ',' ? ',' : '1');
            cairn_buf_putc(&b, '\n');
        }
        for (int k = 0; k < 20; k++) cairn_buf_puts(&b, body);
        cairn_read_options o;
        cairn_read_options_init(&o);
        read_both(b.data, b.len, &o, true);
        read_both(b.data, b.len, &o, false);
        cairn_buf_release(&b);
    }
    cairn__tr_min_chunk_bytes = saved;
}

/* A generated CSV: ids, quoted text with commas, quotes and newlines, nulls, floats,
 * timestamps; with `awkward`, some malformed rows too. */
static char *big_csv(size_t rows, bool awkward, size_t *len)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    cairn_buf_puts(&b, "id,text,x,when,flag\n");
    srand(7);
    for (size_t i = 0; i < rows; i++) {
        int k = rand() % 100;
        cairn_buf_printf(&b, "%zu,", i);
        if (k < 10) cairn_buf_printf(&b, "\"multi\nline, \"\"%d\"\"\"", k);
        else if (k < 15) cairn_buf_puts(&b, "");
        else cairn_buf_printf(&b, "word%d", k);
        if (awkward && k == 52 && i % 5 == 0) cairn_buf_puts(&b, ",n/a");
        else cairn_buf_printf(&b, ",%d.%d", k, (int)(i % 10));
        cairn_buf_printf(&b, ",2001-01-%02d %02d:00:00,%s", 1 + k % 28, k % 24,
                         k % 2 ? "true" : "false");
        if (awkward && k == 50) cairn_buf_puts(&b, ",extra");
        if (awkward && k == 51 && i % 7 == 0) cairn_buf_puts(&b, "\"stray");
        cairn_buf_puts(&b, k % 3 ? "\n" : "\r\n");
        if (k == 77) cairn_buf_puts(&b, "\n");
    }
    return cairn_buf_detach(&b, len);
}

static void test_parallel_equals_sequential_big(void **state)
{
    (void)state;
    size_t len;
    char *csv = big_csv(150000, false, &len);
    assert_true(len > cairn__tr_min_chunk_bytes);
    cairn_read_options o;
    cairn_read_options_init(&o);
    read_both(csv, len, &o, false);
    cairn_table *t = read_ok(csv, NULL);
    assert_int_equal(cairn_table_num_rows(t), 150000);
    assert_int_equal(cairn_test_col_type(t, "when"), CAIRN_TYPE_TIMESTAMP);
    assert_int_equal(cairn_test_col_type(t, "flag"), CAIRN_TYPE_BOOL);
    assert_int_equal(cairn_test_col_type(t, "x"), CAIRN_TYPE_FLOAT64);
    cairn_table_free(t);
    cairn_free(csv);

    csv = big_csv(150000, true, &len);
    read_both(csv, len, &o, true);
    read_both(csv, len, &o, false);
    o.infer_rows = 10; /* widening in the middle of chunks */
    read_both(csv, len, &o, true);
    cairn_free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inference),
        cmocka_unit_test(test_quotes_newlines_crlf_bom),
        cmocka_unit_test(test_nulls_and_null_text),
        cmocka_unit_test(test_no_header_and_options),
        cmocka_unit_test(test_header_names),
        cmocka_unit_test(test_empty_inputs),
        cmocka_unit_test(test_explicit_schema),
        cmocka_unit_test(test_error_field_count),
        cmocka_unit_test(test_error_quotes),
        cmocka_unit_test(test_error_values),
        cmocka_unit_test(test_physical_line_numbers),
        cmocka_unit_test(test_bad_row_callback),
        cmocka_unit_test(test_widening_reparse),
        cmocka_unit_test(test_max_rows),
        cmocka_unit_test(test_progress_and_cancel),
        cmocka_unit_test(test_read_file_tsv),
        cmocka_unit_test(test_wide_rows),
        cmocka_unit_test(test_parallel_awkward_small_chunks),
        cmocka_unit_test(test_parallel_equals_sequential_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
