/* parquet_codec.c: the page compression codecs of Parquet (Compression.md in
 * apache/parquet-format), behind two calls shared by the reader and the writer.
 *
 * Each codec is a thin adapter over the Debian library that implements it: SNAPPY
 * (snappy-c), GZIP (zlib; gzip framing, several members allowed), ZSTD (libzstd; several
 * frames allowed), LZ4_RAW (liblz4 block format) and, read-only, the deprecated LZ4 codec
 * with Hadoop's framing (falling back to a raw block, as other readers do). Invariants:
 * decompression either fills exactly dst_len bytes or fails with CAIRN_ECORRUPT, so a page
 * that lies about its uncompressed size never reaches a decoder; compression appends to a
 * cairn_buf and leaves it unchanged on failure. zlib allocates through cairn_malloc so the
 * test allocator sees it. Tests: tests/unit/table/test_parquet_encoding.c (round trips and
 * corrupt inputs) and tests/unit/table/test_parquet_read.c (files of every codec).
 */
#include <limits.h>
#include <lz4.h>
#include <snappy-c.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "table/parquet_internal.h"

/* ------------------------------------------------------------------------------------------
 * Names
 * ---------------------------------------------------------------------------------------- */

const char *cairn__parquet_codec_name(int codec)
{
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED: return "uncompressed";
    case PQ_CODEC_SNAPPY: return "snappy";
    case PQ_CODEC_GZIP: return "gzip";
    case PQ_CODEC_LZO: return "lzo";
    case PQ_CODEC_BROTLI: return "brotli";
    case PQ_CODEC_LZ4: return "lz4";
    case PQ_CODEC_ZSTD: return "zstd";
    case PQ_CODEC_LZ4_RAW: return "lz4_raw";
    default: return "unknown";
    }
}

int cairn__parquet_codec_parse(const char *name, int *codec)
{
    static const struct {
        const char *name;
        int codec;
    } names[] = {
        {"zstd", PQ_CODEC_ZSTD},       {"snappy", PQ_CODEC_SNAPPY},
        {"gzip", PQ_CODEC_GZIP},       {"lz4_raw", PQ_CODEC_LZ4_RAW},
        {"lz4", PQ_CODEC_LZ4_RAW},     {"none", PQ_CODEC_UNCOMPRESSED},
        {"uncompressed", PQ_CODEC_UNCOMPRESSED},
    };
    if (!name) return CAIRN_EINVAL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *codec = names[i].codec;
            return 0;
        }
    }
    return CAIRN_EINVAL;
}

/* ------------------------------------------------------------------------------------------
 * Decompression
 * ---------------------------------------------------------------------------------------- */

static int size_mismatch(cairn_error *err, int codec, size_t dst_len)
{
    return cairn_error_set(err, CAIRN_ECORRUPT, "%s data does not decompress to %zu bytes",
                           cairn__parquet_codec_name(codec), dst_len);
}

static void *zlib_alloc(void *opaque, uInt items, uInt size)
{
    (void)opaque;
    return cairn_calloc(items, size);
}

static void zlib_free(void *opaque, void *ptr)
{
    (void)opaque;
    cairn_free(ptr);
}

static int snappy_decode(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len,
                         cairn_error *err)
{
    size_t n = 0;
    if (snappy_uncompressed_length((const char *)src, src_len, &n) != SNAPPY_OK ||
        n != dst_len)
        return size_mismatch(err, PQ_CODEC_SNAPPY, dst_len);
    size_t out_len = dst_len;
    if (snappy_uncompress((const char *)src, src_len, (char *)dst, &out_len) != SNAPPY_OK ||
        out_len != dst_len)
        return size_mismatch(err, PQ_CODEC_SNAPPY, dst_len);
    return 0;
}

/* Inflates gzip members (or a zlib stream: windowBits 15+32 detects either) until the
 * input is used up; concatenated members are allowed by the gzip format. */
