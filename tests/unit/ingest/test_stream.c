#include "testutil.h"

/* tests/unit/ingest/test_stream.c: the parts of stream ingest (src/ingest/stream.c) that need
 * no server: micro-batch lines (objects kept as they are, objects spread over lines put on
 * one, poison records that would not stay one line turned into JSON strings, so that the
 * ingest dead-letters them like any line that is not an object), the
 * batch under failing allocations, URL parsing, option checks, and the errors for an
 * unknown scheme, an unregistered dataset and refused connections (Redis and NATS). The
 * servers themselves: tests/integration/test_stream_redis.sh and test_stream_nats.sh. */

#include <stdio.h>
#include <string.h>

#include "ingest/stream_internal.h"

/* Line i of the batch (0-based) into out. */
static const char *line_of(const cairn__stream_batch *b, size_t i, char *out, size_t cap)
{
    const char *p = b->lines.data;
    for (size_t k = 0; k < i; k++) p = strchr(p, '\n') + 1;
    const char *nl = strchr(p, '\n');
    snprintf(out, cap, "%.*s", (int)(nl - p), p);
    return out;
}

static size_t count_lines(const cairn__stream_batch *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->lines.len; i++) n += b->lines.data[i] == '\n';
    return n;
}

static void add(cairn__stream_batch *b, const char *payload, size_t len, const char *loc)
{
    assert_int_equal(cairn__stream_batch_add(b, payload, len, loc, NULL), 0);
}

static void test_batch_lines(void **state)
{
    (void)state;
    cairn__stream_batch b;
    cairn__stream_batch_init(&b);
    const char obj[] = "{\"id\": 1, \"user\": \"x\"}";
    const char spread[] = "{\n  \"id\": 2,\r\n  \"user\": \"y\"\n}";
    const char raw_nl[] = "{\"id\": 3, \"user\": \"a\nb\"}";
    const char with_nul[] = "{\"id\": 4}\0tail";
    add(&b, obj, strlen(obj), "1-0");
    add(&b, spread, strlen(spread), "2-0");
    add(&b, "not json", 8, "3-0");
    add(&b, raw_nl, strlen(raw_nl), "4-0");
    add(&b, "[1, 2]\n", 7, "5-0");
    add(&b, "   ", 3, "6-0");
    add(&b, "", 0, "7-0");
    add(&b, with_nul, sizeof with_nul - 1, "8-0");
    assert_int_equal(b.count, 8);
    assert_int_equal(count_lines(&b), 8);
    char line[256];
    assert_string_equal(line_of(&b, 0, line, sizeof line), obj);                 /* as it is */
    assert_string_equal(line_of(&b, 1, line, sizeof line), "{\"id\":2,\"user\":\"y\"}");
    assert_string_equal(line_of(&b, 2, line, sizeof line), "not json"); /* one line: as it is */
    assert_string_equal(line_of(&b, 3, line, sizeof line),
                        "\"{\\\"id\\\": 3, \\\"user\\\": \\\"a\\nb\\\"}\"");
    assert_string_equal(line_of(&b, 4, line, sizeof line), "\"[1, 2]\\n\"");
    assert_string_equal(line_of(&b, 5, line, sizeof line), "\"   \"");           /* not blank */
    assert_string_equal(line_of(&b, 6, line, sizeof line), "\"\"");
    assert_string_equal(line_of(&b, 7, line, sizeof line), "\"{\\\"id\\\": 4}\\u0000tail\"");
    assert_string_equal(b.locations[0], "1-0");
    assert_string_equal(b.locations[7], "8-0");
    json_t *o = json_pack("{s:I, s:s}", "id", (json_int_t)9, "user", "q\nr");
    assert_int_equal(cairn__stream_batch_add_json(&b, o, "9-0", NULL), 0);
    json_decref(o);
    assert_string_equal(line_of(&b, 8, line, sizeof line), "{\"id\":9,\"user\":\"q\\nr\"}");
    assert_true(b.oldest_ns > 0);
    cairn__stream_batch_release(&b, NULL);
}

static int released;
static void count_release(void *token)
{
    (void)token;
    released++;
}

/* Every allocation failing in turn: the add fails cleanly or succeeds, and the batch always
 * holds exactly count lines; tokens of failed adds stay the caller's. */
static void test_batch_alloc_failures(void **state)
{
    (void)state;
    const char spread[] = "{\n\"id\": 2\n}";
    cairn_testalloc_install();
    for (int64_t nth = 1; nth < 40; nth++) {
        cairn__stream_batch b;
        cairn__stream_batch_init(&b);
        released = 0;
        cairn_testalloc_reset_counts();
        cairn_testalloc_fail_at(nth, false);
        int ok = 0;
        for (int i = 0; i < 300; i++) {
            const char *p = i % 3 == 0 ? spread : i % 3 == 1 ? "{\"id\":1}" : "bad\n";
            if (cairn__stream_batch_add(&b, p, strlen(p), "loc", &ok) == 0) ok++;
        }
        cairn_testalloc_fail_at(0, false);
        assert_int_equal(b.count, (size_t)ok);
        assert_int_equal(count_lines(&b), b.count);
        cairn__stream_batch_release(&b, count_release);
        assert_int_equal(released, ok);
        assert_int_equal(cairn_testalloc_live_blocks(), 0);
    }
    cairn_testalloc_uninstall();
}

