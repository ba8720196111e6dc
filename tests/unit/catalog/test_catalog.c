/* tests/unit/catalog/test_catalog.c: the catalog API over the SQLite backend (src/catalog/
 * catalog.c and sqlite.c): URLs, exec, prepared statements and every column type, NULLs and
 * blobs, transactions, constraint and lock errors, the connection settings (WAL, foreign
 * keys), and allocation failure during open. */
#include "testutil.h"

#include "catalog/catalog_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------------------------- */

typedef struct fixture {
    char dir[4096];
    char url[4200];
    cairn_catalog *catalog;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    cairn_error err;
    cairn_error_clear(&err);
    snprintf(f->dir, sizeof f->dir, "%s", cairn_test_tmpdir("catalog"));
    snprintf(f->url, sizeof f->url, "sqlite:%s/catalog.db", f->dir);
    CAIRN_ASSERT_OK(cairn_catalog_open(f->url, &f->catalog, &err), &err);
    *state = f;
    return 0;
}

/* A directory only: the allocation test installs its allocator before any Cairn memory. */
static int setup_dir(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s", cairn_test_tmpdir("catalog"));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cairn_catalog_close(f->catalog);
    cairn_test_rmtree(f->dir);
    free(f);
    return 0;
}

static void exec_ok(cairn_catalog *catalog, const char *sql)
{
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_catalog_exec(catalog, sql, &err), &err);
}

/* ------------------------------------------------------------------------------------------
 * Opening
 * ---------------------------------------------------------------------------------------- */

static void test_backend_name_and_version(void **state)
{
    fixture *f = *state;
    cairn_error err;
    int64_t applied = -1, known = -1;
    cairn_error_clear(&err);
    assert_string_equal(cairn_catalog_backend(f->catalog), "sqlite");
    CAIRN_ASSERT_OK(cairn_catalog_version(f->catalog, &applied, &known, &err), &err);
    assert_true(known >= 1);
    assert_int_equal(applied, known);
}

static void test_urls(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_catalog *catalog = NULL;
    char path[4200];

    /* a plain path is a SQLite file */
    snprintf(path, sizeof path, "%s/plain.db", f->dir);
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_catalog_open(path, &catalog, &err), &err);
    assert_string_equal(cairn_catalog_backend(catalog), "sqlite");
    cairn_catalog_close(catalog);
    assert_true(cairn_path_exists(path));

    /* in memory */
    CAIRN_ASSERT_OK(cairn_catalog_open("sqlite::memory:", &catalog, &err), &err);
    int64_t applied = 0, known = 0;
    CAIRN_ASSERT_OK(cairn_catalog_version(catalog, &applied, &known, &err), &err);
    assert_int_equal(cairn_test_query_int(catalog, "SELECT COUNT(*) FROM cairn_migrations"), known);
    cairn_catalog_close(catalog);

    /* PostgreSQL is known but not built */
    catalog = NULL;
    assert_int_equal(cairn_catalog_open("postgres://u@localhost:5432/db", &catalog, &err),
                     CAIRN_EUNSUPPORTED);
    assert_null(catalog);
    assert_non_null(strstr(err.message, "PostgreSQL"));
    assert_int_equal(cairn_catalog_open("postgresql://localhost/db", &catalog, &err),
                     CAIRN_EUNSUPPORTED);

    /* unknown scheme */
    cairn_error_clear(&err);
    assert_int_equal(cairn_catalog_open("mysql://localhost/db", &catalog, &err),
                     CAIRN_EUNSUPPORTED);
    assert_non_null(strstr(err.message, "mysql"));

    /* empty path */
    assert_int_equal(cairn_catalog_open("sqlite:", &catalog, &err), CAIRN_EINVAL);

    /* a directory that does not exist */
    snprintf(path, sizeof path, "sqlite:%s/missing/dir/catalog.db", f->dir);
    cairn_error_clear(&err);
    assert_int_equal(cairn_catalog_open(path, &catalog, &err), CAIRN_EIO);
    assert_non_null(strstr(err.message, "missing/dir"));

    /* a file that is not a database */
    snprintf(path, sizeof path, "%s/junk.db", f->dir);
    const char junk[] = "this is not a sqlite database, not at all; it is long enough to hold "
                        "a whole sqlite header and then some more bytes.\n";
    cairn_test_write_file(path, junk, sizeof junk - 1);
    cairn_error_clear(&err);
    assert_int_equal(cairn_catalog_open(path, &catalog, &err), CAIRN_ECORRUPT);
    assert_non_null(strstr(err.message, "junk.db"));
    assert_null(catalog);
}

