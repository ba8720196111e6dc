/* cairn/split.h: how rows are divided for training: temporal train/validation/test splits,
 * k-fold cross-validation (plain, stratified, grouped), a calibration part carved out of
 * another part, and nested cross-validation.
 *
 * Everything works on plain arrays of n rows (event times as int64 UTC microseconds, labels
 * as doubles, group ids as int64), so the trainer can split any table once it has pulled
 * those columns out. Results are per-row arrays the caller allocates:
 * - a part assignment (int8: CAIRN_PART_*; -1 = dropped) plus counts, or
 * - a fold assignment (int32: the test fold of the row, 0..k-1; -1 = not in any fold).
 * Nothing here allocates what it returns; scratch memory comes from cairn_malloc and a failed
 * allocation returns CAIRN_ENOMEM with the output arrays unspecified.
 *
 * Randomness: every shuffle draws from cairn_rng seeded with the caller's seed (nested inner
 * folds use cairn_rng_derive(seed, outer_fold)), so the same inputs and seed give the same
 * split on every platform.
 *
 * Tests: tests/unit/train/test_split.c.
 */
#ifndef CAIRN_SPLIT_H
#define CAIRN_SPLIT_H

#include "core.h"
#include "json.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A row's part. Stored in an int8_t array; CAIRN_PART_DROPPED rows belong to no part. */
enum {
    CAIRN_PART_DROPPED = -1,
    CAIRN_PART_TRAIN = 0,
    CAIRN_PART_VALID = 1,
    CAIRN_PART_TEST = 2,
    CAIRN_PART_CALIB = 3, /* only after cairn_split_carve_calibration */
};
#define CAIRN_PART_COUNT 4

/* "train", "validation", "test", "calibration", "dropped". */
const char *cairn_part_name(int part);

typedef struct cairn_split_counts {
    int64_t rows[CAIRN_PART_COUNT]; /* indexed by CAIRN_PART_* */
    int64_t dropped;
} cairn_split_counts;

/* Counts each part in assign[0..n). */
void cairn_split_count(const int8_t *assign, size_t n, cairn_split_counts *out);

/* A null event time in the arrays below: such rows are always dropped. */
#define CAIRN_TIME_NULL INT64_MIN

/* ------------------------------------------------------------------------------------------
 * Temporal splits
 * ---------------------------------------------------------------------------------------- */

/* A half-open time range [begin_us, end_us). */
typedef struct cairn_time_range {
    int64_t begin_us;
    int64_t end_us;
} cairn_time_range;

typedef struct cairn_temporal_split {
    bool by_fractions; /* false: the ranges below; true: the fractions below */
    /* By ranges: a row goes to the part whose range holds its time; rows outside every range
     * are dropped. Train is required; validation and test are optional (has_*). The present
     * ranges must be non-empty and in order: train.end <= valid.begin <= valid.end <=
     * test.begin (touching is fine, overlapping is not). */
    cairn_time_range train, valid, test;
    bool has_valid, has_test;
    /* By fractions: rows sorted by time (stable), the first round(n * train_fraction) train,
     * the next round(n * (train + valid)) - that validation, the rest test. Each boundary
     * then moves forward to the end of its run of equal timestamps, so a timestamp never
     * straddles two parts (the earlier part grows). Fractions are >= 0, train > 0, and sum
     * to 1 (within 1e-9); a zero fraction means the part is absent. */
    double train_fraction, valid_fraction, test_fraction;
    /* >= 0. A row of an earlier part is dropped when it lies within gap_us before the first
     * moment of a later present part: for ranges that moment is the later range's begin, for
     * fractions the later part's earliest row. So every kept training row t satisfies
     * t <= begin - gap_us, and any later row is at least gap_us after it. */
    int64_t gap_us;
} cairn_temporal_split;

/* Assigns each of times[0..n) to a part (assign[i] = CAIRN_PART_TRAIN/VALID/TEST or
 * CAIRN_PART_DROPPED) and fills counts (may be NULL). Errors: CAIRN_EINVAL for a bad spec
 * (ranges out of order or empty, bad fractions, negative gap; err->field names the part) or
 * for a present part that ends up with no rows; that message names the part and its range
 * ("the validation part [2001-05-01T00:00:00Z, 2001-06-01T00:00:00Z) holds no rows (after a
 * gap of 7d)") or, for fractions, the fraction and row count. */
int cairn_split_temporal(const cairn_temporal_split *spec, const int64_t *times, size_t n,
                         int8_t *assign, cairn_split_counts *counts, cairn_error *err);

/* Reads a temporal split from its config object (borrowed), either
 *   {"train": ["2001-01-01", "2001-05-01"], "validation": ["2001-05-01", "2001-06-01"],
 *    "test": ["2001-06-01", "2001-07-01"], "gap": "1d"}
 * (dates or date-times, see cairn_time_parse; "valid" is accepted for "validation"; only
 * "train" is required; "gap" is a duration, see cairn_duration_parse) or
 *   {"fractions": [0.7, 0.15, 0.15], "gap": "0s"}   (two entries: no test part).
 * Unknown keys are errors. err names the key and what was expected. */
