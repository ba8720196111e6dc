/* tests/unit/lake/test_upkeep.c: compaction, retention, legal hold and gc
 * (src/lake/upkeep.c, gc.c): compaction keeps every row in order; retention drops old
 * partitions in a new snapshot and expires the snapshots that held them; a hold blocks all
 * of it; gc deletes only unreferenced files older than the grace period (and stray
 * temporaries), logs each deletion with its reason, and a dry run changes nothing. */
#include "lakefix.h"

#include <sys/time.h>
#include <unistd.h>

static void read_head(lakefix *f, const char *dataset, cairn_table **t)
{
    cairn_snapshot *s;
    CAIRN_ASSERT_OK(cairn_snapshot_resolve(f->home, dataset, &s, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_lake_read(f->home, s, NULL, 0, true, t, &f->err), &f->err);
    cairn_snapshot_free(s);
}

/* Three ingests: two into 2001-01-01, one into 2001-03-01. */
static void three_ingests(lakefix *f, char ids[3][65])
{
    cairn_lake_file all[3];
    const char *days[] = {"2001-01-01T00:00:00Z", "2001-01-01T05:00:00Z", "2001-03-01T00:00:00Z"};
    for (int i = 0; i < 3; i++) {
        cairn_table *t = lakefix_table(i * 10, 3 + i, NULL, 0, lakefix_time(days[i]));
        char part[64];
        snprintf(part, sizeof part, "at_day=%.10s", days[i]);
        lakefix_write(f, "flights", part, t, &all[i]);
        cairn_table_free(t);
        lakefix_commit(f, "flights", all, (size_t)i + 1, 3 + i, ids[i]);
    }
}

static int64_t file_count(lakefix *f)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "find '%s/lake' -type f | wc -l", f->dir);
    FILE *p = popen(cmd, "r");
    long long n = -1;
    assert_int_equal(fscanf(p, "%lld", &n), 1);
    pclose(p);
    return n;
}

static void test_compact_keeps_rows(void **state)
{
    lakefix *f = *state;
    char ids[3][65], id[65];
    bool changed;
    three_ingests(f, ids);
    cairn_table *before, *after;
    read_head(f, "flights", &before);
    CAIRN_ASSERT_OK(cairn_lake_compact(f->home, "flights", id, &changed, &f->err), &f->err);
    assert_true(changed);
    cairn_snapshot *s;
    CAIRN_ASSERT_OK(cairn_snapshot_head(f->home, "flights", &s, &f->err), &f->err);
    assert_string_equal(s->id, id);
    assert_string_equal(s->operation, "compact");
    assert_string_equal(s->parent, ids[2]);
    assert_int_equal(s->nfiles, 2);
    assert_int_equal(s->rows, 12);
    assert_int_equal(s->added_rows, 0);
    assert_true(s->files[0].has_event_time);
    assert_int_equal(s->files[0].min_event_us, lakefix_time("2001-01-01T00:00:00Z"));
    assert_int_equal(s->files[0].max_event_us, lakefix_time("2001-01-01T08:00:00Z"));
    assert_int_equal(s->partition_kind, 1);
    cairn_snapshot_free(s);
    read_head(f, "flights", &after);
    assert_int_equal(cairn_table_num_rows(after), cairn_table_num_rows(before));
    for (int64_t r = 0; r < cairn_table_num_rows(before); r++) {
        assert_string_equal(cairn_test_cell(before, "id", r), cairn_test_cell(after, "id", r));
        assert_string_equal(cairn_test_cell(before, "at", r), cairn_test_cell(after, "at", r));
        assert_string_equal(cairn_test_cell(before, "delay", r), cairn_test_cell(after, "delay", r));
    }
    cairn_table_free(before);
    cairn_table_free(after);
    char again[65];
    CAIRN_ASSERT_OK(cairn_lake_compact(f->home, "flights", again, &changed, &f->err), &f->err);
    assert_false(changed);
    assert_string_equal(again, id);
    assert_int_equal(cairn_lake_compact(f->home, "nothing", again, &changed, &f->err), CAIRN_ENOTFOUND);
}

