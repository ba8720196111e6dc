#include "testutil.h"

/* tests/unit/ingest/test_validate.c: record validation (src/ingest/validate.c): every
 * constraint with its exact reason text, plain and dictionary strings, nulls, unique fields of
 * every kind, the ordering of violations, type and column errors, a table of several chunks
 * checked in parallel, and allocation failure at every step. */

#include <math.h>
#include <stdio.h>
#include <string.h>

static cairn_dataset_schema *schema_of(const char *yaml)
{
    cairn_dataset_schema *s = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_dataset_schema_parse(yaml, strlen(yaml), "schema.yaml", &s, &e), &e);
    return s;
}

/* A table with the schema's columns (all nullable, so that non-nullable nulls can be fed)
 * read from CSV text. */
static cairn_table *table_of(const cairn_dataset_schema *s, const char *csv)
{
    cairn_field *fields;
    assert_int_equal(cairn_dataset_schema_fields(s, &fields), 0);
    size_t n = cairn_dataset_schema_num_fields(s);
    for (size_t i = 0; i < n; i++)
        fields[i].nullable = true;
    cairn_read_options opts;
    cairn_read_options_init(&opts);
    opts.fields = fields;
    opts.nfields = n;
    cairn_table *t = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_csv_read(csv, strlen(csv), "t.csv", &opts, &t, &e), &e);
    cairn_free(fields);
    return t;
}

typedef struct result {
    cairn_violation *v;
    size_t n;
    uint8_t keep[64];
} result;

static void validate(const cairn_dataset_schema *s, const cairn_table *t, result *r)
{
    cairn_error e;
    cairn_error_clear(&e);
    assert_true(cairn_table_num_rows(t) <= 64);
    memset(r->keep, 7, sizeof r->keep);
    CAIRN_ASSERT_OK(cairn_validate_records(s, t, r->keep, &r->v, &r->n, &e), &e);
}

static void expect_violation(const result *r, size_t i, int64_t row, int32_t field,
                             const char *reason)
{
    if (i >= r->n) fail_msg("violation %zu missing (only %zu)", i, r->n);
    assert_int_equal(r->v[i].row, row);
    assert_int_equal(r->v[i].field, field);
    assert_string_equal(r->v[i].reason, reason);
}

