/* src/train/search.c: search spaces, the random and grid samplers, the median and
 * asynchronous successive-halving pruners, and best-trial selection (include/cairn/search.h).
 *
 * A parsed space is an array of parameters sorted by name (the canonical order of the output
 * JSON and of the grid). Categorical and fixed values are kept as their compact JSON text, so
 * the space holds no jansson values and writing a trial is plain appending.
 *
 * Every decision is a pure function: trial i's parameters of (space, sampler, seed, i); a
 * pruning decision of the trials recorded so far. The pruners follow Optuna 3.x
 * (optuna/pruners/_percentile.py, _successive_halving.py). Where Optuna keeps state in
 * trial system attributes (the value each trial recorded at each ASHA rung), Cairn
 * recomputes it from the recorded intermediate values: a trial that reported at or past a
 * rung's step reached that rung, with the value of its first report there (it went on past
 * lower rungs, so it was promoted through them); a pruned trial's last report reached the
 * rungs up to the one it failed at (its pruned_rung, or the lowest rung that report crossed).
 *
 * Tests: tests/unit/train/test_search.c.
 */
#include "cairn/search.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------
 * Types
 * ---------------------------------------------------------------------------------------- */

typedef enum { P_INT, P_FLOAT, P_CATEGORICAL, P_FIXED } param_kind;

typedef struct {
    char *name;
    param_kind kind;
    bool log;
    int64_t int_low, int_high, int_step; /* P_INT */
    double float_low, float_high;        /* P_FLOAT */
    int64_t float_steps;                 /* P_FLOAT grid points; 0 = not given */
    char **values;                       /* P_CATEGORICAL, P_FIXED (1): compact JSON text */
    size_t n_values;
} param;

struct cairn_search_space {
    param *params;
    size_t n;
};

/* ------------------------------------------------------------------------------------------
 * Parsing a space
 * ---------------------------------------------------------------------------------------- */

static int param_error(cairn_error *err, int code, const char *name, const char *expected,
                       const json_t *found)
{
    cairn_buf text;
    cairn_buf_init(&text, 4096);
    if (found) cairn_json_dump(found, 0, &text);
    cairn_error_set(err, code, "parameter '%s': expected %s%s%s", name, expected,
                    found ? ", found " : "", found ? text.data : "");
    cairn_error_field(err, name);
    cairn_error_expect(err, expected, found ? text.data : NULL, text.len);
    cairn_buf_release(&text);
    return code;
}

static int nomem(cairn_error *err)
{
    return cairn_error_set(err, CAIRN_ENOMEM, "out of memory in the search space");
}

static bool is_scalar(const json_t *v)
{
    return !json_is_object(v) && !json_is_array(v);
}

static int add_value(param *p, const json_t *v, cairn_error *err)
{
    cairn_buf text;
    cairn_buf_init(&text, 0);
    char *s = NULL;
    if (cairn_json_dump(v, 0, &text) == 0) s = cairn_buf_detach(&text, NULL);
    cairn_buf_release(&text);
    if (!s) return nomem(err);
    p->values[p->n_values++] = s;
    return 0;
}

static int parse_values(param *p, const json_t *list, cairn_error *err)
{
    size_t n = json_array_size(list);
    if (n == 0) return param_error(err, CAIRN_EINVAL, p->name, "a non-empty list of values", list);
    p->values = cairn_calloc(n, sizeof *p->values);
    if (!p->values) return nomem(err);
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(list, i);
        if (!is_scalar(v))
            return param_error(err, CAIRN_ETYPE, p->name,
                               "categorical values that are JSON scalars", v);
        int rc = add_value(p, v, err);
        if (rc) return rc;
    }
    p->kind = P_CATEGORICAL;
    return 0;
}

static int parse_fixed(param *p, const json_t *v, cairn_error *err)
{
    if (!is_scalar(v)) return param_error(err, CAIRN_ETYPE, p->name, "a fixed JSON scalar", v);
    p->values = cairn_calloc(1, sizeof *p->values);
    if (!p->values) return nomem(err);
    p->kind = P_FIXED;
    return add_value(p, v, err);
}

static int parse_int_range(param *p, const json_t *r, cairn_error *err)
{
    if (!json_is_array(r) || json_array_size(r) != 2 || !json_is_integer(json_array_get(r, 0)) ||
        !json_is_integer(json_array_get(r, 1)))
        return param_error(err, CAIRN_ETYPE, p->name, "\"int\": [low, high] with integers", r);
    p->kind = P_INT;
    p->int_low = json_integer_value(json_array_get(r, 0));
    p->int_high = json_integer_value(json_array_get(r, 1));
    if (p->int_low > p->int_high) return param_error(err, CAIRN_ERANGE, p->name, "low <= high", r);
    return 0;
}

