/* src/table/format.c: the table of file formats, and reading / writing by path.
 *
 * A format is one cairn_format descriptor (name, extensions, read_file, write_file) and one
 * entry in `formats`; nothing else dispatches on formats. Extensions are matched at the end
 * of the path, case-insensitively, longest first within the table order (so ".tsv" is the
 * csv format, whose file functions default to a tab delimiter for it). An unknown extension
 * or name is CAIRN_EUNSUPPORTED with a message listing the known ones. Parquet's entry adapts
 * the generic read options to cairn_parquet_options (see parquet_read_file below).
 *
 * Tests: tests/unit/table/test_csv_write.c (dispatch and round trips through both formats).
 */
#include <string.h>

#include "cairn/parquet.h"
#include "cairn/table.h"
#include "table/table_internal.h"

static const char *const csv_extensions[] = {".csv", ".tsv", NULL};
static const char *const jsonl_extensions[] = {".jsonl", ".ndjson", NULL};
static const char *const parquet_extensions[] = {".parquet", ".pq", NULL};
static const char *const arff_extensions[] = {".arff", NULL};

static const cairn_format csv_format = {
    .name = "csv",
    .extensions = csv_extensions,
    .read_file = cairn_csv_read_file,
    .write_file = cairn_csv_write_file,
};

static const cairn_format jsonl_format = {
    .name = "jsonl",
    .extensions = jsonl_extensions,
    .read_file = cairn_jsonl_read_file,
    .write_file = cairn_jsonl_write_file,
};

/* Parquet through the generic reader options: threads and progress carry over; an explicit
 * schema selects those columns and checks their types; max_rows reads row groups only
 * until it has enough rows (for `cairn data head` on a large file). */
static int check_fields(const cairn_table *t, const cairn_read_options *opts, const char *path,
                        cairn_error *err)
{
    for (size_t i = 0; i < opts->nfields; i++) {
        const cairn_column *c = cairn_table_column(t, i);
        if (c->type == opts->fields[i].type && (opts->fields[i].nullable || c->null_count == 0))
            continue;
        cairn_error_set(err, CAIRN_ETYPE, "column '%s' is %s%s in the file", c->name,
                        cairn_type_name(c->type), c->null_count ? " with nulls" : "");
        cairn_error_at(err, path, 0, 0);
        cairn_error_field(err, c->name);
        cairn_error_expect(err, cairn_type_name(opts->fields[i].type), cairn_type_name(c->type),
                           strlen(cairn_type_name(c->type)));
        return CAIRN_ETYPE;
    }
    return 0;
}

static int parquet_head(const char *path, const cairn_parquet_options *po, int64_t max_rows,
                        cairn_table **out, cairn_error *err)
{
    cairn_parquet_reader *r;
    int rc = cairn_parquet_reader_open(path, po, &r, err);
    if (rc) return rc;
    cairn_table *acc = NULL;
    for (size_t g = 0; rc == 0 && g < cairn_parquet_reader_num_row_groups(r); g++) {
        if (acc && cairn_table_num_rows(acc) >= max_rows) break;
        cairn_table *t;
        if ((rc = cairn_parquet_reader_read_row_group(r, g, &t, err))) break;
        if (!acc) {
            acc = t;
            continue;
        }
        rc = cairn_table_append(acc, t, err);
        cairn_table_free(t);
    }
    if (rc == 0 && !acc) rc = cairn_parquet_read_file(path, po, &acc, err); /* no row groups */
    if (rc == 0 && cairn_table_num_rows(acc) > max_rows) {
        cairn_table *cut;
        if ((rc = cairn_table_slice(acc, 0, max_rows, &cut)) == 0) {
            cairn_table_free(acc);
            acc = cut;
        }
    }
    cairn_parquet_reader_close(r);
    if (rc) {
        cairn_table_free(acc);
        return rc;
    }
    *out = acc;
    return 0;
}

