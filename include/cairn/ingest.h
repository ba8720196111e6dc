/* cairn/ingest.h: dataset schemas and the schema registry (the first part of ingestion).
 *
 * A dataset schema is a YAML file (examples/flights/schema.yaml):
 *
 *   dataset: flights
 *   primary_key: [date, origin, destination]
 *   event_time: date
 *   partition: {by: day, column: date}        # day | month (of a timestamp/date) | value
 *   fields:
 *     - {name: date, type: timestamp, nullable: false, classification: internal}
 *     - name: delay
 *       type: int64
 *       min: -1440
 *       max: 2880
 *       default: 0
 *     - {name: origin, type: string, pattern: "^[A-Z0-9]{3}$", max_length: 3}
 *     - {name: status, type: string, allowed: [on_time, late, cancelled]}
 *     - {name: email, type: string, classification: pii, unique: true}
 *   checks:                                   # dataset-level (see the checks section)
 *     - {completeness: delay, at_least: 0.99}
 *
 * Field keys: name, type (cairn_type_parse names), nullable (default true), min, max (numbers
 * for numeric fields, ISO-8601 for timestamp/date fields), allowed (list of values), pattern
 * (POSIX extended regular expression, whole value must match), max_length (bytes), unique,
 * default (a value of the field's type, or null), classification (public | internal |
 * confidential | pii; default internal), description. An unknown key, a wrong type or an
 * inconsistent declaration (min > max, a primary key or event_time naming no field, a
 * pattern that does not compile, a default outside the constraints) fails with
 * CAIRN_EPARSE/CAIRN_ETYPE and err naming file, line, column and key.
 *
 * The registry keeps, per subject (by default the dataset's name), numbered versions of
 * schemas in the catalog and a compatibility mode (Confluent's): BACKWARD (default), its
 * _TRANSITIVE form, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE, judged with
 * Avro's resolution rules (fields matched by name; a reader-only field needs a default; type
 * promotions int32 -> int64/float32/float64, int64 -> float32/float64, float32 -> float64,
 * date -> timestamp; nullability may be widened by a reader, never narrowed). Registering a
 * schema equal to the latest version (same canonical JSON) returns that version.
 */
#ifndef CAIRN_INGEST_H
#define CAIRN_INGEST_H

#include "catalog.h"
#include "json.h"
#include "lake.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cairn_classification {
    CAIRN_CLASS_PUBLIC = 0,
    CAIRN_CLASS_INTERNAL = 1,
    CAIRN_CLASS_CONFIDENTIAL = 2,
    CAIRN_CLASS_PII = 3,
} cairn_classification;

typedef enum cairn_partition_kind {
    CAIRN_PARTITION_NONE = 0,
    CAIRN_PARTITION_DAY = 1,   /* key=YYYY-MM-DD of a timestamp or date column */
    CAIRN_PARTITION_MONTH = 2, /* key=YYYY-MM */
    CAIRN_PARTITION_VALUE = 3, /* key=<the column's value> */
} cairn_partition_kind;

/* One field. Strings are owned by the schema; valid until cairn_dataset_schema_free. */
typedef struct cairn_dataset_field {
    const char *name;
    cairn_type type;
    bool nullable;
    bool has_min, has_max;
    cairn_value min, max; /* of the field's type (numbers widened: int64 or float64) */
    const char *const *allowed; /* NULL or allowed values as text, count in nallowed */
    size_t nallowed;
    const char *pattern;  /* NULL or a POSIX ERE */
    int64_t max_length;   /* -1 = none */
    bool unique;
    bool has_default;
    cairn_value default_value; /* is_null for "default: null" */
    cairn_classification classification;
    const char *description; /* "" when absent */
    int64_t line, column;    /* where the field is declared */
} cairn_dataset_field;

typedef struct cairn_dataset_schema cairn_dataset_schema;

int cairn_dataset_schema_load(const char *path, cairn_dataset_schema **out, cairn_error *err);
int cairn_dataset_schema_parse(const char *data, size_t len, const char *name,
                               cairn_dataset_schema **out, cairn_error *err);
/* From canonical JSON (as stored by the registry). */
int cairn_dataset_schema_from_json(const json_t *json, cairn_dataset_schema **out,
                                   cairn_error *err);