int cairn_temporal_split_parse(const json_t *config, cairn_temporal_split *out, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * k-fold cross-validation
 * ---------------------------------------------------------------------------------------- */

typedef enum cairn_kfold_kind {
    CAIRN_KFOLD_PLAIN = 0,      /* sklearn KFold */
    CAIRN_KFOLD_STRATIFIED = 1, /* sklearn StratifiedKFold: needs labels */
    CAIRN_KFOLD_GROUPED = 2,    /* sklearn GroupKFold: needs groups */
} cairn_kfold_kind;

/* "kfold", "stratified", "grouped"; parse also takes "plain", "stratified_kfold",
 * "group_kfold". */
const char *cairn_kfold_kind_name(cairn_kfold_kind kind);
int cairn_kfold_kind_parse(const char *name, cairn_kfold_kind *out);

typedef struct cairn_kfold_spec {
    cairn_kfold_kind kind;
    int32_t k;     /* >= 2 and <= the rows (classes: see below; groups: <= distinct groups) */
    bool shuffle;  /* plain and stratified only; grouped is deterministic */
    uint64_t seed; /* used when shuffle */
} cairn_kfold_spec;

/* Writes fold[i] in 0..k-1, the test fold of row i, for i in [0, n).
 * - Plain: rows (shuffled when asked) cut into k consecutive chunks; the first n % k folds
 *   get n / k + 1 rows, the rest n / k (sklearn KFold).
 * - Stratified (labels required; classes are distinct label values, NaN refused): sklearn
 *   1.2 StratifiedKFold's allocation. Classes are numbered by first appearance; the encoded
 *   labels sorted ascending are dealt round-robin to folds 0, 1, ..., k-1, 0, ...; the
 *   number of class-c rows a fold receives is its test quota for class c, which is
 *   floor(n_c / k) or ceil(n_c / k). Then each class's rows, in input order, get fold ids in
 *   blocks (fold 0's quota first, then fold 1's, ...); with shuffle the class's block of
 *   fold ids is shuffled instead. Without shuffle the result equals sklearn's
 *   StratifiedKFold(k, shuffle=False) exactly. k greater than every class's count is an
 *   error (as in sklearn); k greater than some class's count only leaves that class out of
 *   some folds.
 * - Grouped (groups required): sklearn GroupKFold. Groups sorted by size, largest first
 *   (equal sizes: larger group id first), each to the fold with the fewest rows so far
 *   (ties: the lowest fold number). No group is in two folds.
 * Errors: CAIRN_EINVAL for k < 2, k > n (or > the groups), missing labels or groups, a NaN
 * label; CAIRN_ENOMEM. */
int cairn_kfold_assign(const cairn_kfold_spec *spec, const double *labels, const int64_t *groups,
                       size_t n, int32_t *fold, cairn_error *err);

/* The same over a subset: rows with mask[i] true get a fold, the others -1. The folds are
 * those cairn_kfold_assign gives the selected rows taken in order. */
int cairn_kfold_assign_subset(const cairn_kfold_spec *spec, const double *labels,
                              const int64_t *groups, const bool *mask, size_t n, int32_t *fold,
                              cairn_error *err);

/* Nested cross-validation: given the outer folds (outer_fold[0..n), from cairn_kfold_assign)
 * and an outer fold number, assigns inner folds to that outer fold's training rows (rows
 * whose outer fold differs); its test rows get -1. The inner split uses `inner` with its seed
 * replaced by cairn_rng_derive(inner->seed, outer_index), so the inner shuffles of different
 * outer folds are independent and each is reproducible on its own. The trainer runs the
 * search on the inner folds and scores the chosen configuration on outer fold outer_index. */
int cairn_nested_inner_folds(const cairn_kfold_spec *inner, const double *labels,
                             const int64_t *groups, const int32_t *outer_fold, size_t n,
                             int32_t outer_index, int32_t *inner_fold, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Calibration part
 * ---------------------------------------------------------------------------------------- */

typedef enum cairn_calib_mode {
    CAIRN_CALIB_RANDOM = 0,        /* a seeded random subset */
    CAIRN_CALIB_TEMPORAL_LAST = 1, /* the latest rows by time */
} cairn_calib_mode;

/* Moves round(fraction * rows of from_part) rows of from_part (CAIRN_PART_TRAIN or _VALID)
 * to CAIRN_PART_CALIB, at least one, and leaves at least one behind. Random: a seeded
 * shuffle of the part's rows (times may be NULL). Temporal-last: the latest rows; equal
 * timestamps stay together, so the boundary moves back to the start of its run of equal
 * times (calibration grows), or, if that would take the whole part, forward to its end.
 * fraction in (0, 1). Errors: CAIRN_EINVAL (bad fraction or part, a part with fewer than 2
 * rows, all of a part's rows at one time for temporal-last, no times for temporal-last). */
int cairn_split_carve_calibration(int8_t *assign, const int64_t *times, size_t n, int from_part,
                                  double fraction, cairn_calib_mode mode, uint64_t seed,
                                  cairn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_SPLIT_H */
