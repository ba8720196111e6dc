/* src/ingest/stream_nats.c: the NATS JetStream backend of stream ingest (libnats).
 *
 * Setup, in order: connect; find the stream that holds the subject (the stream names
 * filtered by subject), or create one named after the subject ("events.in" -> "events_in",
 * file storage, limits retention); make sure the group's durable pull consumer exists with
 * explicit acks, the configured AckWait and room for two batches of unacked messages
 * (MaxAckPending), creating it or updating those two settings; then bind a pull
 * subscription to it. Binding to a consumer we made ourselves means the library never
 * deletes it (an unsubscribe of a library-made consumer would).
 *
 * Reading fetches up to 5000 messages at a time; each message is kept (its natsMsg is the
 * batch's ack token) until its batch commits, then acked: all but the last asynchronously,
 * the last synchronously, so that when the ack returns the server has processed them all
 * (a consumer handles its acks in order). An unacked message is delivered again after
 * AckWait, to this or another process reading the same durable: that is how a crashed
 * run's messages come back. Locations are "stream seq N".
 *
 * libnats reconnects by itself; while it is away, reads and acks report CAIRN_EIO and the
 * driver's reconnect waits for it (or, once the connection is closed for good, builds a new
 * one). Lag is the consumer's NumPending (messages not yet delivered to it).
 *
 * Tests: tests/integration/test_stream_nats.sh.
 */
#include <nats/nats.h>
#include <stdio.h>
#include <string.h>

#include "ingest/stream_internal.h"

#define CONNECT_TIMEOUT_MS 5000
#define API_WAIT_MS 5000
#define MAX_FETCH 5000
#define NS_PER_MS INT64_C(1000000)

typedef struct nats_state {
    natsConnection *nc;
    jsCtx *js;
    natsSubscription *sub;
    cairn__stream_config cfg;
    cairn__stream_url url;
    char group[256], consumer[256];
    char stream[256];
    char where[300]; /* "nats 127.0.0.1:4222" */
} nats_state;

/* ------------------------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------------------------- */

static bool status_transient(natsStatus st)
{
    return st == NATS_IO_ERROR || st == NATS_CONNECTION_CLOSED || st == NATS_NO_SERVER ||
           st == NATS_STALE_CONNECTION || st == NATS_CONNECTION_DISCONNECTED ||
           st == NATS_NOT_YET_CONNECTED || st == NATS_TIMEOUT;
}

static int nats_fail(const nats_state *s, natsStatus st, jsErrCode jerr, const char *what,
                     cairn_error *err)
{
    const char *last = nats_GetLastError(NULL);
    int code = status_transient(st) ? CAIRN_EIO : CAIRN_EINVAL;
    char text[160];
    snprintf(text, sizeof text, "%s", natsStatus_GetText(st));
    for (char *p = text; *p; p++) /* "Connection Refused" reads better lower-case */
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    if (jerr)
        return cairn_error_set(err, code, "%s: %s: %s (JetStream error %d%s%s)", s->where, what,
                               text, (int)jerr, last && *last ? ": " : "", last ? last : "");
    return cairn_error_set(err, code, "%s: %s: %s", s->where, what, text);
}

/* ------------------------------------------------------------------------------------------
 * Setup
 * ---------------------------------------------------------------------------------------- */

static int connect_server(nats_state *s, cairn_error *err)
{
    natsOptions *o = NULL;
    char url[300];
    snprintf(url, sizeof url, "nats://%s:%d", s->url.host, s->url.port);
    natsStatus st = natsOptions_Create(&o);
    if (st == NATS_OK) st = natsOptions_SetURL(o, url);
    if (st == NATS_OK) st = natsOptions_SetTimeout(o, CONNECT_TIMEOUT_MS);
    if (st == NATS_OK) st = natsOptions_SetName(o, s->cfg.consumer);
    if (st == NATS_OK) st = natsOptions_SetAllowReconnect(o, true);
    if (st == NATS_OK) st = natsOptions_SetMaxReconnect(o, -1); /* the driver decides */
    if (st == NATS_OK) st = natsOptions_SetReconnectWait(o, 250);
    if (st == NATS_OK && s->url.password[0]) st = natsOptions_SetToken(o, s->url.password);
    if (st == NATS_OK) st = natsConnection_Connect(&s->nc, o);
    natsOptions_Destroy(o);
    if (st != NATS_OK) return nats_fail(s, st, 0, "connecting", err);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = API_WAIT_MS;
    st = natsConnection_JetStream(&s->js, s->nc, &jo);
    return st == NATS_OK ? 0 : nats_fail(s, st, 0, "JetStream context", err);
}

/* A stream name from a subject: [A-Za-z0-9_-], the rest as '_'. */
static void stream_name_from(const char *subject, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = subject; *p && n + 1 < cap; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        out[n++] = ok ? c : '_';
    }
    out[n] = '\0';
}

