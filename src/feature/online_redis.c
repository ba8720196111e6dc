/* src/feature/online_redis.c: the online store's Redis backend (hiredis, one blocking
 * connection per store), for serving from several hosts.
 *
 * Layout: one hash per (view, entity key), under the key "cairn:<view>:<entity key bytes>"
 * (binary-safe: commands go out through the Argv calls with explicit lengths), with the fields
 * "v" (the value bytes), "e" (event_us) and "c" (created_us) as decimal strings. A view name
 * holds no ':' (online.c), so two views' keys never collide.
 *
 * Writes: Feast reads the old timestamp and then writes, which races with a concurrent
 * writer. Here the comparison runs inside Redis, atomically: a Lua script (SCRIPT LOAD once
 * per connection, then EVALSHA) compares each key's stored (e, c) with its row's and sets the
 * three fields only when the row is strictly newer, answering how many it set. The integers
 * are compared as decimal strings (sign, length, digits), exactly, since Lua's numbers are
 * doubles. One script call carries up to 100 consecutive rows (or 1 MiB of values), which
 * saves a script call's fixed cost per row (loading 1M rows: 5.5 s with one row per call,
 * 3.7 s with 100, on a busy 2-core machine; the rest is HMGET and HSET inside Redis, about
 * 1.8 µs a row, and the script's own loop); a put pipelines its calls in rounds (64 calls
 * or 16 MiB). Calls answered NOSCRIPT (the server restarted or
 * flushed its scripts) are sent again with EVAL, which also caches the script for the next
 * EVALSHA. Every row applies against what is stored, so the order of calls cannot matter
 * beyond first-writer-wins among rows with equal (e, c).
 * Reads: pipelined HMGET v e c, 1,000 per round. Clear: SCAN MATCH "cairn:<view>:*"
 * (glob characters of the view escaped) and UNLINK of each batch found.
 *
 * Errors: a failed connection (refused, dropped, timed out) is CAIRN_EIO, "redis
 * 127.0.0.1:6399: connection refused"; the store then reconnects on its next call. An error
 * reply is CAIRN_EIO quoting Redis. Calls on one store are serialised by a mutex (a
 * hiredis context is not thread-safe).
 *
 * Tests: tests/unit/feature/test_online.c (against a redis-server the test starts).
 */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feature/online_internal.h"

#define CONNECT_TIMEOUT_S 5
#define REPLY_TIMEOUT_S 60
#define GROUP_ROWS 100                 /* rows per script call */
#define GROUP_BYTES ((size_t)1 << 20)  /* value bytes per script call (at least one row) */
#define ROUND_CALLS 64                 /* script calls per pipeline round */
#define ROUND_BYTES ((size_t)16 << 20) /* value bytes per pipeline round */
#define GET_ROUND 1000                 /* HMGETs per pipeline round */
#define SCAN_COUNT "1000"
#define KEY_CAP (6 + CAIRN__ONLINE_MAX_VIEW + 1 + CAIRN__ONLINE_MAX_KEY)

/* KEYS = the hashes; ARGV = event_us, created_us, value of each key in turn. Each key is set
 * only when its row is strictly newer than what it holds; answers the number set. */
static const char put_script[] =
    "local function cmp(a, b)\n"
    "  local na, nb = string.sub(a, 1, 1) == '-', string.sub(b, 1, 1) == '-'\n"
    "  if na ~= nb then if na then return -1 else return 1 end end\n"
    "  if na then a, b = string.sub(b, 2), string.sub(a, 2) end\n"
    "  if #a ~= #b then if #a < #b then return -1 else return 1 end end\n"
    "  for i = 1, #a do\n"
    "    local x, y = string.byte(a, i), string.byte(b, i)\n"
    "    if x ~= y then if x < y then return -1 else return 1 end end\n"
    "  end\n"
    "  return 0\n"
    "end\n"
    "local written = 0\n"
    "for i = 1, #KEYS do\n"
    "  local e, c = ARGV[3 * i - 2], ARGV[3 * i - 1]\n"
    "  local old = redis.call('HMGET', KEYS[i], 'e', 'c')\n"
    "  local newer = true\n"
    "  if old[1] then\n"
    "    local d = cmp(old[1], e)\n"
    "    newer = d < 0 or (d == 0 and cmp(old[2] or '0', c) < 0)\n"
    "  end\n"
    "  if newer then\n"
    "    redis.call('HSET', KEYS[i], 'v', ARGV[3 * i], 'e', e, 'c', c)\n"
    "    written = written + 1\n"
    "  end\n"
    "end\n"
    "return written\n";

