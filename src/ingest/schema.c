/* src/ingest/schema.c: dataset schemas: the YAML form, the canonical JSON form and the hash.
 *
 * A cairn_dataset_schema is one arena holding every string and array of the schema (names,
 * allowed values, patterns, string defaults) plus the jansson array of dataset-level checks.
 * Parsing walks the YAML tree once per field, checking keys against a known list and values
 * against the field's type; every error names the file, line, column, field and key. After
 * the fields, the dataset-level declarations (primary key, event time, partition) are checked
 * against them.
 *
 * Invariants: a schema returned to a caller is complete and consistent (min <= max, every
 * pattern compiles, every default satisfies the field's constraints, every named column
 * exists); canonical JSON lists keys in a fixed order with every default spelled out and no
 * positions, so equal schemas give equal text and equal hashes whatever their YAML layout.
 *
 * Tests: tests/unit/ingest/test_schema.c.
 */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/yaml.h"
#include "ingest/ingest_internal.h"

struct cairn_dataset_schema {
    cairn_arena arena;
    const char *name;
    cairn_dataset_field *fields;
    size_t nfields;
    const char **primary_key;
    size_t nprimary_key;
    const char *event_time; /* NULL = none */
    cairn_partition_kind partition;
    const char *partition_column; /* NULL when partition is NONE */
    json_t *checks;               /* always an array */
};

static const char *const class_names[] = {"public", "internal", "confidential", "pii"};
static const char *const partition_names[] = {"none", "day", "month", "value"};

static const char *const top_keys[] = {"dataset", "primary_key", "event_time", "partition",
                                       "fields",  "checks",      NULL};
static const char *const field_keys[] = {
    "name",    "type",    "nullable", "min",     "max",            "allowed",     "pattern",
    "max_length", "unique", "default", "classification", "description", NULL};
static const char *const partition_keys[] = {"by", "column", NULL};

/* ------------------------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------------------------- */

static int oom(cairn_error *err) { return cairn_error_set(err, CAIRN_ENOMEM, "out of memory"); }

static int schema_new(cairn_dataset_schema **out)
{
    cairn_dataset_schema *s = cairn_calloc(1, sizeof *s);
    if (!s) return CAIRN_ENOMEM;
    cairn_arena_init(&s->arena, 4096);
    s->checks = json_array();
    if (!s->checks) {
        cairn_free(s);
        return CAIRN_ENOMEM;
    }
    *out = s;
    return 0;
}

void cairn_dataset_schema_free(cairn_dataset_schema *schema)
{
    if (!schema) return;
    json_decref(schema->checks);
    cairn_arena_release(&schema->arena);
    cairn_free(schema);
}

const char *cairn_classification_name(cairn_classification c)
{
    return (unsigned)c < 4 ? class_names[c] : "unknown";
}

static int name_index(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], s)) return (int)i;
    return -1;
}

static bool is_time_type(cairn_type t) { return t == CAIRN_TYPE_TIMESTAMP || t == CAIRN_TYPE_DATE32; }
static bool is_int_type(cairn_type t) { return t == CAIRN_TYPE_INT32 || t == CAIRN_TYPE_INT64; }

/* ------------------------------------------------------------------------------------------
 * Values: from text (YAML scalars), to and from JSON, checked against a field's constraints
 * ---------------------------------------------------------------------------------------- */

/* Parses text as a value of `type` (widened to int64/float64 when `widen`). On failure returns
 * CAIRN_ETYPE and *expected says what was wanted. String values are copied into arena. */
static int value_from_text(cairn_arena *arena, cairn_type type, bool widen, const char *s,
                           cairn_value *out, const char **expected)
{
    char *end;
    memset(out, 0, sizeof *out);
    out->type = type;
    if (type == CAIRN_TYPE_STRING) {
        out->v.str.len = strlen(s);
        out->v.str.ptr = cairn_arena_strdup(arena, s);
        return out->v.str.ptr ? 0 : CAIRN_ENOMEM;
    }
    if (type == CAIRN_TYPE_BOOL) {
        *expected = "true or false";
        if (!strcmp(s, "true")) return out->v.b = true, 0;
        if (!strcmp(s, "false")) return out->v.b = false, 0;
        return CAIRN_ETYPE;
    }
    if (is_time_type(type)) {
        int64_t us;
        int32_t days;
        *expected = type == CAIRN_TYPE_DATE32 ? "an ISO-8601 date" : "an ISO-8601 time";
        if (type == CAIRN_TYPE_TIMESTAMP)
            return cairn_time_parse(s, strlen(s), &us, NULL) ? CAIRN_ETYPE : (out->v.i64 = us, 0);
        return cairn_date_parse(s, strlen(s), &days, NULL) ? CAIRN_ETYPE : (out->v.i32 = days, 0);
    }
    errno = 0;
    double d = strtod(s, &end);
    *expected = "a number";
    if (!*s || *end || errno == ERANGE || !isfinite(d)) return CAIRN_ETYPE;
    if (!is_int_type(type)) {
        if (widen || type == CAIRN_TYPE_FLOAT64) out->type = CAIRN_TYPE_FLOAT64, out->v.f64 = d;
        else out->v.f32 = (float)d;
        return 0;
    }
    *expected = type == CAIRN_TYPE_INT32 ? "an int32 integer" : "an integer";
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno == ERANGE) return CAIRN_ETYPE;
    if (type == CAIRN_TYPE_INT32 && (v < INT32_MIN || v > INT32_MAX)) return CAIRN_ETYPE;
    if (widen || type == CAIRN_TYPE_INT64) out->type = CAIRN_TYPE_INT64, out->v.i64 = v;
    else out->v.i32 = (int32_t)v;
    return 0;
}