static void test_connection_settings(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_stmt *stmt = NULL;
    size_t len = 0;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_catalog_prepare(f->catalog, "PRAGMA journal_mode", &stmt, &err), &err);
    assert_int_equal(cairn_stmt_step(stmt, &err), 1);
    assert_string_equal(cairn_stmt_text(stmt, 0, &len), "wal");
    assert_int_equal(len, 3);
    cairn_stmt_finalize(stmt);
    assert_int_equal(cairn_test_query_int(f->catalog, "PRAGMA foreign_keys"), 1);
    assert_int_equal(cairn_test_query_int(f->catalog, "PRAGMA synchronous"), 1); /* NORMAL */
    assert_int_equal(cairn_test_query_int(f->catalog, "PRAGMA busy_timeout"), 5000);
}

/* ------------------------------------------------------------------------------------------
 * Statements and types
 * ---------------------------------------------------------------------------------------- */

static void test_exec_and_errors(void **state)
{
    fixture *f = *state;
    cairn_error err;
    exec_ok(f->catalog, "CREATE TABLE t (a BIGINT, b TEXT)");
    exec_ok(f->catalog, "INSERT INTO t VALUES (1, 'one');  \n");
    assert_int_equal(cairn_test_query_int(f->catalog, "SELECT COUNT(*) FROM t"), 1);

    cairn_error_clear(&err);
    assert_int_equal(cairn_catalog_exec(f->catalog, "SELEKT nonsense FROM t", &err),
                     CAIRN_ECATALOG);
    assert_non_null(strstr(err.message, "syntax error"));
    assert_non_null(strstr(err.message, "SELEKT nonsense FROM t")); /* the SQL is quoted */

    cairn_error_clear(&err);
    assert_int_equal(cairn_catalog_exec(f->catalog, "SELECT * FROM no_such_table", &err),
                     CAIRN_ECATALOG);
    assert_non_null(strstr(err.message, "no_such_table"));

    /* one statement per call, so that migrations stay portable */
    cairn_error_clear(&err);
    assert_int_equal(
        cairn_catalog_exec(f->catalog, "INSERT INTO t VALUES (2, 'x'); DELETE FROM t", &err),
        CAIRN_EINVAL);
    assert_non_null(strstr(err.message, "DELETE FROM t"));
    assert_int_equal(cairn_test_query_int(f->catalog, "SELECT COUNT(*) FROM t"), 1);

    cairn_error_clear(&err);
    assert_int_equal(cairn_catalog_exec(f->catalog, "  ", &err), CAIRN_EINVAL);

    /* double-quoted strings are identifiers, as in standard SQL and PostgreSQL */
    cairn_error_clear(&err);
    assert_int_equal(cairn_catalog_exec(f->catalog, "INSERT INTO t VALUES (3, \"three\")", &err),
                     CAIRN_ECATALOG);

    /* long SQL is truncated in the message, which stays readable */
    char sql[2000];
    int n = snprintf(sql, sizeof sql, "SELECT no_such_column");
    while (n < 1500)
        n += snprintf(sql + n, sizeof sql - (size_t)n, ",\n      a");
    snprintf(sql + n, sizeof sql - (size_t)n, " FROM t");
    cairn_error_clear(&err);
    assert_int_equal(cairn_catalog_exec(f->catalog, sql, &err), CAIRN_ECATALOG);
    assert_non_null(strstr(err.message, "no_such_column"));
    assert_non_null(strstr(err.message, "..."));
    assert_null(strchr(err.message, '\n'));
}

