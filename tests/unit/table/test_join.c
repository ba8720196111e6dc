/* Tests of src/table/join.c: inner and left joins, several matches in right order, null
 * keys, name clashes, INT32 with INT64 keys, multi-column and dictionary keys, errors,
 * and allocation failures over building, sorting and joining. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* The cell as text ("<null>" for null). */
static const char *cell(const cairn_table *t, const char *column, int64_t row, char *buf,
                        size_t cap)
{
    const cairn_column *c = cairn_table_column_by_name(t, column);
    assert_non_null(c);
    cairn_value v;
    cairn_column_get(c, row, &v);
    cairn_buf b;
    cairn_buf_init(&b, 0);
    assert_int_equal(cairn_value_format(&v, "<null>", &b), 0);
    snprintf(buf, cap, "%s", b.data);
    cairn_buf_release(&b);
    return buf;
}

#define CELL(t, col, row) cell((t), (col), (row), (char[64]){0}, 64)

/* left: id int64 [1, 2, 2, null, 3, 4], name [a b c d e f]
 * right: id int32 [2, 1, 2, null, 5, 2], name [r0 .. r5], score [10 .. 15] */
static void fixtures(cairn_table **left, cairn_table **right)
{
    cairn_table *l = cairn_test_table(), *r = cairn_test_table();
    cairn_column *lid = cairn_test_add(l, "id", CAIRN_TYPE_INT64), *lname = cairn_test_add(l, "name", CAIRN_TYPE_STRING);
    cairn_column *rid = cairn_test_add(r, "id", CAIRN_TYPE_INT32), *rname = cairn_test_add(r, "name", CAIRN_TYPE_STRING);
    cairn_column *score = cairn_test_add(r, "score", CAIRN_TYPE_FLOAT64);
    int64_t lids[] = {1, 2, 2, -1, 3, 4};
    const char *lnames[] = {"a", "b", "c", "d", "e", "f"};
    for (int i = 0; i < 6; i++) {
        if (lids[i] < 0)
            assert_int_equal(cairn_column_append_null(lid), 0);
        else
            assert_int_equal(cairn_column_append_int64(lid, lids[i]), 0);
        cairn_test_put_str(lname, lnames[i]);
    }
    int32_t rids[] = {2, 1, 2, -1, 5, 2};
    for (int i = 0; i < 6; i++) {
        if (rids[i] < 0)
            assert_int_equal(cairn_column_append_null(rid), 0);
        else
            assert_int_equal(cairn_column_append_int32(rid, rids[i]), 0);
        char text[4] = {'r', (char)('0' + i), 0, 0};
        cairn_test_put_str(rname, text);
        assert_int_equal(cairn_column_append_float64(score, 10 + i), 0);
    }
    *left = l;
    *right = r;
}

static void test_inner(void **state)
{
    (void)state;
    cairn_table *l, *r, *j;
    fixtures(&l, &r);
    const char *keys[] = {"id"};
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_table_hash_join(l, r, keys, keys, 1, CAIRN_JOIN_INNER, &j, &err), &err);
    /* left 1 -> r1; left 2 (b) -> r0 r2 r5; left 2 (c) -> r0 r2 r5 */
    assert_int_equal(cairn_table_num_rows(j), 7);
    assert_int_equal(cairn_table_num_columns(j), 4);
    assert_string_equal(cairn_table_column(j, 0)->name, "id");
    assert_string_equal(cairn_table_column(j, 1)->name, "name");
    assert_string_equal(cairn_table_column(j, 2)->name, "name_right");
    assert_string_equal(cairn_table_column(j, 3)->name, "score");
    const char *names[] = {"a", "b", "b", "b", "c", "c", "c"};
    const char *rnames[] = {"r1", "r0", "r2", "r5", "r0", "r2", "r5"};
    for (int64_t i = 0; i < 7; i++) {
        assert_string_equal(CELL(j, "name", i), names[i]);
        assert_string_equal(CELL(j, "name_right", i), rnames[i]);
    }
    assert_string_equal(CELL(j, "score", 3), "15.0");
    assert_int_equal(cairn_table_validate(j, NULL), 0);
    assert_int_equal(cairn_table_column(j, 0)->type, CAIRN_TYPE_INT64);
    cairn_table_free(j);
    cairn_table_free(l);
    cairn_table_free(r);
}

