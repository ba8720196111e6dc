/* src/feature/online_internal.h: what the online store's interface (online.c) shares with its
 * backends (online_lmdb.c, online_redis.c): the backend descriptor, the limits every backend
 * enforces alike, and the URL parser.
 *
 * A backend is one descriptor in online.c's table (habit 13): a URL prefix and five calls.
 * online.c parses nothing backend-specific beyond picking the descriptor; it validates the
 * view name, the keys and the value sizes once, so a backend only stores and fetches. Both
 * backends keep the same rule: a row replaces the stored value only when its
 * (event_us, created_us) is strictly greater than the stored one (Feast's "older events
 * never overwrite newer ones"), so writes commute and a retried put is harmless.
 *
 * Tests: tests/unit/feature/test_online.c (one suite run against both backends).
 */
#ifndef CAIRN_ONLINE_INTERNAL_H
#define CAIRN_ONLINE_INTERNAL_H

#include "cairn/feature.h"

/* Limits shared by the backends, so that a view moves from one to the other unchanged.
 * LMDB caps a key at 511 bytes and its key is "<view>\0<entity key>". */
#define CAIRN__ONLINE_MAX_VIEW 128          /* bytes of a view name */
#define CAIRN__ONLINE_MAX_KEY 256           /* bytes of a serialised entity key */
#define CAIRN__ONLINE_MAX_VALUE (64u << 20) /* bytes of one value */

typedef struct cairn__online_backend {
    const char *name;   /* "lmdb", "redis": cairn_online_backend() */
    const char *prefix; /* the URL prefix that selects it: "lmdb:", "redis://" */
    /* url is the whole URL; *state is the backend's handle. */
    int (*open)(const char *url, void **state, cairn_error *err);
    void (*close)(void *state);
    /* Arguments are validated: view is a valid name, keys and values within the limits. */
    int (*put)(void *state, const char *view, const cairn_online_row *rows, size_t n,
               int64_t *written, cairn_error *err);
    /* out[] is zeroed by the caller; on failure the caller releases what was filled. */
    int (*get)(void *state, const char *view, const void *const *keys, const size_t *key_lens,
               size_t n, cairn_online_value *out, cairn_error *err);
    int (*clear)(void *state, const char *view, cairn_error *err);
} cairn__online_backend;

extern const cairn__online_backend cairn__online_lmdb;
extern const cairn__online_backend cairn__online_redis;

/* "redis://HOST[:PORT][/DB]": host (a name, an IPv4 address or a bracketed IPv6 address),
 * port 1..65535 (6379 when absent), db a number (0 when absent; SELECT refuses one the
 * server does not have). CAIRN_EINVAL quoting the URL
 * and naming the bad part otherwise. */
typedef struct cairn__online_redis_url {
    char host[256];
    int port;
    int db;
} cairn__online_redis_url;
int cairn__online_redis_url_parse(const char *url, cairn__online_redis_url *out, cairn_error *err);

/* For tests: the LMDB map size of environments opened from now on (0 = the default, 64 GiB).
 * Lets a test reach MDB_MAP_FULL without writing gigabytes. */
void cairn__online_lmdb_set_map_size(size_t bytes);

#endif
