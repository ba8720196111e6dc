/* src/table/convert.c: text -> typed values, type inference, and the chunked reading driver
 * shared by the CSV and JSON Lines readers; plus the atomic file sink of the writers.
 *
 * Conversion. Each parser takes one whole token (no surrounding spaces) and either consumes
 * all of it or refuses it:
 * - bool: true / false, any case;
 * - int64 / int32: [+-]digits, parsed by hand with an overflow check (ERANGE past the type);
 * - float64 / float32: [+-](digits[.digits*] | .digits)([eE][+-]digits)?, or nan, inf,
 *   infinity (any case, signed). The grammar is checked by hand first (so strtod's hex and
 *   locale forms are never accepted). Fast path, exact by construction: at most 19
 *   significant digits, mantissa <= 2^53 and a power of ten <= 22, so mantissa and power are
 *   both exact doubles and one IEEE multiply or divide rounds correctly. Otherwise the
 *   digits are rewritten into a bounded buffer (at most 780 significant digits plus a sticky
 *   '1' for any non-zero digit dropped, which keeps correct rounding since a double needs at
 *   most 767) and handed to strtod under the C locale. Results that overflow to infinity
 *   are ERANGE.
 * - date: exactly YYYY-MM-DD with a real calendar day; timestamp: a fast path for
 *   "YYYY-MM-DD[ T]HH:MM:SS[.f{1,9}][Z]" and a bare date (midnight), else cairn_time_parse
 *   (offsets and the other ISO-8601 forms) when the text starts with a valid date.
 * - string: any valid UTF-8.
 *
 * Inference. cairn__text_infer gives each token its narrowest type, trying in order int64,
 * date, timestamp, float64, bool, string (an int64 that overflows is a float64; an empty
 * token - only possible when quoted - is a string). A column's type is the join of its
 * tokens' types along the widening order bool -> string; int64 -> float64 -> string;
 * date -> timestamp -> string (any other mix is string). Nulls do not vote; a column with
 * only nulls is string. Inferred columns are always nullable.
 *
 * The driver (cairn__tr_run). Readers cut their input into chunks that start at row
 * boundaries; the driver creates per-chunk columns, parses the chunks in parallel, and then:
 * (1) if a chunk set `resync` (its boundary may be wrong, see csv_read.c), that chunk and
 *     everything after it are merged into one chunk and parsed again on this thread, so
 *     errors are exactly those of a sequential parse;
 * (2) if a chunk met values that do not fit an inferred type (or JSON keys not seen while
 *     inferring), the types are widened to the join of everything met and every chunk is
 *     parsed again - widening happens before any error is reported, so the first bad row is
 *     the one a sequential parse with the final types would meet;
 * (3) bad rows are reported in file order (the first fails the read without a callback; with
 *     one, each is passed to it and left out);
 * (4) the chunk columns become the table's columns. Chunks append into cairn__cb builders
 *     (plain buffers, inline appends, a row can be popped). When the reader counted every
 *     LF while splitting (tr->end_line), each chunk's rows are bounded by the LFs it spans
 *     (+1 for a last row without one), so fixed-width values and string offsets are written
 *     straight into the final buffers at each chunk's bound offset, and concatenating only
 *     closes the gaps left by blank lines or multi-line rows (moves go down, in order) and
 *     copies string bytes; BOOL values and validity are packed into bits. A lone chunk's
 *     buffers are handed over as they are.
 * Invariant: no row is dropped without being reported, and nothing half-built is returned.
 *
 * Writers get fast integer / timestamp / date text (cairn__fmt_*, identical to the core's).
 *
 * Tests: tests/unit/table/test_convert.c (conversion, inference, formatters), test_csv_read.c
 * and test_jsonl.c (the driver through both readers), test_csv_alloc.c (allocation failures).
 */
#include "table/convert.h"
#include "table/table_internal.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ==========================================================================================
 * Numbers
 * ======================================================================================== */

static inline unsigned digit_of(char c)
{
    return (unsigned)(unsigned char)c - (unsigned)'0';
}

static bool ascii_ieq(const char *s, size_t len, const char *word)
{
    size_t i = 0;
    for (; i < len && word[i]; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != word[i]) return false;
    }
    return i == len && word[i] == '\0';
}

int cairn__parse_bool(const char *s, size_t len, bool *out)
{
    if (len == 4 && ascii_ieq(s, len, "true")) {
        *out = true;
        return 0;
    }
    if (len == 5 && ascii_ieq(s, len, "false")) {
        *out = false;
        return 0;
    }
    return CAIRN_EPARSE;
}

int cairn__parse_int64(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == len) return CAIRN_EPARSE;
    uint64_t v = 0;
    size_t fast_end = len - i <= 18 ? len : i + 18; /* 18 digits never overflow */
    for (; i < fast_end; i++) {
        unsigned d = digit_of(s[i]);
        if (d > 9) return CAIRN_EPARSE;
        v = v * 10 + d;
    }
    bool overflow = false;
    for (; i < len; i++) {
        unsigned d = digit_of(s[i]);
        if (d > 9) return CAIRN_EPARSE;
        if (v > (UINT64_MAX - d) / 10) overflow = true;
        else v = v * 10 + d;
    }
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (overflow || v > limit) return CAIRN_ERANGE;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int cairn__parse_int32(const char *s, size_t len, int32_t *out)
{
    int64_t v;
    int rc = cairn__parse_int64(s, len, &v);
    if (rc) return rc;
    if (v < INT32_MIN || v > INT32_MAX) return CAIRN_ERANGE;
    *out = (int32_t)v;
    return 0;
}

/* The shape of a decimal number, from one validating scan. */
typedef struct num_scan {
    bool neg;
    uint64_t mant;    /* the first 19 significant digits */
    int sig;          /* significant digits kept in mant */
    bool dropped;     /* significant digits beyond 19 */
    int64_t exp10;    /* value = mant * 10^exp10 when !dropped */
} num_scan;

static bool scan_exponent(const char *s, size_t len, size_t *i, int64_t *exp)
{
    size_t j = *i + 1;
    bool eneg = false;
    if (j < len && (s[j] == '+' || s[j] == '-')) eneg = s[j++] == '-';
    if (j == len) return false;
    int64_t e = 0;
    for (; j < len; j++) {
        unsigned d = digit_of(s[j]);
        if (d > 9) return false;
        if (e < 1000000) e = e * 10 + d; /* clamped: far past any double */
    }
    *exp += eneg ? -e : e;
    *i = j;
    return true;
}

