/* cli/cmd_data.c: `cairn data head|schema|stats|convert FILE`: look at and convert tabular
 * files in any format of the format table (CSV, JSON Lines, Parquet).
 *
 * FILE may also name a dataset of the home's lake (DATASET, DATASET@ID-PREFIX,
 * DATASET@TIME) when no such file exists: the snapshot is read (files verified against
 * their SHA-256) with its value-partition column restored as the last column.
 *
 * All four share the reader options (--format, --delimiter, --no-header, --types, --null,
 * --threads) and report malformed input as file:line:column with the reason, exit 1.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* --------------------------------------------------------------------------------------
 * Shared reader options
 * ------------------------------------------------------------------------------------ */

#define READ_OPTIONS                                                                           \
    {"format", 0, true, NULL}, {"delimiter", 'd', true, NULL}, {"no-header", 0, false, NULL},  \
        {"types", 't', true, NULL}, {"null", 0, true, NULL}, {"threads", 0, true, NULL}
#define READ_HELP                                                                              \
    "reading options:\n"                                                                       \
    "  --format F          csv, jsonl or parquet (default: by the file's extension)\n"           \
    "  -d, --delimiter C   CSV field delimiter (a character, or 'tab')\n"                      \
    "  --no-header         CSV: the first line is data; columns are column1, column2, ...\n"   \
    "  -t, --types SPEC    the schema instead of inference: name:type[!],... (! = not null);\n" \
    "                      types: bool int32 int64 float32 float64 string timestamp date\n"    \
    "  --null TEXT         a text that also means null (empty fields always do)\n"             \
    "  --threads N         parser threads (default: all cores)\n"                            \
    "FILE may also name a snapshot of the home's lake when no such file exists: DATASET (the\n"\
    "head), DATASET@ID-PREFIX or DATASET@TIME (e.g. flights@2001-05-01).\n"

typedef struct read_setup {
    cairn_read_options opts;
    cairn_field fields[1024];
    char names[16384];
    const char *format;
} read_setup;

static int parse_types(const cli_command *cmd, const char *spec, read_setup *rs)
{
    size_t nf = 0, used = 0;
    const char *p = spec;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        if (!colon || colon == p) return cli_usage_error(cmd, "--types: expected name:type, found '%.*s'", (int)len, p);
        size_t nlen = (size_t)(colon - p), tlen = len - nlen - 1;
        char tname[64];
        bool not_null = tlen > 0 && colon[tlen] == '!';
        if (not_null) tlen--;
        if (tlen >= sizeof tname || nf >= 1024 || used + nlen + 1 > sizeof rs->names)
            return cli_usage_error(cmd, "--types: too long");
        memcpy(tname, colon + 1, tlen);
        tname[tlen] = '\0';
        cairn_type type;
        if (cairn_type_parse(tname, &type) != 0)
            return cli_usage_error(cmd, "--types: unknown type '%s' for '%.*s'", tname, (int)nlen, p);
        memcpy(rs->names + used, p, nlen);
        rs->names[used + nlen] = '\0';
        rs->fields[nf++] = (cairn_field){rs->names + used, type, !not_null};
        used += nlen + 1;
        p = end ? end + 1 : p + len;
    }
    rs->opts.fields = rs->fields;
    rs->opts.nfields = nf;
    return CLI_OK;
}

