/* src/lake/snapshot.c: snapshots of the lake: commit, head, references, lists and diffs.
 *
 * A commit first stores the manifest (an object named by its hash), then, in one catalog
 * transaction: creates the lake_datasets row if needed, checks that the head is still the
 * parent the commit was built on (optimistic concurrency, as lakeFS and Iceberg do: the
 * loser gets CAIRN_ECONFLICT and must rebuild), inserts the lake_snapshots row with the next
 * sequence number, moves the head, runs the caller's hook and writes the audit record. Any
 * failure rolls the whole transaction back and removes the manifest this call wrote, so the
 * catalog only ever points at complete objects and a refused commit leaves no trace.
 *
 * Reading a snapshot re-hashes its manifest (cairn_object_get), so a damaged manifest is
 * reported, never used. Times in the catalog are compared after parsing, not as text.
 *
 * Tests: tests/unit/lake/test_snapshot.c.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lake/lake_internal.h"

/* ------------------------------------------------------------------------------------------
 * Small shared helpers
 * ---------------------------------------------------------------------------------------- */

bool cairn_dataset_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= CAIRN_DATASET_NAME_MAX || name[0] == '.') return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && c != '_' && c != '.' && c != '-') return false;
    }
    return true;
}

const char *cairn__lake_actor(void)
{
    const char *user = getenv("USER");
    return user && *user ? user : "cairn";
}

int cairn__lake_copy(char *dst, size_t cap, const char *src, const char *what, cairn_error *err)
{
    size_t n = strlen(src);
    if (n >= cap)
        return cairn_error_set(err, CAIRN_ELIMIT, "%s '%.60s...' is longer than %zu bytes", what,
                               src, cap - 1);
    memcpy(dst, src, n + 1);
    return 0;
}

int cairn__lake_dataset_dir(const char *home_dir, const char *dataset, char *out, size_t cap,
                            cairn_error *err)
{
    if (!cairn_dataset_name_valid(dataset))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "'%.80s' is not a valid dataset name (letters, digits, '_', '.', "
                               "'-'; not starting with '.')", dataset ? dataset : "");
    int n = snprintf(out, cap, "%s/lake/%s", home_dir, dataset);
    if (n < 0 || (size_t)n >= cap)
        return cairn_error_set(err, CAIRN_ELIMIT, "lake path of '%s' is too long", dataset);
    return 0;
}

static int bind_args(cairn_stmt *stmt, const char *fmt, va_list ap)
{
    int rc = 0;
    for (int i = 0; fmt[i] && rc == 0; i++) {
        if (fmt[i] == 's') {
            const char *s = va_arg(ap, const char *);
            rc = s ? cairn_stmt_bind_text(stmt, i + 1, s, strlen(s)) : cairn_stmt_bind_null(stmt, i + 1);
        } else {
            rc = cairn_stmt_bind_int64(stmt, i + 1, va_arg(ap, int64_t));
        }
    }
    return rc;
}

int cairn__lake_exec(cairn_catalog *catalog, cairn_error *err, const char *sql, const char *fmt,
                     ...)
{
    cairn_stmt *stmt = NULL;
    int rc = cairn_catalog_prepare(catalog, sql, &stmt, err);
    if (rc) return rc;
    va_list ap;
    va_start(ap, fmt);
    rc = bind_args(stmt, fmt, ap);
    va_end(ap);
    if (rc) rc = cairn_error_set(err, rc, "binding the parameters of: %.200s", sql);
    else rc = cairn_stmt_step(stmt, err);
    cairn_stmt_finalize(stmt);
    return rc < 0 ? rc : 0;
}

int cairn__lake_next_id(cairn_catalog *catalog, const char *table, int64_t *out, cairn_error *err)
{
    char sql[160];
    cairn_stmt *stmt = NULL;
    snprintf(sql, sizeof sql, "SELECT COALESCE(MAX(id), 0) + 1 FROM %s", table);
    int rc = cairn_catalog_prepare(catalog, sql, &stmt, err);
    if (rc) return rc;
    rc = cairn_stmt_step(stmt, err);
    if (rc == 1) *out = cairn_stmt_int64(stmt, 0);
    cairn_stmt_finalize(stmt);
    return rc == 1 ? 0 : rc < 0 ? rc : cairn_error_set(err, CAIRN_ECATALOG, "no next id in %s", table);
}

