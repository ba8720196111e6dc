/* tests/unit/feature/test_training.c: training sets and opt-outs (src/feature/training.c)
 * through the whole path on a tiny lake: Feast's point-in-time rules (ties on event time go
 * to the latest created time, the TTL boundary is inclusive, no history gives nulls), a
 * late-arriving row in a new snapshot, an opted-out entity excluded, counted and recorded in
 * the lineage; the same inputs give the same id and bytes, a changed entity file a new id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cairn/ingest.h"
#include "cairn/lake.h"
#include "cairn/parquet.h"
#include "feature/offline_internal.h"
#include "testutil.h"

typedef struct fix {
    char tmp[4096], dir[4200], ents[4300];
    cairn_home *home;
    cairn_error err;
} fix;

static const char *schema_yaml =
    "dataset: kv\nevent_time: ts\nfields:\n"
    "  - {name: k, type: string, nullable: false}\n"
    "  - {name: ts, type: timestamp, nullable: false}\n"
    "  - {name: c, type: timestamp, nullable: true}\n"
    "  - {name: v, type: int64, nullable: true}\n";

static const char *repo_yaml =
    "entities: [{name: key, join_keys: [k]}]\n"
    "sources: [{name: kv, dataset: kv}]\n"
    "feature_views:\n"
    "  - {name: kvv, entity: key, source: kv, event_time: ts, created_time: c, ttl: 1h,\n"
    "     features: [{name: v, column: v}, {name: n, agg: count, window: 1d}]}\n"
    "feature_services: [{name: svc, features: [\"kvv:v\"]}]\n";

static const char *features_csv =
    "k,ts,c,v\n"
    "A,2001-01-01T00:00:00Z,2001-01-01T00:00:00Z,1\n"
    "A,2001-01-01T01:00:00Z,2001-01-01T01:05:00Z,3\n" /* tie on ts: the later created wins */
    "A,2001-01-01T01:00:00Z,2001-01-01T01:00:00Z,2\n"
    "B,2001-01-01T00:00:00Z,2001-01-01T00:00:00Z,7\n"
    "O,2001-01-01T00:00:00Z,2001-01-01T00:00:00Z,9\n";

/* entity rows and the expected v before and after the late row (B at 00:30 = 8) */
static const char *entities_csv =
    "k,event_timestamp,label\n"
    "A,2001-01-01T00:30:00Z,1\n"  /* 1 */
    "A,2001-01-01T01:00:00Z,0\n"  /* 3: equal time qualifies, created time breaks the tie */
    "A,2001-01-01T02:00:00Z,1\n"  /* 3: exactly at the TTL boundary */
    "A,2001-01-01T02:00:01Z,0\n"  /* null: past the TTL */
    "B,2001-01-01T00:00:00Z,1\n"  /* 7 */
    "C,2001-01-01T05:00:00Z,0\n"  /* null: no history */
    "O,2001-01-01T01:00:00Z,1\n"  /* opted out */
    "B,2001-01-01T01:00:00Z,0\n"  /* 7 (TTL boundary); 8 after the late row */
    "A,2000-12-31T23:59:00Z,1\n"; /* null: nothing before */
static const char *const expect_v[] = {"1", "3", "3", "NULL", "7", "NULL", "7", "NULL"};
static const char *const expect_k[] = {"A", "A", "A", "A", "B", "C", "B", "A"};

static void ingest(fix *f, const char *name, const char *text)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", f->tmp, name);
    cairn_test_write_file(path, text, strlen(text));
    const char *paths[] = {path};
    cairn_ingest_options io;
    cairn_ingest_options_init(&io);
    cairn_ingest_result ir;
    CAIRN_ASSERT_OK(cairn_ingest_files(f->home, "kv", paths, 1, &io, &ir, &f->err), &f->err);
    cairn_ingest_result_free(&ir);
}

