/* Tests of src/train/search.c: search-space parsing (the documented example, bad spaces with
 * the parameter named), the random sampler (trial i independent of draw order, bounds, the
 * log-uniform shape, categorical coverage), the grid (count, order, floats with steps,
 * limits), canonical output; the median pruner and successive halving on Optuna's own test
 * cases (tests/pruners_tests/test_median.py, test_successive_halving.py) ported to trial
 * histories; a live Optuna-style ASHA (per-trial rung records kept as they are made)
 * against decisions rebuilt from history, over random asynchronous schedules; best trial;
 * next trial number; pruner config; allocation failures. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/search.h"

static cairn_search_space *space_of(const char *text)
{
    cairn_search_space *space = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_search_space_parse_text(text, strlen(text), "space", &space, &err), &err);
    return space;
}

/* Trial `trial`'s parameters as a string in one of four rotating static buffers. */
static const char *params_of(const cairn_search_space *space, cairn_sampler sampler, uint64_t seed,
                             int64_t trial)
{
    static char slots[4][1024];
    static int next;
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_search_trial_params(space, sampler, seed, trial, &buf, &err), &err);
    char *slot = slots[next++ % 4];
    snprintf(slot, sizeof slots[0], "%s", buf.data);
    cairn_buf_release(&buf);
    return slot;
}

static json_t *params_json(const cairn_search_space *space, cairn_sampler sampler, uint64_t seed,
                           int64_t trial)
{
    const char *text = params_of(space, sampler, seed, trial);
    json_t *j = NULL;
    assert_int_equal(cairn_json_parse(text, strlen(text), "params", &j, NULL), 0);
    return j;
}

static const char *EXAMPLE =
    "{\"max_depth\": {\"int\": [3, 10]}, \"min_child_weight\": {\"int\": [1, 64], \"log\": "
    "true}, \"max_bin\": {\"int\": [64, 512], \"step\": 64}, \"eta\": {\"float\": [0.01, 0.3], "
    "\"log\": true}, \"gamma\": {\"float\": [0, 1], \"steps\": 5}, \"subsample\": [0.6, 0.8, "
    "1.0], \"booster\": {\"categorical\": [\"gbtree\", \"dart\"]}, \"objective\": "
    "\"binary:logistic\", \"nthread\": {\"fixed\": 4}}";

/* ------------------------------------------------------------------------------------------
 * Spaces
 * ---------------------------------------------------------------------------------------- */

static void test_space_parse(void **state)
{
    (void)state;
    cairn_search_space *space = space_of(EXAMPLE);
    const char *names[] = {"booster",          "eta",     "gamma",     "max_bin",  "max_depth",
                           "min_child_weight", "nthread", "objective", "subsample"};
    assert_int_equal(cairn_search_space_size(space), 9);
    for (size_t i = 0; i < 9; i++)
        assert_string_equal(cairn_search_space_name(space, i), names[i]);
    assert_null(cairn_search_space_name(space, 9));
    /* a float range without steps: no grid */
    cairn_error err;
    cairn_error_clear(&err);
    int64_t size = 0;
    assert_int_equal(cairn_search_grid_size(space, &size, &err), CAIRN_EINVAL);
    assert_string_equal(err.field, "eta");
    assert_non_null(strstr(err.message, "parameter 'eta': expected \"steps\" or an explicit list"));
    cairn_search_space_free(space);
    cairn_search_space_free(NULL);
}

static void test_bad_spaces(void **state)
{
    (void)state;
    struct {
        const char *text;
        int code;
        const char *field, *part;
    } cases[] = {
        {"[1, 2]", CAIRN_ETYPE, "search_space", "an object of parameters"},
        {"{\"a\": {\"int\": [1.5, 3]}}", CAIRN_ETYPE, "a",
         "[low, high] with integers, found [1.5,3]"},
        {"{\"a\": {\"int\": [5, 3]}}", CAIRN_ERANGE, "a", "low <= high"},
        {"{\"a\": {\"int\": [3]}}", CAIRN_ETYPE, "a", "[low, high]"},
        {"{\"a\": {\"float\": [0.5, \"x\"]}}", CAIRN_ETYPE, "a", "with numbers"},
        {"{\"a\": {\"float\": [0, 1], \"log\": true}}", CAIRN_ERANGE, "a", "low > 0"},
        {"{\"a\": {\"int\": [0, 8], \"log\": true}}", CAIRN_ERANGE, "a", "low >= 1"},
        {"{\"a\": {\"int\": [1, 8], \"log\": true, \"step\": 2}}", CAIRN_EINVAL, "a", "not both"},
        {"{\"a\": {\"float\": [0, 1], \"step\": 2}}", CAIRN_EINVAL, "a", "only with int"},
        {"{\"a\": {\"int\": [0, 1], \"steps\": 2}}", CAIRN_EINVAL, "a", "only with float"},
        {"{\"a\": {\"int\": [0, 1], \"step\": 0}}", CAIRN_EINVAL, "a", "integer >= 1"},
        {"{\"a\": {\"int\": [0, 1], \"log\": \"yes\"}}", CAIRN_EINVAL, "a",
         "\"log\": true or false"},
        {"{\"a\": {\"categorical\": [1], \"log\": true}}", CAIRN_EINVAL, "a",
         "only with int or float"},
        {"{\"a\": {\"int\": [0, 1], \"float\": [0, 1]}}", CAIRN_EINVAL, "a", "exactly one of"},
        {"{\"a\": {\"lg\": true}}", CAIRN_EINVAL, "a", "unknown key 'lg'"},
        {"{\"a\": {}}", CAIRN_EINVAL, "a", "one of int, float, categorical, fixed"},
        {"{\"b\": 1, \"a\": []}", CAIRN_EINVAL, "a", "a non-empty list"},
        {"{\"a\": [1, [2]]}", CAIRN_ETYPE, "a", "JSON scalars, found [2]"},
        {"{\"a\": {\"categorical\": 3}}", CAIRN_ETYPE, "a", "\"categorical\": [values]"},
        {"{\"a\": {\"fixed\": {\"x\": 1}}}", CAIRN_ETYPE, "a", "a fixed JSON scalar"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cairn_search_space *space = (cairn_search_space *)&cases; /* must be reset to NULL */
        cairn_error err;
        cairn_error_clear(&err);
        int rc = cairn_search_space_parse_text(cases[i].text, strlen(cases[i].text), "space",
                                               &space, &err);
        if (rc != cases[i].code || strcmp(err.field, cases[i].field) ||
            !strstr(err.message, cases[i].part))
            fail_msg("case %zu: rc %d field '%s' message '%s'", i, rc, err.field, err.message);
        assert_null(space);
    }
    /* JSON syntax errors carry a position */
    cairn_search_space *space = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    assert_int_equal(cairn_search_space_parse_text("{\"a\": [1,", 9, "space.json", &space, &err),
                     CAIRN_EPARSE);
    assert_string_equal(err.file, "space.json");
    assert_int_equal(err.line, 1);
}

/* ------------------------------------------------------------------------------------------
 * Random sampler
 * ---------------------------------------------------------------------------------------- */

static void test_random_determinism(void **state)
{
    (void)state;
    cairn_search_space *space = space_of(EXAMPLE);
    char forward[20][1024];
    for (int i = 0; i < 20; i++)
        snprintf(forward[i], sizeof forward[i], "%s", params_of(space, CAIRN_SAMPLER_RANDOM, 9, i));
    for (int i = 19; i >= 0; i -= 3) /* another order, again */
        assert_string_equal(params_of(space, CAIRN_SAMPLER_RANDOM, 9, i), forward[i]);
    int same = 0;
    for (int i = 1; i < 20; i++)
        same += !strcmp(forward[i], forward[i - 1]);
    assert_int_equal(same, 0);
    assert_string_not_equal(params_of(space, CAIRN_SAMPLER_RANDOM, 10, 3), forward[3]);
    /* keys in canonical order, fixed values passed through */
    json_t *j = params_json(space, CAIRN_SAMPLER_RANDOM, 9, 4);
    const char *keys[] = {"booster",          "eta",     "gamma",     "max_bin",  "max_depth",
                          "min_child_weight", "nthread", "objective", "subsample"};
    const char *p = forward[4];
    for (size_t k = 0; k < 9; k++) {
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\":", keys[k]);
        const char *at = strstr(forward[4], quoted);
        assert_non_null(at);
        assert_true(at >= p);
        p = at;
    }
    assert_string_equal(json_string_value(json_object_get(j, "objective")), "binary:logistic");
    assert_int_equal(json_integer_value(json_object_get(j, "nthread")), 4);
    json_decref(j);
    /* adding a parameter leaves the others' draws alone */
    cairn_search_space *small = space_of("{\"max_depth\": {\"int\": [3, 10]}, \"eta\": "
                                         "{\"float\": [0.01, 0.3], \"log\": true}}");
    for (int i = 0; i < 10; i++) {
        json_t *a = params_json(small, CAIRN_SAMPLER_RANDOM, 9, i);
        json_t *b = params_json(space, CAIRN_SAMPLER_RANDOM, 9, i);
        assert_true(json_equal(json_object_get(a, "eta"), json_object_get(b, "eta")));
        assert_true(json_equal(json_object_get(a, "max_depth"), json_object_get(b, "max_depth")));
        json_decref(a);
        json_decref(b);
    }
    cairn_search_space_free(small);
    cairn_search_space_free(space);
}

