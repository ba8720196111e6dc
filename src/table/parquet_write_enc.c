/* parquet_write_enc.c: the byte-level encoders of the Parquet writer.
 *
 * Thrift compact protocol (the footer's FileMetaData and every PageHeader): a field is a
 * header byte holding the id delta from the previous field of the same struct (1..15) and
 * the type, or the type alone followed by the id as a zigzag varint; integers are zigzag
 * varints, binaries a varint length and the bytes, a boolean field keeps its value in the
 * type nibble, a struct ends with a 0 byte. The encoder keeps the last field id of each
 * open struct on a small stack, and errors are sticky (pqw_thrift.rc) so structures are
 * written straight through and checked once.
 *
 * RLE / bit-packed hybrid (Encodings.md): runs of the same value become RLE runs (header
 * count << 1, then the value in ceil(width / 8) bytes); everything else is bit-packed in
 * groups of 8 values (header groups << 1 | 1, values least significant bit first). A run is
 * only looked for at a group boundary of the pending bit-packed stretch, because padding is
 * allowed only at the very end. Definition levels (width 1) are read straight from the
 * validity bitmap: a bit-packed group of width 1 is exactly one bitmap byte.
 *
 * Tests: tests/unit/table/test_parquet_write.c (round trips through DuckDB, hyparquet and
 * Cairn's reader in tests/oracles/test_parquet_write.sh).
 */
#include <string.h>

#include "parquet_write.h"

/* ------------------------------------------------------------------------------------------
 * Raw bytes
 * ---------------------------------------------------------------------------------------- */

static inline uint8_t *put_uvarint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Room for `extra` bytes past buf->len; the caller writes them and calls commit. */
static inline uint8_t *room(cairn_buf *buf, size_t extra, int *rc)
{
    *rc = cairn_buf_reserve(buf, extra + 1);
    return *rc ? NULL : (uint8_t *)buf->data + buf->len;
}

static inline void commit(cairn_buf *buf, const uint8_t *end)
{
    buf->len = (size_t)(end - (const uint8_t *)buf->data);
    buf->data[buf->len] = '\0';
}

/* ------------------------------------------------------------------------------------------
 * Thrift compact protocol
 * ---------------------------------------------------------------------------------------- */

void cairn__pqw_thrift_init(pqw_thrift *t, cairn_buf *buf)
{
    memset(t, 0, sizeof *t);
    t->buf = buf;
}

static void put_bytes(pqw_thrift *t, const void *data, size_t len)
{
    if (t->rc == 0) t->rc = cairn_buf_append(t->buf, data, len);
}

static void put_uvarint_t(pqw_thrift *t, uint64_t v)
{
    uint8_t tmp[10];
    put_bytes(t, tmp, (size_t)(put_uvarint(tmp, v) - tmp));
}

