/* tests/unit/train/test_cluster_oracle.c: the C side of tests/oracles/test_cluster_sklearn.sh.
 * With CAIRN_CLUSTER_ORACLE_DIR set it reads DIR/manifest.json and the CSV datasets
 * tests/oracles/cluster_sklearn.py generated (x0..x{d-1},label; optional centroids), runs the
 * clustering metrics of include/cairn/metrics.h on each (silhouette per point and overall, on
 * the sample when one is asked for, with the sampled rows; Davies-Bouldin;
 * Calinski-Harabasz; inertia against the clusters' own means and against given centroids)
 * and writes DIR/<name>.out.json for the script to compare with scikit-learn. Without the
 * variable the test is skipped. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/metrics.h"

typedef struct points {
    size_t n, cols; /* cols: the CSV's columns */
    double *v;      /* n x cols */
} points;

/* A CSV of numbers with a header line. */
static points read_csv(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.csv", dir, name);
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_file_read(path, &buf, 0, &e), &e);
    points p = {0, 1, NULL};
    char *nl = strchr(buf.data, '\n');
    assert_non_null(nl);
    for (const char *c = buf.data; c < nl; c++) p.cols += *c == ',';
    size_t cap = 256;
    p.v = malloc(cap * p.cols * sizeof *p.v);
    for (char *line = nl + 1; *line; p.n++) {
        if (p.n == cap) p.v = realloc(p.v, (cap *= 2) * p.cols * sizeof *p.v);
        for (size_t c = 0; c < p.cols; c++) {
            char *end;
            p.v[p.n * p.cols + c] = strtod(line, &end);
            assert_true(end != line);
            line = end + (*end == ',' || *end == '\n');
        }
    }
    cairn_buf_release(&buf);
    return p;
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static void run_set(const char *dir, const json_t *spec)
{
    const char *name = json_string_value(json_object_get(spec, "name"));
    size_t sample = (size_t)json_integer_value(json_object_get(spec, "sample"));
    uint64_t seed = (uint64_t)json_integer_value(json_object_get(spec, "seed"));
    points p = read_csv(dir, name);
    size_t n = p.n, d = p.cols - 1;
    double *x = malloc((n ? n : 1) * d * sizeof *x), *s = malloc((n ? n : 1) * sizeof *s);
    int32_t *labels = malloc((n ? n : 1) * sizeof *labels);
    for (size_t i = 0; i < n; i++) {
        memcpy(x + i * d, p.v + i * p.cols, d * sizeof *x);
        labels[i] = (int32_t)p.v[i * p.cols + d];
    }
    cairn_error e;
    cairn_error_clear(&e);
    json_t *out = json_object(), *arr = json_array();
    double v;
    CAIRN_ASSERT_OK(cairn_silhouette_samples(x, n, d, labels, s, &e), &e);
    for (size_t i = 0; i < n; i++) json_array_append_new(arr, num(s[i]));
    json_object_set_new(out, "silhouette_samples", arr);
    CAIRN_ASSERT_OK(cairn_silhouette_score(x, n, d, labels, 0, 0, &v, &e), &e);
    json_object_set_new(out, "silhouette", num(v));
    if (sample) {
        size_t *rows = NULL, m = 0;
        assert_int_equal(cairn_silhouette_sample_rows(n, sample, seed, &rows, &m), 0);
        json_t *ra = json_array();
        for (size_t i = 0; i < m; i++) json_array_append_new(ra, json_integer((json_int_t)rows[i]));
        json_object_set_new(out, "sample_rows", ra);
        cairn_free(rows);
        CAIRN_ASSERT_OK(cairn_silhouette_score(x, n, d, labels, sample, seed, &v, &e), &e);
        json_object_set_new(out, "silhouette_sampled", num(v));
    }
    CAIRN_ASSERT_OK(cairn_davies_bouldin_score(x, n, d, labels, &v, &e), &e);
    json_object_set_new(out, "davies_bouldin", num(v));
    CAIRN_ASSERT_OK(cairn_calinski_harabasz_score(x, n, d, labels, &v, &e), &e);
    json_object_set_new(out, "calinski_harabasz", num(v));
    CAIRN_ASSERT_OK(cairn_cluster_inertia(x, n, d, labels, NULL, 0, &v, &e), &e);
    json_object_set_new(out, "inertia", num(v));
    if (json_is_true(json_object_get(spec, "centroids"))) {
        char cname[256];
        snprintf(cname, sizeof cname, "%s.centroids", name);
        points c = read_csv(dir, cname);
        assert_int_equal(c.cols, d);
        CAIRN_ASSERT_OK(cairn_cluster_inertia(x, n, d, labels, c.v, c.n, &v, &e), &e);
        json_object_set_new(out, "inertia_centroids", num(v));
        free(c.v);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.out.json", dir, name);
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    assert_int_equal(cairn_json_dump(out, 0, &buf), 0);
    CAIRN_ASSERT_OK(cairn_file_write_atomic(path, buf.data, buf.len, NULL), NULL);
    cairn_buf_release(&buf);
    json_decref(out);
    free(x);
    free(s);
    free(labels);
    free(p.v);
}

static void test_oracle_dump(void **state)
{
    (void)state;
    const char *dir = getenv("CAIRN_CLUSTER_ORACLE_DIR");
    if (!dir) skip();
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    json_t *manifest = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_json_load_file(path, &manifest, &e), &e);
    size_t i;
    const json_t *spec;
    json_array_foreach(json_object_get(manifest, "sets"), i, spec) run_set(dir, spec);
    assert_true(i > 0);
    json_decref(manifest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_oracle_dump)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
