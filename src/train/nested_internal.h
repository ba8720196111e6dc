/* src/train/nested_internal.h: the folds of nested cross-validation (src/train/nested.c), out
 * in the open so that tests/unit/train/test_nested.c can check them without training
 * anything. Not installed.
 *
 * A fold plan covers n rows (the development rows) and fixes, for every outer fold and every
 * inner fold of it, which rows train and which test:
 * - k-fold (random, stratified, grouped): the outer folds are cairn_kfold_assign's, the inner
 *   folds cairn_nested_inner_folds' over each outer fold's training rows (include/cairn/
 *   split.h), so a group never straddles a training and a test side.
 * - chained (temporal): the rows sorted by time are cut into outer + 1 contiguous blocks of
 *   about equal size (rows at one time stay in one block); outer fold f (0-based) tests on
 *   block f + 1 and trains on blocks 0..f. The inner folds chain the same way through the
 *   outer fold's training rows with inner + 1 blocks. A training row also lies at least gap_us
 *   before the first row of its test block (the split's gap); rows closer are left out. So no
 *   test row precedes a training row of its fold.
 */
#ifndef CAIRN_NESTED_INTERNAL_H
#define CAIRN_NESTED_INTERNAL_H

#include "cairn/split.h"

/* A row's role in one fold. */
enum {
    CAIRN__NESTED_OUT = -1, /* in neither side (another outer fold's test rows, a gap) */
    CAIRN__NESTED_TRAIN = 0,
    CAIRN__NESTED_TEST = 1,
};

typedef struct cairn__nested_spec {
    cairn_kfold_kind kind; /* k-fold plans: plain, stratified (labels) or grouped (groups) */
    bool chained;          /* forward chaining in time instead (times) */
    int32_t outer, inner;  /* fold counts, >= 2 */
    uint64_t seed;         /* shuffles of plain and stratified folds */
    int64_t gap_us;        /* chained: >= 0 */
} cairn__nested_spec;

typedef struct cairn__nested_folds {
    cairn__nested_spec spec;
    size_t n;
    const int64_t *times; /* chained: borrowed from init's caller, must outlive the plan */
    int32_t *outer_block; /* n: the row's outer test fold, or its time block when chained */
    int64_t *outer_begin; /* chained: the first time of each of the outer + 1 blocks */
    int32_t *inner_block; /* outer x n: the same for the inner folds of each outer fold (-1:
                             not among that outer fold's training rows) */
    int64_t *inner_begin; /* chained: outer x (inner + 1) */
} cairn__nested_folds;

/* Plans the folds of n rows: labels y (stratified; may be NULL otherwise), times (chained,
 * borrowed by the plan) and groups (grouped). Errors: CAIRN_EINVAL naming the outer or inner
 * fold when there are too few rows, classes, groups or distinct times for the folds;
 * CAIRN_ENOMEM. On failure f is left empty (release is safe). */
int cairn__nested_folds_init(cairn__nested_folds *f, const cairn__nested_spec *spec,
                             const double *y, const int64_t *times, const int64_t *groups, size_t n,
                             cairn_error *err);
void cairn__nested_folds_release(cairn__nested_folds *f);
/* role[0..n) for outer fold `outer` (inner < 0) or for inner fold `inner` of it (both 0-based):
 * CAIRN__NESTED_TRAIN, _TEST or _OUT. */
void cairn__nested_folds_roles(const cairn__nested_folds *f, int32_t outer, int32_t inner,
                               int8_t *role);

#endif /* CAIRN_NESTED_INTERNAL_H */
