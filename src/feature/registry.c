/* src/feature/registry.c: the feature registry: versioned definitions in the catalog
 * (feature_registry, migration 4), applied from a repository and found again by kind, name,
 * text, tag or owner.
 *
 * apply checks the repository against the home first: each source must name a dataset with
 * a registered schema (a `dataset@snapshot` source must also resolve), and every column a view
 * uses must exist there with a usable type (join keys; event and created times as timestamp
 * or date; calendar columns as timestamp or date; window columns numeric, except count,
 * last and approx_distinct). Then every object whose canonical JSON differs from its latest
 * version is stored as the next version, in one transaction; unchanged objects are reported
 * as such. Old versions are never modified.
 *
 * Tests: tests/unit/feature/test_defs.c, tests/integration/test_features_cli.sh.
 */
#include <stdio.h>
#include <string.h>

#include "cairn/feature.h"
#include "cairn/ingest.h"

static const char *const kinds[] = {"entity", "source", "feature_view", "feature_service"};

static int oom(cairn_error *err) { return cairn_error_set(err, CAIRN_ENOMEM, "out of memory"); }

/* ------------------------------------------------------------------------------------------
 * Checking a repository against the home's schemas
 * ---------------------------------------------------------------------------------------- */

static int at(const cairn_feature_repo *repo, cairn_error *err, int64_t line, int64_t col,
              const char *field, int code)
{
    cairn_error_at(err, cairn_feature_repo_name(repo), line, col);
    if (field) cairn_error_field(err, field);
    return code;
}

static bool is_time(cairn_type t) { return t == CAIRN_TYPE_TIMESTAMP || t == CAIRN_TYPE_DATE32; }

static int need_column(const cairn_feature_repo *repo, const cairn_view_def *v,
                       const cairn_dataset_schema *schema, const char *dataset, const char *column,
                       const char *role, int64_t line, int64_t col, int want,
                       cairn_error *err)
{
    const cairn_dataset_field *f = cairn_dataset_schema_find(schema, column);
    if (!f) {
        cairn_error_set(err, CAIRN_EINVAL, "feature view '%s': %s column '%s' is not in dataset '%s'",
                        v->name, role, column, dataset);
        return at(repo, err, line, col, column, CAIRN_EINVAL);
    }
    bool ok = want == 0 || (want == 1 && is_time(f->type)) || (want == 2 && cairn_type_is_numeric(f->type));
    if (!ok) {
        cairn_error_set(err, CAIRN_ETYPE, "feature view '%s': %s column '%s' is %s, expected %s",
                        v->name, role, column, cairn_type_name(f->type),
                        want == 1 ? "a timestamp or date" : "a number");
        return at(repo, err, line, col, column, CAIRN_ETYPE);
    }
    return 0;
}

static const cairn_entity_def *entity_of(const cairn_feature_repo *repo, const char *name)
{
    size_t n;
    const cairn_entity_def *e = cairn_feature_repo_entities(repo, &n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(e[i].name, name)) return &e[i];
    return NULL;
}

static const cairn_source_def *source_of(const cairn_feature_repo *repo, const char *name)
{
    size_t n;
    const cairn_source_def *s = cairn_feature_repo_sources(repo, &n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s[i].name, name)) return &s[i];
    return NULL;
}

