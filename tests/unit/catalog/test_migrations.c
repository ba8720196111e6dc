/* tests/unit/catalog/test_migrations.c: the migration runner (src/catalog/catalog.c) and the
 * built-in migrations (src/catalog/migrations.c): records, idempotent re-opening, rollback
 * of a failing migration, refusal of a newer catalog, malformed lists, and two processes
 * migrating a fresh catalog at once. */
#include "testutil.h"

#include "catalog/catalog_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct fixture {
    char dir[4096];
    char url[4200];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s", cairn_test_tmpdir("migrations"));
    snprintf(f->url, sizeof f->url, "sqlite:%s/catalog.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cairn_test_rmtree(f->dir);
    free(f);
    return 0;
}

/* The text of the first column of the first row, copied into out. */
static void query_text(cairn_catalog *catalog, const char *sql, char *out, size_t cap)
{
    cairn_error err;
    cairn_stmt *stmt = NULL;
    size_t len = 0;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_catalog_prepare(catalog, sql, &stmt, &err), &err);
    assert_int_equal(cairn_stmt_step(stmt, &err), 1);
    snprintf(out, cap, "%s", cairn_stmt_text(stmt, 0, &len));
    cairn_stmt_finalize(stmt);
}

static int64_t count_tables(cairn_catalog *catalog, const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM sqlite_master WHERE name = '%s'", name);
    return cairn_test_query_int(catalog, sql);
}

static int64_t applied_version(cairn_catalog *catalog)
{
    cairn_error err;
    int64_t v = -1;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn__catalog_applied_version(catalog, &v, &err), &err);
    return v;
}

/* ------------------------------------------------------------------------------------------
 * The built-in list
 * ---------------------------------------------------------------------------------------- */

static void test_builtin_list_is_well_formed(void **state)
{
    (void)state;
    size_t count = 0;
    const cairn__migration *list = cairn__catalog_migrations(&count);
    assert_true(count >= 1);
    assert_int_equal(list[0].version, 1);
    assert_string_equal(list[0].name, "core");
    for (size_t i = 0; i < count; i++) {
        assert_non_null(list[i].statements);
        if (i) assert_true(list[i].version > list[i - 1].version);
        for (const char *const *sql = list[i].statements; *sql; sql++) {
            /* portable SQL: none of SQLite's or PostgreSQL's own spellings */
            assert_null(strstr(*sql, "AUTOINCREMENT"));
            assert_null(strstr(*sql, "SERIAL"));
            assert_null(strstr(*sql, "PRAGMA"));
            assert_null(strstr(*sql, "INTEGER PRIMARY KEY"));
            assert_null(strchr(*sql, ';'));
        }
    }
}

static void test_fresh_catalog_is_migrated(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_catalog *catalog = NULL;
    char text[256], applied_at[256], home_id[256], home_id2[256];
    size_t count = 0;
    const cairn__migration *list = cairn__catalog_migrations(&count);

    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_catalog_open(f->url, &catalog, &err), &err);
    assert_int_equal(cairn_test_query_int(catalog, "SELECT COUNT(*) FROM cairn_migrations"), (int64_t)count);
    query_text(catalog, "SELECT name FROM cairn_migrations WHERE version = 1", text, sizeof text);
    assert_string_equal(text, "core");
    query_text(catalog, "SELECT applied_at FROM cairn_migrations WHERE version = 1", applied_at,
               sizeof applied_at);
    int64_t at_us = 0;
    CAIRN_ASSERT_OK(cairn_time_parse(applied_at, strlen(applied_at), &at_us, &err), &err);
    assert_true(at_us > 0);
    assert_int_equal(applied_version(catalog), list[count - 1].version);

    /* migration 1: the home's identity and the audit log */
    query_text(catalog, "SELECT value FROM cairn_meta WHERE key = 'home_id'", home_id,
               sizeof home_id);
    assert_int_equal(strlen(home_id), 32);
    uint8_t raw[16];
    assert_int_equal(cairn_hex_decode(home_id, 32, raw, sizeof raw), 0);
    query_text(catalog, "SELECT value FROM cairn_meta WHERE key = 'created_at'", text, sizeof text);
    CAIRN_ASSERT_OK(cairn_time_parse(text, strlen(text), &at_us, &err), &err);
    assert_int_equal(count_tables(catalog, "audit_log"), 1);
    /* ids are supplied by the writer: MAX(id) + 1 inside the transaction */
    CAIRN_ASSERT_OK(cairn_catalog_exec(catalog,
                                       "INSERT INTO audit_log (id, at, actor, action) SELECT "
                                       "COALESCE(MAX(id), 0) + 1, '2001-01-01T00:00:00Z', "
                                       "'tester', 'test' FROM audit_log",
                                       &err),
                    &err);
    assert_int_equal(cairn_test_query_int(catalog, "SELECT MAX(id) FROM audit_log"), 1);
    assert_int_equal(
        cairn_catalog_exec(
            catalog, "INSERT INTO audit_log (at, actor, action) VALUES ('x', 'y', 'z')", &err),
        CAIRN_ECONFLICT); /* id is required: NOT NULL */
    cairn_catalog_close(catalog);

    /* re-opening applies nothing new and keeps the identity */
    CAIRN_ASSERT_OK(cairn_catalog_open(f->url, &catalog, &err), &err);
    assert_int_equal(cairn_test_query_int(catalog, "SELECT COUNT(*) FROM cairn_migrations"), (int64_t)count);
    query_text(catalog, "SELECT applied_at FROM cairn_migrations WHERE version = 1", text,
               sizeof text);
    assert_string_equal(text, applied_at);
    query_text(catalog, "SELECT value FROM cairn_meta WHERE key = 'home_id'", home_id2,
               sizeof home_id2);
    assert_string_equal(home_id, home_id2);
    assert_int_equal(cairn_test_query_int(catalog, "SELECT COUNT(*) FROM cairn_meta"), 2);
    cairn_catalog_close(catalog);

    /* another catalog gets another identity */
    char url2[4300];
    snprintf(url2, sizeof url2, "sqlite:%s/other.db", f->dir);
    CAIRN_ASSERT_OK(cairn_catalog_open(url2, &catalog, &err), &err);
    query_text(catalog, "SELECT value FROM cairn_meta WHERE key = 'home_id'", home_id2,
               sizeof home_id2);
    assert_string_not_equal(home_id, home_id2);
    cairn_catalog_close(catalog);
}

