/* Tests of src/feature/pit.c (cairn_pit_join): Feast's point-in-time rules case by case (ties
 * on event time broken by created time, then by input order; the TTL boundary; equal times;
 * future-only and missing history; late-arriving rows; null keys and times; multi-column,
 * INT32/INT64 and dictionary keys; date times), the output's shape (order, duplicates,
 * prefix, clashes, errors), a brute-force O(n*m) reference on random data, and allocation
 * failures. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define NUL INT64_MIN /* "append a null" in the fixtures below */

static void put_i64(cairn_column *c, int64_t v)
{
    if (v == NUL)
        assert_int_equal(cairn_column_append_null(c), 0);
    else
        assert_int_equal(cairn_column_append_int64(c, v), 0);
}

static void put_i32(cairn_column *c, int64_t v)
{
    if (v == NUL)
        assert_int_equal(cairn_column_append_null(c), 0);
    else
        assert_int_equal(cairn_column_append_int32(c, (int32_t)v), 0);
}

/* Features (key int64, ts, created timestamps, v string) from parallel arrays. */
static cairn_table *features_of(const int64_t *key, const int64_t *ts, const int64_t *created,
                                const char *const *v, size_t n)
{
    cairn_table *t = cairn_test_table();
    cairn_column *k = cairn_test_add(t, "key", CAIRN_TYPE_INT64);
    cairn_column *tc = cairn_test_add(t, "ts", CAIRN_TYPE_TIMESTAMP);
    cairn_column *cc = cairn_test_add(t, "created", CAIRN_TYPE_TIMESTAMP);
    cairn_column *vc = cairn_test_add(t, "v", CAIRN_TYPE_STRING);
    for (size_t i = 0; i < n; i++) {
        put_i64(k, key[i]);
        put_i64(tc, ts[i]);
        put_i64(cc, created ? created[i] : NUL);
        cairn_test_put_str(vc, v[i]);
    }
    return t;
}

/* Entities (id int64, t timestamp). */
static cairn_table *entities_of(const int64_t *id, const int64_t *t, size_t n)
{
    cairn_table *e = cairn_test_table();
    cairn_column *k = cairn_test_add(e, "id", CAIRN_TYPE_INT64);
    cairn_column *tc = cairn_test_add(e, "t", CAIRN_TYPE_TIMESTAMP);
    for (size_t i = 0; i < n; i++) {
        put_i64(k, id[i]);
        put_i64(tc, t[i]);
    }
    return e;
}

static const char *const ENTITY_KEYS[] = {"id"};
static const char *const FEATURE_KEYS[] = {"key"};

static cairn_pit_spec basic_spec(int64_t ttl_us)
{
    cairn_pit_spec s = {0};
    s.entity_keys = ENTITY_KEYS;
    s.feature_keys = FEATURE_KEYS;
    s.nkeys = 1;
    s.entity_time = "t";
    s.feature_time = "ts";
    s.created_time = "created";
    s.ttl_us = ttl_us;
    return s;
}

static cairn_table *join(const cairn_table *e, const cairn_table *f, const cairn_pit_spec *s)
{
    cairn_table *out = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_pit_join(e, f, s, &out, &err), &err);
    assert_int_equal(cairn_table_num_rows(out), cairn_table_num_rows(e));
    return out;
}

/* Joins and checks column v against want (NULL = a null). */
static void expect_v(const cairn_table *e, const cairn_table *f, const cairn_pit_spec *s,
                     const char *const *want, size_t n)
{
    cairn_table *out = join(e, f, s);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(cairn_test_cell(out, "v", (int64_t)i), want[i] ? want[i] : "NULL");
    cairn_table_free(out);
}

/* ------------------------------------------------------------------------------------------
 * The rules
 * ---------------------------------------------------------------------------------------- */

static void test_tie_on_time_latest_created(void **state)
{
    (void)state;
    int64_t key[] = {1, 1, 1, 1};
    int64_t ts[] = {10, 10, 10, 5};
    int64_t created[] = {50, 70, 60, 99};
    const char *v[] = {"c50", "c70", "c60", "old"};
    cairn_table *f = features_of(key, ts, created, v, 4);
    int64_t id[] = {1, 1};
    int64_t t[] = {10, 9};
    cairn_table *e = entities_of(id, t, 2);
    cairn_pit_spec s = basic_spec(0);
    const char *want[] = {"c70", "old"};
    expect_v(e, f, &s, want, 2);
    cairn_table_free(e);
    cairn_table_free(f);
}