static void test_types_round_trip(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_stmt *stmt = NULL;
    const unsigned char blob[] = {0, 1, 2, 0xff, 0, 42};
    const char text[] = "h\xc3\xa9llo";
    size_t len = 99;

    cairn_error_clear(&err);
    exec_ok(f->catalog, "CREATE TABLE v (k BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, "
                        "s TEXT, b BLOB)");
    CAIRN_ASSERT_OK(
        cairn_catalog_prepare(f->catalog, "INSERT INTO v VALUES (?, ?, ?, ?, ?)", &stmt, &err),
        &err);
    /* row 1: every type, extremes */
    assert_int_equal(cairn_stmt_bind_int64(stmt, 1, 1), 0);
    assert_int_equal(cairn_stmt_bind_int64(stmt, 2, INT64_MIN), 0);
    assert_int_equal(cairn_stmt_bind_double(stmt, 3, -1.5e300), 0);
    assert_int_equal(cairn_stmt_bind_text(stmt, 4, text, strlen(text)), 0);
    assert_int_equal(cairn_stmt_bind_blob(stmt, 5, blob, sizeof blob), 0);
    assert_int_equal(cairn_stmt_step(stmt, &err), 0);
    /* row 2: NULLs; row 3: empty text and blob, INT64_MAX, text with a length shorter than
     * the string (only len bytes are bound), and the buffer reused after the bind (copied) */
    assert_int_equal(cairn_stmt_reset(stmt), 0);
    assert_int_equal(cairn_stmt_bind_int64(stmt, 1, 2), 0);
    for (int i = 2; i <= 5; i++)
        assert_int_equal(cairn_stmt_bind_null(stmt, i), 0);
    assert_int_equal(cairn_stmt_step(stmt, &err), 0);
    assert_int_equal(cairn_stmt_reset(stmt), 0);
    char scratch[16];
    snprintf(scratch, sizeof scratch, "abcdef");
    assert_int_equal(cairn_stmt_bind_int64(stmt, 1, 3), 0);
    assert_int_equal(cairn_stmt_bind_int64(stmt, 2, INT64_MAX), 0);
    assert_int_equal(cairn_stmt_bind_double(stmt, 3, 0.1), 0);
    assert_int_equal(cairn_stmt_bind_text(stmt, 4, scratch, 3), 0);
    assert_int_equal(cairn_stmt_bind_blob(stmt, 5, NULL, 0), 0);
    memset(scratch, 'z', 6);
    assert_int_equal(cairn_stmt_step(stmt, &err), 0);
    /* binding a statement that ran without a reset in between is a usage error */
    assert_int_equal(cairn_stmt_bind_int64(stmt, 1, 4), CAIRN_EINVAL);
    /* a bind index out of range */
    assert_int_equal(cairn_stmt_reset(stmt), 0);
    assert_int_equal(cairn_stmt_bind_int64(stmt, 6, 1), CAIRN_ERANGE);
    assert_int_equal(cairn_stmt_bind_int64(stmt, 0, 1), CAIRN_ERANGE);
    cairn_stmt_finalize(stmt);

    CAIRN_ASSERT_OK(
        cairn_catalog_prepare(f->catalog, "SELECT i, d, s, b FROM v ORDER BY k", &stmt, &err),
        &err);
    assert_int_equal(cairn_stmt_column_count(stmt), 4);
    assert_int_equal(cairn_stmt_step(stmt, &err), 1);
    for (int c = 0; c < 4; c++)
        assert_false(cairn_stmt_is_null(stmt, c));
    assert_true(cairn_stmt_int64(stmt, 0) == INT64_MIN);
    assert_true(cairn_stmt_double(stmt, 1) == -1.5e300);
    assert_string_equal(cairn_stmt_text(stmt, 2, &len), text);
    assert_int_equal(len, strlen(text));
    const void *b = cairn_stmt_blob(stmt, 3, &len);
    assert_int_equal(len, sizeof blob);
    assert_memory_equal(b, blob, sizeof blob);

    assert_int_equal(cairn_stmt_step(stmt, &err), 1);
    for (int c = 0; c < 4; c++)
        assert_true(cairn_stmt_is_null(stmt, c));
    len = 99;
    assert_string_equal(cairn_stmt_text(stmt, 2, &len), "");
    assert_int_equal(len, 0);
    len = 99;
    assert_non_null(cairn_stmt_blob(stmt, 3, &len));
    assert_int_equal(len, 0);

    assert_int_equal(cairn_stmt_step(stmt, &err), 1);
    assert_true(cairn_stmt_int64(stmt, 0) == INT64_MAX);
    assert_true(cairn_stmt_double(stmt, 1) == 0.1);
    assert_string_equal(cairn_stmt_text(stmt, 2, &len), "abc");
    assert_int_equal(len, 3);
    assert_false(cairn_stmt_is_null(stmt, 3)); /* an empty blob is not NULL */
    assert_non_null(cairn_stmt_blob(stmt, 3, &len));
    assert_int_equal(len, 0);

    assert_int_equal(cairn_stmt_step(stmt, &err), 0);
    /* reset runs the query again */
    assert_int_equal(cairn_stmt_reset(stmt), 0);
    assert_int_equal(cairn_stmt_step(stmt, &err), 1);
    cairn_stmt_finalize(stmt);
    cairn_stmt_finalize(NULL);
}

