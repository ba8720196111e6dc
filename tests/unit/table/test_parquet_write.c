#include "testutil.h"

/* tests/unit/table/test_parquet_write.c: the Parquet writer (src/table/parquet_write*.c).
 *
 * Checks the byte-level encoders against decoders written here (RLE/bit-packed hybrid,
 * Thrift compact bytes), the footer through a small generic compact-protocol parser of this
 * file (schema, logical types, encodings, statistics, key-value metadata: independent of
 * Cairn's reader), values through Cairn's reader (every type with nulls, empty strings vs
 * nulls, dictionary and PLAIN fallback, row groups, codecs, streaming writes), atomicity
 * (failed and aborted writes leave the old file and no temporary file) and an allocation
 * failure loop. DuckDB and hyparquet check the files in tests/oracles/test_parquet_write.sh.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/parquet.h"
#include "table/parquet_write.h"

/* ------------------------------------------------------------------------------------------
 * A generic Thrift compact-protocol tree (test-only decoder)
 * ---------------------------------------------------------------------------------------- */

typedef struct tnode {
    int16_t id; /* field id, or element index in a list */
    int type;
    int64_t i; /* integers and booleans */
    const uint8_t *bin;
    size_t len;
    struct tnode *kids;
    size_t nkids;
} tnode;

typedef struct tcur {
    const uint8_t *p, *end;
    bool bad;
} tcur;

static uint64_t t_uvarint(tcur *c)
{
    uint64_t v = 0;
    for (int shift = 0; c->p < c->end && shift < 64; shift += 7) {
        uint8_t b = *c->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    c->bad = true;
    return 0;
}

static int64_t t_zigzag(tcur *c)
{
    uint64_t v = t_uvarint(c);
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static void t_add(tnode *parent, tnode kid)
{
    parent->kids = realloc(parent->kids, (parent->nkids + 1) * sizeof *parent->kids);
    parent->kids[parent->nkids++] = kid;
}

static void t_struct(tcur *c, tnode *n);

static void t_value(tcur *c, tnode *n)
{
    switch (n->type) {
    case 1:
    case 2:
        n->i = n->type == 1;
        break;
    case 3:
        n->i = c->p < c->end ? (int8_t)*c->p++ : 0;
        break;
    case 4:
    case 5:
    case 6:
        n->i = t_zigzag(c);
        break;
    case 7:
        c->p += 8;
        break;
    case 8:
        n->len = (size_t)t_uvarint(c);
        n->bin = c->p;
        if (n->len > (size_t)(c->end - c->p))
            c->bad = true;
        else
            c->p += n->len;
        break;
    case 9:
    case 10: {
        uint8_t h = c->p < c->end ? *c->p++ : 0;
        size_t size = h >> 4;
        int elem = h & 15;
        if (size == 15) size = (size_t)t_uvarint(c);
        for (size_t k = 0; k < size && !c->bad; k++) {
            tnode e = {(int16_t)k, elem, 0, NULL, 0, NULL, 0};
            if (elem == 1 || elem == 2)
                e.i = c->p < c->end && *c->p++ == 1;
            else
                t_value(c, &e);
            t_add(n, e);
        }
        break;
    }
    case 12:
        t_struct(c, n);
        break;
    default:
        c->bad = true;
    }
}

static void t_struct(tcur *c, tnode *n)
{
    int16_t last = 0;
    while (!c->bad && c->p < c->end) {
        uint8_t h = *c->p++;
        if (h == 0) return;
        int type = h & 15, delta = h >> 4;
        int16_t id = delta ? (int16_t)(last + delta) : (int16_t)t_zigzag(c);
        tnode f = {id, type, 0, NULL, 0, NULL, 0};
        t_value(c, &f);
        t_add(n, f);
        last = id;
    }
    c->bad = true;
}

static void t_free(tnode *n)
{
    for (size_t i = 0; i < n->nkids; i++)
        t_free(&n->kids[i]);
    free(n->kids);
}

static const tnode *tget(const tnode *n, int16_t id)
{
    for (size_t i = 0; n && i < n->nkids; i++)
        if (n->kids[i].id == id) return &n->kids[i];
    return NULL;
}

static const tnode *tat(const tnode *list, size_t k)
{
    assert_non_null(list);
    assert_true(k < list->nkids);
    return &list->kids[k];
}

/* Reads the footer of a Parquet file into *root (the file's bytes stay in *bytes). */
static void read_footer(const char *path, cairn_buf *bytes, tnode *root)
{
    cairn_buf_init(bytes, 0);
    CAIRN_ASSERT_OK(cairn_file_read(path, bytes, 0, NULL), NULL);
    assert_true(bytes->len >= 12);
    assert_memory_equal(bytes->data, "PAR1", 4);
    assert_memory_equal(bytes->data + bytes->len - 4, "PAR1", 4);
    uint32_t len;
    memcpy(&len, bytes->data + bytes->len - 8, 4);
    assert_true(len + 12 <= bytes->len);
    tcur c = {(const uint8_t *)bytes->data + bytes->len - 8 - len,
              (const uint8_t *)bytes->data + bytes->len - 8, false};
    memset(root, 0, sizeof *root);
    root->type = 12;
    t_struct(&c, root);
    assert_false(c.bad);
    assert_true(c.p == c.end);
}

static void assert_bin(const tnode *n, const void *want, size_t len)
{
    assert_non_null(n);
    assert_int_equal(n->type, 8);
    assert_int_equal(n->len, len);
    if (len) assert_memory_equal(n->bin, want, len);
}

/* The ColumnMetaData of column c of row group g. */
static const tnode *column_meta(const tnode *root, size_t g, size_t c)
{
    const tnode *rg = tat(tget(root, 4), g);
    return tget(tat(tget(rg, 1), c), 3);
}

static bool has_encoding(const tnode *meta, int enc)
{
    const tnode *list = tget(meta, 2);
    for (size_t i = 0; list && i < list->nkids; i++)
        if (list->kids[i].i == enc) return true;
    return false;
}

/* ------------------------------------------------------------------------------------------
 * Fixtures
 * ---------------------------------------------------------------------------------------- */

static char dir[512];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", cairn_test_tmpdir("pqw"));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cairn_test_rmtree(dir);
    return 0;
}

static const char *path_in(const char *name)
{
    static char p[700];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

/* Files in the directory whose name contains ".tmp." */
static int temp_files(void)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strstr(e->d_name, ".tmp.")) n++;
    closedir(d);
    return n;
}

