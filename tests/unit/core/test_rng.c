/* Tests for src/core/rng.c: xoshiro256** and splitmix64 against their published reference
 * outputs, determinism of seeds and derived streams, cairn_rng_below's range and spread,
 * uniform and normal moments, and that a shuffle is a permutation. */
#include "testutil.h"

#include <math.h>
#include <string.h>

static void test_reference_vectors(void **state)
{
    (void)state;
    cairn_rng r = {{1, 2, 3, 4}}; /* the reference implementation's test state */
    assert_int_equal(cairn_rng_next(&r), 11520);
    assert_int_equal(cairn_rng_next(&r), 0);
    assert_int_equal(cairn_rng_next(&r), 1509978240);
    assert_int_equal(cairn_rng_next(&r), 1215971899390074240ULL);
    cairn_rng_seed(&r, 0); /* splitmix64 from 0: first output 0xe220a8397b1dcdaf */
    assert_int_equal(r.s[0], 0xe220a8397b1dcdafULL);
}

static void test_determinism(void **state)
{
    (void)state;
    cairn_rng a, b;
    cairn_rng_seed(&a, 42);
    cairn_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++) assert_int_equal(cairn_rng_next(&a), cairn_rng_next(&b));
    assert_int_equal(cairn_rng_derive(7, 3), cairn_rng_derive(7, 3));
    assert_int_not_equal(cairn_rng_derive(7, 3), cairn_rng_derive(7, 4));
    assert_int_not_equal(cairn_rng_derive(7, 3), cairn_rng_derive(8, 3));
}

static void test_below_and_uniform(void **state)
{
    (void)state;
    cairn_rng r;
    cairn_rng_seed(&r, 1);
    int counts[7] = {0};
    for (int i = 0; i < 70000; i++) {
        uint64_t v = cairn_rng_below(&r, 7);
        assert_true(v < 7);
        counts[v]++;
    }
    for (int i = 0; i < 7; i++) assert_true(counts[i] > 9400 && counts[i] < 10600);
    assert_int_equal(cairn_rng_below(&r, 1), 0);
    double sum = 0, sq = 0, nsum = 0, nsq = 0;
    int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = cairn_rng_uniform(&r), z = cairn_rng_normal(&r);
        assert_true(u >= 0 && u < 1);
        sum += u;
        sq += u * u;
        nsum += z;
        nsq += z * z;
    }
    assert_true(fabs(sum / n - 0.5) < 0.005);
    assert_true(fabs(sq / n - 1.0 / 3) < 0.005);
    assert_true(fabs(nsum / n) < 0.01);
    assert_true(fabs(nsq / n - 1) < 0.02);
}

static void test_shuffle(void **state)
{
    (void)state;
    cairn_rng r;
    cairn_rng_seed(&r, 9);
    int64_t idx[100];
    bool seen[100] = {false};
    for (int i = 0; i < 100; i++) idx[i] = i;
    cairn_rng_shuffle(&r, idx, 100);
    int moved = 0;
    for (int i = 0; i < 100; i++) {
        assert_false(seen[idx[i]]);
        seen[idx[i]] = true;
        moved += idx[i] != i;
    }
    assert_true(moved > 80);
    cairn_rng_shuffle(&r, idx, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_vectors),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_below_and_uniform),
        cmocka_unit_test(test_shuffle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
