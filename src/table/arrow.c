/* arrow.c: the Arrow C Data Interface (cairn_table_export_arrow, cairn_table_import_arrow).
 *
 * Export: a table becomes a struct array ("+s", no struct-level nulls) with one child per
 * column. Each child owns a deep copy of its column (cairn_column_copy) through its
 * private_data, and its buffers point into that copy: Cairn's layout already is Arrow's (a
 * validity bitmap, LSB first; BOOL as a bitmap; int64 offsets, i.e. large_utf8 "U"), so
 * nothing is converted. A dictionary column becomes int32 indices ("i") whose dictionary
 * array owns the dictionary column, detached from the codes, so a consumer may move and
 * release any node on its own. Every node, schema or array, has its own release callback,
 * which releases its children and dictionary (those not moved out, i.e. whose release is
 * still set), frees its private holder and marks the node released (release = NULL).
 * Zero-length buffers point at a static zero block rather than NULL.
 *
 * Import: row r of child i is element parent.offset + r of the child (the struct's offset
 * applies to its children, and each child adds its own offset); a null struct row makes the
 * row null in every column. Validity bitmaps are read only when null_count != 0 (-1 means
 * unknown). Values are copied into new columns, converted where Cairn's types differ
 * (narrow and unsigned integers, other time units, date64, int32 offsets); null slots are
 * zeroed (Cairn's invariant) and string offsets are checked to be non-decreasing. The input
 * is released exactly once, on success and on failure alike.
 * Tests: tests/unit/table/test_arrow.c.
 */
#include <stdio.h>
#include <string.h>

#include "cairn/arrow.h"
#include "table_internal.h"

static const int64_t zero_block[2];

/* ------------------------------------------------------------------------------------------
 * Export: arrays
 * ---------------------------------------------------------------------------------------- */

typedef struct export_array {
    cairn_column *column; /* owned storage of this node's buffers; NULL for the struct */
    const void *buffers[3];
    struct ArrowArray **children; /* owned, each allocated */
    int64_t nchildren;
    struct ArrowArray *dictionary; /* owned */
} export_array;

static void release_array_node(struct ArrowArray *a)
{
    if (a && a->release) a->release(a);
    cairn_free(a);
}

static void release_array(struct ArrowArray *array)
{
    if (!array || !array->release) return;
    export_array *p = array->private_data;
    for (int64_t i = 0; i < p->nchildren; i++)
        release_array_node(p->children[i]);
    cairn_free(p->children);
    release_array_node(p->dictionary);
    cairn_column_free(p->column);
    cairn_free(p);
    array->release = NULL;
    array->private_data = NULL;
}

static const void *or_zero(const void *p)
{
    return p ? p : zero_block;
}

/* Fills `out` for a column it takes over (freed here on failure). */
static int export_plain(cairn_column *c, struct ArrowArray *out)
{
    export_array *p = cairn_calloc(1, sizeof *p);
    if (!p) {
        cairn_column_free(c);
        return CAIRN_ENOMEM;
    }
    p->column = c;
    p->buffers[0] = c->null_count ? c->validity : NULL;
    int64_t nbuf = 2;
    if (c->type == CAIRN_TYPE_STRING && !c->dictionary && c->offsets) {
        p->buffers[1] = c->offsets;
        p->buffers[2] = or_zero(c->data);
        nbuf = 3;
    } else {
        p->buffers[1] = or_zero(c->values);
    }
    memset(out, 0, sizeof *out);
    out->length = c->length;
    out->null_count = c->null_count;
    out->n_buffers = nbuf;
    out->buffers = p->buffers;
    out->release = release_array;
    out->private_data = p;
    return 0;
}

/* A column child; a dictionary column's dictionary becomes a node of its own. */
static int export_column(const cairn_column *src, struct ArrowArray *out)
{
    cairn_column *c = NULL;
    int rc = cairn_column_copy(src, &c);
    if (rc) return rc;
    cairn_column *dict = c->dictionary;
    c->dictionary = NULL;
    struct ArrowArray *d = NULL;
    if (dict && !(d = cairn_calloc(1, sizeof *d))) {
        cairn_column_free(dict);
        cairn_column_free(c);
        return CAIRN_ENOMEM;
    }
    if (dict && (rc = export_plain(dict, d)) != 0) {
        cairn_free(d);
        cairn_column_free(c);
        return rc;
    }
    rc = export_plain(c, out);
    if (rc) {
        release_array_node(d);
        return rc;
    }
    ((export_array *)out->private_data)->dictionary = d;
    out->dictionary = d;
    return 0;
}