static const char *const words[] = {"", "alpha", "héllo wörld", "日本語", "x", "zeta", "a,b\"c"};
#define NWORDS (sizeof words / sizeof words[0])

/* Unsorted and repetitive: dictionary-encoded through the hash table. */
static int32_t i32_value(int64_t i)
{
    return (int32_t)((i * 7919) % 2001) - 1000;
}

/* Every type, nullable with nulls at rows where i % 4 == 1, plus a required column. */
static cairn_table *all_types(int64_t rows)
{
    cairn_table *t = NULL;
    CAIRN_ASSERT_OK(cairn_table_create(&t), NULL);
    static const cairn_type types[] = {CAIRN_TYPE_BOOL,      CAIRN_TYPE_INT32,   CAIRN_TYPE_INT64,
                                       CAIRN_TYPE_FLOAT32,   CAIRN_TYPE_FLOAT64, CAIRN_TYPE_STRING,
                                       CAIRN_TYPE_TIMESTAMP, CAIRN_TYPE_DATE32};
    static const char *const names[] = {"b", "i32", "i64", "f32", "f64", "s", "ts", "d"};
    cairn_column *cols[9];
    for (int k = 0; k < 8; k++)
        CAIRN_ASSERT_OK(cairn_table_add_column(t, names[k], types[k], true, &cols[k]), NULL);
    CAIRN_ASSERT_OK(cairn_table_add_column(t, "req", CAIRN_TYPE_INT64, false, &cols[8]), NULL);
    for (int64_t i = 0; i < rows; i++) {
        if (i % 4 == 1) {
            for (int k = 0; k < 8; k++)
                CAIRN_ASSERT_OK(cairn_column_append_null(cols[k]), NULL);
        } else {
            const char *w = words[i % NWORDS];
            CAIRN_ASSERT_OK(cairn_column_append_bool(cols[0], i % 3 == 0), NULL);
            CAIRN_ASSERT_OK(cairn_column_append_int32(cols[1], i32_value(i)), NULL);
            CAIRN_ASSERT_OK(cairn_column_append_int64(cols[2], i * INT64_C(1000000007) - 5), NULL);
            CAIRN_ASSERT_OK(cairn_column_append_float32(cols[3], (float)i * 0.25f - 3), NULL);
            CAIRN_ASSERT_OK(cairn_column_append_float64(cols[4], (double)i / 3.0 - 7), NULL);
            CAIRN_ASSERT_OK(cairn_column_append_string(cols[5], w, strlen(w)), NULL);
            CAIRN_ASSERT_OK(
                cairn_column_append_int64(cols[6], INT64_C(978307200000000) + i * 61000001), NULL);
            CAIRN_ASSERT_OK(cairn_column_append_int32(cols[7], (int32_t)(i / 3 % 40000) - 20000),
                            NULL);
        }
        CAIRN_ASSERT_OK(cairn_column_append_int64(cols[8], i), NULL);
    }
    return t;
}

static void assert_values_equal(const cairn_table *a, const cairn_table *b)
{
    assert_int_equal(cairn_table_num_columns(a), cairn_table_num_columns(b));
    assert_int_equal(cairn_table_num_rows(a), cairn_table_num_rows(b));
    for (size_t k = 0; k < cairn_table_num_columns(a); k++) {
        const cairn_column *x = cairn_table_column(a, k), *y = cairn_table_column(b, k);
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->nullable, y->nullable);
        assert_int_equal(x->null_count, y->null_count);
        for (int64_t i = 0; i < x->length; i++) {
            cairn_value u, v;
            cairn_column_get(x, i, &u);
            cairn_column_get(y, i, &v);
            assert_int_equal(u.is_null, v.is_null);
            if (u.is_null) continue;
            switch (x->type) {
            case CAIRN_TYPE_BOOL:
                assert_int_equal(u.v.b, v.v.b);
                break;
            case CAIRN_TYPE_INT32:
            case CAIRN_TYPE_DATE32:
                assert_int_equal(u.v.i32, v.v.i32);
                break;
            case CAIRN_TYPE_INT64:
            case CAIRN_TYPE_TIMESTAMP:
                assert_int_equal(u.v.i64, v.v.i64);
                break;
            case CAIRN_TYPE_FLOAT32:
                assert_memory_equal(&u.v.f32, &v.v.f32, 4);
                break;
            case CAIRN_TYPE_FLOAT64:
                assert_memory_equal(&u.v.f64, &v.v.f64, 8);
                break;
            case CAIRN_TYPE_STRING:
                assert_int_equal(u.v.str.len, v.v.str.len);
                if (u.v.str.len) assert_memory_equal(u.v.str.ptr, v.v.str.ptr, u.v.str.len);
                break;
            }
        }
    }
}

static cairn_table *read_back(const char *path)
{
    cairn_table *t = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_parquet_options opts;
    cairn_parquet_options_init(&opts);
    CAIRN_ASSERT_OK(cairn_parquet_read_file(path, &opts, &t, &err), &err);
    return t;
}

static void write_ok(const cairn_table *t, const char *path, const char *codec, int64_t rg)
{
    cairn_write_options o;
    cairn_write_options_init(&o);
    o.compression = codec;
    o.row_group_size = rg;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_parquet_write_file(t, path, &o, &err), &err);
}

/* ------------------------------------------------------------------------------------------
 * Encoders
 * ---------------------------------------------------------------------------------------- */

