/* Tests of src/table/sort.c: stability with ties, multiple keys, descending, null and NaN
 * placement, dictionary strings, group bounds, and allocation failures; a randomized check
 * against a reference comparator covers every key type. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------
 * A reference comparator over cairn_column_get
 * ---------------------------------------------------------------------------------------- */

static int cmp_values(const cairn_value *a, const cairn_value *b)
{
    switch (a->type) {
    case CAIRN_TYPE_BOOL:
        return (a->v.b > b->v.b) - (a->v.b < b->v.b);
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32:
        return (a->v.i32 > b->v.i32) - (a->v.i32 < b->v.i32);
    case CAIRN_TYPE_INT64:
    case CAIRN_TYPE_TIMESTAMP:
        return (a->v.i64 > b->v.i64) - (a->v.i64 < b->v.i64);
    case CAIRN_TYPE_FLOAT32:
    case CAIRN_TYPE_FLOAT64: {
        double x = a->type == CAIRN_TYPE_FLOAT32 ? a->v.f32 : a->v.f64;
        double y = b->type == CAIRN_TYPE_FLOAT32 ? b->v.f32 : b->v.f64;
        return (x > y) - (x < y);
    }
    case CAIRN_TYPE_STRING: {
        size_t n = a->v.str.len < b->v.str.len ? a->v.str.len : b->v.str.len;
        int c = n ? memcmp(a->v.str.ptr, b->v.str.ptr, n) : 0;
        if (c) return c < 0 ? -1 : 1;
        return (a->v.str.len > b->v.str.len) - (a->v.str.len < b->v.str.len);
    }
    }
    return 0;
}

static bool value_is_nan(const cairn_value *v)
{
    return (v->type == CAIRN_TYPE_FLOAT64 && isnan(v->v.f64)) ||
           (v->type == CAIRN_TYPE_FLOAT32 && isnan(v->v.f32));
}

static int ref_cmp(const cairn_table *t, const cairn_sort_key *keys, size_t nkeys, int64_t a,
                   int64_t b)
{
    for (size_t k = 0; k < nkeys; k++) {
        const cairn_column *c = cairn_table_column_by_name(t, keys[k].column);
        cairn_value va, vb;
        cairn_column_get(c, a, &va);
        cairn_column_get(c, b, &vb);
        if (va.is_null || vb.is_null) {
            if (va.is_null && vb.is_null) continue;
            int null_side = keys[k].nulls_first ? -1 : 1;
            return va.is_null ? null_side : -null_side;
        }
        bool na = value_is_nan(&va), nb = value_is_nan(&vb);
        if (na || nb) {
            if (na && nb) continue;
            return na ? 1 : -1; /* NaN after numbers, in both directions */
        }
        int c2 = cmp_values(&va, &vb);
        if (c2) return keys[k].descending ? -c2 : c2;
    }
    return 0;
}

/* The order is sorted by the keys and stable (ties in row order). */
static void assert_sorted_stable(const cairn_table *t, const cairn_sort_key *keys, size_t nkeys,
                                 const int64_t *order)
{
    int64_t n = cairn_table_num_rows(t);
    uint8_t *seen = calloc((size_t)n + 1, 1);
    for (int64_t i = 0; i < n; i++) {
        assert_true(order[i] >= 0 && order[i] < n);
        assert_false(seen[order[i]]);
        seen[order[i]] = 1;
        if (i == 0) continue;
        int c = ref_cmp(t, keys, nkeys, order[i - 1], order[i]);
        assert_true(c <= 0);
        if (c == 0) assert_true(order[i - 1] < order[i]);
    }
    free(seen);
}

/* ------------------------------------------------------------------------------------------
 * Fixtures
 * ---------------------------------------------------------------------------------------- */

static int64_t *sort_indices(const cairn_table *t, const cairn_sort_key *keys, size_t nkeys)
{
    int64_t *order = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_table_sort_indices(t, keys, nkeys, &order, &err), &err);
    assert_sorted_stable(t, keys, nkeys, order);
    return order;
}