static void test_parameters_in_where(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_stmt *stmt = NULL;
    size_t len = 0;
    cairn_error_clear(&err);
    exec_ok(f->catalog, "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)");
    exec_ok(f->catalog, "INSERT INTO kv VALUES ('a', 'x'), ('b', 'it''s')");
    CAIRN_ASSERT_OK(cairn_catalog_prepare(f->catalog, "SELECT v FROM kv WHERE k = ?", &stmt, &err),
                    &err);
    assert_int_equal(cairn_stmt_bind_text(stmt, 1, "b", 1), 0);
    assert_int_equal(cairn_stmt_step(stmt, &err), 1);
    assert_string_equal(cairn_stmt_text(stmt, 0, &len), "it's");
    assert_int_equal(cairn_stmt_step(stmt, &err), 0);
    assert_int_equal(cairn_stmt_reset(stmt), 0);
    assert_int_equal(cairn_stmt_bind_text(stmt, 1, "zz' OR 1=1 --", 13), 0);
    assert_int_equal(cairn_stmt_step(stmt, &err), 0); /* bound, never spliced */
    cairn_stmt_finalize(stmt);

    /* preparing bad SQL fails with the SQL in the message and returns nothing */
    stmt = NULL;
    assert_int_equal(cairn_catalog_prepare(f->catalog, "SELECT v FROM kw", &stmt, &err),
                     CAIRN_ECATALOG);
    assert_null(stmt);
    assert_non_null(strstr(err.message, "SELECT v FROM kw"));
}

/* ------------------------------------------------------------------------------------------
 * Transactions and constraints
 * ---------------------------------------------------------------------------------------- */

