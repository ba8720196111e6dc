/* hash.c: SHA-256 (libsodium) for content addresses, XXH3 (libxxhash) for hash tables,
 * and hex encoding.
 *
 * cairn_sha256 reserves 128 bytes for libsodium's crypto_hash_sha256_state; a static
 * assertion keeps that true. Tests: tests/unit/core/test_hash.c (NIST vectors).
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "cairn/core.h"

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(((cairn_sha256 *)0)->state_),
               "cairn_sha256 too small for libsodium's state");

void cairn_sha256_init(cairn_sha256 *ctx)
{
    crypto_hash_sha256_init((crypto_hash_sha256_state *)ctx->state_);
}

void cairn_sha256_update(cairn_sha256 *ctx, const void *data, size_t len)
{
    crypto_hash_sha256_update((crypto_hash_sha256_state *)ctx->state_, data, len);
}

void cairn_sha256_final(cairn_sha256 *ctx, uint8_t out[CAIRN_SHA256_LEN])
{
    crypto_hash_sha256_final((crypto_hash_sha256_state *)ctx->state_, out);
}

void cairn_sha256_digest(const void *data, size_t len, uint8_t out[CAIRN_SHA256_LEN])
{
    crypto_hash_sha256(out, data, len);
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
    cairn_sha256 ctx;
    cairn_sha256_init(&ctx);
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
