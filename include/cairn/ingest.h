/* cairn/ingest.h: dataset schemas and the schema registry (the first part of ingestion).
 *
 * A dataset schema is a YAML file (examples/flights/schema.yaml):
 *
 *   dataset: flights
 *   primary_key: [date, origin, destination]
 *   event_time: date
 *   partition: {by: day, column: date}        # day | month (of a timestamp/date) | value
 *   fields:
 *     - {name: date, type: timestamp, nullable: false, classification: internal}
 *     - name: delay
 *       type: int64
 *       min: -1440
 *       max: 2880
 *       default: 0
 *     - {name: origin, type: string, pattern: "^[A-Z0-9]{3}$", max_length: 3}
 *     - {name: status, type: string, allowed: [on_time, late, cancelled]}
 *     - {name: email, type: string, classification: pii, unique: true}
 *   checks:                                   # dataset-level; validated by a later part
 *     - {completeness: delay, at_least: 0.99}
 *
 * Field keys: name, type (cairn_type_parse names), nullable (default true), min, max (numbers
 * for numeric fields, ISO-8601 for timestamp/date fields), allowed (list of values), pattern
 * (POSIX extended regular expression, whole value must match), max_length (bytes), unique,
 * default (a value of the field's type, or null), classification (public | internal |
 * confidential | pii; default internal), description. An unknown key, a wrong type or an
 * inconsistent declaration (min > max, a primary key or event_time naming no field, a
 * pattern that does not compile, a default outside the constraints) fails with
 * CAIRN_EPARSE/CAIRN_ETYPE and err naming file, line, column and key.
 *
 * The registry keeps, per subject (by default the dataset's name), numbered versions of
 * schemas in the catalog and a compatibility mode (Confluent's): BACKWARD (default), its
 * _TRANSITIVE form, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE, judged with
 * Avro's resolution rules (fields matched by name; a reader-only field needs a default; type
 * promotions int32 -> int64/float32/float64, int64 -> float32/float64, float32 -> float64,
 * date -> timestamp; nullability may be widened by a reader, never narrowed). Registering a
 * schema equal to the latest version (same canonical JSON) returns that version.
 */
#ifndef CAIRN_INGEST_H
#define CAIRN_INGEST_H

#include "catalog.h"
#include "json.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cairn_classification {
    CAIRN_CLASS_PUBLIC = 0,
    CAIRN_CLASS_INTERNAL = 1,
    CAIRN_CLASS_CONFIDENTIAL = 2,
    CAIRN_CLASS_PII = 3,
} cairn_classification;

typedef enum cairn_partition_kind {
    CAIRN_PARTITION_NONE = 0,
    CAIRN_PARTITION_DAY = 1,   /* key=YYYY-MM-DD of a timestamp or date column */
    CAIRN_PARTITION_MONTH = 2, /* key=YYYY-MM */
    CAIRN_PARTITION_VALUE = 3, /* key=<the column's value> */
} cairn_partition_kind;

/* One field. Strings are owned by the schema; valid until cairn_dataset_schema_free. */
typedef struct cairn_dataset_field {
    const char *name;
    cairn_type type;
    bool nullable;
    bool has_min, has_max;
    cairn_value min, max; /* of the field's type (numbers widened: int64 or float64) */
    const char *const *allowed; /* NULL or allowed values as text, count in nallowed */
    size_t nallowed;
    const char *pattern;  /* NULL or a POSIX ERE */
    int64_t max_length;   /* -1 = none */
    bool unique;
    bool has_default;
    cairn_value default_value; /* is_null for "default: null" */
    cairn_classification classification;
    const char *description; /* "" when absent */
    int64_t line, column;    /* where the field is declared */
} cairn_dataset_field;

typedef struct cairn_dataset_schema cairn_dataset_schema;

int cairn_dataset_schema_load(const char *path, cairn_dataset_schema **out, cairn_error *err);
int cairn_dataset_schema_parse(const char *data, size_t len, const char *name,
                               cairn_dataset_schema **out, cairn_error *err);
/* From canonical JSON (as stored by the registry). */
int cairn_dataset_schema_from_json(const json_t *json, cairn_dataset_schema **out,
                                   cairn_error *err);
void cairn_dataset_schema_free(cairn_dataset_schema *schema);

const char *cairn_dataset_schema_name(const cairn_dataset_schema *schema);
size_t cairn_dataset_schema_num_fields(const cairn_dataset_schema *schema);
const cairn_dataset_field *cairn_dataset_schema_field(const cairn_dataset_schema *schema,
                                                      size_t index);
const cairn_dataset_field *cairn_dataset_schema_find(const cairn_dataset_schema *schema,
                                                     const char *name);
