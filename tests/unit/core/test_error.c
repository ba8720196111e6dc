/* Tests for src/core/error.c: codes, names, the detailed error and its one-line format. */
#include "testutil.h"

#include <string.h>

static void test_strerror_and_names(void **state)
{
    (void)state;
    for (int c = 0; c >= CAIRN_ERROR_CODE_MIN; c--) {
        assert_non_null(cairn_strerror(c));
        assert_string_not_equal(cairn_errname(c), "EUNKNOWN");
    }
    assert_string_equal(cairn_strerror(-999), "unknown error");
    assert_string_equal(cairn_errname(CAIRN_EPARSE), "EPARSE");
    assert_true(cairn_error_is_internal(CAIRN_ENOMEM));
    assert_true(cairn_error_is_internal(CAIRN_EINTERNAL));
    assert_false(cairn_error_is_internal(CAIRN_EPARSE));
    assert_false(cairn_error_is_internal(CAIRN_ENOTFOUND));
}

static void test_format_full(void **state)
{
    (void)state;
    cairn_error e;
    cairn_error_clear(&e);
    assert_int_equal(e.row, -1);
    assert_int_equal(cairn_error_set(&e, CAIRN_ETYPE, "bad value in row %d", 3), CAIRN_ETYPE);
    cairn_error_at(&e, "flights.csv", 12, 3);
    cairn_error_field(&e, "delay");
    cairn_error_expect(&e, "int64", "12x", 3);
    char out[512];
    cairn_error_format(&e, out, sizeof out);
    assert_string_equal(out, "flights.csv:12:3: bad value in row 3 (field 'delay': expected int64, found '12x')");
}

static void test_format_partial_and_truncation(void **state)
{
    (void)state;
    cairn_error e;
    cairn_error_clear(&e);
    cairn_error_set(&e, CAIRN_ENOTFOUND, "no such dataset");
    char out[512];
    cairn_error_format(&e, out, sizeof out);
    assert_string_equal(out, "no such dataset");
    cairn_error_at(&e, "x.yaml", 0, 0);
    cairn_error_format(&e, out, sizeof out);
    assert_string_equal(out, "x.yaml: no such dataset");
    char small[10];
    size_t want = cairn_error_format(&e, small, sizeof small);
    assert_true(want > sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
    char longv[200];
    memset(longv, 'a', sizeof longv);
    cairn_error_expect(&e, NULL, longv, sizeof longv);
    assert_non_null(strstr(e.found, "...'"));
    cairn_error_prefix(&e, "reading %s: ", "catalog");
    assert_string_equal(e.message, "reading catalog: no such dataset");
    assert_int_equal(cairn_error_set(NULL, CAIRN_EIO, "ignored"), CAIRN_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror_and_names),
        cmocka_unit_test(test_format_full),
        cmocka_unit_test(test_format_partial_and_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