static void test_random_bounds(void **state)
{
    (void)state;
    cairn_search_space *space = space_of(
        "{\"i\": {\"int\": [3, 10]}, \"il\": {\"int\": [1, 1000], \"log\": true}, \"s\": "
        "{\"int\": [-5, 20], \"step\": 5}, \"f\": {\"float\": [-1, 1]}, \"fl\": {\"float\": "
        "[0.001, 10], \"log\": true}, \"c\": [\"x\", 2, true, null, 0.5], \"one\": {\"float\": "
        "[2.5, 2.5]}, \"f2\": {\"float\": [-1, 1]}, \"small\": {\"int\": [1, 3], \"log\": true}}");
    int seen_i[11] = {0}, seen_c[5] = {0}, seen_s[6] = {0};
    int n = 4000, fl_below_gm = 0, il_below_gm = 0, small_ones = 0, f_equal_f2 = 0;
    double f_sum = 0;
    for (int t = 0; t < n; t++) {
        json_t *j = params_json(space, CAIRN_SAMPLER_RANDOM, 1234, t);
        int64_t i = json_integer_value(json_object_get(j, "i"));
        assert_true(json_is_integer(json_object_get(j, "i")) && i >= 3 && i <= 10);
        seen_i[i]++;
        int64_t il = json_integer_value(json_object_get(j, "il"));
        assert_true(il >= 1 && il <= 1000);
        il_below_gm += il < 32; /* sqrt(1000) = 31.6 */
        int64_t s = json_integer_value(json_object_get(j, "s"));
        assert_true(s >= -5 && s <= 20 && (s + 5) % 5 == 0);
        seen_s[(s + 5) / 5]++;
        double f = json_real_value(json_object_get(j, "f"));
        assert_true(json_is_real(json_object_get(j, "f")) && f >= -1 && f < 1);
        f_sum += f;
        f_equal_f2 += f == json_real_value(json_object_get(j, "f2"));
        small_ones += json_integer_value(json_object_get(j, "small")) == 1;
        double fl = json_real_value(json_object_get(j, "fl"));
        assert_true(fl >= 0.001 && fl <= 10);
        fl_below_gm += fl < 0.1; /* the geometric mean of the bounds */
        assert_true(json_real_value(json_object_get(j, "one")) == 2.5);
        json_t *c = json_object_get(j, "c");
        int ci = json_is_string(c)    ? 0
                 : json_is_integer(c) ? 1
                 : json_is_true(c)    ? 2
                 : json_is_null(c)    ? 3
                                      : 4;
        seen_c[ci]++;
        json_decref(j);
    }
    for (int i = 3; i <= 10; i++)
        assert_true(seen_i[i] > n / 8 - 150 && seen_i[i] < n / 8 + 150);
    for (int i = 0; i < 6; i++)
        assert_true(seen_s[i] > 0);
    for (int i = 0; i < 5; i++)
        assert_true(seen_c[i] > n / 5 - 150);
    /* log-uniform: half the mass below the geometric mean (a uniform draw would put 1%) */
    assert_true(fl_below_gm > n / 2 - 150 && fl_below_gm < n / 2 + 150);
    assert_true(il_below_gm > n / 2 - 200 && il_below_gm < n / 2 + 200);
    assert_true(fabs(f_sum / n) < 0.05);
    assert_int_equal(f_equal_f2, 0); /* each parameter has a stream of its own */
    /* int log over [1, 3] as Optuna: log-uniform on [0.5, 3.5], rounded: P(1) = 0.564 */
    assert_true(fabs((double)small_ones / n - log(3.0) / log(7.0)) < 0.03);
    cairn_search_space_free(space);
    cairn_error err;
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    space = space_of("{\"a\": 1}");
    cairn_error_clear(&err);
    assert_int_equal(cairn_search_trial_params(space, CAIRN_SAMPLER_RANDOM, 1, -1, &buf, &err),
                     CAIRN_ERANGE);
    assert_int_equal(buf.len, 0);
    cairn_buf_release(&buf);
    cairn_search_space_free(space);
}

