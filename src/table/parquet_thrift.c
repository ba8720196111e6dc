/* parquet_thrift.c: a decoder for the Thrift compact protocol, and on it the Parquet
 * metadata structures the reader needs (FileMetaData and everything under it, PageHeader).
 *
 * The compact protocol in brief: a struct is a sequence of field headers, each one byte
 * (high nibble: field-id delta from the previous field, 0 = an explicit zigzag varint id
 * follows; low nibble: the type), ended by a 0 byte. Integers are zigzag LEB128 varints,
 * i8 is one byte, doubles 8 little-endian bytes, binary a varint length and the bytes. A
 * bool field carries its value in the type nibble (1 true, 2 false); a bool list element is
 * one byte. A list header is one byte (size in the high nibble, 15 = a varint size follows;
 * element type in the low nibble); a map header is a varint size and, when non-zero, one
 * byte of key and value types.
 *
 * Central structure: a cursor (tdec) over the input with a stack of named frames, so any
 * error can say exactly which structure it was reading. Each struct is read by read_struct()
 * with a per-struct field callback; unknown fields of any type are skipped with a nesting
 * limit. Invariants: the cursor never passes `end`; every count from the input is checked
 * against the bytes that remain before anything is allocated for it (every element takes
 * at least one byte), so allocations are bounded by the input's size; all allocations come
 * from one arena, so a failure releases everything at once.
 * Tests: tests/unit/table/test_parquet_thrift.c.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "table/parquet_internal.h"
#include "table/parquet_thrift.h"

/* Compact protocol type codes. */
enum {
    CT_STOP = 0,
    CT_TRUE = 1,
    CT_FALSE = 2,
    CT_BYTE = 3,
    CT_I16 = 4,
    CT_I32 = 5,
    CT_I64 = 6,
    CT_DOUBLE = 7,
    CT_BINARY = 8,
    CT_LIST = 9,
    CT_SET = 10,
    CT_MAP = 11,
    CT_STRUCT = 12,
    CT_UUID = 13,
};

#define MAX_DEPTH 32 /* struct/list nesting accepted while skipping */
#define MAX_FRAMES 10

typedef struct tframe {
    const char *name;
    int64_t index; /* list position, -1 = none */
} tframe;

typedef struct tdec {
    const uint8_t *base, *p, *end;
    int64_t file_offset; /* file position of base */
    cairn_arena *arena;  /* NULL: decode without allocating (page headers) */
    cairn_error *err;
    int depth;
    int nframes;
    tframe frames[MAX_FRAMES];
} tdec;

/* A field callback: id 0 means "the struct ended" (a chance to check required fields). */
typedef int (*field_fn)(tdec *d, void *obj, int id, int type);

/* ------------------------------------------------------------------------------------------
 * Errors and frames
 * ---------------------------------------------------------------------------------------- */

static void push(tdec *d, const char *name, int64_t index)
{
    if (d->nframes < MAX_FRAMES) d->frames[d->nframes] = (tframe){name, index};
    d->nframes++;
}

static void pop(tdec *d)
{
    d->nframes--;
}

