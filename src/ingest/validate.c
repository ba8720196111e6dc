/* src/ingest/validate.c: record validation: every row of a parsed table against the field
 * constraints of a dataset schema (cairn_validate_records).
 *
 * How it works. Each schema field becomes a `plan`: its column, its bounds converted once to
 * the column's own units (int64 for integers, timestamps and dates, double for floats), its
 * allowed values parsed to the same units, and its compiled pattern. Rows are cut into chunks
 * of CHUNK_ROWS checked on the default thread pool; a chunk scans one field at a time (tight
 * loops over the column buffers) and records compact `pending` violations (row, field, kind,
 * aux); the per-field runs, each in row order, are merged into (row, field, kind) order, so
 * the concatenation of the chunks is ordered. String rules (allowed, max_length, pattern) are
 * evaluated once per distinct value: for a dictionary column once per dictionary entry (before the
 * chunks, in parallel), for a plain column once per distinct value of the chunk (a small
 * open-addressing table keyed by XXH3). `unique` needs the whole column and runs after the chunks
 * in one pass per unique field (a hash table from value to first row); its violations are merged
 * in. Reasons are formatted last, in parallel, straight into the caller's array.
 *
 * Invariants: violations come ordered by row, then field index, then kind (null, below min,
 * above max, not allowed, too long, pattern, duplicate); a null value gets only the
 * non-nullable check; row numbers in reasons are 0-based table rows like
 * cairn_violation.row. Nothing is returned on failure.
 *
 * Tests: tests/unit/ingest/test_validate.c.
 */
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_internal.h"

#define CHUNK_ROWS ((int64_t)1 << 16)
#define DICT_CHUNK ((int64_t)4096)

/* Violation kinds, in the order they are reported within a field. */
enum {
    V_NULL = 0,
    V_NAN = 1,
    V_BELOW = 2,
    V_ABOVE = 3,
    V_NOT_ALLOWED = 4,
    V_TOO_LONG = 5,
    V_NO_MATCH = 6,
    V_DUPLICATE = 7,
};

/* String verdict bits, evaluated once per distinct value. */
enum {
    S_NOT_ALLOWED = 1,
    S_TOO_LONG = 2,
    S_NO_MATCH = 4,
    S_KNOWN = 128, /* the verdict has been computed */
};

typedef enum domain { D_INT, D_FLOAT, D_BOOL, D_STRING } domain;

typedef struct pending {
    int64_t row;
    int32_t field;
    int32_t kind;
    int64_t aux; /* V_DUPLICATE: the first row */
} pending;

typedef struct plist {
    pending *items;
    size_t count, cap;
} plist;

typedef struct plan {
    const cairn_dataset_field *f;
    int32_t index;
    const cairn_column *col;
    domain dom;
    bool narrow; /* D_INT: int32 storage (INT32, DATE32) */
    bool has_lo, has_hi;
    int64_t lo_i, hi_i;
    double lo_d, hi_d;
    int64_t *allowed_i; /* D_INT allowed values in column units */
    double *allowed_d;  /* D_FLOAT */
    bool allowed_b[2];  /* D_BOOL: allowed_b[v] */
    size_t nallowed;    /* parsed allowed values (non-strings) */
    bool string_rules;  /* D_STRING with allowed, max_length or pattern */
    bool has_re;
    regex_t re;
    uint8_t *dict_mask; /* per dictionary entry (S_* bits) */
    bool active;        /* anything to check per row */
} plan;

typedef struct job {
    plan *plans;
    size_t nplans;
    int64_t rows;
    plist *chunks;
    int *chunk_rc;
    size_t nchunks;
    /* reason formatting */
    const pending *all;
    cairn_violation *out;
    size_t nall;
} job;

/* ------------------------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------------------------- */

static int plist_add(plist *l, int64_t row, int32_t field, int32_t kind, int64_t aux)
{
    if (l->count == l->cap &&
        cairn_grow((void **)&l->items, &l->cap, l->count + 1, sizeof *l->items))
        return CAIRN_ENOMEM;
    l->items[l->count++] = (pending){row, field, kind, aux};
    return 0;
}

static int pending_cmp(const void *a, const void *b)
{
    const pending *x = a, *y = b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    if (x->field != y->field) return x->field < y->field ? -1 : 1;
    return (x->kind > y->kind) - (x->kind < y->kind);
}

static bool is_int_storage(cairn_type t)
{
    return t == CAIRN_TYPE_INT32 || t == CAIRN_TYPE_INT64 || t == CAIRN_TYPE_TIMESTAMP ||
           t == CAIRN_TYPE_DATE32;
}

