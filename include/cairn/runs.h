/* cairn/runs.h: experiment tracking: experiments, runs, params, tags, metrics, artifacts.
 *
 * The semantics are MLflow's tracking (../shared/reference/training_registry_monitoring.md
 * section 1), without its scale and partial-write problems:
 * - An experiment has a unique name; runs belong to one. A run has a random 128-bit id (32
 *   lower-case hex digits), an optional parent run (search trials are children of the
 *   search's run), a name, a status (RUNNING, then FINISHED, FAILED or KILLED), start and
 *   end times (UTC microseconds), the user and the source (command line).
 * - Params are write-once: logging a key again with the same value is a no-op, with another
 *   value it is CAIRN_ECONFLICT naming the key, the stored and the new value.
 * - Tags: the last write wins. Keys starting with "cairn." are Cairn's own (see below).
 * - Metrics are append-only points (key, value, step, timestamp in ms); NaN and infinities
 *   are values like any other. Each (run, key) keeps a summary (latest point by (step,
 *   timestamp), later-logged winning ties; min and max over the non-NaN values; count), so
 *   listing and comparing never read the series. The series is stored compactly in chunks
 *   of up to 1,024 points (see docs/runs.md).
 * - A batch (params, tags and metrics of one run) is written in one catalog transaction:
 *   all of it or, on any error, none of it. There is no size limit besides memory.
 * - Artifacts are named blobs of a run kept in the content-addressed object store
 *   (include/cairn/lake.h); logging a path again replaces what it points at.
 *
 * Every call is its own catalog transaction (SQLite: BEGIN IMMEDIATE), so several processes
 * may log to the same run at once without losing a point. Calls must not be made while the
 * caller holds a transaction open on the home's catalog, and a home (its catalog
 * connection) serves one thread at a time: threads open a home each.
 *
 * Cairn's tags, set by cairn_run_create: cairn.version, cairn.host, cairn.pid,
 * cairn.pid_start (the process's start time in clock ticks since boot, from /proc, so that a
 * reused pid is told apart), cairn.cpu_start_us. cairn_run_reap uses them to mark the
 * RUNNING runs of processes that died as KILLED. cairn_run_set_system_info adds
 * cairn.system.* (cpu, wall time, peak RSS). The search driver names its trials with the
 * tag CAIRN_RUN_TRIAL_TAG and finds them again with cairn_run_find_child.
 *
 * Ownership: strings passed in are borrowed for the call. Query results (cairn_runs,
 * cairn_experiments) own all their strings in an arena, valid until their _release.
 *
 * Implementation: src/train/runs.c. Tests: tests/unit/train/test_runs.c,
 * tests/integration/test_runs_cli.sh. User guide: docs/runs.md.
 */
#ifndef CAIRN_RUNS_H
#define CAIRN_RUNS_H

#include "catalog.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CAIRN_RUN_ID_LEN 32            /* hex digits of a run id */
#define CAIRN_RUN_ID_PREFIX_MIN 4      /* the shortest prefix cairn_run_resolve accepts */
#define CAIRN_RUN_KEY_MAX 250          /* bytes of a param, tag or metric key */
#define CAIRN_RUN_PARAM_VALUE_MAX 6000 /* bytes of a param value (MLflow's limit) */
#define CAIRN_RUN_TAG_VALUE_MAX 8000   /* bytes of a tag value */
#define CAIRN_RUN_ARTIFACT_PATH_MAX 512
#define CAIRN_RUN_TRIAL_TAG "cairn.trial" /* a search trial's deterministic key */

typedef enum cairn_run_status {
    CAIRN_RUN_ANY = -1, /* in queries only */
    CAIRN_RUN_RUNNING = 0,
    CAIRN_RUN_FINISHED = 1,
    CAIRN_RUN_FAILED = 2,
    CAIRN_RUN_KILLED = 3,
} cairn_run_status;

/* "RUNNING", "FINISHED", "FAILED", "KILLED" ("ANY" for CAIRN_RUN_ANY). */
const char *cairn_run_status_name(cairn_run_status status);
/* Case-insensitive; CAIRN_EINVAL for anything else. */
int cairn_run_status_parse(const char *name, cairn_run_status *out);

/* A key and its value (params and tags). */
typedef struct cairn_run_kv {
    const char *key;
    const char *value;
} cairn_run_kv;

/* One point of a metric. timestamp_ms 0 means "now" when logging. */
typedef struct cairn_run_metric {
    const char *key;
    double value;
    int64_t step;
    int64_t timestamp_ms;
} cairn_run_metric;

typedef struct cairn_metric_point {
    int64_t step;
    int64_t timestamp_ms;
    double value;
} cairn_metric_point;

/* The summary of one metric of one run. min and max are NaN when every value was NaN. */
typedef struct cairn_metric_summary {
    const char *key;
    double latest;        /* the value of the latest point by (step, timestamp) */
    int64_t step;         /* that point's step: the last step */
    int64_t timestamp_ms; /* and timestamp */
    double min, max;
    int64_t count; /* points logged */
} cairn_metric_summary;

