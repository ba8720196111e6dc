/* src/feature/training.c: training sets (cairn_training_set_build) and the opt-out list
 * (cairn_optout_add/remove/list).
 *
 * A build: load the service (latest version) and each view it uses, in first-use order;
 * resolve each view's snapshot; read the entity table and drop the rows whose key is on the
 * opt-out list of an entity the service uses (the key is the entity's join-key values,
 * cairn_value_format, joined by '|'). The id is the SHA-256 of the canonical JSON of
 *   {"service", "version", "hash", "entity_time",
 *    "views": [{"name", "version", "hash", "snapshot"}], "entities_sha256",
 *    "optouts": [{"entity", "key"}] (the keys that matched a row, sorted)}
 * so the same inputs give the same id, found in training_sets before any feature is
 * computed (existed = true). Otherwise each view's table (cached, src/feature/offline.c) is
 * joined point-in-time to the entity rows (cairn_pit_join: the view's join keys, its event
 * and created times, its TTL; columns "<view>__<feature>"), one join after the other; the
 * result is written as Parquet, stored as a content-addressed object and recorded with its
 * lineage: the id's input plus the entity file, per-key excluded counts, rows and columns.
 *
 * Determinism: the Parquet writer is given the same table and options, and embeds no time,
 * path or random value (its footer holds the schema and "created_by" with the version), so
 * equal tables give equal bytes; tests/unit/feature/test_training.c checks it.
 *
 * Each new training set also records its features' statistics and PSI against the service's
 * previous training set (src/feature/stats.c, record_stats below).
 *
 * Tests: tests/unit/feature/test_training.c, tests/integration/test_training_cli.sh,
 * tests/oracles/test_training_duckdb.sh, tests/integration/test_feature_stats_cli.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/feature.h"
#include "cairn/lake.h"
#include "cairn/parquet.h"
#include "feature/offline_internal.h"
#include "feature/stats_internal.h"

static int oom(cairn_error *err) { return cairn_error_set(err, CAIRN_ENOMEM, "out of memory"); }

/* ------------------------------------------------------------------------------------------
 * Opt-outs
 * ---------------------------------------------------------------------------------------- */

/* The entity's join-key count, CAIRN_ENOTFOUND with a clear message when it is not in the
 * registry. */
static int entity_keys(cairn_home *home, const char *entity, size_t *nkeys, cairn_error *err)
{
    cairn_feature_object *obj = NULL;
    int rc = cairn_features_get(home, "entity", entity, 0, &obj, err);
    if (rc == CAIRN_ENOTFOUND)
        return cairn_error_set(err, CAIRN_ENOTFOUND,
                               "no entity '%s' in the feature registry (see `cairn features list "
                               "--kind entity`)", entity);
    if (rc) return rc;
    json_t *def = NULL;
    rc = cairn_json_parse(obj->definition, strlen(obj->definition), "entity definition", &def, err);
    cairn_feature_objects_free(obj, 1);
    if (rc) return rc;
    *nkeys = json_array_size(json_object_get(def, "join_keys"));
    json_decref(def);
    return 0;
}

static int check_key(cairn_home *home, const char *entity, const char *key, cairn_error *err)
{
    size_t nkeys = 0;
    int rc = entity_keys(home, entity, &nkeys, err);
    if (rc) return rc;
    size_t parts = 1;
    for (const char *p = key; *p; p++) parts += *p == '|';
    if (!*key || (nkeys && parts != nkeys))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "entity '%s' has %zu join key(s): expected a key of %zu value(s) "
                               "joined by '|', found '%s'", entity, nkeys, nkeys, key);
    return 0;
}

