#include "testutil.h"

/* tests/unit/table/test_arrow.c: the Arrow C Data Interface (src/table/arrow.c).
 *
 * Export: formats, names, flags and buffers of every type and of a dictionary column; a
 * child moved out and released on its own; the round trip through import. Import: arrays
 * built here by hand as a foreign producer would (every accepted format, a struct offset and
 * child offsets, struct-level nulls, unknown null counts, a bitmap to ignore when
 * null_count is 0, a dictionary with an offset and a null entry), checking each value and
 * that every release callback runs exactly once, on failures too. Allocation failure loops
 * over export and import.
 */
#include <string.h>

#include "cairn/arrow.h"

/* ------------------------------------------------------------------------------------------
 * Tables
 * ---------------------------------------------------------------------------------------- */

static const char *const words[] = {"", "alpha", "héllo", "日本", "x"};

static cairn_table *sample_table(int64_t rows)
{
    cairn_table *t = NULL;
    CAIRN_ASSERT_OK(cairn_table_create(&t), NULL);
    static const cairn_type types[] = {CAIRN_TYPE_BOOL,      CAIRN_TYPE_INT32,   CAIRN_TYPE_INT64,
                                       CAIRN_TYPE_FLOAT32,   CAIRN_TYPE_FLOAT64, CAIRN_TYPE_STRING,
                                       CAIRN_TYPE_TIMESTAMP, CAIRN_TYPE_DATE32,  CAIRN_TYPE_STRING};
    static const char *const names[] = {"b", "i32", "i64", "f32", "f64", "s", "ts", "d", "dict"};
    cairn_column *c[10];
    for (int k = 0; k < 9; k++)
        CAIRN_ASSERT_OK(cairn_table_add_column(t, names[k], types[k], true, &c[k]), NULL);
    CAIRN_ASSERT_OK(cairn_table_add_column(t, "req", CAIRN_TYPE_INT64, false, &c[9]), NULL);
    for (int64_t i = 0; i < rows; i++) {
        if (i % 3 == 2) {
            for (int k = 0; k < 9; k++)
                CAIRN_ASSERT_OK(cairn_column_append_null(c[k]), NULL);
        } else {
            const char *w = words[i % 5];
            CAIRN_ASSERT_OK(cairn_column_append_bool(c[0], i % 2), NULL);
            CAIRN_ASSERT_OK(cairn_column_append_int32(c[1], (int32_t)i - 50), NULL);
            CAIRN_ASSERT_OK(cairn_column_append_int64(c[2], i * INT64_C(3000000000)), NULL);
            CAIRN_ASSERT_OK(cairn_column_append_float32(c[3], (float)i / 4), NULL);
            CAIRN_ASSERT_OK(cairn_column_append_float64(c[4], (double)i / 3), NULL);
            CAIRN_ASSERT_OK(cairn_column_append_string(c[5], w, strlen(w)), NULL);
            CAIRN_ASSERT_OK(cairn_column_append_int64(c[6], i * INT64_C(86400000001)), NULL);
            CAIRN_ASSERT_OK(cairn_column_append_int32(c[7], (int32_t)i * 3 - 100), NULL);
            CAIRN_ASSERT_OK(cairn_column_append_string(c[8], w, strlen(w)), NULL);
        }
        CAIRN_ASSERT_OK(cairn_column_append_int64(c[9], i), NULL);
    }
    CAIRN_ASSERT_OK(cairn_column_dict_encode(c[8]), NULL);
    return t;
}

static void assert_tables_equal(const cairn_table *a, const cairn_table *b)
{
    assert_int_equal(cairn_table_num_columns(a), cairn_table_num_columns(b));
    assert_int_equal(cairn_table_num_rows(a), cairn_table_num_rows(b));
    for (size_t k = 0; k < cairn_table_num_columns(a); k++) {
        const cairn_column *x = cairn_table_column(a, k), *y = cairn_table_column(b, k);
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->nullable, y->nullable);
        assert_int_equal(x->null_count, y->null_count);
        assert_int_equal(x->dictionary != NULL, y->dictionary != NULL);
        for (int64_t i = 0; i < x->length; i++) {
            cairn_value u, v;
            cairn_column_get(x, i, &u);
            cairn_column_get(y, i, &v);
            assert_int_equal(u.is_null, v.is_null);
            if (u.is_null) continue;
            if (x->type == CAIRN_TYPE_STRING) {
                assert_int_equal(u.v.str.len, v.v.str.len);
                if (u.v.str.len) assert_memory_equal(u.v.str.ptr, v.v.str.ptr, u.v.str.len);
            } else if (x->type == CAIRN_TYPE_BOOL) {
                assert_int_equal(u.v.b, v.v.b);
            } else {
                assert_memory_equal(&u.v, &v.v, cairn_type_width(x->type));
            }
        }
    }
}

