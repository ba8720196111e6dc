/* src/ingest/stream_redis.c: the Redis Streams backend of stream ingest (hiredis, one
 * blocking connection).
 *
 * A consumer group reads the stream. Reading goes through three phases:
 *   OWN    this consumer's own pending entries (XREADGROUP ... STREAMS s <cursor>, from 0):
 *          delivered before a crash or a lost reply, never acked;
 *   CLAIM  other consumers' entries pending longer than claim_idle_ms (XAUTOCLAIM, Redis
 *          >= 6.2), walked with its cursor until it comes back to 0-0;
 *   NEW    new entries (XREADGROUP ... BLOCK ms STREAMS s >).
 * A run starts with OWN, and a reconnect starts it over (the driver flushes what it holds
 * first, so what OWN then finds are deliveries whose reply was lost). CLAIM runs once
 * after OWN and again every claim_idle_ms, only with an empty batch (XAUTOCLAIM can hand
 * back entries this consumer holds, when they are idle long enough).
 *
 * A record is the entry's field `data`, or its field-value pairs as a JSON object of
 * strings (the ingest reads numbers and booleans from such strings: strings_as_text). An entry that was deleted while pending (no fields) has nothing to ingest and is
 * acked at once. Entries are acked with XACK in chunks after their batch commits. Lag is
 * XINFO GROUPS' `lag` (Redis 7), else XLEN minus `entries-read`, else unknown.
 *
 * Errors: a failed connection (refused, dropped, timed out) is CAIRN_EIO, "redis
 * 127.0.0.1:6399: connection refused"; a LOADING or BUSY reply is transient too; any other
 * error reply is fatal, quoting Redis.
 *
 * Tests: tests/integration/test_stream_redis.sh.
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ingest/stream_internal.h"

#define CONNECT_TIMEOUT_S 5
#define REPLY_TIMEOUT_S 15  /* well above the longest BLOCK the driver asks for */
#define ACK_CHUNK 1000
#define MAX_READ 5000       /* entries per command, so one reply stays small */

enum phase { PHASE_OWN, PHASE_CLAIM, PHASE_NEW };

typedef struct redis_state {
    redisContext *c;
    cairn__stream_config cfg;
    cairn__stream_url url;
    char group[256], consumer[256];
    char where[300];          /* "redis 127.0.0.1:6379" */
    enum phase phase;
    char cursor[64];          /* OWN: last id read; CLAIM: XAUTOCLAIM's next start */
    int64_t last_claim_ns;
} redis_state;

/* ------------------------------------------------------------------------------------------
 * Commands and errors
 * ---------------------------------------------------------------------------------------- */

static int conn_error(redis_state *s, cairn_error *err)
{
    const char *msg = s->c && s->c->errstr[0] ? s->c->errstr : "connection failed";
    char lower[128];
    snprintf(lower, sizeof lower, "%s", msg);
    if (lower[0] >= 'A' && lower[0] <= 'Z') lower[0] = (char)(lower[0] - 'A' + 'a');
    return cairn_error_set(err, CAIRN_EIO, "%s: %s", s->where, lower);
}

/* Runs argv; a connection failure is CAIRN_EIO, an error reply fatal unless transient.
 * *out is the reply (freeReplyObject) on success. */
static int command(redis_state *s, int argc, const char **argv, redisReply **out,
                   cairn_error *err)
{
    *out = NULL;
    if (!s->c) return cairn_error_set(err, CAIRN_EIO, "%s: not connected", s->where);
    redisReply *reply = redisCommandArgv(s->c, argc, argv, NULL);
    if (!reply) return conn_error(s, err);
    if (reply->type == REDIS_REPLY_ERROR) {
        bool transient = !strncmp(reply->str, "LOADING", 7) || !strncmp(reply->str, "BUSY ", 5) ||
                         !strncmp(reply->str, "TRYAGAIN", 8);
        cairn_error_set(err, transient ? CAIRN_EIO : CAIRN_EINVAL, "%s: %s: %s", s->where,
                        argv[0], reply->str);
        freeReplyObject(reply);
        return transient ? CAIRN_EIO : CAIRN_EINVAL;
    }
    *out = reply;
    return 0;
}

