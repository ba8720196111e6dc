/* time.c: UTC microseconds, ISO-8601 parsing and formatting, durations, calendar math.
 *
 * Calendar conversions use the days-from-civil method on the proleptic Gregorian calendar
 * (eras of 400 years, months counted from March so the leap day comes last), exact for any
 * int64 day count we can hold. Parsing is strict: every character must be consumed, each
 * field range-checked (month 1-12, day within the month, hour 0-23, minute 0-59, second
 * 0-60 with a leap second folded into the next minute). The error message names the part
 * that failed. Tests: tests/unit/core/test_time.c.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cairn/core.h"

int64_t cairn_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;                                     /* [0, 399] */
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;   /* [0, 365] */
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;             /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void cairn_civil_from_days(int64_t z, int64_t *year, unsigned *month, unsigned *day)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly n digits at s[*i]. */
static bool digits(const char *s, size_t len, size_t *i, int n, int64_t *out)
{
    int64_t v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9') return false;
        v = v * 10 + (s[(*i)++] - '0');
    }
    *out = v;
    return true;
}

static int time_error(cairn_error *err, const char *s, size_t len, const char *what)
{
    cairn_error_set(err, CAIRN_EPARSE, "invalid timestamp: %s", what);
    cairn_error_expect(err, "ISO-8601 timestamp", s, len);
    return CAIRN_EPARSE;
}

static int parse_date_part(const char *s, size_t len, size_t *i, int64_t *days,
                           cairn_error *err)
{
    int64_t y = 0, mo, d;
    /* YYYY, or ISO-8601's expanded form with a sign and 4 to 6 digits (-0001, +10000) */
    bool signed_year = *i < len && (s[*i] == '-' || s[*i] == '+');
    bool neg = signed_year && s[*i] == '-';
    if (signed_year) (*i)++;
    int ndigits = 0;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9' && ndigits < 7) {
        y = y * 10 + (s[(*i)++] - '0');
        ndigits++;
    }
    if (signed_year ? (ndigits < 4 || ndigits > 6) : ndigits != 4)
        return time_error(err, s, len, "year must have 4 digits (or a sign and 4 to 6)");
    if (neg) y = -y;
    if (*i >= len || s[(*i)++] != '-' || !digits(s, len, i, 2, &mo))
        return time_error(err, s, len, "expected -MM after the year");
    if (*i >= len || s[(*i)++] != '-' || !digits(s, len, i, 2, &d))
        return time_error(err, s, len, "expected -DD after the month");
    if (mo < 1 || mo > 12) return time_error(err, s, len, "month out of range 01-12");
    if (d < 1 || d > days_in_month(y, (unsigned)mo))
        return time_error(err, s, len, "day out of range for the month");
    *days = cairn_days_from_civil(y, (unsigned)mo, (unsigned)d);
    return 0;
}

static int parse_offset(const char *s, size_t len, size_t *i, int64_t *offset_us,
                        cairn_error *err)
{
    *offset_us = 0;
    if (*i == len) return 0;
    if (s[*i] == 'Z' || s[*i] == 'z') {
        (*i)++;
        return 0;
    }
    if (s[*i] != '+' && s[*i] != '-') return time_error(err, s, len, "unexpected text after time");
    int sign = s[(*i)++] == '-' ? -1 : 1;
    int64_t hh, mm = 0;
    if (!digits(s, len, i, 2, &hh)) return time_error(err, s, len, "offset hours must be 2 digits");
    bool colon = *i < len && s[*i] == ':';
    if (colon) (*i)++;
    if ((colon || *i < len) && !digits(s, len, i, 2, &mm))
        return time_error(err, s, len, "offset minutes must be 2 digits");
    if (hh > 23 || mm > 59) return time_error(err, s, len, "offset out of range");
    *offset_us = sign * (hh * 3600 + mm * 60) * CAIRN_US_PER_SECOND;
    return 0;
}

int cairn_time_parse(const char *s, size_t len, int64_t *out_us, cairn_error *err)
{
    size_t i = 0;
    int64_t days, hh = 0, mi = 0, ss = 0, frac = 0, offset = 0;
    int rc = parse_date_part(s, len, &i, &days, err);
    if (rc) return rc;
    if (i < len && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        i++;
        if (!digits(s, len, &i, 2, &hh)) return time_error(err, s, len, "hour must be 2 digits");
        if (i >= len || s[i++] != ':' || !digits(s, len, &i, 2, &mi))
            return time_error(err, s, len, "expected :MM after the hour");
        if (i < len && s[i] == ':') {
            i++;
            if (!digits(s, len, &i, 2, &ss)) return time_error(err, s, len, "second must be 2 digits");
            if (i < len && (s[i] == '.' || s[i] == ',')) {
                i++;
                int n = 0;
                while (i < len && s[i] >= '0' && s[i] <= '9') {
                    if (n < 6) frac = frac * 10 + (s[i] - '0');
                    n++, i++;
                }
                if (n == 0 || n > 9) return time_error(err, s, len, "fraction must have 1-9 digits");
                for (; n < 6; n++) frac *= 10;
            }
        }
        if (hh > 23 || mi > 59 || ss > 60) return time_error(err, s, len, "time out of range");
        rc = parse_offset(s, len, &i, &offset, err);
        if (rc) return rc;
    }
    if (i != len) return time_error(err, s, len, "unexpected text after the date");
    *out_us = days * CAIRN_US_PER_DAY + (hh * 3600 + mi * 60 + ss) * CAIRN_US_PER_SECOND + frac -
              offset;
    return 0;
}

