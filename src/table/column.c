/* column.c: a typed column in Arrow's memory layout, and its builders.
 *
 * Buffers (see cairn/table.h): `validity` is a bitmap allocated lazily by the first null
 * and back-filled with 1s for the rows before it; BOOL values are a bitmap; fixed-width
 * values are packed; a plain STRING column has int64 offsets (length + 1, offsets[0] == 0
 * from creation on) and bytes in `data`; a dictionary STRING column has int32 codes in
 * `values` indexing a plain STRING `dictionary`. A null slot holds 0 (an empty string, code
 * 0). Capacities are in bytes (table_internal.h) and grow geometrically with cairn_grow, so
 * appends are amortised O(1).
 *
 * Failure atomicity: every builder first makes room in all buffers it will touch and only
 * then writes, so a failed append leaves the column's contents exactly as they were (only
 * capacities may have grown). Multi-row changes that must allocate midway save a
 * cairn__column_mark and roll back to it.
 *
 * Dictionary encoding interns strings with an open-addressing index of codes (str_index),
 * hashing with cairn_hash64. Tests: tests/unit/table/test_column.c.
 */
#include <string.h>

#include "table_internal.h"

/* ------------------------------------------------------------------------------------------
 * Buffer helpers
 * ---------------------------------------------------------------------------------------- */

static int grow_bytes(void **buf, size_t *cap, size_t need)
{
    return cairn_grow(buf, cap, need, 1);
}

static bool is_plain_string(const cairn_column *c)
{
    return c->type == CAIRN_TYPE_STRING && c->dictionary == NULL;
}

/* Bytes of `values` (or of `offsets` for plain strings) needed to hold `rows` rows. */
static size_t value_bytes(const cairn_column *c, int64_t rows)
{
    if (c->type == CAIRN_TYPE_BOOL) return cairn__bitmap_bytes(rows);
    if (c->type == CAIRN_TYPE_STRING)
        return c->dictionary ? (size_t)rows * 4 : (size_t)(rows + 1) * 8;
    return (size_t)rows * cairn_type_width(c->type);
}

/* Makes room for `rows` rows in total in values/offsets and (when present) validity. */
static int reserve_total(cairn_column *c, int64_t rows)
{
    int rc;
    if (is_plain_string(c)) {
        void *p = c->offsets;
        rc = grow_bytes(&p, &c->values_cap_, value_bytes(c, rows));
        c->offsets = p;
    } else {
        rc = grow_bytes(&c->values, &c->values_cap_, value_bytes(c, rows));
    }
    if (rc == 0 && c->validity) {
        void *p = c->validity;
        rc = grow_bytes(&p, &c->validity_cap_, cairn__bitmap_bytes(rows));
        c->validity = p;
    }
    return rc;
}

static int reserve_data(cairn_column *c, size_t extra)
{
    size_t used = (size_t)c->offsets[c->length];
    if (extra > SIZE_MAX - used) return CAIRN_ENOMEM;
    void *p = c->data;
    int rc = grow_bytes(&p, &c->data_cap_, used + extra);
    c->data = p;
    return rc;
}

/* Allocates the validity bitmap with all existing rows valid, room for `rows` in total. */
static int ensure_validity(cairn_column *c, int64_t rows)
{
    if (c->validity) return 0;
    void *p = NULL;
    size_t cap = 0;
    int rc = grow_bytes(&p, &cap, cairn__bitmap_bytes(rows));
    if (rc) return rc;
    memset(p, 0xff, cap);
    c->validity = p;
    c->validity_cap_ = cap;
    return 0;
}

/* Marks row `length` valid or null and counts it; the value slot is already written. */
static void finish_row(cairn_column *c, bool valid)
{
    if (c->validity) cairn__bit_put(c->validity, c->length, valid);
    if (!valid) c->null_count++;
    c->length++;
}

/* ------------------------------------------------------------------------------------------
 * Lifecycle
 * ---------------------------------------------------------------------------------------- */

static bool type_is_valid(cairn_type type)
{
    return type >= CAIRN_TYPE_BOOL && type <= CAIRN_TYPE_DATE32;
}

