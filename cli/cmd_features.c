/* cli/cmd_features.c: `cairn features apply|list|search|show|stats`: feature repositories
 * (YAML, see include/cairn/feature.h), the versioned feature registry in the home's catalog,
 * and the per-feature statistics and PSI recorded by training sets and materializations.
 *
 * apply prints a plan (+ create, ~ update with the keys that changed, = unchanged) and
 * records it, or only prints it with --dry-run. A repository that does not fit the datasets'
 * schemas is refused with the file, line and key of the problem.
 *
 * Tests: tests/integration/test_features_cli.sh, tests/integration/test_feature_stats_cli.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* --------------------------------------------------------------------------------------
 * cairn features apply
 * ------------------------------------------------------------------------------------ */

static int run_apply(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_features_apply = {
    "features", "apply", "features apply FILE [--dry-run]",
    "check a feature repository and record its new versions",
    "Reads a feature repository (entities, sources, feature views, feature services; see\n"
    "docs/features.md), checks it (every error names the file, line and key), checks that its\n"
    "sources' datasets hold the columns it uses, and shows what changes: + a new object, ~ a\n"
    "changed one (with the keys that changed), = an unchanged one. Each new or changed object\n"
    "is stored as its next version; earlier versions stay readable.\n\n"
    "options:\n  --dry-run           show the plan, record nothing\n"
    "\nexample:\n  cairn features apply examples/flights/features.yaml\n",
    run_apply,
};

static int run_apply(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"dry-run", 'n', false, NULL}};
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_features_apply, argc, argv, o, 1, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_features_apply, "expected one FILE");
    if (rc) return rc;
    bool dry = cli_opt(o, 1, "dry-run") != NULL;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_feature_repo *repo = NULL;
    if ((rc = cairn_feature_repo_load(pos[0], &repo, &err))) return cli_fail(ctx, rc, &err);
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) {
        cairn_feature_repo_free(repo);
        return rc;
    }
    cairn_feature_change *ch = NULL;
    size_t n = 0;
    rc = cairn_features_apply(home, repo, dry, &ch, &n, &err);
    size_t created = 0, updated = 0, same = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        created += !strcmp(ch[i].action, "create");
        updated += !strcmp(ch[i].action, "update");
        same += !strcmp(ch[i].action, "unchanged");
    }
    if (rc == 0 && ctx->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:s}", "kind", ch[i].kind,
                                                 "name", ch[i].name, "action", ch[i].action,
                                                 "version", (json_int_t)ch[i].version, "changed",
                                                 ch[i].detail));
        cli_print_json(json_pack("{s:s, s:b, s:o}", "file", pos[0], "dry_run", dry, "changes", arr));
    } else if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            const char *mark = !strcmp(ch[i].action, "create") ? "+" : !strcmp(ch[i].action, "update") ? "~" : "=";
            printf("%s %-16s %-28s v%lld%s%s\n", mark, ch[i].kind, ch[i].name, (long long)ch[i].version,
                   ch[i].detail[0] ? "  changed: " : "", ch[i].detail);
        }
    }
    if (rc == 0)
        cli_summary(ctx, "%s %zu new, %zu changed, %zu unchanged objects from %s", dry ? "would apply:" : "applied:",
                    created, updated, same, pos[0]);
    cairn_free(ch);
    cairn_home_close(home);
    cairn_feature_repo_free(repo);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * cairn features list | search
 * ------------------------------------------------------------------------------------ */

static void print_objects(const cairn_feature_object *objs, size_t n)
{
    if (n) printf("%-16s %-28s %-8s %-20s %-24s %s\n", "KIND", "NAME", "VERSION", "OWNER", "TAGS", "DESCRIPTION");
    for (size_t i = 0; i < n; i++)
        printf("%-16s %-28s v%-7lld %-20s %-24s %s\n", objs[i].kind, objs[i].name,
               (long long)objs[i].version, objs[i].owner[0] ? objs[i].owner : "-",
               objs[i].tags[0] ? objs[i].tags : "-", objs[i].description);
}

static json_t *objects_json(const cairn_feature_object *objs, size_t n, bool with_definition)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "kind", objs[i].kind,
                              "name", objs[i].name, "version", (json_int_t)objs[i].version,
                              "hash", objs[i].hash, "owner", objs[i].owner, "tags", objs[i].tags,
                              "description", objs[i].description, "applied_at",
                              objs[i].applied_at);
        json_t *def = NULL;
        cairn_error e;
        if (o && with_definition &&
            cairn_json_parse(objs[i].definition, strlen(objs[i].definition), "definition", &def, &e) == 0)
            json_object_set_new(o, "definition", def);
        json_array_append_new(arr, o);
    }
    return arr;
}

