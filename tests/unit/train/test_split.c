/* Tests of src/train/split.c: temporal splits by ranges (hand-written cases with and without
 * a gap, then a property test on random data: nothing later-part ever precedes an earlier
 * part, the gap holds, every row that should be kept is kept) and by fractions (ties never
 * straddle parts); the config parser; plain, stratified (against sklearn 1.2's
 * StratifiedKFold when python3 and sklearn are installed, and a per-class quota property) and
 * grouped k-fold (no group in two folds, greedy balance); nested inner folds; calibration
 * parts; input errors; allocation failures. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/split.h"

#define DAY CAIRN_US_PER_DAY

static int64_t day_us(const char *date)
{
    int64_t us = 0;
    assert_int_equal(cairn_time_parse(date, strlen(date), &us, NULL), 0);
    return us;
}

static cairn_temporal_split ranges3(int64_t gap_us)
{
    cairn_temporal_split s;
    memset(&s, 0, sizeof s);
    s.train = (cairn_time_range){0, 10 * DAY};
    s.valid = (cairn_time_range){10 * DAY, 15 * DAY};
    s.test = (cairn_time_range){15 * DAY, 20 * DAY};
    s.has_valid = s.has_test = true;
    s.gap_us = gap_us;
    return s;
}

/* ------------------------------------------------------------------------------------------
 * Temporal by ranges
 * ---------------------------------------------------------------------------------------- */

static void test_temporal_ranges(void **state)
{
    (void)state;
    /* days: -1 (before), 0, 8, 9, 9.5, 10, 12, 14.5, 15, 19, 20 (after), null */
    int64_t t[] = {-DAY,
                   0,
                   8 * DAY,
                   9 * DAY,
                   9 * DAY + DAY / 2,
                   10 * DAY,
                   12 * DAY,
                   14 * DAY + DAY / 2,
                   15 * DAY,
                   19 * DAY,
                   20 * DAY,
                   CAIRN_TIME_NULL};
    size_t n = sizeof t / sizeof t[0];
    int8_t a[12];
    cairn_split_counts c;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_temporal_split s = ranges3(0);
    CAIRN_ASSERT_OK(cairn_split_temporal(&s, t, n, a, &c, &err), &err);
    int8_t want0[] = {-1, 0, 0, 0, 0, 1, 1, 1, 2, 2, -1, -1};
    assert_memory_equal(a, want0, n);
    assert_int_equal(c.rows[CAIRN_PART_TRAIN], 4);
    assert_int_equal(c.rows[CAIRN_PART_VALID], 3);
    assert_int_equal(c.rows[CAIRN_PART_TEST], 2);
    assert_int_equal(c.dropped, 3);
    /* a gap of one day: train keeps t <= 9d (9d itself exactly one day before), drops 9.5d;
     * validation drops 14.5d */
    s = ranges3(DAY);
    CAIRN_ASSERT_OK(cairn_split_temporal(&s, t, n, a, &c, &err), &err);
    int8_t want1[] = {-1, 0, 0, 0, -1, 1, 1, -1, 2, 2, -1, -1};
    assert_memory_equal(a, want1, n);
    assert_int_equal(c.dropped, 5);
    /* no validation part: the gap runs from train to test (9d is 6 days before 15d) */
    s = ranges3(6 * DAY);
    s.has_valid = false;
    CAIRN_ASSERT_OK(cairn_split_temporal(&s, t, n, a, &c, &err), &err);
    int8_t want2[] = {-1, 0, 0, 0, -1, -1, -1, -1, 2, 2, -1, -1};
    assert_memory_equal(a, want2, n);
}

