/* src/table/csv_read.c: the CSV reader (RFC 4180), sequential or on all cores.
 *
 * Grammar. A record is fields separated by the delimiter and ended by LF, CRLF or the end of
 * the input. A field starting with the quote character is quoted: it runs to the next quote
 * that is not doubled ("" stands for one quote) and may hold delimiters and newlines; after
 * its closing quote only a delimiter or a line end may follow. A quote anywhere else in an
 * unquoted field is an error (RFC 4180 leaves no other reading). A lone CR is data. A UTF-8
 * byte-order mark is skipped; blank lines (LF or CRLF alone) are skipped everywhere, so a
 * one-column file cannot hold a null row. An unquoted empty field, or one equal to
 * opts->null_text, is null; a quoted empty field is the empty string. Strings must be valid
 * UTF-8. Header names that are empty become columnN; a repeated name gets _1, _2, ...
 * (DuckDB's rule).
 *
 * Errors. Every malformed row is a cairn__bad_row: its physical line (where the row starts;
 * the header is line 1), the 1-based field number, the header name, expected / found, and
 * the reason. After a quote error the row is taken to end at the next LF (quotes ignored),
 * which is where reading resumes when a callback is set.
 *
 * Types. With opts->fields the header is matched by name (any order; unknown columns are an
 * error unless ignore_unknown; missing ones always are), otherwise types are inferred from
 * the first infer_rows records (convert.c) and widened, with a re-parse, by the driver when
 * a later value does not fit.
 *
 * Hot path. A record is first split into field spans (scan_record: with SSE2, a record
 * without quotes whose line end is found in 64-byte masks of special bytes is split from
 * the mask bits; anything else goes through the byte-wise scanner, which is the reference),
 * then each field is converted and appended straight into the chunk's column builders; a
 * bad field pops the values the row already appended, so a bad row leaves no trace.
 *
 * Parallel reading. The body is cut into nominal chunks (csv_split_body). Phase 1, in parallel,
 * counts quote characters and LFs in each. Phase 2 walks the chunks in order: the parity of
 * all quotes before a chunk tells whether it starts inside a quoted field, and the first LF
 * at even parity from there is the true row boundary; LF counts give each chunk's first
 * physical line. This is exact for input without quote errors, because in well-formed CSV
 * quote parity equals the in-quote state. A chunk that meets a quote error it cannot vouch
 * for (its boundary may be wrong past that point) sets `resync`, and the driver re-parses
 * from its start to the end of the input in one go, so results and errors are always those
 * of the sequential parse. With max_rows the read is sequential and stops early.
 *
 * Tests: tests/unit/table/test_csv_read.c, test_csv_alloc.c, tests/fuzz/fuzz_csv.c and the
 * DuckDB oracle tests/oracles/test_csv_duckdb.sh.
 */
#include <stdio.h>
#include <string.h>

#include "table/convert.h"

/* ------------------------------------------------------------------------------------------
 * Types
 * ---------------------------------------------------------------------------------------- */

enum csv_bad_kind {
    BAD_FIELDS = 1,   /* a: expected fields, b: found */
    BAD_UNTERMINATED, /* a quoted field runs to the end of the input */
    BAD_STRAY_QUOTE,  /* a quote inside an unquoted field */
    BAD_AFTER_QUOTE,  /* something other than a delimiter or line end after a closing quote */
    BAD_CONVERT,      /* a: the column type */
    BAD_NULL,         /* null in a non-nullable field */
    BAD_UTF8,         /* a: offset of the bad byte in the field */
};

enum csv_status { REC_OK = 0, REC_UNTERMINATED, REC_STRAY_QUOTE, REC_AFTER_QUOTE, REC_NOMEM };

typedef struct csv_span {
    const char *ptr; /* content, without the quotes */
    size_t len;
    bool quoted, escaped; /* escaped: holds doubled quotes */
} csv_span;

typedef struct csv_record {
    size_t nfields;
    const char *next;    /* first byte after the record's line end */
    int64_t lines;       /* LFs in [row start, next) */
    const char *err_pos; /* for quote errors */
    size_t err_field;
} csv_record;

/* Per-parse scratch: the fields of the current record. */
typedef struct csv_scratch {
    csv_span *fields;
    size_t cap;
} csv_scratch;

typedef struct csv_reader {
    cairn__text_reader tr; /* first: the driver hands it back to us */
    char delim, quote;
    const char *null_text;
    size_t null_len;
    uint8_t special[256]; /* bytes that end the fast scan of an unquoted field */
    size_t nfile;         /* fields per record */
    int64_t *map;         /* file field -> output column, -1 = ignored */
    char **fnames;        /* file field names, for errors */
    const char *body;     /* first byte after the header */
    int64_t body_line;
    int64_t header_line;
} csv_reader;

/* ------------------------------------------------------------------------------------------
 * Records
 * ---------------------------------------------------------------------------------------- */

static int64_t count_lf(const char *p, const char *end)
{
    int64_t n = 0;
    for (; p < end; p++) n += *p == '\n';
    return n;
}

static bool grow_fields(csv_scratch *s)
{
    return cairn_grow((void **)&s->fields, &s->cap, s->cap + 1, sizeof *s->fields) == 0;
}