/* ------------------------------------------------------------------------------------------
 * Export
 * ---------------------------------------------------------------------------------------- */

static void test_export_layout(void **state)
{
    (void)state;
    cairn_table *t = sample_table(10);
    struct ArrowSchema schema;
    struct ArrowArray array;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_table_export_arrow(t, &schema, &array, &err), &err);
    assert_string_equal(schema.format, "+s");
    assert_int_equal(schema.n_children, 10);
    static const char *const formats[] = {"b", "i", "l", "f", "g", "U", "tsu:UTC", "tdD", "i", "l"};
    for (int k = 0; k < 10; k++) {
        const struct ArrowSchema *c = schema.children[k];
        assert_string_equal(c->format, formats[k]);
        assert_string_equal(c->name, cairn_table_column(t, (size_t)k)->name);
        assert_int_equal(c->flags, k < 9 ? ARROW_FLAG_NULLABLE : 0);
        assert_true((c->dictionary != NULL) == (k == 8));
        assert_non_null(c->release);
    }
    assert_string_equal(schema.children[8]->dictionary->format, "U");
    assert_int_equal(array.length, 10);
    assert_int_equal(array.n_buffers, 1);
    assert_null(array.buffers[0]);
    assert_int_equal(array.n_children, 10);
    const struct ArrowArray *i32 = array.children[1];
    assert_int_equal(i32->null_count, 3);
    assert_int_equal(i32->n_buffers, 2);
    assert_non_null(i32->buffers[0]);
    assert_int_equal(((const int32_t *)i32->buffers[1])[4], 4 - 50);
    const struct ArrowArray *s = array.children[5];
    assert_int_equal(s->n_buffers, 3);
    const int64_t *off = s->buffers[1];
    assert_int_equal(off[2] - off[1], 5); /* row 1 is "alpha", row 2 null */
    assert_memory_equal((const char *)s->buffers[2] + off[1], "alpha", 5);
    const struct ArrowArray *req = array.children[9];
    assert_int_equal(req->null_count, 0);
    assert_null(req->buffers[0]);
    const struct ArrowArray *d = array.children[8];
    assert_non_null(d->dictionary);
    assert_int_equal(d->dictionary->length, 5);
    assert_int_equal(d->dictionary->n_buffers, 3);
    array.release(&array);
    schema.release(&schema);
    assert_null(array.release);
    assert_null(schema.release);
    cairn_table_free(t);
}

/* A consumer may move a child out and release it after the parent. */
static void test_export_move_child(void **state)
{
    (void)state;
    cairn_table *t = sample_table(7);
    cairn_testalloc_install();
    int64_t baseline = cairn_testalloc_live_blocks();
    struct ArrowSchema schema;
    struct ArrowArray array;
    CAIRN_ASSERT_OK(cairn_table_export_arrow(t, &schema, &array, NULL), NULL);
    struct ArrowArray moved = *array.children[8];
    array.children[8]->release = NULL;
    struct ArrowArray dict = *moved.dictionary; /* and its dictionary, out of the moved child */
    moved.dictionary->release = NULL;
    struct ArrowSchema moved_schema = *schema.children[2];
    schema.children[2]->release = NULL;
    array.release(&array);
    schema.release(&schema);
    assert_int_equal(((const int32_t *)moved.buffers[1])[1], 1); /* still valid */
    moved.release(&moved);
    assert_int_equal(dict.length, 4);
    dict.release(&dict);
    assert_string_equal(moved_schema.name, "i64");
    moved_schema.release(&moved_schema);
    assert_int_equal(cairn_testalloc_live_blocks(), baseline);
    cairn_testalloc_uninstall();
    cairn_table_free(t);
}