static int export_struct_array(const cairn_table *table, struct ArrowArray *out)
{
    size_t n = cairn_table_num_columns(table);
    export_array *p = cairn_calloc(1, sizeof *p);
    struct ArrowArray **children = cairn_calloc(n ? n : 1, sizeof *children);
    if (!p || !children) {
        cairn_free(p);
        cairn_free(children);
        return CAIRN_ENOMEM;
    }
    p->children = children;
    p->nchildren = (int64_t)n;
    memset(out, 0, sizeof *out);
    out->length = cairn_table_num_rows(table);
    out->n_buffers = 1;
    out->buffers = p->buffers; /* buffers[0] NULL: no null rows */
    out->n_children = (int64_t)n;
    out->children = children;
    out->release = release_array;
    out->private_data = p;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        children[i] = cairn_calloc(1, sizeof **children);
        rc = children[i] ? export_column(cairn_table_column(table, i), children[i]) : CAIRN_ENOMEM;
    }
    if (rc) release_array(out);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Export: schemas
 * ---------------------------------------------------------------------------------------- */

typedef struct export_schema {
    char *name;
    struct ArrowSchema **children;
    int64_t nchildren;
    struct ArrowSchema *dictionary;
} export_schema;

static void release_schema_node(struct ArrowSchema *s)
{
    if (s && s->release) s->release(s);
    cairn_free(s);
}

static void release_schema(struct ArrowSchema *schema)
{
    if (!schema || !schema->release) return;
    export_schema *p = schema->private_data;
    for (int64_t i = 0; i < p->nchildren; i++)
        release_schema_node(p->children[i]);
    cairn_free(p->children);
    release_schema_node(p->dictionary);
    cairn_free(p->name);
    cairn_free(p);
    schema->release = NULL;
    schema->private_data = NULL;
}

static const char *export_format(cairn_type type)
{
    switch (type) {
    case CAIRN_TYPE_BOOL:
        return "b";
    case CAIRN_TYPE_INT32:
        return "i";
    case CAIRN_TYPE_INT64:
        return "l";
    case CAIRN_TYPE_FLOAT32:
        return "f";
    case CAIRN_TYPE_FLOAT64:
        return "g";
    case CAIRN_TYPE_STRING:
        return "U";
    case CAIRN_TYPE_TIMESTAMP:
        return "tsu:UTC";
    case CAIRN_TYPE_DATE32:
        return "tdD";
    }
    return "n";
}

/* A schema node with its own holder; children are added by the caller. */
static int schema_node(struct ArrowSchema *out, const char *format, const char *name, int64_t flags,
                       int64_t nchildren)
{
    export_schema *p = cairn_calloc(1, sizeof *p);
    if (!p) return CAIRN_ENOMEM;
    p->name = cairn_strdup(name);
    p->children = cairn_calloc(nchildren ? (size_t)nchildren : 1, sizeof *p->children);
    if (!p->name || !p->children) {
        cairn_free(p->name);
        cairn_free(p->children);
        cairn_free(p);
        return CAIRN_ENOMEM;
    }
    memset(out, 0, sizeof *out);
    out->format = format;
    out->name = p->name;
    out->flags = flags;
    out->n_children = nchildren;
    out->children = p->children;
    out->release = release_schema;
    out->private_data = p;
    return 0;
}

static int export_field(const cairn_column *c, struct ArrowSchema *out)
{
    int64_t flags = c->nullable ? ARROW_FLAG_NULLABLE : 0;
    int rc = schema_node(out, c->dictionary ? "i" : export_format(c->type), c->name, flags, 0);
    if (rc || !c->dictionary) return rc;
    struct ArrowSchema *d = cairn_calloc(1, sizeof *d);
    rc = d ? schema_node(d, "U", "", 0, 0) : CAIRN_ENOMEM;
    if (rc) {
        cairn_free(d);
        release_schema(out);
        return rc;
    }
    ((export_schema *)out->private_data)->dictionary = d;
    out->dictionary = d;
    return 0;
}

