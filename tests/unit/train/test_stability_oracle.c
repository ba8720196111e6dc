/* The C side of tests/oracles/test_stability_scipy.sh. With CAIRN_STABILITY_ORACLE_DIR set it
 * reads DIR/cases.json (pairs of importance lists that tests/oracles/stability_scipy.py
 * generated: names, values with null for NaN and "Infinity"/"-Infinity", k), runs
 * cairn_importance_stability_of (src/train/stability.c) on each and writes DIR/out.json, one
 * object per case (NaN as null), for the script to compare with scipy. Without the variable
 * the test is skipped. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/metrics.h"

static double value_of(const json_t *v)
{
    if (json_is_null(v)) return NAN;
    if (json_is_string(v)) return strcmp(json_string_value(v), "Infinity") ? -INFINITY : INFINITY;
    assert_true(json_is_number(v));
    return json_number_value(v);
}

/* names[i] borrowed from the document; values a new array. */
static size_t read_list(const json_t *c, const char *nkey, const char *vkey, const char ***names,
                        double **values)
{
    const json_t *jn = json_object_get(c, nkey), *jv = json_object_get(c, vkey);
    size_t n = json_array_size(jn);
    assert_int_equal(json_array_size(jv), n);
    *names = malloc((n ? n : 1) * sizeof **names);
    *values = malloc((n ? n : 1) * sizeof **values);
    for (size_t i = 0; i < n; i++) {
        (*names)[i] = json_string_value(json_array_get(jn, i));
        assert_non_null((*names)[i]);
        (*values)[i] = value_of(json_array_get(jv, i));
    }
    return n;
}

static json_t *num(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

static void test_dump(void **state)
{
    (void)state;
    const char *dir = getenv("CAIRN_STABILITY_ORACLE_DIR");
    if (!dir || !*dir) skip();
    char path[4096];
    snprintf(path, sizeof path, "%s/cases.json", dir);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (!doc) fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
    const json_t *cases = json_object_get(doc, "cases");
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(cases); i++) {
        const json_t *c = json_array_get(cases, i);
        const char **na, **nb;
        double *a, *b;
        size_t n_a = read_list(c, "names_a", "a", &na, &a);
        size_t n_b = read_list(c, "names_b", "b", &nb, &b);
        size_t k = (size_t)json_integer_value(json_object_get(c, "k"));
        cairn_importance_stability s;
        cairn_error e;
        cairn_error_clear(&e);
        CAIRN_ASSERT_OK(cairn_importance_stability_of(na, a, n_a, nb, b, n_b, k, &s, &e), &e);
        json_array_append_new(
            out, json_pack("{s:I, s:I, s:I, s:o, s:o, s:I, s:I, s:o}", "common",
                           (json_int_t)s.common, "only_a", (json_int_t)s.only_a, "only_b",
                           (json_int_t)s.only_b, "spearman", num(s.spearman), "kendall_tau_b",
                           num(s.kendall_tau_b), "top_k", (json_int_t)s.top_k, "top_overlap",
                           (json_int_t)s.top_overlap, "top_jaccard", num(s.top_jaccard)));
        free(na);
        free(nb);
        free(a);
        free(b);
    }
    snprintf(path, sizeof path, "%s/out.json", dir);
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    assert_int_equal(cairn_json_dump(out, 0, &buf), 0);
    CAIRN_ASSERT_OK(cairn_file_write_atomic(path, buf.data, buf.len, NULL), NULL);
    cairn_buf_release(&buf);
    json_decref(out);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
