/* cli/cmd_stream.c: `cairn ingest-stream DATASET --from URL`: ingest a Redis stream or a NATS
 * JetStream subject into a dataset in micro-batches, until stopped (SIGINT/SIGTERM flush what
 * is held first), idle for --idle-exit, or --max-records records read.
 *
 * Prints a line per committed batch on stderr and a one-line summary at the end; --json
 * prints the final statistics on stdout (also when it fails, with "error").
 * Tests: tests/integration/test_stream_redis.sh, tests/integration/test_stream_nats.sh.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int run_stream(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_ingest_stream = {
    NULL, "ingest-stream", "ingest-stream DATASET --from URL",
    "ingest a Redis stream or NATS JetStream subject in micro-batches",
    "Reads records (JSON objects) as a consumer group, collects them into micro-batches and\n"
    "ingests each like `cairn ingest` (validated; bad records go to the dead-letter store;\n"
    "primary keys de-duplicated), acknowledging a batch only after it is committed. A run\n"
    "that is killed loses nothing: its unacknowledged records are delivered again (Redis:\n"
    "re-read by the same consumer, or reclaimed by another after --claim-idle; NATS: after\n"
    "--ack-wait) and duplicates are dropped. The dataset's schema must be registered.\n"
    "Stops on SIGINT/SIGTERM (after flushing), after --idle-exit without records, or after\n"
    "--max-records.\n\n"
    "URLs:\n  redis://[:PASSWORD@]HOST[:PORT]/STREAM   a Redis (>= 6.2) stream; a record is the\n"
    "                                          entry's field `data`, else all its fields\n"
    "  nats://HOST[:PORT]/SUBJECT               a JetStream subject (a stream is created\n"
    "                                          when none holds it); a record is the payload\n"
    "\noptions:\n"
    "  --from URL          where to read (required)\n"
    "  --group G           consumer group / durable name (default cairn-DATASET)\n"
    "  --consumer C        consumer name (default HOSTNAME-PID)\n"
    "  --batch N           flush at N records (default 10000)\n"
    "  --batch-age DUR     or when the oldest held record is DUR old (default 1s)\n"
    "  --max-buffer BYTES  or when the batch holds BYTES (K, M, G suffixes; default 64M)\n"
    "  --claim-idle DUR    Redis: take over others' entries pending DUR (default 30s)\n"
    "  --ack-wait DUR      NATS: redeliver what is unacked after DUR (default 30s)\n"
    "  --idle-exit DUR     exit after DUR without records (default: run until stopped)\n"
    "  --max-records N     exit after N records\n"
    "  --max-retries N     transient failures in a row before giving up (default 8)\n"
    "  --max-error-rate R  stop when a batch has more than this fraction of bad records\n"
    "                      (default 1: bad records go to the dead-letter store)\n"
    "\nexamples:\n"
    "  cairn ingest-stream events --from redis://127.0.0.1:6379/events --batch 5000\n"
    "  cairn --json ingest-stream events --from nats://127.0.0.1:4222/events --idle-exit 10s\n",
    run_stream,
};

/* ------------------------------------------------------------------------------------------
 * Signals and progress
 * ---------------------------------------------------------------------------------------- */

static volatile int stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1; /* SA_RESETHAND: a second signal ends the process at once */
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

typedef struct stream_progress {
    cli_ctx *ctx;
    int64_t batches_shown;
} stream_progress;

static const char *lag_text(int64_t lag, char *out, size_t cap)
{
    if (lag < 0) return snprintf(out, cap, "unknown"), out;
    return cli_thousands(lag, out, cap);
}

static void on_batch(void *ud, const cairn_stream_stats *st)
{
    stream_progress *p = ud;
    if (p->ctx->quiet || st->batches == p->batches_shown) return; /* idle ticks: nothing new */
    p->batches_shown = st->batches;
    char rec[32], com[32], rej[32], dup[32], rate[32], lag[32];
    fprintf(stderr, "batch %lld: %s records, %s committed, %s rejected, %s duplicates, "
            "%s rec/s, lag %s\n", (long long)st->batches, cli_thousands(st->records, rec, sizeof rec),
            cli_thousands(st->committed, com, sizeof com), cli_thousands(st->rejected, rej, sizeof rej),
            cli_thousands(st->duplicates, dup, sizeof dup),
            cli_thousands((int64_t)(st->records_per_sec + 0.5), rate, sizeof rate),
            lag_text(st->lag, lag, sizeof lag));
}

/* ------------------------------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------------------------- */

