/* cli/cmd_schema.c: `cairn schema register|check|list|show|mode`: dataset schemas (YAML, see
 * include/cairn/ingest.h) and the schema registry in the home's catalog.
 *
 * A schema's subject defaults to its dataset name. An incompatible schema is refused with
 * every offending field and why (exit 1), and leaves the registry as it was.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int load_schema(cli_ctx *ctx, const char *path, cairn_dataset_schema **out)
{
    cairn_error err;
    cairn_error_clear(&err);
    int rc = cairn_dataset_schema_load(path, out, &err);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

static json_t *issues_json(const cairn_compat_issue *issues, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:I}", "field", issues[i].field, "reason",
                                             issues[i].reason, "version",
                                             (json_int_t)issues[i].against_version));
    return arr;
}

/* --------------------------------------------------------------------------------------
 * cairn schema register
 * ------------------------------------------------------------------------------------ */

static int run_register(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_schema_register = {
    "schema", "register", "schema register FILE [options]",
    "register a dataset schema (YAML) as its subject's next version",
    "Checks the schema against the subject's registered versions under its compatibility mode\n"
    "and stores it as the next version. A schema equal to the latest version is not stored\n"
    "again. An incompatible schema is refused (exit 1) with every offending field.\n\n"
    "options:\n  --subject S         the subject (default: the schema's dataset name)\n"
    "  --mode M            first set the subject's compatibility mode (see `schema mode`)\n"
    "\nexamples:\n  cairn schema register examples/flights/schema.yaml\n"
    "  cairn schema register schema.yaml --subject flights-v2 --mode FULL\n",
    run_register,
};

static int do_register(cli_ctx *ctx, cairn_catalog *catalog, const char *subject,
                       const char *mode_name, const cairn_dataset_schema *schema)
{
    cairn_error err;
    cairn_error_clear(&err);
    cairn_compat_mode mode;
    int rc = 0;
    if (mode_name && cairn_compat_parse(mode_name, &mode))
        return cli_usage_error(&cli_cmd_schema_register, "--mode: unknown mode '%s'", mode_name);
    if (mode_name && (rc = cairn_registry_set_mode(catalog, subject, mode, &err)))
        return cli_fail(ctx, rc, &err);
    int64_t version = 0;
    bool created = false;
    cairn_compat_issue *issues = NULL;
    size_t n = 0;
    rc = cairn_registry_register(catalog, subject, schema, &version, &created, &issues, &n, &err);
    if (rc == CAIRN_ECONFLICT && ctx->json)
        cli_print_json(json_pack("{s:s, s:b, s:o}", "subject", subject, "registered", 0,
                                 "issues", issues_json(issues, n)));
    cairn_free(issues);
    if (rc) return cli_fail(ctx, rc, &err);
    char hash[65];
    cairn_dataset_schema_hash(schema, hash);
    if (ctx->json)
        cli_print_json(json_pack("{s:s, s:b, s:I, s:b, s:s}", "subject", subject, "registered", 1,
                                 "version", (json_int_t)version, "created", created, "hash", hash));
    else
        printf("%s version %lld%s\n", subject, (long long)version, created ? "" : " (unchanged)");
    cli_summary(ctx, "%s '%s' version %lld (%zu fields)", created ? "registered" : "already registered:",
                subject, (long long)version, cairn_dataset_schema_num_fields(schema));
    return CLI_OK;
}

static int run_register(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"subject", 's', true, NULL}, {"mode", 'm', true, NULL}};
    size_t no = sizeof o / sizeof o[0];
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_schema_register, argc, argv, o, no, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_schema_register, "expected one FILE");
    if (rc) return rc;
    cairn_dataset_schema *schema;
    cairn_home *home;
    if ((rc = load_schema(ctx, pos[0], &schema))) return rc;
    if ((rc = cli_open_home(ctx, &home)) == 0) {
        const char *subject = cli_opt(o, no, "subject");
        rc = do_register(ctx, cairn_home_catalog(home), subject ? subject : cairn_dataset_schema_name(schema),
                         cli_opt(o, no, "mode"), schema);
        cairn_home_close(home);
    }
    cairn_dataset_schema_free(schema);
    return rc;
}

/* --------------------------------------------------------------------------------------
 * cairn schema check
 * ------------------------------------------------------------------------------------ */