static int step_done(cairn_stmt *st, cairn_error *err)
{
    int rc = cairn_stmt_step(st, err);
    cairn_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int cairn_optout_add(cairn_home *home, const char *entity, const char *key, cairn_error *err)
{
    int rc = check_key(home, entity, key, err);
    if (rc) return rc;
    char now[CAIRN_TIME_FMT_LEN];
    cairn_time_format(cairn_now_us(), now, sizeof now);
    cairn_stmt *st;
    rc = cairn_catalog_prepare(cairn_home_catalog(home),
                               "INSERT INTO feature_optout (entity, entity_key, added_at) "
                               "SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM feature_optout "
                               "WHERE entity = ? AND entity_key = ?)",
                               &st, err);
    if (rc) return rc;
    cairn_stmt_bind_text(st, 1, entity, strlen(entity));
    cairn_stmt_bind_text(st, 2, key, strlen(key));
    cairn_stmt_bind_text(st, 3, now, strlen(now));
    cairn_stmt_bind_text(st, 4, entity, strlen(entity));
    cairn_stmt_bind_text(st, 5, key, strlen(key));
    return step_done(st, err);
}

int cairn_optout_remove(cairn_home *home, const char *entity, const char *key, bool *removed,
                        cairn_error *err)
{
    if (removed) *removed = false;
    size_t nkeys;
    int rc = entity_keys(home, entity, &nkeys, err);
    if (rc) return rc;
    cairn_catalog *cat = cairn_home_catalog(home);
    cairn_stmt *st;
    rc = cairn_catalog_prepare(cat, "SELECT 1 FROM feature_optout WHERE entity = ? AND entity_key = ?",
                               &st, err);
    if (rc) return rc;
    cairn_stmt_bind_text(st, 1, entity, strlen(entity));
    cairn_stmt_bind_text(st, 2, key, strlen(key));
    rc = cairn_stmt_step(st, err);
    cairn_stmt_finalize(st);
    if (rc <= 0) return rc;
    rc = cairn_catalog_prepare(cat, "DELETE FROM feature_optout WHERE entity = ? AND entity_key = ?",
                               &st, err);
    if (rc) return rc;
    cairn_stmt_bind_text(st, 1, entity, strlen(entity));
    cairn_stmt_bind_text(st, 2, key, strlen(key));
    rc = step_done(st, err);
    if (rc == 0 && removed) *removed = true;
    return rc;
}

static void strings_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) cairn_free(v[i]);
    cairn_free(v);
}