static void test_tie_equal_created_later_row(void **state)
{
    (void)state;
    int64_t key[] = {1, 1, 1, 2, 2};
    int64_t ts[] = {10, 10, 10, 10, 10};
    int64_t created[] = {7, 7, 3, NUL, NUL};
    const char *v[] = {"first", "second", "early", "n1", "n2"};
    cairn_table *f = features_of(key, ts, created, v, 5);
    int64_t id[] = {1, 2};
    int64_t t[] = {10, 11};
    cairn_table *e = entities_of(id, t, 2);
    cairn_pit_spec s = basic_spec(0);
    const char *want[] = {"second", "n2"};
    expect_v(e, f, &s, want, 2);
    /* without a created-time column, input order alone breaks the tie */
    s.created_time = NULL;
    const char *want_no_created[] = {"early", "n2"};
    expect_v(e, f, &s, want_no_created, 2);
    cairn_table_free(e);
    cairn_table_free(f);
}

static void test_null_created_loses(void **state)
{
    (void)state;
    int64_t key[] = {1, 1, 2, 2};
    int64_t ts[] = {10, 10, 10, 10};
    int64_t created[] = {3, NUL, NUL, -5};
    const char *v[] = {"c3", "cnull", "cnull2", "cneg"};
    cairn_table *f = features_of(key, ts, created, v, 4);
    int64_t id[] = {1, 2};
    int64_t t[] = {10, 10};
    cairn_table *e = entities_of(id, t, 2);
    cairn_pit_spec s = basic_spec(0);
    const char *want[] = {"c3", "cneg"};
    expect_v(e, f, &s, want, 2);
    cairn_table_free(e);
    cairn_table_free(f);
}

static void test_ttl_boundary_and_equal_time(void **state)
{
    (void)state;
    int64_t key[] = {1, 2, 3};
    int64_t ts[] = {1000, 999, 5000};
    const char *v[] = {"at_boundary", "past_boundary", "same_time"};
    cairn_table *f = features_of(key, ts, NULL, v, 3);
    /* ttl 4000: entity time 5000 admits feature times in [1000, 5000] */
    int64_t id[] = {1, 2, 3, 1};
    int64_t t[] = {5000, 5000, 5000, 5001};
    cairn_table *e = entities_of(id, t, 4);
    cairn_pit_spec s = basic_spec(4000);
    const char *want[] = {"at_boundary", NULL, "same_time", NULL};
    expect_v(e, f, &s, want, 4);
    s.ttl_us = 0; /* no TTL: everything in the past counts */
    const char *want_no_ttl[] = {"at_boundary", "past_boundary", "same_time", "at_boundary"};
    expect_v(e, f, &s, want_no_ttl, 4);
    cairn_table_free(e);
    cairn_table_free(f);
}

/* The latest row is out of the TTL, an earlier one in it cannot be: TTL applies to the
 * winner only, which is the latest time, so older rows are further out still. A newer row
 * inside the TTL does win over an older one. */
static void test_ttl_picks_latest_in_window(void **state)
{
    (void)state;
    int64_t key[] = {1, 1, 1};
    int64_t ts[] = {100, 200, 400};
    const char *v[] = {"a", "b", "future"};
    cairn_table *f = features_of(key, ts, NULL, v, 3);
    int64_t id[] = {1, 1, 1, 1};
    int64_t t[] = {250, 350, 150, 99};
    cairn_table *e = entities_of(id, t, 4);
    cairn_pit_spec s = basic_spec(100);
    const char *want[] = {"b", NULL, "a", NULL};
    expect_v(e, f, &s, want, 4);
    cairn_table_free(e);
    cairn_table_free(f);
}

static void test_future_only_and_no_history(void **state)
{
    (void)state;
    int64_t key[] = {1, 1};
    int64_t ts[] = {100, 200};
    const char *v[] = {"a", "b"};
    cairn_table *f = features_of(key, ts, NULL, v, 2);
    int64_t id[] = {1, 7, 1};
    int64_t t[] = {99, 1000, 100};
    cairn_table *e = entities_of(id, t, 3);
    cairn_pit_spec s = basic_spec(0);
    const char *want[] = {NULL, NULL, "a"};
    expect_v(e, f, &s, want, 3);
    cairn_table_free(e);
    cairn_table_free(f);
}