static int fail(tdec *d, const char *fmt, ...) CAIRN_PRINTF(2, 3);
static int fail(tdec *d, const char *fmt, ...)
{
    char path[256], msg[256];
    size_t used = 0;
    int n = d->nframes < MAX_FRAMES ? d->nframes : MAX_FRAMES;
    path[0] = '\0';
    for (int i = 0; i < n && used < sizeof path; i++) {
        const tframe *f = &d->frames[i];
        int w = f->index >= 0 ? snprintf(path + used, sizeof path - used, "%s%s[%" PRId64 "]",
                                         i ? "." : "", f->name, f->index)
                              : snprintf(path + used, sizeof path - used, "%s%s", i ? "." : "",
                                         f->name);
        if (w < 0) break;
        used += (size_t)w;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int64_t offset = d->file_offset + (int64_t)(d->p - d->base);
    if (d->err) d->err->offset = offset;
    return cairn_error_set(d->err, CAIRN_ECORRUPT, "reading %s at byte %" PRId64 ": %s", path,
                           offset, msg);
}

static int nomem(tdec *d)
{
    return cairn_error_set(d->err, CAIRN_ENOMEM, "out of memory reading Parquet metadata");
}

static size_t remaining(const tdec *d)
{
    return (size_t)(d->end - d->p);
}

/* ------------------------------------------------------------------------------------------
 * Primitives
 * ---------------------------------------------------------------------------------------- */

bool cairn__pq_read_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    const uint8_t *q = *p;
    for (int shift = 0; shift < 70; shift += 7) {
        if (q >= end) return false;
        uint8_t b = *q++;
        if (shift == 63 && (b & 0x7e)) return false; /* more than 64 bits */
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *p = q;
            *out = v;
            return true;
        }
    }
    return false;
}

static int uvarint(tdec *d, uint64_t *out)
{
    if (!cairn__pq_read_uvarint(&d->p, d->end, out))
        return fail(d, remaining(d) < 10 ? "truncated varint" : "varint longer than 64 bits");
    return 0;
}

static int zigzag(tdec *d, int64_t *out)
{
    uint64_t u;
    int rc = uvarint(d, &u);
    if (rc == 0) *out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return rc;
}

static int byte(tdec *d, uint8_t *out)
{
    if (d->p >= d->end) return fail(d, "truncated: expected 1 more byte");
    *out = *d->p++;
    return 0;
}

static int skip_bytes(tdec *d, uint64_t n)
{
    if (n > remaining(d))
        return fail(d, "length %" PRIu64 " exceeds remaining %zu bytes", n, remaining(d));
    d->p += n;
    return 0;
}

/* An integer of any integer type; *ok false (and the value skipped) for other types. */
static int read_int(tdec *d, int type, int64_t *out, bool *ok);
static int skip_value(tdec *d, int type, bool in_list);

static int read_int(tdec *d, int type, int64_t *out, bool *ok)
{
    *ok = true;
    if (type == CT_BYTE) {
        uint8_t b = 0;
        int rc = byte(d, &b);
        *out = (int8_t)b;
        return rc;
    }
    if (type == CT_I16 || type == CT_I32 || type == CT_I64) return zigzag(d, out);
    *ok = false;
    return skip_value(d, type, false);
}

static int field_i64(tdec *d, int type, int64_t *out)
{
    bool ok;
    int64_t v;
    int rc = read_int(d, type, &v, &ok);
    if (rc == 0 && ok) *out = v;
    return rc;
}

static int field_i32(tdec *d, int type, int32_t *out)
{
    bool ok;
    int64_t v;
    int rc = read_int(d, type, &v, &ok);
    if (rc || !ok) return rc;
    if (v < INT32_MIN || v > INT32_MAX) return fail(d, "i32 value %" PRId64 " out of range", v);
    *out = (int32_t)v;
    return 0;
}

static int field_bool(tdec *d, int type, bool *out)
{
    if (type == CT_TRUE || type == CT_FALSE) {
        *out = type == CT_TRUE;
        return 0;
    }
    return skip_value(d, type, false);
}

/* Binary as borrowed bytes. */
static int read_bytes(tdec *d, pq_bytes *out)
{
    uint64_t n;
    int rc = uvarint(d, &n);
    if (rc) return rc;
    if (n > remaining(d))
        return fail(d, "binary length %" PRIu64 " exceeds remaining %zu bytes", n, remaining(d));
    out->ptr = d->p;
    out->len = (uint32_t)n;
    d->p += n;
    return 0;
}

static int field_bytes(tdec *d, int type, pq_bytes *out)
{
    if (type != CT_BINARY) return skip_value(d, type, false);
    return read_bytes(d, out);
}

