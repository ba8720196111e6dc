/* cli/cmd_ingest.c: `cairn ingest` (batch files into the lake) and `cairn dlq list|show|replay`
 * (the dead-letter store).
 *
 * `ingest` prints the quality report of the accepted rows and the snapshot it committed; a
 * refused ingest (too many rejected records, a failed error-level check) exits 1 having
 * written nothing, and a second ingest of the same content says so and changes nothing.
 *
 * Tests: tests/integration/test_ingest_cli.sh, tests/integration/test_ingest_crash.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static json_t *result_json(const char *dataset, const cairn_ingest_result *r)
{
    json_t *q = NULL;
    if (r->quality) cairn_quality_report_json(r->quality, &q);
    return json_pack("{s:s, s:s?, s:s?, s:b, s:b, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                     "s:I, s:o?}",
                     "dataset", dataset, "snapshot", r->snapshot[0] ? r->snapshot : NULL,
                     "parent", r->parent[0] ? r->parent : NULL, "noop", r->noop, "refused",
                     r->refused, "refused_reason", r->refused ? r->refused_reason : NULL,
                     "schema_version", (json_int_t)r->schema_version, "files_skipped",
                     (json_int_t)r->files_skipped, "rows_read", (json_int_t)r->rows_read,
                     "rows_rejected", (json_int_t)r->rows_rejected, "rows_duplicate",
                     (json_int_t)r->rows_duplicate, "rows_written", (json_int_t)r->rows_written,
                     "files_written", (json_int_t)r->files_written, "partitions",
                     (json_int_t)r->partitions, "dlq_written", (json_int_t)r->dlq_written,
                     "quality", q);
}

/* The quality report and the snapshot, for people. */
static void print_result(cli_ctx *ctx, cairn_home *home, const char *dataset,
                         const cairn_ingest_result *r)
{
    char a[32], b[32], c[32], d[32];
    if (r->quality) {
        cairn_buf text;
        cairn_buf_init(&text, 0);
        if (cairn_quality_report_text(r->quality, &text) == 0 && text.len)
            printf("%.*s", (int)text.len, text.data);
        cairn_buf_release(&text);
    }
    if (r->refused) {
        printf("records: %s read, %s failed validation; refused: %s; nothing was written\n",
               cli_thousands(r->rows_read, a, sizeof a), cli_thousands(r->rows_rejected, b, sizeof b),
               r->refused_reason);
        return;
    }
    printf("records: %s read, %s rejected (dead letters), %s duplicates, %s written\n",
           cli_thousands(r->rows_read, a, sizeof a), cli_thousands(r->rows_rejected, b, sizeof b),
           cli_thousands(r->rows_duplicate, c, sizeof c), cli_thousands(r->rows_written, d, sizeof d));
    if (!r->snapshot[0]) return;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_snapshot *s = NULL;
    char ref[256];
    snprintf(ref, sizeof ref, "%s@%s", dataset, r->snapshot);
    if (cairn_snapshot_resolve(home, ref, &s, &err) == 0) {
        printf("snapshot %.12s (parent %.12s): %s rows in %zu files, %s added, schema v%lld, %s\n",
               s->id, s->parent[0] ? s->parent : "none", cli_thousands(s->rows, a, sizeof a),
               s->nfiles, cli_thousands(s->added_rows, b, sizeof b), (long long)s->schema_version,
               s->committed_at);
        cairn_snapshot_free(s);
    }
    (void)ctx;
}

/* --------------------------------------------------------------------------------------
 * cairn ingest
 * ------------------------------------------------------------------------------------ */

