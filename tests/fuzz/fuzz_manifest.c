/* tests/fuzz/fuzz_manifest.c: snapshot manifests (src/lake/manifest.c) on arbitrary bytes: the
 * decoder must refuse anything that is not a well-formed manifest with an error, never crash.
 * Seed corpus: tests/fuzz/corpus/manifest/. */
#include <stdint.h>
#include <stdlib.h>

#include "lake/lake_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cairn_snapshot *s = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    static const char id[] = "0000000000000000000000000000000000000000000000000000000000000000";
    if (cairn__manifest_decode((const char *)data, size, id, &s, &err) == 0) {
        cairn_snapshot_free(s);
    } else {
        char msg[1024];
        cairn_error_format(&err, msg, sizeof msg);
    }
    return 0;
}