/* Binary copied into the arena with a terminating NUL. */
static int read_string(tdec *d, char **out)
{
    pq_bytes b = {0};
    int rc = read_bytes(d, &b);
    if (rc) return rc;
    char *s = cairn_arena_strndup(d->arena, (const char *)b.ptr, b.len);
    if (!s) return nomem(d);
    *out = s;
    return 0;
}

static int field_string(tdec *d, int type, char **out)
{
    if (type != CT_BINARY || !d->arena) return skip_value(d, type, false);
    return read_string(d, out);
}

/* ------------------------------------------------------------------------------------------
 * Containers and skipping
 * ---------------------------------------------------------------------------------------- */

static int list_header(tdec *d, int *elem_type, uint32_t *count)
{
    uint8_t b = 0;
    int rc = byte(d, &b);
    if (rc) return rc;
    uint64_t n = b >> 4;
    if (n == 15 && (rc = uvarint(d, &n)) != 0) return rc;
    *elem_type = b & 0x0f;
    if (n > remaining(d))
        return fail(d, "list length %" PRIu64 " exceeds remaining %zu bytes", n, remaining(d));
    if (n > 0 && (*elem_type == CT_STOP || *elem_type > CT_UUID))
        return fail(d, "invalid list element type %d", *elem_type);
    *count = (uint32_t)n;
    return 0;
}

static int skip_list(tdec *d)
{
    int et = 0;
    uint32_t n = 0;
    int rc = list_header(d, &et, &n);
    for (uint32_t i = 0; rc == 0 && i < n; i++)
        rc = skip_value(d, et, true);
    return rc;
}

static int skip_map(tdec *d)
{
    uint64_t n;
    uint8_t kv = 0;
    int rc = uvarint(d, &n);
    if (rc == 0 && n > remaining(d) / 2)
        return fail(d, "map size %" PRIu64 " exceeds remaining %zu bytes", n, remaining(d));
    if (rc == 0 && n > 0) rc = byte(d, &kv);
    int kt = kv >> 4, vt = kv & 0x0f;
    if (rc == 0 && n > 0 && (kt == CT_STOP || kt > CT_UUID || vt == CT_STOP || vt > CT_UUID))
        return fail(d, "invalid map key/value types %d/%d", kt, vt);
    for (uint64_t i = 0; rc == 0 && i < n; i++) {
        rc = skip_value(d, kt, true);
        if (rc == 0) rc = skip_value(d, vt, true);
    }
    return rc;
}

static int skip_struct(tdec *d);

static int skip_value(tdec *d, int type, bool in_list)
{
    uint64_t u;
    switch (type) {
    case CT_TRUE:
    case CT_FALSE: return in_list ? skip_bytes(d, 1) : 0;
    case CT_BYTE: return skip_bytes(d, 1);
    case CT_I16:
    case CT_I32:
    case CT_I64: return uvarint(d, &u);
    case CT_DOUBLE: return skip_bytes(d, 8);
    case CT_UUID: return skip_bytes(d, 16);
    case CT_BINARY: {
        int rc = uvarint(d, &u);
        return rc ? rc : skip_bytes(d, u);
    }
    default: break;
    }
    if (type != CT_LIST && type != CT_SET && type != CT_MAP && type != CT_STRUCT)
        return fail(d, "invalid field type %d", type);
    if (d->depth >= MAX_DEPTH) return fail(d, "nesting deeper than %d levels", MAX_DEPTH);
    d->depth++;
    int rc = type == CT_STRUCT ? skip_struct(d) : type == CT_MAP ? skip_map(d) : skip_list(d);
    d->depth--;
    return rc;
}

