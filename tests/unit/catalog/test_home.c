/* tests/unit/catalog/test_home.c: the Cairn home (src/catalog/home.c): init and its layout,
 * idempotence, settings from cairn.yaml and their environment overrides, the catalog URL
 * relative to the home, errors for a broken cairn.yaml and for a directory that is not a
 * home, and allocation failure while opening. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct fixture {
    char tmp[4096];  /* the temporary directory */
    char home[4200]; /* tmp/home, not created */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->tmp, sizeof f->tmp, "%s", cairn_test_tmpdir("home"));
    snprintf(f->home, sizeof f->home, "%s/home", f->tmp);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unsetenv("CAIRN_SERVER_LISTEN");
    unsetenv("CAIRN_CATALOG_URL");
    unsetenv("CAIRN_EXTRA_THING");
    cairn_test_rmtree(f->tmp);
    free(f);
    return 0;
}

static void path_in(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static unsigned mode_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) fail_msg("stat %s", path);
    return (unsigned)(st.st_mode & 07777);
}

static void read_all(const char *path, cairn_buf *out)
{
    cairn_error err;
    cairn_error_clear(&err);
    cairn_buf_reset(out);
    CAIRN_ASSERT_OK(cairn_file_read(path, out, 0, &err), &err);
}

/* ------------------------------------------------------------------------------------------
 * init
 * ---------------------------------------------------------------------------------------- */

