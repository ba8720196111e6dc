/* src/table/jsonl.c: JSON Lines reader and writer.
 *
 * Reader. Each non-blank line (blank = only spaces, tabs, CR) must hold exactly one JSON
 * object (RFC 8259; strings valid UTF-8, no lone surrogates; at most 256 levels deep). A
 * purpose-built parser checks the whole grammar and keeps values as spans of the line, so
 * a nested array or object is kept as its exact JSON text in a string column and nothing
 * is built per value. Keys map to columns:
 * - explicit schema (opts->fields): a missing key is null; an unknown key is an error
 *   unless ignore_unknown; values must have the field's type (integers are accepted for
 *   float fields; timestamp and date fields take ISO-8601 strings; string fields take
 *   strings and nested values as JSON text);
 * - inferred: columns are the union of keys in first-seen order, with types joined along
 *   convert.c's widening order from JSON kinds: true/false -> bool, integer -> int64 (one
 *   that overflows -> float64), other numbers -> float64, strings -> date or timestamp when
 *   they parse as one, else string; nested values -> string. In a string column any
 *   scalar is kept as its JSON text. Keys or values met after the sample widen the schema
 *   and the driver re-parses (convert.c).
 * A duplicate key in one object is an error. Errors carry the physical line and the
 * 1-based character (code point) column of the offending byte; bad rows follow the same
 * rules as CSV (first one fails the read, or each goes to on_bad_row and is left out).
 * Large inputs are split at line ends and parsed in parallel by the shared driver.
 *
 * Writer. One object per row with every column in order: null as null, floats in shortest
 * round-trip form (NaN and infinities as null), timestamps and dates as ISO-8601 strings.
 * cairn_jsonl_write_file streams through the atomic sink (temporary file, fsync, rename).
 *
 * Tests: tests/unit/table/test_jsonl.c, tests/fuzz/fuzz_jsonl.c.
 */
#include <math.h>
#include <string.h>

#include "cairn/json.h"
#include "table/convert.h"

/* ------------------------------------------------------------------------------------------
 * Types
 * ---------------------------------------------------------------------------------------- */

enum jl_kind { J_NULL = 0, J_BOOL, J_INT, J_FLOAT, J_STRING, J_NESTED };

enum jl_bad_kind {
    JB_SYNTAX = 1, /* what: the reason */
    JB_NOT_OBJECT, /* a: the JSON kind found */
    JB_DUP_KEY,
    JB_UNKNOWN_KEY,
    JB_TYPE,       /* a: the column type, b: the JSON kind */
    JB_RANGE,      /* a: the column type */
    JB_NULL,       /* b: 1 when the key is missing */
    JB_NUL_KEY,    /* a key with \u0000 in it */
};

#define JL_MAX_DEPTH 256

typedef struct jl_val {
    uint8_t kind;
    bool b, escaped; /* escaped: a string with backslash escapes */
    int64_t i;
    double f;
    const char *ptr; /* J_STRING: the content between the quotes; others: the token text */
    size_t len;
} jl_val;

typedef struct jl_cur {
    const char *p, *end;
    const char *err_at;
    const char *what;
} jl_cur;

typedef struct jl_scratch {
    jl_val *cells;     /* one per column */
    const char **keys; /* where each cell's value starts, for errors */
    uint64_t *stamps;  /* cell set in row `stamp` */
    uint64_t stamp;
    cairn_buf key;     /* an unescaped key */
    cairn_buf str;     /* an unescaped string value */
    size_t ncols;
} jl_scratch;

/* Keys met in a chunk that the schema does not have yet (inferred reads). */
typedef struct jl_new_keys {
    cairn__schema keys;
} jl_new_keys;

typedef struct jl_reader {
    cairn__text_reader tr; /* first: the driver hands it back to us */
    int64_t *slots;        /* open addressing over schema names: column index or -1 */
    size_t mask;
    const char *body;
    int64_t body_line;
} jl_reader;

/* ------------------------------------------------------------------------------------------
 * Key lookup
 * ---------------------------------------------------------------------------------------- */

static int build_index(jl_reader *r)
{
    const cairn__schema *s = &r->tr.schema;
    size_t cap = 16;
    while (cap < s->ncols * 2) cap *= 2;
    int64_t *slots = cairn_malloc(cap * sizeof *slots);
    if (!slots) return CAIRN_ENOMEM;
    for (size_t i = 0; i < cap; i++) slots[i] = -1;
    for (size_t c = 0; c < s->ncols; c++) {
        size_t h = cairn_hash64(s->names[c], strlen(s->names[c]), 0) & (cap - 1);
        while (slots[h] >= 0) h = (h + 1) & (cap - 1);
        slots[h] = (int64_t)c;
    }
    cairn_free(r->slots);
    r->slots = slots;
    r->mask = cap - 1;
    return 0;
}

static bool name_is(const char *name, const char *key, size_t len)
{
    return strncmp(name, key, len) == 0 && name[len] == '\0';
}

static int64_t find_column(const jl_reader *r, const char *key, size_t len, size_t hint)
{
    const cairn__schema *s = &r->tr.schema;
    if (hint < s->ncols && name_is(s->names[hint], key, len)) return (int64_t)hint;
    for (size_t h = cairn_hash64(key, len, 0) & r->mask;; h = (h + 1) & r->mask) {
        int64_t c = r->slots[h];
        if (c < 0) return -1;
        if (name_is(s->names[c], key, len)) return c;
    }
}

/* ------------------------------------------------------------------------------------------
 * The JSON grammar
 * ---------------------------------------------------------------------------------------- */

static bool fail(jl_cur *c, const char *at, const char *what)
{
    c->err_at = at;
    c->what = what;
    return false;
}

