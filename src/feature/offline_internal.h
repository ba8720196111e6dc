/* src/feature/offline_internal.h: what offline.c shares with training.c (and with
 * materialization, which must compute calendar features exactly as the offline path does):
 * a view table of an already loaded view, and the calendar values.
 *
 * Tests: tests/unit/feature/test_offline.c.
 */
#ifndef CAIRN_OFFLINE_INTERNAL_H
#define CAIRN_OFFLINE_INTERNAL_H

#include "feature/feature_internal.h"

/* cairn_feature_view_table for a loaded view (borrowed). */
int cairn__view_table(cairn_home *home, const cairn__view *view, const char *snapshot_ref,
                      cairn_table **out, char snapshot_id[65], bool *cached, cairn_error *err);
/* A calendar feature of a time in UTC microseconds (hour 0..23, day_of_week 0 = Monday,
 * month 1..12, day_of_month 1..31, holiday 0/1). */
int32_t cairn__calendar_value(cairn_calendar cal, int64_t us);
/* Is the day (days since the epoch, UTC) a US federal holiday as observed? */
bool cairn__is_us_holiday(int64_t days);

#endif
