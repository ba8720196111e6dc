#include "testutil.h"

/* tests/unit/ingest/test_registry.c: compatibility (src/ingest/registry.c) under each of the
 * seven modes for every kind of change, transitive against latest-only checks on a
 * three-version history, and the registry in an in-memory catalog: idempotent registration,
 * versions, subjects, modes, and refusals that leave it unchanged. */

#include <stdio.h>
#include <string.h>

typedef struct fixture {
    cairn_catalog *catalog;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    cairn_error e;
    cairn_error_clear(&e);
    if (cairn_catalog_open("sqlite::memory:", &f->catalog, &e)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cairn_catalog_close(f->catalog);
    free(f);
    return 0;
}

/* A schema for dataset t with the given field lines. */
static cairn_dataset_schema *schema_of(const char *fields)
{
    char yaml[2048];
    cairn_dataset_schema *s = NULL;
    cairn_error e;
    cairn_error_clear(&e);
    snprintf(yaml, sizeof yaml, "dataset: t\nfields:\n%s", fields);
    CAIRN_ASSERT_OK(cairn_dataset_schema_parse(yaml, strlen(yaml), "t.yaml", &s, &e), &e);
    return s;
}

#define V1 "  - {name: a, type: int64, nullable: false}\n  - {name: b, type: string}\n"

typedef struct change {
    const char *name;
    const char *fields;
    bool backward, forward; /* can the new schema read old data; can the old read new */
} change;

static const change changes[] = {
    {"add with default", V1 "  - {name: c, type: string, default: x}\n", true, true},
    {"add without default", V1 "  - {name: c, type: string}\n", false, true},
    {"delete", "  - {name: a, type: int64, nullable: false}\n", true, false},
    {"promotion", "  - {name: a, type: float64, nullable: false}\n  - {name: b, type: string}\n",
     true, false},
    {"refused promotion", "  - {name: a, type: string, nullable: false}\n  - {name: b, type: string}\n",
     false, false},
    {"nullability widened", "  - {name: a, type: int64}\n  - {name: b, type: string}\n", true, false},
    {"nullability narrowed",
     "  - {name: a, type: int64, nullable: false}\n  - {name: b, type: string, nullable: false}\n",
     false, true},
};

static void test_modes(void **state)
{
    fixture *f = *state;
    cairn_error e;
    cairn_error_clear(&e);
    cairn_dataset_schema *v1 = schema_of(V1);
    for (int m = 0; m <= CAIRN_COMPAT_NONE; m++) {
        cairn_compat_mode mode = (cairn_compat_mode)m;
        for (size_t c = 0; c < sizeof changes / sizeof changes[0]; c++) {
            char subject[64];
            snprintf(subject, sizeof subject, "s%d_%zu", m, c);
            int64_t version;
            bool created;
            CAIRN_ASSERT_OK(cairn_registry_set_mode(f->catalog, subject, mode, &e), &e);
            CAIRN_ASSERT_OK(cairn_registry_register(f->catalog, subject, v1, &version, &created,
                                                    NULL, NULL, &e), &e);
            assert_int_equal(version, 1);
            cairn_dataset_schema *next = schema_of(changes[c].fields);
            bool want = true, ok = false;
            if (mode != CAIRN_COMPAT_NONE) {
                bool bw = mode <= CAIRN_COMPAT_BACKWARD_TRANSITIVE || mode >= CAIRN_COMPAT_FULL;
                bool fw = mode >= CAIRN_COMPAT_FORWARD;
                want = (!bw || changes[c].backward) && (!fw || changes[c].forward);
            }
            cairn_compat_issue *issues = NULL;
            size_t n = 0;
            CAIRN_ASSERT_OK(cairn_registry_check(f->catalog, subject, next, &ok, &issues, &n, &e), &e);
            if (ok != want)
                fail_msg("%s under %s: expected %s", changes[c].name, cairn_compat_name(mode),
                         want ? "compatible" : "incompatible");
            assert_int_equal(n == 0, ok);
            for (size_t i = 0; i < n; i++) assert_int_equal(issues[i].against_version, 1);
            cairn_free(issues);
            int rc = cairn_registry_register(f->catalog, subject, next, &version, &created, NULL,
                                             NULL, &e);
            assert_int_equal(rc, want ? 0 : CAIRN_ECONFLICT);
            if (want) assert_int_equal(version, 2);
            cairn_dataset_schema_free(next);
        }
    }
    cairn_dataset_schema_free(v1);
}

static void test_can_read_and_messages(void **state)
{
    fixture *f = *state;
    cairn_error e;
    cairn_error_clear(&e);
    cairn_dataset_schema *old = schema_of(
        "  - {name: delay, type: int64}\n  - {name: n, type: int32}\n  - {name: d, type: date}\n");
    cairn_dataset_schema *new = schema_of("  - {name: delay, type: string}\n  - {name: n, type: int64}\n"
                                          "  - {name: d, type: timestamp}\n  - {name: gate, type: string}\n");
    bool ok = true;
    cairn_compat_issue *issues;
    size_t n;
    assert_int_equal(cairn_schema_can_read(new, old, &ok, &issues, &n), 0);
    assert_false(ok);
    assert_int_equal(n, 2);
    assert_string_equal(issues[0].field, "delay");
    assert_string_equal(issues[0].reason, "the writer's int64 cannot be read as string (no promotion)");
    assert_string_equal(issues[1].field, "gate");
    assert_string_equal(issues[1].reason, "is not in the writer's schema and has no default in the reader's");
    assert_int_equal(issues[1].against_version, 0);
    cairn_free(issues);
    assert_int_equal(cairn_schema_can_read(old, old, &ok, &issues, &n), 0);
    assert_true(ok);
    assert_int_equal(n, 0);
    cairn_free(issues);

    int64_t version;
    bool created;
    CAIRN_ASSERT_OK(cairn_registry_register(f->catalog, "flights", old, &version, &created, NULL, NULL, &e), &e);
    cairn_dataset_schema *old2 = schema_of("  - {name: delay, type: int64}\n  - {name: n, type: int32}\n"
                                           "  - {name: d, type: date}\n  - {name: x, type: bool, default: false}\n");
    CAIRN_ASSERT_OK(cairn_registry_register(f->catalog, "flights", old2, &version, &created, NULL, NULL, &e), &e);
    assert_int_equal(version, 2);
    cairn_error_clear(&e);
    assert_int_equal(cairn_registry_register(f->catalog, "flights", new, &version, &created, &issues, &n, &e),
                     CAIRN_ECONFLICT);
    assert_int_equal(n, 2);
    cairn_free(issues);
    assert_string_equal(e.message,
                        "schema for 'flights' is not BACKWARD compatible with version 2: field 'delay' "
                        "changed int64 -> string (no promotion); field 'gate' added without a default "
                        "(old data cannot be read)");
    /* refused: nothing changed */
    cairn_registry_version *versions;
    CAIRN_ASSERT_OK(cairn_registry_versions(f->catalog, "flights", &versions, &n, &e), &e);
    assert_int_equal(n, 2);
    cairn_free(versions);
    /* forward wording */
    CAIRN_ASSERT_OK(cairn_registry_set_mode(f->catalog, "flights", CAIRN_COMPAT_FORWARD, &e), &e);
    cairn_dataset_schema *fw = schema_of("  - {name: delay, type: int64}\n  - {name: n, type: int32}\n"
                                         "  - {name: x, type: bool, default: false}\n");
    assert_int_equal(cairn_registry_register(f->catalog, "flights", fw, &version, &created, NULL, NULL, &e),
                     CAIRN_ECONFLICT);
    assert_string_equal(e.message, "schema for 'flights' is not FORWARD compatible with version 2: field 'd' "
                                   "removed, and old readers have no default for it (new data cannot be read)");
    cairn_dataset_schema_free(fw);
    cairn_dataset_schema_free(old2);
    cairn_dataset_schema_free(old);
    cairn_dataset_schema_free(new);
}

static void test_transitive(void **state)
{
    fixture *f = *state;
    cairn_error e;
    cairn_error_clear(&e);
    cairn_dataset_schema *v1 = schema_of("  - {name: a, type: int64}\n");
    cairn_dataset_schema *v2 = schema_of("  - {name: a, type: int64}\n  - {name: c, type: string, default: x}\n");
    cairn_dataset_schema *v3 = schema_of("  - {name: a, type: int64}\n  - {name: c, type: string}\n");
    const cairn_compat_mode modes[] = {CAIRN_COMPAT_BACKWARD, CAIRN_COMPAT_BACKWARD_TRANSITIVE,
                                       CAIRN_COMPAT_FULL, CAIRN_COMPAT_FULL_TRANSITIVE};
    for (size_t i = 0; i < 4; i++) {
        char subject[32];
        int64_t version;
        bool created, ok;
        cairn_compat_issue *issues;
        size_t n;
        snprintf(subject, sizeof subject, "h%zu", i);
        CAIRN_ASSERT_OK(cairn_registry_register(f->catalog, subject, v1, &version, &created, NULL, NULL, &e), &e);
        CAIRN_ASSERT_OK(cairn_registry_register(f->catalog, subject, v2, &version, &created, NULL, NULL, &e), &e);
        assert_int_equal(version, 2);
        CAIRN_ASSERT_OK(cairn_registry_set_mode(f->catalog, subject, modes[i], &e), &e);
        CAIRN_ASSERT_OK(cairn_registry_check(f->catalog, subject, v3, &ok, &issues, &n, &e), &e);
        bool transitive = modes[i] == CAIRN_COMPAT_BACKWARD_TRANSITIVE || modes[i] == CAIRN_COMPAT_FULL_TRANSITIVE;
        assert_int_equal(ok, !transitive);
        if (transitive) {
            assert_int_equal(n, 1);
            assert_string_equal(issues[0].field, "c");
            assert_int_equal(issues[0].against_version, 1);
        }
        cairn_free(issues);
        int rc = cairn_registry_register(f->catalog, subject, v3, &version, &created, NULL, NULL, &e);
        assert_int_equal(rc, transitive ? CAIRN_ECONFLICT : 0);
        if (!transitive) assert_int_equal(version, 3);
    }
    cairn_dataset_schema_free(v1);
    cairn_dataset_schema_free(v2);
    cairn_dataset_schema_free(v3);
}

static void test_registry_round_trips(void **state)
{
    fixture *f = *state;
    cairn_error e;
    cairn_error_clear(&e);
    cairn_dataset_schema *v1 = schema_of(V1), *v2 = schema_of(V1 "  - {name: c, type: string, default: x}\n");
    int64_t version = 0;
    bool created = false;
    CAIRN_ASSERT_OK(cairn_registry_register(f->catalog, "zeta", v1, &version, &created, NULL, NULL, &e), &e);
    assert_true(created);
    assert_int_equal(version, 1);
    CAIRN_ASSERT_OK(cairn_registry_register(f->catalog, "zeta", v1, &version, &created, NULL, NULL, &e), &e);
    assert_false(created);
    assert_int_equal(version, 1);
    CAIRN_ASSERT_OK(cairn_registry_register(f->catalog, "zeta", v2, &version, &created, NULL, NULL, &e), &e);
    assert_true(created);
    assert_int_equal(version, 2);
    CAIRN_ASSERT_OK(cairn_registry_register(f->catalog, "alpha", v2, &version, &created, NULL, NULL, &e), &e);
    assert_int_equal(version, 1);
    /* a schema equal to an older version, not the latest, is a new version */
    CAIRN_ASSERT_OK(cairn_registry_register(f->catalog, "zeta", v1, &version, &created, NULL, NULL, &e), &e);
    assert_true(created);
    assert_int_equal(version, 3);

    cairn_registry_version *versions;
    size_t n;
    char h1[65], h2[65];
    assert_int_equal(cairn_dataset_schema_hash(v1, h1), 0);
    assert_int_equal(cairn_dataset_schema_hash(v2, h2), 0);
    CAIRN_ASSERT_OK(cairn_registry_versions(f->catalog, "zeta", &versions, &n, &e), &e);
    assert_int_equal(n, 3);
    assert_int_equal(versions[1].version, 2);
    assert_string_equal(versions[0].hash, h1);
    assert_string_equal(versions[1].hash, h2);
    assert_true(strlen(versions[2].registered_at) >= 20);
    assert_int_equal(versions[2].registered_at[4], '-');
    cairn_free(versions);
    assert_int_equal(cairn_registry_versions(f->catalog, "nope", &versions, &n, &e), CAIRN_ENOTFOUND);

    char **subjects;
    CAIRN_ASSERT_OK(cairn_registry_subjects(f->catalog, &subjects, &n, &e), &e);
    assert_int_equal(n, 2);
    assert_string_equal(subjects[0], "alpha");
    assert_string_equal(subjects[1], "zeta");
    for (size_t i = 0; i < n; i++) cairn_free(subjects[i]);
    cairn_free(subjects);

    cairn_dataset_schema *got;
    int64_t found;
    char h[65];
    CAIRN_ASSERT_OK(cairn_registry_get(f->catalog, "zeta", 0, &got, &found, &e), &e);
    assert_int_equal(found, 3);
    assert_int_equal(cairn_dataset_schema_hash(got, h), 0);
    assert_string_equal(h, h1);
    cairn_dataset_schema_free(got);
    CAIRN_ASSERT_OK(cairn_registry_get(f->catalog, "zeta", 2, &got, &found, &e), &e);
    assert_int_equal(found, 2);
    assert_int_equal(cairn_dataset_schema_hash(got, h), 0);
    assert_string_equal(h, h2);
    cairn_dataset_schema_free(got);
    assert_int_equal(cairn_registry_get(f->catalog, "zeta", 9, &got, &found, &e), CAIRN_ENOTFOUND);
    assert_int_equal(cairn_registry_get(f->catalog, "nope", 0, &got, &found, &e), CAIRN_ENOTFOUND);

    cairn_compat_mode mode = CAIRN_COMPAT_NONE;
    CAIRN_ASSERT_OK(cairn_registry_get_mode(f->catalog, "nope", &mode, &e), &e);
    assert_int_equal(mode, CAIRN_COMPAT_BACKWARD);
    for (int m = 0; m <= CAIRN_COMPAT_NONE; m++) {
        CAIRN_ASSERT_OK(cairn_registry_set_mode(f->catalog, "zeta", (cairn_compat_mode)m, &e), &e);
        CAIRN_ASSERT_OK(cairn_registry_get_mode(f->catalog, "zeta", &mode, &e), &e);
        assert_int_equal(mode, m);
        cairn_compat_mode parsed;
        assert_int_equal(cairn_compat_parse(cairn_compat_name(mode), &parsed), 0);
        assert_int_equal(parsed, m);
    }
    cairn_compat_mode parsed;
    assert_int_equal(cairn_compat_parse("full_transitive", &parsed), 0);
    assert_int_equal(parsed, CAIRN_COMPAT_FULL_TRANSITIVE);
    assert_int_equal(cairn_compat_parse("sideways", &parsed), CAIRN_EINVAL);
    cairn_dataset_schema_free(v1);
    cairn_dataset_schema_free(v2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_can_read_and_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transitive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registry_round_trips, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
