/* src/feature/stats_internal.h: how training sets (training.c) and materialization
 * (materialize.c) record per-feature statistics in the catalog table feature_stats
 * (src/feature/stats.c).
 *
 * Tests: tests/unit/feature/test_stats.c, tests/integration/test_feature_stats_cli.sh.
 */
#ifndef CAIRN_FEATURE_STATS_INTERNAL_H
#define CAIRN_FEATURE_STATS_INTERNAL_H

#include "cairn/feature.h"

/* Statistics of columns[i] of t, recorded as feature features[i] ("view:feature") of
 * (subject_kind, subject) at `version`, with the PSI against the latest other version
 * recorded for the same subject (matched by column name). Idempotent: rows already recorded
 * for this version are replaced, in one transaction; no transaction may be open on the
 * home's catalog. All arguments are borrowed. */
int cairn__feature_stats_record(cairn_home *home, const char *subject_kind, const char *subject,
                                const char *version, const cairn_table *t,
                                const char *const *columns, const char *const *features,
                                size_t n, cairn_error *err);

#endif
