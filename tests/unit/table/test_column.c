/* Tests of src/table/column.c: builders for every type, the Arrow layout (lazy validity,
 * bitmap edges), ranges, copies, dictionary encoding, and failure atomicity under the
 * failing test allocator. */
#include "testutil.h"

#include <string.h>

#include "table/table_internal.h"

static cairn_column *new_column(const char *name, cairn_type type, bool nullable)
{
    cairn_column *c = NULL;
    assert_int_equal(cairn_column_create(name, type, nullable, &c), 0);
    return c;
}

static bool values_equal(const cairn_value *a, const cairn_value *b)
{
    if (a->is_null || b->is_null) return a->is_null == b->is_null;
    switch (a->type) {
    case CAIRN_TYPE_BOOL:
        return a->v.b == b->v.b;
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32:
        return a->v.i32 == b->v.i32;
    case CAIRN_TYPE_INT64:
    case CAIRN_TYPE_TIMESTAMP:
        return a->v.i64 == b->v.i64;
    case CAIRN_TYPE_FLOAT32:
        return memcmp(&a->v.f32, &b->v.f32, sizeof(float)) == 0;
    case CAIRN_TYPE_FLOAT64:
        return memcmp(&a->v.f64, &b->v.f64, sizeof(double)) == 0;
    case CAIRN_TYPE_STRING:
        return a->v.str.len == b->v.str.len &&
               (a->v.str.len == 0 || memcmp(a->v.str.ptr, b->v.str.ptr, a->v.str.len) == 0);
    }
    return false;
}

static void assert_columns_equal(const cairn_column *a, const cairn_column *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->length, b->length);
    assert_int_equal(a->null_count, b->null_count);
    for (int64_t i = 0; i < a->length; i++) {
        cairn_value va, vb;
        cairn_column_get(a, i, &va);
        cairn_column_get(b, i, &vb);
        assert_true(values_equal(&va, &vb));
    }
}

/* ------------------------------------------------------------------------------------------ */

static void test_fixed_types_with_nulls(void **state)
{
    (void)state;
    cairn_column *b = new_column("b", CAIRN_TYPE_BOOL, true);
    cairn_column *i32 = new_column("i32", CAIRN_TYPE_INT32, true);
    cairn_column *i64 = new_column("i64", CAIRN_TYPE_INT64, true);
    cairn_column *f32 = new_column("f32", CAIRN_TYPE_FLOAT32, true);
    cairn_column *f64 = new_column("f64", CAIRN_TYPE_FLOAT64, true);
    cairn_column *ts = new_column("ts", CAIRN_TYPE_TIMESTAMP, true);
    cairn_column *d = new_column("d", CAIRN_TYPE_DATE32, true);
    for (int i = 0; i < 10; i++) {
        bool null = i % 3 == 1;
        if (null) {
            cairn_column *all[] = {b, i32, i64, f32, f64, ts, d};
            for (size_t k = 0; k < 7; k++)
                assert_int_equal(cairn_column_append_null(all[k]), 0);
            continue;
        }
        assert_int_equal(cairn_column_append_bool(b, i % 2 == 0), 0);
        assert_int_equal(cairn_column_append_int32(i32, -i), 0);
        assert_int_equal(cairn_column_append_int64(i64, (int64_t)i << 40), 0);
        assert_int_equal(cairn_column_append_float32(f32, (float)i / 4), 0);
        assert_int_equal(cairn_column_append_float64(f64, i * 0.5), 0);
        assert_int_equal(cairn_column_append_int64(ts, i * CAIRN_US_PER_DAY), 0);
        assert_int_equal(cairn_column_append_int32(d, 10000 + i), 0);
    }
    cairn_column *all[] = {b, i32, i64, f32, f64, ts, d};
    for (size_t k = 0; k < 7; k++) {
        assert_int_equal(all[k]->length, 10);
        assert_int_equal(all[k]->null_count, 3);
        assert_non_null(all[k]->validity);
    }
    for (int i = 0; i < 10; i++) {
        bool null = i % 3 == 1;
        cairn_value v;
        for (size_t k = 0; k < 7; k++) {
            assert_int_equal(cairn_column_is_valid(all[k], i), !null);
            cairn_column_get(all[k], i, &v);
            assert_int_equal(v.is_null, null);
            assert_int_equal(v.type, all[k]->type);
        }
        if (null) {
            assert_int_equal(cairn_column_i32(i32, i), 0); /* a null slot holds 0 */
            assert_int_equal(cairn_column_i64(i64, i), 0);
            assert_false(cairn_bit_get(b->values, i));
            continue;
        }
        assert_int_equal(cairn_bit_get(b->values, i), i % 2 == 0);
        assert_int_equal(cairn_column_i32(i32, i), -i);
        assert_int_equal(cairn_column_i64(i64, i), (int64_t)i << 40);
        assert_true(((const float *)f32->values)[i] == (float)i / 4);
        assert_true(cairn_column_f64(f64, i) == i * 0.5);
        cairn_column_get(ts, i, &v);
        assert_int_equal(v.v.i64, i * CAIRN_US_PER_DAY);
        cairn_column_get(d, i, &v);
        assert_int_equal(v.v.i32, 10000 + i);
    }
    for (size_t k = 0; k < 7; k++) {
        assert_true(cairn_column_memory(all[k]) > 0);
        cairn_column_free(all[k]);
    }
}