static int connect_server(redis_state *s, cairn_error *err)
{
    struct timeval tv = {CONNECT_TIMEOUT_S, 0};
    s->c = redisConnectWithTimeout(s->url.host, s->url.port, tv);
    if (!s->c) return cairn_error_set(err, CAIRN_ENOMEM, "%s: out of memory", s->where);
    if (s->c->err) return conn_error(s, err);
    struct timeval rtv = {REPLY_TIMEOUT_S, 0};
    if (redisSetTimeout(s->c, rtv) != 0) return conn_error(s, err);
    redisReply *reply = NULL;
    int rc = 0;
    if (s->url.password[0]) {
        const char *auth[] = {"AUTH", s->url.password};
        if ((rc = command(s, 2, auth, &reply, err))) return rc;
        freeReplyObject(reply);
    }
    const char *create[] = {"XGROUP", "CREATE", s->url.path, s->group, "0", "MKSTREAM"};
    rc = command(s, 6, create, &reply, err);
    if (rc == CAIRN_EINVAL && err && strstr(err->message, "BUSYGROUP")) {
        cairn_error_clear(err);
        rc = 0; /* the group exists */
    }
    freeReplyObject(reply);
    s->phase = PHASE_OWN;
    snprintf(s->cursor, sizeof s->cursor, "0");
    return rc;
}

static void disconnect(redis_state *s)
{
    if (s->c) redisFree(s->c);
    s->c = NULL;
}

/* ------------------------------------------------------------------------------------------
 * Entries
 * ---------------------------------------------------------------------------------------- */

static bool is_string(const redisReply *r)
{
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

static int ack_ids(redis_state *s, const char *const *ids, size_t n, cairn_error *err);

/* The record of one entry [id, [field, value, ...]] into the batch. */
static int add_entry(redis_state *s, cairn__stream_batch *batch, const redisReply *entry,
                     cairn_buf *tmp, cairn_error *err)
{
    if (entry->type == REDIS_REPLY_NIL) return 0; /* Redis 6.2's XAUTOCLAIM: deleted */
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2 || !is_string(entry->element[0]))
        return cairn_error_set(err, CAIRN_EPARSE, "%s: unexpected reply shape for an entry",
                               s->where);
    const char *id = entry->element[0]->str;
    const redisReply *fields = entry->element[1];
    if (fields->type != REDIS_REPLY_ARRAY) { /* deleted while pending: nothing to ingest */
        CAIRN_WARN("%s: entry %s was deleted before it was ingested; acking it", s->where, id);
        return ack_ids(s, &id, 1, err);
    }
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        const redisReply *k = fields->element[i], *v = fields->element[i + 1];
        if (is_string(k) && is_string(v) && k->len == 4 && !memcmp(k->str, "data", 4))
            return cairn__stream_batch_add(batch, v->str, v->len, id, NULL);
    }
    /* No `data`: the pairs as an object of strings (written here, so that bytes that are
     * not UTF-8 or a repeated field reach the ingest and are dead-lettered there). */
    cairn_buf_reset(tmp);
    int rc = cairn_buf_putc(tmp, '{');
    for (size_t i = 0; rc == 0 && i + 1 < fields->elements; i += 2) {
        const redisReply *k = fields->element[i], *v = fields->element[i + 1];
        if (i) rc = cairn_buf_putc(tmp, ',');
        if (rc == 0) rc = cairn_json_put_string(tmp, k->str ? k->str : "", k->str ? k->len : 0);
        if (rc == 0) rc = cairn_buf_putc(tmp, ':');
        if (rc == 0) rc = cairn_json_put_string(tmp, v->str ? v->str : "", v->str ? v->len : 0);
    }
    if (rc == 0) rc = cairn_buf_putc(tmp, '}');
    return rc ? rc : cairn__stream_batch_add(batch, tmp->data, tmp->len, id, NULL);
}