/* A quoted field starting at the opening quote *pp. Leaves *pp after the closing quote. */
static bool scan_quoted(char q, const char **pp, const char *end, csv_span *f,
                        int64_t *lines)
{
    const char *start = *pp + 1, *p = start;
    bool esc = false;
    for (;;) {
        const char *hit = memchr(p, q, (size_t)(end - p));
        if (!hit) return false;
        if (hit + 1 < end && hit[1] == q) {
            esc = true;
            p = hit + 2;
            continue;
        }
        f->ptr = start;
        f->len = (size_t)(hit - start);
        f->quoted = true;
        f->escaped = esc;
        for (const char *nl = start; (nl = memchr(nl, '\n', (size_t)(hit - nl))) != NULL; nl++)
            (*lines)++;
        *pp = hit + 1;
        return true;
    }
}

/* An unquoted field from *pp. Returns 0 at a delimiter (consumed), 1 at the record's end
 * (rec->next set), or REC_STRAY_QUOTE. */
static int scan_plain(const csv_reader *r, const char **pp, const char *end, csv_span *f,
                      csv_record *rec)
{
    const char *start = *pp, *p = start;
    for (;;) {
        while (p < end && !r->special[(uint8_t)*p]) p++;
        f->ptr = start;
        f->len = (size_t)(p - start);
        f->quoted = f->escaped = false;
        if (p == end) {
            rec->next = end;
            return 1;
        }
        char c = *p;
        if (c == r->delim) {
            *pp = p + 1;
            return 0;
        }
        if (c == '\n') {
            rec->next = p + 1;
            rec->lines++;
            return 1;
        }
        if (c == '\r') {
            if (p + 1 < end && p[1] == '\n') {
                rec->next = p + 2;
                rec->lines++;
                return 1;
            }
            p++; /* a lone CR is data */
            continue;
        }
        rec->err_pos = p;
        return REC_STRAY_QUOTE;
    }
}

/* After a closing quote at p: 0 = delimiter (consumed), 1 = record end, else the error. */
static int after_quote(const csv_reader *r, const char **pp, const char *end, csv_record *rec)
{
    const char *p = *pp;
    if (p == end) {
        rec->next = end;
        return 1;
    }
    if (*p == r->delim) {
        *pp = p + 1;
        return 0;
    }
    if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
        rec->next = p + (*p == '\r' ? 2 : 1);
        rec->lines++;
        return 1;
    }
    rec->err_pos = p;
    return REC_AFTER_QUOTE;
}

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define CSV_SIMD 1

/* Bit i set when p[i] is the delimiter, the quote, CR or LF (64 bytes from p). */
static inline uint64_t special_bits(const csv_reader *r, const char *p)
{
    const __m128i d = _mm_set1_epi8(r->delim), q = _mm_set1_epi8(r->quote);
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    uint64_t m = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i x = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, d), _mm_cmpeq_epi8(v, q)),
                                 _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(x) << (16 * k);
    }
    return m;
}

static inline void plain_field(csv_span *f, const char *start, const char *stop)
{
    f->ptr = start;
    f->len = (size_t)(stop - start);
    f->quoted = f->escaped = false;
}

/* The common record: no quote, no lone CR, its line end at least 64 bytes before the end
 * of the chunk. Splits it from 64-byte masks of special bytes; false sends the caller to
 * the general scanner (which then starts the record over). */
static bool scan_fast(const csv_reader *r, csv_scratch *s, const char *p, const char *end,
                      csv_record *rec)
{
    const char *start = p;
    size_t n = 0;
    for (const char *base = p; end - base >= 64; base += 64) {
        for (uint64_t m = special_bits(r, base); m; m &= m - 1) {
            const char *at = base + __builtin_ctzll(m);
            if (n == s->cap && !grow_fields(s)) return false;
            if (*at == r->delim) {
                plain_field(&s->fields[n++], start, at);
                start = at + 1;
                continue;
            }
            bool crlf = *at == '\r' && at + 1 < end && at[1] == '\n';
            if (*at != '\n' && !crlf) return false; /* a quote or a lone CR */
            plain_field(&s->fields[n++], start, at);
            rec->nfields = n;
            rec->next = at + (crlf ? 2 : 1);
            rec->lines = 1;
            return true;
        }
    }
    return false;
}
#endif

/* Splits the record at p (not a blank line) into s->fields. */
static int scan_record(const csv_reader *r, csv_scratch *s, const char *p, const char *end,
                       csv_record *rec)
{
#ifdef CSV_SIMD
    if (scan_fast(r, s, p, end, rec)) return REC_OK;
#endif
    rec->nfields = 0;
    rec->lines = 0;
    rec->err_pos = NULL;
    for (;;) {
        if (rec->nfields == s->cap && !grow_fields(s)) return REC_NOMEM;
        csv_span *f = &s->fields[rec->nfields++];
        int st;
        rec->err_field = rec->nfields - 1;
        if (p < end && *p == r->quote) {
            const char *open = p;
            if (!scan_quoted(r->quote, &p, end, f, &rec->lines)) {
                rec->err_pos = open;
                rec->next = end;
                return REC_UNTERMINATED;
            }
            st = after_quote(r, &p, end, rec);
        } else {
            st = scan_plain(r, &p, end, f, rec);
        }
        if (st == 1) return REC_OK;
        if (st != 0) return st;
    }
}

