/* src/ingest/stream.c: stream ingest, the driver: micro-batches from a stream backend
 * (Redis Streams, NATS JetStream) ingested with cairn_ingest_jsonl_buffer, acknowledged
 * only after their snapshot commits.
 *
 * The loop, on one thread: read what the backend has (waiting at most until the batch is
 * due, and never more than a quarter second so that a stop request is seen), then flush
 * when the batch holds batch_records records, max_buffer_bytes bytes, or its oldest record
 * is batch_age_ms old, or when a read finds nothing new (the source is drained: waiting
 * longer would add latency without making the batch bigger). A flush is two steps, commit (the ingest) then ack, and a batch is
 * only dropped once both are done: a batch that committed but could not be acked (the
 * connection dropped) is acked again after the reconnect, never ingested twice by this
 * process. Records delivered again after a crash are dropped by the ingest's primary-key
 * de-duplication, or the batch is a no-op when its whole content was ingested before.
 *
 * Failures: CAIRN_EIO from the backend is transient: reconnect with exponential backoff
 * (100 ms doubling to 10 s, at most max_retries in a row), then flush what is held before
 * reading again (the backend re-reads its own pending entries after a reconnect, and they
 * must not be mixed with the ones already held). A commit conflict (another writer moved
 * the head) or a busy catalog is retried the same way. The first connection is not
 * retried: a wrong address should fail at once.
 *
 * Tests: tests/unit/ingest/test_stream.c (batches, URLs, options, connection errors),
 * tests/integration/test_stream_redis.sh, tests/integration/test_stream_nats.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ingest/stream_internal.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 10000
#define MAX_WAIT_MS 250   /* longest single wait for records: how soon a stop is seen */
#define REPORT_IDLE_NS INT64_C(1000000000)

static const cairn__stream_backend *const backends[] = {&cairn__stream_redis,
                                                        &cairn__stream_nats};

/* ------------------------------------------------------------------------------------------
 * The micro-batch
 * ---------------------------------------------------------------------------------------- */

void cairn__stream_batch_init(cairn__stream_batch *b)
{
    memset(b, 0, sizeof *b);
    cairn_buf_init(&b->lines, 0);
}

static void batch_clear(cairn__stream_batch *b, void (*release_token)(void *))
{
    for (size_t i = 0; i < b->count; i++) {
        cairn_free(b->locations[i]);
        if (b->tokens[i] && release_token) release_token(b->tokens[i]);
    }
    b->count = 0;
    b->oldest_ns = 0;
    cairn_buf_reset(&b->lines);
}

void cairn__stream_batch_release(cairn__stream_batch *b, void (*release_token)(void *))
{
    batch_clear(b, release_token);
    cairn_free(b->locations);
    cairn_free(b->tokens);
    cairn_buf_release(&b->lines);
}

/* Room for one more record's location and token. */
static int batch_slot(cairn__stream_batch *b)
{
    if (b->count < b->cap) return 0;
    size_t cap = b->cap ? b->cap * 2 : 256;
    char **locations = cairn_realloc(b->locations, cap * sizeof *locations);
    if (!locations) return CAIRN_ENOMEM;
    b->locations = locations;
    void **tokens = cairn_realloc(b->tokens, cap * sizeof *tokens);
    if (!tokens) return CAIRN_ENOMEM;
    b->tokens = tokens;
    b->cap = cap;
    return 0;
}

/* Drops a half-added line (the buffer was allocated when anything was appended). */
static void batch_truncate(cairn__stream_batch *b, size_t len)
{
    if (b->lines.len == len) return;
    b->lines.len = len;
    b->lines.data[len] = '\0';
}

static int batch_commit_line(cairn__stream_batch *b, size_t line_start, const char *location,
                             void *token)
{
    char *loc = cairn_strdup(location ? location : "");
    int rc = loc ? cairn_buf_putc(&b->lines, '\n') : CAIRN_ENOMEM;
    if (rc) {
        cairn_free(loc);
        batch_truncate(b, line_start);
        return rc;
    }
    if (b->count == 0) b->oldest_ns = cairn_monotonic_ns();
    b->locations[b->count] = loc;
    b->tokens[b->count] = token;
    b->count++;
    return 0;
}

/* Can the payload go in as it is: one line, not blank, no NUL? */
static bool payload_is_one_line(const char *p, size_t len)
{
    bool blank = true;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (c == '\n' || c == '\r' || c == '\0') return false;
        if (c != ' ' && c != '\t') blank = false;
    }
    return !blank;
}