static void skip_ws(jl_cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r')) c->p++;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char h = p[i];
        int d = h >= '0' && h <= '9' ? h - '0'
                : h >= 'a' && h <= 'f' ? h - 'a' + 10
                : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                       : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A \u escape at p (pointing at the backslash); returns its length or 0. */
static size_t unicode_escape(jl_cur *c, const char *p, unsigned *cp)
{
    if (c->end - p < 6 || hex4(p + 2) < 0) return fail(c, p, "invalid \\u escape"), 0;
    unsigned u = (unsigned)hex4(p + 2);
    if (u >= 0xDC00 && u <= 0xDFFF) return fail(c, p, "lone low surrogate in \\u escape"), 0;
    if (u < 0xD800 || u > 0xDBFF) {
        *cp = u;
        return 6;
    }
    if (c->end - p < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8) < 0)
        return fail(c, p, "high surrogate not followed by a low surrogate"), 0;
    unsigned lo = (unsigned)hex4(p + 8);
    if (lo < 0xDC00 || lo > 0xDFFF)
        return fail(c, p, "high surrogate not followed by a low surrogate"), 0;
    *cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
    return 12;
}

static bool escape(jl_cur *c, const char **pp)
{
    const char *p = *pp;
    if (p + 1 >= c->end) return fail(c, p, "unterminated string");
    if (p[1] == 'u') {
        unsigned cp;
        size_t n = unicode_escape(c, p, &cp);
        if (!n) return false;
        *pp = p + n;
        return true;
    }
    if (!strchr("\"\\/bfnrt", p[1]) || p[1] == '\0') return fail(c, p, "invalid escape in string");
    *pp = p + 2;
    return true;
}

/* A string at c->p (the opening quote). */
static bool parse_string(jl_cur *c, jl_val *v)
{
    const char *start = c->p + 1, *p = start, *end = c->end;
    bool esc = false;
    for (;;) {
        while (p < end && (uint8_t)*p >= 0x20 && *p != '"' && *p != '\\' && (uint8_t)*p < 0x80)
            p++;
        if (p == end) return fail(c, c->p, "unterminated string");
        uint8_t ch = (uint8_t)*p;
        if (ch == '"') break;
        if (ch == '\\') {
            esc = true;
            if (!escape(c, &p)) return false;
        } else if (ch < 0x20) {
            return fail(c, p, "control character in string (must be escaped)");
        } else {
            size_t bad;
            size_t n = (size_t)(end - p) < 4 ? (size_t)(end - p) : 4;
            const uint8_t *u = (const uint8_t *)p;
            size_t seq = u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : 2;
            if (seq > n || !cairn__utf8_valid(p, seq, &bad)) return fail(c, p, "invalid UTF-8");
            p += seq;
        }
    }
    v->kind = J_STRING;
    v->escaped = esc;
    v->ptr = start;
    v->len = (size_t)(p - start);
    c->p = p + 1;
    return true;
}

static bool digits(const char **pp, const char *end)
{
    const char *p = *pp;
    while (p < end && *p >= '0' && *p <= '9') p++;
    bool any = p > *pp;
    *pp = p;
    return any;
}

static bool parse_number(jl_cur *c, jl_val *v)
{
    const char *s = c->p, *p = s, *end = c->end;
    bool is_int = true;
    if (p < end && *p == '-') p++;
    if (p < end && *p == '0') p++;
    else if (!digits(&p, end)) return fail(c, s, "invalid number");
    if (p < end && *p == '.') {
        p++;
        is_int = false;
        if (!digits(&p, end)) return fail(c, s, "invalid number (no digits after '.')");
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        is_int = false;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (!digits(&p, end)) return fail(c, s, "invalid number (no digits in the exponent)");
    }
    v->ptr = s;
    v->len = (size_t)(p - s);
    if (is_int && cairn__parse_int64(s, v->len, &v->i) == 0) {
        v->kind = J_INT;
    } else {
        v->kind = J_FLOAT;
        if (cairn__parse_float64(s, v->len, &v->f) != 0)
            return fail(c, s, "number out of range for float64");
    }
    c->p = p;
    return true;
}

static bool literal(jl_cur *c, jl_val *v, const char *word, uint8_t kind, bool b)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return fail(c, c->p, "invalid literal (expected true, false or null)");
    v->kind = kind;
    v->b = b;
    v->ptr = c->p;
    v->len = n;
    c->p += n;
    return true;
}

static bool parse_value(jl_cur *c, jl_val *v, int depth);

/* The rest of an array or object after its opening bracket; checked, not kept. */
static bool parse_container(jl_cur *c, int depth)
{
    bool object = *c->p == '{';
    char close = object ? '}' : ']';
    if (depth >= JL_MAX_DEPTH) return fail(c, c->p, "nesting too deep");
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return true;
    }
    for (;;) {
        jl_val v;
        if (object) {
            if (c->p >= c->end || *c->p != '"') return fail(c, c->p, "expected a string key");
            if (!parse_string(c, &v)) return false;
            skip_ws(c);
            if (c->p >= c->end || *c->p != ':') return fail(c, c->p, "expected ':' after a key");
            c->p++;
            skip_ws(c);
        }
        if (!parse_value(c, &v, depth + 1)) return false;
        skip_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            skip_ws(c);
            continue;
        }
        if (c->p < c->end && *c->p == close) {
            c->p++;
            return true;
        }
        return fail(c, c->p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool parse_value(jl_cur *c, jl_val *v, int depth)
{
    if (c->p >= c->end) return fail(c, c->p, "expected a value");
    const char *start = c->p;
    switch (*c->p) {
    case '"': return parse_string(c, v);
    case 't': return literal(c, v, "true", J_BOOL, true);
    case 'f': return literal(c, v, "false", J_BOOL, false);
    case 'n': return literal(c, v, "null", J_NULL, false);
    case '{':
    case '[':
        if (!parse_container(c, depth)) return false;
        v->kind = J_NESTED;
        v->ptr = start;
        v->len = (size_t)(c->p - start);
        return true;
    default:
        if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9')) return parse_number(c, v);
        return fail(c, c->p, "expected a value");
    }
}

/* Decodes the escapes of a string value (already validated) into out. */
static int unescape(const char *p, size_t len, cairn_buf *out)
{
    const char *end = p + len;
    cairn_buf_reset(out);
    int rc = 0;
    while (rc == 0 && p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t n = bs ? (size_t)(bs - p) : (size_t)(end - p);
        rc = cairn_buf_append(out, p, n);
        p += n;
        if (!bs || rc) break;
        char e = p[1];
        if (e == 'u') {
            jl_cur c = {p, end, NULL, NULL};
            unsigned cp = 0;
            size_t used = unicode_escape(&c, p, &cp);
            char u[4];
            size_t k = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (k == 1) u[0] = (char)cp;
            else if (k == 2) u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F));
            else if (k == 3)
                u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
                u[2] = (char)(0x80 | (cp & 0x3F));
            else
                u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
                u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F));
            rc = cairn_buf_append(out, u, k);
            p += used ? used : 2;
            continue;
        }
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *at = strchr(from, e);
        rc = cairn_buf_putc(out, at ? to[at - from] : e);
        p += 2;
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Values -> columns
 * ---------------------------------------------------------------------------------------- */