/* ------------------------------------------------------------------------------------------
 * Custom lists
 * ---------------------------------------------------------------------------------------- */

static const char *const m1_sql[] = {"CREATE TABLE widgets (id BIGINT PRIMARY KEY, name TEXT)",
                                     NULL};
static const char *const m2_sql[] = {
    "CREATE TABLE gadgets (id BIGINT PRIMARY KEY, weight DOUBLE PRECISION)",
    "INSERT INTO widgets (id, name) VALUES (1, 'first')", NULL};
static const char *const broken_sql[] = {"CREATE TABLE half_made (id BIGINT PRIMARY KEY)",
                                         "INSERT INTO widgets (id, name) VALUES (2, 'second')",
                                         "INSERT INTO no_such_table VALUES (1)", NULL};
static const char *const conflict_sql[] = {"CREATE TABLE half_made (id BIGINT PRIMARY KEY)",
                                           "INSERT INTO widgets (id, name) VALUES (1, 'duplicate')",
                                           NULL};
static const char *const empty_sql[] = {NULL};

static int hook_fails(cairn_catalog *catalog, cairn_error *err)
{
    cairn_catalog_exec(catalog, "INSERT INTO widgets (id, name) VALUES (3, 'hook')", NULL);
    return cairn_error_set(err, CAIRN_EIO, "the hook could not read its input");
}

static int hook_writes(cairn_catalog *catalog, cairn_error *err)
{
    return cairn_catalog_exec(catalog, "INSERT INTO widgets (id, name) VALUES (4, 'hook')", err);
}

