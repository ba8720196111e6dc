/* tests/unit/feature/test_defs.c: feature repositories (src/feature/defs.c): the flights
 * example, window expansion, service expansion, canonical JSON independent of the YAML layout,
 * located errors for every kind of mistake, and allocation failure while parsing. The
 * registry itself (apply, versions, search) is tested end to end in
 * tests/integration/test_features_cli.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cairn/feature.h"
#include "testutil.h"

static cairn_feature_repo *parse_ok(const char *yaml)
{
    cairn_feature_repo *r = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn_feature_repo_parse(yaml, strlen(yaml), "f.yaml", &r, &e), &e);
    return r;
}

static void expect_error(const char *yaml, int64_t line, const char *want)
{
    cairn_feature_repo *r = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    int rc = cairn_feature_repo_parse(yaml, strlen(yaml), "f.yaml", &r, &e);
    assert_int_not_equal(rc, 0);
    assert_null(r);
    char msg[1024];
    cairn_error_format(&e, msg, sizeof msg);
    if (!strstr(msg, want) || (line && e.line != line))
        fail_msg("expected line %lld and '%s', got: %s", (long long)line, want, msg);
}

static void test_flights_example(void **state)
{
    (void)state;
    cairn_feature_repo *r = NULL;
    cairn_error e;
    CAIRN_ASSERT_OK(cairn_feature_repo_load(CAIRN_TOP "/examples/flights/features.yaml", &r, &e), &e);
    size_t n;
    const cairn_entity_def *ent = cairn_feature_repo_entities(r, &n);
    assert_int_equal(n, 3);
    assert_int_equal(ent[1].nkeys, 2);
    assert_string_equal(ent[1].join_keys[1], "destination");
    const cairn_view_def *v = cairn_feature_repo_views(r, &n);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].name, "origin_delays");
    assert_int_equal(v[0].ttl_us, INT64_C(7) * 86400 * 1000000);
    assert_int_equal(v[0].nfeatures, 4);
    assert_string_equal(v[0].features[1].name, "mean_delay_24h");
    assert_int_equal(v[0].features[1].window_us, INT64_C(24) * 3600 * 1000000);
    assert_int_equal(v[0].features[1].agg, CAIRN_AGG_MEAN);
    assert_string_equal(v[0].features[2].name, "mean_delay_7d");
    assert_int_equal(v[2].features[0].kind, CAIRN_FEAT_CALENDAR);
    assert_int_equal(v[2].features[3].calendar, CAIRN_CAL_HOLIDAY);
    assert_int_equal(v[2].features[4].kind, CAIRN_FEAT_PASSTHROUGH);
    assert_string_equal(v[2].features[4].column, "distance");
    const cairn_service_def *s = cairn_feature_repo_services(r, &n);
    assert_int_equal(n, 1);
    assert_int_equal(s[0].nfeatures, 10);
    assert_string_equal(s[0].features[0], "origin_delays:flights_1h");
    assert_string_equal(s[0].features[4], "route_delays:mean_delay_30d");
    assert_string_equal(s[0].features[9], "flight_calendar:distance");
    cairn_feature_repo_free(r);
}

static const char base[] =
    "entities: [{name: u, join_keys: [user_id]}]\n"
    "sources: [{name: s, dataset: events}]\n"
    "feature_views:\n"
    "  - name: v\n"
    "    entity: u\n"
    "    source: s\n"
    "    event_time: ts\n"
    "    features:\n"
    "      - {name: n, agg: count, window: 1h}\n";

static void test_canonical_json(void **state)
{
    (void)state;
    cairn_feature_repo *a = parse_ok(base);
    cairn_feature_repo *b = parse_ok(
        "feature_views: [{features: [{window: 60m, agg: count, name: n}], event_time: ts, "
        "source: s, entity: u, name: v}]\n"
        "sources:\n  - dataset: events\n    name: s\n"
        "entities:\n  - join_keys: user_id\n    name: u\n");
    static const char *const kinds[] = {"entity", "source", "feature_view"};
    for (size_t k = 0; k < 3; k++) {
        json_t *ja, *jb;
        assert_int_equal(cairn_feature_object_json(a, kinds[k], 0, &ja), 0);
        assert_int_equal(cairn_feature_object_json(b, kinds[k], 0, &jb), 0);
        assert_true(json_equal(ja, jb));
        json_decref(ja);
        json_decref(jb);
    }
    json_t *j;
    assert_int_equal(cairn_feature_object_json(a, "feature_view", 1, &j), CAIRN_EINVAL);
    assert_int_equal(cairn_feature_object_json(a, "widget", 0, &j), CAIRN_EINVAL);
    cairn_feature_repo_free(a);
    cairn_feature_repo_free(b);
}

static void test_errors(void **state)
{
    (void)state;
    char buf[2048];
    expect_error("entities: [{name: u, join_keys: [k], colour: red}]\n", 1, "key 'colour': unknown key in an entity");
    expect_error("entities: [{join_keys: [k]}]\n", 1, "key 'name': missing");
    expect_error("entities: [{name: 'a b', join_keys: [k]}]\n", 1, "is not a valid name");
    expect_error("entities: [{name: u, join_keys: []}]\n", 1, "needs at least one column");
    expect_error("stuff: 1\n", 1, "unknown key in a feature repository");
    expect_error("", 0, "empty");
    snprintf(buf, sizeof buf, "%s", base);
    expect_error(strcat(buf, "      - {name: n, agg: count, window: 2h}\n"), 10, "feature 'n' is declared twice");
    snprintf(buf, sizeof buf, "%s", base);
    expect_error(strcat(buf, "      - {name: m, agg: median, column: x, window: 1h}\n"), 10, "'median' is not one of");
    snprintf(buf, sizeof buf, "%s", base);
    expect_error(strcat(buf, "      - {name: m, agg: mean, window: 1h}\n"), 10, "agg 'mean' needs a column");
    snprintf(buf, sizeof buf, "%s", base);
    expect_error(strcat(buf, "      - {name: m, agg: sum, column: x}\n"), 10, "needs `window: DUR`");
    snprintf(buf, sizeof buf, "%s", base);
    expect_error(strcat(buf, "      - {name: m, agg: sum, column: x, window: soon}\n"), 10, "'soon' is not a duration");
    snprintf(buf, sizeof buf, "%s", base);
    expect_error(strcat(buf, "      - {name: m, calendar: week, column: ts}\n"), 10, "'week' is not one of hour");
    snprintf(buf, sizeof buf, "%s", base);
    expect_error(strcat(buf, "      - {name: m, calendar: hour}\n"), 10, "needs the timestamp column");
    snprintf(buf, sizeof buf, "%s", base);
    expect_error(strcat(buf, "    ttl: -1h\n"), 10, "is not a duration");
    snprintf(buf, sizeof buf, "%s", base);
    expect_error(strcat(buf, "feature_services: [{name: x, features: [w]}]\n"), 10, "'w' names no feature view");
    snprintf(buf, sizeof buf, "%s", base);
    expect_error(strcat(buf, "feature_services: [{name: x, features: ['v:zz']}]\n"), 10, "view 'v' has no feature 'zz'");
    expect_error("entities: [{name: u, join_keys: [k]}]\nsources: [{name: s, dataset: d}]\n"
                 "feature_views: [{name: v, entity: w, source: s, event_time: t, features: [{name: a}]}]\n",
                 3, "unknown entity 'w'");
    expect_error("entities: [{name: u, join_keys: [k]}, {name: u, join_keys: [j]}]\n", 1,
                 "entity 'u' is declared twice");
    expect_error("entities: {name: u}\n", 1, "expected a list");
}

static void test_parse_alloc_failures(void **state)
{
    (void)state;
    cairn_buf yaml;
    cairn_error e;
    cairn_buf_init(&yaml, 0);
    CAIRN_ASSERT_OK(cairn_file_read(CAIRN_TOP "/examples/flights/features.yaml", &yaml, 0, &e), &e);
    cairn_testalloc_install();
    int64_t live = cairn_testalloc_live_blocks();
    for (int64_t n = 1;; n++) {
        cairn_feature_repo *r = NULL;
        cairn_error_clear(&e);
        cairn_testalloc_fail_at(n, false);
        int rc = cairn_feature_repo_parse(yaml.data, yaml.len, "features.yaml", &r, &e);
        cairn_testalloc_fail_at(0, false);
        if (rc == 0) {
            cairn_feature_repo_free(r);
            assert_int_equal(cairn_testalloc_live_blocks(), live);
            break;
        }
        if (rc != CAIRN_ENOMEM) {
            char msg[1024];
            cairn_error_format(&e, msg, sizeof msg);
            fail_msg("allocation %lld: expected ENOMEM, got %s: %s", (long long)n, cairn_errname(rc), msg);
        }
        assert_null(r);
        assert_int_equal(cairn_testalloc_live_blocks(), live);
        assert_true(n < 100000);
    }
    cairn_testalloc_uninstall();
    cairn_buf_release(&yaml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flights_example),
        cmocka_unit_test(test_canonical_json),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_parse_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