int cairn__stream_batch_add(cairn__stream_batch *b, const char *payload, size_t len,
                            const char *location, void *token)
{
    int rc = batch_slot(b);
    if (rc) return rc;
    size_t start = b->lines.len;
    if (payload_is_one_line(payload, len)) {
        rc = cairn_buf_append(&b->lines, payload, len);
    } else {
        json_t *obj = NULL;
        if (cairn_json_parse(payload, len, "record", &obj, NULL) == 0 && json_is_object(obj))
            rc = cairn_json_dump(obj, 0, &b->lines); /* line breaks were between tokens */
        else /* poison: a JSON string is one line, and not an object, so it is rejected */
            rc = cairn_json_put_string(&b->lines, payload, len);
        json_decref(obj);
    }
    if (rc) {
        batch_truncate(b, start);
        return rc;
    }
    return batch_commit_line(b, start, location, token);
}

int cairn__stream_batch_add_json(cairn__stream_batch *b, const json_t *record,
                                 const char *location, void *token)
{
    int rc = batch_slot(b);
    if (rc) return rc;
    size_t start = b->lines.len;
    if ((rc = cairn_json_dump(record, 0, &b->lines))) {
        batch_truncate(b, start);
        return rc;
    }
    return batch_commit_line(b, start, location, token);
}

/* ------------------------------------------------------------------------------------------
 * URLs and defaults
 * ---------------------------------------------------------------------------------------- */

int cairn__stream_url_parse(const char *text, cairn__stream_url *u, cairn_error *err)
{
    memset(u, 0, sizeof *u);
    const char *sep = strstr(text, "://");
    if (!sep || sep == text || (size_t)(sep - text) >= sizeof u->scheme)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "stream URL '%s': expected redis://HOST:PORT/STREAM or "
                               "nats://HOST:PORT/SUBJECT", text);
    memcpy(u->scheme, text, (size_t)(sep - text));
    const char *auth = sep + 3, *slash = strchr(auth, '/');
    if (!slash || !slash[1])
        return cairn_error_set(err, CAIRN_EINVAL, "stream URL '%s': no stream or subject after "
                               "the host (e.g. %s://127.0.0.1/events)", text, u->scheme);
    snprintf(u->path, sizeof u->path, "%s", slash + 1);
    const char *at = memchr(auth, '@', (size_t)(slash - auth));
    const char *host = auth;
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        const char *pw = colon ? colon + 1 : auth;
        snprintf(u->password, sizeof u->password, "%.*s", (int)(at - pw), pw);
        host = at + 1;
    }
    const char *host_end = slash, *port = NULL;
    if (*host == '[') { /* [::1]:6379 */
        const char *close = memchr(host, ']', (size_t)(slash - host));
        if (!close) return cairn_error_set(err, CAIRN_EINVAL, "stream URL '%s': unclosed '['", text);
        snprintf(u->host, sizeof u->host, "%.*s", (int)(close - host - 1), host + 1);
        if (close[1] == ':') port = close + 2;
    } else {
        const char *colon = memchr(host, ':', (size_t)(slash - host));
        if (colon) port = colon + 1, host_end = colon;
        snprintf(u->host, sizeof u->host, "%.*s", (int)(host_end - host), host);
    }
    if (!u->host[0]) snprintf(u->host, sizeof u->host, "127.0.0.1");
    if (port) {
        char *end;
        long p = strtol(port, &end, 10);
        if (end != slash || p <= 0 || p > 65535)
            return cairn_error_set(err, CAIRN_EINVAL, "stream URL '%s': bad port '%.*s'", text,
                                   (int)(slash - port), port);
        u->port = (int)p;
    }
    return 0;
}

static const cairn__stream_backend *backend_find(const char *scheme)
{
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (!strcasecmp(backends[i]->scheme, scheme)) return backends[i];
    return NULL;
}

void cairn_stream_options_init(cairn_stream_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->batch_records = 10000;
    opts->batch_age_ms = 1000;
    opts->max_buffer_bytes = INT64_C(64) << 20;
    opts->claim_idle_ms = 30000;
    opts->ack_wait_ms = CAIRN__STREAM_ACK_WAIT_MS;
    opts->max_retries = 8;
}

/* ------------------------------------------------------------------------------------------
 * The run
 * ---------------------------------------------------------------------------------------- */

