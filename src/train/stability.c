/* src/train/stability.c: how alike two feature-importance lists are (include/cairn/metrics.h,
 * "Importance stability"): Spearman's rho and Kendall's tau-b over the features both lists
 * hold, and the overlap of their top-k sets.
 *
 * Matching. Each list's present (non-NaN) entries are sorted by name and merged, which gives
 * the common features as pairs (x = value in a, y = value in b) and the counts of the rest.
 *
 * Spearman. Average ranks of x and of y, then their Pearson correlation, as
 * scipy.stats.spearmanr. Twice an average rank is an integer, so the centred doubled ranks
 * (2 r - (n + 1)) and their products are exact integers in doubles; only the final
 * sqrt and division round.
 *
 * Kendall tau-b. Knight's algorithm, as scipy.stats.kendalltau: sort the pairs by (x, y),
 * count the pairs tied in x and tied in both, then merge-sort the y sequence counting
 * inversions (the discordant pairs) and count the pairs tied in y. With n0 = n (n - 1) / 2,
 *   tau_b = (n0 - xtie - ytie + ntie - 2 dis) / sqrt((n0 - xtie) (n0 - ytie)),
 * all counts exact in 64-bit integers.
 *
 * Top-k. Each list's present entries sorted by value, largest first, equal values by name;
 * the first k of each are compared by name.
 *
 * Sorting uses a merge sort of index arrays with a comparison context (qsort has none, and a
 * global would break thread safety). Work arrays come from one allocation per call.
 *
 * Tests: tests/unit/train/test_stability.c (hand-checked cases, allocation failures) and
 * tests/oracles/test_stability_scipy.sh (random cases against scipy, 1e-12).
 */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cairn/metrics.h"

/* ------------------------------------------------------------------------------------------
 * Merge sort of indices
 * ---------------------------------------------------------------------------------------- */

/* < 0, 0, > 0 as element i sorts before, with or after element j. */
typedef int (*index_cmp)(const void *ctx, size_t i, size_t j);

/* Stable bottom-up merge sort of idx[0..n) with tmp[0..n) as scratch. */
static void sort_indices(size_t *idx, size_t *tmp, size_t n, index_cmp cmp, const void *ctx)
{
    size_t *src = idx, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = cmp(ctx, src[j], src[i]) < 0 ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        size_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx) memcpy(idx, src, n * sizeof *idx);
}

typedef struct named_values {
    const char *const *names;
    const double *values;
} named_values;

static int by_name(const void *ctx, size_t i, size_t j)
{
    const named_values *l = ctx;
    return strcmp(l->names[i], l->names[j]);
}

/* Largest value first, equal values by name. */
static int by_value_desc(const void *ctx, size_t i, size_t j)
{
    const named_values *l = ctx;
    double a = l->values[i], b = l->values[j];
    if (a != b) return a > b ? -1 : 1;
    return strcmp(l->names[i], l->names[j]);
}

static int by_value(const void *ctx, size_t i, size_t j)
{
    const double *v = ctx;
    return v[i] < v[j] ? -1 : v[i] > v[j];
}

typedef struct xy {
    const double *x, *y;
} xy;

static int by_x_then_y(const void *ctx, size_t i, size_t j)
{
    const xy *p = ctx;
    if (p->x[i] != p->x[j]) return p->x[i] < p->x[j] ? -1 : 1;
    return p->y[i] < p->y[j] ? -1 : p->y[i] > p->y[j];
}

/* ------------------------------------------------------------------------------------------
 * Matching the lists
 * ---------------------------------------------------------------------------------------- */

/* idx[0..*count) = the present entries of the list, sorted by name. A repeated name is
 * CAIRN_EINVAL naming it. */