static int parse_float_range(param *p, const json_t *r, cairn_error *err)
{
    if (!json_is_array(r) || json_array_size(r) != 2 || !json_is_number(json_array_get(r, 0)) ||
        !json_is_number(json_array_get(r, 1)))
        return param_error(err, CAIRN_ETYPE, p->name, "\"float\": [low, high] with numbers", r);
    p->kind = P_FLOAT;
    p->float_low = json_number_value(json_array_get(r, 0));
    p->float_high = json_number_value(json_array_get(r, 1));
    if (!isfinite(p->float_low) || !isfinite(p->float_high) || p->float_low > p->float_high)
        return param_error(err, CAIRN_ERANGE, p->name, "finite low <= high", r);
    return 0;
}

/* The long form: {"int": [..]}, {"float": [..]}, {"categorical": [..]}, {"fixed": v}, with
 * "log", "step", "steps" where they apply. */
static int parse_long_form(param *p, const json_t *obj, cairn_error *err)
{
    const json_t *kind_value = NULL, *log = NULL, *step = NULL, *steps = NULL;
    const char *kind = NULL, *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (!strcmp(key, "int") || !strcmp(key, "float") || !strcmp(key, "categorical") ||
            !strcmp(key, "fixed")) {
            if (kind)
                return param_error(err, CAIRN_EINVAL, p->name,
                                   "exactly one of int, float, categorical, fixed", obj);
            kind = key;
            kind_value = v;
        } else if (!strcmp(key, "log")) {
            log = v;
        } else if (!strcmp(key, "step")) {
            step = v;
        } else if (!strcmp(key, "steps")) {
            steps = v;
        } else {
            char expected[200];
            snprintf(expected, sizeof expected,
                     "keys int, float, categorical, fixed, log, "
                     "step, steps (unknown key '%s')",
                     key);
            return param_error(err, CAIRN_EINVAL, p->name, expected, obj);
        }
    }
    if (!kind)
        return param_error(err, CAIRN_EINVAL, p->name, "one of int, float, categorical, fixed",
                           obj);
    int rc;
    if (!strcmp(kind, "int"))
        rc = parse_int_range(p, kind_value, err);
    else if (!strcmp(kind, "float"))
        rc = parse_float_range(p, kind_value, err);
    else if (!strcmp(kind, "fixed"))
        rc = parse_fixed(p, kind_value, err);
    else if (!json_is_array(kind_value))
        rc = param_error(err, CAIRN_ETYPE, p->name, "\"categorical\": [values]", kind_value);
    else
        rc = parse_values(p, kind_value, err);
    if (rc) return rc;
    bool numeric = p->kind == P_INT || p->kind == P_FLOAT;
    if (log && (!json_is_boolean(log) || !numeric))
        return param_error(err, CAIRN_EINVAL, p->name,
                           "\"log\": true or false, only with int or float", log);
    p->log = json_is_true(log);
    p->int_step = 1;
    if (step) {
        if (p->kind != P_INT || !json_is_integer(step) || json_integer_value(step) < 1)
            return param_error(err, CAIRN_EINVAL, p->name,
                               "\"step\": an integer >= 1, only with int", step);
        if (p->log)
            return param_error(err, CAIRN_EINVAL, p->name, "\"step\" or \"log\", not both", obj);
        p->int_step = json_integer_value(step);
    }
    if (steps) {
        if (p->kind != P_FLOAT || !json_is_integer(steps) || json_integer_value(steps) < 1)
            return param_error(err, CAIRN_EINVAL, p->name,
                               "\"steps\": an integer >= 1, only with float", steps);
        p->float_steps = json_integer_value(steps);
    }
    if (p->log && p->kind == P_INT && p->int_low < 1)
        return param_error(err, CAIRN_ERANGE, p->name, "low >= 1 for a log int range", kind_value);
    if (p->log && p->kind == P_FLOAT && !(p->float_low > 0))
        return param_error(err, CAIRN_ERANGE, p->name, "low > 0 for a log float range", kind_value);
    return 0;
}

static int parse_param(param *p, const json_t *v, cairn_error *err)
{
    if (json_is_object(v)) return parse_long_form(p, v, err);
    if (json_is_array(v)) return parse_values(p, v, err);
    return parse_fixed(p, v, err);
}

static void param_release(param *p)
{
    for (size_t i = 0; i < p->n_values; i++)
        cairn_free(p->values[i]);
    cairn_free(p->values);
    cairn_free(p->name);
}