static json_t *value_to_json(const cairn_value *v)
{
    char tmp[CAIRN_TIME_FMT_LEN];
    if (v->is_null) return json_null();
    switch (v->type) {
    case CAIRN_TYPE_BOOL: return json_boolean(v->v.b);
    case CAIRN_TYPE_INT32: return json_integer(v->v.i32);
    case CAIRN_TYPE_INT64: return json_integer(v->v.i64);
    case CAIRN_TYPE_FLOAT32: return json_real(v->v.f32);
    case CAIRN_TYPE_FLOAT64: return json_real(v->v.f64);
    case CAIRN_TYPE_STRING: return json_stringn(v->v.str.ptr, v->v.str.len);
    case CAIRN_TYPE_TIMESTAMP: cairn_time_format(v->v.i64, tmp, sizeof tmp); return json_string(tmp);
    case CAIRN_TYPE_DATE32: cairn_date_format(v->v.i32, tmp, sizeof tmp); return json_string(tmp);
    }
    return json_null();
}

/* The inverse of value_to_json for a value of `type` (already widened for min/max). */
static int value_from_json(cairn_arena *arena, cairn_type type, const json_t *j, cairn_value *out)
{
    memset(out, 0, sizeof *out);
    out->type = type;
    if (json_is_null(j)) return out->is_null = true, 0;
    switch (type) {
    case CAIRN_TYPE_BOOL:
        if (!json_is_boolean(j)) return CAIRN_ETYPE;
        return out->v.b = json_is_true(j), 0;
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_INT64:
        if (!json_is_integer(j)) return CAIRN_ETYPE;
        if (type == CAIRN_TYPE_INT32) return out->v.i32 = (int32_t)json_integer_value(j), 0;
        return out->v.i64 = json_integer_value(j), 0;
    case CAIRN_TYPE_FLOAT32:
    case CAIRN_TYPE_FLOAT64:
        if (!json_is_number(j)) return CAIRN_ETYPE;
        if (type == CAIRN_TYPE_FLOAT32) return out->v.f32 = (float)json_number_value(j), 0;
        return out->v.f64 = json_number_value(j), 0;
    default: break;
    }
    if (!json_is_string(j)) return CAIRN_ETYPE;
    const char *expected;
    return value_from_text(arena, type, false, json_string_value(j), out, &expected);
}

static double value_number(const cairn_value *v)
{
    switch (v->type) {
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_DATE32: return v->v.i32;
    case CAIRN_TYPE_INT64:
    case CAIRN_TYPE_TIMESTAMP: return (double)v->v.i64;
    case CAIRN_TYPE_FLOAT32: return v->v.f32;
    case CAIRN_TYPE_FLOAT64: return v->v.f64;
    default: return 0;
    }
}

/* -1, 0, 1 comparing two numeric or time values (exact for two int64s). */
static int value_cmp(const cairn_value *a, const cairn_value *b)
{
    bool ai = a->type == CAIRN_TYPE_INT64 || a->type == CAIRN_TYPE_TIMESTAMP;
    bool bi = b->type == CAIRN_TYPE_INT64 || b->type == CAIRN_TYPE_TIMESTAMP;
    if (ai && bi) return a->v.i64 < b->v.i64 ? -1 : a->v.i64 > b->v.i64;
    double x = value_number(a), y = value_number(b);
    return x < y ? -1 : x > y;
}

static bool value_in_allowed(const cairn_dataset_field *f, const cairn_value *v)
{
    for (size_t i = 0; i < f->nallowed; i++) {
        cairn_value a;
        const char *expected;
        if (v->type == CAIRN_TYPE_STRING) {
            if (strlen(f->allowed[i]) == v->v.str.len &&
                !memcmp(f->allowed[i], v->v.str.ptr, v->v.str.len))
                return true;
            continue;
        }
        if (value_from_text(NULL, v->type, false, f->allowed[i], &a, &expected) == 0) {
            if (v->type == CAIRN_TYPE_BOOL ? a.v.b == v->v.b : value_cmp(&a, v) == 0) return true;
        }
    }
    return false;
}

/* Compiles `pattern` anchored at both ends; 0, or CAIRN_EPARSE with the reason in why. */
static int pattern_compile(const char *pattern, regex_t *re, char *why, size_t cap)
{
    size_t n = strlen(pattern) + 5;
    char *anchored = cairn_malloc(n);
    if (!anchored) return CAIRN_ENOMEM;
    snprintf(anchored, n, "^(%s)$", pattern);
    int rc = regcomp(re, anchored, REG_EXTENDED | REG_NOSUB);
    cairn_free(anchored);
    if (rc == 0) return 0;
    if (rc == REG_ESPACE) return CAIRN_ENOMEM;
    regerror(rc, re, why, cap);
    return CAIRN_EPARSE;
}

