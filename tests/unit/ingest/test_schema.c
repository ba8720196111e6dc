#include "testutil.h"

/* tests/unit/ingest/test_schema.c: dataset schemas (src/ingest/schema.c): the example
 * examples/flights/schema.yaml in full, every kind of error with its exact line, column and
 * key, canonical JSON round trips, hash stability, and allocation failure while parsing. */

#include <string.h>

static int parse(const char *yaml, cairn_dataset_schema **out, cairn_error *e)
{
    cairn_error_clear(e);
    *out = NULL;
    return cairn_dataset_schema_parse(yaml, strlen(yaml), "schema.yaml", out, e);
}

/* Parses yaml expecting failure `code` with the formatted error `want`. */
static void expect_error(const char *yaml, int code, const char *want)
{
    cairn_dataset_schema *s;
    cairn_error e;
    char msg[1024];
    int rc = parse(yaml, &s, &e);
    cairn_error_format(&e, msg, sizeof msg);
    if (rc != code) fail_msg("expected %s, got %s: %s", cairn_errname(code), cairn_errname(rc), msg);
    assert_null(s);
    assert_string_equal(msg, want);
}

static void test_flights_example(void **state)
{
    (void)state;
    cairn_dataset_schema *s;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_dataset_schema_load(CAIRN_TOP "/examples/flights/schema.yaml", &s, &e), &e);
    assert_string_equal(cairn_dataset_schema_name(s), "flights");
    assert_int_equal(cairn_dataset_schema_num_fields(s), 5);
    size_t npk;
    cairn_dataset_schema_primary_key(s, &npk);
    assert_int_equal(npk, 0); /* the flights have no natural key (see the example's comment) */
    assert_string_equal(cairn_dataset_schema_event_time(s), "date");
    const char *col;
    assert_int_equal(cairn_dataset_schema_partition(s, &col), CAIRN_PARTITION_DAY);
    assert_string_equal(col, "date");
    const cairn_dataset_field *f = cairn_dataset_schema_find(s, "delay");
    assert_non_null(f);
    assert_int_equal(f->type, CAIRN_TYPE_INT64);
    assert_false(f->nullable);
    assert_true(f->has_min && f->has_max && f->has_default);
    assert_int_equal(f->min.v.i64, -1440);
    assert_int_equal(f->max.v.i64, 2880);
    assert_int_equal(f->default_value.v.i64, 0);
    f = cairn_dataset_schema_find(s, "origin");
    assert_string_equal(f->pattern, "^[A-Z0-9]{3}$");
    assert_int_equal(f->max_length, 3);
    assert_int_equal(f->classification, CAIRN_CLASS_PUBLIC);
    assert_string_equal(cairn_classification_name(f->classification), "public");
    f = cairn_dataset_schema_field(s, 0);
    assert_int_equal(f->type, CAIRN_TYPE_TIMESTAMP);
    assert_true(f->has_min);
    assert_int_equal(f->min.v.i64, INT64_C(978307200000000));
    assert_null(cairn_dataset_schema_field(s, 5));
    assert_int_equal(json_array_size(cairn_dataset_schema_checks(s)), 9);
    cairn_field *fields;
    assert_int_equal(cairn_dataset_schema_fields(s, &fields), 0);
    assert_string_equal(fields[4].name, "destination");
    assert_int_equal(fields[4].type, CAIRN_TYPE_STRING);
    cairn_free(fields);
    cairn_dataset_schema_free(s);
}