static int opt_duration_ms(const cli_option *o, size_t no, const char *name, int64_t *out)
{
    const char *v = cli_opt(o, no, name);
    if (!v) return CLI_OK;
    if (!strcmp(v, "0")) {
        *out = 0;
        return CLI_OK;
    }
    int64_t us;
    cairn_error err;
    cairn_error_clear(&err);
    if (cairn_duration_parse(v, strlen(v), &us, &err))
        return cli_usage_error(&cli_cmd_ingest_stream, "--%s: expected a duration like 500ms, "
                               "2s or 1m, found '%s'", name, v);
    *out = us / 1000;
    return CLI_OK;
}

static int opt_bytes(const cli_option *o, size_t no, const char *name, int64_t *out)
{
    const char *v = cli_opt(o, no, name);
    if (!v) return CLI_OK;
    char *end;
    long long n = strtoll(v, &end, 10);
    int shift = -1;
    static const char *const units[] = {"", "B", "K", "KB", "KiB", "M", "MB", "MiB",
                                        "G", "GB", "GiB"};
    static const int shifts[] = {0, 0, 10, 10, 10, 20, 20, 20, 30, 30, 30};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(end, units[i])) shift = shifts[i];
    if (end == v || n <= 0 || shift < 0 || n > (INT64_MAX >> shift))
        return cli_usage_error(&cli_cmd_ingest_stream, "--%s: expected a positive size like "
                               "65536, 512K or 64M, found '%s'", name, v);
    *out = (int64_t)n << shift;
    return CLI_OK;
}

static int parse_options(cli_option *o, size_t no, cairn_stream_options *so)
{
    int64_t batch, max_records, retries;
    int rc = cli_opt_int(&cli_cmd_ingest_stream, o, no, "batch", so->batch_records, &batch);
    if (rc == 0) rc = cli_opt_int(&cli_cmd_ingest_stream, o, no, "max-records", 0, &max_records);
    if (rc == 0) rc = cli_opt_int(&cli_cmd_ingest_stream, o, no, "max-retries", so->max_retries,
                                  &retries);
    if (rc == 0 && batch == 0) rc = cli_usage_error(&cli_cmd_ingest_stream, "--batch: must be positive");
    if (rc == 0 && retries > 1000) rc = cli_usage_error(&cli_cmd_ingest_stream, "--max-retries: at most 1000");
    if (rc == 0) rc = opt_duration_ms(o, no, "batch-age", &so->batch_age_ms);
    if (rc == 0) rc = opt_duration_ms(o, no, "claim-idle", &so->claim_idle_ms);
    if (rc == 0) rc = opt_duration_ms(o, no, "idle-exit", &so->idle_exit_ms);
    if (rc == 0) rc = opt_duration_ms(o, no, "ack-wait", &so->ack_wait_ms);
    if (rc == 0) rc = opt_bytes(o, no, "max-buffer", &so->max_buffer_bytes);
    if (rc == 0 && (so->batch_age_ms <= 0 || so->ack_wait_ms <= 0))
        rc = cli_usage_error(&cli_cmd_ingest_stream, "--batch-age and --ack-wait must be at least 1ms");
    if (rc) return rc;
    so->batch_records = batch;
    so->max_records = max_records;
    so->max_retries = (int)retries;
    so->url = cli_opt(o, no, "from");
    so->group = cli_opt(o, no, "group");
    so->consumer = cli_opt(o, no, "consumer");
    return CLI_OK;
}

/* ------------------------------------------------------------------------------------------
 * The command
 * ---------------------------------------------------------------------------------------- */

/* The URL with its password masked as three stars. */
static const char *redacted(const char *url, char *out, size_t cap)
{
    const char *auth = strstr(url, "://");
    const char *at = auth ? strchr(auth + 3, '@') : NULL;
    const char *slash = auth ? strchr(auth + 3, '/') : NULL;
    if (!at || (slash && slash < at)) return url;
    snprintf(out, cap, "%.*s***%s", (int)(auth + 3 - url), url, at);
    return out;
}

static json_t *stats_json(const char *dataset, const char *url, const cairn_stream_stats *st,
                          bool stopped, const cairn_error *err)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:s, s:b}",
                          "dataset", dataset, "source", url, "records", (json_int_t)st->records,
                          "committed", (json_int_t)st->committed, "acked", (json_int_t)st->acked,
                          "rejected", (json_int_t)st->rejected, "duplicates", (json_int_t)st->duplicates,
                          "written", (json_int_t)st->written, "batches", (json_int_t)st->batches,
                          "reclaimed", (json_int_t)st->reclaimed, "retries", (json_int_t)st->retries,
                          "records_per_sec", st->records_per_sec, "elapsed_s", st->elapsed_s,
                          "last_snapshot", st->last_snapshot, "stopped", stopped);
    if (!o) return NULL;
    json_object_set_new(o, "lag", st->lag >= 0 ? json_integer(st->lag) : json_null());
    if (err && err->code) {
        char msg[2048];
        cairn_error_format(err, msg, sizeof msg);
        json_object_set_new(o, "error", json_string(msg));
    }
    return o;
}

