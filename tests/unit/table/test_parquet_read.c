#include "testutil.h"

/* tests/unit/table/test_parquet_read.c: the Parquet reader (src/table/parquet_read.c) on
 * files written by DuckDB (tests/data/parquet/, made by make.sh there): every value of every
 * type, every codec, data pages v1 and v2, nulls, dictionary and plain strings, several row
 * groups, projection, statistics-based skipping, the streaming reader, metadata, progress;
 * files it must refuse; truncated and corrupted copies (CAIRN_ECORRUPT with a byte offset,
 * never a crash); and every allocation failing in turn. The expected values are the
 * formulas of make.sh, recomputed here. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/parquet.h"
#include "table/parquet_internal.h"

#define BASE_US INT64_C(978307200000000) /* 2001-01-01T00:00:00Z */
#define BASE_DAYS 11323                  /* 2001-01-01 */

static char *fixture(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/parquet/%s.parquet", CAIRN_TEST_DATA, name);
    return path;
}

static cairn_table *read_ok(const char *name, const cairn_parquet_options *o)
{
    cairn_table *t = NULL;
    cairn_error err;
    CAIRN_ASSERT_OK(cairn_parquet_read_file(fixture(name), o, &t, &err), &err);
    return t;
}

static cairn_column *col(const cairn_table *t, const char *name)
{
    cairn_column *c = cairn_table_column_by_name(t, name);
    if (!c) fail_msg("no column %s", name);
    return c;
}

static void assert_str(const cairn_column *c, int64_t i, const char *want)
{
    size_t len;
    const char *s = cairn_column_str(c, i, &len);
    if (len != strlen(want) || memcmp(s, want, len) != 0)
        fail_msg("%s[%lld]: '%.*s' != '%s'", c->name, (long long)i, (int)len, s, want);
}

static void assert_isnull(const cairn_column *c, int64_t i, bool null)
{
    if (cairn_column_is_valid(c, i) == null)
        fail_msg("%s[%lld] should %sbe null", c->name, (long long)i, null ? "" : "not ");
}

/* ------------------------------------------------------------------------------------------
 * Exact values
 * ---------------------------------------------------------------------------------------- */

/* The columns that every fixture with "some_types" has (make.sh). */
static void check_some_types(const cairn_table *t, int64_t rows)
{
    assert_int_equal(cairn_table_num_rows(t), rows);
    const cairn_column *id = col(t, "id"), *i32 = col(t, "i32"), *f64 = col(t, "f64");
    const cairn_column *b = col(t, "b"), *sd = col(t, "s_dict"), *sp = col(t, "s_plain");
    const cairn_column *ts = col(t, "ts");
    assert_int_equal(id->type, CAIRN_TYPE_INT64);
    assert_int_equal(i32->type, CAIRN_TYPE_INT32);
    assert_int_equal(b->type, CAIRN_TYPE_BOOL);
    assert_int_equal(ts->type, CAIRN_TYPE_TIMESTAMP);
    char buf[64];
    for (int64_t i = 0; i < rows; i++) {
        assert_int_equal(cairn_column_i64(id, i), i);
        assert_isnull(i32, i, i % 7 == 0);
        assert_int_equal(cairn_column_i32(i32, i), i % 7 == 0 ? 0 : i * 37 - 5000);
        assert_isnull(f64, i, i % 11 == 3);
        if (i % 11 != 3) assert_true(cairn_column_f64(f64, i) == i * 0.125 - 17.5);
        assert_isnull(b, i, i % 3 == 0);
        if (i % 3) assert_int_equal(cairn_bit_get(b->values, i), i % 2 == 0);
        assert_isnull(sd, i, i % 13 == 0);
        snprintf(buf, sizeof buf, "cat%d", (int)(i % 9));
        if (i % 13) assert_str(sd, i, buf);
        int n = snprintf(buf, sizeof buf, "row-%lld", (long long)i);
        for (int k = 0; k < i % 5; k++) buf[n++] = 'x';
        buf[n] = '\0';
        assert_str(sp, i, buf);
        assert_int_equal(cairn_column_i64(ts, i), BASE_US + i * 1234567);
    }
    assert_int_equal(i32->null_count, (rows + 6) / 7);
    assert_non_null(sd->dictionary); /* low-cardinality strings stay dictionary-encoded */
    assert_null(sp->dictionary);
}

