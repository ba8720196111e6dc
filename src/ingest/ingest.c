/* src/ingest/ingest.c: batch ingest: files or a JSON Lines buffer into the lake, as one
 * snapshot.
 *
 * A job goes through fixed stages, each of which can only add to the job's memory; nothing
 * durable happens before the last two:
 *   1. inputs: hash each file (SHA-256); a content already in ingested_files is skipped;
 *   2. read: with the schema's fields; rows that do not parse become dead letters (stage
 *      "parse") with their line and original text;
 *   3. validate: field constraints (cairn_validate_records); failing rows become dead letters
 *      (stage "validate") with their original text when it can be found again, else the
 *      row as a JSON object;
 *      fields declared unique are then checked against the stored values too (a value stored
 *      under another primary key makes a dead letter);
 *   4. refuse when rejected / read > max_error_rate, or when an error-level dataset check
 *      fails on the accepted rows (the quality report);
 *   5. de-duplicate on the primary key: within the batch (latest event time wins; equal times:
 *      the later record) and against the head snapshot (a stored record with an equal or
 *      later event time wins; otherwise the stored file is rewritten without it);
 *   6. write: rows grouped by partition, one file per partition, written on all cores
 *      (cairn_lake_write_file: temporary name, fsync, rename);
 *   7. commit: the manifest object, then one catalog transaction holding the snapshot, the
 *      ingested-file records, the dead letters and the quality report's id. When another
 *      ingest moved the head meanwhile, 5 to 7 are redone against the new head (the batch
 *      itself is kept), with a short random back-off, up to 20 times.
 * A crash before 7 leaves unreferenced files (removed by `cairn data gc`) and the old head;
 * a rerun does the whole job again. Crash points (cairn_crashpoint) mark each step.
 *
 * Tests: tests/unit/ingest/test_ingest.c, tests/integration/test_ingest_cli.sh,
 * tests/integration/test_ingest_crash.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <xxhash.h>

#include "cairn/parquet.h"
#include "ingest/ingest_work.h"

/* ------------------------------------------------------------------------------------------
 * Job memory
 * ---------------------------------------------------------------------------------------- */

static int oom(cairn_error *err) { return cairn_error_set(err, CAIRN_ENOMEM, "out of memory"); }

static char *dup_str(const char *s, size_t len)
{
    char *p = cairn_malloc(len + 1);
    if (!p) return NULL;
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

void cairn_ingest_options_init(cairn_ingest_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->max_error_rate = 0.1;
    opts->operation = "ingest";
}

void cairn_ingest_result_free(cairn_ingest_result *result)
{
    if (!result) return;
    cairn_quality_report_free(result->quality);
    result->quality = NULL;
}

void cairn__dead_letter_clear(cairn__dead_letter *d)
{
    cairn_free(d->source);
    cairn_free(d->reason);
    cairn_free(d->header);
    cairn_free(d->raw);
    memset(d, 0, sizeof *d);
}

int cairn__job_dead_letter(cairn__job *j, cairn__dead_letter *d, cairn_error *err)
{
    if (cairn_grow((void **)&j->dl, &j->dlcap, j->ndl + 1, sizeof *j->dl)) {
        cairn__dead_letter_clear(d);
        return oom(err);
    }
    j->dl[j->ndl++] = *d;
    memset(d, 0, sizeof *d);
    return 0;
}

int cairn__job_open(cairn__job *j, cairn_home *home, const char *dataset,
                    const cairn_ingest_options *opts, cairn_ingest_result *result,
                    cairn_error *err)
{
    memset(j, 0, sizeof *j);
    memset(result, 0, sizeof *result);
    j->started_ns = cairn_monotonic_ns();
    j->home = home;
    j->dataset = dataset;
    j->res = result;
    if (opts) j->opts = *opts;
    else cairn_ingest_options_init(&j->opts);
    if (!j->opts.operation) j->opts.operation = "ingest";
    if (!cairn_dataset_name_valid(dataset))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "'%s' is not a valid dataset name (letters, digits, '_', '.', '-')",
                               dataset);
    int rc = cairn_registry_get(cairn_home_catalog(home), dataset, 0, &j->schema, &j->version, err);
    if (rc == CAIRN_ENOTFOUND)
        return cairn_error_set(err, CAIRN_ENOTFOUND,
                               "dataset '%s' has no schema: register one with "
                               "`cairn schema register FILE` (or pass --schema FILE)",
                               dataset);
    if (rc) return rc;
    result->schema_version = j->version;
    j->nfields = cairn_dataset_schema_num_fields(j->schema);
    if ((rc = cairn_dataset_schema_fields(j->schema, &j->fields))) return oom(err);
    if ((rc = cairn_snapshot_head(home, dataset, &j->head, err))) return rc;
    if (j->head) snprintf(result->parent, sizeof result->parent, "%s", j->head->id);
    return 0;
}

void cairn__job_close(cairn__job *j)
{
    for (size_t i = 0; i < j->ndl; i++)
        cairn__dead_letter_clear(&j->dl[i]);
    cairn_free(j->dl);
    for (size_t i = 0; i < j->ninputs; i++)
        cairn_free(j->inputs[i].source);
    cairn_free(j->inputs);
    cairn_free(j->replayed);
    cairn_free(j->fields);
    cairn_table_free(j->batch);
    cairn_snapshot_free(j->head);
    cairn_dataset_schema_free(j->schema);
    memset(j, 0, sizeof *j);
}

static bool progress(cairn__job *j, const char *stage, int64_t done, int64_t total)
{
    cairn_log(CAIRN_LOG_DEBUG, "ingest %s: %s at %.3f s", j->dataset, stage,
              (double)(cairn_monotonic_ns() - j->started_ns) / 1e9);
    return !j->opts.progress || j->opts.progress(j->opts.progress_ud, stage, done, total);
}

/* ------------------------------------------------------------------------------------------
 * Rows as JSON (dead letters of typed sources, examples)
 * ---------------------------------------------------------------------------------------- */

char *cairn__json_text(const json_t *value)
{
    cairn_buf b;
    cairn_buf_init(&b, 0);
    if (cairn_json_dump(value, 0, &b) || cairn_buf_putc(&b, 0)) {
        cairn_buf_release(&b);
        return NULL;
    }
    return b.data;
}

char *cairn__row_json(const cairn_table *table, int64_t row)
{
    json_t *obj = json_object();
    cairn_buf text;
    cairn_buf_init(&text, 0);
    for (size_t c = 0; obj && c < cairn_table_num_columns(table); c++) {
        const cairn_column *col = cairn_table_column(table, c);
        cairn_value v;
        cairn_column_get(col, row, &v);
        json_t *jv;
        if (v.is_null) jv = json_null();
        else if (v.type == CAIRN_TYPE_BOOL) jv = json_boolean(v.v.b);
        else if (v.type == CAIRN_TYPE_INT32) jv = json_integer(v.v.i32);
        else if (v.type == CAIRN_TYPE_INT64) jv = json_integer(v.v.i64);
        else if (v.type == CAIRN_TYPE_FLOAT32 || v.type == CAIRN_TYPE_FLOAT64) {
            double d;
            cairn_value_as_double(&v, &d);
            jv = json_real(d);
        } else {
            cairn_buf_reset(&text);
            if (cairn_value_format(&v, NULL, &text)) jv = NULL;
            else jv = json_stringn(text.data ? text.data : "", text.len);
        }
        if (!jv || json_object_set_new(obj, col->name, jv)) {
            json_decref(obj);
            obj = NULL;
        }
    }
    cairn_buf_release(&text);
    if (!obj) return NULL;
    char *s = cairn__json_text(obj);
    json_decref(obj);
    return s;
}

/* ------------------------------------------------------------------------------------------
 * Reading: conforming a table to the schema
 * ---------------------------------------------------------------------------------------- */

static bool promotable(cairn_type from, cairn_type to)
{
    if (from == to) return true;
    switch (to) {
    case CAIRN_TYPE_INT64: return from == CAIRN_TYPE_INT32;
    case CAIRN_TYPE_FLOAT64: return from == CAIRN_TYPE_INT32 || from == CAIRN_TYPE_INT64 || from == CAIRN_TYPE_FLOAT32;
    case CAIRN_TYPE_FLOAT32: return from == CAIRN_TYPE_INT32 || from == CAIRN_TYPE_INT64;
    case CAIRN_TYPE_TIMESTAMP: return from == CAIRN_TYPE_DATE32;
    default: return false;
    }
}

static int cast_column(const cairn_column *src, cairn_type to, bool nullable, cairn_column **out,
                       cairn_error *err)
{
    cairn_column *dst;
    if (cairn_column_create(src->name, to, nullable || src->null_count > 0, &dst)) return oom(err);
    if (cairn_column_reserve(dst, src->length, 0)) {
        cairn_column_free(dst);
        return oom(err);
    }
    int rc = 0;
    for (int64_t i = 0; rc == 0 && i < src->length; i++) {
        cairn_value v;
        cairn_column_get(src, i, &v);
        if (v.is_null) {
            rc = cairn_column_append_null(dst);
            continue;
        }
        double d = 0;
        int64_t x = 0;
        cairn_value_as_double(&v, &d);
        if (v.type == CAIRN_TYPE_INT32) x = v.v.i32;
        else if (v.type == CAIRN_TYPE_INT64) x = v.v.i64;
        if (to == CAIRN_TYPE_INT64) rc = cairn_column_append_int64(dst, x);
        else if (to == CAIRN_TYPE_FLOAT64) rc = cairn_column_append_float64(dst, d);
        else if (to == CAIRN_TYPE_FLOAT32) rc = cairn_column_append_float32(dst, (float)d);
        else rc = cairn_column_append_int64(dst, (int64_t)v.v.i32 * 86400000000LL); /* date */
    }
    if (rc) {
        cairn_column_free(dst);
        return oom(err);
    }
    *out = dst;
    return 0;
}

