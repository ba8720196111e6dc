/* hash.c: SHA-256 for content addresses, XXH3 (libxxhash) for hash tables, and hex encoding.
 *
 * SHA-256 (FIPS 180-4) is our own: a streaming layer (sha256_state below, kept inside
 * cairn_sha256's 128 opaque bytes) feeds whole 64-byte blocks to one of two compression
 * functions that give bit-identical results:
 *   - compress_shani: the x86-64 SHA extensions (SHA-NI). Each sha256rnds2 does two rounds
 *     on the state held as two registers, ABEF and CDGH; sha256msg1/msg2 extend the message
 *     schedule four words at a time. About 5x the portable path on this kind of CPU.
 *   - compress_portable: plain C, for other CPUs and other architectures.
 * The choice is made per call from a cached CPUID check (shani_usable), so streaming
 * updates of any size pay one relaxed load for it.
 * cairn__sha256_force_portable() (hash_internal.h) pins the portable path so tests can
 * compare the two.
 *
 * Invariants of sha256_state: total_len counts every byte given to update; the first
 * total_len % 64 bytes of buf are input not yet compressed; h is the chaining value after
 * the total_len / 64 blocks compressed so far.
 *
 * cairn_sha256_file reads 64 KiB at a time into a stack buffer. On a 100 MB cached file
 * that runs at ~88% of in-memory hashing speed, no slower than 256 KiB-4 MiB reads; mmap
 * would reach ~100% but a file truncated under the mapping kills the process with SIGBUS,
 * and ingest hashes files other processes may still be writing.
 *
 * Tests: tests/unit/core/test_hash.c (FIPS vectors, libsodium as a reference for random
 * inputs, split streaming, both compression paths).
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "cairn/core.h"
#include "core/hash_internal.h"

/* ---------------------------------------------------------------------------------------
 * Types and constants
 * ------------------------------------------------------------------------------------- */

typedef struct sha256_state {
    uint32_t h[8];
    uint64_t total_len; /* bytes */
    uint8_t buf[64];
} sha256_state;

_Static_assert(sizeof(sha256_state) <= sizeof(((cairn_sha256 *)0)->state_),
               "cairn_sha256 too small for sha256_state");
_Static_assert(_Alignof(sha256_state) <= 16, "cairn_sha256 is only 16-byte aligned");

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

static const uint32_t sha256_iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static atomic_bool force_portable;

/* ---------------------------------------------------------------------------------------
 * Portable compression
 * ------------------------------------------------------------------------------------- */

static inline uint32_t rotr32(uint32_t x, unsigned n)
{
    return x >> n | x << (32 - n);
}

static inline uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One round with the working variables named in rotated order, so eight rounds in a row need
 * no moves: each round writes only d and h. */
#define SHA256_ROUND(a, b, c, d, e, f, g, h, t)                                                \
    do {                                                                                       \
        uint32_t t1_ = h + (rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25)) +                    \
                       ((e & f) ^ (~e & g)) + sha256_k[t] + w[t];                              \
        uint32_t t2_ = (rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22)) +                        \
                       ((a & b) ^ (a & c) ^ (b & c));                                          \
        d += t1_;                                                                              \
        h = t1_ + t2_;                                                                         \
    } while (0)

static void compress_portable(uint32_t state[8], const uint8_t *blocks, size_t nblocks)
{
    for (; nblocks > 0; nblocks--, blocks += 64) {
        uint32_t w[64];
        for (int t = 0; t < 16; t++) w[t] = load_be32(blocks + 4 * t);
        for (int t = 16; t < 64; t++) {
            uint32_t s0 = rotr32(w[t - 15], 7) ^ rotr32(w[t - 15], 18) ^ w[t - 15] >> 3;
            uint32_t s1 = rotr32(w[t - 2], 17) ^ rotr32(w[t - 2], 19) ^ w[t - 2] >> 10;
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int t = 0; t < 64; t += 8) {
            SHA256_ROUND(a, b, c, d, e, f, g, h, t);
            SHA256_ROUND(h, a, b, c, d, e, f, g, t + 1);
            SHA256_ROUND(g, h, a, b, c, d, e, f, t + 2);
            SHA256_ROUND(f, g, h, a, b, c, d, e, t + 3);
            SHA256_ROUND(e, f, g, h, a, b, c, d, t + 4);
            SHA256_ROUND(d, e, f, g, h, a, b, c, t + 5);
            SHA256_ROUND(c, d, e, f, g, h, a, b, t + 6);
            SHA256_ROUND(b, c, d, e, f, g, h, a, t + 7);
        }
        state[0] += a, state[1] += b, state[2] += c, state[3] += d;
        state[4] += e, state[5] += f, state[6] += g, state[7] += h;
    }
}

