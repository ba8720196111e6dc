/* cli/main.c: the `cairn` command: global options, dispatch through the command table,
 * `cairn help [command]` and `cairn version`.
 *
 * Global options may appear anywhere: --home DIR, --json, --quiet, --log-level L,
 * --log-json. Exit codes: 0 success, 1 bad input or usage, 2 internal failure.
 * Tests: tests/integration/test_cli.sh (golden outputs and exit codes).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void print_overview(FILE *out)
{
    fprintf(out, "cairn %s: a production machine-learning platform in one binary\n\n"
                 "usage: cairn [--home DIR] [--json] [--quiet] <command> [args]\n\ncommands:\n",
            cairn_version());
    for (size_t i = 0; cli_commands[i]; i++)
        fprintf(out, "  %-34s %s\n", cli_commands[i]->usage, cli_commands[i]->summary);
    fprintf(out, "\nglobal options:\n"
                 "  --home DIR        the Cairn home (default $CAIRN_HOME, else ./.cairn)\n"
                 "  --json            machine-readable output on stdout\n"
                 "  --quiet           no progress and no summary line\n"
                 "  --log-level L     debug, info, warn, error, off (default warn)\n"
                 "  --log-json        log as JSON lines\n"
                 "\nexit status: 0 success, 1 bad input or usage, 2 internal failure\n"
                 "run `cairn help COMMAND` for a command's options\n");
}

static int run_help(cli_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    if (argc <= 1) {
        print_overview(stdout);
        return CLI_OK;
    }
    const cli_command *c = argc >= 3 ? cli_find(argv[1], argv[2]) : NULL;
    if (!c) c = cli_find(NULL, argv[1]);
    if (!c && argc == 2) { /* a group: list its commands */
        bool any = false;
        for (size_t i = 0; cli_commands[i]; i++) {
            if (cli_commands[i]->group && !strcmp(cli_commands[i]->group, argv[1])) {
                printf("  %-34s %s\n", cli_commands[i]->usage, cli_commands[i]->summary);
                any = true;
            }
        }
        if (any) return CLI_OK;
    }
    if (!c) return cli_usage_error(NULL, "unknown command '%s' (see `cairn help`)", argv[1]);
    printf("usage: cairn %s\n\n%s\n", c->usage, c->summary);
    if (c->help && *c->help) printf("\n%s", c->help);
    return CLI_OK;
}

const cli_command cli_cmd_help = {
    NULL, "help", "help [COMMAND]", "show the commands, or one command's options", "", run_help,
};

static int run_version(cli_ctx *ctx, int argc, char **argv)
{
    (void)argc, (void)argv;
    if (ctx->json) {
        json_t *o = json_pack("{s:s, s:s}", "version", cairn_version(), "jansson", JANSSON_VERSION);
        return cli_print_json(o);
    }
    printf("cairn %s\n", cairn_version());
    return CLI_OK;
}

const cli_command cli_cmd_version = {
    NULL, "version", "version", "print the version", "", run_version,
};

/* Removes the global options from argv, applying them to ctx. */
static int take_globals(cli_ctx *ctx, int *argc, char **argv)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) { /* keep the rest as it is */
            while (i < *argc) argv[out++] = argv[i++];
            break;
        }
        if (!strcmp(a, "--json")) {
            ctx->json = true;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            ctx->quiet = true;
        } else if (!strcmp(a, "--log-json")) {
            cairn_log_set_json(true);
        } else if (!strcmp(a, "--home") || !strcmp(a, "--log-level")) {
            if (i + 1 >= *argc) return cli_usage_error(NULL, "option %s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--home")) {
                ctx->home = v;
            } else {
                cairn_log_level lvl;
                if (cairn_log_level_parse(v, &lvl) != 0)
                    return cli_usage_error(NULL, "--log-level: expected debug, info, warn, error or off, found '%s'", v);
                cairn_log_set_level(lvl);
            }
        } else if (!strncmp(a, "--home=", 7)) {
            ctx->home = a + 7;
        } else {
            argv[out++] = argv[i];
        }
    }
    *argc = out;
    argv[out] = NULL;
    return CLI_OK;
}

/* XGBoost's OpenMP threads spin while they wait unless OMP_WAIT_POLICY is passive; on a
 * machine with other work on its cores a fit then takes a hundred times longer. libgomp reads
 * the variable when it loads, before main, so it is set here and the process re-executes
 * itself once (failing that, it goes on as it is). CAIRN_OMP_SPIN=1 keeps spinning. */
static void passive_openmp(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") || getenv("CAIRN_OMP_SPIN")) return;
    if (setenv("OMP_WAIT_POLICY", "passive", 1)) return;
    execv("/proc/self/exe", argv);
}

int main(int argc, char **argv)
{
    passive_openmp(argv);
    cli_ctx ctx = {0};
    ctx.started_ns = cairn_monotonic_ns();
    ctx.tty = isatty(STDERR_FILENO);
    cairn_log_set_level(CAIRN_LOG_WARN);
    int rc = take_globals(&ctx, &argc, argv);
    if (rc) return rc;
    ctx.home = cairn_home_default(ctx.home);
    if (argc < 2) {
        print_overview(stderr);
        return CLI_BAD_INPUT;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) return run_help(&ctx, 1, argv);
    if (!strcmp(argv[1], "--version")) return run_version(&ctx, 1, argv);
    const cli_command *c = cli_find(NULL, argv[1]);
    if (c) return c->run(&ctx, argc - 1, argv + 1);
    if (argc >= 3 && (c = cli_find(argv[1], argv[2])) != NULL) return c->run(&ctx, argc - 2, argv + 2);
    bool group = false;
    for (size_t i = 0; cli_commands[i]; i++)
        if (cli_commands[i]->group && !strcmp(cli_commands[i]->group, argv[1])) group = true;
    if (group)
        return cli_usage_error(NULL, argc >= 3 ? "unknown command 'cairn %s %s' (see `cairn help %s`)"
                                               : "'cairn %s' needs a subcommand%.0s (see `cairn help %s`)",
                               argv[1], argc >= 3 ? argv[2] : "", argv[1]);
    return cli_usage_error(NULL, "unknown command '%s' (see `cairn help`)", argv[1]);
}
