/* Tests of src/table/table.c: columns, lookup, validation, schema, copy, append. */
#include "testutil.h"

#include <string.h>

/* id int64, name string (nullable), score float64 (nullable): 3 rows. */
static cairn_table *sample(void)
{
    cairn_table *t;
    cairn_column *id, *name, *score;
    assert_int_equal(cairn_table_create(&t), 0);
    assert_int_equal(cairn_table_add_column(t, "id", CAIRN_TYPE_INT64, false, &id), 0);
    assert_int_equal(cairn_table_add_column(t, "name", CAIRN_TYPE_STRING, true, &name), 0);
    assert_int_equal(cairn_table_add_column(t, "score", CAIRN_TYPE_FLOAT64, true, &score), 0);
    const char *names[] = {"ann", NULL, "cy"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cairn_column_append_int64(id, i + 1), 0);
        if (names[i])
            assert_int_equal(cairn_column_append_string(name, names[i], strlen(names[i])), 0);
        else
            assert_int_equal(cairn_column_append_null(name), 0);
        if (i == 2)
            assert_int_equal(cairn_column_append_null(score), 0);
        else
            assert_int_equal(cairn_column_append_float64(score, i * 1.5), 0);
    }
    return t;
}

static void test_basics(void **state)
{
    (void)state;
    cairn_table *t;
    assert_int_equal(cairn_table_create(&t), 0);
    assert_int_equal(cairn_table_num_rows(t), 0);
    assert_int_equal(cairn_table_num_columns(t), 0);
    assert_null(cairn_table_column(t, 0));
    assert_int_equal(cairn_table_find(t, "x"), -1);
    cairn_table_free(t);

    t = sample();
    assert_int_equal(cairn_table_num_rows(t), 3);
    assert_int_equal(cairn_table_num_columns(t), 3);
    assert_int_equal(cairn_table_find(t, "score"), 2);
    assert_int_equal(cairn_table_find(t, "nope"), -1);
    assert_string_equal(cairn_table_column_by_name(t, "name")->name, "name");
    assert_null(cairn_table_column_by_name(t, "Name"));
    assert_ptr_equal(cairn_table_column(t, 1), cairn_table_column_by_name(t, "name"));
    assert_null(cairn_table_column(t, 3));
    assert_int_equal(cairn_table_validate(t, NULL), 0);
    assert_true(cairn_table_memory(t) >= 3 * 8 + 3 * 8);
    cairn_table_free(t);
    cairn_table_free(NULL);
}

static void test_add_column(void **state)
{
    (void)state;
    cairn_table *t = sample();
    cairn_column *c;
    assert_int_equal(cairn_table_add_column(t, "id", CAIRN_TYPE_INT32, true, &c), CAIRN_EEXIST);
    assert_int_equal(cairn_table_add_column(t, "flag", CAIRN_TYPE_BOOL, false, &c), CAIRN_EINVAL);
    assert_int_equal(cairn_table_add_column(t, "flag", CAIRN_TYPE_BOOL, true, &c), 0);
    assert_int_equal(c->length, 3);
    assert_int_equal(c->null_count, 3);
    for (int i = 0; i < 3; i++)
        assert_false(cairn_column_is_valid(c, i));
    assert_int_equal(cairn_table_add_column(t, "note", CAIRN_TYPE_STRING, true, NULL), 0);
    assert_int_equal(cairn_table_num_columns(t), 5);
    assert_int_equal(cairn_table_validate(t, NULL), 0);
    cairn_table_free(t);
}

static void test_adopt_column(void **state)
{
    (void)state;
    cairn_table *t = sample();
    cairn_error err;
    cairn_column *c;
    assert_int_equal(cairn_column_create("short", CAIRN_TYPE_INT32, false, &c), 0);
    assert_int_equal(cairn_column_append_int32(c, 1), 0);
    cairn_error_clear(&err);
    assert_int_equal(cairn_table_adopt_column(t, c, &err), CAIRN_EINVAL); /* freed */
    assert_string_equal(err.field, "short");
    assert_int_equal(cairn_column_create("id", CAIRN_TYPE_INT32, false, &c), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cairn_column_append_int32(c, i), 0);
    assert_int_equal(cairn_table_adopt_column(t, c, &err), CAIRN_EEXIST); /* freed */
    assert_int_equal(cairn_column_create("ok", CAIRN_TYPE_INT32, false, &c), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cairn_column_append_int32(c, i), 0);
    assert_int_equal(cairn_table_adopt_column(t, c, &err), 0);
    assert_ptr_equal(cairn_table_column_by_name(t, "ok"), c);
    cairn_table_free(t);

    /* an empty table takes a column of any length */
    assert_int_equal(cairn_table_create(&t), 0);
    assert_int_equal(cairn_column_create("x", CAIRN_TYPE_INT32, false, &c), 0);
    assert_int_equal(cairn_column_append_int32(c, 1), 0);
    assert_int_equal(cairn_table_adopt_column(t, c, NULL), 0);
    assert_int_equal(cairn_table_num_rows(t), 1);
    cairn_table_free(t);
}

static void test_validate(void **state)
{
    (void)state;
    cairn_table *t = sample();
    assert_int_equal(cairn_column_append_int64(cairn_table_column(t, 0), 4), 0);
    assert_int_equal(cairn_column_append_null(cairn_table_column(t, 1)), 0);
    cairn_error err;
    cairn_error_clear(&err);
    assert_int_equal(cairn_table_validate(t, &err), CAIRN_EINTERNAL);
    assert_string_equal(err.field, "score");
    assert_non_null(strstr(err.message, "score"));
    cairn_table_free(t);
}

