/* tests/unit/lake/test_snapshot.c: snapshots (src/lake/snapshot.c, manifest.c): commit,
 * head and sequence, the canonical manifest, references by prefix (ambiguous, unknown,
 * too short) and by time, a stale parent refused with the catalog unchanged, a failing hook
 * rolling everything back, lists, datasets and diffs. */
#include "lakefix.h"

static void two_files(lakefix *f, cairn_lake_file files[2])
{
    cairn_table *a = lakefix_table(1, 3, NULL, 0, lakefix_time("2001-05-01T00:00:00Z"));
    cairn_table *b = lakefix_table(4, 2, NULL, 0, lakefix_time("2001-05-02T00:00:00Z"));
    lakefix_write(f, "flights", "at_day=2001-05-02", b, &files[0]);
    lakefix_write(f, "flights", "at_day=2001-05-01", a, &files[1]);
    cairn_table_free(a);
    cairn_table_free(b);
}

static void test_commit_and_head(void **state)
{
    lakefix *f = *state;
    cairn_lake_file files[2];
    cairn_snapshot *head = NULL;
    char id[65];
    CAIRN_ASSERT_OK(cairn_snapshot_head(f->home, "flights", &head, &f->err), &f->err);
    assert_null(head);
    two_files(f, files);
    lakefix_commit(f, "flights", files, 2, 5, id);
    CAIRN_ASSERT_OK(cairn_snapshot_head(f->home, "flights", &head, &f->err), &f->err);
    assert_string_equal(head->id, id);
    assert_string_equal(head->parent, "");
    assert_string_equal(head->operation, "ingest");
    assert_int_equal(head->sequence, 1);
    assert_int_equal(head->rows, 5);
    assert_int_equal(head->added_rows, 5);
    assert_int_equal(head->nfiles, 2);
    /* sorted by path in the manifest */
    assert_string_equal(head->files[0].partition, "at_day=2001-05-01");
    assert_int_equal(head->files[0].rows, 3);
    assert_true(head->files[0].has_event_time);
    assert_int_equal(head->files[1].max_event_us, lakefix_time("2001-05-02T01:00:00Z"));
    /* the id is the hash of the manifest object, which re-encodes to the same bytes */
    cairn_buf m;
    cairn_buf_init(&m, 0);
    CAIRN_ASSERT_OK(cairn_object_get(f->dir, id, &m, &f->err), &f->err);
    assert_non_null(strstr(m.data, "{\"dataset\":\"flights\",\"parent\":null,\"operation\":\"ingest\""));
    assert_non_null(strstr(m.data, "\"partition\":{\"by\":\"day\",\"column\":\"at\",\"type\":\"timestamp\"}"));
    cairn_buf_release(&m);
    char id2[65];
    lakefix_commit(f, "flights", files, 1, 0, id2);
    cairn_snapshot *h2;
    CAIRN_ASSERT_OK(cairn_snapshot_head(f->home, "flights", &h2, &f->err), &f->err);
    assert_int_equal(h2->sequence, 2);
    assert_string_equal(h2->parent, id);
    assert_int_equal(h2->rows, 2);
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'lake.commit'"), 2);
    cairn_snapshot_free(h2);
    cairn_snapshot_free(head);
}

static void test_resolve(void **state)
{
    lakefix *f = *state;
    cairn_lake_file files[2];
    char id1[65], id2[65], ref[256], mid[CAIRN_TIME_FMT_LEN];
    cairn_snapshot *s = NULL;
    two_files(f, files);
    lakefix_commit(f, "flights", files, 2, 5, id1);
    int64_t between = cairn_now_us();
    while (cairn_now_us() == between) {}
    lakefix_commit(f, "flights", files, 1, 0, id2);
    CAIRN_ASSERT_OK(cairn_snapshot_resolve(f->home, "flights", &s, &f->err), &f->err);
    assert_string_equal(s->id, id2);
    cairn_snapshot_free(s);
    snprintf(ref, sizeof ref, "flights@%.6s", id1);
    CAIRN_ASSERT_OK(cairn_snapshot_resolve(f->home, ref, &s, &f->err), &f->err);
    assert_string_equal(s->id, id1);
    assert_int_equal(s->nfiles, 2);
    cairn_snapshot_free(s);
    snprintf(ref, sizeof ref, "flights@%s", id2);
    CAIRN_ASSERT_OK(cairn_snapshot_resolve(f->home, ref, &s, &f->err), &f->err);
    assert_string_equal(s->id, id2);
    cairn_snapshot_free(s);
    cairn_time_format(between, mid, sizeof mid);
    snprintf(ref, sizeof ref, "flights@%s", mid);
    CAIRN_ASSERT_OK(cairn_snapshot_resolve(f->home, ref, &s, &f->err), &f->err);
    assert_string_equal(s->id, id1);
    cairn_snapshot_free(s);
    snprintf(ref, sizeof ref, "flights@2999-01-01");
    CAIRN_ASSERT_OK(cairn_snapshot_resolve(f->home, ref, &s, &f->err), &f->err);
    assert_string_equal(s->id, id2);
    cairn_snapshot_free(s);
    /* errors */
    assert_int_equal(cairn_snapshot_resolve(f->home, "flights@2000-01-01", &s, &f->err), CAIRN_ENOTFOUND);
    assert_non_null(strstr(f->err.message, "its first was committed at"));
    assert_int_equal(cairn_snapshot_resolve(f->home, "nope", &s, &f->err), CAIRN_ENOTFOUND);
    assert_non_null(strstr(f->err.message, "no dataset 'nope'"));
    assert_non_null(strstr(f->err.message, "flights"));
    assert_int_equal(cairn_snapshot_resolve(f->home, "flights@abc", &s, &f->err), CAIRN_EINVAL);
    assert_int_equal(cairn_snapshot_resolve(f->home, "flights@yesterday", &s, &f->err), CAIRN_EINVAL);
    char other = id1[0] == 'f' ? '0' : 'f';
    snprintf(ref, sizeof ref, "flights@%c%.5s", other, id1 + 1);
    if (strncmp(id2, ref + 8, 6) != 0)
        assert_int_equal(cairn_snapshot_resolve(f->home, ref, &s, &f->err), CAIRN_ENOTFOUND);
    assert_null(s);
}