static bool is_time(cairn_type t)
{
    return t == CAIRN_TYPE_TIMESTAMP || t == CAIRN_TYPE_DATE32;
}

static int64_t int_at(const cairn_column *c, bool narrow, int64_t row)
{
    return narrow ? cairn_column_i32(c, row) : cairn_column_i64(c, row);
}

static double float_at(const cairn_column *c, int64_t row)
{
    return c->type == CAIRN_TYPE_FLOAT32 ? ((const float *)c->values)[row]
                                         : cairn_column_f64(c, row);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* A field bound (widened value) in the units of column type `ct`, rounded inward. */
static void bound_to_int(const cairn_value *v, cairn_type ct, bool upper, int64_t *out)
{
    if (v->type == CAIRN_TYPE_FLOAT64 || v->type == CAIRN_TYPE_FLOAT32) {
        double d = v->type == CAIRN_TYPE_FLOAT64 ? v->v.f64 : v->v.f32;
        d = upper ? floor(d) : ceil(d);
        *out = d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d;
        return;
    }
    int64_t x = v->type == CAIRN_TYPE_INT32 || v->type == CAIRN_TYPE_DATE32 ? v->v.i32 : v->v.i64;
    if (v->type == CAIRN_TYPE_DATE32 && ct == CAIRN_TYPE_TIMESTAMP) {
        *out = x * CAIRN_US_PER_DAY;
    } else if (v->type == CAIRN_TYPE_TIMESTAMP && ct == CAIRN_TYPE_DATE32) {
        int64_t days = floor_div(x, CAIRN_US_PER_DAY);
        *out = upper || days * CAIRN_US_PER_DAY == x ? days : days + 1;
    } else {
        *out = x;
    }
}

/* A bound for a float column; rounded to float32 for a float32 column, so that "max: 0.1"
 * admits the float32 nearest 0.1. */
static double bound_to_double(const cairn_value *v, cairn_type ct)
{
    double d = 0;
    cairn_value_as_double(v, &d);
    return ct == CAIRN_TYPE_FLOAT32 && fabs(d) < 3.4e38 ? (double)(float)d : d;
}

/* The shortest text that reads back as the same float32. */
static void float32_text(float f, char *out, size_t cap)
{
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(out, cap, "%.*g", digits, (double)f);
        if (strtof(out, NULL) == f) return;
    }
}

/* Text of a value for a reason: numbers shortest round-trip, times ISO-8601. */
static void value_text(const cairn_value *v, char *out, size_t cap)
{
    switch (v->type) {
    case CAIRN_TYPE_BOOL:
        snprintf(out, cap, "%s", v->v.b ? "true" : "false");
        return;
    case CAIRN_TYPE_INT32:
        snprintf(out, cap, "%d", (int)v->v.i32);
        return;
    case CAIRN_TYPE_INT64:
        snprintf(out, cap, "%lld", (long long)v->v.i64);
        return;
    case CAIRN_TYPE_FLOAT32:
        float32_text(v->v.f32, out, cap);
        return;
    case CAIRN_TYPE_FLOAT64:
        cairn_format_double(v->v.f64, out, cap);
        return;
    case CAIRN_TYPE_TIMESTAMP:
        cairn_time_format(v->v.i64, out, cap);
        return;
    case CAIRN_TYPE_DATE32:
        cairn_date_format(v->v.i32, out, cap);
        return;
    case CAIRN_TYPE_STRING:
        break;
    }
    snprintf(out, cap, "%.*s", (int)v->v.str.len, v->v.str.ptr);
}

/* 'text' quoted, cut to at most 40 bytes on a UTF-8 boundary (then "..."), control bytes
 * shown as '?'. */
