/* cli/cmd_runs.c: `cairn runs list|show|compare|importance|history|experiments|reap`:
 * reading the experiment tracking that `cairn train` writes (include/cairn/runs.h).
 *
 * Runs are named by any unambiguous prefix of their id (at least 4 hex digits). Numbers are
 * printed with 6 significant digits in text and exactly in JSON, where NaN and infinities,
 * which JSON lacks, are the strings "NaN", "Infinity" and "-Infinity" (MLflow's REST API
 * writes them the same way). In `runs compare` the best value of each metric is marked: the
 * lowest for names cairn_metric_lower_is_better recognises (loss, error, rmse, ...), the
 * highest otherwise.
 *
 * `runs importance` reads each run's report.json artifact, where `cairn train` keeps mean
 * |SHAP| and permutation importance, ranks each list (value descending, ties by name, NaN
 * unranked), lays the union of features out in the first run's order and measures each later
 * run against the first with cairn_importance_stability_of (include/cairn/metrics.h).
 *
 * Tests: tests/integration/test_runs_cli.sh, tests/integration/test_runs_importance_cli.sh.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/metrics.h"
#include "cairn/runs.h"
#include "cli.h"

#define MAX_COMPARE 64

/* --------------------------------------------------------------------------------------
 * Shared: numbers, times, JSON of a run
 * ------------------------------------------------------------------------------------ */

static json_t *json_num(double v)
{
    if (isnan(v)) return json_string("NaN");
    if (isinf(v)) return json_string(v > 0 ? "Infinity" : "-Infinity");
    return json_real(v);
}

static json_t *json_num_or_null(double v)
{
    return isnan(v) ? json_null() : json_num(v);
}

static const char *num_text(double v, char *out, size_t cap)
{
    if (isnan(v))
        snprintf(out, cap, "NaN");
    else if (isinf(v))
        snprintf(out, cap, v > 0 ? "inf" : "-inf");
    else
        snprintf(out, cap, "%.6g", v);
    return out;
}

/* "2026-01-02T03:04:05Z": whole seconds are enough on screen. */
static const char *time_text(int64_t us, char *out, size_t cap)
{
    if (us <= 0) {
        snprintf(out, cap, "-");
        return out;
    }
    cairn_time_format(us - us % CAIRN_US_PER_SECOND, out, cap);
    return out;
}