static void test_temporal_errors(void **state)
{
    (void)state;
    int64_t t[] = {1 * DAY, 2 * DAY, 16 * DAY};
    int8_t a[3];
    cairn_error err;
    cairn_temporal_split s = ranges3(0);
    s.valid = (cairn_time_range){day_us("2001-05-01"), day_us("2001-06-01")};
    s.test = (cairn_time_range){day_us("2001-06-01"), day_us("2001-07-01")};
    t[2] = day_us("2001-06-03");
    cairn_error_clear(&err);
    assert_int_equal(cairn_split_temporal(&s, t, 3, a, NULL, &err), CAIRN_EINVAL);
    assert_string_equal(err.field, "validation");
    assert_non_null(strstr(err.message, "the validation part [2001-05-01T00:00:00Z, "
                                        "2001-06-01T00:00:00Z) holds no rows"));
    assert_null(strstr(err.message, "gap"));
    /* emptied only by the gap: said so */
    s = ranges3(DAY);
    int64_t t2[] = {9 * DAY + 1, 11 * DAY, 16 * DAY};
    cairn_error_clear(&err);
    assert_int_equal(cairn_split_temporal(&s, t2, 3, a, NULL, &err), CAIRN_EINVAL);
    assert_string_equal(err.field, "train");
    assert_non_null(strstr(err.message, "train part [1970-01-01T00:00:00Z"));
    assert_non_null(strstr(err.message, "after a gap of 1d"));
    /* overlapping, empty, out of order ranges; negative gap */
    s = ranges3(0);
    s.valid.begin_us = 9 * DAY;
    cairn_error_clear(&err);
    assert_int_equal(cairn_split_temporal(&s, t, 3, a, NULL, &err), CAIRN_EINVAL);
    assert_string_equal(err.field, "validation");
    assert_non_null(strstr(err.message, "time order"));
    s = ranges3(0);
    s.test.end_us = s.test.begin_us;
    assert_int_equal(cairn_split_temporal(&s, t, 3, a, NULL, &err), CAIRN_EINVAL);
    assert_string_equal(err.field, "test");
    s = ranges3(-1);
    assert_int_equal(cairn_split_temporal(&s, t, 3, a, NULL, &err), CAIRN_EINVAL);
    assert_string_equal(err.field, "gap");
    /* fractions */
    memset(&s, 0, sizeof s);
    s.by_fractions = true;
    s.train_fraction = 0.7;
    s.valid_fraction = 0.2;
    cairn_error_clear(&err);
    assert_int_equal(cairn_split_temporal(&s, t, 3, a, NULL, &err), CAIRN_EINVAL);
    assert_string_equal(err.field, "fractions");
    s.test_fraction = 0.1;
    int64_t same[] = {5, 5, 5, 5};
    int8_t a4[4];
    cairn_error_clear(&err);
    assert_int_equal(cairn_split_temporal(&s, same, 4, a4, NULL, &err), CAIRN_EINVAL);
    assert_string_equal(err.field, "validation");
    assert_non_null(strstr(err.message, "holds no rows"));
}

/* Random times in [0, 40) days on a coarse grid (many ties) and random ranges. */
static void test_temporal_property(void **state)
{
    (void)state;
    cairn_rng rng;
    cairn_rng_seed(&rng, 42);
    size_t n = 600, errors = 0, checked = 0;
    int64_t *t = malloc(n * sizeof *t);
    int8_t *a = malloc(n);
    for (int iter = 0; iter < 300; iter++) {
        for (size_t i = 0; i < n; i++)
            t[i] = cairn_rng_below(&rng, 20) == 0 ? CAIRN_TIME_NULL
                                                  : (int64_t)cairn_rng_below(&rng, 160) * DAY / 4;
        int64_t cuts[6];
        for (int k = 0; k < 6; k++)
            cuts[k] = (int64_t)cairn_rng_below(&rng, 44 * 4) * DAY / 4 - 2 * DAY;
        for (int x = 1; x < 6; x++) /* sort the cut points */
            for (int y = x; y > 0 && cuts[y] < cuts[y - 1]; y--) {
                int64_t tmp = cuts[y];
                cuts[y] = cuts[y - 1];
                cuts[y - 1] = tmp;
            }
        cairn_temporal_split s;
        memset(&s, 0, sizeof s);
        s.train = (cairn_time_range){cuts[0], cuts[1] + 1};
        s.valid = (cairn_time_range){cuts[2] + 1, cuts[3] + 2};
        s.test = (cairn_time_range){cuts[4] + 2, cuts[5] + 3};
        s.has_valid = cairn_rng_below(&rng, 4) != 0;
        s.has_test = cairn_rng_below(&rng, 4) != 0;
        s.gap_us = (int64_t)cairn_rng_below(&rng, 3) * DAY / 2 + (int64_t)cairn_rng_below(&rng, 2);
        cairn_split_counts c;
        cairn_error err;
        cairn_error_clear(&err);
        int rc = cairn_split_temporal(&s, t, n, a, &c, &err);
        if (rc) {
            assert_int_equal(rc, CAIRN_EINVAL);
            assert_non_null(strstr(err.message, "holds no rows"));
            errors++;
            continue;
        }
        checked++;
        int64_t lo[3] = {INT64_MAX, INT64_MAX, INT64_MAX},
                hi[3] = {INT64_MIN, INT64_MIN, INT64_MIN};
        const cairn_time_range *r[3] = {&s.train, &s.valid, &s.test};
        bool present[3] = {true, s.has_valid, s.has_test};
        for (size_t i = 0; i < n; i++) {
            int p = a[i];
            if (p >= 0) {
                assert_true(present[p]);
                assert_true(t[i] >= r[p]->begin_us && t[i] < r[p]->end_us);
                if (t[i] < lo[p]) lo[p] = t[i];
                if (t[i] > hi[p]) hi[p] = t[i];
                continue;
            }
            /* a dropped row: null, outside every range, or within the gap of a later part */
            if (t[i] == CAIRN_TIME_NULL) continue;
            for (int q = 0; q < 3; q++) {
                if (!present[q] || t[i] < r[q]->begin_us || t[i] >= r[q]->end_us) continue;
                bool in_gap = false;
                for (int later = q + 1; later < 3; later++)
                    if (present[later] && r[later]->begin_us - t[i] < s.gap_us) in_gap = true;
                assert_true(in_gap);
            }
        }
        /* every later kept row is at least gap after every earlier kept row */
        for (int p = 0; p < 3; p++)
            for (int q = p + 1; q < 3; q++)
                if (hi[p] != INT64_MIN && lo[q] != INT64_MAX)
                    assert_true(lo[q] - hi[p] >= (s.gap_us > 0 ? s.gap_us : 1));
        int64_t total = c.dropped;
        for (int p = 0; p < CAIRN_PART_COUNT; p++)
            total += c.rows[p];
        assert_int_equal(total, (int64_t)n);
    }
    assert_true(checked > 50);
    assert_true(errors > 5);
    free(t);
    free(a);
}