static void test_init_layout_and_idempotence(void **state)
{
    fixture *f = *state;
    cairn_error err;
    bool created = false;
    char path[4400];
    cairn_buf yaml;
    cairn_buf_init(&yaml, 0);
    cairn_error_clear(&err);

    CAIRN_ASSERT_OK(cairn_home_init(f->home, &created, &err), &err);
    assert_true(created);
    const char *dirs[] = {"lake", "dlq", "objects", "online", "keys"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        struct stat st;
        path_in(path, sizeof path, f->home, dirs[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
    }
    path_in(path, sizeof path, f->home, "keys");
    assert_int_equal(mode_of(path), 0700);
    path_in(path, sizeof path, f->home, "catalog.db");
    assert_true(cairn_path_exists(path));
    path_in(path, sizeof path, f->home, "cairn.yaml");
    read_all(path, &yaml);
    assert_non_null(strstr(yaml.data, "CAIRN_<SECTION>_<KEY>"));
    assert_non_null(strstr(yaml.data, "url: sqlite:catalog.db"));
    assert_non_null(strstr(yaml.data, "url: lmdb:online"));
    assert_non_null(strstr(yaml.data, "listen: 127.0.0.1:8080"));

    /* the user edits the file and loosens keys/; init again keeps the file, fixes keys/ */
    const char edited[] = "catalog:\n  url: sqlite:catalog.db\nserver:\n  listen: :9999\n";
    cairn_test_write_file(path, edited, sizeof edited - 1);
    char keys[4400];
    path_in(keys, sizeof keys, f->home, "keys");
    assert_int_equal(chmod(keys, 0755), 0);
    created = true;
    CAIRN_ASSERT_OK(cairn_home_init(f->home, &created, &err), &err);
    assert_false(created);
    read_all(path, &yaml);
    assert_string_equal(yaml.data, edited);
    assert_int_equal(mode_of(keys), 0700);

    /* the catalog was created once: its identity survives the second init */
    cairn_home *home = NULL;
    CAIRN_ASSERT_OK(cairn_home_open(f->home, &home, &err), &err);
    int64_t applied = 0, known = 0;
    CAIRN_ASSERT_OK(cairn_catalog_version(cairn_home_catalog(home), &applied, &known, &err), &err);
    assert_int_equal(applied, known);
    assert_string_equal(cairn_home_setting(home, "server.listen", "x"), ":9999");
    cairn_home_close(home);
    cairn_buf_release(&yaml);
}

static void test_init_completes_partial_home(void **state)
{
    fixture *f = *state;
    cairn_error err;
    bool created = false;
    char path[4400];
    cairn_error_clear(&err);
    /* a crash after the first directory: no cairn.yaml yet */
    path_in(path, sizeof path, f->home, "lake");
    CAIRN_ASSERT_OK(cairn_mkdir_p(path, 0755, &err), &err);
    path_in(path, sizeof path, f->home, "lake/keep.txt");
    cairn_test_write_file(path, "data", 4);
    CAIRN_ASSERT_OK(cairn_home_init(f->home, &created, &err), &err);
    assert_true(created);
    assert_true(cairn_path_exists(path));
    path_in(path, sizeof path, f->home, "cairn.yaml");
    assert_true(cairn_path_exists(path));
    /* a trailing slash is the same home */
    char slashed[4400];
    snprintf(slashed, sizeof slashed, "%s//", f->home);
    CAIRN_ASSERT_OK(cairn_home_init(slashed, &created, &err), &err);
    assert_false(created);
    cairn_home *home = NULL;
    CAIRN_ASSERT_OK(cairn_home_open(slashed, &home, &err), &err);
    assert_string_equal(cairn_home_path(home), f->home);
    cairn_home_close(home);

    /* a file where the home should be */
    char file[4400];
    path_in(file, sizeof file, f->tmp, "plain-file");
    cairn_test_write_file(file, "x", 1);
    assert_true(cairn_home_init(file, &created, &err) < 0);
    assert_int_equal(cairn_home_init("", &created, &err), CAIRN_EINVAL);
}

/* ------------------------------------------------------------------------------------------
 * open and settings
 * ---------------------------------------------------------------------------------------- */

static void test_open_and_settings(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_home *home = NULL;
    char path[4400];
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_home_init(f->home, NULL, &err), &err);
    CAIRN_ASSERT_OK(cairn_home_open(f->home, &home, &err), &err);
    assert_string_equal(cairn_home_path(home), f->home);
    assert_string_equal(cairn_catalog_backend(cairn_home_catalog(home)), "sqlite");
    assert_string_equal(cairn_home_setting(home, "catalog.url", NULL), "sqlite:catalog.db");
    assert_string_equal(cairn_home_setting(home, "online.url", NULL), "lmdb:online");
    assert_string_equal(cairn_home_setting(home, "server.listen", NULL), "127.0.0.1:8080");
    assert_string_equal(cairn_home_setting(home, "server.workers", "4"), "4");
    assert_null(cairn_home_setting(home, "nope", NULL));
    assert_null(cairn_home_setting(home, "catalog", NULL)); /* a section is not a setting */
    cairn_home_close(home);
    cairn_home_close(NULL);

    /* nested sections, numbers, quoted strings, lists and nulls */
    path_in(path, sizeof path, f->home, "cairn.yaml");
    const char yaml[] = "catalog:\n  url: sqlite:catalog.db\n"
                        "server:\n  listen: \"0.0.0.0:80\"\n  workers: 8\n"
                        "  tls:\n    cert: /etc/cert.pem\n"
                        "  allow: [a, b]\n  empty:\n";
    cairn_test_write_file(path, yaml, sizeof yaml - 1);
    CAIRN_ASSERT_OK(cairn_home_open(f->home, &home, &err), &err);
    assert_string_equal(cairn_home_setting(home, "server.listen", NULL), "0.0.0.0:80");
    assert_string_equal(cairn_home_setting(home, "server.workers", NULL), "8");
    assert_string_equal(cairn_home_setting(home, "server.tls.cert", NULL), "/etc/cert.pem");
    assert_null(cairn_home_setting(home, "server.allow", NULL));
    assert_string_equal(cairn_home_setting(home, "server.empty", "fb"), "fb");
    cairn_home_close(home);
}

static void test_env_overrides(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_home *home = NULL;
    char path[4400];
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_home_init(f->home, NULL, &err), &err);

    setenv("CAIRN_SERVER_LISTEN", "0.0.0.0:9000", 1);
    setenv("CAIRN_EXTRA_THING", "yes", 1);
    setenv("CAIRN_CATALOG_URL", "sqlite:elsewhere.db", 1); /* relative to the home */
    CAIRN_ASSERT_OK(cairn_home_open(f->home, &home, &err), &err);
    assert_string_equal(cairn_home_setting(home, "server.listen", NULL), "0.0.0.0:9000");
    assert_string_equal(cairn_home_setting(home, "extra.thing", NULL), "yes");
    assert_string_equal(cairn_home_setting(home, "extra-thing", NULL), "yes");
    assert_string_equal(cairn_home_setting(home, "catalog.url", NULL), "sqlite:elsewhere.db");
    path_in(path, sizeof path, f->home, "elsewhere.db");
    assert_true(cairn_path_exists(path));
    /* the settings are a snapshot: valid, and unchanged, after the environment changes */
    const char *listen = cairn_home_setting(home, "server.listen", NULL);
    setenv("CAIRN_SERVER_LISTEN", "changed", 1);
    unsetenv("CAIRN_EXTRA_THING");
    assert_string_equal(listen, "0.0.0.0:9000");
    assert_string_equal(cairn_home_setting(home, "server.listen", NULL), "0.0.0.0:9000");
    assert_string_equal(cairn_home_setting(home, "extra.thing", NULL), "yes");
    cairn_home_close(home);

    /* an absolute path and a refused backend through the environment */
    char url[4500];
    snprintf(url, sizeof url, "sqlite:%s/abs.db", f->tmp);
    setenv("CAIRN_CATALOG_URL", url, 1);
    CAIRN_ASSERT_OK(cairn_home_open(f->home, &home, &err), &err);
    cairn_home_close(home);
    path_in(path, sizeof path, f->tmp, "abs.db");
    assert_true(cairn_path_exists(path));

    setenv("CAIRN_CATALOG_URL", "postgres://cairn@localhost:5432/cairn", 1);
    home = NULL;
    cairn_error_clear(&err);
    assert_int_equal(cairn_home_open(f->home, &home, &err), CAIRN_EUNSUPPORTED);
    assert_null(home);
    assert_non_null(strstr(err.message, "PostgreSQL"));
    unsetenv("CAIRN_CATALOG_URL");
}

