/* tests/fuzz/fuzz_csv.c: libFuzzer target for the CSV reader and writer.
 *
 * The first byte picks options (header or not, delimiter, null_text, a bad-row callback,
 * the inference sample size); the rest is the CSV text. Checks, beyond "no crash, no leak":
 * - the parallel reader (two threads, chunks forced down to a few bytes) gives exactly the
 *   sequential reader's table, bad rows and error;
 * - a fixed schema read and a max_rows read never crash;
 * - on success, writing the table as CSV and reading it back with the table's own schema
 *   gives the same table (except a one-column table with nulls: its null rows are blank
 *   lines, which readers skip), and the JSON Lines writer accepts it.
 * Seed corpus: tests/fuzz/corpus/csv/ (replayed by ctest through tests/fuzz/replay.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/cairn.h"
#include "../../src/table/convert.h" /* cairn__tr_min_chunk_bytes */
#include "fuzz_util.h"

static int read_logged(const char *data, size_t size, const cairn_read_options *base,
                       int threads, cairn_table **t, cairn_buf *out)
{
    cairn_read_options o = *base;
    cairn_buf log; /* every bad row: formatted error, row, raw text */
    cairn_buf_init(&log, 0);
    cairn_error e;
    cairn_error_clear(&e);
    o.threads = threads;
    if (o.on_bad_row) o.bad_row_ud = &log;
    *t = NULL;
    int rc = cairn_csv_read(data, size, "fuzz.csv", &o, t, &e);
    char msg[1024];
    cairn_error_format(&e, msg, sizeof msg);
    cairn_buf_printf(out, "rc=%d %s row=%lld\n", rc, rc ? msg : "", (long long)(rc ? e.row : 0));
    cairn_buf_append(out, log.data, log.len);
    fuzz_dump(*t, out);
    cairn_buf_release(&log);
    return rc;
}

static void round_trip(const cairn_table *t, const cairn_read_options *ro)
{
    size_t ncols = cairn_table_num_columns(t);
    if (ncols == 0) return;
    if (ncols == 1 && cairn_table_column(t, 0)->null_count > 0) return;
    cairn_write_options wo;
    cairn_write_options_init(&wo);
    wo.delimiter = ro->delimiter;
    wo.null_text = ro->null_text;
    wo.no_header = ro->no_header;
    cairn_buf text, a, b;
    cairn_buf_init(&text, 0);
    cairn_buf_init(&a, 0);
    cairn_buf_init(&b, 0);
    cairn_error e;
    if (cairn_csv_write(t, &wo, &text, &e) != 0) abort();
    cairn_field *fields = NULL;
    if (cairn_table_fields(t, &fields) != 0) abort();
    cairn_read_options o;
    cairn_read_options_init(&o);
    o.delimiter = ro->delimiter;
    o.null_text = ro->null_text;
    o.no_header = ro->no_header;
    o.fields = fields;
    o.nfields = ncols;
    o.threads = 1;
    cairn_table *back = NULL;
    if (cairn_csv_read(text.data, text.len, "rt.csv", &o, &back, &e) != 0) abort();
    fuzz_dump(t, &a);
    fuzz_dump(back, &b);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) abort();
    cairn_table_free(back);
    cairn_free(fields);
    cairn_buf_release(&text);
    cairn_buf_release(&a);
    cairn_buf_release(&b);
}

static void fixed_schema(const char *data, size_t size, const cairn_read_options *base)
{
    static const cairn_field fields[] = {{"a", CAIRN_TYPE_INT64, false},
                                         {"b", CAIRN_TYPE_STRING, true},
                                         {"c", CAIRN_TYPE_FLOAT64, true},
                                         {"d", CAIRN_TYPE_TIMESTAMP, true}};
    cairn_read_options o = *base;
    cairn_buf log; /* every bad row: formatted error, row, raw text */
    cairn_buf_init(&log, 0);
    o.fields = fields;
    o.nfields = 4;
    o.no_header = true;
    o.bad_row_ud = &log;
    cairn_table *t = NULL;
    cairn_error e;
    for (int threads = 1; threads <= 2; threads++) {
        o.threads = threads;
        if (cairn_csv_read(data, size, "fixed.csv", &o, &t, &e) == 0) cairn_table_free(t);
    }
    o.max_rows = 3;
    o.threads = 0;
    if (cairn_csv_read(data, size, "head.csv", &o, &t, &e) == 0) cairn_table_free(t);
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
    o.no_header = flags & 1;
    o.delimiter = flags & 2 ? ';' : ',';
    o.null_text = flags & 4 ? "NA" : NULL;
    o.on_bad_row = flags & 8 ? fuzz_log_bad : NULL;
    o.infer_rows = (flags >> 4) & 3 ? (flags >> 4) & 3 : 0;

    cairn_buf seq, par;
    cairn_buf_init(&seq, 0);
    cairn_buf_init(&par, 0);
    cairn_table *t1, *t2;
    int rc1 = read_logged(text, len, &o, 1, &t1, &seq);
    int rc2 = read_logged(text, len, &o, 2, &t2, &par);
    if (rc1 != rc2 || seq.len != par.len || memcmp(seq.data, par.data, seq.len) != 0) abort();
    if (rc1 == 0) round_trip(t1, &o);
    cairn_table_free(t1);
    cairn_table_free(t2);
    cairn_buf_release(&seq);
    cairn_buf_release(&par);
    fixed_schema(text, len, &o);
    return 0;
}
