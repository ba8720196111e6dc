/* src/lake/manifest.c: a snapshot's manifest as canonical JSON, and back.
 *
 * Canonical means one text per manifest: keys in the fixed order of include/cairn/lake.h
 * (jansson keeps insertion order), compact output through cairn_json_dump, files sorted by
 * path, times as cairn_time_format writes them, absent values as null. The snapshot id is
 * the SHA-256 of this text, so equal manifests get equal ids and any change gets a new one.
 *
 * Tests: tests/unit/lake/test_snapshot.c.
 */
#include <string.h>

#include "lake/lake_internal.h"

static const char *const kind_names[] = {"none", "day", "month", "value"};

/* ------------------------------------------------------------------------------------------
 * Encoding
 * ---------------------------------------------------------------------------------------- */

static json_t *time_or_null(bool has, int64_t us)
{
    char text[CAIRN_TIME_FMT_LEN];
    if (!has) return json_null();
    cairn_time_format(us, text, sizeof text);
    return json_string(text);
}

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

/* Sets o[k] = v (stealing v); clears *ok when anything is missing, so that a failed
 * allocation anywhere fails the whole encoding instead of leaving a key out. */
static void put(json_t *o, const char *k, json_t *v, bool *ok)
{
    if (!v || json_object_set_new(o, k, v)) *ok = false; /* steals v, also on failure */
}

static json_t *file_json(const cairn_lake_file *f)
{
    bool ok = true;
    json_t *o = json_object();
    put(o, "path", json_string(f->path), &ok);
    put(o, "sha256", json_string(f->sha256), &ok);
    put(o, "rows", json_integer(f->rows), &ok);
    put(o, "bytes", json_integer(f->bytes), &ok);
    put(o, "partition", json_string(f->partition), &ok);
    put(o, "min_event_time", time_or_null(f->has_event_time, f->min_event_us), &ok);
    put(o, "max_event_time", time_or_null(f->has_event_time, f->max_event_us), &ok);
    if (ok) return o;
    json_decref(o);
    return NULL;
}

static json_t *partition_json(const cairn_commit *c)
{
    if (c->partition_kind <= 0 || c->partition_kind > 3) return json_null();
    bool ok = true;
    json_t *o = json_object();
    put(o, "by", json_string(kind_names[c->partition_kind]), &ok);
    put(o, "column", str_or_null(c->partition_column), &ok);
    put(o, "type", c->partition_type ? json_string(cairn_type_name(c->partition_type)) : json_null(),
        &ok);
    if (ok) return o;
    json_decref(o);
    return NULL;
}

static int64_t total_rows(const cairn_commit *c)
{
    int64_t rows = 0;
    for (size_t i = 0; i < c->nfiles; i++) rows += c->files[i].rows;
    return rows;
}

int cairn__manifest_encode(const cairn_commit *c, const char *committed_at, cairn_buf *out,
                           cairn_error *err)
{
    bool ok = true;
    json_t *m = json_object(), *files = json_array();
    put(m, "dataset", json_string(c->dataset), &ok);
    put(m, "parent", str_or_null(c->parent), &ok);
    put(m, "operation", json_string(c->operation), &ok);
    put(m, "committed_at", json_string(committed_at), &ok);
    put(m, "schema_subject", str_or_null(c->schema_subject), &ok);
    put(m, "schema_version", json_integer(c->schema_version), &ok);
    put(m, "partition", partition_json(c), &ok);
    put(m, "rows", json_integer(total_rows(c)), &ok);
    put(m, "added_rows", json_integer(c->added_rows), &ok);
    for (size_t i = 0; ok && files && i < c->nfiles; i++) {
        json_t *f = file_json(&c->files[i]);
        if (!f || json_array_append_new(files, f)) ok = false;
    }
    put(m, "files", files, &ok); /* steals files, also on failure */
    int rc = ok ? cairn_json_dump(m, 0, out) : CAIRN_ENOMEM;
    json_decref(m);
    if (rc) return cairn_error_set(err, rc, "cannot encode the manifest of '%s'", c->dataset);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Decoding
 * ---------------------------------------------------------------------------------------- */

static int bad(cairn_error *err, const char *id, const char *what)
{
    return cairn_error_set(err, CAIRN_ECORRUPT, "manifest %.12s: %s", id, what);
}

/* Copies an optional string member ("" for null). */
static int get_text(const json_t *o, const char *key, char *dst, size_t cap, bool required)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_null(v) && !required) return dst[0] = '\0', 0;
    if (!json_is_string(v) || json_string_length(v) >= cap) return CAIRN_ECORRUPT;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int get_int(const json_t *o, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v)) return CAIRN_ECORRUPT;
    *out = json_integer_value(v);
    return 0;
}