static void quote_text(const char *s, size_t len, char *out, size_t cap)
{
    size_t keep = len, n = 0;
    if (keep > 40) {
        keep = 40;
        while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
            keep--;
    }
    if (cap < 8) return (void)(out[0] = '\0');
    out[n++] = '\'';
    for (size_t i = 0; i < keep && n + 6 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[n++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    if (keep < len && n + 5 < cap) out[n++] = '.', out[n++] = '.', out[n++] = '.';
    out[n++] = '\'';
    out[n] = '\0';
}

/* ------------------------------------------------------------------------------------------
 * Plans: one per field, built before any row is looked at
 * ---------------------------------------------------------------------------------------- */

static bool types_compatible(cairn_type field, cairn_type column)
{
    if (field == column) return true;
    if (cairn_type_is_numeric(field)) return cairn_type_is_numeric(column);
    return is_time(field) && is_time(column);
}

/* The pattern anchored at both ends, as schema.c checked it at load time. */
static int pattern_compile(const char *pattern, regex_t *re)
{
    size_t n = strlen(pattern) + 5;
    char *anchored = cairn_malloc(n);
    if (!anchored) return CAIRN_ENOMEM;
    snprintf(anchored, n, "^(%s)$", pattern);
    int rc = regcomp(re, anchored, REG_EXTENDED | REG_NOSUB);
    cairn_free(anchored);
    return rc == 0 ? 0 : rc == REG_ESPACE ? CAIRN_ENOMEM : CAIRN_EPARSE;
}

static int parse_allowed(plan *p, cairn_error *err)
{
    const cairn_dataset_field *f = p->f;
    cairn_type ct = p->col->type;
    if (p->dom == D_STRING || !f->nallowed) return 0;
    if (p->dom == D_INT) p->allowed_i = cairn_calloc(f->nallowed, sizeof *p->allowed_i);
    if (p->dom == D_FLOAT) p->allowed_d = cairn_calloc(f->nallowed, sizeof *p->allowed_d);
    if ((p->dom == D_INT && !p->allowed_i) || (p->dom == D_FLOAT && !p->allowed_d))
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    for (size_t i = 0; i < f->nallowed; i++) {
        const char *s = f->allowed[i];
        char *end;
        int64_t x = 0;
        int32_t days;
        bool ok;
        if (p->dom == D_BOOL) {
            if (!strcmp(s, "true") || !strcmp(s, "false")) p->allowed_b[!strcmp(s, "true")] = true;
            continue;
        }
        if (p->dom == D_FLOAT) {
            double d = strtod(s, &end);
            if (ct == CAIRN_TYPE_FLOAT32) d = (float)d; /* as a float32 column holds it */
            if (*s && !*end) p->allowed_d[p->nallowed++] = d;
            continue;
        }
        if (ct == CAIRN_TYPE_TIMESTAMP) {
            ok = cairn_time_parse(s, strlen(s), &x, NULL) == 0;
        } else if (ct == CAIRN_TYPE_DATE32) {
            ok = cairn_date_parse(s, strlen(s), &days, NULL) == 0;
            x = days;
        } else {
            x = strtoll(s, &end, 10);
            ok = *s && !*end;
        }
        if (ok) p->allowed_i[p->nallowed++] = x;
    }
    return 0;
}

static int plan_init(plan *p, const cairn_dataset_field *f, int32_t index, const cairn_table *t,
                     cairn_error *err)
{
    memset(p, 0, sizeof *p);
    p->f = f;
    p->index = index;
    p->col = cairn_table_column_by_name(t, f->name);
    if (!p->col)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "field '%s' of the schema is not a column of the table", f->name);
    cairn_type ct = p->col->type;
    if (!types_compatible(f->type, ct))
        return cairn_error_set(err, CAIRN_ETYPE, "column '%s' is %s but the schema declares %s",
                               f->name, cairn_type_name(ct), cairn_type_name(f->type));
    p->dom = ct == CAIRN_TYPE_STRING ? D_STRING
             : ct == CAIRN_TYPE_BOOL ? D_BOOL
             : is_int_storage(ct)    ? D_INT
                                     : D_FLOAT;
    p->narrow = ct == CAIRN_TYPE_INT32 || ct == CAIRN_TYPE_DATE32;
    p->has_lo = f->has_min;
    p->has_hi = f->has_max;
    if (p->dom == D_INT) {
        if (p->has_lo) bound_to_int(&f->min, ct, false, &p->lo_i);
        if (p->has_hi) bound_to_int(&f->max, ct, true, &p->hi_i);
    } else if (p->dom == D_FLOAT) {
        if (p->has_lo) p->lo_d = bound_to_double(&f->min, ct);
        if (p->has_hi) p->hi_d = bound_to_double(&f->max, ct);
    } else {
        p->has_lo = p->has_hi = false;
    }
    int rc = parse_allowed(p, err);
    if (rc) return rc;
    if (p->dom == D_STRING) {
        p->string_rules = f->nallowed || f->max_length >= 0 || f->pattern;
        if (f->pattern) {
            rc = pattern_compile(f->pattern, &p->re);
            if (rc == CAIRN_ENOMEM) return cairn_error_set(err, rc, "out of memory");
            if (rc)
                return cairn_error_set(err, rc, "field '%s': the pattern does not compile",
                                       f->name);
            p->has_re = true;
        }
    }
    p->active = p->has_lo || p->has_hi || f->nallowed || p->string_rules ||
                (!f->nullable && p->col->validity != NULL);
    return 0;
}

static void plan_release(plan *p)
{
    if (p->has_re) regfree(&p->re);
    cairn_free(p->allowed_i);
    cairn_free(p->allowed_d);
    cairn_free(p->dict_mask);
}

/* ------------------------------------------------------------------------------------------
 * String verdicts
 * ---------------------------------------------------------------------------------------- */

static uint8_t string_verdict(const plan *p, const char *s, size_t len)
{
    const cairn_dataset_field *f = p->f;
    uint8_t mask = S_KNOWN;
    if (f->nallowed) {
        bool found = false;
        for (size_t i = 0; i < f->nallowed && !found; i++)
            found = strlen(f->allowed[i]) == len && !memcmp(f->allowed[i], s, len);
        if (!found) mask |= S_NOT_ALLOWED;
    }
    if (f->max_length >= 0 && len > (size_t)f->max_length) mask |= S_TOO_LONG;
    if (p->has_re) {
        char small[256];
        char *text = len < sizeof small ? small : cairn_malloc(len + 1);
        if (!text) return 0; /* not S_KNOWN: the caller reports ENOMEM */
        memcpy(text, s, len);
        text[len] = '\0';
        /* a value with a NUL byte cannot match a textual pattern as a whole */
        if (memchr(s, '\0', len) || regexec(&p->re, text, 0, NULL, 0) != 0) mask |= S_NO_MATCH;
        if (text != small) cairn_free(text);
    }
    return mask;
}

/* Verdicts of dictionary entries [index * DICT_CHUNK, ...); 0 marks an ENOMEM. */
static void dict_task(void *arg, size_t index)
{
    plan *p = arg;
    const cairn_column *d = p->col->dictionary;
    int64_t begin = (int64_t)index * DICT_CHUNK, end = begin + DICT_CHUNK;
    if (end > d->length) end = d->length;
    for (int64_t i = begin; i < end; i++) {
        size_t len;
        const char *s = cairn_column_str(d, i, &len);
        p->dict_mask[i] = string_verdict(p, s, len);
    }
}

static int dict_prepare(plan *p, cairn_pool *pool)
{
    const cairn_column *d = p->col->dictionary;
    p->dict_mask = cairn_calloc(d->length ? (size_t)d->length : 1, 1);
    if (!p->dict_mask) return CAIRN_ENOMEM;
    size_t tasks = (size_t)((d->length + DICT_CHUNK - 1) / DICT_CHUNK);
    if (pool && tasks > 1)
        cairn_pool_run(pool, tasks, dict_task, p);
    else
        for (size_t i = 0; i < tasks; i++)
            dict_task(p, i);
    return d->length && memchr(p->dict_mask, 0, (size_t)d->length) ? CAIRN_ENOMEM : 0;
}

/* A chunk's distinct plain strings: open addressing on XXH3, slot = row + 1 (0 = empty). */
typedef struct strset {
    int64_t *rows;
    uint8_t *mask;
    size_t cap, count;
} strset;

static int strset_init(strset *s, size_t cap)
{
    s->cap = cap;
    s->count = 0;
    s->rows = cairn_calloc(cap, sizeof *s->rows);
    s->mask = cairn_calloc(cap, 1);
    return s->rows && s->mask ? 0 : CAIRN_ENOMEM;
}

static void strset_release(strset *s)
{
    cairn_free(s->rows);
    cairn_free(s->mask);
}

static int strset_grow(strset *s, const cairn_column *c)
{
    strset bigger;
    if (strset_init(&bigger, s->cap * 2)) {
        strset_release(&bigger);
        return CAIRN_ENOMEM;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->rows[i]) continue;
        size_t len;
        const char *str = cairn_column_str(c, s->rows[i] - 1, &len);
        size_t h = (size_t)cairn_hash64(str, len, 0) & (bigger.cap - 1);
        while (bigger.rows[h])
            h = (h + 1) & (bigger.cap - 1);
        bigger.rows[h] = s->rows[i];
        bigger.mask[h] = s->mask[i];
    }
    bigger.count = s->count;
    strset_release(s);
    *s = bigger;
    return 0;
}

