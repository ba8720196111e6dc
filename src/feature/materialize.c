/* src/feature/materialize.c: materialization, the feature views' latest values written to the
 * online store (cairn_materialize in include/cairn/feature.h).
 *
 * For one view and a range [start, end) the work is, reading the source snapshot one file
 * (partition) at a time and skipping the files whose event-time range (from the manifest)
 * cannot matter:
 *   1. the files that meet [start, end), keys and times only: per entity key with an event in
 *      [start, end), where its latest event before end is (ties: the latest created time, then
 *      the later file and row);
 *   2. the files holding those latest events, all needed columns (join keys, event and
 *      created times, the features' columns): one row per entity;
 *   3. windows as of end: the files that meet [end - longest window, end), the entities'
 *      rows in that range, plus one synthetic query row per entity at time `end` go through
 *      cairn_window_compute; the aggregates of the query rows cover [end - w, end), end
 *      itself excluded, the same rule as offline;
 *   4. calendar and passthrough features from the latest event, and one compact JSON record
 *      {"feature": value, ...} per entity (numbers as numbers, timestamps as ISO text, null
 *      as null) stamped with the latest event's time, created time = end (so that a later
 *      run over the same latest event replaces the value and an earlier run never does),
 *      written with cairn_online_put in batches;
 *   5. the run is recorded in feature_materializations (incremental runs start at the
 *      greatest recorded end). A run of a new view version first clears the view's values,
 *      which were computed by the old definition.
 * Memory is bounded by the output and the longest window, not by the range or the dataset:
 * one file's columns at a time, the entity set, one latest row per entity, and the rows of
 * the last `longest window` of time for the windows.
 *
 * Entity key bytes (shared with serve_read.c): the join keys' canonical text
 * (cairn_value_format) joined by '\x1f'.
 *
 * A run that writes values also records their per-feature statistics and PSI against the
 * view's previous run (record_stats below, src/feature/stats.c).
 *
 * Tests: tests/unit/feature/test_materialize.c, tests/integration/test_materialize_cli.sh,
 * tests/integration/test_feature_stats_cli.sh.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cairn/lake.h"
#include "feature/feature_internal.h"
#include "feature/materialize_internal.h"
#include "feature/offline_internal.h" /* calendar values, the same as offline */
#include "feature/stats_internal.h"

#define PUT_BATCH 65536
#define T_COLUMN "__cairn_mat_t"

/* ------------------------------------------------------------------------------------------
 * Small helpers: time values, JSON values
 * ---------------------------------------------------------------------------------------- */

static int oom(cairn_error *err)
{
    return cairn_error_set(err, CAIRN_ENOMEM, "out of memory");
}

/* A time column's value in microseconds (a date is midnight UTC; ints are taken as they
 * are, the unit of window_us). */
static int64_t time_at(const cairn_column *c, int64_t i)
{
    switch (c->type) {
    case CAIRN_TYPE_DATE32: return (int64_t)cairn_column_i32(c, i) * CAIRN_US_PER_DAY;
    case CAIRN_TYPE_INT32: return cairn_column_i32(c, i);
    default: return cairn_column_i64(c, i);
    }
}

/* Appends the JSON of a value: numbers as numbers, timestamps and dates as ISO text. */
static int put_json_value(cairn_buf *b, const cairn_value *v)
{
    if (v->is_null) return cairn_buf_puts(b, "null");
    switch (v->type) {
    case CAIRN_TYPE_BOOL: return cairn_buf_puts(b, v->v.b ? "true" : "false");
    case CAIRN_TYPE_INT32: return cairn_buf_printf(b, "%" PRId32, v->v.i32);
    case CAIRN_TYPE_INT64: return cairn_buf_printf(b, "%" PRId64, v->v.i64);
    case CAIRN_TYPE_FLOAT32: return cairn_json_put_double(b, v->v.f32);
    case CAIRN_TYPE_FLOAT64: return cairn_json_put_double(b, v->v.f64);
    case CAIRN_TYPE_STRING: return cairn_json_put_string(b, v->v.str.ptr, v->v.str.len);
    default: {
        cairn_buf t;
        cairn_buf_init(&t, 0);
        int rc = cairn_value_format(v, NULL, &t);
        if (rc == 0) rc = cairn_json_put_string(b, t.data, t.len);
        cairn_buf_release(&t);
        return rc;
    }
    }
}