static void check_ints(const cairn_table *t, int64_t i)
{
    assert_int_equal(cairn_column_i64(col(t, "i64"), i), (i * 1000003 - 7) * (i % 2 ? -1 : 1));
    assert_int_equal(cairn_column_i32(col(t, "i8"), i), i % 200 - 100);
    assert_int_equal(cairn_column_i32(col(t, "i16"), i), (i * 7) % 60000 - 30000);
    assert_int_equal(cairn_column_i32(col(t, "u8"), i), i % 250);
    assert_int_equal(cairn_column_i32(col(t, "u16"), i), (i * 13) % 65000);
    assert_int_equal(cairn_column_i64(col(t, "u32"), i), INT64_C(4000000000) - i);
    assert_int_equal(cairn_column_i64(col(t, "u64"), i), i * 1000);
}

static void check_times_decimals(const cairn_table *t, int64_t i)
{
    const cairn_column *f32 = col(t, "f32"), *bin = col(t, "bin");
    assert_isnull(f32, i, i % 5 == 0);
    if (i % 5) assert_true(((const float *)f32->values)[i] == (float)(i / 4.0));
    assert_int_equal(cairn_column_i32(col(t, "dt"), i), BASE_DAYS + i % 400);
    assert_int_equal(cairn_column_i64(col(t, "ts_ms"), i), BASE_US + i * 1000000);
    assert_int_equal(cairn_column_i64(col(t, "ts_ns"), i), BASE_US + i * 3);
    assert_int_equal(cairn_column_i64(col(t, "tstz"), i), BASE_US + i * 999);
    assert_true(cairn_column_f64(col(t, "dec9"), i) == (double)(i * 12345 - 1000000) / 100);
    assert_true(cairn_column_f64(col(t, "dec18"), i) ==
                (double)(i * INT64_C(987654321) - INT64_C(500000000000)) / 10000);
    assert_true(cairn_column_f64(col(t, "dec38"), i) == (double)(i * 1000003 - 12345) / 1e6);
    assert_isnull(bin, i, i % 17 == 0);
    char buf[32];
    snprintf(buf, sizeof buf, "blob%lld", (long long)i);
    if (i % 17) assert_str(bin, i, buf);
}

static void check_all_types(const char *name, int64_t rows)
{
    cairn_table *t = read_ok(name, NULL);
    check_some_types(t, rows);
    assert_int_equal(col(t, "u32")->type, CAIRN_TYPE_INT64);
    assert_int_equal(col(t, "dt")->type, CAIRN_TYPE_DATE32);
    assert_int_equal(col(t, "dec38")->type, CAIRN_TYPE_FLOAT64);
    assert_int_equal(col(t, "f32")->type, CAIRN_TYPE_FLOAT32);
    for (int64_t i = 0; i < rows; i++) {
        check_ints(t, i);
        check_times_decimals(t, i);
    }
    cairn_table_free(t);
}

static void test_all_types(void **state)
{
    (void)state;
    check_all_types("all_types", 2000);
}

static void test_all_types_v2(void **state)
{
    (void)state;
    check_all_types("all_types_v2", 3000); /* page v2, DELTA_*, BYTE_STREAM_SPLIT */
}

static void test_codecs(void **state)
{
    (void)state;
    const char *names[] = {"codec_uncompressed", "codec_snappy", "codec_gzip", "codec_zstd",
                           "codec_lz4", "codec_v2_uncompressed", "codec_v2_snappy"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        cairn_table *t = read_ok(names[k], NULL);
        check_some_types(t, 2000);
        cairn_table_free(t);
    }
}

static void test_decode_dictionaries(void **state)
{
    (void)state;
    cairn_parquet_options o;
    cairn_parquet_options_init(&o);
    o.decode_dictionaries = true;
    cairn_table *t = read_ok("codec_zstd", &o);
    assert_null(col(t, "s_dict")->dictionary);
    assert_str(col(t, "s_dict"), 5, "cat5");
    assert_isnull(col(t, "s_dict"), 13, true);
    cairn_table_free(t);
}

