/* alloc.c: the allocator hook every Cairn allocation goes through, and the test allocator.
 *
 * cairn_malloc & co call the installed cairn_allocator (the C library by default). The
 * test allocator prefixes each block with a 16-byte header holding its size, so it can
 * count live blocks and bytes, and refuses the N-th allocation (optionally all after it):
 * the torture tests walk N = 1, 2, ... over an operation and check that every failure
 * returns CAIRN_ENOMEM with nothing leaked. Counters are atomics, so pool threads may
 * allocate concurrently. jansson is routed through the hook too (json_set_alloc_funcs).
 * Tests: tests/unit/core/test_alloc.c.
 */
#include <jansson.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/core.h"
#include "core/alloc_internal.h"

static void *libc_malloc(void *ud, size_t size)
{
    (void)ud;
    return malloc(size ? size : 1);
}
static void *libc_realloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    return realloc(ptr, size ? size : 1);
}
static void libc_free(void *ud, void *ptr)
{
    (void)ud;
    free(ptr);
}

static cairn_allocator current = {libc_malloc, libc_realloc, libc_free, NULL};

/* Set when an allocation of jansson's fails on this thread: jansson reports some of them as
 * syntax errors, so cairn_json_parse asks here to tell the two apart. */
static _Thread_local bool json_alloc_failed;

static void *json_malloc(size_t n)
{
    void *p = cairn_malloc(n);
    if (!p) json_alloc_failed = true;
    return p;
}

bool cairn__json_alloc_failed(bool reset)
{
    bool failed = json_alloc_failed;
    if (reset) json_alloc_failed = false;
    return failed;
}

void cairn_set_allocator(const cairn_allocator *allocator)
{
    if (allocator)
        current = *allocator;
    else
        current = (cairn_allocator){libc_malloc, libc_realloc, libc_free, NULL};
    json_set_alloc_funcs(json_malloc, cairn_free);
}

void *cairn_malloc(size_t size)
{
    return current.malloc_fn(current.ud, size);
}

void *cairn_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = cairn_malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *cairn_realloc(void *ptr, size_t size)
{
    if (!ptr) return cairn_malloc(size);
    return current.realloc_fn(current.ud, ptr, size);
}

void cairn_free(void *ptr)
{
    if (ptr) current.free_fn(current.ud, ptr);
}

char *cairn_strndup(const char *s, size_t n)
{
    char *p = cairn_malloc(n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *cairn_strdup(const char *s)
{
    return cairn_strndup(s, strlen(s));
}

int cairn_grow(void **ptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) return CAIRN_ENOMEM;
        ncap *= 2;
    }
    if (elem && ncap > SIZE_MAX / elem) return CAIRN_ENOMEM;
    void *p = cairn_realloc(*ptr, ncap * elem);
    if (!p) return CAIRN_ENOMEM;
    *ptr = p;
    *cap = ncap;
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * The test allocator
 * ------------------------------------------------------------------------------------- */

#define TA_HEADER 16 /* keeps 16-byte alignment of the user pointer */

static atomic_llong ta_count, ta_live_blocks, ta_live_bytes, ta_failures, ta_fail_at;
static atomic_bool ta_fail_after;

static bool ta_should_fail(void)
{
    long long n = atomic_fetch_add(&ta_count, 1) + 1;
    long long at = atomic_load(&ta_fail_at);
    if (at > 0 && (n == at || (n > at && atomic_load(&ta_fail_after)))) {
        atomic_fetch_add(&ta_failures, 1);
        return true;
    }
    return false;
}

static void *ta_malloc(void *ud, size_t size)
{
    (void)ud;
    if (ta_should_fail() || size > SIZE_MAX - TA_HEADER) return NULL;
    unsigned char *p = malloc(size + TA_HEADER);
    if (!p) return NULL;
    memcpy(p, &size, sizeof size);
    atomic_fetch_add(&ta_live_blocks, 1);
    atomic_fetch_add(&ta_live_bytes, (long long)size);
    return p + TA_HEADER;
}

static void *ta_realloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (ta_should_fail() || size > SIZE_MAX - TA_HEADER) return NULL;
    unsigned char *base = (unsigned char *)ptr - TA_HEADER;
    size_t old;
    memcpy(&old, base, sizeof old);
    unsigned char *p = realloc(base, size + TA_HEADER);
    if (!p) return NULL;
    memcpy(p, &size, sizeof size);
    atomic_fetch_add(&ta_live_bytes, (long long)size - (long long)old);
    return p + TA_HEADER;
}

static void ta_free(void *ud, void *ptr)
{
    (void)ud;
    unsigned char *base = (unsigned char *)ptr - TA_HEADER;
    size_t old;
    memcpy(&old, base, sizeof old);
    atomic_fetch_sub(&ta_live_blocks, 1);
    atomic_fetch_sub(&ta_live_bytes, (long long)old);
    free(base);
}

void cairn_testalloc_install(void)
{
    cairn_testalloc_reset_counts();
    atomic_store(&ta_fail_at, 0);
    cairn_set_allocator(&(cairn_allocator){ta_malloc, ta_realloc, ta_free, NULL});
}

void cairn_testalloc_uninstall(void)
{
    cairn_set_allocator(NULL);
}

void cairn_testalloc_fail_at(int64_t nth, bool fail_after)
{
    atomic_store(&ta_fail_after, fail_after);
    atomic_store(&ta_count, 0);
    atomic_store(&ta_fail_at, (long long)nth);
}

int64_t cairn_testalloc_count(void)
{
    return atomic_load(&ta_count);
}
int64_t cairn_testalloc_live_blocks(void)
{
    return atomic_load(&ta_live_blocks);
}
int64_t cairn_testalloc_live_bytes(void)
{
    return atomic_load(&ta_live_bytes);
}
int64_t cairn_testalloc_failures(void)
{
    return atomic_load(&ta_failures);
}
void cairn_testalloc_reset_counts(void)
{
    atomic_store(&ta_count, 0);
    atomic_store(&ta_failures, 0);
}
