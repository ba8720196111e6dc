/* cairn/search.h: the decision logic of hyper-parameter search: search spaces, the random
 * and grid samplers, the median and successive-halving pruners, and picking the best trial.
 *
 * Nothing here trains, tracks or sleeps. The trainer asks for trial i's parameters, trains,
 * reports intermediate values (one per step; a step is a number of boosting rounds done) and
 * asks whether to prune; it records every trial in the tracking catalog. Every decision is a
 * pure function of (space, seed, trial number) or of the list of trials recorded so far
 * (cairn_trial_record), so after a kill the trainer rebuilds that list from the catalog and
 * gets the same decisions it would have got had the process lived on.
 *
 * Search space config (a JSON object; parameter names are its keys):
 *   {"max_depth": {"int": [3, 10]},                      int in [3, 10]
 *    "min_child_weight": {"int": [1, 64], "log": true},  log-uniform int
 *    "max_bin": {"int": [64, 512], "step": 64},          64, 128, ..., 512
 *    "eta": {"float": [0.01, 0.3], "log": true},         log-uniform float
 *    "gamma": {"float": [0, 1], "steps": 5},             grid: 0, 0.25, 0.5, 0.75, 1
 *    "subsample": [0.6, 0.8, 1.0],                       categorical (any JSON scalars)
 *    "booster": {"categorical": ["gbtree", "dart"]},     categorical, long form
 *    "objective": "binary:logistic",                     fixed (any JSON scalar)
 *    "nthread": {"fixed": 4}}                            fixed, long form
 * - "int" bounds are JSON integers, "float" bounds any numbers; low <= high.
 * - "log" needs low > 0 (int: low >= 1) and cannot be combined with "step".
 * - "step" (int only, >= 1): values low, low + step, ... <= high.
 * - "steps" (float only, >= 1): the grid sampler's points: `steps` evenly spaced values from
 *   low to high inclusive (geometrically spaced with "log"); 1 means low alone. The random
 *   sampler ignores it and draws from the continuous range.
 * - Categorical and fixed values are JSON scalars (string, number, true, false, null) and
 *   are passed through unchanged; a categorical list is non-empty.
 * Errors name the parameter (err->field) and say what was expected and what was found.
 *
 * Parameters are output as one JSON object with its keys in byte order (canonical), e.g.
 *   {"eta":0.0421,"max_depth":7,"objective":"binary:logistic","subsample":0.8}
 * ints as JSON integers, floats in the shortest form that reads back to the same double.
 *
 * Tests: tests/unit/train/test_search.c.
 */
#ifndef CAIRN_SEARCH_H
#define CAIRN_SEARCH_H

#include "core.h"
#include "json.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------
 * Search spaces and samplers
 * ---------------------------------------------------------------------------------------- */

typedef struct cairn_search_space cairn_search_space;

/* Parses a space from a JSON object (borrowed; nothing of it is kept). *out is new, free it
 * with cairn_search_space_free. Errors: CAIRN_ETYPE / CAIRN_EINVAL / CAIRN_ERANGE with
 * err->field = the parameter name; CAIRN_ENOMEM. */
int cairn_search_space_parse(const json_t *config, cairn_search_space **out, cairn_error *err);
/* The same from JSON text (parse errors carry line and column; name labels them). */
int cairn_search_space_parse_text(const char *text, size_t len, const char *name,
                                  cairn_search_space **out, cairn_error *err);
void cairn_search_space_free(cairn_search_space *space);
/* Parameters, in canonical (byte) order of their names. */
size_t cairn_search_space_size(const cairn_search_space *space);
const char *cairn_search_space_name(const cairn_search_space *space, size_t index);

typedef enum cairn_sampler {
    CAIRN_SAMPLER_RANDOM = 0,
    CAIRN_SAMPLER_GRID = 1,
} cairn_sampler;

const char *cairn_sampler_name(cairn_sampler sampler); /* "random", "grid" */
int cairn_sampler_parse(const char *name, cairn_sampler *out);

/* The number of grid combinations (the product of each parameter's value count; a fixed
 * parameter counts 1, an empty space has 1). Errors: CAIRN_EINVAL naming a float range
 * without "steps"; CAIRN_ELIMIT when the product passes CAIRN_GRID_MAX. */
#define CAIRN_GRID_MAX INT64_C(100000000)
int cairn_search_grid_size(const cairn_search_space *space, int64_t *out, cairn_error *err);