static void check_row_groups(const cairn_table *t, int64_t first, int64_t rows)
{
    assert_int_equal(cairn_table_num_rows(t), rows);
    char buf[16];
    for (int64_t i = 0; i < rows; i++) {
        assert_int_equal(cairn_column_i64(col(t, "id"), i), first + i);
        snprintf(buf, sizeof buf, "g%lld", (long long)((first + i) / 1000));
        assert_str(col(t, "grp"), i, buf);
    }
}

static void test_row_groups_threads(void **state)
{
    (void)state;
    int threads[] = {0, 1, 2, 3};
    for (size_t k = 0; k < 4; k++) {
        cairn_parquet_options o;
        cairn_parquet_options_init(&o);
        o.threads = threads[k];
        cairn_table *t = read_ok("row_groups", &o);
        check_row_groups(t, 0, 10000);
        /* five row groups, five dictionaries: merged into one of the ten distinct values */
        assert_non_null(col(t, "grp")->dictionary);
        assert_int_equal(col(t, "grp")->dictionary->length, 10);
        cairn_table_free(t);
    }
}

static void test_streaming(void **state)
{
    (void)state;
    cairn_parquet_reader *r = NULL;
    cairn_error err;
    CAIRN_ASSERT_OK(cairn_parquet_reader_open(fixture("row_groups"), NULL, &r, &err), &err);
    assert_int_equal(cairn_parquet_reader_num_rows(r), 10000);
    size_t groups = cairn_parquet_reader_num_row_groups(r);
    assert_int_equal(groups, 5);
    const cairn_field *fields;
    assert_int_equal(cairn_parquet_reader_fields(r, &fields), 2);
    assert_string_equal(fields[0].name, "id");
    assert_int_equal(fields[1].type, CAIRN_TYPE_STRING);
    assert_true(fields[1].nullable);
    int64_t first = 0;
    for (size_t g = 0; g < groups; g++) {
        cairn_table *t = NULL;
        assert_false(cairn_parquet_reader_skips(r, g));
        CAIRN_ASSERT_OK(cairn_parquet_reader_read_row_group(r, g, &t, &err), &err);
        check_row_groups(t, first, cairn_table_num_rows(t));
        first += cairn_table_num_rows(t);
        cairn_table_free(t);
    }
    assert_int_equal(first, 10000);
    cairn_table *t = NULL;
    assert_int_equal(cairn_parquet_reader_read_row_group(r, groups, &t, &err), CAIRN_ERANGE);
    cairn_parquet_reader_close(r);
}

static void test_projection(void **state)
{
    (void)state;
    const char *names[] = {"s_dict", "id"};
    cairn_parquet_options o;
    cairn_parquet_options_init(&o);
    o.columns = names;
    o.ncolumns = 2;
    cairn_table *t = read_ok("all_types", &o);
    assert_int_equal(cairn_table_num_columns(t), 2);
    assert_string_equal(cairn_table_column(t, 0)->name, "s_dict");
    assert_string_equal(cairn_table_column(t, 1)->name, "id");
    assert_str(cairn_table_column(t, 0), 10, "cat1");
    assert_int_equal(cairn_column_i64(cairn_table_column(t, 1), 1999), 1999);
    cairn_table_free(t);

    const char *bad[] = {"id", "nope"};
    o.columns = bad;
    cairn_error err;
    assert_int_equal(cairn_parquet_read_file(fixture("all_types"), &o, &t, &err),
                     CAIRN_ENOTFOUND);
    assert_string_equal(err.field, "nope");
    assert_non_null(strstr(err.message, "'nope'"));
    const char *twice[] = {"id", "id"};
    o.columns = twice;
    assert_int_equal(cairn_parquet_read_file(fixture("all_types"), &o, &t, &err), CAIRN_EINVAL);
}

