/* tests/unit/feature/test_offline.c: feature views computed offline (src/feature/offline.c):
 * calendar features (US federal holidays of 2001 and observed days), a small view table
 * against hand-computed values, the cache (a hit gives the same table and says so), and a
 * changed view version that recomputes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cairn/ingest.h"
#include "feature/offline_internal.h"
#include "testutil.h"

typedef struct fix {
    char tmp[4096], dir[4200];
    cairn_home *home;
    cairn_error err;
} fix;

static const char *schema_yaml =
    "dataset: ev\nevent_time: ts\nfields:\n"
    "  - {name: k, type: string, nullable: false}\n"
    "  - {name: ts, type: timestamp, nullable: false}\n"
    "  - {name: v, type: int64, nullable: true}\n";

static const char *repo_yaml =
    "entities: [{name: key, join_keys: [k]}]\n"
    "sources: [{name: ev, dataset: ev}]\n"
    "feature_views:\n"
    "  - name: kv\n    entity: key\n    source: ev\n    event_time: ts\n    ttl: 1d\n"
    "    features:\n"
    "      - {name: n_1h, agg: count, window: 1h}\n"
    "      - {name: v, agg: mean, column: v, window: 2h}\n" /* shares its name with a column */
    "      - {name: hour, calendar: hour, column: ts}\n"
    "      - {name: hol, calendar: holiday, column: ts}\n"
    "      - {name: vv, column: v}\n";

static const char *csv =
    "k,ts,v\n"
    "A,2001-01-01T00:00:00Z,10\n"
    "A,2001-01-01T00:30:00Z,20\n"
    "B,2001-01-01T00:30:00Z,5\n"
    "A,2001-01-01T01:00:00Z,30\n"
    "A,2001-01-01T01:00:00Z,40\n"
    "A,2001-01-01T03:00:00Z,\n";