void cairn_dataset_schema_free(cairn_dataset_schema *schema);

const char *cairn_dataset_schema_name(const cairn_dataset_schema *schema);
size_t cairn_dataset_schema_num_fields(const cairn_dataset_schema *schema);
const cairn_dataset_field *cairn_dataset_schema_field(const cairn_dataset_schema *schema,
                                                      size_t index);
const cairn_dataset_field *cairn_dataset_schema_find(const cairn_dataset_schema *schema,
                                                     const char *name);
/* Primary key column names (borrowed); count in *n (0 = none). */
const char *const *cairn_dataset_schema_primary_key(const cairn_dataset_schema *schema,
                                                    size_t *n);
const char *cairn_dataset_schema_event_time(const cairn_dataset_schema *schema); /* or NULL */
cairn_partition_kind cairn_dataset_schema_partition(const cairn_dataset_schema *schema,
                                                    const char **column);
/* The dataset-level checks as written (a JSON array, borrowed; empty when none). */
const json_t *cairn_dataset_schema_checks(const cairn_dataset_schema *schema);
/* The schema as the reader's explicit fields (borrowing the schema's names); cairn_free. */
int cairn_dataset_schema_fields(const cairn_dataset_schema *schema, cairn_field **out);
/* Canonical JSON: keys in a fixed order, defaults spelled out, so equal schemas give equal
 * text; *out is a new reference. */
int cairn_dataset_schema_to_json(const cairn_dataset_schema *schema, json_t **out);
/* SHA-256 of the canonical JSON text, as lower-case hex (65 bytes with the NUL). */
int cairn_dataset_schema_hash(const cairn_dataset_schema *schema, char out[65]);
const char *cairn_classification_name(cairn_classification c);

/* ------------------------------------------------------------------------------------------
 * Compatibility and the registry
 * ---------------------------------------------------------------------------------------- */

typedef enum cairn_compat_mode {
    CAIRN_COMPAT_BACKWARD = 0,
    CAIRN_COMPAT_BACKWARD_TRANSITIVE = 1,
    CAIRN_COMPAT_FORWARD = 2,
    CAIRN_COMPAT_FORWARD_TRANSITIVE = 3,
    CAIRN_COMPAT_FULL = 4,
    CAIRN_COMPAT_FULL_TRANSITIVE = 5,
    CAIRN_COMPAT_NONE = 6,
} cairn_compat_mode;

const char *cairn_compat_name(cairn_compat_mode mode); /* "BACKWARD", ... */
int cairn_compat_parse(const char *name, cairn_compat_mode *out); /* case-insensitive */

/* One reason a change is refused. */
typedef struct cairn_compat_issue {
    char field[128];
    char reason[256];   /* e.g. "added without a default: old data cannot be read" */
    int64_t against_version; /* the registered version it conflicts with (0 = n/a) */
} cairn_compat_issue;

/* Can data written with `writer` be read with `reader` (Avro resolution)? Appends one issue
 * per incompatible field to *issues (cairn_free; *count entries). Returns 0 either way;
 * *compatible says the verdict. */
int cairn_schema_can_read(const cairn_dataset_schema *reader,
                          const cairn_dataset_schema *writer, bool *compatible,
                          cairn_compat_issue **issues, size_t *count);

typedef struct cairn_registry_version {
    int64_t version;
    char hash[65];
    char registered_at[CAIRN_TIME_FMT_LEN];
} cairn_registry_version;

/* Checks schema against the subject's versions under its mode without registering.
 * *issues lists every incompatible field (cairn_free). */
int cairn_registry_check(cairn_catalog *catalog, const char *subject,
                         const cairn_dataset_schema *schema, bool *compatible,
                         cairn_compat_issue **issues, size_t *count, cairn_error *err);
/* Registers schema as the subject's next version (in one transaction), or returns the
 * latest version when it is identical. A refused change fails with CAIRN_ECONFLICT, err's
 * message naming every incompatible field, and *issues (when not NULL) listing them. */
int cairn_registry_register(cairn_catalog *catalog, const char *subject,
                            const cairn_dataset_schema *schema, int64_t *version,
                            bool *created, cairn_compat_issue **issues, size_t *count,
                            cairn_error *err);