static int cmp_param(const void *a, const void *b)
{
    return strcmp(((const param *)a)->name, ((const param *)b)->name);
}

void cairn_search_space_free(cairn_search_space *space)
{
    if (!space) return;
    for (size_t i = 0; i < space->n; i++)
        param_release(&space->params[i]);
    cairn_free(space->params);
    cairn_free(space);
}

int cairn_search_space_parse(const json_t *config, cairn_search_space **out, cairn_error *err)
{
    *out = NULL;
    if (!json_is_object(config))
        return param_error(err, CAIRN_ETYPE, "search_space", "an object of parameters", config);
    cairn_search_space *space = cairn_calloc(1, sizeof *space);
    size_t n = json_object_size(config);
    if (!space || !(space->params = cairn_calloc(n ? n : 1, sizeof *space->params))) {
        cairn_free(space);
        return nomem(err);
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)config, key, v)
    {
        param *p = &space->params[space->n++];
        int rc = (p->name = cairn_strdup(key)) ? parse_param(p, v, err) : nomem(err);
        if (rc) {
            cairn_search_space_free(space);
            return rc;
        }
    }
    qsort(space->params, space->n, sizeof *space->params, cmp_param);
    *out = space;
    return 0;
}

int cairn_search_space_parse_text(const char *text, size_t len, const char *name,
                                  cairn_search_space **out, cairn_error *err)
{
    json_t *config = NULL;
    *out = NULL;
    int rc = cairn_json_parse(text, len, name, &config, err);
    if (rc == 0) rc = cairn_search_space_parse(config, out, err);
    json_decref(config);
    return rc;
}

size_t cairn_search_space_size(const cairn_search_space *space)
{
    return space->n;
}

const char *cairn_search_space_name(const cairn_search_space *space, size_t index)
{
    return index < space->n ? space->params[index].name : NULL;
}

/* ------------------------------------------------------------------------------------------
 * Samplers
 * ---------------------------------------------------------------------------------------- */

const char *cairn_sampler_name(cairn_sampler sampler)
{
    return sampler == CAIRN_SAMPLER_GRID ? "grid" : "random";
}

int cairn_sampler_parse(const char *name, cairn_sampler *out)
{
    if (name && !strcmp(name, "random"))
        *out = CAIRN_SAMPLER_RANDOM;
    else if (name && !strcmp(name, "grid"))
        *out = CAIRN_SAMPLER_GRID;
    else
        return CAIRN_EINVAL;
    return 0;
}

/* The int values below `high` on the step lattice, less one (fits: high >= low). */
static uint64_t int_span(const param *p)
{
    return ((uint64_t)p->int_high - (uint64_t)p->int_low) / (uint64_t)p->int_step;
}

/* A parameter's grid value count, or 0 with err set. */
static int64_t grid_count(const param *p, cairn_error *err)
{
    switch (p->kind) {
    case P_INT: {
        uint64_t span = int_span(p);
        return span >= (uint64_t)CAIRN_GRID_MAX ? CAIRN_GRID_MAX + 1 : (int64_t)span + 1;
    }
    case P_FLOAT:
        if (p->float_steps > 0) return p->float_steps;
        param_error(err, CAIRN_EINVAL, p->name,
                    "\"steps\" or an explicit list of values for a float range in a grid "
                    "search",
                    NULL);
        return 0;
    case P_CATEGORICAL:
        return (int64_t)p->n_values;
    default:
        return 1;
    }
}

int cairn_search_grid_size(const cairn_search_space *space, int64_t *out, cairn_error *err)
{
    int64_t total = 1;
    for (size_t i = 0; i < space->n; i++) {
        int64_t count = grid_count(&space->params[i], err);
        if (count == 0) return CAIRN_EINVAL;
        if (count > CAIRN_GRID_MAX || total > CAIRN_GRID_MAX / count) {
            cairn_error_set(err, CAIRN_ELIMIT,
                            "the grid has more than %" PRId64
                            " combinations (parameter '%s' has %" PRId64 " values)",
                            CAIRN_GRID_MAX, space->params[i].name, count);
            cairn_error_field(err, space->params[i].name);
            return CAIRN_ELIMIT;
        }
        total *= count;
    }
    *out = total;
    return 0;
}

/* numpy.linspace(low, high, steps)[j], geometric with log; the ends exact. */
static double float_grid_value(const param *p, int64_t j)
{
    if (j == 0 || p->float_steps == 1) return p->float_low;
    if (j == p->float_steps - 1) return p->float_high;
    double t = (double)j, div = (double)(p->float_steps - 1);
    if (p->log) {
        double lo = log(p->float_low), hi = log(p->float_high);
        return exp(lo + t * ((hi - lo) / div));
    }
    return p->float_low + t * ((p->float_high - p->float_low) / div);
}

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