/* Validates the decimal grammar and gathers the fast-path mantissa. */
static bool scan_decimal(const char *s, size_t len, num_scan *ns)
{
    size_t i = 0;
    bool any = false;
    memset(ns, 0, sizeof *ns);
    if (i < len && (s[i] == '-' || s[i] == '+')) ns->neg = s[i++] == '-';
    bool frac = false;
    for (; i < len; i++) {
        unsigned d = digit_of(s[i]);
        if (d > 9) {
            if (s[i] != '.' || frac) break;
            frac = true;
            continue;
        }
        any = true;
        if (ns->sig == 0 && d == 0) {
            ns->exp10 -= frac; /* leading zeros only move the point */
        } else if (ns->sig < 19) {
            ns->mant = ns->mant * 10 + d;
            ns->sig++;
            ns->exp10 -= frac;
        } else {
            ns->dropped = true;
            ns->exp10 += !frac;
        }
    }
    if (!any) return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E') && !scan_exponent(s, len, &i, &ns->exp10))
        return false;
    return i == len;
}

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static bool special_float(const char *s, size_t len, double *out)
{
    bool neg = false;
    if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s++, len--;
    }
    if (ascii_ieq(s, len, "nan")) *out = NAN;
    else if (ascii_ieq(s, len, "inf") || ascii_ieq(s, len, "infinity")) *out = INFINITY;
    else return false;
    if (neg) *out = -*out;
    return true;
}

/* Rewrites a validated decimal as at most SLOW_DIGITS significant digits, a sticky '1'
 * standing for any non-zero digit dropped, and an exponent: "[-]DDDDe<exp>". Rounding of
 * the result is unchanged, because a double (or float) is decided by its first 767 digits
 * plus whether anything non-zero follows. */
#define SLOW_DIGITS 780
#define SLOW_BUF (SLOW_DIGITS + 40)
static void bounded_decimal(const char *s, size_t len, char *buf)
{
    size_t n = 0, i = 0;
    int64_t exp10 = 0;
    bool sticky = false, frac = false;
    if (s[0] == '-' || s[0] == '+') buf[n++] = s[i++];
    size_t lead = n;
    for (; i < len && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            frac = true;
        } else if (n == lead && s[i] == '0') {
            exp10 -= frac; /* a leading zero only moves the point */
        } else if (n - lead < SLOW_DIGITS) {
            buf[n++] = s[i];
            exp10 -= frac;
        } else {
            sticky |= s[i] != '0';
            exp10 += !frac;
        }
    }
    if (n == lead) buf[n++] = '0';
    if (sticky) {
        buf[n++] = '1';
        exp10--;
    }
    if (i < len) scan_exponent(s, len, &i, &exp10);
    if (exp10 > 100000) exp10 = 100000;
    if (exp10 < -100000) exp10 = -100000;
    snprintf(buf + n, SLOW_BUF - n, "e%lld", (long long)exp10);
}

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* strtod / strtof of a validated decimal, correctly rounded, whatever the process locale. */
static double slow_decimal(const char *s, size_t len, bool single, float *out32)
{
    char buf[SLOW_BUF];
    bounded_decimal(s, len, buf);
    pthread_once(&c_locale_once, c_locale_init);
    locale_t old = c_locale ? uselocale(c_locale) : (locale_t)0;
    double v = 0;
    if (single) *out32 = strtof(buf, NULL);
    else v = strtod(buf, NULL);
    if (c_locale) uselocale(old);
    return v;
}

int cairn__parse_float64(const char *s, size_t len, double *out)
{
    num_scan ns;
    if (len == 0) return CAIRN_EPARSE;
    if (!scan_decimal(s, len, &ns)) return special_float(s, len, out) ? 0 : CAIRN_EPARSE;
    double v;
    if (ns.mant == 0 && !ns.dropped) {
        v = 0.0;
    } else if (!ns.dropped && ns.mant <= (UINT64_C(1) << 53) && ns.exp10 >= -22 &&
               ns.exp10 <= 22) {
        v = (double)ns.mant;
        v = ns.exp10 >= 0 ? v * pow10_exact[ns.exp10] : v / pow10_exact[-ns.exp10];
    } else {
        v = fabs(slow_decimal(s, len, false, NULL));
    }
    if (isinf(v)) return CAIRN_ERANGE;
    *out = ns.neg ? -v : v;
    return 0;
}

int cairn__parse_float32(const char *s, size_t len, float *out)
{
    num_scan ns;
    if (len == 0) return CAIRN_EPARSE;
    if (!scan_decimal(s, len, &ns)) {
        double d;
        if (!special_float(s, len, &d)) return CAIRN_EPARSE;
        *out = (float)d;
        return 0;
    }
    float v;
    if (ns.mant == 0 && !ns.dropped) {
        v = 0.0f;
    } else if (!ns.dropped && ns.mant <= (UINT64_C(1) << 24) && ns.exp10 >= -10 &&
               ns.exp10 <= 10) {
        v = (float)ns.mant; /* exact, as is 10^|e| <= 10^10: one rounding */
        v = ns.exp10 >= 0 ? v * (float)pow10_exact[ns.exp10]
                          : v / (float)pow10_exact[-ns.exp10];
    } else {
        slow_decimal(s, len, true, &v); /* strtof: going through double would round twice */
        v = fabsf(v);
    }
    if (isinf(v)) return CAIRN_ERANGE;
    *out = ns.neg ? -v : v;
    return 0;
}

/* ==========================================================================================
 * Dates and timestamps
 * ======================================================================================== */

static inline int two_digits(const char *s)
{
    unsigned a = digit_of(s[0]), b = digit_of(s[1]);
    return (a > 9 || b > 9) ? -1 : (int)(a * 10 + b);
}

static inline int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil),
 * inlined here because it runs for every timestamp of a large CSV. */
static inline int64_t civil_days(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* s[0..10) as YYYY-MM-DD. */
static inline bool ymd(const char *s, int64_t *days)
{
    if (s[4] != '-' || s[7] != '-') return false;
    int y1 = two_digits(s), y2 = two_digits(s + 2), m = two_digits(s + 5), d = two_digits(s + 8);
    if (y1 < 0 || y2 < 0 || m < 1 || m > 12 || d < 1) return false;
    int y = y1 * 100 + y2;
    if (d > days_in_month(y, m)) return false;
    *days = civil_days(y, m, d);
    return true;
}

int cairn__parse_date(const char *s, size_t len, int32_t *out_days)
{
    int64_t days;
    if (len != 10 || !ymd(s, &days)) return CAIRN_EPARSE;
    *out_days = (int32_t)days;
    return 0;
}

/* "HH:MM:SS[.f{1,9}][Z]" at s[0..len), or false. */
static bool hms(const char *s, size_t len, int64_t *us)
{
    if (len < 8 || s[2] != ':' || s[5] != ':') return false;
    int h = two_digits(s), mi = two_digits(s + 3), se = two_digits(s + 6);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59) return false;
    int64_t frac = 0;
    size_t i = 8;
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        for (; i < len && digit_of(s[i]) <= 9 && i - start < 9; i++)
            if (i - start < 6) frac = frac * 10 + digit_of(s[i]);
        if (i == start) return false;
        for (size_t k = i - start; k < 6; k++) frac *= 10;
    }
    if (i < len && s[i] == 'Z') i++;
    if (i != len) return false;
    *us = ((int64_t)h * 3600 + mi * 60 + se) * CAIRN_US_PER_SECOND + frac;
    return true;
}

