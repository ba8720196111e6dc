/* src/catalog/sqlite.c: the SQLite catalog backend (system libsqlite3).
 *
 * A connection is a bare sqlite3 handle and a statement a bare sqlite3_stmt; nothing else
 * needs to be kept, since the handle carries its last error (sqlite3_errmsg) and a
 * statement its SQL (sqlite3_sql). Every connection is set up the same way:
 *   busy timeout 5000 ms (a writer waits for another instead of failing at once),
 *   journal_mode=WAL (readers never block the writer; retried while another process is
 *   converting a fresh file), synchronous=NORMAL (durable at checkpoints, safe in WAL),
 *   foreign_keys=ON, and double-quoted string literals refused (they are identifiers in
 *   standard SQL and in PostgreSQL).
 * Transactions are BEGIN IMMEDIATE: Cairn's transactions read then write (next id, check
 * then insert), and a deferred transaction that upgrades to a writer fails with
 * SQLITE_BUSY without waiting; IMMEDIATE takes the writer lock up front, through the busy
 * handler. That also serialises migrators, as CAIRN__TXN_MIGRATE requires.
 *
 * Error mapping: constraint violations -> CAIRN_ECONFLICT; BUSY/LOCKED -> CAIRN_ECATALOG
 * with a message naming the busy timeout; CANTOPEN/IOERR/FULL -> CAIRN_EIO;
 * CORRUPT/NOTADB -> CAIRN_ECORRUPT; NOMEM -> CAIRN_ENOMEM; anything else CAIRN_ECATALOG.
 * Every message carries sqlite3_errmsg and the SQL (whitespace collapsed, truncated).
 *
 * All SQLite-specific SQL lives in this file. Tests: tests/unit/catalog/test_catalog.c.
 */
#include "catalog/backend.h"

#include <limits.h>
#include <sqlite3.h>
#include <string.h>

#define SQLITE_BUSY_TIMEOUT_MS 5000
#define SQL_QUOTE_MAX 160 /* characters of SQL quoted in an error message */

/* ------------------------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------------------------- */

static int map_code(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        return CAIRN_ECONFLICT;
    case SQLITE_NOMEM:
        return CAIRN_ENOMEM;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return CAIRN_EIO;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return CAIRN_ECORRUPT;
    case SQLITE_RANGE:
        return CAIRN_ERANGE;
    case SQLITE_TOOBIG:
        return CAIRN_ELIMIT;
    case SQLITE_MISUSE:
        return CAIRN_EINVAL;
    default:
        return CAIRN_ECATALOG;
    }
}

/* Copies sql into out with runs of whitespace collapsed to one space, truncated with "...". */
static void quote_sql(const char *sql, char *out, size_t cap)
{
    size_t n = 0;
    bool space = false;
    if (!sql) sql = "";
    while (*sql == ' ' || *sql == '\n' || *sql == '\t' || *sql == '\r')
        sql++;
    for (; *sql && n + 4 < cap; sql++) {
        bool ws = *sql == ' ' || *sql == '\n' || *sql == '\t' || *sql == '\r';
        if (ws && space) continue;
        space = ws;
        out[n++] = ws ? ' ' : *sql;
    }
    if (*sql && cap >= 4) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

/* Fills err from a failed call on db; `what` says what Cairn was doing. Returns the code. */
static int fail(sqlite3 *db, int rc, const char *what, const char *sql, cairn_error *err)
{
    char quoted[SQL_QUOTE_MAX + 4];
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    int primary = rc & 0xff;
    quote_sql(sql, quoted, sizeof quoted);
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        return cairn_error_set(err, CAIRN_ECATALOG,
                               "%s: the catalog is locked by another connection and stayed "
                               "locked past the %d ms busy timeout (sqlite: %s) in SQL: %s",
                               what, SQLITE_BUSY_TIMEOUT_MS, msg, quoted);
    return cairn_error_set(err, map_code(rc), "%s: sqlite: %s (in SQL: %s)", what, msg, quoted);
}

static int map_bind(int rc)
{
    return rc == SQLITE_OK ? 0 : map_code(rc);
}

/* ------------------------------------------------------------------------------------------
 * Statements
 * ---------------------------------------------------------------------------------------- */

static bool only_separators(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r' && *s != ';') return false;
    return true;
}

static int sq_prepare(void *conn, const char *sql, void **out_stmt, cairn_error *err)
{
    sqlite3 *db = conn;
    sqlite3_stmt *stmt = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, &tail);
    if (rc != SQLITE_OK) return fail(db, rc, "preparing a catalog statement", sql, err);
    if (!stmt)
        return cairn_error_set(err, CAIRN_EINVAL, "catalog statement is empty: '%.60s'", sql);
    if (tail && !only_separators(tail)) {
        char quoted[SQL_QUOTE_MAX + 4];
        sqlite3_finalize(stmt);
        quote_sql(tail, quoted, sizeof quoted);
        return cairn_error_set(err, CAIRN_EINVAL,
                               "a catalog statement must be exactly one SQL statement; found "
                               "more after the first: %s",
                               quoted);
    }
    *out_stmt = stmt;
    return 0;
}