typedef struct {
    int64_t i;   /* P_INT */
    double f;    /* P_FLOAT */
    size_t text; /* P_CATEGORICAL / P_FIXED: index into values */
} param_value;

static param_value random_value(const param *p, uint64_t seed, int64_t trial)
{
    param_value v = {0, 0, 0};
    cairn_rng rng;
    uint64_t stream = cairn_hash64(p->name, strlen(p->name), 0);
    cairn_rng_seed(&rng, cairn_rng_derive(cairn_rng_derive(seed, (uint64_t)trial), stream));
    if (p->kind == P_INT && p->log) {
        double lo = log((double)p->int_low - 0.5), hi = log((double)p->int_high + 0.5);
        double x = round(exp(lo + cairn_rng_uniform(&rng) * (hi - lo)));
        v.i = (int64_t)clamp(x, (double)p->int_low, (double)p->int_high);
    } else if (p->kind == P_INT) {
        uint64_t span = int_span(p);
        uint64_t k = span == UINT64_MAX ? cairn_rng_next(&rng) : cairn_rng_below(&rng, span + 1);
        v.i = (int64_t)((uint64_t)p->int_low + k * (uint64_t)p->int_step);
    } else if (p->kind == P_FLOAT) {
        double u = cairn_rng_uniform(&rng), lo = p->float_low, hi = p->float_high;
        v.f = p->log ? exp(log(lo) + u * (log(hi) - log(lo))) : lo + u * (hi - lo);
        v.f = clamp(v.f, lo, hi);
    } else if (p->kind == P_CATEGORICAL) {
        v.text = (size_t)cairn_rng_below(&rng, p->n_values);
    }
    return v;
}

static param_value grid_value(const param *p, int64_t j)
{
    param_value v = {0, 0, 0};
    if (p->kind == P_INT)
        v.i = (int64_t)((uint64_t)p->int_low + (uint64_t)j * (uint64_t)p->int_step);
    else if (p->kind == P_FLOAT)
        v.f = float_grid_value(p, j);
    else if (p->kind == P_CATEGORICAL)
        v.text = (size_t)j;
    return v;
}

static int put_value(cairn_buf *buf, const param *p, param_value v)
{
    switch (p->kind) {
    case P_INT:
        return cairn_buf_printf(buf, "%" PRId64, v.i);
    case P_FLOAT:
        return cairn_json_put_double(buf, v.f);
    default:
        return cairn_buf_puts(buf, p->values[v.text]);
    }
}