/* Reads the next field header; 1 = a field (*id, *type), 0 = the struct's end. */
static int next_field(tdec *d, int *last_id, int *id, int *type)
{
    uint8_t b = 0;
    int rc = byte(d, &b);
    if (rc) return rc;
    if (b == CT_STOP) return 0;
    *type = b & 0x0f;
    int delta = b >> 4;
    if (delta == 0) {
        int64_t v;
        if ((rc = zigzag(d, &v)) != 0) return rc;
        if (v < INT16_MIN || v > INT16_MAX) return fail(d, "field id %" PRId64 " out of range", v);
        *id = (int)v;
    } else {
        *id = *last_id + delta;
    }
    if (*type == CT_STOP || *type > CT_UUID) return fail(d, "invalid field type %d", *type);
    *last_id = *id;
    return 1;
}

static int skip_struct(tdec *d)
{
    int last = 0, id = 0, type = 0, more;
    while ((more = next_field(d, &last, &id, &type)) == 1) {
        int rc = skip_value(d, type, false);
        if (rc) return rc;
    }
    return more;
}

/* Reads a struct (the field header said CT_STRUCT) through fn, inside a named frame. */
static int read_struct(tdec *d, const char *name, int64_t index, void *obj, field_fn fn)
{
    if (d->depth >= MAX_DEPTH) return fail(d, "nesting deeper than %d levels", MAX_DEPTH);
    d->depth++;
    push(d, name, index);
    int last = 0, id = 0, type = 0, rc;
    while ((rc = next_field(d, &last, &id, &type)) == 1) {
        if (id == 0) rc = skip_value(d, type, false); /* id 0 is reserved for "end" */
        else rc = fn(d, obj, id, type);
        if (rc) break;
    }
    if (rc == 0) rc = fn(d, obj, 0, CT_STOP);
    pop(d);
    d->depth--;
    return rc;
}

static int field_struct(tdec *d, int type, const char *name, void *obj, field_fn fn)
{
    if (type != CT_STRUCT) return skip_value(d, type, false);
    return read_struct(d, name, -1, obj, fn);
}

/* A list of structs of `size` bytes each, allocated in the arena (zeroed, then `init`). */
static int field_struct_list(tdec *d, int type, const char *name, size_t size, field_fn fn,
                             void (*init)(void *), void **out, uint32_t *count)
{
    if (type != CT_LIST) return skip_value(d, type, false);
    int et = 0;
    uint32_t n = 0;
    push(d, name, -1);
    int rc = list_header(d, &et, &n);
    pop(d);
    if (rc) return rc;
    if (n && et != CT_STRUCT) {
        for (uint32_t i = 0; rc == 0 && i < n; i++)
            rc = skip_value(d, et, true);
        return rc;
    }
    uint8_t *items = n ? cairn_arena_calloc(d->arena, n, size) : NULL;
    if (n && !items) return nomem(d);
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        if (init) init(items + (size_t)i * size);
        rc = read_struct(d, name, i, items + (size_t)i * size, fn);
    }
    if (rc) return rc;
    *out = items;
    *count = n;
    return 0;
}

static int field_i32_list(tdec *d, int type, const char *name, int32_t **out, uint32_t *count)
{
    if (type != CT_LIST) return skip_value(d, type, false);
    int et = 0;
    uint32_t n = 0;
    push(d, name, -1);
    int rc = list_header(d, &et, &n);
    int32_t *items = rc == 0 && n ? cairn_arena_calloc(d->arena, n, sizeof *items) : NULL;
    if (rc == 0 && n && !items) rc = nomem(d);
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        bool ok;
        int64_t v = 0;
        rc = read_int(d, et, &v, &ok);
        if (rc == 0 && (v < INT32_MIN || v > INT32_MAX)) rc = fail(d, "i32 list value out of range");
        items[i] = (int32_t)v;
    }
    pop(d);
    if (rc) return rc;
    *out = items;
    *count = n;
    return 0;
}

