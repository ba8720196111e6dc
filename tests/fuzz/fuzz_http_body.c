/* tests/fuzz/fuzz_http_body.c: the get-online-features request parser
 * (cairn__features_request_parse in src/serve/routes_features.c) on arbitrary bytes, as the
 * server would receive them in a POST body. A body either parses into a request whose
 * fields hold what the parser promises, or fails with a message; nothing leaks or crashes.
 * Seed corpus: tests/fuzz/corpus/http_body/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cairn_arena arena;
    cairn_arena_init(&arena, 4096);
    cairn__features_request req;
    cairn_error err;
    cairn_error_clear(&err);
    int rc = cairn__features_request_parse((const char *)data, size, &arena, &req, &err);
    if (rc != 0) {
        if (err.message[0] == '\0') abort(); /* a refusal always says why */
    } else {
        if (!req.service && req.nfeatures == 0) abort();
        if (!json_is_object(req.entities)) abort();
        for (size_t i = 0; i < req.nfeatures; i++)
            if (!strchr(req.features[i], ':')) abort();
        const char *key;
        const json_t *vals;
        json_object_foreach((json_t *)req.entities, key, vals)
            if (json_array_size(vals) != req.nentities) abort();
        cairn__features_request_release(&req);
    }
    cairn_arena_release(&arena);
    return 0;
}