int cairn__lake_audit(cairn_catalog *catalog, const char *action, const char *object,
                      const char *detail, cairn_error *err)
{
    char now[CAIRN_TIME_FMT_LEN];
    int64_t id;
    cairn_time_format(cairn_now_us(), now, sizeof now);
    int rc = cairn__lake_next_id(catalog, "audit_log", &id, err);
    if (rc) return rc;
    return cairn__lake_exec(catalog, err,
                            "INSERT INTO audit_log (id, at, actor, action, object, detail) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            "isssss", id, now, cairn__lake_actor(), action, object, detail);
}

/* The dataset's head: *exists says whether it has a row; head "" when it has no snapshot. */
static int read_head(cairn_catalog *catalog, const char *dataset, bool *exists, char head[65],
                     cairn_error *err)
{
    cairn_stmt *stmt = NULL;
    int rc = cairn_catalog_prepare(catalog, "SELECT head FROM lake_datasets WHERE name = ?",
                                   &stmt, err);
    if (rc) return rc;
    cairn_stmt_bind_text(stmt, 1, dataset, strlen(dataset));
    rc = cairn_stmt_step(stmt, err);
    *exists = rc == 1;
    head[0] = '\0';
    if (rc == 1) snprintf(head, 65, "%s", cairn_stmt_text(stmt, 0, NULL));
    cairn_stmt_finalize(stmt);
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------------------------------
 * Commit
 * ---------------------------------------------------------------------------------------- */

static int check_commit(const cairn_commit *c, cairn_error *err)
{
    static const char *const ops[] = {"ingest", "stream", "replay", "compact", "retention"};
    bool op_ok = false;
    for (size_t i = 0; c->operation && i < sizeof ops / sizeof ops[0]; i++) op_ok |= !strcmp(c->operation, ops[i]);
    if (!cairn_dataset_name_valid(c->dataset))
        return cairn_error_set(err, CAIRN_EINVAL, "commit: '%.80s' is not a valid dataset name",
                               c->dataset ? c->dataset : "");
    if (!op_ok)
        return cairn_error_set(err, CAIRN_EINVAL, "commit to '%s': unknown operation '%s'",
                               c->dataset, c->operation ? c->operation : "(null)");
    if (c->partition_kind && !(c->partition_column && *c->partition_column))
        return cairn_error_set(err, CAIRN_EINVAL, "commit to '%s': partitioned without a column",
                               c->dataset);
    if (c->partition_kind == 3 && !c->partition_type)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "commit to '%s': value partition column '%s' needs its type",
                               c->dataset, c->partition_column);
    return 0;
}

static int cmp_file_path(const void *a, const void *b)
{
    return strcmp(((const cairn_lake_file *)a)->path, ((const cairn_lake_file *)b)->path);
}

/* A copy of the files sorted by path; two files with one path are refused. */
static int sorted_files(const cairn_commit *c, cairn_lake_file **out, cairn_error *err)
{
    *out = NULL;
    if (c->nfiles == 0) return 0;
    cairn_lake_file *f = cairn_malloc(c->nfiles * sizeof *f);
    if (!f) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory sorting %zu files", c->nfiles);
    memcpy(f, c->files, c->nfiles * sizeof *f);
    qsort(f, c->nfiles, sizeof *f, cmp_file_path);
    for (size_t i = 1; i < c->nfiles; i++)
        if (!strcmp(f[i - 1].path, f[i].path)) {
            cairn_error_set(err, CAIRN_EINVAL, "commit to '%s': file '%s' is listed twice",
                            c->dataset, f[i].path);
            cairn_free(f);
            return CAIRN_EINVAL;
        }
    *out = f;
    return 0;
}

static int ensure_dataset(cairn_catalog *cat, const cairn_commit *c, const char *now,
                          cairn_error *err)
{
    bool exists;
    char head[65];
    int rc = read_head(cat, c->dataset, &exists, head, err);
    if (rc == 0 && !exists)
        rc = cairn__lake_exec(cat, err,
                              "INSERT INTO lake_datasets (name, head, created_at) VALUES (?, NULL, ?)",
                              "ss", c->dataset, now);
    if (rc) return rc;
    const char *parent = c->parent ? c->parent : "";
    if (strcmp(head, parent) != 0)
        return cairn_error_set(err, CAIRN_ECONFLICT,
                               "dataset '%s' moved on: its head is %.12s but this commit was "
                               "built on %.12s; rebuild it on the new head",
                               c->dataset, *head ? head : "(none)", *parent ? parent : "(none)");
    return 0;
}

static int insert_snapshot(cairn_catalog *cat, const cairn_commit *c, const char *id,
                           const char *now, int64_t rows, cairn_error *err)
{
    cairn_stmt *stmt = NULL;
    int64_t seq = 0;
    int rc = cairn_catalog_prepare(
        cat, "SELECT COALESCE(MAX(sequence), 0) + 1 FROM lake_snapshots WHERE dataset = ?", &stmt, err);
    if (rc) return rc;
    cairn_stmt_bind_text(stmt, 1, c->dataset, strlen(c->dataset));
    if ((rc = cairn_stmt_step(stmt, err)) == 1) seq = cairn_stmt_int64(stmt, 0);
    cairn_stmt_finalize(stmt);
    if (rc < 0) return rc;
    rc = cairn__lake_exec(
        cat, err,
        "INSERT INTO lake_snapshots (id, dataset, parent, sequence, committed_at, operation, "
        "schema_subject, schema_version, rows, added_rows, files) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "sssisssiiii", id, c->dataset, c->parent && *c->parent ? c->parent : NULL, seq, now,
        c->operation, c->schema_subject, c->schema_version, rows, c->added_rows, (int64_t)c->nfiles);
    if (rc == 0)
        rc = cairn__lake_exec(cat, err, "UPDATE lake_datasets SET head = ? WHERE name = ?", "ss", id,
                              c->dataset);
    return rc;
}

static int audit_commit(cairn_catalog *cat, const cairn_commit *c, const char *id, int64_t rows,
                        cairn_error *err)
{
    char object[CAIRN_DATASET_NAME_MAX + 80], detail[256];
    snprintf(object, sizeof object, "%s@%s", c->dataset, id);
    snprintf(detail, sizeof detail,
             "{\"operation\":\"%s\",\"rows\":%lld,\"added_rows\":%lld,\"files\":%zu}", c->operation,
             (long long)rows, (long long)c->added_rows, c->nfiles);
    return cairn__lake_audit(cat, "lake.commit", object, detail, err);
}

static int record_commit(cairn_home *home, const cairn_commit *c, const char *id, const char *now,
                         cairn_error *err)
{
    cairn_catalog *cat = cairn_home_catalog(home);
    int64_t rows = 0;
    for (size_t i = 0; i < c->nfiles; i++) rows += c->files[i].rows;
    int rc = cairn_catalog_begin(cat, err);
    if (rc) return rc;
    if ((rc = ensure_dataset(cat, c, now, err)) == 0 &&
        (rc = insert_snapshot(cat, c, id, now, rows, err)) == 0 && c->hook)
        rc = c->hook(c->hook_ud, cat, id, err);
    if (rc == 0) rc = audit_commit(cat, c, id, rows, err);
    if (rc == 0) rc = cairn_catalog_commit(cat, err);
    if (rc) cairn_catalog_abort(cat);
    return rc;
}

int cairn_snapshot_commit(cairn_home *home, const cairn_commit *commit, char id[65],
                          cairn_error *err)
{
    cairn_lake_file *files = NULL;
    int rc = check_commit(commit, err);
    if (rc || (rc = sorted_files(commit, &files, err))) return rc;
    cairn_commit c = *commit;
    c.files = files;
    char now[CAIRN_TIME_FMT_LEN];
    cairn_time_format(cairn_now_us(), now, sizeof now);
    cairn_buf text;
    cairn_buf_init(&text, 0);
    bool created = false;
    rc = cairn__manifest_encode(&c, now, &text, err);
    if (rc == 0) rc = cairn__object_put(cairn_home_path(home), text.data, text.len, id, &created, err);
    if (rc == 0 && (rc = record_commit(home, &c, id, now, err)) != 0 && created)
        cairn__object_remove(cairn_home_path(home), id, NULL);
    cairn_buf_release(&text);
    cairn_free(files);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Loading snapshots
 * ---------------------------------------------------------------------------------------- */

int cairn__snapshot_load(cairn_home *home, const char *id, cairn_snapshot **out, cairn_error *err)
{
    cairn_buf text;
    cairn_buf_init(&text, 0);
    *out = NULL;
    int rc = cairn_object_get(cairn_home_path(home), id, &text, err);
    if (rc == 0) rc = cairn__manifest_decode(text.data, text.len, id, out, err);
    cairn_buf_release(&text);
    if (rc) return rc;
    cairn_stmt *stmt = NULL;
    rc = cairn_catalog_prepare(cairn_home_catalog(home),
                               "SELECT sequence FROM lake_snapshots WHERE id = ?", &stmt, err);
    if (rc == 0) {
        cairn_stmt_bind_text(stmt, 1, id, strlen(id));
        if ((rc = cairn_stmt_step(stmt, err)) == 1) (*out)->sequence = cairn_stmt_int64(stmt, 0);
        cairn_stmt_finalize(stmt);
        rc = rc < 0 ? rc : 0;
    }
    if (rc) {
        cairn_snapshot_free(*out);
        *out = NULL;
    }
    return rc;
}

int cairn_snapshot_head(cairn_home *home, const char *dataset, cairn_snapshot **out,
                        cairn_error *err)
{
    bool exists;
    char head[65];
    *out = NULL;
    if (!cairn_dataset_name_valid(dataset))
        return cairn_error_set(err, CAIRN_EINVAL, "'%.80s' is not a valid dataset name",
                               dataset ? dataset : "");
    int rc = read_head(cairn_home_catalog(home), dataset, &exists, head, err);
    if (rc || !*head) return rc;
    return cairn__snapshot_load(home, head, out, err);
}

/* ------------------------------------------------------------------------------------------
 * Lists
 * ---------------------------------------------------------------------------------------- */

#define SNAPSHOT_COLUMNS                                                                       \
    "SELECT id, parent, sequence, committed_at, operation, schema_subject, schema_version, "   \
    "rows, added_rows, files, expired_at FROM lake_snapshots WHERE dataset = ? "

static void row_to_snapshot(cairn_stmt *stmt, const char *dataset, cairn_snapshot *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->id, sizeof s->id, "%s", cairn_stmt_text(stmt, 0, NULL));
    snprintf(s->parent, sizeof s->parent, "%s", cairn_stmt_text(stmt, 1, NULL));
    s->sequence = cairn_stmt_int64(stmt, 2);
    snprintf(s->committed_at, sizeof s->committed_at, "%s", cairn_stmt_text(stmt, 3, NULL));
    snprintf(s->operation, sizeof s->operation, "%s", cairn_stmt_text(stmt, 4, NULL));
    snprintf(s->schema_subject, sizeof s->schema_subject, "%s", cairn_stmt_text(stmt, 5, NULL));
    s->schema_version = cairn_stmt_int64(stmt, 6);
    s->rows = cairn_stmt_int64(stmt, 7);
    s->added_rows = cairn_stmt_int64(stmt, 8);
    s->nfiles = (size_t)cairn_stmt_int64(stmt, 9);
    snprintf(s->dataset, sizeof s->dataset, "%s", dataset);
}

int cairn__snapshot_rows(cairn_home *home, const char *dataset, const char *order,
                         bool with_expired, cairn_snapshot **out, size_t *count,
                         char ***expired_at, cairn_error *err)
{
    char sql[512];
    snprintf(sql, sizeof sql, SNAPSHOT_COLUMNS "%s ORDER BY sequence %s",
             with_expired ? "" : "AND expired_at IS NULL", order);
    cairn_stmt *stmt = NULL;
    size_t cap = 0, n = 0, ecap = 0;
    cairn_snapshot *list = NULL;
    char **exp = NULL;
    int rc = cairn_catalog_prepare(cairn_home_catalog(home), sql, &stmt, err);
    if (rc) return rc;
    cairn_stmt_bind_text(stmt, 1, dataset, strlen(dataset));
    while ((rc = cairn_stmt_step(stmt, err)) == 1) {
        if (cairn_grow((void **)&list, &cap, n + 1, sizeof *list) ||
            (expired_at && cairn_grow((void **)&exp, &ecap, n + 1, sizeof *exp))) {
            rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory listing snapshots");
            break;
        }
        row_to_snapshot(stmt, dataset, &list[n]);
        if (expired_at)
            exp[n] = cairn_stmt_is_null(stmt, 10) ? NULL : cairn_strdup(cairn_stmt_text(stmt, 10, NULL));
        n++;
    }
    cairn_stmt_finalize(stmt);
    if (rc < 0) {
        for (size_t i = 0; exp && i < n; i++) cairn_free(exp[i]);
        cairn_free(exp);
        cairn_free(list);
        return rc;
    }
    *out = list;
    *count = n;
    if (expired_at) *expired_at = exp;
    return 0;
}

void cairn__lake_free_strings(char **exp, size_t n)
{
    for (size_t i = 0; exp && i < n; i++) cairn_free(exp[i]);
    cairn_free(exp);
}

int cairn_snapshot_list(cairn_home *home, const char *dataset, cairn_snapshot **out,
                        size_t *count, cairn_error *err)
{
    *out = NULL;
    *count = 0;
    if (!cairn_dataset_name_valid(dataset))
        return cairn_error_set(err, CAIRN_EINVAL, "'%.80s' is not a valid dataset name",
                               dataset ? dataset : "");
    return cairn__snapshot_rows(home, dataset, "DESC", false, out, count, NULL, err);
}

int cairn_lake_datasets(cairn_home *home, char ***out, size_t *count, cairn_error *err)
{
    cairn_stmt *stmt = NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    *out = NULL;
    *count = 0;
    int rc = cairn_catalog_prepare(cairn_home_catalog(home),
                                   "SELECT name FROM lake_datasets WHERE head IS NOT NULL ORDER BY name",
                                   &stmt, err);
    if (rc) return rc;
    while ((rc = cairn_stmt_step(stmt, err)) == 1) {
        if (cairn_grow((void **)&names, &cap, n + 1, sizeof *names) ||
            !(names[n] = cairn_strdup(cairn_stmt_text(stmt, 0, NULL)))) {
            rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory listing datasets");
            break;
        }
        n++;
    }
    cairn_stmt_finalize(stmt);
    if (rc < 0) {
        for (size_t i = 0; i < n; i++) cairn_free(names[i]);
        cairn_free(names);
        return rc;
    }
    *out = names;
    *count = n;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * References: "ds", "ds@<hex prefix>", "ds@<time>"
 * ---------------------------------------------------------------------------------------- */

static int unknown_dataset(cairn_home *home, const char *dataset, cairn_error *err)
{
    char **names = NULL;
    size_t n = 0;
    char known[256] = "";
    if (cairn_lake_datasets(home, &names, &n, NULL) == 0) {
        size_t used = 0;
        for (size_t i = 0; i < n; i++) {
            if (used + strlen(names[i]) + 8 < sizeof known)
                used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
                                         names[i]);
            cairn_free(names[i]);
        }
        cairn_free(names);
    }
    return cairn_error_set(err, CAIRN_ENOTFOUND, "no dataset '%s' in the lake%s%s%s", dataset,
                           n ? " (datasets: " : " (it has no datasets yet)", known, n ? ")" : "");
}

static bool is_hex_prefix(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s)) return false;
    return true;
}