static int gzip_decode(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len,
                       cairn_error *err)
{
    if (src_len > UINT_MAX || dst_len > UINT_MAX)
        return cairn_error_set(err, CAIRN_EUNSUPPORTED, "gzip page larger than 4 GiB");
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    zs.zalloc = zlib_alloc;
    zs.zfree = zlib_free;
    if (inflateInit2(&zs, 15 + 32) != Z_OK)
        return cairn_error_set(err, CAIRN_ENOMEM, "gzip: cannot start the decoder");
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)src_len;
    zs.next_out = dst;
    zs.avail_out = (uInt)dst_len;
    int rc = 0;
    for (;;) {
        int z = inflate(&zs, Z_FINISH);
        if (z == Z_STREAM_END) {
            if (zs.avail_in == 0 || zs.avail_out == 0) break;
            if (inflateReset(&zs) != Z_OK) { rc = -1; break; }
            continue;
        }
        if (z == Z_MEM_ERROR) rc = CAIRN_ENOMEM;
        else rc = -1;
        break;
    }
    size_t produced = dst_len - zs.avail_out;
    inflateEnd(&zs);
    if (rc == CAIRN_ENOMEM) return cairn_error_set(err, CAIRN_ENOMEM, "gzip: out of memory");
    if (rc != 0 || produced != dst_len) return size_mismatch(err, PQ_CODEC_GZIP, dst_len);
    return 0;
}

static int zstd_decode(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len,
                       cairn_error *err)
{
    size_t n = ZSTD_decompress(dst, dst_len, src, src_len);
    if (ZSTD_isError(n)) {
        if (ZSTD_getErrorCode(n) == ZSTD_error_memory_allocation)
            return cairn_error_set(err, CAIRN_ENOMEM, "zstd: out of memory");
        return cairn_error_set(err, CAIRN_ECORRUPT,
                               "zstd data does not decompress to %zu bytes: %s", dst_len,
                               ZSTD_getErrorName(n));
    }
    if (n != dst_len) return size_mismatch(err, PQ_CODEC_ZSTD, dst_len);
    return 0;
}

static int lz4_block(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    if (src_len > INT_MAX || dst_len > INT_MAX) return -1;
    int n = LZ4_decompress_safe((const char *)src, (char *)dst, (int)src_len, (int)dst_len);
    return n >= 0 && (size_t)n == dst_len ? 0 : -1;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The deprecated LZ4 codec: Hadoop frames (big-endian uncompressed and compressed sizes,
 * then an LZ4 block), repeated; some writers put a bare block instead. */
static int lz4_hadoop(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    size_t in = 0, out = 0;
    while (in + 8 <= src_len) {
        size_t raw = be32(src + in), comp = be32(src + in + 4);
        in += 8;
        if (comp > src_len - in || raw > dst_len - out) return -1;
        if (lz4_block(src + in, comp, dst + out, raw) != 0) return -1;
        in += comp;
        out += raw;
    }
    return in == src_len && out == dst_len ? 0 : -1;
}

int cairn__parquet_decompress(int codec, const uint8_t *src, size_t src_len, uint8_t *dst,
                              size_t dst_len, cairn_error *err)
{
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        if (src_len != dst_len) return size_mismatch(err, codec, dst_len);
        if (dst_len) memcpy(dst, src, dst_len);
        return 0;
    case PQ_CODEC_SNAPPY: return snappy_decode(src, src_len, dst, dst_len, err);
    case PQ_CODEC_GZIP: return gzip_decode(src, src_len, dst, dst_len, err);
    case PQ_CODEC_ZSTD: return zstd_decode(src, src_len, dst, dst_len, err);
    case PQ_CODEC_LZ4_RAW:
        if (lz4_block(src, src_len, dst, dst_len) != 0) return size_mismatch(err, codec, dst_len);
        return 0;
    case PQ_CODEC_LZ4:
        if (lz4_hadoop(src, src_len, dst, dst_len) == 0 ||
            lz4_block(src, src_len, dst, dst_len) == 0)
            return 0;
        return size_mismatch(err, codec, dst_len);
    default:
        return cairn_error_set(err, CAIRN_EUNSUPPORTED, "compression codec %s (%d) is not supported",
                               cairn__parquet_codec_name(codec), codec);
    }
}

/* ------------------------------------------------------------------------------------------
 * Compression
 * ---------------------------------------------------------------------------------------- */

