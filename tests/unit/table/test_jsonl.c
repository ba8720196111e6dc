#include "testutil.h"

/* tests/unit/table/test_jsonl.c: the JSON Lines reader and writer (src/table/jsonl.c):
 * inference over the union of keys, nested values as text, explicit schemas, every error
 * kind with line and character column, bad-row callbacks, widening and new keys after the
 * sample, the parallel path against the sequential one, and the writer's round trip. */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "table/convert.h"

typedef struct bad_list {
    int count;
    cairn_error errs[32];
    char raws[32][256];
} bad_list;

static bool collect(void *ud, const cairn_error *err, const char *raw, size_t raw_len)
{
    bad_list *b = ud;
    if (b->count < 32) {
        b->errs[b->count] = *err;
        size_t n = raw_len < 255 ? raw_len : 255;
        memcpy(b->raws[b->count], raw, n);
        b->raws[b->count][n] = '\0';
    }
    b->count++;
    return true;
}

static cairn_table *read_ok(const char *text, const cairn_read_options *opts)
{
    cairn_table *t = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_jsonl_read(text, strlen(text), "t.jsonl", opts, &t, &err), &err);
    return t;
}

static void read_err(const char *text, const cairn_read_options *opts, cairn_error *err)
{
    cairn_table *t = NULL;
    cairn_error_clear(err);
    assert_int_not_equal(cairn_jsonl_read(text, strlen(text), "t.jsonl", opts, &t, err), 0);
    assert_null(t);
}

static void test_inference(void **state)
{
    (void)state;
    cairn_table *t = read_ok(
        "{\"a\": 1, \"b\": \"x\", \"nest\": [1, {\"d\": 2}], \"ts\": \"2001-01-01T00:01:00Z\"}\n"
        "\n"
        "  \r\n"
        "{\"b\": \"y\\u00e9\\\"\\ud83d\\ude00\", \"a\": 2, \"flag\": true, \"day\": \"2001-05-01\"}\r\n"
        "{\"a\": null, \"f\": 1, \"nest\": {}, \"ts\": \"2001-01-02\"}\n"
        "{\"f\": 2.5, \"big\": 12345678901234567890}",
        NULL);
    assert_int_equal(cairn_table_num_rows(t), 4);
    const char *order[] = {"a", "b", "nest", "ts", "flag", "day", "f", "big"};
    assert_int_equal(cairn_table_num_columns(t), 8);
    for (size_t i = 0; i < 8; i++) assert_string_equal(cairn_table_column(t, i)->name, order[i]);
    assert_int_equal(cairn_test_col_type(t, "a"), CAIRN_TYPE_INT64);
    assert_int_equal(cairn_test_col_type(t, "b"), CAIRN_TYPE_STRING);
    assert_int_equal(cairn_test_col_type(t, "nest"), CAIRN_TYPE_STRING);
    assert_int_equal(cairn_test_col_type(t, "ts"), CAIRN_TYPE_TIMESTAMP);
    assert_int_equal(cairn_test_col_type(t, "flag"), CAIRN_TYPE_BOOL);
    assert_int_equal(cairn_test_col_type(t, "day"), CAIRN_TYPE_DATE32);
    assert_int_equal(cairn_test_col_type(t, "f"), CAIRN_TYPE_FLOAT64);
    assert_int_equal(cairn_test_col_type(t, "big"), CAIRN_TYPE_FLOAT64);
    assert_string_equal(cairn_test_cell(t, "nest", 0), "[1, {\"d\": 2}]");
    assert_string_equal(cairn_test_cell(t, "nest", 2), "{}");
    assert_string_equal(cairn_test_cell(t, "b", 1), "y\xc3\xa9\"\xf0\x9f\x98\x80");
    assert_string_equal(cairn_test_cell(t, "a", 2), "NULL");
    assert_string_equal(cairn_test_cell(t, "flag", 0), "NULL"); /* missing key */
    assert_string_equal(cairn_test_cell(t, "ts", 2), "2001-01-02T00:00:00Z");
    assert_string_equal(cairn_test_cell(t, "f", 2), "1.0");
    cairn_table_free(t);
}

