/* Tests for src/core/hash.c: SHA-256 against FIPS 180-4 vectors and against libsodium on
 * random input of many lengths, streaming split anywhere equals one-shot, the SHA-NI and
 * portable compression paths agree (the SHA-256 tests run on both where the CPU has SHA-NI),
 * files, hex, and the 64-bit hash's determinism and spread. */
#include "testutil.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash_internal.h"

/* Deterministic pseudo-random numbers (xorshift64*), so a failure reproduces. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static void rng_fill(uint64_t *s, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(rng_next(s) >> 56);
}

static uint8_t *random_buffer(uint64_t *s, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    rng_fill(s, p, n);
    return p;
}

/* Runs body on the default path and, where that is SHA-NI, again on the portable one. */
static void on_each_path(void (*body)(void))
{
    cairn__sha256_force_portable(false);
    body();
    if (cairn__sha256_accelerated()) {
        cairn__sha256_force_portable(true);
        assert_false(cairn__sha256_accelerated());
        body();
        cairn__sha256_force_portable(false);
    } else {
        print_message("SHA-NI not available: portable path only\n");
    }
}

/* The force is process-wide: reset it before each test so a failed one cannot leak it. */
static int reset_path(void **state)
{
    (void)state;
    cairn__sha256_force_portable(false);
    return 0;
}

static void hex_of(const char *msg, size_t len, char out[65])
{
    uint8_t d[32];
    cairn_sha256_digest(msg, len, d);
    cairn_hex_encode(d, 32, out);
}