static int setup(void **state)
{
    fix *f = calloc(1, sizeof *f);
    snprintf(f->tmp, sizeof f->tmp, "%s", cairn_test_tmpdir("training"));
    snprintf(f->dir, sizeof f->dir, "%s/home", f->tmp);
    snprintf(f->ents, sizeof f->ents, "%s/entities.csv", f->tmp);
    bool created;
    CAIRN_ASSERT_OK(cairn_home_init(f->dir, &created, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_home_open(f->dir, &f->home, &f->err), &f->err);
    cairn_dataset_schema *schema = NULL;
    CAIRN_ASSERT_OK(cairn_dataset_schema_parse(schema_yaml, strlen(schema_yaml), "s.yaml", &schema, &f->err), &f->err);
    int64_t v;
    bool made;
    CAIRN_ASSERT_OK(cairn_registry_register(cairn_home_catalog(f->home), "kv", schema, &v, &made, NULL, NULL, &f->err), &f->err);
    cairn_dataset_schema_free(schema);
    ingest(f, "kv.csv", features_csv);
    cairn_feature_repo *repo = NULL;
    cairn_feature_change *ch = NULL;
    size_t n = 0;
    CAIRN_ASSERT_OK(cairn_feature_repo_parse(repo_yaml, strlen(repo_yaml), "f.yaml", &repo, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_features_apply(f->home, repo, false, &ch, &n, &f->err), &f->err);
    cairn_free(ch);
    cairn_feature_repo_free(repo);
    cairn_test_write_file(f->ents, entities_csv, strlen(entities_csv));
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

static cairn_table *load_object(fix *f, const char *object)
{
    char path[4300];
    CAIRN_ASSERT_OK(cairn_object_path(f->dir, object, path, sizeof path, &f->err), &f->err);
    cairn_table *t = NULL;
    CAIRN_ASSERT_OK(cairn_parquet_read_file(path, NULL, &t, &f->err), &f->err);
    return t;
}

static void build(fix *f, cairn_training_result *res)
{
    cairn_training_options o = {.service = "svc", .entities = f->ents};
    CAIRN_ASSERT_OK(cairn_training_set_build(f->home, &o, res, &f->err), &f->err);
}

static void test_optouts(void **state)
{
    fix *f = *state;
    CAIRN_ASSERT_OK(cairn_optout_add(f->home, "key", "O", &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_optout_add(f->home, "key", "O", &f->err), &f->err); /* idempotent */
    CAIRN_ASSERT_OK(cairn_optout_add(f->home, "key", "Z", &f->err), &f->err);
    assert_int_equal(cairn_optout_add(f->home, "nokey", "O", &f->err), CAIRN_ENOTFOUND);
    assert_non_null(strstr(f->err.message, "no entity 'nokey'"));
    assert_int_equal(cairn_optout_add(f->home, "key", "A|B", &f->err), CAIRN_EINVAL);
    char **keys = NULL;
    size_t n = 0;
    CAIRN_ASSERT_OK(cairn_optout_list(f->home, "key", &keys, &n, &f->err), &f->err);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0], "key\tO");
    assert_string_equal(keys[1], "key\tZ");
    for (size_t i = 0; i < n; i++) cairn_free(keys[i]);
    cairn_free(keys);
    bool removed = false;
    CAIRN_ASSERT_OK(cairn_optout_remove(f->home, "key", "Z", &removed, &f->err), &f->err);
    assert_true(removed);
    CAIRN_ASSERT_OK(cairn_optout_remove(f->home, "key", "Z", &removed, &f->err), &f->err);
    assert_false(removed);
    CAIRN_ASSERT_OK(cairn_optout_list(f->home, NULL, &keys, &n, &f->err), &f->err);
    assert_int_equal(n, 1);
    cairn_free(keys[0]);
    cairn_free(keys);
    assert_int_equal(cairn_optout_list(f->home, "nokey", &keys, &n, &f->err), CAIRN_ENOTFOUND);
}

static void test_build(void **state)
{
    fix *f = *state;
    CAIRN_ASSERT_OK(cairn_optout_add(f->home, "key", "O", &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_optout_add(f->home, "key", "Q", &f->err), &f->err); /* matches nothing */
    cairn_training_result r1, r2;
    build(f, &r1);
    assert_false(r1.existed);
    assert_int_equal(r1.rows, 8);
    assert_int_equal(r1.excluded, 1);
    assert_int_equal(r1.columns, 4); /* k, event_timestamp, label, kvv__v */
    cairn_table *t = load_object(f, r1.object);
    assert_int_equal(cairn_table_num_rows(t), 8);
    assert_string_equal(cairn_table_column(t, 3)->name, "kvv__v");
    for (int64_t r = 0; r < 8; r++) {
        assert_string_equal(cairn_test_cell(t, "k", r), expect_k[r]);
        assert_string_equal(cairn_test_cell(t, "kvv__v", r), expect_v[r]);
    }
    /* deterministic bytes: the same table written twice */
    char p1[4400], p2[4400];
    snprintf(p1, sizeof p1, "%s/a.parquet", f->tmp);
    snprintf(p2, sizeof p2, "%s/b.parquet", f->tmp);
    CAIRN_ASSERT_OK(cairn_parquet_write_file(t, p1, NULL, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_parquet_write_file(t, p2, NULL, &f->err), &f->err);
    cairn_buf b1, b2;
    cairn_buf_init(&b1, 0);
    cairn_buf_init(&b2, 0);
    CAIRN_ASSERT_OK(cairn_file_read(p1, &b1, 0, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_file_read(p2, &b2, 0, &f->err), &f->err);
    assert_int_equal(b1.len, b2.len);
    assert_memory_equal(b1.data, b2.data, b1.len);
    cairn_buf_release(&b1);
    cairn_buf_release(&b2);
    cairn_table_free(t);

    /* lineage */
    cairn_catalog *cat = cairn_home_catalog(f->home);
    assert_int_equal(cairn_test_query_int(cat, "SELECT COUNT(*) FROM training_sets WHERE lineage LIKE "
                                               "'%\"optouts\":[{\"entity\":\"key\",\"key\":\"O\",\"rows\":1}]%'"), 1);
    assert_int_equal(cairn_test_query_int(cat, "SELECT COUNT(*) FROM training_sets WHERE lineage LIKE "
                                               "'%\"name\":\"kvv\"%' AND excluded = 1"), 1);

    /* again: found, same id and object */
    build(f, &r2);
    assert_true(r2.existed);
    assert_string_equal(r1.id, r2.id);
    assert_string_equal(r1.object, r2.object);
    assert_int_equal(r2.rows, 8);
    /* rebuilt from scratch (the row forgotten): the same bytes */
    CAIRN_ASSERT_OK(cairn_catalog_exec(cat, "DELETE FROM training_sets", &f->err), &f->err);
    char output[4400];
    snprintf(output, sizeof output, "%s/out.parquet", f->tmp);
    cairn_training_options o = {.service = "svc", .entities = f->ents, .output = output};
    CAIRN_ASSERT_OK(cairn_training_set_build(f->home, &o, &r2, &f->err), &f->err);
    assert_false(r2.existed);
    assert_string_equal(r1.id, r2.id);
    assert_string_equal(r1.object, r2.object);
    uint8_t digest[CAIRN_SHA256_LEN];
    char hex[65];
    CAIRN_ASSERT_OK(cairn_sha256_file(output, digest, &f->err), &f->err);
    cairn_hex_encode(digest, sizeof digest, hex);
    assert_string_equal(hex, r1.object);

    /* a changed entity file: a new id */
    char more[1024];
    snprintf(more, sizeof more, "%sC,2001-01-01T06:00:00Z,1\n", entities_csv);
    cairn_test_write_file(f->ents, more, strlen(more));
    build(f, &r2);
    assert_false(r2.existed);
    assert_string_not_equal(r1.id, r2.id);
    assert_int_equal(r2.rows, 9);
    cairn_test_write_file(f->ents, entities_csv, strlen(entities_csv));

    /* removing the opt-out: a new id, O's row back */
    bool removed;
    CAIRN_ASSERT_OK(cairn_optout_remove(f->home, "key", "O", &removed, &f->err), &f->err);
    build(f, &r2);
    assert_string_not_equal(r1.id, r2.id);
    assert_int_equal(r2.rows, 9);
    assert_int_equal(r2.excluded, 0);
    CAIRN_ASSERT_OK(cairn_optout_add(f->home, "key", "O", &f->err), &f->err);

    /* a late-arriving row (event 00:30, created 02:00) in a new snapshot: B at 01:00 sees it */
    ingest(f, "late.csv", "k,ts,c,v\nB,2001-01-01T00:30:00Z,2001-01-01T02:00:00Z,8\n");
    build(f, &r2);
    assert_false(r2.existed);
    assert_string_not_equal(r1.id, r2.id);
    t = load_object(f, r2.object);
    assert_string_equal(cairn_test_cell(t, "kvv__v", 4), "7");
    assert_string_equal(cairn_test_cell(t, "kvv__v", 6), "8");
    cairn_table_free(t);
    assert_int_equal(cairn_test_query_int(cat, "SELECT COUNT(*) FROM training_sets"), 4);
}

static void test_errors(void **state)
{
    fix *f = *state;
    cairn_training_result r;
    cairn_training_options o = {.service = "nosuch", .entities = f->ents};
    assert_int_equal(cairn_training_set_build(f->home, &o, &r, &f->err), CAIRN_ENOTFOUND);
    o.service = "svc";
    o.entity_time = "nope";
    assert_int_equal(cairn_training_set_build(f->home, &o, &r, &f->err), CAIRN_ENOTFOUND);
    assert_non_null(strstr(f->err.message, "nope"));
    o.entity_time = NULL;
    char missing[4400];
    snprintf(missing, sizeof missing, "%s/missing.csv", f->tmp);
    o.entities = missing;
    assert_true(cairn_training_set_build(f->home, &o, &r, &f->err) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_optouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