static void test_predicates(void **state)
{
    (void)state;
    cairn_predicate p = {.column = "id", .op = CAIRN_CMP_GE,
                         .value = {.type = CAIRN_TYPE_INT64, .v.i64 = 5000}};
    cairn_parquet_options o;
    cairn_parquet_options_init(&o);
    o.predicates = &p;
    o.npredicates = 1;
    cairn_table *t = read_ok("row_groups", &o); /* groups of 2048: the first two go */
    check_row_groups(t, 4096, 10000 - 4096);
    cairn_table_free(t);

    p.op = CAIRN_CMP_LT;
    p.value.v.i64 = 0;
    t = read_ok("row_groups", &o);
    assert_int_equal(cairn_table_num_rows(t), 0);
    assert_int_equal(cairn_table_num_columns(t), 2);
    cairn_table_free(t);

    cairn_predicate s = {.column = "grp", .op = CAIRN_CMP_EQ,
                         .value = {.type = CAIRN_TYPE_STRING, .v.str = {"g9", 2}}};
    o.predicates = &s;
    cairn_parquet_reader *r = NULL;
    cairn_error err;
    CAIRN_ASSERT_OK(cairn_parquet_reader_open(fixture("row_groups"), &o, &r, &err), &err);
    assert_true(cairn_parquet_reader_skips(r, 0));
    assert_false(cairn_parquet_reader_skips(r, 4));
    cairn_parquet_reader_close(r);

    s.value.type = CAIRN_TYPE_INT64; /* a number against a string column */
    assert_int_equal(cairn_parquet_read_file(fixture("row_groups"), &o, &t, &err), CAIRN_ETYPE);
    s.column = "missing";
    assert_int_equal(cairn_parquet_read_file(fixture("row_groups"), &o, &t, &err),
                     CAIRN_ENOTFOUND);
}

static void test_metadata_and_edges(void **state)
{
    (void)state;
    cairn_parquet_reader *r = NULL;
    cairn_error err;
    CAIRN_ASSERT_OK(cairn_parquet_reader_open(fixture("kv_metadata"), NULL, &r, &err), &err);
    assert_string_equal(cairn_parquet_reader_metadata(r, "owner"), "cairn");
    assert_string_equal(cairn_parquet_reader_metadata(r, "purpose"), "test");
    assert_null(cairn_parquet_reader_metadata(r, "absent"));
    cairn_parquet_reader_close(r);

    cairn_table *t = read_ok("empty", NULL);
    assert_int_equal(cairn_table_num_rows(t), 0);
    assert_int_equal(cairn_table_column(t, 1)->type, CAIRN_TYPE_STRING);
    cairn_table_free(t);

    t = read_ok("all_null", NULL);
    assert_int_equal(cairn_table_num_rows(t), 300);
    for (size_t c = 1; c < 4; c++) assert_int_equal(cairn_table_column(t, c)->null_count, 300);
    size_t len;
    cairn_column_str(col(t, "s"), 299, &len);
    assert_int_equal(len, 0);
    cairn_table_free(t);
}

static void test_refused(void **state)
{
    (void)state;
    cairn_table *t = NULL;
    cairn_error err;
    assert_int_equal(cairn_parquet_read_file(fixture("nested"), NULL, &t, &err),
                     CAIRN_EUNSUPPORTED);
    assert_non_null(strstr(err.message, "'st' is nested/repeated"));
    assert_int_equal(cairn_parquet_read_file(fixture("codec_brotli"), NULL, &t, &err),
                     CAIRN_EUNSUPPORTED);
    assert_non_null(strstr(err.message, "brotli"));
    assert_int_equal(cairn_parquet_read_file("/nonexistent/x.parquet", NULL, &t, &err),
                     CAIRN_ENOTFOUND);
}

static bool count_progress(void *ud, const char *stage, int64_t done, int64_t total)
{
    (void)stage;
    int64_t *calls = ud;
    assert_int_equal(total, 5);
    assert_true(done >= 1 && done <= total);
    return ++*calls < 2;
}

static void test_progress(void **state)
{
    (void)state;
    int64_t calls = 0;
    cairn_parquet_options o;
    cairn_parquet_options_init(&o);
    o.threads = 1;
    o.progress = count_progress;
    o.progress_ud = &calls;
    cairn_table *t = NULL;
    cairn_error err;
    assert_int_equal(cairn_parquet_read_file(fixture("row_groups"), &o, &t, &err),
                     CAIRN_ECANCELED);
    assert_int_equal(calls, 2);
}