static int present_by_name(const named_values *l, size_t n, const char *which, size_t *idx,
                           size_t *tmp, size_t *count, cairn_error *err)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        assert(l->names[i]);
        if (!isnan(l->values[i])) idx[m++] = i;
    }
    sort_indices(idx, tmp, m, by_name, l);
    for (size_t i = 1; i < m; i++)
        if (!strcmp(l->names[idx[i - 1]], l->names[idx[i]])) {
            cairn_error_set(err, CAIRN_EINVAL, "feature '%s' appears twice in importance list %s",
                            l->names[idx[i]], which);
            cairn_error_field(err, l->names[idx[i]]);
            return CAIRN_EINVAL;
        }
    *count = m;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Spearman and Kendall over the common pairs
 * ---------------------------------------------------------------------------------------- */

/* twice[i] = 2 * (average rank of v[i]) - (n + 1): an integer, centred on 0. */
static void centred_ranks(const double *v, size_t n, size_t *idx, size_t *tmp, double *twice)
{
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    sort_indices(idx, tmp, n, by_value, v);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && v[idx[j]] == v[idx[i]])
            j++;
        /* ranks i+1 .. j share (i + 1 + j) / 2 */
        double r2 = (double)(i + 1 + j) - (double)(n + 1);
        for (size_t k = i; k < j; k++)
            twice[idx[k]] = r2;
        i = j;
    }
}

static double clamp_unit(double r)
{
    return r > 1 ? 1 : r < -1 ? -1 : r;
}

static double spearman(const double *x, const double *y, size_t n, size_t *idx, size_t *tmp,
                       double *rx, double *ry)
{
    if (n < 2) return NAN;
    centred_ranks(x, n, idx, tmp, rx);
    centred_ranks(y, n, idx, tmp, ry);
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += rx[i] * ry[i];
        sxx += rx[i] * rx[i];
        syy += ry[i] * ry[i];
    }
    if (sxx == 0 || syy == 0) return NAN;
    return clamp_unit(sxy / sqrt(sxx * syy));
}

/* Pairs tied within runs of equal values of v[0..n) (sorted): sum of t (t - 1) / 2. */
static uint64_t tied_pairs(const double *v, size_t n)
{
    uint64_t pairs = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && v[j] == v[i])
            j++;
        pairs += (uint64_t)(j - i) * (j - i - 1) / 2;
        i = j;
    }
    return pairs;
}

/* Sorts v[0..n) ascending (stable merge sort, tmp as scratch) and returns the number of
 * pairs i < j with v[i] > v[j] in the original order. */
static uint64_t sort_count_inversions(double *v, double *tmp, size_t n)
{
    uint64_t inversions = 0;
    double *src = v, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                if (src[j] < src[i]) {
                    inversions += mid - i; /* src[j] is below every left element still left */
                    dst[k++] = src[j++];
                } else {
                    dst[k++] = src[i++];
                }
            }
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        double *t = src;
        src = dst;
        dst = t;
    }
    if (src != v) memcpy(v, src, n * sizeof *v);
    return inversions;
}

/* xs and ys are scratch of n doubles each. */
static double kendall_tau_b(const double *x, const double *y, size_t n, size_t *idx, size_t *tmp,
                            double *xs, double *ys)
{
    if (n < 2) return NAN;
    xy ctx = {x, y};
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    sort_indices(idx, tmp, n, by_x_then_y, &ctx);
    for (size_t i = 0; i < n; i++) {
        xs[i] = x[idx[i]];
        ys[i] = y[idx[i]];
    }
    uint64_t xtie = tied_pairs(xs, n), both_tie = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && xs[j] == xs[i] && ys[j] == ys[i])
            j++;
        both_tie += (uint64_t)(j - i) * (j - i - 1) / 2;
        i = j;
    }
    /* Within a run of equal x the ys are ascending, so no pair tied in x is an inversion,
     * and neither is a pair tied in y: the inversions are exactly the discordant pairs. */
    uint64_t discordant = sort_count_inversions(ys, xs, n);
    uint64_t ytie = tied_pairs(ys, n);
    uint64_t total = (uint64_t)n * (n - 1) / 2;
    if (xtie == total || ytie == total) return NAN;
    /* concordant - discordant; may be negative */
    double c_minus_d = (double)(int64_t)(total - xtie - ytie + both_tie) - 2.0 * (double)discordant;
    return clamp_unit(c_minus_d / sqrt((double)(total - xtie)) / sqrt((double)(total - ytie)));
}