typedef struct redis_store {
    pthread_mutex_t lock;
    redisContext *c; /* NULL while disconnected */
    cairn__online_redis_url url;
    char where[300]; /* "redis 127.0.0.1:6379" */
    char sha[64];    /* the put script's SHA1 */
} redis_store;

/* ------------------------------------------------------------------------------------------
 * Connection and errors
 * ---------------------------------------------------------------------------------------- */

static void disconnect(redis_store *s)
{
    if (s->c) redisFree(s->c);
    s->c = NULL;
}

/* A connection-level failure: the context is dropped, the next call reconnects. */
static int conn_error(redis_store *s, cairn_error *err)
{
    char msg[128];
    snprintf(msg, sizeof msg, "%s", s->c && s->c->errstr[0] ? s->c->errstr : "connection lost");
    if (msg[0] >= 'A' && msg[0] <= 'Z') msg[0] = (char)(msg[0] - 'A' + 'a');
    disconnect(s);
    return cairn_error_set(err, CAIRN_EIO, "%s: %s", s->where, msg);
}

static int reply_error(redis_store *s, const char *doing, const redisReply *reply, cairn_error *err)
{
    return cairn_error_set(err, CAIRN_EIO, "%s: %s: %s", s->where, doing,
                           reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
}

/* One command, waiting for its reply; an error reply fails. */
static int command(redis_store *s, int argc, const char **argv, const size_t *lens,
                   redisReply **out, cairn_error *err)
{
    *out = redisCommandArgv(s->c, argc, argv, lens);
    if (!*out) return conn_error(s, err);
    if ((*out)->type != REDIS_REPLY_ERROR) return 0;
    int rc = reply_error(s, argv[0], *out, err);
    freeReplyObject(*out);
    *out = NULL;
    return rc;
}

static int connect_server(redis_store *s, cairn_error *err)
{
    struct timeval tv = {CONNECT_TIMEOUT_S, 0};
    s->c = redisConnectWithTimeout(s->url.host, s->url.port, tv);
    if (!s->c) return cairn_error_set(err, CAIRN_ENOMEM, "%s: out of memory", s->where);
    if (s->c->err) return conn_error(s, err);
    struct timeval rtv = {REPLY_TIMEOUT_S, 0};
    if (redisSetTimeout(s->c, rtv) != REDIS_OK) return conn_error(s, err);
    redisReply *reply = NULL;
    int rc = 0;
    if (s->url.db) {
        char db[16];
        snprintf(db, sizeof db, "%d", s->url.db);
        const char *argv[] = {"SELECT", db};
        if ((rc = command(s, 2, argv, NULL, &reply, err))) goto fail;
        freeReplyObject(reply);
    }
    const char *load[] = {"SCRIPT", "LOAD", put_script};
    if ((rc = command(s, 3, load, NULL, &reply, err))) goto fail;
    if (reply->type != REDIS_REPLY_STRING || reply->len >= sizeof s->sha) {
        rc = reply_error(s, "SCRIPT LOAD", reply, err);
        freeReplyObject(reply);
        goto fail;
    }
    memcpy(s->sha, reply->str, reply->len + 1);
    freeReplyObject(reply);
    return 0;
fail:
    disconnect(s);
    return rc;
}

static int ensure_connected(redis_store *s, cairn_error *err)
{
    if (s->c && !s->c->err) return 0;
    disconnect(s);
    return connect_server(s, err);
}

static int redis_open(const char *url, void **state, cairn_error *err)
{
    redis_store *s = cairn_calloc(1, sizeof *s);
    if (!s) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    int rc = cairn__online_redis_url_parse(url, &s->url, err);
    if (!rc) {
        snprintf(s->where, sizeof s->where,
                 strchr(s->url.host, ':') ? "redis [%s]:%d" : "redis %s:%d", s->url.host,
                 s->url.port);
        rc = connect_server(s, err);
    }
    if (rc) {
        cairn_free(s);
        return rc;
    }
    pthread_mutex_init(&s->lock, NULL);
    *state = s;
    return 0;
}

static void redis_close(void *state)
{
    redis_store *s = state;
    disconnect(s);
    pthread_mutex_destroy(&s->lock);
    cairn_free(s);
}

/* ------------------------------------------------------------------------------------------
 * Keys and numbers
 * ---------------------------------------------------------------------------------------- */

/* "cairn:<view>:<key>" into buf (KEY_CAP bytes; the limits are checked by online.c). */
static size_t make_key(char *buf, const char *view, const void *key, size_t key_len)
{
    size_t n = (size_t)snprintf(buf, KEY_CAP, "cairn:%s:", view);
    if (key_len) memcpy(buf + n, key, key_len);
    return n + key_len;
}

static bool parse_i64(const redisReply *r, int64_t *out)
{
    if (!r || r->type != REDIS_REPLY_STRING || r->len == 0 || r->len > 20) return false;
    char text[24], *end;
    memcpy(text, r->str, r->len);
    text[r->len] = '\0';
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end) return false;
    *out = (int64_t)v;
    return true;
}

