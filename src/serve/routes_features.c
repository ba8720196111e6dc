/* src/serve/routes_features.c: POST /get-online-features, Feast's online lookup over HTTP.
 *
 * Request:  {"features": ["view:feature", ...]} or {"feature_service": "name"}, plus
 *           "entities": {"join_key": [v1, v2, ...], ...} (every key the same length) and an
 *           optional "full_feature_names" (accepted for Feast clients; names are always
 *           "view:feature" here).
 * Response: {"metadata": {"feature_names": [join keys..., "view:feature"...]},
 *            "results": [{"values": [...], "statuses": [...], "event_timestamps": [...]}]}
 *           column-major as Feast's ServingService proto has it: one result per name in
 *           feature_names, each holding that column's value for every entity. Join keys come
 *           first, echoing the request, as Feast's server does (status PRESENT, time 0).
 *
 * The parser (cairn__features_request_parse) needs no server, so tests/fuzz/fuzz_http_body.c
 * drives it directly. The online reader is opened at start, or lazily (at most once a
 * second) when the home had nothing to read yet, and shared by all pool threads.
 *
 * Tests: tests/unit/serve/test_server.c (parser and route), tests/fuzz/fuzz_http_body.c,
 * tests/integration/test_serve_cli.sh (end to end after materialize).
 */
#include <string.h>

#include "serve/serve_internal.h"

/* ------------------------------------------------------------------------------------------
 * Private helpers: parsing
 * ---------------------------------------------------------------------------------------- */

static int parse_features(const json_t *v, cairn_arena *arena, cairn__features_request *out,
                          cairn_error *err)
{
    if (!json_is_array(v) || json_array_size(v) == 0)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "'features' must be a non-empty array of \"view:feature\" "
                               "strings");
    size_t n = json_array_size(v);
    out->features = cairn_arena_calloc(arena, n, sizeof *out->features);
    if (!out->features) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *f = json_array_get(v, i);
        if (!json_is_string(f))
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "'features'[%zu] must be a \"view:feature\" string", i);
        const char *name = json_string_value(f);
        const char *colon = strchr(name, ':');
        if (!colon || colon == name || colon[1] == '\0' ||
            strlen(name) != json_string_length(f))
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "'features'[%zu]: '%.200s' is not a \"view:feature\" name",
                                   i, name);
        out->features[i] = name;
    }
    out->nfeatures = n;
    return 0;
}

static int parse_entities(const json_t *v, cairn__features_request *out, cairn_error *err)
{
    if (!json_is_object(v) || json_object_size(v) == 0)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "'entities' must be an object of arrays, e.g. "
                               "{\"origin\": [\"ORD\", \"LAX\"]}");
    const char *key, *first_key = NULL;
    const json_t *vals;
    json_object_foreach((json_t *)v, key, vals) {
        if (!json_is_array(vals))
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "'entities' must be an object of arrays: '%.200s' is not "
                                   "an array",
                                   key);
        size_t n = json_array_size(vals);
        if (!first_key) {
            first_key = key;
            out->nentities = n;
        } else if (n != out->nentities) {
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "'entities': '%.200s' has %zu values but '%.200s' has %zu; "
                                   "every join key needs one value per entity",
                                   key, n, first_key, out->nentities);
        }
        for (size_t i = 0; i < n; i++) {
            const json_t *e = json_array_get(vals, i);
            if (!json_is_string(e) && !json_is_integer(e) && !json_is_real(e) &&
                !json_is_boolean(e))
                return cairn_error_set(err, CAIRN_EINVAL,
                                       "'entities'.%.200s[%zu] must be a string, number or "
                                       "boolean",
                                       key, i);
        }
    }
    out->entities = v;
    return 0;
}