/* Version 0 = the latest. CAIRN_ENOTFOUND when absent. */
int cairn_registry_get(cairn_catalog *catalog, const char *subject, int64_t version,
                       cairn_dataset_schema **out, int64_t *found_version, cairn_error *err);
int cairn_registry_versions(cairn_catalog *catalog, const char *subject,
                            cairn_registry_version **out, size_t *count, cairn_error *err);
/* Subjects in name order (cairn_free each name and the array). */
int cairn_registry_subjects(cairn_catalog *catalog, char ***out, size_t *count,
                            cairn_error *err);
int cairn_registry_set_mode(cairn_catalog *catalog, const char *subject,
                            cairn_compat_mode mode, cairn_error *err);
int cairn_registry_get_mode(cairn_catalog *catalog, const char *subject,
                            cairn_compat_mode *mode, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Record validation (src/ingest/validate.c)
 *
 * The reader already enforces each field's type and nullability (a row that does not parse
 * is a bad row). cairn_validate_records then checks each parsed row against the field
 * constraints: min, max, allowed, pattern (whole value), max_length (bytes), unique (within
 * the table: the first occurrence is kept, later ones are violations; the ingest also checks
 * unique fields against the values already stored), and non-nullable
 * fields that are null. A row with several problems yields one violation per problem, in
 * field order (within a field: null, below min, above max, not allowed, too long, pattern,
 * duplicate; a null value is only checked for nullability). String checks run once per
 * distinct value, so dictionary or repetitive columns (airport codes) cost little; rows are
 * checked on all cores. Reasons are sentences for people:
 *   "null in a non-nullable field"            "value 3000 is above the maximum 2880"
 *   "'XYZW' does not match the pattern ^[A-Z0-9]{3}$"      "length 4 exceeds max_length 3"
 *   "'foo' is not one of the allowed values (on_time, late, cancelled)"
 *   "duplicate of row 17 (unique field)"      (rows in reasons are 0-based table rows)
 * A column must have the field's type or a compatible one (any numeric type for a numeric
 * field, timestamp or date for a time field); NaN fails min and max.
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_violation {
    int64_t row;          /* 0-based row of the table */
    int32_t field;        /* schema field index */
    int64_t duplicate_of; /* unique: the 0-based row that keeps the value; -1 otherwise */
    char reason[192];     /* "value 3000 is above the maximum 2880" */
} cairn_violation;

/* keep (table rows, caller-allocated) gets 1 for a row without violations, 0 otherwise.
 * *out lists the violations ordered by row then field (cairn_free; *count entries). Columns
 * are found by name; a schema field missing from the table is CAIRN_EINVAL. */