/* ------------------------------------------------------------------------------------------
 * Put
 * ---------------------------------------------------------------------------------------- */

/* The script calls of one pipeline round: groups of consecutive rows, one call each. */
typedef struct put_group {
    size_t from, to;
    bool retry; /* answered NOSCRIPT: send again with EVAL */
} put_group;

/* Argument vectors of one script call (heap: about 60 KiB). */
typedef struct put_scratch {
    const char *argv[3 + 4 * GROUP_ROWS];
    size_t lens[3 + 4 * GROUP_ROWS];
    char nkeys[16];
    char keys[GROUP_ROWS][KEY_CAP];
    char times[GROUP_ROWS][2][24];
} put_scratch;

/* Appends the script call for rows [g->from, g->to): EVALSHA sha (or EVAL script) n
 * key... e c v .... */
static int append_group(redis_store *s, const char *view, const cairn_online_row *rows,
                        const put_group *g, bool eval, put_scratch *x)
{
    size_t n = g->to - g->from;
    snprintf(x->nkeys, sizeof x->nkeys, "%zu", n);
    x->argv[0] = eval ? "EVAL" : "EVALSHA";
    x->argv[1] = eval ? put_script : s->sha;
    x->argv[2] = x->nkeys;
    for (size_t i = 0; i < n; i++) {
        const cairn_online_row *row = &rows[g->from + i];
        x->argv[3 + i] = x->keys[i];
        x->lens[3 + i] = make_key(x->keys[i], view, row->key, row->key_len);
        const char **arg = &x->argv[3 + n + 3 * i];
        size_t *len = &x->lens[3 + n + 3 * i];
        len[0] = (size_t)snprintf(x->times[i][0], 24, "%" PRId64, row->event_us);
        len[1] = (size_t)snprintf(x->times[i][1], 24, "%" PRId64, row->created_us);
        len[2] = row->value_len;
        arg[0] = x->times[i][0];
        arg[1] = x->times[i][1];
        arg[2] = row->value_len ? row->value : "";
    }
    for (int i = 0; i < 3; i++)
        x->lens[i] = strlen(x->argv[i]);
    return redisAppendCommandArgv(s->c, (int)(3 + 4 * n), x->argv, x->lens) == REDIS_OK ? 0 : -1;
}