static void test_late_arriving_rows(void **state)
{
    (void)state;
    /* rows arrive out of time order: 300 then 100 then 200 */
    int64_t key[] = {1, 1, 1};
    int64_t ts[] = {300, 100, 200};
    const char *v[] = {"t300", "t100", "t200"};
    cairn_table *f = features_of(key, ts, NULL, v, 3);
    int64_t id[] = {1, 1, 1, 1};
    int64_t t[] = {350, 150, 250, 50};
    cairn_table *e = entities_of(id, t, 4);
    cairn_pit_spec s = basic_spec(0);
    const char *want[] = {"t300", "t100", "t200", NULL};
    expect_v(e, f, &s, want, 4);
    cairn_table_free(e);
    cairn_table_free(f);
}

static void test_null_keys_and_times(void **state)
{
    (void)state;
    int64_t key[] = {NUL, 1, 1};
    int64_t ts[] = {10, NUL, 5};
    const char *v[] = {"nullkey", "nulltime", "ok"};
    cairn_table *f = features_of(key, ts, NULL, v, 3);
    int64_t id[] = {NUL, 1, 1};
    int64_t t[] = {10, 10, NUL};
    cairn_table *e = entities_of(id, t, 3);
    cairn_pit_spec s = basic_spec(0);
    const char *want[] = {NULL, "ok", NULL};
    expect_v(e, f, &s, want, 3);
    cairn_table_free(e);
    cairn_table_free(f);
}

static void test_multi_column_keys(void **state)
{
    (void)state;
    cairn_table *f = cairn_test_table();
    cairn_column *fa = cairn_test_add(f, "a", CAIRN_TYPE_STRING);
    cairn_column *fb = cairn_test_add(f, "b", CAIRN_TYPE_INT32);
    cairn_column *fts = cairn_test_add(f, "ts", CAIRN_TYPE_TIMESTAMP);
    cairn_column *fv = cairn_test_add(f, "v", CAIRN_TYPE_FLOAT64);
    const char *as[] = {"x", "x", "y", "y", NULL};
    int64_t bs[] = {1, 2, 1, NUL, 1};
    for (int i = 0; i < 5; i++) {
        cairn_test_put_str(fa, as[i]);
        put_i32(fb, bs[i]);
        put_i64(fts, 10);
        assert_int_equal(cairn_column_append_float64(fv, i + 0.5), 0);
    }
    cairn_table *e = cairn_test_table();
    cairn_column *ea = cairn_test_add(e, "ea", CAIRN_TYPE_STRING);
    cairn_column *eb = cairn_test_add(e, "eb", CAIRN_TYPE_INT64);
    cairn_column *et = cairn_test_add(e, "t", CAIRN_TYPE_TIMESTAMP);
    const char *eas[] = {"x", "x", "y", "y", "x", NULL};
    int64_t ebs[] = {2, 1, 1, 2, 3, 1};
    for (int i = 0; i < 6; i++) {
        cairn_test_put_str(ea, eas[i]);
        put_i64(eb, ebs[i]);
        put_i64(et, 20);
    }
    const char *ek[] = {"ea", "eb"}, *fk[] = {"a", "b"};
    cairn_pit_spec s = {.entity_keys = ek,
                        .feature_keys = fk,
                        .nkeys = 2,
                        .entity_time = "t",
                        .feature_time = "ts"};
    cairn_table *out = join(e, f, &s);
    assert_int_equal(cairn_table_num_columns(out), 4); /* ea eb t v */
    const char *want[] = {"1.5", "0.5", "2.5", "NULL", "NULL", "NULL"};
    for (int i = 0; i < 6; i++)
        assert_string_equal(cairn_test_cell(out, "v", i), want[i]);
    cairn_table_free(out);
    /* the same with dictionary-encoded strings on both sides */
    assert_int_equal(cairn_column_dict_encode(fa), 0);
    assert_int_equal(cairn_column_dict_encode(ea), 0);
    out = join(e, f, &s);
    for (int i = 0; i < 6; i++)
        assert_string_equal(cairn_test_cell(out, "v", i), want[i]);
    assert_non_null(cairn_table_column_by_name(out, "ea")->dictionary);
    cairn_table_free(out);
    cairn_table_free(e);
    cairn_table_free(f);
}

