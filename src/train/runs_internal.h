/* src/train/runs_internal.h: the metric chunk codec of experiment tracking (private; shared
 * between src/train/runs.c and its unit tests).
 *
 * A chunk holds up to CAIRN__METRIC_CHUNK_POINTS points of one (run, metric) in the order
 * they were logged:
 *   chunk := flags:u8 body
 *     flags bit 0 set: body = varint(raw length) zstd-frame(raw); clear: body = raw
 *   raw   := varint(n)
 *            zigzag-varint(step[0]) zigzag-varint(step[i] - step[i-1]) for i = 1..n-1
 *            zigzag-varint(ts[0])   zigzag-varint(ts[i] - ts[i-1])     for i = 1..n-1
 *            8n bytes: x[i] = bits(value[i]) XOR bits(value[i-1]) (bits(value[-1]) = 0),
 *            stored byte-plane by byte-plane (all lowest bytes first, ..., all highest)
 * Steps 0, 1, 2, ... cost one byte each, millisecond timestamps a byte or two, and a slowly
 * moving value leaves its XOR's high planes mostly zero, which zstd squeezes. Differences
 * wrap in 64-bit unsigned arithmetic, so any int64 steps round-trip. A chunk is compressed
 * only when that makes it smaller.
 *
 * Tests: tests/unit/train/test_runs.c.
 */
#ifndef CAIRN_RUNS_INTERNAL_H
#define CAIRN_RUNS_INTERNAL_H

#include "cairn/runs.h"

#define CAIRN__METRIC_CHUNK_POINTS 1024

/* Appends the chunk encoding of p[0..n) (1 <= n <= CAIRN__METRIC_CHUNK_POINTS) to out. */
int cairn__metric_chunk_encode(const cairn_metric_point *p, size_t n, cairn_buf *out);
/* Decodes a chunk into out[0..cap); *n gets the point count. CAIRN_ECORRUPT (with err
 * saying what) when the bytes are not a valid chunk or hold more than cap points. */
int cairn__metric_chunk_decode(const void *data, size_t len, cairn_metric_point *out, size_t cap,
                               size_t *n, cairn_error *err);

#endif /* CAIRN_RUNS_INTERNAL_H */