static int export_struct_schema(const cairn_table *table, struct ArrowSchema *out)
{
    size_t n = cairn_table_num_columns(table);
    int rc = schema_node(out, "+s", "", 0, (int64_t)n);
    if (rc) return rc;
    export_schema *p = out->private_data;
    p->nchildren = (int64_t)n;
    for (size_t i = 0; i < n && rc == 0; i++) {
        p->children[i] = cairn_calloc(1, sizeof **p->children);
        rc = p->children[i] ? export_field(cairn_table_column(table, i), p->children[i])
                            : CAIRN_ENOMEM;
    }
    if (rc) release_schema(out);
    return rc;
}

int cairn_table_export_arrow(const cairn_table *table, struct ArrowSchema *schema,
                             struct ArrowArray *array, cairn_error *err)
{
    if (!table || !schema || !array)
        return cairn_error_set(err, CAIRN_EINVAL, "no table or no structs to export into");
    memset(schema, 0, sizeof *schema);
    memset(array, 0, sizeof *array);
    int rc = cairn_table_validate(table, err);
    if (rc) return rc;
    rc = export_struct_schema(table, schema);
    if (rc == 0) {
        rc = export_struct_array(table, array);
        if (rc) release_schema(schema);
    }
    if (rc) return cairn_error_set(err, rc, "cannot export the table: %s", cairn_strerror(rc));
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Import: formats
 * ---------------------------------------------------------------------------------------- */

typedef enum src_kind {
    K_NONE = 0,
    K_BOOL,
    K_I8,
    K_U8,
    K_I16,
    K_U16,
    K_I32,
    K_U32,
    K_I64,
    K_U64, /* dictionary indices only */
    K_F32,
    K_F64,
    K_UTF8,
    K_LUTF8,
    K_TS_S,
    K_TS_MS,
    K_TS_US,
    K_TS_NS,
    K_DATE32,
    K_DATE64,
} src_kind;

static src_kind parse_format(const char *f)
{
    static const struct {
        const char *format;
        src_kind kind;
    } exact[] = {
        {"b", K_BOOL}, {"c", K_I8},   {"C", K_U8},    {"s", K_I16},      {"S", K_U16},
        {"i", K_I32},  {"I", K_U32},  {"l", K_I64},   {"L", K_U64},      {"f", K_F32},
        {"g", K_F64},  {"u", K_UTF8}, {"U", K_LUTF8}, {"tdD", K_DATE32}, {"tdm", K_DATE64},
    };
    if (!f) return K_NONE;
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (strcmp(f, exact[i].format) == 0) return exact[i].kind;
    if (strncmp(f, "ts", 2) == 0 && f[2] && f[3] == ':') {
        switch (f[2]) {
        case 's':
            return K_TS_S;
        case 'm':
            return K_TS_MS;
        case 'u':
            return K_TS_US;
        case 'n':
            return K_TS_NS;
        }
    }
    return K_NONE;
}

static cairn_type kind_type(src_kind k)
{
    switch (k) {
    case K_BOOL:
        return CAIRN_TYPE_BOOL;
    case K_I8:
    case K_U8:
    case K_I16:
    case K_U16:
    case K_I32:
        return CAIRN_TYPE_INT32;
    case K_U32:
    case K_I64:
        return CAIRN_TYPE_INT64;
    case K_F32:
        return CAIRN_TYPE_FLOAT32;
    case K_F64:
        return CAIRN_TYPE_FLOAT64;
    case K_UTF8:
    case K_LUTF8:
        return CAIRN_TYPE_STRING;
    case K_TS_S:
    case K_TS_MS:
    case K_TS_US:
    case K_TS_NS:
        return CAIRN_TYPE_TIMESTAMP;
    case K_DATE32:
    case K_DATE64:
        return CAIRN_TYPE_DATE32;
    default:
        return (cairn_type)0;
    }
}

static bool kind_is_integer(src_kind k)
{
    return k >= K_I8 && k <= K_U64;
}

/* ------------------------------------------------------------------------------------------
 * Import: one child array seen from the table's rows
 * ---------------------------------------------------------------------------------------- */

typedef struct src_col {
    const struct ArrowArray *a;
    src_kind kind;
    int64_t base;          /* element of `a` that is row 0 (a->offset + the struct's offset) */
    int64_t length;        /* rows */
    const uint8_t *pvalid; /* the struct's validity (NULL = none) */
    int64_t pbase;         /* its bit for row 0 */
    const char *name;
} src_col;

static inline bool bit_at(const uint8_t *bits, int64_t i)
{
    return (bits[i >> 3] >> (i & 7)) & 1;
}

static int bad(cairn_error *err, int code, const src_col *s, const char *what)
{
    cairn_error_set(err, code, "column '%s': %s", s->name, what);
    cairn_error_field(err, s->name);
    return code;
}

static const void *buffer(const src_col *s, int i)
{
    return s->a->n_buffers > i ? s->a->buffers[i] : NULL;
}

/* The validity of the rows into c (NULL when every row is valid). */
static int import_validity(cairn_column *c, const src_col *s)
{
    const uint8_t *bits = s->a->null_count != 0 ? buffer(s, 0) : NULL;
    if (!bits && !s->pvalid) return 0;
    size_t bytes = cairn__bitmap_bytes(s->length);
    uint8_t *v = cairn_calloc(bytes ? bytes : 1, 1);
    if (!v) return CAIRN_ENOMEM;
    int64_t nulls = 0;
    for (int64_t r = 0; r < s->length; r++) {
        bool ok =
            (!bits || bit_at(bits, s->base + r)) && (!s->pvalid || bit_at(s->pvalid, s->pbase + r));
        if (ok)
            v[r >> 3] |= (uint8_t)(1u << (r & 7));
        else
            nulls++;
    }
    if (nulls == 0) {
        cairn_free(v);
        return 0;
    }
    c->validity = v;
    c->validity_cap_ = bytes ? bytes : 1;
    c->null_count = nulls;
    c->nullable = true;
    return 0;
}

/* Element i of an integer buffer of kind k, widened. */
static inline int64_t int_at(const void *p, src_kind k, int64_t i)
{
    switch (k) {
    case K_I8:
        return ((const int8_t *)p)[i];
    case K_U8:
        return ((const uint8_t *)p)[i];
    case K_I16:
        return ((const int16_t *)p)[i];
    case K_U16:
        return ((const uint16_t *)p)[i];
    case K_I32:
    case K_DATE32:
        return ((const int32_t *)p)[i];
    case K_U32:
        return ((const uint32_t *)p)[i];
    default:
        return ((const int64_t *)p)[i];
    }
}

static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* A time value in Cairn's unit (microseconds, or days for dates); false on overflow. */
static inline bool convert_time(src_kind k, int64_t v, int64_t *out)
{
    switch (k) {
    case K_TS_S:
        return !__builtin_mul_overflow(v, CAIRN_US_PER_SECOND, out);
    case K_TS_MS:
        return !__builtin_mul_overflow(v, (int64_t)1000, out);
    case K_TS_NS:
        *out = floor_div(v, 1000);
        return true;
    case K_DATE64:
        *out = floor_div(v, 86400000);
        return *out >= INT32_MIN && *out <= INT32_MAX;
    default:
        *out = v;
        return true;
    }
}

static int import_fixed(cairn_column *c, const src_col *s, cairn_error *err)
{
    const void *src = buffer(s, 1);
    if (!src && s->length > 0) return bad(err, CAIRN_EINVAL, s, "no values buffer");
    size_t w = cairn_type_width(c->type);
    char *dst = c->values;
    bool same = (s->kind == K_I32 || s->kind == K_I64 || s->kind == K_F32 || s->kind == K_F64 ||
                 s->kind == K_TS_US || s->kind == K_DATE32);
    if (same) {
        if (s->length) memcpy(dst, (const char *)src + (size_t)s->base * w, (size_t)s->length * w);
    } else {
        for (int64_t r = 0; r < s->length; r++) {
            int64_t v = int_at(src, s->kind, s->base + r), conv = v;
            if (!convert_time(s->kind, v, &conv) && cairn_column_is_valid(c, r))
                return bad(err, CAIRN_ERANGE, s, "a time value is out of range");
            if (w == 8)
                ((int64_t *)dst)[r] = conv;
            else
                ((int32_t *)dst)[r] = (int32_t)conv;
        }
    }
    for (int64_t r = 0; c->validity && r < s->length; r++)
        if (!bit_at(c->validity, r)) memset(dst + (size_t)r * w, 0, w);
    return 0;
}

static int import_bool(cairn_column *c, const src_col *s, cairn_error *err)
{
    const uint8_t *src = buffer(s, 1);
    if (!src && s->length > 0) return bad(err, CAIRN_EINVAL, s, "no values buffer");
    uint8_t *dst = c->values;
    if (s->length) memset(dst, 0, cairn__bitmap_bytes(s->length));
    for (int64_t r = 0; r < s->length; r++)
        if (bit_at(src, s->base + r) && cairn_column_is_valid(c, r))
            dst[r >> 3] |= (uint8_t)(1u << (r & 7));
    return 0;
}

static inline int64_t offset_at(const src_col *s, const void *offsets, int64_t i)
{
    return s->kind == K_UTF8 ? ((const int32_t *)offsets)[s->base + i]
                             : ((const int64_t *)offsets)[s->base + i];
}

/* Checks the offsets and counts the bytes of the valid rows. */
static int string_bytes(const cairn_column *c, const src_col *s, size_t *bytes, cairn_error *err)
{
    const void *offsets = buffer(s, 1);
    if (!offsets) {
        if (s->length == 0) return 0;
        return bad(err, CAIRN_EINVAL, s, "no offsets buffer");
    }
    if (offset_at(s, offsets, 0) < 0) return bad(err, CAIRN_EINVAL, s, "a negative offset");
    size_t total = 0;
    for (int64_t r = 0; r < s->length; r++) {
        int64_t len = offset_at(s, offsets, r + 1) - offset_at(s, offsets, r);
        if (len < 0) return bad(err, CAIRN_EINVAL, s, "offsets decrease");
        if (cairn_column_is_valid(c, r)) total += (size_t)len;
    }
    if (total && !buffer(s, 2)) return bad(err, CAIRN_EINVAL, s, "no data buffer");
    *bytes = total;
    return 0;
}

static int import_strings(cairn_column *c, const src_col *s, cairn_error *err)
{
    size_t bytes = 0;
    int rc = string_bytes(c, s, &bytes, err);
    if (rc == 0 && bytes) rc = cairn_column_reserve(c, 0, bytes);
    if (rc) return rc == CAIRN_ENOMEM ? bad(err, rc, s, "out of memory") : rc;
    const void *offsets = buffer(s, 1);
    const char *data = buffer(s, 2);
    int64_t end = 0;
    c->offsets[0] = 0;
    for (int64_t r = 0; r < s->length; r++) {
        if (cairn_column_is_valid(c, r)) {
            int64_t from = offset_at(s, offsets, r), len = offset_at(s, offsets, r + 1) - from;
            if (len) memcpy(c->data + end, data + from, (size_t)len);
            end += len;
        }
        c->offsets[r + 1] = end;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Import: columns
 * ---------------------------------------------------------------------------------------- */

static int check_buffers(const src_col *s, int64_t want, cairn_error *err)
{
    const struct ArrowArray *a = s->a;
    if (a->n_buffers < want || (want && !a->buffers))
        return bad(err, CAIRN_EINVAL, s, "too few buffers for its format");
    if (a->offset < 0 || a->length < 0 || a->length < s->base - a->offset + s->length)
        return bad(err, CAIRN_EINVAL, s, "shorter than the table");
    if (a->null_count > 0 && !a->buffers[0])
        return bad(err, CAIRN_EINVAL, s, "nulls counted but no validity buffer");
    return 0;
}

/* A new column of `type` with room for s->length rows and s's validity. */
static int new_column(const src_col *s, cairn_type type, bool nullable, cairn_column **out)
{
    cairn_column *c = NULL;
    int rc = cairn_column_create(s->name, type, nullable, &c);
    if (rc == 0) rc = cairn_column_reserve(c, s->length, 0);
    if (rc == 0) rc = import_validity(c, s);
    if (rc) {
        cairn_column_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

static int import_values(const src_col *s, bool nullable, cairn_column **out, cairn_error *err)
{
    cairn_type type = kind_type(s->kind);
    int rc = check_buffers(s, type == CAIRN_TYPE_STRING ? 3 : 2, err);
    cairn_column *c = NULL;
    if (rc == 0 && (rc = new_column(s, type, nullable, &c)) != 0)
        return bad(err, rc, s, "out of memory");
    if (rc == 0) {
        if (type == CAIRN_TYPE_STRING)
            rc = import_strings(c, s, err);
        else if (type == CAIRN_TYPE_BOOL)
            rc = import_bool(c, s, err);
        else
            rc = import_fixed(c, s, err);
    }
    if (rc) {
        cairn_column_free(c);
        return rc;
    }
    c->length = s->length;
    *out = c;
    return 0;
}

/* The dictionary as a plain, non-null STRING column; *null_entries (cairn_free) marks the
 * entries that were null, or is NULL. */
static int import_dictionary(const src_col *s, const struct ArrowSchema *ds,
                             const struct ArrowArray *da, cairn_column **out,
                             uint8_t **null_entries, cairn_error *err)
{
    src_col d = {da, parse_format(ds->format), da->offset, da->length, NULL, 0, s->name};
    *null_entries = NULL;
    if (d.kind != K_UTF8 && d.kind != K_LUTF8) {
        cairn_error_set(err, CAIRN_EUNSUPPORTED,
                        "column '%s': dictionary values of format '%s' are not supported", s->name,
                        ds->format ? ds->format : "");
        cairn_error_field(err, s->name);
        return CAIRN_EUNSUPPORTED;
    }
    cairn_column *dict = NULL;
    int rc = import_values(&d, true, &dict, err);
    if (rc) return rc;
    if (dict->validity) {
        *null_entries = dict->validity;
        dict->validity = NULL;
        dict->validity_cap_ = 0;
        dict->null_count = 0;
    }
    dict->nullable = false;
    *out = dict;
    return 0;
}

/* Fills the codes of a dictionary column c from the indices of s. */
static int fill_codes(cairn_column *c, const src_col *s, const uint8_t *null_entries,
                      cairn_error *err)
{
    const void *idx = buffer(s, 1);
    int32_t *codes = c->values;
    int64_t entries = c->dictionary->length;
    for (int64_t r = 0; r < s->length; r++) {
        codes[r] = 0;
        if (!cairn_column_is_valid(c, r)) continue;
        int64_t v = int_at(idx, s->kind, s->base + r);
        if (s->kind == K_U64 && v < 0) v = -1;
        if (v < 0 || v >= entries)
            return bad(err, CAIRN_EINVAL, s, "a dictionary index is out of range");
        if (null_entries && !bit_at(null_entries, v)) {
            if (!c->validity) {
                size_t bytes = cairn__bitmap_bytes(s->length);
                uint8_t *bits = cairn_malloc(bytes ? bytes : 1);
                if (!bits) return bad(err, CAIRN_ENOMEM, s, "out of memory");
                memset(bits, 0xff, bytes ? bytes : 1);
                c->validity = bits;
                c->validity_cap_ = bytes ? bytes : 1;
            }
            c->validity[r >> 3] &= (uint8_t) ~(1u << (r & 7));
            c->null_count++;
            c->nullable = true;
            continue;
        }
        codes[r] = (int32_t)v;
    }
    return 0;
}

/* An empty dictionary column over dict (taken over) with room and validity for s. */
static int dict_shell(const src_col *s, cairn_column *dict, bool nullable, cairn_column **out)
{
    cairn_column *c = NULL;
    int rc = cairn_column_create(s->name, CAIRN_TYPE_STRING, nullable, &c);
    if (rc) {
        cairn_column_free(dict);
        return rc;
    }
    cairn_free(c->offsets);
    c->offsets = NULL;
    c->values_cap_ = 0;
    c->dictionary = dict;
    rc = cairn_column_reserve(c, s->length, 0);
    if (rc == 0) rc = import_validity(c, s);
    if (rc) {
        cairn_column_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

static int import_dict_column(const src_col *s, const struct ArrowSchema *schema, bool nullable,
                              cairn_column **out, cairn_error *err)
{
    if (!kind_is_integer(s->kind))
        return bad(err, CAIRN_EUNSUPPORTED, s, "dictionary indices must be integers");
    if (!s->a->dictionary) return bad(err, CAIRN_EINVAL, s, "no dictionary array");
    int rc = check_buffers(s, 2, err);
    if (rc) return rc;
    cairn_column *dict = NULL, *c = NULL;
    uint8_t *null_entries = NULL;
    rc = import_dictionary(s, schema->dictionary, s->a->dictionary, &dict, &null_entries, err);
    if (rc) return rc;
    if (dict->length > INT32_MAX) {
        cairn_column_free(dict);
        cairn_free(null_entries);
        return bad(err, CAIRN_ELIMIT, s, "the dictionary has more than 2^31 entries");
    }
    rc = dict_shell(s, dict, nullable, &c);
    if (rc) {
        cairn_free(null_entries);
        return bad(err, rc, s, "out of memory");
    }
    rc = fill_codes(c, s, null_entries, err);
    cairn_free(null_entries);
    if (rc) {
        cairn_column_free(c);
        return rc;
    }
    c->length = s->length;
    *out = c;
    return 0;
}

static int import_column(const struct ArrowSchema *schema, src_col *s, cairn_column **out,
                         cairn_error *err)
{
    s->kind = parse_format(schema->format);
    bool nullable = (schema->flags & ARROW_FLAG_NULLABLE) != 0;
    if (schema->dictionary) return import_dict_column(s, schema, nullable, out, err);
    if (s->kind == K_NONE || s->kind == K_U64) {
        cairn_error_set(err, CAIRN_EUNSUPPORTED, "column '%s' has the unsupported format '%s'",
                        s->name, schema->format ? schema->format : "(null)");
        cairn_error_field(err, s->name);
        return CAIRN_EUNSUPPORTED;
    }
    return import_values(s, nullable, out, err);
}

/* ------------------------------------------------------------------------------------------
 * Import: the struct
 * ---------------------------------------------------------------------------------------- */

static int check_struct(const struct ArrowSchema *schema, const struct ArrowArray *array,
                        cairn_error *err)
{
    if (!schema->format || strcmp(schema->format, "+s") != 0)
        return cairn_error_set(err, CAIRN_EUNSUPPORTED,
                               "expected a struct array (format '+s'), found format '%s'",
                               schema->format ? schema->format : "(null)");
    if (schema->n_children != array->n_children || array->n_children < 0 ||
        (array->n_children > 0 && (!array->children || !schema->children)))
        return cairn_error_set(err, CAIRN_EINVAL, "the schema has %lld children but the array %lld",
                               (long long)schema->n_children, (long long)array->n_children);
    if (array->length < 0 || array->offset < 0)
        return cairn_error_set(err, CAIRN_EINVAL, "negative struct length or offset");
    return 0;
}

static int check_names(cairn_column **cols, size_t n, cairn_error *err)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cols[i]->name, cols[j]->name) == 0) {
                cairn_error_set(err, CAIRN_EINVAL, "two columns are named '%s'", cols[i]->name);
                cairn_error_field(err, cols[i]->name);
                return CAIRN_EINVAL;
            }
        }
    }
    return 0;
}

static int import_struct(const struct ArrowSchema *schema, const struct ArrowArray *array,
                         cairn_table **out, cairn_error *err)
{
    int rc = check_struct(schema, array, err);
    if (rc) return rc;
    size_t n = (size_t)array->n_children;
    const uint8_t *pvalid =
        array->null_count != 0 && array->n_buffers > 0 && array->buffers ? array->buffers[0] : NULL;
    cairn_column **cols = cairn_calloc(n ? n : 1, sizeof *cols);
    if (!cols) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory importing a table");
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct ArrowSchema *cs = schema->children[i];
        const struct ArrowArray *ca = array->children[i];
        char generated[32];
        snprintf(generated, sizeof generated, "column%zu", i + 1);
        src_col s = {ca,
                     K_NONE,
                     0,
                     array->length,
                     pvalid,
                     array->offset,
                     cs && cs->name ? cs->name : generated};
        if (!cs || !ca) {
            rc = bad(err, CAIRN_EINVAL, &s, "missing child");
            break;
        }
        s.base = ca->offset + array->offset;
        rc = import_column(cs, &s, &cols[i], err);
    }
    if (rc == 0) rc = check_names(cols, n, err);
    if (rc) {
        for (size_t i = 0; i < n; i++)
            cairn_column_free(cols[i]);
        cairn_free(cols);
        return rc;
    }
    rc = cairn__table_from_columns(cols, n, out);
    cairn_free(cols);
    return rc ? cairn_error_set(err, rc, "out of memory importing a table") : 0;
}

int cairn_table_import_arrow(struct ArrowSchema *schema, struct ArrowArray *array,
                             cairn_table **out, cairn_error *err)
{
    int rc;
    cairn_table *t = NULL;
    if (!schema || !array || !schema->release || !array->release)
        rc = cairn_error_set(err, CAIRN_EINVAL, "no schema or array, or one already released");
    else
        rc = import_struct(schema, array, &t, err);
    if (array && array->release) array->release(array);
    if (schema && schema->release) schema->release(schema);
    if (rc == 0) *out = t;
    return rc;
}