static void test_transactions(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_error_clear(&err);
    exec_ok(f->catalog, "CREATE TABLE t (a BIGINT)");

    CAIRN_ASSERT_OK(cairn_catalog_begin(f->catalog, &err), &err);
    exec_ok(f->catalog, "INSERT INTO t VALUES (1)");
    assert_int_equal(cairn_catalog_begin(f->catalog, &err), CAIRN_EINVAL); /* no nesting */
    CAIRN_ASSERT_OK(cairn_catalog_commit(f->catalog, &err), &err);
    assert_int_equal(cairn_test_query_int(f->catalog, "SELECT COUNT(*) FROM t"), 1);

    CAIRN_ASSERT_OK(cairn_catalog_begin(f->catalog, &err), &err);
    exec_ok(f->catalog, "INSERT INTO t VALUES (2)");
    exec_ok(f->catalog, "INSERT INTO t VALUES (3)");
    assert_int_equal(cairn_test_query_int(f->catalog, "SELECT COUNT(*) FROM t"), 3); /* own writes */
    cairn_catalog_abort(f->catalog);
    assert_int_equal(cairn_test_query_int(f->catalog, "SELECT COUNT(*) FROM t"), 1);
    assert_int_equal(cairn_test_query_int(f->catalog, "SELECT MAX(a) FROM t"), 1);

    /* commit without begin, abort without begin */
    assert_int_equal(cairn_catalog_commit(f->catalog, &err), CAIRN_EINVAL);
    cairn_catalog_abort(f->catalog);
    cairn_catalog_abort(NULL);

    /* a transaction left open is rolled back by close */
    cairn_catalog *other = NULL;
    CAIRN_ASSERT_OK(cairn_catalog_open(f->url, &other, &err), &err);
    CAIRN_ASSERT_OK(cairn_catalog_begin(other, &err), &err);
    exec_ok(other, "INSERT INTO t VALUES (9)");
    cairn_catalog_close(other);
    assert_int_equal(cairn_test_query_int(f->catalog, "SELECT COUNT(*) FROM t"), 1);
}

