/* src/feature/defs.c: feature repositories (YAML): entities, sources, feature views and
 * feature services, checked and turned into canonical JSON.
 *
 * One arena holds every string and array of a repository. Parsing walks the YAML tree once,
 * checking keys against a known list per object; every error names the file, line, column
 * and key (cairn_yaml_error). After all objects are read, references are resolved: a view's
 * entity and source must exist, a service's "view" or "view:feature" must name a view and
 * one of its features; names are unique per kind (features per view). Window features with
 * `windows: [24h, 7d]` expand to one feature per window named "<name>_<window>".
 *
 * Canonical JSON lists keys in a fixed order with defaults spelled out, so equal definitions
 * hash equally whatever their YAML layout; the registry versions objects by that hash.
 *
 * Tests: tests/unit/feature/test_defs.c, tests/integration/test_features_cli.sh.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cairn/feature.h"
#include "cairn/yaml.h"

struct cairn_feature_repo {
    cairn_arena arena;
    const char *name;
    cairn_entity_def *entities;
    size_t nentities;
    cairn_source_def *sources;
    size_t nsources;
    cairn_view_def *views;
    size_t nviews;
    cairn_service_def *services;
    size_t nservices;
};

typedef struct parse_ctx {
    const cairn_yaml_doc *doc;
    cairn_feature_repo *repo;
    cairn_error *err;
} parse_ctx;

static const char *const top_keys[] = {"entities", "sources", "feature_views", "feature_services",
                                       NULL};
static const char *const entity_keys[] = {"name", "join_keys", "description", NULL};
static const char *const source_keys[] = {"name", "dataset", "description", NULL};
static const char *const view_keys[] = {"name",  "entity", "source", "event_time", "created_time",
                                        "ttl",   "owner",  "description", "tags", "features",
                                        NULL};
static const char *const feature_keys[] = {"name",   "agg",      "column",      "window",
                                           "windows", "calendar", "description", NULL};
static const char *const service_keys[] = {"name", "features", "owner", "description", NULL};
static const char *const calendar_names[] = {NULL, "hour", "day_of_week", "month",
                                             "day_of_month", "holiday"};

/* ------------------------------------------------------------------------------------------
 * Small readers
 * ---------------------------------------------------------------------------------------- */

static int oom(cairn_error *err) { return cairn_error_set(err, CAIRN_ENOMEM, "out of memory"); }

static int perr(parse_ctx *pc, const cairn_yaml_node *n, int code, const char *key,
                const char *fmt, ...) CAIRN_PRINTF(5, 6);
static int perr(parse_ctx *pc, const cairn_yaml_node *n, int code, const char *key,
                const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (key) cairn_yaml_error(pc->doc, n, code, pc->err, "key '%s': %s", key, msg);
    else cairn_yaml_error(pc->doc, n, code, pc->err, "%s", msg);
    if (key) cairn_error_field(pc->err, key);
    return code;
}

static int check_keys(parse_ctx *pc, const cairn_yaml_node *map, const char *const *known,
                      const char *what)
{
    if (!map || map->kind != CAIRN_YAML_MAPPING)
        return perr(pc, map, CAIRN_EPARSE, NULL, "expected a mapping (%s)", what);
    for (size_t i = 0; i < map->count; i++) {
        bool ok = false;
        for (size_t k = 0; known[k] && !ok; k++)
            ok = !strcmp(map->keys[i]->scalar, known[k]);
        if (!ok) {
            char list[256] = "";
            size_t used = 0;
            for (size_t k = 0; known[k]; k++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "",
                                         known[k]);
            char msg[400];
            snprintf(msg, sizeof msg, "unknown key in %s (known keys: %s)", what, list);
            return perr(pc, map->keys[i], CAIRN_EPARSE, map->keys[i]->scalar, "%s", msg);
        }
    }
    return 0;
}

static bool valid_name(const char *s)
{
    if (!s[0] || strlen(s) > 120) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return false;
    return true;
}

