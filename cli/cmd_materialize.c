/* cli/cmd_materialize.c: `cairn materialize` (feature values as of a time into the online
 * store) and `cairn features get` (an online lookup, printed as a table or, with --json, in
 * Feast's get-online-features response shape).
 *
 * Tests: tests/integration/test_materialize_cli.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int parse_time(const cli_command *cmd, const char *opt, const char *text, int64_t *out)
{
    cairn_error err;
    cairn_error_clear(&err);
    if (!text) return CLI_OK;
    if (cairn_time_parse(text, strlen(text), out, &err))
        return cli_usage_error(cmd, "--%s: expected a time such as 2001-01-03T00:00:00Z, found '%s'", opt, text);
    return CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * cairn materialize
 * ------------------------------------------------------------------------------------ */

static int run_materialize(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_materialize = {
    NULL, "materialize", "materialize [options]",
    "write feature values as of a time into the online store",
    "For every feature view (or --view V) and every entity with an event in [start, end),\n"
    "writes the features as of `end` to the online store (the home's online.url, default\n"
    "lmdb:<home>/online): windows over [end - w, end), calendar and passthrough features of\n"
    "the entity's latest event before end, stamped with that event's time. A value never\n"
    "replaces a newer one in the store. Each run is recorded.\n\n"
    "options:\n  --view V            only this feature view\n"
    "  --start T           events from T (default: from the beginning)\n"
    "  --end T             up to T, excluded (default: now)\n"
    "  --incremental       start where the view's previous run ended (first run: end - TTL,\n"
    "                      or everything without a TTL)\n"
    "\nexamples:\n  cairn materialize --end 2001-01-03T00:00:00Z\n"
    "  cairn materialize --view origin_delays --incremental\n",
    run_materialize,
};

static int run_materialize(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"view", 0, true, NULL}, {"start", 0, true, NULL}, {"end", 0, true, NULL},
                      {"incremental", 0, false, NULL}};
    char *pos[1];
    int npos;
    cairn_materialize_options opts = {0};
    int rc = cli_parse(&cli_cmd_materialize, argc, argv, o, 4, pos, 0, &npos);
    if (rc == 0) rc = parse_time(&cli_cmd_materialize, "start", cli_opt(o, 4, "start"), &opts.start_us);
    if (rc == 0) rc = parse_time(&cli_cmd_materialize, "end", cli_opt(o, 4, "end"), &opts.end_us);
    if (rc == 0 && cli_opt(o, 4, "incremental") && cli_opt(o, 4, "start"))
        rc = cli_usage_error(&cli_cmd_materialize, "--incremental and --start exclude each other");
    if (rc) return rc;
    opts.view = cli_opt(o, 4, "view");
    opts.incremental = cli_opt(o, 4, "incremental") != NULL;
    opts.progress = cli_progress;
    opts.progress_ud = ctx;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_materialize_result res;
    rc = cairn_materialize(home, &opts, &res, &err);
    cairn_home_close(home);
    if (rc) return cli_fail(ctx, rc, &err);
    char s[CAIRN_TIME_FMT_LEN], e[CAIRN_TIME_FMT_LEN];
    cairn_time_format(res.start_us, s, sizeof s);
    cairn_time_format(res.end_us, e, sizeof e);
    if (ctx->json) {
        json_t *j = json_object();
        json_object_set_new(j, "views", json_integer(res.views));
        json_object_set_new(j, "entities", json_integer(res.entities));
        json_object_set_new(j, "written", json_integer(res.written));
        json_object_set_new(j, "skipped_older", json_integer(res.skipped_older));
        json_object_set_new(j, "start", res.start_us ? json_string(s) : json_null());
        json_object_set_new(j, "end", json_string(e));
        cli_print_json(j);
    }
    char a[32], b[32], c[32];
    cli_summary(ctx, "materialized %lld views: %s entities, %s written, %s not newer than the store (%s .. %s) in %.2fs",
                (long long)res.views, cli_thousands(res.entities, a, sizeof a),
                cli_thousands(res.written, b, sizeof b), cli_thousands(res.skipped_older, c, sizeof c),
                res.start_us ? s : "beginning", e, cli_elapsed_s(ctx));
    return CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * cairn features get
 * ------------------------------------------------------------------------------------ */