static int setup_read(cli_ctx *ctx, const cli_command *cmd, const cli_option *o, size_t n,
                      read_setup *rs)
{
    cairn_read_options_init(&rs->opts);
    rs->format = cli_opt(o, n, "format");
    const char *d = cli_opt(o, n, "delimiter");
    if (d) {
        if (!strcmp(d, "tab") || !strcmp(d, "\\t")) d = "\t";
        if (strlen(d) != 1) return cli_usage_error(cmd, "--delimiter: expected one character, found '%s'", d);
        rs->opts.delimiter = d[0];
    }
    rs->opts.no_header = cli_opt(o, n, "no-header") != NULL;
    rs->opts.null_text = cli_opt(o, n, "null");
    int64_t threads;
    int rc = cli_opt_int(cmd, o, n, "threads", 0, &threads);
    if (rc) return rc;
    rs->opts.threads = (int)threads;
    const char *types = cli_opt(o, n, "types");
    if (types && (rc = parse_types(cmd, types, rs))) return rc;
    rs->opts.progress = cli_progress;
    rs->opts.progress_ud = ctx;
    return CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * Dataset references: DATASET, DATASET@ID-PREFIX, DATASET@TIME read from the lake
 * ------------------------------------------------------------------------------------ */

enum { NOT_A_DATASET = -1000 };

/* A name that is no file, has no '/', and names a dataset before any '@'. */
static bool maybe_dataset(const char *arg)
{
    char name[CAIRN_DATASET_NAME_MAX];
    size_t n = strcspn(arg, "@");
    if (cairn_path_exists(arg) || strchr(arg, '/') || n >= sizeof name) return false;
    memcpy(name, arg, n);
    name[n] = '\0';
    return cairn_dataset_name_valid(name);
}

/* Reads a snapshot of the lake, or returns NOT_A_DATASET when there is no home, or when the
 * name is not a dataset and looks like a file name (so the file error is the one shown). */
static int read_dataset(cli_ctx *ctx, const char *ref, int64_t max_rows, cairn_table **out)
{
    cairn_home *home;
    cairn_snapshot *snap = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    if (cairn_home_open(ctx->home, &home, NULL) != 0) return NOT_A_DATASET;
    int rc = cairn_snapshot_resolve(home, ref, &snap, &err);
    if (rc == CAIRN_ENOTFOUND && !strchr(ref, '@') && cairn_format_for_path(ref)) {
        cairn_home_close(home);
        return NOT_A_DATASET;
    }
    if (rc == 0) {
        char label[512];
        snprintf(label, sizeof label, "reading %s@%.12s", snap->dataset, snap->id);
        ctx->label = label;
        if (!ctx->quiet) cli_progress(ctx, "reading", 0, (int64_t)snap->nfiles);
        rc = cairn_lake_read(home, snap, NULL, 0, true, out, &err);
        ctx->label = NULL;
    }
    if (rc == 0 && max_rows > 0 && cairn_table_num_rows(*out) > max_rows) {
        cairn_table *sliced = NULL;
        if ((rc = cairn_table_slice(*out, 0, max_rows, &sliced)) != 0) cairn_error_set(&err, rc, "out of memory");
        cairn_table_free(*out);
        *out = sliced;
    }
    cairn_snapshot_free(snap);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

static int read_table(cli_ctx *ctx, const char *path, read_setup *rs, cairn_table **out)
{
    cairn_error err;
    cairn_error_clear(&err);
    if (maybe_dataset(path)) {
        int rc = read_dataset(ctx, path, rs->opts.max_rows, out);
        if (rc != NOT_A_DATASET) return rc;
    }
    char label[512];
    snprintf(label, sizeof label, "reading %s", path);
    ctx->label = label;
    int rc = cairn_table_read_file(path, rs->format, &rs->opts, out, &err);
    ctx->label = NULL;
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * Values as text and JSON
 * ------------------------------------------------------------------------------------ */

static json_t *value_json(const cairn_value *v)
{
    char tmp[CAIRN_TIME_FMT_LEN];
    if (v->is_null) return json_null();
    switch (v->type) {
    case CAIRN_TYPE_BOOL: return json_boolean(v->v.b);
    case CAIRN_TYPE_INT32: return json_integer(v->v.i32);
    case CAIRN_TYPE_INT64: return json_integer(v->v.i64);
    case CAIRN_TYPE_FLOAT32: return isfinite(v->v.f32) ? json_real(v->v.f32) : json_null();
    case CAIRN_TYPE_FLOAT64: return isfinite(v->v.f64) ? json_real(v->v.f64) : json_null();
    case CAIRN_TYPE_STRING: return json_stringn_nocheck(v->v.str.ptr, v->v.str.len);
    case CAIRN_TYPE_TIMESTAMP: cairn_time_format(v->v.i64, tmp, sizeof tmp); return json_string(tmp);
    case CAIRN_TYPE_DATE32: cairn_date_format(v->v.i32, tmp, sizeof tmp); return json_string(tmp);
    }
    return json_null();
}

static json_t *columns_json(const cairn_table *t)
{
    json_t *cols = json_array();
    for (size_t i = 0; i < cairn_table_num_columns(t); i++) {
        const cairn_column *c = cairn_table_column(t, i);
        json_array_append_new(cols, json_pack("{s:s, s:s, s:b}", "name", c->name, "type",
                                              cairn_type_name(c->type), "nullable", c->nullable));
    }
    return cols;
}

/* --------------------------------------------------------------------------------------
 * cairn data head
 * ------------------------------------------------------------------------------------ */

static int run_head(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_data_head = {
    "data", "head", "data head FILE [-n N]", "print the first rows of a CSV, JSON Lines or Parquet file",
    "options:\n  -n, --rows N        rows to print (default 10)\n" READ_HELP
    "\nexamples:\n  cairn data head data/airports.csv -n 5\n  cairn --json data head events.jsonl\n",
    run_head,
};

static void print_text_table(const cairn_table *t)
{
    size_t ncol = cairn_table_num_columns(t);
    int64_t nrow = cairn_table_num_rows(t);
    size_t widths[1024] = {0};
    cairn_buf cell;
    cairn_buf_init(&cell, 0);
    cairn_value v;
    if (ncol > 1024) ncol = 1024;
    for (size_t c = 0; c < ncol; c++) {
        const cairn_column *col = cairn_table_column(t, c);
        widths[c] = strlen(col->name);
        if (strlen(cairn_type_name(col->type)) > widths[c]) widths[c] = strlen(cairn_type_name(col->type));
        for (int64_t r = 0; r < nrow; r++) {
            cairn_column_get(col, r, &v);
            cairn_buf_reset(&cell);
            cairn_value_format(&v, "null", &cell);
            if (cell.len > widths[c]) widths[c] = cell.len > 40 ? 40 : cell.len;
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        for (size_t c = 0; c < ncol; c++) {
            const cairn_column *col = cairn_table_column(t, c);
            printf("%-*s%s", (int)widths[c], pass ? cairn_type_name(col->type) : col->name,
                   c + 1 < ncol ? "  " : "\n");
        }
    }
    for (int64_t r = 0; r < nrow; r++) {
        for (size_t c = 0; c < ncol; c++) {
            const cairn_column *col = cairn_table_column(t, c);
            cairn_column_get(col, r, &v);
            cairn_buf_reset(&cell);
            cairn_value_format(&v, "null", &cell);
            for (char *p = cell.data; *p; p++)
                if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
            bool cut = cell.len > widths[c];
            int shown = cut ? (int)widths[c] - 3 : (int)cell.len;
            bool right = cairn_type_is_numeric(col->type);
            printf(right ? "%*.*s%s" : "%-*.*s%s", cut ? shown : (int)widths[c], shown, cell.data,
                   cut ? "..." : "");
            fputs(c + 1 < ncol ? "  " : "\n", stdout);
        }
    }
    cairn_buf_release(&cell);
}

static int run_head(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"rows", 'n', true, NULL}, READ_OPTIONS};
    size_t n = sizeof o / sizeof o[0];
    char *pos[1];
    int npos;
    int64_t rows;
    read_setup rs;
    int rc = cli_parse(&cli_cmd_data_head, argc, argv, o, n, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_data_head, "expected one FILE");
    if (rc == 0) rc = cli_opt_int(&cli_cmd_data_head, o, n, "rows", 10, &rows);
    if (rc == 0) rc = setup_read(ctx, &cli_cmd_data_head, o, n, &rs);
    if (rc) return rc;
    rs.opts.max_rows = rows ? rows : 1; /* 0 rows: still read the header for the schema */
    cairn_table *t;
    if ((rc = read_table(ctx, pos[0], &rs, &t))) return rc;
    cairn_table *shown = t;
    if (rows == 0) cairn_table_slice(t, 0, 0, &shown);
    if (ctx->json) {
        json_t *out = json_object(), *arr = json_array();
        json_object_set_new(out, "columns", columns_json(shown));
        for (int64_t r = 0; r < cairn_table_num_rows(shown); r++) {
            json_t *row = json_object();
            for (size_t c = 0; c < cairn_table_num_columns(shown); c++) {
                cairn_value v;
                const cairn_column *col = cairn_table_column(shown, c);
                cairn_column_get(col, r, &v);
                json_object_set_new(row, col->name, value_json(&v));
            }
            json_array_append_new(arr, row);
        }
        json_object_set_new(out, "rows", arr);
        rc = cli_print_json(out);
    } else {
        print_text_table(shown);
    }
    char a[32];
    cli_summary(ctx, "%s rows x %zu columns from %s", cli_thousands(cairn_table_num_rows(shown), a, sizeof a),
                cairn_table_num_columns(shown), pos[0]);
    if (shown != t) cairn_table_free(shown);
    cairn_table_free(t);
    return rc;
}

/* --------------------------------------------------------------------------------------
 * cairn data schema
 * ------------------------------------------------------------------------------------ */

static int run_schema(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_data_schema = {
    "data", "schema", "data schema FILE", "print the columns and types of a file",
    "Reads the whole file, so the types shown are those every row fits.\n\n" READ_HELP
    "\nexample:\n  cairn data schema data/airports.csv\n",
    run_schema,
};

static int run_schema(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {READ_OPTIONS};
    size_t n = sizeof o / sizeof o[0];
    char *pos[1];
    int npos;
    read_setup rs;
    int rc = cli_parse(&cli_cmd_data_schema, argc, argv, o, n, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_data_schema, "expected one FILE");
    if (rc == 0) rc = setup_read(ctx, &cli_cmd_data_schema, o, n, &rs);
    if (rc) return rc;
    cairn_table *t;
    if ((rc = read_table(ctx, pos[0], &rs, &t))) return rc;
    if (ctx->json) {
        rc = cli_print_json(json_pack("{s:s, s:I, s:o}", "file", pos[0], "rows",
                                      (json_int_t)cairn_table_num_rows(t), "columns", columns_json(t)));
    } else {
        for (size_t c = 0; c < cairn_table_num_columns(t); c++) {
            const cairn_column *col = cairn_table_column(t, c);
            printf("%-24s %-10s %s\n", col->name, cairn_type_name(col->type),
                   col->nullable ? "nullable" : "not null");
        }
    }
    char a[32];
    cli_summary(ctx, "%zu columns, %s rows in %s", cairn_table_num_columns(t),
                cli_thousands(cairn_table_num_rows(t), a, sizeof a), pos[0]);
    cairn_table_free(t);
    return rc;
}

/* --------------------------------------------------------------------------------------
 * cairn data stats
 * ------------------------------------------------------------------------------------ */

static int run_stats(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_data_stats = {
    "data", "stats", "data stats FILE [--top K]", "per-column statistics of a file",
    "For every column: type, count (rows), nulls, distinct values (exact), min and max; mean,\n"
    "standard deviation and sum for numbers; the most frequent values for strings and booleans.\n\n"
    "options:\n  --top K             how many frequent values to show (default 5)\n" READ_HELP
    "\nexamples:\n  cairn data stats data/airports.csv\n  cairn --json data stats data/airports.csv\n",
    run_stats,
};

static json_t *stats_json(const cairn_column_stats *s)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "name", s->name, "type",
                          cairn_type_name(s->type), "count", (json_int_t)s->count, "nulls",
                          (json_int_t)s->nulls, "valid", (json_int_t)(s->count - s->nulls),
                          "distinct", (json_int_t)s->distinct);
    json_object_set_new(o, "min", s->has_minmax ? value_json(&s->min) : json_null());
    json_object_set_new(o, "max", s->has_minmax ? value_json(&s->max) : json_null());
    if (s->has_mean) {
        json_object_set_new(o, "mean", isfinite(s->mean) ? json_real(s->mean) : json_null());
        json_object_set_new(o, "stddev", isfinite(s->stddev) ? json_real(s->stddev) : json_null());
        bool integral = s->type == CAIRN_TYPE_INT32 || s->type == CAIRN_TYPE_INT64 || s->type == CAIRN_TYPE_BOOL;
        json_object_set_new(o, "sum", integral && fabs(s->sum) < 9007199254740992.0
                                          ? json_integer((json_int_t)s->sum) : json_real(s->sum));
    }
    if (s->top_count) {
        json_t *top = json_array();
        for (size_t k = 0; k < s->top_count; k++)
            json_array_append_new(top, json_pack("{s:s%, s:I}", "value", s->top[k].value,
                                                 s->top[k].len, "count", (json_int_t)s->top[k].count));
        json_object_set_new(o, "top", top);
    }
    return o;
}

static void print_stats_text(const cairn_column_stats *st, size_t n)
{
    cairn_buf a, b;
    cairn_buf_init(&a, 0);
    cairn_buf_init(&b, 0);
    printf("%-20s %-9s %10s %8s %10s  %-22s %-22s %14s %14s\n", "column", "type", "count", "nulls",
           "distinct", "min", "max", "mean", "stddev");
    for (size_t i = 0; i < n; i++) {
        const cairn_column_stats *s = &st[i];
        cairn_buf_reset(&a);
        cairn_buf_reset(&b);
        if (s->has_minmax) {
            cairn_value_format(&s->min, "", &a);
            cairn_value_format(&s->max, "", &b);
        }
        char mean[40] = "", sd[40] = "";
        if (s->has_mean) {
            snprintf(mean, sizeof mean, "%.6g", s->mean);
            snprintf(sd, sizeof sd, "%.6g", s->stddev);
        }
        printf("%-20s %-9s %10lld %8lld %10lld  %-22.22s %-22.22s %14s %14s\n", s->name,
               cairn_type_name(s->type), (long long)s->count, (long long)s->nulls,
               (long long)s->distinct, a.data, b.data, mean, sd);
        if (s->top_count && s->type == CAIRN_TYPE_STRING) {
            printf("%-20s top:", "");
            for (size_t k = 0; k < s->top_count; k++)
                printf(" %.30s (%lld)%s", s->top[k].value, (long long)s->top[k].count,
                       k + 1 < s->top_count ? "," : "");
            putchar('\n');
        }
    }
    cairn_buf_release(&a);
    cairn_buf_release(&b);
}

static int run_stats(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"top", 0, true, NULL}, READ_OPTIONS};
    size_t n = sizeof o / sizeof o[0];
    char *pos[1];
    int npos;
    int64_t top;
    read_setup rs;
    int rc = cli_parse(&cli_cmd_data_stats, argc, argv, o, n, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_data_stats, "expected one FILE");
    if (rc == 0) rc = cli_opt_int(&cli_cmd_data_stats, o, n, "top", 5, &top);
    if (rc == 0) rc = setup_read(ctx, &cli_cmd_data_stats, o, n, &rs);
    if (rc) return rc;
    cairn_table *t;
    if ((rc = read_table(ctx, pos[0], &rs, &t))) return rc;
    cairn_column_stats *st = NULL;
    size_t count = 0;
    cairn_error err;
    cairn_error_clear(&err);
    if (!ctx->quiet) cli_progress(ctx, "computing statistics", 0, 0);
    rc = cairn_table_stats(t, top ? (size_t)top : 1, &st, &count, &err);
    if (rc) {
        cairn_table_free(t);
        return cli_fail(ctx, rc, &err);
    }
    if (ctx->json) {
        json_t *cols = json_array();
        for (size_t i = 0; i < count; i++) json_array_append_new(cols, stats_json(&st[i]));
        rc = cli_print_json(json_pack("{s:s, s:I, s:o}", "file", pos[0], "rows",
                                      (json_int_t)cairn_table_num_rows(t), "columns", cols));
    } else {
        print_stats_text(st, count);
    }
    char a[32];
    cli_summary(ctx, "%s rows, %zu columns in %s (%.2f s)", cli_thousands(cairn_table_num_rows(t), a, sizeof a),
                cairn_table_num_columns(t), pos[0], cli_elapsed_s(ctx));
    cairn_table_stats_free(st, count);
    cairn_table_free(t);
    return rc;
}

/* --------------------------------------------------------------------------------------
 * cairn data convert
 * ------------------------------------------------------------------------------------ */

static int run_convert(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_data_convert = {
    "data", "convert", "data convert IN OUT", "convert between CSV, JSON Lines and Parquet",
    "The output format follows OUT's extension (or --to). The output is written to a temporary\n"
    "name, synced and renamed, so a failure never leaves a half-written OUT.\n\n"
    "options:\n"
    "  --to F              output format (default: by OUT's extension)\n"
    "  --out-delimiter C   CSV output delimiter\n"
    "  --compression C     Parquet: zstd (default), snappy, gzip, lz4_raw or none\n"
    "  --row-group-size N  Parquet: rows per row group (default 1048576)\n" READ_HELP
    "\nexamples:\n  cairn data convert data/airports.csv /tmp/airports.jsonl\n"
    "  cairn data convert events.jsonl events.csv --types id:int64,at:timestamp,v:float64\n"
    "  cairn data convert data/flights-3m.parquet /tmp/flights.csv\n"
    "  cairn data convert /tmp/flights.csv /tmp/flights.parquet --compression snappy\n",
    run_convert,
};

static int run_convert(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"to", 0, true, NULL}, {"out-delimiter", 0, true, NULL},
                      {"compression", 0, true, NULL}, {"row-group-size", 0, true, NULL}, READ_OPTIONS};
    size_t n = sizeof o / sizeof o[0];
    char *pos[2];
    int npos;
    int64_t rgs;
    read_setup rs;
    int rc = cli_parse(&cli_cmd_data_convert, argc, argv, o, n, pos, 2, &npos);
    if (rc == 0 && npos != 2) rc = cli_usage_error(&cli_cmd_data_convert, "expected IN and OUT");
    if (rc == 0) rc = cli_opt_int(&cli_cmd_data_convert, o, n, "row-group-size", 0, &rgs);
    if (rc == 0) rc = setup_read(ctx, &cli_cmd_data_convert, o, n, &rs);
    if (rc) return rc;
    cairn_write_options wo;
    cairn_write_options_init(&wo);
    const char *od = cli_opt(o, n, "out-delimiter");
    if (od) {
        if (!strcmp(od, "tab")) od = "\t";
        if (strlen(od) != 1) return cli_usage_error(&cli_cmd_data_convert, "--out-delimiter: expected one character");
        wo.delimiter = od[0];
    }
    wo.compression = cli_opt(o, n, "compression");
    wo.row_group_size = rgs;
    const char *to = cli_opt(o, n, "to");
    const cairn_format *fmt = to ? cairn_format_by_name(to) : cairn_format_for_path(pos[1]);
    if (!fmt) return cli_usage_error(&cli_cmd_data_convert, "cannot tell the output format of '%s' (use --to)", pos[1]);
    cairn_table *t;
    if ((rc = read_table(ctx, pos[0], &rs, &t))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    if (!ctx->quiet) cli_progress(ctx, "writing", 0, 0);
    rc = cairn_table_write_file(t, pos[1], fmt->name, &wo, &err);
    if (rc) {
        cairn_table_free(t);
        return cli_fail(ctx, rc, &err);
    }
    if (ctx->json)
        cli_print_json(json_pack("{s:s, s:s, s:s, s:I, s:I}", "input", pos[0], "output", pos[1],
                                 "format", fmt->name, "rows", (json_int_t)cairn_table_num_rows(t),
                                 "columns", (json_int_t)cairn_table_num_columns(t)));
    char a[32];
    cli_summary(ctx, "converted %s rows x %zu columns: %s -> %s (%s) in %.2f s",
                cli_thousands(cairn_table_num_rows(t), a, sizeof a), cairn_table_num_columns(t), pos[0],
                pos[1], fmt->name, cli_elapsed_s(ctx));
    cairn_table_free(t);
    return CLI_OK;
}
