/* src/train/runs.c: experiment tracking (include/cairn/runs.h): experiments, runs, params,
 * tags, metrics and artifacts in the catalog (migration 7, src/catalog/migrations.c).
 *
 * Storage. A run is a row of `runs` keyed by a small row number (num) that every child table
 * uses instead of the 32-digit id. Params and tags are rows keyed (run, key). A metric is a
 * summary row in run_metrics plus its series in run_metric_chunks: chunks of up to 1,024
 * points in the order logged, every chunk but the last full, encoded as runs_internal.h
 * describes. So a (run, metric) with c points has ceil(c / 1024) chunks and the open (last)
 * one holds c mod 1024 points: appending reads and rewrites only that chunk, and the summary
 * says where it is without reading any chunk.
 *
 * Writes. Every public write is one catalog transaction: look the run up, apply every item,
 * commit; any failure aborts, so a batch is all or nothing. A batch's metric points are
 * grouped by key (stable: the order logged is kept within a key) and each key's summary and
 * open chunk are read once. Several processes logging to one run serialise on the catalog's
 * writer lock (SQLite BEGIN IMMEDIATE with its busy timeout), and each reads the summary
 * inside its own transaction, so no point is lost.
 *
 * Reads. Listing by a metric walks the index run_metrics (experiment_id, key, latest,
 * run_num) in order and stops at the limit; the runs lacking the metric (or whose latest is
 * NaN) follow, newest first, from a second query, so a page costs O(limit + offset) index
 * steps whatever the experiment's size. No read runs in a transaction (BEGIN IMMEDIATE would
 * make readers wait for writers).
 *
 * Liveness: a run records cairn.host, cairn.pid and cairn.pid_start (field 22 of
 * /proc/<pid>/stat: clock ticks since boot), so cairn_run_reap can tell a dead process, and
 * a reused pid, from a live one on the same host.
 *
 * Tests: tests/unit/train/test_runs.c, tests/integration/test_runs_cli.sh; scale:
 * bench/runs_scale.sh.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sodium.h>
#include <zstd.h>

#include "cairn/lake.h"
#include "train/runs_internal.h"

#define CHUNK CAIRN__METRIC_CHUNK_POINTS
#define EXPERIMENT_NAME_MAX 250
#define DEFAULT_LIMIT 100
#define ZSTD_LEVEL 3
#define RAW_MAX(n) (28 * (n) + 10) /* bytes of a raw chunk of n points, at most */

static int oom(cairn_error *err)
{
    return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------------------------------------
 * Chunk codec
 * ---------------------------------------------------------------------------------------- */

static uint64_t zigzag(uint64_t delta)
{
    return (delta << 1) ^ (uint64_t) - (int64_t)(delta >> 63);
}
static uint64_t unzigzag(uint64_t z)
{
    return (z >> 1) ^ (uint64_t) - (int64_t)(z & 1);
}

static size_t put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

/* 0 and *pos advanced, or -1 at the end of the input or on an over-long varint. */
static int get_varint(const uint8_t *in, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*pos >= len) return -1;
        uint8_t b = in[(*pos)++];
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

static uint64_t double_bits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

/* The raw encoding of p[0..n) into out, which holds RAW_MAX(n) bytes: a varint takes at
 * most 10 bytes. */
static size_t chunk_raw(const cairn_metric_point *p, size_t n, uint8_t *out)
{
    size_t o = put_varint(out, n);
    uint64_t prev = 0;
    for (size_t i = 0; i < n; prev = (uint64_t)p[i++].step)
        o += put_varint(out + o, zigzag((uint64_t)p[i].step - prev));
    prev = 0;
    for (size_t i = 0; i < n; prev = (uint64_t)p[i++].timestamp_ms)
        o += put_varint(out + o, zigzag((uint64_t)p[i].timestamp_ms - prev));
    prev = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t bits = double_bits(p[i].value), x = bits ^ prev;
        prev = bits;
        for (size_t b = 0; b < 8; b++)
            out[o + b * n + i] = (uint8_t)(x >> (8 * b));
    }
    return o + 8 * n;
}

int cairn__metric_chunk_encode(const cairn_metric_point *p, size_t n, cairn_buf *out)
{
    if (n == 0 || n > CHUNK) return CAIRN_EINVAL;
    size_t raw_cap = RAW_MAX(n), zcap = ZSTD_compressBound(raw_cap);
    uint8_t *raw = cairn_malloc(raw_cap + zcap + 16);
    if (!raw) return CAIRN_ENOMEM;
    size_t raw_len = chunk_raw(p, n, raw);
    uint8_t *z = raw + raw_cap;
    size_t head = put_varint(z + 1, raw_len) + 1;
    size_t zn = ZSTD_compress(z + head, zcap, raw, raw_len, ZSTD_LEVEL);
    int rc;
    if (!ZSTD_isError(zn) && head + zn < raw_len + 1) {
        z[0] = 1;
        rc = cairn_buf_append(out, z, head + zn);
    } else {
        uint8_t flags = 0;
        rc = cairn_buf_append(out, &flags, 1);
        if (rc == 0) rc = cairn_buf_append(out, raw, raw_len);
    }
    cairn_free(raw);
    return rc;
}

static int corrupt(cairn_error *err, const char *what)
{
    return cairn_error_set(err, CAIRN_ECORRUPT, "metric chunk: %s", what);
}

static int chunk_parse_raw(const uint8_t *in, size_t len, cairn_metric_point *out, size_t cap,
                           size_t *n, cairn_error *err)
{
    size_t pos = 0;
    uint64_t count = 0, v = 0;
    if (get_varint(in, len, &pos, &count) || count == 0 || count > CHUNK)
        return corrupt(err, "bad point count");
    if (count > cap) return corrupt(err, "more points than expected");
    uint64_t prev = 0;
    for (size_t i = 0; i < count; i++) {
        if (get_varint(in, len, &pos, &v)) return corrupt(err, "truncated steps");
        prev += unzigzag(v);
        out[i].step = (int64_t)prev;
    }
    prev = 0;
    for (size_t i = 0; i < count; i++) {
        if (get_varint(in, len, &pos, &v)) return corrupt(err, "truncated timestamps");
        prev += unzigzag(v);
        out[i].timestamp_ms = (int64_t)prev;
    }
    if (len - pos != 8 * count) return corrupt(err, "value bytes do not match the point count");
    prev = 0;
    for (size_t i = 0; i < count; i++) {
        uint64_t x = 0;
        for (size_t b = 0; b < 8; b++)
            x |= (uint64_t)in[pos + b * count + i] << (8 * b);
        prev ^= x;
        memcpy(&out[i].value, &prev, sizeof prev);
    }
    *n = (size_t)count;
    return 0;
}

int cairn__metric_chunk_decode(const void *data, size_t len, cairn_metric_point *out, size_t cap,
                               size_t *n, cairn_error *err)
{
    const uint8_t *in = data;
    *n = 0;
    if (len < 2 || in[0] > 1) return corrupt(err, "bad header");
    if (in[0] == 0) return chunk_parse_raw(in + 1, len - 1, out, cap, n, err);
    size_t pos = 1;
    uint64_t raw_len = 0;
    if (get_varint(in, len, &pos, &raw_len) || raw_len == 0 || raw_len > RAW_MAX(CHUNK))
        return corrupt(err, "bad raw length");
    uint8_t *raw = cairn_malloc((size_t)raw_len);
    if (!raw) return oom(err);
    size_t got = ZSTD_decompress(raw, (size_t)raw_len, in + pos, len - pos);
    int rc = ZSTD_isError(got) || got != raw_len ? corrupt(err, "zstd frame does not decode")
                                                 : chunk_parse_raw(raw, got, out, cap, n, err);
    cairn_free(raw);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Statements: prepare, bind by a format, step
 * ---------------------------------------------------------------------------------------- */

/* Binds by fmt: 's' text (NULL binds NULL), 'i' int64_t, 'd' double (NaN binds NULL),
 * 'b' blob (const void *, size_t). */
static int bind_va(cairn_stmt *st, const char *fmt, va_list ap, cairn_error *err)
{
    int rc = 0;
    for (int i = 1; rc == 0 && fmt[i - 1]; i++) {
        switch (fmt[i - 1]) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            rc = s ? cairn_stmt_bind_text(st, i, s, strlen(s)) : cairn_stmt_bind_null(st, i);
            break;
        }
        case 'i':
            rc = cairn_stmt_bind_int64(st, i, va_arg(ap, int64_t));
            break;
        case 'd': {
            double d = va_arg(ap, double);
            rc = isnan(d) ? cairn_stmt_bind_null(st, i) : cairn_stmt_bind_double(st, i, d);
            break;
        }
        case 'b': {
            const void *p = va_arg(ap, const void *);
            size_t n = va_arg(ap, size_t);
            rc = cairn_stmt_bind_blob(st, i, p, n);
            break;
        }
        default:
            rc = CAIRN_EINTERNAL;
        }
    }
    return rc ? cairn_error_set(err, rc, "binding a catalog parameter: %s", cairn_strerror(rc)) : 0;
}

/* Prepares sql and binds the arguments; *st is NULL on failure. */
static int sql_open(cairn_catalog *cat, cairn_stmt **st, cairn_error *err, const char *sql,
                    const char *fmt, ...)
{
    *st = NULL;
    int rc = cairn_catalog_prepare(cat, sql, st, err);
    if (rc) return rc;
    va_list ap;
    va_start(ap, fmt);
    rc = bind_va(*st, fmt, ap, err);
    va_end(ap);
    if (rc) {
        cairn_stmt_finalize(*st);
        *st = NULL;
    }
    return rc;
}

