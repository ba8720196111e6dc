/* parquet_encoding.c: Parquet's encodings (Encodings.md in apache/parquet-format), decode
 * side: the RLE/bit-packing hybrid (levels, dictionary indices, booleans), the deprecated
 * BIT_PACKED levels, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY,
 * BYTE_STREAM_SPLIT, and PLAIN for byte arrays and booleans (PLAIN fixed-width values need
 * no decoding: the reader converts them straight from the page).
 *
 * Central algorithm: bit unpacking with one unaligned 64-bit little-endian load per value
 * (any width up to 56 bits fits one load at any bit offset), instantiated per width so the
 * shifts and masks are constants; the last few values of a buffer, where a full load would
 * read past the end, take a byte-wise path. Width-1 definition levels go straight into a
 * validity bitmap: RLE runs become memsets, bit-packed runs become bit copies.
 * Invariants: nothing is read outside [data, data + len); every count from the input is
 * checked against the bytes that remain or against the caller's n before it is used;
 * arithmetic on deltas wraps in uint64_t as the format requires. Host byte order must be
 * little-endian (checked at compile time).
 * Tests: tests/unit/table/test_parquet_encoding.c.
 */
#include <inttypes.h>
#include <string.h>

#include "table/parquet_encoding.h"
#include "table/parquet_thrift.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "parquet_encoding.c assumes a little-endian host"
#endif

#define ALWAYS_INLINE inline __attribute__((always_inline))
/* DELTA_BYTE_ARRAY output may exceed its page by this factor (front coding of long shared
 * prefixes); past it the page is refused rather than expanded without bound. */
#define DELTA_STRINGS_MAX_EXPANSION 4096

static int corrupt(cairn_error *err, const char *what, int64_t got, int64_t want)
{
    return cairn_error_set(err, CAIRN_ECORRUPT, "%s ends after %" PRId64 " of %" PRId64 " values",
                           what, got, want);
}