static int ensure_stream(nats_state *s, cairn_error *err)
{
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Stream.Info.SubjectsFilter = s->url.path; /* streams whose subjects cover it */
    jsStreamNamesList *names = NULL;
    jsErrCode jerr = 0;
    natsStatus st = js_StreamNames(&names, s->js, &jo, &jerr);
    if (st == NATS_OK && names && names->Count > 0) {
        snprintf(s->stream, sizeof s->stream, "%s", names->List[0]);
        jsStreamNamesList_Destroy(names);
        return 0;
    }
    if (names) jsStreamNamesList_Destroy(names);
    if (st != NATS_OK && st != NATS_NOT_FOUND) return nats_fail(s, st, jerr, "listing streams", err);
    stream_name_from(s->url.path, s->stream, sizeof s->stream);
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char *subjects[] = {s->url.path};
    sc.Name = s->stream;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    jsStreamInfo *si = NULL;
    jerr = 0;
    st = js_AddStream(&si, s->js, &sc, NULL, &jerr);
    if (si) jsStreamInfo_Destroy(si);
    if (st != NATS_OK) return nats_fail(s, st, jerr, "creating stream", err);
    CAIRN_INFO("%s: created stream %s for subject %s", s->where, s->stream, s->url.path);
    return 0;
}

static int64_t max_ack_pending(const nats_state *s)
{
    int64_t n = 2 * s->cfg.batch_records;
    return n < 1000 ? 1000 : n;
}

static int ensure_consumer(nats_state *s, cairn_error *err)
{
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus st = js_GetConsumerInfo(&ci, s->js, s->stream, s->group, NULL, &jerr);
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = s->group;
    cc.AckPolicy = js_AckExplicit;
    cc.DeliverPolicy = js_DeliverAll;
    cc.AckWait = s->cfg.ack_wait_ms * NS_PER_MS;
    cc.MaxAckPending = max_ack_pending(s);
    cc.FilterSubject = s->url.path;
    jsConsumerInfo *out = NULL;
    if (st == NATS_OK) {
        bool same = ci->Config && ci->Config->AckWait == cc.AckWait &&
                    ci->Config->MaxAckPending >= cc.MaxAckPending;
        if (!same && ci->Config) {
            jsConsumerConfig up = *ci->Config; /* keep what we do not manage */
            up.AckWait = cc.AckWait;
            up.MaxAckPending = cc.MaxAckPending;
            jerr = 0;
            st = js_UpdateConsumer(&out, s->js, s->stream, &up, NULL, &jerr);
            if (st != NATS_OK)
                CAIRN_WARN("%s: consumer %s keeps its AckWait/MaxAckPending: %s", s->where,
                           s->group, natsStatus_GetText(st));
            st = NATS_OK;
        }
        jsConsumerInfo_Destroy(ci);
    } else if (st == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
        jerr = 0;
        st = js_AddConsumer(&out, s->js, s->stream, &cc, NULL, &jerr);
        if (st != NATS_OK) return nats_fail(s, st, jerr, "creating the durable consumer", err);
    } else {
        return nats_fail(s, st, jerr, "looking up the durable consumer", err);
    }
    if (out) jsConsumerInfo_Destroy(out);
    return 0;
}

static int subscribe(nats_state *s, cairn_error *err)
{
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = s->stream;
    so.Consumer = s->group; /* bind: the library neither creates nor deletes it */
    jsErrCode jerr = 0;
    natsStatus st = js_PullSubscribe(&s->sub, s->js, s->url.path, s->group, NULL, &so, &jerr);
    return st == NATS_OK ? 0 : nats_fail(s, st, jerr, "subscribing", err);
}

static void disconnect(nats_state *s)
{
    if (s->sub) natsSubscription_Destroy(s->sub);
    if (s->js) jsCtx_Destroy(s->js);
    if (s->nc) {
        natsConnection_Close(s->nc);
        natsConnection_Destroy(s->nc);
    }
    s->sub = NULL, s->js = NULL, s->nc = NULL;
}

static int setup(nats_state *s, cairn_error *err)
{
    int rc = connect_server(s, err);
    if (rc == 0) rc = ensure_stream(s, err);
    if (rc == 0) rc = ensure_consumer(s, err);
    if (rc == 0) rc = subscribe(s, err);
    if (rc) disconnect(s);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Reading and acking
 * ---------------------------------------------------------------------------------------- */

static bool connected(const nats_state *s)
{
    return s->nc && natsConnection_Status(s->nc) == NATS_CONN_STATUS_CONNECTED;
}

static int add_msg(nats_state *s, cairn__stream_batch *batch, natsMsg *msg)
{
    char location[48] = "stream seq ?";
    jsMsgMetaData *meta = NULL;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK && meta) {
        snprintf(location, sizeof location, "stream seq %llu",
                 (unsigned long long)meta->Sequence.Stream);
        jsMsgMetaData_Destroy(meta);
    }
    const char *data = natsMsg_GetData(msg);
    int len = natsMsg_GetDataLength(msg);
    return cairn__stream_batch_add(batch, data ? data : "", len > 0 ? (size_t)len : 0, location,
                                   msg);
}