/* Runs a statement to completion, ignoring rows. */
static int sql_exec(cairn_catalog *cat, cairn_error *err, const char *sql, const char *fmt, ...)
{
    cairn_stmt *st = NULL;
    int rc = cairn_catalog_prepare(cat, sql, &st, err);
    if (rc) return rc;
    va_list ap;
    va_start(ap, fmt);
    rc = bind_va(st, fmt, ap, err);
    va_end(ap);
    while (rc == 0 && (rc = cairn_stmt_step(st, err)) == 1)
        rc = 0;
    cairn_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* Re-binds a prepared statement for another run of it. */
static int sql_rebind(cairn_stmt *st, cairn_error *err, const char *fmt, ...)
{
    cairn_stmt_reset(st);
    va_list ap;
    va_start(ap, fmt);
    int rc = bind_va(st, fmt, ap, err);
    va_end(ap);
    return rc;
}

static double column_double_or_nan(cairn_stmt *st, int col)
{
    return cairn_stmt_is_null(st, col) ? NAN : cairn_stmt_double(st, col);
}

/* Runs fn inside one write transaction: commit when it returns 0, abort otherwise. */
typedef int (*txn_fn)(cairn_catalog *cat, void *ud, cairn_error *err);
static int in_txn(cairn_home *home, txn_fn fn, void *ud, cairn_error *err)
{
    cairn_catalog *cat = cairn_home_catalog(home);
    int rc = cairn_catalog_begin(cat, err);
    if (rc) return rc;
    rc = fn(cat, ud, err);
    if (rc == 0) rc = cairn_catalog_commit(cat, err);
    if (rc) cairn_catalog_abort(cat);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Validation
 * ---------------------------------------------------------------------------------------- */

static bool key_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.' || c == ' ' || c == '/' || c == ':';
}

/* Keys and experiment names: MLflow's characters (letters, digits, _ - . space /) and ':'. */
static int check_name(const char *what, const char *key, size_t max, cairn_error *err)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0) return cairn_error_set(err, CAIRN_EINVAL, "%s is empty", what);
    if (n > max) {
        cairn_error_set(err, CAIRN_ELIMIT, "%s '%.60s...' is %zu bytes, more than %zu", what, key,
                        n, max);
        cairn_error_field(err, key);
        return CAIRN_ELIMIT;
    }
    for (size_t i = 0; i < n; i++) {
        if (!key_char((unsigned char)key[i])) {
            cairn_error_set(err, CAIRN_EINVAL,
                            "%s '%s' has the character '%c' at byte %zu (allowed: letters, digits, "
                            "'_', '-', '.', ' ', '/', ':')",
                            what, key, isprint((unsigned char)key[i]) ? key[i] : '?', i + 1);
            cairn_error_field(err, key);
            return CAIRN_EINVAL;
        }
    }
    return 0;
}

static int check_value(const char *what, const char *key, const char *value, size_t max,
                       cairn_error *err)
{
    if (!value) return cairn_error_set(err, CAIRN_EINVAL, "%s '%s' has no value", what, key);
    size_t n = strlen(value);
    if (n <= max) return 0;
    cairn_error_set(err, CAIRN_ELIMIT, "%s '%s': value is %zu bytes, more than %zu", what, key, n,
                    max);
    cairn_error_field(err, key);
    return CAIRN_ELIMIT;
}

static bool is_run_id(const char *id)
{
    if (!id || strlen(id) != CAIRN_RUN_ID_LEN) return false;
    for (size_t i = 0; i < CAIRN_RUN_ID_LEN; i++)
        if (!isdigit((unsigned char)id[i]) && !(id[i] >= 'a' && id[i] <= 'f')) return false;
    return true;
}

static int check_run_id(const char *id, cairn_error *err)
{
    if (is_run_id(id)) return 0;
    return cairn_error_set(err, CAIRN_EINVAL,
                           "'%.60s' is not a run id (32 lower-case hex digits; the CLI also "
                           "takes a prefix)",
                           id ? id : "(null)");
}

/* Relative, '/'-separated, no empty, "." or ".." parts, printable. */
static int check_artifact_path(const char *path, cairn_error *err)
{
    size_t n = path ? strlen(path) : 0;
    if (n == 0 || n > CAIRN_RUN_ARTIFACT_PATH_MAX)
        return cairn_error_set(err, CAIRN_EINVAL, "artifact path must be 1 to %d bytes",
                               CAIRN_RUN_ARTIFACT_PATH_MAX);
    for (const char *part = path; part;) {
        const char *slash = strchr(part, '/');
        size_t len = slash ? (size_t)(slash - part) : strlen(part);
        if (len == 0 || (len == 1 && part[0] == '.') || (len == 2 && !strncmp(part, "..", 2)))
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "artifact path '%s' must be relative, without empty, '.' or "
                                   "'..' parts",
                                   path);
        part = slash ? slash + 1 : NULL;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "artifact path has a control character at byte %zu", i + 1);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Status names, the lower-is-better rule
 * ---------------------------------------------------------------------------------------- */

static const char *const status_names[] = {"RUNNING", "FINISHED", "FAILED", "KILLED"};

const char *cairn_run_status_name(cairn_run_status status)
{
    if (status >= CAIRN_RUN_RUNNING && status <= CAIRN_RUN_KILLED) return status_names[status];
    return "ANY";
}

int cairn_run_status_parse(const char *name, cairn_run_status *out)
{
    for (int i = 0; name && i < 4; i++) {
        if (!strcasecmp(name, status_names[i])) {
            *out = (cairn_run_status)i;
            return 0;
        }
    }
    return CAIRN_EINVAL;
}

static cairn_run_status status_of(const char *text)
{
    cairn_run_status s = CAIRN_RUN_RUNNING;
    return cairn_run_status_parse(text, &s) == 0 ? s : CAIRN_RUN_KILLED;
}

bool cairn_metric_lower_is_better(const char *key)
{
    static const char *const inside[] = {"loss", "error", "brier"};
    static const char *const starts[] = {"rmse", "mse", "mae", "mape", "ece", "deviance"};
    char word[CAIRN_RUN_KEY_MAX + 1];
    for (const char *p = key ? key : ""; *p;) {
        size_t n = 0;
        while (*p && !isalnum((unsigned char)*p))
            p++;
        while (*p && isalnum((unsigned char)*p)) {
            if (n < sizeof word - 1) word[n++] = (char)tolower((unsigned char)*p);
            p++;
        }
        word[n] = '\0';
        for (size_t i = 0; n && i < sizeof inside / sizeof *inside; i++)
            if (strstr(word, inside[i])) return true;
        for (size_t i = 0; n && i < sizeof starts / sizeof *starts; i++)
            if (!strncmp(word, starts[i], strlen(starts[i]))) return true;
    }
    return false;
}

/* ------------------------------------------------------------------------------------------
 * Experiments
 * ---------------------------------------------------------------------------------------- */

static int experiment_lookup(cairn_catalog *cat, const char *name, int64_t *id, cairn_error *err)
{
    cairn_stmt *st;
    int rc = sql_open(cat, &st, err, "SELECT id FROM run_experiments WHERE name = ?", "s", name);
    if (rc) return rc;
    rc = cairn_stmt_step(st, err);
    if (rc == 1) *id = cairn_stmt_int64(st, 0);
    cairn_stmt_finalize(st);
    if (rc == 0) {
        cairn_error_set(err, CAIRN_ENOTFOUND, "no experiment '%s' (see `cairn runs experiments`)",
                        name);
        cairn_error_field(err, name);
        return CAIRN_ENOTFOUND;
    }
    return rc < 0 ? rc : 0;
}

/* Inside a transaction. */
static int experiment_ensure_txn(cairn_catalog *cat, const char *name, int64_t *id, bool *created,
                                 cairn_error *err)
{
    *created = false;
    int rc = experiment_lookup(cat, name, id, err);
    if (rc != CAIRN_ENOTFOUND) return rc;
    cairn_error_clear(err);
    rc = sql_exec(cat, err,
                  "INSERT INTO run_experiments (id, name, created_us) "
                  "SELECT COALESCE(MAX(id), 0) + 1, ?, ? FROM run_experiments",
                  "si", name, cairn_now_us());
    if (rc == 0) rc = experiment_lookup(cat, name, id, err);
    if (rc == 0) *created = true;
    return rc;
}

typedef struct ensure_args {
    const char *name;
    int64_t id;
    bool created;
} ensure_args;

static int ensure_txn(cairn_catalog *cat, void *ud, cairn_error *err)
{
    ensure_args *a = ud;
    return experiment_ensure_txn(cat, a->name, &a->id, &a->created, err);
}

int cairn_experiment_ensure(cairn_home *home, const char *name, int64_t *id, bool *created,
                            cairn_error *err)
{
    int rc = check_name("experiment name", name, EXPERIMENT_NAME_MAX, err);
    if (rc) return rc;
    ensure_args a = {.name = name};
    rc = in_txn(home, ensure_txn, &a, err);
    if (rc == 0) {
        if (id) *id = a.id;
        if (created) *created = a.created;
    }
    return rc;
}

typedef struct exp_tag_args {
    const char *name, *key, *value;
} exp_tag_args;

static int exp_tag_txn(cairn_catalog *cat, void *ud, cairn_error *err)
{
    exp_tag_args *a = ud;
    int64_t id = 0;
    int rc = experiment_lookup(cat, a->name, &id, err);
    if (rc == 0)
        rc =
            sql_exec(cat, err,
                     "INSERT INTO run_experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) "
                     "ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
                     "iss", id, a->key, a->value);
    return rc;
}

int cairn_experiment_set_tag(cairn_home *home, const char *name, const char *key, const char *value,
                             cairn_error *err)
{
    int rc = check_name("tag key", key, CAIRN_RUN_KEY_MAX, err);
    if (rc == 0) rc = check_value("tag", key, value, CAIRN_RUN_TAG_VALUE_MAX, err);
    if (rc) return rc;
    exp_tag_args a = {name, key, value};
    return in_txn(home, exp_tag_txn, &a, err);
}