/* ------------------------------------------------------------------------------------------
 * Grid
 * ---------------------------------------------------------------------------------------- */

static void test_grid(void **state)
{
    (void)state;
    cairn_search_space *space = space_of(
        "{\"d\": {\"float\": [0, 1], \"steps\": 3}, \"c\": \"x\", \"b\": {\"int\": [0, 4], "
        "\"step\": 2}, \"a\": [1, \"two\"]}");
    int64_t size = 0;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_search_grid_size(space, &size, &err), &err);
    assert_int_equal(size, 18);
    /* sorted keys a, b, c, d; d varies fastest (itertools.product) */
    assert_string_equal(params_of(space, CAIRN_SAMPLER_GRID, 0, 0),
                        "{\"a\":1,\"b\":0,\"c\":\"x\",\"d\":0.0}");
    assert_string_equal(params_of(space, CAIRN_SAMPLER_GRID, 0, 1),
                        "{\"a\":1,\"b\":0,\"c\":\"x\",\"d\":0.5}");
    assert_string_equal(params_of(space, CAIRN_SAMPLER_GRID, 0, 3),
                        "{\"a\":1,\"b\":2,\"c\":\"x\",\"d\":0.0}");
    assert_string_equal(params_of(space, CAIRN_SAMPLER_GRID, 0, 9),
                        "{\"a\":\"two\",\"b\":0,\"c\":\"x\",\"d\":0.0}");
    assert_string_equal(params_of(space, CAIRN_SAMPLER_GRID, 77, 17),
                        "{\"a\":\"two\",\"b\":4,\"c\":\"x\",\"d\":1.0}");
    /* all distinct */
    char all[18][128];
    for (int i = 0; i < 18; i++) {
        snprintf(all[i], sizeof all[i], "%s", params_of(space, CAIRN_SAMPLER_GRID, 0, i));
        for (int k = 0; k < i; k++)
            assert_string_not_equal(all[i], all[k]);
    }
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    cairn_error_clear(&err);
    assert_int_equal(cairn_search_trial_params(space, CAIRN_SAMPLER_GRID, 0, 18, &buf, &err),
                     CAIRN_ERANGE);
    assert_non_null(strstr(err.message, "18 combinations"));
    cairn_search_space_free(space);
    /* log steps are geometric; ends exact */
    space = space_of("{\"eta\": {\"float\": [0.001, 1], \"log\": true, \"steps\": 4}}");
    assert_string_equal(params_of(space, CAIRN_SAMPLER_GRID, 0, 0), "{\"eta\":0.001}");
    json_t *j = params_json(space, CAIRN_SAMPLER_GRID, 0, 1);
    assert_true(fabs(json_real_value(json_object_get(j, "eta")) - 0.01) < 1e-15);
    json_decref(j);
    assert_string_equal(params_of(space, CAIRN_SAMPLER_GRID, 0, 3), "{\"eta\":1.0}");
    cairn_search_space_free(space);
    /* too big */
    space = space_of("{\"a\": {\"int\": [0, 99999]}, \"b\": {\"int\": [0, 99999]}}");
    cairn_error_clear(&err);
    assert_int_equal(cairn_search_grid_size(space, &size, &err), CAIRN_ELIMIT);
    assert_string_equal(err.field, "b");
    cairn_search_space_free(space);
    /* the empty space: one trial, {} */
    space = space_of("{}");
    CAIRN_ASSERT_OK(cairn_search_grid_size(space, &size, &err), &err);
    assert_int_equal(size, 1);
    assert_string_equal(params_of(space, CAIRN_SAMPLER_GRID, 0, 0), "{}");
    assert_string_equal(params_of(space, CAIRN_SAMPLER_RANDOM, 0, 5), "{}");
    cairn_search_space_free(space);
    /* names are escaped */
    space = space_of("{\"a\\\"b\": 1}");
    assert_string_equal(params_of(space, CAIRN_SAMPLER_GRID, 0, 0), "{\"a\\\"b\":1}");
    cairn_search_space_free(space);
    cairn_buf_release(&buf);
    cairn_sampler s;
    assert_int_equal(cairn_sampler_parse("grid", &s), 0);
    assert_int_equal(s, CAIRN_SAMPLER_GRID);
    assert_int_equal(cairn_sampler_parse("tpe", &s), CAIRN_EINVAL);
    assert_string_equal(cairn_sampler_name(CAIRN_SAMPLER_RANDOM), "random");
}

/* ------------------------------------------------------------------------------------------
 * Trial histories for the pruners
 * ---------------------------------------------------------------------------------------- */

#define MAX_REPORTS 64
#define MAX_TRIALS 64

typedef struct {
    int64_t steps[MAX_REPORTS];
    double values[MAX_REPORTS];
    size_t n;
    cairn_trial_state state;
    bool has_pruned_rung;
    int64_t pruned_rung;
} sim_trial;

typedef struct {
    sim_trial trials[MAX_TRIALS];
    size_t n;
    cairn_trial_record records[MAX_TRIALS];
} study;

static sim_trial *study_add(study *s)
{
    sim_trial *t = &s->trials[s->n++];
    memset(t, 0, sizeof *t);
    return t;
}

static void report(sim_trial *t, double value, int64_t step)
{
    t->steps[t->n] = step;
    t->values[t->n++] = value;
}

/* The records of every trial; the trial `self` shows its reports before its last one unless
 * `with_last`. */
static const cairn_trial_record *study_records(study *s, const sim_trial *self, bool with_last)
{
    for (size_t i = 0; i < s->n; i++) {
        sim_trial *t = &s->trials[i];
        cairn_trial_record *r = &s->records[i];
        memset(r, 0, sizeof *r);
        r->number = (int64_t)i;
        r->state = t->state;
        r->steps = t->steps;
        r->values = t->values;
        r->n_steps = t == self && !with_last ? t->n - 1 : t->n;
        r->value = t->n ? t->values[t->n - 1] : NAN;
        r->has_pruned_rung = t->has_pruned_rung;
        r->pruned_rung = t->pruned_rung;
    }
    return s->records;
}