static void apply(fix *f, const char *yaml)
{
    cairn_feature_repo *repo = NULL;
    cairn_feature_change *ch = NULL;
    size_t n = 0;
    CAIRN_ASSERT_OK(cairn_feature_repo_parse(yaml, strlen(yaml), "f.yaml", &repo, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_features_apply(f->home, repo, false, &ch, &n, &f->err), &f->err);
    cairn_free(ch);
    cairn_feature_repo_free(repo);
}

static int setup(void **state)
{
    fix *f = calloc(1, sizeof *f);
    snprintf(f->tmp, sizeof f->tmp, "%s", cairn_test_tmpdir("offline"));
    snprintf(f->dir, sizeof f->dir, "%s/home", f->tmp);
    bool created;
    CAIRN_ASSERT_OK(cairn_home_init(f->dir, &created, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_home_open(f->dir, &f->home, &f->err), &f->err);
    cairn_dataset_schema *schema = NULL;
    CAIRN_ASSERT_OK(cairn_dataset_schema_parse(schema_yaml, strlen(schema_yaml), "s.yaml", &schema, &f->err), &f->err);
    int64_t v;
    bool made;
    CAIRN_ASSERT_OK(cairn_registry_register(cairn_home_catalog(f->home), "ev", schema, &v, &made, NULL, NULL, &f->err), &f->err);
    cairn_dataset_schema_free(schema);
    char path[4300];
    snprintf(path, sizeof path, "%s/ev.csv", f->tmp);
    cairn_test_write_file(path, csv, strlen(csv));
    const char *paths[] = {path};
    cairn_ingest_options io;
    cairn_ingest_options_init(&io);
    cairn_ingest_result ir;
    CAIRN_ASSERT_OK(cairn_ingest_files(f->home, "ev", paths, 1, &io, &ir, &f->err), &f->err);
    assert_int_equal(ir.rows_written, 6);
    cairn_ingest_result_free(&ir);
    apply(f, repo_yaml);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fix *f = *state;
    cairn_home_close(f->home);
    cairn_test_rmtree(f->tmp);
    free(f);
    return 0;
}

static int64_t day(int64_t y, unsigned m, unsigned d) { return cairn_days_from_civil(y, m, d); }

static void test_holidays(void **state)
{
    (void)state;
    /* 2001: every federal holiday (Veterans Day fell on a Sunday: observed Monday 12th) */
    static const unsigned h2001[][2] = {{1, 1}, {1, 15}, {2, 19}, {5, 28}, {7, 4}, {9, 3},
                                        {10, 8}, {11, 12}, {11, 22}, {12, 25}};
    int count = 0;
    for (int64_t d = day(2001, 1, 1); d <= day(2001, 12, 31); d++) count += cairn__is_us_holiday(d);
    assert_int_equal(count, 10);
    for (size_t i = 0; i < sizeof h2001 / sizeof h2001[0]; i++)
        assert_true(cairn__is_us_holiday(day(2001, h2001[i][0], h2001[i][1])));
    assert_false(cairn__is_us_holiday(day(2001, 11, 11)));
    assert_false(cairn__is_us_holiday(day(2001, 6, 19)));  /* Juneteenth only from 2021 */
    assert_false(cairn__is_us_holiday(day(2001, 1, 2)));
    /* observed days */
    assert_true(cairn__is_us_holiday(day(2021, 12, 31)));  /* New Year's 2022 on a Saturday */
    assert_false(cairn__is_us_holiday(day(2022, 1, 1)));
    assert_true(cairn__is_us_holiday(day(2021, 6, 18)));   /* Juneteenth 2021 on a Saturday */
    assert_true(cairn__is_us_holiday(day(2020, 7, 3)));    /* July 4, 2020 a Saturday */
    assert_true(cairn__is_us_holiday(day(2022, 12, 26)));  /* Christmas 2022 a Sunday */
    assert_false(cairn__is_us_holiday(day(2022, 12, 25)));
    assert_true(cairn__is_us_holiday(day(2023, 6, 19)));
}

static void test_calendar_values(void **state)
{
    (void)state;
    int64_t us = (day(2001, 1, 1) * 86400 + 13 * 3600 + 45 * 60) * INT64_C(1000000);
    assert_int_equal(cairn__calendar_value(CAIRN_CAL_HOUR, us), 13);
    assert_int_equal(cairn__calendar_value(CAIRN_CAL_DAY_OF_WEEK, us), 0); /* a Monday */
    assert_int_equal(cairn__calendar_value(CAIRN_CAL_MONTH, us), 1);
    assert_int_equal(cairn__calendar_value(CAIRN_CAL_DAY_OF_MONTH, us), 1);
    assert_int_equal(cairn__calendar_value(CAIRN_CAL_HOLIDAY, us), 1);
    int64_t before = -3600 * INT64_C(1000000); /* 1969-12-31T23:00Z, a Wednesday */
    assert_int_equal(cairn__calendar_value(CAIRN_CAL_HOUR, before), 23);
    assert_int_equal(cairn__calendar_value(CAIRN_CAL_DAY_OF_WEEK, before), 2);
    assert_int_equal(cairn__calendar_value(CAIRN_CAL_DAY_OF_MONTH, before), 31);
    assert_int_equal(cairn__calendar_value(CAIRN_CAL_MONTH, before), 12);
    int64_t sun = day(2001, 7, 1) * 86400 * INT64_C(1000000);
    assert_int_equal(cairn__calendar_value(CAIRN_CAL_DAY_OF_WEEK, sun), 6);
    assert_int_equal(cairn__calendar_value(CAIRN_CAL_HOLIDAY, sun), 0);
}

static void check_table(const cairn_table *t)
{
    static const char *const cols[] = {"k", "ts", "n_1h", "v", "hour", "hol", "vv"};
    assert_int_equal(cairn_table_num_columns(t), 7);
    for (size_t i = 0; i < 7; i++) assert_string_equal(cairn_table_column(t, i)->name, cols[i]);
    assert_int_equal(cairn_table_num_rows(t), 6);
    static const char *const n1h[] = {"0", "1", "0", "2", "2", "0"};
    static const char *const mean[] = {"NULL", "10.0", "NULL", "15.0", "15.0", "35.0"};
    static const char *const hour[] = {"0", "0", "0", "1", "1", "3"};
    static const char *const vv[] = {"10", "20", "5", "30", "40", "NULL"};
    static const char *const k[] = {"A", "A", "B", "A", "A", "A"};
    for (int64_t r = 0; r < 6; r++) {
        assert_string_equal(cairn_test_cell(t, "k", r), k[r]);
        assert_string_equal(cairn_test_cell(t, "n_1h", r), n1h[r]);
        assert_string_equal(cairn_test_cell(t, "v", r), mean[r]);
        assert_string_equal(cairn_test_cell(t, "hour", r), hour[r]);
        assert_string_equal(cairn_test_cell(t, "hol", r), "1");
        assert_string_equal(cairn_test_cell(t, "vv", r), vv[r]);
    }
    assert_int_equal(cairn_test_col_type(t, "hour"), CAIRN_TYPE_INT32);
}

static void assert_same(const cairn_table *a, const cairn_table *b)
{
    assert_int_equal(cairn_table_num_columns(a), cairn_table_num_columns(b));
    assert_int_equal(cairn_table_num_rows(a), cairn_table_num_rows(b));
    for (size_t c = 0; c < cairn_table_num_columns(a); c++) {
        const char *name = cairn_table_column(a, c)->name;
        assert_string_equal(name, cairn_table_column(b, c)->name);
        assert_int_equal(cairn_table_column(a, c)->type, cairn_table_column(b, c)->type);
        for (int64_t r = 0; r < cairn_table_num_rows(a); r++) {
            char x[256];
            snprintf(x, sizeof x, "%s", cairn_test_cell(a, name, r));
            assert_string_equal(x, cairn_test_cell(b, name, r));
        }
    }
}

static void test_view_table_and_cache(void **state)
{
    fix *f = *state;
    cairn_table *t = NULL, *again = NULL;
    char snap[65], snap2[65];
    bool cached = true;
    CAIRN_ASSERT_OK(cairn_feature_view_table(f->home, "kv", 0, NULL, &t, snap, &cached, &f->err), &f->err);
    assert_false(cached);
    assert_int_equal(strlen(snap), 64);
    check_table(t);
    CAIRN_ASSERT_OK(cairn_feature_view_table(f->home, "kv", 0, NULL, &again, snap2, &cached, &f->err), &f->err);
    assert_true(cached);
    assert_string_equal(snap, snap2);
    assert_same(t, again);
    cairn_table_free(again);
    /* the snapshot named explicitly, as an id prefix and as dataset@id */
    char ref[80];
    snprintf(ref, sizeof ref, "%.12s", snap);
    CAIRN_ASSERT_OK(cairn_feature_view_table(f->home, "kv", 1, ref, &again, NULL, &cached, &f->err), &f->err);
    assert_true(cached);
    cairn_table_free(again);
    snprintf(ref, sizeof ref, "ev@%s", snap);
    CAIRN_ASSERT_OK(cairn_feature_view_table(f->home, "kv", 0, ref, &again, NULL, &cached, &f->err), &f->err);
    assert_true(cached);
    cairn_table_free(again);
    assert_int_equal(cairn_feature_view_table(f->home, "kv", 0, "ev@ffffffff", &again, NULL, &cached, &f->err),
                     CAIRN_ENOTFOUND);
    assert_null(again);
    assert_int_equal(cairn_feature_view_table(f->home, "nosuch", 0, NULL, &again, NULL, &cached, &f->err),
                     CAIRN_ENOTFOUND);

    /* a changed view (version 2) recomputes; version 1 is still cached */
    apply(f, "entities: [{name: key, join_keys: [k]}]\nsources: [{name: ev, dataset: ev}]\n"
             "feature_views:\n  - {name: kv, entity: key, source: ev, event_time: ts,\n"
             "     features: [{name: n_1h, agg: count, window: 1h}, {name: dow, calendar: day_of_week, column: ts}]}\n");
    CAIRN_ASSERT_OK(cairn_feature_view_table(f->home, "kv", 0, NULL, &again, NULL, &cached, &f->err), &f->err);
    assert_false(cached);
    assert_int_equal(cairn_table_num_columns(again), 4);
    assert_string_equal(cairn_test_cell(again, "dow", 0), "0");
    assert_string_equal(cairn_test_cell(again, "n_1h", 3), "2");
    cairn_table_free(again);
    CAIRN_ASSERT_OK(cairn_feature_view_table(f->home, "kv", 1, NULL, &again, NULL, &cached, &f->err), &f->err);
    assert_true(cached);
    assert_same(t, again);
    cairn_table_free(again);
    cairn_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holidays),
        cmocka_unit_test(test_calendar_values),
        cmocka_unit_test_setup_teardown(test_view_table_and_cache, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