/* Adds every entry of an entry list; *last gets the last id. */
static int add_entries(redis_state *s, cairn__stream_batch *batch, const redisReply *list,
                       char *last, size_t last_cap, int64_t *added, cairn_error *err)
{
    *added = 0;
    if (!list || list->type != REDIS_REPLY_ARRAY) return 0;
    cairn_buf tmp;
    cairn_buf_init(&tmp, 0);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < list->elements; i++) {
        size_t before = batch->count;
        rc = add_entry(s, batch, list->element[i], &tmp, err);
        *added += (int64_t)(batch->count - before);
        const redisReply *e = list->element[i];
        if (rc == 0 && e->type == REDIS_REPLY_ARRAY && e->elements >= 1) snprintf(last, last_cap, "%s", e->element[0]->str);
    }
    cairn_buf_release(&tmp);
    return rc;
}

/* The entries of an XREADGROUP reply: [[stream, [entries]]] or nil. */
static const redisReply *xread_entries(const redisReply *reply)
{
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1) return NULL;
    const redisReply *stream = reply->element[0];
    if (stream->type != REDIS_REPLY_ARRAY || stream->elements < 2) return NULL;
    return stream->element[1];
}

/* ------------------------------------------------------------------------------------------
 * The phases
 * ---------------------------------------------------------------------------------------- */

static int read_group(redis_state *s, cairn__stream_batch *batch, int64_t count,
                      int64_t block_ms, const char *id, int64_t *added, cairn_error *err)
{
    char count_text[24], block_text[24];
    snprintf(count_text, sizeof count_text, "%lld", (long long)count);
    snprintf(block_text, sizeof block_text, "%lld", (long long)block_ms);
    const char *argv[] = {"XREADGROUP", "GROUP", s->group,    s->consumer, "COUNT", count_text,
                          "BLOCK",      block_text, "STREAMS", s->url.path, id};
    /* BLOCK 0 would wait forever: without a wait, leave BLOCK out */
    const char *noblock[] = {"XREADGROUP", "GROUP",   s->group,    s->consumer,
                             "COUNT",      count_text, "STREAMS", s->url.path, id};
    redisReply *reply;
    int rc = block_ms > 0 ? command(s, 11, argv, &reply, err) : command(s, 9, noblock, &reply, err);
    if (rc) return rc;
    char last[64] = "";
    rc = add_entries(s, batch, xread_entries(reply), last, sizeof last, added, err);
    if (rc == 0 && id[0] != '>') {
        if (last[0]) snprintf(s->cursor, sizeof s->cursor, "%s", last);
        else s->phase = PHASE_CLAIM, snprintf(s->cursor, sizeof s->cursor, "0-0");
    }
    freeReplyObject(reply);
    return rc;
}

static int read_claim(redis_state *s, cairn__stream_batch *batch, int64_t count,
                      int64_t *added, cairn_error *err)
{
    char idle_text[24], count_text[24];
    snprintf(idle_text, sizeof idle_text, "%lld", (long long)s->cfg.claim_idle_ms);
    snprintf(count_text, sizeof count_text, "%lld", (long long)count);
    const char *argv[] = {"XAUTOCLAIM", s->url.path, s->group, s->consumer, idle_text,
                          s->cursor,    "COUNT",     count_text};
    redisReply *reply;
    int rc = command(s, 8, argv, &reply, err);
    if (rc) return rc;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 || !is_string(reply->element[0])) {
        freeReplyObject(reply);
        return cairn_error_set(err, CAIRN_EPARSE, "%s: unexpected XAUTOCLAIM reply", s->where);
    }
    char last[64];
    rc = add_entries(s, batch, reply->element[1], last, sizeof last, added, err);
    snprintf(s->cursor, sizeof s->cursor, "%s", reply->element[0]->str);
    if (!strcmp(s->cursor, "0-0")) {
        s->phase = PHASE_NEW;
        s->last_claim_ns = cairn_monotonic_ns();
    }
    freeReplyObject(reply);
    return rc;
}

static int redis_read(void *state, cairn__stream_batch *batch, int64_t max_records,
                      int64_t wait_ms, int64_t *reclaimed, bool *flush_first, cairn_error *err)
{
    redis_state *s = state;
    *reclaimed = 0;
    int64_t count = max_records < MAX_READ ? max_records : MAX_READ, added = 0;
    if (count <= 0) return 0;
    if (s->phase == PHASE_NEW &&
        cairn_monotonic_ns() - s->last_claim_ns >= s->cfg.claim_idle_ms * 1000000) {
        s->phase = PHASE_CLAIM;
        snprintf(s->cursor, sizeof s->cursor, "0-0");
    }
    switch (s->phase) {
    case PHASE_OWN:
        return read_group(s, batch, count, 0, s->cursor, &added, err);
    case PHASE_CLAIM:
        if (batch->count) {
            *flush_first = true;
            return 0;
        }
        {
            int rc = read_claim(s, batch, count, &added, err);
            *reclaimed = added;
            return rc;
        }
    case PHASE_NEW:
    default:
        return read_group(s, batch, count, wait_ms, ">", &added, err);
    }
}