/* Random values of every type, with nulls, NaNs, -0.0 and many ties. */
static cairn_table *random_table(int64_t n, unsigned seed)
{
    srand(seed);
    cairn_table *t = cairn_test_table();
    cairn_column *b = cairn_test_add(t, "b", CAIRN_TYPE_BOOL), *i32 = cairn_test_add(t, "i32", CAIRN_TYPE_INT32);
    cairn_column *i64 = cairn_test_add(t, "i64", CAIRN_TYPE_INT64), *f32 = cairn_test_add(t, "f32", CAIRN_TYPE_FLOAT32);
    cairn_column *f64 = cairn_test_add(t, "f64", CAIRN_TYPE_FLOAT64), *s = cairn_test_add(t, "s", CAIRN_TYPE_STRING);
    cairn_column *ts = cairn_test_add(t, "ts", CAIRN_TYPE_TIMESTAMP), *d = cairn_test_add(t, "d", CAIRN_TYPE_DATE32);
    cairn_column *ds = cairn_test_add(t, "ds", CAIRN_TYPE_STRING);
    static const double specials[] = {NAN, -0.0, 0.0, INFINITY, -INFINITY, 1e300, -1e-300};
    for (int64_t r = 0; r < n; r++) {
        cairn_column *all[] = {b, i32, i64, f32, f64, s, ts, d, ds};
        int x = rand();
        if (x % 9 == 0) {
            assert_int_equal(cairn_column_append_null(all[rand() % 9]), 0);
        }
        for (size_t k = 0; k < 9; k++) {
            if (all[k]->length > r) continue;
            int v = rand() % 41 - 20;
            double f = rand() % 10 == 0 ? specials[rand() % 7] : v / 4.0;
            char text[8] = {(char)('a' + rand() % 3), (char)('a' + rand() % 3), (char)0xe9, 0};
            size_t len = (size_t)(rand() % 4);
            switch (all[k]->type) {
            case CAIRN_TYPE_BOOL:
                assert_int_equal(cairn_column_append_bool(all[k], v > 0), 0);
                break;
            case CAIRN_TYPE_INT32:
            case CAIRN_TYPE_DATE32:
                assert_int_equal(cairn_column_append_int32(all[k], v * (v % 2 ? 100000000 : 1)), 0);
                break;
            case CAIRN_TYPE_INT64:
            case CAIRN_TYPE_TIMESTAMP:
                assert_int_equal(
                    cairn_column_append_int64(all[k], (int64_t)v * (v % 3 ? INT64_C(1) << 50 : 7)),
                    0);
                break;
            case CAIRN_TYPE_FLOAT32:
                assert_int_equal(cairn_column_append_float32(all[k], (float)f), 0);
                break;
            case CAIRN_TYPE_FLOAT64:
                assert_int_equal(cairn_column_append_float64(all[k], f), 0);
                break;
            case CAIRN_TYPE_STRING:
                assert_int_equal(cairn_column_append_string(all[k], text, len), 0);
                break;
            }
        }
    }
    assert_int_equal(cairn_column_dict_encode(ds), 0);
    return t;
}

/* ------------------------------------------------------------------------------------------
 * Tests
 * ---------------------------------------------------------------------------------------- */

static void test_stable_ties(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *k = cairn_test_add(t, "k", CAIRN_TYPE_INT64), *s = cairn_test_add(t, "s", CAIRN_TYPE_STRING);
    int64_t keys[] = {3, 1, 3, 2, 1, 3, 2, 1};
    const char *strs[] = {"c", "a", "c", "b", "a", "c", "b", "a"};
    for (int i = 0; i < 8; i++) {
        assert_int_equal(cairn_column_append_int64(k, keys[i]), 0);
        assert_int_equal(cairn_column_append_string(s, strs[i], 1), 0);
    }
    int64_t asc[] = {1, 4, 7, 3, 6, 0, 2, 5}, desc[] = {0, 2, 5, 3, 6, 1, 4, 7};
    for (int by_string = 0; by_string < 3; by_string++) {
        if (by_string == 2) assert_int_equal(cairn_column_dict_encode(s), 0);
        cairn_sort_key key = {by_string ? "s" : "k", false, false};
        int64_t *order = sort_indices(t, &key, 1);
        assert_memory_equal(order, asc, sizeof asc);
        cairn_free(order);
        key.descending = true;
        order = sort_indices(t, &key, 1);
        assert_memory_equal(order, desc, sizeof desc);
        cairn_free(order);
    }
    cairn_table_free(t);
}