static int field_string_list(tdec *d, int type, const char *name, char ***out,
                             uint32_t *count)
{
    if (type != CT_LIST) return skip_value(d, type, false);
    int et = 0;
    uint32_t n = 0;
    push(d, name, -1);
    int rc = list_header(d, &et, &n);
    if (rc == 0 && n && et != CT_BINARY)
        rc = fail(d, "expected a list of strings, found type %d", et);
    char **items = rc == 0 && n ? cairn_arena_calloc(d->arena, n, sizeof *items) : NULL;
    if (rc == 0 && n && !items) rc = nomem(d);
    for (uint32_t i = 0; i < n && rc == 0; i++)
        rc = read_string(d, &items[i]);
    pop(d);
    if (rc) return rc;
    *out = items;
    *count = n;
    return 0;
}

static int missing(tdec *d, const char *field)
{
    return fail(d, "required field '%s' is missing", field);
}

/* ------------------------------------------------------------------------------------------
 * Statistics, logical types, schema elements
 * ---------------------------------------------------------------------------------------- */

static int statistics_field(tdec *d, void *obj, int id, int type)
{
    pq_statistics *s = obj;
    switch (id) {
    case 0: return 0;
    case 1: return field_bytes(d, type, &s->max);
    case 2: return field_bytes(d, type, &s->min);
    case 3: return field_i64(d, type, &s->null_count);
    case 5: return field_bytes(d, type, &s->max_value);
    case 6: return field_bytes(d, type, &s->min_value);
    default: return skip_value(d, type, false);
    }
}

static int time_unit_field(tdec *d, void *obj, int id, int type)
{
    int *unit = obj;
    if (id >= PQ_UNIT_MILLIS && id <= PQ_UNIT_NANOS && type == CT_STRUCT) *unit = id;
    return id == 0 ? 0 : skip_value(d, type, false);
}

static int logical_inner_field(tdec *d, void *obj, int id, int type)
{
    pq_logical_type *lt = obj;
    if (id == 0) return 0;
    int32_t v;
    switch (lt->kind) {
    case PQ_LT_DECIMAL:
        if (id == 1) return field_i32(d, type, &lt->scale);
        if (id == 2) return field_i32(d, type, &lt->precision);
        break;
    case PQ_LT_TIME:
    case PQ_LT_TIMESTAMP:
        if (id == 1) return field_bool(d, type, &lt->adjusted_to_utc);
        if (id == 2) return field_struct(d, type, "unit", &lt->unit, time_unit_field);
        break;
    case PQ_LT_INTEGER:
        if (id == 1) {
            v = 0;
            int rc = field_i32(d, type, &v);
            lt->bit_width = v;
            return rc;
        }
        if (id == 2) return field_bool(d, type, &lt->is_signed);
        break;
    default: break;
    }
    return skip_value(d, type, false);
}

static int logical_field(tdec *d, void *obj, int id, int type)
{
    pq_logical_type *lt = obj;
    if (id == 0) return 0;
    if (type != CT_STRUCT) return skip_value(d, type, false);
    lt->kind = (id >= 1 && id <= 15 && id != 9) ? id : PQ_LT_OTHER;
    return read_struct(d, "logicalType", -1, lt, logical_inner_field);
}

static void schema_element_init(void *obj)
{
    pq_schema_element *e = obj;
    e->name = "";
    e->type = e->type_length = e->repetition = e->num_children = -1;
    e->converted_type = e->scale = e->precision = -1;
}

static int schema_element_field(tdec *d, void *obj, int id, int type)
{
    pq_schema_element *e = obj;
    switch (id) {
    case 0: return 0;
    case 1: return field_i32(d, type, &e->type);
    case 2: return field_i32(d, type, &e->type_length);
    case 3: return field_i32(d, type, &e->repetition);
    case 4: return field_string(d, type, &e->name);
    case 5: return field_i32(d, type, &e->num_children);
    case 6: return field_i32(d, type, &e->converted_type);
    case 7: return field_i32(d, type, &e->scale);
    case 8: return field_i32(d, type, &e->precision);
    case 10:
        if (type != CT_STRUCT) return skip_value(d, type, false);
        return read_struct(d, "logicalType", -1, &e->logical, logical_field);
    default: return skip_value(d, type, false);
    }
}