static void test_constraints(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_error_clear(&err);
    exec_ok(f->catalog, "CREATE TABLE parent (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
    exec_ok(f->catalog, "CREATE TABLE child (id BIGINT PRIMARY KEY, "
                        "parent_id BIGINT NOT NULL REFERENCES parent (id))");
    exec_ok(f->catalog, "INSERT INTO parent VALUES (1, 'a')");

    assert_int_equal(cairn_catalog_exec(f->catalog, "INSERT INTO parent VALUES (1, 'b')", &err),
                     CAIRN_ECONFLICT);
    assert_non_null(strstr(err.message, "UNIQUE"));
    assert_int_equal(cairn_catalog_exec(f->catalog, "INSERT INTO parent VALUES (2, 'a')", &err),
                     CAIRN_ECONFLICT);
    assert_int_equal(cairn_catalog_exec(f->catalog, "INSERT INTO parent VALUES (3, NULL)", &err),
                     CAIRN_ECONFLICT);
    /* foreign keys are enforced */
    cairn_error_clear(&err);
    assert_int_equal(cairn_catalog_exec(f->catalog, "INSERT INTO child VALUES (1, 7)", &err),
                     CAIRN_ECONFLICT);
    assert_non_null(strstr(err.message, "FOREIGN KEY"));
    exec_ok(f->catalog, "INSERT INTO child VALUES (1, 1)");

    /* through a prepared statement too */
    cairn_stmt *stmt = NULL;
    CAIRN_ASSERT_OK(
        cairn_catalog_prepare(f->catalog, "INSERT INTO parent VALUES (?, ?)", &stmt, &err), &err);
    cairn_stmt_bind_int64(stmt, 1, 1);
    cairn_stmt_bind_text(stmt, 2, "c", 1);
    cairn_error_clear(&err);
    assert_int_equal(cairn_stmt_step(stmt, &err), CAIRN_ECONFLICT);
    assert_non_null(strstr(err.message, "INSERT INTO parent"));
    cairn_stmt_reset(stmt);
    cairn_stmt_bind_int64(stmt, 1, 5);
    assert_int_equal(cairn_stmt_step(stmt, &err), 0);
    cairn_stmt_finalize(stmt);
    assert_int_equal(cairn_test_query_int(f->catalog, "SELECT COUNT(*) FROM parent"), 2);
}

/* A commit that fails (a deferred foreign key) leaves the transaction open; abort then
 * rolls it back, and is safe. */
static void test_abort_after_failed_commit(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_error_clear(&err);
    exec_ok(f->catalog, "CREATE TABLE p (id BIGINT PRIMARY KEY)");
    exec_ok(f->catalog, "CREATE TABLE c (id BIGINT PRIMARY KEY, "
                        "p_id BIGINT REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)");
    CAIRN_ASSERT_OK(cairn_catalog_begin(f->catalog, &err), &err);
    exec_ok(f->catalog, "INSERT INTO c VALUES (1, 42)");
    assert_int_equal(cairn_catalog_commit(f->catalog, &err), CAIRN_ECONFLICT);
    cairn_catalog_abort(f->catalog);
    cairn_catalog_abort(f->catalog);
    assert_int_equal(cairn_test_query_int(f->catalog, "SELECT COUNT(*) FROM c"), 0);
    /* the handle is usable again */
    CAIRN_ASSERT_OK(cairn_catalog_begin(f->catalog, &err), &err);
    exec_ok(f->catalog, "INSERT INTO p VALUES (42)");
    exec_ok(f->catalog, "INSERT INTO c VALUES (1, 42)");
    CAIRN_ASSERT_OK(cairn_catalog_commit(f->catalog, &err), &err);
    assert_int_equal(cairn_test_query_int(f->catalog, "SELECT COUNT(*) FROM c"), 1);
}

/* A writer that holds the lock past the busy timeout: the other fails with a clear message
 * (this waits the full 5 s timeout). Readers are not blocked in WAL mode. */
static void test_busy_writer(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_catalog *other = NULL;
    cairn_error_clear(&err);
    exec_ok(f->catalog, "CREATE TABLE t (a BIGINT)");
    CAIRN_ASSERT_OK(cairn_catalog_open(f->url, &other, &err), &err);
    CAIRN_ASSERT_OK(cairn_catalog_begin(f->catalog, &err), &err);
    exec_ok(f->catalog, "INSERT INTO t VALUES (1)");
    assert_int_equal(cairn_test_query_int(other, "SELECT COUNT(*) FROM t"), 0); /* reads go on */
    assert_int_equal(cairn_catalog_begin(other, &err), CAIRN_ECATALOG);
    assert_non_null(strstr(err.message, "locked"));
    assert_non_null(strstr(err.message, "5000 ms"));
    CAIRN_ASSERT_OK(cairn_catalog_commit(f->catalog, &err), &err);
    CAIRN_ASSERT_OK(cairn_catalog_begin(other, &err), &err);
    cairn_catalog_abort(other);
    cairn_catalog_close(other);
}

/* ------------------------------------------------------------------------------------------
 * Allocation failure
 * ---------------------------------------------------------------------------------------- */

/* Fails each of Cairn's allocations in turn while opening (and migrating) a fresh catalog.
 * SQLite's own allocations do not go through the hook. Every attempt must fail with
 * CAIRN_ENOMEM or succeed, and leave no Cairn block behind. */
static void test_open_allocation_failures(void **state)
{
    fixture *f = *state;
    char url[4300];
    cairn_testalloc_install();
    int64_t baseline = cairn_testalloc_live_blocks();
    for (int64_t nth = 1; nth < 10000; nth++) {
        cairn_error err;
        cairn_catalog *catalog = NULL;
        cairn_error_clear(&err);
        snprintf(url, sizeof url, "sqlite:%s/alloc-%lld.db", f->dir, (long long)nth);
        cairn_testalloc_reset_counts();
        cairn_testalloc_fail_at(nth, false);
        int rc = cairn_catalog_open(url, &catalog, &err);
        int64_t failures = cairn_testalloc_failures();
        cairn_testalloc_fail_at(0, false);
        if (rc == 0) {
            assert_non_null(catalog);
            cairn_catalog_close(catalog);
        } else {
            if (rc != CAIRN_ENOMEM) fail_msg("allocation %lld: %s", (long long)nth, err.message);
            assert_null(catalog);
        }
        assert_int_equal(cairn_testalloc_live_blocks(), baseline);
        if (failures == 0) break; /* every allocation has had its turn */
        assert_true(nth < 9999);
    }
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_backend_name_and_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_types_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parameters_in_where, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_constraints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_after_failed_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_allocation_failures, setup_dir, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