static void test_temporal_fractions(void **state)
{
    (void)state;
    /* hand case: 10 rows, times 0..4 twice each (shuffled); 0.5/0.3/0.2 -> cuts at 5 and 8,
     * moved past ties to 6 and 8 */
    int64_t t[] = {4, 0, 3, 1, 2, 0, 1, 2, 3, 4};
    int8_t a[10];
    cairn_split_counts c;
    cairn_temporal_split s;
    memset(&s, 0, sizeof s);
    s.by_fractions = true;
    s.train_fraction = 0.5;
    s.valid_fraction = 0.3;
    s.test_fraction = 0.2;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_split_temporal(&s, t, 10, a, &c, &err), &err);
    int8_t want[] = {2, 0, 1, 0, 0, 0, 0, 0, 1, 2};
    assert_memory_equal(a, want, 10);
    assert_int_equal(c.rows[0], 6);
    /* random: ties never straddle parts, parts in time order, gap holds */
    cairn_rng rng;
    cairn_rng_seed(&rng, 7);
    size_t n = 500;
    int64_t *tt = malloc(n * sizeof *tt);
    int8_t *aa = malloc(n);
    for (int iter = 0; iter < 200; iter++) {
        int64_t distinct = 2 + (int64_t)cairn_rng_below(&rng, 200);
        for (size_t i = 0; i < n; i++)
            tt[i] = (int64_t)cairn_rng_below(&rng, (uint64_t)distinct) * 10;
        s.train_fraction = 0.5 + 0.3 * cairn_rng_uniform(&rng);
        s.valid_fraction = (1 - s.train_fraction) * cairn_rng_uniform(&rng);
        s.test_fraction = 1 - s.train_fraction - s.valid_fraction;
        s.gap_us = (int64_t)cairn_rng_below(&rng, 3) * 10;
        int rc = cairn_split_temporal(&s, tt, n, aa, &c, NULL);
        if (rc) {
            assert_int_equal(rc, CAIRN_EINVAL);
            continue;
        }
        int64_t lo[3] = {INT64_MAX, INT64_MAX, INT64_MAX},
                hi[3] = {INT64_MIN, INT64_MIN, INT64_MIN};
        for (size_t i = 0; i < n; i++) {
            if (aa[i] < 0) continue;
            if (tt[i] < lo[aa[i]]) lo[aa[i]] = tt[i];
            if (tt[i] > hi[aa[i]]) hi[aa[i]] = tt[i];
        }
        for (int p = 0; p < 3; p++)
            for (int q = p + 1; q < 3; q++)
                if (hi[p] != INT64_MIN && lo[q] != INT64_MAX)
                    assert_true(lo[q] - hi[p] >= (s.gap_us > 0 ? s.gap_us : 1));
        /* equal times share a part (or are all dropped by the gap) */
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (tt[i] == tt[j]) assert_int_equal(aa[i], aa[j]);
        /* train holds at least its rounded share */
        if (s.gap_us == 0)
            assert_true((double)c.rows[0] >= floor(s.train_fraction * (double)n + 0.5));
    }
    free(tt);
    free(aa);
}