int cairn_search_trial_params(const cairn_search_space *space, cairn_sampler sampler, uint64_t seed,
                              int64_t trial, cairn_buf *out, cairn_error *err)
{
    int64_t grid = 0;
    if (trial < 0)
        return cairn_error_set(err, CAIRN_ERANGE, "trial number %" PRId64 " is negative", trial);
    if (sampler == CAIRN_SAMPLER_GRID) {
        int rc = cairn_search_grid_size(space, &grid, err);
        if (rc) return rc;
        if (trial >= grid)
            return cairn_error_set(err, CAIRN_ERANGE,
                                   "trial %" PRId64 " is past the grid, "
                                   "which has %" PRId64 " combinations",
                                   trial, grid);
    }
    /* Mixed radix with the last parameter fastest: digit j of parameter k. */
    param_value *values = cairn_calloc(space->n ? space->n : 1, sizeof *values);
    if (!values) return nomem(err);
    int64_t rest = trial;
    for (size_t k = space->n; k-- > 0;) {
        const param *p = &space->params[k];
        if (sampler == CAIRN_SAMPLER_GRID) {
            int64_t count = grid_count(p, NULL);
            values[k] = grid_value(p, rest % count);
            rest /= count;
        } else {
            values[k] = random_value(p, seed, trial);
        }
    }
    cairn_buf text; /* written whole, then appended, so out changes only on success */
    cairn_buf_init(&text, 0);
    int rc = cairn_buf_putc(&text, '{');
    for (size_t k = 0; k < space->n && !rc; k++) {
        const param *p = &space->params[k];
        if (k > 0) rc = cairn_buf_putc(&text, ',');
        if (!rc) rc = cairn_json_put_string(&text, p->name, strlen(p->name));
        if (!rc) rc = cairn_buf_putc(&text, ':');
        if (!rc) rc = put_value(&text, p, values[k]);
    }
    if (!rc) rc = cairn_buf_putc(&text, '}');
    if (!rc) rc = cairn_buf_append(out, text.data, text.len);
    cairn_buf_release(&text);
    cairn_free(values);
    if (rc) {
        return cairn_error_set(err, rc, "writing the parameters of trial %" PRId64 ": %s", trial,
                               cairn_strerror(rc));
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Names
 * ---------------------------------------------------------------------------------------- */

static const char *const DIRECTION_NAMES[] = {"minimize", "maximize"};
static const char *const STATE_NAMES[] = {"running", "complete", "pruned", "failed"};

static int parse_name(const char *name, const char *const *names, int count, int *out)
{
    for (int i = 0; name && i < count; i++) {
        if (!strcmp(name, names[i])) {
            *out = i;
            return 0;
        }
    }
    return CAIRN_EINVAL;
}

const char *cairn_direction_name(cairn_direction direction)
{
    return (unsigned)direction < 2 ? DIRECTION_NAMES[direction] : "unknown";
}

int cairn_direction_parse(const char *name, cairn_direction *out)
{
    int i = 0, rc = parse_name(name, DIRECTION_NAMES, 2, &i);
    if (rc == 0) *out = (cairn_direction)i;
    return rc;
}

const char *cairn_trial_state_name(cairn_trial_state state)
{
    return (unsigned)state < 4 ? STATE_NAMES[state] : "unknown";
}

int cairn_trial_state_parse(const char *name, cairn_trial_state *out)
{
    int i = 0, rc = parse_name(name, STATE_NAMES, 4, &i);
    if (rc == 0) *out = (cairn_trial_state)i;
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Trials
 * ---------------------------------------------------------------------------------------- */

/* a is better than b (NaN is never better). */
static bool better(cairn_direction d, double a, double b)
{
    return d == CAIRN_MAXIMIZE ? a > b : a < b;
}

int cairn_search_best(const cairn_trial_record *trials, size_t n, cairn_direction direction,
                      size_t *index, cairn_error *err)
{
    size_t best = n;
    for (size_t i = 0; i < n; i++) {
        const cairn_trial_record *t = &trials[i];
        if (t->state != CAIRN_TRIAL_COMPLETE || isnan(t->value)) continue;
        if (best == n || better(direction, t->value, trials[best].value) ||
            (t->value == trials[best].value && t->number < trials[best].number))
            best = i;
    }
    if (best == n)
        return cairn_error_set(err, CAIRN_ENOTFOUND,
                               "no trial has completed with a value "
                               "(%zu trials recorded)",
                               n);
    *index = best;
    return 0;
}

int64_t cairn_search_next_number(const cairn_trial_record *trials, size_t n, int64_t n_trials,
                                 bool rerun_running)
{
    if (n_trials <= 0) return -1;
    /* Numbers [0, n_trials) taken, as a bitmap; numbers outside are ignored. */
    size_t words = ((size_t)n_trials + 63) / 64;
    uint64_t *taken = cairn_calloc(words, sizeof *taken);
    if (!taken) { /* fall back to a quadratic scan rather than fail */
        for (int64_t k = 0; k < n_trials; k++) {
            bool used = false;
            for (size_t i = 0; i < n && !used; i++)
                used = trials[i].number == k &&
                       !(rerun_running && trials[i].state == CAIRN_TRIAL_RUNNING);
            if (!used) return k;
        }
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t k = trials[i].number;
        if (k < 0 || k >= n_trials) continue;
        if (rerun_running && trials[i].state == CAIRN_TRIAL_RUNNING) continue;
        taken[k / 64] |= UINT64_C(1) << (k % 64);
    }
    int64_t next = -1;
    for (int64_t k = 0; k < n_trials && next < 0; k++)
        if (!(taken[k / 64] >> (k % 64) & 1)) next = k;
    cairn_free(taken);
    return next;
}

/* ------------------------------------------------------------------------------------------
 * Pruner settings
 * ---------------------------------------------------------------------------------------- */

void cairn_pruner_init(cairn_pruner *pruner, cairn_pruner_kind kind, cairn_direction direction,
                       int64_t max_resource)
{
    memset(pruner, 0, sizeof *pruner);
    pruner->kind = kind;
    pruner->direction = direction;
    pruner->n_startup_trials = 5;
    pruner->n_warmup_steps = 0;
    pruner->interval_steps = 1;
    pruner->n_min_trials = 1;
    pruner->min_resource = 0;
    pruner->reduction_factor = 4;
    pruner->min_early_stopping_rate = 0;
    pruner->bootstrap_count = 0;
    pruner->max_resource = max_resource;
}

static int setting_error(cairn_error *err, const char *key, const char *expected)
{
    cairn_error_set(err, CAIRN_EINVAL, "pruner setting '%s': expected %s", key, expected);
    cairn_error_field(err, key);
    return CAIRN_EINVAL;
}

int cairn_pruner_validate(const cairn_pruner *p, cairn_error *err)
{
    if (p->direction != CAIRN_MINIMIZE && p->direction != CAIRN_MAXIMIZE)
        return setting_error(err, "direction", "minimize or maximize");
    if (p->kind == CAIRN_PRUNER_MEDIAN) {
        if (p->n_startup_trials < 0) return setting_error(err, "n_startup_trials", ">= 0");
        if (p->n_warmup_steps < 0) return setting_error(err, "n_warmup_steps", ">= 0");
        if (p->interval_steps < 1) return setting_error(err, "interval_steps", ">= 1");
        if (p->n_min_trials < 1) return setting_error(err, "n_min_trials", ">= 1");
    } else if (p->kind == CAIRN_PRUNER_ASHA) {
        if (p->min_resource < 0) return setting_error(err, "min_resource", "\"auto\" or >= 1");
        if (p->min_resource == 0 && p->max_resource < 1)
            return setting_error(err, "min_resource",
                                 "a number when the budget (max_resource) is unknown");
        if (p->reduction_factor < 2) return setting_error(err, "reduction_factor", ">= 2");
        if (p->min_early_stopping_rate < 0 || p->min_early_stopping_rate > 62)
            return setting_error(err, "min_early_stopping_rate", "0 to 62");
        if (p->bootstrap_count < 0) return setting_error(err, "bootstrap_count", ">= 0");
        if (p->bootstrap_count > 0 && p->min_resource == 0)
            return setting_error(err, "bootstrap_count", "0 when min_resource is \"auto\"");
    } else if (p->kind != CAIRN_PRUNER_NONE) {
        return setting_error(err, "kind", "none, median or asha");
    }
    return 0;
}

static int parse_kind(const char *name, cairn_pruner_kind *out)
{
    if (!strcmp(name, "none"))
        *out = CAIRN_PRUNER_NONE;
    else if (!strcmp(name, "median"))
        *out = CAIRN_PRUNER_MEDIAN;
    else if (!strcmp(name, "asha") || !strcmp(name, "successive_halving"))
        *out = CAIRN_PRUNER_ASHA;
    else
        return CAIRN_EINVAL;
    return 0;
}

/* One integer setting of a pruner object; "auto" where allowed reads as 0. */
static int parse_setting(cairn_pruner *p, const char *key, const json_t *v, cairn_error *err)
{
    static const struct {
        const char *key;
        cairn_pruner_kind kind;
        size_t offset;
    } settings[] = {
        {"n_startup_trials", CAIRN_PRUNER_MEDIAN, offsetof(cairn_pruner, n_startup_trials)},
        {"n_warmup_steps", CAIRN_PRUNER_MEDIAN, offsetof(cairn_pruner, n_warmup_steps)},
        {"interval_steps", CAIRN_PRUNER_MEDIAN, offsetof(cairn_pruner, interval_steps)},
        {"n_min_trials", CAIRN_PRUNER_MEDIAN, offsetof(cairn_pruner, n_min_trials)},
        {"min_resource", CAIRN_PRUNER_ASHA, offsetof(cairn_pruner, min_resource)},
        {"reduction_factor", CAIRN_PRUNER_ASHA, offsetof(cairn_pruner, reduction_factor)},
        {"min_early_stopping_rate", CAIRN_PRUNER_ASHA,
         offsetof(cairn_pruner, min_early_stopping_rate)},
        {"bootstrap_count", CAIRN_PRUNER_ASHA, offsetof(cairn_pruner, bootstrap_count)},
    };
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        if (strcmp(key, settings[i].key)) continue;
        if (settings[i].kind != p->kind)
            return setting_error(err, key, "a setting of this pruner kind");
        int64_t *slot = (int64_t *)((char *)p + settings[i].offset);
        bool is_auto = json_is_string(v) && !strcmp(json_string_value(v), "auto");
        if (is_auto && !strcmp(key, "min_resource"))
            *slot = 0;
        else if (json_is_integer(v))
            *slot = json_integer_value(v);
        else
            return setting_error(err, key, "an integer");
        return 0;
    }
    return setting_error(err, key, "a known setting (unknown key)");
}

int cairn_pruner_parse(const json_t *config, cairn_pruner *pruner, cairn_error *err)
{
    cairn_pruner p;
    cairn_pruner_init(&p, CAIRN_PRUNER_NONE, pruner->direction, pruner->max_resource);
    const json_t *kind = json_is_object(config) ? json_object_get(config, "kind") : config;
    if (!json_is_string(kind) || parse_kind(json_string_value(kind), &p.kind))
        return setting_error(err, "kind", "\"none\", \"median\" or \"asha\"");
    if (json_is_object(config)) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)config, key, v)
        {
            if (strcmp(key, "kind")) {
                int rc = parse_setting(&p, key, v, err);
                if (rc) return rc;
            }
        }
    }
    int rc = cairn_pruner_validate(&p, err);
    if (rc == 0) *pruner = p;
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * ASHA
 * ---------------------------------------------------------------------------------------- */