static const char *kind_name(int kind)
{
    static const char *const names[] = {"null", "boolean", "integer", "number", "string",
                                        "array or object"};
    return kind >= 0 && kind <= J_NESTED ? names[kind] : "value";
}

/* The text of a string value (unescaped into s->str when needed). */
static int string_text(jl_scratch *s, const jl_val *v, const char **p, size_t *len)
{
    if (v->kind != J_STRING || !v->escaped) {
        *p = v->ptr;
        *len = v->len;
        return 0;
    }
    int rc = unescape(v->ptr, v->len, &s->str);
    *p = s->str.data;
    *len = s->str.len;
    return rc;
}

/* The narrowest inferable type of a value (0 for null). */
static cairn_type infer_kind(jl_scratch *s, const jl_val *v)
{
    switch (v->kind) {
    case J_BOOL: return CAIRN_TYPE_BOOL;
    case J_INT: return CAIRN_TYPE_INT64;
    case J_FLOAT: return CAIRN_TYPE_FLOAT64;
    case J_NESTED: return CAIRN_TYPE_STRING;
    case J_STRING: {
        const char *p;
        size_t len;
        if (string_text(s, v, &p, &len) != 0) return CAIRN_TYPE_STRING;
        cairn_type t = cairn__text_infer(p, len);
        return t == CAIRN_TYPE_DATE32 || t == CAIRN_TYPE_TIMESTAMP ? t : CAIRN_TYPE_STRING;
    }
    default: return 0;
    }
}

/* Whether the value fits a column of `type`; the error code (JB_TYPE/JB_RANGE) if not. */
static int fits(jl_scratch *s, const jl_val *v, cairn_type type, bool inferred)
{
    const char *p;
    size_t len;
    int32_t i32;
    int64_t i64;
    switch (type) {
    case CAIRN_TYPE_BOOL: return v->kind == J_BOOL ? 0 : JB_TYPE;
    case CAIRN_TYPE_INT64: return v->kind == J_INT ? 0 : JB_TYPE;
    case CAIRN_TYPE_INT32:
        if (v->kind != J_INT) return JB_TYPE;
        return v->i >= INT32_MIN && v->i <= INT32_MAX ? 0 : JB_RANGE;
    case CAIRN_TYPE_FLOAT32:
    case CAIRN_TYPE_FLOAT64: return v->kind == J_INT || v->kind == J_FLOAT ? 0 : JB_TYPE;
    case CAIRN_TYPE_DATE32:
    case CAIRN_TYPE_TIMESTAMP:
        if (v->kind != J_STRING) return JB_TYPE;
        if (string_text(s, v, &p, &len) != 0) return CAIRN_ENOMEM;
        if (type == CAIRN_TYPE_DATE32) return cairn__parse_date(p, len, &i32) == 0 ? 0 : JB_TYPE;
        return cairn__parse_timestamp(p, len, &i64) == 0 ? 0 : JB_TYPE;
    case CAIRN_TYPE_STRING:
        return v->kind == J_STRING || v->kind == J_NESTED || inferred ? 0 : JB_TYPE;
    }
    return JB_TYPE;
}

static int append_val(jl_scratch *s, cairn__cb *col, const jl_val *v)
{
    const char *p;
    size_t len;
    int32_t i32 = 0;
    int64_t i64 = 0;
    float f32;
    if (v->kind == J_NULL) return cairn__cb_null(col);
    switch (col->type) {
    case CAIRN_TYPE_BOOL: return cairn__cb_bool(col, v->b);
    case CAIRN_TYPE_INT32: return cairn__cb_i32(col, (int32_t)v->i);
    case CAIRN_TYPE_INT64: return cairn__cb_i64(col, v->i);
    case CAIRN_TYPE_FLOAT64: return cairn__cb_f64(col, v->kind == J_INT ? (double)v->i : v->f);
    case CAIRN_TYPE_FLOAT32:
        if (cairn__parse_float32(v->ptr, v->len, &f32) != 0) f32 = (float)v->f;
        return cairn__cb_f32(col, f32);
    default: break;
    }
    int rc = string_text(s, v, &p, &len);
    if (rc) return rc;
    if (col->type == CAIRN_TYPE_DATE32) {
        cairn__parse_date(p, len, &i32); /* checked by fits() */
        return cairn__cb_i32(col, i32);
    }
    if (col->type == CAIRN_TYPE_TIMESTAMP) {
        cairn__parse_timestamp(p, len, &i64);
        return cairn__cb_i64(col, i64);
    }
    return cairn__cb_str(col, p, len);
}