static void summary(cli_ctx *ctx, const char *dataset, const cairn_stream_stats *st, bool stopped)
{
    char rec[32], rate[32], wr[32], rej[32], dup[32], lag[32];
    cli_summary(ctx, "%s %s records into '%s' in %.1f s (%s rec/s): %s written, %s rejected, "
                "%s duplicates, %lld batches, lag %s",
                stopped ? "stopped after" : "ingested", cli_thousands(st->records, rec, sizeof rec),
                dataset, st->elapsed_s, cli_thousands((int64_t)(st->records_per_sec + 0.5), rate, sizeof rate),
                cli_thousands(st->written, wr, sizeof wr), cli_thousands(st->rejected, rej, sizeof rej),
                cli_thousands(st->duplicates, dup, sizeof dup), (long long)st->batches,
                lag_text(st->lag, lag, sizeof lag));
}

static int run_stream(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"from", 'f', true, NULL},       {"group", 'g', true, NULL},
                      {"consumer", 'c', true, NULL},   {"batch", 'b', true, NULL},
                      {"batch-age", 0, true, NULL},    {"max-buffer", 0, true, NULL},
                      {"claim-idle", 0, true, NULL},   {"idle-exit", 0, true, NULL},
                      {"max-records", 0, true, NULL},  {"ack-wait", 0, true, NULL},
                      {"max-retries", 0, true, NULL},  {"max-error-rate", 0, true, NULL}};
    size_t no = sizeof o / sizeof o[0];
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_ingest_stream, argc, argv, o, no, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_ingest_stream, "expected one DATASET");
    if (rc == 0 && !cli_opt(o, no, "from"))
        rc = cli_usage_error(&cli_cmd_ingest_stream, "--from URL is required");
    cairn_stream_options so;
    cairn_stream_options_init(&so);
    if (rc || (rc = parse_options(o, no, &so))) return rc;

    cairn_ingest_options io;
    cairn_ingest_options_init(&io);
    io.max_error_rate = 1.0; /* a stream keeps going: bad records go to the dead-letter store */
    const char *rate = cli_opt(o, no, "max-error-rate");
    if (rate) {
        char *end;
        io.max_error_rate = strtod(rate, &end);
        if (*end || end == rate || io.max_error_rate < 0 || io.max_error_rate > 1)
            return cli_usage_error(&cli_cmd_ingest_stream,
                                   "--max-error-rate: expected a fraction in [0, 1], found '%s'", rate);
    }
    so.ingest = &io;

    cairn_error err;
    cairn_error_clear(&err);
    cairn_home *home;
    if ((rc = cairn_home_open(ctx->home, &home, &err))) return cli_fail(ctx, rc, &err);
    cairn_dataset_schema *schema = NULL;
    if (cairn_registry_get(cairn_home_catalog(home), pos[0], 0, &schema, NULL, &err) == 0) {
        size_t npk = 0;
        cairn_dataset_schema_primary_key(schema, &npk);
        if (npk == 0 && !ctx->quiet)
            fprintf(stderr, "warning: dataset '%s' has no primary key: delivery is at-least-once, so "
                            "records redelivered after a crash may be stored twice\n", pos[0]);
        cairn_dataset_schema_free(schema);
    }
    cairn_error_clear(&err);
    stream_progress progress = {ctx, 0};
    so.on_batch = on_batch;
    so.ud = &progress;
    stop_flag = 0;
    so.stop = &stop_flag;
    install_signals();
    cairn_stream_stats st;
    rc = cairn_ingest_stream(home, pos[0], &so, &st, &err);
    bool stopped = stop_flag != 0;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    cairn_home_close(home);
    char url[1024];
    if (ctx->json)
        cli_print_json(stats_json(pos[0], redacted(so.url, url, sizeof url), &st, stopped,
                                  rc ? &err : NULL));
    if (rc) {
        if (st.records) summary(ctx, pos[0], &st, true);
        return cli_fail(ctx, rc, &err);
    }
    summary(ctx, pos[0], &st, stopped);
    return CLI_OK;
}
