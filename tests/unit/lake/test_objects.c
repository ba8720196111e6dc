/* tests/unit/lake/test_objects.c: the object store (src/lake/objects.c): put/get round
 * trip, idempotent put, the path layout, corruption and absence detection, bad ids. */
#include "lakefix.h"

#include <sys/stat.h>

static void test_round_trip(void **state)
{
    lakefix *f = *state;
    char id[65], again[65], path[4096];
    const char *text = "{\"hello\":\"lake\"}";
    CAIRN_ASSERT_OK(cairn_object_put(f->dir, text, strlen(text), id, &f->err), &f->err);
    assert_int_equal(strlen(id), 64);
    uint8_t digest[32];
    char hex[65];
    cairn_sha256_digest(text, strlen(text), digest);
    cairn_hex_encode(digest, 32, hex);
    assert_string_equal(id, hex);
    CAIRN_ASSERT_OK(cairn_object_put(f->dir, text, strlen(text), again, &f->err), &f->err);
    assert_string_equal(id, again);
    CAIRN_ASSERT_OK(cairn_object_path(f->dir, id, path, sizeof path, &f->err), &f->err);
    char want[4300];
    snprintf(want, sizeof want, "%s/objects/%.2s/%s", f->dir, id, id);
    assert_string_equal(path, want);
    assert_true(cairn_path_exists(path));
    cairn_buf b;
    cairn_buf_init(&b, 0);
    CAIRN_ASSERT_OK(cairn_object_get(f->dir, id, &b, &f->err), &f->err);
    assert_int_equal(b.len, strlen(text));
    assert_memory_equal(b.data, text, b.len);
    cairn_buf_release(&b);
}

static void test_corruption_detected(void **state)
{
    lakefix *f = *state;
    char id[65], path[4096];
    CAIRN_ASSERT_OK(cairn_object_put(f->dir, "abc", 3, id, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_object_path(f->dir, id, path, sizeof path, &f->err), &f->err);
    chmod(path, 0644);
    cairn_test_write_file(path, "abd", 3);
    cairn_buf b;
    cairn_buf_init(&b, 0);
    assert_int_equal(cairn_object_get(f->dir, id, &b, &f->err), CAIRN_ECORRUPT);
    assert_non_null(strstr(f->err.message, "corrupt"));
    assert_int_equal(b.len, 0);
    cairn_buf_release(&b);
}

static void test_missing_and_bad_ids(void **state)
{
    lakefix *f = *state;
    cairn_buf b;
    char path[64];
    cairn_buf_init(&b, 0);
    const char *absent = "0000000000000000000000000000000000000000000000000000000000000000";
    assert_int_equal(cairn_object_get(f->dir, absent, &b, &f->err), CAIRN_ENOTFOUND);
    assert_int_equal(cairn_object_get(f->dir, "../../etc/passwd", &b, &f->err), CAIRN_EINVAL);
    assert_int_equal(cairn_object_get(f->dir, "ABCDEF", &b, &f->err), CAIRN_EINVAL);
    assert_int_equal(cairn_object_path(f->dir, absent, path, sizeof path, &f->err), CAIRN_EINVAL);
    cairn_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_corruption_detected, lakefix_setup, lakefix_teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_bad_ids, lakefix_setup, lakefix_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