static void check_fips_vectors(void)
{
    char h[65];
    hex_of("abc", 3, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hex_of("", 0, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hex_of(NULL, 0, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(m448, strlen(m448), h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    hex_of(m896, strlen(m896), h);
    assert_string_equal(h, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");

    /* one million 'a', one-shot and in 1000-byte updates */
    const char *million_a = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    char *a = malloc(1000000);
    assert_non_null(a);
    memset(a, 'a', 1000000);
    hex_of(a, 1000000, h);
    assert_string_equal(h, million_a);
    cairn_sha256 ctx;
    cairn_sha256_init(&ctx);
    for (int i = 0; i < 1000; i++) cairn_sha256_update(&ctx, a, 1000);
    uint8_t d[32];
    cairn_sha256_final(&ctx, d);
    cairn_hex_encode(d, 32, h);
    assert_string_equal(h, million_a);
    free(a);

    /* streaming in odd pieces equals one-shot */
    hex_of(m448, strlen(m448), h);
    cairn_sha256_init(&ctx);
    for (size_t i = 0; i < strlen(m448); i += 7)
        cairn_sha256_update(&ctx, m448 + i, strlen(m448) - i < 7 ? strlen(m448) - i : 7);
    cairn_sha256_final(&ctx, d);
    char h2[65];
    cairn_hex_encode(d, 32, h2);
    assert_string_equal(h, h2);
}

static void test_vectors(void **state)
{
    (void)state;
    on_each_path(check_fips_vectors);
}

/* Every length 0..300 (all padding cases, one to five blocks) and some large ones, at
 * unaligned offsets too, against libsodium's one-shot SHA-256. */
static void check_against_libsodium(void)
{
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    static const size_t large[] = {4096, 65535, 65536 + 63, 1 << 20, (1 << 20) + 55};
    size_t lens[301 + sizeof large / sizeof large[0]];
    size_t count = 0;
    for (size_t len = 0; len <= 300; len++) lens[count++] = len;
    for (size_t i = 0; i < sizeof large / sizeof large[0]; i++) lens[count++] = large[i];
    for (size_t i = 0; i < count; i++) {
        uint8_t *buf = random_buffer(&seed, lens[i] + 3);
        for (size_t offset = 0; offset < 4; offset += 3) {
            uint8_t want[32], got[32];
            crypto_hash_sha256(want, buf + offset, lens[i]);
            cairn_sha256_digest(buf + offset, lens[i], got);
            if (memcmp(want, got, 32) != 0) fail_msg("length %zu offset %zu", lens[i], offset);
        }
        free(buf);
    }
}

static void test_against_libsodium(void **state)
{
    (void)state;
    on_each_path(check_against_libsodium);
}

/* Streaming with updates split at random points (empty ones included) equals one-shot. */
static void check_random_splits(void)
{
    uint64_t seed = 42;
    for (int round = 0; round < 200; round++) {
        size_t len = round < 100 ? rng_next(&seed) % 1000 : rng_next(&seed) % 300000;
        uint8_t *buf = random_buffer(&seed, len);
        uint8_t want[32], got[32];
        crypto_hash_sha256(want, buf, len);
        cairn_sha256 ctx;
        cairn_sha256_init(&ctx);
        size_t pos = 0;
        while (pos < len) {
            size_t max_piece = rng_next(&seed) % 4 == 0 ? 200 : len - pos + 1;
            size_t piece = (size_t)(rng_next(&seed) % max_piece);
            if (piece > len - pos) piece = len - pos;
            cairn_sha256_update(&ctx, buf + pos, piece);
            pos += piece;
        }
        cairn_sha256_final(&ctx, got);
        if (memcmp(want, got, 32) != 0) fail_msg("round %d length %zu", round, len);
        free(buf);
    }
}

static void test_random_splits(void **state)
{
    (void)state;
    on_each_path(check_random_splits);
}

/* The two compression paths agree, also when switched in the middle of one stream. */
static void test_paths_agree(void **state)
{
    (void)state;
    cairn__sha256_force_portable(false);
    if (!cairn__sha256_accelerated()) skip();
    uint64_t seed = 7;
    size_t len = (3 << 20) + 17;
    uint8_t *buf = random_buffer(&seed, len);
    uint8_t fast[32], portable[32], mixed[32];
    cairn_sha256_digest(buf, len, fast);
    cairn__sha256_force_portable(true);
    cairn_sha256_digest(buf, len, portable);
    cairn_sha256 ctx;
    cairn_sha256_init(&ctx);
    cairn_sha256_update(&ctx, buf, len / 2);
    cairn__sha256_force_portable(false);
    cairn_sha256_update(&ctx, buf + len / 2, len - len / 2);
    cairn_sha256_final(&ctx, mixed);
    assert_memory_equal(fast, portable, 32);
    assert_memory_equal(fast, mixed, 32);
    free(buf);
}

static void test_file_and_hex(void **state)
{
    (void)state;
    const char *dir = cairn_test_tmpdir("hash");
    char path[4200];
    snprintf(path, sizeof path, "%s/f", dir);
    cairn_test_write_file(path, "abc", 3);
    uint8_t d[32], back[32];
    assert_int_equal(cairn_sha256_file(path, d, NULL), 0);
    char h[65];
    cairn_hex_encode(d, 32, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(cairn_hex_decode(h, 64, back, 32), 0);
    assert_memory_equal(d, back, 32);
    assert_int_equal(cairn_hex_decode("zz", 2, back, 1), CAIRN_EPARSE);
    assert_int_equal(cairn_hex_decode("abc", 3, back, 1), CAIRN_EPARSE);
    cairn_error e;
    cairn_error_clear(&e);
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(cairn_sha256_file(path, d, &e), CAIRN_ENOTFOUND);
    assert_string_equal(e.file, path);

    /* a file spanning several read chunks, and an empty one */
    uint64_t seed = 99;
    size_t len = (1 << 20) + (1 << 18) + 5;
    uint8_t *buf = random_buffer(&seed, len);
    uint8_t want[32];
    snprintf(path, sizeof path, "%s/big", dir);
    cairn_test_write_file(path, (const char *)buf, len);
    crypto_hash_sha256(want, buf, len);
    assert_int_equal(cairn_sha256_file(path, d, NULL), 0);
    assert_memory_equal(d, want, 32);
    free(buf);
    snprintf(path, sizeof path, "%s/empty", dir);
    cairn_test_write_file(path, "", 0);
    assert_int_equal(cairn_sha256_file(path, d, NULL), 0);
    cairn_hex_encode(d, 32, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    cairn_test_rmtree(dir);
}

static void test_hash64(void **state)
{
    (void)state;
    assert_int_equal(cairn_hash64("abc", 3, 0), cairn_hash64("abc", 3, 0));
    assert_int_not_equal(cairn_hash64("abc", 3, 0), cairn_hash64("abd", 3, 0));
    assert_int_not_equal(cairn_hash64("abc", 3, 0), cairn_hash64("abc", 3, 1));
    /* bucket spread of sequential integers over 64 buckets */
    int buckets[64] = {0};
    for (uint64_t i = 0; i < 64000; i++) buckets[cairn_hash_u64(i) & 63]++;
    for (int b = 0; b < 64; b++) assert_in_range(buckets[b], 800, 1200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_vectors, reset_path),
        cmocka_unit_test_setup(test_against_libsodium, reset_path),
        cmocka_unit_test_setup(test_random_splits, reset_path),
        cmocka_unit_test_setup(test_paths_agree, reset_path),
        cmocka_unit_test_setup(test_file_and_hex, reset_path),
        cmocka_unit_test(test_hash64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
