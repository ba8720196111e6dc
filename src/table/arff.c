/* src/table/arff.c: reader and writer for Weka's ARFF (Attribute-Relation File Format).
 *
 * A file is a header and a data section. The header (keywords in any case, '%' starts a
 * comment outside quotes, blank lines ignored):
 *   @relation NAME
 *   @attribute NAME TYPE          one per column, in column order
 *   @data
 * NAME and nominal values are bare words or quoted with ' or " (backslash escapes: \n \t
 * \r \b \f \uXXXX, any other character stands for itself). TYPE and its column:
 *   numeric, real      -> float64
 *   integer            -> int64 while every value is integral (e.g. 3, 3.0, 1e3), else
 *                         float64 (the chunked driver widens the column and parses again)
 *   string             -> string
 *   {a, b, 'c d'}      -> string; a data value outside the set is an error naming the
 *                         allowed values
 *   date [FORMAT]      -> timestamp (UTC). FORMAT is a Java SimpleDateFormat pattern
 *                         ("yyyy-MM-dd'T'HH:mm:ss" when left out); the letters yyyy, M/MM,
 *                         d/dd, H/HH, m/mm, s/ss, SSS and quoted or punctuation literals are
 *                         supported, any other letter (MMM, a, hh, z, Z, X, E...) is an error
 *                         at the @attribute line
 *   relational         -> an error (not supported)
 * Data rows are one line each (blank and '%' comment lines skipped, CRLF or LF):
 * - dense: one value per attribute, separated by commas; spaces around a value are
 *   trimmed; a bare value runs to the next ',' or '%' (a comment), a quoted one may hold
 *   anything; an unquoted '?' is missing (null);
 * - sparse: {INDEX VALUE, ...} with 0-based increasing indices; an omitted value is 0,
 *   as in Weka: numeric 0, a nominal attribute's first value, the date 1970-01-01T00:00:00;
 *   an omitted string attribute is an error (Weka's value for it depends on its string
 *   table, so the file is ambiguous).
 * Instance weights ("..., {2.5}" after the values) and attribute weights are errors.
 *
 * With an explicit schema (opts->fields), each field names an attribute: the table holds
 * those attributes in the fields' order, each value converted to the field's type (numbers
 * to any numeric type or bool 0/1; nominal and string text as CSV text would be; dates to
 * timestamp, or to date when at midnight; any value to string as the file writes it).
 *
 * Errors. A bad header fails the read with file, line, character column and attribute. A
 * bad data row is a bad row of the chunked driver (convert.h): the first fails the read,
 * or with on_bad_row each is reported (file, line, 1-based character column of the value,
 * attribute, expected vs found; raw = the line) and left out. Rows are lines, so large
 * inputs are cut at line ends and parsed in parallel like JSON Lines.
 *
 * Writer. @relation is the file's base name; columns become integer (int32, int64),
 * numeric (floats; NaN and infinities as NaN, Infinity, -Infinity), {false,true} (bool),
 * string (strings, always quoted), date "yyyy-MM-dd" (date32) or date
 * "yyyy-MM-dd'T'HH:mm:ss" (timestamps; with .SSS when one has milliseconds; one with
 * microseconds, or a year outside 0-9999, is an error rather than a silently changed value).
 * Null is '?'. The file is written atomically (cairn__sink).
 *
 * Tests: tests/unit/table/test_arff.c, tests/fuzz/fuzz_arff.c, and the scipy oracle
 * tests/oracles/test_arff_scipy.sh (scipy.io.arff.loadarff on Weka's credit-g.arff).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "table/convert.h"
#include "table/table_internal.h"

/* ------------------------------------------------------------------------------------------
 * Types
 * ---------------------------------------------------------------------------------------- */

enum arff_kind { K_NUMERIC = 1, K_INTEGER, K_STRING, K_NOMINAL, K_DATE };

/* Reasons a data row is bad (cairn__bad_row.kind). */
enum arff_bad {
    AB_SYNTAX = 1,   /* what: the reason */
    AB_COUNT,        /* a: attributes, b: values found */
    AB_WEIGHT,       /* an instance weight {w} after the values */
    AB_VALUE,        /* field: the attribute; the value does not fit its ARFF type */
    AB_CONVERT,      /* field; a: the column type; the value does not fit the field's type */
    AB_RANGE,        /* field; a: the column type */
    AB_NULL,         /* field: '?' in a non-nullable field */
    AB_UTF8,         /* field */
    AB_SPARSE_INDEX, /* a: the index, b: the previous one (-1) or the attribute count */
    AB_SPARSE_STRING /* field: a string attribute left out of a sparse row */
};

/* One piece of a compiled date format: a field (letter, count) or a literal byte. */
typedef struct date_part {
    char letter; /* 0: literal */
    char lit;
    int count;
} date_part;

typedef struct arff_attr {
    char *name;
    int kind;
    /* nominal: the values (unescaped, owned) and an index over them */
    char **values;
    size_t *lens;
    size_t nvalues, values_cap;
    int64_t *slots; /* open addressing, mask + 1 slots: value index or -1 */
    size_t mask;
    /* date */
    date_part *parts;
    size_t nparts;
    char *format;
    char expected[128]; /* what a value must be, for errors */
} arff_attr;

typedef struct arff_reader {
    cairn__text_reader tr; /* first: the driver hands it back to us */
    arff_attr *attrs;
    size_t nattrs, attrs_cap;
    size_t *attr_of_col; /* output column -> attribute */
    bool *auto_int;      /* output column: an integer attribute that may widen to float64 */
    const char *body;    /* the first byte after the @data line */
    int64_t body_line;
    size_t null_text_len;
} arff_reader;

enum tok_state { TOK_ABSENT = 0, TOK_BARE, TOK_QUOTED };

/* A value of a data row: where it is in the line and its bytes (unescaped when quoted). */
typedef struct arff_tok {
    const char *at; /* the token in the line, quotes included */
    size_t raw_len;
    const char *ptr;
    size_t len;
    size_t str_off; /* escaped: offset of the unescaped bytes in the scratch buffer */
    uint8_t state;
    bool escaped;
} arff_tok;

typedef struct arff_scratch {
    arff_tok *toks;    /* one per attribute */
    cairn_value *vals; /* one per output column */
    cairn_buf str;     /* unescaped quoted values of the current row */
} arff_scratch;

typedef struct arff_line {
    const char *start, *end; /* without the LF (and a CR before it) */
    int64_t lineno;
} arff_line;

/* ------------------------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------------------------- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && is_ws(*p))
        p++;
    return p;
}

static bool ascii_ieq(const char *s, size_t len, const char *word)
{
    if (strlen(word) != len) return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != word[i]) return false;
    }
    return true;
}

static int64_t char_column(const char *line, const char *at)
{
    int64_t col = 1;
    for (const char *p = line; p < at; p++)
        col += ((uint8_t)*p & 0xC0) != 0x80;
    return col;
}

static const char *next_line(const char *p, const char *end, arff_line *ln)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    ln->start = p;
    ln->end = nl ? nl : end;
    if (ln->end > p && ln->end[-1] == '\r') ln->end--;
    return nl ? nl + 1 : end;
}

/* Blank, or a '%' comment. */
static bool skippable(const char *p, const char *end)
{
    p = skip_ws(p, end);
    return p == end || *p == '%';
}

/* A quoted token at p (its quote): *close gets the closing quote; false when the line ends
 * first. A backslash always takes the next byte with it. */
static bool scan_quoted(const char *p, const char *end, const char **close, bool *escaped)
{
    char q = *p;
    bool esc = false;
    for (const char *s = p + 1; s < end; s++) {
        if (*s == '\\') {
            esc = true;
            if (++s == end) break;
            continue;
        }
        if (*s == q) {
            *close = s;
            *escaped = esc;
            return true;
        }
    }
    return false;
}

static int hex_digit(char h)
{
    return h >= '0' && h <= '9'   ? h - '0'
           : h >= 'a' && h <= 'f' ? h - 'a' + 10
           : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                  : -1;
}