static void test_fields(void **state)
{
    (void)state;
    cairn_table *t = sample();
    cairn_field *fields;
    assert_int_equal(cairn_table_fields(t, &fields), 0);
    assert_string_equal(fields[0].name, "id");
    assert_int_equal(fields[0].type, CAIRN_TYPE_INT64);
    assert_false(fields[0].nullable);
    assert_string_equal(fields[1].name, "name");
    assert_int_equal(fields[1].type, CAIRN_TYPE_STRING);
    assert_true(fields[1].nullable);
    assert_int_equal(fields[2].type, CAIRN_TYPE_FLOAT64);
    cairn_free(fields);
    cairn_table_free(t);
}

static void assert_tables_equal(const cairn_table *a, const cairn_table *b)
{
    assert_int_equal(cairn_table_num_columns(a), cairn_table_num_columns(b));
    assert_int_equal(cairn_table_num_rows(a), cairn_table_num_rows(b));
    for (size_t c = 0; c < cairn_table_num_columns(a); c++) {
        const cairn_column *ca = cairn_table_column(a, c), *cb = cairn_table_column(b, c);
        assert_string_equal(ca->name, cb->name);
        for (int64_t r = 0; r < ca->length; r++) {
            cairn_buf x, y;
            cairn_value va, vb;
            cairn_buf_init(&x, 0);
            cairn_buf_init(&y, 0);
            cairn_column_get(ca, r, &va);
            cairn_column_get(cb, r, &vb);
            assert_int_equal(cairn_value_format(&va, "<null>", &x), 0);
            assert_int_equal(cairn_value_format(&vb, "<null>", &y), 0);
            assert_string_equal(x.data, y.data);
            cairn_buf_release(&x);
            cairn_buf_release(&y);
        }
    }
}

static void test_copy(void **state)
{
    (void)state;
    cairn_table *t = sample(), *c;
    assert_int_equal(cairn_column_dict_encode(cairn_table_column(t, 1)), 0);
    assert_int_equal(cairn_table_copy(t, &c), 0);
    assert_tables_equal(t, c);
    assert_ptr_not_equal(cairn_table_column(t, 0), cairn_table_column(c, 0));
    assert_non_null(cairn_table_column(c, 1)->dictionary);
    cairn_table_free(t);
    cairn_table_free(c);
}

static void test_append(void **state)
{
    (void)state;
    cairn_table *a = sample(), *b = sample();
    cairn_error err;
    cairn_error_clear(&err);
    assert_int_equal(cairn_column_dict_encode(cairn_table_column(b, 1)), 0);
    assert_int_equal(cairn_table_append(a, b, &err), 0);
    assert_int_equal(cairn_table_num_rows(a), 6);
    assert_int_equal(cairn_table_validate(a, NULL), 0);
    size_t len;
    assert_memory_equal(cairn_column_str(cairn_table_column(a, 1), 5, &len), "cy", 2);
    assert_int_equal(cairn_column_i64(cairn_table_column(a, 0), 3), 1);
    assert_int_equal(cairn_table_column(a, 2)->null_count, 2);
    cairn_table_free(b);

    /* a type mismatch names the column; nothing is appended */
    cairn_table *c;
    cairn_column *col;
    assert_int_equal(cairn_table_create(&c), 0);
    assert_int_equal(cairn_table_add_column(c, "id", CAIRN_TYPE_INT64, false, NULL), 0);
    assert_int_equal(cairn_table_add_column(c, "name", CAIRN_TYPE_STRING, true, NULL), 0);
    assert_int_equal(cairn_table_add_column(c, "score", CAIRN_TYPE_INT32, true, &col), 0);
    assert_int_equal(cairn_table_append(a, c, &err), CAIRN_ETYPE);
    assert_string_equal(err.field, "score");
    assert_int_equal(cairn_table_num_rows(a), 6);
    cairn_table_free(c);

    assert_int_equal(cairn_table_create(&c), 0);
    assert_int_equal(cairn_table_add_column(c, "id", CAIRN_TYPE_INT64, false, NULL), 0);
    assert_int_equal(cairn_table_add_column(c, "nom", CAIRN_TYPE_STRING, true, NULL), 0);
    assert_int_equal(cairn_table_add_column(c, "score", CAIRN_TYPE_FLOAT64, true, NULL), 0);
    cairn_error_clear(&err);
    assert_int_equal(cairn_table_append(a, c, &err), CAIRN_ETYPE);
    assert_string_equal(err.field, "name");
    cairn_table_free(c);

    assert_int_equal(cairn_table_create(&c), 0);
    assert_int_equal(cairn_table_append(a, c, &err), CAIRN_ETYPE); /* column count */
    cairn_table_free(c);
    cairn_table_free(a);
}

/* A failing append leaves the destination as it was, column by column. */
static void test_append_all_or_nothing(void **state)
{
    (void)state;
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks();
    for (int64_t n = 1;; n++) {
        cairn_table *a = sample(), *b = sample(), *before;
        assert_int_equal(cairn_table_copy(a, &before), 0);
        cairn_testalloc_fail_at(n, false);
        int rc = cairn_table_append(a, b, NULL);
        cairn_testalloc_fail_at(0, false);
        if (rc) {
            assert_int_equal(rc, CAIRN_ENOMEM);
            assert_tables_equal(a, before);
            assert_int_equal(cairn_table_validate(a, NULL), 0);
        } else {
            assert_int_equal(cairn_table_num_rows(a), 6);
        }
        cairn_table_free(a);
        cairn_table_free(b);
        cairn_table_free(before);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        if (rc == 0) break;
    }
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basics),       cmocka_unit_test(test_add_column),
        cmocka_unit_test(test_adopt_column), cmocka_unit_test(test_validate),
        cmocka_unit_test(test_fields),       cmocka_unit_test(test_copy),
        cmocka_unit_test(test_append),       cmocka_unit_test(test_append_all_or_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
