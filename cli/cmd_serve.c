/* cli/cmd_serve.c: `cairn serve`, the HTTP server (include/cairn/serve.h) in the foreground.
 *
 * SIGTERM and SIGINT are blocked before the server's threads start (they inherit the mask)
 * and the main thread waits for one with sigwait, so the stop runs in ordinary code: stop
 * accepting, finish the requests in flight, close, print the summary, exit 0.
 * The listen address comes from --host/--port, else the home's setting server.listen
 * (CAIRN_SERVER_LISTEN), else 127.0.0.1:8080; --port 0 asks the kernel for a free port, and
 * the line "listening on http://HOST:PORT" on stdout tells which.
 *
 * Tests: tests/integration/test_serve_cli.sh.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int run_serve(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_serve = {
    NULL, "serve", "serve [options]",
    "run the HTTP server (online features, metrics, health)",
    "Serves HTTP until SIGTERM or SIGINT, then finishes the requests in flight and exits 0.\n"
    "Routes: POST /get-online-features (Feast's request and response shapes), GET /health,\n"
    "GET /ready (503 until the online store can be read), GET /metrics (Prometheus text).\n"
    "Errors are JSON {\"error\": \"...\"} with the matching status (400, 404, 405, 413, 500).\n"
    "On start it prints \"listening on http://HOST:PORT\" on stdout (or a JSON line with\n"
    "--json).\n\n"
    "options:\n"
    "  --host H            address to bind (default: setting server.listen, else 127.0.0.1)\n"
    "  --port P            port (default: setting server.listen, else 8080; 0 = any free)\n"
    "  --threads N         worker threads (default: one per core)\n"
    "  --max-body BYTES    largest request body (default 1048576)\n"
    "  --access-log FILE   JSON-lines access log (\"-\" = stderr; default: none)\n"
    "\nexample:\n  cairn serve --port 6566 --access-log serve.log\n"
    "  curl -s localhost:6566/get-online-features -d '{\"features\": [\"route_stats:delay_7d\"],"
    " \"entities\": {\"origin\": [\"ORD\"]}}'\n",
    run_serve,
};

/* Splits the setting "host:port" (or "[v6]:port", or ":port"). */
static void split_listen(const char *listen, char *host, size_t cap, int64_t *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon) {
        snprintf(host, cap, "%s", listen);
        return;
    }
    const char *h = listen;
    size_t hl = (size_t)(colon - listen);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl > 0) snprintf(host, cap, "%.*s", (int)hl, h);
    char *end;
    long long p = strtoll(colon + 1, &end, 10);
    if (*end == '\0' && p >= 0 && p <= 65535) *port = p;
}

static int serve_until_signal(cli_ctx *ctx, cairn_home *home, cairn_server_options *o)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, &old); /* before the pool threads exist */
    cairn_error err;
    cairn_error_clear(&err);
    cairn_server *server = NULL;
    int rc = cairn_server_start(home, o, &server, &err);
    if (rc) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return cli_fail(ctx, rc, &err);
    }
    int port = cairn_server_port(server);
    char url[320];
    snprintf(url, sizeof url, strchr(o->host, ':') ? "http://[%s]:%d" : "http://%s:%d", o->host,
             port);
    if (ctx->json)
        cli_print_json(json_pack("{s:s, s:i, s:s}", "host", o->host, "port", port, "url", url));
    else
        printf("listening on %s\n", url);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    if (!ctx->quiet) fprintf(stderr, "%s: finishing requests in flight\n", strsignal(sig));
    cairn_server_stats st;
    cairn_server_get_stats(server, &st);
    cairn_server_stop(server);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    double up_s = (double)(cairn_now_us() - st.started_us) / 1e6;
    char n[32];
    cli_summary(ctx, "served %s requests (%lld 4xx, %lld 5xx) in %.1f s",
                cli_thousands(st.requests, n, sizeof n), (long long)st.errors_4xx,
                (long long)st.errors_5xx, up_s);
    return CLI_OK;
}

static int run_serve(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"host", 0, true, NULL},       {"port", 'p', true, NULL},
                      {"threads", 't', true, NULL},  {"max-body", 0, true, NULL},
                      {"access-log", 0, true, NULL}};
    const size_t no = sizeof o / sizeof *o;
    int npos;
    int rc = cli_parse(&cli_cmd_serve, argc, argv, o, no, NULL, 0, &npos);
    if (rc) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_home *home = NULL;
    if ((rc = cairn_home_open(ctx->home, &home, &err))) return cli_fail(ctx, rc, &err);

    char host[256] = "127.0.0.1";
    int64_t port = 8080, threads, max_body;
    split_listen(cairn_home_setting(home, "server.listen", "127.0.0.1:8080"), host, sizeof host,
                 &port);
    if (cli_opt(o, no, "host")) snprintf(host, sizeof host, "%s", cli_opt(o, no, "host"));
    if ((rc = cli_opt_int(&cli_cmd_serve, o, no, "port", port, &port)) ||
        (rc = cli_opt_int(&cli_cmd_serve, o, no, "threads", 0, &threads)) ||
        (rc = cli_opt_int(&cli_cmd_serve, o, no, "max-body", 0, &max_body))) {
        cairn_home_close(home);
        return rc;
    }
    if (port > 65535 || threads > 1024) {
        cairn_home_close(home);
        return cli_usage_error(&cli_cmd_serve, port > 65535 ? "--port: expected 0..65535"
                                                            : "--threads: expected 0..1024");
    }
    cairn_server_options so;
    cairn_server_options_init(&so);
    so.host = host;
    so.port = (int)port;
    so.threads = (int)threads;
    so.max_body = (size_t)max_body;
    so.access_log = cli_opt(o, no, "access-log");
    rc = serve_until_signal(ctx, home, &so);
    cairn_home_close(home);
    return rc;
}
