/* Tests for src/core/yaml.c: trees with positions, aliases, duplicate and recursive keys,
 * syntax errors with line and column, and the typed scalar readers' messages. */
#include "testutil.h"

#include <string.h>

static cairn_yaml_doc *load(const char *text, cairn_error *e)
{
    cairn_yaml_doc *doc = NULL;
    cairn_error_clear(e);
    int rc = cairn_yaml_parse(text, strlen(text), "schema.yaml", &doc, e);
    if (rc) return NULL;
    return doc;
}

static void test_tree_and_positions(void **state)
{
    (void)state;
    cairn_error e;
    const char *y = "name: flights\nfields:\n  - name: delay\n    type: int64\n    max: ten\n"
                    "  - name: origin\n    nullable: false\n";
    cairn_yaml_doc *doc = load(y, &e);
    assert_non_null(doc);
    const cairn_yaml_node *root = cairn_yaml_root(doc);
    assert_int_equal(root->kind, CAIRN_YAML_MAPPING);
    const char *name;
    assert_int_equal(cairn_yaml_str(doc, cairn_yaml_get(root, "name"), "name", &name, &e), 0);
    assert_string_equal(name, "flights");
    const cairn_yaml_node *fields = cairn_yaml_get(root, "fields");
    assert_int_equal(fields->kind, CAIRN_YAML_SEQUENCE);
    assert_int_equal(fields->count, 2);
    const cairn_yaml_node *max = cairn_yaml_get(fields->items[0], "max");
    double d;
    assert_int_equal(cairn_yaml_double(doc, max, "max", &d, &e), CAIRN_ETYPE);
    char msg[512];
    cairn_error_format(&e, msg, sizeof msg);
    assert_string_equal(msg, "schema.yaml:5:10: 'max': expected a number (field 'max': expected a number, found 'ten')");
    bool b = true;
    assert_int_equal(cairn_yaml_bool(doc, cairn_yaml_get(fields->items[1], "nullable"), "nullable", &b, &e), 0);
    assert_false(b);
    int64_t i;
    assert_int_equal(cairn_yaml_int(doc, cairn_yaml_get(root, "missing"), "missing", &i, &e), CAIRN_ETYPE);
    assert_string_equal(e.message, "missing key 'missing'");
    cairn_yaml_free(doc);
}

static void test_scalars(void **state)
{
    (void)state;
    cairn_error e;
    cairn_yaml_doc *doc = load("a: 12\nb: -3.5\nc: '12'\nd: ~\ne:\nf: .inf\ng: \"true\"\n", &e);
    assert_non_null(doc);
    const cairn_yaml_node *r = cairn_yaml_root(doc);
    int64_t i;
    double d;
    bool b;
    assert_int_equal(cairn_yaml_int(doc, cairn_yaml_get(r, "a"), "a", &i, &e), 0);
    assert_int_equal(i, 12);
    assert_int_equal(cairn_yaml_double(doc, cairn_yaml_get(r, "b"), "b", &d, &e), 0);
    assert_true(d == -3.5);
    assert_int_equal(cairn_yaml_int(doc, cairn_yaml_get(r, "c"), "c", &i, &e), CAIRN_ETYPE); /* quoted */
    assert_true(cairn_yaml_is_null(cairn_yaml_get(r, "d")));
    assert_true(cairn_yaml_is_null(cairn_yaml_get(r, "e")));
    assert_false(cairn_yaml_is_null(cairn_yaml_get(r, "c")));
    assert_int_equal(cairn_yaml_double(doc, cairn_yaml_get(r, "f"), "f", &d, &e), 0);
    assert_int_equal(cairn_yaml_bool(doc, cairn_yaml_get(r, "g"), "g", &b, &e), CAIRN_ETYPE);
    cairn_yaml_free(doc);
}

static void test_errors_and_aliases(void **state)
{
    (void)state;
    cairn_error e;
    assert_null(load("a: 1\na: 2\n", &e));
    assert_int_equal(e.code, CAIRN_EPARSE);
    assert_int_equal(e.line, 2);
    assert_non_null(strstr(e.message, "duplicate key 'a'"));
    assert_null(load("a: [1, 2\nb: 3\n", &e));
    assert_int_equal(e.code, CAIRN_EPARSE);
    assert_true(e.line >= 2);
    assert_string_equal(e.file, "schema.yaml");
    assert_null(load("a: &x [*x]\n", &e));
    cairn_yaml_doc *doc = load("base: &b {x: 1}\nuse: *b\n", &e);
    assert_non_null(doc);
    const cairn_yaml_node *r = cairn_yaml_root(doc);
    assert_ptr_equal(cairn_yaml_get(r, "base"), cairn_yaml_get(r, "use"));
    cairn_yaml_free(doc);
    doc = load("", &e);
    assert_non_null(doc);
    assert_null(cairn_yaml_root(doc));
    cairn_yaml_free(doc);
}

/* Regression: 60,000 nested sequences overflowed the stack; now a located error. */
static void test_deep_nesting_refused(void **state)
{
    (void)state;
    size_t depth = 60000;
    char *y = cairn_malloc(2 * depth + 1);
    memset(y, '[', depth);
    memset(y + depth, ']', depth);
    y[2 * depth] = '\0';
    cairn_error e;
    cairn_error_clear(&e);
    cairn_yaml_doc *doc = NULL;
    assert_int_equal(cairn_yaml_parse(y, 2 * depth, "deep.yaml", &doc, &e), CAIRN_EPARSE);
    assert_non_null(strstr(e.message, "nesting deeper than"));
    assert_string_equal(e.file, "deep.yaml");
    cairn_free(y);
    doc = load("a: [[[[1]]]]\n", &e); /* ordinary nesting is fine */
    assert_non_null(doc);
    cairn_yaml_free(doc);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    const char *y = "a: [1, 2, {b: c}]\nd: &x hello\ne: *x\n";
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks();
    for (int64_t n = 1;; n++) {
        cairn_testalloc_fail_at(n, false);
        cairn_yaml_doc *doc = NULL;
        int rc = cairn_yaml_parse(y, strlen(y), "x", &doc, NULL);
        if (rc == 0) {
            cairn_yaml_free(doc);
            break;
        }
        assert_int_equal(rc, CAIRN_ENOMEM);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        assert_true(n < 1000);
    }
    assert_int_equal(cairn_testalloc_live_blocks(), base);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_and_positions),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_errors_and_aliases),
        cmocka_unit_test(test_deep_nesting_refused),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