/* Room for `bound` more bytes at the end of out; *dst points at it. */
static int reserve_tail(cairn_buf *out, size_t bound, uint8_t **dst, cairn_error *err)
{
    int rc = cairn_buf_reserve(out, bound);
    if (rc != 0) return cairn_error_set(err, rc, "compressing a page: %s", cairn_strerror(rc));
    *dst = (uint8_t *)out->data + out->len;
    return 0;
}

static void commit_tail(cairn_buf *out, size_t n)
{
    out->len += n;
    out->data[out->len] = '\0';
}

static int gzip_encode(const uint8_t *src, size_t src_len, int level, cairn_buf *out,
                       cairn_error *err)
{
    if (src_len > UINT_MAX / 2)
        return cairn_error_set(err, CAIRN_EUNSUPPORTED, "gzip page larger than 2 GiB");
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    zs.zalloc = zlib_alloc;
    zs.zfree = zlib_free;
    int z = deflateInit2(&zs, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8,
                         Z_DEFAULT_STRATEGY);
    if (z != Z_OK) return cairn_error_set(err, CAIRN_ENOMEM, "gzip: cannot start the encoder");
    size_t bound = deflateBound(&zs, (uLong)src_len);
    uint8_t *dst = NULL;
    int rc = reserve_tail(out, bound, &dst, err);
    if (rc == 0) {
        zs.next_in = (Bytef *)(uintptr_t)src;
        zs.avail_in = (uInt)src_len;
        zs.next_out = dst;
        zs.avail_out = (uInt)bound;
        z = deflate(&zs, Z_FINISH);
        if (z == Z_STREAM_END) commit_tail(out, bound - zs.avail_out);
        else rc = cairn_error_set(err, z == Z_MEM_ERROR ? CAIRN_ENOMEM : CAIRN_EINTERNAL,
                                  "gzip compression failed (%d)", z);
    }
    deflateEnd(&zs);
    return rc;
}

int cairn__parquet_compress(int codec, const uint8_t *src, size_t src_len, int level,
                            cairn_buf *out, cairn_error *err)
{
    uint8_t *dst = NULL;
    int rc = 0;
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        rc = cairn_buf_append(out, src, src_len);
        return rc ? cairn_error_set(err, rc, "buffering a page: %s", cairn_strerror(rc)) : 0;
    case PQ_CODEC_SNAPPY: {
        size_t n = snappy_max_compressed_length(src_len);
        if ((rc = reserve_tail(out, n, &dst, err)) != 0) return rc;
        if (snappy_compress((const char *)src, src_len, (char *)dst, &n) != SNAPPY_OK)
            return cairn_error_set(err, CAIRN_EINTERNAL, "snappy compression failed");
        commit_tail(out, n);
        return 0;
    }
    case PQ_CODEC_GZIP: return gzip_encode(src, src_len, level, out, err);
    case PQ_CODEC_ZSTD: {
        size_t bound = ZSTD_compressBound(src_len);
        if ((rc = reserve_tail(out, bound, &dst, err)) != 0) return rc;
        size_t n = ZSTD_compress(dst, bound, src, src_len, level ? level : 3);
        if (ZSTD_isError(n))
            return cairn_error_set(err, CAIRN_EINTERNAL, "zstd compression failed: %s",
                                   ZSTD_getErrorName(n));
        commit_tail(out, n);
        return 0;
    }
    case PQ_CODEC_LZ4_RAW: {
        if (src_len > LZ4_MAX_INPUT_SIZE)
            return cairn_error_set(err, CAIRN_EUNSUPPORTED, "lz4 page larger than %d bytes",
                                   LZ4_MAX_INPUT_SIZE);
        int bound = LZ4_compressBound((int)src_len);
        if ((rc = reserve_tail(out, (size_t)bound, &dst, err)) != 0) return rc;
        int n = LZ4_compress_default((const char *)src, (char *)dst, (int)src_len, bound);
        if (n <= 0 && src_len > 0)
            return cairn_error_set(err, CAIRN_EINTERNAL, "lz4 compression failed");
        commit_tail(out, (size_t)(n < 0 ? 0 : n));
        return 0;
    }
    default:
        return cairn_error_set(err, CAIRN_EUNSUPPORTED, "compression codec %s (%d) is not supported",
                               cairn__parquet_codec_name(codec), codec);
    }
}
