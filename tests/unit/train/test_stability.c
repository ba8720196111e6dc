/* Tests of src/train/stability.c (cairn_importance_stability_of): hand-checked cases
 * (identical lists, reversed, ties on one and both sides, scipy's documented examples,
 * disjoint sets, a feature missing on one side, NaN as absent, constant sides and a single
 * common feature giving NaN, top-k ties broken by name, k larger than the lists, k = 0,
 * empty lists), a repeated name naming itself, results independent of list order, an O(n^2)
 * Kendall tau-b and a direct Spearman on random tied data, and allocation failures. The
 * comparison with scipy on random cases is tests/oracles/test_stability_scipy.sh. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/metrics.h"

#define EPS 1e-12

#define assert_close(a, b, tol)                                                                    \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (tol)) && a_ != b_)                                                 \
            fail_msg("%s = %.17g, expected %.17g (tolerance %g)", #a, a_, b_, (double)(tol));      \
    } while (0)

#define assert_nan(a)                                                                              \
    do {                                                                                           \
        double a_ = (a);                                                                           \
        if (!isnan(a_)) fail_msg("%s = %.17g, expected NaN", #a, a_);                              \
    } while (0)

static cairn_importance_stability stab(const char *const *na, const double *a, size_t n_a,
                                       const char *const *nb, const double *b, size_t n_b, size_t k)
{
    cairn_importance_stability s;
    memset(&s, 0xa5, sizeof s);
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_importance_stability_of(na, a, n_a, nb, b, n_b, k, &s, &e), &e);
    return s;
}

/* ------------------------------------------------------------------------------------------
 * Hand-checked cases
 * ---------------------------------------------------------------------------------------- */

static void test_identical_and_reversed(void **state)
{
    (void)state;
    const char *n[] = {"f1", "f2", "f3", "f4", "f5"};
    double a[] = {0.5, 0.4, 0.3, 0.2, 0.1}, rev[] = {0.1, 0.2, 0.3, 0.4, 0.5};
    cairn_importance_stability s = stab(n, a, 5, n, a, 5, 3);
    assert_int_equal(s.common, 5);
    assert_int_equal(s.only_a, 0);
    assert_int_equal(s.only_b, 0);
    assert_close(s.spearman, 1.0, EPS);
    assert_close(s.kendall_tau_b, 1.0, EPS);
    assert_int_equal(s.top_k, 3);
    assert_int_equal(s.top_overlap, 3);
    assert_close(s.top_jaccard, 1.0, EPS);

    s = stab(n, a, 5, n, rev, 5, 2);
    assert_close(s.spearman, -1.0, EPS);
    assert_close(s.kendall_tau_b, -1.0, EPS);
    /* top 2 of a: f1, f2; of b: f5, f4 */
    assert_int_equal(s.top_overlap, 0);
    assert_close(s.top_jaccard, 0.0, EPS);

    /* the order of a list does not matter, nor do the scales */
    const char *shuffled[] = {"f4", "f1", "f5", "f3", "f2"};
    double b[] = {20, 50, 10, 30, 40};
    s = stab(n, a, 5, shuffled, b, 5, 5);
    assert_close(s.spearman, 1.0, EPS);
    assert_close(s.kendall_tau_b, 1.0, EPS);
    assert_int_equal(s.top_overlap, 5);
}