/* ------------------------------------------------------------------------------------------
 * Column chunks and row groups
 * ---------------------------------------------------------------------------------------- */

static int encoding_stats_field(tdec *d, void *obj, int id, int type)
{
    pq_page_encoding_stats *s = obj;
    switch (id) {
    case 0: return 0;
    case 1: return field_i32(d, type, &s->page_type);
    case 2: return field_i32(d, type, &s->encoding);
    case 3: return field_i32(d, type, &s->count);
    default: return skip_value(d, type, false);
    }
}

static int column_meta_end(tdec *d, pq_column_meta *m)
{
    if (m->type < 0) return missing(d, "type");
    if (m->codec < 0) return missing(d, "codec");
    if (m->num_values < 0) return missing(d, "num_values");
    if (m->total_compressed_size < 0) return missing(d, "total_compressed_size");
    if (m->data_page_offset < 0) return missing(d, "data_page_offset");
    return 0;
}

static int column_meta_field(tdec *d, void *obj, int id, int type)
{
    pq_column_meta *m = obj;
    switch (id) {
    case 0: return column_meta_end(d, m);
    case 1: return field_i32(d, type, &m->type);
    case 2: return field_i32_list(d, type, "encodings", &m->encodings, &m->nencodings);
    case 3: return field_string_list(d, type, "path_in_schema", &m->path, &m->npath);
    case 4: return field_i32(d, type, &m->codec);
    case 5: return field_i64(d, type, &m->num_values);
    case 6: return field_i64(d, type, &m->total_uncompressed_size);
    case 7: return field_i64(d, type, &m->total_compressed_size);
    case 9: return field_i64(d, type, &m->data_page_offset);
    case 11: return field_i64(d, type, &m->dictionary_page_offset);
    case 12:
        if (type != CT_STRUCT) return skip_value(d, type, false);
        m->has_statistics = true;
        m->statistics.null_count = -1;
        return read_struct(d, "statistics", -1, &m->statistics, statistics_field);
    case 13: {
        void *items = m->encoding_stats;
        int rc = field_struct_list(d, type, "encoding_stats", sizeof(pq_page_encoding_stats),
                                   encoding_stats_field, NULL, &items, &m->nencoding_stats);
        m->encoding_stats = items;
        return rc;
    }
    default: return skip_value(d, type, false);
    }
}

static void column_chunk_init(void *obj)
{
    pq_column_meta *m = &((pq_column_chunk *)obj)->meta;
    m->type = m->codec = -1;
    m->num_values = m->total_uncompressed_size = m->total_compressed_size = -1;
    m->data_page_offset = m->dictionary_page_offset = -1;
    m->statistics.null_count = -1;
}

static int column_chunk_field(tdec *d, void *obj, int id, int type)
{
    pq_column_chunk *c = obj;
    switch (id) {
    case 0: return 0;
    case 1: return field_string(d, type, &c->file_path);
    case 3:
        if (type != CT_STRUCT) return skip_value(d, type, false);
        c->has_meta = true;
        return read_struct(d, "meta_data", -1, &c->meta, column_meta_field);
    case 8:
    case 9: c->encrypted = true; return skip_value(d, type, false);
    default: return skip_value(d, type, false);
    }
}

static void row_group_init(void *obj)
{
    pq_row_group *g = obj;
    g->total_byte_size = g->num_rows = -1;
}

static int row_group_field(tdec *d, void *obj, int id, int type)
{
    pq_row_group *g = obj;
    switch (id) {
    case 0: return g->num_rows < 0 ? missing(d, "num_rows") : 0;
    case 1: {
        void *items = g->columns;
        int rc = field_struct_list(d, type, "columns", sizeof(pq_column_chunk),
                                   column_chunk_field, column_chunk_init, &items, &g->ncolumns);
        g->columns = items;
        return rc;
    }
    case 2: return field_i64(d, type, &g->total_byte_size);
    case 3: return field_i64(d, type, &g->num_rows);
    default: return skip_value(d, type, false);
    }
}