int cairn_validate_records(const cairn_dataset_schema *schema, const cairn_table *table,
                           uint8_t *keep, cairn_violation **out, size_t *count,
                           cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Dataset-level checks and the quality report (src/ingest/checks.c)
 *
 * Written under `checks:` in the schema, each a mapping with one check key, its arguments
 * and an optional `severity: error|warning` (default error: a failed check refuses the
 * ingest; a warning is reported only) and `name`:
 *   {completeness: COL, at_least: 0.99}             non-null fraction (Deequ Completeness)
 *   {uniqueness: COL or [COLS], at_least: 1.0}       fraction of rows whose key occurs once
 *                                                    (Deequ Uniqueness)
 *   {row_count: {min: N, max: N}}                    rows in the batch
 *   {row_count: {max_change: 0.5}}                   |batch - previous batch| / previous
 *   {mean: COL, between: [LO, HI]}
 *   {quantile: COL, q: 0.95, between: [LO, HI]}      exact, linear interpolation (NumPy's
 *                                                    default)
 *   {freshness: COL, max_lag: 2d}                    now - newest event time <= max_lag
 *                                                    (a timestamp or date field)
 * Checks are parsed and checked when the schema loads: an unknown key, a missing argument
 * (at_least, between, q, max_lag), a fraction or q outside [0, 1], between with LO > HI, a
 * column that is not a field (or not numeric for mean/quantile) fail with CAIRN_EPARSE or
 * CAIRN_ETYPE and err naming file, line, column, "checks[i]" (0-based) and the key.
 * Metrics follow Deequ: completeness and uniqueness of zero rows pass; mean and quantile
 * ignore nulls and NaN, and fail when there are no values; freshness of a date column
 * counts the date as its midnight (UTC). Uniqueness counts rows with at least one non-null
 * key column; within a key, null equals null.
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_check_result {
    char name[160];      /* the check's `name`, else its label */
    char label[160];     /* "completeness(delay) >= 0.99", "quantile(distance, 0.95) in [1, 3000]" */
    char kind[24];       /* "completeness", "uniqueness", "row_count", "mean", ... */
    char column[128];    /* "" for row_count; "a,b" for a uniqueness key */
    bool passed;
    bool warning;        /* severity warning */
    bool has_observed;   /* false when there was nothing to measure (no values, no rows) */
    double observed;     /* the metric: a fraction, a mean or quantile, rows (or the change
                            when row_count has only max_change), freshness lag in seconds */
    char observed_text[48]; /* for people: "0.9990", "7.21", "3,000,000", "8412d3h5m" */
    char expected[128];  /* ">= 0.99", "in [0, 30]", "<= 2d", ">= 1, change <= 0.5" */
    char detail[256];    /* e.g. "12 of 3,000 rows are null" */
    char *examples_json; /* failed checks: a JSON array of up to 5 rows, each an object of
                            every column plus "_row" (0-based); NULL otherwise. Examples are
                            completeness: rows where the column is null; uniqueness: rows whose
                            key is duplicated; mean, quantile: the most extreme rows on the side
                            that failed; freshness: the newest row */
} cairn_check_result;

typedef struct cairn_quality_report {
    char dataset[128];
    int64_t rows;        /* rows checked */
    size_t evaluated, passed, failed, warnings; /* failed excludes warnings */
    cairn_check_result *results;
    size_t nresults;
} cairn_quality_report;

typedef struct cairn_quality_context {
    int64_t now_us;             /* for freshness; 0 = now */
    int64_t previous_rows;      /* the previous batch's rows, -1 when there is none (then
                                   max_change passes, as it does after an empty batch) */
} cairn_quality_context;

/* Evaluates every check of schema on table, in the order written (ctx may be NULL: now, no
 * previous batch). A check naming a column the table lacks, or of the wrong type, fails
 * with CAIRN_EINVAL / CAIRN_ETYPE; failed checks are not errors, they are in the report.
 * *out is freed with cairn_quality_report_free. */
int cairn_quality_evaluate(const cairn_dataset_schema *schema, const cairn_table *table,
                           const cairn_quality_context *ctx, cairn_quality_report **out,
                           cairn_error *err);
void cairn_quality_report_free(cairn_quality_report *report);
/* {"dataset","rows","success","statistics":{"evaluated_checks","successful_checks",
 *  "unsuccessful_checks","warnings","success_percent"},"results":[{"name","kind","column",
 *  "success","severity","observed","expected","detail","examples"}]} (new reference), after
 * Great Expectations' validation result: "success" is false when an error-level check failed
 * (failed warnings do not count), success_percent is passed / evaluated * 100 (100 with no
 * checks), "severity" is "error" or "warning", "observed" is null when nothing was measured,
 * "examples" is the array of example rows ([] for passed checks). */
int cairn_quality_report_json(const cairn_quality_report *report, json_t **out);
/* Human form: a summary line, then one line per check, e.g.
 *   "  PASS completeness(delay) >= 0.99: observed 1.0000"
 *   "  FAIL mean(delay) in [0, 5]: observed 7.21 (mean of 3,000,000 values)"
 * (WARN for a failed warning), each failure followed by its example rows indented. Appends
 * to out. */
int cairn_quality_report_text(const cairn_quality_report *report, cairn_buf *out);

/* ------------------------------------------------------------------------------------------
 * Batch ingest and the dead-letter store (src/ingest/ingest.c, src/ingest/dlq.c)
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_ingest_options {
    double max_error_rate;    /* refuse everything when rejected/read exceeds it; default 0.1 */
    bool keep_first;          /* primary-key ties: keep the stored record (default: latest
                                 event time wins; an equal time keeps the stored one) */
    bool force;               /* ingest even when the content was ingested before */
    const char *operation;    /* "ingest" (default) or "stream" */
    int64_t now_us;           /* for freshness checks; 0 = now */
    cairn_progress_fn progress;
    void *progress_ud;
} cairn_ingest_options;