static int check_fields(const json_t *doc, cairn_arena *arena, cairn__features_request *out,
                        cairn_error *err)
{
    static const char *const known[] = {"features", "feature_service", "entities",
                                        "full_feature_names"};
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)doc, key, v) {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof *known; i++) ok |= !strcmp(key, known[i]);
        if (!ok)
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "unknown field '%.200s' (expected features or "
                                   "feature_service, entities, full_feature_names)",
                                   key);
    }
    const json_t *features = json_object_get(doc, "features");
    const json_t *service = json_object_get(doc, "feature_service");
    const json_t *full = json_object_get(doc, "full_feature_names");
    if (features && service)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "give either 'features' or 'feature_service', not both");
    if (!features && !service)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "'features' (an array of \"view:feature\" names) or "
                               "'feature_service' is required");
    if (full && !json_is_boolean(full))
        return cairn_error_set(err, CAIRN_EINVAL, "'full_feature_names' must be a boolean");
    int rc = 0;
    if (service) {
        if (!json_is_string(service) || json_string_length(service) == 0 ||
            strlen(json_string_value(service)) != json_string_length(service))
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "'feature_service' must be a non-empty string");
        out->service = json_string_value(service);
    } else {
        rc = parse_features(features, arena, out, err);
    }
    const json_t *entities = json_object_get(doc, "entities");
    if (rc == 0 && !entities)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "'entities' is required: an object of arrays, e.g. "
                               "{\"origin\": [\"ORD\", \"LAX\"]}");
    if (rc == 0) rc = parse_entities(entities, out, err);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Private helpers: the reader
 * ---------------------------------------------------------------------------------------- */

static cairn_online_reader *get_reader(cairn_server *s, char *why, size_t cap)
{
    cairn_online_reader *r = atomic_load_explicit(&s->reader, memory_order_acquire);
    if (r) return r;
    if (!s->home) {
        snprintf(why, cap, "the server has no Cairn home, so no online store");
        return NULL;
    }
    pthread_mutex_lock(&s->reader_lock);
    r = atomic_load_explicit(&s->reader, memory_order_relaxed);
    int64_t now = cairn_monotonic_ns();
    if (!r && (s->reader_tried_ns == 0 || now - s->reader_tried_ns > 1000000000)) {
        cairn_error err;
        cairn_error_clear(&err);
        if (cairn_online_reader_open(s->home, &r, &err) == 0) {
            atomic_store_explicit(&s->reader, r, memory_order_release);
            s->reader_error[0] = '\0';
        } else {
            r = NULL;
            s->reader_tried_ns = now;
            cairn_error_format(&err, s->reader_error, sizeof s->reader_error);
        }
    }
    if (!r) snprintf(why, cap, "cannot open the online store: %s", s->reader_error);
    pthread_mutex_unlock(&s->reader_lock);
    return r;
}

static void put_time(cairn_buf *out, int64_t us)
{
    char ts[CAIRN_TIME_FMT_LEN];
    size_t n = cairn_time_format(us, ts, sizeof ts);
    cairn_buf_putc(out, '"');
    cairn_buf_append(out, ts, n);
    cairn_buf_putc(out, '"');
}

/* The join-key column: the request's values, echoed. */
static void render_key(const json_t *vals, size_t nentities, cairn_buf *out)
{
    cairn_buf_puts(out, "{\"values\":[");
    for (size_t e = 0; e < nentities; e++) {
        if (e) cairn_buf_putc(out, ',');
        cairn_json_dump(json_array_get(vals, e), 0, out);
    }
    cairn_buf_puts(out, "],\"statuses\":[");
    for (size_t e = 0; e < nentities; e++) cairn_buf_puts(out, e ? ",\"PRESENT\"" : "\"PRESENT\"");
    cairn_buf_puts(out, "],\"event_timestamps\":[");
    for (size_t e = 0; e < nentities; e++) {
        if (e) cairn_buf_putc(out, ',');
        put_time(out, 0);
    }
    cairn_buf_puts(out, "]}");
}

/* ------------------------------------------------------------------------------------------
 * API (internal)
 * ---------------------------------------------------------------------------------------- */