/* ------------------------------------------------------------------------------------------
 * Lines
 * ---------------------------------------------------------------------------------------- */

typedef struct jl_line {
    const char *start, *end; /* without the LF (and a CR before it) */
    int64_t lineno;
} jl_line;

static int64_t char_column(const char *line, const char *at)
{
    int64_t col = 1;
    for (const char *p = line; p < at; p++) col += ((uint8_t)*p & 0xC0) != 0x80;
    return col;
}

static void bad_at(jl_reader *r, cairn__chunk *ch, const jl_line *ln, const char *at, int kind,
                   int code, const char *tok, size_t tok_len)
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
    b.field = -1;
    b.tok_off = tok ? (size_t)(tok - r->tr.data) : 0;
    b.tok_len = tok ? tok_len : 0;
    cairn__chunk_bad(&r->tr, ch, &b);
}

static void bad_syntax(jl_reader *r, cairn__chunk *ch, const jl_line *ln, const jl_cur *c)
{
    size_t left = (size_t)(ln->end - c->err_at);
    bad_at(r, ch, ln, c->err_at, JB_SYNTAX, CAIRN_EPARSE, c->err_at, left < 1 ? 0 : 1);
    if (ch->rc == 0) ch->bad[ch->nbad - 1].what = c->what;
}

/* How a member or a line went. */
enum jl_step { STEP_OK = 0, STEP_SYNTAX, STEP_BAD, STEP_NOMEM };

/* A key not in the schema: a new column (inferred; its chunk-local index + ncols is put in
 * *col), skipped (*col = -1), or a bad row. */
static int unknown_key(jl_reader *r, cairn__chunk *ch, const jl_line *ln, const char *key_at,
                       const char *key, size_t len, size_t raw_len, int64_t *col)
{
    *col = -1;
    if (!r->tr.schema.inferred) {
        if (r->tr.opts->ignore_unknown) return STEP_OK;
        bad_at(r, ch, ln, key_at, JB_UNKNOWN_KEY, CAIRN_EPARSE, key_at + 1, raw_len);
        return STEP_BAD;
    }
    jl_new_keys *nk = ch->fmt_state;
    if (!nk) {
        nk = ch->fmt_state = cairn_calloc(1, sizeof *nk);
        if (!nk) return STEP_NOMEM;
    }
    int64_t i = cairn__schema_find(&nk->keys, key, len);
    if (i < 0) {
        if (cairn__schema_add(&nk->keys, key, len, 0, true) != 0) return STEP_NOMEM;
        i = (int64_t)nk->keys.ncols - 1;
    }
    ch->needs_reparse = true;
    *col = (int64_t)ch->ncols + i;
    return STEP_OK;
}

/* Files a parsed member into its column's cell. */
static int place(jl_reader *r, cairn__chunk *ch, jl_scratch *s, const jl_line *ln,
                 const char *key_at, const char *val_at, const jl_val *k, const jl_val *v,
                 size_t *hint)
{
    const char *key = k->ptr;
    size_t klen = k->len;
    if (k->escaped) {
        if (unescape(k->ptr, k->len, &s->key) != 0) return STEP_NOMEM;
        key = s->key.data;
        klen = s->key.len;
        if (memchr(key, '\0', klen)) { /* column names are C strings */
            bad_at(r, ch, ln, key_at, JB_NUL_KEY, CAIRN_EPARSE, key_at + 1, k->len);
            return STEP_BAD;
        }
    }
    int64_t col = find_column(r, key, klen, *hint);
    if (col < 0) {
        int st = unknown_key(r, ch, ln, key_at, key, klen, k->len, &col);
        if (st != STEP_OK || col < 0) return st;
        jl_new_keys *nk = ch->fmt_state; /* a new key: only its type matters this pass */
        size_t i = (size_t)col - ch->ncols;
        nk->keys.types[i] = cairn__type_join(nk->keys.types[i], infer_kind(s, v));
        return STEP_OK;
    }
    if (s->stamps[col] == s->stamp) {
        bad_at(r, ch, ln, key_at, JB_DUP_KEY, CAIRN_EPARSE, key_at + 1, k->len);
        return STEP_BAD;
    }
    s->stamps[col] = s->stamp;
    s->cells[col] = *v;
    s->keys[col] = val_at;
    *hint = (size_t)col + 1;
    return STEP_OK;
}

/* One member "key": value. */
static int member(jl_reader *r, cairn__chunk *ch, jl_scratch *s, const jl_line *ln, jl_cur *c,
                  size_t *hint)
{
    jl_val k, v;
    const char *key_at = c->p;
    if (c->p >= c->end || *c->p != '"') return fail(c, c->p, "expected a string key"), STEP_SYNTAX;
    if (!parse_string(c, &k)) return STEP_SYNTAX;
    skip_ws(c);
    if (c->p >= c->end || *c->p != ':') return fail(c, c->p, "expected ':' after a key"), STEP_SYNTAX;
    c->p++;
    skip_ws(c);
    const char *val_at = c->p;
    if (!parse_value(c, &v, 1)) return STEP_SYNTAX;
    return place(r, ch, s, ln, key_at, val_at, &k, &v, hint);
}

static int not_object(jl_reader *r, cairn__chunk *ch, const jl_line *ln, jl_cur *c)
{
    jl_val v;
    const char *at = c->p;
    bool ok = parse_value(c, &v, 0);
    bad_at(r, ch, ln, at, JB_NOT_OBJECT, CAIRN_EPARSE, at, ok ? v.len : 1);
    if (ch->rc == 0) ch->bad[ch->nbad - 1].a = ok ? v.kind : -1;
    return STEP_BAD;
}