static void test_left(void **state)
{
    (void)state;
    cairn_table *l, *r, *j;
    fixtures(&l, &r);
    const char *keys[] = {"id"};
    CAIRN_ASSERT_OK(cairn_table_hash_join(l, r, keys, keys, 1, CAIRN_JOIN_LEFT, &j, NULL), NULL);
    /* a:r1, b:r0 r2 r5, c:r0 r2 r5, d(null key):-, e:-, f:- */
    assert_int_equal(cairn_table_num_rows(j), 10);
    const char *names[] = {"a", "b", "b", "b", "c", "c", "c", "d", "e", "f"};
    const char *rnames[] = {"r1", "r0", "r2", "r5", "r0", "r2", "r5", "<null>", "<null>", "<null>"};
    for (int64_t i = 0; i < 10; i++) {
        assert_string_equal(CELL(j, "name", i), names[i]);
        assert_string_equal(CELL(j, "name_right", i), rnames[i]);
    }
    assert_string_equal(CELL(j, "id", 7), "<null>");
    assert_string_equal(CELL(j, "score", 9), "<null>");
    assert_true(cairn_table_column_by_name(j, "score")->nullable);
    assert_int_equal(cairn_table_column_by_name(j, "score")->null_count, 3);
    cairn_table_free(j);
    cairn_table_free(l);
    cairn_table_free(r);
}

static void test_multi_key_and_dictionary(void **state)
{
    (void)state;
    cairn_table *l = cairn_test_table(), *r = cairn_test_table(), *j;
    cairn_column *la = cairn_test_add(l, "a", CAIRN_TYPE_STRING), *lb = cairn_test_add(l, "b", CAIRN_TYPE_DATE32);
    cairn_column *ra = cairn_test_add(r, "ka", CAIRN_TYPE_STRING), *rb = cairn_test_add(r, "kb", CAIRN_TYPE_DATE32);
    cairn_column *rv = cairn_test_add(r, "v", CAIRN_TYPE_BOOL);
    const char *las[] = {"x", "x", "y", NULL, "y"};
    int32_t lbs[] = {1, 2, 1, 1, 2};
    for (int i = 0; i < 5; i++) {
        cairn_test_put_str(la, las[i]);
        assert_int_equal(cairn_column_append_int32(lb, lbs[i]), 0);
    }
    const char *ras[] = {"y", "x", "x", "y", "z"};
    int32_t rbs[] = {1, 2, 2, 2, 1};
    for (int i = 0; i < 5; i++) {
        cairn_test_put_str(ra, ras[i]);
        assert_int_equal(cairn_column_append_int32(rb, rbs[i]), 0);
        assert_int_equal(cairn_column_append_bool(rv, i % 2), 0);
    }
    assert_int_equal(cairn_column_dict_encode(ra), 0); /* dictionary against plain */
    const char *lk[] = {"a", "b"}, *rk[] = {"ka", "kb"};
    CAIRN_ASSERT_OK(cairn_table_hash_join(l, r, lk, rk, 2, CAIRN_JOIN_INNER, &j, NULL), NULL);
    /* (x,2) -> r1 r2; (y,1) -> r0; (y,2) -> r3 */
    assert_int_equal(cairn_table_num_rows(j), 4);
    assert_int_equal(cairn_table_num_columns(j), 3);
    assert_string_equal(CELL(j, "a", 0), "x");
    assert_string_equal(CELL(j, "v", 0), "true");
    assert_string_equal(CELL(j, "v", 1), "false");
    assert_string_equal(CELL(j, "b", 2), "1970-01-02");
    assert_string_equal(CELL(j, "v", 3), "true");
    cairn_table_free(j);
    cairn_table_free(l);
    cairn_table_free(r);
}