static int run_check(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_schema_check = {
    "schema", "check", "schema check FILE [--subject S]",
    "check a dataset schema and its compatibility without registering it",
    "Parses the schema and checks it against the subject's registered versions under the\n"
    "subject's mode. Exit 0 when it could be registered, 1 (listing every issue) when not.\n\n"
    "options:\n  --subject S         the subject (default: the schema's dataset name)\n"
    "\nexample:\n  cairn schema check examples/flights/schema.yaml\n",
    run_check,
};

static int do_check(cli_ctx *ctx, cairn_catalog *catalog, const char *subject,
                    const cairn_dataset_schema *schema)
{
    cairn_error err;
    cairn_error_clear(&err);
    bool ok = false;
    cairn_compat_issue *issues = NULL;
    size_t n = 0;
    int rc = cairn_registry_check(catalog, subject, schema, &ok, &issues, &n, &err);
    if (rc) return cli_fail(ctx, rc, &err);
    cairn_compat_mode mode = CAIRN_COMPAT_BACKWARD;
    cairn_registry_get_mode(catalog, subject, &mode, &err);
    if (ctx->json) {
        cli_print_json(json_pack("{s:s, s:s, s:b, s:o}", "subject", subject, "mode",
                                 cairn_compat_name(mode), "compatible", ok, "issues", issues_json(issues, n)));
    } else {
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "issue: version %lld: field '%s' %s\n", (long long)issues[i].against_version,
                    issues[i].field, issues[i].reason);
        if (ok) printf("%s: compatible (%s)\n", subject, cairn_compat_name(mode));
    }
    cairn_free(issues);
    if (ok) cli_summary(ctx, "schema for '%s' is %s compatible", subject, cairn_compat_name(mode));
    else cli_summary(ctx, "schema for '%s' is not %s compatible: %zu issue%s", subject,
                     cairn_compat_name(mode), n, n == 1 ? "" : "s");
    return ok ? CLI_OK : CLI_BAD_INPUT;
}

static int run_check(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"subject", 's', true, NULL}};
    size_t no = sizeof o / sizeof o[0];
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_schema_check, argc, argv, o, no, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_schema_check, "expected one FILE");
    if (rc) return rc;
    cairn_dataset_schema *schema;
    cairn_home *home;
    if ((rc = load_schema(ctx, pos[0], &schema))) return rc;
    if ((rc = cli_open_home(ctx, &home)) == 0) {
        const char *subject = cli_opt(o, no, "subject");
        rc = do_check(ctx, cairn_home_catalog(home), subject ? subject : cairn_dataset_schema_name(schema),
                      schema);
        cairn_home_close(home);
    }
    cairn_dataset_schema_free(schema);
    return rc;
}

/* --------------------------------------------------------------------------------------
 * cairn schema list
 * ------------------------------------------------------------------------------------ */