/* Sends the groups (with eval, only those marked retry), reads every reply, counts the rows
 * written and marks the groups answered NOSCRIPT. The first error reply is reported after
 * all replies are read, so that the connection stays in step. */
static int put_round(redis_store *s, const char *view, const cairn_online_row *rows,
                     put_group *groups, size_t ngroups, bool eval, put_scratch *x, int64_t *written,
                     cairn_error *err)
{
    for (size_t i = 0; i < ngroups; i++)
        if ((!eval || groups[i].retry) && append_group(s, view, rows, &groups[i], eval, x))
            return conn_error(s, err);
    int rc = 0;
    for (size_t i = 0; i < ngroups; i++) {
        if (eval && !groups[i].retry) continue;
        redisReply *reply = NULL;
        if (redisGetReply(s->c, (void **)&reply) != REDIS_OK) return conn_error(s, err);
        groups[i].retry = false;
        if (reply->type == REDIS_REPLY_INTEGER) {
            *written += reply->integer;
        } else if (!eval && reply->type == REDIS_REPLY_ERROR &&
                   !strncmp(reply->str, "NOSCRIPT", 8)) {
            groups[i].retry = true;
        } else if (!rc) {
            rc = reply_error(s, eval ? "EVAL" : "EVALSHA", reply, err);
        }
        freeReplyObject(reply);
    }
    return rc;
}

static int redis_put_locked(redis_store *s, const char *view, const cairn_online_row *rows,
                            size_t n, int64_t *written, cairn_error *err)
{
    put_scratch *x = cairn_malloc(sizeof *x);
    if (!x) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    put_group groups[ROUND_CALLS];
    int rc = 0;
    for (size_t from = 0; from < n && !rc;) {
        size_t ngroups = 0, round_bytes = 0;
        bool again = false;
        while (from < n && ngroups < ROUND_CALLS && round_bytes < ROUND_BYTES) {
            size_t to = from, bytes = 0;
            while (to < n && to - from < GROUP_ROWS && (to == from || bytes < GROUP_BYTES))
                bytes += rows[to++].value_len;
            groups[ngroups++] = (put_group){from, to, false};
            round_bytes += bytes;
            from = to;
        }
        rc = put_round(s, view, rows, groups, ngroups, false, x, written, err);
        for (size_t i = 0; i < ngroups; i++)
            again |= groups[i].retry;
        if (!rc && again) rc = put_round(s, view, rows, groups, ngroups, true, x, written, err);
    }
    cairn_free(x);
    return rc;
}