static void test_ties(void **state)
{
    (void)state;
    /* a ranks f2 and f3 equal: ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4). Centred:
     * (-1.5, 0, 0, 1.5) and (-1.5, -0.5, 0.5, 1.5): rho = 4.5 / sqrt(4.5 * 5) = 3 / sqrt(10).
     * Kendall: 6 pairs, 1 tied in a, none in b, the other 5 concordant: 5 / sqrt(5 * 6). */
    const char *n[] = {"f1", "f2", "f3", "f4"};
    double a[] = {1, 2, 2, 3}, b[] = {1, 2, 3, 4};
    cairn_importance_stability s = stab(n, a, 4, n, b, 4, 4);
    assert_close(s.spearman, 3 / sqrt(10), EPS);
    assert_close(s.kendall_tau_b, 5 / sqrt(30), EPS);
    /* symmetric */
    s = stab(n, b, 4, n, a, 4, 4);
    assert_close(s.spearman, 3 / sqrt(10), EPS);
    assert_close(s.kendall_tau_b, 5 / sqrt(30), EPS);

    /* scipy.stats.kendalltau's documented example, ties on both sides: pairs 10, tied in x
     * 2, in y 1, in both 1; concordant 1, discordant 5: (1 - 5) / sqrt(8 * 9) = -0.4714. */
    const char *m[] = {"a", "b", "c", "d", "e"};
    double x[] = {12, 2, 1, 12, 2}, y[] = {1, 4, 7, 1, 0};
    s = stab(m, x, 5, m, y, 5, 2);
    assert_close(s.kendall_tau_b, -4 / sqrt(72), EPS);
    assert_close(s.kendall_tau_b, -0.4714045207910316, EPS);
    /* scipy.stats.spearmanr's documented example */
    double x2[] = {1, 2, 3, 4, 5}, y2[] = {5, 6, 7, 8, 7};
    s = stab(m, x2, 5, m, y2, 5, 2);
    assert_close(s.spearman, 0.8207826816681233, EPS);
}

static void test_disjoint_and_missing(void **state)
{
    (void)state;
    const char *na[] = {"x", "y", "z"}, *nb[] = {"u", "v"};
    double a[] = {3, 2, 1}, b[] = {2, 1};
    cairn_importance_stability s = stab(na, a, 3, nb, b, 2, 10);
    assert_int_equal(s.common, 0);
    assert_int_equal(s.only_a, 3);
    assert_int_equal(s.only_b, 2);
    assert_nan(s.spearman);
    assert_nan(s.kendall_tau_b);
    assert_int_equal(s.top_k, 2);
    assert_int_equal(s.top_overlap, 0);
    assert_close(s.top_jaccard, 0.0, EPS);

    /* z only in a, w only in b; x and y agree */
    const char *nc[] = {"w", "y", "x"};
    double c[] = {5, 20, 30};
    s = stab(na, a, 3, nc, c, 3, 2);
    assert_int_equal(s.common, 2);
    assert_int_equal(s.only_a, 1);
    assert_int_equal(s.only_b, 1);
    assert_close(s.spearman, 1.0, EPS);
    assert_close(s.kendall_tau_b, 1.0, EPS);
    assert_int_equal(s.top_overlap, 2);
    assert_close(s.top_jaccard, 1.0, EPS);
    /* top 3: {x, y, z} and {x, y, w}: 2 of 4 */
    s = stab(na, a, 3, nc, c, 3, 3);
    assert_int_equal(s.top_k, 3);
    assert_int_equal(s.top_overlap, 2);
    assert_close(s.top_jaccard, 0.5, EPS);
    /* k larger than either list: min of the sizes */
    s = stab(na, a, 3, nb, b, 2, 100);
    assert_int_equal(s.top_k, 2);
}

static void test_nan_is_absent(void **state)
{
    (void)state;
    /* y is NaN in a: common x and z, which disagree */
    const char *n[] = {"x", "y", "z"};
    double a[] = {3, NAN, 1}, b[] = {1, 2, 3};
    cairn_importance_stability s = stab(n, a, 3, n, b, 3, 3);
    assert_int_equal(s.common, 2);
    assert_int_equal(s.only_a, 0);
    assert_int_equal(s.only_b, 1);
    assert_close(s.spearman, -1.0, EPS);
    assert_close(s.kendall_tau_b, -1.0, EPS);
    /* k = min(3, 2 present in a, 3): top 2 of a {x, z}, of b {z, y} */
    assert_int_equal(s.top_k, 2);
    assert_int_equal(s.top_overlap, 1);
    assert_close(s.top_jaccard, 1.0 / 3.0, EPS);
    /* a name repeated with a NaN is not a repeat */
    const char *d[] = {"x", "x", "z"};
    double da[] = {NAN, 3, 1};
    s = stab(d, da, 3, n, b, 3, 3);
    assert_int_equal(s.common, 2);
    assert_close(s.spearman, -1.0, EPS);
}