static void test_strings_with_nulls(void **state)
{
    (void)state;
    cairn_column *s = new_column("s", CAIRN_TYPE_STRING, true);
    assert_non_null(s->offsets);
    assert_int_equal(s->offsets[0], 0);
    assert_int_equal(cairn_column_append_string(s, "alpha", 5), 0);
    assert_int_equal(cairn_column_append_string(s, "", 0), 0);
    assert_int_equal(cairn_column_append_null(s), 0);
    assert_int_equal(cairn_column_append_string(s, "a\0b", 3), 0);
    assert_int_equal(s->length, 4);
    assert_int_equal(s->null_count, 1);
    int64_t expected_offsets[] = {0, 5, 5, 5, 8};
    assert_memory_equal(s->offsets, expected_offsets, sizeof expected_offsets);
    size_t len;
    const char *p = cairn_column_str(s, 3, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(p, "a\0b", 3);
    cairn_value v;
    cairn_column_get(s, 1, &v);
    assert_false(v.is_null);
    assert_int_equal(v.v.str.len, 0);
    cairn_column_get(s, 2, &v);
    assert_true(v.is_null);
    cairn_column_free(s);
}

static void test_lazy_validity_backfill(void **state)
{
    (void)state;
    cairn_column *c = new_column("x", CAIRN_TYPE_INT64, true);
    for (int i = 0; i < 20; i++)
        assert_int_equal(cairn_column_append_int64(c, i), 0);
    assert_null(c->validity);
    assert_int_equal(c->null_count, 0);
    assert_int_equal(cairn_column_append_null(c), 0);
    assert_non_null(c->validity);
    for (int i = 0; i < 20; i++)
        assert_true(cairn_column_is_valid(c, i));
    assert_false(cairn_column_is_valid(c, 20));
    assert_int_equal(cairn_column_append_int64(c, 99), 0);
    assert_true(cairn_column_is_valid(c, 21));
    cairn_column_free(c);
}

/* A null at row n of columns that are valid elsewhere, for the bitmap's byte and word
 * edges: validity and BOOL value bits around rows 7, 8, 9, 63, 64, 65. */
static void test_bitmap_edges(void **state)
{
    (void)state;
    int64_t edges[] = {0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 127, 128};
    for (size_t e = 0; e < sizeof edges / sizeof edges[0]; e++) {
        int64_t n = edges[e];
        cairn_column *b = new_column("b", CAIRN_TYPE_BOOL, true);
        for (int64_t i = 0; i < n; i++)
            assert_int_equal(cairn_column_append_bool(b, i % 3 != 0), 0);
        assert_int_equal(cairn_column_append_null(b), 0);
        for (int64_t i = n + 1; i < n + 70; i++)
            assert_int_equal(cairn_column_append_bool(b, i % 3 != 0), 0);
        assert_int_equal(b->length, n + 70);
        assert_int_equal(b->null_count, 1);
        for (int64_t i = 0; i < n + 70; i++) {
            assert_int_equal(cairn_column_is_valid(b, i), i != n);
            assert_int_equal(cairn_bit_get(b->values, i), i != n && i % 3 != 0);
        }
        /* a range across the edge keeps every bit */
        cairn_column *r = new_column("b", CAIRN_TYPE_BOOL, true);
        int64_t from = n > 3 ? n - 3 : 0;
        assert_int_equal(cairn_column_append_range(r, b, from, 9), 0);
        for (int64_t i = 0; i < 9; i++) {
            assert_int_equal(cairn_column_is_valid(r, i), from + i != n);
            assert_int_equal(cairn_bit_get(r->values, i), cairn_bit_get(b->values, from + i));
        }
        cairn_column_free(r);
        cairn_column_free(b);
    }
}

static void test_type_checks(void **state)
{
    (void)state;
    cairn_column *c = new_column("x", CAIRN_TYPE_INT32, false);
    assert_int_equal(cairn_column_append_null(c), CAIRN_EINVAL);
    assert_int_equal(cairn_column_append_int64(c, 1), CAIRN_ETYPE);
    assert_int_equal(cairn_column_append_string(c, "1", 1), CAIRN_ETYPE);
    assert_int_equal(cairn_column_append_bool(c, true), CAIRN_ETYPE);
    assert_int_equal(c->length, 0);
    assert_null(c->validity);
    cairn_column_free(c);

    cairn_column *ts = new_column("ts", CAIRN_TYPE_TIMESTAMP, false);
    assert_int_equal(cairn_column_append_int64(ts, 5), 0);
    assert_int_equal(cairn_column_append_int32(ts, 5), CAIRN_ETYPE);
    cairn_column *d = new_column("d", CAIRN_TYPE_DATE32, false);
    assert_int_equal(cairn_column_append_int32(d, 5), 0);
    assert_int_equal(cairn_column_append_range(d, ts, 0, 1), CAIRN_ETYPE);
    cairn_column_free(ts);
    cairn_column_free(d);
    cairn_column *bad = NULL;
    assert_int_equal(cairn_column_create("x", (cairn_type)0, true, &bad), CAIRN_EINVAL);
    assert_null(bad);
}

static void test_append_value(void **state)
{
    (void)state;
    cairn_column *i64 = new_column("x", CAIRN_TYPE_INT64, true);
    cairn_value v = {.type = CAIRN_TYPE_INT32, .v.i32 = -3};
    assert_int_equal(cairn_column_append_value(i64, &v), 0); /* widened */
    v = (cairn_value){.type = CAIRN_TYPE_INT64, .v.i64 = INT64_MAX};
    assert_int_equal(cairn_column_append_value(i64, &v), 0);
    v = (cairn_value){.type = CAIRN_TYPE_STRING, .is_null = true};
    assert_int_equal(cairn_column_append_value(i64, &v), 0); /* null of any type */
    v = (cairn_value){.type = CAIRN_TYPE_STRING, .v.str = {"7", 1}};
    assert_int_equal(cairn_column_append_value(i64, &v), CAIRN_ETYPE);
    assert_int_equal(i64->length, 3);
    assert_int_equal(cairn_column_i64(i64, 0), -3);
    assert_int_equal(cairn_column_i64(i64, 1), INT64_MAX);
    assert_false(cairn_column_is_valid(i64, 2));
    cairn_column_free(i64);

    cairn_column *s = new_column("s", CAIRN_TYPE_STRING, false);
    v = (cairn_value){.type = CAIRN_TYPE_STRING, .v.str = {"xyz", 2}};
    assert_int_equal(cairn_column_append_value(s, &v), 0);
    cairn_column_get(s, 0, &v);
    assert_int_equal(v.v.str.len, 2);
    assert_memory_equal(v.v.str.ptr, "xy", 2);
    cairn_column_free(s);
}

static cairn_column *sample_strings(bool dict)
{
    const char *words[] = {"pear", "apple", NULL, "pear", "", "fig", "apple", NULL, "pear"};
    cairn_column *s = new_column("fruit", CAIRN_TYPE_STRING, true);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (words[i])
            assert_int_equal(cairn_column_append_string(s, words[i], strlen(words[i])), 0);
        else
            assert_int_equal(cairn_column_append_null(s), 0);
    }
    if (dict) assert_int_equal(cairn_column_dict_encode(s), 0);
    return s;
}