static void test_numeric_bounds(void **state)
{
    (void)state;
    cairn_dataset_schema *s = schema_of("dataset: t\nfields:\n"
                                        "  - {name: delay, type: int64, min: -1440, max: 2880}\n"
                                        "  - {name: ratio, type: float64, min: 0, max: 1.5}\n"
                                        "  - {name: small, type: int32, min: 1}\n");
    cairn_table *t = table_of(s, "delay,ratio,small\n"
                                 "3000,0.5,1\n"
                                 "-1441,1.75,0\n"
                                 "2880,1.5,5\n"
                                 "-1440,-0.25,\n"
                                 "0,nan,2\n");
    result r;
    validate(s, t, &r);
    assert_int_equal(r.n, 6);
    expect_violation(&r, 0, 0, 0, "value 3000 is above the maximum 2880");
    expect_violation(&r, 1, 1, 0, "value -1441 is below the minimum -1440");
    expect_violation(&r, 2, 1, 1, "value 1.75 is above the maximum 1.5");
    expect_violation(&r, 3, 1, 2, "value 0 is below the minimum 1");
    expect_violation(&r, 4, 3, 1, "value -0.25 is below the minimum 0.0");
    expect_violation(&r, 5, 4, 1, "value NaN cannot be compared with the minimum 0.0");
    assert_memory_equal(r.keep, "\0\0\1\0\0", 5);
    for (size_t i = 0; i < r.n; i++)
        assert_int_equal(r.v[i].duplicate_of, -1);
    cairn_free(r.v);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

/* float32 columns compare with the bounds and allowed values as float32 would hold them. */
static void test_float32(void **state)
{
    (void)state;
    cairn_dataset_schema *s = schema_of("dataset: t\nfields:\n"
                                        "  - {name: a, type: float32, max: 0.1}\n"
                                        "  - {name: b, type: float32, allowed: [0.1, 0.7]}\n");
    cairn_table *t = table_of(s, "a,b\n0.1,0.1\n0.2,0.7\n0.05,0.3\n");
    result r;
    validate(s, t, &r);
    assert_int_equal(r.n, 2);
    expect_violation(&r, 0, 1, 0, "value 0.2 is above the maximum 0.1");
    expect_violation(&r, 1, 2, 1, "value 0.3 is not one of the allowed values (0.1, 0.7)");
    cairn_free(r.v);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

static void test_time_bounds(void **state)
{
    (void)state;
    cairn_dataset_schema *s =
        schema_of("dataset: t\nfields:\n"
                  "  - {name: at, type: timestamp, min: \"2001-01-01T00:00:00Z\","
                  " max: \"2001-12-31T23:59:59Z\"}\n"
                  "  - {name: day, type: date, min: 2001-01-01, max: 2001-06-30}\n");
    cairn_table *t = table_of(s, "at,day\n"
                                 "2000-12-31T23:59:59Z,2001-01-01\n"
                                 "2001-05-01T10:00:00Z,2000-12-31\n"
                                 "2002-01-01T00:00:00Z,2001-07-01\n"
                                 "2001-01-01T00:00:00Z,2001-06-30\n");
    result r;
    validate(s, t, &r);
    assert_int_equal(r.n, 4);
    expect_violation(&r, 0, 0, 0,
                     "value 2000-12-31T23:59:59Z is below the minimum 2001-01-01T00:00:00Z");
    expect_violation(&r, 1, 1, 1, "value 2000-12-31 is below the minimum 2001-01-01");
    expect_violation(&r, 2, 2, 0,
                     "value 2002-01-01T00:00:00Z is above the maximum 2001-12-31T23:59:59Z");
    expect_violation(&r, 3, 2, 1, "value 2001-07-01 is above the maximum 2001-06-30");
    assert_memory_equal(r.keep, "\0\0\0\1", 4);
    cairn_free(r.v);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

static void test_allowed(void **state)
{
    (void)state;
    cairn_dataset_schema *s =
        schema_of("dataset: t\nfields:\n"
                  "  - {name: status, type: string, allowed: [on_time, late, cancelled]}\n"
                  "  - {name: code, type: int64, allowed: [1, 2, 3]}\n"
                  "  - {name: weight, type: float64, allowed: [0.5, 1]}\n"
                  "  - {name: ok, type: bool, allowed: [true]}\n");
    cairn_table *t = table_of(s, "status,code,weight,ok\n"
                                 "on_time,1,0.5,true\n"
                                 "foo,7,0.25,false\n"
                                 "late,3,1,\n"
                                 ",2,1.0,true\n");
    result r;
    validate(s, t, &r);
    assert_int_equal(r.n, 4);
    expect_violation(&r, 0, 1, 0,
                     "'foo' is not one of the allowed values (on_time, late, cancelled)");
    expect_violation(&r, 1, 1, 1, "value 7 is not one of the allowed values (1, 2, 3)");
    expect_violation(&r, 2, 1, 2, "value 0.25 is not one of the allowed values (0.5, 1)");
    expect_violation(&r, 3, 1, 3, "value false is not one of the allowed values (true)");
    assert_memory_equal(r.keep, "\1\0\1\1", 4);
    cairn_free(r.v);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

static const char *const string_rules_yaml =
    "dataset: t\nfields:\n"
    "  - {name: origin, type: string, pattern: \"^[A-Z0-9]{3}$\", max_length: 3}\n"
    "  - {name: note, type: string, max_length: 12}\n";

static const char *const string_rules_csv = "origin,note\n"
                                            "SFO,short\n"
                                            "XYZW,this is far too long\n"
                                            "sfo,\n"
                                            "SFO,ok\n"
                                            "XYZW,ok\n"
                                            ",\"\"\n"
                                            "\"a\tb\",ok\n";

static void check_string_rules(const result *r)
{
    assert_int_equal(r->n, 7);
    expect_violation(r, 0, 1, 0, "length 4 exceeds max_length 3");
    expect_violation(r, 1, 1, 0, "'XYZW' does not match the pattern ^[A-Z0-9]{3}$");
    expect_violation(r, 2, 1, 1, "length 20 exceeds max_length 12");
    expect_violation(r, 3, 2, 0, "'sfo' does not match the pattern ^[A-Z0-9]{3}$");
    expect_violation(r, 4, 4, 0, "length 4 exceeds max_length 3");
    expect_violation(r, 5, 4, 0, "'XYZW' does not match the pattern ^[A-Z0-9]{3}$");
    expect_violation(r, 6, 6, 0, "'a?b' does not match the pattern ^[A-Z0-9]{3}$");
    assert_memory_equal(r->keep, "\1\0\0\1\0\1\0", 7);
}

static void test_string_rules_plain_and_dictionary(void **state)
{
    (void)state;
    cairn_dataset_schema *s = schema_of(string_rules_yaml);
    cairn_table *t = table_of(s, string_rules_csv);
    assert_null(cairn_table_column(t, 0)->dictionary);
    result r;
    validate(s, t, &r);
    check_string_rules(&r);
    cairn_free(r.v);
    /* the same rows dictionary-encoded give the same violations */
    for (size_t i = 0; i < cairn_table_num_columns(t); i++)
        assert_int_equal(cairn_column_dict_encode(cairn_table_column(t, i)), 0);
    assert_non_null(cairn_table_column(t, 0)->dictionary);
    validate(s, t, &r);
    check_string_rules(&r);
    cairn_free(r.v);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

static void test_long_values_are_cut(void **state)
{
    (void)state;
    cairn_dataset_schema *s = schema_of("dataset: t\nfields:\n"
                                        "  - {name: s, type: string, allowed: [a, b]}\n");
    cairn_table *t = table_of(s, "s\n"
                                 "0123456789012345678901234567890123456789ABCDEFGH\n"
                                 "\"ééééééééééééééééééééééé\"\n");
    result r;
    validate(s, t, &r);
    assert_int_equal(r.n, 2);
    expect_violation(
        &r, 0, 0, 0,
        "'0123456789012345678901234567890123456789...' is not one of the allowed values (a, b)");
    /* cut on a character boundary: 20 two-byte characters fill 40 bytes */
    expect_violation(&r, 1, 1, 0,
                     "'éééééééééééééééééééé...' is not one of the allowed values (a, b)");
    cairn_free(r.v);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

static void test_nulls(void **state)
{
    (void)state;
    cairn_dataset_schema *s =
        schema_of("dataset: t\nfields:\n"
                  "  - {name: a, type: int64, nullable: false, min: 5}\n"
                  "  - {name: b, type: string, nullable: false, pattern: \"x+\"}\n"
                  "  - {name: c, type: string, pattern: \"x+\", allowed: [x]}\n");
    cairn_table *t = table_of(s, "a,b,c\n"
                                 ",,\n"
                                 "6,x,\n"
                                 "1,,xx\n");
    result r;
    validate(s, t, &r);
    assert_int_equal(r.n, 5);
    expect_violation(&r, 0, 0, 0, "null in a non-nullable field");
    expect_violation(&r, 1, 0, 1, "null in a non-nullable field");
    expect_violation(&r, 2, 2, 0, "value 1 is below the minimum 5");
    expect_violation(&r, 3, 2, 1, "null in a non-nullable field");
    expect_violation(&r, 4, 2, 2, "'xx' is not one of the allowed values (x)");
    assert_memory_equal(r.keep, "\0\1\0", 3);
    cairn_free(r.v);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

static void test_unique(void **state)
{
    (void)state;
    cairn_dataset_schema *s = schema_of("dataset: t\nfields:\n"
                                        "  - {name: email, type: string, unique: true}\n"
                                        "  - {name: id, type: int64, unique: true}\n"
                                        "  - {name: score, type: float64, unique: true}\n"
                                        "  - {name: code, type: string, unique: true}\n");
    cairn_table *t = table_of(s, "email,id,score,code\n"
                                 "a@x,1,0.0,A\n"
                                 "b@x,2,-0.0,B\n"
                                 "a@x,3,1.5,A\n"
                                 ",,,\n"
                                 ",,,\n"
                                 "a@x,1,2.5,C\n");
    assert_int_equal(cairn_column_dict_encode(cairn_table_column(t, 3)), 0);
    result r;
    validate(s, t, &r);
    assert_int_equal(r.n, 5);
    expect_violation(&r, 0, 1, 2, "duplicate of row 0 (unique field)"); /* -0.0 equals 0.0 */
    assert_int_equal(r.v[0].duplicate_of, 0);
    expect_violation(&r, 1, 2, 0, "duplicate of row 0 (unique field)");
    expect_violation(&r, 2, 2, 3, "duplicate of row 0 (unique field)");
    expect_violation(&r, 3, 5, 0, "duplicate of row 0 (unique field)");
    expect_violation(&r, 4, 5, 1, "duplicate of row 0 (unique field)");
    assert_int_equal(r.v[4].duplicate_of, 0);
    assert_memory_equal(r.keep, "\1\0\0\1\1\0", 6);
    cairn_free(r.v);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

/* A dictionary that repeats a value (as a merged or hand-built one may) still finds the
 * duplicate. */
static void test_unique_repeated_dictionary_entry(void **state)
{
    (void)state;
    cairn_dataset_schema *s =
        schema_of("dataset: t\nfields:\n  - {name: k, type: string, unique: true}\n");
    cairn_table *t = cairn_test_table();
    cairn_column *c = cairn_test_add(t, "k", CAIRN_TYPE_STRING);
    cairn_test_put_str(c, "p");
    cairn_test_put_str(c, "q");
    assert_int_equal(cairn_column_dict_encode(c), 0);
    /* add a second "p" entry to the dictionary and point a third row at it */
    assert_int_equal(cairn_column_append_string(c->dictionary, "p", 1), 0);
    int32_t code = 2;
    assert_int_equal(cairn_column_reserve(c, 1, 0), 0);
    ((int32_t *)c->values)[2] = code;
    c->length = 3;
    if (c->validity) c->validity[0] |= 4;
    result r;
    validate(s, t, &r);
    assert_int_equal(r.n, 1);
    expect_violation(&r, 0, 2, 0, "duplicate of row 0 (unique field)");
    cairn_free(r.v);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

static void test_order_row_then_field(void **state)
{
    (void)state;
    cairn_dataset_schema *s = schema_of("dataset: t\nfields:\n"
                                        "  - {name: a, type: string, unique: true, max_length: 1}\n"
                                        "  - {name: b, type: int64, max: 1, unique: true}\n"
                                        "  - {name: c, type: string, nullable: false}\n");
    cairn_table *t = table_of(s, "a,b,c\n"
                                 "xx,5,\n"
                                 "xx,5,z\n");
    result r;
    validate(s, t, &r);
    assert_int_equal(r.n, 7);
    expect_violation(&r, 0, 0, 0, "length 2 exceeds max_length 1");
    expect_violation(&r, 1, 0, 1, "value 5 is above the maximum 1");
    expect_violation(&r, 2, 0, 2, "null in a non-nullable field");
    expect_violation(&r, 3, 1, 0, "length 2 exceeds max_length 1");
    expect_violation(&r, 4, 1, 0, "duplicate of row 0 (unique field)");
    expect_violation(&r, 5, 1, 1, "value 5 is above the maximum 1");
    expect_violation(&r, 6, 1, 1, "duplicate of row 0 (unique field)");
    cairn_free(r.v);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

static void test_errors(void **state)
{
    (void)state;
    cairn_dataset_schema *s =
        schema_of("dataset: t\nfields:\n"
                  "  - {name: a, type: int64}\n  - {name: b, type: string}\n");
    cairn_table *t = cairn_test_table();
    cairn_test_add(t, "a", CAIRN_TYPE_INT64);
    cairn_violation *v = (cairn_violation *)1;
    size_t n = 9;
    cairn_error e;
    cairn_error_clear(&e);
    assert_int_equal(cairn_validate_records(s, t, NULL, &v, &n, &e), CAIRN_EINVAL);
    assert_null(v);
    assert_int_equal(n, 0);
    assert_string_equal(e.message, "field 'b' of the schema is not a column of the table");
    cairn_test_add(t, "b", CAIRN_TYPE_INT64);
    assert_int_equal(cairn_validate_records(s, t, NULL, &v, &n, &e), CAIRN_ETYPE);
    assert_string_equal(e.message, "column 'b' is int64 but the schema declares string");
    cairn_table_free(t);
    /* compatible types: an int32 column for an int64 field, a date column for a timestamp */
    cairn_dataset_schema_free(s);
    s = schema_of("dataset: t\nfields:\n  - {name: a, type: int64, max: 10}\n"
                  "  - {name: b, type: timestamp, min: \"2001-01-02T12:00:00Z\"}\n"
                  "  - {name: c, type: float64, max: 2.5}\n");
    t = cairn_test_table();
    cairn_column *a = cairn_test_add(t, "a", CAIRN_TYPE_INT32);
    cairn_column *b = cairn_test_add(t, "b", CAIRN_TYPE_DATE32);
    cairn_column *c = cairn_test_add(t, "c", CAIRN_TYPE_INT64);
    assert_int_equal(cairn_column_append_int32(a, 11), 0);
    assert_int_equal(cairn_column_append_int32(b, 11324), 0); /* 2001-01-02: before noon */
    assert_int_equal(cairn_column_append_int64(c, 3), 0);
    assert_int_equal(cairn_column_append_int32(a, 10), 0);
    assert_int_equal(cairn_column_append_int32(b, 11325), 0);
    assert_int_equal(cairn_column_append_int64(c, 2), 0);
    result r;
    validate(s, t, &r);
    assert_int_equal(r.n, 3);
    expect_violation(&r, 0, 0, 0, "value 11 is above the maximum 10");
    expect_violation(&r, 1, 0, 1, "value 2001-01-02 is below the minimum 2001-01-02T12:00:00Z");
    expect_violation(&r, 2, 0, 2, "value 3 is above the maximum 2.5");
    cairn_free(r.v);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

static void test_empty_table(void **state)
{
    (void)state;
    cairn_dataset_schema *s = schema_of(string_rules_yaml);
    cairn_table *t = table_of(s, "origin,note\n");
    result r;
    validate(s, t, &r);
    assert_int_equal(r.n, 0);
    cairn_free(r.v);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

/* Several chunks checked on the pool: violations at chunk edges, in order, keep exact. */
static void test_large_table(void **state)
{
    (void)state;
    cairn_dataset_schema *s =
        schema_of("dataset: t\nfields:\n"
                  "  - {name: id, type: int64, unique: true, min: 0}\n"
                  "  - {name: delay, type: int64, min: -100, max: 100}\n"
                  "  - {name: origin, type: string, pattern: \"^[A-Z]{3}$\"}\n"
                  "  - {name: dest, type: string, pattern: \"^[A-Z]{3}$\", max_length: 3}\n"
                  "  - {name: w, type: float64, max: 1}\n");
    const int64_t rows = 300000;
    cairn_table *t = cairn_test_table();
    cairn_column *id = cairn_test_add(t, "id", CAIRN_TYPE_INT64);
    cairn_column *delay = cairn_test_add(t, "delay", CAIRN_TYPE_INT64);
    cairn_column *origin = cairn_test_add(t, "origin", CAIRN_TYPE_STRING);
    cairn_column *dest = cairn_test_add(t, "dest", CAIRN_TYPE_STRING);
    cairn_column *w = cairn_test_add(t, "w", CAIRN_TYPE_FLOAT64);
    static const char *const codes[] = {"SFO", "LAX", "JFK", "ORD", "bad", "ATL"};
    int64_t expected = 0;
    for (int64_t i = 0; i < rows; i++) {
        bool bad_delay = i % 65536 == 0 || i % 65536 == 65535;
        int64_t code = (i * 7) % 6;
        assert_int_equal(cairn_column_append_int64(id, i == 200000 ? 5 : i), 0);
        assert_int_equal(cairn_column_append_int64(delay, bad_delay ? 101 : i % 200 - 100), 0);
        assert_int_equal(cairn_column_append_string(origin, codes[code], 3), 0);
        assert_int_equal(cairn_column_append_string(dest, codes[(code + 1) % 6], 3), 0);
        assert_int_equal(cairn_column_append_float64(w, i == rows - 1 ? 2.0 : 0.5), 0);
        expected +=
            (i == 200000) + bad_delay + (code == 4) + ((code + 1) % 6 == 4) + (i == rows - 1);
    }
    assert_int_equal(cairn_column_dict_encode(dest), 0);
    uint8_t *keep = cairn_malloc((size_t)rows);
    cairn_violation *v;
    size_t n;
    cairn_error e;
    cairn_error_clear(&e);
    int64_t t0 = cairn_monotonic_ns();
    CAIRN_ASSERT_OK(cairn_validate_records(s, t, keep, &v, &n, &e), &e);
    print_message("validated %lld rows in %.1f ms (debug build)\n", (long long)rows,
                  (double)(cairn_monotonic_ns() - t0) / 1e6);
    assert_int_equal(n, expected);
    for (size_t i = 1; i < n; i++)
        assert_true(v[i - 1].row < v[i].row ||
                    (v[i - 1].row == v[i].row && v[i - 1].field < v[i].field));
    int64_t kept = 0;
    for (int64_t i = 0; i < rows; i++)
        kept += keep[i];
    int64_t bad_rows = 0;
    for (size_t i = 0; i < n; i++)
        bad_rows += i == 0 || v[i].row != v[i - 1].row;
    assert_int_equal(kept, rows - bad_rows);
    assert_string_equal(v[0].reason, "value 101 is above the maximum 100");
    assert_string_equal(v[n - 1].reason, "value 2.0 is above the maximum 1.0");
    bool dup = false;
    for (size_t i = 0; i < n; i++)
        if (v[i].row == 200000 && v[i].field == 0) {
            assert_string_equal(v[i].reason, "duplicate of row 5 (unique field)");
            dup = true;
        }
    assert_true(dup);
    cairn_free(keep);
    cairn_free(v);
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    cairn_dataset_schema *s =
        schema_of("dataset: t\nfields:\n"
                  "  - {name: k, type: string, unique: true, pattern: \"[a-z]+\"}\n"
                  "  - {name: n, type: int64, unique: true, allowed: [1, 2]}\n"
                  "  - {name: d, type: string, allowed: [x]}\n");
    cairn_table *t = table_of(s, "k,n,d\nab,1,x\nab,3,y\nC,1,x\n");
    assert_int_equal(cairn_column_dict_encode(cairn_table_column(t, 2)), 0);
    /* the schema and table come from the C library's allocator and are freed after */
    cairn_testalloc_install();
    int64_t baseline = cairn_testalloc_live_blocks();
    for (int64_t nth = 1;; nth++) {
        cairn_testalloc_reset_counts();
        cairn_testalloc_fail_at(nth, false);
        cairn_violation *v = NULL;
        size_t n = 0;
        cairn_error e;
        cairn_error_clear(&e);
        int rc = cairn_validate_records(s, t, NULL, &v, &n, &e);
        bool failed = cairn_testalloc_failures() > 0;
        cairn_testalloc_fail_at(0, false);
        if (!failed) {
            assert_int_equal(rc, 0);
            assert_int_equal(n, 5);
            cairn_free(v);
            break;
        }
        assert_int_equal(rc, CAIRN_ENOMEM);
        assert_null(v);
        assert_int_equal(cairn_testalloc_live_blocks(), baseline);
    }
    cairn_testalloc_uninstall();
    cairn_table_free(t);
    cairn_dataset_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numeric_bounds),
        cmocka_unit_test(test_float32),
        cmocka_unit_test(test_time_bounds),
        cmocka_unit_test(test_allowed),
        cmocka_unit_test(test_string_rules_plain_and_dictionary),
        cmocka_unit_test(test_long_values_are_cut),
        cmocka_unit_test(test_nulls),
        cmocka_unit_test(test_unique),
        cmocka_unit_test(test_unique_repeated_dictionary_entry),
        cmocka_unit_test(test_order_row_then_field),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_empty_table),
        cmocka_unit_test(test_large_table),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
