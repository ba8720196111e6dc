/* cairn/feature.h: the feature store's building blocks: point-in-time-correct windowed
 * aggregations, the point-in-time join, fitted encoders, and the online store.
 *
 * Every function here works on tables (include/cairn/table.h) and knows nothing of feature
 * definitions; src/feature/ composes them into feature views, training sets and
 * materialization (see docs/features.md).
 *
 * Semantics copied exactly (../shared/reference/feature_store.md):
 * - Windows: for an event at time t, a window of length w covers the same entity's events with
 *   time in [t - w, t): never the event itself, nothing at or after t (so other events at the
 *   same instant are excluded too). DuckDB computes the same with
 *   RANGE BETWEEN INTERVAL w PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING.
 * - Point-in-time join (Feast): a feature row qualifies for an entity row when the keys are
 *   equal, feature time <= entity time and, with a TTL, feature time >= entity time - TTL;
 *   among qualifying rows the latest feature time wins, ties go to the latest created time;
 *   no match gives nulls (a left join). DuckDB: ASOF LEFT JOIN plus the TTL filter.
 */
#ifndef CAIRN_FEATURE_H
#define CAIRN_FEATURE_H

#include "catalog.h"
#include "json.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------
 * Windowed aggregations (src/feature/window.c)
 * ---------------------------------------------------------------------------------------- */

typedef enum cairn_agg {
    CAIRN_AGG_COUNT = 1,    /* rows in the window (int64; 0 when empty) */
    CAIRN_AGG_SUM = 2,      /* float64 (int64 for an int column); null when empty */
    CAIRN_AGG_MEAN = 3,     /* float64; null when empty */
    CAIRN_AGG_MIN = 4,      /* the column's type; null when empty */
    CAIRN_AGG_MAX = 5,
    CAIRN_AGG_STDDEV = 6,   /* sample standard deviation (n - 1), float64; null below 2 values */
    CAIRN_AGG_LAST = 7,     /* the value of the latest event in the window (input order breaks
                               ties on time); null when empty */
    CAIRN_AGG_APPROX_DISTINCT = 8, /* distinct non-null values, int64 (0 when empty). Cairn
                                      counts them exactly (a map from 64-bit value hashes to
                                      counts over the sliding window), which is within any
                                      sketch's error; memory grows with one window's
                                      distinct values */
} cairn_agg;

/* "count", "sum", "mean", "min", "max", "stddev", "last", "approx_distinct". */
const char *cairn_agg_name(cairn_agg agg);
int cairn_agg_parse(const char *name, cairn_agg *out); /* also "avg", "std" */

typedef struct cairn_window_spec {
    const char *output;  /* the new column's name */
    cairn_agg agg;
    const char *column;  /* the aggregated column (ignored by COUNT: rows are counted; with a
                            column, COUNT counts its non-null values) */
    int64_t window_us;   /* > 0 */
} cairn_window_spec;

/* For every row of `events` and every spec, the aggregate over the rows of the same entity
 * (equal `keys`; a null key is its own entity, never equal to another) whose `time_column`
 * lies in [t - window, t). Nulls in the aggregated column are skipped (as SQL does). *out
 * holds events' columns in their original order and row order, then one column per spec.
 * The work is: one stable sort by (keys, time), then per entity and spec a sliding window
 * with two pointers (running sums; Welford-style updates for the variance, recomputed from
 * scratch when cancellation would lose precision) or monotonic deques (min, max), entities
 * spread over the default pool. Rows with a null time get nulls (and count 0). The time
 * column is a timestamp, a date, or int64/int32 in the unit of window_us. SUM, MEAN and
 * STDDEV need a numeric column; MIN and MAX a numeric, bool, timestamp or date one; COUNT,
 * LAST and APPROX_DISTINCT take any. Errors: CAIRN_ENOTFOUND (a named column is missing),
 * CAIRN_ETYPE (an unsuitable column), CAIRN_EEXIST (an output name clashes with an events
 * column or another spec), CAIRN_EINVAL (window_us <= 0, an unknown aggregate, no column);
 * err names the field. *out is new and owned by the caller. */