/* Where reading resumes after a quote error: past the next LF (quotes ignored). */
static void skip_bad_record(int st, const char *row, const char *end, csv_record *rec)
{
    if (st != REC_UNTERMINATED) {
        const char *nl = memchr(rec->err_pos, '\n', (size_t)(end - rec->err_pos));
        rec->next = nl ? nl + 1 : end;
    }
    rec->lines = count_lf(row, rec->next);
}

static size_t raw_len(const char *row, const char *next)
{
    const char *e = next;
    if (e > row && e[-1] == '\n') e--;
    if (e > row && e[-1] == '\r') e--;
    return (size_t)(e - row);
}

/* ------------------------------------------------------------------------------------------
 * Rows
 * ---------------------------------------------------------------------------------------- */

static void bad_init(const csv_reader *r, cairn__bad_row *b, const cairn__chunk *ch,
                     const char *row, const char *next, int64_t line)
{
    memset(b, 0, sizeof *b);
    b->line = line;
    b->row = ch->rows_seen;
    b->raw_off = (size_t)(row - r->tr.data);
    b->raw_len = raw_len(row, next);
    b->field = -1;
}

static bool bad_field(csv_reader *r, cairn__chunk *ch, const csv_record *rec, const char *row,
                      int64_t line, size_t field, const csv_span *f, int kind, int code)
{
    cairn__bad_row b;
    bad_init(r, &b, ch, row, rec->next, line);
    b.kind = kind;
    b.code = code;
    b.column = (int64_t)field + 1;
    b.field = (int64_t)field;
    b.tok_off = (size_t)(f->ptr - r->tr.data);
    b.tok_len = f->len;
    if (kind == BAD_CONVERT) b.a = r->tr.schema.types[r->map[field]];
    if (kind == BAD_UTF8) {
        size_t at = 0;
        cairn__utf8_valid(f->ptr, f->len, &at);
        b.a = (int64_t)at;
    }
    return cairn__chunk_bad(&r->tr, ch, &b);
}

static bool bad_count(csv_reader *r, cairn__chunk *ch, const csv_record *rec, const char *row,
                      int64_t line)
{
    cairn__bad_row b;
    bad_init(r, &b, ch, row, rec->next, line);
    b.kind = BAD_FIELDS;
    b.code = CAIRN_EPARSE;
    b.a = (int64_t)r->nfile;
    b.b = (int64_t)rec->nfields;
    size_t first_odd = rec->nfields < r->nfile ? rec->nfields : r->nfile;
    b.column = (int64_t)first_odd + 1;
    b.field = rec->nfields < r->nfile ? (int64_t)first_odd : -1;
    return cairn__chunk_bad(&r->tr, ch, &b);
}

/* A record with a quote error. Returns false when the chunk must stop. */
static bool bad_structure(csv_reader *r, cairn__chunk *ch, int st, csv_record *rec,
                          const char *row, int64_t line)
{
    bool at_eof = ch->end == r->tr.data + r->tr.len;
    if (!at_eof && (r->tr.collect || st == REC_UNTERMINATED)) {
        /* Past a quote error this chunk's boundary guess is no longer trustworthy. */
        ch->resync = true;
        return false;
    }
    skip_bad_record(st, row, ch->end, rec);
    cairn__bad_row b;
    bad_init(r, &b, ch, row, rec->next, line);
    b.kind = st == REC_UNTERMINATED ? BAD_UNTERMINATED
             : st == REC_STRAY_QUOTE ? BAD_STRAY_QUOTE
                                     : BAD_AFTER_QUOTE;
    b.code = CAIRN_EPARSE;
    b.column = (int64_t)rec->err_field + 1;
    b.field = rec->err_field < r->nfile ? (int64_t)rec->err_field : -1;
    b.tok_off = (size_t)(rec->err_pos - r->tr.data);
    b.tok_len = 1;
    return cairn__chunk_bad(&r->tr, ch, &b);
}

static bool is_null(const csv_reader *r, const csv_span *f)
{
    if (f->quoted) return false;
    if (f->len == 0) return true;
    return r->null_text && f->len == r->null_len && memcmp(f->ptr, r->null_text, f->len) == 0;
}

/* A quoted string with doubled quotes, appended without them. */
static int append_unescaped(char q, cairn__cb *b, const csv_span *f)
{
    if (b->length == b->cap && cairn__cb_grow(b) != 0) return CAIRN_ENOMEM;
    if (f->len > b->data_cap - b->data_len && cairn__cb_grow_data(b, f->len) != 0)
        return CAIRN_ENOMEM;
    char *d = b->data + b->data_len;
    size_t n = 0;
    for (size_t k = 0; k < f->len; k++) {
        d[n++] = f->ptr[k];
        if (f->ptr[k] == q) k++; /* the second quote of the pair */
    }
    b->data_len += n;
    b->offsets[b->length + 1] = (int64_t)b->data_len;
    if (b->nulls) b->nulls[b->length] = 0;
    b->length++;
    return 0;
}

/* Converts a non-null field and appends it. Returns 0, CAIRN_ENOMEM, or a positive
 * BAD_* kind with *code set. */
