/* cli/cmd_training.c: `cairn dataset build|list|show` (training sets), `cairn optout
 * add|list|remove` (entity keys left out of training sets) and `cairn features lineage`
 * (source snapshots -> view versions -> the training sets built from them).
 *
 * Training sets are built by cairn_training_set_build (include/cairn/feature.h); list, show
 * and lineage read the training_sets table of the catalog through the public catalog API.
 *
 * Tests: tests/integration/test_training_cli.sh, tests/oracles/test_training_duckdb.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static json_t *parse_lineage(const char *text, size_t len)
{
    json_t *j = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    return cairn_json_parse(text, len, "training_sets.lineage", &j, &e) == 0 ? j : NULL;
}

/* --------------------------------------------------------------------------------------
 * cairn dataset build
 * ------------------------------------------------------------------------------------ */

static int run_build(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_dataset_build = {
    "dataset", "build", "dataset build SERVICE FILE [opts]",
    "build a point-in-time training set",
    "Joins every feature of a feature service to the rows of an entity table (CSV, JSON\n"
    "Lines or Parquet holding the entities' join keys, a time column and any labels), as of\n"
    "each row's time (Feast's point-in-time rules, each view's TTL). Columns of the result\n"
    "are named view__feature. Rows whose entity key is on the opt-out list are left out and\n"
    "counted. The result is stored with its lineage; the same inputs give the same id and\n"
    "the same bytes, and a second build finds the first.\n\n"
    "options:\n  --time COL          the entity table's time column (default event_timestamp)\n"
    "  --output FILE       also write the training set here (Parquet)\n"
    "\nexample:\n  cairn dataset build delay_model entities.csv --output train.parquet\n",
    run_build,
};

static int run_build(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"time", 't', true, NULL}, {"output", 'o', true, NULL}};
    char *pos[2];
    int npos;
    int rc = cli_parse(&cli_cmd_dataset_build, argc, argv, o, 2, pos, 2, &npos);
    if (rc == 0 && npos != 2) rc = cli_usage_error(&cli_cmd_dataset_build, "expected SERVICE and FILE");
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_training_options opts = {
        .service = pos[0], .entities = pos[1], .entity_time = cli_opt(o, 2, "time"),
        .output = cli_opt(o, 2, "output"), .progress = ctx->quiet ? NULL : cli_progress, .progress_ud = ctx,
    };
    cairn_training_result res;
    cairn_error err;
    cairn_error_clear(&err);
    rc = cairn_training_set_build(home, &opts, &res, &err);
    if (rc == 0) {
        if (ctx->json) {
            cli_print_json(json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:s?}", "id", res.id, "object",
                                     res.object, "service", pos[0], "rows", (json_int_t)res.rows, "columns",
                                     (json_int_t)res.columns, "excluded", (json_int_t)res.excluded, "existed",
                                     res.existed, "output", opts.output));
        } else {
            printf("id        %.12s\nrows      %lld\ncolumns   %lld\nexcluded  %lld\nexisted   %s\n", res.id,
                   (long long)res.rows, (long long)res.columns, (long long)res.excluded,
                   res.existed ? "yes" : "no");
            if (opts.output) printf("output    %s\n", opts.output);
        }
        char rows[32];
        cli_summary(ctx, "training set %.12s: %s rows, %lld columns, %lld excluded (%s) in %.1f s", res.id,
                    cli_thousands(res.rows, rows, sizeof rows), (long long)res.columns,
                    (long long)res.excluded, res.existed ? "built before" : "new", cli_elapsed_s(ctx));
    }
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * cairn dataset list | show
 * ------------------------------------------------------------------------------------ */