/* ------------------------------------------------------------------------------------------
 * Acks, lag, lifecycle
 * ---------------------------------------------------------------------------------------- */

static int ack_ids(redis_state *s, const char *const *ids, size_t n, cairn_error *err)
{
    const char *argv[3 + ACK_CHUNK];
    argv[0] = "XACK", argv[1] = s->url.path, argv[2] = s->group;
    for (size_t i = 0; i < n; i += ACK_CHUNK) {
        size_t k = n - i < ACK_CHUNK ? n - i : ACK_CHUNK;
        for (size_t j = 0; j < k; j++) argv[3 + j] = ids[i + j];
        redisReply *reply;
        int rc = command(s, (int)(3 + k), argv, &reply, err);
        if (rc) return rc;
        freeReplyObject(reply);
    }
    return 0;
}

static int redis_ack(void *state, const cairn__stream_batch *batch, cairn_error *err)
{
    return ack_ids(state, (const char *const *)batch->locations, batch->count, err);
}

static const redisReply *map_get(const redisReply *map, const char *key)
{
    for (size_t i = 0; map->type == REDIS_REPLY_ARRAY && i + 1 < map->elements; i += 2)
        if (is_string(map->element[i]) && !strcmp(map->element[i]->str, key))
            return map->element[i + 1];
    return NULL;
}

static int redis_lag(void *state, int64_t *lag, cairn_error *err)
{
    redis_state *s = state;
    *lag = -1;
    const char *argv[] = {"XINFO", "GROUPS", s->url.path};
    redisReply *reply;
    int rc = command(s, 3, argv, &reply, err);
    if (rc) return rc;
    const redisReply *entries_read = NULL;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *g = reply->element[i], *name = map_get(g, "name");
        if (!name || !is_string(name) || strcmp(name->str, s->group)) continue;
        const redisReply *l = map_get(g, "lag");
        if (l && l->type == REDIS_REPLY_INTEGER) *lag = l->integer;
        entries_read = map_get(g, "entries-read");
    }
    freeReplyObject(reply);
    if (*lag >= 0 || !entries_read || entries_read->type != REDIS_REPLY_INTEGER) return 0;
    const char *xlen[] = {"XLEN", s->url.path};
    if ((rc = command(s, 2, xlen, &reply, err))) return rc;
    if (reply->type == REDIS_REPLY_INTEGER && reply->integer >= entries_read->integer)
        *lag = reply->integer - entries_read->integer;
    freeReplyObject(reply);
    return 0;
}

static int redis_reconnect(void *state, cairn_error *err)
{
    redis_state *s = state;
    disconnect(s);
    int rc = connect_server(s, err);
    if (rc) disconnect(s);
    return rc;
}

static void redis_close(void *state)
{
    redis_state *s = state;
    if (!s) return;
    disconnect(s);
    cairn_free(s);
}

static int redis_open(const cairn__stream_config *cfg, void **out, cairn_error *err)
{
    *out = NULL;
    redis_state *s = cairn_calloc(1, sizeof *s);
    if (!s) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    s->url = *cfg->url;
    s->cfg = *cfg;
    s->cfg.url = &s->url;
    snprintf(s->group, sizeof s->group, "%s", cfg->group);
    snprintf(s->consumer, sizeof s->consumer, "%s", cfg->consumer);
    s->cfg.group = s->group, s->cfg.consumer = s->consumer;
    snprintf(s->where, sizeof s->where, "redis %s:%d", s->url.host, s->url.port);
    int rc = connect_server(s, err);
    if (rc) {
        redis_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

const cairn__stream_backend cairn__stream_redis = {
    "redis", 6379, redis_open, redis_read, redis_ack, redis_lag, redis_reconnect, NULL,
    redis_close,
};
