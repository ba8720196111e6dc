/* Tests of src/table/value.c: type names, parsing, widths, value formatting. */
#include "testutil.h"

#include <math.h>
#include <string.h>

static void test_type_names_round_trip(void **state)
{
    (void)state;
    for (int t = CAIRN_TYPE_BOOL; t <= CAIRN_TYPE_DATE32; t++) {
        cairn_type parsed;
        assert_int_equal(cairn_type_parse(cairn_type_name((cairn_type)t), &parsed), 0);
        assert_int_equal(parsed, t);
    }
    assert_string_equal(cairn_type_name(CAIRN_TYPE_DATE32), "date");
    assert_string_equal(cairn_type_name(CAIRN_TYPE_TIMESTAMP), "timestamp");
}

static void test_type_aliases(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        cairn_type type;
    } cases[] = {
        {"boolean", CAIRN_TYPE_BOOL},   {"BOOL", CAIRN_TYPE_BOOL},
        {"int", CAIRN_TYPE_INT32},      {"Integer", CAIRN_TYPE_INT32},
        {"bigint", CAIRN_TYPE_INT64},   {"float", CAIRN_TYPE_FLOAT64},
        {"double", CAIRN_TYPE_FLOAT64}, {"real", CAIRN_TYPE_FLOAT32},
        {"varchar", CAIRN_TYPE_STRING}, {"text", CAIRN_TYPE_STRING},
        {"str", CAIRN_TYPE_STRING},     {"datetime", CAIRN_TYPE_TIMESTAMP},
        {"date32", CAIRN_TYPE_DATE32},  {"DATE", CAIRN_TYPE_DATE32},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cairn_type t;
        assert_int_equal(cairn_type_parse(cases[i].name, &t), 0);
        assert_int_equal(t, cases[i].type);
    }
    cairn_type t;
    assert_int_equal(cairn_type_parse("decimal", &t), CAIRN_ENOTFOUND);
    assert_int_equal(cairn_type_parse("", &t), CAIRN_ENOTFOUND);
    assert_int_equal(cairn_type_parse("int6", &t), CAIRN_ENOTFOUND);
}

static void test_widths_and_numeric(void **state)
{
    (void)state;
    assert_int_equal(cairn_type_width(CAIRN_TYPE_BOOL), 0);
    assert_int_equal(cairn_type_width(CAIRN_TYPE_STRING), 0);
    assert_int_equal(cairn_type_width(CAIRN_TYPE_INT32), 4);
    assert_int_equal(cairn_type_width(CAIRN_TYPE_DATE32), 4);
    assert_int_equal(cairn_type_width(CAIRN_TYPE_FLOAT32), 4);
    assert_int_equal(cairn_type_width(CAIRN_TYPE_INT64), 8);
    assert_int_equal(cairn_type_width(CAIRN_TYPE_TIMESTAMP), 8);
    assert_int_equal(cairn_type_width(CAIRN_TYPE_FLOAT64), 8);
    assert_true(cairn_type_is_numeric(CAIRN_TYPE_INT32));
    assert_true(cairn_type_is_numeric(CAIRN_TYPE_FLOAT64));
    assert_false(cairn_type_is_numeric(CAIRN_TYPE_BOOL));
    assert_false(cairn_type_is_numeric(CAIRN_TYPE_TIMESTAMP));
    assert_false(cairn_type_is_numeric(CAIRN_TYPE_STRING));
}

static void check_format(const cairn_value *v, const char *null_text, const char *expected)
{
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    assert_int_equal(cairn_value_format(v, null_text, &buf), 0);
    assert_string_equal(buf.data, expected);
    cairn_buf_release(&buf);
}

