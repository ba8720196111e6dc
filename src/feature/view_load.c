/* src/feature/view_load.c: feature views and services read back from the registry's canonical
 * JSON (the form src/feature/defs.c writes) into the structures the engines use.
 *
 * Tests: tests/unit/feature/test_view_load.c.
 */
#include <stdio.h>
#include <string.h>

#include "feature/feature_internal.h"

static int oom(cairn_error *err) { return cairn_error_set(err, CAIRN_ENOMEM, "out of memory"); }

static int corrupt(cairn_error *err, const char *kind, const char *name, const char *what)
{
    return cairn_error_set(err, CAIRN_ECORRUPT, "registry: %s '%s': %s", kind, name, what);
}

static const char *str(cairn_arena *a, const json_t *obj, const char *key, bool *ok)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_null(v)) return NULL;
    if (!json_is_string(v)) {
        *ok = false;
        return NULL;
    }
    const char *s = cairn_arena_strdup(a, json_string_value(v));
    if (!s) *ok = false;
    return s;
}

static const char **strs(cairn_arena *a, const json_t *arr, size_t *n, bool *ok)
{
    *n = json_array_size(arr);
    const char **out = cairn_arena_calloc(a, *n ? *n : 1, sizeof *out);
    if (!out || !json_is_array(arr)) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < *n; i++) {
        const json_t *v = json_array_get(arr, i);
        if (!json_is_string(v) || !(out[i] = cairn_arena_strdup(a, json_string_value(v)))) *ok = false;
    }
    return out;
}

static int parse_object(const cairn_feature_object *o, json_t **out, cairn_error *err)
{
    int rc = cairn_json_parse(o->definition, strlen(o->definition), "registry", out, err);
    if (rc == CAIRN_EPARSE) return corrupt(err, o->kind, o->name, "the definition is not JSON");
    return rc;
}

static int read_feature(cairn_arena *a, const json_t *j, cairn_feature_def *f)
{
    bool ok = true;
    const char *kind = json_string_value(json_object_get(j, "kind"));
    f->name = str(a, j, "name", &ok);
    f->column = str(a, j, "column", &ok);
    f->description = str(a, j, "description", &ok);
    if (!f->description) f->description = "";
    if (!ok || !f->name || !kind) return CAIRN_ECORRUPT;
    if (!strcmp(kind, "window")) {
        f->kind = CAIRN_FEAT_WINDOW;
        const char *agg = json_string_value(json_object_get(j, "agg"));
        if (!agg || cairn_agg_parse(agg, &f->agg)) return CAIRN_ECORRUPT;
        f->window_us = json_integer_value(json_object_get(j, "window_us"));
        if (f->window_us <= 0) return CAIRN_ECORRUPT;
    } else if (!strcmp(kind, "calendar")) {
        static const char *const names[] = {NULL, "hour", "day_of_week", "month", "day_of_month", "holiday"};
        const char *c = json_string_value(json_object_get(j, "calendar"));
        f->kind = CAIRN_FEAT_CALENDAR;
        for (int k = 1; c && k <= 5; k++)
            if (!strcmp(c, names[k])) f->calendar = (cairn_calendar)k;
        if (!f->calendar) return CAIRN_ECORRUPT;
    } else if (!strcmp(kind, "passthrough")) {
        f->kind = CAIRN_FEAT_PASSTHROUGH;
    } else return CAIRN_ECORRUPT;
    return 0;
}

static int read_view(cairn__view *v, const json_t *j, const cairn_feature_object *o, cairn_error *err)
{
    cairn_arena *a = &v->arena;
    cairn_view_def *d = &v->def;
    bool ok = true;
    d->name = str(a, j, "name", &ok);
    d->entity = str(a, j, "entity", &ok);
    d->source = str(a, j, "source", &ok);
    d->event_time = str(a, j, "event_time", &ok);
    d->created_time = str(a, j, "created_time", &ok);
    d->ttl_us = json_integer_value(json_object_get(j, "ttl_us"));
    d->owner = str(a, j, "owner", &ok);
    d->description = str(a, j, "description", &ok);
    d->tags = strs(a, json_object_get(j, "tags"), &d->ntags, &ok);
    if (!ok || !d->name || !d->entity || !d->source || !d->event_time)
        return corrupt(err, "feature_view", o->name, "a required key is missing");
    const json_t *fs = json_object_get(j, "features");
    size_t n = json_array_size(fs);
    cairn_feature_def *defs = cairn_arena_calloc(a, n ? n : 1, sizeof *defs);
    if (!defs) return oom(err);
    for (size_t i = 0; i < n; i++) {
        int rc = read_feature(a, json_array_get(fs, i), &defs[i]);
        if (rc == CAIRN_ECORRUPT) return corrupt(err, "feature_view", o->name, "a feature is malformed");
        if (rc) return oom(err);
    }
    d->features = defs;
    d->nfeatures = n;
    return 0;
}

