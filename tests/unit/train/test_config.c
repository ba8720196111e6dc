/* Tests for src/train/config.c: a full configuration read with its defaults, the YAML to
 * JSON conversion of params and spaces, and errors that name line, column and key. */
#include "testutil.h"

#include <string.h>

#include "cairn/json.h"
#include "cairn/train.h"

static const char *full =
    "experiment: flights-delay\n"
    "training_set: build/training.parquet\n"
    "task: binary\n"
    "label: label\n"
    "time: event_timestamp\n"
    "exclude: [origin, destination, date]\n"
    "seed: 7\n"
    "split:\n"
    "  train: [2001-01-01, 2001-05-01]\n"
    "  validation: [2001-05-01, 2001-06-01]\n"
    "  test: [2001-06-01, 2001-07-01]\n"
    "  gap: 1h\n"
    "calibration: {method: isotonic, fraction: 0.4}\n"
    "learners:\n"
    "  - name: gbt\n"
    "    learner: xgboost\n"
    "    params: {max_depth: 6, eta: 0.1, tree_method: hist, subsample: 0.8}\n"
    "    rounds: 300\n"
    "    early_stopping: 15\n"
    "    search:\n"
    "      trials: 6\n"
    "      space: {max_depth: {int: [3, 8]}, eta: {float: [0.01, 0.3], log: true}}\n"
    "  - learner: logistic\n"
    "    params: {C: 0.5}\n"
    "baseline: {rule: {column: origin_delays__mean_delay_24h, above: 15}}\n"
    "gate: {metric: average_precision, margin: 0.01}\n"
    "metrics: [roc_auc, log_loss]\n"
    "costs: {false_positive: 1, false_negative: 5}\n"
    "slices:\n"
    "  - name: origin_state\n"
    "    column: origin\n"
    "    lookup: {file: data/airports.csv, key: iata, value: state}\n"
    "  - column: flight_calendar__month\n"
    "fairness:\n"
    "  - {attribute: origin_state, privileged: CA}\n"
    "bootstrap: {resamples: 200}\n"
    "explain: {shap: false, top: 5}\n";

static void test_full(void **state)
{
    (void)state;
    cairn_error err = {0};
    cairn_train_config *c = NULL;
    CAIRN_ASSERT_OK(cairn_train_config_parse(full, strlen(full), "train.yaml", &c, &err), &err);
    assert_string_equal(c->experiment, "flights-delay");
    assert_int_equal(c->task, CAIRN_TASK_BINARY);
    assert_string_equal(c->time_column, "event_timestamp");
    assert_int_equal(c->nexclude, 3);
    assert_string_equal(c->exclude[2], "date");
    assert_int_equal(c->seed, 7);
    assert_int_equal(c->split, CAIRN_SPLIT_TEMPORAL);
    assert_string_equal(json_string_value(json_object_get(c->split_config, "gap")), "1h");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(c->split_config, "train"), 0)),
        "2001-01-01");
    assert_int_equal(c->calibration, CAIRN_CALIBRATION_ISOTONIC);
    assert_true(c->calibration_fraction == 0.4);
    assert_int_equal(c->nlearners, 2);
    assert_string_equal(c->learners[0].name, "gbt");
    assert_int_equal(c->learners[0].rounds, 300);
    assert_int_equal(c->learners[0].early_stopping, 15);
    assert_int_equal(json_integer_value(json_object_get(c->learners[0].params, "max_depth")), 6);
    assert_true(json_real_value(json_object_get(c->learners[0].params, "eta")) == 0.1);
    assert_string_equal(json_string_value(json_object_get(c->learners[0].params, "tree_method")),
                        "hist");
    assert_true(json_is_real(json_object_get(c->learners[0].params, "subsample")));
    assert_true(c->learners[0].has_search);
    assert_string_equal(c->learners[0].search.sampler, "random");
    assert_string_equal(c->learners[0].search.pruner, "asha");
    assert_int_equal(c->learners[0].search.trials, 6);
    assert_true(
        json_is_true(json_object_get(json_object_get(c->learners[0].search.space, "eta"), "log")));
    assert_string_equal(c->learners[1].name, "logistic");
    assert_false(c->learners[1].has_search);
    assert_true(c->has_baseline_rule);
    assert_string_equal(c->rule_column, "origin_delays__mean_delay_24h");
    assert_true(c->rule_threshold == 15);
    assert_string_equal(c->gate_metric, "average_precision");
    assert_string_equal(c->select_metric, "average_precision");
    assert_true(c->gate_margin == 0.01 && c->gate_alpha == 0.05);
    assert_int_equal(c->nmetrics, 2);
    assert_true(c->has_costs && c->cost_fn == 5 && c->cost_fp == 1);
    assert_int_equal(c->nslices, 2);
    assert_string_equal(c->slices[0].lookup_value, "state");
    assert_string_equal(c->slices[1].name, "flight_calendar__month");
    assert_int_equal(c->nfairness, 1);
    assert_true(c->fairness[0].di_threshold == 0.8);
    assert_int_equal(c->bootstrap, 200);
    assert_false(c->shap);
    assert_true(c->permutation);
    assert_int_equal(c->top_features, 5);
    cairn_train_config_free(c);
}