static int expired_error(const char *dataset, const char *id, const char *at, cairn_error *err)
{
    return cairn_error_set(err, CAIRN_ENOTFOUND,
                           "snapshot %.12s of '%s' was expired by retention at %s and its data "
                           "may be gone", id, dataset, at);
}

static int resolve_prefix(cairn_home *home, const char *dataset, const char *prefix,
                          cairn_snapshot **out, cairn_error *err)
{
    char lower[65];
    size_t n = strlen(prefix);
    if (n < 4 || n > 64)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "snapshot id '%s' must have 4 to 64 hex digits", prefix);
    for (size_t i = 0; i <= n; i++) lower[i] = (char)tolower((unsigned char)prefix[i]);
    cairn_snapshot *all = NULL;
    char **exp = NULL;
    size_t count = 0, hits = 0, hit = 0;
    char listed[256] = "";
    int rc = cairn__snapshot_rows(home, dataset, "ASC", true, &all, &count, &exp, err);
    if (rc) return rc;
    for (size_t i = 0; i < count; i++) {
        if (strncmp(all[i].id, lower, n) != 0) continue;
        size_t used = strlen(listed);
        if (used + 20 < sizeof listed)
            snprintf(listed + used, sizeof listed - used, "%s%.12s", hits ? ", " : "", all[i].id);
        hit = i, hits++;
    }
    if (hits == 0)
        rc = cairn_error_set(err, CAIRN_ENOTFOUND, "dataset '%s' has no snapshot %s", dataset, lower);
    else if (hits > 1)
        rc = cairn_error_set(err, CAIRN_EINVAL, "snapshot prefix '%s' of '%s' is ambiguous: %s",
                             lower, dataset, listed);
    else if (exp[hit])
        rc = expired_error(dataset, all[hit].id, exp[hit], err);
    else
        rc = cairn__snapshot_load(home, all[hit].id, out, err);
    cairn__lake_free_strings(exp, count);
    cairn_free(all);
    return rc;
}