static void test_temporal_parse(void **state)
{
    (void)state;
    const char *text = "{\"train\": [\"2001-01-01\", \"2001-05-01\"], \"validation\": "
                       "[\"2001-05-01\", \"2001-06-01T00:00:00Z\"], \"test\": [\"2001-06-01\", "
                       "\"2001-07-01\"], \"gap\": \"1d\"}";
    json_t *j = NULL;
    assert_int_equal(cairn_json_parse(text, strlen(text), "t", &j, NULL), 0);
    cairn_temporal_split s;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_temporal_split_parse(j, &s, &err), &err);
    json_decref(j);
    assert_false(s.by_fractions);
    assert_true(s.has_valid && s.has_test);
    assert_int_equal(s.train.begin_us, day_us("2001-01-01"));
    assert_int_equal(s.valid.end_us, day_us("2001-06-01"));
    assert_int_equal(s.gap_us, DAY);
    text = "{\"fractions\": [0.8, 0.2]}";
    assert_int_equal(cairn_json_parse(text, strlen(text), "t", &j, NULL), 0);
    CAIRN_ASSERT_OK(cairn_temporal_split_parse(j, &s, &err), &err);
    json_decref(j);
    assert_true(s.by_fractions);
    assert_true(s.train_fraction == 0.8 && s.valid_fraction == 0.2 && s.test_fraction == 0);
    struct {
        const char *text, *field, *part;
    } bad[] = {
        {"{\"train\": [\"2001-01-01\"]}", "train", "[begin, end]"},
        {"{\"train\": [\"2001-01-01\", \"2001-13-01\"]}", "train", "key 'train'"},
        {"{\"train\": [\"2001-01-01\", \"2001-02-01\"], \"tset\": 1}", "tset", "unknown key"},
        {"{\"validation\": [\"2001-01-01\", \"2001-02-01\"]}", "train", "train range"},
        {"{\"train\": [\"2001-01-01\", \"2001-02-01\"], \"gap\": 5}", "gap", "duration"},
        {"{\"fractions\": [0.5, 0.5], \"train\": [\"2001-01-01\", \"2001-02-01\"]}", "fractions",
         "not both"},
        {"[]", "split", "an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cairn_json_parse(bad[i].text, strlen(bad[i].text), "t", &j, NULL), 0);
        cairn_error_clear(&err);
        assert_true(cairn_temporal_split_parse(j, &s, &err) < 0);
        json_decref(j);
        if (strcmp(err.field, bad[i].field) || !strstr(err.message, bad[i].part))
            fail_msg("case %zu: field '%s' message '%s'", i, err.field, err.message);
    }
}

/* ------------------------------------------------------------------------------------------
 * k-fold
 * ---------------------------------------------------------------------------------------- */

static void test_kfold_plain(void **state)
{
    (void)state;
    int32_t f[11], g[11];
    cairn_kfold_spec spec = {CAIRN_KFOLD_PLAIN, 3, false, 0};
    assert_int_equal(cairn_kfold_assign(&spec, NULL, NULL, 11, f, NULL), 0);
    int32_t want[] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2}; /* sklearn KFold: 4, 4, 3 */
    assert_memory_equal(f, want, sizeof want);
    spec.shuffle = true;
    spec.seed = 5;
    assert_int_equal(cairn_kfold_assign(&spec, NULL, NULL, 11, f, NULL), 0);
    assert_int_equal(cairn_kfold_assign(&spec, NULL, NULL, 11, g, NULL), 0);
    assert_memory_equal(f, g, sizeof f);
    int sizes[3] = {0, 0, 0};
    for (int i = 0; i < 11; i++)
        sizes[f[i]]++;
    assert_int_equal(sizes[0], 4);
    assert_int_equal(sizes[1], 4);
    assert_int_equal(sizes[2], 3);
    assert_true(memcmp(f, want, sizeof want) != 0);
    spec.seed = 6;
    assert_int_equal(cairn_kfold_assign(&spec, NULL, NULL, 11, g, NULL), 0);
    assert_true(memcmp(f, g, sizeof f) != 0);
}

static bool have_sklearn(void)
{
    return system("/usr/bin/python3 -c 'import sklearn' >/dev/null 2>&1") == 0;
}

/* sklearn's StratifiedKFold(k, shuffle=False) over several label sets in one python3 run
 * (labels passed as strings, so that sklearn sees classes, not a continuous target): one
 * line of fold numbers per set. False on any failure. */
#define ORACLE_SETS 12
static bool sklearn_stratified(double *const *labels, const size_t *n, const int *k,
                               int32_t *const *out)
{
    cairn_buf cmd;
    cairn_buf_init(&cmd, 0);
    cairn_buf_puts(&cmd, "/usr/bin/python3 -c 'from sklearn.model_selection import "
                         "StratifiedKFold\nsets=[");
    for (int d = 0; d < ORACLE_SETS; d++) {
        cairn_buf_printf(&cmd, "(%d,[", k[d]);
        for (size_t i = 0; i < n[d]; i++)
            cairn_buf_printf(&cmd, "%s\"%.17g\"", i ? "," : "", labels[d][i]);
        cairn_buf_puts(&cmd, "]),");
    }
    cairn_buf_puts(&cmd, "]\nfor k,y in sets:\n"
                         "  f=[0]*len(y)\n"
                         "  for i,(a,b) in enumerate(StratifiedKFold(k).split(y,y)):\n"
                         "    for r in b: f[r]=i\n"
                         "  print(\" \".join(map(str,f)))\n\' 2>/dev/null");
    FILE *p = popen(cmd.data, "r");
    cairn_buf_release(&cmd);
    if (!p) return false;
    bool ok = true;
    for (int d = 0; d < ORACLE_SETS && ok; d++) {
        int v;
        for (size_t i = 0; i < n[d] && ok; i++) {
            ok = fscanf(p, "%d", &v) == 1;
            out[d][i] = v;
        }
    }
    return pclose(p) == 0 && ok;
}