static int read_str(parse_ctx *pc, const cairn_yaml_node *map, const char *key, bool required,
                    const char **out)
{
    const cairn_yaml_node *n = cairn_yaml_get(map, key);
    *out = NULL;
    if (!n || cairn_yaml_is_null(n)) {
        if (required) return perr(pc, map, CAIRN_EPARSE, key, "missing");
        return 0;
    }
    if (n->kind != CAIRN_YAML_SCALAR) return perr(pc, n, CAIRN_ETYPE, key, "expected a string");
    if (!(*out = cairn_arena_strdup(&pc->repo->arena, n->scalar))) return oom(pc->err);
    return 0;
}

static int read_name(parse_ctx *pc, const cairn_yaml_node *map, const char *key, const char **out)
{
    int rc = read_str(pc, map, key, true, out);
    if (rc == 0 && !valid_name(*out))
        return perr(pc, cairn_yaml_get(map, key), CAIRN_EPARSE, key,
                    "'%s' is not a valid name (letters, digits, '_', '-', '.')", *out);
    return rc;
}

/* A list of strings (a single scalar counts as a list of one). */
static int read_list(parse_ctx *pc, const cairn_yaml_node *map, const char *key, bool required,
                     const char ***out, size_t *count)
{
    const cairn_yaml_node *n = cairn_yaml_get(map, key);
    *out = NULL;
    *count = 0;
    if (!n || cairn_yaml_is_null(n)) {
        if (required) return perr(pc, map, CAIRN_EPARSE, key, "missing");
        return 0;
    }
    size_t m = n->kind == CAIRN_YAML_SEQUENCE ? n->count : 1;
    if (n->kind == CAIRN_YAML_MAPPING) return perr(pc, n, CAIRN_ETYPE, key, "expected a list of strings");
    const char **list = cairn_arena_calloc(&pc->repo->arena, m ? m : 1, sizeof *list);
    if (!list) return oom(pc->err);
    for (size_t i = 0; i < m; i++) {
        const cairn_yaml_node *it = n->kind == CAIRN_YAML_SEQUENCE ? n->items[i] : n;
        if (it->kind != CAIRN_YAML_SCALAR || cairn_yaml_is_null(it))
            return perr(pc, it, CAIRN_ETYPE, key, "expected a list of strings");
        if (!(list[i] = cairn_arena_strdup(&pc->repo->arena, it->scalar))) return oom(pc->err);
    }
    *out = list;
    *count = m;
    return 0;
}

static int read_duration(parse_ctx *pc, const cairn_yaml_node *n, const char *key, int64_t *out)
{
    cairn_error e;
    if (n->kind != CAIRN_YAML_SCALAR)
        return perr(pc, n, CAIRN_ETYPE, key, "expected a duration such as 90s, 15m, 1h or 7d");
    if (!strcmp(n->scalar, "0")) {
        *out = 0;
        return 0;
    }
    if (cairn_duration_parse(n->scalar, n->scalar_len, out, &e) || *out < 0)
        return perr(pc, n, CAIRN_EPARSE, key, "'%s' is not a duration such as 90s, 15m, 1h or 7d",
                    n->scalar);
    return 0;
}

static const cairn_yaml_node *sequence(parse_ctx *pc, const cairn_yaml_node *root, const char *key,
                                       int *rc)
{
    const cairn_yaml_node *n = cairn_yaml_get(root, key);
    *rc = 0;
    if (!n || cairn_yaml_is_null(n)) return NULL;
    if (n->kind != CAIRN_YAML_SEQUENCE) {
        *rc = perr(pc, n, CAIRN_ETYPE, key, "expected a list");
        return NULL;
    }
    return n;
}

/* ------------------------------------------------------------------------------------------
 * Objects
 * ---------------------------------------------------------------------------------------- */

