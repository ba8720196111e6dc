/* src/lake/gc.c: garbage collection of the lake: retention, snapshot expiry, file deletion.
 *
 * Per dataset (a legal hold skips the dataset entirely and is reported):
 *  1. partition retention: partitions of the head whose newest event time (from the files'
 *     max_event_time, else from a day/month key) is older than now - keep_partitions are
 *     left out of a new "retention" snapshot;
 *  2. snapshot expiry: every other snapshot is expired when it was committed before
 *     now - keep_snapshots, or when it still holds a partition retention drops (so dropped
 *     data really goes); the head is never expired;
 *  3. deletion: files under lake/<dataset>/ that no live snapshot lists, temporaries of
 *     writers (names starting with '.'), and the manifests of expired snapshots. Files
 *     modified less than `grace_us` ago are never touched, so an ingest that has written
 *     files but not yet committed keeps them. Only *.parquet files and temporaries are ever
 *     deleted; anything else a person left in the lake stays.
 * Each deletion is logged in lake_gc_log and audit_log with its reason. A dry run computes
 * the same report and changes nothing.
 *
 * Tests: tests/unit/lake/test_upkeep.c.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lake/lake_internal.h"

/* ------------------------------------------------------------------------------------------
 * A set of strings: built, sorted once, then searched
 * ---------------------------------------------------------------------------------------- */

typedef struct strset {
    cairn_arena arena;
    const char **items;
    size_t n, cap;
    bool sorted;
} strset;

static void strset_init(strset *s)
{
    memset(s, 0, sizeof *s);
    cairn_arena_init(&s->arena, 0);
}

static void strset_release(strset *s)
{
    cairn_arena_release(&s->arena);
    cairn_free(s->items);
}

