/* cli/util.c: option parsing, error and summary printing, progress rendering for commands. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static cli_option *find_opt(cli_option *opts, size_t nopts, const char *name, size_t len,
                            char short_name)
{
    for (size_t i = 0; i < nopts; i++) {
        if (short_name && opts[i].short_name == short_name) return &opts[i];
        if (!short_name && strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len))
            return &opts[i];
    }
    return NULL;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, cli_option *opts, size_t nopts,
              char **positional, int max_positional, int *npositional)
{
    *npositional = 0;
    bool only_positional = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (!only_positional && !strcmp(a, "--")) {
            only_positional = true;
            continue;
        }
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            if (*npositional >= max_positional)
                return cli_usage_error(cmd, "unexpected argument '%s'", a);
            positional[(*npositional)++] = a;
            continue;
        }
        const char *name = a[1] == '-' ? a + 2 : a + 1;
        const char *eq = a[1] == '-' ? strchr(name, '=') : NULL;
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        cli_option *o = a[1] == '-' ? find_opt(opts, nopts, name, len, 0)
                                    : (strlen(name) == 1 ? find_opt(opts, nopts, NULL, 0, name[0]) : NULL);
        if (!o) return cli_usage_error(cmd, "unknown option '%s'", a);
        if (!o->has_arg) {
            if (eq) return cli_usage_error(cmd, "option --%s takes no value", o->name);
            o->value = "1";
        } else if (eq) {
            o->value = eq + 1;
        } else if (i + 1 < argc) {
            o->value = argv[++i];
        } else {
            return cli_usage_error(cmd, "option --%s needs a value", o->name);
        }
    }
    return CLI_OK;
}

const char *cli_opt(const cli_option *opts, size_t nopts, const char *name)
{
    for (size_t i = 0; i < nopts; i++)
        if (!strcmp(opts[i].name, name)) return opts[i].value;
    return NULL;
}

int cli_opt_int(const cli_command *cmd, const cli_option *opts, size_t nopts, const char *name,
                int64_t fallback, int64_t *out)
{
    const char *v = cli_opt(opts, nopts, name);
    if (!v) {
        *out = fallback;
        return CLI_OK;
    }
    char *end;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || n < 0) return cli_usage_error(cmd, "--%s: expected a non-negative integer, found '%s'", name, v);
    *out = n;
    return CLI_OK;
}

int cli_fail(const cli_ctx *ctx, int rc, const cairn_error *err)
{
    char msg[2048];
    if (err && err->code) {
        cairn_error_format(err, msg, sizeof msg);
    } else {
        snprintf(msg, sizeof msg, "%s", cairn_strerror(rc));
    }
    if (ctx && ctx->tty && !ctx->quiet) fputs("\r\033[K", stderr);
    fprintf(stderr, "error: %s\n", msg);
    return cairn_error_is_internal(rc) ? CLI_INTERNAL : CLI_BAD_INPUT;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd) fprintf(stderr, "\nusage: cairn %s\n(see `cairn help %s%s%s`)\n", cmd->usage,
                     cmd->group ? cmd->group : "", cmd->group ? " " : "", cmd->name);
    else fputc('\n', stderr);
    return CLI_BAD_INPUT;
}

void cli_summary(const cli_ctx *ctx, const char *fmt, ...)
{
    if (ctx->quiet) return;
    va_list ap;
    va_start(ap, fmt);
    if (ctx->tty) fputs("\r\033[K", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_print_json(json_t *value)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    int rc = cairn_json_dump(value, CAIRN_JSON_PRETTY, &b);
    if (rc == 0) {
        fwrite(b.data, 1, b.len, stdout);
        fputc('\n', stdout);
    }
    cairn_buf_release(&b);
    json_decref(value);
    return rc ? CLI_INTERNAL : CLI_OK;
}

bool cli_progress(void *ud, const char *stage, int64_t done, int64_t total)
{
    cli_ctx *ctx = ud;
    static char last_stage[128];
    static int last_pct = -1;
    if (ctx->quiet) return true;
    if (ctx->label) stage = ctx->label;
    int pct = total > 0 ? (int)(done * 100 / total) : -1;
    if (ctx->tty) {
        if (pct == last_pct && !strcmp(stage, last_stage)) return true;
        char bar[31];
        int fill = pct < 0 ? 0 : pct * 30 / 100;
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        if (pct >= 0)
            fprintf(stderr, "\r\033[K%s [%s] %3d%%", stage, bar, pct);
        else
            fprintf(stderr, "\r\033[K%s %lld", stage, (long long)done);
        fflush(stderr);
    } else if (strcmp(stage, last_stage) != 0) {
        fprintf(stderr, "%s...\n", stage);
    }
    snprintf(last_stage, sizeof last_stage, "%s", stage);
    last_pct = pct;
    return true;
}

double cli_elapsed_s(const cli_ctx *ctx)
{
    return (double)(cairn_monotonic_ns() - ctx->started_ns) / 1e9;
}

const char *cli_thousands(int64_t v, char *out, size_t cap)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
    size_t o = 0;
    if (v < 0 && o + 1 < cap) out[o++] = '-';
    for (int i = 0; i < n && o + 1 < cap; i++) {
        if (i && (n - i) % 3 == 0 && o + 1 < cap) out[o++] = ',';
        if (o + 1 < cap) out[o++] = digits[i];
    }
    out[o] = '\0';
    return out;
}

int cli_open_home(cli_ctx *ctx, cairn_home **home)
{
    cairn_error err;
    cairn_error_clear(&err);
    int rc = cairn_home_open(ctx->home, home, &err);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}
