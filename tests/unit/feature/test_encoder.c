/* tests/unit/feature/test_encoder.c: the fitted encoders of src/feature/encoder.c.
 *
 * Each kind on small hand-computed examples; the canonical JSON round trip; target encoding's
 * out-of-fold values recomputed by brute force (and a dataset built so that any leak of a
 * row's own label would show); determinism under a seed; error cases; every allocation
 * failing in turn. With CAIRN_ENCODER_ORACLE_DIR set, only test_oracle_dump runs: it fits on
 * DIR/train.csv, transforms DIR/test.csv and writes the results there for
 * tests/oracles/test_encoder_sklearn.sh to compare with scikit-learn and NumPy.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* ------------------------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------------------------- */

static cairn_table *csv(const char *text)
{
    cairn_read_options opts;
    cairn_read_options_init(&opts);
    opts.threads = 1;
    cairn_table *t;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_csv_read(text, strlen(text), "t.csv", &opts, &t, &e), &e);
    return t;
}

static cairn_encoder *fit(const cairn_encoder_options *o, const cairn_table *t,
                          cairn_column **train_out)
{
    cairn_encoder *enc;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_encoder_fit(o, t, &enc, train_out, &e), &e);
    return enc;
}

static cairn_table *transform(const cairn_encoder *enc, const cairn_table *t)
{
    cairn_table *out;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_encoder_transform(enc, t, &out, &e), &e);
    return out;
}

/* The encoder's canonical JSON text (cairn_free). */
static char *json_text(const cairn_encoder *enc)
{
    json_t *j;
    assert_int_equal(cairn_encoder_to_json(enc, &j), 0);
    cairn_buf b;
    cairn_buf_init(&b, 0);
    assert_int_equal(cairn_json_dump(j, 0, &b), 0);
    json_decref(j);
    return cairn_buf_detach(&b, NULL);
}

static cairn_encoder *from_text(const char *text)
{
    json_t *j;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_json_parse(text, strlen(text), "enc.json", &j, &e), &e);
    cairn_encoder *enc;
    CAIRN_ASSERT_OK(cairn_encoder_from_json(j, &enc, &e), &e);
    json_decref(j);
    return enc;
}

static void assert_cell(const cairn_table *t, const char *col, int64_t row, const char *want)
{
    const char *got = cairn_test_cell(t, col, row);
    if (strcmp(got, want) != 0)
        fail_msg("%s[%lld]: expected %s, got %s", col, (long long)row, want, got);
}

static void assert_near(const cairn_table *t, const char *col, int64_t row, double want)
{
    const cairn_column *c = cairn_table_column_by_name(t, col);
    assert_non_null(c);
    assert_int_equal(c->type, CAIRN_TYPE_FLOAT64);
    assert_true(cairn_column_is_valid(c, row));
    double got = cairn_column_f64(c, row);
    if (fabs(got - want) > 1e-12 * fmax(1, fabs(want)))
        fail_msg("%s[%lld]: expected %.17g, got %.17g", col, (long long)row, want, got);
}

/* Two tables hold the same columns, types and cells. */
static void assert_tables_equal(const cairn_table *a, const cairn_table *b)
{
    assert_int_equal(cairn_table_num_columns(a), cairn_table_num_columns(b));
    assert_int_equal(cairn_table_num_rows(a), cairn_table_num_rows(b));
    for (size_t c = 0; c < cairn_table_num_columns(a); c++) {
        const cairn_column *x = cairn_table_column(a, c), *y = cairn_table_column(b, c);
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->type, y->type);
        for (int64_t r = 0; r < x->length; r++)
            assert_string_equal(cairn_test_cell(a, x->name, r), cairn_test_cell(b, y->name, r));
    }
}

static void expect_error(int rc, const cairn_error *e, int code, const char *field,
                         const char *part)
{
    if (rc != code) {
        char msg[1024];
        cairn_error_format(e, msg, sizeof msg);
        fail_msg("expected %s, got %s: %s", cairn_errname(code), cairn_errname(rc), msg);
    }
    assert_int_equal(e->code, code);
    if (field) assert_string_equal(e->field, field);
    if (!strstr(e->message, part)) fail_msg("message '%s' lacks '%s'", e->message, part);
}

/* ------------------------------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------------------------- */

static void test_options_init(void **state)
{
    (void)state;
    cairn_encoder_options o;
    cairn_encoder_options_init(&o, CAIRN_ENC_TARGET, "city");
    assert_int_equal(o.kind, CAIRN_ENC_TARGET);
    assert_string_equal(o.column, "city");
    assert_null(o.target);
    assert_true(o.smoothing == 20);
    assert_int_equal(o.folds, 5);
    assert_int_equal(o.seed, 42);
    assert_int_equal(o.buckets, 1 << 20);
    assert_int_equal(o.min_count, 10);
    assert_int_equal(o.max_categories, 64);
}

/* ------------------------------------------------------------------------------------------
 * TARGET
 * ---------------------------------------------------------------------------------------- */

static void test_target_small(void **state)
{
    (void)state;
    /* labelled rows: a {1, 0}, b {1, 1, 1}, null {1}; c has no label (counts nowhere) */
    cairn_table *train = csv("c,y\na,1\na,0\nb,1\nb,1\nb,1\n,1\nc,\n");
    cairn_encoder_options o;
    cairn_encoder_options_init(&o, CAIRN_ENC_TARGET, "c");
    o.target = "y";
    o.smoothing = 2;
    o.folds = 2;
    cairn_column *oof = NULL;
    cairn_encoder *enc = fit(&o, train, &oof);
    /* prior = 5/6; a: (1 + 2 * 5/6) / 4 = 2/3; b: (3 + 2 * 5/6) / 5 = 14/15 */
    cairn_table *t = csv("c,z\na,1\nb,2\nc,3\n,4\nzz,5\n");
    cairn_table *out = transform(enc, t);
    assert_int_equal(cairn_table_num_columns(out), 3);
    assert_near(out, "c__te", 0, 2.0 / 3);
    assert_near(out, "c__te", 1, 14.0 / 15);
    assert_near(out, "c__te", 2, 5.0 / 6);
    assert_near(out, "c__te", 3, 5.0 / 6);
    assert_near(out, "c__te", 4, 5.0 / 6);
    assert_cell(out, "z", 4, "5");
    /* the training rows' own encoding */
    assert_non_null(oof);
    assert_string_equal(oof->name, "c__te");
    assert_int_equal(oof->type, CAIRN_TYPE_FLOAT64);
    assert_int_equal(oof->length, 7);

    char *text = json_text(enc);
    assert_string_equal(
        text,
        "{\"kind\":\"target\",\"version\":1,\"column\":\"c\",\"target\":\"y\",\"smoothing\":2.0,"
        "\"folds\":2,\"seed\":42,\"state\":{\"rows\":6,\"sum\":5.0,\"prior\":0.8333333333333334,"
        "\"categories\":[{\"value\":\"a\",\"count\":2,\"sum\":1.0,\"encoded\":0.6666666666666667},"
        "{\"value\":\"b\",\"count\":3,\"sum\":3.0,\"encoded\":0.9333333333333333}]}}");
    cairn_free(text);
    cairn_column_free(oof);
    cairn_table_free(out);
    cairn_table_free(t);
    cairn_encoder_free(enc);
    cairn_table_free(train);
}