/* Two snapshot rows sharing a prefix (inserted directly: real ids would need thousands of
 * commits to collide) make that prefix ambiguous, listing both. */
static void test_ambiguous_prefix(void **state)
{
    lakefix *f = *state;
    cairn_lake_file files[2];
    char id[65];
    two_files(f, files);
    lakefix_commit(f, "flights", files, 2, 5, id);
    const char *fake[] = {"abcd111111111111111111111111111111111111111111111111111111111111",
                          "abcd222222222222222222222222222222222222222222222222222222222222"};
    for (int i = 0; i < 2; i++) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "INSERT INTO lake_snapshots (id, dataset, sequence, committed_at, operation, rows, "
                 "added_rows, files) VALUES ('%s', 'flights', %d, '2001-01-01T00:00:00Z', 'ingest', 0, 0, 0)",
                 fake[i], 10 + i);
        CAIRN_ASSERT_OK(cairn_catalog_exec(cairn_home_catalog(f->home), sql, &f->err), &f->err);
    }
    cairn_snapshot *s = NULL;
    assert_int_equal(cairn_snapshot_resolve(f->home, "flights@ABCD", &s, &f->err), CAIRN_EINVAL);
    assert_non_null(strstr(f->err.message, "ambiguous"));
    assert_non_null(strstr(f->err.message, "abcd11111111"));
    assert_non_null(strstr(f->err.message, "abcd22222222"));
    assert_int_equal(cairn_snapshot_resolve(f->home, "flights@abcd1", &s, &f->err), CAIRN_ENOTFOUND);
    assert_non_null(strstr(f->err.message, "missing")); /* its manifest object does not exist */
    assert_null(s);
}

static void test_conflict_refused(void **state)
{
    lakefix *f = *state;
    cairn_lake_file files[2];
    char id1[65], id2[65], id3[65];
    two_files(f, files);
    lakefix_commit(f, "flights", files, 2, 5, id1);
    lakefix_commit(f, "flights", files, 1, 0, id2);
    int64_t audits = lakefix_count(f, "SELECT COUNT(*) FROM audit_log");
    cairn_commit c = {.dataset = "flights", .parent = id1, .operation = "ingest",
                      .files = files, .nfiles = 2};
    assert_int_equal(cairn_snapshot_commit(f->home, &c, id3, &f->err), CAIRN_ECONFLICT);
    assert_non_null(strstr(f->err.message, "moved on"));
    c.parent = NULL; /* "first commit" of a dataset that has one */
    assert_int_equal(cairn_snapshot_commit(f->home, &c, id3, &f->err), CAIRN_ECONFLICT);
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM lake_snapshots"), 2);
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM audit_log"), audits);
    cairn_snapshot *head;
    CAIRN_ASSERT_OK(cairn_snapshot_head(f->home, "flights", &head, &f->err), &f->err);
    assert_string_equal(head->id, id2);
    cairn_snapshot_free(head);
    /* the refused manifest was removed */
    char path[4096];
    CAIRN_ASSERT_OK(cairn_object_path(f->dir, id3, path, sizeof path, &f->err), &f->err);
    assert_false(cairn_path_exists(path));
}

static int hook_calls;
static int failing_hook(void *ud, cairn_catalog *catalog, const char *snapshot_id, cairn_error *err)
{
    (void)ud;
    hook_calls++;
    /* the snapshot row is visible inside the transaction */
    assert_int_equal(cairn_test_query_int(catalog, "SELECT COUNT(*) FROM lake_snapshots"), 1);
    assert_int_equal(strlen(snapshot_id), 64);
    return cairn_error_set(err, CAIRN_EINVAL, "hook says no");
}