static int resolve_time(cairn_home *home, const char *dataset, const char *when,
                        cairn_snapshot **out, cairn_error *err)
{
    int64_t t;
    cairn_error perr;
    if (cairn_time_parse(when, strlen(when), &t, &perr))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "'%s@%s': '%s' is neither a snapshot id (4+ hex digits) nor an "
                               "ISO-8601 time or date (%s)", dataset, when, when, perr.message);
    cairn_snapshot *all = NULL;
    char **exp = NULL;
    size_t count = 0, pick = SIZE_MAX;
    int rc = cairn__snapshot_rows(home, dataset, "ASC", true, &all, &count, &exp, err);
    if (rc) return rc;
    for (size_t i = 0; i < count; i++) {
        int64_t at;
        if (cairn_time_parse(all[i].committed_at, strlen(all[i].committed_at), &at, NULL) == 0 && at <= t)
            pick = i;
    }
    if (pick == SIZE_MAX)
        rc = cairn_error_set(err, CAIRN_ENOTFOUND,
                             "dataset '%s' has no snapshot at or before %s; its first was "
                             "committed at %s", dataset, when, count ? all[0].committed_at : "(never)");
    else if (exp[pick])
        rc = expired_error(dataset, all[pick].id, exp[pick], err);
    else
        rc = cairn__snapshot_load(home, all[pick].id, out, err);
    cairn__lake_free_strings(exp, count);
    cairn_free(all);
    return rc;
}