/* 2 to 6 classes (numbers, one of them 7 and most frequent), in random order. */
static double *random_labels(cairn_rng *rng, size_t n)
{
    double *labels = malloc(n * sizeof *labels);
    int classes = 2 + (int)cairn_rng_below(rng, 5);
    for (size_t i = 0; i < n; i++) {
        uint64_t c = cairn_rng_below(rng, (uint64_t)classes * 3); /* skewed classes */
        labels[i] = c < (uint64_t)classes ? (double)c * 1.5 - 1 : 7;
    }
    return labels;
}

static void check_stratified_quotas(const double *labels, size_t n, int k, const int32_t *f)
{
    for (size_t i = 0; i < n; i++) {
        size_t class_rows = 0, per_fold[16] = {0};
        for (size_t j = 0; j < n; j++) {
            if (labels[j] != labels[i]) continue;
            class_rows++;
            per_fold[f[j]]++;
        }
        for (int q = 0; q < k; q++) {
            assert_true(per_fold[q] >= class_rows / (size_t)k);
            assert_true(per_fold[q] <= (class_rows + (size_t)k - 1) / (size_t)k);
        }
    }
}

static void test_stratified(void **state)
{
    (void)state;
    /* hand case: classes by appearance b=0 (4 rows), a=1 (2 rows), k = 2. Sorted encoded
     * labels 0 0 0 0 1 1 dealt round-robin: fold 0 gets 2 of b, 1 of a, fold 1 likewise.
     * b's rows in order get 0 0 1 1, a's rows 0 1. */
    double y[] = {5, 5, 2, 5, 2, 5};
    int32_t f[6];
    cairn_kfold_spec spec = {CAIRN_KFOLD_STRATIFIED, 2, false, 0};
    assert_int_equal(cairn_kfold_assign(&spec, y, NULL, 6, f, NULL), 0);
    int32_t want[] = {0, 0, 0, 1, 1, 1};
    assert_memory_equal(f, want, sizeof want);
    /* random: per-class quotas with and without shuffle */
    cairn_rng rng;
    cairn_rng_seed(&rng, 99);
    for (int iter = 0; iter < 40; iter++) {
        size_t n = 20 + (size_t)cairn_rng_below(&rng, 200);
        int k = 2 + (int)cairn_rng_below(&rng, 7);
        double *labels = random_labels(&rng, n);
        int32_t *fold = malloc(n * sizeof *fold), *other = malloc(n * sizeof *other);
        spec = (cairn_kfold_spec){CAIRN_KFOLD_STRATIFIED, k, false, 0};
        cairn_error err;
        cairn_error_clear(&err);
        CAIRN_ASSERT_OK(cairn_kfold_assign(&spec, labels, NULL, n, fold, &err), &err);
        check_stratified_quotas(labels, n, k, fold);
        spec.shuffle = true;
        spec.seed = (uint64_t)iter;
        CAIRN_ASSERT_OK(cairn_kfold_assign(&spec, labels, NULL, n, other, &err), &err);
        check_stratified_quotas(labels, n, k, other);
        assert_true(memcmp(fold, other, n * sizeof *fold) != 0); /* shuffled */
        CAIRN_ASSERT_OK(cairn_kfold_assign(&spec, labels, NULL, n, fold, &err), &err);
        assert_memory_equal(fold, other, n * sizeof *fold); /* the same seed again */
        free(labels);
        free(fold);
        free(other);
    }
}

/* Without shuffle, exactly sklearn 1.2's StratifiedKFold (skipped without python3+sklearn). */
static void test_stratified_sklearn(void **state)
{
    (void)state;
    if (!have_sklearn()) {
        print_message("python3 with sklearn not found: oracle comparison skipped\n");
        return;
    }
    cairn_rng rng;
    cairn_rng_seed(&rng, 1999);
    double *labels[ORACLE_SETS];
    size_t n[ORACLE_SETS];
    int k[ORACLE_SETS];
    int32_t *want[ORACLE_SETS];
    for (int d = 0; d < ORACLE_SETS; d++) {
        n[d] = 20 + (size_t)cairn_rng_below(&rng, 200);
        k[d] = 2 + (int)cairn_rng_below(&rng, 7);
        labels[d] = random_labels(&rng, n[d]);
        want[d] = malloc(n[d] * sizeof *want[d]);
    }
    assert_true(sklearn_stratified(labels, n, k, want));
    for (int d = 0; d < ORACLE_SETS; d++) {
        int32_t *fold = malloc(n[d] * sizeof *fold);
        cairn_kfold_spec spec = {CAIRN_KFOLD_STRATIFIED, k[d], false, 0};
        assert_int_equal(cairn_kfold_assign(&spec, labels[d], NULL, n[d], fold, NULL), 0);
        assert_memory_equal(fold, want[d], n[d] * sizeof *fold);
        free(fold);
        free(want[d]);
        free(labels[d]);
    }
}

