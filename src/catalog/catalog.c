/* src/catalog/catalog.c: the backend-neutral catalog layer and the migration runner.
 *
 * A cairn_catalog is a backend descriptor plus that backend's connection; a cairn_stmt is
 * a descriptor plus the backend's statement. Every public call forwards through the
 * descriptor (backend.h), so this file holds no SQL dialect of its own: only portable SQL
 * for the migration bookkeeping. Backends are found by URL scheme in `schemes` below; a
 * plain path (no scheme) is a SQLite file. Schemes listed without a backend are refused
 * with CAIRN_EUNSUPPORTED and a message saying what to use instead.
 *
 * Migration runner (cairn__catalog_migrate_list)
 * - State: table cairn_migrations(version, name, applied_at); the applied version is its
 *   highest version (0 when the table does not exist yet).
 * - Fast path: a catalog already at the list's last version is checked with reads only
 *   (applied version; recorded names match the list's) and no write lock, so opening a
 *   current catalog never waits for a writer.
 * - Each pending migration runs in its own CAIRN__TXN_MIGRATE transaction, which first
 *   creates cairn_migrations if needed and re-reads the applied version: a migration that
 *   another process applied meanwhile is skipped, so two processes opening a fresh catalog
 *   at once apply each migration exactly once. The migration's statements, its hook and
 *   its record commit together or not at all.
 * - Invariants: versions in a list are > 0 and strictly increasing; a catalog newer than
 *   the list is refused (CAIRN_ECONFLICT) rather than touched.
 *
 * Tests: tests/unit/catalog/test_catalog.c and test_migrations.c.
 */
#include "catalog/backend.h"
#include "catalog/catalog_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

struct cairn_catalog {
    const cairn__catalog_backend *backend;
    void *conn;
};

struct cairn_stmt {
    const cairn__catalog_backend *backend;
    void *impl;
};

/* ------------------------------------------------------------------------------------------
 * The table of URL schemes
 * ---------------------------------------------------------------------------------------- */

typedef struct scheme_entry {
    const char *scheme;                    /* without ':' */
    const cairn__catalog_backend *backend; /* NULL: known but not built */
    bool strip_scheme;                     /* the backend gets what follows "scheme:" */
    const char *missing;                   /* why it is refused, when backend is NULL */
} scheme_entry;

static const scheme_entry schemes[] = {
    {"sqlite", &cairn__catalog_sqlite, true, NULL},
    {"postgres", NULL, false,
     "the PostgreSQL catalog backend is not built into this cairn yet; use sqlite:PATH"},
    {"postgresql", NULL, false,
     "the PostgreSQL catalog backend is not built into this cairn yet; use sqlite:PATH"},
};

