/* tests/unit/train/test_runs.c: experiment tracking (src/train/runs.c, include/cairn/runs.h):
 * the metric chunk codec (round trips of awkward values, corrupt input refused), runs and
 * experiments, write-once params, last-write-wins tags, append-only metrics across chunk
 * boundaries with out-of-order steps and NaN, summaries, batch atomicity, list ordering and
 * filtering (both halves of a metric-ordered page), id prefixes, artifacts, finding trials,
 * reaping the runs of dead processes, allocation failures, and two processes logging to one
 * run at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cairn/runs.h"
#include "testutil.h"
#include "train/runs_internal.h"

typedef struct fix {
    char tmp[4096], dir[4200];
    cairn_home *home;
    cairn_error err;
} fix;

static int setup(void **state)
{
    fix *f = calloc(1, sizeof *f);
    bool created;
    snprintf(f->tmp, sizeof f->tmp, "%s", cairn_test_tmpdir("runs"));
    snprintf(f->dir, sizeof f->dir, "%s/home", f->tmp);
    cairn_error_clear(&f->err);
    CAIRN_ASSERT_OK(cairn_home_init(f->dir, &created, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_home_open(f->dir, &f->home, &f->err), &f->err);
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

static void new_run(fix *f, const char *experiment, const char *name, const char *parent,
                    char id[33])
{
    cairn_run_options o = {
        .experiment = experiment, .name = name, .parent_id = parent, .source = "test"};
    CAIRN_ASSERT_OK(cairn_run_create(f->home, &o, id, &f->err), &f->err);
}

static const cairn_metric_summary *summary_of(const cairn_run_info *r, const char *key)
{
    for (size_t i = 0; i < r->nmetrics; i++)
        if (!strcmp(r->metrics[i].key, key)) return &r->metrics[i];
    return NULL;
}

static const char *kv_of(const cairn_run_kv *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(kv[i].key, key)) return kv[i].value;
    return NULL;
}

static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* ------------------------------------------------------------------------------------------
 * The chunk codec
 * ---------------------------------------------------------------------------------------- */

static void roundtrip(const cairn_metric_point *p, size_t n)
{
    cairn_buf b;
    cairn_error err;
    cairn_buf_init(&b, 0);
    cairn_error_clear(&err);
    assert_int_equal(cairn__metric_chunk_encode(p, n, &b), 0);
    cairn_metric_point *out = calloc(CAIRN__METRIC_CHUNK_POINTS, sizeof *out);
    size_t got = 0;
    CAIRN_ASSERT_OK(
        cairn__metric_chunk_decode(b.data, b.len, out, CAIRN__METRIC_CHUNK_POINTS, &got, &err),
        &err);
    assert_int_equal(got, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].step, p[i].step);
        assert_int_equal(out[i].timestamp_ms, p[i].timestamp_ms);
        assert_true(same_bits(out[i].value, p[i].value));
    }
    free(out);
    cairn_buf_release(&b);
}

static void test_chunk_codec(void **state)
{
    (void)state;
    enum { N = CAIRN__METRIC_CHUNK_POINTS };
    cairn_metric_point *p = calloc(N, sizeof *p);
    for (size_t i = 0; i < N; i++)
        p[i] = (cairn_metric_point){(int64_t)i, 1700000000000 + 37 * (int64_t)i,
                                    1.0 / (1.0 + (double)i)};
    roundtrip(p, 1);
    roundtrip(p, N);
    /* a smooth series compresses: well under the 8 bytes a raw double takes */
    cairn_buf b;
    cairn_buf_init(&b, 0);
    assert_int_equal(cairn__metric_chunk_encode(p, N, &b), 0);
    assert_int_equal((unsigned char)b.data[0], 1);
    assert_true(b.len < 8 * N);
    cairn_buf_release(&b);
    /* awkward values and steps: extremes, backwards, NaN payloads, infinities, -0.0 */
    p[0] = (cairn_metric_point){INT64_MIN, 0, NAN};
    p[1] = (cairn_metric_point){INT64_MAX, INT64_MAX, INFINITY};
    p[2] = (cairn_metric_point){-5, 3, -INFINITY};
    p[3] = (cairn_metric_point){0, 0, -0.0};
    p[4] = (cairn_metric_point){7, 1, 5e-324};
    p[5] = (cairn_metric_point){7, 1, -NAN};
    roundtrip(p, 6);
    cairn_rng rng;
    cairn_rng_seed(&rng, 42);
    for (size_t i = 0; i < N; i++) {
        uint64_t bits = cairn_rng_next(&rng);
        memcpy(&p[i].value, &bits, sizeof bits);
        p[i].step = (int64_t)cairn_rng_next(&rng);
        p[i].timestamp_ms = (int64_t)(cairn_rng_next(&rng) >> 1);
    }
    roundtrip(p, N); /* incompressible: stored raw */
    assert_int_equal(cairn__metric_chunk_encode(p, 0, &b), CAIRN_EINVAL);
    assert_int_equal(cairn__metric_chunk_encode(p, N + 1, &b), CAIRN_EINVAL);
    free(p);
}