int cairn__pq_strbuf_reserve(pq_strbuf *b, size_t extra)
{
    size_t used = (size_t)b->offsets[b->count];
    if (extra > SIZE_MAX / 2 - used) return CAIRN_ENOMEM;
    size_t need = used + extra;
    if (need <= b->data_cap) return 0;
    size_t cap = b->data_cap ? b->data_cap : 256;
    while (cap < need) cap *= 2;
    char *p = cairn_realloc(b->data, cap);
    if (!p) return CAIRN_ENOMEM;
    b->data = p;
    b->data_cap = cap;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Bit unpacking
 * ---------------------------------------------------------------------------------------- */

/* w bits at bit position `bit` of in[0, bytes); bytes past the end read as 0. */
static uint64_t bits_at(const uint8_t *in, size_t bytes, uint64_t bit, int w)
{
    uint64_t v = 0;
    size_t b = (size_t)(bit >> 3);
    int s = (int)(bit & 7), got = 0;
    while (got < w) {
        uint64_t octet = b < bytes ? in[b] : 0;
        v |= (octet >> s) << got;
        got += 8 - s;
        s = 0;
        b++;
    }
    return w >= 64 ? v : v & ((UINT64_C(1) << w) - 1);
}

/* Values i with a safe 8-byte load at byte (i * w) / 8. */
static int64_t fast_values(size_t bytes, int w, int64_t n)
{
    if (bytes < 8 || w == 0) return w == 0 ? n : 0;
    int64_t safe = (int64_t)(((uint64_t)(bytes - 8) * 8) / (uint64_t)w);
    return safe < n ? safe : n;
}

/* Eight values of width w starting at bit 0 of in; reads up to in[w + 7]. */
static ALWAYS_INLINE void unpack8_w(const uint8_t *in, uint32_t *out, int w)
{
    const uint64_t mask = (UINT64_C(1) << w) - 1;
    for (int k = 0; k < 8; k++) {
        uint64_t word;
        memcpy(&word, in + (k * w) / 8, 8);
        out[k] = (uint32_t)((word >> ((k * w) % 8)) & mask);
    }
}

/* Values first .. first + n - 1 of width w from in[0, bytes): one at a time up to a group
 * of eight, then whole groups (constant shifts once w is a constant), then the rest. */
static ALWAYS_INLINE void unpack32_w(const uint8_t *in, size_t bytes, uint64_t first,
                                     uint32_t *out, int64_t n, int w)
{
    int64_t i = 0;
    for (; i < n && ((first + (uint64_t)i) & 7); i++)
        out[i] = (uint32_t)bits_at(in, bytes, (first + (uint64_t)i) * (uint64_t)w, w);
    uint64_t g = (first + (uint64_t)i) / 8;
    for (; i + 8 <= n && (g + 1) * (uint64_t)w + 8 <= bytes; i += 8, g++)
        unpack8_w(in + g * (uint64_t)w, out + i, w);
    for (; i < n; i++)
        out[i] = (uint32_t)bits_at(in, bytes, (first + (uint64_t)i) * (uint64_t)w, w);
}

#define UNPACK_CASE(W)                                                                         \
    case W: unpack32_w(in, bytes, first, out, n, W); break;

/* Values first .. first + n - 1 of width w (1..32) from in[0, bytes). */
static void unpack32(const uint8_t *in, size_t bytes, int w, uint64_t first, uint32_t *out,
                     int64_t n)
{
    switch (w) {
        UNPACK_CASE(1) UNPACK_CASE(2) UNPACK_CASE(3) UNPACK_CASE(4) UNPACK_CASE(5)
        UNPACK_CASE(6) UNPACK_CASE(7) UNPACK_CASE(8) UNPACK_CASE(9) UNPACK_CASE(10)
        UNPACK_CASE(11) UNPACK_CASE(12) UNPACK_CASE(13) UNPACK_CASE(14) UNPACK_CASE(15)
        UNPACK_CASE(16) UNPACK_CASE(17) UNPACK_CASE(18) UNPACK_CASE(19) UNPACK_CASE(20)
        UNPACK_CASE(21) UNPACK_CASE(22) UNPACK_CASE(23) UNPACK_CASE(24)
    default:
        for (int64_t i = 0; i < n; i++)
            out[i] = (uint32_t)bits_at(in, bytes, (first + (uint64_t)i) * (uint64_t)w, w);
        break;
    }
}

/* n values of width w (0..64), 64-bit, for DELTA_BINARY_PACKED miniblocks. */
static void unpack64(const uint8_t *in, size_t bytes, int w, uint64_t *out, int64_t n)
{
    if (w == 0) {
        memset(out, 0, (size_t)n * sizeof *out);
        return;
    }
    int64_t i = 0, safe = w <= 56 ? fast_values(bytes, w, n) : 0;
    const uint64_t mask = w >= 64 ? UINT64_MAX : (UINT64_C(1) << w) - 1;
    for (; i < safe; i++) {
        uint64_t bit = (uint64_t)i * (uint64_t)w, word;
        memcpy(&word, in + (bit >> 3), 8);
        out[i] = (word >> (bit & 7)) & mask;
    }
    for (; i < n; i++)
        out[i] = bits_at(in, bytes, (uint64_t)i * (uint64_t)w, w);
}

/* ------------------------------------------------------------------------------------------
 * Bitmaps
 * ---------------------------------------------------------------------------------------- */

void cairn__pq_fill_bits(uint8_t *bm, int64_t bit0, int64_t n, bool v)
{
    int64_t i = bit0, end = bit0 + n;
    for (; i < end && (i & 7); i++)
        bm[i >> 3] = v ? (uint8_t)(bm[i >> 3] | (1u << (i & 7)))
                       : (uint8_t)(bm[i >> 3] & ~(1u << (i & 7)));
    int64_t whole = (end - i) >> 3;
    if (whole > 0) {
        memset(bm + (i >> 3), v ? 0xff : 0, (size_t)whole);
        i += whole * 8;
    }
    for (; i < end; i++)
        bm[i >> 3] = v ? (uint8_t)(bm[i >> 3] | (1u << (i & 7)))
                       : (uint8_t)(bm[i >> 3] & ~(1u << (i & 7)));
}

void cairn__pq_copy_bits(uint8_t *dst, int64_t dst_bit, const uint8_t *src, int64_t n)
{
    if (n <= 0) return;
    size_t d = (size_t)(dst_bit >> 3), nbytes = (size_t)((n + 7) / 8);
    int s = (int)(dst_bit & 7);
    if (s == 0) {
        memcpy(dst + d, src, nbytes);
        return;
    }
    size_t last = (size_t)((dst_bit + n - 1) >> 3);
    dst[d] = (uint8_t)(dst[d] & ((1u << s) - 1));
    for (size_t k = 0; k < nbytes; k++) {
        dst[d + k] = (uint8_t)(dst[d + k] | (src[k] << s));
        if (d + k + 1 <= last) dst[d + k + 1] = (uint8_t)(src[k] >> (8 - s));
    }
}

int64_t cairn__pq_count_bits(const uint8_t *bm, int64_t bit0, int64_t n)
{
    int64_t i = bit0, end = bit0 + n, count = 0;
    for (; i < end && (i & 7); i++)
        count += (bm[i >> 3] >> (i & 7)) & 1;
    for (; i + 64 <= end; i += 64) {
        uint64_t w;
        memcpy(&w, bm + (i >> 3), 8);
        count += __builtin_popcountll(w);
    }
    for (; i < end; i++)
        count += (bm[i >> 3] >> (i & 7)) & 1;
    return count;
}

/* ------------------------------------------------------------------------------------------
 * RLE / bit-packing hybrid
 * ---------------------------------------------------------------------------------------- */

typedef struct rle_run {
    bool packed;
    uint64_t count;       /* values in the run (for packed runs: those present) */
    uint32_t value;       /* RLE runs */
    const uint8_t *bits;  /* packed runs */
    size_t bytes;
} rle_run;

/* Reads one run header (and, for an RLE run, its value). A bit-packed run cut short by the
 * end of the data yields the values that are present. */
static int rle_next(const uint8_t **p, const uint8_t *end, int w, rle_run *run)
{
    uint64_t h;
    if (!cairn__pq_read_uvarint(p, end, &h)) return -1;
    size_t avail = (size_t)(end - *p);
    run->packed = h & 1;
    if (run->packed) {
        uint64_t groups = h >> 1;
        size_t bytes = w == 0 ? 0 : groups > avail / (size_t)w ? avail : (size_t)groups * (size_t)w;
        run->count = w == 0 ? groups * 8 : (uint64_t)bytes * 8 / (uint64_t)w;
        if (groups > (UINT64_MAX >> 4)) run->count = UINT64_MAX >> 1;
        run->bits = *p;
        run->bytes = bytes;
        *p += bytes;
        return 0;
    }
    size_t vbytes = (size_t)(w + 7) / 8;
    if (vbytes > avail) return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < vbytes; i++)
        v |= (uint32_t)(*p)[i] << (8 * i);
    if (w < 32 && (v >> w) != 0) return -2;
    *p += vbytes;
    run->count = h >> 1;
    run->value = v;
    return 0;
}

