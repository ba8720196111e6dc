/* src/feature/materialize_internal.h: what materialization (materialize.c) and online reads
 * (serve_read.c) share: the entity key bytes of the online store and the store's URL.
 *
 * Tests: tests/unit/feature/test_materialize.c.
 */
#ifndef CAIRN_MATERIALIZE_INTERNAL_H
#define CAIRN_MATERIALIZE_INTERNAL_H

#include "cairn/feature.h"

/* An entity key is its join keys' canonical text (cairn_value_format) joined by this byte,
 * in the entity's join key order: "ORD", "ORD\x1fLAX", "ORD\x1fLAX\x1f2001-01-02T08:00:00Z". */
#define CAIRN__KEY_SEP '\x1f'

/* Appends the key of n values (none null) to out. */
int cairn__entity_key_append(cairn_buf *out, const cairn_value *parts, size_t n);

/* The home's online store URL: the setting online.url, default "lmdb:<home>/online"; a
 * relative LMDB path is relative to the home (cairn.yaml's "lmdb:online"), as the catalog's.
 * CAIRN_ELIMIT when it does not fit in cap. */
int cairn__online_url(cairn_home *home, char *out, size_t cap);

#endif