/* Appends trial `trial`'s parameters (a JSON object, canonical key order) to out.
 * - Random: parameter p of trial i is drawn from a cairn_rng seeded with
 *   cairn_rng_derive(cairn_rng_derive(seed, i), cairn_hash64(name of p)), so it depends
 *   only on (seed, i, p): trials can be drawn in any order, again after a restart, and
 *   adding a parameter does not change the others. int: uniform over its values; int log:
 *   exp(uniform(log(low - 0.5), log(high + 0.5))) rounded and clamped to [low, high] (as
 *   Optuna); float: low + u (high - low); float log: exp(log low + u (log high - log low)),
 *   clamped; categorical: uniform over the list.
 * - Grid: the combinations in a fixed order, parameters in canonical order with the last
 *   one varying fastest (itertools.product over sorted keys, as sklearn's ParameterGrid);
 *   trial i is the i-th combination. seed is ignored.
 * Errors: CAIRN_ERANGE for trial < 0 or, in a grid, trial >= the grid size; the grid's
 * errors above; CAIRN_ENOMEM or CAIRN_ELIMIT from out (then out is as it was). */
int cairn_search_trial_params(const cairn_search_space *space, cairn_sampler sampler, uint64_t seed,
                              int64_t trial, cairn_buf *out, cairn_error *err);

/* ------------------------------------------------------------------------------------------
 * Trials as recorded by the trainer
 * ---------------------------------------------------------------------------------------- */

typedef enum cairn_direction {
    CAIRN_MINIMIZE = 0,
    CAIRN_MAXIMIZE = 1,
} cairn_direction;

const char *cairn_direction_name(cairn_direction direction); /* "minimize", "maximize" */
int cairn_direction_parse(const char *name, cairn_direction *out);

typedef enum cairn_trial_state {
    CAIRN_TRIAL_RUNNING = 0,  /* started, not finished (or the process died) */
    CAIRN_TRIAL_COMPLETE = 1, /* finished; `value` is its objective */
    CAIRN_TRIAL_PRUNED = 2,   /* stopped by the pruner at its last step */
    CAIRN_TRIAL_FAILED = 3,   /* the learner failed */
} cairn_trial_state;

const char *cairn_trial_state_name(cairn_trial_state state); /* "running", ... */
int cairn_trial_state_parse(const char *name, cairn_trial_state *out);

/* One trial, all borrowed from the caller. steps are strictly increasing; values[j] is the
 * intermediate value reported at steps[j] (NaN allowed: a failed evaluation). One record per
 * trial number. A zeroed record plus number, state and the reports is a valid record. */
typedef struct cairn_trial_record {
    int64_t number;
    cairn_trial_state state;
    const char *params_json; /* the trial's parameters; not read by the functions below */
    const int64_t *steps;
    const double *values;
    size_t n_steps;
    double value; /* the final objective; read only when state is COMPLETE */
    /* ASHA, PRUNED trials: the rung its pruning decision named (cairn_prune_decision.rung),
     * if the trainer kept it. It matters only when the trial's last report crossed several
     * rungs at once; without it Cairn takes the lowest of those rungs. */
    bool has_pruned_rung;
    int64_t pruned_rung;
} cairn_trial_record;

/* The best COMPLETE trial: lowest (minimize) or highest (maximize) value, NaN values skipped,
 * ties to the lower number. *index is its position in trials. CAIRN_ENOTFOUND if none. */
int cairn_search_best(const cairn_trial_record *trials, size_t n, cairn_direction direction,
                      size_t *index, cairn_error *err);

/* What to run next in a search of n_trials trials (numbers 0 .. n_trials - 1): the lowest
 * number with no record, or with a RUNNING record when rerun_running (a resumed search
 * redoes trials the dead process left unfinished: their parameters come back the same);
 * -1 when every number is taken. */
int64_t cairn_search_next_number(const cairn_trial_record *trials, size_t n, int64_t n_trials,
                                 bool rerun_running);

/* ------------------------------------------------------------------------------------------
 * Pruners
 * ---------------------------------------------------------------------------------------- */

typedef enum cairn_pruner_kind {
    CAIRN_PRUNER_NONE = 0,
    CAIRN_PRUNER_MEDIAN = 1,
    CAIRN_PRUNER_ASHA = 2, /* asynchronous successive halving */
} cairn_pruner_kind;