/* ------------------------------------------------------------------------------------------
 * Top k
 * ---------------------------------------------------------------------------------------- */

/* Reorders present[0..m) largest value first and sorts its first k by name. */
static void top_by_name(const named_values *l, size_t *present, size_t m, size_t k, size_t *tmp)
{
    sort_indices(present, tmp, m, by_value_desc, l);
    sort_indices(present, tmp, k, by_name, l);
}

static size_t names_in_both(const named_values *a, const size_t *ia, const named_values *b,
                            const size_t *ib, size_t k)
{
    size_t i = 0, j = 0, both = 0;
    while (i < k && j < k) {
        int c = strcmp(a->names[ia[i]], b->names[ib[j]]);
        both += c == 0;
        i += c <= 0;
        j += c >= 0;
    }
    return both;
}

/* ------------------------------------------------------------------------------------------
 * API
 * ---------------------------------------------------------------------------------------- */

int cairn_importance_stability_of(const char *const *names_a, const double *a, size_t na,
                                  const char *const *names_b, const double *b, size_t nb,
                                  size_t top_k, cairn_importance_stability *out, cairn_error *err)
{
    assert(out && (na == 0 || (names_a && a)) && (nb == 0 || (names_b && b)));
    size_t n = na > nb ? na : nb;
    /* idx_a, idx_b, idx, tmp: n indices each; x, y, s1, s2: n doubles each */
    size_t bytes = 4 * n * (sizeof(size_t) + sizeof(double));
    if (n && bytes / n != 4 * (sizeof(size_t) + sizeof(double)))
        return cairn_error_set(err, CAIRN_ENOMEM, "importance lists too long");
    void *block = cairn_malloc(bytes ? bytes : 1);
    if (!block) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    double *x = block, *y = x + n, *s1 = y + n, *s2 = s1 + n;
    size_t *idx_a = (size_t *)(s2 + n), *idx_b = idx_a + n, *idx = idx_b + n, *tmp = idx + n;

    named_values la = {names_a, a}, lb = {names_b, b};
    size_t ma = 0, mb = 0;
    int rc = present_by_name(&la, na, "a", idx_a, tmp, &ma, err);
    if (rc == 0) rc = present_by_name(&lb, nb, "b", idx_b, tmp, &mb, err);
    if (rc) {
        cairn_free(block);
        return rc;
    }
    size_t common = 0;
    for (size_t i = 0, j = 0; i < ma && j < mb;) {
        int c = strcmp(names_a[idx_a[i]], names_b[idx_b[j]]);
        if (c == 0) {
            x[common] = a[idx_a[i]];
            y[common++] = b[idx_b[j]];
        }
        i += c <= 0;
        j += c >= 0;
    }
    cairn_importance_stability r = {0};
    r.common = common;
    r.only_a = ma - common;
    r.only_b = mb - common;
    r.spearman = spearman(x, y, common, idx, tmp, s1, s2);
    r.kendall_tau_b = kendall_tau_b(x, y, common, idx, tmp, s1, s2);
    size_t k = top_k < ma ? top_k : ma;
    k = k < mb ? k : mb;
    top_by_name(&la, idx_a, ma, k, tmp);
    top_by_name(&lb, idx_b, mb, k, tmp);
    r.top_k = k;
    r.top_overlap = names_in_both(&la, idx_a, &lb, idx_b, k);
    r.top_jaccard = k ? (double)r.top_overlap / (double)(2 * k - r.top_overlap) : NAN;
    cairn_free(block);
    *out = r;
    return 0;
}