int cairn_snapshot_resolve(cairn_home *home, const char *ref, cairn_snapshot **out,
                           cairn_error *err)
{
    char dataset[CAIRN_DATASET_NAME_MAX];
    const char *at = strchr(ref, '@');
    size_t n = at ? (size_t)(at - ref) : strlen(ref);
    *out = NULL;
    if (n >= sizeof dataset)
        return cairn_error_set(err, CAIRN_EINVAL, "dataset name in '%.80s' is too long", ref);
    memcpy(dataset, ref, n);
    dataset[n] = '\0';
    if (!cairn_dataset_name_valid(dataset))
        return cairn_error_set(err, CAIRN_EINVAL, "'%.80s' is not a valid dataset name", dataset);
    bool exists;
    char head[65];
    int rc = read_head(cairn_home_catalog(home), dataset, &exists, head, err);
    if (rc) return rc;
    if (!*head) return unknown_dataset(home, dataset, err);
    if (!at) return cairn__snapshot_load(home, head, out, err);
    if (is_hex_prefix(at + 1)) return resolve_prefix(home, dataset, at + 1, out, err);
    return resolve_time(home, dataset, at + 1, out, err);
}

/* ------------------------------------------------------------------------------------------
 * Diff
 * ---------------------------------------------------------------------------------------- */

