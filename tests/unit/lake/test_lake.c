/* tests/unit/lake/test_lake.c: lake files (src/lake/lake.c): partition text for day, month
 * and value rules (Hive escaping, nulls, dates before 1970), write_file naming and
 * idempotence, parallel writers, reading a snapshot back with the value column restored,
 * projection, and SHA-256 verification. */
#include "lakefix.h"

#include <unistd.h>

static const char *text_of(int kind, const char *column, const cairn_value *v)
{
    static char out[CAIRN_LAKE_PATH_MAX];
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_lake_partition_text(kind, column, v, out, sizeof out, &err), &err);
    return out;
}

static void test_partition_text(void **state)
{
    (void)state;
    cairn_value v = {.type = CAIRN_TYPE_TIMESTAMP};
    v.v.i64 = lakefix_time("2001-01-31T23:59:59.999999Z");
    assert_string_equal(text_of(1, "date", &v), "date_day=2001-01-31");
    assert_string_equal(text_of(2, "date", &v), "date_month=2001-01");
    v.v.i64 = lakefix_time("1969-12-31T23:00:00Z"); /* negative: floor, not truncation */
    assert_string_equal(text_of(1, "at", &v), "at_day=1969-12-31");
    v.is_null = true;
    assert_string_equal(text_of(1, "at", &v), "at_day=__HIVE_DEFAULT_PARTITION__");
    cairn_value d = {.type = CAIRN_TYPE_DATE32};
    d.v.i32 = 11323; /* 2001-01-01 */
    assert_string_equal(text_of(2, "d", &d), "d_month=2001-01");
    cairn_value s = {.type = CAIRN_TYPE_STRING};
    s.v.str.ptr = "SFO";
    s.v.str.len = 3;
    assert_string_equal(text_of(3, "origin", &s), "origin=SFO");
    s.v.str.ptr = "a/b=c%d:e f";
    s.v.str.len = strlen(s.v.str.ptr);
    assert_string_equal(text_of(3, "origin", &s), "origin=a%2Fb%3Dc%25d%3Ae f");
    s.is_null = true;
    assert_string_equal(text_of(3, "origin", &s), "origin=__HIVE_DEFAULT_PARTITION__");
    cairn_value i = {.type = CAIRN_TYPE_INT32};
    i.v.i32 = -42;
    assert_string_equal(text_of(3, "n", &i), "n=-42");
    assert_string_equal(text_of(0, NULL, &i), "");
    cairn_error err;
    char out[8];
    cairn_value str = {.type = CAIRN_TYPE_STRING};
    assert_int_equal(cairn_lake_partition_text(1, "origin", &str, out, sizeof out, &err), CAIRN_ETYPE);
    assert_int_equal(cairn_lake_partition_text(3, "origin", &i, out, 4, &err), CAIRN_ELIMIT);
}

static void test_write_file_naming_and_idempotence(void **state)
{
    lakefix *f = *state;
    cairn_table *t = lakefix_table(1, 5, NULL, 0, lakefix_time("2001-05-01T00:00:00Z"));
    cairn_lake_file a, b;
    lakefix_write(f, "flights", "at_day=2001-05-01", t, &a);
    assert_int_equal(strncmp(a.path, "at_day=2001-05-01/part-", 23), 0);
    assert_int_equal(strncmp(a.path + 23, a.sha256, 16), 0);
    assert_string_equal(a.path + 39, ".parquet");
    assert_string_equal(a.partition, "at_day=2001-05-01");
    assert_int_equal(a.rows, 5);
    assert_true(a.bytes > 0);
    assert_true(a.has_event_time);
    assert_int_equal(a.min_event_us, lakefix_time("2001-05-01T00:00:00Z"));
    assert_int_equal(a.max_event_us, lakefix_time("2001-05-01T04:00:00Z"));
    lakefix_write(f, "flights", "at_day=2001-05-01", t, &b);
    assert_string_equal(a.path, b.path);
    assert_string_equal(a.sha256, b.sha256);
    char path[4096], dir[4300];
    CAIRN_ASSERT_OK(cairn_lake_file_path(f->dir, "flights", &a, path, sizeof path, &f->err), &f->err);
    uint8_t digest[32];
    char hex[65];
    CAIRN_ASSERT_OK(cairn_sha256_file(path, digest, &f->err), &f->err);
    cairn_hex_encode(digest, 32, hex);
    assert_string_equal(hex, a.sha256);
    /* no temporaries left behind: the directory holds exactly one file */
    snprintf(dir, sizeof dir, "ls -A '%s/lake/flights/at_day=2001-05-01' | wc -l | grep -qx 1", f->dir);
    assert_int_equal(system(dir), 0);
    /* unpartitioned and bad inputs */
    lakefix_write(f, "flights", "", t, &b);
    assert_int_equal(strncmp(b.path, "part-", 5), 0);
    assert_string_equal(b.partition, "");
    assert_int_equal(cairn_lake_write_file(f->dir, "flights", "../x=1", t, NULL, NULL, &b, &f->err),
                     CAIRN_EINVAL);
    assert_int_equal(cairn_lake_write_file(f->dir, ".hidden", "", t, NULL, NULL, &b, &f->err),
                     CAIRN_EINVAL);
    assert_int_equal(cairn_lake_write_file(f->dir, "flights", "", t, "origin", NULL, &b, &f->err),
                     CAIRN_EINVAL);
    cairn_table_free(t);
}

typedef struct par_job {
    lakefix *f;
    cairn_table *t;
    cairn_lake_file out[16];
    int rc[16];
} par_job;

static void write_task(void *arg, size_t i)
{
    par_job *j = arg;
    char part[32];
    cairn_error err;
    snprintf(part, sizeof part, "k=%zu", i % 4); /* several threads per partition too */
    j->rc[i] = cairn_lake_write_file(j->f->dir, "par", part, j->t, NULL, NULL, &j->out[i], &err);
}