int cairn__entity_key_append(cairn_buf *out, const cairn_value *parts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = i ? cairn_buf_putc(out, CAIRN__KEY_SEP) : 0;
        if (rc == 0) rc = cairn_value_format(&parts[i], NULL, out);
        if (rc) return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Entities: key text -> latest event, in an open-addressing hash table
 * ---------------------------------------------------------------------------------------- */

typedef struct entity {
    size_t off, len;     /* key text in the set's buffer */
    uint64_t hash;
    int64_t file, row;   /* the latest event: file in the snapshot, row in the file */
    int64_t t, c;        /* its event and created times */
    int64_t lrow;        /* its row in the job's table of latest rows */
} entity;

typedef struct entity_set {
    cairn_buf keys;
    entity *items;
    size_t n, cap;
    int64_t *slots;      /* index into items, -1 empty */
    size_t nslots;
} entity_set;

static void set_release(entity_set *s)
{
    cairn_buf_release(&s->keys);
    cairn_free(s->items);
    cairn_free(s->slots);
}

static int set_rehash(entity_set *s)
{
    size_t n = s->nslots ? s->nslots * 2 : 1024;
    int64_t *slots = cairn_malloc(n * sizeof *slots);
    if (!slots) return CAIRN_ENOMEM;
    memset(slots, 0xff, n * sizeof *slots);
    for (size_t i = 0; i < s->n; i++) {
        size_t j = s->items[i].hash & (n - 1);
        while (slots[j] >= 0) j = (j + 1) & (n - 1);
        slots[j] = (int64_t)i;
    }
    cairn_free(s->slots);
    s->slots = slots;
    s->nslots = n;
    return 0;
}

/* The entity of key[0..len), or -1 (insert false) / a new one (insert true). *idx < -1 on
 * allocation failure. */
static int set_find(entity_set *s, const char *key, size_t len, bool insert, int64_t *idx)
{
    uint64_t h = cairn_hash64(key, len, 0);
    if (insert && (s->n + 1) * 2 > s->nslots && set_rehash(s)) return CAIRN_ENOMEM;
    if (!s->nslots) {
        *idx = -1;
        return 0;
    }
    size_t j = h & (s->nslots - 1);
    for (; s->slots[j] >= 0; j = (j + 1) & (s->nslots - 1)) {
        const entity *e = &s->items[s->slots[j]];
        if (e->hash == h && e->len == len && !memcmp(s->keys.data + e->off, key, len)) {
            *idx = s->slots[j];
            return 0;
        }
    }
    if (!insert) {
        *idx = -1;
        return 0;
    }
    if (cairn_grow((void **)&s->items, &s->cap, s->n + 1, sizeof *s->items)) return CAIRN_ENOMEM;
    entity *e = &s->items[s->n];
    e->off = s->keys.len;
    e->len = len;
    e->hash = h;
    e->row = -1;
    if (cairn_buf_append(&s->keys, key, len)) return CAIRN_ENOMEM;
    s->slots[j] = (int64_t)s->n;
    *idx = (int64_t)s->n++;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * One view
 * ---------------------------------------------------------------------------------------- */

typedef struct job {
    cairn_home *home;
    cairn_online *store;
    cairn__view *view;
    int64_t start, end;          /* start INT64_MIN = from the beginning */
    cairn_snapshot *snap;
    cairn_table *t;              /* the needed columns of the entities' latest rows */
    int *keycol;                 /* the join keys' indices in t */
    int tcol, ccol;              /* event, created time (-1 none) */
    entity_set set;
    cairn_table *w;              /* window results; entity e's is row wbase + lrow */
    int64_t wbase;
    int64_t entities, written, skipped;
} job;

static int64_t max_window(const cairn__view *v)
{
    int64_t m = 0;
    for (size_t i = 0; i < v->def.nfeatures; i++)
        if (v->def.features[i].kind == CAIRN_FEAT_WINDOW && v->def.features[i].window_us > m)
            m = v->def.features[i].window_us;
    return m;
}

static const char *feature_column(const cairn_feature_def *f)
{
    return f->column ? f->column : f->name;
}

static bool add_name(const char **names, size_t *n, const char *name)
{
    if (!name) return false;
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(names[i], name)) return false;
    names[(*n)++] = name;
    return true;
}

/* The needed column names: join keys, event and created time, the features' columns. */
static int needed_names(const job *j, const char ***out, size_t *n)
{
    const cairn_view_def *d = &j->view->def;
    const char **names = cairn_calloc(j->view->nkeys + 2 + d->nfeatures, sizeof *names);
    if (!names) return CAIRN_ENOMEM;
    *n = 0;
    for (size_t i = 0; i < j->view->nkeys; i++) add_name(names, n, j->view->join_keys[i]);
    add_name(names, n, d->event_time);
    add_name(names, n, d->created_time);
    for (size_t i = 0; i < d->nfeatures; i++)
        if (d->features[i].kind != CAIRN_FEAT_WINDOW || d->features[i].column)
            add_name(names, n, feature_column(&d->features[i]));
    *out = names;
    return 0;
}

/* Whether file f can hold events in [lo, hi). */
static bool file_meets(const cairn_lake_file *f, int64_t lo, int64_t hi)
{
    return !f->has_event_time || (f->min_event_us < hi && f->max_event_us >= lo);
}

/* The given columns of one snapshot file. */
static int read_file(job *j, size_t file, const char *const *names, size_t n, cairn_table **out,
                     cairn_error *err)
{
    cairn_snapshot sub = *j->snap;
    sub.files = &j->snap->files[file];
    sub.nfiles = 1;
    return cairn_lake_read(j->home, &sub, names, n, false, out, err);
}

/* Column indices of the keys and times in table t (read with needed_names, or a prefix). */
static int find_columns(job *j, const cairn_table *t, cairn_error *err)
{
    const cairn_view_def *d = &j->view->def;
    if (!j->keycol && !(j->keycol = cairn_calloc(j->view->nkeys, sizeof *j->keycol))) return oom(err);
    for (size_t i = 0; i < j->view->nkeys; i++) j->keycol[i] = (int)cairn_table_find(t, j->view->join_keys[i]);
    j->tcol = (int)cairn_table_find(t, d->event_time);
    j->ccol = d->created_time ? (int)cairn_table_find(t, d->created_time) : -1;
    const cairn_column *tc = cairn_table_column(t, (size_t)j->tcol);
    if (tc->type == CAIRN_TYPE_STRING || tc->type == CAIRN_TYPE_BOOL || tc->type == CAIRN_TYPE_FLOAT32 ||
        tc->type == CAIRN_TYPE_FLOAT64)
        return cairn_error_set(err, CAIRN_ETYPE, "event time column '%s' is a %s, not a timestamp or date",
                               d->event_time, cairn_type_name(tc->type));
    return 0;
}

/* The key text of row i of t into out; false when a key part is null (such rows are skipped:
 * a null key can never be looked up). */
static bool row_key(const job *j, const cairn_table *t, int64_t i, cairn_buf *out, int *rc)
{
    cairn_value parts[16];
    size_t n = j->view->nkeys;
    cairn_buf_reset(out);
    *rc = 0;
    if (n > 16) {
        *rc = CAIRN_ELIMIT;
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        cairn_column_get(cairn_table_column(t, (size_t)j->keycol[k]), i, &parts[k]);
        if (parts[k].is_null) return false;
    }
    *rc = cairn__entity_key_append(out, parts, n);
    return *rc == 0;
}

/* Pass 1, file by file, reading only the keys and times: the entities with an event in
 * [start, end) and where their latest event is (ties: the latest created time, then the
 * later file and row). */
static int find_entities(job *j, cairn_error *err)
{
    const cairn_view_def *d = &j->view->def;
    const char *names[18];
    size_t n = 0;
    if (j->view->nkeys > 16) return cairn_error_set(err, CAIRN_ELIMIT, "more than 16 join keys");
    for (size_t i = 0; i < j->view->nkeys; i++) add_name(names, &n, j->view->join_keys[i]);
    add_name(names, &n, d->event_time);
    add_name(names, &n, d->created_time);
    cairn_buf key;
    cairn_buf_init(&key, 0);
    int rc = 0;
    for (size_t f = 0; rc == 0 && f < j->snap->nfiles; f++) {
        if (!file_meets(&j->snap->files[f], j->start, j->end)) continue;
        cairn_table *t = NULL;
        if ((rc = read_file(j, f, names, n, &t, err)) || (rc = find_columns(j, t, err))) {
            cairn_table_free(t);
            break;
        }
        const cairn_column *tc = cairn_table_column(t, (size_t)j->tcol);
        const cairn_column *cc = j->ccol >= 0 ? cairn_table_column(t, (size_t)j->ccol) : NULL;
        for (int64_t i = 0; i < cairn_table_num_rows(t) && rc == 0; i++) {
            if (!cairn_column_is_valid(tc, i)) continue;
            int64_t tv = time_at(tc, i);
            if (tv < j->start || tv >= j->end) continue;
            if (!row_key(j, t, i, &key, &rc)) continue;
            int64_t idx;
            if ((rc = set_find(&j->set, key.data, key.len, true, &idx))) break;
            int64_t c = cc && cairn_column_is_valid(cc, i) ? time_at(cc, i) : INT64_MIN;
            entity *e = &j->set.items[idx];
            if (e->row < 0 || tv > e->t || (tv == e->t && c >= e->c)) {
                e->file = (int64_t)f;
                e->row = i;
                e->t = tv;
                e->c = c;
            }
        }
        cairn_table_free(t);
        if (rc) rc = oom(err); /* set_find and row_key fail only for memory */
    }
    cairn_buf_release(&key);
    return rc;
}

/* Pass 2: the entities' latest rows, all needed columns, into j->t, reading only the files
 * that hold one (entity e's row is items[e].lrow). */
static int read_latest(job *j, const char *const *names, size_t n, cairn_error *err)
{
    size_t nfiles = j->snap->nfiles;
    size_t *start = cairn_calloc(nfiles + 1, sizeof *start);
    int64_t *order = cairn_malloc((j->set.n ? j->set.n : 1) * sizeof *order);
    int64_t *rows = cairn_malloc((j->set.n ? j->set.n : 1) * sizeof *rows);
    int rc = start && order && rows ? 0 : oom(err);
    /* entities grouped by file (counting sort) */
    for (size_t e = 0; rc == 0 && e < j->set.n; e++) start[j->set.items[e].file + 1]++;
    for (size_t f = 0; rc == 0 && f < nfiles; f++) start[f + 1] += start[f];
    for (size_t e = 0; rc == 0 && e < j->set.n; e++) order[start[j->set.items[e].file]++] = (int64_t)e;
    for (size_t f = nfiles; rc == 0 && f > 0; f--) start[f] = start[f - 1];
    if (rc == 0) start[0] = 0;
    for (size_t f = 0; rc == 0 && f < nfiles; f++) {
        if (start[f] == start[f + 1]) continue;
        cairn_table *t = NULL, *part = NULL;
        size_t m = start[f + 1] - start[f];
        for (size_t k = 0; k < m; k++) {
            entity *e = &j->set.items[order[start[f] + k]];
            rows[k] = e->row;
            e->lrow = (j->t ? cairn_table_num_rows(j->t) : 0) + (int64_t)k;
        }
        rc = read_file(j, f, names, n, &t, err);
        if (rc == 0 && cairn_table_take(t, rows, (int64_t)m, &part)) rc = oom(err);
        if (rc == 0 && !j->t) {
            j->t = part;
            part = NULL;
        } else if (rc == 0) {
            rc = cairn_table_append(j->t, part, err);
        }
        cairn_table_free(part);
        cairn_table_free(t);
    }
    if (rc == 0 && j->t) rc = find_columns(j, j->t, err);
    cairn_free(start);
    cairn_free(order);
    cairn_free(rows);
    return rc;
}

/* Pass 3, windows as of end for every entity: the entities' rows in [end - longest window,
 * end), file by file, then one query row per entity at `end` (its latest row with the time
 * replaced), through cairn_window_compute. */
static int compute_windows(job *j, const char *const *names, size_t n, int64_t maxw, cairn_error *err)
{
    const cairn_view_def *d = &j->view->def;
    size_t nspecs = 0;
    for (size_t i = 0; i < d->nfeatures; i++) nspecs += d->features[i].kind == CAIRN_FEAT_WINDOW;
    if (!nspecs || !j->set.n) return 0;
    int64_t lo = j->end - maxw;
    cairn_window_spec *specs = cairn_calloc(nspecs, sizeof *specs);
    char(*wnames)[32] = cairn_calloc(nspecs, sizeof *wnames);
    cairn_buf key;
    cairn_buf_init(&key, 0);
    cairn_table *src = NULL;
    cairn_column *tcol = NULL;
    int rc = (!specs || !wnames) ? oom(err) : 0;
    if (rc == 0 && cairn_column_create(T_COLUMN, CAIRN_TYPE_TIMESTAMP, true, &tcol)) rc = oom(err);
    for (size_t f = 0; rc == 0 && f < j->snap->nfiles; f++) {
        if (!file_meets(&j->snap->files[f], lo, j->end)) continue;
        cairn_table *t = NULL, *part = NULL;
        int64_t *idx = NULL, nidx = 0;
        rc = read_file(j, f, names, n, &t, err);
        if (rc == 0) rc = find_columns(j, t, err);
        if (rc == 0 && !(idx = cairn_malloc(((size_t)cairn_table_num_rows(t) + 1) * sizeof *idx))) rc = oom(err);
        const cairn_column *tc = rc == 0 ? cairn_table_column(t, (size_t)j->tcol) : NULL;
        for (int64_t i = 0; rc == 0 && i < cairn_table_num_rows(t); i++) {
            if (!cairn_column_is_valid(tc, i)) continue;
            int64_t tv = time_at(tc, i), e;
            if (tv < lo || tv >= j->end || !row_key(j, t, i, &key, &rc)) continue;
            if ((rc = set_find(&j->set, key.data, key.len, false, &e)) == 0 && e >= 0) {
                idx[nidx++] = i;
                rc = cairn_column_append_int64(tcol, tv);
            }
        }
        if (rc == CAIRN_ENOMEM || rc == CAIRN_ELIMIT) rc = oom(err);
        if (rc == 0 && cairn_table_take(t, idx, nidx, &part)) rc = oom(err);
        if (rc == 0 && !src) {
            src = part;
            part = NULL;
        } else if (rc == 0) {
            rc = cairn_table_append(src, part, err);
        }
        cairn_table_free(part);
        cairn_table_free(t);
        cairn_free(idx);
    }
    j->wbase = src ? cairn_table_num_rows(src) : 0;
    if (rc == 0 && !src) rc = cairn_table_copy(j->t, &src) ? oom(err) : 0;
    else if (rc == 0) rc = cairn_table_append(src, j->t, err);
    for (int64_t i = 0; rc == 0 && i < cairn_table_num_rows(j->t); i++)
        if (cairn_column_append_int64(tcol, j->end)) rc = oom(err);
    if (rc == 0) {
        rc = cairn_table_adopt_column(src, tcol, err);
        tcol = NULL;
    }
    for (size_t i = 0, s = 0; rc == 0 && i < d->nfeatures; i++) {
        const cairn_feature_def *fd = &d->features[i];
        if (fd->kind != CAIRN_FEAT_WINDOW) continue;
        snprintf(wnames[s], sizeof wnames[s], "__cairn_mat_w%zu", i);
        specs[s] = (cairn_window_spec){wnames[s], fd->agg, fd->column, fd->window_us};
        s++;
    }
    if (rc == 0)
        rc = cairn_window_compute(src, j->view->join_keys, j->view->nkeys, T_COLUMN, specs, nspecs,
                                  &j->w, err);
    cairn_buf_release(&key);
    cairn_column_free(tcol);
    cairn_table_free(src);
    cairn_free(specs);
    cairn_free(wnames);
    if (rc == 0) rc = find_columns(j, j->t, err);
    return rc;
}

/* The JSON record of entity e. */
static int encode_entity(const job *j, size_t e, cairn_buf *out)
{
    const cairn_view_def *d = &j->view->def;
    int64_t row = j->set.items[e].lrow;
    int rc = cairn_buf_putc(out, '{');
    for (size_t i = 0; rc == 0 && i < d->nfeatures; i++) {
        const cairn_feature_def *f = &d->features[i];
        cairn_value v;
        if (i) rc = cairn_buf_putc(out, ',');
        if (rc == 0) rc = cairn_json_put_string(out, f->name, strlen(f->name));
        if (rc == 0) rc = cairn_buf_putc(out, ':');
        if (rc) break;
        if (f->kind == CAIRN_FEAT_WINDOW) {
            char name[32];
            snprintf(name, sizeof name, "__cairn_mat_w%zu", i);
            cairn_column_get(cairn_table_column_by_name(j->w, name), j->wbase + row, &v);
        } else {
            const cairn_column *c = cairn_table_column_by_name(j->t, feature_column(f));
            cairn_column_get(c, row, &v);
            if (f->kind == CAIRN_FEAT_CALENDAR && !v.is_null) {
                int64_t us = time_at(c, row);
                v.type = CAIRN_TYPE_INT64;
                v.v.i64 = cairn__calendar_value(f->calendar, us);
            }
        }
        rc = put_json_value(out, &v);
    }
    return rc ? rc : cairn_buf_putc(out, '}');
}

static int write_entities(job *j, cairn_error *err)
{
    cairn_online_row *rows = cairn_calloc(PUT_BATCH, sizeof *rows);
    size_t *offs = cairn_calloc(PUT_BATCH, sizeof *offs);
    cairn_buf vals;
    cairn_buf_init(&vals, 0);
    int rc = rows && offs ? 0 : oom(err);
    for (size_t b = 0; rc == 0 && b < j->set.n; b += PUT_BATCH) {
        size_t n = j->set.n - b < PUT_BATCH ? j->set.n - b : PUT_BATCH;
        cairn_buf_reset(&vals);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            offs[i] = vals.len;
            if (encode_entity(j, b + i, &vals)) rc = oom(err);
        }
        for (size_t i = 0; rc == 0 && i < n; i++) {
            const entity *e = &j->set.items[b + i];
            rows[i] = (cairn_online_row){j->set.keys.data + e->off, e->len, e->t, j->end,
                                         vals.data + offs[i], (i + 1 < n ? offs[i + 1] : vals.len) - offs[i]};
        }
        int64_t written = 0;
        if (rc == 0) rc = cairn_online_put(j->store, j->view->def.name, rows, n, &written, err);
        j->written += written;
        if (rc == 0) j->skipped += (int64_t)n - written;
    }
    cairn_buf_release(&vals);
    cairn_free(rows);
    cairn_free(offs);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * The run records (feature_materializations)
 * ---------------------------------------------------------------------------------------- */

/* The greatest recorded end of the view (*found false when none) and the view version of its
 * latest run. */
static int last_run(cairn_home *home, const char *view, bool *found, int64_t *end, int64_t *version,
                    cairn_error *err)
{
    cairn_stmt *st = NULL;
    *found = false;
    int rc = cairn_catalog_prepare(cairn_home_catalog(home),
                                   "SELECT (SELECT MAX(end_us) FROM feature_materializations WHERE view = ?1), "
                                   "view_version FROM feature_materializations WHERE view = ?1 "
                                   "ORDER BY id DESC LIMIT 1",
                                   &st, err);
    if (rc) return rc;
    cairn_stmt_bind_text(st, 1, view, strlen(view));
    rc = cairn_stmt_step(st, err);
    if (rc == 1) {
        *found = true;
        *end = cairn_stmt_int64(st, 0);
        *version = cairn_stmt_int64(st, 1);
        rc = 0;
    }
    cairn_stmt_finalize(st);
    return rc;
}

static int record_run(const job *j, cairn_error *err)
{
    cairn_stmt *st = NULL;
    char at[CAIRN_TIME_FMT_LEN];
    cairn_time_format(cairn_now_us(), at, sizeof at);
    int rc = cairn_catalog_prepare(
        cairn_home_catalog(j->home),
        "INSERT INTO feature_materializations (id, view, view_version, snapshot, start_us, end_us, "
        "entities, written, at) SELECT COALESCE(MAX(id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ? "
        "FROM feature_materializations",
        &st, err);
    if (rc) return rc;
    const char *name = j->view->def.name;
    cairn_stmt_bind_text(st, 1, name, strlen(name));
    cairn_stmt_bind_int64(st, 2, j->view->version);
    if (j->snap) cairn_stmt_bind_text(st, 3, j->snap->id, strlen(j->snap->id));
    else cairn_stmt_bind_null(st, 3);
    cairn_stmt_bind_int64(st, 4, j->start == INT64_MIN ? 0 : j->start);
    cairn_stmt_bind_int64(st, 5, j->end);
    cairn_stmt_bind_int64(st, 6, j->entities);
    cairn_stmt_bind_int64(st, 7, j->written);
    cairn_stmt_bind_text(st, 8, at, strlen(at));
    rc = cairn_stmt_step(st, err);
    cairn_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------------------------------
 * Feature statistics of a run (src/feature/stats.c): the values written, one column per
 * feature, against the view's previous run; version = the run's id.
 * ---------------------------------------------------------------------------------------- */

/* The column of feature i as written: one value per entity, in the set's order. */
static int written_column(const job *j, size_t i, cairn_column **out)
{
    const cairn_feature_def *f = &j->view->def.features[i];
    const cairn_column *src;
    char name[32];
    if (f->kind == CAIRN_FEAT_WINDOW) {
        snprintf(name, sizeof name, "__cairn_mat_w%zu", i);
        src = cairn_table_column_by_name(j->w, name);
    } else {
        src = cairn_table_column_by_name(j->t, feature_column(f));
    }
    bool calendar = f->kind == CAIRN_FEAT_CALENDAR;
    int rc = cairn_column_create(f->name, calendar ? CAIRN_TYPE_INT64 : src->type, true, out);
    for (size_t e = 0; rc == 0 && e < j->set.n; e++) {
        int64_t row = j->set.items[e].lrow + (f->kind == CAIRN_FEAT_WINDOW ? j->wbase : 0);
        cairn_value v;
        cairn_column_get(src, row, &v);
        if (calendar && !v.is_null) {
            v.type = CAIRN_TYPE_INT64;
            v.v.i64 = cairn__calendar_value(f->calendar, time_at(src, row));
        }
        rc = cairn_column_append_value(*out, &v);
    }
    if (rc) {
        cairn_column_free(*out);
        *out = NULL;
    }
    return rc;
}

static int record_stats(const job *j, cairn_error *err)
{
    const cairn_view_def *d = &j->view->def;
    cairn_table *t = NULL;
    cairn_stmt *st = NULL;
    char version[32] = "";
    int rc = cairn_catalog_prepare(cairn_home_catalog(j->home),
                                   "SELECT MAX(id) FROM feature_materializations WHERE view = ?", &st, err);
    if (rc == 0) {
        cairn_stmt_bind_text(st, 1, d->name, strlen(d->name));
        rc = cairn_stmt_step(st, err);
        if (rc == 1) snprintf(version, sizeof version, "%" PRId64, cairn_stmt_int64(st, 0));
        rc = rc < 0 ? rc : 0;
    }
    cairn_stmt_finalize(st);
    const char **cols = cairn_calloc(2 * d->nfeatures + 1, sizeof *cols);
    char **full = cairn_calloc(d->nfeatures + 1, sizeof *full);
    if (rc == 0 && (!cols || !full || cairn_table_create(&t))) rc = oom(err);
    for (size_t i = 0; rc == 0 && i < d->nfeatures; i++) {
        cairn_column *c = NULL;
        size_t len = strlen(d->name) + strlen(d->features[i].name) + 2;
        if (written_column(j, i, &c) || !(full[i] = cairn_malloc(len))) {
            cairn_column_free(c);
            rc = oom(err);
            break;
        }
        snprintf(full[i], len, "%s:%s", d->name, d->features[i].name);
        cols[i] = d->features[i].name;
        cols[d->nfeatures + i] = full[i];
        rc = cairn_table_adopt_column(t, c, err);
    }
    if (rc == 0)
        rc = cairn__feature_stats_record(j->home, "materialization", d->name, version, t, cols,
                                         cols + d->nfeatures, d->nfeatures, err);
    for (size_t i = 0; full && i < d->nfeatures; i++) cairn_free(full[i]);
    cairn_free(full);
    cairn_free(cols);
    cairn_table_free(t);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * API
 * ---------------------------------------------------------------------------------------- */

static void job_release(job *j)
{
    cairn__view_free(j->view);
    cairn_snapshot_free(j->snap);
    cairn_table_free(j->t);
    cairn_table_free(j->w);
    cairn_free(j->keycol);
    set_release(&j->set);
}

static int materialize_view(cairn_home *home, cairn_online *store, const char *name,
                            const cairn_materialize_options *opts, int64_t end,
                            cairn_materialize_result *res, cairn_error *err)
{
    job j = {.home = home, .store = store, .end = end, .tcol = -1, .ccol = -1};
    cairn_buf_init(&j.set.keys, 0);
    int rc = cairn__view_load(home, name, 0, &j.view, err);
    bool found = false;
    int64_t last_end = 0, last_version = 0;
    if (rc == 0) rc = last_run(home, name, &found, &last_end, &last_version, err);
    if (rc == 0) {
        if (opts->incremental) {
            j.start = found ? last_end : j.view->def.ttl_us > 0 ? end - j.view->def.ttl_us : INT64_MIN;
        } else {
            j.start = opts->start_us ? opts->start_us : INT64_MIN;
        }
        if (j.start > end)
            rc = cairn_error_set(err, CAIRN_EINVAL, "the start is after the end of the range");
    }
    if (rc == 0 && found && last_version != j.view->version)
        rc = cairn_online_clear(store, name, err); /* values of the old definition */
    if (rc == 0) rc = cairn_snapshot_resolve(home, j.view->dataset, &j.snap, err);
    int64_t maxw = j.view ? max_window(j.view) : 0;
    const char **names = NULL;
    size_t nnames = 0;
    if (rc == 0 && needed_names(&j, &names, &nnames)) rc = oom(err);
    if (rc == 0 && j.start < end) rc = find_entities(&j, err);
    if (rc == 0 && j.set.n) rc = read_latest(&j, names, nnames, err);
    if (rc == 0 && j.set.n) rc = compute_windows(&j, names, nnames, maxw, err);
    cairn_free(names);
    j.entities = (int64_t)j.set.n;
    if (rc == 0 && j.set.n) rc = write_entities(&j, err);
    if (rc == 0) rc = record_run(&j, err);
    if (rc == 0 && j.set.n) rc = record_stats(&j, err); /* feature statistics of the values written */
    if (rc) {
        cairn_error_prefix(err, "materializing feature view '%s': ", name);
    } else {
        res->views++;
        res->entities += j.entities;
        res->written += j.written;
        res->skipped_older += j.skipped;
        int64_t s = j.start == INT64_MIN ? 0 : j.start;
        if (res->views == 1 || s < res->start_us) res->start_us = s;
    }
    job_release(&j);
    return rc;
}

int cairn__online_url(cairn_home *home, char *out, size_t cap)
{
    char def[4200];
    snprintf(def, sizeof def, "lmdb:%s/online", cairn_home_path(home));
    const char *url = cairn_home_setting(home, "online.url", def);
    int n;
    if (!strncmp(url, "lmdb:", 5) && url[5] && url[5] != '/') /* relative to the home, as */
        n = snprintf(out, cap, "lmdb:%s/%s", cairn_home_path(home), url + 5); /* the catalog */
    else
        n = snprintf(out, cap, "%s", url);
    return n < 0 || (size_t)n >= cap ? CAIRN_ELIMIT : 0;
}

int cairn_materialize(cairn_home *home, const cairn_materialize_options *opts,
                      cairn_materialize_result *result, cairn_error *err)
{
    cairn_materialize_options none = {0};
    if (!opts) opts = &none;
    memset(result, 0, sizeof *result);
    int64_t end = opts->end_us ? opts->end_us : cairn_now_us();
    result->end_us = end;
    if (!opts->incremental && opts->start_us && opts->start_us > end)
        return cairn_error_set(err, CAIRN_EINVAL, "the start is after the end of the range");
    cairn_feature_object *objs = NULL;
    size_t n = 0;
    int rc = 0;
    if (!opts->view) rc = cairn_features_list(home, "feature_view", NULL, NULL, NULL, &objs, &n, err);
    if (rc) return rc;
    char url[4400];
    cairn_online *store = NULL;
    if (cairn__online_url(home, url, sizeof url)) rc = cairn_error_set(err, CAIRN_ELIMIT, "online.url is too long");
    if (rc == 0) rc = cairn_online_open(url, &store, err);
    size_t nviews = opts->view ? 1 : n;
    for (size_t i = 0; rc == 0 && i < nviews; i++) {
        rc = materialize_view(home, store, opts->view ? opts->view : objs[i].name, opts, end, result, err);
        if (rc == 0 && opts->progress && !opts->progress(opts->progress_ud, "materialize", (int64_t)i + 1, (int64_t)nviews))
            rc = cairn_error_set(err, CAIRN_ECANCELED, "materialization canceled after %zu of %zu views", i + 1, nviews);
    }
    cairn_online_close(store);
    cairn_feature_objects_free(objs, n);
    return rc;
}
