#include "testutil.h"

/* tests/unit/ingest/test_checks.c: dataset-level checks and the quality report
 * (src/ingest/checks.c): every check form passing and failing, severity, examples, the
 * JSON shape and the text form, evaluation errors, and load-time errors for bad checks with
 * their file, line, column and key. With CAIRN_CHECKS_ORACLE_CSV and CAIRN_CHECKS_ORACLE_OUT
 * set, only test_oracle_dump runs: it evaluates checks on that CSV and writes the observed
 * values as JSON for tests/oracles/test_checks_duckdb.sh to compare with DuckDB. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fields_yaml = "dataset: t\nfields:\n"
                                       "  - {name: id, type: int64}\n"
                                       "  - {name: x, type: float64}\n"
                                       "  - {name: s, type: string}\n"
                                       "  - {name: at, type: timestamp}\n"
                                       "  - {name: day, type: date}\n";

static int parse_checks(const char *checks, cairn_dataset_schema **out, cairn_error *e)
{
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "%schecks:\n%s", fields_yaml, checks);
    cairn_error_clear(e);
    *out = NULL;
    return cairn_dataset_schema_parse(yaml, strlen(yaml), "schema.yaml", out, e);
}

static cairn_dataset_schema *schema_with(const char *checks)
{
    cairn_dataset_schema *s;
    cairn_error e;
    CAIRN_ASSERT_OK(parse_checks(checks, &s, &e), &e);
    return s;
}

/* The checks start on line 9 (after the 7 lines of fields_yaml and "checks:"). */
static void expect_check_error(const char *checks, int code, const char *want)
{
    cairn_dataset_schema *s;
    cairn_error e;
    char msg[1024];
    int rc = parse_checks(checks, &s, &e);
    cairn_error_format(&e, msg, sizeof msg);
    if (rc != code)
        fail_msg("expected %s, got %s: %s", cairn_errname(code), cairn_errname(rc), msg);
    assert_null(s);
    assert_string_equal(msg, want);
}

/* id,x,s,at,day: 10 rows; x has two nulls, s repeats, id has one duplicate. */
static const char *const rows_csv = "id,x,s,at,day\n"
                                    "1,1.5,a,2001-06-01T00:00:00Z,2001-06-01\n"
                                    "2,2.5,b,2001-06-02T00:00:00Z,2001-06-02\n"
                                    "3,,c,2001-06-03T00:00:00Z,2001-06-03\n"
                                    "4,4.0,a,2001-06-04T00:00:00Z,2001-06-04\n"
                                    "5,10.0,d,2001-06-30T12:00:00Z,2001-06-30\n"
                                    "6,0.5,e,2001-06-05T00:00:00Z,2001-06-05\n"
                                    "7,,f,2001-06-06T00:00:00Z,2001-06-06\n"
                                    "8,3.0,g,,\n"
                                    "8,2.0,h,2001-06-07T00:00:00Z,2001-06-07\n"
                                    "10,-1.0,i,2001-06-08T00:00:00Z,2001-06-08\n";

static cairn_table *table_of(const cairn_dataset_schema *s, const char *csv)
{
    cairn_field *fields;
    assert_int_equal(cairn_dataset_schema_fields(s, &fields), 0);
    cairn_read_options opts;
    cairn_read_options_init(&opts);
    opts.fields = fields;
    opts.nfields = cairn_dataset_schema_num_fields(s);
    cairn_table *t = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_csv_read(csv, strlen(csv), "t.csv", &opts, &t, &e), &e);
    cairn_free(fields);
    return t;
}

#define NOW_US (INT64_C(993945600000000)) /* 2001-07-01T00:00:00Z */

static cairn_quality_report *evaluate(const char *checks, const char *csv, int64_t previous_rows)
{
    cairn_dataset_schema *s = schema_with(checks);
    cairn_table *t = table_of(s, csv);
    cairn_quality_context ctx = {NOW_US, previous_rows};
    cairn_quality_report *rep = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_quality_evaluate(s, t, &ctx, &rep, &e), &e);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
    return rep;
}

/* ------------------------------------------------------------------------------------------
 * Load-time errors
 * ---------------------------------------------------------------------------------------- */