/* The verdict for row's string, computed on first sight; 0 on ENOMEM. */
static uint8_t strset_verdict(strset *s, const plan *p, int64_t row)
{
    size_t len, olen;
    const char *str = cairn_column_str(p->col, row, &len);
    if (s->count * 2 >= s->cap && strset_grow(s, p->col)) return 0;
    size_t h = (size_t)cairn_hash64(str, len, 0) & (s->cap - 1);
    while (s->rows[h]) {
        const char *o = cairn_column_str(p->col, s->rows[h] - 1, &olen);
        if (olen == len && !memcmp(o, str, len)) return s->mask[h];
        h = (h + 1) & (s->cap - 1);
    }
    uint8_t m = string_verdict(p, str, len);
    if (!m) return 0;
    s->rows[h] = row + 1;
    s->mask[h] = m;
    s->count++;
    return m;
}

/* ------------------------------------------------------------------------------------------
 * Chunk checks (one field over rows [begin, end))
 * ---------------------------------------------------------------------------------------- */

static bool int_allowed(const plan *p, int64_t v)
{
    for (size_t i = 0; i < p->nallowed; i++)
        if (p->allowed_i[i] == v) return true;
    return false;
}

static bool float_allowed(const plan *p, double v)
{
    for (size_t i = 0; i < p->nallowed; i++)
        if (p->allowed_d[i] == v) return true;
    return false;
}