int cairn_optout_list(cairn_home *home, const char *entity, char ***out, size_t *count,
                      cairn_error *err)
{
    *out = NULL;
    *count = 0;
    size_t nkeys;
    int rc = entity ? entity_keys(home, entity, &nkeys, err) : 0;
    if (rc) return rc;
    cairn_stmt *st;
    rc = cairn_catalog_prepare(cairn_home_catalog(home),
                               "SELECT entity, entity_key FROM feature_optout WHERE "
                               "(? IS NULL OR entity = ?) ORDER BY entity, entity_key",
                               &st, err);
    if (rc) return rc;
    if (entity) {
        cairn_stmt_bind_text(st, 1, entity, strlen(entity));
        cairn_stmt_bind_text(st, 2, entity, strlen(entity));
    } else {
        cairn_stmt_bind_null(st, 1);
        cairn_stmt_bind_null(st, 2);
    }
    char **v = NULL;
    size_t n = 0, cap = 0;
    while ((rc = cairn_stmt_step(st, err)) == 1) {
        cairn_buf b;
        cairn_buf_init(&b, 0);
        if (cairn_grow((void **)&v, &cap, n + 1, sizeof *v) ||
            cairn_buf_printf(&b, "%s\t%s", cairn_stmt_text(st, 0, NULL), cairn_stmt_text(st, 1, NULL))) {
            cairn_buf_release(&b);
            rc = oom(err);
            break;
        }
        v[n++] = cairn_buf_detach(&b, NULL);
    }
    cairn_stmt_finalize(st);
    if (rc < 0) {
        strings_free(v, n);
        return rc;
    }
    *out = v;
    *count = n;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Building: the plan
 * ---------------------------------------------------------------------------------------- */

typedef struct view_use {
    cairn__view *view;
    const char *features[256]; /* the service's features of this view (borrowed) */
    size_t nfeatures;
    char snapshot[65];
} view_use;

typedef struct applied {
    char *entity, *key;
    int64_t rows;
} applied;

typedef struct build {
    cairn_home *home;
    const cairn_training_options *opts;
    cairn__service *service;
    view_use *uses;
    size_t nuses;
    cairn_table *entities;     /* after opt-outs */
    char entities_sha256[65];
    applied *optouts;
    size_t noptouts;
    int64_t excluded;
    json_t *id_input;
} build;

static void build_release(build *b)
{
    for (size_t i = 0; i < b->nuses; i++) cairn__view_free(b->uses[i].view);
    cairn_free(b->uses);
    for (size_t i = 0; i < b->noptouts; i++) {
        cairn_free(b->optouts[i].entity);
        cairn_free(b->optouts[i].key);
    }
    cairn_free(b->optouts);
    cairn__service_free(b->service);
    cairn_table_free(b->entities);
    json_decref(b->id_input);
}

static bool progress(build *b, const char *stage, int64_t done, int64_t total)
{
    return !b->opts->progress || b->opts->progress(b->opts->progress_ud, stage, done, total);
}

/* The views of the service in first-use order, with their features. */
static int plan_views(build *b, cairn_error *err)
{
    cairn__service *s = b->service;
    if (!(b->uses = cairn_calloc(s->nfeatures ? s->nfeatures : 1, sizeof *b->uses))) return oom(err);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < s->nfeatures; i++) {
        const char *full = s->features[i];
        size_t vlen = strcspn(full, ":");
        view_use *u = NULL;
        for (size_t k = 0; k < b->nuses && !u; k++)
            if (strlen(b->uses[k].view->def.name) == vlen && !strncmp(b->uses[k].view->def.name, full, vlen))
                u = &b->uses[k];
        if (!u) {
            char name[160];
            snprintf(name, sizeof name, "%.*s", (int)vlen, full);
            u = &b->uses[b->nuses];
            if ((rc = cairn__view_load(b->home, name, 0, &u->view, err))) {
                cairn_error_prefix(err, "feature service '%s': ", s->name);
                break;
            }
            b->nuses++;
            cairn_snapshot *snap = NULL;
            rc = cairn_snapshot_resolve(b->home, u->view->dataset, &snap, err);
            if (rc) cairn_error_prefix(err, "feature view '%s': ", name);
            else snprintf(u->snapshot, sizeof u->snapshot, "%s", snap->id);
            cairn_snapshot_free(snap);
        }
        if (rc == 0 && u->nfeatures == 256) rc = cairn_error_set(err, CAIRN_ELIMIT, "more than 256 features of one view");
        if (rc == 0 && full[vlen] == ':') u->features[u->nfeatures++] = full + vlen + 1;
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Building: opt-outs
 * ---------------------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int load_keys(cairn_home *home, const char *entity, char ***keys, size_t *n, cairn_error *err)
{
    char **all = NULL;
    size_t count = 0;
    int rc = cairn_optout_list(home, entity, &all, &count, err);
    if (rc) return rc;
    size_t skip = strlen(entity) + 1; /* "entity\t" */
    for (size_t i = 0; i < count; i++) memmove(all[i], all[i] + skip, strlen(all[i] + skip) + 1);
    if (count) qsort(all, count, sizeof *all, cmp_str);
    *keys = all;
    *n = count;
    return 0;
}

static int record_applied(build *b, const char *entity, const char *key, cairn_error *err)
{
    for (size_t i = 0; i < b->noptouts; i++)
        if (!strcmp(b->optouts[i].entity, entity) && !strcmp(b->optouts[i].key, key)) {
            b->optouts[i].rows++;
            return 0;
        }
    applied *grown = cairn_realloc(b->optouts, (b->noptouts + 1) * sizeof *grown);
    if (!grown) return oom(err);
    b->optouts = grown;
    applied *a = &b->optouts[b->noptouts];
    a->entity = cairn_strdup(entity);
    a->key = cairn_strdup(key);
    a->rows = 1;
    b->noptouts++;
    return a->entity && a->key ? 0 : oom(err);
}

/* Marks (keep[i] = 0) the rows whose key is on the entity's list. */
static int optout_entity(build *b, const cairn__view *v, uint8_t *keep, cairn_error *err)
{
    char **keys = NULL;
    size_t nkeys = 0;
    int rc = load_keys(b->home, v->def.entity, &keys, &nkeys, err);
    if (rc || nkeys == 0) {
        strings_free(keys, nkeys);
        return rc;
    }
    const cairn_column *cols[64];
    for (size_t k = 0; rc == 0 && k < v->nkeys && k < 64; k++)
        if (!(cols[k] = cairn_table_column_by_name(b->entities, v->join_keys[k])))
            rc = cairn_error_set(err, CAIRN_ENOTFOUND, "entity table %s has no column '%s' (a join key of "
                                 "entity '%s')", b->opts->entities, v->join_keys[k], v->def.entity);
    cairn_buf key;
    cairn_buf_init(&key, 0);
    int64_t rows = cairn_table_num_rows(b->entities);
    for (int64_t r = 0; rc == 0 && r < rows; r++) {
        cairn_buf_reset(&key);
        for (size_t k = 0; rc == 0 && k < v->nkeys; k++) {
            cairn_value val;
            cairn_column_get(cols[k], r, &val);
            if (k) rc = cairn_buf_putc(&key, '|');
            if (rc == 0) rc = cairn_value_format(&val, NULL, &key);
        }
        if (rc == 0) rc = cairn_buf_putc(&key, 0);
        if (rc) {
            rc = oom(err);
            break;
        }
        const char *kp = key.data;
        if (bsearch(&kp, keys, nkeys, sizeof *keys, cmp_str)) {
            if (keep[r]) b->excluded++;
            keep[r] = 0;
            rc = record_applied(b, v->def.entity, key.data, err);
        }
    }
    cairn_buf_release(&key);
    strings_free(keys, nkeys);
    return rc;
}

static int cmp_applied(const void *a, const void *b)
{
    const applied *x = a, *y = b;
    int c = strcmp(x->entity, y->entity);
    return c ? c : strcmp(x->key, y->key);
}

static int apply_optouts(build *b, cairn_error *err)
{
    int64_t rows = cairn_table_num_rows(b->entities);
    uint8_t *keep = cairn_malloc(rows ? (size_t)rows : 1);
    if (!keep) return oom(err);
    memset(keep, 1, (size_t)rows);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < b->nuses; i++) {
        bool seen = false; /* each entity once */
        for (size_t k = 0; k < i; k++) seen |= !strcmp(b->uses[k].view->def.entity, b->uses[i].view->def.entity);
        if (!seen) rc = optout_entity(b, b->uses[i].view, keep, err);
    }
    if (rc == 0 && b->excluded) {
        cairn_table *kept = NULL;
        if (cairn_table_filter(b->entities, keep, &kept)) rc = oom(err);
        else {
            cairn_table_free(b->entities);
            b->entities = kept;
        }
    }
    cairn_free(keep);
    if (b->noptouts) qsort(b->optouts, b->noptouts, sizeof *b->optouts, cmp_applied);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Building: id, join, store
 * ---------------------------------------------------------------------------------------- */

static json_t *id_input(const build *b, bool with_counts)
{
    json_t *views = json_array(), *optouts = json_array();
    for (size_t i = 0; i < b->nuses; i++) {
        const cairn__view *v = b->uses[i].view;
        json_t *o = json_pack("{s:s, s:I, s:s, s:s}", "name", v->def.name, "version", (json_int_t)v->version,
                              "hash", v->hash, "snapshot", b->uses[i].snapshot);
        if (o && with_counts) json_object_set_new(o, "dataset", json_string(v->dataset));
        json_array_append_new(views, o);
    }
    for (size_t i = 0; i < b->noptouts; i++) {
        json_t *o = json_pack("{s:s, s:s}", "entity", b->optouts[i].entity, "key", b->optouts[i].key);
        if (o && with_counts) json_object_set_new(o, "rows", json_integer(b->optouts[i].rows));
        json_array_append_new(optouts, o);
    }
    const char *time = b->opts->entity_time ? b->opts->entity_time : "event_timestamp";
    return json_pack("{s:s, s:I, s:s, s:s, s:o, s:s, s:o}", "service", b->service->name, "version",
                     (json_int_t)b->service->version, "hash", b->service->hash, "entity_time", time,
                     "views", views, "entities_sha256", b->entities_sha256, "optouts", optouts);
}

static int json_sha256(const json_t *j, char out[65], cairn_error *err)
{
    cairn_buf text;
    cairn_buf_init(&text, 0);
    if (!j || cairn_json_dump(j, 0, &text)) {
        cairn_buf_release(&text);
        return oom(err);
    }
    uint8_t digest[CAIRN_SHA256_LEN];
    cairn_sha256_digest(text.data, text.len, digest);
    cairn_hex_encode(digest, sizeof digest, out);
    cairn_buf_release(&text);
    return 0;
}

/* A training set already recorded under id: 1 (and the result filled), 0 when none. */
static int find_existing(cairn_home *home, const char *id, cairn_training_result *res, cairn_error *err)
{
    cairn_stmt *st;
    int rc = cairn_catalog_prepare(cairn_home_catalog(home),
                                   "SELECT object, rows, columns, excluded FROM training_sets WHERE id = ?",
                                   &st, err);
    if (rc) return rc;
    cairn_stmt_bind_text(st, 1, id, strlen(id));
    rc = cairn_stmt_step(st, err);
    if (rc == 1) {
        snprintf(res->object, sizeof res->object, "%s", cairn_stmt_text(st, 0, NULL));
        res->rows = cairn_stmt_int64(st, 1);
        res->columns = cairn_stmt_int64(st, 2);
        res->excluded = cairn_stmt_int64(st, 3);
    }
    cairn_stmt_finalize(st);
    return rc;
}

static int join_all(build *b, cairn_table **out, cairn_error *err)
{
    const char *time = b->opts->entity_time ? b->opts->entity_time : "event_timestamp";
    cairn_table *acc = b->entities;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < b->nuses; i++) {
        view_use *u = &b->uses[i];
        const cairn__view *v = u->view;
        char stage[200];
        snprintf(stage, sizeof stage, "view %s", v->def.name);
        if (!progress(b, stage, (int64_t)i, (int64_t)b->nuses)) {
            rc = cairn_error_set(err, CAIRN_ECANCELED, "training set build canceled");
            break;
        }
        cairn_table *vt = NULL, *joined = NULL;
        bool cached;
        rc = cairn__view_table(b->home, v, u->snapshot, &vt, NULL, &cached, err);
        char prefix[160];
        snprintf(prefix, sizeof prefix, "%s__", v->def.name);
        cairn_pit_spec spec = {
            .entity_keys = v->join_keys, .feature_keys = v->join_keys, .nkeys = v->nkeys,
            .entity_time = time, .feature_time = v->def.event_time, .created_time = v->def.created_time,
            .ttl_us = v->def.ttl_us, .columns = u->features, .ncolumns = u->nfeatures, .prefix = prefix,
        };
        if (rc == 0) {
            rc = cairn_pit_join(acc, vt, &spec, &joined, err);
            if (rc) cairn_error_prefix(err, "joining feature view '%s' to %s: ", v->def.name, b->opts->entities);
        }
        cairn_table_free(vt);
        if (acc != b->entities) cairn_table_free(acc);
        acc = joined;
    }
    if (rc) {
        if (acc != b->entities) cairn_table_free(acc);
        return rc;
    }
    if (acc == b->entities && cairn_table_copy(b->entities, &acc)) return oom(err);
    *out = acc;
    return 0;
}

/* Writes the table as Parquet into memory (a temporary file in the home). */
static int parquet_bytes(cairn_home *home, const cairn_table *t, const char *id, cairn_buf *out,
                         cairn_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/objects/.training-%.16s-%d.parquet", cairn_home_path(home), id, (int)getpid());
    int rc = cairn_parquet_write_file(t, path, NULL, err);
    if (rc == 0) rc = cairn_file_read(path, out, 0, err);
    unlink(path);
    return rc;
}

static int record(build *b, const char *id, const cairn_training_result *res, cairn_error *err)
{
    json_t *lineage = id_input(b, true);
    if (lineage) {
        json_object_set_new(lineage, "entities_file", json_string(b->opts->entities));
        json_object_set_new(lineage, "excluded", json_integer(res->excluded));
        json_object_set_new(lineage, "rows", json_integer(res->rows));
        json_object_set_new(lineage, "columns", json_integer(res->columns));
        json_object_set_new(lineage, "object", json_string(res->object));
    }
    cairn_buf text;
    cairn_buf_init(&text, 0);
    if (!lineage || cairn_json_dump(lineage, 0, &text)) {
        json_decref(lineage);
        cairn_buf_release(&text);
        return oom(err);
    }
    json_decref(lineage);
    char now[CAIRN_TIME_FMT_LEN];
    cairn_time_format(cairn_now_us(), now, sizeof now);
    cairn_stmt *st;
    int rc = cairn_catalog_prepare(cairn_home_catalog(b->home),
                                   "INSERT INTO training_sets (id, service, service_version, object, rows, "
                                   "columns, excluded, lineage, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   &st, err);
    if (rc == 0) {
        cairn_stmt_bind_text(st, 1, id, 64);
        cairn_stmt_bind_text(st, 2, b->service->name, strlen(b->service->name));
        cairn_stmt_bind_int64(st, 3, b->service->version);
        cairn_stmt_bind_text(st, 4, res->object, 64);
        cairn_stmt_bind_int64(st, 5, res->rows);
        cairn_stmt_bind_int64(st, 6, res->columns);
        cairn_stmt_bind_int64(st, 7, res->excluded);
        cairn_stmt_bind_text(st, 8, text.data, text.len);
        cairn_stmt_bind_text(st, 9, now, strlen(now));
        rc = step_done(st, err);
    }
    cairn_buf_release(&text);
    return rc;
}

static int write_output(cairn_home *home, const char *output, const char *object, cairn_error *err)
{
    cairn_buf bytes;
    cairn_buf_init(&bytes, 0);
    int rc = cairn_object_get(cairn_home_path(home), object, &bytes, err);
    if (rc == 0) rc = cairn_file_write_atomic(output, bytes.data, bytes.len, err);
    cairn_buf_release(&bytes);
    return rc;
}

static int build_prepare(build *b, cairn_error *err)
{
    const cairn_training_options *o = b->opts;
    int rc = cairn__service_load(b->home, o->service, 0, &b->service, err);
    if (rc == 0) rc = plan_views(b, err);
    if (rc == 0 && !progress(b, "entities", 0, 0)) rc = cairn_error_set(err, CAIRN_ECANCELED, "canceled");
    if (rc == 0) rc = cairn_table_read_file(o->entities, NULL, NULL, &b->entities, err);
    uint8_t digest[CAIRN_SHA256_LEN];
    if (rc == 0) rc = cairn_sha256_file(o->entities, digest, err);
    if (rc == 0) cairn_hex_encode(digest, sizeof digest, b->entities_sha256);
    if (rc == 0) rc = apply_optouts(b, err);
    return rc;
}

/* Feature statistics of the new training set, against the service's previous one
 * (src/feature/stats.c): columns "view__feature", recorded as "view:feature". */
static int record_stats(build *b, const char *id, const cairn_table *t, cairn_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < b->nuses; i++) n += b->uses[i].nfeatures;
    char **names = cairn_calloc(2 * n + 1, sizeof *names);
    int rc = names ? 0 : oom(err);
    for (size_t i = 0, k = 0; rc == 0 && i < b->nuses; i++) {
        for (size_t f = 0; rc == 0 && f < b->uses[i].nfeatures; f++, k++) {
            const char *view = b->uses[i].view->def.name, *feature = b->uses[i].features[f];
            size_t len = strlen(view) + strlen(feature) + 3;
            names[k] = cairn_malloc(len);
            names[n + k] = cairn_malloc(len);
            if (!names[k] || !names[n + k]) rc = oom(err);
            else {
                snprintf(names[k], len, "%s__%s", view, feature);
                snprintf(names[n + k], len, "%s:%s", view, feature);
            }
        }
    }
    if (rc == 0)
        rc = cairn__feature_stats_record(b->home, "training_set", b->service->name, id, t,
                                         (const char *const *)names, (const char *const *)names + n, n, err);
    for (size_t i = 0; names && i < 2 * n; i++) cairn_free(names[i]);
    cairn_free(names);
    return rc;
}

int cairn_training_set_build(cairn_home *home, const cairn_training_options *opts,
                             cairn_training_result *result, cairn_error *err)
{
    memset(result, 0, sizeof *result);
    if (!opts || !opts->service || !opts->entities)
        return cairn_error_set(err, CAIRN_EINVAL, "a training set needs a service and an entity table");
    build b = {.home = home, .opts = opts};
    int rc = build_prepare(&b, err);
    if (rc == 0 && !(b.id_input = id_input(&b, false))) rc = oom(err);
    if (rc == 0) rc = json_sha256(b.id_input, result->id, err);
    if (rc == 0) rc = find_existing(home, result->id, result, err);
    if (rc == 1) { /* built before: the same inputs, the same object */
        result->existed = true;
        rc = opts->output ? write_output(home, opts->output, result->object, err) : 0;
        build_release(&b);
        return rc;
    }
    cairn_table *t = NULL;
    if (rc == 0) rc = join_all(&b, &t, err);
    cairn_buf bytes;
    cairn_buf_init(&bytes, 0);
    if (rc == 0 && !progress(&b, "write", 0, 0)) rc = cairn_error_set(err, CAIRN_ECANCELED, "canceled");
    if (rc == 0) rc = parquet_bytes(home, t, result->id, &bytes, err);
    if (rc == 0) rc = cairn_object_put(cairn_home_path(home), bytes.data, bytes.len, result->object, err);
    cairn_buf_release(&bytes);
    if (rc == 0) {
        result->rows = cairn_table_num_rows(t);
        result->columns = (int64_t)cairn_table_num_columns(t);
        result->excluded = b.excluded;
        /* statistics first: recording them is idempotent, so a failed record is retried whole */
        rc = record_stats(&b, result->id, t, err);
        if (rc == 0) rc = record(&b, result->id, result, err);
    }
    if (rc == 0 && opts->output) rc = write_output(home, opts->output, result->object, err);
    cairn_table_free(t);
    build_release(&b);
    if (rc) memset(result, 0, sizeof *result);
    return rc;
}