static void test_dictionary_single_key(void **state)
{
    (void)state;
    cairn_table *f = cairn_test_table();
    cairn_column *fk = cairn_test_add(f, "origin", CAIRN_TYPE_STRING);
    cairn_column *fts = cairn_test_add(f, "ts", CAIRN_TYPE_TIMESTAMP);
    cairn_column *fv = cairn_test_add(f, "v", CAIRN_TYPE_INT64);
    const char *keys[] = {"SFO", "JFK", NULL, "SFO", "BOS"};
    int64_t ts[] = {5, 5, 5, 8, 50};
    for (int i = 0; i < 5; i++) {
        cairn_test_put_str(fk, keys[i]);
        put_i64(fts, ts[i]);
        put_i64(fv, i);
    }
    cairn_table *e = cairn_test_table();
    cairn_column *ek = cairn_test_add(e, "origin", CAIRN_TYPE_STRING);
    cairn_column *et = cairn_test_add(e, "t", CAIRN_TYPE_TIMESTAMP);
    const char *ekeys[] = {"SFO", "LAX", NULL, "JFK", "BOS", "SFO"};
    int64_t ets[] = {7, 9, 9, 9, 9, 9};
    for (int i = 0; i < 6; i++) {
        cairn_test_put_str(ek, ekeys[i]);
        put_i64(et, ets[i]);
    }
    const char *k[] = {"origin"};
    cairn_pit_spec s = {.entity_keys = k,
                        .feature_keys = k,
                        .nkeys = 1,
                        .entity_time = "t",
                        .feature_time = "ts",
                        .prefix = "f_"};
    const char *want[] = {"0", "NULL", "NULL", "1", "NULL", "3"};
    for (int round = 0; round < 4; round++) {
        /* plain/plain, dict features, dict both, dict entities only */
        if (round == 1) assert_int_equal(cairn_column_dict_encode(fk), 0);
        if (round == 2) assert_int_equal(cairn_column_dict_encode(ek), 0);
        if (round == 3) assert_int_equal(cairn_column_dict_decode(fk), 0);
        cairn_table *out = join(e, f, &s);
        for (int i = 0; i < 6; i++)
            assert_string_equal(cairn_test_cell(out, "f_v", i), want[i]);
        cairn_table_free(out);
    }
    cairn_table_free(e);
    cairn_table_free(f);
}

static void test_int32_int64_keys(void **state)
{
    (void)state;
    cairn_table *f = cairn_test_table();
    cairn_column *fk = cairn_test_add(f, "key", CAIRN_TYPE_INT32);
    cairn_column *fts = cairn_test_add(f, "ts", CAIRN_TYPE_TIMESTAMP);
    cairn_column *fv = cairn_test_add(f, "v", CAIRN_TYPE_STRING);
    put_i32(fk, -3);
    put_i64(fts, 1);
    cairn_test_put_str(fv, "minus3");
    put_i32(fk, 2147483647);
    put_i64(fts, 1);
    cairn_test_put_str(fv, "max");
    int64_t id[] = {-3, 2147483647, 4294967293LL};
    int64_t t[] = {1, 1, 1};
    cairn_table *e = entities_of(id, t, 3);
    cairn_pit_spec s = basic_spec(0);
    s.created_time = NULL;
    const char *want[] = {"minus3", "max", NULL};
    expect_v(e, f, &s, want, 3);
    cairn_table_free(e);
    cairn_table_free(f);
}

