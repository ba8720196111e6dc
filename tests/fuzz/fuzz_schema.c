/* tests/fuzz/fuzz_schema.c: dataset schemas (src/ingest/schema.c, with the dataset-level checks
 * of src/ingest/checks.c) on arbitrary YAML bytes. A schema that parses is also turned into
 * canonical JSON and back, and the two must hash the same.
 * Seed corpus: tests/fuzz/corpus/schema/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cairn_dataset_schema *s = NULL, *back = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    if (cairn_dataset_schema_parse((const char *)data, size, "fuzz.yaml", &s, &err) != 0) {
        char msg[1024];
        cairn_error_format(&err, msg, sizeof msg);
        return 0;
    }
    json_t *j = NULL;
    char h1[65], h2[65];
    if (cairn_dataset_schema_to_json(s, &j) == 0) {
        if (cairn_dataset_schema_from_json(j, &back, &err) == 0) {
            if (cairn_dataset_schema_hash(s, h1) == 0 && cairn_dataset_schema_hash(back, h2) == 0 &&
                strcmp(h1, h2) != 0)
                abort(); /* canonical JSON must round-trip */
            cairn_dataset_schema_free(back);
        }
        json_decref(j);
    }
    cairn_dataset_schema_free(s);
    return 0;
}