#define ADD(kind, aux)                                                                             \
    do {                                                                                           \
        if (plist_add(out, r, p->index, (kind), (aux))) return CAIRN_ENOMEM;                       \
    } while (0)

static int check_numbers(const plan *p, int64_t begin, int64_t end, plist *out)
{
    const cairn_column *c = p->col;
    bool allowed = p->f->nallowed != 0, nullable = p->f->nullable;
    for (int64_t r = begin; r < end; r++) {
        if (!cairn_column_is_valid(c, r)) {
            if (!nullable) ADD(V_NULL, 0);
            continue;
        }
        if (p->dom == D_INT) {
            int64_t v = int_at(c, p->narrow, r);
            if (p->has_lo && v < p->lo_i) ADD(V_BELOW, 0);
            if (p->has_hi && v > p->hi_i) ADD(V_ABOVE, 0);
            if (allowed && !int_allowed(p, v)) ADD(V_NOT_ALLOWED, 0);
        } else if (p->dom == D_FLOAT) {
            double v = float_at(c, r);
            if ((p->has_lo || p->has_hi) && isnan(v)) ADD(V_NAN, 0);
            if (p->has_lo && v < p->lo_d) ADD(V_BELOW, 0);
            if (p->has_hi && v > p->hi_d) ADD(V_ABOVE, 0);
            if (allowed && !float_allowed(p, v)) ADD(V_NOT_ALLOWED, 0);
        } else if (allowed && !p->allowed_b[cairn_bit_get(c->values, r)]) {
            ADD(V_NOT_ALLOWED, 0);
        }
    }
    return 0;
}

static int add_mask(const plan *p, int64_t r, uint8_t m, plist *out)
{
    if (m & S_NOT_ALLOWED) ADD(V_NOT_ALLOWED, 0);
    if (m & S_TOO_LONG) ADD(V_TOO_LONG, 0);
    if (m & S_NO_MATCH) ADD(V_NO_MATCH, 0);
    return 0;
}

static int check_strings(const plan *p, int64_t begin, int64_t end, plist *out)
{
    const cairn_column *c = p->col;
    bool nullable = p->f->nullable;
    strset set = {0};
    int rc = 0;
    if (p->string_rules && !c->dictionary && strset_init(&set, 256)) rc = CAIRN_ENOMEM;
    for (int64_t r = begin; r < end && !rc; r++) {
        if (!cairn_column_is_valid(c, r)) {
            if (!nullable) rc = plist_add(out, r, p->index, V_NULL, 0);
            continue;
        }
        if (!p->string_rules) continue;
        uint8_t m =
            c->dictionary ? p->dict_mask[cairn_column_i32(c, r)] : strset_verdict(&set, p, r);
        if (!m)
            rc = CAIRN_ENOMEM;
        else if (m != S_KNOWN)
            rc = add_mask(p, r, m, out);
    }
    strset_release(&set);
    return rc;
}

#undef ADD

/* Merges the per-field runs of a chunk's list (each sorted by row) into row-then-field
 * order; runs[i] is where field run i starts, runs[nruns] the end. */
static int merge_runs(plist *out, size_t *runs, size_t nruns)
{
    pending *merged = cairn_malloc(out->count * sizeof *merged);
    if (!merged) return CAIRN_ENOMEM;
    size_t *at = cairn_malloc(nruns * sizeof *at);
    if (!at) {
        cairn_free(merged);
        return CAIRN_ENOMEM;
    }
    memcpy(at, runs, nruns * sizeof *at);
    for (size_t n = 0; n < out->count; n++) {
        size_t best = nruns;
        for (size_t k = 0; k < nruns; k++)
            if (at[k] < runs[k + 1] &&
                (best == nruns || pending_cmp(&out->items[at[k]], &out->items[at[best]]) < 0))
                best = k;
        merged[n] = out->items[at[best]++];
    }
    cairn_free(at);
    cairn_free(out->items);
    out->items = merged;
    out->cap = out->count;
    return 0;
}