int cairn__parse_timestamp(const char *s, size_t len, int64_t *out_us)
{
    int64_t days, us;
    if (len < 10 || !ymd(s, &days)) return CAIRN_EPARSE;
    if (len == 10) {
        *out_us = days * CAIRN_US_PER_DAY;
        return 0;
    }
    if ((s[10] == ' ' || s[10] == 'T') && hms(s + 11, len - 11, &us)) {
        *out_us = days * CAIRN_US_PER_DAY + us;
        return 0;
    }
    /* Offsets, lower-case separators and the rest of ISO-8601. */
    return cairn_time_parse(s, len, out_us, NULL) == 0 ? 0 : CAIRN_EPARSE;
}

/* ==========================================================================================
 * UTF-8
 * ======================================================================================== */

static size_t utf8_seq(const unsigned char *p, size_t left)
{
    unsigned c = p[0];
    size_t n;
    unsigned min;
    if (c >= 0xC2 && c <= 0xDF) n = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, min = 0x10000;
    else return 0;
    if (left < n) return 0;
    unsigned cp = c & (0x3Fu >> (n - 1));
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[k] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

bool cairn__utf8_valid(const char *s, size_t len, size_t *bad_at)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if ((w & UINT64_C(0x8080808080808080)) == 0) {
                i += 8;
                continue;
            }
        }
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_seq(p + i, len - i);
        if (n == 0) {
            if (bad_at) *bad_at = i;
            return false;
        }
        i += n;
    }
    return true;
}

/* ==========================================================================================
 * Conversion and inference
 * ======================================================================================== */

int cairn__text_convert(const char *s, size_t len, cairn_type type, cairn_value *out)
{
    out->type = type;
    out->is_null = false;
    switch (type) {
    case CAIRN_TYPE_BOOL: return cairn__parse_bool(s, len, &out->v.b);
    case CAIRN_TYPE_INT32: return cairn__parse_int32(s, len, &out->v.i32);
    case CAIRN_TYPE_INT64: return cairn__parse_int64(s, len, &out->v.i64);
    case CAIRN_TYPE_FLOAT32: return cairn__parse_float32(s, len, &out->v.f32);
    case CAIRN_TYPE_FLOAT64: return cairn__parse_float64(s, len, &out->v.f64);
    case CAIRN_TYPE_DATE32: return cairn__parse_date(s, len, &out->v.i32);
    case CAIRN_TYPE_TIMESTAMP: return cairn__parse_timestamp(s, len, &out->v.i64);
    case CAIRN_TYPE_STRING:
        out->v.str.ptr = s;
        out->v.str.len = len;
        return cairn__utf8_valid(s, len, NULL) ? 0 : CAIRN_EPARSE;
    }
    return CAIRN_EINVAL;
}

cairn_type cairn__text_infer(const char *s, size_t len)
{
    if (len == 0) return CAIRN_TYPE_STRING;
    char c = s[0];
    if (digit_of(c) <= 9 || c == '-' || c == '+' || c == '.') {
        int64_t i64;
        int32_t days;
        double f;
        int rc = cairn__parse_int64(s, len, &i64);
        if (rc == 0) return CAIRN_TYPE_INT64;
        if (len >= 10 && digit_of(c) <= 9 && s[4] == '-') {
            if (cairn__parse_date(s, len, &days) == 0) return CAIRN_TYPE_DATE32;
            if (cairn__parse_timestamp(s, len, &i64) == 0) return CAIRN_TYPE_TIMESTAMP;
        }
        if (cairn__parse_float64(s, len, &f) == 0) return CAIRN_TYPE_FLOAT64;
        return CAIRN_TYPE_STRING;
    }
    bool b;
    double f;
    if ((c == 't' || c == 'T' || c == 'f' || c == 'F') && cairn__parse_bool(s, len, &b) == 0)
        return CAIRN_TYPE_BOOL;
    if ((c == 'n' || c == 'N' || c == 'i' || c == 'I') && special_float(s, len, &f))
        return CAIRN_TYPE_FLOAT64;
    return CAIRN_TYPE_STRING;
}

cairn_type cairn__type_join(cairn_type a, cairn_type b)
{
    if (a == 0 || a == b) return b;
    if (b == 0) return a;
    if ((a == CAIRN_TYPE_INT64 && b == CAIRN_TYPE_FLOAT64) ||
        (a == CAIRN_TYPE_FLOAT64 && b == CAIRN_TYPE_INT64))
        return CAIRN_TYPE_FLOAT64;
    if ((a == CAIRN_TYPE_DATE32 && b == CAIRN_TYPE_TIMESTAMP) ||
        (a == CAIRN_TYPE_TIMESTAMP && b == CAIRN_TYPE_DATE32))
        return CAIRN_TYPE_TIMESTAMP;
    return CAIRN_TYPE_STRING;
}

/* ==========================================================================================
 * Fast text of values for the writers
 * ======================================================================================== */

size_t cairn__fmt_int64(int64_t v, char *out)
{
    char tmp[24];
    size_t n = 0, len = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) out[len++] = '-';
    while (n) out[len++] = tmp[--n];
    return len;
}

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/* Fills the cache for `day`; false when the year is outside 0000-9999. */
static bool day_text(cairn__day_cache *c, int64_t day)
{
    if (c->valid && c->day == day) return true;
    int64_t y;
    unsigned um, ud;
    cairn_civil_from_days(day, &y, &um, &ud);
    int m = (int)um, d = (int)ud;
    if (y < 0 || y > 9999) return false;
    put2(c->ymd, (int)(y / 100));
    put2(c->ymd + 2, (int)(y % 100));
    c->ymd[4] = '-';
    put2(c->ymd + 5, m);
    c->ymd[7] = '-';
    put2(c->ymd + 8, d);
    c->day = day;
    c->valid = true;
    return true;
}