static void test_date_times(void **state)
{
    (void)state;
    const int64_t day = INT64_C(86400000000);
    int64_t key[] = {1, 2, 3};
    int64_t ts[] = {2 * day, 2 * day + 1, 2 * day - 3 * day};
    const char *v[] = {"midnight", "after", "three_days_before"};
    cairn_table *f = features_of(key, ts, NULL, v, 3);
    cairn_table *e = cairn_test_table();
    cairn_column *ek = cairn_test_add(e, "id", CAIRN_TYPE_INT64);
    cairn_column *et = cairn_test_add(e, "t", CAIRN_TYPE_DATE32);
    for (int i = 1; i <= 3; i++) {
        put_i64(ek, i);
        put_i32(et, 2);
    }
    cairn_pit_spec s = basic_spec(3 * day);
    const char *want[] = {"midnight", NULL, "three_days_before"};
    expect_v(e, f, &s, want, 3);
    cairn_table_free(e);
    cairn_table_free(f);

    /* a date feature time too: day 2 is midnight of day 2 */
    cairn_table *f2 = cairn_test_table();
    cairn_column *k2 = cairn_test_add(f2, "key", CAIRN_TYPE_INT64);
    cairn_column *t2 = cairn_test_add(f2, "ts", CAIRN_TYPE_DATE32);
    cairn_column *v2 = cairn_test_add(f2, "v", CAIRN_TYPE_STRING);
    put_i64(k2, 1);
    put_i32(t2, 2);
    cairn_test_put_str(v2, "day2");
    int64_t id[] = {1, 1};
    int64_t t[] = {2 * day - 1, 2 * day};
    cairn_table *e2 = entities_of(id, t, 2);
    s = basic_spec(0);
    s.created_time = NULL;
    const char *want2[] = {NULL, "day2"};
    expect_v(e2, f2, &s, want2, 2);
    cairn_table_free(e2);
    cairn_table_free(f2);
}

static void test_order_and_duplicates(void **state)
{
    (void)state;
    int64_t key[] = {1, 2, 1};
    int64_t ts[] = {10, 10, 20};
    const char *v[] = {"a10", "b10", "a20"};
    cairn_table *f = features_of(key, ts, NULL, v, 3);
    int64_t id[] = {1, 2, 1, 1, 2, 1, 1};
    int64_t t[] = {25, 10, 15, 25, 9, 15, 5};
    cairn_table *e = entities_of(id, t, 7);
    cairn_pit_spec s = basic_spec(0);
    cairn_table *out = join(e, f, &s);
    const char *want[] = {"a20", "b10", "a10", "a20", "NULL", "a10", "NULL"};
    for (int i = 0; i < 7; i++) {
        assert_string_equal(cairn_test_cell(out, "v", i), want[i]);
        assert_int_equal(cairn_column_i64(cairn_table_column_by_name(out, "t"), i), t[i]);
        assert_int_equal(cairn_column_i64(cairn_table_column_by_name(out, "id"), i), id[i]);
    }
    /* default columns: every non-key, non-time column (only v) after the entity's */
    assert_int_equal(cairn_table_num_columns(out), 3);
    assert_string_equal(cairn_table_column(out, 2)->name, "v");
    cairn_table_free(out);
    cairn_table_free(e);
    cairn_table_free(f);
}

static void test_empty_tables(void **state)
{
    (void)state;
    cairn_table *f = features_of(NULL, NULL, NULL, NULL, 0);
    int64_t id[] = {1};
    int64_t t[] = {1};
    cairn_table *e = entities_of(id, t, 1);
    cairn_pit_spec s = basic_spec(0);
    const char *want[] = {NULL};
    expect_v(e, f, &s, want, 1);
    cairn_table *e0 = entities_of(NULL, NULL, 0);
    cairn_table *out = join(e0, f, &s);
    assert_int_equal(cairn_table_num_columns(out), 3);
    cairn_table_free(out);
    cairn_table_free(e0);
    cairn_table_free(e);
    cairn_table_free(f);
}

/* ------------------------------------------------------------------------------------------
 * Columns, prefix and errors
 * ---------------------------------------------------------------------------------------- */