static int sq_step(void *stmt_, cairn_error *err)
{
    sqlite3_stmt *stmt = stmt_;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    return fail(sqlite3_db_handle(stmt), rc, "running a catalog statement", sqlite3_sql(stmt), err);
}

static int sq_bind_null(void *stmt, int index)
{
    return map_bind(sqlite3_bind_null(stmt, index));
}

static int sq_bind_int64(void *stmt, int index, int64_t value)
{
    return map_bind(sqlite3_bind_int64(stmt, index, (sqlite3_int64)value));
}

static int sq_bind_double(void *stmt, int index, double value)
{
    return map_bind(sqlite3_bind_double(stmt, index, value));
}

static int sq_bind_text(void *stmt, int index, const char *text, size_t len)
{
    if (!text && len) return CAIRN_EINVAL;
    return map_bind(sqlite3_bind_text64(stmt, index, text ? text : "", (sqlite3_uint64)len,
                                        SQLITE_TRANSIENT, SQLITE_UTF8));
}

static int sq_bind_blob(void *stmt, int index, const void *data, size_t len)
{
    if (!data && len) return CAIRN_EINVAL;
    /* sqlite binds a NULL pointer as SQL NULL; an empty blob must stay a blob. */
    if (len == 0) return map_bind(sqlite3_bind_zeroblob(stmt, index, 0));
    return map_bind(sqlite3_bind_blob64(stmt, index, data, (sqlite3_uint64)len, SQLITE_TRANSIENT));
}

static int sq_column_count(void *stmt)
{
    return sqlite3_column_count(stmt);
}

static bool sq_column_is_null(void *stmt, int column)
{
    return sqlite3_column_type(stmt, column) == SQLITE_NULL;
}

static int64_t sq_column_int64(void *stmt, int column)
{
    return (int64_t)sqlite3_column_int64(stmt, column);
}

static double sq_column_double(void *stmt, int column)
{
    return sqlite3_column_double(stmt, column);
}

static const char *sq_column_text(void *stmt, int column, size_t *len)
{
    /* text before bytes, as sqlite's documentation asks, so the length is of the UTF-8 */
    const unsigned char *text = sqlite3_column_text(stmt, column);
    int bytes = sqlite3_column_bytes(stmt, column);
    if (!text) bytes = 0;
    if (len) *len = (size_t)bytes;
    return text ? (const char *)text : "";
}

static const void *sq_column_blob(void *stmt, int column, size_t *len)
{
    const void *data = sqlite3_column_blob(stmt, column);
    int bytes = sqlite3_column_bytes(stmt, column);
    if (!data) bytes = 0;
    if (len) *len = (size_t)bytes;
    return data ? data : "";
}

static int sq_reset(void *stmt)
{
    /* sqlite3_reset repeats the last step's error; that was reported by the step. */
    sqlite3_reset(stmt);
    return 0;
}

static void sq_finalize(void *stmt)
{
    sqlite3_finalize(stmt);
}

/* ------------------------------------------------------------------------------------------
 * Connections and transactions
 * ---------------------------------------------------------------------------------------- */

static int sq_exec(void *conn, const char *sql, cairn_error *err)
{
    void *stmt = NULL;
    int rc = sq_prepare(conn, sql, &stmt, err);
    if (rc) return rc;
    while ((rc = sq_step(stmt, err)) == 1) {
    }
    sqlite3_finalize(stmt);
    return rc;
}

static int sq_begin(void *conn, cairn__txn_mode mode, cairn_error *err)
{
    (void)mode; /* IMMEDIATE serves both: it takes sqlite's single writer lock */
    return sq_exec(conn, "BEGIN IMMEDIATE", err);
}

static int sq_commit(void *conn, cairn_error *err)
{
    return sq_exec(conn, "COMMIT", err);
}

static bool sq_in_transaction(void *conn)
{
    return sqlite3_get_autocommit(conn) == 0;
}