static void test_field_details(void **state)
{
    (void)state;
    cairn_dataset_schema *s;
    cairn_error e;
    const char *y = "dataset: t\n"
                    "fields:\n"
                    "  - {name: status, type: string, allowed: [on_time, late], default: late}\n"
                    "  - {name: email, type: string, classification: pii, unique: true}\n"
                    "  - {name: ratio, type: float32, min: 0, max: 1.5, default: null}\n"
                    "  - {name: day, type: date, min: 2001-01-01, description: \"the day\"}\n"
                    "  - {name: n, type: int32, allowed: [1, 2, 3], default: 2}\n";
    CAIRN_ASSERT_OK(parse(y, &s, &e), &e);
    const cairn_dataset_field *f = cairn_dataset_schema_find(s, "status");
    assert_int_equal(f->nallowed, 2);
    assert_string_equal(f->allowed[1], "late");
    assert_true(f->nullable);
    assert_int_equal(f->classification, CAIRN_CLASS_INTERNAL);
    assert_string_equal(f->description, "");
    assert_int_equal(f->line, 3);
    assert_int_equal(f->column, 5);
    f = cairn_dataset_schema_find(s, "email");
    assert_true(f->unique);
    assert_int_equal(f->classification, CAIRN_CLASS_PII);
    f = cairn_dataset_schema_find(s, "ratio");
    assert_int_equal(f->min.type, CAIRN_TYPE_FLOAT64); /* widened */
    assert_true(f->max.v.f64 == 1.5);
    assert_true(f->has_default && f->default_value.is_null);
    f = cairn_dataset_schema_find(s, "day");
    assert_int_equal(f->min.type, CAIRN_TYPE_DATE32);
    assert_int_equal(f->min.v.i32, 11323);
    assert_string_equal(f->description, "the day");
    f = cairn_dataset_schema_find(s, "n");
    assert_int_equal(f->default_value.type, CAIRN_TYPE_INT32);
    assert_int_equal(f->default_value.v.i32, 2);
    size_t npk;
    cairn_dataset_schema_primary_key(s, &npk);
    assert_int_equal(npk, 0);
    assert_null(cairn_dataset_schema_event_time(s));
    assert_int_equal(cairn_dataset_schema_partition(s, NULL), CAIRN_PARTITION_NONE);
    assert_int_equal(json_array_size(cairn_dataset_schema_checks(s)), 0);
    cairn_dataset_schema_free(s);
}

static void test_primary_key(void **state)
{
    (void)state;
    const char *y = "dataset: x\nprimary_key: [b, a]\nfields:\n  - {name: a, type: int64}\n"
                    "  - {name: b, type: string}\n";
    cairn_dataset_schema *s;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_dataset_schema_parse(y, strlen(y), "schema.yaml", &s, &e), &e);
    size_t npk;
    const char *const *pk = cairn_dataset_schema_primary_key(s, &npk);
    assert_int_equal(npk, 2);
    assert_string_equal(pk[0], "b");
    assert_string_equal(pk[1], "a");
    cairn_dataset_schema_free(s);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("dataset: x\nfields:\n  - name: delay\n    type: int64\n    min: ten\n", CAIRN_ETYPE,
                 "schema.yaml:5:10: field 'delay': key 'min': expected a number, found 'ten'");
    expect_error("dataset: x\nfields:\n  - name: delay\n    type: int64\n    mni: 1\n", CAIRN_EPARSE,
                 "schema.yaml:5:5: field 'delay': unknown key 'mni' (known keys: name, type, "
                 "nullable, min, max, allowed, pattern, max_length, unique, default, "
                 "classification, description)");
    expect_error("dataset: x\nfield: []\n", CAIRN_EPARSE,
                 "schema.yaml:2:1: unknown key 'field' (known keys: dataset, primary_key, "
                 "event_time, partition, fields, checks)");
    expect_error("dataset: x\n", CAIRN_EPARSE, "schema.yaml:1:1: missing key 'fields'");
    expect_error("fields: [{name: a, type: int64}]\n", CAIRN_EPARSE, "schema.yaml:1:1: missing key 'dataset'");
    expect_error("dataset: x\nfields:\n  - {type: int64}\n", CAIRN_EPARSE,
                 "schema.yaml:3:5: field 'fields[0]': missing key 'name'");
    expect_error("dataset: x\nfields:\n  - {name: a}\n", CAIRN_EPARSE,
                 "schema.yaml:3:5: field 'a': missing key 'type'");
    expect_error("dataset: x\nfields:\n  - {name: a, type: decimal}\n", CAIRN_EPARSE,
                 "schema.yaml:3:21: field 'a': key 'type': unknown type 'decimal' (known: bool, "
                 "int32, int64, float32, float64, string, timestamp, date)");
    expect_error("dataset: x\nfields:\n  - {name: a, type: int64, nullable: maybe}\n", CAIRN_ETYPE,
                 "schema.yaml:3:38: field 'a': key 'nullable': expected true or false, found 'maybe'");
    expect_error("dataset: x\nfields:\n  - {name: a, type: int64, min: 5, max: 1}\n", CAIRN_EPARSE,
                 "schema.yaml:3:41: field 'a': key 'max': max is less than min");
    expect_error("dataset: x\nfields:\n  - {name: a, type: int32, min: 1.5}\n", CAIRN_ETYPE,
                 "schema.yaml:3:33: field 'a': key 'min': expected an int32 integer, found '1.5'");
    expect_error("dataset: x\nfields:\n  - {name: a, type: string, min: 1}\n", CAIRN_ETYPE,
                 "schema.yaml:3:34: field 'a': key 'min': min and max apply to numeric, timestamp "
                 "and date fields, not string");
    expect_error("dataset: x\nfields:\n  - {name: t, type: timestamp, max: yesterday}\n", CAIRN_ETYPE,
                 "schema.yaml:3:37: field 't': key 'max': expected an ISO-8601 time, found 'yesterday'");
    expect_error("dataset: x\nfields:\n  - {name: a, type: int64, pattern: x}\n", CAIRN_ETYPE,
                 "schema.yaml:3:37: field 'a': key 'pattern': applies to string fields only, not int64");
    expect_error("dataset: x\nfields:\n  - {name: a, type: string, max_length: -2}\n", CAIRN_ETYPE,
                 "schema.yaml:3:41: field 'a': key 'max_length': expected a non-negative integer, found '-2'");
    expect_error("dataset: x\nfields:\n  - {name: a, type: string, classification: secret}\n",
                 CAIRN_EPARSE,
                 "schema.yaml:3:45: field 'a': key 'classification': unknown classification "
                 "'secret' (known: public, internal, confidential, pii)");
    expect_error("dataset: x\nfields:\n  - {name: a, type: int64}\n  - {name: a, type: string}\n",
                 CAIRN_EPARSE,
                 "schema.yaml:4:12: field 'a': key 'name': duplicate field name (first declared at line 3)");
    expect_error("dataset: x\nfields:\n  - {name: a, type: int64, allowed: []}\n", CAIRN_ETYPE,
                 "schema.yaml:3:37: field 'a': key 'allowed': expected a non-empty list of values, found a list");
    expect_error("dataset: x\nfields:\n  - {name: a, type: int64, allowed: [1, x]}\n", CAIRN_ETYPE,
                 "schema.yaml:3:41: field 'a': key 'allowed': expected a number, found 'x'");
    expect_error("dataset: x\nfields: {a: 1}\n", CAIRN_ETYPE,
                 "schema.yaml:2:9: key 'fields': expected a non-empty list of fields, found a mapping");
    expect_error("- a\n", CAIRN_EPARSE, "schema.yaml:1:1: expected a mapping with keys dataset and fields");
}

