/* parquet_write.c: the Parquet writer (cairn_parquet_writer_* and cairn_parquet_write_file).
 *
 * A file is "PAR1", the column chunks of each row group in order, the footer (FileMetaData
 * in the Thrift compact protocol), its 4-byte length and "PAR1". Rows are cut into row groups
 * of row_group_size rows; rows that do not fill a group wait in `pending` (a copy) for the
 * next write or for commit, while full groups are encoded straight from the caller's table.
 * The column chunks of a batch of row groups are encoded in parallel on the default pool
 * (parquet_write_chunk.c, one task per chunk) and then written in order by this thread, which
 * alone touches the file and the footer metadata.
 *
 * Atomicity: everything goes to "<path>.tmp.<pid>.<n>" in the target's directory (created
 * with O_EXCL); commit writes the footer, fsyncs, renames over `path` and fsyncs the
 * directory. Any failure, and abort, unlinks the temporary file, so `path` holds the previous
 * file or the complete new one, never a part. After a failed write the writer only accepts
 * abort or commit (which then fails and cleans up).
 *
 * Schema: BOOLEAN, INT32 with INTEGER(32, signed), INT64, FLOAT, DOUBLE, BYTE_ARRAY with
 * STRING (UTF8), INT64 with TIMESTAMP(UTC, MICROS) and INT32 with DATE, each with its legacy
 * converted type; nullable fields are OPTIONAL. The key-value metadata always holds
 * "cairn.schema" (the schema as Cairn's JSON) unless the caller replaces it.
 * Tests: tests/unit/table/test_parquet_write.c, tests/oracles/test_parquet_write.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cairn/json.h"
#include "parquet_write.h"
#include "table_internal.h"

#define DEFAULT_ROW_GROUP ((int64_t)1 << 20)
#define BATCH_GROUPS_MAX 8

typedef struct key_value {
    char *key, *value;
} key_value;

typedef struct group_meta {
    int64_t num_rows, file_offset, uncompressed_size, compressed_size;
    pqw_chunk_meta *chunks; /* one per field */
} group_meta;

struct cairn_parquet_writer {
    char *path, *tmp;
    int fd;
    cairn_field *fields; /* names owned */
    size_t nfields;
    int codec;
    int64_t row_group_size;
    int64_t offset; /* bytes written to the file */
    int64_t num_rows;
    key_value *kv;
    size_t nkv, kv_cap;
    group_meta *groups;
    size_t ngroups, groups_cap;
    cairn_table *pending;      /* rows short of a full row group */
    cairn__column_mark *marks; /* one per field: rolls back a failed add to pending */
    int failed;                /* the first error of a write; 0 while healthy */
};

/* ------------------------------------------------------------------------------------------
 * Files
 * ---------------------------------------------------------------------------------------- */

static int io_error(cairn_error *err, const char *what, const char *path)
{
    int e = errno;
    int code = (e == ENOENT || e == ENOTDIR) ? CAIRN_ENOTFOUND : CAIRN_EIO;
    if (e == EACCES || e == EISDIR) code = CAIRN_EINVAL;
    cairn_error_set(err, code, "cannot %s: %s", what, strerror(e));
    cairn_error_at(err, path, 0, 0);
    return code;
}

static int write_all(cairn_parquet_writer *w, const void *data, size_t len, cairn_error *err)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_error(err, "write", w->tmp);
        p += n;
        len -= (size_t)n;
        w->offset += n;
    }
    return 0;
}

static void fsync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static int open_temp(cairn_parquet_writer *w, cairn_error *err)
{
    static atomic_uint counter;
    cairn_buf name;
    cairn_buf_init(&name, 0);
    int rc = cairn_buf_printf(&name, "%s.tmp.%ld.%u", w->path, (long)getpid(),
                              atomic_fetch_add(&counter, 1));
    if (rc) {
        cairn_buf_release(&name);
        return cairn_error_set(err, rc, "out of memory opening %s", w->path);
    }
    w->tmp = cairn_buf_detach(&name, NULL);
    if (!w->tmp) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory opening %s", w->path);
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w->fd < 0) return io_error(err, "create", w->tmp);
    return write_all(w, "PAR1", 4, err);
}

/* ------------------------------------------------------------------------------------------
 * Lifecycle
 * ---------------------------------------------------------------------------------------- */

