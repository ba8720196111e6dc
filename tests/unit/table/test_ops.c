/* Tests of src/table/ops.c: slice, project, filter, take, and that each keeps dictionary
 * encoding and leaves its input alone. */
#include "testutil.h"

#include <string.h>

/* k int32, s string (dictionary when dict), f float64 nullable, b bool: n rows, with nulls
 * in s every 5th row and f every 4th. */
static cairn_table *sample(int64_t n, bool dict)
{
    cairn_table *t;
    cairn_column *k, *s, *f, *b;
    assert_int_equal(cairn_table_create(&t), 0);
    assert_int_equal(cairn_table_add_column(t, "k", CAIRN_TYPE_INT32, false, &k), 0);
    assert_int_equal(cairn_table_add_column(t, "s", CAIRN_TYPE_STRING, true, &s), 0);
    assert_int_equal(cairn_table_add_column(t, "f", CAIRN_TYPE_FLOAT64, true, &f), 0);
    assert_int_equal(cairn_table_add_column(t, "b", CAIRN_TYPE_BOOL, false, &b), 0);
    for (int64_t i = 0; i < n; i++) {
        char text[16];
        int len = snprintf(text, sizeof text, "w%d", (int)(i % 7));
        assert_int_equal(cairn_column_append_int32(k, (int32_t)i), 0);
        if (i % 5 == 4)
            assert_int_equal(cairn_column_append_null(s), 0);
        else
            assert_int_equal(cairn_column_append_string(s, text, (size_t)len), 0);
        if (i % 4 == 3)
            assert_int_equal(cairn_column_append_null(f), 0);
        else
            assert_int_equal(cairn_column_append_float64(f, (double)i / 2), 0);
        assert_int_equal(cairn_column_append_bool(b, i % 3 == 0), 0);
    }
    if (dict) assert_int_equal(cairn_column_dict_encode(s), 0);
    return t;
}

/* Row r of a equals row rb of b in every column (compared as text). */
static void assert_rows_equal(const cairn_table *a, int64_t ra, const cairn_table *b, int64_t rb)
{
    for (size_t c = 0; c < cairn_table_num_columns(a); c++) {
        cairn_value va, vb;
        cairn_column_get(cairn_table_column(a, c), ra, &va);
        cairn_column_get(cairn_table_column(b, c), rb, &vb);
        cairn_buf x, y;
        cairn_buf_init(&x, 0);
        cairn_buf_init(&y, 0);
        assert_int_equal(cairn_value_format(&va, "<null>", &x), 0);
        assert_int_equal(cairn_value_format(&vb, "<null>", &y), 0);
        assert_string_equal(x.data, y.data);
        cairn_buf_release(&x);
        cairn_buf_release(&y);
    }
}

static void test_slice(void **state)
{
    (void)state;
    for (int dict = 0; dict < 2; dict++) {
        cairn_table *t = sample(100, dict), *s;
        assert_int_equal(cairn_table_slice(t, 13, 40, &s), 0);
        assert_int_equal(cairn_table_num_rows(s), 40);
        assert_int_equal(cairn_table_validate(s, NULL), 0);
        for (int64_t i = 0; i < 40; i++)
            assert_rows_equal(s, i, t, 13 + i);
        assert_int_equal(cairn_table_column(s, 1)->dictionary != NULL, dict);
        assert_int_equal(cairn_table_column(s, 2)->null_count, 10);
        cairn_table_free(s);
        /* clamped */
        assert_int_equal(cairn_table_slice(t, 90, 40, &s), 0);
        assert_int_equal(cairn_table_num_rows(s), 10);
        assert_rows_equal(s, 9, t, 99);
        cairn_table_free(s);
        assert_int_equal(cairn_table_slice(t, 200, 5, &s), 0);
        assert_int_equal(cairn_table_num_rows(s), 0);
        assert_int_equal(cairn_table_num_columns(s), 4);
        cairn_table_free(s);
        assert_int_equal(cairn_table_slice(t, -5, 3, &s), 0);
        assert_int_equal(cairn_table_num_rows(s), 3);
        assert_rows_equal(s, 0, t, 0);
        cairn_table_free(s);
        assert_int_equal(cairn_table_num_rows(t), 100); /* input untouched */
        cairn_table_free(t);
    }
}

static void test_project(void **state)
{
    (void)state;
    cairn_table *t = sample(20, true), *p;
    const char *names[] = {"f", "s"};
    assert_int_equal(cairn_table_project(t, names, 2, &p, NULL), 0);
    assert_int_equal(cairn_table_num_columns(p), 2);
    assert_string_equal(cairn_table_column(p, 0)->name, "f");
    assert_string_equal(cairn_table_column(p, 1)->name, "s");
    assert_non_null(cairn_table_column(p, 1)->dictionary);
    assert_ptr_not_equal(cairn_table_column(p, 0), cairn_table_column(t, 2));
    for (int64_t r = 0; r < 20; r++) {
        cairn_value a, b;
        cairn_column_get(cairn_table_column(p, 1), r, &a);
        cairn_column_get(cairn_table_column(t, 1), r, &b);
        assert_int_equal(a.is_null, b.is_null);
        if (!a.is_null) assert_memory_equal(a.v.str.ptr, b.v.str.ptr, a.v.str.len);
    }
    cairn_table_free(p);
    cairn_error err;
    cairn_error_clear(&err);
    const char *bad[] = {"k", "zz"};
    assert_int_equal(cairn_table_project(t, bad, 2, &p, &err), CAIRN_ENOTFOUND);
    assert_string_equal(err.field, "zz");
    const char *twice[] = {"k", "k"};
    assert_int_equal(cairn_table_project(t, twice, 2, &p, &err), CAIRN_EINVAL);
    assert_int_equal(cairn_table_project(t, NULL, 0, &p, &err), 0);
    assert_int_equal(cairn_table_num_columns(p), 0);
    cairn_table_free(p);
    cairn_table_free(t);
}

