/* tests/fuzz/fuzz_json.c: JSON parsing (jansson through src/core/json.c) and our serializer:
 * whatever parses must serialize, and the serialized text must parse back to an equal value.
 * Seed corpus: tests/fuzz/corpus/json/. */
#include <stdint.h>
#include <stdlib.h>

#include "cairn/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = NULL;
    if (cairn_json_parse((const char *)data, size, "fuzz.json", &v, NULL) != 0) return 0;
    cairn_buf b;
    cairn_buf_init(&b, 0);
    for (int flags = 0; flags <= CAIRN_JSON_PRETTY; flags++) {
        cairn_buf_reset(&b);
        if (cairn_json_dump(v, flags, &b) != 0) abort();
        json_t *back = NULL;
        if (cairn_json_parse(b.data, b.len, "round-trip", &back, NULL) != 0) abort();
        if (!json_equal(v, back)) abort();
        json_decref(back);
    }
    cairn_buf_release(&b);
    json_decref(v);
    return 0;
}