/* Decodes an RLE/bit-packed hybrid stream of n values. */
static void rle_decode(const uint8_t *p, size_t len, int width, uint32_t *out, int64_t n)
{
    tcur c = {p, p + len, false};
    int64_t k = 0;
    while (k < n) {
        uint64_t h = t_uvarint(&c);
        assert_false(c.bad);
        if (h & 1) {
            int64_t count = (int64_t)(h >> 1) * 8;
            uint64_t acc = 0;
            int bits = 0;
            for (int64_t i = 0; i < count; i++) {
                while (bits < width) {
                    assert_true(c.p < c.end);
                    acc |= (uint64_t)*c.p++ << bits;
                    bits += 8;
                }
                uint32_t v = (uint32_t)(acc & ((UINT64_C(1) << width) - 1));
                acc >>= width;
                bits -= width;
                if (k < n) out[k++] = v;
            }
        } else {
            int64_t count = (int64_t)(h >> 1);
            uint32_t v = 0;
            for (int b = 0; b < (width + 7) / 8; b++)
                v |= (uint32_t)*c.p++ << (8 * b);
            assert_true(count > 0 && k + count <= n);
            for (int64_t i = 0; i < count; i++)
                out[k++] = v;
        }
    }
    assert_true(c.p == c.end);
}

