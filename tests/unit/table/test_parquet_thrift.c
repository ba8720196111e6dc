#include "testutil.h"

/* tests/unit/table/test_parquet_thrift.c: the Thrift compact protocol decoder and the Parquet
 * metadata structures (src/table/parquet_thrift.c) on byte strings built here field by field:
 * a complete FileMetaData, unknown fields of every type (skipped), page headers, and hostile
 * inputs (huge list and string lengths, endless varints, deep nesting, bad types, every
 * truncation), which must fail with CAIRN_ECORRUPT, a byte offset and the structure's path. */

#include <string.h>

#include "table/parquet_internal.h"
#include "table/parquet_thrift.h"

/* ------------------------------------------------------------------------------------------
 * A compact-protocol writer for the tests
 * ---------------------------------------------------------------------------------------- */

enum { T_TRUE = 1, T_FALSE = 2, T_BYTE = 3, T_I16 = 4, T_I32 = 5, T_I64 = 6, T_DOUBLE = 7,
       T_BINARY = 8, T_LIST = 9, T_SET = 10, T_MAP = 11, T_STRUCT = 12, T_UUID = 13 };

typedef struct tw {
    cairn_buf b;
    int last[256]; /* last field id per open struct */
    int depth;
} tw;

static void tw_init(tw *w)
{
    memset(w, 0, sizeof *w);
    cairn_buf_init(&w->b, 0);
}

static void byte_(tw *w, uint8_t v)
{
    assert_int_equal(cairn_buf_append(&w->b, &v, 1), 0);
}

