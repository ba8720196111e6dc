/* bench/runs_scale.c: experiment tracking at scale (src/train/runs.c), for bench/runs_scale.sh.
 *
 *   bench_runs_scale HOME [--runs N] [--steps S] [--keys K] [--step-runs P] [--reps R]
 *
 * HOME must be an initialised, empty Cairn home. Phases, each timed (CLOCK_MONOTONIC):
 *  1. populate: N runs in experiment "scale", each created with a trial tag, given 5 params,
 *     K metrics of S steps each written in one cairn_run_log_batch (the way a trainer logs a
 *     finished fit), then ended FINISHED: runs/s and points/s;
 *  2. per-step logging: P more runs logging S steps of K metrics one cairn_run_log_metric
 *     call (one transaction) per point: points/s, p50/p99 per call;
 *  3. queries, R times each, median and max in ms: list 20 by a metric ascending and
 *     descending, list 20 at offset 1,000, list 20 by start, list 20 FAILED by a metric
 *     (a filter the order index cannot use), compare 5 runs, get one run, one metric's
 *     history (S points), resolve a 6-digit prefix.
 * Prints one JSON line; the script adds the catalog's size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cairn/cairn.h"
#include "cairn/runs.h"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static cairn_error err;

/* CPU seconds (user + system) of this process: on a shared machine, less noisy than wall
 * time. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void ok(int rc, const char *what)
{
    if (rc == 0) return;
    char msg[1024];
    cairn_error_format(&err, msg, sizeof msg);
    fprintf(stderr, "bench_runs_scale: %s: %s\n", what, msg);
    exit(1);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static const char *const metric_keys[] = {"val_loss", "val_auc", "train_loss", "val_error", "lr"};

/* A loss-like curve per run: noisy, decreasing, different per run. */
static double curve(int64_t run, int key, int64_t step)
{
    double base = 0.3 + (double)((run * 7919 + key * 104729) % 1000) / 5000.0;
    return base + 1.0 / (double)(step + 2) + (double)((run + step * 31) % 97) / 1e5;
}

static void populate(cairn_home *home, int64_t runs, int64_t steps, int keys, char (*ids)[33],
                     double *secs)
{
    cairn_run_metric *m = malloc((size_t)(steps * keys) * sizeof *m);
    int64_t t0 = now_ns();
    for (int64_t r = 0; r < runs; r++) {
        char trial[24], eta[24], depth[24];
        snprintf(trial, sizeof trial, "%lld", (long long)r);
        snprintf(eta, sizeof eta, "%.3f", 0.01 + (double)(r % 30) / 100.0);
        snprintf(depth, sizeof depth, "%lld", (long long)(3 + r % 8));
        cairn_run_kv tag = {CAIRN_RUN_TRIAL_TAG, trial};
        cairn_run_options o = {.experiment = "scale", .name = "trial", .tags = &tag, .ntags = 1};
        ok(cairn_run_create(home, &o, ids[r], &err), "create");
        cairn_run_kv params[] = {{"eta", eta},
                                 {"max_depth", depth},
                                 {"subsample", "0.8"},
                                 {"seed", trial},
                                 {"learner", "xgboost"}};
        size_t n = 0;
        for (int k = 0; k < keys; k++)
            for (int64_t s = 0; s < steps; s++)
                m[n++] =
                    (cairn_run_metric){metric_keys[k], curve(r, k, s), s, 1700000000000 + s * 50};
        cairn_run_batch b = {.params = params, .nparams = 5, .metrics = m, .nmetrics = n};
        ok(cairn_run_log_batch(home, ids[r], &b, &err), "batch");
        ok(cairn_run_end(home, ids[r], r % 50 == 7 ? CAIRN_RUN_FAILED : CAIRN_RUN_FINISHED, &err),
           "end");
        if (r && r % 10000 == 0)
            fprintf(stderr, "populate: %lld runs, %.1f s\n", (long long)r,
                    (double)(now_ns() - t0) / 1e9);
    }
    *secs = (double)(now_ns() - t0) / 1e9;
    free(m);
}

static void per_step(cairn_home *home, int64_t runs, int64_t steps, int keys, double *secs,
                     double *p50_us, double *p99_us)
{
    int64_t calls = runs * steps * keys, c = 0;
    int64_t *lat = malloc((size_t)calls * sizeof *lat);
    int64_t t0 = now_ns();
    for (int64_t r = 0; r < runs; r++) {
        char id[33];
        cairn_run_options o = {.experiment = "per-step", .name = "live"};
        ok(cairn_run_create(home, &o, id, &err), "create");
        for (int64_t s = 0; s < steps; s++)
            for (int k = 0; k < keys; k++) {
                int64_t a = now_ns();
                ok(cairn_run_log_metric(home, id, metric_keys[k], curve(r, k, s), s, 0, &err),
                   "log");
                lat[c++] = now_ns() - a;
            }
        ok(cairn_run_end(home, id, CAIRN_RUN_FINISHED, &err), "end");
    }
    *secs = (double)(now_ns() - t0) / 1e9;
    qsort(lat, (size_t)c, sizeof *lat, cmp_i64);
    *p50_us = (double)lat[c / 2] / 1e3;
    *p99_us = (double)lat[c * 99 / 100] / 1e3;
    free(lat);
}

typedef struct timing {
    const char *name;
    double median_ms, max_ms;
} timing;