static void test_yaml_errors(void **state)
{
    (void)state;
    expect_check_error(
        "  - {completness: x, at_least: 0.5}\n", CAIRN_EPARSE,
        "schema.yaml:9:6: checks[0]: unknown check 'completness' (known: completeness, "
        "uniqueness, row_count, mean, quantile, freshness)");
    expect_check_error(
        "  - {completeness: x, at_least: 0.5, between: [1, 2]}\n", CAIRN_EPARSE,
        "schema.yaml:9:38: checks[0]: unknown key 'between' for a completeness check "
        "(known: at_least, severity, name)");
    expect_check_error(
        "  - {row_count: {min: 1}}\n  - {completeness: x}\n", CAIRN_EPARSE,
        "schema.yaml:10:5: checks[1]: missing key 'at_least' (the fraction of non-null "
        "rows required, e.g. 0.99)");
    expect_check_error(
        "  - {uniqueness: id}\n", CAIRN_EPARSE,
        "schema.yaml:9:5: checks[0]: missing key 'at_least' (the fraction of rows with a "
        "unique key required, e.g. 1.0)");
    expect_check_error(
        "  - {completeness: x, at_least: 1.5}\n", CAIRN_ETYPE,
        "schema.yaml:9:33: checks[0]: key 'at_least': expected a number between 0 and 1, "
        "found '1.5'");
    expect_check_error(
        "  - {quantile: x, q: 1.5, between: [0, 1]}\n", CAIRN_ETYPE,
        "schema.yaml:9:22: checks[0]: key 'q': expected a number between 0 and 1, found '1.5'");
    expect_check_error(
        "  - {quantile: x, q: -0.1, between: [0, 1]}\n", CAIRN_ETYPE,
        "schema.yaml:9:22: checks[0]: key 'q': expected a number between 0 and 1, found '-0.1'");
    expect_check_error("  - {quantile: x, between: [0, 1]}\n", CAIRN_EPARSE,
                       "schema.yaml:9:5: checks[0]: missing key 'q' (the quantile, e.g. 0.95)");
    expect_check_error(
        "  - {mean: x, between: [5, 1]}\n", CAIRN_EPARSE,
        "schema.yaml:9:24: checks[0]: key 'between': the lower bound 5 is greater than the "
        "upper bound 1");
    expect_check_error("  - {mean: x, between: [0, x]}\n", CAIRN_ETYPE,
                       "schema.yaml:9:28: checks[0]: key 'between': expected a number, found 'x'");
    expect_check_error(
        "  - {mean: x, between: 3}\n", CAIRN_ETYPE,
        "schema.yaml:9:24: checks[0]: key 'between': expected a list [LO, HI], found '3'");
    expect_check_error(
        "  - {mean: x}\n", CAIRN_EPARSE,
        "schema.yaml:9:5: checks[0]: missing key 'between' (the bounds, e.g. [0, 30])");
    expect_check_error(
        "  - {mean: s, between: [0, 1]}\n", CAIRN_ETYPE,
        "schema.yaml:9:12: checks[0]: key 'mean': 's' is string; expected a numeric field");
    expect_check_error(
        "  - {mean: zz, between: [0, 1]}\n", CAIRN_EPARSE,
        "schema.yaml:9:12: checks[0]: key 'mean': 'zz' is not a field of the schema");
    expect_check_error(
        "  - {uniqueness: [id, zz], at_least: 1}\n", CAIRN_EPARSE,
        "schema.yaml:9:23: checks[0]: key 'uniqueness': 'zz' is not a field of the schema");
    expect_check_error(
        "  - {freshness: id, max_lag: 2d}\n", CAIRN_ETYPE,
        "schema.yaml:9:17: checks[0]: key 'freshness': 'id' is int64; expected a timestamp "
        "or date field");
    expect_check_error(
        "  - {freshness: at, max_lag: 2x}\n", CAIRN_ETYPE,
        "schema.yaml:9:30: checks[0]: key 'max_lag': expected a duration such as 2d, 12h or "
        "90m, found '2x'");
    expect_check_error(
        "  - {freshness: at, max_lag: 30}\n", CAIRN_ETYPE,
        "schema.yaml:9:30: checks[0]: key 'max_lag': expected a duration such as 2d, 12h or "
        "90m, found '30'");
    expect_check_error(
        "  - {row_count: {min: -1}}\n", CAIRN_ETYPE,
        "schema.yaml:9:23: checks[0]: key 'min': expected a non-negative integer, found '-1'");
    expect_check_error(
        "  - {row_count: {mins: 1}}\n", CAIRN_EPARSE,
        "schema.yaml:9:18: checks[0]: unknown key 'mins' in row_count (known: min, max, "
        "max_change)");
    expect_check_error(
        "  - {row_count: {}}\n", CAIRN_EPARSE,
        "schema.yaml:9:17: checks[0]: key 'row_count': expected at least one of min, max, "
        "max_change");
    expect_check_error("  - {row_count: {min: 5, max: 1}}\n", CAIRN_EPARSE,
                       "schema.yaml:9:31: checks[0]: key 'max': max 1 is less than min 5");
    expect_check_error(
        "  - {row_count: {max_change: -0.5}}\n", CAIRN_ETYPE,
        "schema.yaml:9:30: checks[0]: key 'max_change': expected a non-negative number "
        "(0.5 = 50%), found '-0.5'");
    expect_check_error(
        "  - {row_count: 5}\n", CAIRN_ETYPE,
        "schema.yaml:9:17: checks[0]: key 'row_count': expected a mapping {min, max, "
        "max_change}, found '5'");
    expect_check_error("  - {mean: x, quantile: x, between: [0, 1]}\n", CAIRN_EPARSE,
                       "schema.yaml:9:15: checks[0]: a check has one check key, found both "
                       "'mean' and 'quantile' (write one list item per check)");
    expect_check_error(
        "  - {completeness: x, at_least: 1, severity: fatal}\n", CAIRN_ETYPE,
        "schema.yaml:9:46: checks[0]: key 'severity': expected error or warning, found 'fatal'");
    expect_check_error(
        "  - {completeness: x, at_least: 1, name: [a]}\n", CAIRN_ETYPE,
        "schema.yaml:9:42: checks[0]: key 'name': expected a name of 1 to 159 bytes, found a list");
    expect_check_error(
        "  - {severity: warning}\n", CAIRN_EPARSE,
        "schema.yaml:9:5: checks[0]: expected a check key (one of completeness, uniqueness, "
        "row_count, mean, quantile, freshness)");
    /* block style: the line of the offending key */
    expect_check_error(
        "  - name: x is complete\n    completeness: x\n    at_least: 2\n", CAIRN_ETYPE,
        "schema.yaml:11:15: checks[0]: key 'at_least': expected a number between 0 and 1, "
        "found '2'");
}