static void test_undefined(void **state)
{
    (void)state;
    const char *n[] = {"x", "y", "z"};
    double flat[] = {0.2, 0.2, 0.2}, b[] = {1, 2, 3};
    cairn_importance_stability s = stab(n, flat, 3, n, b, 3, 2);
    assert_int_equal(s.common, 3);
    assert_nan(s.spearman);
    assert_nan(s.kendall_tau_b);
    s = stab(n, b, 3, n, flat, 3, 2);
    assert_nan(s.spearman);
    assert_nan(s.kendall_tau_b);
    /* one common feature */
    s = stab(n, b, 1, n, b, 3, 2);
    assert_int_equal(s.common, 1);
    assert_nan(s.spearman);
    assert_nan(s.kendall_tau_b);
    assert_int_equal(s.top_k, 1);
    assert_int_equal(s.top_overlap, 0); /* x against z */
    /* empty lists */
    s = stab(NULL, NULL, 0, NULL, NULL, 0, 10);
    assert_int_equal(s.common, 0);
    assert_int_equal(s.only_a + s.only_b, 0);
    assert_nan(s.spearman);
    assert_nan(s.kendall_tau_b);
    assert_int_equal(s.top_k, 0);
    assert_nan(s.top_jaccard);
    /* k = 0 */
    s = stab(n, b, 3, n, b, 3, 0);
    assert_int_equal(s.top_k, 0);
    assert_int_equal(s.top_overlap, 0);
    assert_nan(s.top_jaccard);
    assert_close(s.spearman, 1.0, EPS);
}

static void test_top_ties_by_name(void **state)
{
    (void)state;
    /* all equal in a: top 1 is "a" (by name); in b "b" and "c" tie at 5: "b" */
    const char *na[] = {"c", "b", "a"}, *nb[] = {"a", "c", "b"};
    double a[] = {1, 1, 1}, b[] = {0, 5, 5};
    cairn_importance_stability s = stab(na, a, 3, nb, b, 3, 1);
    assert_int_equal(s.top_overlap, 0);
    s = stab(na, a, 3, nb, b, 3, 2); /* {a, b} and {b, c} */
    assert_int_equal(s.top_overlap, 1);
    assert_close(s.top_jaccard, 1.0 / 3.0, EPS);
    /* infinities are values: +inf first, -inf last */
    double c[] = {INFINITY, 0, -INFINITY}, d[] = {-INFINITY, INFINITY, 7};
    s = stab(na, c, 3, nb, d, 3, 1);
    assert_int_equal(s.top_overlap, 1); /* both "c" */
    assert_close(s.spearman, 1.0, EPS);
}

static void test_repeated_name(void **state)
{
    (void)state;
    const char *n[] = {"x", "y", "x"}, *m[] = {"x", "y"};
    double a[] = {1, 2, 3}, b[] = {1, 2};
    cairn_importance_stability s = {0};
    s.common = 77;
    cairn_error e;
    cairn_error_clear(&e);
    assert_int_equal(cairn_importance_stability_of(m, b, 2, n, a, 3, 2, &s, &e), CAIRN_EINVAL);
    assert_string_equal(e.field, "x");
    assert_non_null(strstr(e.message, "'x' appears twice in importance list b"));
    assert_int_equal(s.common, 77); /* untouched */
    cairn_error_clear(&e);
    assert_int_equal(cairn_importance_stability_of(n, a, 3, m, b, 2, 2, &s, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "list a"));
    assert_int_equal(cairn_importance_stability_of(n, a, 3, m, b, 2, 2, &s, NULL), CAIRN_EINVAL);
}

/* ------------------------------------------------------------------------------------------
 * Random tied data against direct computations
 * ---------------------------------------------------------------------------------------- */