/* Collects (key, value) rows of st into an arena array. */
static int load_kvs(cairn_stmt *st, cairn_arena *arena, cairn_run_kv **out, size_t *count,
                    cairn_error *err)
{
    cairn_run_kv *v = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = cairn_stmt_step(st, err)) == 1) {
        if (cairn_grow((void **)&v, &cap, n + 1, sizeof *v)) {
            rc = oom(err);
            break;
        }
        v[n].key = cairn_arena_strdup(arena, cairn_stmt_text(st, 0, NULL));
        v[n].value = cairn_arena_strdup(arena, cairn_stmt_text(st, 1, NULL));
        if (!v[n].key || !v[n].value) {
            rc = oom(err);
            break;
        }
        n++;
    }
    *out = NULL;
    *count = 0;
    if (rc == 0 && n) {
        *out = cairn_arena_alloc(arena, n * sizeof *v);
        if (!*out)
            rc = oom(err);
        else {
            memcpy(*out, v, n * sizeof *v);
            *count = n;
        }
    }
    cairn_free(v);
    return rc < 0 ? rc : 0;
}

void cairn_experiments_release(cairn_experiments *list)
{
    if (!list) return;
    cairn_arena_release(&list->arena);
    memset(list, 0, sizeof *list);
}

static int experiment_rows(cairn_catalog *cat, cairn_experiments *out,
                           cairn_experiment_info **items, size_t *cap, cairn_error *err)
{
    cairn_stmt *st;
    int rc = sql_open(
        cat, &st, err,
        "SELECT e.id, e.name, e.created_us, "
        "(SELECT COUNT(*) FROM runs r WHERE r.experiment_id = e.id), "
        "(SELECT COUNT(*) FROM runs r WHERE r.experiment_id = e.id AND r.status = 'RUNNING') "
        "FROM run_experiments e ORDER BY e.name",
        "");
    while (rc == 0 && (rc = cairn_stmt_step(st, err)) == 1) {
        rc = 0;
        if (cairn_grow((void **)items, cap, out->count + 1, sizeof **items)) {
            rc = oom(err);
            break;
        }
        cairn_experiment_info *e = &(*items)[out->count];
        memset(e, 0, sizeof *e);
        e->id = cairn_stmt_int64(st, 0);
        e->name = cairn_arena_strdup(&out->arena, cairn_stmt_text(st, 1, NULL));
        e->created_us = cairn_stmt_int64(st, 2);
        e->runs = cairn_stmt_int64(st, 3);
        e->runs_active = cairn_stmt_int64(st, 4);
        if (!e->name)
            rc = oom(err);
        else
            out->count++;
    }
    cairn_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int cairn_experiment_list(cairn_home *home, cairn_experiments *out, cairn_error *err)
{
    memset(out, 0, sizeof *out);
    cairn_arena_init(&out->arena, 0);
    cairn_catalog *cat = cairn_home_catalog(home);
    cairn_experiment_info *items = NULL;
    size_t cap = 0;
    int rc = experiment_rows(cat, out, &items, &cap, err);
    cairn_stmt *st = NULL;
    if (rc == 0)
        rc = sql_open(
            cat, &st, err,
            "SELECT key, value FROM run_experiment_tags WHERE experiment_id = ? ORDER BY key", "i",
            (int64_t)0);
    for (size_t i = 0; rc == 0 && i < out->count; i++) {
        rc = sql_rebind(st, err, "i", items[i].id);
        if (rc == 0) rc = load_kvs(st, &out->arena, &items[i].tags, &items[i].ntags, err);
    }
    cairn_stmt_finalize(st);
    if (rc == 0 && out->count) {
        out->items = cairn_arena_alloc(&out->arena, out->count * sizeof *items);
        if (!out->items)
            rc = oom(err);
        else
            memcpy(out->items, items, out->count * sizeof *items);
    }
    cairn_free(items);
    if (rc) {
        cairn_experiments_release(out);
        cairn_arena_init(&out->arena, 0);
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Runs: the process's identity, create, end
 * ---------------------------------------------------------------------------------------- */

/* Field 22 of /proc/<pid>/stat (start time in clock ticks since boot) as text, or "" when it
 * cannot be read (no /proc, no such process). The command name (field 2) may hold spaces
 * and parentheses, so fields are counted after its last ')'. */
static void process_start(long pid, char *out, size_t cap)
{
    char path[64], text[1024];
    out[0] = '\0';
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *p = strrchr(text, ')');
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    if (!p) return;
    p++;
    size_t len = strspn(p, "0123456789");
    if (len && len < cap) {
        memcpy(out, p, len);
        out[len] = '\0';
    }
}

static void host_name(char *out, size_t cap)
{
    if (gethostname(out, cap) != 0 || !out[0]) snprintf(out, cap, "localhost");
    out[cap - 1] = '\0';
}

static int64_t cpu_time_us(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * CAIRN_US_PER_SECOND +
           ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

typedef struct run_ref {
    int64_t num;
    int64_t experiment_id;
    int64_t start_us;
} run_ref;

static int run_lookup(cairn_catalog *cat, const char *id, run_ref *ref, cairn_error *err)
{
    cairn_stmt *st;
    *ref = (run_ref){0};
    int rc = sql_open(cat, &st, err, "SELECT num, experiment_id, start_us FROM runs WHERE id = ?",
                      "s", id);
    if (rc) return rc;
    rc = cairn_stmt_step(st, err);
    if (rc == 1) {
        ref->num = cairn_stmt_int64(st, 0);
        ref->experiment_id = cairn_stmt_int64(st, 1);
        ref->start_us = cairn_stmt_int64(st, 2);
    }
    cairn_stmt_finalize(st);
    if (rc == 0) return cairn_error_set(err, CAIRN_ENOTFOUND, "no run %s", id);
    return rc < 0 ? rc : 0;
}

static int put_tag(cairn_catalog *cat, int64_t num, const char *key, const char *value,
                   cairn_error *err)
{
    return sql_exec(cat, err,
                    "INSERT INTO run_tags (run_num, key, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (run_num, key) DO UPDATE SET value = excluded.value",
                    "iss", num, key, value);
}

typedef struct create_args {
    const cairn_run_options *opts;
    char id[CAIRN_RUN_ID_LEN + 1];
} create_args;

/* Cairn's own tags of a new run (include/cairn/runs.h). */
static int system_tags(cairn_catalog *cat, int64_t num, cairn_error *err)
{
    char host[256], pid[32], start[32], cpu[32];
    host_name(host, sizeof host);
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    process_start((long)getpid(), start, sizeof start);
    snprintf(cpu, sizeof cpu, "%lld", (long long)cpu_time_us());
    /* one statement: a run is created per trial, and each statement costs a parse */
    return sql_exec(cat, err,
                    "INSERT INTO run_tags (run_num, key, value) VALUES (?, 'cairn.version', ?), "
                    "(?, 'cairn.host', ?), (?, 'cairn.pid', ?), (?, 'cairn.pid_start', ?), "
                    "(?, 'cairn.cpu_start_us', ?)",
                    "isisisisis", num, cairn_version(), num, host, num, pid, num, start, num, cpu);
}

static int create_txn(cairn_catalog *cat, void *ud, cairn_error *err)
{
    create_args *a = ud;
    const cairn_run_options *o = a->opts;
    int64_t exp_id = 0;
    bool created;
    int rc = experiment_ensure_txn(cat, o->experiment, &exp_id, &created, err);
    run_ref parent;
    if (rc == 0 && o->parent_id) {
        rc = run_lookup(cat, o->parent_id, &parent, err);
        if (rc == CAIRN_ENOTFOUND) cairn_error_prefix(err, "parent run: ");
    }
    const char *user = o->user ? o->user : getenv("USER");
    if (!user || !*user) user = "cairn";
    if (rc == 0)
        rc =
            sql_exec(cat, err,
                     "INSERT INTO runs (num, id, experiment_id, parent_id, name, status, start_us, "
                     "end_us, user_name, source) SELECT COALESCE(MAX(num), 0) + 1, ?, ?, ?, ?, "
                     "'RUNNING', ?, NULL, ?, ? FROM runs",
                     "sississ", a->id, exp_id, o->parent_id, o->name && *o->name ? o->name : NULL,
                     cairn_now_us(), user, o->source);
    run_ref ref;
    if (rc == 0) rc = run_lookup(cat, a->id, &ref, err);
    if (rc == 0) rc = system_tags(cat, ref.num, err);
    for (size_t i = 0; rc == 0 && i < o->ntags; i++)
        rc = put_tag(cat, ref.num, o->tags[i].key, o->tags[i].value, err);
    return rc;
}

static void new_run_id(char id[CAIRN_RUN_ID_LEN + 1])
{
    uint8_t raw[CAIRN_RUN_ID_LEN / 2];
    randombytes_buf(raw, sizeof raw);
    cairn_hex_encode(raw, sizeof raw, id);
}

int cairn_run_create(cairn_home *home, const cairn_run_options *opts, char id[CAIRN_RUN_ID_LEN + 1],
                     cairn_error *err)
{
    id[0] = '\0';
    if (!opts) return cairn_error_set(err, CAIRN_EINVAL, "no run options");
    int rc = check_name("experiment name", opts->experiment, EXPERIMENT_NAME_MAX, err);
    if (rc == 0 && opts->parent_id) rc = check_run_id(opts->parent_id, err);
    for (size_t i = 0; rc == 0 && i < opts->ntags; i++) {
        rc = check_name("tag key", opts->tags[i].key, CAIRN_RUN_KEY_MAX, err);
        if (rc == 0)
            rc = check_value("tag", opts->tags[i].key, opts->tags[i].value, CAIRN_RUN_TAG_VALUE_MAX,
                             err);
    }
    if (rc) return rc;
    if (sodium_init() < 0)
        return cairn_error_set(err, CAIRN_EINTERNAL, "libsodium failed to initialise");
    create_args a = {.opts = opts};
    new_run_id(a.id);
    rc = in_txn(home, create_txn, &a, err);
    if (rc == 0) memcpy(id, a.id, sizeof a.id);
    return rc;
}

static int reopen_txn(cairn_catalog *cat, void *ud, cairn_error *err)
{
    run_ref ref;
    int rc = run_lookup(cat, ud, &ref, err);
    if (rc == 0)
        rc = sql_exec(cat, err, "UPDATE runs SET status = 'RUNNING', end_us = NULL WHERE num = ?", "i",
                      ref.num);
    /* this process owns it now: the reaper and the CPU accounting look at these */
    if (rc == 0)
        rc = sql_exec(cat, err, "DELETE FROM run_tags WHERE run_num = ? AND key IN ('cairn.host', "
                      "'cairn.pid', 'cairn.pid_start', 'cairn.cpu_start_us', 'cairn.version')", "i", ref.num);
    if (rc == 0) rc = system_tags(cat, ref.num, err);
    return rc;
}

int cairn_run_reopen(cairn_home *home, const char *run_id, cairn_error *err)
{
    int rc = check_run_id(run_id, err);
    return rc ? rc : in_txn(home, reopen_txn, (void *)run_id, err);
}

typedef struct end_args {
    const char *id;
    cairn_run_status status;
} end_args;

static int end_txn(cairn_catalog *cat, void *ud, cairn_error *err)
{
    end_args *a = ud;
    run_ref ref;
    int rc = run_lookup(cat, a->id, &ref, err);
    if (rc == 0)
        rc = sql_exec(cat, err, "UPDATE runs SET status = ?, end_us = ? WHERE num = ?", "sii",
                      cairn_run_status_name(a->status), cairn_now_us(), ref.num);
    return rc;
}

int cairn_run_end(cairn_home *home, const char *run_id, cairn_run_status status, cairn_error *err)
{
    int rc = check_run_id(run_id, err);
    if (rc) return rc;
    if (status != CAIRN_RUN_FINISHED && status != CAIRN_RUN_FAILED && status != CAIRN_RUN_KILLED)
        return cairn_error_set(err, CAIRN_EINVAL, "a run ends FINISHED, FAILED or KILLED, not %s",
                               cairn_run_status_name(status));
    end_args a = {run_id, status};
    return in_txn(home, end_txn, &a, err);
}

/* The value of a run's tag into out ("" when absent). */
static int tag_value(cairn_catalog *cat, int64_t num, const char *key, char *out, size_t cap,
                     cairn_error *err)
{
    cairn_stmt *st;
    out[0] = '\0';
    int rc = sql_open(cat, &st, err, "SELECT value FROM run_tags WHERE run_num = ? AND key = ?",
                      "is", num, key);
    if (rc) return rc;
    rc = cairn_stmt_step(st, err);
    if (rc == 1) snprintf(out, cap, "%s", cairn_stmt_text(st, 0, NULL));
    cairn_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

static int sysinfo_txn(cairn_catalog *cat, void *ud, cairn_error *err)
{
    const char *id = ud;
    run_ref ref;
    char pid[32], start[32], cpu0[32], mine[32], text[64];
    int rc = run_lookup(cat, id, &ref, err);
    if (rc == 0) rc = tag_value(cat, ref.num, "cairn.pid", pid, sizeof pid, err);
    if (rc == 0) rc = tag_value(cat, ref.num, "cairn.pid_start", start, sizeof start, err);
    if (rc == 0) rc = tag_value(cat, ref.num, "cairn.cpu_start_us", cpu0, sizeof cpu0, err);
    if (rc) return rc;
    process_start((long)getpid(), mine, sizeof mine);
    int64_t cpu = cpu_time_us();
    if (atol(pid) == (long)getpid() && !strcmp(start, mine) && cpu0[0])
        cpu -= strtoll(cpu0, NULL, 10);
    struct rusage ru;
    double rss_mb = getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : 0.0;
    snprintf(text, sizeof text, "%.3f", (double)cpu / 1e6);
    rc = put_tag(cat, ref.num, "cairn.system.cpu_s", text, err);
    snprintf(text, sizeof text, "%.3f", (double)(cairn_now_us() - ref.start_us) / 1e6);
    if (rc == 0) rc = put_tag(cat, ref.num, "cairn.system.wall_s", text, err);
    snprintf(text, sizeof text, "%.1f", rss_mb);
    if (rc == 0) rc = put_tag(cat, ref.num, "cairn.system.peak_rss_mb", text, err);
    return rc;
}

int cairn_run_set_system_info(cairn_home *home, const char *run_id, cairn_error *err)
{
    int rc = check_run_id(run_id, err);
    return rc ? rc : in_txn(home, sysinfo_txn, (void *)run_id, err);
}

/* ------------------------------------------------------------------------------------------
 * Logging: params, tags, metric points
 * ---------------------------------------------------------------------------------------- */

static int log_param(cairn_catalog *cat, int64_t num, const char *run_id, const cairn_run_kv *kv,
                     cairn_error *err)
{
    cairn_stmt *st;
    int rc = sql_open(cat, &st, err, "SELECT value FROM run_params WHERE run_num = ? AND key = ?",
                      "is", num, kv->key);
    if (rc) return rc;
    rc = cairn_stmt_step(st, err);
    if (rc == 1) {
        size_t len;
        const char *old = cairn_stmt_text(st, 0, &len);
        if (len == strlen(kv->value) && !memcmp(old, kv->value, len)) {
            rc = 0; /* the same value again: a no-op */
        } else {
            cairn_error_set(err, CAIRN_ECONFLICT,
                            "param '%s' of run %.12s is already '%.200s'; refusing '%.200s' "
                            "(params are write-once)",
                            kv->key, run_id, old, kv->value);
            cairn_error_field(err, kv->key);
            cairn_error_expect(err, old, kv->value, strlen(kv->value));
            rc = CAIRN_ECONFLICT;
        }
        cairn_stmt_finalize(st);
        return rc;
    }
    cairn_stmt_finalize(st);
    if (rc < 0) return rc;
    return sql_exec(cat, err, "INSERT INTO run_params (run_num, key, value) VALUES (?, ?, ?)",
                    "iss", num, kv->key, kv->value);
}

/* The summary of one (run, key) while appending. */
typedef struct summary {
    double latest, min, max;
    int64_t step, ts, count;
    bool has_minmax;
} summary;

static void summary_fold(summary *s, const cairn_metric_point *p)
{
    if (s->count == 0 || p->step > s->step || (p->step == s->step && p->timestamp_ms >= s->ts)) {
        s->latest = p->value;
        s->step = p->step;
        s->ts = p->timestamp_ms;
    }
    if (!isnan(p->value)) {
        if (!s->has_minmax || p->value < s->min) s->min = p->value;
        if (!s->has_minmax || p->value > s->max) s->max = p->value;
        s->has_minmax = true;
    }
    s->count++;
}

static int summary_load(cairn_catalog *cat, int64_t num, const char *key, summary *s,
                        cairn_error *err)
{
    memset(s, 0, sizeof *s);
    cairn_stmt *st;
    int rc =
        sql_open(cat, &st, err,
                 "SELECT latest, step, timestamp_ms, min_value, max_value, count FROM run_metrics "
                 "WHERE run_num = ? AND key = ?",
                 "is", num, key);
    if (rc) return rc;
    rc = cairn_stmt_step(st, err);
    if (rc == 1) {
        s->latest = column_double_or_nan(st, 0);
        s->step = cairn_stmt_int64(st, 1);
        s->ts = cairn_stmt_int64(st, 2);
        s->has_minmax = !cairn_stmt_is_null(st, 3);
        s->min = column_double_or_nan(st, 3);
        s->max = column_double_or_nan(st, 4);
        s->count = cairn_stmt_int64(st, 5);
    }
    cairn_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* Reads chunk seq of (num, key) into pts, which holds CHUNK points; expects `want` points. */
static int chunk_load(cairn_catalog *cat, int64_t num, const char *key, int64_t seq, size_t want,
                      cairn_metric_point *pts, cairn_error *err)
{
    cairn_stmt *st;
    int rc =
        sql_open(cat, &st, err,
                 "SELECT data FROM run_metric_chunks WHERE run_num = ? AND key = ? AND seq = ?",
                 "isi", num, key, seq);
    if (rc) return rc;
    rc = cairn_stmt_step(st, err);
    size_t n = 0;
    if (rc == 1) {
        size_t len;
        const void *data = cairn_stmt_blob(st, 0, &len);
        rc = cairn__metric_chunk_decode(data, len, pts, CHUNK, &n, err);
        if (rc == 0 && n != want) rc = corrupt(err, "point count disagrees with the summary");
    } else if (rc == 0) {
        rc = corrupt(err, "the open chunk is missing");
    }
    cairn_stmt_finalize(st);
    if (rc) cairn_error_prefix(err, "metric '%s': ", key);
    return rc;
}

/* Appends pts[0..n) (in the order logged) to metric key of run ref. */
static int append_points(cairn_catalog *cat, const run_ref *ref, const char *key,
                         const cairn_metric_point *pts, size_t n, cairn_error *err)
{
    summary s;
    int rc = summary_load(cat, ref->num, key, &s, err);
    if (rc) return rc;
    int64_t seq = s.count / CHUNK;
    size_t open = (size_t)(s.count % CHUNK);
    cairn_metric_point *buf = cairn_malloc(CHUNK * sizeof *buf);
    cairn_buf enc;
    cairn_buf_init(&enc, 0);
    if (!buf) return oom(err);
    if (open) rc = chunk_load(cat, ref->num, key, seq, open, buf, err);
    for (size_t i = 0; rc == 0 && i < n;) {
        size_t take = CHUNK - open < n - i ? CHUNK - open : n - i;
        memcpy(buf + open, pts + i, take * sizeof *pts);
        open += take;
        i += take;
        cairn_buf_reset(&enc);
        rc = cairn__metric_chunk_encode(buf, open, &enc) ? oom(err) : 0;
        if (rc == 0)
            rc = sql_exec(cat, err,
                          "INSERT INTO run_metric_chunks (run_num, key, seq, points, data) VALUES "
                          "(?, ?, ?, ?, ?) "
                          "ON CONFLICT (run_num, key, seq) DO UPDATE SET points = excluded.points, "
                          "data = excluded.data",
                          "isiib", ref->num, key, seq, (int64_t)open, (const void *)enc.data,
                          enc.len);
        if (open == CHUNK) {
            open = 0;
            seq++;
        }
    }
    cairn_buf_release(&enc);
    cairn_free(buf);
    for (size_t i = 0; i < n; i++)
        summary_fold(&s, &pts[i]);
    if (rc == 0)
        rc = sql_exec(
            cat, err,
            "INSERT INTO run_metrics (run_num, key, experiment_id, latest, step, timestamp_ms, "
            "min_value, max_value, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (run_num, key) DO UPDATE SET latest = excluded.latest, step = "
            "excluded.step, "
            "timestamp_ms = excluded.timestamp_ms, min_value = excluded.min_value, "
            "max_value = excluded.max_value, count = excluded.count",
            "isidiiddi", ref->num, key, ref->experiment_id, s.latest, s.step, s.ts,
            s.has_minmax ? s.min : NAN, s.has_minmax ? s.max : NAN, s.count);
    return rc;
}

typedef struct batch_args {
    const char *run_id;
    const cairn_run_batch *batch;
    const size_t *order; /* metric indices grouped by key, in the order logged within a key */
    int64_t now_ms;
} batch_args;

static int log_metrics(cairn_catalog *cat, const run_ref *ref, const batch_args *a,
                       cairn_error *err)
{
    const cairn_run_metric *m = a->batch->metrics;
    size_t total = a->batch->nmetrics;
    cairn_metric_point *pts = total ? cairn_malloc(total * sizeof *pts) : NULL;
    if (total && !pts) return oom(err);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < total;) {
        const char *key = m[a->order[i]].key;
        size_t n = 0;
        for (; i < total && !strcmp(m[a->order[i]].key, key); i++, n++) {
            const cairn_run_metric *x = &m[a->order[i]];
            pts[n] = (cairn_metric_point){x->step, x->timestamp_ms ? x->timestamp_ms : a->now_ms,
                                          x->value};
        }
        rc = append_points(cat, ref, key, pts, n, err);
    }
    cairn_free(pts);
    return rc;
}

static int batch_txn(cairn_catalog *cat, void *ud, cairn_error *err)
{
    batch_args *a = ud;
    const cairn_run_batch *b = a->batch;
    run_ref ref;
    int rc = run_lookup(cat, a->run_id, &ref, err);
    for (size_t i = 0; rc == 0 && i < b->nparams; i++)
        rc = log_param(cat, ref.num, a->run_id, &b->params[i], err);
    for (size_t i = 0; rc == 0 && i < b->ntags; i++)
        rc = put_tag(cat, ref.num, b->tags[i].key, b->tags[i].value, err);
    if (rc == 0) rc = log_metrics(cat, &ref, a, err);
    return rc;
}

static int check_batch(const cairn_run_batch *b, cairn_error *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < b->nparams; i++) {
        rc = check_name("param key", b->params[i].key, CAIRN_RUN_KEY_MAX, err);
        if (rc == 0)
            rc = check_value("param", b->params[i].key, b->params[i].value,
                             CAIRN_RUN_PARAM_VALUE_MAX, err);
    }
    for (size_t i = 0; rc == 0 && i < b->ntags; i++) {
        rc = check_name("tag key", b->tags[i].key, CAIRN_RUN_KEY_MAX, err);
        if (rc == 0)
            rc = check_value("tag", b->tags[i].key, b->tags[i].value, CAIRN_RUN_TAG_VALUE_MAX, err);
    }
    for (size_t i = 0; rc == 0 && i < b->nmetrics; i++) {
        /* a batch is mostly runs of one key: check each run's key once */
        bool same = i && b->metrics[i].key && b->metrics[i - 1].key &&
                    (b->metrics[i].key == b->metrics[i - 1].key ||
                     !strcmp(b->metrics[i].key, b->metrics[i - 1].key));
        if (!same) rc = check_name("metric key", b->metrics[i].key, CAIRN_RUN_KEY_MAX, err);
        if (rc == 0 && b->metrics[i].timestamp_ms < 0) {
            cairn_error_set(err, CAIRN_ERANGE, "metric '%s': negative timestamp %lld ms",
                            b->metrics[i].key, (long long)b->metrics[i].timestamp_ms);
            rc = CAIRN_ERANGE;
        }
    }
    return rc;
}

typedef struct keyed_index {
    const char *key;
    size_t index;
} keyed_index;

static int cmp_keyed(const void *x, const void *y)
{
    const keyed_index *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* The metrics' indices grouped by key, the order logged kept within a key; input already
 * grouped in key order (one key, or keys in order) skips the sort. */
static size_t *metric_order(const cairn_run_metric *m, size_t n)
{
    size_t *order = cairn_malloc((n ? n : 1) * sizeof *order);
    if (!order) return NULL;
    bool sorted = true;
    for (size_t i = 0; i < n; i++) {
        order[i] = i;
        if (i && strcmp(m[i - 1].key, m[i].key) > 0) sorted = false;
    }
    if (sorted) return order;
    keyed_index *tmp = cairn_malloc(n * sizeof *tmp);
    if (!tmp) {
        cairn_free(order);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        tmp[i] = (keyed_index){m[i].key, i};
    qsort(tmp, n, sizeof *tmp, cmp_keyed);
    for (size_t i = 0; i < n; i++)
        order[i] = tmp[i].index;
    cairn_free(tmp);
    return order;
}

int cairn_run_log_batch(cairn_home *home, const char *run_id, const cairn_run_batch *batch,
                        cairn_error *err)
{
    int rc = check_run_id(run_id, err);
    if (rc == 0 && !batch) rc = cairn_error_set(err, CAIRN_EINVAL, "no batch");
    if (rc == 0) rc = check_batch(batch, err);
    if (rc) return rc;
    size_t *order = metric_order(batch->metrics, batch->nmetrics);
    if (!order) return oom(err);
    batch_args a = {run_id, batch, order, cairn_now_us() / 1000};
    rc = in_txn(home, batch_txn, &a, err);
    cairn_free(order);
    return rc;
}

int cairn_run_log_param(cairn_home *home, const char *run_id, const char *key, const char *value,
                        cairn_error *err)
{
    cairn_run_kv kv = {key, value};
    cairn_run_batch b = {.params = &kv, .nparams = 1};
    return cairn_run_log_batch(home, run_id, &b, err);
}

int cairn_run_set_tag(cairn_home *home, const char *run_id, const char *key, const char *value,
                      cairn_error *err)
{
    cairn_run_kv kv = {key, value};
    cairn_run_batch b = {.tags = &kv, .ntags = 1};
    return cairn_run_log_batch(home, run_id, &b, err);
}

int cairn_run_log_metric(cairn_home *home, const char *run_id, const char *key, double value,
                         int64_t step, int64_t timestamp_ms, cairn_error *err)
{
    cairn_run_metric m = {key, value, step, timestamp_ms};
    cairn_run_batch b = {.metrics = &m, .nmetrics = 1};
    return cairn_run_log_batch(home, run_id, &b, err);
}

/* ------------------------------------------------------------------------------------------
 * Artifacts
 * ---------------------------------------------------------------------------------------- */

typedef struct artifact_args {
    const char *run_id, *path, *object;
    int64_t bytes;
} artifact_args;

static int artifact_txn(cairn_catalog *cat, void *ud, cairn_error *err)
{
    artifact_args *a = ud;
    run_ref ref;
    int rc = run_lookup(cat, a->run_id, &ref, err);
    if (rc == 0)
        rc = sql_exec(cat, err,
                      "INSERT INTO run_artifacts (run_num, path, object, bytes, logged_us) VALUES "
                      "(?, ?, ?, ?, ?) "
                      "ON CONFLICT (run_num, path) DO UPDATE SET object = excluded.object, "
                      "bytes = excluded.bytes, logged_us = excluded.logged_us",
                      "issii", ref.num, a->path, a->object, a->bytes, cairn_now_us());
    return rc;
}

int cairn_run_log_artifact(cairn_home *home, const char *run_id, const char *path, const void *data,
                           size_t len, char object[65], cairn_error *err)
{
    int rc = check_run_id(run_id, err);
    if (rc == 0) rc = check_artifact_path(path, err);
    if (rc) return rc;
    char id[65];
    run_ref ref;
    /* the run first (no object is stored for a run that does not exist), then the object:
     * the catalog only ever points at complete objects */
    rc = run_lookup(cairn_home_catalog(home), run_id, &ref, err);
    if (rc == 0)
        rc = cairn_object_put(cairn_home_path(home), data ? data : "", data ? len : 0, id, err);
    artifact_args a = {run_id, path, id, (int64_t)len};
    if (rc == 0) rc = in_txn(home, artifact_txn, &a, err);
    if (rc == 0 && object) memcpy(object, id, sizeof id);
    return rc;
}

int cairn_run_artifact_get(cairn_home *home, const char *run_id, const char *path, cairn_buf *out,
                           cairn_error *err)
{
    int rc = check_run_id(run_id, err);
    if (rc) return rc;
    cairn_stmt *st;
    rc = sql_open(cairn_home_catalog(home), &st, err,
                  "SELECT a.object FROM run_artifacts a JOIN runs r ON r.num = a.run_num "
                  "WHERE r.id = ? AND a.path = ?",
                  "ss", run_id, path);
    if (rc) return rc;
    char object[65] = "";
    rc = cairn_stmt_step(st, err);
    if (rc == 1) snprintf(object, sizeof object, "%s", cairn_stmt_text(st, 0, NULL));
    cairn_stmt_finalize(st);
    if (rc == 0)
        return cairn_error_set(err, CAIRN_ENOTFOUND, "run %.12s has no artifact '%s'", run_id,
                               path);
    if (rc < 0) return rc;
    return cairn_object_get(cairn_home_path(home), object, out, err);
}

/* ------------------------------------------------------------------------------------------
 * Queries: resolve, list, details, get, compare, history
 * ---------------------------------------------------------------------------------------- */

int cairn_run_resolve(cairn_home *home, const char *prefix, char id[CAIRN_RUN_ID_LEN + 1],
                      cairn_error *err)
{
    id[0] = '\0';
    char lower[CAIRN_RUN_ID_LEN + 2];
    size_t n = prefix ? strlen(prefix) : 0;
    if (n < CAIRN_RUN_ID_PREFIX_MIN || n > CAIRN_RUN_ID_LEN)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "run id prefix '%.40s' must be %d to %d hex digits",
                               prefix ? prefix : "", CAIRN_RUN_ID_PREFIX_MIN, CAIRN_RUN_ID_LEN);
    for (size_t i = 0; i < n; i++) {
        lower[i] = (char)tolower((unsigned char)prefix[i]);
        if (!isxdigit((unsigned char)prefix[i]))
            return cairn_error_set(err, CAIRN_EINVAL, "run id prefix '%s' is not hexadecimal",
                                   prefix);
    }
    lower[n] = '\0';
    char upper[CAIRN_RUN_ID_LEN + 2];
    snprintf(upper, sizeof upper, "%sg", lower); /* 'g' sorts after every hex digit */
    cairn_stmt *st;
    int rc = sql_open(cairn_home_catalog(home), &st, err,
                      "SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 2", "ss",
                      lower, upper);
    if (rc) return rc;
    char found[2][CAIRN_RUN_ID_LEN + 1];
    int count = 0;
    while ((rc = cairn_stmt_step(st, err)) == 1)
        snprintf(found[count++], sizeof found[0], "%s", cairn_stmt_text(st, 0, NULL));
    cairn_stmt_finalize(st);
    if (rc < 0) return rc;
    if (count == 0) return cairn_error_set(err, CAIRN_ENOTFOUND, "no run with id %s...", lower);
    if (count > 1)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "run id prefix %s is ambiguous (%s, %s, ...): give more digits",
                               lower, found[0], found[1]);
    memcpy(id, found[0], sizeof found[0]);
    return 0;
}

void cairn_runs_release(cairn_runs *runs)
{
    if (!runs) return;
    cairn_arena_release(&runs->arena);
    memset(runs, 0, sizeof *runs);
}

cairn_run_query cairn_run_query_default(void)
{
    return (cairn_run_query){.status = CAIRN_RUN_ANY};
}

/* Runs collected before they move into the result's arena. */
typedef struct collect {
    cairn_runs *out;
    cairn_run_info *items;
    int64_t *nums;
    size_t n, cap, cap_nums;
} collect;

#define RUN_COLS                                                                                   \
    "r.num, r.id, e.name, r.parent_id, r.name, r.status, r.start_us, r.end_us, r.user_name, "      \
    "r.source"

static const char *arena_text(cairn_arena *a, cairn_stmt *st, int col)
{
    return cairn_arena_strdup(a, cairn_stmt_text(st, col, NULL));
}

static int collect_row(collect *c, cairn_stmt *st, cairn_error *err)
{
    if (cairn_grow((void **)&c->items, &c->cap, c->n + 1, sizeof *c->items) ||
        cairn_grow((void **)&c->nums, &c->cap_nums, c->n + 1, sizeof *c->nums))
        return oom(err);
    cairn_arena *a = &c->out->arena;
    cairn_run_info *r = &c->items[c->n];
    memset(r, 0, sizeof *r);
    c->nums[c->n] = cairn_stmt_int64(st, 0);
    snprintf(r->id, sizeof r->id, "%s", cairn_stmt_text(st, 1, NULL));
    r->experiment = arena_text(a, st, 2);
    snprintf(r->parent_id, sizeof r->parent_id, "%s", cairn_stmt_text(st, 3, NULL));
    r->name = arena_text(a, st, 4);
    r->status = status_of(cairn_stmt_text(st, 5, NULL));
    r->start_us = cairn_stmt_int64(st, 6);
    r->end_us = cairn_stmt_int64(st, 7);
    r->user = arena_text(a, st, 8);
    r->source = arena_text(a, st, 9);
    if (!r->experiment || !r->name || !r->user || !r->source) return oom(err);
    c->n++;
    return 0;
}

/* A list of bind arguments built alongside the SQL text. */
typedef struct sql_args {
    char type[16];
    const char *s[16];
    int64_t i[16];
    int n;
} sql_args;

static void arg_s(sql_args *a, const char *s)
{
    a->type[a->n] = 's';
    a->s[a->n++] = s;
}

static void arg_i(sql_args *a, int64_t i)
{
    a->type[a->n] = 'i';
    a->i[a->n++] = i;
}

static int bind_args(cairn_stmt *st, const sql_args *args, cairn_error *err)
{
    int rc = 0;
    for (int k = 0; rc == 0 && k < args->n; k++)
        rc = args->type[k] == 's' ? cairn_stmt_bind_text(st, k + 1, args->s[k], strlen(args->s[k]))
                                  : cairn_stmt_bind_int64(st, k + 1, args->i[k]);
    return rc ? cairn_error_set(err, rc, "binding a run query: %s", cairn_strerror(rc)) : 0;
}

static int query_collect(cairn_catalog *cat, const char *sql, const sql_args *args, collect *c,
                         cairn_error *err)
{
    cairn_stmt *st = NULL;
    int rc = cairn_catalog_prepare(cat, sql, &st, err);
    if (rc == 0) rc = bind_args(st, args, err);
    while (rc == 0 && (rc = cairn_stmt_step(st, err)) == 1)
        rc = collect_row(c, st, err);
    cairn_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* " AND ..." for the query's filters on r (experiment handled by the caller). */
static int filters(const cairn_run_query *q, cairn_buf *sql, sql_args *args)
{
    int rc = 0;
    if (q->status != CAIRN_RUN_ANY) {
        rc |= cairn_buf_puts(sql, " AND r.status = ?");
        arg_s(args, cairn_run_status_name(q->status));
    }
    if (q->parent_id && !*q->parent_id) rc |= cairn_buf_puts(sql, " AND r.parent_id IS NULL");
    if (q->parent_id && *q->parent_id) {
        rc |= cairn_buf_puts(sql, " AND r.parent_id = ?");
        arg_s(args, q->parent_id);
    }
    if (q->tag_key) {
        rc |= cairn_buf_puts(
            sql, " AND EXISTS (SELECT 1 FROM run_tags t WHERE t.run_num = r.num AND t.key = ? "
                 "AND t.value = ?)");
        arg_s(args, q->tag_key);
        arg_s(args, q->tag_value);
    }
    return rc ? CAIRN_ENOMEM : 0;
}

static int list_by_start(cairn_catalog *cat, const cairn_run_query *q, bool has_exp, int64_t exp_id,
                         int64_t limit, collect *c, cairn_error *err)
{
    cairn_buf sql;
    sql_args args = {.n = 0};
    cairn_buf_init(&sql, 0);
    int rc = cairn_buf_puts(&sql, "SELECT " RUN_COLS
                                  " FROM runs r JOIN run_experiments e ON e.id = r.experiment_id "
                                  "WHERE 1 = 1");
    if (has_exp) {
        rc |= cairn_buf_puts(&sql, " AND r.experiment_id = ?");
        arg_i(&args, exp_id);
    }
    rc |= filters(q, &sql, &args);
    rc |= cairn_buf_puts(&sql, q->ascending ? " ORDER BY r.start_us ASC, r.num ASC"
                                            : " ORDER BY r.start_us DESC, r.num DESC");
    rc |= cairn_buf_puts(&sql, " LIMIT ? OFFSET ?");
    arg_i(&args, limit);
    arg_i(&args, q->offset);
    rc = rc ? oom(err) : query_collect(cat, sql.data, &args, c, err);
    cairn_buf_release(&sql);
    return rc;
}

/* The FROM/WHERE part shared by the metric-ordered query and its count. */
static int metric_from(const cairn_run_query *q, bool has_exp, int64_t exp_id, cairn_buf *sql,
                       sql_args *args)
{
    int rc = cairn_buf_puts(sql, " FROM run_metrics m JOIN runs r ON r.num = m.run_num "
                                 "JOIN run_experiments e ON e.id = r.experiment_id WHERE");
    if (has_exp) {
        rc |= cairn_buf_puts(sql, " m.experiment_id = ? AND");
        arg_i(args, exp_id);
    }
    rc |= cairn_buf_puts(sql, " m.key = ? AND m.latest IS NOT NULL");
    arg_s(args, q->order_metric);
    rc |= filters(q, sql, args);
    return rc ? CAIRN_ENOMEM : 0;
}

static int count_with_metric(cairn_catalog *cat, const cairn_run_query *q, bool has_exp,
                             int64_t exp_id, int64_t *count, cairn_error *err)
{
    cairn_buf sql;
    sql_args args = {.n = 0};
    cairn_buf_init(&sql, 0);
    int rc = cairn_buf_puts(&sql, "SELECT COUNT(*)") | metric_from(q, has_exp, exp_id, &sql, &args);
    cairn_stmt *st = NULL;
    rc = rc ? oom(err) : cairn_catalog_prepare(cat, sql.data, &st, err);
    if (rc == 0) rc = bind_args(st, &args, err);
    if (rc == 0) rc = cairn_stmt_step(st, err);
    if (rc == 1) {
        *count = cairn_stmt_int64(st, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = cairn_error_set(err, CAIRN_EINTERNAL, "COUNT(*) returned no row");
    }
    cairn_stmt_finalize(st);
    cairn_buf_release(&sql);
    return rc;
}

/* Runs with a non-NaN latest value of the metric, by it (ties by row number), then the rest
 * newest first. */
static int list_by_metric(cairn_catalog *cat, const cairn_run_query *q, bool has_exp,
                          int64_t exp_id, int64_t limit, collect *c, cairn_error *err)
{
    cairn_buf sql;
    sql_args args = {.n = 0};
    cairn_buf_init(&sql, 0);
    int rc =
        cairn_buf_puts(&sql, "SELECT " RUN_COLS) | metric_from(q, has_exp, exp_id, &sql, &args);
    rc |= cairn_buf_puts(&sql, q->ascending
                                   ? " ORDER BY m.latest ASC, m.run_num ASC LIMIT ? OFFSET ?"
                                   : " ORDER BY m.latest DESC, m.run_num DESC LIMIT ? OFFSET ?");
    arg_i(&args, limit);
    arg_i(&args, q->offset);
    rc = rc ? oom(err) : query_collect(cat, sql.data, &args, c, err);
    int64_t got = (int64_t)c->n, with_metric = 0;
    if (rc == 0 && got < limit) rc = count_with_metric(cat, q, has_exp, exp_id, &with_metric, err);
    if (rc == 0 && got < limit) {
        cairn_buf_reset(&sql);
        args.n = 0;
        rc = cairn_buf_puts(&sql, "SELECT " RUN_COLS
                                  " FROM runs r JOIN run_experiments e ON e.id = r.experiment_id "
                                  "WHERE 1 = 1");
        if (has_exp) {
            rc |= cairn_buf_puts(&sql, " AND r.experiment_id = ?");
            arg_i(&args, exp_id);
        }
        rc |= filters(q, &sql, &args);
        rc |= cairn_buf_puts(&sql,
                             " AND NOT EXISTS (SELECT 1 FROM run_metrics m WHERE m.run_num = r.num "
                             "AND m.key = ? AND m.latest IS NOT NULL) "
                             "ORDER BY r.start_us DESC, r.num DESC LIMIT ? OFFSET ?");
        arg_s(&args, q->order_metric);
        arg_i(&args, limit - got);
        arg_i(&args, q->offset > with_metric ? q->offset - with_metric : 0);
        rc = rc ? oom(err) : query_collect(cat, sql.data, &args, c, err);
    }
    cairn_buf_release(&sql);
    return rc;
}

/* Statements that fill a run's details, prepared once per query. */
typedef struct detail_stmts {
    cairn_stmt *metrics, *params, *tags, *artifacts;
} detail_stmts;

static void details_finalize(detail_stmts *d)
{
    cairn_stmt_finalize(d->metrics);
    cairn_stmt_finalize(d->params);
    cairn_stmt_finalize(d->tags);
    cairn_stmt_finalize(d->artifacts);
}

static int details_prepare(cairn_catalog *cat, bool all, detail_stmts *d, cairn_error *err)
{
    memset(d, 0, sizeof *d);
    int rc = sql_open(
        cat, &d->metrics, err,
        "SELECT key, latest, step, timestamp_ms, min_value, max_value, count FROM run_metrics "
        "WHERE run_num = ? ORDER BY key",
        "i", (int64_t)0);
    if (rc || !all) return rc;
    rc = sql_open(cat, &d->params, err,
                  "SELECT key, value FROM run_params WHERE run_num = ? ORDER BY key", "i",
                  (int64_t)0);
    if (rc == 0)
        rc = sql_open(cat, &d->tags, err,
                      "SELECT key, value FROM run_tags WHERE run_num = ? ORDER BY key", "i",
                      (int64_t)0);
    if (rc == 0)
        rc = sql_open(cat, &d->artifacts, err,
                      "SELECT path, object, bytes, logged_us FROM run_artifacts WHERE run_num = ? "
                      "ORDER BY path",
                      "i", (int64_t)0);
    return rc;
}

static int load_metrics(cairn_stmt *st, cairn_arena *arena, cairn_run_info *r, cairn_error *err)
{
    cairn_metric_summary *v = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = cairn_stmt_step(st, err)) == 1) {
        if (cairn_grow((void **)&v, &cap, n + 1, sizeof *v)) {
            rc = oom(err);
            break;
        }
        cairn_metric_summary *s = &v[n++];
        s->key = arena_text(arena, st, 0);
        s->latest = column_double_or_nan(st, 1);
        s->step = cairn_stmt_int64(st, 2);
        s->timestamp_ms = cairn_stmt_int64(st, 3);
        s->min = column_double_or_nan(st, 4);
        s->max = column_double_or_nan(st, 5);
        s->count = cairn_stmt_int64(st, 6);
        if (!s->key) {
            rc = oom(err);
            break;
        }
    }
    if (rc == 0 && n) {
        r->metrics = cairn_arena_alloc(arena, n * sizeof *v);
        if (!r->metrics)
            rc = oom(err);
        else {
            memcpy(r->metrics, v, n * sizeof *v);
            r->nmetrics = n;
        }
    }
    cairn_free(v);
    return rc < 0 ? rc : 0;
}

static int load_artifacts(cairn_stmt *st, cairn_arena *arena, cairn_run_info *r, cairn_error *err)
{
    cairn_run_artifact *v = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = cairn_stmt_step(st, err)) == 1) {
        if (cairn_grow((void **)&v, &cap, n + 1, sizeof *v)) {
            rc = oom(err);
            break;
        }
        cairn_run_artifact *x = &v[n++];
        x->path = arena_text(arena, st, 0);
        snprintf(x->object, sizeof x->object, "%s", cairn_stmt_text(st, 1, NULL));
        x->bytes = cairn_stmt_int64(st, 2);
        x->logged_us = cairn_stmt_int64(st, 3);
        if (!x->path) {
            rc = oom(err);
            break;
        }
    }
    if (rc == 0 && n) {
        r->artifacts = cairn_arena_alloc(arena, n * sizeof *v);
        if (!r->artifacts)
            rc = oom(err);
        else {
            memcpy(r->artifacts, v, n * sizeof *v);
            r->nartifacts = n;
        }
    }
    cairn_free(v);
    return rc < 0 ? rc : 0;
}

static int fill_details(cairn_catalog *cat, collect *c, bool all, cairn_error *err)
{
    detail_stmts d;
    int rc = details_prepare(cat, all, &d, err);
    cairn_arena *a = &c->out->arena;
    for (size_t i = 0; rc == 0 && i < c->n; i++) {
        cairn_run_info *r = &c->items[i];
        int64_t num = c->nums[i];
        rc = sql_rebind(d.metrics, err, "i", num);
        if (rc == 0) rc = load_metrics(d.metrics, a, r, err);
        if (rc || !all) continue;
        rc = sql_rebind(d.params, err, "i", num);
        if (rc == 0) rc = load_kvs(d.params, a, &r->params, &r->nparams, err);
        if (rc == 0) rc = sql_rebind(d.tags, err, "i", num);
        if (rc == 0) rc = load_kvs(d.tags, a, &r->tags, &r->ntags, err);
        if (rc == 0) rc = sql_rebind(d.artifacts, err, "i", num);
        if (rc == 0) rc = load_artifacts(d.artifacts, a, r, err);
    }
    details_finalize(&d);
    return rc;
}

/* Moves the collected runs into the result; releases the collection either way. */
static int collect_finish(collect *c, int rc, cairn_error *err)
{
    if (rc == 0 && c->n) {
        c->out->items = cairn_arena_alloc(&c->out->arena, c->n * sizeof *c->items);
        if (!c->out->items)
            rc = oom(err);
        else {
            memcpy(c->out->items, c->items, c->n * sizeof *c->items);
            c->out->count = c->n;
        }
    }
    cairn_free(c->items);
    cairn_free(c->nums);
    if (rc) {
        cairn_runs_release(c->out);
        cairn_arena_init(&c->out->arena, 0);
    }
    return rc;
}

static void runs_init(cairn_runs *out)
{
    memset(out, 0, sizeof *out);
    cairn_arena_init(&out->arena, 0);
}

int cairn_run_list(cairn_home *home, const cairn_run_query *q, cairn_runs *out, cairn_error *err)
{
    runs_init(out);
    cairn_run_query dq = cairn_run_query_default();
    if (!q) q = &dq;
    cairn_catalog *cat = cairn_home_catalog(home);
    int64_t limit = q->limit ? q->limit : DEFAULT_LIMIT, exp_id = 0;
    int rc = 0;
    if (q->limit < 0 || q->offset < 0)
        rc = cairn_error_set(err, CAIRN_EINVAL, "limit and offset must not be negative");
    if (rc == 0 && q->parent_id && *q->parent_id) rc = check_run_id(q->parent_id, err);
    if (rc == 0 && q->tag_key && !q->tag_value)
        rc = cairn_error_set(err, CAIRN_EINVAL, "a tag filter needs a value");
    if (rc == 0 && q->order_metric)
        rc = check_name("metric key", q->order_metric, CAIRN_RUN_KEY_MAX, err);
    if (rc == 0 && q->experiment) rc = experiment_lookup(cat, q->experiment, &exp_id, err);
    if (rc) return rc;
    collect c = {.out = out};
    rc = q->order_metric ? list_by_metric(cat, q, q->experiment != NULL, exp_id, limit, &c, err)
                         : list_by_start(cat, q, q->experiment != NULL, exp_id, limit, &c, err);
    if (rc == 0) rc = fill_details(cat, &c, q->details, err);
    return collect_finish(&c, rc, err);
}

int cairn_run_compare(cairn_home *home, const char *const *runs, size_t count, cairn_runs *out,
                      cairn_error *err)
{
    runs_init(out);
    cairn_catalog *cat = cairn_home_catalog(home);
    collect c = {.out = out};
    int rc = count ? 0 : cairn_error_set(err, CAIRN_EINVAL, "no runs to compare");
    for (size_t i = 0; rc == 0 && i < count; i++) {
        char id[CAIRN_RUN_ID_LEN + 1];
        rc = cairn_run_resolve(home, runs[i], id, err);
        sql_args args = {.n = 0};
        arg_s(&args, id);
        if (rc == 0)
            rc = query_collect(cat,
                               "SELECT " RUN_COLS
                               " FROM runs r JOIN run_experiments e ON e.id = r.experiment_id "
                               "WHERE r.id = ?",
                               &args, &c, err);
        if (rc == 0 && c.n != i + 1)
            rc = cairn_error_set(err, CAIRN_ENOTFOUND, "run %s vanished", id);
    }
    if (rc == 0) rc = fill_details(cat, &c, true, err);
    return collect_finish(&c, rc, err);
}

int cairn_run_get(cairn_home *home, const char *run, cairn_runs *out, cairn_error *err)
{
    return cairn_run_compare(home, &run, 1, out, err);
}

typedef struct indexed_point {
    cairn_metric_point p;
    size_t order;
} indexed_point;

static int cmp_point(const void *x, const void *y)
{
    const indexed_point *a = x, *b = y;
    if (a->p.step != b->p.step) return a->p.step < b->p.step ? -1 : 1;
    if (a->p.timestamp_ms != b->p.timestamp_ms)
        return a->p.timestamp_ms < b->p.timestamp_ms ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

/* Sorts by (step, timestamp), keeping the order logged among equals. */
static int sort_points(cairn_metric_point *p, size_t n, cairn_error *err)
{
    bool sorted = true;
    for (size_t i = 1; i < n && sorted; i++)
        sorted = p[i - 1].step < p[i].step ||
                 (p[i - 1].step == p[i].step && p[i - 1].timestamp_ms <= p[i].timestamp_ms);
    if (sorted) return 0;
    indexed_point *tmp = cairn_malloc(n * sizeof *tmp);
    if (!tmp) return oom(err);
    for (size_t i = 0; i < n; i++)
        tmp[i] = (indexed_point){p[i], i};
    qsort(tmp, n, sizeof *tmp, cmp_point);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[i].p;
    cairn_free(tmp);
    return 0;
}

static int read_chunks(cairn_catalog *cat, int64_t num, const char *key, cairn_metric_point *pts,
                       size_t total, cairn_error *err)
{
    cairn_stmt *st;
    int rc =
        sql_open(cat, &st, err,
                 "SELECT data FROM run_metric_chunks WHERE run_num = ? AND key = ? ORDER BY seq",
                 "is", num, key);
    size_t have = 0;
    while (rc == 0 && (rc = cairn_stmt_step(st, err)) == 1) {
        size_t len, n = 0;
        const void *data = cairn_stmt_blob(st, 0, &len);
        rc = cairn__metric_chunk_decode(data, len, pts + have, total - have, &n, err);
        have += n;
    }
    cairn_stmt_finalize(st);
    if (rc < 0) return rc;
    return have == total ? 0 : corrupt(err, "the chunks hold fewer points than the summary counts");
}

int cairn_run_metric_history(cairn_home *home, const char *run_id, const char *key,
                             cairn_metric_point **points, size_t *count, cairn_error *err)
{
    *points = NULL;
    *count = 0;
    cairn_catalog *cat = cairn_home_catalog(home);
    run_ref ref;
    int rc = check_run_id(run_id, err);
    if (rc == 0) rc = check_name("metric key", key, CAIRN_RUN_KEY_MAX, err);
    if (rc == 0) rc = run_lookup(cat, run_id, &ref, err);
    summary s;
    if (rc == 0) rc = summary_load(cat, ref.num, key, &s, err);
    if (rc) return rc;
    if (s.count == 0)
        return cairn_error_set(err, CAIRN_ENOTFOUND, "run %.12s has no metric '%s'", run_id, key);
    cairn_metric_point *pts = cairn_malloc((size_t)s.count * sizeof *pts);
    if (!pts) return oom(err);
    rc = read_chunks(cat, ref.num, key, pts, (size_t)s.count, err);
    if (rc == 0) rc = sort_points(pts, (size_t)s.count, err);
    if (rc) {
        cairn_error_prefix(err, "metric '%s' of run %.12s: ", key, run_id);
        cairn_free(pts);
        return rc;
    }
    *points = pts;
    *count = (size_t)s.count;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Resuming a search: trials by key, reaping the runs of dead processes
 * ---------------------------------------------------------------------------------------- */

int cairn_run_find_child(cairn_home *home, const char *parent_id, const char *key,
                         const char *value, char id[CAIRN_RUN_ID_LEN + 1], cairn_run_status *status,
                         cairn_error *err)
{
    id[0] = '\0';
    int rc = check_run_id(parent_id, err);
    if (rc == 0) rc = check_name("tag key", key, CAIRN_RUN_KEY_MAX, err);
    if (rc == 0 && !value) rc = cairn_error_set(err, CAIRN_EINVAL, "no tag value to look for");
    if (rc) return rc;
    cairn_stmt *st;
    rc = sql_open(cairn_home_catalog(home), &st, err,
                  "SELECT r.id, r.status FROM runs r JOIN run_tags t ON t.run_num = r.num "
                  "WHERE r.parent_id = ? AND t.key = ? AND t.value = ? ORDER BY r.start_us DESC, "
                  "r.num DESC LIMIT 1",
                  "sss", parent_id, key, value);
    if (rc) return rc;
    rc = cairn_stmt_step(st, err);
    if (rc == 1) {
        snprintf(id, CAIRN_RUN_ID_LEN + 1, "%s", cairn_stmt_text(st, 0, NULL));
        if (status) *status = status_of(cairn_stmt_text(st, 1, NULL));
    }
    cairn_stmt_finalize(st);
    if (rc == 0)
        return cairn_error_set(err, CAIRN_ENOTFOUND, "run %.12s has no child with %s = %s",
                               parent_id, key, value);
    return rc < 0 ? rc : 0;
}

/* Whether process pid, started at `start` ticks after boot ("" = unknown), is gone. */
static bool process_gone(long pid, const char *start, char *why, size_t cap)
{
    if (pid <= 0) {
        snprintf(why, cap, "no valid pid recorded");
        return true;
    }
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
        snprintf(why, cap, "process %ld is gone", pid);
        return true;
    }
    char now[32];
    process_start(pid, now, sizeof now);
    if (start[0] && now[0] && strcmp(start, now) != 0) {
        snprintf(why, cap, "pid %ld now belongs to another process", pid);
        return true;
    }
    return false;
}

typedef struct reap_list {
    int64_t *nums;
    char (*why)[128];
    size_t n, cap, cap_why;
} reap_list;

/* The RUNNING runs of this host whose process is gone. */
static int reap_candidates(cairn_catalog *cat, reap_list *dead, cairn_error *err)
{
    char host[256];
    host_name(host, sizeof host);
    cairn_stmt *st;
    int rc = sql_open(cat, &st, err,
                      "SELECT r.num, p.value, s.value FROM runs r "
                      "JOIN run_tags h ON h.run_num = r.num AND h.key = 'cairn.host' "
                      "LEFT JOIN run_tags p ON p.run_num = r.num AND p.key = 'cairn.pid' "
                      "LEFT JOIN run_tags s ON s.run_num = r.num AND s.key = 'cairn.pid_start' "
                      "WHERE r.status = 'RUNNING' AND h.value = ?",
                      "s", host);
    while (rc == 0 && (rc = cairn_stmt_step(st, err)) == 1) {
        rc = 0;
        char why[128], start[32];
        snprintf(start, sizeof start, "%s", cairn_stmt_text(st, 2, NULL));
        if (!process_gone(strtol(cairn_stmt_text(st, 1, NULL), NULL, 10), start, why, sizeof why))
            continue;
        if (cairn_grow((void **)&dead->nums, &dead->cap, dead->n + 1, sizeof *dead->nums) ||
            cairn_grow((void **)&dead->why, &dead->cap_why, dead->n + 1, sizeof *dead->why)) {
            rc = oom(err);
            break;
        }
        dead->nums[dead->n] = cairn_stmt_int64(st, 0);
        snprintf(dead->why[dead->n++], sizeof *dead->why, "%s (%s)", why, host);
    }
    cairn_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

static int reap_txn(cairn_catalog *cat, void *ud, cairn_error *err)
{
    reap_list *dead = ud;
    int rc = reap_candidates(cat, dead, err);
    int64_t now = cairn_now_us();
    for (size_t i = 0; rc == 0 && i < dead->n; i++) {
        rc = sql_exec(
            cat, err,
            "UPDATE runs SET status = 'KILLED', end_us = ? WHERE num = ? AND status = 'RUNNING'",
            "ii", now, dead->nums[i]);
        if (rc == 0) rc = put_tag(cat, dead->nums[i], "cairn.reaped", dead->why[i], err);
    }
    return rc;
}

int cairn_run_reap(cairn_home *home, int64_t *reaped, cairn_error *err)
{
    reap_list dead = {0};
    int rc = in_txn(home, reap_txn, &dead, err);
    if (reaped) *reaped = rc == 0 ? (int64_t)dead.n : 0;
    cairn_free(dead.nums);
    cairn_free(dead.why);
    return rc;
}