size_t cairn__fmt_timestamp(cairn__day_cache *cache, int64_t us, char *out)
{
    int64_t day = us / CAIRN_US_PER_DAY, rem = us % CAIRN_US_PER_DAY;
    if (rem < 0) {
        rem += CAIRN_US_PER_DAY;
        day--;
    }
    if (!day_text(cache, day)) return cairn_time_format(us, out, CAIRN__FMT_LEN);
    memcpy(out, cache->ymd, 10);
    int64_t secs = rem / CAIRN_US_PER_SECOND, frac = rem % CAIRN_US_PER_SECOND;
    out[10] = 'T';
    put2(out + 11, (int)(secs / 3600));
    out[13] = ':';
    put2(out + 14, (int)(secs / 60 % 60));
    out[16] = ':';
    put2(out + 17, (int)(secs % 60));
    size_t n = 19;
    if (frac) {
        out[n++] = '.';
        for (int64_t div = 100000; div; div /= 10) out[n++] = (char)('0' + frac / div % 10);
    }
    out[n++] = 'Z';
    return n;
}

size_t cairn__fmt_date(cairn__day_cache *cache, int32_t days, char *out)
{
    if (!day_text(cache, days)) return cairn_date_format(days, out, CAIRN__FMT_LEN);
    memcpy(out, cache->ymd, 10);
    return 10;
}

int cairn__fmt_cell(cairn__day_cache *cache, const cairn_column *col, int64_t row,
                    cairn_buf *out)
{
    char tmp[CAIRN__FMT_LEN];
    size_t n;
    switch (col->type) {
    case CAIRN_TYPE_INT64: n = cairn__fmt_int64(cairn_column_i64(col, row), tmp); break;
    case CAIRN_TYPE_INT32: n = cairn__fmt_int64(cairn_column_i32(col, row), tmp); break;
    case CAIRN_TYPE_TIMESTAMP: n = cairn__fmt_timestamp(cache, cairn_column_i64(col, row), tmp); break;
    case CAIRN_TYPE_DATE32: n = cairn__fmt_date(cache, cairn_column_i32(col, row), tmp); break;
    default: {
        cairn_value v;
        cairn_column_get(col, row, &v);
        return cairn_value_format(&v, NULL, out);
    }
    }
    return cairn_buf_append(out, tmp, n);
}

/* ==========================================================================================
 * Schema
 * ======================================================================================== */

void cairn__schema_init(cairn__schema *s)
{
    memset(s, 0, sizeof *s);
}

void cairn__schema_release(cairn__schema *s)
{
    for (size_t i = 0; i < s->ncols; i++) cairn_free(s->names[i]);
    cairn_free(s->names);
    cairn_free(s->types);
    cairn_free(s->nullable);
    cairn__schema_init(s);
}

int cairn__schema_add(cairn__schema *s, const char *name, size_t name_len, cairn_type type,
                      bool nullable)
{
    if (s->ncols == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        char **names = cairn_realloc(s->names, cap * sizeof *names);
        if (!names) return CAIRN_ENOMEM;
        s->names = names;
        cairn_type *types = cairn_realloc(s->types, cap * sizeof *types);
        if (!types) return CAIRN_ENOMEM;
        s->types = types;
        bool *nl = cairn_realloc(s->nullable, cap * sizeof *nl);
        if (!nl) return CAIRN_ENOMEM;
        s->nullable = nl;
        s->cap = cap;
    }
    char *copy = cairn_strndup(name, name_len);
    if (!copy) return CAIRN_ENOMEM;
    s->names[s->ncols] = copy;
    s->types[s->ncols] = type;
    s->nullable[s->ncols] = nullable;
    s->ncols++;
    return 0;
}

int64_t cairn__schema_find(const cairn__schema *s, const char *name, size_t name_len)
{
    for (size_t i = 0; i < s->ncols; i++)
        if (strncmp(s->names[i], name, name_len) == 0 && s->names[i][name_len] == '\0')
            return (int64_t)i;
    return -1;
}

/* ==========================================================================================
 * Chunk column builders
 * ======================================================================================== */

static size_t cb_width(cairn_type type)
{
    return type == CAIRN_TYPE_BOOL ? 1 : type == CAIRN_TYPE_STRING ? 0 : cairn_type_width(type);
}

int cairn__cb_init(cairn__cb *b, cairn_type type, int64_t rows)
{
    memset(b, 0, sizeof *b);
    b->type = type;
    b->width = cb_width(type);
    b->cap = rows > 16 ? rows : 16;
    if (type == CAIRN_TYPE_STRING) {
        b->offsets = cairn_malloc((size_t)(b->cap + 1) * sizeof *b->offsets);
        b->data_cap = 64;
        b->data = cairn_malloc(b->data_cap);
        if (b->offsets) b->offsets[0] = 0;
    } else {
        b->values = cairn_malloc((size_t)b->cap * b->width);
    }
    if ((type == CAIRN_TYPE_STRING && (!b->offsets || !b->data)) ||
        (type != CAIRN_TYPE_STRING && !b->values)) {
        cairn__cb_release(b);
        return CAIRN_ENOMEM;
    }
    return 0;
}

int cairn__cb_init_external(cairn__cb *b, cairn_type type, void *storage, int64_t cap)
{
    memset(b, 0, sizeof *b);
    b->type = type;
    b->width = cb_width(type);
    b->cap = cap;
    b->external = true;
    if (type != CAIRN_TYPE_STRING) {
        b->values = storage;
        return 0;
    }
    b->offsets = storage;
    b->offsets[0] = 0;
    b->data_cap = 64;
    b->data = cairn_malloc(b->data_cap);
    return b->data ? 0 : CAIRN_ENOMEM;
}

void cairn__cb_release(cairn__cb *b)
{
    if (!b->external) {
        cairn_free(b->values);
        cairn_free(b->offsets);
    }
    cairn_free(b->data);
    cairn_free(b->nulls);
    b->values = b->offsets = NULL;
    b->data = NULL;
    b->nulls = NULL;
    b->cap = b->length = 0;
}

static int realloc_into(void **p, size_t bytes)
{
    void *q = cairn_realloc(*p, bytes);
    if (!q) return CAIRN_ENOMEM;
    *p = q;
    return 0;
}

int cairn__cb_grow(cairn__cb *b)
{
    if (b->external) return CAIRN_EINTERNAL; /* the row bound was wrong: a bug */
    int64_t cap = b->cap * 2;
    int rc;
    if (b->type == CAIRN_TYPE_STRING) {
        void *p = b->offsets;
        rc = realloc_into(&p, (size_t)(cap + 1) * sizeof *b->offsets);
        b->offsets = p;
    } else {
        rc = realloc_into(&b->values, (size_t)cap * b->width);
    }
    if (rc == 0 && b->nulls) {
        void *p = b->nulls;
        rc = realloc_into(&p, (size_t)cap);
        b->nulls = p;
    }
    if (rc == 0) b->cap = cap; /* buffers that did grow are merely larger than needed */
    return rc;
}