static void test_multi_key(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *a = cairn_test_add(t, "a", CAIRN_TYPE_STRING), *b = cairn_test_add(t, "b", CAIRN_TYPE_FLOAT64);
    const char *as[] = {"x", "y", "x", "y", "x", "x"};
    double bs[] = {1.0, 2.0, 3.0, 2.0, 1.0, 2.0};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(cairn_column_append_string(a, as[i], 1), 0);
        assert_int_equal(cairn_column_append_float64(b, bs[i]), 0);
    }
    cairn_sort_key keys[] = {{"a", false, false}, {"b", true, false}};
    int64_t *order = sort_indices(t, keys, 2);
    int64_t expected[] = {2, 5, 0, 4, 1, 3};
    assert_memory_equal(order, expected, sizeof expected);
    cairn_free(order);
    cairn_table *sorted;
    CAIRN_ASSERT_OK(cairn_table_sort(t, keys, 2, &sorted, NULL), NULL);
    assert_true(cairn_column_f64(cairn_table_column(sorted, 1), 0) == 3.0);
    size_t len;
    assert_memory_equal(cairn_column_str(cairn_table_column(sorted, 0), 5, &len), "y", 1);
    cairn_table_free(sorted);
    cairn_table_free(t);
}

static void test_nulls_and_nan(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *f = cairn_test_add(t, "f", CAIRN_TYPE_FLOAT64);
    /* rows: 0:2  1:null  2:NaN  3:-1  4:null  5:NaN  6:0 */
    double v[] = {2, 0, NAN, -1, 0, NAN, 0};
    for (int i = 0; i < 7; i++) {
        if (i == 1 || i == 4)
            assert_int_equal(cairn_column_append_null(f), 0);
        else
            assert_int_equal(cairn_column_append_float64(f, v[i]), 0);
    }
    struct {
        bool desc, nulls_first;
        int64_t expected[7];
    } cases[] = {
        {false, false, {3, 6, 0, 2, 5, 1, 4}},
        {false, true, {1, 4, 3, 6, 0, 2, 5}},
        {true, false, {0, 6, 3, 2, 5, 1, 4}},
        {true, true, {1, 4, 0, 6, 3, 2, 5}},
    };
    for (size_t c = 0; c < 4; c++) {
        cairn_sort_key key = {"f", cases[c].desc, cases[c].nulls_first};
        int64_t *order = sort_indices(t, &key, 1);
        assert_memory_equal(order, cases[c].expected, sizeof cases[c].expected);
        cairn_free(order);
    }
    cairn_table_free(t);
}

static void test_integer_extremes(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *i = cairn_test_add(t, "i", CAIRN_TYPE_INT64), *j = cairn_test_add(t, "j", CAIRN_TYPE_INT32);
    int64_t v[] = {0, INT64_MAX, -1, INT64_MIN, 1, INT64_MIN + 1};
    int32_t w[] = {0, INT32_MAX, -1, INT32_MIN, 1, INT32_MIN + 1};
    for (int r = 0; r < 6; r++) {
        assert_int_equal(cairn_column_append_int64(i, v[r]), 0);
        assert_int_equal(cairn_column_append_int32(j, w[r]), 0);
    }
    int64_t expected[] = {3, 5, 2, 0, 4, 1};
    for (int k = 0; k < 2; k++) {
        cairn_sort_key key = {k ? "j" : "i", false, false};
        int64_t *order = sort_indices(t, &key, 1);
        assert_memory_equal(order, expected, sizeof expected);
        cairn_free(order);
    }
    cairn_table_free(t);
}