/* ------------------------------------------------------------------------------------------
 * Damaged files
 * ---------------------------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    cairn_error err;
    CAIRN_ASSERT_OK(cairn_file_read(path, &b, 0, &err), &err);
    return cairn_buf_detach(&b, len);
}

/* Reads bytes as a Parquet file (both APIs); returns the code, checking the error's form. */
static int read_bytes(const char *dir, const char *data, size_t len)
{
    char path[600];
    snprintf(path, sizeof path, "%s/x.parquet", dir);
    cairn_test_write_file(path, data, len);
    cairn_parquet_options o;
    cairn_parquet_options_init(&o);
    o.threads = 1;
    cairn_table *t = NULL;
    cairn_error err;
    int rc = cairn_parquet_read_file(path, &o, &t, &err);
    if (rc == 0) cairn_table_free(t);
    if (rc == CAIRN_ECORRUPT && err.offset < 0) fail_msg("no offset: %s", err.message);
    if (rc == CAIRN_ECORRUPT && (err.offset > (int64_t)len || !err.message[0]))
        fail_msg("bad offset %lld of %zu: %s", (long long)err.offset, len, err.message);
    if (rc != 0 && rc != CAIRN_ECORRUPT && rc != CAIRN_EUNSUPPORTED && rc != CAIRN_ERANGE &&
        rc != CAIRN_ELIMIT)
        fail_msg("unexpected %s: %s", cairn_errname(rc), err.message);
    return rc;
}

static void test_truncated(void **state)
{
    (void)state;
    const char *dir = cairn_test_tmpdir("pqtrunc");
    char dirbuf[512];
    snprintf(dirbuf, sizeof dirbuf, "%s", dir);
    size_t len;
    char *data = slurp(fixture("codec_v2_snappy"), &len);
    for (size_t cut = 0; cut < len; cut += cut < 64 || cut > len - 400 ? 1 : 97)
        assert_int_equal(read_bytes(dirbuf, data, cut), CAIRN_ECORRUPT);
    /* The footer kept, the data cut short: chunks now point past the data. */
    uint32_t flen;
    memcpy(&flen, data + len - 8, 4);
    size_t tail = flen + 8, keep = (len - tail) / 2;
    memmove(data + keep, data + len - tail, tail);
    assert_int_equal(read_bytes(dirbuf, data, keep + tail), CAIRN_ECORRUPT);
    cairn_free(data);
    cairn_test_rmtree(dirbuf);
}

static void test_corrupted(void **state)
{
    (void)state;
    const char *dir = cairn_test_tmpdir("pqcorrupt");
    char dirbuf[512];
    snprintf(dirbuf, sizeof dirbuf, "%s", dir);
    const char *names[] = {"codec_uncompressed", "all_types_v2", "row_groups"};
    srand(7);
    for (size_t k = 0; k < 3; k++) {
        size_t len;
        char *orig = slurp(fixture(names[k]), &len);
        char *data = cairn_malloc(len);
        int corrupt = 0;
        for (int trial = 0; trial < 300; trial++) {
            memcpy(data, orig, len);
            uint32_t flen;
            memcpy(&flen, data + len - 8, 4);
            /* half the flips hit the footer, where every byte matters */
            size_t lo = trial % 2 ? len - 8 - flen : 4, span = trial % 2 ? flen : len - 12;
            for (int f = 0; f < 1 + trial % 4; f++)
                data[lo + (size_t)rand() % span] ^= (char)(1 + rand() % 255);
            corrupt += read_bytes(dirbuf, data, len) == CAIRN_ECORRUPT;
        }
        assert_true(corrupt > 30);
        cairn_free(data);
        cairn_free(orig);
    }
    cairn_test_rmtree(dirbuf);
}

