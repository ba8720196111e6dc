/* src/core/rng.c: seeded random numbers (cairn_rng in include/cairn/core.h).
 *
 * xoshiro256** (Blackman and Vigna) for the stream, splitmix64 to spread a 64-bit seed over
 * the 256-bit state. Written from the published recurrences. Bounded draws use Lemire's
 * multiply-and-reject, so cairn_rng_below has no modulo bias.
 *
 * Tests: tests/unit/core/test_rng.c.
 */
#include <math.h>

#include "cairn/core.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void cairn_rng_seed(cairn_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

uint64_t cairn_rng_derive(uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ rotl(stream * 0xd1342543de82ef95ULL + 1, 17);
    splitmix64(&x);
    return splitmix64(&x);
}

uint64_t cairn_rng_next(cairn_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

uint64_t cairn_rng_below(cairn_rng *r, uint64_t n)
{
    unsigned __int128 m = (unsigned __int128)cairn_rng_next(r) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t floor = -n % n;
        while (lo < floor) {
            m = (unsigned __int128)cairn_rng_next(r) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double cairn_rng_uniform(cairn_rng *r)
{
    return (double)(cairn_rng_next(r) >> 11) * 0x1.0p-53;
}

double cairn_rng_normal(cairn_rng *r)
{
    double u = 1.0 - cairn_rng_uniform(r), v = cairn_rng_uniform(r); /* u in (0, 1] */
    return sqrt(-2.0 * log(u)) * cos(2.0 * 3.14159265358979323846 * v);
}

void cairn_rng_shuffle(cairn_rng *r, int64_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)cairn_rng_below(r, i);
        int64_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