static void test_all_forms_load(void **state)
{
    (void)state;
    cairn_dataset_schema *s =
        schema_with("  - {completeness: x, at_least: 0.99}\n"
                    "  - {uniqueness: id, at_least: 1.0}\n"
                    "  - {uniqueness: [id, s], at_least: 1}\n"
                    "  - {row_count: {min: 1, max: 100}}\n"
                    "  - {row_count: {max_change: 0.5}}\n"
                    "  - {mean: x, between: [0, 5]}\n"
                    "  - {quantile: x, q: 0.95, between: [0, 10], name: p95}\n"
                    "  - {freshness: at, max_lag: 2d, severity: warning}\n"
                    "  - {freshness: day, max_lag: 36h, severity: error}\n");
    assert_int_equal(json_array_size(cairn_dataset_schema_checks(s)), 9);
    /* the registry's canonical JSON round trip keeps the checks loadable */
    json_t *j;
    assert_int_equal(cairn_dataset_schema_to_json(s, &j), 0);
    cairn_dataset_schema *back;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_dataset_schema_from_json(j, &back, &e), &e);
    json_decref(j);
    cairn_table *t = table_of(back, rows_csv);
    cairn_quality_report *rep;
    CAIRN_ASSERT_OK(cairn_quality_evaluate(back, t, NULL, &rep, &e), &e);
    assert_int_equal(rep->evaluated, 9);
    assert_string_equal(rep->results[6].name, "p95");
    assert_string_equal(rep->results[6].label, "quantile(x, 0.95) in [0, 10]");
    cairn_quality_report_free(rep);
    cairn_table_free(t);
    cairn_dataset_schema_free(back);
    cairn_dataset_schema_free(s);
}

/* ------------------------------------------------------------------------------------------
 * Each form, passing and failing
 * ---------------------------------------------------------------------------------------- */

static void test_completeness(void **state)
{
    (void)state;
    cairn_quality_report *rep = evaluate("  - {completeness: x, at_least: 0.8}\n"
                                         "  - {completeness: x, at_least: 0.81}\n"
                                         "  - {completeness: id, at_least: 1}\n",
                                         rows_csv, -1);
    const cairn_check_result *r = rep->results;
    assert_string_equal(r[0].name, "completeness(x) >= 0.8");
    assert_string_equal(r[0].kind, "completeness");
    assert_string_equal(r[0].column, "x");
    assert_true(r[0].passed);
    assert_true(r[0].has_observed);
    assert_true(r[0].observed == 0.8);
    assert_string_equal(r[0].observed_text, "0.8000");
    assert_string_equal(r[0].expected, ">= 0.8");
    assert_string_equal(r[0].detail, "2 of 10 rows are null");
    assert_null(r[0].examples_json);
    assert_false(r[1].passed);
    assert_false(r[1].warning);
    assert_string_equal(
        r[1].examples_json,
        "[{\"_row\":2,\"id\":3,\"x\":null,\"s\":\"c\",\"at\":\"2001-06-03T00:00:00Z\","
        "\"day\":\"2001-06-03\"},{\"_row\":6,\"id\":7,\"x\":null,\"s\":\"f\","
        "\"at\":\"2001-06-06T00:00:00Z\",\"day\":\"2001-06-06\"}]");
    assert_true(r[2].passed);
    assert_string_equal(r[2].detail, "no nulls in 10 rows");
    assert_int_equal(rep->evaluated, 3);
    assert_int_equal(rep->passed, 2);
    assert_int_equal(rep->failed, 1);
    assert_int_equal(rep->warnings, 0);
    assert_int_equal(rep->rows, 10);
    assert_string_equal(rep->dataset, "t");
    cairn_quality_report_free(rep);
}