#define MAX_RUNGS 64 /* past it rung steps no longer fit in int64 */

static int64_t asha_min_resource(const cairn_pruner *p)
{
    if (p->min_resource > 0) return p->min_resource;
    return p->max_resource / 100 > 1 ? p->max_resource / 100 : 1;
}

/* The step of rung r, or INT64_MAX when it does not fit. */
static int64_t rung_step(const cairn_pruner *p, int64_t r)
{
    int64_t step = asha_min_resource(p);
    for (int64_t e = 0; e < p->min_early_stopping_rate + r; e++) {
        if (step > INT64_MAX / p->reduction_factor) return INT64_MAX;
        step *= p->reduction_factor;
    }
    return step;
}

int cairn_asha_rungs(const cairn_pruner *pruner, int64_t *rungs, size_t cap, size_t *count,
                     cairn_error *err)
{
    int rc = cairn_pruner_validate(pruner, err);
    if (rc) return rc;
    if (pruner->kind != CAIRN_PRUNER_ASHA)
        return cairn_error_set(err, CAIRN_EINVAL, "rungs belong to the asha pruner");
    size_t n = 0;
    for (int64_t r = 0;; r++) {
        int64_t s = rung_step(pruner, r);
        if (s == INT64_MAX) break;
        if (pruner->max_resource > 0 ? s > pruner->max_resource : n >= cap) break;
        if (n < cap) rungs[n] = s;
        n++;
    }
    *count = n;
    return 0;
}