/* The table's columns in schema order, promoted to the schema's types. A missing nullable
 * field becomes a column of nulls; a missing non-nullable one, an unknown column or a type
 * that cannot be promoted is an error naming the source and column. */
int cairn__conform(cairn__job *j, cairn_table **table, const char *source, cairn_error *err)
{
    cairn_table *in = *table, *out;
    int64_t rows = cairn_table_num_rows(in);
    bool same = cairn_table_num_columns(in) == j->nfields;
    for (size_t f = 0; same && f < j->nfields; f++) {
        const cairn_column *col = cairn_table_column(in, f);
        same = !strcmp(col->name, j->fields[f].name) && col->type == j->fields[f].type;
    }
    if (same) return 0; /* already the schema's columns, in order: nothing to copy */
    for (size_t c = 0; c < cairn_table_num_columns(in); c++) {
        const char *name = cairn_table_column(in, c)->name;
        if (!cairn_dataset_schema_find(j->schema, name)) {
            cairn_error_set(err, CAIRN_ETYPE,
                            "column '%s' is not in the schema of dataset '%s' (version %lld)",
                            name, j->dataset, (long long)j->version);
            cairn_error_at(err, source, 0, 0);
            cairn_error_field(err, name);
            return CAIRN_ETYPE;
        }
    }
    if (cairn_table_create(&out)) return oom(err);
    for (size_t f = 0; f < j->nfields; f++) {
        const cairn_dataset_field *field = cairn_dataset_schema_field(j->schema, f);
        cairn_column *col = cairn_table_column_by_name(in, field->name), *copy = NULL;
        int rc;
        if (!col) { /* Avro's rule: a field the data lacks takes its default, else null */
            if (!field->has_default && !field->nullable) {
                cairn_table_free(out);
                cairn_error_set(err, CAIRN_ETYPE, "missing column '%s' (not nullable, no default)",
                                field->name);
                cairn_error_at(err, source, 0, 0);
                cairn_error_field(err, field->name);
                return CAIRN_ETYPE;
            }
            bool fill = field->has_default && !field->default_value.is_null;
            rc = cairn_column_create(field->name, field->type, !fill || field->nullable, &copy);
            for (int64_t i = 0; rc == 0 && i < rows; i++)
                rc = fill ? cairn_column_append_value(copy, &field->default_value)
                          : cairn_column_append_null(copy);
            if (rc) rc = oom(err);
        } else if (col->type == field->type) {
            rc = cairn_column_copy(col, &copy) ? oom(err) : 0;
        } else if (promotable(col->type, field->type)) {
            rc = cast_column(col, field->type, field->nullable, &copy, err);
        } else {
            cairn_table_free(out);
            cairn_error_set(err, CAIRN_ETYPE, "column '%s' cannot be read as the schema's type",
                            field->name);
            cairn_error_at(err, source, 0, 0);
            cairn_error_field(err, field->name);
            cairn_error_expect(err, cairn_type_name(field->type), cairn_type_name(col->type),
                               strlen(cairn_type_name(col->type)));
            return CAIRN_ETYPE;
        }
        if (rc == 0) rc = cairn_table_adopt_column(out, copy, err);
        else cairn_column_free(copy);
        if (rc) {
            cairn_table_free(out);
            return rc;
        }
    }
    cairn_table_free(in);
    *table = out;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Finding a row's original text again (dead letters of rows that parsed but failed checks)
 * ---------------------------------------------------------------------------------------- */

typedef struct span {
    int64_t offset, len, line;
} span;

static bool blank(const char *p, int64_t len)
{
    return len == 0 || (len == 1 && p[0] == '\r');
}

/* The records of a CSV or JSON Lines text, in order, blank lines skipped (as the readers
 * do); for CSV the first record (the header) is left out and returned in *header. */
static int record_spans(const char *data, int64_t len, bool csv, span **out, int64_t *count,
                        span *header)
{
    span *spans = NULL;
    size_t cap = 0;
    int64_t n = 0, line = 1, i = 0;
    bool first = true;
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) i = 3;
    while (i < len) {
        int64_t start = i, start_line = line;
        bool quoted = false;
        while (i < len) {
            char c = data[i];
            if (csv && c == '"') quoted = !quoted;
            else if (c == '\n') {
                line++;
                if (!quoted) break;
            }
            i++;
        }
        int64_t end = i;
        if (i < len) i++; /* the LF */
        if (blank(data + start, end - start)) continue;
        if (end > start && data[end - 1] == '\r') end--;
        if (csv && first) {
            *header = (span){start, end - start, start_line};
            first = false;
            continue;
        }
        if (cairn_grow((void **)&spans, &cap, (size_t)n + 1, sizeof *spans)) {
            cairn_free(spans);
            return CAIRN_ENOMEM;
        }
        spans[n++] = (span){start, end - start, start_line};
    }
    *out = spans;
    *count = n;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Maps table rows to record spans: the records minus those reported as bad (by their first
 * line). NULL (and 0) when the counts disagree; the caller then falls back to JSON. */
static span *map_rows(const char *data, int64_t len, bool csv, int64_t *bad_lines, size_t nbad,
                      int64_t rows, span *header)
{
    span *spans = NULL;
    int64_t n = 0;
    if (record_spans(data, len, csv, &spans, &n, header)) return NULL;
    if (nbad) qsort(bad_lines, nbad, sizeof *bad_lines, cmp_i64);
    int64_t k = 0;
    size_t b = 0;
    for (int64_t i = 0; i < n; i++) {
        while (b < nbad && bad_lines[b] < spans[i].line) b++;
        if (b < nbad && bad_lines[b] == spans[i].line) continue;
        spans[k++] = spans[i];
    }
    if (k != rows) {
        cairn_free(spans);
        return NULL;
    }
    return spans;
}

/* ------------------------------------------------------------------------------------------
 * Reading one input
 * ---------------------------------------------------------------------------------------- */

typedef struct bad_rows {
    cairn__job *job;
    const char *source;
    const char *format;
    const char *header; /* CSV header text or NULL */
    const char *const *locations;
    int64_t *line_record; /* with locations: line - 1 -> record index (blank lines: -1) */
    int64_t nline_record;
    int64_t *lines;
    size_t nlines, cap;
    int failed; /* ENOMEM inside the callback */
} bad_rows;

/* The caller's name for the record on `line` (locations[i] names the i-th non-blank line),
 * or NULL. */
static const char *location_of(const bad_rows *b, int64_t line)
{
    if (!b->locations || !b->line_record || line < 1 || line > b->nline_record) return NULL;
    int64_t r = b->line_record[line - 1];
    return r >= 0 ? b->locations[r] : NULL;
}

/* line -> record index for a text whose blank lines (spaces, tabs, CR only) hold no record. */
static int map_lines(const char *data, size_t len, int64_t **out, int64_t *count)
{
    int64_t n = 0, records = 0;
    for (size_t i = 0; i < len; i++)
        n += data[i] == '\n';
    if (len && data[len - 1] != '\n') n++;
    int64_t *map = cairn_malloc((size_t)(n ? n : 1) * sizeof *map);
    if (!map) return CAIRN_ENOMEM;
    size_t start = 0;
    for (int64_t l = 0; l < n; l++) {
        size_t end = start;
        bool is_blank = true;
        while (end < len && data[end] != '\n') {
            char c = data[end++];
            if (c != ' ' && c != '\t' && c != '\r') is_blank = false;
        }
        map[l] = is_blank ? -1 : records++;
        start = end + 1;
    }
    *out = map;
    *count = n;
    return 0;
}

static bool on_bad_row(void *ud, const cairn_error *e, const char *raw, size_t raw_len)
{
    bad_rows *b = ud;
    cairn__dead_letter d = {0};
    cairn_error ignored;
    d.source = dup_str(b->source, strlen(b->source));
    d.raw = dup_str(raw ? raw : "", raw ? raw_len : 0);
    d.reason = dup_str(e->message, strlen(e->message));
    d.header = b->header ? dup_str(b->header, strlen(b->header)) : NULL;
    d.line = e->line;
    d.stage = "parse";
    d.format = b->format;
    snprintf(d.field, sizeof d.field, "%s", e->field);
    if (location_of(b, e->line)) snprintf(d.location, sizeof d.location, "%s", location_of(b, e->line));
    else snprintf(d.location, sizeof d.location, "line %lld", (long long)e->line);
    if (!d.source || !d.raw || !d.reason || (b->header && !d.header) ||
        cairn_grow((void **)&b->lines, &b->cap, b->nlines + 1, sizeof *b->lines)) {
        cairn__dead_letter_clear(&d);
        b->failed = CAIRN_ENOMEM;
        return false;
    }
    b->lines[b->nlines++] = e->line;
    if (cairn__job_dead_letter(b->job, &d, &ignored)) {
        b->failed = CAIRN_ENOMEM;
        return false;
    }
    return true;
}

/* The header line of a CSV text (BOM and leading blank lines skipped). */
static char *csv_header(const char *data, size_t len)
{
    span *spans = NULL, h = {0, 0, 0};
    int64_t n = 0;
    /* only the first records matter: scan a prefix */
    size_t prefix = len < 65536 ? len : 65536;
    if (record_spans(data, (int64_t)prefix, true, &spans, &n, &h)) return NULL;
    cairn_free(spans);
    return dup_str(data + h.offset, (size_t)h.len);
}

/* Dead letters for rows that parsed but broke a constraint; keep[] marks the good rows. */
static int violations_to_dead_letters(cairn__job *j, const cairn_table *table, const uint8_t *keep,
                                      const cairn_violation *v, size_t nv, bad_rows *b,
                                      const char *data, size_t len, cairn_error *err)
{
    if (nv == 0) return 0;
    bool text = data && (!strcmp(b->format, "csv") || !strcmp(b->format, "jsonl"));
    span header = {0, 0, 0}, *spans = NULL;
    if (text)
        spans = map_rows(data, (int64_t)len, !strcmp(b->format, "csv"), b->lines, b->nlines,
                         cairn_table_num_rows(table), &header);
    (void)keep;
    int rc = 0;
    cairn_buf reason;
    cairn_buf_init(&reason, 0);
    for (size_t i = 0; rc == 0 && i < nv;) {
        int64_t row = v[i].row;
        cairn__dead_letter d = {0};
        cairn_buf_reset(&reason);
        const cairn_dataset_field *first = cairn_dataset_schema_field(j->schema, (size_t)v[i].field);
        snprintf(d.field, sizeof d.field, "%s", first ? first->name : "");
        for (; i < nv && v[i].row == row; i++) {
            const cairn_dataset_field *f = cairn_dataset_schema_field(j->schema, (size_t)v[i].field);
            if (reason.len) cairn_buf_puts(&reason, "; ");
            cairn_buf_printf(&reason, "field '%s': %s", f ? f->name : "?", v[i].reason);
        }
        d.source = dup_str(b->source, strlen(b->source));
        d.reason = dup_str(reason.data ? reason.data : "", reason.len);
        d.stage = "validate";
        if (spans) {
            const span *s = &spans[row];
            d.raw = dup_str(data + s->offset, (size_t)s->len);
            d.format = b->format;
            d.line = s->line;
            if (b->header) d.header = dup_str(b->header, strlen(b->header));
            if (location_of(b, s->line))
                snprintf(d.location, sizeof d.location, "%s", location_of(b, s->line));
            else snprintf(d.location, sizeof d.location, "line %lld", (long long)s->line);
        } else {
            d.raw = cairn__row_json(table, row);
            d.format = "json";
            snprintf(d.location, sizeof d.location, "row %lld", (long long)row + 1);
        }
        if (!d.source || !d.reason || !d.raw || (b->header && spans && !d.header)) {
            cairn__dead_letter_clear(&d);
            rc = oom(err);
        } else rc = cairn__job_dead_letter(j, &d, err);
    }
    cairn_buf_release(&reason);
    cairn_free(spans);
    return rc;
}

/* Validates a freshly read table, turns failures into dead letters and appends the good rows
 * to the batch. */
static int accept_table(cairn__job *j, cairn_table **owned, bad_rows *b, const char *data,
                        size_t len, int64_t *accepted, cairn_error *err)
{
    cairn_table *table = *owned;
    progress(j, "validating", 0, 0);
    int64_t rows = cairn_table_num_rows(table);
    uint8_t *keep = cairn_malloc(rows ? (size_t)rows : 1);
    cairn_violation *v = NULL;
    size_t nv = 0;
    cairn_table *good = NULL;
    if (!keep) return oom(err);
    int rc = cairn_validate_records(j->schema, table, keep, &v, &nv, err);
    if (rc == 0) rc = violations_to_dead_letters(j, table, keep, v, nv, b, data, len, err);
    if (rc == 0 && nv) rc = cairn_table_filter(table, keep, &good) ? oom(err) : 0;
    cairn_table *use = good ? good : table;
    *accepted = cairn_table_num_rows(use);
    if (rc == 0 && !j->batch) { /* the first input becomes the batch: no copy */
        j->batch = use;
        if (use == table) *owned = NULL;
        else good = NULL;
    } else if (rc == 0) rc = cairn_table_append(j->batch, use, err);
    cairn_table_free(good);
    cairn_free(v);
    cairn_free(keep);
    return rc;
}

static int add_input(cairn__job *j, const char *sha, const char *source, cairn__input **out,
                     cairn_error *err)
{
    if (cairn_grow((void **)&j->inputs, &j->incap, j->ninputs + 1, sizeof *j->inputs))
        return oom(err);
    cairn__input *in = &j->inputs[j->ninputs];
    memset(in, 0, sizeof *in);
    snprintf(in->sha, sizeof in->sha, "%s", sha);
    if (!(in->source = dup_str(source, strlen(source)))) return oom(err);
    j->ninputs++;
    *out = in;
    return 0;
}

/* Was this content ingested into the dataset before (or listed twice now)? */
static int seen_before(cairn__job *j, const char *sha, bool *seen, cairn_error *err)
{
    for (size_t i = 0; i < j->ninputs; i++)
        if (!strcmp(j->inputs[i].sha, sha)) {
            *seen = true;
            return 0;
        }
    cairn_stmt *st;
    int rc = cairn_catalog_prepare(cairn_home_catalog(j->home),
                                   "SELECT COUNT(*) FROM ingested_files WHERE dataset = ? AND sha256 = ?",
                                   &st, err);
    if (rc) return rc;
    cairn_stmt_bind_text(st, 1, j->dataset, strlen(j->dataset));
    cairn_stmt_bind_text(st, 2, sha, strlen(sha));
    rc = cairn_stmt_step(st, err);
    *seen = rc == 1 && cairn_stmt_int64(st, 0) > 0;
    cairn_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcasecmp(s + n - m, suffix);
}

/* The schema fields a CSV header names (a field it leaves out is filled by cairn__conform
 * with its default or null); names outside the schema are left for the reader to refuse. */
static int header_fields(cairn__job *j, const char *header, char delimiter, cairn_field **out,
                         size_t *count)
{
    cairn_field *fields = cairn_calloc(j->nfields ? j->nfields : 1, sizeof *fields);
    if (!fields) return CAIRN_ENOMEM;
    size_t n = 0;
    for (size_t f = 0; f < j->nfields; f++) {
        const char *name = j->fields[f].name;
        size_t len = strlen(name);
        bool found = false;
        for (const char *p = header; *p && !found;) {
            const char *start = p, *end;
            bool quoted = *p == '"';
            if (quoted) {
                start = ++p;
                while (*p && !(*p == '"' && p[1] != '"')) p += *p == '"' ? 2 : 1;
                end = p;
                if (*p) p++;
            } else {
                while (*p && *p != delimiter) p++;
                end = p;
            }
            while (*p && *p != delimiter) p++;
            if (*p) p++;
            found = (size_t)(end - start) == len && !memcmp(start, name, len);
        }
        if (found) fields[n++] = j->fields[f];
    }
    *out = fields;
    *count = n;
    return 0;
}

/* Reads from memory (CSV or JSON Lines) with the schema's fields. */
static int read_text(cairn__job *j, const char *data, size_t len, const char *format,
                     const char *source, const char *const *locations, cairn__input *in,
                     cairn_error *err)
{
    bool csv = !strcmp(format, "csv");
    bad_rows b = {j, source, format, NULL, locations, NULL, 0, NULL, 0, 0, 0};
    char *header = NULL;
    if (locations && map_lines(data, len, &b.line_record, &b.nline_record)) return oom(err);
    if (csv && !(header = csv_header(data, len))) {
        cairn_free(b.line_record);
        return oom(err);
    }
    b.header = header;
    cairn_read_options ro;
    cairn_read_options_init(&ro);
    cairn_field *subset = NULL;
    size_t nsubset = 0;
    if (csv && ends_with(source, ".tsv")) ro.delimiter = '\t';
    if (csv && header_fields(j, header, ro.delimiter ? ro.delimiter : ',', &subset, &nsubset)) {
        cairn_free(header);
        cairn_free(b.line_record);
        return oom(err);
    }
    ro.fields = csv ? subset : j->fields;
    ro.nfields = csv ? nsubset : j->nfields;
    ro.on_bad_row = on_bad_row;
    ro.bad_row_ud = &b;
    ro.strings_as_text = in->stream; /* stream producers often send every value as a string */
    ro.progress = j->opts.progress;
    ro.progress_ud = j->opts.progress_ud;
    cairn_table *t = NULL;
    size_t dl_before = j->ndl;
    int rc = csv ? cairn_csv_read(data, len, source, &ro, &t, err)
                 : cairn_jsonl_read(data, len, source, &ro, &t, err);
    if (b.failed) rc = oom(err);
    int64_t parsed = t ? cairn_table_num_rows(t) : 0, accepted = 0;
    if (rc == 0) rc = cairn__conform(j, &t, source, err);
    if (rc == 0) rc = accept_table(j, &t, &b, data, len, &accepted, err);
    if (rc == 0) {
        in->read += parsed + (int64_t)b.nlines;
        in->rejected += (int64_t)(j->ndl - dl_before);
        in->accepted += accepted;
    }
    cairn_table_free(t);
    cairn_free(b.lines);
    cairn_free(b.line_record);
    cairn_free(subset);
    cairn_free(header);
    return rc;
}

/* Typed formats (Parquet, ARFF): the format's reader gives the columns, conformed to the
 * schema. An ARFF row that does not parse fails the input (file:line:column), since dead
 * letters replay only as CSV or JSON Lines. */
static int read_typed(cairn__job *j, const char *path, const cairn_format *fmt, cairn__input *in,
                      cairn_error *err)
{
    cairn_table *t = NULL;
    bad_rows b = {j, path, "json", NULL, NULL, NULL, 0, NULL, 0, 0, 0};
    size_t dl_before = j->ndl;
    int rc = fmt->read_file(path, NULL, &t, err);
    int64_t parsed = t ? cairn_table_num_rows(t) : 0, accepted = 0;
    if (rc == 0) rc = cairn__conform(j, &t, path, err);
    if (rc == 0) rc = accept_table(j, &t, &b, NULL, 0, &accepted, err);
    if (rc == 0) {
        in->read += parsed;
        in->rejected += (int64_t)(j->ndl - dl_before);
        in->accepted += accepted;
    }
    cairn_table_free(t);
    return rc;
}

int cairn__job_read_file(cairn__job *j, const char *path, cairn_error *err)
{
    uint8_t digest[CAIRN_SHA256_LEN];
    char sha[65];
    int rc = cairn_sha256_file(path, digest, err);
    if (rc) return rc;
    cairn_hex_encode(digest, sizeof digest, sha);
    bool seen = false;
    if (!j->opts.force && (rc = seen_before(j, sha, &seen, err))) return rc;
    if (seen) {
        j->res->files_skipped++;
        cairn_log(CAIRN_LOG_INFO, "%s: already ingested into %s (sha256 %.12s), skipped", path,
                  j->dataset, sha);
        return 0;
    }
    const cairn_format *fmt = cairn_format_for_path(path);
    if (!fmt)
        return cairn_error_set(err, CAIRN_EINVAL,
                               "%s: unknown file type (expected .csv, .tsv, .jsonl, .ndjson, "
                               ".parquet, .arff)",
                               path);
    cairn__input *in = NULL;
    if ((rc = add_input(j, sha, path, &in, err))) return rc;
    cairn_crashpoint("ingest: input hashed");
    if (strcmp(fmt->name, "csv") && strcmp(fmt->name, "jsonl"))
        return read_typed(j, path, fmt, in, err);
    cairn_mapped map;
    if ((rc = cairn_file_map(path, &map, err))) return rc;
    rc = read_text(j, map.data, map.len, fmt->name, path, NULL, in, err);
    cairn_file_unmap(&map);
    return rc;
}

int cairn__job_read_buffer(cairn__job *j, const char *data, size_t len, const char *format,
                           const char *source, const char *const *locations, cairn_error *err)
{
    uint8_t digest[CAIRN_SHA256_LEN];
    char sha[65];
    cairn_sha256_digest(data, len, digest);
    cairn_hex_encode(digest, sizeof digest, sha);
    cairn__input *in = NULL;
    int rc = add_input(j, sha, source, &in, err);
    if (rc == 0) {
        in->stream = true;
        rc = read_text(j, data, len, format, source, locations, in, err);
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * De-duplication on the primary key
 * ---------------------------------------------------------------------------------------- */

/* A row's key as bytes: per column a tag byte and the value (strings with their length). */
static int key_bytes(const cairn_column *const *cols, size_t n, int64_t row, cairn_buf *out)
{
    cairn_buf_reset(out);
    int rc = 0;
    for (size_t c = 0; rc == 0 && c < n; c++) {
        const cairn_column *col = cols[c];
        if (!cairn_column_is_valid(col, row)) {
            rc = cairn_buf_putc(out, 0);
            continue;
        }
        rc = cairn_buf_putc(out, 1);
        if (rc) break;
        if (col->type == CAIRN_TYPE_STRING) {
            size_t len;
            const char *s = cairn_column_str(col, row, &len);
            uint64_t l = len;
            rc = cairn_buf_append(out, &l, sizeof l);
            if (rc == 0) rc = cairn_buf_append(out, s, len);
        } else {
            cairn_value v;
            cairn_column_get(col, row, &v);
            int64_t x = 0;
            double d = 0;
            if (v.type == CAIRN_TYPE_INT32 || v.type == CAIRN_TYPE_DATE32) x = v.v.i32;
            else if (v.type == CAIRN_TYPE_INT64 || v.type == CAIRN_TYPE_TIMESTAMP) x = v.v.i64;
            else if (v.type == CAIRN_TYPE_BOOL) x = v.v.b;
            else {
                cairn_value_as_double(&v, &d);
                memcpy(&x, &d, sizeof x);
            }
            rc = cairn_buf_append(out, &x, sizeof x);
        }
    }
    return rc;
}

static int64_t event_us(const cairn_column *col, int64_t row)
{
    if (!col || !cairn_column_is_valid(col, row)) return INT64_MIN;
    if (col->type == CAIRN_TYPE_DATE32) return (int64_t)cairn_column_i32(col, row) * 86400000000LL;
    if (col->type == CAIRN_TYPE_TIMESTAMP || col->type == CAIRN_TYPE_INT64) return cairn_column_i64(col, row);
    cairn_value v;
    double d;
    cairn_column_get(col, row, &v);
    return cairn_value_as_double(&v, &d) ? (int64_t)d : INT64_MIN;
}

/* Open-addressing map from key bytes to a row of the new batch. */
typedef struct keymap {
    uint64_t *hashes; /* 0 = empty */
    int64_t *rows;
    size_t cap;
    cairn_arena arena;
    char **keys;
    size_t *lens;
} keymap;

static int keymap_init(keymap *m, int64_t n)
{
    size_t cap = 16;
    while (cap < (size_t)n * 2) cap <<= 1;
    m->cap = cap;
    m->hashes = cairn_calloc(cap, sizeof *m->hashes);
    m->rows = cairn_calloc(cap, sizeof *m->rows);
    m->keys = cairn_calloc(cap, sizeof *m->keys);
    m->lens = cairn_calloc(cap, sizeof *m->lens);
    cairn_arena_init(&m->arena, 0);
    return m->hashes && m->rows && m->keys && m->lens ? 0 : CAIRN_ENOMEM;
}

static void keymap_free(keymap *m)
{
    cairn_free(m->hashes);
    cairn_free(m->rows);
    cairn_free(m->keys);
    cairn_free(m->lens);
    cairn_arena_release(&m->arena);
}

static uint64_t key_hash(const cairn_buf *k)
{
    uint64_t h = XXH3_64bits(k->data, k->len);
    return h ? h : 1;
}

/* The slot of key k: found (*found) or the empty slot where it would go. */
static size_t keymap_slot(const keymap *m, const cairn_buf *k, uint64_t h, bool *found)
{
    size_t i = h & (m->cap - 1);
    for (;;) {
        if (!m->hashes[i]) {
            *found = false;
            return i;
        }
        if (m->hashes[i] == h && m->lens[i] == k->len && !memcmp(m->keys[i], k->data, k->len)) {
            *found = true;
            return i;
        }
        i = (i + 1) & (m->cap - 1);
    }
}

static int pk_columns(const cairn__job *j, const cairn_table *t, const cairn_column **cols,
                      size_t *n)
{
    const char *const *pk = cairn_dataset_schema_primary_key(j->schema, n);
    for (size_t i = 0; i < *n; i++)
        if (!(cols[i] = cairn_table_column_by_name(t, pk[i]))) return CAIRN_ENOTFOUND;
    return 0;
}

/* Within the batch: one row per key, the one with the latest event time (the later record on
 * equal times), or the first with keep_first. */
static int dedupe_batch(cairn__job *j, cairn_error *err)
{
    size_t npk;
    const char *const *pk = cairn_dataset_schema_primary_key(j->schema, &npk);
    const char *et = cairn_dataset_schema_event_time(j->schema);
    if (npk == 0 || !j->batch || cairn_table_num_rows(j->batch) < 2) return 0;
    cairn_sort_key keys[17];
    if (npk > 16) return cairn_error_set(err, CAIRN_EINVAL, "a primary key of more than 16 columns");
    for (size_t i = 0; i < npk; i++)
        keys[i] = (cairn_sort_key){pk[i], false, false};
    size_t nkeys = npk;
    if (et && !j->opts.keep_first) keys[nkeys++] = (cairn_sort_key){et, false, true};
    cairn_table *sorted = NULL;
    int64_t *starts = NULL, groups = 0;
    int rc = cairn_table_sort(j->batch, keys, nkeys, &sorted, err);
    if (rc == 0) rc = cairn_table_group_bounds(sorted, pk, npk, &starts, &groups, err);
    int64_t rows = cairn_table_num_rows(j->batch);
    if (rc == 0 && groups < rows) {
        int64_t *pick = cairn_malloc((size_t)groups * sizeof *pick);
        if (!pick) rc = oom(err);
        for (int64_t g = 0; rc == 0 && g < groups; g++)
            pick[g] = j->opts.keep_first ? starts[g] : starts[g + 1] - 1;
        cairn_table *out = NULL;
        if (rc == 0) rc = cairn_table_take(sorted, pick, groups, &out) ? oom(err) : 0;
        cairn_free(pick);
        if (rc == 0) {
            j->res->rows_duplicate += rows - groups;
            cairn_table_free(j->batch);
            j->batch = out;
        }
    }
    cairn_free(starts);
    cairn_table_free(sorted);
    return rc;
}

/* Against the head snapshot: leaves out new rows whose stored twin wins (*filtered = the
 * batch without them, or NULL when none goes) and marks stored rows that a newer record
 * replaces (*drop_stored[f] = a keep mask over file f's rows, or NULL). j->batch is not
 * changed, so that a commit that lost a race can do this again against the new head. */
static int dedupe_stored(cairn__job *j, cairn_table **filtered, uint8_t ***drop_stored,
                         cairn_error *err)
{
    *filtered = NULL;
    size_t npk;
    const char *const *pk = cairn_dataset_schema_primary_key(j->schema, &npk);
    const char *et = cairn_dataset_schema_event_time(j->schema);
    *drop_stored = NULL;
    if (npk == 0 || !j->batch || !j->head || j->head->nfiles == 0) return 0;
    int64_t rows = cairn_table_num_rows(j->batch);
    const cairn_column *ncols[16], *scols[16];
    if (pk_columns(j, j->batch, ncols, &npk)) return cairn_error_set(err, CAIRN_EINTERNAL, "key column missing");
    const cairn_column *net = et ? cairn_table_column_by_name(j->batch, et) : NULL;
    keymap m;
    cairn_buf key;
    cairn_buf_init(&key, 0);
    uint8_t *keep_new = cairn_malloc(rows ? (size_t)rows : 1);
    uint8_t **drops = cairn_calloc(j->head->nfiles, sizeof *drops);
    int rc = keymap_init(&m, rows) || !keep_new || !drops ? oom(err) : 0;
    if (keep_new) memset(keep_new, 1, rows ? (size_t)rows : 1);
    for (int64_t r = 0; rc == 0 && r < rows; r++) {
        bool found;
        if (key_bytes(ncols, npk, r, &key)) rc = oom(err);
        else {
            uint64_t h = key_hash(&key);
            size_t s = keymap_slot(&m, &key, h, &found);
            char *copy = cairn_arena_alloc(&m.arena, key.len ? key.len : 1);
            if (!copy) rc = oom(err);
            else {
                memcpy(copy, key.data, key.len);
                m.hashes[s] = h, m.rows[s] = r, m.keys[s] = copy, m.lens[s] = key.len;
            }
        }
    }
    const char *names[17];
    size_t nnames = 0;
    for (size_t i = 0; i < npk; i++)
        names[nnames++] = pk[i];
    if (et) names[nnames++] = et;
    int64_t dropped_new = 0;
    for (size_t f = 0; rc == 0 && f < j->head->nfiles; f++) {
        cairn_snapshot one = *j->head;
        one.files = &j->head->files[f];
        one.nfiles = 1;
        cairn_table *st = NULL;
        if ((rc = cairn_lake_read(j->home, &one, names, nnames, false, &st, err))) break;
        pk_columns(j, st, scols, &npk);
        const cairn_column *set = et ? cairn_table_column_by_name(st, et) : NULL;
        int64_t srows = cairn_table_num_rows(st);
        for (int64_t r = 0; rc == 0 && r < srows; r++) {
            bool found;
            if (key_bytes(scols, npk, r, &key)) {
                rc = oom(err);
                break;
            }
            size_t s = keymap_slot(&m, &key, key_hash(&key), &found);
            if (!found) continue;
            int64_t nr = m.rows[s];
            if (!keep_new[nr]) continue;
            bool stored_wins = j->opts.keep_first || !et || event_us(set, r) >= event_us(net, nr);
            if (stored_wins) {
                keep_new[nr] = 0;
                dropped_new++;
            } else {
                if (!drops[f]) {
                    drops[f] = cairn_malloc((size_t)srows);
                    if (!drops[f]) {
                        rc = oom(err);
                        break;
                    }
                    memset(drops[f], 1, (size_t)srows);
                }
                drops[f][r] = 0;
            }
        }
        cairn_table_free(st);
    }
    if (rc == 0 && dropped_new) {
        if (cairn_table_filter(j->batch, keep_new, filtered)) rc = oom(err);
        else j->res->rows_duplicate += dropped_new;
    }
    keymap_free(&m);
    cairn_buf_release(&key);
    cairn_free(keep_new);
    if (rc) {
        for (size_t f = 0; drops && f < j->head->nfiles; f++)
            cairn_free(drops[f]);
        cairn_free(drops);
        return rc;
    }
    *drop_stored = drops;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Partitioning and writing
 * ---------------------------------------------------------------------------------------- */

typedef struct write_task {
    cairn__job *job;
    const cairn_table *batch;
    const int64_t *order;   /* rows grouped by partition */
    const int64_t *starts;  /* nparts + 1 */
    char (*texts)[CAIRN_LAKE_PATH_MAX];
    cairn_lake_file *files;
    const char *drop_column; /* value partitioning: left out of the files */
    _Atomic int64_t done;
    int rc;
    cairn_error err;
    pthread_mutex_t lock;
} write_task;

static void write_one(void *arg, size_t p)
{
    write_task *w = arg;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_table *part = NULL, *proj = NULL;
    int rc = cairn_table_take(w->batch, w->order + w->starts[p], w->starts[p + 1] - w->starts[p],
                              &part);
    if (rc == 0 && w->drop_column) {
        const char *names[512];
        size_t n = 0;
        for (size_t c = 0; c < cairn_table_num_columns(part) && n < 512; c++)
            if (strcmp(cairn_table_column(part, c)->name, w->drop_column))
                names[n++] = cairn_table_column(part, c)->name;
        rc = cairn_table_project(part, names, n, &proj, &err);
    }
    if (rc == 0)
        rc = cairn_lake_write_file(cairn_home_path(w->job->home), w->job->dataset, w->texts[p],
                                   proj ? proj : part,
                                   cairn_dataset_schema_event_time(w->job->schema), NULL,
                                   &w->files[p], &err);
    else if (!err.message[0]) cairn_error_set(&err, rc, "out of memory");
    cairn_table_free(proj);
    cairn_table_free(part);
    cairn_crashpoint("ingest: partition file written");
    pthread_mutex_lock(&w->lock);
    if (rc && !w->rc) {
        w->rc = rc;
        w->err = err;
    }
    pthread_mutex_unlock(&w->lock);
    atomic_fetch_add(&w->done, 1);
}

/* Bucket of a row under the partition rule, as an integer (day, month, or an interned value
 * id); INT64_MIN for null. */
static int64_t bucket_of(cairn_partition_kind kind, const cairn_column *col, int64_t row)
{
    if (!cairn_column_is_valid(col, row)) return INT64_MIN;
    int64_t days;
    if (col->type == CAIRN_TYPE_DATE32) days = cairn_column_i32(col, row);
    else if (col->type == CAIRN_TYPE_TIMESTAMP) {
        int64_t us = cairn_column_i64(col, row);
        days = us / 86400000000LL - (us % 86400000000LL < 0);
    } else {
        cairn_value v;
        cairn_column_get(col, row, &v);
        if (v.type == CAIRN_TYPE_INT32) return v.v.i32;
        if (v.type == CAIRN_TYPE_INT64) return v.v.i64;
        if (v.type == CAIRN_TYPE_BOOL) return v.v.b;
        return 0; /* strings and floats are interned by the caller */
    }
    if (kind == CAIRN_PARTITION_DAY) return days;
    if (kind == CAIRN_PARTITION_MONTH) {
        int64_t y;
        unsigned m, d;
        cairn_civil_from_days(days, &y, &m, &d);
        return y * 12 + (m - 1);
    }
    return days;
}

/* Do rows a and b hold the same value (an interned partition column: strings, floats)? */
static bool same_value(const cairn_column *col, int64_t a, int64_t b)
{
    bool va = cairn_column_is_valid(col, a), vb = cairn_column_is_valid(col, b);
    if (!va || !vb) return va == vb;
    if (col->type == CAIRN_TYPE_STRING) {
        size_t la, lb;
        const char *sa = cairn_column_str(col, a, &la), *sb = cairn_column_str(col, b, &lb);
        return la == lb && !memcmp(sa, sb, la);
    }
    size_t w = cairn_type_width(col->type);
    return !memcmp((const char *)col->values + (size_t)a * w, (const char *)col->values + (size_t)b * w, w);
}

/* Groups the batch's rows by partition: order (rows), starts (nparts + 1), one representative
 * row per partition. */
static int group_partitions(cairn__job *j, int64_t **order_out, int64_t **starts_out,
                            int64_t **rep_out, size_t *nparts_out, cairn_error *err)
{
    const char *pcol = NULL;
    cairn_partition_kind kind = cairn_dataset_schema_partition(j->schema, &pcol);
    int64_t rows = cairn_table_num_rows(j->batch);
    int64_t *ids = cairn_malloc(((size_t)rows + 1) * sizeof *ids);
    if (!ids) return oom(err);
    const cairn_column *col = kind ? cairn_table_column_by_name(j->batch, pcol) : NULL;
    bool interned = col && (col->type == CAIRN_TYPE_STRING || col->type == CAIRN_TYPE_FLOAT32 ||
                            col->type == CAIRN_TYPE_FLOAT64);
    /* bucket -> dense id */
    size_t cap = 64;
    int64_t *bkeys = NULL, *bids = NULL, *rep = NULL;
    uint64_t *bh = NULL;
    size_t nparts = 0, repcap = 0;
    cairn_buf key;
    cairn_buf_init(&key, 0);
    int rc = 0;
    bkeys = cairn_malloc(cap * sizeof *bkeys);
    bids = cairn_malloc(cap * sizeof *bids);
    bh = cairn_calloc(cap, sizeof *bh);
    if (!bkeys || !bids || !bh) rc = oom(err);
    for (int64_t r = 0; rc == 0 && r < rows; r++) {
        uint64_t h;
        int64_t b;
        if (!col) {
            b = 0;
        } else if (interned) {
            const cairn_column *one = col;
            if (key_bytes(&one, 1, r, &key)) {
                rc = oom(err);
                break;
            }
            h = key_hash(&key);
            b = (int64_t)h; /* compared against the representative below */
        } else b = bucket_of(kind, col, r);
        h = XXH3_64bits(&b, sizeof b) | 1;
        size_t s = h & (cap - 1);
        for (;;) {
            if (!bh[s]) break;
            if (bh[s] == h && bkeys[s] == b && (!interned || same_value(col, r, rep[bids[s]])))
                break;
            s = (s + 1) & (cap - 1);
        }
        if (!bh[s]) {
            if (cairn_grow((void **)&rep, &repcap, nparts + 1, sizeof *rep)) {
                rc = oom(err);
                break;
            }
            bh[s] = h, bkeys[s] = b, bids[s] = (int64_t)nparts;
            rep[nparts++] = r;
            if (nparts * 2 > cap) { /* rehash */
                size_t ncap = cap * 2;
                int64_t *nk = cairn_malloc(ncap * sizeof *nk), *ni = cairn_malloc(ncap * sizeof *ni);
                uint64_t *nh = cairn_calloc(ncap, sizeof *nh);
                if (!nk || !ni || !nh) {
                    cairn_free(nk), cairn_free(ni), cairn_free(nh);
                    rc = oom(err);
                    break;
                }
                for (size_t i = 0; i < cap; i++) {
                    if (!bh[i]) continue;
                    size_t t = bh[i] & (ncap - 1);
                    while (nh[t]) t = (t + 1) & (ncap - 1);
                    nh[t] = bh[i], nk[t] = bkeys[i], ni[t] = bids[i];
                }
                cairn_free(bh), cairn_free(bkeys), cairn_free(bids);
                bh = nh, bkeys = nk, bids = ni, cap = ncap;
            }
            ids[r] = (int64_t)nparts - 1;
        } else ids[r] = bids[s];
    }
    cairn_buf_release(&key);
    cairn_free(bkeys), cairn_free(bids), cairn_free(bh);
    int64_t *starts = NULL, *order = NULL;
    if (rc == 0) {
        starts = cairn_calloc(nparts + 1, sizeof *starts);
        order = cairn_malloc(((size_t)rows + 1) * sizeof *order);
        if (!starts || !order) rc = oom(err);
    }
    if (rc == 0) {
        for (int64_t r = 0; r < rows; r++)
            starts[ids[r] + 1]++;
        for (size_t p = 0; p < nparts; p++)
            starts[p + 1] += starts[p];
        int64_t *fill = cairn_malloc((nparts + 1) * sizeof *fill);
        if (!fill) rc = oom(err);
        else {
            memcpy(fill, starts, (nparts + 1) * sizeof *fill);
            for (int64_t r = 0; r < rows; r++)
                order[fill[ids[r]]++] = r;
            cairn_free(fill);
        }
    }
    cairn_free(ids);
    if (rc) {
        cairn_free(starts), cairn_free(order), cairn_free(rep);
        return rc;
    }
    *order_out = order, *starts_out = starts, *rep_out = rep, *nparts_out = nparts;
    return 0;
}

static int cmp_files(const void *a, const void *b)
{
    return strcmp(((const cairn_lake_file *)a)->path, ((const cairn_lake_file *)b)->path);
}

/* Writes the batch, one file per partition, in parallel; appends to *files. */
static int write_batch(cairn__job *j, cairn_lake_file **files, size_t *nfiles, size_t *fcap,
                       cairn_error *err)
{
    if (!j->batch || cairn_table_num_rows(j->batch) == 0) return 0;
    const char *pcol = NULL;
    cairn_partition_kind kind = cairn_dataset_schema_partition(j->schema, &pcol);
    int64_t *order = NULL, *starts = NULL, *rep = NULL;
    size_t nparts = 0;
    int rc = group_partitions(j, &order, &starts, &rep, &nparts, err);
    if (rc) return rc;
    progress(j, "partitioned", 0, (int64_t)nparts);
    write_task w = {.job = j, .batch = j->batch, .order = order, .starts = starts};
    w.texts = cairn_calloc(nparts, sizeof *w.texts);
    w.files = cairn_calloc(nparts, sizeof *w.files);
    if (!w.texts || !w.files) rc = oom(err);
    const cairn_column *col = kind ? cairn_table_column_by_name(j->batch, pcol) : NULL;
    for (size_t p = 0; rc == 0 && p < nparts; p++) {
        if (!col) continue;
        cairn_value v;
        cairn_column_get(col, rep[p], &v);
        rc = cairn_lake_partition_text((int)kind, pcol, &v, w.texts[p], sizeof w.texts[p], err);
    }
    if (kind == CAIRN_PARTITION_VALUE) w.drop_column = pcol;
    if (rc == 0) {
        pthread_mutex_init(&w.lock, NULL);
        cairn_error_clear(&w.err);
        cairn_pool_run(cairn_pool_default(), nparts, write_one, &w);
        pthread_mutex_destroy(&w.lock);
        if (w.rc) {
            rc = w.rc;
            *err = w.err;
        }
    }
    if (rc == 0 && cairn_grow((void **)files, fcap, *nfiles + nparts, sizeof **files)) rc = oom(err);
    if (rc == 0) {
        memcpy(*files + *nfiles, w.files, nparts * sizeof *w.files);
        *nfiles += nparts;
        j->res->files_written += (int64_t)nparts;
        j->res->partitions += (int64_t)nparts;
        j->res->rows_written += cairn_table_num_rows(j->batch);
    }
    cairn_free(w.texts);
    cairn_free(w.files);
    cairn_free(order), cairn_free(starts), cairn_free(rep);
    return rc;
}

/* The head's files, each rewritten without the rows a newer record replaces. */
static int carry_head_files(cairn__job *j, uint8_t **drops, cairn_lake_file **files,
                            size_t *nfiles, size_t *fcap, cairn_error *err)
{
    if (!j->head) return 0;
    for (size_t f = 0; f < j->head->nfiles; f++) {
        const cairn_lake_file *old = &j->head->files[f];
        if (!drops || !drops[f]) {
            if (cairn_grow((void **)files, fcap, *nfiles + 1, sizeof **files)) return oom(err);
            (*files)[(*nfiles)++] = *old;
            continue;
        }
        char path[4096];
        cairn_table *t = NULL, *kept = NULL;
        int rc = cairn_lake_file_path(cairn_home_path(j->home), j->dataset, old, path, sizeof path, err);
        cairn_parquet_options po;
        cairn_parquet_options_init(&po);
        if (rc == 0) rc = cairn_parquet_read_file(path, &po, &t, err);
        if (rc == 0) rc = cairn_table_filter(t, drops[f], &kept) ? oom(err) : 0;
        if (rc == 0 && cairn_table_num_rows(kept) > 0) {
            cairn_lake_file nf;
            rc = cairn_lake_write_file(cairn_home_path(j->home), j->dataset, old->partition, kept,
                                       cairn_dataset_schema_event_time(j->schema), NULL, &nf, err);
            if (rc == 0 && cairn_grow((void **)files, fcap, *nfiles + 1, sizeof **files)) rc = oom(err);
            if (rc == 0) {
                (*files)[(*nfiles)++] = nf;
                j->res->files_written++;
            }
        }
        cairn_table_free(kept);
        cairn_table_free(t);
        if (rc) return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Committing
 * ---------------------------------------------------------------------------------------- */

static int bind_str(cairn_stmt *st, int i, const char *s)
{
    return s ? cairn_stmt_bind_text(st, i, s, strlen(s)) : cairn_stmt_bind_null(st, i);
}

static int exec_stmt(cairn_stmt *st, cairn_error *err)
{
    int rc = cairn_stmt_step(st, err);
    cairn_stmt_reset(st);
    return rc < 0 ? rc : 0;
}

static int next_dlq_id(cairn_catalog *cat, int64_t *id, cairn_error *err)
{
    cairn_stmt *st;
    int rc = cairn_catalog_prepare(cat, "SELECT COALESCE(MAX(id), 0) + 1 FROM dlq_records", &st, err);
    if (rc) return rc;
    rc = cairn_stmt_step(st, err);
    if (rc == 1) *id = cairn_stmt_int64(st, 0);
    cairn_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

static int insert_dead_letters(cairn__job *j, cairn_catalog *cat, const char *snap, const char *now,
                               cairn_error *err)
{
    int64_t id = 0;
    int rc = next_dlq_id(cat, &id, err);
    if (rc) return rc;
    cairn_stmt *ins = NULL, *upd = NULL;
    rc = cairn_catalog_prepare(
        cat,
        "INSERT INTO dlq_records (id, dataset, at, source, location, line, stage, reason, field, "
        "format, header, raw, schema_subject, schema_version, snapshot, status) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
        &ins, err);
    if (rc == 0)
        rc = cairn_catalog_prepare(cat,
                                   "UPDATE dlq_records SET reason = ?, field = ?, at = ?, "
                                   "schema_version = ? WHERE id = ?",
                                   &upd, err);
    for (size_t i = 0; rc == 0 && i < j->ndl; i++) {
        const cairn__dead_letter *d = &j->dl[i];
        if (d->replay_id) {
            bind_str(upd, 1, d->reason);
            bind_str(upd, 2, d->field);
            bind_str(upd, 3, now);
            cairn_stmt_bind_int64(upd, 4, j->version);
            cairn_stmt_bind_int64(upd, 5, d->replay_id);
            rc = exec_stmt(upd, err);
            continue;
        }
        cairn_stmt_bind_int64(ins, 1, id++);
        bind_str(ins, 2, j->dataset);
        bind_str(ins, 3, now);
        bind_str(ins, 4, d->source);
        bind_str(ins, 5, d->location);
        if (d->line > 0) cairn_stmt_bind_int64(ins, 6, d->line);
        else cairn_stmt_bind_null(ins, 6);
        bind_str(ins, 7, d->stage);
        bind_str(ins, 8, d->reason);
        bind_str(ins, 9, d->field[0] ? d->field : NULL);
        bind_str(ins, 10, d->format);
        bind_str(ins, 11, d->header);
        bind_str(ins, 12, d->raw);
        bind_str(ins, 13, j->dataset);
        cairn_stmt_bind_int64(ins, 14, j->version);
        bind_str(ins, 15, snap);
        rc = exec_stmt(ins, err);
        if (rc == 0) j->res->dlq_written++;
    }
    cairn_stmt_finalize(ins);
    cairn_stmt_finalize(upd);
    return rc;
}

static int commit_hook(void *ud, cairn_catalog *cat, const char *snap, cairn_error *err)
{
    cairn__job *j = ud;
    char now[CAIRN_TIME_FMT_LEN];
    cairn_time_format(cairn_now_us(), now, sizeof now);
    cairn_stmt *st = NULL;
    int rc = cairn_catalog_prepare(
        cat,
        "INSERT INTO ingested_files (dataset, sha256, source, snapshot, at, rows_read, "
        "rows_written, rows_rejected) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        &st, err);
    for (size_t i = 0; rc == 0 && i < j->ninputs; i++) {
        const cairn__input *in = &j->inputs[i];
        if (in->stream) continue; /* stream batches are de-duplicated by key, not content */
        bind_str(st, 1, j->dataset);
        bind_str(st, 2, in->sha);
        bind_str(st, 3, in->source);
        bind_str(st, 4, snap);
        bind_str(st, 5, now);
        cairn_stmt_bind_int64(st, 6, in->read);
        cairn_stmt_bind_int64(st, 7, in->accepted);
        cairn_stmt_bind_int64(st, 8, in->rejected);
        rc = exec_stmt(st, err);
        if (rc == CAIRN_ECONFLICT && j->opts.force) rc = 0; /* forced re-ingest */
    }
    cairn_stmt_finalize(st);
    if (rc == 0) rc = insert_dead_letters(j, cat, snap, now, err);
    if (rc == 0 && j->nreplayed) {
        rc = cairn_catalog_prepare(cat,
                                   "UPDATE dlq_records SET status = 'replayed', replayed_at = ?, "
                                   "replayed_snapshot = ? WHERE id = ?",
                                   &st, err);
        for (size_t i = 0; rc == 0 && i < j->nreplayed; i++) {
            bind_str(st, 1, now);
            bind_str(st, 2, snap);
            cairn_stmt_bind_int64(st, 3, j->replayed[i]);
            rc = exec_stmt(st, err);
        }
        cairn_stmt_finalize(st);
    }
    if (rc == 0 && j->quality_id[0]) {
        rc = cairn_catalog_prepare(cat, "UPDATE lake_snapshots SET quality = ? WHERE id = ?", &st, err);
        if (rc == 0) {
            bind_str(st, 1, j->quality_id);
            bind_str(st, 2, snap);
            rc = exec_stmt(st, err);
            cairn_stmt_finalize(st);
        }
    }
    cairn_crashpoint("ingest: catalog records written, not committed");
    return rc;
}

/* De-duplicates `base` against the head, writes it, and commits the snapshot. */
static int write_and_commit(cairn__job *j, cairn_table *base, cairn_table **filtered,
                            cairn_error *err)
{
    cairn_ingest_result *res = j->res;
    uint8_t **drops = NULL;
    j->batch = base;
    int rc = dedupe_stored(j, filtered, &drops, err);
    if (rc) return rc;
    if (*filtered) j->batch = *filtered;
    cairn_lake_file *files = NULL;
    size_t nfiles = 0, fcap = 0;
    int64_t before = res->rows_written;
    progress(j, "writing", 0, 0);
    rc = write_batch(j, &files, &nfiles, &fcap, err);
    if (rc == 0) rc = carry_head_files(j, drops, &files, &nfiles, &fcap, err);
    for (size_t f = 0; drops && f < j->head->nfiles; f++)
        cairn_free(drops[f]);
    cairn_free(drops);
    if (rc == 0 && nfiles > 1) {
        /* A new file named like a stored one has the same bytes (names are content hashes):
         * its rows are stored already (a stream batch delivered twice, a forced re-ingest). */
        qsort(files, nfiles, sizeof *files, cmp_files);
        size_t k = 1;
        for (size_t i = 1; i < nfiles; i++) {
            if (strcmp(files[i].path, files[k - 1].path)) {
                files[k++] = files[i];
                continue;
            }
            cairn_log(CAIRN_LOG_INFO, "%s: %s is stored already (%lld identical rows)", j->dataset,
                      files[i].path, (long long)files[i].rows);
            res->rows_written -= files[i].rows;
            res->rows_duplicate += files[i].rows;
            res->files_written--;
        }
        nfiles = k;
    }
    cairn_crashpoint("ingest: files written, not committed");
    if (rc == 0) {
        progress(j, "committing", 0, 0);
        cairn_commit c = {0};
        c.dataset = j->dataset;
        c.parent = j->head ? j->head->id : NULL;
        c.operation = j->opts.operation;
        c.schema_subject = j->dataset;
        c.schema_version = j->version;
        c.added_rows = res->rows_written - before;
        c.files = files;
        c.nfiles = nfiles;
        const char *pcol = NULL;
        c.partition_kind = (int)cairn_dataset_schema_partition(j->schema, &pcol);
        c.partition_column = pcol;
        const cairn_dataset_field *pf = pcol ? cairn_dataset_schema_find(j->schema, pcol) : NULL;
        c.partition_type = pf ? pf->type : (cairn_type)0;
        c.hook = commit_hook;
        c.hook_ud = j;
        rc = cairn_snapshot_commit(j->home, &c, res->snapshot, err);
    }
    cairn_free(files);
    if (rc == 0) cairn_crashpoint("ingest: committed");
    return rc;
}

/* The rows the previous batch's checks saw (its stored quality report), for row-count change
 * checks: the same measure as this batch's (accepted rows before de-duplication). -1 when
 * there is no previous report. */
static int64_t previous_batch_rows(cairn__job *j)
{
    if (!j->head) return -1;
    cairn_error e;
    char qid[65];
    if (cairn_snapshot_quality(j->home, j->head->id, qid, &e) || !qid[0]) return -1;
    cairn_buf text;
    cairn_buf_init(&text, 0);
    json_t *report = NULL;
    int64_t rows = -1;
    if (cairn_object_get(cairn_home_path(j->home), qid, &text, &e) == 0 &&
        cairn_json_parse(text.data, text.len, "quality report", &report, &e) == 0 &&
        json_is_integer(json_object_get(report, "rows")))
        rows = json_integer_value(json_object_get(report, "rows"));
    json_decref(report);
    cairn_buf_release(&text);
    return rows;
}

/* Fields declared unique are unique across the dataset, not only within a batch: a new
 * record whose value is already stored under another primary key (or, without a key, at
 * all) becomes a dead letter. A stored record that the new one replaces (same key) does not
 * count. */
static int unique_field_against_stored(cairn__job *j, const cairn_dataset_field *field,
                                       uint8_t *keep, int64_t *dropped, cairn_error *err)
{
    size_t npk;
    const char *const *pk = cairn_dataset_schema_primary_key(j->schema, &npk);
    const char *names[17];
    size_t nnames = 0;
    names[nnames++] = field->name;
    for (size_t i = 0; i < npk && i < 16; i++)
        if (strcmp(pk[i], field->name)) names[nnames++] = pk[i];
    int64_t rows = cairn_table_num_rows(j->batch);
    const cairn_column *vcol = cairn_table_column_by_name(j->batch, field->name);
    const cairn_column *npkc[16], *spkc[16];
    if (!vcol || pk_columns(j, j->batch, npkc, &npk))
        return cairn_error_set(err, CAIRN_EINTERNAL, "column '%s' missing", field->name);
    keymap m = {0};
    cairn_buf key, pkey;
    cairn_buf_init(&key, 0);
    cairn_buf_init(&pkey, 0);
    /* stored value -> stored key bytes (kept in the map's arena, indexed by rows[]) */
    char **pks = NULL;
    size_t *pklens = NULL, npks = 0, pkcap = 0, lencap = 0;
    int64_t stored_rows = j->head->rows;
    int rc = keymap_init(&m, stored_rows) ? oom(err) : 0;
    for (size_t f = 0; rc == 0 && f < j->head->nfiles; f++) {
        cairn_snapshot one = *j->head;
        one.files = &j->head->files[f];
        one.nfiles = 1;
        cairn_table *st = NULL;
        if ((rc = cairn_lake_read(j->home, &one, names, nnames, false, &st, err))) break;
        const cairn_column *sv = cairn_table_column_by_name(st, field->name);
        pk_columns(j, st, spkc, &npk);
        for (int64_t r = 0; rc == 0 && r < cairn_table_num_rows(st); r++) {
            bool found;
            if (!cairn_column_is_valid(sv, r)) continue;
            if (key_bytes(&sv, 1, r, &key) || key_bytes(spkc, npk, r, &pkey)) {
                rc = oom(err);
                break;
            }
            uint64_t h = key_hash(&key);
            size_t slot = keymap_slot(&m, &key, h, &found);
            if (found) continue;
            char *kc = cairn_arena_alloc(&m.arena, key.len + 1), *pc = cairn_arena_alloc(&m.arena, pkey.len + 1);
            if (!kc || !pc || cairn_grow((void **)&pks, &pkcap, npks + 1, sizeof *pks) ||
                cairn_grow((void **)&pklens, &lencap, npks + 1, sizeof *pklens)) {
                rc = oom(err);
                break;
            }
            memcpy(kc, key.data, key.len);
            memcpy(pc, pkey.data, pkey.len);
            pks[npks] = pc;
            pklens[npks] = pkey.len;
            m.hashes[slot] = h, m.rows[slot] = (int64_t)npks++, m.keys[slot] = kc, m.lens[slot] = key.len;
        }
        cairn_table_free(st);
    }
    for (int64_t r = 0; rc == 0 && r < rows; r++) {
        bool found;
        if (!keep[r] || !cairn_column_is_valid(vcol, r)) continue;
        if (key_bytes(&vcol, 1, r, &key) || key_bytes(npkc, npk, r, &pkey)) {
            rc = oom(err);
            break;
        }
        size_t slot = keymap_slot(&m, &key, key_hash(&key), &found);
        if (!found) continue;
        int64_t s = m.rows[slot];
        if (npk && pklens[s] == pkey.len && !memcmp(pks[s], pkey.data, pkey.len)) continue;
        keep[r] = 0;
        (*dropped)++;
        cairn__dead_letter d = {0};
        cairn_buf text;
        cairn_buf_init(&text, 0);
        cairn_value v;
        cairn_column_get(vcol, r, &v);
        cairn_value_format(&v, NULL, &text);
        char reason[256];
        snprintf(reason, sizeof reason, "field '%s': value '%.*s' is already stored (unique field)",
                 field->name, (int)(text.len > 120 ? 120 : text.len), text.data ? text.data : "");
        cairn_buf_release(&text);
        d.source = cairn_malloc(16);
        if (d.source) snprintf(d.source, 16, "%s", "(batch)");
        d.reason = dup_str(reason, strlen(reason));
        d.raw = cairn__row_json(j->batch, r);
        d.stage = "validate";
        d.format = "json";
        snprintf(d.field, sizeof d.field, "%s", field->name);
        snprintf(d.location, sizeof d.location, "accepted row %lld", (long long)r + 1);
        if (!d.source || !d.reason || !d.raw) {
            cairn__dead_letter_clear(&d);
            rc = oom(err);
        } else rc = cairn__job_dead_letter(j, &d, err);
    }
    cairn_free(pks);
    cairn_free(pklens);
    keymap_free(&m);
    cairn_buf_release(&key);
    cairn_buf_release(&pkey);
    return rc;
}

static int unique_against_stored(cairn__job *j, cairn_error *err)
{
    if (!j->batch || !j->head || j->head->nfiles == 0) return 0;
    int64_t rows = cairn_table_num_rows(j->batch), dropped = 0;
    uint8_t *keep = NULL;
    int rc = 0;
    for (size_t f = 0; rc == 0 && f < j->nfields; f++) {
        const cairn_dataset_field *field = cairn_dataset_schema_field(j->schema, f);
        if (!field->unique) continue;
        if (!keep) {
            if (!(keep = cairn_malloc(rows ? (size_t)rows : 1))) return oom(err);
            memset(keep, 1, rows ? (size_t)rows : 1);
        }
        rc = unique_field_against_stored(j, field, keep, &dropped, err);
    }
    if (rc == 0 && dropped) {
        cairn_table *kept = NULL;
        if (cairn_table_filter(j->batch, keep, &kept)) rc = oom(err);
        else {
            cairn_table_free(j->batch);
            j->batch = kept;
        }
    }
    cairn_free(keep);
    return rc;
}

int cairn__job_commit(cairn__job *j, cairn_error *err)
{
    cairn_ingest_result *res = j->res;
    int rc0 = unique_against_stored(j, err);
    if (rc0) return rc0;
    int64_t read = 0, rejected = (int64_t)j->ndl;
    bool any_input = false;
    for (size_t i = 0; i < j->ninputs; i++) {
        read += j->inputs[i].read;
        any_input = true;
    }
    if (j->nreplayed || (j->ndl && !any_input)) read = (int64_t)(j->nreplayed + j->ndl);
    res->rows_read = read;
    res->rows_rejected = rejected;
    if (!any_input && !j->nreplayed && !j->ndl) {
        res->noop = true;
        return 0;
    }
    double rate = read ? (double)rejected / (double)read : 0;
    bool replay = !strcmp(j->opts.operation, "replay"); /* replay keeps what still fails */
    if (rate > j->opts.max_error_rate && !replay)
    {
        res->refused = true;
        snprintf(res->refused_reason, sizeof res->refused_reason,
                 "%.2f%% of records were rejected (%lld of %lld), above the maximum error rate "
                 "%.2f%%",
                 rate * 100, (long long)rejected, (long long)read, j->opts.max_error_rate * 100);
        return cairn_error_set(err, CAIRN_EINVAL, "ingest into '%s' refused, nothing written: %s",
                               j->dataset, res->refused_reason);
    }

    /* dataset-level checks on the accepted rows */
    int rc;
    progress(j, "checking", 0, 0);
    if (j->batch && cairn_table_num_rows(j->batch) > 0) {
        cairn_quality_context qc = {j->opts.now_us, previous_batch_rows(j)};
        if ((rc = cairn_quality_evaluate(j->schema, j->batch, &qc, &res->quality, err))) return rc;
        if (res->quality->failed > 0) {
            for (size_t i = 0; i < res->quality->nresults; i++) {
                const cairn_check_result *c = &res->quality->results[i];
                if (c->passed || c->warning) continue;
                res->refused = true;
                snprintf(res->refused_reason, sizeof res->refused_reason,
                         "check %s failed (observed %g, expected %s)", c->name, c->observed,
                         c->expected);
                return cairn_error_set(err, CAIRN_EINVAL,
                                       "ingest into '%s' refused, nothing written: %zu of %zu "
                                       "checks failed, first: %s",
                                       j->dataset, res->quality->failed, res->quality->evaluated,
                                       res->refused_reason);
            }
        }
        json_t *qj = NULL;
        if ((rc = cairn_quality_report_json(res->quality, &qj))) return oom(err);
        char *text = cairn__json_text(qj);
        json_decref(qj);
        if (!text) return oom(err);
        rc = cairn_object_put(cairn_home_path(j->home), text, strlen(text), j->quality_id, err);
        cairn_free(text);
        if (rc) return rc;
    }
    progress(j, "de-duplicating", 0, 0);
    if ((rc = dedupe_batch(j, err))) return rc;
    /* A concurrent ingest may move the head between our read of it and our commit: the
     * commit is then refused (CAIRN_ECONFLICT) and redone against the new head, a few times. */
    cairn_table *base = j->batch;
    cairn_ingest_result start = *res;
    for (int attempt = 1;; attempt++) {
        cairn_table *filtered = NULL;
        rc = write_and_commit(j, base, &filtered, err);
        j->batch = base;
        cairn_table_free(filtered);
        if (rc != CAIRN_ECONFLICT || attempt == 20) break;
        char old_head[65];
        snprintf(old_head, sizeof old_head, "%s", j->head ? j->head->id : "");
        cairn_snapshot_free(j->head);
        j->head = NULL;
        cairn_error e;
        if (cairn_snapshot_head(j->home, j->dataset, &j->head, &e)) break;
        if (!strcmp(old_head, j->head ? j->head->id : "")) break; /* not a race: give up */
        cairn_log(CAIRN_LOG_INFO, "%s: the head moved to %.12s during the ingest; committing again",
                  j->dataset, j->head ? j->head->id : "");
        cairn_quality_report *q = res->quality;
        *res = start;
        res->quality = q;
        snprintf(res->parent, sizeof res->parent, "%s", j->head ? j->head->id : "");
        cairn_error_clear(err);
        /* back off a little, with jitter, so that racers do not collide again in step */
        struct timespec ts = {0, (long)((cairn_monotonic_ns() % 7 + 1) * 2000000L * (attempt < 5 ? attempt : 5))};
        nanosleep(&ts, NULL);
    }
    if (rc == CAIRN_ECONFLICT)
        cairn_error_prefix(err, "dataset '%s' changed during the ingest; run it again: ",
                           j->dataset);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------------------------- */

int cairn_ingest_files(cairn_home *home, const char *dataset, const char *const *paths,
                       size_t npaths, const cairn_ingest_options *opts,
                       cairn_ingest_result *result, cairn_error *err)
{
    cairn__job j;
    int rc = cairn__job_open(&j, home, dataset, opts, result, err);
    for (size_t i = 0; rc == 0 && i < npaths; i++)
        rc = cairn__job_read_file(&j, paths[i], err);
    if (rc == 0 && !progress(&j, "validated", (int64_t)npaths, (int64_t)npaths))
        rc = cairn_error_set(err, CAIRN_ECANCELED, "ingest cancelled");
    if (rc == 0) rc = cairn__job_commit(&j, err);
    cairn__job_close(&j);
    return rc;
}

int cairn_ingest_jsonl_buffer(cairn_home *home, const char *dataset, const char *data,
                              size_t len, const char *source, const char *const *locations,
                              const cairn_ingest_options *opts, cairn_ingest_result *result,
                              cairn_error *err)
{
    cairn__job j;
    cairn_ingest_options o;
    if (opts) o = *opts;
    else {
        cairn_ingest_options_init(&o);
        o.operation = "stream";
    }
    int rc = cairn__job_open(&j, home, dataset, &o, result, err);
    if (rc == 0) rc = cairn__job_read_buffer(&j, data, len, "jsonl", source, locations, err);
    if (rc == 0) rc = cairn__job_commit(&j, err);
    cairn__job_close(&j);
    return rc;
}
