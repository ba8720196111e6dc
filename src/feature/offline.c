/* src/feature/offline.c: feature views computed offline over a lake snapshot
 * (cairn_feature_view_table), and the calendar features they use.
 *
 * A view table holds, per source row and in the source's order, the entity's join keys, the
 * event time (and created time), then one column per feature in definition order: windows
 * from one cairn_window_compute call over the event time (specs get private output names, so
 * a feature may share its name with a source column), calendar features of their time column
 * in UTC, passthrough copies.
 *
 * Cache: the result of an unchanged view over an unchanged snapshot never changes, so it is
 * kept as a Parquet file named by SHA-256("<view hash>\n<snapshot id>") under
 * <home>/cache/views/<key>.parquet. The file is written under a temporary name and renamed
 * (cairn_parquet_write_file), so a reader sees a whole file or none; a file that fails to read
 * is recomputed and rewritten. The cache needs no catalog rows: deleting the directory only
 * costs recomputation. (It is not a content-addressed object: its name is not the hash of its
 * bytes, so it stays out of objects/ where cairn_object_get verifies names.)
 *
 * Holidays (CAIRN_CAL_HOLIDAY): the US federal holidays as observed: New Year's Day, Martin
 * Luther King Jr. Day (3rd Monday of January), Presidents' Day (3rd Monday of February),
 * Memorial Day (last Monday of May), Juneteenth (June 19, from 2021), Independence Day
 * (July 4), Labor Day (1st Monday of September), Columbus Day (2nd Monday of October),
 * Veterans Day (November 11), Thanksgiving (4th Thursday of November), Christmas (December
 * 25). A fixed-date holiday falling on a Saturday is observed the Friday before, on a Sunday
 * the Monday after; only the observed day counts (as pandas' USFederalHolidayCalendar), so
 * New Year's Day 2022 (a Saturday) makes 2021-12-31 a holiday.
 *
 * Tests: tests/unit/feature/test_offline.c, tests/integration/test_training_cli.sh.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cairn/feature.h"
#include "cairn/lake.h"
#include "cairn/parquet.h"
#include "feature/offline_internal.h"
#include "feature/feature_internal.h"

static int oom(cairn_error *err) { return cairn_error_set(err, CAIRN_ENOMEM, "out of memory"); }

/* ------------------------------------------------------------------------------------------
 * Calendar features
 * ---------------------------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

/* 0 = Monday ... 6 = Sunday; 1970-01-01 was a Thursday. */
static int weekday(int64_t days) { return (int)(((days + 3) % 7 + 7) % 7); }

/* Day of the month of the n-th (1-based) `wday` of month m in year y. */
static unsigned nth_weekday(int64_t y, unsigned m, int wday, int n)
{
    int first = weekday(cairn_days_from_civil(y, m, 1));
    return (unsigned)(1 + (wday - first + 7) % 7 + 7 * (n - 1));
}

static unsigned last_weekday(int64_t y, unsigned m, unsigned mdays, int wday)
{
    int last = weekday(cairn_days_from_civil(y, m, mdays));
    return mdays - (unsigned)((last - wday + 7) % 7);
}

/* The observed day of a fixed-date holiday. */
static int64_t observed(int64_t y, unsigned m, unsigned d)
{
    int64_t days = cairn_days_from_civil(y, m, d);
    int w = weekday(days);
    return w == 5 ? days - 1 : w == 6 ? days + 1 : days;
}

bool cairn__is_us_holiday(int64_t days)
{
    int64_t y;
    unsigned m, d;
    cairn_civil_from_days(days, &y, &m, &d);
    /* fixed dates, of this year and (for New Year's Day observed on December 31) the next */
    if (days == observed(y, 1, 1) || days == observed(y + 1, 1, 1) || days == observed(y, 7, 4) ||
        days == observed(y, 11, 11) || days == observed(y, 12, 25) ||
        (y >= 2021 && days == observed(y, 6, 19)))
        return true;
    int w = weekday(days);
    if (w == 0) {
        if (m == 1 && d == nth_weekday(y, 1, 0, 3)) return true;
        if (m == 2 && d == nth_weekday(y, 2, 0, 3)) return true;
        if (m == 5 && d == last_weekday(y, 5, 31, 0)) return true;
        if (m == 9 && d == nth_weekday(y, 9, 0, 1)) return true;
        if (m == 10 && d == nth_weekday(y, 10, 0, 2)) return true;
    }
    return w == 3 && m == 11 && d == nth_weekday(y, 11, 3, 4);
}

