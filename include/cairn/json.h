/* cairn/json.h: JSON helpers over jansson (64-bit integers, precision control, positions).
 *
 * Parsing reports the line and column of the first error in a cairn_error; output uses the
 * shortest representation that round-trips doubles. The json_t values are jansson's and
 * follow its reference counting (json_decref to release).
 */
#ifndef CAIRN_JSON_H
#define CAIRN_JSON_H

#include <jansson.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parses exactly one JSON value from data[0..len). name labels errors (a file name, or
 * "request body"). Duplicate object keys are rejected. *out is a new reference. */
int cairn_json_parse(const char *data, size_t len, const char *name, json_t **out,
                     cairn_error *err);
int cairn_json_load_file(const char *path, json_t **out, cairn_error *err);
/* Appends the compact (flags 0) or indented (CAIRN_JSON_PRETTY) text of value to buf. Reals
 * are written with the fewest digits that read back to the same double. */
#define CAIRN_JSON_PRETTY 1
int cairn_json_dump(const json_t *value, int flags, cairn_buf *buf);
/* Writes a double as JSON into buf: shortest round-trip form; NaN and infinities as null. */
int cairn_json_put_double(cairn_buf *buf, double v);
/* Appends s[0..len) as a quoted, escaped JSON string. */
int cairn_json_put_string(cairn_buf *buf, const char *s, size_t len);
/* Typed getters with clear errors: "key 'x': expected integer, found string". */
int cairn_json_get_int(const json_t *obj, const char *key, int64_t *out, cairn_error *err);
int cairn_json_get_double(const json_t *obj, const char *key, double *out, cairn_error *err);
int cairn_json_get_string(const json_t *obj, const char *key, const char **out,
                          cairn_error *err);
/* Shortest text for a double that parses back to the same bits ("%.17g" at most). out
 * needs 32 bytes. Returns the length. */
size_t cairn_format_double(double v, char *out, size_t cap);

/* A YAML node (include/cairn/yaml.h) as JSON: mappings as objects, sequences as arrays;
 * unquoted scalars by YAML 1.2's core schema (null, true/false, integers, reals; .inf and
 * .nan, which JSON cannot hold, as null), everything else as strings. *out is a new reference; CAIRN_ENOMEM only. */
struct cairn_yaml_node;
int cairn_yaml_to_json(const struct cairn_yaml_node *node, json_t **out);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_JSON_H */