size_t cairn__url_scheme_len(const char *url)
{
    size_t n = 0;
    if (!url || !((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z'))) return 0;
    for (n = 1; url[n]; n++) {
        char c = url[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '-' || c == '.';
        if (!ok) break;
    }
    return (url[n] == ':' && n >= 2) ? n : 0;
}

/* Finds the backend for url and the target string to hand to it. */
static int find_backend(const char *url, const cairn__catalog_backend **backend,
                        const char **target, cairn_error *err)
{
    size_t len = cairn__url_scheme_len(url);
    if (len == 0) { /* a plain path */
        *backend = &cairn__catalog_sqlite;
        *target = url;
        return 0;
    }
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        const scheme_entry *e = &schemes[i];
        if (strlen(e->scheme) != len || strncmp(e->scheme, url, len) != 0) continue;
        if (!e->backend)
            return cairn_error_set(err, CAIRN_EUNSUPPORTED, "catalog URL '%.*s:...': %s", (int)len,
                                   url, e->missing);
        *backend = e->backend;
        *target = e->strip_scheme ? url + len + 1 : url;
        return 0;
    }
    return cairn_error_set(err, CAIRN_EUNSUPPORTED,
                           "unknown catalog URL scheme '%.*s:' (known: sqlite:PATH, "
                           "postgres://...); write sqlite:PATH for a file name with a ':'",
                           (int)len, url);
}

/* ------------------------------------------------------------------------------------------
 * Catalogs
 * ---------------------------------------------------------------------------------------- */

int cairn__catalog_open_raw(const char *url, cairn_catalog **out, cairn_error *err)
{
    const cairn__catalog_backend *backend = NULL;
    const char *target = NULL;
    if (!url || !out) return cairn_error_set(err, CAIRN_EINVAL, "catalog URL is missing");
    int rc = find_backend(url, &backend, &target, err);
    if (rc) return rc;
    cairn_catalog *catalog = cairn_calloc(1, sizeof *catalog);
    if (!catalog) return cairn_error_set(err, CAIRN_ENOMEM, "opening catalog %s", url);
    catalog->backend = backend;
    if ((rc = backend->open(target, &catalog->conn, err))) {
        cairn_free(catalog);
        return rc;
    }
    *out = catalog;
    return 0;
}

int cairn_catalog_open(const char *url, cairn_catalog **out, cairn_error *err)
{
    size_t count = 0;
    const cairn__migration *list = cairn__catalog_migrations(&count);
    cairn_catalog *catalog = NULL;
    int rc = cairn__catalog_open_raw(url, &catalog, err);
    if (rc) return rc;
    if ((rc = cairn__catalog_migrate_list(catalog, list, count, err))) {
        cairn_error_prefix(err, "catalog %s: ", url);
        cairn_catalog_close(catalog);
        return rc;
    }
    *out = catalog;
    return 0;
}

void cairn_catalog_close(cairn_catalog *catalog)
{
    if (!catalog) return;
    catalog->backend->close(catalog->conn);
    cairn_free(catalog);
}

const char *cairn_catalog_backend(const cairn_catalog *catalog)
{
    return catalog->backend->name;
}

/* Rewrites sql into the backend's dialect when it has one; *use is what to run. */
static int dialect(cairn_catalog *catalog, const char *sql, cairn_buf *tmp, const char **use,
                   cairn_error *err)
{
    *use = sql;
    if (!catalog->backend->rewrite_sql) return 0;
    int rc = catalog->backend->rewrite_sql(sql, tmp, err);
    if (rc == 0) *use = tmp->data;
    return rc;
}

int cairn_catalog_exec(cairn_catalog *catalog, const char *sql, cairn_error *err)
{
    cairn_buf tmp;
    const char *use = NULL;
    if (!catalog || !sql) return cairn_error_set(err, CAIRN_EINVAL, "no catalog or SQL");
    cairn_buf_init(&tmp, 0);
    int rc = dialect(catalog, sql, &tmp, &use, err);
    if (rc == 0) rc = catalog->backend->exec(catalog->conn, use, err);
    cairn_buf_release(&tmp);
    return rc;
}

int cairn_catalog_begin(cairn_catalog *catalog, cairn_error *err)
{
    if (catalog->backend->in_transaction(catalog->conn))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "a catalog transaction is already open on this handle");
    return catalog->backend->begin(catalog->conn, CAIRN__TXN_WRITE, err);
}

int cairn_catalog_commit(cairn_catalog *catalog, cairn_error *err)
{
    if (!catalog->backend->in_transaction(catalog->conn))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "commit without an open catalog transaction (it was ended by "
                               "an earlier failure, or never begun)");
    return catalog->backend->commit(catalog->conn, err);
}

void cairn_catalog_abort(cairn_catalog *catalog)
{
    if (catalog) catalog->backend->abort(catalog->conn);
}

/* ------------------------------------------------------------------------------------------
 * Statements
 * ---------------------------------------------------------------------------------------- */

int cairn_catalog_prepare(cairn_catalog *catalog, const char *sql, cairn_stmt **out,
                          cairn_error *err)
{
    cairn_buf tmp;
    const char *use = NULL;
    void *impl = NULL;
    if (!catalog || !sql || !out) return cairn_error_set(err, CAIRN_EINVAL, "no catalog or SQL");
    cairn_stmt *stmt = cairn_malloc(sizeof *stmt);
    if (!stmt) return cairn_error_set(err, CAIRN_ENOMEM, "preparing a catalog statement");
    cairn_buf_init(&tmp, 0);
    int rc = dialect(catalog, sql, &tmp, &use, err);
    if (rc == 0) rc = catalog->backend->prepare(catalog->conn, use, &impl, err);
    cairn_buf_release(&tmp);
    if (rc) {
        cairn_free(stmt);
        return rc;
    }
    stmt->backend = catalog->backend;
    stmt->impl = impl;
    *out = stmt;
    return 0;
}

int cairn_stmt_bind_null(cairn_stmt *stmt, int index)
{
    return stmt->backend->bind_null(stmt->impl, index);
}

int cairn_stmt_bind_int64(cairn_stmt *stmt, int index, int64_t value)
{
    return stmt->backend->bind_int64(stmt->impl, index, value);
}

int cairn_stmt_bind_double(cairn_stmt *stmt, int index, double value)
{
    return stmt->backend->bind_double(stmt->impl, index, value);
}

int cairn_stmt_bind_text(cairn_stmt *stmt, int index, const char *text, size_t len)
{
    return stmt->backend->bind_text(stmt->impl, index, text, len);
}

int cairn_stmt_bind_blob(cairn_stmt *stmt, int index, const void *data, size_t len)
{
    return stmt->backend->bind_blob(stmt->impl, index, data, len);
}

int cairn_stmt_step(cairn_stmt *stmt, cairn_error *err)
{
    return stmt->backend->step(stmt->impl, err);
}

int cairn_stmt_column_count(cairn_stmt *stmt)
{
    return stmt->backend->column_count(stmt->impl);
}

static void check_column(cairn_stmt *stmt, int column)
{
    (void)stmt;
    (void)column;
    assert(column >= 0 && column < stmt->backend->column_count(stmt->impl));
}

bool cairn_stmt_is_null(cairn_stmt *stmt, int column)
{
    check_column(stmt, column);
    return stmt->backend->column_is_null(stmt->impl, column);
}

int64_t cairn_stmt_int64(cairn_stmt *stmt, int column)
{
    check_column(stmt, column);
    return stmt->backend->column_int64(stmt->impl, column);
}

double cairn_stmt_double(cairn_stmt *stmt, int column)
{
    check_column(stmt, column);
    return stmt->backend->column_double(stmt->impl, column);
}

const char *cairn_stmt_text(cairn_stmt *stmt, int column, size_t *len)
{
    check_column(stmt, column);
    return stmt->backend->column_text(stmt->impl, column, len);
}

const void *cairn_stmt_blob(cairn_stmt *stmt, int column, size_t *len)
{
    check_column(stmt, column);
    return stmt->backend->column_blob(stmt->impl, column, len);
}

int cairn_stmt_reset(cairn_stmt *stmt)
{
    return stmt->backend->reset(stmt->impl);
}

void cairn_stmt_finalize(cairn_stmt *stmt)
{
    if (!stmt) return;
    stmt->backend->finalize(stmt->impl);
    cairn_free(stmt);
}

/* ------------------------------------------------------------------------------------------
 * Migrations
 * ---------------------------------------------------------------------------------------- */

static const char create_migrations_sql[] =
    "CREATE TABLE IF NOT EXISTS cairn_migrations (version BIGINT PRIMARY KEY, "
    "name TEXT NOT NULL, applied_at TEXT NOT NULL)";

int cairn__catalog_applied_version(cairn_catalog *catalog, int64_t *out, cairn_error *err)
{
    bool exists = false;
    cairn_stmt *stmt = NULL;
    int rc = catalog->backend->table_exists(catalog->conn, "cairn_migrations", &exists, err);
    if (rc) return rc;
    if (!exists) {
        *out = 0;
        return 0;
    }
    rc = cairn_catalog_prepare(catalog, "SELECT MAX(version) FROM cairn_migrations", &stmt, err);
    if (rc) return rc;
    rc = cairn_stmt_step(stmt, err);
    if (rc == 1) {
        *out = cairn_stmt_is_null(stmt, 0) ? 0 : cairn_stmt_int64(stmt, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = cairn_error_set(err, CAIRN_EINTERNAL, "MAX(version) returned no row");
    }
    cairn_stmt_finalize(stmt);
    return rc;
}

static int check_list(const cairn__migration *list, size_t count, cairn_error *err)
{
    for (size_t i = 0; i < count; i++) {
        const cairn__migration *m = &list[i];
        if (m->version <= 0 || !m->name || !m->statements)
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "migration #%zu is malformed (version %" PRId64
                                   " must be > 0, and it needs a name and statements)",
                                   i + 1, m->version);
        if (i > 0 && m->version <= list[i - 1].version)
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "migrations must be strictly increasing: %" PRId64
                                   " (%s) follows %" PRId64 " (%s)",
                                   m->version, m->name, list[i - 1].version, list[i - 1].name);
    }
    return 0;
}