int cairn_column_create(const char *name, cairn_type type, bool nullable, cairn_column **out)
{
    if (!type_is_valid(type)) return CAIRN_EINVAL;
    cairn_column *c = cairn_calloc(1, sizeof *c);
    if (!c) return CAIRN_ENOMEM;
    c->name = cairn_strdup(name ? name : "");
    c->type = type;
    c->nullable = nullable;
    if (c->name && type == CAIRN_TYPE_STRING) {
        c->offsets = cairn_malloc(sizeof(int64_t));
        if (c->offsets) {
            c->offsets[0] = 0;
            c->values_cap_ = sizeof(int64_t);
        }
    }
    if (!c->name || (type == CAIRN_TYPE_STRING && !c->offsets)) {
        cairn_column_free(c);
        return CAIRN_ENOMEM;
    }
    *out = c;
    return 0;
}

void cairn_column_free(cairn_column *column)
{
    if (!column) return;
    cairn_free(column->name);
    cairn_free(column->validity);
    cairn_free(column->values);
    cairn_free(column->offsets);
    cairn_free(column->data);
    cairn_column_free(column->dictionary);
    cairn_free(column);
}

int cairn_column_reserve(cairn_column *column, int64_t rows, size_t bytes)
{
    if (rows < 0 || rows > INT64_MAX / 16 - column->length) return CAIRN_EINVAL;
    int rc = reserve_total(column, column->length + rows);
    if (rc == 0 && is_plain_string(column)) rc = reserve_data(column, bytes);
    return rc;
}

int cairn__column_create_like(const cairn_column *src, cairn_column **out)
{
    return cairn_column_create(src->name, src->type, src->nullable, out);
}

void cairn__column_mark_save(const cairn_column *column, cairn__column_mark *mark)
{
    mark->length = column->length;
    mark->null_count = column->null_count;
    mark->had_validity = column->validity != NULL;
    mark->dict_length = column->dictionary ? column->dictionary->length : -1;
}

void cairn__column_rollback(cairn_column *column, const cairn__column_mark *mark)
{
    column->length = mark->length;
    column->null_count = mark->null_count;
    if (!mark->had_validity && column->validity) {
        cairn_free(column->validity);
        column->validity = NULL;
        column->validity_cap_ = 0;
    }
    if (column->dictionary && mark->dict_length >= 0) {
        column->dictionary->length = mark->dict_length;
        column->dictionary->null_count = 0;
    }
}

/* ------------------------------------------------------------------------------------------
 * Builders
 * ---------------------------------------------------------------------------------------- */

/* Checks the column takes a value of `type` and makes room for one more row. */
static int begin_append(cairn_column *c, cairn_type type)
{
    bool ok = c->type == type || (type == CAIRN_TYPE_INT64 && c->type == CAIRN_TYPE_TIMESTAMP) ||
              (type == CAIRN_TYPE_INT32 && c->type == CAIRN_TYPE_DATE32);
    if (!ok) return CAIRN_ETYPE;
    if (c->length == INT64_MAX / 16) return CAIRN_ELIMIT;
    return reserve_total(c, c->length + 1);
}

int cairn_column_append_null(cairn_column *column)
{
    cairn_column *c = column;
    if (!c->nullable) return CAIRN_EINVAL;
    int rc = begin_append(c, c->type);
    if (rc == 0) rc = ensure_validity(c, c->length + 1);
    if (rc) return rc;
    if (c->type == CAIRN_TYPE_BOOL)
        cairn__bit_put(c->values, c->length, false);
    else if (is_plain_string(c))
        c->offsets[c->length + 1] = c->offsets[c->length];
    else if (c->type == CAIRN_TYPE_STRING)
        ((int32_t *)c->values)[c->length] = 0;
    else
        memset((char *)c->values + (size_t)c->length * cairn_type_width(c->type), 0,
               cairn_type_width(c->type));
    finish_row(c, false);
    return 0;
}

int cairn_column_append_bool(cairn_column *column, bool v)
{
    int rc = begin_append(column, CAIRN_TYPE_BOOL);
    if (rc) return rc;
    cairn__bit_put(column->values, column->length, v);
    finish_row(column, true);
    return 0;
}

int cairn_column_append_int32(cairn_column *column, int32_t v)
{
    int rc = begin_append(column, CAIRN_TYPE_INT32);
    if (rc) return rc;
    ((int32_t *)column->values)[column->length] = v;
    finish_row(column, true);
    return 0;
}

