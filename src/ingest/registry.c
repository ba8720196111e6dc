/* src/ingest/registry.c: schema compatibility (Avro's resolution rules) and the schema
 * registry kept in the catalog (migration 2: schema_subjects, schema_versions).
 *
 * can_read(reader, writer) matches fields by name: a reader-only field needs a default, a
 * writer-only field is skipped, a common field's writer type must equal or promote to the
 * reader's, and a reader may widen nullability but never narrow it. A compatibility mode
 * picks the direction (BACKWARD: the new schema reads old data; FORWARD: old schemas read
 * new data; FULL: both) and the history (_TRANSITIVE: every version; else the latest).
 *
 * Invariants: versions of a subject are numbered 1, 2, ... without gaps; a version is only
 * inserted, inside the same transaction that checked it against the history, so a refused
 * change leaves the registry exactly as it was.
 *
 * Tests: tests/unit/ingest/test_registry.c.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ingest/ingest_internal.h"

static const char *const mode_names[] = {"BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD",
                                         "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"};

const char *cairn_compat_name(cairn_compat_mode mode)
{
    return (unsigned)mode < 7 ? mode_names[mode] : "UNKNOWN";
}

int cairn_compat_parse(const char *name, cairn_compat_mode *out)
{
    for (int i = 0; i < 7; i++)
        if (!strcasecmp(name, mode_names[i])) return *out = (cairn_compat_mode)i, 0;
    return CAIRN_EINVAL;
}

/* ------------------------------------------------------------------------------------------
 * Compatibility of two schemas
 * ---------------------------------------------------------------------------------------- */

static bool promotes(cairn_type from, cairn_type to)
{
    if (from == to) return true;
    switch (from) {
    case CAIRN_TYPE_INT32:
        return to == CAIRN_TYPE_INT64 || to == CAIRN_TYPE_FLOAT32 || to == CAIRN_TYPE_FLOAT64;
    case CAIRN_TYPE_INT64: return to == CAIRN_TYPE_FLOAT32 || to == CAIRN_TYPE_FLOAT64;
    case CAIRN_TYPE_FLOAT32: return to == CAIRN_TYPE_FLOAT64;
    case CAIRN_TYPE_DATE32: return to == CAIRN_TYPE_TIMESTAMP;
    default: return false;
    }
}

static int add_issue(cairn_compat_issue **issues, size_t *count, const char *field,
                     int64_t against, const char *fmt, ...) CAIRN_PRINTF(5, 6);