static void test_rle_levels(void **state)
{
    (void)state;
    enum { N = 3000 };
    uint8_t bits[N / 8 + 1];
    uint32_t got[N];
    srand(7);
    for (int pattern = 0; pattern < 6; pattern++) {
        for (int i = 0; i < N; i++) {
            bool v = pattern == 0   ? true
                     : pattern == 1 ? false
                     : pattern == 2 ? rand() % 2
                     : pattern == 3 ? (i / 100) % 2
                     : pattern == 4 ? i % 37 != 0
                                    : (i / 9) % 3 == 0;
            if (v)
                bits[i >> 3] |= (uint8_t)(1u << (i & 7));
            else
                bits[i >> 3] &= (uint8_t) ~(1u << (i & 7));
        }
        for (int64_t start = 0; start < 20; start += 3) {
            for (int64_t count = 0; count < N - 20; count += 317) {
                cairn_buf out;
                cairn_buf_init(&out, 0);
                CAIRN_ASSERT_OK(cairn__pqw_levels(&out, bits, start, count), NULL);
                rle_decode((const uint8_t *)out.data, out.len, 1, got, count);
                for (int64_t i = 0; i < count; i++)
                    assert_int_equal(got[i], cairn_bit_get(bits, start + i));
                if (pattern == 0 && count) assert_true(out.len <= 4);
                cairn_buf_release(&out);
            }
        }
    }
    cairn_buf out;
    cairn_buf_init(&out, 0);
    CAIRN_ASSERT_OK(cairn__pqw_levels(&out, NULL, 0, 1000), NULL);
    rle_decode((const uint8_t *)out.data, out.len, 1, got, 1000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(got[i], 1);
    cairn_buf_release(&out);
}

static void test_rle_values(void **state)
{
    (void)state;
    enum { N = 5000 };
    static uint32_t vals[N], got[N];
    srand(11);
    for (int width = 1; width <= 32; width += (width < 4 ? 1 : 5)) {
        uint64_t limit = UINT64_C(1) << width;
        for (int pattern = 0; pattern < 4; pattern++) {
            for (int i = 0; i < N; i++) {
                uint64_t r = (uint64_t)rand() * 2654435761u;
                vals[i] = (uint32_t)(pattern == 0   ? r % limit
                                     : pattern == 1 ? (uint64_t)(i / 50) % limit
                                     : pattern == 2 ? (i % 13 < 9 ? 1 % limit : r % limit)
                                                    : limit - 1);
            }
            for (int64_t count = 1; count < N; count += 777) {
                cairn_buf out;
                cairn_buf_init(&out, 0);
                CAIRN_ASSERT_OK(cairn__pqw_rle(&out, vals, count, width), NULL);
                rle_decode((const uint8_t *)out.data, out.len, width, got, count);
                assert_memory_equal(got, vals, (size_t)count * 4);
                cairn_buf_release(&out);
            }
        }
    }
    assert_int_equal(cairn__pqw_bit_width(0), 1);
    assert_int_equal(cairn__pqw_bit_width(1), 1);
    assert_int_equal(cairn__pqw_bit_width(2), 1);
    assert_int_equal(cairn__pqw_bit_width(3), 2);
    assert_int_equal(cairn__pqw_bit_width(256), 8);
    assert_int_equal(cairn__pqw_bit_width(257), 9);
}

static void test_thrift_bytes(void **state)
{
    (void)state;
    cairn_buf b;
    cairn_buf_init(&b, 0);
    pqw_thrift t;
    cairn__pqw_thrift_init(&t, &b);
    cairn__pqw_i32(&t, 1, 1);        /* 0x15 0x02 */
    cairn__pqw_i64(&t, 2, -1);       /* 0x16 0x01 */
    cairn__pqw_bool(&t, 3, true);    /* 0x11 */
    cairn__pqw_string(&t, 20, "ab"); /* long form: 0x08, zigzag(20) = 40, 0x02 'a' 'b' */
    cairn__pqw_struct_begin(&t, 21); /* 0x1c */
    cairn__pqw_bool(&t, 1, false);   /* 0x12 */
    cairn__pqw_struct_end(&t);       /* 0x00 */
    cairn__pqw_list_begin(&t, 22, PQW_T_I32, 2); /* 0x19 0x25 */
    cairn__pqw_list_i32(&t, 3);                  /* 0x06 */
    cairn__pqw_list_i32(&t, -2);                 /* 0x03 */
    cairn__pqw_struct_end(&t);
    static const uint8_t want[] = {0x15, 0x02, 0x16, 0x01, 0x11, 0x08, 40,   0x02, 'a',
                                   'b',  0x1c, 0x12, 0x00, 0x19, 0x25, 0x06, 0x03, 0x00};
    assert_int_equal(t.rc, 0);
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    cairn_buf_release(&b);
}

/* ------------------------------------------------------------------------------------------
 * Files
 * ---------------------------------------------------------------------------------------- */

static void test_roundtrip_all_types(void **state)
{
    (void)state;
    cairn_table *t = all_types(5000);
    write_ok(t, path_in("all.parquet"), NULL, 0);
    cairn_table *back = read_back(path_in("all.parquet"));
    assert_values_equal(t, back);
    cairn_table_free(back);

    cairn_buf bytes;
    tnode root;
    read_footer(path_in("all.parquet"), &bytes, &root);
    assert_int_equal(tget(&root, 1)->i, 1);    /* version */
    assert_int_equal(tget(&root, 3)->i, 5000); /* num_rows */
    const tnode *schema = tget(&root, 2);
    assert_int_equal(schema->nkids, 10);
    assert_int_equal(tget(tat(schema, 0), 5)->i, 9); /* root: num_children */
    /* per leaf: physical type, repetition, converted type (-1 none), logical type id */
    static const int want[9][4] = {
        {PQ_BOOLEAN, 1, -1, 0},
        {PQ_INT32, 1, PQ_CT_INT_32, 10},
        {PQ_INT64, 1, -1, 0},
        {PQ_FLOAT, 1, -1, 0},
        {PQ_DOUBLE, 1, -1, 0},
        {PQ_BYTE_ARRAY, 1, PQ_CT_UTF8, 1},
        {PQ_INT64, 1, PQ_CT_TIMESTAMP_MICROS, 8},
        {PQ_INT32, 1, PQ_CT_DATE, 6},
        {PQ_INT64, 0, -1, 0},
    };
    for (size_t k = 0; k < 9; k++) {
        const tnode *se = tat(schema, k + 1);
        assert_int_equal(tget(se, 1)->i, want[k][0]);
        assert_int_equal(tget(se, 3)->i, want[k][1]);
        const tnode *ct = tget(se, 6), *lt = tget(se, 10);
        assert_int_equal(ct ? ct->i : -1, want[k][2]);
        assert_int_equal(lt ? lt->kids[0].id : 0, want[k][3]);
    }
    const tnode *ts = tget(tat(schema, 7), 10)->kids; /* TimestampType */
    assert_int_equal(tget(ts, 1)->i, 1);              /* isAdjustedToUTC */
    assert_non_null(tget(tget(ts, 2), 2));            /* unit MICROS */
    const tnode *it = tget(tat(schema, 2), 10)->kids; /* IntType */
    assert_int_equal(tget(it, 1)->i, 32);
    assert_int_equal(tget(it, 2)->i, 1);
    assert_true(has_encoding(column_meta(&root, 0, 1), PQ_ENC_RLE_DICTIONARY));  /* hashed */
    assert_true(has_encoding(column_meta(&root, 0, 7), PQ_ENC_RLE_DICTIONARY));  /* sorted */
    assert_false(has_encoding(column_meta(&root, 0, 6), PQ_ENC_RLE_DICTIONARY)); /* unique */
    assert_false(has_encoding(column_meta(&root, 0, 0), PQ_ENC_RLE_DICTIONARY)); /* bool */
    const tnode *orders = tget(&root, 7);
    assert_int_equal(orders->nkids, 9);
    assert_non_null(tget(tat(orders, 0), 1)); /* TYPE_ORDER */
    t_free(&root);
    cairn_buf_release(&bytes);
    cairn_table_free(t);
}

static void test_empty_strings_and_nulls(void **state)
{
    (void)state;
    cairn_table *t = NULL;
    cairn_column *s = NULL, *r = NULL;
    CAIRN_ASSERT_OK(cairn_table_create(&t), NULL);
    CAIRN_ASSERT_OK(cairn_table_add_column(t, "s", CAIRN_TYPE_STRING, true, &s), NULL);
    CAIRN_ASSERT_OK(cairn_table_add_column(t, "r", CAIRN_TYPE_STRING, false, &r), NULL);
    for (int i = 0; i < 40; i++) {
        if (i % 2)
            CAIRN_ASSERT_OK(cairn_column_append_null(s), NULL);
        else
            CAIRN_ASSERT_OK(cairn_column_append_string(s, "", 0), NULL);
        CAIRN_ASSERT_OK(cairn_column_append_string(r, i % 3 ? "" : "e", i % 3 ? 0 : 1), NULL);
    }
    write_ok(t, path_in("empty.parquet"), "none", 0);
    cairn_table *back = read_back(path_in("empty.parquet"));
    assert_values_equal(t, back);
    assert_int_equal(cairn_table_column(back, 0)->null_count, 20);
    cairn_table_free(back);

    cairn_buf bytes;
    tnode root;
    read_footer(path_in("empty.parquet"), &bytes, &root);
    const tnode *st = tget(column_meta(&root, 0, 0), 12);
    assert_int_equal(tget(st, 3)->i, 20);
    assert_bin(tget(st, 6), "", 0);
    assert_bin(tget(st, 5), "", 0);
    assert_null(tget(st, 1)); /* no legacy min/max for strings */
    t_free(&root);
    cairn_buf_release(&bytes);
    cairn_table_free(t);
}

static void test_dictionary_and_plain(void **state)
{
    (void)state;
    cairn_table *t = NULL;
    cairn_column *low = NULL, *big = NULL, *coded = NULL, *uniq = NULL;
    CAIRN_ASSERT_OK(cairn_table_create(&t), NULL);
    CAIRN_ASSERT_OK(cairn_table_add_column(t, "low", CAIRN_TYPE_STRING, true, &low), NULL);
    CAIRN_ASSERT_OK(cairn_table_add_column(t, "big", CAIRN_TYPE_STRING, false, &big), NULL);
    CAIRN_ASSERT_OK(cairn_table_add_column(t, "coded", CAIRN_TYPE_STRING, true, &coded), NULL);
    CAIRN_ASSERT_OK(cairn_table_add_column(t, "uniq", CAIRN_TYPE_INT64, false, &uniq), NULL);
    char buf[200];
    for (int i = 0; i < 20000; i++) {
        if (i % 10 == 3)
            CAIRN_ASSERT_OK(cairn_column_append_null(low), NULL);
        else
            CAIRN_ASSERT_OK(
                cairn_column_append_string(low, words[i % NWORDS], strlen(words[i % NWORDS])),
                NULL);
        /* 20000 distinct strings of ~100 bytes: a dictionary past 1 MiB */
        int n = snprintf(buf, sizeof buf, "%05d-%090d", i, i * 7);
        CAIRN_ASSERT_OK(cairn_column_append_string(big, buf, (size_t)n), NULL);
        if (i % 7 == 2)
            CAIRN_ASSERT_OK(cairn_column_append_null(coded), NULL);
        else
            CAIRN_ASSERT_OK(cairn_column_append_string(coded, words[(i / 3) % NWORDS],
                                                       strlen(words[(i / 3) % NWORDS])),
                            NULL);
        CAIRN_ASSERT_OK(cairn_column_append_int64(uniq, (int64_t)i * 1000003), NULL);
    }
    CAIRN_ASSERT_OK(cairn_column_dict_encode(coded), NULL);
    assert_non_null(coded->dictionary);
    write_ok(t, path_in("dict.parquet"), NULL, 0);
    cairn_table *back = read_back(path_in("dict.parquet"));
    assert_values_equal(t, back);
    cairn_table_free(back);

    cairn_buf bytes;
    tnode root;
    read_footer(path_in("dict.parquet"), &bytes, &root);
    const tnode *m0 = column_meta(&root, 0, 0), *m1 = column_meta(&root, 0, 1);
    const tnode *m2 = column_meta(&root, 0, 2), *m3 = column_meta(&root, 0, 3);
    assert_true(has_encoding(m0, PQ_ENC_RLE_DICTIONARY));
    assert_non_null(tget(m0, 11));
    assert_false(has_encoding(m1, PQ_ENC_RLE_DICTIONARY)); /* dictionary past 1 MiB */
    assert_null(tget(m1, 11));
    assert_true(has_encoding(m2, PQ_ENC_RLE_DICTIONARY));
    assert_false(has_encoding(m3, PQ_ENC_RLE_DICTIONARY)); /* not smaller than PLAIN */
    /* the string statistics come from the dictionary: bytewise order */
    const tnode *st = tget(m2, 12);
    assert_bin(tget(st, 6), "", 0);
    assert_bin(tget(st, 5), "日本語", strlen("日本語"));
    assert_int_equal(tget(st, 3)->i, 20000 / 7 + (20000 % 7 > 2));
    /* the data page offset follows the dictionary page */
    assert_true(tget(m0, 9)->i > tget(m0, 11)->i);
    t_free(&root);
    cairn_buf_release(&bytes);
    cairn_table_free(t);
}

static void test_row_groups(void **state)
{
    (void)state;
    cairn_table *t = all_types(3500);
    write_ok(t, path_in("rg.parquet"), "snappy", 1000);
    cairn_buf bytes;
    tnode root;
    read_footer(path_in("rg.parquet"), &bytes, &root);
    const tnode *groups = tget(&root, 4);
    assert_int_equal(groups->nkids, 4);
    int64_t offset = 4;
    for (size_t g = 0; g < 4; g++) {
        const tnode *rg = tat(groups, g);
        assert_int_equal(tget(rg, 3)->i, g < 3 ? 1000 : 500);
        assert_int_equal(tget(rg, 5)->i, offset);
        assert_int_equal(tget(rg, 1)->nkids, 9);
        const tnode *first = column_meta(&root, g, 0);
        assert_int_equal(tget(first, 5)->i, g < 3 ? 1000 : 500);
        assert_int_equal(tget(first, 4)->i, PQ_CODEC_SNAPPY);
        offset += tget(rg, 6)->i;
    }
    uint32_t footer_len;
    memcpy(&footer_len, bytes.data + bytes.len - 8, 4);
    assert_int_equal(offset, (int64_t)bytes.len - 8 - footer_len); /* the footer follows */
    t_free(&root);
    cairn_buf_release(&bytes);
    cairn_table *back = read_back(path_in("rg.parquet"));
    assert_values_equal(t, back);
    cairn_table_free(back);
    cairn_table_free(t);
}

/* Several writes of uneven sizes give full row groups and the same rows. */
static void test_streaming_writes(void **state)
{
    (void)state;
    cairn_table *t = all_types(4321);
    cairn_field *fields = NULL;
    CAIRN_ASSERT_OK(cairn_table_fields(t, &fields), NULL);
    cairn_write_options o;
    cairn_write_options_init(&o);
    o.row_group_size = 1000;
    cairn_parquet_writer *w = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_parquet_writer_open(path_in("stream.parquet"), fields, 9, &o, &w, &err),
                    &err);
    static const int64_t cuts[] = {0, 300, 1500, 1550, 1550, 3999, 4321};
    for (size_t k = 0; k + 1 < sizeof cuts / sizeof cuts[0]; k++) {
        cairn_table *part = NULL;
        CAIRN_ASSERT_OK(cairn_table_slice(t, cuts[k], cuts[k + 1] - cuts[k], &part), NULL);
        CAIRN_ASSERT_OK(cairn_parquet_writer_write(w, part, &err), &err);
        cairn_table_free(part);
    }
    CAIRN_ASSERT_OK(cairn_parquet_writer_set_metadata(w, "owner", "tests"), NULL);
    CAIRN_ASSERT_OK(cairn_parquet_writer_set_metadata(w, "owner", "tests, again"), NULL);
    CAIRN_ASSERT_OK(cairn_parquet_writer_commit(w, &err), &err);
    cairn_free(fields);

    cairn_buf bytes;
    tnode root;
    read_footer(path_in("stream.parquet"), &bytes, &root);
    const tnode *groups = tget(&root, 4);
    assert_int_equal(groups->nkids, 5);
    for (size_t g = 0; g < 5; g++)
        assert_int_equal(tget(tat(groups, g), 3)->i, g < 4 ? 1000 : 321);
    const tnode *kv = tget(&root, 5);
    assert_int_equal(kv->nkids, 2);
    assert_bin(tget(tat(kv, 1), 1), "owner", 5);
    assert_bin(tget(tat(kv, 1), 2), "tests, again", 12);
    t_free(&root);
    cairn_buf_release(&bytes);
    cairn_table *back = read_back(path_in("stream.parquet"));
    assert_values_equal(t, back);
    cairn_table_free(back);
    cairn_table_free(t);
}