static void test_roundtrip(void **state)
{
    (void)state;
    for (int64_t rows = 0; rows < 100; rows += 33) {
        cairn_table *t = sample_table(rows), *back = NULL;
        struct ArrowSchema schema;
        struct ArrowArray array;
        cairn_error err;
        cairn_error_clear(&err);
        CAIRN_ASSERT_OK(cairn_table_export_arrow(t, &schema, &array, &err), &err);
        CAIRN_ASSERT_OK(cairn_table_import_arrow(&schema, &array, &back, &err), &err);
        assert_null(schema.release);
        assert_null(array.release);
        assert_tables_equal(t, back);
        cairn_table_free(back);
        cairn_table_free(t);
    }
}

/* ------------------------------------------------------------------------------------------
 * A foreign producer
 * ---------------------------------------------------------------------------------------- */

static int arrays_released, schemas_released;

static void prod_release_array(struct ArrowArray *a)
{
    assert_non_null(a->release);
    for (int64_t i = 0; i < a->n_children; i++)
        if (a->children[i]->release) a->children[i]->release(a->children[i]);
    if (a->dictionary && a->dictionary->release) a->dictionary->release(a->dictionary);
    a->release = NULL;
    arrays_released++;
}

static void prod_release_schema(struct ArrowSchema *s)
{
    assert_non_null(s->release);
    for (int64_t i = 0; i < s->n_children; i++)
        if (s->children[i]->release) s->children[i]->release(s->children[i]);
    if (s->dictionary && s->dictionary->release) s->dictionary->release(s->dictionary);
    s->release = NULL;
    schemas_released++;
}

enum { NCHILD = 20, NODES = NCHILD + 2 }; /* children, the struct and one dictionary */

typedef struct prod_child {
    struct ArrowSchema s;
    struct ArrowArray a;
    const void *bufs[3];
} prod_child;

static prod_child kids[NCHILD], dict_node;
static struct ArrowSchema *kid_schemas[NCHILD];
static struct ArrowArray *kid_arrays[NCHILD];
static const void *struct_bufs[1];

static void mk(prod_child *c, const char *fmt, const char *name, int64_t offset, int64_t null_count,
               const void *validity, const void *b1, const void *b2)
{
    memset(c, 0, sizeof *c);
    c->s.format = fmt;
    c->s.name = name;
    c->s.flags = ARROW_FLAG_NULLABLE;
    c->s.release = prod_release_schema;
    c->bufs[0] = validity;
    c->bufs[1] = b1;
    c->bufs[2] = b2;
    c->a.length = 12 - offset;
    c->a.offset = offset;
    c->a.null_count = null_count;
    c->a.n_buffers = b2 ? 3 : 2;
    c->a.buffers = c->bufs;
    c->a.release = prod_release_array;
}

/* Struct rows r = 0..3 are elements 2 + r of the struct; row 1 is a null struct. A child
 * with offset o reads element o + 2 + r for row r. */
static const uint8_t struct_valid[] = {0xF7, 0xFF};
static const uint8_t bit5_null[] = {0xDF, 0xFF}; /* element 5 null */
static const uint8_t bit4_null[] = {0xEF, 0xFF}; /* element 4 null */
static const uint8_t all_zero[] = {0x00, 0x00};  /* ignored: null_count 0 */
static const int8_t v_i8[12] = {0, -1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11};
static const uint8_t v_u8[12] = {0, 1, 2, 200, 201, 202, 250, 251, 252, 253, 254, 255};
static const int16_t v_i16[12] = {0, 1, -300, -301, -302, -303, 7, 8, 9, 10, 11, 12};
static const uint16_t v_u16[12] = {0, 1, 2, 65535, 65534, 65533, 6, 7, 8, 9, 10, 11};
static const int32_t v_i32[12] = {0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110};
static const uint32_t v_u32[12] = {0, 1, 4000000000u, 4000000001u, 3, 4000000002u,
                                   5, 6, 7,           8,           9, 10};