int cairn_date_parse(const char *s, size_t len, int32_t *out_days, cairn_error *err)
{
    size_t i = 0;
    int64_t days;
    int rc = parse_date_part(s, len, &i, &days, err);
    if (rc) return rc;
    if (i != len) {
        cairn_error_set(err, CAIRN_EPARSE, "invalid date: unexpected text after YYYY-MM-DD");
        cairn_error_expect(err, "date YYYY-MM-DD", s, len);
        return CAIRN_EPARSE;
    }
    if (days < INT32_MIN || days > INT32_MAX) {
        cairn_error_set(err, CAIRN_ERANGE, "date out of range");
        return CAIRN_ERANGE;
    }
    *out_days = (int32_t)days;
    return 0;
}

/* Years 0-9999 as YYYY; others in ISO-8601's expanded form, which the parser reads back. */
static int format_year(char *out, size_t cap, int64_t y)
{
    if (y < 0) return snprintf(out, cap, "-%04lld", (long long)-y);
    if (y > 9999) return snprintf(out, cap, "+%lld", (long long)y);
    return snprintf(out, cap, "%04lld", (long long)y);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

size_t cairn_time_format(int64_t us, char *out, size_t cap)
{
    int64_t days = floor_div(us, CAIRN_US_PER_DAY);
    int64_t rem = us - days * CAIRN_US_PER_DAY;
    int64_t y;
    unsigned m, d;
    cairn_civil_from_days(days, &y, &m, &d);
    int64_t secs = rem / CAIRN_US_PER_SECOND, frac = rem % CAIRN_US_PER_SECOND;
    char year[24];
    format_year(year, sizeof year, y);
    int n;
    if (frac)
        n = snprintf(out, cap, "%s-%02u-%02uT%02d:%02d:%02d.%06lldZ", year, m, d,
                     (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), (long long)frac);
    else
        n = snprintf(out, cap, "%s-%02u-%02uT%02d:%02d:%02dZ", year, m, d, (int)(secs / 3600),
                     (int)(secs / 60 % 60), (int)(secs % 60));
    return n < 0 ? 0 : (size_t)n;
}

size_t cairn_date_format(int32_t days, char *out, size_t cap)
{
    int64_t y;
    unsigned m, d;
    cairn_civil_from_days(days, &y, &m, &d);
    char year[24];
    format_year(year, sizeof year, y);
    int n = snprintf(out, cap, "%s-%02u-%02u", year, m, d);
    return n < 0 ? 0 : (size_t)n;
}

static const struct {
    const char *unit;
    int64_t us;
} duration_units[] = {
    {"us", 1}, {"ms", 1000}, {"s", CAIRN_US_PER_SECOND}, {"m", 60 * CAIRN_US_PER_SECOND},
    {"h", 3600 * CAIRN_US_PER_SECOND}, {"d", CAIRN_US_PER_DAY}, {"w", 7 * CAIRN_US_PER_DAY},
};
#define N_UNITS (sizeof duration_units / sizeof duration_units[0])

static int duration_error(cairn_error *err, const char *s, size_t len, const char *what)
{
    cairn_error_set(err, CAIRN_EPARSE, "invalid duration: %s", what);
    cairn_error_expect(err, "a duration such as 90s, 15m, 1h30m, 7d", s, len);
    return CAIRN_EPARSE;
}

int cairn_duration_parse(const char *s, size_t len, int64_t *out_us, cairn_error *err)
{
    size_t i = 0;
    int64_t total = 0;
    if (len == 0) return duration_error(err, s, len, "empty");
    while (i < len) {
        int64_t v = 0;
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (v > (INT64_MAX - 9) / 10) return duration_error(err, s, len, "number too large");
            v = v * 10 + (s[i++] - '0');
        }
        if (i == start) return duration_error(err, s, len, "expected a number");
        size_t ustart = i;
        while (i < len && s[i] >= 'a' && s[i] <= 'z') i++;
        size_t ulen = i - ustart;
        size_t k = 0;
        for (; k < N_UNITS; k++)
            if (strlen(duration_units[k].unit) == ulen &&
                memcmp(duration_units[k].unit, s + ustart, ulen) == 0)
                break;
        if (k == N_UNITS) return duration_error(err, s, len, "unknown unit (use us, ms, s, m, h, d, w)");
        if (v > (INT64_MAX - total) / duration_units[k].us)
            return duration_error(err, s, len, "duration too large");
        total += v * duration_units[k].us;
    }
    *out_us = total;
    return 0;
}

size_t cairn_duration_format(int64_t us, char *out, size_t cap)
{
    if (us == 0) return (size_t)snprintf(out, cap, "0s");
    size_t n = 0;
    const char *sign = us < 0 ? "-" : "";
    uint64_t rest = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    int w = snprintf(out, cap, "%s", sign);
    n = w > 0 ? (size_t)w : 0;
    /* d, h, m, s, ms, us: the largest exact units, weeks are left as days */
    static const int order[] = {5, 4, 3, 2, 1, 0};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        uint64_t unit = (uint64_t)duration_units[order[k]].us;
        if (rest >= unit) {
            w = snprintf(out + (n < cap ? n : cap), n < cap ? cap - n : 0, "%llu%s",
                         (unsigned long long)(rest / unit), duration_units[order[k]].unit);
            if (w > 0) n += (size_t)w;
            rest %= unit;
        }
    }
    return n;
}

int64_t cairn_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * CAIRN_US_PER_SECOND + ts.tv_nsec / 1000;
}

int64_t cairn_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
