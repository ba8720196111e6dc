/* src/table/csv_write.c: the CSV writer.
 *
 * One header line (unless no_header), then one line per row ended by LF. Values are written
 * as cairn_value_format writes them: numbers in shortest round-trip form, timestamps as
 * "2001-01-01T00:01:00Z", dates as "2001-01-01", booleans as true/false. A field is quoted
 * (with quotes doubled) only when it must be: it holds the delimiter, a quote, CR or LF,
 * starts or ends with a space or tab, starts with the bytes of a UTF-8 byte-order mark
 * (which readers skip at the start of a file), is an empty string (so it reads back as "",
 * not as null), or equals null_text. A null is an empty field, or null_text when set. Reading the
 * output back with cairn_csv_read and the same delimiter and null_text gives the same values
 * (with an explicit schema; inference may choose narrower types). Known gap: a null in a
 * one-column table with no null_text is an empty line, which readers skip.
 *
 * cairn_csv_write_file streams through cairn__sink: a temporary file in the same directory,
 * fsync, rename, so a crash never leaves half a file under the final name.
 *
 * Tests: tests/unit/table/test_csv_write.c, test_csv_alloc.c (allocation failures).
 */
#include <string.h>

#include "table/convert.h"

typedef struct csv_writer {
    char delim;
    const char *null_text; /* NULL or non-empty */
    size_t null_len;
    cairn_buf scratch;
    cairn__day_cache days;
} csv_writer;

static bool needs_quotes(const csv_writer *w, const char *s, size_t len, bool is_string)
{
    if (len == 0) return is_string;
    if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t') return true;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) return true; /* not a byte-order mark */
    if (w->null_text && len == w->null_len && memcmp(s, w->null_text, len) == 0) return true;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == w->delim || c == '"' || c == '\n' || c == '\r') return true;
    }
    return false;
}

static int put_field(const csv_writer *w, const char *s, size_t len, bool is_string,
                     cairn_buf *out)
{
    if (!needs_quotes(w, s, len, is_string)) return cairn_buf_append(out, s, len);
    int rc = cairn_buf_putc(out, '"');
    const char *p = s, *end = s + len;
    while (rc == 0 && p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        size_t n = q ? (size_t)(q - p) + 1 : (size_t)(end - p);
        rc = cairn_buf_append(out, p, n);
        if (rc == 0 && q) rc = cairn_buf_putc(out, '"'); /* double it */
        p += n;
    }
    return rc ? rc : cairn_buf_putc(out, '"');
}

static int put_value(csv_writer *w, const cairn_column *col, int64_t row, cairn_buf *out)
{
    if (!cairn_column_is_valid(col, row))
        return w->null_text ? cairn_buf_append(out, w->null_text, w->null_len) : 0;
    if (col->type == CAIRN_TYPE_STRING) {
        size_t len;
        const char *s = cairn_column_str(col, row, &len);
        return put_field(w, s, len, true, out);
    }
    cairn_buf_reset(&w->scratch);
    int rc = cairn__fmt_cell(&w->days, col, row, &w->scratch);
    return rc ? rc : put_field(w, w->scratch.data, w->scratch.len, false, out);
}

static int put_header(const csv_writer *w, const cairn_table *t, cairn_buf *out)
{
    size_t n = cairn_table_num_columns(t);
    int rc = 0;
    for (size_t c = 0; rc == 0 && c < n; c++) {
        const char *name = cairn_table_column(t, c)->name;
        if (c > 0) rc = cairn_buf_putc(out, w->delim);
        if (rc == 0) rc = put_field(w, name, strlen(name), false, out);
    }
    return rc ? rc : cairn_buf_putc(out, '\n');
}

static int put_row(csv_writer *w, const cairn_table *t, int64_t row, cairn_buf *out)
{
    size_t n = cairn_table_num_columns(t);
    int rc = 0;
    for (size_t c = 0; rc == 0 && c < n; c++) {
        if (c > 0) rc = cairn_buf_putc(out, w->delim);
        if (rc == 0) rc = put_value(w, cairn_table_column(t, c), row, out);
    }
    return rc ? rc : cairn_buf_putc(out, '\n');
}

static int writer_init(csv_writer *w, const cairn_write_options *opts, cairn_error *err)
{
    memset(w, 0, sizeof *w);
    w->delim = opts && opts->delimiter ? opts->delimiter : ',';
    if (w->delim == '"' || w->delim == '\n' || w->delim == '\r')
        return cairn_error_set(err, CAIRN_EINVAL, "the delimiter cannot be a quote, CR or LF");
    w->null_text = opts && opts->null_text && opts->null_text[0] ? opts->null_text : NULL;
    w->null_len = w->null_text ? strlen(w->null_text) : 0;
    cairn_buf_init(&w->scratch, 0);
    return 0;
}

static int write_error(int rc, const char *what, cairn_error *err)
{
    if (rc == CAIRN_ENOMEM) return cairn_error_set(err, rc, "writing %s: out of memory", what);
    if (rc == CAIRN_ELIMIT)
        return cairn_error_set(err, rc, "writing %s: the output buffer is full", what);
    return rc;
}

void cairn_write_options_init(cairn_write_options *opts)
{
    memset(opts, 0, sizeof *opts);
}

int cairn_csv_write(const cairn_table *table, const cairn_write_options *opts, cairn_buf *out,
                    cairn_error *err)
{
    csv_writer w;
    int rc = writer_init(&w, opts, err);
    if (rc) return rc;
    size_t mark = out->len;
    if (!(opts && opts->no_header)) rc = put_header(&w, table, out);
    int64_t rows = cairn_table_num_rows(table);
    for (int64_t i = 0; rc == 0 && i < rows; i++) rc = put_row(&w, table, i, out);
    cairn_buf_release(&w.scratch);
    if (rc) {
        out->len = mark; /* nothing half-written is left in the caller's buffer */
        out->data[mark] = '\0';
        return write_error(rc, "CSV", err);
    }
    return 0;
}

static bool has_suffix_ci(const char *path, const char *suffix)
{
    size_t n = strlen(path), m = strlen(suffix);
    if (n < m) return false;
    for (size_t i = 0; i < m; i++) {
        char c = path[n - m + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != suffix[i]) return false;
    }
    return true;
}

int cairn_csv_write_file(const cairn_table *table, const char *path,
                         const cairn_write_options *opts, cairn_error *err)
{
    cairn_write_options o;
    if (opts) o = *opts;
    else cairn_write_options_init(&o);
    if (!o.delimiter && has_suffix_ci(path, ".tsv")) o.delimiter = '\t';
    csv_writer w;
    cairn__sink sink;
    int rc = writer_init(&w, &o, err);
    if (rc) return rc;
    rc = cairn__sink_open(&sink, path, err);
    if (rc) {
        cairn_buf_release(&w.scratch);
        return rc;
    }
    if (!o.no_header) rc = put_header(&w, table, &sink.buf);
    int64_t rows = cairn_table_num_rows(table);
    for (int64_t i = 0; rc == 0 && i < rows; i++) {
        rc = put_row(&w, table, i, &sink.buf);
        if (rc == 0) rc = cairn__sink_maybe_flush(&sink, err);
    }
    if (rc == 0) rc = cairn__sink_commit(&sink, err);
    else rc = write_error(rc, path, err);
    cairn__sink_abort(&sink);
    cairn_buf_release(&w.scratch);
    return rc;
}
