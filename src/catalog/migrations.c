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
 * 3 lake: datasets, snapshots, ingested files, dead letters, gc log (src/lake/, src/ingest/)
 * ---------------------------------------------------------------------------------------- */

static const char *const lake_sql[] = {
    /* One row per dataset: its head snapshot, legal hold and retention policy. */
    "CREATE TABLE lake_datasets (name TEXT PRIMARY KEY, head TEXT, created_at TEXT NOT NULL, "
    "legal_hold BIGINT NOT NULL DEFAULT 0, hold_reason TEXT, "
    "keep_partitions_us BIGINT NOT NULL DEFAULT 0, keep_snapshots_us BIGINT NOT NULL DEFAULT 0)",
    /* Every committed snapshot; the manifest itself is the object named by id. quality is
     * the object id of the quality report of the ingest that made it (or NULL). */
    "CREATE TABLE lake_snapshots (id TEXT PRIMARY KEY, dataset TEXT NOT NULL, parent TEXT, "
    "sequence BIGINT NOT NULL, committed_at TEXT NOT NULL, operation TEXT NOT NULL, "
    "schema_subject TEXT, schema_version BIGINT, rows BIGINT NOT NULL, "
    "added_rows BIGINT NOT NULL, files BIGINT NOT NULL, quality TEXT, expired_at TEXT)",
    "CREATE UNIQUE INDEX lake_snapshots_seq ON lake_snapshots (dataset, sequence)",
    "CREATE INDEX lake_snapshots_time ON lake_snapshots (dataset, committed_at)",
    /* What gc deleted, and why. */
    "CREATE TABLE lake_gc_log (id BIGINT NOT NULL PRIMARY KEY, at TEXT NOT NULL, "
    "dataset TEXT, path TEXT NOT NULL, bytes BIGINT NOT NULL, reason TEXT NOT NULL)",
    /* Input files already ingested, by content: a second ingest of the same bytes is a
     * no-op. */
    "CREATE TABLE ingested_files (dataset TEXT NOT NULL, sha256 TEXT NOT NULL, "
    "source TEXT NOT NULL, snapshot TEXT, at TEXT NOT NULL, rows_read BIGINT NOT NULL, "
    "rows_written BIGINT NOT NULL, rows_rejected BIGINT NOT NULL, "
    "PRIMARY KEY (dataset, sha256))",
    /* Dead letters: the original record (raw, in its format; CSV rows with their header),
     * where it came from, why it was refused, and the schema version it was checked
     * against (the fields Kafka Connect puts in its dead-letter headers). */
    "CREATE TABLE dlq_records (id BIGINT NOT NULL PRIMARY KEY, dataset TEXT NOT NULL, "
    "at TEXT NOT NULL, source TEXT NOT NULL, location TEXT NOT NULL, line BIGINT, "
    "stage TEXT NOT NULL, reason TEXT NOT NULL, field TEXT, format TEXT NOT NULL, "
    "header TEXT, raw TEXT NOT NULL, schema_subject TEXT, schema_version BIGINT, "
    "snapshot TEXT, status TEXT NOT NULL, replayed_at TEXT, replayed_snapshot TEXT)",
    "CREATE INDEX dlq_records_dataset ON dlq_records (dataset, status, id)",
    NULL,
};

/* ------------------------------------------------------------------------------------------
 * 4 features: the feature registry (src/feature/registry.c)
 * ---------------------------------------------------------------------------------------- */

static const char *const features_sql[] = {
    /* Every version of every definition object (entity, source, feature_view,
     * feature_service); definition is its canonical JSON, hash that text's SHA-256. tags is
     * ",a,b," so that an exact tag matches with LIKE '%,tag,%'. */
    "CREATE TABLE feature_registry (kind TEXT NOT NULL, name TEXT NOT NULL, "
    "version BIGINT NOT NULL, hash TEXT NOT NULL, definition TEXT NOT NULL, owner TEXT, "
    "tags TEXT, description TEXT, applied_at TEXT NOT NULL, PRIMARY KEY (kind, name, version))",
    NULL,
};

/* ------------------------------------------------------------------------------------------
 * 5 feature_data: training sets, opt-outs, materializations (src/feature/)
 * ---------------------------------------------------------------------------------------- */

static const char *const feature_data_sql[] = {
    /* A training set: id = SHA-256 of its inputs; object = its Parquet bytes in objects/;
     * lineage = JSON (service version, views with versions and snapshots, entity table hash,
     * opt-outs applied). */
    "CREATE TABLE training_sets (id TEXT PRIMARY KEY, service TEXT NOT NULL, "
    "service_version BIGINT NOT NULL, object TEXT NOT NULL, rows BIGINT NOT NULL, "
    "columns BIGINT NOT NULL, excluded BIGINT NOT NULL, lineage TEXT NOT NULL, "
    "created_at TEXT NOT NULL)",
    /* Entity keys excluded from every training set built afterwards. */
    "CREATE TABLE feature_optout (entity TEXT NOT NULL, entity_key TEXT NOT NULL, "
    "added_at TEXT NOT NULL, PRIMARY KEY (entity, entity_key))",
    /* Each materialization of a view: the event-time range written and what it wrote. */
    "CREATE TABLE feature_materializations (id BIGINT NOT NULL PRIMARY KEY, view TEXT NOT NULL, "
    "view_version BIGINT NOT NULL, snapshot TEXT, start_us BIGINT NOT NULL, "
    "end_us BIGINT NOT NULL, entities BIGINT NOT NULL, written BIGINT NOT NULL, "
    "at TEXT NOT NULL)",
    NULL,
};