static int read_entity(parse_ctx *pc, const cairn_yaml_node *m, cairn_entity_def *e)
{
    int rc = check_keys(pc, m, entity_keys, "an entity");
    if (rc || (rc = read_name(pc, m, "name", &e->name))) return rc;
    const char **keys;
    if ((rc = read_list(pc, m, "join_keys", true, &keys, &e->nkeys))) return rc;
    if (e->nkeys == 0) return perr(pc, m, CAIRN_EPARSE, "join_keys", "needs at least one column");
    e->join_keys = keys;
    if ((rc = read_str(pc, m, "description", false, &e->description))) return rc;
    if (!e->description) e->description = "";
    e->line = m->line, e->col = m->column;
    return 0;
}

static int read_source(parse_ctx *pc, const cairn_yaml_node *m, cairn_source_def *s)
{
    int rc = check_keys(pc, m, source_keys, "a source");
    if (rc || (rc = read_name(pc, m, "name", &s->name)) ||
        (rc = read_str(pc, m, "dataset", true, &s->dataset)) ||
        (rc = read_str(pc, m, "description", false, &s->description)))
        return rc;
    if (!s->description) s->description = "";
    s->line = m->line, s->col = m->column;
    return 0;
}

/* One YAML feature: one def, or one per window. Appends to *defs. */
static int read_feature(parse_ctx *pc, const cairn_yaml_node *m, cairn_feature_def **defs,
                        size_t *n, size_t *cap)
{
    int rc = check_keys(pc, m, feature_keys, "a feature");
    cairn_feature_def f = {0};
    const char *agg = NULL, *calendar = NULL;
    if (rc || (rc = read_name(pc, m, "name", &f.name)) ||
        (rc = read_str(pc, m, "column", false, &f.column)) ||
        (rc = read_str(pc, m, "agg", false, &agg)) ||
        (rc = read_str(pc, m, "calendar", false, &calendar)) ||
        (rc = read_str(pc, m, "description", false, &f.description)))
        return rc;
    if (!f.description) f.description = "";
    f.line = m->line, f.col = m->column;
    const cairn_yaml_node *w = cairn_yaml_get(m, "window"), *ws = cairn_yaml_get(m, "windows");
    if (agg && calendar)
        return perr(pc, m, CAIRN_EPARSE, "calendar", "a feature is either a window (agg) or a "
                                                     "calendar feature, not both");
    int64_t windows[32];
    const char *window_text[32];
    size_t nwin = 0;
    if (calendar) {
        f.kind = CAIRN_FEAT_CALENDAR;
        for (int c = 1; c <= 5; c++)
            if (!strcmp(calendar, calendar_names[c])) f.calendar = (cairn_calendar)c;
        if (!f.calendar)
            return perr(pc, cairn_yaml_get(m, "calendar"), CAIRN_EPARSE, "calendar",
                        "'%s' is not one of hour, day_of_week, month, day_of_month, holiday",
                        calendar);
        if (!f.column) return perr(pc, m, CAIRN_EPARSE, "column", "a calendar feature needs the timestamp column");
        if (w || ws) return perr(pc, w ? w : ws, CAIRN_EPARSE, w ? "window" : "windows", "a calendar feature has no window");
    } else if (agg) {
        f.kind = CAIRN_FEAT_WINDOW;
        if (cairn_agg_parse(agg, &f.agg))
            return perr(pc, cairn_yaml_get(m, "agg"), CAIRN_EPARSE, "agg",
                        "'%s' is not one of count, sum, mean, min, max, stddev, last, "
                        "approx_distinct", agg);
        if (f.agg != CAIRN_AGG_COUNT && !f.column)
            return perr(pc, m, CAIRN_EPARSE, "column", "agg '%s' needs a column", agg);
        if ((w && ws) || (!w && !ws))
            return perr(pc, m, CAIRN_EPARSE, "window", "a window feature needs `window: DUR` or "
                                                        "`windows: [DUR, ...]`");
        if (w) {
            if ((rc = read_duration(pc, w, "window", &windows[0]))) return rc;
            nwin = 1;
        } else {
            if (ws->kind != CAIRN_YAML_SEQUENCE || ws->count == 0 || ws->count > 32)
                return perr(pc, ws, CAIRN_ETYPE, "windows", "expected a list of 1 to 32 durations");
            for (size_t i = 0; i < ws->count; i++) {
                window_text[nwin] = ws->items[i]->scalar;
                if ((rc = read_duration(pc, ws->items[i], "windows", &windows[nwin++]))) return rc;
            }
        }
        for (size_t i = 0; i < nwin; i++)
            if (windows[i] <= 0)
                return perr(pc, w ? w : ws, CAIRN_EPARSE, w ? "window" : "windows", "a window must be longer than 0");
    } else {
        f.kind = CAIRN_FEAT_PASSTHROUGH;
        if (!f.column) f.column = f.name;
        if (w || ws) return perr(pc, w ? w : ws, CAIRN_EPARSE, w ? "window" : "windows", "a window needs an agg");
    }
    size_t copies = f.kind == CAIRN_FEAT_WINDOW ? nwin : 1;
    for (size_t i = 0; i < copies; i++) {
        cairn_feature_def g = f;
        if (f.kind == CAIRN_FEAT_WINDOW) {
            g.window_us = windows[i];
            if (ws) { /* the window as written: mean_delay_24h, not mean_delay_1d */
                char name[160];
                snprintf(name, sizeof name, "%s_%s", f.name, window_text[i]);
                if (!(g.name = cairn_arena_strdup(&pc->repo->arena, name))) return oom(pc->err);
            }
        }
        if (cairn_grow((void **)defs, cap, *n + 1, sizeof **defs)) return oom(pc->err);
        (*defs)[(*n)++] = g;
    }
    return 0;
}