static void test_uniqueness(void **state)
{
    (void)state;
    /* id: 8 appears twice -> 8 of 10 unique; (s) all but 'a' -> 8 of 10; x: non-null only */
    cairn_quality_report *rep =
        evaluate("  - {uniqueness: id, at_least: 0.8}\n"
                 "  - {uniqueness: id, at_least: 0.9}\n"
                 "  - {uniqueness: [id, s], at_least: 1}\n"
                 "  - {uniqueness: x, at_least: 1}\n"
                 "  - {uniqueness: [s], at_least: 0.9, severity: warning}\n",
                 rows_csv, -1);
    const cairn_check_result *r = rep->results;
    assert_true(r[0].passed);
    assert_true(r[0].observed == 0.8);
    assert_string_equal(r[0].detail, "8 of 10 rows have a key that occurs once");
    assert_false(r[1].passed);
    assert_string_equal(
        r[1].examples_json,
        "[{\"_row\":7,\"id\":8,\"x\":3.0,\"s\":\"g\",\"at\":null,\"day\":null},"
        "{\"_row\":8,\"id\":8,\"x\":2.0,\"s\":\"h\",\"at\":\"2001-06-07T00:00:00Z\","
        "\"day\":\"2001-06-07\"}]");
    assert_true(r[2].passed); /* (8, g) and (8, h) differ */
    assert_string_equal(r[2].name, "uniqueness(id, s) >= 1");
    assert_string_equal(r[2].column, "id,s");
    assert_true(r[3].passed);
    assert_string_equal(r[3].detail, "8 of 8 rows have a key that occurs once");
    assert_false(r[4].passed);
    assert_true(r[4].warning);
    assert_int_equal(rep->passed, 3);
    assert_int_equal(rep->failed, 1);
    assert_int_equal(rep->warnings, 1);
    cairn_quality_report_free(rep);
}

/* Uniqueness counts rows with at least one non-null key column; null equals null. */
static void test_uniqueness_nulls_in_keys(void **state)
{
    (void)state;
    cairn_quality_report *rep = evaluate("  - {uniqueness: [id, x], at_least: 0}\n",
                                         "id,x,s,at,day\n1,,a,,\n1,,b,,\n,,c,,\n2,1.0,d,,\n", -1);
    assert_true(rep->results[0].observed == 1.0 / 3.0);
    cairn_quality_report_free(rep);
}

static void test_row_count(void **state)
{
    (void)state;
    const char *checks = "  - {row_count: {min: 1, max: 10}}\n"
                         "  - {row_count: {min: 11}}\n"
                         "  - {row_count: {max: 9}}\n"
                         "  - {row_count: {max_change: 0.5}}\n"
                         "  - {row_count: {min: 1, max_change: 0.1}}\n";
    cairn_quality_report *rep = evaluate(checks, rows_csv, 8);
    const cairn_check_result *r = rep->results;
    assert_true(r[0].passed);
    assert_string_equal(r[0].name, "row_count in [1, 10]");
    assert_string_equal(r[0].column, "");
    assert_true(r[0].observed == 10);
    assert_string_equal(r[0].observed_text, "10");
    assert_false(r[1].passed);
    assert_string_equal(r[1].expected, ">= 11");
    assert_false(r[2].passed);
    assert_string_equal(r[2].expected, "<= 9");
    assert_true(r[3].passed); /* 10 vs 8: 25% */
    assert_string_equal(r[3].name, "row_count change <= 0.5");
    assert_true(r[3].observed == 0.25);
    assert_string_equal(r[3].detail, "10 rows; the previous batch had 8 (change 25.0%)");
    assert_false(r[4].passed);
    assert_string_equal(r[4].expected, ">= 1, change <= 0.1");
    assert_true(r[4].observed == 10);
    assert_null(r[4].examples_json);
    cairn_quality_report_free(rep);
    /* no previous batch, or an empty one: change passes */
    rep = evaluate(checks, rows_csv, -1);
    assert_true(rep->results[3].passed);
    assert_false(rep->results[3].has_observed);
    assert_string_equal(rep->results[3].detail, "10 rows; no previous batch to compare with");
    cairn_quality_report_free(rep);
    rep = evaluate(checks, rows_csv, 0);
    assert_true(rep->results[3].passed);
    assert_string_equal(rep->results[3].detail,
                        "10 rows; the previous batch was empty, so change is not defined");
    cairn_quality_report_free(rep);
}

static void test_mean(void **state)
{
    (void)state;
    /* x: 1.5 2.5 4 10 0.5 3 2 -1 -> 22.5 / 8 = 2.8125 */
    cairn_quality_report *rep = evaluate("  - {mean: x, between: [2, 3]}\n"
                                         "  - {mean: x, between: [0, 2.5]}\n"
                                         "  - {mean: x, between: [3, 4]}\n"
                                         "  - {mean: id, between: [5, 6]}\n",
                                         rows_csv, -1);
    const cairn_check_result *r = rep->results;
    assert_true(r[0].passed);
    assert_true(r[0].observed == 2.8125);
    assert_string_equal(r[0].observed_text, "2.81");
    assert_string_equal(r[0].name, "mean(x) in [2, 3]");
    assert_string_equal(r[0].detail, "mean of 8 values");
    /* too high: the largest values are the examples, largest first */
    assert_false(r[1].passed);
    json_t *ex = json_loads(r[1].examples_json, 0, NULL);
    assert_int_equal(json_array_size(ex), 5);
    static const double high[] = {10.0, 4.0, 3.0, 2.5, 2.0};
    for (size_t i = 0; i < 5; i++)
        assert_true(json_real_value(json_object_get(json_array_get(ex, i), "x")) == high[i]);
    json_decref(ex);
    /* too low: the smallest */
    assert_false(r[2].passed);
    ex = json_loads(r[2].examples_json, 0, NULL);
    assert_true(json_real_value(json_object_get(json_array_get(ex, 0), "x")) == -1.0);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(ex, 0), "_row")), 9);
    assert_true(json_real_value(json_object_get(json_array_get(ex, 1), "x")) == 0.5);
    json_decref(ex);
    assert_true(r[3].passed); /* (1+..+8 + 8 + 10) / 10 = 5.4 */
    assert_true(r[3].observed == 5.4);
    cairn_quality_report_free(rep);
}

