/* Tests for src/core/alloc.c and src/core/arena.c and src/core/buf.c: the hook, the test
 * allocator's counting and failure injection, arenas, and the buffer's invariants. */
#include "testutil.h"

#include <string.h>

static int setup(void **state)
{
    (void)state;
    cairn_testalloc_install();
    return 0;
}
static int teardown(void **state)
{
    (void)state;
    cairn_testalloc_uninstall();
    return 0;
}

static void test_counts_and_failures(void **state)
{
    (void)state;
    int64_t base = cairn_testalloc_live_blocks();
    void *a = cairn_malloc(10), *b = cairn_calloc(4, 8);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(cairn_testalloc_live_blocks(), base + 2);
    a = cairn_realloc(a, 100);
    assert_non_null(a);
    assert_int_equal(cairn_testalloc_live_blocks(), base + 2);
    cairn_free(a);
    cairn_free(b);
    assert_int_equal(cairn_testalloc_live_blocks(), base);
    assert_int_equal(cairn_testalloc_live_bytes(), 0);

    cairn_testalloc_fail_at(2, false);
    void *x = cairn_malloc(1), *y = cairn_malloc(1), *z = cairn_malloc(1);
    assert_non_null(x);
    assert_null(y);
    assert_non_null(z);
    assert_int_equal(cairn_testalloc_failures(), 1);
    cairn_free(x);
    cairn_free(z);
    cairn_testalloc_fail_at(1, true);
    assert_null(cairn_malloc(1));
    assert_null(cairn_strdup("abc"));
    cairn_testalloc_fail_at(0, false);
    assert_null(cairn_calloc(SIZE_MAX / 2, 4)); /* overflow refused */
}

static void test_grow(void **state)
{
    (void)state;
    int *v = NULL;
    size_t cap = 0;
    assert_int_equal(cairn_grow((void **)&v, &cap, 100, sizeof *v), 0);
    assert_true(cap >= 100);
    for (int i = 0; i < 100; i++) v[i] = i;
    cairn_testalloc_fail_at(1, false);
    size_t old = cap;
    assert_int_equal(cairn_grow((void **)&v, &cap, old + 1, sizeof *v), CAIRN_ENOMEM);
    assert_int_equal(cap, old);
    assert_int_equal(v[99], 99);
    cairn_free(v);
}

static void test_arena(void **state)
{
    (void)state;
    int64_t base = cairn_testalloc_live_blocks();
    cairn_arena a;
    cairn_arena_init(&a, 256);
    char *s = cairn_arena_strdup(&a, "hello");
    assert_string_equal(s, "hello");
    for (int i = 0; i < 100; i++) {
        void *p = cairn_arena_alloc(&a, (size_t)i * 7 + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        memset(p, 0xab, (size_t)i * 7 + 1);
    }
    void *big = cairn_arena_alloc(&a, 10000); /* own block */
    assert_non_null(big);
    assert_string_equal(s, "hello");
    cairn_arena_reset(&a);
    assert_int_equal(cairn_testalloc_live_blocks(), base + 1);
    assert_non_null(cairn_arena_calloc(&a, 3, 5));
    cairn_arena_release(&a);
    assert_int_equal(cairn_testalloc_live_blocks(), base);
    cairn_testalloc_fail_at(1, true);
    cairn_arena_init(&a, 0);
    assert_null(cairn_arena_alloc(&a, 1));
    cairn_arena_release(&a);
}

static void test_buf(void **state)
{
    (void)state;
    cairn_buf b;
    cairn_buf_init(&b, 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    assert_int_equal(cairn_buf_puts(&b, "abc"), 0);
    assert_int_equal(cairn_buf_printf(&b, "-%d-%s", 42, "x"), 0);
    assert_string_equal(b.data, "abc-42-x");
    char longs[1000];
    memset(longs, 'z', sizeof longs - 1);
    longs[sizeof longs - 1] = '\0';
    assert_int_equal(cairn_buf_printf(&b, "%s", longs), 0);
    assert_int_equal(b.len, 8 + 999);
    assert_int_equal(b.data[b.len], '\0');
    cairn_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    cairn_buf_release(&b);
    assert_string_equal(b.data, "");

    cairn_buf capped;
    cairn_buf_init(&capped, 5);
    assert_int_equal(cairn_buf_puts(&capped, "12345"), 0);
    assert_int_equal(cairn_buf_putc(&capped, '6'), CAIRN_ELIMIT);
    assert_string_equal(capped.data, "12345");
    size_t len;
    char *d = cairn_buf_detach(&capped, &len);
    assert_int_equal(len, 5);
    assert_string_equal(d, "12345");
    assert_string_equal(capped.data, "");
    cairn_free(d);

    cairn_buf f;
    cairn_buf_init(&f, 0);
    cairn_buf_puts(&f, "keep");
    cairn_testalloc_fail_at(1, true);
    assert_int_equal(cairn_buf_append(&f, longs, 999), CAIRN_ENOMEM);
    assert_string_equal(f.data, "keep");
    cairn_testalloc_fail_at(0, false);
    cairn_buf_release(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counts_and_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arena, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buf, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