static void test_retention_drops_old_partitions(void **state)
{
    lakefix *f = *state;
    char ids[3][65];
    three_ingests(f, ids);
    cairn_retention keep = {.keep_partitions_us = 30 * CAIRN_US_PER_DAY}, got;
    CAIRN_ASSERT_OK(cairn_lake_set_retention(f->home, "flights", &keep, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_lake_get_retention(f->home, "flights", &got, &f->err), &f->err);
    assert_int_equal(got.keep_partitions_us, keep.keep_partitions_us);
    assert_int_equal(got.keep_snapshots_us, 0);
    cairn_gc_options o;
    cairn_gc_options_init(&o);
    o.now_us = lakefix_time("2001-03-15T00:00:00Z");
    o.grace_us = 0;
    o.dry_run = true;
    cairn_gc_report r;
    CAIRN_ASSERT_OK(cairn_lake_gc(f->home, &o, &r, &f->err), &f->err);
    assert_int_equal(r.partitions_dropped, 1);
    assert_int_equal(r.snapshots_expired, 3);
    assert_int_equal(r.files_deleted, 2);
    assert_int_equal(r.objects_deleted, 3);
    cairn_gc_report_release(&r);
    assert_int_equal(file_count(f), 3); /* dry run: nothing changed */
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM lake_snapshots"), 3);
    o.dry_run = false;
    CAIRN_ASSERT_OK(cairn_lake_gc(f->home, &o, &r, &f->err), &f->err);
    assert_int_equal(r.partitions_dropped, 1);
    assert_int_equal(r.snapshots_expired, 3);
    assert_int_equal(r.files_deleted, 2);
    assert_int_equal(r.objects_deleted, 3);
    assert_int_equal(r.nitems, 5);
    assert_string_equal(r.items[0].reason, "retention: partition older than 30d");
    cairn_gc_report_release(&r);
    assert_int_equal(file_count(f), 1);
    cairn_snapshot *s;
    CAIRN_ASSERT_OK(cairn_snapshot_head(f->home, "flights", &s, &f->err), &f->err);
    assert_string_equal(s->operation, "retention");
    assert_int_equal(s->nfiles, 1);
    assert_string_equal(s->files[0].partition, "at_day=2001-03-01");
    cairn_snapshot_free(s);
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM lake_snapshots WHERE expired_at IS NOT NULL"), 3);
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM lake_gc_log WHERE reason = "
                                      "'retention: partition older than 30d'"), 2);
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM lake_gc_log WHERE reason = 'expired snapshot' "
                                      "AND path LIKE 'objects/%'"), 3);
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'lake.gc.delete'"), 5);
    char ref[128];
    snprintf(ref, sizeof ref, "flights@%s", ids[0]);
    assert_int_equal(cairn_snapshot_resolve(f->home, ref, &s, &f->err), CAIRN_ENOTFOUND);
    assert_non_null(strstr(f->err.message, "expired"));
    cairn_snapshot *list;
    size_t n;
    CAIRN_ASSERT_OK(cairn_snapshot_list(f->home, "flights", &list, &n, &f->err), &f->err);
    assert_int_equal(n, 1);
    cairn_free(list);
    /* a second run has nothing left to do */
    CAIRN_ASSERT_OK(cairn_lake_gc(f->home, &o, &r, &f->err), &f->err);
    assert_int_equal(r.nitems + (size_t)r.partitions_dropped + (size_t)r.snapshots_expired, 0);
    cairn_gc_report_release(&r);
}

static void test_snapshot_expiry_keeps_head(void **state)
{
    lakefix *f = *state;
    char ids[3][65];
    three_ingests(f, ids);
    cairn_retention keep = {.keep_snapshots_us = CAIRN_US_PER_DAY};
    CAIRN_ASSERT_OK(cairn_lake_set_retention(f->home, "flights", &keep, &f->err), &f->err);
    cairn_gc_options o;
    cairn_gc_options_init(&o);
    o.now_us = cairn_now_us() + 2 * CAIRN_US_PER_DAY;
    o.grace_us = 0;
    cairn_gc_report r;
    CAIRN_ASSERT_OK(cairn_lake_gc(f->home, &o, &r, &f->err), &f->err);
    assert_int_equal(r.snapshots_expired, 2);
    assert_int_equal(r.objects_deleted, 2);
    assert_int_equal(r.files_deleted, 0); /* the head still lists all three files */
    cairn_gc_report_release(&r);
    cairn_table *t;
    read_head(f, "flights", &t);
    assert_int_equal(cairn_table_num_rows(t), 12);
    cairn_table_free(t);
}