static int put_field(const csv_reader *r, cairn__cb *b, const csv_span *f, int *code)
{
    union {
        bool b;
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
    } v;
    int rc;
    switch (b->type) {
    case CAIRN_TYPE_INT64:
        if ((rc = cairn__parse_int64(f->ptr, f->len, &v.i64)) == 0) return cairn__cb_i64(b, v.i64);
        break;
    case CAIRN_TYPE_TIMESTAMP:
        if ((rc = cairn__parse_timestamp(f->ptr, f->len, &v.i64)) == 0) return cairn__cb_i64(b, v.i64);
        break;
    case CAIRN_TYPE_FLOAT64:
        if ((rc = cairn__parse_float64(f->ptr, f->len, &v.f64)) == 0) return cairn__cb_f64(b, v.f64);
        break;
    case CAIRN_TYPE_INT32:
        if ((rc = cairn__parse_int32(f->ptr, f->len, &v.i32)) == 0) return cairn__cb_i32(b, v.i32);
        break;
    case CAIRN_TYPE_DATE32:
        if ((rc = cairn__parse_date(f->ptr, f->len, &v.i32)) == 0) return cairn__cb_i32(b, v.i32);
        break;
    case CAIRN_TYPE_FLOAT32:
        if ((rc = cairn__parse_float32(f->ptr, f->len, &v.f32)) == 0) return cairn__cb_f32(b, v.f32);
        break;
    case CAIRN_TYPE_BOOL:
        if ((rc = cairn__parse_bool(f->ptr, f->len, &v.b)) == 0) return cairn__cb_bool(b, v.b);
        break;
    default: /* STRING */
        if (!cairn__utf8_valid(f->ptr, f->len, NULL)) {
            *code = CAIRN_EPARSE;
            return BAD_UTF8;
        }
        if (f->escaped) return append_unescaped(r->quote, b, f);
        return cairn__cb_str(b, f->ptr, f->len);
    }
    *code = rc == CAIRN_ERANGE ? CAIRN_ERANGE : CAIRN_ETYPE;
    return BAD_CONVERT;
}

/* Takes back the values the row already put in columns of file fields before `upto`. */
static void pop_row(const csv_reader *r, cairn__chunk *ch, size_t upto)
{
    for (size_t j = 0; j < upto; j++)
        if (r->map[j] >= 0) cairn__cb_pop(&ch->cols[r->map[j]]);
}

/* A record without quote errors: each field converted and appended; a bad field takes the
 * row back out. Returns false when the chunk must stop. */
static bool csv_row(csv_reader *r, cairn__chunk *ch, const csv_span *fields,
                    const csv_record *rec, const char *row, int64_t line)
{
    const cairn__schema *sc = &r->tr.schema;
    if (rec->nfields != r->nfile) return bad_count(r, ch, rec, row, line);
    for (size_t i = 0; i < r->nfile; i++) {
        int64_t oc = r->map[i];
        if (oc < 0) continue;
        const csv_span *f = &fields[i];
        cairn__cb *b = &ch->cols[oc];
        int code = 0, st;
        if (is_null(r, f)) st = sc->nullable[oc] ? cairn__cb_null(b) : (code = CAIRN_ETYPE, BAD_NULL);
        else st = put_field(r, b, f, &code);
        if (st == 0) continue;
        if (st == BAD_CONVERT && sc->inferred) { /* widen and re-parse; never an error */
            cairn_type t = cairn__type_join(b->type, cairn__text_infer(f->ptr, f->len));
            ch->widen[oc] = cairn__type_join(ch->widen[oc], t);
            ch->needs_reparse = true;
            st = cairn__cb_null(b); /* a placeholder: this pass's values are dropped */
            if (st == 0) continue;
        }
        pop_row(r, ch, i);
        if (st < 0) {
            ch->rc = st;
            return false;
        }
        return bad_field(r, ch, rec, row, line, i, f, st, code);
    }
    ch->rows_ok++;
    return true;
}

static void scratch_release(csv_scratch *s)
{
    cairn_free(s->fields);
    s->fields = NULL;
    s->cap = 0;
}

static int scratch_init(csv_scratch *s, size_t nfile)
{
    s->cap = nfile + 1;
    s->fields = cairn_malloc(s->cap * sizeof *s->fields);
    if (!s->fields) {
        s->cap = 0;
        return CAIRN_ENOMEM;
    }
    return 0;
}

static void csv_parse_chunk(cairn__text_reader *tr, cairn__chunk *ch)
{
    csv_reader *r = (csv_reader *)tr;
    csv_scratch s;
    if ((ch->rc = scratch_init(&s, r->nfile)) != 0) return;
    const char *p = ch->begin, *end = ch->end;
    int64_t line = ch->first_line;
    unsigned tick = 0;
    while (p < end) {
        if (tr->max_rows && ch->rows_ok >= tr->max_rows) break;
        if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
            p += *p == '\r' ? 2 : 1;
            line++;
            continue;
        }
        if ((++tick & 4095) == 0 && !cairn__chunk_tick(tr, ch, p)) break;
        csv_record rec;
        int st = scan_record(r, &s, p, end, &rec);
        bool go_on;
        if (st == REC_NOMEM) {
            ch->rc = CAIRN_ENOMEM;
            break;
        }
        if (st != REC_OK) go_on = bad_structure(r, ch, st, &rec, p, line);
        else go_on = csv_row(r, ch, s.fields, &rec, p, line);
        if (!go_on) break;
        ch->rows_seen++;
        line += rec.lines;
        p = rec.next;
    }
    scratch_release(&s);
}