static void test_grouped(void **state)
{
    (void)state;
    /* hand case: group sizes 9:1, 7:3, 3:2, 4:2, 5:1 (ids:size), k = 2. Order by size desc,
     * ties by id desc: 7(3), 4(2), 3(2), 9(1), 5(1). Folds: 7->0, 4->1, 3->1, 9->0, 5->0. */
    int64_t g[] = {7, 3, 7, 4, 9, 3, 7, 4, 5};
    int32_t f[9];
    cairn_kfold_spec spec = {CAIRN_KFOLD_GROUPED, 2, false, 0};
    assert_int_equal(cairn_kfold_assign(&spec, NULL, g, 9, f, NULL), 0);
    int32_t want[] = {0, 1, 0, 1, 0, 1, 0, 1, 0}; /* also sklearn 1.2's GroupKFold(2) */
    assert_memory_equal(f, want, sizeof want);
    /* equal sizes: the larger id first (sklearn: [0, 2, 1, 0]) */
    int64_t g4[] = {1, 2, 3, 4};
    spec.k = 3;
    assert_int_equal(cairn_kfold_assign(&spec, NULL, g4, 4, f, NULL), 0);
    int32_t want4[] = {0, 2, 1, 0};
    assert_memory_equal(f, want4, sizeof want4);
    cairn_rng rng;
    cairn_rng_seed(&rng, 3);
    for (int iter = 0; iter < 50; iter++) {
        size_t n = 50 + (size_t)cairn_rng_below(&rng, 400);
        int k = 2 + (int)cairn_rng_below(&rng, 6);
        int64_t *groups = malloc(n * sizeof *groups);
        int32_t *fold = malloc(n * sizeof *fold);
        uint64_t n_groups = (uint64_t)k + cairn_rng_below(&rng, 60);
        for (size_t i = 0; i < n; i++) {
            uint64_t a = cairn_rng_below(&rng, n_groups), b = cairn_rng_below(&rng, n_groups);
            groups[i] = (int64_t)(a < b ? a : b) * 1000 - 7; /* uneven sizes */
        }
        spec = (cairn_kfold_spec){CAIRN_KFOLD_GROUPED, k, false, 0};
        int rc = cairn_kfold_assign(&spec, NULL, groups, n, fold, NULL);
        if (rc) { /* fewer distinct groups than folds */
            assert_int_equal(rc, CAIRN_EINVAL);
            free(groups);
            free(fold);
            continue;
        }
        int64_t size[8] = {0}, largest = 0;
        for (size_t i = 0; i < n; i++) {
            assert_true(fold[i] >= 0 && fold[i] < k);
            size[fold[i]]++;
            int64_t group_rows = 0;
            for (size_t j = 0; j < n; j++) {
                if (groups[j] != groups[i]) continue;
                assert_int_equal(fold[j], fold[i]); /* no group crosses folds */
                group_rows++;
            }
            if (group_rows > largest) largest = group_rows;
        }
        int64_t lo = INT64_MAX, hi = 0;
        for (int q = 0; q < k; q++) {
            lo = size[q] < lo ? size[q] : lo;
            hi = size[q] > hi ? size[q] : hi;
        }
        assert_true(lo > 0);
        assert_true(hi - lo <= largest); /* greedy: the heaviest fold got its last group while
                                            lightest, so it exceeds the lightest by <= one group */
        free(groups);
        free(fold);
    }
}

