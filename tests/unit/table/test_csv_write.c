#include "testutil.h"

/* tests/unit/table/test_csv_write.c: the CSV writer (src/table/csv_write.c), round trips
 * through the reader, the atomic file write, and the table of file formats
 * (src/table/format.c). */

#include <dirent.h>
#include <stdio.h>
#include <string.h>

/* A table with one column of each type and awkward values. */
static cairn_table *sample_table(void)
{
    cairn_table *t;
    cairn_column *c[6];
    const char *names[] = {"s", "i", "f", "b", "ts", "d"};
    const cairn_type types[] = {CAIRN_TYPE_STRING, CAIRN_TYPE_INT64, CAIRN_TYPE_FLOAT64,
                                CAIRN_TYPE_BOOL, CAIRN_TYPE_TIMESTAMP, CAIRN_TYPE_DATE32};
    assert_int_equal(cairn_table_create(&t), 0);
    for (int k = 0; k < 6; k++)
        assert_int_equal(cairn_table_add_column(t, names[k], types[k], true, &c[k]), 0);
    const char *strs[] = {"plain", "with,comma", "with \"quote\"", "two\nlines", "", " lead",
                          "trail ", "NA", "cr\rhere", "caf\xc3\xa9"};
    const double fs[] = {0.1, 1.0 / 3, -2.5e-300, 1e21, 0, 7, 123456.789, 2.0, 1e-7, -0.5, 3};
    for (int i = 0; i < 11; i++) {
        if (i < 10) assert_int_equal(cairn_column_append_string(c[0], strs[i], strlen(strs[i])), 0);
        else assert_int_equal(cairn_column_append_null(c[0]), 0);
        if (i == 3) assert_int_equal(cairn_column_append_null(c[1]), 0);
        else assert_int_equal(cairn_column_append_int64(c[1], (int64_t)i * -1000000007), 0);
        assert_int_equal(cairn_column_append_float64(c[2], fs[i]), 0);
        assert_int_equal(cairn_column_append_bool(c[3], i % 3 == 0), 0);
        assert_int_equal(cairn_column_append_int64(c[4], INT64_C(978307260000000) + i * INT64_C(1500000)), 0);
        assert_int_equal(cairn_column_append_int32(c[5], 11323 + i), 0);
    }
    return t;
}

static const cairn_field sample_fields[] = {
    {"s", CAIRN_TYPE_STRING, true},     {"i", CAIRN_TYPE_INT64, true},
    {"f", CAIRN_TYPE_FLOAT64, true},    {"b", CAIRN_TYPE_BOOL, true},
    {"ts", CAIRN_TYPE_TIMESTAMP, true}, {"d", CAIRN_TYPE_DATE32, true},
};

static void assert_same_table(const cairn_table *a, const cairn_table *b)
{
    assert_int_equal(cairn_table_num_columns(a), cairn_table_num_columns(b));
    assert_int_equal(cairn_table_num_rows(a), cairn_table_num_rows(b));
    for (size_t c = 0; c < cairn_table_num_columns(a); c++) {
        const cairn_column *x = cairn_table_column(a, c), *y = cairn_table_column(b, c);
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->type, y->type);
        for (int64_t r = 0; r < x->length; r++) {
            cairn_value u, v;
            cairn_column_get(x, r, &u);
            cairn_column_get(y, r, &v);
            assert_int_equal(u.is_null, v.is_null);
            if (u.is_null) continue;
            if (x->type == CAIRN_TYPE_STRING) {
                assert_int_equal(u.v.str.len, v.v.str.len);
                assert_memory_equal(u.v.str.ptr, v.v.str.ptr, u.v.str.len);
            } else if (x->type == CAIRN_TYPE_FLOAT64) {
                assert_memory_equal(&u.v.f64, &v.v.f64, sizeof(double));
            } else if (x->type == CAIRN_TYPE_BOOL) {
                assert_int_equal(u.v.b, v.v.b);
            } else if (x->type == CAIRN_TYPE_DATE32) {
                assert_int_equal(u.v.i32, v.v.i32);
            } else {
                assert_true(u.v.i64 == v.v.i64);
            }
        }
    }
}

