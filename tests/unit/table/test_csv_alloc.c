#include "testutil.h"

/* tests/unit/table/test_csv_alloc.c: every allocation of the CSV and JSON Lines readers and
 * writers fails in turn (cairn_testalloc_fail_at(N)); each run must fail with CAIRN_ENOMEM
 * (never another code, never a crash) and leave no block behind, until N is past the last
 * allocation and the call succeeds. Readers run on this thread only and on two threads with
 * an input cut into many chunks (src/table/convert.c's driver, csv_read.c, jsonl.c). */

#include <stdio.h>
#include <string.h>

#include "table/convert.h"

static bool keep_going(void *ud, const cairn_error *err, const char *raw, size_t len)
{
    (void)err;
    (void)raw;
    (void)len;
    (*(int *)ud)++;
    return true;
}

/* An awkward CSV: quotes, doubled quotes, newlines in fields, nulls, CRLF, bad rows, and a
 * value that widens a column after the inference sample. */
static char *awkward_csv(int rows, size_t *len)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    cairn_buf_puts(&b, "\xEF\xBB\xBFid,text,x,when\r\n");
    for (int i = 0; i < rows; i++) {
        switch (i % 9) {
        case 0: cairn_buf_printf(&b, "%d,\"say \"\"hi\"\"\nthere\",%d.5,2001-01-01 00:00:%02d\n", i, i, i % 60); break;
        case 1: cairn_buf_printf(&b, "%d,,,\r\n", i); break;
        case 2: cairn_buf_printf(&b, "%d,only two\n", i); break;
        case 3: cairn_buf_printf(&b, "%d,\"\",%d,2001-01-02\n", i, i); break;
        case 4: cairn_buf_printf(&b, "%d,bad\"quote,1,2001-01-01\n", i); break;
        default: cairn_buf_printf(&b, "%d,word %d,%d,2001-01-03T04:05:06Z\n", i, i, i); break;
        }
    }
    cairn_buf_printf(&b, "%d,late,not a number,2001-01-01\n", rows);
    return cairn_buf_detach(&b, len);
}

typedef int (*read_fn)(const char *data, size_t len, const char *name,
                       const cairn_read_options *opts, cairn_table **out, cairn_error *err);

static void fail_each_read(read_fn fn, const char *data, size_t len, int threads,
                           bool with_callback)
{
    int64_t base = cairn_testalloc_live_blocks();
    for (int64_t n = 1;; n++) {
        cairn_read_options o;
        cairn_read_options_init(&o);
        int bad = 0;
        o.threads = threads;
        o.infer_rows = 20;
        if (with_callback) {
            o.on_bad_row = keep_going;
            o.bad_row_ud = &bad;
        }
        cairn_table *t = NULL;
        cairn_error e;
        cairn_testalloc_fail_at(n, false);
        int rc = fn(data, len, "alloc", &o, &t, &e);
        cairn_testalloc_fail_at(0, false);
        if (rc == 0) {
            assert_true(cairn_table_num_rows(t) > 0);
            cairn_table_free(t);
            assert_int_equal(cairn_testalloc_live_blocks(), base);
            break;
        }
        if (rc != CAIRN_ENOMEM) {
            char msg[1024];
            cairn_error_format(&e, msg, sizeof msg);
            fail_msg("allocation %lld: expected ENOMEM, got %s: %s", (long long)n,
                     cairn_errname(rc), msg);
        }
        assert_null(t);
        if (cairn_testalloc_live_blocks() != base)
            fail_msg("allocation %lld: %lld blocks leaked", (long long)n,
                     (long long)(cairn_testalloc_live_blocks() - base));
        assert_true(n < 200000);
    }
}

static void test_csv_read_alloc(void **state)
{
    (void)state;
    size_t len;
    char *csv = awkward_csv(60, &len);
    cairn_testalloc_install();
    fail_each_read(cairn_csv_read, csv, len, 1, true);
    cairn_testalloc_uninstall();
    cairn_free(csv);
}