static void test_random_every_type(void **state)
{
    (void)state;
    cairn_table *t = random_table(3000, 7);
    const char *names[] = {"b", "i32", "i64", "f32", "f64", "s", "ts", "d", "ds"};
    for (size_t k = 0; k < 9; k++) {
        for (int mode = 0; mode < 4; mode++) {
            cairn_sort_key key = {names[k], mode & 1, (mode & 2) != 0};
            cairn_free(sort_indices(t, &key, 1));
        }
    }
    for (int trial = 0; trial < 20; trial++) {
        cairn_sort_key keys[3];
        for (int k = 0; k < 3; k++) {
            keys[k].column = names[rand() % 9];
            keys[k].descending = rand() % 2;
            keys[k].nulls_first = rand() % 2;
        }
        cairn_free(sort_indices(t, keys, 3));
    }
    cairn_table_free(t);
}

/* Long shared prefixes, embedded zero bytes and strings that differ only in length take
 * the prefix radix sort through its deeper levels and its merge-sort fallback. */
static void test_long_strings(void **state)
{
    (void)state;
    srand(99);
    cairn_table *t = cairn_test_table();
    cairn_column *s = cairn_test_add(t, "s", CAIRN_TYPE_STRING);
    for (int r = 0; r < 5000; r++) {
        char text[200];
        size_t prefix = (size_t)(rand() % 5) * 8 + (size_t)(rand() % 3);
        if (rand() % 4 == 0) prefix += 136; /* past the radix levels: merge-sort fallback */
        memset(text, 'p', sizeof text);
        size_t len = prefix + (size_t)(rand() % 4);
        for (size_t i = prefix; i < len; i++)
            text[i] = (char)(rand() % 3); /* 0, 1, 2 */
        if (rand() % 50 == 0)
            assert_int_equal(cairn_column_append_null(s), 0);
        else
            assert_int_equal(cairn_column_append_string(s, text, len), 0);
    }
    for (int mode = 0; mode < 4; mode++) {
        cairn_sort_key key = {"s", mode & 1, (mode & 2) != 0};
        cairn_free(sort_indices(t, &key, 1));
    }
    cairn_table_free(t);
}

static void test_errors_and_edges(void **state)
{
    (void)state;
    cairn_table *t = random_table(10, 3);
    cairn_error err;
    cairn_error_clear(&err);
    int64_t *order = NULL;
    cairn_sort_key key = {"missing", false, false};
    assert_int_equal(cairn_table_sort_indices(t, &key, 1, &order, &err), CAIRN_ENOTFOUND);
    assert_string_equal(err.field, "missing");
    assert_null(order);
    assert_int_equal(cairn_table_sort_indices(t, NULL, 0, &order, NULL), 0);
    for (int64_t i = 0; i < 10; i++)
        assert_int_equal(order[i], i);
    cairn_free(order);
    cairn_table_free(t);

    t = cairn_test_table();
    cairn_test_add(t, "x", CAIRN_TYPE_STRING);
    key.column = "x";
    assert_int_equal(cairn_table_sort_indices(t, &key, 1, &order, NULL), 0);
    cairn_free(order);
    cairn_table_free(t);
}