int cairn__cb_grow_data(cairn__cb *b, size_t more)
{
    size_t cap = b->data_cap * 2;
    if (cap < b->data_len + more) cap = b->data_len + more;
    void *p = b->data;
    if (realloc_into(&p, cap) != 0) return CAIRN_ENOMEM;
    b->data = p;
    b->data_cap = cap;
    return 0;
}

int cairn__cb_null(cairn__cb *b)
{
    CAIRN__CB_ROW(b);
    if (!b->nulls) {
        b->nulls = cairn_calloc((size_t)b->cap + 1, 1);
        if (!b->nulls) return CAIRN_ENOMEM;
    }
    if (b->type == CAIRN_TYPE_STRING) b->offsets[b->length + 1] = (int64_t)b->data_len;
    else memset((char *)b->values + (size_t)b->length * b->width, 0, b->width);
    b->nulls[b->length++] = 1;
    b->null_count++;
    return 0;
}

void cairn__cb_pop(cairn__cb *b)
{
    if (b->length == 0) return;
    b->length--;
    if (b->nulls && b->nulls[b->length]) b->null_count--;
    if (b->type == CAIRN_TYPE_STRING) b->data_len = (size_t)b->offsets[b->length];
}

int cairn__cb_value(cairn__cb *b, const cairn_value *v)
{
    if (v->is_null) return cairn__cb_null(b);
    switch (b->type) {
    case CAIRN_TYPE_BOOL: return cairn__cb_bool(b, v->v.b);
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32: return cairn__cb_i32(b, v->v.i32);
    case CAIRN_TYPE_INT64:
    case CAIRN_TYPE_TIMESTAMP: return cairn__cb_i64(b, v->v.i64);
    case CAIRN_TYPE_FLOAT32: return cairn__cb_f32(b, v->v.f32);
    case CAIRN_TYPE_FLOAT64: return cairn__cb_f64(b, v->v.f64);
    case CAIRN_TYPE_STRING: return cairn__cb_str(b, v->v.str.ptr, v->v.str.len);
    }
    return CAIRN_EINTERNAL;
}

/* ==========================================================================================
 * The chunked reading driver
 * ======================================================================================== */

size_t cairn__tr_min_chunk_bytes = (size_t)4 << 20;

int cairn__tr_threads(const cairn_read_options *opts)
{
    int t = opts ? opts->threads : 0;
    if (t == 1) return 1;
    if (t > 1) return t;
    cairn_pool *pool = cairn_pool_default();
    return pool ? cairn_pool_threads(pool) : 1;
}

void cairn__tr_init(cairn__text_reader *tr, const cairn__tr_ops *ops, void *fmt, const char *data,
                    size_t len, const char *name, const char *default_name,
                    const cairn_read_options *opts)
{
    memset(tr, 0, sizeof *tr);
    tr->ops = ops;
    tr->fmt = fmt;
    tr->data = data ? data : "";
    tr->len = data ? len : 0;
    tr->name = name ? name : default_name;
    tr->opts = opts;
    tr->collect = opts->on_bad_row != NULL;
    tr->max_rows = opts->max_rows;
    cairn__schema_init(&tr->schema);
}

size_t cairn__tr_chunk_bytes(size_t len, int nthreads)
{
    size_t lo = cairn__tr_min_chunk_bytes / 4, hi = (size_t)16 << 20;
    if (nthreads <= 1 || len < cairn__tr_min_chunk_bytes) return 0;
    size_t size = len / ((size_t)nthreads * 8);
    if (size < lo) size = lo;
    if (size > hi) size = hi;
    return size ? size : 1;
}

void cairn__tr_parallel(int nthreads, size_t count, cairn_task_fn fn, void *arg)
{
    cairn_pool *pool = NULL, *own = NULL;
    if (nthreads > 1 && count > 1) {
        pool = cairn_pool_default();
        if (pool && cairn_pool_threads(pool) != nthreads) {
            pool = NULL;
            if (cairn_pool_create(nthreads, &own) == 0) pool = own;
        }
    }
    if (pool) {
        cairn_pool_run(pool, count, fn, arg);
    } else {
        for (size_t i = 0; i < count; i++) fn(arg, i);
    }
    if (own) cairn_pool_free(own);
}

bool cairn__chunk_bad(cairn__text_reader *tr, cairn__chunk *ch, const cairn__bad_row *bad)
{
    if (cairn_grow((void **)&ch->bad, &ch->bad_cap, ch->nbad + 1, sizeof *ch->bad) != 0) {
        ch->rc = CAIRN_ENOMEM;
        return false;
    }
    ch->bad[ch->nbad++] = *bad;
    return tr->collect;
}

bool cairn__chunk_tick(cairn__text_reader *tr, cairn__chunk *ch, const char *pos)
{
    size_t at = (size_t)(pos - ch->begin);
    if (at > ch->ticked_) {
        atomic_fetch_add(&tr->bytes_done, (long long)(at - ch->ticked_));
        ch->ticked_ = at;
    }
    const cairn_read_options *o = tr->opts;
    if (o && o->progress && pthread_equal(pthread_self(), tr->caller_)) {
        if (!o->progress(o->progress_ud, "read", atomic_load(&tr->bytes_done), (int64_t)tr->len))
            atomic_store(&tr->cancel, true);
    }
    if (atomic_load(&tr->cancel)) {
        ch->rc = CAIRN_ECANCELED;
        return false;
    }
    return true;
}

void cairn__chunk_reset(cairn__text_reader *tr, cairn__chunk *ch)
{
    if (ch->cols) {
        for (size_t c = 0; c < ch->ncols; c++) cairn__cb_release(&ch->cols[c]);
        cairn_free(ch->cols);
    }
    if (tr->ops->chunk_release && ch->fmt_state) tr->ops->chunk_release(tr, ch);
    cairn_free(ch->bad);
    cairn_free(ch->widen);
    const char *b = ch->begin, *e = ch->end;
    int64_t line = ch->first_line;
    memset(ch, 0, sizeof *ch);
    ch->begin = b;
    ch->end = e;
    ch->first_line = line;
}

/* Rows before chunk i and the most it can hold (see end_line in convert.h). */
static int64_t chunk_base(const cairn__chunk *chunks, size_t i)
{
    return chunks[i].first_line - chunks[0].first_line;
}

static int64_t chunk_bound(const cairn__text_reader *tr, const cairn__chunk *chunks, size_t n,
                           size_t i)
{
    bool last = i + 1 == n;
    return (last ? tr->end_line + 1 : chunks[i + 1].first_line) - chunks[i].first_line;
}

static void finals_free(cairn__text_reader *tr)
{
    for (size_t c = 0; tr->final_ && c < tr->nfinal_; c++) cairn_free(tr->final_[c]);
    cairn_free(tr->final_);
    tr->final_ = NULL;
    tr->nfinal_ = 0;
}

