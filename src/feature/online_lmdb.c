/* src/feature/online_lmdb.c: the online store's LMDB backend, in process, for single-host
 * serving: a lookup is a B+tree descent in a memory map, a few microseconds.
 *
 * Layout: one environment in the directory PATH (created if missing), its main database
 * holding every view. A key is "<view>\0<entity key>" (a view name never holds a NUL, so
 * one view's keys form one contiguous range, which clear walks); a value is a 16-byte header,
 * event_us then created_us as little-endian int64, followed by the value bytes.
 *
 * Writes: one write transaction per put (LMDB serialises writers), committed in slices of
 * about 256 MiB so that a huge put never hits MDB_TXN_FULL. Each row reads the stored header
 * first and is skipped when the stored (event, created) is >= the row's, so an older or equal
 * event never overwrites. MDB_RESERVE lets the header and value be written in place.
 * Reads: one read-only transaction per get, values copied out of the map (zero-copy views
 * die with the transaction). MDB_NOTLS ties a read transaction to no thread, so any number
 * of threads may call get on one store at once.
 *
 * LMDB forbids opening one environment twice in a process, so environments are shared: a
 * process-wide list, keyed by the directory's (device, inode), holds each open environment
 * with a reference count, and a second open of the same directory reuses it.
 *
 * The map is 64 GiB of address space (the file grows only as pages are used); a full map is
 * CAIRN_ELIMIT naming the directory and the size.
 *
 * Tests: tests/unit/feature/test_online.c.
 */
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "feature/online_internal.h"

#define LMDB_PREFIX "lmdb:"
#define DEFAULT_MAP_SIZE ((size_t)64 << 30)
#define MAX_READERS 1024
#define HEADER_LEN 16
#define TXN_SLICE_BYTES ((size_t)256 << 20) /* commit a put's transaction every so often */
#define CLEAR_SLICE 100000                  /* deletions per clear transaction */
#define KEY_CAP (CAIRN__ONLINE_MAX_VIEW + 1 + CAIRN__ONLINE_MAX_KEY)

typedef struct lmdb_env {
    struct lmdb_env *next;
    dev_t dev;
    ino_t ino;
    int refs; /* guarded by envs_lock */
    MDB_env *env;
    MDB_dbi dbi;
    size_t map_size;
    char path[4096];
} lmdb_env;

static pthread_mutex_t envs_lock = PTHREAD_MUTEX_INITIALIZER;
static lmdb_env *envs;
static size_t map_size_override;

void cairn__online_lmdb_set_map_size(size_t bytes)
{
    map_size_override = bytes;
}

/* ------------------------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------------------------- */

static int lmdb_error(const lmdb_env *e, int mrc, const char *doing, cairn_error *err)
{
    if (mrc == MDB_MAP_FULL)
        return cairn_error_set(err, CAIRN_ELIMIT,
                               "online store %s is full: its map of %zu MiB is used up while "
                               "%s (MDB_MAP_FULL); clear views or move to a larger store",
                               e->path, e->map_size >> 20, doing);
    if (mrc == ENOMEM) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    return cairn_error_set(err, mrc == MDB_CORRUPTED ? CAIRN_ECORRUPT : CAIRN_EIO,
                           "online store %s: %s: %s", e->path, doing, mdb_strerror(mrc));
}

static void put_le64(unsigned char *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(u >> (8 * i));
}

static int64_t get_le64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)p[i] << (8 * i);
    return (int64_t)u;
}

/* "<view>\0<key>" into buf (KEY_CAP bytes; the limits are checked by online.c). */
static MDB_val make_key(char *buf, const char *view, size_t view_len, const void *key,
                        size_t key_len)
{
    memcpy(buf, view, view_len + 1);
    if (key_len) memcpy(buf + view_len + 1, key, key_len);
    return (MDB_val){view_len + 1 + key_len, buf};
}

static int corrupt(const lmdb_env *e, const char *view, size_t size, cairn_error *err)
{
    return cairn_error_set(err, CAIRN_ECORRUPT,
                           "online store %s: a value of view '%s' is %zu bytes, shorter than "
                           "its %d-byte header",
                           e->path, view, size, HEADER_LEN);
}

/* ------------------------------------------------------------------------------------------
 * Open and close: the shared environments
 * ---------------------------------------------------------------------------------------- */

