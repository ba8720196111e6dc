/* Tests for src/core/json.c: error positions, shortest round-trip doubles checked over many
 * random values, escaping, ordered compact and pretty output, typed getters. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_parse_error_position(void **state)
{
    (void)state;
    json_t *v;
    cairn_error e;
    cairn_error_clear(&e);
    const char *bad = "{\n  \"a\": 1,\n  \"b\": tru\n}";
    assert_int_equal(cairn_json_parse(bad, strlen(bad), "body.json", &v, &e), CAIRN_EPARSE);
    assert_string_equal(e.file, "body.json");
    assert_int_equal(e.line, 3);
    assert_true(e.column > 0);
    const char *dup = "{\"a\":1,\"a\":2}";
    assert_int_equal(cairn_json_parse(dup, strlen(dup), "d", &v, &e), CAIRN_EPARSE);
    assert_int_equal(cairn_json_parse("42", 2, "n", &v, &e), 0);
    assert_int_equal(json_integer_value(v), 42);
    json_decref(v);
}

static void test_shortest_doubles(void **state)
{
    (void)state;
    char out[40];
    cairn_format_double(0.1, out, sizeof out);
    assert_string_equal(out, "0.1");
    cairn_format_double(0.33, out, sizeof out);
    assert_string_equal(out, "0.33");
    cairn_format_double(1.0, out, sizeof out);
    assert_string_equal(out, "1.0");
    cairn_format_double(-2.5e-300, out, sizeof out);
    assert_string_equal(out, "-2.5e-300");
    cairn_format_double(NAN, out, sizeof out);
    assert_string_equal(out, "nan");
    srand(7);
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = ((uint64_t)rand() << 40) ^ ((uint64_t)rand() << 20) ^ (uint64_t)rand();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d)) continue;
        cairn_format_double(d, out, sizeof out);
        assert_true(strtod(out, NULL) == d);
    }
}

static void test_dump(void **state)
{
    (void)state;
    json_t *o = json_pack("{s:i, s:f, s:s, s:[b,n], s:{}}", "z", 1, "a", 0.33, "s", "q\"\n\x01", "arr", 1,
                          "empty");
    cairn_buf b;
    cairn_buf_init(&b, 0);
    assert_int_equal(cairn_json_dump(o, 0, &b), 0);
    assert_string_equal(b.data, "{\"z\":1,\"a\":0.33,\"s\":\"q\\\"\\n\\u0001\",\"arr\":[true,null],\"empty\":{}}");
    cairn_buf_reset(&b);
    assert_int_equal(cairn_json_dump(o, CAIRN_JSON_PRETTY, &b), 0);
    assert_non_null(strstr(b.data, "\n  \"a\": 0.33,"));
    json_t *back;
    assert_int_equal(cairn_json_parse(b.data, b.len, "x", &back, NULL), 0);
    assert_true(json_equal(o, back));
    json_decref(back);
    int64_t i;
    double d;
    const char *s;
    cairn_error e;
    cairn_error_clear(&e);
    assert_int_equal(cairn_json_get_int(o, "z", &i, &e), 0);
    assert_int_equal(cairn_json_get_double(o, "a", &d, &e), 0);
    assert_int_equal(cairn_json_get_string(o, "s", &s, &e), 0);
    assert_int_equal(cairn_json_get_int(o, "s", &i, &e), CAIRN_ETYPE);
    assert_string_equal(e.message, "key 's': expected integer, found string");
    assert_int_equal(cairn_json_get_int(o, "missing", &i, &e), CAIRN_ETYPE);
    json_decref(o);
    cairn_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_error_position),
        cmocka_unit_test(test_shortest_doubles),
        cmocka_unit_test(test_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
