/* src/feature/online.c: the online store's interface: the table of backends, URL dispatch,
 * argument validation, and the release of looked-up values.
 *
 * A store is a backend descriptor plus the backend's state. The URL's prefix picks the
 * descriptor ("lmdb:PATH", "redis://HOST:PORT[/DB]"); adding a backend is a new file plus one
 * entry in `backends` (habit 13). Every call is validated here before the backend sees it,
 * against the limits in online_internal.h, so both backends refuse exactly the same inputs:
 * a view name is 1..128 bytes of printable ASCII without ':' (Redis keys are
 * "cairn:<view>:<key>", and a ':' in a view would let two views' keys collide), an entity
 * key at most 256 bytes, a value at most 64 MiB.
 *
 * Thread safety: an LMDB store may be used from several threads at once (reads run in
 * parallel, writes are serialised by LMDB); a Redis store serialises calls on its one
 * connection with a mutex.
 *
 * Tests: tests/unit/feature/test_online.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feature/online_internal.h"

struct cairn_online {
    const cairn__online_backend *backend;
    void *state;
};

static const cairn__online_backend *const backends[] = {
    &cairn__online_lmdb,
    &cairn__online_redis,
};

/* ------------------------------------------------------------------------------------------
 * Validation
 * ---------------------------------------------------------------------------------------- */

static int check_view(const char *view, cairn_error *err)
{
    if (!view || !view[0]) return cairn_error_set(err, CAIRN_EINVAL, "empty feature view name");
    size_t len = strlen(view);
    if (len > CAIRN__ONLINE_MAX_VIEW)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "feature view name '%.40s...' is %zu bytes (at most %d)", view, len,
                               CAIRN__ONLINE_MAX_VIEW);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)view[i];
        if (c < 0x21 || c > 0x7e || c == ':')
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "feature view name '%s': byte %zu (0x%02x) is not allowed "
                                   "(printable ASCII without spaces or ':')",
                                   view, i + 1, c);
    }
    return 0;
}

static int check_key(const void *key, size_t len, size_t index, cairn_error *err)
{
    if (len > CAIRN__ONLINE_MAX_KEY)
        return cairn_error_set(err, CAIRN_ELIMIT, "entity key %zu is %zu bytes (at most %d)", index,
                               len, CAIRN__ONLINE_MAX_KEY);
    if (!key && len) return cairn_error_set(err, CAIRN_EINVAL, "entity key %zu is NULL", index);
    return 0;
}