/* A small deterministic generator for the larger datasets. */
static uint64_t rng_next(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* The documented fold assignment, reimplemented: rows ordered by XXH3 of their index (8
 * little-endian bytes) under the seed, ties by index, dealt round-robin. */
typedef struct hkey {
    uint64_t h;
    int64_t row;
} hkey;

static int hkey_cmp(const void *a, const void *b)
{
    const hkey *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

static int *folds_of(int64_t n, int k, uint64_t seed)
{
    hkey *keys = malloc((size_t)n * sizeof *keys);
    int *fold = malloc((size_t)n * sizeof *fold);
    for (int64_t i = 0; i < n; i++) {
        uint8_t le[8];
        for (int b = 0; b < 8; b++)
            le[b] = (uint8_t)((uint64_t)i >> (8 * b));
        keys[i] = (hkey){XXH3_64bits_withSeed(le, 8, seed), i};
    }
    qsort(keys, (size_t)n, sizeof *keys, hkey_cmp);
    for (int64_t r = 0; r < n; r++)
        fold[keys[r].row] = (int)(r % k);
    free(keys);
    return fold;
}

/* Recomputes every training row's out-of-fold value from the other folds' rows alone and
 * compares bit for bit; returns how many rows were checked against a value. */
static int64_t brute_force_check(const cairn_table *train, const char *cat, const char *target,
                                 const cairn_encoder_options *o, const cairn_column *oof)
{
    const cairn_column *c = cairn_table_column_by_name(train, cat);
    const cairn_column *y = cairn_table_column_by_name(train, target);
    int64_t n = c->length, checked = 0;
    int *fold = folds_of(n, o->folds, o->seed);
    /* fold sizes differ by at most one */
    int64_t *sizes = calloc((size_t)o->folds, sizeof *sizes);
    for (int64_t i = 0; i < n; i++)
        sizes[fold[i]]++;
    for (int f = 1; f < o->folds; f++)
        assert_true(llabs(sizes[f] - sizes[0]) <= 1);
    free(sizes);
    for (int64_t i = 0; i < n; i++) {
        double psum = 0, csum = 0;
        int64_t pn = 0, cn = 0;
        size_t ilen = 0;
        const char *ip = cairn_column_is_valid(c, i) ? cairn_column_str(c, i, &ilen) : NULL;
        for (int64_t j = 0; j < n; j++) {
            if (fold[j] == fold[i] || !cairn_column_is_valid(y, j)) continue;
            double v = cairn_column_f64(y, j);
            if (isnan(v)) continue;
            assert_true(j != i);
            psum += v;
            pn++;
            size_t jlen;
            if (ip && cairn_column_is_valid(c, j)) {
                const char *jp = cairn_column_str(c, j, &jlen);
                if (jlen == ilen && memcmp(ip, jp, ilen) == 0) csum += v, cn++;
            }
        }
        if (pn == 0) {
            assert_false(cairn_column_is_valid(oof, i));
            continue;
        }
        double prior = psum / (double)pn;
        double want = cn ? (csum + o->smoothing * prior) / ((double)cn + o->smoothing) : prior;
        assert_true(cairn_column_is_valid(oof, i));
        double got = cairn_column_f64(oof, i);
        if (memcmp(&got, &want, sizeof got) != 0)
            fail_msg("row %lld (fold %d): out-of-fold %.17g, brute force %.17g", (long long)i,
                     fold[i], got, want);
        checked++;
    }
    free(fold);
    return checked;
}

/* Every category occurs in exactly one row, so with m = 0 an in-sample encoding would be the
 * row's label itself. Out of fold, each row must get the other folds' prior instead. */
static void test_target_leakage_unique_categories(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *c = cairn_test_add(t, "c", CAIRN_TYPE_STRING);
    cairn_column *y = cairn_test_add(t, "y", CAIRN_TYPE_FLOAT64);
    uint64_t s = 7;
    for (int i = 0; i < 300; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", i);
        cairn_test_put_str(c, key);
        assert_int_equal(cairn_column_append_float64(y, (double)(rng_next(&s) & 1)), 0);
    }
    cairn_encoder_options o;
    cairn_encoder_options_init(&o, CAIRN_ENC_TARGET, "c");
    o.target = "y";
    o.smoothing = 0;
    cairn_column *oof;
    cairn_encoder *enc = fit(&o, t, &oof);
    int *fold = folds_of(300, o.folds, o.seed);
    int leaks = 0;
    for (int64_t i = 0; i < 300; i++) {
        double label = cairn_column_f64(y, i), got = cairn_column_f64(oof, i);
        /* the prior of the other folds */
        double psum = 0;
        int64_t pn = 0;
        for (int64_t j = 0; j < 300; j++)
            if (fold[j] != fold[i]) psum += cairn_column_f64(y, j), pn++;
        double prior = psum / (double)pn;
        assert_true(got == prior);
        if (got == label) leaks++;
    }
    assert_int_equal(leaks, 0); /* a 0/1 label never equals a mean of hundreds of labels */
    /* the full-data encoding of a training category is, with m = 0, its label: that is what
       transform gives new rows of that category, and why training rows must not use it */
    cairn_table *out = transform(enc, t);
    for (int64_t i = 0; i < 300; i++)
        assert_true(cairn_column_f64(cairn_table_column_by_name(out, "c__te"), i) ==
                    cairn_column_f64(y, i));
    assert_int_equal(brute_force_check(t, "c", "y", &o, oof), 300);
    free(fold);
    cairn_table_free(out);
    cairn_column_free(oof);
    cairn_encoder_free(enc);
    cairn_table_free(t);
}

/* Repeated categories, null categories, null and NaN targets, real-valued targets, several
 * fold counts and smoothings: every row recomputed from the other folds. */
static void test_target_brute_force(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *c = cairn_test_add(t, "c", CAIRN_TYPE_STRING);
    cairn_column *y = cairn_test_add(t, "y", CAIRN_TYPE_FLOAT64);
    uint64_t s = 99;
    for (int i = 0; i < 500; i++) {
        uint64_t r = rng_next(&s);
        char key[32];
        snprintf(key, sizeof key, "cat%d", (int)(r % 23) * (int)(r % 7));
        cairn_test_put_str(c, r % 17 == 0 ? NULL : key);
        uint64_t q = rng_next(&s);
        if (q % 19 == 0)
            assert_int_equal(cairn_column_append_null(y), 0);
        else if (q % 23 == 0)
            assert_int_equal(cairn_column_append_float64(y, NAN), 0);
        else
            assert_int_equal(cairn_column_append_float64(y, (double)(q % 1000) / 7.0 - 40), 0);
    }
    static const struct {
        int folds;
        double m;
        uint64_t seed;
    } cases[] = {{5, 20, 42}, {2, 0, 1}, {10, 3.5, 12345}, {3, 1, UINT64_MAX}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cairn_encoder_options o;
        cairn_encoder_options_init(&o, CAIRN_ENC_TARGET, "c");
        o.target = "y";
        o.folds = cases[k].folds;
        o.smoothing = cases[k].m;
        o.seed = cases[k].seed;
        cairn_column *oof;
        cairn_encoder *enc = fit(&o, t, &oof);
        assert_int_equal(brute_force_check(t, "c", "y", &o, oof), 500);
        cairn_column_free(oof);
        cairn_encoder_free(enc);
    }
    cairn_table_free(t);
}

static void test_target_determinism(void **state)
{
    (void)state;
    cairn_table *t = cairn_test_table();
    cairn_column *c = cairn_test_add(t, "c", CAIRN_TYPE_STRING);
    cairn_column *y = cairn_test_add(t, "y", CAIRN_TYPE_INT64);
    uint64_t s = 3;
    for (int i = 0; i < 200; i++) {
        char key[8];
        snprintf(key, sizeof key, "%c", 'a' + (int)(rng_next(&s) % 6));
        cairn_test_put_str(c, key);
        assert_int_equal(cairn_column_append_int64(y, (int64_t)(rng_next(&s) % 2)), 0);
    }
    cairn_encoder_options o;
    cairn_encoder_options_init(&o, CAIRN_ENC_TARGET, "c");
    o.target = "y";
    cairn_column *a, *b, *d;
    cairn_encoder *e1 = fit(&o, t, &a), *e2 = fit(&o, t, &b);
    o.seed = 43;
    cairn_encoder *e3 = fit(&o, t, &d);
    assert_memory_equal(a->values, b->values, 200 * sizeof(double));
    assert_memory_not_equal(a->values, d->values, 200 * sizeof(double));
    /* the seed changes the folds, not the full-data fit */
    char *j1 = json_text(e1), *j2 = json_text(e2), *j3 = json_text(e3);
    assert_string_equal(j1, j2);
    assert_non_null(strstr(j3, "\"seed\":43"));
    assert_string_equal(strstr(j1, "\"state\""), strstr(j3, "\"state\""));
    /* no training output requested: same encoder */
    cairn_encoder *e4;
    o.seed = 42;
    assert_int_equal(cairn_encoder_fit(&o, t, &e4, NULL, NULL), 0);
    char *j4 = json_text(e4);
    assert_string_equal(j1, j4);
    cairn_free(j1);
    cairn_free(j2);
    cairn_free(j3);
    cairn_free(j4);
    cairn_column_free(a);
    cairn_column_free(b);
    cairn_column_free(d);
    cairn_encoder_free(e1);
    cairn_encoder_free(e2);
    cairn_encoder_free(e3);
    cairn_encoder_free(e4);
    cairn_table_free(t);
}

/* Too few rows for the folds: a fold whose other folds hold no label stays null. */
static void test_target_tiny(void **state)
{
    (void)state;
    cairn_table *t = csv("c,y\na,1\n");
    cairn_encoder_options o;
    cairn_encoder_options_init(&o, CAIRN_ENC_TARGET, "c");
    o.target = "y";
    cairn_column *oof;
    cairn_encoder *enc = fit(&o, t, &oof);
    assert_int_equal(oof->length, 1);
    assert_false(cairn_column_is_valid(oof, 0));
    cairn_column_free(oof);
    cairn_encoder_free(enc);
    cairn_table_free(t);
}

/* ------------------------------------------------------------------------------------------
 * HASHING, FREQUENCY, ONEHOT
 * ---------------------------------------------------------------------------------------- */

static void test_hashing(void **state)
{
    (void)state;
    cairn_table *t = csv("s,n\nabc,42\n,\n\"\",2.5\n");
    cairn_encoder_options o;
    cairn_encoder_options_init(&o, CAIRN_ENC_HASHING, "s");
    o.buckets = 1000;
    cairn_encoder *es = fit(&o, t, NULL);
    o.column = "n";
    o.buckets = 7;
    cairn_encoder *en = fit(&o, t, NULL);
    cairn_table *a = transform(es, t), *b = transform(en, a);
    /* a number's category is its canonical text: 42.0 in a float64 column is "42.0" */
    char want[32];
    snprintf(want, sizeof want, "%llu", (unsigned long long)(XXH3_64bits("abc", 3) % 1000));
    assert_cell(b, "s__hash", 0, want);
    assert_cell(b, "s__hash", 1, "NULL");
    snprintf(want, sizeof want, "%llu", (unsigned long long)(XXH3_64bits("", 0) % 1000));
    assert_cell(b, "s__hash", 2, want);
    snprintf(want, sizeof want, "%llu", (unsigned long long)(XXH3_64bits("42.0", 4) % 7));
    assert_cell(b, "n__hash", 0, want);
    assert_cell(b, "n__hash", 1, "NULL");
    snprintf(want, sizeof want, "%llu", (unsigned long long)(XXH3_64bits("2.5", 3) % 7));
    assert_cell(b, "n__hash", 2, want);
    assert_int_equal(cairn_test_col_type(b, "n__hash"), CAIRN_TYPE_INT64);
    char *text = json_text(es);
    assert_string_equal(text, "{\"kind\":\"hashing\",\"version\":1,\"column\":\"s\","
                              "\"buckets\":1000,\"state\":{}}");
    cairn_free(text);
    cairn_table_free(a);
    cairn_table_free(b);
    cairn_encoder_free(es);
    cairn_encoder_free(en);
    cairn_table_free(t);
}

static void test_frequency(void **state)
{
    (void)state;
    cairn_table *train = csv("i,c\n1,a\n2,b\n3,a\n4,c\n5,\n6,b\n7,a\n");
    cairn_encoder_options o;
    cairn_encoder_options_init(&o, CAIRN_ENC_FREQUENCY, "c");
    o.min_count = 2;
    cairn_encoder *enc = fit(&o, train, NULL);
    cairn_table *t = csv("i,c\n1,b\n2,c\n3,\n4,zz\n5,a\n");
    cairn_table *out = transform(enc, t);
    assert_cell(out, "c__freq", 0, "b");
    assert_cell(out, "c__freq", 1, "__other__");
    assert_cell(out, "c__freq", 2, "NULL");
    assert_cell(out, "c__freq", 3, "__other__");
    assert_cell(out, "c__freq", 4, "a");
    assert_int_equal(cairn_test_col_type(out, "c__freq"), CAIRN_TYPE_STRING);
    char *text = json_text(enc);
    assert_string_equal(text, "{\"kind\":\"frequency\",\"version\":1,\"column\":\"c\","
                              "\"min_count\":2,\"state\":{\"categories\":[{\"value\":\"a\","
                              "\"count\":3},{\"value\":\"b\",\"count\":2}]}}");
    cairn_free(text);
    cairn_table_free(out);
    cairn_table_free(t);
    cairn_encoder_free(enc);
    cairn_table_free(train);
}

static void test_onehot(void **state)
{
    (void)state;
    cairn_table *train = csv("id,c\n1,b\n2,a\n3,c\n4,a\n5,\n");
    cairn_encoder_options o;
    cairn_encoder_options_init(&o, CAIRN_ENC_ONEHOT, "c");
    cairn_encoder *enc = fit(&o, train, NULL);
    cairn_table *t = csv("c,i\na,1\n,2\nzz,3\nc,4\n");
    cairn_table *out = transform(enc, t);
    static const char *const names[] = {"c", "c=a", "c=b", "c=c", "c=__other__"};
    assert_int_equal(cairn_table_num_columns(out), 6);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(cairn_table_column(out, i ? i + 1 : 0)->name, names[i]);
    static const char *const want[4][4] = {
        {"1", "0", "0", "0"}, {"0", "0", "0", "1"}, {"0", "0", "0", "1"}, {"0", "0", "1", "0"}};
    for (int64_t r = 0; r < 4; r++)
        for (size_t k = 0; k < 4; k++)
            assert_cell(out, names[k + 1], r, want[r][k]);
    assert_int_equal(cairn_test_col_type(out, "c=a"), CAIRN_TYPE_INT32);
    /* a dictionary-encoded column gives the same result */
    cairn_table *dict;
    assert_int_equal(cairn_table_copy(t, &dict), 0);
    assert_int_equal(cairn_column_dict_encode(cairn_table_column_by_name(dict, "c")), 0);
    assert_non_null(cairn_table_column_by_name(dict, "c")->dictionary);
    cairn_table *out_dict = transform(enc, dict);
    for (int64_t r = 0; r < 4; r++)
        for (size_t k = 0; k < 4; k++)
            assert_cell(out_dict, names[k + 1], r, want[r][k]);
    cairn_table_free(out_dict);
    cairn_table_free(dict);
    char *text = json_text(enc);
    assert_string_equal(text, "{\"kind\":\"onehot\",\"version\":1,\"column\":\"c\","
                              "\"max_categories\":64,\"state\":{\"categories\":[\"a\",\"b\","
                              "\"c\"]}}");
    cairn_free(text);
    /* numbers are categories by their canonical text */
    cairn_encoder_options_init(&o, CAIRN_ENC_ONEHOT, "id");
    cairn_encoder *ids = fit(&o, train, NULL);
    cairn_table *out2 = transform(ids, train);
    assert_cell(out2, "id=3", 2, "1");
    assert_cell(out2, "id=3", 1, "0");
    cairn_table_free(out2);
    cairn_encoder_free(ids);
    cairn_table_free(out);
    cairn_table_free(t);
    cairn_encoder_free(enc);
    cairn_table_free(train);
}

static void test_onehot_limits(void **state)
{
    (void)state;
    cairn_table *t = csv("c\na\nb\nc\nd\n");
    cairn_encoder_options o;
    cairn_encoder_options_init(&o, CAIRN_ENC_ONEHOT, "c");
    o.max_categories = 3;
    cairn_encoder *enc = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    expect_error(cairn_encoder_fit(&o, t, &enc, NULL, &e), &e, CAIRN_ELIMIT, "c",
                 "has 4 distinct values, more than max_categories (3)");
    assert_null(enc);
    o.max_categories = 4;
    enc = fit(&o, t, NULL);
    cairn_encoder_free(enc);
    cairn_table_free(t);
    t = csv("c\na\n__other__\n");
    cairn_error_clear(&e);
    expect_error(cairn_encoder_fit(&o, t, &enc, NULL, &e), &e, CAIRN_EINVAL, "c", "__other__");
    cairn_table_free(t);
}

/* ------------------------------------------------------------------------------------------
 * ROBUST, IMPUTE
 * ---------------------------------------------------------------------------------------- */

static void test_robust(void **state)
{
    (void)state;
    /* sorted 1 2 3 4 100: median 3, q1 (h = 1) 2, q3 (h = 3) 4, IQR 2 */
    cairn_table *train = csv("i,x\n1,4\n2,100\n3,\n4,1\n5,3\n6,2\n");
    cairn_encoder_options o;
    cairn_encoder_options_init(&o, CAIRN_ENC_ROBUST, "x");
    cairn_encoder *enc = fit(&o, train, NULL);
    cairn_table *t = csv("i,x\n1,5\n2,\n3,-1\n4,3\n");
    cairn_table *out = transform(enc, t);
    assert_near(out, "x__robust", 0, 1.0);
    assert_cell(out, "x__robust", 1, "NULL");
    assert_near(out, "x__robust", 2, -2.0);
    assert_near(out, "x__robust", 3, 0.0);
    char *text = json_text(enc);
    assert_string_equal(text, "{\"kind\":\"robust\",\"version\":1,\"column\":\"x\",\"state\":"
                              "{\"median\":3.0,\"q1\":2.0,\"q3\":4.0,\"scale\":2.0}}");
    cairn_free(text);
    cairn_table_free(out);
    cairn_table_free(t);
    cairn_encoder_free(enc);
    cairn_table_free(train);

    /* interpolated: 1 2 3 4: median 2.5, q1 at h = 0.75 -> 1.75, q3 at h = 2.25 -> 3.25 */
    train = csv("x\n3.0\n1.0\n4.0\n2.0\n");
    enc = fit(&o, train, NULL);
    text = json_text(enc);
    assert_string_equal(text, "{\"kind\":\"robust\",\"version\":1,\"column\":\"x\",\"state\":"
                              "{\"median\":2.5,\"q1\":1.75,\"q3\":3.25,\"scale\":1.5}}");
    cairn_free(text);
    cairn_encoder_free(enc);
    cairn_table_free(train);

    /* IQR 0 -> scale 1 */
    train = csv("x\n5\n5\n5\n9\n");
    enc = fit(&o, train, NULL);
    out = transform(enc, train);
    assert_near(out, "x__robust", 3, 4.0);
    cairn_table_free(out);
    cairn_encoder_free(enc);
    cairn_table_free(train);
}

static void test_impute_numeric(void **state)
{
    (void)state;
    cairn_table *train = csv("i,x\n1,1\n2,\n3,3\n4,10\n");
    cairn_encoder_options o;
    cairn_encoder_options_init(&o, CAIRN_ENC_IMPUTE, "x");
    cairn_encoder *enc = fit(&o, train, NULL);
    cairn_table *out = transform(enc, train);
    static const char *const filled[] = {"1.0", "3.0", "3.0", "10.0"}, *const missing[] = {
                                                                           "0", "1", "0", "0"};
    for (int64_t r = 0; r < 4; r++) {
        assert_cell(out, "x__imputed", r, filled[r]);
        assert_cell(out, "x__missing", r, missing[r]);
    }
    assert_int_equal(cairn_test_col_type(out, "x__imputed"), CAIRN_TYPE_FLOAT64);
    assert_int_equal(cairn_test_col_type(out, "x__missing"), CAIRN_TYPE_INT32);
    char *text = json_text(enc);
    assert_string_equal(text, "{\"kind\":\"impute\",\"version\":1,\"column\":\"x\",\"state\":"
                              "{\"type\":\"number\",\"fill\":3.0}}");
    cairn_free(text);
    cairn_table_free(out);
    cairn_encoder_free(enc);
    cairn_table_free(train);
}

static void test_impute_string(void **state)
{
    (void)state;
    cairn_table *train = csv("i,s\n1,b\n2,a\n3,\n4,b\n5,a\n6,c\n");
    cairn_encoder_options o;
    cairn_encoder_options_init(&o, CAIRN_ENC_IMPUTE, "s");
    cairn_encoder *enc = fit(&o, train, NULL);
    cairn_table *out = transform(enc, train);
    static const char *const filled[] = {"b", "a", "a", "b", "a", "c"};
    for (int64_t r = 0; r < 6; r++) {
        assert_cell(out, "s__imputed", r, filled[r]);
        assert_cell(out, "s__missing", r, r == 2 ? "1" : "0");
    }
    assert_int_equal(cairn_test_col_type(out, "s__imputed"), CAIRN_TYPE_STRING);
    char *text = json_text(enc);
    assert_string_equal(text, "{\"kind\":\"impute\",\"version\":1,\"column\":\"s\",\"state\":"
                              "{\"type\":\"string\",\"fill\":\"a\"}}");
    cairn_free(text);
    cairn_table_free(out);
    cairn_encoder_free(enc);
    cairn_table_free(train);
}

/* ------------------------------------------------------------------------------------------
 * JSON
 * ---------------------------------------------------------------------------------------- */

static const char *const round_trip_train =
    "c,x,y,s\nb,1.5,1,p\na,,0,q\nb,3.25,1,\nc,-2,0,p\n,7,1,r\na,0.125,,p\nb,2,0,q\nd,9,1,p\n";
static const char *const round_trip_test = "c,x,y,s\nb,4,1,p\nzz,,0,\n,1,1,q\na,2.5,0,zz\n";

static void round_trip_options(size_t k, cairn_encoder_options *o)
{
    static const cairn_encoder_kind kinds[] = {
        CAIRN_ENC_TARGET, CAIRN_ENC_HASHING, CAIRN_ENC_FREQUENCY, CAIRN_ENC_ONEHOT,
        CAIRN_ENC_ROBUST, CAIRN_ENC_IMPUTE,  CAIRN_ENC_IMPUTE,    CAIRN_ENC_TARGET};
    static const char *const columns[] = {"c", "s", "c", "c", "x", "x", "s", "s"};
    cairn_encoder_options_init(o, kinds[k], columns[k]);
    o->target = "y";
    o->smoothing = k == 0 ? 1.5 : 0.1;
    o->seed = k == 7 ? UINT64_MAX - 5 : 42;
    o->folds = 3;
    o->buckets = 13;
    o->min_count = 2;
}

static void test_json_round_trip(void **state)
{
    (void)state;
    cairn_table *train = csv(round_trip_train), *t = csv(round_trip_test);
    for (size_t k = 0; k < 8; k++) {
        cairn_encoder_options o;
        round_trip_options(k, &o);
        cairn_encoder *a = fit(&o, train, NULL), *b = fit(&o, train, NULL);
        char *ta = json_text(a), *tb = json_text(b);
        assert_string_equal(ta, tb); /* the same fit, the same bytes */
        cairn_encoder *c = from_text(ta);
        char *tc = json_text(c);
        assert_string_equal(ta, tc); /* read back, written again: the same bytes */
        cairn_table *oa = transform(a, t), *oc = transform(c, t);
        assert_tables_equal(oa, oc);
        cairn_table *pa = transform(a, train), *pc = transform(c, train);
        assert_tables_equal(pa, pc);
        /* pretty or compact, the text reads back the same */
        json_t *j;
        assert_int_equal(cairn_encoder_to_json(a, &j), 0);
        cairn_buf pretty;
        cairn_buf_init(&pretty, 0);
        assert_int_equal(cairn_json_dump(j, CAIRN_JSON_PRETTY, &pretty), 0);
        json_decref(j);
        cairn_encoder *d = from_text(pretty.data);
        char *td = json_text(d);
        assert_string_equal(ta, td);
        cairn_buf_release(&pretty);
        cairn_free(ta);
        cairn_free(tb);
        cairn_free(tc);
        cairn_free(td);
        cairn_table_free(oa);
        cairn_table_free(oc);
        cairn_table_free(pa);
        cairn_table_free(pc);
        cairn_encoder_free(a);
        cairn_encoder_free(b);
        cairn_encoder_free(c);
        cairn_encoder_free(d);
    }
    cairn_table_free(train);
    cairn_table_free(t);
}

static void test_from_json_errors(void **state)
{
    (void)state;
    static const struct {
        const char *json, *field, *part;
    } cases[] = {
        {"[1]", "", "expected an object, found an array"},
        {"{}", "kind", "expected a string, found nothing"},
        {"{\"kind\":\"zeta\"}", "kind", "unknown encoder kind \"zeta\""},
        {"{\"kind\":\"robust\",\"version\":\"1\"}", "version",
         "expected an integer, found a string"},
        {"{\"kind\":\"robust\",\"version\":2}", "version", "version 2 is not supported"},
        {"{\"kind\":\"robust\",\"version\":1}", "column", "expected a string"},
        {"{\"kind\":\"robust\",\"version\":1,\"column\":\"\"}", "column", "empty"},
        {"{\"kind\":\"robust\",\"version\":1,\"column\":\"x\"}", "state", "expected an object"},
        {"{\"kind\":\"robust\",\"version\":1,\"column\":\"x\",\"buckets\":3,\"state\":{}}",
         "buckets", "unknown key"},
        {"{\"kind\":\"robust\",\"version\":1,\"column\":\"x\",\"state\":{\"median\":1,\"q1\":0,"
         "\"q3\":2,\"scale\":2,\"extra\":1}}",
         "state.extra", "unknown key"},
        {"{\"kind\":\"robust\",\"version\":1,\"column\":\"x\",\"state\":{\"median\":1,\"q1\":0,"
         "\"q3\":2}}",
         "state.scale", "expected a number, found nothing"},
        {"{\"kind\":\"robust\",\"version\":1,\"column\":\"x\",\"state\":{\"median\":1,\"q1\":0,"
         "\"q3\":2,\"scale\":3}}",
         "state.scale", "is not q3 - q1"},
        {"{\"kind\":\"robust\",\"version\":1,\"column\":\"x\",\"state\":{\"median\":5,\"q1\":0,"
         "\"q3\":2,\"scale\":2}}",
         "state.median", "q1 <= median <= q3"},
        {"{\"kind\":\"hashing\",\"version\":1,\"column\":\"x\",\"buckets\":0,\"state\":{}}",
         "buckets", "0 is out of range"},
        {"{\"kind\":\"onehot\",\"version\":1,\"column\":\"x\",\"max_categories\":5,"
         "\"state\":{\"categories\":[\"b\",\"a\"]}}",
         "state.categories[1]", "byte order"},
        {"{\"kind\":\"onehot\",\"version\":1,\"column\":\"x\",\"max_categories\":5,"
         "\"state\":{\"categories\":[\"a\",\"a\"]}}",
         "state.categories[1]", "distinct"},
        {"{\"kind\":\"onehot\",\"version\":1,\"column\":\"x\",\"max_categories\":1,"
         "\"state\":{\"categories\":[\"a\",\"b\"]}}",
         "state.categories", "more than max"},
        {"{\"kind\":\"onehot\",\"version\":1,\"column\":\"x\",\"max_categories\":5,"
         "\"state\":{\"categories\":[\"__other__\"]}}",
         "state.categories[0]", "cannot be"},
        {"{\"kind\":\"onehot\",\"version\":1,\"column\":\"x\",\"max_categories\":5,"
         "\"state\":{\"categories\":[1]}}",
         "state.categories[0]", "expected a string"},
        {"{\"kind\":\"frequency\",\"version\":1,\"column\":\"x\",\"min_count\":3,\"state\":"
         "{\"categories\":[{\"value\":\"a\",\"count\":2}]}}",
         "state.categories[0].count", "2 is out of range [3,"},
        {"{\"kind\":\"frequency\",\"version\":1,\"column\":\"x\",\"min_count\":3,\"state\":"
         "{\"categories\":[{\"value\":\"a\"}]}}",
         "state.categories[0].count", "expected an integer"},
        {"{\"kind\":\"frequency\",\"version\":1,\"column\":\"x\",\"min_count\":3,\"state\":"
         "{\"categories\":[\"a\"]}}",
         "state.categories[0]", "expected an object"},
        {"{\"kind\":\"impute\",\"version\":1,\"column\":\"x\",\"state\":{\"type\":\"date\","
         "\"fill\":1}}",
         "state.type", "expected \"number\" or \"string\""},
        {"{\"kind\":\"impute\",\"version\":1,\"column\":\"x\",\"state\":{\"type\":\"string\","
         "\"fill\":1}}",
         "state.fill", "expected a string, found an integer"},
        {"{\"kind\":\"target\",\"version\":1,\"column\":\"c\",\"target\":\"y\",\"smoothing\":-1,"
         "\"folds\":5,\"seed\":1,\"state\":{\"rows\":1,\"sum\":1,\"prior\":1,\"categories\":[]}}",
         "smoothing", "-1 is not a finite number >= 0"},
        {"{\"kind\":\"target\",\"version\":1,\"column\":\"c\",\"target\":\"y\",\"smoothing\":1,"
         "\"folds\":1,\"seed\":1,\"state\":{}}",
         "folds", "1 is out of range [2, 1000]"},
        {"{\"kind\":\"target\",\"version\":1,\"column\":\"c\",\"target\":\"y\",\"smoothing\":1,"
         "\"folds\":5,\"seed\":-1,\"state\":{}}",
         "seed", "expected an integer >= 0"},
        {"{\"kind\":\"target\",\"version\":1,\"column\":\"c\",\"target\":\"y\",\"smoothing\":1,"
         "\"folds\":5,\"seed\":\"12\",\"state\":{}}",
         "seed", "expected an integer >= 0"},
        {"{\"kind\":\"target\",\"version\":1,\"column\":\"c\",\"target\":\"y\",\"smoothing\":1,"
         "\"folds\":5,\"seed\":1,\"state\":{\"rows\":2,\"sum\":1,\"prior\":0.4,\"categories\":[]}}",
         "state.prior", "is not state.sum / state.rows"},
        {"{\"kind\":\"target\",\"version\":1,\"column\":\"c\",\"target\":\"y\",\"smoothing\":1,"
         "\"folds\":5,\"seed\":1,\"state\":{\"rows\":2,\"sum\":1,\"prior\":0.5,\"categories\":"
         "[{\"value\":\"a\",\"count\":1,\"sum\":1,\"encoded\":0.7}]}}",
         "state.categories[0].encoded", "does not follow from count, sum and the prior"},
        {"{\"kind\":\"target\",\"version\":1,\"column\":\"c\",\"target\":\"y\",\"smoothing\":1,"
         "\"folds\":5,\"seed\":1,\"state\":{\"rows\":2,\"sum\":1,\"prior\":0.5,\"categories\":"
         "[{\"value\":\"a\",\"count\":2,\"sum\":1,\"encoded\":0.5},{\"value\":\"b\",\"count\":1,"
         "\"sum\":0,\"encoded\":0.25}]}}",
         "state.rows", "count more rows than 2"},
        {"{\"kind\":\"target\",\"version\":1,\"column\":\"c\",\"target\":\"y\",\"smoothing\":1,"
         "\"folds\":5,\"seed\":1,\"state\":{\"rows\":2,\"sum\":1,\"prior\":0.5,\"categories\":"
         "[{\"value\":\"a\",\"count\":1,\"sum\":1,\"encoded\":0.75,\"n\":1}]}}",
         "state.categories[0].n", "unknown key"},
        {"{\"kind\":\"target\",\"version\":1,\"column\":\"c\",\"target\":\"y\",\"smoothing\":1,"
         "\"folds\":5,\"seed\":1,\"state\":{\"rows\":0,\"sum\":1,\"prior\":0.5,\"categories\":[]}}",
         "state.rows", "0 is out of range [1,"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j;
        cairn_error e;
        cairn_error_clear(&e);
        CAIRN_ASSERT_OK(cairn_json_parse(cases[i].json, strlen(cases[i].json), "t", &j, &e), &e);
        cairn_encoder *enc = (cairn_encoder *)&e; /* must be reset to NULL */
        int rc = cairn_encoder_from_json(j, &enc, &e);
        json_decref(j);
        if (rc != CAIRN_EPARSE) fail_msg("case %zu: expected EPARSE, got %s", i, cairn_errname(rc));
        assert_null(enc);
        expect_error(rc, &e, CAIRN_EPARSE, cases[i].field, cases[i].part);
    }
    /* a seed above 2^63 - 1 is written as text and reads back */
    cairn_encoder *enc = from_text(
        "{\"kind\":\"target\",\"version\":1,\"column\":\"c\",\"target\":\"y\",\"smoothing\":1,"
        "\"folds\":5,\"seed\":\"18446744073709551615\",\"state\":{\"rows\":2,\"sum\":1,"
        "\"prior\":0.5,\"categories\":[{\"value\":\"a\",\"count\":1,\"sum\":1,\"encoded\":0.75}]}"
        "}");
    cairn_table *t = csv("c\na\nb\n");
    cairn_table *out = transform(enc, t);
    assert_near(out, "c__te", 0, 0.75);
    assert_near(out, "c__te", 1, 0.5);
    cairn_table_free(out);
    cairn_table_free(t);
    cairn_encoder_free(enc);
}

/* ------------------------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------------------------- */

static void test_fit_errors(void **state)
{
    (void)state;
    cairn_table *t = csv("c,x,y,s,b\na,1,1,p,true\nb,2,0,q,false\n");
    cairn_column *all_null;
    assert_int_equal(cairn_table_add_column(t, "n", CAIRN_TYPE_FLOAT64, true, &all_null), 0);
    cairn_encoder_options o;
    cairn_encoder *enc = NULL;
    cairn_column *oof = NULL;
    cairn_error e;
#define FIT_FAILS(code, field, part)                                                               \
    do {                                                                                           \
        cairn_error_clear(&e);                                                                     \
        expect_error(cairn_encoder_fit(&o, t, &enc, &oof, &e), &e, code, field, part);             \
        assert_null(enc);                                                                          \
        assert_null(oof);                                                                          \
    } while (0)

    cairn_encoder_options_init(&o, CAIRN_ENC_ROBUST, "nope");
    FIT_FAILS(CAIRN_EINVAL, "nope", "the training table has no column 'nope'");
    cairn_encoder_options_init(&o, CAIRN_ENC_ROBUST, NULL);
    FIT_FAILS(CAIRN_EINVAL, "column", "needs an input column");
    cairn_encoder_options_init(&o, CAIRN_ENC_ROBUST, "x\xff");
    FIT_FAILS(CAIRN_EINVAL, "column", "the name is not valid UTF-8 (byte 1)");
    cairn_encoder_options_init(&o, (cairn_encoder_kind)99, "x");
    FIT_FAILS(CAIRN_EINVAL, "kind", "unknown encoder kind 99");
    cairn_encoder_options_init(&o, CAIRN_ENC_TARGET, "c");
    FIT_FAILS(CAIRN_EINVAL, "target", "needs a target column");
    o.target = "zz";
    FIT_FAILS(CAIRN_EINVAL, "zz", "no target column 'zz'");
    o.target = "s";
    FIT_FAILS(CAIRN_ETYPE, "s", "target column 's' is string");
    o.target = "n";
    FIT_FAILS(CAIRN_EINVAL, "n", "has no non-null values");
    o.target = "y";
    o.folds = 1;
    FIT_FAILS(CAIRN_EINVAL, "folds", "1 is out of range [2, 1000]");
    o.folds = 5;
    o.smoothing = NAN;
    FIT_FAILS(CAIRN_EINVAL, "smoothing", "not a finite number");
    cairn_encoder_options_init(&o, CAIRN_ENC_HASHING, "c");
    o.buckets = 0;
    FIT_FAILS(CAIRN_EINVAL, "buckets", "0 is not >= 1");
    cairn_encoder_options_init(&o, CAIRN_ENC_FREQUENCY, "c");
    o.min_count = -2;
    FIT_FAILS(CAIRN_EINVAL, "min_count", "-2 is not >= 1");
    cairn_encoder_options_init(&o, CAIRN_ENC_ONEHOT, "c");
    o.max_categories = 0;
    FIT_FAILS(CAIRN_EINVAL, "max_categories", "0 is not >= 1");
    cairn_encoder_options_init(&o, CAIRN_ENC_ROBUST, "s");
    FIT_FAILS(CAIRN_ETYPE, "s", "column 's' is string; the robust encoder needs a number");
    cairn_encoder_options_init(&o, CAIRN_ENC_ROBUST, "n");
    FIT_FAILS(CAIRN_EINVAL, "n", "no non-null values to fit on");
    cairn_encoder_options_init(&o, CAIRN_ENC_IMPUTE, "n");
    FIT_FAILS(CAIRN_EINVAL, "n", "no non-null values to fit on");
    cairn_encoder_options_init(&o, CAIRN_ENC_IMPUTE, "b");
    FIT_FAILS(CAIRN_ETYPE, "b", "column 'b' is bool; the impute encoder needs a number or string");
    cairn_table_free(t);

    /* infinities are refused, NaN is left out */
    t = cairn_test_table();
    cairn_column *x = cairn_test_add(t, "x", CAIRN_TYPE_FLOAT64);
    cairn_column *c = cairn_test_add(t, "c", CAIRN_TYPE_STRING);
    assert_int_equal(cairn_column_append_float64(x, 1), 0);
    assert_int_equal(cairn_column_append_float64(x, INFINITY), 0);
    cairn_test_put_str(c, "ok");
    assert_int_equal(cairn_column_append_string(c, "\xff\xfe", 2), 0);
    cairn_encoder_options_init(&o, CAIRN_ENC_ROBUST, "x");
    FIT_FAILS(CAIRN_ERANGE, "x", "column 'x' row 1: infinite value");
    cairn_encoder_options_init(&o, CAIRN_ENC_TARGET, "c");
    o.target = "x";
    FIT_FAILS(CAIRN_ERANGE, "x", "target column 'x' row 1: infinite value");
    /* categories are stored as JSON text */
    cairn_encoder_options_init(&o, CAIRN_ENC_ONEHOT, "c");
    FIT_FAILS(CAIRN_EINVAL, "c", "column 'c' row 1: the value is not valid UTF-8");
    cairn_table_free(t);
#undef FIT_FAILS
}

static void test_transform_errors(void **state)
{
    (void)state;
    cairn_table *train = csv("c,x,s\na,1,p\nb,2,q\n");
    cairn_encoder_options o;
    cairn_encoder_options_init(&o, CAIRN_ENC_HASHING, "c");
    cairn_encoder *enc = fit(&o, train, NULL);
    cairn_table *out = (cairn_table *)train;
    cairn_error e;
    cairn_error_clear(&e);
    cairn_table *t = csv("d\na\n");
    expect_error(cairn_encoder_transform(enc, t, &out, &e), &e, CAIRN_EINVAL, "c",
                 "the table has no column 'c' (the hashing encoder's input)");
    assert_null(out);
    cairn_table_free(t);
    /* an output name that is taken */
    t = csv("c,c__hash\na,1\n");
    cairn_error_clear(&e);
    expect_error(cairn_encoder_transform(enc, t, &out, &e), &e, CAIRN_EEXIST, "c__hash",
                 "encoder output: a column named 'c__hash' already exists");
    assert_null(out);
    cairn_table_free(t);
    cairn_encoder_free(enc);
    /* the types a number encoder was fitted on */
    cairn_encoder_options_init(&o, CAIRN_ENC_ROBUST, "x");
    enc = fit(&o, train, NULL);
    t = csv("x\nabc\n");
    cairn_error_clear(&e);
    expect_error(cairn_encoder_transform(enc, t, &out, &e), &e, CAIRN_ETYPE, "x",
                 "column 'x' is string");
    cairn_encoder_free(enc);
    cairn_encoder_options_init(&o, CAIRN_ENC_IMPUTE, "x");
    enc = fit(&o, train, NULL);
    cairn_error_clear(&e);
    expect_error(cairn_encoder_transform(enc, t, &out, &e), &e, CAIRN_ETYPE, "x",
                 "column 'x' is string");
    cairn_encoder_free(enc);
    cairn_table_free(t);
    cairn_encoder_options_init(&o, CAIRN_ENC_IMPUTE, "s");
    enc = fit(&o, train, NULL);
    t = csv("s\n1\n");
    cairn_error_clear(&e);
    expect_error(cairn_encoder_transform(enc, t, &out, &e), &e, CAIRN_ETYPE, "s",
                 "fitted on a string column");
    cairn_table_free(t);
    cairn_encoder_free(enc);
    cairn_table_free(train);
}

/* ------------------------------------------------------------------------------------------
 * Allocation failures: every allocation of fit, transform, to_json and from_json fails in
 * turn; each failure is CAIRN_ENOMEM and leaves nothing allocated.
 * ---------------------------------------------------------------------------------------- */

typedef int (*alloc_step)(void *ud);

static void fail_each_allocation(alloc_step step, void *ud, const char *what)
{
    int64_t base = cairn_testalloc_live_blocks();
    for (int64_t n = 1;; n++) {
        cairn_testalloc_fail_at(n, false);
        int rc = step(ud);
        cairn_testalloc_fail_at(0, false);
        if (rc == 0) {
            assert_int_equal(cairn_testalloc_live_blocks(), base);
            return;
        }
        if (rc != CAIRN_ENOMEM)
            fail_msg("%s, allocation %lld: expected ENOMEM, got %s", what, (long long)n,
                     cairn_errname(rc));
        if (cairn_testalloc_live_blocks() != base)
            fail_msg("%s, allocation %lld: %lld blocks leaked", what, (long long)n,
                     (long long)(cairn_testalloc_live_blocks() - base));
        assert_true(n < 100000);
    }
}

typedef struct alloc_case {
    cairn_encoder_options opts;
    const cairn_table *train, *test;
    const cairn_encoder *fitted;
    const json_t *json;
} alloc_case;

static int step_fit(void *ud)
{
    alloc_case *c = ud;
    cairn_encoder *enc;
    cairn_column *oof = NULL;
    int rc = cairn_encoder_fit(&c->opts, c->train, &enc, &oof, NULL);
    if (rc == 0) {
        cairn_encoder_free(enc);
        cairn_column_free(oof);
    }
    return rc;
}

static int step_transform(void *ud)
{
    alloc_case *c = ud;
    cairn_table *out;
    int rc = cairn_encoder_transform(c->fitted, c->test, &out, NULL);
    if (rc == 0) cairn_table_free(out);
    return rc;
}

static int step_to_json(void *ud)
{
    alloc_case *c = ud;
    json_t *j;
    int rc = cairn_encoder_to_json(c->fitted, &j);
    if (rc == 0) json_decref(j);
    return rc;
}

static int step_from_json(void *ud)
{
    alloc_case *c = ud;
    cairn_encoder *enc;
    int rc = cairn_encoder_from_json(c->json, &enc, NULL);
    if (rc == 0) cairn_encoder_free(enc);
    return rc;
}

static void test_alloc_failures(void **state)
{
    (void)state;
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks();
    cairn_table *train = csv(round_trip_train), *t = csv(round_trip_test);
    for (size_t k = 0; k < 8; k++) {
        alloc_case c = {.train = train, .test = t};
        round_trip_options(k, &c.opts);
        fail_each_allocation(step_fit, &c, "fit");
        cairn_encoder *enc = fit(&c.opts, train, NULL);
        c.fitted = enc;
        fail_each_allocation(step_transform, &c, "transform");
        fail_each_allocation(step_to_json, &c, "to_json");
        json_t *j;
        assert_int_equal(cairn_encoder_to_json(enc, &j), 0);
        c.json = j;
        fail_each_allocation(step_from_json, &c, "from_json");
        json_decref(j);
        cairn_encoder_free(enc);
    }
    cairn_table_free(train);
    cairn_table_free(t);
    assert_int_equal(cairn_testalloc_live_blocks(), base);
    cairn_testalloc_uninstall();
}

/* ------------------------------------------------------------------------------------------
 * Oracle support (tests/oracles/test_encoder_sklearn.sh)
 * ---------------------------------------------------------------------------------------- */

static void write_json(const char *dir, const char *name, const cairn_encoder *enc)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = json_text(enc);
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_file_write_atomic(path, text, strlen(text), &e), &e);
    cairn_free(text);
}

/* Fits on DIR/train.csv (cat string, x float64, y float64; empty = null), transforms
 * DIR/test.csv with every encoder, and writes DIR/out.csv (the test rows plus every encoded
 * column) and DIR/<kind>.json. The smoothing comes from CAIRN_ENCODER_ORACLE_M (default 20). */
static void test_oracle_dump(void **state)
{
    (void)state;
    const char *dir = getenv("CAIRN_ENCODER_ORACLE_DIR");
    if (!dir) skip();
    const char *m = getenv("CAIRN_ENCODER_ORACLE_M");
    static const cairn_field fields[] = {{"cat", CAIRN_TYPE_STRING, true},
                                         {"x", CAIRN_TYPE_FLOAT64, true},
                                         {"y", CAIRN_TYPE_FLOAT64, true}};
    cairn_read_options ro;
    cairn_read_options_init(&ro);
    ro.fields = fields;
    ro.nfields = 3;
    cairn_error e;
    cairn_error_clear(&e);
    char path[4096];
    cairn_table *train, *t;
    snprintf(path, sizeof path, "%s/train.csv", dir);
    CAIRN_ASSERT_OK(cairn_csv_read_file(path, &ro, &train, &e), &e);
    snprintf(path, sizeof path, "%s/test.csv", dir);
    CAIRN_ASSERT_OK(cairn_csv_read_file(path, &ro, &t, &e), &e);

    static const struct {
        cairn_encoder_kind kind;
        const char *column, *file;
    } encs[] = {{CAIRN_ENC_ROBUST, "x", "robust.json"},
                {CAIRN_ENC_IMPUTE, "x", "impute.json"},
                {CAIRN_ENC_ONEHOT, "cat", "onehot.json"},
                {CAIRN_ENC_TARGET, "cat", "target.json"}};
    for (size_t k = 0; k < sizeof encs / sizeof encs[0]; k++) {
        cairn_encoder_options o;
        cairn_encoder_options_init(&o, encs[k].kind, encs[k].column);
        o.max_categories = 10000;
        o.target = "y";
        if (m) o.smoothing = strtod(m, NULL);
        cairn_encoder *enc = fit(&o, train, NULL);
        write_json(dir, encs[k].file, enc);
        cairn_table *next = transform(enc, t);
        cairn_table_free(t);
        t = next;
        cairn_encoder_free(enc);
    }
    snprintf(path, sizeof path, "%s/out.csv", dir);
    CAIRN_ASSERT_OK(cairn_csv_write_file(t, path, NULL, &e), &e);
    cairn_table_free(t);
    cairn_table_free(train);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_init),
        cmocka_unit_test(test_target_small),
        cmocka_unit_test(test_target_leakage_unique_categories),
        cmocka_unit_test(test_target_brute_force),
        cmocka_unit_test(test_target_determinism),
        cmocka_unit_test(test_target_tiny),
        cmocka_unit_test(test_hashing),
        cmocka_unit_test(test_frequency),
        cmocka_unit_test(test_onehot),
        cmocka_unit_test(test_onehot_limits),
        cmocka_unit_test(test_robust),
        cmocka_unit_test(test_impute_numeric),
        cmocka_unit_test(test_impute_string),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_from_json_errors),
        cmocka_unit_test(test_fit_errors),
        cmocka_unit_test(test_transform_errors),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_oracle_dump),
    };
    if (getenv("CAIRN_ENCODER_ORACLE_DIR")) cmocka_set_test_filter("test_oracle_dump");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