static void test_defaults(void **state)
{
    (void)state;
    const char *y = "training_set: t.parquet\nlabel: y\nsplit: {kind: stratified, k: 4}\n"
                    "learners: [{learner: xgboost}]\n";
    cairn_error err = {0};
    cairn_train_config *c = NULL;
    CAIRN_ASSERT_OK(cairn_train_config_parse(y, strlen(y), "dir/credit.yaml", &c, &err), &err);
    assert_string_equal(c->experiment, "credit");
    assert_int_equal(c->split, CAIRN_SPLIT_STRATIFIED);
    assert_int_equal(c->folds, 4);
    assert_int_equal(c->seed, 42);
    assert_true(c->calibrate);
    assert_int_equal(c->calibration, CAIRN_CALIBRATION_PLATT);
    assert_string_equal(c->baseline.learner, "logistic");
    assert_false(c->has_baseline_rule);
    assert_string_equal(c->gate_metric, "roc_auc");
    assert_true(c->threshold == 0.5);
    assert_int_equal(c->bootstrap, 1000);
    assert_true(c->shap && c->permutation);
    assert_int_equal(c->learners[0].rounds, 500);
    assert_int_equal(c->learners[0].early_stopping, 20);
    assert_true(json_is_object(c->learners[0].params));
    assert_int_equal(c->learners[0].checkpoint_every, 0); /* auto */
    assert_int_equal(c->nested_outer, 0);                  /* off */
    cairn_train_config_free(c);

    /* clustering: no label, k chosen by silhouette; checkpoints and nested folds as given */
    const char *k = "training_set: t.parquet\ntask: clustering\nsplit: {kind: random}\n"
                    "learners: [{learner: kmeans, params: {k: 3}}]\n";
    CAIRN_ASSERT_OK(cairn_train_config_parse(k, strlen(k), "k.yaml", &c, &err), &err);
    assert_null(c->label);
    assert_string_equal(c->select_metric, "silhouette");
    cairn_train_config_free(c);
    const char *n = "training_set: t.parquet\nlabel: y\nsplit: {kind: random}\n"
                    "learners: [{learner: xgboost, checkpoint: none}, {name: b, learner: xgboost, "
                    "checkpoint: 50}]\nnested: {inner: 4}\n";
    CAIRN_ASSERT_OK(cairn_train_config_parse(n, strlen(n), "n.yaml", &c, &err), &err);
    assert_int_equal(c->learners[0].checkpoint_every, -1);
    assert_int_equal(c->learners[1].checkpoint_every, 50);
    assert_int_equal(c->nested_outer, 5);
    assert_int_equal(c->nested_inner, 4);
    assert_int_equal(c->nested_trials, 0);
    cairn_train_config_free(c);
}

