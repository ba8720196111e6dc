/* tests/unit/feature/test_view_load.c: feature views and services read back from the registry
 * (src/feature/view_load.c): the flights repository applied to a fresh home, its views with
 * their entity's join keys and source dataset, versions after a change, and what is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feature/feature_internal.h"
#include "testutil.h"

typedef struct fix {
    char tmp[4096], dir[4200];
    cairn_home *home;
    cairn_error err;
} fix;

static void apply(fix *f, const char *yaml)
{
    cairn_feature_repo *repo = NULL;
    cairn_feature_change *ch = NULL;
    size_t n = 0;
    CAIRN_ASSERT_OK(cairn_feature_repo_parse(yaml, strlen(yaml), "f.yaml", &repo, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_features_apply(f->home, repo, false, &ch, &n, &f->err), &f->err);
    cairn_free(ch);
    cairn_feature_repo_free(repo);
}

static int setup(void **state)
{
    fix *f = calloc(1, sizeof *f);
    snprintf(f->tmp, sizeof f->tmp, "%s", cairn_test_tmpdir("viewload"));
    snprintf(f->dir, sizeof f->dir, "%s/home", f->tmp);
    bool created;
    CAIRN_ASSERT_OK(cairn_home_init(f->dir, &created, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_home_open(f->dir, &f->home, &f->err), &f->err);
    cairn_dataset_schema *schema = NULL;
    CAIRN_ASSERT_OK(cairn_dataset_schema_load(CAIRN_TOP "/examples/flights/schema.yaml", &schema, &f->err), &f->err);
    int64_t v;
    bool made;
    CAIRN_ASSERT_OK(cairn_registry_register(cairn_home_catalog(f->home), "flights", schema, &v, &made, NULL, NULL, &f->err), &f->err);
    cairn_dataset_schema_free(schema);
    cairn_buf yaml;
    cairn_buf_init(&yaml, 0);
    CAIRN_ASSERT_OK(cairn_file_read(CAIRN_TOP "/examples/flights/features.yaml", &yaml, 0, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_buf_putc(&yaml, 0), NULL);
    apply(f, yaml.data);
    cairn_buf_release(&yaml);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fix *f = *state;
    cairn_home_close(f->home);
    cairn_test_rmtree(f->tmp);
    free(f);
    return 0;
}

static void test_view(void **state)
{
    fix *f = *state;
    cairn__view *v = NULL;
    CAIRN_ASSERT_OK(cairn__view_load(f->home, "route_delays", 0, &v, &f->err), &f->err);
    assert_int_equal(v->version, 1);
    assert_int_equal(v->nkeys, 2);
    assert_string_equal(v->join_keys[0], "origin");
    assert_string_equal(v->join_keys[1], "destination");
    assert_string_equal(v->dataset, "flights");
    assert_string_equal(v->def.event_time, "date");
    assert_null(v->def.created_time);
    assert_int_equal(v->def.ttl_us, INT64_C(30) * 86400 * 1000000);
    assert_int_equal(v->def.nfeatures, 2);
    const cairn_feature_def *m = cairn__view_feature(v, "mean_delay_30d");
    assert_non_null(m);
    assert_int_equal(m->kind, CAIRN_FEAT_WINDOW);
    assert_int_equal(m->agg, CAIRN_AGG_MEAN);
    assert_string_equal(m->column, "delay");
    assert_null(cairn__view_feature(v, "nope"));
    assert_int_equal(strlen(v->hash), 64);
    cairn__view_free(v);

    CAIRN_ASSERT_OK(cairn__view_load(f->home, "flight_calendar", 0, &v, &f->err), &f->err);
    assert_int_equal(v->def.features[3].calendar, CAIRN_CAL_HOLIDAY);
    assert_int_equal(v->def.features[4].kind, CAIRN_FEAT_PASSTHROUGH);
    cairn__view_free(v);

    assert_int_equal(cairn__view_load(f->home, "nosuch", 0, &v, &f->err), CAIRN_ENOTFOUND);
    assert_null(v);
    assert_int_equal(cairn__view_load(f->home, "route_delays", 7, &v, &f->err), CAIRN_ENOTFOUND);
}

static void test_service_and_versions(void **state)
{
    fix *f = *state;
    cairn__service *s = NULL;
    CAIRN_ASSERT_OK(cairn__service_load(f->home, "delay_model", 0, &s, &f->err), &f->err);
    assert_int_equal(s->nfeatures, 10);
    assert_string_equal(s->features[0], "origin_delays:flights_1h");
    cairn__service_free(s);
    /* a changed view gets version 2; version 1 still loads */
    apply(f, "entities: [{name: origin, join_keys: [origin], description: departure airport (IATA code)}]\n"
             "sources: [{name: flights, dataset: flights, description: 'US domestic flights, January to June 2001 (data/flights-3m.parquet)'}]\n"
             "feature_views:\n  - {name: origin_delays, entity: origin, source: flights, event_time: date, ttl: 1d,\n"
             "     features: [{name: flights_1h, agg: count, window: 1h}]}\n");
    cairn__view *v = NULL;
    CAIRN_ASSERT_OK(cairn__view_load(f->home, "origin_delays", 0, &v, &f->err), &f->err);
    assert_int_equal(v->version, 2);
    assert_int_equal(v->def.nfeatures, 1);
    cairn__view_free(v);
    CAIRN_ASSERT_OK(cairn__view_load(f->home, "origin_delays", 1, &v, &f->err), &f->err);
    assert_int_equal(v->def.nfeatures, 4);
    assert_int_equal(v->entity_version, 1);
    cairn__view_free(v);
    assert_int_equal(cairn__service_load(f->home, "nosuch", 0, &s, &f->err), CAIRN_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_and_versions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