static void test_widening_and_new_keys(void **state)
{
    (void)state;
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.infer_rows = 1;
    cairn_table *t = read_ok("{\"n\": 1, \"s\": \"2001-01-01\"}\n"
                             "{\"n\": 2.5, \"s\": \"2001-01-01 10:00:00\", \"late\": [1]}\n"
                             "{\"n\": 3, \"s\": \"hello\", \"mixed\": 1}\n"
                             "{\"mixed\": \"one\", \"n\": true}\n",
                             &o);
    assert_int_equal(cairn_table_num_columns(t), 4);
    assert_string_equal(cairn_table_column(t, 2)->name, "late");
    assert_string_equal(cairn_table_column(t, 3)->name, "mixed");
    assert_int_equal(cairn_test_col_type(t, "n"), CAIRN_TYPE_STRING); /* number + bool */
    assert_string_equal(cairn_test_cell(t, "n", 0), "1");
    assert_string_equal(cairn_test_cell(t, "n", 1), "2.5");
    assert_string_equal(cairn_test_cell(t, "n", 3), "true");
    assert_int_equal(cairn_test_col_type(t, "s"), CAIRN_TYPE_STRING);
    assert_string_equal(cairn_test_cell(t, "s", 0), "2001-01-01");
    assert_string_equal(cairn_test_cell(t, "late", 1), "[1]");
    assert_string_equal(cairn_test_cell(t, "mixed", 2), "1");
    assert_string_equal(cairn_test_cell(t, "mixed", 3), "one");
    cairn_table_free(t);
}

/* strings_as_text: "42" reads as a number where the field is one; text that does not parse
 * is still a type error naming the field. */
static void test_strings_as_text(void **state)
{
    (void)state;
    cairn_field fields[] = {{"id", CAIRN_TYPE_INT64, false},
                            {"x", CAIRN_TYPE_FLOAT32, true},
                            {"ok", CAIRN_TYPE_BOOL, true},
                            {"n", CAIRN_TYPE_INT32, true},
                            {"s", CAIRN_TYPE_STRING, true}};
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.fields = fields;
    o.nfields = 5;
    o.strings_as_text = true;
    cairn_table *t = read_ok("{\"id\": \"7\", \"x\": \"0.1\", \"ok\": \"true\", \"n\": \"-3\", \"s\": \"42\"}\n"
                             "{\"id\": 8, \"x\": \"2\", \"ok\": false}\n",
                             &o);
    assert_string_equal(cairn_test_cell(t, "id", 0), "7");
    assert_true(((float *)cairn_table_column_by_name(t, "x")->values)[0] == 0.1f);
    assert_true(((float *)cairn_table_column_by_name(t, "x")->values)[1] == 2.0f);
    assert_string_equal(cairn_test_cell(t, "ok", 0), "true");
    assert_string_equal(cairn_test_cell(t, "n", 0), "-3");
    assert_string_equal(cairn_test_cell(t, "s", 0), "42");
    cairn_table_free(t);
    cairn_error e;
    read_err("{\"id\": \"seven\"}\n", &o, &e);
    cairn_test_assert_error(&e, CAIRN_ETYPE, 1, 8, "id", "expected int64, found string");
}

