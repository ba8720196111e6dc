/* tests/unit/serve/test_server.c: the HTTP server (src/serve/server.c, metrics.c,
 * routes_features.c): a server on port 0 with test routes, driven by a tiny raw-socket HTTP
 * client below (one request per connection, Connection: close). Covers status codes and JSON
 * errors (400, 404, 405, 413, 500, 503), /health, /ready, /metrics text and counters,
 * concurrent clients, the access log, graceful stop with a request in flight, the metrics
 * registry and the get-online-features request parser.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "serve/serve_internal.h"
#include "testutil.h"

/* ------------------------------------------------------------------------------------------
 * A tiny HTTP/1.1 client
 * ---------------------------------------------------------------------------------------- */

typedef struct http_reply {
    int status;
    char head[2048];
    char *body; /* cairn_malloc'd, NUL-terminated */
    size_t body_len;
} http_reply;

static void reply_free(http_reply *r)
{
    cairn_free(r->body);
    r->body = NULL;
}

/* Sends raw request bytes and reads the reply until the server closes. Returns 0 or -1. */
static int http_raw(int port, const char *req, size_t req_len, http_reply *out)
{
    memset(out, 0, sizeof *out);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    size_t sent = 0;
    while (sent < req_len) {
        ssize_t w = send(fd, req + sent, req_len - sent, MSG_NOSIGNAL);
        if (w <= 0) break; /* the server may answer early (413) and close */
        sent += (size_t)w;
    }
    cairn_buf in;
    cairn_buf_init(&in, 0);
    char chunk[4096];
    for (;;) {
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        cairn_buf_append(&in, chunk, (size_t)n);
    }
    close(fd);
    const char *sep = strstr(in.data, "\r\n\r\n");
    if (!sep || sscanf(in.data, "HTTP/1.1 %d", &out->status) != 1) {
        cairn_buf_release(&in);
        return -1;
    }
    size_t head_len = (size_t)(sep - in.data);
    snprintf(out->head, sizeof out->head, "%.*s", (int)head_len, in.data);
    out->body_len = in.len - head_len - 4;
    out->body = cairn_strndup(sep + 4, out->body_len);
    cairn_buf_release(&in);
    return 0;
}

static int http(int port, const char *method, const char *path, const char *body,
                http_reply *out)
{
    cairn_buf req;
    cairn_buf_init(&req, 0);
    cairn_buf_printf(&req, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n", method,
                     path);
    if (body)
        cairn_buf_printf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                         strlen(body));
    cairn_buf_puts(&req, "\r\n");
    if (body) cairn_buf_puts(&req, body);
    int rc = http_raw(port, req.data, req.len, out);
    cairn_buf_release(&req);
    return rc;
}

/* ------------------------------------------------------------------------------------------
 * Test routes and fixture
 * ---------------------------------------------------------------------------------------- */

/* POST /echo: parses the body as JSON and answers {"echo": body} (arena-copied path). */
static int route_echo(const cairn_http_request *req, cairn_http_response *resp)
{
    json_t *v = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    if (cairn_json_parse(req->body, req->body_len, "request body", &v, &err) != 0) {
        char msg[1024];
        cairn_error_format(&err, msg, sizeof msg);
        return cairn_http_error(resp, 400, "%s", msg);
    }
    char *copy = cairn_arena_strdup(req->arena, req->path);
    const char *who = cairn_http_request_header(req, "X-Who");
    cairn_buf_printf(&resp->body, "{\"path\":\"%s\",\"who\":\"%s\",\"echo\":", copy,
                     who ? who : "");
    cairn_json_dump(v, 0, &resp->body);
    cairn_buf_puts(&resp->body, "}");
    json_decref(v);
    return 0;
}

static int route_fail(const cairn_http_request *req, cairn_http_response *resp)
{
    return CAIRN_EIO;
}

static int route_slow(const cairn_http_request *req, cairn_http_response *resp)
{
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    return cairn_buf_puts(&resp->body, "{\"slow\":true}");
}