static const char *duration_text(const cairn_run_info *r, char *out, size_t cap)
{
    int64_t end = r->end_us ? r->end_us : (r->status == CAIRN_RUN_RUNNING ? cairn_now_us() : 0);
    if (!end) {
        snprintf(out, cap, "-");
        return out;
    }
    double s = (double)(end - r->start_us) / 1e6;
    if (s < 60)
        snprintf(out, cap, "%.1fs", s);
    else if (s < 3600)
        snprintf(out, cap, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(out, cap, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    return out;
}

static json_t *json_kvs(const cairn_run_kv *kv, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, kv[i].key, json_string(kv[i].value));
    return o;
}

static json_t *json_summary(const cairn_metric_summary *s)
{
    return json_pack("{s:o, s:I, s:I, s:o, s:o, s:I}", "latest", json_num(s->latest), "step",
                     (json_int_t)s->step, "timestamp_ms", (json_int_t)s->timestamp_ms, "min",
                     json_num_or_null(s->min), "max", json_num_or_null(s->max), "count",
                     (json_int_t)s->count);
}

static json_t *json_run(const cairn_run_info *r, bool details)
{
    char start[CAIRN_TIME_FMT_LEN], end[CAIRN_TIME_FMT_LEN];
    cairn_time_format(r->start_us, start, sizeof start);
    if (r->end_us) cairn_time_format(r->end_us, end, sizeof end);
    json_t *metrics = json_object();
    for (size_t i = 0; i < r->nmetrics; i++)
        json_object_set_new(metrics, r->metrics[i].key, json_summary(&r->metrics[i]));
    json_t *o = json_pack("{s:s, s:s, s:s?, s:s, s:s?, s:s, s:s?, s:s, s:I, s:s?, s:o, s:o}", "id",
                          r->id, "experiment", r->experiment, "name", *r->name ? r->name : NULL,
                          "status", cairn_run_status_name(r->status), "parent_id",
                          *r->parent_id ? r->parent_id : NULL, "user", r->user, "source",
                          *r->source ? r->source : NULL, "start", start, "start_us",
                          (json_int_t)r->start_us, "end", r->end_us ? end : NULL, "end_us",
                          r->end_us ? json_integer(r->end_us) : json_null(), "metrics", metrics);
    if (!o || !details) return o;
    json_t *artifacts = json_array();
    for (size_t i = 0; i < r->nartifacts; i++)
        json_array_append_new(artifacts, json_pack("{s:s, s:s, s:I}", "path", r->artifacts[i].path,
                                                   "object", r->artifacts[i].object, "bytes",
                                                   (json_int_t)r->artifacts[i].bytes));
    json_object_set_new(o, "params", json_kvs(r->params, r->nparams));
    json_object_set_new(o, "tags", json_kvs(r->tags, r->ntags));
    json_object_set_new(o, "artifacts", artifacts);
    return o;
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

/* --------------------------------------------------------------------------------------
 * cairn runs list
 * ------------------------------------------------------------------------------------ */

static int run_list(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_runs_list = {
    "runs",
    "list",
    "runs list [EXPERIMENT] [opts]",
    "list tracked runs",
    "One line per run: id (12 digits), experiment, name, status, start, duration, and the\n"
    "ordering metric's latest value. Without EXPERIMENT, the runs of every experiment.\n\n"
    "options:\n"
    "  --status S          RUNNING, FINISHED, FAILED or KILLED\n"
    "  --parent RUN        children of this run (a search's trials); 'none' = top-level runs\n"
    "  --tag KEY=VALUE     runs carrying this tag\n"
    "  --order-by O        metric:KEY (lowest first), -metric:KEY (highest first),\n"
    "                      start (oldest first) or -start (newest first, the default);\n"
    "                      runs without the metric, or whose latest value is NaN, come last\n"
    "  --limit N           at most N runs (default 100)\n"
    "  --offset N          skip the first N\n"
    "\nexamples:\n  cairn runs list flights --order-by -metric:auc --limit 5\n"
    "  cairn runs list --parent 3f2a --status FAILED\n",
    run_list,
};

static int parse_order(const char *o, cairn_run_query *q)
{
    if (!o || !strcmp(o, "-start")) return 0;
    if (!strcmp(o, "start")) {
        q->ascending = true;
        return 0;
    }
    bool desc = o[0] == '-';
    if (strncmp(o + desc, "metric:", 7) || !o[desc + 7]) return -1;
    q->order_metric = o + desc + 7;
    q->ascending = !desc;
    return 0;
}

static void print_list(const cairn_runs *runs, const char *metric)
{
    printf("%-12s  %-16s %-20s %-9s %-20s %9s", "ID", "EXPERIMENT", "NAME", "STATUS", "STARTED",
           "DURATION");
    if (metric) printf("  %s", metric);
    printf("\n");
    for (size_t i = 0; i < runs->count; i++) {
        const cairn_run_info *r = &runs->items[i];
        char start[CAIRN_TIME_FMT_LEN], dur[32], num[48];
        printf("%.12s  %-16s %-20s %-9s %-20s %9s", r->id, r->experiment, *r->name ? r->name : "-",
               cairn_run_status_name(r->status), time_text(r->start_us, start, sizeof start),
               duration_text(r, dur, sizeof dur));
        if (metric) {
            const cairn_metric_summary *s = summary_of(r, metric);
            printf("  %s", s ? num_text(s->latest, num, sizeof num) : "-");
        }
        printf("\n");
    }
}

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
    const cli_command *cmd = &cli_cmd_runs_list;
    cli_option o[] = {{"status", 's', true, NULL}, {"parent", 'p', true, NULL},
                      {"tag", 't', true, NULL},    {"order-by", 'o', true, NULL},
                      {"limit", 'n', true, NULL},  {"offset", 0, true, NULL}};
    size_t no = sizeof o / sizeof o[0];
    char *pos[1];
    int npos;
    cairn_run_query q = cairn_run_query_default();
    int rc = cli_parse(cmd, argc, argv, o, no, pos, 1, &npos);
    if (rc == 0) rc = cli_opt_int(cmd, o, no, "limit", 100, &q.limit);
    if (rc == 0) rc = cli_opt_int(cmd, o, no, "offset", 0, &q.offset);
    if (rc) return rc;
    const char *status = cli_opt(o, no, "status"), *tag = cli_opt(o, no, "tag"),
               *parent = cli_opt(o, no, "parent");
    if (status && cairn_run_status_parse(status, &q.status))
        return cli_usage_error(
            cmd, "--status: expected RUNNING, FINISHED, FAILED or KILLED, found '%s'", status);
    if (parse_order(cli_opt(o, no, "order-by"), &q))
        return cli_usage_error(
            cmd, "--order-by: expected metric:KEY, -metric:KEY, start or -start, found '%s'",
            cli_opt(o, no, "order-by"));
    char tag_key[CAIRN_RUN_KEY_MAX + 1];
    if (tag) {
        size_t eq = strcspn(tag, "=");
        if (!tag[eq] || eq == 0 || eq > CAIRN_RUN_KEY_MAX)
            return cli_usage_error(cmd, "--tag: expected KEY=VALUE, found '%s'", tag);
        snprintf(tag_key, sizeof tag_key, "%.*s", (int)eq, tag);
        q.tag_key = tag_key;
        q.tag_value = tag + eq + 1;
    }
    q.experiment = npos ? pos[0] : NULL;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    char parent_id[CAIRN_RUN_ID_LEN + 1] = "";
    if (parent && strcmp(parent, "none")) rc = cairn_run_resolve(home, parent, parent_id, &err);
    if (parent) q.parent_id = parent_id;
    cairn_runs runs = {0};
    if (rc == 0) rc = cairn_run_list(home, &q, &runs, &err);
    if (rc == 0) {
        if (ctx->json) {
            json_t *arr = json_array();
            for (size_t i = 0; i < runs.count; i++)
                json_array_append_new(arr, json_run(&runs.items[i], false));
            cli_print_json(json_pack("{s:I, s:o}", "count", (json_int_t)runs.count, "runs", arr));
        } else {
            print_list(&runs, q.order_metric);
        }
        char order[CAIRN_RUN_KEY_MAX + 32];
        if (q.order_metric)
            snprintf(order, sizeof order, "%s %s", q.order_metric,
                     q.ascending ? "ascending" : "descending");
        else
            snprintf(order, sizeof order, "start, %s first", q.ascending ? "oldest" : "newest");
        cli_summary(ctx, "%zu runs%s%s (by %s)", runs.count, q.experiment ? " of " : "",
                    q.experiment ? q.experiment : "", order);
    }
    cairn_runs_release(&runs);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * cairn runs show
 * ------------------------------------------------------------------------------------ */

static int run_show(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_runs_show = {
    "runs",
    "show",
    "runs show RUN",
    "show a run: params, metrics, artifacts",
    "Prints a run: experiment, name, status, parent, user, source, start, end and duration,\n"
    "then its params, tags (Cairn's own start with 'cairn.': host, pid, version, and after\n"
    "training cairn.system.cpu_s, wall_s, peak_rss_mb), the summary of each metric (latest\n"
    "value and its step, min, max, points logged) and its artifacts (path, bytes, object).\n"
    "RUN is any unambiguous prefix of the run's id (at least 4 hex digits).\n"
    "\nexample:\n  cairn runs show 3f2a9c\n",
    run_show,
};

static void print_kvs(const char *title, const cairn_run_kv *kv, size_t n)
{
    printf("\n%s (%zu)\n", title, n);
    for (size_t i = 0; i < n; i++)
        printf("  %-28s %s\n", kv[i].key, kv[i].value);
}

static void print_run(const cairn_run_info *r)
{
    char start[CAIRN_TIME_FMT_LEN], end[CAIRN_TIME_FMT_LEN], dur[32];
    printf("run         %s\nexperiment  %s\nname        %s\nstatus      %s\nparent      %s\n"
           "user        %s\nsource      %s\nstarted     %s\nended       %s\nduration    %s\n",
           r->id, r->experiment, *r->name ? r->name : "-", cairn_run_status_name(r->status),
           *r->parent_id ? r->parent_id : "-", r->user, *r->source ? r->source : "-",
           time_text(r->start_us, start, sizeof start), time_text(r->end_us, end, sizeof end),
           duration_text(r, dur, sizeof dur));
    print_kvs("params", r->params, r->nparams);
    print_kvs("tags", r->tags, r->ntags);
    printf("\nmetrics (%zu)\n", r->nmetrics);
    if (r->nmetrics)
        printf("  %-28s %12s %8s %12s %12s %8s\n", "KEY", "LATEST", "STEP", "MIN", "MAX", "POINTS");
    for (size_t i = 0; i < r->nmetrics; i++) {
        const cairn_metric_summary *s = &r->metrics[i];
        char a[48], b[48], c[48];
        printf("  %-28s %12s %8lld %12s %12s %8lld\n", s->key, num_text(s->latest, a, sizeof a),
               (long long)s->step, isnan(s->min) ? "-" : num_text(s->min, b, sizeof b),
               isnan(s->max) ? "-" : num_text(s->max, c, sizeof c), (long long)s->count);
    }
    printf("\nartifacts (%zu)\n", r->nartifacts);
    for (size_t i = 0; i < r->nartifacts; i++) {
        char bytes[32];
        printf("  %-40s %12s bytes  %.12s\n", r->artifacts[i].path,
               cli_thousands(r->artifacts[i].bytes, bytes, sizeof bytes), r->artifacts[i].object);
    }
}

static int run_show(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_runs_show, argc, argv, NULL, 0, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_runs_show, "expected RUN");
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_runs runs = {0};
    rc = cairn_run_get(home, pos[0], &runs, &err);
    if (rc == 0) {
        const cairn_run_info *r = &runs.items[0];
        if (ctx->json)
            cli_print_json(json_run(r, true));
        else
            print_run(r);
        cli_summary(ctx, "run %.12s %s: %zu params, %zu metrics, %zu artifacts", r->id,
                    cairn_run_status_name(r->status), r->nparams, r->nmetrics, r->nartifacts);
    }
    cairn_runs_release(&runs);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * cairn runs compare
 * ------------------------------------------------------------------------------------ */

static int run_compare(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_runs_compare = {
    "runs",
    "compare",
    "runs compare RUN RUN...",
    "compare runs side by side",
    "Params and the latest value of each metric of up to 64 runs, one column per run.\n"
    "Params whose values differ between the runs are marked '!'. The best value of each\n"
    "metric is marked '*': the lowest for metrics whose name has a word containing loss,\n"
    "error or brier, or starting with rmse, mse, mae, mape, ece or deviance (val_loss,\n"
    "test.rmse, ece_10); the highest for every other metric (auc, accuracy, f1, ...). NaN\n"
    "is never best; '-' means the run has no such param or metric.\n"
    "\nexample:\n  cairn runs compare 3f2a 8b1c e07d\n",
    run_compare,
};

/* The union of the runs' keys, sorted: params (metrics = false) or metric keys. */
static int union_keys(const cairn_runs *runs, bool metrics, const char ***out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < runs->count; i++) {
        const cairn_run_info *r = &runs->items[i];
        size_t count = metrics ? r->nmetrics : r->nparams;
        for (size_t k = 0; k < count; k++) {
            const char *key = metrics ? r->metrics[k].key : r->params[k].key;
            bool seen = false;
            for (size_t j = 0; j < *n && !seen; j++)
                seen = !strcmp((*out)[j], key);
            if (seen) continue;
            if (cairn_grow((void **)out, &cap, *n + 1, sizeof **out)) return CAIRN_ENOMEM;
            (*out)[(*n)++] = key;
        }
    }
    for (size_t i = 1; i < *n; i++) /* insertion sort: a few dozen keys */
        for (size_t j = i; j > 0 && strcmp((*out)[j - 1], (*out)[j]) > 0; j--) {
            const char *t = (*out)[j];
            (*out)[j] = (*out)[j - 1];
            (*out)[j - 1] = t;
        }
    return 0;
}

/* best[i] = whether run i holds the best latest value of key. */
static void best_of(const cairn_runs *runs, const char *key, bool *best)
{
    bool lower = cairn_metric_lower_is_better(key), any = false;
    double top = 0;
    for (size_t i = 0; i < runs->count; i++) {
        const cairn_metric_summary *s = summary_of(&runs->items[i], key);
        if (!s || isnan(s->latest)) continue;
        if (!any || (lower ? s->latest < top : s->latest > top)) top = s->latest;
        any = true;
    }
    for (size_t i = 0; i < runs->count; i++) {
        const cairn_metric_summary *s = summary_of(&runs->items[i], key);
        best[i] = any && s && !isnan(s->latest) && s->latest == top;
    }
}

static bool param_differs(const cairn_runs *runs, const char *key)
{
    const char *first = kv_of(runs->items[0].params, runs->items[0].nparams, key);
    for (size_t i = 1; i < runs->count; i++) {
        const char *v = kv_of(runs->items[i].params, runs->items[i].nparams, key);
        if (!v != !first || (v && strcmp(v, first))) return true;
    }
    return false;
}

static json_t *compare_json(const cairn_runs *runs, const char **params, size_t np,
                            const char **metrics, size_t nm)
{
    json_t *jr = json_array(), *jp = json_array(), *jm = json_array();
    for (size_t i = 0; i < runs->count; i++) {
        const cairn_run_info *r = &runs->items[i];
        json_array_append_new(jr, json_pack("{s:s, s:s, s:s?, s:s}", "id", r->id, "experiment",
                                            r->experiment, "name", *r->name ? r->name : NULL,
                                            "status", cairn_run_status_name(r->status)));
    }
    for (size_t k = 0; k < np; k++) {
        json_t *values = json_array();
        for (size_t i = 0; i < runs->count; i++) {
            const char *v = kv_of(runs->items[i].params, runs->items[i].nparams, params[k]);
            json_array_append_new(values, v ? json_string(v) : json_null());
        }
        json_array_append_new(jp, json_pack("{s:s, s:o, s:b}", "key", params[k], "values", values,
                                            "differs", param_differs(runs, params[k])));
    }
    bool best[MAX_COMPARE];
    for (size_t k = 0; k < nm; k++) {
        json_t *values = json_array(), *winners = json_array();
        best_of(runs, metrics[k], best);
        for (size_t i = 0; i < runs->count; i++) {
            const cairn_metric_summary *s = summary_of(&runs->items[i], metrics[k]);
            json_array_append_new(values, s ? json_num(s->latest) : json_null());
            if (best[i]) json_array_append_new(winners, json_integer((json_int_t)i));
        }
        json_array_append_new(jm,
                              json_pack("{s:s, s:b, s:o, s:o}", "key", metrics[k],
                                        "lower_is_better", cairn_metric_lower_is_better(metrics[k]),
                                        "values", values, "best", winners));
    }
    return json_pack("{s:o, s:o, s:o}", "runs", jr, "params", jp, "metrics", jm);
}

static void compare_text(const cairn_runs *runs, const char **params, size_t np,
                         const char **metrics, size_t nm)
{
    printf("%-30s", "");
    for (size_t i = 0; i < runs->count; i++)
        printf(" %-14.12s", runs->items[i].id);
    printf("\n%-30s", "name");
    for (size_t i = 0; i < runs->count; i++)
        printf(" %-14.14s", *runs->items[i].name ? runs->items[i].name : "-");
    printf("\n%-30s", "status");
    for (size_t i = 0; i < runs->count; i++)
        printf(" %-14s", cairn_run_status_name(runs->items[i].status));
    printf("\n\nparams (%zu)\n", np);
    for (size_t k = 0; k < np; k++) {
        printf("%c %-28.28s", param_differs(runs, params[k]) ? '!' : ' ', params[k]);
        for (size_t i = 0; i < runs->count; i++) {
            const char *v = kv_of(runs->items[i].params, runs->items[i].nparams, params[k]);
            printf(" %-14.14s", v ? v : "-");
        }
        printf("\n");
    }
    printf("\nmetrics (%zu; * = best)\n", nm);
    bool best[MAX_COMPARE];
    for (size_t k = 0; k < nm; k++) {
        best_of(runs, metrics[k], best);
        printf("  %-28.28s", metrics[k]);
        for (size_t i = 0; i < runs->count; i++) {
            const cairn_metric_summary *s = summary_of(&runs->items[i], metrics[k]);
            char num[48], cell[64];
            snprintf(cell, sizeof cell, "%s%s", s ? num_text(s->latest, num, sizeof num) : "-",
                     best[i] ? " *" : "");
            printf(" %-14s", cell);
        }
        printf("  (%s is better)\n", cairn_metric_lower_is_better(metrics[k]) ? "lower" : "higher");
    }
}

static int run_compare(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[MAX_COMPARE];
    int npos;
    int rc = cli_parse(&cli_cmd_runs_compare, argc, argv, NULL, 0, pos, MAX_COMPARE, &npos);
    if (rc == 0 && npos < 2)
        rc = cli_usage_error(&cli_cmd_runs_compare, "expected two or more runs");
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_runs runs = {0};
    const char **params = NULL, **metrics = NULL;
    size_t np = 0, nm = 0;
    rc = cairn_run_compare(home, (const char *const *)pos, (size_t)npos, &runs, &err);
    if (rc == 0 &&
        (union_keys(&runs, false, &params, &np) || union_keys(&runs, true, &metrics, &nm)))
        rc = cairn_error_set(&err, CAIRN_ENOMEM, "out of memory");
    if (rc == 0) {
        if (ctx->json)
            cli_print_json(compare_json(&runs, params, np, metrics, nm));
        else
            compare_text(&runs, params, np, metrics, nm);
        size_t differ = 0;
        for (size_t k = 0; k < np; k++)
            differ += param_differs(&runs, params[k]);
        cli_summary(ctx, "compared %zu runs: %zu params (%zu differ), %zu metrics", runs.count, np,
                    differ, nm);
    }
    cairn_free(params);
    cairn_free(metrics);
    cairn_runs_release(&runs);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * cairn runs importance
 * ------------------------------------------------------------------------------------ */

static int run_importance(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_runs_importance = {
    "runs",
    "importance",
    "runs importance RUN RUN... [opts]",
    "compare runs' feature importance and its stability",
    "Reads the feature importance `cairn train` stores in the report.json of its job run\n"
    "and compares two or more runs: one row per feature (every feature of any run, in the\n"
    "first run's order), with each run's rank and value; then, for each later run, the\n"
    "stability of its importance against the first run's: Spearman's rank correlation and\n"
    "Kendall's tau-b over the features both runs hold, and how many of the first run's top K\n"
    "features are among the run's top K ('7/10'). Ranks are by value, largest first, equal\n"
    "values by name; a null (NaN) value counts as absent. Up to 64 runs.\n\n"
    "options:\n"
    "  --kind K            shap (mean |SHAP|) or permutation (the drop of the selection\n"
    "                      metric when one column is shuffled); default shap when every run\n"
    "                      has it, else permutation\n"
    "  --top K             K of the top-K overlap (default 10)\n"
    "  --experiment NAME   instead of RUNs: the experiment's last N finished top-level runs\n"
    "                      whose report has importance, oldest first\n"
    "  --last N            with --experiment: how many runs (default 5, at least 2)\n"
    "\nexamples:\n  cairn runs importance 3f2a 8b1c\n"
    "  cairn runs importance --experiment flights --last 3 --kind permutation --json\n",
    run_importance,
};

/* One feature of one run's list. */
typedef struct imp_item {
    const char *feature; /* borrowed from the run's report */
    double value;        /* NaN for null */
} imp_item;

typedef struct imp_run {
    char id[CAIRN_RUN_ID_LEN + 1];
    char *experiment, *name, *status; /* heap copies; name "" when none */
    json_t *report;                   /* report.json */
    const json_t *importance;         /* its "importance" object (borrowed from report) */
    const char *metric;               /* permutation_metric when the kind is permutation */
    imp_item *items;                  /* by rank: value descending, NaN last, ties by name */
    size_t n;
    const char **names; /* items' features and values as the arrays the library takes */
    double *values;
} imp_run;

/* A row of the table: one feature of the union. */
typedef struct imp_row {
    const char *feature;
    size_t *at;  /* per run: the position in its items, or SIZE_MAX when absent */
    size_t *key; /* per run: the rank, or SIZE_MAX when absent or NaN (sort key) */
    size_t nruns;
} imp_row;

typedef struct imp_set {
    imp_run runs[MAX_COMPARE];
    size_t count;
    const char *kind;
    size_t top;
    imp_row *rows;
    size_t nrows;
    size_t *cells;                                /* rows' at and key arrays */
    cairn_importance_stability stab[MAX_COMPARE]; /* [i] = run i against run 0; [0] unused */
} imp_set;

static void imp_set_release(imp_set *s)
{
    for (size_t i = 0; i < s->count; i++) {
        imp_run *r = &s->runs[i];
        cairn_free(r->experiment);
        cairn_free(r->name);
        cairn_free(r->status);
        json_decref(r->report);
        cairn_free(r->items);
        cairn_free(r->names);
        cairn_free(r->values);
    }
    cairn_free(s->rows);
    cairn_free(s->cells);
}

static bool has_list(const imp_run *r, const char *kind)
{
    return json_is_array(json_object_get(r->importance, kind));
}

/* Reads the run's report.json and finds its importance; with kind set, that kind must be
 * there. CAIRN_ENOTFOUND, naming the run, when it is not. */
static int imp_load(cairn_home *home, imp_run *r, const char *kind, cairn_error *err)
{
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    int rc = cairn_run_artifact_get(home, r->id, "report.json", &buf, err);
    if (rc == CAIRN_ENOTFOUND)
        rc = cairn_error_set(err, rc,
                             "run %.12s has no report.json: only the job run of `cairn train` "
                             "has one (not its candidate or trial runs)",
                             r->id);
    if (rc == 0) rc = cairn_json_parse(buf.data, buf.len, "report.json", &r->report, err);
    cairn_buf_release(&buf);
    if (rc) return rc;
    r->importance = json_object_get(r->report, "importance");
    if (!has_list(r, "shap") && !has_list(r, "permutation"))
        return cairn_error_set(err, CAIRN_ENOTFOUND,
                               "run %.12s has no feature importance in its report.json (was "
                               "it trained with explain off?)",
                               r->id);
    if (kind && !has_list(r, kind))
        return cairn_error_set(err, CAIRN_ENOTFOUND,
                               "run %.12s has no %s importance in its report.json (it has %s)",
                               r->id, kind, has_list(r, "shap") ? "shap" : "permutation");
    return 0;
}

static int imp_run_init(imp_run *r, const cairn_run_info *info)
{
    memcpy(r->id, info->id, sizeof r->id);
    r->experiment = cairn_strdup(info->experiment);
    r->name = cairn_strdup(info->name);
    r->status = cairn_strdup(cairn_run_status_name(info->status));
    return r->experiment && r->name && r->status ? 0 : CAIRN_ENOMEM;
}

/* The kind every run has: --kind, else shap, else permutation. */
static int imp_pick_kind(imp_set *s, const char *kind, cairn_error *err)
{
    if (kind) {
        for (size_t i = 0; i < s->count; i++)
            if (!has_list(&s->runs[i], kind))
                return cairn_error_set(err, CAIRN_ENOTFOUND,
                                       "run %.12s has no %s importance in its report.json",
                                       s->runs[i].id, kind);
        s->kind = kind;
        return 0;
    }
    const imp_run *no_shap = NULL, *no_perm = NULL;
    for (size_t i = 0; i < s->count; i++) {
        if (!no_shap && !has_list(&s->runs[i], "shap")) no_shap = &s->runs[i];
        if (!no_perm && !has_list(&s->runs[i], "permutation")) no_perm = &s->runs[i];
    }
    s->kind = !no_shap ? "shap" : !no_perm ? "permutation" : NULL;
    if (s->kind) return 0;
    return cairn_error_set(err, CAIRN_ENOTFOUND,
                           "no kind of importance is in every run: run %.12s has no shap "
                           "importance and run %.12s no permutation importance",
                           no_shap->id, no_perm->id);
}

static int by_importance(const void *pa, const void *pb)
{
    const imp_item *a = pa, *b = pb;
    bool na = isnan(a->value), nb = isnan(b->value);
    if (na != nb) return na ? 1 : -1;
    if (!na && a->value != b->value) return a->value > b->value ? -1 : 1;
    return strcmp(a->feature, b->feature);
}

/* The run's list of the chosen kind, checked and ranked. */
static int imp_parse(imp_run *r, const char *kind, cairn_error *err)
{
    const json_t *arr = json_object_get(r->importance, kind);
    size_t n = json_array_size(arr), cap = n ? n : 1;
    r->items = cairn_malloc(cap * sizeof *r->items);
    r->names = cairn_malloc(cap * sizeof *r->names);
    r->values = cairn_malloc(cap * sizeof *r->values);
    if (!r->items || !r->names || !r->values)
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(arr, i), *v = json_object_get(e, "value");
        const char *f = json_string_value(json_object_get(e, "feature"));
        if (!f || !(json_is_number(v) || json_is_null(v)))
            return cairn_error_set(err, CAIRN_ETYPE,
                                   "run %.12s: report.json: importance.%s[%zu] is not "
                                   "{\"feature\": string, \"value\": number or null}",
                                   r->id, kind, i);
        r->items[i] = (imp_item){f, json_is_null(v) ? NAN : json_number_value(v)};
    }
    qsort(r->items, n, sizeof *r->items, by_importance);
    for (size_t i = 0; i < n; i++) {
        r->names[i] = r->items[i].feature;
        r->values[i] = r->items[i].value;
    }
    r->n = n;
    const char *metric = json_string_value(json_object_get(r->importance, "permutation_metric"));
    r->metric = !strcmp(kind, "permutation") ? metric : NULL;
    return 0;
}

typedef struct imp_entry {
    const char *feature;
    size_t run, pos;
} imp_entry;

static int by_feature_then_run(const void *pa, const void *pb)
{
    const imp_entry *a = pa, *b = pb;
    int c = strcmp(a->feature, b->feature);
    if (c) return c;
    return a->run < b->run ? -1 : a->run > b->run;
}

static int by_ranks(const void *pa, const void *pb)
{
    const imp_row *a = pa, *b = pb;
    for (size_t i = 0; i < a->nruns; i++)
        if (a->key[i] != b->key[i]) return a->key[i] < b->key[i] ? -1 : 1;
    return strcmp(a->feature, b->feature);
}

/* The union of the runs' features, ordered by rank in the first run, then the second... */
static int imp_union(imp_set *s)
{
    size_t total = 0, nrun = s->count;
    for (size_t i = 0; i < nrun; i++)
        total += s->runs[i].n;
    imp_entry *e = cairn_malloc((total ? total : 1) * sizeof *e);
    s->rows = cairn_malloc((total ? total : 1) * sizeof *s->rows);
    s->cells = cairn_malloc((total ? total : 1) * 2 * nrun * sizeof *s->cells);
    if (!e || !s->rows || !s->cells) {
        cairn_free(e);
        return CAIRN_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < nrun; i++)
        for (size_t j = 0; j < s->runs[i].n; j++)
            e[k++] = (imp_entry){s->runs[i].items[j].feature, i, j};
    qsort(e, total, sizeof *e, by_feature_then_run);
    s->nrows = 0;
    for (size_t a = 0; a < total;) {
        imp_row *row = &s->rows[s->nrows];
        row->feature = e[a].feature;
        row->at = s->cells + 2 * nrun * s->nrows;
        row->key = row->at + nrun;
        row->nruns = nrun;
        for (size_t i = 0; i < nrun; i++)
            row->at[i] = row->key[i] = SIZE_MAX;
        for (; a < total && !strcmp(e[a].feature, row->feature); a++) {
            const imp_run *r = &s->runs[e[a].run];
            row->at[e[a].run] = e[a].pos;
            row->key[e[a].run] = isnan(r->items[e[a].pos].value) ? SIZE_MAX : e[a].pos + 1;
        }
        s->nrows++;
    }
    cairn_free(e);
    qsort(s->rows, s->nrows, sizeof *s->rows, by_ranks);
    return 0;
}

static int imp_compare(imp_set *s, cairn_error *err)
{
    const imp_run *first = &s->runs[0];
    for (size_t i = 1; i < s->count; i++) {
        const imp_run *r = &s->runs[i];
        int rc = cairn_importance_stability_of(first->names, first->values, first->n, r->names,
                                               r->values, r->n, s->top, &s->stab[i], err);
        if (rc) {
            cairn_error_prefix(err, "comparing run %.12s (a) with run %.12s (b): ", first->id,
                               r->id);
            return rc;
        }
    }
    return imp_union(s) ? cairn_error_set(err, CAIRN_ENOMEM, "out of memory") : 0;
}

/* The runs named on the command line, in that order. */
static int imp_from_args(cairn_home *home, imp_set *s, char **pos, size_t n, const char *kind,
                         cairn_error *err)
{
    cairn_runs runs = {0};
    int rc = cairn_run_compare(home, (const char *const *)pos, n, &runs, err);
    for (size_t i = 0; rc == 0 && i < runs.count; i++) {
        s->count++;
        if (imp_run_init(&s->runs[i], &runs.items[i]))
            rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
        if (rc == 0) rc = imp_load(home, &s->runs[i], kind, err);
    }
    cairn_runs_release(&runs);
    return rc;
}

/* The experiment's newest `last` finished top-level runs whose report has importance (of
 * `kind` when given), oldest first. */
static int imp_from_experiment(cairn_home *home, imp_set *s, const char *experiment, size_t last,
                               const char *kind, cairn_error *err)
{
    cairn_run_query q = cairn_run_query_default();
    q.experiment = experiment;
    q.status = CAIRN_RUN_FINISHED;
    q.parent_id = "";
    q.limit = 100;
    size_t seen = 0;
    int rc = 0;
    while (rc == 0 && s->count < last) {
        cairn_runs page = {0};
        rc = cairn_run_list(home, &q, &page, err);
        for (size_t i = 0; rc == 0 && i < page.count && s->count < last; i++) {
            imp_run *r = &s->runs[s->count++];
            seen++;
            if (imp_run_init(r, &page.items[i]))
                rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
            if (rc == 0) rc = imp_load(home, r, kind, err);
            if (rc == CAIRN_ENOTFOUND) { /* no report or no importance: not one to compare */
                rc = 0;
                json_decref(r->report);
                cairn_free(r->experiment);
                cairn_free(r->name);
                cairn_free(r->status);
                memset(r, 0, sizeof *r);
                s->count--;
            }
        }
        bool more = page.count == (size_t)q.limit;
        cairn_runs_release(&page);
        if (!more) break;
        q.offset += q.limit;
    }
    if (rc == 0 && s->count < 2)
        return cairn_error_set(err, CAIRN_ENOTFOUND,
                               "experiment '%s' has %zu finished top-level run%s with %s%s"
                               "importance in its report.json (of %zu finished top-level "
                               "run%s); at least 2 are needed",
                               experiment, s->count, s->count == 1 ? "" : "s", kind ? kind : "",
                               kind ? " " : "", seen, seen == 1 ? "" : "s");
    for (size_t i = 0; rc == 0 && i < s->count / 2; i++) { /* oldest first */
        imp_run t = s->runs[i];
        s->runs[i] = s->runs[s->count - 1 - i];
        s->runs[s->count - 1 - i] = t;
    }
    return rc;
}

static json_t *imp_json(const imp_set *s)
{
    json_t *runs = json_array(), *features = json_array(), *stability = json_array();
    for (size_t i = 0; i < s->count; i++) {
        const imp_run *r = &s->runs[i];
        json_t *list = json_array();
        for (size_t j = 0; j < r->n; j++)
            json_array_append_new(
                list, json_pack("{s:s, s:o, s:o}", "feature", r->items[j].feature, "value",
                                json_num_or_null(r->items[j].value), "rank",
                                isnan(r->items[j].value) ? json_null()
                                                         : json_integer((json_int_t)j + 1)));
        json_t *o = json_pack("{s:s, s:s, s:s?, s:s, s:I, s:o}", "id", r->id, "experiment",
                              r->experiment, "name", *r->name ? r->name : NULL, "status", r->status,
                              "features", (json_int_t)r->n, "importance", list);
        if (r->metric) json_object_set_new(o, "permutation_metric", json_string(r->metric));
        json_array_append_new(runs, o);
    }
    for (size_t k = 0; k < s->nrows; k++) {
        const imp_row *row = &s->rows[k];
        json_t *ranks = json_array(), *values = json_array();
        for (size_t i = 0; i < s->count; i++) {
            json_array_append_new(ranks, row->key[i] == SIZE_MAX
                                             ? json_null()
                                             : json_integer((json_int_t)row->key[i]));
            json_array_append_new(values,
                                  row->at[i] == SIZE_MAX
                                      ? json_null()
                                      : json_num_or_null(s->runs[i].items[row->at[i]].value));
        }
        json_array_append_new(features, json_pack("{s:s, s:o, s:o}", "feature", row->feature,
                                                  "ranks", ranks, "values", values));
    }
    for (size_t i = 1; i < s->count; i++) {
        const cairn_importance_stability *st = &s->stab[i];
        json_array_append_new(
            stability,
            json_pack("{s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:I, s:I, s:o}", "run", s->runs[i].id,
                      "against", s->runs[0].id, "common", (json_int_t)st->common, "only_first",
                      (json_int_t)st->only_a, "only_run", (json_int_t)st->only_b, "spearman",
                      json_num_or_null(st->spearman), "kendall_tau_b",
                      json_num_or_null(st->kendall_tau_b), "top_k", (json_int_t)st->top_k,
                      "top_overlap", (json_int_t)st->top_overlap, "top_jaccard",
                      json_num_or_null(st->top_jaccard)));
    }
    return json_pack("{s:s, s:I, s:o, s:o, s:o}", "kind", s->kind, "top", (json_int_t)s->top,
                     "runs", runs, "features", features, "stability", stability);
}

static void imp_text(const imp_set *s)
{
    int width = 7; /* "FEATURE" */
    for (size_t k = 0; k < s->nrows; k++) {
        int len = (int)strlen(s->rows[k].feature);
        width = len > width ? len : width;
    }
    width = width > 40 ? 40 : width;
    printf("%s importance of %zu runs, %zu features (rank: largest value first)\n", s->kind,
           s->count, s->nrows);
    for (size_t i = 0; i < s->count; i++) {
        const imp_run *r = &s->runs[i];
        printf("  %2zu  %.12s  %-16s %-20s %-9s %zu features", i + 1, r->id, r->experiment,
               *r->name ? r->name : "-", r->status, r->n);
        if (r->metric) printf(", drop in %s", r->metric);
        printf("\n");
    }
    printf("\n%-*s", width, "");
    for (size_t i = 0; i < s->count; i++) {
        char label[32];
        snprintf(label, sizeof label, "%zu: %.12s", i + 1, s->runs[i].id);
        printf("  %18s", label);
    }
    printf("\n%-*s", width, "FEATURE");
    for (size_t i = 0; i < s->count; i++)
        printf("  %5s %12s", "RANK", "VALUE");
    printf("\n");
    for (size_t k = 0; k < s->nrows; k++) {
        const imp_row *row = &s->rows[k];
        printf("%-*.*s", width, width, row->feature);
        for (size_t i = 0; i < s->count; i++) {
            char rank[24] = "-", num[48] = "-";
            if (row->key[i] != SIZE_MAX) snprintf(rank, sizeof rank, "%zu", row->key[i]);
            if (row->at[i] != SIZE_MAX)
                num_text(s->runs[i].items[row->at[i]].value, num, sizeof num);
            printf("  %5s %12s", rank, num);
        }
        printf("\n");
    }
    printf("\nstability against run 1 (%.12s): COMMON features in both, MISSING from the run,\n"
           "NEW in the run; TOP-K: how many of run 1's top K are in the run's top K\n",
           s->runs[0].id);
    char top[32];
    snprintf(top, sizeof top, "TOP-%zu", s->top);
    printf("  %-2s  %-12s %7s %8s %6s %10s %10s %8s\n", "", "RUN", "COMMON", "MISSING", "NEW",
           "SPEARMAN", "KENDALL", top);
    for (size_t i = 1; i < s->count; i++) {
        const cairn_importance_stability *st = &s->stab[i];
        char sp[48], kt[48], ov[48];
        snprintf(ov, sizeof ov, "%zu/%zu", st->top_overlap, st->top_k);
        printf("  %2zu  %.12s %7zu %8zu %6zu %10s %10s %8s\n", i + 1, s->runs[i].id, st->common,
               st->only_a, st->only_b, num_text(st->spearman, sp, sizeof sp),
               num_text(st->kendall_tau_b, kt, sizeof kt), ov);
    }
}

static void imp_summary(const cli_ctx *ctx, const imp_set *s)
{
    char a[48], b[48];
    if (s->count == 2) {
        const cairn_importance_stability *st = &s->stab[1];
        cli_summary(ctx,
                    "%s importance of 2 runs, %zu features: Spearman %s, Kendall %s, top-%zu "
                    "overlap %zu/%zu",
                    s->kind, s->nrows, num_text(st->spearman, a, sizeof a),
                    num_text(st->kendall_tau_b, b, sizeof b), s->top, st->top_overlap, st->top_k);
        return;
    }
    double lo = NAN, hi = NAN;
    size_t worst = 1;
    for (size_t i = 1; i < s->count; i++) {
        const cairn_importance_stability *st = &s->stab[i];
        if (!isnan(st->spearman) && !(st->spearman >= lo)) lo = st->spearman;
        if (!isnan(st->spearman) && !(st->spearman <= hi)) hi = st->spearman;
        if (st->top_overlap * s->stab[worst].top_k < s->stab[worst].top_overlap * st->top_k)
            worst = i;
    }
    char range[100];
    if (lo == hi || isnan(lo))
        num_text(lo, range, sizeof range);
    else
        snprintf(range, sizeof range, "%s to %s", num_text(lo, a, sizeof a),
                 num_text(hi, b, sizeof b));
    cli_summary(ctx,
                "%s importance of %zu runs, %zu features: against run 1, Spearman %s, "
                "lowest top-%zu overlap %zu/%zu (run %zu)",
                s->kind, s->count, s->nrows, range, s->top, s->stab[worst].top_overlap,
                s->stab[worst].top_k, worst + 1);
}

static int run_importance(cli_ctx *ctx, int argc, char **argv)
{
    const cli_command *cmd = &cli_cmd_runs_importance;
    cli_option o[] = {{"kind", 'k', true, NULL},
                      {"top", 't', true, NULL},
                      {"experiment", 'e', true, NULL},
                      {"last", 'n', true, NULL}};
    size_t no = sizeof o / sizeof o[0];
    char *pos[MAX_COMPARE];
    int npos;
    int64_t top = 10, last = 5;
    int rc = cli_parse(cmd, argc, argv, o, no, pos, MAX_COMPARE, &npos);
    if (rc == 0) rc = cli_opt_int(cmd, o, no, "top", 10, &top);
    if (rc == 0) rc = cli_opt_int(cmd, o, no, "last", 5, &last);
    if (rc) return rc;
    const char *kind = cli_opt(o, no, "kind"), *experiment = cli_opt(o, no, "experiment");
    if (kind && strcmp(kind, "shap") && strcmp(kind, "permutation"))
        return cli_usage_error(cmd, "--kind: expected shap or permutation, found '%s'", kind);
    if (top < 1) return cli_usage_error(cmd, "--top: expected at least 1");
    if (experiment && npos)
        return cli_usage_error(cmd, "give either RUNs or --experiment, not both");
    if (!experiment && cli_opt(o, no, "last"))
        return cli_usage_error(cmd, "--last goes with --experiment");
    if (experiment && (last < 2 || last > MAX_COMPARE))
        return cli_usage_error(cmd, "--last: expected 2 to %d", MAX_COMPARE);
    if (!experiment && npos < 2) return cli_usage_error(cmd, "expected two or more runs");
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    imp_set *s = cairn_calloc(1, sizeof *s);
    if (!s) rc = cairn_error_set(&err, CAIRN_ENOMEM, "out of memory");
    if (rc == 0) {
        s->top = (size_t)top;
        rc = experiment ? imp_from_experiment(home, s, experiment, (size_t)last, kind, &err)
                        : imp_from_args(home, s, pos, (size_t)npos, kind, &err);
    }
    if (rc == 0) rc = imp_pick_kind(s, kind, &err);
    for (size_t i = 0; rc == 0 && i < s->count; i++)
        rc = imp_parse(&s->runs[i], s->kind, &err);
    if (rc == 0) rc = imp_compare(s, &err);
    if (rc == 0) {
        if (ctx->json)
            cli_print_json(imp_json(s));
        else
            imp_text(s);
        imp_summary(ctx, s);
    }
    if (s) imp_set_release(s);
    cairn_free(s);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * cairn runs history
 * ------------------------------------------------------------------------------------ */

static int run_history(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_runs_history = {
    "runs",
    "history",
    "runs history RUN KEY",
    "every logged point of one metric",
    "Prints the points of one metric of one run, by step, then timestamp, then the order\n"
    "they were logged: step, timestamp (ms since the epoch, and as ISO-8601) and value.\n"
    "\nexample:\n  cairn runs history 3f2a9c val_loss\n",
    run_history,
};

static int run_history(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[2];
    int npos;
    int rc = cli_parse(&cli_cmd_runs_history, argc, argv, NULL, 0, pos, 2, &npos);
    if (rc == 0 && npos != 2) rc = cli_usage_error(&cli_cmd_runs_history, "expected RUN and KEY");
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    char id[CAIRN_RUN_ID_LEN + 1];
    cairn_metric_point *pts = NULL;
    size_t n = 0;
    rc = cairn_run_resolve(home, pos[0], id, &err);
    if (rc == 0) rc = cairn_run_metric_history(home, id, pos[1], &pts, &n, &err);
    if (rc == 0) {
        if (ctx->json) {
            json_t *arr = json_array();
            for (size_t i = 0; i < n; i++)
                json_array_append_new(arr,
                                      json_pack("{s:I, s:I, s:o}", "step", (json_int_t)pts[i].step,
                                                "timestamp_ms", (json_int_t)pts[i].timestamp_ms,
                                                "value", json_num(pts[i].value)));
            cli_print_json(json_pack("{s:s, s:s, s:I, s:o}", "run", id, "key", pos[1], "count",
                                     (json_int_t)n, "points", arr));
        } else {
            printf("%10s  %-14s %-28s %s\n", "STEP", "TIMESTAMP_MS", "TIME", "VALUE");
            for (size_t i = 0; i < n; i++) {
                char t[CAIRN_TIME_FMT_LEN], v[48];
                cairn_time_format(pts[i].timestamp_ms * 1000, t, sizeof t);
                printf("%10lld  %-14lld %-28s %s\n", (long long)pts[i].step,
                       (long long)pts[i].timestamp_ms, t, num_text(pts[i].value, v, sizeof v));
            }
        }
        cli_summary(ctx, "%zu points of %s in run %.12s (steps %lld to %lld)", n, pos[1], id,
                    (long long)pts[0].step, (long long)pts[n - 1].step);
    }
    cairn_free(pts);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * cairn runs experiments | reap
 * ------------------------------------------------------------------------------------ */

static int run_experiments(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_runs_experiments = {
    "runs",
    "experiments",
    "runs experiments",
    "list experiments and their run counts",
    "One line per experiment: name, runs, runs still RUNNING, when it was created.\n"
    "Experiments are created by the first run logged to them.\n"
    "\nexample:\n  cairn runs experiments\n",
    run_experiments,
};

static int run_experiments(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_runs_experiments, argc, argv, NULL, 0, pos, 0, &npos);
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_experiments list = {0};
    rc = cairn_experiment_list(home, &list, &err);
    if (rc == 0) {
        json_t *arr = json_array();
        int64_t total = 0;
        if (!ctx->json) printf("%-30s %8s %8s  %s\n", "EXPERIMENT", "RUNS", "RUNNING", "CREATED");
        for (size_t i = 0; i < list.count; i++) {
            const cairn_experiment_info *e = &list.items[i];
            char created[CAIRN_TIME_FMT_LEN];
            total += e->runs;
            if (ctx->json)
                json_array_append_new(
                    arr, json_pack("{s:s, s:I, s:I, s:s, s:o}", "name", e->name, "runs",
                                   (json_int_t)e->runs, "running", (json_int_t)e->runs_active,
                                   "created", time_text(e->created_us, created, sizeof created),
                                   "tags", json_kvs(e->tags, e->ntags)));
            else
                printf("%-30s %8lld %8lld  %s\n", e->name, (long long)e->runs,
                       (long long)e->runs_active,
                       time_text(e->created_us, created, sizeof created));
        }
        if (ctx->json)
            cli_print_json(
                json_pack("{s:I, s:O}", "count", (json_int_t)list.count, "experiments", arr));
        json_decref(arr);
        cli_summary(ctx, "%zu experiments, %lld runs", list.count, (long long)total);
    }
    cairn_experiments_release(&list);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

static int run_reap(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_runs_reap = {
    "runs",
    "reap",
    "runs reap",
    "mark runs of dead processes KILLED",
    "Every run records the host, pid and process start time of the process that created\n"
    "it. This marks KILLED (end time now, tag cairn.reaped saying why) each RUNNING run of\n"
    "this host whose process is gone or whose pid now belongs to another process. Runs of\n"
    "other hosts are left alone (cairn_run_reap does the same from C).\n"
    "\nexample:\n  cairn runs reap\n",
    run_reap,
};

static int run_reap(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_runs_reap, argc, argv, NULL, 0, pos, 0, &npos);
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    int64_t reaped = 0;
    rc = cairn_run_reap(home, &reaped, &err);
    if (rc == 0) {
        if (ctx->json) cli_print_json(json_pack("{s:I}", "reaped", (json_int_t)reaped));
        cli_summary(ctx, "marked %lld runs of dead processes KILLED", (long long)reaped);
    }
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}
