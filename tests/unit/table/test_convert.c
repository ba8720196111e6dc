#include "testutil.h"

/* tests/unit/table/test_convert.c: text -> value conversion and type inference
 * (src/table/convert.c). Floats are checked bit for bit against strtod/strtof, including
 * inputs that take the slow path (many digits, halfway cases, sub-normals). */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table/convert.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_int64(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(cairn__parse_int64(S("0"), &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(cairn__parse_int64(S("-0"), &v), 0);
    assert_int_equal(cairn__parse_int64(S("+17"), &v), 0);
    assert_int_equal(v, 17);
    assert_int_equal(cairn__parse_int64(S("-13"), &v), 0);
    assert_int_equal(v, -13);
    assert_int_equal(cairn__parse_int64(S("9223372036854775807"), &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(cairn__parse_int64(S("-9223372036854775808"), &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(cairn__parse_int64(S("000000000000000000000000042"), &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(cairn__parse_int64(S("9223372036854775808"), &v), CAIRN_ERANGE);
    assert_int_equal(cairn__parse_int64(S("-9223372036854775809"), &v), CAIRN_ERANGE);
    assert_int_equal(cairn__parse_int64(S("99999999999999999999999"), &v), CAIRN_ERANGE);
    assert_int_equal(cairn__parse_int64(S(""), &v), CAIRN_EPARSE);
    assert_int_equal(cairn__parse_int64(S("-"), &v), CAIRN_EPARSE);
    assert_int_equal(cairn__parse_int64(S("12a"), &v), CAIRN_EPARSE);
    assert_int_equal(cairn__parse_int64(S(" 12"), &v), CAIRN_EPARSE);
    assert_int_equal(cairn__parse_int64(S("1.0"), &v), CAIRN_EPARSE);
    assert_int_equal(cairn__parse_int64(S("99999999999999999999999x"), &v), CAIRN_EPARSE);
    int32_t w;
    assert_int_equal(cairn__parse_int32(S("2147483647"), &w), 0);
    assert_int_equal(w, INT32_MAX);
    assert_int_equal(cairn__parse_int32(S("-2147483648"), &w), 0);
    assert_int_equal(cairn__parse_int32(S("2147483648"), &w), CAIRN_ERANGE);
}

static void check_double(const char *s)
{
    double got = 0, want = strtod(s, NULL);
    int rc = cairn__parse_float64(s, strlen(s), &got);
    if (isinf(want)) {
        assert_int_equal(rc, CAIRN_ERANGE);
        return;
    }
    if (rc != 0) fail_msg("parse_float64(%s) failed: %d", s, rc);
    if (memcmp(&got, &want, sizeof got) != 0 && !(isnan(got) && isnan(want)))
        fail_msg("parse_float64(%s) = %.17g, strtod = %.17g", s, got, want);
}

static void check_float(const char *s)
{
    float got = 0, want = strtof(s, NULL);
    int rc = cairn__parse_float32(s, strlen(s), &got);
    if (isinf(want)) {
        assert_int_equal(rc, CAIRN_ERANGE);
        return;
    }
    if (rc != 0) fail_msg("parse_float32(%s) failed: %d", s, rc);
    if (memcmp(&got, &want, sizeof got) != 0 && !(isnan(got) && isnan(want)))
        fail_msg("parse_float32(%s) = %.9g, strtof = %.9g", s, (double)got, (double)want);
}

static void test_float_exact(void **state)
{
    (void)state;
    static const char *cases[] = {
        "0", "1", "-1", "1.5", "0.1", "0.2", "0.3", ".5", "5.", "-0.0", "1e22", "1e23",
        "9007199254740993", "9007199254740992", "123456789012345678901234567890",
        "2.2250738585072014e-308", "2.2250738585072011e-308", "4.9e-324", "2.4e-324",
        "1e-400", "1.7976931348623157e308", "1.7976931348623158e308", "1e308", "1e309",
        "0.000000000000000000000000000000000001", "3.14159265358979323846264338327950288",
        "1E+5", "1e-5", "+7.25", "1e0000000000000000000000001", "0e999999999999",
        "2.00000000000000011102230246251565404236316680908203125",
        "2.00000000000000011102230246251565404236316680908203124",
        "2.00000000000000011102230246251565404236316680908203126",
        "7.038531e-26", "8.589973e9", "3.4028235e38", "3.4028236e38", "1.17549435e-38",
        "1.4e-45", "0.0000001", "100000000000000000000000",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        check_double(cases[i]);
        check_float(cases[i]);
    }
}

static void test_float_long_and_random(void **state)
{
    (void)state;
    /* A halfway case decided by a digit past the 780 kept: 2 + 2^-52 / 2, then zeros, then 1. */
    char buf[2000];
    size_t n = (size_t)snprintf(buf, sizeof buf, "%s",
                                "2.00000000000000011102230246251565404236316680908203125");
    memset(buf + n, '0', 900);
    buf[n + 900] = '1';
    buf[n + 901] = '\0';
    check_double(buf);
    buf[n + 900] = '\0';
    check_double(buf);
    /* A long integer part. */
    memset(buf, '9', 1500);
    buf[1500] = '\0';
    check_double(buf);
    memcpy(buf, "0.", 2);
    check_double(buf);
    srand(1234);
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = ((uint64_t)rand() << 42) ^ ((uint64_t)rand() << 21) ^ (uint64_t)rand();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d)) continue;
        snprintf(buf, sizeof buf, "%.17g", d);
        check_double(buf);
        snprintf(buf, sizeof buf, "%.*g", 1 + i % 17, d);
        check_double(buf);
        check_float(buf);
        snprintf(buf, sizeof buf, "%d.%04d", rand() % 100000, rand() % 10000);
        check_double(buf);
        check_float(buf);
    }
}

static void test_float_specials_and_errors(void **state)
{
    (void)state;
    double v;
    assert_int_equal(cairn__parse_float64(S("nan"), &v), 0);
    assert_true(isnan(v));
    assert_int_equal(cairn__parse_float64(S("-Infinity"), &v), 0);
    assert_true(isinf(v) && v < 0);
    assert_int_equal(cairn__parse_float64(S("INF"), &v), 0);
    assert_true(isinf(v) && v > 0);
    assert_int_equal(cairn__parse_float64(S("-0.0"), &v), 0);
    assert_true(v == 0 && signbit(v));
    static const char *bad[] = {"", ".", "-", "+", "e5", "1e", "1e+", "0x1p3", "1,5", " 1",
                                "1 ", "1.2.3", "--1", "nanx", "infinit", "1e5.0", "+.e1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (cairn__parse_float64(bad[i], strlen(bad[i]), &v) != CAIRN_EPARSE)
            fail_msg("'%s' should not parse as float64", bad[i]);
        float f;
        if (cairn__parse_float32(bad[i], strlen(bad[i]), &f) != CAIRN_EPARSE)
            fail_msg("'%s' should not parse as float32", bad[i]);
    }
    assert_int_equal(cairn__parse_float64(S("1e309"), &v), CAIRN_ERANGE);
    float f;
    assert_int_equal(cairn__parse_float32(S("1e39"), &f), CAIRN_ERANGE);
}

static void test_bool(void **state)
{
    (void)state;
    bool b;
    assert_int_equal(cairn__parse_bool(S("TRUE"), &b), 0);
    assert_true(b);
    assert_int_equal(cairn__parse_bool(S("False"), &b), 0);
    assert_false(b);
    assert_int_equal(cairn__parse_bool(S("yes"), &b), CAIRN_EPARSE);
    assert_int_equal(cairn__parse_bool(S("1"), &b), CAIRN_EPARSE);
    assert_int_equal(cairn__parse_bool(S("truee"), &b), CAIRN_EPARSE);
}

static void test_date_and_timestamp(void **state)
{
    (void)state;
    int32_t d;
    int64_t us;
    assert_int_equal(cairn__parse_date(S("1970-01-01"), &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(cairn__parse_date(S("2001-01-01"), &d), 0);
    assert_int_equal(d, 11323);
    assert_int_equal(cairn__parse_date(S("1969-12-31"), &d), 0);
    assert_int_equal(d, -1);
    assert_int_equal(cairn__parse_date(S("2000-02-29"), &d), 0);
    assert_int_equal(cairn__parse_date(S("2001-02-29"), &d), CAIRN_EPARSE);
    assert_int_equal(cairn__parse_date(S("1900-02-29"), &d), CAIRN_EPARSE);
    assert_int_equal(cairn__parse_date(S("2001-13-01"), &d), CAIRN_EPARSE);
    assert_int_equal(cairn__parse_date(S("2001-00-10"), &d), CAIRN_EPARSE);
    assert_int_equal(cairn__parse_date(S("2001-1-01"), &d), CAIRN_EPARSE);
    assert_int_equal(cairn__parse_date(S("2001-01-01 "), &d), CAIRN_EPARSE);

    assert_int_equal(cairn__parse_timestamp(S("2001-01-01 00:01:00"), &us), 0);
    assert_true(us == INT64_C(978307260000000));
    assert_int_equal(cairn__parse_timestamp(S("2001-01-01T00:01:00Z"), &us), 0);
    assert_true(us == INT64_C(978307260000000));
    assert_int_equal(cairn__parse_timestamp(S("2001-01-01T00:01:00.5"), &us), 0);
    assert_true(us == INT64_C(978307260500000));
    assert_int_equal(cairn__parse_timestamp(S("2001-01-01T00:01:00.123456789Z"), &us), 0);
    assert_true(us == INT64_C(978307260123456));
    assert_int_equal(cairn__parse_timestamp(S("2001-01-01"), &us), 0);
    assert_true(us == INT64_C(978307200000000));
    assert_int_equal(cairn__parse_timestamp(S("2001-01-01T02:01:00+02:00"), &us), 0);
    assert_true(us == INT64_C(978307260000000));
    assert_int_equal(cairn__parse_timestamp(S("2001-01-01 25:00:00"), &us), CAIRN_EPARSE);
    assert_int_equal(cairn__parse_timestamp(S("2001-01-01 00:01"), &us) == 0 ||
                         cairn__parse_timestamp(S("2001-01-01 00:01"), &us) == CAIRN_EPARSE,
                     1);
    assert_int_equal(cairn__parse_timestamp(S("yesterday"), &us), CAIRN_EPARSE);
    assert_int_equal(cairn__parse_timestamp(S("2001-02-30 00:00:00"), &us), CAIRN_EPARSE);
}

static void test_utf8(void **state)
{
    (void)state;
    size_t at;
    assert_true(cairn__utf8_valid(S("plain ascii text, long enough for words"), &at));
    assert_true(cairn__utf8_valid(S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), &at));
    assert_false(cairn__utf8_valid(S("abc\xc0\x80"), &at)); /* overlong */
    assert_int_equal(at, 3);
    assert_false(cairn__utf8_valid(S("\xed\xa0\x80"), &at)); /* surrogate */
    assert_false(cairn__utf8_valid(S("abcdefghij\xe2\x82"), &at)); /* truncated */
    assert_int_equal(at, 10);
    assert_false(cairn__utf8_valid(S("\xff"), &at));
    assert_false(cairn__utf8_valid(S("\xf4\x90\x80\x80"), &at)); /* > U+10FFFF */
}

static void test_infer(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        cairn_type type;
    } cases[] = {
        {"12", CAIRN_TYPE_INT64},        {"-12", CAIRN_TYPE_INT64},
        {"+0", CAIRN_TYPE_INT64},        {"1.5", CAIRN_TYPE_FLOAT64},
        {"1e5", CAIRN_TYPE_FLOAT64},     {".5", CAIRN_TYPE_FLOAT64},
        {"NaN", CAIRN_TYPE_FLOAT64},     {"-inf", CAIRN_TYPE_FLOAT64},
        {"99999999999999999999", CAIRN_TYPE_FLOAT64},
        {"true", CAIRN_TYPE_BOOL},       {"FALSE", CAIRN_TYPE_BOOL},
        {"2001-01-01", CAIRN_TYPE_DATE32},
        {"2001-01-01 00:01:00", CAIRN_TYPE_TIMESTAMP},
        {"2001-01-01T00:01:00Z", CAIRN_TYPE_TIMESTAMP},
        {"2001-02-30", CAIRN_TYPE_STRING}, {"12a", CAIRN_TYPE_STRING},
        {"", CAIRN_TYPE_STRING},         {"-", CAIRN_TYPE_STRING},
        {"Nancy", CAIRN_TYPE_STRING},    {"t", CAIRN_TYPE_STRING},
        {" 12", CAIRN_TYPE_STRING},      {"0x10", CAIRN_TYPE_STRING},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cairn_type t = cairn__text_infer(cases[i].text, strlen(cases[i].text));
        if (t != cases[i].type)
            fail_msg("infer('%s') = %s, want %s", cases[i].text, cairn_type_name(t),
                     cairn_type_name(cases[i].type));
    }
}

static void test_join(void **state)
{
    (void)state;
    assert_int_equal(cairn__type_join(0, CAIRN_TYPE_INT64), CAIRN_TYPE_INT64);
    assert_int_equal(cairn__type_join(CAIRN_TYPE_BOOL, 0), CAIRN_TYPE_BOOL);
    assert_int_equal(cairn__type_join(CAIRN_TYPE_INT64, CAIRN_TYPE_FLOAT64), CAIRN_TYPE_FLOAT64);
    assert_int_equal(cairn__type_join(CAIRN_TYPE_FLOAT64, CAIRN_TYPE_INT64), CAIRN_TYPE_FLOAT64);
    assert_int_equal(cairn__type_join(CAIRN_TYPE_DATE32, CAIRN_TYPE_TIMESTAMP),
                     CAIRN_TYPE_TIMESTAMP);
    assert_int_equal(cairn__type_join(CAIRN_TYPE_BOOL, CAIRN_TYPE_INT64), CAIRN_TYPE_STRING);
    assert_int_equal(cairn__type_join(CAIRN_TYPE_INT64, CAIRN_TYPE_DATE32), CAIRN_TYPE_STRING);
    assert_int_equal(cairn__type_join(CAIRN_TYPE_FLOAT64, CAIRN_TYPE_STRING), CAIRN_TYPE_STRING);
    assert_int_equal(cairn__type_join(CAIRN_TYPE_TIMESTAMP, CAIRN_TYPE_TIMESTAMP),
                     CAIRN_TYPE_TIMESTAMP);
}

static void test_text_convert(void **state)
{
    (void)state;
    cairn_value v;
    assert_int_equal(cairn__text_convert(S("42"), CAIRN_TYPE_INT32, &v), 0);
    assert_int_equal(v.v.i32, 42);
    assert_int_equal(cairn__text_convert(S("2001-01-02"), CAIRN_TYPE_DATE32, &v), 0);
    assert_int_equal(v.v.i32, 11324);
    assert_int_equal(cairn__text_convert(S("x\xff"), CAIRN_TYPE_STRING, &v), CAIRN_EPARSE);
    assert_int_equal(cairn__text_convert(S("abc"), CAIRN_TYPE_STRING, &v), 0);
    assert_int_equal(v.v.str.len, 3);
    assert_int_equal(cairn__text_convert(S("abc"), CAIRN_TYPE_FLOAT64, &v), CAIRN_EPARSE);
}

/* The writers' fast formatters give exactly the core's text. */
static void test_fast_formatters(void **state)
{
    (void)state;
    char a[CAIRN__FMT_LEN + 1], b[CAIRN__FMT_LEN + 1];
    cairn__day_cache cache = {0};
    const int64_t ints[] = {0, 1, -1, 9, 10, -10, INT64_MAX, INT64_MIN, 1234567890123LL};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        size_t n = cairn__fmt_int64(ints[i], a);
        a[n] = '\0';
        snprintf(b, sizeof b, "%lld", (long long)ints[i]);
        assert_string_equal(a, b);
    }
    srand(99);
    for (int i = 0; i < 200000; i++) {
        int64_t us;
        switch (i % 4) {
        case 0: us = (int64_t)(rand() % 20000 - 10000) * CAIRN_US_PER_DAY + rand(); break;
        case 1: us = INT64_C(978307200000000) + (int64_t)(i / 4) * 1000000; break; /* runs of days */
        case 2: us = ((int64_t)rand() << 31 | rand()) * (i % 8 == 2 ? -1 : 1); break;
        default: us = (int64_t)(rand() % 3000000) * CAIRN_US_PER_DAY - INT64_C(62135596800000000); break;
        }
        size_t n = cairn__fmt_timestamp(&cache, us, a);
        a[n] = '\0';
        size_t m = cairn_time_format(us, b, sizeof b);
        b[m] = '\0';
        if (strcmp(a, b) != 0) fail_msg("timestamp %lld: fast '%s', core '%s'", (long long)us, a, b);
        int32_t days = (int32_t)(us / CAIRN_US_PER_DAY);
        n = cairn__fmt_date(&cache, days, a);
        a[n] = '\0';
        m = cairn_date_format(days, b, sizeof b);
        b[m] = '\0';
        if (strcmp(a, b) != 0) fail_msg("date %d: fast '%s', core '%s'", (int)days, a, b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int64),
        cmocka_unit_test(test_float_exact),
        cmocka_unit_test(test_float_long_and_random),
        cmocka_unit_test(test_float_specials_and_errors),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_date_and_timestamp),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_infer),
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_text_convert),
        cmocka_unit_test(test_fast_formatters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