/* NULL when v satisfies f's constraints, else why not (into buf). */
static const char *value_violation(const cairn_dataset_field *f, const cairn_value *v,
                                   char *buf, size_t cap)
{
    if (v->is_null) return f->nullable ? NULL : "cannot be used: the field is not nullable";
    if (f->has_min && value_cmp(v, &f->min) < 0) return "is below min";
    if (f->has_max && value_cmp(v, &f->max) > 0) return "is above max";
    if (f->nallowed && !value_in_allowed(f, v)) return "is not one of the allowed values";
    if (v->type != CAIRN_TYPE_STRING) return NULL;
    if (f->max_length >= 0 && v->v.str.len > (size_t)f->max_length) return "is longer than max_length";
    if (f->pattern) {
        regex_t re;
        char *text = cairn_strndup(v->v.str.ptr, v->v.str.len);
        if (!text || pattern_compile(f->pattern, &re, buf, cap)) {
            cairn_free(text);
            return "could not be matched against the pattern";
        }
        int rc = regexec(&re, text, 0, NULL, 0);
        regfree(&re);
        cairn_free(text);
        if (rc != 0) return "does not match the pattern";
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 * YAML: located errors and typed readers
 * ---------------------------------------------------------------------------------------- */

typedef struct parse_ctx {
    const cairn_yaml_doc *doc;
    cairn_dataset_schema *schema;
    cairn_error *err;
    const char *field; /* the field being read, or NULL */
} parse_ctx;

static int perr(parse_ctx *pc, const cairn_yaml_node *node, int code, const char *key,
                const char *fmt, ...) CAIRN_PRINTF(5, 6);
static int perr(parse_ctx *pc, const cairn_yaml_node *node, int code, const char *key,
                const char *fmt, ...)
{
    char reason[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (code == CAIRN_ENOMEM) return oom(pc->err);
    cairn_yaml_error(pc->doc, node, code, pc->err, "%s%s%s%s%s%s%s", pc->field ? "field '" : "",
                     pc->field ? pc->field : "", pc->field ? "': " : "", key ? "key '" : "",
                     key ? key : "", key ? "': " : "", reason);
    return code;
}

/* "'text'" for a scalar, "a list" or "a mapping" otherwise. */
static const char *found_text(const cairn_yaml_node *n, char *buf, size_t cap)
{
    if (!n) return "nothing";
    if (n->kind == CAIRN_YAML_SEQUENCE) return "a list";
    if (n->kind == CAIRN_YAML_MAPPING) return "a mapping";
    snprintf(buf, cap, "'%.60s'", n->scalar);
    return buf;
}

static int expect_error(parse_ctx *pc, const cairn_yaml_node *n, const char *key,
                        const char *expected)
{
    char buf[80];
    return perr(pc, n, CAIRN_ETYPE, key, "expected %s, found %s", expected, found_text(n, buf, sizeof buf));
}

static int read_str(parse_ctx *pc, const cairn_yaml_node *n, const char *key, const char **out)
{
    if (!n || n->kind != CAIRN_YAML_SCALAR || (!n->quoted && cairn_yaml_is_null(n)))
        return expect_error(pc, n, key, "a string");
    *out = cairn_arena_strdup(&pc->schema->arena, n->scalar);
    return *out ? 0 : oom(pc->err);
}

static int read_bool(parse_ctx *pc, const cairn_yaml_node *n, const char *key, bool *out)
{
    if (n && n->kind == CAIRN_YAML_SCALAR && !n->quoted) {
        if (!strcmp(n->scalar, "true")) return *out = true, 0;
        if (!strcmp(n->scalar, "false")) return *out = false, 0;
    }
    return expect_error(pc, n, key, "true or false");
}

/* Every key of map must be in known; otherwise an error naming it and listing the known. */
static int check_keys(parse_ctx *pc, const cairn_yaml_node *map, const char *const *known)
{
    for (size_t i = 0; i < map->count; i++) {
        const char *k = map->keys[i]->scalar;
        bool ok = false;
        for (size_t j = 0; known[j] && !ok; j++) ok = !strcmp(k, known[j]);
        if (ok) continue;
        char list[300];
        size_t used = 0;
        list[0] = '\0';
        for (size_t j = 0; known[j]; j++) {
            int w = snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", known[j]);
            if (w < 0 || (size_t)w >= sizeof list - used) break;
            used += (size_t)w;
        }
        return perr(pc, map->keys[i], CAIRN_EPARSE, NULL, "unknown key '%s' (known keys: %s)", k, list);
    }
    return 0;
}

/* A scalar as a value of `type`: min/max (widen) or default. */
static int read_value(parse_ctx *pc, const cairn_yaml_node *n, const char *key, cairn_type type,
                      bool widen, cairn_value *out)
{
    const char *expected = "a scalar";
    if (!n || n->kind != CAIRN_YAML_SCALAR) return expect_error(pc, n, key, expected);
    int rc = value_from_text(&pc->schema->arena, type, widen, n->scalar, out, &expected);
    if (rc == CAIRN_ENOMEM) return oom(pc->err);
    return rc ? expect_error(pc, n, key, expected) : 0;
}

/* ------------------------------------------------------------------------------------------
 * YAML: one field
 * ---------------------------------------------------------------------------------------- */

static int read_bounds(parse_ctx *pc, const cairn_yaml_node *map, cairn_dataset_field *f)
{
    const char *keys[2] = {"min", "max"};
    for (int i = 0; i < 2; i++) {
        const cairn_yaml_node *n = cairn_yaml_get(map, keys[i]);
        if (!n) continue;
        if (!cairn_type_is_numeric(f->type) && !is_time_type(f->type))
            return perr(pc, n, CAIRN_ETYPE, keys[i],
                        "min and max apply to numeric, timestamp and date fields, not %s",
                        cairn_type_name(f->type));
        int rc = read_value(pc, n, keys[i], f->type, true, i ? &f->max : &f->min);
        if (rc) return rc;
        *(i ? &f->has_max : &f->has_min) = true;
    }
    if (f->has_min && f->has_max && value_cmp(&f->min, &f->max) > 0)
        return perr(pc, cairn_yaml_get(map, "max"), CAIRN_EPARSE, "max",
                    "max is less than min");
    return 0;
}

static int read_allowed(parse_ctx *pc, const cairn_yaml_node *n, cairn_dataset_field *f)
{
    if (!n) return 0;
    if (n->kind != CAIRN_YAML_SEQUENCE || n->count == 0)
        return expect_error(pc, n, "allowed", "a non-empty list of values");
    const char **vals = cairn_arena_calloc(&pc->schema->arena, n->count, sizeof *vals);
    if (!vals) return oom(pc->err);
    for (size_t i = 0; i < n->count; i++) {
        cairn_value v;
        int rc = read_value(pc, n->items[i], "allowed", f->type, false, &v);
        if (rc == 0) rc = read_str(pc, n->items[i], "allowed", &vals[i]);
        if (rc) return rc;
    }
    f->allowed = vals;
    f->nallowed = n->count;
    return 0;
}

static int read_string_rules(parse_ctx *pc, const cairn_yaml_node *map, cairn_dataset_field *f)
{
    const cairn_yaml_node *pat = cairn_yaml_get(map, "pattern");
    const cairn_yaml_node *len = cairn_yaml_get(map, "max_length");
    const cairn_yaml_node *which = pat ? pat : len;
    if (which && f->type != CAIRN_TYPE_STRING)
        return perr(pc, which, CAIRN_ETYPE, pat ? "pattern" : "max_length",
                    "applies to string fields only, not %s", cairn_type_name(f->type));
    if (len) {
        char *end;
        errno = 0;
        long long v = len->kind == CAIRN_YAML_SCALAR && !len->quoted ? strtoll(len->scalar, &end, 10) : -1;
        if (v < 0 || errno || *end) return expect_error(pc, len, "max_length", "a non-negative integer");
        f->max_length = v;
    }
    if (pat) {
        int rc = read_str(pc, pat, "pattern", &f->pattern);
        if (rc) return rc;
        regex_t re;
        char why[200];
        rc = pattern_compile(f->pattern, &re, why, sizeof why);
        if (rc == CAIRN_ENOMEM) return oom(pc->err);
        if (rc) return perr(pc, pat, rc, "pattern", "does not compile: %s", why);
        regfree(&re);
    }
    return 0;
}

static int read_default(parse_ctx *pc, const cairn_yaml_node *map, cairn_dataset_field *f)
{
    const cairn_yaml_node *n = cairn_yaml_get(map, "default");
    if (!n) return 0;
    f->has_default = true;
    int rc;
    if (cairn_yaml_is_null(n)) {
        memset(&f->default_value, 0, sizeof f->default_value);
        f->default_value.type = f->type;
        f->default_value.is_null = true;
    } else if ((rc = read_value(pc, n, "default", f->type, false, &f->default_value))) {
        return rc;
    }
    char buf[200];
    const char *why = value_violation(f, &f->default_value, buf, sizeof buf);
    if (why) return perr(pc, n, CAIRN_EPARSE, "default", "'%.60s' %s", n->scalar ? n->scalar : "", why);
    return 0;
}

static int read_labels(parse_ctx *pc, const cairn_yaml_node *map, cairn_dataset_field *f)
{
    const cairn_yaml_node *n;
    int rc = 0;
    f->classification = CAIRN_CLASS_INTERNAL;
    f->description = "";
    if ((n = cairn_yaml_get(map, "classification"))) {
        const char *c;
        if ((rc = read_str(pc, n, "classification", &c))) return rc;
        int i = name_index(class_names, 4, c);
        if (i < 0)
            return perr(pc, n, CAIRN_EPARSE, "classification",
                        "unknown classification '%s' (known: public, internal, confidential, pii)", c);
        f->classification = (cairn_classification)i;
    }
    if ((n = cairn_yaml_get(map, "description"))) rc = read_str(pc, n, "description", &f->description);
    if (rc == 0 && (n = cairn_yaml_get(map, "unique"))) rc = read_bool(pc, n, "unique", &f->unique);
    return rc;
}

static int read_field(parse_ctx *pc, const cairn_yaml_node *map, size_t index, cairn_dataset_field *f)
{
    char label[32];
    snprintf(label, sizeof label, "fields[%zu]", index);
    pc->field = label;
    if (map->kind != CAIRN_YAML_MAPPING) return expect_error(pc, map, NULL, "a mapping");
    const cairn_yaml_node *n = cairn_yaml_get(map, "name");
    if (!n) return perr(pc, map, CAIRN_EPARSE, NULL, "missing key 'name'");
    int rc = read_str(pc, n, "name", &f->name);
    if (rc) return rc;
    pc->field = f->name;
    f->line = map->line;
    f->column = map->column;
    f->nullable = true;
    f->max_length = -1;
    if ((rc = check_keys(pc, map, field_keys))) return rc;
    if (!(n = cairn_yaml_get(map, "type"))) return perr(pc, map, CAIRN_EPARSE, NULL, "missing key 'type'");
    const char *tname;
    if ((rc = read_str(pc, n, "type", &tname))) return rc;
    if (cairn_type_parse(tname, &f->type))
        return perr(pc, n, CAIRN_EPARSE, "type",
                    "unknown type '%s' (known: bool, int32, int64, float32, float64, string, "
                    "timestamp, date)", tname);
    if ((n = cairn_yaml_get(map, "nullable")) && (rc = read_bool(pc, n, "nullable", &f->nullable)))
        return rc;
    if ((rc = read_bounds(pc, map, f)) || (rc = read_allowed(pc, cairn_yaml_get(map, "allowed"), f)) ||
        (rc = read_string_rules(pc, map, f)) || (rc = read_labels(pc, map, f)) ||
        (rc = read_default(pc, map, f)))
        return rc;
    pc->field = NULL;
    return 0;
}

static int read_fields(parse_ctx *pc, const cairn_yaml_node *root)
{
    const cairn_yaml_node *n = cairn_yaml_get(root, "fields");
    if (!n) return perr(pc, root, CAIRN_EPARSE, NULL, "missing key 'fields'");
    if (n->kind != CAIRN_YAML_SEQUENCE || n->count == 0)
        return expect_error(pc, n, "fields", "a non-empty list of fields");
    cairn_dataset_schema *s = pc->schema;
    s->fields = cairn_arena_calloc(&s->arena, n->count, sizeof *s->fields);
    if (!s->fields) return oom(pc->err);
    for (size_t i = 0; i < n->count; i++) {
        int rc = read_field(pc, n->items[i], i, &s->fields[i]);
        if (rc) return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(s->fields[j].name, s->fields[i].name)) {
                pc->field = s->fields[i].name;
                return perr(pc, cairn_yaml_get(n->items[i], "name"), CAIRN_EPARSE, "name",
                            "duplicate field name (first declared at line %lld)",
                            (long long)s->fields[j].line);
            }
        s->nfields = i + 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * YAML: the dataset-level declarations
 * ---------------------------------------------------------------------------------------- */

/* A column named at node n for `key` must be a field (of a time type when need_time). */
static int check_column(parse_ctx *pc, const cairn_yaml_node *n, const char *key,
                        const char *name, bool need_time)
{
    const cairn_dataset_field *f = cairn_dataset_schema_find(pc->schema, name);
    if (!f) return perr(pc, n, CAIRN_EPARSE, key, "'%s' is not a field of the schema", name);
    if (need_time && !is_time_type(f->type))
        return perr(pc, n, CAIRN_ETYPE, key, "'%s' is %s; expected a timestamp or date field",
                    name, cairn_type_name(f->type));
    return 0;
}

static int read_primary_key(parse_ctx *pc, const cairn_yaml_node *root)
{
    const cairn_yaml_node *n = cairn_yaml_get(root, "primary_key");
    if (!n) return 0;
    bool one = n->kind == CAIRN_YAML_SCALAR;
    if (!one && n->kind != CAIRN_YAML_SEQUENCE) return expect_error(pc, n, "primary_key", "a list of field names");
    size_t count = one ? 1 : n->count;
    cairn_dataset_schema *s = pc->schema;
    s->primary_key = cairn_arena_calloc(&s->arena, count ? count : 1, sizeof *s->primary_key);
    if (!s->primary_key) return oom(pc->err);
    for (size_t i = 0; i < count; i++) {
        const cairn_yaml_node *item = one ? n : n->items[i];
        int rc = read_str(pc, item, "primary_key", &s->primary_key[i]);
        if (rc == 0) rc = check_column(pc, item, "primary_key", s->primary_key[i], false);
        if (rc) return rc;
    }
    s->nprimary_key = count;
    return 0;
}

static int read_partition(parse_ctx *pc, const cairn_yaml_node *root)
{
    const cairn_yaml_node *n = cairn_yaml_get(root, "partition");
    if (!n) return 0;
    if (n->kind != CAIRN_YAML_MAPPING) return expect_error(pc, n, "partition", "a mapping {by, column}");
    int rc = check_keys(pc, n, partition_keys);
    if (rc) return rc;
    const cairn_yaml_node *by = cairn_yaml_get(n, "by"), *col = cairn_yaml_get(n, "column");
    const char *kind;
    if (!by) return perr(pc, n, CAIRN_EPARSE, "partition", "missing key 'by'");
    if ((rc = read_str(pc, by, "by", &kind))) return rc;
    int k = name_index(partition_names, 4, kind);
    if (k < 0) return perr(pc, by, CAIRN_EPARSE, "by", "unknown partitioning '%s' (known: none, day, month, value)", kind);
    cairn_dataset_schema *s = pc->schema;
    s->partition = (cairn_partition_kind)k;
    if (k == CAIRN_PARTITION_NONE) return 0;
    if (!col) return perr(pc, n, CAIRN_EPARSE, "partition", "missing key 'column'");
    if ((rc = read_str(pc, col, "column", &s->partition_column))) return rc;
    return check_column(pc, col, "column", s->partition_column, k != CAIRN_PARTITION_VALUE);
}

/* YAML to JSON for the free-form checks: plain scalars become null, booleans or numbers
 * when they read as such. NULL on ENOMEM. */
static json_t *yaml_to_json(const cairn_yaml_node *n)
{
    if (n->kind == CAIRN_YAML_SCALAR) {
        const char *s = n->scalar;
        char *end;
        if (n->quoted) return json_string(s);
        if (cairn_yaml_is_null(n)) return json_null();
        if (!strcmp(s, "true") || !strcmp(s, "false")) return json_boolean(!strcmp(s, "true"));
        errno = 0;
        long long i = strtoll(s, &end, 10);
        if (!*end && !errno) return json_integer(i);
        double d = strtod(s, &end);
        if (!*end && isfinite(d)) return json_real(d);
        return json_string(s);
    }
    json_t *out = n->kind == CAIRN_YAML_SEQUENCE ? json_array() : json_object();
    for (size_t i = 0; out && i < n->count; i++) {
        json_t *v = yaml_to_json(n->items[i]);
        int rc = !v ? -1
                    : n->kind == CAIRN_YAML_SEQUENCE ? json_array_append_new(out, v)
                                                     : json_object_set_new(out, n->keys[i]->scalar, v);
        if (rc) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static int read_dataset(parse_ctx *pc, const cairn_yaml_node *root)
{
    cairn_dataset_schema *s = pc->schema;
    const cairn_yaml_node *n;
    int rc = check_keys(pc, root, top_keys);
    if (rc) return rc;
    if (!(n = cairn_yaml_get(root, "dataset"))) return perr(pc, root, CAIRN_EPARSE, NULL, "missing key 'dataset'");
    if ((rc = read_str(pc, n, "dataset", &s->name))) return rc;
    if (!s->name[0]) return expect_error(pc, n, "dataset", "a name");
    if ((rc = read_fields(pc, root)) || (rc = read_primary_key(pc, root))) return rc;
    if ((n = cairn_yaml_get(root, "event_time")) &&
        ((rc = read_str(pc, n, "event_time", &s->event_time)) ||
         (rc = check_column(pc, n, "event_time", s->event_time, true))))
        return rc;
    if ((rc = read_partition(pc, root))) return rc;
    if ((n = cairn_yaml_get(root, "checks"))) {
        if (n->kind != CAIRN_YAML_SEQUENCE) return expect_error(pc, n, "checks", "a list of checks");
        for (size_t i = 0; i < n->count; i++)
            if (n->items[i]->kind != CAIRN_YAML_MAPPING) return expect_error(pc, n->items[i], "checks", "a mapping");
        json_t *checks = yaml_to_json(n);
        if (!checks) return oom(pc->err);
        json_decref(s->checks);
        s->checks = checks;
        if ((rc = cairn__checks_validate(pc->doc, n, checks, s, pc->err))) return rc;
    }
    return 0;
}

static int schema_from_doc(const cairn_yaml_doc *doc, cairn_dataset_schema **out, cairn_error *err)
{
    const cairn_yaml_node *root = cairn_yaml_root(doc);
    parse_ctx pc = {doc, NULL, err, NULL};
    if (!root || root->kind != CAIRN_YAML_MAPPING)
        return cairn_yaml_error(doc, root, CAIRN_EPARSE, err, "expected a mapping with keys dataset and fields");
    if (schema_new(&pc.schema)) return oom(err);
    int rc = read_dataset(&pc, root);
    if (rc) {
        cairn_dataset_schema_free(pc.schema);
        return rc;
    }
    *out = pc.schema;
    return 0;
}

int cairn_dataset_schema_parse(const char *data, size_t len, const char *name,
                               cairn_dataset_schema **out, cairn_error *err)
{
    cairn_yaml_doc *doc;
    int rc = cairn_yaml_parse(data, len, name, &doc, err);
    if (rc) return rc;
    rc = schema_from_doc(doc, out, err);
    cairn_yaml_free(doc);
    return rc;
}

int cairn_dataset_schema_load(const char *path, cairn_dataset_schema **out, cairn_error *err)
{
    cairn_yaml_doc *doc;
    int rc = cairn_yaml_load_file(path, &doc, err);
    if (rc) return rc;
    rc = schema_from_doc(doc, out, err);
    cairn_yaml_free(doc);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Canonical JSON
 * ---------------------------------------------------------------------------------------- */

static json_t *opt_string(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *field_to_json(const cairn_dataset_field *f)
{
    json_t *allowed = json_array();
    for (size_t i = 0; allowed && i < f->nallowed; i++)
        if (json_array_append_new(allowed, json_string(f->allowed[i]))) {
            json_decref(allowed);
            return NULL;
        }
    if (!allowed) return NULL;
    return json_pack("{s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:I, s:b, s:b, s:o, s:s, s:s}",
                     "name", f->name, "type", cairn_type_name(f->type), "nullable", f->nullable,
                     "min", f->has_min ? value_to_json(&f->min) : json_null(),
                     "max", f->has_max ? value_to_json(&f->max) : json_null(),
                     "allowed", allowed, "pattern", opt_string(f->pattern),
                     "max_length", (json_int_t)f->max_length, "unique", f->unique,
                     "has_default", f->has_default,
                     "default", f->has_default ? value_to_json(&f->default_value) : json_null(),
                     "classification", cairn_classification_name(f->classification),
                     "description", f->description);
}

int cairn_dataset_schema_to_json(const cairn_dataset_schema *schema, json_t **out)
{
    json_t *fields = json_array(), *pk = json_array();
    for (size_t i = 0; fields && i < schema->nfields; i++) {
        json_t *f = field_to_json(&schema->fields[i]);
        if (!f || json_array_append_new(fields, f)) json_decref(fields), fields = NULL;
    }
    for (size_t i = 0; pk && i < schema->nprimary_key; i++)
        if (json_array_append_new(pk, json_string(schema->primary_key[i])))
            json_decref(pk), pk = NULL;
    json_t *checks = json_deep_copy(schema->checks);
    if (!fields || !pk || !checks) {
        json_decref(fields), json_decref(pk), json_decref(checks);
        return CAIRN_ENOMEM;
    }
    json_t *doc = json_pack("{s:s, s:o, s:o, s:{s:s, s:o}, s:o, s:o}", "dataset", schema->name,
                            "primary_key", pk, "event_time", opt_string(schema->event_time),
                            "partition", "by", partition_names[schema->partition], "column",
                            opt_string(schema->partition_column), "fields", fields, "checks",
                            checks);
    if (!doc) return CAIRN_ENOMEM; /* json_pack's "o" steals the references even on failure */
    *out = doc;
    return 0;
}

int cairn_dataset_schema_hash(const cairn_dataset_schema *schema, char out[65])
{
    json_t *doc;
    int rc = cairn_dataset_schema_to_json(schema, &doc);
    if (rc) return rc;
    cairn_buf text;
    cairn_buf_init(&text, 0);
    rc = cairn_json_dump(doc, 0, &text);
    json_decref(doc);
    if (rc == 0) {
        uint8_t digest[CAIRN_SHA256_LEN];
        cairn_sha256_digest(text.data, text.len, digest);
        cairn_hex_encode(digest, sizeof digest, out);
    }
    cairn_buf_release(&text);
    return rc;
}

/* from_json: errors say which key of which field is wrong. */
typedef struct json_ctx {
    cairn_dataset_schema *schema;
    cairn_error *err;
    const char *field;
} json_ctx;

static int jerr(json_ctx *jc, const char *key, const char *expected)
{
    return cairn_error_set(jc->err, CAIRN_EPARSE, "canonical schema: %s%s%skey '%s': expected %s",
                           jc->field ? "field '" : "", jc->field ? jc->field : "",
                           jc->field ? "': " : "", key, expected);
}

/* A string member (or NULL when null and nullable_ok), copied into the arena. */
static int jstr(json_ctx *jc, const json_t *obj, const char *key, bool null_ok, const char **out)
{
    const json_t *v = json_object_get(obj, key);
    if (null_ok && json_is_null(v)) return *out = NULL, 0;
    if (!json_is_string(v)) return jerr(jc, key, "a string");
    *out = cairn_arena_strdup(&jc->schema->arena, json_string_value(v));
    return *out ? 0 : oom(jc->err);
}

static int jbool(json_ctx *jc, const json_t *obj, const char *key, bool *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_boolean(v)) return jerr(jc, key, "true or false");
    *out = json_is_true(v);
    return 0;
}

static int jvalue(json_ctx *jc, const json_t *obj, const char *key, cairn_type type, bool *has,
                  cairn_value *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!v) return jerr(jc, key, "a value or null");
    if (has && json_is_null(v)) return *has = false, 0;
    int rc = value_from_json(&jc->schema->arena, type, v, out);
    if (rc == CAIRN_ENOMEM) return oom(jc->err);
    if (rc) return jerr(jc, key, cairn_type_name(type));
    if (has) *has = true;
    return 0;
}

static cairn_type widened(cairn_type t)
{
    if (t == CAIRN_TYPE_INT32) return CAIRN_TYPE_INT64;
    return t == CAIRN_TYPE_FLOAT32 ? CAIRN_TYPE_FLOAT64 : t;
}

static int field_from_json(json_ctx *jc, const json_t *j, cairn_dataset_field *f)
{
    const char *s;
    int rc;
    jc->field = NULL;
    if ((rc = jstr(jc, j, "name", false, &f->name))) return rc;
    jc->field = f->name;
    if ((rc = jstr(jc, j, "type", false, &s))) return rc;
    if (cairn_type_parse(s, &f->type)) return jerr(jc, "type", "a type name");
    const json_t *allowed = json_object_get(j, "allowed"), *len = json_object_get(j, "max_length");
    if ((rc = jbool(jc, j, "nullable", &f->nullable)) ||
        (rc = jvalue(jc, j, "min", widened(f->type), &f->has_min, &f->min)) ||
        (rc = jvalue(jc, j, "max", widened(f->type), &f->has_max, &f->max)) ||
        (rc = jstr(jc, j, "pattern", true, &f->pattern)) || (rc = jbool(jc, j, "unique", &f->unique)) ||
        (rc = jbool(jc, j, "has_default", &f->has_default)) ||
        (rc = jstr(jc, j, "description", false, &f->description)) ||
        (rc = jstr(jc, j, "classification", false, &s)))
        return rc;
    int c = name_index(class_names, 4, s);
    if (c < 0) return jerr(jc, "classification", "public, internal, confidential or pii");
    f->classification = (cairn_classification)c;
    if (f->has_default && (rc = jvalue(jc, j, "default", f->type, NULL, &f->default_value))) return rc;
    if (!json_is_integer(len)) return jerr(jc, "max_length", "an integer");
    f->max_length = json_integer_value(len);
    if (!json_is_array(allowed)) return jerr(jc, "allowed", "a list");
    f->nallowed = json_array_size(allowed);
    const char **vals = cairn_arena_calloc(&jc->schema->arena, f->nallowed + 1, sizeof *vals);
    if (!vals) return oom(jc->err);
    for (size_t i = 0; i < f->nallowed; i++) {
        const json_t *a = json_array_get(allowed, i);
        if (!json_is_string(a)) return jerr(jc, "allowed", "a list of strings");
        if (!(vals[i] = cairn_arena_strdup(&jc->schema->arena, json_string_value(a)))) return oom(jc->err);
    }
    f->allowed = f->nallowed ? vals : NULL;
    return 0;
}

static int dataset_from_json(json_ctx *jc, const json_t *j)
{
    cairn_dataset_schema *s = jc->schema;
    const json_t *fields = json_object_get(j, "fields"), *pk = json_object_get(j, "primary_key");
    const json_t *part = json_object_get(j, "partition"), *checks = json_object_get(j, "checks");
    const char *by;
    int rc;
    if ((rc = jstr(jc, j, "dataset", false, &s->name)) ||
        (rc = jstr(jc, j, "event_time", true, &s->event_time)))
        return rc;
    if (!json_is_array(fields) || !json_array_size(fields)) return jerr(jc, "fields", "a non-empty list");
    if (!json_is_array(pk)) return jerr(jc, "primary_key", "a list");
    if (!json_is_object(part)) return jerr(jc, "partition", "an object");
    if (!json_is_array(checks)) return jerr(jc, "checks", "a list");
    if ((rc = jstr(jc, part, "by", false, &by)) ||
        (rc = jstr(jc, part, "column", true, &s->partition_column)))
        return rc;
    int k = name_index(partition_names, 4, by);
    if (k < 0) return jerr(jc, "by", "none, day, month or value");
    s->partition = (cairn_partition_kind)k;
    s->fields = cairn_arena_calloc(&s->arena, json_array_size(fields), sizeof *s->fields);
    s->primary_key = cairn_arena_calloc(&s->arena, json_array_size(pk) + 1, sizeof *s->primary_key);
    if (!s->fields || !s->primary_key) return oom(jc->err);
    for (size_t i = 0; i < json_array_size(fields); i++, s->nfields++)
        if ((rc = field_from_json(jc, json_array_get(fields, i), &s->fields[i]))) return rc;
    jc->field = NULL;
    for (size_t i = 0; i < json_array_size(pk); i++, s->nprimary_key++) {
        const json_t *p = json_array_get(pk, i);
        if (!json_is_string(p)) return jerr(jc, "primary_key", "a list of names");
        if (!(s->primary_key[i] = cairn_arena_strdup(&s->arena, json_string_value(p)))) return oom(jc->err);
    }
    json_t *copy = json_deep_copy(checks);
    if (!copy) return oom(jc->err);
    json_decref(s->checks);
    s->checks = copy;
    return 0;
}

int cairn_dataset_schema_from_json(const json_t *json, cairn_dataset_schema **out,
                                   cairn_error *err)
{
    json_ctx jc = {NULL, err, NULL};
    if (!json_is_object(json)) return cairn_error_set(err, CAIRN_EPARSE, "canonical schema: expected an object");
    if (schema_new(&jc.schema)) return oom(err);
    int rc = dataset_from_json(&jc, json);
    if (rc) {
        cairn_dataset_schema_free(jc.schema);
        return rc;
    }
    *out = jc.schema;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Accessors
 * ---------------------------------------------------------------------------------------- */

const char *cairn_dataset_schema_name(const cairn_dataset_schema *schema) { return schema->name; }

size_t cairn_dataset_schema_num_fields(const cairn_dataset_schema *schema) { return schema->nfields; }

const cairn_dataset_field *cairn_dataset_schema_field(const cairn_dataset_schema *schema,
                                                      size_t index)
{
    return index < schema->nfields ? &schema->fields[index] : NULL;
}

const cairn_dataset_field *cairn_dataset_schema_find(const cairn_dataset_schema *schema,
                                                     const char *name)
{
    for (size_t i = 0; i < schema->nfields; i++)
        if (!strcmp(schema->fields[i].name, name)) return &schema->fields[i];
    return NULL;
}

const char *const *cairn_dataset_schema_primary_key(const cairn_dataset_schema *schema, size_t *n)
{
    *n = schema->nprimary_key;
    return schema->primary_key;
}

const char *cairn_dataset_schema_event_time(const cairn_dataset_schema *schema)
{
    return schema->event_time;
}

cairn_partition_kind cairn_dataset_schema_partition(const cairn_dataset_schema *schema,
                                                    const char **column)
{
    if (column) *column = schema->partition_column;
    return schema->partition;
}

const json_t *cairn_dataset_schema_checks(const cairn_dataset_schema *schema) { return schema->checks; }

int cairn_dataset_schema_fields(const cairn_dataset_schema *schema, cairn_field **out)
{
    cairn_field *fields = cairn_calloc(schema->nfields ? schema->nfields : 1, sizeof *fields);
    if (!fields) return CAIRN_ENOMEM;
    for (size_t i = 0; i < schema->nfields; i++)
        fields[i] = (cairn_field){schema->fields[i].name, schema->fields[i].type,
                                  schema->fields[i].nullable};
    *out = fields;
    return 0;
}