static void test_prefix_and_clash(void **state)
{
    (void)state;
    int64_t key[] = {1};
    int64_t ts[] = {1};
    const char *v[] = {"x"};
    cairn_table *f = features_of(key, ts, NULL, v, 1);
    cairn_table *e = cairn_test_table();
    cairn_column *eid = cairn_test_add(e, "id", CAIRN_TYPE_INT64);
    cairn_column *et = cairn_test_add(e, "t", CAIRN_TYPE_TIMESTAMP);
    cairn_column *ev = cairn_test_add(e, "v", CAIRN_TYPE_STRING);
    put_i64(eid, 1);
    put_i64(et, 1);
    cairn_test_put_str(ev, "mine");
    cairn_pit_spec s = basic_spec(0);
    cairn_table *out = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    assert_int_equal(cairn_pit_join(e, f, &s, &out, &err), CAIRN_EEXIST);
    assert_null(out);
    assert_string_equal(err.field, "v");
    assert_non_null(strstr(err.message, "prefix"));

    s.prefix = "fv__";
    out = join(e, f, &s);
    assert_int_equal(cairn_table_num_columns(out), 4);
    assert_string_equal(cairn_test_cell(out, "v", 0), "mine");
    assert_string_equal(cairn_test_cell(out, "fv__v", 0), "x");
    cairn_table_free(out);

    /* explicit columns, a key among them */
    const char *cols[] = {"created", "key"};
    s.columns = cols;
    s.ncolumns = 2;
    out = join(e, f, &s);
    assert_int_equal(cairn_table_num_columns(out), 5);
    assert_string_equal(cairn_table_column(out, 3)->name, "fv__created");
    assert_string_equal(cairn_test_cell(out, "fv__key", 0), "1");
    cairn_table_free(out);

    const char *twice[] = {"v", "v"};
    s.columns = twice;
    assert_int_equal(cairn_pit_join(e, f, &s, &out, &err), CAIRN_EEXIST);
    assert_non_null(strstr(err.message, "twice"));
    cairn_table_free(e);
    cairn_table_free(f);
}

static void expect_error(const cairn_table *e, const cairn_table *f, const cairn_pit_spec *s,
                         int code, const char *field, const char *part)
{
    cairn_table *out = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    assert_int_equal(cairn_pit_join(e, f, s, &out, &err), code);
    assert_null(out);
    if (field) assert_string_equal(err.field, field);
    if (!strstr(err.message, part)) fail_msg("message '%s' lacks '%s'", err.message, part);
}

static void test_errors(void **state)
{
    (void)state;
    int64_t key[] = {1};
    int64_t ts[] = {1};
    const char *v[] = {"x"};
    cairn_table *f = features_of(key, ts, NULL, v, 1);
    int64_t id[] = {1};
    cairn_table *e = entities_of(id, ts, 1);
    cairn_pit_spec s = basic_spec(0);

    s.entity_time = "nope";
    expect_error(e, f, &s, CAIRN_ENOTFOUND, "nope", "entity table");
    s = basic_spec(0);
    s.feature_time = "v";
    expect_error(e, f, &s, CAIRN_ETYPE, "v", "expected a timestamp or date");
    s = basic_spec(0);
    s.entity_time = "id";
    expect_error(e, f, &s, CAIRN_ETYPE, "id", "entity table is int64");
    s = basic_spec(0);
    s.created_time = "v";
    expect_error(e, f, &s, CAIRN_ETYPE, "v", "created-time");
    s = basic_spec(0);
    const char *bad_keys[] = {"v"};
    s.feature_keys = bad_keys;
    expect_error(e, f, &s, CAIRN_ETYPE, "v", "is int64 but 'v' of the feature table is string");
    s = basic_spec(0);
    const char *missing[] = {"missing"};
    s.entity_keys = missing;
    expect_error(e, f, &s, CAIRN_ENOTFOUND, "missing", "key column 'missing'");
    s = basic_spec(0);
    s.columns = missing;
    s.ncolumns = 1;
    expect_error(e, f, &s, CAIRN_ENOTFOUND, "missing", "feature table");
    s = basic_spec(-1);
    expect_error(e, f, &s, CAIRN_EINVAL, NULL, "ttl_us");
    cairn_table_free(e);
    cairn_table_free(f);
}

/* ------------------------------------------------------------------------------------------
 * Brute force on random data
 * ---------------------------------------------------------------------------------------- */

static uint64_t rng_state = 0x1234567;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

typedef struct random_case {
    int64_t n, m, nkeys_distinct, time_range;
    int64_t *ekey, *etime, *fkey, *ftime, *fcreated;
} random_case;