static void test_codecs(void **state)
{
    (void)state;
    cairn_table *t = all_types(3000);
    static const char *const names[] = {"zstd", "snappy", "gzip", "none", "uncompressed", NULL};
    static const int codes[] = {PQ_CODEC_ZSTD,         PQ_CODEC_SNAPPY,       PQ_CODEC_GZIP,
                                PQ_CODEC_UNCOMPRESSED, PQ_CODEC_UNCOMPRESSED, PQ_CODEC_ZSTD};
    for (size_t k = 0; k < 6; k++) {
        write_ok(t, path_in("codec.parquet"), names[k], 0);
        cairn_buf bytes;
        tnode root;
        read_footer(path_in("codec.parquet"), &bytes, &root);
        for (size_t c = 0; c < 9; c++)
            assert_int_equal(tget(column_meta(&root, 0, c), 4)->i, codes[k]);
        t_free(&root);
        cairn_buf_release(&bytes);
        cairn_table *back = read_back(path_in("codec.parquet"));
        assert_values_equal(t, back);
        cairn_table_free(back);
    }
    cairn_write_options o;
    cairn_write_options_init(&o);
    o.compression = "brotli-9000";
    cairn_error err;
    cairn_error_clear(&err);
    assert_int_equal(cairn_parquet_write_file(t, path_in("bad.parquet"), &o, &err),
                     CAIRN_EUNSUPPORTED);
    assert_non_null(strstr(err.message, "brotli-9000"));
    assert_false(cairn_path_exists(path_in("bad.parquet")));
    assert_int_equal(temp_files(), 0);
    cairn_table_free(t);
}