/* ------------------------------------------------------------------------------------------
 * Describing bad rows
 * ---------------------------------------------------------------------------------------- */

static void csv_describe(cairn__text_reader *tr, const cairn__bad_row *b, cairn_error *e)
{
    csv_reader *r = (csv_reader *)tr;
    const char *tok = tr->data + b->tok_off;
    cairn_error_at(e, tr->name, b->line, b->column);
    if (b->field >= 0) cairn_error_field(e, r->fnames[b->field]);
    switch (b->kind) {
    case BAD_FIELDS:
        cairn_error_set(e, b->code, "wrong number of fields");
        snprintf(e->expected, sizeof e->expected, "%lld fields", (long long)b->a);
        snprintf(e->found, sizeof e->found, "%lld", (long long)b->b);
        break;
    case BAD_UNTERMINATED:
        cairn_error_set(e, b->code, "unterminated quoted field");
        cairn_error_expect(e, "closing quote", NULL, 0);
        snprintf(e->found, sizeof e->found, "end of input");
        break;
    case BAD_STRAY_QUOTE:
        cairn_error_set(e, b->code, "quote inside an unquoted field");
        cairn_error_expect(e, "no quote, or a field quoted as a whole", tok, 1);
        break;
    case BAD_AFTER_QUOTE:
        cairn_error_set(e, b->code, "unexpected character after a closing quote");
        cairn_error_expect(e, "delimiter or end of line", tok, 1);
        break;
    case BAD_CONVERT: {
        const char *tn = cairn_type_name((cairn_type)b->a);
        if (b->code == CAIRN_ERANGE) cairn_error_set(e, b->code, "value out of range for %s", tn);
        else cairn_error_set(e, b->code, "value is not a valid %s", tn);
        cairn_error_expect(e, tn, tok, b->tok_len);
        break;
    }
    case BAD_NULL:
        cairn_error_set(e, b->code, "null in a non-nullable field");
        cairn_error_expect(e, cairn_type_name(tr->schema.types[r->map[b->field]]), NULL, 0);
        snprintf(e->found, sizeof e->found, "null");
        break;
    case BAD_UTF8:
        cairn_error_set(e, b->code, "invalid UTF-8 (byte 0x%02X at offset %lld of the field)",
                        (unsigned)(uint8_t)tok[b->a], (long long)b->a);
        cairn_error_expect(e, "UTF-8 text", tok, b->tok_len);
        break;
    default: cairn_error_set(e, CAIRN_EINTERNAL, "unknown bad row kind %d", b->kind);
    }
}

static const cairn__tr_ops csv_ops = {
    .parse_chunk = csv_parse_chunk,
    .describe = csv_describe,
};

/* ------------------------------------------------------------------------------------------
 * Header and schema
 * ---------------------------------------------------------------------------------------- */

static void reader_release(csv_reader *r)
{
    if (r->fnames)
        for (size_t i = 0; i < r->nfile; i++) cairn_free(r->fnames[i]);
    cairn_free(r->fnames);
    cairn_free(r->map);
    cairn__schema_release(&r->tr.schema);
}

static bool name_taken(char **names, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) return true;
    return false;
}

/* A header name: unescaped; "" -> columnN; a repeat gets _1, _2, ... */
static int header_name(csv_reader *r, const csv_span *f, size_t i, cairn_buf *b)
{
    cairn_buf_reset(b);
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < f->len; k++) {
        if (f->escaped && f->ptr[k] == r->quote) k++;
        rc = cairn_buf_putc(b, f->ptr[k]);
    }
    if (rc == 0 && b->len == 0) rc = cairn_buf_printf(b, "column%zu", i + 1);
    size_t base = b->len;
    for (int k = 1; rc == 0 && name_taken(r->fnames, i, b->data, b->len); k++) {
        b->len = base;
        rc = cairn_buf_printf(b, "_%d", k);
    }
    if (rc == 0) r->fnames[i] = cairn_strndup(b->data, b->len);
    return rc ? rc : r->fnames[i] ? 0 : CAIRN_ENOMEM;
}

static int fnames_alloc(csv_reader *r, size_t n)
{
    r->nfile = n;
    r->fnames = cairn_calloc(n + 1, sizeof *r->fnames);
    r->map = cairn_calloc(n + 1, sizeof *r->map);
    return r->fnames && r->map ? 0 : CAIRN_ENOMEM;
}

static int header_error(csv_reader *r, int st, const csv_record *rec, int64_t line,
                        cairn_error *err)
{
    if (st == REC_NOMEM) return CAIRN_ENOMEM;
    cairn_error_set(err, CAIRN_EPARSE, "malformed header: %s",
                    st == REC_UNTERMINATED ? "unterminated quoted field"
                    : st == REC_STRAY_QUOTE ? "quote inside an unquoted field"
                                            : "unexpected character after a closing quote");
    cairn_error_at(err, r->tr.name, line, (int64_t)rec->err_field + 1);
    return CAIRN_EPARSE;
}