static int run_ingest(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_ingest = {
    NULL, "ingest", "ingest DATASET FILE... [options]",
    "validate files and commit them to the lake as one snapshot",
    "Reads CSV, JSON Lines or Parquet files (by extension) with the dataset's registered schema\n"
    "(its latest version), checks every record against the field constraints and the\n"
    "dataset-level checks, and writes the accepted records to the Hive-partitioned Parquet\n"
    "lake, committing one snapshot. Rejected records go to the dead-letter store with their\n"
    "original text, source, line, reason and schema version (see `cairn dlq`). Records are\n"
    "de-duplicated on the primary key: the latest event time wins. A file whose content was\n"
    "ingested before is skipped. Writes are atomic: an interrupted ingest leaves the previous\n"
    "snapshot in place, and running it again completes it.\n\n"
    "options:\n"
    "  --schema FILE          register FILE (a schema YAML) as the dataset's next version first\n"
    "  --max-error-rate R     refuse the whole ingest, writing nothing, when more than this\n"
    "                         fraction of records is rejected (default 0.1)\n"
    "  --keep latest|first    primary-key ties: latest event time wins (default), or the\n"
    "                         record already stored\n"
    "  --force                ingest files even when their content was ingested before\n"
    "  --now TIME             the time freshness checks measure against (default: now)\n"
    "\nexamples:\n"
    "  cairn ingest flights data/flights-3m.parquet --schema examples/flights/schema.yaml\n"
    "  cairn ingest events day1.csv day2.jsonl --max-error-rate 0.01\n",
    run_ingest,
};

static int register_schema(cli_ctx *ctx, cairn_home *home, const char *dataset, const char *path)
{
    cairn_error err;
    cairn_error_clear(&err);
    cairn_dataset_schema *schema = NULL;
    int rc = cairn_dataset_schema_load(path, &schema, &err);
    if (rc) return cli_fail(ctx, rc, &err);
    if (strcmp(cairn_dataset_schema_name(schema), dataset)) {
        cairn_error_set(&err, CAIRN_EINVAL, "%s describes dataset '%s', not '%s'", path,
                        cairn_dataset_schema_name(schema), dataset);
        cairn_dataset_schema_free(schema);
        return cli_fail(ctx, CAIRN_EINVAL, &err);
    }
    int64_t version;
    bool created;
    rc = cairn_registry_register(cairn_home_catalog(home), dataset, schema, &version, &created,
                                 NULL, NULL, &err);
    cairn_dataset_schema_free(schema);
    if (rc) return cli_fail(ctx, rc, &err);
    if (created && !ctx->quiet)
        fprintf(stderr, "registered schema '%s' version %lld\n", dataset, (long long)version);
    return CLI_OK;
}

static int parse_ingest_options(cli_ctx *ctx, const cli_command *cmd, cli_option *o, size_t no,
                                cairn_ingest_options *io)
{
    cairn_ingest_options_init(io);
    const char *v;
    if ((v = cli_opt(o, no, "max-error-rate"))) {
        char *end;
        io->max_error_rate = strtod(v, &end);
        if (*end || end == v || io->max_error_rate < 0 || io->max_error_rate > 1)
            return cli_usage_error(cmd, "--max-error-rate: expected a fraction in [0, 1], found '%s'", v);
    }
    if ((v = cli_opt(o, no, "keep"))) {
        if (!strcmp(v, "first")) io->keep_first = true;
        else if (strcmp(v, "latest")) return cli_usage_error(cmd, "--keep: expected latest or first, found '%s'", v);
    }
    if ((v = cli_opt(o, no, "now"))) {
        cairn_error err;
        cairn_error_clear(&err);
        if (cairn_time_parse(v, strlen(v), &io->now_us, &err))
            return cli_usage_error(cmd, "--now: %s", err.message);
    }
    io->force = cli_opt(o, no, "force") != NULL;
    if (!ctx->quiet) {
        io->progress = cli_progress;
        io->progress_ud = ctx;
    }
    return CLI_OK;
}

static int finish(cli_ctx *ctx, cairn_home *home, const char *dataset, int rc,
                  const cairn_error *err, cairn_ingest_result *r, const char *what)
{
    if (ctx->json && (rc == 0 || r->refused)) cli_print_json(result_json(dataset, r));
    else if (rc == 0 || r->refused) print_result(ctx, home, dataset, r);
    if (rc) return cli_fail(ctx, rc, err);
    char a[32], b[32];
    if (r->noop)
        cli_summary(ctx, "%s: nothing to do, every input was %s before (%lld skipped)", dataset,
                    what, (long long)r->files_skipped);
    else
        cli_summary(ctx, "%s %s rows into %s (%s dead letters), snapshot %.12s, in %.2fs", what,
                    cli_thousands(r->rows_written, a, sizeof a), dataset,
                    cli_thousands(r->rows_rejected, b, sizeof b), r->snapshot, cli_elapsed_s(ctx));
    return CLI_OK;
}

static int run_ingest(cli_ctx *ctx, int argc, char **argv)
{
    const cli_command *cmd = &cli_cmd_ingest;
    cli_option o[] = {{"schema", 's', true, NULL},  {"max-error-rate", 0, true, NULL},
                      {"keep", 0, true, NULL},      {"force", 'f', false, NULL},
                      {"now", 0, true, NULL}};
    size_t no = sizeof o / sizeof o[0];
    char *pos[256];
    int npos;
    int rc = cli_parse(cmd, argc, argv, o, no, pos, 256, &npos);
    if (rc == 0 && npos < 2) rc = cli_usage_error(cmd, "expected DATASET and at least one FILE");
    cairn_ingest_options io;
    if (rc == 0) rc = parse_ingest_options(ctx, cmd, o, no, &io);
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    const char *dataset = pos[0];
    if (cli_opt(o, no, "schema")) rc = register_schema(ctx, home, dataset, cli_opt(o, no, "schema"));
    if (rc == 0) {
        cairn_error err;
        cairn_error_clear(&err);
        cairn_ingest_result r;
        int irc = cairn_ingest_files(home, dataset, (const char *const *)pos + 1, (size_t)npos - 1,
                                     &io, &r, &err);
        rc = finish(ctx, home, dataset, irc, &err, &r, "ingested");
        cairn_ingest_result_free(&r);
    }
    cairn_home_close(home);
    return rc;
}

/* --------------------------------------------------------------------------------------
 * cairn dlq list|show|replay
 * ------------------------------------------------------------------------------------ */

static json_t *record_json(const cairn_dlq_record *r)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s?, s:s, s:I, s:s, s:s}",
                     "id", (json_int_t)r->id, "at", r->at, "source", r->source, "location",
                     r->location, "line", (json_int_t)r->line, "stage", r->stage, "reason",
                     r->reason, "field", r->field, "format", r->format, "header", r->header,
                     "raw", r->raw ? r->raw : "", "schema_version", (json_int_t)r->schema_version,
                     "snapshot", r->snapshot, "status", r->status);
}