static void test_quantile(void **state)
{
    (void)state;
    /* x sorted: -1 0.5 1.5 2 2.5 3 4 10 (n = 8); NumPy: q=0.5 -> h=3.5 -> 2.25;
     * q=0.95 -> h=6.65 -> 4 + 0.65 * 6 = 7.9; q=0 -> -1; q=1 -> 10 */
    cairn_quality_report *rep = evaluate("  - {quantile: x, q: 0.5, between: [2, 2.5]}\n"
                                         "  - {quantile: x, q: 0.95, between: [0, 5]}\n"
                                         "  - {quantile: x, q: 0, between: [-1, -1]}\n"
                                         "  - {quantile: x, q: 1, between: [10, 10]}\n"
                                         "  - {quantile: id, q: 0.25, between: [3, 4]}\n",
                                         rows_csv, -1);
    const cairn_check_result *r = rep->results;
    assert_true(r[0].passed);
    assert_true(r[0].observed == 2.25);
    assert_string_equal(r[0].name, "quantile(x, 0.5) in [2, 2.5]");
    assert_string_equal(r[0].detail, "quantile 0.5 of 8 values");
    assert_false(r[1].passed);
    assert_true(fabs(r[1].observed - 7.9) < 1e-12);
    json_t *ex = json_loads(r[1].examples_json, 0, NULL);
    assert_true(json_real_value(json_object_get(json_array_get(ex, 0), "x")) == 10.0);
    json_decref(ex);
    assert_true(r[2].passed && r[2].observed == -1);
    assert_true(r[3].passed && r[3].observed == 10);
    /* id sorted 1..8 8 10: h = 2.25 -> 3.25 */
    assert_true(r[4].passed);
    assert_true(r[4].observed == 3.25);
    cairn_quality_report_free(rep);
}

static void test_freshness(void **state)
{
    (void)state;
    /* newest at: 2001-06-30T12:00:00Z, 12h before NOW; newest day 2001-06-30: 24h */
    cairn_quality_report *rep = evaluate("  - {freshness: at, max_lag: 12h}\n"
                                         "  - {freshness: at, max_lag: 11h59m}\n"
                                         "  - {freshness: day, max_lag: 1d}\n"
                                         "  - {freshness: day, max_lag: 23h, severity: warning}\n",
                                         rows_csv, -1);
    const cairn_check_result *r = rep->results;
    assert_true(r[0].passed);
    assert_true(r[0].observed == 43200);
    assert_string_equal(r[0].observed_text, "12h");
    assert_string_equal(r[0].name, "freshness(at) <= 12h");
    assert_string_equal(r[0].expected, "<= 12h");
    assert_string_equal(
        r[0].detail,
        "the newest event time 2001-06-30T12:00:00Z is 12h old at 2001-07-01T00:00:00Z");
    assert_false(r[1].passed);
    assert_string_equal(
        r[1].examples_json,
        "[{\"_row\":4,\"id\":5,\"x\":10.0,\"s\":\"d\",\"at\":\"2001-06-30T12:00:00Z\","
        "\"day\":\"2001-06-30\"}]");
    assert_true(r[2].passed);
    assert_string_equal(r[2].observed_text, "1d");
    assert_false(r[3].passed);
    assert_true(r[3].warning);
    assert_int_equal(rep->failed, 1);
    assert_int_equal(rep->warnings, 1);
    cairn_quality_report_free(rep);
}

static void test_no_values(void **state)
{
    (void)state;
    cairn_quality_report *rep = evaluate("  - {completeness: x, at_least: 1}\n"
                                         "  - {uniqueness: id, at_least: 1}\n"
                                         "  - {mean: x, between: [0, 1]}\n"
                                         "  - {quantile: x, q: 0.5, between: [0, 1]}\n"
                                         "  - {freshness: at, max_lag: 1d}\n"
                                         "  - {row_count: {min: 1}}\n",
                                         "id,x,s,at,day\n", -1);
    const cairn_check_result *r = rep->results;
    assert_true(r[0].passed && !r[0].has_observed);
    assert_string_equal(r[0].detail, "no rows to check");
    assert_true(r[1].passed && !r[1].has_observed);
    assert_false(r[2].passed || r[2].has_observed);
    assert_string_equal(r[2].detail, "no non-null values");
    assert_false(r[3].passed || r[3].has_observed);
    assert_false(r[4].passed || r[4].has_observed);
    assert_string_equal(r[4].detail, "no non-null event times");
    assert_false(r[5].passed);
    assert_true(r[5].has_observed && r[5].observed == 0);
    cairn_quality_report_free(rep);
}