static cairn_server *start(size_t max_body, const char *access_log)
{
    cairn_server_options o;
    cairn_server_options_init(&o);
    o.port = 0;
    o.threads = 2;
    o.max_body = max_body;
    o.access_log = access_log;
    cairn_server *s = NULL;
    cairn_error err;
    cairn_error_clear(&err);
    CAIRN_ASSERT_OK(cairn_server_start(NULL, &o, &s, &err), &err);
    assert_true(cairn_server_port(s) > 0);
    static const cairn_route routes[] = {
        {"POST", "/echo", "echo", NULL, route_echo, NULL},
        {"GET", "/fail", "fail", NULL, route_fail, NULL},
        {"GET", "/slow", "slow", NULL, route_slow, NULL},
    };
    for (size_t i = 0; i < 3; i++) CAIRN_ASSERT_OK(cairn_server_add_route(s, &routes[i], &err), &err);
    return s;
}

static void assert_json_error(const http_reply *r, int status, const char *part)
{
    assert_int_equal(r->status, status);
    assert_non_null(strstr(r->head, "Content-Type: application/json"));
    json_t *v = NULL;
    assert_int_equal(cairn_json_parse(r->body, r->body_len, "reply", &v, NULL), 0);
    const char *msg = json_string_value(json_object_get(v, "error"));
    assert_non_null(msg);
    if (!strstr(msg, part)) fail_msg("error '%s' lacks '%s'", msg, part);
    json_decref(v);
}

/* ------------------------------------------------------------------------------------------
 * Tests
 * ---------------------------------------------------------------------------------------- */

