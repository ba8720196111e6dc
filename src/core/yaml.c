/* yaml.c: YAML documents (libyaml) turned into a small tree with positions.
 *
 * libyaml's document API loads the first document; we copy it into cairn_yaml_node records
 * in one arena, memoised by libyaml node id so that aliases share their anchor's node. A
 * node being converted is marked, which turns a recursive alias into an error instead of a
 * cycle. Mapping keys must be unique scalars. Scalar readers follow YAML 1.2's core schema
 * (null: "", ~, null; booleans: true/false; integers in decimal) and report
 * "file:line:column: key 'k': expected integer, found 'x'".
 * Tests: tests/unit/core/test_yaml.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "cairn/json.h"
#include "cairn/yaml.h"

struct cairn_yaml_doc {
    cairn_arena arena;
    char *name;
    cairn_yaml_node *root;
};

typedef struct convert_state {
    yaml_document_t *doc;
    cairn_yaml_doc *out;
    cairn_yaml_node **memo; /* by libyaml node id - 1 */
    uint8_t *busy;
    cairn_error *err;
} convert_state;

static int node_error(convert_state *st, const yaml_node_t *n, int code, const char *msg)
{
    cairn_error_set(st->err, code, "%s", msg);
    cairn_error_at(st->err, st->out->name, (int64_t)n->start_mark.line + 1,
                   (int64_t)n->start_mark.column + 1);
    return code;
}

/* Nesting deeper than this is refused: conversion recurses once per level, and a
 * configuration has no business being deeper (a hostile file of 60,000 '[' would otherwise
 * overflow the stack). */
#define YAML_MAX_DEPTH 256

static int convert(convert_state *st, int id, int depth, cairn_yaml_node **out);

static int convert_children(convert_state *st, yaml_node_t *n, int depth, cairn_yaml_node *node)
{
    cairn_arena *a = &st->out->arena;
    int rc;
    if (n->type == YAML_SEQUENCE_NODE) {
        size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        node->items = cairn_arena_calloc(a, count ? count : 1, sizeof *node->items);
        if (!node->items) return cairn_error_set(st->err, CAIRN_ENOMEM, "out of memory");
        for (size_t i = 0; i < count; i++)
            if ((rc = convert(st, n->data.sequence.items.start[i], depth + 1, &node->items[i]))) return rc;
        node->count = count;
        return 0;
    }
    size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    node->items = cairn_arena_calloc(a, count ? count : 1, sizeof *node->items);
    node->keys = cairn_arena_calloc(a, count ? count : 1, sizeof *node->keys);
    if (!node->items || !node->keys) return cairn_error_set(st->err, CAIRN_ENOMEM, "out of memory");
    for (size_t i = 0; i < count; i++) {
        yaml_node_pair_t *pair = &n->data.mapping.pairs.start[i];
        if ((rc = convert(st, pair->key, depth + 1, &node->keys[i]))) return rc;
        if (node->keys[i]->kind != CAIRN_YAML_SCALAR)
            return node_error(st, yaml_document_get_node(st->doc, pair->key), CAIRN_EPARSE,
                              "mapping keys must be scalars");
        for (size_t j = 0; j < i; j++) {
            if (strcmp(node->keys[j]->scalar, node->keys[i]->scalar) == 0) {
                char msg[300];
                snprintf(msg, sizeof msg, "duplicate key '%.200s'", node->keys[i]->scalar);
                return node_error(st, yaml_document_get_node(st->doc, pair->key), CAIRN_EPARSE, msg);
            }
        }
        if ((rc = convert(st, pair->value, depth + 1, &node->items[i]))) return rc;
        node->count = i + 1;
    }
    return 0;
}

static int convert(convert_state *st, int id, int depth, cairn_yaml_node **out)
{
    yaml_node_t *n = yaml_document_get_node(st->doc, id);
    if (!n) return cairn_error_set(st->err, CAIRN_EINTERNAL, "YAML node %d missing", id);
    if (depth > YAML_MAX_DEPTH)
        return node_error(st, n, CAIRN_EPARSE, "nesting deeper than 256 levels");
    if (st->memo[id - 1]) {
        if (st->busy[id - 1]) return node_error(st, n, CAIRN_EPARSE, "recursive alias");
        *out = st->memo[id - 1];
        return 0;
    }
    cairn_yaml_node *node = cairn_arena_calloc(&st->out->arena, 1, sizeof *node);
    if (!node) return cairn_error_set(st->err, CAIRN_ENOMEM, "out of memory");
    node->line = (int64_t)n->start_mark.line + 1;
    node->column = (int64_t)n->start_mark.column + 1;
    st->memo[id - 1] = node;
    *out = node;
    if (n->type == YAML_SCALAR_NODE) {
        node->kind = CAIRN_YAML_SCALAR;
        node->scalar = cairn_arena_strndup(&st->out->arena, (const char *)n->data.scalar.value,
                                           n->data.scalar.length);
        if (!node->scalar) return cairn_error_set(st->err, CAIRN_ENOMEM, "out of memory");
        node->scalar_len = n->data.scalar.length;
        node->quoted = n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                       n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
                       n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                       n->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
        return 0;
    }
    node->kind = n->type == YAML_SEQUENCE_NODE ? CAIRN_YAML_SEQUENCE : CAIRN_YAML_MAPPING;
    st->busy[id - 1] = 1;
    int rc = convert_children(st, n, depth, node);
    st->busy[id - 1] = 0;
    return rc;
}