static void test_hostile_footer(void **state)
{
    (void)state;
    const char *dir = cairn_test_tmpdir("pqhostile");
    char dirbuf[512];
    snprintf(dirbuf, sizeof dirbuf, "%s", dir);
    /* FileMetaData whose schema list claims 2^32 - 1 elements */
    const char f1[] = "PAR1\x15\x02\x19\xfc\xff\xff\xff\xff\x0f\x00\x00\x00\x0c\x00\x00\x00PAR1";
    cairn_table *t = NULL;
    cairn_error err;
    char path[600];
    snprintf(path, sizeof path, "%s/h.parquet", dirbuf);
    cairn_test_write_file(path, f1, sizeof f1 - 1);
    assert_int_equal(cairn_parquet_read_file(path, NULL, &t, &err), CAIRN_ECORRUPT);
    assert_non_null(strstr(err.message, "reading FileMetaData.schema"));
    assert_non_null(strstr(err.message, "exceeds remaining"));
    assert_int_equal(err.offset, 13);
    /* a footer length larger than the file */
    const char f2[] = "PAR1\x00\x00\xff\xff\xff\x7fPAR1";
    assert_int_equal(read_bytes(dirbuf, f2, sizeof f2 - 1), CAIRN_ECORRUPT);
    assert_int_equal(read_bytes(dirbuf, "PAR1", 4), CAIRN_ECORRUPT);
    assert_int_equal(read_bytes(dirbuf, "", 0), CAIRN_ECORRUPT);
    cairn_test_rmtree(dirbuf);
}

/* ------------------------------------------------------------------------------------------
 * A file built by hand: what DuckDB does not write (INT96, BIT_PACKED levels,
 * DELTA_BYTE_ARRAY, RLE booleans, plain FIXED_LEN_BYTE_ARRAY strings)
 * ---------------------------------------------------------------------------------------- */

typedef struct hw { /* a Thrift compact-protocol writer */
    cairn_buf b;
    int last[8];
    int depth;
} hw;

