/* cli/cmd_train.c: `cairn train FILE`: runs a training configuration (include/cairn/train.h)
 * and prints its evidence: the leaderboard with test metrics and confidence intervals, the
 * comparison with the baseline and the gate's verdict, calibration, cost, the top features,
 * slices and fairness; for clustering, the k tried with their validation metrics and the
 * chosen model's clusters. --json prints the whole report (the run's report.json).
 *
 * Tests: tests/integration/test_train_cli.sh, tests/integration/test_train_cluster_cli.sh.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void log_line(void *ud, const char *line)
{
    const cli_ctx *ctx = ud;
    if (!ctx->quiet) fprintf(stderr, "%s\n", line);
}

static double num(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* "0.7312 [0.7201, 0.7420]" */
static const char *ci_text(const json_t *m, char *buf, size_t cap)
{
    if (!m) return "-";
    double v = num(m, "value"), lo = num(m, "low"), hi = num(m, "high");
    if (isnan(lo)) snprintf(buf, cap, "%.4f", v);
    else snprintf(buf, cap, "%.4f [%.4f, %.4f]", v, lo, hi);
    return buf;
}

static void print_report(const json_t *r)
{
    const json_t *board = json_object_get(r, "leaderboard");
    const char *best = json_string_value(json_object_get(r, "best"));
    const json_t *first = json_object_get(json_array_get(board, 0), "test");
    const json_t *rows = json_object_get(r, "rows");
    printf("rows: %lld train, %lld validation, %lld calibration, %lld test\n\n",
           (long long)num(rows, "train"), (long long)num(rows, "validation"), (long long)num(rows, "calibration"),
           (long long)num(rows, "test"));
    printf("leaderboard (test part; intervals: bootstrap percentile)\n");
    printf("  %-18s", "model");
    const char *k;
    const json_t *v;
    int shown = 0;
    json_object_foreach((json_t *)first, k, v)
    {
        if (shown++ < 4) printf(" %-26s", k);
    }
    printf(" %s\n", "threshold");
    size_t i;
    const json_t *e;
    json_array_foreach(board, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "name"));
        printf("%s %-18s", best && !strcmp(best, name) ? "*" : " ", name);
        shown = 0;
        json_object_foreach(json_object_get(e, "test"), k, v)
        {
            char buf[64];
            if (shown++ < 4) printf(" %-26s", ci_text(v, buf, sizeof buf));
        }
        printf(" %.3f", num(e, "threshold"));
        const json_t *s = json_object_get(e, "search");
        if (s) printf("  (%lld trials, %lld pruned)", (long long)num(s, "trials"), (long long)num(s, "pruned"));
        if (json_is_true(json_object_get(e, "resumed"))) printf("  (read back)");
        printf("\n");
    }
    bool nested_title = false;
    json_array_foreach(board, i, e)
    {
        const json_t *n = json_object_get(e, "nested");
        if (!n) continue;
        if (!nested_title)
            printf("\nnested cross-validation (%lld outer x %lld inner folds over training and validation):\n",
                   (long long)num(n, "outer"), (long long)num(n, "inner"));
        nested_title = true;
        printf("  %-18s %s %.4f +- %.4f (the search's own inner estimate: %.4f)\n",
               json_string_value(json_object_get(e, "name")), json_string_value(json_object_get(n, "metric")),
               num(n, "mean"), num(n, "std"), num(n, "inner_mean"));
    }
    const json_t *sig = json_object_get(r, "significance"), *dl = json_object_get(sig, "delong"),
                 *mc = json_object_get(sig, "mcnemar"), *pb = json_object_get(sig, "paired_bootstrap");
    printf("\n%s against the baseline:\n", best);
    if (dl)
        printf("  DeLong: AUC %.4f vs %.4f, difference %.4f [%.4f, %.4f], z = %.2f, p = %.3g\n", num(dl, "auc"),
               num(dl, "baseline_auc"), num(dl, "difference"), num(dl, "low"), num(dl, "high"), num(dl, "z"),
               num(dl, "p_value"));
    if (mc)
        printf("  McNemar: only the model right on %lld rows, only the baseline on %lld, p = %.3g%s\n",
               (long long)num(mc, "only_model_right"), (long long)num(mc, "only_baseline_right"), num(mc, "p_value"),
               json_is_true(json_object_get(mc, "exact")) ? " (exact)" : "");
    if (pb)
        printf("  paired bootstrap: %s difference %.4f [%.4f, %.4f], p = %.3g\n",
               json_string_value(json_object_get(pb, "metric")), num(pb, "difference"), num(pb, "low"), num(pb, "high"),
               num(pb, "p_value"));
    const json_t *gate = json_object_get(r, "gate");
    if (gate)
        printf("  gate: %s (%s)\n", json_is_true(json_object_get(gate, "passed")) ? "PASSED" : "FAILED",
               json_string_value(json_object_get(gate, "reason")));
    json_array_foreach(board, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "name"));
        if (!best || strcmp(best, name)) continue;
        const json_t *cal = json_object_get(e, "calibration"), *cost = json_object_get(e, "cost");
        if (cal)
            printf("\ncalibration (%s, on the calibration part): ECE %.4f -> %.4f, Brier %.4f -> %.4f on test\n",
                   json_string_value(json_object_get(cal, "method")), num(cal, "ece_before"), num(cal, "ece_after"),
                   num(cal, "brier_before"), num(cal, "brier_after"));
        if (cost)
            printf("cost: threshold %.3f minimises the expected cost on validation; %.4f per row on test\n",
                   num(cost, "threshold"), num(cost, "test_cost_per_row"));
    }
    const json_t *imp = json_object_get(r, "importance");
    const char *kinds[] = {"shap", "permutation"};
    for (int q = 0; q < 2; q++) {
        const json_t *arr = json_object_get(imp, kinds[q]);
        if (!arr) continue;
        printf("\ntop features by %s:\n", q ? "permutation importance" : "mean |SHAP|");
        json_array_foreach(arr, i, e)
        {
            if (i >= 8) break;
            printf("  %-40s %.5f\n", json_string_value(json_object_get(e, "feature")), num(e, "value"));
        }
    }
    const json_t *st = json_object_get(r, "importance_stability");
    if (st)
        printf("stability (%s) against run %.12s: Spearman %.3f, Kendall %.3f, top %lld overlap %lld\n",
               json_string_value(json_object_get(st, "kind")), json_string_value(json_object_get(st, "previous_run")),
               num(st, "spearman"), num(st, "kendall_tau_b"), (long long)num(st, "top_k"),
               (long long)num(st, "top_overlap"));
    const json_t *sl;
    json_array_foreach(json_object_get(r, "slices"), i, sl)
    {
        printf("\nslice %s:\n", json_string_value(json_object_get(sl, "slice")));
        size_t g;
        const json_t *seg;
        json_array_foreach(json_object_get(sl, "segments"), g, seg)
        {
            if (g >= 12 && json_array_size(json_object_get(sl, "segments")) > 13 &&
                g + 1 < json_array_size(json_object_get(sl, "segments")))
                continue; /* the first 12 and the whole */
            printf("  %-20s %6lld rows", json_string_value(json_object_get(seg, "value")), (long long)num(seg, "rows"));
            shown = 0;
            json_object_foreach(json_object_get(seg, "metrics"), k, v)
            {
                char buf[64];
                if (shown++ < 2) printf("  %s %s", k, ci_text(v, buf, sizeof buf));
            }
            printf("\n");
        }
    }
    const json_t *fa;
    json_array_foreach(json_object_get(r, "fairness"), i, fa)
    {
        printf("\nfairness by %s (privileged: %s):\n", json_string_value(json_object_get(fa, "attribute")),
               json_string_value(json_object_get(fa, "privileged")));
        printf("  demographic parity difference %.4f, ratio %.4f; equalized odds difference %.4f\n",
               num(fa, "demographic_parity_difference"), num(fa, "demographic_parity_ratio"),
               num(fa, "equalized_odds_difference"));
        printf("  disparate impact %.4f%s; statistical parity difference %.4f; equal opportunity difference "
               "%.4f; average odds difference %.4f\n",
               num(fa, "disparate_impact"),
               json_is_true(json_object_get(fa, "disparate_impact_flag")) ? " (below the 80% rule)" : "",
               num(fa, "statistical_parity_difference"), num(fa, "aif360_equal_opportunity_difference"),
               num(fa, "average_odds_difference"));
    }
    const json_t *notes = json_object_get(r, "notes");
    json_array_foreach(notes, i, e) printf("note: %s\n", json_string_value(e));
}

