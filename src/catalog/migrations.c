/* src/catalog/migrations.c: the numbered schema migrations of the catalog.
 *
 * One static array, `migrations`, in version order. A released migration is never edited:
 * a schema change is a new entry at the end with the next number and a short name. The
 * runner (catalog.c) applies each pending entry in one transaction with its record in
 * cairn_migrations.
 *
 * Portability rules (every statement must run on SQLite and PostgreSQL as written):
 * - types BIGINT, TEXT and DOUBLE PRECISION only; no BLOB columns (binary content goes in
 *   objects/ and the catalog holds its hash); times are ISO-8601 TEXT in UTC as written by
 *   cairn_time_format, which sorts chronologically;
 * - one statement per string; no AUTOINCREMENT, SERIAL, PRAGMA or backend functions;
 *   anything random or time-dependent comes from the migration's C hook.
 * - Row ids: `id BIGINT NOT NULL PRIMARY KEY`, assigned by the writer as
 *   COALESCE(MAX(id), 0) + 1 inside its (write) transaction. On SQLite transactions are
 *   serialised (BEGIN IMMEDIATE) so this never collides; on PostgreSQL a concurrent writer
 *   gets a unique violation (CAIRN_ECONFLICT) and retries. Neither INTEGER PRIMARY KEY
 *   (rowid alias, SQLite only) nor identity columns (PostgreSQL only) are portable.
 *
 * Tests: tests/unit/catalog/test_migrations.c.
 */
#include "catalog/catalog_internal.h"

#include <sodium.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------
 * 1 core: home identity and the audit log
 * ---------------------------------------------------------------------------------------- */

static const char *const core_sql[] = {
    "CREATE TABLE cairn_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE audit_log (id BIGINT NOT NULL PRIMARY KEY, at TEXT NOT NULL, "
    "actor TEXT NOT NULL, action TEXT NOT NULL, object TEXT, detail TEXT)",
    "CREATE INDEX audit_log_at ON audit_log (at)",
    NULL,
};

static int put_meta(cairn_catalog *catalog, const char *key, const char *value, cairn_error *err)
{
    cairn_stmt *stmt = NULL;
    int rc = cairn_catalog_prepare(catalog, "INSERT INTO cairn_meta (key, value) VALUES (?, ?)",
                                   &stmt, err);
    if (rc) return rc;
    if ((rc = cairn_stmt_bind_text(stmt, 1, key, strlen(key))) ||
        (rc = cairn_stmt_bind_text(stmt, 2, value, strlen(value))))
        rc = cairn_error_set(err, rc, "binding cairn_meta.%s", key);
    else
        rc = cairn_stmt_step(stmt, err);
    cairn_stmt_finalize(stmt);
    return rc < 0 ? rc : 0;
}

/* The home's identity: a random 128-bit id (hex) and the creation time. */
static int core_apply(cairn_catalog *catalog, cairn_error *err)
{
    uint8_t id[16];
    char hex[2 * sizeof id + 1];
    char now[CAIRN_TIME_FMT_LEN];
    if (sodium_init() < 0)
        return cairn_error_set(err, CAIRN_EINTERNAL, "libsodium failed to initialise");
    randombytes_buf(id, sizeof id);
    cairn_hex_encode(id, sizeof id, hex);
    cairn_time_format(cairn_now_us(), now, sizeof now);
    int rc = put_meta(catalog, "home_id", hex, err);
    if (rc == 0) rc = put_meta(catalog, "created_at", now, err);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * 2 schema_registry: dataset schemas by subject and version (src/ingest/registry.c)
 * ---------------------------------------------------------------------------------------- */

static const char *const schema_registry_sql[] = {
    "CREATE TABLE schema_subjects (subject TEXT PRIMARY KEY, compat TEXT NOT NULL)",
    "CREATE TABLE schema_versions (subject TEXT NOT NULL, version BIGINT NOT NULL, "
    "hash TEXT NOT NULL, schema_json TEXT NOT NULL, registered_at TEXT NOT NULL, "
    "PRIMARY KEY (subject, version))",
    NULL,
};

/* ------------------------------------------------------------------------------------------
 * The list
 * ---------------------------------------------------------------------------------------- */

static const cairn__migration migrations[] = {
    {1, "core", core_sql, core_apply},
    {2, "schema_registry", schema_registry_sql, NULL},
};

const cairn__migration *cairn__catalog_migrations(size_t *count)
{
    *count = sizeof migrations / sizeof migrations[0];
    return migrations;
}