static int nats_read(void *state, cairn__stream_batch *batch, int64_t max_records,
                     int64_t wait_ms, int64_t *reclaimed, bool *flush_first, cairn_error *err)
{
    nats_state *s = state;
    *reclaimed = 0;
    if (!connected(s))
        return cairn_error_set(err, CAIRN_EIO, "%s: connection lost", s->where);
    int n = (int)(max_records < MAX_FETCH ? max_records : MAX_FETCH);
    if (n <= 0) return 0;
    natsMsgList list = {0};
    jsErrCode jerr = 0;
    natsStatus st = natsSubscription_Fetch(&list, s->sub, n, wait_ms > 5 ? wait_ms : 5, &jerr);
    if (st == NATS_TIMEOUT && list.Count == 0) return 0; /* nothing new */
    int rc = 0;
    for (int i = 0; i < list.Count; i++) {
        if (rc == 0 && (rc = add_msg(s, batch, list.Msgs[i])) == 0) list.Msgs[i] = NULL;
    }
    natsMsgList_Destroy(&list); /* destroys the messages not taken */
    if (rc) return cairn_error_set(err, rc, "%s: buffering a message: %s", s->where,
                                   cairn_strerror(rc));
    if (st != NATS_OK && st != NATS_TIMEOUT && list.Count == 0)
        return nats_fail(s, st, jerr, "fetching", err);
    return 0;
}

static int nats_ack(void *state, const cairn__stream_batch *batch, cairn_error *err)
{
    nats_state *s = state;
    if (!connected(s))
        return cairn_error_set(err, CAIRN_EIO, "%s: connection lost before acking", s->where);
    for (size_t i = 0; i + 1 < batch->count; i++) {
        natsStatus st = natsMsg_Ack(batch->tokens[i], NULL);
        if (st != NATS_OK) return nats_fail(s, st, 0, "acking", err);
    }
    if (batch->count == 0) return 0;
    jsErrCode jerr = 0;
    natsStatus st = natsMsg_AckSync(batch->tokens[batch->count - 1], NULL, &jerr);
    return st == NATS_OK ? 0 : nats_fail(s, st, jerr, "acking", err);
}

static int nats_lag(void *state, int64_t *lag, cairn_error *err)
{
    nats_state *s = state;
    *lag = -1;
    if (!connected(s)) return cairn_error_set(err, CAIRN_EIO, "%s: connection lost", s->where);
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus st = js_GetConsumerInfo(&ci, s->js, s->stream, s->group, NULL, &jerr);
    if (st != NATS_OK) return nats_fail(s, st, jerr, "consumer info", err);
    *lag = (int64_t)ci->NumPending;
    jsConsumerInfo_Destroy(ci);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Lifecycle
 * ---------------------------------------------------------------------------------------- */

static int nats_reconnect(void *state, cairn_error *err)
{
    nats_state *s = state;
    if (connected(s)) return 0;
    if (s->nc && natsConnection_Status(s->nc) != NATS_CONN_STATUS_CLOSED)
        return cairn_error_set(err, CAIRN_EIO, "%s: still reconnecting", s->where);
    disconnect(s);
    return setup(s, err);
}

static void release_msg(void *token)
{
    natsMsg_Destroy(token);
}

static void nats_close(void *state)
{
    nats_state *s = state;
    if (!s) return;
    if (s->nc && connected(s)) natsConnection_FlushTimeout(s->nc, 2000);
    disconnect(s);
    cairn_free(s);
}

static int nats_open(const cairn__stream_config *cfg, void **out, cairn_error *err)
{
    *out = NULL;
    nats_state *s = cairn_calloc(1, sizeof *s);
    if (!s) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    s->url = *cfg->url;
    s->cfg = *cfg;
    s->cfg.url = &s->url;
    snprintf(s->group, sizeof s->group, "%s", cfg->group);
    snprintf(s->consumer, sizeof s->consumer, "%s", cfg->consumer);
    s->cfg.group = s->group, s->cfg.consumer = s->consumer;
    snprintf(s->where, sizeof s->where, "nats %s:%d", s->url.host, s->url.port);
    if (strchr(s->group, '.') || strchr(s->group, ' ')) {
        cairn_error_set(err, CAIRN_EINVAL, "%s: durable name '%s' may not hold '.' or spaces",
                        s->where, s->group);
        cairn_free(s);
        return CAIRN_EINVAL;
    }
    int rc = setup(s, err);
    if (rc) {
        cairn_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

const cairn__stream_backend cairn__stream_nats = {
    "nats", 4222, nats_open, nats_read, nats_ack, nats_lag, nats_reconnect, release_msg,
    nats_close,
};