int cairn_column_append_int64(cairn_column *column, int64_t v)
{
    int rc = begin_append(column, CAIRN_TYPE_INT64);
    if (rc) return rc;
    ((int64_t *)column->values)[column->length] = v;
    finish_row(column, true);
    return 0;
}

int cairn_column_append_float32(cairn_column *column, float v)
{
    int rc = begin_append(column, CAIRN_TYPE_FLOAT32);
    if (rc) return rc;
    ((float *)column->values)[column->length] = v;
    finish_row(column, true);
    return 0;
}

int cairn_column_append_float64(cairn_column *column, double v)
{
    int rc = begin_append(column, CAIRN_TYPE_FLOAT64);
    if (rc) return rc;
    ((double *)column->values)[column->length] = v;
    finish_row(column, true);
    return 0;
}

int cairn_column_append_string(cairn_column *column, const char *s, size_t len)
{
    if (column->type == CAIRN_TYPE_STRING && column->dictionary) return CAIRN_EINVAL;
    int rc = begin_append(column, CAIRN_TYPE_STRING);
    if (rc == 0) rc = reserve_data(column, len);
    if (rc) return rc;
    int64_t end = column->offsets[column->length];
    if (len) memcpy(column->data + end, s, len);
    column->offsets[column->length + 1] = end + (int64_t)len;
    finish_row(column, true);
    return 0;
}

int cairn_column_append_value(cairn_column *column, const cairn_value *value)
{
    if (value->is_null) return cairn_column_append_null(column);
    switch (column->type) {
    case CAIRN_TYPE_INT64:
        if (value->type == CAIRN_TYPE_INT32) return cairn_column_append_int64(column, value->v.i32);
        break;
    case CAIRN_TYPE_FLOAT64:
        if (value->type == CAIRN_TYPE_FLOAT32)
            return cairn_column_append_float64(column, (double)value->v.f32);
        break;
    default:
        break;
    }
    if (value->type != column->type) return CAIRN_ETYPE;
    switch (value->type) {
    case CAIRN_TYPE_BOOL:
        return cairn_column_append_bool(column, value->v.b);
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32:
        return cairn_column_append_int32(column, value->v.i32);
    case CAIRN_TYPE_INT64:
    case CAIRN_TYPE_TIMESTAMP:
        return cairn_column_append_int64(column, value->v.i64);
    case CAIRN_TYPE_FLOAT32:
        return cairn_column_append_float32(column, value->v.f32);
    case CAIRN_TYPE_FLOAT64:
        return cairn_column_append_float64(column, value->v.f64);
    case CAIRN_TYPE_STRING:
        return cairn_column_append_string(column, value->v.str.ptr, value->v.str.len);
    }
    return CAIRN_ETYPE;
}

void cairn_column_get(const cairn_column *column, int64_t i, cairn_value *out)
{
    memset(out, 0, sizeof *out);
    out->type = column->type;
    if (!cairn_column_is_valid(column, i)) {
        out->is_null = true;
        return;
    }
    switch (column->type) {
    case CAIRN_TYPE_BOOL:
        out->v.b = cairn_bit_get(column->values, i);
        break;
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32:
        out->v.i32 = cairn_column_i32(column, i);
        break;
    case CAIRN_TYPE_INT64:
    case CAIRN_TYPE_TIMESTAMP:
        out->v.i64 = cairn_column_i64(column, i);
        break;
    case CAIRN_TYPE_FLOAT32:
        out->v.f32 = ((const float *)column->values)[i];
        break;
    case CAIRN_TYPE_FLOAT64:
        out->v.f64 = cairn_column_f64(column, i);
        break;
    case CAIRN_TYPE_STRING:
        out->v.str.ptr = cairn_column_str(column, i, &out->v.str.len);
        break;
    }
}

size_t cairn_column_memory(const cairn_column *column)
{
    size_t bytes = column->values_cap_ + column->data_cap_ + column->validity_cap_;
    if (column->dictionary) bytes += cairn_column_memory(column->dictionary);
    return bytes;
}

/* ------------------------------------------------------------------------------------------
 * The string index: strings of a plain STRING column (the dictionary) by their code
 * ---------------------------------------------------------------------------------------- */

typedef struct str_index {
    int32_t *slots; /* code + 1; 0 = empty */
    size_t mask;    /* slots - 1; a power of two minus one */
    size_t count;
} str_index;

static uint64_t str_hash(const char *s, size_t len)
{
    return cairn_hash64(s, len, 0x9e3779b97f4a7c15ULL);
}

