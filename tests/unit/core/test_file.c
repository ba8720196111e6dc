/* Tests for src/core/file.c and src/core/log.c: reads, atomic writes (no temporary left,
 * old content kept on failure), mkdir -p, maps, and log lines as text and JSON. */
#include "testutil.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

static int count_entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

static void test_atomic_write_and_read(void **state)
{
    (void)state;
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s", cairn_test_tmpdir("file"));
    snprintf(path, sizeof path, "%s/a.txt", dir);
    cairn_error e;
    cairn_error_clear(&e);
    assert_int_equal(cairn_file_write_atomic(path, "one", 3, &e), 0);
    assert_int_equal(cairn_file_write_atomic(path, "second", 6, &e), 0);
    assert_int_equal(count_entries(dir), 1); /* no temporary left behind */
    cairn_buf b;
    cairn_buf_init(&b, 0);
    assert_int_equal(cairn_file_read(path, &b, 0, &e), 0);
    assert_string_equal(b.data, "second");
    cairn_buf_reset(&b);
    assert_int_equal(cairn_file_read(path, &b, 3, &e), CAIRN_ELIMIT);
    cairn_buf_release(&b);
    /* a write into a missing directory fails and reports the path */
    char bad[4300];
    snprintf(bad, sizeof bad, "%s/nodir/x", dir);
    assert_int_equal(cairn_file_write_atomic(bad, "x", 1, &e), CAIRN_ENOTFOUND);
    cairn_mapped m;
    assert_int_equal(cairn_file_map(path, &m, &e), 0);
    assert_int_equal(m.len, 6);
    assert_memory_equal(m.data, "second", 6);
    cairn_file_unmap(&m);
    snprintf(bad, sizeof bad, "%s/missing", dir);
    assert_int_equal(cairn_file_map(bad, &m, &e), CAIRN_ENOTFOUND);
    assert_string_equal(e.file, bad);
    cairn_test_rmtree(dir);
}

static void test_mkdir_p(void **state)
{
    (void)state;
    char dir[4096], deep[4200];
    snprintf(dir, sizeof dir, "%s", cairn_test_tmpdir("mkdir"));
    snprintf(deep, sizeof deep, "%s/a/b/c", dir);
    assert_int_equal(cairn_mkdir_p(deep, 0700, NULL), 0);
    assert_int_equal(cairn_mkdir_p(deep, 0700, NULL), 0);
    struct stat st;
    assert_int_equal(stat(deep, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_true(cairn_path_exists(deep));
    char file[4300];
    snprintf(file, sizeof file, "%s/f", deep);
    cairn_test_write_file(file, "x", 1);
    assert_int_not_equal(cairn_mkdir_p(file, 0, NULL), 0);
    cairn_test_rmtree(dir);
}

static void test_log(void **state)
{
    (void)state;
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s", cairn_test_tmpdir("log"));
    snprintf(path, sizeof path, "%s/log", dir);
    FILE *f = fopen(path, "w+");
    cairn_log_set_stream(f);
    cairn_log_set_level(CAIRN_LOG_INFO);
    CAIRN_DEBUG("hidden");
    CAIRN_INFO("plain %d", 1);
    cairn_log_set_json(true);
    CAIRN_WARN("quote \" here");
    cairn_log_set_json(false);
    cairn_log_set_stream(NULL);
    fflush(f);
    rewind(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "info  plain 1"));
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "\"level\":\"warn\",\"msg\":\"quote \\\" here\"}"));
    assert_null(fgets(line, sizeof line, f));
    fclose(f);
    cairn_log_level l;
    assert_int_equal(cairn_log_level_parse("WARNING", &l), 0);
    assert_int_equal(l, CAIRN_LOG_WARN);
    assert_int_equal(cairn_log_level_parse("loud", &l), CAIRN_EINVAL);
    cairn_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atomic_write_and_read),
        cmocka_unit_test(test_mkdir_p),
        cmocka_unit_test(test_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