static int read_view(parse_ctx *pc, const cairn_yaml_node *m, cairn_view_def *v)
{
    int rc = check_keys(pc, m, view_keys, "a feature view");
    if (rc || (rc = read_name(pc, m, "name", &v->name)) ||
        (rc = read_str(pc, m, "entity", true, &v->entity)) ||
        (rc = read_str(pc, m, "source", true, &v->source)) ||
        (rc = read_str(pc, m, "event_time", true, &v->event_time)) ||
        (rc = read_str(pc, m, "created_time", false, &v->created_time)) ||
        (rc = read_str(pc, m, "owner", false, &v->owner)) ||
        (rc = read_str(pc, m, "description", false, &v->description)))
        return rc;
    if (!v->owner) v->owner = "";
    if (!v->description) v->description = "";
    const char **tags;
    if ((rc = read_list(pc, m, "tags", false, &tags, &v->ntags))) return rc;
    v->tags = tags;
    const cairn_yaml_node *ttl = cairn_yaml_get(m, "ttl");
    if (ttl && !cairn_yaml_is_null(ttl) && (rc = read_duration(pc, ttl, "ttl", &v->ttl_us))) return rc;
    v->line = m->line, v->col = m->column;
    const cairn_yaml_node *fs = sequence(pc, m, "features", &rc);
    if (rc) return rc;
    if (!fs || fs->count == 0) return perr(pc, m, CAIRN_EPARSE, "features", "a feature view needs at least one feature");
    cairn_feature_def *defs = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; rc == 0 && i < fs->count; i++)
        rc = read_feature(pc, fs->items[i], &defs, &n, &cap);
    if (rc == 0) {
        cairn_feature_def *copy = cairn_arena_alloc(&pc->repo->arena, n * sizeof *copy);
        if (!copy) rc = oom(pc->err);
        else {
            memcpy(copy, defs, n * sizeof *copy);
            v->features = copy;
            v->nfeatures = n;
        }
    }
    cairn_free(defs);
    for (size_t i = 0; rc == 0 && i < v->nfeatures; i++)
        for (size_t k = 0; k < i; k++)
            if (!strcmp(v->features[i].name, v->features[k].name)) {
                cairn_error_set(pc->err, CAIRN_EPARSE, "feature '%s' is declared twice in view '%s'",
                                v->features[i].name, v->name);
                cairn_error_at(pc->err, cairn_yaml_name(pc->doc), v->features[i].line, v->features[i].col);
                return CAIRN_EPARSE;
            }
    return rc;
}