static const int64_t v_i64[12] = {0, 1, 2, INT64_MAX, INT64_MIN, 5, 6, 7, 8, 9, 10, 11};
static const float v_f32[12] = {0, 0.5f, 1.5f, 2.5f, -3.5f, 4.5f, 5, 6, 7, 8, 9, 10};
static const double v_f64[12] = {0, 0.25, 1.25, 2.25, -3.25, 4.25, 5, 6, 7, 8, 9, 10};
static const uint8_t v_bool[2] = {0xA5, 0x0F}; /* 1010 0101: elements 0,2,5,7 set */
static const int64_t v_ts_s[12] = {0, 1, 2, 978307200, -1, 3, 4, 5, 6, 7, 8, 9};
static const int64_t v_ts_ms[12] = {0, 1, 2, 978307200123, -1, 3, 4, 5, 6, 7, 8, 9};
static const int64_t v_ts_ns[12] = {0, 1, 2, -1500, 1999, 978307200123456789, 4, 5, 6, 7, 8, 9};
static const int32_t v_date[12] = {0, 1, 2, 11323, -1, -719162, 4, 5, 6, 7, 8, 9};
static const int64_t v_date64[12] = {0, 1, 2, 86400000 * INT64_C(3), -1, 86399999, 4, 5, 6,
                                     7, 8, 9};
static const char text[] = "zeroonetwothreefourfivesixseveneightnineteneleven";
static const int32_t off32[13] = {0, 4, 7, 10, 15, 19, 23, 26, 31, 36, 40, 43, 49};
static const int64_t off64[13] = {0, 4, 7, 10, 15, 19, 23, 26, 31, 36, 40, 43, 49};
static const int16_t dict_idx[12] = {0, 0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0};
static const char dict_text[] = "xredblue";
static const int32_t dict_off[5] = {0, 1, 4, 4, 8}; /* "x", "red", null, "blue" */
static const uint8_t dict_valid[] = {0x0B};         /* entry 2 null */

static void build_input(struct ArrowSchema *schema, struct ArrowArray *array)
{
    mk(&kids[0], "c", "i8", 1, 0, NULL, v_i8, NULL);
    mk(&kids[1], "C", "u8", 0, 0, NULL, v_u8, NULL);
    mk(&kids[2], "s", "i16", 1, 0, NULL, v_i16, NULL);
    mk(&kids[3], "S", "u16", 1, 0, NULL, v_u16, NULL);
    mk(&kids[4], "i", "i32", 1, 1, bit5_null, v_i32, NULL); /* row 2 null */
    mk(&kids[5], "I", "u32", 0, 0, NULL, v_u32, NULL);
    mk(&kids[6], "l", "i64", 1, 0, all_zero, v_i64, NULL);   /* bitmap ignored */
    mk(&kids[7], "f", "f32", 1, -1, bit4_null, v_f32, NULL); /* unknown count: row 1 */
    mk(&kids[8], "g", "f64", 0, 0, NULL, v_f64, NULL);
    mk(&kids[9], "b", "bool", 4, 0, NULL, v_bool, NULL);
    mk(&kids[10], "u", "utf8", 0, -1, bit4_null, off32, text); /* element 4 null: row 2 */
    mk(&kids[11], "U", "large", 1, 0, NULL, off64, text);
    mk(&kids[12], "tss:", "ts_s", 1, 0, NULL, v_ts_s, NULL);
    mk(&kids[13], "tsm:Europe/Paris", "ts_ms", 1, 0, NULL, v_ts_ms, NULL);
    mk(&kids[14], "tsu:", "ts_us", 1, 0, NULL, v_ts_ms, NULL);
    mk(&kids[15], "tsn:UTC", "ts_ns", 1, 0, NULL, v_ts_ns, NULL);
    mk(&kids[16], "tdD", "date", 1, 0, NULL, v_date, NULL);
    mk(&kids[17], "tdm", "date64", 1, 0, NULL, v_date64, NULL);
    mk(&kids[18], "s", "dict", 1, 0, NULL, dict_idx, NULL);
    mk(&kids[19], "c", NULL, 0, 0, NULL, v_i8, NULL); /* no name */
    mk(&dict_node, "u", NULL, 1, 1, dict_valid, dict_off, dict_text);
    dict_node.a.length = 3; /* entries "red", null, "blue" */
    kids[18].s.dictionary = &dict_node.s;
    kids[18].a.dictionary = &dict_node.a;
    kids[5].s.flags = 0;
    for (int i = 0; i < NCHILD; i++) {
        kid_schemas[i] = &kids[i].s;
        kid_arrays[i] = &kids[i].a;
    }
    memset(schema, 0, sizeof *schema);
    schema->format = "+s";
    schema->n_children = NCHILD;
    schema->children = kid_schemas;
    schema->release = prod_release_schema;
    memset(array, 0, sizeof *array);
    struct_bufs[0] = struct_valid;
    array->length = 4;
    array->offset = 2;
    array->null_count = 1;
    array->n_buffers = 1;
    array->buffers = struct_bufs;
    array->n_children = NCHILD;
    array->children = kid_arrays;
    array->release = prod_release_array;
    arrays_released = schemas_released = 0;
}