static void test_filter(void **state)
{
    (void)state;
    for (int dict = 0; dict < 2; dict++) {
        cairn_table *t = sample(70, dict), *f;
        uint8_t keep[70];
        for (int i = 0; i < 70; i++)
            keep[i] = (uint8_t)(i % 3 == 1 ? 7 : 0);
        assert_int_equal(cairn_table_filter(t, keep, &f), 0);
        assert_int_equal(cairn_table_num_rows(f), 23);
        for (int64_t i = 0; i < 23; i++)
            assert_rows_equal(f, i, t, 3 * i + 1);
        assert_int_equal(cairn_table_column(f, 1)->dictionary != NULL, dict);
        assert_int_equal(cairn_table_validate(f, NULL), 0);
        cairn_table_free(f);
        memset(keep, 0, sizeof keep);
        assert_int_equal(cairn_table_filter(t, keep, &f), 0);
        assert_int_equal(cairn_table_num_rows(f), 0);
        cairn_table_free(f);
        cairn_table_free(t);
    }
}

static void test_take(void **state)
{
    (void)state;
    for (int dict = 0; dict < 2; dict++) {
        cairn_table *t = sample(30, dict), *r;
        int64_t idx[] = {29, 0, 0, 4, 15};
        assert_int_equal(cairn_table_take(t, idx, 5, &r), 0);
        for (int64_t i = 0; i < 5; i++)
            assert_rows_equal(r, i, t, idx[i]);
        assert_false(cairn_table_column(r, 0)->nullable);
        assert_int_equal(cairn_table_column(r, 1)->null_count, 2); /* rows 29, 4 */
        assert_int_equal(cairn_table_column(r, 1)->dictionary != NULL, dict);
        cairn_table_free(r);

        int64_t with_missing[] = {3, -1, 5};
        assert_int_equal(cairn_table_take(t, with_missing, 3, &r), 0);
        for (size_t c = 0; c < 4; c++) {
            const cairn_column *col = cairn_table_column(r, c);
            assert_true(col->nullable);
            assert_false(cairn_column_is_valid(col, 1));
        }
        assert_false(cairn_column_is_valid(cairn_table_column(r, 2), 0)); /* f null at 3 */
        assert_rows_equal(r, 2, t, 5);
        assert_int_equal(cairn_table_validate(r, NULL), 0);
        cairn_table_free(r);

        int64_t bad[] = {30};
        assert_int_equal(cairn_table_take(t, bad, 1, &r), CAIRN_ERANGE);
        int64_t bad2[] = {-2};
        assert_int_equal(cairn_table_take(t, bad2, 1, &r), CAIRN_ERANGE);
        assert_int_equal(cairn_table_take(t, NULL, 0, &r), 0);
        assert_int_equal(cairn_table_num_rows(r), 0);
        cairn_table_free(r);
        cairn_table_free(t);
    }
}

/* Slice, filter and take agree with each other. */
static void test_equivalences(void **state)
{
    (void)state;
    cairn_table *t = sample(257, true), *a, *b, *c;
    uint8_t keep[257] = {0};
    int64_t idx[100];
    for (int i = 0; i < 100; i++)
        keep[100 + i] = 1, idx[i] = 100 + i;
    assert_int_equal(cairn_table_slice(t, 100, 100, &a), 0);
    assert_int_equal(cairn_table_filter(t, keep, &b), 0);
    assert_int_equal(cairn_table_take(t, idx, 100, &c), 0);
    for (int64_t i = 0; i < 100; i++) {
        assert_rows_equal(a, i, b, i);
        assert_rows_equal(a, i, c, i);
    }
    cairn_table_free(a);
    cairn_table_free(b);
    cairn_table_free(c);
    cairn_table_free(t);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    cairn_testalloc_install();
    cairn_table *t = sample(50, true);
    int64_t base = cairn_testalloc_live_blocks();
    int64_t idx[] = {1, -1, 7, 49};
    uint8_t keep[50];
    for (int i = 0; i < 50; i++)
        keep[i] = (uint8_t)(i & 1);
    const char *names[] = {"s", "k"};
    for (int op = 0; op < 4; op++) {
        for (int64_t n = 1;; n++) {
            cairn_table *out = NULL;
            cairn_testalloc_fail_at(n, false);
            int rc = op == 0   ? cairn_table_slice(t, 5, 20, &out)
                     : op == 1 ? cairn_table_take(t, idx, 4, &out)
                     : op == 2 ? cairn_table_filter(t, keep, &out)
                               : cairn_table_project(t, names, 2, &out, NULL);
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
    }
    cairn_table_free(t);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slice),        cmocka_unit_test(test_project),
        cmocka_unit_test(test_filter),       cmocka_unit_test(test_take),
        cmocka_unit_test(test_equivalences), cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