void cairn_ingest_options_init(cairn_ingest_options *opts);

typedef struct cairn_ingest_result {
    char snapshot[65];        /* the new head ("" when nothing was committed) */
    char parent[65];
    bool noop;                /* every input was ingested before: nothing to do */
    bool refused;             /* too many errors or a failed error-level check */
    char refused_reason[256];
    int64_t schema_version;
    int64_t files_skipped;    /* inputs already ingested */
    int64_t rows_read;        /* records seen (good and bad) */
    int64_t rows_rejected;    /* sent to the dead-letter store */
    int64_t rows_duplicate;   /* dropped by primary-key de-duplication */
    int64_t rows_written;     /* new records in the lake */
    int64_t files_written;
    int64_t partitions;       /* partitions touched */
    int64_t dlq_written;
    cairn_quality_report *quality; /* the checks on the accepted rows (or NULL) */
} cairn_ingest_result;

void cairn_ingest_result_free(cairn_ingest_result *result); /* frees quality */

/* Ingests files (CSV, JSON Lines, Parquet, by extension) into `dataset` under the latest
 * version of its schema in the registry (subject = dataset). One snapshot for all inputs. */
int cairn_ingest_files(cairn_home *home, const char *dataset, const char *const *paths,
                       size_t npaths, const cairn_ingest_options *opts,
                       cairn_ingest_result *result, cairn_error *err);

/* Ingests an in-memory JSON Lines buffer (the stream micro-batch path). source names where
 * it came from ("redis://127.0.0.1:6379/events"); locations[i] (or NULL) names record i
 * (line i+1 of the buffer, blank lines excluded) for dead letters, e.g. a stream entry id. */
int cairn_ingest_jsonl_buffer(cairn_home *home, const char *dataset, const char *data,
                              size_t len, const char *source, const char *const *locations,
                              const cairn_ingest_options *opts, cairn_ingest_result *result,
                              cairn_error *err);

typedef struct cairn_dlq_record {
    int64_t id;
    char at[CAIRN_TIME_FMT_LEN];
    char source[512];
    char location[128];  /* "line 17", "row 5", "1700000000000-0" */
    int64_t line;        /* 0 when not a line */
    char stage[16];      /* "parse" or "validate" */
    char reason[512];
    char field[128];
    char format[16];     /* "csv", "jsonl" or "json" (a row rendered as one JSON object) */
    char *header;        /* CSV: the header line; NULL otherwise */
    char *raw;           /* the original record */
    int64_t schema_version;
    char snapshot[65];   /* the ingest's snapshot */
    char status[16];     /* "pending" or "replayed" */
} cairn_dlq_record;

void cairn_dlq_records_free(cairn_dlq_record *records, size_t count);
/* Pending dead letters of a dataset, oldest first (all = include replayed ones). */
int cairn_dlq_list(cairn_home *home, const char *dataset, bool all, cairn_dlq_record **out,
                   size_t *count, cairn_error *err);
int cairn_dlq_get(cairn_home *home, const char *dataset, int64_t id, cairn_dlq_record **out,
                  cairn_error *err);
/* Re-validates the pending dead letters under the schema's latest version: those that pass
 * are ingested (one snapshot) and marked replayed; the rest stay pending with their new
 * reason. */