static void test_chunk_corrupt(void **state)
{
    (void)state;
    cairn_metric_point p[40], out[40];
    for (size_t i = 0; i < 40; i++)
        p[i] = (cairn_metric_point){(int64_t)i, 100, 0.5};
    cairn_buf b;
    cairn_error err;
    size_t n = 0;
    cairn_buf_init(&b, 0);
    assert_int_equal(cairn__metric_chunk_encode(p, 40, &b), 0);
    for (size_t len = 0; len < b.len; len++) {
        cairn_error_clear(&err);
        assert_int_equal(cairn__metric_chunk_decode(b.data, len, out, 40, &n, &err),
                         CAIRN_ECORRUPT);
    }
    cairn_error_clear(&err);
    assert_int_equal(cairn__metric_chunk_decode(b.data, b.len, out, 39, &n, &err), CAIRN_ECORRUPT);
    assert_non_null(strstr(err.message, "more points than expected"));
    b.data[0] = 7;
    assert_int_equal(cairn__metric_chunk_decode(b.data, b.len, out, 40, &n, &err), CAIRN_ECORRUPT);
    cairn_buf_release(&b);
    /* an uncompressed chunk with a flipped count */
    p[0].value = 0.123456789;
    p[1].value = -98765.4321;
    p[2].value = 3.14159e200;
    cairn_buf_init(&b, 0);
    assert_int_equal(cairn__metric_chunk_encode(p, 3, &b), 0);
    assert_int_equal((unsigned char)b.data[0], 0);
    b.data[1] = 4;
    assert_int_equal(cairn__metric_chunk_decode(b.data, b.len, out, 40, &n, &err), CAIRN_ECORRUPT);
    cairn_buf_release(&b);
}

/* ------------------------------------------------------------------------------------------
 * Runs, params, tags
 * ---------------------------------------------------------------------------------------- */

