/* src/feature/serve_read.c: online reads, the feature values materialization wrote, looked up
 * by entity key (cairn_online_reader_* and cairn_online_read in include/cairn/feature.h).
 *
 * A reader holds the home's online store open and caches the registry's feature views (with
 * their join keys' types, from the dataset's latest schema) and services, loaded on first use
 * under a mutex and kept until the reader closes: a lookup then costs one store read per
 * feature view involved (cairn_online_get for all entities at once) and the decoding of the
 * JSON records materialize.c wrote. Definitions applied after a view was cached are seen by
 * the next reader (the server opens one per process; Feast's registry cache behaves alike).
 *
 * Request keys become entity key bytes exactly as materialization made them: each value
 * (a JSON string, number or bool) converted to the join key's type and written as its
 * canonical text (so "ORD", 42, "42" and "2001-01-02 08:00:00" all work), joined by '\x1f'.
 * A view whose join key is missing from the request is an error naming the key: Cairn
 * never guesses a key, so a service over several entities needs all their keys.
 * Status per value (Feast's names): PRESENT; NOT_FOUND (no value for the key); and
 * OUTSIDE_MAX_AGE when the view has a TTL and now - event time > TTL: the value is then
 * null, not returned as if fresh.
 *
 * Tests: tests/unit/feature/test_materialize.c.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/ingest.h"
#include "feature/feature_internal.h"
#include "feature/materialize_internal.h"

/* ------------------------------------------------------------------------------------------
 * Types
 * ---------------------------------------------------------------------------------------- */

typedef struct view_entry {
    cairn__view *view;
    cairn_type *key_types;       /* per join key; STRING when the schema does not say */
} view_entry;

struct cairn_online_reader {
    cairn_home *home;            /* borrowed: must outlive the reader */
    cairn_online *store;
    pthread_mutex_t mu;          /* guards the caches (and the catalog reads that fill them) */
    view_entry **views;
    size_t nviews, views_cap;
    cairn__service **services;
    size_t nservices, services_cap;
};

static int oom(cairn_error *err)
{
    return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
}

const char *cairn_feature_status_name(cairn_feature_status s)
{
    switch (s) {
    case CAIRN_FEATURE_PRESENT: return "PRESENT";
    case CAIRN_FEATURE_NOT_FOUND: return "NOT_FOUND";
    case CAIRN_FEATURE_OUTSIDE_MAX_AGE: return "OUTSIDE_MAX_AGE";
    }
    return "UNKNOWN";
}

/* ------------------------------------------------------------------------------------------
 * Lifecycle and the definition cache
 * ---------------------------------------------------------------------------------------- */

int cairn_online_reader_open(cairn_home *home, cairn_online_reader **out, cairn_error *err)
{
    *out = NULL;
    cairn_online_reader *r = cairn_calloc(1, sizeof *r);
    if (!r) return oom(err);
    r->home = home;
    char url[4400];
    int rc = cairn__online_url(home, url, sizeof url)
                 ? cairn_error_set(err, CAIRN_ELIMIT, "online.url is too long")
                 : cairn_online_open(url, &r->store, err);
    if (rc) {
        cairn_free(r);
        return rc;
    }
    pthread_mutex_init(&r->mu, NULL);
    *out = r;
    return 0;
}

static void entry_free(view_entry *e)
{
    if (!e) return;
    cairn__view_free(e->view);
    cairn_free(e->key_types);
    cairn_free(e);
}

void cairn_online_reader_close(cairn_online_reader *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nviews; i++) entry_free(r->views[i]);
    for (size_t i = 0; i < r->nservices; i++) cairn__service_free(r->services[i]);
    cairn_free(r->views);
    cairn_free(r->services);
    cairn_online_close(r->store);
    pthread_mutex_destroy(&r->mu);
    cairn_free(r);
}