static int rle_error(cairn_error *err, int rc, int64_t got, int64_t n)
{
    if (rc == -2)
        return cairn_error_set(err, CAIRN_ECORRUPT, "RLE run value wider than its bit width");
    return corrupt(err, "RLE/bit-packed data", got, n);
}

int cairn__pq_rle_init(pq_rle_reader *r, const uint8_t *data, size_t len, int bit_width,
                       cairn_error *err)
{
    memset(r, 0, sizeof *r);
    if (bit_width < 0 || bit_width > 32)
        return cairn_error_set(err, CAIRN_ECORRUPT, "RLE bit width %d is not in 0..32", bit_width);
    r->p = data;
    r->end = data + len;
    r->width = bit_width;
    return 0;
}

int cairn__pq_rle_read(pq_rle_reader *r, uint32_t *out, int64_t n, cairn_error *err)
{
    int64_t got = 0;
    while (got < n) {
        if (r->left == 0) {
            rle_run run = {0};
            int rc = r->p < r->end ? rle_next(&r->p, r->end, r->width, &run) : -1;
            if (rc) return rle_error(err, rc, r->done + got, r->done + n);
            r->packed = run.packed;
            r->left = run.count;
            r->value = run.value;
            r->bits = run.bits;
            r->bytes = run.bytes;
            r->pos = 0;
            continue;
        }
        int64_t take = r->left < (uint64_t)(n - got) ? (int64_t)r->left : n - got;
        if (!r->packed) {
            for (int64_t i = 0; i < take; i++)
                out[got + i] = r->value;
        } else if (r->width == 0) {
            memset(out + got, 0, (size_t)take * sizeof *out);
        } else {
            /* the bytes after the run may be read (never used): fewer slow tails */
            unpack32(r->bits, (size_t)(r->end - r->bits), r->width, r->pos, out + got, take);
            r->pos += (uint64_t)take;
        }
        r->left -= (uint64_t)take;
        got += take;
    }
    r->done += n;
    return 0;
}

int cairn__pq_rle_decode(const uint8_t *data, size_t len, int bit_width, uint32_t *out,
                         int64_t n, cairn_error *err)
{
    pq_rle_reader r;
    int rc = cairn__pq_rle_init(&r, data, len, bit_width, err);
    return rc ? rc : cairn__pq_rle_read(&r, out, n, err);
}