/* The leaderboard entry named by the report's "best" (NULL if none). */
static const json_t *best_entry(const json_t *r)
{
    const char *best = json_string_value(json_object_get(r, "best"));
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(r, "leaderboard"), i, e)
    {
        const char *name = json_string_value(json_object_get(e, "name"));
        if (best && name && !strcmp(best, name)) return e;
    }
    return NULL;
}

/* task: clustering (src/train/cluster.c): the parameter sets tried with their validation
 * metrics, the chosen one's test metrics, and its clusters' sizes and distinctive centres. */
static void print_cluster_report(const json_t *r)
{
    static const char *const metrics[] = {"silhouette", "davies_bouldin", "calinski_harabasz", "inertia"};
    const json_t *board = json_object_get(r, "leaderboard"), *rows = json_object_get(r, "rows"), *e;
    const json_t *best = best_entry(r);
    const char *best_name = json_string_value(json_object_get(r, "best"));
    const char *select = json_string_value(json_object_get(r, "select_metric"));
    printf("rows: %lld train, %lld validation, %lld test\n\n", (long long)num(rows, "train"),
           (long long)num(rows, "validation"), (long long)num(rows, "test"));
    printf("k tried (validation part; * = best by %s)\n  %-22s %4s", select ? select : "?", "model", "k");
    for (size_t m = 0; m < 4; m++) printf(" %18s", metrics[m]);
    printf("\n");
    size_t i;
    json_array_foreach(board, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "name"));
        bool is_best = e == best;
        printf("%s %-22s %4lld", is_best ? "*" : " ", name ? name : "?", (long long)num(e, "k"));
        for (size_t m = 0; m < 4; m++) printf(" %18.4f", num(json_object_get(e, "valid"), metrics[m]));
        printf("%s\n", json_is_true(json_object_get(e, "resumed")) ? "  (read back)" : "");
    }
    if (best) {
        const json_t *t = json_object_get(best, "test");
        printf("\n%s on the test part: silhouette %.4f, davies_bouldin %.4f, calinski_harabasz %.1f, inertia %.1f\n",
               best_name, num(t, "silhouette"), num(t, "davies_bouldin"), num(t, "calinski_harabasz"), num(t, "inertia"));
        printf("\nclusters (training rows; test share alongside)\n  %7s %10s %7s %7s  %s\n", "cluster", "rows",
               "share", "test", "centre: most distinctive features (z = distance from the mean in std)");
        const json_t *c;
        size_t ci;
        json_array_foreach(json_object_get(best, "clusters"), ci, c)
        {
            char buf[32];
            printf("  %7lld %10s %6.1f%% %6.1f%% ", (long long)num(c, "cluster"),
                   cli_thousands((int64_t)num(c, "rows"), buf, sizeof buf), 100 * num(c, "share"),
                   100 * num(c, "test_share"));
            const char *f;
            const json_t *v;
            int shown = 0;
            json_object_foreach(json_object_get(c, "centroid"), f, v)
            {
                if (shown++ >= 4) break;
                printf(" %s=%.4g (z %+.1f)", f, json_number_value(v), num(json_object_get(c, "centroid_z"), f));
            }
            printf("\n");
        }
    }
    json_array_foreach(json_object_get(r, "notes"), i, e) printf("note: %s\n", json_string_value(e));
}