static int get_time(const json_t *o, const char *key, bool *has, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (json_is_null(v)) return *has = false, 0;
    if (!json_is_string(v)) return CAIRN_ECORRUPT;
    *has = true;
    return cairn_time_parse(json_string_value(v), json_string_length(v), out, NULL)
               ? CAIRN_ECORRUPT : 0;
}

static int decode_file(const json_t *o, cairn_lake_file *f)
{
    bool has_max = false;
    if (!json_is_object(o) || get_text(o, "path", f->path, sizeof f->path, true) ||
        get_text(o, "sha256", f->sha256, sizeof f->sha256, true) ||
        get_int(o, "rows", &f->rows) || get_int(o, "bytes", &f->bytes) ||
        get_text(o, "partition", f->partition, sizeof f->partition, true) ||
        get_time(o, "min_event_time", &f->has_event_time, &f->min_event_us) ||
        get_time(o, "max_event_time", &has_max, &f->max_event_us))
        return CAIRN_ECORRUPT;
    return 0;
}

static int decode_partition(const json_t *p, cairn_snapshot *s)
{
    if (json_is_null(p) || !p) return 0;
    const char *by = json_string_value(json_object_get(p, "by"));
    for (int k = 1; by && k <= 3; k++)
        if (!strcmp(by, kind_names[k])) s->partition_kind = k;
    if (!s->partition_kind ||
        get_text(p, "column", s->partition_column, sizeof s->partition_column, true))
        return CAIRN_ECORRUPT;
    const char *type = json_string_value(json_object_get(p, "type"));
    cairn_type t;
    if (type && cairn_type_parse(type, &t) == 0) s->partition_type = t;
    return 0;
}

static int decode_top(const json_t *m, cairn_snapshot *s)
{
    if (get_text(m, "dataset", s->dataset, sizeof s->dataset, true) ||
        get_text(m, "parent", s->parent, sizeof s->parent, false) ||
        get_text(m, "operation", s->operation, sizeof s->operation, true) ||
        get_text(m, "committed_at", s->committed_at, sizeof s->committed_at, true) ||
        get_text(m, "schema_subject", s->schema_subject, sizeof s->schema_subject, false) ||
        get_int(m, "schema_version", &s->schema_version) || get_int(m, "rows", &s->rows) ||
        get_int(m, "added_rows", &s->added_rows) ||
        decode_partition(json_object_get(m, "partition"), s))
        return CAIRN_ECORRUPT;
    return 0;
}

static int decode_files(const json_t *files, cairn_snapshot *s, const char *id, cairn_error *err)
{
    if (!json_is_array(files)) return bad(err, id, "\"files\" is not an array");
    s->nfiles = json_array_size(files);
    s->files = s->nfiles ? cairn_calloc(s->nfiles, sizeof *s->files) : NULL;
    if (s->nfiles && !s->files) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->nfiles; i++)
        if (decode_file(json_array_get(files, i), &s->files[i])) {
            cairn_error_set(err, CAIRN_ECORRUPT, "manifest %.12s: file %zu is malformed", id, i);
            return CAIRN_ECORRUPT;
        }
    return 0;
}

int cairn__manifest_decode(const char *text, size_t len, const char *id, cairn_snapshot **out,
                           cairn_error *err)
{
    json_t *m = NULL;
    *out = NULL;
    int rc = cairn_json_parse(text, len, "manifest", &m, err);
    if (rc == CAIRN_ENOMEM) return rc;
    if (rc) return bad(err, id, "not valid JSON");
    cairn_snapshot *s = cairn_calloc(1, sizeof *s);
    if (!s) rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    else if (!json_is_object(m) || decode_top(m, s))
        rc = bad(err, id, "a required key is missing or has the wrong type");
    else
        rc = decode_files(json_object_get(m, "files"), s, id, err);
    json_decref(m);
    if (rc) {
        cairn_snapshot_free(s);
        return rc;
    }
    snprintf(s->id, sizeof s->id, "%s", id);
    *out = s;
    return 0;
}

void cairn_snapshot_free(cairn_snapshot *snapshot)
{
    if (!snapshot) return;
    cairn_free(snapshot->files);
    cairn_free(snapshot);
}
