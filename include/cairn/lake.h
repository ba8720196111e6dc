/* cairn/lake.h: the object store, the partitioned Parquet lake, snapshots, and their upkeep
 * (compaction, retention, legal hold, garbage collection).
 *
 * Objects: immutable blobs in <home>/objects/<aa>/<sha256>, named by the SHA-256 of their
 * bytes, written to a temporary name, synced and renamed (a crash leaves either nothing or
 * the whole object). Manifests live there.
 *
 * The lake: <home>/lake/<dataset>/<key>=<value>/part-<hash16>.parquet, Hive style, readable
 * by DuckDB with hive_partitioning=true. Partition keys, from the schema's partition rule:
 *   day of column c   -> "c_day=YYYY-MM-DD"   (c stays in the file; the key is derived)
 *   month of column c -> "c_month=YYYY-MM"
 *   value of column c -> "c=<value>"          (c is left out of the file, as Hive and
 *                                              DuckDB do; readers restore it from the key)
 * Values are escaped as Hive does (%XX for '/', '=', '%', control characters and the like);
 * a null value is __HIVE_DEFAULT_PARTITION__. An unpartitioned dataset has its files at
 * <dataset>/part-<hash16>.parquet. <hash16> is the first 16 hex digits of the file's SHA-256.
 *
 * A snapshot is a manifest object, canonical JSON:
 *   {"dataset":..., "parent": id|null,
 *    "operation": "ingest"|"stream"|"replay"|"compact"|"retention",
 *    "committed_at": ISO-8601, "schema_subject":..., "schema_version": n,
 *    "partition": null | {"by": "day"|"month"|"value", "column": c, "type": t},
 *    "rows": total, "added_rows": n, "files": [{"path", "sha256", "rows", "bytes",
 *    "partition", "min_event_time", "max_event_time"}, ...] (sorted by path)}
 * (keys in this order, compact, no spaces) whose id is the SHA-256 of that text. "type" is
 * the partition column's type, which a reader needs to restore a value-partition column
 * (restored as the last column, as DuckDB does with hive_partitioning). The catalog records each snapshot (id, dataset,
 * parent, sequence number, time, operation, rows) and each dataset's head; a commit checks
 * that the head is still the parent it was built on and moves it, in one transaction.
 * Files never change once written; a snapshot lists every file of the dataset at that point
 * (unchanged files are shared between snapshots, as lakeFS shares ranges).
 *
 * References: "flights" (the head), "flights@<id or unambiguous prefix of at least 4 hex
 * digits>", "flights@<ISO-8601 time or date>" (the last snapshot committed at or before it).
 *
 * Retention: keep partitions whose newest event time is within N of now; keep snapshots
 * committed within T of now (the head is always kept). A legal hold on a dataset blocks
 * every deletion of its data: retention, snapshot expiry and gc. `gc` deletes only files and
 * manifests no live snapshot references (and stray temporaries of crashed writers), and
 * records each deletion and its reason in the catalog (lake_gc_log) and the audit log.
 */
#ifndef CAIRN_LAKE_H
#define CAIRN_LAKE_H

#include "catalog.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------
 * Objects
 * ---------------------------------------------------------------------------------------- */

/* Stores data as an object (a no-op when it already exists); id gets its hex SHA-256. */
int cairn_object_put(const char *home_dir, const void *data, size_t len, char id[65],
                     cairn_error *err);
/* Reads an object and verifies its hash (CAIRN_ECORRUPT when it does not match,
 * CAIRN_ENOTFOUND when absent). */