static int redis_put(void *state, const char *view, const cairn_online_row *rows, size_t n,
                     int64_t *written, cairn_error *err)
{
    redis_store *s = state;
    pthread_mutex_lock(&s->lock);
    int rc = ensure_connected(s, err);
    if (!rc) rc = redis_put_locked(s, view, rows, n, written, err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Get
 * ---------------------------------------------------------------------------------------- */

/* One HMGET v e c reply into *out. */
static int take_value(redis_store *s, const char *view, const redisReply *reply,
                      cairn_online_value *out, cairn_error *err)
{
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
        return reply_error(s, "HMGET", reply, err);
    const redisReply *v = reply->element[0];
    if (v->type == REDIS_REPLY_NIL) return 0;
    if (v->type != REDIS_REPLY_STRING || !parse_i64(reply->element[1], &out->event_us) ||
        !parse_i64(reply->element[2], &out->created_us))
        return cairn_error_set(err, CAIRN_ECORRUPT,
                               "%s: a value of view '%s' lacks its fields v, e and c", s->where,
                               view);
    out->value = cairn_malloc(v->len ? v->len : 1);
    if (!out->value) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    if (v->len) memcpy(out->value, v->str, v->len);
    out->value_len = v->len;
    out->found = true;
    return 0;
}

static int get_chunk(redis_store *s, const char *view, const void *const *keys,
                     const size_t *key_lens, size_t n, cairn_online_value *out, cairn_error *err)
{
    for (size_t i = 0; i < n; i++) {
        char key[KEY_CAP];
        const char *argv[] = {"HMGET", key, "v", "e", "c"};
        size_t lens[] = {5, make_key(key, view, keys[i], key_lens[i]), 1, 1, 1};
        if (redisAppendCommandArgv(s->c, 5, argv, lens) != REDIS_OK) return conn_error(s, err);
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        redisReply *reply = NULL;
        if (redisGetReply(s->c, (void **)&reply) != REDIS_OK) return conn_error(s, err);
        if (!rc) rc = take_value(s, view, reply, &out[i], err);
        freeReplyObject(reply);
    }
    return rc;
}

static int redis_get(void *state, const char *view, const void *const *keys, const size_t *key_lens,
                     size_t n, cairn_online_value *out, cairn_error *err)
{
    redis_store *s = state;
    pthread_mutex_lock(&s->lock);
    int rc = ensure_connected(s, err);
    for (size_t from = 0; from < n && !rc; from += GET_ROUND) {
        size_t count = n - from < GET_ROUND ? n - from : GET_ROUND;
        rc = get_chunk(s, view, keys + from, key_lens + from, count, out + from, err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Clear
 * ---------------------------------------------------------------------------------------- */

static int unlink_keys(redis_store *s, const redisReply *keys, cairn_error *err)
{
    if (keys->elements == 0) return 0;
    size_t argc = keys->elements + 1;
    const char **argv = cairn_calloc(argc, sizeof *argv);
    size_t *lens = cairn_calloc(argc, sizeof *lens);
    int rc = 0;
    if (!argv || !lens) {
        rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    } else {
        argv[0] = "UNLINK";
        lens[0] = 6;
        for (size_t i = 0; i < keys->elements; i++) {
            argv[i + 1] = keys->element[i]->str;
            lens[i + 1] = keys->element[i]->len;
        }
        redisReply *reply = NULL;
        rc = command(s, (int)argc, argv, lens, &reply, err);
        if (reply) freeReplyObject(reply);
    }
    cairn_free(argv);
    cairn_free(lens);
    return rc;
}

static int clear_locked(redis_store *s, const char *view, cairn_error *err)
{
    char pattern[2 * CAIRN__ONLINE_MAX_VIEW + 16], cursor[32] = "0";
    size_t len = (size_t)snprintf(pattern, sizeof pattern, "cairn:");
    for (const char *p = view; *p; p++) {
        if (strchr("*?[]\\", *p)) pattern[len++] = '\\';
        pattern[len++] = *p;
    }
    memcpy(pattern + len, ":*", 3);
    do {
        const char *argv[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", SCAN_COUNT};
        redisReply *reply = NULL;
        int rc = command(s, 6, argv, NULL, &reply, err);
        if (rc) return rc;
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
            reply->element[0]->type != REDIS_REPLY_STRING ||
            reply->element[0]->len >= sizeof cursor ||
            reply->element[1]->type != REDIS_REPLY_ARRAY) {
            rc = reply_error(s, "SCAN", reply, err);
        } else {
            memcpy(cursor, reply->element[0]->str, reply->element[0]->len + 1);
            rc = unlink_keys(s, reply->element[1], err);
        }
        freeReplyObject(reply);
        if (rc) return rc;
    } while (strcmp(cursor, "0"));
    return 0;
}

static int redis_clear(void *state, const char *view, cairn_error *err)
{
    redis_store *s = state;
    pthread_mutex_lock(&s->lock);
    int rc = ensure_connected(s, err);
    if (!rc) rc = clear_locked(s, view, err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

const cairn__online_backend cairn__online_redis = {
    "redis", "redis://", redis_open, redis_close, redis_put, redis_get, redis_clear,
};