static void test_append_range(void **state)
{
    (void)state;
    cairn_column *src = sample_strings(false);
    cairn_column *dst = new_column("fruit", CAIRN_TYPE_STRING, true);
    assert_int_equal(cairn_column_append_string(dst, "kiwi", 4), 0);
    assert_int_equal(cairn_column_append_range(dst, src, 1, 4), 0);
    assert_int_equal(dst->length, 5);
    assert_int_equal(dst->null_count, 1);
    size_t len;
    assert_memory_equal(cairn_column_str(dst, 1, &len), "apple", 5);
    assert_false(cairn_column_is_valid(dst, 2));
    assert_memory_equal(cairn_column_str(dst, 3, &len), "pear", 4);
    assert_int_equal(cairn_column_append_range(dst, src, 8, 2), CAIRN_ERANGE);
    assert_int_equal(cairn_column_append_range(dst, src, -1, 1), CAIRN_ERANGE);
    assert_int_equal(cairn_column_append_range(dst, src, 9, 0), 0);

    cairn_column *strict = new_column("fruit", CAIRN_TYPE_STRING, false);
    assert_int_equal(cairn_column_append_range(strict, src, 0, 3), CAIRN_EINVAL);
    assert_int_equal(cairn_column_append_range(strict, src, 0, 2), 0);
    assert_int_equal(strict->length, 2);
    assert_null(strict->validity);

    /* numbers: a bulk copy */
    cairn_column *a = new_column("n", CAIRN_TYPE_FLOAT64, true), *b;
    for (int i = 0; i < 100; i++)
        assert_int_equal(cairn_column_append_float64(a, i), 0);
    b = new_column("n", CAIRN_TYPE_FLOAT64, true);
    assert_int_equal(cairn_column_append_range(b, a, 10, 50), 0);
    for (int i = 0; i < 50; i++)
        assert_true(cairn_column_f64(b, i) == 10 + i);
    cairn_column_free(a);
    cairn_column_free(b);
    cairn_column_free(strict);
    cairn_column_free(dst);
    cairn_column_free(src);
}

