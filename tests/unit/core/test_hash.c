/* Tests for src/core/hash.c: SHA-256 against FIPS 180-2 vectors, streaming equals one-shot,
 * files, hex, and the 64-bit hash's determinism and spread. */
#include "testutil.h"

#include <string.h>

static void hex_of(const char *msg, size_t len, char out[65])
{
    uint8_t d[32];
    cairn_sha256_digest(msg, len, d);
    cairn_hex_encode(d, 32, out);
}

static void test_vectors(void **state)
{
    (void)state;
    char h[65];
    hex_of("abc", 3, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hex_of("", 0, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(m, strlen(m), h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* streaming in odd pieces equals one-shot */
    cairn_sha256 ctx;
    cairn_sha256_init(&ctx);
    for (size_t i = 0; i < strlen(m); i += 7)
        cairn_sha256_update(&ctx, m + i, strlen(m) - i < 7 ? strlen(m) - i : 7);
    uint8_t d[32];
    cairn_sha256_final(&ctx, d);
    char h2[65];
    cairn_hex_encode(d, 32, h2);
    assert_string_equal(h, h2);
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
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_file_and_hex),
        cmocka_unit_test(test_hash64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
