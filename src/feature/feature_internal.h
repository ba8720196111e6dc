/* src/feature/feature_internal.h: what the feature store's files share privately: feature
 * views and services loaded back from the registry (src/feature/view_load.c).
 *
 * A loaded view is self-contained: its definition (as cairn_view_def, strings in its own
 * arena), its entity's join keys and its source's dataset reference, with the versions and
 * hashes the registry holds, so that offline computation, training sets and materialization
 * all see the same thing and can record exactly what they used.
 *
 * Tests: tests/unit/feature/test_view_load.c.
 */
#ifndef CAIRN_FEATURE_INTERNAL_H
#define CAIRN_FEATURE_INTERNAL_H

#include "cairn/feature.h"

typedef struct cairn__view {
    cairn_arena arena;
    cairn_view_def def;          /* features, event time, TTL, ... */
    int64_t version;             /* of the view */
    char hash[65];               /* of the view's canonical JSON */
    const char *const *join_keys; /* the entity's */
    size_t nkeys;
    int64_t entity_version;
    const char *dataset;         /* the source's "dataset" or "dataset@snapshot" */
    int64_t source_version;
} cairn__view;

/* Loads view `name` at `version` (0 = latest) with the latest versions of its entity and
 * source. CAIRN_ENOTFOUND names what is missing. */
int cairn__view_load(cairn_home *home, const char *name, int64_t version, cairn__view **out,
                     cairn_error *err);
void cairn__view_free(cairn__view *view);
/* The feature at `name` of a loaded view, or NULL. */
const cairn_feature_def *cairn__view_feature(const cairn__view *view, const char *name);

typedef struct cairn__service {
    char name[128];
    int64_t version;
    char hash[65];
    char **features;             /* "view:feature", in the service's order */
    size_t nfeatures;
} cairn__service;

int cairn__service_load(cairn_home *home, const char *name, int64_t version,
                        cairn__service **out, cairn_error *err);
void cairn__service_free(cairn__service *service);

#endif