static void test_csv_read_alloc_parallel(void **state)
{
    (void)state;
    size_t saved = cairn__tr_min_chunk_bytes;
    cairn__tr_min_chunk_bytes = 1024;
    size_t len;
    char *csv = awkward_csv(400, &len);
    cairn_testalloc_install();
    fail_each_read(cairn_csv_read, csv, len, 2, true);
    cairn_testalloc_uninstall();
    cairn_free(csv);
    cairn__tr_min_chunk_bytes = saved;
}

static char *awkward_jsonl(int rows, size_t *len)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    for (int i = 0; i < rows; i++) {
        switch (i % 6) {
        case 0: cairn_buf_printf(&b, "{\"id\": %d, \"s\": \"esc\\u00e9\\\"%d\", \"n\": [1, {\"x\": 2}]}\n", i, i); break;
        case 1: cairn_buf_puts(&b, "{broken\n"); break;
        case 2: cairn_buf_printf(&b, "{\"id\": %d, \"ts\": \"2001-01-01T00:00:00Z\"}\r\n\n", i); break;
        default: cairn_buf_printf(&b, "{\"s\": null, \"id\": %d}\n", i); break;
        }
    }
    cairn_buf_printf(&b, "{\"id\": 1.5, \"late\": true}\n");
    return cairn_buf_detach(&b, len);
}

static void test_jsonl_read_alloc(void **state)
{
    (void)state;
    size_t saved = cairn__tr_min_chunk_bytes;
    cairn__tr_min_chunk_bytes = 1024;
    size_t len;
    char *text = awkward_jsonl(200, &len);
    cairn_testalloc_install();
    fail_each_read(cairn_jsonl_read, text, len, 1, true);
    fail_each_read(cairn_jsonl_read, text, len, 2, true);
    cairn_testalloc_uninstall();
    cairn_free(text);
    cairn__tr_min_chunk_bytes = saved;
}

typedef int (*write_fn)(const cairn_table *table, const cairn_write_options *opts,
                        cairn_buf *out, cairn_error *err);
typedef int (*write_file_fn)(const cairn_table *table, const char *path,
                             const cairn_write_options *opts, cairn_error *err);

static void fail_each_write(const cairn_table *t, write_fn fn, write_file_fn file_fn,
                            const char *path)
{
    int64_t base = cairn_testalloc_live_blocks();
    for (int64_t n = 1;; n++) {
        cairn_buf out;
        cairn_buf_init(&out, 0);
        cairn_error e;
        cairn_testalloc_fail_at(n, false);
        int rc = fn ? fn(t, NULL, &out, &e) : file_fn(t, path, NULL, &e);
        cairn_testalloc_fail_at(0, false);
        cairn_buf_release(&out);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        if (rc == 0) break;
        if (rc != CAIRN_ENOMEM) fail_msg("allocation %lld: got %s", (long long)n, cairn_errname(rc));
        assert_true(n < 100000);
    }
}

static void test_writers_alloc(void **state)
{
    (void)state;
    size_t len;
    char *csv = awkward_csv(60, &len);
    cairn_read_options o;
    cairn_read_options_init(&o);
    int bad = 0;
    o.on_bad_row = keep_going;
    o.bad_row_ud = &bad;
    cairn_table *t = NULL;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_csv_read(csv, len, "w", &o, &t, &e), &e);
    const char *dir = cairn_test_tmpdir("alloc");
    char path[4096];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    cairn_testalloc_install();
    fail_each_write(t, cairn_csv_write, NULL, NULL);
    fail_each_write(t, cairn_jsonl_write, NULL, NULL);
    fail_each_write(t, NULL, cairn_csv_write_file, path);
    snprintf(path, sizeof path, "%s/out.jsonl", dir);
    fail_each_write(t, NULL, cairn_jsonl_write_file, path);
    cairn_testalloc_uninstall();
    cairn_table_free(t);
    cairn_free(csv);
    cairn_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_read_alloc),
        cmocka_unit_test(test_csv_read_alloc_parallel),
        cmocka_unit_test(test_jsonl_read_alloc),
        cmocka_unit_test(test_writers_alloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
