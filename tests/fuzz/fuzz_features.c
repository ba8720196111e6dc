/* tests/fuzz/fuzz_features.c: feature repositories (src/feature/defs.c) on arbitrary YAML
 * bytes; a repository that parses is also turned into canonical JSON, object by object.
 * Seed corpus: tests/fuzz/corpus/features/. */
#include <stdint.h>
#include <stdlib.h>

#include "cairn/feature.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cairn_feature_repo *repo = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    if (cairn_feature_repo_parse((const char *)data, size, "fuzz.yaml", &repo, &err) != 0) {
        char msg[1024];
        cairn_error_format(&err, msg, sizeof msg);
        return 0;
    }
    static const char *const kinds[] = {"entity", "source", "feature_view", "feature_service"};
    size_t counts[4];
    cairn_feature_repo_entities(repo, &counts[0]);
    cairn_feature_repo_sources(repo, &counts[1]);
    cairn_feature_repo_views(repo, &counts[2]);
    cairn_feature_repo_services(repo, &counts[3]);
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 0; i < counts[k]; i++) {
            json_t *j = NULL;
            if (cairn_feature_object_json(repo, kinds[k], i, &j) == 0) json_decref(j);
        }
    cairn_feature_repo_free(repo);
    return 0;
}