static void test_health_ready(void **state)
{
    cairn_server *s = start(0, NULL);
    int port = cairn_server_port(s);
    http_reply r;
    assert_int_equal(http(port, "GET", "/health", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"status\":\"ok\"}\n");
    reply_free(&r);
    assert_int_equal(http(port, "GET", "/ready", NULL, &r), 0);
    assert_int_equal(r.status, 200); /* no home: nothing to wait for */
    reply_free(&r);
    cairn_server_stop(s);
}

static void test_errors(void **state)
{
    cairn_server *s = start(1024, NULL);
    int port = cairn_server_port(s);
    http_reply r;
    assert_int_equal(http(port, "GET", "/nope", NULL, &r), 0);
    assert_json_error(&r, 404, "no route for GET /nope");
    reply_free(&r);
    assert_int_equal(http(port, "GET", "/echo", NULL, &r), 0);
    assert_json_error(&r, 405, "method GET is not allowed on /echo");
    assert_non_null(strstr(r.head, "Allow: POST"));
    reply_free(&r);
    assert_int_equal(http(port, "POST", "/echo", "{\"a\": [1, 2", &r), 0);
    assert_json_error(&r, 400, "invalid JSON");
    reply_free(&r);
    assert_int_equal(http(port, "GET", "/fail", NULL, &r), 0);
    assert_json_error(&r, 500, "internal error");
    reply_free(&r);
    /* 413 by Content-Length, answered before the body is read */
    char *big = cairn_malloc(4001);
    memset(big, ' ', 4000);
    big[0] = '[';
    big[3998] = ']';
    big[4000] = '\0';
    assert_int_equal(http(port, "POST", "/echo", big, &r), 0);
    assert_json_error(&r, 413, "larger than the limit of 1024 bytes");
    reply_free(&r);
    /* 413 for a chunked body that passes the limit while streaming */
    cairn_buf req;
    cairn_buf_init(&req, 0);
    cairn_buf_puts(&req, "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 4; i++) cairn_buf_printf(&req, "3e8\r\n%.*s\r\n", 1000, big + 1);
    cairn_buf_puts(&req, "0\r\n\r\n");
    assert_int_equal(http_raw(port, req.data, req.len, &r), 0);
    assert_json_error(&r, 413, "larger than the limit");
    reply_free(&r);
    cairn_buf_release(&req);
    cairn_free(big);
    /* a body within the limit, and the request helpers */
    const char *ok = "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Who: tester\r\n"
                     "Content-Length: 9\r\n\r\n{\"k\": 1}\n";
    assert_int_equal(http_raw(port, ok, strlen(ok), &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"path\":\"/echo\",\"who\":\"tester\",\"echo\":{\"k\":1}}");
    reply_free(&r);
    cairn_server_stats st;
    cairn_server_get_stats(s, &st);
    assert_int_equal(st.errors_5xx, 1);
    assert_int_equal(st.errors_4xx, 5);
    cairn_server_stop(s);
}

static double metric_in(const char *text, const char *series)
{
    const char *p = strstr(text, series);
    if (!p) return -1;
    return strtod(p + strlen(series), NULL);
}

static void test_metrics_endpoint(void **state)
{
    cairn_server *s = start(0, NULL);
    int port = cairn_server_port(s);
    http_reply r;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(http(port, "POST", "/echo", "[1]", &r), 0);
        assert_int_equal(r.status, 200);
        reply_free(&r);
    }
    assert_int_equal(http(port, "POST", "/echo", "[", &r), 0);
    reply_free(&r);
    assert_int_equal(http(port, "GET", "/metrics", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "Content-Type: text/plain; version=0.0.4"));
    assert_non_null(strstr(r.body, "# TYPE cairn_http_requests_total counter\n"));
    assert_non_null(strstr(r.body, "# TYPE cairn_http_request_duration_seconds histogram\n"));
    assert_non_null(strstr(r.body, "# TYPE cairn_online_lookups_total counter\n"));
    assert_true(metric_in(r.body, "cairn_http_requests_total{route=\"echo\",code=\"200\"} ") == 3);
    assert_true(metric_in(r.body, "cairn_http_requests_total{route=\"echo\",code=\"400\"} ") == 1);
    assert_true(metric_in(r.body, "cairn_http_request_duration_seconds_count{route=\"echo\"} ") == 4);
    assert_true(metric_in(r.body, "cairn_http_request_duration_seconds_bucket{route=\"echo\",le=\"+Inf\"} ") == 4);
    /* every line is a comment or "name[{labels}] value" */
    char *save = NULL;
    for (char *line = strtok_r(r.body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') continue;
        const char *sp = strrchr(line, ' ');
        assert_non_null(sp);
        char *end;
        strtod(sp + 1, &end);
        if (*end && strcmp(sp + 1, "+Inf") != 0) fail_msg("bad metric line: %s", line);
    }
    reply_free(&r);
    /* the counter moves on the next scrape */
    assert_int_equal(http(port, "POST", "/echo", "[2]", &r), 0);
    reply_free(&r);
    assert_int_equal(http(port, "GET", "/metrics", NULL, &r), 0);
    assert_true(metric_in(r.body, "cairn_http_requests_total{route=\"echo\",code=\"200\"} ") == 4);
    assert_true(metric_in(r.body, "cairn_http_requests_total{route=\"metrics\",code=\"200\"} ") == 1);
    reply_free(&r);
    cairn_server_stop(s);
}

typedef struct client_job {
    int port, requests, ok;
} client_job;

static void *client_thread(void *arg)
{
    client_job *job = arg;
    for (int i = 0; i < job->requests; i++) {
        char body[64], want[64];
        snprintf(body, sizeof body, "{\"i\": %d}", i);
        snprintf(want, sizeof want, "\"echo\":{\"i\":%d}}", i);
        http_reply r;
        if (http(job->port, "POST", "/echo", body, &r) == 0 && r.status == 200 &&
            strstr(r.body, want))
            job->ok++;
        reply_free(&r);
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    cairn_server *s = start(0, NULL);
    enum { NT = 6, PER = 40 };
    pthread_t t[NT];
    client_job jobs[NT];
    for (int i = 0; i < NT; i++) {
        jobs[i] = (client_job){cairn_server_port(s), PER, 0};
        pthread_create(&t[i], NULL, client_thread, &jobs[i]);
    }
    for (int i = 0; i < NT; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].ok, PER);
    }
    cairn_server_stats st;
    cairn_server_get_stats(s, &st);
    assert_int_equal(st.requests, NT * PER);
    cairn_metric *m = cairn_metrics_counter(cairn_server_metrics(s), "cairn_http_requests_total",
                                            NULL, "route=\"echo\",code=\"200\"");
    assert_true(cairn_metric_value(m) == NT * PER);
    cairn_server_stop(s);
}

typedef struct slow_job {
    int port;
    http_reply reply;
    int rc;
} slow_job;

static void *slow_thread(void *arg)
{
    slow_job *job = arg;
    job->rc = http(job->port, "GET", "/slow", NULL, &job->reply);
    return NULL;
}

static void test_graceful_stop(void **state)
{
    cairn_server *s = start(0, NULL);
    slow_job job = {cairn_server_port(s), {0}, -1};
    pthread_t t;
    pthread_create(&t, NULL, slow_thread, &job);
    cairn_server_stats st;
    for (int i = 0; i < 2000; i++) { /* wait until the request is in the handler */
        cairn_server_get_stats(s, &st);
        if (st.in_flight > 0) break;
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(st.in_flight, 1);
    int port = cairn_server_port(s);
    cairn_server_stop(s); /* waits for /slow to be answered */
    pthread_join(t, NULL);
    assert_int_equal(job.rc, 0);
    assert_int_equal(job.reply.status, 200);
    assert_string_equal(job.reply.body, "{\"slow\":true}");
    reply_free(&job.reply);
    http_reply r; /* nothing listens any more */
    assert_int_equal(http(port, "GET", "/health", NULL, &r), -1);
}

static void test_access_log(void **state)
{
    const char *dir = cairn_test_tmpdir("serve-log");
    char path[512];
    snprintf(path, sizeof path, "%s/access.log", dir);
    cairn_server *s = start(0, path);
    http_reply r;
    assert_int_equal(http(cairn_server_port(s), "GET", "/health?x=\"q\"", NULL, &r), 0);
    reply_free(&r);
    assert_int_equal(http(cairn_server_port(s), "GET", "/missing", NULL, &r), 0);
    reply_free(&r);
    cairn_server_stop(s);
    cairn_buf text;
    cairn_buf_init(&text, 0);
    CAIRN_ASSERT_OK(cairn_file_read(path, &text, 0, NULL), NULL);
    int lines = 0;
    char *save = NULL;
    for (char *line = strtok_r(text.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_t *v = NULL;
        assert_int_equal(cairn_json_parse(line, strlen(line), "log", &v, NULL), 0);
        assert_non_null(json_object_get(v, "duration_us"));
        int status = (int)json_integer_value(json_object_get(v, "status"));
        assert_int_equal(status, lines == 0 ? 200 : 404);
        json_decref(v);
        lines++;
    }
    assert_int_equal(lines, 2);
    cairn_buf_release(&text);
    cairn_test_rmtree(dir);
}

static void test_routes_table(void **state)
{
    cairn_server *s = start(0, NULL);
    cairn_error err;
    cairn_error_clear(&err);
    cairn_route dup = {"POST", "/echo", NULL, NULL, route_echo, NULL};
    assert_int_equal(cairn_server_add_route(s, &dup, &err), CAIRN_EEXIST);
    cairn_route bad = {"GET", "relative", NULL, NULL, route_echo, NULL};
    assert_int_equal(cairn_server_add_route(s, &bad, &err), CAIRN_EINVAL);
    cairn_route more = {"GET", "/echo", NULL, "admin", route_slow, NULL}; /* same path, GET */
    CAIRN_ASSERT_OK(cairn_server_add_route(s, &more, &err), &err);
    cairn_server_stop(s);
    cairn_server_options o;
    cairn_server_options_init(&o);
    o.host = "not-an-address";
    assert_int_equal(cairn_server_start(NULL, &o, &s, &err), CAIRN_EINVAL);
    assert_non_null(strstr(err.message, "not-an-address"));
}

static void test_metrics_registry(void **state)
{
    cairn_metrics *m;
    assert_int_equal(cairn_metrics_create(&m), 0);
    cairn_metric *c = cairn_metrics_counter(m, "x_total", "Things.\nMore", "k=\"a\"");
    cairn_metric_add(c, 2);
    cairn_metric_add(c, -1); /* refused: counters only go up */
    assert_ptr_equal(cairn_metrics_counter(m, "x_total", NULL, "k=\"a\""), c);
    assert_null(cairn_metrics_gauge(m, "x_total", NULL, NULL)); /* one kind per name */
    assert_null(cairn_metrics_counter(m, "bad name", NULL, NULL));
    cairn_metric *g = cairn_metrics_gauge(m, "temp", "Temperature.", NULL);
    cairn_metric_set(g, -3.5);
    const double b[] = {1, 5};
    const double unsorted[] = {5, 1};
    assert_null(cairn_metrics_histogram(m, "h2", NULL, NULL, unsorted, 2));
    cairn_metric *h = cairn_metrics_histogram(m, "lat", "Latency.", NULL, b, 2);
    cairn_metric_observe(h, 0.5);
    cairn_metric_observe(h, 3);
    cairn_metric_observe(h, 9);
    cairn_metric_add(NULL, 1); /* no-ops */
    cairn_metric_observe(NULL, 1);
    cairn_buf out;
    cairn_buf_init(&out, 0);
    cairn_metrics_render(m, &out);
    assert_string_equal(out.data,
                        "# HELP x_total Things.\\nMore\n# TYPE x_total counter\n"
                        "x_total{k=\"a\"} 2.0\n"
                        "# HELP temp Temperature.\n# TYPE temp gauge\ntemp -3.5\n"
                        "# HELP lat Latency.\n# TYPE lat histogram\n"
                        "lat_bucket{le=\"1.0\"} 1\nlat_bucket{le=\"5.0\"} 2\n"
                        "lat_bucket{le=\"+Inf\"} 3\nlat_sum 12.5\nlat_count 3\n");
    cairn_buf_release(&out);
    cairn_metrics_free(m);
}

static void parse_expect(const char *body, int code, const char *part)
{
    cairn_arena arena;
    cairn_arena_init(&arena, 0);
    cairn__features_request req;
    cairn_error err;
    cairn_error_clear(&err);
    int rc = cairn__features_request_parse(body, strlen(body), &arena, &req, &err);
    if (rc != code) fail_msg("'%s': rc %d (%s), expected %d", body, rc, err.message, code);
    if (part && !strstr(err.message, part))
        fail_msg("'%s': message '%s' lacks '%s'", body, err.message, part);
    if (rc == 0) cairn__features_request_release(&req);
    cairn_arena_release(&arena);
}

static void test_features_parser(void **state)
{
    parse_expect("", CAIRN_EINVAL, "body is empty");
    parse_expect("{", CAIRN_EPARSE, "invalid JSON");
    parse_expect("[1]", CAIRN_EINVAL, "must be a JSON object");
    parse_expect("{\"entities\": {\"o\": [\"a\"]}}", CAIRN_EINVAL, "is required");
    parse_expect("{\"features\": [\"v:f\"], \"feature_service\": \"s\", \"entities\": {}}",
                 CAIRN_EINVAL, "not both");
    parse_expect("{\"features\": [\"vf\"], \"entities\": {\"o\": [\"a\"]}}", CAIRN_EINVAL,
                 "'features'[0]: 'vf' is not a \"view:feature\" name");
    parse_expect("{\"features\": [], \"entities\": {\"o\": [\"a\"]}}", CAIRN_EINVAL,
                 "non-empty array");
    parse_expect("{\"features\": [\"v:f\"], \"entities\": [1]}", CAIRN_EINVAL,
                 "'entities' must be an object of arrays");
    parse_expect("{\"features\": [\"v:f\"], \"entities\": {\"o\": \"ORD\"}}", CAIRN_EINVAL,
                 "'entities' must be an object of arrays");
    parse_expect("{\"features\": [\"v:f\"], \"entities\": {\"o\": [\"a\"], \"d\": []}}",
                 CAIRN_EINVAL, "one value per entity");
    parse_expect("{\"features\": [\"v:f\"], \"entities\": {\"o\": [{}]}}", CAIRN_EINVAL,
                 "'entities'.o[0] must be a string, number or boolean");
    parse_expect("{\"features\": [\"v:f\"], \"entities\": {\"o\": [\"a\"]}, \"x\": 1}",
                 CAIRN_EINVAL, "unknown field 'x'");
    parse_expect("{\"feature_service\": 3, \"entities\": {\"o\": [\"a\"]}}", CAIRN_EINVAL,
                 "'feature_service' must be a non-empty string");
    parse_expect("{\"features\": [\"v:f\", \"w:g\"], \"entities\": {\"o\": [\"a\", 2]},"
                 " \"full_feature_names\": true}",
                 0, NULL);
    parse_expect("{\"feature_service\": \"svc\", \"entities\": {\"o\": [\"a\"]}}", 0, NULL);
}

static void test_features_route_without_home(void **state)
{
    cairn_server *s = start(0, NULL);
    int port = cairn_server_port(s);
    http_reply r;
    assert_int_equal(http(port, "POST", "/get-online-features", "{\"features\": 1}", &r), 0);
    assert_json_error(&r, 400, "'features' must be a non-empty array");
    reply_free(&r);
    assert_int_equal(http(port, "POST", "/get-online-features",
                          "{\"features\": [\"v:f\"], \"entities\": {\"o\": [\"a\"]}}", &r),
                     0);
    assert_json_error(&r, 503, "no Cairn home");
    reply_free(&r);
    cairn_server_stop(s);
}

static void test_features_render(void **state)
{
    cairn_arena arena;
    cairn_arena_init(&arena, 0);
    cairn__features_request req;
    const char *body = "{\"features\": [\"v:f\", \"v:g\"], \"entities\": {\"o\": [\"ORD\", \"XXX\"]}}";
    CAIRN_ASSERT_OK(cairn__features_request_parse(body, strlen(body), &arena, &req, NULL), NULL);
    char *names[] = {"v:f", "v:g"};
    json_t *values[] = {json_integer(7), json_string("a"), NULL, NULL};
    cairn_feature_status statuses[] = {CAIRN_FEATURE_PRESENT, CAIRN_FEATURE_PRESENT,
                                       CAIRN_FEATURE_NOT_FOUND, CAIRN_FEATURE_NOT_FOUND};
    int64_t times[] = {CAIRN_US_PER_DAY, CAIRN_US_PER_DAY, 0, 0};
    cairn_online_result res = {2, 2, names, values, statuses, times};
    cairn_buf out;
    cairn_buf_init(&out, 0);
    CAIRN_ASSERT_OK(cairn__features_render(&req, &res, &out), NULL);
    assert_string_equal(
        out.data,
        "{\"metadata\":{\"feature_names\":[\"o\",\"v:f\",\"v:g\"]},\"results\":["
        "{\"values\":[\"ORD\",\"XXX\"],\"statuses\":[\"PRESENT\",\"PRESENT\"],"
        "\"event_timestamps\":[\"1970-01-01T00:00:00Z\",\"1970-01-01T00:00:00Z\"]},"
        "{\"values\":[7,null],\"statuses\":[\"PRESENT\",\"NOT_FOUND\"],"
        "\"event_timestamps\":[\"1970-01-02T00:00:00Z\",\"1970-01-01T00:00:00Z\"]},"
        "{\"values\":[\"a\",null],\"statuses\":[\"PRESENT\",\"NOT_FOUND\"],"
        "\"event_timestamps\":[\"1970-01-02T00:00:00Z\",\"1970-01-01T00:00:00Z\"]}]}\n");
    json_decref(values[0]);
    json_decref(values[1]);
    cairn_buf_release(&out);
    cairn__features_request_release(&req);
    cairn_arena_release(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_ready),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_metrics_endpoint),
        cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_graceful_stop),
        cmocka_unit_test(test_access_log),
        cmocka_unit_test(test_routes_table),
        cmocka_unit_test(test_metrics_registry),
        cmocka_unit_test(test_features_parser),
        cmocka_unit_test(test_features_route_without_home),
        cmocka_unit_test(test_features_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
