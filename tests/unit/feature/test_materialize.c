/* tests/unit/feature/test_materialize.c: materialization and online reads
 * (src/feature/materialize.c, serve_read.c). A tiny dataset ingested into a temporary home,
 * a small feature repository applied, materialized as of an end time and read back: the
 * values equal the as-of-end aggregates worked out by hand below (including entities whose
 * only events are older than a window: count 0, mean null), an older run never overwrites a
 * newer value, incremental runs start where the last ended, a TTL gives OUTSIDE_MAX_AGE, an
 * unknown key NOT_FOUND, and errors name the unknown service, feature or missing key. The
 * suite runs twice: against LMDB (the home's default) and against a redis-server it starts on
 * a random loopback port (online.url set through CAIRN_ONLINE_URL), the approach of
 * test_online.c.
 */
#include "testutil.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "feature/feature_internal.h"

/* ------------------------------------------------------------------------------------------
 * Fixtures
 * ---------------------------------------------------------------------------------------- */

static pid_t redis_pid;
static int redis_port;
static bool testing_redis;

typedef struct fix {
    char tmp[4096], dir[4200];
    cairn_home *home;
    cairn_error err;
} fix;

static const char *schema_yaml =
    "dataset: ev\nevent_time: ts\npartition: {by: day, column: ts}\nfields:\n"
    "  - {name: k, type: string, nullable: false}\n"
    "  - {name: ts, type: timestamp, nullable: false}\n"
    "  - {name: v, type: int64, nullable: true}\n"
    "  - {name: g, type: int64, nullable: false}\n";

static const char *repo_yaml =
    "entities: [{name: key, join_keys: [k]}, {name: grp, join_keys: [g]}]\n"
    "sources: [{name: ev, dataset: ev}]\n"
    "feature_views:\n"
    "  - name: kv\n    entity: key\n    source: ev\n    event_time: ts\n    ttl: 2d\n"
    "    features:\n"
    "      - {name: n_1h, agg: count, window: 1h}\n"
    "      - {name: mean_v, agg: mean, column: v, windows: [1h, 1d]}\n"
    "      - {name: hour, calendar: hour, column: ts}\n"
    "      - {name: v}\n"
    "      - {name: when, column: ts}\n"
    "  - name: kv_sum\n    entity: key\n    source: ev\n    event_time: ts\n"
    "    features:\n"
    "      - {name: sum_v_1d, agg: sum, column: v, window: 1d}\n"
    "  - name: gv\n    entity: grp\n    source: ev\n    event_time: ts\n"
    "    features:\n"
    "      - {name: n_1d, agg: count, window: 1d}\n"
    "feature_services:\n"
    "  - {name: svc, features: [kv, \"kv_sum:sum_v_1d\"]}\n";

/* A: four events, the last after the first end; B: one event 19h before it (in the 1d window,
 * not the 1h one); C: one event 36h before it (outside every window). */
static const char *csv =
    "k,ts,v,g\n"
    "A,2001-01-01T10:00:00Z,1,42\n"
    "A,2001-01-01T23:30:00Z,2,42\n"
    "A,2001-01-01T23:45:00Z,3,42\n"
    "A,2001-01-02T00:10:00Z,4,42\n"
    "B,2001-01-01T05:00:00Z,10,7\n"
    "C,2000-12-31T12:00:00Z,7,7\n";

#define T(s) parse_time(s)
static int64_t parse_time(const char *s)
{
    int64_t us = 0;
    assert_int_equal(cairn_time_parse(s, strlen(s), &us, NULL), 0);
    return us;
}

static void redis_flush(void)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", redis_port, tv);
    assert_true(c && !c->err);
    redisReply *r = redisCommand(c, "FLUSHALL");
    assert_non_null(r);
    freeReplyObject(r);
    redisFree(c);
}