int cairn_window_compute(const cairn_table *events, const char *const *keys, size_t nkeys,
                         const char *time_column, const cairn_window_spec *specs,
                         size_t nspecs, cairn_table **out, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Point-in-time join (src/feature/pit.c)
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_pit_spec {
    const char *const *entity_keys;  /* key columns of the entity table ... */
    const char *const *feature_keys; /* ... and the matching ones of the feature table */
    size_t nkeys;
    const char *entity_time;         /* timestamp (or date) column of the entity table */
    const char *feature_time;        /* event-time column of the feature table */
    const char *created_time;        /* tie-break column of the feature table, or NULL */
    int64_t ttl_us;                  /* 0 = no TTL */
    const char *const *columns;      /* feature columns to bring (NULL/0 = all non-key,
                                        non-time columns) */
    size_t ncolumns;
    const char *prefix;              /* prepended to the brought columns' names, or NULL */
} cairn_pit_spec;

/* Left point-in-time join: *out (a new table; the inputs are borrowed and unchanged) = every
 * entity row, in its original order and duplicates included, then the requested feature
 * columns (prefixed) of its matching feature row, nulls when none. Matching: equal keys (a
 * null or NaN key part never matches; INT32 matches INT64, strings bytewise, plain or
 * dictionary), feature time <= entity time and, with ttl_us > 0, feature time >= entity time
 * - ttl_us (inclusive). The latest feature time wins; ties go to the latest created time (a
 * null created time loses to any non-null one), then to the later row in the feature table's
 * input order. Time columns are timestamps or dates (a date is midnight UTC); a null time
 * matches nothing. Errors (the message names the column): CAIRN_ENOTFOUND for a missing
 * column, CAIRN_ETYPE for a time column that is not a timestamp or date or keys of
 * incompatible types, CAIRN_EEXIST when a brought name clashes with an entity column (use
 * prefix) or a column is requested twice, CAIRN_EINVAL for ttl_us < 0. Both sides are grouped
 * by key and sorted by time once, then merged per key; keys spread over the default pool. */
int cairn_pit_join(const cairn_table *entities, const cairn_table *features,
                   const cairn_pit_spec *spec, cairn_table **out, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Encoders (src/feature/encoder.c): fitted on training rows, applied by the same code
 * offline and online, serialised as canonical JSON so that a model carries its encoders.
 * ---------------------------------------------------------------------------------------- */

typedef enum cairn_encoder_kind {
    CAIRN_ENC_TARGET = 1,     /* category -> smoothed mean of the target:
                                 (n * mean_c + m * prior) / (n + m); unseen or null -> prior
                                 (the mean target). Fitted out of fold (K folds, a seeded
                                 shuffle of the rows) on training rows: a row's training value
                                 never uses its own label. Null or NaN targets count nowhere */
    CAIRN_ENC_HASHING = 2,    /* category -> bucket in [0, buckets) by XXH3 (seed 0) of its
                                 bytes; null -> null */
    CAIRN_ENC_FREQUENCY = 3,  /* categories seen fewer than min_count times (and unseen ones)
                                 -> "__other__"; null stays null */
    CAIRN_ENC_ONEHOT = 4,     /* one int32 0/1 column per category seen in fit, in byte order,
                                 then "<column>=__other__" for unseen and null values */
    CAIRN_ENC_ROBUST = 5,     /* (x - median) / IQR (IQR 0 -> 1), numeric, quartiles as
                                 numpy's default (linear) computes them; null stays null */
    CAIRN_ENC_IMPUTE = 6,     /* null -> the fitted median (numeric; output float64) or most
                                 frequent value (string; ties: smallest bytes), plus a 0/1
                                 int32 "<column>__missing" indicator column */
} cairn_encoder_kind;

typedef struct cairn_encoder_options {
    cairn_encoder_kind kind;
    const char *column;       /* the input column */
    const char *target;       /* TARGET: the label column (numeric or bool) */
    double smoothing;         /* TARGET: m, default 20 */
    int folds;                /* TARGET: K, default 5 */
    uint64_t seed;            /* TARGET: fold assignment, default 42 */
    int64_t buckets;          /* HASHING: default 2^20 */
    int64_t min_count;        /* FREQUENCY: default 10 */
    int64_t max_categories;   /* ONEHOT: refuse to fit above this, default 64 */
} cairn_encoder_options;

typedef struct cairn_encoder cairn_encoder;

/* The defaults above; column is borrowed (fit copies what it keeps). */
void cairn_encoder_options_init(cairn_encoder_options *opts, cairn_encoder_kind kind,
                                const char *column);
/* Fits on `train`; *out is the caller's (cairn_encoder_free). A category is a string's bytes or
 * the canonical text of another value (cairn_value_format), and must be valid UTF-8. For
 * TARGET, *train_out (when not NULL) gets the out-of-fold encoding of the training rows
 * themselves (a float64 column named "<column>__te", the caller's; null for a row whose other
 * folds hold no label); transform gives the full-data encoding for new rows. Errors:
 * CAIRN_EINVAL (a missing column, an option out of range, nothing to fit on), CAIRN_ETYPE,
 * CAIRN_ERANGE (an infinite value), CAIRN_ELIMIT (ONEHOT above max_categories). */
int cairn_encoder_fit(const cairn_encoder_options *opts, const cairn_table *train,
                      cairn_encoder **out, cairn_column **train_out, cairn_error *err);
/* Adds the encoded column(s) to a copy of `table`: "<column>__te", "<column>__hash",
 * "<column>__freq", "<column>=<value>" per one-hot category, "<column>__robust",
 * "<column>__imputed" and "<column>__missing". A table without the input column is
 * CAIRN_EINVAL naming it; an output name already taken is CAIRN_EEXIST. */
int cairn_encoder_transform(const cairn_encoder *enc, const cairn_table *table,
                            cairn_table **out, cairn_error *err);
/* Canonical JSON and back: {"kind", "version": 1, "column", the kind's options, "state"},
 * categories in byte order, so that equal fits give equal bytes under cairn_json_dump.
 * to_json: *out is a new reference (CAIRN_ENOMEM only). from_json checks every key and value
 * (also that the state is consistent) and fails with CAIRN_EPARSE naming the key, e.g.
 * "state.categories[2].count". */
int cairn_encoder_to_json(const cairn_encoder *enc, json_t **out);
int cairn_encoder_from_json(const json_t *json, cairn_encoder **out, cairn_error *err);
void cairn_encoder_free(cairn_encoder *enc);

/* ------------------------------------------------------------------------------------------
 * The online store (src/feature/online.c, online_lmdb.c, online_redis.c): the latest value
 * per (feature view, entity key), behind one interface with two backends.
 *
 * - LMDB (in process): one environment in a directory, one B+tree holding every view; a
 *   lookup takes about a microsecond. Opening the same directory twice in one process shares
 *   the environment.
 * - Redis: one hash "cairn:<view>:<entity key>" with fields v, e, c per entity; the
 *   older-never-overwrites rule runs inside Redis (a Lua script), so concurrent writers are
 *   safe.
 * Limits, the same for both: a view name is 1..128 bytes of printable ASCII without spaces
 * or ':' (CAIRN_EINVAL otherwise); an entity key at most 256 bytes, a value at most 64 MiB
 * (CAIRN_ELIMIT). A full LMDB map (64 GiB) is CAIRN_ELIMIT; a Redis connection failure is
 * CAIRN_EIO naming host:port, and the store reconnects on its next call.
 * Threads: any number of threads may share one store (LMDB reads run in parallel; a Redis
 * store serialises calls on its one connection).
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_online cairn_online;

/* url: "lmdb:PATH" (a directory, created if missing; default in a home: <home>/online) or
 * "redis://HOST:PORT[/DB]" (port 6379 and database 0 when absent; an IPv6 host in brackets).
 * Redis is connected (and its script loaded) here, so a refused connection fails the open.
 * *out is closed with cairn_online_close. */
int cairn_online_open(const char *url, cairn_online **out, cairn_error *err);
void cairn_online_close(cairn_online *store);
const char *cairn_online_backend(const cairn_online *store); /* "lmdb" or "redis" */

/* One entity's value of a feature view: opaque bytes (the feature layer encodes the feature
 * vector) stamped with its event and created times. */
typedef struct cairn_online_row {
    const void *key;      /* the serialised entity key */
    size_t key_len;
    int64_t event_us;
    int64_t created_us;   /* tie-break on equal event times; 0 when none */
    const void *value;
    size_t value_len;
} cairn_online_row;

/* Writes rows of one feature view in batches (one transaction / pipeline per call; LMDB
 * commits every 256 MiB of a bigger call). A row replaces the stored value only when its
 * (event_us, created_us) is strictly greater: an older or equal one never overwrites, so a
 * retried or reordered put is harmless. Rows apply in order, each against what is stored.
 * *written (may be NULL) counts the rows that were stored, the rest were not newer than what
 * the store holds; on failure it counts the rows already committed. Rows are borrowed. */
int cairn_online_put(cairn_online *store, const char *view, const cairn_online_row *rows,
                     size_t n, int64_t *written, cairn_error *err);

typedef struct cairn_online_value {
    bool found;
    int64_t event_us, created_us;
    void *value;          /* owned, never NULL when found (also for 0 bytes), NULL when not;
                             cairn_free (cairn_online_values_release frees them all) */
    size_t value_len;
} cairn_online_value;

/* Looks up n keys of one view (out has n entries, all zeroed first; on failure nothing is
 * left to release). LMDB: one read transaction, so the values form one snapshot; Redis:
 * pipelined. */
int cairn_online_get(cairn_online *store, const char *view, const void *const *keys,
                     const size_t *key_lens, size_t n, cairn_online_value *out,
                     cairn_error *err);
void cairn_online_values_release(cairn_online_value *values, size_t n);
/* Removes every value of a view (a re-materialization from scratch); other views are
 * untouched. LMDB deletes in transactions of 100,000 keys; Redis walks SCAN and UNLINKs. */
int cairn_online_clear(cairn_online *store, const char *view, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Definitions (src/feature/defs.c) and the feature registry (src/feature/registry.c)
 *
 * A feature repository is a YAML file (examples/flights/features.yaml):
 *
 *   entities:
 *     - {name: origin, join_keys: [origin], description: departure airport}
 *   sources:
 *     - {name: flights, dataset: flights}          # a lake dataset, or dataset@snapshot
 *   feature_views:
 *     - name: origin_delays
 *       entity: origin
 *       source: flights
 *       event_time: date
 *       created_time: null                          # optional tie-break column
 *       ttl: 7d                                     # 0 or absent: no TTL
 *       owner: data-platform
 *       description: delays at the departure airport
 *       tags: [flights, delay]
 *       features:
 *         - {name: flights, agg: count, window: 1h}             # -> flights
 *         - {name: mean_delay, agg: mean, column: delay, windows: [24h, 7d]}
 *                                                   # -> mean_delay_24h, mean_delay_7d
 *         - {name: hour, calendar: hour, column: date}          # hour, day_of_week, month,
 *                                                               # day_of_month, holiday (US)
 *         - {name: distance, column: distance}                  # passthrough
 *   feature_services:
 *     - {name: delay_model, features: [origin_delays, "route_delays:mean_delay_30d"]}
 *
 * Every object is versioned in the registry by the SHA-256 of its canonical JSON: applying a
 * changed definition creates the next version; old versions stay readable.
 * ---------------------------------------------------------------------------------------- */

typedef enum cairn_feature_kind {
    CAIRN_FEAT_PASSTHROUGH = 1,
    CAIRN_FEAT_CALENDAR = 2,
    CAIRN_FEAT_WINDOW = 3,
} cairn_feature_kind;

typedef enum cairn_calendar {
    CAIRN_CAL_HOUR = 1,
    CAIRN_CAL_DAY_OF_WEEK = 2,  /* 0 = Monday ... 6 = Sunday (ISO - 1) */
    CAIRN_CAL_MONTH = 3,        /* 1..12 */
    CAIRN_CAL_DAY_OF_MONTH = 4, /* 1..31 */
    CAIRN_CAL_HOLIDAY = 5,      /* 1 on US federal holidays (observed), else 0 */
} cairn_calendar;

typedef struct cairn_feature_def {
    const char *name;        /* the feature's full name (windows expanded: mean_delay_24h) */
    cairn_feature_kind kind;
    const char *column;      /* the input column (NULL for a plain count) */
    cairn_agg agg;           /* WINDOW */
    int64_t window_us;       /* WINDOW */
    cairn_calendar calendar; /* CALENDAR */
    const char *description; /* "" when absent */
    int64_t line, col;       /* where it is declared */
} cairn_feature_def;

typedef struct cairn_entity_def {
    const char *name;
    const char *const *join_keys;
    size_t nkeys;
    const char *description;
    int64_t line, col;
} cairn_entity_def;

typedef struct cairn_source_def {
    const char *name;
    const char *dataset;     /* "flights" or "flights@<snapshot>" */
    const char *description;
    int64_t line, col;
} cairn_source_def;

typedef struct cairn_view_def {
    const char *name;
    const char *entity;
    const char *source;
    const char *event_time;
    const char *created_time; /* NULL when none */
    int64_t ttl_us;           /* 0 = none */
    const char *owner, *description;
    const char *const *tags;
    size_t ntags;
    const cairn_feature_def *features;
    size_t nfeatures;
    int64_t line, col;
} cairn_view_def;

typedef struct cairn_service_def {
    const char *name;
    const char *const *features; /* "view:feature", every feature named (a bare view expands) */
    size_t nfeatures;
    const char *owner, *description;
    int64_t line, col;
} cairn_service_def;

typedef struct cairn_feature_repo cairn_feature_repo;

/* Parses and checks a repository: unknown keys, missing keys, bad durations, references to
 * unknown entities, sources, views or features, duplicate names — each error names the file,
 * line, column and key. */
int cairn_feature_repo_load(const char *path, cairn_feature_repo **out, cairn_error *err);
int cairn_feature_repo_parse(const char *data, size_t len, const char *name,
                             cairn_feature_repo **out, cairn_error *err);
void cairn_feature_repo_free(cairn_feature_repo *repo);
const char *cairn_feature_repo_name(const cairn_feature_repo *repo); /* the file name */
const cairn_entity_def *cairn_feature_repo_entities(const cairn_feature_repo *r, size_t *n);
const cairn_source_def *cairn_feature_repo_sources(const cairn_feature_repo *r, size_t *n);
const cairn_view_def *cairn_feature_repo_views(const cairn_feature_repo *r, size_t *n);
const cairn_service_def *cairn_feature_repo_services(const cairn_feature_repo *r, size_t *n);

/* Canonical JSON of one object (fixed key order, defaults spelled out, no positions): kind
 * is "entity", "source", "feature_view" or "feature_service". *out is a new reference. */
int cairn_feature_object_json(const cairn_feature_repo *repo, const char *kind, size_t index,
                              json_t **out);

typedef struct cairn_feature_change {
    char kind[16];        /* "entity", "source", "feature_view", "feature_service" */
    char name[128];
    char action[16];      /* "create", "update", "unchanged" */
    int64_t version;      /* the version after apply (the same when unchanged) */
    char detail[256];     /* for updates: the top-level keys that changed */
} cairn_feature_change;

/* Checks the repository against the home (sources name datasets with a registered schema;
 * join keys, event and created times and feature columns exist in the dataset's schema with
 * usable types), then records every new or changed object as its next version, all in one
 * transaction (dry_run: only reports). *changes lists every object (cairn_free). */
int cairn_features_apply(cairn_home *home, const cairn_feature_repo *repo, bool dry_run,
                         cairn_feature_change **changes, size_t *count, cairn_error *err);

typedef struct cairn_feature_object {
    char kind[16];
    char name[128];
    int64_t version;
    char hash[65];
    char owner[128];
    char tags[256];        /* comma-separated */
    char description[256];
    char applied_at[CAIRN_TIME_FMT_LEN];
    char *definition;      /* canonical JSON (owned) */
} cairn_feature_object;

void cairn_feature_objects_free(cairn_feature_object *objects, size_t count);
/* Latest versions, by kind then name. kind NULL = all; text (NULL = all) matches a
 * substring of the name or description, tag an exact tag, owner an exact owner. */
int cairn_features_list(cairn_home *home, const char *kind, const char *text, const char *tag,
                        const char *owner, cairn_feature_object **out, size_t *count,
                        cairn_error *err);
/* One object at a version (0 = latest); CAIRN_ENOTFOUND naming what is missing. *out is a
 * single object (cairn_feature_objects_free(out, 1)). */
int cairn_features_get(cairn_home *home, const char *kind, const char *name, int64_t version,
                       cairn_feature_object **out, cairn_error *err);
/* Every version of an object, oldest first. */
int cairn_features_versions(cairn_home *home, const char *kind, const char *name,
                            cairn_feature_object **out, size_t *count, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Feature views offline, training sets, opt-outs (src/feature/offline.c, training.c)
 * ---------------------------------------------------------------------------------------- */

/* A feature view computed over its source's snapshot: the entity's join keys, the view's
 * event time column (and created time when declared), then one column per feature, one row
 * per source row, in the source's order (windows exclude the row itself and anything later;
 * calendar features of the event time; passthrough columns as stored). view at `version`
 * (0 = latest) from the registry; snapshot_ref NULL = the source's pinned snapshot or its
 * dataset's head. Cached as a Parquet object named by the SHA-256 of (the view's definition
 * hash, the snapshot id): an unchanged view over an unchanged snapshot is read back, never
 * recomputed (*cached says so). snapshot_id gets the snapshot used. */
int cairn_feature_view_table(cairn_home *home, const char *view, int64_t version,
                             const char *snapshot_ref, cairn_table **out, char snapshot_id[65],
                             bool *cached, cairn_error *err);

typedef struct cairn_training_options {
    const char *service;       /* a feature service of the registry (latest version) */
    const char *entities;      /* the entity table: CSV, JSON Lines or Parquet with the join
                                  keys of the service's entities, the time column and any
                                  other columns (labels) */
    const char *entity_time;   /* its time column; default "event_timestamp" */
    const char *output;        /* also write the training set here (Parquet), or NULL */
    cairn_progress_fn progress;
    void *progress_ud;
} cairn_training_options;

typedef struct cairn_training_result {
    char id[65];               /* SHA-256 of (service definition, view versions, snapshots,
                                  entity table content, opt-outs applied) */
    char object[65];           /* the Parquet object in objects/ */
    int64_t rows, columns;
    int64_t excluded;          /* entity rows left out because their key opted out */
    bool existed;              /* built before with the same inputs: the same id and bytes */
} cairn_training_result;

/* Builds a training set: the entity table left-joined point-in-time (Feast's rules; each
 * view's TTL) with every feature of the service, columns named "view__feature"; entity rows
 * whose key is on the opt-out list are excluded and counted. The result is written as a
 * Parquet object and recorded in the catalog with its lineage (service version, view
 * versions, source snapshots, entity table hash, opt-outs); building twice gives the same id
 * and the same bytes. */
int cairn_training_set_build(cairn_home *home, const cairn_training_options *opts,
                             cairn_training_result *result, cairn_error *err);

/* The opt-out list: entity keys (join key values joined by '|', e.g. "ORD" or "ORD|LAX")
 * excluded from every training set built afterwards. */
int cairn_optout_add(cairn_home *home, const char *entity, const char *key, cairn_error *err);
int cairn_optout_remove(cairn_home *home, const char *entity, const char *key, bool *removed,
                        cairn_error *err);
/* Keys of an entity (NULL = all), "entity\tkey" strings (cairn_free each and the array). */
int cairn_optout_list(cairn_home *home, const char *entity, char ***out, size_t *count,
                      cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Materialization and online reads (src/feature/materialize.c, serve_read.c)
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_materialize_options {
    const char *view;          /* NULL = every feature view */
    int64_t start_us, end_us;  /* events in [start, end); end 0 = now */
    bool incremental;          /* start at the previous materialization's end (first time:
                                  end - TTL, or everything when there is no TTL) */
    cairn_progress_fn progress;
    void *progress_ud;
} cairn_materialize_options;

typedef struct cairn_materialize_result {
    int64_t views, entities, written, skipped_older; /* skipped: the store held newer */
    int64_t start_us, end_us;
} cairn_materialize_result;

/* Writes, per view and entity key, the feature values as of `end`: windows over
 * [end - w, end), calendar and passthrough features of the entity's latest event before end;
 * stamped with that latest event's time. Streams partition by partition in bounded memory;
 * an older event never overwrites a newer one in the store (cairn_online_put). The online
 * store is the home's setting `online.url` (default lmdb:<home>/online; a relative LMDB path
 * is relative to the home). Each run is recorded (view, start, end, rows) for incremental
 * runs. Details: start_us 0 = from the beginning; a value is stored as compact JSON
 * {"feature": value, ...} under the entity key (the join keys' canonical text joined by
 * '\x1f') with created time = end, so a later run over the same latest event replaces it and
 * an earlier one never does (counted in skipped_older); only files whose manifest event range
 * meets [start - longest window, end) are read; a run of a new view version first clears the
 * values the old definition wrote. Errors name the view. */
int cairn_materialize(cairn_home *home, const cairn_materialize_options *opts,
                      cairn_materialize_result *result, cairn_error *err);

typedef enum cairn_feature_status {
    CAIRN_FEATURE_PRESENT = 0,
    CAIRN_FEATURE_NOT_FOUND = 1,
    CAIRN_FEATURE_OUTSIDE_MAX_AGE = 2, /* older than the view's TTL at read time */
} cairn_feature_status;

const char *cairn_feature_status_name(cairn_feature_status s); /* "PRESENT", ... (Feast) */

/* An online lookup: `features` are "view:feature" names (or a service's), entities one row
 * of join-key values per entity (as text, converted to the key types). values[e * nfeatures
 * + f] (json_t values: number, string, bool or null; cairn owns them until
 * cairn_online_result_free), statuses and event times alike. */
typedef struct cairn_online_result {
    size_t nentities, nfeatures;
    char **feature_names;      /* "view:feature" */
    json_t **values;
    cairn_feature_status *statuses;
    int64_t *event_us;         /* 0 when not found */
} cairn_online_result;

typedef struct cairn_online_reader cairn_online_reader;

/* A reader caches the registry's definitions and holds the online store open, so that a
 * lookup costs the store reads and nothing else (the server keeps one per process; it is
 * safe to share between threads). home is borrowed and must outlive the reader; definitions
 * are loaded on first use and kept until close (a new reader sees later applies). */
int cairn_online_reader_open(cairn_home *home, cairn_online_reader **out, cairn_error *err);
void cairn_online_reader_close(cairn_online_reader *reader);
/* service (or NULL and features/nfeatures "view:feature" names); keys: join key name ->
 * values for every entity, as a JSON object {"origin": ["ORD", "LAX"]} (Feast's
 * "entities"); each value (string, number or bool) is converted to the join key's type, so
 * "ORD", 42 and "42" all work. Every view involved needs all its join keys (CAIRN_EINVAL
 * naming the missing one; no key is guessed). now_us 0 = now: a value with now - event time
 * > the view's TTL is OUTSIDE_MAX_AGE with a null value. Errors name the unknown service,
 * view or feature (CAIRN_ENOTFOUND) or key; on failure *out is left empty. */
int cairn_online_read(cairn_online_reader *reader, const char *service,
                      const char *const *features, size_t nfeatures, const json_t *entities,
                      int64_t now_us, cairn_online_result *out, cairn_error *err);
void cairn_online_result_free(cairn_online_result *result);

/* ------------------------------------------------------------------------------------------
 * Feature statistics (src/feature/stats.c): per-feature distributions of each training set
 * and materialization, and the population stability index (PSI) against the previous one.
 *
 * PSI = sum over bins of (a - e) * ln(a / e), a and e the current and previous proportions
 * of the non-null values in the bin, each floored at 1e-4 so that an empty bin stays finite.
 * Levels (../shared/reference/feature_store.md §3): below 0.1 "stable", below 0.25
 * "moderate", else "major".
 * ---------------------------------------------------------------------------------------- */

/* The PSI of two histograms over the same nbins bins (counts; proportions are count / total,
 * floored at 1e-4). NaN when either total is 0 or nbins is 0. */
double cairn_feature_psi(const int64_t *actual, const int64_t *expected, size_t nbins);
/* "stable", "moderate" or "major"; NULL for NaN. */
const char *cairn_feature_psi_level(double psi);

/* Statistics of columns[0..n) of t as canonical JSON (a new reference in *out):
 *   {"columns": [{"name", "type", "kind", "count", "nulls", "mean", "stddev", "min", "max",
 *                 "quantiles": {"p01", "p25", "p50", "p75", "p99"}, "bins", "bin_counts",
 *                 "psi", "psi_level"}]}
 * count is the rows, nulls the null values (NaN and infinities count as null). kind is
 * "numeric" (int32, int64, float32, float64; timestamps in microseconds and dates in days
 * since the epoch) or "categorical" (strings, bools as "true"/"false").
 * - numeric: mean, sample stddev (null below 2 values), min, max and quantiles (numpy's
 *   linear interpolation) of the non-null values; 10 bins cut at 9 edges (the deciles),
 *   bin k holding the values with exactly k edges <= value; bin_counts the 10 counts;
 * - categorical: mean .. quantiles null; bins the top 20 values (count descending, then
 *   bytes) and "__other__" last, bin_counts their counts.
 * previous (NULL, or an earlier output) gives the reference: a column of the same name and
 * kind with non-empty bins is binned on ITS edges or categories (new categories count as
 * "__other__") and psi compares the two histograms; otherwise the bins come from this data
 * and psi and psi_level are null. Errors: CAIRN_ENOTFOUND (no such column), CAIRN_EINVAL
 * (previous malformed, err names the key, e.g. "columns[1].bins"), CAIRN_ENOMEM. */
int cairn_feature_stats_compute(const cairn_table *t, const char *const *columns, size_t n,
                                const json_t *previous, json_t **out, cairn_error *err);

/* The recorded statistics of NAME: a feature "view:feature", a feature view (its features)
 * or a feature service (its features), newest first per feature:
 *   {"name", "features": [{"feature", "versions": [{"subject_kind", "subject", "version",
 *    "at", "psi", "psi_level", "stats"}]}]}
 * Features in the registry's order (a view's or service's); CAIRN_ENOTFOUND when NAME is
 * none of these. *out is a new reference. */
int cairn_feature_stats_history(cairn_home *home, const char *name, json_t **out,
                                cairn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_FEATURE_H */