/* The first position of t's steps at or past `step`, or n_steps. */
static size_t first_at_or_past(const cairn_trial_record *t, int64_t step)
{
    size_t lo = 0, hi = t->n_steps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->steps[mid] < step)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The value trial t recorded at rung r, as Optuna would have: false when it never got
 * there (no report at or past the rung's step; a NaN at an earlier rung, which pruned it; a
 * pruned trial whose last report failed at a lower rung). */
static bool rung_value(const cairn_pruner *p, const cairn_trial_record *t, int64_t r, double *out)
{
    int64_t last_report_rung = -1; /* the lowest rung reached by the last report */
    for (int64_t k = 0; k <= r; k++) {
        size_t j = first_at_or_past(t, rung_step(p, k));
        if (j == t->n_steps || isnan(t->values[j])) return false;
        if (j + 1 == t->n_steps && t->state == CAIRN_TRIAL_PRUNED) {
            if (last_report_rung < 0) last_report_rung = k;
            int64_t failed_at = t->has_pruned_rung ? t->pruned_rung : last_report_rung;
            if (k > failed_at) return false;
        }
        *out = t->values[j];
    }
    return true;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Optuna's _is_trial_promotable_to_next_rung over `competing` (value included). */
static bool promotable(const cairn_pruner *p, double value, double *competing, size_t n)
{
    size_t idx = n / (size_t)p->reduction_factor;
    idx = idx == 0 ? 0 : idx - 1;
    qsort(competing, n, sizeof *competing, cmp_double);
    if (p->direction == CAIRN_MAXIMIZE) return value >= competing[n - 1 - idx];
    return value <= competing[idx];
}

static int asha_should_prune(const cairn_pruner *p, const cairn_trial_record *history,
                             size_t n_history, const cairn_trial_record *self, int64_t step,
                             double value, cairn_prune_decision *out, cairn_error *err)
{
    /* The rung to decide next: the first whose step is past this trial's earlier reports. */
    int64_t last = -1;
    if (self) {
        size_t j = first_at_or_past(self, step);
        if (j > 0) last = self->steps[j - 1];
    }
    int64_t rung = 0;
    while (rung < MAX_RUNGS && rung_step(p, rung) <= last)
        rung++;
    double *competing = cairn_malloc((n_history + 1) * sizeof *competing);
    if (!competing) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory in the pruner");
    for (; rung < MAX_RUNGS; rung++) {
        if (step < rung_step(p, rung)) break;
        out->rung = rung;
        if (isnan(value)) {
            out->prune = true;
            break;
        }
        size_t n = 0;
        for (size_t i = 0; i < n_history; i++) {
            if (&history[i] != self && rung_value(p, &history[i], rung, &competing[n])) n++;
        }
        competing[n++] = value;
        if ((int64_t)n <= p->bootstrap_count || !promotable(p, value, competing, n)) {
            out->prune = true;
            break;
        }
    }
    cairn_free(competing);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Median
 * ---------------------------------------------------------------------------------------- */

/* Optuna's _is_first_in_interval_step: is `step` the first report at or past the latest
 * pruning step? `prev` is the previous report's step, -1 when none. */
static bool first_in_interval(const cairn_pruner *p, int64_t step, int64_t prev)
{
    int64_t lower =
        (step - p->n_warmup_steps) / p->interval_steps * p->interval_steps + p->n_warmup_steps;
    return prev < lower;
}

/* The value recorded at exactly `step`, if any. */
static bool value_at(const cairn_trial_record *t, int64_t step, double *out)
{
    size_t j = first_at_or_past(t, step);
    if (j == t->n_steps || t->steps[j] != step) return false;
    *out = t->values[j];
    return true;
}

static int median_should_prune(const cairn_pruner *p, const cairn_trial_record *history,
                               size_t n_history, const cairn_trial_record *self, int64_t step,
                               double value, bool *prune, cairn_error *err)
{
    int64_t completed = 0;
    for (size_t i = 0; i < n_history; i++)
        completed += &history[i] != self && history[i].state == CAIRN_TRIAL_COMPLETE;
    if (completed == 0 || completed < p->n_startup_trials || step < p->n_warmup_steps) return 0;
    size_t earlier = self ? first_at_or_past(self, step) : 0;
    if (!first_in_interval(p, step, earlier > 0 ? self->steps[earlier - 1] : -1)) return 0;
    double best = value;
    for (size_t j = 0; j < earlier; j++)
        if (isnan(best) || better(p->direction, self->values[j], best)) best = self->values[j];
    if (isnan(best)) {
        *prune = true;
        return 0;
    }
    double *at_step = cairn_malloc((n_history ? n_history : 1) * sizeof *at_step);
    if (!at_step) return cairn_error_set(err, CAIRN_ENOMEM, "out of memory in the pruner");
    int64_t reported = 0;
    size_t n = 0;
    for (size_t i = 0; i < n_history; i++) {
        const cairn_trial_record *t = &history[i];
        if (t == self || t->state != CAIRN_TRIAL_COMPLETE || !value_at(t, step, &at_step[n]))
            continue;
        reported++;
        if (!isnan(at_step[n])) n++;
    }
    if (reported >= p->n_min_trials && n > 0) {
        /* numpy.nanpercentile(values, 50) with linear interpolation: the usual median */
        qsort(at_step, n, sizeof *at_step, cmp_double);
        double median =
            n % 2 ? at_step[n / 2] : at_step[n / 2 - 1] + (at_step[n / 2] - at_step[n / 2 - 1]) / 2;
        *prune = better(p->direction, median, best);
    }
    cairn_free(at_step);
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Pruning decisions
 * ---------------------------------------------------------------------------------------- */

static int check_history(const cairn_trial_record *history, size_t n, cairn_error *err)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 1; j < history[i].n_steps; j++) {
            if (history[i].steps[j] > history[i].steps[j - 1]) continue;
            cairn_error_set(err, CAIRN_EINVAL,
                            "trial %" PRId64 " has steps out of order (%" PRId64 " after %" PRId64
                            ")",
                            history[i].number, history[i].steps[j], history[i].steps[j - 1]);
            if (err) err->row = (int64_t)i;
            return CAIRN_EINVAL;
        }
    }
    return 0;
}

int cairn_pruner_should_prune(const cairn_pruner *pruner, const cairn_trial_record *history,
                              size_t n_history, int64_t trial, int64_t step, double value,
                              cairn_prune_decision *out, cairn_error *err)
{
    out->prune = false;
    out->rung = -1;
    int rc = cairn_pruner_validate(pruner, err);
    if (rc == 0) rc = check_history(history, n_history, err);
    if (rc || pruner->kind == CAIRN_PRUNER_NONE) return rc;
    const cairn_trial_record *self = NULL;
    for (size_t i = 0; i < n_history && !self; i++)
        if (history[i].number == trial) self = &history[i];
    if (pruner->kind == CAIRN_PRUNER_MEDIAN)
        return median_should_prune(pruner, history, n_history, self, step, value, &out->prune, err);
    return asha_should_prune(pruner, history, n_history, self, step, value, out, err);
}