int32_t cairn__calendar_value(cairn_calendar cal, int64_t us)
{
    int64_t days = floor_div(us, INT64_C(86400000000));
    int64_t y;
    unsigned m, d;
    cairn_civil_from_days(days, &y, &m, &d);
    switch (cal) {
    case CAIRN_CAL_HOUR: return (int32_t)(floor_div(us, INT64_C(3600000000)) - days * 24);
    case CAIRN_CAL_DAY_OF_WEEK: return weekday(days);
    case CAIRN_CAL_MONTH: return (int32_t)m;
    case CAIRN_CAL_DAY_OF_MONTH: return (int32_t)d;
    case CAIRN_CAL_HOLIDAY: return cairn__is_us_holiday(days) ? 1 : 0;
    }
    return 0;
}

/* A calendar column of `time` (timestamp or date; null stays null). */
static int calendar_column(const cairn_column *time, const cairn_feature_def *f,
                           cairn_column **out, cairn_error *err)
{
    if (time->type != CAIRN_TYPE_TIMESTAMP && time->type != CAIRN_TYPE_DATE32)
        return cairn_error_set(err, CAIRN_ETYPE, "calendar feature '%s': column '%s' is %s, expected "
                               "a timestamp or date", f->name, f->column, cairn_type_name(time->type));
    cairn_column *c = NULL;
    int rc = cairn_column_create(f->name, CAIRN_TYPE_INT32, true, &c);
    if (rc == 0) rc = cairn_column_reserve(c, time->length, 0);
    for (int64_t i = 0; rc == 0 && i < time->length; i++) {
        if (!cairn_column_is_valid(time, i)) {
            rc = cairn_column_append_null(c);
            continue;
        }
        int64_t us = time->type == CAIRN_TYPE_DATE32 ? (int64_t)cairn_column_i32(time, i) * INT64_C(86400000000)
                                                     : cairn_column_i64(time, i);
        rc = cairn_column_append_int32(c, cairn__calendar_value(f->calendar, us));
    }
    if (rc) {
        cairn_column_free(c);
        return oom(err);
    }
    *out = c;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Computing a view table
 * ---------------------------------------------------------------------------------------- */

typedef struct names {
    const char *v[256];
    size_t n;
} names;

static int names_add(names *s, const char *name, cairn_error *err)
{
    if (!name) return 0;
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], name)) return 0;
    if (s->n == sizeof s->v / sizeof s->v[0])
        return cairn_error_set(err, CAIRN_ELIMIT, "a feature view may use at most 256 columns");
    s->v[s->n++] = name;
    return 0;
}

/* A copy of `src` named `name`, adopted by `dst`. */
static int adopt_copy(cairn_table *dst, const cairn_column *src, const char *name, cairn_error *err)
{
    cairn_column *c = NULL;
    if (cairn_column_copy(src, &c)) return oom(err);
    char *n = cairn_strdup(name);
    if (!n) {
        cairn_column_free(c);
        return oom(err);
    }
    cairn_free(c->name);
    c->name = n;
    return cairn_table_adopt_column(dst, c, err);
}

static int compute(cairn_home *home, const cairn__view *v, const cairn_snapshot *snap,
                   cairn_table **out, cairn_error *err)
{
    const cairn_view_def *d = &v->def;
    names cols = {.n = 0};
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < v->nkeys; k++) rc = names_add(&cols, v->join_keys[k], err);
    if (rc == 0) rc = names_add(&cols, d->event_time, err);
    if (rc == 0) rc = names_add(&cols, d->created_time, err);
    size_t nfixed = cols.n; /* keys and times, each once */
    for (size_t i = 0; rc == 0 && i < d->nfeatures; i++) rc = names_add(&cols, d->features[i].column, err);
    if (rc) return rc;
    cairn_table *src = NULL, *win = NULL, *res = NULL;
    if ((rc = cairn_lake_read(home, snap, cols.v, cols.n, false, &src, err))) return rc;

    /* every window feature in one pass over the event time, under private names */
    cairn_window_spec specs[256];
    char spec_names[256][24];
    size_t nspecs = 0;
    for (size_t i = 0; i < d->nfeatures && nspecs < 256; i++) {
        const cairn_feature_def *f = &d->features[i];
        if (f->kind != CAIRN_FEAT_WINDOW) continue;
        snprintf(spec_names[nspecs], sizeof spec_names[nspecs], "\x01w%zu", nspecs);
        specs[nspecs] = (cairn_window_spec){spec_names[nspecs], f->agg, f->column, f->window_us};
        nspecs++;
    }
    if (nspecs) {
        rc = cairn_window_compute(src, v->join_keys, v->nkeys, d->event_time, specs, nspecs, &win, err);
        if (rc) cairn_error_prefix(err, "feature view '%s': ", d->name);
    }
    if (rc == 0 && cairn_table_create(&res)) rc = oom(err);
    /* keys, times, then the features in definition order; a time that is also a key once */
    for (size_t i = 0; rc == 0 && i < nfixed; i++)
        rc = adopt_copy(res, cairn_table_column_by_name(src, cols.v[i]), cols.v[i], err);
    size_t w = 0;
    for (size_t i = 0; rc == 0 && i < d->nfeatures; i++) {
        const cairn_feature_def *f = &d->features[i];
        if (f->kind == CAIRN_FEAT_WINDOW) {
            rc = adopt_copy(res, cairn_table_column_by_name(win, spec_names[w++]), f->name, err);
        } else if (f->kind == CAIRN_FEAT_CALENDAR) {
            cairn_column *c = NULL;
            rc = calendar_column(cairn_table_column_by_name(src, f->column), f, &c, err);
            if (rc == 0) rc = cairn_table_adopt_column(res, c, err);
        } else {
            rc = adopt_copy(res, cairn_table_column_by_name(src, f->column), f->name, err);
        }
        if (rc == CAIRN_EEXIST)
            cairn_error_prefix(err, "feature view '%s': feature '%s' clashes with a key or time column: ",
                               d->name, f->name);
    }
    cairn_table_free(src);
    cairn_table_free(win);
    if (rc) {
        cairn_table_free(res);
        return rc;
    }
    *out = res;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * The cache and the API
 * ---------------------------------------------------------------------------------------- */