static void assert_stats(const tnode *root, size_t c, const void *min, const void *max, size_t w,
                         int64_t nulls, bool legacy)
{
    const tnode *st = tget(column_meta(root, 0, c), 12);
    assert_non_null(st);
    assert_int_equal(tget(st, 3)->i, nulls);
    assert_bin(tget(st, 6), min, w);
    assert_bin(tget(st, 5), max, w);
    assert_int_equal(tget(st, 7)->i, 1);
    assert_int_equal(tget(st, 8)->i, 1);
    if (legacy) {
        assert_bin(tget(st, 2), min, w);
        assert_bin(tget(st, 1), max, w);
    } else {
        assert_null(tget(st, 1));
        assert_null(tget(st, 2));
    }
}

static void test_statistics(void **state)
{
    (void)state;
    cairn_table *t = all_types(1000); /* rows 0..999, nulls at i % 4 == 1 */
    write_ok(t, path_in("stats.parquet"), NULL, 0);
    cairn_buf bytes;
    tnode root;
    read_footer(path_in("stats.parquet"), &bytes, &root);
    uint8_t f = 0, tr = 1;
    assert_stats(&root, 0, &f, &tr, 1, 250, false);
    int32_t i32lo = INT32_MAX, i32hi = INT32_MIN;
    for (int64_t i = 0; i < 1000; i++) {
        if (i % 4 == 1) continue;
        i32lo = i32_value(i) < i32lo ? i32_value(i) : i32lo;
        i32hi = i32_value(i) > i32hi ? i32_value(i) : i32hi;
    }
    assert_stats(&root, 1, &i32lo, &i32hi, 4, 250, true);
    int64_t i64lo = -5, i64hi = 999 * INT64_C(1000000007) - 5;
    assert_stats(&root, 2, &i64lo, &i64hi, 8, 250, true);
    float flo = -3, fhi = 999 * 0.25f - 3;
    assert_stats(&root, 3, &flo, &fhi, 4, 250, true);
    double dlo = -7, dhi = 999 / 3.0 - 7;
    assert_stats(&root, 4, &dlo, &dhi, 8, 250, true);
    int64_t tlo = INT64_C(978307200000000), thi = tlo + 999 * INT64_C(61000001);
    assert_stats(&root, 6, &tlo, &thi, 8, 250, true);
    int32_t dalo = -20000, dahi = 999 / 3 - 20000;
    assert_stats(&root, 7, &dalo, &dahi, 4, 250, true);
    int64_t rlo = 0, rhi = 999;
    assert_stats(&root, 8, &rlo, &rhi, 8, 0, true);
    const tnode *st = tget(column_meta(&root, 0, 5), 12);
    assert_bin(tget(st, 6), "", 0);
    assert_bin(tget(st, 5), "日本語", strlen("日本語")); /* bytewise: 0xE6 sorts last */
    assert_int_equal(tget(tget(column_meta(&root, 0, 4), 12), 9)->i, 0); /* nan_count */
    t_free(&root);
    cairn_buf_release(&bytes);
    cairn_table_free(t);
}

static void test_statistics_special(void **state)
{
    (void)state;
    cairn_table *t = NULL;
    cairn_column *f = NULL, *nan = NULL, *s = NULL, *none = NULL;
    CAIRN_ASSERT_OK(cairn_table_create(&t), NULL);
    CAIRN_ASSERT_OK(cairn_table_add_column(t, "f", CAIRN_TYPE_FLOAT64, false, &f), NULL);
    CAIRN_ASSERT_OK(cairn_table_add_column(t, "nan", CAIRN_TYPE_FLOAT32, false, &nan), NULL);
    CAIRN_ASSERT_OK(cairn_table_add_column(t, "s", CAIRN_TYPE_STRING, false, &s), NULL);
    CAIRN_ASSERT_OK(cairn_table_add_column(t, "none", CAIRN_TYPE_INT32, true, &none), NULL);
    static char longa[5000], longz[5000];
    memset(longa, 'a', sizeof longa);
    memset(longz, 'z', sizeof longz);
    const double fv[] = {0.0, NAN, -0.0, -0.0, NAN};
    for (int i = 0; i < 5; i++) {
        CAIRN_ASSERT_OK(cairn_column_append_float64(f, fv[i]), NULL);
        CAIRN_ASSERT_OK(cairn_column_append_float32(nan, NAN), NULL);
        CAIRN_ASSERT_OK(cairn_column_append_string(s, i % 2 ? longz : longa, sizeof longa), NULL);
        CAIRN_ASSERT_OK(cairn_column_append_null(none), NULL);
    }
    write_ok(t, path_in("special.parquet"), NULL, 0);
    cairn_buf bytes;
    tnode root;
    read_footer(path_in("special.parquet"), &bytes, &root);
    /* f: 0, NaN, -0, -0, NaN: min -0.0 and max +0.0, two NaNs */
    const tnode *st = tget(column_meta(&root, 0, 0), 12);
    double lo, hi;
    assert_int_equal(tget(st, 6)->len, 8);
    memcpy(&lo, tget(st, 6)->bin, 8);
    memcpy(&hi, tget(st, 5)->bin, 8);
    assert_true(lo == 0 && signbit(lo));
    assert_true(hi == 0 && !signbit(hi));
    assert_int_equal(tget(st, 9)->i, 2);
    /* all NaN: no bounds */
    st = tget(column_meta(&root, 0, 1), 12);
    assert_null(tget(st, 5));
    assert_null(tget(st, 6));
    assert_int_equal(tget(st, 9)->i, 5);
    /* 5000-byte strings: shortened bounds, marked inexact */
    st = tget(column_meta(&root, 0, 2), 12);
    assert_int_equal(tget(st, 6)->len, 4096);
    assert_memory_equal(tget(st, 6)->bin, longa, 4096);
    assert_int_equal(tget(st, 8)->i, 0);
    assert_int_equal(tget(st, 5)->len, 4096);
    assert_memory_equal(tget(st, 5)->bin, longz, 4095);
    assert_int_equal(tget(st, 5)->bin[4095], 'z' + 1);
    assert_int_equal(tget(st, 7)->i, 0);
    /* all null: a null count and no bounds */
    st = tget(column_meta(&root, 0, 3), 12);
    assert_int_equal(tget(st, 3)->i, 5);
    assert_null(tget(st, 6));
    t_free(&root);
    cairn_buf_release(&bytes);
    cairn_table *back = read_back(path_in("special.parquet"));
    assert_values_equal(t, back);
    cairn_table_free(back);
    cairn_table_free(t);
}