static void chunk_task(void *arg, size_t index)
{
    job *j = arg;
    int64_t begin = (int64_t)index * CHUNK_ROWS, end = begin + CHUNK_ROWS;
    if (end > j->rows) end = j->rows;
    plist *out = &j->chunks[index];
    size_t *runs = cairn_malloc((j->nplans + 1) * sizeof *runs), nruns = 0;
    int rc = runs ? 0 : CAIRN_ENOMEM;
    for (size_t i = 0; i < j->nplans && !rc; i++) {
        const plan *p = &j->plans[i];
        if (!p->active) continue;
        size_t before = out->count;
        rc = p->dom == D_STRING ? check_strings(p, begin, end, out)
                                : check_numbers(p, begin, end, out);
        if (out->count != before) runs[nruns++] = before;
    }
    if (!rc && nruns > 1) {
        runs[nruns] = out->count;
        rc = merge_runs(out, runs, nruns);
    }
    cairn_free(runs);
    j->chunk_rc[index] = rc;
}

/* ------------------------------------------------------------------------------------------
 * Unique fields: value -> first row, one pass per field
 * ---------------------------------------------------------------------------------------- */

static uint64_t float_key(double d)
{
    uint64_t bits;
    if (d == 0) d = 0; /* -0.0 equals 0.0 */
    if (isnan(d)) d = NAN;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

/* Row's value as a 64-bit key (numbers and bools; strings are compared by bytes). */
static uint64_t number_key(const plan *p, int64_t r)
{
    if (p->dom == D_INT) return (uint64_t)int_at(p->col, p->narrow, r);
    if (p->dom == D_FLOAT) return float_key(float_at(p->col, r));
    return cairn_bit_get(p->col->values, r);
}

static bool same_value(const plan *p, int64_t a, int64_t b)
{
    if (p->dom != D_STRING) return number_key(p, a) == number_key(p, b);
    size_t la, lb;
    const char *x = cairn_column_str(p->col, a, &la), *y = cairn_column_str(p->col, b, &lb);
    return la == lb && !memcmp(x, y, la);
}

static uint64_t value_hash(const plan *p, int64_t r)
{
    if (p->dom != D_STRING) return cairn_hash_u64(number_key(p, r));
    size_t len;
    const char *s = cairn_column_str(p->col, r, &len);
    return cairn_hash64(s, len, 0);
}

static size_t pow2_at_least(size_t n)
{
    size_t cap = 16;
    while (cap < n)
        cap *= 2;
    return cap;
}

/* Dictionary columns: canonical code per entry (dictionaries may repeat a value), then the
 * first row per canonical code. */
static int unique_dict(const plan *p, int64_t rows, plist *out)
{
    const cairn_column *d = p->col->dictionary;
    size_t n = (size_t)d->length, cap = pow2_at_least(n * 2 + 1);
    int32_t *canon = cairn_calloc(n ? n : 1, sizeof *canon);
    int64_t *slots = cairn_calloc(cap, sizeof *slots),
            *first = cairn_calloc(n ? n : 1, sizeof *first);
    int rc = canon && slots && first ? 0 : CAIRN_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        size_t len, olen;
        const char *s = cairn_column_str(d, (int64_t)i, &len);
        size_t h = (size_t)cairn_hash64(s, len, 0) & (cap - 1);
        canon[i] = (int32_t)i;
        for (; slots[h]; h = (h + 1) & (cap - 1)) {
            const char *o = cairn_column_str(d, slots[h] - 1, &olen);
            if (olen == len && !memcmp(o, s, len)) {
                canon[i] = (int32_t)(slots[h] - 1);
                break;
            }
        }
        if (!slots[h]) slots[h] = (int64_t)i + 1;
        first[i] = -1;
    }
    for (int64_t r = 0; r < rows && !rc; r++) {
        if (!cairn_column_is_valid(p->col, r)) continue;
        int32_t code = canon[cairn_column_i32(p->col, r)];
        if (first[code] < 0)
            first[code] = r;
        else
            rc = plist_add(out, r, p->index, V_DUPLICATE, first[code]);
    }
    cairn_free(canon);
    cairn_free(slots);
    cairn_free(first);
    return rc;
}