static void test_default_and_reference_errors(void **state)
{
    (void)state;
    expect_error("dataset: x\nfields:\n  - {name: a, type: int64, min: 0, default: -1}\n", CAIRN_EPARSE,
                 "schema.yaml:3:45: field 'a': key 'default': '-1' is below min");
    expect_error("dataset: x\nfields:\n  - {name: a, type: string, allowed: [x, y], default: z}\n",
                 CAIRN_EPARSE,
                 "schema.yaml:3:55: field 'a': key 'default': 'z' is not one of the allowed values");
    expect_error("dataset: x\nfields:\n  - {name: a, type: string, pattern: \"^[A-Z]+$\", default: ab}\n",
                 CAIRN_EPARSE,
                 "schema.yaml:3:59: field 'a': key 'default': 'ab' does not match the pattern");
    expect_error("dataset: x\nfields:\n  - {name: a, type: string, nullable: false, default: null}\n",
                 CAIRN_EPARSE,
                 "schema.yaml:3:55: field 'a': key 'default': 'null' cannot be used: the field is not nullable");
    expect_error("dataset: x\nfields:\n  - {name: a, type: int64, default: abc}\n", CAIRN_ETYPE,
                 "schema.yaml:3:37: field 'a': key 'default': expected a number, found 'abc'");
    expect_error("dataset: x\nprimary_key: [a, b]\nfields:\n  - {name: a, type: int64}\n", CAIRN_EPARSE,
                 "schema.yaml:2:18: key 'primary_key': 'b' is not a field of the schema");
    expect_error("dataset: x\nevent_time: a\nfields:\n  - {name: a, type: int64}\n", CAIRN_ETYPE,
                 "schema.yaml:2:13: key 'event_time': 'a' is int64; expected a timestamp or date field");
    expect_error("dataset: x\nevent_time: t\nfields:\n  - {name: a, type: int64}\n", CAIRN_EPARSE,
                 "schema.yaml:2:13: key 'event_time': 't' is not a field of the schema");
    expect_error("dataset: x\npartition: {by: week, column: a}\nfields:\n  - {name: a, type: date}\n",
                 CAIRN_EPARSE,
                 "schema.yaml:2:17: key 'by': unknown partitioning 'week' (known: none, day, month, value)");
    expect_error("dataset: x\npartition: {by: day, column: a}\nfields:\n  - {name: a, type: string}\n",
                 CAIRN_ETYPE,
                 "schema.yaml:2:30: key 'column': 'a' is string; expected a timestamp or date field");
    expect_error("dataset: x\npartition: {by: value, col: a}\nfields:\n  - {name: a, type: string}\n",
                 CAIRN_EPARSE, "schema.yaml:2:24: unknown key 'col' (known keys: by, column)");
    expect_error("dataset: x\nchecks: [1]\nfields:\n  - {name: a, type: string}\n", CAIRN_ETYPE,
                 "schema.yaml:2:10: key 'checks': expected a mapping, found '1'");
}

