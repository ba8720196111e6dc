/* cli/cmd_lake.c: `cairn data log|diff|snapshot|compact|gc|retention|hold`: the lake's
 * snapshots and their upkeep (include/cairn/lake.h).
 *
 * References name a dataset's head ("flights"), a snapshot by id prefix ("flights@3fa2b1")
 * or the snapshot current at a time ("flights@2001-05-01"). Ids are shown as 12 hex digits.
 * Every command has --json output; gc prints each deletion (or, with --dry-run, each that
 * would happen) with its reason.
 *
 * Tests: tests/integration/test_lake_cli.sh.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static json_t *file_json(const cairn_lake_file *f)
{
    char a[CAIRN_TIME_FMT_LEN], b[CAIRN_TIME_FMT_LEN];
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I}", "path", f->path, "partition", f->partition,
                          "sha256", f->sha256, "rows", (json_int_t)f->rows, "bytes", (json_int_t)f->bytes);
    if (f->has_event_time) {
        cairn_time_format(f->min_event_us, a, sizeof a);
        cairn_time_format(f->max_event_us, b, sizeof b);
    }
    json_object_set_new(o, "min_event_time", f->has_event_time ? json_string(a) : json_null());
    json_object_set_new(o, "max_event_time", f->has_event_time ? json_string(b) : json_null());
    return o;
}

static json_t *snapshot_json(const cairn_snapshot *s)
{
    return json_pack("{s:s, s:s, s:I, s:s?, s:s, s:s, s:I, s:I, s:I}", "id", s->id, "dataset", s->dataset,
                     "sequence", (json_int_t)s->sequence, "parent", *s->parent ? s->parent : NULL,
                     "committed_at", s->committed_at, "operation", s->operation, "rows",
                     (json_int_t)s->rows, "added_rows", (json_int_t)s->added_rows, "files",
                     (json_int_t)s->nfiles);
}

/* "flights" + "3fa2" -> "flights@3fa2"; a ref that already names a dataset stays. */
static void qualify(const char *dataset, const char *ref, char *out, size_t cap)
{
    if (strchr(ref, '@')) snprintf(out, cap, "%s", ref);
    else snprintf(out, cap, "%s@%s", dataset, ref);
}