/* \uXXXX at p (the backslash) as UTF-8 into u; its length, or 0 when it is not one. */
static size_t unicode_escape(const char *p, const char *end, char *u, size_t *ulen)
{
    if (end - p < 6) return 0;
    unsigned cp = 0;
    for (int i = 2; i < 6; i++) {
        int d = hex_digit(p[i]);
        if (d < 0) return 0;
        cp = cp * 16 + (unsigned)d;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0; /* a lone surrogate is no character */
    if (cp < 0x80) {
        u[0] = (char)cp;
        *ulen = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        *ulen = 2;
    } else {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        *ulen = 3;
    }
    return 6;
}

/* Appends the contents of a quoted token (between its quotes) with escapes decoded. */
static int unescape(const char *p, size_t len, cairn_buf *out)
{
    const char *end = p + len;
    int rc = 0;
    while (rc == 0 && p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t n = bs ? (size_t)(bs - p) : (size_t)(end - p);
        rc = cairn_buf_append(out, p, n);
        p += n;
        if (!bs || rc) break;
        char u[4];
        size_t ulen = 0, used = p[1] == 'u' ? unicode_escape(p, end, u, &ulen) : 0;
        if (used) {
            rc = cairn_buf_append(out, u, ulen);
            p += used;
            continue;
        }
        static const char from[] = "ntrbf", to[] = "\n\t\r\b\f";
        const char *at = p[1] ? strchr(from, p[1]) : NULL;
        rc = cairn_buf_putc(out, at ? to[at - from] : p[1]);
        p += 2;
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Dates
 * ---------------------------------------------------------------------------------------- */

#define DEFAULT_DATE_FORMAT "yyyy-MM-dd'T'HH:mm:ss"

/* Compiles a SimpleDateFormat pattern; on an unsupported one, *bad_at is its offset and
 * *why the reason. */
static int date_compile(const char *f, size_t len, date_part **out, size_t *nout, size_t *bad_at,
                        const char **why)
{
    date_part *parts = cairn_calloc(len + 1, sizeof *parts);
    if (!parts) return CAIRN_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        char c = f[i];
        if (c == '\'') {
            if (i + 1 < len && f[i + 1] == '\'') { /* '' is a quote */
                parts[n++] = (date_part){0, '\'', 0};
                i += 2;
                continue;
            }
            size_t j = i + 1;
            for (; j < len; j++) {
                if (f[j] != '\'') {
                    parts[n++] = (date_part){0, f[j], 0};
                } else if (j + 1 < len && f[j + 1] == '\'') {
                    parts[n++] = (date_part){0, '\'', 0};
                    j++;
                } else {
                    break;
                }
            }
            if (j >= len) {
                *bad_at = i;
                *why = "unterminated quoted text";
                cairn_free(parts);
                return CAIRN_EPARSE;
            }
            i = j + 1;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            parts[n++] = (date_part){0, c, 0};
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && f[j] == c)
            j++;
        int count = (int)(j - i);
        bool ok = (c == 'y' && count == 4) || (c == 'S' && count == 3) ||
                  (strchr("MdHms", c) && count <= 2);
        if (!ok) {
            *bad_at = i;
            *why = c == 'y'   ? "only four-digit years (yyyy) are supported"
                   : c == 'M' ? "month names (MMM) are not supported"
                   : c == 'S' ? "milliseconds must be written SSS"
                              : "this pattern letter is not supported";
            cairn_free(parts);
            return CAIRN_EUNSUPPORTED;
        }
        parts[n++] = (date_part){c, 0, count};
        i = j;
    }
    *out = parts;
    *nout = n;
    return 0;
}

/* Reads digits for one field: exactly `count` when the next part is a field too (as in
 * yyyyMMdd), else 1 up to the field's width (yyyy and SSS: exactly 4 and 3). */
static bool date_digits(const char **pp, const char *end, const date_part *part, bool adjacent,
                        int *out)
{
    int max = part->letter == 'y' ? 4 : part->letter == 'S' ? 3 : 2;
    int min = part->letter == 'y' || part->letter == 'S' ? max : 1;
    if (adjacent) min = max = part->count > max ? max : (part->count < min ? min : part->count);
    const char *p = *pp;
    int v = 0, n = 0;
    while (p < end && n < max && *p >= '0' && *p <= '9') {
        v = v * 10 + (*p - '0');
        p++;
        n++;
    }
    if (n < min) return false;
    *pp = p;
    *out = v;
    return true;
}

static bool date_parse(const arff_attr *a, const char *s, size_t len, int64_t *out_us)
{
    int y = 1970, mo = 1, d = 1, h = 0, mi = 0, se = 0, ms = 0;
    const char *p = s, *end = s + len;
    for (size_t i = 0; i < a->nparts; i++) {
        const date_part *part = &a->parts[i];
        if (!part->letter) {
            if (p == end || *p != part->lit) return false;
            p++;
            continue;
        }
        bool adjacent = i + 1 < a->nparts && a->parts[i + 1].letter;
        int v;
        if (!date_digits(&p, end, part, adjacent, &v)) return false;
        switch (part->letter) {
        case 'y':
            y = v;
            break;
        case 'M':
            mo = v;
            break;
        case 'd':
            d = v;
            break;
        case 'H':
            h = v;
            break;
        case 'm':
            mi = v;
            break;
        case 's':
            se = v;
            break;
        default:
            ms = v;
            break;
        }
    }
    if (p != end || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return false;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > (mo == 2 && leap ? 29 : mdays[mo - 1])) return false;
    int64_t days = cairn_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out_us = days * CAIRN_US_PER_DAY + ((int64_t)h * 3600 + mi * 60 + se) * CAIRN_US_PER_SECOND +
              (int64_t)ms * 1000;
    return true;
}

/* ------------------------------------------------------------------------------------------
 * The header
 * ---------------------------------------------------------------------------------------- */

/* A cursor over one header line. */
typedef struct hcur {
    const char *p, *end, *line;
    int64_t lineno;
} hcur;

static bool hcur_done(hcur *c)
{
    c->p = skip_ws(c->p, c->end);
    return c->p >= c->end || *c->p == '%';
}

static int header_error(arff_reader *r, const hcur *c, const char *at, int code, cairn_error *err,
                        const char *fmt, ...) CAIRN_PRINTF(6, 7);

static int header_error(arff_reader *r, const hcur *c, const char *at, int code, cairn_error *err,
                        const char *fmt, ...)
{
    if (!err) return code;
    cairn_error_clear(err);
    va_list ap;
    va_start(ap, fmt);
    cairn_error_setv(err, code, fmt, ap);
    va_end(ap);
    cairn_error_at(err, r->tr.name, c->lineno, at ? char_column(c->line, at) : 0);
    if (at && at < c->end) {
        const char *e = at + 1; /* the token: up to white space or punctuation */
        while (e < c->end && !is_ws(*e) && !strchr("'\",{}%", *e))
            e++;
        cairn_error_expect(err, NULL, at, (size_t)(e - at));
    } else if (at) {
        snprintf(err->found, sizeof err->found, "end of line");
    }
    return code;
}

/* A name or value: quoted (unescaped into out), or bare up to white space or one of stops.
 * *quoted tells which; an empty bare token is left to the caller. */
static int header_token(arff_reader *r, hcur *c, const char *stops, cairn_buf *out, bool *quoted,
                        cairn_error *err)
{
    cairn_buf_reset(out);
    const char *at = c->p;
    *quoted = at < c->end && (*at == '\'' || *at == '"');
    if (*quoted) {
        const char *close;
        bool esc;
        if (!scan_quoted(at, c->end, &close, &esc))
            return header_error(r, c, at, CAIRN_EPARSE, err, "unterminated quoted text");
        int rc = esc ? unescape(at + 1, (size_t)(close - at - 1), out)
                     : cairn_buf_append(out, at + 1, (size_t)(close - at - 1));
        c->p = close + 1;
        return rc;
    }
    const char *p = at;
    while (p < c->end && !is_ws(*p) && !strchr(stops, *p))
        p++;
    c->p = p;
    return cairn_buf_append(out, at, (size_t)(p - at));
}

/* Names and nominal values become C strings: valid UTF-8 without NUL. */
static int check_text(arff_reader *r, const hcur *c, const char *at, const cairn_buf *b,
                      const char *what, cairn_error *err)
{
    if (memchr(b->data, '\0', b->len))
        return header_error(r, c, at, CAIRN_EPARSE, err, "%s holds a NUL character", what);
    if (!cairn__utf8_valid(b->data, b->len, NULL))
        return header_error(r, c, at, CAIRN_EPARSE, err, "%s is not valid UTF-8", what);
    return 0;
}

static int64_t nominal_find(const arff_attr *a, const char *s, size_t len)
{
    if (!a->slots) {
        for (size_t i = 0; i < a->nvalues; i++)
            if (a->lens[i] == len && memcmp(a->values[i], s, len) == 0) return (int64_t)i;
        return -1;
    }
    for (size_t h = cairn_hash64(s, len, 0) & a->mask;; h = (h + 1) & a->mask) {
        int64_t i = a->slots[h];
        if (i < 0 || (a->lens[i] == len && memcmp(a->values[i], s, len) == 0)) return i;
    }
}

/* Indexes the values of a long nominal list (short ones are searched in order). */
static int nominal_index(arff_attr *a)
{
    if (a->nvalues <= 8) return 0;
    size_t cap = 16;
    while (cap < a->nvalues * 2)
        cap *= 2;
    a->slots = cairn_malloc(cap * sizeof *a->slots);
    if (!a->slots) return CAIRN_ENOMEM;
    a->mask = cap - 1;
    for (size_t i = 0; i < cap; i++)
        a->slots[i] = -1;
    for (size_t i = 0; i < a->nvalues; i++) {
        size_t h = cairn_hash64(a->values[i], a->lens[i], 0) & a->mask;
        while (a->slots[h] >= 0)
            h = (h + 1) & a->mask;
        a->slots[h] = (int64_t)i;
    }
    return 0;
}

/* "one of {a, b, 'c d'}", cut short with "..." when long. */
static void nominal_expected(arff_attr *a)
{
    size_t cap = sizeof a->expected, n = (size_t)snprintf(a->expected, cap, "one of {");
    for (size_t i = 0; i < a->nvalues && n < cap; i++) {
        bool q = a->lens[i] == 0 || strpbrk(a->values[i], " ,{}'\"%") != NULL;
        n += (size_t)snprintf(a->expected + n, cap - n, "%s%s%s%s", i ? ", " : "", q ? "'" : "",
                              a->values[i], q ? "'" : "");
    }
    if (n + 1 < cap) {
        snprintf(a->expected + n, cap - n, "}");
    } else { /* cut at a character boundary */
        size_t at = cap - 6;
        while (at > 0 && ((uint8_t)a->expected[at] & 0xC0) == 0x80)
            at--;
        snprintf(a->expected + at, cap - at, "...}");
    }
}

static int parse_nominal(arff_reader *r, hcur *c, arff_attr *a, cairn_buf *tok, cairn_error *err)
{
    const char *open = c->p++;
    for (;;) {
        bool quoted = false;
        if (hcur_done(c))
            return header_error(r, c, open, CAIRN_EPARSE, err,
                                "the list of values of attribute '%s' has no closing '}'", a->name);
        if (*c->p == '}' && a->nvalues == 0)
            return header_error(r, c, c->p, CAIRN_EPARSE, err,
                                "nominal attribute '%s' has no values", a->name);
        const char *at = c->p;
        int rc;
        if (*at == '\'' || *at == '"') {
            if ((rc = header_token(r, c, "", tok, &quoted, err))) return rc;
        } else { /* a bare value runs to the next ',' or '}': "a b" is one value */
            const char *e = at;
            while (e < c->end && !strchr(",}%", *e))
                e++;
            c->p = e;
            while (e > at && is_ws(e[-1]))
                e--;
            cairn_buf_reset(tok);
            if ((rc = cairn_buf_append(tok, at, (size_t)(e - at)))) return rc;
        }
        if ((rc = check_text(r, c, at, tok, "a nominal value", err))) return rc;
        if (nominal_find(a, tok->data, tok->len) >= 0)
            return header_error(r, c, at, CAIRN_EPARSE, err,
                                "attribute '%s' lists the value '%s' twice", a->name, tok->data);
        if (cairn_grow((void **)&a->values, &a->values_cap, a->nvalues + 1, sizeof *a->values))
            return CAIRN_ENOMEM;
        size_t *lens = cairn_realloc(a->lens, a->values_cap * sizeof *lens);
        if (!lens) return CAIRN_ENOMEM;
        a->lens = lens;
        if (!(a->values[a->nvalues] = cairn_strndup(tok->data, tok->len))) return CAIRN_ENOMEM;
        a->lens[a->nvalues++] = tok->len;
        c->p = skip_ws(c->p, c->end);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            break;
        }
        if (c->p < c->end && *c->p != '%')
            return header_error(r, c, c->p, CAIRN_EPARSE, err,
                                "expected ',' or '}' in the list of attribute '%s'", a->name);
    }
    a->kind = K_NOMINAL;
    nominal_expected(a);
    return nominal_index(a);
}

static int parse_date_type(arff_reader *r, hcur *c, arff_attr *a, cairn_buf *tok, cairn_error *err)
{
    const char *at = NULL;
    bool quoted = false;
    int rc = 0;
    cairn_buf_reset(tok);
    if (hcur_done(c)) {
        rc = cairn_buf_puts(tok, DEFAULT_DATE_FORMAT);
    } else if (*c->p == '\'' || *c->p == '"') {
        at = c->p;
        rc = header_token(r, c, "", tok, &quoted, err);
    } else { /* a bare format runs to the end of the line: yyyy-MM-dd'T'HH:mm:ss */
        at = c->p;
        const char *e = c->p;
        while (e < c->end && *e != '%')
            e++;
        c->p = e;
        while (e > at && is_ws(e[-1]))
            e--;
        rc = cairn_buf_append(tok, at, (size_t)(e - at));
    }
    if (rc) return rc;
    if ((rc = check_text(r, c, at, tok, "the date format", err))) return rc;
    size_t bad_at = 0;
    const char *why = NULL;
    rc = date_compile(tok->data, tok->len, &a->parts, &a->nparts, &bad_at, &why);
    if (rc == CAIRN_ENOMEM) return rc;
    if (rc) {
        const char *where = at ? at + (quoted ? 1 : 0) + bad_at : NULL;
        if (quoted && memchr(at + 1, '\\', bad_at)) where = at; /* offsets moved: point at it */
        return header_error(r, c, where, CAIRN_EUNSUPPORTED, err,
                            "date format '%s' of attribute '%s': %s at '%c' (supported: yyyy, "
                            "MM, dd, HH, mm, ss, SSS and quoted text)",
                            tok->data, a->name, why, tok->data[bad_at]);
    }
    if (!(a->format = cairn_strndup(tok->data, tok->len))) return CAIRN_ENOMEM;
    a->kind = K_DATE;
    snprintf(a->expected, sizeof a->expected, "a date as %s", a->format);
    return 0;
}

static int parse_type(arff_reader *r, hcur *c, arff_attr *a, cairn_buf *tok, cairn_error *err)
{
    if (hcur_done(c))
        return header_error(r, c, c->p, CAIRN_EPARSE, err,
                            "attribute '%s' has no type (expected numeric, integer, real, "
                            "string, date or {values})",
                            a->name);
    if (*c->p == '{') return parse_nominal(r, c, a, tok, err);
    const char *at = c->p, *p = at;
    while (p < c->end && !is_ws(*p) && !strchr("{}%,'\"", *p))
        p++;
    size_t n = (size_t)(p - at);
    c->p = p;
    if (ascii_ieq(at, n, "numeric") || ascii_ieq(at, n, "real")) {
        a->kind = K_NUMERIC;
        snprintf(a->expected, sizeof a->expected, "a number");
    } else if (ascii_ieq(at, n, "integer")) {
        a->kind = K_INTEGER;
        snprintf(a->expected, sizeof a->expected, "a number");
    } else if (ascii_ieq(at, n, "string")) {
        a->kind = K_STRING;
        snprintf(a->expected, sizeof a->expected, "UTF-8 text");
    } else if (ascii_ieq(at, n, "date")) {
        return parse_date_type(r, c, a, tok, err);
    } else if (ascii_ieq(at, n, "relational")) {
        return header_error(r, c, at, CAIRN_EUNSUPPORTED, err,
                            "relational attributes are not supported (attribute '%s')", a->name);
    } else {
        return header_error(r, c, at, CAIRN_EPARSE, err,
                            "unknown type for attribute '%s' (expected numeric, integer, real, "
                            "string, date or {values})",
                            a->name);
    }
    return 0;
}

static int parse_attribute(arff_reader *r, hcur *c, cairn_buf *tok, cairn_error *err)
{
    bool quoted;
    if (hcur_done(c))
        return header_error(r, c, c->p, CAIRN_EPARSE, err, "@attribute without a name");
    const char *at = c->p;
    int rc = header_token(r, c, "{}%,", tok, &quoted, err);
    if (rc) return rc;
    if (tok->len == 0) return header_error(r, c, at, CAIRN_EPARSE, err, "attribute name is empty");
    if ((rc = check_text(r, c, at, tok, "the attribute name", err))) return rc;
    for (size_t i = 0; i < r->nattrs; i++)
        if (strcmp(r->attrs[i].name, tok->data) == 0)
            return header_error(r, c, at, CAIRN_EPARSE, err, "attribute '%s' is declared twice",
                                tok->data);
    if (cairn_grow((void **)&r->attrs, &r->attrs_cap, r->nattrs + 1, sizeof *r->attrs))
        return CAIRN_ENOMEM;
    arff_attr *a = &r->attrs[r->nattrs++];
    memset(a, 0, sizeof *a);
    if (!(a->name = cairn_strndup(tok->data, tok->len))) return CAIRN_ENOMEM;
    if ((rc = parse_type(r, c, a, tok, err))) {
        if (err && rc != CAIRN_ENOMEM) cairn_error_field(err, a->name);
        return rc;
    }
    if (!hcur_done(c)) {
        header_error(r, c, c->p, CAIRN_EUNSUPPORTED, err,
                     "unexpected text after the type of attribute '%s'%s", a->name,
                     *c->p == '{' ? " (attribute weights are not supported)" : "");
        cairn_error_field(err, a->name);
        return CAIRN_EUNSUPPORTED;
    }
    return 0;
}

/* Reads the header up to @data: r->attrs, r->body, r->body_line. */
static int parse_header(arff_reader *r, cairn_error *err)
{
    const char *p = r->tr.data, *end = p + r->tr.len;
    if (r->tr.len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    cairn_buf tok;
    cairn_buf_init(&tok, 0);
    bool relation = false;
    int64_t lineno = 0;
    int rc = 0;
    hcur c = {p, p, p, 0};
    while (rc == 0 && p < end) {
        arff_line ln;
        p = next_line(p, end, &ln);
        c = (hcur){ln.start, ln.end, ln.start, ++lineno};
        if (hcur_done(&c)) continue;
        const char *at = c.p, *kw = c.p + 1, *e = kw;
        while (e < c.end && ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z')))
            e++;
        size_t n = (size_t)(e - kw);
        c.p = e;
        bool quoted;
        if (*at != '@' || n == 0) {
            rc = header_error(r, &c, at, CAIRN_EPARSE, err,
                              relation ? "expected @attribute or @data"
                                       : "expected @relation (is this an ARFF file?)");
        } else if (ascii_ieq(kw, n, "relation")) {
            if (relation)
                rc = header_error(r, &c, at, CAIRN_EPARSE, err, "a second @relation");
            else if (hcur_done(&c))
                rc = header_error(r, &c, c.p, CAIRN_EPARSE, err, "@relation without a name");
            else
                rc = header_token(r, &c, "%", &tok, &quoted, err); /* the name is not kept */
            relation = true;
        } else if (!relation) {
            rc = header_error(r, &c, at, CAIRN_EPARSE, err, "expected @relation before '@%.*s'",
                              (int)n, kw);
        } else if (ascii_ieq(kw, n, "attribute")) {
            rc = parse_attribute(r, &c, &tok, err);
        } else if (ascii_ieq(kw, n, "data")) {
            if (!hcur_done(&c))
                rc = header_error(r, &c, c.p, CAIRN_EPARSE, err, "unexpected text after @data");
            else if (r->nattrs == 0)
                rc = header_error(r, &c, at, CAIRN_EPARSE, err, "no @attribute before @data");
            else {
                r->body = p;
                r->body_line = lineno + 1;
                cairn_buf_release(&tok);
                return 0;
            }
        } else {
            rc = header_error(r, &c, at, CAIRN_EPARSE, err,
                              "unknown keyword '@%.*s' (expected @attribute or @data)", (int)n, kw);
        }
    }
    cairn_buf_release(&tok);
    if (rc) return rc;
    c.lineno = lineno;
    return header_error(r, &c, NULL, CAIRN_EPARSE, err,
                        relation ? "no @data section" : "no @relation: not an ARFF file");
}

/* ------------------------------------------------------------------------------------------
 * Data rows -> values
 * ---------------------------------------------------------------------------------------- */

enum step { STEP_OK = 0, STEP_BAD, STEP_NOMEM };

static void bad_at(arff_reader *r, cairn__chunk *ch, const arff_line *ln, const char *at, int kind,
                   int code, int64_t field, const char *tok, size_t tok_len)
{
    cairn__bad_row b;
    memset(&b, 0, sizeof b);
    b.line = ln->lineno;
    b.column = at ? char_column(ln->start, at) : 0;
    b.row = ch->rows_seen;
    b.raw_off = (size_t)(ln->start - r->tr.data);
    b.raw_len = (size_t)(ln->end - ln->start);
    b.kind = kind;
    b.code = code;
    b.field = field;
    b.tok_off = tok ? (size_t)(tok - r->tr.data) : 0;
    b.tok_len = tok ? tok_len : 0;
    cairn__chunk_bad(&r->tr, ch, &b);
}

static int bad_syntax(arff_reader *r, cairn__chunk *ch, const arff_line *ln, const char *at,
                      const char *what)
{
    bad_at(r, ch, ln, at, AB_SYNTAX, CAIRN_EPARSE, -1, at, at < ln->end ? 1 : 0);
    if (ch->rc == 0) ch->bad[ch->nbad - 1].what = what;
    return STEP_BAD;
}

/* One value at *pp: quoted, or bare up to one of stops (trailing spaces trimmed). */
static int scan_value(arff_reader *r, cairn__chunk *ch, arff_scratch *s, const arff_line *ln,
                      const char **pp, const char *stops, arff_tok *t)
{
    const char *p = *pp, *end = ln->end;
    t->at = p;
    if (*p == '\'' || *p == '"') {
        const char *close;
        bool esc;
        if (!scan_quoted(p, end, &close, &esc))
            return bad_syntax(r, ch, ln, p, "unterminated quoted value");
        t->state = TOK_QUOTED;
        t->ptr = p + 1;
        t->len = (size_t)(close - p - 1);
        t->escaped = esc;
        t->raw_len = (size_t)(close + 1 - p);
        if (esc) {
            t->str_off = s->str.len;
            if (unescape(t->ptr, t->len, &s->str)) return STEP_NOMEM;
            t->len = s->str.len - t->str_off;
        }
        *pp = close + 1;
        return STEP_OK;
    }
    const char *q = p;
    while (q < end && !strchr(stops, *q))
        q++;
    const char *e = q;
    while (e > p && is_ws(e[-1]))
        e--;
    t->state = TOK_BARE;
    t->ptr = p;
    t->len = t->raw_len = (size_t)(e - p);
    t->escaped = false;
    *pp = q;
    return STEP_OK;
}

static int tokenize_dense(arff_reader *r, cairn__chunk *ch, arff_scratch *s, const arff_line *ln)
{
    const char *p = ln->start, *end = ln->end;
    size_t n = 0, natt = r->nattrs;
    for (;;) {
        p = skip_ws(p, end);
        if (p >= end || *p == ',' || *p == '%')
            return bad_syntax(r, ch, ln, p, n ? "expected a value after ','" : "expected a value");
        if (n == natt && *p == '{') {
            bad_at(r, ch, ln, p, AB_WEIGHT, CAIRN_EUNSUPPORTED, -1, p, (size_t)(end - p));
            return STEP_BAD;
        }
        arff_tok spare, *t = n < natt ? &s->toks[n] : &spare;
        int st = scan_value(r, ch, s, ln, &p, ",%", t);
        if (st != STEP_OK) return st;
        n++;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p != '%')
            return bad_syntax(r, ch, ln, p, "expected ',' after a quoted value");
        break;
    }
    if (n == natt) return STEP_OK;
    bad_at(r, ch, ln, ln->start, AB_COUNT, CAIRN_EPARSE, -1, NULL, 0);
    if (ch->rc == 0) {
        ch->bad[ch->nbad - 1].a = (int64_t)natt;
        ch->bad[ch->nbad - 1].b = (int64_t)n;
    }
    return STEP_BAD;
}

static int sparse_index(arff_reader *r, cairn__chunk *ch, const arff_line *ln, const char **pp,
                        int64_t last, int64_t *out)
{
    const char *p = *pp, *end = ln->end, *at = p;
    int64_t idx = 0;
    while (p < end && *p >= '0' && *p <= '9' && idx <= (int64_t)r->nattrs)
        idx = idx * 10 + (*p++ - '0');
    while (p < end && *p >= '0' && *p <= '9')
        p++; /* past any count: out of range below */
    if (p == at) return bad_syntax(r, ch, ln, at, "expected an attribute index in a sparse row");
    if (p < end && !is_ws(*p))
        return bad_syntax(r, ch, ln, p, "expected a space after the index in a sparse row");
    if (idx >= (int64_t)r->nattrs || idx <= last) {
        bad_at(r, ch, ln, at, AB_SPARSE_INDEX, CAIRN_EPARSE, -1, at, (size_t)(p - at));
        if (ch->rc == 0) {
            ch->bad[ch->nbad - 1].a = idx >= (int64_t)r->nattrs ? -1 : idx;
            ch->bad[ch->nbad - 1].b = idx >= (int64_t)r->nattrs ? (int64_t)r->nattrs : last;
        }
        return STEP_BAD;
    }
    *pp = p;
    *out = idx;
    return STEP_OK;
}

static int tokenize_sparse(arff_reader *r, cairn__chunk *ch, arff_scratch *s, const arff_line *ln,
                           const char *open)
{
    const char *p = skip_ws(open + 1, ln->end), *end = ln->end;
    for (size_t i = 0; i < r->nattrs; i++)
        s->toks[i] = (arff_tok){.at = open, .state = TOK_ABSENT};
    int64_t last = -1;
    if (p < end && *p == '}') {
        p++;
    } else {
        for (;;) {
            int64_t idx = 0; /* set by sparse_index */
            int st = sparse_index(r, ch, ln, &p, last, &idx);
            if (st != STEP_OK) return st;
            p = skip_ws(p, end);
            if (p >= end || *p == ',' || *p == '}' || *p == '%')
                return bad_syntax(r, ch, ln, p, "expected a value after the index");
            if ((st = scan_value(r, ch, s, ln, &p, ",}%", &s->toks[idx])) != STEP_OK) return st;
            last = idx;
            p = skip_ws(p, end);
            if (p < end && *p == ',') {
                p = skip_ws(p + 1, end);
                continue;
            }
            if (p < end && *p == '}') {
                p++;
                break;
            }
            return bad_syntax(r, ch, ln, p, "expected ',' or '}' in a sparse row");
        }
    }
    p = skip_ws(p, end);
    if (p < end && *p == ',') {
        const char *w = skip_ws(p + 1, end);
        if (w < end && *w == '{') {
            bad_at(r, ch, ln, w, AB_WEIGHT, CAIRN_EUNSUPPORTED, -1, w, (size_t)(end - w));
            return STEP_BAD;
        }
    }
    if (p < end && *p != '%') return bad_syntax(r, ch, ln, p, "unexpected text after a sparse row");
    return STEP_OK;
}

static bool is_missing(const arff_reader *r, const arff_tok *t)
{
    if (t->state != TOK_BARE) return false;
    if (t->len == 1 && t->ptr[0] == '?') return true;
    const char *nt = r->tr.opts->null_text;
    return nt && r->null_text_len == t->len && memcmp(nt, t->ptr, t->len) == 0;
}

/* A number's value; is_int when it is integral and exact as an int64. */
typedef struct arff_num {
    double f;
    int64_t i;
    bool is_int;
} arff_num;

static int parse_number(const char *s, size_t len, bool want_int, arff_num *out)
{
    int rc = cairn__parse_float64(s, len, &out->f);
    if (rc) return rc;
    out->is_int = false;
    if (!want_int) return 0;
    if (cairn__parse_int64(s, len, &out->i) == 0) {
        out->is_int = true;
    } else if (isfinite(out->f) && out->f == floor(out->f) && fabs(out->f) <= 9007199254740992.0) {
        out->i = (int64_t)out->f;
        out->is_int = true;
    }
    return 0;
}

/* A number to the column's type. */
static int number_to(const arff_num *num, const arff_tok *t, cairn_type type, cairn_value *v)
{
    switch (type) {
    case CAIRN_TYPE_FLOAT64:
        v->v.f64 = num->f;
        return 0;
    case CAIRN_TYPE_FLOAT32:
        if (t && cairn__parse_float32(t->ptr, t->len, &v->v.f32) == 0) return 0;
        v->v.f32 = (float)num->f;
        return isfinite(num->f) && !isfinite(v->v.f32) ? AB_RANGE : 0;
    case CAIRN_TYPE_INT64:
        if (!num->is_int) return AB_CONVERT;
        v->v.i64 = num->i;
        return 0;
    case CAIRN_TYPE_INT32:
        if (!num->is_int) return AB_CONVERT;
        if (num->i < INT32_MIN || num->i > INT32_MAX) return AB_RANGE;
        v->v.i32 = (int32_t)num->i;
        return 0;
    case CAIRN_TYPE_BOOL:
        if (!num->is_int || (num->i != 0 && num->i != 1)) return AB_CONVERT;
        v->v.b = num->i == 1;
        return 0;
    default:
        return AB_CONVERT;
    }
}

/* A date (microseconds) to the column's type. */
static int time_to(int64_t us, cairn_type type, cairn_value *v)
{
    if (type == CAIRN_TYPE_TIMESTAMP) {
        v->v.i64 = us;
        return 0;
    }
    if (type != CAIRN_TYPE_DATE32 || us % CAIRN_US_PER_DAY != 0) return AB_CONVERT;
    int64_t days = us / CAIRN_US_PER_DAY;
    if (days < INT32_MIN || days > INT32_MAX) return AB_RANGE;
    v->v.i32 = (int32_t)days;
    return 0;
}

/* The value a sparse row leaves out: 0 in Weka's terms. */
static int absent_value(const arff_attr *a, cairn_type type, cairn_value *v)
{
    static const char *const zero_text[] = {
        [K_NUMERIC] = "0", [K_INTEGER] = "0", [K_DATE] = "1970-01-01T00:00:00"};
    if (a->kind == K_STRING) return AB_SPARSE_STRING;
    if (type == CAIRN_TYPE_STRING) {
        v->v.str.ptr = a->kind == K_NOMINAL ? a->values[0] : zero_text[a->kind];
        v->v.str.len = a->kind == K_NOMINAL ? a->lens[0] : strlen(zero_text[a->kind]);
        return 0;
    }
    if (a->kind == K_NOMINAL) {
        int rc = cairn__text_convert(a->values[0], a->lens[0], type, v);
        return rc == CAIRN_ERANGE ? AB_RANGE : rc ? AB_CONVERT : 0;
    }
    if (a->kind == K_DATE) return time_to(0, type, v);
    arff_num zero = {0.0, 0, true};
    return number_to(&zero, NULL, type, v);
}

/* Converts attribute a's token to the column's type: 0, or an AB_* kind (AB_CONVERT on an
 * integer column that may widen means "widen"). */
static int convert(const arff_attr *a, const arff_tok *t, cairn_type type, cairn_value *v)
{
    v->type = type;
    v->is_null = false;
    if (t->state == TOK_ABSENT) return absent_value(a, type, v);
    arff_num num;
    int64_t us = 0;
    if (a->kind == K_NOMINAL && nominal_find(a, t->ptr, t->len) < 0) return AB_VALUE;
    if (a->kind == K_DATE && !date_parse(a, t->ptr, t->len, &us)) return AB_VALUE;
    if (a->kind == K_NUMERIC || a->kind == K_INTEGER) {
        bool want_int = type != CAIRN_TYPE_FLOAT64 && type != CAIRN_TYPE_FLOAT32;
        int rc = parse_number(t->ptr, t->len, want_int && type != CAIRN_TYPE_STRING, &num);
        if (rc) return rc == CAIRN_ERANGE ? AB_RANGE : AB_VALUE;
    }
    if (type == CAIRN_TYPE_STRING) { /* the text as the file has it */
        v->v.str.ptr = t->ptr;
        v->v.str.len = t->len;
        return cairn__utf8_valid(t->ptr, t->len, NULL) ? 0 : AB_UTF8;
    }
    if (a->kind == K_NUMERIC || a->kind == K_INTEGER) return number_to(&num, t, type, v);
    if (a->kind == K_DATE) return time_to(us, type, v);
    int rc = cairn__text_convert(t->ptr, t->len, type, v);
    return rc == CAIRN_ERANGE ? AB_RANGE : rc ? AB_CONVERT : 0;
}

/* Converts every output column's value into s->vals; a value that only fits after widening
 * marks the chunk for another pass. */
static int stage_row(arff_reader *r, cairn__chunk *ch, arff_scratch *s, const arff_line *ln)
{
    const cairn__schema *sc = &r->tr.schema;
    for (size_t c = 0; c < ch->ncols; c++) {
        size_t ai = r->attr_of_col[c];
        const arff_attr *a = &r->attrs[ai];
        arff_tok *t = &s->toks[ai];
        if (t->escaped) t->ptr = s->str.data + t->str_off; /* the buffer no longer moves */
        cairn_value *v = &s->vals[c];
        if (t->state != TOK_ABSENT && is_missing(r, t)) {
            v->type = sc->types[c];
            v->is_null = true;
            if (sc->nullable[c]) continue;
            bad_at(r, ch, ln, t->at, AB_NULL, CAIRN_ETYPE, (int64_t)ai, t->at, t->raw_len);
            if (ch->rc == 0) ch->bad[ch->nbad - 1].a = sc->types[c];
            return STEP_BAD;
        }
        int kind = convert(a, t, sc->types[c], v);
        if (kind == 0) continue;
        if (kind == AB_CONVERT && r->auto_int[c] && sc->types[c] == CAIRN_TYPE_INT64) {
            ch->widen[c] = CAIRN_TYPE_FLOAT64;
            ch->needs_reparse = true;
            continue;
        }
        int code = kind == AB_RANGE     ? CAIRN_ERANGE
                   : kind == AB_CONVERT ? CAIRN_ETYPE
                                        : CAIRN_EPARSE;
        const char *tok = t->state == TOK_ABSENT ? NULL : t->at;
        bad_at(r, ch, ln, t->at, kind, code, (int64_t)ai, tok, t->raw_len);
        if (ch->rc == 0) ch->bad[ch->nbad - 1].a = sc->types[c];
        return STEP_BAD;
    }
    return STEP_OK;
}

/* Returns false when the chunk must stop. */
static bool arff_row(arff_reader *r, cairn__chunk *ch, arff_scratch *s, const arff_line *ln)
{
    const char *first = skip_ws(ln->start, ln->end);
    cairn_buf_reset(&s->str);
    int st = *first == '{' ? tokenize_sparse(r, ch, s, ln, first) : tokenize_dense(r, ch, s, ln);
    if (st == STEP_OK) st = stage_row(r, ch, s, ln);
    if (st == STEP_NOMEM) ch->rc = CAIRN_ENOMEM;
    if (st != STEP_OK) return ch->rc == 0 && r->tr.collect;
    ch->rows_ok++;
    if (ch->needs_reparse) return true; /* this pass only finds the columns to widen */
    for (size_t c = 0; c < ch->ncols; c++) {
        int rc = cairn__cb_value(&ch->cols[c], &s->vals[c]);
        if (rc) {
            ch->rc = rc;
            return false;
        }
    }
    return true;
}

static void scratch_release(arff_scratch *s)
{
    cairn_free(s->toks);
    cairn_free(s->vals);
    cairn_buf_release(&s->str);
}

static void arff_parse_chunk(cairn__text_reader *tr, cairn__chunk *ch)
{
    arff_reader *r = (arff_reader *)tr;
    arff_scratch s;
    cairn_buf_init(&s.str, 0);
    s.toks = cairn_calloc(r->nattrs + 1, sizeof *s.toks);
    s.vals = cairn_calloc(ch->ncols + 1, sizeof *s.vals);
    if (!s.toks || !s.vals) {
        scratch_release(&s);
        ch->rc = CAIRN_ENOMEM;
        return;
    }
    const char *p = ch->begin, *end = ch->end;
    int64_t line = ch->first_line;
    unsigned tick = 0;
    while (p < end) {
        if (tr->max_rows && ch->rows_ok >= tr->max_rows) break;
        arff_line ln;
        p = next_line(p, end, &ln);
        ln.lineno = line++;
        if (skippable(ln.start, ln.end)) continue;
        if ((++tick & 4095) == 0 && !cairn__chunk_tick(tr, ch, ln.start)) break;
        if (!arff_row(r, ch, &s, &ln)) break;
        ch->rows_seen++;
    }
    scratch_release(&s);
}

/* ------------------------------------------------------------------------------------------
 * Describing bad rows
 * ---------------------------------------------------------------------------------------- */

static const char *kind_word(int kind)
{
    switch (kind) {
    case K_NUMERIC:
    case K_INTEGER:
        return "numeric";
    case K_NOMINAL:
        return "nominal";
    case K_DATE:
        return "date";
    default:
        return "string";
    }
}

static void arff_describe(cairn__text_reader *tr, const cairn__bad_row *b, cairn_error *e)
{
    arff_reader *r = (arff_reader *)tr;
    const char *tok = tr->data + b->tok_off;
    const arff_attr *a = b->field >= 0 ? &r->attrs[b->field] : NULL;
    const char *tn = cairn_type_name((cairn_type)b->a);
    cairn_error_at(e, tr->name, b->line, b->column);
    if (a) cairn_error_field(e, a->name);
    if (b->tok_len) cairn_error_expect(e, NULL, tok, b->tok_len);
    switch (b->kind) {
    case AB_SYNTAX:
        cairn_error_set(e, b->code, "invalid ARFF data row: %s",
                        b->what ? b->what : "syntax error");
        if (!b->tok_len) snprintf(e->found, sizeof e->found, "end of line");
        break;
    case AB_COUNT:
        cairn_error_set(e, b->code, "wrong number of values");
        snprintf(e->expected, sizeof e->expected, "%lld values (one per attribute)",
                 (long long)b->a);
        snprintf(e->found, sizeof e->found, "%lld", (long long)b->b);
        break;
    case AB_WEIGHT:
        cairn_error_set(e, b->code,
                        "instance weights ({weight} after the values) are not supported");
        break;
    case AB_VALUE:
        cairn_error_set(e, b->code, "bad value for %s attribute '%s'", kind_word(a->kind), a->name);
        cairn_error_expect(e, a->expected, NULL, 0);
        break;
    case AB_CONVERT:
        if (b->tok_len == 0) snprintf(e->found, sizeof e->found, "an omitted value (0)");
        cairn_error_set(e, b->code, "value of attribute '%s' is not a valid %s", a->name, tn);
        cairn_error_expect(e, tn, NULL, 0);
        break;
    case AB_RANGE:
        cairn_error_set(e, b->code, "value of attribute '%s' is out of range for %s", a->name, tn);
        cairn_error_expect(e, tn, NULL, 0);
        break;
    case AB_NULL:
        cairn_error_set(e, b->code, "missing value (?) in the non-nullable field '%s'", a->name);
        cairn_error_expect(e, tn, NULL, 0);
        break;
    case AB_UTF8:
        cairn_error_set(e, b->code, "value of attribute '%s' is not valid UTF-8", a->name);
        cairn_error_expect(e, "UTF-8 text", NULL, 0);
        break;
    case AB_SPARSE_INDEX:
        if (b->a < 0)
            cairn_error_set(e, b->code, "sparse index out of range (the file has %lld attributes)",
                            (long long)b->b);
        else
            cairn_error_set(e, b->code, "sparse indices must increase (%lld after %lld)",
                            (long long)b->a, (long long)b->b);
        break;
    case AB_SPARSE_STRING:
        cairn_error_set(e, b->code,
                        "sparse row leaves out string attribute '%s', whose value is then "
                        "ambiguous; give it explicitly",
                        a->name);
        snprintf(e->found, sizeof e->found, "no value");
        break;
    default:
        cairn_error_set(e, CAIRN_EINTERNAL, "unknown bad row kind %d", b->kind);
    }
}

static const cairn__tr_ops arff_ops = {
    .parse_chunk = arff_parse_chunk,
    .describe = arff_describe,
};

/* ------------------------------------------------------------------------------------------
 * Setup: the schema, chunks
 * ---------------------------------------------------------------------------------------- */

static cairn_type default_type(int kind)
{
    switch (kind) {
    case K_NUMERIC:
        return CAIRN_TYPE_FLOAT64;
    case K_INTEGER:
        return CAIRN_TYPE_INT64;
    case K_DATE:
        return CAIRN_TYPE_TIMESTAMP;
    default:
        return CAIRN_TYPE_STRING;
    }
}

static int64_t attr_find(const arff_reader *r, const char *name)
{
    for (size_t i = 0; i < r->nattrs; i++)
        if (strcmp(r->attrs[i].name, name) == 0) return (int64_t)i;
    return -1;
}

static int build_schema(arff_reader *r, cairn_error *err)
{
    const cairn_read_options *o = r->tr.opts;
    cairn__schema *sc = &r->tr.schema;
    bool explicit = o->fields && o->nfields > 0;
    size_t n = explicit ? o->nfields : r->nattrs;
    r->attr_of_col = cairn_calloc(n + 1, sizeof *r->attr_of_col);
    r->auto_int = cairn_calloc(n + 1, sizeof *r->auto_int);
    if (!r->attr_of_col || !r->auto_int) return CAIRN_ENOMEM;
    for (size_t c = 0; c < n; c++) {
        int rc;
        if (!explicit) {
            const arff_attr *a = &r->attrs[c];
            r->attr_of_col[c] = c;
            r->auto_int[c] = a->kind == K_INTEGER;
            rc = cairn__schema_add(sc, a->name, strlen(a->name), default_type(a->kind), true);
            if (rc) return rc;
            continue;
        }
        const cairn_field *f = &o->fields[c];
        if (!f->name)
            return cairn_error_set(err, CAIRN_EINVAL, "field %zu of the schema has no name", c);
        int64_t ai = attr_find(r, f->name);
        if (ai < 0) {
            cairn_error_set(err, CAIRN_ENOTFOUND, "field '%s' is not an attribute of the file",
                            f->name);
            cairn_error_at(err, r->tr.name, 0, 0);
            cairn_error_field(err, f->name);
            return CAIRN_ENOTFOUND;
        }
        if (cairn__schema_find(sc, f->name, strlen(f->name)) >= 0)
            return cairn_error_set(err, CAIRN_EINVAL, "the schema names '%s' twice", f->name);
        r->attr_of_col[c] = (size_t)ai;
        if ((rc = cairn__schema_add(sc, f->name, strlen(f->name), f->type, f->nullable))) return rc;
    }
    return 0;
}

/* The average data line, for reserving column space. */
static void estimate_rows(arff_reader *r)
{
    const char *p = r->body, *end = r->tr.data + r->tr.len;
    int64_t lines = 0;
    while (p < end && lines < 1000) {
        arff_line ln;
        p = next_line(p, end, &ln);
        lines++;
    }
    if (lines > 0) r->tr.est_row_bytes = (int64_t)(p - r->body) / lines + 1;
}

typedef struct lf_part {
    const char *from, *to;
    int64_t lfs;
} lf_part;

static void count_lf_task(void *arg, size_t i)
{
    lf_part *part = &((lf_part *)arg)[i];
    int64_t n = 0;
    for (const char *p = part->from; p < part->to; p++)
        n += *p == '\n';
    part->lfs = n;
}

/* Cuts the data section at line ends (one chunk when sequential), counting every LF so the
 * driver can fill the final columns in place (convert.h, end_line). */
static int split(arff_reader *r, int nthreads, cairn__chunk **out, size_t *count)
{
    const char *end = r->tr.data + r->tr.len;
    size_t len = (size_t)(end - r->body);
    size_t size = r->tr.max_rows ? 0 : cairn__tr_chunk_bytes(len, nthreads);
    size_t n = size ? (len + size - 1) / size : 1;
    cairn__chunk *chunks = cairn_calloc(n, sizeof *chunks);
    lf_part *parts = cairn_calloc(n, sizeof *parts);
    if (!chunks || !parts) {
        cairn_free(chunks);
        cairn_free(parts);
        return CAIRN_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        parts[i].from = r->body + i * size;
        parts[i].to = i + 1 == n ? end : r->body + (i + 1) * size;
    }
    if (n > 1) cairn__tr_parallel(nthreads, n, count_lf_task, parts);
    size_t k = 0;
    int64_t lfs = 0;
    chunks[0].begin = r->body;
    chunks[0].first_line = r->body_line;
    for (size_t i = 1; i < n; i++) {
        lfs += parts[i - 1].lfs;
        const char *nl = memchr(parts[i].from, '\n', (size_t)(parts[i].to - parts[i].from));
        if (!nl || nl + 1 >= end) continue;
        chunks[k].end = nl + 1;
        k++;
        chunks[k].begin = nl + 1;
        chunks[k].first_line = r->body_line + lfs + 1;
    }
    chunks[k].end = end;
    *count = k + 1;
    *out = chunks;
    if (n > 1) r->tr.end_line = r->body_line + lfs + parts[n - 1].lfs;
    cairn_free(parts);
    return 0;
}

static void reader_release(arff_reader *r)
{
    for (size_t i = 0; i < r->nattrs; i++) {
        arff_attr *a = &r->attrs[i];
        for (size_t k = 0; k < a->nvalues; k++)
            cairn_free(a->values[k]);
        cairn_free(a->values);
        cairn_free(a->lens);
        cairn_free(a->slots);
        cairn_free(a->parts);
        cairn_free(a->format);
        cairn_free(a->name);
    }
    cairn_free(r->attrs);
    cairn_free(r->attr_of_col);
    cairn_free(r->auto_int);
    cairn__schema_release(&r->tr.schema);
}

/* ------------------------------------------------------------------------------------------
 * Reader API
 * ---------------------------------------------------------------------------------------- */

int cairn__arff_read(const char *data, size_t len, const char *name, const cairn_read_options *opts,
                     cairn_table **out, cairn_error *err)
{
    cairn_read_options defaults;
    if (!opts) {
        cairn_read_options_init(&defaults);
        opts = &defaults;
    }
    arff_reader r;
    memset(&r, 0, sizeof r);
    cairn__tr_init(&r.tr, &arff_ops, &r, data, len, name, "<arff>", opts);
    r.null_text_len = opts->null_text ? strlen(opts->null_text) : 0;
    int nthreads = cairn__tr_threads(opts);
    cairn__chunk *chunks = NULL;
    size_t n = 0;
    cairn_table *t = NULL;
    int rc = opts->max_rows < 0
                 ? cairn_error_set(err, CAIRN_EINVAL, "max_rows must not be negative")
                 : parse_header(&r, err);
    if (rc == 0) rc = build_schema(&r, err);
    if (rc == 0) {
        estimate_rows(&r);
        rc = split(&r, nthreads, &chunks, &n);
    }
    if (rc == 0) rc = cairn__tr_run(&r.tr, chunks, n, nthreads, &t, err);
    if (rc == CAIRN_ENOMEM) cairn_error_set(err, rc, "reading %s: out of memory", r.tr.name);
    cairn_free(chunks);
    reader_release(&r);
    if (rc == 0) *out = t;
    return rc;
}

int cairn__arff_read_file(const char *path, const cairn_read_options *opts, cairn_table **out,
                          cairn_error *err)
{
    cairn_mapped map;
    int rc = cairn_file_map(path, &map, err);
    if (rc) return rc;
    rc = cairn__arff_read(map.data, map.len, path, opts, out, err);
    cairn_file_unmap(&map);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Writer
 * ---------------------------------------------------------------------------------------- */

/* Always single-quoted: the escapes the reader decodes, so any text reads back the same. */
static int put_quoted(cairn_buf *out, const char *s, size_t len)
{
    int rc = cairn_buf_putc(out, '\'');
    for (size_t i = 0; rc == 0 && i < len; i++) {
        char c = s[i];
        const char *esc = c == '\\'   ? "\\\\"
                          : c == '\'' ? "\\'"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                                      : NULL;
        rc = esc ? cairn_buf_append(out, esc, 2) : cairn_buf_putc(out, c);
    }
    return rc ? rc : cairn_buf_putc(out, '\'');
}

/* "yyyy-MM-dd", then "'T'HH:mm:ss" and ".SSS" as asked; false outside years 0-9999. */
static bool put_time(int64_t us, bool time, bool millis, char *out, size_t *len)
{
    int64_t day = us / CAIRN_US_PER_DAY, rem = us % CAIRN_US_PER_DAY, y;
    if (rem < 0) {
        rem += CAIRN_US_PER_DAY;
        day--;
    }
    unsigned m, d;
    cairn_civil_from_days(day, &y, &m, &d);
    if (y < 0 || y > 9999) return false;
    int64_t s = rem / CAIRN_US_PER_SECOND;
    int n = snprintf(out, 40, "%04d-%02u-%02u", (int)y, m, d);
    if (time)
        n += snprintf(out + n, (size_t)(40 - n), "T%02d:%02d:%02d", (int)(s / 3600),
                      (int)(s / 60 % 60), (int)(s % 60));
    if (millis) n += snprintf(out + n, (size_t)(40 - n), ".%03d", (int)(rem / 1000 % 1000));
    *len = (size_t)n;
    return true;
}

/* How a timestamp column is written: with milliseconds or not; an error for what ARFF's
 * date cannot hold. */
static int timestamp_plan(const cairn_column *col, bool *millis, cairn_error *err)
{
    *millis = false;
    for (int64_t i = 0; i < col->length; i++) {
        if (!cairn_column_is_valid(col, i)) continue;
        int64_t us = cairn_column_i64(col, i);
        char tmp[40];
        size_t n;
        if (us % 1000 != 0 || !put_time(us, true, false, tmp, &n)) {
            cairn_error_set(err, CAIRN_ERANGE,
                            "column '%s' row %lld: an ARFF date holds years 0-9999 and whole "
                            "milliseconds",
                            col->name, (long long)i);
            cairn_error_field(err, col->name);
            return CAIRN_ERANGE;
        }
        if (us % CAIRN_US_PER_SECOND != 0) *millis = true;
    }
    return 0;
}

static int put_header(const cairn_table *t, const char *relation, const bool *millis,
                      cairn_buf *out)
{
    int rc = cairn_buf_puts(out, "@relation ");
    if (rc == 0) rc = put_quoted(out, relation, strlen(relation));
    if (rc == 0) rc = cairn_buf_puts(out, "\n\n");
    for (size_t c = 0; rc == 0 && c < cairn_table_num_columns(t); c++) {
        const cairn_column *col = cairn_table_column(t, c);
        const char *type = "string";
        switch (col->type) {
        case CAIRN_TYPE_BOOL:
            type = "{false,true}";
            break;
        case CAIRN_TYPE_INT32:
        case CAIRN_TYPE_INT64:
            type = "integer";
            break;
        case CAIRN_TYPE_FLOAT32:
        case CAIRN_TYPE_FLOAT64:
            type = "numeric";
            break;
        case CAIRN_TYPE_DATE32:
            type = "date 'yyyy-MM-dd'";
            break;
        case CAIRN_TYPE_TIMESTAMP:
            type =
                millis[c] ? "date \"yyyy-MM-dd'T'HH:mm:ss.SSS\"" : "date \"yyyy-MM-dd'T'HH:mm:ss\"";
            break;
        case CAIRN_TYPE_STRING:
            break;
        }
        rc = cairn_buf_puts(out, "@attribute ");
        if (rc == 0) rc = put_quoted(out, col->name, strlen(col->name));
        if (rc == 0) rc = cairn_buf_printf(out, " %s\n", type);
    }
    return rc ? rc : cairn_buf_puts(out, "\n@data\n");
}

static int put_value(const cairn_column *col, int64_t row, bool millis, cairn_buf *out)
{
    char tmp[40];
    size_t n;
    if (!cairn_column_is_valid(col, row)) return cairn_buf_putc(out, '?');
    cairn_value v;
    cairn_column_get(col, row, &v);
    switch (col->type) {
    case CAIRN_TYPE_STRING:
        return put_quoted(out, v.v.str.ptr, v.v.str.len);
    case CAIRN_TYPE_TIMESTAMP:
        put_time(v.v.i64, true, millis, tmp, &n); /* checked by timestamp_plan */
        return cairn_buf_append(out, tmp, n);
    case CAIRN_TYPE_DATE32:
        if (!put_time(v.v.i32 * CAIRN_US_PER_DAY, false, false, tmp, &n)) return CAIRN_ERANGE;
        return cairn_buf_append(out, tmp, n);
    case CAIRN_TYPE_FLOAT32:
    case CAIRN_TYPE_FLOAT64: {
        double d = col->type == CAIRN_TYPE_FLOAT32 ? v.v.f32 : v.v.f64;
        if (isnan(d)) return cairn_buf_puts(out, "NaN");
        if (isinf(d)) return cairn_buf_puts(out, d > 0 ? "Infinity" : "-Infinity");
        return cairn_value_format(&v, NULL, out);
    }
    default:
        return cairn_value_format(&v, NULL, out);
    }
}

/* The relation's name: the file's base name without its extension. */
static void relation_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot > base ? (size_t)(dot - base) : strlen(base);
    snprintf(out, cap, "%.*s", (int)n, base);
}

/* The whole file into out; with a sink, flushed to it as it grows. */
static int write_arff(const cairn_table *t, const char *relation, cairn_buf *out, cairn__sink *sink,
                      cairn_error *err)
{
    size_t ncols = cairn_table_num_columns(t);
    int64_t rows = cairn_table_num_rows(t);
    bool *millis = cairn_calloc(ncols + 1, sizeof *millis);
    if (!millis) return CAIRN_ENOMEM;
    int rc = 0;
    for (size_t c = 0; rc == 0 && c < ncols; c++) {
        const cairn_column *col = cairn_table_column(t, c);
        if (col->type == CAIRN_TYPE_TIMESTAMP) rc = timestamp_plan(col, &millis[c], err);
    }
    if (rc == 0) rc = put_header(t, relation, millis, out);
    for (int64_t i = 0; rc == 0 && i < rows; i++) {
        for (size_t c = 0; rc == 0 && c < ncols; c++) {
            if (c > 0) rc = cairn_buf_putc(out, ',');
            if (rc == 0) rc = put_value(cairn_table_column(t, c), i, millis[c], out);
            if (rc == CAIRN_ERANGE) {
                const char *name = cairn_table_column(t, c)->name;
                cairn_error_set(err, rc, "column '%s' row %lld: an ARFF date holds years 0-9999",
                                name, (long long)i);
                cairn_error_field(err, name);
            }
        }
        if (rc == 0) rc = cairn_buf_putc(out, '\n');
        if (rc == 0 && sink) rc = cairn__sink_maybe_flush(sink, err);
    }
    if (rc == CAIRN_ENOMEM || rc == CAIRN_ELIMIT)
        cairn_error_set(err, rc, "writing ARFF: %s", cairn_strerror(rc));
    cairn_free(millis);
    return rc;
}

int cairn__arff_write(const cairn_table *table, const char *relation, cairn_buf *out,
                      cairn_error *err)
{
    size_t mark = out->len;
    int rc = write_arff(table, relation ? relation : "cairn", out, NULL, err);
    if (rc) {
        out->len = mark;
        out->data[mark] = '\0';
    }
    return rc;
}

int cairn__arff_write_file(const cairn_table *table, const char *path,
                           const cairn_write_options *opts, cairn_error *err)
{
    (void)opts;
    cairn__sink sink;
    int rc = cairn__sink_open(&sink, path, err);
    if (rc) return rc;
    char relation[256];
    relation_name(path, relation, sizeof relation);
    rc = write_arff(table, relation, &sink.buf, &sink, err);
    if (rc) cairn_error_at(err, path, 0, 0);
    if (rc == 0) rc = cairn__sink_commit(&sink, err);
    cairn__sink_abort(&sink);
    return rc;
}