static void test_group_bounds(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *a = cairn_test_add(t, "a", CAIRN_TYPE_STRING), *b = cairn_test_add(t, "b", CAIRN_TYPE_INT32);
    /* (x,1) (x,1) (x,2) (y,null) (y,null) (null,null) (null,null) (null,3) */
    const char *as[] = {"x", "x", "x", "y", "y", NULL, NULL, NULL};
    int bs[] = {1, 1, 2, -1, -1, -1, -1, 3};
    for (int i = 0; i < 8; i++) {
        if (as[i])
            assert_int_equal(cairn_column_append_string(a, as[i], 1), 0);
        else
            assert_int_equal(cairn_column_append_null(a), 0);
        if (bs[i] >= 0)
            assert_int_equal(cairn_column_append_int32(b, bs[i]), 0);
        else
            assert_int_equal(cairn_column_append_null(b), 0);
    }
    const char *keys[] = {"a", "b"};
    int64_t *starts, groups;
    CAIRN_ASSERT_OK(cairn_table_group_bounds(t, keys, 2, &starts, &groups, NULL), NULL);
    int64_t expected[] = {0, 2, 3, 5, 7, 8};
    assert_int_equal(groups, 5);
    assert_memory_equal(starts, expected, sizeof expected);
    cairn_free(starts);
    CAIRN_ASSERT_OK(cairn_table_group_bounds(t, keys, 1, &starts, &groups, NULL), NULL);
    int64_t expected1[] = {0, 3, 5, 8};
    assert_int_equal(groups, 3);
    assert_memory_equal(starts, expected1, sizeof expected1);
    cairn_free(starts);
    assert_int_equal(cairn_column_dict_encode(a), 0);
    CAIRN_ASSERT_OK(cairn_table_group_bounds(t, keys, 1, &starts, &groups, NULL), NULL);
    assert_int_equal(groups, 3);
    cairn_free(starts);
    const char *bad[] = {"zz"};
    cairn_error err;
    cairn_error_clear(&err);
    assert_int_equal(cairn_table_group_bounds(t, bad, 1, &starts, &groups, &err), CAIRN_ENOTFOUND);
    assert_string_equal(err.field, "zz");
    cairn_table_free(t);

    t = cairn_test_table();
    cairn_test_add(t, "a", CAIRN_TYPE_FLOAT64);
    CAIRN_ASSERT_OK(cairn_table_group_bounds(t, keys, 1, &starts, &groups, NULL), NULL);
    assert_int_equal(groups, 0);
    assert_int_equal(starts[0], 0);
    cairn_free(starts);
    cairn_table_free(t);
}

/* Sorting then grouping a random table: groups are maximal runs of equal keys. */
static void test_sort_then_group(void **state)
{
    (void)state;
    cairn_table *t = random_table(2000, 11), *sorted;
    cairn_sort_key keys[] = {{"ds", false, false}, {"f32", true, true}};
    CAIRN_ASSERT_OK(cairn_table_sort(t, keys, 2, &sorted, NULL), NULL);
    const char *names[] = {"ds", "f32"};
    int64_t *starts, groups;
    CAIRN_ASSERT_OK(cairn_table_group_bounds(sorted, names, 2, &starts, &groups, NULL), NULL);
    assert_int_equal(starts[groups], 2000);
    int64_t identity[2000];
    for (int64_t i = 0; i < 2000; i++)
        identity[i] = i;
    assert_sorted_stable(sorted, keys, 2, identity);
    for (int64_t g = 0; g < groups; g++) {
        for (int64_t r = starts[g] + 1; r < starts[g + 1]; r++)
            assert_int_equal(ref_cmp(sorted, keys, 2, r - 1, r), 0);
        if (g > 0) assert_true(ref_cmp(sorted, keys, 2, starts[g] - 1, starts[g]) < 0);
    }
    cairn_free(starts);
    cairn_table_free(sorted);
    cairn_table_free(t);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    cairn_testalloc_install();
    cairn_table *t = random_table(300, 5);
    int64_t base = cairn_testalloc_live_blocks();
    cairn_sort_key keys[] = {{"ds", false, false}, {"s", true, false}, {"i64", false, true}};
    for (int64_t n = 1;; n++) {
        cairn_table *out = NULL;
        cairn_testalloc_fail_at(n, false);
        int rc = cairn_table_sort(t, keys, 3, &out, NULL);
        cairn_testalloc_fail_at(0, false);
        if (rc) {
            assert_int_equal(rc, CAIRN_ENOMEM);
            assert_int_equal(cairn_testalloc_live_blocks(), base);
            continue;
        }
        cairn_table_free(out);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        break;
    }
    cairn_table_free(t);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stable_ties),       cmocka_unit_test(test_multi_key),
        cmocka_unit_test(test_nulls_and_nan),     cmocka_unit_test(test_integer_extremes),
        cmocka_unit_test(test_random_every_type), cmocka_unit_test(test_long_strings),
        cmocka_unit_test(test_errors_and_edges),  cmocka_unit_test(test_group_bounds),
        cmocka_unit_test(test_sort_then_group),   cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