static uint64_t rnd_state;
static double rnd(void) /* xorshift64*, in [0, 1) */
{
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return (double)((rnd_state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static double brute_kendall(const double *x, const double *y, size_t n)
{
    double c = 0, d = 0, tx = 0, ty = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double sx = (x[i] > x[j]) - (x[i] < x[j]), sy = (y[i] > y[j]) - (y[i] < y[j]);
            if (sx == 0 && sy == 0) continue;
            if (sx == 0)
                tx++;
            else if (sy == 0)
                ty++;
            else if (sx == sy)
                c++;
            else
                d++;
        }
    /* tau_b = (C - D) / sqrt((C + D + T_x)(C + D + T_y)), T_x = tied in x only */
    return (c - d) / sqrt((c + d + tx) * (c + d + ty));
}

static void direct_ranks(const double *v, size_t n, double *r)
{
    for (size_t i = 0; i < n; i++) {
        double below = 0, equal = 0;
        for (size_t j = 0; j < n; j++) {
            below += v[j] < v[i];
            equal += v[j] == v[i];
        }
        r[i] = below + (equal + 1) / 2;
    }
}

static double direct_spearman(const double *x, const double *y, size_t n)
{
    double *rx = malloc(n * sizeof *rx), *ry = malloc(n * sizeof *ry), mx = 0, my = 0;
    direct_ranks(x, n, rx);
    direct_ranks(y, n, ry);
    for (size_t i = 0; i < n; i++) {
        mx += rx[i] / (double)n;
        my += ry[i] / (double)n;
    }
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    free(rx);
    free(ry);
    return sxy / sqrt(sxx * syy);
}

static void test_random_against_direct(void **state)
{
    (void)state;
    rnd_state = 0x9e3779b97f4a7c15ull;
    enum { MAXN = 300 };
    static char names[MAXN][16];
    const char *na[MAXN], *nb[MAXN];
    double a[MAXN], b[MAXN], x[MAXN], y[MAXN];
    for (int round = 0; round < 200; round++) {
        size_t n = 2 + (size_t)(rnd() * (round < 100 ? 20 : MAXN - 2));
        double levels = round % 3 == 0 ? 3 : round % 3 == 1 ? 10 : 1e6; /* heavy, some, no ties */
        for (size_t i = 0; i < n; i++) {
            snprintf(names[i], sizeof names[i], "f%zu", i);
            x[i] = floor(rnd() * levels);
            y[i] = floor((rnd() * 0.7 + x[i] / levels * 0.3) * levels);
        }
        /* a in order, b reversed: the pairing is by name */
        for (size_t i = 0; i < n; i++) {
            na[i] = names[i];
            a[i] = x[i];
            nb[n - 1 - i] = names[i];
            b[n - 1 - i] = y[i];
        }
        cairn_importance_stability s = stab(na, a, n, nb, b, n, 5);
        assert_int_equal(s.common, n);
        double want_k = brute_kendall(x, y, n), want_s = direct_spearman(x, y, n);
        if (isnan(want_k))
            assert_nan(s.kendall_tau_b);
        else
            assert_close(s.kendall_tau_b, want_k, 1e-12);
        if (isnan(want_s))
            assert_nan(s.spearman);
        else
            assert_close(s.spearman, want_s, 1e-12);
        assert_true(isnan(s.spearman) || fabs(s.spearman) <= 1);
    }
}

static void test_alloc_failures(void **state)
{
    (void)state;
    const char *n[] = {"a", "b", "c", "d"};
    double a[] = {4, 3, 2, 1}, b[] = {1, 3, 2, 4};
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks(), failures = 0;
    for (int64_t nth = 1;; nth++) {
        cairn_importance_stability s;
        cairn_error e;
        cairn_error_clear(&e);
        cairn_testalloc_fail_at(nth, false);
        int rc = cairn_importance_stability_of(n, a, 4, n, b, 4, 2, &s, &e);
        cairn_testalloc_fail_at(0, false);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        if (rc) {
            assert_int_equal(rc, CAIRN_ENOMEM);
            failures++;
            continue;
        }
        /* doubled centred ranks (3, 1, -1, -3) and (-3, 1, -1, 3): -16 / 20 */
        assert_close(s.spearman, -0.8, EPS);
        break;
    }
    assert_true(failures >= 1);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_and_reversed),
        cmocka_unit_test(test_ties),
        cmocka_unit_test(test_disjoint_and_missing),
        cmocka_unit_test(test_nan_is_absent),
        cmocka_unit_test(test_undefined),
        cmocka_unit_test(test_top_ties_by_name),
        cmocka_unit_test(test_repeated_name),
        cmocka_unit_test(test_random_against_direct),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