static int too_new(int64_t applied, int64_t known, cairn_error *err)
{
    return cairn_error_set(err, CAIRN_ECONFLICT,
                           "catalog is at version %" PRId64 ", this cairn knows up to %" PRId64
                           "; upgrade cairn",
                           applied, known);
}

/* Every recorded version this list knows must carry the list's name for it: a catalog
 * migrated by a diverging build (or another program's table) is refused, not patched. */
static int check_recorded(cairn_catalog *catalog, const cairn__migration *list, size_t count,
                          cairn_error *err)
{
    cairn_stmt *stmt = NULL;
    size_t at = 0, len = 0;
    int rc = cairn_catalog_prepare(
        catalog, "SELECT version, name FROM cairn_migrations ORDER BY version", &stmt, err);
    if (rc) return rc;
    while ((rc = cairn_stmt_step(stmt, err)) == 1) {
        int64_t version = cairn_stmt_int64(stmt, 0);
        const char *name = cairn_stmt_text(stmt, 1, &len);
        while (at < count && list[at].version < version)
            at++;
        if (at == count || list[at].version != version) continue;
        if (strlen(list[at].name) != len || memcmp(list[at].name, name, len) != 0) {
            rc = cairn_error_set(err, CAIRN_ECONFLICT,
                                 "catalog migration %" PRId64 " is recorded as '%.*s' but this "
                                 "cairn's migration %" PRId64 " is '%s'; the catalog was made "
                                 "by a different build",
                                 version, (int)(len > 64 ? 64 : len), name, version, list[at].name);
            break;
        }
    }
    cairn_stmt_finalize(stmt);
    return rc < 0 ? rc : 0;
}