static int setup(void **state)
{
    fix *f = calloc(1, sizeof *f);
    snprintf(f->tmp, sizeof f->tmp, "%s", cairn_test_tmpdir("materialize"));
    snprintf(f->dir, sizeof f->dir, "%s/home", f->tmp);
    if (testing_redis) redis_flush();
    bool created;
    CAIRN_ASSERT_OK(cairn_home_init(f->dir, &created, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_home_open(f->dir, &f->home, &f->err), &f->err);
    cairn_dataset_schema *schema = NULL;
    CAIRN_ASSERT_OK(cairn_dataset_schema_parse(schema_yaml, strlen(schema_yaml), "s.yaml", &schema, &f->err), &f->err);
    int64_t v;
    bool made;
    CAIRN_ASSERT_OK(cairn_registry_register(cairn_home_catalog(f->home), "ev", schema, &v, &made, NULL, NULL, &f->err), &f->err);
    cairn_dataset_schema_free(schema);
    char path[4300];
    snprintf(path, sizeof path, "%s/ev.csv", f->tmp);
    cairn_test_write_file(path, csv, strlen(csv));
    const char *paths[] = {path};
    cairn_ingest_options io;
    cairn_ingest_options_init(&io);
    cairn_ingest_result ir;
    CAIRN_ASSERT_OK(cairn_ingest_files(f->home, "ev", paths, 1, &io, &ir, &f->err), &f->err);
    assert_int_equal(ir.rows_written, 6);
    cairn_ingest_result_free(&ir);
    cairn_feature_repo *repo = NULL;
    cairn_feature_change *ch = NULL;
    size_t n = 0;
    CAIRN_ASSERT_OK(cairn_feature_repo_parse(repo_yaml, strlen(repo_yaml), "f.yaml", &repo, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_features_apply(f->home, repo, false, &ch, &n, &f->err), &f->err);
    cairn_free(ch);
    cairn_feature_repo_free(repo);
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

/* ------------------------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------------------------- */

static void materialize(fix *f, const char *view, int64_t start, int64_t end, bool incremental,
                        cairn_materialize_result *res)
{
    cairn_materialize_options o = {.view = view, .start_us = start, .end_us = end, .incremental = incremental};
    CAIRN_ASSERT_OK(cairn_materialize(f->home, &o, res, &f->err), &f->err);
}

/* Reads the features for the keys (JSON text of the entities object). */
static void read_json(fix *f, const char *service, const char *const *features, size_t nf,
                      const char *entities, int64_t now, cairn_online_result *res)
{
    json_t *ents = NULL;
    CAIRN_ASSERT_OK(cairn_json_parse(entities, strlen(entities), "entities", &ents, &f->err), &f->err);
    cairn_online_reader *r = NULL;
    CAIRN_ASSERT_OK(cairn_online_reader_open(f->home, &r, &f->err), &f->err);
    CAIRN_ASSERT_OK(cairn_online_read(r, service, features, nf, ents, now, res, &f->err), &f->err);
    cairn_online_reader_close(r);
    json_decref(ents);
}

static size_t col(const cairn_online_result *r, const char *name)
{
    for (size_t i = 0; i < r->nfeatures; i++)
        if (!strcmp(r->feature_names[i], name)) return i;
    fail_msg("no feature %s", name);
    return 0;
}

static const json_t *val(const cairn_online_result *r, size_t e, const char *name)
{
    return r->values[e * r->nfeatures + col(r, name)];
}

static cairn_feature_status status(const cairn_online_result *r, size_t e, const char *name)
{
    return r->statuses[e * r->nfeatures + col(r, name)];
}

static void assert_int_value(const cairn_online_result *r, size_t e, const char *name, int64_t want)
{
    const json_t *v = val(r, e, name);
    if (!json_is_integer(v)) fail_msg("%s of entity %zu: expected integer %lld", name, e, (long long)want);
    assert_int_equal(json_integer_value(v), want);
    assert_int_equal(status(r, e, name), CAIRN_FEATURE_PRESENT);
}

static void assert_real_value(const cairn_online_result *r, size_t e, const char *name, double want)
{
    const json_t *v = val(r, e, name);
    if (!json_is_number(v)) fail_msg("%s of entity %zu: expected %g", name, e, want);
    assert_true(json_number_value(v) == want);
}

/* ------------------------------------------------------------------------------------------
 * Cases
 * ---------------------------------------------------------------------------------------- */

static void test_values_as_of_end(void **state)
{
    fix *f = *state;
    cairn_materialize_result res;
    int64_t end = T("2001-01-02T00:00:00Z");
    materialize(f, NULL, 0, end, false, &res);
    assert_int_equal(res.views, 3);
    assert_int_equal(res.entities, 3 + 3 + 2); /* kv: A B C, kv_sum: A B C, gv: 42 7 */
    assert_int_equal(res.written, 8);
    assert_int_equal(res.skipped_older, 0);
    assert_int_equal(res.end_us, end);

    cairn_online_result r;
    read_json(f, "svc", NULL, 0, "{\"k\": [\"A\", \"B\", \"C\", \"Z\"]}", end, &r);
    assert_int_equal(r.nentities, 4);
    assert_int_equal(r.nfeatures, 7);
    assert_string_equal(r.feature_names[0], "kv:n_1h");
    assert_string_equal(r.feature_names[6], "kv_sum:sum_v_1d");
    /* A as of 2001-01-02T00:00: 1h window [23:00, 24:00) holds 2 and 3; 1d holds 1, 2, 3;
     * the 00:10 event is after the end; latest event 23:45 (v 3, hour 23). */
    assert_int_value(&r, 0, "kv:n_1h", 2);
    assert_real_value(&r, 0, "kv:mean_v_1h", 2.5);
    assert_real_value(&r, 0, "kv:mean_v_1d", 2.0);
    assert_int_value(&r, 0, "kv:hour", 23);
    assert_int_value(&r, 0, "kv:v", 3);
    assert_string_equal(json_string_value(val(&r, 0, "kv:when")), "2001-01-01T23:45:00Z");
    assert_int_value(&r, 0, "kv_sum:sum_v_1d", 6);
    assert_int_equal(r.event_us[0], T("2001-01-01T23:45:00Z"));
    /* B: its only event 19h before the end: nothing in 1h, mean 10 over 1d */
    assert_int_value(&r, 1, "kv:n_1h", 0);
    assert_true(json_is_null(val(&r, 1, "kv:mean_v_1h")));
    assert_int_equal(status(&r, 1, "kv:mean_v_1h"), CAIRN_FEATURE_PRESENT);
    assert_real_value(&r, 1, "kv:mean_v_1d", 10.0);
    assert_int_value(&r, 1, "kv:hour", 5);
    /* C: older than every window: count 0, means and sum null */
    assert_int_value(&r, 2, "kv:n_1h", 0);
    assert_true(json_is_null(val(&r, 2, "kv:mean_v_1h")));
    assert_true(json_is_null(val(&r, 2, "kv:mean_v_1d")));
    assert_true(json_is_null(val(&r, 2, "kv_sum:sum_v_1d")));
    assert_int_value(&r, 2, "kv:v", 7);
    /* Z: never seen */
    for (size_t fi = 0; fi < r.nfeatures; fi++) {
        assert_int_equal(r.statuses[3 * r.nfeatures + fi], CAIRN_FEATURE_NOT_FOUND);
        assert_true(json_is_null(r.values[3 * r.nfeatures + fi]));
        assert_int_equal(r.event_us[3 * r.nfeatures + fi], 0);
    }
    cairn_online_result_free(&r);

    /* an int64 join key, asked for as a number and as text */
    const char *fs[] = {"gv:n_1d"};
    read_json(f, NULL, fs, 1, "{\"g\": [42, \"7\", 8]}", end, &r);
    assert_int_value(&r, 0, "gv:n_1d", 3);  /* 10:00, 23:30, 23:45 */
    assert_int_value(&r, 1, "gv:n_1d", 1);  /* B at 05:00 (C is 36h old) */
    assert_int_equal(r.statuses[2], CAIRN_FEATURE_NOT_FOUND);
    cairn_online_result_free(&r);
    /* catalog records: one run per view */
    assert_int_equal(cairn_test_query_int(cairn_home_catalog(f->home),
                                          "SELECT COUNT(*) FROM feature_materializations"), 3);
}

static void test_older_run_never_overwrites(void **state)
{
    fix *f = *state;
    cairn_materialize_result res;
    materialize(f, "kv", 0, T("2001-01-03T00:00:00Z"), false, &res);
    assert_int_equal(res.written, 3);
    /* an older run afterwards: every value it computes is older than the stored one */
    materialize(f, "kv", 0, T("2001-01-02T00:00:00Z"), false, &res);
    assert_int_equal(res.entities, 3);
    assert_int_equal(res.written, 0);
    assert_int_equal(res.skipped_older, 3);
    const char *fs[] = {"kv:v", "kv:n_1h", "kv:mean_v_1d"};
    cairn_online_result r;
    read_json(f, NULL, fs, 3, "{\"k\": [\"A\", \"B\"]}", T("2001-01-03T00:00:00Z"), &r);
    assert_int_value(&r, 0, "kv:v", 4); /* the 00:10 event of the newer run */
    assert_int_value(&r, 0, "kv:n_1h", 0);
    assert_real_value(&r, 0, "kv:mean_v_1d", 4.0);
    assert_int_equal(r.event_us[0], T("2001-01-02T00:10:00Z"));
    /* B's latest event is the same in both runs: the value as of the later end stays */
    assert_true(json_is_null(val(&r, 1, "kv:mean_v_1d")));
    cairn_online_result_free(&r);
    /* the same run again stores nothing new */
    materialize(f, "kv", 0, T("2001-01-03T00:00:00Z"), false, &res);
    assert_int_equal(res.written, 0);
    assert_int_equal(res.skipped_older, 3);
}

static void test_incremental(void **state)
{
    fix *f = *state;
    cairn_materialize_result res;
    /* first run: end - TTL (2d) = 2000-12-30T12:00, so C (2000-12-31T12:00) is in */
    materialize(f, "kv", 0, T("2001-01-01T12:00:00Z"), true, &res);
    assert_int_equal(res.start_us, T("2000-12-30T12:00:00Z"));
    assert_int_equal(res.entities, 3); /* A at 10:00, B, C */
    /* next: starts at the previous end; only A has events in [Jan 1 12:00, Jan 2 12:00) */
    materialize(f, "kv", 0, T("2001-01-02T12:00:00Z"), true, &res);
    assert_int_equal(res.start_us, T("2001-01-01T12:00:00Z"));
    assert_int_equal(res.entities, 1);
    assert_int_equal(res.written, 1);
    /* nothing new */
    materialize(f, "kv", 0, T("2001-01-02T12:00:00Z"), true, &res);
    assert_int_equal(res.entities, 0);
    const char *fs[] = {"kv:v", "kv:mean_v_1d"};
    cairn_online_result r;
    read_json(f, NULL, fs, 2, "{\"k\": [\"A\", \"B\"]}", T("2001-01-02T12:00:00Z"), &r);
    assert_int_value(&r, 0, "kv:v", 4);
    assert_real_value(&r, 0, "kv:mean_v_1d", 3.0); /* 2, 3, 4 in [Jan 1 12:00, Jan 2 12:00) */
    assert_int_value(&r, 1, "kv:v", 10);           /* B as of the first run */
    assert_real_value(&r, 1, "kv:mean_v_1d", 10.0);
    cairn_online_result_free(&r);
    /* no TTL: the first incremental run takes everything */
    materialize(f, "kv_sum", 0, T("2001-01-01T12:00:00Z"), true, &res);
    assert_int_equal(res.start_us, 0);
    assert_int_equal(res.entities, 3);
}

static void test_ttl_outside_max_age(void **state)
{
    fix *f = *state;
    cairn_materialize_result res;
    materialize(f, NULL, 0, T("2001-01-02T00:00:00Z"), false, &res);
    cairn_online_result r;
    /* now = 2001-01-03T23:50: A (23:45 on Jan 1) is 2d 5m old, past kv's 2d TTL; B older */
    read_json(f, "svc", NULL, 0, "{\"k\": [\"A\"]}", T("2001-01-03T23:50:00Z"), &r);
    assert_int_equal(status(&r, 0, "kv:n_1h"), CAIRN_FEATURE_OUTSIDE_MAX_AGE);
    assert_true(json_is_null(val(&r, 0, "kv:v")));
    assert_int_equal(status(&r, 0, "kv:v"), CAIRN_FEATURE_OUTSIDE_MAX_AGE);
    assert_int_equal(r.event_us[col(&r, "kv:v")], T("2001-01-01T23:45:00Z"));
    assert_int_value(&r, 0, "kv_sum:sum_v_1d", 6); /* no TTL */
    cairn_online_result_free(&r);
    /* exactly at the TTL it is still present (the offline rule is inclusive) */
    read_json(f, "svc", NULL, 0, "{\"k\": [\"A\"]}", T("2001-01-03T23:45:00Z"), &r);
    assert_int_value(&r, 0, "kv:v", 3);
    cairn_online_result_free(&r);
    assert_string_equal(cairn_feature_status_name(CAIRN_FEATURE_OUTSIDE_MAX_AGE), "OUTSIDE_MAX_AGE");
    assert_string_equal(cairn_feature_status_name(CAIRN_FEATURE_NOT_FOUND), "NOT_FOUND");
    assert_string_equal(cairn_feature_status_name(CAIRN_FEATURE_PRESENT), "PRESENT");
}

static void read_error(fix *f, const char *service, const char *const *fs, size_t nf,
                       const char *entities, int code, const char *part)
{
    json_t *ents = NULL;
    CAIRN_ASSERT_OK(cairn_json_parse(entities, strlen(entities), "entities", &ents, &f->err), &f->err);
    cairn_online_reader *r = NULL;
    CAIRN_ASSERT_OK(cairn_online_reader_open(f->home, &r, &f->err), &f->err);
    cairn_online_result res;
    cairn_error_clear(&f->err);
    assert_int_equal(cairn_online_read(r, service, fs, nf, ents, 0, &res, &f->err), code);
    if (!strstr(f->err.message, part)) fail_msg("message '%s' lacks '%s'", f->err.message, part);
    assert_null(res.values);
    cairn_online_reader_close(r);
    json_decref(ents);
}

static void test_errors(void **state)
{
    fix *f = *state;
    cairn_materialize_result res;
    materialize(f, NULL, 0, T("2001-01-02T00:00:00Z"), false, &res);
    read_error(f, "nosuch", NULL, 0, "{\"k\": [\"A\"]}", CAIRN_ENOTFOUND, "nosuch");
    const char *f1[] = {"kv:nope"};
    read_error(f, NULL, f1, 1, "{\"k\": [\"A\"]}", CAIRN_ENOTFOUND, "'kv:nope'");
    const char *f2[] = {"noview:x"};
    read_error(f, NULL, f2, 1, "{\"k\": [\"A\"]}", CAIRN_ENOTFOUND, "noview");
    const char *f3[] = {"kv"};
    read_error(f, NULL, f3, 1, "{\"k\": [\"A\"]}", CAIRN_EINVAL, "view:feature");
    read_error(f, "svc", NULL, 0, "{\"origin\": [\"A\"]}", CAIRN_EINVAL, "join key 'k'");
    read_error(f, "svc", NULL, 0, "{\"k\": [\"A\"], \"x\": [1, 2]}", CAIRN_EINVAL, "values");
    const char *f4[] = {"gv:n_1d"};
    read_error(f, NULL, f4, 1, "{\"g\": [\"forty\"]}", CAIRN_EINVAL, "join key 'g'");
    cairn_materialize_options o = {.view = "nosuch", .end_us = T("2001-01-02T00:00:00Z")};
    cairn_error_clear(&f->err);
    assert_int_equal(cairn_materialize(f->home, &o, &res, &f->err), CAIRN_ENOTFOUND);
    assert_non_null(strstr(f->err.message, "nosuch"));
    o = (cairn_materialize_options){.start_us = T("2001-01-03T00:00:00Z"), .end_us = T("2001-01-02T00:00:00Z")};
    assert_int_equal(cairn_materialize(f->home, &o, &res, &f->err), CAIRN_EINVAL);
}

/* A reader shared by threads (the server's use). */
typedef struct thr {
    cairn_online_reader *r;
    json_t *ents;
    int ok;
} thr;

static void *reader_thread(void *arg)
{
    thr *t = arg;
    for (int i = 0; i < 200; i++) {
        cairn_online_result res;
        cairn_error err;
        cairn_error_clear(&err);
        if (cairn_online_read(t->r, "svc", NULL, 0, t->ents, T("2001-01-02T00:00:00Z"), &res, &err) == 0 &&
            json_integer_value(res.values[0]) == 2)
            t->ok++;
        cairn_online_result_free(&res);
    }
    return NULL;
}

static void test_threads(void **state)
{
    fix *f = *state;
    cairn_materialize_result res;
    materialize(f, NULL, 0, T("2001-01-02T00:00:00Z"), false, &res);
    cairn_online_reader *r = NULL;
    CAIRN_ASSERT_OK(cairn_online_reader_open(f->home, &r, &f->err), &f->err);
    json_t *ents = json_pack("{s:[s]}", "k", "A");
    thr t[4];
    pthread_t id[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (thr){r, ents, 0};
        assert_int_equal(pthread_create(&id[i], NULL, reader_thread, &t[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(id[i], NULL);
        assert_int_equal(t[i].ok, 200);
    }
    json_decref(ents);
    cairn_online_reader_close(r);
}

/* ------------------------------------------------------------------------------------------
 * Redis: a server on a random loopback port (as test_online.c starts one)
 * ---------------------------------------------------------------------------------------- */

static bool redis_answers(void)
{
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", redis_port, tv);
    if (!c || c->err) {
        if (c) redisFree(c);
        return false;
    }
    redisReply *r = redisCommand(c, "PING");
    bool ok = r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG");
    if (r) freeReplyObject(r);
    redisFree(c);
    return ok;
}

static bool redis_start_on(int port, bool *missing)
{
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(126);
        execlp("redis-server", "redis-server", "--port", port_text, "--bind", "127.0.0.1", "--save",
               "", "--appendonly", "no", (char *)NULL);
        _exit(127);
    }
    redis_pid = pid;
    redis_port = port;
    for (int i = 0; i < 500; i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            *missing = WIFEXITED(st) && WEXITSTATUS(st) == 127;
            redis_pid = 0;
            return false;
        }
        if (redis_answers()) return true;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    redis_pid = 0;
    return false;
}

static int redis_group_setup(void **state)
{
    srand((unsigned)(getpid() ^ time(NULL)));
    for (int attempt = 0; attempt < 8; attempt++) {
        bool missing = false;
        if (redis_start_on(20000 + rand() % 40000, &missing)) {
            char url[64];
            snprintf(url, sizeof url, "redis://127.0.0.1:%d", redis_port);
            setenv("CAIRN_ONLINE_URL", url, 1);
            testing_redis = true;
            return 0;
        }
        if (missing) {
            print_error("redis-server is not installed (scripts/setup installs it)\n");
            return -1;
        }
    }
    print_error("could not start redis-server on a loopback port\n");
    return -1;
}

static int redis_group_teardown(void **state)
{
    unsetenv("CAIRN_ONLINE_URL");
    if (redis_pid > 0) {
        kill(redis_pid, SIGTERM);
        waitpid(redis_pid, NULL, 0);
    }
    redis_pid = 0;
    testing_redis = false;
    return 0;
}

static int lmdb_group_setup(void **state)
{
    unsetenv("CAIRN_ONLINE_URL");
    return 0;
}

#define CASES                                                                              \
    cmocka_unit_test_setup_teardown(test_values_as_of_end, setup, teardown),                  \
        cmocka_unit_test_setup_teardown(test_older_run_never_overwrites, setup, teardown),    \
        cmocka_unit_test_setup_teardown(test_incremental, setup, teardown),                   \
        cmocka_unit_test_setup_teardown(test_ttl_outside_max_age, setup, teardown),           \
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),                        \
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {CASES};
    int failed = cmocka_run_group_tests_name("materialize_lmdb", tests, lmdb_group_setup, NULL);
    failed += cmocka_run_group_tests_name("materialize_redis", tests, redis_group_setup,
                                          redis_group_teardown);
    return failed;
}