int cairn_object_get(const char *home_dir, const char *id, cairn_buf *out, cairn_error *err);
/* <home>/objects/<aa>/<id>; CAIRN_EINVAL when id is not 64 hex digits or out is short. */
int cairn_object_path(const char *home_dir, const char *id, char *out, size_t cap,
                      cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Files and snapshots
 * ---------------------------------------------------------------------------------------- */

#define CAIRN_LAKE_PATH_MAX 512
#define CAIRN_DATASET_NAME_MAX 128

/* One file of a snapshot. */
typedef struct cairn_lake_file {
    char path[CAIRN_LAKE_PATH_MAX];      /* relative to lake/<dataset>/ */
    char partition[CAIRN_LAKE_PATH_MAX]; /* "date_day=2001-01-01", "" when unpartitioned */
    char sha256[65];
    int64_t rows;
    int64_t bytes;
    bool has_event_time;                 /* false when the dataset has no event time */
    int64_t min_event_us, max_event_us;
} cairn_lake_file;

typedef struct cairn_snapshot {
    char id[65];
    char parent[65];      /* "" for the first */
    char dataset[CAIRN_DATASET_NAME_MAX];
    char operation[16];
    char committed_at[CAIRN_TIME_FMT_LEN];
    int64_t sequence;     /* 1, 2, ... per dataset */
    char schema_subject[CAIRN_DATASET_NAME_MAX];
    int64_t schema_version;
    int64_t rows;         /* in all files */
    int64_t added_rows;   /* rows this commit brought in (ingest, stream); 0 otherwise */
    int partition_kind;   /* cairn_partition_kind (0 = none) */
    char partition_column[CAIRN_DATASET_NAME_MAX]; /* "" when none */
    cairn_type partition_type; /* the column's type; 0 when unknown */
    cairn_lake_file *files;
    size_t nfiles;
} cairn_snapshot;

void cairn_snapshot_free(cairn_snapshot *snapshot);

/* Is `name` a valid dataset name ([A-Za-z0-9_.-], 1..127 chars, not starting with '.')? */
bool cairn_dataset_name_valid(const char *name);

/* Partition text of a row's value under the rule, e.g. ("date", DAY, ts) ->
 * "date_day=2001-01-01". kind/column are as cairn_dataset_schema_partition returns
 * (cairn_partition_kind values, passed as int to keep this header free of ingest.h). */
int cairn_lake_partition_text(int kind, const char *column, const cairn_value *value,
                              char *out, size_t cap, cairn_error *err);

/* Writes `table` as one Parquet file of `dataset` in `partition` ("" = none): a temporary
 * name starting with '.', fsync, SHA-256, rename to part-<hash16>.parquet, directory fsync.
 * Writing the same table again gives the same file (the second write drops its temporary).
 * Safe to call from several threads at once. For value partitioning the caller passes the
 * table without the partition column. event_column (a timestamp or date column, or NULL)
 * fills min/max_event_us (has_event_time false when it has no value). opts NULL = defaults
 * (ZSTD). `out` describes the file. The file is garbage until a snapshot lists it: gc leaves
 * it alone for its grace period (default 1 hour), so commit within that. */
int cairn_lake_write_file(const char *home_dir, const char *dataset, const char *partition,
                          const cairn_table *table, const char *event_column,
                          const cairn_write_options *opts, cairn_lake_file *out,
                          cairn_error *err);

/* Called inside the commit's transaction after the snapshot row is written, so that a
 * caller's own records (ingested files, dead letters) commit with it or not at all. */
typedef int (*cairn_commit_hook)(void *ud, cairn_catalog *catalog, const char *snapshot_id,
                                 cairn_error *err);

typedef struct cairn_commit {
    const char *dataset;
    const char *parent;          /* the head it was built on; NULL or "" = none yet */
    const char *operation;       /* "ingest", "stream", "replay", "compact", "retention" */
    const char *schema_subject;
    int64_t schema_version;
    int64_t added_rows;
    const cairn_lake_file *files; /* the snapshot's complete file list (borrowed) */
    size_t nfiles;
    int partition_kind;          /* cairn_partition_kind of the dataset; 0 = none */
    const char *partition_column; /* NULL when none */
    cairn_type partition_type;   /* the partition column's type (required for VALUE) */
    cairn_commit_hook hook;      /* NULL for none */
    void *hook_ud;
} cairn_commit;

/* Writes the manifest object, then in one transaction checks the head is still `parent`
 * (CAIRN_ECONFLICT otherwise: someone committed in between), records the snapshot, moves
 * the head, runs the hook, writes an audit record. id gets the snapshot id. */
int cairn_snapshot_commit(cairn_home *home, const cairn_commit *commit, char id[65],
                          cairn_error *err);

/* The dataset's head; *out = NULL (and 0 returned) when it has no snapshot yet. */
int cairn_snapshot_head(cairn_home *home, const char *dataset, cairn_snapshot **out,
                        cairn_error *err);
/* Resolves "dataset", "dataset@id-prefix" or "dataset@time" to a snapshot with its files.
 * CAIRN_ENOTFOUND (no such dataset, snapshot or none at that time), CAIRN_EINVAL (an
 * ambiguous prefix, listing the candidates). */
int cairn_snapshot_resolve(cairn_home *home, const char *ref, cairn_snapshot **out,
                           cairn_error *err);
/* The object id of the quality report the ingest that made snapshot `id` stored, or "" in
 * qid when it stored none (compaction, retention, an ingest without rows). */
int cairn_snapshot_quality(cairn_home *home, const char *id, char qid[65], cairn_error *err);
/* Snapshots of a dataset, newest first, without their files (files = NULL; nfiles is the
 * count): an array of *count (cairn_free the array). Expired snapshots are left out. */
int cairn_snapshot_list(cairn_home *home, const char *dataset, cairn_snapshot **out,
                        size_t *count, cairn_error *err);
/* Datasets with at least one snapshot, in name order (cairn_free each and the array). */
int cairn_lake_datasets(cairn_home *home, char ***out, size_t *count, cairn_error *err);

/* What changed from a to b: files only in b (added) and only in a (removed), by path. */
typedef struct cairn_snapshot_diff {
    cairn_lake_file *added, *removed;
    size_t nadded, nremoved;
    int64_t rows_added, rows_removed;
} cairn_snapshot_diff;
int cairn_snapshot_diff_compute(const cairn_snapshot *a, const cairn_snapshot *b,
                                cairn_snapshot_diff *out, cairn_error *err);
void cairn_snapshot_diff_free(cairn_snapshot_diff *diff);

/* Reads a snapshot's rows into one table, files in manifest order, restoring a value
 * partition column from the keys (as the last column, typed by the manifest). columns/
 * ncolumns (NULL/0 = all) project, in the order given (the partition column may be among
 * them). Every file's SHA-256 is checked against the manifest when verify is true
 * (CAIRN_ECORRUPT naming the file). A snapshot without files gives an empty table. */
int cairn_lake_read(cairn_home *home, const cairn_snapshot *snapshot,
                    const char *const *columns, size_t ncolumns, bool verify,
                    cairn_table **out, cairn_error *err);
/* The absolute path of a snapshot file (lake/<dataset>/<path>). */
int cairn_lake_file_path(const char *home_dir, const char *dataset, const cairn_lake_file *file,
                         char *out, size_t cap, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Upkeep
 * ---------------------------------------------------------------------------------------- */

/* Merges each partition's files into one file per partition (partitions with a single file
 * are kept) and commits the result as a new snapshot (operation "compact"). *changed is
 * false (and no snapshot is made) when nothing needed merging. Rows are unchanged. */
int cairn_lake_compact(cairn_home *home, const char *dataset, char id[65], bool *changed,
                       cairn_error *err);

typedef struct cairn_retention {
    int64_t keep_partitions_us; /* keep partitions newer than this (event time); 0 = forever */
    int64_t keep_snapshots_us;  /* keep snapshots committed within this; 0 = forever */
} cairn_retention;

int cairn_lake_set_retention(cairn_home *home, const char *dataset,
                             const cairn_retention *policy, cairn_error *err);
int cairn_lake_get_retention(cairn_home *home, const char *dataset, cairn_retention *policy,
                             cairn_error *err);
int cairn_lake_set_hold(cairn_home *home, const char *dataset, bool on, const char *reason,
                        cairn_error *err);
int cairn_lake_get_hold(cairn_home *home, const char *dataset, bool *on, char reason[256],
                        cairn_error *err);

/* One deletion (or, in a dry run, one that would happen). */
typedef struct cairn_gc_item {
    char dataset[CAIRN_DATASET_NAME_MAX];
    char path[CAIRN_LAKE_PATH_MAX]; /* relative to the home: "lake/ds/...", "objects/.." */
    int64_t bytes;
    char reason[64]; /* "unreferenced", "expired snapshot", "stray temporary file",
                      * "retention: partition older than 30d" */
} cairn_gc_item;

typedef struct cairn_gc_report {
    int64_t partitions_dropped;  /* by retention (a new snapshot without them) */
    int64_t snapshots_expired;
    int64_t files_deleted;
    int64_t objects_deleted;     /* manifests of expired snapshots */
    int64_t bytes_deleted;
    int64_t datasets_held;       /* skipped because of a legal hold */
    cairn_gc_item *items;        /* every deletion, in order (owned; cairn_gc_report_release) */
    size_t nitems;
    char **held;                 /* names of the held datasets (owned) */
} cairn_gc_report;
void cairn_gc_report_release(cairn_gc_report *report);

#define CAIRN_GC_GRACE_DEFAULT_US (3600 * CAIRN_US_PER_SECOND)

typedef struct cairn_gc_options {
    const char *dataset; /* NULL = every dataset (and stray directories under lake/) */
    int64_t now_us;      /* the clock retention is measured against; 0 = now */
    /* Files (and temporaries) modified less than grace_us ago are never deleted, so an
     * ingest that has written files but not committed yet keeps them. Default 1 hour. */
    int64_t grace_us;
    bool dry_run;        /* report, change nothing */
} cairn_gc_options;
void cairn_gc_options_init(cairn_gc_options *opts);

/* Applies each dataset's retention as of now_us (dropping old partitions from the head in a
 * "retention" snapshot, expiring old snapshots and those holding dropped partitions), then
 * deletes the files no live snapshot references, stray temporaries and the manifests of
 * expired snapshots, logging each in lake_gc_log and audit_log. Held datasets are skipped
 * and counted. opts NULL = defaults. report (zeroed first) is filled even in a dry run. */
int cairn_lake_gc(cairn_home *home, const cairn_gc_options *opts, cairn_gc_report *report,
                  cairn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_LAKE_H */