static void test_url_parse(void **state)
{
    (void)state;
    cairn__stream_url u;
    cairn_error e;
    cairn_error_clear(&e);
    CAIRN_ASSERT_OK(cairn__stream_url_parse("redis://127.0.0.1:6399/events", &u, &e), &e);
    assert_string_equal(u.scheme, "redis");
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 6399);
    assert_string_equal(u.path, "events");
    assert_string_equal(u.password, "");
    CAIRN_ASSERT_OK(cairn__stream_url_parse("redis://:s3cret@cache/a:b", &u, &e), &e);
    assert_string_equal(u.host, "cache");
    assert_int_equal(u.port, 0);
    assert_string_equal(u.password, "s3cret");
    assert_string_equal(u.path, "a:b");
    CAIRN_ASSERT_OK(cairn__stream_url_parse("nats://[::1]:4222/orders.in", &u, &e), &e);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 4222);
    assert_string_equal(u.path, "orders.in");
    CAIRN_ASSERT_OK(cairn__stream_url_parse("nats:///x", &u, &e), &e);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(cairn__stream_url_parse("redis://h:6379", &u, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "no stream or subject"));
    assert_int_equal(cairn__stream_url_parse("redis://h:99999/s", &u, &e), CAIRN_EINVAL);
    assert_non_null(strstr(e.message, "bad port '99999'"));
    assert_int_equal(cairn__stream_url_parse("events", &u, &e), CAIRN_EINVAL);
}

/* A home with dataset `events` registered; returns its directory. */
static cairn_home *home_with_events(char *dir, size_t cap)
{
    snprintf(dir, cap, "%s", cairn_test_tmpdir("stream"));
    cairn_error e;
    cairn_error_clear(&e);
    bool created;
    CAIRN_ASSERT_OK(cairn_home_init(dir, &created, &e), &e);
    cairn_home *home;
    CAIRN_ASSERT_OK(cairn_home_open(dir, &home, &e), &e);
    const char yaml[] = "dataset: events\nprimary_key: [id]\nfields:\n"
                        "  - {name: id, type: int64, nullable: false}\n";
    cairn_dataset_schema *s;
    CAIRN_ASSERT_OK(cairn_dataset_schema_parse(yaml, strlen(yaml), "s.yaml", &s, &e), &e);
    int64_t v;
    CAIRN_ASSERT_OK(cairn_registry_register(cairn_home_catalog(home), "events", s, &v, &created,
                                            NULL, NULL, &e), &e);
    cairn_dataset_schema_free(s);
    return home;
}

static int run(cairn_home *home, const char *dataset, const char *url, cairn_error *e,
               cairn_stream_stats *st)
{
    cairn_stream_options o;
    cairn_stream_options_init(&o);
    o.url = url;
    o.max_retries = 0;
    cairn_error_clear(e);
    return cairn_ingest_stream(home, dataset, &o, st, e);
}

static void test_errors(void **state)
{
    (void)state;
    char dir[4096];
    cairn_home *home = home_with_events(dir, sizeof dir);
    cairn_error e;
    cairn_stream_stats st;
    assert_int_equal(run(home, "events", "kafka://h/t", &e, &st), CAIRN_EUNSUPPORTED);
    assert_non_null(strstr(e.message, "unknown scheme 'kafka'"));
    assert_int_equal(st.lag, -1);
    assert_int_equal(run(home, "nosuch", "redis://127.0.0.1:1/s", &e, &st), CAIRN_ENOTFOUND);
    assert_non_null(strstr(e.message, "dataset 'nosuch' has no registered schema"));
    assert_int_equal(run(home, "events", "redis://127.0.0.1:1/s", &e, &st), CAIRN_EIO);
    assert_string_equal(e.message, "redis 127.0.0.1:1: connection refused");
    assert_int_equal(run(home, "events", "nats://127.0.0.1:1/s", &e, &st), CAIRN_EIO);
    assert_non_null(strstr(e.message, "nats 127.0.0.1:1: connecting:"));
    cairn_stream_options o;
    cairn_stream_options_init(&o);
    o.url = "redis://127.0.0.1:1/s";
    o.batch_records = 0;
    assert_int_equal(cairn_ingest_stream(home, "events", &o, NULL, &e), CAIRN_EINVAL);
    cairn_home_close(home);
    cairn_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_lines),
        cmocka_unit_test(test_batch_alloc_failures),
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