static int run_dlq_list(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_dlq_list = {
    "dlq", "list", "dlq list DATASET [--all]",
    "list a dataset's dead letters (rejected records)",
    "One line per pending dead letter: id, source and line (or row, or stream entry id), the\n"
    "stage that refused it (parse or validate), the field and the reason.\n\n"
    "options:\n  --all      include records already replayed into the lake\n"
    "\nexample:\n  cairn dlq list flights\n",
    run_dlq_list,
};

static int run_dlq_list(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"all", 'a', false, NULL}};
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_dlq_list, argc, argv, o, 1, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_dlq_list, "expected DATASET");
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_dlq_record *recs = NULL;
    size_t n = 0;
    rc = cairn_dlq_list(home, pos[0], cli_opt(o, 1, "all") != NULL, &recs, &n, &err);
    if (rc == 0) {
        if (ctx->json) {
            json_t *arr = json_array();
            for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, record_json(&recs[i]));
            cli_print_json(json_pack("{s:s, s:I, s:o}", "dataset", pos[0], "count", (json_int_t)n,
                                     "records", arr));
        } else {
            if (n) printf("%-6s %-9s %-40s %-8s %-12s %s\n", "ID", "STATUS", "SOURCE", "STAGE", "FIELD", "REASON");
            for (size_t i = 0; i < n; i++) {
                const cairn_dlq_record *r = &recs[i];
                char where[600];
                snprintf(where, sizeof where, "%s:%s", r->source, r->location);
                printf("%-6lld %-9s %-40s %-8s %-12s %s\n", (long long)r->id, r->status, where,
                       r->stage, r->field[0] ? r->field : "-", r->reason);
            }
        }
        cli_summary(ctx, "%zu dead letters in %s", n, pos[0]);
    }
    cairn_dlq_records_free(recs, n);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

