/* cli/cmd_runs.c: `cairn runs list|show|compare|history|experiments|reap`: reading the
 * experiment tracking that `cairn train` writes (include/cairn/runs.h).
 *
 * Runs are named by any unambiguous prefix of their id (at least 4 hex digits). Numbers are
 * printed with 6 significant digits in text and exactly in JSON, where NaN and infinities,
 * which JSON lacks, are the strings "NaN", "Infinity" and "-Infinity" (MLflow's REST API
 * writes them the same way). In `runs compare` the best value of each metric is marked: the
 * lowest for names cairn_metric_lower_is_better recognises (loss, error, rmse, ...), the
 * highest otherwise.
 *
 * Tests: tests/integration/test_runs_cli.sh.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