/* Each bad file and a piece of the message it must give. */
static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *yaml, *want;
    } cases[] = {
        {"training_set: t\nlabel: y\nsplit: {kind: stratified}\nlearners: [{learner: "
         "xgboost}]\nfoo: 1\n",
         "t.yaml:5:1: training configuration: unknown key 'foo'"},
        {"label: y\nsplit: {kind: random}\nlearners: [{learner: xgboost}]\n",
         "missing key 'training_set'"},
        {"training_set: t\nlabel: y\nsplit: {kind: random}\nlearners: [{learner: forest}]\n",
         "t.yaml:4:22: key 'learner': expected one of xgboost, logistic, linear, kmeans"},
        {"training_set: t\nlabel: y\nsplit: {train: [a, b]}\nlearners: [{learner: xgboost}]\n",
         "a temporal split needs the key 'time'"},
        {"training_set: t\nlabel: y\nsplit: {kind: random}\nlearners: []\n",
         "key 'learners': expected a non-empty list"},
        {"training_set: t\nlabel: y\nsplit: {kind: random}\nlearners:\n  - learner: xgboost\n    "
         "rounds: many\n",
         "t.yaml:6:13: 'rounds': expected an integer"},
        {"training_set: t\nlabel: y\nsplit: {kind: random}\nlearners: [{learner: xgboost}, "
         "{learner: xgboost}]\n",
         "a second learner named xgboost"},
        {"training_set: t\nlabel: y\nsplit: {kind: random}\nlearners: [{learner: xgboost}]\ncosts: "
         "{false_positive: 0, false_negative: 0}\n",
         "errors must cost more"},
        {"training_set: t\nlabel: y\nsplit: {kind: grouped}\nlearners: [{learner: xgboost}]\n",
         "missing key 'group'"},
        {"training_set: t\nlabel: y\nsplit: {kind: random}\nlearners: [{learner: xgboost, search: "
         "{trials: 3}}]\n",
         "search: missing key 'space'"},
        {"training_set: t\nlabel: y\nsplit: {kind: random}\nlearners: [{learner: "
         "xgboost}]\nbootstrap: {confidence: 2}\n",
         "expected a number in [0.5, 0.999], found 2"},
        {"training_set: t\nlabel: y\ntask: regression\nsplit: {kind: random}\nlearners: [{learner: "
         "linear}]\ncalibration: {method: platt}\n",
         "calibration is for binary tasks"},
        {"training_set: t\ntask: clustering\nsplit: {kind: random}\nlearners: [{learner: "
         "kmeans}]\nselect: roc_auc\n",
         "t.yaml:5:9: key 'select': expected a clustering metric (silhouette, davies_bouldin, "
         "calinski_harabasz, inertia), found roc_auc"},
        {"training_set: t\nlabel: y\nsplit: {kind: random}\nlearners: [{learner: xgboost, "
         "checkpoint: sometimes}]\n",
         "'checkpoint': expected an integer"},
        {"training_set: t\nlabel: y\nsplit: {kind: random}\nlearners: [{learner: xgboost}]\n"
         "nested: {outer: 1}\n",
         "expected an integer in [2, 100], found 1"},
        {"", "an empty training configuration"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cairn_error err = {0};
        cairn_train_config *c = NULL;
        int rc = cairn_train_config_parse(cases[i].yaml, strlen(cases[i].yaml), "t.yaml", &c, &err);
        char msg[1024];
        cairn_error_format(&err, msg, sizeof msg);
        if (rc == 0 || !strstr(msg, cases[i].want))
            fail_msg("case %zu: rc %d, message '%s', want '%s'", i, rc, msg, cases[i].want);
        assert_null(c);
    }
}

static void test_yaml_to_json(void **state)
{
    (void)state;
    const char *y = "a: [1, -2.5, true, null, \"7\", x, .nan]\nb: {c: 'd'}\n";
    cairn_yaml_doc *doc = NULL;
    cairn_error err = {0};
    CAIRN_ASSERT_OK(cairn_yaml_parse(y, strlen(y), "y", &doc, &err), &err);
    json_t *j = NULL;
    assert_int_equal(cairn_yaml_to_json(cairn_yaml_root(doc), &j), 0);
    cairn_buf b;
    cairn_buf_init(&b, 0);
    assert_int_equal(cairn_json_dump(j, 0, &b), 0);
    assert_string_equal(b.data, "{\"a\":[1,-2.5,true,null,\"7\",\"x\",null],\"b\":{\"c\":\"d\"}}");
    cairn_buf_release(&b);
    json_decref(j);
    cairn_yaml_free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_yaml_to_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