typedef struct stream_run {
    cairn_home *home;
    const char *dataset;
    const cairn_stream_options *opts;
    const cairn__stream_backend *backend;
    void *state;
    cairn__stream_batch batch;
    bool committed;          /* the batch is in the lake, its ack still owed */
    bool must_flush;         /* after a reconnect: flush before reading again */
    int failures;            /* transient failures in a row */
    cairn_ingest_options ingest;
    char source[600];        /* the URL without its password, for dead letters */
    cairn_stream_stats *stats;
    int64_t start_ns, last_record_ns, last_report_ns, last_commit_ns;
    cairn_error *err;
} stream_run;

static bool stop_requested(const stream_run *r)
{
    return r->opts->stop && *r->opts->stop;
}

static void sleep_ms(const stream_run *r, int64_t ms)
{
    while (ms > 0 && !stop_requested(r)) {
        int64_t step = ms < 50 ? ms : 50;
        struct timespec ts = {0, (long)(step * 1000000)};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

static int64_t backoff_ms(int failures)
{
    int64_t ms = BACKOFF_FIRST_MS;
    for (int i = 1; i < failures && ms < BACKOFF_MAX_MS; i++) ms *= 2;
    return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

/* The rate counts committed records over the time to their commit, so that waiting for
 * records (or for --idle-exit) does not dilute it. */
static void update_rate(stream_run *r)
{
    r->stats->elapsed_s = (double)(cairn_monotonic_ns() - r->start_ns) / 1e9;
    double busy = (double)(r->last_commit_ns - r->start_ns) / 1e9;
    r->stats->records_per_sec = busy > 0 ? (double)r->stats->committed / busy : 0;
}

static void report(stream_run *r)
{
    update_rate(r);
    r->last_report_ns = cairn_monotonic_ns();
    if (r->opts->on_batch) r->opts->on_batch(r->opts->ud, r->stats);
}

static void refresh_lag(stream_run *r)
{
    int64_t lag = -1;
    if (r->backend->lag(r->state, &lag, NULL) != 0) lag = -1;
    r->stats->lag = lag;
}

/* Waits out a transient failure (the error already in r->err), reconnecting until the
 * backend is back or max_retries failures in a row. */
static int recover(stream_run *r, int rc)
{
    for (;;) {
        if (++r->failures > r->opts->max_retries) {
            cairn_error_prefix(r->err, "giving up after %d retries: ", r->opts->max_retries);
            return rc;
        }
        int64_t ms = backoff_ms(r->failures);
        CAIRN_WARN("%s; retrying in %lld ms (%d of %d)", r->err ? r->err->message : "stream failure",
                   (long long)ms, r->failures, r->opts->max_retries);
        r->stats->retries++;
        sleep_ms(r, ms);
        if (stop_requested(r)) return rc;
        cairn_error_clear(r->err);
        rc = r->backend->reconnect(r->state, r->err);
        if (rc == 0) {
            r->must_flush = true;
            return 0;
        }
        if (rc != CAIRN_EIO) return rc;
    }
}

static bool ingest_transient(int rc)
{
    return rc == CAIRN_ECONFLICT || rc == CAIRN_ECATALOG || rc == CAIRN_EIO;
}

/* Step one of a flush: the batch into the lake (retrying transient failures). */
static int flush_commit(stream_run *r)
{
    cairn__stream_batch *b = &r->batch;
    for (;;) {
        cairn_ingest_result res;
        memset(&res, 0, sizeof res);
        cairn_error_clear(r->err);
        int rc = cairn_ingest_jsonl_buffer(r->home, r->dataset, b->lines.data, b->lines.len,
                                           r->source, (const char *const *)b->locations,
                                           &r->ingest, &res, r->err);
        if (res.refused) {
            cairn_error_set(r->err, CAIRN_ECONFLICT,
                            "batch of %zu records refused: %s (its records stay unacknowledged)",
                            b->count, res.refused_reason);
            cairn_ingest_result_free(&res);
            return CAIRN_ECONFLICT;
        }
        if (rc == 0) {
            r->stats->committed += (int64_t)b->count;
            r->stats->rejected += res.rows_rejected;
            r->stats->duplicates += res.rows_duplicate;
            r->stats->written += res.rows_written;
            r->stats->batches++;
            if (res.snapshot[0])
                snprintf(r->stats->last_snapshot, sizeof r->stats->last_snapshot, "%s",
                         res.snapshot);
            cairn_ingest_result_free(&res);
            r->committed = true;
            r->failures = 0;
            r->last_commit_ns = cairn_monotonic_ns();
            return 0;
        }
        cairn_ingest_result_free(&res);
        if (!ingest_transient(rc)) {
            cairn_error_prefix(r->err, "ingesting a batch of %zu records: ", b->count);
            return rc;
        }
        if (++r->failures > r->opts->max_retries) {
            cairn_error_prefix(r->err, "giving up after %d retries: ", r->opts->max_retries);
            return rc;
        }
        int64_t ms = backoff_ms(r->failures);
        CAIRN_WARN("ingesting a batch: %s; retrying in %lld ms", r->err ? r->err->message : "",
                   (long long)ms);
        r->stats->retries++;
        sleep_ms(r, ms);
    }
}

/* Commit, then ack; on return 0 the batch is empty. */
static int flush(stream_run *r)
{
    cairn__stream_batch *b = &r->batch;
    r->must_flush = false;
    if (b->count == 0) return 0;
    int rc = r->committed ? 0 : flush_commit(r);
    while (rc == 0) {
        cairn_error_clear(r->err);
        rc = r->backend->ack(r->state, b, r->err);
        if (rc == 0) break;
        if (rc != CAIRN_EIO || (rc = recover(r, rc)) != 0) {
            cairn_error_prefix(r->err, "acknowledging %zu committed records (they will be "
                               "delivered again and dropped as duplicates): ", b->count);
            return rc;
        }
    }
    if (rc) return rc;
    r->failures = 0;
    r->stats->acked += (int64_t)b->count;
    r->committed = false;
    batch_clear(b, r->backend->release_token);
    refresh_lag(r);
    report(r);
    return 0;
}

static bool batch_due(const stream_run *r, int64_t now_ns)
{
    const cairn__stream_batch *b = &r->batch;
    if (b->count == 0) return false;
    return r->must_flush || (int64_t)b->count >= r->opts->batch_records ||
           (int64_t)b->lines.len >= r->opts->max_buffer_bytes ||
           now_ns - b->oldest_ns >= r->opts->batch_age_ms * 1000000;
}

/* How long the next read may wait for records. */
static int64_t read_wait_ms(const stream_run *r, int64_t now_ns)
{
    int64_t wait = MAX_WAIT_MS;
    if (r->batch.count) {
        int64_t due = r->opts->batch_age_ms - (now_ns - r->batch.oldest_ns) / 1000000;
        if (due < wait) wait = due;
    }
    return wait < 0 ? 0 : wait;
}

static int read_some(stream_run *r, int64_t now_ns)
{
    int64_t want = r->opts->batch_records - (int64_t)r->batch.count;
    if (r->opts->max_records > 0 && r->opts->max_records - r->stats->records < want)
        want = r->opts->max_records - r->stats->records;
    size_t before = r->batch.count;
    int64_t reclaimed = 0;
    bool flush_first = false;
    cairn_error_clear(r->err);
    int rc = r->backend->read(r->state, &r->batch, want, read_wait_ms(r, now_ns), &reclaimed,
                              &flush_first, r->err);
    size_t got = r->batch.count - before;
    r->stats->records += (int64_t)got;
    r->stats->reclaimed += reclaimed;
    if (got) r->last_record_ns = cairn_monotonic_ns();
    /* A wait in vain means the source is drained: flushing now costs no batching */
    if (flush_first || (rc == 0 && got == 0 && r->batch.count)) r->must_flush = true;
    if (rc == 0) {
        if (got) r->failures = 0;
        return 0;
    }
    return rc == CAIRN_EIO ? recover(r, rc) : rc;
}

static bool finished(const stream_run *r, int64_t now_ns)
{
    if (stop_requested(r)) return true;
    if (r->opts->max_records > 0 && r->stats->records >= r->opts->max_records) return true;
    return r->opts->idle_exit_ms > 0 && r->batch.count == 0 &&
           now_ns - r->last_record_ns >= r->opts->idle_exit_ms * 1000000;
}

static int run_loop(stream_run *r)
{
    int rc = 0;
    for (;;) {
        int64_t now = cairn_monotonic_ns();
        if (batch_due(r, now) && (rc = flush(r))) return rc;
        if (finished(r, now)) break;
        if ((rc = read_some(r, now))) return rc;
        if (r->batch.count == 0 && cairn_monotonic_ns() - r->last_report_ns >= REPORT_IDLE_NS) {
            refresh_lag(r);
            report(r);
        }
    }
    return flush(r); /* what is held when stopping */
}

static int run_setup(stream_run *r, const cairn_stream_options *opts, cairn__stream_url *url,
                     char *group, size_t group_cap, char *consumer, size_t consumer_cap)
{
    int rc = cairn__stream_url_parse(opts->url ? opts->url : "", url, r->err);
    if (rc) return rc;
    if (!(r->backend = backend_find(url->scheme)))
        return cairn_error_set(r->err, CAIRN_EUNSUPPORTED,
                               "stream URL '%s': unknown scheme '%s' (expected redis or nats)",
                               opts->url, url->scheme);
    if (!url->port) url->port = r->backend->default_port;
    snprintf(r->source, sizeof r->source, "%s://%s:%d/%s", r->backend->scheme, url->host,
             url->port, url->path);
    if (opts->group && opts->group[0]) {
        snprintf(group, group_cap, "%s", opts->group);
    } else {
        snprintf(group, group_cap, "cairn-%s", r->dataset);
        for (char *p = group; *p; p++) /* NATS durable names may not hold '.' */
            if (*p == '.') *p = '_';
    }
    if (opts->consumer && opts->consumer[0]) {
        snprintf(consumer, consumer_cap, "%s", opts->consumer);
    } else {
        char host[128] = "cairn";
        if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "cairn");
        host[sizeof host - 1] = '\0';
        snprintf(consumer, consumer_cap, "%s-%ld", host, (long)getpid());
    }
    if (opts->ingest) r->ingest = *opts->ingest;
    else {
        cairn_ingest_options_init(&r->ingest);
        r->ingest.max_error_rate = 1.0;
    }
    r->ingest.operation = "stream"; /* every stream snapshot says where it came from */
    return 0;
}

static int check_options(const cairn_stream_options *o, cairn_error *err)
{
    if (o->batch_records <= 0 || o->batch_age_ms <= 0 || o->max_buffer_bytes <= 0 ||
        o->claim_idle_ms < 0 || o->idle_exit_ms < 0 || o->max_records < 0 ||
        o->ack_wait_ms <= 0 || o->max_retries < 0)
        return cairn_error_set(err, CAIRN_EINVAL, "stream options: batch size, batch age, "
                               "buffer size and ack wait must be positive, the rest not negative");
    return 0;
}

int cairn_ingest_stream(cairn_home *home, const char *dataset, const cairn_stream_options *opts,
                        cairn_stream_stats *stats, cairn_error *err)
{
    cairn_stream_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    stats->lag = -1;
    int rc = check_options(opts, err);
    if (rc) return rc;
    if (!cairn_dataset_name_valid(dataset))
        return cairn_error_set(err, CAIRN_EINVAL, "invalid dataset name '%s'", dataset);
    cairn_dataset_schema *schema = NULL;
    rc = cairn_registry_get(cairn_home_catalog(home), dataset, 0, &schema, NULL, err);
    cairn_dataset_schema_free(schema);
    if (rc == CAIRN_ENOTFOUND)
        return cairn_error_set(err, rc, "dataset '%s' has no registered schema (register one "
                               "with `cairn schema register`)", dataset);
    if (rc) return rc;
    stream_run r;
    memset(&r, 0, sizeof r);
    r.home = home, r.dataset = dataset, r.opts = opts, r.stats = stats, r.err = err;
    cairn__stream_url url;
    char group[256], consumer[256];
    if ((rc = run_setup(&r, opts, &url, group, sizeof group, consumer, sizeof consumer)))
        return rc;
    cairn__stream_config cfg = {&url, r.source, group, consumer, opts->claim_idle_ms,
                                opts->ack_wait_ms, opts->batch_records};
    if ((rc = r.backend->open(&cfg, &r.state, err))) return rc;
    cairn__stream_batch_init(&r.batch);
    r.start_ns = r.last_record_ns = r.last_report_ns = cairn_monotonic_ns();
    CAIRN_INFO("stream %s -> %s: group %s, consumer %s", r.source, dataset, group, consumer);
    rc = run_loop(&r);
    refresh_lag(&r);
    update_rate(&r);
    cairn__stream_batch_release(&r.batch, r.backend->release_token);
    r.backend->close(r.state);
    return rc;
}