static void test_errors(void **state)
{
    (void)state;
    cairn_table *l, *r, *j = NULL;
    fixtures(&l, &r);
    cairn_error err;
    cairn_error_clear(&err);
    const char *id[] = {"id"}, *name[] = {"name"}, *nope[] = {"nope"};
    assert_int_equal(cairn_table_hash_join(l, r, id, name, 1, CAIRN_JOIN_INNER, &j, &err),
                     CAIRN_ETYPE);
    assert_string_equal(err.field, "name");
    assert_int_equal(cairn_table_hash_join(l, r, nope, id, 1, CAIRN_JOIN_INNER, &j, &err),
                     CAIRN_ENOTFOUND);
    assert_string_equal(err.field, "nope");
    assert_int_equal(cairn_table_hash_join(l, r, id, id, 0, CAIRN_JOIN_INNER, &j, &err),
                     CAIRN_EINVAL);
    assert_null(j);
    cairn_table_free(l);
    cairn_table_free(r);
}

/* Clashing names get _right, then _right2 when _right is taken too. */
static void test_name_clash_chain(void **state)
{
    (void)state;
    cairn_table *l = cairn_test_table(), *r = cairn_test_table(), *j;
    cairn_column *lk = cairn_test_add(l, "k", CAIRN_TYPE_STRING), *lx = cairn_test_add(l, "x", CAIRN_TYPE_INT32);
    cairn_column *lxr = cairn_test_add(l, "x_right", CAIRN_TYPE_INT32);
    cairn_column *rk = cairn_test_add(r, "k", CAIRN_TYPE_STRING), *rx = cairn_test_add(r, "x", CAIRN_TYPE_INT32);
    cairn_test_put_str(lk, "");
    cairn_test_put_str(rk, "");
    assert_int_equal(cairn_column_append_int32(lx, 1), 0);
    assert_int_equal(cairn_column_append_int32(lxr, 2), 0);
    assert_int_equal(cairn_column_append_int32(rx, 3), 0);
    const char *k[] = {"k"};
    CAIRN_ASSERT_OK(cairn_table_hash_join(l, r, k, k, 1, CAIRN_JOIN_INNER, &j, NULL), NULL);
    assert_int_equal(cairn_table_num_rows(j), 1); /* empty strings are equal, not null */
    assert_string_equal(cairn_table_column(j, 3)->name, "x_right2");
    assert_string_equal(CELL(j, "x_right2", 0), "3");
    cairn_table_free(j);
    cairn_table_free(l);
    cairn_table_free(r);
}

/* A larger random join against a nested-loop reference. */
static void test_random_against_nested_loop(void **state)
{
    (void)state;
    srand(42);
    cairn_table *l = cairn_test_table(), *r = cairn_test_table(), *j;
    cairn_column *lk = cairn_test_add(l, "k", CAIRN_TYPE_INT64), *lrow = cairn_test_add(l, "lrow", CAIRN_TYPE_INT64);
    cairn_column *rk = cairn_test_add(r, "k", CAIRN_TYPE_INT64), *rrow = cairn_test_add(r, "rrow", CAIRN_TYPE_INT64);
    for (int i = 0; i < 700; i++) {
        if (rand() % 20 == 0)
            assert_int_equal(cairn_column_append_null(lk), 0);
        else
            assert_int_equal(cairn_column_append_int64(lk, rand() % 300), 0);
        assert_int_equal(cairn_column_append_int64(lrow, i), 0);
    }
    for (int i = 0; i < 500; i++) {
        if (rand() % 20 == 0)
            assert_int_equal(cairn_column_append_null(rk), 0);
        else
            assert_int_equal(cairn_column_append_int64(rk, rand() % 300), 0);
        assert_int_equal(cairn_column_append_int64(rrow, i), 0);
    }
    const char *k[] = {"k"};
    for (int kind = 0; kind < 2; kind++) {
        CAIRN_ASSERT_OK(cairn_table_hash_join(l, r, k, k, 1, (cairn_join_kind)kind, &j, NULL),
                        NULL);
        const cairn_column *jl = cairn_table_column_by_name(j, "lrow");
        const cairn_column *jr = cairn_table_column_by_name(j, "rrow");
        int64_t out = 0;
        for (int64_t a = 0; a < 700; a++) {
            bool matched = false;
            for (int64_t b = 0; b < 500 && cairn_column_is_valid(lk, a); b++) {
                if (!cairn_column_is_valid(rk, b) ||
                    cairn_column_i64(lk, a) != cairn_column_i64(rk, b))
                    continue;
                assert_int_equal(cairn_column_i64(jl, out), a);
                assert_int_equal(cairn_column_i64(jr, out), b);
                out++;
                matched = true;
            }
            if (!matched && kind == CAIRN_JOIN_LEFT) {
                assert_int_equal(cairn_column_i64(jl, out), a);
                assert_false(cairn_column_is_valid(jr, out));
                out++;
            }
        }
        assert_int_equal(cairn_table_num_rows(j), out);
        cairn_table_free(j);
    }
    cairn_table_free(l);
    cairn_table_free(r);
}