static void test_quoting(void **state)
{
    (void)state;
    cairn_table *t = sample_table();
    cairn_buf out;
    cairn_buf_init(&out, 0);
    cairn_error e;
    cairn_write_options o;
    cairn_write_options_init(&o);
    o.null_text = "NA";
    CAIRN_ASSERT_OK(cairn_csv_write(t, &o, &out, &e), &e);
    const char *want_start = "s,i,f,b,ts,d\n"
                             "plain,0,0.1,true,2001-01-01T00:01:00Z,2001-01-01\n"
                             "\"with,comma\",-1000000007,";
    assert_memory_equal(out.data, want_start, strlen(want_start));
    const char *must[] = {"\n\"with \"\"quote\"\"\",", "\n\"two\nlines\",NA,", "\n\"\",",
                          "\n\" lead\",", "\n\"trail \",", "\n\"NA\",", "\n\"cr\rhere\",",
                          "\ncaf\xc3\xa9,", "\nNA,-10000000070,3.0,false,2001-01-01T00:01:15Z,2001-01-11\n"};
    for (size_t i = 0; i < sizeof must / sizeof *must; i++)
        if (!strstr(out.data, must[i])) fail_msg("missing %s in\n%s", must[i], out.data);
    cairn_buf_reset(&out);
    cairn_write_options_init(&o);
    o.delimiter = ';';
    o.no_header = true;
    CAIRN_ASSERT_OK(cairn_csv_write(t, &o, &out, &e), &e);
    assert_memory_equal(out.data, "plain;0;0.1;true;", 17);
    assert_non_null(strstr(out.data, "\nwith,comma;"));
    assert_non_null(strstr(out.data, "\n;-10000000070;")); /* a null is an empty field */
    cairn_buf_release(&out);
    cairn_table_free(t);
}

static void round_trip(const char *null_text, char delim)
{
    cairn_table *t = sample_table(), *back = NULL;
    cairn_buf out;
    cairn_buf_init(&out, 0);
    cairn_error e;
    cairn_write_options wo;
    cairn_write_options_init(&wo);
    wo.null_text = null_text;
    wo.delimiter = delim;
    CAIRN_ASSERT_OK(cairn_csv_write(t, &wo, &out, &e), &e);
    cairn_read_options ro;
    cairn_read_options_init(&ro);
    ro.null_text = null_text;
    ro.delimiter = delim;
    ro.fields = sample_fields;
    ro.nfields = 6;
    CAIRN_ASSERT_OK(cairn_csv_read(out.data, out.len, "rt.csv", &ro, &back, &e), &e);
    assert_same_table(t, back);
    cairn_table_free(back);
    /* with inference the strings and every non-null value survive too */
    ro.fields = NULL;
    ro.nfields = 0;
    CAIRN_ASSERT_OK(cairn_csv_read(out.data, out.len, "rt.csv", &ro, &back, &e), &e);
    assert_int_equal(cairn_table_column_by_name(back, "f")->type, CAIRN_TYPE_FLOAT64);
    assert_int_equal(cairn_table_column_by_name(back, "ts")->type, CAIRN_TYPE_TIMESTAMP);
    assert_int_equal(cairn_table_column_by_name(back, "d")->type, CAIRN_TYPE_DATE32);
    assert_same_table(t, back);
    cairn_table_free(back);
    cairn_buf_release(&out);
    cairn_table_free(t);
}

static void test_round_trip(void **state)
{
    (void)state;
    round_trip(NULL, 0);
    round_trip("NA", 0);
    round_trip("\\N", '\t');
    round_trip(NULL, '|');
}

static int count_entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    if (d) closedir(d);
    return n;
}