static void test_pattern_compile_error(void **state)
{
    (void)state;
    cairn_dataset_schema *s;
    cairn_error e;
    const char *y = "dataset: x\nfields:\n  - name: code\n    type: string\n    pattern: \"[A-Z\"\n";
    assert_int_equal(parse(y, &s, &e), CAIRN_EPARSE);
    assert_null(s);
    assert_int_equal(e.line, 5);
    assert_int_equal(e.column, 14);
    assert_string_equal(e.file, "schema.yaml");
    assert_non_null(strstr(e.message, "field 'code': key 'pattern': does not compile: "));
    /* a valid pattern must match the whole value */
    y = "dataset: x\nfields:\n  - {name: c, type: string, pattern: \"[A-Z]{2}\", default: ABC}\n";
    assert_int_equal(parse(y, &s, &e), CAIRN_EPARSE);
    y = "dataset: x\nfields:\n  - {name: c, type: string, pattern: \"[A-Z]{2}|x\", default: AB}\n";
    CAIRN_ASSERT_OK(parse(y, &s, &e), &e);
    cairn_dataset_schema_free(s);
}

static char *canonical_text(const cairn_dataset_schema *s)
{
    json_t *j;
    cairn_buf b;
    assert_int_equal(cairn_dataset_schema_to_json(s, &j), 0);
    cairn_buf_init(&b, 0);
    assert_int_equal(cairn_json_dump(j, 0, &b), 0);
    json_decref(j);
    return cairn_buf_detach(&b, NULL);
}