/* Primary key column names (borrowed); count in *n (0 = none). */
const char *const *cairn_dataset_schema_primary_key(const cairn_dataset_schema *schema,
                                                    size_t *n);
const char *cairn_dataset_schema_event_time(const cairn_dataset_schema *schema); /* or NULL */
cairn_partition_kind cairn_dataset_schema_partition(const cairn_dataset_schema *schema,
                                                    const char **column);
/* The dataset-level checks as written (a JSON array, borrowed; empty when none). */
const json_t *cairn_dataset_schema_checks(const cairn_dataset_schema *schema);
/* The schema as the reader's explicit fields (borrowing the schema's names); cairn_free. */
int cairn_dataset_schema_fields(const cairn_dataset_schema *schema, cairn_field **out);
/* Canonical JSON: keys in a fixed order, defaults spelled out, so equal schemas give equal
 * text; *out is a new reference. */
int cairn_dataset_schema_to_json(const cairn_dataset_schema *schema, json_t **out);
/* SHA-256 of the canonical JSON text, as lower-case hex (65 bytes with the NUL). */
int cairn_dataset_schema_hash(const cairn_dataset_schema *schema, char out[65]);
const char *cairn_classification_name(cairn_classification c);

/* ------------------------------------------------------------------------------------------
 * Compatibility and the registry
 * ---------------------------------------------------------------------------------------- */

typedef enum cairn_compat_mode {
    CAIRN_COMPAT_BACKWARD = 0,
    CAIRN_COMPAT_BACKWARD_TRANSITIVE = 1,
    CAIRN_COMPAT_FORWARD = 2,
    CAIRN_COMPAT_FORWARD_TRANSITIVE = 3,
    CAIRN_COMPAT_FULL = 4,
    CAIRN_COMPAT_FULL_TRANSITIVE = 5,
    CAIRN_COMPAT_NONE = 6,
} cairn_compat_mode;

const char *cairn_compat_name(cairn_compat_mode mode); /* "BACKWARD", ... */
int cairn_compat_parse(const char *name, cairn_compat_mode *out); /* case-insensitive */

/* One reason a change is refused. */
typedef struct cairn_compat_issue {
    char field[128];
    char reason[256];   /* e.g. "added without a default: old data cannot be read" */
    int64_t against_version; /* the registered version it conflicts with (0 = n/a) */
} cairn_compat_issue;

/* Can data written with `writer` be read with `reader` (Avro resolution)? Appends one issue
 * per incompatible field to *issues (cairn_free; *count entries). Returns 0 either way;
 * *compatible says the verdict. */
int cairn_schema_can_read(const cairn_dataset_schema *reader,
                          const cairn_dataset_schema *writer, bool *compatible,
                          cairn_compat_issue **issues, size_t *count);

typedef struct cairn_registry_version {
    int64_t version;
    char hash[65];
    char registered_at[CAIRN_TIME_FMT_LEN];
} cairn_registry_version;

/* Checks schema against the subject's versions under its mode without registering.
 * *issues lists every incompatible field (cairn_free). */
int cairn_registry_check(cairn_catalog *catalog, const char *subject,
                         const cairn_dataset_schema *schema, bool *compatible,
                         cairn_compat_issue **issues, size_t *count, cairn_error *err);
/* Registers schema as the subject's next version (in one transaction), or returns the
 * latest version when it is identical. A refused change fails with CAIRN_ECONFLICT, err's
 * message naming every incompatible field, and *issues (when not NULL) listing them. */
int cairn_registry_register(cairn_catalog *catalog, const char *subject,
                            const cairn_dataset_schema *schema, int64_t *version,
                            bool *created, cairn_compat_issue **issues, size_t *count,
                            cairn_error *err);
/* Version 0 = the latest. CAIRN_ENOTFOUND when absent. */
int cairn_registry_get(cairn_catalog *catalog, const char *subject, int64_t version,
                       cairn_dataset_schema **out, int64_t *found_version, cairn_error *err);
int cairn_registry_versions(cairn_catalog *catalog, const char *subject,
                            cairn_registry_version **out, size_t *count, cairn_error *err);
/* Subjects in name order (cairn_free each name and the array). */
int cairn_registry_subjects(cairn_catalog *catalog, char ***out, size_t *count,
                            cairn_error *err);
int cairn_registry_set_mode(cairn_catalog *catalog, const char *subject,
                            cairn_compat_mode mode, cairn_error *err);
int cairn_registry_get_mode(cairn_catalog *catalog, const char *subject,
                            cairn_compat_mode *mode, cairn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_INGEST_H */