static void assert_int_row(const cairn_table *t, const char *name, cairn_type type,
                           const int64_t *want, const bool *null)
{
    const cairn_column *c = cairn_table_column_by_name(t, name);
    assert_non_null(c);
    assert_int_equal(c->type, type);
    assert_int_equal(c->length, 4);
    for (int64_t r = 0; r < 4; r++) {
        cairn_value v;
        cairn_column_get(c, r, &v);
        assert_int_equal(v.is_null, null[r]);
        if (v.is_null) continue;
        int64_t got = (type == CAIRN_TYPE_INT32 || type == CAIRN_TYPE_DATE32) ? v.v.i32 : v.v.i64;
        assert_int_equal(got, want[r]);
    }
}

static void assert_str_row(const cairn_table *t, const char *name, const char *const *want)
{
    const cairn_column *c = cairn_table_column_by_name(t, name);
    assert_non_null(c);
    assert_int_equal(c->type, CAIRN_TYPE_STRING);
    for (int64_t r = 0; r < 4; r++) {
        cairn_value v;
        cairn_column_get(c, r, &v);
        assert_int_equal(v.is_null, want[r] == NULL);
        if (!want[r]) continue;
        assert_int_equal(v.v.str.len, strlen(want[r]));
        assert_memory_equal(v.v.str.ptr, want[r], v.v.str.len);
    }
}