/* Runs body reps (1 to 64) times into *t: median and max in ms. */
#define TIME_IT(t, label, reps, body)                                                              \
    do {                                                                                           \
        timing *t_ = (t);                                                                          \
        int64_t lat_[64] = {0};                                                                    \
        for (int i_ = 0; i_ < (reps); i_++) {                                                      \
            int64_t a_ = now_ns();                                                                 \
            body;                                                                                  \
            lat_[i_] = now_ns() - a_;                                                              \
        }                                                                                          \
        qsort(lat_, (size_t)(reps), sizeof lat_[0], cmp_i64);                                      \
        t_->name = (label);                                                                        \
        t_->median_ms = (double)lat_[(reps) / 2] / 1e6;                                            \
        t_->max_ms = (double)lat_[(reps)-1] / 1e6;                                                 \
    } while (0)

static void list_once(cairn_home *home, const char *metric, bool asc, int64_t offset,
                      cairn_run_status status, int64_t *count)
{
    cairn_run_query q = cairn_run_query_default();
    q.experiment = "scale";
    q.order_metric = metric;
    q.ascending = asc;
    q.limit = 20;
    q.offset = offset;
    q.status = status;
    cairn_runs runs;
    ok(cairn_run_list(home, &q, &runs, &err), "list");
    *count = (int64_t)runs.count;
    cairn_runs_release(&runs);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_runs_scale HOME [--runs N] [--steps S] [--keys K] "
                        "[--step-runs P] [--reps R]\n");
        return 2;
    }
    int64_t runs = 1000, steps = 1000, step_runs = 5, reps = 15;
    int keys = 1;
    for (int i = 2; i + 1 < argc; i += 2) {
        long long v = strtoll(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--runs"))
            runs = v;
        else if (!strcmp(argv[i], "--steps"))
            steps = v;
        else if (!strcmp(argv[i], "--keys"))
            keys = (int)(v < 1 ? 1 : v > 5 ? 5 : v);
        else if (!strcmp(argv[i], "--step-runs"))
            step_runs = v;
        else if (!strcmp(argv[i], "--reps"))
            reps = v < 1 ? 1 : v > 64 ? 64 : v;
    }
    cairn_home *home;
    ok(cairn_home_open(argv[1], &home, &err), "open");
    char(*ids)[33] = calloc((size_t)runs, sizeof *ids);
    double populate_s, step_s, p50, p99, cpu0 = cpu_s();
    populate(home, runs, steps, keys, ids, &populate_s);
    double populate_cpu_s = cpu_s() - cpu0;
    per_step(home, step_runs, steps, keys, &step_s, &p50, &p99);

    timing t[10] = {{0}};
    int nt = 0;
    int64_t got = 0;
    TIME_IT(&t[nt++], "list 20 by metric asc", (int)reps,
            list_once(home, "val_loss", true, 0, CAIRN_RUN_ANY, &got));
    TIME_IT(&t[nt++], "list 20 by metric desc", (int)reps,
            list_once(home, "val_loss", false, 0, CAIRN_RUN_ANY, &got));
    TIME_IT(&t[nt++], "list 20 by metric, offset 1000", (int)reps,
            list_once(home, "val_loss", true, 1000, CAIRN_RUN_ANY, &got));
    TIME_IT(&t[nt++], "list 20 by start", (int)reps,
            list_once(home, NULL, false, 0, CAIRN_RUN_ANY, &got));
    TIME_IT(&t[nt++], "list 20 FAILED by metric", (int)reps,
            list_once(home, "val_loss", true, 0, CAIRN_RUN_FAILED, &got));
    const char *five[5];
    for (int i = 0; i < 5; i++)
        five[i] = ids[(runs - 1) * i / 4];
    cairn_runs out;
    TIME_IT(&t[nt++], "compare 5 runs", (int)reps, {
        ok(cairn_run_compare(home, five, 5, &out, &err), "compare");
        cairn_runs_release(&out);
    });
    TIME_IT(&t[nt++], "get 1 run", (int)reps, {
        ok(cairn_run_get(home, ids[runs / 2], &out, &err), "get");
        cairn_runs_release(&out);
    });
    size_t npts = 0;
    TIME_IT(&t[nt++], "history of 1 metric", (int)reps, {
        cairn_metric_point *pts;
        ok(cairn_run_metric_history(home, ids[runs / 3], "val_loss", &pts, &npts, &err), "history");
        cairn_free(pts);
    });
    char prefix[7], id[33];
    snprintf(prefix, sizeof prefix, "%.6s", ids[runs / 4]);
    TIME_IT(&t[nt++], "resolve a 6-digit prefix", (int)reps, {
        if (cairn_run_resolve(home, prefix, id, &err) && err.code != CAIRN_EINVAL)
            ok(err.code, "resolve");
    });

    printf(
        "{\"runs\": %lld, \"steps\": %lld, \"keys\": %d, \"points\": %lld, \"populate_s\": %.3f, "
        "\"populate_cpu_s\": %.3f, \"populate_runs_per_s\": %.1f, \"populate_points_per_s\": %.0f, "
        "\"step_runs\": %lld, "
        "\"step_points\": %lld, \"step_s\": %.3f, \"step_points_per_s\": %.0f, \"step_p50_us\": "
        "%.1f, "
        "\"step_p99_us\": %.1f, \"history_points\": %zu, \"queries\": [",
        (long long)runs, (long long)steps, keys, (long long)(runs * steps * keys), populate_s,
        populate_cpu_s, (double)runs / populate_s, (double)(runs * steps * keys) / populate_s,
        (long long)step_runs, (long long)(step_runs * steps * keys), step_s,
        (double)(step_runs * steps * keys) / step_s, p50, p99, npts);
    for (int i = 0; i < nt; i++)
        printf("%s{\"name\": \"%s\", \"median_ms\": %.3f, \"max_ms\": %.3f}", i ? ", " : "",
               t[i].name, t[i].median_ms, t[i].max_ms);
    printf("]}\n");
    free(ids);
    cairn_home_close(home);
    return 0;
}