static void test_copy(void **state)
{
    (void)state;
    for (int dict = 0; dict < 2; dict++) {
        cairn_column *s = sample_strings(dict), *c;
        assert_int_equal(cairn_column_copy(s, &c), 0);
        assert_columns_equal(s, c);
        assert_string_equal(c->name, "fruit");
        assert_int_equal(c->dictionary != NULL, dict);
        /* the copy grows on its own */
        if (!dict)
            assert_int_equal(cairn_column_append_string(c, "plum", 4), 0);
        else
            assert_int_equal(cairn_column_append_null(c), 0);
        assert_int_equal(c->length, s->length + 1);
        cairn_column_free(s);
        cairn_column_free(c);
    }
    cairn_column *e = new_column("e", CAIRN_TYPE_INT32, false), *ec;
    assert_int_equal(cairn_column_copy(e, &ec), 0);
    assert_int_equal(ec->length, 0);
    assert_int_equal(cairn_column_append_int32(ec, 1), 0);
    cairn_column_free(e);
    cairn_column_free(ec);
}

static void test_dictionary_round_trip(void **state)
{
    (void)state;
    cairn_column *plain = sample_strings(false), *s = sample_strings(false);
    assert_int_equal(cairn_column_dict_encode(s), 0);
    assert_non_null(s->dictionary);
    assert_null(s->offsets);
    assert_int_equal(s->dictionary->length, 4); /* pear apple "" fig, first-seen order */
    size_t len;
    assert_memory_equal(cairn_column_str(s->dictionary, 0, &len), "pear", 4);
    assert_memory_equal(cairn_column_str(s->dictionary, 1, &len), "apple", 5);
    cairn_column_str(s->dictionary, 2, &len);
    assert_int_equal(len, 0);
    assert_memory_equal(cairn_column_str(s->dictionary, 3, &len), "fig", 3);
    int32_t codes[] = {0, 1, 0, 0, 2, 3, 1, 0, 0};
    assert_memory_equal(s->values, codes, sizeof codes);
    assert_columns_equal(plain, s);
    assert_int_equal(cairn_column_dict_encode(s), 0); /* no-op */
    assert_int_equal(cairn_column_append_string(s, "x", 1), CAIRN_EINVAL);
    assert_int_equal(cairn_column_append_null(s), 0);
    assert_int_equal(cairn_column_append_range(s, plain, 0, 9), 0); /* interned */
    assert_int_equal(s->dictionary->length, 4);
    assert_int_equal(cairn_column_append_range(s, s, 0, 3), 0); /* from itself */
    assert_int_equal(cairn_column_dict_decode(s), 0);
    assert_null(s->dictionary);
    assert_int_equal(s->length, 22);
    assert_int_equal(s->null_count, 2 + 1 + 2 + 1);
    cairn_column *head;
    assert_int_equal(cairn__column_slice(s, 0, 9, &head), 0);
    assert_columns_equal(plain, head);
    assert_int_equal(cairn_column_dict_decode(s), 0); /* no-op */
    cairn_column *n = new_column("n", CAIRN_TYPE_INT64, false);
    assert_int_equal(cairn_column_dict_encode(n), CAIRN_ETYPE);
    cairn_column_free(n);
    cairn_column_free(head);
    cairn_column_free(s);
    cairn_column_free(plain);
}