static int run_train(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_train = {
    NULL, "train", "train FILE [--no-resume]",
    "train, evaluate and compare models from a training configuration",
    "Runs the training configuration FILE (docs/train.md): reads the training set, splits it,\n"
    "trains every learner (with its search, pruning the weak trials), the baseline, calibrates,\n"
    "picks the decision threshold (from the costs when given), and evaluates on the test part\n"
    "with bootstrap confidence intervals, DeLong and McNemar tests against the baseline, the\n"
    "gate's verdict, slices, fairness and feature importance. Everything is recorded as runs\n"
    "(`cairn runs list EXPERIMENT`). Run the same command again after an interruption and it\n"
    "resumes: finished learners and trials are read back, not retrained, and an interrupted\n"
    "trial carries on from its last checkpoint (the same trees as if never stopped). With\n"
    "`nested:` each learner's search also gets a nested cross-validation estimate.\n\n"
    "With `task: clustering` it fits the kmeans learner for each k of its search, picks the best\n"
    "by silhouette on the validation part (or `select`), and reports every k's metrics and the\n"
    "chosen model's clusters.\n\n"
    "options:\n  --no-resume         start a new run even when an unfinished one exists\n"
    "\nexamples:\n  cairn train examples/flights/train.yaml\n  cairn --json train examples/credit/train.yaml\n",
    run_train,
};

static int run_train(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"no-resume", 0, false, NULL}};
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_train, argc, argv, o, 1, pos, 1, &npos);
    if (rc) return rc;
    if (npos != 1) return cli_usage_error(&cli_cmd_train, "expected one training configuration file");
    cairn_error err;
    cairn_error_clear(&err);
    cairn_buf text;
    cairn_buf_init(&text, 0);
    cairn_train_config *cfg = NULL;
    rc = cairn_file_read(pos[0], &text, (size_t)16 << 20, &err);
    if (rc == 0) rc = cairn_train_config_parse(text.data ? text.data : "", text.len, pos[0], &cfg, &err);
    if (rc) {
        cairn_buf_release(&text);
        return cli_fail(ctx, rc, &err);
    }
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) {
        cairn_train_config_free(cfg);
        cairn_buf_release(&text);
        return rc;
    }
    cairn_train_options opts;
    cairn_train_options_init(&opts);
    opts.config_text = text.data;
    opts.config_len = text.len;
    opts.resume = !cli_opt(o, 1, "no-resume");
    opts.source = "cairn train";
    opts.git_commit = getenv("CAIRN_GIT_COMMIT");
    opts.log = log_line;
    opts.log_ud = ctx;
    opts.progress = cli_progress;
    opts.progress_ud = ctx;
    cairn_train_result res;
    rc = cairn_train(home, cfg, &opts, &res, &err);
    cairn_home_close(home);
    cairn_buf_release(&text);
    if (rc) {
        cairn_train_config_free(cfg);
        return cli_fail(ctx, rc, &err);
    }
    bool clustering = cfg->task == CAIRN_TASK_CLUSTERING;
    if (ctx->json) cli_print_json(json_incref(res.report));
    else if (clustering) print_cluster_report(res.report);
    else print_report(res.report);
    const json_t *gate = json_object_get(res.report, "gate");
    if (clustering)
        cli_summary(ctx, "clustered with %zu parameter set%s in experiment %s: best %s, test silhouette %.4f, run %.12s in %.1fs",
                    json_array_size(json_object_get(res.report, "leaderboard")),
                    json_array_size(json_object_get(res.report, "leaderboard")) == 1 ? "" : "s", cfg->experiment,
                    json_string_value(json_object_get(res.report, "best")),
                    num(json_object_get(best_entry(res.report), "test"), "silhouette"),
                    res.run_id, cli_elapsed_s(ctx));
    else cli_summary(ctx, "trained %zu learner%s and the baseline in experiment %s: best %s, gate %s, run %.12s in %.1fs",
                cfg->nlearners, cfg->nlearners == 1 ? "" : "s", cfg->experiment, json_string_value(json_object_get(res.report, "best")),
                json_is_true(json_object_get(gate, "passed")) ? "passed" : "failed", res.run_id, cli_elapsed_s(ctx));
    cairn_train_result_release(&res);
    cairn_train_config_free(cfg);
    return CLI_OK;
}