static int check_rows(const cairn_online_row *rows, size_t n, cairn_error *err)
{
    if (n && !rows) return cairn_error_set(err, CAIRN_EINVAL, "rows is NULL");
    for (size_t i = 0; i < n; i++) {
        int rc = check_key(rows[i].key, rows[i].key_len, i, err);
        if (rc) return rc;
        if (rows[i].value_len > CAIRN__ONLINE_MAX_VALUE)
            return cairn_error_set(err, CAIRN_ELIMIT, "row %zu: value is %zu bytes (at most %u)", i,
                                   rows[i].value_len, CAIRN__ONLINE_MAX_VALUE);
        if (!rows[i].value && rows[i].value_len)
            return cairn_error_set(err, CAIRN_EINVAL, "row %zu: value is NULL", i);
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * API
 * ---------------------------------------------------------------------------------------- */

int cairn_online_open(const char *url, cairn_online **out, cairn_error *err)
{
    *out = NULL;
    if (!url || !url[0]) return cairn_error_set(err, CAIRN_EINVAL, "empty online store URL");
    const cairn__online_backend *backend = NULL;
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (!strncmp(url, backends[i]->prefix, strlen(backends[i]->prefix))) backend = backends[i];
    if (!backend)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "online store URL '%s': unknown scheme (expected lmdb:PATH or "
                               "redis://HOST:PORT[/DB])",
                               url);
    cairn_online *store = cairn_calloc(1, sizeof *store);
    if (!store) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    store->backend = backend;
    int rc = backend->open(url, &store->state, err);
    if (rc) {
        cairn_free(store);
        return rc;
    }
    *out = store;
    return 0;
}

void cairn_online_close(cairn_online *store)
{
    if (!store) return;
    store->backend->close(store->state);
    cairn_free(store);
}

const char *cairn_online_backend(const cairn_online *store)
{
    return store->backend->name;
}

int cairn_online_put(cairn_online *store, const char *view, const cairn_online_row *rows, size_t n,
                     int64_t *written, cairn_error *err)
{
    int64_t stored = 0;
    if (written) *written = 0;
    int rc = check_view(view, err);
    if (!rc) rc = check_rows(rows, n, err);
    if (!rc && n) rc = store->backend->put(store->state, view, rows, n, &stored, err);
    if (written) *written = stored;
    return rc;
}

int cairn_online_get(cairn_online *store, const char *view, const void *const *keys,
                     const size_t *key_lens, size_t n, cairn_online_value *out, cairn_error *err)
{
    if (n) memset(out, 0, n * sizeof *out);
    int rc = check_view(view, err);
    if (rc) return rc;
    if (n && (!keys || !key_lens)) return cairn_error_set(err, CAIRN_EINVAL, "keys is NULL");
    for (size_t i = 0; i < n; i++)
        if ((rc = check_key(keys[i], key_lens[i], i, err))) return rc;
    if (!n) return 0;
    rc = store->backend->get(store->state, view, keys, key_lens, n, out, err);
    if (rc) cairn_online_values_release(out, n);
    return rc;
}

void cairn_online_values_release(cairn_online_value *values, size_t n)
{
    for (size_t i = 0; values && i < n; i++) {
        cairn_free(values[i].value);
        memset(&values[i], 0, sizeof values[i]);
    }
}

int cairn_online_clear(cairn_online *store, const char *view, cairn_error *err)
{
    int rc = check_view(view, err);
    return rc ? rc : store->backend->clear(store->state, view, err);
}

/* ------------------------------------------------------------------------------------------
 * URL parsing (Redis; the LMDB URL is a prefix and a path)
 * ---------------------------------------------------------------------------------------- */

/* Parses digits [s, end) as an integer in [lo, hi]. */
static bool parse_int(const char *s, const char *end, long lo, long hi, int *out)
{
    if (s == end || end - s > 6) return false;
    long v = 0;
    for (const char *p = s; p < end; p++) {
        if (*p < '0' || *p > '9') return false;
        v = v * 10 + (*p - '0');
    }
    if (v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

int cairn__online_redis_url_parse(const char *url, cairn__online_redis_url *out, cairn_error *err)
{
    memset(out, 0, sizeof *out);
    out->port = 6379;
    const char *scheme = "redis://";
    if (strncmp(url, scheme, strlen(scheme)))
        return cairn_error_set(err, CAIRN_EINVAL, "online store URL '%s': expected redis://", url);
    const char *host = url + strlen(scheme), *host_end;
    const char *p;
    if (*host == '[') { /* [IPv6] */
        host_end = strchr(host, ']');
        if (!host_end)
            return cairn_error_set(err, CAIRN_EINVAL, "online store URL '%s': missing ']'", url);
        p = host_end + 1;
        host++;
    } else {
        host_end = host + strcspn(host, ":/");
        p = host_end;
    }
    size_t host_len = (size_t)(host_end - host);
    if (host_len == 0 || host_len >= sizeof out->host || memchr(host, '@', host_len))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "online store URL '%s': bad host (expected "
                               "redis://HOST:PORT[/DB])",
                               url);
    memcpy(out->host, host, host_len);
    if (*p == ':') {
        const char *port = p + 1, *port_end = port + strcspn(port, "/");
        if (!parse_int(port, port_end, 1, 65535, &out->port))
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "online store URL '%s': bad port '%.*s' (expected 1 to "
                                   "65535)",
                                   url, (int)(port_end - port), port);
        p = port_end;
    }
    if (*p == '/') {
        const char *db = p + 1, *db_end = db + strlen(db);
        if (!parse_int(db, db_end, 0, 65535, &out->db))
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "online store URL '%s': bad database '%s' (expected a number)",
                                   url, db);
        p = db_end;
    }
    if (*p)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "online store URL '%s': unexpected '%s' (expected "
                               "redis://HOST:PORT[/DB])",
                               url, p);
    return 0;
}