static int read_header(csv_reader *r, const char *p, int64_t line, cairn_error *err)
{
    const char *end = r->tr.data + r->tr.len;
    csv_scratch s;
    csv_record rec;
    int rc = scratch_init(&s, 8);
    if (rc) return rc;
    int st = scan_record(r, &s, p, end, &rec);
    if (st != REC_OK) rc = header_error(r, st, &rec, line, err);
    if (rc == 0) rc = fnames_alloc(r, rec.nfields);
    cairn_buf name;
    cairn_buf_init(&name, 0);
    for (size_t i = 0; rc == 0 && i < rec.nfields; i++) {
        size_t bad;
        const csv_span *f = &s.fields[i];
        if (!cairn__utf8_valid(f->ptr, f->len, &bad) || memchr(f->ptr, '\0', f->len)) {
            rc = cairn_error_set(err, CAIRN_EPARSE, "header name is not valid UTF-8 text "
                                                    "(or holds a NUL byte)");
            cairn_error_at(err, r->tr.name, line, (int64_t)i + 1);
        }
        if (rc == 0) rc = header_name(r, &s.fields[i], i, &name);
    }
    cairn_buf_release(&name);
    if (rc == 0) {
        r->body = rec.next;
        r->body_line = line + rec.lines;
    }
    scratch_release(&s);
    return rc;
}

/* no_header: columns are column1..N, N from the schema or the first record. */
static int positional_names(csv_reader *r, const char *p)
{
    const cairn_read_options *o = r->tr.opts;
    const char *end = r->tr.data + r->tr.len;
    size_t n = o->fields ? o->nfields : 0;
    if (!o->fields && p < end) {
        csv_scratch s;
        csv_record rec;
        int rc = scratch_init(&s, 8);
        if (rc) return rc;
        int st = scan_record(r, &s, p, end, &rec);
        scratch_release(&s);
        if (st == REC_NOMEM) return CAIRN_ENOMEM;
        n = rec.nfields;
    }
    int rc = fnames_alloc(r, n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *given = o->fields ? o->fields[i].name : NULL;
        cairn_buf b;
        cairn_buf_init(&b, 0);
        rc = given ? cairn_buf_puts(&b, given) : cairn_buf_printf(&b, "column%zu", i + 1);
        if (rc == 0) r->fnames[i] = cairn_buf_detach(&b, NULL);
        cairn_buf_release(&b);
        if (rc == 0 && !r->fnames[i]) rc = CAIRN_ENOMEM;
    }
    return rc;
}

static int schema_error(csv_reader *r, int code, int64_t column, const char *name,
                        const char *what, cairn_error *err)
{
    cairn_error_set(err, code, "column '%s' %s", name, what);
    cairn_error_at(err, r->tr.name, r->header_line, column);
    cairn_error_field(err, name);
    return code;
}

/* Matches an explicit schema against the header (or positions). */
static int map_explicit(csv_reader *r, cairn_error *err)
{
    const cairn_read_options *o = r->tr.opts;
    cairn__schema *sc = &r->tr.schema;
    for (size_t j = 0; j < o->nfields; j++) {
        const char *nm = o->fields[j].name;
        if (!nm) return cairn_error_set(err, CAIRN_EINVAL, "field %zu of the schema has no name", j);
        if (cairn__schema_find(sc, nm, strlen(nm)) >= 0)
            return cairn_error_set(err, CAIRN_EINVAL, "the schema names '%s' twice", nm);
        int rc = cairn__schema_add(sc, nm, strlen(nm), o->fields[j].type, o->fields[j].nullable);
        if (rc) return rc;
    }
    bool *seen = cairn_calloc(o->nfields + 1, sizeof *seen);
    if (!seen) return CAIRN_ENOMEM;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < r->nfile; i++) {
        int64_t j = o->no_header ? (int64_t)i : cairn__schema_find(sc, r->fnames[i], strlen(r->fnames[i]));
        if (j >= 0 && seen[j])
            rc = schema_error(r, CAIRN_EPARSE, (int64_t)i + 1, r->fnames[i],
                              "appears twice in the header", err);
        else if (j < 0 && !o->ignore_unknown)
            rc = schema_error(r, CAIRN_EPARSE, (int64_t)i + 1, r->fnames[i],
                              "is in the header but not in the schema", err);
        r->map[i] = j;
        if (j >= 0) seen[j] = true;
    }
    for (size_t j = 0; rc == 0 && j < o->nfields; j++)
        if (!seen[j])
            rc = schema_error(r, CAIRN_ENOTFOUND, 0, o->fields[j].name,
                              "of the schema is missing from the header", err);
    cairn_free(seen);
    return rc;
}