/* The members of the line's object, staged into s. */
static int parse_line(jl_reader *r, cairn__chunk *ch, jl_scratch *s, const jl_line *ln,
                      jl_cur *c)
{
    size_t hint = 0;
    skip_ws(c);
    if (*c->p != '{') return not_object(r, ch, ln, c); /* the line is not blank */
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
    } else {
        for (;;) {
            int st = member(r, ch, s, ln, c, &hint);
            if (st != STEP_OK) return st;
            skip_ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                skip_ws(c);
                continue;
            }
            if (c->p < c->end && *c->p == '}') {
                c->p++;
                break;
            }
            return fail(c, c->p, "expected ',' or '}'"), STEP_SYNTAX;
        }
    }
    skip_ws(c);
    if (c->p < c->end) return fail(c, c->p, "unexpected text after the object"), STEP_SYNTAX;
    return STEP_OK;
}

static void bad_value(jl_reader *r, cairn__chunk *ch, jl_scratch *s, const jl_line *ln,
                      size_t c, int kind)
{
    const jl_val *v = &s->cells[c];
    const char *tok = v->kind == J_STRING ? v->ptr - 1 : v->ptr; /* with the quotes */
    size_t tok_len = v->kind == J_STRING ? v->len + 2 : v->len;
    int code = kind == JB_RANGE ? CAIRN_ERANGE : CAIRN_ETYPE;
    if (kind == JB_NULL) tok = NULL;
    bad_at(r, ch, ln, s->keys[c], kind, code, tok, tok_len);
    if (ch->rc) return;
    cairn__bad_row *b = &ch->bad[ch->nbad - 1];
    b->field = (int64_t)c;
    b->a = r->tr.schema.types[c];
    b->b = kind == JB_NULL ? s->keys[c] == NULL : v->kind;
}

/* strings_as_text: a string holding a number or boolean, for a column of that type, becomes
 * that value (left as it is when its text does not parse: fits() then reports it). */
static int text_as_value(jl_scratch *s, jl_val *v, cairn_type type)
{
    const char *p;
    size_t len;
    bool b;
    int64_t i;
    double d;
    if (type == CAIRN_TYPE_STRING || type == CAIRN_TYPE_DATE32 || type == CAIRN_TYPE_TIMESTAMP)
        return 0;
    if (string_text(s, v, &p, &len) != 0) return CAIRN_ENOMEM;
    if (type == CAIRN_TYPE_BOOL) {
        if (cairn__parse_bool(p, len, &b) == 0) v->kind = J_BOOL, v->b = b;
    } else if (type == CAIRN_TYPE_INT32 || type == CAIRN_TYPE_INT64) {
        if (cairn__parse_int64(p, len, &i) == 0) v->kind = J_INT, v->i = i;
    } else if (cairn__parse_float64(p, len, &d) == 0) {
        if (cairn__parse_int64(p, len, &i) == 0) v->kind = J_INT, v->i = i;
        else v->kind = J_FLOAT, v->f = d;
        v->ptr = p, v->len = len; /* float32 re-parses the text */
    }
    return 0;
}

/* Checks every column's cell against its type (missing keys are null). */
static int stage_columns(jl_reader *r, cairn__chunk *ch, jl_scratch *s, const jl_line *ln)
{
    const cairn__schema *sc = &r->tr.schema;
    for (size_t c = 0; c < ch->ncols; c++) {
        jl_val *v = &s->cells[c];
        if (s->stamps[c] != s->stamp) {
            v->kind = J_NULL;
            s->keys[c] = NULL;
        }
        if (v->kind == J_NULL) {
            if (sc->nullable[c]) continue;
            bad_value(r, ch, s, ln, c, JB_NULL);
            return STEP_BAD;
        }
        if (v->kind == J_STRING && !sc->inferred && r->tr.opts->strings_as_text &&
            text_as_value(s, v, sc->types[c]) == CAIRN_ENOMEM)
            return STEP_NOMEM;
        int f = fits(s, v, sc->types[c], sc->inferred);
        if (f == CAIRN_ENOMEM) return STEP_NOMEM;
        if (f == 0) continue;
        if (!sc->inferred) {
            bad_value(r, ch, s, ln, c, f);
            return STEP_BAD;
        }
        cairn_type t = cairn__type_join(sc->types[c], infer_kind(s, v));
        ch->widen[c] = cairn__type_join(ch->widen[c], t);
        ch->needs_reparse = true;
    }
    return STEP_OK;
}

/* Returns false when the chunk must stop. */
static bool jl_row(jl_reader *r, cairn__chunk *ch, jl_scratch *s, const jl_line *ln)
{
    jl_cur c = {ln->start, ln->end, NULL, NULL};
    s->stamp++;
    int st = parse_line(r, ch, s, ln, &c);
    if (st == STEP_SYNTAX) bad_syntax(r, ch, ln, &c);
    if (st == STEP_OK) st = stage_columns(r, ch, s, ln);
    if (st == STEP_NOMEM) ch->rc = CAIRN_ENOMEM;
    if (st != STEP_OK) return ch->rc == 0 && r->tr.collect;
    ch->rows_ok++;
    if (ch->needs_reparse) return true; /* this pass only gathers types and keys */
    for (size_t col = 0; col < ch->ncols; col++) {
        int rc = append_val(s, &ch->cols[col], &s->cells[col]);
        if (rc) {
            ch->rc = rc;
            return false;
        }
    }
    return true;
}

static void scratch_release(jl_scratch *s)
{
    cairn_free(s->cells);
    cairn_free(s->keys);
    cairn_free(s->stamps);
    cairn_buf_release(&s->key);
    cairn_buf_release(&s->str);
    s->cells = NULL;
    s->keys = NULL;
    s->stamps = NULL;
}