/* The final buffers of a pass over several chunks: every column but BOOL (bits) gets its
 * values, or its offsets with one spare slot per chunk, at full size. */
static int finals_alloc(cairn__text_reader *tr, const cairn__chunk *chunks, size_t n)
{
    const cairn__schema *s = &tr->schema;
    if (tr->end_line <= 0 || n < 2) return 0;
    int64_t total = tr->end_line + 1 - chunks[0].first_line;
    tr->final_ = cairn_calloc(s->ncols + 1, sizeof *tr->final_);
    if (!tr->final_) return CAIRN_ENOMEM;
    tr->nfinal_ = s->ncols;
    for (size_t c = 0; c < s->ncols; c++) {
        if (s->types[c] == CAIRN_TYPE_BOOL) continue;
        size_t bytes = s->types[c] == CAIRN_TYPE_STRING ? (size_t)(total + (int64_t)n) * 8
                                                        : (size_t)total * cb_width(s->types[c]);
        tr->final_[c] = cairn_malloc(bytes ? bytes : 1);
        if (!tr->final_[c]) return CAIRN_ENOMEM;
    }
    return 0;
}

/* Creates chunk i's empty columns for the current schema. */
static int chunk_prepare(cairn__text_reader *tr, cairn__chunk *chunks, size_t n, size_t i)
{
    const cairn__schema *s = &tr->schema;
    cairn__chunk *ch = &chunks[i];
    ch->ncols = s->ncols;
    ch->cols = cairn_calloc(s->ncols + 1, sizeof *ch->cols);
    ch->widen = cairn_calloc(s->ncols + 1, sizeof *ch->widen);
    if (!ch->cols || !ch->widen) return CAIRN_ENOMEM;
    int64_t rows = 16;
    if (tr->est_row_bytes > 0) rows += (ch->end - ch->begin) / tr->est_row_bytes * 9 / 8;
    if (tr->max_rows > 0 && rows > tr->max_rows) rows = tr->max_rows;
    for (size_t c = 0; c < s->ncols; c++) {
        int rc;
        void *fin = tr->final_ ? tr->final_[c] : NULL;
        int64_t base = chunk_base(chunks, i);
        if (fin && s->types[c] == CAIRN_TYPE_STRING)
            rc = cairn__cb_init_external(&ch->cols[c], s->types[c],
                                         (int64_t *)fin + base + (int64_t)i,
                                         chunk_bound(tr, chunks, n, i));
        else if (fin)
            rc = cairn__cb_init_external(&ch->cols[c], s->types[c],
                                         (char *)fin + (size_t)base * cb_width(s->types[c]),
                                         chunk_bound(tr, chunks, n, i));
        else
            rc = cairn__cb_init(&ch->cols[c], s->types[c], rows);
        if (rc) return rc;
    }
    return 0;
}

typedef struct run_ctx {
    cairn__text_reader *tr;
    cairn__chunk *chunks;
    size_t n;
} run_ctx;

static void run_one(void *arg, size_t i)
{
    run_ctx *ctx = arg;
    cairn__chunk *ch = &ctx->chunks[i];
    if (atomic_load(&ctx->tr->cancel)) {
        ch->rc = CAIRN_ECANCELED;
        return;
    }
    int rc = chunk_prepare(ctx->tr, ctx->chunks, ctx->n, i);
    if (rc) {
        ch->rc = rc;
        return;
    }
    ctx->tr->ops->parse_chunk(ctx->tr, ch);
    if (ch->rc == 0) cairn__chunk_tick(ctx->tr, ch, ch->end);
}

static int chunks_rc(const cairn__chunk *chunks, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (chunks[i].rc == CAIRN_ENOMEM) return CAIRN_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (chunks[i].rc) return chunks[i].rc;
    return 0;
}

/* Step (1): merges the first chunk that asked for it with all later ones and re-parses it
 * here. Without a callback only a chunk before the first bad row matters. */
static int resync(cairn__text_reader *tr, cairn__chunk *chunks, size_t *n)
{
    for (size_t k = 0; k < *n; k++) {
        if (!tr->collect && chunks[k].nbad > 0 && !chunks[k].resync) return 0;
        if (!chunks[k].resync) continue;
        if (k + 1 == *n) return 0; /* already runs to the end of the input */
        for (size_t j = k + 1; j < *n; j++) cairn__chunk_reset(tr, &chunks[j]);
        cairn__chunk_reset(tr, &chunks[k]);
        chunks[k].end = chunks[*n - 1].end;
        *n = k + 1;
        run_ctx ctx = {tr, chunks, *n};
        run_one(&ctx, k);
        return chunks[k].rc;
    }
    return 0;
}

/* Step (2): joins what the chunks met into the inferred types; true when a pass is due. */
static int widen(cairn__text_reader *tr, cairn__chunk *chunks, size_t n, bool *again)
{
    *again = false;
    for (size_t i = 0; i < n; i++) *again |= chunks[i].needs_reparse;
    if (!*again) return 0;
    cairn__schema *s = &tr->schema;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < chunks[i].ncols && c < s->ncols; c++)
            if (chunks[i].widen[c]) s->types[c] = cairn__type_join(s->types[c], chunks[i].widen[c]);
    return tr->ops->reshape ? tr->ops->reshape(tr, chunks, n) : 0;
}

static void describe(cairn__text_reader *tr, const cairn__bad_row *bad, int64_t row_base,
                     cairn_error *e)
{
    cairn__bad_row b = *bad;
    b.row += row_base;
    cairn_error_clear(e);
    tr->ops->describe(tr, &b, e);
    e->row = b.row;
    e->offset = (int64_t)b.raw_off;
}

/* Step (3). */
static int report(cairn__text_reader *tr, cairn__chunk *chunks, size_t n, cairn_error *err)
{
    int64_t row_base = 0;
    const cairn_read_options *o = tr->opts;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < chunks[i].nbad; j++) {
            const cairn__bad_row *b = &chunks[i].bad[j];
            cairn_error e;
            describe(tr, b, row_base, &e);
            if (!tr->collect ||
                !o->on_bad_row(o->bad_row_ud, &e, tr->data + b->raw_off, b->raw_len)) {
                if (err) *err = e;
                return e.code ? e.code : CAIRN_EPARSE;
            }
        }
        row_base += chunks[i].rows_seen;
    }
    return 0;
}

/* Step (4): one column from the chunks' parts. The final buffers are reserved at their
 * exact size and filled directly (layout per table_internal.h: capacities in bytes), the
 * parts copied in parallel; bits (BOOL values, validity) are packed afterwards. */
typedef struct finish_ctx {
    cairn__chunk *chunks;
    size_t c;
    cairn_column *col;
    int64_t *row_base;  /* per chunk */
    size_t *data_base;  /* per chunk */
} finish_ctx;

