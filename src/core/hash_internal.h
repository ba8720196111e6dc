/* hash_internal.h: switches of src/core/hash.c for tests and benchmarks; not public API. */
#ifndef CAIRN_CORE_HASH_INTERNAL_H
#define CAIRN_CORE_HASH_INTERNAL_H

#include <stdbool.h>

/* true: SHA-256 uses the portable compression even where SHA-NI is available, so tests can
 * compare the two paths. Process-wide; flip it only while no other thread is hashing. */
void cairn__sha256_force_portable(bool on);
/* Whether SHA-256 currently runs on SHA-NI (the CPU has it and it is not forced off). */
bool cairn__sha256_accelerated(void);

#endif
