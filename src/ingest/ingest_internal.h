/* src/ingest/ingest_internal.h: what schema.c and registry.c share privately.
 *
 * The compatibility check is one function with a `phrasing` argument, so that the registry can
 * word each issue from the point of view of the change being made ("added without a default")
 * while the public cairn_schema_can_read words it neutrally (reader vs writer).
 *
 * The dataset-level checks are validated by checks.c while schema.c loads the YAML, so that
 * their errors can point at the YAML node.
 *
 * Tests: tests/unit/ingest/test_registry.c, tests/unit/ingest/test_checks.c.
 */
#ifndef CAIRN_INGEST_INTERNAL_H
#define CAIRN_INGEST_INTERNAL_H

#include "cairn/ingest.h"
#include "cairn/yaml.h"

typedef enum cairn__compat_phrasing {
    CAIRN__PHRASE_NEUTRAL = 0,  /* "reader" and "writer" */
    CAIRN__PHRASE_BACKWARD = 1, /* the reader is the new schema, the writer an old version */
    CAIRN__PHRASE_FORWARD = 2,  /* the reader is an old version, the writer the new schema */
} cairn__compat_phrasing;

/* cairn_schema_can_read with the issues worded per `phrasing` and tagged with
 * against_version; issues are appended to *issues (which may already hold *count). */
int cairn__schema_can_read(const cairn_dataset_schema *reader,
                           const cairn_dataset_schema *writer, cairn__compat_phrasing phrasing,
                           int64_t against_version, bool *compatible,
                           cairn_compat_issue **issues, size_t *count);

/* Validates each dataset-level check (src/ingest/checks.c): `list` is the YAML sequence under
 * `checks:` (every item a mapping), `checks` its JSON form, schema the schema being loaded
 * (its fields complete). The first bad check fails with CAIRN_EPARSE or CAIRN_ETYPE and err
 * located at the offending node: "schema.yaml:31:20: checks[2]: key 'q': expected a number
 * between 0 and 1, found '1.5'". */
int cairn__checks_validate(const cairn_yaml_doc *doc, const cairn_yaml_node *list,
                           const json_t *checks, const cairn_dataset_schema *schema,
                           cairn_error *err);

#endif