static int str_index_init(str_index *idx, size_t expected)
{
    size_t n = 16;
    while (n < expected * 2 && n < ((size_t)1 << 40))
        n *= 2;
    idx->slots = cairn_calloc(n, sizeof *idx->slots);
    if (!idx->slots) return CAIRN_ENOMEM;
    idx->mask = n - 1;
    idx->count = 0;
    return 0;
}

static void str_index_release(str_index *idx)
{
    cairn_free(idx->slots);
    idx->slots = NULL;
}

/* The slot holding s (its code is slots[i] - 1) or the empty slot where it would go. */
static size_t str_index_find(const str_index *idx, const cairn_column *dict, const char *s,
                             size_t len, uint64_t hash)
{
    size_t i = (size_t)hash & idx->mask;
    for (;;) {
        int32_t code = idx->slots[i] - 1;
        if (code < 0) return i;
        size_t dlen;
        const char *d = cairn_column_str(dict, code, &dlen);
        if (dlen == len && (len == 0 || memcmp(d, s, len) == 0)) return i;
        i = (i + 1) & idx->mask;
    }
}

/* Doubles the slots when the next insert would pass a load of one half. */
static int str_index_make_room(str_index *idx, const cairn_column *dict)
{
    size_t n = idx->mask + 1;
    if ((idx->count + 1) * 2 <= n) return 0;
    str_index bigger;
    if (str_index_init(&bigger, n) != 0) return CAIRN_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int32_t code = idx->slots[i] - 1;
        if (code < 0) continue;
        size_t len;
        const char *s = cairn_column_str(dict, code, &len);
        bigger.slots[str_index_find(&bigger, dict, s, len, str_hash(s, len))] = code + 1;
    }
    bigger.count = idx->count;
    str_index_release(idx);
    *idx = bigger;
    return 0;
}

static int str_index_build(str_index *idx, const cairn_column *dict)
{
    int rc = str_index_init(idx, (size_t)dict->length);
    if (rc) return rc;
    for (int64_t code = 0; code < dict->length; code++) {
        size_t len;
        const char *s = cairn_column_str(dict, code, &len);
        size_t slot = str_index_find(idx, dict, s, len, str_hash(s, len));
        if (idx->slots[slot] == 0) {
            idx->slots[slot] = (int32_t)code + 1;
            idx->count++;
        }
    }
    return 0;
}