static int read_service(parse_ctx *pc, const cairn_yaml_node *m, cairn_service_def *s)
{
    int rc = check_keys(pc, m, service_keys, "a feature service");
    const char **features;
    if (rc || (rc = read_name(pc, m, "name", &s->name)) ||
        (rc = read_list(pc, m, "features", true, &features, &s->nfeatures)) ||
        (rc = read_str(pc, m, "owner", false, &s->owner)) ||
        (rc = read_str(pc, m, "description", false, &s->description)))
        return rc;
    if (!s->owner) s->owner = "";
    if (!s->description) s->description = "";
    s->features = features;
    s->line = m->line, s->col = m->column;
    return 0;
}

/* Reads one top-level list with `read` into an arena array. */
#define READ_LIST(key, type, field, cnt, reader)                                            \
    do {                                                                                      \
        const cairn_yaml_node *seq = sequence(pc, root, key, &rc);                            \
        if (rc) return rc;                                                                    \
        if (seq) {                                                                            \
            type *arr = cairn_arena_calloc(&r->arena, seq->count ? seq->count : 1, sizeof *arr); \
            if (!arr) return oom(pc->err);                                                    \
            for (size_t i = 0; i < seq->count; i++)                                           \
                if ((rc = reader(pc, seq->items[i], &arr[i]))) return rc;                     \
            r->field = arr;                                                                   \
            r->cnt = seq->count;                                                              \
        }                                                                                     \
    } while (0)

static int located(parse_ctx *pc, int64_t line, int64_t col, const char *field, int code)
{
    cairn_error_at(pc->err, cairn_yaml_name(pc->doc), line, col);
    if (field) cairn_error_field(pc->err, field);
    return code;
}

/* Names unique per kind; references resolve; services expand bare views to every feature. */
static int resolve(parse_ctx *pc)
{
    cairn_feature_repo *r = pc->repo;
#define UNIQUE(arr, n, what)                                                                  \
    for (size_t i = 0; i < (n); i++)                                                          \
        for (size_t k = 0; k < i; k++)                                                        \
            if (!strcmp((arr)[i].name, (arr)[k].name)) {                                      \
                cairn_error_set(pc->err, CAIRN_EPARSE, "%s '%s' is declared twice", what,     \
                                (arr)[i].name);                                               \
                return located(pc, (arr)[i].line, (arr)[i].col, "name", CAIRN_EPARSE);        \
            }
    UNIQUE(r->entities, r->nentities, "entity")
    UNIQUE(r->sources, r->nsources, "source")
    UNIQUE(r->views, r->nviews, "feature view")
    UNIQUE(r->services, r->nservices, "feature service")
#undef UNIQUE
    for (size_t i = 0; i < r->nviews; i++) {
        cairn_view_def *v = &r->views[i];
        bool e = false, s = false;
        for (size_t k = 0; k < r->nentities; k++)
            e |= !strcmp(r->entities[k].name, v->entity);
        for (size_t k = 0; k < r->nsources; k++)
            s |= !strcmp(r->sources[k].name, v->source);
        if (!e) {
            cairn_error_set(pc->err, CAIRN_EPARSE, "feature view '%s': unknown entity '%s'",
                            v->name, v->entity);
            return located(pc, v->line, v->col, "entity", CAIRN_EPARSE);
        }
        if (!s) {
            cairn_error_set(pc->err, CAIRN_EPARSE, "feature view '%s': unknown source '%s'",
                            v->name, v->source);
            return located(pc, v->line, v->col, "source", CAIRN_EPARSE);
        }
    }
    for (size_t i = 0; i < r->nservices; i++) {
        cairn_service_def *s = &r->services[i];
        const char **out = NULL;
        size_t n = 0, cap = 0;
        for (size_t f = 0; f < s->nfeatures; f++) {
            const char *ref = s->features[f], *colon = strchr(ref, ':');
            size_t vlen = colon ? (size_t)(colon - ref) : strlen(ref);
            const cairn_view_def *v = NULL;
            for (size_t k = 0; k < r->nviews && !v; k++)
                if (strlen(r->views[k].name) == vlen && !memcmp(r->views[k].name, ref, vlen))
                    v = &r->views[k];
            if (!v) {
                cairn_free(out);
                cairn_error_set(pc->err, CAIRN_EPARSE,
                                "feature service '%s': '%s' names no feature view", s->name, ref);
                return located(pc, s->line, s->col, "features", CAIRN_EPARSE);
            }
            for (size_t k = 0; k < v->nfeatures; k++) {
                if (colon && strcmp(v->features[k].name, colon + 1)) continue;
                char full[300];
                snprintf(full, sizeof full, "%s:%s", v->name, v->features[k].name);
                char *copy = cairn_arena_strdup(&r->arena, full);
                if (!copy || cairn_grow((void **)&out, &cap, n + 1, sizeof *out)) {
                    cairn_free(out);
                    return oom(pc->err);
                }
                out[n++] = copy;
                if (colon) break;
            }
            if (colon && (n == 0 || strcmp(strchr(out[n - 1], ':') + 1, colon + 1))) {
                cairn_free(out);
                cairn_error_set(pc->err, CAIRN_EPARSE,
                                "feature service '%s': view '%s' has no feature '%s'", s->name,
                                v->name, colon + 1);
                return located(pc, s->line, s->col, "features", CAIRN_EPARSE);
            }
        }
        const char **copy = cairn_arena_calloc(&r->arena, n ? n : 1, sizeof *copy);
        if (!copy) {
            cairn_free(out);
            return oom(pc->err);
        }
        if (n) memcpy(copy, out, n * sizeof *copy);
        cairn_free(out);
        s->features = copy;
        s->nfeatures = n;
    }
    return 0;
}