static void test_kfold_errors(void **state)
{
    (void)state;
    double y[] = {0, 1, 0, 1, NAN};
    int64_t g[] = {1, 1, 2, 2, 2};
    int32_t f[5];
    cairn_error err;
    struct {
        cairn_kfold_spec spec;
        size_t n;
        bool labels, groups;
        const char *part;
    } cases[] = {
        {{CAIRN_KFOLD_PLAIN, 1, false, 0}, 5, false, false, "at least 2 folds"},
        {{CAIRN_KFOLD_PLAIN, 6, false, 0}, 5, false, false, "more folds than rows"},
        {{CAIRN_KFOLD_STRATIFIED, 2, false, 0}, 4, false, false, "need labels"},
        {{CAIRN_KFOLD_GROUPED, 2, false, 0}, 4, false, false, "need groups"},
        {{CAIRN_KFOLD_GROUPED, 3, false, 0},
         5,
         false,
         true,
         "3 folds are more than the 2 "
         "distinct groups"},
        {{CAIRN_KFOLD_STRATIFIED, 3, false, 0}, 4, true, false, "largest class has 2"},
        {{CAIRN_KFOLD_STRATIFIED, 2, false, 0}, 5, true, false, "row 4 has none"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cairn_error_clear(&err);
        int rc = cairn_kfold_assign(&cases[i].spec, cases[i].labels ? y : NULL,
                                    cases[i].groups ? g : NULL, cases[i].n, f, &err);
        assert_int_equal(rc, CAIRN_EINVAL);
        if (!strstr(err.message, cases[i].part)) fail_msg("case %zu: %s", i, err.message);
    }
    cairn_kfold_kind kind;
    assert_int_equal(cairn_kfold_kind_parse("group_kfold", &kind), 0);
    assert_int_equal(kind, CAIRN_KFOLD_GROUPED);
    assert_string_equal(cairn_kfold_kind_name(CAIRN_KFOLD_STRATIFIED), "stratified");
    assert_int_equal(cairn_kfold_kind_parse("loo", &kind), CAIRN_EINVAL);
}

static void test_nested(void **state)
{
    (void)state;
    size_t n = 103;
    double y[103];
    int32_t outer[103], inner[103], inner_again[103], inner_other[103];
    for (size_t i = 0; i < n; i++)
        y[i] = (double)(i % 3 == 0);
    cairn_kfold_spec out_spec = {CAIRN_KFOLD_STRATIFIED, 5, true, 11};
    cairn_kfold_spec in_spec = {CAIRN_KFOLD_STRATIFIED, 3, true, 12};
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_kfold_assign(&out_spec, y, NULL, n, outer, &err), &err);
    for (int32_t o = 0; o < 5; o++) {
        CAIRN_ASSERT_OK(cairn_nested_inner_folds(&in_spec, y, NULL, outer, n, o, inner, &err),
                        &err);
        CAIRN_ASSERT_OK(cairn_nested_inner_folds(&in_spec, y, NULL, outer, n, o, inner_again, &err),
                        &err);
        assert_memory_equal(inner, inner_again, sizeof inner);
        int sizes[3] = {0, 0, 0};
        double mask_y[103];
        bool mask[103];
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            mask[i] = outer[i] != o;
            if (outer[i] == o) {
                assert_int_equal(inner[i], -1);
                continue;
            }
            assert_true(inner[i] >= 0 && inner[i] < 3);
            sizes[inner[i]]++;
            mask_y[m++] = y[i];
        }
        for (int q = 0; q < 3; q++)
            assert_true(sizes[q] >= (int)m / 3 - 1);
        /* the same as a subset split with the derived seed */
        cairn_kfold_spec derived = in_spec;
        derived.seed = cairn_rng_derive(in_spec.seed, (uint64_t)o);
        CAIRN_ASSERT_OK(cairn_kfold_assign_subset(&derived, y, NULL, mask, n, inner_other, &err),
                        &err);
        assert_memory_equal(inner, inner_other, sizeof inner);
        (void)mask_y;
    }
    /* an outer fold that does not exist */
    cairn_error_clear(&err);
    assert_int_equal(cairn_nested_inner_folds(&in_spec, y, NULL, outer, n, 5, inner, &err),
                     CAIRN_EINVAL);
    assert_non_null(strstr(err.message, "outer fold 5 holds no rows"));
    /* inner k larger than an outer fold's training rows */
    in_spec.k = 100;
    cairn_error_clear(&err);
    assert_int_equal(cairn_nested_inner_folds(&in_spec, y, NULL, outer, n, 0, inner, &err),
                     CAIRN_EINVAL);
    assert_non_null(strstr(err.message, "inner folds of outer fold 0"));
}

/* ------------------------------------------------------------------------------------------
 * Calibration
 * ---------------------------------------------------------------------------------------- */