/* The join keys' types from the latest schema of the view's dataset. */
static int load_key_types(cairn_home *home, view_entry *e, cairn_error *err)
{
    const cairn__view *v = e->view;
    e->key_types = cairn_calloc(v->nkeys ? v->nkeys : 1, sizeof *e->key_types);
    if (!e->key_types) return oom(err);
    for (size_t i = 0; i < v->nkeys; i++) e->key_types[i] = CAIRN_TYPE_STRING;
    char subject[CAIRN_DATASET_NAME_MAX + 1];
    snprintf(subject, sizeof subject, "%s", v->dataset);
    char *at = strchr(subject, '@');
    if (at) *at = 0;
    cairn_dataset_schema *schema = NULL;
    int64_t found;
    cairn_error e2;
    cairn_error_clear(&e2);
    int rc = cairn_registry_get(cairn_home_catalog(home), subject, 0, &schema, &found, &e2);
    if (rc == CAIRN_ENOTFOUND) return 0; /* keys stay text */
    if (rc) {
        *err = e2;
        return rc;
    }
    for (size_t i = 0; i < v->nkeys; i++) {
        const cairn_dataset_field *f = cairn_dataset_schema_find(schema, v->join_keys[i]);
        if (f) e->key_types[i] = f->type;
    }
    cairn_dataset_schema_free(schema);
    return 0;
}

/* The cached view `name` (len bytes), loaded on first use. Caller holds the mutex. */
static int view_get(cairn_online_reader *r, const char *name, size_t len, view_entry **out,
                    cairn_error *err)
{
    for (size_t i = 0; i < r->nviews; i++) {
        const char *n = r->views[i]->view->def.name;
        if (strlen(n) == len && !memcmp(n, name, len)) {
            *out = r->views[i];
            return 0;
        }
    }
    char *cname = cairn_strndup(name, len);
    view_entry *e = cairn_calloc(1, sizeof *e);
    int rc = cname && e ? 0 : oom(err);
    if (rc == 0) rc = cairn__view_load(r->home, cname, 0, &e->view, err);
    if (rc == 0) rc = load_key_types(r->home, e, err);
    if (rc == 0 && cairn_grow((void **)&r->views, &r->views_cap, r->nviews + 1, sizeof *r->views))
        rc = oom(err);
    cairn_free(cname);
    if (rc) {
        entry_free(e);
        return rc;
    }
    r->views[r->nviews++] = e;
    *out = e;
    return 0;
}