int cairn__pq_rle_bitmap(const uint8_t *data, size_t len, int64_t n, uint8_t *bitmap,
                         int64_t bit0, cairn_error *err)
{
    const uint8_t *p = data, *end = data + len;
    int64_t got = 0;
    while (got < n) {
        rle_run run = {0};
        int rc = p < end ? rle_next(&p, end, 1, &run) : -1;
        if (rc) return rle_error(err, rc, got, n);
        int64_t take = run.count < (uint64_t)(n - got) ? (int64_t)run.count : n - got;
        if (run.packed) cairn__pq_copy_bits(bitmap, bit0 + got, run.bits, take);
        else cairn__pq_fill_bits(bitmap, bit0 + got, take, run.value != 0);
        got += take;
    }
    return 0;
}

int cairn__pq_bitpacked_bitmap(const uint8_t *data, size_t len, int64_t n, uint8_t *bitmap,
                               int64_t bit0, cairn_error *err)
{
    if ((uint64_t)n > (uint64_t)len * 8) return corrupt(err, "BIT_PACKED levels", (int64_t)len * 8, n);
    for (int64_t i = 0; i < n; i++) {
        bool v = (data[i >> 3] >> (7 - (i & 7))) & 1;
        int64_t b = bit0 + i;
        bitmap[b >> 3] = v ? (uint8_t)(bitmap[b >> 3] | (1u << (b & 7)))
                           : (uint8_t)(bitmap[b >> 3] & ~(1u << (b & 7)));
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * DELTA_BINARY_PACKED
 * ---------------------------------------------------------------------------------------- */

typedef struct delta_header {
    uint64_t block_size, miniblocks, total, per_miniblock;
    uint64_t first; /* zigzag-decoded, as two's complement */
} delta_header;

static int delta_read_header(const uint8_t **p, const uint8_t *end, delta_header *h,
                             cairn_error *err)
{
    uint64_t zz;
    if (!cairn__pq_read_uvarint(p, end, &h->block_size) ||
        !cairn__pq_read_uvarint(p, end, &h->miniblocks) ||
        !cairn__pq_read_uvarint(p, end, &h->total) || !cairn__pq_read_uvarint(p, end, &zz))
        return cairn_error_set(err, CAIRN_ECORRUPT, "DELTA_BINARY_PACKED header is truncated");
    h->first = (zz >> 1) ^ (uint64_t)-(int64_t)(zz & 1);
    if (h->block_size == 0 || h->block_size % 128 || h->block_size > (1u << 20) ||
        h->miniblocks == 0 || h->block_size % h->miniblocks ||
        (h->block_size / h->miniblocks) % 32)
        return cairn_error_set(err, CAIRN_ECORRUPT,
                               "DELTA_BINARY_PACKED block of %" PRIu64 " values in %" PRIu64
                               " miniblocks is invalid",
                               h->block_size, h->miniblocks);
    h->per_miniblock = h->block_size / h->miniblocks;
    if (h->total > INT64_MAX)
        return cairn_error_set(err, CAIRN_ECORRUPT, "DELTA_BINARY_PACKED count out of range");
    return 0;
}

int cairn__pq_delta_count(const uint8_t *data, size_t len, int64_t *total, cairn_error *err)
{
    const uint8_t *p = data;
    delta_header h;
    int rc = delta_read_header(&p, data + len, &h, err);
    if (rc == 0) *total = (int64_t)h.total;
    return rc;
}

/* One block: min delta, bit widths, then miniblocks until `want` values are out. */
static int delta_block(const uint8_t **pp, const uint8_t *end, const delta_header *h,
                       uint64_t *out, int64_t *got, int64_t want, uint64_t *last,
                       cairn_error *err)
{
    const uint8_t *p = *pp;
    uint64_t zz;
    if (!cairn__pq_read_uvarint(&p, end, &zz) || (uint64_t)(end - p) < h->miniblocks)
        return corrupt(err, "DELTA_BINARY_PACKED data", *got, want);
    uint64_t min_delta = (zz >> 1) ^ (uint64_t)-(int64_t)(zz & 1);
    const uint8_t *widths = p;
    p += h->miniblocks;
    for (uint64_t m = 0; m < h->miniblocks && *got < want; m++) {
        int w = widths[m];
        if (w > 64)
            return cairn_error_set(err, CAIRN_ECORRUPT, "DELTA_BINARY_PACKED bit width %d", w);
        size_t bytes = (size_t)(h->per_miniblock * (uint64_t)w / 8), avail = (size_t)(end - p);
        int64_t take = want - *got < (int64_t)h->per_miniblock ? want - *got
                                                               : (int64_t)h->per_miniblock;
        if ((uint64_t)take * (uint64_t)w > (uint64_t)avail * 8)
            return corrupt(err, "DELTA_BINARY_PACKED data", *got, want);
        uint64_t *dst = out + *got;
        unpack64(p, bytes < avail ? bytes : avail, w, dst, take);
        uint64_t v = *last;
        for (int64_t i = 0; i < take; i++) {
            v += min_delta + dst[i];
            dst[i] = v;
        }
        *last = v;
        *got += take;
        p += bytes < avail ? bytes : avail;
    }
    *pp = p;
    return 0;
}

int cairn__pq_delta_decode(const uint8_t *data, size_t len, uint64_t *out, int64_t n,
                           int64_t *total, size_t *consumed, cairn_error *err)
{
    const uint8_t *p = data, *end = data + len;
    delta_header h;
    int rc = delta_read_header(&p, end, &h, err);
    if (rc) return rc;
    if ((uint64_t)n > h.total)
        return cairn_error_set(err, CAIRN_ECORRUPT,
                               "DELTA_BINARY_PACKED holds %" PRIu64 " values, %" PRId64 " needed",
                               h.total, n);
    int64_t got = 0;
    uint64_t last = h.first;
    if (n > 0) out[got++] = h.first;
    while (got < n && rc == 0)
        rc = delta_block(&p, end, &h, out, &got, n, &last, err);
    if (rc) return rc;
    *total = (int64_t)h.total;
    *consumed = (size_t)(p - data);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Byte arrays
 * ---------------------------------------------------------------------------------------- */

int cairn__pq_plain_strings(const uint8_t *data, size_t len, int64_t n, pq_strbuf *out,
                            size_t *consumed, cairn_error *err)
{
    int rc = cairn__pq_strbuf_reserve(out, len);
    if (rc) return cairn_error_set(err, rc, "out of memory decoding strings");
    size_t pos = 0, used = cairn__pq_strbuf_bytes(out);
    int64_t *off = out->offsets + out->count;
    for (int64_t i = 0; i < n; i++) {
        if (len - pos < 4) return corrupt(err, "PLAIN byte arrays", i, n);
        uint32_t l;
        memcpy(&l, data + pos, 4);
        pos += 4;
        if (l > len - pos) return corrupt(err, "PLAIN byte arrays", i, n);
        memcpy(out->data + used, data + pos, l);
        used += l;
        pos += l;
        off[i + 1] = (int64_t)used;
    }
    out->count += n;
    if (consumed) *consumed = pos;
    return 0;
}

int cairn__pq_fixed_strings(const uint8_t *data, size_t len, size_t width, int64_t n,
                            pq_strbuf *out, cairn_error *err)
{
    if (width && (uint64_t)n > len / width) return corrupt(err, "PLAIN fixed-length byte arrays", (int64_t)(len / width), n);
    size_t bytes = (size_t)n * width;
    int rc = cairn__pq_strbuf_reserve(out, bytes);
    if (rc) return cairn_error_set(err, rc, "out of memory decoding strings");
    size_t used = cairn__pq_strbuf_bytes(out);
    if (bytes) memcpy(out->data + used, data, bytes);
    for (int64_t i = 0; i < n; i++)
        out->offsets[out->count + i + 1] = (int64_t)(used + (size_t)(i + 1) * width);
    out->count += n;
    return 0;
}

/* n lengths (a DELTA_BINARY_PACKED run holding exactly n) into *lengths (cairn_free). */
static int delta_lengths(const uint8_t *data, size_t len, int64_t n, uint64_t **lengths,
                         size_t *consumed, cairn_error *err)
{
    uint64_t *v = cairn_malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory decoding lengths");
    int64_t total = 0;
    int rc = cairn__pq_delta_decode(data, len, v, n, &total, consumed, err);
    if (rc == 0 && total != n)
        rc = cairn_error_set(err, CAIRN_ECORRUPT,
                             "%" PRId64 " byte-array lengths where %" PRId64 " were expected",
                             total, n);
    if (rc) {
        cairn_free(v);
        return rc;
    }
    *lengths = v;
    return 0;
}

int cairn__pq_delta_length_strings(const uint8_t *data, size_t len, int64_t n, pq_strbuf *out,
                                   cairn_error *err)
{
    uint64_t *lengths = NULL;
    size_t pos = 0;
    int rc = delta_lengths(data, len, n, &lengths, &pos, err);
    if (rc) return rc;
    uint64_t sum = 0;
    for (int64_t i = 0; i < n && sum <= len; i++)
        sum += lengths[i] > len ? (uint64_t)len + 1 : lengths[i];
    if (sum > len - pos) rc = corrupt(err, "DELTA_LENGTH_BYTE_ARRAY data", 0, n);
    if (rc == 0 && (rc = cairn__pq_strbuf_reserve(out, (size_t)sum)) != 0)
        rc = cairn_error_set(err, rc, "out of memory decoding strings");
    if (rc == 0) {
        size_t used = cairn__pq_strbuf_bytes(out);
        if (sum) memcpy(out->data + used, data + pos, (size_t)sum);
        for (int64_t i = 0; i < n; i++) {
            used += (size_t)lengths[i];
            out->offsets[out->count + i + 1] = (int64_t)used;
        }
        out->count += n;
    }
    cairn_free(lengths);
    return rc;
}

/* Rebuilds front-coded strings from prefix lengths, suffix lengths and suffix bytes. */
static int delta_rebuild(const uint64_t *prefix, const uint64_t *suffix, const uint8_t *bytes,
                         size_t nbytes, int64_t n, size_t limit, pq_strbuf *out,
                         cairn_error *err)
{
    size_t pos = 0, prev_start = cairn__pq_strbuf_bytes(out), prev_len = 0;
    for (int64_t i = 0; i < n; i++) {
        if (prefix[i] > prev_len || suffix[i] > nbytes - pos)
            return corrupt(err, "DELTA_BYTE_ARRAY data", i, n);
        size_t pl = (size_t)prefix[i], sl = (size_t)suffix[i];
        size_t start = cairn__pq_strbuf_bytes(out);
        if (start + pl + sl > limit)
            return cairn_error_set(err, CAIRN_ELIMIT,
                                   "DELTA_BYTE_ARRAY page expands past %zu bytes", limit);
        int rc = cairn__pq_strbuf_reserve(out, pl + sl);
        if (rc) return cairn_error_set(err, rc, "out of memory decoding strings");
        memmove(out->data + start, out->data + prev_start, pl);
        memcpy(out->data + start + pl, bytes + pos, sl);
        pos += sl;
        out->offsets[++out->count] = (int64_t)(start + pl + sl);
        prev_start = start;
        prev_len = pl + sl;
    }
    return 0;
}

int cairn__pq_delta_strings(const uint8_t *data, size_t len, int64_t n, pq_strbuf *out,
                            cairn_error *err)
{
    uint64_t *prefix = NULL, *suffix = NULL;
    size_t used1 = 0, used2 = 0;
    int rc = delta_lengths(data, len, n, &prefix, &used1, err);
    if (rc == 0) rc = delta_lengths(data + used1, len - used1, n, &suffix, &used2, err);
    if (rc == 0) {
        size_t start = cairn__pq_strbuf_bytes(out);
        size_t limit = start + (len + 1024) * (size_t)DELTA_STRINGS_MAX_EXPANSION;
        rc = delta_rebuild(prefix, suffix, data + used1 + used2, len - used1 - used2, n, limit,
                           out, err);
    }
    cairn_free(prefix);
    cairn_free(suffix);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * BYTE_STREAM_SPLIT, booleans
 * ---------------------------------------------------------------------------------------- */

int cairn__pq_byte_stream_split(const uint8_t *data, size_t len, size_t width, int64_t n,
                                uint8_t *out, cairn_error *err)
{
    if (width == 0) return 0;
    size_t stride = len / width;
    if ((uint64_t)n > stride) return corrupt(err, "BYTE_STREAM_SPLIT data", (int64_t)stride, n);
    for (size_t k = 0; k < width; k++) {
        const uint8_t *stream = data + k * stride;
        for (int64_t i = 0; i < n; i++)
            out[(size_t)i * width + k] = stream[i];
    }
    return 0;
}

int cairn__pq_plain_bools(const uint8_t *data, size_t len, int64_t n, uint8_t *out,
                          cairn_error *err)
{
    if ((uint64_t)n > (uint64_t)len * 8) return corrupt(err, "PLAIN booleans", (int64_t)len * 8, n);
    for (int64_t i = 0; i < n; i++)
        out[i] = (data[i >> 3] >> (i & 7)) & 1;
    return 0;
}