static int run_list(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_dataset_list = {
    "dataset", "list", "dataset list",
    "list the training sets built",
    "One line per training set, oldest first: id, service@version, rows, columns, rows\n"
    "excluded by opt-outs, and when it was built.\n"
    "\nexample:\n  cairn dataset list\n",
    run_list,
};

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_dataset_list, argc, argv, NULL, 0, pos, 1, &npos);
    if (rc == 0 && npos) rc = cli_usage_error(&cli_cmd_dataset_list, "unexpected argument '%s'", pos[0]);
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_stmt *st = NULL;
    rc = cairn_catalog_prepare(cairn_home_catalog(home),
                               "SELECT id, service, service_version, rows, columns, excluded, created_at, object "
                               "FROM training_sets ORDER BY created_at, id",
                               &st, &err);
    json_t *arr = json_array();
    size_t n = 0;
    while (rc == 0 && (rc = cairn_stmt_step(st, &err)) == 1) {
        rc = 0;
        const char *id = cairn_stmt_text(st, 0, NULL);
        if (ctx->json) {
            json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:s}", "id", id, "service",
                                                 cairn_stmt_text(st, 1, NULL), "service_version",
                                                 (json_int_t)cairn_stmt_int64(st, 2), "rows",
                                                 (json_int_t)cairn_stmt_int64(st, 3), "columns",
                                                 (json_int_t)cairn_stmt_int64(st, 4), "excluded",
                                                 (json_int_t)cairn_stmt_int64(st, 5), "created_at",
                                                 cairn_stmt_text(st, 6, NULL), "object", cairn_stmt_text(st, 7, NULL)));
        } else {
            if (n == 0) printf("%-12s  %-28s %10s %8s %9s  %s\n", "ID", "SERVICE", "ROWS", "COLUMNS", "EXCLUDED", "CREATED");
            char sv[160];
            snprintf(sv, sizeof sv, "%s@%lld", cairn_stmt_text(st, 1, NULL), (long long)cairn_stmt_int64(st, 2));
            printf("%.12s  %-28s %10lld %8lld %9lld  %s\n", id, sv, (long long)cairn_stmt_int64(st, 3),
                   (long long)cairn_stmt_int64(st, 4), (long long)cairn_stmt_int64(st, 5),
                   cairn_stmt_text(st, 6, NULL));
        }
        n++;
    }
    cairn_stmt_finalize(st);
    if (rc == 0 && ctx->json) cli_print_json(json_pack("{s:I, s:O}", "count", (json_int_t)n, "training_sets", arr));
    json_decref(arr);
    if (rc == 0) cli_summary(ctx, "%zu training sets", n);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