static void test_hook_failure_rolls_back(void **state)
{
    lakefix *f = *state;
    cairn_lake_file files[2];
    char id[65];
    two_files(f, files);
    cairn_commit c = {.dataset = "flights", .operation = "ingest", .files = files, .nfiles = 2,
                      .hook = failing_hook};
    hook_calls = 0;
    assert_int_equal(cairn_snapshot_commit(f->home, &c, id, &f->err), CAIRN_EINVAL);
    assert_int_equal(hook_calls, 1);
    assert_string_equal(f->err.message, "hook says no");
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM lake_snapshots"), 0);
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM lake_datasets"), 0);
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM audit_log"), 0);
    cairn_snapshot *head;
    CAIRN_ASSERT_OK(cairn_snapshot_head(f->home, "flights", &head, &f->err), &f->err);
    assert_null(head);
}

static void test_bad_commits(void **state)
{
    lakefix *f = *state;
    cairn_lake_file files[2];
    char id[65];
    two_files(f, files);
    files[1] = files[0];
    cairn_commit c = {.dataset = "flights", .operation = "ingest", .files = files, .nfiles = 2};
    assert_int_equal(cairn_snapshot_commit(f->home, &c, id, &f->err), CAIRN_EINVAL);
    assert_non_null(strstr(f->err.message, "listed twice"));
    c.nfiles = 1;
    c.operation = "delete";
    assert_int_equal(cairn_snapshot_commit(f->home, &c, id, &f->err), CAIRN_EINVAL);
    c.operation = "ingest";
    c.dataset = "a/b";
    assert_int_equal(cairn_snapshot_commit(f->home, &c, id, &f->err), CAIRN_EINVAL);
    c.dataset = "flights";
    c.partition_kind = 3;
    c.partition_column = "origin";
    assert_int_equal(cairn_snapshot_commit(f->home, &c, id, &f->err), CAIRN_EINVAL);
}

static void test_list_datasets_and_diff(void **state)
{
    lakefix *f = *state;
    cairn_lake_file files[2], more;
    char id1[65], id2[65], id3[65];
    two_files(f, files);
    lakefix_commit(f, "flights", files, 2, 5, id1);
    cairn_table *t = lakefix_table(10, 4, NULL, 0, lakefix_time("2001-05-03T00:00:00Z"));
    lakefix_write(f, "flights", "at_day=2001-05-03", t, &more);
    cairn_table_free(t);
    cairn_lake_file next[2] = {files[0], more}; /* 05-02 kept, 05-01 removed, 05-03 added */
    lakefix_commit(f, "flights", next, 2, 4, id2);
    lakefix_commit(f, "other", files, 1, 2, id3);
    cairn_snapshot *list;
    size_t n;
    CAIRN_ASSERT_OK(cairn_snapshot_list(f->home, "flights", &list, &n, &f->err), &f->err);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, id2);
    assert_int_equal(list[0].sequence, 2);
    assert_int_equal(list[0].rows, 6);
    assert_int_equal(list[0].nfiles, 2);
    assert_null(list[0].files);
    assert_string_equal(list[1].id, id1);
    cairn_free(list);
    char **names;
    CAIRN_ASSERT_OK(cairn_lake_datasets(f->home, &names, &n, &f->err), &f->err);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "flights");
    assert_string_equal(names[1], "other");
    for (size_t i = 0; i < n; i++) cairn_free(names[i]);
    cairn_free(names);
    cairn_snapshot *a, *b;
    char ref[128];
    snprintf(ref, sizeof ref, "flights@%s", id1);
    CAIRN_ASSERT_OK(cairn_snapshot_resolve(f->home, ref, &a, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_snapshot_resolve(f->home, "flights", &b, &f->err), &f->err);
    cairn_snapshot_diff d;
    CAIRN_ASSERT_OK(cairn_snapshot_diff_compute(a, b, &d, &f->err), &f->err);
    assert_int_equal(d.nadded, 1);
    assert_int_equal(d.nremoved, 1);
    assert_string_equal(d.added[0].partition, "at_day=2001-05-03");
    assert_string_equal(d.removed[0].partition, "at_day=2001-05-01");
    assert_int_equal(d.rows_added, 4);
    assert_int_equal(d.rows_removed, 3);
    cairn_snapshot_diff_free(&d);
    CAIRN_ASSERT_OK(cairn_snapshot_diff_compute(b, b, &d, &f->err), &f->err);
    assert_int_equal(d.nadded + d.nremoved, 0);
    cairn_snapshot_diff_free(&d);
    cairn_snapshot_free(a);
    cairn_snapshot_free(b);
}

static void test_corrupt_manifest(void **state)
{
    lakefix *f = *state;
    cairn_lake_file files[2];
    char id[65], path[4096];
    two_files(f, files);
    lakefix_commit(f, "flights", files, 2, 5, id);
    CAIRN_ASSERT_OK(cairn_object_path(f->dir, id, path, sizeof path, &f->err), &f->err);
    cairn_test_write_file(path, "{}", 2);
    cairn_snapshot *s = NULL;
    assert_int_equal(cairn_snapshot_head(f->home, "flights", &s, &f->err), CAIRN_ECORRUPT);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_and_head, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_resolve, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_ambiguous_prefix, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_conflict_refused, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_hook_failure_rolls_back, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_bad_commits, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_list_datasets_and_diff, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_manifest, lakefix_setup, lakefix_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