typedef struct cairn_run_artifact {
    const char *path; /* the name within the run, e.g. "model/model.json" */
    char object[65];  /* SHA-256 of the bytes: the object in the home's object store */
    int64_t bytes;
    int64_t logged_us;
} cairn_run_artifact;

/* ------------------------------------------------------------------------------------------
 * Experiments
 * ---------------------------------------------------------------------------------------- */

/* The experiment's id, creating it when it does not exist (*created says which; may be
 * NULL). Names: 1 to 250 bytes of letters, digits, '_', '-', '.', ' ', '/' and ':'. */
int cairn_experiment_ensure(cairn_home *home, const char *name, int64_t *id, bool *created,
                            cairn_error *err);
/* Sets a tag of an experiment (last write wins). CAIRN_ENOTFOUND for an unknown name. */
int cairn_experiment_set_tag(cairn_home *home, const char *name, const char *key, const char *value,
                             cairn_error *err);

typedef struct cairn_experiment_info {
    int64_t id;
    const char *name;
    int64_t created_us;
    int64_t runs;        /* how many runs it holds */
    int64_t runs_active; /* of which RUNNING */
    cairn_run_kv *tags;  /* sorted by key */
    size_t ntags;
} cairn_experiment_info;

typedef struct cairn_experiments {
    cairn_experiment_info *items; /* by name */
    size_t count;
    cairn_arena arena; /* owns everything above */
} cairn_experiments;

/* Every experiment. out is initialised by the call, also on failure. */
int cairn_experiment_list(cairn_home *home, cairn_experiments *out, cairn_error *err);
void cairn_experiments_release(cairn_experiments *list);

/* ------------------------------------------------------------------------------------------
 * Runs: create, end, log
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_run_options {
    const char *experiment;   /* required; created when it does not exist */
    const char *name;         /* NULL = none */
    const char *parent_id;    /* the full id of the parent run, NULL = none */
    const char *user;         /* NULL = $USER, else "cairn" */
    const char *source;       /* e.g. the command line; NULL = none */
    const cairn_run_kv *tags; /* initial tags, written in the same transaction as the run
                                 (e.g. CAIRN_RUN_TRIAL_TAG, so that a trial is never seen
                                 without its key) */
    size_t ntags;
} cairn_run_options;

/* Creates a RUNNING run started now; id gets its 32 hex digits and a NUL. */
int cairn_run_create(cairn_home *home, const cairn_run_options *opts, char id[CAIRN_RUN_ID_LEN + 1],
                     cairn_error *err);
/* Ends a run: status FINISHED, FAILED or KILLED, end time now. Ending a run that has ended
 * already updates its status and end time (a KILLED run that was in fact alive may still
 * finish). */
int cairn_run_end(cairn_home *home, const char *run_id, cairn_run_status status, cairn_error *err);
/* Makes an ended run RUNNING again, owned by this process (its host, pid and CPU start
 * tags are this process's): a resumed job or trial carries on under its own run. */
int cairn_run_reopen(cairn_home *home, const char *run_id, cairn_error *err);
/* Records the calling process's resources as tags: cairn.system.cpu_s (user + system CPU
 * since cairn_run_create, when the run was created by this process; since the process
 * started otherwise), cairn.system.wall_s (now - start), cairn.system.peak_rss_mb (the
 * process's peak resident set: meaningful when the process trained only this run). Call it
 * just before cairn_run_end. */
int cairn_run_set_system_info(cairn_home *home, const char *run_id, cairn_error *err);

/* What cairn_run_log_batch writes. Any of the arrays may be empty (NULL with count 0). */
typedef struct cairn_run_batch {
    const cairn_run_kv *params;
    size_t nparams;
    const cairn_run_kv *tags;
    size_t ntags;
    const cairn_run_metric *metrics;
    size_t nmetrics;
} cairn_run_batch;

/* Writes a batch in one transaction: everything or, on the first invalid item (bad key or
 * value, a param conflicting with its stored value or with an earlier item of the batch),
 * nothing; err then names the item. run_id is a full id. */
int cairn_run_log_batch(cairn_home *home, const char *run_id, const cairn_run_batch *batch,
                        cairn_error *err);
/* One-item shorthands for cairn_run_log_batch. timestamp_ms 0 = now. */
int cairn_run_log_param(cairn_home *home, const char *run_id, const char *key, const char *value,
                        cairn_error *err);
int cairn_run_set_tag(cairn_home *home, const char *run_id, const char *key, const char *value,
                      cairn_error *err);
int cairn_run_log_metric(cairn_home *home, const char *run_id, const char *key, double value,
                         int64_t step, int64_t timestamp_ms, cairn_error *err);

/* Stores data[0..len) as an object and records it as the run's artifact `path` (relative,
 * no "." or ".." parts, at most CAIRN_RUN_ARTIFACT_PATH_MAX bytes); object, when not NULL,
 * gets the object id. */
