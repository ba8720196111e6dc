/* src/ingest/stream_internal.h: what the stream driver (stream.c) shares with its backends
 * (stream_redis.c, stream_nats.c): the backend descriptor and the micro-batch.
 *
 * A backend is one descriptor in stream.c's table (habit 13): a URL scheme and six calls.
 * The driver owns the loop, the batch, retries and stats; a backend only moves records in
 * (read) and acknowledgements out (ack), and reports lag.
 *
 * Errors: a backend returns CAIRN_EIO for a transient failure (connection refused or lost,
 * a timeout); the driver then calls reconnect with exponential backoff and, once it is back,
 * flushes and acks what it holds before reading again. Any other code is fatal.
 *
 * Tests: tests/unit/ingest/test_stream.c, tests/integration/test_stream_redis.sh,
 * tests/integration/test_stream_nats.sh.
 */
#ifndef CAIRN_STREAM_INTERNAL_H
#define CAIRN_STREAM_INTERNAL_H

#include "cairn/ingest.h"

/* One micro-batch: a JSON Lines buffer with one line per record, the record's location (an
 * entry id, "stream seq N") and the backend's handle for acknowledging it.
 * Invariants: lines holds exactly count '\n'-terminated, non-blank lines; locations[i] and
 * tokens[i] describe line i; oldest_ns is the monotonic time the first record came in. */
typedef struct cairn__stream_batch {
    cairn_buf lines;
    char **locations;        /* owned */
    void **tokens;           /* owned by the backend; released through its release_token */
    size_t count, cap;
    int64_t oldest_ns;
} cairn__stream_batch;

void cairn__stream_batch_init(cairn__stream_batch *batch);
/* Frees the locations, the tokens (through release_token, which may be NULL) and the
 * buffer. */
void cairn__stream_batch_release(cairn__stream_batch *batch, void (*release_token)(void *));
/* Adds one record's payload. A JSON object without line breaks goes in as it is; one with
 * line breaks between its tokens is re-serialised compactly; anything else (not JSON, not
 * an object, blank, a raw line break inside) is a poison record: it goes in as a JSON string
 * holding the payload, which the ingest rejects ("each line must hold one JSON object") and
 * dead-letters under its location, so that it is acked and never silently lost.
 * location is copied; token is taken. */
int cairn__stream_batch_add(cairn__stream_batch *batch, const char *payload, size_t len,
                            const char *location, void *token);
/* Adds a record built as a JSON value (serialised compactly). */
int cairn__stream_batch_add_json(cairn__stream_batch *batch, const json_t *record,
                                 const char *location, void *token);

/* Parsed URL: scheme://[user:password@]host[:port]/path. */
typedef struct cairn__stream_url {
    char scheme[16];
    char host[256];
    int port;                /* 0 when absent */
    char password[256];      /* "" when absent */
    char path[512];          /* the stream key or subject, without the leading '/' */
} cairn__stream_url;

/* CAIRN_EINVAL naming the URL when it is not scheme://[user:password@]host[:port]/path (an
 * empty host is 127.0.0.1; port 0 when absent). */
int cairn__stream_url_parse(const char *text, cairn__stream_url *url, cairn_error *err);

/* What the driver hands a backend when it opens. */
typedef struct cairn__stream_config {
    const cairn__stream_url *url;
    const char *url_text;    /* as given, for messages */
    const char *group;
    const char *consumer;
    int64_t claim_idle_ms;
    int64_t ack_wait_ms;
    int64_t batch_records;
} cairn__stream_config;

typedef struct cairn__stream_backend {
    const char *scheme;
    int default_port;
    int (*open)(const cairn__stream_config *cfg, void **state, cairn_error *err);
    /* Appends up to max_records records to batch, waiting at most wait_ms (0 = not at all)
     * for the first. *reclaimed counts those taken over from other consumers. A backend
     * that must not read before the batch held is flushed (Redis: before reclaiming
     * entries, which could be ones it holds) sets *flush_first and returns. */
    int (*read)(void *state, cairn__stream_batch *batch, int64_t max_records, int64_t wait_ms,
                int64_t *reclaimed, bool *flush_first, cairn_error *err);
    /* Acknowledges every record of batch (after its commit). */
    int (*ack)(void *state, const cairn__stream_batch *batch, cairn_error *err);
    /* Entries not yet delivered to the group; -1 when unknown. */
    int (*lag)(void *state, int64_t *lag, cairn_error *err);
    /* Re-establishes the connection after a transient failure (CAIRN_EIO while still down). */
    int (*reconnect)(void *state, cairn_error *err);
    void (*release_token)(void *token);
    void (*close)(void *state);
} cairn__stream_backend;

extern const cairn__stream_backend cairn__stream_redis;
extern const cairn__stream_backend cairn__stream_nats;

/* Default of cairn_stream_options.ack_wait_ms. */
#define CAIRN__STREAM_ACK_WAIT_MS INT64_C(30000)

#endif