static int unique_check(const plan *p, int64_t rows, plist *out)
{
    if (p->dom == D_STRING && p->col->dictionary) return unique_dict(p, rows, out);
    size_t cap = pow2_at_least((size_t)rows * 2 + 1);
    int64_t *slots = cairn_calloc(cap, sizeof *slots); /* row + 1, 0 = empty */
    if (!slots) return CAIRN_ENOMEM;
    int rc = 0;
    for (int64_t r = 0; r < rows && !rc; r++) {
        if (!cairn_column_is_valid(p->col, r)) continue;
        size_t h = (size_t)value_hash(p, r) & (cap - 1);
        while (slots[h] && !same_value(p, slots[h] - 1, r))
            h = (h + 1) & (cap - 1);
        if (slots[h])
            rc = plist_add(out, r, p->index, V_DUPLICATE, slots[h] - 1);
        else
            slots[h] = r + 1;
    }
    cairn_free(slots);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Reasons
 * ---------------------------------------------------------------------------------------- */

/* "(a, b, c)" of the allowed values, cut with "..." to fit cap. */
static void allowed_list(const cairn_dataset_field *f, char *out, size_t cap)
{
    size_t n = 0;
    out[n++] = '(';
    for (size_t i = 0; i < f->nallowed; i++) {
        size_t len = strlen(f->allowed[i]) + (i ? 2 : 0);
        if (n + len + 5 >= cap) {
            memcpy(out + n, i ? ", ..." : "...", i ? 5 : 3);
            n += i ? 5 : 3;
            break;
        }
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", f->allowed[i]);
    }
    out[n++] = ')';
    out[n] = '\0';
}

static void format_reason(const plan *p, const pending *v, char *out, size_t cap)
{
    const cairn_dataset_field *f = p->f;
    char cell[64], bound[64], list[120];
    cairn_value val;
    if (v->kind == V_NULL) return (void)snprintf(out, cap, "null in a non-nullable field");
    if (v->kind == V_DUPLICATE)
        return (void)snprintf(out, cap, "duplicate of row %lld (unique field)", (long long)v->aux);
    cairn_column_get(p->col, v->row, &val);
    if (val.type == CAIRN_TYPE_STRING) {
        quote_text(val.v.str.ptr, val.v.str.len, cell, sizeof cell);
    } else {
        char num[48];
        value_text(&val, num, sizeof num);
        snprintf(cell, sizeof cell, "value %s", num);
    }
    switch (v->kind) {
    case V_NAN:
    case V_BELOW:
    case V_ABOVE: {
        bool lower = v->kind == V_BELOW || (v->kind == V_NAN && f->has_min);
        value_text(lower ? &f->min : &f->max, bound, sizeof bound);
        if (v->kind == V_NAN)
            snprintf(out, cap, "value NaN cannot be compared with the %s %s",
                     lower ? "minimum" : "maximum", bound);
        else
            snprintf(out, cap, "%s is %s the %s %s", cell, lower ? "below" : "above",
                     lower ? "minimum" : "maximum", bound);
        return;
    }
    case V_NOT_ALLOWED:
        allowed_list(f, list, sizeof list);
        snprintf(out, cap, "%s is not one of the allowed values %s", cell, list);
        return;
    case V_TOO_LONG:
        snprintf(out, cap, "length %zu exceeds max_length %lld", val.v.str.len,
                 (long long)f->max_length);
        return;
    case V_NO_MATCH:
        snprintf(out, cap, "%s does not match the pattern %s", cell, f->pattern);
        return;
    default:
        snprintf(out, cap, "invalid value");
        return;
    }
}

#define FORMAT_CHUNK ((size_t)4096)

static void format_task(void *arg, size_t index)
{
    job *j = arg;
    size_t begin = index * FORMAT_CHUNK, end = begin + FORMAT_CHUNK;
    if (end > j->nall) end = j->nall;
    for (size_t i = begin; i < end; i++) {
        const pending *v = &j->all[i];
        const plan *p = &j->plans[v->field];
        j->out[i].row = v->row;
        j->out[i].field = v->field;
        j->out[i].duplicate_of = v->kind == V_DUPLICATE ? v->aux : -1;
        format_reason(p, v, j->out[i].reason, sizeof j->out[i].reason);
    }
}

/* ------------------------------------------------------------------------------------------
 * Driver
 * ---------------------------------------------------------------------------------------- */

static void run_tasks(cairn_pool *pool, size_t count, cairn_task_fn fn, void *arg)
{
    if (pool && count > 1)
        cairn_pool_run(pool, count, fn, arg);
    else
        for (size_t i = 0; i < count; i++)
            fn(arg, i);
}

/* Concatenates the (sorted) chunk lists and merges the sorted unique list into *all. */
static int merge_lists(job *j, plist *uniq, plist *all)
{
    size_t total = uniq->count;
    for (size_t c = 0; c < j->nchunks; c++)
        total += j->chunks[c].count;
    all->items = cairn_malloc((total ? total : 1) * sizeof *all->items);
    if (!all->items) return CAIRN_ENOMEM;
    all->count = all->cap = total;
    size_t n = 0, u = 0;
    for (size_t c = 0; c < j->nchunks; c++)
        for (size_t i = 0; i < j->chunks[c].count; i++) {
            const pending *x = &j->chunks[c].items[i];
            while (u < uniq->count && pending_cmp(&uniq->items[u], x) < 0)
                all->items[n++] = uniq->items[u++];
            all->items[n++] = *x;
        }
    while (u < uniq->count)
        all->items[n++] = uniq->items[u++];
    return 0;
}

static int validate(job *j, cairn_pool *pool, uint8_t *keep, cairn_violation **out, size_t *count,
                    cairn_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < j->nplans && !rc; i++)
        if (j->plans[i].active && j->plans[i].string_rules && j->plans[i].col->dictionary)
            rc = dict_prepare(&j->plans[i], pool);
    if (rc) return cairn_error_set(err, rc, "out of memory");
    run_tasks(pool, j->nchunks, chunk_task, j);
    for (size_t c = 0; c < j->nchunks; c++)
        if (j->chunk_rc[c]) return cairn_error_set(err, j->chunk_rc[c], "out of memory");
    plist uniq = {0}, all = {0};
    bool several = false;
    for (size_t i = 0; i < j->nplans && !rc; i++) {
        if (!j->plans[i].f->unique) continue;
        size_t before = uniq.count;
        rc = unique_check(&j->plans[i], j->rows, &uniq);
        several |= before != 0 && uniq.count != before;
    }
    if (!rc && several) qsort(uniq.items, uniq.count, sizeof *uniq.items, pending_cmp);
    if (!rc) rc = merge_lists(j, &uniq, &all);
    cairn_free(uniq.items);
    cairn_violation *viol = NULL;
    if (!rc && !(viol = cairn_calloc(all.count ? all.count : 1, sizeof *viol))) rc = CAIRN_ENOMEM;
    if (rc) {
        cairn_free(all.items);
        return cairn_error_set(err, rc, "out of memory");
    }
    j->all = all.items;
    j->nall = all.count;
    j->out = viol;
    run_tasks(pool, (all.count + FORMAT_CHUNK - 1) / FORMAT_CHUNK, format_task, j);
    if (keep) {
        memset(keep, 1, (size_t)j->rows);
        for (size_t i = 0; i < all.count; i++)
            keep[all.items[i].row] = 0;
    }
    cairn_free(all.items);
    *out = viol;
    *count = j->nall;
    return 0;
}