static void writer_free(cairn_parquet_writer *w)
{
    if (w->fd >= 0) close(w->fd);
    if (w->tmp && w->fd >= 0) unlink(w->tmp);
    for (size_t i = 0; i < w->nfields; i++)
        cairn_free((char *)w->fields[i].name);
    cairn_free(w->fields);
    for (size_t i = 0; i < w->nkv; i++) {
        cairn_free(w->kv[i].key);
        cairn_free(w->kv[i].value);
    }
    cairn_free(w->kv);
    for (size_t g = 0; g < w->ngroups; g++) {
        for (size_t c = 0; c < w->nfields; c++)
            cairn__pqw_chunk_meta_release(&w->groups[g].chunks[c]);
        cairn_free(w->groups[g].chunks);
    }
    cairn_free(w->groups);
    cairn_table_free(w->pending);
    cairn_free(w->marks);
    cairn_free(w->path);
    cairn_free(w->tmp);
    cairn_free(w);
}

static bool type_is_valid(cairn_type type)
{
    return type >= CAIRN_TYPE_BOOL && type <= CAIRN_TYPE_DATE32;
}

static int copy_fields(cairn_parquet_writer *w, const cairn_field *fields, size_t nfields,
                       cairn_error *err)
{
    if (!fields || nfields == 0)
        return cairn_error_set(err, CAIRN_EINVAL, "a Parquet file needs at least one column");
    w->fields = cairn_calloc(nfields, sizeof *w->fields);
    w->marks = cairn_calloc(nfields, sizeof *w->marks);
    if (!w->fields || !w->marks) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    for (size_t i = 0; i < nfields; i++) {
        if (!fields[i].name || !type_is_valid(fields[i].type)) {
            cairn_error_set(err, CAIRN_EINVAL, "field %zu has no name or an unknown type", i + 1);
            return CAIRN_EINVAL;
        }
        w->fields[i] = fields[i];
        w->fields[i].name = cairn_strdup(fields[i].name);
        w->nfields = i + 1;
        if (!w->fields[i].name) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    }
    return 0;
}

static int schema_json(const cairn_parquet_writer *w, cairn_buf *out)
{
    int rc = cairn_buf_puts(out, "{\"fields\":[");
    for (size_t i = 0; i < w->nfields && rc == 0; i++) {
        const cairn_field *f = &w->fields[i];
        rc = cairn_buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
        if (rc == 0) rc = cairn_json_put_string(out, f->name, strlen(f->name));
        if (rc == 0)
            rc = cairn_buf_printf(out, ",\"type\":\"%s\",\"nullable\":%s}",
                                  cairn_type_name(f->type), f->nullable ? "true" : "false");
    }
    if (rc == 0) rc = cairn_buf_puts(out, "]}");
    return rc;
}

static int parse_options(cairn_parquet_writer *w, const cairn_write_options *opts, cairn_error *err)
{
    const char *codec = opts && opts->compression ? opts->compression : "zstd";
    if (cairn__parquet_codec_parse(codec, &w->codec) != 0)
        return cairn_error_set(err, CAIRN_EUNSUPPORTED,
                               "unknown Parquet compression '%s' (zstd, snappy, gzip, none)",
                               codec);
    w->row_group_size = opts && opts->row_group_size ? opts->row_group_size : DEFAULT_ROW_GROUP;
    if (w->row_group_size < 0)
        return cairn_error_set(err, CAIRN_EINVAL, "row group size %lld is negative",
                               (long long)w->row_group_size);
    return 0;
}