/* ------------------------------------------------------------------------------------------
 * 6 feature_stats: per-feature statistics of training sets and materializations
 * (src/feature/stats.c)
 * ---------------------------------------------------------------------------------------- */

static const char *const feature_stats_sql[] = {
    /* One feature of one version: subject_kind 'training_set' (subject = the service, version
     * = the training set id) or 'materialization' (subject = the view, version = the
     * feature_materializations id); feature = 'view:feature'; stats = the column's JSON
     * (cairn_feature_stats_compute); psi against the subject's previous version, NULL for
     * the first. */
    "CREATE TABLE feature_stats (id BIGINT NOT NULL PRIMARY KEY, subject_kind TEXT NOT NULL, "
    "subject TEXT NOT NULL, feature TEXT NOT NULL, version TEXT NOT NULL, stats TEXT NOT NULL, "
    "psi DOUBLE PRECISION, at TEXT NOT NULL)",
    "CREATE INDEX feature_stats_feature ON feature_stats (feature, id)",
    "CREATE INDEX feature_stats_subject ON feature_stats (subject_kind, subject, id)",
    NULL,
};

/* ------------------------------------------------------------------------------------------
 * 7 runs: experiment tracking (src/train/runs.c, include/cairn/runs.h)
 * ---------------------------------------------------------------------------------------- */

static const char *const runs_sql[] = {
    "CREATE TABLE run_experiments (id BIGINT NOT NULL PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
    "created_us BIGINT NOT NULL)",
    "CREATE TABLE run_experiment_tags (experiment_id BIGINT NOT NULL, key TEXT NOT NULL, "
    "value TEXT NOT NULL, PRIMARY KEY (experiment_id, key))",
    /* num is the run's row number (assigned like every id here) and the key of everything a
     * run holds: 1 to 4 bytes where the 32-digit id would take 33, in every row and index of
     * the child tables. Times are microseconds (BIGINT), not ISO text: runs are ordered and
     * their durations computed by them. status: RUNNING, FINISHED, FAILED, KILLED. */
    "CREATE TABLE runs (num BIGINT NOT NULL PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
    "experiment_id BIGINT NOT NULL, parent_id TEXT, name TEXT, status TEXT NOT NULL, "
    "start_us BIGINT NOT NULL, end_us BIGINT, user_name TEXT NOT NULL, source TEXT)",
    "CREATE INDEX runs_experiment ON runs (experiment_id, start_us, num)",
    "CREATE INDEX runs_parent ON runs (parent_id, start_us)",
    "CREATE TABLE run_params (run_num BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, "
    "PRIMARY KEY (run_num, key))",
    "CREATE TABLE run_tags (run_num BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, "
    "PRIMARY KEY (run_num, key))",
    /* One summary per (run, metric): the latest point by (step, timestamp) (latest NULL when
     * its value is NaN: SQLite stores NaN as NULL anyway), min and max over the non-NaN
     * values (NULL when none), the count of points. experiment_id is copied from the run so
     * that one index orders an experiment's runs by a metric. */
    "CREATE TABLE run_metrics (run_num BIGINT NOT NULL, key TEXT NOT NULL, "
    "experiment_id BIGINT NOT NULL, latest DOUBLE PRECISION, step BIGINT NOT NULL, "
    "timestamp_ms BIGINT NOT NULL, min_value DOUBLE PRECISION, max_value DOUBLE PRECISION, "
    "count BIGINT NOT NULL, PRIMARY KEY (run_num, key))",
    "CREATE INDEX run_metrics_order ON run_metrics (experiment_id, key, latest, run_num)",
    /* The series, in chunks of up to 1,024 points in the order logged (seq 0, 1, ...; every
     * chunk but the last is full), encoded by src/train/runs.c. data is the one binary
     * column of the catalog, an exception to the rule above: a chunk changes on every
     * append until it is full, so it cannot be an immutable object, and hex or base64 text
     * would add a third to a half. BYTEA is PostgreSQL's binary type; SQLite gives the name
     * NUMERIC affinity, which stores a bound blob unchanged. */
    "CREATE TABLE run_metric_chunks (run_num BIGINT NOT NULL, key TEXT NOT NULL, "
    "seq BIGINT NOT NULL, points BIGINT NOT NULL, data BYTEA NOT NULL, "
    "PRIMARY KEY (run_num, key, seq))",
    /* Artifacts: object is the SHA-256 of the bytes in objects/. */
    "CREATE TABLE run_artifacts (run_num BIGINT NOT NULL, path TEXT NOT NULL, "
    "object TEXT NOT NULL, bytes BIGINT NOT NULL, logged_us BIGINT NOT NULL, "
    "PRIMARY KEY (run_num, path))",
    NULL,
};

/* ------------------------------------------------------------------------------------------
 * The list
 * ---------------------------------------------------------------------------------------- */

static const cairn__migration migrations[] = {
    {1, "core", core_sql, core_apply},
    {2, "schema_registry", schema_registry_sql, NULL},
    {3, "lake", lake_sql, NULL},
    {4, "features", features_sql, NULL},
    {5, "feature_data", feature_data_sql, NULL},
    {6, "feature_stats", feature_stats_sql, NULL},
    {7, "runs", runs_sql, NULL},
};

const cairn__migration *cairn__catalog_migrations(size_t *count)
{
    *count = sizeof migrations / sizeof migrations[0];
    return migrations;
}