static int sorted_copy(const cairn_snapshot *s, cairn_lake_file **out)
{
    *out = NULL;
    if (!s->nfiles) return 0;
    if (!(*out = cairn_malloc(s->nfiles * sizeof **out))) return CAIRN_ENOMEM;
    memcpy(*out, s->files, s->nfiles * sizeof **out);
    qsort(*out, s->nfiles, sizeof **out, cmp_file_path);
    return 0;
}

static int push_file(cairn_lake_file **list, size_t *n, size_t *cap, const cairn_lake_file *f)
{
    if (cairn_grow((void **)list, cap, *n + 1, sizeof **list)) return CAIRN_ENOMEM;
    (*list)[(*n)++] = *f;
    return 0;
}

static int diff_merge(const cairn_lake_file *a, size_t na, const cairn_lake_file *b, size_t nb,
                      cairn_snapshot_diff *d)
{
    size_t i = 0, j = 0, cap_added = 0, cap_removed = 0;
    int rc = 0;
    while (rc == 0 && (i < na || j < nb)) {
        int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i].path, b[j].path);
        if (c == 0) i++, j++;
        else if (c < 0) d->rows_removed += a[i].rows, rc = push_file(&d->removed, &d->nremoved, &cap_removed, &a[i]), i++;
        else d->rows_added += b[j].rows, rc = push_file(&d->added, &d->nadded, &cap_added, &b[j]), j++;
    }
    return rc;
}

