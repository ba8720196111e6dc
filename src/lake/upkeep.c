/* src/lake/upkeep.c: compaction, retention policies and legal holds of lake datasets.
 *
 * Compaction merges each partition's files into one (files of a partition are contiguous in
 * a manifest, which is sorted by path, and merged in that order, so a read gives the same
 * rows in the same order before and after) and commits a "compact" snapshot; the replaced
 * files stay until no live snapshot references them (gc.c).
 *
 * Retention and hold are settings on the dataset's lake_datasets row (created on first use,
 * so a policy or a hold can be set before the first ingest); each change is audited.
 *
 * Tests: tests/unit/lake/test_upkeep.c.
 */
#include <string.h>

#include "cairn/parquet.h"
#include "lake/lake_internal.h"

/* ------------------------------------------------------------------------------------------
 * Compaction
 * ---------------------------------------------------------------------------------------- */

static int read_file_table(cairn_home *home, const char *dataset, const cairn_lake_file *f,
                           cairn_table **out, cairn_error *err)
{
    char path[4096];
    cairn_parquet_options po;
    cairn_parquet_options_init(&po);
    po.decode_dictionaries = true;
    int rc = cairn_lake_file_path(cairn_home_path(home), dataset, f, path, sizeof path, err);
    return rc ? rc : cairn_parquet_read_file(path, &po, out, err);
}

/* Merges files [0, n) (one partition) into one new file described by *out. */
static int merge_partition(cairn_home *home, const char *dataset, const cairn_lake_file *files,
                           size_t n, cairn_lake_file *out, cairn_error *err)
{
    cairn_table *all = NULL;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        cairn_table *t = NULL;
        if ((rc = read_file_table(home, dataset, &files[i], &t, err))) break;
        if (!all) all = t;
        else {
            rc = cairn_table_append(all, t, err);
            cairn_table_free(t);
        }
    }
    if (rc == 0) rc = cairn_lake_write_file(cairn_home_path(home), dataset, files[0].partition,
                                            all, NULL, NULL, out, err);
    cairn_table_free(all);
    if (rc) {
        cairn_error_prefix(err, "compacting partition '%s' of '%s': ", files[0].partition, dataset);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (!files[i].has_event_time) continue;
        if (!out->has_event_time || files[i].min_event_us < out->min_event_us)
            out->min_event_us = files[i].min_event_us;
        if (!out->has_event_time || files[i].max_event_us > out->max_event_us)
            out->max_event_us = files[i].max_event_us;
        out->has_event_time = true;
    }
    return 0;
}

/* The compacted file list of a snapshot; *merged counts partitions that were merged. */
static int compact_files(cairn_home *home, const cairn_snapshot *s, cairn_lake_file *out,
                         size_t *nout, size_t *merged, cairn_error *err)
{
    size_t i = 0;
    *nout = *merged = 0;
    while (i < s->nfiles) {
        size_t j = i + 1;
        while (j < s->nfiles && !strcmp(s->files[j].partition, s->files[i].partition)) j++;
        if (j - i == 1) out[(*nout)++] = s->files[i];
        else {
            int rc = merge_partition(home, s->dataset, &s->files[i], j - i, &out[(*nout)++], err);
            if (rc) return rc;
            (*merged)++;
        }
        i = j;
    }
    return 0;
}

static void commit_from(const cairn_snapshot *head, const char *operation,
                        const cairn_lake_file *files, size_t n, cairn_commit *c)
{
    memset(c, 0, sizeof *c);
    c->dataset = head->dataset;
    c->parent = head->id;
    c->operation = operation;
    c->schema_subject = head->schema_subject;
    c->schema_version = head->schema_version;
    c->files = files;
    c->nfiles = n;
    c->partition_kind = head->partition_kind;
    c->partition_column = head->partition_column;
    c->partition_type = head->partition_type;
}

int cairn__lake_commit_like(cairn_home *home, const cairn_snapshot *head, const char *operation,
                            const cairn_lake_file *files, size_t n, char id[65], cairn_error *err)
{
    cairn_commit c;
    commit_from(head, operation, files, n, &c);
    return cairn_snapshot_commit(home, &c, id, err);
}