static void test_custom_list_and_failure_rollback(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_catalog *catalog = NULL;
    const cairn__migration good[] = {
        {1, "widgets", m1_sql, NULL},
        {2, "gadgets", m2_sql, NULL},
    };
    const cairn__migration with_broken[] = {
        {1, "widgets", m1_sql, NULL},
        {2, "gadgets", m2_sql, NULL},
        {3, "broken", broken_sql, NULL},
        {4, "after", empty_sql, NULL},
    };
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn__catalog_open_raw(f->url, &catalog, &err), &err);
    assert_int_equal(applied_version(catalog), 0);
    int64_t applied = -1;
    CAIRN_ASSERT_OK(cairn_catalog_version(catalog, &applied, NULL, &err), &err);
    assert_int_equal(applied, 0);

    CAIRN_ASSERT_OK(cairn__catalog_migrate_list(catalog, good, 2, &err), &err);
    assert_int_equal(applied_version(catalog), 2);
    assert_int_equal(cairn_test_query_int(catalog, "SELECT COUNT(*) FROM widgets"), 1);
    /* again: nothing to do */
    CAIRN_ASSERT_OK(cairn__catalog_migrate_list(catalog, good, 2, &err), &err);
    assert_int_equal(cairn_test_query_int(catalog, "SELECT COUNT(*) FROM cairn_migrations"), 2);

    /* migration 3 fails at its third statement: nothing of it remains */
    cairn_error_clear(&err);
    assert_int_equal(cairn__catalog_migrate_list(catalog, with_broken, 4, &err), CAIRN_ECATALOG);
    assert_non_null(strstr(err.message, "migration 3"));
    assert_non_null(strstr(err.message, "broken"));
    assert_non_null(strstr(err.message, "no such table: no_such_table"));
    assert_int_equal(applied_version(catalog), 2);
    assert_int_equal(count_tables(catalog, "half_made"), 0);
    assert_int_equal(cairn_test_query_int(catalog, "SELECT COUNT(*) FROM widgets"), 1);
    assert_int_equal(cairn_test_query_int(catalog, "SELECT COUNT(*) FROM cairn_migrations"), 2);

    /* a constraint violation inside a migration */
    const cairn__migration with_conflict[] = {
        {2, "gadgets", m2_sql, NULL},
        {3, "conflicting", conflict_sql, NULL},
    };
    cairn_error_clear(&err);
    assert_int_equal(cairn__catalog_migrate_list(catalog, with_conflict, 2, &err), CAIRN_ECONFLICT);
    assert_non_null(strstr(err.message, "migration 3 (conflicting)"));
    assert_int_equal(count_tables(catalog, "half_made"), 0);

    /* a failing hook rolls back its statements and its own writes */
    static const char *const hook_sql[] = {"CREATE TABLE hooked (a BIGINT)", NULL};
    const cairn__migration bad_hook[] = {{3, "hooked", hook_sql, hook_fails}};
    cairn_error_clear(&err);
    assert_int_equal(cairn__catalog_migrate_list(catalog, bad_hook, 1, &err), CAIRN_EIO);
    assert_non_null(strstr(err.message, "migration 3 (hooked)"));
    assert_non_null(strstr(err.message, "could not read its input"));
    assert_int_equal(count_tables(catalog, "hooked"), 0);
    assert_int_equal(cairn_test_query_int(catalog, "SELECT COUNT(*) FROM widgets WHERE id = 3"), 0);

    /* fixed: 3 and 4 go through, the hook's write is kept */
    const cairn__migration fixed[] = {
        {1, "widgets", m1_sql, NULL},
        {2, "gadgets", m2_sql, NULL},
        {3, "hooked", hook_sql, hook_writes},
        {4, "after", empty_sql, NULL},
    };
    CAIRN_ASSERT_OK(cairn__catalog_migrate_list(catalog, fixed, 4, &err), &err);
    assert_int_equal(applied_version(catalog), 4);
    assert_int_equal(count_tables(catalog, "hooked"), 1);
    assert_int_equal(cairn_test_query_int(catalog, "SELECT COUNT(*) FROM widgets WHERE id = 4"), 1);
    char name[64];
    query_text(catalog, "SELECT name FROM cairn_migrations WHERE version = 4", name, sizeof name);
    assert_string_equal(name, "after");
    cairn_catalog_close(catalog);
}

static void test_malformed_lists(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_catalog *catalog = NULL;
    const cairn__migration decreasing[] = {
        {2, "two", m1_sql, NULL},
        {1, "one", empty_sql, NULL},
    };
    const cairn__migration repeated[] = {
        {1, "one", m1_sql, NULL},
        {1, "again", empty_sql, NULL},
    };
    const cairn__migration zero[] = {{0, "zero", empty_sql, NULL}};
    const cairn__migration unnamed[] = {{1, NULL, empty_sql, NULL}};
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn__catalog_open_raw(f->url, &catalog, &err), &err);
    assert_int_equal(cairn__catalog_migrate_list(catalog, decreasing, 2, &err), CAIRN_EINVAL);
    assert_non_null(strstr(err.message, "strictly increasing"));
    assert_int_equal(cairn__catalog_migrate_list(catalog, repeated, 2, &err), CAIRN_EINVAL);
    assert_int_equal(cairn__catalog_migrate_list(catalog, zero, 1, &err), CAIRN_EINVAL);
    assert_int_equal(cairn__catalog_migrate_list(catalog, unnamed, 1, &err), CAIRN_EINVAL);
    assert_int_equal(count_tables(catalog, "widgets"), 0);
    /* an empty list is fine */
    CAIRN_ASSERT_OK(cairn__catalog_migrate_list(catalog, NULL, 0, &err), &err);

    /* not inside a transaction of the caller's */
    const cairn__migration one[] = {{1, "widgets", m1_sql, NULL}};
    CAIRN_ASSERT_OK(cairn_catalog_begin(catalog, &err), &err);
    assert_int_equal(cairn__catalog_migrate_list(catalog, one, 1, &err), CAIRN_EINVAL);
    cairn_catalog_abort(catalog);
    cairn_catalog_close(catalog);
}