int cairn_dlq_replay(cairn_home *home, const char *dataset, const cairn_ingest_options *opts,
                     cairn_ingest_result *result, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Stream ingest (src/ingest/stream.c, stream_redis.c, stream_nats.c)
 *
 * Records are JSON objects: a Redis stream entry's field `data` (or, without it, the entry's
 * field-value pairs as a JSON object of strings); a NATS message's payload. They are
 * collected into micro-batches flushed by size or age, each ingested with
 * cairn_ingest_jsonl_buffer (so validated exactly like batch records), and acknowledged
 * only after their snapshot is committed: delivery is at least once, and a record delivered
 * again after a crash is dropped by the primary-key de-duplication (or the whole batch is a
 * no-op when its content was ingested before). A record that is not a JSON object (or not
 * JSON, or blank) is dead-lettered under its location like any invalid record, and acked.
 * Dead letters name the record by its location: the entry id ("1700000000000-0") for Redis,
 * "stream seq N" for NATS.
 *
 * Redis (>= 6.2; lag needs 7): the group is created at the stream's start (XGROUP CREATE
 * ... 0 MKSTREAM) unless it exists. On start the consumer first re-reads its own pending
 * entries, then takes over other consumers' entries pending longer than claim_idle_ms
 * (XAUTOCLAIM; again every claim_idle_ms while running), then reads new entries.
 * NATS JetStream: the stream holding the subject is used, or one named after the subject is
 * created ("events.in" -> "events_in"); the group is a durable pull consumer with explicit
 * acks; an entry unacked for ack_wait_ms is delivered again.
 *
 * A batch is flushed at batch_records records, at max_buffer_bytes bytes, when its oldest
 * record is batch_age_ms old, or when a read finds nothing new (the source is drained). One
 * thread: reading pauses while a batch is ingested, so memory stays bounded. Transient failures (the
 * server refuses or drops the connection, a commit conflict with another writer) are
 * retried with exponential backoff from 100 ms doubling to 10 s, at most max_retries times
 * in a row; records held stay unacknowledged until their batch commits. A batch refused by
 * the ingest (too many errors under opts->ingest->max_error_rate, or a failed error-level
 * check) stops the stream with CAIRN_ECONFLICT, its records left unacknowledged.
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_stream_stats {
    int64_t records;          /* read */
    int64_t committed;        /* in committed batches */
    int64_t acked;
    int64_t rejected;         /* dead letters */
    int64_t duplicates;
    int64_t written;          /* new rows in the lake */
    int64_t batches;          /* committed batches (a no-op batch counts) */
    int64_t reclaimed;        /* pending entries taken over from other consumers */
    int64_t retries;
    int64_t lag;              /* entries not yet delivered to the group, -1 when unknown */
    double records_per_sec;   /* committed records per second, from the start to the last
                                 commit (time spent idle afterwards is not counted) */
    double elapsed_s;
    char last_snapshot[65];
} cairn_stream_stats;

typedef struct cairn_stream_options {
    const char *url;          /* redis://[:PASSWORD@]HOST[:PORT]/STREAM (port 6379) or
                                 nats://HOST[:PORT]/SUBJECT (port 4222) */
    const char *group;        /* consumer group / durable name; default "cairn-<dataset>" */
    const char *consumer;     /* consumer name; default "<hostname>-<pid>" */
    int64_t batch_records;    /* flush at this many records; default 10000 */
    int64_t batch_age_ms;     /* or when the oldest buffered record is this old; 1000 */
    int64_t max_buffer_bytes; /* or when the buffer holds this much: reading pauses; 64 MiB */
    int64_t claim_idle_ms;    /* reclaim others' pending entries idle this long; 30000 */
    int64_t idle_exit_ms;     /* exit after this long without records; 0 = run until stopped */
    int64_t max_records;      /* exit after this many records; 0 = no limit */
    int64_t ack_wait_ms;      /* NATS: redeliver what is unacked this long; default 30000 */
    int max_retries;          /* transient failures in a row before giving up; default 8 */
    const cairn_ingest_options *ingest; /* NULL = defaults with operation "stream" and
                                           max_error_rate 1 (bad records never refuse a
                                           batch: each goes to the dead-letter store) */
    /* Called after each committed batch (and about once a second when idle); borrowed
     * stats, valid during the call. */
    void (*on_batch)(void *ud, const cairn_stream_stats *stats);
    void *ud;
    volatile int *stop;       /* set non-zero (e.g. from a signal handler) to stop: what is
                                 buffered is flushed and acked first */
} cairn_stream_options;

void cairn_stream_options_init(cairn_stream_options *opts);
/* Runs until *opts->stop, idle_exit_ms without records, max_records, or a fatal error.
 * *stats (may be NULL) holds the totals also when it fails. Errors name the server, e.g.
 * "redis 127.0.0.1:6399: connection refused". */
int cairn_ingest_stream(cairn_home *home, const char *dataset, const cairn_stream_options *opts,
                        cairn_stream_stats *stats, cairn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_INGEST_H */
