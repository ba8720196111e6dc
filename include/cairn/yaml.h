/* cairn/yaml.h: YAML documents as a small tree that remembers where each node came from.
 *
 * libyaml parses; the tree lives in one arena owned by the document, so a node pointer is
 * valid until cairn_yaml_free(). Every node carries its 1-based line and column, so that a
 * configuration error can say "schema.yaml:12:5: key 'max': expected number, found 'ten'".
 * Aliases are resolved (an alias shares its anchor's node); merge keys are not supported.
 */
#ifndef CAIRN_YAML_H
#define CAIRN_YAML_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cairn_yaml_kind {
    CAIRN_YAML_SCALAR = 1,
    CAIRN_YAML_SEQUENCE = 2,
    CAIRN_YAML_MAPPING = 3,
} cairn_yaml_kind;

typedef struct cairn_yaml_node cairn_yaml_node;
struct cairn_yaml_node {
    cairn_yaml_kind kind;
    int64_t line, column; /* 1-based */
    const char *scalar;   /* SCALAR: NUL-terminated text */
    size_t scalar_len;
    bool quoted;          /* SCALAR: written in quotes (never null/bool/number) */
    size_t count;         /* SEQUENCE: items; MAPPING: pairs */
    cairn_yaml_node **items;  /* SEQUENCE items, or MAPPING values */
    cairn_yaml_node **keys;   /* MAPPING keys (scalars) */
};

typedef struct cairn_yaml_doc cairn_yaml_doc;

int cairn_yaml_parse(const char *data, size_t len, const char *name, cairn_yaml_doc **out,
                     cairn_error *err);
int cairn_yaml_load_file(const char *path, cairn_yaml_doc **out, cairn_error *err);
void cairn_yaml_free(cairn_yaml_doc *doc);
/* The root node; NULL for an empty document. Valid until cairn_yaml_free. */
const cairn_yaml_node *cairn_yaml_root(const cairn_yaml_doc *doc);
const char *cairn_yaml_name(const cairn_yaml_doc *doc);

/* Looks a key up in a MAPPING; NULL if absent or node is not a mapping. */
const cairn_yaml_node *cairn_yaml_get(const cairn_yaml_node *map, const char *key);
/* Scalar readers. Each fails with CAIRN_ETYPE and a located message naming `what` (a key or
 * a description) when the node is missing, of the wrong kind, or does not parse. */
int cairn_yaml_str(const cairn_yaml_doc *doc, const cairn_yaml_node *node, const char *what,
                   const char **out, cairn_error *err);
int cairn_yaml_int(const cairn_yaml_doc *doc, const cairn_yaml_node *node, const char *what,
                   int64_t *out, cairn_error *err);
int cairn_yaml_double(const cairn_yaml_doc *doc, const cairn_yaml_node *node,
                      const char *what, double *out, cairn_error *err);
int cairn_yaml_bool(const cairn_yaml_doc *doc, const cairn_yaml_node *node, const char *what,
                    bool *out, cairn_error *err);
bool cairn_yaml_is_null(const cairn_yaml_node *node);
/* Fills err with doc's name and node's position, and a formatted message; returns code. */
int cairn_yaml_error(const cairn_yaml_doc *doc, const cairn_yaml_node *node, int code,
                     cairn_error *err, const char *fmt, ...) CAIRN_PRINTF(5, 6);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_YAML_H */