static uint64_t zigzag64(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static void field_header(pqw_thrift *t, int16_t id, int type)
{
    if (t->depth < 0 || t->depth >= PQW_THRIFT_DEPTH) {
        if (t->rc == 0) t->rc = CAIRN_EINTERNAL;
        return;
    }
    int delta = id - t->last_id[t->depth];
    if (delta > 0 && delta <= 15) {
        uint8_t b = (uint8_t)((delta << 4) | type);
        put_bytes(t, &b, 1);
    } else {
        uint8_t b = (uint8_t)type;
        put_bytes(t, &b, 1);
        put_uvarint_t(t, zigzag64(id));
    }
    t->last_id[t->depth] = id;
}

void cairn__pqw_i8(pqw_thrift *t, int16_t id, int8_t v)
{
    field_header(t, id, PQW_T_I8);
    uint8_t b = (uint8_t)v;
    put_bytes(t, &b, 1);
}

void cairn__pqw_i32(pqw_thrift *t, int16_t id, int32_t v)
{
    field_header(t, id, PQW_T_I32);
    put_uvarint_t(t, zigzag64(v));
}

void cairn__pqw_i64(pqw_thrift *t, int16_t id, int64_t v)
{
    field_header(t, id, PQW_T_I64);
    put_uvarint_t(t, zigzag64(v));
}

void cairn__pqw_bool(pqw_thrift *t, int16_t id, bool v)
{
    field_header(t, id, v ? PQW_T_TRUE : PQW_T_FALSE);
}

void cairn__pqw_binary(pqw_thrift *t, int16_t id, const void *data, size_t len)
{
    field_header(t, id, PQW_T_BINARY);
    cairn__pqw_list_binary(t, data, len);
}

void cairn__pqw_string(pqw_thrift *t, int16_t id, const char *s)
{
    cairn__pqw_binary(t, id, s, strlen(s));
}

static void push_struct(pqw_thrift *t)
{
    if (t->depth + 1 >= PQW_THRIFT_DEPTH) {
        if (t->rc == 0) t->rc = CAIRN_EINTERNAL;
        return;
    }
    t->last_id[++t->depth] = 0;
}

void cairn__pqw_struct_begin(pqw_thrift *t, int16_t id)
{
    field_header(t, id, PQW_T_STRUCT);
    push_struct(t);
}

void cairn__pqw_struct_end(pqw_thrift *t)
{
    uint8_t stop = 0;
    put_bytes(t, &stop, 1);
    t->depth--;
}

void cairn__pqw_empty_struct(pqw_thrift *t, int16_t id)
{
    cairn__pqw_struct_begin(t, id);
    cairn__pqw_struct_end(t);
}

void cairn__pqw_list_begin(pqw_thrift *t, int16_t id, int elem, size_t size)
{
    field_header(t, id, PQW_T_LIST);
    if (size < 15) {
        uint8_t b = (uint8_t)((size << 4) | (size_t)elem);
        put_bytes(t, &b, 1);
    } else {
        uint8_t b = (uint8_t)(0xF0 | elem);
        put_bytes(t, &b, 1);
        put_uvarint_t(t, size);
    }
}

void cairn__pqw_list_i32(pqw_thrift *t, int32_t v)
{
    put_uvarint_t(t, zigzag64(v));
}

void cairn__pqw_list_binary(pqw_thrift *t, const void *data, size_t len)
{
    put_uvarint_t(t, len);
    put_bytes(t, data, len);
}

void cairn__pqw_list_struct_begin(pqw_thrift *t)
{
    push_struct(t);
}

/* ------------------------------------------------------------------------------------------
 * RLE / bit-packed hybrid
 * ---------------------------------------------------------------------------------------- */

int cairn__pqw_bit_width(uint64_t n)
{
    int w = 1;
    while (w < 64 && (n - 1) >> w)
        w++;
    return n <= 2 ? 1 : w;
}

static int put_rle_run(cairn_buf *out, uint64_t count, uint32_t value, int width)
{
    int rc;
    uint8_t *p = room(out, 16, &rc);
    if (!p) return rc;
    p = put_uvarint(p, count << 1);
    for (int b = 0; b < (width + 7) / 8; b++)
        *p++ = (uint8_t)(value >> (8 * b));
    commit(out, p);
    return 0;
}

/* 8 bits of the bitmap from bit `pos`; bits at or past `end` read as 0. */
static inline uint8_t bits8(const uint8_t *bits, int64_t pos, int64_t end)
{
    int64_t byte = pos >> 3;
    int shift = (int)(pos & 7);
    unsigned x = (unsigned)bits[byte] >> shift;
    if (shift && (byte + 1) * 8 < end) x |= (unsigned)bits[byte + 1] << (8 - shift);
    if (end - pos < 8) x &= (1u << (end - pos)) - 1;
    return (uint8_t)x;
}

/* Bit-packs the level groups [g0, g1) of rows starting at bit `start`. */
static int put_level_groups(cairn_buf *out, const uint8_t *validity, int64_t start, int64_t end,
                            int64_t g0, int64_t g1)
{
    if (g0 >= g1) return 0;
    int rc;
    uint8_t *p = room(out, 10 + (size_t)(g1 - g0), &rc);
    if (!p) return rc;
    p = put_uvarint(p, ((uint64_t)(g1 - g0) << 1) | 1);
    if ((start & 7) == 0 && start + g1 * 8 <= end) {
        memcpy(p, validity + (start >> 3) + g0, (size_t)(g1 - g0));
        p += g1 - g0;
    } else {
        for (int64_t g = g0; g < g1; g++)
            *p++ = bits8(validity, start + g * 8, end);
    }
    commit(out, p);
    return 0;
}

/* True when rows [from, end) all have the level `bit`. */
static bool tail_is(const uint8_t *validity, int64_t from, int64_t end, unsigned bit)
{
    if (from >= end) return true;
    uint8_t want = bit ? (uint8_t)((1u << (end - from)) - 1) : 0;
    return bits8(validity, from, end) == want;
}

int cairn__pqw_levels(cairn_buf *out, const uint8_t *validity, int64_t start, int64_t count)
{
    if (count == 0) return 0;
    if (!validity) return put_rle_run(out, (uint64_t)count, 1, 1);
    int64_t end = start + count, full = count / 8, groups = (count + 7) / 8;
    int64_t g = 0, packed_from = 0;
    int rc = 0;
    while (g < full && rc == 0) {
        uint8_t b = bits8(validity, start + g * 8, end);
        if (b != 0 && b != 0xFF) {
            g++;
            continue;
        }
        int64_t h = g + 1;
        while (h < full && bits8(validity, start + h * 8, end) == b)
            h++;
        if (h - g < 4) {
            g = h;
            continue;
        }
        int64_t run = (h - g) * 8, next = h;
        if (h == full && tail_is(validity, start + full * 8, end, b & 1)) {
            run = count - g * 8;
            next = groups;
        }
        rc = put_level_groups(out, validity, start, end, packed_from, g);
        if (rc == 0) rc = put_rle_run(out, (uint64_t)run, b & 1, 1);
        packed_from = g = next;
    }
    if (rc == 0) rc = put_level_groups(out, validity, start, end, packed_from, groups);
    return rc;
}

/* Bit-packs values [from, to) (to - from need not be a multiple of 8: the last group is
 * padded with zeros, which only the end of the data may have). Bits gather in a 64-bit word
 * stored whole, so the buffer keeps 8 bytes of slack past the packed bytes. */
static int put_packed(cairn_buf *out, const uint32_t *values, int64_t from, int64_t to, int width)
{
    if (from >= to) return 0;
    int64_t groups = (to - from + 7) / 8;
    int rc;
    uint8_t *p = room(out, 10 + (size_t)groups * (size_t)width + 8, &rc);
    if (!p) return rc;
    p = put_uvarint(p, ((uint64_t)groups << 1) | 1);
    uint64_t acc = 0;
    int nbits = 0;
    for (int64_t i = from; i < from + groups * 8; i++) {
        uint64_t v = i < to ? values[i] : 0;
        acc |= v << nbits;
        if (nbits + width >= 64) {
            memcpy(p, &acc, 8);
            p += 8;
            int used = 64 - nbits;
            acc = used < 64 ? v >> used : 0;
            nbits += width - 64;
        } else {
            nbits += width;
        }
    }
    memcpy(p, &acc, 8); /* nbits is a multiple of 8 here */
    p += nbits / 8;
    commit(out, p);
    return 0;
}

int cairn__pqw_rle(cairn_buf *out, const uint32_t *values, int64_t count, int bit_width)
{
    int64_t i = 0, packed_from = 0;
    int rc = 0;
    while (i < count && rc == 0) {
        uint32_t v = values[i];
        int64_t j = i + 1;
        while (j < count && values[j] == v)
            j++;
        if (j - i < 8) {
            i += 8; /* this group is bit-packed; runs are looked for at group boundaries */
            continue;
        }
        rc = put_packed(out, values, packed_from, i, bit_width);
        if (rc == 0) rc = put_rle_run(out, (uint64_t)(j - i), v, bit_width);
        packed_from = i = j;
    }
    if (rc == 0) rc = put_packed(out, values, packed_from, i < count ? i : count, bit_width);
    return rc;
}