int cairn_lake_compact(cairn_home *home, const char *dataset, char id[65], bool *changed,
                       cairn_error *err)
{
    cairn_snapshot *head = NULL;
    *changed = false;
    int rc = cairn_snapshot_head(home, dataset, &head, err);
    if (rc) return rc;
    if (!head) return cairn_error_set(err, CAIRN_ENOTFOUND, "dataset '%s' has no snapshot to compact", dataset);
    size_t n = 0, merged = 0;
    cairn_lake_file *files = head->nfiles ? cairn_calloc(head->nfiles, sizeof *files) : NULL;
    if (head->nfiles && !files) rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    if (rc == 0) rc = compact_files(home, head, files, &n, &merged, err);
    if (rc == 0 && merged) rc = cairn__lake_commit_like(home, head, "compact", files, n, id, err);
    if (rc == 0) *changed = merged > 0;
    if (rc == 0 && !merged) snprintf(id, 65, "%s", head->id);
    cairn_free(files);
    cairn_snapshot_free(head);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Dataset settings: retention and legal hold
 * ---------------------------------------------------------------------------------------- */

static int ensure_row(cairn_catalog *cat, const char *dataset, cairn_error *err)
{
    char now[CAIRN_TIME_FMT_LEN];
    cairn_stmt *stmt = NULL;
    int rc = cairn_catalog_prepare(cat, "SELECT 1 FROM lake_datasets WHERE name = ?", &stmt, err);
    if (rc) return rc;
    cairn_stmt_bind_text(stmt, 1, dataset, strlen(dataset));
    rc = cairn_stmt_step(stmt, err);
    cairn_stmt_finalize(stmt);
    if (rc != 0) return rc < 0 ? rc : 0;
    cairn_time_format(cairn_now_us(), now, sizeof now);
    return cairn__lake_exec(cat, err,
                            "INSERT INTO lake_datasets (name, head, created_at) VALUES (?, NULL, ?)",
                            "ss", dataset, now);
}

/* Runs `sql` (parameters per fmt, the dataset last) and an audit row in one transaction. */
static int update_setting(cairn_home *home, const char *dataset, const char *action,
                          const char *detail, const char *sql, const char *fmt, int64_t a,
                          int64_t b, const char *text, cairn_error *err)
{
    cairn_catalog *cat = cairn_home_catalog(home);
    if (!cairn_dataset_name_valid(dataset))
        return cairn_error_set(err, CAIRN_EINVAL, "'%.80s' is not a valid dataset name", dataset);
    int rc = cairn_catalog_begin(cat, err);
    if (rc) return rc;
    rc = ensure_row(cat, dataset, err);
    if (rc == 0 && !strcmp(fmt, "iis")) rc = cairn__lake_exec(cat, err, sql, fmt, a, b, dataset);
    else if (rc == 0) rc = cairn__lake_exec(cat, err, sql, fmt, a, text, dataset);
    if (rc == 0) rc = cairn__lake_audit(cat, action, dataset, detail, err);
    if (rc == 0) rc = cairn_catalog_commit(cat, err);
    if (rc) cairn_catalog_abort(cat);
    return rc;
}

int cairn_lake_set_retention(cairn_home *home, const char *dataset, const cairn_retention *policy,
                             cairn_error *err)
{
    char detail[128];
    if (policy->keep_partitions_us < 0 || policy->keep_snapshots_us < 0)
        return cairn_error_set(err, CAIRN_EINVAL, "retention periods of '%s' must not be negative", dataset);
    snprintf(detail, sizeof detail, "{\"keep_partitions_us\":%lld,\"keep_snapshots_us\":%lld}",
             (long long)policy->keep_partitions_us, (long long)policy->keep_snapshots_us);
    return update_setting(home, dataset, "lake.retention", detail,
                          "UPDATE lake_datasets SET keep_partitions_us = ?, keep_snapshots_us = ? "
                          "WHERE name = ?", "iis", policy->keep_partitions_us,
                          policy->keep_snapshots_us, NULL, err);
}

int cairn_lake_set_hold(cairn_home *home, const char *dataset, bool on, const char *reason,
                        cairn_error *err)
{
    return update_setting(home, dataset, on ? "lake.hold" : "lake.hold.release", reason,
                          "UPDATE lake_datasets SET legal_hold = ?, hold_reason = ? WHERE name = ?",
                          "iss", on ? 1 : 0, 0, on ? (reason ? reason : "") : NULL, err);
}

/* Reads the settings row; CAIRN_ENOTFOUND when the dataset is unknown. */
int cairn__lake_settings(cairn_home *home, const char *dataset, cairn_retention *policy,
                         bool *held, char reason[256], cairn_error *err)
{
    cairn_stmt *stmt = NULL;
    int rc = cairn_catalog_prepare(cairn_home_catalog(home),
                                   "SELECT keep_partitions_us, keep_snapshots_us, legal_hold, "
                                   "hold_reason FROM lake_datasets WHERE name = ?", &stmt, err);
    if (rc) return rc;
    cairn_stmt_bind_text(stmt, 1, dataset, strlen(dataset));
    rc = cairn_stmt_step(stmt, err);
    if (rc == 1) {
        if (policy) policy->keep_partitions_us = cairn_stmt_int64(stmt, 0);
        if (policy) policy->keep_snapshots_us = cairn_stmt_int64(stmt, 1);
        if (held) *held = cairn_stmt_int64(stmt, 2) != 0;
        if (reason) snprintf(reason, 256, "%s", cairn_stmt_text(stmt, 3, NULL));
    }
    cairn_stmt_finalize(stmt);
    if (rc == 0) return cairn_error_set(err, CAIRN_ENOTFOUND, "no dataset '%s' in the lake", dataset);
    return rc < 0 ? rc : 0;
}

int cairn_lake_get_retention(cairn_home *home, const char *dataset, cairn_retention *policy,
                             cairn_error *err)
{
    memset(policy, 0, sizeof *policy);
    return cairn__lake_settings(home, dataset, policy, NULL, NULL, err);
}

int cairn_lake_get_hold(cairn_home *home, const char *dataset, bool *on, char reason[256],
                        cairn_error *err)
{
    *on = false;
    reason[0] = '\0';
    return cairn__lake_settings(home, dataset, NULL, on, reason, err);
}