static void test_dictionary_ranges(void **state)
{
    (void)state;
    cairn_column *a = sample_strings(true), *b;
    /* same dictionary: codes copied */
    assert_int_equal(cairn_column_copy(a, &b), 0);
    assert_int_equal(cairn_column_append_range(b, a, 2, 5), 0);
    assert_int_equal(b->dictionary->length, 4);
    assert_int_equal(b->length, 14);
    /* another dictionary: strings interned */
    cairn_column *other = new_column("fruit", CAIRN_TYPE_STRING, true);
    assert_int_equal(cairn_column_append_string(other, "fig", 3), 0);
    assert_int_equal(cairn_column_append_string(other, "lime", 4), 0);
    assert_int_equal(cairn_column_dict_encode(other), 0);
    assert_int_equal(cairn_column_append_range(b, other, 0, 2), 0);
    assert_int_equal(b->dictionary->length, 5);
    size_t len;
    assert_memory_equal(cairn_column_str(b, 14, &len), "fig", 3);
    assert_memory_equal(cairn_column_str(b, 15, &len), "lime", 4);
    assert_int_equal(cairn_column_i32(b, 14), 3);
    /* dictionary into plain */
    cairn_column *plain = new_column("fruit", CAIRN_TYPE_STRING, true);
    assert_int_equal(cairn_column_append_range(plain, b, 0, b->length), 0);
    assert_columns_equal(plain, b);
    cairn_column_free(plain);
    cairn_column_free(other);
    cairn_column_free(a);
    cairn_column_free(b);
}

static void test_many_rows(void **state)
{
    (void)state;
    cairn_column *c = new_column("x", CAIRN_TYPE_INT64, true);
    cairn_column *s = new_column("s", CAIRN_TYPE_STRING, true);
    assert_int_equal(cairn_column_reserve(s, 10, 100), 0);
    for (int64_t i = 0; i < 200000; i++) {
        if (i % 1000 == 999)
            assert_int_equal(cairn_column_append_null(c), 0);
        else
            assert_int_equal(cairn_column_append_int64(c, i * 7), 0);
        char text[24];
        int n = snprintf(text, sizeof text, "%lld", (long long)i);
        assert_int_equal(cairn_column_append_string(s, text, (size_t)n), 0);
    }
    assert_int_equal(c->null_count, 200);
    assert_int_equal(cairn_column_i64(c, 123456), 123456 * 7);
    size_t len;
    assert_memory_equal(cairn_column_str(s, 199999, &len), "199999", 6);
    assert_int_equal(cairn_column_reserve(c, -1, 0), CAIRN_EINVAL);
    cairn_column_free(c);
    cairn_column_free(s);
}