static int resolve(cli_ctx *ctx, cairn_home *home, const char *ref, cairn_snapshot **out)
{
    cairn_error err;
    cairn_error_clear(&err);
    int rc = cairn_snapshot_resolve(home, ref, out, &err);
    return rc ? cli_fail(ctx, rc, &err) : CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * cairn data log
 * ------------------------------------------------------------------------------------ */

static int run_log(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_data_log = {
    "data", "log", "data log DATASET", "list a dataset's snapshots, newest first",
    "For each snapshot: its id (12 hex digits; any unambiguous prefix of 4 or more names it),\n"
    "when it was committed, the operation (ingest, stream, replay, compact, retention), the rows in\n"
    "the snapshot, the rows the commit added, and its files. Expired snapshots are left out.\n"
    "\nexamples:\n  cairn data log flights\n  cairn --json data log flights\n",
    run_log,
};

static int print_log(cli_ctx *ctx, const char *dataset, const cairn_snapshot *list, size_t n)
{
    char a[32], b[32];
    if (ctx->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) json_array_append_new(arr, snapshot_json(&list[i]));
        return cli_print_json(json_pack("{s:s, s:o}", "dataset", dataset, "snapshots", arr));
    }
    printf("%-12s  %-27s  %-9s  %14s  %14s  %6s\n", "snapshot", "committed_at", "operation", "rows",
           "added", "files");
    for (size_t i = 0; i < n; i++)
        printf("%.12s  %-27s  %-9s  %14s  %14s  %6zu\n", list[i].id, list[i].committed_at,
               list[i].operation, cli_thousands(list[i].rows, a, sizeof a),
               cli_thousands(list[i].added_rows, b, sizeof b), list[i].nfiles);
    return CLI_OK;
}

static int run_log(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[1];
    int npos;
    cairn_home *home;
    int rc = cli_parse(&cli_cmd_data_log, argc, argv, NULL, 0, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_data_log, "expected one DATASET");
    if (rc || (rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_snapshot *list = NULL, *head = NULL;
    size_t n = 0;
    rc = cairn_snapshot_resolve(home, pos[0], &head, &err); /* a clear error for unknown names */
    if (rc == 0) rc = cairn_snapshot_list(home, head->dataset, &list, &n, &err);
    if (rc == 0) {
        rc = print_log(ctx, head->dataset, list, n);
        cli_summary(ctx, "%zu snapshot%s of '%s'", n, n == 1 ? "" : "s", head->dataset);
    } else {
        rc = cli_fail(ctx, rc, &err);
    }
    cairn_free(list);
    cairn_snapshot_free(head);
    cairn_home_close(home);
    return rc;
}

/* --------------------------------------------------------------------------------------
 * cairn data snapshot
 * ------------------------------------------------------------------------------------ */

static int run_snapshot(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_data_snapshot = {
    "data", "snapshot", "data snapshot REF", "show one snapshot: its files, partitions and rows",
    "REF is DATASET (the head), DATASET@ID-PREFIX or DATASET@TIME (the snapshot current then).\n"
    "\nexamples:\n  cairn data snapshot flights\n  cairn data snapshot flights@2001-05-01\n"
    "  cairn --json data snapshot flights@3fa2b1\n",
    run_snapshot,
};

static size_t count_partitions(const cairn_snapshot *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nfiles; i++)
        if (i == 0 || strcmp(s->files[i].partition, s->files[i - 1].partition)) n++;
    return n;
}

static int print_snapshot(cli_ctx *ctx, const cairn_snapshot *s)
{
    char a[32], b[32];
    if (ctx->json) {
        json_t *o = snapshot_json(s), *files = json_array();
        json_object_set_new(o, "schema_subject", json_string(s->schema_subject));
        json_object_set_new(o, "schema_version", json_integer(s->schema_version));
        json_object_set_new(o, "partitions", json_integer((json_int_t)count_partitions(s)));
        for (size_t i = 0; i < s->nfiles; i++) json_array_append_new(files, file_json(&s->files[i]));
        json_object_set_new(o, "file_list", files);
        return cli_print_json(o);
    }
    printf("snapshot   %s\ndataset    %s (sequence %lld)\nparent     %s\ncommitted  %s\n"
           "operation  %s\nschema     %s version %lld\nrows       %s (%s added)\n",
           s->id, s->dataset, (long long)s->sequence, *s->parent ? s->parent : "(none)",
           s->committed_at, s->operation, *s->schema_subject ? s->schema_subject : "(none)",
           (long long)s->schema_version, cli_thousands(s->rows, a, sizeof a),
           cli_thousands(s->added_rows, b, sizeof b));
    printf("\n%-60s %12s %12s\n", "file", "rows", "bytes");
    for (size_t i = 0; i < s->nfiles; i++)
        printf("%-60s %12s %12s\n", s->files[i].path, cli_thousands(s->files[i].rows, a, sizeof a),
               cli_thousands(s->files[i].bytes, b, sizeof b));
    return CLI_OK;
}

static int run_snapshot(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[1];
    int npos;
    cairn_home *home;
    cairn_snapshot *s = NULL;
    int rc = cli_parse(&cli_cmd_data_snapshot, argc, argv, NULL, 0, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_data_snapshot, "expected one REF");
    if (rc || (rc = cli_open_home(ctx, &home))) return rc;
    if ((rc = resolve(ctx, home, pos[0], &s)) == 0) {
        rc = print_snapshot(ctx, s);
        char a[32];
        cli_summary(ctx, "snapshot %.12s of '%s': %s rows in %zu files, %zu partitions", s->id, s->dataset,
                    cli_thousands(s->rows, a, sizeof a), s->nfiles, count_partitions(s));
    }
    cairn_snapshot_free(s);
    cairn_home_close(home);
    return rc;
}

/* --------------------------------------------------------------------------------------
 * cairn data diff
 * ------------------------------------------------------------------------------------ */

static int run_diff(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_data_diff = {
    "data", "diff", "data diff DATASET A B", "files and rows added and removed between two snapshots",
    "A and B are snapshot id prefixes or times of DATASET (or full references DATASET@...).\n"
    "Files are compared by path, which holds their content hash.\n"
    "\nexamples:\n  cairn data diff flights 3fa2 9c01\n  cairn data diff flights 2001-05-01 2001-06-01\n",
    run_diff,
};

static void print_files(const char *sign, const cairn_lake_file *files, size_t n)
{
    char a[32];
    for (size_t i = 0; i < n; i++)
        printf("%s %-60s %12s rows\n", sign, files[i].path, cli_thousands(files[i].rows, a, sizeof a));
}

static int print_diff(cli_ctx *ctx, const cairn_snapshot *a, const cairn_snapshot *b,
                      const cairn_snapshot_diff *d)
{
    if (ctx->json) {
        json_t *added = json_array(), *removed = json_array();
        for (size_t i = 0; i < d->nadded; i++) json_array_append_new(added, file_json(&d->added[i]));
        for (size_t i = 0; i < d->nremoved; i++) json_array_append_new(removed, file_json(&d->removed[i]));
        return cli_print_json(json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:o}", "dataset", a->dataset,
                                        "from", a->id, "to", b->id, "rows_added", (json_int_t)d->rows_added,
                                        "rows_removed", (json_int_t)d->rows_removed, "added", added,
                                        "removed", removed));
    }
    printf("from %.12s (%s) to %.12s (%s)\n", a->id, a->committed_at, b->id, b->committed_at);
    print_files("+", d->added, d->nadded);
    print_files("-", d->removed, d->nremoved);
    return CLI_OK;
}

static int run_diff(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[3], ra[512], rb[512];
    int npos;
    cairn_home *home;
    cairn_snapshot *a = NULL, *b = NULL;
    int rc = cli_parse(&cli_cmd_data_diff, argc, argv, NULL, 0, pos, 3, &npos);
    if (rc == 0 && npos != 3) rc = cli_usage_error(&cli_cmd_data_diff, "expected DATASET A B");
    if (rc || (rc = cli_open_home(ctx, &home))) return rc;
    qualify(pos[0], pos[1], ra, sizeof ra);
    qualify(pos[0], pos[2], rb, sizeof rb);
    if ((rc = resolve(ctx, home, ra, &a)) == 0 && (rc = resolve(ctx, home, rb, &b)) == 0) {
        cairn_snapshot_diff d;
        cairn_error err;
        cairn_error_clear(&err);
        if ((rc = cairn_snapshot_diff_compute(a, b, &d, &err))) rc = cli_fail(ctx, rc, &err);
        else {
            rc = print_diff(ctx, a, b, &d);
            char x[32], y[32];
            cli_summary(ctx, "%zu file%s added (%s rows), %zu removed (%s rows)", d.nadded,
                        d.nadded == 1 ? "" : "s", cli_thousands(d.rows_added, x, sizeof x), d.nremoved,
                        cli_thousands(d.rows_removed, y, sizeof y));
            cairn_snapshot_diff_free(&d);
        }
    }
    cairn_snapshot_free(a);
    cairn_snapshot_free(b);
    cairn_home_close(home);
    return rc;
}

/* --------------------------------------------------------------------------------------
 * cairn data compact
 * ------------------------------------------------------------------------------------ */

static int run_compact(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_data_compact = {
    "data", "compact", "data compact DATASET", "merge each partition's files into one",
    "Partitions with several files (one per ingest) are rewritten as one file each and the\n"
    "result committed as a new snapshot (operation compact); rows are unchanged. The old\n"
    "files stay while older snapshots list them (see `data gc`).\n"
    "\nexample:\n  cairn data compact flights\n",
    run_compact,
};

static int run_compact(cli_ctx *ctx, int argc, char **argv)
{
    char *pos[1], id[65];
    int npos;
    bool changed = false;
    cairn_home *home;
    int rc = cli_parse(&cli_cmd_data_compact, argc, argv, NULL, 0, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_data_compact, "expected one DATASET");
    if (rc || (rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    if (!ctx->quiet) cli_progress(ctx, "compacting", 0, 0);
    rc = cairn_lake_compact(home, pos[0], id, &changed, &err);
    cairn_home_close(home);
    if (rc) return cli_fail(ctx, rc, &err);
    if (ctx->json) cli_print_json(json_pack("{s:s, s:b, s:s}", "dataset", pos[0], "changed", changed, "snapshot", id));
    else printf("%.12s\n", id);
    if (changed) cli_summary(ctx, "compacted '%s' into snapshot %.12s", pos[0], id);
    else cli_summary(ctx, "'%s' is already compact (snapshot %.12s)", pos[0], id);
    return CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * cairn data gc
 * ------------------------------------------------------------------------------------ */

static int run_gc(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_data_gc = {
    "data", "gc", "data gc [DATASET] [--dry-run]",
    "apply retention and delete lake files no snapshot needs",
    "Applies each dataset's retention (see `data retention`), then deletes files no live\n"
    "snapshot lists, stray temporary files of crashed writers and the manifests of expired\n"
    "snapshots, logging each deletion and its reason in the catalog. Datasets under a legal\n"
    "hold are skipped and reported. Files younger than the grace period are kept, so an\n"
    "ingest still running keeps the files it has not committed yet.\n\n"
    "options:\n  --dry-run           list what would be deleted; change nothing\n"
    "  --grace DUR         keep files modified within DUR (default 1h; e.g. 0s, 15m, 2d)\n"
    "\nexamples:\n  cairn data gc --dry-run\n  cairn data gc flights --grace 0s\n",
    run_gc,
};

static int print_gc(cli_ctx *ctx, const cairn_gc_report *r, bool dry)
{
    char a[32];
    if (ctx->json) {
        json_t *items = json_array(), *held = json_array();
        for (size_t i = 0; i < r->nitems; i++)
            json_array_append_new(items, json_pack("{s:s, s:s, s:I, s:s}", "dataset", r->items[i].dataset,
                                                   "path", r->items[i].path, "bytes",
                                                   (json_int_t)r->items[i].bytes, "reason", r->items[i].reason));
        for (int64_t i = 0; i < r->datasets_held; i++) json_array_append_new(held, json_string(r->held[i]));
        return cli_print_json(json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "dry_run", dry,
                                        "partitions_dropped", (json_int_t)r->partitions_dropped,
                                        "snapshots_expired", (json_int_t)r->snapshots_expired,
                                        "files_deleted", (json_int_t)r->files_deleted, "objects_deleted",
                                        (json_int_t)r->objects_deleted, "bytes_deleted",
                                        (json_int_t)r->bytes_deleted, "deleted", items, "held", held));
    }
    for (size_t i = 0; i < r->nitems; i++)
        printf("%s %s (%s bytes): %s\n", dry ? "would delete" : "deleted", r->items[i].path,
               cli_thousands(r->items[i].bytes, a, sizeof a), r->items[i].reason);
    for (int64_t i = 0; i < r->datasets_held; i++)
        printf("held: %s (legal hold; nothing deleted)\n", r->held[i]);
    return CLI_OK;
}

static int run_gc(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"dry-run", 'n', false, NULL}, {"grace", 0, true, NULL}};
    size_t no = sizeof o / sizeof o[0];
    char *pos[1];
    int npos;
    cairn_home *home;
    cairn_gc_options opts;
    cairn_gc_options_init(&opts);
    int rc = cli_parse(&cli_cmd_data_gc, argc, argv, o, no, pos, 1, &npos);
    if (rc) return rc;
    const char *grace = cli_opt(o, no, "grace");
    if (grace && cairn_duration_parse(grace, strlen(grace), &opts.grace_us, NULL))
        return cli_usage_error(&cli_cmd_data_gc, "--grace: expected a duration like 1h or 0s, found '%s'", grace);
    opts.dry_run = cli_opt(o, no, "dry-run") != NULL;
    opts.dataset = npos ? pos[0] : NULL;
    if ((rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_gc_report r;
    if (!ctx->quiet) cli_progress(ctx, opts.dry_run ? "gc (dry run)" : "gc", 0, 0);
    rc = cairn_lake_gc(home, &opts, &r, &err);
    cairn_home_close(home);
    if (rc) {
        cairn_gc_report_release(&r);
        return cli_fail(ctx, rc, &err);
    }
    print_gc(ctx, &r, opts.dry_run);
    char a[32];
    cli_summary(ctx, "%s%lld files and %lld manifests %s (%s bytes); %lld partitions dropped, %lld "
                "snapshots expired, %lld datasets held", opts.dry_run ? "dry run: " : "",
                (long long)r.files_deleted, (long long)r.objects_deleted,
                opts.dry_run ? "would be deleted" : "deleted", cli_thousands(r.bytes_deleted, a, sizeof a),
                (long long)r.partitions_dropped, (long long)r.snapshots_expired, (long long)r.datasets_held);
    cairn_gc_report_release(&r);
    return CLI_OK;
}

/* --------------------------------------------------------------------------------------
 * cairn data retention
 * ------------------------------------------------------------------------------------ */

static int run_retention(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_data_retention = {
    "data", "retention", "data retention DATASET [opts]", "show or set a dataset's retention",
    "Without options, shows the policy. `data gc` applies it: partitions whose newest event\n"
    "time is older than the partition period are dropped (a new snapshot without them, and\n"
    "the snapshots that held them expire); snapshots committed before the snapshot period\n"
    "expire (the head is always kept). 0 or 'forever' keeps forever.\n\n"
    "options:\n  --partitions DUR    keep partitions with events within DUR (e.g. 30d)\n"
    "  --snapshots DUR     keep snapshots committed within DUR (e.g. 90d)\n"
    "\nexamples:\n  cairn data retention flights\n"
    "  cairn data retention flights --partitions 30d --snapshots 90d\n",
    run_retention,
};

static int parse_period(const char *opt, const char *text, int64_t *out)
{
    if (!strcmp(text, "forever") || !strcmp(text, "0")) return *out = 0, CLI_OK;
    if (cairn_duration_parse(text, strlen(text), out, NULL))
        return cli_usage_error(&cli_cmd_data_retention, "--%s: expected a duration like 30d, found '%s'", opt, text);
    return CLI_OK;
}

static const char *period_text(int64_t us, char *out, size_t cap)
{
    if (us <= 0) return "forever";
    cairn_duration_format(us, out, cap);
    return out;
}

static int run_retention(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"partitions", 'p', true, NULL}, {"snapshots", 's', true, NULL}};
    size_t no = sizeof o / sizeof o[0];
    char *pos[1], a[32], b[32];
    int npos;
    cairn_home *home;
    int rc = cli_parse(&cli_cmd_data_retention, argc, argv, o, no, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_data_retention, "expected one DATASET");
    if (rc || (rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    cairn_retention policy;
    const char *p = cli_opt(o, no, "partitions"), *s = cli_opt(o, no, "snapshots");
    rc = cairn_lake_get_retention(home, pos[0], &policy, &err);
    if (rc == CAIRN_ENOTFOUND && (p || s)) rc = 0, memset(&policy, 0, sizeof policy);
    if (rc == 0 && p && (rc = parse_period("partitions", p, &policy.keep_partitions_us))) goto out;
    if (rc == 0 && s && (rc = parse_period("snapshots", s, &policy.keep_snapshots_us))) goto out;
    if (rc == 0 && (p || s)) rc = cairn_lake_set_retention(home, pos[0], &policy, &err);
    if (rc) {
        rc = cli_fail(ctx, rc, &err);
        goto out;
    }
    if (ctx->json)
        cli_print_json(json_pack("{s:s, s:I, s:I}", "dataset", pos[0], "keep_partitions_us",
                                 (json_int_t)policy.keep_partitions_us, "keep_snapshots_us",
                                 (json_int_t)policy.keep_snapshots_us));
    else
        printf("partitions %s\nsnapshots  %s\n", period_text(policy.keep_partitions_us, a, sizeof a),
               period_text(policy.keep_snapshots_us, b, sizeof b));
    cli_summary(ctx, "'%s' %s: partitions kept %s, snapshots kept %s", pos[0], p || s ? "retention set" : "retention",
                period_text(policy.keep_partitions_us, a, sizeof a), period_text(policy.keep_snapshots_us, b, sizeof b));
out:
    cairn_home_close(home);
    return rc;
}

/* --------------------------------------------------------------------------------------
 * cairn data hold
 * ------------------------------------------------------------------------------------ */

static int run_hold(cli_ctx *ctx, int argc, char **argv);
const cli_command cli_cmd_data_hold = {
    "data", "hold", "data hold DATASET [--release]", "place, release or show a legal hold",
    "A legal hold blocks every deletion of the dataset's data: retention, snapshot expiry and\n"
    "gc skip it (and say so) until the hold is released. Holds are recorded in the audit log.\n\n"
    "options:\n  --reason TEXT       why (kept with the hold)\n"
    "  --release           release the hold\n  --status            only show whether it is held\n"
    "\nexamples:\n  cairn data hold flights --reason \"case 2001-17\"\n"
    "  cairn data hold flights --status\n  cairn data hold flights --release\n",
    run_hold,
};

static int run_hold(cli_ctx *ctx, int argc, char **argv)
{
    cli_option o[] = {{"reason", 'r', true, NULL}, {"release", 0, false, NULL}, {"status", 0, false, NULL}};
    size_t no = sizeof o / sizeof o[0];
    char *pos[1], reason[256];
    int npos;
    bool on = false;
    cairn_home *home;
    int rc = cli_parse(&cli_cmd_data_hold, argc, argv, o, no, pos, 1, &npos);
    if (rc == 0 && npos != 1) rc = cli_usage_error(&cli_cmd_data_hold, "expected one DATASET");
    bool release = cli_opt(o, no, "release") != NULL, status = cli_opt(o, no, "status") != NULL;
    if (rc == 0 && release + status + (cli_opt(o, no, "reason") != NULL) > 1)
        rc = cli_usage_error(&cli_cmd_data_hold, "--reason, --release and --status exclude each other");
    if (rc || (rc = cli_open_home(ctx, &home))) return rc;
    cairn_error err;
    cairn_error_clear(&err);
    if (!status) rc = cairn_lake_set_hold(home, pos[0], !release, cli_opt(o, no, "reason"), &err);
    if (rc == 0) rc = cairn_lake_get_hold(home, pos[0], &on, reason, &err);
    cairn_home_close(home);
    if (rc) return cli_fail(ctx, rc, &err);
    if (ctx->json) cli_print_json(json_pack("{s:s, s:b, s:s?}", "dataset", pos[0], "held", on, "reason", on ? reason : NULL));
    else printf("%s%s%s\n", on ? "held" : "not held", on && *reason ? ": " : "", on ? reason : "");
    cli_summary(ctx, "'%s' is %s", pos[0], on ? "under a legal hold" : "not held");
    return CLI_OK;
}