int cairn_run_log_artifact(cairn_home *home, const char *run_id, const char *path, const void *data,
                           size_t len, char object[65], cairn_error *err);
/* Reads an artifact's bytes (verified against its hash) into out. */
int cairn_run_artifact_get(cairn_home *home, const char *run_id, const char *path, cairn_buf *out,
                           cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Runs: queries
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_run_info {
    char id[CAIRN_RUN_ID_LEN + 1];
    char parent_id[CAIRN_RUN_ID_LEN + 1]; /* "" when none */
    const char *experiment;
    const char *name; /* "" when none */
    cairn_run_status status;
    int64_t start_us;
    int64_t end_us; /* 0 while RUNNING */
    const char *user;
    const char *source;            /* "" when none */
    cairn_metric_summary *metrics; /* sorted by key (always filled) */
    size_t nmetrics;
    /* Filled by cairn_run_get and cairn_run_compare, and by cairn_run_list with details;
     * sorted by key / path. */
    cairn_run_kv *params;
    size_t nparams;
    cairn_run_kv *tags;
    size_t ntags;
    cairn_run_artifact *artifacts;
    size_t nartifacts;
} cairn_run_info;

typedef struct cairn_runs {
    cairn_run_info *items;
    size_t count;
    cairn_arena arena; /* owns everything above */
} cairn_runs;

void cairn_runs_release(cairn_runs *runs);

typedef struct cairn_run_query {
    const char *experiment;  /* NULL = every experiment (ordering by a metric is then a scan) */
    cairn_run_status status; /* CAIRN_RUN_ANY for any */
    const char *parent_id;   /* NULL = any, "" = top-level runs only, else a full id */
    const char *tag_key;     /* with tag_value: only runs carrying this tag with this value */
    const char *tag_value;
    const char *order_metric; /* NULL = by start time; else by this metric's latest value,
                                 runs without it (or whose latest is NaN) after the others,
                                 newest first */
    bool ascending;           /* start time: false = newest first; metric: false = highest */
    int64_t limit;            /* 0 = 100 */
    int64_t offset;
    bool details; /* also params, tags and artifacts */
} cairn_run_query;

/* A query with every field at its default (any status, newest first, limit 100). */
cairn_run_query cairn_run_query_default(void);

/* The runs matching q in q's order. out is initialised by the call, also on failure. Fast
 * within one experiment at any size: an index gives the order (see docs/runs.md). */
int cairn_run_list(cairn_home *home, const cairn_run_query *q, cairn_runs *out, cairn_error *err);
/* The full id of the run whose id starts with prefix (at least CAIRN_RUN_ID_PREFIX_MIN hex
 * digits, any case). CAIRN_ENOTFOUND when none does, CAIRN_EINVAL when several do (err
 * names two of them) or prefix is not hex. */
int cairn_run_resolve(cairn_home *home, const char *prefix, char id[CAIRN_RUN_ID_LEN + 1],
                      cairn_error *err);
/* One run with every detail; run is an id or an unambiguous prefix. */
int cairn_run_get(cairn_home *home, const char *run, cairn_runs *out, cairn_error *err);
/* Several runs with every detail, in the order given (ids or prefixes). */
int cairn_run_compare(cairn_home *home, const char *const *runs, size_t count, cairn_runs *out,
                      cairn_error *err);
/* The points of one metric of one run, by step, then timestamp, then the order logged.
 * *points is a heap array (free it with cairn_free; NULL when count is 0). CAIRN_ENOTFOUND
 * when the run has no such metric. */
int cairn_run_metric_history(cairn_home *home, const char *run_id, const char *key,
                             cairn_metric_point **points, size_t *count, cairn_error *err);

/* Whether lower values of a metric are better. Any case; the name is split into words at
 * anything but letters and digits ("val_rmse" -> "val", "rmse"). True when a word contains
 * "loss", "error" or "brier", or starts with "rmse", "mse", "mae", "mape", "ece" or
 * "deviance" ("ece" only as a word's start, so that "recency" is not a loss); false
 * otherwise (auc, accuracy, f1, r2, ...). Used to mark the best run in comparisons. */
bool cairn_metric_lower_is_better(const char *key);

/* ------------------------------------------------------------------------------------------
 * Resuming a search
 * ---------------------------------------------------------------------------------------- */

/* The newest child run of parent_id carrying tag key = value (e.g. CAIRN_RUN_TRIAL_TAG =
 * "3"): its id and status. CAIRN_ENOTFOUND when there is none. */
int cairn_run_find_child(cairn_home *home, const char *parent_id, const char *key,
                         const char *value, char id[CAIRN_RUN_ID_LEN + 1], cairn_run_status *status,
                         cairn_error *err);
/* Marks KILLED (end time now, tag cairn.reaped saying why) every RUNNING run created on this
 * host whose process is gone, or whose pid now belongs to another process. Runs of other
 * hosts are left alone. *reaped (may be NULL) gets how many were marked. */
int cairn_run_reap(cairn_home *home, int64_t *reaped, cairn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_RUNS_H */