/* Samples the first records: inferred types (when no schema) and the average row size. */
static int sample(csv_reader *r, int64_t rows)
{
    cairn__schema *sc = &r->tr.schema;
    const char *p = r->body, *end = r->tr.data + r->tr.len;
    csv_scratch s;
    int rc = scratch_init(&s, r->nfile);
    int64_t seen = 0;
    while (rc == 0 && p < end && seen < rows) {
        if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
            p += *p == '\r' ? 2 : 1;
            continue;
        }
        csv_record rec;
        int st = scan_record(r, &s, p, end, &rec);
        if (st == REC_NOMEM) rc = CAIRN_ENOMEM;
        if (st != REC_OK) break; /* the parse proper reports it */
        seen++;
        p = rec.next;
        if (!sc->inferred || rec.nfields != r->nfile) continue;
        for (size_t i = 0; i < r->nfile; i++) {
            if (is_null(r, &s.fields[i])) continue;
            cairn_type t = cairn__text_infer(s.fields[i].ptr, s.fields[i].len);
            sc->types[i] = cairn__type_join(sc->types[i], t);
        }
    }
    if (seen > 0) r->tr.est_row_bytes = (int64_t)(p - r->body) / seen + 1;
    for (size_t c = 0; sc->inferred && c < sc->ncols; c++)
        if (sc->types[c] == 0) sc->types[c] = CAIRN_TYPE_STRING;
    scratch_release(&s);
    return rc;
}

static int build_schema(csv_reader *r, cairn_error *err)
{
    const cairn_read_options *o = r->tr.opts;
    cairn__schema *sc = &r->tr.schema;
    if (o->fields && o->nfields > 0) {
        int rc = map_explicit(r, err);
        return rc ? rc : sample(r, 1000);
    }
    sc->inferred = true;
    for (size_t i = 0; i < r->nfile; i++) {
        int rc = cairn__schema_add(sc, r->fnames[i], strlen(r->fnames[i]), 0, true);
        if (rc) return rc;
        r->map[i] = (int64_t)i;
    }
    return sample(r, o->infer_rows > 0 ? o->infer_rows : 20000);
}

static int check_options(csv_reader *r, const cairn_read_options *o, cairn_error *err)
{
    r->delim = o->delimiter ? o->delimiter : ',';
    r->quote = o->quote ? o->quote : '"';
    if (r->delim == '\n' || r->delim == '\r' || r->quote == '\n' || r->quote == '\r' ||
        r->delim == r->quote)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "delimiter and quote must differ and not be CR or LF");
    if (o->max_rows < 0 || o->infer_rows < 0)
        return cairn_error_set(err, CAIRN_EINVAL, "max_rows and infer_rows must not be negative");
    r->null_text = o->null_text && o->null_text[0] ? o->null_text : NULL;
    r->null_len = r->null_text ? strlen(r->null_text) : 0;
    memset(r->special, 0, sizeof r->special);
    r->special[(uint8_t)r->delim] = r->special[(uint8_t)r->quote] = 1;
    r->special['\n'] = r->special['\r'] = 1;
    return 0;
}

/* BOM, leading blank lines, header: sets body, body_line, the file fields and the schema. */
static int csv_setup(csv_reader *r, cairn_error *err)
{
    const cairn_read_options *o = r->tr.opts;
    int rc = check_options(r, o, err);
    if (rc) return rc;
    const char *p = r->tr.data, *end = p + r->tr.len;
    if (r->tr.len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    int64_t line = 1;
    while (p < end && (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))) {
        p += *p == '\r' ? 2 : 1;
        line++;
    }
    r->header_line = line;
    r->body = p;
    r->body_line = line;
    /* Without a header line (no_header, or an empty input) the schema or the first record
     * gives the columns. */
    if (!o->no_header && p < end) rc = read_header(r, p, line, err);
    else rc = positional_names(r, p);
    return rc ? rc : build_schema(r, err);
}

/* ------------------------------------------------------------------------------------------
 * Splitting into chunks
 * ---------------------------------------------------------------------------------------- */

typedef struct csv_split {
    const char *from, *to; /* nominal range */
    size_t quotes;
    int64_t lfs;
} csv_split;

typedef struct split_ctx {
    csv_split *parts;
    char quote;
} split_ctx;

#ifdef CSV_SIMD
/* Adds the counts of q and LF in blocks of 16 bytes from *pp (at most 255 blocks per
 * accumulation, so that the byte counters cannot wrap). */
static void count_blocks(const char **pp, const char *end, char q, size_t *quotes, size_t *lfs)
{
    const __m128i vq = _mm_set1_epi8(q), vl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
    const char *p = *pp;
    while (end - p >= 16) {
        __m128i aq = zero, al = zero;
        for (int k = 0; k < 255 && end - p >= 16; k++, p += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            aq = _mm_sub_epi8(aq, _mm_cmpeq_epi8(v, vq));
            al = _mm_sub_epi8(al, _mm_cmpeq_epi8(v, vl));
        }
        __m128i sq = _mm_sad_epu8(aq, zero), sl = _mm_sad_epu8(al, zero);
        *quotes += (size_t)_mm_cvtsi128_si32(sq) + (size_t)_mm_extract_epi16(sq, 4);
        *lfs += (size_t)_mm_cvtsi128_si32(sl) + (size_t)_mm_extract_epi16(sl, 4);
    }
    *pp = p;
}
#endif

