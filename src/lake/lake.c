/* src/lake/lake.c: the files of the lake: partition keys, writing one Parquet file into a
 * partition, reading a snapshot's files back into one table.
 *
 * Layout: <home>/lake/<dataset>/<key>=<value>/part-<hash16>.parquet (Hive style). A file is
 * written by the Parquet writer to a temporary name starting with '.' (readers and gc skip
 * such names), hashed, renamed to its content name and the directory synced; the same
 * table written twice gives the same name, and the second write just drops its temporary.
 * Temporary names carry the process id and an atomic counter, so threads writing different
 * (or the same) partitions at once never collide.
 *
 * Value partitioning leaves the column out of the files (as Hive and DuckDB do); reading
 * restores it from the key, typed by the manifest's "partition" entry, as the last column.
 *
 * Tests: tests/unit/lake/test_lake.c, tests/oracles/test_lake_duckdb.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn/parquet.h"
#include "lake/lake_internal.h"

#define HIVE_NULL "__HIVE_DEFAULT_PARTITION__"

/* ------------------------------------------------------------------------------------------
 * Partition text
 * ---------------------------------------------------------------------------------------- */

/* The characters Hive's FileUtils.escapePathName escapes (besides control characters). */
static bool hive_needs_escape(unsigned char c)
{
    return c < 0x20 || c == 0x7f || strchr("\"#%'*/:=?\\{[]^", c) != NULL;
}

