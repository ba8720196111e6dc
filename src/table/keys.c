/* src/table/keys.c: the values of join keys, shared by the hash join (join.c) and the
 * point-in-time join (src/feature/pit.c): whether a row's key can match (no null or NaN part),
 * its hash, and equality of two rows' key parts.
 *
 * Keys compare by value: integer kinds (bool, int32, int64, date, timestamp) as int64, so an
 * INT32 key matches an INT64 key; floats by value (-0.0 equals 0.0, and hashes alike); strings,
 * plain or dictionary, by their bytes.
 *
 * Tests: tests/unit/table/test_join.c, tests/unit/feature/test_pit.c.
 */
#include <math.h>
#include <string.h>

#include "table_internal.h"

static int64_t int_value(const cairn_column *c, int64_t row)
{
    switch (c->type) {
    case CAIRN_TYPE_BOOL:
        return cairn_bit_get(c->values, row);
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32:
        return cairn_column_i32(c, row);
    default:
        return cairn_column_i64(c, row);
    }
}

static double float_value(const cairn_column *c, int64_t row)
{
    if (c->type == CAIRN_TYPE_FLOAT32) return (double)((const float *)c->values)[row];
    return cairn_column_f64(c, row);
}

static bool is_float(const cairn_column *c)
{
    return c->type == CAIRN_TYPE_FLOAT32 || c->type == CAIRN_TYPE_FLOAT64;
}

/* False when some part of the row's key is null or NaN: such a key matches nothing. */
bool cairn__key_usable(const cairn_column *const *cols, size_t n, int64_t row)
{
    for (size_t k = 0; k < n; k++) {
        if (!cairn_column_is_valid(cols[k], row)) return false;
        if (is_float(cols[k]) && isnan(float_value(cols[k], row))) return false;
    }
    return true;
}

static uint64_t part_hash(const cairn_column *c, int64_t row)
{
    if (c->type == CAIRN_TYPE_STRING) {
        size_t len;
        const char *s = cairn_column_str(c, row, &len);
        return cairn_hash64(s, len, 0x51ed270b27dd5a1fULL);
    }
    if (is_float(c)) {
        double x = float_value(c, row);
        if (x == 0) x = 0.0;
        uint64_t bits;
        memcpy(&bits, &x, sizeof bits);
        return cairn_hash_u64(bits);
    }
    return cairn_hash_u64((uint64_t)int_value(c, row));
}

uint64_t cairn__key_hash(const cairn_column *const *cols, size_t n, int64_t row)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (size_t k = 0; k < n; k++)
        h = cairn_hash_u64(h ^ part_hash(cols[k], row)) + k;
    return h;
}

bool cairn__key_part_equal(const cairn_column *a, int64_t ra, const cairn_column *b, int64_t rb)
{
    if (a->type == CAIRN_TYPE_STRING) {
        size_t alen, blen;
        const char *as = cairn_column_str(a, ra, &alen);
        const char *bs = cairn_column_str(b, rb, &blen);
        return alen == blen && (alen == 0 || memcmp(as, bs, alen) == 0);
    }
    if (is_float(a)) return float_value(a, ra) == float_value(b, rb);
    return int_value(a, ra) == int_value(b, rb);
}