static int scratch_init(jl_scratch *s, size_t ncols)
{
    memset(s, 0, sizeof *s);
    cairn_buf_init(&s->key, 0);
    cairn_buf_init(&s->str, 0);
    s->ncols = ncols;
    s->cells = cairn_calloc(ncols + 1, sizeof *s->cells);
    s->keys = cairn_calloc(ncols + 1, sizeof *s->keys);
    s->stamps = cairn_calloc(ncols + 1, sizeof *s->stamps);
    if (!s->cells || !s->keys || !s->stamps) {
        scratch_release(s);
        return CAIRN_ENOMEM;
    }
    return 0;
}

static bool blank(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r') return false;
    return true;
}

static const char *next_line(const char *p, const char *end, jl_line *ln)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    ln->start = p;
    ln->end = nl ? nl : end;
    if (ln->end > p && ln->end[-1] == '\r') ln->end--;
    return nl ? nl + 1 : end;
}

static void jl_parse_chunk(cairn__text_reader *tr, cairn__chunk *ch)
{
    jl_reader *r = (jl_reader *)tr;
    jl_scratch s;
    if ((ch->rc = scratch_init(&s, ch->ncols)) != 0) return;
    const char *p = ch->begin, *end = ch->end;
    int64_t line = ch->first_line;
    unsigned tick = 0;
    while (p < end) {
        if (tr->max_rows && ch->rows_ok >= tr->max_rows) break;
        jl_line ln;
        const char *next = next_line(p, end, &ln);
        ln.lineno = line++;
        p = next;
        if (blank(ln.start, ln.end)) continue;
        if ((++tick & 4095) == 0 && !cairn__chunk_tick(tr, ch, ln.start)) break;
        if (!jl_row(r, ch, &s, &ln)) break;
        ch->rows_seen++;
    }
    scratch_release(&s);
}

/* ------------------------------------------------------------------------------------------
 * Describing bad rows
 * ---------------------------------------------------------------------------------------- */

static void jl_describe(cairn__text_reader *tr, const cairn__bad_row *b, cairn_error *e)
{
    const char *tok = tr->data + b->tok_off;
    cairn_error_at(e, tr->name, b->line, b->column);
    if (b->field >= 0) cairn_error_field(e, tr->schema.names[b->field]);
    switch (b->kind) {
    case JB_SYNTAX:
        cairn_error_set(e, b->code, "invalid JSON: %s", b->what ? b->what : "syntax error");
        if (b->tok_len) cairn_error_expect(e, NULL, tok, b->tok_len);
        else snprintf(e->found, sizeof e->found, "end of line");
        break;
    case JB_NOT_OBJECT:
        cairn_error_set(e, b->code, "each line must hold one JSON object");
        cairn_error_expect(e, "object", NULL, 0);
        snprintf(e->found, sizeof e->found, "%s",
                 b->a < 0           ? "invalid JSON"
                 : b->a == J_NESTED ? (*tok == '[' ? "array" : "object")
                                    : kind_name((int)b->a));
        break;
    case JB_NUL_KEY:
        cairn_error_set(e, b->code, "key holds a NUL character (\\u0000), which a column name "
                                    "cannot");
        break;
    case JB_DUP_KEY:
    case JB_UNKNOWN_KEY: {
        char key[128];
        size_t n = b->tok_len < sizeof key - 1 ? b->tok_len : sizeof key - 1;
        memcpy(key, tok, n);
        key[n] = '\0';
        cairn_error_field(e, key);
        cairn_error_set(e, b->code, b->kind == JB_DUP_KEY ? "duplicate key '%s' in the object"
                                                          : "key '%s' is not in the schema", key);
        break;
    }
    case JB_TYPE:
    case JB_RANGE: {
        const char *tn = cairn_type_name((cairn_type)b->a);
        if (b->kind == JB_RANGE) cairn_error_set(e, b->code, "value out of range for %s", tn);
        else cairn_error_set(e, b->code, "expected %s, found %s", tn, kind_name((int)b->b));
        cairn_error_expect(e, tn, tok, b->tok_len);
        break;
    }
    case JB_NULL:
        cairn_error_set(e, b->code, b->b ? "missing key for a non-nullable field"
                                         : "null in a non-nullable field");
        cairn_error_expect(e, cairn_type_name(tr->schema.types[b->field]), NULL, 0);
        snprintf(e->found, sizeof e->found, "%s", b->b ? "no key" : "null");
        break;
    default: cairn_error_set(e, CAIRN_EINTERNAL, "unknown bad row kind %d", b->kind);
    }
}

/* New keys met by the chunks join the schema in first-seen order. */
static int jl_reshape(cairn__text_reader *tr, cairn__chunk *chunks, size_t n)
{
    jl_reader *r = (jl_reader *)tr;
    cairn__schema *sc = &tr->schema;
    bool added = false;
    for (size_t i = 0; i < n; i++) {
        const jl_new_keys *nk = chunks[i].fmt_state;
        for (size_t k = 0; nk && k < nk->keys.ncols; k++) {
            const char *name = nk->keys.names[k];
            int64_t c = cairn__schema_find(sc, name, strlen(name));
            if (c >= 0) {
                sc->types[c] = cairn__type_join(sc->types[c], nk->keys.types[k]);
                continue;
            }
            int rc = cairn__schema_add(sc, name, strlen(name), nk->keys.types[k], true);
            if (rc) return rc;
            added = true;
        }
    }
    for (size_t c = 0; c < sc->ncols; c++)
        if (sc->types[c] == 0) sc->types[c] = CAIRN_TYPE_STRING;
    return added ? build_index(r) : 0;
}

static void jl_chunk_release(cairn__text_reader *tr, cairn__chunk *ch)
{
    jl_new_keys *nk = ch->fmt_state;
    cairn__schema_release(&nk->keys);
    cairn_free(nk);
    ch->fmt_state = NULL;
    (void)tr;
}

