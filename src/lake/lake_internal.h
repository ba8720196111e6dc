/* src/lake/lake_internal.h: internals shared by the files of the lake module (private).
 *
 * objects.c   the content-addressed object store
 * lake.c      partition text, writing and reading lake files
 * manifest.c  the canonical manifest JSON, both ways
 * snapshot.c  commits, heads, references, lists, diffs
 * upkeep.c    compaction, retention, legal hold, garbage collection
 *
 * Tests: tests/unit/lake/.
 */
#ifndef CAIRN_LAKE_INTERNAL_H
#define CAIRN_LAKE_INTERNAL_H

#include "cairn/json.h"
#include "cairn/lake.h"

/* Like cairn_object_put; *created tells whether this call wrote the object. */
int cairn__object_put(const char *home_dir, const void *data, size_t len, char id[65],
                      bool *created, cairn_error *err);
/* Removes an object's file (a missing one is not an error). */
int cairn__object_remove(const char *home_dir, const char *id, cairn_error *err);

/* The manifest text of a commit made at committed_at (files sorted by path; the caller
 * passes them sorted). */
int cairn__manifest_encode(const cairn_commit *commit, const char *committed_at,
                           cairn_buf *out, cairn_error *err);
/* Parses a manifest into a new snapshot (id set; sequence 0: the catalog knows it). */
int cairn__manifest_decode(const char *text, size_t len, const char *id,
                           cairn_snapshot **out, cairn_error *err);
/* Reads, verifies and parses snapshot `id`, with its sequence from the catalog. */
int cairn__snapshot_load(cairn_home *home, const char *id, cairn_snapshot **out,
                         cairn_error *err);

/* The catalog rows of a dataset's snapshots (files NULL, nfiles the count) ordered by
 * sequence `order` ("ASC"/"DESC"); expired ones too when with_expired, and then, when
 * expired_at is not NULL, (*expired_at)[i] is the expiry time or NULL (free with
 * cairn__lake_free_strings). */
int cairn__snapshot_rows(cairn_home *home, const char *dataset, const char *order,
                         bool with_expired, cairn_snapshot **out, size_t *count,
                         char ***expired_at, cairn_error *err);
/* Frees n strings (NULL entries allowed) and the array. */
void cairn__lake_free_strings(char **strings, size_t n);

/* Commits files as a new snapshot on top of head, carrying its schema and partitioning. */
int cairn__lake_commit_like(cairn_home *home, const cairn_snapshot *head, const char *operation,
                            const cairn_lake_file *files, size_t n, char id[65],
                            cairn_error *err);
/* A dataset's settings row (any out pointer may be NULL); CAIRN_ENOTFOUND when absent. */
int cairn__lake_settings(cairn_home *home, const char *dataset, cairn_retention *policy,
                         bool *held, char reason[256], cairn_error *err);

/* Inserts an audit_log row (inside the caller's transaction). detail may be NULL. */
int cairn__lake_audit(cairn_catalog *catalog, const char *action, const char *object,
                      const char *detail, cairn_error *err);
/* $USER, or "cairn". */
const char *cairn__lake_actor(void);
/* <home>/lake/<dataset> */
int cairn__lake_dataset_dir(const char *home_dir, const char *dataset, char *out, size_t cap,
                            cairn_error *err);
/* Copies the string, failing with CAIRN_ELIMIT naming `what` when it does not fit. */
int cairn__lake_copy(char *dst, size_t cap, const char *src, const char *what,
                     cairn_error *err);
/* Restores a typed value from a partition key's text ("origin=SFO" -> "SFO"); strings are
 * unescaped into scratch, which must outlive the value. */
int cairn__partition_value(const char *partition, cairn_type type, cairn_buf *scratch,
                           cairn_value *out, cairn_error *err);
/* Runs one statement with text/int parameters: fmt letters 's' (text, NULL = null) and 'i'
 * (int64), e.g. cairn__lake_exec(cat, err, "UPDATE ... ?, ?", "si", "x", (int64_t)1). */
int cairn__lake_exec(cairn_catalog *catalog, cairn_error *err, const char *sql,
                     const char *fmt, ...);
/* The next id of a table's BIGINT id column (COALESCE(MAX(id), 0) + 1). */
int cairn__lake_next_id(cairn_catalog *catalog, const char *table, int64_t *out,
                        cairn_error *err);

#endif /* CAIRN_LAKE_INTERNAL_H */