static int parquet_read_file(const char *path, const cairn_read_options *opts,
                             cairn_table **out, cairn_error *err)
{
    cairn_parquet_options po;
    cairn_parquet_options_init(&po);
    const char *names[256];
    if (opts) {
        po.threads = opts->threads;
        po.progress = opts->progress;
        po.progress_ud = opts->progress_ud;
        if (opts->nfields > sizeof names / sizeof names[0])
            return cairn_error_set(err, CAIRN_ELIMIT, "at most 256 columns can be selected");
        for (size_t i = 0; i < opts->nfields; i++) names[i] = opts->fields[i].name;
        po.columns = opts->nfields ? names : NULL;
        po.ncolumns = opts->nfields;
    }
    cairn_table *t;
    int rc = opts && opts->max_rows > 0 ? parquet_head(path, &po, opts->max_rows, &t, err)
                                        : cairn_parquet_read_file(path, &po, &t, err);
    if (rc) return rc;
    if (opts && opts->nfields && (rc = check_fields(t, opts, path, err))) {
        cairn_table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

static const cairn_format parquet_format = {
    .name = "parquet",
    .extensions = parquet_extensions,
    .read_file = parquet_read_file,
    .write_file = cairn_parquet_write_file,
};

static const cairn_format arff_format = {
    .name = "arff",
    .extensions = arff_extensions,
    .read_file = cairn__arff_read_file,
    .write_file = cairn__arff_write_file,
};

static const cairn_format *const formats[] = {&csv_format, &jsonl_format, &parquet_format,
                                              &arff_format, NULL};

const cairn_format *const *cairn_formats(void)
{
    return formats;
}

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n < m) return false;
    for (size_t i = 0; i < m; i++) {
        char c = s[n - m + i], d = suffix[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (d >= 'A' && d <= 'Z') d = (char)(d - 'A' + 'a');
        if (c != d) return false;
    }
    return true;
}

static bool equal_ci(const char *a, const char *b)
{
    return strlen(a) == strlen(b) && ends_with_ci(a, b);
}

const cairn_format *cairn_format_for_path(const char *path)
{
    if (!path) return NULL;
    const cairn_format *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; formats[i]; i++) {
        for (const char *const *e = formats[i]->extensions; *e; e++) {
            size_t len = strlen(*e);
            if (len > best_len && ends_with_ci(path, *e)) {
                best = formats[i];
                best_len = len;
            }
        }
    }
    return best;
}

const cairn_format *cairn_format_by_name(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; formats[i]; i++)
        if (equal_ci(formats[i]->name, name)) return formats[i];
    return NULL;
}

/* "csv (.csv, .tsv), jsonl (.jsonl, .ndjson)" */
static void known_formats(char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; formats[i] && n < cap; i++) {
        n += (size_t)snprintf(out + n, cap - n, "%s%s (", i ? ", " : "", formats[i]->name);
        for (const char *const *e = formats[i]->extensions; *e && n < cap; e++)
            n += (size_t)snprintf(out + n, cap - n, "%s%s", e == formats[i]->extensions ? "" : ", ",
                                  *e);
        if (n < cap) n += (size_t)snprintf(out + n, cap - n, ")");
    }
}

static const cairn_format *resolve(const char *path, const char *format, cairn_error *err)
{
    const cairn_format *f = format ? cairn_format_by_name(format) : cairn_format_for_path(path);
    if (f) return f;
    char known[256];
    known_formats(known, sizeof known);
    if (format)
        cairn_error_set(err, CAIRN_EUNSUPPORTED, "unknown file format '%s'; known formats: %s",
                        format, known);
    else
        cairn_error_set(err, CAIRN_EUNSUPPORTED,
                        "cannot tell the file format of '%s' from its extension; known: %s",
                        path ? path : "", known);
    cairn_error_at(err, path, 0, 0);
    return NULL;
}

int cairn_table_read_file(const char *path, const char *format, const cairn_read_options *opts,
                          cairn_table **out, cairn_error *err)
{
    const cairn_format *f = resolve(path, format, err);
    if (!f) return CAIRN_EUNSUPPORTED;
    if (!f->read_file)
        return cairn_error_set(err, CAIRN_EUNSUPPORTED, "format %s cannot be read", f->name);
    return f->read_file(path, opts, out, err);
}

int cairn_table_write_file(const cairn_table *table, const char *path, const char *format,
                           const cairn_write_options *opts, cairn_error *err)
{
    const cairn_format *f = resolve(path, format, err);
    if (!f) return CAIRN_EUNSUPPORTED;
    if (!f->write_file)
        return cairn_error_set(err, CAIRN_EUNSUPPORTED, "format %s cannot be written", f->name);
    return f->write_file(table, path, opts, err);
}