static int env_create(lmdb_env *e, cairn_error *err)
{
    int mrc = mdb_env_create(&e->env);
    if (!mrc) mrc = mdb_env_set_mapsize(e->env, e->map_size);
    if (!mrc) mrc = mdb_env_set_maxreaders(e->env, MAX_READERS);
    if (!mrc) mrc = mdb_env_open(e->env, e->path, MDB_NOTLS | MDB_NORDAHEAD, 0644);
    if (mrc) return lmdb_error(e, mrc, "opening the environment", err);
    int dead = 0;
    mdb_reader_check(e->env, &dead); /* slots left by crashed readers */
    MDB_txn *txn = NULL;
    mrc = mdb_txn_begin(e->env, NULL, 0, &txn);
    if (!mrc) mrc = mdb_dbi_open(txn, NULL, 0, &e->dbi);
    if (!mrc)
        mrc = mdb_txn_commit(txn);
    else if (txn)
        mdb_txn_abort(txn);
    if (mrc) return lmdb_error(e, mrc, "opening the database", err);
    MDB_envinfo info;
    if (!mdb_env_info(e->env, &info)) e->map_size = info.me_mapsize; /* may exceed ours */
    return 0;
}

static int lmdb_open(const char *url, void **state, cairn_error *err)
{
    const char *path = url + strlen(LMDB_PREFIX);
    if (!path[0])
        return cairn_error_set(err, CAIRN_EINVAL,
                               "online store URL '%s': missing the directory (lmdb:PATH)", url);
    int rc = cairn_mkdir_p(path, 0755, err);
    if (rc) return rc;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return cairn_error_set(err, CAIRN_EIO, "online store %s: not a directory", path);
    pthread_mutex_lock(&envs_lock);
    lmdb_env *e = envs;
    while (e && (e->dev != st.st_dev || e->ino != st.st_ino))
        e = e->next;
    if (e) {
        e->refs++;
    } else if (!(e = cairn_calloc(1, sizeof *e))) {
        rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    } else {
        e->dev = st.st_dev;
        e->ino = st.st_ino;
        e->refs = 1;
        e->map_size = map_size_override ? map_size_override : DEFAULT_MAP_SIZE;
        snprintf(e->path, sizeof e->path, "%s", path);
        if ((rc = env_create(e, err))) {
            if (e->env) mdb_env_close(e->env);
            cairn_free(e);
            e = NULL;
        } else {
            e->next = envs;
            envs = e;
        }
    }
    pthread_mutex_unlock(&envs_lock);
    *state = e;
    return rc;
}

static void lmdb_close(void *state)
{
    lmdb_env *e = state;
    pthread_mutex_lock(&envs_lock);
    if (--e->refs == 0) {
        lmdb_env **p = &envs;
        while (*p != e)
            p = &(*p)->next;
        *p = e->next;
        mdb_env_close(e->env);
        cairn_free(e);
    }
    pthread_mutex_unlock(&envs_lock);
}

/* ------------------------------------------------------------------------------------------
 * Put, get, clear
 * ---------------------------------------------------------------------------------------- */

/* Writes one row unless the stored value is as new or newer; *stored tells which. */
static int put_row(lmdb_env *e, MDB_txn *txn, const char *view, size_t view_len,
                   const cairn_online_row *row, bool *stored, cairn_error *err)
{
    char buf[KEY_CAP];
    MDB_val key = make_key(buf, view, view_len, row->key, row->key_len), val;
    *stored = false;
    int mrc = mdb_get(txn, e->dbi, &key, &val);
    if (mrc == 0) {
        if (val.mv_size < HEADER_LEN) return corrupt(e, view, val.mv_size, err);
        int64_t event_us = get_le64(val.mv_data),
                created_us = get_le64((const unsigned char *)val.mv_data + 8);
        if (event_us > row->event_us ||
            (event_us == row->event_us && created_us >= row->created_us))
            return 0;
    } else if (mrc != MDB_NOTFOUND) {
        return lmdb_error(e, mrc, "reading a stored value", err);
    }
    val.mv_size = HEADER_LEN + row->value_len;
    val.mv_data = NULL;
    if ((mrc = mdb_put(txn, e->dbi, &key, &val, MDB_RESERVE)))
        return lmdb_error(e, mrc, "writing", err);
    unsigned char *p = val.mv_data;
    put_le64(p, row->event_us);
    put_le64(p + 8, row->created_us);
    if (row->value_len) memcpy(p + HEADER_LEN, row->value, row->value_len);
    *stored = true;
    return 0;
}