static int record_migration(cairn_catalog *catalog, const cairn__migration *m, cairn_error *err)
{
    char now[CAIRN_TIME_FMT_LEN];
    cairn_stmt *stmt = NULL;
    cairn_time_format(cairn_now_us(), now, sizeof now);
    int rc = cairn_catalog_prepare(
        catalog, "INSERT INTO cairn_migrations (version, name, applied_at) VALUES (?, ?, ?)", &stmt,
        err);
    if (rc) return rc;
    if ((rc = cairn_stmt_bind_int64(stmt, 1, m->version)) ||
        (rc = cairn_stmt_bind_text(stmt, 2, m->name, strlen(m->name))) ||
        (rc = cairn_stmt_bind_text(stmt, 3, now, strlen(now))))
        rc = cairn_error_set(err, rc, "binding the migration record");
    else if ((rc = cairn_stmt_step(stmt, err)) > 0)
        rc = 0;
    cairn_stmt_finalize(stmt);
    return rc;
}

/* The body of one migration's transaction; the caller begins, commits or aborts. */
static int apply_body(cairn_catalog *catalog, const cairn__migration *m, int64_t known,
                      bool *skipped, bool *refused, cairn_error *err)
{
    int64_t applied = 0;
    int rc = cairn_catalog_exec(catalog, create_migrations_sql, err);
    if (rc == 0) rc = cairn__catalog_applied_version(catalog, &applied, err);
    if (rc) return rc;
    if (applied > known) { /* a newer cairn migrated it meanwhile */
        *refused = true;
        return too_new(applied, known, err);
    }
    if (applied >= m->version) { /* another process got here first */
        *skipped = true;
        return 0;
    }
    for (const char *const *sql = m->statements; *sql; sql++)
        if ((rc = cairn_catalog_exec(catalog, *sql, err))) return rc;
    if (m->apply && (rc = m->apply(catalog, err))) return rc;
    return record_migration(catalog, m, err);
}

static int apply_one(cairn_catalog *catalog, const cairn__migration *m, int64_t known,
                     cairn_error *err)
{
    bool skipped = false, refused = false;
    int rc = catalog->backend->begin(catalog->conn, CAIRN__TXN_MIGRATE, err);
    if (rc == 0) rc = apply_body(catalog, m, known, &skipped, &refused, err);
    if (rc == 0 && skipped) {
        catalog->backend->abort(catalog->conn);
        return 0;
    }
    if (rc == 0) rc = catalog->backend->commit(catalog->conn, err);
    if (rc) {
        catalog->backend->abort(catalog->conn);
        if (!refused)
            cairn_error_prefix(err, "migration %" PRId64 " (%s) failed and was rolled back: ",
                               m->version, m->name);
        return rc;
    }
    cairn_log(CAIRN_LOG_DEBUG, "catalog: applied migration %" PRId64 " (%s)", m->version, m->name);
    return 0;
}

int cairn__catalog_migrate_list(cairn_catalog *catalog, const cairn__migration *list, size_t count,
                                cairn_error *err)
{
    int64_t applied = 0;
    int64_t known = count ? list[count - 1].version : 0;
    int rc = check_list(list, count, err);
    if (rc) return rc;
    if (catalog->backend->in_transaction(catalog->conn))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "cannot migrate a catalog inside an open transaction");
    /* The fast path: read without the writer lock. */
    if ((rc = cairn__catalog_applied_version(catalog, &applied, err))) return rc;
    if (applied > known) return too_new(applied, known, err);
    if (applied > 0 && (rc = check_recorded(catalog, list, count, err))) return rc;
    for (size_t i = 0; i < count; i++) {
        if (list[i].version <= applied) continue;
        if ((rc = apply_one(catalog, &list[i], known, err))) return rc;
    }
    return 0;
}

int cairn_catalog_version(cairn_catalog *catalog, int64_t *applied, int64_t *known,
                          cairn_error *err)
{
    size_t count = 0;
    const cairn__migration *list = cairn__catalog_migrations(&count);
    int64_t version = 0;
    int rc = cairn__catalog_applied_version(catalog, &version, err);
    if (rc) return rc;
    if (applied) *applied = version;
    if (known) *known = count ? list[count - 1].version : 0;
    return 0;
}