int cairn_parquet_writer_open(const char *path, const cairn_field *fields, size_t nfields,
                              const cairn_write_options *opts, cairn_parquet_writer **out,
                              cairn_error *err)
{
    *out = NULL;
    if (!path || !*path) return cairn_error_set(err, CAIRN_EINVAL, "no path to write to");
    cairn_parquet_writer *w = cairn_calloc(1, sizeof *w);
    if (!w) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    w->fd = -1;
    int rc = parse_options(w, opts, err);
    if (rc == 0) rc = copy_fields(w, fields, nfields, err);
    if (rc == 0 && !(w->path = cairn_strdup(path)))
        rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    cairn_buf schema;
    cairn_buf_init(&schema, 0);
    if (rc == 0 && schema_json(w, &schema) != 0)
        rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    if (rc == 0 && cairn_parquet_writer_set_metadata(w, "cairn.schema", schema.data) != 0)
        rc = cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    cairn_buf_release(&schema);
    if (rc == 0) rc = open_temp(w, err);
    if (rc) {
        writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int cairn_parquet_writer_set_metadata(cairn_parquet_writer *writer, const char *key,
                                      const char *value)
{
    if (!writer || !key || !value) return CAIRN_EINVAL;
    char *v = cairn_strdup(value);
    if (!v) return CAIRN_ENOMEM;
    for (size_t i = 0; i < writer->nkv; i++) {
        if (strcmp(writer->kv[i].key, key) == 0) {
            cairn_free(writer->kv[i].value);
            writer->kv[i].value = v;
            return 0;
        }
    }
    char *k = cairn_strdup(key);
    void *p = writer->kv;
    int rc =
        k ? cairn_grow(&p, &writer->kv_cap, writer->nkv + 1, sizeof *writer->kv) : CAIRN_ENOMEM;
    writer->kv = p;
    if (rc) {
        cairn_free(k);
        cairn_free(v);
        return rc;
    }
    writer->kv[writer->nkv++] = (key_value){k, v};
    return 0;
}

void cairn_parquet_writer_abort(cairn_parquet_writer *writer)
{
    if (writer) writer_free(writer);
}

/* ------------------------------------------------------------------------------------------
 * Row groups
 * ---------------------------------------------------------------------------------------- */

typedef struct batch {
    pqw_chunk_job *jobs; /* groups x fields, group-major */
    size_t njobs;
} batch;

static void run_job(void *arg, size_t index)
{
    batch *b = arg;
    cairn__pqw_chunk_encode(&b->jobs[index]);
}

static int reserve_groups(cairn_parquet_writer *w, size_t more, cairn_error *err)
{
    void *p = w->groups;
    int rc = cairn_grow(&p, &w->groups_cap, w->ngroups + more, sizeof *w->groups);
    w->groups = p;
    return rc ? cairn_error_set(err, rc, "out of memory") : 0;
}

/* Writes one encoded row group (jobs[0..nfields)) to the file and records its metadata. */
static int place_group(cairn_parquet_writer *w, pqw_chunk_job *jobs, cairn_error *err)
{
    group_meta *g = &w->groups[w->ngroups];
    memset(g, 0, sizeof *g);
    g->chunks = cairn_calloc(w->nfields, sizeof *g->chunks);
    if (!g->chunks) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    g->file_offset = w->offset;
    g->num_rows = jobs[0].count;
    w->ngroups++;
    for (size_t c = 0; c < w->nfields; c++) {
        pqw_chunk_meta *m = &jobs[c].meta;
        int64_t at = w->offset;
        int rc = write_all(w, jobs[c].out.data, jobs[c].out.len, err);
        if (rc) return rc;
        cairn_buf_release(&jobs[c].out);
        if (m->dict_offset >= 0) m->dict_offset += at;
        m->data_offset += at;
        g->uncompressed_size += m->uncompressed_size;
        g->compressed_size += m->compressed_size;
        g->chunks[c] = *m;
        memset(m, 0, sizeof *m); /* the group owns the bounds now */
    }
    w->num_rows += g->num_rows;
    return 0;
}

static void release_jobs(batch *b)
{
    for (size_t i = 0; i < b->njobs; i++) {
        cairn_buf_release(&b->jobs[i].out);
        cairn__pqw_chunk_meta_release(&b->jobs[i].meta);
    }
    cairn_free(b->jobs);
}

/* Encodes row groups [from, from + ngroups * size) (the last may be short, ending at `to`)
 * in parallel and writes them. */
static int write_batch(cairn_parquet_writer *w, const cairn_table *t, int64_t from, int64_t to,
                       size_t ngroups, cairn_error *err)
{
    batch b = {cairn_calloc(ngroups * w->nfields, sizeof(pqw_chunk_job)), ngroups * w->nfields};
    if (!b.jobs) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    for (size_t g = 0; g < ngroups; g++) {
        int64_t start = from + (int64_t)g * w->row_group_size;
        int64_t count = to - start < w->row_group_size ? to - start : w->row_group_size;
        for (size_t c = 0; c < w->nfields; c++) {
            pqw_chunk_job *j = &b.jobs[g * w->nfields + c];
            j->column = cairn_table_column(t, c);
            j->start = start;
            j->count = count;
            j->optional = w->fields[c].nullable;
            j->codec = w->codec;
            cairn_buf_init(&j->out, 0);
        }
    }
    cairn_pool_run(cairn_pool_default(), b.njobs, run_job, &b);
    int rc = 0;
    for (size_t i = 0; i < b.njobs && rc == 0; i++) {
        if (b.jobs[i].rc) {
            rc = b.jobs[i].rc;
            if (err) *err = b.jobs[i].err;
        }
    }
    if (rc == 0) rc = reserve_groups(w, ngroups, err);
    for (size_t g = 0; g < ngroups && rc == 0; g++)
        rc = place_group(w, &b.jobs[g * w->nfields], err);
    release_jobs(&b);
    return rc;
}

/* Writes rows [from, to) of t as row groups; the last one may be short. */
static int write_range(cairn_parquet_writer *w, const cairn_table *t, int64_t from, int64_t to,
                       cairn_error *err)
{
    int threads = cairn_pool_threads(cairn_pool_default());
    size_t per_batch = (size_t)(4 * threads + (int)w->nfields - 1) / w->nfields;
    if (per_batch < 1) per_batch = 1;
    if (per_batch > BATCH_GROUPS_MAX) per_batch = BATCH_GROUPS_MAX;
    int rc = 0;
    while (rc == 0 && from < to) {
        int64_t left = (to - from + w->row_group_size - 1) / w->row_group_size;
        size_t n = (size_t)left < per_batch ? (size_t)left : per_batch;
        int64_t end = from + (int64_t)n * w->row_group_size;
        if (end > to) end = to;
        rc = write_batch(w, t, from, end, n, err);
        from = end;
    }
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Writing rows
 * ---------------------------------------------------------------------------------------- */

static int check_table(const cairn_parquet_writer *w, const cairn_table *t, cairn_error *err)
{
    if (cairn_table_num_columns(t) != w->nfields)
        return cairn_error_set(err, CAIRN_EINVAL, "the table has %zu columns, the writer %zu",
                               cairn_table_num_columns(t), w->nfields);
    int rc = cairn_table_validate(t, err);
    if (rc) return rc;
    for (size_t i = 0; i < w->nfields; i++) {
        const cairn_column *c = cairn_table_column(t, i);
        const cairn_field *f = &w->fields[i];
        if (c->type != f->type) {
            rc =
                cairn_error_set(err, CAIRN_ETYPE, "column '%s' is %s but field '%s' is %s", c->name,
                                cairn_type_name(c->type), f->name, cairn_type_name(f->type));
        } else if (c->null_count > 0 && !f->nullable) {
            rc = cairn_error_set(err, CAIRN_EINVAL,
                                 "column '%s' has nulls but field '%s' is not nullable", c->name,
                                 f->name);
        }
        if (rc) {
            cairn_error_field(err, f->name);
            return rc;
        }
    }
    return 0;
}

/* Appends rows [from, from + count) of t to the pending rows (all or nothing). */
static int add_pending(cairn_parquet_writer *w, const cairn_table *t, int64_t from, int64_t count,
                       cairn_error *err)
{
    if (!w->pending) {
        int rc = cairn_table_slice(t, from, count, &w->pending);
        return rc ? cairn_error_set(err, rc, "out of memory keeping rows") : 0;
    }
    size_t done = 0;
    int rc = 0;
    for (; done < w->nfields && rc == 0; done++) {
        cairn_column *dst = cairn_table_column(w->pending, done);
        cairn__column_mark_save(dst, &w->marks[done]);
        rc = cairn_column_append_range(dst, cairn_table_column(t, done), from, count);
    }
    if (rc == 0) return 0;
    for (size_t i = 0; i < done; i++)
        cairn__column_rollback(cairn_table_column(w->pending, i), &w->marks[i]);
    return cairn_error_set(err, rc, "out of memory keeping rows");
}

static int flush_pending(cairn_parquet_writer *w, cairn_error *err)
{
    if (!w->pending) return 0;
    int rc = write_range(w, w->pending, 0, cairn_table_num_rows(w->pending), err);
    cairn_table_free(w->pending);
    w->pending = NULL;
    return rc;
}

/* Writes t's rows; with `final` the rows short of a row group are written too, not kept. */
static int write_rows(cairn_parquet_writer *w, const cairn_table *t, bool final, cairn_error *err)
{
    if (w->failed) return cairn_error_set(err, w->failed, "the Parquet writer failed earlier");
    int rc = check_table(w, t, err);
    if (rc) {
        w->failed = rc;
        return rc;
    }
    int64_t rows = cairn_table_num_rows(t), at = 0;
    if (w->pending) {
        int64_t room = w->row_group_size - cairn_table_num_rows(w->pending);
        at = rows < room ? rows : room;
        rc = add_pending(w, t, 0, at, err);
        if (rc == 0 && (at == room || final)) rc = flush_pending(w, err);
    }
    int64_t full_end = at + (rows - at) / w->row_group_size * w->row_group_size;
    if (final) full_end = rows;
    if (rc == 0 && full_end > at) rc = write_range(w, t, at, full_end, err);
    if (rc == 0 && full_end < rows) rc = add_pending(w, t, full_end, rows - full_end, err);
    if (rc) w->failed = rc; /* row groups may be half written */
    return rc;
}

int cairn_parquet_writer_write(cairn_parquet_writer *writer, const cairn_table *table,
                               cairn_error *err)
{
    if (!writer || !table) return cairn_error_set(err, CAIRN_EINVAL, "no writer or table");
    return write_rows(writer, table, false, err);
}

/* ------------------------------------------------------------------------------------------
 * The footer
 * ---------------------------------------------------------------------------------------- */

static void put_logical_type(pqw_thrift *t, cairn_type type)
{
    switch (type) {
    case CAIRN_TYPE_STRING:
        cairn__pqw_i32(t, 6, PQ_CT_UTF8);
        cairn__pqw_struct_begin(t, 10);
        cairn__pqw_empty_struct(t, 1);
        cairn__pqw_struct_end(t);
        break;
    case CAIRN_TYPE_TIMESTAMP:
        cairn__pqw_i32(t, 6, PQ_CT_TIMESTAMP_MICROS);
        cairn__pqw_struct_begin(t, 10);
        cairn__pqw_struct_begin(t, 8);
        cairn__pqw_bool(t, 1, true);
        cairn__pqw_struct_begin(t, 2);
        cairn__pqw_empty_struct(t, 2);
        cairn__pqw_struct_end(t);
        cairn__pqw_struct_end(t);
        cairn__pqw_struct_end(t);
        break;
    case CAIRN_TYPE_DATE32:
        cairn__pqw_i32(t, 6, PQ_CT_DATE);
        cairn__pqw_struct_begin(t, 10);
        cairn__pqw_empty_struct(t, 6);
        cairn__pqw_struct_end(t);
        break;
    case CAIRN_TYPE_INT32:
        cairn__pqw_i32(t, 6, PQ_CT_INT_32);
        cairn__pqw_struct_begin(t, 10);
        cairn__pqw_struct_begin(t, 10);
        cairn__pqw_i8(t, 1, 32);
        cairn__pqw_bool(t, 2, true);
        cairn__pqw_struct_end(t);
        cairn__pqw_struct_end(t);
        break;
    default:
        break;
    }
}

static void put_schema(pqw_thrift *t, const cairn_parquet_writer *w)
{
    cairn__pqw_list_begin(t, 2, PQW_T_STRUCT, w->nfields + 1);
    cairn__pqw_list_struct_begin(t);
    cairn__pqw_string(t, 4, "schema");
    cairn__pqw_i32(t, 5, (int32_t)w->nfields);
    cairn__pqw_struct_end(t);
    for (size_t i = 0; i < w->nfields; i++) {
        const cairn_field *f = &w->fields[i];
        cairn__pqw_list_struct_begin(t);
        cairn__pqw_i32(t, 1, cairn__pqw_physical_type(f->type));
        cairn__pqw_i32(t, 3, f->nullable ? PQ_OPTIONAL : PQ_REQUIRED);
        cairn__pqw_string(t, 4, f->name);
        put_logical_type(t, f->type);
        cairn__pqw_struct_end(t);
    }
}

static bool signed_numeric(cairn_type type)
{
    return type != CAIRN_TYPE_BOOL && type != CAIRN_TYPE_STRING;
}

static void put_statistics(pqw_thrift *t, const pqw_chunk_meta *m, cairn_type type)
{
    cairn__pqw_struct_begin(t, 12);
    if (m->has_minmax && signed_numeric(type)) {
        cairn__pqw_binary(t, 1, m->max, m->max_len);
        cairn__pqw_binary(t, 2, m->min, m->min_len);
    }
    cairn__pqw_i64(t, 3, m->null_count);
    if (m->has_minmax) {
        cairn__pqw_binary(t, 5, m->max, m->max_len);
        cairn__pqw_binary(t, 6, m->min, m->min_len);
        cairn__pqw_bool(t, 7, m->max_exact);
        cairn__pqw_bool(t, 8, m->min_exact);
    }
    if (m->has_nan_count) cairn__pqw_i64(t, 9, m->nan_count);
    cairn__pqw_struct_end(t);
}

static void put_encoding_stats(pqw_thrift *t, const pqw_chunk_meta *m)
{
    bool dict = m->dict_offset >= 0;
    cairn__pqw_list_begin(t, 13, PQW_T_STRUCT, dict ? 2 : 1);
    if (dict) {
        cairn__pqw_list_struct_begin(t);
        cairn__pqw_i32(t, 1, PQ_PAGE_DICTIONARY);
        cairn__pqw_i32(t, 2, PQ_ENC_PLAIN);
        cairn__pqw_i32(t, 3, 1);
        cairn__pqw_struct_end(t);
    }
    cairn__pqw_list_struct_begin(t);
    cairn__pqw_i32(t, 1, PQ_PAGE_DATA);
    cairn__pqw_i32(t, 2, m->data_encoding);
    cairn__pqw_i32(t, 3, m->data_pages);
    cairn__pqw_struct_end(t);
}

static void put_column_chunk(pqw_thrift *t, const cairn_parquet_writer *w, const pqw_chunk_meta *m,
                             const cairn_field *f)
{
    bool dict = m->dict_offset >= 0;
    cairn__pqw_list_struct_begin(t);
    cairn__pqw_i64(t, 2, 0);
    cairn__pqw_struct_begin(t, 3);
    cairn__pqw_i32(t, 1, cairn__pqw_physical_type(f->type));
    cairn__pqw_list_begin(t, 2, PQW_T_I32, dict ? 3 : 2);
    cairn__pqw_list_i32(t, PQ_ENC_PLAIN);
    cairn__pqw_list_i32(t, PQ_ENC_RLE);
    if (dict) cairn__pqw_list_i32(t, PQ_ENC_RLE_DICTIONARY);
    cairn__pqw_list_begin(t, 3, PQW_T_BINARY, 1);
    cairn__pqw_list_binary(t, f->name, strlen(f->name));
    cairn__pqw_i32(t, 4, w->codec);
    cairn__pqw_i64(t, 5, m->num_values);
    cairn__pqw_i64(t, 6, m->uncompressed_size);
    cairn__pqw_i64(t, 7, m->compressed_size);
    cairn__pqw_i64(t, 9, m->data_offset);
    if (dict) cairn__pqw_i64(t, 11, m->dict_offset);
    put_statistics(t, m, f->type);
    put_encoding_stats(t, m);
    cairn__pqw_struct_end(t);
    cairn__pqw_struct_end(t);
}

static void put_row_groups(pqw_thrift *t, const cairn_parquet_writer *w)
{
    cairn__pqw_list_begin(t, 4, PQW_T_STRUCT, w->ngroups);
    for (size_t g = 0; g < w->ngroups; g++) {
        const group_meta *gm = &w->groups[g];
        cairn__pqw_list_struct_begin(t);
        cairn__pqw_list_begin(t, 1, PQW_T_STRUCT, w->nfields);
        for (size_t c = 0; c < w->nfields; c++)
            put_column_chunk(t, w, &gm->chunks[c], &w->fields[c]);
        cairn__pqw_i64(t, 2, gm->uncompressed_size);
        cairn__pqw_i64(t, 3, gm->num_rows);
        cairn__pqw_i64(t, 5, gm->file_offset);
        cairn__pqw_i64(t, 6, gm->compressed_size);
        cairn__pqw_struct_end(t);
    }
}

static int encode_footer(const cairn_parquet_writer *w, cairn_buf *out)
{
    pqw_thrift t;
    cairn__pqw_thrift_init(&t, out);
    cairn__pqw_i32(&t, 1, 1);
    put_schema(&t, w);
    cairn__pqw_i64(&t, 3, w->num_rows);
    put_row_groups(&t, w);
    cairn__pqw_list_begin(&t, 5, PQW_T_STRUCT, w->nkv);
    for (size_t i = 0; i < w->nkv; i++) {
        cairn__pqw_list_struct_begin(&t);
        cairn__pqw_string(&t, 1, w->kv[i].key);
        cairn__pqw_string(&t, 2, w->kv[i].value);
        cairn__pqw_struct_end(&t);
    }
    cairn_buf version;
    cairn_buf_init(&version, 0);
    int rc = cairn_buf_printf(&version, "cairn version %s", cairn_version());
    cairn__pqw_string(&t, 6, version.data);
    cairn_buf_release(&version);
    cairn__pqw_list_begin(&t, 7, PQW_T_STRUCT, w->nfields);
    for (size_t i = 0; i < w->nfields; i++) {
        cairn__pqw_list_struct_begin(&t);
        cairn__pqw_empty_struct(&t, 1); /* TYPE_ORDER */
        cairn__pqw_struct_end(&t);
    }
    cairn__pqw_struct_end(&t);
    return rc ? rc : t.rc;
}

/* ------------------------------------------------------------------------------------------
 * Commit
 * ---------------------------------------------------------------------------------------- */

static int finish_file(cairn_parquet_writer *w, cairn_error *err)
{
    cairn_buf footer;
    cairn_buf_init(&footer, 0);
    int rc = encode_footer(w, &footer);
    if (rc == 0 && footer.len > UINT32_MAX) rc = CAIRN_ELIMIT;
    if (rc) {
        cairn_buf_release(&footer);
        return cairn_error_set(err, rc, "cannot encode the Parquet footer: %s", cairn_strerror(rc));
    }
    uint32_t len = (uint32_t)footer.len;
    rc = write_all(w, footer.data, footer.len, err);
    cairn_buf_release(&footer);
    if (rc == 0) rc = write_all(w, &len, 4, err);
    if (rc == 0) rc = write_all(w, "PAR1", 4, err);
    if (rc == 0 && fsync(w->fd) != 0) rc = io_error(err, "sync", w->tmp);
    if (rc) return rc;
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) != 0) {
        rc = io_error(err, "close", w->tmp);
        unlink(w->tmp);
        return rc;
    }
    cairn_crashpoint("parquet: temporary synced, not renamed");
    if (rename(w->tmp, w->path) != 0) {
        rc = io_error(err, "rename into place", w->path);
        unlink(w->tmp);
        return rc;
    }
    fsync_dir(w->path);
    return 0;
}

int cairn_parquet_writer_commit(cairn_parquet_writer *writer, cairn_error *err)
{
    if (!writer) return cairn_error_set(err, CAIRN_EINVAL, "no writer");
    int rc = writer->failed;
    if (rc) cairn_error_set(err, rc, "the Parquet writer failed earlier; nothing was written");
    if (rc == 0) {
        rc = flush_pending(writer, err);
        if (rc == 0) rc = finish_file(writer, err);
    }
    writer_free(writer);
    return rc;
}

int cairn_parquet_write_file(const cairn_table *table, const char *path,
                             const cairn_write_options *opts, cairn_error *err)
{
    if (!table) return cairn_error_set(err, CAIRN_EINVAL, "no table to write");
    cairn_field *fields = NULL;
    int rc = cairn_table_fields(table, &fields);
    if (rc) return cairn_error_set(err, rc, "out of memory");
    cairn_parquet_writer *w = NULL;
    rc = cairn_parquet_writer_open(path, fields, cairn_table_num_columns(table), opts, &w, err);
    cairn_free(fields);
    if (rc) return rc;
    rc = write_rows(w, table, true, err);
    if (rc) {
        cairn_parquet_writer_abort(w);
        return rc;
    }
    return cairn_parquet_writer_commit(w, err);
}