static int lmdb_put(void *state, const char *view, const cairn_online_row *rows, size_t n,
                    int64_t *written, cairn_error *err)
{
    lmdb_env *e = state;
    size_t view_len = strlen(view), slice_bytes = 0;
    int64_t pending = 0;
    MDB_txn *txn = NULL;
    int mrc = mdb_txn_begin(e->env, NULL, 0, &txn);
    if (mrc) return lmdb_error(e, mrc, "beginning a write", err);
    for (size_t i = 0; i < n; i++) {
        bool stored;
        int rc = put_row(e, txn, view, view_len, &rows[i], &stored, err);
        if (rc) {
            mdb_txn_abort(txn);
            return rc;
        }
        pending += stored;
        slice_bytes += stored ? HEADER_LEN + rows[i].value_len + rows[i].key_len : 0;
        if (slice_bytes < TXN_SLICE_BYTES || i + 1 == n) continue;
        mrc = mdb_txn_commit(txn);
        txn = NULL;
        if (!mrc) mrc = mdb_txn_begin(e->env, NULL, 0, &txn);
        if (mrc) return lmdb_error(e, mrc, "committing", err);
        *written += pending;
        pending = 0;
        slice_bytes = 0;
    }
    if ((mrc = mdb_txn_commit(txn))) return lmdb_error(e, mrc, "committing", err);
    *written += pending;
    return 0;
}

static int lmdb_get(void *state, const char *view, const void *const *keys, const size_t *key_lens,
                    size_t n, cairn_online_value *out, cairn_error *err)
{
    lmdb_env *e = state;
    size_t view_len = strlen(view);
    MDB_txn *txn = NULL;
    int mrc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn);
    if (mrc) return lmdb_error(e, mrc, "beginning a read", err);
    int rc = 0;
    char buf[KEY_CAP];
    for (size_t i = 0; i < n && !rc; i++) {
        MDB_val key = make_key(buf, view, view_len, keys[i], key_lens[i]), val;
        mrc = mdb_get(txn, e->dbi, &key, &val);
        if (mrc == MDB_NOTFOUND) continue;
        if (mrc) {
            rc = lmdb_error(e, mrc, "reading", err);
        } else if (val.mv_size < HEADER_LEN) {
            rc = corrupt(e, view, val.mv_size, err);
        } else {
            const unsigned char *p = val.mv_data;
            size_t len = val.mv_size - HEADER_LEN;
            out[i].value = cairn_malloc(len ? len : 1);
            if (!out[i].value) {
                rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
                break;
            }
            memcpy(out[i].value, p + HEADER_LEN, len);
            out[i].value_len = len;
            out[i].event_us = get_le64(p);
            out[i].created_us = get_le64(p + 8);
            out[i].found = true;
        }
    }
    mdb_txn_abort(txn);
    return rc;
}

/* Deletes up to CLEAR_SLICE keys of the view in one transaction; *more when some remain. */
static int clear_slice(lmdb_env *e, const char *view, bool *more, cairn_error *err)
{
    size_t prefix_len = strlen(view) + 1;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int mrc = mdb_txn_begin(e->env, NULL, 0, &txn);
    if (!mrc) mrc = mdb_cursor_open(txn, e->dbi, &cur);
    MDB_val key = {prefix_len, (void *)view}, val;
    if (!mrc) mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
    size_t deleted = 0;
    *more = false;
    while (!mrc && key.mv_size >= prefix_len && !memcmp(key.mv_data, view, prefix_len)) {
        if (deleted == CLEAR_SLICE) {
            *more = true;
            break;
        }
        if ((mrc = mdb_cursor_del(cur, 0))) break;
        deleted++;
        mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT); /* after a delete: the next key */
    }
    if (cur) mdb_cursor_close(cur);
    if (mrc == MDB_NOTFOUND) mrc = 0;
    if (!mrc) return (mrc = mdb_txn_commit(txn)) ? lmdb_error(e, mrc, "clearing", err) : 0;
    if (txn) mdb_txn_abort(txn);
    return lmdb_error(e, mrc, "clearing", err);
}

static int lmdb_clear(void *state, const char *view, cairn_error *err)
{
    bool more = true;
    int rc = 0;
    while (more && !rc)
        rc = clear_slice(state, view, &more, err);
    return rc;
}

const cairn__online_backend cairn__online_lmdb = {
    "lmdb", LMDB_PREFIX, lmdb_open, lmdb_close, lmdb_put, lmdb_get, lmdb_clear,
};