static void hb(hw *w, const void *p, size_t n) { assert_int_equal(cairn_buf_append(&w->b, p, n), 0); }
static void huv(hw *w, uint64_t v)
{
    for (; v >= 0x80; v >>= 7) hb(w, &(uint8_t){(uint8_t)(v | 0x80)}, 1);
    hb(w, &(uint8_t){(uint8_t)v}, 1);
}
static void hfield(hw *w, int id, int type)
{
    hb(w, &(uint8_t){(uint8_t)((id - w->last[w->depth]) << 4 | type)}, 1);
    w->last[w->depth] = id;
}
static void hint(hw *w, int id, int64_t v) { hfield(w, id, 6); huv(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }
static void hstr(hw *w, int id, const char *s) { hfield(w, id, 8); huv(w, strlen(s)); hb(w, s, strlen(s)); }
static void hbegin(hw *w) { w->last[++w->depth] = 0; }
static void hend(hw *w) { hb(w, "", 1); w->depth--; }
static void hstruct(hw *w, int id) { hfield(w, id, 12); hbegin(w); }
static void hlist(hw *w, int id, int type, int n) { hfield(w, id, 9); hb(w, &(uint8_t){(uint8_t)(n << 4 | type)}, 1); }

typedef struct hand_column {
    const char *name;
    int type, type_length, repetition, encoding, def_encoding;
    const char *data; /* the page after its header: levels and values */
    size_t len;
} hand_column;

/* One data page v1, uncompressed, of two values; returns the chunk's first byte. */
static int64_t hand_page(hw *w, const hand_column *c)
{
    int64_t at = (int64_t)w->b.len;
    hbegin(w);
    hint(w, 1, PQ_PAGE_DATA);
    hint(w, 2, (int64_t)c->len);
    hint(w, 3, (int64_t)c->len);
    hstruct(w, 5);
    hint(w, 1, 2);
    hint(w, 2, c->encoding);
    hint(w, 3, c->def_encoding);
    hint(w, 4, PQ_ENC_RLE);
    hend(w);
    hend(w);
    hb(w, c->data, c->len);
    return at;
}

static void hand_chunk(hw *w, const hand_column *c, int64_t at, int64_t size)
{
    hbegin(w);
    hint(w, 2, at);
    hstruct(w, 3);
    hint(w, 1, c->type);
    hlist(w, 2, 5, 1);
    huv(w, (uint64_t)c->encoding << 1);
    hlist(w, 3, 8, 1);
    huv(w, strlen(c->name));
    hb(w, c->name, strlen(c->name));
    hint(w, 4, PQ_CODEC_UNCOMPRESSED);
    hint(w, 5, 2);
    hint(w, 6, size);
    hint(w, 7, size);
    hint(w, 9, at);
    hend(w);
    hend(w);
}

static char *hand_file(const hand_column *cols, int n, size_t *len)
{
    hw w = {0};
    cairn_buf_init(&w.b, 0);
    hb(&w, "PAR1", 4);
    int64_t at[8];
    for (int i = 0; i < n; i++) at[i] = hand_page(&w, &cols[i]);
    at[n] = (int64_t)w.b.len;
    size_t footer = w.b.len;
    hbegin(&w);
    hint(&w, 1, 1);
    hlist(&w, 2, 12, n + 1);
    hbegin(&w); hstr(&w, 4, "schema"); hint(&w, 5, n); hend(&w);
    for (int i = 0; i < n; i++) {
        hbegin(&w);
        hint(&w, 1, cols[i].type);
        if (cols[i].type_length) hint(&w, 2, cols[i].type_length);
        hint(&w, 3, cols[i].repetition);
        hstr(&w, 4, cols[i].name);
        hend(&w);
    }
    hint(&w, 3, 2);
    hlist(&w, 4, 12, 1);
    hbegin(&w);
    hlist(&w, 1, 12, n);
    for (int i = 0; i < n; i++) hand_chunk(&w, &cols[i], at[i], at[i + 1] - at[i]);
    hint(&w, 2, 100);
    hint(&w, 3, 2);
    hend(&w);
    hend(&w);
    uint32_t flen = (uint32_t)(w.b.len - footer);
    hb(&w, &flen, 4);
    hb(&w, "PAR1", 4);
    return cairn_buf_detach(&w.b, len);
}

static void test_hand_built(void **state)
{
    (void)state;
    /* INT96: 1.5 s after the epoch; 2001-01-01 01:02:03.000001999 (Julian day 2451911) */
    const char t96[] = "\x00\x2f\x68\x59\x00\x00\x00\x00\x8c\x3d\x25\x00"
                       "\xcf\xb5\x17\xd4\x62\x03\x00\x00\xc7\x69\x25\x00";
    /* levels 1, 0 in the deprecated BIT_PACKED (MSB first); one DELTA_BYTE_ARRAY value */
    const char dba[] = "\x80"
                       "\x80\x01\x04\x01\x00" /* prefix lengths: [0] */
                       "\x80\x01\x04\x01\x08" /* suffix lengths: [4] */
                       "axis";
    const char rle_bools[] = "\x02\x00\x00\x00\x04\x01"; /* RLE, 4-byte length: true x2 */
    const hand_column cols[] = {
        {"t96", PQ_INT96, 0, PQ_REQUIRED, PQ_ENC_PLAIN, PQ_ENC_RLE, t96, sizeof t96 - 1},
        {"s", PQ_BYTE_ARRAY, 0, PQ_OPTIONAL, PQ_ENC_DELTA_BYTE_ARRAY, PQ_ENC_BIT_PACKED, dba,
         sizeof dba - 1},
        {"b", PQ_BOOLEAN, 0, PQ_REQUIRED, PQ_ENC_RLE, PQ_ENC_RLE, rle_bools, sizeof rle_bools - 1},
        {"f", PQ_FIXED_LEN_BYTE_ARRAY, 3, PQ_REQUIRED, PQ_ENC_PLAIN, PQ_ENC_RLE, "abcdef", 6},
    };
    size_t len;
    char *file = hand_file(cols, 4, &len);
    const char *dir = cairn_test_tmpdir("pqhand");
    char path[600];
    snprintf(path, sizeof path, "%s/hand.parquet", dir);
    cairn_test_write_file(path, file, len);
    cairn_table *t = NULL;
    cairn_error err;
    CAIRN_ASSERT_OK(cairn_parquet_read_file(path, NULL, &t, &err), &err);
    const cairn_column *c96 = col(t, "t96");
    assert_int_equal(c96->type, CAIRN_TYPE_TIMESTAMP);
    assert_int_equal(cairn_column_i64(c96, 0), 1500000);
    assert_int_equal(cairn_column_i64(c96, 1), BASE_US + INT64_C(3723000001));
    assert_str(col(t, "s"), 0, "axis");
    assert_isnull(col(t, "s"), 1, true);
    assert_true(cairn_bit_get(col(t, "b")->values, 0) && cairn_bit_get(col(t, "b")->values, 1));
    assert_int_equal(col(t, "f")->type, CAIRN_TYPE_STRING);
    assert_str(col(t, "f"), 1, "def");
    cairn_table_free(t);
    cairn_free(file);
    cairn_test_rmtree(dir);
}

/* Regression: an INT96 Julian day far from the epoch overflowed int64 (undefined behaviour);
 * now the read fails with a range error naming the column. */
static void test_int96_out_of_range(void **state)
{
    (void)state;
    const char t96[] = "\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\x7f"
                       "\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x3d\x25\x00";
    const hand_column cols[] = {
        {"t96", PQ_INT96, 0, PQ_REQUIRED, PQ_ENC_PLAIN, PQ_ENC_RLE, t96, sizeof t96 - 1},
    };
    size_t len;
    char *file = hand_file(cols, 1, &len);
    const char *dir = cairn_test_tmpdir("pq96");
    char path[600];
    snprintf(path, sizeof path, "%s/far.parquet", dir);
    cairn_test_write_file(path, file, len);
    cairn_table *t = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    int rc = cairn_parquet_read_file(path, NULL, &t, &err);
    assert_int_not_equal(rc, 0);
    assert_null(t);
    assert_non_null(strstr(err.message, "INT96"));
    cairn_free(file);
    cairn_test_rmtree(dir);
}

/* ------------------------------------------------------------------------------------------
 * Allocation failures
 * ---------------------------------------------------------------------------------------- */

static void fail_each_allocation(const char *name)
{
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks();
    cairn_parquet_options o;
    cairn_parquet_options_init(&o);
    o.threads = 1;
    for (int64_t n = 1;; n++) {
        cairn_testalloc_fail_at(n, false);
        cairn_table *t = NULL;
        cairn_error err;
        int rc = cairn_parquet_read_file(fixture(name), &o, &t, &err);
        cairn_testalloc_fail_at(0, false);
        if (rc == 0) {
            cairn_table_free(t);
            assert_int_equal(cairn_testalloc_live_blocks(), base);
            break;
        }
        if (rc != CAIRN_ENOMEM) fail_msg("%s, allocation %lld: %s: %s", name, (long long)n,
                                         cairn_errname(rc), err.message);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        assert_true(n < 100000);
    }
    cairn_testalloc_uninstall();
}

static void test_allocation_failures(void **state)
{
    (void)state;
    fail_each_allocation("all_types");
    fail_each_allocation("codec_gzip");
    fail_each_allocation("row_groups");
}

/* ------------------------------------------------------------------------------------------
 * The example data, when present
 * ---------------------------------------------------------------------------------------- */

static void test_flights(void **state)
{
    (void)state;
    const char *path = CAIRN_TOP "/data/flights-3m.parquet";
    if (!cairn_path_exists(path)) skip();
    cairn_table *t = NULL;
    cairn_error err;
    CAIRN_ASSERT_OK(cairn_parquet_read_file(path, NULL, &t, &err), &err);
    assert_int_equal(cairn_table_num_rows(t), 3000000);
    int64_t delay = 0, distance = 0, lo = INT64_MAX, hi = INT64_MIN;
    const cairn_column *d = col(t, "date");
    for (int64_t i = 0; i < 3000000; i++) {
        delay += cairn_column_i64(col(t, "delay"), i);
        distance += cairn_column_i64(col(t, "distance"), i);
        lo = cairn_column_i64(d, i) < lo ? cairn_column_i64(d, i) : lo;
        hi = cairn_column_i64(d, i) > hi ? cairn_column_i64(d, i) : hi;
    }
    assert_int_equal(delay, 20003603);
    assert_int_equal(distance, 2194861208);
    assert_int_equal(lo, BASE_US + 60 * INT64_C(1000000));
    assert_int_equal(hi, INT64_C(993945600000000)); /* 2001-07-01 */
    assert_int_equal(col(t, "origin")->dictionary->length, 229);
    cairn_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_types),
        cmocka_unit_test(test_all_types_v2),
        cmocka_unit_test(test_codecs),
        cmocka_unit_test(test_decode_dictionaries),
        cmocka_unit_test(test_row_groups_threads),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_projection),
        cmocka_unit_test(test_predicates),
        cmocka_unit_test(test_metadata_and_edges),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupted),
        cmocka_unit_test(test_hostile_footer),
        cmocka_unit_test(test_hand_built),
        cmocka_unit_test(test_int96_out_of_range),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_flights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