static const cairn__tr_ops jl_ops = {
    .parse_chunk = jl_parse_chunk,
    .describe = jl_describe,
    .reshape = jl_reshape,
    .chunk_release = jl_chunk_release,
};

/* ------------------------------------------------------------------------------------------
 * Setup: schema, sampling, chunks
 * ---------------------------------------------------------------------------------------- */

/* Keys and types of the first rows (inferred), and the average row size. */
static int sample(jl_reader *r, int64_t rows)
{
    cairn__schema *sc = &r->tr.schema;
    const char *p = r->body, *end = r->tr.data + r->tr.len;
    jl_scratch s;
    int rc = scratch_init(&s, 0);
    int64_t seen = 0;
    while (rc == 0 && p < end && seen < rows) {
        jl_line ln;
        p = next_line(p, end, &ln);
        if (blank(ln.start, ln.end)) continue;
        seen++;
        if (!sc->inferred) continue;
        jl_cur c = {ln.start, ln.end, NULL, NULL};
        skip_ws(&c);
        if (c.p >= c.end || *c.p != '{') continue;
        c.p++;
        for (;;) { /* members, until anything unexpected: the parse proper reports it */
            jl_val k, v;
            skip_ws(&c);
            if (c.p >= c.end || *c.p != '"' || !parse_string(&c, &k)) break;
            skip_ws(&c);
            if (c.p >= c.end || *c.p != ':') break;
            c.p++;
            skip_ws(&c);
            if (!parse_value(&c, &v, 1)) break;
            const char *key = k.ptr;
            size_t klen = k.len;
            if (k.escaped) {
                if ((rc = unescape(k.ptr, k.len, &s.key)) != 0) break;
                key = s.key.data;
                klen = s.key.len;
                if (memchr(key, '\0', klen)) break; /* a bad row: the parse reports it */
            }
            int64_t col = cairn__schema_find(sc, key, klen);
            if (col < 0 && (rc = cairn__schema_add(sc, key, klen, 0, true)) != 0) break;
            if (col < 0) col = (int64_t)sc->ncols - 1;
            sc->types[col] = cairn__type_join(sc->types[col], infer_kind(&s, &v));
            skip_ws(&c);
            if (c.p >= c.end || *c.p != ',') break;
            c.p++;
        }
    }
    if (seen > 0) r->tr.est_row_bytes = (int64_t)(p - r->body) / seen + 1;
    for (size_t c = 0; c < sc->ncols; c++)
        if (sc->types[c] == 0) sc->types[c] = CAIRN_TYPE_STRING;
    scratch_release(&s);
    return rc;
}

static int jl_setup(jl_reader *r, cairn_error *err)
{
    const cairn_read_options *o = r->tr.opts;
    cairn__schema *sc = &r->tr.schema;
    r->body = r->tr.data;
    r->body_line = 1;
    if (r->tr.len >= 3 && memcmp(r->body, "\xEF\xBB\xBF", 3) == 0) r->body += 3;
    if (o->max_rows < 0 || o->infer_rows < 0)
        return cairn_error_set(err, CAIRN_EINVAL, "max_rows and infer_rows must not be negative");
    int rc = 0;
    if (o->fields && o->nfields > 0) {
        for (size_t j = 0; rc == 0 && j < o->nfields; j++) {
            const char *nm = o->fields[j].name;
            if (!nm) return cairn_error_set(err, CAIRN_EINVAL, "field %zu of the schema has no name", j);
            if (cairn__schema_find(sc, nm, strlen(nm)) >= 0)
                return cairn_error_set(err, CAIRN_EINVAL, "the schema names '%s' twice", nm);
            rc = cairn__schema_add(sc, nm, strlen(nm), o->fields[j].type, o->fields[j].nullable);
        }
        if (rc == 0) rc = sample(r, 1000);
    } else {
        sc->inferred = true;
        rc = sample(r, o->infer_rows > 0 ? o->infer_rows : 20000);
    }
    return rc ? rc : build_index(r);
}

typedef struct lf_part {
    const char *from, *to;
    int64_t lfs;
} lf_part;

static void count_lf_task(void *arg, size_t i)
{
    lf_part *part = &((lf_part *)arg)[i];
    int64_t n = 0;
    for (const char *p = part->from; p < part->to; p++) n += *p == '\n';
    part->lfs = n;
}

/* Cuts the body at line ends (one chunk when sequential). */
static int jl_split(jl_reader *r, int nthreads, cairn__chunk **out, size_t *count)
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
    if (n > 1) r->tr.end_line = r->body_line + lfs + parts[n - 1].lfs; /* all LFs counted */
    cairn_free(parts);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Reader API
 * ---------------------------------------------------------------------------------------- */

int cairn_jsonl_read(const char *data, size_t len, const char *name,
                     const cairn_read_options *opts, cairn_table **out, cairn_error *err)
{
    cairn_read_options defaults;
    if (!opts) {
        cairn_read_options_init(&defaults);
        opts = &defaults;
    }
    jl_reader r;
    memset(&r, 0, sizeof r);
    cairn__tr_init(&r.tr, &jl_ops, &r, data, len, name, "<jsonl>", opts);
    int nthreads = cairn__tr_threads(opts);
    cairn__chunk *chunks = NULL;
    size_t n = 0;
    cairn_table *t = NULL;
    int rc = jl_setup(&r, err);
    if (rc == 0) rc = jl_split(&r, nthreads, &chunks, &n);
    if (rc == 0) rc = cairn__tr_run(&r.tr, chunks, n, nthreads, &t, err);
    if (rc == CAIRN_ENOMEM && err && err->code != CAIRN_ENOMEM)
        cairn_error_set(err, rc, "reading %s: out of memory", r.tr.name);
    cairn_free(chunks);
    cairn_free(r.slots);
    cairn__schema_release(&r.tr.schema);
    if (rc == 0) *out = t;
    return rc;
}