static void test_import_offsets(void **state)
{
    (void)state;
    struct ArrowSchema schema;
    struct ArrowArray array;
    build_input(&schema, &array);
    cairn_table *t = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_table_import_arrow(&schema, &array, &t, &err), &err);
    assert_int_equal(arrays_released, NODES);
    assert_int_equal(schemas_released, NODES);
    assert_int_equal(cairn_table_num_rows(t), 4);
    const bool row1[] = {false, true, false, false}, rows12[] = {false, true, true, false};
    const int64_t i8[] = {-3, 0, -5, -6}, u8[] = {2, 0, 201, 202};
    assert_int_row(t, "i8", CAIRN_TYPE_INT32, i8, row1);
    assert_int_row(t, "u8", CAIRN_TYPE_INT32, u8, row1);
    const int64_t i16[] = {-301, 0, -303, 7}, u16[] = {65535, 0, 65533, 6};
    assert_int_row(t, "i16", CAIRN_TYPE_INT32, i16, row1);
    assert_int_row(t, "u16", CAIRN_TYPE_INT32, u16, row1);
    const int64_t i32[] = {30, 0, 0, 60};
    assert_int_row(t, "i32", CAIRN_TYPE_INT32, i32, rows12);
    const int64_t u32[] = {4000000000, 0, 3, 4000000002};
    assert_int_row(t, "u32", CAIRN_TYPE_INT64, u32, row1);
    assert_true(cairn_table_column_by_name(t, "u32")->nullable); /* a null struct row */
    const int64_t i64[] = {INT64_MAX, 0, 5, 6};
    assert_int_row(t, "i64", CAIRN_TYPE_INT64, i64, row1);
    const cairn_column *f32 = cairn_table_column_by_name(t, "f32");
    assert_int_equal(f32->null_count, 1); /* row 1: the struct's null and element 4 agree */
    assert_true(((const float *)f32->values)[3] == 5.0f);
    assert_true(((const float *)f32->values)[1] == 0.0f); /* null slot zeroed */
    const cairn_column *f64 = cairn_table_column_by_name(t, "f64");
    assert_true(((const double *)f64->values)[0] == 1.25);
    const cairn_column *b = cairn_table_column_by_name(t, "bool");
    assert_int_equal(b->type, CAIRN_TYPE_BOOL); /* elements 6..9: 0, (1), 1, 1 */
    assert_false(cairn_bit_get(b->values, 0));
    assert_false(cairn_column_is_valid(b, 1));
    assert_false(cairn_bit_get(b->values, 1)); /* a null slot holds false */
    assert_true(cairn_bit_get(b->values, 2) && cairn_bit_get(b->values, 3));
    const char *const utf8[] = {"two", NULL, NULL, "five"};
    assert_str_row(t, "utf8", utf8);
    const char *const large[] = {"three", NULL, "five", "six"};
    assert_str_row(t, "large", large);
    const int64_t ts_s[] = {978307200000000, 0, 3000000, 4000000};
    assert_int_row(t, "ts_s", CAIRN_TYPE_TIMESTAMP, ts_s, row1);
    const int64_t ts_ms[] = {978307200123000, 0, 3000, 4000};
    assert_int_row(t, "ts_ms", CAIRN_TYPE_TIMESTAMP, ts_ms, row1);
    const int64_t ts_us[] = {978307200123, 0, 3, 4};
    assert_int_row(t, "ts_us", CAIRN_TYPE_TIMESTAMP, ts_us, row1);
    const int64_t ts_ns[] = {-2, 0, 978307200123456, 0};
    assert_int_row(t, "ts_ns", CAIRN_TYPE_TIMESTAMP, ts_ns, row1);
    const int64_t date[] = {11323, 0, -719162, 4};
    assert_int_row(t, "date", CAIRN_TYPE_DATE32, date, row1);
    const int64_t date64[] = {3, 0, 0, 0};
    assert_int_row(t, "date64", CAIRN_TYPE_DATE32, date64, row1);
    const cairn_column *d = cairn_table_column_by_name(t, "dict");
    assert_non_null(d->dictionary);
    const char *const dict[] = {"blue", NULL, NULL, "red"};
    assert_str_row(t, "dict", dict);
    assert_non_null(cairn_table_column_by_name(t, "column20"));
    cairn_table_free(t);
}

static void test_import_errors(void **state)
{
    (void)state;
    struct ArrowSchema schema;
    struct ArrowArray array;
    cairn_table *t = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    build_input(&schema, &array);
    kids[3].s.format = "e"; /* half floats */
    assert_int_equal(cairn_table_import_arrow(&schema, &array, &t, &err), CAIRN_EUNSUPPORTED);
    assert_null(t);
    assert_string_equal(err.field, "u16");
    assert_non_null(strstr(err.message, "'e'"));
    assert_int_equal(arrays_released, NODES);
    assert_int_equal(schemas_released, NODES);

    build_input(&schema, &array);
    schema.format = "i";
    assert_int_equal(cairn_table_import_arrow(&schema, &array, &t, &err), CAIRN_EUNSUPPORTED);
    assert_int_equal(arrays_released, NODES);

    build_input(&schema, &array);
    kids[4].a.length = 3; /* shorter than offset 1 + struct offset 2 + 4 rows */
    assert_int_equal(cairn_table_import_arrow(&schema, &array, &t, &err), CAIRN_EINVAL);
    assert_string_equal(err.field, "i32");
    assert_int_equal(schemas_released, NODES);

    build_input(&schema, &array);
    static const int16_t bad_idx[12] = {0, 0, 0, 2, 0, 1, 9, 0, 0, 0, 0, 0};
    kids[18].bufs[1] = bad_idx;
    assert_int_equal(cairn_table_import_arrow(&schema, &array, &t, &err), CAIRN_EINVAL);
    assert_string_equal(err.field, "dict");

    build_input(&schema, &array);
    kids[1].s.name = "i8"; /* duplicate name */
    assert_int_equal(cairn_table_import_arrow(&schema, &array, &t, &err), CAIRN_EINVAL);
    assert_int_equal(arrays_released, NODES);

    build_input(&schema, &array);
    static const int64_t huge[12] = {0, 0, 0, INT64_MAX / 100, 0, 0, 0, 0, 0, 0, 0, 0};
    kids[13].bufs[1] = huge;
    assert_int_equal(cairn_table_import_arrow(&schema, &array, &t, &err), CAIRN_ERANGE);

    /* an already released input is refused */
    build_input(&schema, &array);
    array.release(&array);
    assert_int_equal(cairn_table_import_arrow(&schema, &array, &t, &err), CAIRN_EINVAL);
    assert_int_equal(schemas_released, NODES);
}