static int read_repo(parse_ctx *pc)
{
    const cairn_yaml_node *root = cairn_yaml_root(pc->doc);
    cairn_feature_repo *r = pc->repo;
    int rc;
    if (!root) return perr(pc, NULL, CAIRN_EPARSE, NULL, "the file is empty");
    if ((rc = check_keys(pc, root, top_keys, "a feature repository"))) return rc;
    READ_LIST("entities", cairn_entity_def, entities, nentities, read_entity);
    READ_LIST("sources", cairn_source_def, sources, nsources, read_source);
    READ_LIST("feature_views", cairn_view_def, views, nviews, read_view);
    READ_LIST("feature_services", cairn_service_def, services, nservices, read_service);
    return resolve(pc);
}

int cairn_feature_repo_parse(const char *data, size_t len, const char *name,
                             cairn_feature_repo **out, cairn_error *err)
{
    cairn_yaml_doc *doc = NULL;
    *out = NULL;
    int rc = cairn_yaml_parse(data, len, name, &doc, err);
    if (rc) return rc;
    cairn_feature_repo *r = cairn_calloc(1, sizeof *r);
    if (!r) {
        cairn_yaml_free(doc);
        return oom(err);
    }
    cairn_arena_init(&r->arena, 8192);
    parse_ctx pc = {doc, r, err};
    if (!(r->name = cairn_arena_strdup(&r->arena, name ? name : ""))) rc = oom(err);
    if (rc == 0) rc = read_repo(&pc);
    cairn_yaml_free(doc);
    if (rc) {
        cairn_feature_repo_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int cairn_feature_repo_load(const char *path, cairn_feature_repo **out, cairn_error *err)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    int rc = cairn_file_read(path, &b, 0, err);
    if (rc == 0) rc = cairn_feature_repo_parse(b.data ? b.data : "", b.len, path, out, err);
    cairn_buf_release(&b);
    return rc;
}

void cairn_feature_repo_free(cairn_feature_repo *repo)
{
    if (!repo) return;
    cairn_arena_release(&repo->arena);
    cairn_free(repo);
}

const char *cairn_feature_repo_name(const cairn_feature_repo *r) { return r->name; }
const cairn_entity_def *cairn_feature_repo_entities(const cairn_feature_repo *r, size_t *n)
{
    *n = r->nentities;
    return r->entities;
}
const cairn_source_def *cairn_feature_repo_sources(const cairn_feature_repo *r, size_t *n)
{
    *n = r->nsources;
    return r->sources;
}
const cairn_view_def *cairn_feature_repo_views(const cairn_feature_repo *r, size_t *n)
{
    *n = r->nviews;
    return r->views;
}
const cairn_service_def *cairn_feature_repo_services(const cairn_feature_repo *r, size_t *n)
{
    *n = r->nservices;
    return r->services;
}

/* ------------------------------------------------------------------------------------------
 * Canonical JSON
 * ---------------------------------------------------------------------------------------- */

static void put(json_t *o, const char *k, json_t *v, bool *ok)
{
    if (!v || json_object_set_new(o, k, v)) *ok = false;
}

static json_t *strs(const char *const *list, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(list[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *feature_json(const cairn_feature_def *f)
{
    static const char *const kinds[] = {NULL, "passthrough", "calendar", "window"};
    bool ok = true;
    json_t *o = json_object();
    if (!o) return NULL;
    put(o, "name", json_string(f->name), &ok);
    put(o, "kind", json_string(kinds[f->kind]), &ok);
    put(o, "column", str_or_null(f->column), &ok);
    put(o, "agg", f->kind == CAIRN_FEAT_WINDOW ? json_string(cairn_agg_name(f->agg)) : json_null(), &ok);
    put(o, "window_us", f->kind == CAIRN_FEAT_WINDOW ? json_integer(f->window_us) : json_null(), &ok);
    put(o, "calendar", f->kind == CAIRN_FEAT_CALENDAR ? json_string(calendar_names[f->calendar]) : json_null(), &ok);
    put(o, "description", json_string(f->description), &ok);
    if (ok) return o;
    json_decref(o);
    return NULL;
}

int cairn_feature_object_json(const cairn_feature_repo *r, const char *kind, size_t i,
                              json_t **out)
{
    bool ok = true;
    json_t *o = json_object();
    *out = NULL;
    if (!o) return CAIRN_ENOMEM;
    if (!strcmp(kind, "entity") && i < r->nentities) {
        const cairn_entity_def *e = &r->entities[i];
        put(o, "name", json_string(e->name), &ok);
        put(o, "join_keys", strs(e->join_keys, e->nkeys), &ok);
        put(o, "description", json_string(e->description), &ok);
    } else if (!strcmp(kind, "source") && i < r->nsources) {
        const cairn_source_def *s = &r->sources[i];
        put(o, "name", json_string(s->name), &ok);
        put(o, "dataset", json_string(s->dataset), &ok);
        put(o, "description", json_string(s->description), &ok);
    } else if (!strcmp(kind, "feature_view") && i < r->nviews) {
        const cairn_view_def *v = &r->views[i];
        put(o, "name", json_string(v->name), &ok);
        put(o, "entity", json_string(v->entity), &ok);
        put(o, "source", json_string(v->source), &ok);
        put(o, "event_time", json_string(v->event_time), &ok);
        put(o, "created_time", str_or_null(v->created_time), &ok);
        put(o, "ttl_us", json_integer(v->ttl_us), &ok);
        put(o, "owner", json_string(v->owner), &ok);
        put(o, "description", json_string(v->description), &ok);
        put(o, "tags", strs(v->tags, v->ntags), &ok);
        json_t *fs = json_array();
        for (size_t f = 0; ok && fs && f < v->nfeatures; f++) {
            json_t *fj = feature_json(&v->features[f]);
            if (!fj || json_array_append_new(fs, fj)) ok = false;
        }
        put(o, "features", fs, &ok);
    } else if (!strcmp(kind, "feature_service") && i < r->nservices) {
        const cairn_service_def *s = &r->services[i];
        put(o, "name", json_string(s->name), &ok);
        put(o, "features", strs(s->features, s->nfeatures), &ok);
        put(o, "owner", json_string(s->owner), &ok);
        put(o, "description", json_string(s->description), &ok);
    } else {
        json_decref(o);
        return CAIRN_EINVAL;
    }
    if (!ok) {
        json_decref(o);
        return CAIRN_ENOMEM;
    }
    *out = o;
    return 0;
}