/* The reference: for each entity row, scan every feature row. */
static int64_t brute(const random_case *rc, int64_t i, int64_t ttl, bool use_created)
{
    int64_t best = -1;
    if (rc->ekey[i] == NUL || rc->etime[i] == NUL) return -1;
    for (int64_t j = 0; j < rc->m; j++) {
        if (rc->fkey[j] == NUL || rc->fkey[j] != rc->ekey[i] || rc->ftime[j] == NUL) continue;
        if (rc->ftime[j] > rc->etime[i]) continue;
        if (ttl > 0 && rc->ftime[j] < rc->etime[i] - ttl) continue;
        if (best < 0 || rc->ftime[j] > rc->ftime[best]) {
            best = j;
            continue;
        }
        if (rc->ftime[j] < rc->ftime[best]) continue;
        int64_t cb = use_created ? rc->fcreated[best] : NUL;
        int64_t cj = use_created ? rc->fcreated[j] : NUL;
        bool later_created = cj != NUL && (cb == NUL || cj > cb);
        bool same_created = cj == cb;
        if (later_created || same_created) best = j; /* j is later in input order */
    }
    return best;
}

static int64_t maybe_null(int64_t v, int percent_null)
{
    return (int64_t)(rnd() % 100) < percent_null ? NUL : v;
}

static void run_random(int64_t n, int64_t m, int64_t distinct, int64_t time_range, bool dict,
                       bool int32_keys)
{
    random_case rc = {n, m, distinct, time_range, NULL, NULL, NULL, NULL, NULL};
    rc.ekey = malloc((size_t)n * sizeof(int64_t));
    rc.etime = malloc((size_t)n * sizeof(int64_t));
    rc.fkey = malloc((size_t)m * sizeof(int64_t));
    rc.ftime = malloc((size_t)m * sizeof(int64_t));
    rc.fcreated = malloc((size_t)m * sizeof(int64_t));
    cairn_table *e = cairn_test_table(), *f = cairn_test_table();
    cairn_column *ek = cairn_test_add(e, "id", dict ? CAIRN_TYPE_STRING : CAIRN_TYPE_INT64);
    cairn_column *et = cairn_test_add(e, "t", CAIRN_TYPE_TIMESTAMP);
    cairn_column *fk = cairn_test_add(f, "key",
                                      dict         ? CAIRN_TYPE_STRING
                                      : int32_keys ? CAIRN_TYPE_INT32
                                                   : CAIRN_TYPE_INT64);
    cairn_column *ft = cairn_test_add(f, "ts", CAIRN_TYPE_TIMESTAMP);
    cairn_column *fc = cairn_test_add(f, "created", CAIRN_TYPE_TIMESTAMP);
    cairn_column *fr = cairn_test_add(f, "row", CAIRN_TYPE_INT64);
    for (int64_t j = 0; j < m; j++) {
        rc.fkey[j] = maybe_null((int64_t)(rnd() % (uint64_t)distinct) - distinct / 3, 3);
        rc.ftime[j] = maybe_null((int64_t)(rnd() % (uint64_t)time_range), 2);
        rc.fcreated[j] = maybe_null((int64_t)(rnd() % 4), 20);
        if (dict) {
            char text[32];
            snprintf(text, sizeof text, "k%lld", (long long)rc.fkey[j]);
            cairn_test_put_str(fk, rc.fkey[j] == NUL ? NULL : text);
        } else if (int32_keys) {
            put_i32(fk, rc.fkey[j]);
        } else {
            put_i64(fk, rc.fkey[j]);
        }
        put_i64(ft, rc.ftime[j]);
        put_i64(fc, rc.fcreated[j]);
        put_i64(fr, j);
    }
    for (int64_t i = 0; i < n; i++) {
        rc.ekey[i] = maybe_null((int64_t)(rnd() % (uint64_t)(distinct + 2)) - distinct / 3, 3);
        rc.etime[i] = maybe_null((int64_t)(rnd() % (uint64_t)time_range), 2);
        if (dict) {
            char text[32];
            snprintf(text, sizeof text, "k%lld", (long long)rc.ekey[i]);
            cairn_test_put_str(ek, rc.ekey[i] == NUL ? NULL : text);
        } else {
            put_i64(ek, rc.ekey[i]);
        }
        put_i64(et, rc.etime[i]);
    }
    if (dict) {
        assert_int_equal(cairn_column_dict_encode(ek), 0);
        assert_int_equal(cairn_column_dict_encode(fk), 0);
    }
    int64_t ttls[] = {0, time_range / 10 + 1, 1};
    for (int k = 0; k < 3; k++) {
        for (int use_created = 0; use_created < 2; use_created++) {
            cairn_pit_spec s = basic_spec(ttls[k]);
            const char *cols[] = {"row"};
            s.columns = cols;
            s.ncolumns = 1;
            if (!use_created) s.created_time = NULL;
            cairn_table *out = join(e, f, &s);
            const cairn_column *got = cairn_table_column_by_name(out, "row");
            for (int64_t i = 0; i < n; i++) {
                int64_t want = brute(&rc, i, ttls[k], use_created);
                int64_t have = cairn_column_is_valid(got, i) ? cairn_column_i64(got, i) : -1;
                if (want != have)
                    fail_msg(
                        "row %lld (key %lld, t %lld, ttl %lld, created %d): want %lld, got %lld",
                        (long long)i, (long long)rc.ekey[i], (long long)rc.etime[i],
                        (long long)ttls[k], use_created, (long long)want, (long long)have);
            }
            cairn_table_free(out);
        }
    }
    cairn_table_free(e);
    cairn_table_free(f);
    free(rc.ekey);
    free(rc.etime);
    free(rc.fkey);
    free(rc.ftime);
    free(rc.fcreated);
}