static void test_home_default(void **state)
{
    (void)state;
    unsetenv("CAIRN_HOME");
    assert_string_equal(cairn_home_default(NULL), "./.cairn");
    assert_string_equal(cairn_home_default("/x/y"), "/x/y");
    setenv("CAIRN_HOME", "/from/env", 1);
    assert_string_equal(cairn_home_default(NULL), "/from/env");
    assert_string_equal(cairn_home_default("/flag"), "/flag");
    setenv("CAIRN_HOME", "", 1);
    assert_string_equal(cairn_home_default(NULL), "./.cairn");
    unsetenv("CAIRN_HOME");
}

/* ------------------------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------------------------- */

static void test_not_a_home(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_home *home = NULL;
    cairn_error_clear(&err);
    /* missing directory */
    assert_int_equal(cairn_home_open(f->home, &home, &err), CAIRN_ENOTFOUND);
    assert_null(home);
    assert_non_null(strstr(err.message, "not a Cairn home"));
    assert_non_null(strstr(err.message, f->home));
    assert_non_null(strstr(err.message, "run `cairn init`"));
    /* an existing directory without cairn.yaml */
    cairn_error_clear(&err);
    assert_int_equal(cairn_home_open(f->tmp, &home, &err), CAIRN_ENOTFOUND);
    assert_non_null(strstr(err.message, "run `cairn init`"));
    assert_int_equal(cairn_home_open("", &home, &err), CAIRN_EINVAL);
}

static void test_yaml_errors(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_home *home = NULL;
    char path[4400], msg[1024];
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_home_init(f->home, NULL, &err), &err);
    path_in(path, sizeof path, f->home, "cairn.yaml");

    const char broken[] = "catalog:\n  url: sqlite:catalog.db\nserver:\n  listen: [1, 2\n";
    cairn_test_write_file(path, broken, sizeof broken - 1);
    int rc = cairn_home_open(f->home, &home, &err);
    assert_true(rc < 0);
    assert_null(home);
    cairn_error_format(&err, msg, sizeof msg);
    assert_true(err.line >= 4);
    assert_non_null(strstr(err.file, "cairn.yaml"));
    assert_non_null(strstr(msg, "cairn.yaml:"));

    /* well-formed YAML but not a mapping */
    const char list[] = "# comment\n- catalog\n- server\n";
    cairn_test_write_file(path, list, sizeof list - 1);
    cairn_error_clear(&err);
    assert_int_equal(cairn_home_open(f->home, &home, &err), CAIRN_EPARSE);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "mapping"));

    /* an empty file is a home with every setting at its default */
    cairn_test_write_file(path, "", 0);
    CAIRN_ASSERT_OK(cairn_home_open(f->home, &home, &err), &err);
    assert_string_equal(cairn_home_setting(home, "server.listen", "dflt"), "dflt");
    cairn_home_close(home);
}

/* Fails each of Cairn's allocations in turn while opening a home. */
static void test_open_allocation_failures(void **state)
{
    fixture *f = *state;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_home_init(f->home, NULL, &err), &err);
    setenv("CAIRN_EXTRA_THING", "yes", 1); /* so the environment snapshot allocates too */
    cairn_testalloc_install();
    int64_t baseline = cairn_testalloc_live_blocks();
    for (int64_t nth = 1; nth < 10000; nth++) {
        cairn_home *home = NULL;
        cairn_error_clear(&err);
        cairn_testalloc_reset_counts();
        cairn_testalloc_fail_at(nth, false);
        int rc = cairn_home_open(f->home, &home, &err);
        int64_t failures = cairn_testalloc_failures();
        cairn_testalloc_fail_at(0, false);
        if (rc == 0) {
            assert_string_equal(cairn_home_setting(home, "extra.thing", NULL), "yes");
            cairn_home_close(home);
        } else {
            if (rc != CAIRN_ENOMEM)
                fail_msg("allocation %lld: %s: %s", (long long)nth, cairn_errname(rc), err.message);
            assert_null(home);
        }
        assert_int_equal(cairn_testalloc_live_blocks(), baseline);
        if (failures == 0) break;
        assert_true(nth < 9999);
    }
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_layout_and_idempotence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_completes_partial_home, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_and_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_overrides, setup, teardown),
        cmocka_unit_test(test_home_default),
        cmocka_unit_test_setup_teardown(test_not_a_home, setup, teardown),
        cmocka_unit_test_setup_teardown(test_yaml_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_allocation_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