static void test_explicit_schema(void **state)
{
    (void)state;
    cairn_field fields[] = {{"id", CAIRN_TYPE_INT64, false},
                            {"x", CAIRN_TYPE_FLOAT32, true},
                            {"when", CAIRN_TYPE_TIMESTAMP, true},
                            {"tags", CAIRN_TYPE_STRING, true},
                            {"small", CAIRN_TYPE_INT32, true}};
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.fields = fields;
    o.nfields = 5;
    cairn_table *t = read_ok("{\"tags\": [\"a\"], \"id\": 7, \"x\": 1, \"when\": \"2001-01-01 00:01:00\"}\n"
                             "{\"id\": 8, \"x\": 0.1}\n",
                             &o);
    assert_string_equal(cairn_table_column(t, 0)->name, "id");
    assert_string_equal(cairn_test_cell(t, "tags", 0), "[\"a\"]");
    assert_string_equal(cairn_test_cell(t, "when", 0), "2001-01-01T00:01:00Z");
    assert_true(((float *)cairn_table_column_by_name(t, "x")->values)[1] == 0.1f);
    assert_string_equal(cairn_test_cell(t, "when", 1), "NULL");
    cairn_table_free(t);

    cairn_error e;
    read_err("{\"id\": 1}\n{\"id\": 2, \"zzz\": 3}\n", &o, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 2, 11, "zzz", "not in the schema");
    o.ignore_unknown = true;
    t = read_ok("{\"id\": 2, \"zzz\": 3}\n", &o);
    assert_int_equal(cairn_table_num_columns(t), 5);
    cairn_table_free(t);
    read_err("{\"id\": \"7\"}\n", &o, &e);
    cairn_test_assert_error(&e, CAIRN_ETYPE, 1, 8, "id", "expected int64, found string");
    assert_string_equal(e.found, "'\"7\"'");
    read_err("{\"id\": 1.5}\n", &o, &e);
    cairn_test_assert_error(&e, CAIRN_ETYPE, 1, 8, "id", "expected int64, found number");
    read_err("{\"id\": 1, \"small\": 3000000000}\n", &o, &e);
    cairn_test_assert_error(&e, CAIRN_ERANGE, 1, 20, "small", "out of range for int32");
    read_err("{\"id\": 1, \"when\": \"noon\"}\n", &o, &e);
    cairn_test_assert_error(&e, CAIRN_ETYPE, 1, 19, "when", "expected timestamp");
    read_err("{\"id\": 1, \"tags\": 5}\n", &o, &e);
    cairn_test_assert_error(&e, CAIRN_ETYPE, 1, 19, "tags", "expected string, found integer");
    read_err("{\"x\": 1}\n", &o, &e);
    cairn_test_assert_error(&e, CAIRN_ETYPE, 1, 0, "id", "missing key");
    read_err("{\"id\": null}\n", &o, &e);
    cairn_test_assert_error(&e, CAIRN_ETYPE, 1, 8, "id", "null in a non-nullable");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    cairn_error e;
    /* character columns count code points: "é" is one */
    read_err("{\"a\": 1}\n{\"\xc3\xa9\": 1, \"b\" 2}\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 2, 14, "", "expected ':' after a key");
    read_err("{\"a\": 1,}\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 9, "", "expected a string key");
    read_err("{\"a\": tru}\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 7, "", "invalid literal");
    read_err("{\"a\": 01}\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 8, "", "expected ',' or '}'");
    read_err("{\"a\": \"x\\q\"}\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 9, "", "invalid escape");
    read_err("{\"a\": \"\\ud800\"}\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 8, "", "surrogate");
    read_err("{\"a\": \"tab\there\"}\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 11, "", "control character");
    read_err("{\"a\": \"\xff\"}\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 8, "", "invalid UTF-8");
    read_err("{\"a\": 1} {}\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 10, "", "unexpected text after the object");
    read_err("{\"a\": [1, 2}\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 12, "", "expected ',' or ']'");
    read_err("{\"a\": \"open\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 7, "", "unterminated string");
    read_err("{\"a\": 1e999}\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 7, "", "out of range");
    read_err("[1, 2]\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 1, "", "one JSON object");
    assert_string_equal(e.found, "array");
    read_err("{\"a\": 1, \"a\": 2}\n", NULL, &e);
    cairn_test_assert_error(&e, CAIRN_EPARSE, 1, 10, "a", "duplicate key");
    /* deep nesting is refused, not a stack overflow */
    char deep[2100];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof deep, "{\"a\": ");
    for (int i = 0; i < 1000; i++) deep[n++] = '[';
    deep[n++] = '\n';
    deep[n] = '\0';
    read_err(deep, NULL, &e);
    assert_non_null(strstr(e.message, "nesting too deep"));
}

static void test_bad_rows_collected(void **state)
{
    (void)state;
    bad_list bad = {0};
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.on_bad_row = collect;
    o.bad_row_ud = &bad;
    cairn_table *t = read_ok("{\"a\": 1}\n{oops}\n\n{\"a\": 2}\n\"str\"\n{\"a\": 3}\r\n", &o);
    assert_int_equal(cairn_table_num_rows(t), 3);
    assert_string_equal(cairn_test_cell(t, "a", 2), "3");
    assert_int_equal(bad.count, 2);
    cairn_test_assert_error(&bad.errs[0], CAIRN_EPARSE, 2, 2, "", "expected a string key");
    assert_string_equal(bad.raws[0], "{oops}");
    assert_int_equal(bad.errs[0].row, 1);
    cairn_test_assert_error(&bad.errs[1], CAIRN_EPARSE, 5, 1, "", "one JSON object");
    assert_int_equal(bad.errs[1].row, 3);
    cairn_table_free(t);
}

static void test_max_rows(void **state)
{
    (void)state;
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.max_rows = 2;
    cairn_table *t = read_ok("{\"a\": 1}\n{\"a\": 2}\n{broken\n", &o);
    assert_int_equal(cairn_table_num_rows(t), 2);
    cairn_table_free(t);
}

static void test_writer(void **state)
{
    (void)state;
    cairn_table *t;
    cairn_column *c[6];
    assert_int_equal(cairn_table_create(&t), 0);
    assert_int_equal(cairn_table_add_column(t, "s", CAIRN_TYPE_STRING, true, &c[0]), 0);
    assert_int_equal(cairn_table_add_column(t, "f", CAIRN_TYPE_FLOAT64, true, &c[1]), 0);
    assert_int_equal(cairn_table_add_column(t, "i", CAIRN_TYPE_INT64, true, &c[2]), 0);
    assert_int_equal(cairn_table_add_column(t, "ts", CAIRN_TYPE_TIMESTAMP, true, &c[3]), 0);
    assert_int_equal(cairn_table_add_column(t, "d", CAIRN_TYPE_DATE32, true, &c[4]), 0);
    assert_int_equal(cairn_table_add_column(t, "b", CAIRN_TYPE_BOOL, true, &c[5]), 0);
    assert_int_equal(cairn_column_append_string(c[0], "q\"\n\\\x01\xc3\xa9", 7), 0);
    assert_int_equal(cairn_column_append_float64(c[1], 0.1), 0);
    assert_int_equal(cairn_column_append_int64(c[2], INT64_MIN), 0);
    assert_int_equal(cairn_column_append_int64(c[3], INT64_C(978307260000000)), 0);
    assert_int_equal(cairn_column_append_int32(c[4], 11323), 0);
    assert_int_equal(cairn_column_append_bool(c[5], true), 0);
    assert_int_equal(cairn_column_append_null(c[0]), 0);
    assert_int_equal(cairn_column_append_float64(c[1], NAN), 0);
    assert_int_equal(cairn_column_append_null(c[2]), 0);
    assert_int_equal(cairn_column_append_null(c[3]), 0);
    assert_int_equal(cairn_column_append_null(c[4]), 0);
    assert_int_equal(cairn_column_append_bool(c[5], false), 0);
    cairn_buf out;
    cairn_buf_init(&out, 0);
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_jsonl_write(t, NULL, &out, &e), &e);
    const char *want =
        "{\"s\":\"q\\\"\\n\\\\\\u0001\xc3\xa9\",\"f\":0.1,\"i\":-9223372036854775808,"
        "\"ts\":\"2001-01-01T00:01:00Z\",\"d\":\"2001-01-01\",\"b\":true}\n"
        "{\"s\":null,\"f\":null,\"i\":null,\"ts\":null,\"d\":null,\"b\":false}\n";
    assert_string_equal(out.data, want);
    /* round trip with the same schema */
    cairn_field fields[] = {{"s", CAIRN_TYPE_STRING, true},     {"f", CAIRN_TYPE_FLOAT64, true},
                            {"i", CAIRN_TYPE_INT64, true},      {"ts", CAIRN_TYPE_TIMESTAMP, true},
                            {"d", CAIRN_TYPE_DATE32, true},     {"b", CAIRN_TYPE_BOOL, true}};
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.fields = fields;
    o.nfields = 6;
    cairn_table *back = read_ok(out.data, &o);
    assert_string_equal(cairn_test_cell(back, "s", 0), "q\"\n\\\x01\xc3\xa9");
    assert_string_equal(cairn_test_cell(back, "i", 0), "-9223372036854775808");
    assert_string_equal(cairn_test_cell(back, "ts", 0), "2001-01-01T00:01:00Z");
    assert_string_equal(cairn_test_cell(back, "f", 1), "NULL");
    cairn_table_free(back);
    /* inferred: the ISO strings come back as timestamp and date */
    back = read_ok(out.data, NULL);
    assert_int_equal(cairn_test_col_type(back, "ts"), CAIRN_TYPE_TIMESTAMP);
    assert_int_equal(cairn_test_col_type(back, "d"), CAIRN_TYPE_DATE32);
    assert_int_equal(cairn_test_col_type(back, "i"), CAIRN_TYPE_INT64);
    cairn_table_free(back);

    const char *dir = cairn_test_tmpdir("jsonl");
    char path[4096];
    snprintf(path, sizeof path, "%s/out.jsonl", dir);
    CAIRN_ASSERT_OK(cairn_jsonl_write_file(t, path, NULL, &e), &e);
    cairn_buf raw;
    cairn_buf_init(&raw, 0);
    CAIRN_ASSERT_OK(cairn_file_read(path, &raw, 0, &e), &e);
    assert_string_equal(raw.data, want);
    CAIRN_ASSERT_OK(cairn_jsonl_read_file(path, &o, &back, &e), &e);
    assert_int_equal(cairn_table_num_rows(back), 2);
    cairn_table_free(back);
    cairn_buf_release(&raw);
    cairn_test_rmtree(dir);
    cairn_buf_release(&out);
    cairn_table_free(t);
}

static void test_parallel_equals_sequential(void **state)
{
    (void)state;
    cairn_buf b;
    cairn_buf_init(&b, 0);
    for (int i = 0; i < 120000; i++) {
        int k = (i * 7919) % 100;
        if (k == 13) cairn_buf_puts(&b, "{\"broken\n");
        else if (k == 14) cairn_buf_puts(&b, "\n");
        else if (k == 15 && i > 60000) cairn_buf_printf(&b, "{\"id\": %d, \"late\": \"x\"}\n", i);
        else if (k == 16) cairn_buf_printf(&b, "{\"id\": %d, \"v\": %d.5}\n", i, k);
        else cairn_buf_printf(&b, "{\"id\": %d, \"v\": %d, \"s\": \"w\\u00e9%d\", \"n\": [%d]}\n", i, k, k, k);
    }
    assert_true(b.len > cairn__tr_min_chunk_bytes);
    for (int mode = 0; mode < 2; mode++) {
        bad_list b1 = {0}, b2 = {0};
        cairn_read_options o;
        cairn_read_options_init(&o);
        o.infer_rows = 100;
        o.on_bad_row = mode ? collect : NULL;
        o.threads = 1;
        o.bad_row_ud = &b1;
        cairn_table *t1 = NULL, *t2 = NULL;
        cairn_error e1, e2;
        int rc1 = cairn_jsonl_read(b.data, b.len, "p.jsonl", &o, &t1, &e1);
        o.threads = 2;
        o.bad_row_ud = &b2;
        int rc2 = cairn_jsonl_read(b.data, b.len, "p.jsonl", &o, &t2, &e2);
        assert_int_equal(rc1, rc2);
        assert_int_equal(b1.count, b2.count);
        for (int i = 0; i < b1.count && i < 32; i++) {
            assert_int_equal(b1.errs[i].line, b2.errs[i].line);
            assert_int_equal(b1.errs[i].row, b2.errs[i].row);
            assert_string_equal(b1.raws[i], b2.raws[i]);
        }
        if (rc1) {
            assert_int_equal(e1.line, e2.line);
            assert_int_equal(e1.column, e2.column);
            continue;
        }
        assert_int_equal(cairn_table_num_columns(t1), 5);
        assert_int_equal(cairn_test_col_type(t1, "v"), CAIRN_TYPE_FLOAT64);
        assert_int_equal(cairn_table_num_rows(t1), cairn_table_num_rows(t2));
        cairn_buf w1, w2;
        cairn_buf_init(&w1, 0);
        cairn_buf_init(&w2, 0);
        CAIRN_ASSERT_OK(cairn_jsonl_write(t1, NULL, &w1, &e1), &e1);
        CAIRN_ASSERT_OK(cairn_jsonl_write(t2, NULL, &w2, &e2), &e2);
        assert_int_equal(w1.len, w2.len);
        assert_memory_equal(w1.data, w2.data, w1.len);
        cairn_buf_release(&w1);
        cairn_buf_release(&w2);
        cairn_table_free(t1);
        cairn_table_free(t2);
    }
    cairn_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inference),
        cmocka_unit_test(test_widening_and_new_keys),
        cmocka_unit_test(test_explicit_schema),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_bad_rows_collected),
        cmocka_unit_test(test_max_rows),
        cmocka_unit_test(test_strings_as_text),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_parallel_equals_sequential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