int cairn_jsonl_read_file(const char *path, const cairn_read_options *opts, cairn_table **out,
                          cairn_error *err)
{
    cairn_mapped map;
    int rc = cairn_file_map(path, &map, err);
    if (rc) return rc;
    rc = cairn_jsonl_read(map.data, map.len, path, opts, out, err);
    cairn_file_unmap(&map);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Writer
 * ---------------------------------------------------------------------------------------- */

static int put_json_value(cairn__day_cache *days, const cairn_column *col, int64_t row,
                          cairn_buf *out)
{
    char tmp[CAIRN__FMT_LEN + 2];
    size_t n;
    if (!cairn_column_is_valid(col, row)) return cairn_buf_append(out, "null", 4);
    switch (col->type) {
    case CAIRN_TYPE_BOOL:
        return cairn_bit_get(col->values, row) ? cairn_buf_append(out, "true", 4)
                                               : cairn_buf_append(out, "false", 5);
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_INT64: return cairn__fmt_cell(days, col, row, out);
    case CAIRN_TYPE_FLOAT64: return cairn_json_put_double(out, cairn_column_f64(col, row));
    case CAIRN_TYPE_FLOAT32: {
        cairn_value v;
        cairn_column_get(col, row, &v);
        if (!isfinite(v.v.f32)) return cairn_buf_append(out, "null", 4);
        return cairn_value_format(&v, NULL, out); /* shortest float32 text */
    }
    case CAIRN_TYPE_STRING: {
        const char *s = cairn_column_str(col, row, &n);
        return cairn_json_put_string(out, s, n);
    }
    case CAIRN_TYPE_TIMESTAMP:
    case CAIRN_TYPE_DATE32:
        tmp[0] = '"';
        n = col->type == CAIRN_TYPE_TIMESTAMP
                ? cairn__fmt_timestamp(days, cairn_column_i64(col, row), tmp + 1)
                : cairn__fmt_date(days, cairn_column_i32(col, row), tmp + 1);
        tmp[n + 1] = '"';
        return cairn_buf_append(out, tmp, n + 2);
    }
    return CAIRN_EINTERNAL;
}

/* "\"name\":" for each column, rendered once. */
static int render_keys(const cairn_table *t, cairn_buf *keys, size_t *offs)
{
    size_t n = cairn_table_num_columns(t);
    int rc = 0;
    for (size_t c = 0; rc == 0 && c < n; c++) {
        const char *name = cairn_table_column(t, c)->name;
        offs[c] = keys->len;
        rc = cairn_json_put_string(keys, name, strlen(name));
        if (rc == 0) rc = cairn_buf_putc(keys, ':');
    }
    offs[n] = keys->len;
    return rc;
}

static int put_json_row(const cairn_table *t, const cairn_buf *keys, const size_t *offs,
                        cairn__day_cache *days, int64_t row, cairn_buf *out)
{
    size_t n = cairn_table_num_columns(t);
    int rc = cairn_buf_putc(out, '{');
    for (size_t c = 0; rc == 0 && c < n; c++) {
        if (c > 0) rc = cairn_buf_putc(out, ',');
        if (rc == 0) rc = cairn_buf_append(out, keys->data + offs[c], offs[c + 1] - offs[c]);
        if (rc == 0) rc = put_json_value(days, cairn_table_column(t, c), row, out);
    }
    return rc ? rc : cairn_buf_append(out, "}\n", 2);
}

typedef struct jl_writer {
    cairn_buf keys;
    size_t *offs;
    cairn__day_cache days;
} jl_writer;

static int jl_writer_init(jl_writer *w, const cairn_table *t)
{
    cairn_buf_init(&w->keys, 0);
    w->days.valid = false;
    w->offs = cairn_calloc(cairn_table_num_columns(t) + 1, sizeof *w->offs);
    if (!w->offs) return CAIRN_ENOMEM;
    return render_keys(t, &w->keys, w->offs);
}

static void jl_writer_release(jl_writer *w)
{
    cairn_buf_release(&w->keys);
    cairn_free(w->offs);
}

int cairn_jsonl_write(const cairn_table *table, const cairn_write_options *opts,
                      cairn_buf *out, cairn_error *err)
{
    (void)opts;
    jl_writer w;
    size_t mark = out->len;
    int rc = jl_writer_init(&w, table);
    int64_t rows = cairn_table_num_rows(table);
    for (int64_t i = 0; rc == 0 && i < rows; i++) rc = put_json_row(table, &w.keys, w.offs, &w.days, i, out);
    jl_writer_release(&w);
    if (rc) {
        out->len = mark;
        out->data[mark] = '\0';
        return cairn_error_set(err, rc, "writing JSON Lines: %s", cairn_strerror(rc));
    }
    return 0;
}

int cairn_jsonl_write_file(const cairn_table *table, const char *path,
                           const cairn_write_options *opts, cairn_error *err)
{
    (void)opts;
    jl_writer w;
    cairn__sink sink;
    int rc = cairn__sink_open(&sink, path, err);
    if (rc) return rc;
    rc = jl_writer_init(&w, table);
    int64_t rows = cairn_table_num_rows(table);
    for (int64_t i = 0; rc == 0 && i < rows; i++) {
        rc = put_json_row(table, &w.keys, w.offs, &w.days, i, &sink.buf);
        if (rc == 0) rc = cairn__sink_maybe_flush(&sink, err);
    }
    if (rc == CAIRN_ENOMEM || rc == CAIRN_ELIMIT)
        cairn_error_set(err, rc, "writing %s: %s", path, cairn_strerror(rc));
    if (rc == 0) rc = cairn__sink_commit(&sink, err);
    cairn__sink_abort(&sink);
    jl_writer_release(&w);
    return rc;
}