static void sq_abort(void *conn)
{
    if (sq_in_transaction(conn)) sq_exec(conn, "ROLLBACK", NULL);
}

static int sq_table_exists(void *conn, const char *table, bool *exists, cairn_error *err)
{
    void *stmt = NULL;
    int rc = sq_prepare(conn, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        &stmt, err);
    if (rc) return rc;
    rc = sq_bind_text(stmt, 1, table, strlen(table));
    if (rc == 0) rc = sq_step(stmt, err);
    sqlite3_finalize(stmt);
    if (rc < 0) return rc;
    *exists = rc == 1;
    return 0;
}

/* Switches a file database to WAL. Converting needs an exclusive lock for a moment, and a
 * second process opening the same fresh file can find it held; it retries for as long as
 * the busy timeout. In-memory databases answer "memory" and stay that way. */
static int set_wal(sqlite3 *db, const char *path, cairn_error *err)
{
    const char *sql = "PRAGMA journal_mode = WAL";
    for (int waited_ms = 0;; waited_ms += 10) {
        sqlite3_stmt *stmt = NULL;
        int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
        if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            const char *mode = (const char *)sqlite3_column_text(stmt, 0);
            if (mode && strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0)
                cairn_log(CAIRN_LOG_WARN,
                          "catalog %s: the file system refused WAL mode (journal mode is %s); "
                          "concurrent readers will wait for writers",
                          path, mode);
            sqlite3_finalize(stmt);
            return 0;
        }
        int primary = rc & 0xff;
        if ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) &&
            waited_ms < SQLITE_BUSY_TIMEOUT_MS) {
            sqlite3_finalize(stmt);
            sqlite3_sleep(10);
            continue;
        }
        rc = fail(db, rc, "setting the catalog's journal mode", sql, err);
        sqlite3_finalize(stmt);
        return rc;
    }
}

static int configure(sqlite3 *db, const char *path, cairn_error *err)
{
    int rc;
    sqlite3_busy_timeout(db, SQLITE_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(db, 1);
    /* Standard SQL (and PostgreSQL) read "x" as an identifier; refuse sqlite's fallback. */
    sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
    if ((rc = sq_exec(db, "PRAGMA foreign_keys = ON", err))) return rc;
    if ((rc = set_wal(db, path, err))) return rc;
    return sq_exec(db, "PRAGMA synchronous = NORMAL", err);
}

static int sq_open(const char *target, void **out_conn, cairn_error *err)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (!*target)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "sqlite catalog URL has no path (write sqlite:PATH)");
    int rc = sqlite3_open_v2(target, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        if (!db) return cairn_error_set(err, CAIRN_ENOMEM, "opening catalog %s", target);
        rc = cairn_error_set(err, map_code(rc), "cannot open catalog %s: sqlite: %s", target,
                             sqlite3_errmsg(db));
        sqlite3_close(db);
        return rc;
    }
    if ((rc = configure(db, target, err))) {
        cairn_error_prefix(err, "opening catalog %s: ", target);
        sqlite3_close(db);
        return rc;
    }
    *out_conn = db;
    return 0;
}

static void sq_close(void *conn)
{
    sqlite3 *db = conn;
    sq_abort(db);
    if (sqlite3_close(db) == SQLITE_BUSY) {
        /* A statement was not finalized: a bug in the caller. Let sqlite free the handle
         * when the last statement goes, rather than leak it. */
        cairn_log(CAIRN_LOG_WARN, "catalog closed with statements not finalized");
        sqlite3_close_v2(db);
    }
}

/* ------------------------------------------------------------------------------------------
 * The descriptor
 * ---------------------------------------------------------------------------------------- */

const cairn__catalog_backend cairn__catalog_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .exec = sq_exec,
    .begin = sq_begin,
    .commit = sq_commit,
    .abort = sq_abort,
    .in_transaction = sq_in_transaction,
    .table_exists = sq_table_exists,
    .rewrite_sql = NULL,
    .prepare = sq_prepare,
    .bind_null = sq_bind_null,
    .bind_int64 = sq_bind_int64,
    .bind_double = sq_bind_double,
    .bind_text = sq_bind_text,
    .bind_blob = sq_bind_blob,
    .step = sq_step,
    .column_count = sq_column_count,
    .column_is_null = sq_column_is_null,
    .column_int64 = sq_column_int64,
    .column_double = sq_column_double,
    .column_text = sq_column_text,
    .column_blob = sq_column_blob,
    .reset = sq_reset,
    .finalize = sq_finalize,
};