/* ------------------------------------------------------------------------------------------
 * The report: JSON and text
 * ---------------------------------------------------------------------------------------- */

static const char *const report_checks = "  - {completeness: x, at_least: 0.75}\n"
                                         "  - {mean: x, between: [0, 2], name: x is small}\n"
                                         "  - {freshness: at, max_lag: 1h, severity: warning}\n"
                                         "  - {row_count: {min: 1}}\n";

static void test_report_json(void **state)
{
    (void)state;
    cairn_quality_report *rep = evaluate(report_checks, rows_csv, -1);
    json_t *j;
    assert_int_equal(cairn_quality_report_json(rep, &j), 0);
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    assert_int_equal(cairn_json_dump(j, 0, &buf), 0);
    assert_string_equal(
        buf.data,
        "{\"dataset\":\"t\",\"rows\":10,\"success\":false,\"statistics\":{\"evaluated_checks\":4,"
        "\"successful_checks\":2,\"unsuccessful_checks\":1,\"warnings\":1,\"success_percent\":50.0}"
        ","
        "\"results\":["
        "{\"name\":\"completeness(x) >= "
        "0.75\",\"kind\":\"completeness\",\"column\":\"x\",\"success\":true,"
        "\"severity\":\"error\",\"observed\":0.8,\"expected\":\">= 0.75\",\"detail\":\"2 of 10 "
        "rows are null\","
        "\"examples\":[]},"
        "{\"name\":\"x is "
        "small\",\"kind\":\"mean\",\"column\":\"x\",\"success\":false,\"severity\":\"error\","
        "\"observed\":2.8125,\"expected\":\"in [0, 2]\",\"detail\":\"mean of 8 "
        "values\",\"examples\":["
        "{\"_row\":4,\"id\":5,\"x\":10.0,\"s\":\"d\",\"at\":\"2001-06-30T12:00:00Z\",\"day\":"
        "\"2001-06-30\"},"
        "{\"_row\":3,\"id\":4,\"x\":4.0,\"s\":\"a\",\"at\":\"2001-06-04T00:00:00Z\",\"day\":\"2001-"
        "06-04\"},"
        "{\"_row\":7,\"id\":8,\"x\":3.0,\"s\":\"g\",\"at\":null,\"day\":null},"
        "{\"_row\":1,\"id\":2,\"x\":2.5,\"s\":\"b\",\"at\":\"2001-06-02T00:00:00Z\",\"day\":\"2001-"
        "06-02\"},"
        "{\"_row\":8,\"id\":8,\"x\":2.0,\"s\":\"h\",\"at\":\"2001-06-07T00:00:00Z\",\"day\":\"2001-"
        "06-07\"}]},"
        "{\"name\":\"freshness(at) <= "
        "1h\",\"kind\":\"freshness\",\"column\":\"at\",\"success\":false,"
        "\"severity\":\"warning\",\"observed\":43200.0,\"expected\":\"<= 1h\",\"detail\":\"the "
        "newest event "
        "time 2001-06-30T12:00:00Z is 12h old at 2001-07-01T00:00:00Z\",\"examples\":["
        "{\"_row\":4,\"id\":5,\"x\":10.0,\"s\":\"d\",\"at\":\"2001-06-30T12:00:00Z\",\"day\":"
        "\"2001-06-30\"}]},"
        "{\"name\":\"row_count >= 1\",\"kind\":\"row_count\",\"column\":\"\",\"success\":true,"
        "\"severity\":\"error\",\"observed\":10,\"expected\":\">= 1\",\"detail\":\"10 "
        "rows\",\"examples\":[]}]}");
    cairn_buf_release(&buf);
    json_decref(j);
    cairn_quality_report_free(rep);
}

static void test_report_text(void **state)
{
    (void)state;
    cairn_quality_report *rep = evaluate(report_checks, rows_csv, -1);
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    assert_int_equal(cairn_quality_report_text(rep, &buf), 0);
    assert_string_equal(
        buf.data, "quality of t (10 rows): 4 checks, 2 passed, 1 failed, 1 warning\n"
                  "  PASS completeness(x) >= 0.75: observed 0.8000\n"
                  "  FAIL x is small (mean(x) in [0, 2]): observed 2.81 (mean of 8 values)\n"
                  "      "
                  "{\"_row\":4,\"id\":5,\"x\":10.0,\"s\":\"d\",\"at\":\"2001-06-30T12:00:00Z\","
                  "\"day\":\"2001-06-30\"}\n"
                  "      "
                  "{\"_row\":3,\"id\":4,\"x\":4.0,\"s\":\"a\",\"at\":\"2001-06-04T00:00:00Z\","
                  "\"day\":\"2001-06-04\"}\n"
                  "      {\"_row\":7,\"id\":8,\"x\":3.0,\"s\":\"g\",\"at\":null,\"day\":null}\n"
                  "      "
                  "{\"_row\":1,\"id\":2,\"x\":2.5,\"s\":\"b\",\"at\":\"2001-06-02T00:00:00Z\","
                  "\"day\":\"2001-06-02\"}\n"
                  "      "
                  "{\"_row\":8,\"id\":8,\"x\":2.0,\"s\":\"h\",\"at\":\"2001-06-07T00:00:00Z\","
                  "\"day\":\"2001-06-07\"}\n"
                  "  WARN freshness(at) <= 1h: observed 12h (the newest event time "
                  "2001-06-30T12:00:00Z is 12h old "
                  "at 2001-07-01T00:00:00Z)\n"
                  "      "
                  "{\"_row\":4,\"id\":5,\"x\":10.0,\"s\":\"d\",\"at\":\"2001-06-30T12:00:00Z\","
                  "\"day\":\"2001-06-30\"}\n"
                  "  PASS row_count >= 1: observed 10\n");
    cairn_buf_release(&buf);
    cairn_quality_report_free(rep);
}

