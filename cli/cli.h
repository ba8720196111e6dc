/* cli/cli.h: what the command files share: the command descriptor, the context built from
 * the global options, option parsing, output and progress helpers.
 *
 * Each command group lives in one file (cmd_<group>.c) and exports its descriptors; the one
 * table of commands is in commands.c. The CLI uses only the public headers (include/cairn).
 */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "cairn/cairn.h"

enum { CLI_OK = 0, CLI_BAD_INPUT = 1, CLI_INTERNAL = 2 };

typedef struct cli_ctx {
    const char *home; /* --home, else $CAIRN_HOME, else ./.cairn */
    bool json;        /* --json: machine-readable output on stdout */
    bool quiet;       /* --quiet: no progress, no summary */
    bool tty;         /* stderr is a terminal: progress bars */
    int64_t started_ns;
    const char *label; /* what progress shows, e.g. "reading flights.csv"; NULL = the job's stage */
} cli_ctx;

typedef struct cli_command {
    const char *group; /* "data", or NULL for a top-level command */
    const char *name;
    const char *usage;   /* one line, without "cairn " */
    const char *summary; /* one line */
    const char *help;    /* paragraphs: options and examples */
    int (*run)(cli_ctx *ctx, int argc, char **argv); /* argv[0] is the command name */
} cli_command;

extern const cli_command *const cli_commands[];
const cli_command *cli_find(const char *group, const char *name);

/* Options: a spec per command; parsing stops at "--"; unknown options are usage errors. */
typedef struct cli_option {
    const char *name;   /* long name without "--" */
    char short_name;    /* 0 for none */
    bool has_arg;
    const char *value;  /* out: the argument, or "1" for a flag; NULL if absent */
} cli_option;

/* Parses argv[1..] into opts and positionals (pointers into argv); returns CLI_OK or prints a
 * usage error and returns CLI_BAD_INPUT. */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_option *opts, size_t nopts,
              char **positional, int max_positional, int *npositional);
const char *cli_opt(const cli_option *opts, size_t nopts, const char *name);
int cli_opt_int(const cli_command *cmd, const cli_option *opts, size_t nopts, const char *name,
                int64_t fallback, int64_t *out);

/* Opens the home of --home / $CAIRN_HOME; on failure prints the error and returns its exit
 * code (CLI_OK on success). */
int cli_open_home(cli_ctx *ctx, cairn_home **home);
/* Prints "error: <located message>" and returns the exit code for rc. */
int cli_fail(const cli_ctx *ctx, int rc, const cairn_error *err);
/* Prints a usage error for cmd and returns CLI_BAD_INPUT. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...) CAIRN_PRINTF(2, 3);
/* The one-line summary at the end of a command (stderr; nothing with --quiet). */
void cli_summary(const cli_ctx *ctx, const char *fmt, ...) CAIRN_PRINTF(2, 3);
/* Writes a JSON value to stdout followed by a newline, and releases it. */
int cli_print_json(json_t *value);
/* A cairn_progress_fn rendering a bar on a terminal and a line per stage otherwise;
 * ud is the cli_ctx. */
bool cli_progress(void *ud, const char *stage, int64_t done, int64_t total);
double cli_elapsed_s(const cli_ctx *ctx);
/* "3,000,000" */
const char *cli_thousands(int64_t v, char *out, size_t cap);

#endif