static int run_get(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_features_get = {
    "features", "get", "features get SERVICE --entity K=V",
    "look up feature values in the online store",
    "Reads the online store for the features of SERVICE (or the --feature names) and every\n"
    "entity. Each --entity KEY=VALUE appends VALUE to KEY's column (Feast's entities):\n"
    "`--entity origin=ORD --entity origin=LAX` asks for two airports, and\n"
    "`--entity origin=ORD,destination=LAX` gives one route. Every feature view involved needs\n"
    "all of its join keys (a service over several entities needs all their keys). Prints one\n"
    "line per entity and feature with the value, its status (PRESENT, NOT_FOUND,\n"
    "OUTSIDE_MAX_AGE: older than the view's TTL, value null) and its event time; --json gives\n"
    "Feast's response: {metadata: {feature_names}, results: [{values, statuses,\n"
    "event_timestamps}]}, one result per feature (column-major).\n\n"
    "options:\n  --entity K=V[,K=V]  join key values (repeatable)\n"
    "  --feature VIEW:F    a feature instead of a service (repeatable)\n"
    "  --now T             judge TTLs as of T instead of now (replays, tests)\n"
    "\nexamples:\n  cairn features get delay_model --entity origin=ORD,destination=LAX,date=2001-01-02T08:00:00Z\n"
    "  cairn --json features get --feature origin_delays:mean_delay_24h --entity origin=ORD\n",
    run_get,
};

/* Adds "k=v[,k=v]" to the entities object. */
static int add_entity(json_t *entities, const char *arg)
{
    char *copy = strdup(arg), *save = NULL;
    int rc = copy ? CLI_OK : CLI_INTERNAL;
    for (char *p = copy ? strtok_r(copy, ",", &save) : NULL; p && rc == CLI_OK; p = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(p, '=');
        if (!eq || eq == p) {
            rc = cli_usage_error(&cli_cmd_features_get, "--entity: expected KEY=VALUE, found '%s'", p);
            break;
        }
        *eq = 0;
        json_t *col = json_object_get(entities, p);
        if (!col) json_object_set_new(entities, p, col = json_array());
        json_array_append_new(col, json_string(eq + 1));
    }
    free(copy);
    return rc;
}

static void print_table(const cairn_online_result *r, const json_t *entities)
{
    printf("%-36s %-36s %-22s %-16s %s\n", "ENTITY", "FEATURE", "VALUE", "STATUS", "EVENT TIME");
    for (size_t e = 0; e < r->nentities; e++) {
        char ent[256] = "";
        size_t len = 0;
        const char *k;
        json_t *col;
        json_object_foreach((json_t *)entities, k, col) {
            len += (size_t)snprintf(ent + len, len < sizeof ent ? sizeof ent - len : 0, "%s%s=%s",
                                    len ? "," : "", k, json_string_value(json_array_get(col, e)));
            if (len >= sizeof ent) break;
        }
        for (size_t f = 0; f < r->nfeatures; f++) {
            size_t c = e * r->nfeatures + f;
            char *v = json_dumps(r->values[c], JSON_ENCODE_ANY | JSON_REAL_PRECISION(10));
            char t[CAIRN_TIME_FMT_LEN] = "-";
            if (r->event_us[c]) cairn_time_format(r->event_us[c], t, sizeof t);
            printf("%-36s %-36s %-22s %-16s %s\n", ent, r->feature_names[f], v ? v : "?",
                   cairn_feature_status_name(r->statuses[c]), t);
            cairn_free(v); /* jansson allocates through cairn_malloc */
        }
    }
}

static json_t *result_json(const cairn_online_result *r)
{
    json_t *names = json_array(), *results = json_array();
    for (size_t f = 0; f < r->nfeatures; f++) {
        json_t *vals = json_array(), *st = json_array(), *ts = json_array();
        for (size_t e = 0; e < r->nentities; e++) {
            size_t c = e * r->nfeatures + f;
            char t[CAIRN_TIME_FMT_LEN];
            cairn_time_format(r->event_us[c], t, sizeof t); /* 0: 1970-01-01, as Feast */
            json_array_append(vals, r->values[c]);
            json_array_append_new(st, json_string(cairn_feature_status_name(r->statuses[c])));
            json_array_append_new(ts, json_string(t));
        }
        json_t *one = json_object();
        json_object_set_new(one, "values", vals);
        json_object_set_new(one, "statuses", st);
        json_object_set_new(one, "event_timestamps", ts);
        json_array_append_new(results, one);
        json_array_append_new(names, json_string(r->feature_names[f]));
    }
    json_t *meta = json_object(), *top = json_object();
    json_object_set_new(meta, "feature_names", names);
    json_object_set_new(top, "metadata", meta);
    json_object_set_new(top, "results", results);
    return top;
}

static int run_get(cli_ctx *ctx, int argc, char **argv)
{
    /* --entity and --feature repeat, which cli_parse does not keep: take them out first */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    const char **feats = calloc((size_t)argc + 1, sizeof *feats);
    json_t *entities = json_object();
    int nrest = 0, rc = rest && feats && entities ? CLI_OK : CLI_INTERNAL;
    size_t nfeats = 0;
    for (int i = 0; rc == CLI_OK && i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        bool ent = !strncmp(a, "--entity", 8) && (a[8] == 0 || a[8] == '=');
        bool feat = !strncmp(a, "--feature", 9) && (a[9] == 0 || a[9] == '=');
        if (i > 0 && (ent || feat)) {
            const char *eq = strchr(a, '=');
            if (eq) val = eq + 1;
            else if (i + 1 < argc) val = argv[++i];
            else rc = cli_usage_error(&cli_cmd_features_get, "option %s needs a value", a);
            if (rc == CLI_OK && ent) rc = add_entity(entities, val);
            if (rc == CLI_OK && feat) feats[nfeats++] = val;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    char *pos[1];
    int npos = 0;
    cli_option o[] = {{"now", 0, true, NULL}};
    int64_t now = 0;
    if (rc == CLI_OK) rc = cli_parse(&cli_cmd_features_get, nrest, rest, o, 1, pos, 1, &npos);
    if (rc == CLI_OK) rc = parse_time(&cli_cmd_features_get, "now", cli_opt(o, 1, "now"), &now);
    if (rc == CLI_OK && (npos == 1) == (nfeats > 0))
        rc = cli_usage_error(&cli_cmd_features_get, "name a feature service or --feature names (one of them)");
    if (rc == CLI_OK && json_object_size(entities) == 0)
        rc = cli_usage_error(&cli_cmd_features_get, "expected --entity KEY=VALUE");
    cairn_home *home = NULL;
    if (rc == CLI_OK) rc = cli_open_home(ctx, &home);
    cairn_online_reader *reader = NULL;
    cairn_online_result res = {0};
    cairn_error err;
    cairn_error_clear(&err);
    if (rc == CLI_OK) {
        int crc = cairn_online_reader_open(home, &reader, &err);
        if (crc == 0) crc = cairn_online_read(reader, npos ? pos[0] : NULL, feats, nfeats, entities, now, &res, &err);
        if (crc) {
            rc = cli_fail(ctx, crc, &err);
        } else {
            if (ctx->json) cli_print_json(result_json(&res));
            else print_table(&res, entities);
            size_t present = 0;
            for (size_t c = 0; c < res.nentities * res.nfeatures; c++) present += res.statuses[c] == CAIRN_FEATURE_PRESENT;
            cli_summary(ctx, "%zu entities x %zu features: %zu present", res.nentities, res.nfeatures, present);
        }
    }
    cairn_online_result_free(&res);
    cairn_online_reader_close(reader);
    if (home) cairn_home_close(home);
    json_decref(entities);
    free(rest);
    free(feats);
    return rc;
}