static int strset_add(strset *s, const char *v)
{
    const char *copy = cairn_arena_strdup(&s->arena, v);
    if (!copy || cairn_grow((void **)&s->items, &s->cap, s->n + 1, sizeof *s->items))
        return CAIRN_ENOMEM;
    s->items[s->n++] = copy;
    s->sorted = false;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool strset_has(strset *s, const char *v)
{
    if (!s->sorted && s->n) qsort(s->items, s->n, sizeof *s->items, cmp_str);
    s->sorted = true;
    return s->n && bsearch(&v, s->items, s->n, sizeof *s->items, cmp_str) != NULL;
}

/* ------------------------------------------------------------------------------------------
 * The run
 * ---------------------------------------------------------------------------------------- */

typedef struct gc_run {
    cairn_home *home;
    const char *home_dir;
    cairn_gc_options opts;
    int64_t real_now_us;     /* the wall clock: file ages are measured against it */
    cairn_gc_report *report;
    size_t items_cap;
} gc_run;

/* What one dataset's pass knows. */
typedef struct gc_dataset {
    const char *name;
    cairn_retention policy;
    char retention_reason[64];
    strset live;             /* paths listed by live snapshots */
    strset expired_files;    /* paths listed by expired snapshots */
    strset dropped;          /* partitions retention dropped */
    strset expire_ids;       /* snapshots to mark expired now */
    strset manifests;        /* manifests of expired snapshots to delete */
    size_t first_item;       /* the report's items of this dataset start here */
} gc_dataset;

void cairn_gc_options_init(cairn_gc_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->grace_us = CAIRN_GC_GRACE_DEFAULT_US;
}

void cairn_gc_report_release(cairn_gc_report *report)
{
    if (!report) return;
    cairn_free(report->items);
    cairn__lake_free_strings(report->held, (size_t)report->datasets_held);
    memset(report, 0, sizeof *report);
}

static int add_item(gc_run *g, const char *dataset, const char *path, int64_t bytes,
                    const char *reason, cairn_error *err)
{
    cairn_gc_report *r = g->report;
    if (cairn_grow((void **)&r->items, &g->items_cap, r->nitems + 1, sizeof *r->items))
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory listing deletions");
    cairn_gc_item *it = &r->items[r->nitems++];
    memset(it, 0, sizeof *it);
    snprintf(it->dataset, sizeof it->dataset, "%s", dataset);
    snprintf(it->path, sizeof it->path, "%s", path);
    snprintf(it->reason, sizeof it->reason, "%s", reason);
    it->bytes = bytes;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Partition ages
 * ---------------------------------------------------------------------------------------- */

/* The newest moment a day/month key covers ("d_day=2001-05-01" -> 2001-05-01T23:59:59.999999). */
static bool key_newest(const cairn_snapshot *s, const char *partition, int64_t *out)
{
    const char *eq = strchr(partition, '=');
    char text[16];
    int32_t days;
    if (!eq || (s->partition_kind != 1 && s->partition_kind != 2)) return false;
    size_t n = strlen(eq + 1);
    if (s->partition_kind == 1 && (n != 10 || cairn_date_parse(eq + 1, 10, &days, NULL))) return false;
    if (s->partition_kind == 1) return *out = (days + 1) * CAIRN_US_PER_DAY - 1, true;
    if (n != 7) return false;
    snprintf(text, sizeof text, "%.7s-01", eq + 1);
    if (cairn_date_parse(text, 10, &days, NULL)) return false;
    int64_t year;
    unsigned month, day;
    cairn_civil_from_days(days, &year, &month, &day);
    int64_t next = month == 12 ? cairn_days_from_civil(year + 1, 1, 1) : cairn_days_from_civil(year, month + 1, 1);
    *out = next * CAIRN_US_PER_DAY - 1;
    return true;
}

/* Is the partition of files[i] (all its files in s) older than cutoff? */
static bool partition_old(const cairn_snapshot *s, const char *partition, int64_t cutoff)
{
    bool known = false;
    int64_t newest = 0;
    for (size_t i = 0; i < s->nfiles; i++) {
        const cairn_lake_file *f = &s->files[i];
        if (strcmp(f->partition, partition) != 0) continue;
        if (!f->has_event_time) return false; /* a file of unknown age keeps its partition */
        if (!known || f->max_event_us > newest) newest = f->max_event_us;
        known = true;
    }
    if (!known && !key_newest(s, partition, &newest)) return false;
    return newest < cutoff;
}

/* Marks in `old` (bytes per file) the files whose partition retention drops. */
static size_t mark_old(const cairn_snapshot *s, const gc_run *g, const gc_dataset *d, uint8_t *old)
{
    size_t partitions = 0;
    int64_t cutoff = g->opts.now_us - d->policy.keep_partitions_us;
    for (size_t i = 0; i < s->nfiles; i++) {
        old[i] = 0;
        if (d->policy.keep_partitions_us <= 0) continue;
        if (i > 0 && !strcmp(s->files[i].partition, s->files[i - 1].partition)) {
            old[i] = old[i - 1];
            continue;
        }
        old[i] = partition_old(s, s->files[i].partition, cutoff);
        partitions += old[i];
    }
    return partitions;
}

/* ------------------------------------------------------------------------------------------
 * Steps 1 and 2: retention and expiry
 * ---------------------------------------------------------------------------------------- */

static int add_files(strset *set, const cairn_snapshot *s, cairn_error *err)
{
    for (size_t i = 0; i < s->nfiles; i++)
        if (strset_add(set, s->files[i].path)) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    return 0;
}

/* Drops old partitions from the head; *head_id gets the id that stays head ("" in a dry run
 * that would commit). The effective head's files go into d->live. */
static int apply_retention(gc_run *g, gc_dataset *d, const cairn_snapshot *head, char head_id[65],
                           cairn_error *err)
{
    snprintf(head_id, 65, "%s", head->id);
    uint8_t *old = cairn_calloc(head->nfiles + 1, 1);
    cairn_lake_file *kept = cairn_calloc(head->nfiles + 1, sizeof *kept);
    size_t nkept = 0, dropped = old && kept ? mark_old(head, g, d, old) : 0;
    int rc = old && kept ? 0 : cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < head->nfiles; i++) {
        if (!old[i]) kept[nkept++] = head->files[i];
        else if (strset_add(&d->dropped, head->files[i].partition)) rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < nkept; i++)
        if (strset_add(&d->live, kept[i].path)) rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    if (rc == 0 && dropped) {
        g->report->partitions_dropped += (int64_t)dropped;
        if (g->opts.dry_run) head_id[0] = '\0';
        else rc = cairn__lake_commit_like(g->home, head, "retention", kept, nkept, head_id, err);
    }
    cairn_free(old);
    cairn_free(kept);
    return rc;
}

static bool snapshot_too_old(const gc_run *g, const gc_dataset *d, const cairn_snapshot *s)
{
    int64_t at;
    if (d->policy.keep_snapshots_us <= 0) return false;
    if (cairn_time_parse(s->committed_at, strlen(s->committed_at), &at, NULL)) return false;
    return at < g->opts.now_us - d->policy.keep_snapshots_us;
}

static bool holds_dropped(const gc_run *g, const gc_dataset *d, const cairn_snapshot *s)
{
    uint8_t *old = cairn_calloc(s->nfiles + 1, 1);
    bool any = false;
    if (!old) return false;
    mark_old(s, g, d, old);
    for (size_t i = 0; i < s->nfiles; i++) any |= old[i] != 0;
    cairn_free(old);
    return any;
}

/* Decides one non-head snapshot: live (its files stay) or expired. */
static int judge_snapshot(gc_run *g, gc_dataset *d, const cairn_snapshot *row, const char *expired_at,
                          cairn_error *err)
{
    cairn_snapshot *s = NULL;
    int rc = cairn__snapshot_load(g->home, row->id, &s, err);
    if (rc == CAIRN_ENOTFOUND && expired_at) return 0; /* expired earlier, manifest gone */
    if (rc) return rc;
    if (expired_at) {
        rc = add_files(&d->expired_files, s, err);
        if (rc == 0 && strset_add(&d->manifests, s->id)) rc = CAIRN_ENOMEM;
    } else if (snapshot_too_old(g, d, s) || holds_dropped(g, d, s)) {
        g->report->snapshots_expired++;
        rc = add_files(&d->expired_files, s, err);
        if (rc == 0 && (strset_add(&d->manifests, s->id) || strset_add(&d->expire_ids, s->id)))
            rc = CAIRN_ENOMEM;
    } else {
        rc = add_files(&d->live, s, err);
    }
    cairn_snapshot_free(s);
    return rc == CAIRN_ENOMEM ? cairn_error_set(err, rc, "out of memory") : rc;
}

static int judge_snapshots(gc_run *g, gc_dataset *d, const char *head_id, cairn_error *err)
{
    cairn_snapshot *rows = NULL;
    char **expired = NULL;
    size_t n = 0;
    int rc = cairn__snapshot_rows(g->home, d->name, "ASC", true, &rows, &n, &expired, err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (strcmp(rows[i].id, head_id) != 0) rc = judge_snapshot(g, d, &rows[i], expired[i], err);
    cairn__lake_free_strings(expired, n);
    cairn_free(rows);
    return rc;
}

static int mark_expired(gc_run *g, gc_dataset *d, cairn_error *err)
{
    char now[CAIRN_TIME_FMT_LEN];
    cairn_catalog *cat = cairn_home_catalog(g->home);
    if (g->opts.dry_run || d->expire_ids.n == 0) return 0;
    cairn_time_format(cairn_now_us(), now, sizeof now);
    int rc = cairn_catalog_begin(cat, err);
    for (size_t i = 0; rc == 0 && i < d->expire_ids.n; i++)
        rc = cairn__lake_exec(cat, err, "UPDATE lake_snapshots SET expired_at = ? WHERE id = ?", "ss",
                              now, d->expire_ids.items[i]);
    if (rc == 0) rc = cairn_catalog_commit(cat, err);
    if (rc) cairn_catalog_abort(cat);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Step 3: deletion
 * ---------------------------------------------------------------------------------------- */

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static const char *file_reason(gc_dataset *d, const char *name, const char *rel)
{
    char partition[CAIRN_LAKE_PATH_MAX];
    if (name[0] == '.') return "stray temporary file";
    if (!has_suffix(name, ".parquet") || strset_has(&d->live, rel)) return NULL;
    const char *slash = strrchr(rel, '/');
    snprintf(partition, sizeof partition, "%.*s", slash ? (int)(slash - rel) : 0, rel);
    if (strset_has(&d->dropped, partition)) return d->retention_reason;
    if (strset_has(&d->expired_files, rel)) return "expired snapshot";
    return "unreferenced";
}

/* Deletes (or, in a dry run, lists) one file; true when it is gone or would be. */
static int consider_file(gc_run *g, gc_dataset *d, const char *full, const char *rel,
                         const char *name, bool *deleted, cairn_error *err)
{
    struct stat st;
    *deleted = false;
    if (lstat(full, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    int64_t mtime_us = (int64_t)st.st_mtime * CAIRN_US_PER_SECOND;
    if (g->real_now_us - mtime_us < g->opts.grace_us) return 0;
    const char *reason = file_reason(d, name, rel);
    if (!reason) return 0;
    if (!g->opts.dry_run && unlink(full) != 0 && errno != ENOENT)
        return cairn_error_set(err, CAIRN_EIO, "cannot delete %s: %s", full, strerror(errno));
    char path[CAIRN_LAKE_PATH_MAX];
    snprintf(path, sizeof path, "lake/%s/%s", d->name, rel);
    g->report->files_deleted++;
    g->report->bytes_deleted += (int64_t)st.st_size;
    *deleted = true;
    return add_item(g, d->name, path, (int64_t)st.st_size, reason, err);
}

static int sweep_dir(gc_run *g, gc_dataset *d, const char *dir, const char *rel, int depth,
                     cairn_error *err);

static int sweep_entry(gc_run *g, gc_dataset *d, const char *dir, const char *rel,
                       const struct dirent *e, int depth, bool *deleted, cairn_error *err)
{
    char full[4096], sub[CAIRN_LAKE_PATH_MAX];
    struct stat st;
    snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
    int n = snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
    if (n < 0 || (size_t)n >= sizeof sub || lstat(full, &st) != 0) return 0;
    if (S_ISDIR(st.st_mode)) {
        if (depth >= 8) return 0;
        size_t before = g->report->nitems;
        int rc = sweep_dir(g, d, full, sub, depth + 1, err);
        if (rc == 0 && !g->opts.dry_run && g->report->nitems > before) (void)rmdir(full); /* if emptied */
        return rc;
    }
    return consider_file(g, d, full, sub, e->d_name, deleted, err);
}

static int sweep_dir(gc_run *g, gc_dataset *d, const char *dir, const char *rel, int depth,
                     cairn_error *err)
{
    DIR *dp = opendir(dir);
    if (!dp) return errno == ENOENT ? 0 : cairn_error_set(err, CAIRN_EIO, "cannot list %s: %s", dir, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(dp)) != NULL) {
        bool deleted;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        rc = sweep_entry(g, d, dir, rel, e, depth, &deleted, err);
    }
    closedir(dp);
    return rc;
}

static int delete_object(gc_run *g, gc_dataset *d, const char *id, const char *reason,
                         cairn_error *err)
{
    char full[4096], rel[CAIRN_LAKE_PATH_MAX];
    struct stat st;
    int rc = cairn_object_path(g->home_dir, id, full, sizeof full, err);
    if (rc || stat(full, &st) != 0) return rc;
    if (!g->opts.dry_run && (rc = cairn__object_remove(g->home_dir, id, err))) return rc;
    snprintf(rel, sizeof rel, "objects/%.2s/%s", id, id);
    g->report->objects_deleted++;
    g->report->bytes_deleted += (int64_t)st.st_size;
    return add_item(g, d->name, rel, (int64_t)st.st_size, reason, err);
}

static int delete_manifests(gc_run *g, gc_dataset *d, cairn_error *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < d->manifests.n; i++) {
        char qid[65];
        const char *id = d->manifests.items[i];
        rc = cairn_snapshot_quality(g->home, id, qid, err);
        if (rc == 0 && qid[0]) rc = delete_object(g, d, qid, "expired snapshot (quality report)", err);
        if (rc == 0) rc = delete_object(g, d, id, "expired snapshot", err);
    }
    return rc;
}

/* Temporaries of writers that died in objects/ (names with ".tmp." from cairn_file_write_atomic),
 * older than the grace period; logged under the dataset name "". */
static int log_deletions(gc_run *g, gc_dataset *d, cairn_error *err);
static int delete_logged(gc_run *g, size_t first, cairn_error *err);
static int sweep_object_temps(gc_run *g, cairn_error *err)
{
    char dir[4096];
    gc_dataset d;
    memset(&d, 0, sizeof d);
    d.name = "";
    d.first_item = g->report->nitems;
    snprintf(dir, sizeof dir, "%s/objects", g->home_dir);
    DIR *top = opendir(dir);
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && top && (e = readdir(top)) != NULL) {
        if (strlen(e->d_name) != 2 || e->d_name[0] == '.') continue;
        char sub[4200];
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        DIR *dp = opendir(sub);
        struct dirent *f;
        while (rc == 0 && dp && (f = readdir(dp)) != NULL) {
            char full[4400], rel[CAIRN_LAKE_PATH_MAX];
            struct stat st;
            if (!strstr(f->d_name, ".tmp.")) continue;
            snprintf(full, sizeof full, "%s/%s", sub, f->d_name);
            if (lstat(full, &st) != 0 || !S_ISREG(st.st_mode)) continue;
            if (g->real_now_us - (int64_t)st.st_mtime * CAIRN_US_PER_SECOND < g->opts.grace_us) continue;
            snprintf(rel, sizeof rel, "objects/%s/%.200s", e->d_name, f->d_name);
            g->report->files_deleted++;
            g->report->bytes_deleted += (int64_t)st.st_size;
            rc = add_item(g, "", rel, (int64_t)st.st_size, "stray temporary file", err);
        }
        if (dp) closedir(dp);
    }
    if (top) closedir(top);
    if (rc == 0 && g->report->nitems > d.first_item && !g->opts.dry_run) {
        rc = log_deletions(g, &d, err);
        if (rc == 0) rc = delete_logged(g, d.first_item, err);
    }
    return rc;
}

/* One transaction with a lake_gc_log and an audit_log row per deletion of this dataset. */
static int log_deletions(gc_run *g, gc_dataset *d, cairn_error *err)
{
    cairn_catalog *cat = cairn_home_catalog(g->home);
    char now[CAIRN_TIME_FMT_LEN];
    if (g->opts.dry_run || g->report->nitems == d->first_item) return 0;
    cairn_time_format(cairn_now_us(), now, sizeof now);
    int rc = cairn_catalog_begin(cat, err);
    for (size_t i = d->first_item; rc == 0 && i < g->report->nitems; i++) {
        const cairn_gc_item *it = &g->report->items[i];
        int64_t id;
        if ((rc = cairn__lake_next_id(cat, "lake_gc_log", &id, err))) break;
        rc = cairn__lake_exec(cat, err,
                              "INSERT INTO lake_gc_log (id, at, dataset, path, bytes, reason) "
                              "VALUES (?, ?, ?, ?, ?, ?)", "isssis", id, now, d->name, it->path,
                              it->bytes, it->reason);
        if (rc == 0) rc = cairn__lake_audit(cat, "lake.gc.delete", it->path, it->reason, err);
    }
    if (rc == 0) rc = cairn_catalog_commit(cat, err);
    if (rc) cairn_catalog_abort(cat);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Per dataset, and over all of them
 * ---------------------------------------------------------------------------------------- */

static int note_held(gc_run *g, const char *name, cairn_error *err)
{
    cairn_gc_report *r = g->report;
    char **grown = cairn_realloc(r->held, (size_t)(r->datasets_held + 1) * sizeof *grown);
    if (!grown) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    r->held = grown;
    if (!(grown[r->datasets_held] = cairn_strdup(name))) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    r->datasets_held++;
    return 0;
}

/* Deletes the listed items [first, nitems) after their log rows are committed: a crash in
 * between leaves files that the log already names, which the next gc deletes (again). */
static int delete_logged(gc_run *g, size_t first, cairn_error *err)
{
    for (size_t i = first; i < g->report->nitems; i++) {
        char full[4400];
        snprintf(full, sizeof full, "%s/%s", g->home_dir, g->report->items[i].path);
        if (unlink(full) != 0 && errno != ENOENT)
            return cairn_error_set(err, CAIRN_EIO, "cannot delete %s: %s", full, strerror(errno));
        char *slash = strrchr(full, '/');
        if (slash && !strncmp(g->report->items[i].path, "lake/", 5)) {
            *slash = 0;
            (void)rmdir(full); /* a partition directory it emptied; fails harmlessly otherwise */
        }
    }
    return 0;
}

/* Decides what goes (as a dry run would), logs it in one transaction, then deletes it. */
static int gc_pass(gc_run *g, gc_dataset *d, cairn_error *err)
{
    char dir[4096], head_id[65] = "";
    cairn_snapshot *head = NULL;
    int rc = cairn_snapshot_head(g->home, d->name, &head, err);
    if (rc == 0 && head) rc = apply_retention(g, d, head, head_id, err);
    if (rc == 0) rc = judge_snapshots(g, d, head_id, err);
    if (rc == 0) rc = mark_expired(g, d, err);
    bool dry = g->opts.dry_run;
    g->opts.dry_run = true;
    if (rc == 0) rc = cairn__lake_dataset_dir(g->home_dir, d->name, dir, sizeof dir, err);
    if (rc == 0) rc = sweep_dir(g, d, dir, "", 0, err);
    if (rc == 0) rc = delete_manifests(g, d, err);
    g->opts.dry_run = dry;
    if (rc == 0 && !dry) rc = log_deletions(g, d, err);
    if (rc == 0 && !dry) rc = delete_logged(g, d->first_item, err);
    cairn_snapshot_free(head);
    return rc;
}

static int gc_dataset_run(gc_run *g, const char *name, cairn_error *err)
{
    gc_dataset d;
    char dur[32];
    bool held = false;
    memset(&d, 0, sizeof d);
    d.name = name;
    d.first_item = g->report->nitems;
    int rc = cairn__lake_settings(g->home, name, &d.policy, &held, NULL, err);
    if (rc == CAIRN_ENOTFOUND) rc = 0; /* a directory without a catalog row: all unreferenced */
    if (rc) return rc;
    if (held) return note_held(g, name, err);
    cairn_duration_format(d.policy.keep_partitions_us, dur, sizeof dur);
    snprintf(d.retention_reason, sizeof d.retention_reason, "retention: partition older than %s", dur);
    strset *sets[] = {&d.live, &d.expired_files, &d.dropped, &d.expire_ids, &d.manifests};
    for (size_t i = 0; i < 5; i++) strset_init(sets[i]);
    rc = gc_pass(g, &d, err);
    for (size_t i = 0; i < 5; i++) strset_release(sets[i]);
    if (rc) cairn_error_prefix(err, "gc of '%s': ", name);
    return rc;
}

/* Dataset names: the catalog's plus directories under lake/ (crashed first ingests). */
static int all_datasets(gc_run *g, strset *names, cairn_error *err)
{
    char dir[4096];
    cairn_stmt *stmt = NULL;
    int rc = cairn_catalog_prepare(cairn_home_catalog(g->home), "SELECT name FROM lake_datasets", &stmt, err);
    if (rc) return rc;
    while (rc == 0 && cairn_stmt_step(stmt, err) == 1)
        rc = strset_add(names, cairn_stmt_text(stmt, 0, NULL));
    cairn_stmt_finalize(stmt);
    snprintf(dir, sizeof dir, "%s/lake", g->home_dir);
    DIR *dp = opendir(dir);
    struct dirent *e;
    while (rc == 0 && dp && (e = readdir(dp)) != NULL)
        if (cairn_dataset_name_valid(e->d_name) && !strset_has(names, e->d_name))
            rc = strset_add(names, e->d_name);
    if (dp) closedir(dp);
    if (rc == 0 && names->n) strset_has(names, names->items[0]); /* sorts */
    return rc ? cairn_error_set(err, CAIRN_ENOMEM, "out of memory listing datasets") : 0;
}

int cairn_lake_gc(cairn_home *home, const cairn_gc_options *opts, cairn_gc_report *report,
                  cairn_error *err)
{
    gc_run g;
    memset(&g, 0, sizeof g);
    memset(report, 0, sizeof *report);
    g.home = home;
    g.home_dir = cairn_home_path(home);
    g.report = report;
    if (opts) g.opts = *opts;
    else cairn_gc_options_init(&g.opts);
    g.real_now_us = cairn_now_us();
    if (!g.opts.now_us) g.opts.now_us = g.real_now_us;
    if (g.opts.grace_us < 0) g.opts.grace_us = 0;
    if (g.opts.dataset) {
        if (!cairn_dataset_name_valid(g.opts.dataset))
            return cairn_error_set(err, CAIRN_EINVAL, "'%.80s' is not a valid dataset name", g.opts.dataset);
        return gc_dataset_run(&g, g.opts.dataset, err);
    }
    strset names;
    strset_init(&names);
    int rc = all_datasets(&g, &names, err);
    for (size_t i = 0; rc == 0 && i < names.n; i++) rc = gc_dataset_run(&g, names.items[i], err);
    strset_release(&names);
    if (rc == 0) rc = sweep_object_temps(&g, err);
    return rc;
}