/* ---------------------------------------------------------------------------------------
 * SHA-NI compression (x86-64)
 *
 * The state lives in two registers, dwords listed high to low: abef = {A, B, E, F} and
 * cdgh = {C, D, G, H}. sha256rnds2(cdgh, abef, wk) runs two rounds with the message+constant
 * words in wk's low two dwords and returns the new ABEF; the old ABEF becomes the new CDGH.
 * ------------------------------------------------------------------------------------- */

#if defined(__x86_64__)
#define SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* Four rounds starting at round `first` with message words w (W[first..first+3]). */
SHANI_TARGET static inline void shani_rounds4(__m128i *abef, __m128i *cdgh, __m128i w,
                                              int first)
{
    __m128i wk = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&sha256_k[first]));
    *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, wk);
    *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32(wk, 0x0E));
}

/* W[t..t+3] from w0 = W[t-16..t-13], w1 = W[t-12..t-9], w2 = W[t-8..t-5], w3 = W[t-4..t-1].
 * msg1 adds sigma0 of W[t-15..t-12] to w0, the alignr supplies W[t-7..t-4], and msg2 adds
 * sigma1 of W[t-2], W[t-1] and then of the two words it has just produced. */
SHANI_TARGET static inline __m128i shani_schedule(__m128i w0, __m128i w1, __m128i w2,
                                                  __m128i w3)
{
    __m128i sum = _mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8(w3, w2, 4));
    return _mm_sha256msg2_epu32(sum, w3);
}

SHANI_TARGET static void compress_shani(uint32_t h[8], const uint8_t *blocks, size_t nblocks)
{
    /* Byte order within each dword: big-endian message words. */
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i abcd = _mm_loadu_si128((const __m128i *)&h[0]); /* {D, C, B, A} */
    __m128i efgh = _mm_loadu_si128((const __m128i *)&h[4]); /* {H, G, F, E} */
    __m128i badc = _mm_shuffle_epi32(abcd, 0xB1);           /* {C, D, A, B} */
    __m128i hgfe = _mm_shuffle_epi32(efgh, 0x1B);           /* {E, F, G, H} */
    __m128i abef = _mm_alignr_epi8(badc, hgfe, 8);
    __m128i cdgh = _mm_blend_epi16(hgfe, badc, 0xF0);

    for (; nblocks > 0; nblocks--, blocks += 64) {
        __m128i abef_in = abef, cdgh_in = cdgh;
        const __m128i *p = (const __m128i *)blocks;
        __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128(p + 0), bswap);
        __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128(p + 1), bswap);
        __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128(p + 2), bswap);
        __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128(p + 3), bswap);
        shani_rounds4(&abef, &cdgh, w0, 0);
        shani_rounds4(&abef, &cdgh, w1, 4);
        shani_rounds4(&abef, &cdgh, w2, 8);
        shani_rounds4(&abef, &cdgh, w3, 12);
        for (int t = 16; t < 64; t += 16) {
            w0 = shani_schedule(w0, w1, w2, w3);
            shani_rounds4(&abef, &cdgh, w0, t);
            w1 = shani_schedule(w1, w2, w3, w0);
            shani_rounds4(&abef, &cdgh, w1, t + 4);
            w2 = shani_schedule(w2, w3, w0, w1);
            shani_rounds4(&abef, &cdgh, w2, t + 8);
            w3 = shani_schedule(w3, w0, w1, w2);
            shani_rounds4(&abef, &cdgh, w3, t + 12);
        }
        abef = _mm_add_epi32(abef, abef_in);
        cdgh = _mm_add_epi32(cdgh, cdgh_in);
    }

    __m128i feba = _mm_shuffle_epi32(abef, 0x1B); /* {F, E, B, A} */
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1); /* {D, C, H, G} */
    _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));
}

/* CPUID leaf 7 EBX bit 29 (SHA), leaf 1 ECX bits 19 (SSE4.1) and 9 (SSSE3). Read directly
 * because clang before 16 rejects __builtin_cpu_supports("sha"). Cached, since CPUID traps
 * to the hypervisor in a VM; threads racing to fill the cache store the same value. */
static bool shani_usable(void)
{
    static atomic_int cached; /* 0 unknown, 1 no, 2 yes */
    int known = atomic_load_explicit(&cached, memory_order_relaxed);
    if (known != 0) return known == 2;
    unsigned eax, ebx, ecx, edx;
    bool yes = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_SSE4_1) && (ecx & bit_SSSE3);
    yes = yes && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (ebx & bit_SHA);
    atomic_store_explicit(&cached, yes ? 2 : 1, memory_order_relaxed);
    return yes;
}
#endif