/* Asks the pruner about self's last report, both with and without that report in the
 * history, checks the two agree, and records a pruning as the trainer would. */
static cairn_prune_decision ask(const cairn_pruner *p, study *s, sim_trial *self)
{
    cairn_prune_decision d1, d2;
    cairn_error err;
    cairn_error_clear(&err);
    int64_t number = self - s->trials, step = self->steps[self->n - 1];
    double value = self->values[self->n - 1];
    CAIRN_ASSERT_OK(cairn_pruner_should_prune(p, study_records(s, self, true), s->n, number, step,
                                              value, &d1, &err),
                    &err);
    CAIRN_ASSERT_OK(cairn_pruner_should_prune(p, study_records(s, self, false), s->n, number, step,
                                              value, &d2, &err),
                    &err);
    assert_int_equal(d1.prune, d2.prune);
    assert_int_equal(d1.rung, d2.rung);
    return d1;
}

static bool ask_prune(const cairn_pruner *p, study *s, sim_trial *self)
{
    return ask(p, s, self).prune;
}

static cairn_pruner median(int64_t startup, int64_t warmup, int64_t interval, cairn_direction d)
{
    cairn_pruner p;
    cairn_pruner_init(&p, CAIRN_PRUNER_MEDIAN, d, 0);
    p.n_startup_trials = startup;
    p.n_warmup_steps = warmup;
    p.interval_steps = interval;
    return p;
}

/* ------------------------------------------------------------------------------------------
 * Median pruner: Optuna's test_median.py
 * ---------------------------------------------------------------------------------------- */

static void test_median_optuna(void **state)
{
    (void)state;
    study s;
    /* with one trial */
    cairn_pruner p = median(0, 0, 1, CAIRN_MINIMIZE);
    s.n = 0;
    sim_trial *t = study_add(&s);
    report(t, 1, 1);
    assert_false(ask_prune(&p, &s, t));
    /* intermediate values, both directions */
    for (int d = 0; d < 2; d++) {
        p = median(0, 0, 1, d ? CAIRN_MAXIMIZE : CAIRN_MINIMIZE);
        s.n = 0;
        t = study_add(&s);
        report(t, 1, 1);
        t->state = CAIRN_TRIAL_COMPLETE;
        t = study_add(&s);
        report(t, d ? 0.5 : 2, 1);
        assert_true(ask_prune(&p, &s, t));
    }
    /* NaN */
    p = median(0, 0, 1, CAIRN_MINIMIZE);
    s.n = 0;
    t = study_add(&s);
    report(t, NAN, 1);
    assert_false(ask_prune(&p, &s, t)); /* no previous trials */
    t->state = CAIRN_TRIAL_COMPLETE;
    t = study_add(&s);
    report(t, NAN, 1);
    assert_true(ask_prune(&p, &s, t)); /* the best value so far is NaN */
    t->state = CAIRN_TRIAL_COMPLETE;
    t = study_add(&s);
    report(t, 1, 1);
    assert_false(ask_prune(&p, &s, t)); /* the median is NaN */
    /* n_startup_trials */
    p = median(2, 0, 1, CAIRN_MINIMIZE);
    s.n = 0;
    t = study_add(&s);
    report(t, 1, 1);
    t->state = CAIRN_TRIAL_COMPLETE;
    t = study_add(&s);
    report(t, 2, 1);
    assert_false(ask_prune(&p, &s, t));
    t->state = CAIRN_TRIAL_COMPLETE;
    t = study_add(&s);
    report(t, 3, 1);
    assert_true(ask_prune(&p, &s, t));
    /* n_warmup_steps */
    p = median(0, 1, 1, CAIRN_MINIMIZE);
    s.n = 0;
    t = study_add(&s);
    report(t, 1, 0);
    report(t, 1, 1);
    t->state = CAIRN_TRIAL_COMPLETE;
    t = study_add(&s);
    report(t, 2, 0);
    assert_false(ask_prune(&p, &s, t));
    report(t, 2, 1);
    assert_true(ask_prune(&p, &s, t));
    /* n_min_trials */
    p = median(2, 0, 1, CAIRN_MINIMIZE);
    p.n_min_trials = 2;
    s.n = 0;
    t = study_add(&s);
    report(t, 4, 1);
    report(t, 2, 2);
    t->state = CAIRN_TRIAL_COMPLETE;
    t = study_add(&s);
    report(t, 3, 1);
    t->state = CAIRN_TRIAL_COMPLETE;
    t = study_add(&s);
    report(t, 4, 1);
    report(t, 3, 2);
    assert_false(ask_prune(&p, &s, t));
    t->state = CAIRN_TRIAL_COMPLETE;
    t = study_add(&s);
    report(t, 4, 1);
    report(t, 3, 2);
    assert_true(ask_prune(&p, &s, t)); /* median of 2 and 3 is 2.5 < 3 */
}

/* test_median_pruner_interval_steps: should_prune after every step, reports every
 * report_steps; a step without a report repeats the last report's decision. */