static void copy_part(void *arg, size_t i)
{
    finish_ctx *f = arg;
    const cairn__cb *b = &f->chunks[i].cols[f->c];
    cairn_column *col = f->col;
    int64_t base = f->row_base[i];
    if (b->length == 0) return;
    if (b->type == CAIRN_TYPE_STRING) {
        int64_t d = (int64_t)f->data_base[i];
        for (int64_t j = 1; j <= b->length; j++) col->offsets[base + j] = d + b->offsets[j];
        memcpy(col->data + d, b->data, b->data_len);
    } else if (b->type != CAIRN_TYPE_BOOL) {
        memcpy((char *)col->values + (size_t)base * b->width, b->values,
               (size_t)b->length * b->width);
    }
}

/* A lone chunk's buffers become the column's (capacities in bytes, per table_internal.h). */
static void move_buffers(cairn__cb *b, cairn_column *col)
{
    if (b->type == CAIRN_TYPE_STRING) {
        cairn_free(col->offsets);
        col->offsets = b->offsets;
        col->values_cap_ = (size_t)(b->cap + 1) * sizeof *b->offsets;
        col->data = b->data;
        col->data_cap_ = b->data_cap;
        b->offsets = NULL;
        b->data = NULL;
    } else {
        col->values = b->values;
        col->values_cap_ = (size_t)b->cap * b->width;
        b->values = NULL;
    }
}

static void pack_bits(const finish_ctx *f, size_t n, bool validity)
{
    uint8_t *bits = validity ? f->col->validity : f->col->values;
    for (size_t i = 0; i < n; i++) {
        const cairn__cb *b = &f->chunks[i].cols[f->c];
        const uint8_t *src = validity ? b->nulls : b->values;
        for (int64_t j = 0; j < b->length; j++) {
            bool v = validity ? !(src && src[j]) : src[j] != 0;
            cairn__bit_put(bits, f->row_base[i] + j, v);
        }
    }
}

/* Columns whose chunks wrote into tr->final_[c]: close the gaps (rows short of a chunk's
 * bound: blank lines, rows over several lines, bad rows), in order, so that moves only go
 * down; string offsets are rebased on the way and the string bytes copied. */
static int finish_in_place(cairn__text_reader *tr, cairn__chunk *chunks, size_t n, size_t c,
                           const finish_ctx *f, size_t bytes, cairn_column *col)
{
    char *fin = tr->final_[c];
    int64_t total = tr->end_line + 1 - chunks[0].first_line, row = 0;
    if (col->type != CAIRN_TYPE_STRING) {
        size_t w = cb_width(col->type);
        for (size_t i = 0; i < n; i++) {
            const cairn__cb *b = &chunks[i].cols[c];
            int64_t from = chunk_base(chunks, i);
            if (from != row && b->length)
                memmove(fin + (size_t)row * w, fin + (size_t)from * w, (size_t)b->length * w);
            row += b->length;
        }
        col->values = fin;
        col->values_cap_ = (size_t)total * w;
    } else {
        char *data = cairn_malloc(bytes ? bytes : 1);
        if (!data) return CAIRN_ENOMEM;
        int64_t *off = (int64_t *)(void *)fin;
        for (size_t i = 0; i < n; i++) {
            const cairn__cb *b = &chunks[i].cols[c];
            int64_t from = chunk_base(chunks, i) + (int64_t)i, d = (int64_t)f->data_base[i];
            for (int64_t j = 1; j <= b->length; j++) off[row + j] = off[from + j] + d;
            if (b->data_len) memcpy(data + d, b->data, b->data_len);
            row += b->length;
        }
        cairn_free(col->offsets);
        col->offsets = off;
        col->values_cap_ = (size_t)(total + 1) * sizeof *off;
        col->data = data;
        col->data_cap_ = bytes ? bytes : 1;
    }
    tr->final_[c] = NULL; /* the column owns it now */
    return 0;
}

static int finish_column(cairn__text_reader *tr, cairn__chunk *chunks, size_t n, size_t c,
                         int nthreads, cairn_column **out)
{
    const cairn__schema *s = &tr->schema;
    int64_t rows = 0, nulls = 0;
    size_t bytes = 0;
    finish_ctx f = {chunks, c, NULL, cairn_calloc(n + 1, sizeof(int64_t)),
                    cairn_calloc(n + 1, sizeof(size_t))};
    int rc = f.row_base && f.data_base ? 0 : CAIRN_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        f.row_base[i] = rows;
        f.data_base[i] = bytes;
        rows += chunks[i].cols[c].length;
        nulls += chunks[i].cols[c].null_count;
        bytes += chunks[i].cols[c].data_len;
    }
    bool in_place = tr->final_ && tr->final_[c];
    bool move = !in_place && n == 1 && s->types[c] != CAIRN_TYPE_BOOL;
    if (rc == 0) rc = cairn_column_create(s->names[c], s->types[c], s->nullable[c], &f.col);
    if (rc == 0 && in_place) rc = finish_in_place(tr, chunks, n, c, &f, bytes, f.col);
    else if (rc == 0 && move) move_buffers(&chunks[0].cols[c], f.col);
    else if (rc == 0) rc = cairn_column_reserve(f.col, rows, bytes ? bytes : 1);
    if (rc == 0 && nulls > 0) {
        f.col->validity_cap_ = cairn__bitmap_bytes(rows);
        f.col->validity = cairn_malloc(f.col->validity_cap_);
        if (!f.col->validity) rc = CAIRN_ENOMEM;
    }
    if (rc == 0) {
        if (!move && !in_place) cairn__tr_parallel(nthreads, n, copy_part, &f);
        if (s->types[c] == CAIRN_TYPE_BOOL) pack_bits(&f, n, false);
        if (nulls > 0) pack_bits(&f, n, true);
        f.col->length = rows;
        f.col->null_count = nulls;
        *out = f.col;
    } else {
        cairn_column_free(f.col);
    }
    for (size_t i = 0; i < n; i++) cairn__cb_release(&chunks[i].cols[c]);
    cairn_free(f.row_base);
    cairn_free(f.data_base);
    return rc;
}

static int concat(cairn__text_reader *tr, cairn__chunk *chunks, size_t n, int nthreads,
                  cairn_table **out, cairn_error *err)
{
    cairn_table *t;
    int rc = cairn_table_create(&t);
    if (rc) return rc;
    for (size_t c = 0; c < tr->schema.ncols; c++) {
        cairn_column *col = NULL;
        rc = finish_column(tr, chunks, n, c, nthreads, &col);
        if (rc == 0) rc = cairn_table_adopt_column(t, col, err);
        if (rc) {
            cairn_table_free(t);
            return rc;
        }
    }
    *out = t;
    return 0;
}