static void test_parallel_writers(void **state)
{
    lakefix *f = *state;
    par_job j = {.f = f, .t = lakefix_table(1, 100, NULL, 0, 0)};
    cairn_pool *pool;
    assert_int_equal(cairn_pool_create(4, &pool), 0);
    cairn_pool_run(pool, 16, write_task, &j);
    cairn_pool_free(pool);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(j.rc[i], 0);
        assert_string_equal(j.out[i].sha256, j.out[0].sha256);
    }
    cairn_table_free(j.t);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "test $(find '%s/lake/par' -type f | wc -l) -eq 4", f->dir);
    assert_int_equal(system(cmd), 0);
}

/* Writes a value-partitioned dataset: origin left out of the files. */
static void write_by_origin(lakefix *f, cairn_snapshot **out)
{
    static const char *const origins[] = {"SFO", "JFK", NULL, "a/b"};
    cairn_table *t = lakefix_table(1, 12, origins, 4, lakefix_time("2001-05-01T00:00:00Z"));
    cairn_lake_file files[4];
    for (int o = 0; o < 4; o++) {
        uint8_t *keep = calloc(12, 1);
        for (int i = o; i < 12; i += 4) keep[i] = 1;
        cairn_table *part, *proj;
        const char *cols[] = {"id", "at", "delay"};
        assert_int_equal(cairn_table_filter(t, keep, &part), 0);
        CAIRN_ASSERT_OK(cairn_table_project(part, cols, 3, &proj, &f->err), &f->err);
        cairn_value v;
        char key[256];
        cairn_column_get(cairn_table_column_by_name(part, "origin"), 0, &v);
        CAIRN_ASSERT_OK(cairn_lake_partition_text(3, "origin", &v, key, sizeof key, &f->err), &f->err);
        CAIRN_ASSERT_OK(cairn_lake_write_file(f->dir, "byorigin", key, proj, "at", NULL, &files[o], &f->err),
                        &f->err);
        cairn_table_free(part);
        cairn_table_free(proj);
        free(keep);
    }
    cairn_table_free(t);
    cairn_commit c = {.dataset = "byorigin", .operation = "ingest", .schema_subject = "byorigin",
                      .schema_version = 1, .added_rows = 12, .files = files, .nfiles = 4,
                      .partition_kind = 3, .partition_column = "origin",
                      .partition_type = CAIRN_TYPE_STRING};
    char id[65];
    CAIRN_ASSERT_OK(cairn_snapshot_commit(f->home, &c, id, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_snapshot_resolve(f->home, "byorigin", out, &f->err), &f->err);
}

static void test_read_restores_value_column(void **state)
{
    lakefix *f = *state;
    cairn_snapshot *s;
    write_by_origin(f, &s);
    assert_int_equal(s->partition_kind, 3);
    assert_string_equal(s->partition_column, "origin");
    assert_int_equal(s->partition_type, CAIRN_TYPE_STRING);
    cairn_table *t;
    CAIRN_ASSERT_OK(cairn_lake_read(f->home, s, NULL, 0, true, &t, &f->err), &f->err);
    assert_int_equal(cairn_table_num_rows(t), 12);
    assert_int_equal(cairn_table_num_columns(t), 4);
    assert_string_equal(cairn_table_column(t, 3)->name, "origin");
    int64_t seen[4] = {0};
    for (int64_t r = 0; r < 12; r++) {
        int64_t id = strtoll(cairn_test_cell(t, "id", r), NULL, 10);
        const char *want = (id - 1) % 4 == 0 ? "SFO" : (id - 1) % 4 == 1 ? "JFK" : (id - 1) % 4 == 2 ? "NULL" : "a/b";
        assert_string_equal(cairn_test_cell(t, "origin", r), want);
        seen[(id - 1) % 4]++;
    }
    for (int o = 0; o < 4; o++) assert_int_equal(seen[o], 3);
    cairn_table_free(t);
    /* projection in the order asked, the restored column included or alone */
    const char *cols[] = {"origin", "id"};
    CAIRN_ASSERT_OK(cairn_lake_read(f->home, s, cols, 2, false, &t, &f->err), &f->err);
    assert_int_equal(cairn_table_num_columns(t), 2);
    assert_string_equal(cairn_table_column(t, 0)->name, "origin");
    assert_int_equal(cairn_table_num_rows(t), 12);
    cairn_table_free(t);
    CAIRN_ASSERT_OK(cairn_lake_read(f->home, s, cols, 1, false, &t, &f->err), &f->err);
    assert_int_equal(cairn_table_num_columns(t), 1);
    assert_int_equal(cairn_table_num_rows(t), 12);
    cairn_table_free(t);
    cairn_snapshot_free(s);
}

static void test_read_verifies(void **state)
{
    lakefix *f = *state;
    cairn_snapshot *s;
    write_by_origin(f, &s);
    char path[4096];
    CAIRN_ASSERT_OK(cairn_lake_file_path(f->dir, "byorigin", &s->files[1], path, sizeof path, &f->err), &f->err);
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    fseek(fp, 10, SEEK_SET);
    fputc('Z', fp);
    fclose(fp);
    cairn_table *t = NULL;
    assert_int_equal(cairn_lake_read(f->home, s, NULL, 0, true, &t, &f->err), CAIRN_ECORRUPT);
    assert_non_null(strstr(f->err.message, s->files[1].path));
    assert_null(t);
    cairn_snapshot_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partition_text),
        cmocka_unit_test_setup_teardown(test_write_file_naming_and_idempotence, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_parallel_writers, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_read_restores_value_column, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_read_verifies, lakefix_setup, lakefix_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