static int run_show(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_dataset_show = {
    "dataset", "show", "dataset show ID-PREFIX",
    "show a training set's lineage",
    "Prints the lineage of a training set: the service version, each feature view's version\n"
    "and the source snapshot it read, the entity table's SHA-256, the opt-outs applied (with\n"
    "the rows each excluded), rows and columns, and the object holding the Parquet bytes.\n"
    "ID-PREFIX is any unambiguous prefix of the id.\n"
    "\nexample:\n  cairn dataset show 3f2a9c\n",
    run_show,
};

static int run_show(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_dataset_show, argc, argv, NULL, 0, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_dataset_show, "expected ID-PREFIX");
    if (rc == 0 && (!pos[0][0] || strspn(pos[0], "0123456789abcdef") != strlen(pos[0])))
        rc = cli_usage_error(&cli_cmd_dataset_show, "'%s' is not a hex id prefix", pos[0]);
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_stmt *st = NULL;
    rc = cairn_catalog_prepare(cairn_home_catalog(home),
                               "SELECT id, lineage, created_at FROM training_sets WHERE substr(id, 1, ?) = ? "
                               "ORDER BY id LIMIT 2",
                               &st, &err);
    json_t *lineage = NULL;
    char id[65] = "", created[CAIRN_TIME_FMT_LEN] = "";
    int found = 0;
    if (rc == 0) {
        cairn_stmt_bind_int64(st, 1, (int64_t)strlen(pos[0]));
        cairn_stmt_bind_text(st, 2, pos[0], strlen(pos[0]));
    }
    while (rc == 0 && (rc = cairn_stmt_step(st, &err)) == 1) {
        rc = 0;
        if (found++) break;
        size_t len;
        const char *text = cairn_stmt_text(st, 1, &len);
        snprintf(id, sizeof id, "%s", cairn_stmt_text(st, 0, NULL));
        snprintf(created, sizeof created, "%s", cairn_stmt_text(st, 2, NULL));
        lineage = parse_lineage(text, len);
    }
    cairn_stmt_finalize(st);
    if (rc == 0 && found == 0) rc = cairn_error_set(&err, CAIRN_ENOTFOUND, "no training set with id %s...", pos[0]);
    if (rc == 0 && found > 1) rc = cairn_error_set(&err, CAIRN_EINVAL, "id prefix %s is ambiguous: give more digits", pos[0]);
    if (rc == 0 && !lineage) rc = cairn_error_set(&err, CAIRN_ECORRUPT, "training set %s: unreadable lineage", id);
    if (rc == 0) {
        json_object_set_new(lineage, "id", json_string(id));
        json_object_set_new(lineage, "created_at", json_string(created));
        if (ctx->json) {
            cli_print_json(json_incref(lineage));
        } else {
            cairn_buf b;
            cairn_buf_init(&b, 0);
            if (cairn_json_dump(lineage, CAIRN_JSON_PRETTY, &b) == 0) printf("%.*s\n", (int)b.len, b.data);
            cairn_buf_release(&b);
        }
        cli_summary(ctx, "training set %.12s of %s@%lld", id, json_string_value(json_object_get(lineage, "service")),
                    (long long)json_integer_value(json_object_get(lineage, "version")));
    }
    json_decref(lineage);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * cairn optout add | list | remove
 * ------------------------------------------------------------------------------------ */

static int run_optout_add(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_optout_add = {
    "optout", "add", "optout add ENTITY KEY",
    "exclude an entity key from training sets",
    "Adds an entity key (its join-key values joined by '|', e.g. ORD or ORD|LAX) to the\n"
    "opt-out list: training sets built afterwards leave out its rows, count them and record\n"
    "the key in their lineage. Adding a key twice is harmless.\n"
    "\nexample:\n  cairn optout add origin ORD\n",
    run_optout_add,
};

static int optout_change(cli_ctx *ctx, const cli_command *cmd, int argc, char **argv, bool add)
{
    char *pos[2];
    int npos;
    int rc = cli_parse(cmd, argc, argv, NULL, 0, pos, 2, &npos);
    if (rc == 0 && npos != 2) rc = cli_usage_error(cmd, "expected ENTITY and KEY");
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    bool removed = false;
    rc = add ? cairn_optout_add(home, pos[0], pos[1], &err) : cairn_optout_remove(home, pos[0], pos[1], &removed, &err);
    if (rc == 0) {
        if (ctx->json)
            cli_print_json(json_pack("{s:s, s:s, s:s, s:b}", "entity", pos[0], "key", pos[1], "action",
                                     add ? "add" : "remove", "changed", add || removed));
        if (add) cli_summary(ctx, "opted out: %s %s", pos[0], pos[1]);
        else cli_summary(ctx, removed ? "removed opt-out: %s %s" : "no opt-out %s %s: nothing removed", pos[0], pos[1]);
    }
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

static int run_optout_add(cli_ctx *ctx, int argc, char **argv)
{
    return optout_change(ctx, &cli_cmd_optout_add, argc, argv, true);
}

static int run_optout_remove(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_optout_remove = {
    "optout", "remove", "optout remove ENTITY KEY",
    "take an entity key off the opt-out list",
    "Removes a key from the opt-out list; training sets built afterwards include its rows\n"
    "again (those built before are unchanged). Says when there was nothing to remove.\n"
    "\nexample:\n  cairn optout remove origin ORD\n",
    run_optout_remove,
};

static int run_optout_remove(cli_ctx *ctx, int argc, char **argv)
{
    return optout_change(ctx, &cli_cmd_optout_remove, argc, argv, false);
}

static int run_optout_list(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_optout_list = {
    "optout", "list", "optout list [ENTITY]",
    "list the opted-out entity keys",
    "One line per opted-out key: entity and key, of one entity or of all.\n"
    "\nexample:\n  cairn optout list origin\n",
    run_optout_list,
};

static int run_optout_list(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_optout_list, argc, argv, NULL, 0, pos, 1, &npos);
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    char **keys = NULL;
    size_t n = 0;
    rc = cairn_optout_list(home, npos ? pos[0] : NULL, &keys, &n, &err);
    if (rc == 0) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            size_t tab = strcspn(keys[i], "\t");
            if (ctx->json)
                json_array_append_new(arr, json_pack("{s:s%, s:s}", "entity", keys[i], tab, "key", keys[i] + tab + 1));
            else printf("%.*s\t%s\n", (int)tab, keys[i], keys[i] + tab + 1);
        }
        if (ctx->json) cli_print_json(json_pack("{s:I, s:O}", "count", (json_int_t)n, "optouts", arr));
        json_decref(arr);
        cli_summary(ctx, "%zu opted-out keys", n);
    }
    for (size_t i = 0; i < n; i++) cairn_free(keys[i]);
    cairn_free(keys);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * cairn features lineage
 * ------------------------------------------------------------------------------------ */

/* The entry of `uses` for (version, snapshot), created when missing. */
static json_t *use_of(json_t *uses, const json_t *view)
{
    size_t i;
    json_t *u;
    json_array_foreach(uses, i, u) {
        if (json_equal(json_object_get(u, "version"), json_object_get(view, "version")) &&
            json_equal(json_object_get(u, "snapshot"), json_object_get(view, "snapshot")))
            return u;
    }
    u = json_pack("{s:O, s:O, s:O, s:O, s:[]}", "dataset", json_object_get(view, "dataset"), "snapshot",
                  json_object_get(view, "snapshot"), "version", json_object_get(view, "version"), "hash",
                  json_object_get(view, "hash"), "training_sets");
    json_array_append_new(uses, u);
    return u;
}

static int collect_lineage(cairn_home *home, const char *view, json_t *uses, cairn_error *err)
{
    cairn_stmt *st = NULL;
    int rc = cairn_catalog_prepare(cairn_home_catalog(home),
                                   "SELECT id, service, service_version, rows, created_at, lineage FROM "
                                   "training_sets ORDER BY created_at, id",
                                   &st, err);
    while (rc == 0 && (rc = cairn_stmt_step(st, err)) == 1) {
        rc = 0;
        size_t len;
        const char *text = cairn_stmt_text(st, 5, &len);
        json_t *lin = parse_lineage(text, len), *v;
        size_t i;
        json_array_foreach(json_object_get(lin, "views"), i, v) {
            if (strcmp(json_string_value(json_object_get(v, "name")) ? json_string_value(json_object_get(v, "name")) : "", view))
                continue;
            json_t *u = use_of(uses, v);
            json_array_append_new(json_object_get(u, "training_sets"),
                                  json_pack("{s:s, s:s, s:I, s:I, s:s}", "id", cairn_stmt_text(st, 0, NULL), "service",
                                            cairn_stmt_text(st, 1, NULL), "service_version",
                                            (json_int_t)cairn_stmt_int64(st, 2), "rows",
                                            (json_int_t)cairn_stmt_int64(st, 3), "created_at",
                                            cairn_stmt_text(st, 4, NULL)));
        }
        json_decref(lin);
    }
    cairn_stmt_finalize(st);
    return rc;
}

static int run_lineage(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_features_lineage = {
    "features", "lineage", "features lineage VIEW",
    "snapshots, view versions and training sets",
    "Shows where a feature view's data went: for each source snapshot and view version that\n"
    "training sets read, the training sets built from them (id, service@version, rows).\n"
    "\nexample:\n  cairn features lineage origin_delays\n",
    run_lineage,
};

static int run_lineage(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_features_lineage, argc, argv, NULL, 0, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_features_lineage, "expected VIEW");
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_feature_object *obj = NULL;
    rc = cairn_features_get(home, "feature_view", pos[0], 0, &obj, &err);
    cairn_feature_objects_free(obj, obj ? 1 : 0);
    json_t *uses = json_array();
    if (rc == 0) rc = collect_lineage(home, pos[0], uses, &err);
    size_t nsets = 0, i;
    json_t *u;
    json_array_foreach(uses, i, u) nsets += json_array_size(json_object_get(u, "training_sets"));
    if (rc == 0 && ctx->json) {
        cli_print_json(json_pack("{s:s, s:O}", "view", pos[0], "uses", uses));
    } else if (rc == 0) {
        json_array_foreach(uses, i, u) {
            printf("%s@%.12s -> %s v%lld (hash %.12s)\n", json_string_value(json_object_get(u, "dataset")),
                   json_string_value(json_object_get(u, "snapshot")), pos[0],
                   (long long)json_integer_value(json_object_get(u, "version")),
                   json_string_value(json_object_get(u, "hash")));
            size_t k;
            json_t *t;
            json_array_foreach(json_object_get(u, "training_sets"), k, t)
                printf("    -> training set %.12s  %s@%lld  %lld rows  %s\n", json_string_value(json_object_get(t, "id")),
                       json_string_value(json_object_get(t, "service")),
                       (long long)json_integer_value(json_object_get(t, "service_version")),
                       (long long)json_integer_value(json_object_get(t, "rows")),
                       json_string_value(json_object_get(t, "created_at")));
        }
    }
    if (rc == 0)
        cli_summary(ctx, "feature view '%s': %zu snapshot/version pairs, %zu training sets", pos[0],
                    json_array_size(uses), nsets);
    json_decref(uses);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}