static void test_write_file_atomic(void **state)
{
    (void)state;
    const char *tmp = cairn_test_tmpdir("csvwrite");
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s", tmp);
    snprintf(path, sizeof path, "%s/out.csv", dir);
    cairn_table *t = sample_table(), *back = NULL;
    cairn_error e;
    cairn_test_write_file(path, "old content\n", 12);
    CAIRN_ASSERT_OK(cairn_csv_write_file(t, path, NULL, &e), &e);
    assert_int_equal(count_entries(dir), 1); /* no temporary file left behind */
    cairn_read_options ro;
    cairn_read_options_init(&ro);
    ro.fields = sample_fields;
    ro.nfields = 6;
    CAIRN_ASSERT_OK(cairn_csv_read_file(path, &ro, &back, &e), &e);
    assert_same_table(t, back);
    cairn_table_free(back);
    /* .tsv defaults to tabs on both sides */
    snprintf(path, sizeof path, "%s/out.tsv", dir);
    CAIRN_ASSERT_OK(cairn_csv_write_file(t, path, NULL, &e), &e);
    cairn_buf raw;
    cairn_buf_init(&raw, 0);
    CAIRN_ASSERT_OK(cairn_file_read(path, &raw, 0, &e), &e);
    assert_memory_equal(raw.data, "s\ti\tf\tb\tts\td\n", 13);
    cairn_buf_release(&raw);
    CAIRN_ASSERT_OK(cairn_csv_read_file(path, &ro, &back, &e), &e);
    assert_same_table(t, back);
    cairn_table_free(back);
    /* a directory that does not exist: an error and no file */
    snprintf(path, sizeof path, "%s/no/such/dir/out.csv", dir);
    assert_int_equal(cairn_csv_write_file(t, path, NULL, &e), CAIRN_EIO);
    assert_int_equal(count_entries(dir), 2);
    cairn_table_free(t);
    cairn_test_rmtree(dir);
}

static void test_buffer_limit(void **state)
{
    (void)state;
    cairn_table *t = sample_table();
    cairn_buf out;
    cairn_buf_init(&out, 64);
    cairn_buf_puts(&out, "keep");
    cairn_error e;
    assert_int_equal(cairn_csv_write(t, NULL, &out, &e), CAIRN_ELIMIT);
    assert_string_equal(out.data, "keep"); /* nothing half-written */
    cairn_buf_release(&out);
    cairn_table_free(t);
}

static void test_format_table(void **state)
{
    (void)state;
    assert_string_equal(cairn_format_for_path("a/b.csv")->name, "csv");
    assert_string_equal(cairn_format_for_path("B.CSV")->name, "csv");
    assert_string_equal(cairn_format_for_path("x.tsv")->name, "csv");
    assert_string_equal(cairn_format_for_path("x.jsonl")->name, "jsonl");
    assert_string_equal(cairn_format_for_path("x.NDJSON")->name, "jsonl");
    assert_null(cairn_format_for_path("x.json"));
    assert_null(cairn_format_for_path("csv"));
    assert_null(cairn_format_for_path("x.parquetx"));
    assert_string_equal(cairn_format_by_name("JSONL")->name, "jsonl");
    assert_null(cairn_format_by_name("xml"));
    const cairn_format *const *all = cairn_formats();
    size_t n = 0;
    for (; all[n]; n++) {
        assert_non_null(all[n]->extensions[0]);
        assert_non_null(all[n]->read_file);
        assert_non_null(all[n]->write_file);
    }
    assert_true(n >= 2);

    const char *dir = cairn_test_tmpdir("formats");
    char path[4096], path2[4096];
    cairn_table *t = sample_table(), *back = NULL;
    cairn_error e;
    snprintf(path, sizeof path, "%s/t.ndjson", dir);
    CAIRN_ASSERT_OK(cairn_table_write_file(t, path, NULL, NULL, &e), &e);
    CAIRN_ASSERT_OK(cairn_table_read_file(path, NULL, NULL, &back, &e), &e);
    assert_int_equal(cairn_table_num_rows(back), 11);
    cairn_table_free(back);
    snprintf(path2, sizeof path2, "%s/t.data", dir);
    CAIRN_ASSERT_OK(cairn_table_write_file(t, path2, "csv", NULL, &e), &e);
    CAIRN_ASSERT_OK(cairn_table_read_file(path2, "csv", NULL, &back, &e), &e);
    assert_int_equal(cairn_table_num_rows(back), 11);
    cairn_table_free(back);
    assert_int_equal(cairn_table_read_file(path2, NULL, NULL, &back, &e), CAIRN_EUNSUPPORTED);
    assert_non_null(strstr(e.message, ".csv"));
    assert_non_null(strstr(e.message, ".jsonl"));
    assert_int_equal(cairn_table_write_file(t, path2, "xml", NULL, &e), CAIRN_EUNSUPPORTED);
    assert_non_null(strstr(e.message, "xml"));
    cairn_table_free(t);
    cairn_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_write_file_atomic),
        cmocka_unit_test(test_buffer_limit),
        cmocka_unit_test(test_format_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