static void test_newer_catalog_is_refused(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_catalog *catalog = NULL;
    size_t count = 0;
    const cairn__migration *list = cairn__catalog_migrations(&count);
    char expected[256];

    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_catalog_open(f->url, &catalog, &err), &err);
    CAIRN_ASSERT_OK(cairn_catalog_exec(catalog,
                                       "INSERT INTO cairn_migrations VALUES (9999, 'future', "
                                       "'2999-01-01T00:00:00Z')",
                                       &err),
                    &err);
    int64_t applied = 0, known = 0;
    CAIRN_ASSERT_OK(cairn_catalog_version(catalog, &applied, &known, &err), &err);
    assert_int_equal(applied, 9999);
    assert_int_equal(known, list[count - 1].version);
    cairn_catalog_close(catalog);

    catalog = NULL;
    cairn_error_clear(&err);
    assert_int_equal(cairn_catalog_open(f->url, &catalog, &err), CAIRN_ECONFLICT);
    assert_null(catalog);
    snprintf(expected, sizeof expected,
             "catalog is at version 9999, this cairn knows up to %lld; upgrade cairn",
             (long long)list[count - 1].version);
    assert_non_null(strstr(err.message, expected));

    /* untouched: the future record is still there */
    CAIRN_ASSERT_OK(cairn__catalog_open_raw(f->url, &catalog, &err), &err);
    assert_int_equal(applied_version(catalog), 9999);
    cairn_catalog_close(catalog);
}

/* A catalog whose recorded migration 1 is not this build's "core" (another build's list,
 * or another program's table) is refused rather than taken as up to date. */
static void test_diverging_history_is_refused(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_catalog *catalog = NULL;
    const cairn__migration other[] = {{1, "widgets", m1_sql, NULL}};
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn__catalog_open_raw(f->url, &catalog, &err), &err);
    CAIRN_ASSERT_OK(cairn__catalog_migrate_list(catalog, other, 1, &err), &err);
    cairn_catalog_close(catalog);
    catalog = NULL;
    assert_int_equal(cairn_catalog_open(f->url, &catalog, &err), CAIRN_ECONFLICT);
    assert_null(catalog);
    assert_non_null(strstr(err.message, "recorded as 'widgets'"));
    assert_non_null(strstr(err.message, "'core'"));
}

/* ------------------------------------------------------------------------------------------
 * Concurrency
 * ---------------------------------------------------------------------------------------- */

#define N_PROCESSES 6

/* Several processes open the same fresh catalog at the same moment: all succeed, and each
 * migration is applied and recorded exactly once. */
static void test_concurrent_first_open(void **state)
{
    fixture *f = *state;
    for (int round = 0; round < 3; round++) {
        char url[4300];
        int gate[2];
        pid_t pids[N_PROCESSES];
        snprintf(url, sizeof url, "sqlite:%s/race-%d.db", f->dir, round);
        assert_int_equal(pipe(gate), 0);
        for (int i = 0; i < N_PROCESSES; i++) {
            pids[i] = fork();
            assert_true(pids[i] >= 0);
            if (pids[i] == 0) {
                char byte;
                cairn_error err;
                cairn_catalog *catalog = NULL;
                close(gate[1]);
                (void)!read(gate[0], &byte, 1); /* returns at EOF: when the parent closes */
                cairn_error_clear(&err);
                int rc = cairn_catalog_open(url, &catalog, &err);
                if (rc) {
                    fprintf(stderr, "child %d: %s\n", i, err.message);
                    _exit(1);
                }
                cairn_catalog_close(catalog);
                _exit(0);
            }
        }
        close(gate[0]);
        close(gate[1]); /* go */
        for (int i = 0; i < N_PROCESSES; i++) {
            int status = 0;
            assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
            assert_true(WIFEXITED(status));
            assert_int_equal(WEXITSTATUS(status), 0);
        }
        cairn_error err;
        cairn_catalog *catalog = NULL;
        size_t count = 0;
        cairn__catalog_migrations(&count);
        cairn_error_clear(&err);
        CAIRN_ASSERT_OK(cairn_catalog_open(url, &catalog, &err), &err);
        assert_int_equal(cairn_test_query_int(catalog, "SELECT COUNT(*) FROM cairn_migrations"),
                         (int64_t)count);
        assert_int_equal(cairn_test_query_int(catalog, "SELECT COUNT(*) FROM cairn_meta WHERE key = "
                                            "'home_id'"),
                         1);
        cairn_catalog_close(catalog);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_list_is_well_formed),
        cmocka_unit_test_setup_teardown(test_fresh_catalog_is_migrated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_list_and_failure_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_catalog_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diverging_history_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_first_open, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