static int list_common(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv, bool search)
{
    cli_option o[] = {{"kind", 'k', true, NULL}, {"tag", 't', true, NULL}, {"owner", 'o', true, NULL}};
    char *pos[1];
    int npos;
    int rc = cli_parse(cmd, argc, argv, o, 3, pos, 1, &npos);
    if (rc == 0 && search && npos != 1) rc = cli_usage_error(cmd, "expected TEXT");
    if (rc == 0 && !search && npos != 0) rc = cli_usage_error(cmd, "unexpected argument '%s'", pos[0]);
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_feature_object *objs = NULL;
    size_t n = 0;
    rc = cairn_features_list(home, cli_opt(o, 3, "kind"), search ? pos[0] : NULL, cli_opt(o, 3, "tag"),
                             cli_opt(o, 3, "owner"), &objs, &n, &err);
    if (rc == 0) {
        if (ctx->json) cli_print_json(json_pack("{s:I, s:o}", "count", (json_int_t)n, "objects", objects_json(objs, n, false)));
        else print_objects(objs, n);
        cli_summary(ctx, "%zu objects%s%s", n, search ? " matching " : "", search ? pos[0] : "");
    }
    cairn_feature_objects_free(objs, n);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

static int run_list(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_features_list = {
    "features", "list", "features list [options]",
    "list the registry's objects (latest versions)",
    "One line per entity, source, feature view and feature service: kind, name, latest\n"
    "version, owner, tags and description.\n\n"
    "options:\n  --kind K            entity, source, feature_view or feature_service\n"
    "  --tag T             only objects with this tag\n"
    "  --owner O           only objects of this owner\n"
    "\nexamples:\n  cairn features list\n  cairn features list --kind feature_view --tag delay\n",
    run_list,
};
static int run_list(cli_ctx *ctx, int argc, char **argv)
{
    return list_common(ctx, &cli_cmd_features_list, argc, argv, false);
}

static int run_search(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_features_search = {
    "features", "search", "features search TEXT [options]",
    "find objects by name or description, tag, owner",
    "Latest versions whose name or description contains TEXT, optionally narrowed by kind,\n"
    "tag and owner, so teams can find features before they build them again.\n\n"
    "options:\n  --kind K            entity, source, feature_view or feature_service\n"
    "  --tag T             only objects with this tag\n"
    "  --owner O           only objects of this owner\n"
    "\nexample:\n  cairn features search delay --owner data-platform\n",
    run_search,
};
static int run_search(cli_ctx *ctx, int argc, char **argv)
{
    return list_common(ctx, &cli_cmd_features_search, argc, argv, true);
}

/* --------------------------------------------------------------------------------------
 * cairn features show
 * ------------------------------------------------------------------------------------ */

static int run_show(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_features_show = {
    "features", "show", "features show NAME [options]",
    "show one object's definition and its versions",
    "Prints the definition of a feature view (or another kind with --kind) at its latest\n"
    "version, or at --version N, and the list of its versions.\n\n"
    "options:\n  --kind K            entity, source, feature_view (default) or feature_service\n"
    "  --version N         that version instead of the latest\n"
    "\nexamples:\n  cairn features show origin_delays\n"
    "  cairn --json features show delay_model --kind feature_service\n",
    run_show,
};

static int run_show(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"kind", 'k', true, NULL}, {"version", 'v', true, NULL}};
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_features_show, argc, argv, o, 2, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_features_show, "expected NAME");
    int64_t version = 0;
    if (rc == 0) rc = cli_opt_int(&cli_cmd_features_show, o, 2, "version", 0, &version);
    if (rc) return rc;
    const char *kind = cli_opt(o, 2, "kind") ? cli_opt(o, 2, "kind") : "feature_view";
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_feature_object *one = NULL, *all = NULL;
    size_t n = 0;
    rc = cairn_features_get(home, kind, pos[0], version, &one, &err);
    if (rc == 0) rc = cairn_features_versions(home, kind, pos[0], &all, &n, &err);
    if (rc == 0) {
        if (ctx->json) {
            json_t *arr = objects_json(one, 1, true);
            json_t *o1 = json_incref(json_array_get(arr, 0));
            json_decref(arr);
            json_object_set_new(o1, "versions", objects_json(all, n, false));
            cli_print_json(o1);
        } else {
            json_t *def = NULL;
            cairn_error e;
            printf("%s %s, version %lld of %zu (applied %s, hash %.12s)\n", kind, one->name,
                   (long long)one->version, n, one->applied_at, one->hash);
            if (cairn_json_parse(one->definition, strlen(one->definition), "definition", &def, &e) == 0) {
                cairn_buf b;
                cairn_buf_init(&b, 0);
                if (cairn_json_dump(def, CAIRN_JSON_PRETTY, &b) == 0) printf("%.*s\n", (int)b.len, b.data);
                cairn_buf_release(&b);
                json_decref(def);
            }
        }
        cli_summary(ctx, "%s '%s' version %lld", kind, one->name, (long long)one->version);
    }
    cairn_feature_objects_free(one, one ? 1 : 0);
    cairn_feature_objects_free(all, n);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * cairn features stats
 * ------------------------------------------------------------------------------------ */

static int run_stats(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_features_stats = {
    "features", "stats", "features stats NAME",
    "per-feature statistics and drift (PSI) by version",
    "Prints the statistics recorded for each version of a feature: every training set of a\n"
    "service and every materialization of a view records, per feature, its count, nulls,\n"
    "mean, quantiles and histogram, and the population stability index (PSI) against the\n"
    "previous version: below 0.1 stable, below 0.25 moderate, else major. NAME is a feature\n"
    "(view:feature), a feature view or a feature service; versions are newest first.\n"
    "With --json, each version carries its full statistics.\n"
    "\nexamples:\n  cairn features stats delay_model\n"
    "  cairn --json features stats origin_delays:mean_delay_24h\n",
    run_stats,
};

/* A number of a stats object for the table ("-" when null). */
static const char *stat_text(const json_t *v, char *buf, size_t cap)
{
    if (!json_is_number(v)) return "-";
    snprintf(buf, cap, "%.6g", json_number_value(v));
    return buf;
}

static void print_stats(const json_t *features)
{
    size_t i, k;
    json_t *f, *v;
    printf("%-36s %-14s %-16s %10s %8s %12s %12s %9s %s\n", "FEATURE", "VERSION", "OF", "COUNT", "NULLS",
           "MEAN", "P50", "PSI", "LEVEL");
    json_array_foreach(features, i, f) {
        const char *name = json_string_value(json_object_get(f, "feature"));
        json_array_foreach(json_object_get(f, "versions"), k, v) {
            const json_t *s = json_object_get(v, "stats");
            char mean[32], p50[32], psi[32];
            const char *kind = json_string_value(json_object_get(v, "subject_kind"));
            printf("%-36s %-14.12s %-16s %10lld %8lld %12s %12s %9s %s\n", name,
                   json_string_value(json_object_get(v, "version")),
                   kind && !strcmp(kind, "training_set") ? "training set" : "materialization",
                   (long long)json_integer_value(json_object_get(s, "count")),
                   (long long)json_integer_value(json_object_get(s, "nulls")),
                   stat_text(json_object_get(s, "mean"), mean, sizeof mean),
                   stat_text(json_object_get(json_object_get(s, "quantiles"), "p50"), p50, sizeof p50),
                   stat_text(json_object_get(v, "psi"), psi, sizeof psi),
                   json_is_string(json_object_get(v, "psi_level")) ? json_string_value(json_object_get(v, "psi_level")) : "-");
        }
    }
}

static int run_stats(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_features_stats, argc, argv, NULL, 0, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_features_stats, "expected NAME");
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    json_t *history = NULL;
    rc = cairn_feature_stats_history(home, pos[0], &history, &err);
    if (rc == 0) {
        const json_t *features = json_object_get(history, "features");
        size_t versions = 0, major = 0, i;
        json_t *f, *v;
        json_array_foreach(features, i, f) {
            versions += json_array_size(json_object_get(f, "versions"));
            v = json_array_get(json_object_get(f, "versions"), 0); /* the newest */
            const char *level = json_string_value(json_object_get(v, "psi_level"));
            major += level && !strcmp(level, "major");
        }
        if (ctx->json) cli_print_json(json_incref(history));
        else print_stats(features);
        size_t nfeatures = json_array_size(features);
        cli_summary(ctx, "%s: %zu feature%s, %zu versions, %zu with a major shift in the latest version", pos[0],
                    nfeatures, nfeatures == 1 ? "" : "s", versions, major);
    }
    json_decref(history);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}