static void test_hold_blocks_gc(void **state)
{
    lakefix *f = *state;
    char ids[3][65], id[65];
    bool changed, on;
    char reason[256];
    three_ingests(f, ids);
    CAIRN_ASSERT_OK(cairn_lake_compact(f->home, "flights", id, &changed, &f->err), &f->err);
    cairn_retention keep = {.keep_partitions_us = CAIRN_US_PER_DAY, .keep_snapshots_us = 1};
    CAIRN_ASSERT_OK(cairn_lake_set_retention(f->home, "flights", &keep, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_lake_set_hold(f->home, "flights", true, "case 2001-17", &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_lake_get_hold(f->home, "flights", &on, reason, &f->err), &f->err);
    assert_true(on);
    assert_string_equal(reason, "case 2001-17");
    int64_t files = file_count(f);
    cairn_gc_options o;
    cairn_gc_options_init(&o);
    o.grace_us = 0;
    cairn_gc_report r;
    CAIRN_ASSERT_OK(cairn_lake_gc(f->home, &o, &r, &f->err), &f->err);
    assert_int_equal(r.datasets_held, 1);
    assert_string_equal(r.held[0], "flights");
    assert_int_equal(r.nitems, 0);
    assert_int_equal(r.partitions_dropped + r.snapshots_expired, 0);
    cairn_gc_report_release(&r);
    assert_int_equal(file_count(f), files);
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM lake_gc_log"), 0);
    CAIRN_ASSERT_OK(cairn_lake_set_hold(f->home, "flights", false, NULL, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_lake_gc(f->home, &o, &r, &f->err), &f->err);
    assert_int_equal(r.datasets_held, 0);
    assert_true(r.files_deleted > 0);
    cairn_gc_report_release(&r);
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'lake.hold%'"), 2);
}

static void age_file(const char *path, int64_t seconds)
{
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= (time_t)seconds;
    tv[1] = tv[0];
    assert_int_equal(utimes(path, tv), 0);
}

static void test_gc_grace_and_reasons(void **state)
{
    lakefix *f = *state;
    char ids[3][65], path[4096], tmp[4400], note[4400], old_orphan[4096];
    three_ingests(f, ids);
    cairn_lake_file orphan_new, orphan_old;
    cairn_table *t = lakefix_table(100, 2, NULL, 0, lakefix_time("2001-04-01T00:00:00Z"));
    lakefix_write(f, "flights", "at_day=2001-04-01", t, &orphan_new); /* an ingest in flight */
    cairn_table_free(t);
    t = lakefix_table(200, 2, NULL, 0, lakefix_time("2001-04-02T00:00:00Z"));
    lakefix_write(f, "flights", "at_day=2001-04-02", t, &orphan_old); /* a crashed ingest */
    cairn_table_free(t);
    CAIRN_ASSERT_OK(cairn_lake_file_path(f->dir, "flights", &orphan_old, old_orphan, sizeof old_orphan, &f->err), &f->err);
    age_file(old_orphan, 7200);
    CAIRN_ASSERT_OK(cairn_lake_file_path(f->dir, "flights", &orphan_new, path, sizeof path, &f->err), &f->err);
    snprintf(tmp, sizeof tmp, "%s/lake/flights/at_day=2001-01-01/.write-1-1.parquet", f->dir);
    cairn_test_write_file(tmp, "x", 1);
    age_file(tmp, 7200);
    snprintf(note, sizeof note, "%s/lake/flights/README", f->dir);
    cairn_test_write_file(note, "mine", 4);
    age_file(note, 7200);
    cairn_gc_options o;
    cairn_gc_options_init(&o); /* default grace: one hour */
    cairn_gc_report r;
    CAIRN_ASSERT_OK(cairn_lake_gc(f->home, &o, &r, &f->err), &f->err);
    assert_int_equal(r.files_deleted, 2);
    assert_int_equal(r.nitems, 2);
    cairn_gc_report_release(&r);
    assert_false(cairn_path_exists(old_orphan));
    assert_false(cairn_path_exists(tmp));
    assert_true(cairn_path_exists(path)); /* younger than the grace period */
    assert_true(cairn_path_exists(note)); /* not a lake file */
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM lake_gc_log WHERE reason = 'unreferenced' "
                                      "AND path LIKE 'lake/flights/at_day=2001-04-02/part-%'"), 1);
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM lake_gc_log WHERE reason = 'stray temporary file'"), 1);
    assert_int_equal(lakefix_count(f, "SELECT COUNT(*) FROM lake_gc_log WHERE bytes > 0 AND dataset = 'flights'"), 2);
    /* referenced files survive any grace */
    o.grace_us = 0;
    o.dataset = "flights";
    CAIRN_ASSERT_OK(cairn_lake_gc(f->home, &o, &r, &f->err), &f->err);
    assert_int_equal(r.files_deleted, 1);
    assert_string_equal(r.items[0].reason, "unreferenced");
    cairn_gc_report_release(&r);
    assert_false(cairn_path_exists(path));
    assert_int_equal(file_count(f), 4); /* three referenced files and README */
    cairn_table *all;
    read_head(f, "flights", &all);
    assert_int_equal(cairn_table_num_rows(all), 12);
    cairn_table_free(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_compact_keeps_rows, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_retention_drops_old_partitions, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_expiry_keeps_head, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_hold_blocks_gc, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_gc_grace_and_reasons, lakefix_setup, lakefix_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