static void count_task(void *arg, size_t i)
{
    split_ctx *ctx = arg;
    csv_split *s = &ctx->parts[i];
    const char q = ctx->quote;
    size_t quotes = 0, lfs = 0;
    const char *p = s->from;
#ifdef CSV_SIMD
    count_blocks(&p, s->to, q, &quotes, &lfs);
#endif
    for (; p < s->to; p++) {
        quotes += *p == q;
        lfs += *p == '\n';
    }
    s->quotes = quotes;
    s->lfs = (int64_t)lfs;
}

/* The first row start in [from, to) given the quote parity at from; NULL if none. */
static const char *first_boundary(const char *from, const char *to, char q, size_t parity,
                                  int64_t *lfs)
{
    *lfs = 0;
    for (const char *p = from; p < to; p++) {
        if (*p == q) parity ^= 1;
        else if (*p == '\n') {
            (*lfs)++;
            if (parity == 0) return p + 1;
        }
    }
    return NULL;
}

static int make_chunks(csv_reader *r, csv_split *parts, size_t n, cairn__chunk *chunks,
                       size_t *count)
{
    const char *end = r->tr.data + r->tr.len;
    size_t parity = 0, k = 0;
    int64_t lfs_before = 0;
    chunks[0].begin = r->body;
    chunks[0].first_line = r->body_line;
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            int64_t extra;
            const char *b = first_boundary(parts[i].from, parts[i].to, r->quote, parity, &extra);
            if (b && b < end) {
                chunks[k].end = b;
                k++;
                chunks[k].begin = b;
                chunks[k].first_line = r->body_line + lfs_before + extra;
            }
        }
        parity = (parity + parts[i].quotes) & 1;
        lfs_before += parts[i].lfs;
    }
    chunks[k].end = end;
    *count = k + 1;
    r->tr.end_line = r->body_line + lfs_before; /* every LF of the body was counted */
    return 0;
}

/* Cuts the body into chunks at true row boundaries (one chunk when sequential). */
static int csv_split_body(csv_reader *r, int nthreads, cairn__chunk **out, size_t *count)
{
    const char *end = r->tr.data + r->tr.len;
    size_t len = (size_t)(end - r->body);
    size_t size = r->tr.max_rows ? 0 : cairn__tr_chunk_bytes(len, nthreads);
    size_t n = size ? (len + size - 1) / size : 1;
    cairn__chunk *chunks = cairn_calloc(n, sizeof *chunks);
    csv_split *parts = size ? cairn_calloc(n, sizeof *parts) : NULL;
    if (!chunks || (size && !parts)) {
        cairn_free(chunks);
        cairn_free(parts);
        return CAIRN_ENOMEM;
    }
    if (!size) {
        chunks[0] = (cairn__chunk){.begin = r->body, .end = end, .first_line = r->body_line};
        *out = chunks;
        *count = 1;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        parts[i].from = r->body + i * size;
        parts[i].to = i + 1 == n ? end : r->body + (i + 1) * size;
    }
    split_ctx ctx = {parts, r->quote};
    cairn__tr_parallel(nthreads, n, count_task, &ctx);
    int rc = make_chunks(r, parts, n, chunks, count);
    cairn_free(parts);
    *out = chunks;
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * API
 * ---------------------------------------------------------------------------------------- */

void cairn_read_options_init(cairn_read_options *opts)
{
    memset(opts, 0, sizeof *opts);
}

int cairn_csv_read(const char *data, size_t len, const char *name,
                   const cairn_read_options *opts, cairn_table **out, cairn_error *err)
{
    cairn_read_options defaults;
    if (!opts) {
        cairn_read_options_init(&defaults);
        opts = &defaults;
    }
    csv_reader r;
    memset(&r, 0, sizeof r);
    cairn__tr_init(&r.tr, &csv_ops, &r, data, len, name, "<csv>", opts);
    int nthreads = cairn__tr_threads(opts);
    cairn__chunk *chunks = NULL;
    size_t n = 0;
    cairn_table *t = NULL;
    int rc = csv_setup(&r, err);
    if (rc == 0) rc = csv_split_body(&r, nthreads, &chunks, &n);
    if (rc == 0) rc = cairn__tr_run(&r.tr, chunks, n, nthreads, &t, err);
    if (rc == CAIRN_ENOMEM && err && err->code != CAIRN_ENOMEM)
        cairn_error_set(err, rc, "reading %s: out of memory", r.tr.name);
    cairn_free(chunks);
    reader_release(&r);
    if (rc == 0) *out = t;
    return rc;
}

static bool has_suffix_ci(const char *path, const char *suffix)
{
    size_t n = strlen(path), m = strlen(suffix);
    if (n < m) return false;
    for (size_t i = 0; i < m; i++) {
        char c = path[n - m + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != suffix[i]) return false;
    }
    return true;
}

int cairn_csv_read_file(const char *path, const cairn_read_options *opts, cairn_table **out,
                        cairn_error *err)
{
    cairn_read_options o;
    if (opts) o = *opts;
    else cairn_read_options_init(&o);
    if (!o.delimiter && has_suffix_ci(path, ".tsv")) o.delimiter = '\t';
    cairn_mapped map;
    int rc = cairn_file_map(path, &map, err);
    if (rc) return rc;
    rc = cairn_csv_read(map.data, map.len, path, &o, out, err);
    cairn_file_unmap(&map);
    return rc;
}