static void test_canonical_round_trip(void **state)
{
    (void)state;
    cairn_dataset_schema *s, *back;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_dataset_schema_load(CAIRN_TOP "/examples/flights/schema.yaml", &s, &e), &e);
    char *text = canonical_text(s);
    json_t *j;
    CAIRN_ASSERT_OK(cairn_json_parse(text, strlen(text), "canonical", &j, &e), &e);
    CAIRN_ASSERT_OK(cairn_dataset_schema_from_json(j, &back, &e), &e);
    json_decref(j);
    char *again = canonical_text(back);
    assert_string_equal(text, again);
    char h1[65], h2[65];
    assert_int_equal(cairn_dataset_schema_hash(s, h1), 0);
    assert_int_equal(cairn_dataset_schema_hash(back, h2), 0);
    assert_string_equal(h1, h2);
    assert_int_equal(strlen(h1), 64);
    uint8_t digest[CAIRN_SHA256_LEN];
    char hex[65];
    cairn_sha256_digest(text, strlen(text), digest);
    cairn_hex_encode(digest, sizeof digest, hex);
    assert_string_equal(h1, hex);
    cairn_free(text);
    cairn_free(again);
    cairn_dataset_schema_free(back);
    cairn_dataset_schema_free(s);

    /* the same schema in another layout hashes the same; a real change does not */
    const char *a = "dataset: t\nfields:\n  - {name: a, type: int, min: 1, default: 3}\n"
                    "  - {name: d, type: date, allowed: [2001-01-02]}\n"
                    "checks:\n  - {completeness: a, at_least: 0.5}\n";
    const char *c = "dataset: t\nchecks: [{completeness: a, at_least: 0.5}]\nfields:\n"
                    "  - name: a\n    default: 3\n    type: int32\n    nullable: true\n    min: 1\n"
                    "    classification: internal\n"
                    "  - name: d\n    type: date32\n    allowed:\n      - 2001-01-02\n";
    const char *d = "dataset: t\nfields:\n  - {name: a, type: int, min: 2, default: 3}\n"
                    "  - {name: d, type: date, allowed: [2001-01-02]}\n"
                    "checks:\n  - {completeness: a, at_least: 0.5}\n";
    cairn_dataset_schema *sa, *sc, *sd;
    CAIRN_ASSERT_OK(parse(a, &sa, &e), &e);
    CAIRN_ASSERT_OK(parse(c, &sc, &e), &e);
    CAIRN_ASSERT_OK(parse(d, &sd, &e), &e);
    char ha[65], hc[65], hd[65];
    assert_int_equal(cairn_dataset_schema_hash(sa, ha), 0);
    assert_int_equal(cairn_dataset_schema_hash(sc, hc), 0);
    assert_int_equal(cairn_dataset_schema_hash(sd, hd), 0);
    assert_string_equal(ha, hc);
    assert_string_not_equal(ha, hd);
    /* round trip of int32 / date / null defaults */
    text = canonical_text(sa);
    CAIRN_ASSERT_OK(cairn_json_parse(text, strlen(text), "canonical", &j, &e), &e);
    CAIRN_ASSERT_OK(cairn_dataset_schema_from_json(j, &back, &e), &e);
    json_decref(j);
    again = canonical_text(back);
    assert_string_equal(text, again);
    assert_int_equal(cairn_dataset_schema_find(back, "a")->default_value.v.i32, 3);
    cairn_free(text);
    cairn_free(again);
    cairn_dataset_schema_free(back);
    cairn_dataset_schema_free(sa);
    cairn_dataset_schema_free(sc);
    cairn_dataset_schema_free(sd);
}

static void test_from_json_errors(void **state)
{
    (void)state;
    cairn_dataset_schema *s = NULL;
    cairn_error e;
    json_t *j = json_pack("{s:s}", "dataset", "x");
    cairn_error_clear(&e);
    assert_int_equal(cairn_dataset_schema_from_json(j, &s, &e), CAIRN_EPARSE);
    assert_null(s);
    assert_non_null(strstr(e.message, "canonical schema: key 'event_time'"));
    json_decref(j);
    j = json_integer(3);
    assert_int_equal(cairn_dataset_schema_from_json(j, &s, &e), CAIRN_EPARSE);
    json_decref(j);
}

static void test_parse_alloc_failures(void **state)
{
    (void)state;
    cairn_buf yaml;
    cairn_error e;
    cairn_buf_init(&yaml, 0);
    CAIRN_ASSERT_OK(cairn_file_read(CAIRN_TOP "/examples/flights/schema.yaml", &yaml, 0, &e), &e);
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks();
    for (int64_t n = 1;; n++) {
        cairn_dataset_schema *s = NULL;
        cairn_error_clear(&e);
        cairn_testalloc_fail_at(n, false);
        int rc = cairn_dataset_schema_parse(yaml.data, yaml.len, "schema.yaml", &s, &e);
        cairn_testalloc_fail_at(0, false);
        if (rc == 0) {
            assert_int_equal(cairn_dataset_schema_num_fields(s), 5);
            cairn_dataset_schema_free(s);
            assert_int_equal(cairn_testalloc_live_blocks(), base);
            break;
        }
        if (rc != CAIRN_ENOMEM) {
            char msg[1024];
            cairn_error_format(&e, msg, sizeof msg);
            fail_msg("allocation %lld: expected ENOMEM, got %s: %s", (long long)n, cairn_errname(rc), msg);
        }
        assert_null(s);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        assert_true(n < 100000);
    }
    cairn_testalloc_uninstall();
    cairn_buf_release(&yaml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flights_example),
        cmocka_unit_test(test_field_details),
        cmocka_unit_test(test_primary_key),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_default_and_reference_errors),
        cmocka_unit_test(test_pattern_compile_error),
        cmocka_unit_test(test_canonical_round_trip),
        cmocka_unit_test(test_from_json_errors),
        cmocka_unit_test(test_parse_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