/* Large numbers are grouped in the text; an empty report still has its summary line. */
static void test_report_large_and_empty(void **state)
{
    (void)state;
    cairn_dataset_schema *s = schema_with("  - {row_count: {max: 1000}}\n");
    cairn_table *t = cairn_test_table();
    cairn_column *cols[5];
    static const char *const names[] = {"id", "x", "s", "at", "day"};
    static const cairn_type types[] = {CAIRN_TYPE_INT64, CAIRN_TYPE_FLOAT64, CAIRN_TYPE_STRING,
                                       CAIRN_TYPE_TIMESTAMP, CAIRN_TYPE_DATE32};
    for (int i = 0; i < 5; i++)
        cols[i] = cairn_test_add(t, names[i], types[i]);
    for (int64_t r = 0; r < 1234567; r++)
        for (int i = 0; i < 5; i++)
            assert_int_equal(cairn_column_append_null(cols[i]), 0);
    cairn_quality_report *rep;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_quality_evaluate(s, t, NULL, &rep, &e), &e);
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    assert_int_equal(cairn_quality_report_text(rep, &buf), 0);
    assert_string_equal(buf.data,
                        "quality of t (1,234,567 rows): 1 checks, 0 passed, 1 failed, 0 warnings\n"
                        "  FAIL row_count <= 1000: observed 1,234,567 (1,234,567 rows)\n");
    cairn_buf_release(&buf);
    cairn_quality_report_free(rep);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);

    s = schema_with("  []\n");
    t = table_of(s, rows_csv);
    CAIRN_ASSERT_OK(cairn_quality_evaluate(s, t, NULL, &rep, &e), &e);
    json_t *j;
    assert_int_equal(cairn_quality_report_json(rep, &j), 0);
    assert_true(json_is_true(json_object_get(j, "success")));
    assert_true(json_real_value(
                    json_object_get(json_object_get(j, "statistics"), "success_percent")) == 100.0);
    json_decref(j);
    cairn_quality_report_free(rep);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

static void test_evaluate_errors(void **state)
{
    (void)state;
    cairn_dataset_schema *s =
        schema_with("  - {row_count: {min: 1}}\n  - {mean: x, between: [0, 1]}\n");
    cairn_table *t = cairn_test_table();
    cairn_test_add(t, "id", CAIRN_TYPE_INT64);
    cairn_quality_report *rep = (cairn_quality_report *)1;
    cairn_error e;
    cairn_error_clear(&e);
    assert_int_equal(cairn_quality_evaluate(s, t, NULL, &rep, &e), CAIRN_EINVAL);
    assert_null(rep);
    assert_string_equal(e.message, "checks[1] (mean(x) in [0, 1]): column 'x' is not in the table");
    cairn_test_add(t, "x", CAIRN_TYPE_STRING);
    assert_int_equal(cairn_quality_evaluate(s, t, NULL, &rep, &e), CAIRN_ETYPE);
    assert_string_equal(e.message,
                        "checks[1] (mean(x) in [0, 1]): column 'x' is string; expected a number");
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
    /* a hand-made canonical schema with a bad check is refused when evaluated */
    s = schema_with("  - {row_count: {min: 1}}\n");
    json_t *j;
    assert_int_equal(cairn_dataset_schema_to_json(s, &j), 0);
    json_array_append_new(json_object_get(j, "checks"),
                          json_pack("{s:s, s:f}", "completeness", "x", "at_least", 2.0));
    cairn_dataset_schema *bad;
    CAIRN_ASSERT_OK(cairn_dataset_schema_from_json(j, &bad, &e), &e);
    json_decref(j);
    t = table_of(s, rows_csv);
    assert_int_equal(cairn_quality_evaluate(bad, t, NULL, &rep, &e), CAIRN_ETYPE);
    assert_string_equal(
        e.message, "checks[1]: key 'at_least': expected a number between 0 and 1, found '2.0'");
    cairn_table_free(t);
    cairn_dataset_schema_free(bad);
    cairn_dataset_schema_free(s);
}