int cairn_validate_records(const cairn_dataset_schema *schema, const cairn_table *table,
                           uint8_t *keep, cairn_violation **out, size_t *count, cairn_error *err)
{
    *out = NULL;
    *count = 0;
    job j = {0};
    j.nplans = cairn_dataset_schema_num_fields(schema);
    j.rows = cairn_table_num_rows(table);
    j.nchunks = (size_t)((j.rows + CHUNK_ROWS - 1) / CHUNK_ROWS);
    j.plans = cairn_calloc(j.nplans ? j.nplans : 1, sizeof *j.plans);
    j.chunks = cairn_calloc(j.nchunks ? j.nchunks : 1, sizeof *j.chunks);
    j.chunk_rc = cairn_calloc(j.nchunks ? j.nchunks : 1, sizeof *j.chunk_rc);
    int rc =
        j.plans && j.chunks && j.chunk_rc ? 0 : cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    size_t built = 0;
    for (; built < j.nplans && !rc; built++)
        rc = plan_init(&j.plans[built], cairn_dataset_schema_field(schema, built), (int32_t)built,
                       table, err);
    if (!rc) {
        cairn_pool *pool = j.nchunks > 1 ? cairn_pool_default() : NULL;
        rc = validate(&j, pool, keep, out, count, err);
    }
    for (size_t i = 0; i < built; i++)
        plan_release(&j.plans[i]);
    for (size_t c = 0; c < j.nchunks && j.chunks; c++)
        cairn_free(j.chunks[c].items);
    cairn_free(j.plans);
    cairn_free(j.chunks);
    cairn_free(j.chunk_rc);
    return rc;
}