/* Every allocation failure leaves the column as it was; nothing leaks. */
static void test_allocation_failures(void **state)
{
    (void)state;
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks();
    for (int64_t n = 1;; n++) {
        cairn_testalloc_fail_at(n, false);
        cairn_column *s = NULL, *i = NULL, *b = NULL;
        int rc = cairn_column_create("s", CAIRN_TYPE_STRING, true, &s);
        if (rc == 0) rc = cairn_column_create("i", CAIRN_TYPE_INT32, true, &i);
        if (rc == 0) rc = cairn_column_create("b", CAIRN_TYPE_BOOL, true, &b);
        for (int row = 0; rc == 0 && row < 40; row++) {
            int64_t before = s->length;
            if (row % 7 == 3) {
                rc = cairn_column_append_null(s);
                if (rc == 0) rc = cairn_column_append_null(i);
                if (rc == 0) rc = cairn_column_append_null(b);
            } else {
                rc = cairn_column_append_string(s, "abcdefghij", (size_t)(row % 11));
                if (rc == 0) rc = cairn_column_append_int32(i, row);
                if (rc == 0) rc = cairn_column_append_bool(b, row & 1);
            }
            if (rc) assert_true(s->length == before || s->length == before + 1);
        }
        if (rc == 0) rc = cairn_column_dict_encode(s);
        if (rc == 0) rc = cairn_column_append_range(s, s, 0, 10);
        if (rc == 0) rc = cairn_column_dict_decode(s);
        if (rc) {
            assert_int_equal(rc, CAIRN_ENOMEM);
            /* still valid: every row readable, lengths consistent */
            for (int64_t r = 0; s && r < s->length; r++) {
                cairn_value v;
                cairn_column_get(s, r, &v);
            }
        }
        cairn_column_free(s);
        cairn_column_free(i);
        cairn_column_free(b);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        if (rc == 0) break;
    }
    cairn_testalloc_fail_at(0, false);
    cairn_testalloc_uninstall();
}

/* A failed append leaves contents exactly as they were. */
static void test_failed_append_unchanged(void **state)
{
    (void)state;
    cairn_testalloc_install();
    cairn_column *s = new_column("s", CAIRN_TYPE_STRING, true);
    for (int r = 0; r < 8; r++)
        assert_int_equal(cairn_column_append_string(s, "abcdefgh", 8), 0);
    cairn_column *copy;
    assert_int_equal(cairn_column_copy(s, &copy), 0);
    /* the 9th row needs more offsets and more bytes, and the null a validity bitmap */
    cairn_testalloc_fail_at(1, true);
    assert_int_equal(cairn_column_append_string(s, "abcdefghijklmnopq", 17), CAIRN_ENOMEM);
    assert_int_equal(cairn_column_append_null(s), CAIRN_ENOMEM);
    cairn_testalloc_fail_at(0, false);
    assert_null(s->validity);
    assert_columns_equal(s, copy);
    cairn__column_mark mark;
    cairn__column_mark_save(s, &mark);
    assert_int_equal(cairn_column_append_null(s), 0);
    cairn__column_rollback(s, &mark);
    assert_null(s->validity);
    assert_columns_equal(s, copy);
    cairn_column_free(s);
    cairn_column_free(copy);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_types_with_nulls),
        cmocka_unit_test(test_strings_with_nulls),
        cmocka_unit_test(test_lazy_validity_backfill),
        cmocka_unit_test(test_bitmap_edges),
        cmocka_unit_test(test_type_checks),
        cmocka_unit_test(test_append_value),
        cmocka_unit_test(test_append_range),
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_dictionary_round_trip),
        cmocka_unit_test(test_dictionary_ranges),
        cmocka_unit_test(test_many_rows),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_failed_append_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
