/* tests/fuzz/fuzz_train_config.c: training configurations (src/train/config.c) on arbitrary
 * YAML bytes; a configuration that parses has every learner's params and space dumped as
 * JSON. Seed corpus: tests/fuzz/corpus/train_config/. */
#include <stdint.h>
#include <stdlib.h>

#include "cairn/json.h"
#include "cairn/train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cairn_train_config *cfg = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    if (cairn_train_config_parse((const char *)data, size, "fuzz.yaml", &cfg, &err) != 0) {
        char msg[1024];
        cairn_error_format(&err, msg, sizeof msg);
        return 0;
    }
    cairn_buf b;
    cairn_buf_init(&b, 0);
    for (size_t i = 0; i < cfg->nlearners; i++) {
        cairn_json_dump(cfg->learners[i].params, 0, &b);
        if (cfg->learners[i].search.space) cairn_json_dump(cfg->learners[i].search.space, 0, &b);
    }
    cairn_json_dump(cfg->split_config, 0, &b);
    cairn_buf_release(&b);
    cairn_train_config_free(cfg);
    return 0;
}