/* The code of s in dict, appending it to dict when new. */
static int intern(str_index *idx, cairn_column *dict, const char *s, size_t len, int32_t *code)
{
    uint64_t hash = str_hash(s, len);
    size_t slot = str_index_find(idx, dict, s, len, hash);
    if (idx->slots[slot] != 0) {
        *code = idx->slots[slot] - 1;
        return 0;
    }
    if (dict->length >= INT32_MAX - 1) return CAIRN_ELIMIT;
    int rc = str_index_make_room(idx, dict);
    if (rc == 0) rc = cairn_column_append_string(dict, s, len);
    if (rc) return rc;
    *code = (int32_t)(dict->length - 1);
    idx->slots[str_index_find(idx, dict, s, len, hash)] = *code + 1;
    idx->count++;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Appending ranges
 * ---------------------------------------------------------------------------------------- */

static int64_t count_nulls(const cairn_column *c, int64_t offset, int64_t count)
{
    if (!c->validity) return 0;
    int64_t nulls = 0;
    for (int64_t i = offset; i < offset + count; i++)
        nulls += !cairn_bit_get(c->validity, i);
    return nulls;
}

static size_t range_bytes(const cairn_column *src, int64_t offset, int64_t count)
{
    if (!src->dictionary) return (size_t)(src->offsets[offset + count] - src->offsets[offset]);
    size_t bytes = 0;
    for (int64_t i = offset; i < offset + count; i++) {
        size_t len = 0;
        if (cairn_column_is_valid(src, i)) (void)cairn_column_str(src, i, &len);
        bytes += len;
    }
    return bytes;
}

static void copy_strings(cairn_column *dst, const cairn_column *src, int64_t offset, int64_t count)
{
    int64_t end = dst->offsets[dst->length];
    for (int64_t i = 0; i < count; i++) {
        size_t len = 0;
        if (cairn_column_is_valid(src, offset + i)) {
            const char *s = cairn_column_str(src, offset + i, &len);
            if (len) memcpy(dst->data + end, s, len);
        }
        end += (int64_t)len;
        dst->offsets[dst->length + i + 1] = end;
    }
}

/* Copies the values of the range into dst's room past its length (plain dst). */
static void copy_values(cairn_column *dst, const cairn_column *src, int64_t offset, int64_t count)
{
    if (dst->type == CAIRN_TYPE_STRING) {
        copy_strings(dst, src, offset, count);
    } else if (dst->type == CAIRN_TYPE_BOOL) {
        for (int64_t i = 0; i < count; i++)
            cairn__bit_put(dst->values, dst->length + i, cairn_bit_get(src->values, offset + i));
    } else if (count > 0) {
        size_t w = cairn_type_width(dst->type);
        memcpy((char *)dst->values + (size_t)dst->length * w,
               (const char *)src->values + (size_t)offset * w, (size_t)count * w);
    }
}

static void copy_validity(cairn_column *dst, const cairn_column *src, int64_t offset, int64_t count)
{
    if (!dst->validity) return;
    for (int64_t i = 0; i < count; i++)
        cairn__bit_put(dst->validity, dst->length + i, cairn_column_is_valid(src, offset + i));
}

static bool same_dictionary(const cairn_column *a, const cairn_column *b)
{
    if (a == b) return true;
    if (!a || !b || a->length != b->length) return false;
    size_t bytes = (size_t)a->offsets[a->length];
    return memcmp(a->offsets, b->offsets, (size_t)(a->length + 1) * 8) == 0 &&
           (bytes == 0 || memcmp(a->data, b->data, bytes) == 0);
}

/* dst has a dictionary: codes are copied when src shares it, or strings are interned. */
static int append_range_dict(cairn_column *dst, const cairn_column *src, int64_t offset,
                             int64_t count)
{
    if (same_dictionary(dst->dictionary, src->dictionary)) {
        int rc = reserve_total(dst, dst->length + count);
        if (rc == 0 && count_nulls(src, offset, count) > 0)
            rc = ensure_validity(dst, dst->length + count);
        if (rc) return rc;
        memcpy((int32_t *)dst->values + dst->length, (const int32_t *)src->values + offset,
               (size_t)count * 4);
        copy_validity(dst, src, offset, count);
        dst->null_count += count_nulls(src, offset, count);
        dst->length += count;
        return 0;
    }
    str_index idx;
    cairn__column_mark mark;
    int rc = str_index_build(&idx, dst->dictionary);
    if (rc) return rc;
    cairn__column_mark_save(dst, &mark);
    for (int64_t i = offset; i < offset + count && rc == 0; i++) {
        size_t len;
        int32_t code;
        if (!cairn_column_is_valid(src, i)) {
            rc = cairn_column_append_null(dst);
            continue;
        }
        const char *s = cairn_column_str(src, i, &len);
        rc = intern(&idx, dst->dictionary, s, len, &code);
        if (rc == 0) rc = begin_append(dst, CAIRN_TYPE_STRING);
        if (rc == 0) {
            ((int32_t *)dst->values)[dst->length] = code;
            finish_row(dst, true);
        }
    }
    str_index_release(&idx);
    if (rc) cairn__column_rollback(dst, &mark);
    return rc;
}

int cairn_column_append_range(cairn_column *dst, const cairn_column *src, int64_t offset,
                              int64_t count)
{
    if (dst->type != src->type) return CAIRN_ETYPE;
    if (offset < 0 || count < 0 || offset > src->length || count > src->length - offset)
        return CAIRN_ERANGE;
    if (count == 0) return 0;
    int64_t nulls = count_nulls(src, offset, count);
    if (nulls > 0 && !dst->nullable) return CAIRN_EINVAL;
    if (dst->length > INT64_MAX / 16 - count) return CAIRN_ELIMIT;
    if (dst->dictionary) return append_range_dict(dst, src, offset, count);
    int rc = reserve_total(dst, dst->length + count);
    if (rc == 0 && dst->type == CAIRN_TYPE_STRING)
        rc = reserve_data(dst, range_bytes(src, offset, count));
    if (rc == 0 && nulls > 0) rc = ensure_validity(dst, dst->length + count);
    if (rc) return rc;
    copy_values(dst, src, offset, count);
    copy_validity(dst, src, offset, count);
    dst->null_count += nulls;
    dst->length += count;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Copying and dictionary encoding
 * ---------------------------------------------------------------------------------------- */

/* Copies n bytes into a new exactly sized block (NULL stays NULL). */
static int dup_bytes(const void *src, size_t n, void **out, size_t *cap)
{
    *out = NULL;
    *cap = 0;
    if (!src) return 0;
    *out = cairn_malloc(n);
    if (!*out) return CAIRN_ENOMEM;
    if (n) memcpy(*out, src, n);
    *cap = n;
    return 0;
}

static int copy_buffers(const cairn_column *src, cairn_column *c)
{
    int64_t n = src->length;
    void *p;
    int rc = dup_bytes(src->validity, cairn__bitmap_bytes(n), &p, &c->validity_cap_);
    c->validity = p;
    if (rc) return rc;
    if (is_plain_string(src)) {
        cairn_free(c->offsets);
        c->offsets = NULL;
        rc = dup_bytes(src->offsets, value_bytes(src, n), &p, &c->values_cap_);
        c->offsets = p;
        if (rc == 0)
            rc = dup_bytes(src->data ? src->data : "", (size_t)src->offsets[n], &p, &c->data_cap_);
        c->data = p;
        return rc;
    }
    rc =
        dup_bytes(src->values ? src->values : "", value_bytes(src, n), &c->values, &c->values_cap_);
    if (rc == 0 && src->dictionary) rc = cairn_column_copy(src->dictionary, &c->dictionary);
    return rc;
}

int cairn_column_copy(const cairn_column *column, cairn_column **out)
{
    cairn_column *c = NULL;
    int rc = cairn__column_create_like(column, &c);
    if (rc) return rc;
    rc = copy_buffers(column, c);
    if (rc) {
        cairn_column_free(c);
        return rc;
    }
    if (column->dictionary) {
        cairn_free(c->offsets);
        c->offsets = NULL;
    }
    c->length = column->length;
    c->null_count = column->null_count;
    *out = c;
    return 0;
}

static int encode_codes(const cairn_column *c, cairn_column *dict, int32_t *codes)
{
    str_index idx;
    int rc = str_index_init(&idx, 64);
    for (int64_t i = 0; i < c->length && rc == 0; i++) {
        codes[i] = 0;
        if (!cairn_column_is_valid(c, i)) continue;
        size_t len;
        const char *s = cairn_column_str(c, i, &len);
        rc = intern(&idx, dict, s, len, &codes[i]);
    }
    str_index_release(&idx);
    return rc;
}

int cairn_column_dict_encode(cairn_column *column)
{
    if (column->type != CAIRN_TYPE_STRING) return CAIRN_ETYPE;
    if (column->dictionary) return 0;
    cairn_column *dict = NULL;
    size_t cap = (size_t)column->length * 4;
    int32_t *codes = cairn_malloc(cap);
    if (!codes) return CAIRN_ENOMEM;
    int rc = cairn_column_create(column->name, CAIRN_TYPE_STRING, false, &dict);
    if (rc == 0) rc = encode_codes(column, dict, codes);
    if (rc) {
        cairn_column_free(dict);
        cairn_free(codes);
        return rc;
    }
    cairn_free(column->offsets);
    cairn_free(column->data);
    column->offsets = NULL;
    column->data = NULL;
    column->data_cap_ = 0;
    column->values = codes;
    column->values_cap_ = cap;
    column->dictionary = dict;
    return 0;
}

int cairn_column_dict_decode(cairn_column *column)
{
    if (column->type != CAIRN_TYPE_STRING) return CAIRN_ETYPE;
    if (!column->dictionary) return 0;
    cairn_column *plain = NULL;
    int rc = cairn__column_create_like(column, &plain);
    if (rc == 0) rc = cairn_column_append_range(plain, column, 0, column->length);
    if (rc) {
        cairn_column_free(plain);
        return rc;
    }
    cairn_free(column->values);
    cairn_column_free(column->dictionary);
    column->values = NULL;
    column->dictionary = NULL;
    column->offsets = plain->offsets;
    column->data = plain->data;
    column->values_cap_ = plain->values_cap_;
    column->data_cap_ = plain->data_cap_;
    plain->offsets = NULL;
    plain->data = NULL;
    cairn_column_free(plain);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Gathering rows (take, slice)
 * ---------------------------------------------------------------------------------------- */

/* An empty column like src, sharing nothing but holding a copy of src's dictionary. */
static int create_shaped_like(const cairn_column *src, cairn_column **out)
{
    cairn_column *c = NULL;
    int rc = cairn__column_create_like(src, &c);
    if (rc || !src->dictionary) {
        if (rc == 0) *out = c;
        return rc;
    }
    rc = cairn_column_copy(src->dictionary, &c->dictionary);
    if (rc) {
        cairn_column_free(c);
        return rc;
    }
    cairn_free(c->offsets);
    c->offsets = NULL;
    c->values_cap_ = 0;
    *out = c;
    return 0;
}

int cairn__column_slice(const cairn_column *src, int64_t offset, int64_t count, cairn_column **out)
{
    cairn_column *c = NULL;
    int rc = create_shaped_like(src, &c);
    if (rc == 0) rc = cairn_column_append_range(c, src, offset, count);
    if (rc) {
        cairn_column_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* memcpy keeps float payloads clear of aliasing rules; with a constant width it inlines. */
static inline void gather_width(void *dst, const void *src, const int64_t *idx, int64_t count,
                                size_t width)
{
    static const char zero[8];
    for (int64_t i = 0; i < count; i++) {
        const char *from = idx[i] >= 0 ? (const char *)src + (size_t)idx[i] * width : zero;
        memcpy((char *)dst + (size_t)i * width, from, width);
    }
}

static void gather_fixed(cairn_column *c, const cairn_column *src, const int64_t *idx,
                         int64_t count)
{
    size_t width = c->dictionary ? 4 : cairn_type_width(c->type);
    if (c->type == CAIRN_TYPE_BOOL) {
        for (int64_t i = 0; i < count; i++)
            cairn__bit_put(c->values, i, idx[i] >= 0 && cairn_bit_get(src->values, idx[i]));
    } else if (width == 8) {
        gather_width(c->values, src->values, idx, count, 8);
    } else {
        gather_width(c->values, src->values, idx, count, 4);
    }
}

static void gather_strings(cairn_column *c, const cairn_column *src, const int64_t *idx,
                           int64_t count)
{
    int64_t end = 0;
    for (int64_t i = 0; i < count; i++) {
        if (idx[i] >= 0) {
            int64_t from = src->offsets[idx[i]], len = src->offsets[idx[i] + 1] - from;
            if (len) memcpy(c->data + end, src->data + from, (size_t)len);
            end += len;
        }
        c->offsets[i + 1] = end;
    }
}

static size_t gathered_bytes(const cairn_column *src, const int64_t *idx, int64_t count)
{
    size_t bytes = 0;
    for (int64_t i = 0; i < count; i++)
        if (idx[i] >= 0) bytes += (size_t)(src->offsets[idx[i] + 1] - src->offsets[idx[i]]);
    return bytes;
}

static int64_t gathered_nulls(const cairn_column *src, const int64_t *idx, int64_t count,
                              bool *missing)
{
    int64_t nulls = 0;
    *missing = false;
    for (int64_t i = 0; i < count; i++) {
        if (idx[i] < 0) *missing = true;
        if (idx[i] < 0 || !cairn_column_is_valid(src, idx[i])) nulls++;
    }
    return nulls;
}

int cairn__column_take(const cairn_column *src, const int64_t *indices, int64_t count,
                       cairn_column **out)
{
    bool missing;
    int64_t nulls = gathered_nulls(src, indices, count, &missing);
    cairn_column *c = NULL;
    int rc = create_shaped_like(src, &c);
    if (rc) return rc;
    c->nullable = c->nullable || missing;
    rc = reserve_total(c, count);
    if (rc == 0 && is_plain_string(c)) rc = reserve_data(c, gathered_bytes(src, indices, count));
    if (rc == 0 && nulls > 0) rc = ensure_validity(c, count);
    if (rc) {
        cairn_column_free(c);
        return rc;
    }
    if (is_plain_string(c))
        gather_strings(c, src, indices, count);
    else
        gather_fixed(c, src, indices, count);
    for (int64_t i = 0; c->validity && i < count; i++)
        cairn__bit_put(c->validity, i, indices[i] >= 0 && cairn_column_is_valid(src, indices[i]));
    c->length = count;
    c->null_count = nulls;
    *out = c;
    return 0;
}
