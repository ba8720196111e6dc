/* cairn/catalog.h: the metadata store, and the Cairn home that holds it.
 *
 * The catalog is one SQL module with interchangeable backends: SQLite (default, a file in
 * the home, WAL mode, busy timeout, foreign keys on) and, later, PostgreSQL. Callers write
 * portable SQL with `?` placeholders; anything backend-specific stays inside the backend.
 * Opening a catalog applies the pending schema migrations, each in its own transaction and
 * recorded in cairn_migrations (version, name, applied_at), so a crash between two leaves
 * the catalog at a consistent, numbered version.
 *
 * A home (default ./.cairn, or $CAIRN_HOME, or --home) is a directory:
 *   cairn.yaml  configuration (catalog and online-store URLs, server settings)
 *   catalog.db  the SQLite catalog    lake/ dlq/ objects/ online/ keys/ (0700)
 * Every setting `section.key` in cairn.yaml can be overridden by the environment variable
 * CAIRN_<SECTION>_<KEY> (upper case).
 */
#ifndef CAIRN_CATALOG_H
#define CAIRN_CATALOG_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cairn_catalog cairn_catalog;
typedef struct cairn_stmt cairn_stmt;

/* url: "sqlite:PATH" (relative to the current directory), "sqlite::memory:", or a plain
 * path. "postgres://..." is refused with CAIRN_EUNSUPPORTED until that backend lands.
 * Applies pending migrations before returning. */
int cairn_catalog_open(const char *url, cairn_catalog **out, cairn_error *err);
void cairn_catalog_close(cairn_catalog *catalog);
const char *cairn_catalog_backend(const cairn_catalog *catalog); /* "sqlite" */
/* The highest applied migration, and the highest this build knows. */
int cairn_catalog_version(cairn_catalog *catalog, int64_t *applied, int64_t *known,
                          cairn_error *err);

/* Runs one statement without parameters or results. */
int cairn_catalog_exec(cairn_catalog *catalog, const char *sql, cairn_error *err);
/* Transactions: begin/commit/abort. abort after a failed commit is safe. */
int cairn_catalog_begin(cairn_catalog *catalog, cairn_error *err);
int cairn_catalog_commit(cairn_catalog *catalog, cairn_error *err);
void cairn_catalog_abort(cairn_catalog *catalog);

/* Prepared statements with `?` placeholders, bound by 1-based index. Bound text and blobs
 * are copied. Column values are valid until the next step, reset or finalize. */
int cairn_catalog_prepare(cairn_catalog *catalog, const char *sql, cairn_stmt **out,
                          cairn_error *err);
int cairn_stmt_bind_null(cairn_stmt *stmt, int index);
int cairn_stmt_bind_int64(cairn_stmt *stmt, int index, int64_t value);
int cairn_stmt_bind_double(cairn_stmt *stmt, int index, double value);
int cairn_stmt_bind_text(cairn_stmt *stmt, int index, const char *text, size_t len);
int cairn_stmt_bind_blob(cairn_stmt *stmt, int index, const void *data, size_t len);
/* 1 when a row is ready, 0 when done, a negative CAIRN_E* code on failure (then err says
 * what the backend said, and CAIRN_ECONFLICT means a constraint was violated). */
int cairn_stmt_step(cairn_stmt *stmt, cairn_error *err);
int cairn_stmt_column_count(cairn_stmt *stmt);
bool cairn_stmt_is_null(cairn_stmt *stmt, int column); /* 0-based columns */
int64_t cairn_stmt_int64(cairn_stmt *stmt, int column);
double cairn_stmt_double(cairn_stmt *stmt, int column);
const char *cairn_stmt_text(cairn_stmt *stmt, int column, size_t *len); /* "" for null */
const void *cairn_stmt_blob(cairn_stmt *stmt, int column, size_t *len);
int cairn_stmt_reset(cairn_stmt *stmt); /* ready to bind and step again */
void cairn_stmt_finalize(cairn_stmt *stmt);

/* ------------------------------------------------------------------------------------------
 * The Cairn home
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_home cairn_home;

/* The home directory to use: `flag` when not NULL, else $CAIRN_HOME, else "./.cairn". */
const char *cairn_home_default(const char *flag);
/* Creates the layout, a default cairn.yaml and the catalog, or completes a partial one.
 * Existing files are kept. *created says whether the home is new. */
int cairn_home_init(const char *dir, bool *created, cairn_error *err);
/* Opens an initialised home: reads cairn.yaml, opens the catalog. CAIRN_ENOTFOUND with a
 * hint to run `cairn init` when dir is not a home. */
int cairn_home_open(const char *dir, cairn_home **out, cairn_error *err);
void cairn_home_close(cairn_home *home);
const char *cairn_home_path(const cairn_home *home);
cairn_catalog *cairn_home_catalog(const cairn_home *home);
/* A setting "section.key": the environment override CAIRN_SECTION_KEY if set, else the
 * value in cairn.yaml, else `fallback`. Borrowed; valid until the home is closed. */
const char *cairn_home_setting(const cairn_home *home, const char *key, const char *fallback);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_CATALOG_H */
