/* src/catalog/backend.h: the interface every catalog backend implements (private).
 *
 * The catalog layer (catalog.c) is backend-neutral: it picks a backend by URL scheme from a
 * descriptor table and forwards every call through the function pointers below. Adding a
 * backend (PostgreSQL through libpq is next) is one new file defining a
 * cairn__catalog_backend plus one entry in catalog.c's scheme table.
 *
 * Contract for implementations
 * - conn and stmt handles are opaque to the catalog layer (void *); the backend allocates
 *   and frees them. Functions that can fail return 0 or a negative CAIRN_E* code and fill
 *   err with the backend's own message and the SQL involved (truncated).
 * - A violated constraint (unique, primary key, foreign key, not null, check) is
 *   CAIRN_ECONFLICT; a lock held too long is CAIRN_ECATALOG with a message saying so.
 * - Text and blob binds are copied before the bind call returns. Column views are valid
 *   until the next step, reset or finalize on the same statement.
 * - begin(CAIRN__TXN_WRITE) starts a transaction that will write; begin(CAIRN__TXN_MIGRATE)
 *   must in addition serialise against every other migrator of the same catalog (SQLite:
 *   BEGIN IMMEDIATE takes the single writer lock; PostgreSQL: an advisory transaction lock).
 * - abort is safe at any time, including when no transaction is open or after a failed
 *   commit; in_transaction reports the backend's own view, which is authoritative (some
 *   failures end a transaction on their own).
 * - rewrite_sql, when not NULL, turns Cairn's portable SQL (`?` placeholders) into the
 *   backend's dialect (e.g. `$1` for libpq) before exec or prepare.
 * - All backend-specific SQL (PRAGMAs, system catalogs) stays inside the backend's file.
 *
 * Tests: tests/unit/catalog/ (through the public API).
 */
#ifndef CAIRN_CATALOG_BACKEND_H
#define CAIRN_CATALOG_BACKEND_H

#include "cairn/core.h"

typedef enum cairn__txn_mode {
    CAIRN__TXN_WRITE = 1,   /* an ordinary read-write transaction */
    CAIRN__TXN_MIGRATE = 2, /* exclusive against other migrators */
} cairn__txn_mode;

typedef struct cairn__catalog_backend {
    const char *name; /* "sqlite" */

    /* target: what follows "scheme:" for backends that strip it, else the whole URL. */
    int (*open)(const char *target, void **out_conn, cairn_error *err);
    void (*close)(void *conn);

    int (*exec)(void *conn, const char *sql, cairn_error *err); /* exactly one statement */
    int (*begin)(void *conn, cairn__txn_mode mode, cairn_error *err);
    int (*commit)(void *conn, cairn_error *err);
    void (*abort)(void *conn);
    bool (*in_transaction)(void *conn);
    int (*table_exists)(void *conn, const char *table, bool *exists, cairn_error *err);
    /* NULL when the backend takes Cairn's portable SQL as it is. out is appended to. */
    int (*rewrite_sql)(const char *sql, cairn_buf *out, cairn_error *err);

    int (*prepare)(void *conn, const char *sql, void **out_stmt, cairn_error *err);
    int (*bind_null)(void *stmt, int index);
    int (*bind_int64)(void *stmt, int index, int64_t value);
    int (*bind_double)(void *stmt, int index, double value);
    int (*bind_text)(void *stmt, int index, const char *text, size_t len);
    int (*bind_blob)(void *stmt, int index, const void *data, size_t len);
    int (*step)(void *stmt, cairn_error *err); /* 1 row, 0 done, < 0 error */
    int (*column_count)(void *stmt);
    bool (*column_is_null)(void *stmt, int column);
    int64_t (*column_int64)(void *stmt, int column);
    double (*column_double)(void *stmt, int column);
    const char *(*column_text)(void *stmt, int column, size_t *len); /* never NULL */
    const void *(*column_blob)(void *stmt, int column, size_t *len); /* never NULL */
    int (*reset)(void *stmt);
    void (*finalize)(void *stmt);
} cairn__catalog_backend;

/* The implementations (one file each). */
extern const cairn__catalog_backend cairn__catalog_sqlite; /* sqlite.c */

#endif /* CAIRN_CATALOG_BACKEND_H */