static void test_key_value_metadata(void **state)
{
    (void)state;
    cairn_table *t = NULL;
    cairn_column *c = NULL;
    CAIRN_ASSERT_OK(cairn_table_create(&t), NULL);
    CAIRN_ASSERT_OK(cairn_table_add_column(t, "a \"q\"", CAIRN_TYPE_DATE32, true, &c), NULL);
    CAIRN_ASSERT_OK(cairn_table_add_column(t, "n", CAIRN_TYPE_FLOAT32, false, &c), NULL);
    write_ok(t, path_in("kv.parquet"), NULL, 0); /* no rows */
    cairn_buf bytes;
    tnode root;
    read_footer(path_in("kv.parquet"), &bytes, &root);
    const tnode *kv = tget(&root, 5);
    assert_int_equal(kv->nkids, 1);
    assert_bin(tget(tat(kv, 0), 1), "cairn.schema", 12);
    const char *want =
        "{\"fields\":[{\"name\":\"a \\\"q\\\"\",\"type\":\"date\",\"nullable\":true},"
        "{\"name\":\"n\",\"type\":\"float32\",\"nullable\":false}]}";
    assert_bin(tget(tat(kv, 0), 2), want, strlen(want));
    char created[64];
    snprintf(created, sizeof created, "cairn version %s", cairn_version());
    assert_bin(tget(&root, 6), created, strlen(created));
    assert_int_equal(tget(&root, 4)->nkids, 0);
    assert_int_equal(tget(&root, 3)->i, 0);
    t_free(&root);
    cairn_buf_release(&bytes);
    cairn_parquet_reader *r = NULL;
    cairn_parquet_options opts;
    cairn_parquet_options_init(&opts);
    CAIRN_ASSERT_OK(cairn_parquet_reader_open(path_in("kv.parquet"), &opts, &r, NULL), NULL);
    assert_string_equal(cairn_parquet_reader_metadata(r, "cairn.schema"), want);
    assert_int_equal(cairn_parquet_reader_num_rows(r), 0);
    cairn_parquet_reader_close(r);
    cairn_table_free(t);
}

static void test_one_row(void **state)
{
    (void)state;
    cairn_table *t = all_types(1);
    write_ok(t, path_in("one.parquet"), "gzip", 0);
    cairn_table *back = read_back(path_in("one.parquet"));
    assert_values_equal(t, back);
    cairn_table_free(back);
    cairn_table_free(t);
}

/* ------------------------------------------------------------------------------------------
 * Errors and atomicity
 * ---------------------------------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    cairn_table *t = all_types(10);
    cairn_field *fields = NULL;
    CAIRN_ASSERT_OK(cairn_table_fields(t, &fields), NULL);
    cairn_parquet_writer *w = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    assert_int_equal(cairn_parquet_writer_open(path_in("e.parquet"), fields, 0, NULL, &w, &err),
                     CAIRN_EINVAL);
    assert_null(w);
    fields[1].type = CAIRN_TYPE_INT64; /* i32 declared as int64 */
    CAIRN_ASSERT_OK(cairn_parquet_writer_open(path_in("e.parquet"), fields, 9, NULL, &w, &err),
                    &err);
    assert_int_equal(cairn_parquet_writer_write(w, t, &err), CAIRN_ETYPE);
    assert_string_equal(err.field, "i32");
    assert_int_equal(cairn_parquet_writer_commit(w, &err), CAIRN_ETYPE);
    assert_false(cairn_path_exists(path_in("e.parquet")));
    fields[1].type = CAIRN_TYPE_INT32;
    fields[0].nullable = false; /* b has nulls */
    CAIRN_ASSERT_OK(cairn_parquet_writer_open(path_in("e.parquet"), fields, 9, NULL, &w, &err),
                    &err);
    assert_int_equal(cairn_parquet_writer_write(w, t, &err), CAIRN_EINVAL);
    assert_string_equal(err.field, "b");
    cairn_parquet_writer_abort(w);
    CAIRN_ASSERT_OK(cairn_parquet_writer_open(path_in("e.parquet"), fields, 8, NULL, &w, &err),
                    &err);
    assert_int_equal(cairn_parquet_writer_write(w, t, &err),
                     CAIRN_EINVAL); /* 9 columns, 8 fields */
    cairn_parquet_writer_abort(w);
    assert_int_equal(cairn_parquet_write_file(t, path_in("no/such/dir/x.parquet"), NULL, &err),
                     CAIRN_ENOTFOUND);
    assert_int_equal(temp_files(), 0);
    assert_false(cairn_path_exists(path_in("e.parquet")));
    cairn_free(fields);
    cairn_table_free(t);
}

