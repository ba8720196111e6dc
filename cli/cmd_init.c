/* cli/cmd_init.c: `cairn init`: create (or complete) a Cairn home and its catalog. */
#include "cli.h"

static int run_init(cli_ctx *ctx, int argc, char **argv);

const cli_command cli_cmd_init = {
    NULL, "init", "init [DIR]", "create a Cairn home (default ./.cairn or $CAIRN_HOME)",
    "Creates the home's layout (cairn.yaml, catalog.db, lake/, dlq/, objects/, online/, keys/)\n"
    "and applies the catalog's schema migrations. Running it again keeps what exists and\n"
    "applies any new migrations.\n\n"
    "examples:\n  cairn init\n  cairn --home /srv/cairn init\n",
    run_init,
};

static int run_init(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_init, argc, argv, NULL, 0, pos, 1, &npos);
    if (rc) return rc;
    const char *dir = npos ? pos[0] : ctx->home;
    cairn_error err;
    cairn_error_clear(&err);
    bool created = false;
    rc = cairn_home_init(dir, &created, &err);
    if (rc) return cli_fail(ctx, rc, &err);
    cairn_home *home;
    rc = cairn_home_open(dir, &home, &err);
    if (rc) return cli_fail(ctx, rc, &err);
    int64_t applied = 0, known = 0;
    rc = cairn_catalog_version(cairn_home_catalog(home), &applied, &known, &err);
    const char *backend = cairn_catalog_backend(cairn_home_catalog(home));
    if (rc == 0 && ctx->json) {
        cli_print_json(json_pack("{s:s, s:b, s:s, s:I}", "home", dir, "created", created,
                                 "catalog", backend, "catalog_version", (json_int_t)applied));
    }
    cairn_home_close(home);
    if (rc) return cli_fail(ctx, rc, &err);
    cli_summary(ctx, "%s Cairn home at %s (catalog: %s, schema version %lld)",
                created ? "initialised" : "already initialised:", dir, backend, (long long)applied);
    return CLI_OK;
}