static int syntax_error(yaml_parser_t *p, const char *name, cairn_error *err)
{
    if (p->error == YAML_MEMORY_ERROR) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    yaml_mark_t mark = p->problem_mark;
    if (p->context)
        cairn_error_set(err, CAIRN_EPARSE, "YAML syntax error: %s %s", p->problem ? p->problem : "",
                        p->context);
    else
        cairn_error_set(err, CAIRN_EPARSE, "YAML syntax error: %s", p->problem ? p->problem : "");
    cairn_error_at(err, name, (int64_t)mark.line + 1, (int64_t)mark.column + 1);
    return CAIRN_EPARSE;
}

static int convert_document(yaml_document_t *ydoc, cairn_yaml_doc *doc, cairn_error *err)
{
    yaml_node_t *root = yaml_document_get_root_node(ydoc);
    if (!root) return 0;
    size_t count = (size_t)(ydoc->nodes.top - ydoc->nodes.start);
    convert_state st = {ydoc, doc, cairn_calloc(count, sizeof(cairn_yaml_node *)),
                        cairn_calloc(count, 1), err};
    int rc = (st.memo && st.busy) ? convert(&st, 1, 0, &doc->root)
                                  : cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    cairn_free(st.memo);
    cairn_free(st.busy);
    return rc;
}