/* ------------------------------------------------------------------------------------------
 * Allocation failures
 * ---------------------------------------------------------------------------------------- */

static void test_alloc_failures(void **state)
{
    (void)state;
    cairn_table *t = sample_table(50);
    cairn_testalloc_install();
    int64_t baseline = cairn_testalloc_live_blocks();
    struct ArrowSchema cs;
    struct ArrowArray ca;
    cairn_table *clean = NULL;
    cairn_testalloc_reset_counts();
    CAIRN_ASSERT_OK(cairn_table_export_arrow(t, &cs, &ca, NULL), NULL);
    int64_t export_allocs = cairn_testalloc_count();
    ca.release(&ca);
    cs.release(&cs);
    build_input(&cs, &ca);
    cairn_testalloc_reset_counts();
    CAIRN_ASSERT_OK(cairn_table_import_arrow(&cs, &ca, &clean, NULL), NULL);
    int64_t import_allocs = cairn_testalloc_count();
    cairn_table_free(clean);
    int rc = -1;
    int64_t n;
    for (n = 1; rc != 0; n++) { /* export */
        struct ArrowSchema schema;
        struct ArrowArray array;
        cairn_testalloc_fail_at(n, false);
        rc = cairn_table_export_arrow(t, &schema, &array, NULL);
        cairn_testalloc_fail_at(0, false);
        if (rc) {
            assert_int_equal(rc, CAIRN_ENOMEM);
            assert_null(schema.release);
            assert_null(array.release);
        } else {
            array.release(&array);
            schema.release(&schema);
        }
        assert_int_equal(cairn_testalloc_live_blocks(), baseline);
    }
    assert_int_equal(n - 1, export_allocs + 1); /* no failure was swallowed */
    rc = -1;
    for (n = 1; rc != 0; n++) { /* import from a foreign producer */
        struct ArrowSchema schema;
        struct ArrowArray array;
        cairn_table *back = NULL;
        build_input(&schema, &array);
        cairn_testalloc_fail_at(n, false);
        rc = cairn_table_import_arrow(&schema, &array, &back, NULL);
        cairn_testalloc_fail_at(0, false);
        assert_int_equal(arrays_released, NODES);
        assert_int_equal(schemas_released, NODES);
        if (rc) assert_int_equal(rc, CAIRN_ENOMEM);
        cairn_table_free(back);
        assert_int_equal(cairn_testalloc_live_blocks(), baseline);
    }
    assert_int_equal(n - 1, import_allocs + 1);
    rc = -1;
    for (n = 1; rc != 0; n++) { /* import of an export */
        struct ArrowSchema schema;
        struct ArrowArray array;
        cairn_table *back = NULL;
        CAIRN_ASSERT_OK(cairn_table_export_arrow(t, &schema, &array, NULL), NULL);
        cairn_testalloc_fail_at(n, false);
        rc = cairn_table_import_arrow(&schema, &array, &back, NULL);
        cairn_testalloc_fail_at(0, false);
        assert_null(schema.release);
        assert_null(array.release);
        if (rc) {
            assert_int_equal(rc, CAIRN_ENOMEM);
        } else {
            assert_tables_equal(t, back);
            cairn_table_free(back);
        }
        assert_int_equal(cairn_testalloc_live_blocks(), baseline);
    }
    cairn_testalloc_uninstall();
    cairn_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_layout), cmocka_unit_test(test_export_move_child),
        cmocka_unit_test(test_roundtrip),     cmocka_unit_test(test_import_offsets),
        cmocka_unit_test(test_import_errors), cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
