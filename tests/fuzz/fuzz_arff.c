/* tests/fuzz/fuzz_arff.c: libFuzzer target for the ARFF reader and writer
 * (src/table/arff.c).
 *
 * The first byte picks options (a bad-row callback, a text that also means null); the rest
 * is the ARFF text. Checks, beyond "no crash, no leak":
 * - the parallel reader (two threads, chunks forced down to a few bytes) gives exactly the
 *   sequential reader's table, bad rows and error;
 * - reads with explicit fields (every type, a non-nullable one) and a max_rows read never
 *   crash;
 * - on success, writing the table as ARFF and reading it back gives the same table (the
 *   reader's types are all ones the writer keeps: float64, int64, string, timestamp with
 *   milliseconds at most).
 * Seed corpus: tests/fuzz/corpus/arff/ (replayed by ctest through tests/fuzz/replay.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/cairn.h"
#include "../../src/table/convert.h"        /* cairn__tr_min_chunk_bytes */
#include "../../src/table/table_internal.h" /* cairn__arff_read, cairn__arff_write */
#include "fuzz_util.h"

static int read_logged(const char *data, size_t size, const cairn_read_options *base, int threads,
                       cairn_table **t, cairn_buf *out)
{
    cairn_read_options o = *base;
    cairn_buf log;
    cairn_buf_init(&log, 0);
    cairn_error e;
    cairn_error_clear(&e);
    o.threads = threads;
    o.bad_row_ud = &log;
    *t = NULL;
    int rc = cairn__arff_read(data, size, "fuzz.arff", &o, t, &e);
    char msg[1024];
    cairn_error_format(&e, msg, sizeof msg);
    cairn_buf_printf(out, "rc=%d %s row=%lld\n", rc, rc ? msg : "", (long long)(rc ? e.row : 0));
    cairn_buf_append(out, log.data, log.len);
    fuzz_dump(*t, out);
    cairn_buf_release(&log);
    return rc;
}

static void round_trip(const cairn_table *t)
{
    cairn_buf text, a, b;
    cairn_buf_init(&text, 0);
    cairn_buf_init(&a, 0);
    cairn_buf_init(&b, 0);
    cairn_error e;
    if (cairn__arff_write(t, "rt", &text, &e) != 0) abort();
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.threads = 1;
    cairn_table *back = NULL;
    if (cairn__arff_read(text.data, text.len, "rt.arff", &o, &back, &e) != 0) abort();
    fuzz_dump(t, &a);
    fuzz_dump(back, &b);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) abort();
    cairn_table_free(back);
    cairn_buf_release(&text);
    cairn_buf_release(&a);
    cairn_buf_release(&b);
}

/* Explicit fields naming the usual attribute names of the seeds, in every type. */
static void fixed_schema(const char *data, size_t size, const cairn_read_options *base)
{
    static const cairn_field fields[] = {
        {"a", CAIRN_TYPE_INT32, false},  {"b", CAIRN_TYPE_STRING, true},
        {"c", CAIRN_TYPE_FLOAT32, true}, {"d", CAIRN_TYPE_DATE32, true},
        {"e", CAIRN_TYPE_BOOL, true},    {"f", CAIRN_TYPE_TIMESTAMP, true}};
    cairn_read_options o = *base;
    cairn_buf log;
    cairn_buf_init(&log, 0);
    o.bad_row_ud = &log;
    cairn_table *t = NULL;
    cairn_error e;
    for (size_t n = 1; n <= 6; n += 5) {
        o.fields = fields + (n == 1 ? 1 : 0);
        o.nfields = n;
        for (int threads = 1; threads <= 2; threads++) {
            o.threads = threads;
            if (cairn__arff_read(data, size, "fixed.arff", &o, &t, &e) == 0) cairn_table_free(t);
        }
    }
    o.fields = NULL;
    o.nfields = 0;
    o.max_rows = 2;
    if (cairn__arff_read(data, size, "head.arff", &o, &t, &e) == 0) cairn_table_free(t);
    cairn_buf_release(&log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    cairn__tr_min_chunk_bytes = 16; /* the parallel path on small inputs */
    uint8_t flags = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.on_bad_row = flags & 1 ? fuzz_log_bad : NULL;
    o.null_text = flags & 2 ? "NA" : NULL;

    cairn_buf seq, par;
    cairn_buf_init(&seq, 0);
    cairn_buf_init(&par, 0);
    cairn_table *t1, *t2;
    int rc1 = read_logged(text, len, &o, 1, &t1, &seq);
    int rc2 = read_logged(text, len, &o, 2, &t2, &par);
    if (rc1 != rc2 || seq.len != par.len || memcmp(seq.data, par.data, seq.len) != 0) abort();
    if (rc1 == 0) round_trip(t1);
    cairn_table_free(t1);
    cairn_table_free(t2);
    cairn_buf_release(&seq);
    cairn_buf_release(&par);
    fixed_schema(text, len, &o);
    return 0;
}
