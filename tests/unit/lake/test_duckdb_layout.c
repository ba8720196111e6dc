/* tests/unit/lake/test_duckdb_layout.c: builds two small lakes the way an ingest does
 * (partition text, one file per partition and batch, a commit per batch) and checks them
 * through cairn_lake_read:
 *   days     partitioned by day of "at" (with a null time -> __HIVE_DEFAULT_PARTITION__)
 *   origins  partitioned by the value of "origin" (left out of the files; values that need
 *            Hive escaping, and a null)
 * With CAIRN_LAKE_HOME set (an initialised home), the lakes are built there and kept, and
 * the rows written go to $CAIRN_LAKE_HOME/expected.json, for the DuckDB oracle
 * tests/oracles/test_lake_duckdb.sh and the CLI test tests/integration/test_lake_cli.sh. */
#include "lakefix.h"

#include "cairn/json.h"

static const char *const ORIGINS[] = {"SFO", "JFK", NULL, "LAX", "a/b=c"};

static cairn_table *days_batch(int64_t first, int64_t count)
{
    cairn_table *t = cairn_test_table();
    cairn_column *id = cairn_test_add(t, "id", CAIRN_TYPE_INT64);
    cairn_column *at = cairn_test_add(t, "at", CAIRN_TYPE_TIMESTAMP);
    cairn_column *delay = cairn_test_add(t, "delay", CAIRN_TYPE_FLOAT64);
    int64_t base = lakefix_time("2001-05-01T00:00:00Z");
    for (int64_t i = first; i < first + count; i++) {
        assert_int_equal(cairn_column_append_int64(id, i), 0);
        if (i % 25 == 0) assert_int_equal(cairn_column_append_null(at), 0);
        else assert_int_equal(cairn_column_append_int64(at, base + i * 2 * 3600 * CAIRN_US_PER_SECOND), 0);
        assert_int_equal(cairn_column_append_float64(delay, (double)i * 0.5), 0);
    }
    return t;
}

static cairn_table *origins_batch(int64_t first, int64_t count)
{
    cairn_table *t = cairn_test_table();
    cairn_column *id = cairn_test_add(t, "id", CAIRN_TYPE_INT64);
    cairn_column *origin = cairn_test_add(t, "origin", CAIRN_TYPE_STRING);
    cairn_column *delay = cairn_test_add(t, "delay", CAIRN_TYPE_FLOAT64);
    for (int64_t i = first; i < first + count; i++) {
        assert_int_equal(cairn_column_append_int64(id, i), 0);
        cairn_test_put_str(origin, ORIGINS[i % 5]);
        assert_int_equal(cairn_column_append_float64(delay, (double)i * 0.25), 0);
    }
    return t;
}

/* Splits a batch by partition key, writes one file per key (without the key column for
 * value partitioning) and commits all files so far. */
static void ingest(lakefix *f, const char *dataset, cairn_table *batch, int kind, const char *column,
                   cairn_type type, cairn_lake_file *files, size_t *nfiles)
{
    int64_t n = cairn_table_num_rows(batch);
    char (*keys)[256] = calloc((size_t)n, 256);
    const cairn_column *c = cairn_table_column_by_name(batch, column);
    for (int64_t r = 0; r < n; r++) {
        cairn_value v;
        cairn_column_get(c, r, &v);
        CAIRN_ASSERT_OK(cairn_lake_partition_text(kind, column, &v, keys[r], 256, &f->err), &f->err);
    }
    uint8_t *keep = calloc((size_t)n, 1);
    for (int64_t r = 0; r < n; r++) {
        bool first = true;
        for (int64_t q = 0; q < r && first; q++) first = strcmp(keys[q], keys[r]) != 0;
        if (!first) continue;
        for (int64_t q = 0; q < n; q++) keep[q] = strcmp(keys[q], keys[r]) == 0;
        cairn_table *part, *files_table;
        assert_int_equal(cairn_table_filter(batch, keep, &part), 0);
        if (kind == 3) {
            const char *rest[] = {"id", "delay"};
            CAIRN_ASSERT_OK(cairn_table_project(part, rest, 2, &files_table, &f->err), &f->err);
            cairn_table_free(part);
        } else {
            files_table = part;
        }
        CAIRN_ASSERT_OK(cairn_lake_write_file(f->dir, dataset, keys[r], files_table, kind == 3 ? NULL : column,
                                              NULL, &files[(*nfiles)++], &f->err), &f->err);
        cairn_table_free(files_table);
    }
    free(keep);
    free(keys);
    cairn_snapshot *head = NULL;
    CAIRN_ASSERT_OK(cairn_snapshot_head(f->home, dataset, &head, &f->err), &f->err);
    cairn_commit cm = {.dataset = dataset, .parent = head ? head->id : NULL, .operation = "ingest",
                       .schema_subject = dataset, .schema_version = 1, .added_rows = n,
                       .files = files, .nfiles = *nfiles, .partition_kind = kind,
                       .partition_column = column, .partition_type = type};
    char id[65];
    CAIRN_ASSERT_OK(cairn_snapshot_commit(f->home, &cm, id, &f->err), &f->err);
    cairn_snapshot_free(head);
}