static int add_issue(cairn_compat_issue **issues, size_t *count, const char *field,
                     int64_t against, const char *fmt, ...)
{
    cairn_compat_issue *grown = cairn_realloc(*issues, (*count + 1) * sizeof *grown);
    if (!grown) return CAIRN_ENOMEM;
    cairn_compat_issue *is = &grown[*count];
    memset(is, 0, sizeof *is);
    snprintf(is->field, sizeof is->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(is->reason, sizeof is->reason, fmt, ap);
    va_end(ap);
    is->against_version = against;
    *issues = grown;
    (*count)++;
    return 0;
}

/* One issue for the field pair; rf is the reader's field, wf the writer's (NULL = absent). */
static int field_issue(const cairn_dataset_field *rf, const cairn_dataset_field *wf,
                       cairn__compat_phrasing ph, int64_t against, cairn_compat_issue **issues,
                       size_t *count)
{
    static const char *const missing[] = {
        "is not in the writer's schema and has no default in the reader's",
        "added without a default (old data cannot be read)",
        "removed, and old readers have no default for it (new data cannot be read)"};
    static const char *const narrowed[] = {
        "is nullable in the writer's schema but not in the reader's",
        "made not nullable (old data may hold nulls)",
        "made nullable (old readers cannot read nulls)"};
    if (!wf) return rf->has_default ? 0 : add_issue(issues, count, rf->name, against, "%s", missing[ph]);
    if (!promotes(wf->type, rf->type)) {
        const char *from = cairn_type_name(ph == CAIRN__PHRASE_FORWARD ? rf->type : wf->type);
        const char *to = cairn_type_name(ph == CAIRN__PHRASE_FORWARD ? wf->type : rf->type);
        if (ph == CAIRN__PHRASE_NEUTRAL)
            return add_issue(issues, count, rf->name, against,
                             "the writer's %s cannot be read as %s (no promotion)", from, to);
        return add_issue(issues, count, rf->name, against, "changed %s -> %s (no promotion%s)",
                         from, to, ph == CAIRN__PHRASE_FORWARD ? " for old readers" : "");
    }
    if (wf->nullable && !rf->nullable) return add_issue(issues, count, rf->name, against, "%s", narrowed[ph]);
    return 0;
}

int cairn__schema_can_read(const cairn_dataset_schema *reader,
                           const cairn_dataset_schema *writer, cairn__compat_phrasing phrasing,
                           int64_t against_version, bool *compatible,
                           cairn_compat_issue **issues, size_t *count)
{
    size_t before = *count;
    for (size_t i = 0; i < cairn_dataset_schema_num_fields(reader); i++) {
        const cairn_dataset_field *rf = cairn_dataset_schema_field(reader, i);
        const cairn_dataset_field *wf = cairn_dataset_schema_find(writer, rf->name);
        int rc = field_issue(rf, wf, phrasing, against_version, issues, count);
        if (rc) return rc;
    }
    *compatible = *count == before;
    return 0;
}

int cairn_schema_can_read(const cairn_dataset_schema *reader,
                          const cairn_dataset_schema *writer, bool *compatible,
                          cairn_compat_issue **issues, size_t *count)
{
    *issues = NULL;
    *count = 0;
    int rc = cairn__schema_can_read(reader, writer, CAIRN__PHRASE_NEUTRAL, 0, compatible, issues, count);
    if (rc) {
        cairn_free(*issues);
        *issues = NULL;
        *count = 0;
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Catalog access
 * ---------------------------------------------------------------------------------------- */

typedef struct version_entry {
    int64_t version;
    char hash[65];
    cairn_dataset_schema *schema;
} version_entry;

static void history_free(version_entry *h, size_t n)
{
    for (size_t i = 0; i < n; i++) cairn_dataset_schema_free(h[i].schema);
    cairn_free(h);
}

static int bind_text(cairn_stmt *stmt, int index, const char *s)
{
    return cairn_stmt_bind_text(stmt, index, s, strlen(s));
}

/* Runs one statement binding its text parameters (NULL-terminated list); no rows. */
static int exec_texts(cairn_catalog *catalog, const char *sql, const char *const *params,
                      cairn_error *err)
{
    cairn_stmt *stmt;
    int rc = cairn_catalog_prepare(catalog, sql, &stmt, err);
    if (rc) return rc;
    for (int i = 0; params[i] && rc == 0; i++) rc = bind_text(stmt, i + 1, params[i]);
    if (rc == 0) rc = cairn_stmt_step(stmt, err);
    else rc = cairn_error_set(err, rc, "binding parameters of the schema registry");
    cairn_stmt_finalize(stmt);
    return rc < 0 ? rc : 0;
}

static int row_schema(cairn_stmt *stmt, int column, cairn_dataset_schema **out, cairn_error *err)
{
    size_t len;
    const char *text = cairn_stmt_text(stmt, column, &len);
    json_t *j;
    int rc = cairn_json_parse(text, len, "schema_versions.schema_json", &j, err);
    if (rc) return rc;
    rc = cairn_dataset_schema_from_json(j, out, err);
    json_decref(j);
    return rc;
}

/* The subject's versions in order: every one (all) or only the latest. */
static int load_history(cairn_catalog *catalog, const char *subject, bool all,
                        version_entry **out, size_t *count, cairn_error *err)
{
    const char *sql = all ? "SELECT version, hash, schema_json FROM schema_versions WHERE subject = ? "
                            "ORDER BY version"
                          : "SELECT version, hash, schema_json FROM schema_versions WHERE subject = ? "
                            "ORDER BY version DESC LIMIT 1";
    cairn_stmt *stmt;
    version_entry *h = NULL;
    size_t n = 0, cap = 0;
    int rc = cairn_catalog_prepare(catalog, sql, &stmt, err);
    if (rc) return rc;
    if ((rc = bind_text(stmt, 1, subject))) rc = cairn_error_set(err, rc, "binding subject");
    while (rc == 0 && (rc = cairn_stmt_step(stmt, err)) == 1) {
        if (cairn_grow((void **)&h, &cap, n + 1, sizeof *h)) {
            rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
            break;
        }
        memset(&h[n], 0, sizeof h[n]);
        h[n].version = cairn_stmt_int64(stmt, 0);
        size_t hash_len;
        const char *hash = cairn_stmt_text(stmt, 1, &hash_len);
        snprintf(h[n].hash, sizeof h[n].hash, "%.*s", (int)hash_len, hash);
        rc = row_schema(stmt, 2, &h[n].schema, err);
        n++;
    }
    cairn_stmt_finalize(stmt);
    if (rc < 0) {
        history_free(h, n);
        return rc;
    }
    *out = h;
    *count = n;
    return 0;
}

int cairn_registry_get_mode(cairn_catalog *catalog, const char *subject,
                            cairn_compat_mode *mode, cairn_error *err)
{
    cairn_stmt *stmt;
    int rc = cairn_catalog_prepare(catalog, "SELECT compat FROM schema_subjects WHERE subject = ?",
                                   &stmt, err);
    if (rc) return rc;
    *mode = CAIRN_COMPAT_BACKWARD; /* a subject without its own mode uses the default */
    if ((rc = bind_text(stmt, 1, subject))) rc = cairn_error_set(err, rc, "binding subject");
    if (rc == 0 && (rc = cairn_stmt_step(stmt, err)) == 1) {
        const char *name = cairn_stmt_text(stmt, 0, NULL);
        rc = cairn_compat_parse(name, mode)
                 ? cairn_error_set(err, CAIRN_ECORRUPT, "subject '%s' has an unknown mode '%s'",
                                   subject, name)
                 : 0;
    }
    cairn_stmt_finalize(stmt);
    return rc < 0 ? rc : 0;
}

static int ensure_subject(cairn_catalog *catalog, const char *subject, cairn_error *err)
{
    const char *params[] = {subject, subject, NULL};
    return exec_texts(catalog,
                      "INSERT INTO schema_subjects (subject, compat) SELECT ?, 'BACKWARD' "
                      "WHERE NOT EXISTS (SELECT 1 FROM schema_subjects WHERE subject = ?)",
                      params, err);
}

int cairn_registry_set_mode(cairn_catalog *catalog, const char *subject,
                            cairn_compat_mode mode, cairn_error *err)
{
    const char *params[] = {cairn_compat_name(mode), subject, NULL};
    int rc = cairn_catalog_begin(catalog, err);
    if (rc) return rc;
    if ((rc = ensure_subject(catalog, subject, err)) == 0)
        rc = exec_texts(catalog, "UPDATE schema_subjects SET compat = ? WHERE subject = ?", params, err);
    if (rc == 0) rc = cairn_catalog_commit(catalog, err);
    if (rc) cairn_catalog_abort(catalog);
    return rc;
}

/* Checks schema against history under mode; issues appended to *issues. */
static int check_history(const cairn_dataset_schema *schema, cairn_compat_mode mode,
                         const version_entry *h, size_t n, bool *compatible,
                         cairn_compat_issue **issues, size_t *count)
{
    bool backward = mode == CAIRN_COMPAT_BACKWARD || mode == CAIRN_COMPAT_BACKWARD_TRANSITIVE ||
                    mode == CAIRN_COMPAT_FULL || mode == CAIRN_COMPAT_FULL_TRANSITIVE;
    bool forward = mode == CAIRN_COMPAT_FORWARD || mode == CAIRN_COMPAT_FORWARD_TRANSITIVE ||
                   mode == CAIRN_COMPAT_FULL || mode == CAIRN_COMPAT_FULL_TRANSITIVE;
    bool ok = true, one;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (backward)
            rc = cairn__schema_can_read(schema, h[i].schema, CAIRN__PHRASE_BACKWARD, h[i].version,
                                        &one, issues, count), ok = ok && one;
        if (forward && rc == 0)
            rc = cairn__schema_can_read(h[i].schema, schema, CAIRN__PHRASE_FORWARD, h[i].version,
                                        &one, issues, count), ok = ok && one;
    }
    *compatible = ok;
    return rc;
}

static bool is_transitive(cairn_compat_mode m)
{
    return m == CAIRN_COMPAT_BACKWARD_TRANSITIVE || m == CAIRN_COMPAT_FORWARD_TRANSITIVE ||
           m == CAIRN_COMPAT_FULL_TRANSITIVE;
}

/* The check shared by check and register: loads the mode and the history it needs. *h holds
 * at least the latest version when there is one (last entry). */
static int check_subject(cairn_catalog *catalog, const char *subject,
                         const cairn_dataset_schema *schema, cairn_compat_mode *mode,
                         version_entry **h, size_t *n, bool *compatible,
                         cairn_compat_issue **issues, size_t *count, cairn_error *err)
{
    *issues = NULL;
    *count = 0;
    *compatible = true;
    int rc = cairn_registry_get_mode(catalog, subject, mode, err);
    if (rc == 0) rc = load_history(catalog, subject, is_transitive(*mode), h, n, err);
    if (rc) return rc;
    if (*mode != CAIRN_COMPAT_NONE &&
        (rc = check_history(schema, *mode, *h, *n, compatible, issues, count))) {
        history_free(*h, *n);
        cairn_free(*issues);
        *issues = NULL;
        *count = 0;
        return cairn_error_set(err, rc, "out of memory");
    }
    return 0;
}

int cairn_registry_check(cairn_catalog *catalog, const char *subject,
                         const cairn_dataset_schema *schema, bool *compatible,
                         cairn_compat_issue **issues, size_t *count, cairn_error *err)
{
    cairn_compat_mode mode;
    version_entry *h;
    size_t n;
    int rc = check_subject(catalog, subject, schema, &mode, &h, &n, compatible, issues, count, err);
    if (rc == 0) history_free(h, n);
    return rc;
}

/* "schema for 'S' is not MODE compatible with version N: field 'a' ...; field 'b' ..." */
static int conflict_error(cairn_error *err, const char *subject, cairn_compat_mode mode,
                          const cairn_compat_issue *issues, size_t count)
{
    cairn_buf msg;
    cairn_buf_init(&msg, sizeof err->message - 1);
    cairn_buf_printf(&msg, "schema for '%s' is not %s compatible with version %lld:", subject,
                     cairn_compat_name(mode), (long long)issues[0].against_version);
    for (size_t i = 0; i < count; i++) {
        cairn_buf_printf(&msg, "%s field '%s' %s", i ? ";" : "", issues[i].field, issues[i].reason);
        if (issues[i].against_version != issues[0].against_version)
            cairn_buf_printf(&msg, " (version %lld)", (long long)issues[i].against_version);
    }
    cairn_error_set(err, CAIRN_ECONFLICT, "%s", msg.data);
    cairn_buf_release(&msg);
    return CAIRN_ECONFLICT;
}

static int insert_version(cairn_catalog *catalog, const char *subject, int64_t version,
                          const char *hash, const cairn_dataset_schema *schema, cairn_error *err)
{
    json_t *j;
    cairn_buf text;
    cairn_stmt *stmt;
    char now[CAIRN_TIME_FMT_LEN];
    cairn_time_format(cairn_now_us(), now, sizeof now);
    if (cairn_dataset_schema_to_json(schema, &j)) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    cairn_buf_init(&text, 0);
    int rc = cairn_json_dump(j, 0, &text);
    json_decref(j);
    if (rc == 0) rc = cairn_catalog_prepare(catalog,
                                            "INSERT INTO schema_versions (subject, version, hash, "
                                            "schema_json, registered_at) VALUES (?, ?, ?, ?, ?)",
                                            &stmt, err);
    else rc = cairn_error_set(err, rc, "out of memory");
    if (rc) {
        cairn_buf_release(&text);
        return rc;
    }
    if ((rc = bind_text(stmt, 1, subject)) || (rc = cairn_stmt_bind_int64(stmt, 2, version)) ||
        (rc = bind_text(stmt, 3, hash)) || (rc = cairn_stmt_bind_text(stmt, 4, text.data, text.len)) ||
        (rc = bind_text(stmt, 5, now)))
        rc = cairn_error_set(err, rc, "binding a schema version");
    else
        rc = cairn_stmt_step(stmt, err);
    cairn_stmt_finalize(stmt);
    cairn_buf_release(&text);
    return rc < 0 ? rc : 0;
}

/* Inside the open transaction: the check, then the insert. */
static int register_locked(cairn_catalog *catalog, const char *subject,
                           const cairn_dataset_schema *schema, int64_t *version, bool *created,
                           cairn_compat_issue **issues, size_t *count, cairn_error *err)
{
    char hash[65];
    cairn_compat_mode mode;
    version_entry *h;
    size_t n;
    bool compatible;
    if (cairn_dataset_schema_hash(schema, hash)) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    int rc = check_subject(catalog, subject, schema, &mode, &h, &n, &compatible, issues, count, err);
    if (rc) return rc;
    int64_t latest = n ? h[n - 1].version : 0;
    bool same = n && !strcmp(h[n - 1].hash, hash);
    history_free(h, n);
    if (same) {
        cairn_free(*issues);
        *issues = NULL;
        *count = 0;
        *version = latest;
        *created = false;
        return 0;
    }
    if (!compatible) return conflict_error(err, subject, mode, *issues, *count);
    if ((rc = ensure_subject(catalog, subject, err)) ||
        (rc = insert_version(catalog, subject, latest + 1, hash, schema, err)))
        return rc;
    *version = latest + 1;
    *created = true;
    return 0;
}

int cairn_registry_register(cairn_catalog *catalog, const char *subject,
                            const cairn_dataset_schema *schema, int64_t *version,
                            bool *created, cairn_compat_issue **issues, size_t *count,
                            cairn_error *err)
{
    cairn_compat_issue *found = NULL;
    size_t nfound = 0;
    int rc = cairn_catalog_begin(catalog, err);
    if (rc) return rc;
    rc = register_locked(catalog, subject, schema, version, created, &found, &nfound, err);
    if (rc == 0) rc = cairn_catalog_commit(catalog, err);
    if (rc) cairn_catalog_abort(catalog);
    if (issues) {
        *issues = found;
        *count = nfound;
    } else {
        cairn_free(found);
    }
    return rc;
}

int cairn_registry_get(cairn_catalog *catalog, const char *subject, int64_t version,
                       cairn_dataset_schema **out, int64_t *found_version, cairn_error *err)
{
    const char *sql = version ? "SELECT version, schema_json FROM schema_versions "
                                "WHERE subject = ? AND version = ?"
                              : "SELECT version, schema_json FROM schema_versions "
                                "WHERE subject = ? ORDER BY version DESC LIMIT 1";
    cairn_stmt *stmt;
    int rc = cairn_catalog_prepare(catalog, sql, &stmt, err);
    if (rc) return rc;
    if ((rc = bind_text(stmt, 1, subject)) || (version && (rc = cairn_stmt_bind_int64(stmt, 2, version))))
        rc = cairn_error_set(err, rc, "binding subject");
    if (rc == 0) rc = cairn_stmt_step(stmt, err);
    if (rc == 0) {
        rc = version ? cairn_error_set(err, CAIRN_ENOTFOUND, "subject '%s' has no version %lld",
                                       subject, (long long)version)
                     : cairn_error_set(err, CAIRN_ENOTFOUND, "no schema registered for '%s'", subject);
    } else if (rc == 1) {
        int64_t v = cairn_stmt_int64(stmt, 0);
        rc = row_schema(stmt, 1, out, err);
        if (rc == 0 && found_version) *found_version = v;
    }
    cairn_stmt_finalize(stmt);
    return rc;
}

int cairn_registry_versions(cairn_catalog *catalog, const char *subject,
                            cairn_registry_version **out, size_t *count, cairn_error *err)
{
    cairn_stmt *stmt;
    cairn_registry_version *list = NULL;
    size_t n = 0, cap = 0;
    int rc = cairn_catalog_prepare(catalog,
                                   "SELECT version, hash, registered_at FROM schema_versions "
                                   "WHERE subject = ? ORDER BY version",
                                   &stmt, err);
    if (rc) return rc;
    if ((rc = bind_text(stmt, 1, subject))) rc = cairn_error_set(err, rc, "binding subject");
    while (rc == 0 && (rc = cairn_stmt_step(stmt, err)) == 1) {
        if (cairn_grow((void **)&list, &cap, n + 1, sizeof *list)) {
            rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
            break;
        }
        cairn_registry_version *v = &list[n++];
        size_t len;
        const char *s = cairn_stmt_text(stmt, 1, &len);
        v->version = cairn_stmt_int64(stmt, 0);
        snprintf(v->hash, sizeof v->hash, "%.*s", (int)len, s);
        s = cairn_stmt_text(stmt, 2, &len);
        snprintf(v->registered_at, sizeof v->registered_at, "%.*s", (int)len, s);
        rc = 0;
    }
    cairn_stmt_finalize(stmt);
    if (rc == 0 && n == 0) rc = cairn_error_set(err, CAIRN_ENOTFOUND, "no schema registered for '%s'", subject);
    if (rc < 0) {
        cairn_free(list);
        return rc;
    }
    *out = list;
    *count = n;
    return 0;
}

int cairn_registry_subjects(cairn_catalog *catalog, char ***out, size_t *count,
                            cairn_error *err)
{
    cairn_stmt *stmt;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = cairn_catalog_prepare(catalog,
                                   "SELECT DISTINCT subject FROM schema_versions ORDER BY subject",
                                   &stmt, err);
    if (rc) return rc;
    while ((rc = cairn_stmt_step(stmt, err)) == 1) {
        char *name = NULL;
        if (cairn_grow((void **)&names, &cap, n + 1, sizeof *names) ||
            !(name = cairn_strdup(cairn_stmt_text(stmt, 0, NULL)))) {
            rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
            break;
        }
        names[n++] = name;
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
