/* Tests for src/core/time.c: ISO-8601 parsing and formatting, civil calendar math against
 * the C library's timegm, and durations. */
#include "testutil.h"

#include <string.h>
#include <time.h>

static int64_t T(const char *s)
{
    int64_t us = 0;
    cairn_error e;
    cairn_error_clear(&e);
    int rc = cairn_time_parse(s, strlen(s), &us, &e);
    if (rc) fail_msg("parse %s: %s", s, e.message);
    return us;
}

static void test_parse_forms(void **state)
{
    (void)state;
    assert_int_equal(T("1970-01-01"), 0);
    assert_int_equal(T("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(T("2001-01-01 00:01:00"), INT64_C(978307260000000));
    assert_int_equal(T("2001-01-01T00:01:00.5Z"), INT64_C(978307260500000));
    assert_int_equal(T("2001-01-01T00:01:00.123456789Z"), INT64_C(978307260123456));
    assert_int_equal(T("2001-01-01T02:01:00+02:00"), INT64_C(978307260000000));
    assert_int_equal(T("2000-12-31T19:01:00-0500"), INT64_C(978307260000000));
    assert_int_equal(T("1969-12-31T23:59:59Z"), -1000000);
    assert_int_equal(T("2001-05-01T00:00"), T("2001-05-01"));
    int32_t d;
    assert_int_equal(cairn_date_parse("2001-07-01", 10, &d, NULL), 0);
    assert_int_equal(d, 11504);
}

static void test_parse_errors(void **state)
{
    (void)state;
    const char *bad[] = {"", "2001", "2001-13-01", "2001-02-29", "2001-01-32", "2001-01-01T24:00:00",
                         "2001-01-01T00:60", "2001-01-01X", "2001-01-01T00:00:00+25:00",
                         "01-01-2001", "2001-01-01T00:00:00.", "2001-1-01", "2001-01-01 00:00:00 Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us;
        cairn_error e;
        cairn_error_clear(&e);
        assert_int_equal(cairn_time_parse(bad[i], strlen(bad[i]), &us, &e), CAIRN_EPARSE);
        assert_true(strlen(e.message) > 0);
    }
    int64_t us;
    assert_int_equal(cairn_time_parse("2000-02-29", 10, &us, NULL), 0); /* leap year */
    assert_int_equal(cairn_time_parse("1900-02-29", 10, &us, NULL), CAIRN_EPARSE);
}

static void test_format_round_trip(void **state)
{
    (void)state;
    char out[CAIRN_TIME_FMT_LEN];
    cairn_time_format(INT64_C(978307260000000), out, sizeof out);
    assert_string_equal(out, "2001-01-01T00:01:00Z");
    cairn_time_format(INT64_C(978307260000001), out, sizeof out);
    assert_string_equal(out, "2001-01-01T00:01:00.000001Z");
    cairn_time_format(-1, out, sizeof out);
    assert_string_equal(out, "1969-12-31T23:59:59.999999Z");
    /* Every 37 hours and a bit across 1900..2100, checked against timegm/gmtime. */
    for (int64_t s = -2208988800LL; s < 4102444800LL; s += 133337) {
        struct tm tm;
        time_t tt = (time_t)s;
        gmtime_r(&tt, &tm);
        int64_t days = cairn_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
        assert_int_equal(days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec, s);
        cairn_time_format(s * CAIRN_US_PER_SECOND, out, sizeof out);
        assert_int_equal(T(out), s * CAIRN_US_PER_SECOND);
    }
    cairn_date_format(0, out, sizeof out);
    assert_string_equal(out, "1970-01-01");
}

/* Regressions: years outside 0000-9999 round-trip in the expanded form; an offset's colon
 * must be followed by minutes. */
static void test_expanded_years_and_offsets(void **state)
{
    (void)state;
    const char *forms[] = {"-0001-03-01T00:00:00Z", "+10000-01-01T00:00:00Z", "-4713-11-24T12:00:00Z"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char out[CAIRN_TIME_FMT_LEN];
        cairn_time_format(T(forms[i]), out, sizeof out);
        assert_string_equal(out, forms[i]);
    }
    char out[CAIRN_TIME_FMT_LEN];
    cairn_date_format((int32_t)cairn_days_from_civil(-1, 3, 1), out, sizeof out);
    assert_string_equal(out, "-0001-03-01");
    int32_t days;
    assert_int_equal(cairn_date_parse(out, strlen(out), &days, NULL), 0);
    int64_t us;
    const char *bad[] = {"2024-01-01T00:00+05:", "12345-01-01", "+123-01-01", "-1234567-01-01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cairn_time_parse(bad[i], strlen(bad[i]), &us, NULL), CAIRN_EPARSE);
}

static void test_durations(void **state)
{
    (void)state;
    int64_t us;
    assert_int_equal(cairn_duration_parse("90s", 3, &us, NULL), 0);
    assert_int_equal(us, 90 * CAIRN_US_PER_SECOND);
    assert_int_equal(cairn_duration_parse("1h30m", 5, &us, NULL), 0);
    assert_int_equal(us, 5400 * CAIRN_US_PER_SECOND);
    assert_int_equal(cairn_duration_parse("7d", 2, &us, NULL), 0);
    assert_int_equal(us, 7 * CAIRN_US_PER_DAY);
    assert_int_equal(cairn_duration_parse("2w", 2, &us, NULL), 0);
    assert_int_equal(us, 14 * CAIRN_US_PER_DAY);
    assert_int_equal(cairn_duration_parse("250ms", 5, &us, NULL), 0);
    assert_int_equal(us, 250000);
    const char *bad[] = {"", "h", "10", "10x", "-5s", "1.5h", "99999999999999999999s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(cairn_duration_parse(bad[i], strlen(bad[i]), &us, NULL), CAIRN_EPARSE);
    char out[64];
    cairn_duration_format(5400 * CAIRN_US_PER_SECOND, out, sizeof out);
    assert_string_equal(out, "1h30m");
    cairn_duration_format(7 * CAIRN_US_PER_DAY, out, sizeof out);
    assert_string_equal(out, "7d");
    cairn_duration_format(0, out, sizeof out);
    assert_string_equal(out, "0s");
    assert_true(cairn_now_us() > T("2020-01-01"));
    int64_t a = cairn_monotonic_ns(), b = cairn_monotonic_ns();
    assert_true(b >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_expanded_years_and_offsets),
        cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