static void compress(uint32_t h[8], const uint8_t *blocks, size_t nblocks)
{
#if defined(__x86_64__)
    if (!atomic_load_explicit(&force_portable, memory_order_relaxed) && shani_usable()) {
        compress_shani(h, blocks, nblocks);
        return;
    }
#endif
    compress_portable(h, blocks, nblocks);
}

/* ---------------------------------------------------------------------------------------
 * Internal switches (hash_internal.h)
 * ------------------------------------------------------------------------------------- */

void cairn__sha256_force_portable(bool on)
{
    atomic_store_explicit(&force_portable, on, memory_order_relaxed);
}

bool cairn__sha256_accelerated(void)
{
#if defined(__x86_64__)
    return !atomic_load_explicit(&force_portable, memory_order_relaxed) && shani_usable();
#else
    return false;
#endif
}

/* ---------------------------------------------------------------------------------------
 * SHA-256 API
 * ------------------------------------------------------------------------------------- */

void cairn_sha256_init(cairn_sha256 *ctx)
{
    sha256_state *s = (sha256_state *)ctx->state_;
    memcpy(s->h, sha256_iv, sizeof s->h);
    s->total_len = 0;
}

void cairn_sha256_update(cairn_sha256 *ctx, const void *data, size_t len)
{
    sha256_state *s = (sha256_state *)ctx->state_;
    if (len == 0) return; /* data may be NULL */
    const uint8_t *p = data;
    size_t used = (size_t)(s->total_len % 64);
    s->total_len += len;
    if (used > 0) {
        size_t take = len < 64 - used ? len : 64 - used;
        memcpy(s->buf + used, p, take);
        p += take, len -= take, used += take;
        if (used < 64) return;
        compress(s->h, s->buf, 1);
    }
    if (len >= 64) {
        compress(s->h, p, len / 64);
        p += len / 64 * 64;
        len %= 64;
    }
    if (len > 0) memcpy(s->buf, p, len);
}

void cairn_sha256_final(cairn_sha256 *ctx, uint8_t out[CAIRN_SHA256_LEN])
{
    sha256_state *s = (sha256_state *)ctx->state_;
    size_t used = (size_t)(s->total_len % 64);
    uint64_t bits = s->total_len * 8;
    s->buf[used++] = 0x80;
    if (used > 56) {
        memset(s->buf + used, 0, 64 - used);
        compress(s->h, s->buf, 1);
        used = 0;
    }
    memset(s->buf + used, 0, 56 - used);
    store_be32(s->buf + 56, (uint32_t)(bits >> 32));
    store_be32(s->buf + 60, (uint32_t)bits);
    compress(s->h, s->buf, 1);
    for (int i = 0; i < 8; i++) store_be32(out + 4 * i, s->h[i]);
    sodium_memzero(s, sizeof *s);
}

void cairn_sha256_digest(const void *data, size_t len, uint8_t out[CAIRN_SHA256_LEN])
{
    cairn_sha256 ctx;
    cairn_sha256_init(&ctx);
    cairn_sha256_update(&ctx, data, len);
    cairn_sha256_final(&ctx, out);
}

int cairn_sha256_file(const char *path, uint8_t out[CAIRN_SHA256_LEN], cairn_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int code = errno == ENOENT ? CAIRN_ENOTFOUND : CAIRN_EIO;
        cairn_error_set(err, code, "cannot open: %s", strerror(errno));
        cairn_error_at(err, path, 0, 0);
        return code;
    }
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL); /* a hint: more read-ahead */
    cairn_sha256 ctx;
    cairn_sha256_init(&ctx);
    /* 64 KiB stays in L1/L2: measured as fast as 256 KiB-4 MiB reads (see file comment). */
    unsigned char chunk[1 << 16];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            cairn_error_set(err, CAIRN_EIO, "cannot read: %s", strerror(errno));
            cairn_error_at(err, path, 0, 0);
            close(fd);
            return CAIRN_EIO;
        }
        if (n == 0) break;
        cairn_sha256_update(&ctx, chunk, (size_t)n);
    }
    close(fd);
    cairn_sha256_final(&ctx, out);
    return 0;
}

void cairn_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int cairn_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t n)
{
    if (hex_len != 2 * n) return CAIRN_EPARSE;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return CAIRN_EPARSE;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

uint64_t cairn_hash64(const void *data, size_t len, uint64_t seed)
{
    return XXH3_64bits_withSeed(data, len, seed);
}