static int run_passes(cairn__text_reader *tr, cairn__chunk *chunks, size_t *n, int nthreads)
{
    for (int pass = 0; pass < 8; pass++) {
        for (size_t i = 0; i < *n; i++) cairn__chunk_reset(tr, &chunks[i]);
        atomic_store(&tr->bytes_done, 0);
        finals_free(tr);
        int rc = finals_alloc(tr, chunks, *n);
        if (rc) return rc;
        run_ctx ctx = {tr, chunks, *n};
        cairn__tr_parallel(nthreads, *n, run_one, &ctx);
        rc = chunks_rc(chunks, *n);
        if (rc == 0) rc = resync(tr, chunks, n);
        if (rc) return rc;
        bool again;
        rc = widen(tr, chunks, *n, &again);
        if (rc || !again) return rc;
    }
    return CAIRN_EINTERNAL; /* the lattice is 3 deep: more passes mean a bug */
}

int cairn__tr_run(cairn__text_reader *tr, cairn__chunk *chunks, size_t nchunks, int nthreads,
                  cairn_table **out, cairn_error *err)
{
    size_t n = nchunks;
    tr->caller_ = pthread_self();
    atomic_store(&tr->cancel, false);
    int rc = run_passes(tr, chunks, &n, nthreads);
    if (rc == CAIRN_ECANCELED) {
        cairn_error_set(err, rc, "reading %s: cancelled", tr->name);
    } else if (rc == CAIRN_ENOMEM) {
        cairn_error_set(err, rc, "reading %s: out of memory", tr->name);
    } else if (rc == CAIRN_EINTERNAL) {
        cairn_error_set(err, rc, "reading %s: internal error in the chunked reader", tr->name);
    }
    const cairn_read_options *o = tr->opts;
    if (rc == 0 && o->progress && !o->progress(o->progress_ud, "read", (int64_t)tr->len, (int64_t)tr->len))
        rc = cairn_error_set(err, CAIRN_ECANCELED, "reading %s: cancelled", tr->name);
    if (rc == 0) rc = report(tr, chunks, n, err);
    if (rc == 0) {
        rc = concat(tr, chunks, n, nthreads, out, err);
        if (rc == CAIRN_ENOMEM) cairn_error_set(err, rc, "reading %s: out of memory", tr->name);
    }
    for (size_t i = 0; i < nchunks; i++) cairn__chunk_reset(tr, &chunks[i]);
    finals_free(tr);
    return rc;
}

/* ==========================================================================================
 * Atomic file sink
 * ======================================================================================== */

#define SINK_FLUSH_BYTES ((size_t)1 << 20)

int cairn__sink_open(cairn__sink *sink, const char *path, cairn_error *err)
{
    memset(sink, 0, sizeof *sink);
    cairn_buf_init(&sink->buf, 0);
    sink->fd = -1;
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    cairn_buf tmp;
    cairn_buf_init(&tmp, 0);
    sink->path = cairn_strdup(path);
    int rc = sink->path ? 0 : CAIRN_ENOMEM;
    if (rc == 0) rc = cairn_buf_append(&tmp, path, dir_len);
    if (rc == 0) rc = cairn_buf_printf(&tmp, ".%s.XXXXXX", path + dir_len);
    if (rc == 0) sink->tmp_path = cairn_buf_detach(&tmp, NULL);
    cairn_buf_release(&tmp);
    if (rc == 0 && !sink->tmp_path) rc = CAIRN_ENOMEM;
    if (rc) {
        cairn__sink_abort(sink);
        return cairn_error_set(err, rc, "writing %s: out of memory", path);
    }
    return 0;
}

static int sink_io_error(cairn__sink *sink, const char *what, cairn_error *err)
{
    int e = errno;
    cairn_error_set(err, CAIRN_EIO, "%s %s: %s", what, sink->path, strerror(e));
    cairn_error_at(err, sink->path, 0, 0);
    return CAIRN_EIO;
}

/* mkstemp creates 0600 files; the output should get the usual 0666 & ~umask. The umask is
 * read from /proc/self/status, which does not change it; only where that is unavailable is
 * it read by setting it (process-wide, so once, and remembered). */
static mode_t umask_value;
static pthread_once_t umask_once = PTHREAD_ONCE_INIT;

static void read_umask(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        unsigned v;
        if (sscanf(line, "Umask: %o", &v) == 1) {
            umask_value = (mode_t)v;
            fclose(f);
            return;
        }
    }
    if (f) fclose(f);
    umask_value = umask(0);
    umask(umask_value);
}

static mode_t process_umask(void)
{
    pthread_once(&umask_once, read_umask);
    return umask_value;
}

static int sink_flush(cairn__sink *sink, cairn_error *err)
{
    if (sink->fd < 0) {
        sink->fd = mkstemp(sink->tmp_path);
        if (sink->fd < 0) return sink_io_error(sink, "creating a temporary file for", err);
        sink->created = true;
        if (fchmod(sink->fd, 0666 & ~process_umask()) != 0) return sink_io_error(sink, "chmod", err);
    }
    const char *p = sink->buf.data;
    size_t left = sink->buf.len;
    while (left > 0) {
        ssize_t w = write(sink->fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return sink_io_error(sink, "writing", err);
        p += w;
        left -= (size_t)w;
    }
    cairn_buf_reset(&sink->buf);
    return 0;
}

int cairn__sink_maybe_flush(cairn__sink *sink, cairn_error *err)
{
    return sink->buf.len >= SINK_FLUSH_BYTES ? sink_flush(sink, err) : 0;
}

static void fsync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) {
        dir[0] = '.', dir[1] = '\0';
    } else {
        size_t n = (size_t)(slash - path);
        if (n == 0) n = 1;
        if (n >= sizeof dir) return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd); /* best effort: some file systems refuse fsync on directories */
        close(fd);
    }
}

int cairn__sink_commit(cairn__sink *sink, cairn_error *err)
{
    int rc = sink_flush(sink, err);
    if (rc) return rc;
    if (fsync(sink->fd) != 0) return sink_io_error(sink, "fsync of", err);
    int fd = sink->fd;
    sink->fd = -1;
    if (close(fd) != 0) return sink_io_error(sink, "closing", err);
    if (rename(sink->tmp_path, sink->path) != 0) return sink_io_error(sink, "renaming onto", err);
    sink->created = false;
    fsync_dir(sink->path);
    return 0;
}

void cairn__sink_abort(cairn__sink *sink)
{
    if (sink->fd >= 0) close(sink->fd);
    if (sink->created) unlink(sink->tmp_path);
    sink->fd = -1;
    sink->created = false;
    cairn_buf_release(&sink->buf);
    cairn_free(sink->path);
    cairn_free(sink->tmp_path);
    sink->path = sink->tmp_path = NULL;
}