static int run_dlq_show(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_dlq_show = {
    "dlq", "show", "dlq show DATASET ID",
    "show one dead letter with its original record",
    "Prints everything kept about a rejected record: the original text (with the CSV header),\n"
    "source, line or row, time, stage, field, reason, schema version and the snapshot of the\n"
    "ingest that refused it.\n\nexample:\n  cairn dlq show flights 3\n",
    run_dlq_show,
};

static int run_dlq_show(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[2];
    int npos;
    int rc = cli_parse(&cli_cmd_dlq_show, argc, argv, NULL, 0, pos, 2, &npos);
    char *end = NULL;
    long long id = npos == 2 ? strtoll(pos[1], &end, 10) : 0;
    if (rc == 0 && (npos != 2 || *end || id <= 0))
        rc = cli_usage_error(&cli_cmd_dlq_show, "expected DATASET and a numeric ID");
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_dlq_record *r = NULL;
    rc = cairn_dlq_get(home, pos[0], id, &r, &err);
    if (rc == 0) {
        if (ctx->json) cli_print_json(record_json(r));
        else {
            printf("id:             %lld\nstatus:         %s\nat:             %s\n", (long long)r->id,
                   r->status, r->at);
            printf("source:         %s\nlocation:       %s\nstage:          %s\n", r->source,
                   r->location, r->stage);
            printf("field:          %s\nreason:         %s\nschema version: %lld\n",
                   r->field[0] ? r->field : "-", r->reason, (long long)r->schema_version);
            printf("snapshot:       %s\nformat:         %s\n", r->snapshot[0] ? r->snapshot : "-",
                   r->format);
            if (r->header) printf("header:         %s\n", r->header);
            printf("record:         %s\n", r->raw ? r->raw : "");
        }
        cli_summary(ctx, "dead letter %lld of %s", id, pos[0]);
    }
    cairn_dlq_records_free(r, r ? 1 : 0);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

static int run_dlq_replay(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_dlq_replay = {
    "dlq", "replay", "dlq replay DATASET [options]",
    "re-validate dead letters and ingest those that now pass",
    "Re-reads every pending dead letter under the latest version of the dataset's schema (for\n"
    "instance after registering a fix). Records that pass are ingested as one snapshot and\n"
    "marked replayed; the rest stay pending with their new reason.\n\n"
    "options:\n  --keep latest|first    primary-key ties (as for ingest)\n"
    "  --now TIME             the time freshness checks measure against (default: now)\n"
    "\nexample:\n  cairn schema register fixed.yaml && cairn dlq replay flights\n",
    run_dlq_replay,
};

static int run_dlq_replay(cli_ctx *ctx, int argc, char **argv)
{
    const cli_command *cmd = &cli_cmd_dlq_replay;
    cli_option o[] = {{"keep", 0, true, NULL}, {"now", 0, true, NULL}};
    size_t no = sizeof o / sizeof o[0];
    char *pos[1];
    int npos;
    int rc = cli_parse(cmd, argc, argv, o, no, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(cmd, "expected DATASET");
    cairn_ingest_options io;
    if (rc == 0) rc = parse_ingest_options(ctx, cmd, o, no, &io);
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_ingest_result r;
    int irc = cairn_dlq_replay(home, pos[0], &io, &r, &err);
    if (irc == 0 && r.noop) {
        if (ctx->json) cli_print_json(result_json(pos[0], &r));
        cli_summary(ctx, "%s: no pending dead letters", pos[0]);
    } else rc = finish(ctx, home, pos[0], irc, &err, &r, "replayed");
    cairn_ingest_result_free(&r);
    cairn_home_close(home);
    return rc;
}

/* --------------------------------------------------------------------------------------
 * cairn data quality
 * ------------------------------------------------------------------------------------ */

static int run_quality(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_data_quality = {
    "data", "quality", "data quality REF",
    "show the quality report stored with a snapshot",
    "Every ingest stores the quality report of the records it accepted (the dataset checks of\n"
    "the schema) with the snapshot it commits. This prints it again: evaluated, passed and\n"
    "failed checks, each with its observed value and, for failures and warnings, example rows.\n"
    "REF is DATASET (the head), DATASET@ID-PREFIX or DATASET@TIME.\n"
    "\nexamples:\n  cairn data quality flights\n  cairn --json data quality flights@2759e0\n",
    run_quality,
};

static void print_report(const json_t *q)
{
    const json_t *st = json_object_get(q, "statistics");
    printf("quality of %s (%lld rows): %lld checks, %lld passed, %lld failed, %lld warnings\n",
           json_string_value(json_object_get(q, "dataset")),
           (long long)json_integer_value(json_object_get(q, "rows")),
           (long long)json_integer_value(json_object_get(st, "evaluated_checks")),
           (long long)json_integer_value(json_object_get(st, "successful_checks")),
           (long long)json_integer_value(json_object_get(st, "unsuccessful_checks")),
           (long long)json_integer_value(json_object_get(st, "warnings")));
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(q, "results"), i, r) {
        bool ok = json_is_true(json_object_get(r, "success"));
        bool warn = !ok && !strcmp(json_string_value(json_object_get(r, "severity")) ?: "", "warning");
        const json_t *obs = json_object_get(r, "observed");
        printf("  %s %s", ok ? "PASS" : warn ? "WARN" : "FAIL", json_string_value(json_object_get(r, "name")));
        if (json_is_number(obs)) printf(": observed %g", json_number_value(obs));
        const char *detail = json_string_value(json_object_get(r, "detail"));
        if (detail && *detail) printf(" (%s)", detail);
        printf("\n");
        const json_t *ex = json_object_get(r, "examples");
        size_t k;
        const json_t *row;
        if (!ok && json_is_array(ex))
            json_array_foreach(ex, k, row) {
                cairn_buf b;
                cairn_buf_init(&b, 0);
                if (cairn_json_dump(row, 0, &b) == 0) printf("      %.*s\n", (int)b.len, b.data);
                cairn_buf_release(&b);
            }
    }
}

static int run_quality(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[1];
    int npos;
    int rc = cli_parse(&cli_cmd_data_quality, argc, argv, NULL, 0, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_data_quality, "expected REF");
    if (rc) return rc;
    cairn_home *home;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_snapshot *s = NULL;
    char qid[65] = "";
    json_t *report = NULL;
    cairn_buf text;
    cairn_buf_init(&text, 0);
    rc = cairn_snapshot_resolve(home, pos[0], &s, &err);
    if (rc == 0) rc = cairn_snapshot_quality(home, s->id, qid, &err);
    if (rc == 0) {
        if (!qid[0])
            rc = cairn_error_set(&err, CAIRN_ENOTFOUND,
                                 "snapshot %.12s of '%s' has no quality report (operation %s)",
                                 s->id, s->dataset, s->operation);
    }
    if (rc == 0) rc = cairn_object_get(cairn_home_path(home), qid, &text, &err);
    if (rc == 0) rc = cairn_json_parse(text.data, text.len, qid, &report, &err);
    if (rc == 0) {
        if (ctx->json) cli_print_json(json_incref(report));
        else print_report(report);
        cli_summary(ctx, "quality report of snapshot %.12s of '%s'", s->id, s->dataset);
    }
    json_decref(report);
    cairn_buf_release(&text);
    cairn_snapshot_free(s);
    cairn_home_close(home);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}