int cairn_yaml_parse(const char *data, size_t len, const char *name, cairn_yaml_doc **out,
                     cairn_error *err)
{
    *out = NULL;
    cairn_yaml_doc *doc = cairn_calloc(1, sizeof *doc);
    if (!doc) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    cairn_arena_init(&doc->arena, 16 * 1024);
    doc->name = cairn_strdup(name ? name : "<yaml>");
    if (!doc->name) {
        cairn_yaml_free(doc);
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    }
    yaml_parser_t parser;
    yaml_document_t ydoc;
    if (!yaml_parser_initialize(&parser)) {
        cairn_yaml_free(doc);
        return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    int rc = 0;
    if (!yaml_parser_load(&parser, &ydoc)) {
        rc = syntax_error(&parser, doc->name, err);
    } else {
        rc = convert_document(&ydoc, doc, err);
        yaml_document_delete(&ydoc);
    }
    yaml_parser_delete(&parser);
    if (rc) {
        cairn_yaml_free(doc);
        return rc;
    }
    *out = doc;
    return 0;
}

int cairn_yaml_load_file(const char *path, cairn_yaml_doc **out, cairn_error *err)
{
    cairn_buf b;
    cairn_buf_init(&b, 64 << 20);
    int rc = cairn_file_read(path, &b, 64 << 20, err);
    if (rc == 0) rc = cairn_yaml_parse(b.data, b.len, path, out, err);
    cairn_buf_release(&b);
    return rc;
}

void cairn_yaml_free(cairn_yaml_doc *doc)
{
    if (!doc) return;
    cairn_arena_release(&doc->arena);
    cairn_free(doc->name);
    cairn_free(doc);
}

const cairn_yaml_node *cairn_yaml_root(const cairn_yaml_doc *doc)
{
    return doc->root;
}

const char *cairn_yaml_name(const cairn_yaml_doc *doc)
{
    return doc->name;
}

const cairn_yaml_node *cairn_yaml_get(const cairn_yaml_node *map, const char *key)
{
    if (!map || map->kind != CAIRN_YAML_MAPPING) return NULL;
    for (size_t i = 0; i < map->count; i++)
        if (strcmp(map->keys[i]->scalar, key) == 0) return map->items[i];
    return NULL;
}

int cairn_yaml_error(const cairn_yaml_doc *doc, const cairn_yaml_node *node, int code,
                     cairn_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cairn_error_setv(err, code, fmt, ap);
    va_end(ap);
    cairn_error_at(err, doc ? doc->name : NULL, node ? node->line : 0, node ? node->column : 0);
    return code;
}

bool cairn_yaml_is_null(const cairn_yaml_node *node)
{
    if (!node) return true;
    if (node->kind != CAIRN_YAML_SCALAR || node->quoted) return false;
    const char *s = node->scalar;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static int type_error(const cairn_yaml_doc *doc, const cairn_yaml_node *node, const char *what,
                      const char *expected, cairn_error *err)
{
    if (!node) {
        cairn_yaml_error(doc, NULL, CAIRN_ETYPE, err, "missing key '%s'", what);
    } else {
        cairn_yaml_error(doc, node, CAIRN_ETYPE, err, "'%s': expected %s", what, expected);
        if (node->kind == CAIRN_YAML_SCALAR)
            cairn_error_expect(err, expected, node->scalar, node->scalar_len);
        else
            cairn_error_expect(err, expected, node->kind == CAIRN_YAML_MAPPING ? "mapping" : "sequence",
                               node->kind == CAIRN_YAML_MAPPING ? 7 : 8);
    }
    cairn_error_field(err, what);
    return CAIRN_ETYPE;
}

int cairn_yaml_str(const cairn_yaml_doc *doc, const cairn_yaml_node *node, const char *what,
                   const char **out, cairn_error *err)
{
    if (!node || node->kind != CAIRN_YAML_SCALAR) return type_error(doc, node, what, "a string", err);
    *out = node->scalar;
    return 0;
}

int cairn_yaml_int(const cairn_yaml_doc *doc, const cairn_yaml_node *node, const char *what,
                   int64_t *out, cairn_error *err)
{
    if (!node || node->kind != CAIRN_YAML_SCALAR || node->quoted || !node->scalar_len)
        return type_error(doc, node, what, "an integer", err);
    char *end;
    errno = 0;
    long long v = strtoll(node->scalar, &end, 10);
    if (errno || *end || end == node->scalar) return type_error(doc, node, what, "an integer", err);
    *out = v;
    return 0;
}

int cairn_yaml_double(const cairn_yaml_doc *doc, const cairn_yaml_node *node,
                      const char *what, double *out, cairn_error *err)
{
    if (!node || node->kind != CAIRN_YAML_SCALAR || node->quoted || !node->scalar_len)
        return type_error(doc, node, what, "a number", err);
    const char *s = node->scalar;
    if (!strcasecmp(s, ".inf") || !strcasecmp(s, "+.inf")) return *out = INFINITY, 0;
    if (!strcasecmp(s, "-.inf")) return *out = -INFINITY, 0;
    if (!strcasecmp(s, ".nan")) return *out = NAN, 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno == ERANGE || *end || end == s || isnan(v) || isinf(v))
        return type_error(doc, node, what, "a number", err);
    *out = v;
    return 0;
}

int cairn_yaml_bool(const cairn_yaml_doc *doc, const cairn_yaml_node *node, const char *what,
                    bool *out, cairn_error *err)
{
    if (node && node->kind == CAIRN_YAML_SCALAR && !node->quoted) {
        const char *s = node->scalar;
        if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) return *out = true, 0;
        if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) return *out = false, 0;
    }
    return type_error(doc, node, what, "true or false", err);
}

/* ------------------------------------------------------------------------------------------
 * As JSON (cairn_yaml_to_json in include/cairn/json.h)
 * ---------------------------------------------------------------------------------------- */

static json_t *scalar_json(const cairn_yaml_node *n)
{
    if (cairn_yaml_is_null(n)) return json_null();
    if (!n->quoted) {
        bool b;
        int64_t i;
        double d;
        if (cairn_yaml_bool(NULL, n, "", &b, NULL) == 0) return json_boolean(b);
        if (cairn_yaml_int(NULL, n, "", &i, NULL) == 0) return json_integer(i);
        if (cairn_yaml_double(NULL, n, "", &d, NULL) == 0) return isfinite(d) ? json_real(d) : json_null();
    }
    return json_stringn(n->scalar, n->scalar_len);
}

int cairn_yaml_to_json(const cairn_yaml_node *node, json_t **out)
{
    json_t *v = NULL;
    *out = NULL;
    if (!node) return (*out = json_null()) ? 0 : CAIRN_ENOMEM;
    switch (node->kind) {
    case CAIRN_YAML_SCALAR: v = scalar_json(node); break;
    case CAIRN_YAML_SEQUENCE:
        v = json_array();
        for (size_t i = 0; v && i < node->count; i++) {
            json_t *it;
            if (cairn_yaml_to_json(node->items[i], &it) || json_array_append_new(v, it)) {
                json_decref(v);
                return CAIRN_ENOMEM;
            }
        }
        break;
    case CAIRN_YAML_MAPPING:
        v = json_object();
        for (size_t i = 0; v && i < node->count; i++) {
            json_t *it;
            if (cairn_yaml_to_json(node->items[i], &it) || json_object_set_new(v, node->keys[i]->scalar, it)) {
                json_decref(v);
                return CAIRN_ENOMEM;
            }
        }
        break;
    }
    if (!v) return CAIRN_ENOMEM;
    *out = v;
    return 0;
}