static void test_random_brute_force(void **state)
{
    (void)state;
    run_random(300, 200, 5, 50, false, false);          /* many ties */
    run_random(2000, 1500, 40, 1000, false, true);      /* INT32 feature keys */
    run_random(2000, 1500, 40, 400, true, false);       /* dictionary strings */
    run_random(20000, 3000, 500, 100000, false, false); /* many keys over the pool */
    run_random(500, 3000, 3, 200, false, false);        /* big groups, fewer entities */
    run_random(140000, 100, 10, 5000, false, false);    /* entity rows grouped in parallel chunks */
}

/* ------------------------------------------------------------------------------------------
 * Allocation failures: each allocation fails in turn; ENOMEM, nothing left behind
 * ---------------------------------------------------------------------------------------- */

static void test_allocation_failures(void **state)
{
    (void)state;
    int64_t key[] = {1, 2, 1, 3, NUL};
    int64_t ts[] = {10, 10, 20, 5, 1};
    const char *v[] = {"a10", "b10", "a20", "c5", "n"};
    cairn_table *f = features_of(key, ts, NULL, v, 5);
    int64_t id[] = {1, 2, 1, 3, 4};
    int64_t t[] = {25, 10, 15, 1, 9};
    cairn_table *e = entities_of(id, t, 5);
    cairn_pit_spec s = basic_spec(0);
    (void)cairn_pool_default(); /* created once, outside the count */
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks();
    for (int64_t nth = 1;; nth++) {
        cairn_table *out = NULL;
        cairn_error err;
        cairn_error_clear(&err);
        cairn_testalloc_fail_at(nth, false);
        int rc = cairn_pit_join(e, f, &s, &out, &err);
        cairn_testalloc_fail_at(0, false);
        if (rc == 0) {
            assert_string_equal(cairn_test_cell(out, "v", 0), "a20");
            cairn_table_free(out);
            assert_int_equal(cairn_testalloc_live_blocks(), base);
            break;
        }
        if (rc != CAIRN_ENOMEM)
            fail_msg("allocation %lld: got %s", (long long)nth, cairn_errname(rc));
        assert_null(out);
        if (cairn_testalloc_live_blocks() != base)
            fail_msg("allocation %lld: %lld blocks leaked", (long long)nth,
                     (long long)(cairn_testalloc_live_blocks() - base));
    }
    cairn_testalloc_uninstall();
    cairn_table_free(e);
    cairn_table_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tie_on_time_latest_created),
        cmocka_unit_test(test_tie_equal_created_later_row),
        cmocka_unit_test(test_null_created_loses),
        cmocka_unit_test(test_ttl_boundary_and_equal_time),
        cmocka_unit_test(test_ttl_picks_latest_in_window),
        cmocka_unit_test(test_future_only_and_no_history),
        cmocka_unit_test(test_late_arriving_rows),
        cmocka_unit_test(test_null_keys_and_times),
        cmocka_unit_test(test_multi_column_keys),
        cmocka_unit_test(test_dictionary_single_key),
        cmocka_unit_test(test_int32_int64_keys),
        cmocka_unit_test(test_date_times),
        cmocka_unit_test(test_order_and_duplicates),
        cmocka_unit_test(test_empty_tables),
        cmocka_unit_test(test_prefix_and_clash),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_random_brute_force),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