static void test_atomic_replace(void **state)
{
    (void)state;
    const char *p = path_in("keep.parquet");
    cairn_test_write_file(p, "old contents", 12);
    cairn_table *t = all_types(100);
    cairn_field *fields = NULL;
    CAIRN_ASSERT_OK(cairn_table_fields(t, &fields), NULL);
    cairn_parquet_writer *w = NULL;
    /* abort after writing: the old file stays, no temporary file remains */
    CAIRN_ASSERT_OK(cairn_parquet_writer_open(p, fields, 9, NULL, &w, NULL), NULL);
    assert_int_equal(temp_files(), 1);
    CAIRN_ASSERT_OK(cairn_parquet_writer_write(w, t, NULL), NULL);
    cairn_parquet_writer_abort(w);
    assert_int_equal(temp_files(), 0);
    cairn_buf b;
    cairn_buf_init(&b, 0);
    CAIRN_ASSERT_OK(cairn_file_read(p, &b, 0, NULL), NULL);
    assert_string_equal(b.data, "old contents");
    /* a failed write, then commit: fails, old file intact */
    fields[5].nullable = false;
    CAIRN_ASSERT_OK(cairn_parquet_writer_open(p, fields, 9, NULL, &w, NULL), NULL);
    assert_int_equal(cairn_parquet_writer_write(w, t, NULL), CAIRN_EINVAL);
    assert_int_equal(cairn_parquet_writer_commit(w, NULL), CAIRN_EINVAL);
    assert_int_equal(temp_files(), 0);
    cairn_buf_reset(&b);
    CAIRN_ASSERT_OK(cairn_file_read(p, &b, 0, NULL), NULL);
    assert_string_equal(b.data, "old contents");
    /* success replaces it */
    write_ok(t, p, NULL, 0);
    assert_int_equal(temp_files(), 0);
    cairn_table *back = read_back(p);
    assert_values_equal(t, back);
    cairn_table_free(back);
    cairn_buf_release(&b);
    cairn_free(fields);
    cairn_table_free(t);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    cairn_table *t = all_types(3000);
    CAIRN_ASSERT_OK(cairn_column_dict_encode(cairn_table_column(t, 5)), NULL);
    cairn_write_options o;
    cairn_write_options_init(&o);
    o.row_group_size = 1000;
    const char *p = path_in("oom.parquet");
    cairn_testalloc_install();
    int64_t baseline = cairn_testalloc_live_blocks();
    cairn_testalloc_reset_counts();
    CAIRN_ASSERT_OK(cairn_parquet_write_file(t, p, &o, NULL), NULL);
    int64_t allocations = cairn_testalloc_count(); /* every one of them is failed in turn */
    assert_int_equal(unlink(p), 0);
    int rc = -1;
    int64_t n;
    for (n = 1; n < 100000 && rc != 0; n++) {
        cairn_testalloc_fail_at(n, false);
        cairn_error err;
        cairn_error_clear(&err);
        rc = cairn_parquet_write_file(t, p, &o, &err);
        cairn_testalloc_fail_at(0, false);
        if (rc) {
            assert_int_equal(rc, CAIRN_ENOMEM);
            assert_int_equal(err.code, CAIRN_ENOMEM);
            assert_false(cairn_path_exists(p));
        }
        assert_int_equal(cairn_testalloc_live_blocks(), baseline);
        assert_int_equal(temp_files(), 0);
    }
    cairn_testalloc_uninstall();
    assert_int_equal(rc, 0);
    assert_int_equal(n - 1, allocations + 1); /* no failure was swallowed */
    cairn_table *back = read_back(p);
    assert_values_equal(t, back);
    cairn_table_free(back);
    cairn_table_free(t);
}

/* The streaming writer under allocation failures: pending rows, flushes and commit. */
static int stream_once(const cairn_table *t, const cairn_table *const *parts, size_t nparts,
                       const char *path)
{
    cairn_field *fields = NULL;
    int rc = cairn_table_fields(t, &fields);
    if (rc) return rc;
    cairn_write_options o;
    cairn_write_options_init(&o);
    o.row_group_size = 700;
    o.compression = "snappy";
    cairn_parquet_writer *w = NULL;
    rc = cairn_parquet_writer_open(path, fields, cairn_table_num_columns(t), &o, &w, NULL);
    cairn_free(fields);
    for (size_t k = 0; rc == 0 && k < nparts; k++)
        rc = cairn_parquet_writer_write(w, parts[k], NULL);
    if (rc == 0) rc = cairn_parquet_writer_set_metadata(w, "k", "v");
    if (rc && w) {
        cairn_parquet_writer_abort(w);
        return rc;
    }
    return rc ? rc : cairn_parquet_writer_commit(w, NULL);
}

static void test_alloc_failures_streaming(void **state)
{
    (void)state;
    cairn_table *t = all_types(2000), *parts[3];
    static const int64_t cuts[] = {0, 650, 1800, 2000};
    for (int k = 0; k < 3; k++)
        CAIRN_ASSERT_OK(cairn_table_slice(t, cuts[k], cuts[k + 1] - cuts[k], &parts[k]), NULL);
    const char *p = path_in("oom-stream.parquet");
    cairn_testalloc_install();
    int64_t baseline = cairn_testalloc_live_blocks();
    int rc = -1;
    for (int64_t n = 1; n < 100000 && rc != 0; n++) {
        cairn_testalloc_fail_at(n, false);
        rc = stream_once(t, (const cairn_table *const *)parts, 3, p);
        cairn_testalloc_fail_at(0, false);
        if (rc) {
            assert_int_equal(rc, CAIRN_ENOMEM);
            assert_false(cairn_path_exists(p));
        }
        assert_int_equal(cairn_testalloc_live_blocks(), baseline);
        assert_int_equal(temp_files(), 0);
    }
    cairn_testalloc_uninstall();
    assert_int_equal(rc, 0);
    cairn_table *back = read_back(p);
    assert_values_equal(t, back);
    cairn_table_free(back);
    for (int k = 0; k < 3; k++)
        cairn_table_free(parts[k]);
    cairn_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rle_levels),
        cmocka_unit_test(test_rle_values),
        cmocka_unit_test(test_thrift_bytes),
        cmocka_unit_test_setup_teardown(test_roundtrip_all_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_strings_and_nulls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dictionary_and_plain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streaming_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_codecs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statistics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statistics_special, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_value_metadata, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failures_streaming, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