static void test_create_get_end(void **state)
{
    fix *f = *state;
    char id[33];
    int64_t before = cairn_now_us();
    new_run(f, "flights", "baseline", NULL, id);
    assert_int_equal(strlen(id), 32);
    assert_int_equal(strspn(id, "0123456789abcdef"), 32);
    cairn_runs runs;
    CAIRN_ASSERT_OK(cairn_run_get(f->home, id, &runs, &f->err), &f->err);
    assert_int_equal(runs.count, 1);
    const cairn_run_info *r = &runs.items[0];
    assert_string_equal(r->id, id);
    assert_string_equal(r->experiment, "flights");
    assert_string_equal(r->name, "baseline");
    assert_string_equal(r->parent_id, "");
    assert_string_equal(r->source, "test");
    assert_int_equal(r->status, CAIRN_RUN_RUNNING);
    assert_true(r->start_us >= before && r->start_us <= cairn_now_us());
    assert_int_equal(r->end_us, 0);
    assert_non_null(kv_of(r->tags, r->ntags, "cairn.host"));
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    assert_string_equal(kv_of(r->tags, r->ntags, "cairn.pid"), pid);
    assert_string_equal(kv_of(r->tags, r->ntags, "cairn.version"), cairn_version());
    cairn_runs_release(&runs);

    assert_int_equal(cairn_run_end(f->home, id, CAIRN_RUN_RUNNING, &f->err), CAIRN_EINVAL);
    CAIRN_ASSERT_OK(cairn_run_set_system_info(f->home, id, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_run_end(f->home, id, CAIRN_RUN_FINISHED, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_run_get(f->home, id, &runs, &f->err), &f->err);
    r = &runs.items[0];
    assert_int_equal(r->status, CAIRN_RUN_FINISHED);
    assert_true(r->end_us >= r->start_us);
    assert_non_null(kv_of(r->tags, r->ntags, "cairn.system.cpu_s"));
    assert_non_null(kv_of(r->tags, r->ntags, "cairn.system.wall_s"));
    assert_true(atof(kv_of(r->tags, r->ntags, "cairn.system.peak_rss_mb")) > 0);
    cairn_runs_release(&runs);

    /* unknown runs, bad ids, a missing parent */
    cairn_error_clear(&f->err);
    assert_int_equal(
        cairn_run_end(f->home, "0123456789abcdef0123456789abcdef", CAIRN_RUN_FAILED, &f->err),
        CAIRN_ENOTFOUND);
    assert_int_equal(cairn_run_log_metric(f->home, "XYZ", "m", 1, 0, 0, &f->err), CAIRN_EINVAL);
    cairn_run_options o = {.experiment = "flights",
                           .parent_id = "0123456789abcdef0123456789abcdef"};
    char child[33];
    assert_int_equal(cairn_run_create(f->home, &o, child, &f->err), CAIRN_ENOTFOUND);
    assert_non_null(strstr(f->err.message, "parent run"));
    o = (cairn_run_options){.experiment = "bad\nname"};
    assert_int_equal(cairn_run_create(f->home, &o, child, &f->err), CAIRN_EINVAL);
}

static void test_params_write_once(void **state)
{
    fix *f = *state;
    char id[33];
    new_run(f, "e", NULL, NULL, id);
    CAIRN_ASSERT_OK(cairn_run_log_param(f->home, id, "learning_rate", "0.1", &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_run_log_param(f->home, id, "learning_rate", "0.1", &f->err), &f->err);
    cairn_error_clear(&f->err);
    assert_int_equal(cairn_run_log_param(f->home, id, "learning_rate", "0.2", &f->err),
                     CAIRN_ECONFLICT);
    assert_string_equal(f->err.field, "learning_rate");
    assert_string_equal(f->err.expected, "0.1");
    assert_non_null(strstr(f->err.message, "'learning_rate'"));
    assert_non_null(strstr(f->err.message, "'0.1'"));
    assert_non_null(strstr(f->err.message, "'0.2'"));
    assert_non_null(strstr(f->err.message, "write-once"));
    /* bad keys and values */
    assert_int_equal(cairn_run_log_param(f->home, id, "", "x", &f->err), CAIRN_EINVAL);
    assert_int_equal(cairn_run_log_param(f->home, id, "a;b", "x", &f->err), CAIRN_EINVAL);
    char big[CAIRN_RUN_PARAM_VALUE_MAX + 2];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(cairn_run_log_param(f->home, id, "big", big, &f->err), CAIRN_ELIMIT);
    big[CAIRN_RUN_PARAM_VALUE_MAX] = '\0';
    CAIRN_ASSERT_OK(cairn_run_log_param(f->home, id, "big", big, &f->err), &f->err);
    cairn_runs runs;
    CAIRN_ASSERT_OK(cairn_run_get(f->home, id, &runs, &f->err), &f->err);
    assert_int_equal(runs.items[0].nparams, 2);
    assert_string_equal(kv_of(runs.items[0].params, 2, "learning_rate"), "0.1");
    cairn_runs_release(&runs);
}

static void test_tags_last_write_wins(void **state)
{
    fix *f = *state;
    char id[33];
    new_run(f, "e", NULL, NULL, id);
    CAIRN_ASSERT_OK(cairn_run_set_tag(f->home, id, "stage", "one", &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_run_set_tag(f->home, id, "stage", "two", &f->err), &f->err);
    cairn_runs runs;
    CAIRN_ASSERT_OK(cairn_run_get(f->home, id, &runs, &f->err), &f->err);
    assert_string_equal(kv_of(runs.items[0].tags, runs.items[0].ntags, "stage"), "two");
    cairn_runs_release(&runs);
    /* experiments and their tags */
    CAIRN_ASSERT_OK(cairn_experiment_set_tag(f->home, "e", "owner", "ana", &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_experiment_set_tag(f->home, "e", "owner", "bo", &f->err), &f->err);
    assert_int_equal(cairn_experiment_set_tag(f->home, "nope", "owner", "x", &f->err),
                     CAIRN_ENOTFOUND);
    int64_t eid = 0;
    bool created = true;
    CAIRN_ASSERT_OK(cairn_experiment_ensure(f->home, "e", &eid, &created, &f->err), &f->err);
    assert_false(created);
    CAIRN_ASSERT_OK(cairn_experiment_ensure(f->home, "second", &eid, &created, &f->err), &f->err);
    assert_true(created);
    cairn_experiments list;
    CAIRN_ASSERT_OK(cairn_experiment_list(f->home, &list, &f->err), &f->err);
    assert_int_equal(list.count, 2);
    assert_string_equal(list.items[0].name, "e");
    assert_int_equal(list.items[0].runs, 1);
    assert_int_equal(list.items[0].runs_active, 1);
    assert_int_equal(list.items[0].ntags, 1);
    assert_string_equal(list.items[0].tags[0].value, "bo");
    assert_int_equal(list.items[1].runs, 0);
    cairn_experiments_release(&list);
}

/* ------------------------------------------------------------------------------------------
 * Metrics
 * ---------------------------------------------------------------------------------------- */

static void test_metrics_across_chunks(void **state)
{
    fix *f = *state;
    char id[33];
    new_run(f, "e", NULL, NULL, id);
    enum { N = 2500 };
    /* the first 10 one at a time, then batches of 333 (the last shorter) */
    for (int64_t s = 0; s < 10; s++)
        CAIRN_ASSERT_OK(
            cairn_run_log_metric(f->home, id, "loss", 100.0 - (double)s, s, 1000 + s, &f->err),
            &f->err);
    cairn_run_metric *m = calloc(N, sizeof *m);
    for (int64_t s = 10; s < N; s += 333) {
        size_t n = 0;
        for (int64_t k = s; k < s + 333 && k < N; k++)
            m[n++] = (cairn_run_metric){"loss", 100.0 - (double)k, k, 1000 + k};
        cairn_run_batch b = {.metrics = m, .nmetrics = n};
        CAIRN_ASSERT_OK(cairn_run_log_batch(f->home, id, &b, &f->err), &f->err);
    }
    free(m);
    assert_int_equal(
        cairn_test_query_int(cairn_home_catalog(f->home),
                             "SELECT COUNT(*) FROM run_metric_chunks WHERE key = 'loss'"),
        3);
    assert_int_equal(
        cairn_test_query_int(cairn_home_catalog(f->home),
                             "SELECT SUM(points) FROM run_metric_chunks WHERE key = 'loss'"),
        N);
    cairn_metric_point *pts = NULL;
    size_t n = 0;
    CAIRN_ASSERT_OK(cairn_run_metric_history(f->home, id, "loss", &pts, &n, &f->err), &f->err);
    assert_int_equal(n, N);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(pts[i].step, (int64_t)i);
        assert_int_equal(pts[i].timestamp_ms, 1000 + (int64_t)i);
        assert_true(pts[i].value == 100.0 - (double)i);
    }
    cairn_free(pts);
    cairn_runs runs;
    CAIRN_ASSERT_OK(cairn_run_get(f->home, id, &runs, &f->err), &f->err);
    const cairn_metric_summary *s = summary_of(&runs.items[0], "loss");
    assert_non_null(s);
    assert_int_equal(s->count, N);
    assert_int_equal(s->step, N - 1);
    assert_true(s->latest == 100.0 - (N - 1));
    assert_true(s->min == 100.0 - (N - 1));
    assert_true(s->max == 100.0);
    cairn_runs_release(&runs);
    assert_int_equal(cairn_run_metric_history(f->home, id, "nope", &pts, &n, &f->err),
                     CAIRN_ENOTFOUND);
}

static void test_metrics_out_of_order_nan(void **state)
{
    fix *f = *state;
    char id[33];
    new_run(f, "e", NULL, NULL, id);
    /* (step, ts, value) in the order logged */
    const cairn_run_metric m[] = {
        {"acc", 0.5, 5, 10}, {"acc", 0.7, 3, 11},      {"acc", NAN, 9, 12}, {"acc", 0.9, 9, 12},
        {"acc", 0.1, 1, 13}, {"acc", INFINITY, 2, 14}, {"acc", 0.6, 9, 11},
    };
    for (size_t i = 0; i < 7; i++)
        CAIRN_ASSERT_OK(cairn_run_log_metric(f->home, id, m[i].key, m[i].value, m[i].step,
                                             m[i].timestamp_ms, &f->err),
                        &f->err);
    cairn_metric_point *pts = NULL;
    size_t n = 0;
    CAIRN_ASSERT_OK(cairn_run_metric_history(f->home, id, "acc", &pts, &n, &f->err), &f->err);
    assert_int_equal(n, 7);
    /* by step, then timestamp, then the order logged */
    const int64_t steps[] = {1, 2, 3, 5, 9, 9, 9};
    const int64_t ts[] = {13, 14, 11, 10, 11, 12, 12};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(pts[i].step, steps[i]);
        assert_int_equal(pts[i].timestamp_ms, ts[i]);
    }
    assert_true(isinf(pts[1].value));
    assert_true(isnan(pts[5].value));
    assert_true(pts[6].value == 0.9);
    cairn_free(pts);
    cairn_runs runs;
    CAIRN_ASSERT_OK(cairn_run_get(f->home, id, &runs, &f->err), &f->err);
    const cairn_metric_summary *s = summary_of(&runs.items[0], "acc");
    /* latest: the largest (step, ts) = (9, 12), logged twice: the later (0.9) wins */
    assert_true(s->latest == 0.9);
    assert_int_equal(s->step, 9);
    assert_int_equal(s->timestamp_ms, 12);
    assert_true(s->min == 0.1);
    assert_true(isinf(s->max));
    assert_int_equal(s->count, 7);
    cairn_runs_release(&runs);

    /* a NaN latest, and a metric that is only NaN; timestamp 0 means now */
    int64_t now_ms = cairn_now_us() / 1000;
    CAIRN_ASSERT_OK(cairn_run_log_metric(f->home, id, "nan", NAN, 0, 0, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_run_get(f->home, id, &runs, &f->err), &f->err);
    s = summary_of(&runs.items[0], "nan");
    assert_true(isnan(s->latest) && isnan(s->min) && isnan(s->max));
    assert_true(s->timestamp_ms >= now_ms && s->timestamp_ms < now_ms + 60000);
    cairn_runs_release(&runs);
    assert_int_equal(cairn_run_log_metric(f->home, id, "neg", 1, 0, -5, &f->err), CAIRN_ERANGE);
}

static int64_t count_rows(fix *f, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", table);
    return cairn_test_query_int(cairn_home_catalog(f->home), sql);
}

static void test_batch_is_atomic(void **state)
{
    fix *f = *state;
    char id[33];
    new_run(f, "e", NULL, NULL, id);
    CAIRN_ASSERT_OK(cairn_run_log_param(f->home, id, "depth", "6", &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_run_log_metric(f->home, id, "loss", 1.0, 0, 5, &f->err), &f->err);
    int64_t params = count_rows(f, "run_params"), tags = count_rows(f, "run_tags");
    int64_t chunks = count_rows(f, "run_metric_chunks");
    cairn_run_metric m[1200];
    for (int i = 0; i < 1200; i++)
        m[i] = (cairn_run_metric){i % 2 ? "loss" : "auc", 0.5, i + 1, 7};
    cairn_run_kv p[] = {{"eta", "0.3"}, {"depth", "8"}}; /* depth conflicts: stored 6 */
    cairn_run_kv t[] = {{"note", "x"}};
    cairn_run_batch b = {p, 2, t, 1, m, 1200};
    cairn_error_clear(&f->err);
    assert_int_equal(cairn_run_log_batch(f->home, id, &b, &f->err), CAIRN_ECONFLICT);
    assert_string_equal(f->err.field, "depth");
    assert_int_equal(count_rows(f, "run_params"), params);
    assert_int_equal(count_rows(f, "run_tags"), tags);
    assert_int_equal(count_rows(f, "run_metric_chunks"), chunks);
    assert_int_equal(
        cairn_test_query_int(cairn_home_catalog(f->home), "SELECT SUM(count) FROM run_metrics"), 1);
    /* a conflict inside the batch itself */
    cairn_run_kv p2[] = {{"eta", "0.3"}, {"eta", "0.4"}};
    b = (cairn_run_batch){.params = p2, .nparams = 2, .metrics = m, .nmetrics = 10};
    assert_int_equal(cairn_run_log_batch(f->home, id, &b, &f->err), CAIRN_ECONFLICT);
    assert_int_equal(count_rows(f, "run_params"), params);
    /* an invalid metric key, after valid items */
    cairn_run_metric bad[] = {{"ok", 1, 0, 1}, {"no\tgood", 1, 0, 1}};
    b = (cairn_run_batch){.params = p, .nparams = 1, .metrics = bad, .nmetrics = 2};
    assert_int_equal(cairn_run_log_batch(f->home, id, &b, &f->err), CAIRN_EINVAL);
    assert_int_equal(count_rows(f, "run_params"), params);
    assert_int_equal(count_rows(f, "run_metrics"), 1);
    /* the same batch without the conflict goes in whole, keys interleaved */
    p[1].value = "6";
    b = (cairn_run_batch){p, 2, t, 1, m, 1200};
    CAIRN_ASSERT_OK(cairn_run_log_batch(f->home, id, &b, &f->err), &f->err);
    assert_int_equal(count_rows(f, "run_params"), params + 1);
    cairn_runs runs;
    CAIRN_ASSERT_OK(cairn_run_get(f->home, id, &runs, &f->err), &f->err);
    assert_int_equal(summary_of(&runs.items[0], "loss")->count, 601);
    assert_int_equal(summary_of(&runs.items[0], "auc")->count, 600);
    assert_int_equal(summary_of(&runs.items[0], "loss")->step, 1200);
    cairn_runs_release(&runs);
}

/* Every allocation of a batch failing in turn: an error or a whole write, never half. */
static void test_batch_allocation_failures(void **state)
{
    fix *f = *state;
    char id[33];
    new_run(f, "e", NULL, NULL, id);
    cairn_run_metric m[1500];
    for (int i = 0; i < 1500; i++)
        m[i] = (cairn_run_metric){i % 3 ? "a" : "b", i, i, 1};
    cairn_run_kv p[] = {{"k", "v"}};
    cairn_run_batch b = {.params = p, .nparams = 1, .metrics = m, .nmetrics = 1500};
    int64_t expected = 0;
    /* the test allocator must own every live block: reopen the home under it */
    cairn_home_close(f->home);
    cairn_testalloc_install();
    cairn_home *home = NULL;
    CAIRN_ASSERT_OK(cairn_home_open(f->dir, &home, &f->err), &f->err);
    int64_t nth = 1;
    for (; nth < 1000; nth++) {
        cairn_testalloc_reset_counts();
        cairn_testalloc_fail_at(nth, false);
        int rc = cairn_run_log_batch(home, id, &b, &f->err);
        cairn_testalloc_fail_at(0, false);
        bool failed = cairn_testalloc_failures() > 0;
        if (rc == 0)
            expected += 1500;
        else
            assert_true(failed);
        assert_int_equal(cairn_test_query_int(cairn_home_catalog(home),
                                              "SELECT COALESCE(SUM(count), 0) FROM run_metrics"),
                         expected);
        if (!failed) break;
    }
    cairn_home_close(home);
    assert_int_equal(cairn_testalloc_live_blocks(), 0);
    cairn_testalloc_uninstall();
    assert_true(nth > 3 && nth < 1000);
    CAIRN_ASSERT_OK(cairn_home_open(f->dir, &f->home, &f->err), &f->err);
    assert_true(expected > 0);
    cairn_metric_point *pts = NULL;
    size_t n = 0;
    CAIRN_ASSERT_OK(cairn_run_metric_history(f->home, id, "a", &pts, &n, &f->err), &f->err);
    assert_int_equal(n, (size_t)(expected / 1500 * 1000));
    cairn_free(pts);
}

/* ------------------------------------------------------------------------------------------
 * Queries
 * ---------------------------------------------------------------------------------------- */

static void ids_of(const cairn_runs *runs, char out[][33])
{
    for (size_t i = 0; i < runs->count; i++)
        snprintf(out[i], 33, "%s", runs->items[i].id);
}

static void test_list_order_and_filters(void **state)
{
    fix *f = *state;
    /* runs r0..r5 in experiment "x", started in that order; loss: r0 0.3, r1 0.1, r2 none,
     * r3 0.2, r4 NaN, r5 0.1 (a tie with r1); r5 is a child of r0 and FAILED */
    char r[6][33], other[33];
    const double loss[] = {0.3, 0.1, -1, 0.2, NAN, 0.1};
    for (int i = 0; i < 6; i++) {
        char name[16];
        snprintf(name, sizeof name, "r%d", i);
        new_run(f, "x", name, i == 5 ? r[0] : NULL, r[i]);
        if (i != 2)
            CAIRN_ASSERT_OK(cairn_run_log_metric(f->home, r[i], "loss", loss[i], 0, 1, &f->err),
                            &f->err);
        CAIRN_ASSERT_OK(cairn_run_set_tag(f->home, r[i], "kind", i % 2 ? "odd" : "even", &f->err),
                        &f->err);
        usleep(2000);
    }
    CAIRN_ASSERT_OK(cairn_run_end(f->home, r[5], CAIRN_RUN_FAILED, &f->err), &f->err);
    new_run(f, "y", "other", NULL, other);
    CAIRN_ASSERT_OK(cairn_run_log_metric(f->home, other, "loss", 0.0, 0, 1, &f->err), &f->err);

    cairn_runs runs;
    char got[8][33];
    cairn_run_query q = cairn_run_query_default();
    q.experiment = "x";
    CAIRN_ASSERT_OK(cairn_run_list(f->home, &q, &runs, &f->err), &f->err);
    assert_int_equal(runs.count, 6); /* newest first */
    ids_of(&runs, got);
    for (int i = 0; i < 6; i++)
        assert_string_equal(got[i], r[5 - i]);
    assert_non_null(summary_of(&runs.items[0], "loss"));
    assert_null(runs.items[0].params); /* no details asked */
    cairn_runs_release(&runs);

    /* by loss ascending: 0.1 (r1, r5 by row number), 0.2 r3, 0.3 r0, then r4 (NaN) and r2
     * (none), newest first */
    q.order_metric = "loss";
    q.ascending = true;
    CAIRN_ASSERT_OK(cairn_run_list(f->home, &q, &runs, &f->err), &f->err);
    assert_int_equal(runs.count, 6);
    ids_of(&runs, got);
    const int asc[] = {1, 5, 3, 0, 4, 2};
    for (int i = 0; i < 6; i++)
        assert_string_equal(got[i], r[asc[i]]);
    cairn_runs_release(&runs);
    q.ascending = false;
    CAIRN_ASSERT_OK(cairn_run_list(f->home, &q, &runs, &f->err), &f->err);
    ids_of(&runs, got);
    const int desc[] = {0, 3, 5, 1, 4, 2};
    for (int i = 0; i < 6; i++)
        assert_string_equal(got[i], r[desc[i]]);
    cairn_runs_release(&runs);
    /* pages across the two halves */
    q.ascending = true;
    q.limit = 2;
    for (int64_t off = 0; off < 7; off++) {
        q.offset = off;
        CAIRN_ASSERT_OK(cairn_run_list(f->home, &q, &runs, &f->err), &f->err);
        assert_int_equal(runs.count, off >= 6 ? 0 : off == 5 ? 1 : 2);
        for (size_t i = 0; i < runs.count; i++)
            assert_string_equal(runs.items[i].id, r[asc[off + (int64_t)i]]);
        cairn_runs_release(&runs);
    }
    /* filters */
    q = cairn_run_query_default();
    q.experiment = "x";
    q.status = CAIRN_RUN_FAILED;
    CAIRN_ASSERT_OK(cairn_run_list(f->home, &q, &runs, &f->err), &f->err);
    assert_int_equal(runs.count, 1);
    assert_string_equal(runs.items[0].id, r[5]);
    assert_string_equal(runs.items[0].parent_id, r[0]);
    cairn_runs_release(&runs);
    q.status = CAIRN_RUN_ANY;
    q.parent_id = "";
    CAIRN_ASSERT_OK(cairn_run_list(f->home, &q, &runs, &f->err), &f->err);
    assert_int_equal(runs.count, 5);
    cairn_runs_release(&runs);
    q.parent_id = r[0];
    q.details = true;
    CAIRN_ASSERT_OK(cairn_run_list(f->home, &q, &runs, &f->err), &f->err);
    assert_int_equal(runs.count, 1);
    assert_string_equal(kv_of(runs.items[0].tags, runs.items[0].ntags, "kind"), "odd");
    cairn_runs_release(&runs);
    q.parent_id = NULL;
    q.tag_key = "kind";
    q.tag_value = "even";
    q.order_metric = "loss";
    q.ascending = true;
    CAIRN_ASSERT_OK(cairn_run_list(f->home, &q, &runs, &f->err), &f->err);
    assert_int_equal(runs.count, 3); /* r0 0.3, r4 NaN, r2 none */
    assert_string_equal(runs.items[0].id, r[0]);
    assert_string_equal(runs.items[1].id, r[4]);
    assert_string_equal(runs.items[2].id, r[2]);
    cairn_runs_release(&runs);
    /* every experiment; an unknown one */
    q = cairn_run_query_default();
    q.order_metric = "loss";
    q.ascending = true;
    q.limit = 1;
    CAIRN_ASSERT_OK(cairn_run_list(f->home, &q, &runs, &f->err), &f->err);
    assert_string_equal(runs.items[0].id, other);
    assert_string_equal(runs.items[0].experiment, "y");
    cairn_runs_release(&runs);
    q.experiment = "nope";
    assert_int_equal(cairn_run_list(f->home, &q, &runs, &f->err), CAIRN_ENOTFOUND);
    assert_int_equal(runs.count, 0);
    q.experiment = "x";
    q.limit = -1;
    assert_int_equal(cairn_run_list(f->home, &q, &runs, &f->err), CAIRN_EINVAL);

    /* compare: the order given, by prefix */
    char p1[9], p3[9];
    snprintf(p1, sizeof p1, "%.8s", r[1]);
    snprintf(p3, sizeof p3, "%.8s", r[3]);
    const char *which[] = {p3, p1};
    CAIRN_ASSERT_OK(cairn_run_compare(f->home, which, 2, &runs, &f->err), &f->err);
    assert_int_equal(runs.count, 2);
    assert_string_equal(runs.items[0].id, r[3]);
    assert_string_equal(runs.items[1].id, r[1]);
    assert_true(summary_of(&runs.items[1], "loss")->latest == 0.1);
    cairn_runs_release(&runs);
}

static void test_prefix_resolution(void **state)
{
    fix *f = *state;
    char a[33], b[33], id[33];
    new_run(f, "e", NULL, NULL, a);
    new_run(f, "e", NULL, NULL, b);
    cairn_catalog *cat = cairn_home_catalog(f->home);
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE runs SET id = 'abcd1111000000000000000000000000' WHERE id = '%s'", a);
    CAIRN_ASSERT_OK(cairn_catalog_exec(cat, sql, &f->err), &f->err);
    snprintf(sql, sizeof sql,
             "UPDATE runs SET id = 'abcd2222000000000000000000000000' WHERE id = '%s'", b);
    CAIRN_ASSERT_OK(cairn_catalog_exec(cat, sql, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_run_resolve(f->home, "abcd1", id, &f->err), &f->err);
    assert_string_equal(id, "abcd1111000000000000000000000000");
    CAIRN_ASSERT_OK(cairn_run_resolve(f->home, "ABCD22", id, &f->err), &f->err);
    assert_string_equal(id, "abcd2222000000000000000000000000");
    CAIRN_ASSERT_OK(cairn_run_resolve(f->home, "abcd2222000000000000000000000000", id, &f->err),
                    &f->err);
    cairn_error_clear(&f->err);
    assert_int_equal(cairn_run_resolve(f->home, "abcd", id, &f->err), CAIRN_EINVAL);
    assert_non_null(strstr(f->err.message, "ambiguous"));
    assert_non_null(strstr(f->err.message, "abcd1111"));
    assert_string_equal(id, "");
    assert_int_equal(cairn_run_resolve(f->home, "abc", id, &f->err), CAIRN_EINVAL);
    assert_int_equal(cairn_run_resolve(f->home, "abcz", id, &f->err), CAIRN_EINVAL);
    assert_int_equal(cairn_run_resolve(f->home, "ffff", id, &f->err), CAIRN_ENOTFOUND);
    assert_int_equal(cairn_run_resolve(f->home, "abcd11110000000000000000000000000", id, &f->err),
                     CAIRN_EINVAL);
    cairn_runs runs;
    assert_int_equal(cairn_run_get(f->home, "abcd", &runs, &f->err), CAIRN_EINVAL);
    CAIRN_ASSERT_OK(cairn_run_get(f->home, "abcd2", &runs, &f->err), &f->err);
    assert_string_equal(runs.items[0].id, "abcd2222000000000000000000000000");
    cairn_runs_release(&runs);
}

static void test_artifacts(void **state)
{
    fix *f = *state;
    char id[33], object[65];
    new_run(f, "e", NULL, NULL, id);
    const char *model = "{\"trees\": 3}";
    CAIRN_ASSERT_OK(cairn_run_log_artifact(f->home, id, "model/model.json", model, strlen(model),
                                           object, &f->err),
                    &f->err);
    uint8_t digest[32];
    char hex[65];
    cairn_sha256_digest(model, strlen(model), digest);
    cairn_hex_encode(digest, 32, hex);
    assert_string_equal(object, hex);
    cairn_buf out;
    cairn_buf_init(&out, 0);
    CAIRN_ASSERT_OK(cairn_run_artifact_get(f->home, id, "model/model.json", &out, &f->err),
                    &f->err);
    assert_int_equal(out.len, strlen(model));
    assert_memory_equal(out.data, model, out.len);
    /* logging the path again replaces it; an empty artifact is fine */
    CAIRN_ASSERT_OK(cairn_run_log_artifact(f->home, id, "model/model.json", "v2", 2, NULL, &f->err),
                    &f->err);
    cairn_buf_reset(&out);
    CAIRN_ASSERT_OK(cairn_run_artifact_get(f->home, id, "model/model.json", &out, &f->err),
                    &f->err);
    assert_string_equal(out.data, "v2");
    CAIRN_ASSERT_OK(cairn_run_log_artifact(f->home, id, "empty.txt", NULL, 0, NULL, &f->err),
                    &f->err);
    cairn_buf_release(&out);
    cairn_runs runs;
    CAIRN_ASSERT_OK(cairn_run_get(f->home, id, &runs, &f->err), &f->err);
    assert_int_equal(runs.items[0].nartifacts, 2);
    assert_string_equal(runs.items[0].artifacts[0].path, "empty.txt");
    assert_int_equal(runs.items[0].artifacts[0].bytes, 0);
    assert_string_equal(runs.items[0].artifacts[1].path, "model/model.json");
    assert_int_equal(runs.items[0].artifacts[1].bytes, 2);
    cairn_runs_release(&runs);
    const char *bad[] = {"/abs", "../up", "a/../b", "a//b", "./a", "a/", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(cairn_run_log_artifact(f->home, id, bad[i], "x", 1, NULL, &f->err),
                         CAIRN_EINVAL);
    /* an unknown run: refused before anything is stored */
    assert_int_equal(cairn_run_log_artifact(f->home, "0123456789abcdef0123456789abcdef", "a",
                                            "orphan", 6, NULL, &f->err),
                     CAIRN_ENOTFOUND);
    char orphan[4400];
    snprintf(orphan, sizeof orphan, "%s/objects/%.2s/%s", f->dir, hex, hex);
    assert_true(cairn_path_exists(orphan)); /* the model's object: the path is right */
    cairn_sha256_digest("orphan", 6, digest);
    cairn_hex_encode(digest, 32, hex);
    snprintf(orphan, sizeof orphan, "%s/objects/%.2s/%s", f->dir, hex, hex);
    assert_false(cairn_path_exists(orphan));
    cairn_buf_init(&out, 0);
    assert_int_equal(cairn_run_artifact_get(f->home, id, "missing", &out, &f->err),
                     CAIRN_ENOTFOUND);
    cairn_buf_release(&out);
}

/* ------------------------------------------------------------------------------------------
 * Resuming: trials, reaping
 * ---------------------------------------------------------------------------------------- */

static void test_find_child(void **state)
{
    fix *f = *state;
    char parent[33], trial[3][33], id[33];
    new_run(f, "search", "search", NULL, parent);
    for (int i = 0; i < 3; i++) {
        char key[8];
        snprintf(key, sizeof key, "%d", i);
        cairn_run_kv tag = {CAIRN_RUN_TRIAL_TAG, key};
        cairn_run_options o = {
            .experiment = "search", .parent_id = parent, .tags = &tag, .ntags = 1};
        CAIRN_ASSERT_OK(cairn_run_create(f->home, &o, trial[i], &f->err), &f->err);
    }
    CAIRN_ASSERT_OK(cairn_run_end(f->home, trial[1], CAIRN_RUN_FAILED, &f->err), &f->err);
    cairn_run_status status = CAIRN_RUN_ANY;
    CAIRN_ASSERT_OK(
        cairn_run_find_child(f->home, parent, CAIRN_RUN_TRIAL_TAG, "1", id, &status, &f->err),
        &f->err);
    assert_string_equal(id, trial[1]);
    assert_int_equal(status, CAIRN_RUN_FAILED);
    /* a retry of trial 1 is newer: found instead */
    char retry[33];
    cairn_run_kv tag = {CAIRN_RUN_TRIAL_TAG, "1"};
    cairn_run_options o = {.experiment = "search", .parent_id = parent, .tags = &tag, .ntags = 1};
    usleep(2000);
    CAIRN_ASSERT_OK(cairn_run_create(f->home, &o, retry, &f->err), &f->err);
    CAIRN_ASSERT_OK(
        cairn_run_find_child(f->home, parent, CAIRN_RUN_TRIAL_TAG, "1", id, &status, &f->err),
        &f->err);
    assert_string_equal(id, retry);
    assert_int_equal(status, CAIRN_RUN_RUNNING);
    assert_int_equal(
        cairn_run_find_child(f->home, parent, CAIRN_RUN_TRIAL_TAG, "9", id, &status, &f->err),
        CAIRN_ENOTFOUND);
    assert_int_equal(
        cairn_run_find_child(f->home, trial[0], CAIRN_RUN_TRIAL_TAG, "1", id, &status, &f->err),
        CAIRN_ENOTFOUND);
}

static void test_reap(void **state)
{
    fix *f = *state;
    char mine[33], dead[33], reused[33], elsewhere[33];
    new_run(f, "e", "mine", NULL, mine);
    new_run(f, "e", "dead", NULL, dead);
    new_run(f, "e", "reused", NULL, reused);
    new_run(f, "e", "elsewhere", NULL, elsewhere);
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, NULL, 0); /* a pid that is gone (and not reused this quickly) */
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)child);
    CAIRN_ASSERT_OK(cairn_run_set_tag(f->home, dead, "cairn.pid", pid, &f->err), &f->err);
    /* our own pid with another start time: a reused pid */
    CAIRN_ASSERT_OK(cairn_run_set_tag(f->home, reused, "cairn.pid_start", "1", &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_run_set_tag(f->home, elsewhere, "cairn.host", "another-host", &f->err),
                    &f->err);
    CAIRN_ASSERT_OK(cairn_run_set_tag(f->home, elsewhere, "cairn.pid", pid, &f->err), &f->err);
    int64_t reaped = -1;
    CAIRN_ASSERT_OK(cairn_run_reap(f->home, &reaped, &f->err), &f->err);
    bool have_proc = access("/proc/self/stat", R_OK) == 0;
    assert_int_equal(reaped, have_proc ? 2 : 1);
    cairn_runs runs;
    CAIRN_ASSERT_OK(cairn_run_get(f->home, dead, &runs, &f->err), &f->err);
    assert_int_equal(runs.items[0].status, CAIRN_RUN_KILLED);
    assert_true(runs.items[0].end_us > 0);
    assert_non_null(
        strstr(kv_of(runs.items[0].tags, runs.items[0].ntags, "cairn.reaped"), "is gone"));
    cairn_runs_release(&runs);
    CAIRN_ASSERT_OK(cairn_run_get(f->home, mine, &runs, &f->err), &f->err);
    assert_int_equal(runs.items[0].status, CAIRN_RUN_RUNNING);
    cairn_runs_release(&runs);
    CAIRN_ASSERT_OK(cairn_run_get(f->home, elsewhere, &runs, &f->err), &f->err);
    assert_int_equal(runs.items[0].status, CAIRN_RUN_RUNNING);
    cairn_runs_release(&runs);
    CAIRN_ASSERT_OK(cairn_run_reap(f->home, &reaped, &f->err), &f->err);
    assert_int_equal(reaped, 0);
}

/* ------------------------------------------------------------------------------------------
 * Two processes, one run
 * ---------------------------------------------------------------------------------------- */

enum { PER_PROCESS = 300 };

static int child_log(const char *dir, const char *id, int who)
{
    cairn_home *home = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    if (cairn_home_open(dir, &home, &err)) return 1;
    char own[16], param[16];
    snprintf(own, sizeof own, "own%d", who);
    snprintf(param, sizeof param, "p%d", who);
    int rc = cairn_run_log_param(home, id, param, "x", &err);
    for (int i = 0; rc == 0 && i < PER_PROCESS; i++) {
        rc =
            cairn_run_log_metric(home, id, "shared", who * 10000 + i, who * 10000 + i, 1 + i, &err);
        if (rc == 0 && i % 10 == 0) {
            cairn_run_metric m[10];
            for (int k = 0; k < 10; k++)
                m[k] = (cairn_run_metric){own, k, i + k, 1};
            cairn_run_batch b = {.metrics = m, .nmetrics = 10};
            rc = cairn_run_log_batch(home, id, &b, &err);
        }
    }
    if (rc) {
        char msg[1024];
        cairn_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "child %d: %s\n", who, msg);
    }
    cairn_home_close(home);
    return rc ? 1 : 0;
}

static void test_two_processes(void **state)
{
    fix *f = *state;
    char id[33];
    new_run(f, "e", NULL, NULL, id);
    pid_t pids[2];
    for (int who = 0; who < 2; who++) {
        pids[who] = fork();
        assert_true(pids[who] >= 0);
        if (pids[who] == 0) _exit(child_log(f->dir, id, who + 1));
    }
    for (int who = 0; who < 2; who++) {
        int status = 0;
        assert_int_equal(waitpid(pids[who], &status, 0), pids[who]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    cairn_metric_point *pts = NULL;
    size_t n = 0;
    CAIRN_ASSERT_OK(cairn_run_metric_history(f->home, id, "shared", &pts, &n, &f->err), &f->err);
    assert_int_equal(n, 2 * PER_PROCESS);
    for (size_t i = 0; i < n; i++) { /* sorted by step: process 1's, then process 2's */
        int64_t want = (int64_t)(i < PER_PROCESS ? 10000 + i : 20000 + i - PER_PROCESS);
        assert_int_equal(pts[i].step, want);
        assert_true(pts[i].value == (double)want);
    }
    cairn_free(pts);
    cairn_runs runs;
    CAIRN_ASSERT_OK(cairn_run_get(f->home, id, &runs, &f->err), &f->err);
    assert_int_equal(summary_of(&runs.items[0], "shared")->count, 2 * PER_PROCESS);
    assert_int_equal(summary_of(&runs.items[0], "own1")->count, PER_PROCESS);
    assert_int_equal(summary_of(&runs.items[0], "own2")->count, PER_PROCESS);
    assert_int_equal(runs.items[0].nparams, 2);
    cairn_runs_release(&runs);
}

/* ------------------------------------------------------------------------------------------
 * Small things
 * ---------------------------------------------------------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    const char *lower[] = {"loss",     "val_loss", "logloss",    "test.error", "rmse",
                           "val/RMSE", "mae",      "mse",        "brier",      "brier_score",
                           "ece",      "ece_10",   "train-mape", "deviance",   "error_rate"};
    const char *higher[] = {"auc",     "accuracy", "f1",     "r2",  "precision",
                            "recency", "roc_auc",  "recall", "ndcg"};
    for (size_t i = 0; i < sizeof lower / sizeof *lower; i++)
        assert_true(cairn_metric_lower_is_better(lower[i]));
    for (size_t i = 0; i < sizeof higher / sizeof *higher; i++)
        assert_false(cairn_metric_lower_is_better(higher[i]));
    cairn_run_status s;
    assert_int_equal(cairn_run_status_parse("finished", &s), 0);
    assert_int_equal(s, CAIRN_RUN_FINISHED);
    assert_int_equal(cairn_run_status_parse("done", &s), CAIRN_EINVAL);
    assert_string_equal(cairn_run_status_name(CAIRN_RUN_KILLED), "KILLED");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk_codec),
        cmocka_unit_test(test_chunk_corrupt),
        cmocka_unit_test_setup_teardown(test_create_get_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params_write_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tags_last_write_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_across_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_out_of_order_nan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_is_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_allocation_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_order_and_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefix_resolution, setup, teardown),
        cmocka_unit_test_setup_teardown(test_artifacts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_child, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_processes, setup, teardown),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
