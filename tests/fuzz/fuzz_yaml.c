/* tests/fuzz/fuzz_yaml.c: the YAML tree builder (src/core/yaml.c) on arbitrary bytes.
 * Walks every node through the typed readers, so positions and messages are exercised too.
 * Seed corpus: tests/fuzz/corpus/yaml/. */
#include <stdint.h>
#include <stdlib.h>

#include "cairn/yaml.h"

static void walk(const cairn_yaml_doc *doc, const cairn_yaml_node *n, int depth)
{
    if (!n || depth > 64) return;
    cairn_error err;
    cairn_error_clear(&err);
    int64_t i;
    double d;
    bool b;
    const char *s;
    (void)cairn_yaml_int(doc, n, "x", &i, &err);
    (void)cairn_yaml_double(doc, n, "x", &d, &err);
    (void)cairn_yaml_bool(doc, n, "x", &b, &err);
    (void)cairn_yaml_str(doc, n, "x", &s, &err);
    (void)cairn_yaml_is_null(n);
    if (n->kind == CAIRN_YAML_SCALAR) return;
    for (size_t k = 0; k < n->count; k++) {
        if (n->kind == CAIRN_YAML_MAPPING) (void)cairn_yaml_get(n, n->keys[k]->scalar);
        walk(doc, n->items[k], depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cairn_yaml_doc *doc = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    if (cairn_yaml_parse((const char *)data, size, "fuzz.yaml", &doc, &err) == 0) {
        walk(doc, cairn_yaml_root(doc), 0);
        cairn_yaml_free(doc);
    } else {
        char msg[1024];
        cairn_error_format(&err, msg, sizeof msg);
    }
    return 0;
}