/* ------------------------------------------------------------------------------------------
 * FileMetaData
 * ---------------------------------------------------------------------------------------- */

static int key_value_field(tdec *d, void *obj, int id, int type)
{
    pq_key_value *kv = obj;
    switch (id) {
    case 0: return kv->key ? 0 : missing(d, "key");
    case 1: return field_string(d, type, &kv->key);
    case 2: return field_string(d, type, &kv->value);
    default: return skip_value(d, type, false);
    }
}

static int file_meta_end(tdec *d, pq_file_meta *m)
{
    if (!m->has_schema) return missing(d, "schema");
    if (m->num_rows < 0) return missing(d, "num_rows");
    if (!m->has_row_groups) return missing(d, "row_groups");
    return 0;
}

static int file_meta_field(tdec *d, void *obj, int id, int type)
{
    pq_file_meta *m = obj;
    void *items;
    int rc;
    switch (id) {
    case 0: return file_meta_end(d, m);
    case 1: return field_i32(d, type, &m->version);
    case 2:
        m->has_schema |= type == CT_LIST;
        items = m->schema;
        rc = field_struct_list(d, type, "schema", sizeof(pq_schema_element), schema_element_field,
                               schema_element_init, &items, &m->nschema);
        m->schema = items;
        return rc;
    case 3: return field_i64(d, type, &m->num_rows);
    case 4:
        m->has_row_groups |= type == CT_LIST;
        items = m->row_groups;
        rc = field_struct_list(d, type, "row_groups", sizeof(pq_row_group), row_group_field,
                               row_group_init, &items, &m->nrow_groups);
        m->row_groups = items;
        return rc;
    case 5:
        items = m->key_value;
        rc = field_struct_list(d, type, "key_value_metadata", sizeof(pq_key_value),
                               key_value_field, NULL, &items, &m->nkey_value);
        m->key_value = items;
        return rc;
    case 6: return field_string(d, type, &m->created_by);
    case 8: m->encrypted = true; return skip_value(d, type, false);
    default: return skip_value(d, type, false);
    }
}

int cairn__pq_file_meta_decode(const uint8_t *data, size_t len, int64_t file_offset,
                               pq_file_meta *meta, cairn_error *err)
{
    memset(meta, 0, sizeof *meta);
    meta->num_rows = -1;
    cairn_arena_init(&meta->arena, len < 16384 ? 16384 : 65536);
    tdec d = {.base = data, .p = data, .end = data + len, .file_offset = file_offset,
              .arena = &meta->arena, .err = err};
    int rc = read_struct(&d, "FileMetaData", -1, meta, file_meta_field);
    if (rc) {
        cairn_arena_release(&meta->arena);
        memset(meta, 0, sizeof *meta);
    }
    return rc;
}

void cairn__pq_file_meta_release(pq_file_meta *meta)
{
    cairn_arena_release(&meta->arena);
    memset(meta, 0, sizeof *meta);
}

/* ------------------------------------------------------------------------------------------
 * PageHeader
 * ---------------------------------------------------------------------------------------- */

static int data_page_v1_field(tdec *d, void *obj, int id, int type)
{
    pq_page_header *h = obj;
    switch (id) {
    case 0: return h->v1_num_values < 0 ? missing(d, "num_values") : 0;
    case 1: return field_i32(d, type, &h->v1_num_values);
    case 2: return field_i32(d, type, &h->v1_encoding);
    case 3: return field_i32(d, type, &h->v1_def_encoding);
    case 4: return field_i32(d, type, &h->v1_rep_encoding);
    default: return skip_value(d, type, false);
    }
}

static int dict_page_field(tdec *d, void *obj, int id, int type)
{
    pq_page_header *h = obj;
    switch (id) {
    case 0: return h->dict_num_values < 0 ? missing(d, "num_values") : 0;
    case 1: return field_i32(d, type, &h->dict_num_values);
    case 2: return field_i32(d, type, &h->dict_encoding);
    case 3: return field_bool(d, type, &h->dict_is_sorted);
    default: return skip_value(d, type, false);
    }
}