/* The example schema's checks load and evaluate on a table shaped like the flights. */
static void test_flights_example_checks(void **state)
{
    (void)state;
    cairn_dataset_schema *s;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_dataset_schema_load(CAIRN_TOP "/examples/flights/schema.yaml", &s, &e),
                    &e);
    assert_true(json_array_size(cairn_dataset_schema_checks(s)) >= 5);
    cairn_table *t = table_of(s, "date,delay,distance,origin,destination\n"
                                 "2001-01-01T06:00:00Z,5,300,SFO,LAX\n");
    cairn_quality_report *rep;
    CAIRN_ASSERT_OK(cairn_quality_evaluate(s, t, NULL, &rep, &e), &e);
    assert_int_equal(rep->evaluated, json_array_size(cairn_dataset_schema_checks(s)));
    cairn_quality_report_free(rep);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

/* ------------------------------------------------------------------------------------------
 * Oracle support (tests/oracles/test_checks_duckdb.sh)
 * ---------------------------------------------------------------------------------------- */

static void test_oracle_dump(void **state)
{
    (void)state;
    const char *csv = getenv("CAIRN_CHECKS_ORACLE_CSV"), *out = getenv("CAIRN_CHECKS_ORACLE_OUT");
    if (!csv || !out) skip();
    static const char *const yaml =
        "dataset: oracle\nfields:\n"
        "  - {name: id, type: int64}\n  - {name: x, type: float64}\n"
        "  - {name: n, type: int64}\n  - {name: k, type: string}\n"
        "checks:\n"
        "  - {completeness: x, at_least: 0, name: completeness_x}\n"
        "  - {completeness: k, at_least: 0, name: completeness_k}\n"
        "  - {uniqueness: id, at_least: 0, name: uniqueness_id}\n"
        "  - {uniqueness: [k, n], at_least: 0, name: uniqueness_k_n}\n"
        "  - {mean: x, between: [-1e300, 1e300], name: mean_x}\n"
        "  - {mean: n, between: [-1e300, 1e300], name: mean_n}\n"
        "  - {quantile: x, q: 0, between: [-1e300, 1e300], name: q0_x}\n"
        "  - {quantile: x, q: 0.1, between: [-1e300, 1e300], name: q10_x}\n"
        "  - {quantile: x, q: 0.25, between: [-1e300, 1e300], name: q25_x}\n"
        "  - {quantile: x, q: 0.5, between: [-1e300, 1e300], name: q50_x}\n"
        "  - {quantile: x, q: 0.95, between: [-1e300, 1e300], name: q95_x}\n"
        "  - {quantile: x, q: 0.999, between: [-1e300, 1e300], name: q999_x}\n"
        "  - {quantile: x, q: 1, between: [-1e300, 1e300], name: q100_x}\n"
        "  - {quantile: n, q: 0.33, between: [-1e300, 1e300], name: q33_n}\n"
        "  - {quantile: n, q: 0.5, between: [-1e300, 1e300], name: q50_n}\n"
        "  - {quantile: id, q: 0.9, between: [-1e300, 1e300], name: q90_id}\n";
    cairn_dataset_schema *s;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_dataset_schema_parse(yaml, strlen(yaml), "oracle.yaml", &s, &e), &e);
    cairn_field *fields;
    assert_int_equal(cairn_dataset_schema_fields(s, &fields), 0);
    cairn_read_options opts;
    cairn_read_options_init(&opts);
    opts.fields = fields;
    opts.nfields = cairn_dataset_schema_num_fields(s);
    cairn_table *t;
    CAIRN_ASSERT_OK(cairn_csv_read_file(csv, &opts, &t, &e), &e);
    cairn_free(fields);
    cairn_quality_report *rep;
    CAIRN_ASSERT_OK(cairn_quality_evaluate(s, t, NULL, &rep, &e), &e);
    json_t *obs = json_object();
    for (size_t i = 0; i < rep->nresults; i++)
        json_object_set_new(obs, rep->results[i].name, json_real(rep->results[i].observed));
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    assert_int_equal(cairn_json_dump(obs, CAIRN_JSON_PRETTY, &buf), 0);
    CAIRN_ASSERT_OK(cairn_file_write_atomic(out, buf.data, buf.len, &e), &e);
    cairn_buf_release(&buf);
    json_decref(obs);
    cairn_quality_report_free(rep);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_errors),
        cmocka_unit_test(test_all_forms_load),
        cmocka_unit_test(test_completeness),
        cmocka_unit_test(test_uniqueness),
        cmocka_unit_test(test_uniqueness_nulls_in_keys),
        cmocka_unit_test(test_row_count),
        cmocka_unit_test(test_mean),
        cmocka_unit_test(test_quantile),
        cmocka_unit_test(test_freshness),
        cmocka_unit_test(test_no_values),
        cmocka_unit_test(test_report_json),
        cmocka_unit_test(test_report_text),
        cmocka_unit_test(test_report_large_and_empty),
        cmocka_unit_test(test_evaluate_errors),
        cmocka_unit_test(test_flights_example_checks),
        cmocka_unit_test(test_oracle_dump),
    };
    if (getenv("CAIRN_CHECKS_ORACLE_CSV")) cmocka_set_test_filter("test_oracle_dump");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