static int hive_escape(const char *s, size_t len, cairn_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    for (size_t i = 0; i < len && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!hive_needs_escape(c)) rc = cairn_buf_putc(out, (char)c);
        else if ((rc = cairn_buf_putc(out, '%')) == 0 && (rc = cairn_buf_putc(out, hex[c >> 4])) == 0)
            rc = cairn_buf_putc(out, hex[c & 15]);
    }
    return rc;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int hive_unescape(const char *s, cairn_buf *out)
{
    int rc = 0;
    for (; *s && rc == 0; s++) {
        int hi, lo;
        if (s[0] == '%' && (hi = hex_digit(s[1])) >= 0 && (lo = hex_digit(s[2])) >= 0) {
            rc = cairn_buf_putc(out, (char)(hi * 16 + lo));
            s += 2;
        } else {
            rc = cairn_buf_putc(out, *s);
        }
    }
    return rc;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* Days since the epoch of a TIMESTAMP or DATE32 value. */
static int value_days(const cairn_value *v, const char *column, int64_t *days, cairn_error *err)
{
    if (v->type == CAIRN_TYPE_TIMESTAMP) *days = floor_div(v->v.i64, CAIRN_US_PER_DAY);
    else if (v->type == CAIRN_TYPE_DATE32) *days = v->v.i32;
    else
        return cairn_error_set(err, CAIRN_ETYPE,
                               "partition by day or month of '%s' needs a timestamp or date, "
                               "found %s", column, cairn_type_name(v->type));
    return 0;
}

static int time_key(int kind, const char *column, const cairn_value *v, cairn_buf *out,
                    cairn_error *err)
{
    int64_t days = 0, year;
    unsigned month, day;
    int rc = hive_escape(column, strlen(column), out);
    if (rc == 0) rc = cairn_buf_puts(out, kind == 1 ? "_day=" : "_month=");
    if (rc || v->is_null) return rc ? rc : cairn_buf_puts(out, HIVE_NULL);
    if ((rc = value_days(v, column, &days, err))) return rc;
    cairn_civil_from_days(days, &year, &month, &day);
    if (kind == 1) return cairn_buf_printf(out, "%04lld-%02u-%02u", (long long)year, month, day);
    return cairn_buf_printf(out, "%04lld-%02u", (long long)year, month);
}

static int value_key(const char *column, const cairn_value *v, cairn_buf *out)
{
    cairn_buf text;
    cairn_buf_init(&text, 0);
    int rc = hive_escape(column, strlen(column), out);
    if (rc == 0) rc = cairn_buf_putc(out, '=');
    if (rc == 0 && v->is_null) rc = cairn_buf_puts(out, HIVE_NULL);
    else if (rc == 0 && (rc = cairn_value_format(v, NULL, &text)) == 0)
        rc = hive_escape(text.data, text.len, out);
    cairn_buf_release(&text);
    return rc;
}

int cairn_lake_partition_text(int kind, const char *column, const cairn_value *value, char *out,
                              size_t cap, cairn_error *err)
{
    cairn_buf key;
    cairn_buf_init(&key, 0);
    int rc = 0;
    if (kind != 0 && (!column || !*column))
        return cairn_error_set(err, CAIRN_EINVAL, "partition rule without a column");
    if (kind == 1 || kind == 2) rc = time_key(kind, column, value, &key, err);
    else if (kind == 3) rc = value_key(column, value, &key);
    else if (kind != 0) rc = cairn_error_set(err, CAIRN_EINVAL, "unknown partition kind %d", kind);
    if (rc == CAIRN_ENOMEM) cairn_error_set(err, rc, "out of memory");
    if (rc == 0 && key.len >= cap)
        rc = cairn_error_set(err, CAIRN_ELIMIT, "partition key '%.60s...' of column '%s' is longer "
                             "than %zu bytes", key.data, column, cap - 1);
    if (rc == 0) memcpy(out, key.data, key.len + 1);
    cairn_buf_release(&key);
    return rc;
}

static int parse_scalar(const char *s, cairn_type type, cairn_value *out)
{
    char *end = NULL;
    errno = 0;
    switch (type) {
    case CAIRN_TYPE_INT32:
    case CAIRN_TYPE_INT64: {
        long long v = strtoll(s, &end, 10);
        if (type == CAIRN_TYPE_INT32 && (v < INT32_MIN || v > INT32_MAX)) return CAIRN_ERANGE;
        if (type == CAIRN_TYPE_INT32) out->v.i32 = (int32_t)v;
        else out->v.i64 = v;
        break;
    }
    case CAIRN_TYPE_FLOAT32: out->v.f32 = strtof(s, &end); break;
    case CAIRN_TYPE_FLOAT64: out->v.f64 = strtod(s, &end); break;
    case CAIRN_TYPE_BOOL:
        if (strcmp(s, "true") && strcmp(s, "false")) return CAIRN_EPARSE;
        out->v.b = s[0] == 't';
        return 0;
    case CAIRN_TYPE_TIMESTAMP: return cairn_time_parse(s, strlen(s), &out->v.i64, NULL);
    case CAIRN_TYPE_DATE32: return cairn_date_parse(s, strlen(s), &out->v.i32, NULL);
    default: return CAIRN_ETYPE;
    }
    return errno || end == s || *end ? CAIRN_EPARSE : 0;
}

int cairn__partition_value(const char *partition, cairn_type type, cairn_buf *scratch,
                           cairn_value *out, cairn_error *err)
{
    const char *eq = strchr(partition, '=');
    memset(out, 0, sizeof *out);
    out->type = type;
    if (!eq) return cairn_error_set(err, CAIRN_ECORRUPT, "partition '%s' has no '='", partition);
    if (!strcmp(eq + 1, HIVE_NULL)) return out->is_null = true, 0;
    cairn_buf_reset(scratch);
    int rc = hive_unescape(eq + 1, scratch);
    if (rc) return cairn_error_set(err, rc, "out of memory");
    if (type == CAIRN_TYPE_STRING) {
        out->v.str.ptr = scratch->data;
        out->v.str.len = scratch->len;
        return 0;
    }
    if (parse_scalar(scratch->data, type, out))
        return cairn_error_set(err, CAIRN_ECORRUPT, "partition '%s': '%s' is not a %s", partition,
                               scratch->data, cairn_type_name(type));
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Writing a file
 * ---------------------------------------------------------------------------------------- */

static atomic_uint temp_counter;

/* A partition is one or more key=value components; nothing that climbs out or hides. */
static int check_partition(const char *partition, cairn_error *err)
{
    const char *p = partition;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0 || p[0] == '.' || !memchr(p, '=', n))
            return cairn_error_set(err, CAIRN_EINVAL,
                                   "partition '%.200s' is not of the form key=value[/key=value]",
                                   partition);
        p += n + (end ? 1 : 0);
    }
    return 0;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static int event_range(const cairn_table *t, const char *column, cairn_lake_file *f,
                       cairn_error *err)
{
    f->has_event_time = false;
    if (!column) return 0;
    const cairn_column *c = cairn_table_column_by_name(t, column);
    if (!c || (c->type != CAIRN_TYPE_TIMESTAMP && c->type != CAIRN_TYPE_DATE32))
        return cairn_error_set(err, CAIRN_EINVAL,
                               "event-time column '%s' is %s in the table being written", column,
                               c ? "not a timestamp or date" : "missing");
    for (int64_t i = 0; i < c->length; i++) {
        if (!cairn_column_is_valid(c, i)) continue;
        int64_t us = c->type == CAIRN_TYPE_TIMESTAMP ? cairn_column_i64(c, i)
                                                     : cairn_column_i32(c, i) * CAIRN_US_PER_DAY;
        if (!f->has_event_time || us < f->min_event_us) f->min_event_us = us;
        if (!f->has_event_time || us > f->max_event_us) f->max_event_us = us;
        f->has_event_time = true;
    }
    return 0;
}

static int sha_hex(const char *path, char hex[65], cairn_error *err)
{
    uint8_t digest[CAIRN_SHA256_LEN];
    int rc = cairn_sha256_file(path, digest, err);
    if (rc == 0) cairn_hex_encode(digest, sizeof digest, hex);
    return rc;
}

/* Moves tmp to final, or drops tmp when final already holds the same bytes. */
static int place_file(const char *tmp, const char *final, const char *sha, cairn_error *err)
{
    char existing[65];
    if (cairn_path_exists(final)) {
        int rc = sha_hex(final, existing, err);
        unlink(tmp);
        if (rc) return rc;
        if (strcmp(existing, sha) != 0)
            return cairn_error_set(err, CAIRN_ECONFLICT,
                                   "%s exists with other content (hash %.16s..., expected %.16s...)",
                                   final, existing, sha);
        return 0;
    }
    if (rename(tmp, final) != 0) {
        int rc = cairn_error_set(err, CAIRN_EIO, "cannot rename %s to %s: %s", tmp, final,
                                 strerror(errno));
        unlink(tmp);
        return rc;
    }
    return 0;
}

static int describe_file(const char *partition, const char *final, const char *name,
                         const char *sha, const cairn_table *table, cairn_lake_file *out,
                         cairn_error *err)
{
    struct stat st;
    if (stat(final, &st) != 0)
        return cairn_error_set(err, CAIRN_EIO, "cannot stat %s: %s", final, strerror(errno));
    int n = snprintf(out->path, sizeof out->path, "%s%s%s", partition, *partition ? "/" : "", name);
    if (n < 0 || (size_t)n >= sizeof out->path)
        return cairn_error_set(err, CAIRN_ELIMIT, "file path in partition '%.60s...' is too long",
                               partition);
    snprintf(out->partition, sizeof out->partition, "%s", partition);
    memcpy(out->sha256, sha, 65);
    out->rows = cairn_table_num_rows(table);
    out->bytes = (int64_t)st.st_size;
    return 0;
}

int cairn_lake_write_file(const char *home_dir, const char *dataset, const char *partition,
                          const cairn_table *table, const char *event_column,
                          const cairn_write_options *opts, cairn_lake_file *out, cairn_error *err)
{
    char dir[4096], tmp[4200], final[4200], name[64], sha[65];
    cairn_write_options defaults;
    if (!partition) partition = "";
    memset(out, 0, sizeof *out);
    if (!opts) cairn_write_options_init(&defaults), opts = &defaults;
    int rc = cairn__lake_dataset_dir(home_dir, dataset, dir, sizeof dir, err);
    if (rc || (rc = check_partition(partition, err)) || (rc = event_range(table, event_column, out, err)))
        return rc;
    size_t used = strlen(dir);
    if (*partition && (size_t)snprintf(dir + used, sizeof dir - used, "/%s", partition) >= sizeof dir - used)
        return cairn_error_set(err, CAIRN_ELIMIT, "partition '%.60s...' is too long", partition);
    if ((rc = cairn_mkdir_p(dir, 0, err))) return rc;
    snprintf(tmp, sizeof tmp, "%s/.write-%ld-%u.tmp", dir, (long)getpid(),
             atomic_fetch_add(&temp_counter, 1u));
    if ((rc = cairn_parquet_write_file(table, tmp, opts, err))) return rc;
    if ((rc = sha_hex(tmp, sha, err))) {
        unlink(tmp);
        return rc;
    }
    snprintf(name, sizeof name, "part-%.16s.parquet", sha);
    snprintf(final, sizeof final, "%s/%s", dir, name);
    if ((rc = place_file(tmp, final, sha, err))) return rc;
    fsync_dir(dir);
    return describe_file(partition, final, name, sha, table, out, err);
}

int cairn_lake_file_path(const char *home_dir, const char *dataset, const cairn_lake_file *file,
                         char *out, size_t cap, cairn_error *err)
{
    char dir[4096];
    int rc = cairn__lake_dataset_dir(home_dir, dataset, dir, sizeof dir, err);
    if (rc) return rc;
    int n = snprintf(out, cap, "%s/%s", dir, file->path);
    if (n < 0 || (size_t)n >= cap)
        return cairn_error_set(err, CAIRN_ELIMIT, "path of '%s' in '%s' is too long", file->path,
                               dataset);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Reading a snapshot
 * ---------------------------------------------------------------------------------------- */

typedef struct read_plan {
    const cairn_snapshot *snap;
    const char *part_column;         /* the value column to restore, or NULL */
    const char **file_columns;       /* projection for the files (NULL = all) */
    size_t nfile_columns;
    bool want_part;                  /* the restored column is wanted */
    bool read_files;                 /* false when only the partition column is wanted */
} read_plan;

static int plan_read(const cairn_snapshot *s, const char *const *columns, size_t ncolumns,
                     read_plan *p, cairn_error *err)
{
    memset(p, 0, sizeof *p);
    p->snap = s;
    p->read_files = true;
    p->part_column = s->partition_kind == 3 && *s->partition_column ? s->partition_column : NULL;
    if (p->part_column && !s->partition_type)
        return cairn_error_set(err, CAIRN_ECORRUPT,
                               "snapshot %.12s: the type of partition column '%s' is not recorded",
                               s->id, p->part_column);
    p->want_part = p->part_column != NULL;
    if (!columns || ncolumns == 0) return 0;
    p->file_columns = cairn_calloc(ncolumns, sizeof *p->file_columns);
    if (!p->file_columns) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    p->want_part = false;
    for (size_t i = 0; i < ncolumns; i++) {
        if (p->part_column && !strcmp(columns[i], p->part_column)) p->want_part = true;
        else p->file_columns[p->nfile_columns++] = columns[i];
    }
    p->read_files = p->nfile_columns > 0;
    return 0;
}

static int verify_file(const char *path, const cairn_lake_file *f, const cairn_snapshot *s,
                       cairn_error *err)
{
    char sha[65];
    int rc = sha_hex(path, sha, err);
    if (rc) return rc;
    if (strcmp(sha, f->sha256) != 0)
        return cairn_error_set(err, CAIRN_ECORRUPT,
                               "file %s of snapshot %.12s is corrupt: its SHA-256 is %.16s..., "
                               "the manifest says %.16s...", f->path, s->id, sha, f->sha256);
    return 0;
}

static int restore_column(const read_plan *p, const cairn_lake_file *f, cairn_table *t,
                          cairn_error *err)
{
    cairn_buf scratch;
    cairn_value v;
    cairn_column *col = NULL;
    if (cairn_table_find(t, p->part_column) >= 0) return 0; /* the file kept it */
    cairn_buf_init(&scratch, 0);
    int rc = cairn__partition_value(f->partition, p->snap->partition_type, &scratch, &v, err);
    if (rc == 0 && (rc = cairn_column_create(p->part_column, p->snap->partition_type, true, &col)))
        cairn_error_set(err, rc, "out of memory");
    if (rc == 0 && (rc = cairn_column_reserve(col, f->rows, v.is_null || v.type != CAIRN_TYPE_STRING
                                                                ? 0 : v.v.str.len * (size_t)f->rows)))
        cairn_error_set(err, rc, "out of memory restoring '%s'", p->part_column);
    for (int64_t i = 0; rc == 0 && i < f->rows; i++)
        if ((rc = cairn_column_append_value(col, &v))) cairn_error_set(err, rc, "restoring '%s'", p->part_column);
    cairn_buf_release(&scratch);
    if (rc) {
        cairn_column_free(col);
        return rc;
    }
    return cairn_table_adopt_column(t, col, err);
}

static int read_one(cairn_home *home, const read_plan *p, const cairn_lake_file *f, bool verify,
                    cairn_table **out, cairn_error *err)
{
    char path[4096];
    *out = NULL;
    int rc = cairn_lake_file_path(cairn_home_path(home), p->snap->dataset, f, path, sizeof path, err);
    if (rc == 0 && verify) rc = verify_file(path, f, p->snap, err);
    if (rc) return rc;
    if (p->read_files) {
        cairn_parquet_options po;
        cairn_parquet_options_init(&po);
        po.columns = p->file_columns;
        po.ncolumns = p->nfile_columns;
        po.decode_dictionaries = true;
        rc = cairn_parquet_read_file(path, &po, out, err);
        if (rc == 0 && cairn_table_num_rows(*out) != f->rows)
            rc = cairn_error_set(err, CAIRN_ECORRUPT, "file %s has %lld rows, the manifest says %lld",
                                 f->path, (long long)cairn_table_num_rows(*out), (long long)f->rows);
    } else if ((rc = cairn_table_create(out))) {
        cairn_error_set(err, rc, "out of memory");
    }
    if (rc == 0 && p->want_part) rc = restore_column(p, f, *out, err);
    if (rc) {
        cairn_table_free(*out);
        *out = NULL;
    }
    return rc;
}

/* The columns in the order asked for (the restored column may sit elsewhere). */
static int reorder(cairn_table **t, const char *const *columns, size_t ncolumns, cairn_error *err)
{
    bool same = cairn_table_num_columns(*t) == ncolumns;
    for (size_t i = 0; same && i < ncolumns; i++)
        same = !strcmp(cairn_table_column(*t, i)->name, columns[i]);
    if (same || cairn_table_num_columns(*t) == 0) return 0;
    cairn_table *projected = NULL;
    int rc = cairn_table_project(*t, columns, ncolumns, &projected, err);
    if (rc) return rc;
    cairn_table_free(*t);
    *t = projected;
    return 0;
}

/* Schema evolution: files written under different schema versions may differ in columns.
 * Columns are matched by name (as DuckDB's union_by_name): a column missing on one side is
 * added to it as nulls, and t takes all's column order. A column whose type changed is left
 * for cairn_table_append to refuse by name. */
static int align_columns(cairn_table *all, cairn_table **t, cairn_error *err)
{
    cairn_column *added;
    int rc = 0;
    for (size_t c = 0; rc == 0 && c < cairn_table_num_columns(*t); c++) {
        const cairn_column *col = cairn_table_column(*t, c);
        if (cairn_table_find(all, col->name) < 0 &&
            (rc = cairn_table_add_column(all, col->name, col->type, true, &added)))
            cairn_error_set(err, rc, "adding column '%s' as nulls", col->name);
    }
    for (size_t c = 0; rc == 0 && c < cairn_table_num_columns(all); c++) {
        const cairn_column *col = cairn_table_column(all, c);
        if (cairn_table_find(*t, col->name) < 0 &&
            (rc = cairn_table_add_column(*t, col->name, col->type, true, &added)))
            cairn_error_set(err, rc, "adding column '%s' as nulls", col->name);
    }
    if (rc) return rc;
    size_t n = cairn_table_num_columns(all);
    const char **names = cairn_calloc(n ? n : 1, sizeof *names);
    if (!names) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
    for (size_t c = 0; c < n; c++)
        names[c] = cairn_table_column(all, c)->name;
    rc = reorder(t, names, n, err);
    cairn_free(names);
    return rc;
}

static int read_all(cairn_home *home, const read_plan *p, bool verify, cairn_table **out,
                    cairn_error *err)
{
    cairn_table *all = NULL;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < p->snap->nfiles; i++) {
        cairn_table *t = NULL;
        const cairn_lake_file *f = &p->snap->files[i];
        if ((rc = read_one(home, p, f, verify, &t, err))) break;
        if (!all) {
            all = t;
            continue;
        }
        if ((rc = align_columns(all, &t, err)) == 0 && (rc = cairn_table_append(all, t, err)))
            cairn_error_prefix(err, "file %s of snapshot %.12s does not match the files before it: ",
                               f->path, p->snap->id);
        cairn_table_free(t);
    }
    if (rc == 0 && !all && (rc = cairn_table_create(&all))) cairn_error_set(err, rc, "out of memory");
    if (rc) cairn_table_free(all);
    else *out = all;
    return rc;
}

int cairn_lake_read(cairn_home *home, const cairn_snapshot *snapshot, const char *const *columns,
                    size_t ncolumns, bool verify, cairn_table **out, cairn_error *err)
{
    read_plan p;
    *out = NULL;
    int rc = plan_read(snapshot, columns, ncolumns, &p, err);
    if (rc == 0) rc = read_all(home, &p, verify, out, err);
    if (rc == 0 && columns && ncolumns && (rc = reorder(out, columns, ncolumns, err))) {
        cairn_table_free(*out);
        *out = NULL;
    }
    cairn_free(p.file_columns);
    return rc;
}