int cairn__features_request_parse(const char *body, size_t len, cairn_arena *arena,
                                  cairn__features_request *out, cairn_error *err)
{
    memset(out, 0, sizeof *out);
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    if (i == len)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "the request body is empty; expected a JSON object with "
                               "'features' and 'entities'");
    json_t *doc = NULL;
    int rc = cairn_json_parse(body, len, "request body", &doc, err);
    if (rc) return rc;
    if (!json_is_object(doc)) {
        json_decref(doc);
        return cairn_error_set(err, CAIRN_EINVAL,
                               "the request body must be a JSON object with 'features' and "
                               "'entities'");
    }
    out->doc = doc;
    rc = check_fields(doc, arena, out, err);
    if (rc) {
        json_decref(doc);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

void cairn__features_request_release(cairn__features_request *req)
{
    json_decref(req->doc);
    memset(req, 0, sizeof *req);
}

int cairn__features_render(const cairn__features_request *req, const cairn_online_result *res,
                           cairn_buf *out)
{
    size_t ne = res->nentities, nf = res->nfeatures;
    const char *key;
    const json_t *vals;
    cairn_buf_puts(out, "{\"metadata\":{\"feature_names\":[");
    bool first = true;
    json_object_foreach((json_t *)req->entities, key, vals) {
        if (!first) cairn_buf_putc(out, ',');
        first = false;
        cairn_json_put_string(out, key, strlen(key));
    }
    for (size_t f = 0; f < nf; f++) {
        if (!first) cairn_buf_putc(out, ',');
        first = false;
        cairn_json_put_string(out, res->feature_names[f], strlen(res->feature_names[f]));
    }
    cairn_buf_puts(out, "]},\"results\":[");
    first = true;
    json_object_foreach((json_t *)req->entities, key, vals) {
        if (!first) cairn_buf_putc(out, ',');
        first = false;
        render_key(vals, ne, out);
    }
    for (size_t f = 0; f < nf; f++) {
        if (!first) cairn_buf_putc(out, ',');
        first = false;
        cairn_buf_puts(out, "{\"values\":[");
        for (size_t e = 0; e < ne; e++) {
            const json_t *v = res->values[e * nf + f];
            if (e) cairn_buf_putc(out, ',');
            if (v) cairn_json_dump(v, 0, out);
            else cairn_buf_puts(out, "null");
        }
        cairn_buf_puts(out, "],\"statuses\":[");
        for (size_t e = 0; e < ne; e++) {
            if (e) cairn_buf_putc(out, ',');
            cairn_buf_putc(out, '"');
            cairn_buf_puts(out, cairn_feature_status_name(res->statuses[e * nf + f]));
            cairn_buf_putc(out, '"');
        }
        cairn_buf_puts(out, "],\"event_timestamps\":[");
        for (size_t e = 0; e < ne; e++) {
            if (e) cairn_buf_putc(out, ',');
            put_time(out, res->event_us[e * nf + f]);
        }
        cairn_buf_puts(out, "]}");
    }
    return cairn_buf_puts(out, "]}\n");
}

int cairn__features_init(cairn_server *s)
{
    s->lookups_total = cairn_metrics_counter(
        s->metrics, "cairn_online_lookups_total",
        "Entities looked up by get-online-features.", NULL);
    s->lookup_errors_total = cairn_metrics_counter(
        s->metrics, "cairn_online_lookup_errors_total",
        "get-online-features requests refused or failed.", NULL);
    if (s->home) {
        char why[600];
        if (!get_reader(s, why, sizeof why)) CAIRN_WARN("get-online-features: %s", why);
    }
    return 0;
}

void cairn__features_fini(cairn_server *s)
{
    cairn_online_reader *r = atomic_exchange(&s->reader, NULL);
    if (r) cairn_online_reader_close(r);
}

bool cairn__features_ready(cairn_server *s, char *why, size_t cap)
{
    if (!s->home) return true; /* nothing to wait for */
    return get_reader(s, why, cap) != NULL;
}

int cairn__route_get_online_features(const cairn_http_request *req, cairn_http_response *resp)
{
    cairn_server *s = req->server;
    cairn_error err;
    cairn_error_clear(&err);
    cairn__features_request fr;
    int rc = cairn__features_request_parse(req->body, req->body_len, req->arena, &fr, &err);
    if (rc) {
        cairn_metric_add(s->lookup_errors_total, 1);
        char msg[1024];
        cairn_error_format(&err, msg, sizeof msg);
        if (cairn_error_is_internal(rc)) return cairn_http_error(resp, 500, "%s", msg);
        return cairn_http_error(resp, 400, "%s", msg);
    }
    char why[600];
    cairn_online_reader *reader = get_reader(s, why, sizeof why);
    if (!reader) {
        cairn__features_request_release(&fr);
        cairn_metric_add(s->lookup_errors_total, 1);
        return cairn_http_error(resp, 503, "%s", why);
    }
    cairn_online_result res;
    memset(&res, 0, sizeof res);
    rc = cairn_online_read(reader, fr.service, fr.features, fr.nfeatures, fr.entities, 0, &res,
                           &err);
    if (rc) {
        char msg[1024];
        cairn_error_format(&err, msg, sizeof msg);
        cairn__features_request_release(&fr);
        cairn_metric_add(s->lookup_errors_total, 1);
        return cairn_http_error(resp, cairn_error_is_internal(rc) ? 500 : 400, "%s", msg);
    }
    cairn_metric_add(s->lookups_total, (double)res.nentities);
    rc = cairn__features_render(&fr, &res, &resp->body);
    cairn_online_result_free(&res);
    cairn__features_request_release(&fr);
    return rc;
}