typedef struct cairn_pruner {
    cairn_pruner_kind kind;
    cairn_direction direction;
    /* Median (Optuna MedianPruner): no pruning until n_startup_trials trials are COMPLETE or
     * before step n_warmup_steps; then only at the first report in each interval_steps
     * window after warm-up. Prunes when the trial's best value so far is worse than the
     * median of the COMPLETE trials' values at the same step (needs n_min_trials such
     * values, NaN among them skipped by the median; no median, no pruning). A trial whose
     * values so far are all NaN is pruned. Defaults 5, 0, 1, 1. */
    int64_t n_startup_trials, n_warmup_steps, interval_steps, n_min_trials;
    /* ASHA (Optuna SuccessiveHalvingPruner): rung r is reached at step
     * min_resource * reduction_factor^(min_early_stopping_rate + r). The value a trial
     * records at a rung is its value at its first reported step at or past the rung's step.
     * There a trial goes on iff, among the values every trial (any state) has recorded at
     * that rung, itself included, it is at least as good as the k-th best, k =
     * max(1, count / reduction_factor); with count <= bootstrap_count it is pruned. A NaN
     * value at a rung is pruned and not recorded. min_resource 0 = "auto":
     * max(max_resource / 100, 1), which is what Optuna estimates from a first completed
     * trial that ran the whole budget (Optuna waits for that trial; Cairn knows the budget,
     * so the rungs are fixed from the start and never move). As in Optuna, a
     * bootstrap_count above 0 needs an explicit min_resource. Defaults: auto, 4, 0, 0. */
    int64_t min_resource, reduction_factor, min_early_stopping_rate, bootstrap_count;
    int64_t max_resource; /* the budget in steps (boosting rounds); needed by "auto" */
} cairn_pruner;

/* Optuna's defaults for the kind, and the direction. max_resource matters for ASHA. */
void cairn_pruner_init(cairn_pruner *pruner, cairn_pruner_kind kind, cairn_direction direction,
                       int64_t max_resource);
/* Reads a pruner config into *pruner, which must have been initialised (its direction and
 * max_resource are kept): "none" | "median" | "asha" (also "successive_halving"), or an
 * object {"kind": "median", "n_startup_trials": 5, "n_warmup_steps": 0, "interval_steps": 1,
 * "n_min_trials": 1} / {"kind": "asha", "min_resource": "auto" | 1, "reduction_factor": 4,
 * "min_early_stopping_rate": 0, "bootstrap_count": 0}. Unknown keys are errors. */
int cairn_pruner_parse(const json_t *config, cairn_pruner *pruner, cairn_error *err);
/* Checks the settings (ranges; "auto" without max_resource). */
int cairn_pruner_validate(const cairn_pruner *pruner, cairn_error *err);

/* The rung steps of an ASHA pruner that are <= max_resource (or the first `cap` of them when
 * max_resource <= 0), ascending, into rungs[0..cap); *count is how many there are in all
 * (may exceed cap). */
int cairn_asha_rungs(const cairn_pruner *pruner, int64_t *rungs, size_t cap, size_t *count,
                     cairn_error *err);

typedef struct cairn_prune_decision {
    bool prune;
    /* ASHA: when prune, the rung the trial failed at (store it as the trial's pruned_rung);
     * otherwise the highest rung this report passed, -1 when it reached no new rung.
     * Always -1 for the other pruners. */
    int64_t rung;
} cairn_prune_decision;

/* Trial `trial` has just reported `value` at `step`: should it stop? history holds every
 * trial recorded so far; the record of `trial` itself, if present, gives its earlier
 * reports (its steps >= step are ignored, so the caller may have appended the new report
 * already). The caller asks after every report and stops a trial when told (marking it
 * PRUNED). Then a trial's ASHA rung values follow from its reports, as Optuna would have
 * recorded them: a trial that reported past a rung's step and went on passed that rung; a
 * pruned trial's last report counts up to its pruned_rung. So the decision depends only on
 * history: one rebuilt from the catalog after a kill gives what the live run would have.
 * Errors: CAIRN_EINVAL for bad settings or a record whose steps are not increasing (err->row
 * = its index); CAIRN_ENOMEM. */
int cairn_pruner_should_prune(const cairn_pruner *pruner, const cairn_trial_record *history,
                              size_t n_history, int64_t trial, int64_t step, double value,
                              cairn_prune_decision *out, cairn_error *err);

#ifdef __cplusplus
}
#endif
#endif /* CAIRN_SEARCH_H */