static int service_get(cairn_online_reader *r, const char *name, cairn__service **out,
                       cairn_error *err)
{
    for (size_t i = 0; i < r->nservices; i++)
        if (!strcmp(r->services[i]->name, name)) {
            *out = r->services[i];
            return 0;
        }
    cairn__service *s = NULL;
    int rc = cairn__service_load(r->home, name, 0, &s, err);
    if (rc) return rc;
    if (cairn_grow((void **)&r->services, &r->services_cap, r->nservices + 1, sizeof *r->services)) {
        cairn__service_free(s);
        return oom(err);
    }
    r->services[r->nservices++] = s;
    *out = s;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Request keys
 * ---------------------------------------------------------------------------------------- */

/* Appends the canonical text of request value v as a key of type `type`. */
static int key_part(const json_t *v, cairn_type type, const char *key, size_t e, cairn_buf *out,
                    cairn_error *err)
{
    cairn_value val = {.type = type};
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    size_t slen = s ? json_string_length(v) : 0;
    bool ok = true;
    switch (type) {
    case CAIRN_TYPE_STRING:
        if (s) return cairn_buf_append(out, s, slen);
        if (json_is_integer(v)) return cairn_buf_printf(out, "%" PRId64, (int64_t)json_integer_value(v));
        if (json_is_real(v)) {
            val.type = CAIRN_TYPE_FLOAT64;
            val.v.f64 = json_real_value(v);
        } else if (json_is_boolean(v)) {
            return cairn_buf_puts(out, json_is_true(v) ? "true" : "false");
        } else {
            ok = false;
        }
        break;
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_INT64: {
        int64_t n = 0;
        if (json_is_integer(v)) {
            n = json_integer_value(v);
        } else if (s) {
            char *end;
            n = strtoll(s, &end, 10);
            ok = *s && !*end;
        } else {
            ok = false;
        }
        val.type = CAIRN_TYPE_INT64;
        val.v.i64 = n;
        break;
    }
    case CAIRN_TYPE_FLOAT32:
    case CAIRN_TYPE_FLOAT64: {
        double d = 0;
        if (json_is_number(v)) {
            d = json_number_value(v);
        } else if (s) {
            char *end;
            d = strtod(s, &end);
            ok = *s && !*end;
        } else {
            ok = false;
        }
        if (type == CAIRN_TYPE_FLOAT32) val.v.f32 = (float)d;
        else val.v.f64 = d;
        break;
    }
    case CAIRN_TYPE_BOOL:
        if (json_is_boolean(v)) val.v.b = json_is_true(v);
        else if (s && (!strcmp(s, "true") || !strcmp(s, "false"))) val.v.b = s[0] == 't';
        else ok = false;
        break;
    case CAIRN_TYPE_TIMESTAMP:
        if (json_is_integer(v)) val.v.i64 = json_integer_value(v); /* microseconds */
        else ok = s && cairn_time_parse(s, slen, &val.v.i64, NULL) == 0;
        break;
    case CAIRN_TYPE_DATE32:
        ok = s && cairn_date_parse(s, slen, &val.v.i32, NULL) == 0;
        break;
    }
    if (!ok) {
        cairn_error_set(err, CAIRN_EINVAL, "entity %zu: join key '%s' needs a %s value", e, key,
                        cairn_type_name(type));
        cairn_error_field(err, key);
        return CAIRN_EINVAL;
    }
    return cairn_value_format(&val, NULL, out) ? oom(err) : 0;
}

/* The n entity keys of a view into keys/offs (offs has n + 1 entries). */
static int view_keys(const view_entry *ve, const json_t *entities, size_t n, cairn_buf *keys,
                     size_t *offs, cairn_error *err)
{
    const cairn__view *v = ve->view;
    const json_t *cols[16];
    if (v->nkeys > 16) return cairn_error_set(err, CAIRN_ELIMIT, "more than 16 join keys");
    for (size_t k = 0; k < v->nkeys; k++) {
        cols[k] = json_object_get(entities, v->join_keys[k]);
        if (!cols[k]) {
            cairn_buf given;
            cairn_buf_init(&given, 0);
            const char *name;
            json_t *val;
            json_object_foreach((json_t *)entities, name, val) {
                (void)val;
                cairn_buf_printf(&given, "%s%s", given.len ? ", " : "", name);
            }
            cairn_error_set(err, CAIRN_EINVAL,
                            "feature view '%s' needs join key '%s' (the request gives: %s)",
                            v->def.name, v->join_keys[k], given.len ? given.data : "none");
            cairn_error_field(err, v->join_keys[k]);
            cairn_buf_release(&given);
            return CAIRN_EINVAL;
        }
    }
    cairn_buf_reset(keys);
    for (size_t e = 0; e < n; e++) {
        offs[e] = keys->len;
        for (size_t k = 0; k < v->nkeys; k++) {
            int rc = k ? cairn_buf_putc(keys, CAIRN__KEY_SEP) : 0;
            if (rc) return oom(err);
            if ((rc = key_part(json_array_get(cols[k], e), ve->key_types[k], v->join_keys[k], e, keys, err)))
                return rc;
        }
    }
    offs[n] = keys->len;
    return 0;
}

/* The number of entities: every key an array of the same length. */
static int count_entities(const json_t *entities, size_t *n, cairn_error *err)
{
    if (!json_is_object(entities) || json_object_size(entities) == 0)
        return cairn_error_set(err, CAIRN_EINVAL, "entities: expected an object of join key -> values");
    const char *name;
    json_t *val;
    bool first = true;
    json_object_foreach((json_t *)entities, name, val) {
        if (!json_is_array(val)) {
            cairn_error_field(err, name);
            return cairn_error_set(err, CAIRN_EINVAL, "entities: join key '%s': expected an array of values", name);
        }
        if (!first && json_array_size(val) != *n) {
            cairn_error_field(err, name);
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "entities: join key '%s' has %zu values, another key has %zu", name,
                                   json_array_size(val), *n);
        }
        *n = json_array_size(val);
        first = false;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Reads
 * ---------------------------------------------------------------------------------------- */

typedef struct plan_item {
    view_entry *view;
    const char *feature;         /* after the ':' */
} plan_item;

/* Resolves every "view:feature" to its cached view; errors name the feature. */
static int plan(cairn_online_reader *r, const char *const *features, size_t nf, plan_item *items,
                cairn_error *err)
{
    int rc = 0;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; rc == 0 && i < nf; i++) {
        const char *colon = features[i] ? strchr(features[i], ':') : NULL;
        if (!colon || colon == features[i] || !colon[1]) {
            rc = cairn_error_set(err, CAIRN_EINVAL, "feature '%s': expected view:feature",
                                 features[i] ? features[i] : "(null)");
            break;
        }
        rc = view_get(r, features[i], (size_t)(colon - features[i]), &items[i].view, err);
        if (rc) break;
        items[i].feature = colon + 1;
        if (!cairn__view_feature(items[i].view->view, items[i].feature)) {
            const cairn_view_def *d = &items[i].view->view->def;
            cairn_buf names;
            cairn_buf_init(&names, 0);
            for (size_t k = 0; k < d->nfeatures; k++)
                cairn_buf_printf(&names, "%s%s", k ? ", " : "", d->features[k].name);
            rc = cairn_error_set(err, CAIRN_ENOTFOUND, "unknown feature '%s': feature view '%s' has %s",
                                 features[i], d->name, names.len ? names.data : "no features");
            cairn_error_field(err, features[i]);
            cairn_buf_release(&names);
        }
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

/* Looks up one view for every entity and fills its features' cells. */
static int read_view(cairn_online_reader *r, view_entry *ve, const plan_item *items, size_t nf,
                     const json_t *entities, size_t n, int64_t now, cairn_online_result *out,
                     cairn_error *err)
{
    cairn_buf keys;
    cairn_buf_init(&keys, 0);
    size_t *offs = cairn_calloc(n + 1, sizeof *offs);
    const void **kp = cairn_calloc(n ? n : 1, sizeof *kp);
    size_t *kl = cairn_calloc(n ? n : 1, sizeof *kl);
    cairn_online_value *vals = cairn_calloc(n ? n : 1, sizeof *vals);
    int rc = offs && kp && kl && vals ? 0 : oom(err);
    if (rc == 0) rc = view_keys(ve, entities, n, &keys, offs, err);
    for (size_t e = 0; rc == 0 && e < n; e++) {
        kp[e] = keys.data + offs[e];
        kl[e] = offs[e + 1] - offs[e];
    }
    const char *vname = ve->view->def.name;
    if (rc == 0) rc = cairn_online_get(r->store, vname, kp, kl, n, vals, err);
    int64_t ttl = ve->view->def.ttl_us;
    for (size_t e = 0; rc == 0 && e < n; e++) {
        if (!vals[e].found) continue;
        bool stale = ttl > 0 && now - vals[e].event_us > ttl;
        json_t *rec = NULL;
        if (!stale && cairn_json_parse(vals[e].value, vals[e].value_len, vname, &rec, err)) {
            cairn_error_prefix(err, "feature view '%s': a stored value is not JSON: ", vname);
            rc = CAIRN_ECORRUPT;
            err->code = rc;
            break;
        }
        for (size_t f = 0; f < nf; f++) {
            if (items[f].view != ve) continue;
            size_t cell = e * nf + f;
            out->event_us[cell] = vals[e].event_us;
            if (stale) {
                out->statuses[cell] = CAIRN_FEATURE_OUTSIDE_MAX_AGE;
                continue;
            }
            json_t *v = json_object_get(rec, items[f].feature);
            if (!v) continue; /* written by an older definition: NOT_FOUND */
            json_decref(out->values[cell]);
            out->values[cell] = json_incref(v);
            out->statuses[cell] = CAIRN_FEATURE_PRESENT;
        }
        json_decref(rec);
    }
    if (vals) cairn_online_values_release(vals, n);
    cairn_free(vals);
    cairn_free(kp);
    cairn_free(kl);
    cairn_free(offs);
    cairn_buf_release(&keys);
    return rc;
}

static int result_alloc(cairn_online_result *out, const char *const *features, size_t nf, size_t n)
{
    size_t cells = (nf * n) > 0 ? nf * n : 1;
    out->nentities = n;
    out->nfeatures = nf;
    out->feature_names = cairn_calloc(nf ? nf : 1, sizeof *out->feature_names);
    out->values = cairn_calloc(cells, sizeof *out->values);
    out->statuses = cairn_calloc(cells, sizeof *out->statuses);
    out->event_us = cairn_calloc(cells, sizeof *out->event_us);
    if (!out->feature_names || !out->values || !out->statuses || !out->event_us) return CAIRN_ENOMEM;
    for (size_t f = 0; f < nf; f++)
        if (!(out->feature_names[f] = cairn_strdup(features[f]))) return CAIRN_ENOMEM;
    for (size_t c = 0; c < nf * n; c++) {
        out->values[c] = json_null();
        out->statuses[c] = CAIRN_FEATURE_NOT_FOUND;
    }
    return 0;
}

int cairn_online_read(cairn_online_reader *r, const char *service, const char *const *features,
                      size_t nfeatures, const json_t *entities, int64_t now_us,
                      cairn_online_result *out, cairn_error *err)
{
    memset(out, 0, sizeof *out);
    if (!now_us) now_us = cairn_now_us();
    if (service) {
        cairn__service *s = NULL;
        pthread_mutex_lock(&r->mu);
        int rc = service_get(r, service, &s, err);
        pthread_mutex_unlock(&r->mu);
        if (rc) return rc;
        features = (const char *const *)s->features; /* cached until the reader closes */
        nfeatures = s->nfeatures;
    } else if (!features || !nfeatures) {
        return cairn_error_set(err, CAIRN_EINVAL, "no features requested: name a feature service or features");
    }
    size_t n = 0;
    int rc = count_entities(entities, &n, err);
    if (rc) return rc;
    plan_item *items = cairn_calloc(nfeatures, sizeof *items);
    if (!items) return oom(err);
    rc = plan(r, features, nfeatures, items, err);
    if (rc == 0 && result_alloc(out, features, nfeatures, n)) rc = oom(err);
    for (size_t f = 0; rc == 0 && f < nfeatures; f++) {
        bool first = true; /* one lookup per view, at its first feature */
        for (size_t g = 0; g < f; g++) first = first && items[g].view != items[f].view;
        if (first) rc = read_view(r, items[f].view, items, nfeatures, entities, n, now_us, out, err);
    }
    cairn_free(items);
    if (rc) cairn_online_result_free(out);
    return rc;
}

void cairn_online_result_free(cairn_online_result *res)
{
    if (!res) return;
    size_t cells = res->nentities * res->nfeatures;
    for (size_t c = 0; res->values && c < cells; c++) json_decref(res->values[c]);
    for (size_t f = 0; res->feature_names && f < res->nfeatures; f++) cairn_free(res->feature_names[f]);
    cairn_free(res->feature_names);
    cairn_free(res->values);
    cairn_free(res->statuses);
    cairn_free(res->event_us);
    memset(res, 0, sizeof *res);
}
