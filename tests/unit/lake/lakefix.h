/* tests/unit/lake/lakefix.h: fixtures shared by the lake tests: a fresh home per test and
 * small flight-like tables (id int64, origin string, at timestamp, delay float64). */
#ifndef CAIRN_LAKEFIX_H
#define CAIRN_LAKEFIX_H

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct lakefix {
    char tmp[4096];
    char dir[4200]; /* the home */
    cairn_home *home;
    cairn_error err;
} lakefix;

static inline int lakefix_setup(void **state)
{
    lakefix *f = calloc(1, sizeof *f);
    snprintf(f->tmp, sizeof f->tmp, "%s", cairn_test_tmpdir("lake"));
    snprintf(f->dir, sizeof f->dir, "%s/home", f->tmp);
    cairn_error_clear(&f->err);
    bool created;
    CAIRN_ASSERT_OK(cairn_home_init(f->dir, &created, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_home_open(f->dir, &f->home, &f->err), &f->err);
    *state = f;
    return 0;
}

static inline int lakefix_teardown(void **state)
{
    lakefix *f = *state;
    cairn_home_close(f->home);
    cairn_test_rmtree(f->tmp);
    free(f);
    return 0;
}

/* Rows id0..id0+n-1, origin cycling over `origins` (NULL entries = null), at = base_us +
 * i hours, delay = i * 1.5. */
static inline cairn_table *lakefix_table(int64_t id0, int n, const char *const *origins,
                                         int norigins, int64_t base_us)
{
    cairn_table *t = cairn_test_table();
    cairn_column *id = cairn_test_add(t, "id", CAIRN_TYPE_INT64);
    cairn_column *origin = cairn_test_add(t, "origin", CAIRN_TYPE_STRING);
    cairn_column *at = cairn_test_add(t, "at", CAIRN_TYPE_TIMESTAMP);
    cairn_column *delay = cairn_test_add(t, "delay", CAIRN_TYPE_FLOAT64);
    for (int i = 0; i < n; i++) {
        assert_int_equal(cairn_column_append_int64(id, id0 + i), 0);
        cairn_test_put_str(origin, norigins ? origins[i % norigins] : "X");
        assert_int_equal(cairn_column_append_int64(at, base_us + i * 3600 * CAIRN_US_PER_SECOND), 0);
        assert_int_equal(cairn_column_append_float64(delay, i * 1.5), 0);
    }
    return t;
}

static inline int64_t lakefix_time(const char *iso)
{
    int64_t us;
    assert_int_equal(cairn_time_parse(iso, strlen(iso), &us, NULL), 0);
    return us;
}

/* Writes t (whole) as one file of an unpartitioned or day-partitioned dataset. */
static inline void lakefix_write(lakefix *f, const char *dataset, const char *partition,
                                 const cairn_table *t, cairn_lake_file *out)
{
    CAIRN_ASSERT_OK(cairn_lake_write_file(f->dir, dataset, partition, t, "at", NULL, out, &f->err),
                    &f->err);
}

/* Commits files on top of the current head (day partitioning of "at"). */
static inline void lakefix_commit(lakefix *f, const char *dataset, const cairn_lake_file *files,
                                  size_t n, int64_t added, char id[65])
{
    cairn_snapshot *head = NULL;
    CAIRN_ASSERT_OK(cairn_snapshot_head(f->home, dataset, &head, &f->err), &f->err);
    cairn_commit c = {0};
    c.dataset = dataset;
    c.parent = head ? head->id : NULL;
    c.operation = "ingest";
    c.schema_subject = dataset;
    c.schema_version = 1;
    c.added_rows = added;
    c.files = files;
    c.nfiles = n;
    c.partition_kind = 1;
    c.partition_column = "at";
    c.partition_type = CAIRN_TYPE_TIMESTAMP;
    CAIRN_ASSERT_OK(cairn_snapshot_commit(f->home, &c, id, &f->err), &f->err);
    cairn_snapshot_free(head);
}

static inline int64_t lakefix_count(lakefix *f, const char *sql)
{
    return cairn_test_query_int(cairn_home_catalog(f->home), sql);
}

#endif