static int run_list(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_schema_list = {
    "schema", "list", "schema list", "list the registry's subjects, latest versions and modes",
    "example:\n  cairn schema list\n", run_list,
};

static int list_subjects(cli_ctx *ctx, cairn_catalog *catalog)
{
    cairn_error err;
    cairn_error_clear(&err);
    char **names = NULL;
    size_t n = 0;
    int rc = cairn_registry_subjects(catalog, &names, &n, &err);
    if (rc) return cli_fail(ctx, rc, &err);
    json_t *arr = json_array();
    if (!ctx->json) printf("%-32s %8s  %s\n", "subject", "latest", "mode");
    for (size_t i = 0; i < n && rc == 0; i++) {
        cairn_registry_version *versions = NULL;
        size_t nv = 0;
        cairn_compat_mode mode;
        if ((rc = cairn_registry_versions(catalog, names[i], &versions, &nv, &err)) == 0 &&
            (rc = cairn_registry_get_mode(catalog, names[i], &mode, &err)) == 0) {
            long long latest = nv ? (long long)versions[nv - 1].version : 0;
            if (ctx->json)
                json_array_append_new(arr, json_pack("{s:s, s:I, s:s}", "subject", names[i], "latest",
                                                     (json_int_t)latest, "mode", cairn_compat_name(mode)));
            else
                printf("%-32s %8lld  %s\n", names[i], latest, cairn_compat_name(mode));
        }
        cairn_free(versions);
    }
    for (size_t i = 0; i < n; i++) cairn_free(names[i]);
    cairn_free(names);
    if (rc) {
        json_decref(arr);
        return cli_fail(ctx, rc, &err);
    }
    if (ctx->json) cli_print_json(json_pack("{s:o}", "subjects", arr));
    else json_decref(arr);
    cli_summary(ctx, "%zu subject%s", n, n == 1 ? "" : "s");
    return CLI_OK;
}

static int run_list(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[1];
    int npos;
    cairn_home *home;
    int rc = cli_parse(&cli_cmd_schema_list, argc, argv, NULL, 0, pos, 0, &npos);
    if (rc || (rc = cli_open_home(ctx, &home))) return rc;
    rc = list_subjects(ctx, cairn_home_catalog(home));
    cairn_home_close(home);
    return rc;
}

/* --------------------------------------------------------------------------------------
 * cairn schema show
 * ------------------------------------------------------------------------------------ */

static int run_show(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_schema_show = {
    "schema", "show", "schema show SUBJECT [--version N]",
    "print a registered schema (default: the latest version)",
    "Prints the schema's fields; with --json, the canonical JSON as stored.\n\n"
    "options:\n  -v, --version N     the version to show (default: the latest)\n"
    "\nexamples:\n  cairn schema show flights\n  cairn --json schema show flights --version 1\n",
    run_show,
};

static void print_fields(const cairn_dataset_schema *schema)
{
    printf("%-24s %-10s %-9s %-13s %s\n", "field", "type", "nullable", "class", "description");
    for (size_t i = 0; i < cairn_dataset_schema_num_fields(schema); i++) {
        const cairn_dataset_field *f = cairn_dataset_schema_field(schema, i);
        printf("%-24s %-10s %-9s %-13s %s\n", f->name, cairn_type_name(f->type),
               f->nullable ? "yes" : "no", cairn_classification_name(f->classification),
               f->description);
    }
}

static int show_version(cli_ctx *ctx, cairn_catalog *catalog, const char *subject, int64_t version)
{
    cairn_error err;
    cairn_error_clear(&err);
    cairn_dataset_schema *schema;
    int64_t found = 0;
    int rc = cairn_registry_get(catalog, subject, version, &schema, &found, &err);
    if (rc) return cli_fail(ctx, rc, &err);
    char hash[65] = "";
    json_t *j = NULL;
    if ((rc = cairn_dataset_schema_hash(schema, hash)) == 0 && ctx->json)
        rc = cairn_dataset_schema_to_json(schema, &j);
    if (rc == 0 && ctx->json) {
        rc = cli_print_json(json_pack("{s:s, s:I, s:s, s:o}", "subject", subject, "version",
                                      (json_int_t)found, "hash", hash, "schema", j));
    } else if (rc == 0) {
        printf("subject %s, version %lld, hash %.12s\n", subject, (long long)found, hash);
        print_fields(schema);
    }
    if (rc == 0)
        cli_summary(ctx, "'%s' version %lld: %zu fields", subject, (long long)found,
                    cairn_dataset_schema_num_fields(schema));
    cairn_dataset_schema_free(schema);
    return rc ? cli_fail(ctx, rc, NULL) : CLI_OK;
}

static int run_show(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"version", 'v', true, NULL}};
    size_t no = sizeof o / sizeof o[0];
    char *pos[1];
    int npos;
    int64_t version = 0;
    cairn_home *home;
    int rc = cli_parse(&cli_cmd_schema_show, argc, argv, o, no, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_schema_show, "expected one SUBJECT");
    if (rc == 0) rc = cli_opt_int(&cli_cmd_schema_show, o, no, "version", 0, &version);
    if (rc || (rc = cli_open_home(ctx, &home))) return rc;
    rc = show_version(ctx, cairn_home_catalog(home), pos[0], version);
    cairn_home_close(home);
    return rc;
}

/* --------------------------------------------------------------------------------------
 * cairn schema mode
 * ------------------------------------------------------------------------------------ */

static int run_mode(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_schema_mode = {
    "schema", "mode", "schema mode SUBJECT [MODE]",
    "show or set a subject's compatibility mode",
    "Modes: BACKWARD (default: the new schema reads data written with the latest),\n"
    "FORWARD (the latest reads data written with the new one), FULL (both), their\n"
    "_TRANSITIVE forms (against every version, not only the latest), and NONE.\n\n"
    "examples:\n  cairn schema mode flights\n  cairn schema mode flights FULL_TRANSITIVE\n",
    run_mode,
};

static int run_mode(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[2];
    int npos;
    cairn_home *home;
    cairn_compat_mode mode = CAIRN_COMPAT_BACKWARD;
    int rc = cli_parse(&cli_cmd_schema_mode, argc, argv, NULL, 0, pos, 2, &npos);
    if (rc == 0 && npos < 1) rc = cli_usage_error(&cli_cmd_schema_mode, "expected a SUBJECT");
    if (rc == 0 && npos == 2 && cairn_compat_parse(pos[1], &mode))
        rc = cli_usage_error(&cli_cmd_schema_mode, "unknown mode '%s'", pos[1]);
    if (rc || (rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_catalog *catalog = cairn_home_catalog(home);
    if (npos == 2) rc = cairn_registry_set_mode(catalog, pos[0], mode, &err);
    else rc = cairn_registry_get_mode(catalog, pos[0], &mode, &err);
    cairn_home_close(home);
    if (rc) return cli_fail(ctx, rc, &err);
    if (ctx->json) cli_print_json(json_pack("{s:s, s:s}", "subject", pos[0], "mode", cairn_compat_name(mode)));
    else printf("%s\n", cairn_compat_name(mode));
    cli_summary(ctx, "'%s' %s %s", pos[0], npos == 2 ? "mode set to" : "mode is", cairn_compat_name(mode));
    return CLI_OK;
}
