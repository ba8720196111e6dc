/* src/core/alloc_internal.h: what alloc.c shares with json.c (private).
 *
 * jansson allocates through alloc.c's hook; when one of its allocations fails, jansson may
 * report a syntax error ("invalid token") instead of running out of memory. The hook notes
 * the failure per thread so that cairn_json_parse can return CAIRN_ENOMEM.
 *
 * Tests: tests/unit/ingest/test_ingest.c (test_allocation_failures), tests/unit/core/test_json.c.
 */
#ifndef CAIRN_ALLOC_INTERNAL_H
#define CAIRN_ALLOC_INTERNAL_H

#include <stdbool.h>

/* Did a jansson allocation fail on this thread since the last reset? reset clears it. */
bool cairn__json_alloc_failed(bool reset);

#endif