static json_t *rows_json(const cairn_table *t)
{
    json_t *rows = json_array();
    for (int64_t r = 0; r < cairn_table_num_rows(t); r++) {
        json_t *row = json_object();
        for (size_t c = 0; c < cairn_table_num_columns(t); c++) {
            const cairn_column *col = cairn_table_column(t, c);
            const char *cell = cairn_test_cell(t, col->name, r);
            json_object_set_new(row, col->name, !cairn_column_is_valid(col, r) ? json_null()
                                                : col->type == CAIRN_TYPE_STRING || col->type == CAIRN_TYPE_TIMESTAMP
                                                    ? json_string(cell) : json_real(strtod(cell, NULL)));
        }
        json_array_append_new(rows, row);
    }
    return rows;
}

/* The lake read back holds exactly the rows written (as multisets, compared by id). */
static void check_read(lakefix *f, const char *dataset, const cairn_table *a, const cairn_table *b)
{
    cairn_snapshot *s;
    cairn_table *t;
    CAIRN_ASSERT_OK(cairn_snapshot_resolve(f->home, dataset, &s, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_lake_read(f->home, s, NULL, 0, true, &t, &f->err), &f->err);
    int64_t na = cairn_table_num_rows(a), n = na + cairn_table_num_rows(b);
    assert_int_equal(cairn_table_num_rows(t), n);
    int seen[256] = {0};
    for (int64_t r = 0; r < n; r++) {
        int64_t id = strtoll(cairn_test_cell(t, "id", r), NULL, 10);
        const cairn_table *src = id < na ? a : b;
        int64_t sr = id < na ? id : id - na;
        seen[id]++;
        for (size_t c = 0; c < cairn_table_num_columns(src); c++) {
            const char *name = cairn_table_column(src, c)->name;
            assert_string_equal(cairn_test_cell(t, name, r), cairn_test_cell(src, name, sr));
        }
    }
    for (int64_t i = 0; i < n; i++) assert_int_equal(seen[i], 1);
    cairn_table_free(t);
    cairn_snapshot_free(s);
}

static void test_build_layout(void **state)
{
    lakefix *f = *state;
    const char *keep_home = getenv("CAIRN_LAKE_HOME");
    if (keep_home && *keep_home) {
        cairn_home_close(f->home);
        snprintf(f->dir, sizeof f->dir, "%s", keep_home);
        CAIRN_ASSERT_OK(cairn_home_open(f->dir, &f->home, &f->err), &f->err);
    }
    cairn_lake_file files[64];
    size_t n = 0;
    cairn_table *d1 = days_batch(0, 40), *d2 = days_batch(40, 30);
    ingest(f, "days", d1, 1, "at", CAIRN_TYPE_TIMESTAMP, files, &n);
    ingest(f, "days", d2, 1, "at", CAIRN_TYPE_TIMESTAMP, files, &n);
    check_read(f, "days", d1, d2);
    cairn_table *o1 = origins_batch(0, 30), *o2 = origins_batch(30, 20);
    n = 0;
    ingest(f, "origins", o1, 3, "origin", CAIRN_TYPE_STRING, files, &n);
    ingest(f, "origins", o2, 3, "origin", CAIRN_TYPE_STRING, files, &n);
    check_read(f, "origins", o1, o2);
    if (keep_home && *keep_home) {
        json_t *days = rows_json(d1), *more = rows_json(d2), *orig = rows_json(o1), *omore = rows_json(o2);
        json_array_extend(days, more);
        json_array_extend(orig, omore);
        json_t *doc = json_pack("{s:o, s:o}", "days", days, "origins", orig);
        char path[4300];
        snprintf(path, sizeof path, "%s/expected.json", keep_home);
        assert_int_equal(json_dump_file(doc, path, JSON_COMPACT), 0);
        json_decref(doc);
        json_decref(more);
        json_decref(omore);
    }
    cairn_table_free(d1);
    cairn_table_free(d2);
    cairn_table_free(o1);
    cairn_table_free(o2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_build_layout, lakefix_setup, lakefix_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