/* Build two tables, sort one, join them: every allocation failure along the way returns
 * CAIRN_ENOMEM and leaks nothing, until the whole pipeline succeeds. */
static int build_sort_join(cairn_table **out)
{
    cairn_table *l = NULL, *r = NULL, *sorted = NULL;
    cairn_column *c1, *c2, *c3;
    int rc = cairn_table_create(&l);
    if (rc == 0) rc = cairn_table_create(&r);
    if (rc == 0) rc = cairn_table_add_column(l, "k", CAIRN_TYPE_STRING, true, &c1);
    if (rc == 0) rc = cairn_table_add_column(l, "v", CAIRN_TYPE_FLOAT64, true, &c2);
    for (int i = 0; rc == 0 && i < 60; i++) {
        char text[8] = {'k', (char)('a' + i % 13), 0};
        rc = i % 11 == 5 ? cairn_column_append_null(c1) : cairn_column_append_string(c1, text, 2);
        if (rc == 0) rc = cairn_column_append_float64(c2, i * 0.25);
    }
    if (rc == 0) rc = cairn_column_dict_encode(c1);
    if (rc == 0) rc = cairn_table_add_column(r, "k", CAIRN_TYPE_STRING, true, &c3);
    for (int i = 0; rc == 0 && i < 20; i++) {
        char text[8] = {'k', (char)('a' + i % 17), 0};
        rc = cairn_column_append_string(c3, text, 2);
    }
    if (rc == 0) rc = cairn_table_add_column(r, "v", CAIRN_TYPE_INT32, true, &c3);
    for (int i = 0; rc == 0 && i < 20; i++)
        rc = cairn_column_append_int32(c3, i);
    cairn_sort_key key = {"v", true, false};
    if (rc == 0) rc = cairn_table_sort(l, &key, 1, &sorted, NULL);
    const char *k[] = {"k"};
    if (rc == 0) rc = cairn_table_hash_join(sorted, r, k, k, 1, CAIRN_JOIN_LEFT, out, NULL);
    cairn_table_free(l);
    cairn_table_free(r);
    cairn_table_free(sorted);
    return rc;
}

static void test_allocation_failures(void **state)
{
    (void)state;
    cairn_table *expected;
    assert_int_equal(build_sort_join(&expected), 0);
    int64_t rows = cairn_table_num_rows(expected);
    assert_true(rows > 60); /* keys ka, kb, kc match twice */
    cairn_table_free(expected);
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks();
    int64_t failures = 0;
    for (int64_t n = 1;; n++) {
        cairn_table *out = NULL;
        cairn_testalloc_fail_at(n, false);
        int rc = build_sort_join(&out);
        cairn_testalloc_fail_at(0, false);
        if (rc) {
            assert_int_equal(rc, CAIRN_ENOMEM);
            assert_null(out);
            assert_int_equal(cairn_testalloc_live_blocks(), base);
            failures++;
            continue;
        }
        assert_int_equal(cairn_table_num_rows(out), rows);
        assert_int_equal(cairn_table_validate(out, NULL), 0);
        cairn_table_free(out);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        break;
    }
    assert_true(failures > 50);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inner),
        cmocka_unit_test(test_left),
        cmocka_unit_test(test_multi_key_and_dictionary),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_name_clash_chain),
        cmocka_unit_test(test_random_against_nested_loop),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
