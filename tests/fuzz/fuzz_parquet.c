/* tests/fuzz/fuzz_parquet.c: libFuzzer target for the Parquet reader.
 *
 * The input is a whole file: it is written to a temporary file (the reader maps files, and
 * no API was added for memory input) and read three ways, each on one thread:
 * cairn_parquet_read_file with default options, again with dictionaries decoded and a
 * statistics predicate, and row group by row group through the streaming reader. Checks,
 * beyond "no crash, no leak, no undefined behaviour": every failure is a CAIRN_E* code with a
 * message (and a byte offset for CAIRN_ECORRUPT); every table that comes back is consistent
 * (cairn_table_validate) and every one of its cells can be read; when the whole-file read and
 * every row group succeed, they agree on the number of rows.
 * Seed corpus: tests/fuzz/corpus/parquet/ (small DuckDB-written files, replayed by ctest).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/cairn.h"
#include "cairn/parquet.h"

static char tmp_path[64];
static int tmp_fd = -1;

static void remove_input(void)
{
    if (tmp_fd >= 0) unlink(tmp_path);
}

static void write_input(const uint8_t *data, size_t size)
{
    if (tmp_fd < 0) {
        static const char pattern[] = "/tmp/fuzz_parquet_XXXXXX";
        memcpy(tmp_path, pattern, sizeof pattern);
        tmp_fd = mkstemp(tmp_path);
        if (tmp_fd < 0) abort();
        atexit(remove_input);
    }
    if (ftruncate(tmp_fd, 0) != 0) abort();
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(tmp_fd, data + done, size - done, (off_t)done);
        if (n <= 0) abort();
        done += (size_t)n;
    }
}

static void check_error(int rc, const cairn_error *err)
{
    if (rc >= 0 || rc < CAIRN_ERROR_CODE_MIN || err->code != rc || !err->message[0]) abort();
    if (rc == CAIRN_ECORRUPT && err->offset < 0) abort();
}

/* Reads every cell, so a bad offset or dictionary code shows up under ASan. */
static void touch(const cairn_table *t)
{
    cairn_error err;
    if (cairn_table_validate(t, &err) != 0) abort();
    volatile size_t sink = 0;
    for (size_t c = 0; c < cairn_table_num_columns(t); c++) {
        const cairn_column *col = cairn_table_column(t, c);
        for (int64_t i = 0; i < col->length; i++) {
            cairn_value v;
            cairn_column_get(col, i, &v);
            if (v.type == CAIRN_TYPE_STRING && !v.is_null && v.v.str.len)
                sink += (unsigned char)v.v.str.ptr[v.v.str.len - 1];
        }
    }
    (void)sink;
}

static int64_t read_whole(const cairn_parquet_options *o)
{
    cairn_table *t = NULL;
    cairn_error err;
    int rc = cairn_parquet_read_file(tmp_path, o, &t, &err);
    if (rc != 0) {
        check_error(rc, &err);
        return -1;
    }
    touch(t);
    int64_t rows = cairn_table_num_rows(t);
    cairn_table_free(t);
    return rows;
}

static int64_t read_streaming(const cairn_parquet_options *o)
{
    cairn_parquet_reader *r = NULL;
    cairn_error err;
    int rc = cairn_parquet_reader_open(tmp_path, o, &r, &err);
    if (rc != 0) {
        check_error(rc, &err);
        return -1;
    }
    const cairn_field *fields;
    (void)cairn_parquet_reader_fields(r, &fields);
    (void)cairn_parquet_reader_metadata(r, "cairn.schema");
    int64_t rows = 0;
    for (size_t g = 0; g < cairn_parquet_reader_num_row_groups(r); g++) {
        cairn_table *t = NULL;
        (void)cairn_parquet_reader_skips(r, g);
        rc = cairn_parquet_reader_read_row_group(r, g, &t, &err);
        if (rc != 0) {
            check_error(rc, &err);
            rows = -1;
            continue;
        }
        touch(t);
        if (rows >= 0) rows += cairn_table_num_rows(t);
        cairn_table_free(t);
    }
    cairn_parquet_reader_close(r);
    return rows;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    write_input(data, size);
    cairn_parquet_options o;
    cairn_parquet_options_init(&o);
    o.threads = 1;
    int64_t whole = read_whole(&o);
    int64_t streamed = read_streaming(&o);
    if (whole >= 0 && streamed >= 0 && whole != streamed) abort();

    cairn_predicate p = {.column = "id", .op = CAIRN_CMP_GE,
                         .value = {.type = CAIRN_TYPE_INT64, .v.i64 = 100}};
    o.decode_dictionaries = true;
    o.predicates = &p;
    o.npredicates = 1;
    (void)read_whole(&o);
    return 0;
}