static int data_page_v2_end(tdec *d, pq_page_header *h)
{
    if (h->v2_num_values < 0) return missing(d, "num_values");
    if (h->v2_num_nulls < 0) return missing(d, "num_nulls");
    if (h->v2_def_length < 0) return missing(d, "definition_levels_byte_length");
    if (h->v2_rep_length < 0) return missing(d, "repetition_levels_byte_length");
    return 0;
}

static int data_page_v2_field(tdec *d, void *obj, int id, int type)
{
    pq_page_header *h = obj;
    switch (id) {
    case 0: return data_page_v2_end(d, h);
    case 1: return field_i32(d, type, &h->v2_num_values);
    case 2: return field_i32(d, type, &h->v2_num_nulls);
    case 3: return field_i32(d, type, &h->v2_num_rows);
    case 4: return field_i32(d, type, &h->v2_encoding);
    case 5: return field_i32(d, type, &h->v2_def_length);
    case 6: return field_i32(d, type, &h->v2_rep_length);
    case 7: return field_bool(d, type, &h->v2_is_compressed);
    default: return skip_value(d, type, false);
    }
}

static int page_header_end(tdec *d, pq_page_header *h)
{
    if (h->type < 0) return missing(d, "type");
    if (h->uncompressed_page_size < 0) return missing(d, "uncompressed_page_size");
    if (h->compressed_page_size < 0) return missing(d, "compressed_page_size");
    if (h->type == PQ_PAGE_DATA && !h->has_v1) return missing(d, "data_page_header");
    if (h->type == PQ_PAGE_DICTIONARY && !h->has_dict) return missing(d, "dictionary_page_header");
    if (h->type == PQ_PAGE_DATA_V2 && !h->has_v2) return missing(d, "data_page_header_v2");
    return 0;
}

static int page_header_field(tdec *d, void *obj, int id, int type)
{
    pq_page_header *h = obj;
    switch (id) {
    case 0: return page_header_end(d, h);
    case 1: return field_i32(d, type, &h->type);
    case 2: return field_i32(d, type, &h->uncompressed_page_size);
    case 3: return field_i32(d, type, &h->compressed_page_size);
    case 4:
        h->has_crc = type == CT_I32;
        return field_i32(d, type, &h->crc);
    case 5:
        h->has_v1 = type == CT_STRUCT;
        return field_struct(d, type, "data_page_header", h, data_page_v1_field);
    case 7:
        h->has_dict = type == CT_STRUCT;
        return field_struct(d, type, "dictionary_page_header", h, dict_page_field);
    case 8:
        h->has_v2 = type == CT_STRUCT;
        return field_struct(d, type, "data_page_header_v2", h, data_page_v2_field);
    default: return skip_value(d, type, false);
    }
}

int cairn__pq_page_header_decode(const uint8_t *data, size_t len, int64_t file_offset,
                                 pq_page_header *header, size_t *header_len, cairn_error *err)
{
    memset(header, 0, sizeof *header);
    header->type = header->uncompressed_page_size = header->compressed_page_size = -1;
    header->v1_num_values = header->dict_num_values = -1;
    header->v2_num_values = header->v2_num_nulls = -1;
    header->v2_def_length = header->v2_rep_length = -1;
    header->v1_encoding = header->v2_encoding = header->dict_encoding = PQ_ENC_PLAIN;
    header->v1_def_encoding = header->v1_rep_encoding = PQ_ENC_RLE;
    header->v2_is_compressed = true;
    tdec d = {.base = data, .p = data, .end = data + len, .file_offset = file_offset,
              .arena = NULL, .err = err};
    int rc = read_struct(&d, "PageHeader", -1, header, page_header_field);
    if (rc == 0) *header_len = (size_t)(d.p - data);
    return rc;
}