static int cache_path(cairn_home *home, const char *key, char *out, size_t cap, cairn_error *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/cache/views", cairn_home_path(home));
    int rc = cairn_mkdir_p(dir, 0755, err);
    if (rc) return rc;
    if ((size_t)snprintf(out, cap, "%s/%s.parquet", dir, key) >= cap)
        return cairn_error_set(err, CAIRN_ELIMIT, "home path too long: %s", dir);
    return 0;
}

/* The snapshot a view reads: ref as given ("ds@x", or "x" meaning the source's dataset at
 * x), else the source's own reference (pinned or head). */
static int resolve(cairn_home *home, const cairn__view *v, const char *ref, cairn_snapshot **snap,
                   cairn_error *err)
{
    char buf[512];
    const char *use = v->dataset;
    if (ref && strchr(ref, '@')) {
        use = ref;
    } else if (ref) {
        snprintf(buf, sizeof buf, "%.*s@%s", (int)strcspn(v->dataset, "@"), v->dataset, ref);
        use = buf;
    }
    int rc = cairn_snapshot_resolve(home, use, snap, err);
    if (rc) cairn_error_prefix(err, "feature view '%s': source '%s': ", v->def.name, use);
    return rc;
}

int cairn__view_table(cairn_home *home, const cairn__view *v, const char *snapshot_ref,
                      cairn_table **out, char snapshot_id[65], bool *cached, cairn_error *err)
{
    cairn_snapshot *snap = NULL;
    int rc = resolve(home, v, snapshot_ref, &snap, err);
    if (rc) return rc;
    if (snapshot_id) snprintf(snapshot_id, 65, "%s", snap->id);
    char text[200], key[65], path[4200];
    uint8_t digest[CAIRN_SHA256_LEN];
    int len = snprintf(text, sizeof text, "%s\n%s", v->hash, snap->id);
    cairn_sha256_digest(text, (size_t)len, digest);
    cairn_hex_encode(digest, sizeof digest, key);
    rc = cache_path(home, key, path, sizeof path, err);
    if (rc == 0 && cairn_path_exists(path)) {
        cairn_error ignored;
        cairn_error_clear(&ignored);
        if (cairn_parquet_read_file(path, NULL, out, &ignored) == 0) {
            if (cached) *cached = true;
            cairn_snapshot_free(snap);
            return 0;
        }
        cairn_log(CAIRN_LOG_WARN, "view cache %s unreadable, recomputing: %s", path, ignored.message);
    }
    cairn_table *t = NULL;
    if (rc == 0) rc = compute(home, v, snap, &t, err);
    if (rc == 0) {
        cairn_error werr;
        cairn_error_clear(&werr);
        if (cairn_parquet_write_file(t, path, NULL, &werr))
            cairn_log(CAIRN_LOG_WARN, "view cache %s not written: %s", path, werr.message);
    }
    cairn_snapshot_free(snap);
    if (rc) return rc;
    if (cached) *cached = false;
    *out = t;
    return 0;
}

int cairn_feature_view_table(cairn_home *home, const char *view, int64_t version,
                             const char *snapshot_ref, cairn_table **out, char snapshot_id[65],
                             bool *cached, cairn_error *err)
{
    *out = NULL;
    if (cached) *cached = false;
    cairn__view *v = NULL;
    int rc = cairn__view_load(home, view, version, &v, err);
    if (rc) return rc;
    rc = cairn__view_table(home, v, snapshot_ref, out, snapshot_id, cached, err);
    cairn__view_free(v);
    return rc;
}