static void test_format(void **state)
{
    (void)state;
    cairn_value v = {.type = CAIRN_TYPE_BOOL, .v.b = true};
    check_format(&v, NULL, "true");
    v.v.b = false;
    check_format(&v, NULL, "false");
    v = (cairn_value){.type = CAIRN_TYPE_INT32, .v.i32 = -42};
    check_format(&v, NULL, "-42");
    v = (cairn_value){.type = CAIRN_TYPE_INT64, .v.i64 = INT64_MIN};
    check_format(&v, NULL, "-9223372036854775808");
    v = (cairn_value){.type = CAIRN_TYPE_FLOAT64, .v.f64 = 0.1};
    check_format(&v, NULL, "0.1");
    v.v.f64 = 2.5e-300;
    check_format(&v, NULL, "2.5e-300");
    v = (cairn_value){.type = CAIRN_TYPE_FLOAT32, .v.f32 = 0.1f};
    check_format(&v, NULL, "0.1");
    v.v.f32 = 16777216.0f;
    check_format(&v, NULL, "16777216.0");
    v = (cairn_value){.type = CAIRN_TYPE_TIMESTAMP, .v.i64 = 988675200LL * 1000000};
    check_format(&v, NULL, "2001-05-01T00:00:00Z");
    v.v.i64 += 1500;
    check_format(&v, NULL, "2001-05-01T00:00:00.001500Z");
    v = (cairn_value){.type = CAIRN_TYPE_DATE32, .v.i32 = 11443};
    check_format(&v, NULL, "2001-05-01");
    v = (cairn_value){.type = CAIRN_TYPE_STRING, .v.str = {"hello, world", 5}};
    check_format(&v, NULL, "hello");
    v.is_null = true;
    check_format(&v, NULL, "");
    check_format(&v, "NA", "NA");
}

static void test_float_round_trip(void **state)
{
    (void)state;
    double samples[] = {1.0 / 3, 123456789.123456789, -1e-7, 5e-324, 1.7976931348623157e308};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        cairn_value v = {.type = CAIRN_TYPE_FLOAT64, .v.f64 = samples[i]};
        cairn_buf buf;
        cairn_buf_init(&buf, 0);
        assert_int_equal(cairn_value_format(&v, NULL, &buf), 0);
        assert_true(strtod(buf.data, NULL) == samples[i]);
        cairn_buf_release(&buf);
        float f = (float)samples[i];
        if (f == 0 || isinf(f)) continue;
        v = (cairn_value){.type = CAIRN_TYPE_FLOAT32, .v.f32 = f};
        cairn_buf_init(&buf, 0);
        assert_int_equal(cairn_value_format(&v, NULL, &buf), 0);
        assert_true(strtof(buf.data, NULL) == f);
        cairn_buf_release(&buf);
    }
}

static void test_as_double(void **state)
{
    (void)state;
    double d;
    cairn_value v = {.type = CAIRN_TYPE_BOOL, .v.b = true};
    assert_true(cairn_value_as_double(&v, &d));
    assert_true(d == 1.0);
    v = (cairn_value){.type = CAIRN_TYPE_INT32, .v.i32 = -7};
    assert_true(cairn_value_as_double(&v, &d));
    assert_true(d == -7.0);
    v = (cairn_value){.type = CAIRN_TYPE_TIMESTAMP, .v.i64 = 1000000};
    assert_true(cairn_value_as_double(&v, &d));
    assert_true(d == 1e6);
    v = (cairn_value){.type = CAIRN_TYPE_DATE32, .v.i32 = 3};
    assert_true(cairn_value_as_double(&v, &d));
    assert_true(d == 3.0);
    v = (cairn_value){.type = CAIRN_TYPE_FLOAT32, .v.f32 = 0.5f};
    assert_true(cairn_value_as_double(&v, &d));
    assert_true(d == 0.5);
    v = (cairn_value){.type = CAIRN_TYPE_STRING, .v.str = {"1", 1}};
    assert_false(cairn_value_as_double(&v, &d));
    v = (cairn_value){.type = CAIRN_TYPE_FLOAT64, .is_null = true};
    assert_false(cairn_value_as_double(&v, &d));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names_round_trip), cmocka_unit_test(test_type_aliases),
        cmocka_unit_test(test_widths_and_numeric),    cmocka_unit_test(test_format),
        cmocka_unit_test(test_float_round_trip),      cmocka_unit_test(test_as_double),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