static int check_view(cairn_home *home, const cairn_feature_repo *repo, const cairn_view_def *v,
                      cairn_error *err)
{
    const cairn_source_def *src = source_of(repo, v->source);
    const cairn_entity_def *ent = entity_of(repo, v->entity);
    char dataset[CAIRN_DATASET_NAME_MAX];
    snprintf(dataset, sizeof dataset, "%.*s", (int)strcspn(src->dataset, "@"), src->dataset);
    cairn_dataset_schema *schema = NULL;
    int rc = cairn_registry_get(cairn_home_catalog(home), dataset, 0, &schema, NULL, err);
    if (rc == CAIRN_ENOTFOUND) {
        cairn_error_set(err, CAIRN_ENOTFOUND,
                        "source '%s': dataset '%s' has no registered schema (ingest it first)",
                        src->name, dataset);
        return at(repo, err, src->line, src->col, "dataset", CAIRN_ENOTFOUND);
    }
    if (rc) return rc;
    if (strchr(src->dataset, '@')) {
        cairn_snapshot *snap = NULL;
        rc = cairn_snapshot_resolve(home, src->dataset, &snap, err);
        cairn_snapshot_free(snap);
        if (rc) {
            at(repo, err, src->line, src->col, "dataset", rc);
            cairn_dataset_schema_free(schema);
            return rc;
        }
    }
    for (size_t k = 0; rc == 0 && k < ent->nkeys; k++)
        rc = need_column(repo, v, schema, dataset, ent->join_keys[k], "join key", v->line, v->col, 0, err);
    if (rc == 0) rc = need_column(repo, v, schema, dataset, v->event_time, "event time", v->line, v->col, 1, err);
    if (rc == 0 && v->created_time)
        rc = need_column(repo, v, schema, dataset, v->created_time, "created time", v->line, v->col, 1, err);
    for (size_t i = 0; rc == 0 && i < v->nfeatures; i++) {
        const cairn_feature_def *f = &v->features[i];
        if (!f->column) continue;
        int want = 0;
        if (f->kind == CAIRN_FEAT_CALENDAR) want = 1;
        else if (f->kind == CAIRN_FEAT_WINDOW &&
                 (f->agg == CAIRN_AGG_SUM || f->agg == CAIRN_AGG_MEAN || f->agg == CAIRN_AGG_STDDEV))
            want = 2;
        rc = need_column(repo, v, schema, dataset, f->column, f->name, f->line, f->col, want, err);
    }
    cairn_dataset_schema_free(schema);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Apply
 * ---------------------------------------------------------------------------------------- */

typedef struct latest {
    int64_t version;
    char hash[65];
    json_t *definition; /* NULL when there is none */
} latest;

static int read_latest(cairn_catalog *cat, const char *kind, const char *name, latest *out,
                       cairn_error *err)
{
    cairn_stmt *st;
    memset(out, 0, sizeof *out);
    int rc = cairn_catalog_prepare(cat,
                                   "SELECT version, hash, definition FROM feature_registry WHERE "
                                   "kind = ? AND name = ? ORDER BY version DESC LIMIT 1",
                                   &st, err);
    if (rc) return rc;
    cairn_stmt_bind_text(st, 1, kind, strlen(kind));
    cairn_stmt_bind_text(st, 2, name, strlen(name));
    rc = cairn_stmt_step(st, err);
    if (rc == 1) {
        size_t len;
        const char *def = cairn_stmt_text(st, 2, &len);
        out->version = cairn_stmt_int64(st, 0);
        snprintf(out->hash, sizeof out->hash, "%s", cairn_stmt_text(st, 1, NULL));
        rc = cairn_json_parse(def, len, "feature_registry.definition", &out->definition, err);
    }
    cairn_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* The top-level keys whose values differ, "a, b". */
static void changed_keys(const json_t *old, const json_t *now, char *out, size_t cap)
{
    const char *key;
    json_t *value;
    size_t used = 0;
    out[0] = 0;
    json_object_foreach((json_t *)now, key, value) {
        json_t *o = json_object_get(old, key);
        if (o && json_equal(o, value)) continue;
        used += (size_t)snprintf(out + used, cap > used ? cap - used : 0, "%s%s", used ? ", " : "", key);
        if (used >= cap) break;
    }
}

static char *tags_text(const json_t *def)
{
    const json_t *tags = json_object_get(def, "tags");
    cairn_buf b;
    cairn_buf_init(&b, 0);
    int rc = cairn_buf_putc(&b, ',');
    size_t i;
    const json_t *t;
    json_array_foreach(tags, i, t) {
        if (rc == 0) rc = cairn_buf_printf(&b, "%s,", json_string_value(t));
    }
    if (rc == 0) rc = cairn_buf_putc(&b, 0);
    if (rc) {
        cairn_buf_release(&b);
        return NULL;
    }
    return b.data;
}

static int apply_one(cairn_catalog *cat, const char *kind, json_t *def, const char *now,
                     bool dry_run, cairn_feature_change *ch, cairn_error *err)
{
    const char *name = json_string_value(json_object_get(def, "name"));
    cairn_buf text;
    cairn_buf_init(&text, 0);
    if (cairn_json_dump(def, 0, &text) || cairn_buf_putc(&text, 0)) {
        cairn_buf_release(&text);
        return oom(err);
    }
    uint8_t digest[CAIRN_SHA256_LEN];
    char hash[65];
    cairn_sha256_digest(text.data, text.len - 1, digest);
    cairn_hex_encode(digest, sizeof digest, hash);
    latest prev;
    int rc = read_latest(cat, kind, name, &prev, err);
    memset(ch, 0, sizeof *ch);
    snprintf(ch->kind, sizeof ch->kind, "%s", kind);
    snprintf(ch->name, sizeof ch->name, "%s", name);
    if (rc == 0 && prev.version && !strcmp(prev.hash, hash)) {
        snprintf(ch->action, sizeof ch->action, "unchanged");
        ch->version = prev.version;
    } else if (rc == 0) {
        snprintf(ch->action, sizeof ch->action, "%s", prev.version ? "update" : "create");
        ch->version = prev.version + 1;
        if (prev.definition) changed_keys(prev.definition, def, ch->detail, sizeof ch->detail);
        char *tags = tags_text(def);
        cairn_stmt *st = NULL;
        if (!tags) rc = oom(err);
        if (rc == 0 && !dry_run)
            rc = cairn_catalog_prepare(cat,
                                       "INSERT INTO feature_registry (kind, name, version, hash, "
                                       "definition, owner, tags, description, applied_at) VALUES "
                                       "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                       &st, err);
        if (rc == 0 && st) {
            const char *owner = json_string_value(json_object_get(def, "owner"));
            const char *desc = json_string_value(json_object_get(def, "description"));
            cairn_stmt_bind_text(st, 1, kind, strlen(kind));
            cairn_stmt_bind_text(st, 2, name, strlen(name));
            cairn_stmt_bind_int64(st, 3, ch->version);
            cairn_stmt_bind_text(st, 4, hash, 64);
            cairn_stmt_bind_text(st, 5, text.data, text.len - 1);
            cairn_stmt_bind_text(st, 6, owner ? owner : "", owner ? strlen(owner) : 0);
            cairn_stmt_bind_text(st, 7, tags, strlen(tags));
            cairn_stmt_bind_text(st, 8, desc ? desc : "", desc ? strlen(desc) : 0);
            cairn_stmt_bind_text(st, 9, now, strlen(now));
            rc = cairn_stmt_step(st, err);
            rc = rc < 0 ? rc : 0;
        }
        cairn_stmt_finalize(st);
        cairn_free(tags);
    }
    json_decref(prev.definition);
    cairn_buf_release(&text);
    return rc;
}

int cairn_features_apply(cairn_home *home, const cairn_feature_repo *repo, bool dry_run,
                         cairn_feature_change **changes, size_t *count, cairn_error *err)
{
    size_t nv, counts[4];
    const cairn_view_def *views = cairn_feature_repo_views(repo, &nv);
    cairn_feature_repo_entities(repo, &counts[0]);
    cairn_feature_repo_sources(repo, &counts[1]);
    counts[2] = nv;
    cairn_feature_repo_services(repo, &counts[3]);
    *changes = NULL;
    *count = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nv; i++)
        rc = check_view(home, repo, &views[i], err);
    if (rc) return rc;
    size_t total = counts[0] + counts[1] + counts[2] + counts[3];
    cairn_feature_change *out = cairn_calloc(total ? total : 1, sizeof *out);
    if (!out) return oom(err);
    cairn_catalog *cat = cairn_home_catalog(home);
    char now[CAIRN_TIME_FMT_LEN];
    cairn_time_format(cairn_now_us(), now, sizeof now);
    rc = cairn_catalog_begin(cat, err);
    size_t n = 0;
    for (size_t k = 0; rc == 0 && k < 4; k++)
        for (size_t i = 0; rc == 0 && i < counts[k]; i++) {
            json_t *def = NULL;
            if ((rc = cairn_feature_object_json(repo, kinds[k], i, &def))) {
                rc = oom(err);
                break;
            }
            rc = apply_one(cat, kinds[k], def, now, dry_run, &out[n++], err);
            json_decref(def);
        }
    if (rc == 0 && !dry_run) rc = cairn_catalog_commit(cat, err);
    if (rc || dry_run) cairn_catalog_abort(cat);
    if (rc) {
        cairn_free(out);
        return rc;
    }
    *changes = out;
    *count = n;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Reading the registry
 * ---------------------------------------------------------------------------------------- */

void cairn_feature_objects_free(cairn_feature_object *objects, size_t count)
{
    for (size_t i = 0; objects && i < count; i++)
        cairn_free(objects[i].definition);
    cairn_free(objects);
}

#define OBJECT_COLUMNS "kind, name, version, hash, owner, tags, description, applied_at, definition"

static int read_object(cairn_stmt *st, cairn_feature_object *o)
{
    size_t len;
    memset(o, 0, sizeof *o);
    snprintf(o->kind, sizeof o->kind, "%s", cairn_stmt_text(st, 0, NULL));
    snprintf(o->name, sizeof o->name, "%s", cairn_stmt_text(st, 1, NULL));
    o->version = cairn_stmt_int64(st, 2);
    snprintf(o->hash, sizeof o->hash, "%s", cairn_stmt_text(st, 3, NULL));
    snprintf(o->owner, sizeof o->owner, "%s", cairn_stmt_text(st, 4, NULL));
    const char *tags = cairn_stmt_text(st, 5, &len); /* ",a,b," -> "a,b" */
    if (len >= 2) snprintf(o->tags, sizeof o->tags, "%.*s", (int)(len - 2), tags + 1);
    snprintf(o->description, sizeof o->description, "%s", cairn_stmt_text(st, 6, NULL));
    snprintf(o->applied_at, sizeof o->applied_at, "%s", cairn_stmt_text(st, 7, NULL));
    const char *def = cairn_stmt_text(st, 8, &len);
    if (!(o->definition = cairn_malloc(len + 1))) return CAIRN_ENOMEM;
    memcpy(o->definition, def, len);
    o->definition[len] = 0;
    return 0;
}

static int collect(cairn_stmt *st, cairn_feature_object **out, size_t *count, cairn_error *err)
{
    cairn_feature_object *objs = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = cairn_stmt_step(st, err)) == 1) {
        if (cairn_grow((void **)&objs, &cap, n + 1, sizeof *objs)) {
            rc = oom(err);
            break;
        }
        if (read_object(st, &objs[n++])) {
            rc = oom(err);
            break;
        }
    }
    cairn_stmt_finalize(st);
    if (rc < 0) {
        cairn_feature_objects_free(objs, n);
        return rc;
    }
    *out = objs;
    *count = n;
    return 0;
}

static int check_kind(const char *kind, cairn_error *err)
{
    for (size_t k = 0; k < 4; k++)
        if (!strcmp(kind, kinds[k])) return 0;
    return cairn_error_set(err, CAIRN_EINVAL,
                           "unknown kind '%s' (expected entity, source, feature_view or "
                           "feature_service)", kind);
}

int cairn_features_list(cairn_home *home, const char *kind, const char *text, const char *tag,
                        const char *owner, cairn_feature_object **out, size_t *count,
                        cairn_error *err)
{
    *out = NULL;
    *count = 0;
    if (kind && check_kind(kind, err)) return CAIRN_EINVAL;
    cairn_stmt *st;
    int rc = cairn_catalog_prepare(
        cairn_home_catalog(home),
        "SELECT " OBJECT_COLUMNS " FROM feature_registry r WHERE version = "
        "(SELECT MAX(version) FROM feature_registry m WHERE m.kind = r.kind AND m.name = r.name) "
        "AND (? IS NULL OR kind = ?) "
        "AND (? IS NULL OR name LIKE ? OR description LIKE ?) "
        "AND (? IS NULL OR tags LIKE ?) AND (? IS NULL OR owner = ?) "
        "ORDER BY kind, name",
        &st, err);
    if (rc) return rc;
    char like[300], tagl[300];
    snprintf(like, sizeof like, "%%%s%%", text ? text : "");
    snprintf(tagl, sizeof tagl, "%%,%s,%%", tag ? tag : "");
#define BIND_OPT(i, cond, v)                                                                  \
    ((cond) ? cairn_stmt_bind_text(st, i, v, strlen(v)) : cairn_stmt_bind_null(st, i))
    BIND_OPT(1, kind, kind);
    BIND_OPT(2, kind, kind);
    BIND_OPT(3, text, like);
    BIND_OPT(4, text, like);
    BIND_OPT(5, text, like);
    BIND_OPT(6, tag, tagl);
    BIND_OPT(7, tag, tagl);
    BIND_OPT(8, owner, owner);
    BIND_OPT(9, owner, owner);
#undef BIND_OPT
    return collect(st, out, count, err);
}

int cairn_features_versions(cairn_home *home, const char *kind, const char *name,
                            cairn_feature_object **out, size_t *count, cairn_error *err)
{
    *out = NULL;
    *count = 0;
    if (check_kind(kind, err)) return CAIRN_EINVAL;
    cairn_stmt *st;
    int rc = cairn_catalog_prepare(cairn_home_catalog(home),
                                   "SELECT " OBJECT_COLUMNS " FROM feature_registry WHERE kind = ? "
                                   "AND name = ? ORDER BY version",
                                   &st, err);
    if (rc) return rc;
    cairn_stmt_bind_text(st, 1, kind, strlen(kind));
    cairn_stmt_bind_text(st, 2, name, strlen(name));
    return collect(st, out, count, err);
}

int cairn_features_get(cairn_home *home, const char *kind, const char *name, int64_t version,
                       cairn_feature_object **out, cairn_error *err)
{
    cairn_feature_object *all = NULL;
    size_t n = 0;
    *out = NULL;
    int rc = cairn_features_versions(home, kind, name, &all, &n, err);
    if (rc) return rc;
    size_t pick = n;
    for (size_t i = 0; i < n; i++)
        if (version == 0 ? i + 1 == n : all[i].version == version) pick = i;
    if (pick == n) {
        cairn_feature_objects_free(all, n);
        if (version)
            return cairn_error_set(err, CAIRN_ENOTFOUND, "%s '%s' has no version %lld", kind, name,
                                   (long long)version);
        return cairn_error_set(err, CAIRN_ENOTFOUND,
                               "no %s named '%s' (apply a feature repository first)", kind, name);
    }
    cairn_feature_object *one = cairn_malloc(sizeof *one);
    if (!one) {
        cairn_feature_objects_free(all, n);
        return oom(err);
    }
    *one = all[pick];
    all[pick].definition = NULL;
    cairn_feature_objects_free(all, n);
    *out = one;
    return 0;
}
