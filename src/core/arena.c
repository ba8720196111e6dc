/* arena.c: bump allocation in blocks, freed all at once.
 *
 * Blocks form a list, newest first; an allocation larger than a quarter of the block size
 * gets a block of its own so it does not waste the current one. reset keeps the oldest
 * block for reuse (the common per-request pattern). All pointers are 16-byte aligned.
 * Tests: tests/unit/core/test_arena.c.
 */
#include <string.h>

#include "cairn/core.h"

struct cairn_arena_block {
    cairn_arena_block *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    _Alignas(16) unsigned char data[];
};

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

void cairn_arena_init(cairn_arena *arena, size_t block_size)
{
    arena->head = NULL;
    arena->block_size = block_size ? block_size : 64 * 1024;
    arena->bytes_used = 0;
}

static cairn_arena_block *block_new(size_t size)
{
    if (size > SIZE_MAX - sizeof(cairn_arena_block)) return NULL;
    cairn_arena_block *b = cairn_malloc(sizeof *b + size);
    if (!b) return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

void *cairn_arena_alloc(cairn_arena *arena, size_t size)
{
    size_t need = ALIGN16(size ? size : 1);
    if (need < size) return NULL; /* overflow */
    cairn_arena_block *b = arena->head;
    if (b && b->size - b->used >= need) {
        void *p = b->data + b->used;
        b->used += need;
        arena->bytes_used += need;
        return p;
    }
    bool big = need > arena->block_size / 4;
    cairn_arena_block *nb = block_new(big ? need : arena->block_size);
    if (!nb) return NULL;
    if (big && b) { /* keep the current block on top: it still has room */
        nb->next = b->next;
        b->next = nb;
    } else {
        nb->next = b;
        arena->head = nb;
    }
    nb->used = need;
    arena->bytes_used += need;
    return nb->data;
}

void *cairn_arena_calloc(cairn_arena *arena, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = cairn_arena_alloc(arena, count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

char *cairn_arena_strndup(cairn_arena *arena, const char *s, size_t n)
{
    char *p = cairn_arena_alloc(arena, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *cairn_arena_strdup(cairn_arena *arena, const char *s)
{
    return cairn_arena_strndup(arena, s, strlen(s));
}

void cairn_arena_reset(cairn_arena *arena)
{
    cairn_arena_block *b = arena->head, *last = NULL;
    while (b) {
        cairn_arena_block *next = b->next;
        if (next == NULL) {
            last = b;
        } else {
            cairn_free(b);
        }
        b = next;
    }
    if (last) last->used = 0;
    arena->head = last;
    arena->bytes_used = 0;
}

void cairn_arena_release(cairn_arena *arena)
{
    cairn_arena_block *b = arena->head;
    while (b) {
        cairn_arena_block *next = b->next;
        cairn_free(b);
        b = next;
    }
    arena->head = NULL;
    arena->bytes_used = 0;
}