int cairn_snapshot_diff_compute(const cairn_snapshot *a, const cairn_snapshot *b,
                                cairn_snapshot_diff *out, cairn_error *err)
{
    cairn_lake_file *sa = NULL, *sb = NULL;
    memset(out, 0, sizeof *out);
    int rc = sorted_copy(a, &sa);
    if (rc == 0) rc = sorted_copy(b, &sb);
    if (rc == 0) rc = diff_merge(sa, a->nfiles, sb, b->nfiles, out);
    cairn_free(sa);
    cairn_free(sb);
    if (rc) {
        cairn_snapshot_diff_free(out);
        return cairn_error_set(err, rc, "out of memory comparing snapshots");
    }
    return 0;
}

void cairn_snapshot_diff_free(cairn_snapshot_diff *diff)
{
    if (!diff) return;
    cairn_free(diff->added);
    cairn_free(diff->removed);
    memset(diff, 0, sizeof *diff);
}

int cairn_snapshot_quality(cairn_home *home, const char *id, char qid[65], cairn_error *err)
{
    cairn_stmt *st;
    qid[0] = 0;
    int rc = cairn_catalog_prepare(cairn_home_catalog(home),
                                   "SELECT quality FROM lake_snapshots WHERE id = ?", &st, err);
    if (rc) return rc;
    cairn_stmt_bind_text(st, 1, id, strlen(id));
    rc = cairn_stmt_step(st, err);
    if (rc == 1 && !cairn_stmt_is_null(st, 0)) {
        size_t len;
        const char *q = cairn_stmt_text(st, 0, &len);
        if (len == 64) snprintf(qid, 65, "%s", q);
    }
    cairn_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}