int cairn__view_load(cairn_home *home, const char *name, int64_t version, cairn__view **out,
                     cairn_error *err)
{
    cairn_feature_object *vo = NULL, *eo = NULL, *so = NULL;
    json_t *vj = NULL, *ej = NULL, *sj = NULL;
    *out = NULL;
    cairn__view *v = cairn_calloc(1, sizeof *v);
    if (!v) return oom(err);
    cairn_arena_init(&v->arena, 4096);
    int rc = cairn_features_get(home, "feature_view", name, version, &vo, err);
    if (rc == 0) rc = parse_object(vo, &vj, err);
    if (rc == 0) rc = read_view(v, vj, vo, err);
    if (rc == 0) {
        v->version = vo->version;
        snprintf(v->hash, sizeof v->hash, "%s", vo->hash);
        rc = cairn_features_get(home, "entity", v->def.entity, 0, &eo, err);
    }
    if (rc == 0) rc = parse_object(eo, &ej, err);
    if (rc == 0) {
        bool ok = true;
        v->join_keys = strs(&v->arena, json_object_get(ej, "join_keys"), &v->nkeys, &ok);
        v->entity_version = eo->version;
        if (!ok || v->nkeys == 0) rc = corrupt(err, "entity", eo->name, "no join keys");
    }
    if (rc == 0) rc = cairn_features_get(home, "source", v->def.source, 0, &so, err);
    if (rc == 0) rc = parse_object(so, &sj, err);
    if (rc == 0) {
        bool ok = true;
        v->dataset = str(&v->arena, sj, "dataset", &ok);
        v->source_version = so->version;
        if (!ok || !v->dataset) rc = corrupt(err, "source", so->name, "no dataset");
    }
    json_decref(vj);
    json_decref(ej);
    json_decref(sj);
    cairn_feature_objects_free(vo, vo ? 1 : 0);
    cairn_feature_objects_free(eo, eo ? 1 : 0);
    cairn_feature_objects_free(so, so ? 1 : 0);
    if (rc) {
        cairn__view_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

void cairn__view_free(cairn__view *view)
{
    if (!view) return;
    cairn_arena_release(&view->arena);
    cairn_free(view);
}

const cairn_feature_def *cairn__view_feature(const cairn__view *view, const char *name)
{
    for (size_t i = 0; i < view->def.nfeatures; i++)
        if (!strcmp(view->def.features[i].name, name)) return &view->def.features[i];
    return NULL;
}

int cairn__service_load(cairn_home *home, const char *name, int64_t version,
                        cairn__service **out, cairn_error *err)
{
    cairn_feature_object *o = NULL;
    json_t *j = NULL;
    *out = NULL;
    int rc = cairn_features_get(home, "feature_service", name, version, &o, err);
    if (rc == 0) rc = parse_object(o, &j, err);
    cairn__service *s = rc == 0 ? cairn_calloc(1, sizeof *s) : NULL;
    if (rc == 0 && !s) rc = oom(err);
    if (rc == 0) {
        snprintf(s->name, sizeof s->name, "%s", o->name);
        s->version = o->version;
        snprintf(s->hash, sizeof s->hash, "%s", o->hash);
        const json_t *fs = json_object_get(j, "features");
        s->nfeatures = json_array_size(fs);
        s->features = cairn_calloc(s->nfeatures ? s->nfeatures : 1, sizeof *s->features);
        if (!s->features) rc = oom(err);
        for (size_t i = 0; rc == 0 && i < s->nfeatures; i++) {
            const char *f = json_string_value(json_array_get(fs, i));
            if (!f || !strchr(f, ':')) rc = corrupt(err, "feature_service", name, "a feature is malformed");
            else if (!(s->features[i] = cairn_strdup(f))) rc = oom(err);
        }
    }
    json_decref(j);
    cairn_feature_objects_free(o, o ? 1 : 0);
    if (rc) {
        cairn__service_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void cairn__service_free(cairn__service *service)
{
    if (!service) return;
    for (size_t i = 0; i < service->nfeatures; i++)
        cairn_free(service->features[i]);
    cairn_free(service->features);
    cairn_free(service);
}