static void uvar(tw *w, uint64_t v)
{
    while (v >= 0x80) {
        byte_(w, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    byte_(w, (uint8_t)v);
}

static void zz(tw *w, int64_t v)
{
    uvar(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void field(tw *w, int id, int type)
{
    int delta = id - w->last[w->depth];
    if (delta > 0 && delta <= 15) {
        byte_(w, (uint8_t)(delta << 4 | type));
    } else {
        byte_(w, (uint8_t)type);
        zz(w, id);
    }
    w->last[w->depth] = id;
}

static void begin(tw *w) { w->last[++w->depth] = 0; }
static void end(tw *w) { byte_(w, 0); w->depth--; }
static void f_i32(tw *w, int id, int64_t v) { field(w, id, T_I32); zz(w, v); }
static void f_i64(tw *w, int id, int64_t v) { field(w, id, T_I64); zz(w, v); }
static void f_bool(tw *w, int id, bool v) { field(w, id, v ? T_TRUE : T_FALSE); }
static void bin(tw *w, const char *s, size_t n) { uvar(w, n); assert_int_equal(cairn_buf_append(&w->b, s, n), 0); }
static void f_str(tw *w, int id, const char *s) { field(w, id, T_BINARY); bin(w, s, strlen(s)); }
static void f_struct(tw *w, int id) { field(w, id, T_STRUCT); begin(w); }
static void list(tw *w, int type, uint64_t n)
{
    if (n < 15) byte_(w, (uint8_t)(n << 4 | (uint64_t)type));
    else {
        byte_(w, (uint8_t)(0xf0 | type));
        uvar(w, n);
    }
}
static void f_list(tw *w, int id, int type, uint64_t n) { field(w, id, T_LIST); list(w, type, n); }
static void elem_struct(tw *w) { begin(w); }

/* One unknown field of every type, ids from `id` on. */
static void unknown_fields(tw *w, int id)
{
    f_bool(w, id, true);
    f_bool(w, id + 1, false);
    field(w, id + 2, T_BYTE); byte_(w, 0x80);
    field(w, id + 3, T_I16); zz(w, -300);
    f_i32(w, id + 4, 1 << 30);
    f_i64(w, id + 5, INT64_MIN);
    field(w, id + 6, T_DOUBLE); for (int i = 0; i < 8; i++) byte_(w, 0x40);
    f_str(w, id + 7, "ignored");
    f_list(w, id + 8, T_I32, 3); zz(w, 1); zz(w, 2); zz(w, 3);
    field(w, id + 9, T_SET); list(w, T_TRUE, 2); byte_(w, 1); byte_(w, 2);
    field(w, id + 10, T_MAP); uvar(w, 2); byte_(w, T_I32 << 4 | T_BINARY);
    zz(w, 1); bin(w, "a", 1); zz(w, 2); bin(w, "bb", 2);
    field(w, id + 11, T_MAP); uvar(w, 0);
    f_struct(w, id + 12); f_struct(w, 1); f_list(w, 2, T_STRUCT, 1); elem_struct(w); end(w); end(w); end(w);
    field(w, id + 13, T_UUID); for (int i = 0; i < 16; i++) byte_(w, (uint8_t)i);
    f_i32(w, 300, 7); /* a long-form field id */
}

/* ------------------------------------------------------------------------------------------
 * A complete FileMetaData
 * ---------------------------------------------------------------------------------------- */

static void schema_element(tw *w, const char *name, int type, int rep, int children)
{
    elem_struct(w);
    if (type >= 0) f_i32(w, 1, type);
    if (rep >= 0) f_i32(w, 3, rep);
    f_str(w, 4, name);
    if (children >= 0) f_i32(w, 5, children);
    end(w);
}

static void column_chunk(tw *w, bool with_codec)
{
    elem_struct(w);
    f_i64(w, 2, 0);
    f_struct(w, 3); /* ColumnMetaData */
    f_i32(w, 1, PQ_INT64);
    f_list(w, 2, T_I32, 2); zz(w, PQ_ENC_PLAIN); zz(w, PQ_ENC_RLE);
    f_list(w, 3, T_BINARY, 1); bin(w, "ts", 2);
    if (with_codec) f_i32(w, 4, PQ_CODEC_ZSTD);
    f_i64(w, 5, 3);
    f_i64(w, 6, 40);
    f_i64(w, 7, 30);
    unknown_fields(w, 100); /* after skipping, field 9 follows a long-form id: delta-coded again */
    f_i64(w, 9, 4);
    f_i64(w, 11, 4);
    f_struct(w, 12); /* Statistics */
    f_str(w, 1, "MAXOLD");
    f_i64(w, 3, 1);
    field(w, 5, T_BINARY); bin(w, "\x09\0\0\0\0\0\0\0", 8);
    field(w, 6, T_BINARY); bin(w, "\x01\0\0\0\0\0\0\0", 8);
    end(w);
    f_list(w, 13, T_STRUCT, 1); elem_struct(w); f_i32(w, 1, PQ_PAGE_DATA); f_i32(w, 2, 8); f_i32(w, 3, 2); end(w);
    end(w);
    end(w);
}

static void file_meta(tw *w, bool with_codec)
{
    begin(w);
    f_i32(w, 1, 2);
    f_list(w, 2, T_STRUCT, 2);
    schema_element(w, "schema", -1, -1, 1);
    elem_struct(w);
    f_i32(w, 1, PQ_INT64); f_i32(w, 3, PQ_OPTIONAL); f_str(w, 4, "ts");
    f_i32(w, 6, PQ_CT_TIMESTAMP_MICROS);
    f_struct(w, 10); f_struct(w, 8); f_bool(w, 1, true); f_struct(w, 2); f_struct(w, 2); end(w); end(w); end(w); end(w);
    end(w);
    f_i64(w, 3, 3);
    f_list(w, 4, T_STRUCT, 1);
    elem_struct(w);
    f_list(w, 1, T_STRUCT, 1);
    column_chunk(w, with_codec);
    f_i64(w, 2, 40);
    f_i64(w, 3, 3);
    end(w);
    f_list(w, 5, T_STRUCT, 2);
    elem_struct(w); f_str(w, 1, "k"); f_str(w, 2, "v"); end(w);
    elem_struct(w); f_str(w, 1, "novalue"); end(w);
    f_str(w, 6, "cairn test");
    unknown_fields(w, 20);
    end(w);
}

static void test_file_meta(void **state)
{
    (void)state;
    tw w;
    tw_init(&w);
    file_meta(&w, true);
    pq_file_meta m;
    cairn_error err;
    CAIRN_ASSERT_OK(cairn__pq_file_meta_decode((const uint8_t *)w.b.data, w.b.len, 100, &m, &err), &err);
    assert_int_equal(m.version, 2);
    assert_int_equal(m.num_rows, 3);
    assert_int_equal(m.nschema, 2);
    assert_string_equal(m.schema[0].name, "schema");
    assert_int_equal(m.schema[0].num_children, 1);
    assert_int_equal(m.schema[0].type, -1);
    const pq_schema_element *e = &m.schema[1];
    assert_string_equal(e->name, "ts");
    assert_int_equal(e->type, PQ_INT64);
    assert_int_equal(e->repetition, PQ_OPTIONAL);
    assert_int_equal(e->converted_type, PQ_CT_TIMESTAMP_MICROS);
    assert_int_equal(e->logical.kind, PQ_LT_TIMESTAMP);
    assert_true(e->logical.adjusted_to_utc);
    assert_int_equal(e->logical.unit, PQ_UNIT_MICROS);
    assert_int_equal(m.nrow_groups, 1);
    const pq_row_group *g = &m.row_groups[0];
    assert_int_equal(g->num_rows, 3);
    assert_int_equal(g->ncolumns, 1);
    const pq_column_meta *c = &g->columns[0].meta;
    assert_true(g->columns[0].has_meta);
    assert_int_equal(c->codec, PQ_CODEC_ZSTD);
    assert_int_equal(c->nencodings, 2);
    assert_int_equal(c->encodings[1], PQ_ENC_RLE);
    assert_string_equal(c->path[0], "ts");
    assert_int_equal(c->num_values, 3);
    assert_int_equal(c->total_compressed_size, 30);
    assert_int_equal(c->data_page_offset, 4);
    assert_int_equal(c->dictionary_page_offset, 4);
    assert_true(c->has_statistics);
    assert_int_equal(c->statistics.null_count, 1);
    assert_int_equal(c->statistics.max.len, 6);
    assert_int_equal(c->statistics.min_value.ptr[0], 1);
    assert_int_equal(c->statistics.max_value.ptr[0], 9);
    assert_null(c->statistics.min.ptr);
    assert_int_equal(c->nencoding_stats, 1);
    assert_int_equal(c->encoding_stats[0].count, 2);
    assert_int_equal(m.nkey_value, 2);
    assert_string_equal(m.key_value[0].value, "v");
    assert_null(m.key_value[1].value);
    assert_string_equal(m.created_by, "cairn test");
    cairn__pq_file_meta_release(&m);
    cairn_buf_release(&w.b);
}

static void test_missing_required(void **state)
{
    (void)state;
    tw w;
    tw_init(&w);
    file_meta(&w, false);
    pq_file_meta m;
    cairn_error err;
    cairn_error_clear(&err);
    assert_int_equal(cairn__pq_file_meta_decode((const uint8_t *)w.b.data, w.b.len, 1000, &m, &err),
                     CAIRN_ECORRUPT);
    assert_non_null(strstr(err.message,
                           "reading FileMetaData.row_groups[0].columns[0].meta_data at byte "));
    assert_non_null(strstr(err.message, "required field 'codec' is missing"));
    assert_true(err.offset > 1000 && err.offset <= 1000 + (int64_t)w.b.len);
    cairn_buf_release(&w.b);
}

static void test_every_truncation(void **state)
{
    (void)state;
    tw w;
    tw_init(&w);
    file_meta(&w, true);
    for (size_t cut = 0; cut < w.b.len; cut++) {
        pq_file_meta m;
        cairn_error err;
        cairn_error_clear(&err);
        /* a copy of exactly `cut` bytes, so ASan sees any read past the end */
        uint8_t *copy = cairn_malloc(cut ? cut : 1);
        memcpy(copy, w.b.data, cut);
        assert_int_equal(cairn__pq_file_meta_decode(copy, cut, 0, &m, &err), CAIRN_ECORRUPT);
        assert_true(err.offset >= 0 && err.offset <= (int64_t)cut);
        assert_non_null(strstr(err.message, "reading FileMetaData"));
        cairn_free(copy);
    }
    cairn_buf_release(&w.b);
}

static int decode_meta(const tw *w, cairn_error *err)
{
    pq_file_meta m;
    cairn_error_clear(err);
    int rc = cairn__pq_file_meta_decode((const uint8_t *)w->b.data, w->b.len, 0, &m, err);
    if (rc == 0) cairn__pq_file_meta_release(&m);
    return rc;
}

static void test_hostile(void **state)
{
    (void)state;
    cairn_error err;
    tw w;
    /* list length 2^32 - 1 */
    tw_init(&w);
    begin(&w);
    f_list(&w, 4, T_STRUCT, 4294967295u);
    assert_int_equal(decode_meta(&w, &err), CAIRN_ECORRUPT);
    assert_non_null(strstr(err.message, "reading FileMetaData.row_groups at byte 7: list length"
                                        " 4294967295 exceeds remaining 0 bytes"));
    cairn_buf_release(&w.b);
    /* a string longer than the input */
    tw_init(&w);
    begin(&w);
    field(&w, 6, T_BINARY);
    uvar(&w, 1000000);
    assert_int_equal(decode_meta(&w, &err), CAIRN_ECORRUPT);
    assert_non_null(strstr(err.message, "binary length 1000000 exceeds remaining 0 bytes"));
    cairn_buf_release(&w.b);
    /* a varint that never ends */
    tw_init(&w);
    begin(&w);
    field(&w, 3, T_I64);
    for (int i = 0; i < 12; i++) byte_(&w, 0xff);
    byte_(&w, 0);
    assert_int_equal(decode_meta(&w, &err), CAIRN_ECORRUPT);
    assert_non_null(strstr(err.message, "varint longer than 64 bits"));
    cairn_buf_release(&w.b);
    /* structs nested 200 deep in an unknown field */
    tw_init(&w);
    begin(&w);
    for (int i = 0; i < 200; i++) f_struct(&w, 50);
    assert_int_equal(decode_meta(&w, &err), CAIRN_ECORRUPT);
    assert_non_null(strstr(err.message, "nesting deeper than"));
    cairn_buf_release(&w.b);
    /* field types 14 and 15 do not exist; nor does a map element type 0 */
    tw_init(&w);
    begin(&w);
    byte_(&w, 0x1e);
    assert_int_equal(decode_meta(&w, &err), CAIRN_ECORRUPT);
    assert_non_null(strstr(err.message, "invalid field type 14"));
    cairn_buf_release(&w.b);
    tw_init(&w);
    begin(&w);
    field(&w, 50, T_MAP);
    uvar(&w, 1);
    byte_(&w, 0x05);
    byte_(&w, 0);
    byte_(&w, 0);
    assert_int_equal(decode_meta(&w, &err), CAIRN_ECORRUPT);
    cairn_buf_release(&w.b);
    /* an i32 field holding a 64-bit value */
    tw_init(&w);
    begin(&w);
    f_i64(&w, 1, INT64_C(1) << 40);
    end(&w);
    assert_int_equal(decode_meta(&w, &err), CAIRN_ECORRUPT);
    assert_non_null(strstr(err.message, "out of range"));
    cairn_buf_release(&w.b);
    /* an empty struct: the required fields are missing */
    tw_init(&w);
    begin(&w);
    end(&w);
    assert_int_equal(decode_meta(&w, &err), CAIRN_ECORRUPT);
    assert_non_null(strstr(err.message, "required field 'schema' is missing"));
    cairn_buf_release(&w.b);
}

/* ------------------------------------------------------------------------------------------
 * Page headers and varints
 * ---------------------------------------------------------------------------------------- */

static void test_page_headers(void **state)
{
    (void)state;
    tw w;
    tw_init(&w);
    begin(&w);
    f_i32(&w, 1, PQ_PAGE_DATA_V2);
    f_i32(&w, 2, 100);
    f_i32(&w, 3, 60);
    f_i32(&w, 4, -5);
    f_struct(&w, 8);
    f_i32(&w, 1, 10); f_i32(&w, 2, 2); f_i32(&w, 3, 10); f_i32(&w, 4, PQ_ENC_DELTA_BINARY_PACKED);
    f_i32(&w, 5, 3); f_i32(&w, 6, 0); f_bool(&w, 7, false);
    f_struct(&w, 8); f_i64(&w, 3, 2); end(&w);
    end(&w);
    end(&w);
    cairn_buf_puts(&w.b, "page data follows");
    pq_page_header h;
    size_t used;
    cairn_error err;
    CAIRN_ASSERT_OK(cairn__pq_page_header_decode((const uint8_t *)w.b.data, w.b.len, 0, &h, &used, &err), &err);
    assert_int_equal(used, w.b.len - strlen("page data follows"));
    assert_int_equal(h.type, PQ_PAGE_DATA_V2);
    assert_int_equal(h.compressed_page_size, 60);
    assert_true(h.has_crc);
    assert_int_equal(h.crc, -5);
    assert_true(h.has_v2);
    assert_int_equal(h.v2_num_nulls, 2);
    assert_int_equal(h.v2_encoding, PQ_ENC_DELTA_BINARY_PACKED);
    assert_int_equal(h.v2_def_length, 3);
    assert_false(h.v2_is_compressed);
    cairn_buf_release(&w.b);

    /* a data page without its DataPageHeader */
    tw_init(&w);
    begin(&w);
    f_i32(&w, 1, PQ_PAGE_DATA);
    f_i32(&w, 2, 1);
    f_i32(&w, 3, 1);
    end(&w);
    cairn_error_clear(&err);
    assert_int_equal(cairn__pq_page_header_decode((const uint8_t *)w.b.data, w.b.len, 500, &h, &used, &err), CAIRN_ECORRUPT);
    assert_non_null(strstr(err.message, "reading PageHeader at byte 507"));
    assert_non_null(strstr(err.message, "'data_page_header' is missing"));
    cairn_buf_release(&w.b);

    /* a dictionary page header, then every truncation of it */
    tw_init(&w);
    begin(&w);
    f_i32(&w, 1, PQ_PAGE_DICTIONARY);
    f_i32(&w, 2, 1000);
    f_i32(&w, 3, 900);
    f_struct(&w, 7); f_i32(&w, 1, 42); f_i32(&w, 2, PQ_ENC_PLAIN_DICTIONARY); f_bool(&w, 3, true); end(&w);
    end(&w);
    CAIRN_ASSERT_OK(cairn__pq_page_header_decode((const uint8_t *)w.b.data, w.b.len, 0, &h, &used, &err), &err);
    assert_int_equal(h.dict_num_values, 42);
    assert_true(h.dict_is_sorted);
    for (size_t cut = 0; cut < w.b.len; cut++)
        assert_int_equal(cairn__pq_page_header_decode((const uint8_t *)w.b.data, cut, 0, &h, &used, &err), CAIRN_ECORRUPT);
    cairn_buf_release(&w.b);
}

static void test_uvarint(void **state)
{
    (void)state;
    const uint8_t max[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    const uint8_t *p = max;
    uint64_t v;
    assert_true(cairn__pq_read_uvarint(&p, max + sizeof max, &v));
    assert_true(v == UINT64_MAX);
    assert_ptr_equal(p, max + sizeof max);
    const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    p = over;
    assert_false(cairn__pq_read_uvarint(&p, over + sizeof over, &v));
    p = max;
    assert_false(cairn__pq_read_uvarint(&p, max + 3, &v));
    assert_ptr_equal(p, max);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_meta),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_page_headers),
        cmocka_unit_test(test_uvarint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