static void test_median_intervals(void **state)
{
    (void)state;
    struct {
        int64_t warmup, interval, report_steps;
        const char *expected;
    } cases[] = {
        {0, 1, 1, "0 1 2 3 4 5"},
        {1, 1, 1, "1 2 3 4 5"},
        {1, 2, 1, "1 3 5"},
        {0, 3, 10, "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28"},
        {2, 3, 10, "10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28"},
        {0, 10, 3, "0 1 2 12 13 14 21 22 23"},
        {2, 10, 3, "3 4 5 12 13 14 24 25 26"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        cairn_pruner p = median(0, cases[c].warmup, cases[c].interval, CAIRN_MINIMIZE);
        study s;
        s.n = 0;
        int64_t last_step = 0;
        for (const char *e = cases[c].expected; *e;) {
            char *end;
            last_step = strtoll(e, &end, 10) + 1;
            e = end;
        }
        sim_trial *done = study_add(&s);
        for (int64_t i = 0; i < last_step; i++)
            report(done, 0, i);
        done->state = CAIRN_TRIAL_COMPLETE;
        sim_trial *t = study_add(&s);
        cairn_buf pruned;
        cairn_buf_init(&pruned, 0);
        bool decision = false;
        for (int64_t i = 0; i < last_step; i++) {
            if (i % cases[c].report_steps == 0) {
                report(t, 2, i);
                decision = ask_prune(&p, &s, t);
            }
            if (decision) cairn_buf_printf(&pruned, "%s%lld", pruned.len ? " " : "", (long long)i);
        }
        if (strcmp(pruned.data, cases[c].expected))
            fail_msg("case %zu: pruned at %s, expected %s", c, pruned.data, cases[c].expected);
        cairn_buf_release(&pruned);
    }
}

static void test_median_more(void **state)
{
    (void)state;
    /* default n_startup_trials = 5; median of an even count interpolates; the best value
     * over steps decides; only COMPLETE trials count */
    cairn_pruner p;
    cairn_pruner_init(&p, CAIRN_PRUNER_MEDIAN, CAIRN_MAXIMIZE, 0);
    study s;
    s.n = 0;
    double finals[] = {0.5, 0.6, 0.7, 0.8};
    for (int i = 0; i < 4; i++) {
        sim_trial *t = study_add(&s);
        report(t, finals[i], 3);
        t->state = CAIRN_TRIAL_COMPLETE;
    }
    sim_trial *running = study_add(&s);
    report(running, 0.1, 3);
    running->state = CAIRN_TRIAL_RUNNING;
    sim_trial *t = study_add(&s);
    report(t, 0.0, 3);
    assert_false(ask_prune(&p, &s, t)); /* only 4 complete: start-up */
    running->state = CAIRN_TRIAL_COMPLETE;
    s.n--; /* forget t */
    t = study_add(&s);
    report(t, 0.9, 2);
    report(t, 0.55, 3); /* below the median 0.6, but the best so far is 0.9 */
    assert_false(ask_prune(&p, &s, t));
    s.n--;
    t = study_add(&s);
    report(t, 0.59, 3); /* median of 0.1 .. 0.8 is 0.6 */
    assert_true(ask_prune(&p, &s, t));
    s.n--;
    t = study_add(&s);
    report(t, 0.6, 3); /* equal is not worse */
    assert_false(ask_prune(&p, &s, t));
    s.n--;
    t = study_add(&s);
    report(t, 0.0, 4); /* nobody reported at step 4 */
    assert_false(ask_prune(&p, &s, t));
}

/* ------------------------------------------------------------------------------------------
 * Successive halving: Optuna's test_successive_halving.py
 * ---------------------------------------------------------------------------------------- */

static cairn_pruner asha(int64_t min_resource, int64_t eta, int64_t rate, cairn_direction d)
{
    cairn_pruner p;
    cairn_pruner_init(&p, CAIRN_PRUNER_ASHA, d, 0);
    p.min_resource = min_resource;
    p.reduction_factor = eta;
    p.min_early_stopping_rate = rate;
    return p;
}

/* Reports, asks, and on a pruning marks the trial as the trainer would. */
static cairn_prune_decision step_trial(const cairn_pruner *p, study *s, sim_trial *t, double value,
                                       int64_t step, bool keep_rung)
{
    report(t, value, step);
    cairn_prune_decision d = ask(p, s, t);
    if (d.prune) {
        t->state = CAIRN_TRIAL_PRUNED;
        t->has_pruned_rung = keep_rung;
        t->pruned_rung = d.rung;
    }
    return d;
}

static void test_asha_optuna(void **state)
{
    (void)state;
    study s;
    /* intermediate values, both directions */
    for (int d = 0; d < 2; d++) {
        cairn_pruner p = asha(1, 2, 0, d ? CAIRN_MAXIMIZE : CAIRN_MINIMIZE);
        s.n = 0;
        assert_false(step_trial(&p, &s, study_add(&s), 1, 1, true).prune);
        assert_true(step_trial(&p, &s, study_add(&s), d ? 0.5 : 2, 1, true).prune);
    }
    /* rung check: seven trials at step 7 (rungs at 1, 2, 4), then 0.75, 0.25, 0.05; with
     * and without the pruned rungs kept */
    for (int keep = 0; keep < 2; keep++) {
        cairn_pruner p = asha(1, 2, 0, CAIRN_MINIMIZE);
        s.n = 0;
        for (int i = 0; i < 7; i++)
            step_trial(&p, &s, study_add(&s), 0.1 * (i + 1), 7, keep);
        cairn_prune_decision d = step_trial(&p, &s, study_add(&s), 0.75, 7, keep);
        assert_true(d.prune); /* completed_rung_0 only */
        assert_int_equal(d.rung, 0);
        d = step_trial(&p, &s, study_add(&s), 0.25, 7, keep);
        assert_true(d.prune); /* completed_rung_1, not 2 */
        assert_int_equal(d.rung, 1);
        d = step_trial(&p, &s, study_add(&s), 0.05, 7, keep);
        assert_false(d.prune); /* completed_rung_2, not 3 (8 > 7) */
        assert_int_equal(d.rung, 2);
    }
    /* the first trial is not pruned, and completes rungs 0..3 over steps 0..9 */
    cairn_pruner p = asha(1, 2, 0, CAIRN_MINIMIZE);
    s.n = 0;
    sim_trial *t = study_add(&s);
    int64_t highest = -1;
    for (int i = 0; i < 10; i++) {
        cairn_prune_decision d = step_trial(&p, &s, t, 1, i, true);
        assert_false(d.prune);
        if (d.rung > highest) highest = d.rung;
    }
    assert_int_equal(highest, 3);
    /* NaN: ignored off a rung, pruned on one */
    p = asha(2, 2, 0, CAIRN_MINIMIZE);
    s.n = 0;
    t = study_add(&s);
    assert_false(step_trial(&p, &s, t, NAN, 1, true).prune);
    assert_true(step_trial(&p, &s, t, NAN, 2, true).prune);
    /* min_resource, reduction_factor and min_early_stopping_rate move rung 0 */
    struct {
        int64_t min_resource, eta, rate, step, rung;
    } rungs[] = {
        {1, 2, 0, 1, 0},  {2, 2, 0, 1, -1}, {2, 2, 0, 2, 0},  {1, 3, 0, 1, 0},
        {1, 3, 0, 2, -1}, {1, 3, 0, 3, 1},  {1, 2, 1, 1, -1}, {1, 2, 1, 2, 0},
    };
    s.n = 0;
    t = study_add(&s);
    for (size_t i = 0; i < sizeof rungs / sizeof rungs[0]; i++) {
        p = asha(rungs[i].min_resource, rungs[i].eta, rungs[i].rate, CAIRN_MINIMIZE);
        if (i == 0 || rungs[i].step <= t->steps[t->n - 1]) t->n = 0; /* a fresh trial */
        cairn_prune_decision d = step_trial(&p, &s, t, 1, rungs[i].step, true);
        assert_false(d.prune);
        if (d.rung != rungs[i].rung) fail_msg("case %zu: rung %lld", i, (long long)d.rung);
    }
    /* bootstrap_count = 1: the first trial alone at a rung is pruned */
    p = asha(1, 2, 0, CAIRN_MINIMIZE);
    p.bootstrap_count = 1;
    s.n = 0;
    sim_trial *t1 = study_add(&s), *t2 = study_add(&s);
    assert_true(step_trial(&p, &s, t1, 1, 1, true).prune);
    assert_false(step_trial(&p, &s, t2, 1, 1, true).prune);
}

static void test_asha_settings(void **state)
{
    (void)state;
    cairn_pruner p;
    cairn_pruner_init(&p, CAIRN_PRUNER_ASHA, CAIRN_MINIMIZE, 1000);
    int64_t rungs[8];
    size_t count = 0;
    cairn_error err;
    cairn_error_clear(&err);
    /* auto: 1000 / 100 = 10; rungs 10, 40, 160, 640 */
    CAIRN_ASSERT_OK(cairn_asha_rungs(&p, rungs, 8, &count, &err), &err);
    assert_int_equal(count, 4);
    assert_int_equal(rungs[0], 10);
    assert_int_equal(rungs[3], 640);
    p.max_resource = 50; /* 50 / 100 rounds down to 0: at least 1 */
    CAIRN_ASSERT_OK(cairn_asha_rungs(&p, rungs, 2, &count, &err), &err);
    assert_int_equal(count, 3); /* 1, 4, 16 */
    assert_int_equal(rungs[1], 4);
    p.max_resource = 0;
    cairn_error_clear(&err);
    assert_int_equal(cairn_asha_rungs(&p, rungs, 8, &count, &err), CAIRN_EINVAL);
    assert_string_equal(err.field, "min_resource");
    p.min_resource = 3;
    p.min_early_stopping_rate = 1;
    CAIRN_ASSERT_OK(cairn_asha_rungs(&p, rungs, 3, &count, &err), &err);
    assert_int_equal(count, 3);
    assert_int_equal(rungs[0], 12);
    assert_int_equal(rungs[2], 192);
    struct {
        const char *field;
        int64_t value;
    } bad[] = {{"reduction_factor", 1},
               {"min_early_stopping_rate", -1},
               {"bootstrap_count", -1},
               {"min_resource", -1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cairn_pruner_init(&p, CAIRN_PRUNER_ASHA, CAIRN_MINIMIZE, 100);
        if (i == 0) p.reduction_factor = bad[i].value;
        if (i == 1) p.min_early_stopping_rate = bad[i].value;
        if (i == 2) p.bootstrap_count = bad[i].value;
        if (i == 3) p.min_resource = bad[i].value;
        cairn_error_clear(&err);
        assert_int_equal(cairn_pruner_validate(&p, &err), CAIRN_EINVAL);
        assert_string_equal(err.field, bad[i].field);
    }
    cairn_pruner_init(&p, CAIRN_PRUNER_ASHA, CAIRN_MINIMIZE, 100);
    p.bootstrap_count = 1; /* with "auto": refused, as in Optuna */
    assert_int_equal(cairn_pruner_validate(&p, &err), CAIRN_EINVAL);
    cairn_pruner_init(&p, CAIRN_PRUNER_MEDIAN, CAIRN_MINIMIZE, 0);
    p.interval_steps = 0;
    cairn_error_clear(&err);
    assert_int_equal(cairn_pruner_validate(&p, &err), CAIRN_EINVAL);
    assert_string_equal(err.field, "interval_steps");
    /* steps out of order in a record */
    cairn_pruner_init(&p, CAIRN_PRUNER_MEDIAN, CAIRN_MINIMIZE, 0);
    int64_t steps[] = {1, 3, 2};
    double values[] = {1, 1, 1};
    cairn_trial_record r = {
        .number = 4, .state = CAIRN_TRIAL_COMPLETE, .steps = steps, .values = values, .n_steps = 3};
    cairn_prune_decision d;
    cairn_error_clear(&err);
    assert_int_equal(cairn_pruner_should_prune(&p, &r, 1, 5, 1, 0.5, &d, &err), CAIRN_EINVAL);
    assert_non_null(strstr(err.message, "trial 4 has steps out of order"));
    assert_int_equal(err.row, 0);
    /* none never prunes */
    cairn_pruner_init(&p, CAIRN_PRUNER_NONE, CAIRN_MINIMIZE, 0);
    CAIRN_ASSERT_OK(cairn_pruner_should_prune(&p, NULL, 0, 0, 5, NAN, &d, &err), &err);
    assert_false(d.prune);
    assert_int_equal(d.rung, -1);
}

static void test_pruner_parse(void **state)
{
    (void)state;
    struct {
        const char *text;
        int rc;
        const char *field;
    } cases[] = {
        {"\"median\"", 0, ""},
        {"\"successive_halving\"", 0, ""},
        {"{\"kind\": \"asha\", \"min_resource\": \"auto\", \"reduction_factor\": 3}", 0, ""},
        {"{\"kind\": \"median\", \"n_startup_trials\": 2, \"n_warmup_steps\": 10}", 0, ""},
        {"\"hyperband\"", CAIRN_EINVAL, "kind"},
        {"{\"n_startup_trials\": 2}", CAIRN_EINVAL, "kind"},
        {"{\"kind\": \"median\", \"reduction_factor\": 2}", CAIRN_EINVAL, "reduction_factor"},
        {"{\"kind\": \"median\", \"n_startup\": 2}", CAIRN_EINVAL, "n_startup"},
        {"{\"kind\": \"asha\", \"reduction_factor\": \"4\"}", CAIRN_EINVAL, "reduction_factor"},
        {"{\"kind\": \"asha\", \"reduction_factor\": 1}", CAIRN_EINVAL, "reduction_factor"},
        {"{\"kind\": \"median\", \"n_warmup_steps\": \"auto\"}", CAIRN_EINVAL, "n_warmup_steps"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = NULL;
        assert_int_equal(cairn_json_parse(cases[i].text, strlen(cases[i].text), "p", &j, NULL), 0);
        cairn_pruner p;
        cairn_pruner_init(&p, CAIRN_PRUNER_NONE, CAIRN_MAXIMIZE, 500);
        cairn_error err;
        cairn_error_clear(&err);
        int rc = cairn_pruner_parse(j, &p, &err);
        json_decref(j);
        if (rc != cases[i].rc || strcmp(err.field, cases[i].field))
            fail_msg("case %zu: rc %d field '%s' %s", i, rc, err.field, err.message);
        if (rc == 0) {
            assert_int_equal(p.direction, CAIRN_MAXIMIZE);
            assert_int_equal(p.max_resource, 500);
        }
        if (i == 2) {
            assert_int_equal(p.kind, CAIRN_PRUNER_ASHA);
            assert_int_equal(p.reduction_factor, 3);
            assert_int_equal(p.min_resource, 0);
        }
        if (i == 3) {
            assert_int_equal(p.n_startup_trials, 2);
            assert_int_equal(p.n_warmup_steps, 10);
            assert_int_equal(p.interval_steps, 1);
        }
    }
    cairn_direction d;
    assert_int_equal(cairn_direction_parse("maximize", &d), 0);
    assert_int_equal(d, CAIRN_MAXIMIZE);
    assert_int_equal(cairn_direction_parse("max", &d), CAIRN_EINVAL);
    cairn_trial_state st;
    assert_int_equal(cairn_trial_state_parse("pruned", &st), 0);
    assert_int_equal(st, CAIRN_TRIAL_PRUNED);
    assert_string_equal(cairn_trial_state_name(CAIRN_TRIAL_FAILED), "failed");
    assert_string_equal(cairn_direction_name(CAIRN_MINIMIZE), "minimize");
}

/* ------------------------------------------------------------------------------------------
 * Live ASHA (Optuna's algorithm with its per-trial rung records) against rebuilt decisions
 * ---------------------------------------------------------------------------------------- */

typedef struct {
    double rung_values[64];
    int64_t n_rungs; /* completed_rung_0 .. completed_rung_{n-1} */
} live_attrs;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* SuccessiveHalvingPruner.prune, transcribed; `attrs` are every trial's system attributes. */
static cairn_prune_decision live_prune(const cairn_pruner *p, live_attrs *attrs, size_t n,
                                       size_t self, int64_t step, double value)
{
    cairn_prune_decision d = {false, -1};
    int64_t rung = attrs[self].n_rungs;
    for (;;) {
        int64_t promotion_step = p->min_resource;
        for (int64_t e = 0; e < p->min_early_stopping_rate + rung; e++)
            promotion_step *= p->reduction_factor;
        if (step < promotion_step) return d;
        d.rung = rung;
        if (isnan(value)) {
            d.prune = true;
            return d;
        }
        double competing[MAX_TRIALS + 1];
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (i != self && attrs[i].n_rungs > rung) competing[m++] = attrs[i].rung_values[rung];
        attrs[self].rung_values[rung] = value;
        attrs[self].n_rungs = rung + 1;
        competing[m++] = value;
        if ((int64_t)m <= p->bootstrap_count) {
            d.prune = true;
            return d;
        }
        int64_t idx = (int64_t)m / p->reduction_factor - 1;
        if (idx < 0) idx = 0;
        qsort(competing, m, sizeof *competing, cmp_d);
        bool promoted = p->direction == CAIRN_MAXIMIZE ? value >= competing[m - 1 - (size_t)idx]
                                                       : value <= competing[idx];
        if (!promoted) {
            d.prune = true;
            return d;
        }
        rung++;
    }
}

static void run_schedule(cairn_rng *rng, bool multi_rung_reports, bool keep_rung)
{
    cairn_pruner p = asha(1 + (int64_t)cairn_rng_below(rng, 3),
                          2 + (int64_t)cairn_rng_below(rng, 3), (int64_t)cairn_rng_below(rng, 2),
                          cairn_rng_below(rng, 2) ? CAIRN_MAXIMIZE : CAIRN_MINIMIZE);
    p.bootstrap_count = (int64_t)cairn_rng_below(rng, 2);
    study s;
    s.n = 0;
    static live_attrs attrs[MAX_TRIALS];
    memset(attrs, 0, sizeof attrs);
    size_t n_trials = 10 + (size_t)cairn_rng_below(rng, 30);
    int64_t budget = 30 + (int64_t)cairn_rng_below(rng, 30);
    size_t started = 0, finished = 0;
    int64_t last_step[MAX_TRIALS];
    while (finished < n_trials) {
        /* start a trial, or advance a random running one */
        size_t pick = 0;
        bool any_running = started > finished;
        if (started < n_trials && (!any_running || cairn_rng_below(rng, 3) == 0)) {
            pick = started++;
            study_add(&s);
            last_step[pick] = -1;
        } else {
            do
                pick = (size_t)cairn_rng_below(rng, started);
            while (s.trials[pick].state != CAIRN_TRIAL_RUNNING);
        }
        sim_trial *t = &s.trials[pick];
        int64_t step =
            last_step[pick] + 1 + (multi_rung_reports ? (int64_t)cairn_rng_below(rng, 12) : 0);
        double value = (double)cairn_rng_below(rng, 20) / 10; /* ties happen */
        if (cairn_rng_below(rng, 40) == 0) value = NAN;
        if (step >= budget || t->n + 1 >= MAX_REPORTS) {
            t->state = CAIRN_TRIAL_COMPLETE;
            finished++;
            continue;
        }
        last_step[pick] = step;
        cairn_prune_decision live = live_prune(&p, attrs, s.n, pick, step, value);
        cairn_prune_decision rebuilt = step_trial(&p, &s, t, value, step, keep_rung);
        if (live.prune != rebuilt.prune || live.rung != rebuilt.rung)
            fail_msg("trial %zu step %lld value %g: live %d/%lld, rebuilt %d/%lld", pick,
                     (long long)step, value, live.prune, (long long)live.rung, rebuilt.prune,
                     (long long)rebuilt.rung);
        if (rebuilt.prune) finished++;
    }
}

static void test_asha_live_vs_rebuilt(void **state)
{
    (void)state;
    cairn_rng rng;
    cairn_rng_seed(&rng, 2024);
    for (int i = 0; i < 150; i++)
        run_schedule(&rng, true, true); /* rungs kept */
    for (int i = 0; i < 150; i++)
        run_schedule(&rng, false, false); /* one rung per report */
}

/* A pruned trial whose last report crossed several rungs counts up to its pruned_rung, or,
 * when the trainer did not keep it, up to the lowest rung that report crossed. Rungs at 1, 2,
 * 4; a (0.1) and d (0.05) completed rungs 0 and 1; b reported 0.3 once, at step 2, and was
 * pruned. A probe reporting 0.08 once at step 2 passes rung 0 (0.08 is the 2nd best of 4,
 * k = 2) and then, at rung 1, faces a and d (3 values, k = 1: pruned) or, counting b there
 * too, 4 values (k = 2: passes). */
static void test_asha_pruned_rung(void **state)
{
    (void)state;
    cairn_pruner p = asha(1, 2, 0, CAIRN_MINIMIZE);
    for (int claim = 0; claim < 3; claim++) {
        study s;
        s.n = 0;
        sim_trial *a = study_add(&s), *d = study_add(&s), *b = study_add(&s);
        report(a, 0.1, 1);
        report(a, 0.1, 2);
        a->state = CAIRN_TRIAL_COMPLETE;
        report(d, 0.05, 1);
        report(d, 0.05, 2);
        d->state = CAIRN_TRIAL_COMPLETE;
        report(b, 0.3, 2);
        b->state = CAIRN_TRIAL_PRUNED;
        b->has_pruned_rung = claim > 0;
        b->pruned_rung = claim - 1; /* claim 1: rung 0, claim 2: rung 1 */
        sim_trial *probe = study_add(&s);
        report(probe, 0.08, 2);
        cairn_prune_decision dec = ask(&p, &s, probe);
        assert_int_equal(dec.rung, 1);
        assert_int_equal(dec.prune, claim < 2);
    }
}

/* ------------------------------------------------------------------------------------------
 * Best trial, next trial
 * ---------------------------------------------------------------------------------------- */

static void test_best_and_next(void **state)
{
    (void)state;
    cairn_trial_record r[6];
    memset(r, 0, sizeof r);
    int64_t numbers[] = {0, 3, 1, 2, 5, 4};
    cairn_trial_state states[] = {CAIRN_TRIAL_COMPLETE, CAIRN_TRIAL_COMPLETE, CAIRN_TRIAL_PRUNED,
                                  CAIRN_TRIAL_COMPLETE, CAIRN_TRIAL_RUNNING,  CAIRN_TRIAL_COMPLETE};
    double values[] = {0.5, 0.2, 0.1, 0.2, 0.0, NAN};
    for (int i = 0; i < 6; i++) {
        r[i].number = numbers[i];
        r[i].state = states[i];
        r[i].value = values[i];
    }
    size_t best = 99;
    CAIRN_ASSERT_OK(cairn_search_best(r, 6, CAIRN_MINIMIZE, &best, NULL), NULL);
    assert_int_equal(best, 3); /* 0.2 twice: trial 2 before trial 3; pruned and running skipped */
    CAIRN_ASSERT_OK(cairn_search_best(r, 6, CAIRN_MAXIMIZE, &best, NULL), NULL);
    assert_int_equal(best, 0);
    cairn_error err;
    cairn_error_clear(&err);
    assert_int_equal(cairn_search_best(r + 4, 2, CAIRN_MINIMIZE, &best, &err), CAIRN_ENOTFOUND);
    assert_non_null(strstr(err.message, "no trial has completed"));
    /* numbers 0..5 taken, 5 running; 6 free */
    assert_int_equal(cairn_search_next_number(r, 6, 10, false), 6);
    assert_int_equal(cairn_search_next_number(r, 6, 10, true), 5);
    assert_int_equal(cairn_search_next_number(r, 6, 6, false), -1);
    assert_int_equal(cairn_search_next_number(r, 6, 0, false), -1);
    assert_int_equal(cairn_search_next_number(r + 1, 5, 3, false), 0);
    assert_int_equal(cairn_search_next_number(NULL, 0, 3, false), 0);
}

/* ------------------------------------------------------------------------------------------
 * Allocation failures
 * ---------------------------------------------------------------------------------------- */

static int parse_and_draw(void)
{
    cairn_search_space *space = NULL;
    int rc = cairn_search_space_parse_text(EXAMPLE, strlen(EXAMPLE), "space", &space, NULL);
    if (rc) return rc;
    cairn_buf buf;
    cairn_buf_init(&buf, 0);
    rc = cairn_search_trial_params(space, CAIRN_SAMPLER_RANDOM, 1, 3, &buf, NULL);
    cairn_buf_release(&buf);
    cairn_search_space_free(space);
    if (rc) return rc;
    cairn_pruner p;
    cairn_pruner_init(&p, CAIRN_PRUNER_ASHA, CAIRN_MINIMIZE, 100);
    int64_t steps[] = {1, 2};
    double values[] = {0.5, 0.4};
    cairn_trial_record r = {.number = 0, .steps = steps, .values = values, .n_steps = 2};
    cairn_prune_decision d;
    rc = cairn_pruner_should_prune(&p, &r, 1, 1, 4, 0.6, &d, NULL);
    if (rc) return rc;
    p.kind = CAIRN_PRUNER_MEDIAN;
    p.n_startup_trials = 0;
    r.state = CAIRN_TRIAL_COMPLETE;
    return cairn_pruner_should_prune(&p, &r, 1, 1, 2, 0.6, &d, NULL);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    assert_int_equal(parse_and_draw(), 0);
    cairn_testalloc_install();
    int64_t base = cairn_testalloc_live_blocks(), failures = 0;
    for (int64_t nth = 1;; nth++) {
        cairn_testalloc_fail_at(nth, false);
        int rc = parse_and_draw();
        cairn_testalloc_fail_at(0, false);
        assert_int_equal(cairn_testalloc_live_blocks(), base);
        if (rc == 0) break;
        assert_int_equal(rc, CAIRN_ENOMEM);
        failures++;
    }
    assert_true(failures > 10);
    cairn_testalloc_uninstall();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_space_parse),
        cmocka_unit_test(test_bad_spaces),
        cmocka_unit_test(test_random_determinism),
        cmocka_unit_test(test_random_bounds),
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_median_optuna),
        cmocka_unit_test(test_median_intervals),
        cmocka_unit_test(test_median_more),
        cmocka_unit_test(test_asha_optuna),
        cmocka_unit_test(test_asha_settings),
        cmocka_unit_test(test_pruner_parse),
        cmocka_unit_test(test_asha_live_vs_rebuilt),
        cmocka_unit_test(test_asha_pruned_rung),
        cmocka_unit_test(test_best_and_next),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
