/* tests/fuzz/fuzz_metric_chunk.c: the compact metric-series chunks of the run store
 * (src/train/runs.c) decoded from arbitrary bytes; a chunk that decodes is encoded again and
 * must decode to the same points. Seed corpus: tests/fuzz/corpus/metric_chunk/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "train/runs_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cairn_metric_point pts[CAIRN__METRIC_CHUNK_POINTS], again[CAIRN__METRIC_CHUNK_POINTS];
    size_t n = 0, m = 0;
    cairn_error err;
    cairn_error_clear(&err);
    if (cairn__metric_chunk_decode(data, size, pts, CAIRN__METRIC_CHUNK_POINTS, &n, &err) != 0 || n == 0) return 0;
    cairn_buf b;
    cairn_buf_init(&b, 0);
    if (cairn__metric_chunk_encode(pts, n, &b) == 0 &&
        cairn__metric_chunk_decode(b.data, b.len, again, CAIRN__METRIC_CHUNK_POINTS, &m, &err) == 0) {
        if (m != n) abort();
        for (size_t i = 0; i < n; i++)
            if (again[i].step != pts[i].step || again[i].timestamp_ms != pts[i].timestamp_ms ||
                memcmp(&again[i].value, &pts[i].value, sizeof pts[i].value))
                abort();
    }
    cairn_buf_release(&b);
    return 0;
}