static void test_calibration(void **state)
{
    (void)state;
    /* train rows at times 1..8 with 6 twice; 0.25 of 9 rows -> 2 rows: the boundary falls
     * between 6 and 7, no tie to move past */
    int64_t t[] = {1, 2, 3, 4, 5, 6, 6, 7, 8, 100, 101};
    int8_t a[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_split_carve_calibration(a, t, 11, CAIRN_PART_TRAIN, 0.25,
                                                  CAIRN_CALIB_TEMPORAL_LAST, 0, &err),
                    &err);
    int8_t want[] = {0, 0, 0, 0, 0, 0, 0, 3, 3, 1, 1};
    assert_memory_equal(a, want, sizeof want);
    /* 0.3 of 9 -> 3 rows: the cut lands between the two 6s and moves back: 4 rows */
    int8_t b[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
    CAIRN_ASSERT_OK(cairn_split_carve_calibration(b, t, 11, CAIRN_PART_TRAIN, 0.3,
                                                  CAIRN_CALIB_TEMPORAL_LAST, 0, &err),
                    &err);
    int8_t want_b[] = {0, 0, 0, 0, 0, 3, 3, 3, 3, 1, 1};
    assert_memory_equal(b, want_b, sizeof want_b);
    /* random: count and determinism; only from the named part */
    int8_t c[100], d[100];
    for (int i = 0; i < 100; i++)
        c[i] = d[i] = (int8_t)(i % 2);
    CAIRN_ASSERT_OK(cairn_split_carve_calibration(c, NULL, 100, CAIRN_PART_VALID, 0.2,
                                                  CAIRN_CALIB_RANDOM, 77, &err),
                    &err);
    CAIRN_ASSERT_OK(cairn_split_carve_calibration(d, NULL, 100, CAIRN_PART_VALID, 0.2,
                                                  CAIRN_CALIB_RANDOM, 77, &err),
                    &err);
    assert_memory_equal(c, d, sizeof c);
    cairn_split_counts counts;
    cairn_split_count(c, 100, &counts);
    assert_int_equal(counts.rows[CAIRN_PART_CALIB], 10);
    assert_int_equal(counts.rows[CAIRN_PART_VALID], 40);
    assert_int_equal(counts.rows[CAIRN_PART_TRAIN], 50);
    for (int i = 0; i < 100; i += 2)
        assert_int_equal(c[i], 0);
    /* errors */
    int64_t same[] = {5, 5, 5};
    int8_t e[] = {0, 0, 0};
    cairn_error_clear(&err);
    assert_int_equal(cairn_split_carve_calibration(e, same, 3, CAIRN_PART_TRAIN, 0.5,
                                                   CAIRN_CALIB_TEMPORAL_LAST, 0, &err),
                     CAIRN_EINVAL);
    assert_non_null(strstr(err.message, "share one time"));
    assert_int_equal(e[0] + e[1] + e[2], 0);
    assert_int_equal(cairn_split_carve_calibration(e, same, 3, CAIRN_PART_TRAIN, 1.0,
                                                   CAIRN_CALIB_RANDOM, 0, &err),
                     CAIRN_EINVAL);
    assert_int_equal(cairn_split_carve_calibration(e, same, 3, CAIRN_PART_TEST, 0.5,
                                                   CAIRN_CALIB_RANDOM, 0, &err),
                     CAIRN_EINVAL);
    int8_t one[] = {0, 1, 1};
    cairn_error_clear(&err);
    assert_int_equal(cairn_split_carve_calibration(one, same, 3, CAIRN_PART_TRAIN, 0.5,
                                                   CAIRN_CALIB_RANDOM, 0, &err),
                     CAIRN_EINVAL);
    assert_non_null(strstr(err.message, "train part is too small"));
    assert_string_equal(err.field, "calibration");
    assert_string_equal(cairn_part_name(CAIRN_PART_CALIB), "calibration");
    assert_string_equal(cairn_part_name(-1), "dropped");
}

/* ------------------------------------------------------------------------------------------
 * Allocation failures
 * ---------------------------------------------------------------------------------------- */

static int split_everything(const double *y, const int64_t *g, const int64_t *t, size_t n,
                            int32_t *f, int32_t *inner, int8_t *a)
{
    cairn_kfold_spec specs[] = {{CAIRN_KFOLD_PLAIN, 3, true, 1},
                                {CAIRN_KFOLD_STRATIFIED, 3, true, 1},
                                {CAIRN_KFOLD_GROUPED, 3, false, 1}};
    for (int i = 0; i < 3; i++) {
        int rc = cairn_kfold_assign(&specs[i], y, g, n, f, NULL);
        if (rc) return rc;
    }
    int rc = cairn_nested_inner_folds(&specs[1], y, g, f, n, 0, inner, NULL);
    if (rc) return rc;
    cairn_temporal_split s;
    memset(&s, 0, sizeof s);
    s.by_fractions = true;
    s.train_fraction = 0.6;
    s.valid_fraction = 0.4;
    rc = cairn_split_temporal(&s, t, n, a, NULL, NULL);
    return rc ? rc
              : cairn_split_carve_calibration(a, t, n, 0, 0.2, CAIRN_CALIB_TEMPORAL_LAST, 0, NULL);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    size_t n = 60;
    double y[60];
    int64_t g[60], t[60];
    int32_t f[60], inner[60];
    int8_t a[60];
    for (size_t i = 0; i < n; i++) {
        y[i] = (double)(i % 3);
        g[i] = (int64_t)(i % 7);
        t[i] = (int64_t)i;
    }
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks(), failures = 0;
    for (int64_t nth = 1;; nth++) {
        cairn_testalloc_fail_at(nth, false);
        int rc = split_everything(y, g, t, n, f, inner, a);
        cairn_testalloc_fail_at(0, false);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        if (rc == 0) break;
        assert_int_equal(rc, CAIRN_ENOMEM);
        failures++;
    }
    assert_true(failures >= 10);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_temporal_ranges),
        cmocka_unit_test(test_temporal_errors),
        cmocka_unit_test(test_temporal_property),
        cmocka_unit_test(test_temporal_fractions),
        cmocka_unit_test(test_temporal_parse),
        cmocka_unit_test(test_kfold_plain),
        cmocka_unit_test(test_stratified),
        cmocka_unit_test(test_stratified_sklearn),
        cmocka_unit_test(test_grouped),
        cmocka_unit_test(test_kfold_errors),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_calibration),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
